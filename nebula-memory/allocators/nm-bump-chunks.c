/* nm-bump-chunks.c: the bump allocator's chunks of backing memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A bump allocator carves blocks from chunks it gets from the backing layer
 * (nm-backing-private.h), which registers them with the tools and counts
 * their bytes. This file gets the first chunk (possibly later than
 * construction, when the system refused it then), adds chunks on growth,
 * and gives released ranges and chunks back. The chunk list and its
 * invariants are described in nm-bump-allocator-private.h.
 */

#include "config.h"

#include "nm-backing-private.h"
#include "nm-sanitizer-private.h"
#include "nm-bump-allocator-private.h"

NmBumpChunk *
_nm_bump_chunk_new (NmBumpAllocator *self,
                    gsize            usable)
{
  NmBumpChunk *chunk = _nm_backing_alloc (&self->common, NM_BUMP_CHUNK_HEADER, usable);

  if (chunk == NULL)
    return NULL;

  chunk->prev = NULL;
  chunk->start = (guint8 *) chunk + NM_BUMP_CHUNK_HEADER;
  chunk->end = chunk->start + usable;
  chunk->top = chunk->start;
  chunk->serial = _nm_allocator_next_serial ();
  chunk->usable = usable;

  return chunk;
}

void
_nm_bump_chunk_free (NmBumpAllocator *self,
                     NmBumpChunk     *chunk)
{
  _nm_backing_free (&self->common, chunk, NM_BUMP_CHUNK_HEADER, chunk->usable);
}

/* Gets the first chunk, which the system refused so far. Any thread of a
 * thread-safe allocator may get here; the lock makes one of them win. */
gboolean
_nm_bump_acquire_first_chunk (NmBumpAllocator *self)
{
  NmBumpChunk *chunk;
  gboolean acquired = FALSE;

  nm_bump_lock (self);
  chunk = self->first;
  if (chunk == NULL)
    {
      chunk = _nm_bump_chunk_new (self, self->capacity);
      if (chunk != NULL)
        {
          __atomic_store_n (&self->first, chunk, __ATOMIC_RELEASE);
          self->used_before = 0;
          nm_bump_enter_chunk (self, chunk, chunk->start);
          acquired = TRUE;
        }
    }
  nm_bump_unlock (self);

  if (acquired)
    _nm_bump_notify_chunks_changed (self);

  return chunk != NULL;
}

/* Adds a chunk with room for @span bytes (a block and its redzone) at
 * @alignment: at least twice the current one, within max-capacity. Called
 * with the chunk list locked; reports nothing, so that the caller can emit
 * the failure signal and the notifications after unlocking. */
NmBumpGrowResult
_nm_bump_grow (NmBumpAllocator *self,
               gsize            span,
               gsize            alignment)
{
  NmBumpChunk *spare = self->spare;
  /* The spare is held but not part of the capacity that max-capacity bounds. */
  guint64 held = _nm_backing_bytes (&self->common) - (spare ? spare->usable : 0);
  NmBumpChunk *chunk = NULL;
  gsize need, usable;

  if (self->max_capacity == 0 ||
      !g_size_checked_add (&need, span, alignment - 1) ||
      need > self->max_capacity - held)
    return NM_BUMP_GROW_NO_ROOM;

  usable = MAX (self->current->usable * 2, need);
  usable = MIN (usable, self->max_capacity - held);

  if (spare != NULL)
    {
      self->spare = NULL;
      if (spare->usable >= need && spare->usable <= self->max_capacity - held)
        {
          /* A new serial: checkpoints of its former life never match it. */
          chunk = spare;
          chunk->top = chunk->start;
          chunk->serial = _nm_allocator_next_serial ();
          _nm_allocator_note_growth (&self->common);
        }
      else
        _nm_bump_chunk_free (self, spare);
    }

  if (chunk == NULL)
    chunk = _nm_bump_chunk_new (self, usable);
  if (chunk == NULL)
    return NM_BUMP_GROW_SYSTEM_REFUSED;

  chunk->prev = self->current;

  if (nm_bump_is_thread_safe (self))
    {
      /* Publish only a fully initialised chunk. */
      __atomic_store_n (&self->current, chunk, __ATOMIC_RELEASE);
    }
  else
    {
      NmBumpChunk *old = self->current;

      old->top = self->fast.cursor;
      self->used_before += (gsize) (old->top - old->start);
      nm_bump_enter_chunk (self, chunk, chunk->start);
    }

  return NM_BUMP_GROW_DONE;
}

/* Gives back [from, to) of @chunk, which no longer holds live data: the
 * blocks in it and the padding and redzones between them, which were never
 * handed out (the sanitizer layer makes them addressable before filling). */
void
_nm_bump_release_range (NmBumpAllocator *self,
                        NmBumpChunk     *chunk,
                        guint8          *from,
                        guint8          *to)
{
  if (to <= from)
    return;

  nm_sanitizer_release_range (chunk, chunk->start, (gsize) (from - chunk->start),
                              (gsize) (to - from), self->common.sanitize, self->common.poison);
}

/* Releases every chunk newer than @keep, with the chunk list locked.
 * Returns whether there was any. */
gboolean
_nm_bump_release_chunks_after (NmBumpAllocator *self,
                               NmBumpChunk     *keep)
{
  gboolean released = FALSE;

  while (self->current != keep)
    {
      NmBumpChunk *chunk = self->current;

      __atomic_store_n (&self->current, chunk->prev, __ATOMIC_RELEASE);
      _nm_bump_chunk_free (self, chunk);
      released = TRUE;
    }

  return released;
}

/* Like _nm_bump_release_chunks_after() (a reset), but keeps the largest
 * chunk it releases, or the spare it had when that is larger, as the spare,
 * released for the tools. */
gboolean
_nm_bump_release_chunks_keep_spare (NmBumpAllocator *self,
                                    NmBumpChunk     *keep)
{
  NmBumpChunk *newest = self->current;
  /* Read before the list moves: once an older chunk is current, the
   * cursor still points into the newest one. */
  guint8 *newest_top = nm_bump_chunk_top (self, newest);
  gboolean released = FALSE;

  while (self->current != keep)
    {
      NmBumpChunk *chunk = self->current;
      /* The newest chunk's top is the cursor; an older chunk's is its own,
       * stored when the allocator left it. */
      guint8 *top = chunk == newest ? newest_top : __atomic_load_n (&chunk->top, __ATOMIC_RELAXED);

      __atomic_store_n (&self->current, chunk->prev, __ATOMIC_RELEASE);
      released = TRUE;

      if (self->spare != NULL && self->spare->usable >= chunk->usable)
        _nm_bump_chunk_free (self, chunk);
      else
        {
          if (self->spare != NULL)
            _nm_bump_chunk_free (self, self->spare);
          if (self->common.poison || self->common.sanitize)
            _nm_bump_release_range (self, chunk, chunk->start, top);
          chunk->prev = NULL;
          chunk->top = chunk->start;
          self->spare = chunk;
        }
    }

  return released;
}

/* Frees the spare chunk, with the chunk list locked. Returns its bytes. */
gsize
_nm_bump_free_spare (NmBumpAllocator *self)
{
  NmBumpChunk *spare = self->spare;
  gsize usable;

  if (spare == NULL)
    return 0;

  usable = spare->usable;
  self->spare = NULL;
  _nm_bump_chunk_free (self, spare);

  return usable;
}

/* The chunk whose handed-out part holds @mem, or NULL. */
NmBumpChunk *
_nm_bump_find_chunk (NmBumpAllocator *self,
                     gconstpointer    mem)
{
  const guint8 *p = mem;

  for (NmBumpChunk *c = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE); c; c = c->prev)
    if (p >= c->start && p < nm_bump_chunk_top (self, c))
      return c;

  return NULL;
}

/* At finalize. */
void
_nm_bump_free_all_chunks (NmBumpAllocator *self)
{
  _nm_bump_release_chunks_after (self, NULL);
  _nm_bump_free_spare (self);
  self->first = NULL;
}
