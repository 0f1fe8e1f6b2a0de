/* test-budget-thread.c: budgets charged from several threads at once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * In the 'thread' suite, so it also runs under ThreadSanitizer.
 */

#include <nebula-memory/nebula-memory.h>

#include "nm-memory-budget-private.h"
#include "nm-test-util.h"

#define N_THREADS 4
#define ROUNDS    20000

typedef struct
{
  NmMemoryBudget *root;
  NmMemoryBudget *leaves[N_THREADS];
  guint64         granted[N_THREADS];
  guint64         refused[N_THREADS];
  gint            overshoot;
} Shared;

typedef struct
{
  Shared *shared;
  guint   index;
} Job;

static void
check_limits (Shared *shared)
{
  if (nm_memory_budget_get_used (shared->root) > nm_memory_budget_get_limit (shared->root))
    g_atomic_int_inc (&shared->overshoot);
  for (guint i = 0; i < N_THREADS; i++)
    if (nm_memory_budget_get_used (shared->leaves[i]) > nm_memory_budget_get_limit (shared->leaves[i]))
      g_atomic_int_inc (&shared->overshoot);
}

static gpointer
charge_loop (gpointer data)
{
  Job *job = data;
  Shared *shared = job->shared;
  NmMemoryBudget *leaf = shared->leaves[job->index];
  GRand *rand = g_rand_new_with_seed (job->index + 1);
  guint64 held[8] = { 0 };

  for (guint i = 0; i < ROUNDS; i++)
    {
      guint slot = g_rand_int_range (rand, 0, G_N_ELEMENTS (held));

      if (held[slot] != 0)
        {
          _nm_memory_budget_uncharge (leaf, held[slot]);
          held[slot] = 0;
        }
      else
        {
          guint64 bytes = g_rand_int_range (rand, 1, 128) * 1024;
          NmMemoryBudget *refused_by = NULL;

          if (_nm_memory_budget_try_charge (leaf, bytes, &refused_by))
            {
              held[slot] = bytes;
              shared->granted[job->index]++;
            }
          else
            {
              g_assert_true (refused_by == leaf || refused_by == shared->root);
              shared->refused[job->index]++;
            }
        }
      if (i % 16 == 0)
        check_limits (shared);
    }

  for (guint slot = 0; slot < G_N_ELEMENTS (held); slot++)
    if (held[slot] != 0)
      _nm_memory_budget_uncharge (leaf, held[slot]);

  g_rand_free (rand);
  return NULL;
}

/* The root's limit is far below the sum of the leaves': threads race for
 * it constantly. At no sampled moment is any limit passed, every charge is
 * given back in the end, and the events reach the main context, batched. */
static void
test_budget_thread_no_overshoot (void)
{
  Shared shared = { 0 };
  Job jobs[N_THREADS];
  GThread *threads[N_THREADS];
  g_autoptr(GString) log = g_string_new (NULL);
  guint64 granted = 0, refused = 0, leaf_refused = 0;
  guint sources = 0;

  shared.root = nm_memory_budget_new_full ("process", 512 * 1024, 384 * 1024, 0, NULL);
  for (guint i = 0; i < N_THREADS; i++)
    shared.leaves[i] = nm_memory_budget_new ("worker", 448 * 1024, shared.root);
  nm_test_log_notify (shared.root, log);

  for (guint i = 0; i < N_THREADS; i++)
    {
      jobs[i] = (Job) { &shared, i };
      threads[i] = g_thread_new ("charger", charge_loop, &jobs[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < N_THREADS; i++)
    {
      granted += shared.granted[i];
      refused += shared.refused[i];
      leaf_refused += nm_memory_budget_get_refused_count (shared.leaves[i]);
      g_assert_cmpuint (nm_memory_budget_get_used (shared.leaves[i]), ==, 0);
      g_assert_cmpuint (nm_memory_budget_get_peak (shared.leaves[i]), <=, 448 * 1024);
    }
  g_test_message ("%" G_GUINT64_FORMAT " charges granted, %" G_GUINT64_FORMAT " refused",
                  granted, refused);
  g_assert_cmpint (shared.overshoot, ==, 0);
  g_assert_cmpuint (granted, >, 0);
  g_assert_cmpuint (refused, >, 0);
  g_assert_cmpuint (refused, ==, nm_memory_budget_get_refused_count (shared.root) + leaf_refused);
  g_assert_cmpuint (nm_memory_budget_get_used (shared.root), ==, 0);
  g_assert_cmpuint (nm_memory_budget_get_peak (shared.root), <=, 512 * 1024);
  g_assert_cmpuint (nm_memory_budget_get_high_count (shared.root), >, 0);

  /* Delivered on the main context, at most one source per budget. */
  g_assert_cmpstr (log->str, ==, "");
  while (g_main_context_iteration (NULL, FALSE))
    sources++;
  g_assert_cmpuint (sources, <=, 1 + N_THREADS);
  g_assert_cmpuint (nm_test_count_notify (log, "used"), <=, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "peak"), ==, 1);

  for (guint i = 0; i < N_THREADS; i++)
    g_object_unref (shared.leaves[i]);
  g_object_unref (shared.root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/budget/thread/no-overshoot", test_budget_thread_no_overshoot);

  return g_test_run ();
}
