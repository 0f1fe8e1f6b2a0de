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
wanted_id (const char  *id,
           char       **only)
{
  if (only == NULL)
    return TRUE;
  for (guint i = 0; only[i] != NULL; i++)
    if (*only[i] != '\0' && strstr (id, only[i]) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
wanted (const BenchScenario *s,
        char               **only)
{
  return wanted_id (s->id, only);
}

/* A worker runs the timed scenarios only. */
static gboolean
wanted_here (const BenchScenario *s,
             char               **only,
             gboolean             in_worker)
{
  return wanted (s, only) && !(in_worker && s->pattern->memory);
}

/* A worker reports its rows on stdout, one line each:
 *   row SCENARIO CANDIDATE OPS ERRORS RETRIED DISTURBED N ns_1 ... ns_N ratio_1 ... ratio_N */
static void
worker_report (GPtrArray *results)
{
  for (guint i = 0; i < results->len; i++)
    {
      const BenchResult *result = g_ptr_array_index (results, i);

      for (guint j = 0; j < result->rows->len; j++)
        {
          const BenchRow *row = &g_array_index (result->rows, BenchRow, j);

          printf ("row %s %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %u %u %u",
                  result->scenario->id, bench_candidates[row->candidate].id,
                  row->ops, row->errors, row->retried, row->disturbed, row->n_rounds);
          for (guint r = 0; r < row->n_rounds; r++)
            printf (" %.17g", row->ns[r]);
          for (guint r = 0; r < row->n_rounds; r++)
            printf (" %.17g", row->ratio[r]);
          printf ("\n");
        }
    }
  fflush (stdout);
}

/* Runs worker @k of @n and puts its rounds in process @k's place of every
 * row of @results (selected, nothing run). */
static gboolean
worker_run (guint       k,
            guint       n,
            const char *only,
            GPtrArray  *results,
            GError    **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  int status = 0;

  g_ptr_array_add (argv, g_strdup ("/proc/self/exe"));
  g_ptr_array_add (argv, g_strdup_printf ("--worker=%u/%u", k + 1, n));
  g_ptr_array_add (argv, g_strdup_printf ("--runs=%u", bench_options.runs));
  g_ptr_array_add (argv, g_strdup_printf ("--round-ms=%d", (int) (bench_options.round_seconds * 1000 + 0.5)));
  g_ptr_array_add (argv, g_strdup_printf ("--live=%u", bench_options.n_live));
  g_ptr_array_add (argv, g_strdup_printf ("--retries=%u", bench_options.retries));
  if (bench_options.pin_cpu >= 0)
    g_ptr_array_add (argv, g_strdup_printf ("--pin=%d", bench_options.pin_cpu));
  if (only != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--only=%s", only));
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, NULL, &status, error) ||
      !g_spawn_check_wait_status (status, error))
    return FALSE;

  lines = g_strsplit (out, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) f = g_strsplit (lines[l], " ", -1);
      guint nf = g_strv_length (f), rounds;

      if (nf < 8 || strcmp (f[0], "row") != 0)
        continue;
      rounds = (guint) g_ascii_strtoull (f[7], NULL, 10);
      if (nf != 8 + 2 * rounds)
        continue;
      for (guint i = 0; i < results->len; i++)
        {
          BenchResult *result = g_ptr_array_index (results, i);

          if (strcmp (result->scenario->id, f[1]) != 0)
            continue;
          for (guint j = 0; j < result->rows->len; j++)
            {
              BenchRow *row = &g_array_index (result->rows, BenchRow, j);

              if (strcmp (bench_candidates[row->candidate].id, f[2]) != 0 ||
                  rounds != bench_scenario_runs (result->scenario, bench_options.runs))
                continue;
              row->ops = g_ascii_strtoull (f[3], NULL, 10);
              row->errors += g_ascii_strtoull (f[4], NULL, 10);
              row->retried += (guint) g_ascii_strtoull (f[5], NULL, 10);
              row->disturbed += (guint) g_ascii_strtoull (f[6], NULL, 10);
              for (guint r = 0; r < rounds; r++)
                {
                  row->ns[k * rounds + r] = g_ascii_strtod (f[8 + r], NULL);
                  row->ratio[k * rounds + r] = g_ascii_strtod (f[8 + rounds + r], NULL);
                }
            }
        }
    }
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *only = NULL;
  g_autofree char *svg_file = NULL;
  g_autofree char *command = NULL;
  g_autofree char *memory_child = NULL;
  g_autofree char *annotations_child = NULL;
  g_autofree char *worker = NULL;
  g_autoptr(GPtrArray) extras = g_ptr_array_new_with_free_func ((GDestroyNotify) bench_extra_free);
  g_auto(GStrv) only_list = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) bench_result_free);
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean quick = FALSE, json = FALSE, list = FALSE;
  int runs = (int) bench_options.runs, pin = -1, round_ms = 0, live = 0;
  int processes = (int) bench_options.processes, retries = (int) bench_options.retries;
  guint worker_k = 0, worker_n = 0;
  guint64 errors = 0;
  guint n_wanted = 0;
  GOptionEntry entries[] = {
    { "only", 'o', 0, G_OPTION_ARG_STRING, &only, "Run the scenarios whose id contains one of the comma-separated TEXTs (batch, live-64, threads, view, memory, ...)", "TEXT" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Timed rounds per scenario in each process (default 7)", "N" },
    { "processes", 'P', 0, G_OPTION_ARG_INT, &processes, "Worker processes the timed rounds run in, one after another (default 3; 1: this process)", "N" },
    { "round-ms", 0, 0, G_OPTION_ARG_INT, &round_ms, "Target length of one candidate's round (default 10)", "MS" },
    { "retries", 0, 0, G_OPTION_ARG_INT, &retries, "Attempts of a round disturbed by preemption beyond the first (default 2; 0: keep every round)", "N" },
    { "pin", 'p', 0, G_OPTION_ARG_INT, &pin, "Pin the program to this CPU (threaded scenarios use all CPUs)", "CPU" },
    { "live", 0, 0, G_OPTION_ARG_INT, &live, "Live blocks of the large scenarios (default 1048576)", "N" },
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick, "Every scenario briefly, results checked, no timings (for CI)", NULL },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, "Print JSON (every figure, with the method) instead of tables", NULL },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &svg_file, "Write a bar chart per scenario to FILE", "FILE" },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the scenarios and exit", NULL },
    { "memory-child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &memory_child, "Measure one candidate's memory (internal)", "ID:MIX:N" },
    { "annotations-child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &annotations_child, "Time one candidate for the annotation rows (internal)", "SCENARIO:CANDIDATE:N:ROUNDS" },
    { "worker", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &worker, "Run the timed rounds and report them (internal)", "K/N" },
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
  if (annotations_child != NULL)
    {
      if (pin >= 0 && !bench_machine_pin (pin, &error))
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
      bench_options.pin_cpu = pin;
      return bench_annotations_child_main (annotations_child);
    }
  if (worker != NULL && sscanf (worker, "%u/%u", &worker_k, &worker_n) != 2)
    {
      g_printerr ("--worker: K/N expected\n");
      return 2;
    }

  if (list)
    {
      for (guint i = 0; i < bench_n_scenarios; i++)
        g_print ("%-18s %s\n", bench_scenarios[i].id, bench_scenarios[i].title);
      return 0;
    }

  bench_options.command = command;
  bench_options.runs = MAX (1, runs);
  bench_options.quick = quick;
  bench_options.processes = quick || worker != NULL ? 1 : (guint) MAX (1, processes);
  bench_options.pin_cpu = pin;
  bench_options.retries = (guint) MAX (0, retries);
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

  /* Every process that times anything runs glibc with fixed thresholds;
   * the peers' settings are made when they are loaded. */
  bench_machine_settle_glibc ();
  bench_candidates_init ();
  if (worker == NULL)
    for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
      if (!bench_candidates[i].available)
        g_printerr ("nm-bench: skipping %s: %s\n", bench_candidates[i].label, bench_candidates[i].missing);

  if (!json && worker == NULL)
    bench_table_header ();

  if (bench_options.processes > 1)
    {
      guint np = bench_options.processes, per = bench_options.runs;

      /* The timed scenarios in fresh processes, one after another: each
       * process's heap lands differently, and a median over processes is
       * not at the mercy of one. Memory scenarios run here (each of their
       * candidates in a child of its own anyway). */
      for (guint i = 0; i < bench_n_scenarios; i++)
        {
          const BenchScenario *s = &bench_scenarios[i];
          BenchResult *result;

          if (!wanted (s, only_list))
            continue;
          if (s->pattern->memory)
            result = bench_scenario_prepare (s, results->len, 1);
          else
            {
              result = bench_scenario_select (s, np * bench_scenario_runs (s, per));
              for (guint j = 0; j < result->rows->len; j++)
                g_array_index (result->rows, BenchRow, j).n_procs = np;
            }
          g_ptr_array_add (results, result);
        }
      bench_progress_end ();
      for (guint k = 0; k < np; k++)
        {
          gboolean any = FALSE;

          for (guint i = 0; i < results->len; i++)
            any |= !((BenchResult *) g_ptr_array_index (results, i))->scenario->pattern->memory;
          if (!any)
            break;
          if (!isatty (STDERR_FILENO))
            g_printerr ("process %u/%u\n", k + 1, np);
          if (!worker_run (k, np, only, results, &error))
            {
              g_printerr ("nm-bench: worker process %u: %s\n", k + 1, error->message);
              return 2;
            }
        }
      goto report;
    }

  for (guint i = 0; i < bench_n_scenarios; i++)
    n_wanted += wanted_here (&bench_scenarios[i], only_list, worker != NULL);

  /* The small scenarios first, then the large ones (a million live
   * blocks), each group prepared and then run round by round: round r of
   * every scenario of the group before round r + 1 of any. See
   * bench-harness.c. */
  for (guint i = 0; i < bench_n_scenarios; i++)
    if (wanted_here (&bench_scenarios[i], only_list, worker != NULL))
      g_ptr_array_add (results, NULL);
  for (int large = 0; large <= 1; large++)
    {
      guint slot = 0, in_group = 0;

      for (guint i = 0; i < bench_n_scenarios; i++)
        {
          const BenchScenario *s = &bench_scenarios[i];

          if (!wanted_here (s, only_list, worker != NULL))
            continue;
          if (bench_scenario_is_large (s) == large)
            {
              in_group++;
              if (!isatty (STDERR_FILENO))
                g_printerr ("preparing [%u/%u] %s\n", slot + 1, n_wanted, s->id);
              results->pdata[slot] = bench_scenario_prepare (s, slot, n_wanted);
              bench_progress_end ();
            }
          slot++;
        }

      for (guint r = 0; in_group > 0 && r < (quick ? 1 : bench_options.runs); r++)
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

  if (worker != NULL)
    {
      worker_report (results);
      return 0;
    }

report:
  /* The families with tables of their own, in this process. */
  if (wanted_id ("budget-charge", only_list))
    {
      if (!isatty (STDERR_FILENO))
        g_printerr ("budget charging\n");
      bench_budget_run (extras);
    }
  if (wanted_id ("view-annotations-pool", only_list) ||
      wanted_id ("view-annotations-bump", only_list) ||
      wanted_id ("view-annotations-stack", only_list))
    {
      if (!isatty (STDERR_FILENO))
        g_printerr ("the annotations, compiled in and out\n");
      bench_annotations_run (extras);
    }
  if (wanted_id ("cache", only_list))
    {
      if (!isatty (STDERR_FILENO))
        g_printerr ("the async cache\n");
      bench_cache_run (extras);
    }

  for (guint i = 0; i < results->len; i++)
    {
      const BenchResult *result = g_ptr_array_index (results, i);

      for (guint j = 0; j < result->rows->len; j++)
        errors += g_array_index (result->rows, BenchRow, j).errors;
      if (!json)
        bench_table_print (result);
    }
  for (guint i = 0; i < extras->len; i++)
    {
      const BenchExtra *extra = g_ptr_array_index (extras, i);

      for (guint j = 0; j < extra->rows->len; j++)
        errors += g_array_index (extra->rows, BenchExtraRow, j).errors;
      if (!json)
        bench_table_extra (extra);
    }

  if (json)
    {
      g_autofree char *text = bench_json_write (results, extras);
      fputs (text, stdout);
    }
  else
    {
      bench_table_summary (results, extras);
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
      g_printerr ("nm-bench: %" G_GUINT64_FORMAT " results were wrong (blocks that did not read back what was written, cache lookups, budget charges)\n", errors);
      return 1;
    }
  return 0;
}
