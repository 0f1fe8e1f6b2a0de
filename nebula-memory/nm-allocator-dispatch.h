/* nm-allocator-dispatch.h: nm_allocator_alloc() and nm_allocator_free() at
 * the speed of the direct calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include "nm-allocator.h"
#include "allocators/nm-bump-allocator.h"
#include "allocators/nm-pool-allocator.h"
#include "allocators/nm-stack-allocator.h"

G_BEGIN_DECLS

#ifndef __GTK_DOC_IGNORE__
#ifndef __GI_SCANNER__
/*< private >
 * The classes NmBumpAllocator, NmPoolAllocator and NmStackAllocator are
 * final, so an instance whose class is the one in their dispatch slot has
 * their layout: nm_allocator_alloc() and nm_allocator_free() run the same
 * inline fast path as the direct calls (plus the layout checks the
 * interface promises), and call the library only for what that path leaves
 * out of line. Other implementations are called through their cached
 * vtable. This needs every allocator header, so nebula-memory.h includes it
 * last. The dispatch is forced inline: as a call of its own it would cost
 * what it saves. */
#if defined (__GNUC__) || defined (__clang__)
# define _NM_DISPATCH_INLINE __attribute__ ((__always_inline__)) static inline
#else
# define _NM_DISPATCH_INLINE static inline
#endif

_NM_DISPATCH_INLINE gpointer
_nm_allocator_alloc_inline (NmAllocator  *self,
                            gsize         size,
                            gsize         alignment,
                            GError      **error)
{
  if (G_LIKELY (self != NULL))
    {
      GTypeClass *klass = ((GTypeInstance *) self)->g_class;
      const NmAllocatorInterface *iface;

      if (klass == _nm_allocator_slot_class (_NM_ALLOCATOR_SLOT_POOL))
        {
          _NmPoolAllocatorFast *fast = (_NmPoolAllocatorFast *) ((GObject *) self + 1);

          /* One test for "a power of two, at most the blocks' alignment":
           * align_mask is ~(block_alignment - 1), so it clears the bits of
           * alignment - 1 only below the blocks' alignment, and alignment
           * clears them only for a power of two (0 wraps and fails). */
          if (G_LIKELY (size - 1 < fast->block_size &&
                        ((alignment - 1) & (alignment | fast->align_mask)) == 0))
            {
              gpointer blk = _nm_pool_fast_pop (fast);

              if (G_LIKELY (blk != NULL))
                return blk;
            }
        }
      else if (klass == _nm_allocator_slot_class (_NM_ALLOCATOR_SLOT_BUMP))
        return _nm_bump_allocator_alloc_inline ((NmBumpAllocator *) self, size, alignment, error);
      else if (klass == _nm_allocator_slot_class (_NM_ALLOCATOR_SLOT_STACK))
        return _nm_stack_allocator_alloc_inline ((NmStackAllocator *) self, size, alignment, error);
      else if ((iface = _nm_allocator_cached_iface (self)) != NULL)
        return iface->alloc (self, size, alignment, error);
    }

  return (nm_allocator_alloc) (self, size, alignment, error);
}

_NM_DISPATCH_INLINE void
_nm_allocator_free_inline (NmAllocator *self,
                           gpointer     mem,
                           gsize        size,
                           gsize        alignment)
{
  if (G_LIKELY (self != NULL))
    {
      GTypeClass *klass = ((GTypeInstance *) self)->g_class;
      const NmAllocatorInterface *iface;

      /* The pool's push needs no test of mem against NULL: NULL is never
       * one of its blocks, so it goes out of line like any foreign pointer. */
      if (klass == _nm_allocator_slot_class (_NM_ALLOCATOR_SLOT_POOL))
        {
          _NmPoolAllocatorFast *fast = (_NmPoolAllocatorFast *) ((GObject *) self + 1);

          if (G_LIKELY (size <= fast->block_size &&
                        alignment <= fast->block_alignment &&
                        _nm_pool_fast_push (fast, mem)))
            return;
        }
      else if (G_UNLIKELY (mem == NULL))
        {
          /* out of line, which ignores it */
        }
      else if (klass == _nm_allocator_slot_class (_NM_ALLOCATOR_SLOT_STACK))
        {
          _NmStackAllocatorFast *fast = (_NmStackAllocatorFast *) ((GObject *) self + 1);

          /* The alignment is implied by the address; the size is checked:
           * the top allocation @mem (checked next) ends at the cursor. */
          if (G_LIKELY ((guintptr) mem + size == (guintptr) fast->cursor &&
                        _nm_stack_fast_pop (fast, mem)))
            return;
        }
      else if ((iface = _nm_allocator_cached_iface (self)) != NULL)
        {
          iface->free (self, mem, size, alignment);
          return;
        }
    }

  (nm_allocator_free) (self, mem, size, alignment);
}

#define nm_allocator_alloc(self, size, alignment, error) \
  (_nm_allocator_alloc_inline ((self), (size), (alignment), (error)))
#define nm_allocator_free(self, mem, size, alignment) \
  (_nm_allocator_free_inline ((self), (mem), (size), (alignment)))
#endif /* __GI_SCANNER__ */
#endif /* __GTK_DOC_IGNORE__ */

G_END_DECLS
