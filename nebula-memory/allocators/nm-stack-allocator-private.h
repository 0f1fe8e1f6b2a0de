/* nm-stack-allocator-private.h: the stack allocator's struct, its invariants
 * and the helpers its files share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * nm-stack-allocator.c holds the type, push and pop, resize, reset and the
 * GObject code; nm-stack-marker.c the markers and scopes. The encoding of
 * the bookkeeping word below each allocation is written once, as static
 * inlines in the public header, because the inline fast paths there use
 * it; the helpers below add the tool annotations around it.
 */

#pragma once

#include "nm-allocator-private.h"
#include "nm-memory-config.h"
#include "nm-memory-config-private.h"
#include "nm-sanitizer-private.h"
#include "nm-stack-allocator.h"

G_BEGIN_DECLS

/* Invariants
 *
 *  - the region is [base, limit); bytes in use are [base, cursor); with no
 *    region (refused by the system or a budget) base, cursor, top and
 *    limit are NULL, and every allocation asks for it again;
 *  - top is the start of the most recent live allocation, or base when
 *    the stack is empty; the top allocation is [top, cursor);
 *  - every allocation p (8-aligned) has the word at p - 8, laid out and
 *    sealed as the public header describes (pad, rounded distance to the
 *    top below, keyed check): popping p restores the cursor and the top
 *    from before p was pushed. A pad above 2047 (alignments above 1 KiB,
 *    or the redzone on top of a large alignment) is stored in a second
 *    word at p - 16, sealed with the address p - 8, and the first word's
 *    pad field is 0;
 *  - with validation on (development preset), a redzone of
 *    NM_STACK_REDZONE bytes lies between the end of each allocation and the
 *    word of the next: never handed out, so tools report an overflow into
 *    it;
 *  - depth counts live allocations; markers form a stack (marks) of the
 *    state when each was pushed; frame_depth is the depth at the newest
 *    live marker (0 without one): only the top allocation of the current
 *    frame (depth > frame_depth) may be freed or resized;
 *  - every marker carries the epoch it was pushed in, and a reset starts a
 *    new one. Epochs increase through the process and never repeat (see
 *    _nm_stack_next_epoch ()): a marker of a finalized allocator has an
 *    epoch below first_epoch of any later allocator at the same address;
 *  - with sanitizers active, bookkeeping words, redzones and padding are
 *    always poisoned and each allocation is a block of the memcheck
 *    mempool keyed by base.
 */

#define NM_STACK_HEADER      _NM_STACK_WORD_SIZE
#define NM_STACK_PAD_MASK    _NM_STACK_WORD_PAD_MASK
#define NM_STACK_REDZONE     16
#define NM_STACK_EPOCH_BITS  24

/* The slow-path flags that concern a stack (never thread-safe). */
#define NM_STACK_SLOW_FLAGS  (NM_SLOW_SANITIZE | NM_SLOW_POISON | NM_SLOW_VALIDATE | \
                              NM_SLOW_REQUEST_CAP | NM_SLOW_LEAK_SITES)

/* The distance to the top below, in units of 8 bytes, must fit in the 37
 * bits between the pad and the check. */
G_STATIC_ASSERT (NM_MAX_CAPACITY / 8 <= (G_GUINT64_CONSTANT (1) << (48 - _NM_STACK_WORD_PAD_BITS)));

/* The state of the stack when a marker was pushed. */
typedef struct
{
  guint64  id;
  guint8  *cursor;
  guint8  *top;
  gsize    depth;
} NmStackMark;

struct _NmStackAllocator
{
  GObject               parent_instance;

  /* Hot: push and pop touch only these; the inline fast paths in the
   * header read them right after the GObject. */
  _NmStackAllocatorFast fast;

  gsize                 capacity;
  gsize                 redzone;          /* NM_STACK_REDZONE with validation on, else 0 */
  gboolean              region_refused;   /* the backing layer refused the region */

  GArray               *marks;            /* NmStackMark, oldest first */
  guint64               next_mark_id;
  guint64               last_popped_id;
  guint64               epoch;
  guint64               first_epoch;

  /* Construct-only properties, applied by constructed (). */
  NmMemoryConfig       *config;
  char                 *construct_name;

  NmAllocatorCommon     common;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (struct _NmStackAllocator, fast) == sizeof (GObject));

/* The GType, cached by class_init for the type check of the entry points:
 * one compare of the instance's class type, removed by G_DISABLE_CHECKS. */
extern GType _nm_stack_allocator_type;

#define NM_STACK_CHECK(self, val) \
  g_return_val_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == _nm_stack_allocator_type, val)
#define NM_STACK_CHECK_VOID(self) \
  g_return_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == _nm_stack_allocator_type)

NmStackAllocator *_nm_stack_allocator_new_from_config (NmMemoryConfig    *config,
                                                       GError           **error);

/* NmAllocatorInterface.alloc and .free (nm-stack-blocks.c). */
gpointer          _nm_stack_allocator_iface_alloc     (NmAllocator       *allocator,
                                                       gsize              size,
                                                       gsize              alignment,
                                                       GError           **error);
void              _nm_stack_allocator_iface_free      (NmAllocator       *allocator,
                                                       gpointer           mem,
                                                       gsize              size,
                                                       gsize              alignment);

/* Gets the region from the backing layer; when it is refused (by the
 * system or a budget), the stack stays empty with no room and
 * region_refused set, and each allocation asks again. */
gboolean          _nm_stack_allocator_acquire_region  (NmStackAllocator  *self);

/* After a release of many allocations at once (reset, pop to a marker, end
 * of a scope): queues notify::bytes-used if it changed from @used_before,
 * and notify::bytes-peak if the peak rose since it was last announced;
 * delivered on the allocator's main context, batched. */
void              _nm_stack_allocator_notify_usage    (NmStackAllocator  *self,
                                                       guint64            used_before);

static inline gsize
_nm_stack_used (const NmStackAllocator *self)
{
  return (gsize) (self->fast.cursor - self->fast.base);
}

/* The peak a reader sees: the cursor may be above the last noted peak. */
static inline gsize
_nm_stack_peak (const NmStackAllocator *self)
{
  return (gsize) (MAX (self->fast.peak_cursor, self->fast.cursor) - self->fast.base);
}

static inline void
_nm_stack_note_peak (NmStackAllocator *self)
{
  if (self->fast.cursor > self->fast.peak_cursor)
    self->fast.peak_cursor = self->fast.cursor;
}

/* With validation on, reports use from a thread other than the owner. */
static inline void
_nm_stack_check_owner (NmStackAllocator *self)
{
  if (self->fast.slow_flags & NM_SLOW_VALIDATE)
    _nm_allocator_check_owner (&self->common,
                               "a stack allocator serves one thread, and "
                               "last-in-first-out order has no meaning across "
                               "threads. Give each thread its own stack.");
}

/* [from, base + used) no longer holds live data (a pop, a pop to a marker,
 * a reset): fill it and tell the tools, in the one order of the sanitizer
 * layer. It includes padding and words that were never handed out. */
static inline void
_nm_stack_release_range (NmStackAllocator *self,
                         guint8           *from)
{
  if (self->fast.cursor > from)
    nm_sanitizer_release_range (self->fast.base, self->fast.base,
                                (gsize) (from - self->fast.base),
                                (gsize) (self->fast.cursor - from),
                                self->common.sanitize, self->common.poison);
}

/* A new epoch: a serial from the process-wide counter, shifted left by
 * NM_STACK_EPOCH_BITS, and then incremented by each reset; only when the
 * low bits run out is a new serial drawn. So a reset does no atomic
 * read-modify-write on a shared cache line, and epochs still increase and
 * never repeat in the process. */
static inline guint64
_nm_stack_first_epoch (void)
{
  return _nm_allocator_next_serial () << NM_STACK_EPOCH_BITS;
}

static inline void
_nm_stack_next_epoch (NmStackAllocator *self)
{
  if (((self->epoch + 1) & ((G_GUINT64_CONSTANT (1) << NM_STACK_EPOCH_BITS) - 1)) != 0)
    self->epoch++;
  else
    self->epoch = _nm_stack_first_epoch ();
}

static inline NmStackMark *
_nm_stack_mark_at (NmStackAllocator *self,
                   guint             index)
{
  return &g_array_index (self->marks, NmStackMark, index);
}

static inline guint64
_nm_stack_newest_mark_id (NmStackAllocator *self)
{
  return self->marks->len > 0 ? _nm_stack_mark_at (self, self->marks->len - 1)->id : 0;
}

G_END_DECLS
