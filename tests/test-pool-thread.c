/* test-pool-thread.c: NmPoolAllocator in thread-safe mode
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run in the 'thread' suite, also under ThreadSanitizer and Valgrind; the
 * operation count drops there (NM_TEST_POOL_OPS overrides it).
 */

#include <stdlib.h>
#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-allocator-private.h"
#include "nm-sanitizer-private.h"
#include "nm-pool-allocator-private.h"

#define N_THREADS 4
#define N_SLOTS   1024
#define MAGIC     G_GUINT64_CONSTANT (0x5eb1a5eb1a5eb1a5)

static guint64
ops_per_thread (void)
{
  const char *env = g_getenv ("NM_TEST_POOL_OPS");

  if (env != NULL)
    return g_ascii_strtoull (env, NULL, 10);
#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    return 20000;
#endif
#if defined(__SANITIZE_THREAD__)
  return 200000;
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
  return 200000;
# endif
#endif
  return 1000000;
}

typedef struct
{
  NmPoolAllocator *pool;
  gpointer         slots[N_SLOTS];
  guint64          n_ops;
  guint64          allocs;      /* atomic */
  guint64          frees;       /* atomic */
  guint64          errors;      /* atomic: cookie mismatches, duplicates */
  guint64          failures;    /* atomic: failed allocations */
} Stress;

typedef struct
{
  Stress *stress;
  guint   id;
} Worker;

static inline guint64
xorshift (guint64 *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void
retire (Stress   *stress,
        guint64  *block,
        guint64  *frees)
{
  if (block[0] != ((guint64) (guintptr) block ^ MAGIC))
    __atomic_fetch_add (&stress->errors, 1, __ATOMIC_RELAXED);
  block[0] = 0;
  nm_pool_allocator_free (stress->pool, block);
  (*frees)++;
}

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  Stress *stress = w->stress;
  guint64 seed = 0x9e3779b97f4a7c15 * (w->id + 1);
  guint64 allocs = 0, frees = 0;

  for (guint64 op = 0; op < stress->n_ops; op++)
    {
      guint64 r = xorshift (&seed);
      gpointer *slot = &stress->slots[(r >> 8) % N_SLOTS];
      guint64 *old;

      if (r & 1)
        {
          g_autoptr(GError) error = NULL;
          guint64 *block = nm_pool_allocator_alloc (stress->pool, &error);

          if (block == NULL)
            {
              __atomic_fetch_add (&stress->failures, 1, __ATOMIC_RELAXED);
              continue;
            }
          allocs++;
          /* A block handed out twice still carries the live cookie. The
           * word is stale on purpose: tell Valgrind the read is intended. */
#if HAVE_VALGRIND
          VALGRIND_MAKE_MEM_DEFINED (block, sizeof block[0]);
#endif
          if (block[0] == ((guint64) (guintptr) block ^ MAGIC))
            __atomic_fetch_add (&stress->errors, 1, __ATOMIC_RELAXED);
          block[0] = (guint64) (guintptr) block ^ MAGIC;
          block[1] = w->id;

          old = __atomic_exchange_n (slot, block, __ATOMIC_ACQ_REL);
        }
      else
        old = __atomic_exchange_n (slot, NULL, __ATOMIC_ACQ_REL);

      if (old != NULL)
        retire (stress, old, &frees);
    }

  __atomic_fetch_add (&stress->allocs, allocs, __ATOMIC_RELAXED);
  __atomic_fetch_add (&stress->frees, frees, __ATOMIC_RELAXED);

  return NULL;
}

/* Every block the pool may hold can be taken once, and once only. */
static void
assert_all_blocks_available (NmPoolAllocator *pool)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  guint64 count = nm_pool_allocator_get_max_block_count (pool);
  GHashTableIter iter;
  gpointer block;

  for (guint64 i = 0; i < count; i++)
    {
      block = nm_pool_allocator_alloc (pool, &error);
      g_assert_no_error (error);
      g_assert_false (g_hash_table_contains (seen, block));
      g_hash_table_add (seen, block);
    }

  g_assert_null (nm_pool_allocator_alloc (pool, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);

  g_hash_table_iter_init (&iter, seen);
  while (g_hash_table_iter_next (&iter, &block, NULL))
    nm_pool_allocator_free (pool, block);
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);
}

static void
test_pool_thread_stress (void)
{
  g_autofree Stress *stress = g_new0 (Stress, 1);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(GError) error = NULL;
  Worker workers[N_THREADS];
  GThread *threads[N_THREADS];
  guint64 main_frees = 0;

  pool = nm_pool_allocator_new_full ("stress", 64, 16, 1024, 8192, TRUE, &error);
  g_assert_no_error (error);

  stress->pool = pool;
  stress->n_ops = ops_per_thread ();
  g_test_message ("%d threads × %" G_GUINT64_FORMAT " operations", N_THREADS, stress->n_ops);

  for (guint i = 0; i < N_THREADS; i++)
    {
      workers[i].stress = stress;
      workers[i].id = i;
      threads[i] = g_thread_new ("pool-stress", worker_run, &workers[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < N_SLOTS; i++)
    if (stress->slots[i] != NULL)
      retire (stress, stress->slots[i], &main_frees);
  stress->frees += main_frees;

  g_assert_cmpuint (stress->errors, ==, 0);
  g_assert_cmpuint (stress->failures, ==, 0);
  g_assert_cmpuint (stress->allocs, ==, stress->frees);
  g_assert_cmpuint (stress->allocs, >, stress->n_ops);

  /* Quiescent: exact statistics; the workers' caches went back at exit. */
  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->allocation_count, ==, stress->allocs);
  g_assert_cmpuint (stats->free_count, ==, stress->frees);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->cached_count, <=, _nm_pool_allocator_get_cache_limit (pool));
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  g_assert_cmpuint (stats->corruption_count, ==, 0);

  assert_all_blocks_available (pool);
}

static gpointer
churn_and_exit (gpointer data)
{
  NmPoolAllocator *pool = data;
  gpointer blocks[10];

  for (guint i = 0; i < 10; i++)
    blocks[i] = nm_pool_allocator_alloc (pool, NULL);
  for (guint i = 0; i < 10; i++)
    nm_pool_allocator_free (pool, blocks[i]);

  return NULL;
}

static void
test_pool_thread_exit_returns_cache (void)
{
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new_full ("exit", 32, 8, 256, 0, TRUE, NULL);
  g_autoptr(NmAllocatorStats) stats = NULL;
  GThread *thread;

  thread = g_thread_new ("churn", churn_and_exit, pool);
  g_thread_join (thread);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->cached_count, ==, 0);
  g_assert_cmpuint (stats->allocation_count, ==, 10);
  g_assert_cmpuint (stats->free_count, ==, 10);
  g_assert_cmpuint (stats->bytes_used, ==, 0);

  assert_all_blocks_available (pool);
}

static gpointer
churn_blocks (gpointer data)
{
  NmPoolAllocator *pool = data;
  gpointer blocks[5];

  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
        {
          blocks[i] = nm_pool_allocator_alloc (pool, NULL);
          g_assert_nonnull (blocks[i]);
          memset (blocks[i], 0x42, 32);
        }
      for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
        nm_pool_allocator_free (pool, blocks[i]);
    }

  return NULL;
}

/* Threads come and go (a GTask worker pool does that): each leaves its
 * cache to the pool as a spare, which the next thread takes over, so the
 * number of caches stays bounded by the threads alive at once. */
static void
test_pool_thread_churn (void)
{
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new_full ("churn", 32, 8, 256, 0, TRUE, NULL);
  g_autoptr(NmAllocatorStats) stats = NULL;
  const guint n_threads = 40;

  for (guint t = 0; t < n_threads; t += 2)
    {
      GThread *a = g_thread_new ("churn-a", churn_blocks, pool);
      GThread *b = g_thread_new ("churn-b", churn_blocks, pool);

      g_thread_join (a);
      g_thread_join (b);
    }

  /* The main thread uses the pool too, with a cache of its own. */
  churn_blocks (pool);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->allocation_count, ==, (n_threads + 1) * 15);
  g_assert_cmpuint (stats->free_count, ==, (n_threads + 1) * 15);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (nm_pool_allocator_get_cache_count (pool), <=, 3);

  assert_all_blocks_available (pool);
}

/* Steps through atomics rather than GAsyncQueue: GLib's futex-based locks
 * are invisible to ThreadSanitizer. */
typedef struct
{
  NmPoolAllocator *pool;
  gint             step;
} Handshake;

static void
step_to (Handshake *h,
         gint       step)
{
  __atomic_store_n (&h->step, step, __ATOMIC_RELEASE);
}

static void
wait_for (Handshake *h,
          gint       step)
{
  while (__atomic_load_n (&h->step, __ATOMIC_ACQUIRE) != step)
    g_usleep (100);
}

static void
use_pool (NmPoolAllocator *pool)
{
  gpointer blocks[20];

  for (guint i = 0; i < 20; i++)
    {
      blocks[i] = nm_pool_allocator_alloc (pool, NULL);
      g_assert_nonnull (blocks[i]);
    }
  for (guint i = 0; i < 20; i++)
    nm_pool_allocator_free (pool, blocks[i]);
}

static gpointer
outlive_pool (gpointer data)
{
  Handshake *h = data;

  /* A cache for the first pool, which main then finalizes. */
  wait_for (h, 1);
  use_pool (h->pool);
  step_to (h, 2);

  /* The second pool may sit at the same address: its key differs. */
  wait_for (h, 3);
  use_pool (h->pool);
  step_to (h, 4);

  return NULL;
}

static void
test_pool_thread_finalize_with_live_caches (void)
{
  Handshake h = { NULL, 0 };
  g_autoptr(NmAllocatorStats) stats = NULL;
  NmPoolAllocator *first, *second;
  GThread *thread;

  thread = g_thread_new ("outlive", outlive_pool, &h);

  first = nm_pool_allocator_new_full ("first", 64, 16, 64, 0, TRUE, NULL);
  h.pool = first;
  step_to (&h, 1);
  wait_for (&h, 2);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (first));
  g_assert_cmpuint (stats->cached_count, >, 0);
  g_object_unref (first);

  second = nm_pool_allocator_new_full ("second", 64, 16, 64, 0, TRUE, NULL);
  h.pool = second;
  step_to (&h, 3);
  wait_for (&h, 4);

  g_thread_join (thread);

  g_clear_pointer (&stats, nm_allocator_stats_free);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (second));
  g_assert_cmpuint (stats->cached_count, ==, 0);
  g_assert_cmpuint (stats->allocation_count, ==, 20);
  assert_all_blocks_available (second);

  g_object_unref (second);
}

/* Racing double frees: two threads free the same block at the same moment,
 * many times, in the production preset (no validation). At most one of
 * them may give the block back; then each thread takes a block, stamps it
 * with its cookie and holds it while the other does the same: a block
 * handed out twice shows up as one pointer in both hands, or a cookie
 * overwritten by the other thread. Reports of the losing free are counted,
 * not required: losing one is tolerable, a block live twice is not. */

#define RACE_COOKIE G_GUINT64_CONSTANT (0xc0c0a5a5d00df00d)

typedef struct
{
  NmPoolAllocator *pool;
  guint            rounds;
  gint             go;          /* the round both racers may start */
  gint             freed;       /* racers past the free in this round */
  gint             taken;       /* racers holding their block */
  gint             checked;     /* racers done checking */
  gpointer         block;       /* freed twice */
  guint64         *held[2];
  guint64          twice;       /* atomic: blocks seen live twice */
} Race;

static guint64 race_reports;   /* atomic */

/* Spins briefly before yielding: the racers should leave each barrier
 * together, so that their frees really race. */
static void
spin_until (gint *counter,
            gint  value)
{
  for (guint spins = 0; __atomic_load_n (counter, __ATOMIC_ACQUIRE) < value; spins++)
    if (spins > 20000)
      g_thread_yield ();
}

static gpointer
racer_run (gpointer data)
{
  Race *race = ((gpointer *) data)[0];
  guint id = GPOINTER_TO_UINT (((gpointer *) data)[1]);

  for (guint round = 1; round <= race->rounds; round++)
    {
      guint64 *mine;

      /* The first racer takes the block both will free. */
      if (id == 0)
        {
          gpointer block = nm_pool_allocator_alloc (race->pool, NULL);

          g_assert_nonnull (block);
          __atomic_store_n (&race->block, block, __ATOMIC_RELEASE);
          __atomic_store_n (&race->go, (gint) round, __ATOMIC_RELEASE);
        }

      spin_until (&race->go, (gint) round);
      nm_pool_allocator_free (race->pool, __atomic_load_n (&race->block, __ATOMIC_ACQUIRE));
      __atomic_fetch_add (&race->freed, 1, __ATOMIC_ACQ_REL);
      spin_until (&race->freed, 2 * (gint) round);

      mine = nm_pool_allocator_alloc (race->pool, NULL);
      g_assert_nonnull (mine);
      mine[0] = RACE_COOKIE ^ id;
      race->held[id] = mine;
      __atomic_fetch_add (&race->taken, 1, __ATOMIC_ACQ_REL);
      spin_until (&race->taken, 2 * (gint) round);

      if (race->held[0] == race->held[1] || mine[0] != (RACE_COOKIE ^ id))
        __atomic_fetch_add (&race->twice, 1, __ATOMIC_RELAXED);
      __atomic_fetch_add (&race->checked, 1, __ATOMIC_ACQ_REL);
      spin_until (&race->checked, 2 * (gint) round);

      nm_pool_allocator_free (race->pool, mine);
    }

  return NULL;
}

/* Counts the library's double-free reports instead of printing them... */
static void
count_double_free (const gchar    *log_domain,
                   GLogLevelFlags  log_level,
                   const gchar    *message,
                   gpointer        user_data)
{
  if (strstr (message, "double free") != NULL)
    __atomic_fetch_add (&race_reports, 1, __ATOMIC_RELAXED);
  else
    g_log_default_handler (log_domain, log_level, message, user_data);
}

/* ...and keeps them from aborting the test (G_DEBUG=fatal-warnings). */
static gboolean
double_free_is_fatal (const gchar    *log_domain,
                      GLogLevelFlags  log_level,
                      const gchar    *message,
                      gpointer        user_data)
{
  return !(g_strcmp0 (log_domain, "Nebula") == 0 && strstr (message, "double free") != NULL);
}

static void
test_pool_thread_racing_double_free (void)
{
  g_autofree Race *race = g_new0 (Race, 1);
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  gpointer args[2][2];
  GThread *threads[2];

  if (!g_test_subprocess ())
    {
      /* The losing frees are reported with g_critical(), from the racing
       * threads: count them in a subprocess of their own. */
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  g_test_log_set_fatal_handler (double_free_is_fatal, NULL);
  g_log_set_handler ("Nebula", G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL, count_double_free, NULL);

  pool = nm_pool_allocator_new_full ("race", 64, 16, 256, 0, TRUE, &error);
  g_assert_no_error (error);
  g_object_get (pool, "config", &config, NULL);
  g_assert_false (nm_memory_config_get_validate (config));
  race->pool = pool;
  /* A tenth of the stress operations: 100 000 races in a normal build, where
   * a free without the atomic claim hands a block out twice within a few
   * thousand races when the racers run on two cores; fewer under the tools,
   * which check the synchronisation rather than count races. */
  race->rounds = ops_per_thread () / (ops_per_thread () < 1000000 ? 50 : 10);

  for (guint i = 0; i < 2; i++)
    {
      args[i][0] = race;
      args[i][1] = GUINT_TO_POINTER (i);
      threads[i] = g_thread_new ("racer", racer_run, args[i]);
    }

  for (guint i = 0; i < 2; i++)
    g_thread_join (threads[i]);

  g_test_message ("%u races, %" G_GUINT64_FORMAT " double frees reported",
                  race->rounds, race_reports);
  g_assert_cmpuint (race->twice, ==, 0);
  g_assert_cmpuint (race_reports, ==, race->rounds);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->invalid_free_count, ==, race->rounds);
  assert_all_blocks_available (pool);
}

/* Statistics and properties are read in a loop while other threads
 * allocate, free, grow and trim (ThreadSanitizer checks it). */
typedef struct
{
  NmPoolAllocator *pool;
  guint64          n_ops;
  gint             stop;
  gint             running;
} Busy;

static gpointer
busy_worker (gpointer data)
{
  Busy *busy = data;
  gpointer blocks[96];
  guint64 seed = GPOINTER_TO_SIZE (&blocks) | 1;

  for (guint64 op = 0; op < busy->n_ops / 100; op++)
    {
      guint n = 1 + xorshift (&seed) % G_N_ELEMENTS (blocks);

      for (guint i = 0; i < n; i++)
        {
          blocks[i] = nm_pool_allocator_alloc (busy->pool, NULL);
          g_assert_nonnull (blocks[i]);
        }
      for (guint i = 0; i < n; i++)
        nm_pool_allocator_free (busy->pool, blocks[i]);
      if (op % 8 == 0)
        nm_allocator_trim (NM_ALLOCATOR (busy->pool));
    }

  __atomic_fetch_sub (&busy->running, 1, __ATOMIC_ACQ_REL);
  return NULL;
}

static void
test_pool_thread_stats_while_busy (void)
{
  Busy busy = { NULL, ops_per_thread (), 0, 2 };
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(GError) error = NULL;
  GThread *threads[2];
  guint64 reads = 0;

  /* Small slabs, so the workers grow and trim the pool all the time. */
  pool = nm_pool_allocator_new_full ("busy", 64, 16, 16, 1024, TRUE, &error);
  g_assert_no_error (error);
  busy.pool = pool;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("busy", busy_worker, &busy);

  while (__atomic_load_n (&busy.running, __ATOMIC_ACQUIRE) > 0)
    {
      g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
      guint64 capacity, used, peak, count, block_count;

      g_object_get (pool, "capacity", &capacity, "bytes-used", &used, "bytes-peak", &peak,
                    "allocation-count", &count, "block-count", &block_count, NULL);
      g_assert_cmpuint (capacity, <=, 1024 * 64);
      g_assert_cmpuint (stats->bytes_reserved, >=, stats->capacity);
      g_assert_cmpuint (block_count, <=, 1024);
      g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), <=, 1024);
      g_assert_cmpuint (nm_pool_allocator_get_cache_count (pool), <=, 3);
      reads++;
    }

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_test_message ("%" G_GUINT64_FORMAT " statistics reads", reads);
  assert_all_blocks_available (pool);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/pool/thread/stress", test_pool_thread_stress);
  g_test_add_func ("/nebula/pool/thread/exit-returns-cache", test_pool_thread_exit_returns_cache);
  g_test_add_func ("/nebula/pool/thread/churn", test_pool_thread_churn);
  g_test_add_func ("/nebula/pool/thread/finalize-with-live-caches",
                   test_pool_thread_finalize_with_live_caches);
  g_test_add_func ("/nebula/pool/thread/racing-double-free", test_pool_thread_racing_double_free);
  g_test_add_func ("/nebula/pool/thread/stats-while-busy", test_pool_thread_stats_while_busy);

  return g_test_run ();
}
