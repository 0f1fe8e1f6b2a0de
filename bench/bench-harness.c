/* bench-harness.c: interleaved rounds, per-round ratios, progress
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For each scenario: pick the candidates, size the rounds on the baseline
 * (so each candidate's round lasts about round_seconds for the baseline's
 * speed) and run one warm-up round of every candidate. Then the timed
 * rounds: in round r every scenario runs each of its candidates once, in
 * turn, starting at candidate r (rotating the order, so none is always
 * first after the baseline); each candidate's ratio is taken against the
 * baseline of the same round. Spreading a scenario's rounds over the whole
 * run, rather than running them back to back, means its median samples
 * every phase of whatever else the machine is doing, not one. The large
 * scenarios (a million live blocks) go round among themselves afterwards,
 * so the state they leave behind does not fall into the others' rounds.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

BenchOptions bench_options = {
  .runs = 7,
  .round_seconds = 0.01,
  .quick = FALSE,
  .pin_cpu = -1,
  .n_live = 1 << 20,
  .processes = 3,
  .retries = 2,
};

/* The CPU time of the calling thread: on a machine shared with other
 * work, the time the program waits for a CPU is not the allocator's. Page
 * faults and system calls the allocator causes are counted. */
double
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

double
bench_wall_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* The patterns that keep a million blocks live leave every allocator's
 * state (caches, dirty pages, heap tops) changed for what runs next: they
 * are interleaved among themselves, after the others. */
gboolean
bench_scenario_is_large (const BenchScenario *s)
{
  return s->pattern == &bench_pattern_live || s->pattern == &bench_pattern_reset;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

void
bench_summary (const double *samples,
               guint         n,
               double       *min,
               double       *median,
               double       *max)
{
  g_autofree double *sorted = g_memdup2 (samples, sizeof (double) * n);

  qsort (sorted, n, sizeof (double), compare_doubles);
  *min = sorted[0];
  *max = sorted[n - 1];
  *median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* A row's figure: min, median and max over every round of every process,
 * pooled. (A median of the processes' medians was tried: with the
 * machine's state changing over minutes it only made three samples out
 * of nine; the processes' medians are in the JSON.) */
void
bench_row_summary (const BenchRow *row,
                   const double   *samples,
                   double         *min,
                   double         *median,
                   double         *max)
{
  bench_summary (samples, row->n_rounds, min, median, max);
}

/* Progress on stderr: one line rewritten in place on a terminal, a line
 * per scenario otherwise. */

static gboolean progress_tty = -1;

void
bench_progress (const char *format,
                ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (progress_tty == -1)
    progress_tty = isatty (STDERR_FILENO);
  if (!progress_tty)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "\r\033[K%s", text);
  fflush (stderr);
}

void
bench_progress_end (void)
{
  if (progress_tty == 1)
    fprintf (stderr, "\r\033[K");
}

/* Which candidates a scenario runs */

static const char *
why_not (const BenchScenario *s,
         BenchCandidateId     id)
{
  const BenchCandidate *c = &bench_candidates[id];
  gboolean threaded = s->pattern == &bench_pattern_threads;

  if (c->caps & BENCH_ONLY_LISTED)
    return "";  /* a view's row, not a peer: not listed at all */
  if (!c->available)
    return c->missing;
  if ((c->caps & BENCH_ONLY_THREADS) && !threaded)
    return "the thread-safe pool has rows in the threaded scenarios";
  if (threaded && !(c->caps & BENCH_CAN_THREADS))
    return "not for one instance shared by threads";
  if ((c->caps & BENCH_ONLY_64) && s->mix != BENCH_SIZES_64)
    return "one block size: see the size-classes row";
  if ((c->caps & BENCH_ONLY_MIXED) && s->mix != BENCH_SIZES_MIXED)
    return "size classes are for mixed sizes: see the single pool's row";
  if (!(c->caps & s->pattern->needs))
    return (s->pattern->needs & ~(BENCH_CAN_FREE)) == 0 ?
           "frees only everything at once (or a scope), not one block" :
           "cannot run this pattern";
  return NULL;
}

/* Preemption. Time is CPU time, so waiting for a CPU is not counted, but
 * a round that was kept off the CPU for long also comes back to cold
 * caches, maybe on the other CPU: it is slower for reasons that are not
 * the allocator's. On a shared machine every round waits some; what marks
 * a disturbed one is its stretch (wall time over CPU time, per CPU the
 * case can use) far above what this process's rounds usually see. The
 * usual is the median stretch of the last STRETCH_WINDOW cases. */
#define STRETCH_WINDOW 63
#define STRETCH_FLOOR  1.5   /* never disturbed below this */

static double stretch_window[STRETCH_WINDOW];
static guint  stretch_count;

static double
stretch_usual (void)
{
  double min, median, max;
  guint n = MIN (stretch_count, STRETCH_WINDOW);

  if (n < 8)
    return 0;  /* not known yet: nothing is judged disturbed */
  bench_summary (stretch_window, n, &min, &median, &max);
  return median;
}

static void
stretch_record (double stretch)
{
  stretch_window[stretch_count++ % STRETCH_WINDOW] = stretch;
}

/* Runs one case: a candidate's round, or its warm-up (@round < 0). A round
 * whose stretch is more than BENCH_STRETCH_LIMIT times the usual, or during
 * which the hypervisor stole time from the machine's CPUs (stolen time is
 * counted as the program's CPU time, see bench_machine_steal_ticks), is
 * run again, up to bench_options.retries times; the least disturbed
 * attempt is kept (counted in row->disturbed if even that one was
 * disturbed). */
static void
run_case (const BenchScenario *s,
          const BenchParams   *params,
          BenchRow            *row,
          guint64              n,
          int                  round)
{
  guint cpus = MIN (MAX (params->n_threads, 1), g_get_num_processors ());
  double best_stretch = G_MAXDOUBLE, best_t = 0, usual = stretch_usual ();
  guint64 best_ops = 0;

  if (s->pattern->memory)
    {
      BenchCheck check = { 0 };

      s->pattern->run[row->candidate] (params, n, &check);
      row->errors += check.errors;
      row->ops = check.ops;
      row->rss_bytes = check.rss_bytes;
      row->payload = check.payload;
      return;
    }
  if (s->pattern != &bench_pattern_threads)
    cpus = 1;
  for (guint attempt = 0; attempt <= bench_options.retries; attempt++)
    {
      BenchCheck check = { 0 };
      guint64 steal0 = bench_machine_steal_ticks ();
      double w0 = bench_wall_ns (), c0 = bench_process_cpu_ns ();
      double t = s->pattern->run[row->candidate] (params, n, &check);
      double wall = bench_wall_ns () - w0, cpu = bench_process_cpu_ns () - c0;
      double stretch = wall / MAX (cpu / cpus, 1.0);
      gboolean stolen = bench_machine_steal_ticks () != steal0;
      gboolean disturbed = stolen ||
                           (usual > 0 && stretch > MAX (BENCH_STRETCH_LIMIT * usual, STRETCH_FLOOR));

      row->errors += check.errors;
      row->ops = check.ops;
      row->rss_bytes = check.rss_bytes;
      row->payload = check.payload;
      stretch_record (stretch);
      if (stolen)
        stretch += 1e6;  /* any attempt without steal is kept before one with */
      if (stretch < best_stretch)
        {
          best_stretch = stretch;
          best_t = t;
          best_ops = check.ops;
        }
      if (round < 0 || !disturbed)
        break;
      if (attempt < bench_options.retries)
        row->retried++;
      else
        row->disturbed++;
    }
  if (round >= 0)
    row->ns[round] = best_ops ? best_t / (double) best_ops : 0;
}

static guint64
calibrate (const BenchScenario *s,
           const BenchParams   *params,
           BenchRow            *baseline)
{
  double target = bench_options.quick ? 1e6 : bench_options.round_seconds * 1e9;
  guint64 n = 1;

  for (;;)
    {
      BenchCheck check = { 0 };
      double t = s->pattern->run[baseline->candidate] (params, n, &check);
      double grow;

      if (t >= target * 0.7)
        return n;
      grow = CLAMP (target / MAX (t, 1000.0), 1.5, 1000.0);
      n = (guint64) ((double) n * grow) + 1;
    }
}

guint64
bench_calibrate (const BenchScenario *s,
                 BenchCandidateId     candidate)
{
  BenchParams params;
  BenchRow row = { .candidate = candidate };

  bench_params_init (&params, s->mix, s->n_threads);
  return calibrate (s, &params, &row);
}

void
bench_run_rounds (const BenchScenario *s,
                  BenchCandidateId     candidate,
                  guint64              n,
                  guint                rounds,
                  double              *ns,
                  guint64             *ops,
                  guint64             *errors)
{
  BenchParams params;
  BenchRow row = { .candidate = candidate, .n_rounds = rounds, .ns = ns };

  bench_params_init (&params, s->mix, s->n_threads);
  run_case (s, &params, &row, n, -1);
  for (guint r = 0; r < rounds; r++)
    run_case (s, &params, &row, n, (int) r);
  *ops = row.ops;
  *errors = row.errors;
}

guint
bench_scenario_runs (const BenchScenario *s,
                     guint                runs)
{
  return runs * MAX (s->rounds_factor, 1);
}

BenchResult *
bench_scenario_select (const BenchScenario *s,
                       guint                runs)
{
  BenchResult *result = g_new0 (BenchResult, 1);
  guint n_rows;
  BenchRow *rows;

  result->scenario = s;
  result->rows = g_array_new (FALSE, TRUE, sizeof (BenchRow));
  result->skips = g_array_new (FALSE, TRUE, sizeof (BenchSkip));

  if (s->n_list > 0)
    {
      for (guint i = 0; i < s->n_list; i++)
        {
          BenchRow row = { .candidate = s->list[i] };

          if (!bench_candidates[s->list[i]].available)
            {
              BenchSkip skip = { s->list[i], bench_candidates[s->list[i]].missing };
              g_array_append_val (result->skips, skip);
              continue;
            }
          g_array_append_val (result->rows, row);
        }
    }
  else
    {
      for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
        {
          const char *reason = why_not (s, i);
          BenchRow row = { .candidate = i };

          if (reason == NULL)
            g_array_append_val (result->rows, row);
          else if (*reason != '\0')
            {
              BenchSkip skip = { i, reason };
              g_array_append_val (result->skips, skip);
            }
        }
    }

  n_rows = result->rows->len;
  rows = (BenchRow *) result->rows->data;
  if (n_rows == 0)
    return result;
  result->baseline = rows[0].candidate;
  for (guint i = 0; i < n_rows; i++)
    {
      rows[i].n_rounds = runs;
      rows[i].ns = g_new0 (double, runs);
      rows[i].ratio = g_new0 (double, runs);
    }
  return result;
}

BenchResult *
bench_scenario_prepare (const BenchScenario *s,
                        guint                index,
                        guint                n_scenarios)
{
  BenchResult *result = bench_scenario_select (s, bench_options.quick ? 1 :
                                               bench_scenario_runs (s, bench_options.runs));
  BenchRow *rows = (BenchRow *) result->rows->data;
  guint n_rows = result->rows->len;
  BenchParams params;

  if (n_rows == 0)
    return result;
  bench_params_init (&params, s->mix, s->n_threads);

  if (s->pattern->memory)
    {
      for (guint i = 0; i < n_rows; i++)
        {
          bench_progress ("[%u/%u] %s: %s", index + 1, n_scenarios, s->id,
                          bench_candidates[rows[i].candidate].label);
          run_case (s, &params, &rows[i], 1, -1);
          rows[i].n_rounds = 1;
          rows[i].n_blocks = params.n_live;
          rows[i].ns[0] = (double) rows[i].rss_bytes;
          rows[i].ratio[0] = rows[0].rss_bytes ? (double) rows[i].rss_bytes / (double) rows[0].rss_bytes : 0;
        }
      return result;
    }

  /* A quick run sizes its rounds too, to about a millisecond, so that
   * every pattern does enough to check. */
  bench_progress ("[%u/%u] %s: sizing the rounds", index + 1, n_scenarios, s->id);
  result->iterations = calibrate (s, &params, &rows[0]);

  /* Warm-up: caches, page faults, the allocators' first chunks. */
  if (!bench_options.quick)
    for (guint i = 0; i < n_rows; i++)
      {
        bench_progress ("[%u/%u] %s: warm-up, %s", index + 1, n_scenarios, s->id,
                        bench_candidates[rows[i].candidate].label);
        run_case (s, &params, &rows[i], result->iterations, -1);
      }

  return result;
}

void
bench_scenario_round (BenchResult *result,
                      guint        round,
                      guint        index,
                      guint        n_scenarios)
{
  const BenchScenario *s = result->scenario;
  BenchRow *rows = (BenchRow *) result->rows->data;
  guint n_rows = result->rows->len;
  BenchParams params;

  if (n_rows == 0 || s->pattern->memory)
    return;

  bench_params_init (&params, s->mix, s->n_threads);
  /* A scenario with more rounds than the others runs its share of them
   * here, so they too are spread over the whole run. */
  for (guint sub = 0; sub < MAX (s->rounds_factor, 1); sub++)
    {
      guint rr = round * MAX (s->rounds_factor, 1) + sub;

      if (rr >= rows[0].n_rounds)
        return;
      for (guint j = 0; j < n_rows; j++)
        {
          BenchRow *row = &rows[(j + rr) % n_rows];

          bench_progress ("round %u/%u [%u/%u] %s: %s", rr + 1, rows[0].n_rounds,
                          index + 1, n_scenarios, s->id, bench_candidates[row->candidate].label);
          run_case (s, &params, row, result->iterations, (int) rr);
        }
      for (guint j = 0; j < n_rows; j++)
        rows[j].ratio[rr] = rows[j].ns[rr] > 0 ? rows[0].ns[rr] / rows[j].ns[rr] : 0;
    }
}

void
bench_result_free (BenchResult *result)
{
  if (result->scenario->pattern == &bench_pattern_live)
    bench_live_drop (result->scenario->mix);
  for (guint i = 0; i < result->rows->len; i++)
    {
      BenchRow *row = &g_array_index (result->rows, BenchRow, i);

      g_free (row->ns);
      g_free (row->ratio);
    }
  g_array_unref (result->rows);
  g_array_unref (result->skips);
  g_free (result);
}

/* Families with tables of their own */

BenchExtra *
bench_extra_new (const char *id,
                 const char *kind,
                 const char *unit,
                 const char *title,
                 const char *description)
{
  BenchExtra *extra = g_new0 (BenchExtra, 1);

  extra->id = g_strdup (id);
  extra->kind = kind;
  extra->unit = unit;
  extra->title = g_strdup (title);
  extra->description = g_strdup (description);
  extra->rows = g_array_new (FALSE, TRUE, sizeof (BenchExtraRow));
  return extra;
}

BenchExtraRow *
bench_extra_add_row (BenchExtra *extra,
                     const char *candidate,
                     guint       n_rounds)
{
  BenchExtraRow row = { 0 };

  row.candidate = g_strdup (candidate);
  row.n_rounds = n_rounds;
  if (n_rounds > 0)
    {
      row.ns = g_new0 (double, n_rounds);
      row.ratio = g_new0 (double, n_rounds);
    }
  g_array_append_val (extra->rows, row);
  return &g_array_index (extra->rows, BenchExtraRow, extra->rows->len - 1);
}

void
bench_extra_ratios (BenchExtra *extra)
{
  BenchExtraRow *rows = (BenchExtraRow *) extra->rows->data;

  for (guint i = 0; i < extra->rows->len; i++)
    for (guint r = 0; r < rows[i].n_rounds && r < rows[0].n_rounds; r++)
      rows[i].ratio[r] = rows[i].ns[r] > 0 ? rows[0].ns[r] / rows[i].ns[r] : 0;
}

void
bench_extra_free (BenchExtra *extra)
{
  for (guint i = 0; i < extra->rows->len; i++)
    {
      BenchExtraRow *row = &g_array_index (extra->rows, BenchExtraRow, i);

      g_free (row->candidate);
      g_free (row->ns);
      g_free (row->ratio);
    }
  g_array_unref (extra->rows);
  g_free (extra->id);
  g_free (extra->title);
  g_free (extra->description);
  g_free (extra);
}
