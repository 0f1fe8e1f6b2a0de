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
 *  - keeps the allocator's count of backing bytes (NmAllocatorCommon
 *    backing_bytes), read by statistics,
 *  - and charges the allocator's memory budget, if it has one, before it
 *    takes memory from the system, uncharging it when the memory goes
 *    back. The bytes charged are the bytes counted in backing_bytes, so a
 *    budget's use is the sum of its allocators' backing bytes (and of
 *    what the application charged itself). Nothing is charged per
 *    allocation: a pool's blocks inside a charged slab never fail on the
 *    budget, and growth that fits always succeeds.
 *
 * Failures return NULL or FALSE. The allocator then reports the request
 * with _nm_allocator_fail_backing() (not _nm_allocator_fail_request()
 * with OUT_OF_MEMORY): that one function knows why the backing memory was
 * refused, the system or a memory budget, and picks the code and the words.
 */

#pragma once

#include "nm-allocator-private.h"
#include "nm-memory-budget-private.h"

G_BEGIN_DECLS

/* Attaches @common to @budget (nullable; a reference is taken) in place of
 * the budget it had. Backing bytes still counted when the budget changes
 * are uncharged from the old budget, so a budget never keeps the charges
 * of an allocator that is gone. Attaching an allocator that already holds
 * backing memory is a critical and does nothing: the configuration comes
 * first. Called by _nm_allocator_common_apply_config() and
 * _nm_allocator_common_clear(). */
void     _nm_backing_set_budget (NmAllocatorCommon *common,
                                 NmMemoryBudget    *budget);

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

/* Gives the system the pages wholly inside [@from, @to) of memory from
 * _nm_backing_alloc() that holds nothing the allocator needs: they stay
 * mapped, counted and charged, and read as zeros when touched again.
 * Returns the bytes of the pages that were resident. */
gsize    _nm_backing_discard   (NmAllocatorCommon *common,
                                gpointer           from,
                                gpointer           to);

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

gboolean _nm_backing_refuse_request (NmAllocatorCommon *common,
                                     gsize              size) NM_COLD;

/* Whether a single request of @size bytes is within the per-request cap of
 * @common's budget (#NmMemoryBudget:max-request on its path). When it is
 * not, the refusal is recorded and counted, and the caller fails the
 * request with _nm_allocator_fail_backing(), which names the cap. One load
 * and one compare when there is no cap: cheap enough for a fast path. */
static inline gboolean
_nm_backing_request_allowed (NmAllocatorCommon *common,
                             gsize              size)
{
  return G_LIKELY (common->max_request == 0 || size <= common->max_request) ||
         _nm_backing_refuse_request (common, size);
}

/* Zeroed, 64-byte aligned memory of @size bytes for a big table outside
 * any allocator (the cache's index): from @size = 4 MiB on mapped at a
 * 2 MiB boundary and advised for transparent huge pages, so a lookup at a
 * random place costs no page walk beyond the huge page's; from the heap
 * below that. Not counted, not charged. Aborts when out of memory, like
 * g_malloc0(). Freed with
 * _nm_backing_table_free() and the same @size. */
gpointer _nm_backing_table_alloc (gsize size);
void     _nm_backing_table_free  (gpointer mem,
                                  gsize    size);

/* Bytes of backing memory @common holds now. */
static inline guint64
_nm_backing_bytes (const NmAllocatorCommon *common)
{
  return __atomic_load_n (&common->backing_bytes, __ATOMIC_RELAXED);
}

G_END_DECLS
