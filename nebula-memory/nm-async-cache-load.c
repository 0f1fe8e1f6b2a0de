/* nm-async-cache-load.c: get-or-compute, single flight, per-waiter cancellation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A request is a GTask of its own (its caller's cancellable, context and
 * callback). A miss makes or joins the flight for its key: one load, with
 * its own cancellable, and the queue of requests waiting for it.
 *
 * Who completes a waiter is decided under the cache's lock: the one who
 * clears waiter->flight (the load finishing, or the waiter's cancellable
 * firing) owns the completion; the other finds NULL and does nothing.
 *
 * A flight leaves the flights table (is "detached") when its load ends,
 * when its last waiter is cancelled (the load is then abandoned and its
 * cancellable cancelled), or when invalidate/insert/clear make its result
 * stale. Detaching happens under the lock before anyone is told, so any
 * request arriving afterwards — even from a completion callback — starts a
 * fresh load and never joins a dying or stale one.
 *
 * Lock order: cache mutex → main context lock (attaching sources). Nothing
 * takes the cache mutex while holding a context lock or inside a
 * cancellable's signal handler, and user code (loaders, callbacks, free
 * functions, cancellable handlers) never runs under the mutex.
 */

#include "config.h"

#include "nm-async-cache-private.h"
#include "nm-sanitizer-private.h"

typedef enum {
  LOADER_ASYNC,
  LOADER_THREAD,
} LoaderKind;

struct _NmCacheLoader
{
  gatomicrefcount ref_count;
  LoaderKind      kind;
  gpointer        func;
  gpointer        data;
  GDestroyNotify  destroy;
};

struct _NmCacheFlight
{
  NmAsyncCache  *cache;
  gpointer       key;           /* owned copy */
  guint32        hash;
  GCancellable  *cancellable;   /* the load's own */
  GTask         *load_task;
  NmCacheLoader *loader;
  GQueue         waiters;       /* of NmCacheWaiter, through ->link */
  GTimeSpan      ttl;           /* for the loaded value; 0 for the cache's */
  guint          detached : 1;
  guint          abandoned : 1;
  guint          stale : 1;
  guint          refresh : 1;
};

typedef struct
{
  GList          link;          /* data is the waiter's GTask */
  NmCacheFlight *flight;        /* NULL once someone owns the completion */
  GSource       *cancel_source;
} NmCacheWaiter;

/* Where nm_async_cache_load_set_ttl() finds the flight of a load task (the
 * task data is the loader's to use). */
#define FLIGHT_DATA_KEY "nm-async-cache-flight"

static NmCacheLoader *
loader_new (LoaderKind     kind,
            gpointer       func,
            gpointer       data,
            GDestroyNotify destroy)
{
  NmCacheLoader *loader = g_new0 (NmCacheLoader, 1);

  g_atomic_ref_count_init (&loader->ref_count);
  loader->kind = kind;
  loader->func = func;
  loader->data = data;
  loader->destroy = destroy;

  return loader;
}

static NmCacheLoader *
loader_ref (NmCacheLoader *loader)
{
  g_atomic_ref_count_inc (&loader->ref_count);
  return loader;
}

static void
loader_unref (NmCacheLoader *loader)
{
  if (g_atomic_ref_count_dec (&loader->ref_count))
    {
      if (loader->destroy != NULL)
        loader->destroy (loader->data);
      g_free (loader);
    }
}

static void
waiter_free (gpointer data)
{
  NmCacheWaiter *waiter = data;

  nm_sanitizer_handoff_acquire (waiter);
  g_assert (waiter->flight == NULL);
  /* The last reference to the cancel source goes here, usually in the
   * waiter's own thread: disposing of a GCancellableSource while its
   * cancellable is being cancelled in another thread can leak it. */
  g_clear_pointer (&waiter->cancel_source, g_source_unref);
  g_free (waiter);
}

static NmCacheFlight *
flight_new_locked (NmAsyncCache  *self,
                   gconstpointer  key,
                   guint32        hash,
                   NmCacheLoader *loader,
                   gboolean       refresh)
{
  NmCacheFlight *flight = g_new0 (NmCacheFlight, 1);

  flight->cache = self;
  flight->key = self->key_copy != NULL ? self->key_copy ((gpointer) key) : (gpointer) key;
  flight->hash = hash;
  flight->cancellable = g_cancellable_new ();
  flight->loader = loader_ref (loader);
  flight->refresh = refresh;
  g_queue_init (&flight->waiters);
  g_hash_table_insert (self->flights, flight->key, flight);

  self->stats.loads++;
  if (refresh)
    self->stats.refreshes++;
  _nm_async_cache_changed_locked (self);

  return flight;
}

static void
flight_detach_locked (NmAsyncCache  *self,
                      NmCacheFlight *flight)
{
  if (flight->detached)
    return;

  flight->detached = TRUE;
  g_hash_table_remove (self->flights, flight->key);
}

static void
flight_free (NmCacheFlight *flight)
{
  NmAsyncCache *self = flight->cache;

  g_assert (flight->detached);
  g_assert (g_queue_is_empty (&flight->waiters));

  if (flight->key != NULL && self->key_free != NULL)
    self->key_free (flight->key);
  g_clear_object (&flight->cancellable);
  g_clear_object (&flight->load_task);
  g_clear_pointer (&flight->loader, loader_unref);
  g_free (flight);
}

void
_nm_async_cache_detach_flight_locked (NmAsyncCache  *self,
                                      gconstpointer  key)
{
  NmCacheFlight *flight = g_hash_table_lookup (self->flights, key);

  if (flight != NULL)
    {
      flight->stale = TRUE;
      flight_detach_locked (self, flight);
    }
}

void
_nm_async_cache_detach_all_flights_locked (NmAsyncCache *self)
{
  GHashTableIter iter;
  NmCacheFlight *flight;

  g_hash_table_iter_init (&iter, self->flights);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &flight))
    {
      flight->stale = TRUE;
      flight->detached = TRUE;
      g_hash_table_iter_remove (&iter);
    }
}

/* ---- completion ------------------------------------------------------------ */

static void
complete_waiter (NmAsyncCache *self,
                 GTask        *task,
                 gpointer      value,
                 const GError *error)
{
  NmCacheWaiter *waiter = g_task_get_task_data (task);

  if (waiter->cancel_source != NULL)
    g_source_destroy (waiter->cancel_source);

  nm_sanitizer_handoff_release (waiter);
  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_pointer (task, _nm_async_cache_copy_value (self, value),
                           self->value_copy != NULL ? self->value_free : NULL);
}

static void
load_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  NmCacheFlight *flight = user_data;
  NmAsyncCache *self = flight->cache;
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);
  g_autoptr(GError) error = NULL;
  gpointer value = NULL;
  gpointer to_store = NULL;
  guint64 weight = 1;
  gboolean stored = FALSE;
  GQueue waiters;

  nm_sanitizer_handoff_acquire (flight);
  if (self->gvalue_values && flight->loader->kind == LOADER_ASYNC)
    {
      GValue v = G_VALUE_INIT;

      if (g_task_propagate_value (G_TASK (result), &v, &error))
        {
          value = g_boxed_copy (G_TYPE_VALUE, &v);
          g_value_unset (&v);
        }
    }
  else
    value = g_task_propagate_pointer (G_TASK (result), &error);

  if (value == NULL && error == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "The cache's loader returned no value and no error");

  /* The cache stores its own copy: once stored, another thread may evict
   * and free it while the waiters below are being given theirs. */
  if (value != NULL)
    {
      weight = _nm_async_cache_weigh (self, flight->key, value);
      to_store = _nm_async_cache_copy_value (self, value);
    }

  _nm_async_cache_lock (self);

  flight_detach_locked (self, flight);
  waiters = flight->waiters;
  g_queue_init (&flight->waiters);
  for (GList *l = waiters.head; l != NULL; l = l->next)
    ((NmCacheWaiter *) g_task_get_task_data (l->data))->flight = NULL;

  if (value != NULL)
    {
      if (!flight->stale && !flight->abandoned)
        {
          _nm_async_cache_store_locked (self, g_steal_pointer (&flight->key), flight->hash,
                                        to_store, weight, flight->ttl, FALSE, &drops);
          stored = TRUE;
        }
    }
  else if (!flight->abandoned)
    {
      self->stats.load_failures++;
      _nm_async_cache_changed_locked (self);

      /* A failed refresh keeps the value it was refreshing. */
      if (!flight->refresh && !flight->stale && self->negative_ttl > 0)
        _nm_async_cache_store_locked (self, g_steal_pointer (&flight->key), flight->hash,
                                      g_error_copy (error), 1, self->negative_ttl, TRUE, &drops);
    }

  _nm_async_cache_unlock (self);

  /* Waiters are told after the flight left the table: a retry from a
   * callback starts a new load. */
  while (!g_queue_is_empty (&waiters))
    {
      GList *link = waiters.head;
      GTask *task = link->data;

      g_queue_unlink (&waiters, link);
      complete_waiter (self, task, value, error);
      g_object_unref (task);
    }

  if (value != NULL && self->value_free != NULL)
    {
      /* Without a copy function the stored value is the loaded one. */
      if (self->value_copy != NULL)
        {
          self->value_free (value);
          if (!stored)
            self->value_free (to_store);
        }
      else if (!stored)
        self->value_free (value);
    }

  _nm_async_cache_flush_drops (self, &drops);
  flight_free (flight);
}

static gboolean
waiter_cancelled (GCancellable *cancellable,
                  gpointer      user_data)
{
  GTask *task = user_data;
  NmCacheWaiter *waiter = g_task_get_task_data (task);
  NmAsyncCache *self = g_task_get_source_object (task);
  GCancellable *abandon = NULL;
  NmCacheFlight *flight;

  _nm_async_cache_lock (self);
  flight = waiter->flight;
  if (flight == NULL)
    {
      /* The load finished first and owns the completion. */
      _nm_async_cache_unlock (self);
      return G_SOURCE_REMOVE;
    }

  g_queue_unlink (&flight->waiters, &waiter->link);
  waiter->flight = NULL;
  self->stats.cancelled_waiters++;

  /* The last waiter gone: abandon the load, so the next request starts
   * afresh instead of joining a load about to be cancelled. A refresh
   * keeps running; nobody asked it to stop. */
  if (g_queue_is_empty (&flight->waiters) && !flight->refresh && !flight->abandoned)
    {
      flight->abandoned = TRUE;
      flight_detach_locked (self, flight);
      self->stats.abandoned_loads++;
      abandon = g_object_ref (flight->cancellable);
    }
  _nm_async_cache_changed_locked (self);
  _nm_async_cache_unlock (self);

  if (abandon != NULL)
    {
      g_cancellable_cancel (abandon);
      g_object_unref (abandon);
    }

  /* This source is being dispatched; returning REMOVE destroys it. */
  g_clear_pointer (&waiter->cancel_source, g_source_unref);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);   /* the flight's reference */

  return G_SOURCE_REMOVE;
}

/* ---- starting loads ---------------------------------------------------------- */

static void
compute_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  NmCacheFlight *flight = task_data;
  NmAsyncCacheComputeFunc compute;
  GError *error = NULL;
  gpointer value;

  nm_sanitizer_handoff_acquire (flight);
  compute = (NmAsyncCacheComputeFunc) flight->loader->func;
  value = compute (flight->cache, flight->key, cancellable, flight->loader->data, &error);
  if (error != NULL)
    {
      if (value != NULL && flight->cache->value_free != NULL)
        flight->cache->value_free (value);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, value, flight->cache->value_free);
  nm_sanitizer_handoff_release (flight);
}

/* Runs the loader, without the lock. The flight is alive until load_done. */
static void
flight_start (NmAsyncCache  *self,
              NmCacheFlight *flight)
{
  GTask *task = g_task_new (self, flight->cancellable, load_done, flight);

  g_task_set_source_tag (task, flight_start);
  g_task_set_name (task, "[nebula] NmAsyncCache load");
  /* An abandoned load's result is dropped whatever it is; let the loader's
   * own result through so a late value still reaches a refresh. */
  g_task_set_check_cancellable (task, FALSE);
  g_object_set_data (G_OBJECT (task), FLIGHT_DATA_KEY, flight);
  flight->load_task = g_object_ref (task);

  if (flight->loader->kind == LOADER_THREAD)
    {
      g_task_set_task_data (task, flight, NULL);
      nm_sanitizer_handoff_release (flight);
      g_task_run_in_thread (task, compute_in_thread);
    }
  else
    {
      NmAsyncCacheLoadFunc load = (NmAsyncCacheLoadFunc) flight->loader->func;

      load (self, flight->key, task, flight->loader->data);
    }

  g_object_unref (task);
}

static void
request (NmAsyncCache        *self,
         gconstpointer        key,
         NmCacheLoader       *loader,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data,
         gpointer             source_tag)
{
  NmCacheDrops drops;
  g_autoptr(GTask) task = NULL;
  NmCacheFlight *start = NULL;
  NmCacheFlight *flight;
  gpointer value = NULL;
  GError *error = NULL;
  NmCacheSlot *slot;
  guint32 hash;

  _nm_cache_drops_init (&drops);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_name (task, "[nebula] NmAsyncCache request");

  if (g_task_return_error_if_cancelled (task))
    {
      loader_unref (loader);
      return;
    }

  hash = self->key_hash (key);
  _nm_cache_store_prefetch (&self->store, hash);

  _nm_async_cache_lock (self);

  slot = _nm_cache_store_find (&self->store, key, hash, self->key_equal);
  if (slot != NULL)
    {
      gint64 now = _nm_async_cache_now_locked (self);

      if (slot->expire_at != G_MAXINT64 && slot->expire_at <= now)
        _nm_async_cache_drop_locked (self, slot->idx, NM_ASYNC_CACHE_EVICTION_EXPIRED, &drops);
      else
        {
          _nm_cache_slot_touch (slot);
          self->stats.hits++;
          _nm_async_cache_changed_locked (self);

          if (slot->tag & NM_CACHE_NEGATIVE)
            error = g_error_copy (slot->value);
          else
            value = _nm_async_cache_copy_value (self, slot->value);

          if (_nm_cache_store_refresh_at (&self->store, slot->idx) <= now &&
              !g_hash_table_contains (self->flights, key))
            start = flight_new_locked (self, key, hash, loader, TRUE);

          _nm_async_cache_unlock (self);

          _nm_async_cache_flush_drops (self, &drops);
          if (start != NULL)
            flight_start (self, start);
          loader_unref (loader);

          if (error != NULL)
            g_task_return_error (task, error);
          else
            g_task_return_pointer (task, value, self->value_copy != NULL ? self->value_free : NULL);
          return;
        }
    }

  self->stats.misses++;
  flight = g_hash_table_lookup (self->flights, key);
  if (flight != NULL)
    {
      self->stats.joined++;
      _nm_async_cache_changed_locked (self);
    }
  else
    flight = start = flight_new_locked (self, key, hash, loader, FALSE);

  {
    NmCacheWaiter *waiter = g_new0 (NmCacheWaiter, 1);

    waiter->flight = flight;
    waiter->link.data = g_object_ref (task);   /* the flight's reference */
    g_task_set_task_data (task, waiter, waiter_free);
    g_queue_push_tail_link (&flight->waiters, &waiter->link);

    /* Attached under the lock, so a load completing at once finds the
     * source to destroy. The source runs in the waiter's own context. */
    if (cancellable != NULL)
      {
        waiter->cancel_source = g_cancellable_source_new (cancellable);
        g_source_set_callback (waiter->cancel_source, G_SOURCE_FUNC (waiter_cancelled),
                               g_object_ref (task), g_object_unref);
        g_source_set_static_name (waiter->cancel_source, "[nebula] NmAsyncCache waiter cancelled");
        g_source_attach (waiter->cancel_source, g_task_get_context (task));
      }
  }

  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);
  if (start != NULL)
    flight_start (self, start);
  loader_unref (loader);
}

/**
 * nm_async_cache_get_or_compute_async:
 * @self: an #NmAsyncCache
 * @key: (type utf8): the key
 * @load_func: (scope notified) (closure load_data) (destroy load_data_destroy):
 *   loads the value when the cache has none and no load is in flight
 * @load_data: data for @load_func
 * @load_data_destroy: (nullable): frees @load_data once the cache no longer
 *   needs it
 * @cancellable: (nullable): cancels this request only
 * @callback: (scope async): called with the value or the error, in the
 *   caller's thread-default main context
 * @user_data: data for @callback
 *
 * Gets the value of @key: from the cache at once (still through @callback)
 * when it holds one, otherwise by joining the load in flight for @key or by
 * starting @load_func. Cancelling @cancellable completes this request only,
 * with %G_IO_ERROR_CANCELLED; the load is cancelled when no request is left
 * waiting for it.
 *
 * Since: 1.0
 */
void
nm_async_cache_get_or_compute_async (NmAsyncCache         *self,
                                     gconstpointer         key,
                                     NmAsyncCacheLoadFunc  load_func,
                                     gpointer              load_data,
                                     GDestroyNotify        load_data_destroy,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data)
{
  g_return_if_fail (NM_IS_ASYNC_CACHE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (load_func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  request (self, key, loader_new (LOADER_ASYNC, load_func, load_data, load_data_destroy),
           cancellable, callback, user_data, nm_async_cache_get_or_compute_async);
}

/**
 * nm_async_cache_get_or_compute_in_thread_async: (skip)
 * @self: an #NmAsyncCache
 * @key: the key
 * @compute_func: computes the value on a worker thread
 * @compute_data: data for @compute_func
 * @compute_data_destroy: (nullable): frees @compute_data once the cache no
 *   longer needs it
 * @cancellable: (nullable): cancels this request only
 * @callback: called with the value or the error, in the caller's
 *   thread-default main context
 * @user_data: data for @callback
 *
 * Like nm_async_cache_get_or_compute_async(), with a blocking function run
 * with g_task_run_in_thread() as the loader. Finish with
 * nm_async_cache_get_or_compute_finish().
 *
 * Since: 1.0
 */
void
nm_async_cache_get_or_compute_in_thread_async (NmAsyncCache            *self,
                                               gconstpointer            key,
                                               NmAsyncCacheComputeFunc  compute_func,
                                               gpointer                 compute_data,
                                               GDestroyNotify           compute_data_destroy,
                                               GCancellable            *cancellable,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data)
{
  g_return_if_fail (NM_IS_ASYNC_CACHE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (compute_func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  request (self, key, loader_new (LOADER_THREAD, compute_func, compute_data, compute_data_destroy),
           cancellable, callback, user_data, nm_async_cache_get_or_compute_async);
}

/**
 * nm_async_cache_load_set_ttl:
 * @load: the task an #NmAsyncCacheLoadFunc was given
 * @ttl: time to live of the value it loads, in microseconds, 0 for the
 *   cache's #NmAsyncCache:ttl, or %NM_ASYNC_CACHE_TTL_FOREVER
 *
 * Gives the value a loader is about to return its own time to live, for
 * values that say how long they stay valid (an HTTP max-age, a lease).
 * Call it before completing @load.
 *
 * Since: 1.0
 */
void
nm_async_cache_load_set_ttl (GTask     *load,
                             GTimeSpan  ttl)
{
  NmCacheFlight *flight;

  g_return_if_fail (G_IS_TASK (load));
  g_return_if_fail (ttl >= 0 || ttl == NM_ASYNC_CACHE_TTL_FOREVER);

  flight = g_object_get_data (G_OBJECT (load), FLIGHT_DATA_KEY);
  g_return_if_fail (flight != NULL);

  _nm_async_cache_lock (flight->cache);
  flight->ttl = ttl;
  _nm_async_cache_unlock (flight->cache);
}

/**
 * nm_async_cache_get_or_compute_finish:
 * @self: an #NmAsyncCache
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes nm_async_cache_get_or_compute_async() or
 * nm_async_cache_get_or_compute_in_thread_async().
 *
 * Returns: (type GValue) (transfer full): a copy of the value (a #GValue
 *   for caches made by nm_async_cache_new()), or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
nm_async_cache_get_or_compute_finish (NmAsyncCache  *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == nm_async_cache_get_or_compute_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
