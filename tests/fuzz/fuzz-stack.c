/* fuzz-stack.c: libFuzzer target for the stack allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input chooses a stack allocator (capacity, production or development
 * preset) and then a sequence of allocations of any size and alignment,
 * frees of the top and of everything else (below the top, below a marker,
 * double, interior, foreign, wrong size), pops, resizes, markers pushed and
 * popped (live, stale and foreign) and resets, checked against a model of
 * the live blocks and frames. Built with -Dfuzzing=true (clang), run by the
 * 'fuzz' test suite.
 */

#include "fuzz-common.h"

#define MAX_MARKERS 8
#define MAX_DEAD 16

typedef struct
{
  NmStackMarker marker;
  guint         n_live;
} ModelMarker;

/* The array of markers grows to what an input can push, once. */
static void
warm_up (NmAllocator *alloc)
{
  NmStackMarker markers[MAX_MARKERS];

  for (guint i = 0; i < MAX_MARKERS; i++)
    nm_stack_allocator_push_marker (NM_STACK_ALLOCATOR (alloc), &markers[i]);
}

/* After a reset: no block and no marker left. */
static gboolean
fresh_check (NmAllocator *alloc)
{
  NmStackAllocator *stack = NM_STACK_ALLOCATOR (alloc);

  if (nm_stack_allocator_get_depth (stack) != 0 || nm_stack_allocator_get_marker_count (stack) != 0)
    g_error ("depth %" G_GUINT64_FORMAT " and %u markers after a reset",
             nm_stack_allocator_get_depth (stack), nm_stack_allocator_get_marker_count (stack));

  return TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  FuzzInput in = { data, size, 0 };
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  static FuzzAllocatorTable table;
  static NmStackAllocator *other;
  static NmStackMarker foreign;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;
  NmStackAllocator *stack;
  guint64 key[FUZZ_KEY_WORDS] = { 0, };
  gsize capacity;
  FuzzSlot *slot;
  FuzzCounts counts;
  FuzzBlock live[FUZZ_MAX_LIVE];
  ModelMarker markers[MAX_MARKERS];
  NmStackMarker stale[MAX_MARKERS];
  guint8 *dead[MAX_DEAD];
  guint n_live = 0, n_markers = 0, n_stale = 0, n_dead = 0;
  guint64 serial = 0;
  guint8 flags;
  guint local = 0;

  flags = fuzz_u8 (&in);
  builder = fuzz_builder (NM_ALLOCATOR_KIND_STACK, flags & 1);
  capacity = 256 + fuzz_u16 (&in) * 16;
  nm_memory_config_builder_set_capacity (builder, capacity);
  config = nm_memory_config_builder_build (builder, &error);
  if (config == NULL)
    {
      g_assert_true (error->domain == NM_CONFIG_ERROR);
      return 0;
    }
  key[0] = flags & 1;
  key[1] = capacity;
  slot = fuzz_allocator_take (&table, key, config, warm_up, fresh_check);
  alloc = slot->alloc;
  stack = NM_STACK_ALLOCATOR (alloc);
  /* The stack counts every request it refuses with a GError in
   * failed-count: pops, pops to a marker and resizes too. */
  fuzz_counts_start (&counts, FALSE);

  /* A marker of another stack, popped to by mistake: never accepted, so
   * the stack it belongs to never changes. */
  if (other == NULL)
    {
      other = nm_stack_allocator_new (256, &error);
      g_assert_no_error (error);
      nm_stack_allocator_push_marker (other, &foreign);
    }

  while (fuzz_more (&in))
    {
      guint8 op = fuzz_u8 (&in);
      guint frame = n_markers > 0 ? markers[n_markers - 1].n_live : 0;

      switch (op % 11)
        {
        case 0:
        case 1:
          {
            gsize want = fuzz_size (&in);
            gsize alignment = fuzz_alignment (&in);
            guint8 *mem = (op & 0x10) ? nm_allocator_alloc (alloc, want, alignment, &error)
                                      : nm_stack_allocator_alloc (stack, want, alignment, &error);

            if (!fuzz_check_allocation (alloc, mem, want, alignment, &error))
              {
                counts.failed++;
                break;
              }
            counts.allocations++;
            if (n_live == FUZZ_MAX_LIVE)
              {
                FUZZ_EXPECT_CRITICALS (0, nm_stack_allocator_free (stack, mem));
                break;
              }
            fuzz_assert_disjoint (live, n_live, mem, want);
            fuzz_fill (mem, want, serial);
            live[n_live++] = (FuzzBlock) { mem, want, alignment, serial++ };
            for (guint i = 0; i < n_dead; i++)
              if (dead[i] == mem)
                dead[i--] = dead[--n_dead];
          }
          break;

        case 2:
        case 3:
          /* The top of the frame: right, or (through the interface) a wrong size. */
          if (n_live > frame)
            {
              FuzzBlock *b = &live[n_live - 1];

              fuzz_check (b->mem, b->size, b->serial);
              if ((op & 0x30) == 0x30)
                {
                  FUZZ_EXPECT_CRITICALS (1, nm_allocator_free (alloc, b->mem, b->size + 4096, b->alignment));
                  break;
                }
              if (op & 0x10)
                FUZZ_EXPECT_CRITICALS (0, nm_allocator_free (alloc, b->mem, b->size, b->alignment));
              else
                FUZZ_EXPECT_CRITICALS (0, nm_stack_allocator_free (stack, b->mem));
              if (n_dead < MAX_DEAD)
                dead[n_dead++] = b->mem;
              n_live--;
            }
          break;

        case 4:
          {
            guint pick = fuzz_u8 (&in);

            if (n_live > 0 && (pick & 1))
              {
                /* Below the top, or below the newest marker; or inside the top. */
                guint i = pick % n_live;

                if (i < n_live - 1 || i < frame)
                  FUZZ_EXPECT_CRITICALS (1, nm_stack_allocator_free (stack, live[i].mem));
                else if (live[i].size > 1)
                  FUZZ_EXPECT_CRITICALS (1, nm_stack_allocator_free (stack, live[i].mem + 1 + pick % (live[i].size - 1)));
              }
            else if (n_dead > 0 && (pick & 2))
              FUZZ_EXPECT_CRITICALS (1, nm_stack_allocator_free (stack, dead[pick % n_dead]));
            else
              FUZZ_EXPECT_CRITICALS (1, nm_stack_allocator_free (stack, &local));
          }
          break;

        case 5:
          {
            gboolean ok;

            if (n_live > frame)
              fuzz_check (live[n_live - 1].mem, live[n_live - 1].size, live[n_live - 1].serial);
            ok = nm_stack_allocator_pop (stack, &error);
            if (n_live > frame)
              {
                g_assert_no_error (error);
                g_assert_true (ok);
                if (n_dead < MAX_DEAD)
                  dead[n_dead++] = live[n_live - 1].mem;
                n_live--;
              }
            else
              {
                g_assert_false (ok);
                g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
                g_clear_error (&error);
                counts.failed++;
              }
          }
          break;

        case 6:
          {
            gsize new_size = fuzz_size (&in);
            gboolean ok;

            if (n_live > frame)
              {
                FuzzBlock *b = &live[n_live - 1];

                ok = (op & 0x10) ? nm_stack_allocator_resize_top (stack, new_size, &error)
                                 : nm_stack_allocator_resize (stack, b->mem, new_size, &error);
                if (new_size == 0)
                  {
                    g_assert_false (ok);
                    g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
                    g_clear_error (&error);
                    counts.failed++;
                  }
                else if (!ok)
                  {
                    g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
                    g_clear_error (&error);
                    counts.failed++;
                  }
                else
                  {
                    fuzz_check (b->mem, MIN (b->size, new_size), b->serial);
                    b->size = new_size;
                    fuzz_fill (b->mem, new_size, b->serial);
                  }
                fuzz_check (b->mem, b->size, b->serial);
              }
            else if (n_live > 0)
              {
                ok = nm_stack_allocator_resize (stack, live[n_live - 1].mem, MAX (new_size, 1), &error);
                g_assert_false (ok);
                g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
                g_clear_error (&error);
                counts.failed++;
              }
            else
              {
                ok = nm_stack_allocator_resize (stack, &local, MAX (new_size, 1), &error);
                g_assert_false (ok);
                g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER);
                g_clear_error (&error);
                counts.failed++;
              }
          }
          break;

        case 7:
          if (n_markers < MAX_MARKERS)
            {
              nm_stack_allocator_push_marker (stack, &markers[n_markers].marker);
              markers[n_markers++].n_live = n_live;
            }
          break;

        case 8:
          {
            guint pick = fuzz_u8 (&in);

            if (n_markers > 0 && (pick & 1))
              {
                guint i = pick % n_markers;

                for (guint j = markers[i].n_live; j < n_live; j++)
                  {
                    fuzz_check (live[j].mem, live[j].size, live[j].serial);
                    if (n_dead < MAX_DEAD)
                      dead[n_dead++] = live[j].mem;
                  }
                g_assert_true (nm_stack_allocator_pop_to_marker (stack, &markers[i].marker, &error));
                g_assert_no_error (error);
                n_live = markers[i].n_live;
                for (guint j = i; j < n_markers; j++)
                  if (n_stale < MAX_MARKERS)
                    stale[n_stale++] = markers[j].marker;
                n_markers = i;
              }
            else if (n_stale > 0 && (pick & 2))
              {
                g_assert_false (nm_stack_allocator_pop_to_marker (stack, &stale[pick % n_stale], &error));
                g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
                g_clear_error (&error);
                counts.failed++;
              }
            else
              {
                g_assert_false (nm_stack_allocator_pop_to_marker (stack, &foreign, &error));
                g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER);
                g_clear_error (&error);
                counts.failed++;
              }
          }
          break;

        case 9:
          if ((fuzz_u8 (&in) & 7) == 0)
            {
              for (guint j = 0; j < n_live; j++)
                if (n_dead < MAX_DEAD)
                  dead[n_dead++] = live[j].mem;
              (op & 0x10) ? nm_allocator_reset (alloc) : nm_stack_allocator_reset (stack);
              counts.resets++;
              n_live = 0;
              for (guint j = 0; j < n_markers; j++)
                if (n_stale < MAX_MARKERS)
                  stale[n_stale++] = markers[j].marker;
              n_markers = 0;
            }
          break;

        default:
          {
            g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (alloc);
            guint64 sum = 0;

            for (guint i = 0; i < n_live; i++)
              {
                fuzz_check (live[i].mem, live[i].size, live[i].serial);
                sum += live[i].size;
              }
            if (stats->bytes_used < sum || (n_live == 0 && stats->bytes_used != 0))
              g_error ("bytes-used %" G_GUINT64_FORMAT ", %u live blocks of %" G_GUINT64_FORMAT " bytes",
                       stats->bytes_used, n_live, sum);
            if (nm_stack_allocator_get_depth (stack) != n_live)
              g_error ("depth %" G_GUINT64_FORMAT ", model has %u", nm_stack_allocator_get_depth (stack), n_live);
            if (nm_stack_allocator_get_marker_count (stack) != n_markers)
              g_error ("%u markers, model has %u", nm_stack_allocator_get_marker_count (stack), n_markers);
            fuzz_assert_counts (alloc, &slot->before, &counts);
          }
          break;
        }
    }

  for (guint i = n_live; i > 0; i--)
    {
      fuzz_check (live[i - 1].mem, live[i - 1].size, live[i - 1].serial);
      if (n_markers > 0 && markers[n_markers - 1].n_live == i)
        {
          g_assert_true (nm_stack_allocator_pop_to_marker (stack, &markers[--n_markers].marker, NULL));
          i++;
          continue;
        }
      FUZZ_EXPECT_CRITICALS (0, nm_stack_allocator_free (stack, live[i - 1].mem));
    }
  fuzz_assert_counts (alloc, &slot->before, &counts);
  fuzz_allocator_release (slot, fresh_check);

  return 0;
}
