/* nm-memory-pressure.h: trimming allocators and caches when memory runs low
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <gio/gio.h>

#include "nm-allocator.h"
#include "nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NmMemoryPressureLevel:
 * @NM_MEMORY_PRESSURE_LEVEL_LOW: memory is getting low
 *   (%G_MEMORY_MONITOR_WARNING_LEVEL_LOW): allocators give back free
 *   backing memory beyond their configured capacity and one spare chunk or
 *   slab; caches drop a quarter of their entries
 * @NM_MEMORY_PRESSURE_LEVEL_MEDIUM: memory is low
 *   (%G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM): allocators give back all the
 *   free backing memory they can, the spare included; caches drop half of
 *   their entries
 * @NM_MEMORY_PRESSURE_LEVEL_CRITICAL: the system is about to kill processes
 *   (%G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL): allocators as for medium,
 *   and caches drop every entry
 *
 * How hard #NmMemoryPressure trims its targets.
 *
 * Since: 1.0
 */
typedef enum
{
  NM_MEMORY_PRESSURE_LEVEL_LOW,
  NM_MEMORY_PRESSURE_LEVEL_MEDIUM,
  NM_MEMORY_PRESSURE_LEVEL_CRITICAL,
} NmMemoryPressureLevel;

/**
 * NmMemoryPressureFunc:
 * @target: the object registered with nm_memory_pressure_add_target()
 * @level: how hard to trim
 * @user_data: the data given to nm_memory_pressure_add_target()
 *
 * Gives memory back for a pressure of @level: a cache drops entries at
 * %NM_MEMORY_PRESSURE_LEVEL_CRITICAL, say.
 *
 * Returns: the number of bytes given back, as far as known
 *
 * Since: 1.0
 */
typedef guint64 (*NmMemoryPressureFunc) (GObject               *target,
                                         NmMemoryPressureLevel  level,
                                         gpointer               user_data);

/**
 * NM_TYPE_MEMORY_PRESSURE:
 *
 * Evaluates to the #GType of #NmMemoryPressure.
 *
 * Since: 1.0
 */
#define NM_TYPE_MEMORY_PRESSURE (nm_memory_pressure_get_type ())

/**
 * NmMemoryPressure:
 *
 * Follows a #GMemoryMonitor and trims allocators and caches by level.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmMemoryPressure, nm_memory_pressure, NM, MEMORY_PRESSURE, GObject)

NM_AVAILABLE_IN_1_0
NmMemoryPressure      *nm_memory_pressure_new              (GMemoryMonitor        *monitor);
NM_AVAILABLE_IN_1_0
NmMemoryPressure      *nm_memory_pressure_get_default      (void);
NM_AVAILABLE_IN_1_0
void                   nm_memory_pressure_set_monitor      (NmMemoryPressure      *self,
                                                            GMemoryMonitor        *monitor);
NM_AVAILABLE_IN_1_0
GMemoryMonitor        *nm_memory_pressure_get_monitor      (NmMemoryPressure      *self);
NM_AVAILABLE_IN_1_0
void                   nm_memory_pressure_add_allocator    (NmMemoryPressure      *self,
                                                            NmAllocator           *allocator);
NM_AVAILABLE_IN_1_0
gboolean               nm_memory_pressure_remove_allocator (NmMemoryPressure      *self,
                                                            NmAllocator           *allocator);
NM_AVAILABLE_IN_1_0
guint                  nm_memory_pressure_add_target       (NmMemoryPressure      *self,
                                                            GObject               *target,
                                                            NmMemoryPressureFunc   func,
                                                            gpointer               user_data,
                                                            GDestroyNotify         destroy);
NM_AVAILABLE_IN_1_0
gboolean               nm_memory_pressure_remove_target    (NmMemoryPressure      *self,
                                                            guint                  id);
NM_AVAILABLE_IN_1_0
guint                  nm_memory_pressure_get_n_targets    (NmMemoryPressure      *self);
NM_AVAILABLE_IN_1_0
guint64                nm_memory_pressure_trim             (NmMemoryPressure      *self,
                                                            NmMemoryPressureLevel  level);
NM_AVAILABLE_IN_1_0
NmMemoryPressureLevel  nm_memory_pressure_level_from_warning (GMemoryMonitorWarningLevel warning);

G_END_DECLS
