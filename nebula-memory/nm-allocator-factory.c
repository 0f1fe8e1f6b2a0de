/* nm-allocator-factory.c: allocators from configurations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The only file that knows every allocator kind, so that the interface
 * never includes an implementation.
 */

#include "config.h"

#include "nm-allocator-factory.h"
#include "nm-error.h"
#include "nm-memory-config-builder.h"
#include "nm-memory-pressure.h"
#include "allocators/nm-bump-allocator-private.h"
#include "allocators/nm-pool-allocator-private.h"
#include "allocators/nm-stack-allocator-private.h"

/**
 * SECTION:nm-allocator-factory
 * @Title: Allocators from configurations
 * @Short_description: build the allocator a configuration describes
 *
 * |[<!-- language="C" -->
 * g_autoptr(GKeyFile) key_file = g_key_file_new ();
 * g_autoptr(NmAllocator) arena = NULL;
 * g_autoptr(GError) error = NULL;
 *
 * if (!g_key_file_load_from_file (key_file, "memory.ini", G_KEY_FILE_NONE, &error) ||
 *     !(arena = nm_allocator_new_from_key_file (key_file, "request-arena", &error)))
 *   g_error ("%s", error->message);
 * ]|
 */

static NmAllocator *
new_of_kind (NmMemoryConfig  *config,
             GError         **error)
{
  switch (nm_memory_config_get_kind (config))
    {
    case NM_ALLOCATOR_KIND_BUMP:
      return NM_ALLOCATOR (_nm_bump_allocator_new_from_config (config, error));

    case NM_ALLOCATOR_KIND_STACK:
      return NM_ALLOCATOR (_nm_stack_allocator_new_from_config (config, error));

    case NM_ALLOCATOR_KIND_POOL:
      return NM_ALLOCATOR (_nm_pool_allocator_new_from_config (config, error));

    default:
      g_set_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INCOMPATIBLE,
                   "Allocator “%s”: this build of nebula-memory cannot create "
                   "allocators of kind %d; use kind=bump.",
                   nm_memory_config_get_name (config),
                   (int) nm_memory_config_get_kind (config));
      return NULL;
    }
}

/**
 * nm_allocator_new_from_config:
 * @config: an #NmMemoryConfig
 * @error: return location for a #GError, or %NULL
 *
 * Builds the allocator @config describes: an #NmBumpAllocator,
 * #NmPoolAllocator or #NmStackAllocator. With #NmMemoryConfig:trim-on-pressure
 * the allocator is registered with nm_memory_pressure_get_default().
 *
 * Returns: (transfer full) (nullable): a new allocator, or %NULL with
 *   @error set (%NM_ALLOCATOR_ERROR_OUT_OF_MEMORY when the system refuses
 *   the backing memory)
 *
 * Since: 1.0
 */
NmAllocator *
nm_allocator_new_from_config (NmMemoryConfig  *config,
                              GError         **error)
{
  NmAllocator *allocator;

  g_return_val_if_fail (NM_IS_MEMORY_CONFIG (config), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  allocator = new_of_kind (config, error);
  if (allocator != NULL && nm_memory_config_get_trim_on_pressure (config))
    nm_memory_pressure_add_allocator (nm_memory_pressure_get_default (), allocator);

  return allocator;
}

/**
 * nm_allocator_new_from_key_file:
 * @key_file: a #GKeyFile
 * @group: the group describing the allocator
 * @error: return location for a #GError, or %NULL
 *
 * Loads @group with nm_memory_config_builder_load_key_file(), builds the
 * configuration and the allocator.
 *
 * Returns: (transfer full) (nullable): a new allocator, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
NmAllocator *
nm_allocator_new_from_key_file (GKeyFile    *key_file,
                                const char  *group,
                                GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;

  g_return_val_if_fail (key_file != NULL, NULL);
  g_return_val_if_fail (group != NULL, NULL);

  builder = nm_memory_config_builder_new ();
  if (!nm_memory_config_builder_load_key_file (builder, key_file, group, error))
    return NULL;

  config = nm_memory_config_builder_build (builder, error);
  if (config == NULL)
    return NULL;

  return nm_allocator_new_from_config (config, error);
}
