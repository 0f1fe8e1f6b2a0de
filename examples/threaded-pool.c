/* threaded-pool.c: one thread-safe pool shared by a GThreadPool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A thread-safe NmPoolAllocator may be used from any thread at once: each
 * thread keeps a small cache of free blocks, so the common allocation and
 * free take no lock. Here the main thread allocates job records from the
 * pool and hands them to a GThreadPool; the workers allocate their own
 * scratch blocks from the same pool, and free the job records they were
 * given, so blocks often go back from a thread other than the one that
 * took them.
 */

#include <locale.h>
#include <string.h>

#include <nebula-memory/nebula-memory.h>

#define N_JOBS         2000
#define N_WORKERS      4
#define BLOCK_SIZE     128

typedef struct
{
  guint   id;
  guint   n_values;
  guint32 values[24];
} Job;

G_STATIC_ASSERT (sizeof (Job) <= BLOCK_SIZE);

typedef struct
{
  NmPoolAllocator *pool;
  guint64          total;       /* atomically summed results */
  gint             errors;
} Shared;

static void
work (gpointer data,
      gpointer user_data)
{
  Job *job = data;
  Shared *shared = user_data;
  g_autoptr(GError) error = NULL;
  guint32 *scratch = nm_pool_allocator_alloc (shared->pool, &error);
  guint64 sum = 0;

  if (scratch == NULL)
    {
      g_printerr ("threaded-pool: %s\n", error->message);
      g_atomic_int_inc (&shared->errors);
    }
  else
    {
      for (guint i = 0; i < job->n_values; i++)
        scratch[i] = job->values[i] * 2;
      for (guint i = 0; i < job->n_values; i++)
        sum += scratch[i];
      nm_pool_allocator_free (shared->pool, scratch);
    }

  /* Allocated by the main thread, given back by this worker. */
  nm_pool_allocator_free (shared->pool, job);
  __atomic_add_fetch (&shared->total, sum, __ATOMIC_RELAXED);
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autofree char *summary = NULL;
  Shared shared = { 0 };
  GThreadPool *workers;
  guint64 expected = 0;
  gboolean thread_safe;

  setlocale (LC_ALL, "");
  /* 64 blocks to start with, growing up to 4096 if the workers fall behind. */
  shared.pool = nm_pool_allocator_new_full ("jobs", BLOCK_SIZE, 16, 64, 4096, TRUE, &error);
  if (shared.pool == NULL)
    g_error ("%s", error->message);
  g_object_get (shared.pool, "thread-safe", &thread_safe, NULL);
  g_print ("pool “jobs”: thread-safe=%s, %u workers, %u jobs\n",
           thread_safe ? "true" : "false", N_WORKERS, N_JOBS);

  workers = g_thread_pool_new (work, &shared, N_WORKERS, FALSE, &error);
  if (workers == NULL)
    g_error ("%s", error->message);

  for (guint j = 0; j < N_JOBS; j++)
    {
      Job *job = nm_pool_allocator_alloc (shared.pool, &error);

      if (job == NULL)
        {
          /* The pool reached max-block-count: wait for the workers. */
          g_clear_error (&error);
          g_usleep (1000);
          j--;
          continue;
        }
      job->id = j;
      job->n_values = G_N_ELEMENTS (job->values);
      for (guint i = 0; i < job->n_values; i++)
        {
          job->values[i] = j + i;
          expected += 2 * (guint64) (j + i);
        }
      if (!g_thread_pool_push (workers, job, &error))
        g_error ("%s", error->message);
    }

  /* Wait for every job to finish. */
  g_thread_pool_free (workers, FALSE, TRUE);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (shared.pool));
  summary = nm_allocator_stats_to_string (stats);
  g_print ("results: %s\n", shared.total == expected ? "all correct" : "WRONG");
  g_print ("blocks in use after the workers finished: %" G_GUINT64_FORMAT "\n",
           nm_pool_allocator_get_blocks_in_use (shared.pool));
  g_print ("statistics: %s\n", summary);

  if (shared.total != expected || shared.errors != 0 ||
      nm_pool_allocator_get_blocks_in_use (shared.pool) != 0 ||
      stats->invalid_free_count != 0 || stats->corruption_count != 0)
    return 1;

  g_object_unref (shared.pool);
  g_print ("OK\n");
  return 0;
}
