/* bench-pattern.h: writing a pattern once for every candidate
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A pattern is a static always-inline body taking a const BenchOps *. A
 * pattern file defines BENCH_PATTERN to its name and expands
 * BENCH_CANDIDATES (BENCH_INSTANTIATE): one function per candidate, each
 * calling the body with that candidate's constant ops, so the compiler
 * inlines the candidate's calls into the loop (nothing is called through
 * BenchOps at run time). BENCH_PATTERN_RUNS fills BenchPattern.run.
 *
 * Every block is written at both ends when allocated and read back before
 * it is freed or released: a wrong block is counted in BenchCheck.errors,
 * and the bytes read go into the checksum, so nothing is optimised away.
 * All candidates pay the same for this.
 */

#pragma once

#include "bench.h"
#include "bench-ops-peers.h"
#include "bench-ops-nebula.h"

#define BENCH_INLINE static inline __attribute__ ((always_inline))

#define BENCH_INSTANTIATE(name)  BENCH_INSTANTIATE_ (BENCH_PATTERN, name)
#define BENCH_INSTANTIATE_(p, n) BENCH_INSTANTIATE__ (p, n)
#define BENCH_INSTANTIATE__(p, n)                                            \
  static double __attribute__ ((noinline))                                  \
  p##_##n (const BenchParams *params, guint64 iterations, BenchCheck *check) \
  {                                                                          \
    return p##_body (&bench_ops_##n, params, iterations, check);             \
  }

#define BENCH_RUN_ENTRY(name)  BENCH_RUN_ENTRY_ (BENCH_PATTERN, name)
#define BENCH_RUN_ENTRY_(p, n) BENCH_RUN_ENTRY__ (p, n)
#define BENCH_RUN_ENTRY__(p, n) [BENCH_CAND_##n] = p##_##n,

#define BENCH_PATTERN_RUNS { BENCH_CANDIDATES (BENCH_RUN_ENTRY) }

/* Out of memory in a benchmark is not a result (bench-peers.c). */
G_GNUC_NORETURN void bench_out_of_memory (gsize size);

BENCH_INLINE guint8 *
bench_alloc (const BenchOps *ops,
             gpointer        ctx,
             gpointer        parent,
             gsize           size,
             guint8          tag)
{
  guint8 *b = ops->alloc (ctx, parent, size);

  if (G_UNLIKELY (b == NULL))
    bench_out_of_memory (size);
  b[size - 1] = tag;
  return b;
}

BENCH_INLINE void
bench_verify (const guint8 *b,
              gsize         size,
              guint8        tag,
              BenchCheck   *check)
{
  check->checksum += b[size - 1];
  check->errors += b[size - 1] != tag;
}

/* Blocks of the batch patterns: the tag is the low byte of the index. */
#define BENCH_TAG(i) ((guint8) ((i) * 7 + 1))

BENCH_INLINE gsize
bench_size (const BenchParams *params,
            guint64            i)
{
  return params->sizes[i & BENCH_SIZE_MASK];
}

/* Releases @n blocks: everything at once if the candidate can, else one by
 * one, oldest first. */
BENCH_INLINE void
bench_release_all (const BenchOps    *ops,
                   gpointer           ctx,
                   guint8           **blocks,
                   guint64            first,
                   guint64            n,
                   const BenchParams *params)
{
  if (ops->release != NULL)
    ops->release (ctx);
  else
    for (guint64 j = 0; j < n; j++)
      ops->free (ctx, blocks[j], bench_size (params, first + j));
}
