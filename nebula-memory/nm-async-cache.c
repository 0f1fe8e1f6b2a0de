/* nm-async-cache.c: the cache object, its synchronous API and statistics
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-enum-types.h"
#include "nm-async-cache-private.h"
#include "nm-notifier-private.h"

/**
 * SECTION:nm-async-cache
 * @Title: NmAsyncCache
 * @Short_description: a bounded get-or-compute cache on GTask
 *
 * An #NmAsyncCache maps keys to values computed on demand.
 * nm_async_cache_get_or_compute_async() answers from the cache when it can
 * and otherwise runs a loader — an #NmAsyncCacheLoadFunc completing a
 * #GTask, or a blocking #NmAsyncCacheComputeFunc run on a worker thread —
 * and hands the value to every request for that key.
 *
 * - **Single flight.** Requests for a key that is being loaded join that
 *   load; there is one load per key at a time, and every waiter gets the
 *   same value or the same error.
 * - **Errors are not cached.** The load leaves the cache before any waiter
 *   is completed, so retrying from the callback starts a new load. Set
 *   #NmAsyncCache:negative-ttl to keep failures for a while instead.
 * - **Cancellation is per request.** Cancelling one request's
 *   #GCancellable completes that request only, with %G_IO_ERROR_CANCELLED.
 *   The load's own cancellable, given to the loader, fires only when every
 *   request has gone; the abandoned load is detached at once, so the next
 *   request starts a fresh load.
 * - **Bounded.** By entries, or by weight with nm_async_cache_set_weigher().
 *   Eviction is SIEVE behind a small probationary FIFO and a ghost filter
 *   (the admission of S3-FIFO): O(1) per operation, resistant to scans, and
 *   at least as good as LRU, SIEVE and S3-FIFO on skewed workloads.
 *   #NmAsyncCache::evicted says what left and why.
 * - **Time.** #NmAsyncCache:ttl and nm_async_cache_insert_with_ttl() bound
 *   an entry's life; expired entries are never returned and are reclaimed by
 *   one source on the cache's main context armed for the earliest deadline.
 *   Past #NmAsyncCache:refresh-after, a hit serves the current value and
 *   starts one background reload; a failed reload keeps the old value.
 * - **Threads.** Every function may be called from any thread; requests
 *   complete in the thread-default main context of their caller. A load
 *   completes in the context of the request that started it, which must
 *   keep running until then.
 *
 * Caches made by nm_async_cache_new() (and by g_object_new() or the
 * bindings' constructors) have string keys and #GValue values, so Python
 * and JavaScript use them directly:
 *
 * |[<!-- language="Python" -->
 * cache = Nm.AsyncCache.new(1000)
 *
 * def load(cache, key, task, *user_data):
 *     task.return_value(fetch(key))     # or task.return_error(...)
 *
 * def done(cache, result):
 *     print(cache.get_or_compute_finish(result))
 *
 * cache.get_or_compute_async('answer', load, callback=done)
 * ]|
 *
 * and in JavaScript, with `Gio._promisify (Nm.AsyncCache.prototype,
 * 'get_or_compute_async', 'get_or_compute_finish')`:
 *
 * |[<!-- language="JavaScript" -->
 * const value = await cache.get_or_compute_async('answer', load, null);
 * ]|
 *
 * C callers use any key and value type with nm_async_cache_new_full():
 *
 * |[<!-- language="C" -->
 * static gpointer
 * parse_file (NmAsyncCache *cache, gconstpointer key, GCancellable *cancellable,
 *             gpointer user_data, GError **error)
 * {
 *   return my_document_load (G_FILE (key), cancellable, error);
 * }
 *
 * cache = nm_async_cache_new_full (g_file_hash, (GEqualFunc) g_file_equal,
 *                                  g_object_ref, g_object_unref,
 *                                  g_object_ref, g_object_unref, 256);
 * nm_async_cache_get_or_compute_in_thread_async (cache, file, parse_file,
 *                                                NULL, NULL, cancellable,
 *                                                on_document, self);
 * ]|
 *
 * Statistics are properties and an #NmAsyncCacheStats snapshot.
 * Notifications are batched: `notify::` fires at most once per iteration
 * of the cache's main context for each property whose value changed, never
 * from the lookup path itself.
 *
 * Since: 1.0
 */

G_DEFINE_FINAL_TYPE (NmAsyncCache, nm_async_cache, G_TYPE_OBJECT)

#define DEFAULT_CAPACITY 1024

enum {
  PROP_0,
  PROP_CAPACITY,
  PROP_TTL,
  PROP_REFRESH_AFTER,
  PROP_NEGATIVE_TTL,
  PROP_SIZE,
  PROP_WEIGHT,
  PROP_HITS,
  PROP_MISSES,
  PROP_EVICTIONS,
  PROP_EXPIRATIONS,
  PROP_LOADS,
  PROP_LOAD_FAILURES,
  PROP_JOINED,
  PROP_CANCELLED_WAITERS,
  PROP_ABANDONED_LOADS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

enum {
  EVICTED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

static gpointer
gvalue_copy (gpointer value)
{
  return g_boxed_copy (G_TYPE_VALUE, value);
}

static void
gvalue_free (gpointer value)
{
  g_boxed_free (G_TYPE_VALUE, value);
}

/* ---- what the other files need from the class ------------------------------ */

void
_nm_async_cache_notify_stats (NmAsyncCache            *self,
                              const NmAsyncCacheStats *before,
                              const NmAsyncCacheStats *now)
{
  g_object_freeze_notify (G_OBJECT (self));
#define NOTIFY_IF_CHANGED(field, prop) \
  if (now->field != before->field) \
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop])
  NOTIFY_IF_CHANGED (size, PROP_SIZE);
  NOTIFY_IF_CHANGED (weight, PROP_WEIGHT);
  NOTIFY_IF_CHANGED (hits, PROP_HITS);
  NOTIFY_IF_CHANGED (misses, PROP_MISSES);
  NOTIFY_IF_CHANGED (evictions, PROP_EVICTIONS);
  NOTIFY_IF_CHANGED (expirations, PROP_EXPIRATIONS);
  NOTIFY_IF_CHANGED (loads, PROP_LOADS);
  NOTIFY_IF_CHANGED (load_failures, PROP_LOAD_FAILURES);
  NOTIFY_IF_CHANGED (joined, PROP_JOINED);
  NOTIFY_IF_CHANGED (cancelled_waiters, PROP_CANCELLED_WAITERS);
  NOTIFY_IF_CHANGED (abandoned_loads, PROP_ABANDONED_LOADS);
#undef NOTIFY_IF_CHANGED
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
_nm_async_cache_has_evicted_handlers (NmAsyncCache *self)
{
  return g_signal_has_handler_pending (self, signals[EVICTED], 0, TRUE);
}

void
_nm_async_cache_emit_evicted (NmAsyncCache               *self,
                              gpointer                    key,
                              gpointer                    value,
                              NmAsyncCacheEvictionReason  reason)
{
  g_signal_emit (self, signals[EVICTED], 0, key, value, reason);
}

/* ---- GObject --------------------------------------------------------------- */

static void
nm_async_cache_dispose (GObject *object)
{
  NmAsyncCache *self = (NmAsyncCache *) object;

  if (self->expiry_source != NULL)
    {
      g_source_destroy (self->expiry_source);
      g_clear_pointer (&self->expiry_source, g_source_unref);
    }

  G_OBJECT_CLASS (nm_async_cache_parent_class)->dispose (object);
}

static void
nm_async_cache_finalize (GObject *object)
{
  NmAsyncCache *self = (NmAsyncCache *) object;
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);

  /* Loads in flight hold a reference, so none is left here. */
  g_assert (g_hash_table_size (self->flights) == 0);
  g_hash_table_unref (self->flights);

  while (self->store.n_used > 0)
    {
      guint32 idx = _nm_cache_store_any (&self->store);
      NmCacheSlot *slot = _nm_cache_store_slot (&self->store, idx);
      NmCacheDrop drop = { slot->key, slot->value, NM_ASYNC_CACHE_EVICTION_INVALIDATED,
                           (slot->tag & NM_CACHE_NEGATIVE) != 0 };

      _nm_cache_drops_push (&drops, &drop);
      _nm_cache_store_remove (&self->store, idx);
    }
  _nm_cache_drops_release (self, &drops, FALSE);
  _nm_cache_drops_release (self, &self->pending_drops, FALSE);
  _nm_cache_store_clear (&self->store);

  if (self->weigher_destroy != NULL)
    self->weigher_destroy (self->weigher_data);

  g_clear_pointer (&self->notifier, _nm_notifier_free);
  g_main_context_unref (self->context);
  nm_cache_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (nm_async_cache_parent_class)->finalize (object);
}

static void
nm_async_cache_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NmAsyncCache *self = NM_ASYNC_CACHE (object);
  NmAsyncCacheStats s;
  GTimeSpan ttl, refresh_after, negative_ttl;

  _nm_async_cache_lock (self);
  s = self->stats;
  s.size = self->store.n_used;
  s.weight = self->store.weight;
  s.capacity = self->capacity;
  ttl = self->ttl;
  refresh_after = self->refresh_after;
  negative_ttl = self->negative_ttl;
  _nm_async_cache_unlock (self);

  switch (prop_id)
    {
    case PROP_CAPACITY:          g_value_set_uint64 (value, s.capacity); break;
    case PROP_TTL:               g_value_set_int64 (value, ttl); break;
    case PROP_REFRESH_AFTER:     g_value_set_int64 (value, refresh_after); break;
    case PROP_NEGATIVE_TTL:      g_value_set_int64 (value, negative_ttl); break;
    case PROP_SIZE:              g_value_set_uint64 (value, s.size); break;
    case PROP_WEIGHT:            g_value_set_uint64 (value, s.weight); break;
    case PROP_HITS:              g_value_set_uint64 (value, s.hits); break;
    case PROP_MISSES:            g_value_set_uint64 (value, s.misses); break;
    case PROP_EVICTIONS:         g_value_set_uint64 (value, s.evictions); break;
    case PROP_EXPIRATIONS:       g_value_set_uint64 (value, s.expirations); break;
    case PROP_LOADS:             g_value_set_uint64 (value, s.loads); break;
    case PROP_LOAD_FAILURES:     g_value_set_uint64 (value, s.load_failures); break;
    case PROP_JOINED:            g_value_set_uint64 (value, s.joined); break;
    case PROP_CANCELLED_WAITERS: g_value_set_uint64 (value, s.cancelled_waiters); break;
    case PROP_ABANDONED_LOADS:   g_value_set_uint64 (value, s.abandoned_loads); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_time_property (NmAsyncCache *self,
                   GTimeSpan    *field,
                   GTimeSpan     value,
                   GParamSpec   *pspec)
{
  gboolean changed;

  _nm_async_cache_lock (self);
  changed = *field != value;
  *field = value;
  _nm_async_cache_unlock (self);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
nm_async_cache_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  NmAsyncCache *self = NM_ASYNC_CACHE (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      nm_async_cache_set_capacity (self, g_value_get_uint64 (value));
      break;
    case PROP_TTL:
      set_time_property (self, &self->ttl, g_value_get_int64 (value), pspec);
      break;
    case PROP_REFRESH_AFTER:
      set_time_property (self, &self->refresh_after, g_value_get_int64 (value), pspec);
      break;
    case PROP_NEGATIVE_TTL:
      set_time_property (self, &self->negative_ttl, g_value_get_int64 (value), pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
counter_property (const char *name,
                  const char *blurb)
{
  return g_param_spec_uint64 (name, NULL, blurb, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
time_property (const char *name,
               const char *blurb)
{
  return g_param_spec_int64 (name, NULL, blurb, 0, G_MAXINT64, 0,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                             G_PARAM_STATIC_STRINGS);
}

static void
nm_async_cache_class_init (NmAsyncCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nm_async_cache_dispose;
  object_class->finalize = nm_async_cache_finalize;
  object_class->get_property = nm_async_cache_get_property;
  object_class->set_property = nm_async_cache_set_property;

  /**
   * NmAsyncCache:capacity:
   *
   * The most entries the cache holds, or the most total weight when a
   * weigher is set. Lowering it evicts at once. Default 1024; 0 keeps
   * nothing (loads still reach their waiters).
   *
   * Since: 1.0
   */
  properties[PROP_CAPACITY] =
    g_param_spec_uint64 ("capacity", NULL, "Entries, or total weight, to hold at most", 0, G_MAXUINT32, DEFAULT_CAPACITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * NmAsyncCache:ttl:
   *
   * Time to live of entries, in microseconds from when they are stored;
   * 0 (the default) means they never expire.
   *
   * Since: 1.0
   */
  properties[PROP_TTL] = time_property ("ttl", "Microseconds an entry lives, or 0");

  /**
   * NmAsyncCache:refresh-after:
   *
   * Age in microseconds after which a hit through
   * nm_async_cache_get_or_compute_async() still serves the value but also
   * starts one background reload with that request's loader. A failed
   * reload keeps the old value; #NmAsyncCache:ttl still bounds it.
   * 0 (the default) never refreshes.
   *
   * Since: 1.0
   */
  properties[PROP_REFRESH_AFTER] = time_property ("refresh-after", "Microseconds after which a hit reloads, or 0");

  /**
   * NmAsyncCache:negative-ttl:
   *
   * How long, in microseconds, a failed load's error is kept and given to
   * new requests for the key. 0 (the default) never keeps errors: the next
   * request starts a new load.
   *
   * Since: 1.0
   */
  properties[PROP_NEGATIVE_TTL] = time_property ("negative-ttl", "Microseconds a failure is kept, or 0");

  /**
   * NmAsyncCache:size:
   *
   * Entries held. Notified once per main context iteration when it changed.
   *
   * Since: 1.0
   */
  properties[PROP_SIZE] = counter_property ("size", "Entries held");

  /**
   * NmAsyncCache:weight:
   *
   * Total weight of the entries held; their number without a weigher.
   *
   * Since: 1.0
   */
  properties[PROP_WEIGHT] = counter_property ("weight", "Total weight of the entries");

  /**
   * NmAsyncCache:hits:
   *
   * Requests and lookups answered from the cache.
   *
   * Since: 1.0
   */
  properties[PROP_HITS] = counter_property ("hits", "Requests answered from the cache");

  /**
   * NmAsyncCache:misses:
   *
   * Requests and lookups that found no usable entry (joined requests
   * included).
   *
   * Since: 1.0
   */
  properties[PROP_MISSES] = counter_property ("misses", "Requests that were not");

  /**
   * NmAsyncCache:evictions:
   *
   * Entries dropped for capacity or memory pressure (not expirations).
   *
   * Since: 1.0
   */
  properties[PROP_EVICTIONS] = counter_property ("evictions", "Entries evicted to stay in bounds");

  /**
   * NmAsyncCache:expirations:
   *
   * Entries dropped because their time to live passed.
   *
   * Since: 1.0
   */
  properties[PROP_EXPIRATIONS] = counter_property ("expirations", "Entries dropped at their deadline");

  /**
   * NmAsyncCache:loads:
   *
   * Loads started, background refreshes included.
   *
   * Since: 1.0
   */
  properties[PROP_LOADS] = counter_property ("loads", "Loads started");

  /**
   * NmAsyncCache:load-failures:
   *
   * Loads that completed with an error; abandoned loads are not counted.
   *
   * Since: 1.0
   */
  properties[PROP_LOAD_FAILURES] = counter_property ("load-failures", "Loads that failed");

  /**
   * NmAsyncCache:joined:
   *
   * Requests that joined a load already in flight instead of starting one.
   *
   * Since: 1.0
   */
  properties[PROP_JOINED] = counter_property ("joined", "Requests that joined a load under way");

  /**
   * NmAsyncCache:cancelled-waiters:
   *
   * Requests completed with %G_IO_ERROR_CANCELLED by their own cancellable
   * while waiting for a load.
   *
   * Since: 1.0
   */
  properties[PROP_CANCELLED_WAITERS] = counter_property ("cancelled-waiters", "Requests cancelled while waiting");

  /**
   * NmAsyncCache:abandoned-loads:
   *
   * Loads whose every waiter had gone, so their cancellable was cancelled.
   *
   * Since: 1.0
   */
  properties[PROP_ABANDONED_LOADS] = counter_property ("abandoned-loads", "Loads cancelled when every waiter had gone");

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NmAsyncCache::evicted:
   * @self: the #NmAsyncCache
   * @key: (type utf8): the key of the entry; a string for caches made by
   *   nm_async_cache_new()
   * @value: (type GValue): the value of the entry; a #GValue for caches
   *   made by nm_async_cache_new()
   * @reason: why it left
   *
   * For caches made by nm_async_cache_new_full(), @key and @value are the
   * cache's own key and value pointers behind the declared types: connect
   * to those from C only.
   *
   * Emitted after an entry left the cache, with the cache's main context
   * acquired: from the call that removed it when that thread could acquire
   * the context, otherwise from an idle on it. Failures kept by
   * #NmAsyncCache:negative-ttl are not announced.
   *
   * Since: 1.0
   */
  signals[EVICTED] =
    g_signal_new ("evicted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  /* Passed as they are, never copied: C-only caches put
                   * their own key and value types behind these. */
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_VALUE | G_SIGNAL_TYPE_STATIC_SCOPE,
                  NM_TYPE_ASYNC_CACHE_EVICTION_REASON);
}

static void
nm_async_cache_init (NmAsyncCache *self)
{
  nm_cache_mutex_init (&self->mutex);
  _nm_cache_store_init (&self->store);

  self->key_hash = g_str_hash;
  self->key_equal = g_str_equal;
  self->key_copy = (GBoxedCopyFunc) g_strdup;
  self->key_free = g_free;
  self->value_copy = gvalue_copy;
  self->value_free = gvalue_free;
  self->gvalue_values = TRUE;
  self->capacity = DEFAULT_CAPACITY;
  _nm_cache_store_set_capacity (&self->store, DEFAULT_CAPACITY);
  self->clock = _nm_async_cache_monotonic_clock;
  self->armed_deadline = G_MAXINT64;
  self->context = g_main_context_ref_thread_default ();
  self->pending_drops = (NmCacheDrops) NM_CACHE_DROPS_INIT (self->pending_drops);
  self->flights = g_hash_table_new (g_str_hash, g_str_equal);
}

/* ---- public API ------------------------------------------------------------- */

/**
 * nm_async_cache_new:
 * @capacity: the most entries to hold
 *
 * Makes a cache with string keys and #GValue values, the kind bindings use
 * (g_object_new() makes the same, with a capacity of 1024). Loaders
 * complete their task with g_task_return_value(); lookups and
 * nm_async_cache_get_or_compute_finish() return a copy of the #GValue.
 *
 * Returns: (transfer full): a new #NmAsyncCache
 *
 * Since: 1.0
 */
NmAsyncCache *
nm_async_cache_new (guint64 capacity)
{
  return g_object_new (NM_TYPE_ASYNC_CACHE, "capacity", MIN (capacity, G_MAXUINT32), NULL);
}

/**
 * nm_async_cache_new_full: (skip)
 * @key_hash: hashes a key
 * @key_equal: compares two keys
 * @key_copy: (nullable): copies a key the cache keeps, or %NULL to keep the
 *   caller's pointer as it is
 * @key_free: (nullable): frees a key copied by @key_copy
 * @value_copy: (nullable): copies a value handed out (g_object_ref(),
 *   g_variant_ref(), …), or %NULL to hand out the stored pointer itself
 * @value_free: (nullable): frees a stored or handed-out value
 * @capacity: the most entries to hold, or the most weight with a weigher
 *
 * Makes a cache for any key and value types. Values handed to callers are
 * copies made with @value_copy, theirs to free with @value_free; a loader
 * completes its task with g_task_return_pointer() and @value_free. Values
 * are never %NULL.
 *
 * Without @value_copy, callers get the stored pointer itself, borrowed: it
 * stays valid only while the entry stays in the cache, so use that only for
 * values that outlive the cache or a cache used from one thread.
 *
 * Returns: (transfer full): a new #NmAsyncCache
 *
 * Since: 1.0
 */
NmAsyncCache *
nm_async_cache_new_full (GHashFunc      key_hash,
                         GEqualFunc     key_equal,
                         GBoxedCopyFunc key_copy,
                         GDestroyNotify key_free,
                         GBoxedCopyFunc value_copy,
                         GDestroyNotify value_free,
                         guint64        capacity)
{
  NmAsyncCache *self;

  g_return_val_if_fail (key_hash != NULL, NULL);
  g_return_val_if_fail (key_equal != NULL, NULL);

  self = nm_async_cache_new (capacity);
  self->key_hash = key_hash;
  self->key_equal = key_equal;
  self->key_copy = key_copy;
  self->key_free = key_free;
  self->value_copy = value_copy;
  self->value_free = value_free;
  self->gvalue_values = FALSE;
  g_hash_table_unref (self->flights);
  self->flights = g_hash_table_new (key_hash, key_equal);

  return self;
}

/**
 * nm_async_cache_set_weigher:
 * @self: an #NmAsyncCache
 * @weigher: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   weighs an entry, or %NULL to count entries
 * @user_data: data for @weigher
 * @destroy: (nullable): frees @user_data
 *
 * Bounds the cache by weight: #NmAsyncCache:capacity becomes the most total
 * weight. Set it before storing anything; entries already held keep a
 * weight of 1.
 *
 * Since: 1.0
 */
void
nm_async_cache_set_weigher (NmAsyncCache        *self,
                            NmAsyncCacheWeigher  weigher,
                            gpointer             user_data,
                            GDestroyNotify       destroy)
{
  GDestroyNotify old_destroy;
  gpointer old_data;
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);

  g_return_if_fail (NM_IS_ASYNC_CACHE (self));

  _nm_async_cache_lock (self);
  old_destroy = self->weigher_destroy;
  old_data = self->weigher_data;
  self->weigher = weigher;
  self->weigher_data = user_data;
  self->weigher_destroy = destroy;
  _nm_async_cache_evict_to_capacity_locked (self, &drops);
  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);
  if (old_destroy != NULL)
    old_destroy (old_data);
}

/**
 * nm_async_cache_get_capacity:
 * @self: an #NmAsyncCache
 *
 * Gives #NmAsyncCache:capacity.
 *
 * Returns: the most entries, or the most weight with a weigher
 *
 * Since: 1.0
 */
guint64
nm_async_cache_get_capacity (NmAsyncCache *self)
{
  guint64 capacity;

  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), 0);

  _nm_async_cache_lock (self);
  capacity = self->capacity;
  _nm_async_cache_unlock (self);

  return capacity;
}

/**
 * nm_async_cache_set_capacity:
 * @self: an #NmAsyncCache
 * @capacity: the most entries, or the most weight with a weigher
 *
 * Sets #NmAsyncCache:capacity, evicting at once what no longer fits.
 *
 * Since: 1.0
 */
void
nm_async_cache_set_capacity (NmAsyncCache *self,
                             guint64       capacity)
{
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);
  gboolean changed;

  g_return_if_fail (NM_IS_ASYNC_CACHE (self));
  g_return_if_fail (capacity <= G_MAXUINT32);

  _nm_async_cache_lock (self);
  changed = self->capacity != capacity;
  self->capacity = capacity;
  _nm_cache_store_set_capacity (&self->store, capacity);
  _nm_async_cache_evict_to_capacity_locked (self, &drops);
  _nm_async_cache_arm_expiry_locked (self);
  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPACITY]);
}

/**
 * nm_async_cache_get_size:
 * @self: an #NmAsyncCache
 *
 * Gives #NmAsyncCache:size.
 *
 * Returns: the number of entries held
 *
 * Since: 1.0
 */
guint64
nm_async_cache_get_size (NmAsyncCache *self)
{
  guint64 size;

  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), 0);

  _nm_async_cache_lock (self);
  size = self->store.n_used;
  _nm_async_cache_unlock (self);

  return size;
}

/**
 * nm_async_cache_get_stats:
 * @self: an #NmAsyncCache
 *
 * Takes a consistent snapshot of the cache's counters.
 *
 * Returns: (transfer full): the counters
 *
 * Since: 1.0
 */
NmAsyncCacheStats *
nm_async_cache_get_stats (NmAsyncCache *self)
{
  NmAsyncCacheStats *stats;

  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), NULL);

  stats = g_new0 (NmAsyncCacheStats, 1);
  _nm_async_cache_lock (self);
  *stats = self->stats;
  stats->capacity = self->capacity;
  stats->size = self->store.n_used;
  stats->weight = self->store.weight;
  _nm_async_cache_unlock (self);

  return stats;
}
