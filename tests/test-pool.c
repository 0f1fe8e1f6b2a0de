/* test-pool.c: NmPoolAllocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <sys/resource.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-allocator-private.h"
#include "nm-sanitizer-private.h"
#include "nm-pool-allocator-private.h"
#include "nm-test-util.h"

static NmPoolAllocator *
new_pool (gsize    block_size,
          gsize    alignment,
          gsize    count,
          gsize    max_count,
          gboolean thread_safe)
{
  g_autoptr(GError) error = NULL;
  NmPoolAllocator *pool = nm_pool_allocator_new_full ("test-pool", block_size, alignment,
                                                      count, max_count, thread_safe, &error);

  g_assert_no_error (error);
  g_assert_true (NM_IS_POOL_ALLOCATOR (pool));

  return pool;
}

static NmAllocatorStats *
stats_of (NmPoolAllocator *pool)
{
  return nm_allocator_get_stats (NM_ALLOCATOR (pool));
}

/* The misuse a test makes on purpose (a write into a freed, poisoned
 * block) runs in a subprocess: AddressSanitizer must report it there;
 * without the tool the pool catches it and the subprocess passes. */
static void
assert_misuse_subprocess (void)
{
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
#ifdef NM_TEST_HAVE_ASAN
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*AddressSanitizer*use-after-poison*");
#else
  g_test_trap_assert_passed ();
#endif
}

static void
test_pool_basic (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 32, 0, FALSE);
  gpointer blocks[32];
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  g_assert_cmpuint (nm_pool_allocator_get_block_size (pool), ==, 64);
  g_assert_cmpuint (nm_pool_allocator_get_block_alignment (pool), ==, 16);
  g_assert_cmpuint (nm_pool_allocator_get_block_count (pool), ==, 32);
  g_assert_cmpuint (nm_pool_allocator_get_max_block_count (pool), ==, 32);

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      g_autoptr(GError) error = NULL;

      blocks[i] = nm_pool_allocator_alloc (pool, &error);
      g_assert_no_error (error);
      g_assert_nonnull (blocks[i]);
      g_assert_cmpuint ((guintptr) blocks[i] % 16, ==, 0);
      g_assert_false (g_hash_table_contains (seen, blocks[i]));
      g_hash_table_add (seen, blocks[i]);
      memset (blocks[i], (int) i, 64);
    }

  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 32);
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      g_assert_cmpuint (((guint8 *) blocks[i])[63], ==, i);
      g_assert_true (nm_allocator_owns (NM_ALLOCATOR (pool), blocks[i]));
      nm_pool_allocator_free (pool, blocks[i]);
      g_assert_false (nm_allocator_owns (NM_ALLOCATOR (pool), blocks[i]));
    }
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);

  /* LIFO reuse: the block freed last comes back first. */
  {
    gpointer p = nm_pool_allocator_alloc (pool, NULL);

    g_assert_true (p == blocks[31]);
    nm_pool_allocator_free (pool, p);
  }

  nm_pool_allocator_free (pool, NULL);
}

static void
test_pool_rounding (void)
{
  g_autoptr(NmPoolAllocator) tiny = new_pool (1, 0, 4, 0, FALSE);
  g_autoptr(NmPoolAllocator) odd = new_pool (20, 8, 10, 0, FALSE);
  gpointer blocks[10];

  /* Natural alignment of 1 byte is clamped to 8; 8 is the link size. */
  g_assert_cmpuint (nm_pool_allocator_get_block_alignment (tiny), ==, 8);
  g_assert_cmpuint (nm_pool_allocator_get_block_size (tiny), ==, 8);
  nm_test_assert_still_works (tiny, 8, 8);

  /* 20 bytes aligned to 8: 24-byte blocks, a stride that is not a power
   * of two, so the index check uses the multiply-and-rotate path. */
  g_assert_cmpuint (nm_pool_allocator_get_block_size (odd), ==, 24);
  for (guint i = 0; i < 10; i++)
    {
      blocks[i] = nm_pool_allocator_alloc (odd, NULL);
      g_assert_nonnull (blocks[i]);
      g_assert_cmpuint ((guintptr) blocks[i] % 8, ==, 0);
    }
  for (guint i = 0; i < 10; i++)
    {
      if (i > 0)
        g_assert_cmpuint ((guintptr) blocks[i] - (guintptr) blocks[i - 1], ==, 24);
      nm_pool_allocator_free (odd, blocks[i]);
    }
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (odd), ==, 0);
}

static void
test_pool_new_invalid (void)
{
  struct {
    gsize size, alignment, count;
    const char *key;
  } cases[] = {
    { 0, 8, 4, "block-size" },
    { 64, 3, 4, "block-alignment" },
    { 64, 8192, 4, "block-alignment" },
    { 64, 8, 0, "block-count" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      NmPoolAllocator *pool = nm_pool_allocator_new (cases[i].size, cases[i].alignment,
                                                     cases[i].count, &error);

      g_assert_null (pool);
      g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
      g_assert_nonnull (strstr (error->message, cases[i].key));
    }
}

static void
test_pool_invalid_layout (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 8, 0, FALSE);
  NmAllocator *alloc = NM_ALLOCATOR (pool);
  g_autoptr(NmAllocatorStats) stats = NULL;
  gpointer p;

  {
    g_autoptr(GError) error = NULL;

    p = nm_allocator_alloc (alloc, 65, 8, &error);
    g_assert_null (p);
    g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
    g_assert_nonnull (strstr (error->message, "65 bytes"));
    g_assert_nonnull (strstr (error->message, "hold 64 bytes aligned to 16"));
    g_assert_nonnull (strstr (error->message, "test-pool"));
  }

  {
    g_autoptr(GError) error = NULL;

    p = nm_allocator_alloc (alloc, 16, 32, &error);
    g_assert_null (p);
    g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
    g_assert_nonnull (strstr (error->message, "alignment 32"));
    g_assert_nonnull (strstr (error->message, "aligned to 16"));
  }

  {
    g_autoptr(GError) error = NULL;

    p = nm_allocator_alloc (alloc, 0, 8, &error);
    g_assert_null (p);
    g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
    g_assert_nonnull (strstr (error->message, "0 bytes"));
  }

  {
    g_autoptr(GError) error = NULL;

    p = nm_allocator_alloc (alloc, 8, 3, &error);
    g_assert_null (p);
    g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
    g_assert_nonnull (strstr (error->message, "power of two"));
  }

  /* Fitting requests go through the interface. */
  {
    g_autoptr(GError) error = NULL;

    p = nm_allocator_alloc (alloc, 64, 16, &error);
    g_assert_no_error (error);
    g_assert_nonnull (p);
    nm_allocator_free (alloc, p, 64, 16);
  }

  stats = stats_of (pool);
  g_assert_cmpuint (stats->failed_count, ==, 4);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  nm_test_assert_still_works (pool, 8, 8);
}

static void
on_failed (NmAllocator  *alloc,
           const GError *error,
           gpointer      user_data)
{
  GError **last = user_data;

  g_clear_error (last);
  *last = g_error_copy (error);
}

static void
test_pool_exhausted (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 4, 0, FALSE);
  g_autoptr(GError) signalled = NULL;
  g_autoptr(GError) error = NULL;
  gpointer blocks[4];

  g_signal_connect (pool, "allocation-failed", G_CALLBACK (on_failed), &signalled);

  for (guint i = 0; i < 4; i++)
    blocks[i] = nm_pool_allocator_alloc (pool, NULL);

  g_assert_null (nm_pool_allocator_alloc (pool, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
  g_assert_nonnull (strstr (error->message, "test-pool"));
  g_assert_nonnull (strstr (error->message, "capacity 4 blocks of 64 bytes"));
  g_assert_nonnull (strstr (error->message, "4 in use"));
  g_assert_nonnull (strstr (error->message, "0 parked in thread caches"));
  g_assert_nonnull (strstr (error->message, "max-block-count"));
  g_assert_nonnull (strstr (error->message, "block-count"));
  g_assert_error (signalled, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);

  /* Through the interface too. */
  g_clear_error (&error);
  g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (pool), 8, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);

  nm_pool_allocator_free (pool, blocks[2]);
  g_assert_true (nm_pool_allocator_alloc (pool, NULL) == blocks[2]);
  for (guint i = 0; i < 4; i++)
    nm_pool_allocator_free (pool, blocks[i]);
  nm_test_assert_still_works (pool, 8, 8);
}

static void
test_pool_grow_and_trim (void)
{
  /* Page-sized blocks, so trimmed slabs give whole pages back. */
  g_autoptr(NmPoolAllocator) pool = new_pool (4096, 4096, 4, 16, FALSE);
  g_autoptr(GError) error = NULL;
  gpointer blocks[16];

  for (guint round = 0; round < 2; round++)
    {
      for (guint i = 0; i < 16; i++)
        {
          blocks[i] = nm_pool_allocator_alloc (pool, &error);
          g_assert_no_error (error);
          memset (blocks[i], 0x11, 4096);
        }
      g_assert_cmpuint (nm_pool_allocator_get_block_count (pool), ==, 16);

      g_assert_null (nm_pool_allocator_alloc (pool, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
      g_assert_nonnull (strstr (error->message, "capacity 16 blocks"));
      g_assert_nonnull (strstr (error->message, "16 in use"));
      g_clear_error (&error);

      /* A slab with a live block stays. */
      for (guint i = 0; i < 15; i++)
        nm_pool_allocator_free (pool, blocks[i]);
      /* Slabs of 4, 4 and 8 blocks: the middle one is free. */
      g_assert_cmpuint (nm_pool_allocator_trim (pool), ==, 4 * 4096);
      g_assert_cmpuint (nm_pool_allocator_get_block_count (pool), ==, 12);
      g_assert_cmpuint (nm_allocator_trim (NM_ALLOCATOR (pool)), ==, 0);

      g_assert_true (nm_allocator_owns (NM_ALLOCATOR (pool), blocks[15]));
      nm_pool_allocator_free (pool, blocks[15]);
      g_assert_cmpuint (nm_allocator_trim (NM_ALLOCATOR (pool)), ==, 8 * 4096);
      g_assert_cmpuint (nm_pool_allocator_get_block_count (pool), ==, 4);
      nm_test_assert_still_works (pool, 8, 8);
    }

  /* Freeing into a trimmed slab is caught, not a crash. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*double free*not handed out*");
  nm_pool_allocator_free (pool, blocks[15]);
  g_test_assert_expected_messages ();
}

static void
test_pool_double_free (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (32, 8, 8, 0, FALSE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  gpointer a = nm_pool_allocator_alloc (pool, NULL);
  gpointer b, c;

  nm_pool_allocator_free (pool, a);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*test-pool*double free*");
  nm_pool_allocator_free (pool, a);
  g_test_assert_expected_messages ();

  /* Through the interface as well. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*double free*");
  nm_allocator_free (NM_ALLOCATOR (pool), a, 32, 8);
  g_test_assert_expected_messages ();

  /* The block went back once: it is handed out once. */
  b = nm_pool_allocator_alloc (pool, NULL);
  c = nm_pool_allocator_alloc (pool, NULL);
  g_assert_true (b == a);
  g_assert_true (c != a);

  stats = stats_of (pool);
  g_assert_cmpuint (stats->invalid_free_count, ==, 2);
  g_assert_cmpuint (stats->free_count, ==, 1);
  g_assert_cmpuint (stats->bytes_used, ==, 64);

  nm_pool_allocator_free (pool, b);
  nm_pool_allocator_free (pool, c);
  nm_test_assert_still_works (pool, 8, 8);
}

static void
test_pool_foreign_pointer (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (32, 8, 8, 0, FALSE);
  g_autoptr(NmPoolAllocator) other = new_pool (32, 8, 8, 0, FALSE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autofree guint64 *heap = g_new0 (guint64, 4);
  guint64 local = 0;
  gpointer theirs = nm_pool_allocator_alloc (other, NULL);
  char address[64];

  g_snprintf (address, sizeof address, "*outside every slab*%p*", heap);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, address);
  nm_pool_allocator_free (pool, heap);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*foreign pointer*");
  nm_pool_allocator_free (pool, &local);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*outside every slab*");
  nm_pool_allocator_free (pool, theirs);
  g_test_assert_expected_messages ();

  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (pool), theirs));
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (other), theirs));
  nm_pool_allocator_free (other, theirs);

  stats = stats_of (pool);
  g_assert_cmpuint (stats->invalid_free_count, ==, 3);
  nm_test_assert_still_works (pool, 8, 8);
  nm_test_assert_still_works (other, 8, 8);
}

/* The thread-safe pool's inline entries check as much as the exported
 * ones: NULL, pointers outside the pool, interior pointers and double frees
 * are reported and counted, never taken; a thread's first call finds no
 * heap and attaches one. */
static gpointer
thread_safe_first_alloc (gpointer data)
{
  NmPoolAllocator *pool = data;
  gpointer blk = nm_pool_allocator_alloc (pool, NULL);

  g_assert_nonnull (blk);
  nm_pool_allocator_free (pool, blk);
  return blk;
}

static void
test_pool_thread_safe_bad_frees (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (32, 8, 64, 0, TRUE);
  g_autoptr(NmPoolAllocator) other = new_pool (32, 8, 8, 0, TRUE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autofree guint64 *heap = g_new0 (guint64, 4);
  guint64 local = 0;
  gpointer theirs = nm_pool_allocator_alloc (other, NULL);
  gpointer a = nm_pool_allocator_alloc (pool, NULL);
  gpointer b = nm_pool_allocator_alloc (pool, NULL);
  gpointer c;
  gpointer d;
  char address[64];

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  nm_pool_allocator_free (pool, NULL);

  g_snprintf (address, sizeof address, "*outside every slab*%p*", heap);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, address);
  nm_pool_allocator_free (pool, heap);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*foreign pointer*");
  nm_pool_allocator_free (pool, &local);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*outside every slab*");
  nm_pool_allocator_free (pool, theirs);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*misaligned interior*");
  nm_pool_allocator_free (pool, (guint8 *) a + 8);
  g_test_assert_expected_messages ();

  nm_pool_allocator_free (pool, a);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*double free*");
  nm_pool_allocator_free (pool, a);
  g_test_assert_expected_messages ();

  /* The double free did not put the block on a list twice. */
  c = nm_pool_allocator_alloc (pool, NULL);
  d = nm_pool_allocator_alloc (pool, NULL);
  g_assert_nonnull (c);
  g_assert_nonnull (d);
  g_assert_true (c != d && c != b && d != b);

  /* A new thread has no heap of the pool yet. */
  g_thread_join (g_thread_new ("first-alloc", thread_safe_first_alloc, pool));

  stats = stats_of (pool);
  g_assert_cmpuint (stats->invalid_free_count, ==, 5);
  g_assert_cmpuint (stats->allocation_count, ==, 5);
  g_assert_cmpuint (stats->free_count, ==, 2);

  nm_pool_allocator_free (other, theirs);
  nm_pool_allocator_reset (pool);
}

static void
test_pool_interior_pointer (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (24, 8, 8, 0, FALSE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint8 *a = nm_pool_allocator_alloc (pool, NULL);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*misaligned interior pointer: 8 bytes into block #0*");
  nm_pool_allocator_free (pool, a + 8);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*misaligned interior pointer*");
  nm_pool_allocator_free (pool, a + 1);
  g_test_assert_expected_messages ();

  /* A wrong layout through the interface is refused before the lookup. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*free with a layout*");
  nm_allocator_free (NM_ALLOCATOR (pool), a, 100, 8);
  g_test_assert_expected_messages ();

  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (pool), a + 8));
  stats = stats_of (pool);
  g_assert_cmpuint (stats->invalid_free_count, ==, 3);
  g_assert_cmpuint (stats->bytes_used, ==, 24);

  nm_pool_allocator_free (pool, a);
  nm_test_assert_still_works (pool, 8, 8);
}

static void
test_pool_corrupted_link (void)
{
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  gpointer a, b, c, p;

  if (!g_test_subprocess ())
    {
      assert_misuse_subprocess ();
      return;
    }

  pool = new_pool (64, 16, 8, 0, FALSE);
  a = nm_pool_allocator_alloc (pool, NULL);
  b = nm_pool_allocator_alloc (pool, NULL);
  c = nm_pool_allocator_alloc (pool, NULL);
  nm_pool_allocator_free (pool, c);
  nm_pool_allocator_free (pool, a);

  /* A use after free overwrites the encoded link of a. */
  *(guint64 *) a = 0x4141414141414141;

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*test-pool*found corrupted memory*block #0*");
  p = nm_pool_allocator_alloc (pool, &error);
  g_test_assert_expected_messages ();
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_CORRUPTION);
  g_assert_nonnull (strstr (error->message, "test-pool"));
  g_assert_nonnull (strstr (error->message, "overwritten after the block was freed"));
  g_assert_nonnull (strstr (error->message, "quarantined"));

  stats = stats_of (pool);
  g_assert_cmpuint (stats->corruption_count, ==, 1);
  g_assert_cmpuint (stats->failed_count, ==, 1);

  /* The rest of the pool is intact: every block but the quarantined one
   * and b comes out once, c included. */
  for (guint i = 0; i < 6; i++)
    {
      g_clear_error (&error);
      p = nm_pool_allocator_alloc (pool, &error);
      g_assert_no_error (error);
      g_assert_true (p != a && p != b);
      g_assert_false (g_hash_table_contains (seen, p));
      g_hash_table_add (seen, p);
    }
  g_assert_true (g_hash_table_contains (seen, c));
  g_assert_null (nm_pool_allocator_alloc (pool, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
  g_assert_nonnull (strstr (error->message, "1 quarantined"));

  /* Freeing the quarantined block is a double free. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*double free*quarantined*");
  nm_pool_allocator_free (pool, a);
  g_test_assert_expected_messages ();

  /* A reset brings it back. */
  nm_pool_allocator_reset (pool);
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);
  for (guint i = 0; i < 8; i++)
    g_assert_nonnull (nm_pool_allocator_alloc (pool, NULL));
}

static void
test_pool_corrupted_fill (void)
{
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;
  NmPoolAllocator *pool;
  guint8 *a, *p;

  if (!g_test_subprocess ())
    {
      assert_misuse_subprocess ();
      return;
    }

  config = nm_memory_config_new_development (NM_ALLOCATOR_KIND_POOL);
  g_assert_true (nm_memory_config_get_poison (config));
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  pool = NM_POOL_ALLOCATOR (alloc);

  a = nm_pool_allocator_alloc (pool, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a[10], ==, NM_POISON_FRESH);
  nm_pool_allocator_free (pool, a);
  g_assert_cmpuint (a[10], ==, NM_POISON_FREED);

  /* A write after free past the link: only the fill check sees it. */
  a[40] = 7;

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*found corrupted memory*written after it was freed*byte 40*");
  p = nm_pool_allocator_alloc (pool, &error);
  g_test_assert_expected_messages ();
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_CORRUPTION);
  g_assert_nonnull (strstr (error->message, "written after it was freed"));

  g_clear_error (&error);
  p = nm_pool_allocator_alloc (pool, &error);
  g_assert_no_error (error);
  g_assert_true (p != a);
  nm_pool_allocator_free (pool, p);
}

static void
test_pool_reset (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 8, 0, FALSE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GString) notified = g_string_new (NULL);
  gpointer first = NULL;

  nm_test_log_notify (pool, notified);

  for (guint i = 0; i < 5; i++)
    {
      gpointer p = nm_pool_allocator_alloc (pool, NULL);

      if (i == 0)
        first = p;
    }
  nm_pool_allocator_free (pool, first);

  nm_allocator_reset (NM_ALLOCATOR (pool));
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-used"), ==, 1);

  stats = stats_of (pool);
  g_assert_cmpuint (stats->reset_count, ==, 1);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->bytes_peak, ==, 5 * 64);
  g_assert_cmpuint (stats->allocation_count, ==, 5);

  /* Every block is free again, each handed out once. */
  for (guint i = 0; i < 8; i++)
    g_assert_nonnull (nm_pool_allocator_alloc (pool, NULL));
  g_assert_null (nm_pool_allocator_alloc (pool, NULL));

  /* A reset with every block out keeps that as the peak. */
  nm_pool_allocator_reset (pool);
  g_clear_pointer (&stats, nm_allocator_stats_free);
  stats = stats_of (pool);
  g_assert_cmpuint (stats->bytes_peak, ==, 8 * 64);

  /* A block from before the reset is no longer handed out. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*double free*not handed out*");
  nm_pool_allocator_free (pool, first);
  g_test_assert_expected_messages ();
}

static gpointer
alloc_elsewhere (gpointer data)
{
  return nm_pool_allocator_alloc (data, NULL);
}

static void
test_pool_development_other_thread (void)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_new_development (NM_ALLOCATOR_KIND_POOL);
  g_autoptr(NmAllocator) alloc = nm_allocator_new_from_config (config, NULL);
  NmPoolAllocator *pool = NM_POOL_ALLOCATOR (alloc);
  gpointer mine, theirs;
  GThread *thread;

  mine = nm_pool_allocator_alloc (pool, NULL);
  g_assert_nonnull (mine);

  /* Reported once per foreign thread; the call still goes ahead. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*“development” is used from thread * but belongs to thread *"
                         "Give each thread its own pool, or set thread-safe=true.");
  thread = g_thread_new ("intruder", alloc_elsewhere, pool);
  theirs = g_thread_join (thread);
  g_test_assert_expected_messages ();
  g_assert_true (nm_allocator_owns (alloc, theirs));

  nm_pool_allocator_free (pool, theirs);
  nm_pool_allocator_free (pool, mine);
  nm_test_assert_still_works (pool, 8, 8);
}

static void
test_pool_thread_safe_peak (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 256, 0, TRUE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  gpointer blocks[100];

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    blocks[i] = nm_pool_allocator_alloc (pool, NULL);

  stats = stats_of (pool);
  g_assert_cmpuint (stats->bytes_used, ==, 100 * 64);
  g_assert_cmpuint (stats->bytes_peak, ==, 100 * 64);

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    nm_pool_allocator_free (pool, blocks[i]);

  /* Sampled, so a lower bound, but never lost. */
  g_clear_pointer (&stats, nm_allocator_stats_free);
  stats = stats_of (pool);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->bytes_peak, ==, 100 * 64);

  nm_pool_allocator_reset (pool);
  g_clear_pointer (&stats, nm_allocator_stats_free);
  stats = stats_of (pool);
  g_assert_cmpuint (stats->bytes_peak, ==, 100 * 64);
}

static void
test_pool_stats_and_properties (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (48, 16, 10, 40, FALSE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autofree char *name = NULL;
  guint64 capacity, used, count, block_size, max_count;
  gboolean thread_safe;
  gpointer a, b, c;

  a = nm_pool_allocator_alloc (pool, NULL);
  b = nm_pool_allocator_alloc (pool, NULL);
  c = nm_pool_allocator_alloc (pool, NULL);
  nm_pool_allocator_free (pool, b);

  g_object_get (pool,
                "name", &name,
                "capacity", &capacity,
                "bytes-used", &used,
                "allocation-count", &count,
                "thread-safe", &thread_safe,
                "block-size", &block_size,
                "max-block-count", &max_count,
                NULL);
  g_assert_cmpstr (name, ==, "test-pool");
  g_assert_cmpuint (capacity, ==, 10 * 48);
  g_assert_cmpuint (used, ==, 2 * 48);
  g_assert_cmpuint (count, ==, 3);
  g_assert_false (thread_safe);
  g_assert_cmpuint (block_size, ==, 48);
  g_assert_cmpuint (max_count, ==, 40);

  stats = stats_of (pool);
  g_assert_cmpuint (stats->free_count, ==, 1);
  g_assert_cmpuint (stats->bytes_peak, ==, 3 * 48);
  g_assert_cmpuint (stats->cached_count, ==, 0);
  g_assert_cmpstr (nm_allocator_get_name (NM_ALLOCATOR (pool)), ==, "test-pool");

  nm_pool_allocator_free (pool, a);
  nm_pool_allocator_free (pool, c);
}

static void
test_pool_key_file (void)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "pool.ini", NULL);
  guint64 block_size, block_count, max_count, alignment;
  gboolean thread_safe;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  alloc = nm_allocator_new_from_key_file (key_file, "nodes", &error);
  g_assert_no_error (error);
  g_assert_true (NM_IS_POOL_ALLOCATOR (alloc));
  g_object_get (alloc,
                "block-size", &block_size,
                "block-alignment", &alignment,
                "block-count", &block_count,
                "max-block-count", &max_count,
                "thread-safe", &thread_safe,
                NULL);
  g_assert_cmpuint (block_size, ==, 96);
  g_assert_cmpuint (alignment, ==, 32);
  g_assert_cmpuint (block_count, ==, 128);
  g_assert_cmpuint (max_count, ==, 1024);
  g_assert_true (thread_safe);
  g_assert_cmpstr (nm_allocator_get_name (alloc), ==, "nodes");

  {
    gpointer p = nm_allocator_alloc (alloc, 96, 32, &error);

    g_assert_no_error (error);
    g_assert_cmpuint ((guintptr) p % 32, ==, 0);
    nm_allocator_free (alloc, p, 96, 32);
  }

  /* A bad group names group, key and value. */
  g_clear_object (&alloc);
  alloc = nm_allocator_new_from_key_file (key_file, "bad-alignment", &error);
  g_assert_null (alloc);
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "block-alignment"));
}

static void
test_pool_thread_safe_single_thread (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 64, 0, TRUE);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint limit = _nm_pool_allocator_get_cache_limit (pool);
  gpointer blocks[64];

  /* Pages of 16 blocks: a pool has at least four. */
  g_assert_cmpuint (limit, ==, 16);

  for (guint i = 0; i < 64; i++)
    {
      blocks[i] = nm_pool_allocator_alloc (pool, &error);
      g_assert_no_error (error);
      g_assert_false (g_hash_table_contains (seen, blocks[i]));
      g_hash_table_add (seen, blocks[i]);
    }
  g_assert_null (nm_pool_allocator_alloc (pool, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
  g_assert_nonnull (strstr (error->message, "64 in use"));

  for (guint i = 0; i < 10; i++)
    nm_pool_allocator_free (pool, blocks[i]);

  stats = stats_of (pool);
  /* The freed blocks stay on the thread's pages, which still hold blocks
   * in use. */
  g_assert_cmpuint (stats->cached_count, ==, 10);
  g_assert_cmpuint (stats->bytes_used, ==, 54 * 64);
  g_assert_cmpuint (stats->allocation_count, ==, 64);
  g_assert_cmpuint (stats->free_count, ==, 10);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*double free*");
  nm_pool_allocator_free (pool, blocks[3]);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*misaligned interior*");
  nm_pool_allocator_free (pool, (guint8 *) blocks[20] + 4);
  g_test_assert_expected_messages ();

  for (guint i = 10; i < 64; i++)
    nm_pool_allocator_free (pool, blocks[i]);
  g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);

  nm_pool_allocator_reset (pool);
  g_clear_pointer (&stats, nm_allocator_stats_free);
  stats = stats_of (pool);
  g_assert_cmpuint (stats->cached_count, ==, 0);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_hash_table_remove_all (seen);
  for (guint i = 0; i < 64; i++)
    {
      blocks[i] = nm_pool_allocator_alloc (pool, NULL);
      g_assert_nonnull (blocks[i]);
      g_assert_false (g_hash_table_contains (seen, blocks[i]));
      g_hash_table_add (seen, blocks[i]);
    }
  for (guint i = 0; i < 64; i++)
    nm_pool_allocator_free (pool, blocks[i]);
}

static void
test_pool_thread_safe_corruption (void)
{
  g_autoptr(NmPoolAllocator) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  gpointer blocks[16];
  gpointer p;
  guint limit;

  if (!g_test_subprocess ())
    {
      assert_misuse_subprocess ();
      return;
    }

  /* Pages of 4 blocks: the first four blocks are one page of this
   * thread's; three go back on its local list, newest first. */
  pool = new_pool (64, 16, 16, 0, TRUE);
  limit = _nm_pool_allocator_get_cache_limit (pool);
  g_assert_cmpuint (limit, ==, 4);
  for (guint i = 0; i < limit; i++)
    blocks[i] = nm_pool_allocator_alloc (pool, NULL);
  for (guint i = 0; i < 3; i++)
    nm_pool_allocator_free (pool, blocks[i]);

  /* The head of the local list is the last block freed: overwrite its
   * link, as a use after free would. */
  *(guint64 *) blocks[2] = 0;
  expected = g_strdup_printf ("*test-pool*found corrupted memory*block #%" G_GSIZE_FORMAT "*",
                              _nm_pool_block_index (&pool->fast, blocks[2]));

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, expected);
  p = nm_pool_allocator_alloc (pool, &error);
  g_test_assert_expected_messages ();
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_CORRUPTION);

  /* The block is quarantined; the rest of the page's list is found again. */
  g_clear_error (&error);
  p = nm_pool_allocator_alloc (pool, &error);
  g_assert_no_error (error);
  g_assert_true (p == blocks[0] || p == blocks[1]);
  g_clear_error (&error);
  p = nm_pool_allocator_alloc (pool, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
}

/* Every accepted layout, alignments below the 8-byte link included: the
 * links of free blocks at odd addresses are read and written without
 * undefined behaviour (UndefinedBehaviorSanitizer checks it; the cycles
 * run in a subprocess so that any report of it fails the test). */
static void
test_pool_layout_every_alignment (void)
{
  static const gsize alignments[] = { 1, 2, 4, 8, 16 };

  if (g_test_subprocess ())
    {
      for (gsize size = 1; size <= 130; size++)
        for (guint a = 0; a < G_N_ELEMENTS (alignments); a++)
          {
            g_autoptr(GError) error = NULL;
            g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new (size, alignments[a], 8, &error);
            guint8 *blocks[8];

            g_assert_no_error (error);
            for (guint round = 0; round < 2; round++)
              {
                for (guint i = 0; i < 8; i++)
                  {
                    blocks[i] = nm_pool_allocator_alloc (pool, &error);
                    g_assert_no_error (error);
                    g_assert_cmpuint ((guintptr) blocks[i] % alignments[a], ==, 0);
                    memset (blocks[i], (int) i, size);
                  }
                for (guint i = 0; i < 8; i += 2)
                  nm_pool_allocator_free (pool, blocks[i]);
                for (guint i = 0; i < 8; i += 2)
                  {
                    blocks[i] = nm_allocator_alloc (NM_ALLOCATOR (pool), size, alignments[a], &error);
                    g_assert_no_error (error);
                  }
                for (guint i = 0; i < 8; i++)
                  {
                    if (i % 2 == 1)
                      g_assert_cmpuint (blocks[i][size - 1], ==, i);
                    nm_allocator_free (NM_ALLOCATOR (pool), blocks[i], size, alignments[a]);
                  }
                for (guint i = 0; i < 4; i++)
                  g_assert_nonnull (nm_pool_allocator_alloc (pool, NULL));
                nm_pool_allocator_reset (pool);
              }
          }
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*runtime error*");
}

/* Plain construction: every construct property has a default, the pool
 * is named, and its messages name it. */
static void
test_pool_construct_defaults (void)
{
  g_autoptr(NmPoolAllocator) pool = g_object_new (NM_TYPE_POOL_ALLOCATOR, NULL);
  g_autoptr(NmPoolAllocator) small = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  gboolean thread_safe = TRUE;
  gpointer a, b;

  g_object_get (pool, "name", &name, "thread-safe", &thread_safe, "config", &config, NULL);
  g_assert_cmpstr (name, ==, "pool");
  g_assert_false (thread_safe);
  g_assert_nonnull (config);
  g_assert_cmpint (nm_memory_config_get_kind (config), ==, NM_ALLOCATOR_KIND_POOL);
  g_assert_cmpuint (nm_pool_allocator_get_block_size (pool), ==, 64);
  g_assert_cmpuint (nm_pool_allocator_get_block_count (pool), ==, 1024);
  g_assert_cmpuint (nm_pool_allocator_get_max_block_count (pool), ==, 1024);
  nm_test_assert_still_works (pool, 8, 8);
  a = nm_allocator_alloc (NM_ALLOCATOR (pool), 64, 16, &error);
  g_assert_no_error (error);
  nm_allocator_free (NM_ALLOCATOR (pool), a, 64, 16);

  small = g_object_new (NM_TYPE_POOL_ALLOCATOR, "block-size", (guint64) 48,
                        "block-count", (guint64) 1, "thread-safe", TRUE, NULL);
  g_assert_cmpuint (nm_pool_allocator_get_block_size (small), ==, 48);
  g_object_get (small, "thread-safe", &thread_safe, NULL);
  g_assert_true (thread_safe);
  a = nm_pool_allocator_alloc (small, &error);
  g_assert_no_error (error);
  b = nm_pool_allocator_alloc (small, &error);
  g_assert_null (b);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
  g_assert_nonnull (strstr (error->message, "Pool allocator “pool”"));
  g_assert_null (strstr (error->message, "(null)"));
  nm_pool_allocator_free (small, a);
}

/* Construct properties no pool can hold give an object that fails every
 * allocation with INVALID_LAYOUT, reports frees, and never crashes. */
static void
test_pool_construct_invalid (void)
{
  g_autoptr(NmMemoryConfig) bump_config = nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP);
  struct {
    const char *what;
    NmPoolAllocator *pool;
  } cases[] = {
    { "block-size", g_object_new (NM_TYPE_POOL_ALLOCATOR, "block-size", (guint64) 0, NULL) },
    { "block-alignment", g_object_new (NM_TYPE_POOL_ALLOCATOR, "block-alignment", (guint64) 3,
                                       "name", "odd", NULL) },
    { "block-count", g_object_new (NM_TYPE_POOL_ALLOCATOR, "block-count", (guint64) 0,
                                   "thread-safe", TRUE, NULL) },
    { "kind", g_object_new (NM_TYPE_POOL_ALLOCATOR, "config", bump_config, NULL) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NmPoolAllocator *pool = cases[i].pool;
      NmAllocator *alloc = NM_ALLOCATOR (pool);
      g_autoptr(NmAllocatorStats) stats = NULL;
      g_autoptr(GError) error = NULL;
      guint64 word = 0;

      g_test_message ("invalid %s", cases[i].what);
      g_assert_null (nm_pool_allocator_alloc (pool, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
      g_assert_nonnull (strstr (error->message, "construct properties are invalid"));
      g_assert_nonnull (strstr (error->message, cases[i].what));
      g_assert_null (strstr (error->message, "(null)"));
      g_clear_error (&error);

      g_assert_null (nm_allocator_alloc (alloc, 8, 8, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
      g_clear_error (&error);

      g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*foreign pointer*");
      nm_pool_allocator_free (pool, &word);
      g_test_assert_expected_messages ();

      g_assert_false (nm_allocator_owns (alloc, &word));
      nm_allocator_reset (alloc);
      g_assert_cmpuint (nm_allocator_trim (alloc), ==, 0);
      stats = nm_allocator_get_stats (alloc);
      g_assert_cmpuint (stats->failed_count, ==, 2);
      g_assert_cmpuint (stats->capacity, ==, 0);
      g_object_unref (pool);
    }
}

/* bytes-used on reset, capacity and block-count on growth and trim; never
 * per allocation. */
static void
test_pool_notify (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 4, 8, FALSE);
  g_autoptr(GString) log = g_string_new (NULL);
  gpointer blocks[8];

  nm_test_log_notify (pool, log);

  for (guint i = 0; i < 3; i++)
    blocks[i] = nm_pool_allocator_alloc (pool, NULL);
  nm_pool_allocator_free (pool, blocks[0]);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "");

  /* 2 blocks in use, then none; delivered on the main context, not from
   * inside the reset. */
  nm_pool_allocator_reset (pool);
  g_assert_cmpstr (log->str, ==, "");
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (log, "bytes-used"), ==, 1);
  nm_pool_allocator_reset (pool);
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (log, "bytes-used"), ==, 1);

  /* The fifth block needs a second slab. */
  for (guint i = 0; i < 5; i++)
    blocks[i] = nm_pool_allocator_alloc (pool, NULL);
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (log, "capacity"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "block-count"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "bytes-used"), ==, 1);

  nm_pool_allocator_free (pool, blocks[4]);
  g_assert_cmpuint (nm_pool_allocator_trim (pool), >, 0);
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (log, "capacity"), ==, 2);
  g_assert_cmpuint (nm_test_count_notify (log, "block-count"), ==, 2);
  g_assert_cmpuint (nm_pool_allocator_trim (pool), ==, 0);
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (log, "capacity"), ==, 2);

  nm_allocator_reset (NM_ALLOCATOR (pool));
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (log, "bytes-used"), ==, 2);
  g_assert_null (strstr (log->str, "allocation-count"));
}

/* Development preset: a poisoned redzone after every block, so a write one
 * byte past a block is reported by AddressSanitizer even when the next
 * block is handed out; the block size is unchanged. */
/* Address space the system refuses at construction: the constructor
 * functions return NULL with OUT_OF_MEMORY; a pool made with
 * g_object_new() fails its allocations with it, and nothing crashes. The
 * refusal comes from a limit on the address space, set in a subprocess. */
static void
test_pool_construct_no_memory (void)
{
#ifdef NM_TEST_HAVE_ASAN
  g_test_skip ("AddressSanitizer needs more address space than the limit leaves");
#else
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NmPoolAllocator) pool = NULL;
      g_autoptr(NmAllocatorStats) stats = NULL;
      g_autofree char *statm = NULL;
      struct rlimit limit;
      guint64 pages;

      g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
      pages = g_ascii_strtoull (statm, NULL, 10);
      limit.rlim_cur = limit.rlim_max = pages * 4096 + 256 * 1024 * 1024;
      g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);

      /* A gigabyte of address space for a pool that may grow that far. */
      g_assert_null (nm_pool_allocator_new_full ("big", 4096, 0, 16, 256 * 1024, FALSE, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
      g_assert_nonnull (strstr (error->message, "Pool allocator “big”"));
      g_assert_nonnull (strstr (error->message, "address space"));
      g_clear_error (&error);

      pool = g_object_new (NM_TYPE_POOL_ALLOCATOR, "name", "big", "block-size", (guint64) 4096,
                           "block-count", (guint64) 16, "max-block-count", (guint64) 256 * 1024,
                           NULL);
      g_assert_null (nm_pool_allocator_alloc (pool, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
      g_assert_nonnull (strstr (error->message, "Pool allocator “big” cannot allocate a block"));
      g_assert_nonnull (strstr (error->message, "no memory"));
      g_clear_error (&error);
      g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (pool), 64, 8, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
      stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
      g_assert_cmpuint (stats->failed_count, ==, 2);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
#endif
}

/* Slabs are charged to the pool's memory budget: a first slab the budget
 * refuses fails construction with BUDGET_EXCEEDED, growth it refuses
 * fails the allocation that needed it, and trim gives the charge back. */
static void
test_pool_budget (void)
{
  g_autoptr(NmMemoryBudget) small = nm_memory_budget_new ("small", 4096, NULL);
  g_autoptr(NmMemoryBudget) two = nm_memory_budget_new ("two-slabs", 3 * 4096, NULL);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_POOL);
  nm_memory_config_builder_set_name (builder, "charged");
  nm_memory_config_builder_set_block_size (builder, 128);
  nm_memory_config_builder_set_block_count (builder, 64);
  nm_memory_config_builder_set_budget (builder, small);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_null (nm_allocator_new_from_config (config, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "“small”"));
  g_assert_cmpuint (nm_memory_budget_get_used (small), ==, 0);
  g_clear_error (&error);
  g_clear_object (&config);

  /* 32 blocks of 128 bytes a slab, a page each: the budget holds two
   * slabs and the page of their state bytes. */
  nm_memory_config_builder_set_block_count (builder, 32);
  nm_memory_config_builder_set_max_block_count (builder, 128);
  nm_memory_config_builder_set_budget (builder, two);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nm_memory_budget_get_used (two), ==, 2 * 4096);

  for (guint i = 0; i < 64; i++)
    {
      gpointer p = nm_allocator_alloc (alloc, 128, 8, &error);

      g_assert_no_error (error);
      g_assert_nonnull (p);
    }
  g_assert_null (nm_allocator_alloc (alloc, 128, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "Pool allocator “charged”"));
  g_assert_nonnull (strstr (error->message, "“two-slabs”"));
  g_clear_error (&error);

  nm_allocator_reset (alloc);
  g_assert_cmpuint (nm_allocator_trim (alloc), ==, 32 * 128);
  g_assert_cmpuint (nm_memory_budget_get_used (two), ==, 2 * 4096);
  nm_test_assert_still_works (alloc, 128, 8);
}

static void
test_pool_development_redzone (void)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_new_development (NM_ALLOCATOR_KIND_POOL);
  g_autoptr(NmAllocator) alloc = nm_allocator_new_from_config (config, NULL);
  NmPoolAllocator *pool = NM_POOL_ALLOCATOR (alloc);
  gsize size = nm_pool_allocator_get_block_size (pool);
  guint8 *a, *b;

  g_assert_cmpuint (size, ==, nm_memory_config_get_block_size (config));
  a = nm_pool_allocator_alloc (pool, NULL);
  b = nm_pool_allocator_alloc (pool, NULL);
  g_assert_cmpuint ((guintptr) b, >=, (guintptr) a + size + 16);
  g_assert_false (nm_allocator_owns (alloc, a + size));

  if (g_test_subprocess ())
    {
      /* The overflow itself. Without AddressSanitizer the child goes on:
       * it empties the pool, so that no leak report fails it. */
      a[size] = 1;
      nm_allocator_reset (alloc);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
#ifdef NM_TEST_HAVE_ASAN
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*AddressSanitizer*use-after-poison*");
#else
  g_test_trap_assert_passed ();
#endif
  nm_pool_allocator_free (pool, b);
  nm_pool_allocator_free (pool, a);
}

/* Blocks in use and the peak are derived from the allocation and free
 * counters and what resets released: exact in every epoch, through the
 * direct calls and the interface alike. Thread-safe pools sample the peak
 * (documented as a lower bound), so there it is only bounded. */
static void
test_pool_counters_across_resets (void)
{
  for (guint mode = 0; mode < 2; mode++)
    {
      g_autoptr(NmPoolAllocator) pool = new_pool (32, 8, 16, 0, mode == 1);
      NmAllocator *alloc = NM_ALLOCATOR (pool);
      gpointer blocks[16];
      g_autoptr(NmAllocatorStats) stats = NULL;

      /* Epoch 1: 6 out at most, 2 left out at the reset. */
      for (guint i = 0; i < 6; i++)
        blocks[i] = nm_allocator_alloc (alloc, 32, 8, NULL);
      for (guint i = 0; i < 4; i++)
        nm_allocator_free (alloc, blocks[i], 32, 8);
      g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 2);
      nm_pool_allocator_reset (pool);
      g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 0);

      /* Epoch 2: fewer than the peak; the peak stays. */
      for (guint i = 0; i < 3; i++)
        blocks[i] = nm_pool_allocator_alloc (pool, NULL);
      for (guint i = 0; i < 3; i++)
        nm_pool_allocator_free (pool, blocks[i]);
      stats = stats_of (pool);
      g_assert_cmpuint (stats->bytes_used, ==, 0);
      if (mode == 0)
        g_assert_cmpuint (stats->bytes_peak, ==, 6 * 32);
      else
        g_assert_cmpuint (stats->bytes_peak, <=, 6 * 32);
      g_assert_cmpuint (stats->allocation_count, ==, 9);
      g_assert_cmpuint (stats->free_count, ==, 7);
      g_clear_pointer (&stats, nm_allocator_stats_free);

      /* Epoch 2 goes above it: 9 out, read before any free. */
      for (guint i = 0; i < 9; i++)
        blocks[i] = nm_allocator_alloc (alloc, 32, 1, NULL);
      g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, 9);
      stats = stats_of (pool);
      g_assert_cmpuint (stats->bytes_peak, ==, 9 * 32);
      g_clear_pointer (&stats, nm_allocator_stats_free);
      for (guint i = 0; i < 9; i++)
        nm_pool_allocator_free (pool, blocks[i]);

      /* Reset with nothing out: nothing changes but the epoch. */
      nm_pool_allocator_reset (pool);
      stats = stats_of (pool);
      g_assert_cmpuint (stats->bytes_used, ==, 0);
      if (mode == 0)
        g_assert_cmpuint (stats->bytes_peak, ==, 9 * 32);
      g_assert_cmpuint (stats->allocation_count, ==, 18);
      g_assert_cmpuint (stats->free_count, ==, 16);
    }
}

/* The interface's layout test is one expression: every alignment that is
 * not a power of two at most the blocks' alignment still fails with
 * INVALID_LAYOUT, and NULL through nm_allocator_free() is ignored. */
static void
test_pool_iface_layout_edges (void)
{
  for (guint mode = 0; mode < 2; mode++)
    {
      g_autoptr(NmPoolAllocator) pool = new_pool (64, 16, 8, 0, mode == 1);
      NmAllocator *alloc = NM_ALLOCATOR (pool);
      g_autoptr(NmAllocatorStats) stats = NULL;
      guint failed = 0;

      for (gsize a = 0; a <= 64; a++)
        {
          g_autoptr(GError) error = NULL;
          gboolean fits = a != 0 && a <= 16 && (a & (a - 1)) == 0;
          gpointer p = nm_allocator_alloc (alloc, 64, a, &error);

          if (fits)
            {
              g_assert_no_error (error);
              g_assert_nonnull (p);
              g_assert_cmpuint ((guintptr) p % a, ==, 0);
              nm_allocator_free (alloc, p, 64, a);
            }
          else
            {
              g_assert_null (p);
              g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
              failed++;
            }
        }

      nm_allocator_free (alloc, NULL, 64, 16);
      stats = stats_of (pool);
      g_assert_cmpuint (stats->failed_count, ==, failed);
      g_assert_cmpuint (stats->invalid_free_count, ==, 0);
      g_assert_cmpuint (stats->bytes_used, ==, 0);
      g_assert_cmpuint (stats->allocation_count, ==, 65 - failed);
    }
}

/* A thread-safe pool serves exactly its max-block-count from one thread,
 * whatever the sizes of its first slab and of its growth, even when a slab
 * grows into a page the thread already owns (pages need not line up with
 * slabs); only then is it exhausted. */
static void
test_pool_thread_safe_grow_to_max (void)
{
  for (gsize count = 1; count <= 40; count++)
    for (gsize extra = 0; extra <= 70; extra += 7)
      {
        g_autoptr(NmPoolAllocator) pool = new_pool (106, 32, count, count + extra, TRUE);
        g_autoptr(GError) error = NULL;
        gsize served = 0;

        /* As a reused pool: reset and trimmed first. */
        nm_pool_allocator_reset (pool);
        nm_pool_allocator_trim (pool);
        while (nm_pool_allocator_alloc (pool, &error) != NULL)
          served++;
        g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
        g_assert_cmpuint (served, ==, count + extra);
        g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, count + extra);

        /* Exhaustion is final only while nothing is freed. */
        nm_pool_allocator_reset (pool);
        g_assert_nonnull (nm_pool_allocator_alloc (pool, NULL));
      }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/pool/basic", test_pool_basic);
  g_test_add_func ("/nebula/pool/rounding", test_pool_rounding);
  g_test_add_func ("/nebula/pool/new/invalid", test_pool_new_invalid);
  g_test_add_func ("/nebula/pool/alloc/invalid-layout", test_pool_invalid_layout);
  g_test_add_func ("/nebula/pool/alloc/exhausted", test_pool_exhausted);
  g_test_add_func ("/nebula/pool/grow-and-trim", test_pool_grow_and_trim);
  g_test_add_func ("/nebula/pool/free/double", test_pool_double_free);
  g_test_add_func ("/nebula/pool/free/foreign", test_pool_foreign_pointer);
  g_test_add_func ("/nebula/pool/free/interior", test_pool_interior_pointer);
  g_test_add_func ("/nebula/pool/corruption/link", test_pool_corrupted_link);
  g_test_add_func ("/nebula/pool/corruption/fill", test_pool_corrupted_fill);
  g_test_add_func ("/nebula/pool/reset", test_pool_reset);
  g_test_add_func ("/nebula/pool/development/other-thread", test_pool_development_other_thread);
  g_test_add_func ("/nebula/pool/thread-safe/peak", test_pool_thread_safe_peak);
  g_test_add_func ("/nebula/pool/stats", test_pool_stats_and_properties);
  g_test_add_func ("/nebula/pool/config/key-file", test_pool_key_file);
  g_test_add_func ("/nebula/pool/thread-safe/single-thread", test_pool_thread_safe_single_thread);
  g_test_add_func ("/nebula/pool/thread-safe/grow-to-max", test_pool_thread_safe_grow_to_max);
  g_test_add_func ("/nebula/pool/thread-safe/corruption", test_pool_thread_safe_corruption);
  g_test_add_func ("/nebula/pool/thread-safe/bad-frees", test_pool_thread_safe_bad_frees);
  g_test_add_func ("/nebula/pool/layout/every-alignment", test_pool_layout_every_alignment);
  g_test_add_func ("/nebula/pool/construct/defaults", test_pool_construct_defaults);
  g_test_add_func ("/nebula/pool/construct/invalid", test_pool_construct_invalid);
  g_test_add_func ("/nebula/pool/construct/no-memory", test_pool_construct_no_memory);
  g_test_add_func ("/nebula/pool/budget", test_pool_budget);
  g_test_add_func ("/nebula/pool/notify", test_pool_notify);
  g_test_add_func ("/nebula/pool/development/redzone", test_pool_development_redzone);
  g_test_add_func ("/nebula/pool/stats/counters-across-resets", test_pool_counters_across_resets);
  g_test_add_func ("/nebula/pool/alloc/interface-layout-edges", test_pool_iface_layout_edges);

  return g_test_run ();
}
