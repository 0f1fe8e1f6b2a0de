/* nm-allocator-bytes-private.h: the reset rule of allocator GBytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nm-allocator.h"

G_BEGIN_DECLS

/* GBytes from nm_allocator_alloc_bytes() alive in the whole process. Read
 * with a plain load by the reset paths, so a reset costs nothing extra in
 * programs that never create such GBytes. */
extern gint _nm_allocator_bytes_n_alive;

/* Refuses (one g_critical naming the count, FALSE) a reset of @self while
 * GBytes of @self are alive; TRUE otherwise. Slow path of
 * _nm_allocator_bytes_reset_allowed(). */
gboolean _nm_allocator_bytes_check_reset (NmAllocator *self,
                                          const char  *what);

/* Whether @self may recycle all of its memory now. Every entry point that
 * invalidates all handed-out memory calls this first and returns without
 * doing anything when it is FALSE. */
static inline gboolean
_nm_allocator_bytes_reset_allowed (NmAllocator *self,
                                   const char  *what)
{
  if (G_LIKELY (g_atomic_int_get (&_nm_allocator_bytes_n_alive) == 0))
    return TRUE;

  return _nm_allocator_bytes_check_reset (self, what);
}

G_END_DECLS
