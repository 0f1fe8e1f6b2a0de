/* bench-annotations.c: what the tools' annotations cost when no tool runs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The allocators tell AddressSanitizer and Valgrind which bytes are live
 * (nm-sanitizer-private.h). In an AddressSanitizer build the annotations
 * are always on, and the tool is there. In any other build they are
 * Valgrind client requests, compiled in whenever <valgrind/memcheck.h> is
 * found, and switched on at run time only under Valgrind
 * (RUNNING_ON_VALGRIND, read once per allocator into its slow-path flags).
 * So what a user without a tool pays is the difference between the
 * library as built, client requests compiled in and switched off, and the
 * same library with them compiled out (HAVE_VALGRIND 0).
 *
 * That difference is a build, not a setting, so it cannot be had twice in
 * one process (the two cores would register the same GTypes). The build
 * makes two programs from the very objects of nm-bench, linked with the
 * library core built both ways (bench/annotations-off/meson.build):
 * nm-bench-annotations-on and nm-bench-annotations-off. This file runs
 * them in turn, in interleaved pairs, the order alternating (off on, on
 * off, ...): each child sizes nothing (the parent gives the iterations),
 * runs a warm-up round and CHILD_ROUNDS timed rounds of one candidate in
 * one scenario, and reports their median; each pair gives one ratio. The
 * rows are the project's three allocators, called directly, in the
 * scenarios of the "via NmAllocator" views.
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define CHILD_ROUNDS 3

static const struct
{
  const char       *id;
  const char       *scenario;
  BenchCandidateId  candidate;
  const char       *label;
} views[] = {
  { "view-annotations-pool", "ring-64", BENCH_CAND_nm_pool, "NmPoolAllocator" },
  { "view-annotations-bump", "batch-64", BENCH_CAND_nm_bump, "NmBumpAllocator" },
  { "view-annotations-stack", "scratch-64", BENCH_CAND_nm_stack, "NmStackAllocator" },
};

static const BenchScenario *
find_scenario (const char *id)
{
  for (guint i = 0; i < bench_n_scenarios; i++)
    if (strcmp (bench_scenarios[i].id, id) == 0)
      return &bench_scenarios[i];
  return NULL;
}

/* In the child: SCENARIO:CANDIDATE:ITERATIONS:ROUNDS. Prints
 * "OPS ERRORS MEDIAN_NS". */
int
bench_annotations_child_main (const char *spec)
{
  g_auto(GStrv) f = g_strsplit (spec, ":", -1);
  const BenchScenario *s;
  g_autofree double *ns = NULL;
  guint64 n, ops = 0, errors = 0;
  guint rounds;
  double min, median, max;
  int candidate = -1;

  if (g_strv_length (f) != 4 || (s = find_scenario (f[0])) == NULL)
    {
      g_printerr ("--annotations-child: SCENARIO:CANDIDATE:ITERATIONS:ROUNDS expected\n");
      return 2;
    }
  for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
    if (strcmp (bench_candidates[i].id, f[1]) == 0)
      candidate = (int) i;
  n = g_ascii_strtoull (f[2], NULL, 10);
  rounds = (guint) CLAMP (g_ascii_strtoull (f[3], NULL, 10), 1, 100);
  if (candidate < 0 || !bench_candidates[candidate].nebula || n == 0)
    {
      g_printerr ("--annotations-child: no such candidate or no iterations: %s\n", spec);
      return 2;
    }

  bench_machine_settle_glibc ();
  ns = g_new0 (double, rounds);
  bench_run_rounds (s, candidate, n, rounds, ns, &ops, &errors);
  bench_summary (ns, rounds, &min, &median, &max);
  printf ("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %.17g\n", ops, errors, median);
  return 0;
}

static gboolean
run_child (const char *program,
           const char *spec,
           double     *ns,
           guint64    *ops,
           guint64    *errors)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, g_strdup (program));
  g_ptr_array_add (argv, g_strdup_printf ("--annotations-child=%s", spec));
  if (bench_options.pin_cpu >= 0)
    g_ptr_array_add (argv, g_strdup_printf ("--pin=%d", bench_options.pin_cpu));
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error) ||
      sscanf (out, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %lg", ops, errors, ns) != 3)
    {
      g_printerr ("nm-bench: %s --annotations-child=%s failed: %s\n", program, spec,
                  error ? error->message : "unreadable output");
      return FALSE;
    }
  return TRUE;
}

void
bench_annotations_run (GPtrArray *extras)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  g_autofree char *on = dir ? g_build_filename (dir, "nm-bench-annotations-on", NULL) : NULL;
  g_autofree char *off = dir ? g_build_filename (dir, "nm-bench-annotations-off", NULL) : NULL;
  guint pairs = bench_options.quick ? 1 : bench_options.runs * bench_options.processes;
  guint child_rounds = bench_options.quick ? 1 : CHILD_ROUNDS;

  if (on == NULL || !g_file_test (on, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (off, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("nm-bench: skipping the annotation rows: nm-bench-annotations-on and -off "
                  "are not beside this program (built with -Dbenchmarks=enabled)\n");
      return;
    }

  for (guint v = 0; v < G_N_ELEMENTS (views); v++)
    {
      const BenchScenario *s = find_scenario (views[v].scenario);
      g_autofree char *title = g_strdup_printf ("Overhead: %s with the tools' annotations compiled in, no tool running",
                                                views[v].label);
      g_autofree char *description = g_strdup_printf (
        "%s of %s (called directly) in two builds of the library core, both linked statically "
        "into the objects of this program: Valgrind's client requests compiled in and switched "
        "off at run time (RUNNING_ON_VALGRIND is 0), as the library is built wherever "
        "<valgrind/memcheck.h> is installed, against compiled out (HAVE_VALGRIND 0). Each in a "
        "process of its own, %u pairs of processes interleaved, the order alternating; a "
        "process runs a warm-up round and %u timed rounds and reports their median.",
        s->id, views[v].label, pairs, child_rounds);
      BenchExtra *extra = bench_extra_new (views[v].id, "time", "ns per operation", title, description);
      guint n_rounds = bench_options.quick ? 1 : pairs;
      BenchExtraRow *rows[2];
      g_autofree char *spec = NULL;
      guint64 n;

      bench_extra_add_row (extra, "annotations compiled out", n_rounds);
      bench_extra_add_row (extra, "annotations compiled in, inactive", n_rounds);
      /* After both are added: the array may have moved. */
      rows[0] = &g_array_index (extra->rows, BenchExtraRow, 0);
      rows[1] = &g_array_index (extra->rows, BenchExtraRow, 1);
      n = bench_calibrate (s, views[v].candidate);
      spec = g_strdup_printf ("%s:%s:%" G_GUINT64_FORMAT ":%u", s->id,
                              bench_candidates[views[v].candidate].id, n, child_rounds);

      for (guint r = 0; r < pairs; r++)
        for (guint k = 0; k < 2; k++)
          {
            /* off on, on off, ... */
            guint which = (k + r) % 2;
            BenchExtraRow *row = rows[which];
            double ns = 0;
            guint64 ops = 0, errors = 0;

            bench_progress ("annotations: %s, pair %u/%u", views[v].label, r + 1, pairs);
            if (!run_child (which == 0 ? off : on, spec, &ns, &ops, &errors))
              errors++;
            row->ops = ops;
            row->errors += errors;
            if (r < row->n_rounds)
              row->ns[r] = ns;
          }
      bench_progress_end ();
      bench_extra_ratios (extra);
      g_ptr_array_add (extras, extra);
    }
}
