/* fuzz-bump.c: libFuzzer target for the bump allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input chooses a bump allocator (capacity, growth, thread safety,
 * production or development preset) and then a sequence of allocations of
 * any size and alignment, frees of the most recent block (right and wrong
 * size), foreign frees, checkpoints, restores of live, stale and foreign
 * checkpoints, and resets, checked against a model of the live blocks in
 * allocation order. Built with -Dfuzzing=true (clang), run by the 'fuzz'
 * test suite.
 */

#include "fuzz-common.h"

#define MAX_CHECKPOINTS 8

typedef struct
{
  NmBumpCheckpoint checkpoint;
  guint            n_live;
  gboolean         alive;
} ModelCheckpoint;

/* @clean: nothing was allocated since the last reset. A free of the most
 * recent block gives back the block and its redzone, not the alignment
 * padding before it, so only a reset brings bytes-used back to 0. */
static void
assert_stats (NmAllocator     *alloc,
              const FuzzBlock *live,
              guint            n_live,
              gboolean         clean)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (alloc);
  guint64 sum = 0;

  for (guint i = 0; i < n_live; i++)
    sum += live[i].size;
  if (stats->bytes_used < sum || (clean && stats->bytes_used != 0))
    g_error ("bytes-used %" G_GUINT64_FORMAT " with %u live blocks of %" G_GUINT64_FORMAT " bytes",
             stats->bytes_used, n_live, sum);
  if (stats->bytes_peak < stats->bytes_used)
    g_error ("bytes-peak %" G_GUINT64_FORMAT " below bytes-used %" G_GUINT64_FORMAT,
             stats->bytes_peak, stats->bytes_used);
}

/* A reset gives back every chunk but the first, as a fresh allocator has. */
static gboolean
fresh_check (NmAllocator *alloc)
{
  return nm_bump_allocator_get_chunk_count (NM_BUMP_ALLOCATOR (alloc)) <= 1;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  FuzzInput in = { data, size, 0 };
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  static FuzzAllocatorTable table;
  static NmBumpAllocator *other;
  static NmBumpCheckpoint foreign;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;
  NmBumpAllocator *bump;
  guint64 key[FUZZ_KEY_WORDS];
  FuzzSlot *slot;
  FuzzCounts counts;
  FuzzBlock live[FUZZ_MAX_LIVE];
  ModelCheckpoint checkpoints[MAX_CHECKPOINTS];
  guint n_live = 0, n_checkpoints = 0;
  guint64 serial = 0;
  gsize capacity, max_capacity;
  gboolean thread_safe;
  guint8 flags;
  guint local = 0;
  gboolean clean = TRUE;

  flags = fuzz_u8 (&in);
  capacity = 64 + fuzz_u16 (&in) * 4;
  max_capacity = (flags & 2) ? capacity + (gsize) fuzz_u16 (&in) * 64 : 0;
  thread_safe = (flags & 4) != 0;

  builder = fuzz_builder (NM_ALLOCATOR_KIND_BUMP, flags & 1);
  nm_memory_config_builder_set_capacity (builder, capacity);
  nm_memory_config_builder_set_max_capacity (builder, max_capacity);
  nm_memory_config_builder_set_thread_safe (builder, thread_safe);
  config = nm_memory_config_builder_build (builder, &error);
  if (config == NULL)
    {
      g_assert_true (error->domain == NM_CONFIG_ERROR);
      return 0;
    }
  key[0] = flags & 7;
  key[1] = capacity;
  key[2] = max_capacity;
  key[3] = key[4] = 0;
  slot = fuzz_allocator_take (&table, key, config, NULL, fresh_check);
  alloc = slot->alloc;
  bump = NM_BUMP_ALLOCATOR (alloc);
  fuzz_counts_start (&counts, FALSE);

  /* A checkpoint of another allocator, restored by mistake: never
   * accepted, so the allocator it belongs to never changes. */
  if (other == NULL)
    {
      other = nm_bump_allocator_new (256, &error);
      g_assert_no_error (error);
      nm_bump_allocator_checkpoint (other, &foreign);
    }

  while (fuzz_more (&in))
    {
      guint8 op = fuzz_u8 (&in);

      switch (op % 8)
        {
        case 0:
        case 1:
        case 2:
          {
            gsize want = fuzz_size (&in);
            gsize alignment = fuzz_alignment (&in);
            guint8 *mem = (op & 0x10) ? nm_allocator_alloc (alloc, want, alignment, &error)
                                      : nm_bump_allocator_alloc (bump, want, alignment, &error);

            if (!fuzz_check_allocation (alloc, mem, want, alignment, &error))
              {
                counts.failed++;
                break;
              }
            counts.allocations++;
            fuzz_assert_disjoint (live, n_live, mem, want);
            fuzz_fill (mem, want, serial);
            clean = FALSE;
            if (n_live < FUZZ_MAX_LIVE)
              live[n_live++] = (FuzzBlock) { mem, want, alignment, serial };
            serial++;
          }
          break;

        case 3:
          /* Free of the most recent block: right size, or wrong size. */
          if (n_live > 0 && !thread_safe && serial == live[n_live - 1].serial + 1)
            {
              FuzzBlock *b = &live[n_live - 1];

              fuzz_check (b->mem, b->size, b->serial);
              if (op & 0x10)
                {
                  FUZZ_EXPECT_CRITICALS (1, nm_allocator_free (alloc, b->mem, b->size + 1, b->alignment));
                  break;
                }
              FUZZ_EXPECT_CRITICALS (0, nm_allocator_free (alloc, b->mem, b->size, b->alignment));
              n_live--;
              /* Checkpoints above the freed block would move the cursor forward. */
              for (guint i = 0; i < n_checkpoints; i++)
                if (checkpoints[i].n_live > n_live)
                  {
                    /* In the order they were taken: restores kill the later ones. */
                    memmove (&checkpoints[i], &checkpoints[i + 1],
                             (n_checkpoints - i - 1) * sizeof checkpoints[0]);
                    n_checkpoints--;
                    i--;
                  }
              /* The block before is not the most recent any more. */
              serial++;
            }
          else
            FUZZ_EXPECT_CRITICALS (1, nm_allocator_free (alloc, &local, sizeof local, 1));
          break;

        case 4:
          if (n_checkpoints < MAX_CHECKPOINTS)
            {
              ModelCheckpoint *c = &checkpoints[n_checkpoints++];

              nm_bump_allocator_checkpoint (bump, &c->checkpoint);
              c->n_live = n_live;
              c->alive = TRUE;
              /* A free may not cross a checkpoint: the block below it is
               * not the most recent any more. */
              serial++;
            }
          break;

        case 5:
          if (n_checkpoints > 0 && (op & 0x30) != 0x30)
            {
              guint i = fuzz_u8 (&in) % n_checkpoints;
              ModelCheckpoint *c = &checkpoints[i];
              gboolean ok = nm_bump_allocator_restore (bump, &c->checkpoint, &error);

              if (!c->alive)
                {
                  if (ok)
                    g_error ("stale checkpoint #%u restored", i);
                  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_LIFO_VIOLATION);
                  g_clear_error (&error);
                  break;
                }
              g_assert_no_error (error);
              g_assert_true (ok);
              for (guint j = 0; j < c->n_live; j++)
                fuzz_check (live[j].mem, live[j].size, live[j].serial);
              n_live = MIN (n_live, c->n_live);
              for (guint j = i + 1; j < n_checkpoints; j++)
                checkpoints[j].alive = FALSE;
              serial++;
            }
          else
            {
              g_assert_false (nm_bump_allocator_restore (bump, &foreign, &error));
              g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_FOREIGN_POINTER);
              g_clear_error (&error);
            }
          break;

        case 6:
          if ((fuzz_u8 (&in) & 7) == 0)
            {
              (op & 0x10) ? nm_allocator_reset (alloc) : nm_bump_allocator_reset (bump);
              counts.resets++;
              n_live = 0;
              clean = TRUE;
              for (guint j = 0; j < n_checkpoints; j++)
                checkpoints[j].alive = FALSE;
              serial++;
              assert_stats (alloc, live, n_live, clean);
            }
          break;

        default:
          for (guint i = 0; i < n_live; i++)
            fuzz_check (live[i].mem, live[i].size, live[i].serial);
          assert_stats (alloc, live, n_live, clean);
          fuzz_assert_counts (alloc, &slot->before, &counts);
          break;
        }
    }

  for (guint i = 0; i < n_live; i++)
    fuzz_check (live[i].mem, live[i].size, live[i].serial);
  assert_stats (alloc, live, n_live, clean);
  nm_allocator_reset (alloc);
  counts.resets++;
  assert_stats (alloc, live, 0, TRUE);
  fuzz_assert_counts (alloc, &slot->before, &counts);
  fuzz_allocator_release (slot, fresh_check);

  return 0;
}
