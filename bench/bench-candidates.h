/* bench-candidates.h: the list of candidates and what each can do
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Adding a candidate: one X () line here, its BenchOps in bench-ops-peers.h
 * or bench-ops-nebula.h, its label and capabilities in bench-peers.c.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* In table order: the baseline first, then the peers, then nebula-memory. */
#define BENCH_CANDIDATES(X) \
  X (glibc)                 \
  X (gslice)                \
  X (obstack)               \
  X (apr)                   \
  X (talloc)                \
  X (talloc_pool)           \
  X (mimalloc)              \
  X (mimalloc_heap)         \
  X (jemalloc)              \
  X (jemalloc_sized)        \
  X (nm_bump)               \
  X (nm_pool)               \
  X (nm_pool_classes)       \
  X (nm_stack)              \
  X (nm_pool_ts)            \
  X (nm_pool_ts_classes)    \
  X (nm_pool_iface)         \
  X (nm_bump_iface)         \
  X (nm_stack_iface)        \
  X (nm_pool_nostats)       \
  X (nm_pool_stats)         \
  X (nm_bump_nostats)       \
  X (nm_bump_stats)         \
  X (nm_pool_production)    \
  X (nm_pool_development)   \
  X (nm_pool_budget)        \
  X (nm_bump_budget)

#define BENCH_ENUM_ENTRY(name) BENCH_CAND_##name,
typedef enum
{
  BENCH_CANDIDATES (BENCH_ENUM_ENTRY)
  BENCH_N_CANDIDATES
} BenchCandidateId;
#undef BENCH_ENUM_ENTRY

typedef enum
{
  BENCH_CAN_FREE     = 1 << 0,  /* frees one block, in any order */
  BENCH_CAN_LIFO     = 1 << 1,  /* frees one block, newest first only */
  BENCH_CAN_RELEASE  = 1 << 2,  /* releases everything at once (reset, clear, destroy) */
  BENCH_CAN_SCOPE    = 1 << 3,  /* releases everything since a mark */
  BENCH_CAN_THREADS  = 1 << 4,  /* one instance used by several threads */
  BENCH_ONLY_64      = 1 << 5,  /* blocks of at most 64 bytes: the 64 B scenarios only */
  BENCH_ONLY_MIXED   = 1 << 6,  /* the mixed-size scenarios only */
  BENCH_ONLY_THREADS = 1 << 7,  /* the threaded scenarios only */
  BENCH_ONLY_LISTED  = 1 << 8,  /* the overhead views only */
} BenchCaps;

/* A mark for scopes: big enough for every candidate's checkpoint. */
typedef union
{
  gpointer ptr;
  guint64  words[8];
} BenchMark;

/* One candidate's calls. Every function is static inline (or a pointer
 * resolved once, for the dlopen()ed peers), so a pattern instantiated with
 * a constant BenchOps compiles them in place. Missing operations are NULL. */
typedef struct
{
  gpointer (*open)        (gsize max_live_bytes, guint mix);
  void     (*close)       (gpointer ctx);
  /* @parent: the block this one belongs to (talloc's hierarchy), or NULL */
  gpointer (*alloc)       (gpointer ctx, gpointer parent, gsize size);
  void     (*free)        (gpointer ctx, gpointer mem, gsize size);
  void     (*release)     (gpointer ctx);
  /* Returns the context to allocate from inside the scope. */
  gpointer (*scope_begin) (gpointer ctx, BenchMark *mark);
  void     (*scope_end)   (gpointer ctx, gpointer inner, BenchMark *mark);
} BenchOps;

typedef struct
{
  const char *id;
  const char *label;
  gboolean    nebula;       /* one of the project's own */
  guint       caps;         /* BenchCaps */
  const char *how;          /* the calls, for the notes */
  gboolean    available;
  const char *missing;      /* why not available */
} BenchCandidate;

extern BenchCandidate bench_candidates[BENCH_N_CANDIDATES];

/* Loads the dlopen()ed peers and fills in availability; once, at start.
 * Their background work is made deterministic first (see bench-peers.c). */
void bench_candidates_init (void);

/* What was set in the peers to make their behaviour the same in every
 * round: key / value pairs, NULL-terminated, static; filled in by
 * bench_candidates_init() and bench_machine_settle_glibc(). */
const char *const *bench_peer_settings (void);
void               bench_peer_settings_add (const char *key,
                                            char       *value);

G_END_DECLS
