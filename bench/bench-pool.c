/* bench-pool.c: fixed-size blocks, 16 × 64 bytes taken and given back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mimalloc is loaded with dlopen (RTLD_LOCAL) and called through dlsym, so
 * it does not replace the process's malloc for the others. jemalloc cannot
 * be dlopen()ed (its initial-exec TLS needs static TLS space), so its rows
 * come from a second run of this program with jemalloc in LD_PRELOAD, which
 * measures the malloc rows only (NM_BENCH_MALLOC_ROWS_ONLY) and prints them.
 */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "bench.h"

#define BATCH 16
#define SIZE  64

/* One allocator as two calls on a context. */
typedef struct
{
  const char *label;
  gpointer  (*alloc) (gpointer ctx);
  void      (*free)  (gpointer ctx, gpointer mem);
  gpointer    ctx;
} Impl;

static gpointer glibc_alloc (gpointer ctx) { return malloc (SIZE); }
static void     glibc_free  (gpointer ctx, gpointer mem) { free (mem); }
static gpointer slice_alloc (gpointer ctx) { return g_slice_alloc (SIZE); }
static void     slice_free  (gpointer ctx, gpointer mem) { g_slice_free1 (SIZE, mem); }
static gpointer pool_alloc  (gpointer ctx) { return nm_pool_allocator_alloc (ctx, NULL); }
static void     pool_free   (gpointer ctx, gpointer mem) { nm_pool_allocator_free (ctx, mem); }

typedef struct
{
  void *(*malloc_fn) (size_t);
  void  (*free_fn)   (void *);
} Foreign;

static Foreign mimalloc;

static gpointer foreign_alloc (gpointer ctx) { return ((Foreign *) ctx)->malloc_fn (SIZE); }
static void     foreign_free  (gpointer ctx, gpointer mem) { ((Foreign *) ctx)->free_fn (mem); }

static gboolean
load_foreign (Foreign    *f,
              const char *soname,
              const char *malloc_name,
              const char *free_name)
{
  void *handle = dlopen (soname, RTLD_NOW | RTLD_LOCAL);

  if (handle == NULL)
    return FALSE;

  f->malloc_fn = (void *(*) (size_t)) dlsym (handle, malloc_name);
  f->free_fn = (void (*) (void *)) dlsym (handle, free_name);

  return f->malloc_fn != NULL && f->free_fn != NULL;
}

/* Single thread */

static void
run_impl (gpointer data,
          guint64  n)
{
  Impl *impl = data;
  void *ptrs[BATCH];

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          ptrs[j] = impl->alloc (impl->ctx);
          *(guint64 *) ptrs[j] = j;
        }
      bench_escape (ptrs);
      for (guint j = 0; j < BATCH; j++)
        impl->free (impl->ctx, ptrs[j]);
    }
}

static void
run_pool_direct (gpointer data,
                 guint64  n)
{
  NmPoolAllocator *pool = data;
  void *ptrs[BATCH];

  for (guint64 i = 0; i < n; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          ptrs[j] = nm_pool_allocator_alloc (pool, NULL);
          *(guint64 *) ptrs[j] = j;
        }
      bench_escape (ptrs);
      for (guint j = 0; j < BATCH; j++)
        nm_pool_allocator_free (pool, ptrs[j]);
    }
}

static void
run_pool_iface (gpointer data,
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
      for (guint j = 0; j < BATCH; j++)
        nm_allocator_free (alloc, ptrs[j], SIZE, 8);
    }
}

/* Two threads: each takes BATCH blocks per iteration and gives back three
 * quarters itself; the other quarter goes through a ring to the other
 * thread, which frees it (a ring that is full sends the block back home). */
#define RING_SIZE 4096

typedef struct
{
  gpointer slots[RING_SIZE];
  guint64  head __attribute__ ((aligned (64)));   /* written by the consumer */
  guint64  tail __attribute__ ((aligned (64)));   /* written by the producer */
} Ring;

typedef struct
{
  Impl    *impl;
  Ring    *out;
  Ring    *in;
  guint64  iterations;
  gint    *start;
} Side;

static gboolean
ring_push (Ring     *ring,
           gpointer  mem)
{
  guint64 tail = ring->tail;

  if (tail - __atomic_load_n (&ring->head, __ATOMIC_ACQUIRE) == RING_SIZE)
    return FALSE;
  ring->slots[tail % RING_SIZE] = mem;
  __atomic_store_n (&ring->tail, tail + 1, __ATOMIC_RELEASE);
  return TRUE;
}

static gpointer
ring_pop (Ring *ring)
{
  guint64 head = ring->head;
  gpointer mem;

  if (head == __atomic_load_n (&ring->tail, __ATOMIC_ACQUIRE))
    return NULL;
  mem = ring->slots[head % RING_SIZE];
  __atomic_store_n (&ring->head, head + 1, __ATOMIC_RELEASE);
  return mem;
}

static gpointer
side_run (gpointer data)
{
  Side *side = data;
  Impl *impl = side->impl;
  void *ptrs[BATCH];
  gpointer mem;

  while (!__atomic_load_n (side->start, __ATOMIC_ACQUIRE))
    ;

  for (guint64 i = 0; i < side->iterations; i++)
    {
      for (guint j = 0; j < BATCH; j++)
        {
          ptrs[j] = impl->alloc (impl->ctx);
          *(guint64 *) ptrs[j] = j;
        }
      bench_escape (ptrs);
      for (guint j = 0; j < BATCH; j++)
        if (j % 4 != 0 || !ring_push (side->out, ptrs[j]))
          impl->free (impl->ctx, ptrs[j]);
      while ((mem = ring_pop (side->in)) != NULL)
        impl->free (impl->ctx, mem);
    }

  return NULL;
}

/* ns per alloc+free pair of both threads together (aggregate throughput). */
static double
measure_two_threads (Impl    *impl,
                     guint64  iterations)
{
  double times[32];
  guint runs = MIN (bench_runs, G_N_ELEMENTS (times));

  for (guint r = 0; r < runs; r++)
    {
      g_autofree Ring *ab = g_new0 (Ring, 1);
      g_autofree Ring *ba = g_new0 (Ring, 1);
      gint start = 0;
      Side a = { impl, ab, ba, iterations, &start };
      Side b = { impl, ba, ab, iterations, &start };
      gpointer mem;

      times[r] = bench_two_threads (side_run, &a, &b, &start) / (double) (2 * iterations * BATCH);

      /* Blocks still in flight go back (from this thread). */
      while ((mem = ring_pop (ab)) != NULL)
        impl->free (impl->ctx, mem);
      while ((mem = ring_pop (ba)) != NULL)
        impl->free (impl->ctx, mem);
    }

  return bench_median (times, runs);
}

static NmPoolAllocator *
new_pool (const char *name,
          gboolean    thread_safe)
{
  g_autoptr(GError) error = NULL;
  NmPoolAllocator *pool = nm_pool_allocator_new_full (name, SIZE, 16, 4096, 1 << 20,
                                                      thread_safe, &error);

  if (pool == NULL)
    g_error ("%s", error->message);

  return pool;
}

/* In the child run: malloc is jemalloc's when it exports mallctl. */
static gboolean
malloc_is_jemalloc (void)
{
  return dlsym (RTLD_DEFAULT, "mallctl") != NULL;
}

/* Runs this program again with jemalloc preloaded; fills the two figures
 * and returns TRUE when that worked. */
static gboolean
measure_jemalloc (double *one_thread,
                  double *two_threads)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *runs = g_strdup_printf ("%u", bench_runs);
  g_autofree char *out = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  const char *argv[] = { self_exe, "--only", "pool", "--runs", runs,
                         bench_target_seconds < 0.05 ? "--quick" : NULL, NULL };
  const char *line;
  int status = 0;

  if (self_exe == NULL)
    return FALSE;

  envp = g_environ_setenv (envp, "LD_PRELOAD", "libjemalloc.so.2", TRUE);
  envp = g_environ_setenv (envp, "NM_BENCH_MALLOC_ROWS_ONLY", "1", TRUE);

  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    return FALSE;

  line = strstr (out, "malloc-rows ");
  return line != NULL && sscanf (line, "malloc-rows %lf %lf", one_thread, two_threads) == 2;
}

void
bench_pool_run (void)
{
  g_autoptr(NmPoolAllocator) pool = new_pool ("bench", FALSE);
  g_autoptr(NmPoolAllocator) pool_ts = new_pool ("bench-ts", TRUE);
  g_autoptr(NmPoolAllocator) pool_ts2 = new_pool ("bench-ts-2", TRUE);
  gboolean have_mi = load_foreign (&mimalloc, "libmimalloc.so.2", "mi_malloc", "mi_free");
  double je_one = 0, je_two = 0;
  gboolean have_je;
  Impl glibc = { "glibc malloc + free", glibc_alloc, glibc_free, NULL };
  Impl slice = { "GSlice (g_slice_alloc + g_slice_free1)", slice_alloc, slice_free, NULL };
  Impl mi = { "mimalloc (mi_malloc + mi_free)", foreign_alloc, foreign_free, &mimalloc };
  Impl ts2 = { "NmPoolAllocator thread-safe", pool_alloc, pool_free, pool_ts2 };
  guint64 iterations = bench_target_seconds < 0.05 ? 2000 : 200000;
  BenchMallocPattern malloc_pattern = { BATCH, SIZE, FALSE };

  if (g_getenv ("NM_BENCH_MALLOC_ROWS_ONLY") != NULL)
    {
      /* The child run of measure_jemalloc(): the malloc rows, quietly. */
      double one, two;

      if (!malloc_is_jemalloc ())
        exit (1);
      bench_quiet = TRUE;
      one = bench_row ("malloc", bench_run_malloc, &malloc_pattern, BATCH);
      two = measure_two_threads (&glibc, iterations);
      printf ("malloc-rows %f %f\n", one, two);
      exit (0);
    }

  have_je = measure_jemalloc (&je_one, &je_two);

  bench_group_begin ("pool: 16 x 64 B alloc then free, one thread",
                     "each iteration takes 16 blocks of 64 bytes, writes each, and gives "
                     "them back; one operation is an alloc+free pair; the pool has its "
                     "hardening on (encoded, validated links and the double-free check)");
  bench_row ("glibc malloc + free", bench_run_malloc, &malloc_pattern, BATCH);
  bench_row ("NmPoolAllocator direct", run_pool_direct, pool, BATCH);
  bench_row ("NmPoolAllocator via NmAllocator", run_pool_iface, NM_ALLOCATOR (pool), BATCH);
  bench_row ("NmPoolAllocator thread-safe, one thread", run_pool_direct, pool_ts, BATCH);
  bench_row (slice.label, run_impl, &slice, BATCH);
  if (have_mi)
    bench_row (mi.label, run_impl, &mi, BATCH);
  else
    g_print ("(mimalloc skipped: libmimalloc.so.2 not found)\n");
  if (have_je)
    bench_row_value ("jemalloc (malloc + free, LD_PRELOAD run)", je_one);
  else
    g_print ("(jemalloc skipped: a run with libjemalloc.so.2 preloaded did not work)\n");
  bench_group_end ();

  bench_group_begin ("pool: 2 threads, a quarter of the frees cross threads",
                     "two threads each take 16 blocks of 64 bytes per iteration and give "
                     "back 12; the other 4 go through a ring to the other thread, which "
                     "frees them; ns per alloc+free pair of both threads together");
  bench_row_value (glibc.label, measure_two_threads (&glibc, iterations));
  bench_row_value (ts2.label, measure_two_threads (&ts2, iterations));
  bench_row_value (slice.label, measure_two_threads (&slice, iterations));
  if (have_mi)
    bench_row_value (mi.label, measure_two_threads (&mi, iterations));
  if (have_je)
    bench_row_value ("jemalloc (malloc + free, LD_PRELOAD run)", je_two);
  bench_group_end ();
}
