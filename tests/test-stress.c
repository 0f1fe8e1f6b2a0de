/* test-stress.c: long stress of the thread-safe allocators
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Eight threads in a ring: each allocates a block, writes a cookie (its
 * number and a sequence number) over all of it, and passes it to the next
 * thread, which checks the cookie, the order of arrival and every byte
 * before it frees the block. In between, each thread allocates and frees
 * short bursts of its own in random order. Any lost, duplicated, reordered
 * or overwritten block fails the test; afterwards the statistics must
 * balance. Part of the 'slow' suite, not run by default: the number of
 * operations per allocator is NM_TEST_STRESS_OPS (default 20 million).
 */

#include <stdlib.h>
#include <string.h>

#include "nm-test-util.h"

#define N_THREADS 8
#define BURST 16
#define RING 64

/* The hand-off between neighbours: a single-producer single-consumer ring
 * with release/acquire atomics, which ThreadSanitizer understands (GLib's
 * queues synchronise through futexes it does not see). */
typedef struct
{
  gpointer slots[RING];
  guint64  head;
  guint64  tail;
} Ring;

static void
ring_push (Ring     *ring,
           gpointer  mem)
{
  guint64 tail = __atomic_load_n (&ring->tail, __ATOMIC_RELAXED);

  while (tail - __atomic_load_n (&ring->head, __ATOMIC_ACQUIRE) == RING)
    g_thread_yield ();
  ring->slots[tail % RING] = mem;
  __atomic_store_n (&ring->tail, tail + 1, __ATOMIC_RELEASE);
}

static gpointer
ring_pop (Ring *ring)
{
  guint64 head = __atomic_load_n (&ring->head, __ATOMIC_RELAXED);
  gpointer mem;

  while (__atomic_load_n (&ring->tail, __ATOMIC_ACQUIRE) == head)
    g_thread_yield ();
  mem = ring->slots[head % RING];
  __atomic_store_n (&ring->head, head + 1, __ATOMIC_RELEASE);
  return mem;
}

typedef struct
{
  guint64 cookie;
  guint64 check;
} Header;

typedef struct Stress Stress;

typedef struct
{
  Stress      *stress;
  guint        index;
  Ring        *inbox;
  guint64      next_expected;
  guint64      ops;
} Worker;

struct Stress
{
  NmAllocator *alloc;
  gsize        size;
  gboolean     frees_give_back;
  guint64      iterations;
  guint64      first_seq;
  Worker       workers[N_THREADS];
};

static guint64
stress_ops (void)
{
  const char *env = g_getenv ("NM_TEST_STRESS_OPS");

  return env != NULL ? g_ascii_strtoull (env, NULL, 10) : G_GUINT64_CONSTANT (20000000);
}

static guint8 *
make_block (Stress  *s,
            guint    owner,
            guint64  seq)
{
  g_autoptr(GError) error = NULL;
  guint8 *mem = nm_allocator_alloc (s->alloc, s->size, 8, &error);
  Header h = { ((guint64) owner << 56) | seq, 0 };

  g_assert_no_error (error);
  g_assert_nonnull (mem);
  h.check = ~h.cookie;
  memcpy (mem, &h, sizeof h);
  memset (mem + sizeof h, (guint8) h.cookie, s->size - sizeof h);
  return mem;
}

static guint64
check_block (Stress       *s,
             const guint8 *mem)
{
  Header h;

  memcpy (&h, mem, sizeof h);
  if (h.check != ~h.cookie)
    g_error ("block %p: cookie %" G_GINT64_MODIFIER "x and check %" G_GINT64_MODIFIER "x disagree",
             mem, h.cookie, h.check);
  for (gsize i = sizeof h; i < s->size; i++)
    if (mem[i] != (guint8) h.cookie)
      g_error ("block %p (cookie %" G_GINT64_MODIFIER "x): byte %" G_GSIZE_FORMAT " overwritten",
               mem, h.cookie, i);
  return h.cookie;
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  Stress *s = w->stress;
  Ring *outbox = s->workers[(w->index + 1) % N_THREADS].inbox;
  guint from = (w->index + N_THREADS - 1) % N_THREADS;
  g_autoptr(GRand) rand = g_rand_new_with_seed (w->index + 1);
  guint8 *burst[BURST];

  for (guint64 i = 0; i < s->iterations; i++)
    {
      guint8 *mem;
      guint64 cookie;
      guint n;

      ring_push (outbox, make_block (s, w->index, s->first_seq + i));
      w->ops++;

      mem = ring_pop (w->inbox);
      cookie = check_block (s, mem);
      if (cookie >> 56 != from || (cookie & G_GUINT64_CONSTANT (0xffffffffffffff)) != w->next_expected)
        g_error ("thread %u expected block #%" G_GUINT64_FORMAT " of thread %u, got cookie %"
                 G_GINT64_MODIFIER "x", w->index, w->next_expected, from, cookie);
      w->next_expected++;
      nm_allocator_free (s->alloc, mem, s->size, 8);
      w->ops++;

      /* A burst of local blocks, freed in random order. */
      n = g_rand_int_range (rand, 0, BURST + 1);
      for (guint j = 0; j < n; j++)
        burst[j] = make_block (s, w->index, 0);
      for (guint j = n; j > 0; j--)
        {
          guint k = g_rand_int_range (rand, 0, j);

          check_block (s, burst[k]);
          nm_allocator_free (s->alloc, burst[k], s->size, 8);
          burst[k] = burst[j - 1];
        }
      w->ops += 2 * n;
    }

  return NULL;
}

/* Runs one round of @iterations per thread; returns the operations done. */
static guint64
run_round (Stress  *s,
           guint64  iterations)
{
  GThread *threads[N_THREADS];
  guint64 ops = 0;

  s->iterations = iterations;
  for (guint i = 0; i < N_THREADS; i++)
    {
      s->workers[i].ops = 0;
      threads[i] = g_thread_new ("stress", worker_main, &s->workers[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      ops += s->workers[i].ops;
      g_assert_cmpuint (s->workers[i].inbox->head, ==, s->workers[i].inbox->tail);
    }
  s->first_seq += iterations;

  return ops;
}

static void
stress_init (Stress      *s,
             NmAllocator *alloc,
             gsize        size)
{
  memset (s, 0, sizeof *s);
  s->alloc = alloc;
  s->size = size;
  for (guint i = 0; i < N_THREADS; i++)
    {
      s->workers[i].stress = s;
      s->workers[i].index = i;
      s->workers[i].inbox = g_new0 (Ring, 1);
    }
}

static void
stress_clear (Stress *s)
{
  for (guint i = 0; i < N_THREADS; i++)
    g_free (s->workers[i].inbox);
}

static void
test_stress_pool (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new_full ("stress-pool", 48, 8, 64, 1 << 20,
                                                                TRUE, &error);
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint64 target = stress_ops (), ops = 0;
  Stress s;

  g_assert_no_error (error);
  stress_init (&s, NM_ALLOCATOR (pool), 48);
  /* Rounds of 10000 ring passes per thread: about 1.4 million operations. */
  while (ops < target)
    ops += run_round (&s, 10000);
  stress_clear (&s);

  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->allocation_count, ==, stats->free_count);
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  g_assert_cmpuint (nm_allocator_trim (NM_ALLOCATOR (pool)), >=, 0);
  nm_test_assert_still_works (pool, 48, 8);
  g_test_message ("pool: %" G_GUINT64_FORMAT " operations (allocations and frees) by %u threads",
                  ops, N_THREADS);
}

static void
test_stress_bump (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) bump = nm_bump_allocator_new_full ("stress-bump", 1 << 20, 64 << 20,
                                                                TRUE, &error);
  guint64 target = stress_ops (), ops = 0;
  Stress s;

  g_assert_no_error (error);
  stress_init (&s, NM_ALLOCATOR (bump), 40);
  /* A bump allocator gives memory back on reset: one after each round. */
  while (ops < target)
    {
      g_autoptr(NmAllocatorStats) stats = NULL;

      ops += run_round (&s, 2000);
      stats = nm_allocator_get_stats (NM_ALLOCATOR (bump));
      g_assert_cmpuint (stats->invalid_free_count, ==, 0);
      g_assert_cmpuint (stats->bytes_used, >, 0);
      nm_bump_allocator_reset (bump);
      g_clear_pointer (&stats, nm_allocator_stats_free);
      stats = nm_allocator_get_stats (NM_ALLOCATOR (bump));
      g_assert_cmpuint (stats->bytes_used, ==, 0);
    }
  stress_clear (&s);

  nm_test_assert_still_works (bump, 40, 8);
  g_test_message ("bump: %" G_GUINT64_FORMAT " operations (allocations and frees) by %u threads",
                  ops, N_THREADS);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stress/pool", test_stress_pool);
  g_test_add_func ("/stress/bump", test_stress_bump);

  return g_test_run ();
}
