/* bench-table.c: the tables people read
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <string.h>

#include "bench.h"

/* What was set in the peers and in glibc so that no round pays for memory
 * given back to the kernel or faulted in again (see bench-peers.c and
 * bench_machine_settle_glibc()). */
static void
bench_table_settings (void)
{
  const char *const *settings = bench_peer_settings ();

  g_print ("\nPage faults are kept out of the timed parts: every candidate's memory is touched "
           "in its warm-up round and in each round's untimed set-up, and no allocator gives memory "
           "back to the kernel between rounds:\n\n");
  for (guint i = 0; settings[i] != NULL; i += 2)
    g_print ("- %s: %s\n", settings[i], settings[i + 1]);
  g_print ("\nAn allocator that maps fresh memory for each context it opens (a bump allocator's "
           "first chunk, a talloc_pool) pays that first touch inside the round, spread over the "
           "round's work.\n");
}

void
bench_table_header (void)
{
  const char *const *machine = bench_machine_describe ();

  g_print ("# nebula-memory benchmark\n\n");
  for (guint i = 0; machine[i] != NULL; i += 2)
    g_print ("- %s: %s\n", machine[i], machine[i + 1]);
  if (bench_options.command != NULL)
    g_print ("- command: `%s`\n", bench_options.command);
  g_print ("\n");

  if (bench_options.quick)
    {
      g_print ("Quick run: every scenario briefly, results checked; no timings are claimed.\n");
      return;
    }

  g_print ("Method: the timed scenarios run in %u worker processes, one after another, each "
           "with a fresh heap; in each, the candidates of a table run in interleaved rounds (A B C A B C ..., the "
           "order rotating each round) after a warm-up round; %u rounds of about %.0f ms each "
           "per candidate and process, round r of every scenario before round r + 1 of any. Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: waiting for a CPU on a "
           "shared machine is not counted; the threaded scenarios add up their threads'). "
           "The threaded scenarios run %u rounds, the live ones %u, per round of the others. "
           "A round whose wall time exceeds its CPU time by more than %.0f times this process's usual "
           "stretch, or during which the hypervisor stole CPU time (/proc/stat), is run again (up to %u times; "
           "the least disturbed attempt is kept; counts in the summary). "
           "ns/op: median [min-max] over every round of every process. \"vs\": the baseline's time "
           "divided by the row's, computed within each round, median [min-max] over every round: "
           "above 1.00 is faster than the baseline.\n",
           bench_options.processes, bench_options.runs, bench_options.round_seconds * 1000,
           BENCH_THREADS_ROUNDS, BENCH_LIVE_ROUNDS, BENCH_STRETCH_LIMIT, bench_options.retries);
  bench_table_settings ();
}

void
bench_table_peers (void)
{
  g_print ("\n## Candidates\n\n");
  for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
    {
      const BenchCandidate *c = &bench_candidates[i];

      if (c->available)
        g_print ("- %s: %s\n", c->label, c->how);
      else
        g_print ("- %s: skipped, %s\n", c->label, c->missing);
    }
  g_print ("\nmimalloc and jemalloc are loaded with dlopen (RTLD_LOCAL | RTLD_DEEPBIND) so they do "
           "not replace glibc's malloc: each of their calls is one indirect call through a pointer "
           "resolved once. The other peers are linked and called directly; nebula-memory's direct "
           "rows are inline entry points. Blocks are asked 16-byte aligned from nebula-memory, "
           "what malloc guarantees.\n");
}

static void
print_skips (const BenchResult *result)
{
  for (guint i = 0; i < result->skips->len; i++)
    {
      const BenchSkip *skip = &g_array_index (result->skips, BenchSkip, i);

      /* The JSON has them all; a reader wants the peers' reasons. */
      if (bench_candidates[skip->candidate].nebula && bench_candidates[skip->candidate].available)
        continue;
      g_print ("- %s: no row, %s\n", bench_candidates[skip->candidate].label, skip->reason);
    }
}

void
bench_table_print (const BenchResult *result)
{
  const BenchScenario *s = result->scenario;
  const char *base = result->rows->len ? bench_candidates[result->baseline].label : "";

  g_print ("\n## %s (`%s`)\n\n%s\n\n", s->title, s->id, s->description);

  if (bench_options.quick)
    {
      g_print ("| %-40s | %12s | %8s |\n", "allocator", "operations", "errors");
      g_print ("|:%s|%s:|%s:|\n", "-----------------------------------------",
               "-------------", "---------");
      for (guint i = 0; i < result->rows->len; i++)
        {
          const BenchRow *row = &g_array_index (result->rows, BenchRow, i);

          g_print ("| %-40s | %12" G_GUINT64_FORMAT " | %8" G_GUINT64_FORMAT " |\n",
                   bench_candidates[row->candidate].label, row->ops, row->errors);
        }
    }
  else if (s->pattern->memory)
    {
      g_print ("| %-40s | %12s | %16s | %12s |\n", "allocator", "resident MiB",
               "overhead B/block", "vs glibc");
      g_print ("|:%s|%s:|%s:|%s:|\n", "-----------------------------------------",
               "-------------", "-----------------", "-------------");
      for (guint i = 0; i < result->rows->len; i++)
        {
          const BenchRow *row = &g_array_index (result->rows, BenchRow, i);
          double overhead = ((double) row->rss_bytes - (double) row->payload) / MAX (row->n_blocks, 1);

          g_print ("| %-40s | %12.1f | %16.1f | %11.2fx |\n",
                   bench_candidates[row->candidate].label,
                   (double) row->rss_bytes / (1024.0 * 1024.0), overhead, row->ratio[0]);
        }
      g_print ("\nvs glibc: resident memory relative to glibc's (below 1.00: less memory). "
               "Payload: %.1f MiB.\n",
               result->rows->len ? (double) g_array_index (result->rows, BenchRow, 0).payload /
                                   (1024.0 * 1024.0) : 0.0);
    }
  else
    {
      g_autofree char *vs = g_strdup_printf ("vs %s", base);

      g_print ("| %-40s | %8s | %17s | %-28s |\n", "allocator", "ns/op", "min-max", vs);
      g_print ("|:%s|%s:|%s:|:%s|\n", "-----------------------------------------",
               "---------", "------------------", "-----------------------------");
      for (guint i = 0; i < result->rows->len; i++)
        {
          const BenchRow *row = &g_array_index (result->rows, BenchRow, i);
          double nmin, nmed, nmax, rmin, rmed, rmax;
          g_autofree char *range = NULL, *ratio = NULL;

          bench_row_summary (row, row->ns, &nmin, &nmed, &nmax);
          bench_row_summary (row, row->ratio, &rmin, &rmed, &rmax);
          range = g_strdup_printf ("%.2f-%.2f", nmin, nmax);
          ratio = i == 0 ? g_strdup ("baseline") :
                  g_strdup_printf ("%.2fx [%.2f-%.2f]", rmed, rmin, rmax);
          g_print ("| %-40s | %8.2f | %17s | %-28s |\n",
                   bench_candidates[row->candidate].label, nmed, range, ratio);
        }
    }

  for (guint i = 0; i < result->rows->len; i++)
    {
      const BenchRow *row = &g_array_index (result->rows, BenchRow, i);

      if (row->errors != 0)
        g_print ("- %s: %" G_GUINT64_FORMAT " blocks did not read back what was written\n",
                 bench_candidates[row->candidate].label, row->errors);
    }
  print_skips (result);
}

/* The summary: one line per scenario, one column per allocator, the
 * median of per-round ratios against glibc. The pool's variants (size
 * classes at mixed sizes, thread-safe in the threaded scenarios) share a
 * column. */

static BenchCandidateId
column_of (BenchCandidateId id)
{
  switch (id)
    {
    case BENCH_CAND_nm_pool_classes:
    case BENCH_CAND_nm_pool_ts:
    case BENCH_CAND_nm_pool_ts_classes:
      return BENCH_CAND_nm_pool;
    default:
      return id;
    }
}

static char *
format_ratio (double r)
{
  if (r >= 100)
    return g_strdup (">100");
  if (r >= 10)
    return g_strdup_printf ("%.0f", r);
  return g_strdup_printf ("%.2f", r);
}

static void
summary_table (GPtrArray  *results,
               gboolean    memory)
{
  gboolean used[BENCH_N_CANDIDATES] = { FALSE };
  guint n_lines = 0;

  for (guint i = 0; i < results->len; i++)
    {
      const BenchResult *result = g_ptr_array_index (results, i);

      if (result->scenario->n_list > 0 || result->scenario->pattern->memory != memory)
        continue;
      n_lines++;
      for (guint j = 1; j < result->rows->len; j++)
        used[column_of (g_array_index (result->rows, BenchRow, j).candidate)] = TRUE;
    }
  if (n_lines == 0)
    return;

  if (memory)
    g_print ("\n### Memory: resident memory of 1 M live blocks against glibc's (below 1: less)\n\n");
  else
    g_print ("\n### Speed against glibc malloc (median of per-round ratios; above 1: faster)\n\n");

  g_print ("| scenario |");
  for (guint c = 0; c < BENCH_N_CANDIDATES; c++)
    if (used[c])
      g_print (" %s |", bench_candidates[c].id);
  g_print ("\n|:--|");
  for (guint c = 0; c < BENCH_N_CANDIDATES; c++)
    if (used[c])
      g_print ("--:|");
  g_print ("\n");

  for (guint i = 0; i < results->len; i++)
    {
      const BenchResult *result = g_ptr_array_index (results, i);
      double value[BENCH_N_CANDIDATES];
      gboolean have[BENCH_N_CANDIDATES] = { FALSE };

      if (result->scenario->n_list > 0 || result->scenario->pattern->memory != memory)
        continue;
      for (guint j = 1; j < result->rows->len; j++)
        {
          const BenchRow *row = &g_array_index (result->rows, BenchRow, j);
          BenchCandidateId c = column_of (row->candidate);
          double min, max;

          if (memory)
            value[c] = row->ratio[0];
          else
            bench_row_summary (row, row->ratio, &min, &value[c], &max);
          have[c] = TRUE;
        }
      g_print ("| %s |", result->scenario->id);
      for (guint c = 0; c < BENCH_N_CANDIDATES; c++)
        if (used[c])
          {
            g_autofree char *text = have[c] ? format_ratio (value[c]) : g_strdup ("-");
            g_print (" %s |", text);
          }
      g_print ("\n");
    }
}

void
bench_table_summary (GPtrArray *results,
                     GPtrArray *extras)
{
  gboolean views = FALSE;

  if (bench_options.quick)
    return;

  g_print ("\n## Summary\n");
  summary_table (results, FALSE);
  summary_table (results, TRUE);

  for (guint i = 0; i < results->len; i++)
    {
      const BenchResult *result = g_ptr_array_index (results, i);
      double min, median, max;
      const BenchRow *row;

      if (result->scenario->n_list == 0 || result->rows->len < 2)
        continue;
      if (!views)
        g_print ("\n### Overheads (the first row's time / the second's; below 1: the second is slower)\n\n"
                 "| view | against | ratio | min-max |\n|:--|:--|--:|--:|\n");
      views = TRUE;
      row = &g_array_index (result->rows, BenchRow, 1);
      bench_row_summary (row, row->ratio, &min, &median, &max);
      g_print ("| %s | %s | %.2f | %.2f-%.2f |\n", bench_candidates[row->candidate].label,
               bench_candidates[result->baseline].label, median, min, max);
    }
  /* The views measured across processes (the tools' annotations), from
   * their tables of their own. */
  for (guint i = 0; extras != NULL && i < extras->len; i++)
    {
      const BenchExtra *e = g_ptr_array_index (extras, i);
      const BenchExtraRow *first, *row;
      double min, median, max;
      const char *label;

      if (!g_str_has_prefix (e->id, "view-") || e->rows->len < 2)
        continue;
      first = &g_array_index (e->rows, BenchExtraRow, 0);
      row = &g_array_index (e->rows, BenchExtraRow, 1);
      if (row->n_rounds == 0)
        continue;
      if (!views)
        g_print ("\n### Overheads (the first row's time / the second's; below 1: the second is slower)\n\n"
                 "| view | against | ratio | min-max |\n|:--|:--|--:|--:|\n");
      views = TRUE;
      label = strstr (e->title, ": ") ? strstr (e->title, ": ") + 2 : e->title;
      bench_summary (row->ratio, row->n_rounds, &min, &median, &max);
      g_print ("| %s | %s | %.2f | %.2f-%.2f |\n", label, first->candidate, median, min, max);
    }

  {
    guint64 rounds = 0, retried = 0, disturbed = 0;

    for (guint i = 0; i < results->len; i++)
      {
        const BenchResult *result = g_ptr_array_index (results, i);

        if (result->scenario->pattern->memory)
          continue;
        for (guint j = 0; j < result->rows->len; j++)
          {
            const BenchRow *row = &g_array_index (result->rows, BenchRow, j);

            rounds += row->n_rounds;
            retried += row->retried;
            disturbed += row->disturbed;
          }
      }
    g_print ("\nRounds: %" G_GUINT64_FORMAT " timed, %" G_GUINT64_FORMAT " attempts run again "
             "because preemption had stretched them, %" G_GUINT64_FORMAT " kept although every "
             "attempt was stretched (per row in the JSON).\n", rounds, retried, disturbed);
  }

  g_print ("\nnm_pool: one pool of 64 B blocks at 64 B; six pools of 16-512 B (size classes) at "
           "mixed sizes; the thread-safe pool in the threaded scenarios. \"-\": the allocator "
           "cannot run the pattern (see the scenario's table). \">100\": an arena's release that "
           "takes microseconds, where the exact ratio is timer noise.\n");
}

void
bench_table_extra (const BenchExtra *e)
{
  g_print ("\n## %s\n\n%s\n\n", e->title, e->description);
  if (g_strcmp0 (e->kind, "time") == 0 && !bench_options.quick)
    {
      const BenchExtraRow *first = &g_array_index (e->rows, BenchExtraRow, 0);
      g_autofree char *vs = g_strdup_printf ("vs %s", first->candidate);

      g_print ("| %-36s | %8s | %17s | %-28s |\n", "candidate", "ns/op", "min-max", vs);
      g_print ("|:%s|%s:|%s:|:%s|\n", "-------------------------------------",
               "---------", "------------------", "-----------------------------");
      for (guint i = 0; i < e->rows->len; i++)
        {
          const BenchExtraRow *row = &g_array_index (e->rows, BenchExtraRow, i);
          double nmin, nmed, nmax, rmin, rmed, rmax;
          g_autofree char *range = NULL, *ratio = NULL;

          bench_summary (row->ns, row->n_rounds, &nmin, &nmed, &nmax);
          bench_summary (row->ratio, row->n_rounds, &rmin, &rmed, &rmax);
          range = g_strdup_printf ("%.2f-%.2f", nmin, nmax);
          ratio = i == 0 ? g_strdup ("baseline") :
                  g_strdup_printf ("%.2fx [%.2f-%.2f]", rmed, rmin, rmax);
          g_print ("| %-36s | %8.2f | %17s | %-28s |\n", row->candidate, nmed, range, ratio);
        }
    }
  else
    {
      g_print ("| %-36s | %16s | %12s | %8s |\n", "candidate", e->unit, "operations", "errors");
      g_print ("|:%s|%s:|%s:|%s:|\n", "-------------------------------------",
               "-----------------", "-------------", "---------");
      for (guint i = 0; i < e->rows->len; i++)
        {
          const BenchExtraRow *row = &g_array_index (e->rows, BenchExtraRow, i);

          if (row->n_rounds == 0)
            g_print ("| %-36s | %16.2f | %12" G_GUINT64_FORMAT " | %8" G_GUINT64_FORMAT " |\n",
                     row->candidate, row->value, row->ops, row->errors);
          else
            g_print ("| %-36s | %16s | %12" G_GUINT64_FORMAT " | %8" G_GUINT64_FORMAT " |\n",
                     row->candidate, "(quick)", row->ops, row->errors);
        }
    }
}
