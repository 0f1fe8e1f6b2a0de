/* fuzz-budget.c: libFuzzer target for the budget tree
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input builds a tree of up to eight budgets with their limits, then
 * charges and uncharges any of them, checked against a model of the use of
 * every level: a charge succeeds exactly when every level up to the root
 * has room, and then charges all of them; a refusal changes nothing; no
 * level ever goes over its limit; giving back more than a level holds is
 * one critical. Built with -Dfuzzing=true (clang), run by the 'fuzz' test
 * suite.
 */

#include "fuzz-common.h"

#define MAX_BUDGETS 8

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  FuzzInput in = { data, size, 0 };
  NmMemoryBudget *budgets[MAX_BUDGETS] = { NULL, };
  gint parent[MAX_BUDGETS];
  guint64 limit[MAX_BUDGETS], used[MAX_BUDGETS];
  guint n = 1 + fuzz_u8 (&in) % MAX_BUDGETS;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("b%u", i);

      parent[i] = i == 0 ? -1 : (gint) (fuzz_u8 (&in) % i);
      limit[i] = 1 + fuzz_u16 (&in);
      used[i] = 0;
      budgets[i] = nm_memory_budget_new (name, limit[i], parent[i] < 0 ? NULL : budgets[parent[i]]);
      g_assert_nonnull (budgets[i]);
    }

  while (fuzz_more (&in))
    {
      guint8 op = fuzz_u8 (&in);
      guint i = fuzz_u8 (&in) % n;
      guint64 bytes = 1 + (fuzz_u16 (&in) >> (op >> 4));

      if (op & 1)
        {
          g_autoptr(GError) error = NULL;
          gboolean fits = TRUE, ok;

          for (gint l = i; l >= 0; l = parent[l])
            if (used[l] + bytes > limit[l])
              fits = FALSE;
          ok = nm_memory_budget_charge (budgets[i], bytes, &error);
          if (ok != fits)
            g_error ("charge of %" G_GUINT64_FORMAT " to b%u: %s, the model says %s",
                     bytes, i, ok ? "accepted" : "refused", fits ? "accept" : "refuse");
          if (ok)
            {
              g_assert_no_error (error);
              for (gint l = i; l >= 0; l = parent[l])
                used[l] += bytes;
            }
          else
            g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
        }
      else
        {
          /* Mostly what the budget holds; sometimes more. */
          if (!(op & 2))
            bytes = used[i] == 0 ? 0 : 1 + bytes % used[i];
          if (bytes == 0)
            continue;
          FUZZ_EXPECT_CRITICALS (bytes > used[i] ? 1 : 0,
                                 nm_memory_budget_uncharge (budgets[i], bytes));
          for (gint l = i; l >= 0; l = parent[l])
            {
              guint64 given = MIN (bytes, used[l]);

              used[l] -= given;
              bytes = given;
            }
        }

      for (guint l = 0; l < n; l++)
        {
          guint64 u = nm_memory_budget_get_used (budgets[l]);

          if (u != used[l])
            g_error ("b%u uses %" G_GUINT64_FORMAT ", the model says %" G_GUINT64_FORMAT, l, u, used[l]);
          if (u > limit[l])
            g_error ("b%u uses %" G_GUINT64_FORMAT ", over its limit %" G_GUINT64_FORMAT, l, u, limit[l]);
          if (nm_memory_budget_get_peak (budgets[l]) < u)
            g_error ("b%u: peak below use", l);
        }
    }

  for (guint i = n; i > 0; i--)
    g_object_unref (budgets[i - 1]);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  return 0;
}
