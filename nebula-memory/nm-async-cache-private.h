/* nm-async-cache-private.h: the cache's records, index, policy and state
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <pthread.h>

#include "nm-async-cache.h"
#include "nm-notifier-private.h"

G_BEGIN_DECLS

/* Records are addressed by 32-bit index into one array, so links, index
 * slots and heap cells are 4 bytes each instead of 8. */
#define NM_CACHE_NIL G_MAXUINT32

/* One entry: 56 bytes. With the index at 4 bytes a slot and a load factor
 * between 3/8 and 3/4, an entry costs 61-67 bytes beyond its key and value,
 * plus 4 bytes of heap when it has a deadline.
 *
 * Invariants:
 *  - a used record is in the index, in the SIEVE queue, and in the expiry
 *    heap exactly when expire_at != G_MAXINT64 (then heap[heap_pos] is it);
 *  - a free record is on the free list through @newer and holds nothing;
 *  - store->weight is the sum of @weight over the used records. */
typedef struct
{
  /* What a hit reads and writes comes first: the first 32 bytes. Records
   * are 56 bytes apart, so those bytes share one cache line in 5 records
   * out of 8, where the whole record would in 1 out of 8. */
  guint32  hash;
  guint8   visited;
  guint8   negative;
  gpointer key;
  gpointer value;        /* a GError when negative */
  gint64   expire_at;    /* clock time; G_MAXINT64 when it never expires */

  gint64   refresh_at;   /* clock time; G_MAXINT64 when never refreshed */
  guint32  newer;        /* SIEVE queue towards the head; free-list link */
  guint32  older;        /* SIEVE queue towards the tail */
  guint32  heap_pos;
  guint32  weight;
} NmCacheRecord;

G_STATIC_ASSERT (sizeof (NmCacheRecord) == 56);

typedef struct
{
  NmCacheRecord *records;
  guint32        n_alloc;
  guint32        n_used;
  guint32        free_head;
  guint32        alloc_limit;  /* records never needed beyond this, or 0 */

  guint32       *slots;        /* record index + 1; 0 is empty */
  guint32        n_slots;      /* a power of two */
  guint          slot_shift;   /* 32 - log2 (n_slots) */

  /* SIEVE: new records enter at the head; the hand walks from the tail
   * towards the head, clearing visited bits, and evicts the first record
   * not visited since it last passed. */
  guint32        head;
  guint32        tail;
  guint32        hand;

  guint32       *heap;         /* min-heap of record indices by expire_at */
  guint32        heap_len;
  guint32        heap_alloc;

  guint64        weight;
} NmCacheStore;

void     _nm_cache_store_init          (NmCacheStore *store);
void     _nm_cache_store_clear         (NmCacheStore *store);
guint32  _nm_cache_store_find          (NmCacheStore *store,
                                        gconstpointer key,
                                        guint32       hash,
                                        GEqualFunc    equal);
guint32  _nm_cache_store_add           (NmCacheStore *store,
                                        guint32       hash);
void     _nm_cache_store_remove        (NmCacheStore *store,
                                        guint32       idx);
guint32  _nm_cache_store_victim        (NmCacheStore *store);
void     _nm_cache_store_set_deadline  (NmCacheStore *store,
                                        guint32       idx,
                                        gint64        expire_at);
gsize    _nm_cache_store_bytes         (const NmCacheStore *store);

static inline NmCacheRecord *
_nm_cache_store_get (NmCacheStore *store,
                     guint32       idx)
{
  return &store->records[idx];
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

struct _NmAsyncCache
{
  GObject           parent_instance;

  /* A pthread mutex rather than a GMutex: GLib's futex-based GMutex is
   * invisible to ThreadSanitizer, which then reports every access made
   * under it. Uncontended, both cost the same. */
  pthread_mutex_t   mutex;
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
};

static inline void
_nm_async_cache_lock (NmAsyncCache *self)
{
  pthread_mutex_lock (&self->mutex);
}

static inline void
_nm_async_cache_unlock (NmAsyncCache *self)
{
  pthread_mutex_unlock (&self->mutex);
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
void     _nm_async_cache_changed_locked  (NmAsyncCache *self);
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
gpointer _nm_async_cache_copy_value      (NmAsyncCache *self,
                                          gpointer      value);

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
