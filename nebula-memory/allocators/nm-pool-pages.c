/* nm-pool-pages.c: pages of thread-safe pools: local free lists, owners, the pool's list
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A thread-safe pool groups its blocks in pages of up to 256 consecutive
 * blocks. A thread allocates from pages its heap owns, each with a local
 * free list that only the owner touches; frees from other threads arrive
 * as bits (nm-pool-thread-free.c). This file holds the page memory (one
 * 128-byte record a page, reserved for max-block-count blocks and committed
 * with the slabs), the local lists, and the moves of a page between the
 * pool (avail, under the pool's lock) and a heap's queue and full list:
 * taking a page, refilling a heap, giving a page back when all its blocks
 * are free again or its thread exits. The invariants are in
 * nm-pool-allocator-private.h.
 */

#include "config.h"

#include <string.h>

#include "nm-backing-private.h"
#include "nm-pool-allocator-private.h"

static gsize
page_ceil (gsize value)
{
  return (value + nm_page_size - 1) & ~(nm_page_size - 1);
}

static gsize
page_first (NmPoolAllocator *self,
            const PoolPage  *page)
{
  return (gsize) page->index << self->page_shift;
}

/* One past the page's last block that exists: a page may reach beyond
 * the last slab, whose states are not committed. */
static gsize
page_end (NmPoolAllocator *self,
          const PoolPage  *page)
{
  return MIN (page_first (self, page) + ((gsize) 1 << self->page_shift), pool_n_blocks (self));
}

/* Page memory */

/* Picks the page size and reserves the page records. A pool has at least
 * four pages, so that other threads find pages while one thread holds
 * some. Slabs need not be whole pages: a page may hold blocks of two
 * slabs, and blocks a slab adds to a page some thread owns go to that
 * thread (see _nm_pool_pages_added()). */
gboolean
_nm_pool_pages_init (NmPoolAllocator  *self,
                     GError          **error)
{
  NmAllocatorCommon *c = &self->common;
  guint shift = POOL_PAGE_MAX_SHIFT;
  gsize n_pages;

  while (shift > 0 && ((gsize) 4 << shift) > self->block_count)
    shift--;
  self->page_shift = shift;

  n_pages = (self->max_blocks + ((gsize) 1 << shift) - 1) >> shift;
  self->pages_reserved = page_ceil (n_pages * sizeof (PoolPage));
  self->pages = _nm_backing_reserve (c, self->pages_reserved);
  if (self->pages == NULL)
    {
      NmFailureInfo info = {
        .size = self->pages_reserved,
        .alignment = nm_page_size,
        .what = "the address space for its page records",
        .state = "the system refused to reserve it",
        .suggestion = "Lower max-block-count.",
      };

      self->pages_reserved = 0;
      g_propagate_error (error, _nm_error_new_request (c->label, c->name,
                                                       NM_ALLOCATOR_ERROR_OUT_OF_MEMORY, &info));
      return FALSE;
    }

  return TRUE;
}

void
_nm_pool_pages_clear (NmPoolAllocator *self)
{
  if (self->pages == NULL)
    return;

  _nm_backing_unreserve (&self->common, self->pages, self->pages_reserved, self->pages_committed);
  self->pages = NULL;
  self->pages_reserved = 0;
  self->pages_committed = 0;
}

/* Commits the records of the pages of blocks below @n_blocks. Lock held. */
gboolean
_nm_pool_pages_commit (NmPoolAllocator *self,
                       gsize            n_blocks)
{
  gsize n_pages = (n_blocks + ((gsize) 1 << self->page_shift) - 1) >> self->page_shift;
  gsize to = page_ceil (n_pages * sizeof (PoolPage));

  if (to <= self->pages_committed)
    return TRUE;
  if (!_nm_backing_commit (&self->common, self->pages, self->pages_committed, to))
    return FALSE;
  self->pages_committed = to;
  return TRUE;
}

static void
avail_push (NmPoolAllocator *self,
            PoolPage        *page)
{
  page->where = PAGE_IN_AVAIL;
  page->prev = NULL;
  page->next = self->avail;
  self->avail = page;
}

/* A slab was added or recommitted (its blocks FRESH): pages no thread
 * owns are the pool's; blocks that land in a page a thread owns (a page
 * shared with a neighbouring slab) go to that thread as if another thread
 * had freed them, which also wakes the page when it is full. The owner's
 * count of the page's blocks stays below the truth until the page changes
 * hands, which only gives the page back early. Lock held. */
void
_nm_pool_pages_added (NmPoolAllocator *self,
                      gsize            first,
                      gsize            count)
{
  gsize shift = self->page_shift;

  for (gsize k = first >> shift; k <= (first + count - 1) >> shift; k++)
    {
      PoolPage *page = &self->pages[k];
      guintptr owner = __atomic_load_n (&page->owner, __ATOMIC_RELAXED);
      gsize from = MAX (first, k << shift);
      gsize to = MIN (first + count, (k + 1) << shift);

      page->index = (guint32) k;
      if (owner == 0)
        {
          if (page->where == PAGE_IN_NOTHING)
            avail_push (self, page);
          continue;
        }

      for (gsize i = from; i < to; i++)
        {
          guint bit = (guint) (i & (((gsize) 1 << shift) - 1));

          if (pool_state_get (self, i) != POOL_BLOCK_FRESH)
            continue;
          pool_state_set (self, i, POOL_BLOCK_THREAD_FREED);
          __atomic_fetch_or (&page->xbits[bit / 64], G_GUINT64_CONSTANT (1) << (bit % 64),
                             __ATOMIC_SEQ_CST);
        }

      if (__atomic_load_n (&page->xfull, __ATOMIC_SEQ_CST))
        {
          PoolHeap *heap = __atomic_load_n (&page->heap, __ATOMIC_ACQUIRE);

          if (heap != NULL && __atomic_exchange_n (&page->xfull, 0, __ATOMIC_SEQ_CST))
            __atomic_store_n (&heap->xsignal, 1, __ATOMIC_RELEASE);
        }
    }
}

/* Reset (lock held, no other thread using the pool): no page has an
 * owner, every page of a held slab is the pool's again. */
void
_nm_pool_pages_reset_locked (NmPoolAllocator *self)
{
  gsize n_pages = (pool_n_blocks (self) + ((gsize) 1 << self->page_shift) - 1) >> self->page_shift;

  for (gsize k = 0; k < n_pages; k++)
    {
      PoolPage *page = &self->pages[k];

      page->free = NULL;
      page->n_free = 0;
      page->n_blocks = 0;
      page->where = PAGE_IN_NOTHING;
      page->next = page->prev = NULL;
      __atomic_store_n (&page->owner, 0, __ATOMIC_RELAXED);
      __atomic_store_n (&page->heap, NULL, __ATOMIC_RELAXED);
      for (guint w = 0; w < POOL_PAGE_WORDS; w++)
        __atomic_store_n (&page->xbits[w], 0, __ATOMIC_RELAXED);
      __atomic_store_n (&page->xfull, 0, __ATOMIC_RELAXED);
    }

  self->avail = NULL;
  for (guint k = self->n_slabs; k-- > 0;)
    if (!self->slabs[k].trimmed)
      _nm_pool_pages_added (self, self->slabs[k].first, self->slabs[k].count);
}

/* Local free lists: the owner's, with the same encoded links as the
 * single-thread list, read and written through the tool-aware helpers. */

void
_nm_pool_page_push (NmPoolAllocator *self,
                    PoolPage        *page,
                    gsize            index)
{
  guint8 *blk = pool_block_ptr (self, index);

  _nm_pool_link_store (self, blk, page->free);
  page->free = blk;
  page->free_index = index;
  page->n_free++;
}

/* The head of the local list, after the checks of the inline pop: it must
 * be CACHED and its link must lead to a block of the same page, or NULL. */
PoolTakeResult
_nm_pool_page_pop (NmPoolAllocator *self,
                   PoolPage        *page,
                   gsize           *out)
{
  gsize i = page->free_index;
  guint8 *blk = page->free;
  guint8 *next;
  gsize next_index;

  *out = i;
  if (pool_state_get (self, i) != POOL_BLOCK_CACHED)
    return POOL_TAKE_BAD_TARGET;

  next = _nm_pool_link_decode (&self->fast, blk, _nm_pool_link_load (self, blk));
  next_index = pool_block_index (self, next);
  if (next != NULL && (next_index >> self->page_shift) != page->index)
    return POOL_TAKE_BAD_LINK;

  page->free = next;
  page->free_index = next_index;
  page->n_free--;
  return POOL_TAKE_OK;
}

/* After a bad link: the local list again, from the states. */
void
_nm_pool_page_rebuild (NmPoolAllocator *self,
                       PoolPage        *page)
{
  gsize first = page_first (self, page);

  page->free = NULL;
  page->n_free = 0;
  for (gsize i = page_end (self, page); i-- > first;)
    if (pool_state_get (self, i) == POOL_BLOCK_CACHED)
      _nm_pool_page_push (self, page, i);
}

/* A heap's lists */

static void
list_unlink (PoolPage **list,
             PoolPage  *page)
{
  if (page->prev != NULL)
    page->prev->next = page->next;
  else
    *list = page->next;
  if (page->next != NULL)
    page->next->prev = page->prev;
  page->next = page->prev = NULL;
  page->where = PAGE_IN_NOTHING;
}

static void
list_push (PoolPage **list,
           PoolPage  *page,
           guint      where)
{
  page->where = where;
  page->prev = NULL;
  page->next = *list;
  if (*list != NULL)
    (*list)->prev = page;
  *list = page;
}

static gboolean
page_has_thread_frees (PoolPage *page)
{
  for (guint w = 0; w < POOL_PAGE_WORDS; w++)
    if (__atomic_load_n (&page->xbits[w], __ATOMIC_SEQ_CST) != 0)
      return TRUE;

  return FALSE;
}

/* Takes a page from the pool for @heap: its FREE and FRESH blocks become
 * the local list. Pages without any block left (trimmed, quarantined)
 * leave the pool's list. Lock held. */
static PoolPage *
take_page_locked (NmPoolAllocator *self,
                  PoolHeap        *heap)
{
  PoolPage *page;

  while ((page = self->avail) != NULL)
    {
      gsize first = page_first (self, page);
      guint32 n_blocks = 0;

      self->avail = page->next;
      page->next = NULL;
      page->where = PAGE_IN_NOTHING;
      page->free = NULL;
      page->n_free = 0;

      for (gsize i = page_end (self, page); i-- > first;)
        switch (pool_state_get (self, i))
          {
          case POOL_BLOCK_FREE:
          case POOL_BLOCK_FRESH:
            pool_state_set (self, i, POOL_BLOCK_CACHED);
            _nm_pool_page_push (self, page, i);
            n_blocks++;
            break;
          case POOL_BLOCK_ALLOCATED:
          case POOL_BLOCK_THREAD_FREED:
            n_blocks++;
            break;
          default:
            break;
          }

      page->n_blocks = n_blocks;
      if (n_blocks == 0)
        continue;

      __atomic_store_n (&page->xfull, 0, __ATOMIC_RELAXED);
      __atomic_store_n (&page->heap, heap, __ATOMIC_RELAXED);
      __atomic_store_n (&page->owner, pool_thread_id (), __ATOMIC_RELEASE);
      return page;
    }

  return NULL;
}

/* Gives @page (owned by this thread, on no list) back to the pool: its
 * free blocks are FREE again. Lock held. */
static void
give_page_locked (NmPoolAllocator *self,
                  PoolPage        *page)
{
  gsize first = page_first (self, page);

  for (gsize i = first; i < page_end (self, page); i++)
    if (pool_state_get (self, i) == POOL_BLOCK_CACHED)
      pool_state_set (self, i, POOL_BLOCK_FREE);

  page->free = NULL;
  page->n_free = 0;
  __atomic_store_n (&page->xfull, 0, __ATOMIC_RELAXED);
  __atomic_store_n (&page->heap, NULL, __ATOMIC_RELAXED);
  __atomic_store_n (&page->owner, 0, __ATOMIC_RELEASE);
  avail_push (self, page);
}

/* The head page of @heap's queue ran dry: make the head a page with a free
 * block. In order: the head's thread frees; other queued pages; full pages
 * other threads freed into (signalled); a page of the pool; a new slab.
 * On failure @bad is the block a corrupted page met, if any. */
PoolTakeResult
_nm_pool_heap_refill (NmPoolAllocator *self,
                      PoolHeap        *heap,
                      gsize           *bad)
{
  *bad = 0;

  for (;;)
    {
      PoolPage *page = heap->queue;
      PoolTakeResult r = POOL_TAKE_OK;
      gsize grown;

      if (page != NULL)
        {
          if (page->free != NULL || (_nm_pool_page_collect (self, page) > 0 && page->free != NULL))
            return POOL_TAKE_OK;

          /* Nothing in it: to the full list, listening for frees. The
           * flag is raised, then the bits read again (both sequentially
           * consistent, as the freeing side's bit and flag): a free that
           * came in between is seen here or raises the signal. */
          list_unlink (&heap->queue, page);
          list_push (&heap->full, page, PAGE_IN_FULL);
          __atomic_store_n (&page->xfull, 1, __ATOMIC_SEQ_CST);
          if (page_has_thread_frees (page) && __atomic_exchange_n (&page->xfull, 0, __ATOMIC_SEQ_CST))
            {
              list_unlink (&heap->full, page);
              list_push (&heap->queue, page, PAGE_IN_QUEUE);
            }
          continue;
        }

      if (__atomic_load_n (&heap->xsignal, __ATOMIC_RELAXED) &&
          __atomic_exchange_n (&heap->xsignal, 0, __ATOMIC_ACQUIRE))
        {
          PoolPage *next;

          for (page = heap->full; page != NULL; page = next)
            {
              next = page->next;
              if (page_has_thread_frees (page))
                {
                  __atomic_store_n (&page->xfull, 0, __ATOMIC_SEQ_CST);
                  list_unlink (&heap->full, page);
                  list_push (&heap->queue, page, PAGE_IN_QUEUE);
                }
            }
          if (heap->queue != NULL)
            continue;
        }

      pthread_mutex_lock (&self->lock);
      grown = self->n_grown;
      page = take_page_locked (self, heap);
      if (page == NULL)
        {
          r = _nm_pool_grow (self);
          if (r == POOL_TAKE_OK)
            page = take_page_locked (self, heap);
        }
      if (page != NULL)
        {
          PoolTotals t;

          /* Thread-safe mode samples the peak here, at every page taken. */
          _nm_pool_ts_totals_locked (self, &t);
        }
      grown = self->n_grown - grown;
      pthread_mutex_unlock (&self->lock);

      if G_UNLIKELY (grown != 0)
        _nm_pool_notify_capacity (self);

      /* A slab that grew into a page this thread owns (pages need not
       * line up with slabs) gave its blocks to that page, as frees from
       * another thread, and signalled the heap: look again before growing
       * further. Growth that served no page of this heap goes on until the
       * pool may grow no more. */
      if (page == NULL && r == POOL_TAKE_OK)
        continue;
      if (page == NULL)
        return r;

      /* Blocks freed by other threads while the page had no owner. */
      _nm_pool_page_collect (self, page);
      list_push (&heap->queue, page, PAGE_IN_QUEUE);
    }
}

/* The owner freed into @page, which was on the full list. */
void
_nm_pool_heap_page_refilled (NmPoolAllocator *self,
                             PoolHeap        *heap,
                             PoolPage        *page)
{
  if (page->where == PAGE_IN_FULL)
    {
      __atomic_store_n (&page->xfull, 0, __ATOMIC_SEQ_CST);
      list_unlink (&heap->full, page);
    }
  if (page->where != PAGE_IN_QUEUE)
    {
      /* Behind the head: the head keeps serving allocations. */
      if (heap->queue == NULL)
        list_push (&heap->queue, page, PAGE_IN_QUEUE);
      else
        {
          PoolPage *head = heap->queue;

          page->where = PAGE_IN_QUEUE;
          page->prev = head;
          page->next = head->next;
          if (head->next != NULL)
            head->next->prev = page;
          head->next = page;
        }
    }
}

/* Every block of @page (queued, not the head) is free again: the page goes
 * back to the pool, for any thread. */
void
_nm_pool_heap_page_all_free (NmPoolAllocator *self,
                             PoolHeap        *heap,
                             PoolPage        *page)
{
  /* Double frees that raced with this thread's own are reported now,
   * while the page is still this thread's. */
  _nm_pool_page_collect (self, page);
  list_unlink (&heap->queue, page);
  pthread_mutex_lock (&self->lock);
  give_page_locked (self, page);
  pthread_mutex_unlock (&self->lock);
}

/* Thread exit (the pool is alive): every page of @heap goes back to the
 * pool, with what other threads freed into it collected first. */
void
_nm_pool_heap_abandon (NmPoolAllocator *self,
                       PoolHeap        *heap)
{
  for (PoolPage *page = heap->queue; page != NULL; page = page->next)
    _nm_pool_page_collect (self, page);
  for (PoolPage *page = heap->full; page != NULL; page = page->next)
    _nm_pool_page_collect (self, page);

  pthread_mutex_lock (&self->lock);
  while (heap->queue != NULL)
    {
      PoolPage *page = heap->queue;

      list_unlink (&heap->queue, page);
      give_page_locked (self, page);
    }
  while (heap->full != NULL)
    {
      PoolPage *page = heap->full;

      list_unlink (&heap->full, page);
      give_page_locked (self, page);
    }
  __atomic_store_n (&heap->xsignal, 0, __ATOMIC_RELAXED);
  __atomic_store_n (&heap->owner, 0, __ATOMIC_RELAXED);
  pthread_mutex_unlock (&self->lock);
}
