/* nm-pool-thread-cache.c: per-thread caches of thread-safe pools, and the depot
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * In thread-safe mode every thread allocates from and frees into a small
 * cache of block indices of its own; the depot (the pool's free list,
 * under the pool's lock) refills and drains a cache half of it at a time.
 * This file holds the caches' life cycle (attach on first use, return at
 * thread exit, reuse as spares, free with the pool or the thread), the
 * registry that lets a thread recognise caches of finalized pools, the
 * slow halves of thread-safe alloc and free, and the counter totals that
 * statistics read. The lookup and the cached pop are inlines in
 * nm-pool-allocator-private.h.
 */

#include "config.h"

#include <string.h>

#include "nm-pool-allocator-private.h"

__thread PoolThreadCaches _nm_pool_thread_caches;

/* pthread mutexes rather than GMutex: GLib's futex-based GMutex is invisible
 * to ThreadSanitizer, which checks this code in CI. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *registry;   /* &pool->key → pool, live pools only */

static void thread_caches_release (gpointer data);
static GPrivate thread_caches_key = G_PRIVATE_INIT (thread_caches_release);

/* Under the pool's lock: makes @c the cache found for its owner in the
 * owner table, unless another live thread holds the slot. */
static void
owner_install_locked (NmPoolAllocator *self,
                      PoolCache       *c)
{
  PoolCache **slot = &self->owners[pool_owner_slot (c->owner)];
  PoolCache *old = __atomic_load_n (slot, __ATOMIC_RELAXED);

  if (old == NULL || __atomic_load_n (&old->owner, __ATOMIC_RELAXED) == 0)
    __atomic_store_n (slot, c, __ATOMIC_RELEASE);
}

/* Moves @n blocks from the end of @c to the depot. Lock held. */
static void
cache_flush_locked (NmPoolAllocator *self,
                    PoolCache       *c,
                    guint            n)
{
  guint count = c->count;

  for (guint k = 0; k < n; k++)
    {
      gsize i = c->blocks[--count];

      pool_state_set (self, i, POOL_BLOCK_FREE);
      _nm_pool_list_push (self, i);
    }
  __atomic_store_n (&c->count, count, __ATOMIC_RELAXED);
}

/* Returns every cache of this thread to its pool (if the pool is alive),
 * or just frees it. */
static void
thread_caches_release (gpointer data)
{
  PoolThreadCaches *tc = data;

  pthread_mutex_lock (&registry_lock);
  while (tc->all != NULL)
    {
      PoolCache *c = tc->all;
      NmPoolAllocator *pool = registry ? g_hash_table_lookup (registry, &c->key) : NULL;

      tc->all = c->thread_next;
      if (pool != NULL)
        {
          PoolCache **slot = &pool->owners[pool_owner_slot (c->owner)];

          /* The cache stays with the pool as a spare for the next thread:
           * other threads may still be reading it through the owner table,
           * so it is freed only with the pool. */
          pthread_mutex_lock (&pool->lock);
          cache_flush_locked (pool, c, c->count);
          pool->fast.n_allocs += c->n_allocs;
          pool->fast.n_frees += c->n_frees;
          c->n_allocs = c->n_frees = 0;
          if (__atomic_load_n (slot, __ATOMIC_RELAXED) == c)
            __atomic_store_n (slot, NULL, __ATOMIC_RELAXED);
          __atomic_store_n (&c->owner, 0, __ATOMIC_RELAXED);
          pthread_mutex_unlock (&pool->lock);
        }
      else
        g_free (c);
    }
  pthread_mutex_unlock (&registry_lock);

  memset (tc->slots, 0, sizeof tc->slots);
  tc->registered = FALSE;
}

/* Frees the caches of this thread whose pool is gone. */
static void
thread_caches_prune (PoolThreadCaches *tc)
{
  PoolCache **link = &tc->all;

  pthread_mutex_lock (&registry_lock);
  while (*link != NULL)
    {
      PoolCache *c = *link;

      if (registry == NULL || g_hash_table_lookup (registry, &c->key) == NULL)
        {
          *link = c->thread_next;
          if (tc->slots[c->key % POOL_N_CACHE_SLOTS] == c)
            tc->slots[c->key % POOL_N_CACHE_SLOTS] = NULL;
          g_free (c);
        }
      else
        link = &c->thread_next;
    }
  pthread_mutex_unlock (&registry_lock);
}

/* The slow half of pool_cache_get(): this thread's cache of @self from the
 * TLS table, or a spare of the pool, or a new one. */
PoolCache *
_nm_pool_cache_attach (NmPoolAllocator *self)
{
  PoolThreadCaches *tc = &_nm_pool_thread_caches;
  PoolCache *c;

  for (c = tc->all; c != NULL; c = c->thread_next)
    if (c->key == self->key)
      break;

  if (c == NULL)
    {
      thread_caches_prune (tc);

      pthread_mutex_lock (&self->lock);
      for (c = self->caches; c != NULL; c = c->pool_next)
        if (__atomic_load_n (&c->owner, __ATOMIC_RELAXED) == 0)
          break;
      if (c == NULL)
        {
          c = g_malloc0 (sizeof *c + self->cache_limit * sizeof (gsize));
          c->key = self->key;
          c->limit = self->cache_limit;
          c->pool_next = self->caches;
          if (self->caches)
            self->caches->pool_prev = c;
          self->caches = c;
        }
      __atomic_store_n (&c->owner, pool_thread_id (), __ATOMIC_RELAXED);
      owner_install_locked (self, c);
      pthread_mutex_unlock (&self->lock);

      c->thread_next = tc->all;
      tc->all = c;

      if (!tc->registered)
        {
          g_private_set (&thread_caches_key, tc);
          tc->registered = TRUE;
        }
    }

  tc->slots[self->key % POOL_N_CACHE_SLOTS] = c;
  return c;
}

/* Makes a thread-safe pool findable by the threads that cache its blocks. */
void
_nm_pool_registry_add (NmPoolAllocator *self)
{
  pthread_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_hash_table_insert (registry, &self->key, self);
  pthread_mutex_unlock (&registry_lock);
}

/* At finalize: other threads' caches are recognised as dead by their key
 * once the pool has left the registry; spares and this thread's own cache
 * go now. */
void
_nm_pool_caches_finalize (NmPoolAllocator *self)
{
  PoolThreadCaches *tc = &_nm_pool_thread_caches;
  PoolCache **link = &tc->all;

  pthread_mutex_lock (&registry_lock);
  g_hash_table_remove (registry, &self->key);
  /* Spare caches belong to the pool. Live threads' caches are freed by
   * their threads, which no longer find the pool in the registry; they do
   * that under the registry lock, so their caches are still there to be
   * looked at here. */
  for (PoolCache *c = self->caches, *next; c != NULL; c = next)
    {
      next = c->pool_next;
      if (__atomic_load_n (&c->owner, __ATOMIC_RELAXED) == 0)
        g_free (c);
    }
  pthread_mutex_unlock (&registry_lock);

  while (*link != NULL)
    {
      PoolCache *c = *link;

      if (c->key == self->key)
        {
          *link = c->thread_next;
          if (tc->slots[c->key % POOL_N_CACHE_SLOTS] == c)
            tc->slots[c->key % POOL_N_CACHE_SLOTS] = NULL;
          g_free (c);
          break;
        }
      link = &c->thread_next;
    }
}

/* The cache part of a reset (lock held, no other thread using the pool):
 * what the caches held is free again with everything else. */
void
_nm_pool_caches_empty_locked (NmPoolAllocator *self)
{
  for (PoolCache *c = self->caches; c; c = c->pool_next)
    __atomic_store_n (&c->count, 0, __ATOMIC_RELAXED);
}

/* Counters */

guint64
_nm_pool_ts_cached_count (NmPoolAllocator *self)
{
  guint64 n = 0;

  pthread_mutex_lock (&self->lock);
  for (PoolCache *c = self->caches; c; c = c->pool_next)
    n += __atomic_load_n (&c->count, __ATOMIC_RELAXED);
  pthread_mutex_unlock (&self->lock);

  return n;
}

void
_nm_pool_ts_totals_locked (NmPoolAllocator *self,
                           PoolTotals      *t)
{
  t->allocs = self->fast.n_allocs;
  t->frees = self->fast.n_frees;
  t->cached = 0;
  for (PoolCache *c = self->caches; c; c = c->pool_next)
    {
      t->allocs += __atomic_load_n (&c->n_allocs, __ATOMIC_RELAXED);
      t->frees += __atomic_load_n (&c->n_frees, __ATOMIC_RELAXED);
      t->cached += __atomic_load_n (&c->count, __ATOMIC_RELAXED);
    }

  t->in_use = pool_in_use (t->allocs, t->frees, self->released);

  /* Thread-safe mode samples the peak here: at every depot refill, every
   * statistics read and every reset. */
  if (t->in_use + self->released > self->fast.peak_mark)
    self->fast.peak_mark = t->in_use + self->released;

  t->peak = self->fast.peak_mark - self->released;
  t->held = self->n_held;
  t->state_committed = self->state_committed;
}

void
_nm_pool_ts_totals (NmPoolAllocator *self,
                    PoolTotals      *t)
{
  pthread_mutex_lock (&self->lock);
  _nm_pool_ts_totals_locked (self, t);
  pthread_mutex_unlock (&self->lock);
}

/* The slow halves of thread-safe alloc and free */

/* An empty cache takes half a cache of blocks from the depot, under one
 * lock; then (or with the tools or the poison setting on) a block is
 * handed out with the checks. */
gpointer
_nm_pool_ts_alloc_slow (NmPoolAllocator  *self,
                        PoolCache        *c,
                        GError          **error)
{
  gpointer mem;
  gsize i;

  if (c->count == 0)
    {
      PoolTakeResult r = POOL_TAKE_OK;
      PoolTotals totals;
      guint want = MAX (1, c->limit / 2);
      guint got = 0;
      gsize bad = 0;
      gsize held;
      gsize grown;

      pthread_mutex_lock (&self->lock);
      grown = self->n_grown;
      while (got < want)
        {
          gboolean fresh = FALSE;

          r = _nm_pool_depot_take (self, &i, &fresh);
          if (r != POOL_TAKE_OK)
            {
              bad = i;
              if (r == POOL_TAKE_BAD_LINK || r == POOL_TAKE_BAD_TARGET)
                _nm_pool_recover (self, r, i);
              break;
            }
          pool_state_set (self, i, POOL_BLOCK_CACHED);
          c->blocks[got++] = i;
        }
      __atomic_store_n (&c->count, got, __ATOMIC_RELAXED);
      _nm_pool_ts_totals_locked (self, &totals);
      held = self->n_held;
      grown = self->n_grown - grown;
      pthread_mutex_unlock (&self->lock);

      if G_UNLIKELY (grown != 0)
        _nm_pool_notify_capacity (self);

      /* A corruption fails the allocation that met it even when other
       * blocks were found. */
      if (r == POOL_TAKE_BAD_LINK || r == POOL_TAKE_BAD_TARGET || got == 0)
        return _nm_pool_fail_take (self, r, bad, held,
                                   r == POOL_TAKE_EXHAUSTED ? _nm_pool_ts_cached_count (self) : 0,
                                   error);
    }

  i = c->blocks[c->count - 1];
  __atomic_store_n (&c->count, c->count - 1, __ATOMIC_RELAXED);
  mem = _nm_pool_hand_out (self, i, TRUE, error);
  if (mem != NULL)
    __atomic_store_n (&c->n_allocs, c->n_allocs + 1, __ATOMIC_RELAXED);

  return mem;
}

/* A free whose block was claimed (ALLOCATED → CACHED) by the caller, with
 * the tools or the poison setting on, or into a full cache: half of it
 * goes to the depot first. */
void
_nm_pool_ts_free_slow (NmPoolAllocator *self,
                       gsize            index)
{
  PoolCache *c = pool_cache_get (self);

  _nm_pool_take_back (self, pool_block_ptr (self, index));

  if (c->count == c->limit)
    {
      pthread_mutex_lock (&self->lock);
      cache_flush_locked (self, c, MAX (1, c->limit / 2));
      pthread_mutex_unlock (&self->lock);
    }

  c->blocks[c->count] = index;
  __atomic_store_n (&c->count, c->count + 1, __ATOMIC_RELAXED);
  __atomic_store_n (&c->n_frees, c->n_frees + 1, __ATOMIC_RELAXED);
}

/**
 * nm_pool_allocator_get_cache_count:
 * @self: an #NmPoolAllocator
 *
 * Per-thread caches of a thread-safe pool: one per thread that used the
 * pool and is alive, plus spares left by threads that exited, which the
 * next threads take over. Bounded by the most threads that used the pool
 * at once.
 *
 * Returns: the number of per-thread caches @self holds, 0 in
 *   single-thread mode
 *
 * Since: 1.0
 */
guint
nm_pool_allocator_get_cache_count (NmPoolAllocator *self)
{
  guint n = 0;

  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  pthread_mutex_lock (&self->lock);
  for (PoolCache *c = self->caches; c != NULL; c = c->pool_next)
    n++;
  pthread_mutex_unlock (&self->lock);

  return n;
}
