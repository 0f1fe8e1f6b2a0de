/* nm-backing-private.h: where the allocators' backing memory comes from
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every byte an allocator gets from the system to carve blocks from — the
 * bump allocator's chunks, the pool's slabs, the stack's region — is
 * acquired and given back here, and nowhere else. This layer
 *
 *  - gets the memory (heap for chunks and regions; reserved address space,
 *    committed in parts, for the pool),
 *  - registers it with the tools (a Valgrind mempool per heap chunk, keyed
 *    by its address; its usable bytes poisoned until handed out),
 *  - and keeps the allocator's count of backing bytes (NmAllocatorCommon
 *    backing_bytes), read by statistics. Charging budgets and trimming
 *    under memory pressure hang on these same calls.
 *
 * Failures return NULL or FALSE. The allocator then reports the request
 * with _nm_allocator_fail_backing() (not _nm_allocator_fail_request()
 * with OUT_OF_MEMORY): that one function knows why the backing memory was
 * refused, the system or a memory budget, and picks the code and the words.
 */

#pragma once

#include "nm-allocator-private.h"

G_BEGIN_DECLS

/* Heap memory of @header + @usable bytes: the first @header bytes are the
 * allocator's own bookkeeping (addressable), the @usable bytes after them
 * are poisoned until handed out. The Valgrind mempool is keyed by the
 * returned address. NULL when the system refuses or the size overflows. */
gpointer _nm_backing_alloc     (NmAllocatorCommon *common,
                                gsize              header,
                                gsize              usable);
void     _nm_backing_free      (NmAllocatorCommon *common,
                                gpointer           mem,
                                gsize              header,
                                gsize              usable);

/* Address space of @size bytes (a multiple of the page size), inaccessible
 * until committed; costs no memory. NULL when refused. */
gpointer _nm_backing_reserve   (NmAllocatorCommon *common,
                                gsize              size);
/* Makes [base + from, base + to) usable (rounded out to whole pages) and
 * counts its to - from bytes as backing memory. */
gboolean _nm_backing_commit    (NmAllocatorCommon *common,
                                gpointer           base,
                                gsize              from,
                                gsize              to);
/* Gives the pages inside [base + from, base + to) back to the system and
 * makes them inaccessible; uncounts to - from bytes. */
void     _nm_backing_decommit  (NmAllocatorCommon *common,
                                gpointer           base,
                                gsize              from,
                                gsize              to);
/* Releases a reservation; @committed bytes of it were still counted. */
void     _nm_backing_unreserve (NmAllocatorCommon *common,
                                gpointer           base,
                                gsize              size,
                                gsize              committed);

/* The failure of a request that needed backing memory the layer above
 * refused: OUT_OF_MEMORY composed from @info, or BUDGET_EXCEEDED naming the
 * budget when a budget refused it. Always returns NULL. */
gpointer _nm_allocator_fail_backing (NmAllocator         *self,
                                     NmAllocatorCommon   *common,
                                     GError             **error,
                                     const NmFailureInfo *info) NM_COLD;

/* Bytes of backing memory @common holds now. */
static inline guint64
_nm_backing_bytes (const NmAllocatorCommon *common)
{
  return __atomic_load_n (&common->backing_bytes, __ATOMIC_RELAXED);
}

G_END_DECLS
