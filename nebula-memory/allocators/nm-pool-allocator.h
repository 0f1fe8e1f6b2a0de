/* nm-pool-allocator.h: fixed-size block pool with a hardened free list
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib-object.h>

#include "../nm-allocator.h"
#include "../nm-version-macros.h"

G_BEGIN_DECLS

#define NM_TYPE_POOL_ALLOCATOR (nm_pool_allocator_get_type ())

NM_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (NmPoolAllocator, nm_pool_allocator, NM, POOL_ALLOCATOR, GObject)

NM_AVAILABLE_IN_1_0
NmPoolAllocator *nm_pool_allocator_new                 (gsize             block_size,
                                                        gsize             block_alignment,
                                                        gsize             block_count,
                                                        GError          **error);
NM_AVAILABLE_IN_1_0
NmPoolAllocator *nm_pool_allocator_new_full            (const char       *name,
                                                        gsize             block_size,
                                                        gsize             block_alignment,
                                                        gsize             block_count,
                                                        gsize             max_block_count,
                                                        gboolean          thread_safe,
                                                        GError          **error);
NM_AVAILABLE_IN_1_0
gpointer         nm_pool_allocator_alloc               (NmPoolAllocator  *self,
                                                        GError          **error);
NM_AVAILABLE_IN_1_0
void             nm_pool_allocator_free                (NmPoolAllocator  *self,
                                                        gpointer          mem);
NM_AVAILABLE_IN_1_0
void             nm_pool_allocator_reset               (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
gsize            nm_pool_allocator_trim                (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_block_size      (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_block_alignment (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_block_count     (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_max_block_count (NmPoolAllocator  *self);
NM_AVAILABLE_IN_1_0
guint64          nm_pool_allocator_get_blocks_in_use   (NmPoolAllocator  *self);

G_END_DECLS
