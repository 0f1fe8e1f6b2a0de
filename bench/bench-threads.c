/* bench-threads.c: an object pool shared by threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * n_threads threads (2, and 4 for the record on this 2-core machine) share
 * one allocator. Each iteration a thread takes 16 blocks, reads them back,
 * frees 12 itself and hands 4 to the next thread through a single-producer
 * ring; it frees what it finds in its own ring. A quarter of the frees cross
 * threads, as with work items passed between a main loop and its workers.
 * The time is the CPU time of all the threads added up, each thread's own
 * (CLOCK_THREAD_CPUTIME_ID) from the common start to its end: on a machine
 * shared with other work the wall time mostly measures who else got the
 * CPUs. What cross-thread frees cost in cache-line traffic and spinning is
 * in it; a thread asleep on a contended lock is not. ns of CPU per
 * alloc+free pair.
 */

#include <sched.h>

#include "bench-pattern.h"

#define BATCH      16
#define KEEP       12
#define RING_SLOTS 1024

typedef struct
{
  guint8 *mem;
  guint64 k;
} Parcel;

/* One producer, one consumer; head and tail on cache lines of their own. */
typedef struct
{
  Parcel slots[RING_SLOTS];
  G_GNUC_UNUSED char pad0[64];
  guint64 head;  /* next to take, written by the consumer */
  G_GNUC_UNUSED char pad1[64];
  guint64 tail;  /* next to fill, written by the producer */
  G_GNUC_UNUSED char pad2[64];
} Ring;

typedef struct
{
  const BenchParams *params;
  gpointer           ctx;
  guint64            n;
  guint64            first_k;
  Ring              *inbox;
  Ring              *outbox;
  gint              *start;
  BenchCheck         check;
  double             cpu_ns;
} Worker;

static gboolean
ring_push (Ring   *r,
           Parcel  p)
{
  guint64 tail = r->tail;

  if (tail - __atomic_load_n (&r->head, __ATOMIC_ACQUIRE) == RING_SLOTS)
    return FALSE;
  r->slots[tail % RING_SLOTS] = p;
  __atomic_store_n (&r->tail, tail + 1, __ATOMIC_RELEASE);
  return TRUE;
}

static gboolean
ring_pop (Ring   *r,
          Parcel *p)
{
  guint64 head = r->head;

  if (head == __atomic_load_n (&r->tail, __ATOMIC_ACQUIRE))
    return FALSE;
  *p = r->slots[head % RING_SLOTS];
  __atomic_store_n (&r->head, head + 1, __ATOMIC_RELEASE);
  return TRUE;
}

BENCH_INLINE void
threads_free_parcel (const BenchOps *ops,
                     Worker         *w,
                     Parcel          p)
{
  gsize size = bench_size (w->params, p.k);

  bench_verify (p.mem, size, BENCH_TAG (p.k), &w->check);
  ops->free (w->ctx, p.mem, size);
}

BENCH_INLINE void
threads_work (const BenchOps *ops,
              Worker         *w)
{
  Parcel batch[BATCH];
  guint64 k = w->first_k;
  double t0;

  bench_machine_unpin_thread ();
  while (!__atomic_load_n (w->start, __ATOMIC_ACQUIRE))
    sched_yield ();
  t0 = bench_now_ns ();

  for (guint64 it = 0; it < w->n; it++)
    {
      Parcel in;

      for (guint j = 0; j < BATCH; j++, k++)
        {
          batch[j].k = k;
          batch[j].mem = bench_alloc (ops, w->ctx, NULL, bench_size (w->params, k), BENCH_TAG (k));
        }
      for (guint j = 0; j < KEEP; j++)
        threads_free_parcel (ops, w, batch[j]);
      for (guint j = KEEP; j < BATCH; j++)
        if (!ring_push (w->outbox, batch[j]))
          threads_free_parcel (ops, w, batch[j]);
      while (ring_pop (w->inbox, &in))
        threads_free_parcel (ops, w, in);
    }
  w->cpu_ns = bench_now_ns () - t0;
}

typedef gpointer (*WorkerFunc) (gpointer worker);

BENCH_INLINE double
threads_body (const BenchOps    *ops,
              WorkerFunc         worker_func,
              const BenchParams *params,
              guint64            n,
              BenchCheck        *check)
{
  guint n_threads = params->n_threads;
  g_autofree Worker *workers = g_new0 (Worker, n_threads);
  g_autofree Ring *rings = NULL;
  g_autofree GThread **threads = g_new0 (GThread *, n_threads);
  gpointer ctx;
  gint start = 0;
  double t = 0;

  if (ops->free == NULL)
    return 0;

  rings = g_malloc0 (sizeof (Ring) * n_threads);
  ctx = ops->open (n_threads * RING_SLOTS * 1024, params->mix);
  for (guint i = 0; i < n_threads; i++)
    {
      workers[i].params = params;
      workers[i].ctx = ctx;
      workers[i].n = n;
      workers[i].first_k = (guint64) i * 1000;
      workers[i].inbox = &rings[i];
      workers[i].outbox = &rings[(i + 1) % n_threads];
      workers[i].start = &start;
      threads[i] = g_thread_new ("bench-worker", worker_func, &workers[i]);
    }

  /* Every thread is up and waiting before the clock starts. */
  g_usleep (2000);
  __atomic_store_n (&start, 1, __ATOMIC_RELEASE);
  for (guint i = 0; i < n_threads; i++)
    {
      g_thread_join (threads[i]);
      t += workers[i].cpu_ns;
    }

  for (guint i = 0; i < n_threads; i++)
    {
      Parcel in;

      while (ring_pop (&rings[i], &in))
        threads_free_parcel (ops, &workers[i], in);
      check->errors += workers[i].check.errors;
      check->checksum += workers[i].check.checksum;
    }
  ops->close (ctx);
  check->ops += n * BATCH * n_threads;
  return t;
}

#define THREADS_INSTANTIATE(name)                                          \
  static gpointer                                                          \
  threads_worker_##name (gpointer data)                                    \
  {                                                                        \
    threads_work (&bench_ops_##name, data);                                \
    return NULL;                                                           \
  }                                                                        \
  static double __attribute__ ((noinline))                                 \
  threads_##name (const BenchParams *params, guint64 n, BenchCheck *check) \
  {                                                                        \
    return threads_body (&bench_ops_##name, threads_worker_##name,         \
                         params, n, check);                                \
  }

BENCH_CANDIDATES (THREADS_INSTANTIATE)

#define BENCH_PATTERN threads
const BenchPattern bench_pattern_threads = {
  "threads", "free+alloc", BENCH_CAN_THREADS, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
