/* test-bump.c: NmBumpAllocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-allocator-private.h"
#include "nm-sanitizer-private.h"
#include "nm-test-util.h"

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

/* The fresh fill of a development allocator. Under Valgrind the bytes are
 * undefined on purpose (a read before a write is reported), so the check
 * first declares them read. */
static void
assert_fresh_fill (const guint8 *p,
                   gsize         size)
{
  nm_sanitizer_make_readable (p, size);
  for (gsize i = 0; i < size; i++)
    g_assert_cmpuint (p[i], ==, NM_POISON_FRESH);
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
  g_assert_nonnull (strstr (error->message, "Bump allocator “fixed” cannot allocate 1 byte (alignment 1)"));
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
  assert_fresh_fill (p, 32);

  nm_allocator_free (alloc, p, 32, 8);
  if (!nm_sanitizer_active ())
    {
      /* Released memory carries the freed pattern (readable only without
       * sanitizers, which report the read instead: see
       * /nebula/bump/development/use-after-free). */
      for (guint i = 0; i < 32; i++)
        g_assert_cmpuint (p[i], ==, NM_POISON_FREED);
    }

  /* Development preset: leak report at finalize. */
  nm_allocator_alloc (alloc, 100, 8, NULL);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING, "*“development” is disposed with 1 live allocation (*)*reset*");
  g_clear_object (&alloc);
  g_test_assert_expected_messages ();
}

/* A reset walks the chunks newest first and keeps the largest as a spare.
 * Each released chunk's used part ends at its own top, not at the cursor
 * of the chunk that was current: here the middle chunk, larger than the
 * newest one (whose size max-capacity bounded), becomes the spare, and the
 * freed pattern must cover what was handed out of it, and nothing else. */
static void
test_bump_reset_spare_range (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *big, *last;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_max_capacity (builder, 4096 + 65536 + 8192);
  nm_memory_config_builder_set_poison (builder, TRUE);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  for (guint round = 0; round < 3; round++)
    {
      /* Chunks of 4 KiB, 64 KiB and at most 8 KiB. */
      g_assert_nonnull (nm_allocator_alloc (alloc, 1000, 8, &error));
      big = nm_allocator_alloc (alloc, 65536, 8, &error);
      g_assert_no_error (error);
      memset (big, 0x11, 65536);
      last = nm_allocator_alloc (alloc, 4000, 8, &error);
      g_assert_no_error (error);
      memset (last, 0x22, 4000);
      g_assert_cmpuint (nm_bump_allocator_get_chunk_count (NM_BUMP_ALLOCATOR (alloc)), ==, 3);

      nm_allocator_reset (alloc);

      stats = nm_allocator_get_stats (alloc);
      g_assert_cmpuint (stats->bytes_used, ==, 0);
      g_assert_cmpuint (stats->capacity, ==, 4096);
      g_clear_pointer (&stats, nm_allocator_stats_free);
      if (!nm_sanitizer_active ())
        {
          /* The spare is the 64 KiB chunk: its used part carries the freed
           * pattern (readable only without sanitizers). */
          g_assert_cmpuint (big[0], ==, NM_POISON_FREED);
          g_assert_cmpuint (big[65535], ==, NM_POISON_FREED);
        }
    }

  g_assert_nonnull (nm_allocator_alloc (alloc, 32, 8, &error));
  g_assert_no_error (error);
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
      /* Without the tools, nothing reports the access; the reset memory is
       * simply handed out again. */
      g_autoptr(NmBumpAllocator) arena = new_bump ("uar", 4096, 0);
      guint8 *p = nm_bump_allocator_alloc (arena, 64, 8, NULL);

      nm_bump_allocator_reset (arena);
      g_assert_true (nm_bump_allocator_alloc (arena, 64, 8, NULL) == p);
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

/* Construction */

static NmBumpAllocator *
new_development (const char *name)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_development (NM_ALLOCATOR_KIND_BUMP);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  builder = nm_memory_config_builder_new_from_config (preset);
  nm_memory_config_builder_set_name (builder, name);
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_max_capacity (builder, 64 * 1024);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);

  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  return NM_BUMP_ALLOCATOR (alloc);
}

static void
assert_first_chunk_refused (GError     *error,
                            const char *name,
                            const char *bytes)
{
  g_autofree char *who = g_strdup_printf ("Bump allocator “%s” cannot allocate its first chunk of ", name);

  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, who));
  g_assert_nonnull (strstr (error->message, bytes));
  g_assert_nonnull (strstr (error->message, "Lower capacity"));
  g_assert_null (strstr (error->message, "(null)"));
}

static void
test_bump_construct_refused (void)
{
  const char *text = "[arena]\nkind=bump\ncapacity=512GiB\n";
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  NmBumpAllocator *arena;
  NmAllocator *alloc;

  /* The documented maximum: valid, but no system grants it at once (with
   * overcommit on, the chunk is had and there is nothing to test). */
  arena = nm_bump_allocator_new ((gsize) 1 << 40, &error);
  if (arena != NULL)
    {
      g_object_unref (arena);
      g_test_skip ("the system granted a 1 TiB chunk");
      return;
    }
  assert_first_chunk_refused (error, "bump", "the system refused 1099511627776 bytes");
  g_clear_error (&error);

  arena = nm_bump_allocator_new_full ("shared", (gsize) 1 << 40, 0, TRUE, &error);
  g_assert_null (arena);
  assert_first_chunk_refused (error, "shared", "the system refused 1099511627776 bytes");
  g_clear_error (&error);

  g_assert_true (g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, NULL));
  alloc = nm_allocator_new_from_key_file (key_file, "arena", &error);
  g_assert_null (alloc);
  assert_first_chunk_refused (error, "arena", "the system refused 549755813888 bytes");
}

/* g_object_new() with a capacity the system refuses gives an object that
 * works: the first allocation fails with the reason, nothing crashes. */
static void
test_bump_construct_refused_lazily (void)
{
  g_autoptr(NmBumpAllocator) arena = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NmTestFailures failures = { 0 };
  NmBumpCheckpoint checkpoint;
  guint64 capacity = 1;
  gpointer p;

  arena = g_object_new (NM_TYPE_BUMP_ALLOCATOR, "capacity", (guint64) 1 << 40, NULL);
  if (nm_bump_allocator_get_chunk_count (arena) != 0)
    {
      g_test_skip ("the system granted a 1 TiB chunk");
      return;
    }
  nm_test_watch_failures (arena, &failures);

  g_object_get (arena, "capacity", &capacity, NULL);
  g_assert_cmpuint (capacity, ==, 0);
  g_assert_cmpuint (used (arena), ==, 0);
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (arena), &capacity));
  nm_bump_allocator_checkpoint (arena, &checkpoint);

  p = nm_bump_allocator_alloc (arena, 8, 8, &error);
  g_assert_null (p);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Bump allocator “bump” cannot allocate 8 bytes (alignment 8): "
                                            "the system refused its first chunk of "));
  g_assert_nonnull (strstr (error->message, "(1099511627776 bytes). Lower capacity"));
  g_assert_cmpuint (failures.count, ==, 1);
  g_assert_true (g_error_matches (failures.last, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY));
  g_clear_error (&error);

  g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (arena), 16, 1, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_clear_error (&error);

  g_assert_true (nm_bump_allocator_restore (arena, &checkpoint, &error));
  g_assert_no_error (error);
  nm_bump_allocator_reset (arena);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (arena));
  g_assert_cmpuint (stats->failed_count, ==, 2);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  nm_test_failures_clear (&failures);
}

static void
test_bump_construct_plain (void)
{
  g_autoptr(NmBumpAllocator) arena = g_object_new (NM_TYPE_BUMP_ALLOCATOR, NULL);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autofree char *name = NULL;
  guint64 capacity, max_capacity;
  gboolean thread_safe;
  guint8 *p;

  /* The production preset, named after the kind. */
  g_object_get (arena,
                "name", &name,
                "capacity", &capacity,
                "max-capacity", &max_capacity,
                "thread-safe", &thread_safe,
                "config", &config,
                NULL);
  g_assert_cmpstr (name, ==, "bump");
  g_assert_cmpuint (capacity, ==, 1024 * 1024);
  g_assert_cmpuint (max_capacity, ==, 256 * 1024 * 1024);
  g_assert_false (thread_safe);
  g_assert_true (NM_IS_MEMORY_CONFIG (config));
  g_assert_cmpstr (nm_memory_config_get_name (config), ==, "bump");
  g_assert_cmpint (nm_memory_config_get_kind (config), ==, NM_ALLOCATOR_KIND_BUMP);

  p = nm_bump_allocator_alloc (arena, 100, 8, NULL);
  g_assert_nonnull (p);
  memset (p, 1, 100);
  p = nm_allocator_alloc (NM_ALLOCATOR (arena), 100, 8, NULL);
  g_assert_nonnull (p);
  g_assert_cmpuint (used (arena), >=, 200);
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 1);
}

static void
test_bump_construct_properties (void)
{
  g_autoptr(NmBumpAllocator) arena = NULL;
  g_autoptr(NmBumpAllocator) dev = NULL;
  g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_development (NM_ALLOCATOR_KIND_BUMP);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  guint64 capacity;
  gboolean thread_safe;
  guint8 *p;

  arena = g_object_new (NM_TYPE_BUMP_ALLOCATOR,
                        "name", "props",
                        "capacity", (guint64) 4096,
                        "max-capacity", (guint64) 0,
                        "thread-safe", TRUE,
                        NULL);
  g_object_get (arena, "name", &name, "capacity", &capacity, "thread-safe", &thread_safe, NULL);
  g_assert_cmpstr (name, ==, "props");
  g_assert_cmpuint (capacity, ==, 4096);
  g_assert_true (thread_safe);
  g_assert_cmpuint (nm_bump_allocator_get_max_capacity (arena), ==, 0);

  g_assert_nonnull (nm_bump_allocator_alloc (arena, 4096, 1, &error));
  g_assert_null (nm_bump_allocator_alloc (arena, 1, 1, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Bump allocator “props” cannot allocate 1 byte (alignment 1)"));
  g_clear_error (&error);

  /* A configuration, with the properties given alongside taking precedence. */
  dev = g_object_new (NM_TYPE_BUMP_ALLOCATOR, "config", preset, "name", "dev-arena", NULL);
  g_assert_cmpstr (nm_allocator_get_name (NM_ALLOCATOR (dev)), ==, "dev-arena");
  g_assert_cmpuint (nm_bump_allocator_get_max_capacity (dev), ==, 256 * 1024 * 1024);
  p = nm_bump_allocator_alloc (dev, 16, 8, NULL);
  assert_fresh_fill (p, 16);
  nm_bump_allocator_reset (dev);
}

static void
test_bump_construct_unnamed (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;

  /* No name anywhere: the allocator is named after its kind. */
  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 64);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nm_allocator_get_name (alloc), ==, "bump");

  g_assert_null (nm_allocator_alloc (alloc, 100, 1, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Bump allocator “bump” cannot allocate 100 bytes"));
  g_assert_null (strstr (error->message, "(null)"));
}

static void
test_bump_construct_invalid (void)
{
  g_autoptr(NmBumpAllocator) arena = NULL;
  g_autoptr(NmMemoryConfig) pool = nm_memory_config_new_production (NM_ALLOCATOR_KIND_POOL);

  /* Properties the builder would refuse: one critical, then the defaults. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                         "*Bump allocator “odd”*max-capacity*below capacity*");
  arena = g_object_new (NM_TYPE_BUMP_ALLOCATOR,
                        "name", "odd", "capacity", (guint64) 4096, "max-capacity", (guint64) 1024,
                        NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (nm_allocator_get_name (NM_ALLOCATOR (arena)), ==, "odd");
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 8192, 8, NULL));
  nm_test_assert_still_works (arena, 64, 8);
  g_clear_object (&arena);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*Bump allocator*pool allocator*");
  arena = g_object_new (NM_TYPE_BUMP_ALLOCATOR, "config", pool, NULL);
  g_test_assert_expected_messages ();
  nm_test_assert_still_works (arena, 64, 8);
}

/* Development preset */

/* Alignment padding that was never handed out is released too: the free
 * fill must not trip the tools over it. */
static void
test_bump_development_release_padding (void)
{
  g_autoptr(NmBumpAllocator) arena = new_development ("padding");
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint checkpoint;
  guint8 *p;

  for (guint round = 0; round < 2; round++)
    {
      g_assert_nonnull (nm_bump_allocator_alloc (arena, 1, 1, &error));
      p = nm_bump_allocator_alloc (arena, 8, 64, &error);
      g_assert_no_error (error);
      g_assert_cmpuint ((guintptr) p % 64, ==, 0);
      nm_bump_allocator_reset (arena);
    }

  nm_bump_allocator_checkpoint (arena, &checkpoint);
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 1, 1, &error));
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 8, 64, &error));
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 3, 1, &error));
  g_assert_true (nm_bump_allocator_restore (arena, &checkpoint, &error));
  g_assert_no_error (error);

  /* The most recent allocation freed back, with padding below it. */
  g_assert_nonnull (nm_bump_allocator_alloc (arena, 1, 1, &error));
  p = nm_bump_allocator_alloc (arena, 8, 64, &error);
  nm_allocator_free (NM_ALLOCATOR (arena), p, 8, 64);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (arena));
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  nm_bump_allocator_reset (arena);
}

#define REDZONE_MIN 16

/* In the development preset a block is followed by a poisoned redzone, so
 * a write one byte past it is reported even when another block follows. */
static void
test_bump_development_redzone (void)
{
  g_autoptr(NmBumpAllocator) arena = NULL;
  guint8 *p, *q;

  if (g_test_subprocess ())
    {
      arena = new_development ("redzone");
      p = nm_bump_allocator_alloc (arena, 24, 8, NULL);
      q = nm_bump_allocator_alloc (arena, 24, 8, NULL);
      g_assert_nonnull (q);
      ((volatile guint8 *) p)[24] = 1;   /* reported by the tool */
      return;
    }

  arena = new_development ("redzone");
  p = nm_bump_allocator_alloc (arena, 24, 8, NULL);
  q = nm_bump_allocator_alloc (arena, 24, 8, NULL);
  g_assert_cmpuint ((guintptr) q, >=, (guintptr) p + 24 + REDZONE_MIN);
  g_assert_true (nm_allocator_owns (NM_ALLOCATOR (arena), p + 23));

  /* Freeing the most recent block back takes its redzone with it. */
  nm_allocator_free (NM_ALLOCATOR (arena), q, 24, 8);
  g_assert_true (nm_bump_allocator_alloc (arena, 24, 8, NULL) == q);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*wrong size*16 bytes given, 24 allocated*");
  nm_allocator_free (NM_ALLOCATOR (arena), q, 16, 8);
  g_test_assert_expected_messages ();

#ifdef NM_HAVE_ASAN
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*use-after-poison*");
#elif HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      guint8 vbits[1];

      /* GET_VBITS answers 3 for unaddressable bytes, without an access
       * memcheck would report. */
      g_assert_cmpint (VALGRIND_GET_VBITS (p + 24, vbits, 1), ==, 3);
    }
#endif

  nm_bump_allocator_reset (arena);
}

/* Reading a freed block is reported by the tools; without them the block
 * carries the freed pattern. */
static void
test_bump_development_use_after_free (void)
{
  g_autoptr(NmBumpAllocator) arena = new_development ("uaf");
  guint8 *p;

  if (g_test_subprocess ())
    {
      p = nm_bump_allocator_alloc (arena, 32, 8, NULL);
      nm_allocator_free (NM_ALLOCATOR (arena), p, 32, 8);
      g_assert_cmpuint (((volatile guint8 *) p)[0], ==, NM_POISON_FREED);
      return;
    }

  p = nm_bump_allocator_alloc (arena, 32, 8, NULL);
  nm_allocator_free (NM_ALLOCATOR (arena), p, 32, 8);

#ifdef NM_HAVE_ASAN
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*use-after-poison*");
#else
# if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      guint8 vbits[32];

      g_assert_cmpint (VALGRIND_GET_VBITS (p, vbits, 32), ==, 3);
      return;
    }
# endif
  for (guint i = 0; i < 32; i++)
    g_assert_cmpuint (p[i], ==, NM_POISON_FREED);
#endif
}

/* Checkpoints of a finalized allocator */

/* A checkpoint outlives its allocator; a new allocator the system places at
 * the same address, with its memory where the old one had it, must not take
 * it for one of its own. The system reuses addresses when it likes, so the
 * reuse is also made certain by moving the old checkpoint onto the new
 * allocator's addresses: all that may tell them apart then is the ids. */
static void
test_bump_checkpoint_of_finalized (void)
{
  g_autoptr(NmBumpAllocator) arena = NULL;
  g_autoptr(GError) error = NULL;
  NmBumpAllocator *old;
  NmBumpCheckpoint checkpoint, mine;

  for (guint attempt = 0; attempt < 20; attempt++)
    {
      g_autoptr(GPtrArray) arenas = g_ptr_array_new_with_free_func (g_object_unref);
      gpointer old_address;

      old = new_bump ("old", 4096, 0);
      old_address = old;
      nm_bump_allocator_alloc (old, 64, 8, NULL);
      nm_bump_allocator_checkpoint (old, &checkpoint);
      g_object_unref (old);

      for (guint i = 0; i < 16; i++)
        {
          NmBumpAllocator *other = new_bump ("new", 4096, 0);

          g_ptr_array_add (arenas, other);
          nm_bump_allocator_checkpoint (other, &mine);
          if ((gpointer) other != old_address || mine.chunk != checkpoint.chunk)
            continue;

          nm_bump_allocator_alloc (other, 128, 8, NULL);
          g_assert_false (nm_bump_allocator_restore (other, &checkpoint, &error));
          g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
          g_assert_cmpuint (used (other), ==, 128);
          g_clear_error (&error);
          attempt = G_MAXUINT - 1;
          break;
        }
    }

  old = new_bump ("old", 4096, 0);
  nm_bump_allocator_alloc (old, 64, 8, NULL);
  nm_bump_allocator_checkpoint (old, &checkpoint);
  g_object_unref (old);

  arena = new_bump ("new", 4096, 0);
  nm_bump_allocator_checkpoint (arena, &mine);
  nm_bump_allocator_alloc (arena, 128, 8, NULL);
  checkpoint.allocator = mine.allocator;
  checkpoint.chunk = mine.chunk;
  checkpoint.cursor = (guint8 *) mine.cursor + 64;

  g_assert_false (nm_bump_allocator_restore (arena, &checkpoint, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_cmpuint (used (arena), ==, 128);
}

/* Notification */

static void
test_bump_notify (void)
{
  g_autoptr(NmBumpAllocator) arena = new_bump ("notify", 4096, 64 * 1024);
  g_autoptr(GString) log = g_string_new (NULL);
  NmBumpCheckpoint checkpoint;

  nm_test_log_notify (arena, log);

  for (guint i = 0; i < 10; i++)
    nm_bump_allocator_alloc (arena, 200, 1, NULL);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "");

  /* 2000 bytes used to 0: the value a reader sees changed. */
  nm_bump_allocator_reset (arena);
  nm_test_flush_notify ();
  g_assert_nonnull (strstr (log->str, "bytes-used;"));
  g_string_truncate (log, 0);

  /* Nothing changed since: nothing notified. */
  nm_bump_allocator_reset (arena);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "");

  /* Growth: capacity and chunk count, on the allocation that grew. */
  nm_bump_allocator_checkpoint (arena, &checkpoint);
  nm_bump_allocator_alloc (arena, 4000, 1, NULL);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "");
  nm_bump_allocator_alloc (arena, 4000, 1, NULL);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "capacity;chunk-count;");
  g_string_truncate (log, 0);
  nm_bump_allocator_alloc (arena, 100, 1, NULL);
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "");

  /* A restore that releases chunks. */
  g_assert_true (nm_bump_allocator_restore (arena, &checkpoint, NULL));
  nm_test_flush_notify ();
  g_assert_cmpstr (log->str, ==, "capacity;chunk-count;");
  g_string_truncate (log, 0);

  /* A reset that releases chunks. */
  nm_bump_allocator_alloc (arena, 4000, 1, NULL);
  nm_bump_allocator_alloc (arena, 4000, 1, NULL);
  g_string_truncate (log, 0);
  nm_bump_allocator_reset (arena);
  nm_test_flush_notify ();
  g_assert_nonnull (strstr (log->str, "bytes-used;"));
  g_assert_nonnull (strstr (log->str, "capacity;"));
  g_assert_nonnull (strstr (log->str, "chunk-count;"));
  g_assert_cmpuint (nm_bump_allocator_get_chunk_count (arena), ==, 1);
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
  g_test_add_func ("/nebula/bump/construct/refused", test_bump_construct_refused);
  g_test_add_func ("/nebula/bump/construct/refused-lazily", test_bump_construct_refused_lazily);
  g_test_add_func ("/nebula/bump/construct/plain", test_bump_construct_plain);
  g_test_add_func ("/nebula/bump/construct/properties", test_bump_construct_properties);
  g_test_add_func ("/nebula/bump/construct/unnamed", test_bump_construct_unnamed);
  g_test_add_func ("/nebula/bump/construct/invalid", test_bump_construct_invalid);
  g_test_add_func ("/nebula/bump/development/release-padding", test_bump_development_release_padding);
  g_test_add_func ("/nebula/bump/reset/spare-range", test_bump_reset_spare_range);
  g_test_add_func ("/nebula/bump/development/redzone", test_bump_development_redzone);
  g_test_add_func ("/nebula/bump/development/use-after-free", test_bump_development_use_after_free);
  g_test_add_func ("/nebula/bump/checkpoint/of-finalized", test_bump_checkpoint_of_finalized);
  g_test_add_func ("/nebula/bump/notify", test_bump_notify);

  return g_test_run ();
}
