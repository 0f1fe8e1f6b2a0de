/* nm-memory-config-keyfile.c: reading an allocator's settings from a GKeyFile group
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One table of known keys, one parser per kind of value (sizes with units,
 * counts, booleans, the kind). Every message names the group, the key and
 * the offending value; nm_memory_config_builder_load_key_file() works on a
 * copy of its settings, so a failure here changes nothing.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "nm-enum-types.h"
#include "nm-error-private.h"
#include "nm-memory-config-private.h"
#include "nm-size-private.h"

typedef gboolean (*KeyParser) (NmConfigData *data,
                               const char   *group,
                               const char   *key,
                               const char   *value,
                               GError      **error);

static gboolean
value_error (GError     **error,
             const char  *group,
             const char  *key,
             const char  *value,
             const char  *expected)
{
  _nm_config_error_set (error, NM_CONFIG_ERROR_INVALID_VALUE,
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
  else if (strcmp (key, "trim-on-pressure") == 0)
    data->trim_on_pressure = flag, data->set |= NM_FIELD_TRIM_ON_PRESSURE;
  else if (strcmp (key, "leak-sites") == 0)
    data->leak_sites = flag, data->set |= NM_FIELD_LEAK_SITES;
  else
    data->leak_report = flag, data->set |= NM_FIELD_LEAK_REPORT;

  return TRUE;
}

/* A fraction of the capacity, above 0 and at most 1, in the C locale's
 * notation. 0 is refused too: a key file turns the signal off by leaving
 * the key out, so a written 0 is more likely a slip than a wish. */
static gboolean
parse_fraction_key (NmConfigData *data,
                    const char   *group,
                    const char   *key,
                    const char   *value,
                    GError      **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (value));
  char *end = NULL;
  gdouble mark;

  mark = g_ascii_strtod (stripped, &end);
  if (*stripped == '\0' || end == NULL || *end != '\0' || isnan (mark) || isinf (mark))
    return value_error (error, group, key, value,
                        "a number: the fraction of the capacity in use that emits the "
                        "high-water signal, above 0 and at most 1, such as 0.9");

  if (mark <= 0.0 || mark > 1.0)
    {
      _nm_config_error_set (error, NM_CONFIG_ERROR_INVALID_VALUE,
                            "Group “%s”, key “%s”: “%s” is out of range; the high-water mark "
                            "is a fraction of the capacity above 0 and at most 1, such as 0.9. "
                            "Leave the key out for no high-water signal.",
                            group, key, value);
      return FALSE;
    }

  data->high_water_mark = mark;
  data->set |= NM_FIELD_HIGH_WATER_MARK;
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

/* Budgets are named by path and found in the registry the application
 * fills, when the file is loaded. */
static gboolean
parse_budget_key (NmConfigData *data,
                  const char   *group,
                  const char   *key,
                  const char   *value,
                  GError      **error)
{
  g_autofree char *path = g_strstrip (g_strdup (value));
  NmMemoryBudget *budget = nm_memory_budget_lookup (path);

  if (budget == NULL)
    {
      _nm_config_error_set (error, NM_CONFIG_ERROR_INVALID_VALUE,
                            "Group “%s”, key “%s”: “%s” is not valid; no memory budget "
                            "is registered under that path. Register the budget with "
                            "nm_memory_budget_register() before loading, or fix the path "
                            "(such as process/requests).", group, key, value);
      return FALSE;
    }

  g_clear_object (&data->budget);
  data->budget = budget;
  data->set |= NM_FIELD_BUDGET;
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
  { "trim-on-pressure", parse_bool_key },
  { "high-water-mark", parse_fraction_key },
  { "leak-sites", parse_bool_key },
  { "budget", parse_budget_key },
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
      _nm_config_error_set (error, NM_CONFIG_ERROR_MISSING_KEY,
                   "Group “%s”, key “kind”: missing; preset=%s needs to know the "
                   "allocator kind (bump, pool or stack).", group, preset);
      return FALSE;
    }

  _nm_config_data_preset (data, kind, development);

  return TRUE;
}

static gboolean
unknown_key_error (GError     **error,
                   const char  *group,
                   const char  *key,
                   const char  *value,
                   const char  *why,
                   const char  *advice)
{
  g_autoptr(GString) known = g_string_new (NULL);

  for (guint k = 0; k < G_N_ELEMENTS (known_keys); k++)
    g_string_append_printf (known, "%s%s", k ? ", " : "", known_keys[k].key);

  _nm_config_error_set (error, NM_CONFIG_ERROR_UNKNOWN_KEY,
                        "Group “%s”, key “%s”: %s (value “%s”). %sKnown keys: %s.",
                        group, key, why, value ? value : "", advice ? advice : "",
                        known->str);
  return FALSE;
}

/* GKeyFile keeps keys with a locale (capacity[de]=2KiB) apart and leaves
 * them out of g_key_file_get_keys(); none of ours is translatable, so such
 * a key is refused like any other unknown key rather than ignored. The
 * group's text, as GKeyFile writes it back, shows them. */
static gboolean
check_localized_keys (GKeyFile    *key_file,
                      const char  *group,
                      GError     **error)
{
  g_autofree char *text = g_key_file_to_data (key_file, NULL, NULL);
  g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  gsize group_len = strlen (group);
  gboolean in_group = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *eq;
      g_autofree char *key = NULL;

      if (line[0] == '[')
        {
          gsize len = strlen (line);

          in_group = len == group_len + 2 && line[len - 1] == ']' &&
                     strncmp (line + 1, group, group_len) == 0;
          continue;
        }
      if (!in_group || line[0] == '#' || (eq = strchr (line, '=')) == NULL)
        continue;

      key = g_strstrip (g_strndup (line, (gsize) (eq - line)));
      if (strchr (key, '[') != NULL)
        return unknown_key_error (error, group, key, g_strstrip ((char *) eq + 1),
                                  "localized keys are not supported",
                                  "Write the key without a locale. ");
    }

  return TRUE;
}

gboolean
_nm_config_data_load_key_file (NmConfigData  *data,
                               GKeyFile      *key_file,
                               const char    *group,
                               GError       **error)
{
  g_auto(GStrv) keys = NULL;

  keys = g_key_file_get_keys (key_file, group, NULL, NULL);
  if (keys == NULL)
    {
      _nm_config_error_set (error, NM_CONFIG_ERROR_MISSING_KEY,
                   "Group “%s” is not in the key file; add a [%s] group with "
                   "at least a kind key.", group, group);
      return FALSE;
    }

  if (!check_localized_keys (key_file, group, error) ||
      !apply_preset (data, key_file, group, error))
    return FALSE;

  /* The group names the allocator; a name key overrides it below. */
  g_free (data->name);
  data->name = g_strdup (group);
  data->set |= NM_FIELD_NAME;

  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = NULL;
      KeyParser parse = NULL;

      for (guint k = 0; k < G_N_ELEMENTS (known_keys); k++)
        if (strcmp (keys[i], known_keys[k].key) == 0)
          parse = known_keys[k].parse;

      if (parse == NULL)
        {
          value = g_key_file_get_value (key_file, group, keys[i], NULL);
          return unknown_key_error (error, group, keys[i], value, "unknown key", NULL);
        }

      value = get_value (key_file, group, keys[i], error);
      if (value == NULL || !parse (data, group, keys[i], value, error))
        return FALSE;
    }

  return TRUE;
}
