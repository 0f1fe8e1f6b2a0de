/* test-async-cache.c: NmAsyncCache with a GMainLoop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-async-cache-private.h"

/* ---- helpers --------------------------------------------------------------- */

static gint64 fake_now;

static gint64
fake_clock (gpointer user_data)
{
  return fake_now;
}

static void
spin (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* What one request got. */
typedef struct
{
  gboolean  done;
  GValue   *value;
  GError   *error;
} Result;

static void
value_free (gpointer v)
{
  g_boxed_free (G_TYPE_VALUE, v);
}

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->value, value_free);
  g_clear_error (&r->error);
  r->done = FALSE;
}

static void
on_result (GObject      *source,
           GAsyncResult *res,
           gpointer      data)
{
  Result *r = data;

  g_assert_false (r->done);
  r->value = nm_async_cache_get_or_compute_finish (NM_ASYNC_CACHE (source), res, &r->error);
  g_assert_true ((r->value == NULL) != (r->error == NULL));
  r->done = TRUE;
}

static void
wait_for (Result *r)
{
  while (!r->done)
    g_main_context_iteration (NULL, TRUE);
}

static const char *
result_string (Result *r)
{
  g_assert_nonnull (r->value);
  return g_value_get_string (r->value);
}

/* A loader the test completes by hand. */
typedef struct
{
  guint      started;
  GPtrArray *tasks;        /* loads not yet completed */
  int        active;       /* started, not completed, not cancelled */
  int        max_active;
  guint      cancelled;    /* load cancellables that fired */
  gboolean   immediate;    /* complete inside the loader */
  char      *value;        /* what immediate loads return */
} Loader;

static void
loader_init (Loader *l)
{
  memset (l, 0, sizeof *l);
  l->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  l->value = g_strdup ("value");
}

static void
loader_clear (Loader *l)
{
  g_assert_cmpuint (l->tasks->len, ==, 0);
  g_ptr_array_unref (l->tasks);
  g_free (l->value);
}

static void
load_cancelled (GCancellable *cancellable,
                gpointer      data)
{
  Loader *l = data;

  l->cancelled++;
  l->active--;
}

static void
return_string (GTask      *task,
               const char *s)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, s);
  g_task_return_value (task, &v);
  g_value_unset (&v);
}

static void
test_load (NmAsyncCache *cache,
           gconstpointer key,
           GTask        *task,
           gpointer      data)
{
  Loader *l = data;

  g_assert_true (NM_IS_ASYNC_CACHE (cache));
  l->started++;
  l->active++;
  l->max_active = MAX (l->max_active, l->active);
  g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (load_cancelled), l, NULL);

  if (l->immediate)
    {
      l->active--;
      return_string (task, l->value);
      return;
    }

  g_ptr_array_add (l->tasks, g_object_ref (task));
}

/* Completes the oldest pending load with @value, or fails it when NULL. */
static void
loader_complete (Loader     *l,
                 const char *value)
{
  GTask *task;

  g_assert_cmpuint (l->tasks->len, >, 0);
  task = g_ptr_array_steal_index (l->tasks, 0);
  if (!g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    l->active--;
  if (value != NULL)
    return_string (task, value);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
  g_object_unref (task);
}

static void
request (NmAsyncCache *cache,
         const char   *key,
         Loader       *l,
         GCancellable *cancellable,
         Result       *r)
{
  nm_async_cache_get_or_compute_async (cache, key, test_load, l, NULL, cancellable, on_result, r);
}

/* Evictions seen through the signal. */
typedef struct
{
  GPtrArray *keys;
  GArray    *reasons;
} Evictions;

static void
on_evicted (NmAsyncCache *cache,
            gpointer      key,
            gpointer      value,
            NmAsyncCacheEvictionReason reason,
            gpointer      data)
{
  Evictions *e = data;

  g_assert_nonnull (value);
  g_ptr_array_add (e->keys, g_strdup (key));
  g_array_append_val (e->reasons, reason);
}

static void
evictions_watch (Evictions    *e,
                 NmAsyncCache *cache)
{
  e->keys = g_ptr_array_new_with_free_func (g_free);
  e->reasons = g_array_new (FALSE, FALSE, sizeof (NmAsyncCacheEvictionReason));
  g_signal_connect (cache, "evicted", G_CALLBACK (on_evicted), e);
}

static void
evictions_clear (Evictions *e)
{
  g_ptr_array_unref (e->keys);
  g_array_unref (e->reasons);
}

static void
insert_string (NmAsyncCache *cache,
               const char   *key,
               const char   *s)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, s);
  nm_async_cache_insert (cache, key, &v);
  g_value_unset (&v);
}

/* The string held for @key, or NULL. */
static char *
lookup_string (NmAsyncCache *cache,
               const char   *key)
{
  GValue *v = nm_async_cache_lookup (cache, key);
  char *s;

  if (v == NULL)
    return NULL;
  s = g_value_dup_string (v);
  g_boxed_free (G_TYPE_VALUE, v);
  return s;
}

static guint64
uint_prop (gpointer    object,
           const char *name)
{
  guint64 v;

  g_object_get (object, name, &v, NULL);
  return v;
}

/* ---- construction and properties --------------------------------------------- */

static void
test_cache_construct (void)
{
  g_autoptr(NmAsyncCache) cache = g_object_new (NM_TYPE_ASYNC_CACHE, NULL);
  g_autoptr(NmAsyncCache) small = nm_async_cache_new (7);
  g_autoptr(NmAsyncCacheStats) stats = NULL;
  g_autofree char *s = NULL;
  gint64 ttl = -1;
  static const char * const counters[] = {
    "size", "weight", "hits", "misses", "evictions", "expirations", "loads",
    "load-failures", "joined", "cancelled-waiters", "abandoned-loads",
  };

  g_assert_cmpuint (nm_async_cache_get_capacity (cache), ==, 1024);
  g_assert_cmpuint (uint_prop (small, "capacity"), ==, 7);
  g_object_get (cache, "ttl", &ttl, NULL);
  g_assert_cmpint (ttl, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    g_assert_cmpuint (uint_prop (cache, counters[i]), ==, 0);

  insert_string (cache, "a", "A");
  s = lookup_string (cache, "a");
  g_assert_cmpstr (s, ==, "A");
  g_assert_null (nm_async_cache_lookup (cache, "b"));

  stats = nm_async_cache_get_stats (cache);
  g_assert_cmpuint (stats->size, ==, 1);
  g_assert_cmpuint (stats->hits, ==, 1);
  g_assert_cmpuint (stats->misses, ==, 1);
  g_assert_cmpfloat (nm_async_cache_stats_get_hit_ratio (stats), ==, 0.5);

  {
    g_autoptr(NmAsyncCache) with_ttl = g_object_new (NM_TYPE_ASYNC_CACHE,
                                                     "capacity", (guint64) 3,
                                                     "ttl", (gint64) G_USEC_PER_SEC,
                                                     "refresh-after", (gint64) 1000,
                                                     NULL);
    g_object_get (with_ttl, "ttl", &ttl, NULL);
    g_assert_cmpint (ttl, ==, G_USEC_PER_SEC);
    g_assert_cmpuint (uint_prop (with_ttl, "capacity"), ==, 3);
  }
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    data)
{
  guint *n = data;

  (*n)++;
}

static void
test_cache_notify (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (100);
  guint size_notes = 0, hits_notes = 0, cap_notes = 0;

  spin ();
  g_signal_connect (cache, "notify::size", G_CALLBACK (count_notify), &size_notes);
  g_signal_connect (cache, "notify::hits", G_CALLBACK (count_notify), &hits_notes);
  g_signal_connect (cache, "notify::capacity", G_CALLBACK (count_notify), &cap_notes);

  for (int i = 0; i < 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);
      g_autofree char *s = NULL;

      insert_string (cache, key, "v");
      s = lookup_string (cache, key);
    }

  /* Batched: nothing from the operations themselves… */
  g_assert_cmpuint (size_notes, ==, 0);
  g_assert_cmpuint (hits_notes, ==, 0);
  /* …one notification per property on the next iteration. */
  spin ();
  g_assert_cmpuint (size_notes, ==, 1);
  g_assert_cmpuint (hits_notes, ==, 1);
  spin ();
  g_assert_cmpuint (size_notes, ==, 1);

  /* A lookup that changes nothing but hits notifies hits only. */
  g_free (lookup_string (cache, "k0"));
  spin ();
  g_assert_cmpuint (size_notes, ==, 1);
  g_assert_cmpuint (hits_notes, ==, 2);

  nm_async_cache_set_capacity (cache, 10);
  g_assert_cmpuint (cap_notes, ==, 1);
  nm_async_cache_set_capacity (cache, 10);
  g_assert_cmpuint (cap_notes, ==, 1);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 10);
  g_assert_cmpuint (uint_prop (cache, "evictions"), ==, 40);
  spin ();
  g_assert_cmpuint (size_notes, ==, 2);
}

/* ---- get-or-compute ------------------------------------------------------------ */

static void
test_cache_hit (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  Result r = { 0 };
  Loader l;

  loader_init (&l);
  insert_string (cache, "k", "cached");
  request (cache, "k", &l, NULL, &r);
  /* Through the callback, never before the call returned. */
  g_assert_false (r.done);
  wait_for (&r);
  g_assert_cmpstr (result_string (&r), ==, "cached");
  g_assert_cmpuint (l.started, ==, 0);
  g_assert_cmpuint (uint_prop (cache, "hits"), ==, 1);
  result_clear (&r);
  loader_clear (&l);
}

static void
test_cache_load (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  Result r = { 0 };
  g_autofree char *s = NULL;
  Loader l;

  loader_init (&l);
  request (cache, "k", &l, NULL, &r);
  g_assert_cmpuint (l.started, ==, 1);
  spin ();
  g_assert_false (r.done);
  loader_complete (&l, "loaded");
  wait_for (&r);
  g_assert_cmpstr (result_string (&r), ==, "loaded");
  s = lookup_string (cache, "k");
  g_assert_cmpstr (s, ==, "loaded");
  g_assert_cmpuint (uint_prop (cache, "loads"), ==, 1);
  g_assert_cmpuint (uint_prop (cache, "misses"), ==, 1);
  result_clear (&r);

  /* A loader completing inside the call. */
  l.immediate = TRUE;
  request (cache, "j", &l, NULL, &r);
  g_assert_false (r.done);
  wait_for (&r);
  g_assert_cmpstr (result_string (&r), ==, "value");
  result_clear (&r);
  loader_clear (&l);
}

static void
test_cache_single_flight (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  Result r[5] = { { 0 } };
  Loader l;

  loader_init (&l);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    request (cache, "k", &l, NULL, &r[i]);
  g_assert_cmpuint (l.started, ==, 1);
  g_assert_cmpuint (uint_prop (cache, "joined"), ==, 4);
  loader_complete (&l, "one");
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      wait_for (&r[i]);
      g_assert_cmpstr (result_string (&r[i]), ==, "one");
      result_clear (&r[i]);
    }
  g_assert_cmpuint (uint_prop (cache, "loads"), ==, 1);
  loader_clear (&l);
}

static gpointer
compute_upper (NmAsyncCache  *cache,
               gconstpointer  key,
               GCancellable  *cancellable,
               gpointer       user_data,
               GError       **error)
{
  GValue *v = g_new0 (GValue, 1);

  g_assert_false (g_main_context_is_owner (g_main_context_default ()));
  g_atomic_int_inc ((int *) user_data);
  if (g_str_equal (key, "bad"))
    {
      g_free (v);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad key");
      return NULL;
    }
  g_value_init (v, G_TYPE_STRING);
  g_value_take_string (v, g_ascii_strup (key, -1));
  return v;
}

static void
test_cache_in_thread (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  Result r[3] = { { 0 } };
  int calls = 0;

  for (guint i = 0; i < 2; i++)
    nm_async_cache_get_or_compute_in_thread_async (cache, "abc", compute_upper, &calls, NULL,
                                                   NULL, on_result, &r[i]);
  nm_async_cache_get_or_compute_in_thread_async (cache, "bad", compute_upper, &calls, NULL,
                                                 NULL, on_result, &r[2]);
  for (guint i = 0; i < 3; i++)
    wait_for (&r[i]);
  g_assert_cmpint (calls, ==, 2);
  g_assert_cmpstr (result_string (&r[0]), ==, "ABC");
  g_assert_cmpstr (result_string (&r[1]), ==, "ABC");
  g_assert_error (r[2].error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (uint_prop (cache, "load-failures"), ==, 1);
  for (guint i = 0; i < 3; i++)
    result_clear (&r[i]);
}

/* ---- errors ------------------------------------------------------------------- */

typedef struct
{
  NmAsyncCache *cache;
  Loader       *loader;
  Result        retry;
  guint         errors;
  gboolean      retried;
} ErrorRetry;

static void
on_error_then_retry (GObject      *source,
                     GAsyncResult *res,
                     gpointer      data)
{
  ErrorRetry *er = data;
  g_autoptr(GError) error = NULL;
  gpointer value = nm_async_cache_get_or_compute_finish (er->cache, res, &error);

  g_assert_null (value);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  er->errors++;

  /* Nothing of the failure is visible, not even from here. */
  g_assert_null (nm_async_cache_lookup (er->cache, "k"));

  if (!er->retried)
    {
      guint before = er->loader->started;

      er->retried = TRUE;
      request (er->cache, "k", er->loader, NULL, &er->retry);
      g_assert_cmpuint (er->loader->started, ==, before + 1);
    }
}

static void
test_cache_error_not_cached (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  ErrorRetry er = { cache, NULL, { 0 }, 0, FALSE };
  Loader l;

  loader_init (&l);
  er.loader = &l;
  for (int i = 0; i < 3; i++)
    nm_async_cache_get_or_compute_async (cache, "k", test_load, &l, NULL, NULL,
                                         on_error_then_retry, &er);
  g_assert_cmpuint (l.started, ==, 1);
  loader_complete (&l, NULL);
  while (er.errors < 3)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (l.started, ==, 2);
  g_assert_cmpuint (uint_prop (cache, "load-failures"), ==, 1);
  loader_complete (&l, "second");
  wait_for (&er.retry);
  g_assert_cmpstr (result_string (&er.retry), ==, "second");
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 1);
  result_clear (&er.retry);
  loader_clear (&l);
}

static void
test_cache_negative_ttl (void)
{
  g_autoptr(NmAsyncCache) cache = g_object_new (NM_TYPE_ASYNC_CACHE,
                                                "negative-ttl", (gint64) 1000, NULL);
  Result r = { 0 };
  Loader l;

  loader_init (&l);
  fake_now = 0;
  _nm_async_cache_set_clock (cache, fake_clock, NULL);

  request (cache, "k", &l, NULL, &r);
  loader_complete (&l, NULL);
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  result_clear (&r);

  /* Kept for the negative TTL: no new load, same error. */
  request (cache, "k", &l, NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (l.started, ==, 1);
  g_assert_null (nm_async_cache_lookup (cache, "k"));
  result_clear (&r);

  fake_now = 1000;
  request (cache, "k", &l, NULL, &r);
  g_assert_cmpuint (l.started, ==, 2);
  loader_complete (&l, "fine");
  wait_for (&r);
  g_assert_cmpstr (result_string (&r), ==, "fine");
  result_clear (&r);
  loader_clear (&l);
}

/* ---- cancellation --------------------------------------------------------------- */

static void
test_cache_cancel_one_of_three (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  GCancellable *c[3] = { g_cancellable_new (), g_cancellable_new (), g_cancellable_new () };
  Result r[3] = { { 0 } };
  Loader l;

  loader_init (&l);
  for (guint i = 0; i < 3; i++)
    request (cache, "k", &l, c[i], &r[i]);

  g_cancellable_cancel (c[1]);
  wait_for (&r[1]);
  g_assert_error (r[1].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (r[0].done);
  g_assert_false (r[2].done);
  g_assert_cmpuint (l.cancelled, ==, 0);

  loader_complete (&l, "v");
  wait_for (&r[0]);
  wait_for (&r[2]);
  g_assert_cmpstr (result_string (&r[0]), ==, "v");
  g_assert_cmpstr (result_string (&r[2]), ==, "v");
  g_assert_cmpuint (l.cancelled, ==, 0);
  g_assert_cmpuint (uint_prop (cache, "cancelled-waiters"), ==, 1);
  g_assert_cmpuint (uint_prop (cache, "abandoned-loads"), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      result_clear (&r[i]);
      g_object_unref (c[i]);
    }
  loader_clear (&l);
}

static void
test_cache_cancel_all (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  GCancellable *c[3] = { g_cancellable_new (), g_cancellable_new (), g_cancellable_new () };
  Result r[3] = { { 0 } };
  Result fresh = { 0 };
  GTask *abandoned;
  Loader l;

  loader_init (&l);
  for (guint i = 0; i < 3; i++)
    request (cache, "k", &l, c[i], &r[i]);
  abandoned = g_object_ref (g_ptr_array_index (l.tasks, 0));

  for (guint i = 0; i < 3; i++)
    {
      g_cancellable_cancel (c[i]);
      wait_for (&r[i]);
      g_assert_error (r[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  g_assert_cmpuint (l.cancelled, ==, 1);
  g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (abandoned)));
  g_assert_cmpuint (uint_prop (cache, "abandoned-loads"), ==, 1);

  /* Right after: a fresh load, not the dying one. */
  request (cache, "k", &l, NULL, &fresh);
  g_assert_cmpuint (l.started, ==, 2);
  g_assert_false (g_cancellable_is_cancelled (g_task_get_cancellable (g_ptr_array_index (l.tasks, 1))));

  /* The abandoned load finishing late stores nothing and reaches nobody. */
  loader_complete (&l, "stale");
  spin ();
  g_assert_false (fresh.done);
  g_assert_null (nm_async_cache_lookup (cache, "k"));

  loader_complete (&l, "fresh");
  wait_for (&fresh);
  g_assert_cmpstr (result_string (&fresh), ==, "fresh");
  g_object_unref (abandoned);
  for (guint i = 0; i < 3; i++)
    {
      result_clear (&r[i]);
      g_object_unref (c[i]);
    }
  result_clear (&fresh);
  loader_clear (&l);
}

static void
test_cache_cancel_before (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  g_autoptr(GCancellable) c = g_cancellable_new ();
  Result r = { 0 };
  Loader l;

  loader_init (&l);
  g_cancellable_cancel (c);
  request (cache, "k", &l, c, &r);
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (l.started, ==, 0);
  result_clear (&r);
  loader_clear (&l);
}

#define N_STRESS 10000

static void
test_cache_cancel_stress (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  g_autoptr(GRand) rand = g_rand_new_with_seed (0x5eed);
  Result *r = g_new0 (Result, N_STRESS);
  GCancellable **c = g_new0 (GCancellable *, N_STRESS);
  gboolean *survivor = g_new0 (gboolean, N_STRESS);
  guint issued = 0, survivors = 0;
  Loader l;

  loader_init (&l);

  /* Requests arrive in bursts; most are cancelled at random moments. The
   * pending load is completed at random too, so keys go through many
   * loads, abandonments and fresh starts. */
  while (issued < N_STRESS || l.tasks->len > 0)
    {
      guint burst = g_rand_int_range (rand, 1, 200);
      gboolean keep_some = g_rand_int_range (rand, 0, 10) == 0;

      for (guint i = 0; i < burst && issued < N_STRESS; i++, issued++)
        {
          c[issued] = g_cancellable_new ();
          survivor[issued] = keep_some && g_rand_int_range (rand, 0, 10) == 0;
          request (cache, "k", &l, c[issued], &r[issued]);
          /* At most one load that nobody abandoned, at any time. */
          g_assert_cmpint (l.active, <=, 1);
        }

      for (guint i = 0; i < issued; i++)
        if (!survivor[i] && !r[i].done && g_rand_boolean (rand))
          g_cancellable_cancel (c[i]);

      spin ();
      g_assert_cmpint (l.active, <=, 1);

      if (l.tasks->len > 0 && (issued == N_STRESS || g_rand_int_range (rand, 0, 8) == 0))
        loader_complete (&l, "v");
      spin ();

      /* Drop the stored value so later bursts load again (not while a
       * load is in flight: that would detach it and start another). */
      if (l.active == 0)
        nm_async_cache_invalidate (cache, "k");
    }

  for (guint i = 0; i < N_STRESS; i++)
    {
      if (!r[i].done)
        g_cancellable_cancel (c[i]);
      wait_for (&r[i]);
      if (survivor[i])
        {
          survivors++;
          g_assert_cmpstr (result_string (&r[i]), ==, "v");
        }
      else if (r[i].error != NULL)
        g_assert_error (r[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      result_clear (&r[i]);
      g_object_unref (c[i]);
    }

  g_assert_cmpint (l.max_active, ==, 1);
  g_assert_cmpuint (survivors, >, 0);
  g_test_message ("cancelled waiters %" G_GUINT64_FORMAT ", hits %" G_GUINT64_FORMAT, uint_prop (cache, "cancelled-waiters"), uint_prop (cache, "hits"));
  g_assert_cmpuint (l.cancelled, >, 0);
  g_assert_cmpuint (uint_prop (cache, "abandoned-loads"), ==, l.cancelled);
  g_assert_cmpuint (uint_prop (cache, "loads"), ==, l.started);
  g_test_message ("%u loads, %u abandoned, %u survivors", l.started, l.cancelled, survivors);

  g_free (r);
  g_free (c);
  g_free (survivor);
  loader_clear (&l);
}

/* ---- time ----------------------------------------------------------------------- */

static void
test_cache_ttl (void)
{
  g_autoptr(NmAsyncCache) cache = g_object_new (NM_TYPE_ASYNC_CACHE, "ttl", (gint64) 100, NULL);
  Evictions e;
  char *s;

  evictions_watch (&e, cache);
  fake_now = 1000;
  _nm_async_cache_set_clock (cache, fake_clock, NULL);

  insert_string (cache, "a", "A");                                  /* expires at 1100 */
  {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_STRING);
    g_value_set_static_string (&v, "B");
    nm_async_cache_insert_with_ttl (cache, "b", &v, 50);            /* at 1050 */
    nm_async_cache_insert_with_ttl (cache, "c", &v, NM_ASYNC_CACHE_TTL_FOREVER);
    g_value_unset (&v);
  }

  fake_now = 1049;
  s = lookup_string (cache, "b");
  g_assert_cmpstr (s, ==, "B");
  g_free (s);

  fake_now = 1050;
  g_assert_null (nm_async_cache_lookup (cache, "b"));   /* never returned once expired */
  g_assert_cmpuint (e.keys->len, ==, 1);
  g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, 0), ==,
                    NM_ASYNC_CACHE_EVICTION_EXPIRED);

  /* A loader can give its value a lifetime of its own. */
  {
    Result r = { 0 };
    Loader l;

    loader_init (&l);
    request (cache, "short", &l, NULL, &r);
    nm_async_cache_load_set_ttl (g_ptr_array_index (l.tasks, 0), 10);   /* at 1060 */
    loader_complete (&l, "S");
    wait_for (&r);
    result_clear (&r);
    loader_clear (&l);
    s = lookup_string (cache, "short");
    g_assert_cmpstr (s, ==, "S");
    g_free (s);
    fake_now = 1060;
    g_assert_null (nm_async_cache_lookup (cache, "short"));
    g_assert_cmpuint (e.keys->len, ==, 2);
  }

  fake_now = 5000;
  g_assert_cmpuint (_nm_async_cache_expire (cache), ==, 1);     /* a, without a lookup */
  g_assert_cmpstr (g_ptr_array_index (e.keys, 2), ==, "a");
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 1);
  s = lookup_string (cache, "c");
  g_assert_cmpstr (s, ==, "B");
  g_free (s);
  g_assert_cmpuint (uint_prop (cache, "expirations"), ==, 3);
  g_assert_cmpuint (uint_prop (cache, "evictions"), ==, 0);
  evictions_clear (&e);
}

static void
test_cache_ttl_source (void)
{
  g_autoptr(NmAsyncCache) cache = g_object_new (NM_TYPE_ASYNC_CACHE,
                                                "ttl", (gint64) 20 * 1000, NULL);
  gint64 start = g_get_monotonic_time ();
  Evictions e;

  evictions_watch (&e, cache);
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);

      insert_string (cache, key, "v");
    }

  /* One source reclaims them all, nobody looking them up. */
  while (nm_async_cache_get_size (cache) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 20 * 1000);
  g_assert_cmpuint (e.keys->len, ==, 100);
  for (guint i = 0; i < e.reasons->len; i++)
    g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, i), ==,
                      NM_ASYNC_CACHE_EVICTION_EXPIRED);
  evictions_clear (&e);
}

static void
test_cache_refresh (void)
{
  g_autoptr(NmAsyncCache) cache = g_object_new (NM_TYPE_ASYNC_CACHE,
                                                "ttl", (gint64) 1000,
                                                "refresh-after", (gint64) 100,
                                                NULL);
  Result r = { 0 };
  char *s;
  Loader l;

  loader_init (&l);
  fake_now = 0;
  _nm_async_cache_set_clock (cache, fake_clock, NULL);

  request (cache, "k", &l, NULL, &r);
  loader_complete (&l, "v1");
  wait_for (&r);
  result_clear (&r);

  /* Before refresh-after: a plain hit. */
  fake_now = 99;
  request (cache, "k", &l, NULL, &r);
  wait_for (&r);
  g_assert_cmpstr (result_string (&r), ==, "v1");
  g_assert_cmpuint (l.started, ==, 1);
  result_clear (&r);

  /* Past it: the current value at once, and one background reload. */
  fake_now = 100;
  for (int i = 0; i < 3; i++)
    {
      request (cache, "k", &l, NULL, &r);
      wait_for (&r);
      g_assert_cmpstr (result_string (&r), ==, "v1");
      result_clear (&r);
    }
  g_assert_cmpuint (l.started, ==, 2);

  /* A failed reload keeps the old value. */
  loader_complete (&l, NULL);
  spin ();
  s = lookup_string (cache, "k");
  g_assert_cmpstr (s, ==, "v1");
  g_free (s);

  /* The next hit tries again; this one succeeds. */
  request (cache, "k", &l, NULL, &r);
  wait_for (&r);
  result_clear (&r);
  g_assert_cmpuint (l.started, ==, 3);
  loader_complete (&l, "v2");
  spin ();
  s = lookup_string (cache, "k");
  g_assert_cmpstr (s, ==, "v2");
  g_free (s);

  /* The TTL still wins: refreshed at 100, so it expires at 1100. */
  fake_now = 1100;
  g_assert_null (nm_async_cache_lookup (cache, "k"));
  g_assert_cmpuint (uint_prop (cache, "loads"), ==, 3);
  loader_clear (&l);
}

/* ---- bounds ---------------------------------------------------------------------- */

static void
test_cache_eviction_order (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (3);
  Evictions e;

  evictions_watch (&e, cache);
  insert_string (cache, "a", "A");
  insert_string (cache, "b", "B");
  insert_string (cache, "c", "C");
  g_free (lookup_string (cache, "a"));

  /* SIEVE: the hand passes a (visited, spared) and evicts b. */
  insert_string (cache, "d", "D");
  g_assert_cmpuint (e.keys->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (e.keys, 0), ==, "b");
  g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, 0), ==,
                    NM_ASYNC_CACHE_EVICTION_SIZE);

  /* The hand goes on towards the head: c, then d; a, spared once, is
   * next in line only when the hand wraps round. */
  insert_string (cache, "e", "E");
  insert_string (cache, "f", "F");
  g_assert_cmpstr (g_ptr_array_index (e.keys, 1), ==, "c");
  g_assert_cmpstr (g_ptr_array_index (e.keys, 2), ==, "d");


  /* Scan resistance: a hot entry survives a run of one-shot keys. */
  for (int round = 0; round < 20; round++)
    {
      g_autofree char *key = g_strdup_printf ("scan%d", round);

      g_free (lookup_string (cache, "f"));
      insert_string (cache, key, "S");
    }
  g_free (lookup_string (cache, "f"));
  g_assert_cmpuint (uint_prop (cache, "hits"), ==, 22);

  /* Replacing announces the old value. */
  insert_string (cache, "f", "F2");
  g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, e.reasons->len - 1), ==,
                    NM_ASYNC_CACHE_EVICTION_REPLACED);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 3);
  evictions_clear (&e);
}

static guint64
weigh_string (NmAsyncCache  *cache,
              gconstpointer  key,
              gconstpointer  value,
              gpointer       user_data)
{
  return strlen (g_value_get_string (value));
}

static void
test_cache_weight (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  Evictions e;

  evictions_watch (&e, cache);
  nm_async_cache_set_weigher (cache, weigh_string, NULL, NULL);
  insert_string (cache, "a", "aaaa");
  insert_string (cache, "b", "bbbb");
  g_assert_cmpuint (uint_prop (cache, "weight"), ==, 8);
  insert_string (cache, "c", "cc");
  g_assert_cmpuint (uint_prop (cache, "weight"), ==, 10);
  g_assert_cmpuint (e.keys->len, ==, 0);

  insert_string (cache, "d", "ddd");
  g_assert_cmpuint (uint_prop (cache, "weight"), <=, 10);
  g_assert_cmpuint (uint_prop (cache, "weight"), ==, 9);
  g_assert_cmpstr (g_ptr_array_index (e.keys, 0), ==, "a");

  /* Heavier than the whole capacity: delivered nowhere, stored nowhere. */
  insert_string (cache, "huge", "hhhhhhhhhhhh");
  g_assert_null (nm_async_cache_lookup (cache, "huge"));
  g_assert_cmpuint (uint_prop (cache, "weight"), <=, 10);

  /* Replacing re-weighs. */
  insert_string (cache, "c", "c");
  g_assert_cmpuint (uint_prop (cache, "weight"), <=, 10);
  evictions_clear (&e);
}

static void
test_cache_invalidate_during_load (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  Result r1 = { 0 }, r2 = { 0 };
  Evictions e;
  char *s;
  Loader l;

  loader_init (&l);
  evictions_watch (&e, cache);
  request (cache, "k", &l, NULL, &r1);
  g_assert_false (nm_async_cache_invalidate (cache, "k"));
  request (cache, "k", &l, NULL, &r2);
  g_assert_cmpuint (l.started, ==, 2);

  loader_complete (&l, "old");
  wait_for (&r1);
  g_assert_cmpstr (result_string (&r1), ==, "old");   /* its waiter still gets it */
  g_assert_null (nm_async_cache_lookup (cache, "k")); /* but it is not stored */

  loader_complete (&l, "new");
  wait_for (&r2);
  s = lookup_string (cache, "k");
  g_assert_cmpstr (s, ==, "new");
  g_free (s);

  g_assert_true (nm_async_cache_invalidate (cache, "k"));
  g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, 0), ==,
                    NM_ASYNC_CACHE_EVICTION_INVALIDATED);
  result_clear (&r1);
  result_clear (&r2);
  evictions_clear (&e);
  loader_clear (&l);
}

static void
test_cache_clear_and_trim (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (100);
  Evictions e;

  evictions_watch (&e, cache);
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);

      insert_string (cache, key, "v");
    }

  g_assert_cmpuint (nm_async_cache_trim (cache, G_MEMORY_MONITOR_WARNING_LEVEL_LOW), ==, 25);
  g_assert_cmpuint (nm_async_cache_trim (cache, G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM), ==, 38);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 37);
  g_assert_cmpuint (uint_prop (cache, "evictions"), ==, 63);
  g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, 0), ==,
                    NM_ASYNC_CACHE_EVICTION_MEMORY_PRESSURE);

  nm_async_cache_clear (cache);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 0);
  g_assert_cmpuint (e.keys->len, ==, 100);
  g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, 99), ==,
                    NM_ASYNC_CACHE_EVICTION_INVALIDATED);

  insert_string (cache, "again", "v");
  g_assert_cmpuint (nm_async_cache_trim (cache, G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL), ==, 1);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 0);
  evictions_clear (&e);
}

/* A GMemoryMonitor the test drives by hand. */
typedef struct { GObject parent_instance; } TestMonitor;
typedef struct { GObjectClass parent_class; } TestMonitorClass;

static void test_monitor_iface_init (GMemoryMonitorInterface *iface) { }
static gboolean test_monitor_init_sync (GInitable *i, GCancellable *c, GError **e) { return TRUE; }
static void test_monitor_initable_init (GInitableIface *iface) { iface->init = test_monitor_init_sync; }

static GType test_monitor_get_type (void);
G_DEFINE_TYPE_WITH_CODE (TestMonitor, test_monitor, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, test_monitor_initable_init)
                         G_IMPLEMENT_INTERFACE (G_TYPE_MEMORY_MONITOR, test_monitor_iface_init))

static void test_monitor_class_init (TestMonitorClass *klass) { }
static void test_monitor_init (TestMonitor *self) { }

static void
test_cache_memory_pressure (void)
{
  g_autoptr(GObject) monitor = g_object_new (test_monitor_get_type (), NULL);
  g_autoptr(NmMemoryPressure) pressure = nm_memory_pressure_new (G_MEMORY_MONITOR (monitor));
  NmAsyncCache *cache = nm_async_cache_new (100);
  Evictions e;

  evictions_watch (&e, cache);
  for (int i = 0; i < 40; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);

      insert_string (cache, key, "v");
    }

  g_assert_cmpuint (nm_async_cache_follow_memory_pressure (cache, pressure), >, 0);
  g_assert_cmpuint (nm_memory_pressure_get_n_targets (pressure), ==, 1);

  /* What GMemoryMonitor::low-memory-warning does. */
  g_signal_emit_by_name (monitor, "low-memory-warning", G_MEMORY_MONITOR_WARNING_LEVEL_LOW);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 30);
  g_assert_cmpuint (g_array_index (e.reasons, NmAsyncCacheEvictionReason, 0), ==,
                    NM_ASYNC_CACHE_EVICTION_MEMORY_PRESSURE);

  /* Emptying the cache gives its arrays back. */
  g_assert_cmpuint (nm_memory_pressure_trim (pressure, NM_MEMORY_PRESSURE_LEVEL_CRITICAL), >, 0);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 0);
  g_assert_cmpuint (uint_prop (cache, "evictions"), ==, 40);

  /* Held weakly. */
  evictions_clear (&e);
  g_object_unref (cache);
  g_assert_cmpuint (nm_memory_pressure_get_n_targets (pressure), ==, 0);
}

/* ---- C key and value types -------------------------------------------------------- */

static gpointer
int64_dup (gpointer key)
{
  return g_memdup2 (key, sizeof (gint64));
}

static void
load_bytes (NmAsyncCache *cache,
            gconstpointer key,
            GTask        *task,
            gpointer      data)
{
  gint64 k = *(const gint64 *) key;

  g_task_return_pointer (task, g_bytes_new (&k, sizeof k), (GDestroyNotify) g_bytes_unref);
}

static void
on_bytes (GObject      *source,
          GAsyncResult *res,
          gpointer      data)
{
  GBytes **out = data;
  g_autoptr(GError) error = NULL;

  *out = nm_async_cache_get_or_compute_finish (NM_ASYNC_CACHE (source), res, &error);
  g_assert_no_error (error);
}

static void
test_cache_c_types (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_int64_hash, g_int64_equal,
                                                           int64_dup, g_free,
                                                           (GBoxedCopyFunc) g_bytes_ref,
                                                           (GDestroyNotify) g_bytes_unref, 1000);
  g_autoptr(GBytes) stored = g_bytes_new_static ("abc", 3);
  GBytes *got = NULL;
  gint64 key = 1;

  nm_async_cache_insert (cache, &key, stored);
  got = nm_async_cache_lookup (cache, &key);
  g_assert_true (got == stored);     /* a reference, not a copy */
  g_bytes_unref (got);

  for (gint64 k = 100; k < 2100; k++)
    {
      got = NULL;
      nm_async_cache_get_or_compute_async (cache, &k, load_bytes, NULL, NULL, NULL, on_bytes, &got);
      while (got == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (*(const gint64 *) g_bytes_get_data (got, NULL), ==, k);
      g_bytes_unref (got);
    }
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 1000);
  g_assert_cmpuint (uint_prop (cache, "evictions"), ==, 1001);

  /* Bounded by entries: nothing is allocated past the capacity, and the
   * slots, records and ghost filter take under 64 bytes per entry. */
  g_assert_cmpuint (_nm_async_cache_get_bytes (cache), <=, 1000 * 64);
}

/* ---- policy ------------------------------------------------------------------------- */

/* Keys 1 … n as pointers: g_direct_hash gives neighbouring keys
 * neighbouring hashes, which must still spread over the index. Returns the
 * mean distance of an entry from its home slot. */
static double
mean_probe (NmAsyncCache *cache)
{
  NmCacheStore *store = &cache->store;
  guint64 total = 0;

  for (guint32 s = 0; s < store->n_slots; s++)
    {
      guint32 home;

      if (store->slots[s].key == NULL)
        continue;
      home = _nm_cache_store_home (store, store->slots[s].tag);
      total += (s + store->n_slots - home) % store->n_slots;
    }

  return (double) total / store->n_used;
}

static void
test_cache_index_spread (void)
{
  static const char value[] = "v";
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                           NULL, NULL, NULL, NULL, 4096);
  double mean;

  for (guint i = 1; i <= 4096; i++)
    nm_async_cache_insert (cache, GUINT_TO_POINTER (i), value);
  for (guint i = 1; i <= 4096; i++)
    g_assert_true (nm_async_cache_lookup (cache, GUINT_TO_POINTER (i)) == value);

  /* Full, at a load factor of 6/7, linear probing with spread hashes keeps
   * an entry 3 slots from its home on average ((1 / (1 - 6/7) - 1) / 2,
   * and half a slot more as homes start lines); hashes that collide in
   * groups would push it far beyond. */
  mean = mean_probe (cache);
  g_test_message ("mean distance from home: %.2f slots", mean);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 4096);
  g_assert_cmpfloat (mean, <, 4.5);
}

/* An index past 4 MiB is mapped on huge pages rather than taken from the
 * heap: growth from heap tables into mapped ones, a mapped table replaced
 * by a bigger one, removals, a clear and a use after it keep every entry
 * reachable, and the tools see no leak or bad access. */
static void
test_cache_index_mapped (void)
{
  static const char value[] = "v";
  const guint n = 150000;   /* 175 002 slots of 32 bytes: 5.6 MB */
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                           NULL, NULL, NULL, NULL, n);

  for (guint i = 1; i <= n; i++)
    nm_async_cache_insert (cache, GUINT_TO_POINTER (i), value);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, n);
  g_assert_cmpuint (_nm_async_cache_get_bytes (cache), >=, (gsize) 4 << 20);
  for (guint i = 1; i <= n; i++)
    g_assert_true (nm_async_cache_lookup (cache, GUINT_TO_POINTER (i)) == value);

  for (guint i = 1; i <= n; i += 2)
    g_assert_true (nm_async_cache_invalidate (cache, GUINT_TO_POINTER (i)));
  for (guint i = 1; i <= n; i++)
    g_assert_true ((nm_async_cache_lookup (cache, GUINT_TO_POINTER (i)) == value) == (i % 2 == 0));

  nm_async_cache_clear (cache);
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 0);
  g_assert_null (nm_async_cache_lookup (cache, GUINT_TO_POINTER (2)));
  for (guint i = 1; i <= 1000; i++)
    nm_async_cache_insert (cache, GUINT_TO_POINTER (i), value);
  for (guint i = 1; i <= 1000; i++)
    g_assert_true (nm_async_cache_lookup (cache, GUINT_TO_POINTER (i)) == value);
}

/* Random inserts, lookups, invalidations, capacity changes and trims
 * against a GHashTable of what was stored last: whatever the cache holds
 * is the latest value, it never holds more than its capacity, and every
 * entry stays reachable through the index (probe wrap-around, backward
 * shifts and growth to sizes that are not powers of two). */
static guint64
weigh_pointer (NmAsyncCache  *cache,
               gconstpointer  key,
               gconstpointer  value,
               gpointer       user_data)
{
  return GPOINTER_TO_UINT (value) % 7 + 1;
}

static void
index_random (gboolean weighted)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                           NULL, NULL, NULL, NULL, 300);
  g_autoptr(GHashTable) model = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GRand) rand = g_rand_new_with_seed (77);
  guint64 capacity = 300;

  if (weighted)
    nm_async_cache_set_weigher (cache, weigh_pointer, NULL, NULL);

  for (guint i = 0; i < 200000; i++)
    {
      gpointer key = GUINT_TO_POINTER (g_rand_int_range (rand, 1, 1000));
      guint op = g_rand_int_range (rand, 0, 1000);

      if (op < 450)
        {
          gpointer value = GUINT_TO_POINTER (g_rand_int_range (rand, 1, G_MAXINT32));
          gboolean fits = capacity >= (weighted ? weigh_pointer (cache, key, value, NULL) : 1);
          gboolean replacing = nm_async_cache_lookup (cache, key) != NULL;
          gpointer found;

          nm_async_cache_insert (cache, key, value);
          g_hash_table_insert (model, key, value);
          found = nm_async_cache_lookup (cache, key);

          /* Room is made before a new entry is stored: it is never its own
           * victim, unless it cannot fit. A replacement that weighs more
           * may be (eviction follows the policy); never is a stale value
           * left. */
          if (!replacing)
            g_assert_true (found == (fits ? value : NULL));
          else
            g_assert_true (found == value || found == NULL);
        }
      else if (op < 900)
        {
          gpointer found = nm_async_cache_lookup (cache, key);

          if (found != NULL)
            g_assert_true (found == g_hash_table_lookup (model, key));
        }
      else if (op < 990)
        {
          nm_async_cache_invalidate (cache, key);
          g_assert_null (nm_async_cache_lookup (cache, key));
        }
      else if (op < 998)
        {
          capacity = g_rand_int_range (rand, 0, 1200);
          nm_async_cache_set_capacity (cache, capacity);
        }
      else
        nm_async_cache_trim (cache, G_MEMORY_MONITOR_WARNING_LEVEL_LOW);

      g_assert_cmpuint (nm_async_cache_get_size (cache), <=, capacity);
      g_assert_cmpuint (uint_prop (cache, "weight"), <=, capacity);
    }

  /* Every entry the index holds is found from its home; the weights add
   * up, in all and in the small queue. */
  {
    guint64 weight = 0, small = 0;

    for (guint32 s = 0; s < cache->store.n_slots; s++)
      {
        const NmCacheSlot *slot = &cache->store.slots[s];
        guint64 w;

        if (slot->key == NULL)
          continue;
        g_assert_true (nm_async_cache_lookup (cache, slot->key) == g_hash_table_lookup (model, slot->key));
        g_assert_cmpuint (cache->store.records[slot->idx].slot, ==, s);
        w = weighted ? weigh_pointer (cache, slot->key, slot->value, NULL) : 1;
        weight += w;
        if (!(slot->tag & NM_CACHE_MAIN))
          small += w;
      }
    g_assert_cmpuint (uint_prop (cache, "weight"), ==, weight);
    g_assert_cmpuint (cache->store.small_weight, ==, small);
  }
}

static void
test_cache_index_random (void)
{
  index_random (FALSE);
}

static void
test_cache_index_random_weighted (void)
{
  index_random (TRUE);
}

/* The reference SIEVE (Zhang et al.): one FIFO, a visited bit, a hand from
 * the tail towards the head. Keys are 0 … universe-1. */
static guint
sieve_hits (const guint32 *trace,
            guint          len,
            guint          universe,
            guint          capacity)
{
  guint32 *newer = g_new (guint32, universe);
  guint32 *older = g_new (guint32, universe);
  guint8 *in = g_new0 (guint8, universe);
  guint8 *visited = g_new0 (guint8, universe);
  guint32 head = G_MAXUINT32, tail = G_MAXUINT32, hand = G_MAXUINT32;
  guint size = 0, hits = 0;

  for (guint i = 0; i < len; i++)
    {
      guint32 k = trace[i];

      if (in[k])
        {
          hits++;
          visited[k] = 1;
          continue;
        }
      if (size == capacity)
        {
          guint32 h = hand != G_MAXUINT32 ? hand : tail;

          while (visited[h])
            {
              visited[h] = 0;
              h = newer[h] != G_MAXUINT32 ? newer[h] : tail;
            }
          hand = newer[h];
          if (newer[h] != G_MAXUINT32) older[newer[h]] = older[h]; else head = older[h];
          if (older[h] != G_MAXUINT32) newer[older[h]] = newer[h]; else tail = newer[h];
          in[h] = 0;
          size--;
        }
      in[k] = 1;
      visited[k] = 0;
      newer[k] = G_MAXUINT32;
      older[k] = head;
      if (head != G_MAXUINT32) newer[head] = k; else tail = k;
      head = k;
      size++;
    }

  g_free (newer);
  g_free (older);
  g_free (in);
  g_free (visited);
  return hits;
}

/* Zipf(1) over 2000 keys with a one-shot scan of 200 keys every 2000
 * requests, at a capacity of 10 % of the keys: the small queue keeps the
 * scans out of the main one, and the ghost brings back popular keys
 * evicted too early. Hits at least those of plain SIEVE, and more. */
static void
test_cache_policy_beats_sieve (void)
{
  static const char value[] = "v";
  enum { N_KEYS = 2000, LEN = 60000, SCAN_EVERY = 2000, SCAN_LEN = 200, CAPACITY = 200 };
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                           NULL, NULL, NULL, NULL, CAPACITY);
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  g_autofree double *cdf = g_new (double, N_KEYS);
  g_autofree guint32 *trace = g_new (guint32, LEN);
  guint next_scan = N_KEYS, hits = 0, reference;
  double sum = 0;

  for (guint i = 0; i < N_KEYS; i++)
    cdf[i] = sum += 1.0 / (i + 1);
  for (guint i = 0; i < LEN; )
    {
      if (i % SCAN_EVERY == SCAN_EVERY - 1)
        for (guint j = 0; j < SCAN_LEN && i < LEN; j++)
          trace[i++] = next_scan++;
      else
        {
          double u = g_rand_double (rand) * sum;
          guint lo = 0, hi = N_KEYS - 1;

          while (lo < hi)
            {
              guint mid = (lo + hi) / 2;

              if (cdf[mid] < u)
                lo = mid + 1;
              else
                hi = mid;
            }
          trace[i++] = lo;
        }
    }

  for (guint i = 0; i < LEN; i++)
    {
      gpointer key = GUINT_TO_POINTER (trace[i] + 1);

      if (nm_async_cache_lookup (cache, key) != NULL)
        hits++;
      else
        nm_async_cache_insert (cache, key, value);
    }

  reference = sieve_hits (trace, LEN, next_scan, CAPACITY);
  g_test_message ("hits: cache %u, SIEVE %u of %u", hits, reference, LEN);
  g_assert_cmpuint (uint_prop (cache, "hits"), ==, hits);
  g_assert_cmpuint (hits, >, reference);
}

/* A key evicted from the small queue unvisited is remembered by the ghost:
 * when it comes back it enters the main queue, where a scan of new keys
 * (which pass through the small queue) does not evict it. */
static void
test_cache_policy_ghost (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (64);
  Evictions e;

  evictions_watch (&e, cache);
  insert_string (cache, "returning", "R");
  for (int i = 0; i < 64; i++)
    {
      g_autofree char *key = g_strdup_printf ("first%d", i);

      insert_string (cache, key, "F");
    }
  g_assert_cmpuint (e.keys->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (e.keys, 0), ==, "returning");

  /* Back again: admitted to the main queue, it outlives 200 one-shot keys
   * although nobody reads it meanwhile. */
  insert_string (cache, "returning", "R");
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *key = g_strdup_printf ("scan%d", i);

      insert_string (cache, key, "S");
    }
  g_free (lookup_string (cache, "returning"));
  g_assert_cmpuint (uint_prop (cache, "hits"), ==, 1);

  /* A key never seen before is not: it leaves with the scan. */
  insert_string (cache, "stranger", "X");
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *key = g_strdup_printf ("again%d", i);

      insert_string (cache, key, "S");
    }
  g_assert_null (nm_async_cache_lookup (cache, "stranger"));
  evictions_clear (&e);
}

static void
test_cache_bad_input (void)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new (10);
  Result r = { 0 };

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*key != NULL*");
  g_assert_null (nm_async_cache_lookup (cache, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*value != NULL*");
  nm_async_cache_insert (cache, "k", NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*ttl >= 0*");
  nm_async_cache_insert_with_ttl (cache, "k", "x", -5);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*load_func != NULL*");
  nm_async_cache_get_or_compute_async (cache, "k", NULL, NULL, NULL, NULL, on_result, &r);
  g_test_assert_expected_messages ();
  g_assert_false (r.done);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_ASYNC_CACHE*");
  g_assert_false (nm_async_cache_invalidate (NULL, "k"));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*key_hash != NULL*");
  g_assert_null (nm_async_cache_new_full (NULL, g_str_equal, NULL, NULL, NULL, NULL, 1));
  g_test_assert_expected_messages ();

  /* Still fine afterwards. */
  g_assert_cmpuint (nm_async_cache_get_size (cache), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/async-cache/construct", test_cache_construct);
  g_test_add_func ("/nebula/async-cache/notify", test_cache_notify);
  g_test_add_func ("/nebula/async-cache/hit", test_cache_hit);
  g_test_add_func ("/nebula/async-cache/load", test_cache_load);
  g_test_add_func ("/nebula/async-cache/single-flight", test_cache_single_flight);
  g_test_add_func ("/nebula/async-cache/in-thread", test_cache_in_thread);
  g_test_add_func ("/nebula/async-cache/error/not-cached", test_cache_error_not_cached);
  g_test_add_func ("/nebula/async-cache/error/negative-ttl", test_cache_negative_ttl);
  g_test_add_func ("/nebula/async-cache/cancel/one-of-three", test_cache_cancel_one_of_three);
  g_test_add_func ("/nebula/async-cache/cancel/all", test_cache_cancel_all);
  g_test_add_func ("/nebula/async-cache/cancel/before", test_cache_cancel_before);
  g_test_add_func ("/nebula/async-cache/cancel/stress", test_cache_cancel_stress);
  g_test_add_func ("/nebula/async-cache/time/ttl", test_cache_ttl);
  g_test_add_func ("/nebula/async-cache/time/source", test_cache_ttl_source);
  g_test_add_func ("/nebula/async-cache/time/refresh", test_cache_refresh);
  g_test_add_func ("/nebula/async-cache/bound/eviction-order", test_cache_eviction_order);
  g_test_add_func ("/nebula/async-cache/bound/weight", test_cache_weight);
  g_test_add_func ("/nebula/async-cache/bound/index-spread", test_cache_index_spread);
  g_test_add_func ("/nebula/async-cache/bound/index-mapped", test_cache_index_mapped);
  g_test_add_func ("/nebula/async-cache/bound/index-random", test_cache_index_random);
  g_test_add_func ("/nebula/async-cache/bound/index-random-weighted", test_cache_index_random_weighted);
  g_test_add_func ("/nebula/async-cache/policy/beats-sieve", test_cache_policy_beats_sieve);
  g_test_add_func ("/nebula/async-cache/policy/ghost", test_cache_policy_ghost);
  g_test_add_func ("/nebula/async-cache/invalidate-during-load", test_cache_invalidate_during_load);
  g_test_add_func ("/nebula/async-cache/clear-and-trim", test_cache_clear_and_trim);
  g_test_add_func ("/nebula/async-cache/memory-pressure", test_cache_memory_pressure);
  g_test_add_func ("/nebula/async-cache/c-types", test_cache_c_types);
  g_test_add_func ("/nebula/async-cache/bad-input", test_cache_bad_input);

  return g_test_run ();
}
