/* test-async-cache-thread.c: one NmAsyncCache shared by threads, each with
 * its own main context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#define N_THREADS 4
#define N_OPS     1500
#define N_KEYS    8

static const char * const keys[N_KEYS] = {
  "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
};

typedef struct
{
  NmAsyncCache *cache;
  guint         seed;
  int           outstanding;
  guint         values;
  guint         cancelled;
} Worker;

static int workers_finished;
static int all_quiet;

static GValue *
value_for (const char *key)
{
  GValue *v = g_new0 (GValue, 1);

  g_value_init (v, G_TYPE_STRING);
  g_value_take_string (v, g_strconcat ("v-", key, NULL));
  return v;
}

static gboolean
complete_later (gpointer data)
{
  GTask *task = data;
  GValue *v = value_for (g_task_get_task_data (task));

  g_task_return_value (task, v);
  g_boxed_free (G_TYPE_VALUE, v);
  return G_SOURCE_REMOVE;
}

static void
load_async (NmAsyncCache *cache,
            gconstpointer key,
            GTask        *task,
            gpointer      data)
{
  GSource *idle = g_idle_source_new ();

  /* The key lives as long as the task; keep a copy all the same. */
  g_task_set_task_data (task, g_strdup (key), g_free);
  g_source_set_callback (idle, complete_later, g_object_ref (task), g_object_unref);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

static gpointer
compute (NmAsyncCache  *cache,
         gconstpointer  key,
         GCancellable  *cancellable,
         gpointer       data,
         GError       **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return value_for (key);
}

typedef struct
{
  Worker *worker;
  char   *key;
} Request;

static void
on_done (GObject      *source,
         GAsyncResult *res,
         gpointer      data)
{
  Request *req = data;
  g_autoptr(GError) error = NULL;
  GValue *v = nm_async_cache_get_or_compute_finish (NM_ASYNC_CACHE (source), res, &error);

  if (v != NULL)
    {
      g_autofree char *expected = g_strconcat ("v-", req->key, NULL);

      g_assert_cmpstr (g_value_get_string (v), ==, expected);
      g_boxed_free (G_TYPE_VALUE, v);
      req->worker->values++;
    }
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      req->worker->cancelled++;
    }

  req->worker->outstanding--;
  g_free (req->key);
  g_free (req);
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  GMainContext *context = g_main_context_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (w->seed);

  g_main_context_push_thread_default (context);

  for (guint op = 0; op < N_OPS; op++)
    {
      const char *key = keys[g_rand_int_range (rand, 0, N_KEYS)];
      guint what = g_rand_int_range (rand, 0, 100);

      if (what < 60)
        {
          Request *req = g_new0 (Request, 1);
          g_autoptr(GCancellable) cancellable = NULL;

          req->worker = w;
          req->key = g_strdup (key);
          w->outstanding++;
          if (g_rand_boolean (rand))
            cancellable = g_cancellable_new ();

          if (what < 30)
            nm_async_cache_get_or_compute_async (w->cache, key, load_async, NULL, NULL,
                                                 cancellable, on_done, req);
          else
            nm_async_cache_get_or_compute_in_thread_async (w->cache, key, compute, NULL, NULL,
                                                           cancellable, on_done, req);

          if (cancellable != NULL && g_rand_int_range (rand, 0, 3) == 0)
            g_cancellable_cancel (cancellable);
        }
      else if (what < 80)
        {
          GValue *v = nm_async_cache_lookup (w->cache, key);

          if (v != NULL)
            {
              g_assert_true (g_str_has_suffix (g_value_get_string (v), key));
              g_boxed_free (G_TYPE_VALUE, v);
            }
        }
      else if (what < 90)
        {
          GValue *v = value_for (key);

          nm_async_cache_insert (w->cache, key, v);
          g_boxed_free (G_TYPE_VALUE, v);
        }
      else if (what < 99)
        nm_async_cache_invalidate (w->cache, key);
      else
        nm_async_cache_trim (w->cache, G_MEMORY_MONITOR_WARNING_LEVEL_LOW);

      g_main_context_iteration (context, FALSE);
    }

  while (w->outstanding > 0)
    g_main_context_iteration (context, TRUE);

  /* Loads this thread started may still have waiters elsewhere: keep the
   * context running until every thread is through. */
  g_atomic_int_inc (&workers_finished);
  while (!g_atomic_int_get (&all_quiet))
    {
      g_main_context_iteration (context, FALSE);
      g_usleep (100);
    }

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return NULL;
}

static void
test_cache_threads (void)
{
  NmAsyncCache *cache = nm_async_cache_new (6);
  GThread *threads[N_THREADS];
  Worker workers[N_THREADS];
  GWeakRef weak;
  g_autoptr(NmAsyncCacheStats) stats = NULL;
  gint64 deadline;
  NmAsyncCache *left;

  workers_finished = 0;
  all_quiet = 0;
  g_weak_ref_init (&weak, cache);

  for (guint i = 0; i < N_THREADS; i++)
    {
      workers[i] = (Worker) { .cache = cache, .seed = 1000 + i };
      threads[i] = g_thread_new ("cache-worker", worker_main, &workers[i]);
    }

  while (g_atomic_int_get (&workers_finished) < N_THREADS)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (100);
    }

  stats = nm_async_cache_get_stats (cache);
  g_assert_cmpuint (stats->size, <=, 6);
  g_assert_cmpuint (stats->hits + stats->misses, >, 0);
  g_test_message ("hits %" G_GUINT64_FORMAT ", misses %" G_GUINT64_FORMAT
                  ", loads %" G_GUINT64_FORMAT ", joined %" G_GUINT64_FORMAT
                  ", cancelled %" G_GUINT64_FORMAT ", abandoned %" G_GUINT64_FORMAT,
                  stats->hits, stats->misses, stats->loads, stats->joined,
                  stats->cancelled_waiters, stats->abandoned_loads);

  /* Every load finishes and lets go of the cache. */
  g_object_unref (cache);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((left = g_weak_ref_get (&weak)) != NULL)
    {
      g_object_unref (left);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_weak_ref_clear (&weak);

  g_atomic_int_set (&all_quiet, 1);
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (workers[i].values + workers[i].cancelled, >, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  GType classes[] = { NM_TYPE_ASYNC_CACHE, G_TYPE_TASK, G_TYPE_CANCELLABLE };

  g_test_init (&argc, &argv, NULL);

  /* GObject initialises a class on first use with atomics ThreadSanitizer
   * cannot see (GLib is not instrumented); initialised here, before any
   * thread starts, the workers only ever read them. */
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    g_type_class_unref (g_type_class_ref (classes[i]));

  g_test_add_func ("/nebula/async-cache/thread/shared", test_cache_threads);

  return g_test_run ();
}
