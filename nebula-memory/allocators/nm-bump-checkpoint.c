/* nm-bump-checkpoint.c: checkpoints, restore marks and scopes of the bump
 * allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A checkpoint records a position (chunk and cursor); restoring it releases
 * everything allocated after it, across chunks. How a checkpoint goes
 * stale, and how a stale one is told from a live one, is all here:
 *
 *  - a reset bumps the allocator's epoch: every earlier checkpoint is stale;
 *  - restoring a checkpoint kills the ones taken after it (restore marks,
 *    below);
 *  - a checkpoint of another allocator, even a finalized one at the same
 *    address, never matches: epochs and chunk serials are drawn from a
 *    process-wide counter.
 */

#include "config.h"

#include <string.h>

#include "nm-bump-allocator-private.h"

G_STATIC_ASSERT (sizeof (gsize) == sizeof (gpointer));

G_DEFINE_BOXED_TYPE (NmBumpCheckpoint, nm_bump_checkpoint,
                     nm_bump_checkpoint_copy, nm_bump_checkpoint_free)

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

  /* Without a chunk yet (the system refused the first), the checkpoint is
   * the very beginning: chunk NULL. */
  memset (checkpoint, 0, sizeof *checkpoint);
  checkpoint->allocator = self;
  checkpoint->chunk = chunk;
  checkpoint->cursor = chunk ? nm_bump_chunk_top (self, chunk) : NULL;
  checkpoint->chunk_serial = chunk ? chunk->serial : 0;
  checkpoint->epoch = self->epoch;
  checkpoint->sequence = ++self->checkpoints;
  checkpoint->n_live = (gsize) self->n_live;

  /* Allocations before the checkpoint may no longer be freed back: the
   * cursor must never drop below a live checkpoint. */
  self->fast.last = NULL;
}

/* Restore marks: whether no restore since @sequence was taken went to an
 * older checkpoint.
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

  /* Scopes restore the newest checkpoints: the first mark with counter >=
   * sequence is then past the end or the last one, found without the
   * search. */
  if (hi == 0 || g_array_index (marks, NmBumpRestoreMark, hi - 1).counter < sequence)
    return TRUE;
  if (hi == 1 || g_array_index (marks, NmBumpRestoreMark, hi - 2).counter < sequence)
    return sequence <= g_array_index (marks, NmBumpRestoreMark, hi - 1).target;

  /* The first mark with counter >= sequence. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (marks, NmBumpRestoreMark, mid).counter >= sequence)
        hi = mid;
      else
        lo = mid + 1;
    }

  return lo == marks->len || sequence <= g_array_index (marks, NmBumpRestoreMark, lo).target;
}

static void
add_restore_mark (NmBumpAllocator *self,
                  guint64          target)
{
  GArray *marks = self->restore_marks;
  NmBumpRestoreMark mark = { self->checkpoints, target };
  guint keep = marks->len;

  if (target == self->checkpoints)
    return;

  while (keep > 0 && g_array_index (marks, NmBumpRestoreMark, keep - 1).target >= target)
    keep--;

  /* The common case of nested scopes: the restore of an outer scope
   * replaces the mark its inner scopes left, in place, without calls into
   * GArray. The array holds plain structs, so shortening it is setting
   * its length. */
  if (keep < marks->len)
    {
      g_array_index (marks, NmBumpRestoreMark, keep) = mark;
      marks->len = keep + 1;
      return;
    }

  if (marks->len == MAX_RESTORE_MARKS)
    {
      NmBumpRestoreMark *first = &g_array_index (marks, NmBumpRestoreMark, 0);

      first[1].target = first[0].target;
      g_array_remove_index (marks, 0);
    }

  g_array_append_val (marks, mark);
}

/* After a reset: every checkpoint taken so far is stale. */
void
_nm_bump_forget_checkpoints (NmBumpAllocator *self)
{
  self->epoch++;
  self->checkpoints = 0;
  if (self->restore_marks->len > 0)
    g_array_set_size (self->restore_marks, 0);
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
static gboolean G_GNUC_PRINTF (4, 5)
restore_error (NmBumpAllocator  *self,
               GError          **error,
               NmAllocatorError  code,
               const char       *format,
               ...)
{
  g_autofree char *predicate = NULL;
  va_list args;

  va_start (args, format);
  predicate = g_strdup_vprintf (format, args);
  va_end (args);

  g_propagate_error (error, _nm_error_new_misuse (self->common.label, self->common.name,
                                                  code, predicate));
  return FALSE;
}

/* Whether @mem lies in what the allocator still hands out (after a
 * restore), for the allocation-site records. */
static gboolean
still_handed_out (gconstpointer mem,
                  gpointer      data)
{
  return _nm_bump_find_chunk (data, mem) != NULL;
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
  NmBumpChunk *chunk;
  guint8 *cursor;
  gboolean released = FALSE;

  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (checkpoint != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (checkpoint->allocator != self)
    return restore_error (self, error, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                          "cannot restore a checkpoint of another allocator (%p). Restore "
                          "it on the allocator that took it.", checkpoint->allocator);

  if (checkpoint->epoch != self->epoch)
    return restore_error (self, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                          "cannot restore checkpoint #%" G_GUINT64_FORMAT ": the allocator "
                          "was reset after it was taken. Take checkpoints after the reset.",
                          checkpoint->sequence);

  chunk = checkpoint->chunk;
  cursor = checkpoint->cursor;
  if (!checkpoint_is_alive (self, checkpoint->sequence) ||
      (chunk != NULL && !find_live_chunk (self, chunk, checkpoint->chunk_serial)))
    return restore_error (self, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                          "cannot restore checkpoint #%" G_GUINT64_FORMAT ": an older "
                          "checkpoint was restored since, which released it. Restore "
                          "checkpoints in reverse order of taking them.",
                          checkpoint->sequence);

  /* A checkpoint taken before the first chunk was had: the beginning. */
  if (chunk == NULL && self->first != NULL)
    {
      chunk = self->first;
      cursor = chunk->start;
    }

  if (chunk != NULL)
    {
      nm_bump_lock (self);
      self->peak = MAX (self->peak, nm_bump_used (self));
      _nm_bump_release_range (self, chunk, cursor, nm_bump_chunk_top (self, chunk));
      released = _nm_bump_release_chunks_after (self, chunk);

      if (nm_bump_is_thread_safe (self))
        {
          __atomic_store_n (&chunk->top, cursor, __ATOMIC_RELAXED);
        }
      else
        {
          /* Recompute what older chunks hold: restoring may cross chunks. */
          self->used_before = 0;
          for (NmBumpChunk *k = chunk->prev; k; k = k->prev)
            self->used_before += (gsize) (k->top - k->start);
          nm_bump_enter_chunk (self, chunk, cursor);
        }
      nm_bump_unlock (self);
    }

  self->fast.last = NULL;
  self->n_live = checkpoint->n_live;
  if (self->common.sites != NULL)
    _nm_leak_sites_retain (self->common.sites, still_handed_out, self);
  add_restore_mark (self, checkpoint->sequence);

  if (released)
    _nm_bump_notify_chunks_changed (self);

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
