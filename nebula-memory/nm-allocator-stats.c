/* nm-allocator-stats.c: snapshot of an allocator's counters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-allocator-private.h"
#include "nm-allocator-stats.h"
#include "nm-size-private.h"

/**
 * SECTION:nm-allocator-stats
 * @Title: NmAllocatorStats
 * @Short_description: a snapshot of an allocator's counters
 *
 * nm_allocator_get_stats() copies an allocator's counters into an
 * #NmAllocatorStats. Counting is cheap enough to leave on: plain
 * per-instance counters in single-thread mode, derived values (bytes used,
 * peak) computed when the snapshot is taken.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (alloc);
 * g_autofree char *text = nm_allocator_stats_to_string (stats);
 * g_print ("%s\n", text);
 * ]|
 */

G_DEFINE_BOXED_TYPE (NmAllocatorStats, nm_allocator_stats,
                     nm_allocator_stats_copy, nm_allocator_stats_free)

/**
 * nm_allocator_stats_copy:
 * @stats: an #NmAllocatorStats
 *
 * Copies a snapshot.
 *
 * Returns: (transfer full): a copy of @stats
 *
 * Since: 1.0
 */
NmAllocatorStats *
nm_allocator_stats_copy (const NmAllocatorStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);

  return g_memdup2 (stats, sizeof *stats);
}

/**
 * nm_allocator_stats_free:
 * @stats: (transfer full): an #NmAllocatorStats
 *
 * Frees a snapshot.
 *
 * Since: 1.0
 */
void
nm_allocator_stats_free (NmAllocatorStats *stats)
{
  g_free (stats);
}

/**
 * nm_allocator_stats_get_utilization:
 * @stats: an #NmAllocatorStats
 *
 * How full the allocator was when the snapshot was taken.
 *
 * Returns: @bytes_used as a percentage of @capacity, 0 when the capacity is 0
 *
 * Since: 1.0
 */
double
nm_allocator_stats_get_utilization (const NmAllocatorStats *stats)
{
  g_return_val_if_fail (stats != NULL, 0.0);

  if (stats->capacity == 0)
    return 0.0;

  return 100.0 * (double) stats->bytes_used / (double) stats->capacity;
}

/**
 * nm_allocator_stats_to_string:
 * @stats: an #NmAllocatorStats
 *
 * Formats @stats on one line for logs, sizes in human units.
 *
 * Returns: (transfer full): a newly allocated string
 *
 * Since: 1.0
 */
char *
nm_allocator_stats_to_string (const NmAllocatorStats *stats)
{
  g_autofree char *used = NULL;
  g_autofree char *peak = NULL;
  g_autofree char *capacity = NULL;
  g_autofree char *reserved = NULL;

  g_return_val_if_fail (stats != NULL, NULL);

  used = _nm_size_format_human (stats->bytes_used);
  peak = _nm_size_format_human (stats->bytes_peak);
  capacity = _nm_size_format_human (stats->capacity);
  reserved = _nm_size_format_human (stats->bytes_reserved);

  return g_strdup_printf ("%s of %s used (%.1f %%), peak %s, reserved %s; "
                          "%" G_GUINT64_FORMAT " allocations, "
                          "%" G_GUINT64_FORMAT " frees, "
                          "%" G_GUINT64_FORMAT " failed, "
                          "%" G_GUINT64_FORMAT " invalid frees, "
                          "%" G_GUINT64_FORMAT " corruptions, "
                          "%" G_GUINT64_FORMAT " resets, "
                          "%" G_GUINT64_FORMAT " trims, "
                          "%" G_GUINT64_FORMAT " budget refusals, "
                          "%" G_GUINT64_FORMAT " high-water crossings",
                          used, capacity,
                          nm_allocator_stats_get_utilization (stats),
                          peak, reserved,
                          stats->allocation_count, stats->free_count,
                          stats->failed_count, stats->invalid_free_count,
                          stats->corruption_count, stats->reset_count,
                          stats->trim_count, stats->budget_refused_count,
                          stats->high_water_count);
}
