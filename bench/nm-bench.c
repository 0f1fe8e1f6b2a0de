/* nm-bench.c: the nebula-memory benchmark program
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Prints one table per allocation pattern, comparing nebula-memory's
 * allocators with what a GLib program would otherwise use. Ratios are
 * against the first row of each table, from this one run.
 */

#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static char *only;

gboolean
bench_wants (const char *group_id)
{
  return only == NULL || strstr (group_id, only) != NULL;
}

int
main (int    argc,
      char **argv)
{
  gboolean quick = FALSE;
  int runs = 7;
  GOptionEntry entries[] = {
    { "only", 'o', 0, G_OPTION_ARG_STRING, &only, "Run the groups whose id contains TEXT (bump, pool, stack, …)", "TEXT" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Timed runs per row; the median is reported (default 7)", "N" },
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick, "Short runs, for smoke tests", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- compare nebula-memory with other allocators");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  bench_runs = MAX (1, runs);
  if (quick)
    {
      bench_runs = 3;
      bench_target_seconds = 0.005;
    }

  g_print ("# nebula-memory benchmark\n\n"
           "Median of %u runs per row; ratios are baseline time / row time "
           "(above 1.00x: faster than the baseline).\n", bench_runs);

  if (bench_wants ("bump"))
    bench_bump_run ();
  if (bench_wants ("pool"))
    bench_pool_run ();
  if (bench_wants ("depot"))
    bench_depot_run ();
  if (bench_wants ("stack"))
    bench_stack_run ();

  return 0;
}
