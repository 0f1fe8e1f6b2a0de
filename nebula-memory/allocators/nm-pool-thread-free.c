/* nm-pool-thread-free.c: frees of blocks whose page another thread owns
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A thread freeing a block of a page it does not own claims the block
 * with one compare-and-swap of its state (ALLOCATED → THREAD_FREED: of two
 * racing frees exactly one wins) and sets the block's bit in the page's
 * thread-free bits, which sit on a cache line of their own; the owner's
 * lines are not written. When the owner listens (the page was full), the
 * freeing thread raises the owner heap's signal once. The owner collects
 * the bits when its local list runs dry, and at thread exit.
 */

#include "config.h"

#include "nm-pool-allocator-private.h"

/* One report for a double free the owner's free raced with. */
void
_nm_pool_report_raced_free (NmPoolAllocator *self,
                            gsize            index)
{
  _nm_allocator_report_invalid_free (NM_ALLOCATOR (self), &self->common, pool_block_ptr (self, index),
                                     "double free of block #%" G_GSIZE_FORMAT ": two threads "
                                     "freed it at the same moment; it was given back once",
                                     index);
}

/* @index is below n_blocks and @page is its page. FALSE when the free was
 * refused (and reported). */
gboolean
_nm_pool_thread_free (NmPoolAllocator *self,
                      PoolPage        *page,
                      gsize            index)
{
  guint bit = (guint) (index & (((gsize) 1 << self->page_shift) - 1));
  guint8 expected = POOL_BLOCK_ALLOCATED;
  guint64 mask;

  /* A page no thread owns (its thread exited while the block was out):
   * the block is free in the pool at once, under the lock that keeps the
   * page from being taken meanwhile. Rare: blocks that outlive the thread
   * that took them. */
  if (__atomic_load_n (&page->owner, __ATOMIC_ACQUIRE) == 0)
    {
      gboolean claimed = FALSE;
      gboolean unowned;

      pthread_mutex_lock (&self->lock);
      unowned = __atomic_load_n (&page->owner, __ATOMIC_RELAXED) == 0;
      if (unowned)
        {
          claimed = __atomic_compare_exchange_n (&self->fast.state[index], &expected,
                                                 POOL_BLOCK_FREE, FALSE, __ATOMIC_ACQUIRE,
                                                 __ATOMIC_RELAXED);
          if (claimed)
            _nm_pool_take_back (self, pool_block_ptr (self, index));
        }
      pthread_mutex_unlock (&self->lock);

      if (unowned)
        {
          if (!claimed)
            _nm_pool_report_bad_free (self, pool_block_ptr (self, index), index);
          return claimed;
        }
      expected = POOL_BLOCK_ALLOCATED;
    }

  if (!__atomic_compare_exchange_n (&self->fast.state[index], &expected, POOL_BLOCK_THREAD_FREED,
                                    FALSE, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    {
      _nm_pool_report_bad_free (self, pool_block_ptr (self, index), index);
      return FALSE;
    }

  /* The tools, the poison fill and the leak report's sites. */
  if (self->fast.slow_flags != NM_SLOW_THREAD_SAFE)
    _nm_pool_take_back (self, pool_block_ptr (self, index));

  /* Release: the owner that collects the bit sees the block as freed. A
   * bit already set belongs to an earlier free of this block that raced
   * with the owner's own free of it (both saw it allocated; the owner's
   * store does not compare): that block went back once, through the
   * owner, and was handed out again, which is how this free could claim
   * it. The earlier free is the double free; this one is valid and its bit
   * now stands for both. */
  mask = G_GUINT64_CONSTANT (1) << (bit % 64);
  if G_UNLIKELY (__atomic_fetch_or (&page->xbits[bit / 64], mask, __ATOMIC_SEQ_CST) & mask)
    _nm_pool_report_raced_free (self, index);

  if (__atomic_load_n (&page->xfull, __ATOMIC_SEQ_CST))
    {
      PoolHeap *heap = __atomic_load_n (&page->heap, __ATOMIC_ACQUIRE);

      /* Heaps live as long as their pool: a heap read here is valid even
       * when its thread just gave the page back (the signal is then only
       * a look at its full list that finds nothing). */
      if (heap != NULL && __atomic_exchange_n (&page->xfull, 0, __ATOMIC_SEQ_CST))
        __atomic_store_n (&heap->xsignal, 1, __ATOMIC_RELEASE);
    }

  return TRUE;
}

/* The owner takes what other threads freed into @page: each block whose
 * bit is set and whose state is THREAD_FREED joins the local list. A bit
 * whose block is in another state is a double free that raced with the
 * owner's own free of the block (which stores its state without a
 * compare-and-swap): reported now, and the block stays where the owner's
 * free put it. Returns the blocks collected. */
guint
_nm_pool_page_collect (NmPoolAllocator *self,
                       PoolPage        *page)
{
  gsize first = (gsize) page->index << self->page_shift;
  guint n = 0;

  for (guint w = 0; w < POOL_PAGE_WORDS; w++)
    {
      guint64 bits;

      if (__atomic_load_n (&page->xbits[w], __ATOMIC_RELAXED) == 0)
        continue;

      bits = __atomic_exchange_n (&page->xbits[w], 0, __ATOMIC_ACQUIRE);
      while (bits != 0)
        {
          gsize i = first + w * 64 + (gsize) __builtin_ctzll (bits);

          bits &= bits - 1;
          if (pool_state_get (self, i) == POOL_BLOCK_THREAD_FREED)
            {
              pool_state_set (self, i, POOL_BLOCK_CACHED);
              _nm_pool_page_push (self, page, i);
              n++;
            }
          else
            _nm_pool_report_raced_free (self, i);
        }
    }

  return n;
}
