/* nm-pool-allocator.h: fixed-size block pool with a hardened free list
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <string.h>

#include <glib-object.h>

#include "../nm-allocator.h"
#include "../nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NM_TYPE_POOL_ALLOCATOR:
 *
 * Evaluates to the #GType of #NmPoolAllocator.
 *
 * Since: 1.0
 */
#define NM_TYPE_POOL_ALLOCATOR (nm_pool_allocator_get_type ())

/**
 * NmPoolAllocator:
 *
 * A pool of fixed-size blocks. All fields are private.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmPoolAllocator, nm_pool_allocator, NM, POOL_ALLOCATOR, GObject)

NM_AVAILABLE_IN_1_0
NmPoolAllocator *nm_pool_allocator_new                 (gsize             block_size,
                                                        gsize             block_alignment,
                                                        gsize             block_count,
                                                        GError          **error);
NM_AVAILABLE_IN_1_0
NmPoolAllocator *nm_pool_allocator_new_full            (const char       *name,
                                                        gsize             block_size,
                                                        gsize             block_alignment,
                                                        gsize             block_count,
                                                        gsize             max_block_count,
                                                        gboolean          thread_safe,
                                                        GError          **error);
NM_AVAILABLE_IN_1_0
gpointer         nm_pool_allocator_alloc               (NmPoolAllocator  *self,
                                                        GError          **error);
NM_AVAILABLE_IN_1_0
void             nm_pool_allocator_free                (NmPoolAllocator  *self,
                                                        gpointer          mem);
NM_AVAILABLE_IN_1_0
void             nm_pool_allocator_reset               (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
gsize            nm_pool_allocator_trim                (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_block_size      (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_block_alignment (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_block_count     (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_max_block_count (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_blocks_in_use   (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint            nm_pool_allocator_get_cache_count     (NmPoolAllocator  *self);

#ifndef __GTK_DOC_IGNORE__
#ifndef __GI_SCANNER__
/*< private >
 * The state the inline fast paths of nm_pool_allocator_alloc() and
 * nm_pool_allocator_free() use. It sits right after the GObject in every
 * NmPoolAllocator; its layout is part of the ABI, it is not API (hence the
 * leading underscore, and no introspection).
 */
typedef struct _NmPoolAllocatorFast _NmPoolAllocatorFast;

struct _NmPoolAllocatorFast
{
  guint8  *base;
  guint8  *state;
  gsize    stride;
  guint64  inverse;
  guint    shift;
  guint    slow_flags;
  guint8  *head;
  gsize    head_index;
  gsize    limit;
  guint64  secret;
  guint64  n_allocs;
  guint64  n_frees;
  guint64  peak_mark;
  gsize    block_size;
  gsize    align_mask;
  gsize    block_alignment;
};

#define _NM_POOL_BLOCK_FREE      1
#define _NM_POOL_BLOCK_ALLOCATED 3

/* The index of the block starting at @mem, or a number >= n_blocks when
 * @mem is outside the pool or not at a block start (see the pool's
 * invariants). */
static inline gsize
_nm_pool_block_index (const _NmPoolAllocatorFast *fast,
                      gconstpointer               mem)
{
  guint64 x = (guint64) ((guintptr) mem - (guintptr) fast->base) * fast->inverse;

  return (gsize) ((x >> fast->shift) | (x << ((64 - fast->shift) & 63)));
}

/* The free-list link stored in the first 8 bytes of the free block @blk:
 * the next block's address (or NULL) mixed with the pool's secret and the
 * link's own address. This is the only place that encodes or decodes one.
 * Blocks may be aligned to less than 8 bytes, so links are copied with
 * memcpy(), which compiles to one plain load or store. */
static inline guint64
_nm_pool_link_encode (const _NmPoolAllocatorFast *fast,
                      const void                 *blk,
                      const void                 *next)
{
  return (guint64) (guintptr) next ^ fast->secret ^ ((guintptr) blk >> 4);
}

static inline guint8 *
_nm_pool_link_decode (const _NmPoolAllocatorFast *fast,
                      const void                 *blk,
                      guint64                     link)
{
  return (guint8 *) (guintptr) (link ^ fast->secret ^ ((guintptr) blk >> 4));
}

static inline guint8 *
_nm_pool_link_read (const _NmPoolAllocatorFast *fast,
                    const void                 *blk)
{
  guint64 link;

  memcpy (&link, blk, sizeof link);
  return _nm_pool_link_decode (fast, blk, link);
}

static inline void
_nm_pool_link_write (const _NmPoolAllocatorFast *fast,
                     void                       *blk,
                     const void                 *next)
{
  guint64 link = _nm_pool_link_encode (fast, blk, next);

  memcpy (blk, &link, sizeof link);
}

/* Pops the head of the free list after checking its state and its link;
 * NULL when the out-of-line path has to decide (an empty list, a corrupted
 * link). Pools that need the out-of-line paths for every call (thread-safe
 * mode, checks or tools on, a pool that could not be built) keep their list
 * elsewhere: for them head stays NULL and limit 0, so neither inline path
 * needs to look at slow_flags. */
static inline gpointer
_nm_pool_fast_pop (_NmPoolAllocatorFast *fast)
{
  guint8 *blk = fast->head;

  if (G_LIKELY (blk != NULL && fast->state[fast->head_index] == _NM_POOL_BLOCK_FREE))
    {
      guint8 *next = _nm_pool_link_read (fast, blk);
      gsize next_index = _nm_pool_block_index (fast, next);

      if (G_LIKELY (next_index < fast->limit || next == NULL))
        {
          fast->state[fast->head_index] = _NM_POOL_BLOCK_ALLOCATED;
          fast->head = next;
          fast->head_index = next_index;
          fast->n_allocs++;
          return blk;
        }
    }

  return NULL;
}

/* Pushes @mem if it is an allocated block of the pool; FALSE when the
 * out-of-line path has to decide (and report). NULL is never a block: its
 * index is above every valid one. Blocks in use are n_allocs - n_frees
 * (less what resets released); peak_mark is the most of that difference
 * seen, sampled before each free, in the same units. */
static inline gboolean
_nm_pool_fast_push (_NmPoolAllocatorFast *fast,
                    gpointer              mem)
{
  gsize i = _nm_pool_block_index (fast, mem);

  if (G_LIKELY (i < fast->limit && fast->state[i] == _NM_POOL_BLOCK_ALLOCATED))
    {
      guint64 live = fast->n_allocs - fast->n_frees;

      fast->state[i] = _NM_POOL_BLOCK_FREE;
      _nm_pool_link_write (fast, mem, fast->head);
      fast->head = (guint8 *) mem;
      fast->head_index = i;
      fast->n_frees++;
      if (live > fast->peak_mark)
        fast->peak_mark = live;
      return TRUE;
    }

  return FALSE;
}

static inline gpointer
_nm_pool_allocator_alloc_inline (NmPoolAllocator  *self,
                                 GError          **error)
{
  if (G_LIKELY (self != NULL))
    {
      gpointer blk = _nm_pool_fast_pop ((_NmPoolAllocatorFast *) ((GObject *) self + 1));

      if (G_LIKELY (blk != NULL))
        return blk;
    }

  return (nm_pool_allocator_alloc) (self, error);
}

static inline void
_nm_pool_allocator_free_inline (NmPoolAllocator *self,
                                gpointer         mem)
{
  if (G_LIKELY (self != NULL) &&
      _nm_pool_fast_push ((_NmPoolAllocatorFast *) ((GObject *) self + 1), mem))
    return;

  (nm_pool_allocator_free) (self, mem);
}

#define nm_pool_allocator_alloc(self, error) \
  (_nm_pool_allocator_alloc_inline ((self), (error)))
#define nm_pool_allocator_free(self, mem) \
  (_nm_pool_allocator_free_inline ((self), (mem)))
#endif /* __GI_SCANNER__ */
#endif /* __GTK_DOC_IGNORE__ */

G_END_DECLS
