/* bench.h: what the parts of nm-bench share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The method (DESIGN.md rule 8): a scenario runs all its candidates in
 * interleaved rounds, A B C A B C ..., after one warm-up round; each round
 * gives every candidate a time per operation, and its ratio against the
 * scenario's baseline is computed within that round, so that drift of the
 * machine between rounds cancels. A row reports the median, min and max
 * over the rounds of both. A round that preemption stretched far beyond
 * its process's usual is run again (bench-harness.c), and no allocator
 * gives memory back to the kernel between rounds (bench-peers.c,
 * bench_machine_settle_glibc()), so page faults stay out of the timed
 * parts.
 *
 * A candidate is one way of allocating (glibc malloc, a talloc pool, a
 * NmPoolAllocator called directly, ...): a BenchOps table of small inline
 * functions, see bench-candidates.h. A pattern is one allocation pattern
 * written once against BenchOps and instantiated per candidate, so each
 * candidate's calls are compiled in place, see bench-pattern.h. A scenario
 * is a pattern at a size mix with a list of candidates, one entry in the
 * table of bench-scenarios.c.
 */

#pragma once

#include <glib.h>

#include "bench-candidates.h"

G_BEGIN_DECLS

/* Sizes: 4096 entries, read in order (index & BENCH_SIZE_MASK) by every
 * candidate, so all of them see the same sequence. */
#define BENCH_N_SIZES   4096
#define BENCH_SIZE_MASK (BENCH_N_SIZES - 1)

typedef enum
{
  BENCH_SIZES_64,     /* every block 64 bytes */
  BENCH_SIZES_MIXED,  /* 16-512 bytes, multiples of 8, fixed pseudo-random sequence */
} BenchSizeMix;

/* What a pattern gets: all read-only while it runs. */
typedef struct
{
  BenchSizeMix   mix;
  const guint32 *sizes;      /* BENCH_N_SIZES entries */
  const guint32 *random;     /* BENCH_N_SIZES pseudo-random words, for tree shapes */
  const guint32 *order;      /* a permutation of 0 ... n_live - 1 */
  guint          n_live;     /* live blocks of the large patterns */
  guint          n_threads;  /* threaded patterns */
} BenchParams;

/* What a run reports besides its time. */
typedef struct
{
  guint64 ops;        /* operations done (the unit of ns/op) */
  guint64 errors;     /* blocks that did not read back what was written, NULL returns */
  guint64 checksum;   /* bytes read back, so no work can be optimised away */
  guint64 rss_bytes;  /* memory patterns: resident bytes added */
  guint64 payload;    /* memory patterns: bytes requested */
} BenchCheck;

/* One round of one candidate: performs about @n iterations and returns
 * the nanoseconds of the timed part (set-up and clean-up are not timed):
 * the thread's CPU time (the threaded pattern adds up its threads'). */
typedef double (*BenchRunFunc) (const BenchParams *params,
                                guint64            n,
                                BenchCheck        *check);

/* A pattern instantiated for every candidate. */
typedef struct
{
  const char   *id;
  const char   *unit;        /* what one operation is, for the table */
  guint         needs;       /* BenchCaps a candidate must have one of */
  gboolean      memory;      /* measures resident memory, not time */
  BenchRunFunc  run[BENCH_N_CANDIDATES];
} BenchPattern;

extern const BenchPattern bench_pattern_batch;
extern const BenchPattern bench_pattern_reset;
extern const BenchPattern bench_pattern_ring;
extern const BenchPattern bench_pattern_live;
extern const BenchPattern bench_pattern_request;
extern const BenchPattern bench_pattern_ast;
extern const BenchPattern bench_pattern_scratch;
extern const BenchPattern bench_pattern_threads;
extern const BenchPattern bench_pattern_memory;

/* bench-reuse.c: frees the live sets the live pattern keeps between
 * rounds for @mix (every candidate's). */
void bench_live_drop (BenchSizeMix mix);

#define BENCH_MAX_LIST 8

/* Rounds of the threaded scenarios per round of the others
 * and of the live ones (bench-scenarios.c), and the most releases a round of the reset
 * scenarios times (bench-batch.c). */
#define BENCH_THREADS_ROUNDS    3
#define BENCH_LIVE_ROUNDS       3
#define BENCH_RESET_MAX_REPEATS 8

/* A round is disturbed when its wall time over its CPU time is more than
 * this many times the usual of its process (bench-harness.c). */
#define BENCH_STRETCH_LIMIT 2.0

/* One entry of the scenario table. */
typedef struct
{
  const char         *id;
  const char         *title;
  const char         *description;
  const BenchPattern *pattern;
  BenchSizeMix        mix;
  guint               n_threads;
  /* Empty: every candidate the pattern can run (the main tables, baseline
   * glibc). Otherwise exactly these, the first being the baseline (the
   * overhead views). */
  BenchCandidateId    list[BENCH_MAX_LIST];
  guint               n_list;
  /* Timed rounds of this scenario per round of the others (0 means 1):
   * the threaded scenarios, whose rounds spread most, take more. */
  guint               rounds_factor;
} BenchScenario;

extern const BenchScenario bench_scenarios[];
extern const guint         bench_n_scenarios;

/* Results */

typedef struct
{
  BenchCandidateId  candidate;
  guint             n_rounds;
  double           *ns;        /* per round, ns per operation */
  double           *ratio;     /* per round, baseline ns / this ns */
  guint64           ops;       /* of the last round */
  guint64           errors;    /* over all rounds */
  guint64           rss_bytes; /* memory rows */
  guint64           payload;
  guint             n_blocks;
  /* Rounds run in this many worker processes, n_rounds / n_procs each,
   * stored one process after the other; 0 or 1: this process. */
  guint             n_procs;
  /* Rounds run again because the process was kept off the CPU for much
   * longer than usual while they ran (see bench_scenario_round), and
   * rounds kept although every attempt was disturbed so. */
  guint             retried;
  guint             disturbed;
} BenchRow;

typedef struct
{
  BenchCandidateId  candidate;
  const char       *reason;
} BenchSkip;

typedef struct
{
  const BenchScenario *scenario;
  BenchCandidateId     baseline;
  GArray              *rows;   /* BenchRow */
  GArray              *skips;  /* BenchSkip */
  guint64              iterations;
} BenchResult;

typedef struct
{
  guint    runs;          /* timed rounds */
  double   round_seconds; /* target time of one candidate's round */
  gboolean quick;         /* brief, checks only, no timings claimed */
  int      pin_cpu;       /* -1: not pinned */
  guint    n_live;
  const char *command;    /* how this run was started, for the output */
  guint    processes;     /* worker processes the timed rounds run in */
  guint    retries;       /* attempts of a disturbed round beyond the first */
} BenchOptions;

extern BenchOptions bench_options;

/* bench-harness.c */
/* Picks the candidates, sizes the rounds, warms up (memory scenarios: the
 * whole measurement). */
BenchResult *bench_scenario_prepare (const BenchScenario *scenario,
                                     guint                index,
                                     guint                n_scenarios);
gboolean     bench_scenario_is_large (const BenchScenario *scenario);
/* Memory for the harness's own arrays, outside every allocator measured. */
gpointer     bench_harness_alloc    (gsize                size);
void         bench_harness_free     (gpointer             mem,
                                     gsize                size);
/* One timed round of every candidate of the scenario. */
void         bench_scenario_round   (BenchResult         *result,
                                     guint                round,
                                     guint                index,
                                     guint                n_scenarios);
void         bench_result_free      (BenchResult         *result);
/* Iterations for a round of about round_seconds of @candidate in @s. */
guint64      bench_calibrate        (const BenchScenario *s,
                                     BenchCandidateId     candidate);
/* A warm-up and @rounds timed rounds of one candidate, back to back: for
 * comparisons across processes (the annotation rows), where the
 * interleaving is between processes. */
void         bench_run_rounds       (const BenchScenario *s,
                                     BenchCandidateId     candidate,
                                     guint64              n,
                                     guint                rounds,
                                     double              *ns,
                                     guint64             *ops,
                                     guint64             *errors);
/* Timed rounds of @scenario in a process that runs @runs rounds */
guint        bench_scenario_runs    (const BenchScenario *scenario,
                                     guint                runs);
/* The rows and skips of a scenario, nothing run: the parent of worker
 * processes fills the rounds from what they report. */
BenchResult *bench_scenario_select  (const BenchScenario *scenario,
                                     guint                runs);
/* A row's figure over its rounds: min, median and max over every round
 * of every process. */
void         bench_row_summary      (const BenchRow      *row,
                                     const double        *samples,
                                     double              *min,
                                     double              *median,
                                     double              *max);
void         bench_summary          (const double        *samples,
                                     guint                n,
                                     double              *min,
                                     double              *median,
                                     double              *max);
/* CPU time of the calling thread, for the single-thread patterns */
double       bench_now_ns           (void);
/* Wall time */
double       bench_wall_ns          (void);
void         bench_params_init      (BenchParams         *params,
                                     BenchSizeMix         mix,
                                     guint                n_threads);
void         bench_progress         (const char          *format,
                                     ...) G_GNUC_PRINTF (1, 2);
void         bench_progress_end     (void);

/* Families with tables of their own (the async cache, budget charging):
 * not allocators run through a pattern, but rows measured by the family's
 * own code. A time row has per-round ns and a per-round ratio against the
 * family table's first row, like a scenario's; a row that is not a time
 * (a hit ratio, bytes per entry) has one value. */
typedef struct
{
  char    *candidate;
  guint    n_rounds;   /* 0: not a time, see value */
  double  *ns;         /* per round, ns per operation */
  double  *ratio;      /* per round, first row's ns / this ns */
  double   value;      /* a hit ratio in %, bytes per entry, ... */
  guint64  ops;        /* operations of the last round */
  guint64  errors;     /* wrong results (a lookup that missed, a lost callback) */
} BenchExtraRow;

typedef struct
{
  char       *id;
  char       *title;
  char       *description;
  const char *kind;    /* "time", "hit-ratio", "memory" */
  const char *unit;    /* of ns or value */
  GArray     *rows;    /* BenchExtraRow */
} BenchExtra;

BenchExtra    *bench_extra_new          (const char          *id,
                                         const char          *kind,
                                         const char          *unit,
                                         const char          *title,
                                         const char          *description);
BenchExtraRow *bench_extra_add_row      (BenchExtra          *extra,
                                         const char          *candidate,
                                         guint                n_rounds);
/* Fills every row's ratio from the rows' ns, round by round. */
void           bench_extra_ratios       (BenchExtra          *extra);
void           bench_extra_free         (BenchExtra          *extra);

/* bench-cache.c: NmAsyncCache hit latency, hit ratios, memory per entry */
void         bench_cache_run        (GPtrArray           *extras);
/* bench-budget.c: the cost of a charge per level of a budget tree */
void         bench_budget_run       (GPtrArray           *extras);

/* bench-annotations.c: the tools' annotations compiled in and out, no
 * tool running, in processes of their own */
void         bench_annotations_run  (GPtrArray           *extras);
int          bench_annotations_child_main (const char    *spec);

/* bench-memory.c: the measurement of one candidate, in a process of its own */
int          bench_memory_child_main (const char         *spec);

/* bench-machine.c */
void         bench_machine_reexec_for_tls (char **argv);
/* Fixes glibc's trim and mmap thresholds (mallopt) so that no round
 * returns memory to the kernel or maps it anew; for the timed processes. */
void         bench_machine_settle_glibc (void);
/* Ticks stolen by the hypervisor from all CPUs so far (/proc/stat) */
guint64      bench_machine_steal_ticks (void);
/* The CPU time of the whole process, all threads */
double       bench_process_cpu_ns   (void);
void         bench_machine_unpin_thread (void);
gboolean     bench_machine_pin      (int                  cpu,
                                     GError             **error);
/* Key / value pairs naming the machine, NULL-terminated, static. */
const char *const *bench_machine_describe (void);

/* bench-table.c, bench-json.c, bench-svg.c */
void         bench_table_header     (void);
void         bench_table_print      (const BenchResult   *result);
void         bench_table_peers      (void);
void         bench_table_summary    (GPtrArray           *results,
                                     GPtrArray           *extras);
void         bench_table_extra      (const BenchExtra    *extra);
char        *bench_json_write       (GPtrArray           *results,
                                     GPtrArray           *extras);
char        *bench_svg_write        (GPtrArray           *results);

G_END_DECLS
