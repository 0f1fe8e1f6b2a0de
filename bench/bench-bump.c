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

void
bench_bump_run (void)
{
  g_autoptr(NmAllocator) bump = new_bump (TRUE);
  g_autoptr(NmAllocator) bump_nostats = new_bump (FALSE);
  g_autofree guint8 *region = g_malloc (BATCH * SIZE);
  InlineArena inline_arena = { region, region, region + BATCH * SIZE };
  BenchMallocPattern malloc_pattern = { BATCH, SIZE, FALSE };
  struct obstack ob;
  apr_pool_t *apr = NULL;
  void *talloc_ctx = talloc_new (NULL);

  obstack_init (&ob);
  apr_initialize ();
  apr_pool_create (&apr, NULL);

  bench_group_begin ("bump: 100 x 64 B then release",
                     "Allocate 100 blocks of 64 bytes (8-aligned, first word written), "
                     "then release them all (free each / reset / clear); ns per allocation.");
  bench_row ("glibc malloc + free", bench_run_malloc, &malloc_pattern, BATCH);
  bench_row ("inline pointer bump (hand-rolled arena)", run_inline, &inline_arena, BATCH);
  bench_row ("obstack", run_obstack, &ob, BATCH);
  bench_row ("APR pool (apr_palloc + clear)", run_apr, apr, BATCH);
  bench_row ("talloc (children of one context)", run_talloc, talloc_ctx, BATCH);
  bench_row ("NmBumpAllocator direct", run_bump_direct, bump, BATCH);
  bench_row ("NmBumpAllocator direct, stats off", run_bump_direct, bump_nostats, BATCH);
  bench_row ("NmBumpAllocator direct, out-of-line call", run_bump_call, bump, BATCH);
  bench_row ("NmBumpAllocator via NmAllocator", run_bump_iface, bump, BATCH);
  bench_row ("NmBumpAllocator via NmAllocator, stats off", run_bump_iface, bump_nostats, BATCH);
  bench_group_end ();

  obstack_free (&ob, NULL);
  apr_pool_destroy (apr);
  apr_terminate ();
  talloc_free (talloc_ctx);
}
