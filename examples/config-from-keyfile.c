/* config-from-keyfile.c: allocators described in a configuration file
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reads nebula-memory/memory.ini from the user's configuration directory
 * (g_get_user_config_dir(), usually ~/.config) when it exists, else the
 * sample config-from-keyfile.ini shipped beside this example, or the file
 * named on the command line. Each group becomes a validated, immutable
 * NmMemoryConfig and an allocator built from it.
 *
 * The file may name memory budgets by path (budget=process/requests): the
 * program creates and registers them before reading it.
 *
 * A bad group is an NM_CONFIG_ERROR naming the group, the key and the
 * offending value, so a typo in a deployed file is reported, never
 * silently ignored: the second half shows the usual mistakes.
 */

#include <locale.h>

#include <nebula-memory/nebula-memory.h>

#ifndef EXAMPLES_DIR
# define EXAMPLES_DIR "."
#endif

static const char bad_file[] =
  "[unit-typo]\n"
  "kind=bump\n"
  "capacity=64 megabytes\n"
  "\n"
  "[key-typo]\n"
  "kind=bump\n"
  "capacity=1MiB\n"
  "thread-safty=true\n"
  "\n"
  "[pool-with-capacity]\n"
  "kind=pool\n"
  "block-size=64\n"
  "block-count=16\n"
  "capacity=1MiB\n"
  "\n"
  "[no-kind]\n"
  "capacity=1MiB\n";

static guint failures;

static void
expect (gboolean    condition,
        const char *what)
{
  if (!condition)
    {
      g_printerr ("config-from-keyfile: unexpected: %s\n", what);
      failures++;
    }
}

/* The file to read and where it came from. */
static char *
find_config_file (int          argc,
                  char       **argv,
                  const char **origin)
{
  g_autofree char *user_file = g_build_filename (g_get_user_config_dir (), "nebula-memory",
                                                 "memory.ini", NULL);

  if (argc > 1)
    return (*origin = "the command line", g_strdup (argv[1]));
  if (g_file_test (user_file, G_FILE_TEST_IS_REGULAR))
    return (*origin = "the user configuration directory", g_steal_pointer (&user_file));

  *origin = "the sample beside the example";
  return g_build_filename (EXAMPLES_DIR, "config-from-keyfile.ini", NULL);
}

static NmMemoryConfig *
load_group (GKeyFile    *key_file,
            const char  *group,
            GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  /* Reading checks the keys and parses the values; building checks that
   * they make sense together (a pool has no capacity, a stack is never
   * thread-safe, ...). */
  if (!nm_memory_config_builder_load_key_file (builder, key_file, group, error))
    return NULL;

  return nm_memory_config_builder_build (builder, error);
}

static void
build_all (GKeyFile *key_file)
{
  g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NmMemoryConfig) config = load_group (key_file, groups[i], &error);
      g_autoptr(NmAllocator) allocator = NULL;
      g_autoptr(NmAllocatorStats) stats = NULL;
      g_autofree char *text = NULL;
      g_autofree char *summary = NULL;
      gpointer mem;

      if (config == NULL)
        {
          g_print ("[%s] refused: %s\n", groups[i], error->message);
          failures++;
          continue;
        }

      /* The configuration as key file text, every setting spelt out. */
      text = nm_memory_config_to_string (config);
      g_print ("%s", text);

      allocator = nm_allocator_new_from_config (config, &error);
      if (allocator == NULL)
        {
          g_print ("[%s] cannot be built: %s\n", groups[i], error->message);
          failures++;
          continue;
        }

      mem = nm_allocator_alloc (allocator, 64, 16, &error);
      expect (mem != NULL, "a first allocation");
      stats = nm_allocator_get_stats (allocator);
      summary = nm_allocator_stats_to_string (stats);
      g_print ("# built %s “%s”: %s\n\n", G_OBJECT_TYPE_NAME (allocator),
               nm_allocator_get_name (allocator), summary);
      nm_allocator_free (allocator, mem, 64, 16);
    }
}

static void
show_mistakes (void)
{
  g_autoptr(GKeyFile) bad = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  struct {
    const char    *group;
    NmConfigError  code;
  } cases[] = {
    { "unit-typo", NM_CONFIG_ERROR_INVALID_VALUE },
    { "key-typo", NM_CONFIG_ERROR_UNKNOWN_KEY },
    { "pool-with-capacity", NM_CONFIG_ERROR_INCOMPATIBLE },
    { "no-kind", NM_CONFIG_ERROR_MISSING_KEY },
    { "no-such-group", NM_CONFIG_ERROR_MISSING_KEY },
  };

  if (!g_key_file_load_from_data (bad, bad_file, -1, G_KEY_FILE_NONE, &error))
    g_error ("%s", error->message);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NmMemoryConfig) config = load_group (bad, cases[i].group, &error);
      g_autofree char *code = NULL;

      expect (config == NULL && g_error_matches (error, NM_CONFIG_ERROR, cases[i].code),
              cases[i].group);
      if (error == NULL)
        continue;
      code = g_enum_to_string (NM_TYPE_CONFIG_ERROR, error->code);
      g_print ("bad [%s]: %s: %s\n", cases[i].group, code, error->message);
      g_clear_error (&error);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(NmMemoryBudget) process = NULL;
  g_autoptr(NmMemoryBudget) requests = NULL;
  const char *origin = NULL;

  setlocale (LC_ALL, "");
  /* The budgets the file may refer to: process/requests. */
  process = nm_memory_budget_new ("process", 256 * 1024 * 1024, NULL);
  requests = nm_memory_budget_new ("requests", 64 * 1024 * 1024, process);
  nm_memory_budget_register (requests);

  path = find_config_file (argc, argv, &origin);
  g_print ("# reading %s (from %s)\n\n", path, origin);
  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error))
    {
      g_printerr ("config-from-keyfile: %s: %s\n", path, error->message);
      return 1;
    }

  build_all (key_file);
  show_mistakes ();
  nm_memory_budget_unregister (requests);

  if (failures > 0)
    return 1;
  g_print ("OK\n");
  return 0;
}
