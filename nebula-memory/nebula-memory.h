/* nebula-memory.h: the only header to include
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

#define NM_INSIDE
# include "nm-version.h"
# include "nm-version-macros.h"
# include "nm-enum-types.h"
# include "nm-error.h"
# include "nm-allocator-stats.h"
# include "nm-allocator.h"
# include "nm-allocator-bytes.h"
# include "nm-memory-budget.h"
# include "nm-memory-pressure.h"
# include "nm-memory-config.h"
# include "nm-memory-config-builder.h"
# include "nm-allocator-factory.h"
# include "allocators/nm-bump-allocator.h"
# include "allocators/nm-pool-allocator.h"
# include "allocators/nm-stack-allocator.h"
# include "nm-async-cache.h"
# include "nm-allocator-dispatch.h"
#undef NM_INSIDE
