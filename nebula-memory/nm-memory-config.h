/* nm-memory-config.h: an immutable allocator configuration
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib-object.h>

#include "nm-memory-budget.h"
#include "nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NmAllocatorKind:
 * @NM_ALLOCATOR_KIND_BUMP: an #NmBumpAllocator (`kind=bump`)
 * @NM_ALLOCATOR_KIND_POOL: an #NmPoolAllocator (`kind=pool`)
 * @NM_ALLOCATOR_KIND_STACK: an #NmStackAllocator (`kind=stack`)
 *
 * The allocator an #NmMemoryConfig describes.
 *
 * Since: 1.0
 */
typedef enum
{
  NM_ALLOCATOR_KIND_BUMP,
  NM_ALLOCATOR_KIND_POOL,
  NM_ALLOCATOR_KIND_STACK,
} NmAllocatorKind;

/**
 * NM_TYPE_MEMORY_CONFIG:
 *
 * Evaluates to the #GType of #NmMemoryConfig.
 *
 * Since: 1.0
 */
#define NM_TYPE_MEMORY_CONFIG (nm_memory_config_get_type ())

/**
 * NmMemoryConfig:
 *
 * An immutable, validated allocator configuration.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmMemoryConfig, nm_memory_config, NM, MEMORY_CONFIG, GObject)

NM_AVAILABLE_IN_1_0
NmMemoryConfig  *nm_memory_config_new_production     (NmAllocatorKind  kind);
NM_AVAILABLE_IN_1_0
NmMemoryConfig  *nm_memory_config_new_development    (NmAllocatorKind  kind);
NM_AVAILABLE_IN_1_0
NmAllocatorKind  nm_memory_config_get_kind           (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
const char      *nm_memory_config_get_name           (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_memory_config_get_capacity       (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_memory_config_get_max_capacity   (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_memory_config_get_block_size     (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_memory_config_get_block_alignment (NmMemoryConfig *self);
NM_AVAILABLE_IN_1_0
guint64          nm_memory_config_get_block_count    (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_memory_config_get_max_block_count (NmMemoryConfig *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_get_thread_safe    (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_get_track_stats    (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_get_poison         (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_get_validate       (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_get_leak_report    (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
NmMemoryBudget  *nm_memory_config_get_budget         (NmMemoryConfig  *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_get_trim_on_pressure (NmMemoryConfig *self);
NM_AVAILABLE_IN_1_0
gdouble          nm_memory_config_get_high_water_mark (NmMemoryConfig *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_get_leak_sites     (NmMemoryConfig *self);
NM_AVAILABLE_IN_1_0
gboolean         nm_memory_config_equal              (NmMemoryConfig  *self,
                                                      NmMemoryConfig  *other);
NM_AVAILABLE_IN_1_0
void             nm_memory_config_save_to_key_file   (NmMemoryConfig  *self,
                                                      GKeyFile        *key_file,
                                                      const char      *group);
NM_AVAILABLE_IN_1_0
char            *nm_memory_config_to_string          (NmMemoryConfig  *self);

G_END_DECLS
