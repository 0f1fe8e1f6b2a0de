/* nm-bump-allocator.c: NmBumpAllocator, a region allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The type: its documentation, GObject construction from properties or a
 * configuration, properties and their notifications, finalization with
 * the leak report, and the constructor functions. What it does (allocate,
 * free, reset, statistics) is in nm-bump-alloc.c, its chunks in
 * nm-bump-chunks.c, checkpoints and scopes in nm-bump-checkpoint.c; the
 * struct and its invariants in nm-bump-allocator-private.h.
 */

#include "config.h"

#include <string.h>

#include "nm-allocator-private.h"
#include "nm-backing-private.h"
#include "nm-memory-config-builder.h"
#include "nm-memory-config-private.h"
#include "nm-sanitizer-private.h"
#include "nm-bump-allocator-private.h"

/**
 * SECTION:nm-bump-allocator
 * @Title: NmBumpAllocator
 * @Short_description: region (arena) allocator with checkpoints and reset
 *
 * An #NmBumpAllocator hands out memory by moving a cursor through chunks of
 * backing memory, and takes it all back at once with nm_allocator_reset():
 * the allocator for request, frame and syntax-tree lifetimes. There is no
 * per-allocation header; each chunk has a 64-byte header.
 *
 * The capacity is fixed, or the allocator grows by adding chunks (each at
 * least twice the previous one) up to #NmBumpAllocator:max-capacity.
 * Resetting keeps the first chunk and releases the others, but for the
 * largest, which it keeps as a spare for the next growth: an arena that
 * grows in every request cycle does not give a chunk back to the system
 * and ask for it again each time. The spare is backing memory (charged to
 * the budget, in bytes_reserved of #NmAllocatorStats), not capacity; a
 * trim at %NM_MEMORY_PRESSURE_LEVEL_MEDIUM or above, and nm_allocator_trim(),
 * give it back. The first chunk is kept until finalization.
 *
 * Freeing the most recent allocation (same pointer, same size) gives its
 * bytes back; any other free of memory the allocator owns is a counted
 * no-op. Freeing memory it does not own is reported with g_critical().
 *
 * Checkpoints record a position; restoring one releases everything
 * allocated after it, across chunks. Checkpoints nest: restoring an outer
 * one invalidates the inner ones, and restoring an invalidated checkpoint
 * fails with %NM_ALLOCATOR_ERROR_LIFO_VIOLATION without changing anything.
 * #NmBumpScope restores automatically at the end of a C scope.
 *
 * With #NmMemoryConfig:validate (the development preset), a single-thread
 * allocator belongs to the first thread that uses it and reports use from
 * another thread with one g_critical() per thread, and every block is
 * followed by a redzone of 16 bytes that is never handed out (counted in
 * #NmAllocator:bytes-used): under AddressSanitizer or Valgrind a write past
 * the end of a block is reported even when another block follows it. With
 * #NmMemoryConfig:leak-report, the allocator counts its live blocks (which
 * takes every allocation to the library) and reports those still live when
 * it is finalized.
 *
 * #NmAllocator:bytes-used is notified by every reset that changes it,
 * #NmAllocator:bytes-peak by a reset when it rose since last notified, and
 * #NmAllocator:capacity with #NmBumpAllocator:chunk-count when growth adds
 * a chunk and when a reset or a restore releases chunks; never per
 * allocation.
 *
 * An #NmBumpAllocator can be made with g_object_new() or a binding's
 * constructor: #NmBumpAllocator:config gives every setting at once (it
 * must describe a bump allocator), and the construct-only properties
 * #NmAllocator:name, #NmAllocator:capacity, #NmBumpAllocator:max-capacity
 * and #NmAllocator:thread-safe override it when set to other values than
 * their defaults. Settings given nowhere take the values of
 * nm_memory_config_new_production(); an allocator without a name
 * is named after its kind, “bump”. Settings an #NmMemoryConfigBuilder
 * would refuse are reported with one g_critical() and replaced by those
 * defaults. When the system refuses the first chunk, the object is still
 * made and every allocation fails with %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY
 * until a chunk can be had; the constructor functions return %NULL with
 * that error instead.
 *
 * In thread-safe mode any number of threads allocate at once through a
 * lock-free cursor (one compare-and-swap per allocation); growth takes a
 * lock. Statistics, properties and nm_allocator_owns() may be read from
 * any thread at any time. Reset, checkpoints and restore must not race
 * with allocations.
 * Frees are counted no-ops in that mode: "most recent" has no meaning
 * across threads. The default single-thread mode uses no atomic operation
 * on its hot path.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (64 * 1024, NULL);
 * NmBumpCheckpoint cp;
 *
 * nm_bump_allocator_checkpoint (arena, &cp);
 * node = nm_bump_allocator_alloc (arena, sizeof (Node), G_ALIGNOF (Node), &error);
 * ...
 * nm_bump_allocator_restore (arena, &cp, &error);
 * ]|
 */

enum {
  PROP_MAX_CAPACITY = NM_ALLOCATOR_PROP_LAST,
  PROP_CHUNK_COUNT,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];
GType _nm_bump_allocator_type;

G_DEFINE_FINAL_TYPE_WITH_CODE (NmBumpAllocator, nm_bump_allocator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR,
                                                      _nm_bump_allocator_iface_init))

void
_nm_bump_notify_chunks_changed (NmBumpAllocator *self)
{
  _nm_allocator_queue_notify ((NmAllocator *) self, &self->common, properties,
                              NM_ALLOCATOR_PROP_CAPACITY);
  _nm_allocator_queue_notify ((NmAllocator *) self, &self->common, properties, PROP_CHUNK_COUNT);
}

/* After a reset: bytes-used and bytes-peak, when a reader would see them
 * change. */
void
_nm_bump_notify_usage (NmBumpAllocator *self,
                       guint64          capacity_before,
                       guint64          used_before,
                       guint64          used_after,
                       guint64          peak_before,
                       guint64          peak_after)
{
  self->common.sample_capacity = capacity_before;
  _nm_allocator_notify_usage ((NmAllocator *) self, &self->common, properties,
                              used_before, used_after, peak_before, peak_after);
}

void
_nm_bump_queue_reset (NmBumpAllocator *self)
{
  _nm_allocator_queue_reset ((NmAllocator *) self, &self->common, properties);
}

/* Object */

static void
nm_bump_allocator_finalize (GObject *object)
{
  NmBumpAllocator *self = (NmBumpAllocator *) object;
  gsize used = nm_bump_used (self);

  if (self->common.leak_report && used > 0)
    _nm_allocator_report_leaks (&self->common, self->n_live, used,
                                "reset the allocator, or restore a checkpoint, before "
                                "dropping it");

  _nm_bump_free_all_chunks (self);

  g_array_unref (self->restore_marks);
  pthread_mutex_destroy (&self->grow_lock);
  g_clear_object (&self->config);
  g_clear_pointer (&self->construct.name, g_free);
  _nm_allocator_common_clear (&self->common);

  G_OBJECT_CLASS (nm_bump_allocator_parent_class)->finalize (object);
}

static void
nm_bump_allocator_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NmBumpAllocator *self = NM_BUMP_ALLOCATOR (object);

  if (_nm_allocator_get_common_property (NM_ALLOCATOR (self), &self->common, prop_id, value))
    return;

  switch (prop_id)
    {
    case PROP_MAX_CAPACITY:
      g_value_set_uint64 (value, self->max_capacity);
      break;

    case PROP_CHUNK_COUNT:
      g_value_set_uint (value, nm_bump_allocator_get_chunk_count (self));
      break;

    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_bump_allocator_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NmBumpAllocator *self = NM_BUMP_ALLOCATOR (object);
  NmBumpConstructProps *props = &self->construct;

  /* Construct-only: recorded here, applied by constructed(). GObject sets
   * every construct property, with its default when not given, so a value
   * other than the default is what counts as given. */
  if (g_param_value_defaults (pspec, value))
    return;

  switch (prop_id)
    {
    case NM_ALLOCATOR_PROP_NAME:
      g_free (props->name);
      props->name = g_value_dup_string (value);
      props->set |= NM_FIELD_NAME;
      break;

    case NM_ALLOCATOR_PROP_CAPACITY:
      props->capacity = g_value_get_uint64 (value);
      props->set |= NM_FIELD_CAPACITY;
      break;

    case PROP_MAX_CAPACITY:
      props->max_capacity = g_value_get_uint64 (value);
      props->set |= NM_FIELD_MAX_CAPACITY;
      break;

    case NM_ALLOCATOR_PROP_THREAD_SAFE:
      props->thread_safe = g_value_get_boolean (value);
      props->set |= NM_FIELD_THREAD_SAFE;
      break;

    case PROP_CONFIG:
      g_set_object (&self->config, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The settings in effect: the config property, overridden by the
 * properties given alongside, validated like the builder does. */
static NmMemoryConfig *
settings_from_construct_props (NmBumpAllocator *self)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmBumpConstructProps *props = &self->construct;
  const char *name = NULL;

  if (self->config != NULL && nm_memory_config_get_kind (self->config) != NM_ALLOCATOR_KIND_BUMP)
    {
      g_critical ("Bump allocator: the configuration “%s” describes a %s allocator, not a "
                  "bump allocator; using the defaults of nm_memory_config_new_production() "
                  "instead.", nm_memory_config_get_name (self->config),
                  nm_memory_config_get_kind (self->config) == NM_ALLOCATOR_KIND_POOL
                  ? "pool" : "stack");
      g_clear_object (&self->config);
    }

  if (self->config != NULL)
    {
      builder = nm_memory_config_builder_new_from_config (self->config);
      name = nm_memory_config_get_name (self->config);
    }
  else
    {
      config = nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP);
      builder = nm_memory_config_builder_new_from_config (config);
    }

  if (props->set & NM_FIELD_NAME)
    name = props->name;
  if (props->set & NM_FIELD_CAPACITY)
    {
      guint64 max_capacity = nm_memory_config_get_max_capacity (config ? config : self->config);

      nm_memory_config_builder_set_capacity (builder, props->capacity);
      /* A capacity above the default growth limit raises it. */
      if (!(props->set & NM_FIELD_MAX_CAPACITY) && max_capacity != 0 &&
          max_capacity < props->capacity)
        nm_memory_config_builder_set_max_capacity (builder, props->capacity);
    }
  if (props->set & NM_FIELD_MAX_CAPACITY)
    nm_memory_config_builder_set_max_capacity (builder, props->max_capacity);
  if (props->set & NM_FIELD_THREAD_SAFE)
    nm_memory_config_builder_set_thread_safe (builder, props->thread_safe);

  /* An unnamed allocator is named after its kind. */
  if (name == NULL || *name == '\0')
    name = "bump";
  nm_memory_config_builder_set_name (builder, name);

  g_clear_object (&config);
  config = nm_memory_config_builder_build (builder, &error);
  if (config != NULL)
    return g_steal_pointer (&config);

  g_critical ("Bump allocator “%s”: %s Using the defaults of nm_memory_config_new_production() "
              "instead.", name, error->message);

  config = nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP);
  g_clear_object (&builder);
  builder = nm_memory_config_builder_new_from_config (config);
  nm_memory_config_builder_set_name (builder, name);
  g_clear_object (&config);

  return nm_memory_config_builder_build (builder, NULL);
}

static void
nm_bump_allocator_constructed (GObject *object)
{
  NmBumpAllocator *self = (NmBumpAllocator *) object;
  NmAllocatorCommon *c = &self->common;
  NmMemoryConfig *settings;
  NmBumpChunk *first;

  G_OBJECT_CLASS (nm_bump_allocator_parent_class)->constructed (object);

  settings = settings_from_construct_props (self);
  g_clear_object (&self->config);
  self->config = settings;
  g_clear_pointer (&self->construct.name, g_free);

  _nm_allocator_common_apply_config (c, self->config);

  self->capacity = nm_memory_config_get_capacity (self->config);
  self->max_capacity = nm_memory_config_get_max_capacity (self->config);
  self->redzone = c->validate ? NM_BUMP_REDZONE : 0;
  self->check_owner = c->validate && !c->thread_safe;
  self->fast.count_step = c->track_stats ? 1 : 0;
  /* Leak reports count live blocks, which only the slow path does. */
  self->fast.slow_flags = _nm_allocator_common_slow_flags (c) |
                          (c->leak_report ? NM_BUMP_SLOW_COUNT_LIVE : 0);
  /* No chunk is larger than the larger of capacity and max-capacity: a
   * budget's cap at or above that never refuses what the inline path
   * serves, and costs it nothing. */
  if (c->max_request != 0 && c->max_request < MAX (self->capacity, self->max_capacity))
    self->fast.slow_flags |= NM_SLOW_REQUEST_CAP;
  /* Blocks with redzones are laid out by the slow path only. */
  g_assert (self->redzone == 0 || self->fast.slow_flags != 0);

  /* When the system refuses the first chunk, the object still works: every
   * allocation tries again and fails with the reason. */
  first = _nm_bump_chunk_new (self, self->capacity);
  if (first != NULL)
    {
      self->first = first;
      nm_bump_enter_chunk (self, first, first->start);
    }
}

static void
nm_bump_allocator_class_init (NmBumpAllocatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nm_bump_allocator_constructed;
  object_class->finalize = nm_bump_allocator_finalize;
  object_class->get_property = nm_bump_allocator_get_property;
  object_class->set_property = nm_bump_allocator_set_property;

  /* The statistics are the interface's read-only properties; the settings
   * are the class's own, readable and writable at construction. */
  g_object_class_override_property (object_class, NM_ALLOCATOR_PROP_BYTES_USED, "bytes-used");
  g_object_class_override_property (object_class, NM_ALLOCATOR_PROP_BYTES_PEAK, "bytes-peak");
  g_object_class_override_property (object_class, NM_ALLOCATOR_PROP_ALLOCATION_COUNT,
                                    "allocation-count");
  _nm_allocator_class_set_common (object_class, G_STRUCT_OFFSET (NmBumpAllocator, common));
  _nm_allocator_class_set_slot (object_class, _NM_ALLOCATOR_SLOT_BUMP);

  /**
   * NmBumpAllocator:name:
   *
   * The allocator's name, for messages. Set at construction; an allocator
   * without a name (%NULL or empty) is named after its kind, “bump”.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_NAME] =
    g_param_spec_string ("name", NULL, "The allocator's name", NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:capacity:
   *
   * Set at construction: the usable bytes of the first chunk, from 1 byte to
   * 1 TiB (default: 1 MiB, as in nm_memory_config_new_production()). Read:
   * the usable bytes of all chunks held, which growth raises and reset
   * lowers again; 0 while the system refuses the first chunk.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_CAPACITY] =
    g_param_spec_uint64 ("capacity", NULL, "Bytes of the first chunk; read: of all chunks",
                         0, G_MAXUINT64, 1024 * 1024,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:thread-safe:
   *
   * Whether several threads may allocate at once. Set at construction;
   * default %FALSE.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_THREAD_SAFE] =
    g_param_spec_boolean ("thread-safe", NULL, "Whether several threads may use it at once",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:max-capacity:
   *
   * The most backing memory the allocator may grow to, or 0 when its
   * capacity is fixed. Set at construction; default 256 MiB, as in
   * nm_memory_config_new_production(), or #NmAllocator:capacity when that is
   * given and larger.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_CAPACITY] =
    g_param_spec_uint64 ("max-capacity", NULL, "The most backing memory to grow to, 0 for none",
                         0, G_MAXUINT64, 256 * 1024 * 1024,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:chunk-count:
   *
   * Chunks of backing memory currently held. Notified, with
   * #NmAllocator:capacity, when growth adds a chunk and when a reset or a
   * restore releases chunks.
   *
   * Since: 1.0
   */
  properties [PROP_CHUNK_COUNT] =
    g_param_spec_uint ("chunk-count", NULL, "Chunks of backing memory held",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:config:
   *
   * Every setting at once, at construction: a configuration of kind
   * %NM_ALLOCATOR_KIND_BUMP. The other construct-only properties override
   * it when set to other values than their defaults. Read: the settings in
   * effect.
   *
   * Since: 1.0
   */
  properties [PROP_CONFIG] =
    g_param_spec_object ("config", NULL, "Every setting at once",
                         NM_TYPE_MEMORY_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  for (guint i = NM_ALLOCATOR_PROP_NAME; i < N_PROPS; i++)
    if (properties [i] != NULL)
      g_object_class_install_property (object_class, i, properties [i]);

  properties [NM_ALLOCATOR_PROP_BYTES_USED] = g_object_class_find_property (object_class, "bytes-used");
  properties [NM_ALLOCATOR_PROP_BYTES_PEAK] = g_object_class_find_property (object_class, "bytes-peak");
  properties [NM_ALLOCATOR_PROP_ALLOCATION_COUNT] =
    g_object_class_find_property (object_class, "allocation-count");

  _nm_bump_allocator_type = G_TYPE_FROM_CLASS (klass);
}

static void
nm_bump_allocator_init (NmBumpAllocator *self)
{
  pthread_mutex_init (&self->grow_lock, NULL);
  self->restore_marks = g_array_new (FALSE, FALSE, sizeof (NmBumpRestoreMark));
  /* Resets count in the low half; the allocator's serial is the high half. */
  self->epoch = _nm_allocator_next_serial () << 32;
  _nm_allocator_common_init (&self->common, "Bump allocator", "bump", FALSE);
}

NmBumpAllocator *
_nm_bump_allocator_new_from_config (NmMemoryConfig  *config,
                                    GError         **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) valid = NULL;
  g_autoptr(NmBumpAllocator) self = NULL;

  g_return_val_if_fail (nm_memory_config_get_kind (config) == NM_ALLOCATOR_KIND_BUMP, NULL);

  /* Refuse with a GError what construction would refuse with a critical
   * (a configuration made without the builder). */
  builder = nm_memory_config_builder_new_from_config (config);
  valid = nm_memory_config_builder_build (builder, error);
  if (valid == NULL)
    return NULL;

  self = g_object_new (NM_TYPE_BUMP_ALLOCATOR, "config", valid, NULL);
  if (self->first == NULL)
    {
      g_autofree char *first = _nm_size_format_human (self->capacity);
      g_autofree char *state = g_strdup_printf ("the system refused %" G_GSIZE_FORMAT " bytes",
                                                self->capacity);
      g_autofree char *what = g_strdup_printf ("its first chunk of %s", first);
      NmFailureInfo info = {
        .size = self->capacity,
        .alignment = 2 * sizeof (gpointer),
        .what = what,
        .state = state,
        .suggestion = "Lower capacity, and let the allocator grow with max-capacity if it must.",
      };

      _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
      return NULL;
    }

  return g_steal_pointer (&self);
}

static NmBumpAllocator *
new_with_builder (NmMemoryConfigBuilder  *builder,
                  GError                **error)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_builder_build (builder, error);

  if (config == NULL)
    return NULL;

  return _nm_bump_allocator_new_from_config (config, error);
}

/**
 * nm_bump_allocator_new:
 * @capacity: bytes available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a single-thread bump allocator named “bump” with a fixed
 * @capacity. A capacity of 0 or above 1 TiB is an
 * %NM_CONFIG_ERROR_INVALID_VALUE error; a capacity the system refuses is an
 * %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY error.
 *
 * Returns: (transfer full) (nullable): a new #NmBumpAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmBumpAllocator *
nm_bump_allocator_new (gsize    capacity,
                       GError **error)
{
  return nm_bump_allocator_new_full ("bump", capacity, 0, FALSE, error);
}

/**
 * nm_bump_allocator_new_full:
 * @name: (nullable): the allocator's name, for messages; %NULL for “bump”
 * @capacity: bytes available up front, at least 1
 * @max_capacity: the most backing memory to grow to, or 0 for a fixed capacity
 * @thread_safe: whether several threads allocate at once
 * @error: return location for a #GError, or %NULL
 *
 * Creates a bump allocator; the settings are validated like those of an
 * #NmMemoryConfigBuilder, and a first chunk the system refuses is an
 * %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY error.
 *
 * Returns: (transfer full) (nullable): a new #NmBumpAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmBumpAllocator *
nm_bump_allocator_new_full (const char  *name,
                            gsize        capacity,
                            gsize        max_capacity,
                            gboolean     thread_safe,
                            GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_name (builder, name ? name : "bump");
  nm_memory_config_builder_set_capacity (builder, capacity);
  nm_memory_config_builder_set_max_capacity (builder, max_capacity);
  nm_memory_config_builder_set_thread_safe (builder, thread_safe);

  return new_with_builder (builder, error);
}

/**
 * nm_bump_allocator_get_max_capacity:
 * @self: an #NmBumpAllocator
 *
 * Gets the max capacity of @self.
 *
 * Returns: the #NmBumpAllocator:max-capacity
 *
 * Since: 1.0
 */
guint64
nm_bump_allocator_get_max_capacity (NmBumpAllocator *self)
{
  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), 0);

  return self->max_capacity;
}

/**
 * nm_bump_allocator_get_chunk_count:
 * @self: an #NmBumpAllocator
 *
 * Gets the chunk count of @self.
 *
 * Returns: the number of chunks of backing memory held
 *
 * Since: 1.0
 */
guint
nm_bump_allocator_get_chunk_count (NmBumpAllocator *self)
{
  guint n;

  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), 0);

  nm_bump_lock (self);
  n = nm_bump_count_chunks (self);
  nm_bump_unlock (self);

  return n;
}

