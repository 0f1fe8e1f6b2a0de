/* nm-allocator.c: the allocator interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "nm-allocator-bytes-private.h"
#include "nm-allocator-private.h"
#include "nm-backing-private.h"
#include "nm-sanitizer-private.h"

/**
 * SECTION:nm-allocator
 * @Title: NmAllocator
 * @Short_description: the interface every nebula-memory allocator implements
 *
 * #NmAllocator is the common face of #NmBumpAllocator, #NmPoolAllocator and
 * #NmStackAllocator: allocate with a size and an alignment, give memory
 * back, reset, ask whether a pointer belongs to the allocator, and read
 * statistics.
 *
 * Sizes are at least 1 byte: a size of 0 is an
 * %NM_ALLOCATOR_ERROR_INVALID_LAYOUT error, so a zero-length request (often
 * a computed length gone wrong) never silently yields a pointer. Alignments
 * are powers of two up to the page size.
 *
 * Failures are #GError values in %NM_ALLOCATOR_ERROR whose message says what was
 * asked, the state of the allocator and what to do, and are announced with
 * #NmAllocator::allocation-failed. Invalid frees (foreign pointers, double
 * frees, out-of-order frees) are reported once with g_critical(), counted in
 * #NmAllocatorStats and ignored, so the allocator stays consistent.
 *
 * Notification policy: notify:: fires whenever the value a reader would
 * see changed, never from inside an allocation, free or reset. Changes are
 * queued and delivered on the allocator's main context (the thread-default
 * main context when it was made), at most once per main-loop iteration, by
 * a source that holds only a weak reference: #NmAllocator:bytes-used and
 * #NmAllocator:bytes-peak when a reset (or a stack's pop to a marker)
 * changed them, #NmAllocator:capacity when growth or a trim changed it.
 * Between those events they rise silently. #NmAllocator::reset and
 * #NmAllocator::high-water are delivered the same way, once per iteration
 * with the number of resets or crossings they stand for. So a signal or notification caused on another thread runs on
 * the main context's thread, and nothing is delivered to an allocator that
 * is being finalized. #NmAllocator::allocation-failed is the exception: it
 * is emitted in the failing thread, before the failing call returns, so
 * that a handler sees the error while the caller still waits for it.
 *
 * Statistics consistency: counters are plain per-instance fields in
 * single-thread mode and per-thread batches (or relaxed atomics) in
 * thread-safe mode, so they cost no lock. A snapshot from
 * nm_allocator_get_stats() is exact in single-thread mode; in thread-safe
 * mode each field is a value it had during the call, fields may be from
 * slightly different moments, and rare-event counters (failures, invalid
 * frees, corruptions, resets, trims, budget refusals) are always exact. A
 * property read is a one-field snapshot.
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (64 * 1024, &error);
 * NmAllocator *alloc = NM_ALLOCATOR (arena);
 * Point *p = nm_new (alloc, Point, &error);
 *
 * nm_allocator_reset (alloc);   // every Point is gone at once
 * ]|
 *
 * Calls through the interface cost about one indirect call more than the
 * direct entry points (nm_bump_allocator_alloc() and friends): the interface
 * vtable of each class is looked up once and cached.
 *
 * Scripts cannot use the raw address nm_allocator_alloc() returns (a
 * number in Python and GJS, with nothing in either language to read or
 * write through it): nm_allocator_alloc_bytes() copies bytes into
 * allocator memory and returns them as a #GBytes.
 */

gsize nm_page_size = 4096;

G_DEFINE_INTERFACE (NmAllocator, nm_allocator, G_TYPE_OBJECT)

guint _nm_allocator_signals [NM_ALLOCATOR_N_SIGNALS];
#define signals _nm_allocator_signals
#define ALLOCATION_FAILED NM_ALLOCATOR_SIGNAL_ALLOCATION_FAILED
#define RESET NM_ALLOCATOR_SIGNAL_RESET
#define HIGH_WATER NM_ALLOCATOR_SIGNAL_HIGH_WATER

static void
nm_allocator_default_init (NmAllocatorInterface *iface)
{
  long page_size = sysconf (_SC_PAGESIZE);

  if (page_size > 0)
    nm_page_size = (gsize) page_size;

  /**
   * NmAllocator:name:
   *
   * The allocator's name, used in messages and statistics.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
    g_param_spec_string ("name", NULL, "The allocator's name", NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NmAllocator:capacity:
   *
   * Bytes the allocator can hand out without growing.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
    g_param_spec_uint64 ("capacity", NULL, "Bytes it can hand out without growing",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NmAllocator:bytes-used:
   *
   * Bytes handed out and not given back, alignment padding included.
   * Notified on reset when it changed, never per allocation.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
    g_param_spec_uint64 ("bytes-used", NULL, "Bytes handed out and not given back",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NmAllocator:bytes-peak:
   *
   * The highest #NmAllocator:bytes-used so far. Notified on reset when it
   * changed.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
    g_param_spec_uint64 ("bytes-peak", NULL, "The highest bytes-used so far",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NmAllocator:allocation-count:
   *
   * Successful allocations since the allocator was created.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
    g_param_spec_uint64 ("allocation-count", NULL, "Successful allocations",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NmAllocator:thread-safe:
   *
   * Whether several threads may use the allocator at once.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
    g_param_spec_boolean ("thread-safe", NULL, "Whether several threads may use it at once",
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NmAllocator::allocation-failed:
   * @self: the allocator
   * @error: the error the failed call returns, with the full explanation
   *
   * Emitted in the failing thread whenever an allocation fails, whether or
   * not the caller asked for the #GError.
   *
   * Since: 1.0
   */
  signals [ALLOCATION_FAILED] =
    g_signal_new ("allocation-failed",
                  G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NmAllocatorInterface, allocation_failed),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * NmAllocator::reset:
   * @self: the allocator
   * @n_resets: the number of resets this emission stands for, at least 1
   *
   * Emitted after nm_allocator_reset() (or the direct reset of an
   * allocator), on the allocator's main context like notify::: resets
   * between two iterations of that context's main loop, on any thread, are
   * announced once, with their number. Every pointer handed out before
   * them is invalid already when the signal runs.
   *
   * Since: 1.0
   */
  signals [RESET] =
    g_signal_new ("reset",
                  G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);

  /**
   * NmAllocator::high-water:
   * @self: the allocator
   * @n_crossings: the number of crossings this emission stands for, at
   *   least 1
   *
   * Emitted when utilization (#NmAllocator:bytes-used over
   * #NmAllocator:capacity) crossed #NmMemoryConfig:high-water-mark, once
   * per crossing: the signal is edge-triggered and re-arms only when
   * utilization falls below the mark minus 0.1 (minus half the mark, for
   * marks under 0.2). A mark of 0, the default, turns it off.
   *
   * Utilization is looked at where the allocator already notifies, never
   * on the allocation path: when it grows (a growth means it was full, a
   * utilization of 1 of the capacity it had), when a reset, a restore or
   * a pop to a marker releases memory (the usage just before, which is the
   * highest since the last reset for a bump allocator), and when a trim
   * changes the capacity. So a fixed-capacity arena that fills to the
   * mark is announced at its next reset, and an allocator that never
   * resets, grows or trims is never announced; a fixed-size pool's usage
   * is looked at by its resets. For allocators that grow, capacity is the
   * memory held now: every growth is a crossing, and the grown capacity
   * usually re-arms the signal.
   *
   * Delivered like #NmAllocator::reset: on the allocator's main context
   * (the thread-default context when it was made) through a weak
   * reference, after the notify:: of #NmBumpAllocator:high-water-crossings,
   * at the next iteration of that context's main loop after the crossing,
   * whichever thread caused it; crossings between two iterations are
   * announced once, with their number. The latency is one main-loop
   * iteration of the allocator's context; an allocator whose context runs
   * no main loop announces nothing, while the high_water_count of
   * #NmAllocatorStats counts every crossing at once.
   *
   * Since: 1.0
   */
  signals [HIGH_WATER] =
    g_signal_new ("high-water",
                  G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
}

/* Dispatch.
 *
 * G_TYPE_INSTANCE_GET_INTERFACE searches the class's interface table on
 * every call, which costs as much as a whole malloc/free pair. Instead the
 * interface vtable of each class is looked up once and kept in a small
 * table of (class, vtable) pairs. A slot is written once (vtable first, then
 * the class with release order) and never changed, so readers need no lock.
 * The table doubles as the type check: an instance whose class is in it
 * implements NmAllocator. Classes of dynamic types (GTypeModule plugins) can
 * be unloaded and are never cached. The three final allocator classes have
 * fixed slots, so that nm-allocator-dispatch.h recognises them with one
 * compare each and inlines their fast paths into callers of
 * nm_allocator_alloc() and nm_allocator_free(); other classes are found by
 * the cached lookup there. The functions here serve bindings and whatever
 * the inline paths leave out. */
#define N_DISPATCH_SLOTS _NM_ALLOCATOR_N_DISPATCH_SLOTS

typedef NmAllocatorDispatchSlot DispatchSlot;

/* Exported for the inline fast paths of nm_allocator_alloc() and
 * nm_allocator_free() in the header. */
DispatchSlot _nm_allocator_dispatch_slots [N_DISPATCH_SLOTS];
#define dispatch_slots _nm_allocator_dispatch_slots
static GMutex dispatch_lock;

/* The slow path of every dispatch: argument checks with the caller's name
 * in the critical, the interface lookup, and filling a free slot. */
static G_GNUC_NO_INLINE const NmAllocatorInterface *
nm_allocator_lookup_iface (NmAllocator *self,
                           const char  *func)
{
  GTypeClass *klass;
  const NmAllocatorInterface *iface;

  if (self == NULL)
    {
      g_return_if_fail_warning (G_LOG_DOMAIN, func, "self != NULL");
      return NULL;
    }

  if (!G_TYPE_CHECK_INSTANCE_TYPE (self, NM_TYPE_ALLOCATOR))
    {
      g_critical ("%s: %p is not an NmAllocator", func, self);
      return NULL;
    }

  klass = ((GTypeInstance *) self)->g_class;
  iface = NM_ALLOCATOR_GET_IFACE (self);

  if (g_type_get_plugin (G_TYPE_FROM_CLASS (klass)) == NULL)
    {
      guint first = _NM_ALLOCATOR_N_KIND_SLOTS, last = N_DISPATCH_SLOTS;
      guint own = _nm_allocator_class_get_slot (G_TYPE_FROM_CLASS (klass));

      /* The final classes have a slot of their own. */
      if (own < _NM_ALLOCATOR_N_KIND_SLOTS)
        {
          first = own;
          last = own + 1;
        }

      g_mutex_lock (&dispatch_lock);
      for (guint i = first; i < last; i++)
        {
          GTypeClass *k = __atomic_load_n (&dispatch_slots[i].klass, __ATOMIC_RELAXED);

          if (k == klass)
            break;
          if (k == NULL)
            {
              dispatch_slots[i].iface = iface;
              __atomic_store_n (&dispatch_slots[i].klass, klass, __ATOMIC_RELEASE);
              break;
            }
        }
      g_mutex_unlock (&dispatch_lock);
    }

  return iface;
}

static inline const NmAllocatorInterface *
nm_allocator_iface (NmAllocator *self,
                    const char  *func)
{
  const NmAllocatorInterface *iface = self ? _nm_allocator_cached_iface (self) : NULL;

  return G_LIKELY (iface != NULL) ? iface : nm_allocator_lookup_iface (self, func);
}

/**
 * nm_allocator_alloc:
 * @self: an #NmAllocator
 * @size: number of bytes, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Allocates @size bytes aligned to @alignment from @self. The contents are
 * undefined (in the development preset, filled with 0xAA).
 *
 * Bindings see the address as a number: Python gets an integer (usable
 * through `ctypes` only), GJS a Number it can only give back to
 * nm_allocator_free(). Scripts put bytes into allocator memory with
 * nm_allocator_alloc_bytes() instead.
 *
 * Returns: (transfer none) (nullable) (type guintptr): the memory, or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
(nm_allocator_alloc) (NmAllocator  *self,
                      gsize         size,
                      gsize         alignment,
                      GError      **error)
{
  /* C callers reach this only when the header's inline dispatch did not
   * apply (NULL, a class seen for the first time, not an allocator);
   * bindings call it directly. */
  const NmAllocatorInterface *iface = nm_allocator_iface (self, "nm_allocator_alloc");

  return iface ? iface->alloc (self, size, alignment, error) : NULL;
}

/**
 * nm_allocator_alloc0:
 * @self: an #NmAllocator
 * @size: number of bytes, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Like nm_allocator_alloc(), with the memory set to zero.
 *
 * Returns: (transfer none) (nullable) (type guintptr): the memory, or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
nm_allocator_alloc0 (NmAllocator  *self,
                     gsize         size,
                     gsize         alignment,
                     GError      **error)
{
  gpointer mem = nm_allocator_alloc (self, size, alignment, error);

  if (mem != NULL)
    memset (mem, 0, size);

  return mem;
}

/* The allocator never sees an overflowing count, so the failure is
 * counted and announced here, the way the allocator would have. */
static gpointer
fail_overflow (NmAllocator  *self,
               gsize         n_elements,
               gsize         element_size,
               gsize         alignment,
               GError      **error)
{
  g_autofree char *what = g_strdup_printf ("%" G_GSIZE_FORMAT " elements of %" G_GSIZE_FORMAT
                                           " bytes", n_elements, element_size);
  NmFailureInfo info = {
    .alignment = alignment,
    .what = what,
    .state = "the total size overflows",
    .suggestion = "Check the element count.",
  };
  NmAllocatorCommon *common = _nm_allocator_get_common (self);
  const char *name;
  GError *local_error;

  if (common != NULL)
    return _nm_allocator_fail_request (self, common, error, NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
                                       &info);

  name = nm_allocator_get_name (self);
  local_error = _nm_error_new_request ("Allocator", name ? name : G_OBJECT_TYPE_NAME (self),
                                       NM_ALLOCATOR_ERROR_INVALID_LAYOUT, &info);
  g_signal_emit (self, signals [ALLOCATION_FAILED], 0, local_error);
  g_propagate_error (error, local_error);

  return NULL;
}

/**
 * nm_allocator_alloc_n:
 * @self: an #NmAllocator
 * @n_elements: number of elements, at least 1
 * @element_size: size of one element, at least 1
 * @alignment: a power of two, at most the page size
 * @clear: whether to set the memory to zero
 * @error: return location for a #GError, or %NULL
 *
 * Allocates an array of @n_elements elements. A product that overflows is
 * an %NM_ALLOCATOR_ERROR_INVALID_LAYOUT error, reported like any other
 * failure.
 *
 * Returns: (transfer none) (nullable) (type guintptr): the memory, or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
nm_allocator_alloc_n (NmAllocator  *self,
                      gsize         n_elements,
                      gsize         element_size,
                      gsize         alignment,
                      gboolean      clear,
                      GError      **error)
{
  gsize total;

  g_return_val_if_fail (self != NULL, NULL);

  if (!g_size_checked_mul (&total, n_elements, element_size))
    return fail_overflow (self, n_elements, element_size, alignment, error);

  return clear ? nm_allocator_alloc0 (self, total, alignment, error)
               : nm_allocator_alloc (self, total, alignment, error);
}

/**
 * nm_allocator_free:
 * @self: an #NmAllocator
 * @mem: (nullable) (type guintptr): memory from @self, or %NULL
 * @size: the size it was allocated with
 * @alignment: the alignment it was allocated with
 *
 * Gives memory back to @self. What that means depends on the allocator: a
 * pool block becomes free, a stack top is popped, a bump allocator takes back
 * its most recent allocation and ignores other frees. Memory that @self did
 * not hand out, or already took back, is reported with g_critical(), counted
 * and ignored. Freeing %NULL does nothing.
 *
 * Since: 1.0
 */
void
(nm_allocator_free) (NmAllocator *self,
                     gpointer     mem,
                     gsize        size,
                     gsize        alignment)
{
  const NmAllocatorInterface *iface = nm_allocator_iface (self, "nm_allocator_free");

  if (iface != NULL && mem != NULL)
    iface->free (self, mem, size, alignment);
}

/**
 * nm_allocator_reset:
 * @self: an #NmAllocator
 *
 * Makes all memory of @self free again. Every pointer handed out before is
 * invalid afterwards; under AddressSanitizer or Valgrind, touching one is
 * reported like a use after free.
 *
 * While #GBytes from nm_allocator_alloc_bytes() of @self are alive, the
 * reset is refused with one g_critical() naming their number, and nothing
 * changes (see nm_allocator_get_n_live_bytes()).
 *
 * Since: 1.0
 */
void
nm_allocator_reset (NmAllocator *self)
{
  const NmAllocatorInterface *iface = nm_allocator_iface (self, G_STRFUNC);

  /* GBytes from nm_allocator_alloc_bytes() would point at recycled memory. */
  if (iface != NULL && _nm_allocator_bytes_reset_allowed (self, "reset"))
    iface->reset (self);
}

/**
 * nm_allocator_owns:
 * @self: an #NmAllocator
 * @mem: (nullable) (type guintptr): any address
 *
 * Whether @mem lies in memory that @self handed out and has not taken back
 * by a free of the top, a restore or a reset.
 *
 * Returns: whether @mem lies in memory @self handed out and has not taken
 *   back by a reset
 *
 * Since: 1.0
 */
gboolean
nm_allocator_owns (NmAllocator   *self,
                   gconstpointer  mem)
{
  const NmAllocatorInterface *iface = nm_allocator_iface (self, G_STRFUNC);

  if (iface == NULL || mem == NULL)
    return FALSE;

  return iface->owns (self, mem);
}

/**
 * nm_allocator_trim:
 * @self: an #NmAllocator
 *
 * Gives backing memory that holds no live allocation back to the system:
 * the trim of %NM_MEMORY_PRESSURE_LEVEL_MEDIUM (see #NmMemoryPressure for
 * what each allocator gives back at each level), on demand. A bump
 * allocator gives back the spare chunk its last reset kept, a pool every
 * completely free slab but its first, a stack the pages of its region
 * above the top. Counted in the trim_count of #NmAllocatorStats.
 *
 * Returns: the number of bytes released
 *
 * Since: 1.0
 */
gsize
nm_allocator_trim (NmAllocator *self)
{
  const NmAllocatorInterface *iface = nm_allocator_iface (self, G_STRFUNC);
  NmAllocatorCommon *common;

  if (iface == NULL)
    return 0;

  common = _nm_allocator_get_common (self);
  if (common != NULL)
    _nm_counter_inc (&common->n_trims);

  return iface->trim ? iface->trim (self) : 0;
}

/**
 * nm_allocator_get_stats:
 * @self: an #NmAllocator
 *
 * Takes a snapshot of the counters of @self.
 *
 * Returns: (transfer full): a new #NmAllocatorStats
 *
 * Since: 1.0
 */
NmAllocatorStats *
nm_allocator_get_stats (NmAllocator *self)
{
  const NmAllocatorInterface *iface;
  NmAllocatorStats *stats;

  g_return_val_if_fail (NM_IS_ALLOCATOR (self), NULL);

  iface = nm_allocator_iface (self, G_STRFUNC);
  stats = g_new0 (NmAllocatorStats, 1);
  iface->get_stats (self, stats);

  return stats;
}

/**
 * nm_allocator_get_name:
 * @self: an #NmAllocator
 *
 * Gets the #NmAllocator:name of @self.
 *
 * Returns: (nullable): the #NmAllocator:name of @self
 *
 * Since: 1.0
 */
const char *
nm_allocator_get_name (NmAllocator *self)
{
  GValue value = G_VALUE_INIT;
  const char *name;

  g_return_val_if_fail (NM_IS_ALLOCATOR (self), NULL);

  /* Names are fixed at construction; the interned copy keeps the result
   * valid without an accessor in the vtable. */
  g_value_init (&value, G_TYPE_STRING);
  g_object_get_property (G_OBJECT (self), "name", &value);
  name = g_intern_string (g_value_get_string (&value));
  g_value_unset (&value);

  return name;
}
