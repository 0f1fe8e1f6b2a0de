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
 * NmStackScope:
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
typedef struct _NmStackScope NmStackScope;

struct _NmStackScope
{
  /*< private >*/
  NmStackAllocator *allocator;
  NmStackMarker     marker;
} G_GNUC_UNUSED; /* declared with g_auto() and never read: not an unused variable */

/*< private >
 * The state the inline fast paths of nm_stack_allocator_alloc() and
 * nm_stack_allocator_free() read and write. It sits right after the
 * GObject in every NmStackAllocator; its layout and the bookkeeping word
 * below each allocation (bits 0..23: distance from the previous cursor to
 * the allocation; bits 24..63: size of the allocation below) are part of
 * the ABI, its fields are not API.
 */
#ifndef __GTK_DOC_IGNORE__
typedef struct _NmStackAllocatorFast NmStackAllocatorFast;

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
#endif

#define _NM_STACK_WORD_SIZE     8
#define _NM_STACK_WORD_PAD_BITS 24

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
/* The word below each block holds the distance back to the cursor before
 * the block (low bits) and the size of the block below it, stored XORed
 * with the allocator's secret and the block's address: a buffer underflow
 * that overwrites part of it decodes to nonsense that the checks refuse. */
static inline guint64
_nm_stack_word_code (const NmStackAllocatorFast *fast,
                     gconstpointer               mem)
{
  return fast->secret ^ ((guintptr) mem >> 3);
}

/* Whether @word, the decoded word of the top block @mem, leads back inside
 * the region to an 8-aligned top: what an underflow would break. */
static inline gboolean
_nm_stack_word_valid (const NmStackAllocatorFast *fast,
                      gconstpointer               mem,
                      guint64                     word)
{
  guintptr pad = (guintptr) (word & ((G_GUINT64_CONSTANT (1) << _NM_STACK_WORD_PAD_BITS) - 1));
  guintptr below = (guintptr) (word >> _NM_STACK_WORD_PAD_BITS);
  guintptr room = (guintptr) mem - (guintptr) fast->base;

  return pad >= _NM_STACK_WORD_SIZE && pad <= room && below <= room - pad &&
         ((room - pad - below) & 7) == 0;
}

/* The common cases inline in the caller: a push, and a pop of the top of
 * the current frame, without sanitizers, poisoning or validation. A call
 * into the library costs as much as the push itself, so everything else
 * (type check, errors, reports) is left to the out-of-line functions. */
static inline gpointer
_nm_stack_allocator_alloc_inline (NmStackAllocator  *self,
                                  gsize              size,
                                  gsize              alignment,
                                  GError           **error)
{
  if (G_LIKELY (self != NULL))
    {
      NmStackAllocatorFast *fast = (NmStackAllocatorFast *) ((GObject *) self + 1);
      gsize align = alignment > _NM_STACK_WORD_SIZE ? alignment : _NM_STACK_WORD_SIZE;
      guintptr c = (guintptr) fast->cursor;
      guintptr p = (c + _NM_STACK_WORD_SIZE + align - 1) & ~(guintptr) (align - 1);

      if (G_LIKELY (fast->slow_flags == 0 &&
                    size != 0 &&
                    (alignment & (alignment - 1)) == 0 &&
                    alignment - 1 < 4096 &&
                    p <= (guintptr) fast->limit &&
                    size <= (guintptr) fast->limit - p))
        {
          ((guint64 *) p)[-1] = (((guint64) (c - (guintptr) fast->top) << _NM_STACK_WORD_PAD_BITS) |
                                 (guint64) (p - c)) ^ _nm_stack_word_code (fast, (gpointer) p);
          fast->top = (guint8 *) p;
          fast->cursor = (guint8 *) p + size;
          fast->depth++;
          fast->n_allocs += fast->count_step;
          return (gpointer) p;
        }
    }

  return (nm_stack_allocator_alloc) (self, size, alignment, error);
}

static inline void
_nm_stack_allocator_free_inline (NmStackAllocator *self,
                                 gpointer          mem)
{
  if (G_LIKELY (self != NULL))
    {
      NmStackAllocatorFast *fast = (NmStackAllocatorFast *) ((GObject *) self + 1);
      guint8 *top = fast->top;

      if (G_LIKELY (mem != NULL &&
                    (guint8 *) mem == top &&
                    fast->depth > fast->frame_depth &&
                    fast->slow_flags == 0))
        {
          guint64 word = ((const guint64 *) (gpointer) top)[-1] ^ _nm_stack_word_code (fast, top);

          /* A word a buffer underflow overwrote is reported out of line. */
          if (G_LIKELY (_nm_stack_word_valid (fast, top, word)))
            {
              guintptr pad = (guintptr) (word & ((G_GUINT64_CONSTANT (1) << _NM_STACK_WORD_PAD_BITS) - 1));
              guintptr below = (guintptr) (word >> _NM_STACK_WORD_PAD_BITS);
              guint8 *cursor = top - pad;

              if (fast->cursor > fast->peak_cursor)
                fast->peak_cursor = fast->cursor;
              fast->cursor = cursor;
              fast->top = cursor - below;
              fast->depth--;
              fast->n_frees += fast->count_step;
              return;
            }
        }
    }

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
