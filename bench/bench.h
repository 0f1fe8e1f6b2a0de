/* bench.h: the benchmark harness
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A group is one allocation pattern measured for several allocators. The
 * first row of a group is its baseline (glibc); every row is reported as
 * nanoseconds per operation (median of the runs) and as a speed ratio
 * against the baseline, all from the same run of the program, since
 * absolute times drift on a shared machine.
 */

#pragma once

#include <glib.h>

/* Runs @n_iterations iterations of the pattern on @data. */
typedef void (*BenchFunc) (gpointer data,
                           guint64  n_iterations);

void   bench_group_begin (const char *title,
                          const char *pattern);
/* Measures @func, whose every iteration performs @ops_per_iteration
 * operations (an alloc+free pair, say). Returns ns per operation. */
double bench_row         (const char *label,
                          BenchFunc   func,
                          gpointer    data,
                          guint64     ops_per_iteration);
/* What bench_row() measures, without a row. */
double bench_measure     (BenchFunc   func,
                          gpointer    data,
                          guint64     ops_per_iteration);
/* Adds a row measured elsewhere (threaded runs), in ns per operation. */
void   bench_row_value   (const char *label,
                          double      ns_per_op);
void   bench_group_end   (void);

/* The glibc baseline of the batch patterns: @batch mallocs of @size bytes
 * (first word written), then their frees, oldest or newest first. Pass a
 * BenchMallocPattern as the data of bench_row (…, bench_run_malloc, …). */
typedef struct
{
  guint    batch;
  gsize    size;
  gboolean newest_first;
} BenchMallocPattern;

void   bench_run_malloc  (gpointer    data,
                          guint64     n_iterations);

/* Runs @run on @a and @b in two threads released together (each waits
 * until *@start is set) and returns the wall time in nanoseconds. */
double bench_two_threads (GThreadFunc run,
                          gpointer    a,
                          gpointer    b,
                          gint       *start);

/* Sorts @samples and returns the middle one. */
double bench_median      (double     *samples,
                          guint       n_samples);

/* Whether the group should run: all by default, or those matching the
 * --only argument. */
gboolean bench_wants     (const char *group_id);

/* Keeps the compiler from optimising a pointer away. */
static inline void
bench_escape (void *p)
{
  __asm__ volatile ("" : : "g" (p) : "memory");
}

extern guint bench_runs;
/* Measure without printing rows (child runs that report figures). */
extern gboolean bench_quiet;
extern double bench_target_seconds;

void bench_bump_run (void);
void bench_pool_run (void);
void bench_depot_run (void);
void bench_stack_run (void);
