/* nm-stack-allocator.c: LIFO allocator with markers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The type: its documentation, reset, statistics and accessors, the
 * GObject code (construct properties, the region from the backing layer)
 * and the constructors. Push, pop and resize are in nm-stack-blocks.c,
 * markers and scopes in nm-stack-marker.c; the struct and its invariants
 * in nm-stack-allocator-private.h.
 */

#include "config.h"

#include <string.h>

#include "nm-backing-private.h"
#include "nm-memory-config-builder.h"
#include "nm-stack-allocator-private.h"

/**
 * SECTION:nm-stack-allocator
 * @Title: NmStackAllocator
 * @Short_description: last-in-first-out allocator with markers
 *
 * An #NmStackAllocator hands out memory from one fixed region in
 * last-in-first-out order: scratch memory whose lifetime follows the call
 * stack. Each allocation has its own alignment; nm_stack_allocator_free()
 * must name the most recent live allocation (the top). Freeing anything
 * else is a LIFO violation: it is reported once with g_critical() naming
 * the pointer given and the current top, counted in the
 * invalid_free_count of #NmAllocatorStats, and the stack is left exactly
 * as it was. Through nm_allocator_free() the size is checked as well.
 *
 * Markers split the stack into frames. nm_stack_allocator_push_marker()
 * opens a frame and nm_stack_allocator_pop_to_marker() releases everything
 * allocated since, whatever the number of allocations, in constant time.
 * Markers nest and pop in reverse order: popping an outer marker releases
 * the inner ones, and popping a marker that is no longer live fails with
 * %NM_ALLOCATOR_ERROR_LIFO_VIOLATION without changing anything. While a
 * marker is live, allocations made before it cannot be freed or resized.
 * #NmStackScope pops its marker at the end of a C scope, so scratch memory
 * cannot outlive the function that made it.
 *
 * nm_stack_allocator_resize() grows or shrinks the top allocation in
 * place, for objects of unknown final length (obstack's "growing object"):
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmStackAllocator) stack = nm_stack_allocator_new (64 * 1024, NULL);
 * g_auto(NmStackScope) scope = nm_stack_allocator_begin_scope (stack);
 * gsize len = 0, room = 64;
 * char *buf = nm_stack_allocator_alloc (stack, room, 1, &error);
 *
 * while (more_input ())
 *   {
 *     if (len == room && !nm_stack_allocator_resize (stack, buf, room *= 2, &error))
 *       return FALSE;   // error explains how much room was left
 *     buf[len++] = next_char ();
 *   }
 * ]|
 *
 * A stack belongs to one thread: %NM_ALLOCATOR_KIND_STACK with
 * `thread-safe=true` is an %NM_CONFIG_ERROR_INCOMPATIBLE configuration.
 * With validation on (the development preset) the first thread to use the
 * stack owns it, and use from any other thread is reported with
 * g_critical().
 *
 * Each allocation costs an 8-byte bookkeeping word just below it (two
 * for alignments above 1 KiB), and allocations start at least 8-byte
 * aligned. The word carries a keyed check: a buffer underflow that damages
 * it is reported (#NmAllocatorStats corruption_count, and a g_critical()
 * or an %NM_ALLOCATOR_ERROR_CORRUPTION error) instead of moving the top
 * into a live allocation. Any single flipped bit of the word is always
 * detected. With validation on, a 16-byte redzone separates each
 * allocation from the next, so AddressSanitizer and Valgrind report an
 * overflow past a block as they do for malloc().
 *
 * Statistics are exact at every moment, at no cost to a pop: the peak is
 * noted only where a push or a resize takes the stack past it, and the
 * depth derives from the counts of pushes and pops, which are kept even
 * with #NmMemoryConfig:track-stats off (then reported as 0).
 *
 * #NmAllocator:bytes-used is notified when a reset, a pop to a marker or
 * the end of a scope changes it, #NmAllocator:bytes-peak when it rose
 * since it was last notified, never per push or pop of one allocation.
 * Notifications are delivered on the main context that was the thread's
 * default when the stack was made, at most once per main-loop iteration.
 *
 * g_object_new() gives a working stack too: #NmStackAllocator:capacity
 * (1 MiB by default), #NmStackAllocator:name (“stack”) and
 * #NmStackAllocator:config are construct-only properties, so bindings
 * write `Nm.StackAllocator(capacity=4096)`.
 */

#define DEFAULT_CAPACITY (1024 * 1024)

enum {
  PROP_DEPTH = NM_ALLOCATOR_PROP_LAST,
  PROP_MARKER_COUNT,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void nm_stack_allocator_iface_init (NmAllocatorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NmStackAllocator, nm_stack_allocator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR,
                                                      nm_stack_allocator_iface_init))

GType _nm_stack_allocator_type;

/* Usage notifications */

void
_nm_stack_allocator_notify_usage (NmStackAllocator *self,
                                  guint64           used_before)
{
  /* A plain cast: an interface cast check costs more than the queueing.
   * The peak rises silently with each push: it is announced when it rose
   * since it was last announced. */
  _nm_allocator_notify_usage ((NmAllocator *) self, &self->common, properties,
                              used_before, _nm_stack_used (self),
                              self->common.notified_peak, _nm_stack_peak (self));
}

/* Reset */

/**
 * nm_stack_allocator_reset: (skip)
 * @self: an #NmStackAllocator
 *
 * Empties the stack: every allocation and every marker is released; the
 * same as nm_allocator_reset(). Markers pushed before are stale afterwards.
 *
 * Since: 1.0
 */
void
nm_stack_allocator_reset (NmStackAllocator *self)
{
  gboolean had_depth, had_marks;
  guint64 used_before;

  g_return_if_fail (NM_IS_STACK_ALLOCATOR (self));

  _nm_stack_check_owner (self);

  had_depth = _nm_stack_depth (self) != 0;
  had_marks = self->marks->len != 0;
  used_before = _nm_stack_used (self);

  _nm_stack_release_range (self, self->fast.base);

  self->n_dropped += _nm_stack_depth (self);
  self->fast.cursor = self->fast.base;
  self->fast.top = self->fast.base;
  _nm_stack_set_frame (self, self->fast.base);
  g_array_set_size (self->marks, 0);
  _nm_stack_next_epoch (self);
  _nm_allocator_note_reset (&self->common);

  /* Resets never race with other calls on a stack: no atomic
   * read-modify-write. */
  __atomic_store_n (&self->common.n_resets, self->common.n_resets + 1, __ATOMIC_RELAXED);
  _nm_allocator_queue_reset ((NmAllocator *) self, &self->common, properties);
  _nm_stack_allocator_notify_usage (self, used_before);
  if (had_depth)
    _nm_allocator_queue_notify ((NmAllocator *) self, &self->common, properties, PROP_DEPTH);
  if (had_marks)
    _nm_allocator_queue_notify ((NmAllocator *) self, &self->common, properties, PROP_MARKER_COUNT);
}

static void
stack_reset (NmAllocator *allocator)
{
  nm_stack_allocator_reset ((NmStackAllocator *) allocator);
}

static gboolean
stack_owns (NmAllocator   *allocator,
            gconstpointer  mem)
{
  NmStackAllocator *self = (NmStackAllocator *) allocator;
  const guint8 *p = mem;

  return p >= self->fast.base && p < self->fast.cursor;
}


static gsize
stack_trim (NmAllocator *allocator)
{
  NmStackAllocator *self = (NmStackAllocator *) allocator;

  /* One fixed region, live until the allocator is finalized: a low-pressure
   * trim keeps all of it; harder ones give back the pages above the top,
   * which stay the stack's (reserved, counted and charged). */
  if (self->fast.base == NULL || _nm_allocator_trim_level () == NM_MEMORY_PRESSURE_LEVEL_LOW)
    return 0;

  return _nm_backing_discard (&self->common, self->fast.cursor,
                              self->fast.base + self->capacity);
}

static void
stack_get_stats (NmAllocator      *allocator,
                 NmAllocatorStats *stats)
{
  NmStackAllocator *self = (NmStackAllocator *) allocator;

  stats->capacity = self->capacity;
  stats->bytes_used = _nm_stack_used (self);
  stats->bytes_peak = _nm_stack_peak (self);
  stats->bytes_reserved = _nm_backing_bytes (&self->common) +
                          (guint64) self->marks->len * sizeof (NmStackMark);
  /* Counted always (the depth derives from them), reported when asked. */
  stats->allocation_count = self->common.track_stats ? self->fast.n_pushes : 0;
  stats->free_count = self->common.track_stats ? self->fast.n_pops : 0;
  _nm_allocator_fill_common_stats (&self->common, stats);
}

/* Accessors */

/**
 * nm_stack_allocator_get_top_size:
 * @self: an #NmStackAllocator
 *
 * Gets the top size of @self.
 *
 * Returns: the size of the top allocation, or 0 when the stack is empty
 *
 * Since: 1.0
 */
gsize
nm_stack_allocator_get_top_size (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return _nm_stack_depth (self) ? (gsize) (self->fast.cursor - self->fast.top) : 0;
}

/**
 * nm_stack_allocator_get_available:
 * @self: an #NmStackAllocator
 *
 * Gets the available of @self.
 *
 * Returns: the bytes free above the top: how far the top allocation can
 *   grow with nm_stack_allocator_resize()
 *
 * Since: 1.0
 */
gsize
nm_stack_allocator_get_available (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return (gsize) (self->end - self->fast.cursor);
}

/**
 * nm_stack_allocator_get_depth:
 * @self: an #NmStackAllocator
 *
 * Gets the depth of @self.
 *
 * Returns: the number of live allocations, the #NmStackAllocator:depth
 *
 * Since: 1.0
 */
guint64
nm_stack_allocator_get_depth (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return _nm_stack_depth (self);
}

/**
 * nm_stack_allocator_get_marker_count:
 * @self: an #NmStackAllocator
 *
 * Gets the marker count of @self.
 *
 * Returns: the number of live markers, the #NmStackAllocator:marker-count
 *
 * Since: 1.0
 */
guint
nm_stack_allocator_get_marker_count (NmStackAllocator *self)
{
  g_return_val_if_fail (NM_IS_STACK_ALLOCATOR (self), 0);

  return self->marks->len;
}

/* Object */

static void
nm_stack_allocator_finalize (GObject *object)
{
  NmStackAllocator *self = (NmStackAllocator *) object;

  if (self->common.leak_report && _nm_stack_depth (self) > 0)
    _nm_allocator_report_leaks (&self->common, _nm_stack_depth (self), _nm_stack_used (self),
                                "pop or reset the stack before dropping it");

  _nm_backing_free (&self->common, self->fast.base, 0, self->capacity);

  g_array_unref (self->marks);
  g_clear_object (&self->config);
  g_clear_pointer (&self->construct_name, g_free);
  _nm_allocator_common_clear (&self->common);

  G_OBJECT_CLASS (nm_stack_allocator_parent_class)->finalize (object);
}

/* The configuration of a stack built from the construct properties: the
 * config if one was given, else a stack of @capacity named @name. */
static NmMemoryConfig *
effective_config (NmStackAllocator  *self,
                  GError           **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;

  if (self->config != NULL)
    return g_object_ref (self->config);

  builder = nm_memory_config_builder_new ();
  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_name (builder, self->construct_name ? self->construct_name : "stack");
  nm_memory_config_builder_set_capacity (builder, self->capacity);

  return nm_memory_config_builder_build (builder, error);
}

/* Applies @config; the region comes last, and when it cannot be had the
 * stack stays empty with no room, and remembers why. */
static void
apply_config (NmStackAllocator *self,
              NmMemoryConfig   *config)
{
  _nm_allocator_common_apply_config (&self->common, config);
  if (self->common.name == NULL || self->common.name[0] == '\0')
    {
      g_free (self->common.name);
      self->common.name = g_strdup ("stack");
    }

  self->capacity = nm_memory_config_get_capacity (config);
  self->redzone = self->common.validate ? NM_STACK_REDZONE : 0;
  self->fast.slow_flags = _nm_allocator_common_slow_flags (&self->common) & NM_STACK_SLOW_FLAGS;
  /* A cap at or above the region's size never refuses what fits. */
  if (self->common.max_request != 0 && self->common.max_request < self->capacity)
    self->fast.slow_flags |= NM_SLOW_REQUEST_CAP;

  _nm_stack_allocator_acquire_region (self);
}

gboolean
_nm_stack_allocator_acquire_region (NmStackAllocator *self)
{
  /* Registered with the tools, poisoned until handed out, charged to the
   * budget. */
  self->fast.base = _nm_backing_alloc (&self->common, 0, self->capacity);
  self->region_refused = self->fast.base == NULL;
  if (!self->region_refused)
    {
      self->fast.cursor = self->fast.base;
      self->fast.top = self->fast.base;
      self->end = self->fast.base + self->capacity;
      self->frame_top = self->fast.base;
      self->hot = FALSE;
      self->peak_cursor = self->fast.base;
    }
  _nm_stack_arm (self);

  return !self->region_refused;
}

static void
nm_stack_allocator_constructed (GObject *object)
{
  NmStackAllocator *self = (NmStackAllocator *) object;
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  G_OBJECT_CLASS (nm_stack_allocator_parent_class)->constructed (object);

  /* Programmer errors, but the object must still work: with the defaults. */
  if (self->config != NULL &&
      (nm_memory_config_get_kind (self->config) != NM_ALLOCATOR_KIND_STACK ||
       nm_memory_config_get_thread_safe (self->config)))
    {
      g_critical ("NmStackAllocator:config must be a single-thread stack configuration; "
                  "the stack uses its defaults instead.");
      g_clear_object (&self->config);
    }

  config = effective_config (self, &error);
  if (config == NULL)
    {
      /* Only a name the builder refuses gets here (the capacity is range
       * checked by its property). */
      g_critical ("NmStackAllocator:name: %s; the stack is named “stack” instead.",
                  error->message);
      g_clear_pointer (&self->construct_name, g_free);
      config = effective_config (self, NULL);
    }

  apply_config (self, config);
}

static void
nm_stack_allocator_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NmStackAllocator *self = NM_STACK_ALLOCATOR (object);

  if (_nm_allocator_get_common_property (NM_ALLOCATOR (self), &self->common, prop_id, value))
    return;

  switch (prop_id)
    {
    case PROP_DEPTH:
      g_value_set_uint64 (value, _nm_stack_depth (self));
      break;

    case PROP_MARKER_COUNT:
      g_value_set_uint (value, self->marks->len);
      break;

    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_stack_allocator_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NmStackAllocator *self = NM_STACK_ALLOCATOR (object);

  switch (prop_id)
    {
    case NM_ALLOCATOR_PROP_NAME:
      g_free (self->construct_name);
      self->construct_name = g_value_dup_string (value);
      break;

    case NM_ALLOCATOR_PROP_CAPACITY:
      self->capacity = (gsize) g_value_get_uint64 (value);
      break;

    case PROP_CONFIG:
      g_set_object (&self->config, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_stack_allocator_class_init (NmStackAllocatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nm_stack_allocator_constructed;
  object_class->finalize = nm_stack_allocator_finalize;
  object_class->get_property = nm_stack_allocator_get_property;
  object_class->set_property = nm_stack_allocator_set_property;

  /* The interface's read-only properties, but for name and capacity,
   * which a stack takes at construction. */
  for (guint i = NM_ALLOCATOR_PROP_BYTES_USED; i <= NM_ALLOCATOR_PROP_THREAD_SAFE; i++)
    {
      static const char * const names[] = {
        [NM_ALLOCATOR_PROP_BYTES_USED] = "bytes-used",
        [NM_ALLOCATOR_PROP_BYTES_PEAK] = "bytes-peak",
        [NM_ALLOCATOR_PROP_ALLOCATION_COUNT] = "allocation-count",
        [NM_ALLOCATOR_PROP_THREAD_SAFE] = "thread-safe",
      };

      g_object_class_override_property (object_class, i, names[i]);
      properties [i] = g_object_class_find_property (object_class, names[i]);
    }
  _nm_allocator_class_set_common (object_class, G_STRUCT_OFFSET (NmStackAllocator, common));
  _nm_allocator_class_set_slot (object_class, _NM_ALLOCATOR_SLOT_STACK);

  /**
   * NmStackAllocator:name:
   *
   * The allocator's name, for messages. Construct-only; an unnamed stack is
   * named “stack”. Ignored when #NmStackAllocator:config is set.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_NAME] =
    g_param_spec_string ("name", NULL, "The allocator's name", NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmStackAllocator:capacity:
   *
   * The size of the region, in bytes: at least 1 and at most 1 TiB.
   * Construct-only, 1 MiB by default (the production preset). Ignored when
   * #NmStackAllocator:config is set. A region the system (or a memory
   * budget) refuses leaves a stack whose allocations fail with
   * %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY (or %NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED)
   * until the region can be had.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_CAPACITY] =
    g_param_spec_uint64 ("capacity", NULL, "Bytes of the region", 1, NM_MAX_CAPACITY, DEFAULT_CAPACITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmStackAllocator:depth:
   *
   * The number of live allocations. Notified on reset, never per
   * allocation.
   *
   * Since: 1.0
   */
  properties [PROP_DEPTH] =
    g_param_spec_uint64 ("depth", NULL, "Live allocations", 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmStackAllocator:marker-count:
   *
   * The number of live markers. Notified on reset, never per push or pop.
   *
   * Since: 1.0
   */
  properties [PROP_MARKER_COUNT] =
    g_param_spec_uint ("marker-count", NULL, "Live markers", 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmStackAllocator:config:
   *
   * The #NmMemoryConfig of kind %NM_ALLOCATOR_KIND_STACK the stack is built
   * from, or %NULL: then #NmStackAllocator:name and
   * #NmStackAllocator:capacity with the production settings. Construct-only.
   *
   * Since: 1.0
   */
  properties [PROP_CONFIG] =
    g_param_spec_object ("config", NULL, "A configuration to build from", NM_TYPE_MEMORY_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, NM_ALLOCATOR_PROP_NAME,
                                   properties [NM_ALLOCATOR_PROP_NAME]);
  g_object_class_install_property (object_class, NM_ALLOCATOR_PROP_CAPACITY,
                                   properties [NM_ALLOCATOR_PROP_CAPACITY]);
  g_object_class_install_property (object_class, PROP_DEPTH, properties [PROP_DEPTH]);
  g_object_class_install_property (object_class, PROP_MARKER_COUNT, properties [PROP_MARKER_COUNT]);
  g_object_class_install_property (object_class, PROP_CONFIG, properties [PROP_CONFIG]);

  _nm_stack_allocator_type = G_TYPE_FROM_CLASS (klass);
}

static void
nm_stack_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = _nm_stack_allocator_iface_alloc;
  iface->free = _nm_stack_allocator_iface_free;
  iface->reset = stack_reset;
  iface->owns = stack_owns;
  iface->get_stats = stack_get_stats;
  iface->trim = stack_trim;
}

static void
nm_stack_allocator_init (NmStackAllocator *self)
{
  self->marks = g_array_new (FALSE, FALSE, sizeof (NmStackMark));
  _nm_allocator_common_init (&self->common, "Stack allocator", "stack", FALSE);
  /* Odd bits everywhere, so that no partial overwrite decodes to itself. */
  self->fast.secret = ((guint64) g_random_int () << 32 | g_random_int ()) |
                      G_GUINT64_CONSTANT (0x0101010101010101);
  self->epoch = self->first_epoch = _nm_stack_first_epoch ();
}

/* The constructors' answer when the system refused the region: the
 * request for it, reported like any other, and no object. */
static NmStackAllocator *
steal_unless_refused (NmStackAllocator  *self,
                      GError           **error)
{
  if (self->region_refused)
    {
      g_autofree char *size = _nm_size_format_human (self->capacity);
      g_autofree char *what = g_strdup_printf ("its region of %s", size);
      NmFailureInfo info = {
        .size = self->capacity,
        .alignment = G_MEM_ALIGN,
        .what = what,
        .state = "the system refused it",
        .suggestion = "Lower capacity.",
      };

      _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
      g_object_unref (self);
      return NULL;
    }

  return self;
}

NmStackAllocator *
_nm_stack_allocator_new_from_config (NmMemoryConfig  *config,
                                     GError         **error)
{
  g_return_val_if_fail (nm_memory_config_get_kind (config) == NM_ALLOCATOR_KIND_STACK, NULL);
  /* The configuration refuses thread-safe stacks; never trust that here. */
  g_return_val_if_fail (!nm_memory_config_get_thread_safe (config), NULL);

  return steal_unless_refused (g_object_new (NM_TYPE_STACK_ALLOCATOR, "config", config, NULL),
                              error);
}

/**
 * nm_stack_allocator_new:
 * @capacity: bytes available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a stack allocator named “stack” with a fixed @capacity. A
 * capacity of 0 or above 1 TiB is an %NM_CONFIG_ERROR_INVALID_VALUE error,
 * a region the system refuses an %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY error.
 *
 * Returns: (transfer full) (nullable): a new #NmStackAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmStackAllocator *
nm_stack_allocator_new (gsize    capacity,
                        GError **error)
{
  return nm_stack_allocator_new_full ("stack", capacity, error);
}

/**
 * nm_stack_allocator_new_full:
 * @name: (nullable): the allocator's name, for messages
 * @capacity: bytes available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a stack allocator; the settings are validated like those of an
 * #NmMemoryConfigBuilder.
 *
 * Returns: (transfer full) (nullable): a new #NmStackAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmStackAllocator *
nm_stack_allocator_new_full (const char  *name,
                             gsize        capacity,
                             GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_name (builder, name ? name : "stack");
  nm_memory_config_builder_set_capacity (builder, capacity);

  config = nm_memory_config_builder_build (builder, error);
  if (config == NULL)
    return NULL;

  return _nm_stack_allocator_new_from_config (config, error);
}

