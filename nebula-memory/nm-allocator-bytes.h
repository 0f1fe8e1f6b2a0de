/* nm-allocator-bytes.h: allocator memory as GBytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib.h>

#include "nm-allocator.h"
#include "nm-version-macros.h"

G_BEGIN_DECLS

NM_AVAILABLE_IN_1_0
GBytes *nm_allocator_alloc_bytes          (NmAllocator   *self,
                                           const guint8  *data,
                                           gsize          size,
                                           gsize          alignment,
                                           GError       **error);
NM_AVAILABLE_IN_1_0
GBytes *nm_allocator_dup_bytes            (NmAllocator   *self,
                                           GBytes        *bytes,
                                           gsize          alignment,
                                           GError       **error);
NM_AVAILABLE_IN_1_0
guint   nm_allocator_get_n_live_bytes     (NmAllocator   *self);

G_END_DECLS
