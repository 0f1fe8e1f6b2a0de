/* nm-memory-config-builder.h: builds validated NmMemoryConfig objects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib-object.h>

#include "nm-memory-config.h"
#include "nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NM_TYPE_MEMORY_CONFIG_BUILDER:
 *
 * Evaluates to the #GType of #NmMemoryConfigBuilder.
 *
 * Since: 1.0
 */
#define NM_TYPE_MEMORY_CONFIG_BUILDER (nm_memory_config_builder_get_type ())

/**
 * NmMemoryConfigBuilder:
 *
 * Collects settings and builds an #NmMemoryConfig.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmMemoryConfigBuilder, nm_memory_config_builder, NM, MEMORY_CONFIG_BUILDER, GObject)

NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_new                 (void);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_new_from_config     (NmMemoryConfig        *config);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_kind            (NmMemoryConfigBuilder *self,
                                                                     NmAllocatorKind        kind);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_name            (NmMemoryConfigBuilder *self,
                                                                     const char            *name);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_capacity        (NmMemoryConfigBuilder *self,
                                                                     guint64                capacity);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_max_capacity    (NmMemoryConfigBuilder *self,
                                                                     guint64                max_capacity);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_block_size      (NmMemoryConfigBuilder *self,
                                                                     guint64                block_size);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_block_alignment (NmMemoryConfigBuilder *self,
                                                                     guint64                block_alignment);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_block_count     (NmMemoryConfigBuilder *self,
                                                                     guint64                block_count);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_max_block_count (NmMemoryConfigBuilder *self,
                                                                     guint64                max_block_count);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_thread_safe     (NmMemoryConfigBuilder *self,
                                                                     gboolean               thread_safe);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_track_stats     (NmMemoryConfigBuilder *self,
                                                                     gboolean               track_stats);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_poison          (NmMemoryConfigBuilder *self,
                                                                     gboolean               poison);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_validate        (NmMemoryConfigBuilder *self,
                                                                     gboolean               validate);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_leak_report     (NmMemoryConfigBuilder *self,
                                                                     gboolean               leak_report);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_budget          (NmMemoryConfigBuilder *self,
                                                                     NmMemoryBudget        *budget);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_trim_on_pressure (NmMemoryConfigBuilder *self,
                                                                      gboolean               trim_on_pressure);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_high_water_mark (NmMemoryConfigBuilder *self,
                                                                     gdouble                high_water_mark);
NM_AVAILABLE_IN_1_0
NmMemoryConfigBuilder *nm_memory_config_builder_set_leak_sites      (NmMemoryConfigBuilder *self,
                                                                     gboolean               leak_sites);
NM_AVAILABLE_IN_1_0
gboolean               nm_memory_config_builder_load_key_file       (NmMemoryConfigBuilder *self,
                                                                     GKeyFile              *key_file,
                                                                     const char            *group,
                                                                     GError               **error);
NM_AVAILABLE_IN_1_0
NmMemoryConfig        *nm_memory_config_builder_build               (NmMemoryConfigBuilder *self,
                                                                     GError               **error);

G_END_DECLS
