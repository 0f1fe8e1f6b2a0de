/* config-file.c: allocators described in a configuration file
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each group of a key file describes one allocator. A good group gives a
 * validated, immutable NmMemoryConfig; a bad one gives an NM_CONFIG_ERROR
 * that names the group, the key and the offending value, so a typo in a
 * deployed file is reported instead of silently ignored.
 */

#include <nebula-memory/nebula-memory.h>

static const char good_file[] =
  "# memory.ini\n"
  "[request-arena]\n"
  "kind=bump\n"
  "capacity=8MiB\n"
  "max-capacity=1GiB\n"
  "thread-safe=false\n"
  "track-stats=true\n"
  "\n"
  "[frame-arena]\n"
  "preset=development\n"
  "kind=bump\n"
  "capacity=512KB\n";

static const char bad_file[] =
  "[request-arena]\n"
  "kind=bump\n"
  "capacity=64 megabytes\n"
  "\n"
  "[frame-arena]\n"
  "kind=bump\n"
  "capacity=1MiB\n"
  "thread-safty=true\n";

static NmMemoryConfig *
load_group (GKeyFile    *key_file,
            const char  *group,
            GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  if (!nm_memory_config_builder_load_key_file (builder, key_file, group, error))
    return NULL;

  return nm_memory_config_builder_build (builder, error);
}

int
main (void)
{
  g_autoptr(GKeyFile) good = g_key_file_new ();
  g_autoptr(GKeyFile) bad = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;
  int status = 0;

  if (!g_key_file_load_from_data (good, good_file, -1, G_KEY_FILE_NONE, &error))
    g_error ("%s", error->message);

  groups = g_key_file_get_groups (good, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autoptr(NmMemoryConfig) config = load_group (good, groups[i], &error);
      g_autoptr(NmAllocator) allocator = NULL;
      g_autofree char *description = NULL;
      g_autofree char *capacity = NULL;

      if (config == NULL)
        {
          g_printerr ("config-file: %s\n", error->message);
          return 1;
        }

      /* the configuration as key file text, every setting spelt out */
      description = nm_memory_config_to_string (config);
      g_print ("%s", description);

      allocator = nm_allocator_new_from_config (config, &error);
      if (allocator == NULL)
        {
          g_printerr ("config-file: %s\n", error->message);
          return 1;
        }
      capacity = g_format_size_full (nm_memory_config_get_capacity (config),
                                     G_FORMAT_SIZE_IEC_UNITS);
      g_print ("# built allocator “%s”, %s to start with\n\n",
               nm_allocator_get_name (allocator), capacity);
    }

  /* Every mistake is caught, and the message says where it is. */
  if (!g_key_file_load_from_data (bad, bad_file, -1, G_KEY_FILE_NONE, &error))
    g_error ("%s", error->message);

  {
    g_autoptr(NmMemoryConfig) config = load_group (bad, "request-arena", &error);

    g_print ("bad [request-arena]: %s\n", error ? error->message : "accepted");
    if (config != NULL ||
        !g_error_matches (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE))
      status = 1;
    g_clear_error (&error);
  }

  {
    g_autoptr(NmMemoryConfig) config = load_group (bad, "frame-arena", &error);

    g_print ("bad [frame-arena]: %s\n", error ? error->message : "accepted");
    if (config != NULL ||
        !g_error_matches (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_UNKNOWN_KEY))
      status = 1;
    g_clear_error (&error);
  }

  {
    g_autoptr(NmMemoryConfig) config = load_group (bad, "no-such-group", &error);

    g_print ("missing group: %s\n", error ? error->message : "accepted");
    if (config != NULL || error == NULL)
      status = 1;
    g_clear_error (&error);
  }

  return status;
}
