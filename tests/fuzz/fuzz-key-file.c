/* fuzz-key-file.c: libFuzzer target for configuration files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Any bytes are a candidate key file. Every group goes through the builder;
 * what builds must survive a round trip through a key file unchanged, and,
 * when small enough to create here, must give an allocator that works.
 * Built with -Dfuzzing=true (clang), run by the 'fuzz' test suite.
 */

#include <nebula-memory/nebula-memory.h>

#define MAX_SIZE_TO_CREATE (G_GUINT64_CONSTANT (1) << 24)

static gboolean
small_enough (NmMemoryConfig *config)
{
  guint64 bytes;

  if (nm_memory_config_get_kind (config) != NM_ALLOCATOR_KIND_POOL)
    return nm_memory_config_get_capacity (config) <= MAX_SIZE_TO_CREATE &&
           nm_memory_config_get_max_capacity (config) <= MAX_SIZE_TO_CREATE;

  return g_uint64_checked_mul (&bytes, MAX (nm_memory_config_get_block_size (config),
                                            nm_memory_config_get_block_alignment (config)),
                               MAX (nm_memory_config_get_block_count (config),
                                    nm_memory_config_get_max_block_count (config))) &&
         bytes <= MAX_SIZE_TO_CREATE;
}

static void
exercise (NmMemoryConfig *config)
{
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  gpointer mem;

  alloc = nm_allocator_new_from_config (config, &error);
  if (alloc == NULL)
    {
      g_assert_true (error->domain == NM_ALLOCATOR_ERROR || error->domain == NM_CONFIG_ERROR);
      return;
    }

  mem = nm_allocator_alloc (alloc, 8, 8, &error);
  if (mem != NULL)
    {
      g_assert_true (nm_allocator_owns (alloc, mem));
      nm_allocator_free (alloc, mem, 8, 8);
    }
  else
    g_assert_true (error->domain == NM_ALLOCATOR_ERROR);

  nm_allocator_reset (alloc);
  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
}

static void
check_group (GKeyFile   *key_file,
             const char *group)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfigBuilder) again = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmMemoryConfig) reloaded = NULL;
  g_autoptr(GKeyFile) saved = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  if (!nm_memory_config_builder_load_key_file (builder, key_file, group, &error))
    {
      g_assert_true (error->domain == NM_CONFIG_ERROR);
      g_assert_nonnull (error->message);
      return;
    }

  config = nm_memory_config_builder_build (builder, &error);
  if (config == NULL)
    {
      g_assert_true (error->domain == NM_CONFIG_ERROR);
      return;
    }

  /* Written back and loaded again: the same configuration. */
  nm_memory_config_save_to_key_file (config, saved, "saved");
  g_assert_true (nm_memory_config_builder_load_key_file (again, saved, "saved", NULL));
  reloaded = nm_memory_config_builder_build (again, NULL);
  g_assert_nonnull (reloaded);
  if (!nm_memory_config_equal (config, reloaded))
    {
      g_autofree char *text = g_key_file_to_data (saved, NULL, NULL);

      g_error ("round trip changed the configuration:\n%s", text);
    }

  if (small_enough (config))
    exercise (config);
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_data (key_file, (const char *) data, size, G_KEY_FILE_NONE, NULL))
    return 0;

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL && i < 8; i++)
    check_group (key_file, groups[i]);

  return 0;
}
