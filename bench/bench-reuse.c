/* bench-reuse.c: blocks freed and allocated again, one for one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ring: 64 live blocks in a ring; each operation frees the oldest and
 * allocates a new one in its place. Everything stays in L1: the best case
 * for a free list. ns per free+alloc pair.
 *
 * live: n_live (1 M) live blocks; each operation frees one picked in a
 * fixed random order and allocates a new one in its place: cache misses,
 * scattered free lists, what a long-running program sees. ns per
 * free+alloc pair. The live set is built once per candidate and size mix
 * in a process, untimed, by its first run (the sizing or the warm-up), and
 * kept: every round continues the same replacement where the previous one
 * stopped, so all rounds time the steady state over one live set. (A set
 * built afresh for every round landed on whatever the previous round and
 * the other scenarios had left: no two rounds timed the same layout.)
 *
 * Both need single frees, so the arenas have no row.
 */

#include <string.h>

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

/* The live sets, one per candidate and size mix, kept between rounds.
 * The harness's arrays come from bench_harness_alloc, outside every
 * allocator measured. */
typedef struct
{
  const BenchOps *ops;
  BenchSizeMix    mix;
  guint           n_live;
  gpointer        ctx;
  guint8        **slot;
  guint64        *index;
  guint64         done;   /* replacements so far: where the next round starts */
} LiveSet;

static LiveSet live_sets[2 * BENCH_N_CANDIDATES];

BENCH_INLINE LiveSet *
live_set_get (const BenchOps    *ops,
              const BenchParams *params)
{
  LiveSet *set = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (live_sets); i++)
    {
      if (live_sets[i].ops == ops && live_sets[i].mix == params->mix &&
          live_sets[i].n_live == params->n_live)
        return &live_sets[i];
      if (set == NULL && live_sets[i].ops == NULL)
        set = &live_sets[i];
    }
  g_assert (set != NULL);

  set->ops = ops;
  set->mix = params->mix;
  set->n_live = params->n_live;
  set->done = 0;
  set->slot = bench_harness_alloc (set->n_live * sizeof (guint8 *));
  set->index = bench_harness_alloc (set->n_live * sizeof (guint64));
  set->ctx = ops->open ((gsize) set->n_live * 544, params->mix);
  for (guint j = 0; j < set->n_live; j++)
    {
      set->index[j] = j;
      set->slot[j] = bench_alloc (ops, set->ctx, NULL, bench_size (params, j), BENCH_TAG (j));
    }
  return set;
}

void
bench_live_drop (BenchSizeMix mix)
{
  BenchParams params;

  bench_params_init (&params, mix, 1);
  for (guint i = 0; i < G_N_ELEMENTS (live_sets); i++)
    {
      LiveSet *set = &live_sets[i];

      if (set->ops == NULL || set->mix != mix)
        continue;
      for (guint j = 0; j < set->n_live; j++)
        set->ops->free (set->ctx, set->slot[j], bench_size (&params, set->index[j]));
      set->ops->close (set->ctx);
      bench_harness_free (set->slot, set->n_live * sizeof (guint8 *));
      bench_harness_free (set->index, set->n_live * sizeof (guint64));
      memset (set, 0, sizeof *set);
    }
}

BENCH_INLINE double
live_body (const BenchOps    *ops,
           const BenchParams *params,
           guint64            n,
           BenchCheck        *check)
{
  LiveSet *set;
  guint n_live = params->n_live;
  guint8 **slot;
  guint64 *index;
  double t0, t;

  if (ops->free == NULL)
    return 0;

  set = live_set_get (ops, params);
  slot = set->slot;
  index = set->index;

  t0 = bench_now_ns ();
  for (guint64 i = set->done; i < set->done + n; i++)
    {
      guint j = params->order[i % n_live];
      guint64 k = n_live + i;
      gsize old_size = bench_size (params, index[j]);

      bench_verify (slot[j], old_size, BENCH_TAG (index[j]), check);
      ops->free (set->ctx, slot[j], old_size);
      slot[j] = bench_alloc (ops, set->ctx, NULL, bench_size (params, k), BENCH_TAG (k));
      index[j] = k;
    }
  t = bench_now_ns () - t0;

  set->done += n;
  check->ops += n;
  return t;
}

#define BENCH_PATTERN live
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_live = {
  "live", "free+alloc", BENCH_CAN_FREE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
