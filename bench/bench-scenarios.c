/* bench-scenarios.c: the scenario table
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Adding a scenario is one entry: a pattern (bench-batch.c, bench-reuse.c,
 * bench-request.c, bench-scratch.c, bench-threads.c, bench-memory.c) at a
 * size mix. An empty candidate list runs every candidate the pattern can
 * run, against glibc; a list runs exactly those, against the first (the
 * overhead views). A new kind of measurement (the async cache, say) comes
 * as a pattern file of its own and entries here.
 */

#include "bench.h"

#define MAIN(pid, pattern, mix, title, what) \
  { pid, title, what, &bench_pattern_##pattern, mix, 2, { 0 }, 0 }
#define LIVE(pid, mix, title, what) \
  { pid, title, what, &bench_pattern_live, mix, 2, { 0 }, 0, BENCH_LIVE_ROUNDS }
#define THREADED(pid, n, mix, title, what) \
  { pid, title, what, &bench_pattern_threads, mix, n, { 0 }, 0, BENCH_THREADS_ROUNDS }
#define VIEW(pid, pattern, title, what, a, b) \
  { pid, title, what, &bench_pattern_##pattern, BENCH_SIZES_64, 2, \
    { BENCH_CAND_##a, BENCH_CAND_##b }, 2 }

/* The threaded scenarios' rounds spread most (how much of a round both
 * threads share the CPUs depends on everything else running), and so do
 * the live ones (a cache miss per operation: their time follows what the
 * machine's other work does to the memory system, glibc's less than some
 * peers'): BENCH_THREADS_ROUNDS and BENCH_LIVE_ROUNDS rounds of theirs per
 * round of the others, so their medians rest on that many times the
 * samples, for little time (a round is 10 ms, and a live round builds
 * nothing). */
#define B64 BENCH_SIZES_64
#define MIX BENCH_SIZES_MIXED

const BenchScenario bench_scenarios[] = {
  MAIN ("batch-64", batch, B64, "Batch then release, 64 B",
        "256 blocks allocated and read back, then released: reset/clear/destroy for arenas, free each for the others. ns per block."),
  MAIN ("batch-mixed", batch, MIX, "Batch then release, 16-512 B",
        "As batch-64 with mixed sizes. ns per block."),
  MAIN ("ring-64", ring, B64, "Reuse pairs, ring of 64, 64 B",
        "64 live blocks; free the oldest, allocate a new one, over and over (stays in L1). ns per free+alloc."),
  MAIN ("ring-mixed", ring, MIX, "Reuse pairs, ring of 64, 16-512 B",
        "As ring-64 with mixed sizes. ns per free+alloc."),
  LIVE ("live-64", B64, "Reuse pairs, 1 M live, random order, 64 B",
        "1 M live blocks, built once per candidate and process (untimed) and kept between rounds; free one in a fixed random order, allocate a new one in its place, each round continuing where the previous one stopped: the steady state over one live set. Three rounds per round of the other scenarios. ns per free+alloc."),
  LIVE ("live-mixed", MIX, "Reuse pairs, 1 M live, random order, 16-512 B",
        "As live-64 with mixed sizes. ns per free+alloc."),
  MAIN ("request-64", request, B64, "Request arena: strings and structs, 64 B strings",
        "64 items of a 32 B struct and a 64 B string copied in, linked, read, then all released. ns per allocation."),
  MAIN ("request-mixed", request, MIX, "Request arena: strings and structs, 16-512 B strings",
        "As request-64 with strings of mixed sizes. ns per allocation."),
  MAIN ("ast-64", ast, B64, "AST built and dropped, 64 B nodes",
        "512 nodes, each under a pseudo-random earlier node, walked, then dropped (released, or walked and freed). ns per node."),
  MAIN ("ast-mixed", ast, MIX, "AST built and dropped, 32-512 B nodes",
        "As ast-64 with nodes of mixed sizes (at least 32 B). ns per node."),
  MAIN ("scratch-64", scratch, B64, "LIFO scratch, nested 7 deep, 64 B",
        "127 nested frames of two buffers each, released newest first (free each, or one scope per frame). ns per buffer."),
  MAIN ("scratch-mixed", scratch, MIX, "LIFO scratch, nested 7 deep, 16-512 B",
        "As scratch-64 with mixed sizes. ns per buffer."),
  THREADED ("threads2-64", 2, B64, "Object pool, 2 threads, 1/4 of frees cross threads, 64 B",
            "Each thread takes 16 blocks, frees 12, passes 4 to the other thread, which frees them. CPU time of both threads added up, ns per alloc+free; three rounds per round of the other scenarios."),
  THREADED ("threads2-mixed", 2, MIX, "Object pool, 2 threads, 1/4 of frees cross threads, 16-512 B",
            "As threads2-64 with mixed sizes. CPU ns per alloc+free."),
  THREADED ("threads4-64", 4, B64, "Object pool, 4 threads on 2 cores (for the record), 64 B",
            "As threads2-64 with four threads passing blocks round a ring. CPU ns per alloc+free."),
  MAIN ("reset-64", reset, B64, "Reset of a large arena: 1 M blocks of 64 B",
        "1 M blocks allocated untimed; the release alone is timed (reset, or free each, oldest first), again until a round's timed part reaches half a round (8 releases at most), so an arena's reset of well under a millisecond is not timed alone. ns per block released."),
  MAIN ("reset-mixed", reset, MIX, "Reset of a large arena: 1 M blocks of 16-512 B",
        "As reset-64 with mixed sizes. ns per block released."),
  MAIN ("memory-64", memory, B64, "Memory: 1 M live blocks of 64 B",
        "Resident memory added by 1 M live blocks, and overhead per block beyond the bytes asked, each allocator in a child process of its own."),
  MAIN ("memory-mixed", memory, MIX, "Memory: 1 M live blocks of 16-512 B",
        "As memory-64 with mixed sizes."),
  VIEW ("view-iface-pool", ring, "Overhead: pool via NmAllocator against direct",
        "ring-64 through nm_allocator_alloc/free against nm_pool_allocator_alloc/free.", nm_pool, nm_pool_iface),
  VIEW ("view-iface-bump", batch, "Overhead: bump via NmAllocator against direct",
        "batch-64 through nm_allocator_alloc/reset against nm_bump_allocator_alloc/reset.", nm_bump, nm_bump_iface),
  VIEW ("view-iface-stack", scratch, "Overhead: stack via NmAllocator against direct",
        "scratch-64 through nm_allocator_alloc/free against nm_stack_allocator_alloc/free.", nm_stack, nm_stack_iface),
  VIEW ("view-stats-pool", ring, "Overhead: pool statistics on against off",
        "ring-64 on pools built with track-stats=true and false.", nm_pool_nostats, nm_pool_stats),
  VIEW ("view-stats-bump", batch, "Overhead: bump statistics on against off",
        "batch-64 on bump allocators built with track-stats=true and false.", nm_bump_nostats, nm_bump_stats),
  VIEW ("view-preset-pool", ring, "Overhead: pool development preset against production",
        "ring-64 on pools from nm_memory_config_new_development and _production.", nm_pool_production, nm_pool_development),
  VIEW ("view-budget-pool", ring, "Overhead: pool under a budget against none",
        "ring-64 on pools built with and without nm_memory_config_builder_set_budget (a budget under a root); called directly. The budget is charged when a slab is acquired, not per block.", nm_pool_nostats, nm_pool_budget),
  VIEW ("view-budget-bump", batch, "Overhead: bump under a budget against none",
        "batch-64 on bump allocators built with and without nm_memory_config_builder_set_budget (a budget under a root); called directly. The budget is charged when a chunk is acquired, not per block.", nm_bump_nostats, nm_bump_budget),
};

const guint bench_n_scenarios = G_N_ELEMENTS (bench_scenarios);
