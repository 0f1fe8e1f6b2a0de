/* nm-memory-config-builder.c: builds validated NmMemoryConfig objects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-enum-types.h"
#include "nm-error.h"
#include "nm-error-private.h"
#include "nm-memory-config-builder.h"
#include "nm-memory-config-private.h"
#include "nm-size-private.h"

/**
 * SECTION:nm-memory-config-builder
 * @Title: NmMemoryConfigBuilder
 * @Short_description: builds validated allocator configurations
 *
 * An #NmMemoryConfigBuilder collects settings, from chainable setters or
 * from a #GKeyFile group, and nm_memory_config_builder_build() checks them
 * all before it returns an immutable #NmMemoryConfig.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
 * g_autoptr(NmMemoryConfig) config = NULL;
 * g_autoptr(GError) error = NULL;
 *
 * nm_memory_config_builder_set_capacity (
 *   nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP),
 *   64 * 1024 * 1024);
 * config = nm_memory_config_builder_build (builder, &error);
 * ]|
 *
 * A key file group names one allocator; the group name is the allocator's
 * name unless a `name` key says otherwise:
 *
 * |[
 * [request-arena]
 * kind=bump
 * capacity=64MiB
 * max-capacity=1GiB
 * thread-safe=false
 * track-stats=true
 * ]|
 *
 * The keys are `kind` (`bump`, `pool` or `stack`), `name`, `preset`
 * (`production` or `development`: the preset's settings, which the other
 * keys then override), `capacity` and `max-capacity` (bump; stack takes
 * `capacity` only), `block-size`, `block-alignment`, `block-count` and
 * `max-block-count` (pool), the booleans `thread-safe`, `track-stats`,
 * `poison`, `validate`, `leak-report`, `leak-sites` and `trim-on-pressure`,
 * `high-water-mark`, a fraction above 0 and at most 1 (`high-water-mark=0.9`;
 * leave it out for no high-water signal), and `budget`,
 * the path of a #NmMemoryBudget registered with nm_memory_budget_register()
 * (`budget=process/requests`), looked up when the file is loaded. Sizes are plain bytes or a number
 * with a unit: B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of
 * 1000). Any other key is refused with %NM_CONFIG_ERROR_UNKNOWN_KEY, so a
 * misspelt key never goes unnoticed.
 */

struct _NmMemoryConfigBuilder
{
  GObject       parent_instance;
  NmConfigData  data;
  char         *group;  /* the key file group loaded last, for messages */
};

G_DEFINE_FINAL_TYPE (NmMemoryConfigBuilder, nm_memory_config_builder, G_TYPE_OBJECT)

static void
nm_memory_config_builder_finalize (GObject *object)
{
  NmMemoryConfigBuilder *self = (NmMemoryConfigBuilder *) object;

  _nm_config_data_clear (&self->data);
  g_clear_pointer (&self->group, g_free);

  G_OBJECT_CLASS (nm_memory_config_builder_parent_class)->finalize (object);
}

static void
nm_memory_config_builder_class_init (NmMemoryConfigBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nm_memory_config_builder_finalize;
}

static void
nm_memory_config_builder_init (NmMemoryConfigBuilder *self)
{
  self->data.track_stats = TRUE;
}

/**
 * nm_memory_config_builder_new:
 *
 * Creates a builder with nothing set but statistics on.
 *
 * Returns: (transfer full): a new #NmMemoryConfigBuilder
 *
 * Since: 1.0
 */
NmMemoryConfigBuilder *
nm_memory_config_builder_new (void)
{
  return g_object_new (NM_TYPE_MEMORY_CONFIG_BUILDER, NULL);
}

/**
 * nm_memory_config_builder_new_from_config:
 * @config: an #NmMemoryConfig, such as a preset
 *
 * Creates a builder holding the settings of @config, to derive a
 * configuration from a preset or from another configuration.
 *
 * Returns: (transfer full): a new #NmMemoryConfigBuilder
 *
 * Since: 1.0
 */
NmMemoryConfigBuilder *
nm_memory_config_builder_new_from_config (NmMemoryConfig *config)
{
  NmMemoryConfigBuilder *self;

  g_return_val_if_fail (NM_IS_MEMORY_CONFIG (config), NULL);

  self = nm_memory_config_builder_new ();
  _nm_config_data_copy (&self->data, _nm_memory_config_get_data (config));

  return self;
}

#define DEFINE_SETTER(field, type, FIELD, doc_value) \
  NmMemoryConfigBuilder * \
  nm_memory_config_builder_set_##field (NmMemoryConfigBuilder *self, \
                                        type                   field) \
  { \
    g_return_val_if_fail (NM_IS_MEMORY_CONFIG_BUILDER (self), NULL); \
    self->data.field = field; \
    self->data.set |= NM_FIELD_##FIELD; \
    return self; \
  }

/**
 * nm_memory_config_builder_set_kind:
 * @self: an #NmMemoryConfigBuilder
 * @kind: the allocator kind
 *
 * Sets #NmMemoryConfig:kind in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (kind, NmAllocatorKind, KIND, 0)

/**
 * nm_memory_config_builder_set_capacity:
 * @self: an #NmMemoryConfigBuilder
 * @capacity: bytes available up front (bump, stack)
 *
 * Sets #NmMemoryConfig:capacity in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (capacity, guint64, CAPACITY, 0)

/**
 * nm_memory_config_builder_set_max_capacity:
 * @self: an #NmMemoryConfigBuilder
 * @max_capacity: the most backing memory a bump allocator may grow to, or 0
 *   for a fixed capacity
 *
 * Sets #NmMemoryConfig:max-capacity in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (max_capacity, guint64, MAX_CAPACITY, 0)

/**
 * nm_memory_config_builder_set_block_size:
 * @self: an #NmMemoryConfigBuilder
 * @block_size: bytes per pool block
 *
 * Sets #NmMemoryConfig:block-size in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (block_size, guint64, BLOCK_SIZE, 0)

/**
 * nm_memory_config_builder_set_block_alignment:
 * @self: an #NmMemoryConfigBuilder
 * @block_alignment: alignment of every pool block, a power of two
 *
 * Sets #NmMemoryConfig:block-alignment in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (block_alignment, guint64, BLOCK_ALIGNMENT, 0)

/**
 * nm_memory_config_builder_set_block_count:
 * @self: an #NmMemoryConfigBuilder
 * @block_count: pool blocks available up front
 *
 * Sets #NmMemoryConfig:block-count in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (block_count, guint64, BLOCK_COUNT, 0)

/**
 * nm_memory_config_builder_set_max_block_count:
 * @self: an #NmMemoryConfigBuilder
 * @max_block_count: the most blocks a pool may grow to, or 0 for a fixed count
 *
 * Sets #NmMemoryConfig:max-block-count in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (max_block_count, guint64, MAX_BLOCK_COUNT, 0)

/**
 * nm_memory_config_builder_set_thread_safe:
 * @self: an #NmMemoryConfigBuilder
 * @thread_safe: whether several threads may use the allocator at once
 *
 * Sets #NmMemoryConfig:thread-safe in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (thread_safe, gboolean, THREAD_SAFE, 0)

/**
 * nm_memory_config_builder_set_track_stats:
 * @self: an #NmMemoryConfigBuilder
 * @track_stats: whether allocation counters are kept
 *
 * Sets #NmMemoryConfig:track-stats in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (track_stats, gboolean, TRACK_STATS, 0)

/**
 * nm_memory_config_builder_set_poison:
 * @self: an #NmMemoryConfigBuilder
 * @poison: whether released memory is filled with a pattern
 *
 * Sets #NmMemoryConfig:poison in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (poison, gboolean, POISON, 0)

/**
 * nm_memory_config_builder_set_validate:
 * @self: an #NmMemoryConfigBuilder
 * @validate: whether development checks run
 *
 * Sets #NmMemoryConfig:validate in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (validate, gboolean, VALIDATE, 0)

/**
 * nm_memory_config_builder_set_leak_report:
 * @self: an #NmMemoryConfigBuilder
 * @leak_report: whether disposing with live allocations is reported
 *
 * Sets #NmMemoryConfig:leak-report in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (leak_report, gboolean, LEAK_REPORT, 0)

/**
 * nm_memory_config_builder_set_trim_on_pressure:
 * @self: an #NmMemoryConfigBuilder
 * @trim_on_pressure: whether the allocator is trimmed under memory pressure
 *
 * Sets #NmMemoryConfig:trim-on-pressure in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (trim_on_pressure, gboolean, TRIM_ON_PRESSURE, 0)

/**
 * nm_memory_config_builder_set_high_water_mark:
 * @self: an #NmMemoryConfigBuilder
 * @high_water_mark: the utilization that emits #NmAllocator::high-water,
 *   above 0 and at most 1, or 0 for no high-water signal
 *
 * Sets #NmMemoryConfig:high-water-mark in the configuration being built.
 * A mark below 0, above 1 or not a number is a programmer error: a
 * g_critical(), and the builder keeps the mark it had.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
NmMemoryConfigBuilder *
nm_memory_config_builder_set_high_water_mark (NmMemoryConfigBuilder *self,
                                              gdouble                high_water_mark)
{
  g_return_val_if_fail (NM_IS_MEMORY_CONFIG_BUILDER (self), NULL);
  g_return_val_if_fail (_nm_config_high_water_mark_is_valid (high_water_mark), self);

  self->data.high_water_mark = high_water_mark;
  self->data.set |= NM_FIELD_HIGH_WATER_MARK;

  return self;
}

/**
 * nm_memory_config_builder_set_leak_sites:
 * @self: an #NmMemoryConfigBuilder
 * @leak_sites: whether the leak report names allocation sites
 *
 * Sets #NmMemoryConfig:leak-sites in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
DEFINE_SETTER (leak_sites, gboolean, LEAK_SITES, 0)

/**
 * nm_memory_config_builder_set_budget:
 * @self: an #NmMemoryConfigBuilder
 * @budget: (nullable): the budget to charge backing memory to, or %NULL
 *
 * Sets #NmMemoryConfig:budget in the configuration being built. The
 * configuration, and every allocator built from it, holds a reference.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
NmMemoryConfigBuilder *
nm_memory_config_builder_set_budget (NmMemoryConfigBuilder *self,
                                     NmMemoryBudget        *budget)
{
  g_return_val_if_fail (NM_IS_MEMORY_CONFIG_BUILDER (self), NULL);
  g_return_val_if_fail (budget == NULL || NM_IS_MEMORY_BUDGET (budget), NULL);

  g_set_object (&self->data.budget, budget);
  self->data.set |= NM_FIELD_BUDGET;

  return self;
}

/**
 * nm_memory_config_builder_set_name:
 * @self: an #NmMemoryConfigBuilder
 * @name: (nullable): the allocator's name
 *
 * Sets #NmMemoryConfig:name in the configuration being built.
 *
 * Returns: (transfer none): @self, to chain calls
 *
 * Since: 1.0
 */
NmMemoryConfigBuilder *
nm_memory_config_builder_set_name (NmMemoryConfigBuilder *self,
                                   const char            *name)
{
  g_return_val_if_fail (NM_IS_MEMORY_CONFIG_BUILDER (self), NULL);

  g_free (self->data.name);
  self->data.name = g_strdup (name);
  self->data.set |= NM_FIELD_NAME;

  return self;
}

/**
 * nm_memory_config_builder_load_key_file:
 * @self: an #NmMemoryConfigBuilder
 * @key_file: a #GKeyFile
 * @group: the group describing one allocator
 * @error: return location for a #GError, or %NULL
 *
 * Reads the settings of @group into @self. The group name becomes the
 * allocator's name unless the group has a `name` key. A `preset` key is
 * applied first and the other keys override it.
 *
 * Nothing is changed when an error is returned: %NM_CONFIG_ERROR_UNKNOWN_KEY
 * for a key nebula-memory does not know (localized keys such as
 * `capacity[de]` included: no setting is translatable; #GKeyFile discards the
 * keys of languages other than the process's at load time unless it was
 * loaded with %G_KEY_FILE_KEEP_TRANSLATIONS, so load with that flag to have
 * every one of them refused), %NM_CONFIG_ERROR_INVALID_VALUE for
 * a value that cannot be parsed, %NM_CONFIG_ERROR_MISSING_KEY when @group
 * does not exist. Every message names the group, the key and the value.
 * Ranges and combinations are checked by nm_memory_config_builder_build().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
nm_memory_config_builder_load_key_file (NmMemoryConfigBuilder  *self,
                                        GKeyFile               *key_file,
                                        const char             *group,
                                        GError                **error)
{
  NmConfigData data = { 0 };

  g_return_val_if_fail (NM_IS_MEMORY_CONFIG_BUILDER (self), FALSE);
  g_return_val_if_fail (key_file != NULL, FALSE);
  g_return_val_if_fail (group != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Work on a copy so that a failure leaves the builder as it was. */
  _nm_config_data_copy (&data, &self->data);
  if (!_nm_config_data_load_key_file (&data, key_file, group, error))
    {
      _nm_config_data_clear (&data);
      return FALSE;
    }

  _nm_config_data_clear (&self->data);
  self->data = data;
  g_free (self->group);
  self->group = g_strdup (group);

  return TRUE;
}

/* Validation */

static gboolean G_GNUC_PRINTF (4, 5)
build_error (NmMemoryConfigBuilder  *self,
             GError                **error,
             NmConfigError           code,
             const char             *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (self->group != NULL)
    _nm_config_error_set (error, code, "Group “%s”, %s", self->group, message);
  else
    _nm_config_error_set (error, code, "%s", message);

  return FALSE;
}

static const char *
kind_label (NmAllocatorKind kind)
{
  switch (kind)
    {
    case NM_ALLOCATOR_KIND_BUMP:  return "a bump allocator";
    case NM_ALLOCATOR_KIND_POOL:  return "a pool allocator";
    case NM_ALLOCATOR_KIND_STACK: return "a stack allocator";
    default:                      return "this allocator";
    }
}

static gboolean
check_capacity (NmMemoryConfigBuilder  *self,
                GError                **error)
{
  const NmConfigData *d = &self->data;
  g_autofree char *limit = _nm_size_format_exact (NM_MAX_CAPACITY);

  if (!(d->set & NM_FIELD_CAPACITY))
    return build_error (self, error, NM_CONFIG_ERROR_MISSING_KEY,
                        "key “capacity”: missing; %s needs a capacity, such as 64MiB.",
                        kind_label (d->kind));

  if (d->capacity == 0)
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “capacity”: 0 is not valid; %s needs at least 1 byte, "
                        "such as 64KiB.", kind_label (d->kind));

  if (d->capacity > NM_MAX_CAPACITY)
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “capacity”: %" G_GUINT64_FORMAT " bytes is more than the "
                        "largest supported capacity (%s); check the unit.",
                        d->capacity, limit);

  if ((d->set & NM_FIELD_MAX_CAPACITY) && d->max_capacity != 0)
    {
      if (d->kind != NM_ALLOCATOR_KIND_BUMP)
        return build_error (self, error, NM_CONFIG_ERROR_INCOMPATIBLE,
                            "key “max-capacity”: %s has a fixed capacity and cannot "
                            "grow; remove max-capacity.", kind_label (d->kind));

      if (d->max_capacity < d->capacity)
        return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                            "key “max-capacity”: %" G_GUINT64_FORMAT " bytes is below "
                            "capacity (%" G_GUINT64_FORMAT " bytes); raise max-capacity "
                            "or set it to 0 for a fixed capacity.",
                            d->max_capacity, d->capacity);

      if (d->max_capacity > NM_MAX_CAPACITY)
        return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                            "key “max-capacity”: %" G_GUINT64_FORMAT " bytes is more than "
                            "the largest supported capacity (%s); check the unit.",
                            d->max_capacity, limit);
    }

  return TRUE;
}

static gboolean
check_pool (NmMemoryConfigBuilder  *self,
            GError                **error)
{
  NmConfigData *d = &self->data;
  guint64 total, stride;

  if (!(d->set & NM_FIELD_BLOCK_SIZE))
    return build_error (self, error, NM_CONFIG_ERROR_MISSING_KEY,
                        "key “block-size”: missing; a pool allocator needs the size of "
                        "its blocks, such as 64.");

  if (!(d->set & NM_FIELD_BLOCK_COUNT))
    return build_error (self, error, NM_CONFIG_ERROR_MISSING_KEY,
                        "key “block-count”: missing; a pool allocator needs the number "
                        "of blocks to start with, such as 1024.");

  if (d->block_size == 0 || d->block_size > NM_MAX_CAPACITY)
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “block-size”: %" G_GUINT64_FORMAT " is not valid; a block "
                        "holds between 1 byte and 1TiB.", d->block_size);

  if (!(d->set & NM_FIELD_BLOCK_ALIGNMENT) || d->block_alignment == 0)
    {
      /* Natural alignment: the largest power of two dividing the size,
       * between 8 (room for the free-list link) and 16 (malloc's). */
      guint64 natural = d->block_size & -d->block_size;
      d->block_alignment = CLAMP (natural, 8, 16);
    }

  if ((d->block_alignment & (d->block_alignment - 1)) != 0)
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “block-alignment”: %" G_GUINT64_FORMAT " is not a power of "
                        "two; use 8, 16, 32 or 64.", d->block_alignment);

  if (d->block_alignment > 4096)
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “block-alignment”: %" G_GUINT64_FORMAT " is above the page "
                        "size (4096).", d->block_alignment);

  if (d->block_count == 0)
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “block-count”: 0 is not valid; a pool needs at least one "
                        "block, such as 1024.");

  /* Blocks take their size rounded up to the alignment and to the 8 bytes
   * of the free-list link (see NmPoolAllocator). */
  stride = MAX (d->block_size, 8);
  stride = (stride + d->block_alignment - 1) & ~(d->block_alignment - 1);

  if (!g_uint64_checked_mul (&total, stride, d->block_count) || total > NM_MAX_CAPACITY)
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “block-count”: %" G_GUINT64_FORMAT " blocks of %" G_GUINT64_FORMAT
                        " bytes is more than the largest supported capacity (1TiB).",
                        d->block_count, stride);

  if (d->max_block_count != 0)
    {
      if (d->max_block_count < d->block_count)
        return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                            "key “max-block-count”: %" G_GUINT64_FORMAT " is below "
                            "block-count (%" G_GUINT64_FORMAT "); raise it or set it to 0 "
                            "for a fixed count.", d->max_block_count, d->block_count);

      if (!g_uint64_checked_mul (&total, stride, d->max_block_count) ||
          total > NM_MAX_CAPACITY)
        return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                            "key “max-block-count”: %" G_GUINT64_FORMAT " blocks of %"
                            G_GUINT64_FORMAT " bytes is more than the largest supported "
                            "capacity (1TiB).", d->max_block_count, stride);
    }

  if (d->set & (NM_FIELD_CAPACITY | NM_FIELD_MAX_CAPACITY))
    return build_error (self, error, NM_CONFIG_ERROR_INCOMPATIBLE,
                        "key “%s”: a pool allocator is sized by block-size and "
                        "block-count; remove %s.",
                        (d->set & NM_FIELD_CAPACITY) ? "capacity" : "max-capacity",
                        (d->set & NM_FIELD_CAPACITY) ? "capacity" : "max-capacity");

  return TRUE;
}

/**
 * nm_memory_config_builder_build:
 * @self: an #NmMemoryConfigBuilder
 * @error: return location for a #GError, or %NULL
 *
 * Checks every setting and returns the configuration. Failures are
 * %NM_CONFIG_ERROR_MISSING_KEY (no kind, or a setting the kind needs),
 * %NM_CONFIG_ERROR_INVALID_VALUE (a zero or absurd size, max-capacity below
 * capacity, an alignment that is not a power of two, an unknown kind) and
 * %NM_CONFIG_ERROR_INCOMPATIBLE (settings that do not apply to the kind, or
 * a thread-safe stack).
 *
 * Returns: (transfer full) (nullable): a new #NmMemoryConfig, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
NmMemoryConfig *
nm_memory_config_builder_build (NmMemoryConfigBuilder  *self,
                                GError                **error)
{
  NmConfigData *d;

  g_return_val_if_fail (NM_IS_MEMORY_CONFIG_BUILDER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  d = &self->data;

  if (!(d->set & NM_FIELD_KIND))
    return build_error (self, error, NM_CONFIG_ERROR_MISSING_KEY,
                        "key “kind”: missing; say which allocator to build: bump, "
                        "pool or stack."), NULL;

  if (d->name != NULL && !g_utf8_validate (d->name, -1, NULL))
    return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                        "key “name”: “%s” is not valid UTF-8; names appear in messages "
                        "and properties.", d->name), NULL;

  switch (d->kind)
    {
    case NM_ALLOCATOR_KIND_BUMP:
    case NM_ALLOCATOR_KIND_STACK:
      if (!check_capacity (self, error))
        return NULL;
      if (d->set & (NM_FIELD_BLOCK_SIZE | NM_FIELD_BLOCK_COUNT |
                    NM_FIELD_BLOCK_ALIGNMENT | NM_FIELD_MAX_BLOCK_COUNT))
        return build_error (self, error, NM_CONFIG_ERROR_INCOMPATIBLE,
                            "key “block-*”: block settings apply to pool allocators "
                            "only; %s is sized by capacity.", kind_label (d->kind)), NULL;
      if (d->kind == NM_ALLOCATOR_KIND_STACK && d->thread_safe)
        return build_error (self, error, NM_CONFIG_ERROR_INCOMPATIBLE,
                            "key “thread-safe”: true is not possible for a stack "
                            "allocator: last-in-first-out order has no meaning when "
                            "several threads push and pop one stack. Give each thread "
                            "its own stack, or use a bump or pool allocator."), NULL;
      break;

    case NM_ALLOCATOR_KIND_POOL:
      if (!check_pool (self, error))
        return NULL;
      break;

    default:
      return build_error (self, error, NM_CONFIG_ERROR_INVALID_VALUE,
                          "key “kind”: %d is not an allocator kind; use bump, pool or "
                          "stack.", (int) d->kind), NULL;
    }

  return _nm_memory_config_new (d);
}
