/* nm-stack-allocator-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "../nm-memory-config.h"
#include "nm-stack-allocator.h"

G_BEGIN_DECLS

NmStackAllocator *_nm_stack_allocator_new_from_config (NmMemoryConfig  *config,
                                                       GError         **error);

G_END_DECLS
