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

#include "nm-memory-budget.h"
#include "nm-error-private.h"

G_BEGIN_DECLS

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
