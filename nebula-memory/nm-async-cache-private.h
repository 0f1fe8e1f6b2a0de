/* nm-async-cache-private.h: the cache's records, index, policy and state
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <pthread.h>

#include "nm-async-cache.h"
#include "nm-notifier-private.h"
#include "nm-sanitizer-private.h"

G_BEGIN_DECLS

/* Records are addressed by 32-bit index into one array, so links and heap
 * cells are 4 bytes each instead of 8. */
#define NM_CACHE_NIL G_MAXUINT32

/* The index: open addressing with linear probing over 32-byte slots that
 * hold everything a hit reads and writes (key, value, deadline, flags), so
 * a hit costs one cache miss to its slot line and none to a record. Slots
 * move (backward-shift deletion, growth); a record says where its slot is.
 * Slots are 64-byte aligned: two per line, never one across two lines. */
typedef struct
{
  gpointer key;          /* NULL: the slot is empty */
  gpointer value;        /* a GError when NM_CACHE_NEGATIVE */
  gint64   expire_at;    /* clock time; G_MAXINT64 when it never expires */
  guint32  tag;          /* hash & NM_CACHE_HASH_MASK, then the flags */
  guint32  idx;          /* the record */
} NmCacheSlot;

G_STATIC_ASSERT (sizeof (NmCacheSlot) == 32);

#define NM_CACHE_VISITED   1u  /* hit since the policy last looked */
#define NM_CACHE_NEGATIVE  2u  /* the value is a cached failure */
#define NM_CACHE_MAIN      4u  /* in the main queue, not the small one */
#define NM_CACHE_HASH_MASK (~7u)

/* What the policy and the expiry heap need: 16 bytes, in a stable place.
 *
 * Invariants:
 *  - a used record's slot holds idx == its index; it is in exactly one of
 *    the two queues (NM_CACHE_MAIN says which), and in the expiry heap
 *    exactly when its slot's expire_at != G_MAXINT64 (heap[heap_pos]);
 *  - a free record is on the free list through @newer;
 *  - store->weight is the sum of the used records' weights (1 each unless
 *    the weights array exists), store->small_weight that of the small
 *    queue. */
typedef struct
{
  guint32  newer;        /* towards the queue's head; free-list link */
  guint32  older;        /* towards the queue's tail */
  guint32  slot;
  guint32  heap_pos;
} NmCacheRecord;

G_STATIC_ASSERT (sizeof (NmCacheRecord) == 16);

typedef struct
{
  NmCacheSlot   *slots;
  guint32        n_slots;      /* any size: homes by multiply-shift */
  guint32        n_used;

  NmCacheRecord *records;
  guint32        n_alloc;
  guint32        free_head;
  guint32        alloc_limit;  /* records never needed beyond this, or 0 */

  guint32       *weights;      /* per record, once a weight other than 1 came */
  gint64        *refresh_at;   /* per record, once an entry had one */

  /* The policy: SIEVE with a small probationary FIFO and a ghost filter.
   * New keys enter the small queue; when it holds more than small_target
   * (1/32 of the capacity), its tail moves to the main queue if it was hit
   * meanwhile, or is evicted and remembered in the ghost filter otherwise.
   * A key the ghost remembers enters the main queue directly. The main
   * queue is SIEVE: its hand walks from the tail towards the head,
   * clearing visited bits, and evicts the first record not visited. */
  guint32        small_head, small_tail;
  guint32        main_head, main_tail;
  guint32        hand;
  guint64        small_weight;
  guint64        small_target;

  /* The ghost: two Bloom filters of evicted hashes, the older one dropped
   * when the newer one has taken ghost_window / 2 of them, so it remembers
   * between half and all of the last ghost_window evictions at about one
   * byte per entry. */
  guint64       *ghost[2];
  guint32        ghost_shift;  /* 64 - log2 (bits per filter) */
  guint32        ghost_added;  /* to ghost[0] */
  guint32        ghost_window;

  guint32       *heap;         /* min-heap of record indices by expire_at */
  guint32        heap_len;
  guint32        heap_alloc;

  guint64        weight;
} NmCacheStore;

void     _nm_cache_store_init          (NmCacheStore *store);
void     _nm_cache_store_clear         (NmCacheStore *store);
void     _nm_cache_store_set_capacity  (NmCacheStore *store,
                                        guint64       capacity);
guint32  _nm_cache_store_add           (NmCacheStore *store,
                                        guint32       hash,
                                        gpointer      key);
void     _nm_cache_store_remove        (NmCacheStore *store,
                                        guint32       idx);
guint32  _nm_cache_store_victim        (NmCacheStore *store);
void     _nm_cache_store_set_deadline  (NmCacheStore *store,
                                        guint32       idx,
                                        gint64        expire_at);
void     _nm_cache_store_set_weight    (NmCacheStore *store,
                                        guint32       idx,
                                        guint32       weight);
void     _nm_cache_store_set_refresh   (NmCacheStore *store,
                                        guint32       idx,
                                        gint64        refresh_at);
gsize    _nm_cache_store_bytes         (const NmCacheStore *store);

/* The tag a slot keeps: the user's hash mixed (murmur3's finalizer, a
 * bijection), since hash functions such as g_direct_hash leave the low and
 * high bits of neighbouring keys alike; the low bits then hold the flags. */
static inline guint32
_nm_cache_tag (guint32 hash)
{
  hash ^= hash >> 16;
  hash *= 0x85EBCA6Bu;
  hash ^= hash >> 13;
  hash *= 0xC2B2AE35u;
  hash ^= hash >> 16;
  return hash & NM_CACHE_HASH_MASK;
}

/* The home slot of a tag: multiply-shift over the table's lines, for any
 * (even) table size; a home is the first slot of a line, so the first two
 * probes cost one line. */
static inline guint32
_nm_cache_home_in (guint32 n_slots,
                   guint32 tag)
{
  return 2 * (guint32) (((guint64) (tag & NM_CACHE_HASH_MASK) * (n_slots / 2)) >> 32);
}

static inline guint32
_nm_cache_store_home (const NmCacheStore *store,
                      guint32             tag)
{
  return _nm_cache_home_in (store->n_slots, tag);
}

/* Before the lock: starts loading the line a lookup of @hash will probe
 * first, so the miss overlaps taking the lock. The table may be replaced
 * meanwhile: a prefetch never faults, and the fields are read atomically
 * (written so under the lock). */
static inline void
_nm_cache_store_prefetch (const NmCacheStore *store,
                          guint32             hash)
{
  NmCacheSlot *slots = __atomic_load_n (&store->slots, __ATOMIC_RELAXED);
  guint32 n_slots = __atomic_load_n (&store->n_slots, __ATOMIC_RELAXED);

  NmCacheSlot *home = slots + _nm_cache_home_in (n_slots, _nm_cache_tag (hash));

  __builtin_prefetch (home);
  __builtin_prefetch (home + 2);
}

/* The hit path: the slot holding @key, or NULL. Cost: the mixer, one
 * multiply, one line (two slots) per two probes, and @equal only where the
 * tags match. */
static inline NmCacheSlot *
_nm_cache_store_find (NmCacheStore *store,
                      gconstpointer key,
                      guint32       hash,
                      GEqualFunc    equal)
{
  guint32 tag = _nm_cache_tag (hash);
  guint32 s;

  if (G_UNLIKELY (store->n_used == 0))
    return NULL;

  for (s = _nm_cache_store_home (store, tag); ; )
    {
      NmCacheSlot *slot = &store->slots[s];

      if (slot->key == NULL)
        return NULL;
      if ((slot->tag & NM_CACHE_HASH_MASK) == tag &&
          (slot->key == key || equal (slot->key, key)))
        return slot;
      if (++s == store->n_slots)
        s = 0;
    }
}

static inline NmCacheSlot *
_nm_cache_store_slot (NmCacheStore *store,
                      guint32       idx)
{
  return &store->slots[store->records[idx].slot];
}

static inline guint32
_nm_cache_store_weight (const NmCacheStore *store,
                        guint32             idx)
{
  return store->weights != NULL ? store->weights[idx] : 1;
}

static inline gint64
_nm_cache_store_refresh_at (const NmCacheStore *store,
                            guint32             idx)
{
  return store->refresh_at != NULL ? store->refresh_at[idx] : G_MAXINT64;
}

/* Any entry, for emptying the cache. */
static inline guint32
_nm_cache_store_any (const NmCacheStore *store)
{
  return store->small_tail != NM_CACHE_NIL ? store->small_tail : store->main_tail;
}

/* Written only when it changes: a store would dirty the line, and the
 * unlock that follows would wait for it. */
static inline void
_nm_cache_slot_touch (NmCacheSlot *slot)
{
  if (!(slot->tag & NM_CACHE_VISITED))
    slot->tag |= NM_CACHE_VISITED;
}

static inline guint32
_nm_cache_store_earliest (const NmCacheStore *store)
{
  return store->heap_len ? store->heap[0] : NM_CACHE_NIL;
}

typedef gint64 (*NmAsyncCacheClockFunc) (gpointer user_data);

typedef struct
{
  gpointer key;
  gpointer value;
  guint8   reason;
  guint8   negative;
} NmCacheDrop;

/* Entries taken out under the lock, announced and freed after it: value
 * free functions and signal handlers may call back into the cache. */
typedef struct
{
  guint        len;
  guint        alloc;
  NmCacheDrop *items;
  NmCacheDrop  inline_items[4];
} NmCacheDrops;

#define NM_CACHE_DROPS_INIT(d) { 0, G_N_ELEMENTS ((d).inline_items), (d).inline_items, { { 0 } } }

/* For hot paths: the initializer above zeroes the inline items too. */
static inline void
_nm_cache_drops_init (NmCacheDrops *drops)
{
  drops->len = 0;
  drops->alloc = G_N_ELEMENTS (drops->inline_items);
  drops->items = drops->inline_items;
}

typedef struct _NmCacheLoader NmCacheLoader;
typedef struct _NmCacheFlight NmCacheFlight;

#ifdef NM_HAVE_TSAN
typedef pthread_mutex_t NmCacheMutex;
# define nm_cache_mutex_init(m)   pthread_mutex_init ((m), NULL)
# define nm_cache_mutex_clear(m)  pthread_mutex_destroy (m)
# define nm_cache_mutex_lock(m)   pthread_mutex_lock (m)
# define nm_cache_mutex_unlock(m) pthread_mutex_unlock (m)
#else
typedef GMutex NmCacheMutex;
# define nm_cache_mutex_init(m)   g_mutex_init (m)
# define nm_cache_mutex_clear(m)  g_mutex_clear (m)
# define nm_cache_mutex_lock(m)   g_mutex_lock (m)
# define nm_cache_mutex_unlock(m) g_mutex_unlock (m)
#endif

struct _NmAsyncCache
{
  GObject           parent_instance;

  /* A GMutex: its uncontended lock and unlock are one atomic operation
   * each, some 15 instructions together against 55 for glibc's
   * pthread_mutex_lock and _unlock, a quarter of a hit's. Under
   * ThreadSanitizer a pthread mutex, which it understands: GLib's
   * futex-based GMutex is invisible to it, and every access made under it
   * would be reported. */
  NmCacheMutex      mutex;
  NmCacheStore      store;
  GHashTable       *flights;          /* key → NmCacheFlight, one per key */

  GHashFunc         key_hash;
  GEqualFunc        key_equal;
  GBoxedCopyFunc    key_copy;
  GDestroyNotify    key_free;
  GBoxedCopyFunc    value_copy;
  GDestroyNotify    value_free;
  guint             gvalue_values : 1; /* made by nm_async_cache_new () */

  NmAsyncCacheWeigher weigher;
  gpointer          weigher_data;
  GDestroyNotify    weigher_destroy;

  guint64           capacity;
  GTimeSpan         ttl;
  GTimeSpan         refresh_after;
  GTimeSpan         negative_ttl;

  NmAsyncCacheClockFunc clock;
  gpointer          clock_data;

  GMainContext     *context;
  NmNotifier       *notifier;        /* statistics notifications; made on first use */
  GSource          *expiry_source;
  gint64            armed_deadline;
  NmCacheDrops      pending_drops;    /* waiting for the context */
  gboolean          drops_scheduled;

  NmAsyncCacheStats stats;
  NmAsyncCacheStats notified;
  gboolean          stats_queued;     /* a delivery of stats is pending */
};

static inline void
_nm_async_cache_lock (NmAsyncCache *self)
{
  nm_cache_mutex_lock (&self->mutex);
}

static inline void
_nm_async_cache_unlock (NmAsyncCache *self)
{
  nm_cache_mutex_unlock (&self->mutex);
}

/* nm-async-cache.c */
void     _nm_async_cache_notify_stats    (NmAsyncCache            *self,
                                          const NmAsyncCacheStats *before,
                                          const NmAsyncCacheStats *now);
gboolean _nm_async_cache_has_evicted_handlers (NmAsyncCache *self);
void     _nm_async_cache_emit_evicted    (NmAsyncCache *self,
                                          gpointer      key,
                                          gpointer      value,
                                          NmAsyncCacheEvictionReason reason);

/* nm-async-cache-events.c */
void     _nm_async_cache_queue_stats_locked (NmAsyncCache *self) __attribute__ ((cold));

/* After a change of the statistics, under the lock. One delivery on the
 * context reports every change made before it reads them, so while one is
 * pending a change costs one load and a branch: no notifier call, no
 * atomic operation on the hit path. */
static inline void
_nm_async_cache_changed_locked (NmAsyncCache *self)
{
  if (G_UNLIKELY (!self->stats_queued))
    _nm_async_cache_queue_stats_locked (self);
}
void     _nm_async_cache_flush_drops     (NmAsyncCache *self,
                                          NmCacheDrops *drops);
void     _nm_cache_drops_push            (NmCacheDrops      *drops,
                                          const NmCacheDrop *drop);
void     _nm_cache_drops_release         (NmAsyncCache *self,
                                          NmCacheDrops *drops,
                                          gboolean      emit);
void     _nm_async_cache_weak_ref_free   (gpointer      data);

/* nm-async-cache-entries.c */
gint64   _nm_async_cache_monotonic_clock (gpointer      user_data);
gint64   _nm_async_cache_now_locked      (NmAsyncCache *self);
void     _nm_async_cache_store_locked    (NmAsyncCache *self,
                                          gpointer      key,
                                          guint32       hash,
                                          gpointer      value,
                                          guint64       weight,
                                          GTimeSpan     ttl,
                                          gboolean      negative,
                                          NmCacheDrops *drops);
void     _nm_async_cache_drop_locked     (NmAsyncCache *self,
                                          guint32       idx,
                                          NmAsyncCacheEvictionReason reason,
                                          NmCacheDrops *drops);
void     _nm_async_cache_evict_to_capacity_locked (NmAsyncCache *self,
                                                   NmCacheDrops *drops);
void     _nm_async_cache_arm_expiry_locked (NmAsyncCache *self);
guint64  _nm_async_cache_weigh           (NmAsyncCache *self,
                                          gconstpointer key,
                                          gconstpointer value);

/* Inline: a hit copies its value. */
static inline gpointer
_nm_async_cache_copy_value (NmAsyncCache *self,
                            gpointer      value)
{
  return self->value_copy != NULL ? self->value_copy (value) : value;
}

/* nm-async-cache-load.c */
void     _nm_async_cache_detach_flight_locked (NmAsyncCache *self,
                                               gconstpointer key);
void     _nm_async_cache_detach_all_flights_locked (NmAsyncCache *self);

/* Tests only: a clock in microseconds replacing g_get_monotonic_time(),
 * and a sweep of expired entries as the expiry source would run it. */
void     _nm_async_cache_set_clock       (NmAsyncCache          *self,
                                          NmAsyncCacheClockFunc  clock,
                                          gpointer               user_data);
guint    _nm_async_cache_expire          (NmAsyncCache          *self);
gsize    _nm_async_cache_get_bytes       (NmAsyncCache          *self);

G_END_DECLS
