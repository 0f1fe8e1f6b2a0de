/* test-bump.c: NmBumpAllocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-allocator-private.h"
#include "nm-sanitizer-private.h"

static NmBumpAllocator *
new_bump (const char *name,
          gsize       capacity,
          gsize       max_capacity)
{
  g_autoptr(GError) error = NULL;
  NmBumpAllocator *arena = nm_bump_allocator_new_full (name, capacity, max_capacity, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (arena);

  return arena;
}

static guint64
used (NmBumpAllocator *arena)
{
  guint64 value;

  g_object_get (arena, "bytes-used", &value, NULL);
  return value;
}

static void
test_bump_sequential (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("seq", 1024, 0);
  guint8 *a, *b, *c;

  a = nm_bump_allocator_alloc (arena, 10, 1, NULL);
  b = nm_bump_allocator_alloc (arena, 10, 1, NULL);
  c = nm_bump_allocator_alloc (arena, 8, 8, NULL);

  g_assert_true (b == a + 10);
  g_assert_true (c >= b + 10 && (guintptr) c % 8 == 0);
  g_assert_cmpuint (used (arena), ==, (guint64) (c + 8 - a));

  /* The exported function and the inline path share the state. */
  g_assert_true ((guint8 *) (nm_bump_allocator_alloc) (arena, 1, 1, NULL) == c + 8);
}

static void
test_bump_fixed_capacity (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("fixed", 256, 0);
  g_autoptr(GError) error = NULL;
  gpointer p;

  p = nm_bump_allocator_alloc (arena, 256, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);

  p = nm_bump_allocator_alloc (arena, 1, 1, &error);
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Bump allocator “fixed” cannot allocate 1 bytes (alignment 1)"));
  g_assert_nonnull (strstr (error->message, "256 bytes of 256 bytes used (100.0 %)"));
  g_assert_nonnull (strstr (error->message, "Raise capacity"));
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 1);

  nm_bump_allocator_reset (arena);
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 256, 1, NULL));
}

static void
test_bump_growth (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("grow", 1024, 8192);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *blocks = g_ptr_array_new ();
  guint8 *p;

  g_assert_cmpuint (nm_bump_allocator_get_max_capacity (arena), ==, 8192);

  for (guint i = 0; i < 5; i++)
    {
      p = nm_bump_allocator_alloc (arena, 512, 8, &error);
      g_assert_no_error (error);
      memset (p, (int) i, 512);
      g_ptr_array_add (blocks, p);
    }

  /* 1024 + 2048 hold the first five blocks: a second chunk was added. */
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 2);
  for (guint i = 0; i < blocks->len; i++)
    {
      g_assert_true (nm_allocator_owns (NM_ALLOCATOR (arena), blocks->pdata[i]));
      g_assert_cmpuint (((guint8 *) blocks->pdata[i])[511], ==, i);
    }

  /* A request larger than twice the last chunk gets a chunk of its own. */
  p = nm_bump_allocator_alloc (arena, 3000, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 3);

  /* Beyond max-capacity: OUT_OF_MEMORY naming max-capacity. */
  p = nm_bump_allocator_alloc (arena, 4096, 8, &error);
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "counting max-capacity"));
  g_assert_nonnull (strstr (error->message, "Raise max-capacity"));
  g_clear_error (&error);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (arena));
  g_assert_cmpuint (stats->capacity, <=, 8192);
  g_assert_cmpuint (stats->bytes_used, >=, 5 * 512 + 3000);

  /* Reset keeps the first chunk only. */
  nm_bump_allocator_reset (arena);
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 1);
  g_assert_cmpuint (used (arena), ==, 0);
  for (guint i = 0; i < blocks->len; i++)
    g_assert_false (nm_allocator_owns (NM_ALLOCATOR (arena), blocks->pdata[i]));

  g_ptr_array_unref (blocks);
}

static void
test_bump_free_top (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("top", 1024, 0);
  NmAllocator *alloc = NM_ALLOCATOR (arena);
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint8 *a, *b, *c;

  a = nm_bump_allocator_alloc (arena, 100, 1, NULL);
  b = nm_bump_allocator_alloc (arena, 100, 1, NULL);

  /* Not the most recent one: counted, nothing given back. */
  nm_allocator_free (alloc, a, 100, 1);
  g_assert_cmpuint (used (arena), ==, 200);

  /* The most recent one: its bytes come back and are reused. */
  nm_allocator_free (alloc, b, 100, 1);
  g_assert_cmpuint (used (arena), ==, 100);
  g_assert_false (nm_allocator_owns (alloc, b));
  c = nm_bump_allocator_alloc (arena, 50, 1, NULL);
  g_assert_true (c == b);

  /* Wrong size for the most recent allocation. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*“top”*wrong size*30 bytes given, 50 allocated*");
  nm_allocator_free (alloc, c, 30, 1);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (used (arena), ==, 150);

  /* Freed twice: the second time the memory is not held any more. */
  nm_allocator_free (alloc, c, 50, 1);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*“top”*already released*");
  nm_allocator_free (alloc, c, 50, 1);
  g_test_assert_expected_messages ();

  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->free_count, ==, 3);
  g_assert_cmpuint (stats->invalid_free_count, ==, 2);
  g_assert_cmpuint (stats->bytes_used, ==, 100);
  g_assert_cmpuint (stats->bytes_peak, ==, 200);
}

static void
test_bump_owns (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("owns", 1024, 0);
  NmAllocator *alloc = NM_ALLOCATOR (arena);
  guint8 *p = nm_bump_allocator_alloc (arena, 16, 8, NULL);

  g_assert_true (nm_allocator_owns (alloc, p));
  g_assert_true (nm_allocator_owns (alloc, p + 15));
  /* Inside the chunk but never handed out. */
  g_assert_false (nm_allocator_owns (alloc, p + 16));
  g_assert_false (nm_allocator_owns (alloc, p + 500));
  g_assert_false (nm_allocator_owns (alloc, &p));
}

static void
test_bump_checkpoint_basic (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("cp", 4096, 0);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint cp;
  guint8 *before, *after, *again;

  before = nm_bump_allocator_alloc (arena, 64, 8, NULL);
  nm_bump_allocator_checkpoint (arena, &cp);
  after = nm_bump_allocator_alloc (arena, 1000, 8, NULL);
  g_assert_cmpuint (used (arena), ==, 1064);

  g_assert_true (nm_bump_allocator_restore (arena, &cp, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used (arena), ==, 64);
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (arena), before));
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (arena), after));

  /* The same checkpoint can be restored again, e.g. once per loop round. */
  again = nm_bump_allocator_alloc (arena, 1000, 8, NULL);
  g_assert_true (again == after);
  g_assert_true (nm_bump_allocator_restore (arena, &cp, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used (arena), ==, 64);
}

static void
test_bump_checkpoint_nested (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("nested", 4096, 0);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint outer, inner, later;

  nm_bump_allocator_alloc (arena, 10, 1, NULL);
  nm_bump_allocator_checkpoint (arena, &outer);
  nm_bump_allocator_alloc (arena, 20, 1, NULL);
  nm_bump_allocator_checkpoint (arena, &inner);
  nm_bump_allocator_alloc (arena, 30, 1, NULL);

  g_assert_true (nm_bump_allocator_restore (arena, &inner, &error));
  g_assert_cmpuint (used (arena), ==, 30);
  g_assert_true (nm_bump_allocator_restore (arena, &outer, &error));
  g_assert_cmpuint (used (arena), ==, 10);
  g_assert_no_error (error);

  /* inner was released by restoring outer, even once the cursor is past it again. */
  nm_bump_allocator_alloc (arena, 500, 1, NULL);
  g_assert_false (nm_bump_allocator_restore (arena, &inner, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "“nested” cannot restore checkpoint #2"));
  g_assert_nonnull (strstr (error->message, "reverse order"));
  g_clear_error (&error);
  g_assert_cmpuint (used (arena), ==, 510);

  /* New checkpoints after the restore are fine, and outer still is. */
  nm_bump_allocator_checkpoint (arena, &later);
  nm_bump_allocator_alloc (arena, 5, 1, NULL);
  g_assert_true (nm_bump_allocator_restore (arena, &later, &error));
  g_assert_cmpuint (used (arena), ==, 510);
  g_assert_true (nm_bump_allocator_restore (arena, &outer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used (arena), ==, 10);
}

static void
test_bump_checkpoint_across_chunks (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("chunks", 256, 1 << 20);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint cp;
  guint8 *keep;

  keep = nm_bump_allocator_alloc (arena, 200, 8, NULL);
  memset (keep, 7, 200);
  nm_bump_allocator_checkpoint (arena, &cp);

  for (guint i = 0; i < 50; i++)
    g_assert_nonnull (nm_bump_allocator_alloc (arena, 300, 8, NULL));
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), >, 2);

  g_assert_true (nm_bump_allocator_restore (arena, &cp, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 1);
  g_assert_cmpuint (used (arena), ==, 200);
  g_assert_cmpuint (keep[199], ==, 7);

  /* A checkpoint inside a released chunk is refused. */
  {
    NmBumpCheckpoint in_chunk, outer;

    nm_bump_allocator_checkpoint (arena, &outer);
    nm_bump_allocator_alloc (arena, 300, 8, NULL);
    nm_bump_allocator_checkpoint (arena, &in_chunk);
    g_assert_true (nm_bump_allocator_restore (arena, &outer, &error));
    g_assert_false (nm_bump_allocator_restore (arena, &in_chunk, &error));
    g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  }
}

static void
test_bump_checkpoint_misuse (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("misuse", 1024, 0);
  g_autoptr(NmBumpAllocator) other = new_bump ("other", 1024, 0);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint cp, theirs;

  nm_bump_allocator_checkpoint (other, &theirs);
  g_assert_false (nm_bump_allocator_restore (arena, &theirs, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER);
  g_assert_nonnull (strstr (error->message, "checkpoint of another allocator"));
  g_clear_error (&error);

  nm_bump_allocator_checkpoint (arena, &cp);
  nm_bump_allocator_alloc (arena, 100, 1, NULL);
  nm_bump_allocator_reset (arena);
  nm_bump_allocator_alloc (arena, 300, 1, NULL);
  g_assert_false (nm_bump_allocator_restore (arena, &cp, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "was reset after it was taken"));
  g_assert_cmpuint (used (arena), ==, 300);
  g_clear_error (&error);

  /* Freeing an allocation made before a checkpoint does not move the cursor
   * below it. */
  {
    guint8 *before = nm_bump_allocator_alloc (arena, 8, 1, NULL);

    nm_bump_allocator_checkpoint (arena, &cp);
    nm_allocator_free (NM_ALLOCATOR (arena), before, 8, 1);
    g_assert_cmpuint (used (arena), ==, 308);
    g_assert_true (nm_bump_allocator_restore (arena, &cp, &error));
    g_assert_no_error (error);
  }
}

/* Nested checkpoints restored in a loop, as nested scopes in a long-lived
 * arena do: far more restores than the allocator keeps marks for. */
static void
test_bump_checkpoint_many_restores (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("many", 4096, 0);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint outer, first_inner = { 0 }, last_inner = { 0 };

  nm_bump_allocator_alloc (arena, 8, 1, NULL);
  nm_bump_allocator_checkpoint (arena, &outer);

  for (guint i = 0; i < 1000; i++)
    {
      NmBumpCheckpoint a, b;

      nm_bump_allocator_checkpoint (arena, &a);
      nm_bump_allocator_alloc (arena, 16, 8, NULL);
      nm_bump_allocator_checkpoint (arena, &b);
      nm_bump_allocator_alloc (arena, 16, 8, NULL);
      g_assert_true (nm_bump_allocator_restore (arena, &b, &error));
      g_assert_true (nm_bump_allocator_restore (arena, &a, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (used (arena), ==, 8);

      if (i == 0)
        first_inner = b;
      last_inner = b;
    }

  /* Released checkpoints stay refused, however long ago... */
  nm_bump_allocator_alloc (arena, 64, 8, NULL);
  g_assert_false (nm_bump_allocator_restore (arena, &last_inner, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_clear_error (&error);
  g_assert_false (nm_bump_allocator_restore (arena, &first_inner, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_clear_error (&error);

  /* ... and the checkpoint below them all still works. */
  g_assert_true (nm_bump_allocator_restore (arena, &outer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used (arena), ==, 8);
}

static void
fill_in_scope (NmBumpAllocator *arena)
{
  g_auto(NmBumpScope) scope = nm_bump_allocator_begin_scope (arena);
  char *scratch = nm_bump_allocator_alloc (arena, 512, 1, NULL);

  memset (scratch, 'x', 512);
  g_assert_cmpuint (used (arena), ==, 16 + 512);
}

static void
test_bump_scope (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("scope", 4096, 0);

  nm_bump_allocator_alloc (arena, 16, 1, NULL);
  fill_in_scope (arena);
  g_assert_cmpuint (used (arena), ==, 16);

  /* Nested scopes. */
  {
    g_auto(NmBumpScope) outer = nm_bump_allocator_begin_scope (arena);

    nm_bump_allocator_alloc (arena, 100, 1, NULL);
    {
      g_auto(NmBumpScope) inner = nm_bump_allocator_begin_scope (arena);

      nm_bump_allocator_alloc (arena, 100, 1, NULL);
      g_assert_cmpuint (used (arena), ==, 216);
    }
    g_assert_cmpuint (used (arena), ==, 116);
  }
  g_assert_cmpuint (used (arena), ==, 16);

  /* Clearing twice is harmless. */
  {
    NmBumpScope scope = nm_bump_allocator_begin_scope (arena);

    nm_bump_allocator_alloc (arena, 100, 1, NULL);
    nm_bump_scope_clear (&scope);
    nm_bump_scope_clear (&scope);
    g_assert_cmpuint (used (arena), ==, 16);
  }
}

static void
test_bump_scope_invalidated (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("scope-reset", 4096, 0);
  NmBumpScope scope = nm_bump_allocator_begin_scope (arena);

  nm_bump_allocator_alloc (arena, 100, 1, NULL);
  nm_bump_allocator_reset (arena);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*Scope ended without restoring*reset*");
  nm_bump_scope_clear (&scope);
  g_test_assert_expected_messages ();
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 100, 1, NULL));
}

static void
test_bump_development_poison (void)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_new_development (NM_ALLOCATOR_KIND_BUMP);
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *p;

  g_assert_true (nm_memory_config_get_poison (config));
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  p = nm_allocator_alloc (alloc, 32, 8, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 32; i++)
    g_assert_cmpuint (p[i], ==, NM_POISON_FRESH);

  if (!nm_sanitizer_active ())
    {
      nm_allocator_free (alloc, p, 32, 8);
      /* Released memory carries the freed pattern (readable only without
       * sanitizers, which report the read instead). */
      for (guint i = 0; i < 32; i++)
        g_assert_cmpuint (p[i], ==, NM_POISON_FREED);
    }

  /* Development preset: leak report at finalize. */
  nm_allocator_alloc (alloc, 100, 8, NULL);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_MESSAGE, "*“development” finalized with*still in use*");
  g_clear_object (&alloc);
  g_test_assert_expected_messages ();
}

static gpointer
alloc_elsewhere (gpointer data)
{
  return nm_allocator_alloc (data, 16, 8, NULL);
}

static void
test_bump_development_other_thread (void)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_new_development (NM_ALLOCATOR_KIND_BUMP);
  g_autoptr(NmAllocator) alloc = nm_allocator_new_from_config (config, NULL);
  GThread *thread;
  gpointer p;

  g_assert_nonnull (nm_allocator_alloc (alloc, 16, 8, NULL));

  /* Reported once per foreign thread; the call still goes ahead. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*“development” is used from thread * but belongs to thread *"
                         "Give each thread its own arena, or set thread-safe=true.");
  thread = g_thread_new ("intruder", alloc_elsewhere, alloc);
  p = g_thread_join (thread);
  g_test_assert_expected_messages ();
  g_assert_true (nm_allocator_owns (alloc, p));

  /* The owner is not reported. */
  g_assert_nonnull (nm_allocator_alloc (alloc, 16, 8, NULL));
  nm_allocator_reset (alloc);
}

static void
test_bump_use_after_reset_is_reported (void)
{
  if (!nm_sanitizer_active ())
    {
      g_test_skip ("needs AddressSanitizer or Valgrind");
      return;
    }

  if (g_test_subprocess ())
    {
      g_autoptr(NmBumpAllocator) arena = new_bump ("uar", 4096, 0);
      volatile guint8 *p = nm_bump_allocator_alloc (arena, 64, 8, NULL);

      nm_bump_allocator_reset (arena);
      p[3] = 1;   /* reported by the tool */
      return;
    }

#ifdef NM_HAVE_ASAN
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*use-after-poison*");
#elif HAVE_VALGRIND
  {
    /* Under Valgrind, ask memcheck about addressability without making an
     * access it would report: GET_VBITS answers 3 for unaddressable bytes. */
    g_autoptr(NmBumpAllocator) arena = new_bump ("uar", 4096, 0);
    guint8 *p = nm_bump_allocator_alloc (arena, 64, 8, NULL);
    guint8 vbits[64];

    memset (p, 0, 64);
    g_assert_cmpint (VALGRIND_GET_VBITS (p, vbits, 64), ==, 1);
    /* Never handed out. */
    g_assert_cmpint (VALGRIND_GET_VBITS (p + 64, vbits, 64), ==, 3);

    nm_bump_allocator_reset (arena);
    g_assert_cmpint (VALGRIND_GET_VBITS (p, vbits, 64), ==, 3);

    /* Handed out again: addressable, contents undefined. */
    g_assert_true (nm_bump_allocator_alloc (arena, 64, 8, NULL) == p);
    g_assert_cmpint (VALGRIND_GET_VBITS (p, vbits, 64), ==, 1);
  }
#endif
}

static void
test_bump_bad_capacity (void)
{
  g_autoptr(GError) error = NULL;
  NmBumpAllocator *arena;

  arena = nm_bump_allocator_new (0, &error);
  g_assert_null (arena);
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "capacity"));
  g_clear_error (&error);

  arena = nm_bump_allocator_new_full ("x", 4096, 1024, FALSE, &error);
  g_assert_null (arena);
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "below capacity"));
}

static void
test_bump_stats_off (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 1024);
  nm_memory_config_builder_set_track_stats (builder, FALSE);
  config = nm_memory_config_builder_build (builder, NULL);
  alloc = nm_allocator_new_from_config (config, NULL);

  nm_allocator_alloc (alloc, 100, 8, NULL);
  stats = nm_allocator_get_stats (alloc);
  /* Byte usage is always known; counters are not kept. */
  g_assert_cmpuint (stats->bytes_used, ==, 100);
  g_assert_cmpuint (stats->allocation_count, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/bump/alloc/sequential", test_bump_sequential);
  g_test_add_func ("/nebula/bump/alloc/fixed-capacity", test_bump_fixed_capacity);
  g_test_add_func ("/nebula/bump/alloc/growth", test_bump_growth);
  g_test_add_func ("/nebula/bump/free/top", test_bump_free_top);
  g_test_add_func ("/nebula/bump/owns", test_bump_owns);
  g_test_add_func ("/nebula/bump/checkpoint/basic", test_bump_checkpoint_basic);
  g_test_add_func ("/nebula/bump/checkpoint/nested", test_bump_checkpoint_nested);
  g_test_add_func ("/nebula/bump/checkpoint/across-chunks", test_bump_checkpoint_across_chunks);
  g_test_add_func ("/nebula/bump/checkpoint/misuse", test_bump_checkpoint_misuse);
  g_test_add_func ("/nebula/bump/checkpoint/many-restores", test_bump_checkpoint_many_restores);
  g_test_add_func ("/nebula/bump/scope/restore", test_bump_scope);
  g_test_add_func ("/nebula/bump/scope/invalidated", test_bump_scope_invalidated);
  g_test_add_func ("/nebula/bump/development/poison", test_bump_development_poison);
  g_test_add_func ("/nebula/bump/development/other-thread", test_bump_development_other_thread);
  g_test_add_func ("/nebula/bump/sanitizer/use-after-reset", test_bump_use_after_reset_is_reported);
  g_test_add_func ("/nebula/bump/config/bad-capacity", test_bump_bad_capacity);
  g_test_add_func ("/nebula/bump/stats/off", test_bump_stats_off);

  return g_test_run ();
}
