/* bench-budget.c: the cost of a charge per level of a budget tree
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * nm_memory_budget_charge () walks from the budget to the root, one
 * compare-and-swap per level, and nm_memory_budget_uncharge () walks back.
 * This table times a charge of 64 bytes and its uncharge on the leaf of a
 * chain of 1, 2, 4 and 8 budgets, in interleaved rounds against the chain
 * of one. The allocators charge their backing memory the same way, when a
 * chunk or a slab is acquired or released, never per block: the overhead
 * views view-budget-* show what that costs a whole pattern.
 */

#include <nebula-memory/nebula-memory.h>

#include "bench.h"

static const guint depths[] = { 1, 2, 4, 8 };

static NmMemoryBudget *
chain_new (guint depth)
{
  NmMemoryBudget *leaf = NULL;

  for (guint d = 0; d < depth; d++)
    {
      g_autofree char *name = g_strdup_printf ("bench-depth%u-level%u", depth, d);
      NmMemoryBudget *level = nm_memory_budget_new (name, (guint64) 1 << 40, leaf);

      if (leaf != NULL)
        g_object_unref (leaf);  /* the child holds its parent */
      leaf = level;
    }
  return leaf;
}

static double
time_pairs (NmMemoryBudget *leaf,
            guint64         n,
            guint64        *errors)
{
  guint64 refused = 0;
  double t0 = bench_now_ns ();

  for (guint64 i = 0; i < n; i++)
    {
      refused += !nm_memory_budget_charge (leaf, 64, NULL);
      nm_memory_budget_uncharge (leaf, 64);
    }
  t0 = bench_now_ns () - t0;
  *errors += refused + (nm_memory_budget_get_used (leaf) != 0);
  /* The notifications the charges queued, outside the timed part. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return t0 / (double) n;
}

void
bench_budget_run (GPtrArray *extras)
{
  guint rounds = bench_options.quick ? 1 : MAX (bench_options.runs, 5);
  guint64 n = bench_options.quick ? 1000 : 2000000;
  NmMemoryBudget *leaf[G_N_ELEMENTS (depths)];
  BenchExtra *e = bench_extra_new ("budget-charge", "time", "charge + uncharge",
                                   "Budget: a charge and its uncharge, by depth of the tree",
                                   "nm_memory_budget_charge (leaf, 64) then nm_memory_budget_uncharge "
                                   "(leaf, 64) on the leaf of a chain of 1, 2, 4 and 8 budgets (limits "
                                   "far away), in interleaved rounds, order rotating; the main loop "
                                   "runs between rounds, so the usage notifications are queued once "
                                   "per round. ns per pair; ratio against the chain of one.");
  BenchExtraRow *rows;

  for (guint i = 0; i < G_N_ELEMENTS (depths); i++)
    {
      g_autofree char *label = g_strdup_printf ("depth %u", depths[i]);

      bench_extra_add_row (e, label, rounds);
      leaf[i] = chain_new (depths[i]);
    }
  rows = (BenchExtraRow *) e->rows->data;

  /* Warm-up */
  for (guint i = 0; i < G_N_ELEMENTS (depths); i++)
    time_pairs (leaf[i], n / 10, &rows[i].errors);

  for (guint r = 0; r < rounds; r++)
    for (guint j = 0; j < G_N_ELEMENTS (depths); j++)
      {
        guint i = (j + r) % G_N_ELEMENTS (depths);

        bench_progress ("budget: charge round %u/%u, depth %u", r + 1, rounds, depths[i]);
        rows[i].ns[r] = time_pairs (leaf[i], n, &rows[i].errors);
        rows[i].ops = n;
      }

  for (guint i = 0; i < G_N_ELEMENTS (depths); i++)
    g_object_unref (leaf[i]);
  bench_extra_ratios (e);
  g_ptr_array_add (extras, e);
  bench_progress_end ();
}
