/* nm-async-cache-entries.c: storing, dropping and expiring entries
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Everything here runs under the cache's lock. Time is the cache's clock
 * (g_get_monotonic_time() unless a test replaced it); deadlines live in the
 * store's min-heap, and one GSource on the cache's context is armed for the
 * earliest of them.
 */

#include "config.h"

#include "nm-async-cache-private.h"

gint64
_nm_async_cache_monotonic_clock (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static gboolean
expiry_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs expiry_funcs = {
  .dispatch = expiry_dispatch,
};

static gboolean
expiry_fired (gpointer data)
{
  g_autoptr(NmAsyncCache) self = g_weak_ref_get (data);

  if (self != NULL)
    _nm_async_cache_expire (self);

  return G_SOURCE_CONTINUE;
}

/* Arms the one expiry source for the earliest deadline, when it moved. */
void
_nm_async_cache_arm_expiry_locked (NmAsyncCache *self)
{
  guint32 idx = _nm_cache_store_earliest (&self->store);
  gint64 deadline = idx == NM_CACHE_NIL ? G_MAXINT64 : _nm_cache_store_slot (&self->store, idx)->expire_at;
  gint64 delay;

  if (deadline == self->armed_deadline)
    return;
  self->armed_deadline = deadline;

  if (self->expiry_source == NULL)
    {
      GWeakRef *ref;

      if (deadline == G_MAXINT64)
        return;

      ref = g_new0 (GWeakRef, 1);
      g_weak_ref_init (ref, self);
      self->expiry_source = g_source_new (&expiry_funcs, sizeof (GSource));
      g_source_set_callback (self->expiry_source, expiry_fired, ref, _nm_async_cache_weak_ref_free);
      g_source_set_static_name (self->expiry_source, "[nebula] NmAsyncCache expiry");
      g_source_set_ready_time (self->expiry_source, -1);
      g_source_attach (self->expiry_source, self->context);
    }

  if (deadline == G_MAXINT64)
    {
      g_source_set_ready_time (self->expiry_source, -1);
      return;
    }

  /* Deadlines are on the cache's clock; the source runs on the monotonic
   * one. */
  delay = deadline - _nm_async_cache_now_locked (self);
  g_source_set_ready_time (self->expiry_source, g_get_monotonic_time () + MAX (delay, 0));
}

/* ---- entries -------------------------------------------------------------- */

gint64
_nm_async_cache_now_locked (NmAsyncCache *self)
{
  return self->clock (self->clock_data);
}

guint64
_nm_async_cache_weigh (NmAsyncCache *self,
                       gconstpointer key,
                       gconstpointer value)
{
  guint64 weight;

  if (self->weigher == NULL)
    return 1;

  weight = self->weigher (self, key, value, self->weigher_data);
  return CLAMP (weight, 1, G_MAXUINT32);
}

static gboolean
over_capacity (NmAsyncCache *self)
{
  if (self->weigher != NULL)
    return self->store.weight > self->capacity;

  return self->store.n_used > self->capacity;
}

void
_nm_async_cache_drop_locked (NmAsyncCache               *self,
                             guint32                     idx,
                             NmAsyncCacheEvictionReason  reason,
                             NmCacheDrops               *drops)
{
  NmCacheSlot *slot = _nm_cache_store_slot (&self->store, idx);
  NmCacheDrop drop = { slot->key, slot->value, reason, (slot->tag & NM_CACHE_NEGATIVE) != 0 };

  _nm_cache_drops_push (drops, &drop);
  _nm_cache_store_remove (&self->store, idx);

  if (reason == NM_ASYNC_CACHE_EVICTION_EXPIRED)
    self->stats.expirations++;
  else if (reason == NM_ASYNC_CACHE_EVICTION_SIZE ||
           reason == NM_ASYNC_CACHE_EVICTION_MEMORY_PRESSURE)
    self->stats.evictions++;

  _nm_async_cache_changed_locked (self);
}

void
_nm_async_cache_evict_to_capacity_locked (NmAsyncCache *self,
                          NmCacheDrops *drops)
{
  while (over_capacity (self))
    _nm_async_cache_drop_locked (self, _nm_cache_store_victim (&self->store),
                                 NM_ASYNC_CACHE_EVICTION_SIZE, drops);
}

/* Stores @key (owned) → @value (owned), replacing any entry for @key.
 * @ttl: 0 for the cache's default, NM_ASYNC_CACHE_TTL_FOREVER, or µs. */
void
_nm_async_cache_store_locked (NmAsyncCache *self,
                              gpointer      key,
                              guint32       hash,
                              gpointer      value,
                              guint64       weight,
                              GTimeSpan     ttl,
                              gboolean      negative,
                              NmCacheDrops *drops)
{
  NmCacheSlot *slot = _nm_cache_store_find (&self->store, key, hash, self->key_equal);
  gint64 now = _nm_async_cache_now_locked (self);
  guint32 idx;

  if (ttl == 0)
    ttl = self->ttl;

  if (slot != NULL)
    {
      NmCacheDrop drop = { key, slot->value, NM_ASYNC_CACHE_EVICTION_REPLACED,
                           (slot->tag & NM_CACHE_NEGATIVE) != 0 };

      _nm_cache_drops_push (drops, &drop);     /* the old value, and the duplicate key */
      idx = slot->idx;
    }
  else
    {
      gboolean by_weight = self->weigher != NULL;

      /* Heavier than the whole cache: storing it would only flush the
       * rest. */
      if (by_weight ? weight > self->capacity : self->capacity == 0)
        {
          NmCacheDrop drop = { key, value, NM_ASYNC_CACHE_EVICTION_SIZE, negative };

          _nm_cache_drops_push (drops, &drop);
          self->stats.evictions++;
          _nm_async_cache_changed_locked (self);
          return;
        }

      /* Make room first, so the hand never picks the newcomer. */
      while (self->store.n_used > 0 &&
             (by_weight ? self->store.weight + weight > self->capacity
                        : self->store.n_used + 1 > self->capacity))
        _nm_async_cache_drop_locked (self, _nm_cache_store_victim (&self->store),
                                     NM_ASYNC_CACHE_EVICTION_SIZE, drops);

      idx = _nm_cache_store_add (&self->store, hash, key);
    }

  slot = _nm_cache_store_slot (&self->store, idx);
  slot->value = value;
  slot->tag &= ~(NM_CACHE_VISITED | NM_CACHE_NEGATIVE);
  if (negative)
    slot->tag |= NM_CACHE_NEGATIVE;
  _nm_cache_store_set_weight (&self->store, idx, (guint32) weight);
  _nm_cache_store_set_refresh (&self->store, idx,
                               (!negative && self->refresh_after > 0) ? now + self->refresh_after : G_MAXINT64);
  _nm_cache_store_set_deadline (&self->store, idx, ttl > 0 ? now + ttl : G_MAXINT64);

  _nm_async_cache_evict_to_capacity_locked (self, drops);
  _nm_async_cache_arm_expiry_locked (self);
  _nm_async_cache_changed_locked (self);
}

/**
 * _nm_async_cache_expire:
 * @self: an #NmAsyncCache
 *
 * Drops every entry whose deadline passed, earliest first, as the expiry
 * source does.
 *
 * Returns: the number of entries dropped
 */
guint
_nm_async_cache_expire (NmAsyncCache *self)
{
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);
  guint n = 0;
  gint64 now;

  _nm_async_cache_lock (self);
  now = _nm_async_cache_now_locked (self);
  for (;;)
    {
      guint32 idx = _nm_cache_store_earliest (&self->store);

      if (idx == NM_CACHE_NIL || _nm_cache_store_slot (&self->store, idx)->expire_at > now)
        break;
      _nm_async_cache_drop_locked (self, idx, NM_ASYNC_CACHE_EVICTION_EXPIRED, &drops);
      n++;
    }
  self->armed_deadline = G_MININT64;   /* the source disarmed itself */
  _nm_async_cache_arm_expiry_locked (self);
  _nm_async_cache_unlock (self);

  _nm_async_cache_flush_drops (self, &drops);

  return n;
}

void
_nm_async_cache_set_clock (NmAsyncCache          *self,
                           NmAsyncCacheClockFunc  clock,
                           gpointer               user_data)
{
  _nm_async_cache_lock (self);
  self->clock = clock != NULL ? clock : _nm_async_cache_monotonic_clock;
  self->clock_data = user_data;
  _nm_async_cache_unlock (self);
}

gsize
_nm_async_cache_get_bytes (NmAsyncCache *self)
{
  gsize bytes;

  _nm_async_cache_lock (self);
  bytes = _nm_cache_store_bytes (&self->store);
  _nm_async_cache_unlock (self);

  return bytes;
}
