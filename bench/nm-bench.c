/* nm-bench.c: the nebula-memory benchmark program
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Compares nebula-memory's allocators with what a GLib program would use
 * instead, scenario by scenario, in interleaved rounds (see bench.h), and
 * prints tables, or JSON with --json; --svg writes a chart.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static gboolean
wanted (const BenchScenario *s,
        char               **only)
{
  if (only == NULL)
    return TRUE;
  for (guint i = 0; only[i] != NULL; i++)
    if (*only[i] != '\0' && strstr (s->id, only[i]) != NULL)
      return TRUE;
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *only = NULL;
  g_autofree char *svg_file = NULL;
  g_autofree char *command = NULL;
  g_autofree char *memory_child = NULL;
  g_auto(GStrv) only_list = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) bench_result_free);
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean quick = FALSE, json = FALSE, list = FALSE;
  int runs = (int) bench_options.runs, pin = -1, round_ms = 0, live = 0;
  guint64 errors = 0;
  guint n_wanted = 0;
  GOptionEntry entries[] = {
    { "only", 'o', 0, G_OPTION_ARG_STRING, &only, "Run the scenarios whose id contains one of the comma-separated TEXTs (batch, live-64, threads, view, memory, ...)", "TEXT" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Timed rounds per scenario (default 11)", "N" },
    { "round-ms", 0, 0, G_OPTION_ARG_INT, &round_ms, "Target length of one candidate's round (default 20)", "MS" },
    { "pin", 'p', 0, G_OPTION_ARG_INT, &pin, "Pin the program to this CPU (threaded scenarios use all CPUs)", "CPU" },
    { "live", 0, 0, G_OPTION_ARG_INT, &live, "Live blocks of the large scenarios (default 1048576)", "N" },
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick, "Every scenario briefly, results checked, no timings (for CI)", NULL },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, "Print JSON (every figure, with the method) instead of tables", NULL },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &svg_file, "Write a bar chart per scenario to FILE", "FILE" },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the scenarios and exit", NULL },
    { "memory-child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &memory_child, "Measure one candidate's memory (internal)", "ID:MIX:N" },
    { NULL }
  };

  /* Before anything is loaded: jemalloc needs static TLS room. */
  bench_machine_reexec_for_tls (argv);

  {
    g_autofree char *name = g_path_get_basename (argv[0]);
    g_autofree char *rest = argc > 1 ? g_strjoinv (" ", argv + 1) : g_strdup ("");

    command = g_strstrip (g_strdup_printf ("%s %s", name, rest));
  }
  context = g_option_context_new ("- compare nebula-memory with the allocators it replaces");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (memory_child != NULL)
    return bench_memory_child_main (memory_child);

  if (list)
    {
      for (guint i = 0; i < bench_n_scenarios; i++)
        g_print ("%-18s %s\n", bench_scenarios[i].id, bench_scenarios[i].title);
      return 0;
    }

  bench_options.command = command;
  bench_options.runs = MAX (1, runs);
  bench_options.quick = quick;
  bench_options.pin_cpu = pin;
  if (round_ms > 0)
    bench_options.round_seconds = round_ms / 1000.0;
  if (live > 0)
    bench_options.n_live = (guint) live;
  else if (quick)
    bench_options.n_live = 20000;
  if (only != NULL)
    only_list = g_strsplit (only, ",", -1);

  if (pin >= 0 && !bench_machine_pin (pin, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  bench_candidates_init ();
  for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
    if (!bench_candidates[i].available)
      g_printerr ("nm-bench: skipping %s: %s\n", bench_candidates[i].label, bench_candidates[i].missing);

  if (!json)
    bench_table_header ();

  for (guint i = 0; i < bench_n_scenarios; i++)
    n_wanted += wanted (&bench_scenarios[i], only_list);

  /* The small scenarios first, then the large ones (a million live
   * blocks), each group prepared and then run round by round: round r of
   * every scenario of the group before round r + 1 of any. See
   * bench-harness.c. */
  for (guint i = 0; i < bench_n_scenarios; i++)
    if (wanted (&bench_scenarios[i], only_list))
      g_ptr_array_add (results, NULL);
  for (int large = 0; large <= 1; large++)
    {
      guint slot = 0;

      for (guint i = 0; i < bench_n_scenarios; i++)
        {
          const BenchScenario *s = &bench_scenarios[i];

          if (!wanted (s, only_list))
            continue;
          if (bench_scenario_is_large (s) == large)
            {
              if (!isatty (STDERR_FILENO))
                g_printerr ("preparing [%u/%u] %s\n", slot + 1, n_wanted, s->id);
              results->pdata[slot] = bench_scenario_prepare (s, slot, n_wanted);
              bench_progress_end ();
            }
          slot++;
        }

      for (guint r = 0; r < (quick ? 1 : bench_options.runs); r++)
        {
          if (!isatty (STDERR_FILENO))
            g_printerr ("round %u/%u%s\n", r + 1, quick ? 1 : bench_options.runs,
                        large ? " (large scenarios)" : "");
          for (guint i = 0; i < results->len; i++)
            {
              BenchResult *result = g_ptr_array_index (results, i);

              if (result != NULL && bench_scenario_is_large (result->scenario) == large)
                bench_scenario_round (result, r, i, results->len);
            }
          bench_progress_end ();
        }
    }

  for (guint i = 0; i < results->len; i++)
    {
      const BenchResult *result = g_ptr_array_index (results, i);

      for (guint j = 0; j < result->rows->len; j++)
        errors += g_array_index (result->rows, BenchRow, j).errors;
      if (!json)
        bench_table_print (result);
    }

  if (json)
    {
      g_autofree char *text = bench_json_write (results);
      fputs (text, stdout);
    }
  else
    {
      bench_table_summary (results);
      if (bench_cache_run != NULL && (only_list == NULL || g_strv_contains ((const char * const *) only_list, "cache")))
        bench_cache_run ();
      bench_table_peers ();
    }

  if (svg_file != NULL)
    {
      g_autofree char *text = bench_svg_write (results);

      if (!g_file_set_contents (svg_file, text, -1, &error))
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
    }

  if (errors != 0)
    {
      g_printerr ("nm-bench: %" G_GUINT64_FORMAT " blocks did not read back what was written\n", errors);
      return 1;
    }
  return 0;
}
