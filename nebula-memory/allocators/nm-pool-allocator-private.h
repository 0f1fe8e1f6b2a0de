/* nm-pool-allocator-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "../nm-memory-config.h"
#include "nm-pool-allocator.h"

G_BEGIN_DECLS

NmPoolAllocator *_nm_pool_allocator_new_from_config (NmMemoryConfig  *config,
                                                     GError         **error);

/* Blocks a thread cache of @self holds at most; for tests. */
guint            _nm_pool_allocator_get_cache_limit (NmPoolAllocator *self);

G_END_DECLS
