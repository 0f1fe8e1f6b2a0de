/* nm-stack-marker.c: markers and scopes of NmStackAllocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A marker records the state of the stack (cursor, top, depth) in an entry
 * of the allocator's marks array, and names that entry by index, id and
 * epoch: popping to it restores the state in constant time, whatever was
 * allocated since. How a marker goes stale (popped, released by an older
 * one, reset, or of a finalized allocator at the same address) is decided
 * here, in nm_stack_allocator_pop_to_marker(). A scope is a marker that
 * pops itself at the end of a C scope.
 */

#include "config.h"

#include <string.h>

#include "nm-stack-allocator-private.h"

G_DEFINE_BOXED_TYPE (NmStackMarker, nm_stack_marker,
                     nm_stack_marker_copy, nm_stack_marker_free)

/**
 * nm_stack_marker_copy:
 * @marker: an #NmStackMarker
 *
 * Copies a marker, for bindings that keep markers on the heap.
 *
 * Returns: (transfer full): a copy of @marker
 *
 * Since: 1.0
 */
NmStackMarker *
nm_stack_marker_copy (const NmStackMarker *marker)
{
  g_return_val_if_fail (marker != NULL, NULL);

  return g_memdup2 (marker, sizeof *marker);
}

/**
 * nm_stack_marker_free:
 * @marker: (transfer full): an #NmStackMarker from nm_stack_marker_copy()
 *
 * Frees a copied marker.
 *
 * Since: 1.0
 */
void
nm_stack_marker_free (NmStackMarker *marker)
{
  g_free (marker);
}

/**
 * nm_stack_allocator_push_marker:
 * @self: an #NmStackAllocator
 * @marker: (out caller-allocates): the new marker
 *
 * Opens a frame: nm_stack_allocator_pop_to_marker() with @marker releases
 * everything allocated afterwards. Until then, allocations made before
 * @marker cannot be freed or resized.
 *
 * Since: 1.0
 */
void
nm_stack_allocator_push_marker (NmStackAllocator *self,
                                NmStackMarker    *marker)
{
  NmStackMark record;

  g_return_if_fail (NM_IS_STACK_ALLOCATOR (self));
  g_return_if_fail (marker != NULL);

  _nm_stack_check_owner (self);

  record.id = ++self->next_mark_id;
  record.cursor = self->fast.cursor;
  record.top = self->fast.top;
  record.depth = _nm_stack_depth (self);

  memset (marker, 0, sizeof *marker);
  marker->allocator = self;
  marker->id = record.id;
  marker->index = self->marks->len;
  marker->epoch = self->epoch;

  g_array_append_val (self->marks, record);
  _nm_stack_set_frame (self, record.top);
}

/* Whether the allocation at @mem is still live below @cursor, for the
 * allocation-site records. */
static gboolean
below_cursor (gconstpointer mem,
              gpointer      cursor)
{
  return (const guint8 *) mem < (const guint8 *) cursor;
}

/**
 * nm_stack_allocator_pop_to_marker:
 * @self: an #NmStackAllocator
 * @marker: a live marker of @self
 * @error: return location for a #GError, or %NULL
 *
 * Releases everything allocated since @marker was pushed, and the markers
 * pushed after it, in constant time; then @marker itself, closing its frame.
 *
 * A marker of another allocator (also of one finalized since that had the
 * same address) fails with %NM_ALLOCATOR_ERROR_FOREIGN_POINTER; a marker
 * that is no longer live
 * (popped already, released by popping an older marker, or reset) fails
 * with %NM_ALLOCATOR_ERROR_LIFO_VIOLATION. Nothing changes on failure.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
nm_stack_allocator_pop_to_marker (NmStackAllocator     *self,
                                  const NmStackMarker  *marker,
                                  GError              **error)
{
  NmAllocator *allocator;
  NmAllocatorCommon *c;
  NmStackMark record;
  guint64 used_before;
  guint index;

  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), FALSE);
  g_return_val_if_fail (marker != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  allocator = (NmAllocator *) self;   /* checked above, and cheaper than an interface cast */
  c = &self->common;
  _nm_stack_check_owner (self);

  if (marker->allocator != self)
    return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                                        "cannot pop to a marker of another allocator (%p). "
                                        "Pop it on the allocator that pushed it.",
                                        marker->allocator);

  /* Epochs increase through the process: a marker from before this
   * allocator was constructed belongs to another one, finalized since,
   * that had the same address. */
  if (marker->epoch < self->first_epoch)
    return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
                                        "cannot pop to marker #%" G_GUINT64_FORMAT ": it is a "
                                        "marker of another allocator, finalized since, that "
                                        "had the same address. Markers die with their "
                                        "allocator.", marker->id);

  if (marker->epoch != self->epoch)
    return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                        "cannot pop to marker #%" G_GUINT64_FORMAT ": the "
                                        "stack was reset after it was pushed (LIFO "
                                        "violation). Push markers after the reset.",
                                        marker->id);

  if (marker->index >= self->marks->len ||
      _nm_stack_mark_at (self, (guint) marker->index)->id != marker->id)
    {
      if (marker->id == self->last_popped_id)
        return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                            "cannot pop to marker #%" G_GUINT64_FORMAT ": it "
                                            "was popped already (LIFO violation); a marker "
                                            "pops once.", marker->id);

      return !!_nm_allocator_fail_misuse (allocator, c, error, NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
                                          "cannot pop to marker #%" G_GUINT64_FORMAT ": it is "
                                          "no longer live, released when a marker taken before "
                                          "it was popped, or popped already (LIFO violation). "
                                          "Pop markers in reverse order of pushing them.",
                                          marker->id);
    }

  index = (guint) marker->index;
  record = *_nm_stack_mark_at (self, index);
  used_before = _nm_stack_used (self);

  if G_UNLIKELY (self->fast.slow_flags & (NM_SLOW_SANITIZE | NM_SLOW_POISON))
    _nm_stack_release_range (self, record.cursor);

  /* What the marker releases counts as popped: the depth drops to the
   * marker's. */
  self->fast.n_pops += _nm_stack_depth (self) - record.depth;
  self->fast.cursor = record.cursor;
  self->fast.top = record.top;
  self->last_popped_id = record.id;

  /* Dropping the tail of the array is O(1): records need no clearing. */
  g_array_set_size (self->marks, index);
  _nm_stack_set_frame (self, index > 0 ? _nm_stack_mark_at (self, index - 1)->top : self->fast.base);
  if (G_UNLIKELY (self->common.sites != NULL))
    _nm_leak_sites_retain (self->common.sites, below_cursor, self->fast.cursor);

  _nm_stack_allocator_notify_usage (self, used_before);

  return TRUE;
}

/**
 * nm_stack_allocator_begin_scope: (skip)
 * @self: an #NmStackAllocator
 *
 * Pushes a marker for an #NmStackScope declared with g_auto().
 *
 * Returns: a scope that pops its marker when cleared
 *
 * Since: 1.0
 */
NmStackScope
nm_stack_allocator_begin_scope (NmStackAllocator *self)
{
  NmStackScope scope = { 0 };

  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), scope);

  scope.allocator = self;
  nm_stack_allocator_push_marker (self, &scope.marker);

  return scope;
}

/**
 * nm_stack_scope_clear: (skip)
 * @scope: an #NmStackScope
 *
 * Pops the scope's marker, releasing what was allocated in the scope. A
 * scope whose marker is no longer live (reset, or an outer marker popped
 * inside the scope) is reported with g_critical(). Clearing twice does
 * nothing.
 *
 * Since: 1.0
 */
void
nm_stack_scope_clear (NmStackScope *scope)
{
  g_autoptr(GError) error = NULL;
  NmStackAllocator *self;

  g_return_if_fail (scope != NULL);

  self = g_steal_pointer (&scope->allocator);
  if (self == NULL)
    return;

  if (!nm_stack_allocator_pop_to_marker (self, &scope->marker, &error))
    g_critical ("Scope ended without popping its marker: %s", error->message);
}

