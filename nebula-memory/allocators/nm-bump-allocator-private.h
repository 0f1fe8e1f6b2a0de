/* nm-bump-allocator-private.h: the bump allocator's struct, its invariants
 * and the helpers its files share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The bump allocator is split by idea:
 *
 *   nm-bump-allocator.c   the type: GObject construction and properties,
 *                         notifications, constructors, getters
 *   nm-bump-alloc.c       what it does: allocate (behind the inline fast
 *                         path), free, ownership, reset, statistics
 *   nm-bump-chunks.c      chunks of backing memory: get, grow, release
 *   nm-bump-checkpoint.c  checkpoints, restore marks, scopes
 *
 * Only cold paths cross file boundaries; what the hot paths need is static
 * inline below.
 */

#pragma once

#include <pthread.h>

#include "nm-allocator-private.h"
#include "nm-memory-config.h"
#include "nm-bump-allocator.h"

G_BEGIN_DECLS

/* Every chunk starts with its header; the usable bytes follow. */
#define NM_BUMP_CHUNK_HEADER 64

/* Bytes after each block in the development preset (validate on). */
#define NM_BUMP_REDZONE 16

/* A bump-only slow-path bit beside the shared NmSlowFlags: live
 * allocations are counted for the leak report. */
#define NM_BUMP_SLOW_COUNT_LIVE (1 << 8)

typedef struct _NmBumpChunk NmBumpChunk;

struct _NmBumpChunk
{
  NmBumpChunk *prev;
  guint8      *start;
  guint8      *end;
  guint8      *top;
  guint64      serial;     /* process-wide, never repeated */
  gsize        usable;
};

G_STATIC_ASSERT (sizeof (NmBumpChunk) <= NM_BUMP_CHUNK_HEADER);

/* A restore to the checkpoint with sequence @target, made when the
 * checkpoint counter was @counter, kills every checkpoint in
 * (target, counter]. See nm-bump-checkpoint.c. */
typedef struct
{
  guint64 counter;
  guint64 target;
} NmBumpRestoreMark;

/* What g_object_new() was given, until constructed() applies it. */
typedef struct
{
  guint            set;          /* NmConfigField bits of the properties given */
  char            *name;
  guint64          capacity;
  guint64          max_capacity;
  gboolean         thread_safe;
} NmBumpConstructProps;

/* Invariants
 *
 *  - chunks form a list from the newest (self->current) back to the oldest
 *    through ->prev; self->first is the oldest and never changes once had;
 *  - self->first and self->current are both NULL until the first chunk is
 *    had (the system may refuse it at construction; every allocation tries
 *    again);
 *  - single-thread mode: the live cursor of the current chunk is
 *    self->fast.cursor (current->top is stale); older chunks' ->top is final;
 *  - thread-safe mode: every chunk's ->top is its cursor, updated with
 *    compare-and-swap; self->fast.cursor is unused;
 *  - self->fast.limit is the current chunk's end when slow_flags is 0, and
 *    NULL otherwise, so that every fast path falls through to the slow path;
 *  - self->fast.last is the start of the most recent allocation that may still
 *    be freed back, or NULL; it never lies below the newest live checkpoint;
 *  - bytes in use = self->used_before + (cursor - current->start) in
 *    single-thread mode, redzones and alignment padding included;
 *  - a block of size n at p moves the cursor to p + n + self->redzone; the
 *    redzone (validate on) is never handed out and stays poisoned;
 *  - in thread-safe mode the chunk list changes under grow_lock only, so
 *    statistics read under it from any thread see a consistent list;
 *  - chunk serials and the high half of the epoch come from
 *    _nm_allocator_next_serial(): a checkpoint never matches a chunk or an
 *    epoch of another allocator, even one at the same address after the
 *    first was finalized. Resets count in the low half of the epoch, with
 *    no atomic operation;
 *  - self->spare, when not NULL, is a chunk outside the list that a reset
 *    kept instead of freeing it (the largest it released): released for
 *    the tools, counted in the backing bytes and the budget, not in the
 *    capacity; growth takes it before asking the backing layer, and a
 *    trim above %NM_MEMORY_PRESSURE_LEVEL_LOW frees it. Changed under
 *    grow_lock in thread-safe mode;
 *  - with NM_BUMP_SLOW_COUNT_LIVE, self->n_live counts the blocks handed out
 *    and not released; a checkpoint records it, a restore puts it back.
 */
struct _NmBumpAllocator
{
  GObject              parent_instance;

  /* Hot: single-thread allocation touches only these; the inline fast
   * path in the header reads them right after the GObject. */
  _NmBumpAllocatorFast fast;

  NmBumpChunk         *current;
  NmBumpChunk         *first;
  NmBumpChunk         *spare;        /* kept by a reset for the next growth, or NULL */
  gsize                used_before;  /* bytes used in chunks older than current */
  gsize                capacity;     /* usable bytes of the first chunk */
  gsize                max_capacity; /* 0: fixed */
  gsize                redzone;      /* 0, or NM_BUMP_REDZONE with validate on */
  gboolean             check_owner;  /* validate on, single-thread mode */
  guint64              peak;
  guint64              n_frees;
  guint64              n_live;       /* with NM_BUMP_SLOW_COUNT_LIVE */
  guint64              epoch;        /* bumped by reset: kills every checkpoint */
  guint64              checkpoints;  /* checkpoint sequence counter */
  GArray              *restore_marks;

  /* A pthread mutex rather than a GMutex: GLib implements GMutex with
   * futexes that ThreadSanitizer does not see, and a user's TSan run must
   * stay quiet while statistics are read during allocation. */
  pthread_mutex_t      grow_lock;

  NmMemoryConfig      *config;       /* the settings in effect */
  NmBumpConstructProps construct;

  NmAllocatorCommon    common;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (struct _NmBumpAllocator, fast) == sizeof (GObject));

static inline gboolean
nm_bump_is_thread_safe (NmBumpAllocator *self)
{
  return (self->fast.slow_flags & NM_SLOW_THREAD_SAFE) != 0;
}

/* Guards the chunk list in thread-safe mode; nothing in single-thread mode. */
static inline void
nm_bump_lock (NmBumpAllocator *self)
{
  if (nm_bump_is_thread_safe (self))
    pthread_mutex_lock (&self->grow_lock);
}

static inline void
nm_bump_unlock (NmBumpAllocator *self)
{
  if (nm_bump_is_thread_safe (self))
    pthread_mutex_unlock (&self->grow_lock);
}

static inline guint8 *
nm_bump_chunk_top (NmBumpAllocator *self,
                   NmBumpChunk     *chunk)
{
  if (nm_bump_is_thread_safe (self))
    return __atomic_load_n (&chunk->top, __ATOMIC_RELAXED);

  return chunk == self->current ? self->fast.cursor : chunk->top;
}

/* Makes @chunk the current chunk (single-thread bookkeeping included). */
static inline void
nm_bump_enter_chunk (NmBumpAllocator *self,
                     NmBumpChunk     *chunk,
                     guint8          *cursor)
{
  chunk->top = cursor;
  /* Publish only a fully initialised chunk (thread-safe mode). */
  __atomic_store_n (&self->current, chunk, __ATOMIC_RELEASE);
  self->fast.cursor = cursor;
  /* With anything that needs the slow path, no request fits below a NULL
   * limit: the fast paths then need no flag test of their own. */
  self->fast.limit = self->fast.slow_flags == 0 ? chunk->end : NULL;
}

/* Bytes in use; in thread-safe mode with the chunk list locked, or while
 * no reset or restore runs. */
static inline gsize
nm_bump_used (NmBumpAllocator *self)
{
  gsize used = 0;

  if (!nm_bump_is_thread_safe (self))
    return self->current == NULL
           ? 0 : self->used_before + (gsize) (self->fast.cursor - self->current->start);

  for (NmBumpChunk *c = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE); c; c = c->prev)
    used += (gsize) (nm_bump_chunk_top (self, c) - c->start);

  return used;
}

/* Under the same conditions as nm_bump_used(). */
static inline guint
nm_bump_count_chunks (NmBumpAllocator *self)
{
  guint n = 0;

  for (NmBumpChunk *c = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE); c; c = c->prev)
    n++;

  return n;
}

/* nm-bump-chunks.c */

typedef enum
{
  NM_BUMP_GROW_DONE,
  NM_BUMP_GROW_RETRY,           /* another thread grew the allocator meanwhile */
  NM_BUMP_GROW_NO_ROOM,         /* fixed capacity, or max-capacity reached */
  NM_BUMP_GROW_SYSTEM_REFUSED,  /* the backing layer refused a new chunk */
  NM_BUMP_GROW_FIRST_REFUSED,   /* the backing layer refused the first chunk */
} NmBumpGrowResult;

NmBumpChunk     *_nm_bump_chunk_new             (NmBumpAllocator *self,
                                                 gsize            usable);
void             _nm_bump_chunk_free            (NmBumpAllocator *self,
                                                 NmBumpChunk     *chunk);
gboolean         _nm_bump_acquire_first_chunk   (NmBumpAllocator *self);
NmBumpGrowResult _nm_bump_grow                  (NmBumpAllocator *self,
                                                 gsize            span,
                                                 gsize            alignment);
void             _nm_bump_release_range         (NmBumpAllocator *self,
                                                 NmBumpChunk     *chunk,
                                                 guint8          *from,
                                                 guint8          *to);
gboolean         _nm_bump_release_chunks_after  (NmBumpAllocator *self,
                                                 NmBumpChunk     *keep);
gboolean         _nm_bump_release_chunks_keep_spare (NmBumpAllocator *self,
                                                     NmBumpChunk     *keep);
gsize            _nm_bump_free_spare            (NmBumpAllocator *self);
NmBumpChunk     *_nm_bump_find_chunk            (NmBumpAllocator *self,
                                                 gconstpointer    mem);
void             _nm_bump_free_all_chunks       (NmBumpAllocator *self);

/* nm-bump-checkpoint.c */

void             _nm_bump_forget_checkpoints    (NmBumpAllocator *self);

/* nm-bump-alloc.c */

void             _nm_bump_allocator_iface_init  (NmAllocatorInterface *iface);

/* nm-bump-allocator.c */

/* The GType, cached for the cheap type check of the exported entry points. */
extern GType     _nm_bump_allocator_type;

/* capacity and chunk-count changed (growth, or chunks released). */
void             _nm_bump_notify_chunks_changed (NmBumpAllocator *self);
/* After a reset: bytes-used and bytes-peak, when they changed, and the
 * high-water sample of the usage before it against @capacity_before. */
void             _nm_bump_notify_usage          (NmBumpAllocator *self,
                                                 guint64          capacity_before,
                                                 guint64          used_before,
                                                 guint64          used_after,
                                                 guint64          peak_before,
                                                 guint64          peak_after);

/* After a reset: NmAllocator::reset, batched. */
void             _nm_bump_queue_reset           (NmBumpAllocator *self);

NmBumpAllocator *_nm_bump_allocator_new_from_config (NmMemoryConfig  *config,
                                                     GError         **error);

G_END_DECLS
