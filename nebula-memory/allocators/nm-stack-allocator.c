/* nm-stack-allocator.c: LIFO allocator with markers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-allocator-private.h"
#include "nm-memory-config-builder.h"
#include "nm-memory-config-private.h"
#include "nm-sanitizer-private.h"
#include "nm-stack-allocator-private.h"

/**
 * SECTION:nm-stack-allocator
 * @Title: NmStackAllocator
 * @Short_description: last-in-first-out allocator with markers
 *
 * An #NmStackAllocator hands out memory from one fixed region in
 * last-in-first-out order: scratch memory whose lifetime follows the call
 * stack. Each allocation has its own alignment; nm_stack_allocator_free()
 * must name the most recent live allocation (the top). Freeing anything
 * else is a LIFO violation: it is reported once with g_critical() naming
 * the pointer given and the current top, counted in
 * #NmAllocatorStats.invalid_free_count, and the stack is left exactly as it
 * was. Through nm_allocator_free() the size is checked as well.
 *
 * Markers split the stack into frames. nm_stack_allocator_push_marker()
 * opens a frame and nm_stack_allocator_pop_to_marker() releases everything
 * allocated since, whatever the number of allocations, in constant time.
 * Markers nest and pop in reverse order: popping an outer marker releases
 * the inner ones, and popping a marker that is no longer live fails with
 * %NM_ALLOCATOR_ERROR_LIFO_VIOLATION without changing anything. While a
 * marker is live, allocations made before it cannot be freed or resized.
 * #NmStackScope pops its marker at the end of a C scope, so scratch memory
 * cannot outlive the function that made it.
 *
 * nm_stack_allocator_resize() grows or shrinks the top allocation in
 * place, for objects of unknown final length (obstack's "growing object"):
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmStackAllocator) stack = nm_stack_allocator_new (64 * 1024, NULL);
 * g_auto(NmStackScope) scope = nm_stack_allocator_begin_scope (stack);
 * gsize len = 0, room = 64;
 * char *buf = nm_stack_allocator_alloc (stack, room, 1, &error);
 *
 * while (more_input ())
 *   {
 *     if (len == room && !nm_stack_allocator_resize (stack, buf, room *= 2, &error))
 *       return FALSE;   // error explains how much room was left
 *     buf[len++] = next_char ();
 *   }
 * ]|
 *
 * A stack belongs to one thread: %NM_ALLOCATOR_KIND_STACK with
 * `thread-safe=true` is an %NM_CONFIG_ERROR_INCOMPATIBLE configuration.
 * With validation on (the development preset) the first thread to use the
 * stack owns it, and use from any other thread is reported with
 * g_critical().
 *
 * Each allocation costs an 8-byte bookkeeping word just below it, and
 * allocations start at least 8-byte aligned.
 */

/* Invariants
 *
 *  - the region is [base, limit); bytes in use are [base, cursor);
 *  - top is the start of the most recent live allocation, or base when
 *    the stack is empty; the top allocation is [top, cursor);
 *  - every allocation p (8-aligned) has the word at p - 8:
 *      bits  0..23: p - (cursor before p was allocated)   (pad, >= 8)
 *      bits 24..63: size of the allocation below p at that time
 *    so popping p restores cursor = p - pad and top = cursor - size. The pad
 *    is below page size + 16 and the size below 2^40 (the largest
 *    capacity), so both fit;
 *  - depth counts live allocations; markers form a stack (marks) of the
 *    state when each was pushed; frame_depth is the depth at the newest
 *    live marker (0 without one): only the top allocation of the current
 *    frame (depth > frame_depth) may be freed or resized;
 *  - with sanitizers active, bookkeeping words are always poisoned and
 *    each allocation is a block of the memcheck mempool at base.
 */

#define HEADER   _NM_STACK_WORD_SIZE
#define PAD_BITS _NM_STACK_WORD_PAD_BITS
#define PAD_MASK ((G_GUINT64_CONSTANT (1) << PAD_BITS) - 1)

/* The size of the allocation below must fit above the pad. */
G_STATIC_ASSERT (NM_MAX_CAPACITY <= (G_GUINT64_CONSTANT (1) << (64 - PAD_BITS)));

typedef struct
{
  guint64  id;
  guint8  *cursor;
  guint8  *top;
  gsize    depth;
} MarkRecord;

struct _NmStackAllocator
{
  GObject            parent_instance;

  /* Hot: push and pop touch only these; the inline fast paths in the
   * header read them right after the GObject. */
  NmStackAllocatorFast fast;

  gsize              capacity;
  GArray            *marks;        /* MarkRecord, oldest first */
  guint64            next_mark_id;
  guint64            last_popped_id;
  guint64            epoch;        /* bumped by reset: kills every marker */

  NmAllocatorCommon  common;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (struct _NmStackAllocator, fast) == sizeof (GObject));

enum {
  SLOW_SANITIZE = 1 << 0,
  SLOW_POISON   = 1 << 1,
  SLOW_VALIDATE = 1 << 2,
};

enum {
  PROP_DEPTH = NM_ALLOCATOR_PROP_LAST,
  PROP_MARKER_COUNT,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];
static GType stack_type;

static void nm_stack_allocator_iface_init (NmAllocatorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NmStackAllocator, nm_stack_allocator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR,
                                                      nm_stack_allocator_iface_init))

G_DEFINE_BOXED_TYPE (NmStackMarker, nm_stack_marker,
                     nm_stack_marker_copy, nm_stack_marker_free)

/* A type check cheap enough for the hot path: one compare of the instance's
 * class type against the cached GType, removed by G_DISABLE_CHECKS. */
#define NM_STACK_CHECK(self, val) \
  g_return_val_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == stack_type, val)
#define NM_STACK_CHECK_VOID(self) \
  g_return_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == stack_type)

static inline MarkRecord *
mark_at (NmStackAllocator *self,
         guint             index)
{
  return &g_array_index (self->marks, MarkRecord, index);
}

static inline guint64
newest_mark_id (NmStackAllocator *self)
{
  return self->marks->len > 0 ? mark_at (self, self->marks->len - 1)->id : 0;
}

/* Bookkeeping words.
 *
 * With sanitizers the words stay poisoned so that an underflow of a block
 * is reported; the allocator exposes one only for its own access. Under
 * Valgrind the word must be readable as defined: poisoning forgot that it
 * was written. */

static inline void
word_store (NmStackAllocator *self,
            guint8           *mem,
            guint64           word)
{
  guint64 *slot = (guint64 *) (gpointer) (mem - HEADER);

  word ^= _nm_stack_word_code (&self->fast, mem);

  if (self->common.sanitize)
    {
      nm_sanitizer_unpoison (slot, HEADER);
      *slot = word;
      nm_sanitizer_poison (slot, HEADER);
      return;
    }

  *slot = word;
}

static inline guint64
word_load (NmStackAllocator *self,
           const guint8     *mem)
{
  const guint64 *slot = (const guint64 *) (gconstpointer) (mem - HEADER);
  guint64 word;

  if (self->common.sanitize)
    {
#ifdef NM_HAVE_ASAN
      ASAN_UNPOISON_MEMORY_REGION (slot, HEADER);
#endif
#if HAVE_VALGRIND
      VALGRIND_MAKE_MEM_DEFINED (slot, HEADER);
#endif
      word = *slot;
      nm_sanitizer_poison (slot, HEADER);
    }
  else
    word = *slot;

  return word ^ _nm_stack_word_code (&self->fast, mem);
}

/* Whether @word, the bookkeeping word of the top allocation @mem, leads
 * back inside the region: what a buffer underflow would break. */
static inline gboolean
word_is_plausible (NmStackAllocator *self,
                   const guint8     *mem,
                   guint64           word)
{
  return _nm_stack_word_valid (&self->fast, mem, word);
}

static inline void
note_peak (NmStackAllocator *self)
{
  if (self->fast.cursor > self->fast.peak_cursor)
    self->fast.peak_cursor = self->fast.cursor;
}

static inline gsize
stack_used (NmStackAllocator *self)
{
  return (gsize) (self->fast.cursor - self->fast.base);
}

/* Development checks */

static inline void
check_owner (NmStackAllocator *self)
{
  if (self->fast.slow_flags & SLOW_VALIDATE)
    _nm_allocator_check_owner (&self->common,
                               "a stack allocator serves one thread, and "
                               "last-in-first-out order has no meaning across "
                               "threads. Give each thread its own stack.");
}

/* Releasing memory */

/* [from, to) no longer holds live data: fill it and tell the tools. */
static void
release_range (NmStackAllocator *self,
               guint8           *from,
               guint8           *to)
{
  if (to <= from)
    return;

  if (self->common.poison)
    {
      if (self->common.sanitize)
        nm_sanitizer_unpoison (from, (gsize) (to - from));
      memset (from, NM_POISON_FREED, (gsize) (to - from));
    }

  if (self->common.sanitize)
    nm_sanitizer_pool_trim (self->fast.base, self->fast.base, (gsize) (from - self->fast.base),
                            (gsize) (to - from));
}

/* Pops the top allocation @mem, whose word was checked. */
static inline void
pop_top (NmStackAllocator *self,
         guint8           *mem,
         guint64           word)
{
  guint8 *cursor = mem - (word & PAD_MASK);

  note_peak (self);
  if G_UNLIKELY (self->fast.slow_flags & (SLOW_SANITIZE | SLOW_POISON))
    release_range (self, cursor, self->fast.cursor);

  self->fast.cursor = cursor;
  self->fast.top = cursor - (word >> PAD_BITS);
  self->fast.depth--;
  self->fast.n_frees += self->fast.count_step;
}

static void
report_corrupt_word (NmStackAllocator *self,
                     gconstpointer     mem,
                     guint64           word)
{
  _nm_counter_inc (&self->common.n_corruptions);
  g_critical ("%s “%s”: the bookkeeping word below the top allocation %p is corrupt "
              "(0x%016" G_GINT64_MODIFIER "x), most likely written by a buffer underflow "
              "of that allocation; the free was ignored and the stack is unchanged.",
              self->common.label, self->common.name, mem, word);
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
  guint64 word;

  if (mem == NULL)
    return;

  check_owner (self);

  if (mem < self->fast.base || mem >= self->fast.limit)
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "free of a pointer it does not hold (a foreign "
                                         "pointer, or memory of another allocator)");
      return;
    }

  if (mem >= self->fast.cursor || self->fast.depth == 0)
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "free of memory that is not live (a double free, "
                                         "or memory released by a pop or a reset); the top "
                                         "is %p with %" G_GSIZE_FORMAT " live allocations",
                                         self->fast.depth ? (gpointer) self->fast.top : NULL,
                                         self->fast.depth);
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

  if (self->fast.depth <= self->fast.frame_depth)
    {
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "LIFO violation: free of %p, the top of the stack, "
                                         "which was allocated before the live marker #%"
                                         G_GUINT64_FORMAT "; the current frame is empty. "
                                         "Pop to the marker first",
                                         mem, newest_mark_id (self));
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

  word = word_load (self, mem);
  if (!word_is_plausible (self, mem, word))
    {
      report_corrupt_word (self, mem, word);
      return;
    }

  pop_top (self, mem, word);
}

/* Allocation */

static gpointer
fail_out_of_memory (NmStackAllocator  *self,
                    gsize              size,
                    gsize              alignment,
                    GError           **error)
{
  NmAllocatorCommon *c = &self->common;
  g_autofree char *usage = _nm_format_usage (stack_used (self), self->capacity);

  return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                             "%s “%s” cannot allocate %" G_GSIZE_FORMAT " bytes (alignment %"
                             G_GSIZE_FORMAT "): %s by %" G_GSIZE_FORMAT " live allocations, "
                             "%" G_GSIZE_FORMAT " bytes free above the top, and each "
                             "allocation takes %d bytes of bookkeeping. Pop what is no longer "
                             "needed, or raise capacity.",
                             c->label, c->name, size, alignment, usage, self->fast.depth,
                             (gsize) (self->fast.limit - self->fast.cursor), HEADER);
}

/* Pushes [p, p + size), found room for with the cursor at @c. */
static inline gpointer
push_block (NmStackAllocator *self,
            guintptr          c,
            guintptr          p,
            gsize             size)
{
  guint8 *mem = (guint8 *) p;

  word_store (self, mem, ((guint64) (c - (guintptr) self->fast.top) << PAD_BITS) | (p - c));
  self->fast.top = mem;
  self->fast.cursor = mem + size;
  self->fast.depth++;
  self->fast.n_allocs += self->fast.count_step;

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

  check_owner (self);

  c = (guintptr) self->fast.cursor;
  p = nm_align_up (c + HEADER, MAX (alignment, HEADER));
  if (p > (guintptr) self->fast.limit || size > (guintptr) self->fast.limit - p)
    return fail_out_of_memory (self, size, alignment, error);

  mem = push_block (self, c, p, size);

  if (self->common.sanitize)
    nm_sanitizer_block_alloc (self->fast.base, mem, size);
  if (self->common.poison)
    memset (mem, NM_POISON_FRESH, size);

  return mem;
}

/* Hot path: align, compare, one store below the block. Anything unusual
 * (sanitizers, poisoning, validation, a bad layout, no room) goes to
 * alloc_slow. */
static inline gpointer
alloc_hot (NmStackAllocator  *self,
           gsize              size,
           gsize              alignment,
           GError           **error)
{
  guintptr c = (guintptr) self->fast.cursor;
  guintptr p = nm_align_up (c + HEADER, MAX (alignment, HEADER));

  if G_LIKELY (self->fast.slow_flags == 0 &&
               nm_layout_is_valid (size, alignment) &&
               p <= (guintptr) self->fast.limit &&
               size <= (guintptr) self->fast.limit - p)
    return push_block (self, c, p, size);

  return alloc_slow (self, size, alignment, error);
}

/**
 * nm_stack_allocator_alloc:
 * @self: an #NmStackAllocator
 * @size: number of bytes, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Pushes @size bytes aligned to @alignment (and to at least 8) onto the
 * stack: the direct, fastest entry point, for callers that know they have a
 * stack allocator.
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

static gpointer
stack_alloc (NmAllocator  *allocator,
             gsize         size,
             gsize         alignment,
             GError      **error)
{
  /* The interface checked the type already. */
  return alloc_hot ((NmStackAllocator *) allocator, size, alignment, error);
}

/* Free */

/* Pops @mem if it is the top of the current frame and nothing unusual is
 * on: two compares and a plausibility check of its word. */
static inline gboolean
try_pop_fast (NmStackAllocator *self,
              guint8           *mem)
{
  guint64 word;

  if G_UNLIKELY (mem != self->fast.top || self->fast.depth <= self->fast.frame_depth || self->fast.slow_flags != 0)
    return FALSE;

  word = ((const guint64 *) (gconstpointer) mem)[-1] ^ _nm_stack_word_code (&self->fast, mem);
  if G_UNLIKELY (!word_is_plausible (self, mem, word))
    return FALSE;

  pop_top (self, mem, word);
  return TRUE;
}

/**
 * nm_stack_allocator_free:
 * @self: an #NmStackAllocator
 * @mem: (nullable): the top allocation of @self, or %NULL
 *
 * Pops @mem, which must be the most recent live allocation made since the
 * newest live marker. Anything else (another allocation, memory already
 * released, a foreign pointer) is reported with g_critical(), counted and
 * ignored; the stack is unchanged. Freeing %NULL does nothing.
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

static void
stack_free (NmAllocator *allocator,
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

static gboolean
stack_owns (NmAllocator   *allocator,
            gconstpointer  mem)
{
  NmStackAllocator *self = (NmStackAllocator *) allocator;
  const guint8 *p = mem;

  return p >= self->fast.base && p < self->fast.cursor;
}

/* Resize */

static gboolean
check_frame_not_empty (NmStackAllocator  *self,
                       const char        *what,
                       GError           **error)
{
  NmAllocatorCommon *c = &self->common;

  if (self->fast.depth == 0)
    return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot %s the top allocation: the stack is empty "
                                 "(LIFO violation).", c->label, c->name, what);

  if (self->fast.depth <= self->fast.frame_depth)
    return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot %s the top allocation %p: it was allocated "
                                 "before the live marker #%" G_GUINT64_FORMAT " (LIFO "
                                 "violation). Pop to the marker first.",
                                 c->label, c->name, what, self->fast.top, newest_mark_id (self));

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
  NmAllocator *allocator = NM_ALLOCATOR (self);
  NmAllocatorCommon *c = &self->common;

  if (mem < self->fast.base || mem >= self->fast.limit)
    return !!_nm_allocator_fail (allocator, c, error, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                                 "%s “%s” cannot %s %p: it does not hold that memory.",
                                 c->label, c->name, what, mem);

  if (mem >= self->fast.cursor || self->fast.depth == 0)
    return !!_nm_allocator_fail (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot %s %p: it is not live (already popped or "
                                 "reset).", c->label, c->name, what, mem);

  if (mem != self->fast.top)
    return !!_nm_allocator_fail (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot %s %p: only the top allocation (%p, %"
                                 G_GSIZE_FORMAT " bytes) changes size in place (LIFO order).",
                                 c->label, c->name, what, mem, self->fast.top,
                                 (gsize) (self->fast.cursor - self->fast.top));

  if (self->fast.depth <= self->fast.frame_depth)
    return !!_nm_allocator_fail (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot %s %p: it was allocated before the live "
                                 "marker #%" G_GUINT64_FORMAT " (LIFO order). Pop to the "
                                 "marker first.",
                                 c->label, c->name, what, mem, newest_mark_id (self));

  return TRUE;
}

static void
resize_block (NmStackAllocator *self,
              guint8           *mem,
              gsize             old_size,
              gsize             new_size)
{
  if (new_size < old_size)
    {
      note_peak (self);
      if (self->common.poison)
        memset (mem + new_size, NM_POISON_FREED, old_size - new_size);
    }

  if (self->common.sanitize)
    {
#if HAVE_VALGRIND
      VALGRIND_MEMPOOL_CHANGE (self->fast.base, mem, mem, new_size);
#endif
      if (new_size > old_size)
        nm_sanitizer_unpoison (mem + old_size, new_size - old_size);
      else
        nm_sanitizer_poison (mem + new_size, old_size - new_size);
    }

  if (new_size > old_size && self->common.poison)
    memset (mem + old_size, NM_POISON_FRESH, new_size - old_size);

  self->fast.cursor = mem + new_size;
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

  check_owner (self);

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

  check_owner (self);

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
  guint64 word;

  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  check_owner (self);

  if (!check_frame_not_empty (self, "pop", error))
    return FALSE;

  word = word_load (self, self->fast.top);
  if (!word_is_plausible (self, self->fast.top, word))
    {
      _nm_counter_inc (&self->common.n_corruptions);
      return !!_nm_allocator_fail (NM_ALLOCATOR (self), &self->common, error,
                                   NM_ALLOCATOR_ERROR_CORRUPTION,
                                   "%s “%s” cannot pop %p: the bookkeeping word below it is "
                                   "corrupt (0x%016" G_GINT64_MODIFIER "x), most likely written "
                                   "by a buffer underflow; the stack is unchanged.",
                                   self->common.label, self->common.name, self->fast.top, word);
    }

  pop_top (self, self->fast.top, word);

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
    return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                                 "%s “%s” cannot resize the top allocation %p (%" G_GSIZE_FORMAT
                                 " bytes) to 0 bytes: sizes start at 1 byte. Free it instead.",
                                 c->label, c->name, mem, old_size);

  if (new_size > (gsize) (self->fast.limit - self->fast.top))
    {
      g_autofree char *usage = _nm_format_usage (stack_used (self), self->capacity);

      return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                                   "%s “%s” cannot grow the top allocation %p from %"
                                   G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT " bytes in place: "
                                   "only %" G_GSIZE_FORMAT " bytes are free above it (%s). "
                                   "Raise capacity, or pop what lies below before building "
                                   "large objects.",
                                   c->label, c->name, mem, old_size, new_size,
                                   (gsize) (self->fast.limit - self->fast.cursor), usage);
    }

  resize_block (self, mem, old_size, new_size);

  return TRUE;
}

/* Reset */

/**
 * nm_stack_allocator_reset:
 * @self: an #NmStackAllocator
 *
 * Empties the stack: every allocation and every marker is released; the
 * same as nm_allocator_reset(). Markers pushed before are stale afterwards.
 *
 * Since: 1.0
 */
void
nm_stack_allocator_reset (NmStackAllocator *self)
{
  gboolean had_depth, had_marks;

  g_return_if_fail (NM_IS_STACK_ALLOCATOR (self));

  check_owner (self);

  had_depth = self->fast.depth != 0;
  had_marks = self->marks->len != 0;

  note_peak (self);
  release_range (self, self->fast.base, self->fast.cursor);

  self->fast.cursor = self->fast.base;
  self->fast.top = self->fast.base;
  self->fast.depth = 0;
  self->fast.frame_depth = 0;
  g_array_set_size (self->marks, 0);
  self->epoch++;
  _nm_allocator_reset_done (NM_ALLOCATOR (self), &self->common, properties,
                            0, (guint64) (self->fast.peak_cursor - self->fast.base));
  if (had_depth)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DEPTH]);
  if (had_marks)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MARKER_COUNT]);
}

static void
stack_reset (NmAllocator *allocator)
{
  nm_stack_allocator_reset ((NmStackAllocator *) allocator);
}

static gsize
stack_trim (NmAllocator *allocator)
{
  /* One fixed region, live until the allocator is finalized. */
  return 0;
}

static void
stack_get_stats (NmAllocator      *allocator,
                 NmAllocatorStats *stats)
{
  NmStackAllocator *self = (NmStackAllocator *) allocator;
  guint8 *peak = MAX (self->fast.peak_cursor, self->fast.cursor);

  stats->capacity = self->capacity;
  stats->bytes_used = stack_used (self);
  stats->bytes_peak = (guint64) (peak - self->fast.base);
  stats->bytes_reserved = self->capacity + (guint64) self->marks->len * sizeof (MarkRecord);
  stats->allocation_count = self->fast.n_allocs;
  stats->free_count = self->fast.n_frees;
  _nm_allocator_fill_common_stats (&self->common, stats);
}

/* Accessors */

/**
 * nm_stack_allocator_get_top_size:
 * @self: an #NmStackAllocator
 *
 * Gets the top size of @self.
 *
 * Returns: the size of the top allocation, or 0 when the stack is empty
 *
 * Since: 1.0
 */
gsize
nm_stack_allocator_get_top_size (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return self->fast.depth ? (gsize) (self->fast.cursor - self->fast.top) : 0;
}

/**
 * nm_stack_allocator_get_available:
 * @self: an #NmStackAllocator
 *
 * Gets the available of @self.
 *
 * Returns: the bytes free above the top: how far the top allocation can
 *   grow with nm_stack_allocator_resize()
 *
 * Since: 1.0
 */
gsize
nm_stack_allocator_get_available (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return (gsize) (self->fast.limit - self->fast.cursor);
}

/**
 * nm_stack_allocator_get_depth:
 * @self: an #NmStackAllocator
 *
 * Gets the depth of @self.
 *
 * Returns: the number of live allocations, the #NmStackAllocator:depth
 *
 * Since: 1.0
 */
guint64
nm_stack_allocator_get_depth (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return self->fast.depth;
}

/**
 * nm_stack_allocator_get_marker_count:
 * @self: an #NmStackAllocator
 *
 * Gets the marker count of @self.
 *
 * Returns: the number of live markers, the #NmStackAllocator:marker-count
 *
 * Since: 1.0
 */
guint
nm_stack_allocator_get_marker_count (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return self->marks->len;
}

/* Markers */

/**
 * nm_stack_marker_copy:
 * @marker: an #NmStackMarker
 *
 * Copies a marker, for bindings that keep markers on the heap.
 *
 * Returns: (transfer full): a copy of @marker
 *
 * Since: 1.0
 */
NmStackMarker *
nm_stack_marker_copy (const NmStackMarker *marker)
{
  g_return_val_if_fail (marker != NULL, NULL);

  return g_memdup2 (marker, sizeof *marker);
}

/**
 * nm_stack_marker_free:
 * @marker: (transfer full): an #NmStackMarker from nm_stack_marker_copy()
 *
 * Frees a copied marker.
 *
 * Since: 1.0
 */
void
nm_stack_marker_free (NmStackMarker *marker)
{
  g_free (marker);
}

/**
 * nm_stack_allocator_push_marker:
 * @self: an #NmStackAllocator
 * @marker: (out caller-allocates): the new marker
 *
 * Opens a frame: nm_stack_allocator_pop_to_marker() with @marker releases
 * everything allocated afterwards. Until then, allocations made before
 * @marker cannot be freed or resized.
 *
 * Since: 1.0
 */
void
nm_stack_allocator_push_marker (NmStackAllocator *self,
                                NmStackMarker    *marker)
{
  MarkRecord record;

  g_return_if_fail (NM_IS_STACK_ALLOCATOR (self));
  g_return_if_fail (marker != NULL);

  check_owner (self);

  record.id = ++self->next_mark_id;
  record.cursor = self->fast.cursor;
  record.top = self->fast.top;
  record.depth = self->fast.depth;

  memset (marker, 0, sizeof *marker);
  marker->allocator = self;
  marker->id = record.id;
  marker->index = self->marks->len;
  marker->epoch = self->epoch;

  g_array_append_val (self->marks, record);
  self->fast.frame_depth = self->fast.depth;
}

/**
 * nm_stack_allocator_pop_to_marker:
 * @self: an #NmStackAllocator
 * @marker: a live marker of @self
 * @error: return location for a #GError, or %NULL
 *
 * Releases everything allocated since @marker was pushed, and the markers
 * pushed after it, in constant time; then @marker itself, closing its frame.
 *
 * A marker of another allocator fails with
 * %NM_ALLOCATOR_ERROR_FOREIGN_POINTER; a marker that is no longer live
 * (popped already, released by popping an older marker, or reset) fails
 * with %NM_ALLOCATOR_ERROR_LIFO_VIOLATION. Nothing changes on failure.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
nm_stack_allocator_pop_to_marker (NmStackAllocator     *self,
                                  const NmStackMarker  *marker,
                                  GError              **error)
{
  NmAllocatorCommon *c;
  MarkRecord record;
  guint index;

  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (marker != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  c = &self->common;
  check_owner (self);

  if (marker->allocator != self)
    return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                                 "%s “%s” cannot pop to a marker of another allocator (%p). "
                                 "Pop it on the allocator that pushed it.",
                                 c->label, c->name, marker->allocator);

  if (marker->epoch != self->epoch)
    return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot pop to marker #%" G_GUINT64_FORMAT ": the "
                                 "stack was reset after it was pushed (LIFO violation). Push "
                                 "markers after the reset.",
                                 c->label, c->name, marker->id);

  if (marker->index >= self->marks->len ||
      mark_at (self, (guint) marker->index)->id != marker->id)
    {
      if (marker->id == self->last_popped_id)
        return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error,
                                     NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                     "%s “%s” cannot pop to marker #%" G_GUINT64_FORMAT ": it "
                                     "was popped already (LIFO violation); a marker pops once.",
                                     c->label, c->name, marker->id);

      return !!_nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                   "%s “%s” cannot pop to marker #%" G_GUINT64_FORMAT ": it is "
                                   "no longer live, released when a marker taken before it was "
                                   "popped, or popped already (LIFO violation). Pop markers in "
                                   "reverse order of pushing them.",
                                   c->label, c->name, marker->id);
    }

  index = (guint) marker->index;
  record = *mark_at (self, index);

  note_peak (self);
  if G_UNLIKELY (self->fast.slow_flags & (SLOW_SANITIZE | SLOW_POISON))
    release_range (self, record.cursor, self->fast.cursor);

  self->fast.n_frees += self->fast.count_step * (self->fast.depth - record.depth);
  self->fast.cursor = record.cursor;
  self->fast.top = record.top;
  self->fast.depth = record.depth;
  self->last_popped_id = record.id;

  /* Dropping the tail of the array is O(1): records need no clearing. */
  g_array_set_size (self->marks, index);
  self->fast.frame_depth = index > 0 ? mark_at (self, index - 1)->depth : 0;

  return TRUE;
}

/**
 * nm_stack_allocator_begin_scope: (skip)
 * @self: an #NmStackAllocator
 *
 * Pushes a marker for an #NmStackScope declared with g_auto().
 *
 * Returns: a scope that pops its marker when cleared
 *
 * Since: 1.0
 */
NmStackScope
nm_stack_allocator_begin_scope (NmStackAllocator *self)
{
  NmStackScope scope = { 0 };

  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), scope);

  scope.allocator = self;
  nm_stack_allocator_push_marker (self, &scope.marker);

  return scope;
}

/**
 * nm_stack_scope_clear: (skip)
 * @scope: an #NmStackScope
 *
 * Pops the scope's marker, releasing what was allocated in the scope. A
 * scope whose marker is no longer live (reset, or an outer marker popped
 * inside the scope) is reported with g_critical(). Clearing twice does
 * nothing.
 *
 * Since: 1.0
 */
void
nm_stack_scope_clear (NmStackScope *scope)
{
  g_autoptr(GError) error = NULL;
  NmStackAllocator *self;

  g_return_if_fail (scope != NULL);

  self = g_steal_pointer (&scope->allocator);
  if (self == NULL)
    return;

  if (!nm_stack_allocator_pop_to_marker (self, &scope->marker, &error))
    g_critical ("Scope ended without popping its marker: %s", error->message);
}

/* Object */

static void
nm_stack_allocator_finalize (GObject *object)
{
  NmStackAllocator *self = (NmStackAllocator *) object;

  if (self->common.leak_report && self->fast.depth > 0)
    {
      g_autofree char *size = g_format_size (stack_used (self));

      g_message ("%s “%s” finalized with %" G_GSIZE_FORMAT " allocations (%s) still on "
                 "the stack.", self->common.label, self->common.name, self->fast.depth, size);
    }

  if (self->fast.base != NULL)
    {
      if (self->common.sanitize)
        {
          nm_sanitizer_pool_destroy (self->fast.base);
          nm_sanitizer_unpoison (self->fast.base, self->capacity);
        }
      g_free (self->fast.base);
    }

  g_array_unref (self->marks);
  _nm_allocator_common_clear (&self->common);

  G_OBJECT_CLASS (nm_stack_allocator_parent_class)->finalize (object);
}

static void
nm_stack_allocator_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NmStackAllocator *self = NM_STACK_ALLOCATOR (object);

  if (_nm_allocator_get_common_property (NM_ALLOCATOR (self), &self->common, prop_id, value))
    return;

  switch (prop_id)
    {
    case PROP_DEPTH:
      g_value_set_uint64 (value, self->fast.depth);
      break;

    case PROP_MARKER_COUNT:
      g_value_set_uint (value, self->marks->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_stack_allocator_class_init (NmStackAllocatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nm_stack_allocator_finalize;
  object_class->get_property = nm_stack_allocator_get_property;

  _nm_allocator_class_override_properties (object_class, properties);
  _nm_allocator_class_set_common (object_class, G_STRUCT_OFFSET (NmStackAllocator, common));

  /**
   * NmStackAllocator:depth:
   *
   * The number of live allocations. Notified on reset, never per
   * allocation.
   *
   * Since: 1.0
   */
  properties [PROP_DEPTH] =
    g_param_spec_uint64 ("depth", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmStackAllocator:marker-count:
   *
   * The number of live markers. Notified on reset, never per push or pop.
   *
   * Since: 1.0
   */
  properties [PROP_MARKER_COUNT] =
    g_param_spec_uint ("marker-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_DEPTH, properties [PROP_DEPTH]);
  g_object_class_install_property (object_class, PROP_MARKER_COUNT, properties [PROP_MARKER_COUNT]);

  /* The pad of an allocation (alignment and bookkeeping) must fit in the
   * low bits of its word. */
  g_assert (nm_page_size + 2 * HEADER <= PAD_MASK);

  stack_type = G_TYPE_FROM_CLASS (klass);
}

static void
nm_stack_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = stack_alloc;
  iface->free = stack_free;
  iface->reset = stack_reset;
  iface->owns = stack_owns;
  iface->get_stats = stack_get_stats;
  iface->trim = stack_trim;
}

static void
nm_stack_allocator_init (NmStackAllocator *self)
{
  self->marks = g_array_new (FALSE, FALSE, sizeof (MarkRecord));
}

NmStackAllocator *
_nm_stack_allocator_new_from_config (NmMemoryConfig  *config,
                                     GError         **error)
{
  g_autoptr(NmStackAllocator) self = NULL;

  g_return_val_if_fail (nm_memory_config_get_kind (config) == NM_ALLOCATOR_KIND_STACK, NULL);

  self = g_object_new (NM_TYPE_STACK_ALLOCATOR, NULL);
  _nm_allocator_common_init (&self->common, "Stack allocator", NULL, FALSE);
  _nm_allocator_common_apply_config (&self->common, config);

  /* The configuration refuses thread-safe stacks; never trust that here. */
  g_return_val_if_fail (!self->common.thread_safe, NULL);

  self->capacity = nm_memory_config_get_capacity (config);
  self->fast.count_step = self->common.track_stats ? 1 : 0;
  /* Odd bits everywhere, so that no partial overwrite decodes to itself. */
  self->fast.secret = ((guint64) g_random_int () << 32 | g_random_int ()) | G_GUINT64_CONSTANT (0x0101010101010101);
  self->fast.slow_flags = (self->common.sanitize ? SLOW_SANITIZE : 0) |
                     (self->common.poison ? SLOW_POISON : 0) |
                     (self->common.validate ? SLOW_VALIDATE : 0);

  self->fast.base = g_try_malloc (self->capacity);
  if (self->fast.base == NULL)
    {
      g_autofree char *size = g_format_size (self->capacity);

      g_set_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                   "%s “%s”: the system refused its region of %s. Lower capacity.",
                   self->common.label, self->common.name, size);
      return NULL;
    }

  self->fast.cursor = self->fast.base;
  self->fast.top = self->fast.base;
  self->fast.peak_cursor = self->fast.base;
  self->fast.limit = self->fast.base + self->capacity;

  if (self->common.sanitize)
    {
      nm_sanitizer_pool_create (self->fast.base);
      nm_sanitizer_poison (self->fast.base, self->capacity);
    }

  return g_steal_pointer (&self);
}

/**
 * nm_stack_allocator_new:
 * @capacity: bytes available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a stack allocator named “stack” with a fixed @capacity. A
 * capacity of 0 or above 1 TiB is an %NM_CONFIG_ERROR_INVALID_VALUE error.
 *
 * Returns: (transfer full) (nullable): a new #NmStackAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmStackAllocator *
nm_stack_allocator_new (gsize    capacity,
                        GError **error)
{
  return nm_stack_allocator_new_full ("stack", capacity, error);
}

/**
 * nm_stack_allocator_new_full:
 * @name: (nullable): the allocator's name, for messages
 * @capacity: bytes available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a stack allocator; the settings are validated like those of an
 * #NmMemoryConfigBuilder.
 *
 * Returns: (transfer full) (nullable): a new #NmStackAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmStackAllocator *
nm_stack_allocator_new_full (const char  *name,
                             gsize        capacity,
                             GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_name (builder, name ? name : "stack");
  nm_memory_config_builder_set_capacity (builder, capacity);

  config = nm_memory_config_builder_build (builder, error);
  if (config == NULL)
    return NULL;

  return _nm_stack_allocator_new_from_config (config, error);
}
