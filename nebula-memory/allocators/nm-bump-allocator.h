/* nm-bump-allocator.h: region allocator with checkpoints
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
 * NM_TYPE_BUMP_ALLOCATOR:
 *
 * Evaluates to the #GType of #NmBumpAllocator.
 *
 * Since: 1.0
 */
#define NM_TYPE_BUMP_ALLOCATOR  (nm_bump_allocator_get_type ())
/**
 * NM_TYPE_BUMP_CHECKPOINT:
 *
 * Evaluates to the boxed #GType of #NmBumpCheckpoint.
 *
 * Since: 1.0
 */
#define NM_TYPE_BUMP_CHECKPOINT (nm_bump_checkpoint_get_type ())

/**
 * NmBumpAllocator:
 *
 * A region (arena) allocator. All fields are private.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmBumpAllocator, nm_bump_allocator, NM, BUMP_ALLOCATOR, GObject)

/**
 * NmBumpCheckpoint:
 *
 * A position in an #NmBumpAllocator, taken with
 * nm_bump_allocator_checkpoint() and restored with
 * nm_bump_allocator_restore(). Plain data: keep it on the stack.
 *
 * Since: 1.0
 */
typedef struct _NmBumpCheckpoint NmBumpCheckpoint;

struct _NmBumpCheckpoint
{
  /*< private >*/
  gpointer allocator;
  gpointer chunk;
  gpointer cursor;
  guint64  chunk_serial;
  guint64  epoch;
  guint64  sequence;
  gsize    n_live;
  gpointer _reserved[1];
};

/**
 * NmBumpScope:
 *
 * A checkpoint that restores itself: declare it with g_auto() and every
 * allocation made in the scope is released when the scope ends.
 *
 * |[<!-- language="C" -->
 * {
 *   g_auto(NmBumpScope) scope = nm_bump_allocator_begin_scope (arena);
 *   char *scratch = nm_bump_allocator_alloc (arena, 4096, 1, NULL);
 *   ...
 * } // scratch is released here
 * ]|
 *
 * Since: 1.0
 */
/* The attribute sits on the typedef, where gtk-doc's scanner reads past
 * it: a scope is declared with g_auto() and never read, which is not an
 * unused variable. */
typedef struct _NmBumpScope NmBumpScope G_GNUC_UNUSED;

struct _NmBumpScope
{
  /*< private >*/
  NmBumpAllocator  *allocator;
  NmBumpCheckpoint  checkpoint;
};

#ifndef __GTK_DOC_IGNORE__
#ifndef __GI_SCANNER__
/*< private >
 * The allocation state the inline fast path of nm_bump_allocator_alloc()
 * reads. It sits right after the GObject in every NmBumpAllocator; its
 * layout is part of the ABI, its fields are not API (hence the leading
 * underscore, and hidden from introspection and the manual).
 */
typedef struct _NmBumpAllocatorFast _NmBumpAllocatorFast;

struct _NmBumpAllocatorFast
{
  guint8  *cursor;
  guint8  *limit;
  guint8  *last;
  guint64  n_allocs;
  guint64  count_step;
  guint    slow_flags;
};
#endif /* __GI_SCANNER__ */
#endif /* __GTK_DOC_IGNORE__ */

NM_AVAILABLE_IN_1_0
GType             nm_bump_checkpoint_get_type   (void) G_GNUC_CONST;
NM_AVAILABLE_IN_1_0
NmBumpCheckpoint *nm_bump_checkpoint_copy       (const NmBumpCheckpoint *checkpoint);
NM_AVAILABLE_IN_1_0
void              nm_bump_checkpoint_free       (NmBumpCheckpoint       *checkpoint);

NM_AVAILABLE_IN_1_0
NmBumpAllocator  *nm_bump_allocator_new         (gsize                   capacity,
                                                 GError                **error);
NM_AVAILABLE_IN_1_0
NmBumpAllocator  *nm_bump_allocator_new_full    (const char             *name,
                                                 gsize                   capacity,
                                                 gsize                   max_capacity,
                                                 gboolean                thread_safe,
                                                 GError                **error);
NM_AVAILABLE_IN_1_0
gpointer          nm_bump_allocator_alloc       (NmBumpAllocator        *self,
                                                 gsize                   size,
                                                 gsize                   alignment,
                                                 GError                **error);
NM_AVAILABLE_IN_1_0
void              nm_bump_allocator_reset       (NmBumpAllocator        *self);
NM_AVAILABLE_IN_1_0
guint64           nm_bump_allocator_get_max_capacity (NmBumpAllocator   *self);
NM_AVAILABLE_IN_1_0
guint             nm_bump_allocator_get_chunk_count  (NmBumpAllocator   *self);
NM_AVAILABLE_IN_1_0
void              nm_bump_allocator_checkpoint  (NmBumpAllocator        *self,
                                                 NmBumpCheckpoint       *checkpoint);
NM_AVAILABLE_IN_1_0
gboolean          nm_bump_allocator_restore     (NmBumpAllocator        *self,
                                                 const NmBumpCheckpoint *checkpoint,
                                                 GError                **error);
NM_AVAILABLE_IN_1_0
NmBumpScope       nm_bump_allocator_begin_scope (NmBumpAllocator        *self);
NM_AVAILABLE_IN_1_0
void              nm_bump_scope_clear           (NmBumpScope            *scope);

#ifndef __GTK_DOC_IGNORE__
#ifndef __GI_SCANNER__
/* The common case inline in the caller: a pointer bump in a single-thread
 * allocator without sanitizers, poisoning or validation. A call into the library costs
 * more than the bump itself, so everything else (type check included) is
 * left to the out-of-line function. */
static inline gpointer
_nm_bump_allocator_alloc_inline (NmBumpAllocator  *self,
                                 gsize             size,
                                 gsize             alignment,
                                 GError          **error)
{
  if (G_LIKELY (self != NULL))
    {
      _NmBumpAllocatorFast *fast = (_NmBumpAllocatorFast *) ((GObject *) self + 1);
      guintptr p = ((guintptr) fast->cursor + alignment - 1) & ~(guintptr) (alignment - 1);

      /* limit is NULL whenever the allocator needs its slow path. */
      if (G_LIKELY (size != 0 &&
                    (alignment & (alignment - 1)) == 0 &&
                    alignment - 1 < 4096 &&
                    p <= (guintptr) fast->limit &&
                    size <= (guintptr) fast->limit - p))
        {
          fast->cursor = (guint8 *) p + size;
          fast->last = (guint8 *) p;
          fast->n_allocs += fast->count_step;
          return (gpointer) p;
        }
    }

  return (nm_bump_allocator_alloc) (self, size, alignment, error);
}

#define nm_bump_allocator_alloc(self, size, alignment, error) \
  (_nm_bump_allocator_alloc_inline ((self), (size), (alignment), (error)))
#endif /* __GI_SCANNER__ */
#endif /* __GTK_DOC_IGNORE__ */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmBumpCheckpoint, nm_bump_checkpoint_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NmBumpScope, nm_bump_scope_clear)

G_END_DECLS
