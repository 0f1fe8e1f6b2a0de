/* nm-memory-budget-private.h: charging budgets from inside the library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The backing-memory layer (nm-backing.c) charges an allocator's budget
 * when it takes memory from the system and uncharges it when it gives the
 * memory back; nothing else charges on an allocator's behalf. A charge
 * walks from the budget to the root with one compare-and-swap per level
 * and rolls back the levels it charged when a level refuses, so no limit
 * is ever passed, not even for an instant between threads. It takes no
 * lock and allocates nothing: events it causes (high crossed, used and
 * peak changed) are delivered afterwards, see nm-memory-budget.c.
 */

#pragma once

#include "nm-notifier-private.h"

#include "nm-memory-budget.h"
#include "nm-error-private.h"

G_BEGIN_DECLS

/* Files: nm-memory-budget.c (the type, construction, properties, signals),
 * nm-memory-budget-charge.c (charging and the delivery of what it causes),
 * nm-memory-budget-tree.c (description, attached allocators, registry). */
struct _NmMemoryBudget
{
  GObject          parent_instance;

  /* Set at construction, never changed. */
  char            *name;
  char            *path;
  NmMemoryBudget  *parent;          /* a reference */
  guint64          limit;
  guint64          high;            /* 0: none */
  guint64          rearm;           /* high - high / 8: below it, high is armed again */
  guint64          max_request;     /* 0: none */
  GMainContext    *context;         /* where events are delivered */
  GThread         *thread;          /* emits high-crossed synchronously */
  NmNotifier      *notifier;        /* on context; delivers the rest */
  GWeakRef        *in_parent;       /* our entry in parent->children */

  /* Updated atomically, without a lock. Invariants: used <= limit at
   * every instant; used >= the sum of the children's used once no charge
   * is in flight (a charge reaches the child before the parent). */
  guint64          used;
  guint64          peak;
  guint64          n_high;
  guint64          n_refused;
  gint             high_armed;      /* 1: the next crossing signals */
  gint             undelivered_high;/* crossings not signalled yet */

  /* Guarded by lock. */
  GMutex           lock;
  GPtrArray       *children;        /* GWeakRef *, owned by each child */
  GArray          *allocators;      /* NmBudgetAttached */

  /* Read and written by the delivering thread only. */
  guint64          notified_used;
  guint64          notified_peak;
};

/* An allocator attached to a budget, as nm_memory_budget_describe() shows it. */
typedef struct
{
  char * const  *name;
  const guint64 *bytes;
} NmBudgetAttached;

static inline guint64
_nm_budget_load (const guint64 *p)
{
  return __atomic_load_n (p, __ATOMIC_RELAXED);
}

static inline void
_nm_budget_inc (guint64 *p)
{
  __atomic_fetch_add (p, 1, __ATOMIC_RELAXED);
}

/* nm-memory-budget.c: emits high-crossed once per crossing recorded. */
void     _nm_memory_budget_emit_high_crossed (NmMemoryBudget *self);
/* nm-memory-budget.c: notifies used and peak when they differ from the
 * values last notified. On the budget's main context only. */
void     _nm_memory_budget_notify_usage      (NmMemoryBudget *self);

/* nm-memory-budget-charge.c: the source that delivers events on the main
 * context, attached at construction, destroyed at finalization. */
void     _nm_memory_budget_attach_source     (NmMemoryBudget *self);
void     _nm_memory_budget_destroy_source    (NmMemoryBudget *self);

/* Charges @bytes to @self and every ancestor. FALSE when a level would
 * pass its limit: nothing is charged then, the refusing level counts the
 * refusal and is returned in @refused_by (transfer none; it lives as long
 * as @self, which holds a reference on its parent). */
gboolean _nm_memory_budget_try_charge  (NmMemoryBudget  *self,
                                        guint64          bytes,
                                        NmMemoryBudget **refused_by);
/* Gives back @bytes charged with _nm_memory_budget_try_charge(). */
void     _nm_memory_budget_uncharge    (NmMemoryBudget  *self,
                                        guint64          bytes);

/* The smallest max-request on the path from @self to the root, 0 when no
 * level caps single requests; @owner (optional) is the level that sets it. */
guint64  _nm_memory_budget_get_request_cap (NmMemoryBudget  *self,
                                            NmMemoryBudget **owner);

/* Counts a refusal that was not a charge (a request above the cap). */
void     _nm_memory_budget_count_refusal (NmMemoryBudget *self);

/* Fills @refusal (whose path points into @refused_by) for a request of
 * @bytes that @refused_by refused; @per_request for its max-request. */
void     _nm_memory_budget_describe_refusal (NmMemoryBudget  *refused_by,
                                             guint64          bytes,
                                             gboolean         per_request,
                                             NmBudgetRefusal *refusal);

/* Attached allocators, for nm_memory_budget_describe(): @name points at the
 * allocator's name (read while attached), @bytes at its count of backing
 * bytes. @name is the key for detaching. */
void     _nm_memory_budget_attach      (NmMemoryBudget     *self,
                                        char * const       *name,
                                        const guint64      *bytes);
void     _nm_memory_budget_detach      (NmMemoryBudget     *self,
                                        char * const       *name);

G_END_DECLS
