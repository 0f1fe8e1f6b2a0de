/* fuzz-pool.c: libFuzzer target for the pool allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input chooses a pool (block size and alignment, count, growth,
 * thread safety, production or development preset) and then a sequence of
 * allocations, frees in any order, double, foreign, interior and wrong-size
 * frees, resets and trims, checked against a model of the live blocks.
 * Built with -Dfuzzing=true (clang), run by the 'fuzz' test suite.
 */

#include "fuzz-common.h"

#define MAX_DEAD 16

static void
assert_stats (NmPoolAllocator *pool,
              guint            n_live,
              gsize            block_size)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));

  if (stats->bytes_used != (guint64) n_live * block_size)
    g_error ("bytes-used %" G_GUINT64_FORMAT ", model has %u blocks of %" G_GSIZE_FORMAT,
             stats->bytes_used, n_live, block_size);
  if (nm_pool_allocator_get_blocks_in_use (pool) != n_live)
    g_error ("%" G_GUINT64_FORMAT " blocks in use, model has %u",
             nm_pool_allocator_get_blocks_in_use (pool), n_live);
}

/* After a reset and a trim: no block in use, only the first slab held. */
static gboolean
fresh_check (NmAllocator *alloc)
{
  NmPoolAllocator *pool = NM_POOL_ALLOCATOR (alloc);

  if (nm_pool_allocator_get_blocks_in_use (pool) != 0)
    g_error ("%" G_GUINT64_FORMAT " blocks in use after a reset",
             nm_pool_allocator_get_blocks_in_use (pool));

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
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;
  NmPoolAllocator *pool;
  guint64 key[FUZZ_KEY_WORDS];
  FuzzSlot *slot;
  FuzzCounts counts;
  FuzzBlock live[FUZZ_MAX_LIVE];
  guint8 *dead[MAX_DEAD];
  guint n_live = 0, n_dead = 0;
  guint64 serial = 0;
  gsize block_size, block_alignment, block_count, max_block_count;
  guint8 flags;
  guint local = 0;

  flags = fuzz_u8 (&in);
  block_size = 1 + (fuzz_u16 (&in) % 512);
  block_alignment = (gsize) 1 << (fuzz_u8 (&in) % 8);
  block_count = 1 + fuzz_u8 (&in) % 32;
  max_block_count = (flags & 2) ? block_count + fuzz_u8 (&in) % 64 : 0;

  builder = fuzz_builder (NM_ALLOCATOR_KIND_POOL, flags & 1);
  nm_memory_config_builder_set_block_size (builder, block_size);
  nm_memory_config_builder_set_block_alignment (builder, block_alignment);
  nm_memory_config_builder_set_block_count (builder, block_count);
  nm_memory_config_builder_set_max_block_count (builder, max_block_count);
  nm_memory_config_builder_set_thread_safe (builder, (flags & 4) != 0);
  config = nm_memory_config_builder_build (builder, &error);
  if (config == NULL)
    {
      g_assert_true (error->domain == NM_CONFIG_ERROR);
      return 0;
    }
  key[0] = flags & 7;
  key[1] = block_size;
  key[2] = block_alignment;
  key[3] = block_count;
  key[4] = max_block_count;
  slot = fuzz_allocator_take (&table, key, config, NULL, fresh_check);
  alloc = slot->alloc;
  pool = NM_POOL_ALLOCATOR (alloc);
  fuzz_counts_start (&counts, TRUE);
  /* Sizes round up to the pool's granule; what it reports is what a block holds. */
  g_assert_cmpuint (nm_pool_allocator_get_block_size (pool), >=, block_size);
  block_size = nm_pool_allocator_get_block_size (pool);
  g_assert_cmpuint (nm_pool_allocator_get_block_alignment (pool), >=, block_alignment);

  while (fuzz_more (&in))
    {
      guint8 op = fuzz_u8 (&in);
      guint pick = fuzz_u8 (&in);

      switch (op % 10)
        {
        case 0:
        case 1:
        case 2:
          {
            gboolean iface = (op & 0x10) != 0;
            gsize want = MIN (block_size, pick);
            guint8 *mem = iface ? nm_allocator_alloc (alloc, want, 1, &error)
                                : nm_pool_allocator_alloc (pool, &error);

            if (iface && want == 0)
              {
                g_assert_null (mem);
                g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
                g_clear_error (&error);
                counts.failed++;
                break;
              }
            if (mem == NULL)
              {
                gsize limit = MAX (block_count, max_block_count);

                g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
                /* Exhaustion only when the model agrees. */
                if (n_live < limit)
                  g_error ("pool exhausted with %u of %" G_GSIZE_FORMAT " blocks in use",
                           n_live, limit);
                g_clear_error (&error);
                counts.failed++;
                break;
              }
            g_assert_no_error (error);
            counts.allocations++;
            if ((guintptr) mem % block_alignment != 0)
              g_error ("block %p not aligned to %" G_GSIZE_FORMAT, mem, block_alignment);
            if (!nm_allocator_owns (alloc, mem))
              g_error ("pool does not own its block %p", mem);
            if (n_live == FUZZ_MAX_LIVE)
              {
                /* The model is full: give it straight back. */
                nm_pool_allocator_free (pool, mem);
                counts.frees++;
                break;
              }
            fuzz_assert_disjoint (live, n_live, mem, block_size);
            fuzz_fill (mem, block_size, serial);
            live[n_live++] = (FuzzBlock) { mem, block_size, block_alignment, serial++ };
            for (guint i = 0; i < n_dead; i++)
              if (dead[i] == mem)
                dead[i] = dead[--n_dead];
          }
          break;

        case 3:
        case 4:
          if (n_live > 0)
            {
              guint i = pick % n_live;
              FuzzBlock b = live[i];

              fuzz_check (b.mem, b.size, b.serial);
              live[i] = live[--n_live];
              if (op & 0x10)
                FUZZ_EXPECT_CRITICALS (0, nm_allocator_free (alloc, b.mem, MIN (block_size, pick + 1), 1));
              else
                FUZZ_EXPECT_CRITICALS (0, nm_pool_allocator_free (pool, b.mem));
              counts.frees++;
              if (n_dead < MAX_DEAD)
                dead[n_dead++] = b.mem;
            }
          break;

        case 5:
          /* Double free, or a free after reset or trim. */
          if (n_dead > 0)
            FUZZ_EXPECT_CRITICALS (1, nm_pool_allocator_free (pool, dead[pick % n_dead]));
          break;

        case 6:
          /* Interior and foreign pointers, a wrong layout. */
          if (n_live > 0 && block_size > 1 && (op & 0x30) != 0x30)
            {
              FuzzBlock *b = &live[pick % n_live];
              gsize offset = 1 + fuzz_u8 (&in) % (block_size - 1);

              FUZZ_EXPECT_CRITICALS (1, nm_pool_allocator_free (pool, b->mem + offset));
            }
          else if (n_live > 0 && (op & 0x20))
            FUZZ_EXPECT_CRITICALS (1, nm_allocator_free (alloc, live[pick % n_live].mem,
                                                         block_size + 1 + pick, 1));
          else
            FUZZ_EXPECT_CRITICALS (1, nm_pool_allocator_free (pool, &local));
          break;

        case 7:
          if ((pick & 7) == 0)
            {
              for (guint i = 0; i < n_live; i++)
                {
                  fuzz_check (live[i].mem, live[i].size, live[i].serial);
                  if (n_dead < MAX_DEAD)
                    dead[n_dead++] = live[i].mem;
                }
              n_live = 0;
              counts.resets++;
              if (op & 0x10)
                nm_allocator_reset (alloc);
              else
                nm_pool_allocator_reset (pool);
            }
          break;

        case 8:
          (op & 0x10) ? nm_allocator_trim (alloc) : nm_pool_allocator_trim (pool);
          for (guint i = 0; i < n_live; i++)
            fuzz_check (live[i].mem, live[i].size, live[i].serial);
          break;

        default:
          assert_stats (pool, n_live, block_size);
          fuzz_assert_counts (alloc, &slot->before, &counts);
          break;
        }
    }

  for (guint i = 0; i < n_live; i++)
    {
      fuzz_check (live[i].mem, live[i].size, live[i].serial);
      FUZZ_EXPECT_CRITICALS (0, nm_pool_allocator_free (pool, live[i].mem));
      counts.frees++;
    }
  assert_stats (pool, 0, block_size);
  fuzz_assert_counts (alloc, &slot->before, &counts);
  fuzz_allocator_release (slot, fresh_check);

  return 0;
}
