/* test-allocator.c: the NmAllocator interface, through a bump allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-allocator-private.h"
#include "nm-test-util.h"

typedef struct
{
  double x, y;
} Point;

static NmAllocator *
new_arena (const char *name,
           gsize       capacity)
{
  g_autoptr(GError) error = NULL;
  NmBumpAllocator *arena = nm_bump_allocator_new_full (name, capacity, 0, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (arena);

  return NM_ALLOCATOR (arena);
}

/* The allocator still hands out memory after a failure. */
static void
assert_still_works (NmAllocator *alloc)
{
  g_autoptr(GError) error = NULL;
  guint64 *p = nm_allocator_alloc (alloc, sizeof *p, G_ALIGNOF (guint64), &error);

  g_assert_no_error (error);
  g_assert_nonnull (p);
  *p = 42;
  g_assert_true (nm_allocator_owns (alloc, p));
}

static void
test_allocator_alloc_alignment (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("align", 64 * 1024);

  for (gsize alignment = 1; alignment <= 4096; alignment <<= 1)
    {
      g_autoptr(GError) error = NULL;
      guint8 *p = nm_allocator_alloc (alloc, 3, alignment, &error);

      g_assert_no_error (error);
      g_assert_nonnull (p);
      g_assert_cmpuint ((guintptr) p % alignment, ==, 0);
      memset (p, 0x5a, 3);
    }
}

static void
test_allocator_alloc0 (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("zero", 4096);
  g_autoptr(GError) error = NULL;
  guint8 *p;

  /* Dirty the memory, give it back, and ask for zeroed memory at the same place. */
  p = nm_allocator_alloc (alloc, 128, 8, &error);
  g_assert_no_error (error);
  memset (p, 0xff, 128);
  nm_allocator_reset (alloc);

  p = nm_allocator_alloc0 (alloc, 128, 8, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 128; i++)
    g_assert_cmpuint (p[i], ==, 0);
}

static void
check_layout_error (NmAllocator *alloc,
                    gsize        size,
                    gsize        alignment,
                    const char  *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmAllocatorStats) before = nm_allocator_get_stats (alloc);
  g_autoptr(NmAllocatorStats) after = NULL;
  gpointer p = nm_allocator_alloc (alloc, size, alignment, &error);

  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, fragment));
  g_assert_nonnull (strstr (error->message, "“layout”"));

  after = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (after->failed_count, ==, before->failed_count + 1);
  g_assert_cmpuint (after->bytes_used, ==, before->bytes_used);
  assert_still_works (alloc);
}

static void
test_allocator_bad_layout (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("layout", 4096);

  check_layout_error (alloc, 0, 8, "cannot allocate 0 bytes");
  check_layout_error (alloc, 16, 0, "(alignment 0): the alignment must be a power of two");
  check_layout_error (alloc, 16, 3, "(alignment 3): the alignment must be a power of two");
  check_layout_error (alloc, 16, 24, "(alignment 24): the alignment must be a power of two");
  check_layout_error (alloc, 16, nm_page_size * 2, "above the page size");
}

static void
test_allocator_huge_size (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("huge", 4096);
  g_autoptr(GError) error = NULL;
  gpointer p;

  p = nm_allocator_alloc (alloc, G_MAXSIZE, 8, &error);
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "cannot allocate 18446744073709551615 bytes"));
  g_clear_error (&error);

  p = nm_allocator_alloc (alloc, G_MAXSIZE - 4096, 4096, &error);
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);

  assert_still_works (alloc);
}

static void
test_allocator_new_helpers (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("helpers", 4096);
  g_autoptr(GError) error = NULL;
  Point *p, *points;

  p = nm_new (alloc, Point, &error);
  g_assert_no_error (error);
  g_assert_cmpuint ((guintptr) p % G_ALIGNOF (Point), ==, 0);
  p->x = 1.0;

  p = nm_new0 (alloc, Point, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (p->x, ==, 0.0);
  g_assert_cmpfloat (p->y, ==, 0.0);
  nm_delete (alloc, Point, p);

  points = nm_new_array (alloc, Point, 10, &error);
  g_assert_no_error (error);
  points[9].y = 2.0;
  g_assert_true (nm_allocator_owns (alloc, &points[9]));
  nm_delete_array (alloc, Point, 10, points);

  points = nm_new0_array (alloc, Point, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (points[3].y, ==, 0.0);
}

static void
on_failed (NmAllocator  *alloc,
           const GError *error,
           gpointer      user_data)
{
  GError **seen = user_data;

  g_clear_error (seen);
  *seen = g_error_copy (error);
}

static void
test_allocator_count_overflow (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("overflow", 4096);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) seen = NULL;
  Point *points;

  g_signal_connect (alloc, "allocation-failed", G_CALLBACK (on_failed), &seen);

  points = nm_new_array (alloc, Point, G_MAXSIZE / 8, &error);
  g_assert_null (points);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "overflows"));
  g_assert_nonnull (strstr (error->message, "“overflow”"));
  g_assert_error (seen, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);

  assert_still_works (alloc);
}

/* Every allocation that fails with a GError is counted, the overflowing
 * count that the allocator itself never sees included. */
static void
test_allocator_count_overflow_counted (void)
{
  g_autoptr(GError) error = NULL;
  NmAllocator *allocs[3];

  allocs[0] = NM_ALLOCATOR (nm_bump_allocator_new (4096, &error));
  g_assert_no_error (error);
  allocs[1] = NM_ALLOCATOR (nm_pool_allocator_new (64, 8, 16, &error));
  g_assert_no_error (error);
  allocs[2] = NM_ALLOCATOR (nm_stack_allocator_new (4096, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (allocs); i++)
    {
      NmTestFailures failures = { 0 };
      g_autoptr(NmAllocatorStats) before = nm_allocator_get_stats (allocs[i]);
      g_autoptr(NmAllocatorStats) after = NULL;
      Point *points;

      nm_test_watch_failures (allocs[i], &failures);
      points = nm_new0_array (allocs[i], Point, G_MAXSIZE / 4, &error);
      g_assert_null (points);
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
      g_assert_nonnull (strstr (error->message, "elements of 16 bytes"));
      g_assert_nonnull (strstr (error->message, "the total size overflows"));
      g_clear_error (&error);

      after = nm_allocator_get_stats (allocs[i]);
      g_assert_cmpuint (after->failed_count, ==, before->failed_count + 1);
      g_assert_cmpuint (failures.count, ==, 1);
      nm_test_failures_clear (&failures);

      nm_test_assert_still_works (allocs[i], 16, 8);
      g_object_unref (allocs[i]);
    }
}

static void
test_allocator_signal (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("request-arena", 4096);
  g_autoptr(GError) seen = NULL;
  gpointer p;

  g_signal_connect (alloc, "allocation-failed", G_CALLBACK (on_failed), &seen);

  p = nm_allocator_alloc (alloc, 4000, 8, NULL);
  g_assert_nonnull (p);
  g_assert_null (seen);

  /* Emitted even when the caller passes no GError. */
  p = nm_allocator_alloc (alloc, 512, 8, NULL);
  g_assert_null (p);
  g_assert_error (seen, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_cmpstr (seen->message, ==,
                   "Bump allocator “request-arena” cannot allocate 512 bytes (alignment 8): "
                   "4.0 kB of 4.1 kB used (97.7 %). Raise capacity, allow growth with "
                   "max-capacity, or reset between requests.");
}

static void
test_allocator_properties (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("props", 8192);
  g_autofree char *name = NULL;
  guint64 capacity, used, peak, count;
  gboolean thread_safe;

  nm_allocator_alloc (alloc, 100, 4, NULL);
  nm_allocator_alloc (alloc, 100, 4, NULL);

  g_object_get (alloc,
                "name", &name,
                "capacity", &capacity,
                "bytes-used", &used,
                "bytes-peak", &peak,
                "allocation-count", &count,
                "thread-safe", &thread_safe,
                NULL);

  g_assert_cmpstr (name, ==, "props");
  g_assert_cmpstr (nm_allocator_get_name (alloc), ==, "props");
  g_assert_cmpuint (capacity, ==, 8192);
  g_assert_cmpuint (used, ==, 200);
  g_assert_cmpuint (peak, ==, 200);
  g_assert_cmpuint (count, ==, 2);
  g_assert_false (thread_safe);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  GString *log = user_data;

  g_string_append_printf (log, "%s;", pspec->name);
}

static void
test_allocator_notify_on_reset (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("notify", 4096);
  g_autoptr(GString) log = g_string_new (NULL);

  g_signal_connect (alloc, "notify", G_CALLBACK (on_notify), log);

  /* Never per allocation. */
  for (guint i = 0; i < 10; i++)
    nm_allocator_alloc (alloc, 10, 1, NULL);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "");

  /* used went from 100 to 0: what a reader sees changed; delivered on the
   * main context, not from inside the reset. */
  nm_allocator_reset (alloc);
  g_assert_cmpstr (log->str, ==, "");
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "bytes-used;bytes-peak;");

  /* Nothing allocated since: no change. */
  g_string_truncate (log, 0);
  nm_allocator_reset (alloc);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "");

  nm_allocator_alloc (alloc, 200, 1, NULL);
  nm_allocator_reset (alloc);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "bytes-used;bytes-peak;");
}

/* A thousand resets between two main-loop iterations: one delivery. */
static void
test_allocator_notify_batched (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("batched", 4096);
  g_autoptr(GString) log = g_string_new (NULL);

  nm_test_log_notify (alloc, log);
  for (guint i = 0; i < 1000; i++)
    {
      nm_allocator_alloc (alloc, 64, 8, NULL);
      nm_allocator_reset (alloc);
    }
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (log, "bytes-used"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "bytes-peak"), ==, 1);
}

typedef struct
{
  NmAllocator *alloc;
  GThread     *notified_on;
  guint        n_notified;
} ThreadNotify;

static void
on_notify_thread (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  ThreadNotify *tn = user_data;

  tn->notified_on = g_thread_self ();
  tn->n_notified++;
}

static gpointer
reset_in_thread (gpointer data)
{
  ThreadNotify *tn = data;

  nm_allocator_alloc (tn->alloc, 256, 8, NULL);
  nm_allocator_reset (tn->alloc);

  return NULL;
}

/* A change made on another thread is delivered on the allocator's main
 * context, by the thread that runs it. */
static void
test_allocator_notify_other_thread (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  ThreadNotify tn = { 0 };
  GThread *thread;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_thread_safe (builder, TRUE);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  tn.alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  g_signal_connect (tn.alloc, "notify::bytes-used", G_CALLBACK (on_notify_thread), &tn);
  thread = g_thread_new ("reset", reset_in_thread, &tn);
  g_thread_join (thread);
  g_assert_cmpuint (tn.n_notified, ==, 0);

  nm_test_flush_notify ();
  g_assert_cmpuint (tn.n_notified, ==, 1);
  g_assert_true (tn.notified_on == g_thread_self ());

  /* Queued, then the allocator goes away: nothing is delivered to it. */
  nm_allocator_alloc (tn.alloc, 256, 8, NULL);
  nm_allocator_reset (tn.alloc);
  g_object_unref (tn.alloc);
  nm_test_flush_notify ();
  g_assert_cmpuint (tn.n_notified, ==, 1);
}

static void
test_allocator_stats (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("stats", 4096);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(NmAllocatorStats) copy = NULL;
  g_autofree char *text = NULL;
  gpointer a, b;

  a = nm_allocator_alloc (alloc, 1000, 8, NULL);
  b = nm_allocator_alloc (alloc, 1000, 8, NULL);
  nm_allocator_free (alloc, a, 1000, 8);     /* not the top: a counted no-op */
  nm_allocator_free (alloc, b, 1000, 8);     /* the top: bytes come back */
  nm_allocator_alloc (alloc, 5000, 8, NULL); /* fails */

  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->capacity, ==, 4096);
  g_assert_cmpuint (stats->bytes_used, ==, 1000);
  g_assert_cmpuint (stats->bytes_peak, ==, 2000);
  g_assert_cmpuint (stats->bytes_reserved, >=, 4096);
  g_assert_cmpuint (stats->allocation_count, ==, 2);
  g_assert_cmpuint (stats->free_count, ==, 2);
  g_assert_cmpuint (stats->failed_count, ==, 1);
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  g_assert_cmpfloat_with_epsilon (nm_allocator_stats_get_utilization (stats),
                                  100.0 * 1000 / 4096, 1e-9);

  copy = nm_allocator_stats_copy (stats);
  g_assert_cmpmem (copy, sizeof *copy, stats, sizeof *stats);

  text = nm_allocator_stats_to_string (stats);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "1.0 kB of 4.1 kB used (24.4 %)"));
  g_assert_nonnull (strstr (text, "1 failed"));
}

typedef struct
{
  GThread *emitted_on;
  guint    n_emissions;
  guint64  n_resets;
} ResetLog;

static void
on_reset (NmAllocator *alloc,
          guint64      n_resets,
          gpointer     user_data)
{
  ResetLog *log = user_data;

  log->emitted_on = g_thread_self ();
  log->n_emissions++;
  log->n_resets += n_resets;
}

static NmAllocator *
new_of_kind (NmAllocatorKind kind,
             gboolean        thread_safe)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  nm_memory_config_builder_set_kind (builder, kind);
  if (kind == NM_ALLOCATOR_KIND_POOL)
    {
      nm_memory_config_builder_set_block_size (builder, 64);
      nm_memory_config_builder_set_block_count (builder, 16);
    }
  else
    nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_thread_safe (builder, thread_safe);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  return alloc;
}

/* NmAllocator::reset: not from inside nm_allocator_reset(), but on the
 * main context, once for the resets of an iteration, with their number. */
static void
test_allocator_reset_signal (gconstpointer data)
{
  g_autoptr(NmAllocator) alloc = new_of_kind (GPOINTER_TO_INT (data), FALSE);
  ResetLog log = { 0 };

  g_signal_connect (alloc, "reset", G_CALLBACK (on_reset), &log);
  nm_allocator_alloc (alloc, 64, 8, NULL);
  nm_allocator_reset (alloc);
  g_assert_cmpuint (log.n_emissions, ==, 0);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.n_emissions, ==, 1);
  g_assert_cmpuint (log.n_resets, ==, 1);

  for (guint i = 0; i < 100; i++)
    nm_allocator_reset (alloc);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.n_emissions, ==, 2);
  g_assert_cmpuint (log.n_resets, ==, 101);

  nm_test_flush_notify ();
  g_assert_cmpuint (log.n_emissions, ==, 2);
}

static gpointer
reset_twice_in_thread (gpointer data)
{
  nm_allocator_alloc (data, 64, 8, NULL);
  nm_allocator_reset (data);
  nm_allocator_reset (data);

  return NULL;
}

/* Resets on another thread are announced on the allocator's main context. */
static void
test_allocator_reset_signal_other_thread (gconstpointer data)
{
  g_autoptr(NmAllocator) alloc = new_of_kind (GPOINTER_TO_INT (data), TRUE);
  ResetLog log = { 0 };

  g_signal_connect (alloc, "reset", G_CALLBACK (on_reset), &log);
  g_thread_join (g_thread_new ("reset", reset_twice_in_thread, alloc));
  g_assert_cmpuint (log.n_emissions, ==, 0);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.n_emissions, ==, 1);
  g_assert_cmpuint (log.n_resets, ==, 2);
  g_assert_true (log.emitted_on == g_thread_self ());

  /* Queued, then the allocator goes away: nothing is delivered to it. */
  nm_allocator_reset (alloc);
  g_clear_object (&alloc);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.n_emissions, ==, 1);
}

/* The counters a person debugging memory wants: trims and budget refusals
 * (resets and failures have their own tests). */
static void
test_allocator_stats_counters (void)
{
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("small", 8192, NULL);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_max_capacity (builder, 1024 * 1024);
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  /* The second chunk would pass the budget's limit. */
  g_assert_nonnull (nm_allocator_alloc (alloc, 4000, 8, &error));
  g_assert_null (nm_allocator_alloc (alloc, 6000, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  nm_allocator_trim (alloc);
  nm_allocator_trim (alloc);

  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->failed_count, ==, 1);
  g_assert_cmpuint (stats->budget_refused_count, ==, 1);
  g_assert_cmpuint (stats->trim_count, ==, 2);
  text = nm_allocator_stats_to_string (stats);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "2 trims, 1 budget refusals"));
  nm_test_flush_notify ();
}

static void
test_allocator_null_arguments (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("null", 4096);
  g_autoptr(GObject) not_an_allocator = g_object_new (G_TYPE_OBJECT, NULL);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*self != NULL*");
  g_assert_null (nm_allocator_alloc (NULL, 8, 8, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*self != NULL*");
  nm_allocator_free (NULL, alloc, 8, 8);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*self != NULL*");
  nm_allocator_reset (NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_ALLOCATOR*");
  g_assert_null (nm_allocator_get_stats (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*is not an NmAllocator*");
  g_assert_null (nm_allocator_alloc ((NmAllocator *) not_an_allocator, 8, 8, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*self != NULL*");
  g_assert_false (nm_allocator_owns (NULL, alloc));
  g_test_assert_expected_messages ();

  /* NULL memory is not an error. */
  nm_allocator_free (alloc, NULL, 8, 8);
  g_assert_false (nm_allocator_owns (alloc, NULL));

  assert_still_works (alloc);
}

static void
test_allocator_foreign_pointer (void)
{
  g_autoptr(NmAllocator) alloc = new_arena ("foreign", 4096);
  g_autoptr(NmAllocator) other = new_arena ("other", 4096);
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint64 on_stack = 0;
  gpointer theirs = nm_allocator_alloc (other, 16, 8, NULL);

  g_assert_false (nm_allocator_owns (alloc, &on_stack));
  g_assert_false (nm_allocator_owns (alloc, theirs));
  g_assert_true (nm_allocator_owns (other, theirs));

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*Bump allocator “foreign”*does not hold*address*");
  nm_allocator_free (alloc, &on_stack, sizeof on_stack, 8);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*“foreign”*does not hold*");
  nm_allocator_free (alloc, theirs, 16, 8);
  g_test_assert_expected_messages ();

  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->invalid_free_count, ==, 2);
  g_assert_cmpuint (stats->free_count, ==, 0);
  g_assert_true (nm_allocator_owns (other, theirs));

  assert_still_works (alloc);
}

/* An implementation of the interface outside the library: a malloc-backed
 * allocator with no state after its GObject, counting its calls. */
typedef struct
{
  GObject parent_instance;
} TestHeapAllocator;

typedef GObjectClass TestHeapAllocatorClass;

static guint test_heap_n_allocs;
static guint test_heap_n_frees;

static gpointer
test_heap_alloc (NmAllocator  *self,
                 gsize         size,
                 gsize         alignment,
                 GError      **error)
{
  test_heap_n_allocs++;
  return g_malloc (size);
}

static void
test_heap_free (NmAllocator *self,
                gpointer     mem,
                gsize        size,
                gsize        alignment)
{
  test_heap_n_frees++;
  g_free (mem);
}

static void
test_heap_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = test_heap_alloc;
  iface->free = test_heap_free;
}

static GType test_heap_allocator_get_type (void);
G_DEFINE_TYPE_WITH_CODE (TestHeapAllocator, test_heap_allocator, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR, test_heap_allocator_iface_init))

static void
test_heap_allocator_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  g_param_value_set_default (pspec, value);
}

static void
test_heap_allocator_class_init (TestHeapAllocatorClass *klass)
{
  static const char * const names[] = {
    "name", "capacity", "bytes-used", "bytes-peak", "allocation-count", "thread-safe",
  };

  klass->get_property = test_heap_allocator_get_property;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_object_class_override_property (klass, i + 1, names[i]);
}

static void test_heap_allocator_init (TestHeapAllocator *self) { }

/* Allocates and frees through the interface, and checks that the
 * allocator's own statistics saw it. */
static void
assert_dispatches (NmAllocator *alloc,
                   gsize        size,
                   gsize        alignment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmAllocatorStats) before = nm_allocator_get_stats (alloc);
  g_autoptr(NmAllocatorStats) after = NULL;
  gpointer a = nm_allocator_alloc (alloc, size, alignment, &error);
  gpointer b;

  g_assert_no_error (error);
  g_assert_nonnull (a);
  b = nm_allocator_alloc (alloc, size, alignment, &error);
  g_assert_no_error (error);
  g_assert_nonnull (b);
  g_assert_true (nm_allocator_owns (alloc, a));
  memset (a, 0x5a, size);
  memset (b, 0xa5, size);
  nm_allocator_free (alloc, b, size, alignment);
  nm_allocator_free (alloc, a, size, alignment);

  after = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (after->allocation_count, ==, before->allocation_count + 2);
  g_assert_cmpuint (after->invalid_free_count, ==, before->invalid_free_count);
}

/* The interface recognises the library's own allocators by their class
 * and any other implementation by its vtable, whichever is used first:
 * calls reach the right allocator, none is mistaken for another. */
static void
test_allocator_dispatch_kinds (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) heap = g_object_new (test_heap_allocator_get_type (), NULL);
  g_autoptr(NmBumpAllocator) bump = NULL;
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(NmStackAllocator) stack = NULL;
  gpointer p;

  /* The outside implementation first, before any slot of the library's
   * classes may be filled. */
  test_heap_n_allocs = test_heap_n_frees = 0;
  p = nm_allocator_alloc (NM_ALLOCATOR (heap), 24, 8, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  nm_allocator_free (NM_ALLOCATOR (heap), p, 24, 8);
  g_assert_cmpuint (test_heap_n_allocs, ==, 1);
  g_assert_cmpuint (test_heap_n_frees, ==, 1);

  bump = nm_bump_allocator_new (4096, &error);
  g_assert_no_error (error);
  pool = nm_pool_allocator_new (64, 16, 32, &error);
  g_assert_no_error (error);
  stack = nm_stack_allocator_new (4096, &error);
  g_assert_no_error (error);

  for (guint round = 0; round < 3; round++)
    {
      assert_dispatches (NM_ALLOCATOR (stack), 40, 8);
      assert_dispatches (NM_ALLOCATOR (pool), 64, 16);
      assert_dispatches (NM_ALLOCATOR (bump), 32, 8);

      p = nm_allocator_alloc (NM_ALLOCATOR (heap), 24, 8, &error);
      g_assert_no_error (error);
      nm_allocator_free (NM_ALLOCATOR (heap), p, 24, 8);
    }

  g_assert_cmpuint (test_heap_n_allocs, ==, 4);
  g_assert_cmpuint (test_heap_n_frees, ==, 4);

  /* The layout checks of the interface stay on the inline paths. */
  g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (pool), 65, 16, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);
  g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (pool), 64, 32, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  p = nm_allocator_alloc (NM_ALLOCATOR (pool), 64, 16, &error);
  g_assert_no_error (error);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*layout*128 bytes*");
  nm_allocator_free (NM_ALLOCATOR (pool), p, 128, 16);
  g_test_assert_expected_messages ();
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (pool), p));
  nm_allocator_free (NM_ALLOCATOR (pool), p, 64, 16);
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (pool), p));

  p = nm_allocator_alloc (NM_ALLOCATOR (stack), 40, 8, &error);
  g_assert_no_error (error);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*wrong size*24 bytes given, 40 allocated*");
  nm_allocator_free (NM_ALLOCATOR (stack), p, 24, 8);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 1);
  nm_allocator_free (NM_ALLOCATOR (stack), p, 40, 8);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/allocator/alloc/alignment", test_allocator_alloc_alignment);
  g_test_add_func ("/nebula/allocator/alloc/zeroed", test_allocator_alloc0);
  g_test_add_func ("/nebula/allocator/alloc/bad-layout", test_allocator_bad_layout);
  g_test_add_func ("/nebula/allocator/alloc/huge-size", test_allocator_huge_size);
  g_test_add_func ("/nebula/allocator/helpers/new", test_allocator_new_helpers);
  g_test_add_func ("/nebula/allocator/helpers/count-overflow", test_allocator_count_overflow);
  g_test_add_func ("/nebula/allocator/helpers/count-overflow/counted",
                   test_allocator_count_overflow_counted);
  g_test_add_func ("/nebula/allocator/signal/allocation-failed", test_allocator_signal);
  g_test_add_func ("/nebula/allocator/properties", test_allocator_properties);
  g_test_add_func ("/nebula/allocator/properties/notify-on-reset", test_allocator_notify_on_reset);
  g_test_add_func ("/nebula/allocator/properties/notify-batched", test_allocator_notify_batched);
  g_test_add_func ("/nebula/allocator/properties/notify-other-thread",
                   test_allocator_notify_other_thread);
  g_test_add_func ("/nebula/allocator/stats", test_allocator_stats);
  g_test_add_func ("/nebula/allocator/stats/counters", test_allocator_stats_counters);
  g_test_add_data_func ("/nebula/allocator/signals/reset/bump", GINT_TO_POINTER (NM_ALLOCATOR_KIND_BUMP), test_allocator_reset_signal);
  g_test_add_data_func ("/nebula/allocator/signals/reset/pool", GINT_TO_POINTER (NM_ALLOCATOR_KIND_POOL), test_allocator_reset_signal);
  g_test_add_data_func ("/nebula/allocator/signals/reset/stack", GINT_TO_POINTER (NM_ALLOCATOR_KIND_STACK), test_allocator_reset_signal);
  g_test_add_data_func ("/nebula/allocator/signals/reset/bump-other-thread", GINT_TO_POINTER (NM_ALLOCATOR_KIND_BUMP), test_allocator_reset_signal_other_thread);
  g_test_add_data_func ("/nebula/allocator/signals/reset/pool-other-thread", GINT_TO_POINTER (NM_ALLOCATOR_KIND_POOL), test_allocator_reset_signal_other_thread);
  g_test_add_func ("/nebula/allocator/misuse/null-arguments", test_allocator_null_arguments);
  g_test_add_func ("/nebula/allocator/misuse/foreign-pointer", test_allocator_foreign_pointer);
  g_test_add_func ("/nebula/allocator/dispatch/kinds", test_allocator_dispatch_kinds);

  return g_test_run ();
}
