/* nm-allocator-factory.h: allocators from configurations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include "nm-allocator.h"
#include "nm-memory-config.h"
#include "nm-version-macros.h"

G_BEGIN_DECLS

NM_AVAILABLE_IN_1_0
NmAllocator *nm_allocator_new_from_config   (NmMemoryConfig  *config,
                                             GError         **error);
NM_AVAILABLE_IN_1_0
NmAllocator *nm_allocator_new_from_key_file (GKeyFile        *key_file,
                                             const char      *group,
                                             GError         **error);

G_END_DECLS
