/* nm-allocator-stats.h: snapshot of an allocator's counters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib-object.h>

#include "nm-version-macros.h"

G_BEGIN_DECLS

#define NM_TYPE_ALLOCATOR_STATS (nm_allocator_stats_get_type ())

typedef struct _NmAllocatorStats NmAllocatorStats;

/**
 * NmAllocatorStats:
 * @capacity: bytes the allocator can hand out without growing
 * @bytes_used: bytes handed out and not given back, alignment padding
 *   included
 * @bytes_peak: the highest @bytes_used since the allocator was created
 * @bytes_reserved: backing memory obtained from the system, bookkeeping
 *   included
 * @allocation_count: successful allocations since creation
 * @free_count: frees accepted since creation
 * @failed_count: allocations that failed with a #GError
 * @invalid_free_count: frees refused as foreign, double, misaligned, out of
 *   order or of the wrong size
 * @corruption_count: corrupted bookkeeping detected (and not followed)
 * @reset_count: calls to nm_allocator_reset()
 * @cached_count: blocks parked in per-thread caches (pools), 0 elsewhere
 * @trim_count: calls to nm_allocator_trim(), memory pressure's included
 *   (Since: 1.0)
 * @budget_refused_count: requests refused by a memory budget: backing
 *   memory that would have passed a limit, or a single request above a
 *   per-request cap (Since: 1.0)
 * @high_water_count: times utilization crossed
 *   #NmMemoryConfig:high-water-mark, each announced by
 *   #NmAllocator::high-water; 0 while the mark is off (Since: 1.0)
 *
 * A snapshot of an allocator's counters, taken by nm_allocator_get_stats().
 *
 * Consistency: in single-thread mode every field is exact. In thread-safe
 * mode each field is read on its own, without stopping the threads using
 * the allocator: each is a value it really had during the call, but two
 * fields may be from slightly different moments (an allocation may be
 * counted in @allocation_count and not yet in @bytes_used). The rare-event
 * counters (@failed_count, @invalid_free_count, @corruption_count,
 * @reset_count, @trim_count, @budget_refused_count, @high_water_count) are exact at all
 * times; the rest are exact once the threads are quiescent.
 *
 * Since: 1.0
 */
struct _NmAllocatorStats
{
  guint64 capacity;
  guint64 bytes_used;
  guint64 bytes_peak;
  guint64 bytes_reserved;
  guint64 allocation_count;
  guint64 free_count;
  guint64 failed_count;
  guint64 invalid_free_count;
  guint64 corruption_count;
  guint64 reset_count;
  guint64 cached_count;
  guint64 trim_count;
  guint64 budget_refused_count;
  guint64 high_water_count;

  /*< private >*/
  guint64 _reserved[2];
};

NM_AVAILABLE_IN_1_0
GType             nm_allocator_stats_get_type        (void) G_GNUC_CONST;
NM_AVAILABLE_IN_1_0
NmAllocatorStats *nm_allocator_stats_copy            (const NmAllocatorStats *stats);
NM_AVAILABLE_IN_1_0
void              nm_allocator_stats_free            (NmAllocatorStats       *stats);
NM_AVAILABLE_IN_1_0
double            nm_allocator_stats_get_utilization (const NmAllocatorStats *stats);
NM_AVAILABLE_IN_1_0
char             *nm_allocator_stats_to_string       (const NmAllocatorStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmAllocatorStats, nm_allocator_stats_free)

G_END_DECLS
