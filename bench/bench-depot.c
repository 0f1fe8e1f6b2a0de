/* bench-depot.c: the shared free list behind the pool's thread caches
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A thread-safe NmPoolAllocator keeps free blocks in per-thread caches in
 * front of one shared free list, the depot. The depot must be safe against
 * ABA: either a lock, or a lock-free stack whose head carries a version tag
 * (a 16-byte compare-and-swap). This program measures both designs in
 * isolation, for single-block transfers (no caches at all) and for the
 * batches of 32 blocks the caches move, with one thread and with two
 * threads contending. The pool uses the lock with batches; these tables are
 * why.
 */

#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

#define N_NODES  4096
#define BATCH    32

typedef struct _Node Node;

struct _Node
{
  Node   *next;
  guint8  payload[56];
};

/* The locked depot. */
typedef struct
{
  pthread_mutex_t lock;
  Node           *head;
} LockedDepot;

/* The tagged depot: head and version change together in one cmpxchg16b. */
typedef union
{
  struct
  {
    Node    *head;
    guint64  tag;
  };
  unsigned __int128 word;
} TaggedHead;

typedef struct
{
  TaggedHead top __attribute__ ((aligned (16)));
} TaggedDepot;

static Node *nodes;

/* cmpxchg16b inline (-mcx16); the __atomic builtins would call libatomic. */
static inline gboolean
cas16 (TaggedHead *target,
       TaggedHead *expected,
       TaggedHead  desired)
{
  unsigned __int128 seen = __sync_val_compare_and_swap (&target->word, expected->word,
                                                        desired.word);

  if (seen == expected->word)
    return TRUE;

  expected->word = seen;
  return FALSE;
}

static void
locked_push_n (LockedDepot *d,
               Node       **batch,
               guint        n)
{
  pthread_mutex_lock (&d->lock);
  for (guint i = 0; i < n; i++)
    {
      batch[i]->next = d->head;
      d->head = batch[i];
    }
  pthread_mutex_unlock (&d->lock);
}

static guint
locked_pop_n (LockedDepot *d,
              Node       **batch,
              guint        n)
{
  guint got = 0;

  pthread_mutex_lock (&d->lock);
  while (got < n && d->head != NULL)
    {
      batch[got++] = d->head;
      d->head = d->head->next;
    }
  pthread_mutex_unlock (&d->lock);

  return got;
}

static void
tagged_push (TaggedDepot *d,
             Node        *node)
{
  TaggedHead old, new;

  old.word = d->top.word;   /* a torn read only makes the exchange fail */
  do
    {
      node->next = old.head;
      new.head = node;
      new.tag = old.tag + 1;
    }
  while (!cas16 (&d->top, &old, new));
}

static Node *
tagged_pop (TaggedDepot *d)
{
  TaggedHead old, new;

  old.word = d->top.word;
  do
    {
      if (old.head == NULL)
        return NULL;
      /* Nodes are never unmapped, so reading a stale next is harmless: the
       * tag makes the exchange fail. */
      new.head = __atomic_load_n (&old.head->next, __ATOMIC_RELAXED);
      new.tag = old.tag + 1;
    }
  while (!cas16 (&d->top, &old, new));

  return old.head;
}

typedef enum
{
  LOCKED_SINGLE,
  LOCKED_BATCH,
  TAGGED_SINGLE,
} Design;

typedef struct
{
  Design       design;
  LockedDepot *locked;
  TaggedDepot *tagged;
  guint64      iterations;
  gint        *start;
} Worker;

/* One iteration takes BATCH blocks from the depot and gives them back. */
static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  Node *batch[BATCH];

  while (w->start != NULL && !__atomic_load_n (w->start, __ATOMIC_ACQUIRE))
    ;

  for (guint64 i = 0; i < w->iterations; i++)
    {
      guint got = 0;

      switch (w->design)
        {
        case LOCKED_SINGLE:
          for (guint k = 0; k < BATCH; k++)
            got += locked_pop_n (w->locked, &batch[got], 1);
          bench_escape (batch);
          for (guint k = 0; k < got; k++)
            locked_push_n (w->locked, &batch[k], 1);
          break;

        case LOCKED_BATCH:
          got = locked_pop_n (w->locked, batch, BATCH);
          bench_escape (batch);
          locked_push_n (w->locked, batch, got);
          break;

        case TAGGED_SINGLE:
          /* A lock-free stack has no cheaper batch: one exchange per block. */
          for (guint k = 0; k < BATCH; k++)
            if ((batch[got] = tagged_pop (w->tagged)) != NULL)
              got++;
          bench_escape (batch);
          for (guint k = 0; k < got; k++)
            tagged_push (w->tagged, batch[k]);
          break;
        }
    }

  return NULL;
}

static void
depots_fill (LockedDepot *locked,
             TaggedDepot *tagged)
{
  locked->head = NULL;
  tagged->top.head = NULL;
  tagged->top.tag = 0;
  for (guint i = 0; i < N_NODES; i++)
    {
      nodes[i].next = locked->head;
      locked->head = &nodes[i];
    }
  for (guint i = 0; i < N_NODES; i++)
    tagged_push (tagged, &nodes[i]);
}

typedef struct
{
  Design       design;
  LockedDepot *locked;
  TaggedDepot *tagged;
} OneThread;

static void
run_one_thread (gpointer data,
                guint64  n)
{
  OneThread *o = data;
  Worker w = { o->design, o->locked, o->tagged, n, NULL };

  worker_run (&w);
}

/* ns per block taken and given back, both threads together. */
static double
two_threads (Design       design,
             LockedDepot *locked,
             TaggedDepot *tagged,
             guint64      iterations)
{
  double times[32];
  guint runs = MIN (bench_runs, G_N_ELEMENTS (times));

  for (guint r = 0; r < runs; r++)
    {
      gint start = 0;
      Worker a = { design, locked, tagged, iterations, &start };
      Worker b = { design, locked, tagged, iterations, &start };

      times[r] = bench_two_threads (worker_run, &a, &b, &start) / (double) (2 * iterations * BATCH);
    }

  return bench_median (times, runs);
}

void
bench_depot_run (void)
{
  LockedDepot locked = { PTHREAD_MUTEX_INITIALIZER, NULL };
  TaggedDepot *tagged = g_aligned_alloc0 (1, sizeof (TaggedDepot), 16);
  guint64 iterations = bench_target_seconds < 0.05 ? 2000 : 100000;
  static const struct {
    Design      design;
    const char *label;
  } rows[] = {
    { LOCKED_SINGLE, "lock, one block per transfer" },
    { TAGGED_SINGLE, "tagged CAS stack, one block per exchange" },
    { LOCKED_BATCH,  "lock, 32 blocks per transfer (NmPoolAllocator)" },
  };

  nodes = g_new0 (Node, N_NODES);
  depots_fill (&locked, tagged);

  bench_group_begin ("pool depot: shared free list, one thread",
                     "take 32 blocks from the shared list and give them back, "
                     "without thread caches; ns per block taken and given back");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      OneThread o = { rows[i].design, &locked, tagged };

      bench_row (rows[i].label, run_one_thread, &o, BATCH);
    }
  bench_group_end ();

  bench_group_begin ("pool depot: shared free list, 2 threads contending",
                     "the same with two threads on one list; ns per block taken and "
                     "given back, both threads together");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    bench_row_value (rows[i].label, two_threads (rows[i].design, &locked, tagged, iterations));
  bench_group_end ();

  g_free (nodes);
  g_aligned_free (tagged);
}
