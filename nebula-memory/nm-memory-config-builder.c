/* nm-memory-config-builder.c: builds validated NmMemoryConfig objects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-enum-types.h"
#include "nm-error.h"
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
 * `max-block-count` (pool), and the booleans `thread-safe`, `track-stats`,
 * `poison`, `validate` and `leak-report`. Sizes are plain bytes or a number
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

/* Key files */

typedef gboolean (*KeyParser) (NmConfigData *data,
                               const char   *group,
                               const char   *key,
                               const char   *value,
                               GError      **error);

/* Every message of this file goes through here: key files are not always
 * valid UTF-8, GError messages must be. */
static void G_GNUC_PRINTF (3, 4)
set_config_error (GError        **error,
                  NmConfigError   code,
                  const char     *format,
                  ...)
{
  g_autofree char *message = NULL;
  g_autofree char *valid = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  valid = g_utf8_make_valid (message, -1);
  g_set_error_literal (error, NM_CONFIG_ERROR, code, valid);
}

static gboolean
value_error (GError     **error,
             const char  *group,
             const char  *key,
             const char  *value,
             const char  *expected)
{
  set_config_error (error, NM_CONFIG_ERROR_INVALID_VALUE,
               "Group “%s”, key “%s”: “%s” is not valid; expected %s.",
               group, key, value, expected);
  return FALSE;
}

static guint64 *
size_field (NmConfigData *data,
            const char   *key,
            guint        *field)
{
  if (strcmp (key, "capacity") == 0)
    return (*field = NM_FIELD_CAPACITY, &data->capacity);
  if (strcmp (key, "max-capacity") == 0)
    return (*field = NM_FIELD_MAX_CAPACITY, &data->max_capacity);
  if (strcmp (key, "block-size") == 0)
    return (*field = NM_FIELD_BLOCK_SIZE, &data->block_size);
  if (strcmp (key, "block-alignment") == 0)
    return (*field = NM_FIELD_BLOCK_ALIGNMENT, &data->block_alignment);
  if (strcmp (key, "block-count") == 0)
    return (*field = NM_FIELD_BLOCK_COUNT, &data->block_count);
  return (*field = NM_FIELD_MAX_BLOCK_COUNT, &data->max_block_count);
}

static gboolean
parse_size_key (NmConfigData *data,
                const char   *group,
                const char   *key,
                const char   *value,
                GError      **error)
{
  guint field;
  guint64 *target = size_field (data, key, &field);

  if (!_nm_size_parse (value, target))
    return value_error (error, group, key, value,
                        "a size in bytes, optionally with a unit "
                        "(B, KiB, MiB, GiB, KB, MB, GB), such as 64MiB");

  data->set |= field;
  return TRUE;
}

static gboolean
parse_count_key (NmConfigData *data,
                 const char   *group,
                 const char   *key,
                 const char   *value,
                 GError      **error)
{
  guint field;
  guint64 *target = size_field (data, key, &field);
  g_autofree char *stripped = g_strstrip (g_strdup (value));

  if (!g_ascii_string_to_unsigned (stripped, 10, 0, G_MAXUINT64, target, NULL))
    return value_error (error, group, key, value, "a whole number of blocks, such as 1024");

  data->set |= field;
  return TRUE;
}

static gboolean
parse_bool_key (NmConfigData *data,
                const char   *group,
                const char   *key,
                const char   *value,
                GError      **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (value));
  gboolean flag;

  if (strcmp (stripped, "true") == 0 || strcmp (stripped, "1") == 0)
    flag = TRUE;
  else if (strcmp (stripped, "false") == 0 || strcmp (stripped, "0") == 0)
    flag = FALSE;
  else
    return value_error (error, group, key, value, "true or false");

  if (strcmp (key, "thread-safe") == 0)
    data->thread_safe = flag, data->set |= NM_FIELD_THREAD_SAFE;
  else if (strcmp (key, "track-stats") == 0)
    data->track_stats = flag, data->set |= NM_FIELD_TRACK_STATS;
  else if (strcmp (key, "poison") == 0)
    data->poison = flag, data->set |= NM_FIELD_POISON;
  else if (strcmp (key, "validate") == 0)
    data->validate = flag, data->set |= NM_FIELD_VALIDATE;
  else
    data->leak_report = flag, data->set |= NM_FIELD_LEAK_REPORT;

  return TRUE;
}

static gboolean
parse_kind (const char      *group,
            const char      *key,
            const char      *value,
            NmAllocatorKind *kind,
            GError         **error)
{
  GEnumClass *klass = g_type_class_ref (NM_TYPE_ALLOCATOR_KIND);
  g_autofree char *stripped = g_strstrip (g_strdup (value));
  GEnumValue *found = g_enum_get_value_by_nick (klass, stripped);

  if (found != NULL)
    *kind = found->value;
  g_type_class_unref (klass);

  if (found == NULL)
    return value_error (error, group, key, value, "bump, pool or stack");

  return TRUE;
}

static gboolean
parse_kind_key (NmConfigData *data,
                const char   *group,
                const char   *key,
                const char   *value,
                GError      **error)
{
  if (!parse_kind (group, key, value, &data->kind, error))
    return FALSE;

  data->set |= NM_FIELD_KIND;
  return TRUE;
}

static gboolean
parse_name_key (NmConfigData *data,
                const char   *group,
                const char   *key,
                const char   *value,
                GError      **error)
{
  g_free (data->name);
  data->name = g_strdup (value);
  data->set |= NM_FIELD_NAME;
  return TRUE;
}

/* Handled before every other key, see load_key_file. */
static gboolean
parse_preset_key (NmConfigData *data,
                  const char   *group,
                  const char   *key,
                  const char   *value,
                  GError      **error)
{
  return TRUE;
}

/* The value of @key with the key file's escapes (\s, \n, …) undone, as
 * nm_memory_config_save_to_key_file() writes them; an invalid escape is an
 * INVALID_VALUE naming the raw text. */
static char *
get_value (GKeyFile    *key_file,
           const char  *group,
           const char  *key,
           GError     **error)
{
  g_autofree char *raw = g_key_file_get_value (key_file, group, key, NULL);
  g_autoptr(GError) local_error = NULL;
  char *value;

  if (raw == NULL)
    return NULL;

  /* GLib may return a partly unescaped value along with the error. */
  value = g_key_file_get_string (key_file, group, key, &local_error);
  if (local_error != NULL)
    {
      g_free (value);
      value_error (error, group, key, raw, "text with valid key file escapes (\\s, \\n, \\t, \\r, \\\\)");
      return NULL;
    }

  return value;
}

static const struct {
  const char *key;
  KeyParser   parse;
} known_keys[] = {
  { "kind", parse_kind_key },
  { "name", parse_name_key },
  { "preset", parse_preset_key },
  { "capacity", parse_size_key },
  { "max-capacity", parse_size_key },
  { "block-size", parse_size_key },
  { "block-alignment", parse_size_key },
  { "block-count", parse_count_key },
  { "max-block-count", parse_count_key },
  { "thread-safe", parse_bool_key },
  { "track-stats", parse_bool_key },
  { "poison", parse_bool_key },
  { "validate", parse_bool_key },
  { "leak-report", parse_bool_key },
};

static gboolean
apply_preset (NmConfigData *data,
              GKeyFile     *key_file,
              const char   *group,
              GError      **error)
{
  g_autofree char *preset = NULL;
  g_autofree char *kind_text = NULL;
  NmAllocatorKind kind = data->kind;
  gboolean development;

  if (!g_key_file_has_key (key_file, group, "preset", NULL))
    return TRUE;

  preset = get_value (key_file, group, "preset", error);
  if (preset == NULL)
    return FALSE;

  g_strstrip (preset);
  if (strcmp (preset, "production") == 0)
    development = FALSE;
  else if (strcmp (preset, "development") == 0)
    development = TRUE;
  else
    return value_error (error, group, "preset", preset, "production or development");

  /* The preset's sizes depend on the kind, so read it first. */
  if (g_key_file_has_key (key_file, group, "kind", NULL))
    {
      kind_text = get_value (key_file, group, "kind", error);
      if (kind_text == NULL || !parse_kind (group, "kind", kind_text, &kind, error))
        return FALSE;
    }

  if (kind_text == NULL && !(data->set & NM_FIELD_KIND))
    {
      set_config_error (error, NM_CONFIG_ERROR_MISSING_KEY,
                   "Group “%s”, key “kind”: missing; preset=%s needs to know the "
                   "allocator kind (bump, pool or stack).", group, preset);
      return FALSE;
    }

  _nm_config_data_preset (data, kind, development);

  return TRUE;
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
 * for a key nebula-memory does not know, %NM_CONFIG_ERROR_INVALID_VALUE for
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
  g_auto(GStrv) keys = NULL;
  NmConfigData data = { 0 };

  g_return_val_if_fail (NM_IS_MEMORY_CONFIG_BUILDER (self), FALSE);
  g_return_val_if_fail (key_file != NULL, FALSE);
  g_return_val_if_fail (group != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  keys = g_key_file_get_keys (key_file, group, NULL, NULL);
  if (keys == NULL)
    {
      set_config_error (error, NM_CONFIG_ERROR_MISSING_KEY,
                   "Group “%s” is not in the key file; add a [%s] group with "
                   "at least a kind key.", group, group);
      return FALSE;
    }

  /* Work on a copy so that a failure leaves the builder as it was. */
  _nm_config_data_copy (&data, &self->data);

  if (!apply_preset (&data, key_file, group, error))
    goto failed;

  /* The group names the allocator; a name key overrides it below. */
  g_free (data.name);
  data.name = g_strdup (group);
  data.set |= NM_FIELD_NAME;

  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = NULL;
      KeyParser parse = NULL;

      for (guint k = 0; k < G_N_ELEMENTS (known_keys); k++)
        if (strcmp (keys[i], known_keys[k].key) == 0)
          parse = known_keys[k].parse;

      if (parse == NULL)
        {
          set_config_error (error, NM_CONFIG_ERROR_UNKNOWN_KEY,
                       "Group “%s”, key “%s”: unknown key (value “%s”). Known keys: "
                       "kind, name, preset, capacity, max-capacity, block-size, "
                       "block-alignment, block-count, max-block-count, thread-safe, "
                       "track-stats, poison, validate, leak-report.",
                       group, keys[i],
                       value = g_key_file_get_value (key_file, group, keys[i], NULL));
          goto failed;
        }

      value = get_value (key_file, group, keys[i], error);
      if (value == NULL || !parse (&data, group, keys[i], value, error))
        goto failed;
    }

  _nm_config_data_clear (&self->data);
  self->data = data;
  g_free (self->group);
  self->group = g_strdup (group);

  return TRUE;

failed:
  _nm_config_data_clear (&data);
  return FALSE;
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
    set_config_error (error, code, "Group “%s”, %s", self->group, message);
  else
    set_config_error (error, code, "%s", message);

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
