/* nm-allocator.h: the allocator interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib-object.h>

#include "nm-allocator-stats.h"
#include "nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NM_TYPE_ALLOCATOR:
 *
 * Evaluates to the #GType of #NmAllocator.
 *
 * Since: 1.0
 */
#define NM_TYPE_ALLOCATOR (nm_allocator_get_type ())

/**
 * NmAllocator:
 *
 * An allocator: the interface of #NmBumpAllocator, #NmPoolAllocator and #NmStackAllocator.
 *
 * Since: 1.0
 */
NM_AVAILABLE_IN_1_0
G_DECLARE_INTERFACE (NmAllocator, nm_allocator, NM, ALLOCATOR, GObject)

/**
 * NmAllocatorInterface:
 * @parent_iface: the parent interface
 * @alloc: allocates @size bytes aligned to @alignment; the layout is
 *   validated by the implementation
 * @free: gives memory back; invalid frees are reported, counted and ignored
 * @reset: makes all memory free again
 * @owns: whether memory lies inside what the allocator handed out
 * @get_stats: fills an #NmAllocatorStats
 * @trim: gives completely free backing memory back to the system
 * @allocation_failed: class handler of #NmAllocator::allocation-failed
 *
 * The virtual methods of #NmAllocator.
 *
 * Since: 1.0
 */
struct _NmAllocatorInterface
{
  GTypeInterface parent_iface;

  gpointer (*alloc)             (NmAllocator      *self,
                                 gsize             size,
                                 gsize             alignment,
                                 GError          **error);
  void     (*free)              (NmAllocator      *self,
                                 gpointer          mem,
                                 gsize             size,
                                 gsize             alignment);
  void     (*reset)             (NmAllocator      *self);
  gboolean (*owns)              (NmAllocator      *self,
                                 gconstpointer     mem);
  void     (*get_stats)         (NmAllocator      *self,
                                 NmAllocatorStats *stats);
  gsize    (*trim)              (NmAllocator      *self);

  void     (*allocation_failed) (NmAllocator      *self,
                                 const GError     *error);

  /*< private >*/
  gpointer _reserved[8];
};

NM_AVAILABLE_IN_1_0
gpointer          nm_allocator_alloc     (NmAllocator   *self,
                                          gsize          size,
                                          gsize          alignment,
                                          GError       **error);
NM_AVAILABLE_IN_1_0
gpointer          nm_allocator_alloc0    (NmAllocator   *self,
                                          gsize          size,
                                          gsize          alignment,
                                          GError       **error);
NM_AVAILABLE_IN_1_0
gpointer          nm_allocator_alloc_n   (NmAllocator   *self,
                                          gsize          n_elements,
                                          gsize          element_size,
                                          gsize          alignment,
                                          gboolean       clear,
                                          GError       **error);
NM_AVAILABLE_IN_1_0
void              nm_allocator_free      (NmAllocator   *self,
                                          gpointer       mem,
                                          gsize          size,
                                          gsize          alignment);
NM_AVAILABLE_IN_1_0
void              nm_allocator_reset     (NmAllocator   *self);
NM_AVAILABLE_IN_1_0
gboolean          nm_allocator_owns      (NmAllocator   *self,
                                          gconstpointer  mem);
NM_AVAILABLE_IN_1_0
gsize             nm_allocator_trim      (NmAllocator   *self);
NM_AVAILABLE_IN_1_0
NmAllocatorStats *nm_allocator_get_stats (NmAllocator   *self);
NM_AVAILABLE_IN_1_0
const char       *nm_allocator_get_name  (NmAllocator   *self);

#ifndef __GTK_DOC_IGNORE__
#ifndef __GI_SCANNER__
/*< private >
 * The interface vtables of the allocator classes seen so far, filled by the
 * library (see nm-allocator.c). The first three slots belong to the final
 * classes NmBumpAllocator, NmPoolAllocator and NmStackAllocator, whatever
 * order they are first used in; the inline dispatch in
 * nm-allocator-dispatch.h compares an instance's class with them and runs
 * that allocator's own inline fast path. Other classes take the remaining
 * slots in order, and their vtable is called directly. The layout is part
 * of the ABI, the contents are not API.
 */
#define _NM_ALLOCATOR_N_DISPATCH_SLOTS 8
#define _NM_ALLOCATOR_SLOT_BUMP        0
#define _NM_ALLOCATOR_SLOT_POOL        1
#define _NM_ALLOCATOR_SLOT_STACK       2
#define _NM_ALLOCATOR_N_KIND_SLOTS     3

typedef struct
{
  GTypeClass                 *klass;
  const NmAllocatorInterface *iface;
} NmAllocatorDispatchSlot;

NM_AVAILABLE_IN_1_0
NmAllocatorDispatchSlot _nm_allocator_dispatch_slots[_NM_ALLOCATOR_N_DISPATCH_SLOTS];

/* The class in @slot, or NULL. A slot is written once; a relaxed load is
 * enough, since nothing is read through it but the class pointer. */
static inline GTypeClass *
_nm_allocator_slot_class (guint slot)
{
  return __atomic_load_n (&_nm_allocator_dispatch_slots[slot].klass, __ATOMIC_RELAXED);
}

static inline const NmAllocatorInterface *
_nm_allocator_cached_iface (NmAllocator *self)
{
  GTypeClass *klass = ((GTypeInstance *) self)->g_class;

  for (guint i = 0; i < _NM_ALLOCATOR_N_DISPATCH_SLOTS; i++)
    {
      GTypeClass *k = __atomic_load_n (&_nm_allocator_dispatch_slots[i].klass, __ATOMIC_ACQUIRE);

      if (G_LIKELY (k == klass))
        return _nm_allocator_dispatch_slots[i].iface;
      if (k == NULL && i >= _NM_ALLOCATOR_N_KIND_SLOTS)
        break;
    }

  return NULL;
}
#endif /* __GI_SCANNER__ */
#endif /* __GTK_DOC_IGNORE__ */

/**
 * nm_new:
 * @alloc: an #NmAllocator
 * @struct_type: the type to allocate
 * @error: return location for a #GError, or %NULL
 *
 * Allocates one @struct_type from @alloc, aligned for the type.
 *
 * Returns: (nullable): a pointer to @struct_type, or %NULL with @error set
 *
 * Since: 1.0
 */
#define nm_new(alloc, struct_type, error) \
  ((struct_type *) nm_allocator_alloc ((NmAllocator *) (alloc), sizeof (struct_type), \
                                       G_ALIGNOF (struct_type), (error)))

/**
 * nm_new0:
 * @alloc: an #NmAllocator
 * @struct_type: the type to allocate
 * @error: return location for a #GError, or %NULL
 *
 * Like nm_new(), with the memory set to zero.
 *
 * Returns: (nullable): a pointer to @struct_type, or %NULL with @error set
 *
 * Since: 1.0
 */
#define nm_new0(alloc, struct_type, error) \
  ((struct_type *) nm_allocator_alloc0 ((NmAllocator *) (alloc), sizeof (struct_type), \
                                        G_ALIGNOF (struct_type), (error)))

/**
 * nm_new_array:
 * @alloc: an #NmAllocator
 * @struct_type: the element type
 * @n_elements: number of elements
 * @error: return location for a #GError, or %NULL
 *
 * Allocates @n_elements of @struct_type. A count whose total size overflows
 * is an %NM_ALLOCATOR_ERROR_INVALID_LAYOUT error, never a wrapped size.
 *
 * Returns: (nullable): a pointer to the first element, or %NULL with @error set
 *
 * Since: 1.0
 */
#define nm_new_array(alloc, struct_type, n_elements, error) \
  ((struct_type *) nm_allocator_alloc_n ((NmAllocator *) (alloc), (n_elements), \
                                         sizeof (struct_type), G_ALIGNOF (struct_type), \
                                         FALSE, (error)))

/**
 * nm_new0_array:
 * @alloc: an #NmAllocator
 * @struct_type: the element type
 * @n_elements: number of elements
 * @error: return location for a #GError, or %NULL
 *
 * Like nm_new_array(), with the memory set to zero.
 *
 * Returns: (nullable): a pointer to the first element, or %NULL with @error set
 *
 * Since: 1.0
 */
#define nm_new0_array(alloc, struct_type, n_elements, error) \
  ((struct_type *) nm_allocator_alloc_n ((NmAllocator *) (alloc), (n_elements), \
                                         sizeof (struct_type), G_ALIGNOF (struct_type), \
                                         TRUE, (error)))

/**
 * nm_delete:
 * @alloc: an #NmAllocator
 * @struct_type: the type @mem was allocated as
 * @mem: memory from nm_new() or nm_new0()
 *
 * Gives memory from nm_new() back to @alloc.
 *
 * Since: 1.0
 */
#define nm_delete(alloc, struct_type, mem) \
  nm_allocator_free ((NmAllocator *) (alloc), (mem), sizeof (struct_type), \
                     G_ALIGNOF (struct_type))

/**
 * nm_delete_array:
 * @alloc: an #NmAllocator
 * @struct_type: the element type
 * @n_elements: the count given to nm_new_array()
 * @mem: memory from nm_new_array()
 *
 * Gives an array from nm_new_array() back to @alloc.
 *
 * Since: 1.0
 */
#define nm_delete_array(alloc, struct_type, n_elements, mem) \
  nm_allocator_free ((NmAllocator *) (alloc), (mem), \
                     (gsize) (n_elements) * sizeof (struct_type), \
                     G_ALIGNOF (struct_type))

G_END_DECLS
