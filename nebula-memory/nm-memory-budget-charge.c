/* nm-memory-budget-charge.c: charging a budget tree, and delivering what it causes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A charge walks from the budget to the root with one compare-and-swap per
 * level and rolls back the levels it charged when one refuses, so no limit
 * is ever passed. It takes no lock and allocates nothing: what it causes is
 * recorded in atomics and delivered by a source each budget keeps attached
 * to its main context (see "Notification policy" in nm-memory-budget.c).
 */

#include "config.h"

#include "nm-memory-budget-private.h"
#include "nm-notifier-private.h"

#define load64 _nm_budget_load
#define inc64  _nm_budget_inc

/* Delivery of events: see "Notification policy" in nm-memory-budget.c. */

static void
deliver (GObject  *object,
         gpointer  data)
{
  NmMemoryBudget *self = (NmMemoryBudget *) object;

  _nm_memory_budget_emit_high_crossed (self);
  _nm_memory_budget_notify_usage (self);
}

void
_nm_memory_budget_attach_source (NmMemoryBudget *self)
{
  self->notifier = _nm_notifier_new (G_OBJECT (self), self->context, deliver, NULL,
                                     "[nebula-memory] budget notification");
}

void
_nm_memory_budget_destroy_source (NmMemoryBudget *self)
{
  g_clear_pointer (&self->notifier, _nm_notifier_free);
}

/* Wakes the budget's notifier, once until it runs: see nm-notifier-private.h. */
static inline void
wake (NmMemoryBudget *level)
{
  _nm_notifier_wake (level->notifier);
}

/* After a charge or an uncharge of @self: high crossings are signalled now
 * on the budget's own thread; everything else goes to the source. */
static void
deliver_path (NmMemoryBudget *self)
{
  GThread *me = NULL;

  for (NmMemoryBudget *level = self; level != NULL; level = level->parent)
    {
      if (G_UNLIKELY (g_atomic_int_get (&level->undelivered_high)))
        {
          if (me == NULL)
            me = g_thread_self ();
          if (level->thread == me)
            _nm_memory_budget_emit_high_crossed (level);
          else
            wake (level);
        }
    }
}

/* Charging. The cost per level, uncontended: one compare-and-swap on used,
 * a read of the notifier's woken flag, and after the whole path succeeded a read of
 * used and peak (a compare-and-swap while the use grows past the peak):
 * a few nanoseconds per level, see the report of test-budget's charge-cost. */

static inline void
crossed_high (NmMemoryBudget *level)
{
  if (g_atomic_int_get (&level->high_armed) &&
      g_atomic_int_compare_and_exchange (&level->high_armed, 1, 0))
    {
      inc64 (&level->n_high);
      g_atomic_int_inc (&level->undelivered_high);
    }
}

static inline void
charged (NmMemoryBudget *level,
         guint64         new_used)
{
  if (level->high != 0 && new_used >= level->high)
    crossed_high (level);

  wake (level);
}

/* After the whole path was charged: a charge that was rolled back never
 * counts in a peak. */
static inline void
raise_peaks (NmMemoryBudget *self)
{
  for (NmMemoryBudget *level = self; level != NULL; level = level->parent)
    {
      guint64 used = load64 (&level->used);
      guint64 peak = load64 (&level->peak);

      while (used > peak &&
             !__atomic_compare_exchange_n (&level->peak, &peak, used, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    }
}

/* Takes @bytes off every level from @self up to, not including, @stop. */
static void
uncharge_levels (NmMemoryBudget *self,
                 NmMemoryBudget *stop,
                 guint64         bytes)
{
  for (NmMemoryBudget *level = self; level != stop; level = level->parent)
    {
      guint64 old = load64 (&level->used);
      guint64 new_used;

      do
        {
          new_used = old - MIN (bytes, old);
        }
      while (!__atomic_compare_exchange_n (&level->used, &old, new_used, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED));

      /* Only a caller's mistake gets here; the ancestors then give back
       * what this level really had, so one critical says it all. */
      if (G_UNLIKELY (bytes > old))
        {
          if (level == self)
            g_critical ("Memory budget “%s”: %" G_GUINT64_FORMAT " bytes given back "
                        "but only %" G_GUINT64_FORMAT " charged; its use is set to 0.",
                        level->path, bytes, old);
          bytes = old;
        }

      if (level->high != 0 && new_used < level->rearm && !g_atomic_int_get (&level->high_armed))
        g_atomic_int_set (&level->high_armed, 1);

      wake (level);
    }
}

gboolean
_nm_memory_budget_try_charge (NmMemoryBudget  *self,
                              guint64          bytes,
                              NmMemoryBudget **refused_by)
{
  NmMemoryBudget *level;

  for (level = self; level != NULL; level = level->parent)
    {
      guint64 old = load64 (&level->used);
      guint64 new_used;

      do
        {
          /* used <= limit always holds, so this cannot wrap. */
          if (G_UNLIKELY (bytes > level->limit - old))
            goto refused;
          new_used = old + bytes;
        }
      while (!__atomic_compare_exchange_n (&level->used, &old, new_used, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED));

      charged (level, new_used);
      continue;

refused:
      /* A refusal that would have reached high warns too, before the
       * caller reports the refusal. */
      if (level->high != 0 && (old >= level->high || bytes >= level->high - old))
        crossed_high (level);
      inc64 (&level->n_refused);
      uncharge_levels (self, level, bytes);
      deliver_path (self);
      if (refused_by != NULL)
        *refused_by = level;
      return FALSE;
    }

  raise_peaks (self);
  deliver_path (self);
  return TRUE;
}

void
_nm_memory_budget_uncharge (NmMemoryBudget *self,
                            guint64         bytes)
{
  uncharge_levels (self, NULL, bytes);
  deliver_path (self);
}

guint64
_nm_memory_budget_get_request_cap (NmMemoryBudget  *self,
                                   NmMemoryBudget **owner)
{
  guint64 cap = 0;

  for (NmMemoryBudget *level = self; level != NULL; level = level->parent)
    {
      if (level->max_request != 0 && (cap == 0 || level->max_request < cap))
        {
          cap = level->max_request;
          if (owner != NULL)
            *owner = level;
        }
    }

  return cap;
}

void
_nm_memory_budget_count_refusal (NmMemoryBudget *self)
{
  inc64 (&self->n_refused);
}

void
_nm_memory_budget_describe_refusal (NmMemoryBudget  *refused_by,
                                    guint64          bytes,
                                    gboolean         per_request,
                                    NmBudgetRefusal *refusal)
{
  refusal->path = refused_by->path;
  refusal->limit = per_request ? refused_by->max_request : refused_by->limit;
  refusal->used = load64 (&refused_by->used);
  refusal->request = bytes;
  refusal->per_request = per_request;
}

