/* nm-pool-allocator.c: fixed-size block pool with a hardened free list
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "nm-allocator-private.h"
#include "nm-memory-config-builder.h"
#include "nm-memory-config-private.h"
#include "nm-sanitizer-private.h"
#include "nm-pool-allocator-private.h"

/**
 * SECTION:nm-pool-allocator
 * @Title: NmPoolAllocator
 * @Short_description: fixed-size blocks with a hardened free list and thread caches
 *
 * An #NmPoolAllocator hands out blocks of one size: the allocator for
 * many objects of one type (list nodes, requests, tree nodes). Allocation
 * and free take a handful of instructions and there is no per-block header:
 * the free list lives inside the free blocks.
 *
 * Block sizes are rounded up to a multiple of #NmPoolAllocator:block-alignment
 * and to at least 8 bytes (the free-list link); #NmPoolAllocator:block-size
 * reports the rounded size. Requests through nm_allocator_alloc() larger than
 * a block, or aligned more strictly than the blocks, fail with
 * %NM_ALLOCATOR_ERROR_INVALID_LAYOUT.
 *
 * The pool starts with `block-count` blocks. With a `max-block-count` it
 * grows by slabs (each as large as the pool already is) up to that many
 * blocks; nm_pool_allocator_trim() gives completely free slabs other than
 * the first back to the system. An empty pool that may not grow fails with
 * %NM_ALLOCATOR_ERROR_POOL_EXHAUSTED. The address space for
 * `max-block-count` blocks is reserved up front (not committed), so blocks
 * never move and a pointer is checked against the pool in O(1).
 *
 * nm_pool_allocator_reset() makes every block free again: every block handed
 * out before is invalid afterwards.
 *
 * Misuse is survivable. A double free, a pointer outside the pool and a
 * pointer into the middle of a block are reported once with g_critical(),
 * counted in #NmAllocatorStats:invalid_free_count and ignored; a block is
 * never handed out twice. The free-list links are encoded with a per-pool
 * secret and their own address and validated before they are followed: a
 * write into a freed block is reported as %NM_ALLOCATOR_ERROR_CORRUPTION on
 * the allocation that meets it (and one g_critical()), the block is
 * quarantined and the rest of the pool stays usable. The development preset
 * also fills freed blocks with 0xDD and checks the fill when the block is
 * handed out again, and reports use of a single-thread pool from a second
 * thread once.
 *
 * With `thread-safe=true` any thread allocates and frees any block. Each
 * thread keeps a small cache of free blocks per pool (at most 64 blocks, and
 * at most an eighth of `block-count` in small pools) in front of a shared
 * depot taken with a short lock once per half a cache. A thread's cached
 * blocks return to the depot when the thread exits; an allocation may
 * report %NM_ALLOCATOR_ERROR_POOL_EXHAUSTED while other threads' caches still
 * hold blocks (the message says how many). Statistics are exact once the
 * threads are quiescent, except #NmAllocator:bytes-peak, which thread-safe
 * pools sample at depot transfers, statistics reads and resets (a lower
 * bound). Frees change a block's state atomically, so of two threads
 * freeing one block at the same moment exactly one gives it back and the
 * other is reported as a double free: a block is never cached twice.
 * Statistics and properties may be read while other threads allocate,
 * free, grow and trim. Reset must not race with other calls.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmPoolAllocator) nodes = nm_pool_allocator_new (sizeof (Node), G_ALIGNOF (Node),
 *                                                           1024, &error);
 * Node *node = nm_pool_allocator_alloc (nodes, &error);
 * ...
 * nm_pool_allocator_free (nodes, node);
 * ]|
 */

/* Invariants
 *
 *  - blocks are numbered 0 … n_blocks-1; block i lives at base + i * stride;
 *    slabs cover consecutive index ranges, slab 0 is never trimmed;
 *  - state[i] says where block i is: FRESH (never handed out since its slab
 *    was committed or the last reset; found by the fresh cursor), FREE (in
 *    the free list, the depot in thread-safe mode), CACHED (in a thread
 *    cache), ALLOCATED, QUARANTINED (its free-list link was overwritten) or
 *    TRIMMED (its slab was given back);
 *  - the free list holds exactly the FREE blocks; each link is
 *    encode(address of the next block, or NULL), in the first 8 bytes;
 *  - a link is followed only after it decoded to a block start below
 *    n_blocks (or NULL), and a
 *    block's link is read only after its state was found FREE, so the pool
 *    never reads a trimmed (unmapped) block or follows a forged pointer;
 *  - single-thread mode: in_use and peak are exact counters;
 *  - thread-safe mode: FREE ↔ CACHED transitions, the list, the slabs,
 *    n_held, state_committed, released and peak change under self->lock
 *    (statistics read them under it too); CACHED → ALLOCATED happens in the
 *    owning thread with a relaxed byte store; ALLOCATED → CACHED is a
 *    compare-and-swap in the freeing thread, the one transition two threads
 *    can race for (a double free), so exactly one of them wins;
 *    n_quarantined is updated atomically.
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
 * only sends the thread down the slower path). Behind it, a `static __thread`
 * table (global-dynamic TLS with TLS descriptors, which is safe in a library
 * that Python or GJS dlopen()s; initial-exec is not) maps a pool's unique key
 * to the thread's cache. A GPrivate with a destroy notify returns the cached
 * blocks at thread exit and leaves the cache to the pool as a spare for the
 * next thread; caches therefore live as long as their pool, and a thread
 * reading the owner table never meets freed memory. Keys are never reused
 * and a global registry maps live keys to pools, so a cache whose pool was
 * finalized is recognised by its key and freed by its thread without the
 * pool being touched.
 */

#define LINK_SIZE       8
#define MAX_SLABS       64
#define CACHE_MAX       64
#define N_CACHE_SLOTS   4
#define N_OWNER_SLOTS   64

/* Development preset: at least this many poisoned bytes after each block,
 * and blocks start on AddressSanitizer's 8-byte shadow granules. */
#define REDZONE          16
#define REDZONE_GRANULE  8

#define DEFAULT_BLOCK_SIZE   64
#define DEFAULT_BLOCK_COUNT  1024

enum {
  BLOCK_FRESH = 0,
  BLOCK_FREE,
  BLOCK_CACHED,
  BLOCK_ALLOCATED,
  BLOCK_QUARANTINED,
  BLOCK_TRIMMED,
};

G_STATIC_ASSERT (BLOCK_FREE == _NM_POOL_BLOCK_FREE);
G_STATIC_ASSERT (BLOCK_ALLOCATED == _NM_POOL_BLOCK_ALLOCATED);

enum {
  SLOW_THREAD_SAFE = 1 << 0,
  SLOW_SANITIZE    = 1 << 1,
  SLOW_POISON      = 1 << 2,
  SLOW_VALIDATE    = 1 << 3,   /* development checks: owner thread, fill check, redzones */
  SLOW_UNUSABLE    = 1 << 7,   /* construction failed: every call takes the slow path */
};

typedef struct
{
  gsize    first;
  gsize    count;
  gboolean trimmed;
} Slab;

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
  PoolCache *slots[N_CACHE_SLOTS];
  PoolCache *all;
  gboolean   registered;
} ThreadCaches;

struct _NmPoolAllocator
{
  GObject            parent_instance;

  /* Hot: the single-thread paths touch only these; the inline fast paths
   * in the header read them right after the GObject. In fast: base, state,
   * stride, inverse (of the odd part of stride, mod 2^64), shift (trailing
   * zero bits of stride), slow_flags, head (the first FREE block, or NULL),
   * head_index (its index), n_blocks (blocks in the slab range), secret,
   * n_allocs and n_frees (thread-safe mode: of caches gone), in_use
   * (single-thread mode) and peak (updated before in_use decreases). */
  _NmPoolAllocatorFast fast;

  guint64            key;

  gsize              block_size;   /* rounded: == stride */
  gsize              block_alignment;
  gsize              block_count;
  gsize              max_blocks;
  gsize              fresh;        /* next index the fresh cursor looks at */
  gsize              n_held;       /* blocks in slabs that are not trimmed */
  gsize              reserved;     /* bytes of address space for blocks */
  gsize              state_committed;
  gsize              n_grown;      /* slabs added or recommitted so far */
  guint64            released;     /* thread-safe mode: handed out, then reset */
  guint64            n_quarantined;
  Slab               slabs[MAX_SLABS];
  guint              n_slabs;
  guint              cache_limit;
  PoolCache         *caches;       /* live and spare caches, under lock */
  PoolCache         *owners[N_OWNER_SLOTS]; /* thread id hash → cache */
  pthread_mutex_t    lock;         /* depot, slabs, cache list */

  NmAllocatorCommon  common;

  PoolSettings       settings;
  NmMemoryConfig    *config;
  GError            *init_error;   /* why the pool holds no blocks, or NULL */
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (struct _NmPoolAllocator, fast) == sizeof (GObject));

enum {
  PROP_BLOCK_SIZE = NM_ALLOCATOR_PROP_LAST,
  PROP_BLOCK_ALIGNMENT,
  PROP_BLOCK_COUNT,
  PROP_MAX_BLOCK_COUNT,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];
static GType pool_type;

static void nm_pool_allocator_iface_init (NmAllocatorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NmPoolAllocator, nm_pool_allocator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR,
                                                      nm_pool_allocator_iface_init))

/* The hot-path type check: one compare against the cached GType. */
#define NM_POOL_CHECK(self, val) \
  g_return_val_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == pool_type, val)
#define NM_POOL_CHECK_VOID(self) \
  g_return_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == pool_type)

/* Blocks and links */

static inline guint8 *
block_ptr (NmPoolAllocator *self,
           gsize            index)
{
  return self->fast.base + index * self->fast.stride;
}

/* The index of the block starting at @mem, or a number >= n_blocks when
 * @mem is below the pool, beyond it or not at a block start. With
 * stride = 2^k·d (d odd) and x = mem - base: x·d⁻¹ rotated right by k is
 * x / stride when stride divides x, and above every valid index otherwise.
 * The header has the computation, for the inline fast paths. */
static inline gsize
block_index (NmPoolAllocator *self,
             gconstpointer    mem)
{
  return _nm_pool_block_index (&self->fast, mem);
}

/* Links hold the next block's address (or NULL) mixed with the secret and
 * their own address. Decoding is two XORs, so the pointer chase from one
 * pop to the next is a load and two XORs; the index check of the decoded
 * pointer is off that chain. */
static inline guint64
link_encode (NmPoolAllocator *self,
             const guint8    *blk,
             const guint8    *next)
{
  return _nm_pool_link_encode (&self->fast, blk, next);
}

static inline guint
state_get (NmPoolAllocator *self,
           gsize            index)
{
  return __atomic_load_n (&self->fast.state[index], __ATOMIC_RELAXED);
}

static inline void
state_set (NmPoolAllocator *self,
           gsize            index,
           guint8           state)
{
  __atomic_store_n (&self->fast.state[index], state, __ATOMIC_RELAXED);
}

/* The one transition two threads may race for: freeing an allocated block.
 * Exactly one of two racing frees of a block wins; the other sees the
 * block no longer allocated and is reported as a double free. */
static inline gboolean
state_claim_free (NmPoolAllocator *self,
                  gsize            index,
                  guint8           new_state)
{
  guint8 expected = BLOCK_ALLOCATED;

  return __atomic_compare_exchange_n (&self->fast.state[index], &expected, new_state, FALSE,
                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static inline gsize
n_blocks_get (NmPoolAllocator *self)
{
  return __atomic_load_n (&self->fast.n_blocks, __ATOMIC_ACQUIRE);
}

/* Free blocks are poisoned for the tools; the pool's own link accesses
 * open the first 8 bytes for the moment of the access. */
static inline void
link_open (NmPoolAllocator *self,
           guint8          *blk)
{
#ifdef NM_HAVE_ASAN
  ASAN_UNPOISON_MEMORY_REGION (blk, LINK_SIZE);
#endif
#if HAVE_VALGRIND
  VALGRIND_MAKE_MEM_DEFINED (blk, LINK_SIZE);
#endif
}

static guint64
link_load_checked (NmPoolAllocator *self,
                   guint8          *blk)
{
  guint64 link;

  if (self->common.sanitize)
    {
      link_open (self, blk);
      memcpy (&link, blk, sizeof link);
      nm_sanitizer_poison (blk, LINK_SIZE);
    }
  else
    memcpy (&link, blk, sizeof link);

  return link;
}

static void
link_store_checked (NmPoolAllocator *self,
                    guint8          *blk,
                    guint64          link)
{
  if (self->common.sanitize)
    {
      link_open (self, blk);
      memcpy (blk, &link, sizeof link);
      nm_sanitizer_poison (blk, LINK_SIZE);
    }
  else
    memcpy (blk, &link, sizeof link);
}

/* The free list (the depot in thread-safe mode, under self->lock) */

typedef enum
{
  TAKE_OK,
  TAKE_BAD_LINK,    /* the head block's link was overwritten */
  TAKE_BAD_TARGET,  /* a link led to a block that is not free */
  TAKE_EXHAUSTED,
  TAKE_NO_MEMORY,
} TakeResult;

static void
list_push (NmPoolAllocator *self,
           gsize            index)
{
  guint8 *blk = block_ptr (self, index);

  link_store_checked (self, blk, link_encode (self, blk, self->fast.head));
  self->fast.head = blk;
  self->fast.head_index = index;
}

/* Rebuilds the list from the states: after a corruption (the tail behind a
 * bad link is unreachable) and after trim. */
static void
list_rebuild (NmPoolAllocator *self)
{
  self->fast.head = NULL;
  for (gsize i = self->fast.n_blocks; i-- > 0;)
    if (state_get (self, i) == BLOCK_FREE)
      list_push (self, i);
}

static TakeResult
list_pop (NmPoolAllocator *self,
          gsize           *out)
{
  gsize i = self->fast.head_index;
  guint8 *blk;
  guint8 *next;
  gsize next_index;

  if (state_get (self, i) != BLOCK_FREE)
    {
      *out = i;
      return TAKE_BAD_TARGET;
    }

  blk = self->fast.head;
  next = _nm_pool_link_decode (&self->fast, blk, link_load_checked (self, blk));
  next_index = block_index (self, next);
  if (next != NULL && next_index >= self->fast.n_blocks)
    {
      *out = i;
      return TAKE_BAD_LINK;
    }

  self->fast.head = next;
  self->fast.head_index = next_index;
  *out = i;
  return TAKE_OK;
}

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

static gboolean
commit (guint8 *region,
        gsize   from,
        gsize   to)
{
  gsize start = page_floor (from);

  return mprotect (region + start, page_ceil (to) - start, PROT_READ | PROT_WRITE) == 0;
}

static void
poison_slab (NmPoolAllocator *self,
             const Slab      *slab)
{
  if (self->common.sanitize)
    nm_sanitizer_poison (block_ptr (self, slab->first), slab->count * self->fast.stride);
}

/* Adds a slab (reusing a trimmed one first); caller holds the lock in
 * thread-safe mode. */
static TakeResult
grow (NmPoolAllocator *self)
{
  Slab *slab = NULL;

  for (guint k = 1; k < self->n_slabs; k++)
    if (self->slabs[k].trimmed)
      {
        slab = &self->slabs[k];
        if (!commit (self->fast.base, slab->first * self->fast.stride,
                     (slab->first + slab->count) * self->fast.stride))
          return TAKE_NO_MEMORY;
        memset (self->fast.state + slab->first, BLOCK_FRESH, slab->count);
        slab->trimmed = FALSE;
        break;
      }

  if (slab == NULL)
    {
      gsize count;

      if (self->fast.n_blocks >= self->max_blocks || self->n_slabs == MAX_SLABS)
        return TAKE_EXHAUSTED;

      count = MIN (MAX (self->block_count, self->n_held), self->max_blocks - self->fast.n_blocks);
      if (!commit (self->fast.base, self->fast.n_blocks * self->fast.stride,
                   (self->fast.n_blocks + count) * self->fast.stride))
        return TAKE_NO_MEMORY;
      if (page_ceil (self->fast.n_blocks + count) > self->state_committed)
        {
          if (!commit (self->fast.state, self->state_committed, self->fast.n_blocks + count))
            return TAKE_NO_MEMORY;
          self->state_committed = page_ceil (self->fast.n_blocks + count);
        }

      slab = &self->slabs[self->n_slabs++];
      slab->first = self->fast.n_blocks;
      slab->count = count;
      slab->trimmed = FALSE;
      __atomic_store_n (&self->fast.n_blocks, self->fast.n_blocks + count, __ATOMIC_RELEASE);
    }

  poison_slab (self, slab);
  self->n_held += slab->count;
  self->n_grown++;
  self->fresh = MIN (self->fresh, slab->first);

  return TAKE_OK;
}

/* A free block from the list, the fresh cursor or a new slab. The caller
 * sets the block's new state. */
static TakeResult
depot_take (NmPoolAllocator *self,
            gsize           *out,
            gboolean        *fresh)
{
  for (;;)
    {
      TakeResult r;

      if (self->fast.head != NULL)
        {
          *fresh = FALSE;
          return list_pop (self, out);
        }

      for (; self->fresh < self->fast.n_blocks; self->fresh++)
        if (state_get (self, self->fresh) == BLOCK_FRESH)
          {
            *fresh = TRUE;
            *out = self->fresh++;
            return TAKE_OK;
          }

      r = grow (self);
      if (r != TAKE_OK)
        return r;
    }
}

/* Handing out and taking back */

static void
fill_freed (NmPoolAllocator *self,
            guint8          *blk)
{
  if (self->block_size > LINK_SIZE)
    memset (blk + LINK_SIZE, NM_POISON_FREED, self->block_size - LINK_SIZE);
}

/* Returns the offset of the first byte of the freed fill that changed, or
 * -1 when the fill is intact. */
static gssize
check_fill (NmPoolAllocator *self,
            const guint8    *blk)
{
  for (gsize k = LINK_SIZE; k < self->block_size; k++)
    if (blk[k] != NM_POISON_FREED)
      return (gssize) k;

  return -1;
}

static gpointer
fail_corruption (NmPoolAllocator  *self,
                 GError          **error,
                 const char       *format,
                 ...) G_GNUC_PRINTF (3, 4) NM_COLD;

static gpointer
fail_corruption (NmPoolAllocator  *self,
                 GError          **error,
                 const char       *format,
                 ...)
{
  NmAllocatorCommon *c = &self->common;
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  _nm_counter_inc (&c->n_corruptions);
  g_critical ("%s “%s”: heap corruption: %s", c->label, c->name, what);

  return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_CORRUPTION,
                             "%s “%s” found a corrupted free block: %s. The block is "
                             "quarantined and the allocation failed; the rest of the pool "
                             "is intact. Look for a use after free of a %" G_GSIZE_FORMAT
                             "-byte block (AddressSanitizer or Valgrind will point at it).",
                             c->label, c->name, what, self->block_size);
}

/* Makes block @index ALLOCATED with the development checks and the tool
 * annotations. @check: whether the block was freed before (so its fill can
 * be checked). */
static gpointer
hand_out (NmPoolAllocator  *self,
          gsize             index,
          gboolean          check,
          GError          **error)
{
  guint8 *blk = block_ptr (self, index);
  gssize at = -1;

  /* Check the free fill while the tools still know the block's contents;
   * registering it as allocated makes them undefined. */
  if (self->common.poison && check && self->common.validate)
    {
      if (self->common.sanitize)
        nm_sanitizer_make_readable (blk, self->block_size);
      at = check_fill (self, blk);
    }

  if (self->common.sanitize)
    nm_sanitizer_block_alloc (self, blk, self->block_size);

  if (self->common.poison)
    {
      if (at >= 0)
        {
          if (self->common.sanitize)
            nm_sanitizer_block_free (self, blk, self->block_size);
          state_set (self, index, BLOCK_QUARANTINED);
          _nm_counter_inc (&self->n_quarantined);
          return fail_corruption (self, error, "block #%" G_GSIZE_FORMAT " at %p was "
                                  "written after it was freed (byte %" G_GSSIZE_FORMAT
                                  " is 0x%02x, not the 0x%02x fill)", index, blk, at,
                                  blk[at], NM_POISON_FREED);
        }
      memset (blk, NM_POISON_FRESH, self->block_size);
    }

  state_set (self, index, BLOCK_ALLOCATED);
  return blk;
}

/* The inverse of hand_out, up to the new state. */
static void
take_back (NmPoolAllocator *self,
           guint8          *blk)
{
  if (self->common.poison)
    fill_freed (self, blk);
  if (self->common.sanitize)
    nm_sanitizer_block_free (self, blk, self->block_size);
}

/* @held: blocks held when the take failed, read under the lock in
 * thread-safe mode. */
static gpointer
fail_take (NmPoolAllocator  *self,
           TakeResult        r,
           gsize             bad,
           gsize             held,
           guint64           cached,
           GError          **error)
{
  NmAllocatorCommon *c = &self->common;

  switch (r)
    {
    case TAKE_BAD_LINK:
      return fail_corruption (self, error, "the free-list link in block #%" G_GSIZE_FORMAT
                              " at %p was overwritten after the block was freed", bad,
                              block_ptr (self, bad));

    case TAKE_BAD_TARGET:
      return fail_corruption (self, error, "a free-list link led to block #%" G_GSIZE_FORMAT
                              " at %p, which is not free; the block that held the link was "
                              "written after it was freed", bad, block_ptr (self, bad));

    case TAKE_NO_MEMORY:
      {
        g_autofree char *held_size = _nm_format_size ((guint64) held * self->block_size);

        return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                                   "%s “%s” cannot grow beyond %s: the system refused more "
                                   "memory. Lower max-block-count or free memory elsewhere.",
                                   c->label, c->name, held_size);
      }

    case TAKE_EXHAUSTED:
    case TAKE_OK:
    default:
      {
        guint64 in_use = nm_pool_allocator_get_blocks_in_use (self);
        g_autofree char *usage = _nm_format_usage (in_use * self->block_size,
                                                   (guint64) held * self->block_size);

        return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED,
                                   "%s “%s” is exhausted: capacity %" G_GSIZE_FORMAT " blocks "
                                   "of %" G_GSIZE_FORMAT " bytes, %" G_GUINT64_FORMAT " in use, "
                                   "%" G_GUINT64_FORMAT " parked in thread caches, %"
                                   G_GUINT64_FORMAT " quarantined; %s. %s",
                                   c->label, c->name, held, self->block_size, in_use,
                                   cached, _nm_counter_get (&self->n_quarantined), usage,
                                   self->max_blocks > held
                                     ? "Raise block-count, or raise max-block-count to let it grow further."
                                     : "Raise block-count, or set max-block-count to let the pool grow.");
      }
    }
}

/* After a bad link the list behind it is unreachable: quarantine the block
 * that held the link and rebuild the list from the states. */
static void
recover (NmPoolAllocator *self,
         TakeResult       r,
         gsize            bad)
{
  if (r == TAKE_BAD_LINK)
    {
      state_set (self, bad, BLOCK_QUARANTINED);
      _nm_counter_inc (&self->n_quarantined);
    }
  list_rebuild (self);
}

static guint64 ts_cached_count (NmPoolAllocator *self);

/* Capacity and block-count change on growth and trim only, never on the
 * inline paths; called without the lock, so handlers may read the pool. */
static void
notify_capacity (NmPoolAllocator *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [NM_ALLOCATOR_PROP_CAPACITY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_BLOCK_COUNT]);
}

/* Single-thread mode */

static gpointer
st_alloc (NmPoolAllocator  *self,
          GError          **error)
{
  gboolean fresh = FALSE;
  gsize i = 0;
  gsize grown = self->n_grown;
  TakeResult r = depot_take (self, &i, &fresh);
  gpointer mem;

  if G_UNLIKELY (self->n_grown != grown)
    notify_capacity (self);

  if (r != TAKE_OK)
    {
      if (r == TAKE_BAD_LINK || r == TAKE_BAD_TARGET)
        recover (self, r, i);
      return fail_take (self, r, i, self->n_held, 0, error);
    }

  mem = hand_out (self, i, !fresh, error);
  if (mem == NULL)
    return NULL;

  self->fast.n_allocs++;
  self->fast.in_use++;

  return mem;
}

/* Thread caches */

static __thread ThreadCaches thread_caches;

/* pthread mutexes rather than GMutex: GLib's futex-based GMutex is invisible
 * to ThreadSanitizer, which checks this code in CI. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *registry;   /* &pool->key → pool, live pools only */
static guint64 next_key = 1;

static void thread_caches_release (gpointer data);
static GPrivate thread_caches_key = G_PRIVATE_INIT (thread_caches_release);

/* A number unique to each live thread, read without a call: the thread
 * pointer on x86-64 (what pthread_self() returns there). */
static inline guintptr
thread_id (void)
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
owner_slot (guintptr id)
{
  return (guint) (((guint64) id * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> 58);
}

/* Under the pool's lock: makes @c the cache found for its owner in the
 * owner table, unless another live thread holds the slot. */
static void
owner_install_locked (NmPoolAllocator *self,
                      PoolCache       *c)
{
  PoolCache **slot = &self->owners[owner_slot (c->owner)];
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

      state_set (self, i, BLOCK_FREE);
      list_push (self, i);
    }
  __atomic_store_n (&c->count, count, __ATOMIC_RELAXED);
}

/* Returns every cache of this thread to its pool (if the pool is alive),
 * or just frees it. */
static void
thread_caches_release (gpointer data)
{
  ThreadCaches *tc = data;

  pthread_mutex_lock (&registry_lock);
  while (tc->all != NULL)
    {
      PoolCache *c = tc->all;
      NmPoolAllocator *pool = registry ? g_hash_table_lookup (registry, &c->key) : NULL;

      tc->all = c->thread_next;
      if (pool != NULL)
        {
          PoolCache **slot = &pool->owners[owner_slot (c->owner)];

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
thread_caches_prune (ThreadCaches *tc)
{
  PoolCache **link = &tc->all;

  pthread_mutex_lock (&registry_lock);
  while (*link != NULL)
    {
      PoolCache *c = *link;

      if (registry == NULL || g_hash_table_lookup (registry, &c->key) == NULL)
        {
          *link = c->thread_next;
          if (tc->slots[c->key % N_CACHE_SLOTS] == c)
            tc->slots[c->key % N_CACHE_SLOTS] = NULL;
          g_free (c);
        }
      else
        link = &c->thread_next;
    }
  pthread_mutex_unlock (&registry_lock);
}

static G_GNUC_NO_INLINE PoolCache *
cache_attach (NmPoolAllocator *self)
{
  ThreadCaches *tc = &thread_caches;
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
      __atomic_store_n (&c->owner, thread_id (), __ATOMIC_RELAXED);
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

  tc->slots[self->key % N_CACHE_SLOTS] = c;
  return c;
}

/* The thread's cache when the owner table has it: no TLS access. Caches
 * live as long as their pool, so the cache read here is valid memory even
 * when its thread just left it; its owner then no longer matches. */
static inline PoolCache *
cache_get (NmPoolAllocator *self)
{
  guintptr id = thread_id ();
  PoolCache *c = __atomic_load_n (&self->owners[owner_slot (id)], __ATOMIC_ACQUIRE);

  if G_LIKELY (c != NULL && __atomic_load_n (&c->owner, __ATOMIC_RELAXED) == id)
    return c;

  c = thread_caches.slots[self->key % N_CACHE_SLOTS];
  if G_LIKELY (c != NULL && c->key == self->key)
    return c;

  return cache_attach (self);
}

static guint64
ts_cached_count (NmPoolAllocator *self)
{
  guint64 n = 0;

  pthread_mutex_lock (&self->lock);
  for (PoolCache *c = self->caches; c; c = c->pool_next)
    n += __atomic_load_n (&c->count, __ATOMIC_RELAXED);
  pthread_mutex_unlock (&self->lock);

  return n;
}

/* Thread-safe mode */

typedef struct
{
  guint64 allocs;
  guint64 frees;
  guint64 cached;
  guint64 in_use;
  guint64 peak;
  gsize   held;
  gsize   state_committed;
} CacheTotals;

static void
ts_totals_locked (NmPoolAllocator *self,
                  CacheTotals     *t)
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

  /* The counters are read one cache at a time while other threads work,
   * so the difference can be off, even below zero, until they are quiet. */
  t->in_use = t->frees + self->released < t->allocs
              ? t->allocs - t->frees - self->released : 0;

  /* Thread-safe mode samples the peak here: at every depot refill, every
   * statistics read and every reset. */
  if (t->in_use > self->fast.peak)
    self->fast.peak = t->in_use;

  t->peak = self->fast.peak;
  t->held = self->n_held;
  t->state_committed = self->state_committed;
}

static void
ts_totals (NmPoolAllocator *self,
           CacheTotals     *t)
{
  pthread_mutex_lock (&self->lock);
  ts_totals_locked (self, t);
  pthread_mutex_unlock (&self->lock);
}

static G_GNUC_NO_INLINE gpointer
ts_alloc_slow (NmPoolAllocator  *self,
               PoolCache        *c,
               GError          **error)
{
  gpointer mem;
  gsize i;

  if (c->count == 0)
    {
      TakeResult r = TAKE_OK;
      CacheTotals totals;
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

          r = depot_take (self, &i, &fresh);
          if (r != TAKE_OK)
            {
              bad = i;
              if (r == TAKE_BAD_LINK || r == TAKE_BAD_TARGET)
                recover (self, r, i);
              break;
            }
          if (fresh && self->common.poison)
            {
              guint8 *blk = block_ptr (self, i);

              if (self->common.sanitize)
                nm_sanitizer_unpoison (blk, self->block_size);
              fill_freed (self, blk);
              if (self->common.sanitize)
                nm_sanitizer_poison (blk, self->block_size);
            }
          state_set (self, i, BLOCK_CACHED);
          c->blocks[got++] = i;
        }
      __atomic_store_n (&c->count, got, __ATOMIC_RELAXED);
      ts_totals_locked (self, &totals);
      held = self->n_held;
      grown = self->n_grown - grown;
      pthread_mutex_unlock (&self->lock);

      if G_UNLIKELY (grown != 0)
        notify_capacity (self);

      /* A corruption fails the allocation that met it even when other
       * blocks were found. */
      if (r == TAKE_BAD_LINK || r == TAKE_BAD_TARGET || got == 0)
        return fail_take (self, r, bad, held, r == TAKE_EXHAUSTED ? ts_cached_count (self) : 0,
                          error);
    }

  i = c->blocks[c->count - 1];
  __atomic_store_n (&c->count, c->count - 1, __ATOMIC_RELAXED);
  mem = hand_out (self, i, TRUE, error);
  if (mem != NULL)
    __atomic_store_n (&c->n_allocs, c->n_allocs + 1, __ATOMIC_RELAXED);

  return mem;
}

static inline gpointer
ts_alloc (NmPoolAllocator  *self,
          GError          **error)
{
  PoolCache *c = cache_get (self);
  guint n = c->count;

  if G_LIKELY (n > 0 && !(self->fast.slow_flags & (SLOW_SANITIZE | SLOW_POISON)))
    {
      gsize i = c->blocks[n - 1];

      __atomic_store_n (&c->count, n - 1, __ATOMIC_RELAXED);
      state_set (self, i, BLOCK_ALLOCATED);
      __atomic_store_n (&c->n_allocs, c->n_allocs + 1, __ATOMIC_RELAXED);
      return block_ptr (self, i);
    }

  return ts_alloc_slow (self, c, error);
}

static G_GNUC_NO_INLINE void
ts_free_slow (NmPoolAllocator *self,
              gsize            index)
{
  PoolCache *c = cache_get (self);

  take_back (self, block_ptr (self, index));

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

/* Allocation */

/* With validation (development preset), a single-thread pool reports use
 * from a second thread once. */
static inline void
check_owner (NmPoolAllocator *self)
{
  if ((self->fast.slow_flags & (SLOW_VALIDATE | SLOW_THREAD_SAFE)) == SLOW_VALIDATE)
    _nm_allocator_check_owner (&self->common,
                               "a single-thread pool is not safe to use from several "
                               "threads. Give each thread its own pool, or set "
                               "thread-safe=true.");
}

/* Every allocation from a pool that could not be built fails with the
 * reason: no memory, or construct properties no pool can hold. */
static gpointer
fail_unusable (NmPoolAllocator  *self,
               GError          **error) NM_COLD;

static gpointer
fail_unusable (NmPoolAllocator  *self,
               GError          **error)
{
  NmAllocatorCommon *c = &self->common;

  if (g_error_matches (self->init_error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY))
    return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                               "%s “%s” cannot allocate a block: it has no memory (%s)",
                               c->label, c->name, self->init_error->message);

  return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                             "%s “%s” cannot allocate a block: its construct properties are "
                             "invalid (%s). Give block-size, block-alignment and block-count "
                             "values a pool can hold, or a config.",
                             c->label, c->name, self->init_error->message);
}

static G_GNUC_NO_INLINE gpointer
alloc_slow (NmPoolAllocator  *self,
            GError          **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if G_UNLIKELY (self->fast.slow_flags & SLOW_UNUSABLE)
    return fail_unusable (self, error);

  check_owner (self);

  if (self->fast.slow_flags & SLOW_THREAD_SAFE)
    return ts_alloc (self, error);

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

  /* Hot path: pop the head after validating its state and its link. */
  blk = _nm_pool_fast_pop (&self->fast);
  if G_LIKELY (blk != NULL)
    return blk;

  /* Thread-safe mode, without checks: the thread's cache. */
  if (self->fast.slow_flags == SLOW_THREAD_SAFE && (error == NULL || *error == NULL))
    return ts_alloc (self, error);

  return alloc_slow (self, error);
}

static gpointer
pool_alloc (NmAllocator  *allocator,
            gsize         size,
            gsize         alignment,
            GError      **error)
{
  NmPoolAllocator *self = (NmPoolAllocator *) allocator;

  if G_LIKELY (size - 1 < self->block_size &&
               alignment - 1 < self->block_alignment &&
               (alignment & (alignment - 1)) == 0)
    {
      gpointer blk = _nm_pool_fast_pop (&self->fast);

      return G_LIKELY (blk != NULL) ? blk : (nm_pool_allocator_alloc) (self, error);
    }

  if (!nm_layout_is_valid (size, alignment))
    return _nm_allocator_fail_layout (allocator, &self->common, size, alignment, error);

  if (self->fast.slow_flags & SLOW_UNUSABLE)
    return fail_unusable (self, error);

  return _nm_allocator_fail (allocator, &self->common, error, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                             "%s “%s” cannot allocate %" G_GSIZE_FORMAT " bytes with alignment %"
                             G_GSIZE_FORMAT ": its blocks hold %" G_GSIZE_FORMAT " bytes aligned "
                             "to %" G_GSIZE_FORMAT ". Use a pool with larger or more aligned "
                             "blocks, or another allocator for this size.",
                             self->common.label, self->common.name, size, alignment,
                             self->block_size, self->block_alignment);
}

/* Free */

static G_GNUC_NO_INLINE void
report_bad_free (NmPoolAllocator *self,
                 gconstpointer    mem,
                 gsize            index)
{
  NmAllocator *allocator = NM_ALLOCATOR (self);
  NmAllocatorCommon *c = &self->common;
  gsize span = n_blocks_get (self) * self->fast.stride;
  gsize offset = (guintptr) mem - (guintptr) self->fast.base;

  if (index >= n_blocks_get (self))
    {
      if ((guintptr) mem < (guintptr) self->fast.base || offset >= span)
        _nm_allocator_report_invalid_free (allocator, c, mem,
                                           "free of a pointer outside every slab: a foreign "
                                           "pointer (from malloc or another allocator)");
      else
        _nm_allocator_report_invalid_free (allocator, c, mem,
                                           "free of a misaligned interior pointer: %"
                                           G_GSIZE_FORMAT " bytes into block #%" G_GSIZE_FORMAT
                                           " (blocks are %" G_GSIZE_FORMAT " bytes apart); free "
                                           "the pointer the allocation returned",
                                           offset % self->fast.stride, offset / self->fast.stride,
                                           self->fast.stride);
      return;
    }

  switch (state_get (self, index))
    {
    case BLOCK_FREE:
    case BLOCK_CACHED:
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "double free of block #%" G_GSIZE_FORMAT
                                         ", which is already free", index);
      break;

    case BLOCK_QUARANTINED:
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "double free of block #%" G_GSIZE_FORMAT
                                         ", which was freed and then found corrupted "
                                         "(quarantined)", index);
      break;

    case BLOCK_FRESH:
    case BLOCK_TRIMMED:
    default:
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "double free of block #%" G_GSIZE_FORMAT
                                         ": the block is not handed out (it was freed "
                                         "before a reset or trim, or never allocated)", index);
      break;
    }
}

static G_GNUC_NO_INLINE void
free_slow (NmPoolAllocator *self,
           gpointer         mem)
{
  gsize i;

  if (mem == NULL)
    return;

  check_owner (self);

  i = block_index (self, mem);
  if (i >= n_blocks_get (self) || state_get (self, i) != BLOCK_ALLOCATED)
    {
      report_bad_free (self, mem, i);
      return;
    }

  if (self->fast.slow_flags & SLOW_THREAD_SAFE)
    {
      /* Two threads freeing one block at the same moment both saw it
       * allocated; the state moves atomically, so only one of them caches
       * the block and the other is reported. */
      if (!state_claim_free (self, i, BLOCK_CACHED))
        {
          report_bad_free (self, mem, i);
          return;
        }

      ts_free_slow (self, i);
      return;
    }

  take_back (self, mem);
  state_set (self, i, BLOCK_FREE);
  list_push (self, i);
  self->fast.n_frees++;
  if (self->fast.in_use > self->fast.peak)
    self->fast.peak = self->fast.in_use;
  self->fast.in_use--;
}

/**
 * nm_pool_allocator_free: (skip)
 * @self: an #NmPoolAllocator
 * @mem: (nullable): a block of @self, or %NULL
 *
 * Gives a block back. A pointer @self did not hand out, one into the middle
 * of a block and a block that is already free are reported with
 * g_critical(), counted and ignored. Freeing %NULL does nothing.
 *
 * Since: 1.0
 */
void
(nm_pool_allocator_free) (NmPoolAllocator *self,
                          gpointer         mem)
{
  gsize i;

  NM_POOL_CHECK_VOID (self);

  /* Hot path: index (one multiply and a rotate), state check, push. */
  if G_LIKELY (mem != NULL && _nm_pool_fast_push (&self->fast, mem))
    return;

  /* Thread-safe mode, without checks: the thread's cache. One
   * compare-and-swap on the block's state byte makes the free exclusive:
   * of two threads freeing one block at once, one caches it and the other
   * is reported, so no block ever sits in two caches. */
  i = block_index (self, mem);
  if (self->fast.slow_flags == SLOW_THREAD_SAFE && i < n_blocks_get (self))
    {
      PoolCache *c = cache_get (self);
      guint n = c->count;

      if G_LIKELY (n < c->limit)
        {
          if G_UNLIKELY (!state_claim_free (self, i, BLOCK_CACHED))
            {
              report_bad_free (self, mem, i);
              return;
            }
          c->blocks[n] = i;
          __atomic_store_n (&c->count, n + 1, __ATOMIC_RELAXED);
          __atomic_store_n (&c->n_frees, c->n_frees + 1, __ATOMIC_RELAXED);
          return;
        }
    }

  free_slow (self, mem);
}

static void
pool_free (NmAllocator *allocator,
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

static gboolean
pool_owns (NmAllocator   *allocator,
           gconstpointer  mem)
{
  NmPoolAllocator *self = (NmPoolAllocator *) allocator;
  gsize offset = (guintptr) mem - (guintptr) self->fast.base;
  gsize i;

  if (offset >= n_blocks_get (self) * self->fast.stride)
    return FALSE;

  /* Bytes of a redzone belong to no block. */
  if (offset % self->fast.stride >= self->block_size)
    return FALSE;

  i = offset / self->fast.stride;
  return state_get (self, i) == BLOCK_ALLOCATED;
}

/* Reset and trim */

/**
 * nm_pool_allocator_reset:
 * @self: an #NmPoolAllocator
 *
 * Makes every block free again, including those parked in thread caches
 * and quarantined ones; the same as nm_allocator_reset(). Every block
 * handed out before is invalid afterwards. In thread-safe mode no other
 * thread may use the pool during the reset.
 *
 * Since: 1.0
 */
void
nm_pool_allocator_reset (NmPoolAllocator *self)
{
  guint64 in_use;

  NM_POOL_CHECK_VOID (self);

  in_use = nm_pool_allocator_get_blocks_in_use (self);

  pthread_mutex_lock (&self->lock);

  self->fast.peak = MAX (self->fast.peak, in_use);

  if (self->fast.slow_flags & SLOW_THREAD_SAFE)
    {
      self->released += in_use;
      for (PoolCache *c = self->caches; c; c = c->pool_next)
        __atomic_store_n (&c->count, 0, __ATOMIC_RELAXED);
    }
  else
    self->fast.in_use = 0;

  /* A pool that could not be built has no blocks to forget. */
  if (self->common.sanitize && self->fast.base != NULL)
    {
      nm_sanitizer_pool_destroy (self);
      nm_sanitizer_pool_create (self);
    }

  for (guint k = 0; k < self->n_slabs; k++)
    {
      Slab *slab = &self->slabs[k];

      if (slab->trimmed)
        continue;
      memset (self->fast.state + slab->first, BLOCK_FRESH, slab->count);
      if (self->common.poison)
        {
          if (self->common.sanitize)
            nm_sanitizer_unpoison (block_ptr (self, slab->first), slab->count * self->fast.stride);
          memset (block_ptr (self, slab->first), NM_POISON_FREED, slab->count * self->fast.stride);
        }
      poison_slab (self, slab);
    }

  self->fast.head = NULL;
  self->fresh = 0;
  self->n_quarantined = 0;

  pthread_mutex_unlock (&self->lock);

  /* bytes-used changed when blocks were in use before the reset, whatever
   * was last notified: readers saw that value. */
  self->common.notified_used = in_use * self->block_size;
  _nm_allocator_reset_done (NM_ALLOCATOR (self), &self->common, properties,
                            0, self->fast.peak * self->block_size);
}

static void
pool_reset (NmAllocator *allocator)
{
  nm_pool_allocator_reset ((NmPoolAllocator *) allocator);
}

/**
 * nm_pool_allocator_trim:
 * @self: an #NmPoolAllocator
 *
 * Gives every completely free slab but the first back to the system; the
 * same as nm_allocator_trim(). Blocks parked in thread caches count as
 * used. The pool grows into trimmed slabs again when it needs them.
 *
 * Returns: the number of bytes given back
 *
 * Since: 1.0
 */
gsize
nm_pool_allocator_trim (NmPoolAllocator *self)
{
  gsize released = 0;

  NM_POOL_CHECK (self, 0);

  pthread_mutex_lock (&self->lock);

  for (guint k = 1; k < self->n_slabs; k++)
    {
      Slab *slab = &self->slabs[k];
      gboolean all_free = !slab->trimmed;
      gsize from, to;

      for (gsize i = slab->first; all_free && i < slab->first + slab->count; i++)
        {
          guint s = state_get (self, i);

          all_free = s == BLOCK_FREE || s == BLOCK_FRESH;
        }
      if (!all_free)
        continue;

      memset (self->fast.state + slab->first, BLOCK_TRIMMED, slab->count);
      slab->trimmed = TRUE;
      self->n_held -= slab->count;
      released += slab->count * self->fast.stride;

      /* Only whole pages inside the slab; neighbours may share the others. */
      from = page_ceil (slab->first * self->fast.stride);
      to = page_floor ((slab->first + slab->count) * self->fast.stride);
      if (to > from)
        {
          if (self->common.sanitize)
            nm_sanitizer_unpoison (self->fast.base + from, to - from);
          madvise (self->fast.base + from, to - from, MADV_DONTNEED);
          mprotect (self->fast.base + from, to - from, PROT_NONE);
        }
    }

  if (released > 0)
    list_rebuild (self);

  pthread_mutex_unlock (&self->lock);

  if (released > 0)
    notify_capacity (self);

  return released;
}

static gsize
pool_trim (NmAllocator *allocator)
{
  return nm_pool_allocator_trim ((NmPoolAllocator *) allocator);
}

/* Statistics */


static void
pool_get_stats (NmAllocator      *allocator,
                NmAllocatorStats *stats)
{
  NmPoolAllocator *self = (NmPoolAllocator *) allocator;
  CacheTotals t = { 0 };

  /* Thread-safe pools may be read while other threads allocate, grow and
   * trim: everything comes from one snapshot taken under the lock. */
  if (self->fast.slow_flags & SLOW_THREAD_SAFE)
    ts_totals (self, &t);
  else
    {
      t.allocs = self->fast.n_allocs;
      t.frees = self->fast.n_frees;
      t.in_use = self->fast.in_use;
      t.peak = self->fast.peak;
      t.held = self->n_held;
      t.state_committed = self->state_committed;
    }

  stats->capacity = (guint64) t.held * self->block_size;
  stats->bytes_used = t.in_use * self->block_size;
  stats->bytes_peak = MAX (t.peak, t.in_use) * self->block_size;
  stats->bytes_reserved = (guint64) t.held * self->fast.stride + t.state_committed;
  stats->allocation_count = t.allocs;
  stats->free_count = t.frees;
  stats->cached_count = t.cached;
  _nm_allocator_fill_common_stats (&self->common, stats);
}

/* Object */

static void
nm_pool_allocator_finalize (GObject *object)
{
  NmPoolAllocator *self = (NmPoolAllocator *) object;

  if (self->fast.base != NULL)
    {
      guint64 in_use = nm_pool_allocator_get_blocks_in_use (self);

      if (self->common.leak_report && in_use > 0)
        g_message ("%s “%s” finalized with %" G_GUINT64_FORMAT " blocks of %"
                   G_GSIZE_FORMAT " bytes still in use.", self->common.label,
                   self->common.name, in_use, self->block_size);
    }

  if (self->fast.slow_flags & SLOW_THREAD_SAFE)
    {
      ThreadCaches *tc = &thread_caches;
      PoolCache **link = &tc->all;

      /* Other threads' caches are recognised as dead by their key once the
       * pool has left the registry; this thread's own cache goes now. */
      pthread_mutex_lock (&registry_lock);
      g_hash_table_remove (registry, &self->key);
      /* Spare caches belong to the pool. Live threads' caches are freed by
       * their threads, which no longer find the pool in the registry; they
       * do that under the registry lock, so their caches are still there
       * to be looked at here. */
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
              if (tc->slots[c->key % N_CACHE_SLOTS] == c)
                tc->slots[c->key % N_CACHE_SLOTS] = NULL;
              g_free (c);
              break;
            }
          link = &c->thread_next;
        }

    }

  if (self->fast.base != NULL)
    {
      if (self->common.sanitize)
        {
          nm_sanitizer_pool_destroy (self);
          nm_sanitizer_unpoison (self->fast.base, n_blocks_get (self) * self->fast.stride);
        }
      munmap (self->fast.base, self->reserved);
      munmap (self->fast.state, page_ceil (self->max_blocks));
    }

  pthread_mutex_destroy (&self->lock);
  _nm_allocator_common_clear (&self->common);
  g_clear_pointer (&self->settings.name, g_free);
  g_clear_object (&self->config);
  g_clear_error (&self->init_error);

  G_OBJECT_CLASS (nm_pool_allocator_parent_class)->finalize (object);
}

static void
nm_pool_allocator_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NmPoolAllocator *self = NM_POOL_ALLOCATOR (object);

  if (_nm_allocator_get_common_property (NM_ALLOCATOR (self), &self->common, prop_id, value))
    return;

  switch (prop_id)
    {
    case PROP_BLOCK_SIZE:
      g_value_set_uint64 (value, self->block_size);
      break;

    case PROP_BLOCK_ALIGNMENT:
      g_value_set_uint64 (value, self->block_alignment);
      break;

    case PROP_BLOCK_COUNT:
      g_value_set_uint64 (value, nm_pool_allocator_get_block_count (self));
      break;

    case PROP_MAX_BLOCK_COUNT:
      g_value_set_uint64 (value, self->max_blocks);
      break;

    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_pool_allocator_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NmPoolAllocator *self = NM_POOL_ALLOCATOR (object);
  PoolSettings *s = &self->settings;

  switch (prop_id)
    {
    case NM_ALLOCATOR_PROP_NAME:
      g_free (s->name);
      s->name = g_value_dup_string (value);
      break;

    case NM_ALLOCATOR_PROP_THREAD_SAFE:
      s->thread_safe = g_value_get_boolean (value);
      break;

    case PROP_BLOCK_SIZE:
      s->block_size = g_value_get_uint64 (value);
      break;

    case PROP_BLOCK_ALIGNMENT:
      s->block_alignment = g_value_get_uint64 (value);
      break;

    case PROP_BLOCK_COUNT:
      s->block_count = g_value_get_uint64 (value);
      break;

    case PROP_MAX_BLOCK_COUNT:
      s->max_block_count = g_value_get_uint64 (value);
      break;

    case PROP_CONFIG:
      g_set_object (&self->config, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static guint64
random_secret (void)
{
  guint64 secret = ((guint64) g_random_int () << 32) | g_random_int ();

  /* A top bit set makes a zeroed link decode far beyond any index. */
  return secret | (G_GUINT64_CONSTANT (1) << 63);
}

static guint8 *
reserve (gsize size)
{
  void *p = mmap (NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

  return p == MAP_FAILED ? NULL : p;
}

/* The configuration the construct properties describe, validated by the
 * builder. */
static NmMemoryConfig *
config_from_settings (const PoolSettings  *s,
                      GError             **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_POOL);
  nm_memory_config_builder_set_name (builder, s->name != NULL && *s->name ? s->name : "pool");
  nm_memory_config_builder_set_block_size (builder, s->block_size);
  if (s->block_alignment != 0)
    nm_memory_config_builder_set_block_alignment (builder, s->block_alignment);
  nm_memory_config_builder_set_block_count (builder, s->block_count);
  nm_memory_config_builder_set_max_block_count (builder, s->max_block_count);
  nm_memory_config_builder_set_thread_safe (builder, s->thread_safe);

  return nm_memory_config_builder_build (builder, error);
}

/* Lays the pool out as @config says and takes its first slab. On failure
 * the pool holds no memory and @error says why. */
static gboolean
pool_setup (NmPoolAllocator  *self,
            NmMemoryConfig   *config,
            GError          **error)
{
  gsize size, alignment, count, stride, odd;

  if (nm_memory_config_get_kind (config) != NM_ALLOCATOR_KIND_POOL)
    {
      g_set_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INCOMPATIBLE,
                   "the configuration describes another kind of allocator; build it "
                   "with kind “pool”");
      return FALSE;
    }

  alignment = MAX (nm_memory_config_get_block_alignment (config), 1);
  size = nm_memory_config_get_block_size (config);
  count = nm_memory_config_get_block_count (config);
  if (size == 0 || count == 0 || (alignment & (alignment - 1)) != 0 || alignment > nm_page_size)
    {
      g_set_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE,
                   "the configuration has block-size %" G_GSIZE_FORMAT ", block-alignment %"
                   G_GSIZE_FORMAT " and block-count %" G_GSIZE_FORMAT ", which no pool can "
                   "hold; build it with an NmMemoryConfigBuilder", size, alignment, count);
      return FALSE;
    }

  size = nm_align_up (MAX (size, LINK_SIZE), alignment);

  /* The development preset separates blocks by a poisoned redzone, and
   * starts every block on a shadow granule of AddressSanitizer, so that a
   * write past a block is reported as it is for malloc. */
  stride = size;
  if (self->common.validate)
    stride = nm_align_up (size + REDZONE, MAX (alignment, REDZONE_GRANULE));

  self->block_size = size;
  self->block_alignment = alignment;
  self->block_count = count;
  self->max_blocks = MAX (nm_memory_config_get_max_block_count (config), count);
  self->fast.stride = stride;
  self->fast.shift = (guint) __builtin_ctzll (stride);
  odd = stride >> self->fast.shift;
  self->fast.inverse = odd;
  for (guint k = 0; k < 5; k++)
    self->fast.inverse *= 2 - odd * self->fast.inverse;
  self->fast.secret = random_secret ();
  self->key = __atomic_fetch_add (&next_key, 1, __ATOMIC_RELAXED);
  self->cache_limit = CLAMP (count / 8, 2, CACHE_MAX);

  self->reserved = page_ceil (self->max_blocks * stride);
  self->fast.base = reserve (self->reserved);
  self->fast.state = self->fast.base ? reserve (page_ceil (self->max_blocks)) : NULL;
  if (self->fast.state == NULL)
    {
      g_autofree char *total = _nm_format_size (self->reserved);

      if (self->fast.base)
        munmap (self->fast.base, self->reserved);
      self->fast.base = NULL;
      g_set_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                   "%s “%s”: the system refused %s of address space for %" G_GSIZE_FORMAT
                   " blocks. Lower max-block-count.", self->common.label, self->common.name,
                   total, self->max_blocks);
      return FALSE;
    }

  if (self->common.sanitize)
    nm_sanitizer_pool_create (self);

  if (grow (self) != TAKE_OK)
    {
      g_autofree char *total = _nm_format_size ((guint64) count * size);

      g_set_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                   "%s “%s”: the system refused its first slab of %s. Lower block-count.",
                   self->common.label, self->common.name, total);
      return FALSE;
    }

  return TRUE;
}

/* A pool that could not be built keeps the reason and fails every
 * allocation with it: the slow-path flag below keeps every fast path away
 * from its (absent) blocks, and with no blocks every free is foreign. */
static void
pool_set_unusable (NmPoolAllocator *self,
                   GError          *error)
{
  const PoolSettings *s = &self->settings;

  if (self->fast.base != NULL)
    {
      if (self->common.sanitize)
        nm_sanitizer_pool_destroy (self);
      munmap (self->fast.base, self->reserved);
      munmap (self->fast.state, page_ceil (self->max_blocks));
    }

  memset (&self->fast, 0, sizeof self->fast);
  self->fast.slow_flags = SLOW_UNUSABLE;
  self->n_slabs = 0;
  self->n_held = 0;
  self->state_committed = 0;
  self->block_size = s->block_size;
  self->block_alignment = s->block_alignment;
  self->block_count = s->block_count;
  self->max_blocks = MAX (s->max_block_count, s->block_count);
  self->init_error = error;
}

static void
nm_pool_allocator_constructed (GObject *object)
{
  NmPoolAllocator *self = NM_POOL_ALLOCATOR (object);
  const PoolSettings *s = &self->settings;
  g_autoptr(GError) error = NULL;

  G_OBJECT_CLASS (nm_pool_allocator_parent_class)->constructed (object);

  _nm_allocator_common_init (&self->common, "Pool allocator",
                             s->name != NULL && *s->name ? s->name : "pool", s->thread_safe);

  if (self->config == NULL)
    self->config = config_from_settings (s, &error);

  if (self->config != NULL)
    {
      _nm_allocator_common_apply_config (&self->common, self->config);
      if (self->common.name == NULL || *self->common.name == '\0')
        {
          g_free (self->common.name);
          self->common.name = g_strdup ("pool");
        }
      self->fast.slow_flags = (self->common.thread_safe ? SLOW_THREAD_SAFE : 0) |
                              (self->common.sanitize ? SLOW_SANITIZE : 0) |
                              (self->common.poison ? SLOW_POISON : 0) |
                              (self->common.validate ? SLOW_VALIDATE : 0);
      if (pool_setup (self, self->config, &error))
        {
          if (self->common.thread_safe)
            {
              pthread_mutex_lock (&registry_lock);
              if (registry == NULL)
                registry = g_hash_table_new (g_int64_hash, g_int64_equal);
              g_hash_table_insert (registry, &self->key, self);
              pthread_mutex_unlock (&registry_lock);
            }
          return;
        }
    }

  pool_set_unusable (self, g_steal_pointer (&error));
}

static void
nm_pool_allocator_class_init (NmPoolAllocatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char * const overridden[] = {
    [NM_ALLOCATOR_PROP_CAPACITY] = "capacity",
    [NM_ALLOCATOR_PROP_BYTES_USED] = "bytes-used",
    [NM_ALLOCATOR_PROP_BYTES_PEAK] = "bytes-peak",
    [NM_ALLOCATOR_PROP_ALLOCATION_COUNT] = "allocation-count",
  };

  object_class->constructed = nm_pool_allocator_constructed;
  object_class->finalize = nm_pool_allocator_finalize;
  object_class->get_property = nm_pool_allocator_get_property;
  object_class->set_property = nm_pool_allocator_set_property;

  _nm_allocator_class_set_common (object_class, G_STRUCT_OFFSET (NmPoolAllocator, common));

  /* The statistics properties are the interface's; name and thread-safe
   * are also construct properties here. */
  for (guint i = NM_ALLOCATOR_PROP_CAPACITY; i <= NM_ALLOCATOR_PROP_ALLOCATION_COUNT; i++)
    {
      g_object_class_override_property (object_class, i, overridden[i]);
      properties[i] = g_object_class_find_property (object_class, overridden[i]);
    }

  /**
   * NmPoolAllocator:name:
   *
   * The pool's name, used in messages and statistics; “pool” when none is
   * given.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:thread-safe:
   *
   * Whether several threads may use the pool at once. Default: %FALSE.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_THREAD_SAFE] =
    g_param_spec_boolean ("thread-safe", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:block-size:
   *
   * Bytes per block. Read: the size given at construction rounded up to a
   * multiple of #NmPoolAllocator:block-alignment and to at least 8.
   * Default: 64.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_SIZE] =
    g_param_spec_uint64 ("block-size", NULL, NULL, 0, G_MAXUINT64, DEFAULT_BLOCK_SIZE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:block-alignment:
   *
   * The alignment of every block, a power of two up to the page size; 0
   * (the default) for the natural alignment of the block size (8 or 16).
   * Read: the alignment in effect.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_ALIGNMENT] =
    g_param_spec_uint64 ("block-alignment", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:block-count:
   *
   * Blocks the pool starts with (default: 1024). Read: the blocks the pool
   * holds now, the initial count plus grown slabs minus trimmed ones;
   * notified when it changes.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_COUNT] =
    g_param_spec_uint64 ("block-count", NULL, NULL, 0, G_MAXUINT64, DEFAULT_BLOCK_COUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:max-block-count:
   *
   * The most blocks the pool may grow to; 0 (the default) for a pool that
   * does not grow. Read: equal to the initial block count when the pool
   * does not grow.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_BLOCK_COUNT] =
    g_param_spec_uint64 ("max-block-count", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:config:
   *
   * The configuration the pool was built from. When one is given at
   * construction it decides every setting, and the other construct
   * properties are ignored; otherwise the pool builds one from them.
   * Default: %NULL.
   *
   * Since: 1.0
   */
  properties [PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, NM_TYPE_MEMORY_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, NM_ALLOCATOR_PROP_NAME,
                                   properties [NM_ALLOCATOR_PROP_NAME]);
  g_object_class_install_property (object_class, NM_ALLOCATOR_PROP_THREAD_SAFE,
                                   properties [NM_ALLOCATOR_PROP_THREAD_SAFE]);
  for (guint i = PROP_BLOCK_SIZE; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties [i]);

  pool_type = G_TYPE_FROM_CLASS (klass);
}

static void
nm_pool_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = pool_alloc;
  iface->free = pool_free;
  iface->reset = pool_reset;
  iface->owns = pool_owns;
  iface->get_stats = pool_get_stats;
  iface->trim = pool_trim;
}

static void
nm_pool_allocator_init (NmPoolAllocator *self)
{
  pthread_mutex_init (&self->lock, NULL);
  self->settings.block_size = DEFAULT_BLOCK_SIZE;
  self->settings.block_count = DEFAULT_BLOCK_COUNT;
}

/* Hands the reason a constructed pool is unusable to a constructor
 * function's caller; FALSE when the pool is usable. */
static gboolean
pool_take_init_error (NmPoolAllocator  *self,
                      GError          **error)
{
  if (self->init_error == NULL)
    return FALSE;

  g_propagate_error (error, g_error_copy (self->init_error));
  return TRUE;
}

NmPoolAllocator *
_nm_pool_allocator_new_from_config (NmMemoryConfig  *config,
                                    GError         **error)
{
  g_autoptr(NmPoolAllocator) self = NULL;

  g_return_val_if_fail (nm_memory_config_get_kind (config) == NM_ALLOCATOR_KIND_POOL, NULL);

  self = g_object_new (NM_TYPE_POOL_ALLOCATOR, "config", config, NULL);
  if (pool_take_init_error (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

guint
_nm_pool_allocator_get_cache_limit (NmPoolAllocator *self)
{
  return self->cache_limit;
}

/**
 * nm_pool_allocator_new:
 * @block_size: bytes per block, at least 1
 * @block_alignment: alignment of every block, a power of two up to the page
 *   size, or 0 for the natural alignment of @block_size (8 or 16)
 * @block_count: blocks available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a single-thread pool named “pool” of @block_count blocks that
 * does not grow. Invalid settings are %NM_CONFIG_ERROR_INVALID_VALUE
 * errors, as from an #NmMemoryConfigBuilder.
 *
 * Returns: (transfer full) (nullable): a new #NmPoolAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmPoolAllocator *
nm_pool_allocator_new (gsize    block_size,
                       gsize    block_alignment,
                       gsize    block_count,
                       GError **error)
{
  return nm_pool_allocator_new_full ("pool", block_size, block_alignment, block_count,
                                     0, FALSE, error);
}

/**
 * nm_pool_allocator_new_full:
 * @name: (nullable): the allocator's name, for messages
 * @block_size: bytes per block, at least 1
 * @block_alignment: alignment of every block, or 0 for the natural one
 * @block_count: blocks available up front, at least 1
 * @max_block_count: the most blocks to grow to, or 0 for a fixed count
 * @thread_safe: whether several threads use the pool at once
 * @error: return location for a #GError, or %NULL
 *
 * Creates a pool; the settings are validated like those of an
 * #NmMemoryConfigBuilder.
 *
 * Returns: (transfer full) (nullable): a new #NmPoolAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmPoolAllocator *
nm_pool_allocator_new_full (const char  *name,
                            gsize        block_size,
                            gsize        block_alignment,
                            gsize        block_count,
                            gsize        max_block_count,
                            gboolean     thread_safe,
                            GError     **error)
{
  PoolSettings settings = {
    (char *) name, block_size, block_alignment, block_count, max_block_count, thread_safe,
  };
  g_autoptr(NmMemoryConfig) config = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  config = config_from_settings (&settings, error);
  if (config == NULL)
    return NULL;

  return _nm_pool_allocator_new_from_config (config, error);
}

/**
 * nm_pool_allocator_get_block_size:
 * @self: an #NmPoolAllocator
 *
 * Gets the block size of @self.
 *
 * Returns: the #NmPoolAllocator:block-size
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_block_size (NmPoolAllocator *self)
{
  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  return self->block_size;
}

/**
 * nm_pool_allocator_get_block_alignment:
 * @self: an #NmPoolAllocator
 *
 * Gets the block alignment of @self.
 *
 * Returns: the #NmPoolAllocator:block-alignment
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_block_alignment (NmPoolAllocator *self)
{
  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  return self->block_alignment;
}

/**
 * nm_pool_allocator_get_block_count:
 * @self: an #NmPoolAllocator
 *
 * Gets the block count of @self.
 *
 * Returns: the #NmPoolAllocator:block-count
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_block_count (NmPoolAllocator *self)
{
  guint64 n;

  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  pthread_mutex_lock (&self->lock);
  n = self->n_held;
  pthread_mutex_unlock (&self->lock);

  return n;
}

/**
 * nm_pool_allocator_get_max_block_count:
 * @self: an #NmPoolAllocator
 *
 * Gets the max block count of @self.
 *
 * Returns: the #NmPoolAllocator:max-block-count
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_max_block_count (NmPoolAllocator *self)
{
  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  return self->max_blocks;
}

/**
 * nm_pool_allocator_get_blocks_in_use:
 * @self: an #NmPoolAllocator
 *
 * Gets the blocks in use of @self.
 *
 * Returns: the number of blocks handed out and not given back; exact in
 *   thread-safe mode once the other threads are quiescent
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_blocks_in_use (NmPoolAllocator *self)
{
  CacheTotals t;

  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  if (!(self->fast.slow_flags & SLOW_THREAD_SAFE))
    return self->fast.in_use;

  ts_totals (self, &t);
  return t.in_use;
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
