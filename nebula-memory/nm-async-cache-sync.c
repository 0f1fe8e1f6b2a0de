/* nm-async-cache-sync.c: lookup, insert, invalidate, clear and trim
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The synchronous side of the cache: each call takes the lock once, works
 * on the store, and announces and frees what it removed after unlocking.
 */

#include "config.h"

#include "nm-async-cache-private.h"

/**
 * nm_async_cache_lookup:
 * @self: an #NmAsyncCache
 * @key: (type utf8): the key
 *
 * Looks @key up without loading anything. Expired entries are never
 * returned. Hot path: one lock, one hash, one probe sequence and the value
 * copy function.
 *
 * Returns: (type GValue) (transfer full) (nullable): a copy of the value,
 *   or %NULL when the cache holds none for @key
 *
 * Since: 1.0
 */
gpointer
nm_async_cache_lookup (NmAsyncCache  *self,
                       gconstpointer  key)
{
  NmCacheDrops drops;
  NmCacheSlot *slot;
  gpointer value = NULL;
  guint32 hash;

  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  _nm_cache_drops_init (&drops);
  hash = self->key_hash (key);
  _nm_cache_store_prefetch (&self->store, hash);

  _nm_async_cache_lock (self);
  slot = _nm_cache_store_find (&self->store, key, hash, self->key_equal);
  if (slot != NULL)
    {
      if (slot->expire_at != G_MAXINT64 && slot->expire_at <= _nm_async_cache_now_locked (self))
        _nm_async_cache_drop_locked (self, slot->idx, NM_ASYNC_CACHE_EVICTION_EXPIRED, &drops);
      else if (!(slot->tag & NM_CACHE_NEGATIVE))
        {
          _nm_cache_slot_touch (slot);
          value = _nm_async_cache_copy_value (self, slot->value);
        }
    }
  if (value != NULL)
    self->stats.hits++;
  else
    self->stats.misses++;
  _nm_async_cache_changed_locked (self);
  _nm_async_cache_unlock (self);

  if (G_UNLIKELY (drops.len > 0))
    _nm_async_cache_flush_drops (self, &drops);

  return value;
}

/**
 * nm_async_cache_insert:
 * @self: an #NmAsyncCache
 * @key: (type utf8): the key
 * @value: (type GValue): the value, not %NULL
 *
 * Stores a copy of @value for @key with the cache's #NmAsyncCache:ttl,
 * replacing any value held. A load in flight for @key still completes its
 * waiters but no longer stores its result.
 *
 * Since: 1.0
 */
void
nm_async_cache_insert (NmAsyncCache  *self,
                       gconstpointer  key,
                       gconstpointer  value)
{
  nm_async_cache_insert_with_ttl (self, key, value, 0);
}

/**
 * nm_async_cache_insert_with_ttl:
 * @self: an #NmAsyncCache
 * @key: (type utf8): the key
 * @value: (type GValue): the value, not %NULL
 * @ttl: time to live in microseconds, 0 for #NmAsyncCache:ttl, or
 *   %NM_ASYNC_CACHE_TTL_FOREVER
 *
 * Like nm_async_cache_insert(), with a time to live for this entry.
 *
 * Since: 1.0
 */
void
nm_async_cache_insert_with_ttl (NmAsyncCache  *self,
                                gconstpointer  key,
                                gconstpointer  value,
                                GTimeSpan      ttl)
{
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);
  gpointer key_copy, value_copy;
  guint64 weight;
  guint32 hash;

  g_return_if_fail (NM_IS_ASYNC_CACHE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (ttl >= 0 || ttl == NM_ASYNC_CACHE_TTL_FOREVER);

  hash = self->key_hash (key);
  key_copy = self->key_copy != NULL ? self->key_copy ((gpointer) key) : (gpointer) key;
  value_copy = _nm_async_cache_copy_value (self, (gpointer) value);
  weight = _nm_async_cache_weigh (self, key_copy, value_copy);

  _nm_async_cache_lock (self);
  _nm_async_cache_detach_flight_locked (self, key);
  _nm_async_cache_store_locked (self, key_copy, hash, value_copy, weight, ttl, FALSE, &drops);
  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);
}

/**
 * nm_async_cache_invalidate:
 * @self: an #NmAsyncCache
 * @key: (type utf8): the key
 *
 * Removes the entry for @key, announced with
 * %NM_ASYNC_CACHE_EVICTION_INVALIDATED. A load in flight for @key still
 * completes its waiters but stores nothing, and the next request starts a
 * new load.
 *
 * Returns: %TRUE when an entry was removed
 *
 * Since: 1.0
 */
gboolean
nm_async_cache_invalidate (NmAsyncCache  *self,
                           gconstpointer  key)
{
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);
  NmCacheSlot *slot;
  guint32 hash;

  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  hash = self->key_hash (key);

  _nm_async_cache_lock (self);
  _nm_async_cache_detach_flight_locked (self, key);
  slot = _nm_cache_store_find (&self->store, key, hash, self->key_equal);
  if (slot != NULL)
    {
      _nm_async_cache_drop_locked (self, slot->idx, NM_ASYNC_CACHE_EVICTION_INVALIDATED, &drops);
      _nm_async_cache_arm_expiry_locked (self);
    }
  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);

  return slot != NULL;
}

/**
 * nm_async_cache_clear:
 * @self: an #NmAsyncCache
 *
 * Removes every entry, announced with %NM_ASYNC_CACHE_EVICTION_INVALIDATED.
 * Loads in flight complete their waiters but store nothing.
 *
 * Since: 1.0
 */
void
nm_async_cache_clear (NmAsyncCache *self)
{
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);

  g_return_if_fail (NM_IS_ASYNC_CACHE (self));

  _nm_async_cache_lock (self);
  _nm_async_cache_detach_all_flights_locked (self);
  while (self->store.n_used > 0)
    _nm_async_cache_drop_locked (self, _nm_cache_store_any (&self->store),
                                 NM_ASYNC_CACHE_EVICTION_INVALIDATED, &drops);
  _nm_async_cache_arm_expiry_locked (self);
  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);
}

/**
 * nm_async_cache_trim:
 * @self: an #NmAsyncCache
 * @level: how hard the system is pressed for memory
 *
 * Gives memory back under pressure, dropping entries in eviction order
 * with %NM_ASYNC_CACHE_EVICTION_MEMORY_PRESSURE: a quarter of them at
 * %G_MEMORY_MONITOR_WARNING_LEVEL_LOW, half at
 * %G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM and all at
 * %G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL.
 *
 * Returns: the number of entries dropped
 *
 * Since: 1.0
 */
guint
nm_async_cache_trim (NmAsyncCache               *self,
                     GMemoryMonitorWarningLevel  level)
{
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);
  guint32 keep;
  guint n = 0;

  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), 0);

  _nm_async_cache_lock (self);
  if (level >= G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL)
    keep = 0;
  else if (level >= G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM)
    keep = self->store.n_used / 2;
  else
    keep = self->store.n_used - self->store.n_used / 4;

  while (self->store.n_used > keep)
    {
      _nm_async_cache_drop_locked (self, _nm_cache_store_victim (&self->store),
                                   NM_ASYNC_CACHE_EVICTION_MEMORY_PRESSURE, &drops);
      n++;
    }
  _nm_async_cache_arm_expiry_locked (self);
  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);

  return n;
}

static guint64
trim_for_pressure (GObject               *target,
                   NmMemoryPressureLevel  level,
                   gpointer               user_data)
{
  NmAsyncCache *self = NM_ASYNC_CACHE (target);
  GMemoryMonitorWarningLevel warning;
  gsize before, after;

  switch (level)
    {
    case NM_MEMORY_PRESSURE_LEVEL_LOW:    warning = G_MEMORY_MONITOR_WARNING_LEVEL_LOW; break;
    case NM_MEMORY_PRESSURE_LEVEL_MEDIUM: warning = G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM; break;
    default:                              warning = G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL; break;
    }

  before = _nm_async_cache_get_bytes (self);
  nm_async_cache_trim (self, warning);
  after = _nm_async_cache_get_bytes (self);

  /* Only the cache's own arrays are known; they shrink when it empties. */
  return before > after ? before - after : 0;
}

/**
 * nm_async_cache_follow_memory_pressure:
 * @self: an #NmAsyncCache
 * @pressure: the #NmMemoryPressure to follow, such as
 *   nm_memory_pressure_get_default()
 *
 * Registers @self as a target of @pressure, which then trims it as
 * nm_async_cache_trim() does: a quarter of the entries at
 * %NM_MEMORY_PRESSURE_LEVEL_LOW, half at %NM_MEMORY_PRESSURE_LEVEL_MEDIUM,
 * all at %NM_MEMORY_PRESSURE_LEVEL_CRITICAL. @pressure holds @self weakly.
 *
 * Returns: the target id, for nm_memory_pressure_remove_target()
 *
 * Since: 1.0
 */
guint
nm_async_cache_follow_memory_pressure (NmAsyncCache     *self,
                                       NmMemoryPressure *pressure)
{
  g_return_val_if_fail (NM_IS_ASYNC_CACHE (self), 0);
  g_return_val_if_fail (NM_IS_MEMORY_PRESSURE (pressure), 0);

  return nm_memory_pressure_add_target (pressure, G_OBJECT (self), trim_for_pressure, NULL, NULL);
}
