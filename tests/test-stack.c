/* test-stack.c: NmStackAllocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-sanitizer-private.h"
#include "nm-test-util.h"

/* What a failed operation must leave exactly as it was. */
typedef struct
{
  guint64   bytes_used;
  guint64   depth;
  gsize     top_size;
  guint     markers;
  gsize     available;
} Snapshot;

static Snapshot
snapshot (NmStackAllocator *stack)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  Snapshot s;

  s.bytes_used = stats->bytes_used;
  s.depth = nm_stack_allocator_get_depth (stack);
  s.top_size = nm_stack_allocator_get_top_size (stack);
  s.markers = nm_stack_allocator_get_marker_count (stack);
  s.available = nm_stack_allocator_get_available (stack);

  return s;
}

static void
assert_unchanged (NmStackAllocator *stack,
                  const Snapshot   *before)
{
  Snapshot now = snapshot (stack);

  g_assert_cmpuint (now.bytes_used, ==, before->bytes_used);
  g_assert_cmpuint (now.depth, ==, before->depth);
  g_assert_cmpuint (now.top_size, ==, before->top_size);
  g_assert_cmpuint (now.markers, ==, before->markers);
  g_assert_cmpuint (now.available, ==, before->available);
}

/* The stack still works: a push and a pop leave it as it was. */
static void
assert_still_works (NmStackAllocator *stack)
{
  g_autoptr(GError) error = NULL;
  Snapshot before = snapshot (stack);
  guint8 *p = nm_stack_allocator_alloc (stack, 24, 8, &error);

  g_assert_no_error (error);
  g_assert_nonnull (p);
  memset (p, 0x5A, 24);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, before.depth + 1);
  nm_stack_allocator_free (stack, p);
  assert_unchanged (stack, &before);
  nm_test_assert_still_works (stack, 40, 16);
  assert_unchanged (stack, &before);
}

static NmStackAllocator *
new_stack (gsize capacity)
{
  g_autoptr(GError) error = NULL;
  NmStackAllocator *stack = nm_stack_allocator_new (capacity, &error);

  g_assert_no_error (error);
  g_assert_true (NM_IS_STACK_ALLOCATOR (stack));

  return stack;
}

static NmStackAllocator *
new_preset (gboolean development)
{
  g_autoptr(NmMemoryConfig) config = development ?
    nm_memory_config_new_development (NM_ALLOCATOR_KIND_STACK) :
    nm_memory_config_new_production (NM_ALLOCATOR_KIND_STACK);
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc = nm_allocator_new_from_config (config, &error);

  g_assert_no_error (error);
  g_assert_true (NM_IS_STACK_ALLOCATOR (alloc));

  return NM_STACK_ALLOCATOR (alloc);
}

static void
expect_critical (const char *format,
                 ...) G_GNUC_PRINTF (1, 2);

static void
expect_critical (const char *format,
                 ...)
{
  g_autofree char *pattern = NULL;
  va_list args;

  va_start (args, format);
  pattern = g_strdup_vprintf (format, args);
  va_end (args);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, pattern);
}

static guint64
stat_invalid_frees (NmStackAllocator *stack)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));

  return stats->invalid_free_count;
}

static guint64
stat_corruptions (NmStackAllocator *stack)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));

  return stats->corruption_count;
}

/* The bookkeeping words are poisoned for the tools. These read and write
 * one as a buffer underflow would, but with the tools' consent, so that
 * what a test sees is the allocator's own detection in every
 * configuration; tests of the tools' reports write without consent, in a
 * subprocess. */
static guint64
word_read (const guint8 *word)
{
  guint64 value;

  nm_sanitizer_make_readable (word, 8);
  memcpy (&value, word, 8);
  nm_sanitizer_poison (word, 8);

  return value;
}

static void
word_overwrite (guint8     *word,
                gsize       offset,
                const void *bytes,
                gsize       len)
{
  nm_sanitizer_make_readable (word, 8);
  memcpy (word + offset, bytes, len);
  nm_sanitizer_poison (word, 8);
}

static void
word_write (guint8  *word,
            guint64  value)
{
  word_overwrite (word, 0, &value, 8);
}

/* Construction and properties */

static void
test_stack_new (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  guint64 capacity, used, peak, count, depth;
  guint markers;
  gboolean thread_safe;
  NmStackAllocator *bad;

  g_object_get (stack,
                "name", &name,
                "capacity", &capacity,
                "bytes-used", &used,
                "bytes-peak", &peak,
                "allocation-count", &count,
                "thread-safe", &thread_safe,
                "depth", &depth,
                "marker-count", &markers,
                NULL);
  g_assert_cmpstr (name, ==, "stack");
  g_assert_cmpuint (capacity, ==, 4096);
  g_assert_cmpuint (used, ==, 0);
  g_assert_cmpuint (peak, ==, 0);
  g_assert_cmpuint (count, ==, 0);
  g_assert_false (thread_safe);
  g_assert_cmpuint (depth, ==, 0);
  g_assert_cmpuint (markers, ==, 0);
  g_assert_cmpuint (nm_stack_allocator_get_available (stack), ==, 4096);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 0);
  g_assert_cmpstr (nm_allocator_get_name (NM_ALLOCATOR (stack)), ==, "stack");

  bad = nm_stack_allocator_new (0, &error);
  g_assert_null (bad);
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "capacity"));
  g_clear_error (&error);

  bad = nm_stack_allocator_new_full ("scratch", (gsize) 1 << 41, &error);
  g_assert_null (bad);
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "largest supported capacity"));
}

/* g_object_new () gives a working stack with the documented defaults and
 * messages that name it; the construct properties set what they say. */
static void
test_stack_construct_properties (void)
{
  g_autoptr(NmStackAllocator) plain = g_object_new (NM_TYPE_STACK_ALLOCATOR, NULL);
  g_autoptr(NmStackAllocator) sized = NULL;
  g_autoptr(NmStackAllocator) configured = NULL;
  g_autoptr(NmMemoryConfig) config = nm_memory_config_new_development (NM_ALLOCATOR_KIND_STACK);
  g_autoptr(NmMemoryConfig) got_config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  guint64 capacity;
  gpointer p;

  g_object_get (plain, "name", &name, "capacity", &capacity, NULL);
  g_assert_cmpstr (name, ==, "stack");
  g_assert_cmpuint (capacity, ==, 1024 * 1024);
  p = nm_stack_allocator_alloc (plain, 64, 16, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  nm_stack_allocator_free (plain, p);

  g_assert_null (nm_stack_allocator_alloc (plain, 2 * 1024 * 1024, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Stack allocator “stack” cannot allocate 2097152 bytes"));
  g_assert_null (strstr (error->message, "(null)"));
  g_clear_error (&error);

  sized = g_object_new (NM_TYPE_STACK_ALLOCATOR, "capacity", (guint64) 4096, "name", "scratch", NULL);
  g_clear_pointer (&name, g_free);
  g_object_get (sized, "name", &name, "capacity", &capacity, NULL);
  g_assert_cmpstr (name, ==, "scratch");
  g_assert_cmpuint (capacity, ==, 4096);
  g_assert_cmpuint (nm_stack_allocator_get_available (sized), ==, 4096);
  assert_still_works (sized);

  configured = g_object_new (NM_TYPE_STACK_ALLOCATOR, "config", config, NULL);
  g_object_get (configured, "config", &got_config, NULL);
  g_assert_true (got_config == config);
  g_assert_cmpstr (nm_allocator_get_name (NM_ALLOCATOR (configured)), ==, "development");
  p = nm_stack_allocator_alloc (configured, 16, 8, NULL);
  /* Development preset: poisoned fresh memory (undefined for Valgrind,
   * which would report reading it: the test reads it on purpose). */
  nm_sanitizer_make_readable (p, 16);
  g_assert_cmpuint (((guint8 *) p)[0], ==, 0xAA);
  nm_stack_allocator_free (configured, p);
}

/* Where the region cannot be had: the constructors fail with
 * OUT_OF_MEMORY naming the request; g_object_new () gives a stack whose
 * allocations fail with that error, and which works otherwise. */
static void
test_stack_construct_no_memory (void)
{
  g_autoptr(NmStackAllocator) stack = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  NmStackMarker marker;
  NmAllocator *alloc;
  NmTestFailures failed = { 0 };

  g_assert_null (nm_stack_allocator_new ((gsize) 1 << 40, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Stack allocator “stack”"));
  g_assert_nonnull (strstr (error->message, "cannot allocate its region of 1.1 TB"));
  g_assert_nonnull (strstr (error->message, "the system refused it. Lower capacity."));
  g_clear_error (&error);

  g_assert_true (g_key_file_load_from_data (key_file, "[huge]\nkind=stack\ncapacity=1024GiB\n",
                                            -1, G_KEY_FILE_NONE, NULL));
  alloc = nm_allocator_new_from_key_file (key_file, "huge", &error);
  g_assert_null (alloc);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "“huge”"));
  g_clear_error (&error);

  stack = g_object_new (NM_TYPE_STACK_ALLOCATOR, "capacity", (guint64) 1 << 40, NULL);
  g_assert_nonnull (stack);
  nm_test_watch_failures (stack, &failed);
  g_assert_null (nm_stack_allocator_alloc (stack, 16, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Stack allocator “stack” cannot allocate 16 bytes"));
  g_assert_nonnull (strstr (error->message, "the system refused its region of 1.1 TB, at "
                                            "construction and again now. Lower capacity."));
  g_assert_null (strstr (error->message, "(null)"));
  g_clear_error (&error);
  g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (stack), 16, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_clear_error (&error);
  g_assert_cmpuint (failed.count, ==, 2);
  g_assert_error (failed.last, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  nm_test_failures_clear (&failed);

  /* Everything else works on the empty stack. */
  g_assert_false (nm_stack_allocator_pop (stack, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_clear_error (&error);
  nm_stack_allocator_push_marker (stack, &marker);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
  nm_stack_allocator_reset (stack);
  g_assert_cmpuint (nm_stack_allocator_get_available (stack), ==, 0);
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (stack), &marker));
  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->failed_count, ==, 3);
  g_assert_cmpuint (failed.count, ==, 1);
  nm_test_failures_clear (&failed);
}

/* A memory budget that refuses the region: the constructors fail with
 * BUDGET_EXCEEDED naming the budget; a stack from g_object_new () fails
 * each allocation the same way, and gets its region once the budget has
 * room. */
static void
test_stack_construct_budget (void)
{
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("scratch-budget", 8 * 1024, NULL);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmStackAllocator) stack = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;
  gpointer p;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_name (builder, "frames");
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);

  g_assert_true (nm_memory_budget_charge (budget, 6 * 1024, NULL));

  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_null (alloc);
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "Stack allocator “frames” cannot allocate its region"));
  g_assert_nonnull (strstr (error->message, "“scratch-budget”"));
  g_clear_error (&error);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 6 * 1024);

  stack = g_object_new (NM_TYPE_STACK_ALLOCATOR, "config", config, NULL);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_null (nm_stack_allocator_alloc (stack, 16, 8, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
      g_assert_nonnull (strstr (error->message, "Stack allocator “frames” cannot allocate 16 bytes"));
      g_clear_error (&error);
    }

  nm_memory_budget_uncharge (budget, 6 * 1024);
  p = nm_stack_allocator_alloc (stack, 16, 8, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 4096);
  g_assert_cmpuint (nm_stack_allocator_get_available (stack), <, 4096);
  nm_stack_allocator_free (stack, p);
  assert_still_works (stack);

  g_clear_object (&stack);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 0);
}

/* Push and pop */

static void
test_stack_push_pop (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (64 * 1024);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  static const gsize alignments[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 4096 };
  gpointer ptrs[G_N_ELEMENTS (alignments)];
  guint64 used_after[G_N_ELEMENTS (alignments)];

  for (guint i = 0; i < G_N_ELEMENTS (alignments); i++)
    {
      gsize size = 3 + i * 5;

      ptrs[i] = nm_stack_allocator_alloc (stack, size, alignments[i], &error);
      g_assert_no_error (error);
      g_assert_nonnull (ptrs[i]);
      g_assert_cmpuint ((guintptr) ptrs[i] % MAX (alignments[i], 8), ==, 0);
      g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, size);
      g_assert_true (nm_allocator_owns (NM_ALLOCATOR (stack), ptrs[i]));
      memset (ptrs[i], (int) i, size);
      if (i > 0)
        g_assert_true ((guint8 *) ptrs[i] >= (guint8 *) ptrs[i - 1] + 3 + (i - 1) * 5 + 8);
      stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
      used_after[i] = stats->bytes_used;
      g_clear_pointer (&stats, nm_allocator_stats_free);
    }

  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, G_N_ELEMENTS (alignments));

  for (guint i = G_N_ELEMENTS (alignments); i-- > 0;)
    {
      gsize size = 3 + i * 5;

      stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
      g_assert_cmpuint (stats->bytes_used, ==, used_after[i]);
      g_clear_pointer (&stats, nm_allocator_stats_free);

      for (gsize k = 0; k < size; k++)
        g_assert_cmpuint (((guint8 *) ptrs[i])[k], ==, i);
      nm_stack_allocator_free (stack, ptrs[i]);
      g_assert_false (nm_allocator_owns (NM_ALLOCATOR (stack), ptrs[i]));
    }

  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->bytes_peak, ==, used_after[G_N_ELEMENTS (alignments) - 1]);
  g_assert_cmpuint (stats->allocation_count, ==, G_N_ELEMENTS (alignments));
  g_assert_cmpuint (stats->free_count, ==, G_N_ELEMENTS (alignments));
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);

  /* Freeing NULL does nothing. */
  nm_stack_allocator_free (stack, NULL);
  nm_allocator_free (NM_ALLOCATOR (stack), NULL, 8, 8);
  assert_still_works (stack);
}

static void
test_stack_interface (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  NmAllocator *alloc = NM_ALLOCATOR (stack);
  g_autoptr(GError) error = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint64 *words;
  double *d;

  words = nm_new0_array (alloc, guint64, 10, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (words[i], ==, 0);

  d = nm_new (alloc, double, &error);
  g_assert_no_error (error);
  *d = 1.5;

  nm_delete (alloc, double, d);
  nm_delete_array (alloc, guint64, 10, words);

  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->free_count, ==, 2);
  g_assert_cmpuint (stats->invalid_free_count, ==, 0);
  g_assert_cmpuint (nm_allocator_trim (alloc), ==, 0);
}

/* Invalid frees */

static void
test_stack_free_not_top (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  gpointer a = nm_stack_allocator_alloc (stack, 32, 8, NULL);
  gpointer b = nm_stack_allocator_alloc (stack, 48, 16, NULL);
  Snapshot before = snapshot (stack);

  expect_critical ("*Stack allocator “stack”*LIFO violation*free of %p*not the top*"
                   "top is %p, 48 bytes*", a, b);
  nm_stack_allocator_free (stack, a);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);
  g_assert_cmpuint (stat_invalid_frees (stack), ==, 1);

  /* The same through the interface. */
  expect_critical ("*LIFO violation*free of %p*top is %p*", a, b);
  nm_allocator_free (NM_ALLOCATOR (stack), a, 32, 8);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);
  g_assert_cmpuint (stat_invalid_frees (stack), ==, 2);

  /* A pointer inside the top allocation is not the top either. */
  expect_critical ("*LIFO violation*free of %p*top is %p*", (guint8 *) b + 8, b);
  nm_stack_allocator_free (stack, (guint8 *) b + 8);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);

  assert_still_works (stack);
  nm_stack_allocator_free (stack, b);
  nm_stack_allocator_free (stack, a);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
}

static void
test_stack_free_wrong_size (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  gpointer a = nm_stack_allocator_alloc (stack, 40, 8, NULL);
  Snapshot before = snapshot (stack);

  expect_critical ("*LIFO violation*wrong size*top %p*24 bytes given, 40 allocated*", a);
  nm_allocator_free (NM_ALLOCATOR (stack), a, 24, 8);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);
  g_assert_cmpuint (stat_invalid_frees (stack), ==, 1);

  assert_still_works (stack);
  nm_allocator_free (NM_ALLOCATOR (stack), a, 40, 8);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
}

static void
test_stack_free_foreign (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(NmStackAllocator) other = new_stack (4096);
  g_autofree guint8 *heap = g_malloc (16);
  gpointer a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  gpointer o = nm_stack_allocator_alloc (other, 16, 8, NULL);
  Snapshot before = snapshot (stack);

  expect_critical ("*does not hold*address %p*", heap);
  nm_stack_allocator_free (stack, heap);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);

  expect_critical ("*does not hold*address %p*", o);
  nm_allocator_free (NM_ALLOCATOR (stack), o, 16, 8);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);
  g_assert_cmpuint (stat_invalid_frees (stack), ==, 2);
  g_assert_cmpuint (nm_stack_allocator_get_depth (other), ==, 1);
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (stack), heap));
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (stack), o));

  assert_still_works (stack);
  nm_stack_allocator_free (stack, a);
  nm_stack_allocator_free (other, o);
}

static void
test_stack_free_double (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  gpointer a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  gpointer b = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  Snapshot before;

  nm_stack_allocator_free (stack, b);
  before = snapshot (stack);

  expect_critical ("*not live*double free*top is %p with 1 live allocations*", a);
  nm_stack_allocator_free (stack, b);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);

  nm_stack_allocator_free (stack, a);
  before = snapshot (stack);
  expect_critical ("*not live*address %p*", a);
  nm_stack_allocator_free (stack, a);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);
  g_assert_cmpuint (stat_invalid_frees (stack), ==, 2);

  assert_still_works (stack);
}

static void
test_stack_free_below_marker (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GError) error = NULL;
  gpointer a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  NmStackMarker marker;
  Snapshot before;

  nm_stack_allocator_push_marker (stack, &marker);
  before = snapshot (stack);

  /* a is the top, but belongs to the frame below the marker. */
  expect_critical ("*LIFO violation*free of %p*before the live marker #%" G_GUINT64_FORMAT
                   "*Pop to the marker first*", a, (guint64) 1);
  nm_stack_allocator_free (stack, a);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);

  g_assert_false (nm_stack_allocator_resize (stack, a, 32, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "before the live marker"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  assert_still_works (stack);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  g_assert_no_error (error);
  nm_stack_allocator_free (stack, a);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
}

static void
test_stack_free_corrupt (void)
{
  g_autoptr(NmStackAllocator) stack = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint8 *a, *b;
  guint64 saved;
  Snapshot before;

  stack = new_stack (4096);
  a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  b = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  before = snapshot (stack);

  /* A buffer underflow of b overwrites its bookkeeping word. */
  saved = word_read (b - 8);
  word_write (b - 8, G_MAXUINT64);

  expect_critical ("*“stack” found corrupted memory at %p: the bookkeeping word below the top allocation is corrupt*", b);
  nm_stack_allocator_free (stack, b);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->corruption_count, ==, 1);

  word_write (b - 8, saved);
  nm_stack_allocator_free (stack, b);
  nm_stack_allocator_free (stack, a);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
}

/* An underflow that overwrites only part of the word, with small values
 * that would point inside the stack, must not be taken for a valid word:
 * accepting it would move the top into a live allocation. */
static void
test_stack_free_corrupt_partial (void)
{
  g_autoptr(NmStackAllocator) stack = NULL;
  guint8 *a, *b, *c;
  guint64 saved;
  Snapshot before;

  stack = new_stack (4096);
  a = nm_stack_allocator_alloc (stack, 1000, 8, NULL);
  memset (a, 'A', 1000);
  b = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  before = snapshot (stack);

  for (guint k = 0; k < 3; k++)
    {
      static const guint32 values[] = { 8, 100, 868 };
      guint32 value = values[k];

      saved = word_read (b - 8);
      word_overwrite (b - 8, 0, &value, sizeof value);

      expect_critical ("*“stack” found corrupted memory at %p: the bookkeeping word below the top allocation is corrupt*", b);
      nm_stack_allocator_free (stack, b);
      g_test_assert_expected_messages ();
      assert_unchanged (stack, &before);

      word_write (b - 8, saved);
    }

  /* Nothing handed out overlaps a. */
  c = nm_stack_allocator_alloc (stack, 64, 8, NULL);
  g_assert_true (c >= a + 1000);
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpuint (a[i], ==, 'A');
}

static guint8 *
align_up_8 (guint8 *p)
{
  return (guint8 *) (((guintptr) p + 7) & ~(guintptr) 7);
}

/* Flips bit @bit of the word at @word and frees or pops the top @b three
 * ways in turn: every flip must be refused and counted, and change
 * nothing. */
static void
assert_flip_detected (NmStackAllocator *stack,
                      guint8           *b,
                      gsize             b_size,
                      guint8           *word,
                      guint             bit)
{
  g_autoptr(GError) error = NULL;
  guint64 saved = word_read (word);
  guint64 corruptions = stat_corruptions (stack);
  Snapshot before = snapshot (stack);

  word_write (word, saved ^ (G_GUINT64_CONSTANT (1) << bit));

  switch (bit % 3)
    {
    case 0:
      expect_critical ("*“stack” found corrupted memory at %p: the bookkeeping word below the top allocation is corrupt*", b);
      nm_stack_allocator_free (stack, b);
      g_test_assert_expected_messages ();
      break;

    case 1:
      expect_critical ("*“stack” found corrupted memory at %p: the bookkeeping word below the top allocation is corrupt*", b);
      nm_allocator_free (NM_ALLOCATOR (stack), b, b_size, 8);
      g_test_assert_expected_messages ();
      break;

    default:
      g_assert_false (nm_stack_allocator_pop (stack, &error));
      g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_CORRUPTION);
      g_assert_nonnull (strstr (error->message, "bookkeeping word below it is corrupt"));
      break;
    }

  if (stat_corruptions (stack) != corruptions + 1)
    g_error ("flipping bit %u of the word at %p went unnoticed", bit, word);
  assert_unchanged (stack, &before);
  word_write (word, saved);
}

/* A buffer underflow that flips any one bit of the word below the top
 * (including a change of the distance to the top below by a multiple of
 * 8, which still leads inside the region) is detected by the word's
 * check, every time: the top never moves into a live allocation. The same
 * for both words of an allocation whose pad needs a second one. */
static void
test_stack_free_corrupt_every_bit (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (16 * 1024);
  guint8 *a, *b, *filler_at, *filler, *big, *c;
  gsize filler_size;

  a = nm_stack_allocator_alloc (stack, 1000, 8, NULL);
  memset (a, 'A', 1000);
  b = nm_stack_allocator_alloc (stack, 24, 8, NULL);
  memset (b, 'B', 24);

  for (guint bit = 0; bit < 64; bit++)
    assert_flip_detected (stack, b, 24, b - 8, bit);

  /* Alignment 4096 with the cursor 8 bytes past a page boundary: the pad
   * of 4088 bytes does not fit in the word and goes into a second one. */
  filler_at = align_up_8 (b + 24 + 8);
  filler_size = (8 - (gsize) ((guintptr) filler_at % 4096)) % 4096;
  filler_size = filler_size ? filler_size : 4096;
  filler = nm_stack_allocator_alloc (stack, filler_size, 8, NULL);
  g_assert_true (filler == filler_at);
  big = nm_stack_allocator_alloc (stack, 16, 4096, NULL);
  g_assert_nonnull (big);
  g_assert_cmpuint ((guintptr) big % 4096, ==, 0);
  g_assert_cmpuint (big - (filler + filler_size), ==, 4088);
  for (guint bit = 0; bit < 64; bit++)
    {
      assert_flip_detected (stack, big, 16, big - 8, bit);
      assert_flip_detected (stack, big, 16, big - 16, bit);
    }
  g_assert_cmpuint (stat_corruptions (stack), ==, 3 * 64);
  nm_stack_allocator_free (stack, big);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, filler_size);
  nm_stack_allocator_free (stack, filler);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 24);

  /* Nothing handed out overlaps a live allocation. */
  c = nm_stack_allocator_alloc (stack, 64, 8, NULL);
  g_assert_true (c >= b + 24);
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpuint (a[i], ==, 'A');
  for (guint i = 0; i < 24; i++)
    g_assert_cmpuint (b[i], ==, 'B');
  nm_stack_allocator_free (stack, c);
  nm_stack_allocator_free (stack, b);
  nm_stack_allocator_free (stack, a);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
  g_assert_cmpuint (snapshot (stack).bytes_used, ==, 0);
}

/* A one-byte buffer underflow, written as a program would: under
 * AddressSanitizer the bookkeeping word is poisoned and the tool reports
 * the write; without tools the allocator reports the corrupt word at the
 * free and leaves the stack unchanged. */
static void
test_stack_underflow_reported (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(NmStackAllocator) stack = new_stack (4096);
      guint8 *a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
      volatile guint8 *b = nm_stack_allocator_alloc (stack, 16, 8, NULL);
      Snapshot before = snapshot (stack);

      b[-1] ^= 0x40;   /* reported by AddressSanitizer */

      expect_critical ("*“stack” found corrupted memory at %p: the bookkeeping word below the top allocation is corrupt*",
                       (guint8 *) b);
      nm_stack_allocator_free (stack, (gpointer) b);
      g_test_assert_expected_messages ();
      assert_unchanged (stack, &before);
      g_assert_cmpuint (stat_corruptions (stack), ==, 1);
      g_assert_true (nm_allocator_owns (NM_ALLOCATOR (stack), a));
      return;
    }

#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      /* Ask memcheck without making an access it would report: the word
       * is unaddressable (GET_VBITS answers 3). */
      g_autoptr(NmStackAllocator) stack = new_stack (4096);
      guint8 *b = nm_stack_allocator_alloc (stack, 16, 8, NULL);
      guint8 vbits[8];

      g_assert_cmpint (VALGRIND_GET_VBITS (b - 8, vbits, 8), ==, 3);
      nm_stack_allocator_free (stack, b);
    }
#endif

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
#ifdef NM_TEST_HAVE_ASAN
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*use-after-poison*");
#else
  g_test_trap_assert_passed ();
#endif
}

/* Allocation failures */

static void
test_stack_out_of_memory (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (256);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NmTestFailures failures = { 0 };
  gpointer a, b;
  Snapshot before;

  nm_test_watch_failures (stack, &failures);

  a = nm_stack_allocator_alloc (stack, 100, 8, &error);
  g_assert_no_error (error);
  b = nm_stack_allocator_alloc (stack, 100, 8, &error);
  g_assert_no_error (error);
  before = snapshot (stack);

  g_assert_null (nm_stack_allocator_alloc (stack, 100, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "Stack allocator “stack” cannot allocate 100 bytes "
                                            "(alignment 8)"));
  g_assert_nonnull (strstr (error->message, "by 2 live allocations"));
  g_assert_nonnull (strstr (error->message, "36 bytes free above the top"));
  g_assert_nonnull (strstr (error->message, "raise capacity"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  /* Through the interface, and without a GError. */
  g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (stack), 64, 64, NULL));
  assert_unchanged (stack, &before);

  g_assert_cmpuint (failures.count, ==, 2);
  g_assert_error (failures.last, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  nm_test_failures_clear (&failures);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->failed_count, ==, 2);

  /* Room comes back with a pop. */
  nm_stack_allocator_free (stack, b);
  b = nm_stack_allocator_alloc (stack, 100, 8, &error);
  g_assert_no_error (error);
  nm_stack_allocator_free (stack, b);
  nm_stack_allocator_free (stack, a);
  assert_still_works (stack);
}

static void
test_stack_invalid_layout (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GError) error = NULL;
  gpointer a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  Snapshot before = snapshot (stack);
  long page = sysconf (_SC_PAGESIZE);

  g_assert_null (nm_stack_allocator_alloc (stack, 0, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "cannot allocate 0 bytes"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_null (nm_stack_allocator_alloc (stack, 16, 24, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "power of two"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_null (nm_allocator_alloc (NM_ALLOCATOR (stack), 16, (gsize) page * 2, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "above the page size"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_null (nm_new_array (NM_ALLOCATOR (stack), guint64, G_MAXSIZE / 4, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "overflows"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  assert_still_works (stack);
  nm_stack_allocator_free (stack, a);
}

/* Markers */

static void
test_stack_marker_basic (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (64 * 1024);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;
  gpointer keep = nm_stack_allocator_alloc (stack, 100, 8, NULL);
  Snapshot at_marker;

  memset (keep, 0x11, 100);
  nm_stack_allocator_push_marker (stack, &marker);
  at_marker = snapshot (stack);
  g_assert_cmpuint (at_marker.markers, ==, 1);

  for (guint i = 0; i < 50; i++)
    g_assert_nonnull (nm_stack_allocator_alloc (stack, 10 + i, 1u << (i % 7), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 51);

  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 1);
  g_assert_cmpuint (nm_stack_allocator_get_marker_count (stack), ==, 0);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 100);
  g_assert_cmpuint (snapshot (stack).bytes_used, ==, at_marker.bytes_used);

  for (guint k = 0; k < 100; k++)
    g_assert_cmpuint (((guint8 *) keep)[k], ==, 0x11);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->allocation_count, ==, 51);
  g_assert_cmpuint (stats->free_count, ==, 50);

  /* Below the popped marker the old top is free-able again. */
  nm_stack_allocator_free (stack, keep);
  g_assert_cmpuint (snapshot (stack).bytes_used, ==, 0);

  /* A marker on an empty stack. */
  nm_stack_allocator_push_marker (stack, &marker);
  g_assert_nonnull (nm_stack_allocator_alloc (stack, 8, 8, NULL));
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
  assert_still_works (stack);
}

static void
test_stack_marker_nested (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (64 * 1024);
  g_autoptr(GError) error = NULL;
  NmStackMarker outer, middle, inner;
  Snapshot s0, s1, s2;

  nm_stack_allocator_alloc (stack, 8, 8, NULL);
  nm_stack_allocator_push_marker (stack, &outer);
  s0 = snapshot (stack);
  nm_stack_allocator_alloc (stack, 100, 16, NULL);
  nm_stack_allocator_push_marker (stack, &middle);
  s1 = snapshot (stack);
  nm_stack_allocator_alloc (stack, 200, 32, NULL);
  nm_stack_allocator_alloc (stack, 300, 64, NULL);
  nm_stack_allocator_push_marker (stack, &inner);
  s2 = snapshot (stack);
  nm_stack_allocator_alloc (stack, 5, 1, NULL);
  g_assert_cmpuint (nm_stack_allocator_get_marker_count (stack), ==, 3);

  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &inner, &error));
  g_assert_no_error (error);
  s2.markers--;
  assert_unchanged (stack, &s2);

  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &middle, &error));
  g_assert_no_error (error);
  s1.markers--;
  assert_unchanged (stack, &s1);

  /* Inside the outer frame, the 100-byte block is the top and may go. */
  nm_stack_allocator_free (stack, nm_stack_allocator_alloc (stack, 7, 8, NULL));
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 100);

  /* Popping the outer marker releases what was pushed since, at once. */
  nm_stack_allocator_push_marker (stack, &middle);
  nm_stack_allocator_alloc (stack, 64, 8, NULL);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &outer, &error));
  g_assert_no_error (error);
  s0.markers--;
  assert_unchanged (stack, &s0);
  assert_still_works (stack);
}

static void
test_stack_marker_stale (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;
  Snapshot before;

  nm_stack_allocator_push_marker (stack, &marker);
  nm_stack_allocator_alloc (stack, 64, 8, NULL);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  nm_stack_allocator_alloc (stack, 32, 8, NULL);
  before = snapshot (stack);

  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "cannot pop to marker #1"));
  g_assert_nonnull (strstr (error->message, "popped already"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);
  assert_still_works (stack);
}

static void
test_stack_marker_out_of_order (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GError) error = NULL;
  NmStackMarker m1, m2, m3, m4;
  Snapshot before;

  nm_stack_allocator_push_marker (stack, &m1);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);
  nm_stack_allocator_push_marker (stack, &m2);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);

  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &m1, &error));
  g_assert_no_error (error);
  before = snapshot (stack);

  /* m2 went with m1. */
  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &m2, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "marker #2"));
  g_assert_nonnull (strstr (error->message, "no longer live"));
  g_assert_nonnull (strstr (error->message, "reverse order"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  /* New markers reuse m2's slot; m2 stays dead. */
  nm_stack_allocator_push_marker (stack, &m3);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);
  nm_stack_allocator_push_marker (stack, &m4);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);
  before = snapshot (stack);

  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &m2, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_clear_error (&error);
  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &m1, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "marker #1"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &m4, &error));
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &m3, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot (stack).bytes_used, ==, 0);
  assert_still_works (stack);
}

static void
test_stack_marker_reset (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;
  Snapshot before;

  nm_stack_allocator_push_marker (stack, &marker);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);
  nm_allocator_reset (NM_ALLOCATOR (stack));
  g_assert_cmpuint (nm_stack_allocator_get_marker_count (stack), ==, 0);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);
  before = snapshot (stack);

  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "reset after it was pushed"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);
  assert_still_works (stack);
}

static void
test_stack_marker_foreign (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(NmStackAllocator) other = new_stack (4096);
  g_autoptr(GError) error = NULL;
  g_autoptr(NmStackMarker) copy = NULL;
  NmStackMarker marker;
  Snapshot before;

  nm_stack_allocator_push_marker (other, &marker);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);
  before = snapshot (stack);

  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER);
  g_assert_nonnull (strstr (error->message, "marker of another allocator"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  /* Boxed copies work like the original. */
  copy = nm_stack_marker_copy (&marker);
  g_assert_true (nm_stack_allocator_pop_to_marker (other, copy, &error));
  g_assert_no_error (error);
  assert_still_works (stack);
}

/* A marker of a finalized allocator is refused by a new allocator at the
 * same address: marker epochs never repeat in the process. */
static void
test_stack_marker_finalized (void)
{
  g_autoptr(NmStackAllocator) stack = NULL;
  g_autoptr(GError) error = NULL;
  NmStackMarker old_marker, marker;
  NmStackAllocator *old;
  Snapshot before;

  old = new_stack (4096);
  nm_stack_allocator_push_marker (old, &old_marker);
  g_object_unref (old);

  /* The same sizes, freed just before: usually the same address. Where it
   * is not, the marker is made to name the new allocator, which is what
   * reuse of the address would do. */
  stack = new_stack (4096);
  if (old_marker.allocator != stack)
    old_marker.allocator = stack;

  nm_stack_allocator_push_marker (stack, &marker);
  nm_stack_allocator_alloc (stack, 16, 8, NULL);
  before = snapshot (stack);

  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &old_marker, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER);
  g_assert_nonnull (strstr (error->message, "finalized"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  g_assert_no_error (error);
  assert_still_works (stack);
}

/* Many allocations of mixed alignment across markers; every block keeps its
 * contents until its marker is popped. */
static void
test_stack_marker_many (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4 * 1024 * 1024);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) blocks = g_array_new (FALSE, FALSE, sizeof (gpointer));
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
  NmStackMarker markers[20];
  guint marker_depth[20];
  GRand *rand = g_rand_new_with_seed (42);

  for (guint m = 0; m < G_N_ELEMENTS (markers); m++)
    {
      guint n = (guint) g_rand_int_range (rand, 0, 300);

      nm_stack_allocator_push_marker (stack, &markers[m]);
      marker_depth[m] = blocks->len;

      for (guint i = 0; i < n; i++)
        {
          gsize size = (gsize) g_rand_int_range (rand, 1, 200);
          gsize alignment = (gsize) 1 << g_rand_int_range (rand, 0, 9);
          guint8 *p = nm_stack_allocator_alloc (stack, size, alignment, &error);

          g_assert_no_error (error);
          g_assert_cmpuint ((guintptr) p % alignment, ==, 0);
          memset (p, (int) (blocks->len & 0xFF), size);
          g_array_append_val (blocks, p);
          g_array_append_val (sizes, size);
        }
    }

  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, blocks->len);

  for (guint m = G_N_ELEMENTS (markers); m-- > 0;)
    {
      /* Every live block still holds its pattern. */
      for (guint i = 0; i < blocks->len; i++)
        {
          guint8 *p = g_array_index (blocks, gpointer, i);
          gsize size = g_array_index (sizes, gsize, i);

          g_assert_cmpuint (p[0], ==, i & 0xFF);
          g_assert_cmpuint (p[size - 1], ==, i & 0xFF);
        }

      /* Odd markers: free the frame one by one first. */
      if (m % 2 == 1)
        while (blocks->len > marker_depth[m])
          {
            nm_allocator_free (NM_ALLOCATOR (stack),
                               g_array_index (blocks, gpointer, blocks->len - 1),
                               g_array_index (sizes, gsize, blocks->len - 1), 1);
            g_array_set_size (blocks, blocks->len - 1);
            g_array_set_size (sizes, sizes->len - 1);
          }

      g_assert_true (nm_stack_allocator_pop_to_marker (stack, &markers[m], &error));
      g_assert_no_error (error);
      g_array_set_size (blocks, marker_depth[m]);
      g_array_set_size (sizes, marker_depth[m]);
      g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, blocks->len);
      g_assert_cmpuint (nm_stack_allocator_get_marker_count (stack), ==, m);
    }

  g_assert_cmpuint (snapshot (stack).bytes_used, ==, 0);
  g_assert_cmpuint (stat_invalid_frees (stack), ==, 0);
  g_rand_free (rand);
}

/* Scopes */

static gpointer
scratch_in_scope (NmStackAllocator *stack,
                  guint             levels)
{
  g_auto(NmStackScope) scope = nm_stack_allocator_begin_scope (stack);
  guint8 *p = nm_stack_allocator_alloc (stack, 128, 16, NULL);

  memset (p, (int) levels, 128);
  g_assert_cmpuint (nm_stack_allocator_get_marker_count (stack), >=, 1);

  if (levels > 0)
    scratch_in_scope (stack, levels - 1);

  g_assert_cmpuint (p[127], ==, levels);
  return p;
}

static void
test_stack_scope (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (64 * 1024);
  gpointer keep = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  Snapshot before = snapshot (stack);
  gpointer p;

  p = scratch_in_scope (stack, 5);
  assert_unchanged (stack, &before);
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (stack), p));

  {
    g_auto(NmStackScope) outer = nm_stack_allocator_begin_scope (stack);

    nm_stack_allocator_alloc (stack, 64, 8, NULL);
    {
      g_auto(NmStackScope) inner = nm_stack_allocator_begin_scope (stack);

      nm_stack_allocator_alloc (stack, 64, 8, NULL);
      g_assert_cmpuint (nm_stack_allocator_get_marker_count (stack), ==, 2);
    }
    g_assert_cmpuint (nm_stack_allocator_get_marker_count (stack), ==, 1);
    g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 2);

    /* Clearing by hand, then at scope exit, pops once. */
    nm_stack_scope_clear (&outer);
    assert_unchanged (stack, &before);
  }

  assert_unchanged (stack, &before);
  nm_stack_allocator_free (stack, keep);
}

static void
test_stack_scope_invalidated (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);

  {
    g_auto(NmStackScope) scope = nm_stack_allocator_begin_scope (stack);

    nm_stack_allocator_alloc (stack, 64, 8, NULL);
    nm_stack_allocator_reset (stack);
    expect_critical ("*Scope ended without popping its marker*reset after it was pushed*");
  }
  g_test_assert_expected_messages ();
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
  assert_still_works (stack);
}

/* Resize */

static void
test_stack_resize (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (1024);
  g_autoptr(GError) error = NULL;
  gpointer below = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  char *s = nm_stack_allocator_alloc (stack, 4, 1, &error);
  gsize len = 0, room = 4;
  gsize available;
  Snapshot before;

  /* Build a string of unknown length on the stack. */
  for (guint i = 0; i < 500; i++)
    {
      if (len + 1 >= room)
        {
          room *= 2;
          g_assert_true (nm_stack_allocator_resize (stack, s, room, &error));
          g_assert_no_error (error);
        }
      s[len++] = (char) ('a' + i % 26);
    }
  s[len] = '\0';
  g_assert_cmpuint (len, ==, 500);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 512);
  for (guint i = 0; i < 500; i++)
    g_assert_cmpint (s[i], ==, 'a' + i % 26);

  /* Shrink to fit; the contents stay. */
  g_assert_true (nm_stack_allocator_resize (stack, s, len + 1, &error));
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 501);
  g_assert_cmpint (s[499], ==, 'a' + 499 % 26);
  available = nm_stack_allocator_get_available (stack);
  before = snapshot (stack);

  /* Growing past the capacity says how much room was left. */
  g_assert_false (nm_stack_allocator_resize (stack, s, 501 + available + 1, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "cannot grow the top allocation"));
  g_assert_nonnull (strstr (error->message, "from 501 to"));
  {
    g_autofree char *room_left = g_strdup_printf ("only %" G_GSIZE_FORMAT " bytes are free", available);
    g_assert_nonnull (strstr (error->message, room_left));
  }
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  /* Exactly to the end works. */
  g_assert_true (nm_stack_allocator_resize (stack, s, 501 + available, &error));
  g_assert_cmpuint (nm_stack_allocator_get_available (stack), ==, 0);
  g_assert_true (nm_stack_allocator_resize (stack, s, 501, &error));
  assert_unchanged (stack, &before);

  g_assert_false (nm_stack_allocator_resize (stack, s, 0, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
  g_assert_nonnull (strstr (error->message, "to 0 bytes"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_false (nm_stack_allocator_resize (stack, below, 32, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "only the top allocation"));
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_false (nm_stack_allocator_resize (stack, &error, 32, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER);
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  /* The resized size is what free checks. */
  nm_allocator_free (NM_ALLOCATOR (stack), s, 501, 1);
  g_assert_false (nm_stack_allocator_resize (stack, s, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "not live"));
  g_clear_error (&error);
  nm_stack_allocator_free (stack, below);
  assert_still_works (stack);
}

static void
test_stack_pop (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;
  Snapshot before = snapshot (stack);
  guint8 *a;

  g_assert_false (nm_stack_allocator_pop (stack, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "the stack is empty"));
  g_clear_error (&error);
  g_assert_false (nm_stack_allocator_resize_top (stack, 8, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  a = nm_stack_allocator_alloc (stack, 10, 8, NULL);
  nm_stack_allocator_alloc (stack, 20, 32, NULL);
  g_assert_true (nm_stack_allocator_resize_top (stack, 40, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 40);
  g_assert_true (nm_stack_allocator_pop (stack, &error));
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 10);

  nm_stack_allocator_push_marker (stack, &marker);
  before = snapshot (stack);
  g_assert_false (nm_stack_allocator_pop (stack, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_assert_nonnull (strstr (error->message, "before the live marker #1"));
  g_clear_error (&error);
  g_assert_false (nm_stack_allocator_resize_top (stack, 4000, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
  g_clear_error (&error);
  assert_unchanged (stack, &before);

  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  g_assert_false (nm_stack_allocator_resize_top (stack, 4096, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_clear_error (&error);
  g_assert_true (nm_stack_allocator_pop (stack, &error));
  g_assert_no_error (error);
  g_assert_false (nm_allocator_owns (NM_ALLOCATOR (stack), a));
  g_assert_cmpuint (snapshot (stack).bytes_used, ==, 0);
  assert_still_works (stack);
}

static void
test_stack_pop_corrupt (void)
{
  g_autoptr(NmStackAllocator) stack = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *a;
  guint64 saved;
  Snapshot before;

  stack = new_stack (4096);
  a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  before = snapshot (stack);
  saved = word_read (a - 8);
  word_write (a - 8, G_GUINT64_CONSTANT (0x7f7f7f7f7f7f7f7f));

  g_assert_false (nm_stack_allocator_pop (stack, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_CORRUPTION);
  g_assert_nonnull (strstr (error->message, "corrupt"));
  g_assert_nonnull (strstr (error->message, "buffer underflow"));
  assert_unchanged (stack, &before);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->corruption_count, ==, 1);

  word_write (a - 8, saved);
  g_assert_true (nm_stack_allocator_pop (stack, NULL));
  assert_still_works (stack);
}

/* Reset, statistics, ownership */

static void
test_stack_reset (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GString) notified = g_string_new (NULL);
  NmStackMarker marker;
  guint64 peak;

  nm_stack_allocator_alloc (stack, 100, 8, NULL);
  nm_stack_allocator_push_marker (stack, &marker);
  nm_stack_allocator_alloc (stack, 200, 8, NULL);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  peak = stats->bytes_used;
  g_clear_pointer (&stats, nm_allocator_stats_free);

  nm_test_log_notify (stack, notified);
  nm_allocator_reset (NM_ALLOCATOR (stack));
  /* Delivered on the main context, not from inside the reset. */
  g_assert_cmpstr (notified->str, ==, "");
  nm_test_flush_notify ();
  /* bytes-used went from 316 bytes to 0, though it was never announced
   * before; the peak rose since it was last announced. */
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-used"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-peak"), ==, 1);
  g_assert_nonnull (strstr (notified->str, "depth;"));
  g_assert_nonnull (strstr (notified->str, "marker-count;"));

  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  g_assert_cmpuint (stats->bytes_peak, ==, peak);
  g_assert_cmpuint (stats->reset_count, ==, 1);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
  g_assert_cmpuint (nm_stack_allocator_get_available (stack), ==, 4096);

  /* A reset that changes nothing notifies nothing. */
  g_string_truncate (notified, 0);
  nm_stack_allocator_reset (stack);
  nm_test_flush_notify ();
  g_assert_cmpstr (notified->str, ==, "");
  assert_still_works (stack);
}

/* bytes-used is notified whenever what a reader sees changed at the
 * documented points: pop to a marker and the end of a scope as well as a
 * reset; never per push or pop of one allocation. */
static void
test_stack_notify_bytes_used (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(GString) notified = g_string_new (NULL);
  NmStackMarker marker;
  gpointer p;

  nm_test_log_notify (stack, notified);

  p = nm_stack_allocator_alloc (stack, 100, 8, NULL);
  nm_stack_allocator_free (stack, p);
  p = nm_allocator_alloc (NM_ALLOCATOR (stack), 100, 8, NULL);
  nm_allocator_free (NM_ALLOCATOR (stack), p, 100, 8);
  nm_test_flush_notify ();
  g_assert_cmpstr (notified->str, ==, "");

  nm_stack_allocator_push_marker (stack, &marker);
  nm_stack_allocator_alloc (stack, 200, 8, NULL);
  nm_test_flush_notify ();
  g_assert_cmpstr (notified->str, ==, "");
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-used"), ==, 1);
  /* The peak rose since it was last announced (never). */
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-peak"), ==, 1);

  /* An empty frame changes nothing a reader sees. */
  g_string_truncate (notified, 0);
  nm_stack_allocator_push_marker (stack, &marker);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
  nm_test_flush_notify ();
  g_assert_cmpstr (notified->str, ==, "");

  {
    g_auto(NmStackScope) scope = nm_stack_allocator_begin_scope (stack);

    nm_stack_allocator_alloc (stack, 64, 8, NULL);
    nm_test_flush_notify ();
    g_assert_cmpstr (notified->str, ==, "");
  }
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-used"), ==, 1);
  /* The peak was higher before: no news. */
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-peak"), ==, 0);

  /* Allocated, then reset: notified again, though the value announced
   * last was 0 as well. */
  g_string_truncate (notified, 0);
  nm_stack_allocator_alloc (stack, 64, 8, NULL);
  nm_allocator_reset (NM_ALLOCATOR (stack));
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-used"), ==, 1);

  /* A thousand pops to a marker between two iterations: one delivery. */
  g_string_truncate (notified, 0);
  for (guint i = 0; i < 1000; i++)
    {
      nm_stack_allocator_push_marker (stack, &marker);
      nm_stack_allocator_alloc (stack, 32, 8, NULL);
      g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
    }
  nm_test_flush_notify ();
  g_assert_cmpuint (nm_test_count_notify (notified, "bytes-used"), ==, 1);
}

static void
test_stack_peak (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  g_autoptr(NmAllocatorStats) stats = NULL;
  guint64 used, peak;
  gpointer a, b;

  a = nm_stack_allocator_alloc (stack, 500, 8, NULL);
  b = nm_stack_allocator_alloc (stack, 1000, 8, NULL);
  g_object_get (stack, "bytes-used", &used, NULL);
  nm_stack_allocator_free (stack, b);
  b = nm_stack_allocator_alloc (stack, 10, 8, NULL);
  nm_stack_allocator_resize (stack, b, 20, NULL);
  nm_stack_allocator_resize (stack, b, 10, NULL);
  g_object_get (stack, "bytes-peak", &peak, NULL);
  g_assert_cmpuint (peak, ==, used);

  nm_stack_allocator_free (stack, b);
  nm_stack_allocator_free (stack, a);
  stats = nm_allocator_get_stats (NM_ALLOCATOR (stack));
  g_assert_cmpuint (stats->bytes_peak, ==, used);
  g_assert_cmpuint (stats->capacity, ==, 4096);
  g_assert_cmpuint (stats->bytes_reserved, >=, 4096);
  g_assert_cmpfloat (nm_allocator_stats_get_utilization (stats), ==, 0.0);
}

static void
test_stack_stats_off (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_name (builder, "quiet");
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_track_stats (builder, FALSE);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  nm_stack_allocator_push_marker (NM_STACK_ALLOCATOR (alloc), &marker);
  nm_allocator_free (alloc, nm_allocator_alloc (alloc, 8, 8, NULL), 8, 8);
  nm_allocator_alloc (alloc, 8, 8, NULL);
  g_assert_true (nm_stack_allocator_pop_to_marker (NM_STACK_ALLOCATOR (alloc), &marker, NULL));

  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->allocation_count, ==, 0);
  g_assert_cmpuint (stats->free_count, ==, 0);
  g_assert_cmpuint (stats->bytes_peak, >, 0);
}

/* Statistics off: the counts read 0, but the depth, which derives from
 * them, stays exact through pops, pops to markers and resets. */
static void
test_stack_stats_off_depth (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NmStackAllocator *stack;
  NmStackMarker marker;
  gpointer a, b;
  guint64 depth;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_track_stats (builder, FALSE);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  stack = NM_STACK_ALLOCATOR (alloc);

  a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  b = nm_allocator_alloc (alloc, 16, 8, NULL);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 2);
  nm_allocator_free (alloc, b, 16, 8);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 1);

  nm_stack_allocator_push_marker (stack, &marker);
  for (guint i = 0; i < 5; i++)
    g_assert_nonnull (nm_stack_allocator_alloc (stack, 8, 8, NULL));
  g_object_get (alloc, "depth", &depth, NULL);
  g_assert_cmpuint (depth, ==, 6);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 1);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 16);

  nm_stack_allocator_alloc (stack, 8, 8, NULL);
  nm_allocator_reset (alloc);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
  g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==, 0);
  a = nm_stack_allocator_alloc (stack, 24, 8, NULL);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 1);
  nm_stack_allocator_free (stack, a);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);

  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->allocation_count, ==, 0);
  g_assert_cmpuint (stats->free_count, ==, 0);
}

/* The model of test_stack_model: one live allocation. */
typedef struct
{
  guint8 *mem;
  gsize   size;
  guint8  fill;
} ModelBlock;

static void
model_fill (ModelBlock *b)
{
  memset (b->mem, b->fill, b->size);
}

static void
model_check (const ModelBlock *b)
{
  for (gsize i = 0; i < b->size; i++)
    if (b->mem[i] != b->fill)
      g_error ("byte %" G_GSIZE_FORMAT " of the live allocation %p was overwritten", i, b->mem);
}

/* Pushes, pops (three ways), resizes, markers and resets at random, the
 * inline paths and the out-of-line ones, alignments up to 4 KiB (second
 * words): after every step the depth, the top's size, the counts and the
 * peak (the highest bytes_used seen) match a model, and no live
 * allocation was touched. In the development preset every step takes the
 * slow paths. */
static void
test_stack_model (gconstpointer data)
{
  gboolean development = GPOINTER_TO_INT (data);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) blocks = g_array_new (FALSE, FALSE, sizeof (ModelBlock));
  g_autoptr(GRand) rand = g_rand_new_with_seed (0x5eed + development);
  static const gsize alignments[] = { 1, 2, 8, 16, 64, 1024, 2048, 4096 };
  NmStackMarker markers[8];
  guint marker_depth[8];
  guint n_markers = 0;
  NmStackAllocator *stack;
  guint64 peak = 0, pushes = 0, pops = 0;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_capacity (builder, 64 * 1024);
  nm_memory_config_builder_set_validate (builder, development);
  nm_memory_config_builder_set_poison (builder, development);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  stack = NM_STACK_ALLOCATOR (alloc);

  for (guint step = 0; step < 20000; step++)
    {
      guint frame = n_markers > 0 ? marker_depth[n_markers - 1] : 0;
      guint op = g_rand_int_range (rand, 0, 100);
      g_autoptr(NmAllocatorStats) stats = NULL;
      ModelBlock *top = blocks->len > frame ? &g_array_index (blocks, ModelBlock, blocks->len - 1) : NULL;

      if (op < 45)
        {
          gsize size = g_rand_int_range (rand, 1, 400);
          gsize alignment = alignments[g_rand_int_range (rand, 0, G_N_ELEMENTS (alignments))];
          ModelBlock b = { NULL, size, (guint8) step };

          b.mem = op % 2 ? nm_stack_allocator_alloc (stack, size, alignment, &error)
                         : nm_allocator_alloc (alloc, size, alignment, &error);
          if (b.mem == NULL)
            {
              g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
              g_clear_error (&error);
            }
          else
            {
              g_assert_no_error (error);
              g_assert_cmpuint ((guintptr) b.mem % MAX (alignment, 8), ==, 0);
              model_fill (&b);
              g_array_append_val (blocks, b);
              pushes++;
            }
        }
      else if (op < 85 && top != NULL)
        {
          model_check (top);
          switch (op % 3)
            {
            case 0:
              nm_stack_allocator_free (stack, top->mem);
              break;
            case 1:
              nm_allocator_free (alloc, top->mem, top->size, 1);
              break;
            default:
              g_assert_true (nm_stack_allocator_pop (stack, &error));
              g_assert_no_error (error);
            }
          g_array_set_size (blocks, blocks->len - 1);
          pops++;
        }
      else if (op < 92 && top != NULL)
        {
          gsize size = g_rand_int_range (rand, 1, 800);

          if (nm_stack_allocator_resize (stack, top->mem, size, &error))
            {
              top->size = MIN (top->size, size);
              model_check (top);
              top->size = size;
              model_fill (top);
            }
          else
            {
              g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
              g_clear_error (&error);
            }
        }
      else if (op < 96 && n_markers < G_N_ELEMENTS (markers))
        {
          nm_stack_allocator_push_marker (stack, &markers[n_markers]);
          marker_depth[n_markers++] = blocks->len;
        }
      else if (op < 99 && n_markers > 0)
        {
          guint m = g_rand_int_range (rand, 0, n_markers);

          g_assert_true (nm_stack_allocator_pop_to_marker (stack, &markers[m], &error));
          g_assert_no_error (error);
          pops += blocks->len - marker_depth[m];
          g_array_set_size (blocks, marker_depth[m]);
          n_markers = m;
        }
      else if (op == 99)
        {
          nm_allocator_reset (alloc);
          g_array_set_size (blocks, 0);
          n_markers = 0;
        }

      stats = nm_allocator_get_stats (alloc);
      peak = MAX (peak, stats->bytes_used);
      g_assert_cmpuint (stats->bytes_peak, ==, peak);
      g_assert_cmpuint (stats->allocation_count, ==, pushes);
      g_assert_cmpuint (stats->free_count, ==, pops);
      g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, blocks->len);
      g_assert_cmpuint (nm_stack_allocator_get_top_size (stack), ==,
                        blocks->len ? g_array_index (blocks, ModelBlock, blocks->len - 1).size : 0);
      if (blocks->len == 0)
        g_assert_cmpuint (stats->bytes_used, ==, 0);
    }

  for (guint i = 0; i < blocks->len; i++)
    model_check (&g_array_index (blocks, ModelBlock, i));
  nm_allocator_reset (alloc);
}

/* Freeing the start of the region while the stack (or the current frame,
 * at the start of the region) is empty is a free of memory that is not
 * live: reported, and nothing below the region is read. */
static void
test_stack_free_base_when_empty (void)
{
  g_autoptr(NmStackAllocator) stack = new_stack (4096);
  NmStackMarker marker;
  guint8 *base, *a;
  Snapshot before;

  a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  base = a - 8;
  nm_stack_allocator_free (stack, a);
  before = snapshot (stack);

  expect_critical ("*“stack”: free of memory that is not live*%p*", base);
  nm_stack_allocator_free (stack, base);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);

  nm_stack_allocator_push_marker (stack, &marker);
  before = snapshot (stack);
  expect_critical ("*“stack”: free of memory that is not live*%p*", base);
  nm_allocator_free (NM_ALLOCATOR (stack), base, 0, 8);
  g_test_assert_expected_messages ();
  assert_unchanged (stack, &before);
  g_assert_cmpuint (stat_invalid_frees (stack), ==, 2);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
  assert_still_works (stack);
}

/* Configuration */

static void
test_stack_config_key_file (void)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "stack.ini", NULL);
  guint64 capacity;
  gboolean thread_safe;
  g_autofree char *name = NULL;

  g_assert_true (g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);

  alloc = nm_allocator_new_from_key_file (key_file, "scratch", &error);
  g_assert_no_error (error);
  g_assert_true (NM_IS_STACK_ALLOCATOR (alloc));
  g_object_get (alloc, "name", &name, "capacity", &capacity, "thread-safe", &thread_safe, NULL);
  g_assert_cmpstr (name, ==, "scratch");
  g_assert_cmpuint (capacity, ==, 256 * 1024);
  g_assert_false (thread_safe);
  nm_allocator_free (alloc, nm_allocator_alloc (alloc, 64, 16, NULL), 64, 16);

  g_assert_null (nm_allocator_new_from_key_file (key_file, "threaded-stack", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INCOMPATIBLE);
  g_assert_nonnull (strstr (error->message, "threaded-stack"));
  g_assert_nonnull (strstr (error->message, "thread-safe"));
  g_assert_nonnull (strstr (error->message, "stack allocator"));
  g_assert_nonnull (strstr (error->message, "several threads"));
  g_clear_error (&error);

  g_assert_null (nm_allocator_new_from_key_file (key_file, "growing-stack", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INCOMPATIBLE);
  g_assert_nonnull (strstr (error->message, "max-capacity"));
  g_assert_nonnull (strstr (error->message, "fixed capacity"));
  g_clear_error (&error);

  g_assert_null (nm_allocator_new_from_key_file (key_file, "empty-stack", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "capacity"));
}

static void
test_stack_config_builder (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  nm_memory_config_builder_set_kind (
    nm_memory_config_builder_set_thread_safe (
      nm_memory_config_builder_set_capacity (builder, 4096), TRUE),
    NM_ALLOCATOR_KIND_STACK);
  g_assert_null (nm_memory_config_builder_build (builder, &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INCOMPATIBLE);
  g_assert_nonnull (strstr (error->message, "last-in-first-out order has no meaning"));
  g_clear_error (&error);

  nm_memory_config_builder_set_thread_safe (builder, FALSE);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nm_memory_config_get_kind (config), ==, NM_ALLOCATOR_KIND_STACK);

  {
    g_autoptr(NmAllocator) alloc = nm_allocator_new_from_config (config, &error);

    g_assert_no_error (error);
    g_assert_true (NM_IS_STACK_ALLOCATOR (alloc));
  }
}

/* Development checks */

typedef struct
{
  NmStackAllocator *stack;
  gpointer          result;
} ThreadData;

static gpointer
use_from_thread (gpointer user_data)
{
  ThreadData *data = user_data;

  data->result = nm_stack_allocator_alloc (data->stack, 32, 8, NULL);
  nm_stack_allocator_free (data->stack, data->result);

  return NULL;
}

static void
test_stack_thread_foreign_use (void)
{
  g_autoptr(NmStackAllocator) stack = new_preset (TRUE);
  ThreadData data = { stack, NULL };
  gpointer a;
  GThread *thread;

  a = nm_stack_allocator_alloc (stack, 16, 8, NULL);

  /* Reported once, for the first call from the other thread. */
  expect_critical ("*Stack allocator “development” is used from thread * but belongs to "
                   "thread %p*Give each thread its own stack*", (gpointer) g_thread_self ());
  thread = g_thread_new ("foreign", use_from_thread, &data);
  g_thread_join (thread);
  g_test_assert_expected_messages ();

  /* The calls still happened: the check reports, it does not refuse. */
  g_assert_nonnull (data.result);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 1);

  nm_stack_allocator_free (stack, a);
  assert_still_works (stack);
}

static void
test_stack_thread_production (void)
{
  g_autoptr(NmStackAllocator) stack = new_preset (FALSE);
  ThreadData data = { stack, NULL };
  GThread *thread;

  /* Without validation, handing a stack to another thread is not checked
   * (fatal-warnings would fail the test on a report). */
  nm_stack_allocator_free (stack, nm_stack_allocator_alloc (stack, 16, 8, NULL));
  thread = g_thread_new ("worker", use_from_thread, &data);
  g_thread_join (thread);
  g_assert_nonnull (data.result);
  g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, 0);
}

static void
test_stack_development_poison (void)
{
  g_autoptr(NmStackAllocator) stack = new_preset (TRUE);
  guint8 *p = nm_stack_allocator_alloc (stack, 64, 8, NULL);

  /* The fresh pattern is undefined for Valgrind, which would report
   * reading it: the test reads it on purpose. */
  nm_sanitizer_make_readable (p, 64);
  for (guint i = 0; i < 64; i++)
    g_assert_cmpuint (p[i], ==, 0xAA);

  memset (p, 0, 64);
  g_assert_true (nm_stack_allocator_resize (stack, p, 16, NULL));
  g_assert_true (nm_stack_allocator_resize (stack, p, 64, NULL));
  nm_sanitizer_make_readable (p + 16, 48);
  for (guint i = 0; i < 16; i++)
    g_assert_cmpuint (p[i], ==, 0);
  for (guint i = 16; i < 64; i++)
    g_assert_cmpuint (p[i], ==, 0xAA);

  nm_stack_allocator_free (stack, p);
}

/* In the development preset a poisoned redzone separates each block from
 * the bookkeeping word of the next, so AddressSanitizer reports a write
 * past a block, up to the next block, as it does for malloc. */
static void
test_stack_development_redzone (gconstpointer data)
{
  gsize past = GPOINTER_TO_SIZE (data);
  g_autoptr(NmStackAllocator) stack = NULL;
  guint8 *a, *b;

  if (g_test_subprocess ())
    {
      stack = new_preset (TRUE);
      a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
      b = nm_stack_allocator_alloc (stack, 16, 8, NULL);
      ((volatile guint8 *) a)[16 + past] = 1;   /* reported by AddressSanitizer */
      nm_stack_allocator_free (stack, b);
      nm_stack_allocator_free (stack, a);
      return;
    }

  stack = new_preset (TRUE);
  a = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  b = nm_stack_allocator_alloc (stack, 16, 8, NULL);
  /* A redzone of at least 16 bytes, then the word. */
  g_assert_cmpuint (b - (a + 16), >=, 16 + 8);
  g_assert_cmpuint (16 + past, <, (gsize) (b - a));

#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      guint8 vbits[32];

      g_assert_cmpint (VALGRIND_GET_VBITS (a + 16, vbits, (gsize) (b - a) - 16), ==, 3);
    }
#endif
  nm_stack_allocator_free (stack, b);
  nm_stack_allocator_free (stack, a);

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
#ifdef NM_TEST_HAVE_ASAN
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*use-after-poison*");
#else
  g_test_trap_assert_passed ();
#endif
}

static void
test_stack_development_leak_report (void)
{
  NmStackAllocator *stack = new_preset (TRUE);

  nm_stack_allocator_alloc (stack, 64, 8, NULL);
  nm_stack_allocator_alloc (stack, 64, 8, NULL);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING,
                         "*“development” is disposed with 2 live allocations*");
  g_object_unref (stack);
  g_test_assert_expected_messages ();
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/stack/new", test_stack_new);
  g_test_add_func ("/nebula/stack/construct/properties", test_stack_construct_properties);
  g_test_add_func ("/nebula/stack/construct/no-memory", test_stack_construct_no_memory);
  g_test_add_func ("/nebula/stack/construct/budget", test_stack_construct_budget);
  g_test_add_func ("/nebula/stack/push-pop", test_stack_push_pop);
  g_test_add_func ("/nebula/stack/interface", test_stack_interface);
  g_test_add_func ("/nebula/stack/free/not-top", test_stack_free_not_top);
  g_test_add_func ("/nebula/stack/free/wrong-size", test_stack_free_wrong_size);
  g_test_add_func ("/nebula/stack/free/foreign", test_stack_free_foreign);
  g_test_add_func ("/nebula/stack/free/double", test_stack_free_double);
  g_test_add_func ("/nebula/stack/free/below-marker", test_stack_free_below_marker);
  g_test_add_func ("/nebula/stack/free/corrupt", test_stack_free_corrupt);
  g_test_add_func ("/nebula/stack/free/corrupt-partial", test_stack_free_corrupt_partial);
  g_test_add_func ("/nebula/stack/free/corrupt-every-bit", test_stack_free_corrupt_every_bit);
  g_test_add_func ("/nebula/stack/free/underflow-reported", test_stack_underflow_reported);
  g_test_add_func ("/nebula/stack/alloc/out-of-memory", test_stack_out_of_memory);
  g_test_add_func ("/nebula/stack/alloc/invalid-layout", test_stack_invalid_layout);
  g_test_add_func ("/nebula/stack/marker/basic", test_stack_marker_basic);
  g_test_add_func ("/nebula/stack/marker/nested", test_stack_marker_nested);
  g_test_add_func ("/nebula/stack/marker/stale", test_stack_marker_stale);
  g_test_add_func ("/nebula/stack/marker/out-of-order", test_stack_marker_out_of_order);
  g_test_add_func ("/nebula/stack/marker/after-reset", test_stack_marker_reset);
  g_test_add_func ("/nebula/stack/marker/foreign", test_stack_marker_foreign);
  g_test_add_func ("/nebula/stack/marker/finalized-allocator", test_stack_marker_finalized);
  g_test_add_func ("/nebula/stack/marker/many-mixed-alignment", test_stack_marker_many);
  g_test_add_func ("/nebula/stack/scope/nested", test_stack_scope);
  g_test_add_func ("/nebula/stack/scope/invalidated", test_stack_scope_invalidated);
  g_test_add_func ("/nebula/stack/resize", test_stack_resize);
  g_test_add_func ("/nebula/stack/pop", test_stack_pop);
  g_test_add_func ("/nebula/stack/pop/corrupt", test_stack_pop_corrupt);
  g_test_add_func ("/nebula/stack/reset", test_stack_reset);
  g_test_add_func ("/nebula/stack/stats/peak", test_stack_peak);
  g_test_add_func ("/nebula/stack/notify/bytes-used", test_stack_notify_bytes_used);
  g_test_add_func ("/nebula/stack/stats/off", test_stack_stats_off);
  g_test_add_func ("/nebula/stack/stats/off-depth", test_stack_stats_off_depth);
  g_test_add_data_func ("/nebula/stack/model/production", GINT_TO_POINTER (FALSE), test_stack_model);
  g_test_add_data_func ("/nebula/stack/model/development", GINT_TO_POINTER (TRUE), test_stack_model);
  g_test_add_func ("/nebula/stack/free/base-when-empty", test_stack_free_base_when_empty);
  g_test_add_func ("/nebula/stack/config/key-file", test_stack_config_key_file);
  g_test_add_func ("/nebula/stack/config/builder", test_stack_config_builder);
  g_test_add_func ("/nebula/stack/thread/foreign-use", test_stack_thread_foreign_use);
  g_test_add_func ("/nebula/stack/thread/production", test_stack_thread_production);
  g_test_add_func ("/nebula/stack/development/poison", test_stack_development_poison);
  g_test_add_func ("/nebula/stack/development/leak-report", test_stack_development_leak_report);
  g_test_add_data_func ("/nebula/stack/development/redzone/one-byte", GSIZE_TO_POINTER (0),
                        test_stack_development_redzone);
  g_test_add_data_func ("/nebula/stack/development/redzone/ninth-byte", GSIZE_TO_POINTER (8),
                        test_stack_development_redzone);
  g_test_add_data_func ("/nebula/stack/development/redzone/last-byte", GSIZE_TO_POINTER (15),
                        test_stack_development_redzone);

  return g_test_run ();
}
