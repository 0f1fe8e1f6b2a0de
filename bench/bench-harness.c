/* bench-harness.c: timing, medians and the table
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

guint bench_runs = 7;
gboolean bench_quiet = FALSE;
double bench_target_seconds = 0.05;

static double baseline_ns;
static gboolean have_baseline;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

void
bench_run_malloc (gpointer data,
                  guint64  n)
{
  const BenchMallocPattern *pattern = data;
  void *ptrs[256];

  g_assert (pattern->batch <= G_N_ELEMENTS (ptrs));

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < pattern->batch; j++)
        {
          ptrs[j] = malloc (pattern->size);
          *(guint64 *) ptrs[j] = j;
        }
      bench_escape (ptrs);
      if (pattern->newest_first)
        for (guint j = pattern->batch; j-- > 0;)
          free (ptrs[j]);
      else
        for (guint j = 0; j < pattern->batch; j++)
          free (ptrs[j]);
    }
}

double
bench_two_threads (GThreadFunc  run,
                   gpointer     a,
                   gpointer     b,
                   gint        *start)
{
  GThread *ta = g_thread_new ("bench-a", run, a);
  GThread *tb = g_thread_new ("bench-b", run, b);
  gint64 t0;

  /* Both threads are up and spinning on *start before the clock starts. */
  g_usleep (1000);
  t0 = g_get_monotonic_time ();
  __atomic_store_n (start, 1, __ATOMIC_RELEASE);
  g_thread_join (ta);
  g_thread_join (tb);

  return (double) (g_get_monotonic_time () - t0) * 1000.0;
}

double
bench_median (double *samples,
              guint   n_samples)
{
  qsort (samples, n_samples, sizeof (double), compare_doubles);
  return samples[n_samples / 2];
}

void
bench_group_begin (const char *title,
                   const char *pattern)
{
  have_baseline = FALSE;
  g_print ("\n## %s\n%s\n\n", title, pattern);
  g_print ("| %-50s | %10s | %12s |\n", "allocator", "ns/op", "vs baseline");
  g_print ("|%s|%s|%s|\n", "----------------------------------------------------",
           "------------", "--------------");
}

void
bench_row_value (const char *label,
                 double      ns)
{
  if (bench_quiet)
    return;

  if (!have_baseline)
    {
      baseline_ns = ns;
      have_baseline = TRUE;
      g_print ("| %-50s | %10.2f | %12s |\n", label, ns, "baseline");
      return;
    }

  g_print ("| %-50s | %10.2f | %11.2fx |\n", label, ns, baseline_ns / ns);
}

double
bench_measure (BenchFunc func,
               gpointer  data,
               guint64   ops_per_iteration)
{
  g_autofree double *samples = g_new0 (double, bench_runs);
  guint64 iterations = 16;

  /* Calibrate: grow the iteration count until one run takes the target
   * time, which also warms caches and the allocator. */
  for (;;)
    {
      gint64 start = g_get_monotonic_time ();
      func (data, iterations);
      if ((double) (g_get_monotonic_time () - start) >= bench_target_seconds * 1e6 / 4 ||
          iterations > (G_GUINT64_CONSTANT (1) << 40))
        break;
      iterations *= 2;
    }
  iterations *= 4;

  for (guint r = 0; r < bench_runs; r++)
    {
      struct timespec t0, t1;

      clock_gettime (CLOCK_MONOTONIC, &t0);
      func (data, iterations);
      clock_gettime (CLOCK_MONOTONIC, &t1);
      samples[r] = ((double) (t1.tv_sec - t0.tv_sec) * 1e9 + (double) (t1.tv_nsec - t0.tv_nsec)) /
                   (double) (iterations * ops_per_iteration);
    }

  return bench_median (samples, bench_runs);
}

double
bench_row (const char *label,
           BenchFunc   func,
           gpointer    data,
           guint64     ops_per_iteration)
{
  double ns = bench_measure (func, data, ops_per_iteration);

  bench_row_value (label, ns);

  return ns;
}

void
bench_group_end (void)
{
  g_print ("\n");
}
