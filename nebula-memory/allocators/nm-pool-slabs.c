/* nm-pool-slabs.c: the pool's memory: reserved address space, slabs, growth, trim
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A pool lays its blocks out once (size, redzone, stride, link secret) and
 * reserves the address space for max-block-count blocks (and their state
 * bytes) up front, through the backing layer, so blocks never move
 * and a pointer is checked against the pool in O(1). It commits slabs of
 * blocks as it grows, gives completely free slabs back on trim, and
 * recommits a trimmed slab before it adds a new one. In thread-safe mode
 * every function here runs under the pool's lock (nm-pool-allocator.c
 * and nm-pool-pages.c take it).
 */

#include "config.h"

#include <string.h>

#include "nm-backing-private.h"
#include "nm-pool-allocator-private.h"

static gsize
page_floor (gsize value)
{
  return value & ~(nm_page_size - 1);
}

static gsize
page_ceil (gsize value)
{
  return (value + nm_page_size - 1) & ~(nm_page_size - 1);
}

/* A slab that was just committed: with the poison setting every block gets
 * the freed fill, so the fill check holds for blocks never handed out; then
 * the whole slab, redzones included, is poisoned for the tools. */
static void
slab_prepare (NmPoolAllocator *self,
              const PoolSlab  *slab)
{
  guint8 *from = pool_block_ptr (self, slab->first);
  gsize len = slab->count * self->fast.stride;

  if (self->common.poison)
    {
      if (self->common.sanitize)
        nm_sanitizer_unpoison (from, len);
      memset (from, NM_POISON_FREED, len);
    }
  if (self->common.sanitize)
    nm_sanitizer_poison (from, len);
}

/* Reserves the address space, creates the tools' record of the pool and
 * commits the first slab. On failure @error says what was refused. */
static gboolean
slabs_reserve (NmPoolAllocator  *self,
               GError          **error)
{
  NmAllocatorCommon *c = &self->common;
  NmFailureInfo info = { .alignment = nm_page_size };

  self->reserved = page_ceil (self->max_blocks * self->fast.stride);
  self->fast.base = _nm_backing_reserve (c, self->reserved);
  self->fast.state = self->fast.base ? _nm_backing_reserve (c, page_ceil (self->max_blocks)) : NULL;
  if (self->fast.state == NULL)
    {
      g_autofree char *what = NULL;

      _nm_backing_unreserve (c, self->fast.base, self->reserved, 0);
      self->fast.base = NULL;

      what = g_strdup_printf ("the address space for %" G_GSIZE_FORMAT " blocks (%" G_GSIZE_FORMAT
                              " bytes)", self->max_blocks, self->reserved);
      info.size = self->reserved;
      info.what = what;
      info.state = "the system refused to reserve it";
      info.suggestion = "Lower max-block-count.";
      g_propagate_error (error, _nm_error_new_request (c->label, c->name,
                                                       NM_ALLOCATOR_ERROR_OUT_OF_MEMORY, &info));
      return FALSE;
    }

  if (c->sanitize)
    nm_sanitizer_pool_create (self);

  if (_nm_pool_grow (self) != POOL_TAKE_OK)
    {
      g_autofree char *size = _nm_size_format_human ((guint64) self->block_count *
                                                     self->fast.stride);
      g_autofree char *what = g_strdup_printf ("its first slab of %s", size);

      /* The system or a memory budget refused it: the backing layer knows
       * which, and composes the error (counted as the pool's first failed
       * allocation). */
      info.size = self->block_count * self->fast.stride;
      info.what = what;
      info.suggestion = "Lower block-count.";
      _nm_allocator_fail_backing (NM_ALLOCATOR (self), c, error, &info);
      return FALSE;
    }

  return TRUE;
}

static guint64
random_secret (void)
{
  guint64 secret = ((guint64) g_random_int () << 32) | g_random_int ();

  /* A top bit set makes a zeroed link decode far beyond any index. */
  return secret | (G_GUINT64_CONSTANT (1) << 63);
}

/* Lays the pool out as @config says (block size, redzone, stride, the
 * secret of its links), reserves its address space and takes its first
 * slab. On failure @error says why; the caller releases what was had with
 * _nm_pool_slabs_clear(). */
gboolean
_nm_pool_slabs_init (NmPoolAllocator  *self,
                     NmMemoryConfig   *config,
                     GError          **error)
{
  gsize size, alignment, count, stride, odd;

  if (nm_memory_config_get_kind (config) != NM_ALLOCATOR_KIND_POOL)
    {
      _nm_config_error_set (error, NM_CONFIG_ERROR_INCOMPATIBLE,
                            "the configuration describes another kind of allocator; build it "
                            "with kind “pool”");
      return FALSE;
    }

  alignment = MAX (nm_memory_config_get_block_alignment (config), 1);
  size = nm_memory_config_get_block_size (config);
  count = nm_memory_config_get_block_count (config);
  if (size == 0 || count == 0 || (alignment & (alignment - 1)) != 0 || alignment > nm_page_size)
    {
      _nm_config_error_set (error, NM_CONFIG_ERROR_INVALID_VALUE,
                            "the configuration has block-size %" G_GSIZE_FORMAT ", block-alignment %"
                            G_GSIZE_FORMAT " and block-count %" G_GSIZE_FORMAT ", which no "
                            "pool can hold; build it with an NmMemoryConfigBuilder",
                            size, alignment, count);
      return FALSE;
    }

  size = nm_align_up (MAX (size, POOL_LINK_SIZE), alignment);

  /* The development preset separates blocks by a poisoned redzone, and
   * starts every block on a shadow granule of AddressSanitizer, so that a
   * write past a block is reported as it is for malloc. */
  stride = size;
  if (self->common.validate)
    stride = nm_align_up (size + POOL_REDZONE, MAX (alignment, POOL_REDZONE_GRANULE));

  self->block_size = size;
  self->block_alignment = alignment;
  self->fast.block_size = size;
  self->fast.block_alignment = alignment;
  self->fast.align_mask = ~(alignment - 1);
  self->block_count = count;
  self->max_blocks = MAX (nm_memory_config_get_max_block_count (config), count);
  self->fast.stride = stride;
  self->fast.shift = (guint) __builtin_ctzll (stride);
  odd = stride >> self->fast.shift;
  self->fast.inverse = odd;
  for (guint k = 0; k < 5; k++)
    self->fast.inverse *= 2 - odd * self->fast.inverse;
  self->fast.secret = random_secret ();
  self->key = _nm_allocator_next_serial ();

  if (self->common.thread_safe && !_nm_pool_pages_init (self, error))
    return FALSE;

  return slabs_reserve (self, error);
}

/* Gives everything back: at finalize, and when construction failed. */
void
_nm_pool_slabs_clear (NmPoolAllocator *self)
{
  NmAllocatorCommon *c = &self->common;

  _nm_pool_pages_clear (self);
  if (self->fast.base == NULL)
    return;

  if (c->sanitize)
    {
      nm_sanitizer_pool_destroy (self);
      nm_sanitizer_unpoison (self->fast.base, pool_n_blocks (self) * self->fast.stride);
    }
  _nm_backing_unreserve (c, self->fast.base, self->reserved,
                         (gsize) self->n_held * self->fast.stride);
  _nm_backing_unreserve (c, self->fast.state, page_ceil (self->max_blocks), self->state_committed);
  self->fast.base = NULL;
  self->fast.state = NULL;
}

/* Adds a slab (recommitting a trimmed one first), as large as the pool
 * already is, up to max-block-count. */
PoolTakeResult
_nm_pool_grow (NmPoolAllocator *self)
{
  NmAllocatorCommon *c = &self->common;
  gsize stride = self->fast.stride;
  PoolSlab *slab = NULL;

  for (guint k = 1; k < self->n_slabs; k++)
    if (self->slabs[k].trimmed)
      {
        slab = &self->slabs[k];
        if (!_nm_backing_commit (c, self->fast.base, slab->first * stride,
                                 (slab->first + slab->count) * stride))
          return POOL_TAKE_NO_MEMORY;
        memset (self->fast.state + slab->first, POOL_BLOCK_FRESH, slab->count);
        slab->trimmed = FALSE;
        break;
      }

  if (slab == NULL)
    {
      gsize n_blocks = self->n_blocks;
      gsize count;

      if (n_blocks >= self->max_blocks || self->n_slabs == POOL_MAX_SLABS)
        return POOL_TAKE_EXHAUSTED;

      count = MIN (MAX (self->block_count, self->n_held), self->max_blocks - n_blocks);
      if (!_nm_backing_commit (c, self->fast.base, n_blocks * stride, (n_blocks + count) * stride))
        return POOL_TAKE_NO_MEMORY;
      if (page_ceil (n_blocks + count) > self->state_committed)
        {
          gsize to = page_ceil (n_blocks + count);

          if (!_nm_backing_commit (c, self->fast.state, self->state_committed, to))
            {
              _nm_backing_decommit (c, self->fast.base, n_blocks * stride,
                                    (n_blocks + count) * stride);
              return POOL_TAKE_NO_MEMORY;
            }
          self->state_committed = to;
        }
      if (self->pages != NULL && !_nm_pool_pages_commit (self, n_blocks + count))
        {
          _nm_backing_decommit (c, self->fast.base, n_blocks * stride, (n_blocks + count) * stride);
          return POOL_TAKE_NO_MEMORY;
        }

      slab = &self->slabs[self->n_slabs++];
      slab->first = n_blocks;
      slab->count = count;
      slab->trimmed = FALSE;
      __atomic_store_n (&self->n_blocks, n_blocks + count, __ATOMIC_RELEASE);
      if (self->list_head == &self->fast.head)
        self->fast.limit = n_blocks + count;
    }

  slab_prepare (self, slab);
  if (self->pages != NULL)
    _nm_pool_pages_added (self, slab->first, slab->count);
  self->n_held += slab->count;
  self->n_grown++;
  self->fresh = MIN (self->fresh, slab->first);

  return POOL_TAKE_OK;
}

/* The slab part of a reset: every block of every held slab is FRESH again,
 * its memory released to the tools at once, padding and redzones too. */
void
_nm_pool_slabs_reset (NmPoolAllocator *self)
{
  for (guint k = 0; k < self->n_slabs; k++)
    {
      PoolSlab *slab = &self->slabs[k];

      if (slab->trimmed)
        continue;
      memset (self->fast.state + slab->first, POOL_BLOCK_FRESH, slab->count);
      nm_sanitizer_release_range (self, pool_block_ptr (self, slab->first), 0,
                                  slab->count * self->fast.stride,
                                  self->common.sanitize, self->common.poison);
    }

  *self->list_head = NULL;
  self->fresh = 0;
}

/**
 * nm_pool_allocator_trim: (skip)
 * @self: an #NmPoolAllocator
 *
 * Gives every completely free slab but the first back to the system; the
 * same as nm_allocator_trim(). Blocks parked in thread caches count as
 * used. The pool grows into trimmed slabs again when it needs them.
 * Under %NM_MEMORY_PRESSURE_LEVEL_LOW (see #NmMemoryPressure) one
 * completely free slab, the first found, is kept as a spare besides the
 * first slab.
 * #NmAllocator:capacity and #NmPoolAllocator:block-count are notified on
 * the pool's main context when slabs were given back.
 *
 * Returns: the number of bytes given back
 *
 * Since: 1.0
 */
gsize
nm_pool_allocator_trim (NmPoolAllocator *self)
{
  gsize released = 0;
  gsize stride;
  gboolean keep_spare;

  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  stride = self->fast.stride;
  keep_spare = _nm_allocator_trim_level () == NM_MEMORY_PRESSURE_LEVEL_LOW;
  pthread_mutex_lock (&self->lock);

  for (guint k = 1; k < self->n_slabs; k++)
    {
      PoolSlab *slab = &self->slabs[k];
      gboolean all_free = !slab->trimmed;
      gsize from, to;

      for (gsize i = slab->first; all_free && i < slab->first + slab->count; i++)
        {
          guint s = pool_state_get (self, i);

          all_free = s == POOL_BLOCK_FREE || s == POOL_BLOCK_FRESH;
        }
      if (!all_free)
        continue;
      if (keep_spare)
        {
          keep_spare = FALSE;
          continue;
        }

      memset (self->fast.state + slab->first, POOL_BLOCK_TRIMMED, slab->count);
      slab->trimmed = TRUE;
      self->n_held -= slab->count;
      released += slab->count * stride;

      /* The pages given back are unmapped for the tools too; pages shared
       * with a neighbouring slab stay as they are. */
      from = page_ceil (slab->first * stride);
      to = page_floor ((slab->first + slab->count) * stride);
      if (self->common.sanitize && to > from)
        nm_sanitizer_unpoison (self->fast.base + from, to - from);
      _nm_backing_decommit (&self->common, self->fast.base, slab->first * stride,
                            (slab->first + slab->count) * stride);
    }

  /* Thread-safe pools keep no list of FREE blocks: the pages of trimmed
   * slabs leave the pool's list of pages when a thread next looks at them. */
  if (released > 0 && self->pages == NULL)
    _nm_pool_list_rebuild (self);

  pthread_mutex_unlock (&self->lock);

  if (released > 0)
    _nm_pool_notify_capacity (self);

  return released;
}
