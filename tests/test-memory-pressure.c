/* test-memory-pressure.c: NmMemoryPressure driven by an injected GMemoryMonitor
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <sys/mman.h>
#include <unistd.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-test-util.h"

/* A GMemoryMonitor that warns when the test says so. */

#define TEST_TYPE_MONITOR (test_monitor_get_type ())
G_DECLARE_FINAL_TYPE (TestMonitor, test_monitor, TEST, MONITOR, GObject)

struct _TestMonitor
{
  GObject parent_instance;
};

static gboolean
test_monitor_initable_init (GInitable     *initable,
                            GCancellable  *cancellable,
                            GError       **error)
{
  return TRUE;
}

static void
test_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = test_monitor_initable_init;
}

static void
test_monitor_iface_init (GMemoryMonitorInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestMonitor, test_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, test_monitor_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_MEMORY_MONITOR, test_monitor_iface_init))

static void
test_monitor_class_init (TestMonitorClass *klass)
{
}

static void
test_monitor_init (TestMonitor *self)
{
}

static void
test_monitor_warn (TestMonitor                *self,
                   GMemoryMonitorWarningLevel  level)
{
  g_signal_emit_by_name (self, "low-memory-warning", level);
}

/* A cache stand-in: records the levels it was asked to trim for. */
typedef struct
{
  GString *levels;
  guint64  entry_bytes;
  guint    destroyed;
} CacheLog;

static guint64
trim_cache (GObject               *target,
            NmMemoryPressureLevel  level,
            gpointer               user_data)
{
  CacheLog *log = user_data;

  g_assert_true (G_IS_OBJECT (target));
  g_string_append_printf (log->levels, "%d;", level);

  /* Caches drop entries at critical only. */
  return level == NM_MEMORY_PRESSURE_LEVEL_CRITICAL ? log->entry_bytes : 0;
}

static void
cache_destroyed (gpointer user_data)
{
  ((CacheLog *) user_data)->destroyed++;
}

typedef struct
{
  guint                 count;
  NmMemoryPressureLevel level;
  guint64               released;
} Trimmed;

static void
on_trimmed (NmMemoryPressure      *pressure,
            NmMemoryPressureLevel  level,
            guint64                released,
            gpointer               user_data)
{
  Trimmed *trimmed = user_data;

  trimmed->count++;
  trimmed->level = level;
  trimmed->released = released;
}

/* A pool that grew to 16 slabs' worth of blocks, all free again. */
static NmPoolAllocator *
grown_pool (const char *name,
            guint       n_blocks)
{
  g_autoptr(GError) error = NULL;
  NmPoolAllocator *pool = nm_pool_allocator_new_full (name, 64, 16, 64, 64 * 64, FALSE, &error);
  g_autofree gpointer *blocks = g_new (gpointer, n_blocks);

  g_assert_no_error (error);
  for (guint i = 0; i < n_blocks; i++)
    {
      blocks[i] = nm_pool_allocator_alloc (pool, &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < n_blocks; i++)
    nm_pool_allocator_free (pool, blocks[i]);

  return pool;
}

static guint64
reserved_bytes (gpointer allocator)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (allocator));

  return stats->bytes_reserved;
}

static guint64
nm_test_capacity (gpointer allocator)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (allocator));

  return stats->capacity;
}

static void
test_pressure_levels (void)
{
  g_autoptr(TestMonitor) monitor = g_object_new (TEST_TYPE_MONITOR, NULL);
  g_autoptr(NmMemoryPressure) pressure = nm_memory_pressure_new (G_MEMORY_MONITOR (monitor));
  g_autoptr(NmPoolAllocator) pool = grown_pool ("nodes", 1024);
  g_autoptr(GObject) cache = g_object_new (G_TYPE_OBJECT, NULL);
  CacheLog log = { g_string_new (NULL), 4096, 0 };
  Trimmed trimmed = { 0 };
  guint64 before = reserved_bytes (pool);
  guint id;

  g_assert_true (nm_memory_pressure_get_monitor (pressure) == G_MEMORY_MONITOR (monitor));
  nm_memory_pressure_add_allocator (pressure, NM_ALLOCATOR (pool));
  id = nm_memory_pressure_add_target (pressure, cache, trim_cache, &log, cache_destroyed);
  g_assert_cmpuint (id, !=, 0);
  g_assert_cmpuint (nm_memory_pressure_get_n_targets (pressure), ==, 2);
  g_signal_connect (pressure, "trimmed", G_CALLBACK (on_trimmed), &trimmed);

  /* Low: the pool gives back its free slabs, keeping the first (its 64
   * blocks) and one free slab of 64 blocks as a spare. */
  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_LOW);
  g_assert_cmpuint (trimmed.count, ==, 1);
  g_assert_cmpint (trimmed.level, ==, NM_MEMORY_PRESSURE_LEVEL_LOW);
  g_assert_cmpuint (trimmed.released, >, 0);
  g_assert_cmpuint (reserved_bytes (pool), ==, before - trimmed.released);
  g_assert_cmpuint (nm_test_capacity (pool), ==, 2 * 64 * 64);
  g_assert_cmpstr (log.levels->str, ==, "0;");

  /* Medium: the spare slab goes too; the cache keeps its entries. */
  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM);
  g_assert_cmpuint (trimmed.count, ==, 2);
  g_assert_cmpint (trimmed.level, ==, NM_MEMORY_PRESSURE_LEVEL_MEDIUM);
  g_assert_cmpuint (trimmed.released, ==, 64 * 64);
  g_assert_cmpuint (nm_test_capacity (pool), ==, 64 * 64);
  g_assert_cmpstr (log.levels->str, ==, "0;1;");

  /* Critical: the cache drops entries. */
  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL);
  g_assert_cmpint (trimmed.level, ==, NM_MEMORY_PRESSURE_LEVEL_CRITICAL);
  g_assert_cmpuint (trimmed.released, ==, 4096);
  g_assert_cmpstr (log.levels->str, ==, "0;1;2;");

  /* The pool still serves, and grows into the trimmed slabs again. */
  nm_test_assert_still_works (pool, 64, 16);

  /* On demand, without the monitor. */
  g_assert_cmpuint (nm_memory_pressure_trim (pressure, NM_MEMORY_PRESSURE_LEVEL_CRITICAL), ==, 4096);
  g_assert_cmpuint (trimmed.count, ==, 4);

  g_assert_true (nm_memory_pressure_remove_target (pressure, id));
  g_assert_cmpuint (log.destroyed, ==, 1);
  g_assert_false (nm_memory_pressure_remove_target (pressure, id));
  g_assert_true (nm_memory_pressure_remove_allocator (pressure, NM_ALLOCATOR (pool)));
  g_assert_false (nm_memory_pressure_remove_allocator (pressure, NM_ALLOCATOR (pool)));
  g_assert_cmpuint (nm_memory_pressure_get_n_targets (pressure), ==, 0);

  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL);
  g_assert_cmpstr (log.levels->str, ==, "0;1;2;2;");
  g_assert_cmpuint (trimmed.released, ==, 0);

  g_string_free (log.levels, TRUE);
}

static guint64
budget_used (NmMemoryBudget *budget)
{
  return nm_memory_budget_get_used (budget);
}

static void
fill_arena (NmAllocator *alloc,
            gsize        first,
            gsize        second)
{
  g_autoptr(GError) error = NULL;
  gpointer a = nm_allocator_alloc (alloc, first, 8, &error);
  gpointer b = nm_allocator_alloc (alloc, second, 8, &error);

  g_assert_no_error (error);
  memset (a, 0x5a, first);
  memset (b, 0xa5, second);
}

/* A bump arena's reset keeps its largest released chunk as a spare that
 * the next growth takes back; low pressure keeps it, medium and critical
 * pressure and nm_allocator_trim() give it back. Capacity stays the first
 * chunk's; the spare shows in the budget and the reserved bytes. */
static void
test_pressure_bump_levels (void)
{
  g_autoptr(TestMonitor) monitor = g_object_new (TEST_TYPE_MONITOR, NULL);
  g_autoptr(NmMemoryPressure) pressure = nm_memory_pressure_new (G_MEMORY_MONITOR (monitor));
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("arena", 16 * 1024 * 1024, NULL);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;
  Trimmed trimmed = { 0 };
  guint chunks = 0;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 4096);
  nm_memory_config_builder_set_max_capacity (builder, 1024 * 1024);
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  nm_memory_pressure_add_allocator (pressure, alloc);
  g_signal_connect (pressure, "trimmed", G_CALLBACK (on_trimmed), &trimmed);

  /* 4 KiB, then chunks of 8 and 16 KiB. */
  fill_arena (alloc, 3000, 7000);
  fill_arena (alloc, 10000, 8);
  g_assert_cmpuint (budget_used (budget), ==, 4096 + 8192 + 16384);

  /* The reset keeps the 16 KiB chunk, outside the capacity. */
  nm_allocator_reset (alloc);
  g_object_get (alloc, "chunk-count", &chunks, NULL);
  g_assert_cmpuint (chunks, ==, 1);
  g_assert_cmpuint (nm_test_capacity (alloc), ==, 4096);
  g_assert_cmpuint (reserved_bytes (alloc), ==, 4096 + 16384 + 2 * 64);
  g_assert_cmpuint (budget_used (budget), ==, 4096 + 16384);

  /* The next cycle grows into the spare: no memory from the system. */
  fill_arena (alloc, 3000, 7000);
  g_assert_cmpuint (nm_test_capacity (alloc), ==, 4096 + 16384);
  g_assert_cmpuint (budget_used (budget), ==, 4096 + 16384);
  nm_allocator_reset (alloc);
  g_assert_cmpuint (budget_used (budget), ==, 4096 + 16384);

  /* Low keeps the spare; medium gives it back. */
  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_LOW);
  g_assert_cmpint (trimmed.level, ==, NM_MEMORY_PRESSURE_LEVEL_LOW);
  g_assert_cmpuint (trimmed.released, ==, 0);
  g_assert_cmpuint (budget_used (budget), ==, 4096 + 16384);

  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM);
  g_assert_cmpint (trimmed.level, ==, NM_MEMORY_PRESSURE_LEVEL_MEDIUM);
  g_assert_cmpuint (trimmed.released, ==, 16384);
  g_assert_cmpuint (budget_used (budget), ==, 4096);
  g_assert_cmpuint (reserved_bytes (alloc), ==, 4096 + 64);
  g_assert_cmpuint (nm_test_capacity (alloc), ==, 4096);

  /* Nothing left to give at critical; the arena grows from the system. */
  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL);
  g_assert_cmpuint (trimmed.released, ==, 0);
  fill_arena (alloc, 3000, 7000);
  g_assert_cmpuint (budget_used (budget), ==, 4096 + 8192);
  nm_allocator_reset (alloc);
  g_assert_cmpuint (budget_used (budget), ==, 4096 + 8192);
  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL);
  g_assert_cmpint (trimmed.level, ==, NM_MEMORY_PRESSURE_LEVEL_CRITICAL);
  g_assert_cmpuint (trimmed.released, ==, 8192);

  /* nm_allocator_trim() is the medium trim, on demand. */
  fill_arena (alloc, 3000, 7000);
  nm_allocator_reset (alloc);
  g_assert_cmpuint (nm_allocator_trim (alloc), ==, 8192);
  g_assert_cmpuint (budget_used (budget), ==, 4096);
  nm_test_assert_still_works (alloc, 64, 16);
}

/* Resident pages of [mem, mem + size), whole pages only. */
static gsize
resident_pages (gpointer mem,
                gsize    size)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  guintptr start = ((guintptr) mem + page - 1) & ~(guintptr) (page - 1);
  guintptr end = ((guintptr) mem + size) & ~(guintptr) (page - 1);
  g_autofree guchar *in_core = NULL;
  gsize n = 0;

  g_assert_cmpuint (end, >, start);
  in_core = g_malloc ((end - start) / page);
  g_assert_cmpint (mincore ((void *) start, end - start, in_core), ==, 0);
  for (gsize i = 0; i < (end - start) / page; i++)
    n += in_core[i] & 1;

  return n;
}

/* A stack keeps its whole region under low pressure; medium gives back
 * the pages above the top, which stay the stack's: capacity unchanged,
 * usable again at once. */
static void
test_pressure_stack_levels (void)
{
  g_autoptr(TestMonitor) monitor = g_object_new (TEST_TYPE_MONITOR, NULL);
  g_autoptr(NmMemoryPressure) pressure = nm_memory_pressure_new (G_MEMORY_MONITOR (monitor));
  g_autoptr(GError) error = NULL;
  g_autoptr(NmStackAllocator) stack = nm_stack_allocator_new (1024 * 1024, &error);
  gsize size = 512 * 1024, pages;
  Trimmed trimmed = { 0 };
  guint8 *mem;

  g_assert_no_error (error);
  nm_memory_pressure_add_allocator (pressure, NM_ALLOCATOR (stack));
  g_signal_connect (pressure, "trimmed", G_CALLBACK (on_trimmed), &trimmed);

  mem = nm_stack_allocator_alloc (stack, size, 16, &error);
  g_assert_no_error (error);
  memset (mem, 0x5a, size);
  pages = resident_pages (mem, size);
  g_assert_cmpuint (pages, >, 100);
  nm_stack_allocator_free (stack, mem);

  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_LOW);
  g_assert_cmpuint (trimmed.released, ==, 0);
  g_assert_cmpuint (resident_pages (mem, size), ==, pages);

  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM);
  g_assert_cmpuint (trimmed.released, >=, pages * (gsize) sysconf (_SC_PAGESIZE));
  g_assert_cmpuint (resident_pages (mem, size), ==, 0);
  g_assert_cmpuint (nm_test_capacity (stack), ==, 1024 * 1024);

  /* Usable at once, zero-filled. */
  mem = nm_stack_allocator_alloc (stack, size, 16, &error);
  g_assert_no_error (error);
  memset (mem, 0x33, size);
  g_assert_cmpuint (mem[size - 1], ==, 0x33);
  nm_stack_allocator_free (stack, mem);
}

static void
test_pressure_weak_targets (void)
{
  g_autoptr(TestMonitor) monitor = g_object_new (TEST_TYPE_MONITOR, NULL);
  g_autoptr(NmMemoryPressure) pressure = nm_memory_pressure_new (G_MEMORY_MONITOR (monitor));
  NmPoolAllocator *pool = grown_pool ("short-lived", 256);
  GObject *cache = g_object_new (G_TYPE_OBJECT, NULL);
  CacheLog log = { g_string_new (NULL), 0, 0 };
  GWeakRef weak;

  g_weak_ref_init (&weak, pool);
  nm_memory_pressure_add_allocator (pressure, NM_ALLOCATOR (pool));
  nm_memory_pressure_add_target (pressure, cache, trim_cache, &log, cache_destroyed);

  /* Registering keeps nothing alive. */
  g_object_unref (pool);
  g_assert_null (g_weak_ref_get (&weak));
  g_object_unref (cache);

  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL);
  g_assert_cmpstr (log.levels->str, ==, "");
  g_assert_cmpuint (log.destroyed, ==, 1);
  g_assert_cmpuint (nm_memory_pressure_get_n_targets (pressure), ==, 0);

  g_weak_ref_clear (&weak);
  g_string_free (log.levels, TRUE);
}

static void
test_pressure_level_mapping (void)
{
  g_assert_cmpint (nm_memory_pressure_level_from_warning (G_MEMORY_MONITOR_WARNING_LEVEL_LOW), ==,
                   NM_MEMORY_PRESSURE_LEVEL_LOW);
  g_assert_cmpint (nm_memory_pressure_level_from_warning (99), ==, NM_MEMORY_PRESSURE_LEVEL_LOW);
  g_assert_cmpint (nm_memory_pressure_level_from_warning (G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM), ==,
                   NM_MEMORY_PRESSURE_LEVEL_MEDIUM);
  g_assert_cmpint (nm_memory_pressure_level_from_warning (G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL), ==,
                   NM_MEMORY_PRESSURE_LEVEL_CRITICAL);
}

static void
test_pressure_monitor_swap (void)
{
  g_autoptr(TestMonitor) first = g_object_new (TEST_TYPE_MONITOR, NULL);
  g_autoptr(TestMonitor) second = g_object_new (TEST_TYPE_MONITOR, NULL);
  g_autoptr(NmMemoryPressure) pressure = nm_memory_pressure_new (G_MEMORY_MONITOR (first));
  g_autoptr(GObject) cache = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GString) notified = g_string_new (NULL);
  CacheLog log = { g_string_new (NULL), 0, 0 };

  nm_memory_pressure_add_target (pressure, cache, trim_cache, &log, NULL);
  nm_test_log_notify (pressure, notified);
  nm_memory_pressure_set_monitor (pressure, G_MEMORY_MONITOR (second));
  g_assert_cmpuint (nm_test_count_notify (notified, "monitor"), ==, 1);
  nm_memory_pressure_set_monitor (pressure, G_MEMORY_MONITOR (second));
  g_assert_cmpuint (nm_test_count_notify (notified, "monitor"), ==, 1);

  /* The old monitor is no longer followed. */
  test_monitor_warn (first, G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL);
  g_assert_cmpstr (log.levels->str, ==, "");
  test_monitor_warn (second, G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM);
  g_assert_cmpstr (log.levels->str, ==, "1;");

  g_string_free (log.levels, TRUE);
}

/* trim-on-pressure=true: the factory registers the allocator with the
 * default instance, which follows the injected monitor. */
static void
test_pressure_from_config (void)
{
  g_autoptr(TestMonitor) monitor = g_object_new (TEST_TYPE_MONITOR, NULL);
  NmMemoryPressure *pressure = nm_memory_pressure_get_default ();
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(NmAllocator) pool = NULL;
  g_autoptr(NmAllocator) plain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gpointer *blocks = g_new (gpointer, 512);
  Trimmed trimmed = { 0 };
  gulong handler;
  guint64 before;

  g_assert_true (pressure == nm_memory_pressure_get_default ());
  nm_memory_pressure_set_monitor (pressure, G_MEMORY_MONITOR (monitor));

  g_key_file_load_from_data (key_file,
                             "[nodes]\nkind=pool\nblock-size=64\nblock-count=64\n"
                             "max-block-count=4096\ntrim-on-pressure=true\n"
                             "[plain]\nkind=pool\nblock-size=64\nblock-count=64\n"
                             "max-block-count=4096\n", -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  pool = nm_allocator_new_from_key_file (key_file, "nodes", &error);
  g_assert_no_error (error);
  plain = nm_allocator_new_from_key_file (key_file, "plain", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nm_memory_pressure_get_n_targets (pressure), ==, 1);

  for (guint i = 0; i < 512; i++)
    blocks[i] = nm_allocator_alloc (pool, 64, 16, &error);
  for (guint i = 0; i < 512; i++)
    nm_allocator_free (pool, blocks[i], 64, 16);
  before = reserved_bytes (pool);

  handler = g_signal_connect (pressure, "trimmed", G_CALLBACK (on_trimmed), &trimmed);
  test_monitor_warn (monitor, G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM);
  g_assert_cmpuint (trimmed.count, ==, 1);
  g_assert_cmpuint (trimmed.released, >, 0);
  g_assert_cmpuint (reserved_bytes (pool), ==, before - trimmed.released);
  g_signal_handler_disconnect (pressure, handler);

  g_clear_object (&pool);
  g_assert_cmpuint (nm_memory_pressure_get_n_targets (pressure), ==, 0);
  nm_memory_pressure_set_monitor (pressure, NULL);
}

static void
test_pressure_bad_input (void)
{
  g_autoptr(NmMemoryPressure) pressure = nm_memory_pressure_new (NULL);
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);

  /* Nothing registered: nothing taken from the platform yet. */
  g_assert_null (nm_memory_pressure_get_monitor (pressure));

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_ALLOCATOR*");
  nm_memory_pressure_add_allocator (pressure, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_cmpuint (nm_memory_pressure_add_target (pressure, object, NULL, NULL, NULL), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*G_IS_MEMORY_MONITOR*");
  nm_memory_pressure_set_monitor (pressure, (GMemoryMonitor *) object);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*level <= NM_MEMORY_PRESSURE_LEVEL_CRITICAL*");
  g_assert_cmpuint (nm_memory_pressure_trim (pressure, 7), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_PRESSURE*");
  g_assert_cmpuint (nm_memory_pressure_trim (NULL, NM_MEMORY_PRESSURE_LEVEL_LOW), ==, 0);
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/pressure/levels", test_pressure_levels);
  g_test_add_func ("/nebula/pressure/levels/bump", test_pressure_bump_levels);
  g_test_add_func ("/nebula/pressure/levels/stack", test_pressure_stack_levels);
  g_test_add_func ("/nebula/pressure/weak-targets", test_pressure_weak_targets);
  g_test_add_func ("/nebula/pressure/level-mapping", test_pressure_level_mapping);
  g_test_add_func ("/nebula/pressure/monitor-swap", test_pressure_monitor_swap);
  g_test_add_func ("/nebula/pressure/from-config", test_pressure_from_config);
  g_test_add_func ("/nebula/pressure/bad-input", test_pressure_bad_input);

  return g_test_run ();
}
