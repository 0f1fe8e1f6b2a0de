/* test-bad-input.c: every bad input, every allocator, every preset
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One table of bad inputs: invalid layouts, exhaustion, double, foreign,
 * interior and wrong-size frees, LIFO violations, stale and foreign
 * checkpoints and markers, NULL arguments and invalid configuration values.
 * Each applies to the allocator kinds it names and runs on the production
 * and the development preset; each asserts the exact GError (domain, code,
 * words of the message) or the single g_critical, and then that the
 * allocator still serves and frees correctly.
 */

#include <math.h>
#include <string.h>

#include "nm-test-util.h"

#define BUMP  (1u << NM_ALLOCATOR_KIND_BUMP)
#define POOL  (1u << NM_ALLOCATOR_KIND_POOL)
#define STACK (1u << NM_ALLOCATOR_KIND_STACK)
#define ALL   (BUMP | POOL | STACK)

#define POOL_BLOCK 32
#define POOL_COUNT 4
#define CAPACITY   4096

typedef struct
{
  NmAllocatorKind  kind;
  gboolean         development;
  NmAllocator     *alloc;
} Fixture;

typedef struct
{
  const char *name;
  guint       kinds;
  void      (*run) (Fixture *f);
} Case;

static const char *
kind_name (NmAllocatorKind kind)
{
  return kind == NM_ALLOCATOR_KIND_BUMP ? "bump" : kind == NM_ALLOCATOR_KIND_POOL ? "pool" : "stack";
}

static NmMemoryConfigBuilder *
preset_builder (NmAllocatorKind kind,
                gboolean        development)
{
  g_autoptr(NmMemoryConfig) preset = development ? nm_memory_config_new_development (kind)
                                                 : nm_memory_config_new_production (kind);
  NmMemoryConfigBuilder *builder = nm_memory_config_builder_new_from_config (preset);

  nm_memory_config_builder_set_name (builder, "bad-input");
  if (kind == NM_ALLOCATOR_KIND_POOL)
    {
      nm_memory_config_builder_set_block_size (builder, POOL_BLOCK);
      nm_memory_config_builder_set_block_alignment (builder, 8);
      nm_memory_config_builder_set_block_count (builder, POOL_COUNT);
      nm_memory_config_builder_set_max_block_count (builder, 0);
    }
  else
    {
      nm_memory_config_builder_set_capacity (builder, CAPACITY);
      nm_memory_config_builder_set_max_capacity (builder, 0);
    }
  return builder;
}

/* Asserts domain, code and that every word appears in the message. */
#define assert_error_words(error, domain, code, ...)                             \
  G_STMT_START {                                                                 \
    const char *words_[] = { __VA_ARGS__, NULL };                                \
    g_assert_error ((error), (domain), (code));                                  \
    for (guint w_ = 0; words_[w_] != NULL; w_++)                                 \
      if (strstr ((error)->message, words_[w_]) == NULL)                         \
        g_error ("“%s” is not in the message “%s”", words_[w_], (error)->message); \
    g_clear_error (&(error));                                                    \
  } G_STMT_END

#define expect_critical(pattern, stmt)                                           \
  G_STMT_START {                                                                 \
    g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, (pattern));           \
    stmt;                                                                        \
    g_test_assert_expected_messages ();                                          \
  } G_STMT_END

static guint64
invalid_frees (Fixture *f)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (f->alloc);

  return stats->invalid_free_count;
}

/* Layouts */

static void
case_size_zero (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (nm_allocator_alloc (f->alloc, 0, 8, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                      "bad-input", "cannot allocate 0 bytes");
}

static void
case_alignment_not_power_of_two (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (nm_allocator_alloc (f->alloc, 8, 3, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                      "bad-input", "alignment 3");
}

static void
case_alignment_zero (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (nm_allocator_alloc (f->alloc, 8, 0, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                      "bad-input", "alignment 0");
}

static void
case_size_overflow (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (nm_allocator_alloc (f->alloc, G_MAXSIZE - 7, 16, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == NM_ALLOCATOR_ERROR);
  g_assert_true (error->code == NM_ALLOCATOR_ERROR_INVALID_LAYOUT ||
                 error->code == NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "bad-input"));
}

/* Exhaustion */

static void
case_exhaustion (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) taken = g_ptr_array_new ();
  gsize size = f->kind == NM_ALLOCATOR_KIND_POOL ? POOL_BLOCK : 512;
  gpointer mem;

  while ((mem = nm_allocator_alloc (f->alloc, size, 8, &error)) != NULL)
    {
      g_ptr_array_add (taken, mem);
      g_assert_cmpuint (taken->len, <=, CAPACITY / size + 1);
    }
  if (f->kind == NM_ALLOCATOR_KIND_POOL)
    assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED,
                        "bad-input", "capacity");
  else
    assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                        "bad-input", "cannot allocate 512 bytes");

  for (guint i = taken->len; i > 0; i--)
    nm_allocator_free (f->alloc, taken->pdata[i - 1], size, 8);
  nm_allocator_reset (f->alloc);
}

/* Invalid frees */

static void
case_foreign_free (Fixture *f)
{
  guint64 local = 0;
  guint64 before = invalid_frees (f);

  expect_critical (f->kind == NM_ALLOCATOR_KIND_POOL ? "*bad-input*foreign pointer*"
                                                     : "*bad-input*does not hold*",
                   nm_allocator_free (f->alloc, &local, sizeof local, 8));
  g_assert_cmpuint (invalid_frees (f), ==, before + 1);
}

static void
case_heap_free (Fixture *f)
{
  gpointer heap = g_malloc (16);

  expect_critical (f->kind == NM_ALLOCATOR_KIND_POOL ? "*bad-input*foreign pointer*"
                                                     : "*bad-input*does not hold*",
                   nm_allocator_free (f->alloc, heap, 16, 8));
  g_free (heap);
}

static void
case_double_free (Fixture *f)
{
  gpointer a = nm_allocator_alloc (f->alloc, 16, 8, NULL);
  gpointer b = nm_allocator_alloc (f->alloc, 16, 8, NULL);

  nm_allocator_free (f->alloc, b, 16, 8);
  expect_critical ("*bad-input*double free*", nm_allocator_free (f->alloc, b, 16, 8));
  nm_allocator_free (f->alloc, a, 16, 8);
}

static void
case_interior_free (Fixture *f)
{
  guint8 *a = nm_allocator_alloc (f->alloc, 16, 8, NULL);

  expect_critical (f->kind == NM_ALLOCATOR_KIND_POOL ? "*bad-input*misaligned interior pointer*"
                                                     : "*bad-input*LIFO violation*",
                   nm_allocator_free (f->alloc, a + 8, 8, 8));
  nm_allocator_free (f->alloc, a, 16, 8);
}

static void
case_wrong_size_free (Fixture *f)
{
  gsize wrong = f->kind == NM_ALLOCATOR_KIND_POOL ? POOL_BLOCK * 2 : 24;
  guint8 *a = nm_allocator_alloc (f->alloc, 16, 8, NULL);

  expect_critical (f->kind == NM_ALLOCATOR_KIND_POOL ? "*bad-input*free with a layout*"
                                                     : "*bad-input*wrong size*",
                   nm_allocator_free (f->alloc, a, wrong, 8));
  g_assert_true (nm_allocator_owns (f->alloc, a));
  nm_allocator_free (f->alloc, a, 16, 8);
}

static void
case_lifo_violation (Fixture *f)
{
  gpointer a = nm_allocator_alloc (f->alloc, 16, 8, NULL);
  gpointer b = nm_allocator_alloc (f->alloc, 16, 8, NULL);

  expect_critical ("*bad-input*LIFO violation*not the top*", nm_allocator_free (f->alloc, a, 16, 8));
  nm_allocator_free (f->alloc, b, 16, 8);
  nm_allocator_free (f->alloc, a, 16, 8);
}

static void
case_free_below_marker (Fixture *f)
{
  NmStackAllocator *stack = NM_STACK_ALLOCATOR (f->alloc);
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;
  gpointer a = nm_stack_allocator_alloc (stack, 16, 8, NULL);

  nm_stack_allocator_push_marker (stack, &marker);
  expect_critical ("*bad-input*LIFO violation*before the live marker*", nm_stack_allocator_free (stack, a));
  g_assert_false (nm_stack_allocator_pop (stack, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION, "bad-input");
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &marker, NULL));
  nm_stack_allocator_free (stack, a);
}

/* Checkpoints and markers */

static void
case_stale_checkpoint_reset (Fixture *f)
{
  NmBumpAllocator *bump = NM_BUMP_ALLOCATOR (f->alloc);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint checkpoint;

  nm_bump_allocator_checkpoint (bump, &checkpoint);
  nm_allocator_reset (f->alloc);
  g_assert_false (nm_bump_allocator_restore (bump, &checkpoint, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                      "bad-input", "reset after it was taken");
}

static void
case_stale_checkpoint_restore (Fixture *f)
{
  NmBumpAllocator *bump = NM_BUMP_ALLOCATOR (f->alloc);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint older, newer;

  nm_bump_allocator_checkpoint (bump, &older);
  nm_allocator_alloc (f->alloc, 16, 8, NULL);
  nm_bump_allocator_checkpoint (bump, &newer);
  g_assert_true (nm_bump_allocator_restore (bump, &older, NULL));
  g_assert_false (nm_bump_allocator_restore (bump, &newer, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                      "bad-input", "older checkpoint was restored");
}

static void
case_foreign_checkpoint (Fixture *f)
{
  g_autoptr(NmBumpAllocator) other = nm_bump_allocator_new (256, NULL);
  g_autoptr(GError) error = NULL;
  NmBumpCheckpoint checkpoint;

  nm_bump_allocator_checkpoint (other, &checkpoint);
  g_assert_false (nm_bump_allocator_restore (NM_BUMP_ALLOCATOR (f->alloc), &checkpoint, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                      "bad-input", "another allocator");
}

static void
case_stale_marker (Fixture *f)
{
  NmStackAllocator *stack = NM_STACK_ALLOCATOR (f->alloc);
  g_autoptr(GError) error = NULL;
  NmStackMarker outer, inner;

  nm_stack_allocator_push_marker (stack, &outer);
  nm_stack_allocator_push_marker (stack, &inner);
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &outer, NULL));
  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &inner, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION, "bad-input");
  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &outer, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION, "bad-input");
}

static void
case_marker_after_reset (Fixture *f)
{
  NmStackAllocator *stack = NM_STACK_ALLOCATOR (f->alloc);
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;

  nm_stack_allocator_push_marker (stack, &marker);
  nm_allocator_reset (f->alloc);
  g_assert_false (nm_stack_allocator_pop_to_marker (stack, &marker, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION, "bad-input");
}

static void
case_foreign_marker (Fixture *f)
{
  g_autoptr(NmStackAllocator) other = nm_stack_allocator_new (256, NULL);
  g_autoptr(GError) error = NULL;
  NmStackMarker marker;

  nm_stack_allocator_push_marker (other, &marker);
  g_assert_false (nm_stack_allocator_pop_to_marker (NM_STACK_ALLOCATOR (f->alloc), &marker, &error));
  assert_error_words (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER, "bad-input");
}

/* NULL arguments */

static void
case_null_allocator (Fixture *f)
{
  expect_critical ("*nm_allocator_get_stats*assertion*failed*", g_assert_null (nm_allocator_get_stats (NULL)));
  expect_critical ("*nm_allocator_reset*assertion*failed*", nm_allocator_reset (NULL));
  expect_critical ("*nm_allocator_owns*assertion*failed*", g_assert_false (nm_allocator_owns (NULL, f)));
}

static void
case_null_checkpoint (Fixture *f)
{
  expect_critical ("*assertion*checkpoint != NULL*failed*",
                   g_assert_false (nm_bump_allocator_restore (NM_BUMP_ALLOCATOR (f->alloc), NULL, NULL)));
  expect_critical ("*assertion*checkpoint != NULL*failed*",
                   nm_bump_allocator_checkpoint (NM_BUMP_ALLOCATOR (f->alloc), NULL));
}

static void
case_null_marker (Fixture *f)
{
  expect_critical ("*assertion*marker != NULL*failed*",
                   g_assert_false (nm_stack_allocator_pop_to_marker (NM_STACK_ALLOCATOR (f->alloc), NULL, NULL)));
  expect_critical ("*assertion*marker != NULL*failed*",
                   nm_stack_allocator_push_marker (NM_STACK_ALLOCATOR (f->alloc), NULL));
}

static const Case cases[] = {
  { "size-zero", ALL, case_size_zero },
  { "alignment-not-power-of-two", ALL, case_alignment_not_power_of_two },
  { "alignment-zero", ALL, case_alignment_zero },
  { "size-overflow", ALL, case_size_overflow },
  { "exhaustion", ALL, case_exhaustion },
  { "foreign-free", ALL, case_foreign_free },
  { "heap-free", ALL, case_heap_free },
  /* A bump allocator gives memory back only from the top: a second free of
   * a block, or a free inside one, is a no-op it cannot tell from a first. */
  { "double-free", POOL | STACK, case_double_free },
  { "interior-free", POOL | STACK, case_interior_free },
  { "wrong-size-free", ALL, case_wrong_size_free },
  { "lifo-violation", STACK, case_lifo_violation },
  { "free-below-marker", STACK, case_free_below_marker },
  { "stale-checkpoint-reset", BUMP, case_stale_checkpoint_reset },
  { "stale-checkpoint-restore", BUMP, case_stale_checkpoint_restore },
  { "foreign-checkpoint", BUMP, case_foreign_checkpoint },
  { "stale-marker", STACK, case_stale_marker },
  { "marker-after-reset", STACK, case_marker_after_reset },
  { "foreign-marker", STACK, case_foreign_marker },
  { "null-allocator", ALL, case_null_allocator },
  { "null-checkpoint", BUMP, case_null_checkpoint },
  { "null-marker", STACK, case_null_marker },
};

/* Invalid configuration values: the builder refuses them, names the key,
 * and builds once the value is put right. */
typedef struct
{
  const char *name;
  guint       kinds;
  const char *key;
  gint        code;
  void      (*spoil) (NmMemoryConfigBuilder *builder);
} ConfigCase;

static void spoil_capacity_zero (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_capacity (b, 0); }
static void spoil_capacity_huge (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_capacity (b, G_MAXUINT64); }
static void spoil_max_below (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_max_capacity (b, CAPACITY / 2); }
static void spoil_max_huge (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_max_capacity (b, G_MAXUINT64); }
static void spoil_max_fixed (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_max_capacity (b, CAPACITY * 2); }
static void spoil_block_size_zero (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_block_size (b, 0); }
static void spoil_block_size_huge (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_block_size (b, G_MAXUINT64); }
static void spoil_alignment_three (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_block_alignment (b, 3); }
static void spoil_alignment_huge (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_block_alignment (b, 8192); }
static void spoil_count_zero (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_block_count (b, 0); }
static void spoil_count_huge (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_block_count (b, G_MAXUINT64 / 2); }
static void spoil_max_count_below (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_max_block_count (b, 1); }
static void spoil_name_utf8 (NmMemoryConfigBuilder *b) { nm_memory_config_builder_set_name (b, "bad\xff"); }

static const ConfigCase config_cases[] = {
  { "capacity-zero", BUMP | STACK, "“capacity”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_capacity_zero },
  { "capacity-huge", BUMP | STACK, "“capacity”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_capacity_huge },
  { "max-capacity-below", BUMP, "“max-capacity”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_max_below },
  { "max-capacity-huge", BUMP, "“max-capacity”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_max_huge },
  { "max-capacity-fixed", STACK, "“max-capacity”", NM_CONFIG_ERROR_INCOMPATIBLE, spoil_max_fixed },
  { "block-size-zero", POOL, "“block-size”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_block_size_zero },
  { "block-size-huge", POOL, "“block-size”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_block_size_huge },
  { "block-alignment-three", POOL, "“block-alignment”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_alignment_three },
  { "block-alignment-huge", POOL, "“block-alignment”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_alignment_huge },
  { "block-count-zero", POOL, "“block-count”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_count_zero },
  { "block-count-huge", POOL, "“block-count”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_count_huge },
  { "max-block-count-below", POOL, "“max-block-count”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_max_count_below },
  { "name-not-utf8", ALL, "“name”", NM_CONFIG_ERROR_INVALID_VALUE, spoil_name_utf8 },
};

typedef struct
{
  guint           index;
  NmAllocatorKind kind;
  gboolean        development;
} Combination;

static NmAllocator *
new_allocator (NmAllocatorKind kind,
               gboolean        development)
{
  g_autoptr(NmMemoryConfigBuilder) builder = preset_builder (kind, development);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  return alloc;
}

static void
run_case (gconstpointer data)
{
  const Combination *c = data;
  Fixture f = { c->kind, c->development, new_allocator (c->kind, c->development) };

  cases[c->index].run (&f);
  nm_test_assert_still_works (f.alloc, 16, 8);
  nm_test_assert_still_works (f.alloc, 8, 8);
  nm_allocator_reset (f.alloc);
  g_object_unref (f.alloc);
}

static void
run_config_case (gconstpointer data)
{
  const Combination *c = data;
  const ConfigCase *cc = &config_cases[c->index];
  g_autoptr(NmMemoryConfigBuilder) builder = preset_builder (c->kind, c->development);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;

  cc->spoil (builder);
  g_assert_null (nm_memory_config_builder_build (builder, &error));
  assert_error_words (error, NM_CONFIG_ERROR, cc->code, cc->key);

  /* Put right, the same builder builds an allocator that works. */
  g_clear_object (&builder);
  builder = preset_builder (c->kind, c->development);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  nm_test_assert_still_works (alloc, 16, 8);
}

/* high-water-mark: out of range, not a number, not finite, from a key file
 * (an INVALID_VALUE naming group, key and value) or a setter (one
 * critical, the mark unchanged); leak-sites: not a boolean. */
static void
test_bad_high_water_mark (void)
{
  static const char * const bad[] = { "0", "-0.5", "1.5", "1.0000001", "nan", "NaN", "inf",
                                       "1e400", "abc", "0.9x", "90%", "" };
  static const char * const sizes[] = {
    "capacity=4KiB", "block-size=32\nblock-count=4", "capacity=4KiB",
  };

  for (NmAllocatorKind kind = NM_ALLOCATOR_KIND_BUMP; kind <= NM_ALLOCATOR_KIND_STACK; kind++)
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GKeyFile) key_file = g_key_file_new ();
        g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
        g_autoptr(NmMemoryConfig) config = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *text = g_strdup_printf ("[hw]\nkind=%s\n%s\nhigh-water-mark=%s\n",
                                                 kind_name (kind), sizes[kind], bad[i]);
        g_autofree char *quoted = g_strdup_printf ("“%s”", bad[i]);

        g_assert_true (g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, NULL));
        g_assert_false (nm_memory_config_builder_load_key_file (builder, key_file, "hw", &error));
        g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
        g_assert_nonnull (strstr (error->message, "Group “hw”, key “high-water-mark”"));
        g_assert_nonnull (strstr (error->message, quoted));
        g_assert_nonnull (strstr (error->message, "above 0 and at most 1"));
        g_assert_nonnull (strstr (error->message, "such as 0.9"));

        /* The builder kept nothing of the file. */
        nm_memory_config_builder_set_kind (builder, kind);
        if (kind == NM_ALLOCATOR_KIND_POOL)
          nm_memory_config_builder_set_block_count (nm_memory_config_builder_set_block_size (builder, 32), 4);
        else
          nm_memory_config_builder_set_capacity (builder, CAPACITY);
        config = nm_memory_config_builder_build (builder, NULL);
        g_assert_nonnull (config);
        g_assert_cmpfloat (nm_memory_config_get_high_water_mark (config), ==, 0);
      }

  {
    g_autoptr(NmMemoryConfigBuilder) builder = preset_builder (NM_ALLOCATOR_KIND_BUMP, FALSE);
    g_autoptr(NmMemoryConfig) config = NULL;
    const gdouble wrong[] = { -0.1, 1.5, NAN, INFINITY };

    g_assert_true (nm_memory_config_builder_set_high_water_mark (builder, 0.5) == builder);
    for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
      {
        g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL,
                               "*nm_memory_config_builder_set_high_water_mark*"
                               "_nm_config_high_water_mark_is_valid*");
        g_assert_true (nm_memory_config_builder_set_high_water_mark (builder, wrong[i]) == builder);
        g_test_assert_expected_messages ();
      }
    config = nm_memory_config_builder_build (builder, NULL);
    g_assert_cmpfloat (nm_memory_config_get_high_water_mark (config), ==, 0.5);
  }

  {
    g_autoptr(GKeyFile) key_file = g_key_file_new ();
    g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
    g_autoptr(GError) error = NULL;

    g_assert_true (g_key_file_load_from_data (key_file, "[s]\nkind=bump\nleak-sites=sometimes\n",
                                              -1, G_KEY_FILE_NONE, NULL));
    g_assert_false (nm_memory_config_builder_load_key_file (builder, key_file, "s", &error));
    g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
    g_assert_nonnull (strstr (error->message, "key “leak-sites”: “sometimes” is not valid"));
    g_assert_nonnull (strstr (error->message, "true or false"));
  }
}

int
main (int   argc,
      char *argv[])
{
  const NmAllocatorKind kinds[] = { NM_ALLOCATOR_KIND_BUMP, NM_ALLOCATOR_KIND_POOL, NM_ALLOCATOR_KIND_STACK };
  g_autoptr(GPtrArray) combinations = g_ptr_array_new_with_free_func (g_free);
  guint n_cases = G_N_ELEMENTS (cases) + G_N_ELEMENTS (config_cases);
  guint n_runs = 0;
  int status;

  g_test_init (&argc, &argv, NULL);

  for (guint table = 0; table < 2; table++)
    {
      guint n = table == 0 ? G_N_ELEMENTS (cases) : G_N_ELEMENTS (config_cases);

      for (guint i = 0; i < n; i++)
        for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
          for (guint dev = 0; dev < 2; dev++)
            {
              guint mask = table == 0 ? cases[i].kinds : config_cases[i].kinds;
              const char *name = table == 0 ? cases[i].name : config_cases[i].name;
              g_autofree char *path = NULL;
              Combination *c;

              if ((mask & (1u << kinds[k])) == 0)
                continue;
              c = g_new (Combination, 1);
              *c = (Combination) { i, kinds[k], dev };
              g_ptr_array_add (combinations, c);
              path = g_strdup_printf ("/bad-input/%s/%s/%s/%s", table == 0 ? "use" : "config",
                                      name, kind_name (kinds[k]), dev ? "development" : "production");
              g_test_add_data_func (path, c, table == 0 ? run_case : run_config_case);
              n_runs++;
            }
    }

  g_test_add_func ("/bad-input/config/high-water-mark", test_bad_high_water_mark);

  g_test_message ("bad-input matrix: %u cases x 3 allocators x 2 presets; "
                  "%u runs where the case applies", n_cases, n_runs);
  status = g_test_run ();
  return status;
}
