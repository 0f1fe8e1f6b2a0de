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
 *  - the region is [base, end); bytes in use are [base, cursor); with no
 *    region (refused by the system or a budget) base, cursor, top and end
 *    are NULL, and every allocation asks for it again;
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
 *  - depth, the number of live allocations, is n_pushes - n_pops -
 *    n_dropped: pushes and pops are counted always (one add each), and a
 *    reset adds what it drops to n_dropped. With track-stats off the
 *    counts are kept and reported as 0;
 *  - markers form a stack (marks) of the state when each was pushed;
 *    frame_top is the top when the newest live marker was pushed (base
 *    without one). The current frame holds an allocation exactly when
 *    top > frame_top, and only its top may be freed or resized; a pop that
 *    restores a top below frame_top names an allocation of an older frame;
 *  - peak is the highest cursor since the region was had: raised where the
 *    cursor rises past it (a push or a resize), never by a pop, a pop to a
 *    marker or a reset, which lower the cursor;
 *  - hot (no slow flag, a region): the inline paths may run. The fast
 *    fields they read say so without a flag: when not hot, fast.limit and
 *    fast.peak are NULL and fast.floor is the highest address, so no push
 *    fits and no pop is above the floor; then peak_cursor holds the peak.
 *    When hot, fast.limit is end, fast.floor is frame_top and fast.peak is
 *    the peak (peak_cursor is unused). _nm_stack_arm () sets them;
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

  guint8               *end;              /* end of the region */
  guint8               *frame_top;        /* top at the newest live marker, or base */
  guint8               *peak_cursor;      /* the peak when not hot */
  guint64               n_dropped;        /* allocations released by resets */
  gboolean              hot;

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

static inline gsize
_nm_stack_depth (const NmStackAllocator *self)
{
  return (gsize) (self->fast.n_pushes - self->fast.n_pops - self->n_dropped);
}

/* Whether the current frame holds an allocation (the top is in it). */
static inline gboolean
_nm_stack_frame_has_top (const NmStackAllocator *self)
{
  return self->fast.top > self->frame_top;
}

static inline gsize
_nm_stack_peak (const NmStackAllocator *self)
{
  return (gsize) ((self->hot ? self->fast.peak : self->peak_cursor) - self->fast.base);
}

/* The cursor rose to @cursor (a push or a resize out of line). */
static inline void
_nm_stack_raise_peak (NmStackAllocator *self,
                      guint8           *cursor)
{
  guint8 **peak = self->hot ? &self->fast.peak : &self->peak_cursor;

  if (cursor > *peak)
    *peak = cursor;
}

/* A new frame whose floor is @top (a marker pushed or popped, a reset). */
static inline void
_nm_stack_set_frame (NmStackAllocator *self,
                     guint8           *top)
{
  self->frame_top = top;
  if (self->hot)
    self->fast.floor = top;
}

/* Sets the fast fields the inline paths read from the state: open when
 * hot, closed otherwise (see the invariants). */
static inline void
_nm_stack_arm (NmStackAllocator *self)
{
  gboolean was_hot = self->hot;
  guint8 *peak = was_hot ? self->fast.peak : self->peak_cursor;

  self->hot = self->fast.slow_flags == 0 && self->fast.base != NULL;
  self->fast.limit = self->hot ? self->end : NULL;
  self->fast.floor = self->hot ? self->frame_top : (guint8 *) ~(guintptr) 0;
  self->fast.peak = self->hot ? peak : NULL;
  self->peak_cursor = peak;
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
