/* nm-pool-allocator-private.h: the pool's struct, its invariants, its hot inlines
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by the pool's files, never installed:
 *
 *   nm-pool-allocator.c     the type, reset, statistics, the GObject code
 *                           with its construct properties, constructors
 *   nm-pool-alloc.c         alloc and free: the entry points behind the
 *                           inline fast paths, their slow halves
 *   nm-pool-blocks.c        block states, encoded links, the free list,
 *                           hand-out and take-back, fill check, diagnosis
 *   nm-pool-slabs.c         address space, slabs: reserve, commit, grow, trim
 *   nm-pool-heaps.c         thread-safe mode: each thread's heap of pages,
 *                           found through a thread-local slot; its life
 *                           cycle, the statistics totals, alloc and free
 *   nm-pool-pages.c         pages: local free lists, taking pages from the
 *                           pool and giving them back
 *   nm-pool-thread-free.c   frees from other threads: the page's
 *                           thread-free bits, their collection
 *
 * The link encoding and the inline fast paths of single-thread pools are in
 * the public header (nm-pool-allocator.h), which the callers inline.
 */

#pragma once

#include <pthread.h>

#include "nm-allocator-private.h"
#include "nm-memory-config.h"
#include "nm-pool-allocator.h"

G_BEGIN_DECLS

/* Invariants
 *
 *  - blocks are numbered 0 … n_blocks-1; block i lives at base + i * stride;
 *    slabs cover consecutive index ranges, slab 0 is never trimmed;
 *  - a block is block_size bytes; stride is block_size, plus a poisoned
 *    redzone in the development preset (validate on);
 *  - state[i] says where block i is: FRESH (never handed out since its slab
 *    was committed or the last reset; found by the fresh cursor), FREE (in
 *    the free list; thread-safe mode: in a page no thread owns), CACHED
 *    (on the local free list of a page a thread owns), THREAD_FREED (freed
 *    by a thread that does not own its page, not collected yet),
 *    ALLOCATED, QUARANTINED (its free-list link was overwritten) or
 *    TRIMMED (its slab was given back);
 *  - single-thread mode: the free list holds exactly the FREE blocks
 *    (thread-safe mode: see below); each link is
 *    _nm_pool_link_encode (address of the next block, or NULL), in the
 *    first 8 bytes;
 *  - a link is followed only after it decoded to a block start below
 *    n_blocks (or NULL), and a block's link is read only after its state
 *    was found FREE, so the pool never reads a trimmed (unmapped) block or
 *    follows a forged pointer;
 *  - with the poison setting, every block that is not handed out holds the
 *    freed fill (0xDD) after its link, from the growth of its slab on;
 *  - blocks in use are n_allocs - n_frees - released in both modes (the
 *    counters of the thread heaps added in thread-safe mode); peak_mark
 *    is the most that n_allocs - n_frees reached, in the same units, so
 *    the peak in blocks is peak_mark - released (or the blocks in use, when
 *    more): exact in single-thread mode, where every free samples it;
 *  - the inline paths use fast.head and fast.limit only in a single-thread
 *    pool without checks or tools (slow_flags 0). Every other pool keeps
 *    its free list in slow_head (list_head points at the list in use) and
 *    has fast.head NULL and fast.limit 0, so the inline paths send every
 *    call out of line without reading slow_flags;
 *  - thread-safe mode: blocks are grouped in pages of 2^page_shift
 *    consecutive indices (page k: blocks k << page_shift …; a page may
 *    span two slabs, and the last one reaches past n_blocks, whose states
 *    are never read). A page is owned by one thread's heap or by none (then it
 *    is on the pool's list of pages, avail). In an owned page the free
 *    blocks are CACHED and on the page's local free list (encoded links,
 *    as in the single-thread list), which only the owning thread reads or
 *    writes: its alloc and free take no lock and no atomic
 *    read-modify-write (relaxed byte loads and stores of the states);
 *  - a thread that frees a block of a page it does not own moves the
 *    block's state ALLOCATED → THREAD_FREED with a compare-and-swap (of two
 *    racing frees exactly one wins; the other is reported), then sets the
 *    block's bit in the page's thread-free bits, on a cache line of their
 *    own. The owner collects the bits when its local list runs dry (and at
 *    thread exit, and before it gives a page back): a THREAD_FREED block
 *    becomes CACHED and joins the local list; a bit whose block is not
 *    THREAD_FREED is a double free that raced with the owner's own free
 *    (both saw the block allocated; the owner's store does not compare),
 *    reported then and skipped, as is a bit found already set by a later
 *    valid free of the block, so a block is never on two lists, never
 *    handed out twice, and each losing free is reported once;
 *  - the owner's heap holds its pages in a queue (pages with free blocks;
 *    the head is the one allocated from) and a full list (pages with none,
 *    whose xfull flag asks other threads to raise the heap's xsignal when
 *    they free into one), so an allocation looks at the full list only
 *    after such a signal;
 *  - pages change owner, and unowned pages change, under self->lock:
 *    taking a page from avail turns its FREE and FRESH blocks into CACHED
 *    ones, giving it back (thread exit, a page whose blocks are all free
 *    again) turns them FREE; so trim, which gives back slabs whose blocks
 *    are all FREE or FRESH, never touches an owned page;
 *  - the slabs, n_held, n_grown, state_committed, released, peak_mark and
 *    the heap list change under self->lock (statistics read them under it
 *    too); n_quarantined is updated atomically;
 *  - a pool that could not be built (init_error set) has no blocks and
 *    POOL_SLOW_UNUSABLE in its slow flags, which sends every call down the
 *    out-of-line paths.
 *
 * Why a state byte per block rather than a bit: the free's compare-and-swap
 * then touches that block's byte only, and the owner's stores need no
 * atomic read-modify-write.
 *
 * Heaps: a thread finds its heap of a pool through the pool's slot in a
 * `__thread` table (global-dynamic TLS with TLS descriptors, which is safe in
 * a library that Python or GJS dlopen()s; initial-exec is not): no hash,
 * no lock. The heap records its pool's key, so a slot left by a finalized
 * pool is recognised. A GPrivate with a destroy notify gives the thread's
 * pages back at thread exit and leaves the heap to the pool as a spare for
 * the next thread; heaps therefore live as long as their pool, and a
 * thread raising another heap's xsignal never meets freed memory. Keys are
 * process-wide serials, never reused, and a global registry maps live keys
 * to pools, so a heap whose pool was finalized is recognised by its key
 * and freed by its thread without the pool being touched.
 */

#define POOL_LINK_SIZE       8
#define POOL_MAX_SLABS       64
#define POOL_PAGE_MAX_SHIFT  8     /* at most 256 blocks a page */
#define POOL_PAGE_WORDS      ((1u << POOL_PAGE_MAX_SHIFT) / 64)
#define POOL_TLS_SLOTS       32
#define POOL_TLS_NONE        POOL_TLS_SLOTS

/* Development preset: at least this many poisoned bytes after each block,
 * and blocks start on AddressSanitizer's 8-byte shadow granules. */
#define POOL_REDZONE          16
#define POOL_REDZONE_GRANULE  8

typedef enum
{
  POOL_BLOCK_FRESH = 0,
  POOL_BLOCK_FREE,
  POOL_BLOCK_CACHED,
  POOL_BLOCK_ALLOCATED,
  POOL_BLOCK_QUARANTINED,
  POOL_BLOCK_TRIMMED,
  POOL_BLOCK_THREAD_FREED,
} PoolBlockState;

G_STATIC_ASSERT (POOL_BLOCK_FREE == _NM_POOL_BLOCK_FREE);
G_STATIC_ASSERT (POOL_BLOCK_ALLOCATED == _NM_POOL_BLOCK_ALLOCATED);

/* The pool's own slow-path bit, beside the shared NmSlowFlags. */
#define POOL_SLOW_UNUSABLE (1u << 7)

typedef struct
{
  gsize    first;
  gsize    count;
  gboolean trimmed;
} PoolSlab;

/* The construct properties, kept until constructed() builds the pool. */
typedef struct
{
  char     *name;
  guint64   block_size;
  guint64   block_alignment;
  guint64   block_count;
  guint64   max_block_count;
  gboolean  thread_safe;
} PoolSettings;

typedef struct _PoolHeap PoolHeap;
typedef struct _PoolPage PoolPage;

/* A page of a thread-safe pool: 128 bytes for up to 256 blocks. */
struct _PoolPage
{
  /* The owner's line: written by the owning thread, or under the pool's
   * lock while no thread owns the page. */
  guint8   *free;          /* the local free list: CACHED blocks */
  gsize     free_index;
  guint32   n_free;        /* blocks on the local list */
  guint32   n_blocks;      /* blocks of the page in held slabs */
  guint32   where;         /* PAGE_IN_* */
  guint32   index;         /* this page's number */
  PoolPage *next;          /* in the heap's queue or full list, or avail */
  PoolPage *prev;
  guintptr  owner;         /* atomic: the owning thread's id, or 0 */
  PoolHeap *heap;          /* atomic: the owning heap, or NULL */

  /* Other threads' line: thread-free bits and the full flag. */
  guint64   xbits[POOL_PAGE_WORDS] __attribute__ ((aligned (64)));
  gint      xfull;         /* atomic: the owner wants to hear of frees */
} __attribute__ ((aligned (64)));

enum
{
  PAGE_IN_NOTHING = 0,
  PAGE_IN_QUEUE,
  PAGE_IN_FULL,
  PAGE_IN_AVAIL,
};

struct _PoolHeap
{
  guint64    key;          /* the pool's key; the pool may be gone */
  guintptr   owner;        /* atomic: the owning thread's id, 0 for a spare */
  PoolPage  *queue;        /* pages with free blocks; the head is allocated from */
  PoolPage  *full;         /* pages without, listening */
  PoolHeap  *thread_next;  /* the owning thread's heaps */
  PoolHeap  *pool_next;    /* the pool's heaps, under the pool's lock */
  guint64    n_allocs;     /* written by the owner, read by statistics */
  guint64    n_frees;      /* frees this thread made, its own pages or not */

  gint       xsignal __attribute__ ((aligned (64)));  /* atomic: a full page got a free */
} __attribute__ ((aligned (64)));

typedef struct
{
  PoolHeap *slots[POOL_TLS_SLOTS + 1];   /* the last is POOL_TLS_NONE's, always NULL */
  PoolHeap *all;
  gboolean  registered;
} PoolThreadHeaps;

struct _NmPoolAllocator
{
  GObject              parent_instance;

  /* Hot: the single-thread paths touch only these; the inline fast paths
   * in the header read them right after the GObject. In fast: base, state,
   * stride, inverse (of the odd part of stride, mod 2^64), shift (trailing
   * zero bits of stride), slow_flags, head (the first FREE block, or NULL),
   * head_index (its index), limit (n_blocks, or 0: see the invariants),
   * secret, n_allocs and n_frees (thread-safe mode: unused),
   * peak_mark (see the invariants), and block_size, align_mask (~(block
   * alignment - 1)) and block_alignment (copies of the fields below, 0
   * while the pool is unusable) for the inline dispatch of
   * nm_allocator_alloc() and nm_allocator_free(). */
  _NmPoolAllocatorFast fast;

  /* The free list: &fast.head and &fast.head_index in a pool the inline
   * paths use, &slow_head and &slow_head_index in any other. */
  guint8             **list_head;
  gsize               *list_index;
  guint8              *slow_head;
  gsize                slow_head_index;
  gsize                n_blocks;     /* blocks in the slab range */

  guint64              key;

  gsize                block_size;   /* rounded; what a block holds */
  gsize                block_alignment;
  gsize                block_count;
  gsize                max_blocks;
  gsize                fresh;        /* next index the fresh cursor looks at */
  gsize                n_held;       /* blocks in slabs that are not trimmed */
  gsize                reserved;     /* bytes of address space for blocks */
  gsize                state_committed;
  gsize                n_grown;      /* slabs added or recommitted so far */
  guint64              released;     /* thread-safe mode: handed out, then reset */
  guint64              n_quarantined;
  PoolSlab             slabs[POOL_MAX_SLABS];
  guint                n_slabs;

  /* Thread-safe mode */
  guint                page_shift;   /* blocks a page: 1 << page_shift */
  guint                tls_slot;     /* in _nm_pool_thread_heaps, or POOL_TLS_NONE */
  PoolPage            *pages;        /* reserved for max_blocks, committed with slabs */
  gsize                pages_reserved;
  gsize                pages_committed;
  PoolPage            *avail;        /* unowned pages, under lock */
  PoolHeap            *heaps;        /* live and spare heaps, under lock */
  pthread_mutex_t      lock;         /* slabs, pages without owner, heap list */

  NmAllocatorCommon    common;

  PoolSettings         settings;
  NmMemoryConfig      *config;
  GError              *init_error;   /* why the pool holds no blocks, or NULL */
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (struct _NmPoolAllocator, fast) == sizeof (GObject));

/* Why a block could not be taken from the list, a page or a new slab. */
typedef enum
{
  POOL_TAKE_OK,
  POOL_TAKE_BAD_LINK,    /* the head block's link was overwritten */
  POOL_TAKE_BAD_TARGET,  /* a link led to a block that is not free */
  POOL_TAKE_EXHAUSTED,
  POOL_TAKE_NO_MEMORY,
} PoolTakeResult;

/* A snapshot of the counters, taken under the lock in thread-safe mode. */
typedef struct
{
  guint64 allocs;
  guint64 frees;
  guint64 cached;
  guint64 in_use;
  guint64 peak;
  gsize   held;
  gsize   state_committed;
} PoolTotals;

/* Blocks: addresses, indices and states */

static inline guint8 *
pool_block_ptr (NmPoolAllocator *self,
                gsize            index)
{
  return self->fast.base + index * self->fast.stride;
}

/* The index of the block starting at @mem, or a number >= n_blocks when
 * @mem is below the pool, beyond it or not at a block start. With
 * stride = 2^k·d (d odd) and x = mem - base: x·d⁻¹ rotated right by k is
 * x / stride when stride divides x, and above every valid index otherwise. */
static inline gsize
pool_block_index (NmPoolAllocator *self,
                  gconstpointer    mem)
{
  return _nm_pool_block_index (&self->fast, mem);
}

static inline guint
pool_state_get (NmPoolAllocator *self,
                gsize            index)
{
  return __atomic_load_n (&self->fast.state[index], __ATOMIC_RELAXED);
}

static inline void
pool_state_set (NmPoolAllocator *self,
                gsize            index,
                guint8           state)
{
  __atomic_store_n (&self->fast.state[index], state, __ATOMIC_RELAXED);
}

/* The one transition two threads may race for: freeing an allocated block.
 * Exactly one of two racing frees of a block wins; the other sees the
 * block no longer allocated and is reported as a double free. One locked
 * compare-and-swap on a byte no other thread is writing (see the
 * benchmark's thread-safe rows for its cost). */
static inline gboolean
pool_state_claim_free (NmPoolAllocator *self,
                       gsize            index,
                       guint8           new_state)
{
  guint8 expected = POOL_BLOCK_ALLOCATED;

  return __atomic_compare_exchange_n (&self->fast.state[index], &expected, new_state, FALSE,
                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static inline gsize
pool_n_blocks (NmPoolAllocator *self)
{
  return __atomic_load_n (&self->n_blocks, __ATOMIC_ACQUIRE);
}

/* Blocks in use: exact in single-thread mode; in thread-safe mode the
 * caller adds the heaps' counters up first (see _nm_pool_ts_totals()). */
static inline guint64
pool_in_use (guint64 allocs,
             guint64 frees,
             guint64 released)
{
  /* Read one heap at a time while other threads work, the counters can
   * be off, even below zero, until they are quiet. */
  return frees + released < allocs ? allocs - frees - released : 0;
}

/* Thread-safe mode: the lookups every call makes */

extern __thread PoolThreadHeaps _nm_pool_thread_heaps;

/* A number unique to each live thread, read without a call: the thread
 * pointer on x86-64 (what pthread_self() returns there). */
static inline guintptr
pool_thread_id (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  guintptr tp;

  __asm__ ("mov %%fs:0, %0" : "=r" (tp));
  return tp;
#else
  return (guintptr) pthread_self ();
#endif
}

static inline PoolPage *
pool_page_of (NmPoolAllocator *self,
              gsize            index)
{
  return &self->pages[index >> self->page_shift];
}

PoolHeap *_nm_pool_heap_attach (NmPoolAllocator *self) G_GNUC_NO_INLINE;

/* This thread's heap of @self: one thread-local slot, no hash, no lock.
 * Pools without a slot of their own use the last one, which stays NULL. */
static inline PoolHeap *
pool_heap_get (NmPoolAllocator *self)
{
  PoolHeap *h = _nm_pool_thread_heaps.slots[self->tls_slot];

  if G_LIKELY (h != NULL && h->key == self->key)
    return h;

  return _nm_pool_heap_attach (self);
}

/* A counter only its thread writes and statistics read. */
static inline void
pool_counter_bump (guint64 *counter)
{
  __atomic_store_n (counter, __atomic_load_n (counter, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

gpointer _nm_pool_ts_alloc_slow (NmPoolAllocator  *self,
                                 GError          **error) G_GNUC_NO_INLINE;
void     _nm_pool_ts_free_slow  (NmPoolAllocator  *self,
                                 gpointer          mem,
                                 gsize             index) G_GNUC_NO_INLINE;

/* Thread-safe allocation (no tools, no poison): the head of the local list of the heap's head
 * page, with the checks of the single-thread pop (the block is CACHED,
 * its link leads into the same page or is NULL), relaxed state stores and
 * a counter only this thread writes. */
static inline gpointer
pool_ts_alloc (NmPoolAllocator  *self,
               GError          **error)
{
  PoolHeap *heap = _nm_pool_thread_heaps.slots[self->tls_slot];
  PoolPage *page;

  if G_LIKELY (heap != NULL && heap->key == self->key &&
               (page = heap->queue) != NULL && page->free != NULL)
    {
      guint8 *blk = page->free;
      gsize i = page->free_index;

      if G_LIKELY (pool_state_get (self, i) == POOL_BLOCK_CACHED)
        {
          guint8 *next = _nm_pool_link_read (&self->fast, blk);
          gsize next_index = _nm_pool_block_index (&self->fast, next);

          if G_LIKELY ((next_index >> self->page_shift) == page->index || next == NULL)
            {
              pool_state_set (self, i, POOL_BLOCK_ALLOCATED);
              page->free = next;
              page->free_index = next_index;
              page->n_free--;
              pool_counter_bump (&heap->n_allocs);
              return blk;
            }
        }
    }

  return _nm_pool_ts_alloc_slow (self, error);
}

/* Thread-safe free (no tools, no poison) into a page this thread owns: no lock, no atomic
 * read-modify-write. Everything else (another thread's page, a page that
 * changes lists, a bad pointer, the tools) goes out of line. */
static inline void
pool_ts_free (NmPoolAllocator *self,
              gpointer         mem)
{
  gsize i = pool_block_index (self, mem);

  if G_LIKELY (i < pool_n_blocks (self))
    {
      PoolPage *page = pool_page_of (self, i);

      if G_LIKELY (__atomic_load_n (&page->owner, __ATOMIC_RELAXED) == pool_thread_id () &&
                   pool_state_get (self, i) == POOL_BLOCK_ALLOCATED &&
                   page->where == PAGE_IN_QUEUE &&
                   page->n_free + 1 < page->n_blocks)
        {
          PoolHeap *heap = __atomic_load_n (&page->heap, __ATOMIC_RELAXED);

          pool_state_set (self, i, POOL_BLOCK_CACHED);
          _nm_pool_link_write (&self->fast, mem, page->free);
          page->free = (guint8 *) mem;
          page->free_index = i;
          page->n_free++;
          pool_counter_bump (&heap->n_frees);
          return;
        }
    }

  _nm_pool_ts_free_slow (self, mem, i);
}

/* nm-pool-blocks.c */
guint64        _nm_pool_link_load        (NmPoolAllocator  *self,
                                          guint8           *blk);
void           _nm_pool_link_store       (NmPoolAllocator  *self,
                                          guint8           *blk,
                                          const guint8     *next);
void           _nm_pool_list_push        (NmPoolAllocator  *self,
                                          gsize             index);
void           _nm_pool_list_rebuild     (NmPoolAllocator  *self);
PoolTakeResult _nm_pool_depot_take       (NmPoolAllocator  *self,
                                          gsize            *out,
                                          gboolean         *fresh);
gpointer       _nm_pool_hand_out         (NmPoolAllocator  *self,
                                          gsize             index,
                                          gboolean          check,
                                          GError          **error);
void           _nm_pool_take_back        (NmPoolAllocator  *self,
                                          guint8           *blk);
gpointer       _nm_pool_fail_take        (NmPoolAllocator  *self,
                                          PoolTakeResult    r,
                                          gsize             bad,
                                          gsize             held,
                                          guint64           cached,
                                          GError          **error) NM_COLD;
void           _nm_pool_recover          (NmPoolAllocator  *self,
                                          PoolTakeResult    r,
                                          gsize             bad);
void           _nm_pool_report_bad_free  (NmPoolAllocator  *self,
                                          gconstpointer     mem,
                                          gsize             index) G_GNUC_NO_INLINE NM_COLD;

/* nm-pool-slabs.c */
gboolean       _nm_pool_slabs_init       (NmPoolAllocator  *self,
                                          NmMemoryConfig   *config,
                                          GError          **error);
void           _nm_pool_slabs_clear      (NmPoolAllocator  *self);
PoolTakeResult _nm_pool_grow             (NmPoolAllocator  *self);
void           _nm_pool_slabs_reset      (NmPoolAllocator  *self);

/* nm-pool-heaps.c */
void           _nm_pool_registry_add     (NmPoolAllocator  *self);
void           _nm_pool_heaps_finalize   (NmPoolAllocator  *self);
void           _nm_pool_heaps_reset_locked (NmPoolAllocator *self);
void           _nm_pool_ts_totals        (NmPoolAllocator  *self,
                                          PoolTotals       *t);
void           _nm_pool_ts_totals_locked (NmPoolAllocator  *self,
                                          PoolTotals       *t);
guint64        _nm_pool_ts_cached_count  (NmPoolAllocator  *self);

/* nm-pool-pages.c */
gboolean       _nm_pool_pages_init       (NmPoolAllocator  *self,
                                          GError          **error);
void           _nm_pool_pages_clear      (NmPoolAllocator  *self);
gboolean       _nm_pool_pages_commit     (NmPoolAllocator  *self,
                                          gsize             n_blocks);
void           _nm_pool_pages_added      (NmPoolAllocator  *self,
                                          gsize             first,
                                          gsize             count);
void           _nm_pool_pages_reset_locked (NmPoolAllocator *self);
void           _nm_pool_page_push        (NmPoolAllocator  *self,
                                          PoolPage         *page,
                                          gsize             index);
PoolTakeResult _nm_pool_page_pop         (NmPoolAllocator  *self,
                                          PoolPage         *page,
                                          gsize            *out);
void           _nm_pool_page_rebuild     (NmPoolAllocator  *self,
                                          PoolPage         *page);
PoolTakeResult _nm_pool_heap_refill      (NmPoolAllocator  *self,
                                          PoolHeap         *heap,
                                          gsize            *bad);
void           _nm_pool_heap_page_refilled (NmPoolAllocator *self,
                                          PoolHeap         *heap,
                                          PoolPage         *page);
void           _nm_pool_heap_page_all_free (NmPoolAllocator *self,
                                          PoolHeap         *heap,
                                          PoolPage         *page);
void           _nm_pool_heap_abandon     (NmPoolAllocator  *self,
                                          PoolHeap         *heap);

/* nm-pool-thread-free.c */
gboolean       _nm_pool_thread_free      (NmPoolAllocator  *self,
                                          PoolPage         *page,
                                          gsize             index);
guint          _nm_pool_page_collect     (NmPoolAllocator  *self,
                                          PoolPage         *page);
void           _nm_pool_report_raced_free (NmPoolAllocator *self,
                                          gsize             index) G_GNUC_NO_INLINE NM_COLD;

/* nm-pool-alloc.c: the NmAllocator methods */
gpointer       _nm_pool_iface_alloc      (NmAllocator      *allocator,
                                          gsize             size,
                                          gsize             alignment,
                                          GError          **error);
void           _nm_pool_iface_free       (NmAllocator      *allocator,
                                          gpointer          mem,
                                          gsize             size,
                                          gsize             alignment);
gboolean       _nm_pool_iface_owns       (NmAllocator      *allocator,
                                          gconstpointer     mem);

/* nm-pool-allocator.c */
extern GType   _nm_pool_type;            /* NM_TYPE_POOL_ALLOCATOR, for the cheap check */

/* The hot-path type check: one compare against the cached GType. */
#define NM_POOL_CHECK(self, val) \
  g_return_val_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == _nm_pool_type, val)
#define NM_POOL_CHECK_VOID(self) \
  g_return_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == _nm_pool_type)

void           _nm_pool_notify_capacity  (NmPoolAllocator  *self);

NmPoolAllocator *_nm_pool_allocator_new_from_config (NmMemoryConfig  *config,
                                                     GError         **error);

/* Blocks a page of a thread-safe @self has at most; for tests. */
guint            _nm_pool_allocator_get_cache_limit (NmPoolAllocator *self);

G_END_DECLS
