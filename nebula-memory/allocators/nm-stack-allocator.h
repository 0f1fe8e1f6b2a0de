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
 * below each allocation are part of the ABI, its fields are not API.
 *
 * The inline paths need no flag: when the stack needs its slow paths
 * (sanitizers, poisoning, validation, a request cap, no region), limit and
 * peak are NULL, so no push fits, and floor is the highest address, so no
 * pop is above it. */
typedef struct _NmStackAllocatorFast _NmStackAllocatorFast;

struct _NmStackAllocatorFast
{
  guint8  *cursor;     /* end of the top allocation (base when empty) */
  guint8  *top;        /* start of the top allocation (base when empty) */
  guint8  *floor;      /* the top when the newest live marker was pushed, else base */
  guint8  *peak;       /* the highest cursor ever: pushes below it note nothing */
  guint8  *limit;      /* end of the region */
  guint8  *base;
  guint64  n_pushes;   /* counted always: the depth derives from them */
  guint64  n_pops;     /* single pops and those of pops to a marker */
  guint64  secret;
  guint    slow_flags; /* the slow-path flags that are on; not read inline */
};

/* The bookkeeping word below each allocation p (8-aligned) holds 48 bits
 * of data:
 *
 *   bits  0..10  pad: p - (cursor before p was allocated), at least 8;
 *                0 when the pad does not fit (alignments above 1 KiB):
 *                then the word at p - 16 holds it, sealed the same way
 *                with the address p - 8, and this word is marked big
 *   bits 11..47  (cursor before p rounded down to 8 - top before p) / 8
 *
 * stored as (data * K⁻¹) ^ secret ^ p. Opening multiplies back by K: the
 * word is intact when the product is below 2⁴⁸, and the product is the
 * data. Flipping bit k of the stored word changes the product by ±K << k,
 * whose top 16 bits lie in [364, 65172] for this K and every k, so any
 * single flipped bit moves the product's top 16 bits by at least 363 and
 * fails the check; other damage, blind to the secret, passes it with a
 * chance of one in 65536 (times the range check). A big word is sealed
 * with top bits 1 instead of 0 (data | _NM_STACK_WORD_BIG): the inline pop
 * never opens it, only the out-of-line path does, and no single flipped
 * bit turns one kind into the other. Sealing costs one multiply, opening
 * one multiply and a shift.
 *
 * The top is 8-aligned, so the cursor and the top before p come back
 * exactly from the pad and the rounded distance. */
#define _NM_STACK_WORD_SIZE      8
#define _NM_STACK_WORD_PAD_BITS  11
#define _NM_STACK_WORD_PAD_MASK  ((G_GUINT64_CONSTANT (1) << _NM_STACK_WORD_PAD_BITS) - 1)
#define _NM_STACK_WORD_CHECK_MUL G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)
#define _NM_STACK_WORD_SEAL_MUL  G_GUINT64_CONSTANT (0xf1de83e19937733d)   /* its inverse mod 2⁶⁴ */
#define _NM_STACK_WORD_BIG       (G_GUINT64_CONSTANT (1) << 48)
/* Larger requests never fit (capacities stop at 1 TiB); below it, the end
 * of a push cannot wrap. */
#define _NM_STACK_MAX_INLINE_SIZE (G_GUINT64_CONSTANT (1) << 40)

/* The stored word for @data (below 2⁴⁸) sealed with the address @mem. */
static inline guint64
_nm_stack_word_seal (const _NmStackAllocatorFast *fast,
                     gconstpointer                mem,
                     guint64                      data)
{
  return (data * _NM_STACK_WORD_SEAL_MUL) ^ fast->secret ^ (guintptr) mem;
}

/* The product of opening @stored, sealed with @mem: intact when below 2⁴⁸,
 * and then its data. */
static inline guint64
_nm_stack_word_product (const _NmStackAllocatorFast *fast,
                        gconstpointer                mem,
                        guint64                      stored)
{
  return (stored ^ fast->secret ^ (guintptr) mem) * _NM_STACK_WORD_CHECK_MUL;
}

/* Whether @stored, the word sealed with @mem, is intact; its data in @data. */
static inline gboolean
_nm_stack_word_open (const _NmStackAllocatorFast *fast,
                     gconstpointer                mem,
                     guint64                      stored,
                     guint64                     *data)
{
  guint64 v = _nm_stack_word_product (fast, mem, stored);

  *data = v;
  return (v >> 48) == 0;
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

/* How far below @mem the top restored by the data @data (below 2⁴⁸) lies,
 * give or take the rounding of the cursor to 8: 8 * distance + pad. The
 * restored cursor is @mem - pad, the restored top (@mem - reach) rounded
 * down to 8; both are at or above a bound b exactly when reach <= @mem - b
 * (@mem and b are 8-aligned): one compare covers both. */
static inline guintptr
_nm_stack_word_reach (guint64 data)
{
  return (guintptr) (((data >> (_NM_STACK_WORD_PAD_BITS - 3)) & ~(guint64) 7) +
                     (data & _NM_STACK_WORD_PAD_MASK));
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
/* The common cases inline in the caller: a push below the peak, and a pop
 * of the top of the current frame, without sanitizers, poisoning or
 * validation. A call into the library costs as much as the push itself, so
 * everything else (type check, errors, reports) is left to the out-of-line
 * functions. With a constant size and alignment, a push is one compare
 * and the sealed store (a multiply), about 20 instructions on x86-64; a
 * pop two compares, opening the word (a multiply and a shift) and one
 * range compare, about 26. Alignments above 1 KiB, whose pad needs a
 * second word, go out of line. */
static inline gpointer
_nm_stack_allocator_alloc_inline (NmStackAllocator  *self,
                                  gsize              size,
                                  gsize              alignment,
                                  GError           **error)
{
  if (G_LIKELY (self != NULL &&
                size - 1 < _NM_STACK_MAX_INLINE_SIZE &&
                (alignment & (alignment - 1)) == 0 &&
                alignment - 1 < 1024))
    {
      _NmStackAllocatorFast *fast = (_NmStackAllocatorFast *) ((GObject *) self + 1);
      gsize align = alignment > _NM_STACK_WORD_SIZE ? alignment : _NM_STACK_WORD_SIZE;
      guintptr c = (guintptr) fast->cursor;
      guintptr p = (c + _NM_STACK_WORD_SIZE + align - 1) & ~(guintptr) (align - 1);
      guintptr end = p + size;

      /* Both bounds are NULL when the stack needs its slow path. */
      if (G_LIKELY (end <= (guintptr) fast->peak) || end <= (guintptr) fast->limit)
        {
          /* The peak is noted here, where the cursor rises past it, and
           * nowhere else: pushes below it (all of them, once a stack is
           * warm) and pops note nothing. */
          if (G_UNLIKELY (end > (guintptr) fast->peak))
            fast->peak = (guint8 *) end;
          ((guint64 *) p)[-1] = _nm_stack_word_seal (fast, (gpointer) p,
                                                     _nm_stack_word_data (c, (guintptr) fast->top, p - c));
          fast->top = (guint8 *) p;
          fast->cursor = (guint8 *) end;
          fast->n_pushes++;
          return (gpointer) p;
        }
    }

  return (nm_stack_allocator_alloc) (self, size, alignment, error);
}

/* Pops @mem if it is the top of the current frame and its word is intact;
 * FALSE when the out-of-line path has to decide (and report): a word that
 * fails its check or leads below the frame (a buffer underflow wrote it),
 * or a big word. Above the floor, the word below @mem lies inside the
 * region; whatever an intact word restores lies inside the frame (a pad
 * below 8 is never stored, and would only put the cursor inside the
 * word). */
static inline gboolean
_nm_stack_fast_pop (_NmStackAllocatorFast *fast,
                    gpointer               mem)
{
  guintptr m = (guintptr) mem;
  guint64 data;
  guintptr reach;

  /* The word is read through an integer: after mem == top, compilers take
   * the read for one below whatever object the caller passed as mem. */
  if (G_LIKELY (mem == (gpointer) fast->top &&
                m > (guintptr) fast->floor &&
                _nm_stack_word_open (fast, mem, *(const guint64 *) (gconstpointer) (m - _NM_STACK_WORD_SIZE), &data) &&
                (reach = _nm_stack_word_reach (data)) <= m - (guintptr) fast->floor))
    {
      fast->cursor = (guint8 *) (m - (guintptr) (data & _NM_STACK_WORD_PAD_MASK));
      fast->top = (guint8 *) ((m - reach) & ~(guintptr) 7);
      fast->n_pops++;
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
