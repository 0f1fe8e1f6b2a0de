/* nm-pool-heaps.c: thread-safe pools: each thread's heap of pages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * In thread-safe mode every thread allocates from pages its heap owns and
 * frees into them without a lock or an atomic read-modify-write; blocks of
 * other threads' pages go back through the page's thread-free bits
 * (nm-pool-thread-free.c). This file holds the heaps' life cycle (attach
 * on first use through the pool's thread-local slot, pages given back at
 * thread exit, heaps reused as spares, freed with the pool or the thread),
 * the registry that lets a thread recognise heaps of finalized pools, the
 * slow halves of thread-safe alloc and free, and the counter totals that
 * statistics read. The fast halves are inlines in
 * nm-pool-allocator-private.h; pages are in nm-pool-pages.c.
 */

#include "config.h"

#include <string.h>

#include "nm-pool-allocator-private.h"

__thread PoolThreadHeaps _nm_pool_thread_heaps;

/* pthread mutexes rather than GMutex: GLib's futex-based GMutex is invisible
 * to ThreadSanitizer, which checks this code in CI. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *registry;   /* &pool->key → pool, live pools only */
static guint32 tls_slots_used; /* under registry_lock */

static void thread_heaps_release (gpointer data);
static GPrivate thread_heaps_key = G_PRIVATE_INIT (thread_heaps_release);

static void
heap_free (PoolHeap *h)
{
  g_aligned_free (h);
}

/* Gives every heap of this thread back to its pool (if the pool is alive),
 * or just frees it. */
static void
thread_heaps_release (gpointer data)
{
  PoolThreadHeaps *th = data;

  pthread_mutex_lock (&registry_lock);
  while (th->all != NULL)
    {
      PoolHeap *h = th->all;
      NmPoolAllocator *pool = registry ? g_hash_table_lookup (registry, &h->key) : NULL;

      th->all = h->thread_next;
      /* The heap stays with the pool as a spare for the next thread:
       * other threads may still raise its signal, so it is freed only
       * with the pool. */
      if (pool != NULL)
        _nm_pool_heap_abandon (pool, h);
      else
        heap_free (h);
    }
  pthread_mutex_unlock (&registry_lock);

  memset (th->slots, 0, sizeof th->slots);
  th->registered = FALSE;
}

/* Frees the heaps of this thread whose pool is gone. */
static void
thread_heaps_prune (PoolThreadHeaps *th)
{
  PoolHeap **link = &th->all;

  pthread_mutex_lock (&registry_lock);
  while (*link != NULL)
    {
      PoolHeap *h = *link;

      if (registry == NULL || g_hash_table_lookup (registry, &h->key) == NULL)
        {
          *link = h->thread_next;
          for (guint s = 0; s < POOL_TLS_SLOTS; s++)
            if (th->slots[s] == h)
              th->slots[s] = NULL;
          heap_free (h);
        }
      else
        link = &h->thread_next;
    }
  pthread_mutex_unlock (&registry_lock);
}

/* The slow half of pool_heap_get(): this thread's heap of @self from its
 * list, or a spare of the pool, or a new one. */
PoolHeap *
_nm_pool_heap_attach (NmPoolAllocator *self)
{
  PoolThreadHeaps *th = &_nm_pool_thread_heaps;
  PoolHeap *h;

  for (h = th->all; h != NULL; h = h->thread_next)
    if (h->key == self->key)
      break;

  if (h == NULL)
    {
      thread_heaps_prune (th);

      pthread_mutex_lock (&self->lock);
      for (h = self->heaps; h != NULL; h = h->pool_next)
        if (__atomic_load_n (&h->owner, __ATOMIC_RELAXED) == 0)
          break;
      if (h == NULL)
        {
          h = g_aligned_alloc0 (1, sizeof *h, 64);
          h->key = self->key;
          h->pool_next = self->heaps;
          self->heaps = h;
        }
      __atomic_store_n (&h->owner, pool_thread_id (), __ATOMIC_RELAXED);
      pthread_mutex_unlock (&self->lock);

      h->thread_next = th->all;
      th->all = h;

      if (!th->registered)
        {
          g_private_set (&thread_heaps_key, th);
          th->registered = TRUE;
        }
    }

  if (self->tls_slot < POOL_TLS_SLOTS)
    th->slots[self->tls_slot] = h;
  return h;
}

/* Makes a thread-safe pool findable by the threads that hold its pages,
 * and gives it a thread-local slot while there is one. */
void
_nm_pool_registry_add (NmPoolAllocator *self)
{
  pthread_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_hash_table_insert (registry, &self->key, self);
  self->tls_slot = POOL_TLS_NONE;
  if (tls_slots_used != G_MAXUINT32)
    {
      self->tls_slot = (guint) __builtin_ctz (~tls_slots_used);
      tls_slots_used |= 1u << self->tls_slot;
    }
  pthread_mutex_unlock (&registry_lock);
}

/* At finalize: other threads' heaps are recognised as dead by their key
 * once the pool has left the registry; spares and this thread's own heap
 * go now. */
void
_nm_pool_heaps_finalize (NmPoolAllocator *self)
{
  PoolThreadHeaps *th = &_nm_pool_thread_heaps;
  PoolHeap **link = &th->all;

  pthread_mutex_lock (&registry_lock);
  g_hash_table_remove (registry, &self->key);
  if (self->tls_slot < POOL_TLS_SLOTS)
    tls_slots_used &= ~(1u << self->tls_slot);
  /* Spare heaps belong to the pool. Live threads' heaps are freed by
   * their threads, which no longer find the pool in the registry; they do
   * that under the registry lock, so their heaps are still there to be
   * looked at here. */
  for (PoolHeap *h = self->heaps, *next; h != NULL; h = next)
    {
      next = h->pool_next;
      if (__atomic_load_n (&h->owner, __ATOMIC_RELAXED) == 0)
        heap_free (h);
    }
  pthread_mutex_unlock (&registry_lock);

  while (*link != NULL)
    {
      PoolHeap *h = *link;

      if (h->key == self->key)
        {
          *link = h->thread_next;
          for (guint s = 0; s < POOL_TLS_SLOTS; s++)
            if (th->slots[s] == h)
              th->slots[s] = NULL;
          heap_free (h);
          break;
        }
      link = &h->thread_next;
    }
}

/* The heap part of a reset (lock held, no other thread using the pool):
 * no heap owns a page any more. */
void
_nm_pool_heaps_reset_locked (NmPoolAllocator *self)
{
  for (PoolHeap *h = self->heaps; h != NULL; h = h->pool_next)
    {
      h->queue = NULL;
      h->full = NULL;
      __atomic_store_n (&h->xsignal, 0, __ATOMIC_RELAXED);
    }
  _nm_pool_pages_reset_locked (self);
}

/* Counters */

/* Blocks that are free but parked: on local lists of owned pages, or
 * freed by other threads and not collected yet. */
guint64
_nm_pool_ts_cached_count (NmPoolAllocator *self)
{
  guint64 n = 0;
  gsize n_blocks = pool_n_blocks (self);

  for (gsize i = 0; i < n_blocks; i++)
    {
      guint s = pool_state_get (self, i);

      n += s == POOL_BLOCK_CACHED || s == POOL_BLOCK_THREAD_FREED;
    }

  return n;
}

void
_nm_pool_ts_totals_locked (NmPoolAllocator *self,
                           PoolTotals      *t)
{
  t->allocs = self->fast.n_allocs;
  t->frees = self->fast.n_frees;
  t->cached = 0;
  for (PoolHeap *h = self->heaps; h; h = h->pool_next)
    {
      t->allocs += __atomic_load_n (&h->n_allocs, __ATOMIC_RELAXED);
      t->frees += __atomic_load_n (&h->n_frees, __ATOMIC_RELAXED);
    }

  t->in_use = pool_in_use (t->allocs, t->frees, self->released);

  /* Thread-safe mode samples the peak here: at every page taken, every
   * statistics read and every reset. */
  if (t->in_use + self->released > self->fast.peak_mark)
    self->fast.peak_mark = t->in_use + self->released;

  t->peak = self->fast.peak_mark - self->released;
  t->held = self->n_held;
  t->state_committed = self->state_committed + self->pages_committed;
}

void
_nm_pool_ts_totals (NmPoolAllocator *self,
                    PoolTotals      *t)
{
  pthread_mutex_lock (&self->lock);
  _nm_pool_ts_totals_locked (self, t);
  t->cached = _nm_pool_ts_cached_count (self);
  pthread_mutex_unlock (&self->lock);
}

/* The slow halves of thread-safe alloc and free */

/* The local list ran dry (or the tools or the poison setting are on): the
 * heap is refilled, then a block is handed out with the checks. */
gpointer
_nm_pool_ts_alloc_slow (NmPoolAllocator  *self,
                        GError          **error)
{
  PoolHeap *heap;
  PoolPage *page;
  PoolTakeResult r;
  gpointer mem;
  gsize i;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  heap = pool_heap_get (self);
  page = heap->queue;

  if (page == NULL || page->free == NULL)
    {
      gsize bad;

      r = _nm_pool_heap_refill (self, heap, &bad);
      if (r != POOL_TAKE_OK)
        {
          gsize held;

          pthread_mutex_lock (&self->lock);
          held = self->n_held;
          pthread_mutex_unlock (&self->lock);
          return _nm_pool_fail_take (self, r, bad, held,
                                     r == POOL_TAKE_EXHAUSTED ? _nm_pool_ts_cached_count (self) : 0,
                                     error);
        }
      page = heap->queue;
    }

  r = _nm_pool_page_pop (self, page, &i);
  if G_UNLIKELY (r != POOL_TAKE_OK)
    {
      /* The list behind a bad link is unreachable: quarantine the block
       * that held it and rebuild the page's list from the states. */
      if (r == POOL_TAKE_BAD_LINK)
        {
          pool_state_set (self, i, POOL_BLOCK_QUARANTINED);
          _nm_counter_inc (&self->n_quarantined);
          page->n_blocks--;
        }
      _nm_pool_page_rebuild (self, page);
      return _nm_pool_fail_take (self, r, i, 0, 0, error);
    }

  mem = _nm_pool_hand_out (self, i, TRUE, error);
  if G_UNLIKELY (mem == NULL)
    {
      page->n_blocks--;
      return NULL;
    }

  pool_counter_bump (&heap->n_allocs);
  return mem;
}

/* A free the inline half left: a bad pointer, a block of another thread's
 * page, a page that changes lists, or the tools or the poison setting on. */
void
_nm_pool_ts_free_slow (NmPoolAllocator *self,
                       gpointer         mem,
                       gsize            index)
{
  PoolHeap *heap;
  PoolPage *page;

  if (mem == NULL)
    return;

  if (index >= pool_n_blocks (self))
    {
      _nm_pool_report_bad_free (self, mem, index);
      return;
    }

  page = pool_page_of (self, index);
  if (__atomic_load_n (&page->owner, __ATOMIC_RELAXED) != pool_thread_id ())
    {
      if (_nm_pool_thread_free (self, page, index))
        pool_counter_bump (&pool_heap_get (self)->n_frees);
      return;
    }

  if (pool_state_get (self, index) != POOL_BLOCK_ALLOCATED)
    {
      _nm_pool_report_bad_free (self, mem, index);
      return;
    }

  heap = __atomic_load_n (&page->heap, __ATOMIC_RELAXED);
  _nm_pool_take_back (self, mem);
  pool_state_set (self, index, POOL_BLOCK_CACHED);
  _nm_pool_page_push (self, page, index);
  pool_counter_bump (&heap->n_frees);

  if (page->where != PAGE_IN_QUEUE)
    _nm_pool_heap_page_refilled (self, heap, page);
  else if (page->n_free == page->n_blocks && page != heap->queue)
    _nm_pool_heap_page_all_free (self, heap, page);
}

/**
 * nm_pool_allocator_get_cache_count:
 * @self: an #NmPoolAllocator
 *
 * Per-thread heaps of a thread-safe pool: one per thread that used the
 * pool and is alive, plus spares left by threads that exited, which the
 * next threads take over. Bounded by the most threads that used the pool
 * at once.
 *
 * Returns: the number of per-thread heaps @self holds, 0 in single-thread
 *   mode
 *
 * Since: 1.0
 */
guint
nm_pool_allocator_get_cache_count (NmPoolAllocator *self)
{
  guint n = 0;

  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  pthread_mutex_lock (&self->lock);
  for (PoolHeap *h = self->heaps; h != NULL; h = h->pool_next)
    n++;
  pthread_mutex_unlock (&self->lock);

  return n;
}
