/* bench-bump.c: region allocation, 100 × 64 bytes then release
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <obstack.h>
#include <apr_pools.h>
#include <talloc.h>

#include <nebula-memory/nebula-memory.h>

#include "bench.h"

#define BATCH 100
#define SIZE 64

#define obstack_chunk_alloc malloc
#define obstack_chunk_free free

/* The floor: a hand-rolled arena (cursor and limit in a struct, as any
 * arena that outlives one function keeps them) bumped inline in the loop. */
typedef struct
{
  guint8 *base;
  guint8 *cursor;
  guint8 *limit;
} InlineArena;

static void
run_inline (gpointer data,
            guint64  n)
{
  InlineArena *arena = data;

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          guint8 *p = (guint8 *) (((guintptr) arena->cursor + 7) & ~(guintptr) 7);

          if (G_UNLIKELY (SIZE > (gsize) (arena->limit - p)))
            abort ();
          arena->cursor = p + SIZE;
          bench_escape (p);
          *(guint64 *) p = j;
        }
      arena->cursor = arena->base;
    }
}

static void
run_obstack (gpointer data,
             guint64  n)
{
  struct obstack *ob = data;

  for (guint64 i = 0; i < n; i++)
    {
      void *first = NULL;

      for (guint j = 0; j < BATCH; j++)
        {
          void *p = obstack_alloc (ob, SIZE);
          if (j == 0)
            first = p;
          bench_escape (p);
          *(guint64 *) p = j;
        }
      obstack_free (ob, first);
    }
}

static void
run_apr (gpointer data,
         guint64  n)
{
  apr_pool_t *pool = data;

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          void *p = apr_palloc (pool, SIZE);
          bench_escape (p);
          *(guint64 *) p = j;
        }
      apr_pool_clear (pool);
    }
}

static void
run_talloc (gpointer data,
            guint64  n)
{
  void *ctx = data;

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          void *p = talloc_size (ctx, SIZE);
          bench_escape (p);
          *(guint64 *) p = j;
        }
      talloc_free_children (ctx);
    }
}

static void
run_bump_direct (gpointer data,
                 guint64  n)
{
  NmBumpAllocator *arena = data;

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          void *p = nm_bump_allocator_alloc (arena, SIZE, 8, NULL);
          bench_escape (p);
          *(guint64 *) p = j;
        }
      nm_bump_allocator_reset (arena);
    }
}

static void
run_bump_call (gpointer data,
               guint64  n)
{
  NmBumpAllocator *arena = data;

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          /* Parenthesised: the exported function, not the inline fast path. */
          void *p = (nm_bump_allocator_alloc) (arena, SIZE, 8, NULL);
          bench_escape (p);
          *(guint64 *) p = j;
        }
      nm_bump_allocator_reset (arena);
    }
}

static void
run_bump_iface (gpointer data,
                guint64  n)
{
  NmAllocator *alloc = data;

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          void *p = nm_allocator_alloc (alloc, SIZE, 8, NULL);
          bench_escape (p);
          *(guint64 *) p = j;
        }
      nm_allocator_reset (alloc);
    }
}

static NmAllocator *
new_bump (gboolean track_stats)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_name (builder, "bench");
  nm_memory_config_builder_set_capacity (builder, 64 * 1024);
  nm_memory_config_builder_set_track_stats (builder, track_stats);
  config = nm_memory_config_builder_build (builder, NULL);

  return nm_allocator_new_from_config (config, NULL);
}

/* Where an object lands decides which allocations 4K-alias its fields
 * (a store to the block, then a load of the cursor at the same page
 * offset), which moves a microbenchmark of one object by 10-20 %. To
 * compare settings rather than placements, measure several instances and
 * take the median. */
#define N_INSTANCES 5

static double
measure_instances (gboolean  track_stats,
                   BenchFunc func)
{
  NmAllocator *instances[N_INSTANCES];
  double ns[N_INSTANCES];

  for (guint i = 0; i < N_INSTANCES; i++)
    instances[i] = new_bump (track_stats);
  for (guint i = 0; i < N_INSTANCES; i++)
    ns[i] = bench_measure (func, instances[i], BATCH);
  for (guint i = 0; i < N_INSTANCES; i++)
    g_object_unref (instances[i]);

  return bench_median (ns, N_INSTANCES);
}

/* The floor, placed like an allocator: arena and region on the heap, the
 * median over as many instances. */
static double
measure_inline (void)
{
  InlineArena *arenas[N_INSTANCES];
  double ns[N_INSTANCES];

  for (guint i = 0; i < N_INSTANCES; i++)
    {
      guint8 *region = g_malloc (64 * 1024);

      arenas[i] = g_new0 (InlineArena, 1);
      *arenas[i] = (InlineArena) { region, region, region + BATCH * SIZE };
    }
  for (guint i = 0; i < N_INSTANCES; i++)
    ns[i] = bench_measure (run_inline, arenas[i], BATCH);
  for (guint i = 0; i < N_INSTANCES; i++)
    {
      g_free (arenas[i]->base);
      g_free (arenas[i]);
    }

  return bench_median (ns, N_INSTANCES);
}

void
bench_bump_run (void)
{
  BenchMallocPattern malloc_pattern = { BATCH, SIZE, FALSE };
  struct obstack ob;
  apr_pool_t *apr = NULL;
  void *talloc_ctx = talloc_new (NULL);

  obstack_init (&ob);
  apr_initialize ();
  apr_pool_create (&apr, NULL);

  bench_group_begin ("bump: 100 x 64 B then release",
                     "Allocate 100 blocks of 64 bytes (8-aligned, first word written), "
                     "then release them all (free each / reset / clear); ns per allocation. "
                     "NmBumpAllocator and floor rows: median over 5 instances.");
  bench_row ("glibc malloc + free", bench_run_malloc, &malloc_pattern, BATCH);
  bench_row_value ("inline pointer bump (hand-rolled arena)", measure_inline ());
  bench_row ("obstack", run_obstack, &ob, BATCH);
  bench_row ("APR pool (apr_palloc + clear)", run_apr, apr, BATCH);
  bench_row ("talloc (children of one context)", run_talloc, talloc_ctx, BATCH);
  bench_row_value ("NmBumpAllocator direct", measure_instances (TRUE, run_bump_direct));
  bench_row_value ("NmBumpAllocator direct, stats off", measure_instances (FALSE, run_bump_direct));
  bench_row_value ("NmBumpAllocator direct, out-of-line call", measure_instances (TRUE, run_bump_call));
  bench_row_value ("NmBumpAllocator via NmAllocator", measure_instances (TRUE, run_bump_iface));
  bench_row_value ("NmBumpAllocator via NmAllocator, stats off", measure_instances (FALSE, run_bump_iface));
  bench_group_end ();

  obstack_free (&ob, NULL);
  apr_pool_destroy (apr);
  apr_terminate ();
  talloc_free (talloc_ctx);
}
