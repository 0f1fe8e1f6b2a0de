/* nm-async-cache-events.c: batched notifications and eviction delivery
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Nothing here runs user code under the cache's lock: entries taken out
 * are collected under it (NmCacheDrops) and announced and freed after it;
 * property notifications are batched by a notifier on the cache's context.
 */

#include "config.h"

#include <string.h>

#include "nm-async-cache-private.h"
#include "nm-notifier-private.h"

static void
deliver_stats (GObject  *object,
               gpointer  data)
{
  NmAsyncCache *self = (NmAsyncCache *) object;
  NmAsyncCacheStats now, before;

  _nm_async_cache_lock (self);
  /* Cleared before reading: a change after this unlock queues another
   * delivery. */
  self->stats_queued = FALSE;
  now = self->stats;
  now.size = self->store.n_used;
  now.weight = self->store.weight;
  now.capacity = self->capacity;
  before = self->notified;
  self->notified = now;
  _nm_async_cache_unlock (self);

  _nm_async_cache_notify_stats (self, &before, &now);
}

void
_nm_async_cache_weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
schedule_idle_locked (NmAsyncCache *self,
                      GSourceFunc   func,
                      const char   *name)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);
  GSource *source = g_idle_source_new ();

  g_weak_ref_init (ref, self);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, ref, _nm_async_cache_weak_ref_free);
  g_source_set_static_name (source, name);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Statistics changed and no delivery is pending: notify once, on the
 * cache's context, in a later iteration, through the notifier the
 * allocators and budgets use. */
void
_nm_async_cache_queue_stats_locked (NmAsyncCache *self)
{
  self->stats_queued = TRUE;
  if (G_UNLIKELY (self->notifier == NULL))
    self->notifier = _nm_notifier_new (G_OBJECT (self), self->context, deliver_stats, NULL,
                                       "[nebula] NmAsyncCache notify");
  _nm_notifier_wake (self->notifier);
}

void
_nm_cache_drops_push (NmCacheDrops      *drops,
            const NmCacheDrop *drop)
{
  if (drops->len == drops->alloc)
    {
      guint alloc = drops->alloc * 2;

      if (drops->items == drops->inline_items)
        {
          drops->items = g_new (NmCacheDrop, alloc);
          memcpy (drops->items, drops->inline_items, drops->len * sizeof (NmCacheDrop));
        }
      else
        drops->items = g_renew (NmCacheDrop, drops->items, alloc);
      drops->alloc = alloc;
    }

  drops->items[drops->len++] = *drop;
}

void
_nm_cache_drops_release (NmAsyncCache *self,
               NmCacheDrops *drops,
               gboolean      emit)
{
  for (guint i = 0; i < drops->len; i++)
    {
      NmCacheDrop *d = &drops->items[i];

      if (emit && !d->negative)
        _nm_async_cache_emit_evicted (self, d->key, d->value, (NmAsyncCacheEvictionReason) d->reason);

      if (self->key_free != NULL)
        self->key_free (d->key);
      if (d->negative)
        g_error_free (d->value);
      else if (self->value_free != NULL)
        self->value_free (d->value);
    }

  if (drops->items != drops->inline_items)
    g_free (drops->items);
  drops->items = drops->inline_items;
  drops->alloc = G_N_ELEMENTS (drops->inline_items);
  drops->len = 0;
}

static gboolean
drops_idle (gpointer data)
{
  g_autoptr(NmAsyncCache) self = g_weak_ref_get (data);
  NmCacheDrops drops = NM_CACHE_DROPS_INIT (drops);

  if (self == NULL)
    return G_SOURCE_REMOVE;

  _nm_async_cache_lock (self);
  for (guint i = 0; i < self->pending_drops.len; i++)
    _nm_cache_drops_push (&drops, &self->pending_drops.items[i]);
  self->pending_drops.len = 0;
  self->drops_scheduled = FALSE;
  _nm_async_cache_unlock (self);

  _nm_cache_drops_release (self, &drops, TRUE);

  return G_SOURCE_REMOVE;
}

/* Announces and frees what an operation took out of the cache, without the
 * lock. #NmAsyncCache::evicted is emitted with the cache's main context
 * acquired: at once when this thread can acquire it, otherwise from an idle
 * on that context. */
void
_nm_async_cache_flush_drops (NmAsyncCache *self,
                             NmCacheDrops *drops)
{
  if (drops->len == 0)
    return;

  if (!_nm_async_cache_has_evicted_handlers (self))
    {
      _nm_cache_drops_release (self, drops, FALSE);
      return;
    }

  if (g_main_context_acquire (self->context))
    {
      _nm_cache_drops_release (self, drops, TRUE);
      g_main_context_release (self->context);
      return;
    }

  _nm_async_cache_lock (self);
  for (guint i = 0; i < drops->len; i++)
    _nm_cache_drops_push (&self->pending_drops, &drops->items[i]);
  if (!self->drops_scheduled)
    {
      self->drops_scheduled = TRUE;
      schedule_idle_locked (self, drops_idle, "[nebula] NmAsyncCache evicted");
    }
  _nm_async_cache_unlock (self);

  drops->len = 0;
  _nm_cache_drops_release (self, drops, FALSE);
}
