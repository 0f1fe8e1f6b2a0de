/* bench-batch.c: allocate a batch, then release it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * batch: 256 blocks allocated, read back, released: by a reset, clear or
 * heap destroy for the arenas, one free each (oldest first) for the others.
 * The per-request or per-frame pattern arenas are made for. ns per block.
 *
 * reset: the same at scale, one large arena: n_live blocks (1 M) allocated
 * untimed, then the release alone is timed. ns per block released. A
 * round's iterations are sized on the baseline (one release of a million
 * blocks one by one lasts about a round), but an arena's reset is 20 to 70
 * times faster: one reset alone would be timed over a millisecond or less,
 * at the mercy of one interrupt or one cold page-table walk. So every
 * candidate repeats allocate-untimed, release-timed until its timed part
 * reaches half a round (BENCH_RESET_MAX_REPEATS at most), and the time per block
 * released is over all of them.
 */

#include "bench-pattern.h"

#define BATCH 256

BENCH_INLINE double
batch_body (const BenchOps    *ops,
            const BenchParams *params,
            guint64            n,
            BenchCheck        *check)
{
  guint8 *blocks[BATCH];
  gpointer ctx = ops->open (BATCH * 1024, params->mix);
  guint64 k = 0;
  double t0 = bench_now_ns (), t;

  for (guint64 it = 0; it < n; it++, k += BATCH)
    {
      for (guint j = 0; j < BATCH; j++)
        blocks[j] = bench_alloc (ops, ctx, NULL, bench_size (params, k + j), BENCH_TAG (j));
      for (guint j = 0; j < BATCH; j++)
        bench_verify (blocks[j], bench_size (params, k + j), BENCH_TAG (j), check);
      bench_release_all (ops, ctx, blocks, k, BATCH, params);
    }
  t = bench_now_ns () - t0;

  ops->close (ctx);
  check->ops += n * BATCH;
  return t;
}

#define BENCH_PATTERN batch
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_batch = {
  "batch", "block", BENCH_CAN_FREE | BENCH_CAN_RELEASE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN

BENCH_INLINE double
reset_body (const BenchOps    *ops,
            const BenchParams *params,
            guint64            n,
            BenchCheck        *check)
{
  guint n_live = params->n_live;
  guint8 **blocks = bench_harness_alloc (n_live * sizeof (guint8 *));
  gpointer ctx = ops->open ((gsize) n_live * 544, params->mix);
  double t = 0, enough = bench_options.quick ? 0 : bench_options.round_seconds * 1e9 / 2;
  guint64 it;

  for (it = 0; it < n || (t < enough && it < BENCH_RESET_MAX_REPEATS); it++)
    {
      double t0;

      for (guint j = 0; j < n_live; j++)
        blocks[j] = bench_alloc (ops, ctx, NULL, bench_size (params, j), BENCH_TAG (j));
      for (guint j = 0; j < n_live; j++)
        bench_verify (blocks[j], bench_size (params, j), BENCH_TAG (j), check);

      t0 = bench_now_ns ();
      bench_release_all (ops, ctx, blocks, 0, n_live, params);
      t += bench_now_ns () - t0;
    }

  ops->close (ctx);
  bench_harness_free (blocks, n_live * sizeof (guint8 *));
  check->ops += it * n_live;
  return t;
}

#define BENCH_PATTERN reset
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_reset = {
  "reset", "block released", BENCH_CAN_FREE | BENCH_CAN_RELEASE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
