/* test-allocator-bytes.c: allocator memory as GBytes, and the reset rule
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-test-util.h"

static const guint8 hello[] = "hello, arena";

static guint64
bytes_used (gpointer alloc)
{
  guint64 used = 0;

  g_object_get (alloc, "bytes-used", &used, NULL);

  return used;
}

static void
test_bytes_pool_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new (64, 16, 4, &error);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *expected = NULL;
  gconstpointer data;
  gsize size;

  g_assert_no_error (error);
  bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), hello, sizeof hello, 16, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bytes);

  data = g_bytes_get_data (bytes, &size);
  g_assert_cmpuint (size, ==, sizeof hello);
  g_assert_cmpmem (data, size, hello, sizeof hello);
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (pool), data));
  g_assert_cmpuint (GPOINTER_TO_SIZE (data) % 16, ==, 0);
  g_assert_cmpuint (bytes_used (pool), ==, 64);
  g_assert_cmpuint (nm_allocator_get_n_live_bytes (NM_ALLOCATOR (pool)), ==, 1);

  /* A GLib API taking GBytes sees the same bytes. */
  sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, hello, sizeof hello);
  g_assert_cmpstr (sum, ==, expected);

  g_clear_pointer (&bytes, g_bytes_unref);
  g_assert_cmpuint (bytes_used (pool), ==, 0);
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);
  g_assert_cmpuint (nm_allocator_get_n_live_bytes (NM_ALLOCATOR (pool)), ==, 0);
}

/* The GBytes keeps the allocator alive. */
static void
test_bytes_holds_allocator (void)
{
  g_autoptr(GError) error = NULL;
  NmPoolAllocator *pool = nm_pool_allocator_new (32, 8, 2, &error);
  GWeakRef weak;
  GBytes *bytes;

  g_assert_no_error (error);
  g_weak_ref_init (&weak, pool);
  bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), hello, 8, 8, &error);
  g_assert_no_error (error);
  g_object_unref (pool);

  {
    g_autoptr(GObject) alive = g_weak_ref_get (&weak);

    g_assert_nonnull (alive);
    g_assert_cmpmem (g_bytes_get_data (bytes, NULL), 8, hello, 8);
  }

  g_bytes_unref (bytes);
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
}

static void
test_bytes_dup (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (4096, &error);
  g_autoptr(GBytes) source = g_bytes_new_static (hello, sizeof hello);
  g_autoptr(GBytes) copy = NULL;

  g_assert_no_error (error);
  copy = nm_allocator_dup_bytes (NM_ALLOCATOR (arena), source, 8, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (source, copy));
  g_assert_true (g_bytes_get_data (source, NULL) != g_bytes_get_data (copy, NULL));
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (arena), g_bytes_get_data (copy, NULL)));
}

/* The most recent bump allocation comes back on unref; older ones wait
 * for the reset. */
static void
test_bytes_bump_top (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (4096, &error);
  GBytes *first, *second;
  guint64 after_first;

  g_assert_no_error (error);
  first = nm_allocator_alloc_bytes (NM_ALLOCATOR (arena), hello, 8, 8, &error);
  g_assert_no_error (error);
  after_first = bytes_used (arena);
  second = nm_allocator_alloc_bytes (NM_ALLOCATOR (arena), hello, 8, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bytes_used (arena), >, after_first);

  g_bytes_unref (second);
  g_assert_cmpuint (bytes_used (arena), ==, after_first);
  g_bytes_unref (first);
  g_assert_cmpuint (nm_allocator_get_n_live_bytes (NM_ALLOCATOR (arena)), ==, 0);

  nm_allocator_reset (NM_ALLOCATOR (arena));
  g_assert_cmpuint (bytes_used (arena), ==, 0);
}

/* A stack block is never popped by a GBytes, whatever the unref order. */
static void
test_bytes_stack_any_order (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmStackAllocator) stack = nm_stack_allocator_new (4096, &error);
  g_autoptr(NmAllocatorStats) stats = NULL;
  GBytes *first, *second;

  g_assert_no_error (error);
  first = nm_allocator_alloc_bytes (NM_ALLOCATOR (stack), hello, 8, 8, &error);
  g_assert_no_error (error);
  second = nm_allocator_alloc_bytes (NM_ALLOCATOR (stack), hello, sizeof hello, 8, &error);
  g_assert_no_error (error);

  /* Out of LIFO order: no critical (G_DEBUG=fatal-warnings would abort). */
  g_bytes_unref (first);
  g_bytes_unref (second);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 2);

  nm_allocator_reset (NM_ALLOCATOR (stack));
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
}

/* The reset rule: refused with one critical naming the count; allowed
 * again once the GBytes are gone. */
static void
test_bytes_reset_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new_full ("request-arena", 4096, 0,
                                                                 FALSE, &error);
  GBytes *a, *b;
  guint64 used;

  g_assert_no_error (error);
  a = nm_allocator_alloc_bytes (NM_ALLOCATOR (arena), hello, sizeof hello, 1, &error);
  b = nm_allocator_alloc_bytes (NM_ALLOCATOR (arena), hello, sizeof hello, 1, &error);
  g_assert_no_error (error);
  used = bytes_used (arena);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*request-arena*still has 2 GBytes alive: reset refused*");
  nm_allocator_reset (NM_ALLOCATOR (arena));
  g_test_assert_expected_messages ();

  g_assert_cmpuint (bytes_used (arena), ==, used);
  g_assert_cmpmem (g_bytes_get_data (a, NULL), sizeof hello, hello, sizeof hello);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), sizeof hello, hello, sizeof hello);

  g_bytes_unref (a);
  g_bytes_unref (b);
  nm_allocator_reset (NM_ALLOCATOR (arena));
  g_assert_cmpuint (bytes_used (arena), ==, 0);
}

/* Live GBytes of one allocator do not hold back the reset of another. */
static void
test_bytes_reset_other_allocator (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) one = nm_bump_allocator_new (4096, &error);
  g_autoptr(NmBumpAllocator) two = nm_bump_allocator_new (4096, &error);
  g_autoptr(GBytes) bytes = NULL;

  g_assert_no_error (error);
  bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (one), hello, 4, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (nm_allocator_alloc (NM_ALLOCATOR (two), 64, 8, &error));
  nm_allocator_reset (NM_ALLOCATOR (two));
  g_assert_cmpuint (bytes_used (two), ==, 0);
}

/* A type-specific reset behind the GBytes' back: reported on the last
 * unref, and the block that the reset took back and handed out again is
 * not freed a second time. */
static void
test_bytes_unchecked_reset (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new (32, 8, 1, &error);
  g_autoptr(NmAllocatorStats) stats = NULL;
  GBytes *bytes;
  gpointer other;

  g_assert_no_error (error);
  bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), hello, 8, 8, &error);
  g_assert_no_error (error);

  nm_pool_allocator_reset (pool);
  other = nm_pool_allocator_alloc (pool, &error);
  g_assert_no_error (error);
  g_assert_nonnull (other);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*was reset while a GBytes of 8 bytes at * was alive*");
  g_bytes_unref (bytes);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 1);
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (pool), other));
  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  nm_pool_allocator_free (pool, other);
}

/* Under AddressSanitizer, reading a GBytes whose arena was reset behind its
 * back is reported like a use after free. */
static void
test_bytes_use_after_reset_asan (void)
{
#if defined(__SANITIZE_ADDRESS__)
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (4096, &error);
      GBytes *bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (arena), hello, sizeof hello, 1,
                                                &error);
      const volatile guint8 *data = g_bytes_get_data (bytes, NULL);

      nm_bump_allocator_reset (arena);
      g_print ("%d\n", data[0]);   /* reported and aborted here */
      g_bytes_unref (bytes);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*AddressSanitizer: use-after-poison*");
#else
  g_test_skip ("needs an AddressSanitizer build");
#endif
}

static void
test_bytes_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new (32, 8, 1, &error);
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  guint8 big[64] = { 0 };
  NmTestFailures failures = { 0 };
  GBytes *bytes;

  g_assert_no_error (error);
  nm_test_watch_failures (pool, &failures);

  /* Larger than a block. */
  bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), big, sizeof big, 8, &error);
  g_assert_null (bytes);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  /* Empty. */
  bytes = nm_allocator_dup_bytes (NM_ALLOCATOR (pool), empty, 8, &error);
  g_assert_null (bytes);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_clear_error (&error);

  /* Exhausted, then usable again after the unref. */
  first = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), hello, 8, 8, &error);
  g_assert_no_error (error);
  bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), hello, 8, 8, &error);
  g_assert_null (bytes);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
  g_clear_error (&error);
  g_assert_cmpuint (failures.count, ==, 3);
  g_assert_cmpuint (nm_allocator_get_n_live_bytes (NM_ALLOCATOR (pool)), ==, 1);

  g_clear_pointer (&first, g_bytes_unref);
  bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), hello, 8, 8, &error);
  g_assert_no_error (error);
  g_bytes_unref (bytes);
  nm_test_failures_clear (&failures);
}

/* The last unref may come from another thread of a thread-safe pool. */
static gpointer
unref_in_thread (gpointer data)
{
  g_bytes_unref (data);
  return NULL;
}

static void
test_bytes_unref_other_thread (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new_full ("shared", 32, 8, 8, 8, TRUE,
                                                                &error);
  GThread *threads[4];

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      GBytes *bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool), hello, 8, 8, &error);

      g_assert_no_error (error);
      threads[i] = g_thread_new ("unref", unref_in_thread, bytes);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (nm_allocator_get_n_live_bytes (NM_ALLOCATOR (pool)), ==, 0);
  nm_allocator_reset (NM_ALLOCATOR (pool));
  g_assert_cmpuint (bytes_used (pool), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/bytes/pool/roundtrip", test_bytes_pool_roundtrip);
  g_test_add_func ("/nebula/bytes/holds-allocator", test_bytes_holds_allocator);
  g_test_add_func ("/nebula/bytes/dup", test_bytes_dup);
  g_test_add_func ("/nebula/bytes/bump/top", test_bytes_bump_top);
  g_test_add_func ("/nebula/bytes/stack/any-order", test_bytes_stack_any_order);
  g_test_add_func ("/nebula/bytes/reset/refused", test_bytes_reset_refused);
  g_test_add_func ("/nebula/bytes/reset/other-allocator", test_bytes_reset_other_allocator);
  g_test_add_func ("/nebula/bytes/reset/unchecked", test_bytes_unchecked_reset);
  g_test_add_func ("/nebula/bytes/reset/use-after-reset-asan", test_bytes_use_after_reset_asan);
  g_test_add_func ("/nebula/bytes/errors", test_bytes_errors);
  g_test_add_func ("/nebula/bytes/unref-other-thread", test_bytes_unref_other_thread);

  return g_test_run ();
}
