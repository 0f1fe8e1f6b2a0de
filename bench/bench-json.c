/* bench-json.c: every figure, for machines
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * {
 *   "program": "nm-bench", "quick": false, "machine": { ... },
 *   "method": { "processes": 3, "rounds_per_process": 7, "round_seconds": 0.01,
 *               "retries": 2, "stretch_limit": 2, "median": "pooled",
 *               "page_faults": "out", "settings": { "glibc": "...", ... },
 *               "description": "..." },
 *   "candidates": [ { "id", "label", "nebula", "available", "missing", "how" } ],
 *   "scenarios": [ { "id", "title", "description", "pattern", "sizes", "threads",
 *                    "kind": "time" | "memory", "baseline", "iterations",
 *                    "rows": [ { "candidate", "errors", "ops",
 *                                "rounds_retried", "rounds_disturbed",
 *                                "ns_per_op": { "min", "median", "max", "rounds": [] },
 *                                "ratio":     { "min", "median", "max", "rounds": [] } } ],
 *                    "skipped": [ { "candidate", "reason" } ] } ]
 * }
 *
 * "extras" holds the families with tables of their own: the cache, budget
 * charging and the annotation views (view-annotations-*), each row with
 * ns_per_op and ratio like a scenario's, or a "value".
 *
 * Memory rows have "resident_bytes", "payload_bytes", "blocks",
 * "overhead_bytes_per_block" and "ratio" (resident against the baseline's)
 * instead of ns_per_op. Quick runs have no timing figures at all.
 */

#include "bench.h"

static void
add_string (GString    *out,
            const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text ? text : ""; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if ((guchar) *p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
add_figure (GString        *out,
            const char     *name,
            const BenchRow *row,
            const double   *samples)
{
  double min, median, max;
  guint n = row->n_rounds;

  bench_row_summary (row, samples, &min, &median, &max);
  g_string_append_printf (out, "\"%s\": {\"min\": %.6g, \"median\": %.6g, \"max\": %.6g, \"rounds\": [",
                          name, min, median, max);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%s%.6g", i ? ", " : "", samples[i]);
  g_string_append (out, "]");
  if (row->n_procs > 1)
    {
      guint per = n / row->n_procs;

      g_string_append (out, ", \"process_medians\": [");
      for (guint p = 0; p < row->n_procs; p++)
        {
          double lo, m, hi;

          bench_summary (samples + p * per, per, &lo, &m, &hi);
          g_string_append_printf (out, "%s%.6g", p ? ", " : "", m);
        }
      g_string_append (out, "]");
    }
  g_string_append (out, "}");
}

/* A family table of its own (the cache, budget charging) */
static void
add_extra (GString          *out,
           const BenchExtra *e)
{
  g_string_append (out, "    {\"id\": ");
  add_string (out, e->id);
  g_string_append (out, ", \"title\": ");
  add_string (out, e->title);
  g_string_append (out, ", \"description\": ");
  add_string (out, e->description);
  g_string_append_printf (out, ", \"kind\": \"%s\", \"unit\": ", e->kind);
  add_string (out, e->unit);
  g_string_append (out, ",\n     \"rows\": [");
  for (guint i = 0; i < e->rows->len; i++)
    {
      const BenchExtraRow *row = &g_array_index (e->rows, BenchExtraRow, i);

      g_string_append (out, i ? ",\n       {\"candidate\": " : "\n       {\"candidate\": ");
      add_string (out, row->candidate);
      g_string_append_printf (out, ", \"errors\": %" G_GUINT64_FORMAT ", \"ops\": %" G_GUINT64_FORMAT,
                              row->errors, row->ops);
      if (row->n_rounds == 0)
        g_string_append_printf (out, ", \"value\": %.6g", row->value);
      else if (!bench_options.quick)
        {
          BenchRow view = { .n_rounds = row->n_rounds };

          g_string_append (out, ", ");
          add_figure (out, "ns_per_op", &view, row->ns);
          g_string_append (out, ", ");
          add_figure (out, "ratio", &view, row->ratio);
        }
      g_string_append (out, "}");
    }
  g_string_append (out, "]}");
}

static void
add_row (GString           *out,
         const BenchResult *result,
         const BenchRow    *row)
{
  g_string_append (out, "{\"candidate\": ");
  add_string (out, bench_candidates[row->candidate].id);
  g_string_append_printf (out, ", \"errors\": %" G_GUINT64_FORMAT ", \"ops\": %" G_GUINT64_FORMAT,
                          row->errors, row->ops);
  if (!result->scenario->pattern->memory && !bench_options.quick)
    g_string_append_printf (out, ", \"rounds_retried\": %u, \"rounds_disturbed\": %u",
                            row->retried, row->disturbed);

  if (result->scenario->pattern->memory)
    {
      g_string_append_printf (out, ", \"resident_bytes\": %" G_GUINT64_FORMAT
                              ", \"payload_bytes\": %" G_GUINT64_FORMAT ", \"blocks\": %u"
                              ", \"overhead_bytes_per_block\": %.2f, \"ratio\": %.4f",
                              row->rss_bytes, row->payload, row->n_blocks,
                              ((double) row->rss_bytes - (double) row->payload) / MAX (row->n_blocks, 1),
                              row->ratio[0]);
    }
  else if (!bench_options.quick)
    {
      g_string_append (out, ", ");
      add_figure (out, "ns_per_op", row, row->ns);
      g_string_append (out, ", ");
      add_figure (out, "ratio", row, row->ratio);
    }
  g_string_append (out, "}");
}

static void
add_scenario (GString           *out,
              const BenchResult *result)
{
  const BenchScenario *s = result->scenario;

  g_string_append (out, "    {\"id\": ");
  add_string (out, s->id);
  g_string_append (out, ", \"title\": ");
  add_string (out, s->title);
  g_string_append (out, ", \"description\": ");
  add_string (out, s->description);
  g_string_append (out, ", \"pattern\": ");
  add_string (out, s->pattern->id);
  g_string_append_printf (out, ", \"sizes\": \"%s\", \"threads\": %u, \"kind\": \"%s\", \"unit\": ",
                          s->mix == BENCH_SIZES_64 ? "64" : "16-512",
                          s->pattern == &bench_pattern_threads ? s->n_threads : 1,
                          s->pattern->memory ? "memory" : "time");
  add_string (out, s->pattern->unit);
  g_string_append (out, ", \"baseline\": ");
  add_string (out, result->rows->len ? bench_candidates[result->baseline].id : NULL);
  g_string_append_printf (out, ", \"iterations\": %" G_GUINT64_FORMAT ",\n     \"rows\": [",
                          result->iterations);
  for (guint i = 0; i < result->rows->len; i++)
    {
      g_string_append (out, i ? ",\n       " : "\n       ");
      add_row (out, result, &g_array_index (result->rows, BenchRow, i));
    }
  g_string_append (out, "],\n     \"skipped\": [");
  for (guint i = 0; i < result->skips->len; i++)
    {
      const BenchSkip *skip = &g_array_index (result->skips, BenchSkip, i);

      g_string_append (out, i ? ", {\"candidate\": " : "{\"candidate\": ");
      add_string (out, bench_candidates[skip->candidate].id);
      g_string_append (out, ", \"reason\": ");
      add_string (out, skip->reason);
      g_string_append (out, "}");
    }
  g_string_append (out, "]}");
}

char *
bench_json_write (GPtrArray *results,
                  GPtrArray *extras)
{
  GString *out = g_string_new ("{\n  \"program\": \"nm-bench\",\n");
  const char *const *machine = bench_machine_describe ();

  g_string_append_printf (out, "  \"quick\": %s,\n  \"command\": ", bench_options.quick ? "true" : "false");
  add_string (out, bench_options.command);
  g_string_append (out, ",\n  \"machine\": {");
  for (guint i = 0; machine[i] != NULL; i += 2)
    {
      g_string_append (out, i ? ", " : "");
      add_string (out, machine[i]);
      g_string_append (out, ": ");
      add_string (out, machine[i + 1]);
    }
  g_string_append_printf (out, "},\n  \"method\": {\"processes\": %u, \"rounds_per_process\": %u, "
                          "\"round_seconds\": %g, "
                          "\"warmup_rounds\": %u, \"live_blocks\": %u, \"retries\": %u, "
                          "\"stretch_limit\": %g, \"steal\": \"retried\", \"threads_rounds_factor\": %u, \"live_rounds_factor\": %u, "
                          "\"reset_max_repeats\": %u, \"median\": \"pooled\", \"page_faults\": \"out\", "
                          "\"settings\": {",
                          bench_options.quick ? 1 : bench_options.processes,
                          bench_options.quick ? 1 : bench_options.runs, bench_options.round_seconds,
                          bench_options.quick ? 0 : 1, bench_options.n_live,
                          bench_options.retries, BENCH_STRETCH_LIMIT,
                          bench_options.quick ? 1 : BENCH_THREADS_ROUNDS,
                          bench_options.quick ? 1 : BENCH_LIVE_ROUNDS, BENCH_RESET_MAX_REPEATS);
  {
    const char *const *settings = bench_peer_settings ();

    for (guint i = 0; settings[i] != NULL; i += 2)
      {
        g_string_append (out, i ? ", " : "");
        add_string (out, settings[i]);
        g_string_append (out, ": ");
        add_string (out, settings[i + 1]);
      }
  }
  g_string_append (out, "}, \"description\": ");
  add_string (out, bench_options.quick ?
                   "quick: one brief round per candidate, results checked, no timings" :
                   "the timed scenarios run in worker processes started one after another "
                   "(fresh heaps each), each sizing its rounds and running one warm-up round; in each, "
                   "interleaved rounds, order rotating each round; "
                   "round r of every scenario before round r + 1 of any; "
                   "time = CPU time of the thread (CLOCK_THREAD_CPUTIME_ID), added up over the threads of threaded scenarios; "
                   "threaded and live scenarios: threads_rounds_factor and live_rounds_factor rounds per round of the others; "
                   "a round whose wall time over CPU time (per CPU it can use) exceeds stretch_limit times the median "
                   "of its process's last 63 rounds, or during which the hypervisor stole CPU time (/proc/stat steal), "
                   "is run again, up to retries times, the least disturbed attempt kept "
                   "(rounds_retried, rounds_disturbed per row); "
                   "live scenarios: the live set built once per candidate in a process, untimed, and kept, "
                   "every round continuing the same random-order replacement; "
                   "reset scenarios: allocate untimed, release timed, repeated until the timed part reaches half a round "
                   "(reset_max_repeats at most); "
                   "page faults out of the timed parts: memory touched in the warm-up and in each round's untimed set-up, "
                   "no allocator returns memory to the kernel between rounds (settings); "
                   "ns_per_op per round; ratio = baseline ns / row ns within each round "
                   "(above 1: faster than the baseline); min, median and max over every round of every process, pooled "
                   "(process_medians: each process's own median); "
                   "memory scenarios: one child process per candidate; "
                   "extras (the cache, budget charging): in the main process, interleaved rounds");
  g_string_append (out, "},\n  \"candidates\": [");
  for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
    {
      const BenchCandidate *c = &bench_candidates[i];

      g_string_append (out, i ? ",\n    {\"id\": " : "\n    {\"id\": ");
      add_string (out, c->id);
      g_string_append (out, ", \"label\": ");
      add_string (out, c->label);
      g_string_append_printf (out, ", \"nebula\": %s, \"view_only\": %s, \"available\": %s, \"missing\": ",
                              c->nebula ? "true" : "false",
                              (c->caps & BENCH_ONLY_LISTED) ? "true" : "false",
                              c->available ? "true" : "false");
      if (c->available)
        g_string_append (out, "null");
      else
        add_string (out, c->missing);
      g_string_append (out, ", \"how\": ");
      add_string (out, c->how);
      g_string_append (out, "}");
    }
  g_string_append (out, "],\n  \"scenarios\": [\n");
  for (guint i = 0; i < results->len; i++)
    {
      add_scenario (out, g_ptr_array_index (results, i));
      g_string_append (out, i + 1 < results->len ? ",\n" : "\n");
    }
  g_string_append (out, "  ],\n  \"extras\": [\n");
  for (guint i = 0; extras != NULL && i < extras->len; i++)
    {
      add_extra (out, g_ptr_array_index (extras, i));
      g_string_append (out, i + 1 < extras->len ? ",\n" : "\n");
    }
  g_string_append (out, "  ]\n}\n");
  return g_string_free (out, FALSE);
}
