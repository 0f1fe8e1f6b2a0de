/* bench-stack.c: LIFO allocation, 100 × 64 bytes pushed then popped, and
 * the cost of popping to a marker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <time.h>
#include <obstack.h>

#include <nebula-memory/nebula-memory.h>

#include "bench.h"

#define BATCH 100
#define SIZE 64

#define obstack_chunk_alloc malloc
#define obstack_chunk_free free

/* Push / pop */

static void
run_obstack (gpointer data,
             guint64  n)
{
  struct obstack *ob = data;
  void *ptrs[BATCH];

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          ptrs[j] = obstack_alloc (ob, SIZE);
          *(guint64 *) ptrs[j] = j;
        }
      bench_escape (ptrs);
      /* obstack_free releases the object and everything after it: a pop,
       * without any check that it is the top. */
      for (guint j = BATCH; j-- > 0;)
        obstack_free (ob, ptrs[j]);
    }
}

static void
run_stack_direct (gpointer data,
                  guint64  n)
{
  NmStackAllocator *stack = data;
  void *ptrs[BATCH];

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          ptrs[j] = nm_stack_allocator_alloc (stack, SIZE, 8, NULL);
          *(guint64 *) ptrs[j] = j;
        }
      bench_escape (ptrs);
      for (guint j = BATCH; j-- > 0;)
        nm_stack_allocator_free (stack, ptrs[j]);
    }
}

static void
run_stack_iface (gpointer data,
                 guint64  n)
{
  NmAllocator *alloc = data;
  void *ptrs[BATCH];

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          ptrs[j] = nm_allocator_alloc (alloc, SIZE, 8, NULL);
          *(guint64 *) ptrs[j] = j;
        }
      bench_escape (ptrs);
      for (guint j = BATCH; j-- > 0;)
        nm_allocator_free (alloc, ptrs[j], SIZE, 8);
    }
}

static void
run_stack_marker (gpointer data,
                  guint64  n)
{
  NmStackAllocator *stack = data;

  for (guint64 i = 0; i < n; i++)
    {
      NmStackMarker marker;

      nm_stack_allocator_push_marker (stack, &marker);
      for (guint j = 0; j < BATCH; j++)
        {
          void *p = nm_stack_allocator_alloc (stack, SIZE, 8, NULL);
          bench_escape (p);
          *(guint64 *) p = j;
        }
      nm_stack_allocator_pop_to_marker (stack, &marker, NULL);
    }
}

/* Pop to marker: K frames of @released allocations each are pushed
 * (untimed), then the K markers are popped innermost first (timed), so the
 * time per pop is measured apart from the allocations it releases. */

#define FRAMES 256

static double
now_ns (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec * 1e9 + (double) t.tv_nsec;
}

/* ns per release of one frame of @released allocations, by popping its
 * marker or, with @one_by_one, by freeing each allocation. */
static double
measure_frame_release (NmStackAllocator *stack,
                       guint             released,
                       gboolean          one_by_one)
{
  g_autofree double *samples = g_new0 (double, bench_runs);
  g_autofree NmStackMarker *markers = g_new (NmStackMarker, FRAMES);
  g_autofree gpointer *tops = g_new (gpointer, (gsize) FRAMES * released);
  guint rounds = MAX (1, (guint) (bench_target_seconds * 4e5 / released));

  for (guint r = 0; r < bench_runs; r++)
    {
      double timed = 0;

      for (guint round = 0; round < rounds; round++)
        {
          double t0;

          for (guint k = 0; k < FRAMES; k++)
            {
              nm_stack_allocator_push_marker (stack, &markers[k]);
              for (guint j = 0; j < released; j++)
                tops[(gsize) k * released + j] = nm_stack_allocator_alloc (stack, 8, 8, NULL);
            }

          t0 = now_ns ();
          for (guint k = FRAMES; k-- > 0;)
            {
              if (one_by_one)
                for (guint j = released; j-- > 0;)
                  nm_stack_allocator_free (stack, tops[(gsize) k * released + j]);
              nm_stack_allocator_pop_to_marker (stack, &markers[k], NULL);
            }
          timed += now_ns () - t0;
        }

      samples[r] = timed / ((double) rounds * FRAMES);
    }

  return bench_median (samples, bench_runs);
}

static NmAllocator *
new_stack (gsize capacity)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_name (builder, "bench");
  nm_memory_config_builder_set_capacity (builder, capacity);
  config = nm_memory_config_builder_build (builder, NULL);

  return nm_allocator_new_from_config (config, NULL);
}

void
bench_stack_run (void)
{
  g_autoptr(NmAllocator) stack = new_stack (64 * 1024);
  g_autoptr(NmAllocator) deep = new_stack ((gsize) FRAMES * 1000 * 16 + 4096);
  BenchMallocPattern malloc_pattern = { BATCH, SIZE, TRUE };
  struct obstack ob;

  obstack_init (&ob);

  bench_group_begin ("stack: 100 x 64 B pushed, then popped in reverse",
                     "Push 100 blocks of 64 bytes (8-aligned, first word written), then "
                     "pop them newest first (free each / obstack_free / pop to a marker); "
                     "ns per push+pop. NmStackAllocator checks every pop is the top.");
  bench_row ("glibc malloc + free", bench_run_malloc, &malloc_pattern, BATCH);
  bench_row ("obstack (obstack_free each, unchecked)", run_obstack, &ob, BATCH);
  bench_row ("NmStackAllocator direct (LIFO-checked)", run_stack_direct, stack, BATCH);
  bench_row ("NmStackAllocator via NmAllocator", run_stack_iface, stack, BATCH);
  bench_row ("NmStackAllocator, one pop to a marker", run_stack_marker, stack, BATCH);
  bench_group_end ();

  bench_group_begin ("stack: pop to marker vs allocations released",
                     "Release one frame of N allocations of 8 bytes: pop to its marker, "
                     "timed apart from the pushes; ns per frame released. Constant "
                     "across N means O(1).");
  bench_row_value ("pop to marker, N = 10",
                   measure_frame_release (NM_STACK_ALLOCATOR (deep), 10, FALSE));
  bench_row_value ("pop to marker, N = 100",
                   measure_frame_release (NM_STACK_ALLOCATOR (deep), 100, FALSE));
  bench_row_value ("pop to marker, N = 1000",
                   measure_frame_release (NM_STACK_ALLOCATOR (deep), 1000, FALSE));
  bench_row_value ("free each, N = 1000 (for contrast)",
                   measure_frame_release (NM_STACK_ALLOCATOR (deep), 1000, TRUE));
  bench_group_end ();

  obstack_free (&ob, NULL);
}
