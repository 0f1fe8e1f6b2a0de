/* nm-bump-allocator-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "../nm-memory-config.h"
#include "nm-bump-allocator.h"

G_BEGIN_DECLS

NmBumpAllocator *_nm_bump_allocator_new_from_config (NmMemoryConfig  *config,
                                                     GError         **error);

G_END_DECLS
