/* nm-pool-alloc.c: allocation and free: the pool's entry points
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The exported nm_pool_allocator_alloc() and nm_pool_allocator_free()
 * behind the inline fast paths of nm-pool-allocator.h, their out-of-line
 * halves (single-thread depot, thread-safe heap, the checks of the
 * development preset, the reports of bad frees), and the NmAllocator
 * methods alloc, free and owns, which check the layout first.
 */

#include "config.h"

#include "nm-backing-private.h"
#include "nm-pool-allocator-private.h"

/* Single-thread mode */

static gpointer
st_alloc (NmPoolAllocator  *self,
          GError          **error)
{
  gboolean fresh = FALSE;
  gsize i = 0;
  gsize grown = self->n_grown;
  PoolTakeResult r = _nm_pool_depot_take (self, &i, &fresh);
  gpointer mem;

  if G_UNLIKELY (self->n_grown != grown)
    _nm_pool_notify_capacity (self);

  if (r != POOL_TAKE_OK)
    {
      if (r == POOL_TAKE_BAD_LINK || r == POOL_TAKE_BAD_TARGET)
        _nm_pool_recover (self, r, i);
      return _nm_pool_fail_take (self, r, i, self->n_held, 0, error);
    }

  mem = _nm_pool_hand_out (self, i, !fresh, error);
  if (mem == NULL)
    return NULL;

  self->fast.n_allocs++;

  return mem;
}

/* Allocation */

/* With validation (development preset), a single-thread pool reports use
 * from a second thread once (_nm_allocator_check_owner()). */
#define FOREIGN_THREAD_ADVICE \
  "a single-thread pool is not safe to use from several threads. Give each thread its " \
  "own pool, or set thread-safe=true."

static inline gboolean
owner_checked (NmPoolAllocator *self)
{
  return (self->fast.slow_flags & (NM_SLOW_VALIDATE | NM_SLOW_THREAD_SAFE)) == NM_SLOW_VALIDATE;
}

/* Every allocation from a pool that could not be built fails with the
 * reason: no memory (OUT_OF_MEMORY or BUDGET_EXCEEDED, as at construction),
 * or construct properties no pool can hold (INVALID_LAYOUT). */
static gpointer
fail_unusable (NmPoolAllocator  *self,
               GError          **error) NM_COLD;

static gpointer
fail_unusable (NmPoolAllocator  *self,
               GError          **error)
{
  NmAllocatorCommon *c = &self->common;
  g_autofree char *state = NULL;
  NmFailureInfo info = {
    .size = self->block_size,
    .alignment = self->block_alignment,
    .what = "a block",
  };

  /* No memory: the system or a budget refused it at construction. */
  if (self->init_error->domain == NM_ALLOCATOR_ERROR)
    {
      info.state = state = g_strdup_printf ("it has no memory (%s)", self->init_error->message);
      return _nm_allocator_fail_request (NM_ALLOCATOR (self), c, error,
                                         (NmAllocatorError) self->init_error->code, &info);
    }

  info.state = state = g_strdup_printf ("its construct properties are invalid (%s)",
                                        self->init_error->message);
  info.suggestion = "Give block-size, block-alignment and block-count values a pool can hold, "
                    "or a config.";
  return _nm_allocator_fail_request (NM_ALLOCATOR (self), c, error,
                                     NM_ALLOCATOR_ERROR_INVALID_LAYOUT, &info);
}

/* The blocks are above the per-request cap of a budget on the path. */
static G_GNUC_NO_INLINE NM_COLD gpointer
fail_over_cap (NmPoolAllocator  *self,
               GError          **error)
{
  gsize size = nm_memory_config_get_block_size (self->config);
  NmFailureInfo info = { .size = size, .alignment = self->block_alignment };

  _nm_backing_refuse_request (&self->common, size);
  return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
}

static G_GNUC_NO_INLINE gpointer
alloc_slow (NmPoolAllocator  *self,
            GError          **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if G_UNLIKELY (self->fast.slow_flags & POOL_SLOW_UNUSABLE)
    return fail_unusable (self, error);

  if G_UNLIKELY (self->fast.slow_flags & NM_SLOW_REQUEST_CAP)
    return fail_over_cap (self, error);

  if (owner_checked (self))
    _nm_allocator_check_owner (&self->common, FOREIGN_THREAD_ADVICE);

  if (self->fast.slow_flags & NM_SLOW_THREAD_SAFE)
    return _nm_pool_ts_alloc_slow (self, error);

  return st_alloc (self, error);
}

/**
 * nm_pool_allocator_alloc: (skip)
 * @self: an #NmPoolAllocator
 * @error: return location for a #GError, or %NULL
 *
 * Takes one block of #NmPoolAllocator:block-size bytes. The contents are
 * undefined (in the development preset, filled with 0xAA).
 *
 * Fails with %NM_ALLOCATOR_ERROR_POOL_EXHAUSTED when no block is free and
 * the pool may not grow, and with %NM_ALLOCATOR_ERROR_CORRUPTION when the
 * block it meets was written after it was freed.
 *
 * Bindings use nm_allocator_alloc() instead, which this function is the
 * fast path of for callers that know the type.
 *
 * Returns: (transfer none) (nullable): a block, or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
(nm_pool_allocator_alloc) (NmPoolAllocator  *self,
                           GError          **error)
{
  gpointer blk;

  NM_POOL_CHECK (self, NULL);

  /* Thread-safe mode, without checks: the thread's heap. Like the inline
   * single-thread path, the fast half never touches @error. */
  if (self->fast.slow_flags == NM_SLOW_THREAD_SAFE)
    return pool_ts_alloc (self, error);

  /* Hot path: pop the head after validating its state and its link. */
  blk = _nm_pool_fast_pop (&self->fast);
  if G_LIKELY (blk != NULL)
    return blk;

  return alloc_slow (self, error);
}

/* A valid layout that no block of the pool can hold. Out of line, so the
 * fast path of _nm_pool_iface_alloc() needs no stack frame. */
static G_GNUC_NO_INLINE gpointer
fail_too_large (NmPoolAllocator  *self,
                gsize             size,
                gsize             alignment,
                GError          **error) NM_COLD;

static gpointer
fail_too_large (NmPoolAllocator  *self,
                gsize             size,
                gsize             alignment,
                GError          **error)
{
  g_autofree char *state = g_strdup_printf ("its blocks hold %" G_GSIZE_FORMAT " bytes aligned "
                                            "to %" G_GSIZE_FORMAT, self->block_size,
                                            self->block_alignment);
  NmFailureInfo info = {
    .size = size,
    .alignment = alignment,
    .state = state,
    .suggestion = "Use a pool with larger or more aligned blocks, or another allocator for "
                  "this size.",
  };

  if (self->fast.slow_flags & POOL_SLOW_UNUSABLE)
    return fail_unusable (self, error);

  return _nm_allocator_fail_request (NM_ALLOCATOR (self), &self->common, error,
                                     NM_ALLOCATOR_ERROR_INVALID_LAYOUT, &info);
}

gpointer
_nm_pool_iface_alloc (NmAllocator  *allocator,
                      gsize         size,
                      gsize         alignment,
                      GError      **error)
{
  NmPoolAllocator *self = (NmPoolAllocator *) allocator;

  /* The layout test of the inline dispatch (nm-allocator-dispatch.h). */
  if G_LIKELY (size - 1 < self->fast.block_size &&
               ((alignment - 1) & (alignment | self->fast.align_mask)) == 0)
    {
      gpointer blk = _nm_pool_fast_pop (&self->fast);

      return G_LIKELY (blk != NULL) ? blk : (nm_pool_allocator_alloc) (self, error);
    }

  if (!nm_layout_is_valid (size, alignment))
    return _nm_allocator_fail_layout (allocator, &self->common, size, alignment, error);

  return fail_too_large (self, size, alignment, error);
}

/* Free */

static G_GNUC_NO_INLINE void
free_slow (NmPoolAllocator *self,
           gpointer         mem)
{
  gsize i;

  if (mem == NULL)
    return;

  if (owner_checked (self))
    _nm_allocator_check_owner (&self->common, FOREIGN_THREAD_ADVICE);

  i = pool_block_index (self, mem);
  if (i >= pool_n_blocks (self) || pool_state_get (self, i) != POOL_BLOCK_ALLOCATED)
    {
      _nm_pool_report_bad_free (self, mem, i);
      return;
    }

  _nm_pool_take_back (self, mem);
  pool_state_set (self, i, POOL_BLOCK_FREE);
  _nm_pool_list_push (self, i);
  if (self->fast.n_allocs - self->fast.n_frees > self->fast.peak_mark)
    self->fast.peak_mark = self->fast.n_allocs - self->fast.n_frees;
  self->fast.n_frees++;
}

/**
 * nm_pool_allocator_free: (skip)
 * @self: an #NmPoolAllocator
 * @mem: (nullable): a block of @self, or %NULL
 *
 * Gives a block back. A pointer @self did not hand out, one into the middle
 * of a block and a block that is already free are reported with
 * g_critical(), counted and ignored. Freeing %NULL does nothing. Bindings
 * use nm_allocator_free() instead.
 *
 * Since: 1.0
 */
void
(nm_pool_allocator_free) (NmPoolAllocator *self,
                          gpointer         mem)
{
  NM_POOL_CHECK_VOID (self);

  /* Thread-safe mode: a page this thread owns takes the block without a
   * lock or an atomic read-modify-write; a block of another thread's page
   * is claimed with one compare-and-swap of its state, so of two threads
   * freeing one block at once one gives it back and the other is
   * reported: no block is ever handed out twice. */
  if (self->fast.slow_flags == NM_SLOW_THREAD_SAFE)
    {
      pool_ts_free (self, mem);
      return;
    }
  if (self->fast.slow_flags & NM_SLOW_THREAD_SAFE)
    {
      _nm_pool_ts_free_slow (self, mem, pool_block_index (self, mem));
      return;
    }

  /* Hot path: index (one multiply and a rotate), state check, push. */
  if G_LIKELY (mem != NULL && _nm_pool_fast_push (&self->fast, mem))
    return;

  free_slow (self, mem);
}

void
_nm_pool_iface_free (NmAllocator *allocator,
                     gpointer     mem,
                     gsize        size,
                     gsize        alignment)
{
  NmPoolAllocator *self = (NmPoolAllocator *) allocator;

  if G_UNLIKELY (size > self->block_size || alignment > self->block_alignment)
    {
      _nm_allocator_report_invalid_free (allocator, &self->common, mem,
                                         "free with a layout (%" G_GSIZE_FORMAT " bytes, "
                                         "alignment %" G_GSIZE_FORMAT ") that no block of "
                                         "this pool (%" G_GSIZE_FORMAT " bytes, alignment %"
                                         G_GSIZE_FORMAT ") can hold", size, alignment,
                                         self->block_size, self->block_alignment);
      return;
    }

  if G_LIKELY (_nm_pool_fast_push (&self->fast, mem))
    return;

  (nm_pool_allocator_free) (self, mem);
}

gboolean
_nm_pool_iface_owns (NmAllocator   *allocator,
                     gconstpointer  mem)
{
  NmPoolAllocator *self = (NmPoolAllocator *) allocator;
  gsize offset = (guintptr) mem - (guintptr) self->fast.base;
  gsize i;

  if (offset >= pool_n_blocks (self) * self->fast.stride)
    return FALSE;

  /* Bytes of a redzone belong to no block. */
  if (offset % self->fast.stride >= self->block_size)
    return FALSE;

  i = offset / self->fast.stride;
  return pool_state_get (self, i) == POOL_BLOCK_ALLOCATED;
}
