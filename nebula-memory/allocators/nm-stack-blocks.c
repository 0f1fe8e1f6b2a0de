/* nm-stack-blocks.c: push, pop and resize of NmStackAllocator blocks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The entry points that hand out and take back blocks: alloc and free
 * (direct and through the interface), pop, resize. The hot paths are short
 * static inlines (align, compare, one sealed word below the block; open
 * the word, restore cursor and top); anything unusual goes to a cold
 * function that diagnoses it: a LIFO violation, a double or foreign free,
 * or a bookkeeping word a buffer underflow damaged.
 */

#include "config.h"

#include <string.h>

#include "nm-backing-private.h"
#include "nm-stack-allocator-private.h"

/* Bookkeeping words.
 *
 * With sanitizers the words stay poisoned so that an underflow of a block
 * is reported; the allocator makes one readable only for its own access.
 * The word sealed with the address @key sits at @key - 8. */

static inline void
slot_store (NmStackAllocator *self,
            guint8           *key,
            guint64           data)
{
  guint64 *slot = (guint64 *) (gpointer) (key - NM_STACK_HEADER);
  guint64 word = _nm_stack_word_seal (&self->fast, key, data);

  if (self->common.sanitize)
    {
      nm_sanitizer_unpoison (slot, NM_STACK_HEADER);
      *slot = word;
      nm_sanitizer_poison (slot, NM_STACK_HEADER);
      return;
    }

  *slot = word;
}

static inline guint64
slot_load (NmStackAllocator *self,
           const guint8     *key)
{
  const guint64 *slot = (const guint64 *) (gconstpointer) (key - NM_STACK_HEADER);
  guint64 word;

  if (self->common.sanitize)
    {
      nm_sanitizer_make_readable (slot, NM_STACK_HEADER);
      word = *slot;
      nm_sanitizer_poison (slot, NM_STACK_HEADER);
      return word;
    }

  return *slot;
}

/* Seals the word of an allocation at @p pushed with the cursor at @c; a
 * pad too large for the word goes into a second word below it. */
static inline void
word_store (NmStackAllocator *self,
            guintptr          c,
            guintptr          p)
{
  guintptr pad = p - c;
  guint64 big = 0;

  /* A pad that does not fit: the second word holds it, and the first is
   * marked so that the inline pop never takes it for one it can open. */
  if G_UNLIKELY (pad > NM_STACK_PAD_MASK)
    {
      slot_store (self, (guint8 *) p - NM_STACK_HEADER, pad);
      pad = 0;
      big = _NM_STACK_WORD_BIG;
    }

  slot_store (self, (guint8 *) p, _nm_stack_word_data (c, (guintptr) self->fast.top, pad) | big);
}

/* Opens the word(s) of the top allocation @mem: whether they are intact
 * and lead back inside the current frame. The cursor and the top from
 * before @mem was pushed go to @cursor and @top, the word as stored to
 * @stored, for reports. */
static gboolean
word_decode (NmStackAllocator  *self,
             const guint8      *mem,
             guint8           **cursor,
             guint8           **top,
             guint64           *stored)
{
  guint64 data, pad, reach;

  *stored = slot_load (self, mem);
  data = _nm_stack_word_product (&self->fast, mem, *stored);
  if (data >> 48 > 1)
    return FALSE;

  pad = data & NM_STACK_PAD_MASK;
  reach = _nm_stack_word_reach (data & ~_NM_STACK_WORD_BIG);
  if (data & _NM_STACK_WORD_BIG)
    {
      /* Only a pad above NM_STACK_PAD_MASK goes below: the second word
       * must lie inside the region, and hold such a pad. */
      if (pad != 0 ||
          (gsize) (mem - self->fast.base) <= NM_STACK_PAD_MASK ||
          !_nm_stack_word_open (&self->fast, mem - NM_STACK_HEADER,
                                slot_load (self, mem - NM_STACK_HEADER), &pad) ||
          pad <= NM_STACK_PAD_MASK)
        return FALSE;
      reach += pad;
    }

  /* Both restored pointers at or above the frame's floor (see
   * _nm_stack_word_reach ()); a pad below the word's size is never
   * stored. */
  if (pad < NM_STACK_HEADER || reach > (guint64) (mem - self->frame_top))
    return FALSE;

  *cursor = (guint8 *) mem - pad;
  *top = (guint8 *) (((guintptr) mem - (guintptr) reach) & ~(guintptr) 7);
  return TRUE;
}

/* Pops the top allocation, whose word was opened, back to the @cursor and
 * @top it restores. */
static inline void
pop_top (NmStackAllocator *self,
         guint8           *cursor,
         guint8           *top)
{
  if G_UNLIKELY (self->fast.slow_flags & (NM_SLOW_SANITIZE | NM_SLOW_POISON))
    _nm_stack_release_range (self, cursor);

  self->fast.cursor = cursor;
  self->fast.top = top;
  self->fast.n_pops++;
}

static void
report_corrupt_word (NmStackAllocator *self,
                     gconstpointer     mem,
                     guint64           word)
{
  _nm_allocator_report_corruption (&self->common, mem,
                                   "the bookkeeping word below the top allocation is corrupt "
                                   "(0x%016" G_GINT64_MODIFIER "x), most likely written by a "
                                   "buffer underflow of that allocation; the free was ignored "
                                   "and the stack is unchanged", word);
}

static G_GNUC_NO_INLINE void
free_slow (NmStackAllocator *self,
           guint8           *mem,
           gsize             size,
           gboolean          have_size)
{
  NmAllocator *allocator = NM_ALLOCATOR (self);
  NmAllocatorCommon *c = &self->common;
  gsize top_size = (gsize) (self->fast.cursor - self->fast.top);
  gsize depth = _nm_stack_depth (self);
  guint8 *cursor, *top;
  guint64 word;

  if (mem == NULL)
    return;

  _nm_stack_check_owner (self);

  if (mem < self->fast.base || mem >= self->end)
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "free of a pointer it does not hold (a foreign "
                                         "pointer, or memory of another allocator)");
      return;
    }

  if (mem >= self->fast.cursor || depth == 0)
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "free of memory that is not live (a double free, "
                                         "or memory released by a pop or a reset); the top "
                                         "is %p with %" G_GSIZE_FORMAT " live allocations",
                                         depth ? (gpointer) self->fast.top : NULL, depth);
      return;
    }

  if (mem != self->fast.top)
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "LIFO violation: free of %p, which is not the top "
                                         "of the stack (the top is %p, %" G_GSIZE_FORMAT
                                         " bytes). Free the most recent allocation first",
                                         mem, self->fast.top, top_size);
      return;
    }

  if (!_nm_stack_frame_has_top (self))
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "LIFO violation: free of %p, the top of the stack, "
                                         "which was allocated before the live marker #%"
                                         G_GUINT64_FORMAT "; the current frame is empty. "
                                         "Pop to the marker first",
                                         mem, _nm_stack_newest_mark_id (self));
      return;
    }

  if (have_size && size != top_size)
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "LIFO violation: wrong size in free of the top %p: "
                                         "%" G_GSIZE_FORMAT " bytes given, %" G_GSIZE_FORMAT
                                         " allocated (or resized to)",
                                         mem, size, top_size);
      return;
    }

  if (!word_decode (self, mem, &cursor, &top, &word))
    {
      report_corrupt_word (self, mem, word);
      return;
    }

  pop_top (self, cursor, top);
  _nm_allocator_note_free (c, mem);
}

/* Allocation */

static G_GNUC_NO_INLINE gpointer
fail_out_of_memory (NmStackAllocator  *self,
                    gsize              size,
                    gsize              alignment,
                    GError           **error)
{
  g_autofree char *usage = _nm_size_format_usage (_nm_stack_used (self), self->capacity);
  g_autofree char *state =
    g_strdup_printf ("%s by %" G_GSIZE_FORMAT " live allocations, %" G_GSIZE_FORMAT " bytes "
                     "free above the top, and each allocation takes %d bytes of bookkeeping",
                     usage, _nm_stack_depth (self), (gsize) (self->end - self->fast.cursor),
                     NM_STACK_HEADER);
  NmFailureInfo info = {
    .size = size,
    .alignment = alignment,
    .state = state,
    .suggestion = "Pop what is no longer needed, or raise capacity.",
  };

  return _nm_allocator_fail_request (NM_ALLOCATOR (self), &self->common, error,
                                     NM_ALLOCATOR_ERROR_OUT_OF_MEMORY, &info);
}

/* The region was refused at construction (g_object_new () and the
 * bindings' constructors cannot fail) and again just now: the request
 * fails with why, a budget or the system. */
static G_GNUC_NO_INLINE gpointer
fail_no_region (NmStackAllocator  *self,
                gsize              size,
                gsize              alignment,
                GError           **error)
{
  g_autofree char *region = _nm_size_format_human (self->capacity);
  g_autofree char *state = g_strdup_printf ("the system refused its region of %s, at "
                                            "construction and again now", region);
  NmFailureInfo info = {
    .size = size,
    .alignment = alignment,
    .state = state,
    .suggestion = "Lower capacity.",
  };

  return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
}

/* Pushes [p, p + size), found room for with the cursor at @c. */
static inline gpointer
push_block (NmStackAllocator *self,
            guintptr          c,
            guintptr          p,
            gsize             size)
{
  guint8 *mem = (guint8 *) p;

  word_store (self, c, p);
  self->fast.top = mem;
  self->fast.cursor = mem + size;
  self->fast.n_pushes++;
  _nm_stack_raise_peak (self, mem + size);

  return mem;
}

static G_GNUC_NO_INLINE gpointer
alloc_slow (NmStackAllocator  *self,
            gsize              size,
            gsize              alignment,
            GError           **error)
{
  guintptr c, p;
  guint8 *mem;

  if (!nm_layout_is_valid (size, alignment))
    return _nm_allocator_fail_layout (NM_ALLOCATOR (self), &self->common, size, alignment, error);

  _nm_stack_check_owner (self);

  if (!_nm_backing_request_allowed (&self->common, size))
    {
      NmFailureInfo info = { .size = size, .alignment = alignment };

      return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
    }

  if G_UNLIKELY (self->region_refused && !_nm_stack_allocator_acquire_region (self))
    return fail_no_region (self, size, alignment, error);

  /* With validation on, a redzone between the block below and this word. */
  c = (guintptr) self->fast.cursor;
  p = nm_align_up (c + self->redzone + NM_STACK_HEADER, MAX (alignment, NM_STACK_HEADER));
  if (p > (guintptr) self->end || size > (guintptr) self->end - p)
    return fail_out_of_memory (self, size, alignment, error);

  mem = push_block (self, c, p, size);

  nm_sanitizer_hand_out (self->fast.base, mem, size, self->common.sanitize, self->common.poison);
  _nm_allocator_note_alloc (&self->common, mem, size);

  return mem;
}

/* Hot path: align, compare, one sealed store below the block (its check
 * costs a multiply). Anything unusual (sanitizers, poisoning, validation,
 * a bad layout, no room: fast.limit is NULL when not hot) goes to
 * alloc_slow. */
static inline gpointer
alloc_hot (NmStackAllocator  *self,
           gsize              size,
           gsize              alignment,
           GError           **error)
{
  guintptr c = (guintptr) self->fast.cursor;
  guintptr p = nm_align_up (c + NM_STACK_HEADER, MAX (alignment, NM_STACK_HEADER));

  if G_LIKELY (nm_layout_is_valid (size, alignment) &&
               p <= (guintptr) self->fast.limit &&
               size <= (guintptr) self->fast.limit - p)
    return push_block (self, c, p, size);

  return alloc_slow (self, size, alignment, error);
}

/**
 * nm_stack_allocator_alloc: (skip)
 * @self: an #NmStackAllocator
 * @size: number of bytes, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Pushes @size bytes aligned to @alignment (and to at least 8) onto the
 * stack: the direct, fastest entry point, for callers that know they have a
 * stack allocator. Bindings call nm_allocator_alloc(), which does the same.
 *
 * Returns: (transfer none) (nullable): the memory, or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
(nm_stack_allocator_alloc) (NmStackAllocator  *self,
                          gsize              size,
                          gsize              alignment,
                          GError           **error)
{
  NM_STACK_CHECK (self, NULL);

  return alloc_hot (self, size, alignment, error);
}

gpointer
_nm_stack_allocator_iface_alloc (NmAllocator  *allocator,
                                 gsize         size,
                                 gsize         alignment,
                                 GError      **error)
{
  /* The interface checked the type already. */
  return alloc_hot ((NmStackAllocator *) allocator, size, alignment, error);
}

/* Free */

/* Pops @mem if it is the top of the current frame and nothing unusual is
 * on: the inline path of the header (two compares, opening the word: a
 * multiply, and one range compare of what it restores). */
static inline gboolean
try_pop_fast (NmStackAllocator *self,
              guint8           *mem)
{
  return _nm_stack_fast_pop (&self->fast, mem);
}

/**
 * nm_stack_allocator_free: (skip)
 * @self: an #NmStackAllocator
 * @mem: (nullable): the top allocation of @self, or %NULL
 *
 * Pops @mem, which must be the most recent live allocation made since the
 * newest live marker. Anything else (another allocation, memory already
 * released, a foreign pointer) is reported with g_critical(), counted and
 * ignored; the stack is unchanged. Freeing %NULL does nothing.
 *
 * Bindings call nm_allocator_free() with the size and alignment, or
 * nm_stack_allocator_pop(): one method per name, the same on every
 * allocator.
 *
 * Since: 1.0
 */
void
(nm_stack_allocator_free) (NmStackAllocator *self,
                         gpointer          mem)
{
  NM_STACK_CHECK_VOID (self);

  if G_LIKELY (try_pop_fast (self, mem))
    return;

  free_slow (self, mem, 0, FALSE);
}

void
_nm_stack_allocator_iface_free (NmAllocator *allocator,
                                gpointer     mem,
                                gsize        size,
                                gsize        alignment)
{
  NmStackAllocator *self = (NmStackAllocator *) allocator;

  /* The alignment is implied by the address; the size is checked. */
  if G_LIKELY (size == (gsize) (self->fast.cursor - self->fast.top) && try_pop_fast (self, mem))
    return;

  free_slow (self, mem, size, TRUE);
}

/* Resize */

static gboolean
check_frame_not_empty (NmStackAllocator  *self,
                       const char        *what,
                       GError           **error)
{
  NmAllocatorCommon *c = &self->common;

  if (_nm_stack_depth (self) == 0)
    return !!_nm_allocator_fail_misuse (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                        "cannot %s the top allocation: the stack is empty "
                                        "(LIFO violation).", what);

  if (!_nm_stack_frame_has_top (self))
    return !!_nm_allocator_fail_misuse (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                        "cannot %s the top allocation %p: it was allocated "
                                        "before the live marker #%" G_GUINT64_FORMAT " (LIFO "
                                        "violation). Pop to the marker first.",
                                        what, self->fast.top, _nm_stack_newest_mark_id (self));

  return TRUE;
}

static gboolean resize_top (NmStackAllocator  *self,
                            gsize              new_size,
                            GError           **error);

static gboolean
check_top (NmStackAllocator  *self,
           const guint8      *mem,
           const char        *what,
           GError           **error)
{
  NmAllocator *allocator = (NmAllocator *) self;   /* checked by the caller */
  NmAllocatorCommon *c = &self->common;

  if (mem < self->fast.base || mem >= self->end)
    return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                                        "cannot %s %p: it does not hold that memory.",
                                        what, mem);

  if (mem >= self->fast.cursor || _nm_stack_depth (self) == 0)
    return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                        "cannot %s %p: it is not live (already popped or "
                                        "reset).", what, mem);

  if (mem != self->fast.top)
    return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                        "cannot %s %p: only the top allocation (%p, %"
                                        G_GSIZE_FORMAT " bytes) changes size in place (LIFO order).",
                                        what, mem, self->fast.top,
                                        (gsize) (self->fast.cursor - self->fast.top));

  if (!_nm_stack_frame_has_top (self))
    return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                        "cannot %s %p: it was allocated before the live "
                                        "marker #%" G_GUINT64_FORMAT " (LIFO order). Pop to the "
                                        "marker first.",
                                        what, mem, _nm_stack_newest_mark_id (self));

  return TRUE;
}

static void
resize_block (NmStackAllocator *self,
              guint8           *mem,
              gsize             old_size,
              gsize             new_size)
{
  nm_sanitizer_resize_in_place (self->fast.base, mem, old_size, new_size,
                                self->common.sanitize, self->common.poison);
  self->fast.cursor = mem + new_size;
  _nm_stack_raise_peak (self, self->fast.cursor);
}

/**
 * nm_stack_allocator_resize:
 * @self: an #NmStackAllocator
 * @mem: the top allocation of @self
 * @new_size: its new size, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Grows or shrinks the top allocation in place; its address and the bytes
 * it keeps do not change. Only the top allocation of the current frame can
 * be resized: anything else is an %NM_ALLOCATOR_ERROR_LIFO_VIOLATION error
 * (%NM_ALLOCATOR_ERROR_FOREIGN_POINTER for memory @self does not hold).
 * Growing past the capacity is an %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY error
 * that says how much room was left, and a size of 0 an
 * %NM_ALLOCATOR_ERROR_INVALID_LAYOUT error. Nothing changes on failure.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
nm_stack_allocator_resize (NmStackAllocator  *self,
                           gpointer           mem,
                           gsize              new_size,
                           GError           **error)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (mem != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _nm_stack_check_owner (self);

  if (!check_top (self, mem, "resize", error))
    return FALSE;

  return resize_top (self, new_size, error);
}

/**
 * nm_stack_allocator_resize_top:
 * @self: an #NmStackAllocator
 * @new_size: the new size of the top allocation, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Like nm_stack_allocator_resize() for whatever allocation is on top of
 * the current frame; for bindings, which cannot pass addresses. An empty
 * frame is an %NM_ALLOCATOR_ERROR_LIFO_VIOLATION error.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
nm_stack_allocator_resize_top (NmStackAllocator  *self,
                               gsize              new_size,
                               GError           **error)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _nm_stack_check_owner (self);

  if (!check_frame_not_empty (self, "resize", error))
    return FALSE;

  return resize_top (self, new_size, error);
}

/**
 * nm_stack_allocator_pop:
 * @self: an #NmStackAllocator
 * @error: return location for a #GError, or %NULL
 *
 * Pops whatever allocation is on top of the current frame, without naming
 * it: the form of nm_stack_allocator_free() for bindings, which cannot pass
 * addresses. An empty frame (an empty stack, or nothing allocated since the
 * newest live marker) is an %NM_ALLOCATOR_ERROR_LIFO_VIOLATION error and
 * changes nothing.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
nm_stack_allocator_pop (NmStackAllocator  *self,
                        GError           **error)
{
  guint8 *cursor, *top;
  guint64 word;

  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _nm_stack_check_owner (self);

  if (!check_frame_not_empty (self, "pop", error))
    return FALSE;

  if (!word_decode (self, self->fast.top, &cursor, &top, &word))
    {
      _nm_counter_inc (&self->common.n_corruptions);
      return !!_nm_allocator_fail_misuse (NM_ALLOCATOR (self), &self->common, error,
                                          NM_ALLOCATOR_ERROR_CORRUPTION,
                                          "cannot pop %p: the bookkeeping word below it is "
                                          "corrupt (0x%016" G_GINT64_MODIFIER "x), most likely written "
                                          "by a buffer underflow; the stack is unchanged.",
                                          self->fast.top, word);
    }

  _nm_allocator_note_free (&self->common, self->fast.top);
  pop_top (self, cursor, top);

  return TRUE;
}

static gboolean
resize_top (NmStackAllocator  *self,
            gsize              new_size,
            GError           **error)
{
  NmAllocatorCommon *c = &self->common;
  guint8 *mem = self->fast.top;
  gsize old_size;

  old_size = (gsize) (self->fast.cursor - self->fast.top);

  if (new_size == 0)
    return !!_nm_allocator_fail_misuse (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                                        "cannot resize the top allocation %p (%" G_GSIZE_FORMAT
                                        " bytes) to 0 bytes: sizes start at 1 byte. Free it instead.",
                                        mem, old_size);

  if (new_size > (gsize) (self->end - self->fast.top))
    {
      g_autofree char *usage = _nm_size_format_usage (_nm_stack_used (self), self->capacity);

      return !!_nm_allocator_fail_misuse (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                                          "cannot grow the top allocation %p from %"
                                          G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT " bytes in place: "
                                          "only %" G_GSIZE_FORMAT " bytes are free above it (%s). "
                                          "Raise capacity, or pop what lies below before building "
                                          "large objects.",
                                          mem, old_size, new_size,
                                          (gsize) (self->end - self->fast.cursor), usage);
    }

  resize_block (self, mem, old_size, new_size);

  return TRUE;
}

