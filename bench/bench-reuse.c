/* bench-reuse.c: blocks freed and allocated again, one for one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ring: 64 live blocks in a ring; each operation frees the oldest and
 * allocates a new one in its place. Everything stays in L1: the best case
 * for a free list. ns per free+alloc pair.
 *
 * live: n_live (1 M) live blocks, allocated untimed; each operation frees
 * one picked in a fixed random order and allocates a new one in its place:
 * cache misses, scattered free lists, what a long-running program sees.
 * ns per free+alloc pair.
 *
 * Both need single frees, so the arenas have no row.
 */

#include "bench-pattern.h"

#define RING 64

BENCH_INLINE double
ring_body (const BenchOps    *ops,
           const BenchParams *params,
           guint64            n,
           BenchCheck        *check)
{
  guint8 *slot[RING];
  guint64 index[RING];
  gpointer ctx;
  double t0, t;

  if (ops->free == NULL)
    return 0;

  ctx = ops->open (RING * 1024, params->mix);
  for (guint j = 0; j < RING; j++)
    {
      index[j] = j;
      slot[j] = bench_alloc (ops, ctx, NULL, bench_size (params, j), BENCH_TAG (j));
    }

  t0 = bench_now_ns ();
  for (guint64 it = 0; it < n; it++)
    for (guint j = 0; j < RING; j++)
      {
        guint64 k = RING + it * RING + j;
        gsize old_size = bench_size (params, index[j]);

        bench_verify (slot[j], old_size, BENCH_TAG (index[j]), check);
        ops->free (ctx, slot[j], old_size);
        slot[j] = bench_alloc (ops, ctx, NULL, bench_size (params, k), BENCH_TAG (k));
        index[j] = k;
      }
  t = bench_now_ns () - t0;

  for (guint j = 0; j < RING; j++)
    ops->free (ctx, slot[j], bench_size (params, index[j]));
  ops->close (ctx);
  check->ops += n * RING;
  return t;
}

#define BENCH_PATTERN ring
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_ring = {
  "ring", "free+alloc", BENCH_CAN_FREE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN

BENCH_INLINE double
live_body (const BenchOps    *ops,
           const BenchParams *params,
           guint64            n,
           BenchCheck        *check)
{
  guint n_live = params->n_live;
  guint8 **slot;
  guint64 *index;
  gpointer ctx;
  double t0, t;

  if (ops->free == NULL)
    return 0;

  slot = bench_harness_alloc (n_live * sizeof (guint8 *));
  index = bench_harness_alloc (n_live * sizeof (guint64));
  ctx = ops->open ((gsize) n_live * 544, params->mix);
  for (guint j = 0; j < n_live; j++)
    {
      index[j] = j;
      slot[j] = bench_alloc (ops, ctx, NULL, bench_size (params, j), BENCH_TAG (j));
    }

  t0 = bench_now_ns ();
  for (guint64 i = 0; i < n; i++)
    {
      guint j = params->order[i % n_live];
      guint64 k = n_live + i;
      gsize old_size = bench_size (params, index[j]);

      bench_verify (slot[j], old_size, BENCH_TAG (index[j]), check);
      ops->free (ctx, slot[j], old_size);
      slot[j] = bench_alloc (ops, ctx, NULL, bench_size (params, k), BENCH_TAG (k));
      index[j] = k;
    }
  t = bench_now_ns () - t0;

  for (guint j = 0; j < n_live; j++)
    ops->free (ctx, slot[j], bench_size (params, index[j]));
  ops->close (ctx);
  bench_harness_free (slot, n_live * sizeof (guint8 *));
  bench_harness_free (index, n_live * sizeof (guint64));
  check->ops += n;
  return t;
}

#define BENCH_PATTERN live
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_live = {
  "live", "free+alloc", BENCH_CAN_FREE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
