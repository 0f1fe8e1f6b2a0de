/* nm-memory-budget.h: a tree of named byte budgets
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib-object.h>

#include "nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NM_MEMORY_BUDGET_UNLIMITED:
 *
 * The #NmMemoryBudget:limit of a budget that only counts: it refuses
 * nothing itself, though its ancestors still may. The default limit.
 *
 * Since: 1.0
 */
#define NM_MEMORY_BUDGET_UNLIMITED G_MAXUINT64

/**
 * NM_MEMORY_BUDGET_MAX_LIMIT:
 *
 * The largest finite #NmMemoryBudget:limit (1 EiB). Larger values other
 * than %NM_MEMORY_BUDGET_UNLIMITED are refused as absurd: they are most
 * likely negative numbers converted to unsigned.
 *
 * Since: 1.0
 */
#define NM_MEMORY_BUDGET_MAX_LIMIT (G_GUINT64_CONSTANT (1) << 60)

/**
 * NM_TYPE_MEMORY_BUDGET:
 *
 * Evaluates to the #GType of #NmMemoryBudget.
 *
 * Since: 1.0
 */
#define NM_TYPE_MEMORY_BUDGET (nm_memory_budget_get_type ())

/**
 * NmMemoryBudget:
 *
 * A named byte budget in a tree of budgets.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmMemoryBudget, nm_memory_budget, NM, MEMORY_BUDGET, GObject)

NM_AVAILABLE_IN_1_0
NmMemoryBudget *nm_memory_budget_new             (const char      *name,
                                                  guint64          limit,
                                                  NmMemoryBudget  *parent);
NM_AVAILABLE_IN_1_0
NmMemoryBudget *nm_memory_budget_new_full        (const char      *name,
                                                  guint64          limit,
                                                  guint64          high,
                                                  guint64          max_request,
                                                  NmMemoryBudget  *parent);
NM_AVAILABLE_IN_1_0
const char     *nm_memory_budget_get_name        (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
const char     *nm_memory_budget_get_path        (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
NmMemoryBudget *nm_memory_budget_get_parent      (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
guint64         nm_memory_budget_get_limit       (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
guint64         nm_memory_budget_get_high        (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
guint64         nm_memory_budget_get_max_request (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
guint64         nm_memory_budget_get_used        (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
guint64         nm_memory_budget_get_peak        (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
guint64         nm_memory_budget_get_high_count  (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
guint64         nm_memory_budget_get_refused_count (NmMemoryBudget *self);

NM_AVAILABLE_IN_1_0
gboolean        nm_memory_budget_charge          (NmMemoryBudget  *self,
                                                  guint64          bytes,
                                                  GError         **error);
NM_AVAILABLE_IN_1_0
void            nm_memory_budget_uncharge        (NmMemoryBudget  *self,
                                                  guint64          bytes);

NM_AVAILABLE_IN_1_0
GVariant       *nm_memory_budget_describe        (NmMemoryBudget  *self);
NM_AVAILABLE_IN_1_0
char           *nm_memory_budget_to_string       (NmMemoryBudget  *self);

NM_AVAILABLE_IN_1_0
gboolean        nm_memory_budget_register        (NmMemoryBudget  *budget);
NM_AVAILABLE_IN_1_0
gboolean        nm_memory_budget_unregister      (NmMemoryBudget  *budget);
NM_AVAILABLE_IN_1_0
NmMemoryBudget *nm_memory_budget_lookup          (const char      *path);

G_END_DECLS
