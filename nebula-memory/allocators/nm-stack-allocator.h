/* nm-stack-allocator.h: LIFO allocator with markers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib-object.h>

#include "../nm-allocator.h"
#include "../nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NM_TYPE_STACK_ALLOCATOR:
 *
 * Evaluates to the #GType of #NmStackAllocator.
 *
 * Since: 1.0
 */
#define NM_TYPE_STACK_ALLOCATOR (nm_stack_allocator_get_type ())
/**
 * NM_TYPE_STACK_MARKER:
 *
 * Evaluates to the boxed #GType of #NmStackMarker.
 *
 * Since: 1.0
 */
#define NM_TYPE_STACK_MARKER    (nm_stack_marker_get_type ())

/**
 * NmStackAllocator:
 *
 * A last-in-first-out allocator. All fields are private.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmStackAllocator, nm_stack_allocator, NM, STACK_ALLOCATOR, GObject)

/**
 * NmStackMarker:
 *
 * A position in an #NmStackAllocator, pushed with
 * nm_stack_allocator_push_marker() and popped with
 * nm_stack_allocator_pop_to_marker(). Plain data: keep it on the stack.
 *
 * Since: 1.0
 */
typedef struct _NmStackMarker NmStackMarker;

struct _NmStackMarker
{
  /*< private >*/
  gpointer allocator;
  guint64  id;
  guint64  index;
  guint64  epoch;
  gpointer _reserved[2];
};

/**
 * NmStackScope: (skip)
 *
 * A marker that pops itself: declare it with g_auto() and every allocation
 * made in the scope is released when the scope ends.
 *
 * |[<!-- language="C" -->
 * {
 *   g_auto(NmStackScope) scope = nm_stack_allocator_begin_scope (stack);
 *   char *scratch = nm_stack_allocator_alloc (stack, 4096, 1, NULL);
 *   ...
 * } // scratch is released here
 * ]|
 *
 * Since: 1.0
 */
/* Declared with g_auto() and never read: variables of this type are not
 * unused variables. */
typedef struct _NmStackScope NmStackScope G_GNUC_UNUSED;

struct _NmStackScope
{
  /*< private >*/
  NmStackAllocator *allocator;
  NmStackMarker     marker;
};

#ifndef __GTK_DOC_IGNORE__
#ifndef __GI_SCANNER__
/* Not API: the state the inline fast paths of nm_stack_allocator_alloc()
 * and nm_stack_allocator_free() read and write. It sits right after the
 * GObject in every NmStackAllocator; its layout and the bookkeeping word
 * below each allocation are part of the ABI, its fields are not API. */
typedef struct _NmStackAllocatorFast _NmStackAllocatorFast;

struct _NmStackAllocatorFast
{
  guint8  *cursor;
  guint8  *top;
  guint8  *limit;
  guint8  *base;
  gsize    depth;
  gsize    frame_depth;
  guint8  *peak_cursor;
  guint64  n_allocs;
  guint64  n_frees;
  guint64  count_step;
  guint    slow_flags;
  guint64  secret;
};

/* The bookkeeping word below each allocation p (8-aligned), before it is
 * XORed with _nm_stack_word_code():
 *
 *   bits  0..10  pad: p - (cursor before p was allocated), at least 8;
 *                0 when the pad does not fit (alignments above 1 KiB):
 *                then the word at p - 16 holds it, sealed the same way
 *   bits 11..47  (cursor before p rounded down to 8 - top before p) / 8
 *   bits 48..63  check: a keyed checksum of bits 0..47
 *
 * The top is 8-aligned, so the cursor and the top before p come back
 * exactly from the pad and the rounded distance. The check is the top 16
 * bits of (data ^ code) * K: changing data bit k changes the product by
 * K << k, whose top 16 bits are never 0 or 0xffff for this K, so any
 * single flipped bit of the word fails the check, and any other damage
 * passes it with a chance of one in 65536 (times the range checks). */
#define _NM_STACK_WORD_SIZE     8
#define _NM_STACK_WORD_PAD_BITS 11
#define _NM_STACK_WORD_PAD_MASK ((G_GUINT64_CONSTANT (1) << _NM_STACK_WORD_PAD_BITS) - 1)
#define _NM_STACK_WORD_DATA_MASK ((G_GUINT64_CONSTANT (1) << 48) - 1)
#define _NM_STACK_WORD_CHECK_MUL G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)

static inline guint64
_nm_stack_word_code (const _NmStackAllocatorFast *fast,
                     gconstpointer                mem)
{
  return fast->secret ^ ((guintptr) mem >> 3);
}

/* The stored word for @data (bits 0..47) below @mem. */
static inline guint64
_nm_stack_word_seal (const _NmStackAllocatorFast *fast,
                     gconstpointer                mem,
                     guint64                      data)
{
  guint64 code = _nm_stack_word_code (fast, mem);

  return (data | (((data ^ code) * _NM_STACK_WORD_CHECK_MUL) >> 48 << 48)) ^ code;
}

/* Whether @stored, the word below @mem, is intact; its data in @data. */
static inline gboolean
_nm_stack_word_open (const _NmStackAllocatorFast *fast,
                     gconstpointer                mem,
                     guint64                      stored,
                     guint64                     *data)
{
  guint64 code = _nm_stack_word_code (fast, mem);
  guint64 word = stored ^ code;
  guint64 d = word & _NM_STACK_WORD_DATA_MASK;

  *data = d;
  return (word >> 48) == (((d ^ code) * _NM_STACK_WORD_CHECK_MUL) >> 48);
}

/* The data of the word of an allocation pushed with the cursor at @c and
 * the top at @top, with the pad field @pad (at most 2047). */
static inline guint64
_nm_stack_word_data (guintptr c,
                     guintptr top,
                     guintptr pad)
{
  return ((guint64) ((c & ~(guintptr) 7) - top) << (_NM_STACK_WORD_PAD_BITS - 3)) | (guint64) pad;
}

/* The cursor and the top from before the top allocation @mem was pushed,
 * from the @pad and the rounded distance @below8 of its intact word, if
 * they lie inside the region. A pad of 0 (stored in a second word) fails. */
static inline gboolean
_nm_stack_word_restore (const _NmStackAllocatorFast *fast,
                        const guint8                *mem,
                        guint64                      pad,
                        guint64                      below8,
                        guint8                     **cursor,
                        guint8                     **top)
{
  guintptr c = (guintptr) mem - (guintptr) pad;
  guintptr c8 = c & ~(guintptr) 7;

  /* @mem is 8-aligned, so c8 = mem - pad rounded up to 8, and the top
   * restored, c8 - 8 * below8, is at least base exactly when
   * 8 * below8 + pad <= mem - base (both sides are below 2^48): one
   * compare covers the cursor and the top. */
  if (pad < _NM_STACK_WORD_SIZE ||
      (below8 << 3) + pad > (guintptr) mem - (guintptr) fast->base)
    return FALSE;

  *cursor = (guint8 *) c;
  *top = (guint8 *) (c8 - ((guintptr) below8 << 3));
  return TRUE;
}
#endif /* __GI_SCANNER__ */
#endif /* __GTK_DOC_IGNORE__ */

NM_AVAILABLE_IN_1_0
GType             nm_stack_marker_get_type           (void) G_GNUC_CONST;
NM_AVAILABLE_IN_1_0
NmStackMarker    *nm_stack_marker_copy               (const NmStackMarker *marker);
NM_AVAILABLE_IN_1_0
void              nm_stack_marker_free               (NmStackMarker       *marker);

NM_AVAILABLE_IN_1_0
NmStackAllocator *nm_stack_allocator_new             (gsize                capacity,
                                                      GError             **error);
NM_AVAILABLE_IN_1_0
NmStackAllocator *nm_stack_allocator_new_full        (const char          *name,
                                                      gsize                capacity,
                                                      GError             **error);
NM_AVAILABLE_IN_1_0
gpointer          nm_stack_allocator_alloc           (NmStackAllocator    *self,
                                                      gsize                size,
                                                      gsize                alignment,
                                                      GError             **error);
NM_AVAILABLE_IN_1_0
void              nm_stack_allocator_free            (NmStackAllocator    *self,
                                                      gpointer             mem);
NM_AVAILABLE_IN_1_0
gboolean          nm_stack_allocator_resize          (NmStackAllocator    *self,
                                                      gpointer             mem,
                                                      gsize                new_size,
                                                      GError             **error);
NM_AVAILABLE_IN_1_0
gboolean          nm_stack_allocator_pop             (NmStackAllocator    *self,
                                                      GError             **error);
NM_AVAILABLE_IN_1_0
gboolean          nm_stack_allocator_resize_top      (NmStackAllocator    *self,
                                                      gsize                new_size,
                                                      GError             **error);
NM_AVAILABLE_IN_1_0
void              nm_stack_allocator_reset           (NmStackAllocator    *self);
NM_AVAILABLE_IN_1_0
gsize             nm_stack_allocator_get_top_size    (NmStackAllocator    *self);
NM_AVAILABLE_IN_1_0
gsize             nm_stack_allocator_get_available   (NmStackAllocator    *self);
NM_AVAILABLE_IN_1_0
guint64           nm_stack_allocator_get_depth       (NmStackAllocator    *self);
NM_AVAILABLE_IN_1_0
guint             nm_stack_allocator_get_marker_count (NmStackAllocator   *self);
NM_AVAILABLE_IN_1_0
void              nm_stack_allocator_push_marker     (NmStackAllocator    *self,
                                                      NmStackMarker       *marker);
NM_AVAILABLE_IN_1_0
gboolean          nm_stack_allocator_pop_to_marker   (NmStackAllocator    *self,
                                                      const NmStackMarker *marker,
                                                      GError             **error);
NM_AVAILABLE_IN_1_0
NmStackScope      nm_stack_allocator_begin_scope     (NmStackAllocator    *self);
NM_AVAILABLE_IN_1_0
void              nm_stack_scope_clear               (NmStackScope        *scope);

#ifndef __GTK_DOC_IGNORE__
#ifndef __GI_SCANNER__
/* The common cases inline in the caller: a push, and a pop of the top of
 * the current frame, without sanitizers, poisoning or validation. A call
 * into the library costs as much as the push itself, so everything else
 * (type check, errors, reports) is left to the out-of-line functions.
 * Sealing and opening the word cost a multiply each; alignments above
 * 1 KiB, whose pad needs a second word, go out of line. */
static inline gpointer
_nm_stack_allocator_alloc_inline (NmStackAllocator  *self,
                                  gsize              size,
                                  gsize              alignment,
                                  GError           **error)
{
  if (G_LIKELY (self != NULL))
    {
      _NmStackAllocatorFast *fast = (_NmStackAllocatorFast *) ((GObject *) self + 1);
      gsize align = alignment > _NM_STACK_WORD_SIZE ? alignment : _NM_STACK_WORD_SIZE;
      guintptr c = (guintptr) fast->cursor;
      guintptr p = (c + _NM_STACK_WORD_SIZE + align - 1) & ~(guintptr) (align - 1);

      if (G_LIKELY (fast->slow_flags == 0 &&
                    size != 0 &&
                    (alignment & (alignment - 1)) == 0 &&
                    alignment - 1 < 1024 &&
                    p <= (guintptr) fast->limit &&
                    size <= (guintptr) fast->limit - p))
        {
          ((guint64 *) p)[-1] = _nm_stack_word_seal (fast, (gpointer) p,
                                                     _nm_stack_word_data (c, (guintptr) fast->top, p - c));
          fast->top = (guint8 *) p;
          fast->cursor = (guint8 *) p + size;
          fast->depth++;
          fast->n_allocs += fast->count_step;
          return (gpointer) p;
        }
    }

  return (nm_stack_allocator_alloc) (self, size, alignment, error);
}

/* Pops @mem if it is the top of the current frame and its word is intact;
 * FALSE when the out-of-line path has to decide (and report). A word that
 * fails its check or leads outside the region (a buffer underflow wrote
 * it) is reported out of line. */
static inline gboolean
_nm_stack_fast_pop (_NmStackAllocatorFast *fast,
                    gpointer               mem)
{
  guint8 *top = fast->top;
  guint8 *cursor, *below;
  guint64 data;

  /* The word is read through an integer: after mem == top, compilers take
   * the read for one below whatever object the caller passed as mem. */
  /* No NULL check: the top of a frame holding an allocation is one. */
  if (G_LIKELY ((guint8 *) mem == top &&
                fast->depth > fast->frame_depth &&
                fast->slow_flags == 0 &&
                _nm_stack_word_open (fast, top,
                                     *(const guint64 *) (gconstpointer) ((guintptr) top - _NM_STACK_WORD_SIZE),
                                     &data) &&
                _nm_stack_word_restore (fast, top, data & _NM_STACK_WORD_PAD_MASK,
                                        data >> _NM_STACK_WORD_PAD_BITS, &cursor, &below)))
    {
      if (fast->cursor > fast->peak_cursor)
        fast->peak_cursor = fast->cursor;
      fast->cursor = cursor;
      fast->top = below;
      fast->depth--;
      fast->n_frees += fast->count_step;
      return TRUE;
    }

  return FALSE;
}

static inline void
_nm_stack_allocator_free_inline (NmStackAllocator *self,
                                 gpointer          mem)
{
  if (G_LIKELY (self != NULL) &&
      _nm_stack_fast_pop ((_NmStackAllocatorFast *) ((GObject *) self + 1), mem))
    return;

  (nm_stack_allocator_free) (self, mem);
}

#define nm_stack_allocator_alloc(self, size, alignment, error) \
  (_nm_stack_allocator_alloc_inline ((self), (size), (alignment), (error)))
#define nm_stack_allocator_free(self, mem) \
  (_nm_stack_allocator_free_inline ((self), (mem)))
#endif /* __GI_SCANNER__ */
#endif /* __GTK_DOC_IGNORE__ */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmStackMarker, nm_stack_marker_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NmStackScope, nm_stack_scope_clear)

G_END_DECLS
