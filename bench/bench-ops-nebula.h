/* bench-ops-nebula.h: nebula-memory's allocators as candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Direct rows call the inline entry points a caller that knows the type
 * uses (nm_bump_allocator_alloc, nm_pool_allocator_alloc/free,
 * nm_stack_allocator_alloc/free); "via NmAllocator" rows call
 * nm_allocator_alloc/free on the same objects. Blocks are asked 16-byte
 * aligned, what malloc() guarantees the peers' users.
 *
 * The pool has one block size. At 64 B it is one pool of 64-byte blocks;
 * at mixed sizes, six pools of 16, 32, 64, 128, 256 and 512 bytes (size
 * classes, the block size the next power of two), picked per call.
 */

#pragma once

#include <nebula-memory/nebula-memory.h>

#include "bench-candidates.h"

#define BENCH_ALIGN      16
#define BENCH_N_CLASSES  6
#define BENCH_MAX_BLOCKS ((gsize) 1 << 22)

/* Every allocator grows to what the largest pattern keeps live. */
static inline NmBumpAllocator *
bench_new_bump (gboolean thread_safe)
{
  return nm_bump_allocator_new_full ("bench", 1 << 20, (gsize) 16 << 30, thread_safe, NULL);
}

static inline NmPoolAllocator *
bench_new_pool (gsize    block_size,
                gboolean thread_safe)
{
  return nm_pool_allocator_new_full ("bench", block_size, BENCH_ALIGN, 1024,
                                     BENCH_MAX_BLOCKS, thread_safe, NULL);
}

/* Bump: reset to release, checkpoint/restore for scopes */

static inline gpointer bench_nm_bump_open (gsize m G_GNUC_UNUSED, guint x G_GNUC_UNUSED) { return bench_new_bump (FALSE); }
static inline void bench_nm_close (gpointer c) { g_object_unref (c); }
static inline gpointer bench_nm_bump_alloc (gpointer c, gpointer p G_GNUC_UNUSED, gsize size) { return nm_bump_allocator_alloc (c, size, BENCH_ALIGN, NULL); }
static inline void bench_nm_bump_release (gpointer c) { nm_bump_allocator_reset (c); }

G_STATIC_ASSERT (sizeof (NmBumpCheckpoint) <= sizeof (BenchMark));

static inline gpointer
bench_nm_bump_scope_begin (gpointer   c,
                           BenchMark *m)
{
  nm_bump_allocator_checkpoint (c, (NmBumpCheckpoint *) m);
  return c;
}

static inline void
bench_nm_bump_scope_end (gpointer   c,
                         gpointer   inner G_GNUC_UNUSED,
                         BenchMark *m)
{
  nm_bump_allocator_restore (c, (const NmBumpCheckpoint *) m, NULL);
}

static const BenchOps bench_ops_nm_bump = {
  .open = bench_nm_bump_open, .close = bench_nm_close,
  .alloc = bench_nm_bump_alloc, .release = bench_nm_bump_release,
  .scope_begin = bench_nm_bump_scope_begin, .scope_end = bench_nm_bump_scope_end,
};

/* Pool of 64-byte blocks */

static inline gpointer bench_nm_pool_open (gsize m G_GNUC_UNUSED, guint x G_GNUC_UNUSED) { return bench_new_pool (64, FALSE); }
static inline gpointer bench_nm_pool_ts_open (gsize m G_GNUC_UNUSED, guint x G_GNUC_UNUSED) { return bench_new_pool (64, TRUE); }
static inline gpointer bench_nm_pool_alloc (gpointer c, gpointer p G_GNUC_UNUSED, gsize s G_GNUC_UNUSED) { return nm_pool_allocator_alloc (c, NULL); }
static inline void bench_nm_pool_free (gpointer c, gpointer mem, gsize s G_GNUC_UNUSED) { nm_pool_allocator_free (c, mem); }

static const BenchOps bench_ops_nm_pool = {
  .open = bench_nm_pool_open, .close = bench_nm_close,
  .alloc = bench_nm_pool_alloc, .free = bench_nm_pool_free,
};

static const BenchOps bench_ops_nm_pool_ts = {
  .open = bench_nm_pool_ts_open, .close = bench_nm_close,
  .alloc = bench_nm_pool_alloc, .free = bench_nm_pool_free,
};

/* The thread-safe pool used by one thread: the cost of its mode. */
static const BenchOps bench_ops_nm_pool_ts_one = {
  .open = bench_nm_pool_ts_open, .close = bench_nm_close,
  .alloc = bench_nm_pool_alloc, .free = bench_nm_pool_free,
};

/* Size classes: six pools */

typedef struct
{
  NmPoolAllocator *pools[BENCH_N_CLASSES];
} BenchNmClasses;

static inline guint
bench_size_class (gsize size)
{
  /* 16 → 0, 17-32 → 1, ..., 257-512 → 5 */
  return size <= 16 ? 0 : (guint) g_bit_storage (size - 1) - 4;
}

static inline gpointer
bench_nm_classes_open_full (gboolean thread_safe)
{
  BenchNmClasses *k = g_new0 (BenchNmClasses, 1);

  for (guint i = 0; i < BENCH_N_CLASSES; i++)
    k->pools[i] = bench_new_pool ((gsize) 16 << i, thread_safe);
  return k;
}

static inline void
bench_nm_classes_close (gpointer c)
{
  BenchNmClasses *k = c;

  for (guint i = 0; i < BENCH_N_CLASSES; i++)
    g_object_unref (k->pools[i]);
  g_free (k);
}

static inline gpointer bench_nm_classes_open (gsize m G_GNUC_UNUSED, guint x G_GNUC_UNUSED) { return bench_nm_classes_open_full (FALSE); }
static inline gpointer bench_nm_classes_ts_open (gsize m G_GNUC_UNUSED, guint x G_GNUC_UNUSED) { return bench_nm_classes_open_full (TRUE); }
static inline gpointer bench_nm_classes_alloc (gpointer c, gpointer p G_GNUC_UNUSED, gsize size) { return nm_pool_allocator_alloc (((BenchNmClasses *) c)->pools[bench_size_class (size)], NULL); }
static inline void bench_nm_classes_free (gpointer c, gpointer mem, gsize size) { nm_pool_allocator_free (((BenchNmClasses *) c)->pools[bench_size_class (size)], mem); }

static const BenchOps bench_ops_nm_pool_classes = {
  .open = bench_nm_classes_open, .close = bench_nm_classes_close,
  .alloc = bench_nm_classes_alloc, .free = bench_nm_classes_free,
};

static const BenchOps bench_ops_nm_pool_ts_classes = {
  .open = bench_nm_classes_ts_open, .close = bench_nm_classes_close,
  .alloc = bench_nm_classes_alloc, .free = bench_nm_classes_free,
};

/* Stack: LIFO frees, reset to release; sized for what the pattern keeps */

static inline gpointer
bench_nm_stack_open (gsize max_live_bytes,
                     guint x G_GNUC_UNUSED)
{
  return nm_stack_allocator_new_full ("bench", max_live_bytes + (1 << 20), NULL);
}

static inline gpointer bench_nm_stack_alloc (gpointer c, gpointer p G_GNUC_UNUSED, gsize size) { return nm_stack_allocator_alloc (c, size, BENCH_ALIGN, NULL); }
static inline void bench_nm_stack_free (gpointer c, gpointer mem, gsize s G_GNUC_UNUSED) { nm_stack_allocator_free (c, mem); }
static inline void bench_nm_stack_release (gpointer c) { nm_stack_allocator_reset (c); }

static const BenchOps bench_ops_nm_stack = {
  .open = bench_nm_stack_open, .close = bench_nm_close,
  .alloc = bench_nm_stack_alloc, .free = bench_nm_stack_free, .release = bench_nm_stack_release,
};

/* Through the NmAllocator interface, the same objects */

static inline gpointer bench_nm_iface_alloc (gpointer c, gpointer p G_GNUC_UNUSED, gsize size) { return nm_allocator_alloc (c, size, BENCH_ALIGN, NULL); }
static inline void bench_nm_iface_free (gpointer c, gpointer mem, gsize size) { nm_allocator_free (c, mem, size, BENCH_ALIGN); }
static inline void bench_nm_iface_release (gpointer c) { nm_allocator_reset (c); }

static const BenchOps bench_ops_nm_pool_iface = {
  .open = bench_nm_pool_open, .close = bench_nm_close,
  .alloc = bench_nm_iface_alloc, .free = bench_nm_iface_free,
};

static const BenchOps bench_ops_nm_bump_iface = {
  .open = bench_nm_bump_open, .close = bench_nm_close,
  .alloc = bench_nm_iface_alloc, .release = bench_nm_iface_release,
};

static const BenchOps bench_ops_nm_stack_iface = {
  .open = bench_nm_stack_open, .close = bench_nm_close,
  .alloc = bench_nm_iface_alloc, .free = bench_nm_iface_free, .release = bench_nm_iface_release,
};

/* Built from configurations (bench-peers.c): statistics off and on,
 * production and development presets; called directly. */

gpointer bench_nm_configured_open (BenchCandidateId id);

#define BENCH_NM_CONFIGURED(name, kind)                                               \
  static inline gpointer bench_##name##_open (gsize m G_GNUC_UNUSED, guint x G_GNUC_UNUSED) \
  { return bench_nm_configured_open (BENCH_CAND_##name); }

BENCH_NM_CONFIGURED (nm_pool_nostats, pool)
BENCH_NM_CONFIGURED (nm_pool_stats, pool)
BENCH_NM_CONFIGURED (nm_bump_nostats, bump)
BENCH_NM_CONFIGURED (nm_bump_stats, bump)
BENCH_NM_CONFIGURED (nm_pool_production, pool)
BENCH_NM_CONFIGURED (nm_pool_development, pool)
BENCH_NM_CONFIGURED (nm_pool_budget, pool)
BENCH_NM_CONFIGURED (nm_bump_budget, bump)

#define BENCH_NM_POOL_OPS(name) \
  static const BenchOps bench_ops_##name = { \
    .open = bench_##name##_open, .close = bench_nm_close, \
    .alloc = bench_nm_pool_alloc, .free = bench_nm_pool_free, };
#define BENCH_NM_BUMP_OPS(name) \
  static const BenchOps bench_ops_##name = { \
    .open = bench_##name##_open, .close = bench_nm_close, \
    .alloc = bench_nm_bump_alloc, .release = bench_nm_bump_release, \
    .scope_begin = bench_nm_bump_scope_begin, .scope_end = bench_nm_bump_scope_end, };

BENCH_NM_POOL_OPS (nm_pool_nostats)
BENCH_NM_POOL_OPS (nm_pool_stats)
BENCH_NM_POOL_OPS (nm_pool_production)
BENCH_NM_POOL_OPS (nm_pool_development)
BENCH_NM_POOL_OPS (nm_pool_budget)
BENCH_NM_BUMP_OPS (nm_bump_budget)
BENCH_NM_BUMP_OPS (nm_bump_nostats)
BENCH_NM_BUMP_OPS (nm_bump_stats)
