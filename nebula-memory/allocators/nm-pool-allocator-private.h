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
 *   nm-pool-thread-cache.c  per-thread caches and the depot behind them
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
 *    the free list, the depot in thread-safe mode), CACHED (in a thread
 *    cache), ALLOCATED, QUARANTINED (its free-list link was overwritten) or
 *    TRIMMED (its slab was given back);
 *  - the free list holds exactly the FREE blocks; each link is
 *    _nm_pool_link_encode (address of the next block, or NULL), in the
 *    first 8 bytes;
 *  - a link is followed only after it decoded to a block start below
 *    n_blocks (or NULL), and a block's link is read only after its state
 *    was found FREE, so the pool never reads a trimmed (unmapped) block or
 *    follows a forged pointer;
 *  - with the poison setting, every block that is not handed out holds the
 *    freed fill (0xDD) after its link, from the growth of its slab on;
 *  - blocks in use are n_allocs - n_frees - released in both modes (the
 *    counters of the thread caches added in thread-safe mode); peak_mark
 *    is the most that n_allocs - n_frees reached, in the same units, so
 *    the peak in blocks is peak_mark - released (or the blocks in use, when
 *    more): exact in single-thread mode, where every free samples it;
 *  - the inline paths use fast.head and fast.limit only in a single-thread
 *    pool without checks or tools (slow_flags 0). Every other pool keeps
 *    its free list in slow_head (list_head points at the list in use) and
 *    has fast.head NULL and fast.limit 0, so the inline paths send every
 *    call out of line without reading slow_flags;
 *  - thread-safe mode: FREE ↔ CACHED transitions, the list, the slabs,
 *    n_held, n_grown, state_committed, released and peak_mark change under
 *    self->lock (statistics read them under it too); CACHED → ALLOCATED
 *    happens in the owning thread with a relaxed byte store; ALLOCATED →
 *    CACHED is a compare-and-swap in the freeing thread, the one
 *    transition two threads can race for (a double free), so exactly one
 *    of them wins; n_quarantined is updated atomically;
 *  - a pool that could not be built (init_error set) has no blocks and
 *    POOL_SLOW_UNUSABLE in its slow flags, which sends every call down the
 *    out-of-line paths.
 *
 * Why a state byte per block rather than a bit: the free's compare-and-swap
 * then touches that block's byte only, and frees of neighbouring blocks by
 * different threads never contend for one bit field.
 *
 * The depot is a free list behind a mutex taken once per batch of half a
 * cache. The benchmark program (`nm-bench --only depot`) measures it against
 * a lock-free stack with a version tag (ABA-safe, one 16-byte CAS per
 * block): batching under a lock moves a block for a fraction of one CAS,
 * and two contending threads make the CAS stack slower still.
 *
 * Thread caches: each pool has a small owner table, indexed by a hash of
 * the thread pointer, where a thread usually finds its cache without any
 * TLS access (the cache records its owner, so a collision or a stale entry
 * only sends the thread down the slower path). Behind it, a `__thread`
 * table (global-dynamic TLS with TLS descriptors, which is safe in a library
 * that Python or GJS dlopen()s; initial-exec is not) maps a pool's unique key
 * to the thread's cache. A GPrivate with a destroy notify returns the cached
 * blocks at thread exit and leaves the cache to the pool as a spare for the
 * next thread; caches therefore live as long as their pool, and a thread
 * reading the owner table never meets freed memory. Keys are process-wide
 * serials, never reused, and a global registry maps live keys to pools, so
 * a cache whose pool was finalized is recognised by its key and freed by
 * its thread without the pool being touched.
 */

#define POOL_LINK_SIZE       8
#define POOL_MAX_SLABS       64
#define POOL_CACHE_MAX       64
#define POOL_N_CACHE_SLOTS   4
#define POOL_N_OWNER_SLOTS   64

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

typedef struct _PoolCache PoolCache;

struct _PoolCache
{
  guint64    key;          /* the pool's key; the pool may be gone */
  guintptr   owner;        /* the owning thread's id, 0 for a spare cache */
  PoolCache *thread_next;  /* the owning thread's caches */
  PoolCache *pool_next;    /* the pool's caches, under the pool's lock */
  PoolCache *pool_prev;
  guint      count;        /* written by the owner, read by statistics */
  guint      limit;
  guint64    n_allocs;
  guint64    n_frees;
  gsize      blocks[];
};

typedef struct
{
  PoolCache *slots[POOL_N_CACHE_SLOTS];
  PoolCache *all;
  gboolean   registered;
} PoolThreadCaches;

struct _NmPoolAllocator
{
  GObject              parent_instance;

  /* Hot: the single-thread paths touch only these; the inline fast paths
   * in the header read them right after the GObject. In fast: base, state,
   * stride, inverse (of the odd part of stride, mod 2^64), shift (trailing
   * zero bits of stride), slow_flags, head (the first FREE block, or NULL),
   * head_index (its index), limit (n_blocks, or 0: see the invariants),
   * secret, n_allocs and n_frees (thread-safe mode: of caches gone),
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
  guint                cache_limit;
  PoolCache           *caches;       /* live and spare caches, under lock */
  PoolCache           *owners[POOL_N_OWNER_SLOTS]; /* thread id hash → cache */
  pthread_mutex_t      lock;         /* depot, slabs, cache list */

  NmAllocatorCommon    common;

  PoolSettings         settings;
  NmMemoryConfig      *config;
  GError              *init_error;   /* why the pool holds no blocks, or NULL */
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (struct _NmPoolAllocator, fast) == sizeof (GObject));

/* Why a block could not be taken from the depot. */
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
 * caller adds the caches' counters up first (see _nm_pool_ts_totals()). */
static inline guint64
pool_in_use (guint64 allocs,
             guint64 frees,
             guint64 released)
{
  /* Read one cache at a time while other threads work, the counters can
   * be off, even below zero, until they are quiet. */
  return frees + released < allocs ? allocs - frees - released : 0;
}

/* Thread caches: the lookup every thread-safe call makes */

extern __thread PoolThreadCaches _nm_pool_thread_caches;

PoolCache *_nm_pool_cache_attach   (NmPoolAllocator  *self) G_GNUC_NO_INLINE;
gpointer   _nm_pool_ts_alloc_slow  (NmPoolAllocator  *self,
                                    PoolCache        *c,
                                    GError          **error) G_GNUC_NO_INLINE;

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

static inline guint
pool_owner_slot (guintptr id)
{
  return (guint) (((guint64) id * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> 58);
}

/* The thread's cache when the owner table has it: no TLS access. Caches
 * live as long as their pool, so the cache read here is valid memory even
 * when its thread just left it; its owner then no longer matches. */
static inline PoolCache *
pool_cache_get (NmPoolAllocator *self)
{
  guintptr id = pool_thread_id ();
  PoolCache *c = __atomic_load_n (&self->owners[pool_owner_slot (id)], __ATOMIC_ACQUIRE);

  if G_LIKELY (c != NULL && __atomic_load_n (&c->owner, __ATOMIC_RELAXED) == id)
    return c;

  c = _nm_pool_thread_caches.slots[self->key % POOL_N_CACHE_SLOTS];
  if G_LIKELY (c != NULL && c->key == self->key)
    return c;

  return _nm_pool_cache_attach (self);
}

/* Thread-safe allocation: a pop from the thread's cache, a relaxed state
 * store and a counter store; the depot only when the cache is empty. */
static inline gpointer
pool_ts_alloc (NmPoolAllocator  *self,
               GError          **error)
{
  PoolCache *c = pool_cache_get (self);
  guint n = c->count;

  if G_LIKELY (n > 0 && !(self->fast.slow_flags & (NM_SLOW_SANITIZE | NM_SLOW_POISON)))
    {
      gsize i = c->blocks[n - 1];

      __atomic_store_n (&c->count, n - 1, __ATOMIC_RELAXED);
      pool_state_set (self, i, POOL_BLOCK_ALLOCATED);
      __atomic_store_n (&c->n_allocs, c->n_allocs + 1, __ATOMIC_RELAXED);
      return pool_block_ptr (self, i);
    }

  return _nm_pool_ts_alloc_slow (self, c, error);
}

/* nm-pool-blocks.c */
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

/* nm-pool-thread-cache.c */
void           _nm_pool_registry_add     (NmPoolAllocator  *self);
void           _nm_pool_caches_finalize  (NmPoolAllocator  *self);
void           _nm_pool_caches_empty_locked (NmPoolAllocator *self);
void           _nm_pool_ts_free_slow     (NmPoolAllocator  *self,
                                          gsize             index) G_GNUC_NO_INLINE;
void           _nm_pool_ts_totals        (NmPoolAllocator  *self,
                                          PoolTotals       *t);
void           _nm_pool_ts_totals_locked (NmPoolAllocator  *self,
                                          PoolTotals       *t);
guint64        _nm_pool_ts_cached_count  (NmPoolAllocator  *self);

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

/* Blocks a thread cache of @self holds at most; for tests. */
guint            _nm_pool_allocator_get_cache_limit (NmPoolAllocator *self);

G_END_DECLS
