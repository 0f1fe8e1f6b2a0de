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

/* Blocks passed round a ring of 8 threads: each thread allocates, stamps
 * a cookie (the block's address, its sender and a serial), and hands the
 * block to the next thread, which checks the cookie and either frees it or
 * passes it on once more; so most blocks are freed by a thread that did
 * not allocate them, some two hops away. A block handed out twice, or
 * written by the pool while live, breaks a cookie. */

#define RING_THREADS 8
#define RING_SLOTS   256
#define RING_COOKIE  G_GUINT64_CONSTANT (0x7a11c0ffee5eed00)

typedef struct
{
  guint64 *slots[RING_SLOTS];
  guint64  head;   /* atomic: next to take, the consumer's */
  guint64  tail;   /* atomic: next to fill, the producer's */
} Mailbox;

typedef struct
{
  NmPoolAllocator *pool;
  Mailbox          boxes[RING_THREADS];
  guint64          n_blocks;     /* blocks each thread allocates */
  gint             done;         /* atomic: threads done allocating */
  guint64          allocs;       /* atomic */
  guint64          frees;        /* atomic */
  guint64          errors;       /* atomic */
} Handoff;

static gboolean
mailbox_put (Mailbox  *box,
             guint64  *block)
{
  guint64 tail = __atomic_load_n (&box->tail, __ATOMIC_RELAXED);

  if (tail - __atomic_load_n (&box->head, __ATOMIC_ACQUIRE) == RING_SLOTS)
    return FALSE;
  box->slots[tail % RING_SLOTS] = block;
  __atomic_store_n (&box->tail, tail + 1, __ATOMIC_RELEASE);
  return TRUE;
}

static guint64 *
mailbox_take (Mailbox *box)
{
  guint64 head = __atomic_load_n (&box->head, __ATOMIC_RELAXED);
  guint64 *block;

  if (head == __atomic_load_n (&box->tail, __ATOMIC_ACQUIRE))
    return NULL;
  block = box->slots[head % RING_SLOTS];
  __atomic_store_n (&box->head, head + 1, __ATOMIC_RELEASE);
  return block;
}

static void
handoff_stamp (guint64 *block,
               guint    sender,
               guint64  serial)
{
  block[0] = (guint64) (guintptr) block ^ RING_COOKIE;
  block[1] = sender;
  block[2] = serial ^ RING_COOKIE;
}

static gboolean
handoff_cookie_ok (const guint64 *block,
                   guint          sender)
{
  return block[0] == ((guint64) (guintptr) block ^ RING_COOKIE) && block[1] == sender;
}

/* Takes what the previous thread sent: checks, then frees or forwards. */
static guint64
handoff_drain (Handoff *h,
               guint    id,
               guint64 *frees,
               guint64 *errors)
{
  Mailbox *inbox = &h->boxes[id];
  Mailbox *outbox = &h->boxes[(id + 1) % RING_THREADS];
  guint prev = (id + RING_THREADS - 1) % RING_THREADS;
  guint64 n = 0;
  guint64 *block;

  while ((block = mailbox_take (inbox)) != NULL)
    {
      guint64 serial = block[2] ^ RING_COOKIE;

      n++;
      if (!handoff_cookie_ok (block, prev))
        {
          (*errors)++;
          continue;
        }
      /* Every third block goes one hop further, when there is room. */
      if (serial % 3 == 0 && (serial & 1u) == 0)
        {
          handoff_stamp (block, id, serial + 1);
          if (mailbox_put (outbox, block))
            continue;
        }
      block[0] = 0;
      nm_pool_allocator_free (h->pool, block);
      (*frees)++;
    }

  return n;
}

static gpointer
handoff_run (gpointer data)
{
  Handoff *h = ((gpointer *) data)[0];
  guint id = GPOINTER_TO_UINT (((gpointer *) data)[1]);
  Mailbox *outbox = &h->boxes[(id + 1) % RING_THREADS];
  guint64 allocs = 0, frees = 0, errors = 0;
  guint64 *kept[8] = { NULL };

  for (guint64 k = 0; k < h->n_blocks; k++)
    {
      g_autoptr(GError) error = NULL;
      guint64 *block = nm_pool_allocator_alloc (h->pool, &error);

      if (block == NULL)
        {
          g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
          handoff_drain (h, id, &frees, &errors);
          g_thread_yield ();
          k--;
          continue;
        }
      allocs++;
#if HAVE_VALGRIND
      VALGRIND_MAKE_MEM_DEFINED (block, sizeof block[0]);
#endif
      if (block[0] == ((guint64) (guintptr) block ^ RING_COOKIE))
        errors++;

      /* A few blocks stay with their thread for a while, freed by it. */
      if (k % 4 == 0)
        {
          guint64 **slot = &kept[(k / 4) % G_N_ELEMENTS (kept)];

          if (*slot != NULL)
            {
              if (!handoff_cookie_ok (*slot, id))
                errors++;
              (*slot)[0] = 0;
              nm_pool_allocator_free (h->pool, *slot);
              frees++;
            }
          handoff_stamp (block, id, k);
          *slot = block;
          continue;
        }

      handoff_stamp (block, id, k);
      while (!mailbox_put (outbox, block))
        {
          handoff_drain (h, id, &frees, &errors);
          g_thread_yield ();
        }
      if (k % 16 == 0)
        handoff_drain (h, id, &frees, &errors);
    }

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    if (kept[i] != NULL)
      {
        if (!handoff_cookie_ok (kept[i], id))
          errors++;
        kept[i][0] = 0;
        nm_pool_allocator_free (h->pool, kept[i]);
        frees++;
      }

  /* Keep draining until every thread stopped sending. */
  __atomic_fetch_add (&h->done, 1, __ATOMIC_ACQ_REL);
  while (__atomic_load_n (&h->done, __ATOMIC_ACQUIRE) < RING_THREADS)
    if (handoff_drain (h, id, &frees, &errors) == 0)
      g_thread_yield ();
  handoff_drain (h, id, &frees, &errors);

  __atomic_fetch_add (&h->allocs, allocs, __ATOMIC_RELAXED);
  __atomic_fetch_add (&h->frees, frees, __ATOMIC_RELAXED);
  __atomic_fetch_add (&h->errors, errors, __ATOMIC_RELAXED);
  return NULL;
}

static void
test_pool_thread_handoff_ring (void)
{
  g_autofree Handoff *h = g_new0 (Handoff, 1);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(GError) error = NULL;
  gpointer args[RING_THREADS][2];
  GThread *threads[RING_THREADS];
  guint64 frees = 0, errors = 0;

  pool = nm_pool_allocator_new_full ("handoff", 64, 16, 512, 8192, TRUE, &error);
  g_assert_no_error (error);
  h->pool = pool;
  h->n_blocks = ops_per_thread () / 20;

  for (guint i = 0; i < RING_THREADS; i++)
    {
      args[i][0] = h;
      args[i][1] = GUINT_TO_POINTER (i);
      threads[i] = g_thread_new ("handoff", handoff_run, args[i]);
    }
  for (guint i = 0; i < RING_THREADS; i++)
    g_thread_join (threads[i]);

  /* Forwarded blocks the last drains left behind. */
  for (guint i = 0; i < RING_THREADS; i++)
    {
      guint64 *block;

      while ((block = mailbox_take (&h->boxes[i])) != NULL)
        {
          if (!handoff_cookie_ok (block, (i + RING_THREADS - 1) % RING_THREADS))
            errors++;
          nm_pool_allocator_free (pool, block);
          frees++;
        }
    }

  g_test_message ("%u threads × %" G_GUINT64_FORMAT " blocks", RING_THREADS, h->n_blocks);
  g_assert_cmpuint (h->errors + errors, ==, 0);
  g_assert_cmpuint (h->allocs, ==, RING_THREADS * h->n_blocks);
  g_assert_cmpuint (h->frees + frees, ==, h->allocs);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->allocation_count, ==, h->allocs);
  g_assert_cmpuint (stats->free_count, ==, h->allocs);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  g_assert_cmpuint (stats->corruption_count, ==, 0);
  assert_all_blocks_available (pool);
}

/* Threads exit while other threads still hold blocks they allocated, and
 * new threads start while the pool is busy: generations of four threads,
 * each taking blocks, freeing some of the previous generation's (whose
 * threads are gone) and leaving some for the next. */

#define SHELF_SIZE 64

typedef struct
{
  NmPoolAllocator *pool;
  guint64         *shelf[SHELF_SIZE];   /* atomic exchanges only */
  guint64          allocs;              /* atomic */
  guint64          frees;               /* atomic */
  guint64          errors;              /* atomic */
} Shelf;

static gpointer
shelf_generation (gpointer data)
{
  Shelf *shelf = ((gpointer *) data)[0];
  guint id = GPOINTER_TO_UINT (((gpointer *) data)[1]);
  guint64 seed = G_GUINT64_CONSTANT (0x2545f4914f6cdd1d) * (id + 1);
  guint64 allocs = 0, frees = 0, errors = 0;

  for (guint k = 0; k < 200; k++)
    {
      guint64 r = xorshift (&seed);
      guint64 *block = nm_pool_allocator_alloc (shelf->pool, NULL);
      guint64 *old;

      g_assert_nonnull (block);
      allocs++;
      block[0] = (guint64) (guintptr) block ^ MAGIC;

      if (r & 2)
        {
          old = __atomic_exchange_n (&shelf->shelf[(r >> 8) % SHELF_SIZE], block,
                                     __ATOMIC_ACQ_REL);
        }
      else
        old = block;

      if (old != NULL)
        {
          if (old[0] != ((guint64) (guintptr) old ^ MAGIC))
            errors++;
          old[0] = 0;
          nm_pool_allocator_free (shelf->pool, old);
          frees++;
        }
    }

  __atomic_fetch_add (&shelf->allocs, allocs, __ATOMIC_RELAXED);
  __atomic_fetch_add (&shelf->frees, frees, __ATOMIC_RELAXED);
  __atomic_fetch_add (&shelf->errors, errors, __ATOMIC_RELAXED);
  return NULL;
}

static void
test_pool_thread_exit_while_shared (void)
{
  g_autofree Shelf *shelf = g_new0 (Shelf, 1);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(NmPoolAllocator) pool = NULL;
  const guint n_generations = 25;
  guint64 frees = 0;

  pool = nm_pool_allocator_new_full ("shelf", 48, 16, 256, 4096, TRUE, NULL);
  shelf->pool = pool;

  for (guint g = 0; g < n_generations; g++)
    {
      gpointer args[4][2];
      GThread *threads[4];

      for (guint i = 0; i < 4; i++)
        {
          args[i][0] = shelf;
          args[i][1] = GUINT_TO_POINTER (g * 4 + i);
          threads[i] = g_thread_new ("shelf", shelf_generation, args[i]);
        }
      for (guint i = 0; i < 4; i++)
        g_thread_join (threads[i]);
    }

  for (guint i = 0; i < SHELF_SIZE; i++)
    if (shelf->shelf[i] != NULL)
      {
        if (shelf->shelf[i][0] != ((guint64) (guintptr) shelf->shelf[i] ^ MAGIC))
          shelf->errors++;
        nm_pool_allocator_free (pool, shelf->shelf[i]);
        frees++;
      }

  g_assert_cmpuint (shelf->errors, ==, 0);
  g_assert_cmpuint (shelf->allocs, ==, n_generations * 4 * 200);
  g_assert_cmpuint (shelf->frees + frees, ==, shelf->allocs);

  /* Every worker is gone: what they parked went back to the pool; only
   * what this thread freed last may be parked with it. */
  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->allocation_count, ==, shelf->allocs);
  g_assert_cmpuint (stats->free_count, ==, shelf->allocs);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->cached_count, <=, frees);
  g_assert_cmpuint (nm_pool_allocator_get_cache_count (pool), <=, 4);
  assert_all_blocks_available (pool);
}

/* Finalize while several threads that used the pool are alive and hold
 * blocks of it parked: they go on with another pool, then exit; nothing
 * of theirs touches the finalized one (AddressSanitizer and Valgrind
 * would see it). */

#define ALIVE_THREADS 4

typedef struct
{
  NmPoolAllocator *pool;
  gint             used;       /* atomic: threads done with the first pool */
  gint             next;       /* atomic: the second pool is there */
  gint             finished;   /* atomic */
  guint64          errors;     /* atomic */
} Alive;

static gpointer
alive_run (gpointer data)
{
  Alive *a = data;
  NmPoolAllocator *pool = __atomic_load_n (&a->pool, __ATOMIC_ACQUIRE);
  gpointer blocks[12];

  /* Blocks of the first pool, freed by this thread: some stay parked. */
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    blocks[i] = nm_pool_allocator_alloc (pool, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    if (blocks[i] == NULL)
      __atomic_fetch_add (&a->errors, 1, __ATOMIC_RELAXED);
    else
      nm_pool_allocator_free (pool, blocks[i]);
  __atomic_fetch_add (&a->used, 1, __ATOMIC_ACQ_REL);

  while (__atomic_load_n (&a->next, __ATOMIC_ACQUIRE) == 0)
    g_usleep (100);

  pool = __atomic_load_n (&a->pool, __ATOMIC_ACQUIRE);
  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
        blocks[i] = nm_pool_allocator_alloc (pool, NULL);
      for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
        if (blocks[i] == NULL)
          __atomic_fetch_add (&a->errors, 1, __ATOMIC_RELAXED);
        else
          nm_pool_allocator_free (pool, blocks[i]);
    }
  __atomic_fetch_add (&a->finished, 1, __ATOMIC_ACQ_REL);

  return NULL;
}

static void
test_pool_thread_finalize_with_threads_alive (void)
{
  Alive a = { NULL, 0, 0, 0, 0 };
  g_autoptr(NmAllocatorStats) stats = NULL;
  NmPoolAllocator *first, *second;
  GThread *threads[ALIVE_THREADS];

  first = nm_pool_allocator_new_full ("first", 64, 16, 256, 0, TRUE, NULL);
  a.pool = first;
  for (guint i = 0; i < ALIVE_THREADS; i++)
    threads[i] = g_thread_new ("alive", alive_run, &a);
  while (__atomic_load_n (&a.used, __ATOMIC_ACQUIRE) < ALIVE_THREADS)
    g_usleep (100);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (first));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->allocation_count, ==, ALIVE_THREADS * 12);
  g_object_unref (first);

  second = nm_pool_allocator_new_full ("second", 64, 16, 256, 0, TRUE, NULL);
  __atomic_store_n (&a.pool, second, __ATOMIC_RELEASE);
  __atomic_store_n (&a.next, 1, __ATOMIC_RELEASE);

  for (guint i = 0; i < ALIVE_THREADS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (a.errors, ==, 0);
  g_assert_cmpint (a.finished, ==, ALIVE_THREADS);
  g_clear_pointer (&stats, nm_allocator_stats_free);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (second));
  g_assert_cmpuint (stats->allocation_count, ==, ALIVE_THREADS * 36);
  g_assert_cmpuint (stats->free_count, ==, ALIVE_THREADS * 36);
  g_assert_cmpuint (stats->cached_count, ==, 0);
  assert_all_blocks_available (second);
  g_object_unref (second);
}

/* Racing double frees among four threads: every round all four free the
 * same block at once; exactly one free wins, three are reported, and no
 * block is ever live twice (each thread then stamps and holds one). */

#define MANY_RACERS 4

typedef struct
{
  NmPoolAllocator *pool;
  guint            rounds;
  gint             go;
  gint             freed;
  gint             taken;
  gint             checked;
  gpointer         block;
  guint64         *held[MANY_RACERS];
  guint64          twice;    /* atomic */
} ManyRace;

static gpointer
many_racer_run (gpointer data)
{
  ManyRace *race = ((gpointer *) data)[0];
  guint id = GPOINTER_TO_UINT (((gpointer *) data)[1]);

  for (guint round = 1; round <= race->rounds; round++)
    {
      guint64 *mine;

      /* The block comes from a different thread each round. */
      if (id == round % MANY_RACERS)
        {
          gpointer block = nm_pool_allocator_alloc (race->pool, NULL);

          g_assert_nonnull (block);
          __atomic_store_n (&race->block, block, __ATOMIC_RELEASE);
          __atomic_store_n (&race->go, (gint) round, __ATOMIC_RELEASE);
        }

      spin_until (&race->go, (gint) round);
      nm_pool_allocator_free (race->pool, __atomic_load_n (&race->block, __ATOMIC_ACQUIRE));
      __atomic_fetch_add (&race->freed, 1, __ATOMIC_ACQ_REL);
      spin_until (&race->freed, MANY_RACERS * (gint) round);

      mine = nm_pool_allocator_alloc (race->pool, NULL);
      g_assert_nonnull (mine);
      mine[0] = RACE_COOKIE ^ id;
      race->held[id] = mine;
      __atomic_fetch_add (&race->taken, 1, __ATOMIC_ACQ_REL);
      spin_until (&race->taken, MANY_RACERS * (gint) round);

      for (guint other = 0; other < MANY_RACERS; other++)
        if (other != id && race->held[other] == mine)
          __atomic_fetch_add (&race->twice, 1, __ATOMIC_RELAXED);
      if (mine[0] != (RACE_COOKIE ^ id))
        __atomic_fetch_add (&race->twice, 1, __ATOMIC_RELAXED);
      __atomic_fetch_add (&race->checked, 1, __ATOMIC_ACQ_REL);
      spin_until (&race->checked, MANY_RACERS * (gint) round);

      nm_pool_allocator_free (race->pool, mine);
    }

  return NULL;
}

static void
test_pool_thread_racing_double_free_many (void)
{
  g_autofree ManyRace *race = g_new0 (ManyRace, 1);
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  gpointer args[MANY_RACERS][2];
  GThread *threads[MANY_RACERS];

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  g_test_log_set_fatal_handler (double_free_is_fatal, NULL);
  g_log_set_handler ("Nebula", G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL, count_double_free, NULL);

  pool = nm_pool_allocator_new_full ("race4", 64, 16, 256, 0, TRUE, &error);
  g_assert_no_error (error);
  race->pool = pool;
  /* Four threads on two cores: fewer rounds than the two-thread race. */
  race->rounds = ops_per_thread () / (ops_per_thread () < 1000000 ? 1000 : 500);

  for (guint i = 0; i < MANY_RACERS; i++)
    {
      args[i][0] = race;
      args[i][1] = GUINT_TO_POINTER (i);
      threads[i] = g_thread_new ("racer", many_racer_run, args[i]);
    }
  for (guint i = 0; i < MANY_RACERS; i++)
    g_thread_join (threads[i]);

  g_test_message ("%u races of %d threads, %" G_GUINT64_FORMAT " double frees reported",
                  race->rounds, MANY_RACERS, race_reports);
  g_assert_cmpuint (race->twice, ==, 0);
  g_assert_cmpuint (race_reports, ==, (guint64) race->rounds * (MANY_RACERS - 1));

  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->invalid_free_count, ==, (guint64) race->rounds * (MANY_RACERS - 1));
  assert_all_blocks_available (pool);
}

/* Pages and slabs need not line up: 1000-block slabs in 128-block pages.
 * Blocks a new slab adds to a page this thread or another thread owns
 * reach that thread; every block is handed out once, whichever thread
 * grew the pool. */

typedef struct
{
  NmPoolAllocator *pool;
  gpointer         blocks[1100];
  guint            n;
} Grower;

static gpointer
grower_run (gpointer data)
{
  Grower *g = data;

  /* The pool's first slab is all out: this thread grows it. */
  for (g->n = 0; g->n < G_N_ELEMENTS (g->blocks); g->n++)
    {
      g->blocks[g->n] = nm_pool_allocator_alloc (g->pool, NULL);
      if (g->blocks[g->n] == NULL)
        break;
    }

  return NULL;
}

static void
test_pool_thread_pages_across_slabs (void)
{
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree Grower *g = g_new0 (Grower, 1);
  g_autofree gpointer *mine = g_new0 (gpointer, 3000);
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint n_mine = 0;
  GThread *thread;

  pool = nm_pool_allocator_new_full ("slabs", 64, 16, 1000, 3000, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (_nm_pool_allocator_get_cache_limit (pool), ==, 128);

  /* This thread owns the page that spans the first two slabs. */
  for (guint i = 0; i < 1000; i++)
    {
      mine[n_mine] = nm_pool_allocator_alloc (pool, &error);
      g_assert_no_error (error);
      g_assert_false (g_hash_table_contains (seen, mine[n_mine]));
      g_hash_table_add (seen, mine[n_mine++]);
    }

  /* Another thread grows the pool: the spanning page's new blocks are
   * this thread's, the rest of the slab the other thread's. */
  g->pool = pool;
  thread = g_thread_new ("grower", grower_run, g);
  g_thread_join (thread);
  g_assert_cmpuint (g->n, ==, G_N_ELEMENTS (g->blocks));
  for (guint i = 0; i < g->n; i++)
    {
      g_assert_false (g_hash_table_contains (seen, g->blocks[i]));
      g_hash_table_add (seen, g->blocks[i]);
    }

  /* This thread takes every block that is left: its share of the
   * spanning page included. */
  while (n_mine < 3000)
    {
      gpointer p = nm_pool_allocator_alloc (pool, NULL);

      if (p == NULL)
        break;
      g_assert_false (g_hash_table_contains (seen, p));
      g_hash_table_add (seen, p);
      mine[n_mine++] = p;
    }
  g_assert_cmpuint (n_mine + g->n, ==, 3000);
  g_assert_null (nm_pool_allocator_alloc (pool, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);

  for (guint i = 0; i < n_mine; i++)
    nm_pool_allocator_free (pool, mine[i]);
  for (guint i = 0; i < g->n; i++)
    nm_pool_allocator_free (pool, g->blocks[i]);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  g_assert_cmpuint (stats->allocation_count, ==, 3000);
  g_assert_cmpuint (stats->free_count, ==, 3000);
  assert_all_blocks_available (pool);
}

/* Frees by a thread that does not own the page take the block out of
 * the leak report's record of allocation sites, as every other free does:
 * only the blocks still out at finalize are reported. */

typedef struct
{
  NmPoolAllocator *pool;
  gpointer         blocks[10];
  gint             step;
} SiteHandoff;

static gpointer
site_owner_run (gpointer data)
{
  SiteHandoff *s = data;

  for (guint i = 0; i < 8; i++)
    s->blocks[i] = nm_pool_allocator_alloc (s->pool, NULL);
  __atomic_store_n (&s->step, 1, __ATOMIC_RELEASE);

  /* Alive, and owning the blocks' page, while main frees them. */
  while (__atomic_load_n (&s->step, __ATOMIC_ACQUIRE) != 2)
    g_usleep (100);

  s->blocks[8] = nm_pool_allocator_alloc (s->pool, NULL);
  s->blocks[9] = nm_pool_allocator_alloc (s->pool, NULL);
  return NULL;
}

static void
test_pool_thread_leak_sites_remote_free (void)
{
  g_autofree SiteHandoff *s = g_new0 (SiteHandoff, 1);
  g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_development (NM_ALLOCATOR_KIND_POOL);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new_from_config (preset);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;
  GThread *thread;

  nm_memory_config_builder_set_name (builder, "sites");
  nm_memory_config_builder_set_block_size (builder, 48);
  nm_memory_config_builder_set_thread_safe (builder, TRUE);
  nm_memory_config_builder_set_leak_sites (builder, TRUE);
  /* Without the poison fill, the sites are all that takes frees out of line. */
  nm_memory_config_builder_set_poison (builder, FALSE);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  s->pool = NM_POOL_ALLOCATOR (alloc);

  thread = g_thread_new ("site-owner", site_owner_run, s);
  while (__atomic_load_n (&s->step, __ATOMIC_ACQUIRE) != 1)
    g_usleep (100);
  for (guint i = 0; i < 8; i++)
    {
      g_assert_nonnull (s->blocks[i]);
      nm_pool_allocator_free (s->pool, s->blocks[i]);
    }
  __atomic_store_n (&s->step, 2, __ATOMIC_RELEASE);
  g_thread_join (thread);

  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (s->pool), ==, 2);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING,
                         "*“sites”*disposed with 2 live allocations*: 2 allocations (*");
  g_object_unref (alloc);
  g_test_assert_expected_messages ();
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
  g_test_add_func ("/nebula/pool/thread/handoff-ring", test_pool_thread_handoff_ring);
  g_test_add_func ("/nebula/pool/thread/exit-while-shared", test_pool_thread_exit_while_shared);
  g_test_add_func ("/nebula/pool/thread/finalize-with-threads-alive",
                   test_pool_thread_finalize_with_threads_alive);
  g_test_add_func ("/nebula/pool/thread/racing-double-free-many",
                   test_pool_thread_racing_double_free_many);
  g_test_add_func ("/nebula/pool/thread/pages-across-slabs", test_pool_thread_pages_across_slabs);
  g_test_add_func ("/nebula/pool/thread/leak-sites-remote-free",
                   test_pool_thread_leak_sites_remote_free);

  return g_test_run ();
}
