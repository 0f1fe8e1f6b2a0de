/* nm-pool-blocks.c: the pool's blocks: states, encoded links, hand-out, diagnosis
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How a pool keeps and checks its blocks outside the inline fast paths:
 * the free list with its encoded links (the encoding itself is
 * _nm_pool_link_encode() in nm-pool-allocator.h, used by every path), the
 * depot's take (list, fresh cursor, growth), handing a block out and taking
 * it back with the development fill and the tool annotations, the fill
 * check that finds writes after free, and the diagnosis of a bad free or a
 * corrupted block, reported through the shared message composers.
 */

#include "config.h"

#include <string.h>

#include "nm-backing-private.h"
#include "nm-pool-allocator-private.h"

/* Links of free blocks: free blocks are poisoned for the tools, so the
 * pool's own accesses open the link's 8 bytes for the moment of the access. */

guint64
_nm_pool_link_load (NmPoolAllocator *self,
                    guint8          *blk)
{
  guint64 link;

  if (self->common.sanitize)
    nm_sanitizer_make_readable (blk, POOL_LINK_SIZE);
  memcpy (&link, blk, sizeof link);
  if (self->common.sanitize)
    nm_sanitizer_poison (blk, POOL_LINK_SIZE);

  return link;
}

void
_nm_pool_link_store (NmPoolAllocator *self,
                     guint8          *blk,
                     const guint8    *next)
{
  if (self->common.sanitize)
    nm_sanitizer_make_readable (blk, POOL_LINK_SIZE);
  _nm_pool_link_write (&self->fast, blk, next);
  if (self->common.sanitize)
    nm_sanitizer_poison (blk, POOL_LINK_SIZE);
}

/* The free list of a single-thread pool */

void
_nm_pool_list_push (NmPoolAllocator *self,
                    gsize            index)
{
  guint8 *blk = pool_block_ptr (self, index);

  _nm_pool_link_store (self, blk, *self->list_head);
  *self->list_head = blk;
  *self->list_index = index;
}

/* Rebuilds the list from the states: after a corruption (the tail behind a
 * bad link is unreachable) and after trim. */
void
_nm_pool_list_rebuild (NmPoolAllocator *self)
{
  *self->list_head = NULL;
  for (gsize i = self->n_blocks; i-- > 0;)
    if (pool_state_get (self, i) == POOL_BLOCK_FREE)
      _nm_pool_list_push (self, i);
}

/* The checks of the inline pop, made here for the paths that cannot take
 * it (thread-safe mode, tools, poison): the head must be FREE and its link
 * must decode to a block start or NULL. */
static PoolTakeResult
list_pop (NmPoolAllocator *self,
          gsize           *out)
{
  gsize i = *self->list_index;
  guint8 *blk;
  guint8 *next;
  gsize next_index;

  *out = i;
  if (pool_state_get (self, i) != POOL_BLOCK_FREE)
    return POOL_TAKE_BAD_TARGET;

  blk = *self->list_head;
  next = _nm_pool_link_decode (&self->fast, blk, _nm_pool_link_load (self, blk));
  next_index = pool_block_index (self, next);
  if (next != NULL && next_index >= self->n_blocks)
    return POOL_TAKE_BAD_LINK;

  *self->list_head = next;
  *self->list_index = next_index;
  return POOL_TAKE_OK;
}

/* A free block from the list, the fresh cursor or a new slab. The caller
 * holds the lock in thread-safe mode and sets the block's new state. */
PoolTakeResult
_nm_pool_depot_take (NmPoolAllocator *self,
                     gsize           *out,
                     gboolean        *fresh)
{
  for (;;)
    {
      PoolTakeResult r;

      if (*self->list_head != NULL)
        {
          *fresh = FALSE;
          return list_pop (self, out);
        }

      for (; self->fresh < self->n_blocks; self->fresh++)
        if (pool_state_get (self, self->fresh) == POOL_BLOCK_FRESH)
          {
            *fresh = TRUE;
            *out = self->fresh++;
            return POOL_TAKE_OK;
          }

      r = _nm_pool_grow (self);
      if (r != POOL_TAKE_OK)
        return r;
    }
}

/* Handing out and taking back */

/* Returns the offset of the first byte of the freed fill that changed, or
 * -1 when the fill is intact. The link's 8 bytes are not part of it. */
static gssize
check_fill (NmPoolAllocator *self,
            const guint8    *blk)
{
  for (gsize k = POOL_LINK_SIZE; k < self->block_size; k++)
    if (blk[k] != NM_POISON_FREED)
      return (gssize) k;

  return -1;
}

/* One report (a g_critical and a count) and a CORRUPTION error for the
 * allocation that met the damage. */
static gpointer
fail_corruption (NmPoolAllocator  *self,
                 GError          **error,
                 gconstpointer     blk,
                 const char       *format,
                 ...) G_GNUC_PRINTF (4, 5) NM_COLD;

static gpointer
fail_corruption (NmPoolAllocator  *self,
                 GError          **error,
                 gconstpointer     blk,
                 const char       *format,
                 ...)
{
  NmAllocatorCommon *c = &self->common;
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  _nm_allocator_report_corruption (c, blk, "%s", what);

  return _nm_allocator_fail_misuse (NM_ALLOCATOR (self), c, error, NM_ALLOCATOR_ERROR_CORRUPTION,
                                    "found a corrupted free block: %s. The block is quarantined "
                                    "and the allocation failed; the rest of the pool is intact. "
                                    "Look for a use after free of a %" G_GSIZE_FORMAT "-byte "
                                    "block (AddressSanitizer or Valgrind will point at it).",
                                    what, self->block_size);
}

/* Makes block @index ALLOCATED with the development checks and the tool
 * annotations. @check: whether the block may have been written since it
 * got its free fill (so the fill is worth checking). */
gpointer
_nm_pool_hand_out (NmPoolAllocator  *self,
                   gsize             index,
                   gboolean          check,
                   GError          **error)
{
  guint8 *blk = pool_block_ptr (self, index);

  /* Check the free fill while the tools still know the block's contents;
   * handing it out makes them undefined. */
  if (self->common.poison && check && self->common.validate)
    {
      gssize at;

      if (self->common.sanitize)
        nm_sanitizer_make_readable (blk, self->block_size);
      at = check_fill (self, blk);
      if (at >= 0)
        {
          guint8 found = blk[at];

          if (self->common.sanitize)
            nm_sanitizer_poison (blk, self->block_size);
          pool_state_set (self, index, POOL_BLOCK_QUARANTINED);
          _nm_counter_inc (&self->n_quarantined);
          return fail_corruption (self, error, blk, "block #%" G_GSIZE_FORMAT " was written "
                                  "after it was freed (byte %" G_GSSIZE_FORMAT " is 0x%02x, "
                                  "not the 0x%02x fill)", index, at, found, NM_POISON_FREED);
        }
    }

  nm_sanitizer_hand_out (self, blk, self->block_size, self->common.sanitize, self->common.poison);
  pool_state_set (self, index, POOL_BLOCK_ALLOCATED);
  _nm_allocator_note_alloc (&self->common, blk, self->block_size);

  return blk;
}

/* The inverse of _nm_pool_hand_out(), up to the new state. */
void
_nm_pool_take_back (NmPoolAllocator *self,
                    guint8          *blk)
{
  _nm_allocator_note_free (&self->common, blk);
  nm_sanitizer_release (self, blk, self->block_size, self->common.sanitize, self->common.poison);
}

/* Diagnosis */

/* @held: blocks held when the take failed, read under the lock in
 * thread-safe mode; @cached: blocks parked in thread caches then. */
gpointer
_nm_pool_fail_take (NmPoolAllocator  *self,
                    PoolTakeResult    r,
                    gsize             bad,
                    gsize             held,
                    guint64           cached,
                    GError          **error)
{
  NmAllocatorCommon *c = &self->common;
  NmFailureInfo info = { .size = self->block_size, .alignment = self->block_alignment };

  switch (r)
    {
    case POOL_TAKE_BAD_LINK:
      return fail_corruption (self, error, pool_block_ptr (self, bad),
                              "the free-list link in block #%" G_GSIZE_FORMAT " was "
                              "overwritten after the block was freed", bad);

    case POOL_TAKE_BAD_TARGET:
      return fail_corruption (self, error, pool_block_ptr (self, bad),
                              "a free-list link led to block #%" G_GSIZE_FORMAT ", which is "
                              "not free; the block that held the link was written after it "
                              "was freed", bad);

    case POOL_TAKE_NO_MEMORY:
      {
        g_autofree char *held_size = _nm_size_format_human ((guint64) held * self->block_size);
        g_autofree char *state = g_strdup_printf ("the system refused a new slab beyond %s",
                                                  held_size);

        info.state = state;
        info.suggestion = "Lower max-block-count or free memory elsewhere.";
        return _nm_allocator_fail_backing (NM_ALLOCATOR (self), c, error, &info);
      }

    case POOL_TAKE_EXHAUSTED:
    case POOL_TAKE_OK:
    default:
      {
        guint64 in_use = nm_pool_allocator_get_blocks_in_use (self);
        g_autofree char *usage = _nm_size_format_usage (in_use * self->block_size,
                                                        (guint64) held * self->block_size);
        g_autofree char *state = NULL;

        state = g_strdup_printf ("the pool is exhausted: capacity %" G_GSIZE_FORMAT " blocks "
                                 "of %" G_GSIZE_FORMAT " bytes, %" G_GUINT64_FORMAT " in use, "
                                 "%" G_GUINT64_FORMAT " parked in thread caches, %"
                                 G_GUINT64_FORMAT " quarantined; %s",
                                 held, self->block_size, in_use, cached,
                                 _nm_counter_get (&self->n_quarantined), usage);
        info.state = state;
        info.suggestion = self->max_blocks > held
                            ? "Raise block-count, or raise max-block-count to let it grow further."
                            : "Raise block-count, or set max-block-count to let the pool grow.";
        return _nm_allocator_fail_request (NM_ALLOCATOR (self), c, error,
                                           NM_ALLOCATOR_ERROR_POOL_EXHAUSTED, &info);
      }
    }
}

/* After a bad link the list behind it is unreachable: quarantine the block
 * that held the link and rebuild the list from the states. */
void
_nm_pool_recover (NmPoolAllocator *self,
                  PoolTakeResult   r,
                  gsize            bad)
{
  if (r == POOL_TAKE_BAD_LINK)
    {
      pool_state_set (self, bad, POOL_BLOCK_QUARANTINED);
      _nm_counter_inc (&self->n_quarantined);
    }
  _nm_pool_list_rebuild (self);
}

/* How a pool tells a bad free: by where @mem is (outside every slab,
 * inside but not at a block start) and by the block's state (already
 * free, quarantined, never handed out since the last reset or trim). */
void
_nm_pool_report_bad_free (NmPoolAllocator *self,
                          gconstpointer    mem,
                          gsize            index)
{
  NmAllocator *allocator = NM_ALLOCATOR (self);
  NmAllocatorCommon *c = &self->common;
  gsize n_blocks = pool_n_blocks (self);
  gsize span = n_blocks * self->fast.stride;
  gsize offset = (guintptr) mem - (guintptr) self->fast.base;

  if (index >= n_blocks)
    {
      if ((guintptr) mem < (guintptr) self->fast.base || offset >= span)
        _nm_allocator_report_invalid_free (allocator, c, mem,
                                           "free of a pointer outside every slab: a foreign "
                                           "pointer (from malloc or another allocator)");
      else
        _nm_allocator_report_invalid_free (allocator, c, mem,
                                           "free of a misaligned interior pointer: %"
                                           G_GSIZE_FORMAT " bytes into block #%" G_GSIZE_FORMAT
                                           " (blocks are %" G_GSIZE_FORMAT " bytes apart); free "
                                           "the pointer the allocation returned",
                                           offset % self->fast.stride, offset / self->fast.stride,
                                           self->fast.stride);
      return;
    }

  switch (pool_state_get (self, index))
    {
    case POOL_BLOCK_FREE:
    case POOL_BLOCK_CACHED:
    case POOL_BLOCK_THREAD_FREED:
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "double free of block #%" G_GSIZE_FORMAT
                                         ", which is already free", index);
      break;

    case POOL_BLOCK_QUARANTINED:
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "double free of block #%" G_GSIZE_FORMAT
                                         ", which was freed and then found corrupted "
                                         "(quarantined)", index);
      break;

    case POOL_BLOCK_FRESH:
    case POOL_BLOCK_TRIMMED:
    default:
      _nm_allocator_report_invalid_free (allocator, c, mem,
                                         "double free of block #%" G_GSIZE_FORMAT
                                         ": the block is not handed out (it was freed "
                                         "before a reset or trim, or never allocated)", index);
      break;
    }
}
