/* nm-async-cache-stats.c: the boxed snapshot of a cache's counters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-async-cache-private.h"

G_DEFINE_BOXED_TYPE (NmAsyncCacheStats, nm_async_cache_stats,
                     nm_async_cache_stats_copy, nm_async_cache_stats_free)

/**
 * nm_async_cache_stats_copy:
 * @stats: an #NmAsyncCacheStats
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy of @stats
 *
 * Since: 1.0
 */
NmAsyncCacheStats *
nm_async_cache_stats_copy (const NmAsyncCacheStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);

  return g_memdup2 (stats, sizeof *stats);
}

/**
 * nm_async_cache_stats_free:
 * @stats: an #NmAsyncCacheStats
 *
 * Frees @stats.
 *
 * Since: 1.0
 */
void
nm_async_cache_stats_free (NmAsyncCacheStats *stats)
{
  g_free (stats);
}

/**
 * nm_async_cache_stats_get_hit_ratio:
 * @stats: an #NmAsyncCacheStats
 *
 * Gives the share of requests and lookups answered from the cache.
 *
 * Returns: hits / (hits + misses), between 0 and 1; 0 before any request
 *
 * Since: 1.0
 */
double
nm_async_cache_stats_get_hit_ratio (const NmAsyncCacheStats *stats)
{
  g_return_val_if_fail (stats != NULL, 0.0);

  if (stats->hits + stats->misses == 0)
    return 0.0;

  return (double) stats->hits / (double) (stats->hits + stats->misses);
}

