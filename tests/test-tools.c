/* test-tools.c: the tools see every misuse, on every allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For each allocator and each way of touching memory it no longer hands
 * out (after a free, a reset, a pop, a restore or a trim; one byte past the
 * end in the development preset) and for reads of bytes never written:
 * under AddressSanitizer a subprocess makes the access and must die with
 * the tool's report; under Valgrind memcheck the bytes must be unaddressable
 * (or undefined) as memcheck sees them, asked without an access it would
 * report; without a tool the test says so and checks that the allocator
 * still works.
 */

#include <string.h>

#include "nm-sanitizer-private.h"
#include "nm-test-util.h"

typedef enum
{
  MISUSE_AFTER_FREE,
  MISUSE_AFTER_RESET,
  MISUSE_AFTER_POP,
  MISUSE_AFTER_POP_TO_MARKER,
  MISUSE_AFTER_RESTORE,
  MISUSE_AFTER_TRIM,
  MISUSE_PAST_END,
  MISUSE_UNINITIALISED,
} Misuse;

static const char *misuse_names[] = {
  "after-free", "after-reset", "after-pop", "after-pop-to-marker",
  "after-restore", "after-trim", "past-end", "uninitialised",
};

typedef struct
{
  NmAllocatorKind kind;
  Misuse          misuse;
} Case;

static NmAllocator *
new_allocator (NmAllocatorKind kind,
               gboolean        development)
{
  g_autoptr(NmMemoryConfig) preset = development ? nm_memory_config_new_development (kind)
                                                 : nm_memory_config_new_production (kind);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new_from_config (preset);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  nm_memory_config_builder_set_name (builder, "tools");
  if (kind == NM_ALLOCATOR_KIND_POOL)
    {
      nm_memory_config_builder_set_block_size (builder, 24);
      nm_memory_config_builder_set_block_alignment (builder, 8);
      nm_memory_config_builder_set_block_count (builder, 4);
      /* Growth, so that a trim has a slab to give back. */
      nm_memory_config_builder_set_max_block_count (builder, 4096);
    }
  else
    {
      nm_memory_config_builder_set_capacity (builder, 64 * 1024);
      nm_memory_config_builder_set_max_capacity (builder, 0);
    }
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  return alloc;
}

/* Sets the misuse up: returns the bytes (at least one) that must not be
 * touched, and how many. */
static guint8 *
prepare (NmAllocator *alloc,
         const Case  *c,
         gsize       *n)
{
  guint8 *p;

  *n = 24;
  switch (c->misuse)
    {
    case MISUSE_AFTER_FREE:
      p = nm_allocator_alloc (alloc, 24, 8, NULL);
      nm_allocator_free (alloc, p, 24, 8);
      return p;

    case MISUSE_AFTER_RESET:
      p = nm_allocator_alloc (alloc, 24, 8, NULL);
      nm_allocator_reset (alloc);
      return p;

    case MISUSE_AFTER_POP:
      p = nm_stack_allocator_alloc (NM_STACK_ALLOCATOR (alloc), 24, 8, NULL);
      g_assert_true (nm_stack_allocator_pop (NM_STACK_ALLOCATOR (alloc), NULL));
      return p;

    case MISUSE_AFTER_POP_TO_MARKER:
      {
        NmStackMarker marker;

        nm_stack_allocator_push_marker (NM_STACK_ALLOCATOR (alloc), &marker);
        p = nm_stack_allocator_alloc (NM_STACK_ALLOCATOR (alloc), 24, 8, NULL);
        nm_stack_allocator_alloc (NM_STACK_ALLOCATOR (alloc), 24, 8, NULL);
        g_assert_true (nm_stack_allocator_pop_to_marker (NM_STACK_ALLOCATOR (alloc), &marker, NULL));
        return p;
      }

    case MISUSE_AFTER_RESTORE:
      {
        NmBumpCheckpoint checkpoint;

        nm_bump_allocator_checkpoint (NM_BUMP_ALLOCATOR (alloc), &checkpoint);
        p = nm_bump_allocator_alloc (NM_BUMP_ALLOCATOR (alloc), 24, 8, NULL);
        nm_bump_allocator_alloc (NM_BUMP_ALLOCATOR (alloc), 24, 8, NULL);
        g_assert_true (nm_bump_allocator_restore (NM_BUMP_ALLOCATOR (alloc), &checkpoint, NULL));
        return p;
      }

    case MISUSE_AFTER_TRIM:
      {
        /* Fill the first slab, then a grown one; give the grown one back. */
        gpointer first[4];
        guint8 *grown;

        for (guint i = 0; i < G_N_ELEMENTS (first); i++)
          first[i] = nm_allocator_alloc (alloc, 24, 8, NULL);
        grown = nm_allocator_alloc (alloc, 24, 8, NULL);
        nm_allocator_free (alloc, grown, 24, 8);
        g_assert_cmpuint (nm_allocator_trim (alloc), >, 0);
        for (guint i = 0; i < G_N_ELEMENTS (first); i++)
          nm_allocator_free (alloc, first[i], 24, 8);
        return grown;
      }

    case MISUSE_PAST_END:
      {
        /* A whole pool block; a size the bump and stack allocators do not round. */
        gsize size = c->kind == NM_ALLOCATOR_KIND_POOL ? 24 : 20;

        p = nm_allocator_alloc (alloc, size, 4, NULL);
        *n = 1;
        return p + size;
      }

    case MISUSE_UNINITIALISED:
      return nm_allocator_alloc (alloc, 24, 8, NULL);

    default:
      g_assert_not_reached ();
    }
}

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  gboolean development = c->misuse == MISUSE_PAST_END;
  g_autoptr(NmAllocator) alloc = new_allocator (c->kind, development);
  guint8 *p;
  gsize n;

  if (g_test_subprocess ())
    {
      p = prepare (alloc, c, &n);
      /* The misuse: a read the tool must stop. */
      g_test_message ("read %u", ((volatile guint8 *) p)[0]);
      return;
    }

#ifdef NM_HAVE_ASAN
  if (c->misuse != MISUSE_UNINITIALISED)
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_failed ();
      g_test_trap_assert_stderr (c->misuse == MISUSE_PAST_END ? "*AddressSanitizer*"
                                                               : "*AddressSanitizer*use-after-poison*");
      return;
    }
#endif

#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      guint8 vbits[24];

      p = prepare (alloc, c, &n);
      /* GET_VBITS answers 3 for unaddressable bytes, and otherwise sets a
       * bit for every undefined bit, without an access memcheck reports. */
      if (c->misuse == MISUSE_UNINITIALISED)
        {
          g_assert_cmpint (VALGRIND_GET_VBITS (p, vbits, n), ==, 1);
          for (gsize i = 0; i < n; i++)
            g_assert_cmpuint (vbits[i], ==, 0xff);
          nm_allocator_free (alloc, p, 24, 8);
        }
      else
        g_assert_cmpint (VALGRIND_GET_VBITS (p, vbits, n), ==, 3);
      nm_allocator_reset (alloc);
      nm_test_assert_still_works (alloc, 16, 8);
      return;
    }
#endif

  /* No tool: the misuse cannot be seen here; the allocator stays usable. */
  p = prepare (alloc, c, &n);
  g_assert_nonnull (p);
  nm_allocator_reset (alloc);
  nm_test_assert_still_works (alloc, 16, 8);
#ifdef NM_HAVE_ASAN
  g_test_skip ("reads of never-written bytes are for Valgrind, not AddressSanitizer");
#else
  g_test_skip ("neither AddressSanitizer nor Valgrind: the misuse is set up, not detected");
#endif
}

int
main (int   argc,
      char *argv[])
{
  static const Case cases[] = {
    { NM_ALLOCATOR_KIND_BUMP, MISUSE_AFTER_FREE },
    { NM_ALLOCATOR_KIND_BUMP, MISUSE_AFTER_RESET },
    { NM_ALLOCATOR_KIND_BUMP, MISUSE_AFTER_RESTORE },
    { NM_ALLOCATOR_KIND_BUMP, MISUSE_PAST_END },
    { NM_ALLOCATOR_KIND_BUMP, MISUSE_UNINITIALISED },
    { NM_ALLOCATOR_KIND_POOL, MISUSE_AFTER_FREE },
    { NM_ALLOCATOR_KIND_POOL, MISUSE_AFTER_RESET },
    { NM_ALLOCATOR_KIND_POOL, MISUSE_AFTER_TRIM },
    { NM_ALLOCATOR_KIND_POOL, MISUSE_PAST_END },
    { NM_ALLOCATOR_KIND_POOL, MISUSE_UNINITIALISED },
    { NM_ALLOCATOR_KIND_STACK, MISUSE_AFTER_FREE },
    { NM_ALLOCATOR_KIND_STACK, MISUSE_AFTER_RESET },
    { NM_ALLOCATOR_KIND_STACK, MISUSE_AFTER_POP },
    { NM_ALLOCATOR_KIND_STACK, MISUSE_AFTER_POP_TO_MARKER },
    { NM_ALLOCATOR_KIND_STACK, MISUSE_PAST_END },
    { NM_ALLOCATOR_KIND_STACK, MISUSE_UNINITIALISED },
  };
  static const char *kinds[] = { "bump", "pool", "stack" };

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tools/%s/%s", kinds[cases[i].kind],
                                               misuse_names[cases[i].misuse]);

      g_test_add_data_func (path, &cases[i], run_case);
    }

  return g_test_run ();
}
