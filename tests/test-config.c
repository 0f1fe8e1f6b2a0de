/* test-config.c: NmMemoryConfig, NmMemoryConfigBuilder and key files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-memory-config-private.h"
#include "nm-size-private.h"

static GKeyFile *
key_file_from (const char *text)
{
  g_autoptr(GError) error = NULL;
  GKeyFile *key_file = g_key_file_new ();

  g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  return key_file;
}

static NmMemoryConfig *
load (const char  *text,
      const char  *group,
      GError     **error)
{
  g_autoptr(GKeyFile) key_file = key_file_from (text);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  if (!nm_memory_config_builder_load_key_file (builder, key_file, group, error))
    return NULL;

  return nm_memory_config_builder_build (builder, error);
}

static void
test_config_sizes (void)
{
  static const struct {
    const char *text;
    guint64     value;
  } good[] = {
    { "4096", 4096 },
    { "4096B", 4096 },
    { " 64 KiB ", 64 * 1024 },
    { "64MiB", 64 * 1024 * 1024 },
    { "2GiB", G_GUINT64_CONSTANT (2) << 30 },
    { "10KB", 10000 },
    { "3MB", 3000000 },
    { "1GB", 1000000000 },
  };
  static const char * const bad[] = {
    "", "MiB", "-1", "12XB", "1.5MiB", "64 mib", "0x10", "99999999999999999999",
    "18446744073709551615GiB",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      guint64 value = 0;

      g_assert_true (_nm_size_parse (good[i].text, &value));
      g_assert_cmpuint (value, ==, good[i].value);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint64 value = 0;

      g_assert_false (_nm_size_parse (bad[i], &value));
    }
}

static void
test_config_builder_chain (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmMemoryConfigBuilder *same;

  same = nm_memory_config_builder_set_leak_report (
           nm_memory_config_builder_set_track_stats (
             nm_memory_config_builder_set_max_capacity (
               nm_memory_config_builder_set_capacity (
                 nm_memory_config_builder_set_name (
                   nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP),
                   "chained"),
                 1024),
               4096),
             FALSE),
           TRUE);
  g_assert_true (same == builder);

  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nm_memory_config_get_kind (config), ==, NM_ALLOCATOR_KIND_BUMP);
  g_assert_cmpstr (nm_memory_config_get_name (config), ==, "chained");
  g_assert_cmpuint (nm_memory_config_get_capacity (config), ==, 1024);
  g_assert_cmpuint (nm_memory_config_get_max_capacity (config), ==, 4096);
  g_assert_false (nm_memory_config_get_track_stats (config));
  g_assert_true (nm_memory_config_get_leak_report (config));
  g_assert_false (nm_memory_config_get_thread_safe (config));
}

static void
test_config_properties (void)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_new_development (NM_ALLOCATOR_KIND_POOL);
  NmAllocatorKind kind;
  guint64 block_size, block_count;
  gboolean poison, validate;
  g_autofree char *name = NULL;

  g_object_get (config,
                "kind", &kind,
                "name", &name,
                "block-size", &block_size,
                "block-count", &block_count,
                "poison", &poison,
                "validate", &validate,
                NULL);
  g_assert_cmpint (kind, ==, NM_ALLOCATOR_KIND_POOL);
  g_assert_cmpstr (name, ==, "development");
  g_assert_cmpuint (block_size, ==, 64);
  g_assert_cmpuint (block_count, ==, 4096);
  g_assert_true (poison);
  g_assert_true (validate);
}

static void
test_config_presets (void)
{
  for (NmAllocatorKind kind = NM_ALLOCATOR_KIND_BUMP; kind <= NM_ALLOCATOR_KIND_STACK; kind++)
    {
      g_autoptr(NmMemoryConfig) production = nm_memory_config_new_production (kind);
      g_autoptr(NmMemoryConfig) development = nm_memory_config_new_development (kind);

      g_assert_cmpint (nm_memory_config_get_kind (production), ==, kind);
      g_assert_true (nm_memory_config_get_track_stats (production));
      g_assert_false (nm_memory_config_get_poison (production));
      g_assert_false (nm_memory_config_get_validate (production));
      g_assert_false (nm_memory_config_get_leak_report (production));

      g_assert_cmpint (nm_memory_config_get_kind (development), ==, kind);
      g_assert_true (nm_memory_config_get_poison (development));
      g_assert_true (nm_memory_config_get_validate (development));
      g_assert_true (nm_memory_config_get_leak_report (development));
      g_assert_false (nm_memory_config_equal (production, development));
    }
}

static void
test_config_key_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  const char *text =
    "[request-arena]\n"
    "kind=bump\n"
    "capacity=64KiB\n"
    "max-capacity=1MiB\n"
    "thread-safe=false\n"
    "track-stats=true\n";

  config = load (text, "request-arena", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nm_memory_config_get_name (config), ==, "request-arena");
  g_assert_cmpuint (nm_memory_config_get_capacity (config), ==, 64 * 1024);
  g_assert_cmpuint (nm_memory_config_get_max_capacity (config), ==, 1024 * 1024);

  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  g_assert_true (NM_IS_BUMP_ALLOCATOR (alloc));
  g_assert_cmpstr (nm_allocator_get_name (alloc), ==, "request-arena");
}

static void
test_config_key_file_preset (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;

  config = load ("[scratch]\npreset=development\nkind=bump\ncapacity=4KiB\nname=Scratch\n",
                 "scratch", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nm_memory_config_get_name (config), ==, "Scratch");
  g_assert_cmpuint (nm_memory_config_get_capacity (config), ==, 4096);
  g_assert_true (nm_memory_config_get_poison (config));
}

static void
test_config_round_trip (void)
{
  NmMemoryConfig *configs[] = {
    nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP),
    nm_memory_config_new_development (NM_ALLOCATOR_KIND_POOL),
    nm_memory_config_new_production (NM_ALLOCATOR_KIND_STACK),
    NULL,
  };
  g_autoptr(NmMemoryConfigBuilder) odd = nm_memory_config_builder_new ();

  nm_memory_config_builder_set_kind (odd, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_name (odd, "odd name");
  nm_memory_config_builder_set_capacity (odd, 1000001);
  nm_memory_config_builder_set_max_capacity (odd, G_GUINT64_CONSTANT (3) << 30);
  nm_memory_config_builder_set_poison (odd, TRUE);
  configs[3] = nm_memory_config_builder_build (odd, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autoptr(GKeyFile) key_file = g_key_file_new ();
      g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
      g_autoptr(NmMemoryConfig) loaded = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;

      nm_memory_config_save_to_key_file (configs[i], key_file, "saved");
      text = g_key_file_to_data (key_file, NULL, NULL);

      g_assert_true (nm_memory_config_builder_load_key_file (builder, key_file, "saved", &error));
      g_assert_no_error (error);
      loaded = nm_memory_config_builder_build (builder, &error);
      g_assert_no_error (error);
      if (!nm_memory_config_equal (configs[i], loaded))
        g_error ("round trip changed the config:\n%s", text);

      g_object_unref (configs[i]);
    }
}

static void
test_config_to_string (void)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP);
  g_autofree char *text = nm_memory_config_to_string (config);

  g_assert_nonnull (strstr (text, "[production]"));
  g_assert_nonnull (strstr (text, "kind=bump"));
  g_assert_nonnull (strstr (text, "capacity=1MiB"));
  g_assert_nonnull (strstr (text, "max-capacity=256MiB"));
}

static void
check_load_error (const char *text,
                  int         code,
                  const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmMemoryConfig) config = load (text, "g", &error);

  g_assert_null (config);
  g_assert_error (error, NM_CONFIG_ERROR, code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not contain “%s”", error->message, fragment);
}

/* Every name the builder accepts survives to_string() and loading the text
 * back, those that cannot be a group name too, without a GLib critical
 * (the suite runs with fatal criticals). */
static void
test_config_to_string_any_name (void)
{
  static const char * const names[] = {
    "plain", "with space", "a[b", "a]b", "[bracketed]", "tab\there", "two\nlines",
    "\r", "x\x01y", "trailing ", "", "é ünïcode", "#not-a-comment", "=equals",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
      g_autoptr(NmMemoryConfig) config = NULL;
      g_autoptr(NmMemoryConfig) loaded = NULL;
      g_autoptr(GKeyFile) key_file = g_key_file_new ();
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) groups = NULL;
      g_autofree char *text = NULL;

      nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
      nm_memory_config_builder_set_capacity (builder, 4096);
      nm_memory_config_builder_set_name (builder, names[i]);
      config = nm_memory_config_builder_build (builder, &error);
      g_assert_no_error (error);

      text = nm_memory_config_to_string (config);
      g_assert_nonnull (text);
      g_assert_true (g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, &error));
      g_assert_no_error (error);
      groups = g_key_file_get_groups (key_file, NULL);
      g_assert_cmpuint (g_strv_length (groups), ==, 1);

      g_clear_object (&builder);
      builder = nm_memory_config_builder_new ();
      g_assert_true (nm_memory_config_builder_load_key_file (builder, key_file, groups[0], &error));
      loaded = nm_memory_config_builder_build (builder, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (nm_memory_config_get_name (loaded), ==, names[i]);
      g_assert_true (nm_memory_config_equal (config, loaded));
    }
}

/* A key with a locale is refused like any unknown key, never ignored.
 * GKeyFile keeps the keys of the process's own languages ("C" is always one
 * of them), and those of every language with G_KEY_FILE_KEEP_TRANSLATIONS. */
static void
test_config_key_file_localized (void)
{
  static const char text[] = "[other]\nComment[de]=Hallo\n"
                             "[g]\nkind=bump\ncapacity=1KiB\ncapacity[de]=2KiB\n";
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(GError) error = NULL;

  check_load_error ("[g]\nkind=bump\ncapacity=1KiB\ncapacity[C]=2KiB\n",
                    NM_CONFIG_ERROR_UNKNOWN_KEY,
                    "Group “g”, key “capacity[C]”: localized keys are not supported "
                    "(value “2KiB”)");

  g_assert_true (g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_KEEP_TRANSLATIONS,
                                            &error));
  g_assert_false (nm_memory_config_builder_load_key_file (builder, key_file, "g", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_UNKNOWN_KEY);
  g_assert_nonnull (strstr (error->message, "key “capacity[de]”"));
  g_clear_error (&error);

  /* The builder is unchanged, and localized keys of other groups are not
   * this group's business. */
  g_assert_true (nm_memory_config_builder_load_key_file (builder, key_file, "other", &error) ||
                 g_error_matches (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_MISSING_KEY) ||
                 g_error_matches (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_UNKNOWN_KEY));
  g_clear_error (&error);
  g_key_file_remove_key (key_file, "g", "capacity[de]", NULL);
  g_assert_true (nm_memory_config_builder_load_key_file (builder, key_file, "g", &error));
  g_assert_no_error (error);
}

/* An NmMemoryConfig from g_object_new() (what bindings construct) is a
 * configuration the builder accepts, and builds a working allocator. */
static void
test_config_plain_construction (void)
{
  g_autoptr(NmMemoryConfig) config = g_object_new (NM_TYPE_MEMORY_CONFIG, NULL);
  g_autoptr(NmMemoryConfig) production = nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new_from_config (config);
  g_autoptr(NmMemoryConfig) rebuilt = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (nm_memory_config_equal (config, production));
  g_assert_cmpuint (nm_memory_config_get_capacity (config), >, 0);

  rebuilt = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_true (nm_memory_config_equal (config, rebuilt));

  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (alloc);
  g_assert_nonnull (nm_allocator_alloc (alloc, 64, 8, &error));
  g_assert_no_error (error);
}

static void
test_config_key_file_errors (void)
{
  /* Parsing: group, key and value named. */
  check_load_error ("[g]\nkind=bump\ncapasity=1MiB\n", NM_CONFIG_ERROR_UNKNOWN_KEY,
                    "Group “g”, key “capasity”: unknown key (value “1MiB”)");
  check_load_error ("[g]\nkind=heap\ncapacity=1MiB\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “kind”: “heap” is not valid; expected bump, pool or stack");
  check_load_error ("[g]\nkind=bump\ncapacity=12XB\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “capacity”: “12XB” is not valid");
  check_load_error ("[g]\nkind=bump\ncapacity=-5\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "key “capacity”: “-5” is not valid");
  check_load_error ("[g]\nkind=bump\ncapacity=1MiB\nthread-safe=maybe\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “thread-safe”: “maybe” is not valid; expected true or false");
  check_load_error ("[g]\nkind=pool\nblock-size=64\nblock-count=many\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “block-count”: “many” is not valid");
  check_load_error ("[g]\nkind=bump\npreset=fast\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “preset”: “fast” is not valid");
  check_load_error ("[g]\npreset=development\n", NM_CONFIG_ERROR_MISSING_KEY,
                    "Group “g”, key “kind”: missing");
  check_load_error ("[other]\nkind=bump\n", NM_CONFIG_ERROR_MISSING_KEY,
                    "Group “g” is not in the key file");

  /* Validation: group, key and value named too. */
  check_load_error ("[g]\ncapacity=1MiB\n", NM_CONFIG_ERROR_MISSING_KEY,
                    "Group “g”, key “kind”: missing");
  check_load_error ("[g]\nkind=bump\n", NM_CONFIG_ERROR_MISSING_KEY,
                    "Group “g”, key “capacity”: missing");
  check_load_error ("[g]\nkind=bump\ncapacity=0\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “capacity”: 0 is not valid");
  check_load_error ("[g]\nkind=bump\ncapacity=4096GiB\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “capacity”: 4398046511104 bytes is more than the largest supported capacity (1024GiB)");
  check_load_error ("[g]\nkind=bump\ncapacity=1MiB\nmax-capacity=64KiB\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “max-capacity”: 65536 bytes is below capacity (1048576 bytes)");
  check_load_error ("[g]\nkind=bump\ncapacity=1MiB\nmax-capacity=2048GiB\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "key “max-capacity”: 2199023255552 bytes is more than");
  check_load_error ("[g]\nkind=bump\ncapacity=1MiB\nblock-size=64\n", NM_CONFIG_ERROR_INCOMPATIBLE,
                    "block settings apply to pool allocators only");
  check_load_error ("[g]\nkind=stack\ncapacity=1MiB\nmax-capacity=2MiB\n", NM_CONFIG_ERROR_INCOMPATIBLE,
                    "key “max-capacity”: a stack allocator has a fixed capacity");
  check_load_error ("[g]\nkind=stack\ncapacity=1MiB\nthread-safe=true\n", NM_CONFIG_ERROR_INCOMPATIBLE,
                    "key “thread-safe”: true is not possible for a stack allocator");
  check_load_error ("[g]\nkind=pool\nblock-count=10\n", NM_CONFIG_ERROR_MISSING_KEY,
                    "key “block-size”: missing");
  check_load_error ("[g]\nkind=pool\nblock-size=64\n", NM_CONFIG_ERROR_MISSING_KEY,
                    "key “block-count”: missing");
  check_load_error ("[g]\nkind=pool\nblock-size=0\nblock-count=10\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "key “block-size”: 0 is not valid");
  check_load_error ("[g]\nkind=pool\nblock-size=64\nblock-count=0\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "key “block-count”: 0 is not valid");
  check_load_error ("[g]\nkind=pool\nblock-size=64\nblock-alignment=24\nblock-count=10\n",
                    NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “block-alignment”: 24 is not a power of two");
  check_load_error ("[g]\nkind=pool\nblock-size=64\nblock-alignment=8192\nblock-count=10\n",
                    NM_CONFIG_ERROR_INVALID_VALUE, "key “block-alignment”: 8192 is above the page size");
  check_load_error ("[g]\nkind=pool\nblock-size=1GiB\nblock-count=4096\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "key “block-count”: 4096 blocks of 1073741824 bytes is more than");
  check_load_error ("[g]\nkind=pool\nblock-size=1\nblock-alignment=4096\nblock-count=536870912\n",
                    NM_CONFIG_ERROR_INVALID_VALUE,
                    "key “block-count”: 536870912 blocks of 4096 bytes is more than");
  check_load_error ("[g]\nkind=pool\nblock-size=64\nblock-count=100\nmax-block-count=10\n",
                    NM_CONFIG_ERROR_INVALID_VALUE, "key “max-block-count”: 10 is below block-count (100)");
  check_load_error ("[g]\nkind=pool\nblock-size=64\nblock-count=100\ncapacity=1MiB\n",
                    NM_CONFIG_ERROR_INCOMPATIBLE, "key “capacity”: a pool allocator is sized by block-size");
}

/* Names travel through key files with GKeyFile's escapes. */
static void
test_config_key_file_escapes (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmMemoryConfig) loaded = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_STACK);
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_name (builder, " two\nlines\t ");
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);

  nm_memory_config_save_to_key_file (config, key_file, "escaped");
  g_clear_object (&builder);
  builder = nm_memory_config_builder_new ();
  g_assert_true (nm_memory_config_builder_load_key_file (builder, key_file, "escaped", &error));
  loaded = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nm_memory_config_get_name (loaded), ==, " two\nlines\t ");
  g_assert_true (nm_memory_config_equal (config, loaded));

  check_load_error ("[g]\nkind=bump\ncapacity=1KiB\nname=bad\\qescape\n",
                    NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “name”: “bad\\qescape” is not valid; expected text with "
                    "valid key file escapes");
  check_load_error ("[g]\nkind=bump\\q\ncapacity=1KiB\n", NM_CONFIG_ERROR_INVALID_VALUE,
                    "Group “g”, key “kind”: “bump\\q” is not valid");

  /* Names (and so group names) must be UTF-8; the message still is. */
  {
    g_autoptr(GKeyFile) bad = key_file_from ("[a\xef" "b]\nkind=bump\ncapacity=1KiB\n");
    g_autoptr(NmMemoryConfigBuilder) loose = nm_memory_config_builder_new ();
    g_autoptr(NmMemoryConfig) none = NULL;
    g_autoptr(GError) utf8_error = NULL;

    g_assert_true (nm_memory_config_builder_load_key_file (loose, bad, "a\xef" "b", &utf8_error));
    none = nm_memory_config_builder_build (loose, &utf8_error);
    g_assert_null (none);
    g_assert_error (utf8_error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
    g_assert_true (g_utf8_validate (utf8_error->message, -1, NULL));
    g_assert_nonnull (strstr (utf8_error->message, "is not valid UTF-8"));
  }
}

static void
test_config_load_failure_keeps_builder (void)
{
  g_autoptr(GKeyFile) good = key_file_from ("[a]\nkind=bump\ncapacity=2KiB\n");
  g_autoptr(GKeyFile) bad = key_file_from ("[b]\nkind=stack\ncapacity=nonsense\n");
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (nm_memory_config_builder_load_key_file (builder, good, "a", &error));
  g_assert_false (nm_memory_config_builder_load_key_file (builder, bad, "b", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nm_memory_config_get_kind (config), ==, NM_ALLOCATOR_KIND_BUMP);
  g_assert_cmpstr (nm_memory_config_get_name (config), ==, "a");
  g_assert_cmpuint (nm_memory_config_get_capacity (config), ==, 2048);
}

static void
test_config_builder_errors (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(GError) error = NULL;

  g_assert_null (nm_memory_config_builder_build (builder, &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "key “kind”: missing"));
  /* No group loaded: no group in the message. */
  g_assert_null (strstr (error->message, "Group"));
  g_clear_error (&error);

  nm_memory_config_builder_set_kind (builder, (NmAllocatorKind) 42);
  g_assert_null (nm_memory_config_builder_build (builder, &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "42 is not an allocator kind"));
  g_clear_error (&error);

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 100);
  {
    g_autoptr(NmMemoryConfig) config = nm_memory_config_builder_build (builder, &error);

    g_assert_no_error (error);
    g_assert_nonnull (config);
  }

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_CONFIG_BUILDER*");
  g_assert_null (nm_memory_config_builder_set_capacity (NULL, 1));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*key_file != NULL*");
  g_assert_false (nm_memory_config_builder_load_key_file (builder, NULL, "g", NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_CONFIG*");
  g_assert_null (nm_allocator_new_from_config (NULL, NULL));
  g_test_assert_expected_messages ();
}

static void
test_config_factory_key_file (void)
{
  g_autoptr(GKeyFile) key_file = key_file_from ("[frame]\nkind=bump\ncapacity=16KiB\n"
                                                "[broken]\nkind=bump\ncapacity=0\n");
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;

  alloc = nm_allocator_new_from_key_file (key_file, "frame", &error);
  g_assert_no_error (error);
  g_assert_nonnull (alloc);
  g_assert_cmpstr (nm_allocator_get_name (alloc), ==, "frame");

  g_assert_null (nm_allocator_new_from_key_file (key_file, "broken", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "Group “broken”, key “capacity”: 0"));
}

/* high-water-mark and leak-sites: from setters and key files, in
 * properties, through to_string() and back, off in the presets. */
static void
test_config_observability_keys (void)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfigBuilder) again = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfigBuilder) set = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmMemoryConfig) reloaded = NULL;
  g_autoptr(NmMemoryConfig) from_setters = NULL;
  g_autoptr(NmMemoryConfig) production = nm_memory_config_new_production (NM_ALLOCATOR_KIND_POOL);
  g_autoptr(NmMemoryConfig) development = nm_memory_config_new_development (NM_ALLOCATOR_KIND_POOL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gdouble mark = 0;
  gboolean sites = FALSE;

  g_assert_cmpfloat (nm_memory_config_get_high_water_mark (production), ==, 0);
  g_assert_cmpfloat (nm_memory_config_get_high_water_mark (development), ==, 0);
  g_assert_false (nm_memory_config_get_leak_sites (production));
  g_assert_false (nm_memory_config_get_leak_sites (development));
  text = nm_memory_config_to_string (development);
  g_assert_null (strstr (text, "high-water-mark"));
  g_assert_null (strstr (text, "leak-sites"));
  g_clear_pointer (&text, g_free);

  g_assert_true (g_key_file_load_from_data (key_file,
                                            "[requests]\nkind=bump\ncapacity=64KiB\n"
                                            "high-water-mark= 0.9 \nleak-sites=true\n",
                                            -1, G_KEY_FILE_NONE, NULL));
  g_assert_true (nm_memory_config_builder_load_key_file (builder, key_file, "requests", &error));
  g_assert_no_error (error);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (nm_memory_config_get_high_water_mark (config), ==, 0.9);
  g_assert_true (nm_memory_config_get_leak_sites (config));
  g_object_get (config, "high-water-mark", &mark, "leak-sites", &sites, NULL);
  g_assert_cmpfloat (mark, ==, 0.9);
  g_assert_true (sites);

  text = nm_memory_config_to_string (config);
  g_assert_nonnull (strstr (text, "high-water-mark=0.9\n"));
  g_assert_nonnull (strstr (text, "leak-sites=true\n"));
  g_key_file_free (g_steal_pointer (&key_file));
  key_file = g_key_file_new ();
  g_assert_true (g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, NULL));
  g_assert_true (nm_memory_config_builder_load_key_file (again, key_file, "requests", &error));
  reloaded = nm_memory_config_builder_build (again, &error);
  g_assert_no_error (error);
  g_assert_true (nm_memory_config_equal (config, reloaded));

  /* The same from setters; 1 is a valid mark, and another mark is another
   * configuration. */
  nm_memory_config_builder_set_leak_sites (
    nm_memory_config_builder_set_high_water_mark (
      nm_memory_config_builder_set_capacity (
        nm_memory_config_builder_set_name (
          nm_memory_config_builder_set_kind (set, NM_ALLOCATOR_KIND_BUMP), "requests"),
        64 * 1024),
      0.9),
    TRUE);
  from_setters = nm_memory_config_builder_build (set, &error);
  g_assert_no_error (error);
  g_assert_true (nm_memory_config_equal (config, from_setters));
  g_clear_object (&from_setters);
  nm_memory_config_builder_set_high_water_mark (set, 1.0);
  from_setters = nm_memory_config_builder_build (set, &error);
  g_assert_cmpfloat (nm_memory_config_get_high_water_mark (from_setters), ==, 1.0);
  g_assert_false (nm_memory_config_equal (config, from_setters));

  /* A mark with no short decimal form comes back exactly. */
  {
    g_autoptr(NmMemoryConfigBuilder) third = nm_memory_config_builder_new ();
    g_autoptr(NmMemoryConfig) written = NULL;
    g_autoptr(NmMemoryConfig) read = NULL;
    g_autoptr(GKeyFile) third_file = g_key_file_new ();
    g_autofree char *third_text = NULL;

    nm_memory_config_builder_set_high_water_mark (
      nm_memory_config_builder_set_capacity (
        nm_memory_config_builder_set_kind (third, NM_ALLOCATOR_KIND_STACK), 4096),
      1.0 / 3);
    written = nm_memory_config_builder_build (third, &error);
    g_assert_no_error (error);
    third_text = nm_memory_config_to_string (written);
    g_assert_true (g_key_file_load_from_data (third_file, third_text, -1, G_KEY_FILE_NONE, NULL));
    g_clear_object (&third);
    third = nm_memory_config_builder_new ();
    /* No name: the group is "allocator". */
    g_assert_true (nm_memory_config_builder_load_key_file (third, third_file, "allocator", &error));
    g_assert_no_error (error);
    read = nm_memory_config_builder_build (third, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (nm_memory_config_get_high_water_mark (read), ==, 1.0 / 3);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/config/sizes", test_config_sizes);
  g_test_add_func ("/nebula/config/builder/chain", test_config_builder_chain);
  g_test_add_func ("/nebula/config/builder/errors", test_config_builder_errors);
  g_test_add_func ("/nebula/config/properties", test_config_properties);
  g_test_add_func ("/nebula/config/presets", test_config_presets);
  g_test_add_func ("/nebula/config/key-file/load", test_config_key_file);
  g_test_add_func ("/nebula/config/key-file/preset", test_config_key_file_preset);
  g_test_add_func ("/nebula/config/key-file/round-trip", test_config_round_trip);
  g_test_add_func ("/nebula/config/key-file/escapes", test_config_key_file_escapes);
  g_test_add_func ("/nebula/config/key-file/errors", test_config_key_file_errors);
  g_test_add_func ("/nebula/config/key-file/failure-keeps-builder", test_config_load_failure_keeps_builder);
  g_test_add_func ("/nebula/config/to-string", test_config_to_string);
  g_test_add_func ("/nebula/config/observability-keys", test_config_observability_keys);
  g_test_add_func ("/nebula/config/to-string/any-name", test_config_to_string_any_name);
  g_test_add_func ("/nebula/config/key-file/localized", test_config_key_file_localized);
  g_test_add_func ("/nebula/config/plain-construction", test_config_plain_construction);
  g_test_add_func ("/nebula/config/factory/key-file", test_config_factory_key_file);

  return g_test_run ();
}
