/* nm-allocator-bytes.c: allocator memory as GBytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-allocator-bytes.h"
#include "nm-allocator-bytes-private.h"
#include "nm-allocator-private.h"
#include "allocators/nm-stack-allocator.h"

/**
 * SECTION:nm-allocator-bytes
 * @Title: Allocator memory as GBytes
 * @Short_description: bytes in allocator memory that scripts can read and pass on
 *
 * nm_allocator_alloc() hands out a raw address. C uses it directly; a
 * script cannot: Python and GJS see a number (usable only through `ctypes`
 * in Python, not at all in GJS). nm_allocator_alloc_bytes() and
 * nm_allocator_dup_bytes() copy bytes into a block of an allocator and
 * return a #GBytes whose data is that block, so any language can read the
 * memory back (g_bytes_get_data(), `GLib.Bytes.get_data()` in Python,
 * `GLib.Bytes.toArray()` in GJS) and hand it to every API that takes a
 * #GBytes: checksums, #GInputStream, #GSocket, #GResource, D-Bus.
 *
 * The #GBytes holds a reference on the allocator. When its last reference
 * goes, the block goes back:
 *
 * - an #NmPoolAllocator block is freed, so #NmAllocator:bytes-used drops;
 * - an #NmBumpAllocator takes the block back if it is still the most recent
 *   allocation, and otherwise with the next reset, as with any bump free;
 * - an #NmStackAllocator block stays until the stack is reset or popped
 *   below it: a garbage collector cannot promise last-in-first-out order,
 *   so the #GBytes never pops.
 *
 * ## The reset rule
 *
 * A reset recycles every block at once, so it would leave a living #GBytes
 * pointing at memory that is handed out again. While #GBytes of an allocator
 * are alive (nm_allocator_get_n_live_bytes()), nm_allocator_reset() is
 * refused: it does nothing and reports one g_critical() naming the
 * allocator and the number of living #GBytes. Drop the #GBytes first, or
 * copy what must outlive the reset with g_bytes_new().
 *
 * The type-specific resets (nm_bump_allocator_reset(),
 * nm_pool_allocator_reset(), nm_stack_allocator_reset()) are the fast paths
 * for C code that knows what it holds and do not ask first. A #GBytes that
 * outlived such a reset reports it with one g_critical() on its last unref
 * and does not give back a block that may belong to someone else now, so
 * nothing is freed twice; reading its data before that is a use after
 * reset, which AddressSanitizer and Valgrind report. Restoring a bump
 * checkpoint or popping a stack marker taken before the #GBytes was made
 * recycles its block the same way and is not refused: keep such #GBytes
 * out of scopes.
 *
 * The last unref may happen on any thread; for an allocator that is not
 * #NmAllocator:thread-safe it must happen on the thread that uses the
 * allocator, like any free.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new (256, 16, 64, &error);
 * g_autoptr(GBytes) bytes = nm_allocator_alloc_bytes (NM_ALLOCATOR (pool),
 *                                                     (const guint8 *) "hello", 5,
 *                                                     1, &error);
 * g_autofree char *sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
 *
 * g_clear_pointer (&bytes, g_bytes_unref);   // the block is back in the pool
 * ]|
 *
 * From Python:
 *
 * |[<!-- language="Python" -->
 * pool = Nm.PoolAllocator.new(256, 16, 64)
 * data = Nm.Allocator.alloc_bytes(pool, b'hello', 1)
 * print(data.get_data(), GLib.compute_checksum_for_bytes(GLib.ChecksumType.SHA256, data))
 * del data                                  # the block is back in the pool
 * ]|
 */

gint _nm_allocator_bytes_n_alive;

/* Per allocator, as object data: how many of its GBytes are alive. */
typedef struct
{
  gint n_alive;
} BytesOwner;

/* What the GBytes' free function needs. */
typedef struct
{
  NmAllocator *allocator;    /* owned */
  BytesOwner  *owner;
  gpointer     mem;
  gsize        size;
  gsize        alignment;
  guint64      resets;       /* the allocator's reset count when allocated */
  guint        give_back : 1;
} BytesBlock;

static GMutex owner_lock;

static GQuark
owner_quark (void)
{
  return g_quark_from_static_string ("nm-allocator-bytes-owner");
}

static BytesOwner *
get_owner (NmAllocator *self,
           gboolean     create)
{
  BytesOwner *owner = g_object_get_qdata (G_OBJECT (self), owner_quark ());

  if (owner != NULL || !create)
    return owner;

  g_mutex_lock (&owner_lock);
  owner = g_object_get_qdata (G_OBJECT (self), owner_quark ());
  if (owner == NULL)
    {
      owner = g_new0 (BytesOwner, 1);
      g_object_set_qdata_full (G_OBJECT (self), owner_quark (), owner, g_free);
    }
  g_mutex_unlock (&owner_lock);

  return owner;
}

static guint64
reset_count (NmAllocator *self)
{
  NmAllocatorCommon *common = _nm_allocator_get_common (self);

  return common != NULL ? _nm_counter_get (&common->n_resets) : 0;
}

static void
bytes_block_release (gpointer data)
{
  BytesBlock *block = data;

  if (reset_count (block->allocator) != block->resets)
    {
      /* A type-specific reset recycled the block while this GBytes lived
       * (nm_allocator_reset() would have refused). It may belong to someone
       * else now: giving it back would free their memory. */
      NmAllocatorCommon *common = _nm_allocator_get_common (block->allocator);

      g_critical ("%s “%s” was reset while a GBytes of %" G_GSIZE_FORMAT " bytes at %p "
                  "was alive: its data was recycled memory since the reset. Drop the "
                  "GBytes before resetting, or reset with nm_allocator_reset(), which "
                  "refuses while GBytes are alive.",
                  common->label, common->name, block->size, block->mem);
    }
  else if (block->give_back)
    {
      nm_allocator_free (block->allocator, block->mem, block->size, block->alignment);
    }

  g_atomic_int_add (&block->owner->n_alive, -1);
  g_atomic_int_add (&_nm_allocator_bytes_n_alive, -1);
  g_object_unref (block->allocator);
  g_free (block);
}

/**
 * nm_allocator_alloc_bytes:
 * @self: an #NmAllocator
 * @data: (array length=size) (element-type guint8): the bytes to copy
 * @size: number of bytes in @data, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Allocates @size bytes aligned to @alignment from @self, copies @data into
 * them and returns a #GBytes whose data is that block. The #GBytes holds a
 * reference on @self and gives the block back when its last reference goes
 * (see the section description for what each allocator does with it).
 *
 * While the #GBytes is alive, nm_allocator_reset() of @self is refused.
 *
 * Failures are those of nm_allocator_alloc(), with the same #GError and
 * #NmAllocator::allocation-failed emission; a @size of 0 is an
 * %NM_ALLOCATOR_ERROR_INVALID_LAYOUT error.
 *
 * Returns: (transfer full) (nullable): a new #GBytes, or %NULL with @error set
 *
 * Since: 1.0
 */
GBytes *
nm_allocator_alloc_bytes (NmAllocator   *self,
                          const guint8  *data,
                          gsize          size,
                          gsize          alignment,
                          GError       **error)
{
  BytesBlock *block;
  gpointer mem;

  g_return_val_if_fail (NM_IS_ALLOCATOR (self), NULL);
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(mem = nm_allocator_alloc (self, size, alignment, error)))
    return NULL;

  memcpy (mem, data, size);

  block = g_new0 (BytesBlock, 1);
  block->allocator = g_object_ref (self);
  block->owner = get_owner (self, TRUE);
  block->mem = mem;
  block->size = size;
  block->alignment = alignment;
  block->resets = reset_count (self);
  block->give_back = !NM_IS_STACK_ALLOCATOR (self);

  g_atomic_int_inc (&block->owner->n_alive);
  g_atomic_int_inc (&_nm_allocator_bytes_n_alive);

  return g_bytes_new_with_free_func (mem, size, bytes_block_release, block);
}

/**
 * nm_allocator_dup_bytes:
 * @self: an #NmAllocator
 * @bytes: the bytes to copy, at least one byte long
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Like nm_allocator_alloc_bytes(), copying the contents of @bytes.
 *
 * Returns: (transfer full) (nullable): a new #GBytes whose data lives in
 *   @self, or %NULL with @error set
 *
 * Since: 1.0
 */
GBytes *
nm_allocator_dup_bytes (NmAllocator  *self,
                        GBytes       *bytes,
                        gsize         alignment,
                        GError      **error)
{
  gconstpointer data;
  gsize size;

  g_return_val_if_fail (NM_IS_ALLOCATOR (self), NULL);
  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &size);

  return nm_allocator_alloc_bytes (self, data, size, alignment, error);
}

/**
 * nm_allocator_get_n_live_bytes:
 * @self: an #NmAllocator
 *
 * Counts the #GBytes from nm_allocator_alloc_bytes() and
 * nm_allocator_dup_bytes() whose data lives in @self and that are still
 * alive. nm_allocator_reset() is refused while the count is not 0.
 *
 * Returns: the number of living #GBytes of @self
 *
 * Since: 1.0
 */
guint
nm_allocator_get_n_live_bytes (NmAllocator *self)
{
  BytesOwner *owner;

  g_return_val_if_fail (NM_IS_ALLOCATOR (self), 0);

  owner = get_owner (self, FALSE);

  return owner != NULL ? (guint) g_atomic_int_get (&owner->n_alive) : 0;
}

gboolean
_nm_allocator_bytes_check_reset (NmAllocator *self,
                                 const char  *what)
{
  NmAllocatorCommon *common;
  guint n_alive = nm_allocator_get_n_live_bytes (self);

  if (n_alive == 0)
    return TRUE;

  common = _nm_allocator_get_common (self);
  g_critical ("%s “%s” still has %u GBytes alive: %s refused, it would leave them "
              "pointing at recycled memory. Drop the GBytes first, or copy what must "
              "outlive the %s with g_bytes_new().",
              common != NULL ? common->label : G_OBJECT_TYPE_NAME (self),
              common != NULL ? common->name : "", n_alive, what, what);

  return FALSE;
}
