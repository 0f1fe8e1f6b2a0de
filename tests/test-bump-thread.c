/* test-bump-thread.c: NmBumpAllocator in thread-safe mode
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#define N_THREADS 4

typedef struct
{
  NmBumpAllocator *arena;
  guint            index;
  guint            n_allocs;
  GPtrArray       *blocks;
} Worker;

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;

  for (guint i = 0; i < w->n_allocs; i++)
    {
      g_autoptr(GError) error = NULL;
      gsize size = 8 + (i % 7) * 8;
      guint8 *p = nm_bump_allocator_alloc (w->arena, size, 8, &error);

      g_assert_no_error (error);
      g_assert_cmpuint ((guintptr) p % 8, ==, 0);
      /* Stamp the whole block: overlapping blocks would overwrite stamps. */
      memset (p, (int) (w->index + 1), size);
      p[0] = (guint8) size;
      g_ptr_array_add (w->blocks, p);
    }

  return NULL;
}

static void
check_workers (Worker *workers)
{
  for (guint t = 0; t < N_THREADS; t++)
    for (guint i = 0; i < workers[t].blocks->len; i++)
      {
        guint8 *p = workers[t].blocks->pdata[i];
        gsize size = p[0];

        for (gsize k = 1; k < size; k++)
          g_assert_cmpuint (p[k], ==, t + 1);
        g_assert_true (nm_allocator_owns (NM_ALLOCATOR (workers[t].arena), p));
      }
}

static void
run_threads (NmBumpAllocator *arena,
             guint            n_allocs,
             Worker          *workers)
{
  GThread *threads[N_THREADS];

  for (guint t = 0; t < N_THREADS; t++)
    {
      workers[t].arena = arena;
      workers[t].index = t;
      workers[t].n_allocs = n_allocs;
      workers[t].blocks = g_ptr_array_new ();
      threads[t] = g_thread_new ("bump-worker", worker_run, &workers[t]);
    }

  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);
}

static void
free_workers (Worker *workers)
{
  for (guint t = 0; t < N_THREADS; t++)
    g_ptr_array_unref (workers[t].blocks);
}

static void
test_bump_thread_concurrent (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena =
    nm_bump_allocator_new_full ("shared", 64 * 1024, 64 * 1024 * 1024, TRUE, &error);
  g_autoptr(NmAllocatorStats) stats = NULL;
  Worker workers[N_THREADS];
  guint n = g_test_slow () ? 200000 : 20000;
  gboolean thread_safe;

  g_assert_no_error (error);
  g_object_get (arena, "thread-safe", &thread_safe, NULL);
  g_assert_true (thread_safe);

  run_threads (arena, n, workers);
  check_workers (workers);

  /* Exact once the threads are quiescent; the chunks grew under contention. */
  stats = nm_allocator_get_stats (NM_ALLOCATOR (arena));
  g_assert_cmpuint (stats->allocation_count, ==, (guint64) N_THREADS * n);
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), >, 1);

  free_workers (workers);

  nm_bump_allocator_reset (arena);
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 1);

  /* Usable again after the reset. */
  run_threads (arena, 1000, workers);
  check_workers (workers);
  free_workers (workers);
}

static void
test_bump_thread_exhaustion (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena =
    nm_bump_allocator_new_full ("small-shared", 4096, 0, TRUE, &error);
  guint8 *p, *q;

  g_assert_no_error (error);
  p = nm_bump_allocator_alloc (arena, 4096, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);

  q = nm_bump_allocator_alloc (arena, 1, 1, &error);
  g_assert_null (q);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "“small-shared”"));
  g_clear_error (&error);

  /* In thread-safe mode frees of owned memory are counted no-ops. */
  nm_allocator_free (NM_ALLOCATOR (arena), p, 4096, 1);
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (arena), p));

  nm_bump_allocator_reset (arena);
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 100, 1, NULL));
}

typedef struct
{
  NmBumpAllocator *arena;
  gint             stop;
  guint            n_reads;
} Reader;

/* Reads statistics and properties the way a monitoring thread would. */
static gpointer
reader_run (gpointer data)
{
  Reader *r = data;

  while (!g_atomic_int_get (&r->stop))
    {
      g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (r->arena));
      guint64 capacity, used, peak, count;
      guint n_chunks;

      g_object_get (r->arena,
                    "capacity", &capacity,
                    "bytes-used", &used,
                    "bytes-peak", &peak,
                    "allocation-count", &count,
                    "chunk-count", &n_chunks,
                    NULL);
      g_assert_cmpuint (stats->bytes_used, <=, stats->bytes_reserved);
      g_assert_cmpuint (used, <=, peak);
      g_assert_cmpuint (n_chunks, >=, 1);
      g_assert_cmpuint (nm_bump_allocator_get_chunk_count (r->arena), >=, 1);
      g_assert_false (nm_allocator_owns (NM_ALLOCATOR (r->arena), &capacity));
      r->n_reads++;
    }

  return NULL;
}

/* Reading statistics is allowed at any time, also while other threads
 * allocate and grow the allocator, and while it is reset or trimmed. */
static void
test_bump_thread_stats_while_allocating (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena =
    nm_bump_allocator_new_full ("watched", 4096, 64 * 1024 * 1024, TRUE, &error);
  Worker workers[N_THREADS];
  Reader reader = { 0 };
  GThread *thread;
  guint rounds = g_test_slow () ? 50 : 10;

  g_assert_no_error (error);
  reader.arena = arena;
  thread = g_thread_new ("bump-reader", reader_run, &reader);

  for (guint round = 0; round < rounds; round++)
    {
      run_threads (arena, 2000, workers);
      check_workers (workers);
      free_workers (workers);
      g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), >, 1);

      /* Reset and trim only between allocations, as documented. */
      nm_allocator_trim (NM_ALLOCATOR (arena));
      nm_bump_allocator_reset (arena);
      g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 1);
    }

  g_atomic_int_set (&reader.stop, 1);
  g_thread_join (thread);
  g_assert_cmpuint (reader.n_reads, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/bump/thread/concurrent", test_bump_thread_concurrent);
  g_test_add_func ("/nebula/bump/thread/exhaustion", test_bump_thread_exhaustion);
  g_test_add_func ("/nebula/bump/thread/stats-while-allocating", test_bump_thread_stats_while_allocating);

  return g_test_run ();
}
