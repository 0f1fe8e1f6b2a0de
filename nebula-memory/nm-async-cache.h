/* nm-async-cache.h: a bounded get-or-compute cache on GTask
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <gio/gio.h>

#include "nm-memory-pressure.h"
#include "nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NmAsyncCacheEvictionReason:
 * @NM_ASYNC_CACHE_EVICTION_SIZE: the cache was over its capacity
 * @NM_ASYNC_CACHE_EVICTION_EXPIRED: the entry outlived its time to live
 * @NM_ASYNC_CACHE_EVICTION_INVALIDATED: nm_async_cache_invalidate() or
 *   nm_async_cache_clear() removed it
 * @NM_ASYNC_CACHE_EVICTION_REPLACED: a newer value for the same key took
 *   its place
 * @NM_ASYNC_CACHE_EVICTION_MEMORY_PRESSURE: nm_async_cache_trim() dropped it
 *
 * Why an entry left an #NmAsyncCache, as given by #NmAsyncCache::evicted.
 *
 * Since: 1.0
 */
typedef enum {
  NM_ASYNC_CACHE_EVICTION_SIZE,
  NM_ASYNC_CACHE_EVICTION_EXPIRED,
  NM_ASYNC_CACHE_EVICTION_INVALIDATED,
  NM_ASYNC_CACHE_EVICTION_REPLACED,
  NM_ASYNC_CACHE_EVICTION_MEMORY_PRESSURE,
} NmAsyncCacheEvictionReason;

/**
 * NM_ASYNC_CACHE_TTL_FOREVER:
 *
 * A time to live for nm_async_cache_insert_with_ttl() meaning that the entry
 * never expires, whatever #NmAsyncCache:ttl says.
 *
 * Since: 1.0
 */
#define NM_ASYNC_CACHE_TTL_FOREVER ((GTimeSpan) -1)

#define NM_TYPE_ASYNC_CACHE_STATS (nm_async_cache_stats_get_type ())

typedef struct _NmAsyncCacheStats NmAsyncCacheStats;

/**
 * NmAsyncCacheStats:
 * @capacity: the bound, in entries or in weight units when a weigher is set
 * @size: entries held
 * @weight: total weight of the entries held (their number without a weigher)
 * @hits: requests and lookups answered from the cache
 * @misses: requests and lookups that found no usable entry
 * @evictions: entries dropped to respect the capacity or by trimming
 * @expirations: entries dropped because their time to live passed
 * @loads: loads started (refreshes included)
 * @load_failures: loads that ended with an error (abandoned loads excluded)
 * @joined: requests that joined a load already in flight
 * @cancelled_waiters: requests completed early because their own
 *   cancellable was cancelled
 * @abandoned_loads: loads cancelled because every waiter had gone
 * @refreshes: background reloads started by a hit past #NmAsyncCache:refresh-after
 *
 * A snapshot of an #NmAsyncCache's counters, from nm_async_cache_get_stats().
 *
 * Since: 1.0
 */
struct _NmAsyncCacheStats
{
  guint64 capacity;
  guint64 size;
  guint64 weight;
  guint64 hits;
  guint64 misses;
  guint64 evictions;
  guint64 expirations;
  guint64 loads;
  guint64 load_failures;
  guint64 joined;
  guint64 cancelled_waiters;
  guint64 abandoned_loads;
  guint64 refreshes;

  /*< private >*/
  guint64 _reserved[4];
};

NM_AVAILABLE_IN_1_0
GType              nm_async_cache_stats_get_type      (void) G_GNUC_CONST;
NM_AVAILABLE_IN_1_0
NmAsyncCacheStats *nm_async_cache_stats_copy          (const NmAsyncCacheStats *stats);
NM_AVAILABLE_IN_1_0
void               nm_async_cache_stats_free          (NmAsyncCacheStats       *stats);
NM_AVAILABLE_IN_1_0
double             nm_async_cache_stats_get_hit_ratio (const NmAsyncCacheStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmAsyncCacheStats, nm_async_cache_stats_free)

/**
 * NM_TYPE_ASYNC_CACHE:
 *
 * The #GType of #NmAsyncCache.
 *
 * Since: 1.0
 */
#define NM_TYPE_ASYNC_CACHE (nm_async_cache_get_type ())

/**
 * NmAsyncCache:
 *
 * A bounded get-or-compute cache; its fields are private.
 *
 * Since: 1.0
 */

NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmAsyncCache, nm_async_cache, NM, ASYNC_CACHE, GObject)

/**
 * NmAsyncCacheLoadFunc:
 * @cache: the #NmAsyncCache
 * @key: (type utf8): the key to load; a string for caches made by
 *   nm_async_cache_new()
 * @task: the load; complete it exactly once, from any thread
 * @user_data: the data given with the function
 *
 * Loads the value of @key and completes @task with it: with
 * g_task_return_pointer() and the cache's value free function for caches
 * made by nm_async_cache_new_full(), with g_task_return_value() for caches
 * made by nm_async_cache_new(), or with g_task_return_error().
 *
 * The cache holds @task until it is completed, and @key until then too.
 * g_task_get_cancellable() on @task gives the load's own #GCancellable,
 * which is cancelled only when every request waiting for the load has gone.
 *
 * Since: 1.0
 */
typedef void (*NmAsyncCacheLoadFunc) (NmAsyncCache *cache,
                                      gconstpointer key,
                                      GTask        *task,
                                      gpointer      user_data);

/**
 * NmAsyncCacheComputeFunc:
 * @cache: the #NmAsyncCache
 * @key: the key to compute
 * @cancellable: the load's own #GCancellable
 * @user_data: the data given with the function
 * @error: return location for a #GError
 *
 * Computes the value of @key on a worker thread, blocking as long as it
 * needs; it should check @cancellable when it can.
 *
 * Returns: (transfer full) (nullable): the value, owned by the cache's value
 *   free function, or %NULL with @error set
 *
 * Since: 1.0
 */
typedef gpointer (*NmAsyncCacheComputeFunc) (NmAsyncCache  *cache,
                                             gconstpointer  key,
                                             GCancellable  *cancellable,
                                             gpointer       user_data,
                                             GError       **error);

/**
 * NmAsyncCacheWeigher:
 * @cache: the #NmAsyncCache
 * @key: (type utf8): the key of the entry
 * @value: (type GValue): the value of the entry
 * @user_data: the data given to nm_async_cache_set_weigher()
 *
 * Weighs one entry, for caches bounded by weight. Called without the
 * cache's lock held, once per stored value.
 *
 * Returns: the weight, at least 1 (0 counts as 1)
 *
 * Since: 1.0
 */
typedef guint64 (*NmAsyncCacheWeigher) (NmAsyncCache  *cache,
                                        gconstpointer  key,
                                        gconstpointer  value,
                                        gpointer       user_data);

NM_AVAILABLE_IN_1_0
NmAsyncCache      *nm_async_cache_new                  (guint64                  capacity);
NM_AVAILABLE_IN_1_0
NmAsyncCache      *nm_async_cache_new_full             (GHashFunc                key_hash,
                                                        GEqualFunc               key_equal,
                                                        GBoxedCopyFunc           key_copy,
                                                        GDestroyNotify           key_free,
                                                        GBoxedCopyFunc           value_copy,
                                                        GDestroyNotify           value_free,
                                                        guint64                  capacity);
NM_AVAILABLE_IN_1_0
void               nm_async_cache_set_weigher          (NmAsyncCache            *self,
                                                        NmAsyncCacheWeigher      weigher,
                                                        gpointer                 user_data,
                                                        GDestroyNotify           destroy);

NM_AVAILABLE_IN_1_0
void               nm_async_cache_get_or_compute_async (NmAsyncCache            *self,
                                                        gconstpointer            key,
                                                        NmAsyncCacheLoadFunc     load_func,
                                                        gpointer                 load_data,
                                                        GDestroyNotify           load_data_destroy,
                                                        GCancellable            *cancellable,
                                                        GAsyncReadyCallback      callback,
                                                        gpointer                 user_data);
NM_AVAILABLE_IN_1_0
void               nm_async_cache_get_or_compute_in_thread_async
                                                       (NmAsyncCache            *self,
                                                        gconstpointer            key,
                                                        NmAsyncCacheComputeFunc  compute_func,
                                                        gpointer                 compute_data,
                                                        GDestroyNotify           compute_data_destroy,
                                                        GCancellable            *cancellable,
                                                        GAsyncReadyCallback      callback,
                                                        gpointer                 user_data);
NM_AVAILABLE_IN_1_0
gpointer           nm_async_cache_get_or_compute_finish (NmAsyncCache           *self,
                                                         GAsyncResult           *result,
                                                         GError                **error);

NM_AVAILABLE_IN_1_0
void               nm_async_cache_load_set_ttl         (GTask                   *load,
                                                        GTimeSpan                ttl);

NM_AVAILABLE_IN_1_0
gpointer           nm_async_cache_lookup               (NmAsyncCache            *self,
                                                        gconstpointer            key);
NM_AVAILABLE_IN_1_0
void               nm_async_cache_insert               (NmAsyncCache            *self,
                                                        gconstpointer            key,
                                                        gconstpointer            value);
NM_AVAILABLE_IN_1_0
void               nm_async_cache_insert_with_ttl      (NmAsyncCache            *self,
                                                        gconstpointer            key,
                                                        gconstpointer            value,
                                                        GTimeSpan                ttl);
NM_AVAILABLE_IN_1_0
gboolean           nm_async_cache_invalidate           (NmAsyncCache            *self,
                                                        gconstpointer            key);
NM_AVAILABLE_IN_1_0
void               nm_async_cache_clear                (NmAsyncCache            *self);
NM_AVAILABLE_IN_1_0
guint              nm_async_cache_trim                 (NmAsyncCache            *self,
                                                        GMemoryMonitorWarningLevel level);

NM_AVAILABLE_IN_1_0
guint              nm_async_cache_follow_memory_pressure (NmAsyncCache         *self,
                                                          NmMemoryPressure     *pressure);

NM_AVAILABLE_IN_1_0
guint64            nm_async_cache_get_capacity         (NmAsyncCache            *self);
NM_AVAILABLE_IN_1_0
void               nm_async_cache_set_capacity         (NmAsyncCache            *self,
                                                        guint64                  capacity);
NM_AVAILABLE_IN_1_0
guint64            nm_async_cache_get_size             (NmAsyncCache            *self);
NM_AVAILABLE_IN_1_0
NmAsyncCacheStats *nm_async_cache_get_stats            (NmAsyncCache            *self);

G_END_DECLS
