/* bench-scratch.c: nested scratch memory, released newest first
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A recursive computation 7 levels deep with two calls per level (127
 * frames): each frame takes two scratch buffers, calls its children, reads
 * its buffers back and gives them up. Arenas and talloc open a scope per
 * frame (bump checkpoint, obstack mark, APR sub-pool, talloc child context)
 * and close it; NmStackAllocator and the general allocators free the two
 * buffers, newest first. ns per buffer.
 */

#include "bench-pattern.h"

#define DEPTH  6
#define FANOUT 2

typedef struct
{
  gpointer  inner;
  BenchMark mark;
  guint8   *a, *b;
  guint64   ka, kb;
  guint     children;
} Frame;

BENCH_INLINE void
scratch_enter (const BenchOps    *ops,
               gpointer           ctx,
               Frame             *f,
               const BenchParams *params,
               guint64           *k)
{
  f->inner = ops->scope_begin != NULL ? ops->scope_begin (ctx, &f->mark) : ctx;
  f->ka = (*k)++;
  f->kb = (*k)++;
  f->a = bench_alloc (ops, f->inner, NULL, bench_size (params, f->ka), BENCH_TAG (f->ka));
  f->b = bench_alloc (ops, f->inner, NULL, bench_size (params, f->kb), BENCH_TAG (f->kb));
  f->children = 0;
}

BENCH_INLINE void
scratch_leave (const BenchOps    *ops,
               gpointer           ctx,
               Frame             *f,
               const BenchParams *params,
               BenchCheck        *check)
{
  gsize sa = bench_size (params, f->ka), sb = bench_size (params, f->kb);

  bench_verify (f->b, sb, BENCH_TAG (f->kb), check);
  bench_verify (f->a, sa, BENCH_TAG (f->ka), check);
  if (ops->scope_begin != NULL)
    ops->scope_end (ctx, f->inner, &f->mark);
  else
    {
      ops->free (ctx, f->b, sb);
      ops->free (ctx, f->a, sa);
    }
}

BENCH_INLINE double
scratch_body (const BenchOps    *ops,
              const BenchParams *params,
              guint64            n,
              BenchCheck        *check)
{
  Frame frames[DEPTH + 1];
  gpointer ctx = ops->open ((DEPTH + 1) * 2 * 1024, params->mix);
  guint64 k = 0;
  double t0 = bench_now_ns (), t;

  for (guint64 it = 0; it < n; it++)
    {
      guint top = 0;

      scratch_enter (ops, ctx, &frames[0], params, &k);
      for (;;)
        {
          Frame *f = &frames[top];

          if (top < DEPTH && f->children < FANOUT)
            {
              f->children++;
              top++;
              scratch_enter (ops, f->inner, &frames[top], params, &k);
              continue;
            }
          scratch_leave (ops, top == 0 ? ctx : frames[top - 1].inner, f, params, check);
          if (top == 0)
            break;
          top--;
        }
    }
  t = bench_now_ns () - t0;

  ops->close (ctx);
  check->ops += k;
  return t;
}

#define BENCH_PATTERN scratch
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_scratch = {
  "scratch", "buffer", BENCH_CAN_FREE | BENCH_CAN_LIFO | BENCH_CAN_SCOPE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
