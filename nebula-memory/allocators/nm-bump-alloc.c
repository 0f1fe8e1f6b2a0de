/* nm-bump-alloc.c: what an NmBumpAllocator does: allocate, free, reset
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The exported entry points behind the inline fast path of the public
 * header, the slow path (thread-safe mode, tools, redzones, growth,
 * failures), free of the most recent block, ownership, reset, and the
 * NmAllocator methods with statistics. The cost of the common case is in
 * the header: align, compare, store, inline in the caller.
 */

#include "config.h"

#include "nm-allocator-private.h"
#include "nm-backing-private.h"
#include "nm-sanitizer-private.h"
#include "nm-bump-allocator-private.h"

/* A type check cheap enough for the hot path: one compare of the instance's
 * class type against the cached GType, removed by G_DISABLE_CHECKS. */
#define NM_BUMP_CHECK(self, val) \
  g_return_val_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == _nm_bump_allocator_type, val)
#define NM_BUMP_CHECK_VOID(self) \
  g_return_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == _nm_bump_allocator_type)

#define OWNER_ADVICE "a single-thread bump allocator is not safe to use from several " \
                     "threads. Give each thread its own arena, or set thread-safe=true."

/* Allocation */

static G_GNUC_NO_INLINE NM_COLD gpointer
fail_out_of_memory (NmBumpAllocator  *self,
                    gsize             size,
                    gsize             alignment,
                    NmBumpGrowResult  result,
                    GError          **error)
{
  NmFailureInfo info = { .size = size, .alignment = alignment };
  g_autofree char *state = NULL;
  g_autofree char *usage = NULL;

  switch (result)
    {
    case NM_BUMP_GROW_FIRST_REFUSED:
      {
        g_autofree char *first = _nm_size_format_human (self->capacity);

        info.state = state = g_strdup_printf ("the system refused its first chunk of %s (%"
                                              G_GSIZE_FORMAT " bytes)", first, self->capacity);
        info.suggestion = "Lower capacity, and let the allocator grow with max-capacity if it must.";
        return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
      }

    case NM_BUMP_GROW_SYSTEM_REFUSED:
      {
        g_autofree char *held = _nm_size_format_human (_nm_backing_bytes (&self->common));

        info.state = state = g_strdup_printf ("the system refused a new chunk (%s held already)",
                                              held);
        info.suggestion = "Free memory elsewhere or lower max-capacity.";
        return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
      }

    default:
      break;
    }

  if (self->max_capacity != 0)
    {
      usage = _nm_size_format_usage (nm_bump_used (self), self->max_capacity);
      info.state = state = g_strdup_printf ("%s, counting max-capacity", usage);
      info.suggestion = "Raise max-capacity, or reset between requests.";
    }
  else
    {
      info.used = nm_bump_used (self);
      info.capacity = self->capacity;
      info.suggestion = "Raise capacity, allow growth with max-capacity, or reset between requests.";
    }

  return _nm_allocator_fail_request (NM_ALLOCATOR (self), &self->common, error,
                                     NM_ALLOCATOR_ERROR_OUT_OF_MEMORY, &info);
}

/* Above the per-request cap of a budget on the path (refusal recorded by
 * _nm_backing_request_allowed()). */
static G_GNUC_NO_INLINE NM_COLD gpointer
fail_over_cap (NmBumpAllocator  *self,
               gsize             size,
               gsize             alignment,
               GError          **error)
{
  NmFailureInfo info = { .size = size, .alignment = alignment };

  return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
}

static inline void
hand_out (NmBumpAllocator *self,
          NmBumpChunk     *chunk,
          guint8          *mem,
          gsize            size)
{
  nm_sanitizer_hand_out (chunk, mem, size, self->common.sanitize, self->common.poison);
}

static gpointer
alloc_thread_safe (NmBumpAllocator  *self,
                   gsize             size,
                   gsize             span,
                   gsize             alignment,
                   GError          **error)
{
  for (;;)
    {
      NmBumpChunk *chunk = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE);
      NmBumpGrowResult result;
      guint8 *top = __atomic_load_n (&chunk->top, __ATOMIC_RELAXED);

      for (;;)
        {
          guintptr p = nm_align_up ((guintptr) top, alignment);

          if (p > (guintptr) chunk->end || span > (guintptr) chunk->end - p)
            break;

          /* The bytes belong to whoever wins the exchange; nothing else is
           * published, so relaxed order is enough. */
          if (__atomic_compare_exchange_n (&chunk->top, &top, (guint8 *) p + span, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            {
              if (self->fast.count_step)
                __atomic_fetch_add (&self->fast.n_allocs, 1, __ATOMIC_RELAXED);
              if (self->fast.slow_flags & NM_BUMP_SLOW_COUNT_LIVE)
                __atomic_fetch_add (&self->n_live, 1, __ATOMIC_RELAXED);
              hand_out (self, chunk, (guint8 *) p, size);
              _nm_allocator_note_alloc (&self->common, (gpointer) p, size);
              return (gpointer) p;
            }
        }

      pthread_mutex_lock (&self->grow_lock);
      /* Another thread may have grown the allocator meanwhile: retry then. */
      result = __atomic_load_n (&self->current, __ATOMIC_RELAXED) == chunk
               ? _nm_bump_grow (self, span, alignment) : NM_BUMP_GROW_RETRY;
      pthread_mutex_unlock (&self->grow_lock);

      if (result == NM_BUMP_GROW_DONE)
        _nm_bump_notify_chunks_changed (self);
      else if (result != NM_BUMP_GROW_RETRY)
        return fail_out_of_memory (self, size, alignment, result, error);
    }
}

static G_GNUC_NO_INLINE gpointer
alloc_slow (NmBumpAllocator  *self,
            gsize             size,
            gsize             alignment,
            GError          **error)
{
  gboolean grew = FALSE;
  guintptr p;
  gsize span;

  if (self->check_owner)
    _nm_allocator_check_owner (&self->common, OWNER_ADVICE);

  if (!nm_layout_is_valid (size, alignment))
    return _nm_allocator_fail_layout (NM_ALLOCATOR (self), &self->common, size, alignment, error);

  if (!_nm_backing_request_allowed (&self->common, size))
    return fail_over_cap (self, size, alignment, error);

  /* A block and its redzone: more than any chunk can hold when it wraps. */
  if (!g_size_checked_add (&span, size, self->redzone))
    span = G_MAXSIZE;

  if (G_UNLIKELY (__atomic_load_n (&self->first, __ATOMIC_ACQUIRE) == NULL) &&
      !_nm_bump_acquire_first_chunk (self))
    return fail_out_of_memory (self, size, alignment, NM_BUMP_GROW_FIRST_REFUSED, error);

  if (nm_bump_is_thread_safe (self))
    return alloc_thread_safe (self, size, span, alignment, error);

  p = nm_align_up ((guintptr) self->fast.cursor, alignment);
  if (p > (guintptr) self->current->end || span > (guintptr) self->current->end - p)
    {
      NmBumpGrowResult result = _nm_bump_grow (self, span, alignment);

      if (result != NM_BUMP_GROW_DONE)
        return fail_out_of_memory (self, size, alignment, result, error);
      grew = TRUE;
      p = nm_align_up ((guintptr) self->fast.cursor, alignment);
    }

  self->fast.cursor = (guint8 *) p + span;
  self->fast.last = (guint8 *) p;
  self->fast.n_allocs += self->fast.count_step;
  if (self->fast.slow_flags & NM_BUMP_SLOW_COUNT_LIVE)
    self->n_live++;
  hand_out (self, self->current, (guint8 *) p, size);
  _nm_allocator_note_alloc (&self->common, (gpointer) p, size);

  /* Last: a handler may use the allocator again. */
  if (grew)
    _nm_bump_notify_chunks_changed (self);

  return (gpointer) p;
}

/**
 * nm_bump_allocator_alloc: (skip)
 * @self: an #NmBumpAllocator
 * @size: number of bytes, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Allocates @size bytes aligned to @alignment: the direct, fastest entry
 * point, for callers that know they have a bump allocator. In C the common
 * case (single-thread mode, room in the current chunk) is inlined in the
 * caller; the rest, including argument checks, happens in the library.
 * Bindings use nm_allocator_alloc(), which does the same.
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
   * sanitizers, poisoning, validation, a bad layout, a full chunk, no chunk
   * yet) goes to alloc_slow. */
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

static gboolean
bump_owns (NmAllocator   *allocator,
           gconstpointer  mem)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;
  gboolean owned;

  /* A query, allowed from any thread of a thread-safe allocator even
   * during a reset: under the lock that guards the chunk list. */
  nm_bump_lock (self);
  owned = _nm_bump_find_chunk (self, mem) != NULL;
  nm_bump_unlock (self);

  return owned;
}

static void
bump_free (NmAllocator *allocator,
           gpointer     mem,
           gsize        size,
           gsize        alignment)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;

  if (self->check_owner)
    _nm_allocator_check_owner (&self->common, OWNER_ADVICE);

  if (!nm_bump_is_thread_safe (self) && mem == self->fast.last && mem != NULL)
    {
      /* The block and its redzone reach the cursor. */
      gsize span = (gsize) (self->fast.cursor - (guint8 *) mem);

      if (size != span - self->redzone)
        {
          _nm_allocator_report_invalid_free (allocator, &self->common, mem,
                                             "wrong size in free of the most recent "
                                             "allocation: %" G_GSIZE_FORMAT " bytes given, %"
                                             G_GSIZE_FORMAT " allocated", size,
                                             span - self->redzone);
          return;
        }

      self->peak = MAX (self->peak, nm_bump_used (self));
      _nm_bump_release_range (self, self->current, mem, self->fast.cursor);
      self->fast.cursor = mem;
      self->fast.last = NULL;
      self->n_frees += self->fast.count_step;
      if (self->fast.slow_flags & NM_BUMP_SLOW_COUNT_LIVE)
        self->n_live--;
      _nm_allocator_note_free (&self->common, mem);
      return;
    }

  if (_nm_bump_find_chunk (self, mem) == NULL)
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
 * nm_bump_allocator_reset: (skip)
 * @self: an #NmBumpAllocator
 *
 * Releases every allocation and every chunk but the first; the same as
 * nm_allocator_reset(), which bindings use. Checkpoints taken before are
 * invalid afterwards.
 *
 * Since: 1.0
 */
void
nm_bump_allocator_reset (NmBumpAllocator *self)
{
  NmBumpChunk *first;
  gboolean released = FALSE;
  guint64 used_before, peak_before, capacity_before;

  /* A reset per request is the common pattern: the checks and the
   * bookkeeping here stay cheap (no GType lookup, no atomic read-modify-
   * write, nothing to poison unless asked, a notification only when a
   * value changed). */
  NM_BUMP_CHECK_VOID (self);

  if (self->check_owner)
    _nm_allocator_check_owner (&self->common, OWNER_ADVICE);

  nm_bump_lock (self);
  used_before = nm_bump_used (self);
  self->peak = MAX (self->peak, used_before);
  capacity_before = _nm_backing_bytes (&self->common) -
                    (self->spare ? self->spare->usable : 0);

  first = self->first;
  if (first != NULL)
    {
      if (self->common.poison || self->common.sanitize)
        _nm_bump_release_range (self, first, first->start, nm_bump_chunk_top (self, first));
      released = _nm_bump_release_chunks_keep_spare (self, first);
      nm_bump_enter_chunk (self, first, first->start);
    }
  nm_bump_unlock (self);

  self->used_before = 0;
  self->fast.last = NULL;
  self->n_live = 0;
  _nm_allocator_note_reset (&self->common);
  _nm_bump_forget_checkpoints (self);

  /* bytes-used: what a reader sees went from used_before to 0; bytes-peak
   * rises silently while allocating, so compare with the last announced. */
  __atomic_store_n (&self->common.n_resets, self->common.n_resets + 1, __ATOMIC_RELAXED);
  _nm_bump_queue_reset (self);
  peak_before = self->common.notified_peak;
  _nm_bump_notify_usage (self, capacity_before, used_before, 0, peak_before, self->peak);
  if (released)
    _nm_bump_notify_chunks_changed (self);
}

static void
bump_reset (NmAllocator *allocator)
{
  nm_bump_allocator_reset ((NmBumpAllocator *) allocator);
}

static gsize
bump_trim (NmAllocator *allocator)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;
  gsize released;

  /* Chunks in the list hold live data until a reset or restore releases
   * them, and the first one is what the arena was made with: the spare a
   * reset kept is the only free chunk. A low-pressure trim keeps it, as
   * the arena's next growth needs it. */
  if (_nm_allocator_trim_level () == NM_MEMORY_PRESSURE_LEVEL_LOW)
    return 0;

  nm_bump_lock (self);
  released = _nm_bump_free_spare (self);
  nm_bump_unlock (self);

  return released;
}

static void
bump_get_stats (NmAllocator      *allocator,
                NmAllocatorStats *stats)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;
  guint64 used, held;
  guint n_chunks;

  nm_bump_lock (self);
  used = nm_bump_used (self);
  n_chunks = nm_bump_count_chunks (self);
  held = _nm_backing_bytes (&self->common);
  if (self->spare != NULL)
    n_chunks++;
  stats->capacity = held - (self->spare ? self->spare->usable : 0);
  stats->bytes_used = used;
  stats->bytes_peak = MAX (self->peak, used);
  stats->bytes_reserved = held + (guint64) n_chunks * NM_BUMP_CHUNK_HEADER;
  nm_bump_unlock (self);

  stats->allocation_count = __atomic_load_n (&self->fast.n_allocs, __ATOMIC_RELAXED);
  stats->free_count = __atomic_load_n (&self->n_frees, __ATOMIC_RELAXED);
  _nm_allocator_fill_common_stats (&self->common, stats);
}

void
_nm_bump_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = bump_alloc;
  iface->free = bump_free;
  iface->reset = bump_reset;
  iface->owns = bump_owns;
  iface->get_stats = bump_get_stats;
  iface->trim = bump_trim;
}

