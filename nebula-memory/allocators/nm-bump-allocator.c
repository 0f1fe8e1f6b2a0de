/* nm-bump-allocator.c: region allocator with checkpoints
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-allocator-private.h"
#include "nm-memory-config-builder.h"
#include "nm-memory-config-private.h"
#include "nm-sanitizer-private.h"
#include "nm-bump-allocator-private.h"

/**
 * SECTION:nm-bump-allocator
 * @Title: NmBumpAllocator
 * @Short_description: region (arena) allocator with checkpoints and reset
 *
 * An #NmBumpAllocator hands out memory by moving a cursor through chunks of
 * backing memory, and takes it all back at once with nm_allocator_reset():
 * the allocator for request, frame and syntax-tree lifetimes. There is no
 * per-allocation header; each chunk has a 64-byte header.
 *
 * The capacity is fixed, or the allocator grows by adding chunks (each at
 * least twice the previous one) up to #NmBumpAllocator:max-capacity.
 * Resetting keeps the first chunk and releases the others.
 *
 * Freeing the most recent allocation (same pointer, same size) gives its
 * bytes back; any other free of memory the allocator owns is a counted
 * no-op. Freeing memory it does not own is reported with g_critical().
 *
 * Checkpoints record a position; restoring one releases everything
 * allocated after it, across chunks. Checkpoints nest: restoring an outer
 * one invalidates the inner ones, and restoring an invalidated checkpoint
 * fails with %NM_ALLOCATOR_ERROR_LIFO_VIOLATION without changing anything.
 * #NmBumpScope restores automatically at the end of a C scope.
 *
 * With #NmMemoryConfig:validate (the development preset), a single-thread
 * allocator belongs to the first thread that uses it and reports use from
 * another thread with one g_critical() per thread.
 *
 * In thread-safe mode any number of threads allocate at once through a
 * lock-free cursor (one compare-and-swap per allocation); growth takes a
 * lock. Reset, checkpoints and restore must not race with allocations.
 * Frees are counted no-ops in that mode: "most recent" has no meaning
 * across threads. The default single-thread mode uses no atomic operation
 * on its hot path.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (64 * 1024, NULL);
 * NmBumpCheckpoint cp;
 *
 * nm_bump_allocator_checkpoint (arena, &cp);
 * node = nm_bump_allocator_alloc (arena, sizeof (Node), G_ALIGNOF (Node), &error);
 * ...
 * nm_bump_allocator_restore (arena, &cp, &error);
 * ]|
 */

/* Invariants
 *
 *  - chunks form a list from the newest (self->current) back to the oldest
 *    through ->prev; serials increase towards the newest;
 *  - single-thread mode: the live cursor of the current chunk is
 *    self->fast.cursor (current->top is stale); older chunks' ->top is final;
 *  - thread-safe mode: every chunk's ->top is its cursor, updated with
 *    compare-and-swap; self->fast.cursor is unused;
 *  - self->fast.limit is the current chunk's end when slow_flags is 0, and
 *    NULL otherwise, so that every fast path falls through to alloc_slow;
 *  - self->fast.last is the start of the most recent allocation that may still
 *    be freed back, or NULL; it never lies below the newest live checkpoint;
 *  - bytes in use = self->used_before + (cursor - current->start) in
 *    single-thread mode.
 */

#define CHUNK_HEADER 64

typedef struct _NmBumpChunk NmBumpChunk;

struct _NmBumpChunk
{
  NmBumpChunk *prev;
  guint8      *start;
  guint8      *end;
  guint8      *top;
  guint64      serial;
  gsize        usable;
};

G_STATIC_ASSERT (sizeof (NmBumpChunk) <= CHUNK_HEADER);

/* A restore to the checkpoint with sequence @target, made when the
 * checkpoint counter was @counter, kills every checkpoint in
 * (target, counter]. See checkpoint_is_alive(). */
typedef struct
{
  guint64 counter;
  guint64 target;
} RestoreMark;

struct _NmBumpAllocator
{
  GObject            parent_instance;

  /* Hot: single-thread allocation touches only these; the inline fast
   * path in the header reads them right after the GObject. */
  NmBumpAllocatorFast fast;

  NmBumpChunk       *current;
  NmBumpChunk       *first;        /* kept from creation to finalize */
  gsize              used_before;  /* bytes used in chunks older than current */
  gsize              capacity;     /* usable bytes of the first chunk */
  gsize              max_capacity; /* 0: fixed */
  gsize              held;         /* usable bytes of all chunks */
  guint64            peak;
  guint64            n_frees;
  guint64            next_serial;
  guint64            epoch;        /* bumped by reset: kills every checkpoint */
  guint64            checkpoints;  /* checkpoint sequence counter */
  GArray            *restore_marks;
  GMutex             grow_lock;

  NmAllocatorCommon  common;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (struct _NmBumpAllocator, fast) == sizeof (GObject));

enum {
  SLOW_THREAD_SAFE = 1 << 0,
  SLOW_SANITIZE    = 1 << 1,
  SLOW_POISON      = 1 << 2,
  SLOW_VALIDATE    = 1 << 3,   /* single-thread mode only */
};

enum {
  PROP_MAX_CAPACITY = NM_ALLOCATOR_PROP_LAST,
  PROP_CHUNK_COUNT,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];
static GType bump_type;

static void nm_bump_allocator_iface_init (NmAllocatorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NmBumpAllocator, nm_bump_allocator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR,
                                                      nm_bump_allocator_iface_init))

G_DEFINE_BOXED_TYPE (NmBumpCheckpoint, nm_bump_checkpoint,
                     nm_bump_checkpoint_copy, nm_bump_checkpoint_free)

/* A type check cheap enough for the hot path: one compare of the instance's
 * class type against the cached GType, removed by G_DISABLE_CHECKS. */
#define NM_BUMP_CHECK(self, val) \
  g_return_val_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == bump_type, val)
#define NM_BUMP_CHECK_VOID(self) \
  g_return_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == bump_type)

/* With validation (development preset), a single-thread allocator reports
 * use from a second thread once. */
static inline void
check_owner (NmBumpAllocator *self)
{
  if (self->fast.slow_flags & SLOW_VALIDATE)
    _nm_allocator_check_owner (&self->common,
                               "a single-thread bump allocator is not safe to use from "
                               "several threads. Give each thread its own arena, or set "
                               "thread-safe=true.");
}

/* Chunks */

static inline gboolean
is_thread_safe (NmBumpAllocator *self)
{
  return (self->fast.slow_flags & SLOW_THREAD_SAFE) != 0;
}

static inline guint8 *
chunk_top (NmBumpAllocator *self,
           NmBumpChunk     *chunk)
{
  if (is_thread_safe (self))
    return __atomic_load_n (&chunk->top, __ATOMIC_RELAXED);

  return chunk == self->current ? self->fast.cursor : chunk->top;
}

static NmBumpChunk *
chunk_new (NmBumpAllocator *self,
           gsize            usable)
{
  NmBumpChunk *chunk;
  gsize total;

  if (!g_size_checked_add (&total, usable, CHUNK_HEADER))
    return NULL;

  chunk = g_try_malloc (total);
  if (chunk == NULL)
    return NULL;

  chunk->prev = NULL;
  chunk->start = (guint8 *) chunk + CHUNK_HEADER;
  chunk->end = chunk->start + usable;
  chunk->top = chunk->start;
  chunk->serial = ++self->next_serial;
  chunk->usable = usable;

  if (self->common.sanitize)
    {
      nm_sanitizer_pool_create (chunk);
      nm_sanitizer_poison (chunk->start, usable);
    }

  self->held += usable;

  return chunk;
}

static void
chunk_free (NmBumpAllocator *self,
            NmBumpChunk     *chunk)
{
  if (self->common.sanitize)
    {
      nm_sanitizer_pool_destroy (chunk);
      nm_sanitizer_unpoison (chunk->start, chunk->usable);
    }

  self->held -= chunk->usable;
  g_free (chunk);
}

/* Makes @chunk the current chunk (single-thread bookkeeping included). */
static void
enter_chunk (NmBumpAllocator *self,
             NmBumpChunk     *chunk,
             guint8          *cursor)
{
  self->current = chunk;
  self->fast.cursor = cursor;
  /* With anything that needs the slow path, no request fits below a NULL
   * limit: the fast paths then need no flag test of their own. */
  self->fast.limit = self->fast.slow_flags == 0 ? chunk->end : NULL;
  chunk->top = cursor;
}

static gsize
bump_used (NmBumpAllocator *self)
{
  gsize used = 0;

  if (!is_thread_safe (self))
    return self->used_before + (gsize) (self->fast.cursor - self->current->start);

  for (NmBumpChunk *c = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE); c; c = c->prev)
    used += (gsize) (chunk_top (self, c) - c->start);

  return used;
}

static void
update_peak (NmBumpAllocator *self)
{
  guint64 used = bump_used (self);

  if (used > self->peak)
    self->peak = used;
}

/* Poisons or fills [from, to) of @chunk, which no longer holds live data. */
static void
release_range (NmBumpAllocator *self,
               NmBumpChunk     *chunk,
               guint8          *from,
               guint8          *to)
{
  if (to <= from)
    return;

  if (self->common.poison)
    memset (from, NM_POISON_FREED, (gsize) (to - from));

  if (self->common.sanitize)
    nm_sanitizer_pool_trim (chunk, chunk->start, (gsize) (from - chunk->start),
                            (gsize) (to - from));
}

/* Releases every chunk newer than @keep. */
static void
release_chunks_after (NmBumpAllocator *self,
                      NmBumpChunk     *keep)
{
  while (self->current != keep)
    {
      NmBumpChunk *chunk = self->current;

      self->current = chunk->prev;
      chunk_free (self, chunk);
    }
}

/* Allocation */

static gpointer
fail_out_of_memory (NmBumpAllocator  *self,
                    gsize             size,
                    gsize             alignment,
                    gboolean          system_refused,
                    GError          **error)
{
  g_autofree char *usage = NULL;
  NmAllocatorCommon *c = &self->common;

  if (system_refused)
    {
      g_autofree char *held = _nm_format_size (self->held);

      return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                                 "%s “%s” cannot allocate %" G_GSIZE_FORMAT " bytes (alignment %"
                                 G_GSIZE_FORMAT "): the system refused a new chunk (%s held "
                                 "already). Free memory elsewhere or lower max-capacity.",
                                 c->label, c->name, size, alignment, held);
    }

  if (self->max_capacity != 0)
    {
      usage = _nm_format_usage (bump_used (self), self->max_capacity);
      return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                                 "%s “%s” cannot allocate %" G_GSIZE_FORMAT " bytes (alignment %"
                                 G_GSIZE_FORMAT "): %s, counting max-capacity. Raise "
                                 "max-capacity, or reset between requests.",
                                 c->label, c->name, size, alignment, usage);
    }

  usage = _nm_format_usage (bump_used (self), self->capacity);
  return _nm_allocator_fail (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                             "%s “%s” cannot allocate %" G_GSIZE_FORMAT " bytes (alignment %"
                             G_GSIZE_FORMAT "): %s. Raise capacity, allow growth with "
                             "max-capacity, or reset between requests.",
                             c->label, c->name, size, alignment, usage);
}

typedef enum
{
  GROW_DONE,
  GROW_NO_ROOM,         /* fixed capacity, or max-capacity reached */
  GROW_SYSTEM_REFUSED,  /* malloc failed */
} GrowResult;

/* Adds a chunk with room for @size bytes at @alignment. Called with the
 * grow lock held in thread-safe mode; reports nothing, so that the caller
 * can emit the failure signal after dropping the lock. */
static GrowResult
grow (NmBumpAllocator *self,
      gsize            size,
      gsize            alignment)
{
  NmBumpChunk *chunk;
  gsize need, usable;

  if (self->max_capacity == 0 ||
      !g_size_checked_add (&need, size, alignment - 1) ||
      need > self->max_capacity - self->held)
    return GROW_NO_ROOM;

  usable = MAX (self->current->usable * 2, need);
  usable = MIN (usable, self->max_capacity - self->held);

  chunk = chunk_new (self, usable);
  if (chunk == NULL)
    return GROW_SYSTEM_REFUSED;

  chunk->prev = self->current;

  if (is_thread_safe (self))
    {
      /* Publish only a fully initialised chunk. */
      __atomic_store_n (&self->current, chunk, __ATOMIC_RELEASE);
    }
  else
    {
      NmBumpChunk *old = self->current;

      old->top = self->fast.cursor;
      self->used_before += (gsize) (old->top - old->start);
      enter_chunk (self, chunk, chunk->start);
    }

  return GROW_DONE;
}

static void
hand_out (NmBumpAllocator *self,
          NmBumpChunk     *chunk,
          guint8          *mem,
          gsize            size)
{
  if (self->common.sanitize)
    nm_sanitizer_block_alloc (chunk, mem, size);

  if (self->common.poison)
    memset (mem, NM_POISON_FRESH, size);
}

static gpointer
alloc_thread_safe (NmBumpAllocator  *self,
                   gsize             size,
                   gsize             alignment,
                   GError          **error)
{
  for (;;)
    {
      NmBumpChunk *chunk = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE);
      GrowResult result;
      guint8 *top = __atomic_load_n (&chunk->top, __ATOMIC_RELAXED);

      for (;;)
        {
          guintptr p = nm_align_up ((guintptr) top, alignment);

          if (p > (guintptr) chunk->end || size > (guintptr) chunk->end - p)
            break;

          /* The bytes belong to whoever wins the exchange; nothing else is
           * published, so relaxed order is enough. */
          if (__atomic_compare_exchange_n (&chunk->top, &top, (guint8 *) p + size, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            {
              if (self->fast.count_step)
                __atomic_fetch_add (&self->fast.n_allocs, 1, __ATOMIC_RELAXED);
              hand_out (self, chunk, (guint8 *) p, size);
              return (gpointer) p;
            }
        }

      g_mutex_lock (&self->grow_lock);
      /* Another thread may have grown the allocator meanwhile: retry then. */
      result = __atomic_load_n (&self->current, __ATOMIC_RELAXED) == chunk
               ? grow (self, size, alignment) : GROW_DONE;
      g_mutex_unlock (&self->grow_lock);

      if (result != GROW_DONE)
        return fail_out_of_memory (self, size, alignment,
                                   result == GROW_SYSTEM_REFUSED, error);
    }
}

static G_GNUC_NO_INLINE gpointer
alloc_slow (NmBumpAllocator  *self,
            gsize             size,
            gsize             alignment,
            GError          **error)
{
  guintptr p;

  check_owner (self);

  if (!nm_layout_is_valid (size, alignment))
    return _nm_allocator_fail_layout (NM_ALLOCATOR (self), &self->common, size, alignment, error);

  if (is_thread_safe (self))
    return alloc_thread_safe (self, size, alignment, error);

  p = nm_align_up ((guintptr) self->fast.cursor, alignment);
  if (p > (guintptr) self->current->end || size > (guintptr) self->current->end - p)
    {
      GrowResult result = grow (self, size, alignment);

      if (result != GROW_DONE)
        return fail_out_of_memory (self, size, alignment,
                                   result == GROW_SYSTEM_REFUSED, error);
      p = nm_align_up ((guintptr) self->fast.cursor, alignment);
    }

  self->fast.cursor = (guint8 *) p + size;
  self->fast.last = (guint8 *) p;
  self->fast.n_allocs += self->fast.count_step;
  hand_out (self, self->current, (guint8 *) p, size);

  return (gpointer) p;
}

/**
 * nm_bump_allocator_alloc:
 * @self: an #NmBumpAllocator
 * @size: number of bytes, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Allocates @size bytes aligned to @alignment: the direct, fastest entry
 * point, for callers that know they have a bump allocator. In C the common
 * case (single-thread mode, room in the current chunk) is inlined in the
 * caller; the rest, including argument checks, happens in the library.
 *
 * Returns: (transfer none) (nullable): the memory, or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
(nm_bump_allocator_alloc) (NmBumpAllocator  *self,
                         gsize             size,
                         gsize             alignment,
                         GError          **error)
{
  guintptr p;

  NM_BUMP_CHECK (self, NULL);

  /* Hot path: align, compare, store. Anything unusual (thread-safe mode,
   * sanitizers, poisoning, a bad layout, a full chunk) goes to alloc_slow. */
  p = nm_align_up ((guintptr) self->fast.cursor, alignment);
  if G_LIKELY (nm_layout_is_valid (size, alignment) &&
               p <= (guintptr) self->fast.limit &&
               size <= (guintptr) self->fast.limit - p)
    {
      self->fast.cursor = (guint8 *) p + size;
      self->fast.last = (guint8 *) p;
      self->fast.n_allocs += self->fast.count_step;
      return (gpointer) p;
    }

  return alloc_slow (self, size, alignment, error);
}

static gpointer
bump_alloc (NmAllocator  *allocator,
            gsize         size,
            gsize         alignment,
            GError      **error)
{
  return (nm_bump_allocator_alloc) ((NmBumpAllocator *) allocator, size, alignment, error);
}

/* Ownership and free */

static NmBumpChunk *
find_chunk (NmBumpAllocator *self,
            gconstpointer    mem)
{
  const guint8 *p = mem;

  for (NmBumpChunk *c = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE); c; c = c->prev)
    if (p >= c->start && p < chunk_top (self, c))
      return c;

  return NULL;
}

static gboolean
bump_owns (NmAllocator   *allocator,
           gconstpointer  mem)
{
  return find_chunk ((NmBumpAllocator *) allocator, mem) != NULL;
}

static void
bump_free (NmAllocator *allocator,
           gpointer     mem,
           gsize        size,
           gsize        alignment)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;

  check_owner (self);

  if (!is_thread_safe (self) && mem == self->fast.last && mem != NULL)
    {
      if ((guint8 *) mem + size != self->fast.cursor)
        {
          _nm_allocator_report_invalid_free (allocator, &self->common, mem,
                                             "wrong size in free of the most recent "
                                             "allocation: %" G_GSIZE_FORMAT " bytes given, %"
                                             G_GSIZE_FORMAT " allocated", size,
                                             (gsize) (self->fast.cursor - (guint8 *) mem));
          return;
        }

      update_peak (self);
      release_range (self, self->current, mem, self->fast.cursor);
      self->fast.cursor = mem;
      self->fast.last = NULL;
      self->n_frees += self->fast.count_step;
      return;
    }

  if (find_chunk (self, mem) == NULL)
    {
      _nm_allocator_report_invalid_free (allocator, &self->common, mem,
                                         "free of memory it does not hold: a foreign "
                                         "pointer, or memory already released by a free, "
                                         "a restore or a reset");
      return;
    }

  /* Owned memory below the top: a no-op until the next reset, but counted
   * so that statistics show frees that did not give bytes back. */
  if (self->fast.count_step)
    __atomic_fetch_add (&self->n_frees, 1, __ATOMIC_RELAXED);
}

/* Reset */

/**
 * nm_bump_allocator_reset:
 * @self: an #NmBumpAllocator
 *
 * Releases every allocation and every chunk but the first; the same as
 * nm_allocator_reset(). Checkpoints taken before are invalid afterwards.
 *
 * Since: 1.0
 */
void
nm_bump_allocator_reset (NmBumpAllocator *self)
{
  NmBumpChunk *first;

  /* A reset per request is the common pattern: the checks and the
   * bookkeeping here stay cheap (no GType lookup, nothing to poison unless
   * asked, a notification only when a value changed). */
  NM_BUMP_CHECK_VOID (self);

  check_owner (self);
  update_peak (self);

  first = self->first;
  if (self->common.poison || self->common.sanitize)
    release_range (self, first, first->start, chunk_top (self, first));
  if (self->current != first)
    release_chunks_after (self, first);

  enter_chunk (self, first, first->start);
  self->used_before = 0;
  self->fast.last = NULL;
  self->epoch++;
  self->checkpoints = 0;
  if (self->restore_marks->len > 0)
    g_array_set_size (self->restore_marks, 0);
  _nm_allocator_reset_done ((NmAllocator *) self, &self->common, properties, 0, self->peak);
}

static void
bump_reset (NmAllocator *allocator)
{
  nm_bump_allocator_reset ((NmBumpAllocator *) allocator);
}

static gsize
bump_trim (NmAllocator *allocator)
{
  /* Chunks only hold live data until a reset or restore releases them, so
   * there is never a free chunk to give back. */
  return 0;
}

static void
bump_get_stats (NmAllocator      *allocator,
                NmAllocatorStats *stats)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;
  guint64 used = bump_used (self);
  guint n_chunks = 0;

  for (NmBumpChunk *c = self->current; c; c = c->prev)
    n_chunks++;

  stats->capacity = self->held;
  stats->bytes_used = used;
  stats->bytes_peak = MAX (self->peak, used);
  stats->bytes_reserved = self->held + (guint64) n_chunks * CHUNK_HEADER;
  stats->allocation_count = __atomic_load_n (&self->fast.n_allocs, __ATOMIC_RELAXED);
  stats->free_count = __atomic_load_n (&self->n_frees, __ATOMIC_RELAXED);
  _nm_allocator_fill_common_stats (&self->common, stats);
}

/* Checkpoints */

/**
 * nm_bump_checkpoint_copy:
 * @checkpoint: an #NmBumpCheckpoint
 *
 * Copies a checkpoint, for bindings that keep checkpoints on the heap.
 *
 * Returns: (transfer full): a copy of @checkpoint
 *
 * Since: 1.0
 */
NmBumpCheckpoint *
nm_bump_checkpoint_copy (const NmBumpCheckpoint *checkpoint)
{
  g_return_val_if_fail (checkpoint != NULL, NULL);

  return g_memdup2 (checkpoint, sizeof *checkpoint);
}

/**
 * nm_bump_checkpoint_free:
 * @checkpoint: (transfer full): an #NmBumpCheckpoint from
 *   nm_bump_checkpoint_copy()
 *
 * Frees a copied checkpoint.
 *
 * Since: 1.0
 */
void
nm_bump_checkpoint_free (NmBumpCheckpoint *checkpoint)
{
  g_free (checkpoint);
}

/**
 * nm_bump_allocator_checkpoint:
 * @self: an #NmBumpAllocator
 * @checkpoint: (out caller-allocates): where to store the position
 *
 * Records the current position of @self. Restoring it with
 * nm_bump_allocator_restore() releases everything allocated afterwards.
 *
 * Since: 1.0
 */
void
nm_bump_allocator_checkpoint (NmBumpAllocator  *self,
                              NmBumpCheckpoint *checkpoint)
{
  NmBumpChunk *chunk;

  g_return_if_fail (NM_IS_BUMP_ALLOCATOR (self));
  g_return_if_fail (checkpoint != NULL);

  chunk = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE);

  memset (checkpoint, 0, sizeof *checkpoint);
  checkpoint->allocator = self;
  checkpoint->chunk = chunk;
  checkpoint->cursor = chunk_top (self, chunk);
  checkpoint->chunk_serial = chunk->serial;
  checkpoint->epoch = self->epoch;
  checkpoint->sequence = ++self->checkpoints;

  /* Allocations before the checkpoint may no longer be freed back: the
   * cursor must never drop below a live checkpoint. */
  self->fast.last = NULL;
}

/* Whether no restore since @sequence was taken went to an older checkpoint.
 *
 * A restore to checkpoint t, made when the counter stood at c, kills the
 * checkpoints numbered (t, c]. The marks record those restores: counters
 * increase along the array and so do targets, because a new mark removes
 * older marks whose target is at least its own (it kills all they killed,
 * and more). A checkpoint x is then alive iff the first mark with a counter
 * of at least x has a target of at least x.
 *
 * A restore to the newest checkpoint kills nothing and leaves no mark, so a
 * scope or a checkpoint restored in a loop costs nothing here. Restores of
 * older checkpoints (an outer scope after inner ones) do leave one; to keep
 * memory bounded, past MAX_RESTORE_MARKS the two oldest marks are merged
 * into one that kills the union of what they killed and what lies between:
 * a checkpoint that so many restores of other, older checkpoints have passed
 * may then be refused as stale, never the other way round. */
#define MAX_RESTORE_MARKS 64

static gboolean
checkpoint_is_alive (NmBumpAllocator *self,
                     guint64          sequence)
{
  GArray *marks = self->restore_marks;
  guint lo = 0, hi = marks->len;

  /* The first mark with counter >= sequence. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (marks, RestoreMark, mid).counter >= sequence)
        hi = mid;
      else
        lo = mid + 1;
    }

  return lo == marks->len || sequence <= g_array_index (marks, RestoreMark, lo).target;
}

static void
add_restore_mark (NmBumpAllocator *self,
                  guint64          target)
{
  GArray *marks = self->restore_marks;
  RestoreMark mark = { self->checkpoints, target };

  if (target == self->checkpoints)
    return;

  while (marks->len > 0 &&
         g_array_index (marks, RestoreMark, marks->len - 1).target >= target)
    g_array_set_size (marks, marks->len - 1);

  if (marks->len == MAX_RESTORE_MARKS)
    {
      RestoreMark *first = &g_array_index (marks, RestoreMark, 0);

      first[1].target = first[0].target;
      g_array_remove_index (marks, 0);
    }

  g_array_append_val (marks, mark);
}

static gboolean
find_live_chunk (NmBumpAllocator *self,
                 NmBumpChunk     *wanted,
                 guint64          serial)
{
  for (NmBumpChunk *c = self->current; c; c = c->prev)
    if (c == wanted && c->serial == serial)
      return TRUE;

  return FALSE;
}

/* Restore failures are not allocation failures: no signal, no count. */
static gboolean G_GNUC_PRINTF (3, 4)
restore_error (GError          **error,
               NmAllocatorError  code,
               const char       *format,
               ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (NM_ALLOCATOR_ERROR, code, format, args));
  va_end (args);

  return FALSE;
}

/**
 * nm_bump_allocator_restore:
 * @self: an #NmBumpAllocator
 * @checkpoint: a checkpoint of @self
 * @error: return location for a #GError, or %NULL
 *
 * Releases everything allocated since @checkpoint was taken, including
 * chunks added since. Checkpoints taken after @checkpoint become invalid;
 * @checkpoint itself stays valid and can be restored again.
 *
 * A checkpoint of another allocator fails with
 * %NM_ALLOCATOR_ERROR_FOREIGN_POINTER; one that a reset or the restore of
 * an older checkpoint invalidated fails with
 * %NM_ALLOCATOR_ERROR_LIFO_VIOLATION. Nothing changes on failure.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
nm_bump_allocator_restore (NmBumpAllocator         *self,
                           const NmBumpCheckpoint  *checkpoint,
                           GError                 **error)
{
  NmAllocatorCommon *c;
  NmBumpChunk *chunk;

  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (checkpoint != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  c = &self->common;

  if (checkpoint->allocator != self)
    return restore_error (error, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                                 "%s “%s” cannot restore a checkpoint of another allocator "
                                 "(%p). Restore it on the allocator that took it.",
                                 c->label, c->name, checkpoint->allocator);

  if (checkpoint->epoch != self->epoch)
    return restore_error (error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot restore checkpoint #%" G_GUINT64_FORMAT
                                 ": the allocator was reset after it was taken. Take "
                                 "checkpoints after the reset.",
                                 c->label, c->name, checkpoint->sequence);

  chunk = checkpoint->chunk;
  if (!checkpoint_is_alive (self, checkpoint->sequence) ||
      !find_live_chunk (self, chunk, checkpoint->chunk_serial))
    return restore_error (error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                 "%s “%s” cannot restore checkpoint #%" G_GUINT64_FORMAT
                                 ": an older checkpoint was restored since, which released "
                                 "it. Restore checkpoints in reverse order of taking them.",
                                 c->label, c->name, checkpoint->sequence);

  update_peak (self);

  release_range (self, chunk, checkpoint->cursor, chunk_top (self, chunk));
  release_chunks_after (self, chunk);

  if (is_thread_safe (self))
    {
      __atomic_store_n (&chunk->top, (guint8 *) checkpoint->cursor, __ATOMIC_RELAXED);
    }
  else
    {
      /* Recompute what older chunks hold: restoring may cross chunks. */
      self->used_before = 0;
      for (NmBumpChunk *k = chunk->prev; k; k = k->prev)
        self->used_before += (gsize) (k->top - k->start);
      enter_chunk (self, chunk, checkpoint->cursor);
    }

  self->fast.last = NULL;
  add_restore_mark (self, checkpoint->sequence);

  return TRUE;
}

/**
 * nm_bump_allocator_begin_scope: (skip)
 * @self: an #NmBumpAllocator
 *
 * Takes a checkpoint for an #NmBumpScope declared with g_auto().
 *
 * Returns: a scope that restores the checkpoint when cleared
 *
 * Since: 1.0
 */
NmBumpScope
nm_bump_allocator_begin_scope (NmBumpAllocator *self)
{
  NmBumpScope scope = { 0 };

  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), scope);

  scope.allocator = self;
  nm_bump_allocator_checkpoint (self, &scope.checkpoint);

  return scope;
}

/**
 * nm_bump_scope_clear: (skip)
 * @scope: an #NmBumpScope
 *
 * Restores the scope's checkpoint, releasing what was allocated in the
 * scope. A scope whose checkpoint was invalidated (by a reset, or by
 * restoring an older checkpoint inside the scope) is reported with
 * g_critical(). Clearing twice does nothing.
 *
 * Since: 1.0
 */
void
nm_bump_scope_clear (NmBumpScope *scope)
{
  g_autoptr(GError) error = NULL;
  NmBumpAllocator *self;

  g_return_if_fail (scope != NULL);

  self = g_steal_pointer (&scope->allocator);
  if (self == NULL)
    return;

  if (!nm_bump_allocator_restore (self, &scope->checkpoint, &error))
    g_critical ("Scope ended without restoring: %s", error->message);
}

/* Object */

static void
nm_bump_allocator_finalize (GObject *object)
{
  NmBumpAllocator *self = (NmBumpAllocator *) object;
  gsize used = bump_used (self);

  if (self->common.leak_report && used > 0)
    {
      g_autofree char *size = _nm_format_size (used);

      g_message ("%s “%s” finalized with %s (%" G_GSIZE_FORMAT " bytes) still in use.",
                 self->common.label, self->common.name, size, used);
    }

  while (self->current != NULL)
    {
      NmBumpChunk *chunk = self->current;

      self->current = chunk->prev;
      chunk_free (self, chunk);
    }

  g_array_unref (self->restore_marks);
  g_mutex_clear (&self->grow_lock);
  _nm_allocator_common_clear (&self->common);

  G_OBJECT_CLASS (nm_bump_allocator_parent_class)->finalize (object);
}

static void
nm_bump_allocator_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NmBumpAllocator *self = NM_BUMP_ALLOCATOR (object);

  if (_nm_allocator_get_common_property (NM_ALLOCATOR (self), &self->common, prop_id, value))
    return;

  switch (prop_id)
    {
    case PROP_MAX_CAPACITY:
      g_value_set_uint64 (value, self->max_capacity);
      break;

    case PROP_CHUNK_COUNT:
      g_value_set_uint (value, nm_bump_allocator_get_chunk_count (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_bump_allocator_class_init (NmBumpAllocatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nm_bump_allocator_finalize;
  object_class->get_property = nm_bump_allocator_get_property;

  _nm_allocator_class_override_properties (object_class, properties);
  _nm_allocator_class_set_common (object_class, G_STRUCT_OFFSET (NmBumpAllocator, common));

  /**
   * NmBumpAllocator:max-capacity:
   *
   * The most backing memory the allocator may grow to, or 0 when its
   * capacity is fixed.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_CAPACITY] =
    g_param_spec_uint64 ("max-capacity", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:chunk-count:
   *
   * Chunks of backing memory currently held.
   *
   * Since: 1.0
   */
  properties [PROP_CHUNK_COUNT] =
    g_param_spec_uint ("chunk-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_MAX_CAPACITY, properties [PROP_MAX_CAPACITY]);
  g_object_class_install_property (object_class, PROP_CHUNK_COUNT, properties [PROP_CHUNK_COUNT]);

  bump_type = G_TYPE_FROM_CLASS (klass);
}

static void
nm_bump_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = bump_alloc;
  iface->free = bump_free;
  iface->reset = bump_reset;
  iface->owns = bump_owns;
  iface->get_stats = bump_get_stats;
  iface->trim = bump_trim;
}

static void
nm_bump_allocator_init (NmBumpAllocator *self)
{
  g_mutex_init (&self->grow_lock);
  self->restore_marks = g_array_new (FALSE, FALSE, sizeof (RestoreMark));
}

NmBumpAllocator *
_nm_bump_allocator_new_from_config (NmMemoryConfig  *config,
                                    GError         **error)
{
  g_autoptr(NmBumpAllocator) self = NULL;
  NmBumpChunk *first;

  g_return_val_if_fail (nm_memory_config_get_kind (config) == NM_ALLOCATOR_KIND_BUMP, NULL);

  self = g_object_new (NM_TYPE_BUMP_ALLOCATOR, NULL);
  _nm_allocator_common_init (&self->common, "Bump allocator", NULL, FALSE);
  _nm_allocator_common_apply_config (&self->common, config);

  self->capacity = nm_memory_config_get_capacity (config);
  self->max_capacity = nm_memory_config_get_max_capacity (config);
  self->fast.count_step = self->common.track_stats ? 1 : 0;
  self->fast.slow_flags = (self->common.thread_safe ? SLOW_THREAD_SAFE : 0) |
                     (self->common.sanitize ? SLOW_SANITIZE : 0) |
                     (self->common.poison ? SLOW_POISON : 0) |
                     (self->common.validate && !self->common.thread_safe ? SLOW_VALIDATE : 0);

  first = chunk_new (self, self->capacity);
  if (first == NULL)
    {
      g_autofree char *size = _nm_format_size (self->capacity);

      g_set_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
                   "%s “%s”: the system refused its first chunk of %s. Lower capacity.",
                   self->common.label, self->common.name, size);
      return NULL;
    }

  self->first = first;
  enter_chunk (self, first, first->start);

  return g_steal_pointer (&self);
}

static NmBumpAllocator *
new_with_builder (NmMemoryConfigBuilder  *builder,
                  GError                **error)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_builder_build (builder, error);

  if (config == NULL)
    return NULL;

  return _nm_bump_allocator_new_from_config (config, error);
}

/**
 * nm_bump_allocator_new:
 * @capacity: bytes available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a single-thread bump allocator named “bump” with a fixed
 * @capacity. A capacity of 0 or above 1 TiB is an
 * %NM_CONFIG_ERROR_INVALID_VALUE error.
 *
 * Returns: (transfer full) (nullable): a new #NmBumpAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmBumpAllocator *
nm_bump_allocator_new (gsize    capacity,
                       GError **error)
{
  return nm_bump_allocator_new_full ("bump", capacity, 0, FALSE, error);
}

/**
 * nm_bump_allocator_new_full:
 * @name: (nullable): the allocator's name, for messages
 * @capacity: bytes available up front, at least 1
 * @max_capacity: the most backing memory to grow to, or 0 for a fixed capacity
 * @thread_safe: whether several threads allocate at once
 * @error: return location for a #GError, or %NULL
 *
 * Creates a bump allocator; the settings are validated like those of an
 * #NmMemoryConfigBuilder.
 *
 * Returns: (transfer full) (nullable): a new #NmBumpAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmBumpAllocator *
nm_bump_allocator_new_full (const char  *name,
                            gsize        capacity,
                            gsize        max_capacity,
                            gboolean     thread_safe,
                            GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_name (builder, name ? name : "bump");
  nm_memory_config_builder_set_capacity (builder, capacity);
  nm_memory_config_builder_set_max_capacity (builder, max_capacity);
  nm_memory_config_builder_set_thread_safe (builder, thread_safe);

  return new_with_builder (builder, error);
}

/**
 * nm_bump_allocator_get_max_capacity:
 * @self: an #NmBumpAllocator
 *
 * Gets the max capacity of @self.
 *
 * Returns: the #NmBumpAllocator:max-capacity
 *
 * Since: 1.0
 */
guint64
nm_bump_allocator_get_max_capacity (NmBumpAllocator *self)
{
  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), 0);

  return self->max_capacity;
}

/**
 * nm_bump_allocator_get_chunk_count:
 * @self: an #NmBumpAllocator
 *
 * Gets the chunk count of @self.
 *
 * Returns: the number of chunks of backing memory held
 *
 * Since: 1.0
 */
guint
nm_bump_allocator_get_chunk_count (NmBumpAllocator *self)
{
  guint n = 0;

  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), 0);

  for (NmBumpChunk *c = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE); c; c = c->prev)
    n++;

  return n;
}
