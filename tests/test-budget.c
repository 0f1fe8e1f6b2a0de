/* test-budget.c: NmMemoryBudget, budgets in configurations, charging in the backing layer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <time.h>

#include <nebula-memory/nebula-memory.h>

#include "nm-backing-private.h"
#include "nm-memory-budget-private.h"
#include "nm-memory-config-private.h"
#include "nm-test-util.h"
#include "nm-bump-allocator-private.h"
#include "nm-pool-allocator-private.h"
#include "nm-stack-allocator-private.h"

#define KiB (G_GUINT64_CONSTANT (1024))
#define MiB (1024 * KiB)

static GKeyFile *
key_file_from (const char *text)
{
  g_autoptr(GError) error = NULL;
  GKeyFile *key_file = g_key_file_new ();

  g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  return key_file;
}

/* Records "high:<used>;" and "refused;" in order. */
static void
on_high_crossed (NmMemoryBudget *budget,
                 guint64         used,
                 gpointer        user_data)
{
  g_string_append_printf (user_data, "high:%s;", nm_memory_budget_get_name (budget));
}

static void
test_budget_new (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 4 * MiB, NULL);
  g_autoptr(NmMemoryBudget) child = nm_memory_budget_new_full ("requests", MiB, 768 * KiB, 64 * KiB, root);
  g_autoptr(NmMemoryBudget) plain = g_object_new (NM_TYPE_MEMORY_BUDGET, NULL);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(NmMemoryBudget) parent = NULL;
  guint64 limit, high, cap, used, peak;

  g_assert_cmpstr (nm_memory_budget_get_name (root), ==, "process");
  g_assert_cmpstr (nm_memory_budget_get_path (root), ==, "process");
  g_assert_null (nm_memory_budget_get_parent (root));
  g_assert_cmpstr (nm_memory_budget_get_path (child), ==, "process/requests");
  g_assert_true (nm_memory_budget_get_parent (child) == root);

  g_object_get (child, "name", &name, "path", &path, "parent", &parent,
                "limit", &limit, "high", &high, "max-request", &cap,
                "used", &used, "peak", &peak, NULL);
  g_assert_cmpstr (name, ==, "requests");
  g_assert_cmpstr (path, ==, "process/requests");
  g_assert_true (parent == root);
  g_assert_cmpuint (limit, ==, MiB);
  g_assert_cmpuint (high, ==, 768 * KiB);
  g_assert_cmpuint (cap, ==, 64 * KiB);
  g_assert_cmpuint (used, ==, 0);
  g_assert_cmpuint (peak, ==, 0);

  /* The documented defaults of a binding's constructor. */
  g_assert_cmpstr (nm_memory_budget_get_name (plain), ==, "budget");
  g_assert_cmpuint (nm_memory_budget_get_limit (plain), ==, NM_MEMORY_BUDGET_UNLIMITED);
  g_assert_cmpuint (nm_memory_budget_get_high (plain), ==, 0);
  g_assert_cmpuint (nm_memory_budget_get_max_request (plain), ==, 0);
  g_assert_null (nm_memory_budget_get_parent (plain));
  g_assert_true (nm_memory_budget_charge (plain, G_MAXUINT64 / 2, NULL));
  nm_memory_budget_uncharge (plain, G_MAXUINT64 / 2);
}

static void
test_budget_tree_charge (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 10 * KiB, NULL);
  g_autoptr(NmMemoryBudget) a = nm_memory_budget_new ("a", 8 * KiB, root);
  g_autoptr(NmMemoryBudget) b = nm_memory_budget_new ("b", 6 * KiB, root);
  g_autoptr(NmMemoryBudget) leaf = nm_memory_budget_new ("leaf", 8 * KiB, a);
  g_autoptr(GError) error = NULL;

  g_assert_true (nm_memory_budget_charge (leaf, 3 * KiB, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nm_memory_budget_get_used (leaf), ==, 3 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (a), ==, 3 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 3 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (b), ==, 0);

  g_assert_true (nm_memory_budget_charge (b, 5 * KiB, &error));
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 8 * KiB);

  /* The root has 2 KiB left: a 3 KiB charge to the leaf fits the leaf and
   * a, and is refused by the root; nothing stays charged anywhere. */
  g_assert_false (nm_memory_budget_charge (leaf, 3 * KiB, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_test_message ("%s", error->message);
  g_assert_cmpstr (error->message, ==, "Memory budget “process” refused 3.1 kB (3072 bytes): "
                                       "8.2 kB of 10.2 kB used (80.0 %), limit 10240 bytes. "
                                       "Raise the budget's limit, or give back memory charged to it.");
  g_assert_cmpuint (nm_memory_budget_get_used (leaf), ==, 3 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (a), ==, 3 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 8 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (root), ==, 1);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (leaf), ==, 0);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (a), ==, 0);
  g_clear_error (&error);

  /* Exactly up to the limit is allowed. */
  g_assert_true (nm_memory_budget_charge (leaf, 2 * KiB, NULL));
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 10 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (leaf), ==, 5 * KiB);

  /* The leaf's own limit, checked first and named by its path. */
  g_assert_false (nm_memory_budget_charge (leaf, 4 * KiB, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "Memory budget “process/a/leaf” refused 4.1 kB (4096 bytes)"));
  g_assert_cmpuint (nm_memory_budget_get_refused_count (leaf), ==, 1);
  g_clear_error (&error);

  nm_memory_budget_uncharge (leaf, 5 * KiB);
  nm_memory_budget_uncharge (b, 5 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 0);
  g_assert_cmpuint (nm_memory_budget_get_used (a), ==, 0);
  g_assert_cmpuint (nm_memory_budget_get_peak (root), ==, 10 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_peak (leaf), ==, 5 * KiB);

  /* A charge of 0 always succeeds. */
  g_assert_true (nm_memory_budget_charge (leaf, 0, NULL));
}

static void
test_budget_child_larger (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 4 * KiB, NULL);
  g_autoptr(NmMemoryBudget) child = nm_memory_budget_new ("greedy", 64 * KiB, root);
  g_autoptr(GError) error = NULL;

  /* Allowed, and bounded by the parent. */
  g_assert_nonnull (child);
  g_assert_true (nm_memory_budget_charge (child, 4 * KiB, NULL));
  g_assert_false (nm_memory_budget_charge (child, 1, &error));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "“process”"));
  g_assert_cmpuint (nm_memory_budget_get_used (child), ==, 4 * KiB);
  nm_memory_budget_uncharge (child, 4 * KiB);
}

static void
test_budget_high_before_refusal (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new_full ("process", 8 * KiB, 6 * KiB, 0, NULL);
  g_autoptr(NmMemoryBudget) child = nm_memory_budget_new_full ("requests", 16 * KiB, 2 * KiB, 0, root);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_signal_connect (root, "high-crossed", G_CALLBACK (on_high_crossed), log);
  g_signal_connect (child, "high-crossed", G_CALLBACK (on_high_crossed), log);

  g_assert_true (nm_memory_budget_charge (child, KiB, NULL));
  g_assert_cmpstr (log->str, ==, "");

  /* The child crosses its high mark; synchronously, on this thread. */
  g_assert_true (nm_memory_budget_charge (child, 2 * KiB, NULL));
  g_assert_cmpstr (log->str, ==, "high:requests;");
  g_assert_cmpuint (nm_memory_budget_get_high_count (child), ==, 1);

  /* Edge-triggered: above high, no second signal. */
  g_assert_true (nm_memory_budget_charge (child, KiB, NULL));
  g_assert_cmpstr (log->str, ==, "high:requests;");

  /* From 4 KiB, a 5 KiB charge passes the root's limit and would have
   * reached its high mark: the warning comes first, then the refusal. */
  if (!nm_memory_budget_charge (child, 5 * KiB, &error))
    g_string_append (log, "refused;");
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_assert_cmpstr (log->str, ==, "high:requests;high:process;refused;");
  g_assert_cmpuint (nm_memory_budget_get_high_count (root), ==, 1);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (root), ==, 1);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 4 * KiB);
  g_clear_error (&error);

  /* Hysteresis: the child's high is 2 KiB, armed again below 1792 bytes. */
  nm_memory_budget_uncharge (child, 2 * KiB);           /* 2 KiB: still at high */
  g_assert_true (nm_memory_budget_charge (child, 1, NULL));
  g_assert_cmpuint (nm_memory_budget_get_high_count (child), ==, 1);
  nm_memory_budget_uncharge (child, 1 + 256);           /* 1792: not below */
  g_assert_true (nm_memory_budget_charge (child, 256, NULL));
  g_assert_cmpuint (nm_memory_budget_get_high_count (child), ==, 1);
  nm_memory_budget_uncharge (child, 257);               /* 1791: armed */
  g_assert_true (nm_memory_budget_charge (child, 257, NULL));
  g_assert_cmpuint (nm_memory_budget_get_high_count (child), ==, 2);
  g_assert_cmpstr (log->str, ==, "high:requests;high:process;refused;high:requests;");

  nm_memory_budget_uncharge (child, 2 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 0);
}

static guint
iterate_all (void)
{
  guint dispatched = 0;

  while (g_main_context_iteration (NULL, FALSE))
    dispatched++;

  return dispatched;
}

static void
test_budget_notify (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 8 * KiB, NULL);
  g_autoptr(NmMemoryBudget) child = nm_memory_budget_new ("child", 8 * KiB, root);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GString) root_log = g_string_new (NULL);

  nm_test_log_notify (child, log);
  nm_test_log_notify (root, root_log);

  /* Batched: nothing during the charges, one of each per iteration. */
  for (guint i = 0; i < 10; i++)
    nm_memory_budget_charge (child, 100, NULL);
  g_assert_cmpstr (log->str, ==, "");
  g_assert_cmpuint (iterate_all (), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "used"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "peak"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (root_log, "used"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (root_log, "peak"), ==, 1);

  /* Peak notifies only when it moves. */
  nm_memory_budget_uncharge (child, 500);
  iterate_all ();
  g_assert_cmpuint (nm_test_count_notify (log, "used"), ==, 2);
  g_assert_cmpuint (nm_test_count_notify (log, "peak"), ==, 1);

  /* Values that came back to what was notified are not notified again. */
  nm_memory_budget_charge (child, 100, NULL);
  nm_memory_budget_uncharge (child, 100);
  iterate_all ();
  g_assert_cmpuint (nm_test_count_notify (log, "used"), ==, 2);

  /* A refused charge changes nothing a reader sees. */
  nm_memory_budget_charge (child, 9 * KiB, NULL);
  iterate_all ();
  g_assert_cmpuint (nm_test_count_notify (log, "used"), ==, 2);
  g_assert_cmpuint (nm_test_count_notify (log, "peak"), ==, 1);

  nm_memory_budget_uncharge (child, 500);
}

typedef struct
{
  NmMemoryBudget *budget;
  guint           rounds;
} ChargeJob;

static gpointer
charge_in_thread (gpointer data)
{
  ChargeJob *job = data;

  for (guint i = 0; i < job->rounds; i++)
    {
      g_assert_true (nm_memory_budget_charge (job->budget, KiB, NULL));
      nm_memory_budget_uncharge (job->budget, KiB);
    }
  g_assert_true (nm_memory_budget_charge (job->budget, 3 * KiB, NULL));

  return NULL;
}

static void
test_budget_notify_other_thread (void)
{
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new_full ("worker", 8 * KiB, 2 * KiB, 0, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  ChargeJob job = { budget, 50 };
  GThread *thread;
  guint sources = 0;

  nm_test_log_notify (budget, log);
  g_signal_connect (budget, "high-crossed", G_CALLBACK (on_high_crossed), log);

  thread = g_thread_new ("charger", charge_in_thread, &job);
  g_thread_join (thread);

  /* Nothing ran on the worker: delivery waits for the main context. */
  g_assert_cmpstr (log->str, ==, "");

  /* Batched: one dispatch for everything the worker did. */
  sources = iterate_all ();
  g_assert_cmpuint (sources, ==, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "used"), ==, 1);
  g_assert_cmpuint (nm_test_count_notify (log, "peak"), ==, 1);
  g_assert_nonnull (strstr (log->str, "high:worker;"));
  g_assert_true (g_str_has_prefix (log->str, "high:worker;"));

  nm_memory_budget_uncharge (budget, 3 * KiB);
  iterate_all ();
}

static void
test_budget_notify_after_finalize (void)
{
  NmMemoryBudget *budget = nm_memory_budget_new ("short-lived", 8 * KiB, NULL);
  ChargeJob job = { budget, 1 };
  GThread *thread;

  thread = g_thread_new ("charger", charge_in_thread, &job);
  g_thread_join (thread);

  /* The pending source holds a weak reference: no emission, no crash. */
  nm_memory_budget_uncharge (budget, 3 * KiB);
  g_object_unref (budget);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_budget_describe (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 4 * MiB, NULL);
  g_autoptr(NmMemoryBudget) requests = nm_memory_budget_new_full ("requests", MiB, 512 * KiB, 0, root);
  g_autoptr(NmMemoryBudget) cache = nm_memory_budget_new ("cache", NM_MEMORY_BUDGET_UNLIMITED, root);
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GVariant) children = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) allocators = NULL;
  g_autofree char *text = NULL;
  NmAllocatorCommon common;
  const char *path = NULL;
  guint64 used = 0;

  _nm_allocator_common_init (&common, "Bump allocator", "request-arena", FALSE);
  _nm_backing_set_budget (&common, requests);
  g_assert_true (nm_memory_budget_charge (requests, 600 * KiB, NULL));
  g_assert_true (nm_memory_budget_charge (cache, 100 * KiB, NULL));

  description = nm_memory_budget_describe (root);
  g_assert_true (g_variant_is_of_type (description, G_VARIANT_TYPE_VARDICT));
  g_assert_false (g_variant_is_floating (description));
  g_assert_true (g_variant_lookup (description, "path", "&s", &path));
  g_assert_cmpstr (path, ==, "process");
  g_assert_true (g_variant_lookup (description, "used", "t", &used));
  g_assert_cmpuint (used, ==, 700 * KiB);
  children = g_variant_lookup_value (description, "children", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_cmpuint (g_variant_n_children (children), ==, 2);
  first = g_variant_get_child_value (children, 0);
  g_assert_true (g_variant_lookup (first, "path", "&s", &path));
  g_assert_cmpstr (path, ==, "process/requests");
  allocators = g_variant_lookup_value (first, "allocators", G_VARIANT_TYPE ("a{st}"));
  g_assert_cmpuint (g_variant_n_children (allocators), ==, 1);
  g_assert_true (g_variant_lookup (allocators, "request-arena", "t", &used));
  g_assert_cmpuint (used, ==, 0);
  g_assert_true (g_variant_lookup (first, "high-count", "t", &used));
  g_assert_cmpuint (used, ==, 1);

  text = nm_memory_budget_to_string (root);
  g_test_message ("%s", text);
  g_assert_true (g_str_has_prefix (text, "process: 716.8 kB of 4.2 MB used (17.1 %), peak 716.8 kB, refused 0\n"));
  g_assert_nonnull (strstr (text, "\n  requests: 614.4 kB of 1.0 MB used (58.6 %), peak 614.4 kB, "
                                  "high 524.3 kB (crossed 1 time), refused 0\n"
                                  "    allocator request-arena: 0 bytes\n"));
  g_assert_nonnull (strstr (text, "\n  cache: 102.4 kB used, no limit, peak 102.4 kB, refused 0\n"));

  _nm_allocator_common_clear (&common);
  nm_memory_budget_uncharge (requests, 600 * KiB);
  nm_memory_budget_uncharge (cache, 100 * KiB);

  /* A child that is gone is gone from the tree. */
  g_clear_object (&cache);
  g_clear_pointer (&text, g_free);
  text = nm_memory_budget_to_string (root);
  g_assert_null (strstr (text, "cache"));
  g_assert_null (strstr (text, "request-arena"));
}

static void
test_budget_registry (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("registry-test", MiB, NULL);
  g_autoptr(NmMemoryBudget) child = nm_memory_budget_new ("child", MiB, root);
  g_autoptr(NmMemoryBudget) twin = nm_memory_budget_new ("registry-test", MiB, NULL);
  g_autoptr(NmMemoryBudget) found = NULL;

  g_assert_null (nm_memory_budget_lookup ("registry-test/child"));
  g_assert_true (nm_memory_budget_register (child));
  g_assert_true (nm_memory_budget_register (child));
  g_assert_true (nm_memory_budget_register (root));
  g_assert_false (nm_memory_budget_register (twin));

  found = nm_memory_budget_lookup ("registry-test/child");
  g_assert_true (found == child);
  g_clear_object (&found);

  g_assert_false (nm_memory_budget_unregister (twin));
  g_assert_true (nm_memory_budget_unregister (child));
  g_assert_false (nm_memory_budget_unregister (child));
  g_assert_null (nm_memory_budget_lookup ("registry-test/child"));
  g_assert_true (nm_memory_budget_unregister (root));
}

static void
test_budget_key_file (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("app", 4 * MiB, NULL);
  g_autoptr(NmMemoryBudget) requests = nm_memory_budget_new ("requests", MiB, root);
  g_autoptr(GKeyFile) key_file = key_file_from ("[arena]\nkind=bump\ncapacity=64KiB\n"
                                                "budget=app/requests\ntrim-on-pressure=true\n"
                                                "[lost]\nkind=bump\ncapacity=64KiB\nbudget=app/nowhere\n");
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfigBuilder) again = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmMemoryConfig) reloaded = NULL;
  g_autoptr(NmMemoryConfig) other = NULL;
  g_autoptr(GKeyFile) saved = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  NmMemoryBudget *from_property = NULL;

  /* Unregistered: a named INVALID_VALUE, the builder unchanged. */
  g_assert_false (nm_memory_config_builder_load_key_file (builder, key_file, "arena", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "Group “arena”, key “budget”: “app/requests”"));
  g_clear_error (&error);

  g_assert_true (nm_memory_budget_register (requests));
  g_assert_false (nm_memory_config_builder_load_key_file (builder, key_file, "lost", &error));
  g_assert_error (error, NM_CONFIG_ERROR, NM_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "Group “lost”, key “budget”: “app/nowhere” is not valid"));
  g_clear_error (&error);

  g_assert_true (nm_memory_config_builder_load_key_file (builder, key_file, "arena", &error));
  g_assert_no_error (error);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_true (nm_memory_config_get_budget (config) == requests);
  g_assert_true (nm_memory_config_get_trim_on_pressure (config));
  g_object_get (config, "budget", &from_property, NULL);
  g_assert_true (from_property == requests);
  g_object_unref (from_property);

  /* Saved as its path; read back into an equal configuration. */
  nm_memory_config_save_to_key_file (config, saved, "arena");
  path = g_key_file_get_string (saved, "arena", "budget", NULL);
  g_assert_cmpstr (path, ==, "app/requests");
  g_assert_true (g_key_file_get_boolean (saved, "arena", "trim-on-pressure", NULL));
  g_assert_true (nm_memory_config_builder_load_key_file (again, saved, "arena", &error));
  reloaded = nm_memory_config_builder_build (again, &error);
  g_assert_no_error (error);
  g_assert_true (nm_memory_config_equal (config, reloaded));

  /* Another budget is another configuration. */
  nm_memory_config_builder_set_budget (again, root);
  other = nm_memory_config_builder_build (again, &error);
  g_assert_false (nm_memory_config_equal (config, other));
  nm_memory_config_builder_set_budget (again, NULL);
  g_clear_object (&other);
  other = nm_memory_config_builder_build (again, &error);
  g_assert_null (nm_memory_config_get_budget (other));

  /* The configuration keeps its budget alive, registry or not. */
  g_assert_true (nm_memory_budget_unregister (requests));
  g_clear_object (&builder);
  g_clear_object (&requests);
  g_assert_cmpstr (nm_memory_budget_get_path (nm_memory_config_get_budget (config)), ==, "app/requests");
}

static void
test_budget_bad_input (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("root", KiB, NULL);
  g_autoptr(GObject) not_a_budget = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  NmMemoryBudget *budget;

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*name_is_valid*");
  g_assert_null (nm_memory_budget_new (NULL, KiB, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*name_is_valid*");
  g_assert_null (nm_memory_budget_new ("", KiB, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*name_is_valid*");
  g_assert_null (nm_memory_budget_new ("a/b", KiB, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*limit_is_valid*");
  g_assert_null (nm_memory_budget_new ("zero", 0, NULL));
  g_test_assert_expected_messages ();

  /* -1024 as an unsigned number: absurd. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*limit_is_valid*");
  g_assert_null (nm_memory_budget_new ("negative", (guint64) -1024, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*high <= limit*");
  g_assert_null (nm_memory_budget_new_full ("high", KiB, 2 * KiB, 0, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_BUDGET (parent)*");
  g_assert_null (nm_memory_budget_new ("orphan", KiB, (NmMemoryBudget *) not_a_budget));
  g_test_assert_expected_messages ();

  /* A binding's constructor gets a budget that works, and one critical. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*high 2048 is above its limit 1024*");
  budget = g_object_new (NM_TYPE_MEMORY_BUDGET, "name", "high", "limit", KiB, "high", 2 * KiB, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (nm_memory_budget_get_high (budget), ==, 0);
  g_assert_true (nm_memory_budget_charge (budget, KiB, NULL));
  nm_memory_budget_uncharge (budget, KiB);
  g_object_unref (budget);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*name “a/b” is not valid*");
  budget = g_object_new (NM_TYPE_MEMORY_BUDGET, "name", "a/b", NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (nm_memory_budget_get_path (budget), ==, "budget");
  g_object_unref (budget);

  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*is absurd*");
  budget = g_object_new (NM_TYPE_MEMORY_BUDGET, "limit", G_MAXUINT64 - 1, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (nm_memory_budget_get_limit (budget), ==, NM_MEMORY_BUDGET_MAX_LIMIT);
  g_object_unref (budget);

  /* NULL arguments. */
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_BUDGET*");
  g_assert_false (nm_memory_budget_charge (NULL, 1, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_BUDGET*");
  nm_memory_budget_uncharge (NULL, 1);
  g_test_assert_expected_messages ();
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_BUDGET*");
  g_assert_null (nm_memory_budget_describe (NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_BUDGET*");
  g_assert_null (nm_memory_budget_to_string (NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_BUDGET*");
  g_assert_false (nm_memory_budget_register (NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*path != NULL*");
  g_assert_null (nm_memory_budget_lookup (NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*NM_IS_MEMORY_BUDGET (budget)*");
  g_assert_null (nm_memory_config_builder_set_budget (builder, (NmMemoryBudget *) not_a_budget));
  g_test_assert_expected_messages ();

  /* Giving back more than was charged: one critical, the use floors at 0. */
  g_assert_true (nm_memory_budget_charge (root, 10, NULL));
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*20 bytes given back but only 10 charged*");
  nm_memory_budget_uncharge (root, 20);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 0);

  /* In a tree: one critical, and the ancestors lose only what the budget had. */
  {
    g_autoptr(NmMemoryBudget) child = nm_memory_budget_new ("child", KiB, root);

    g_assert_true (nm_memory_budget_charge (root, 100, NULL));
    g_assert_true (nm_memory_budget_charge (child, 10, NULL));
    g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*“root/child”: 20 bytes given back but only 10*");
    nm_memory_budget_uncharge (child, 20);
    g_test_assert_expected_messages ();
    g_assert_cmpuint (nm_memory_budget_get_used (child), ==, 0);
    g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 100);
    nm_memory_budget_uncharge (root, 100);
  }
}

static void
test_budget_finalize_child_with_charges (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("root", MiB, NULL);
  NmMemoryBudget *child = nm_memory_budget_new ("child", MiB, root);

  g_assert_true (nm_memory_budget_charge (child, 100, NULL));
  g_object_unref (child);
  /* What the child never gave back is not stuck in its ancestors. */
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 0);
}

/* The backing layer */

static void
test_budget_backing_alloc (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 64 * KiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("requests", 48 * KiB, root);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  NmAllocatorCommon common;
  gpointer chunks[4];

  nm_memory_config_builder_set_capacity (nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP), 16 * KiB);
  nm_memory_config_builder_set_name (builder, "arena");
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, NULL);

  _nm_allocator_common_init (&common, "Bump allocator", NULL, FALSE);
  _nm_allocator_common_apply_config (&common, config);
  g_assert_true (common.budget == budget);

  /* The usable bytes are charged, as they are counted. */
  for (guint i = 0; i < 3; i++)
    {
      chunks[i] = _nm_backing_alloc (&common, 64, 16 * KiB);
      g_assert_nonnull (chunks[i]);
    }
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 48 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 48 * KiB);
  g_assert_cmpuint (_nm_backing_bytes (&common), ==, 48 * KiB);

  /* The next chunk would pass the limit: refused before any memory is
   * taken, recorded for the failure report, nothing counted. */
  chunks[3] = _nm_backing_alloc (&common, 64, 1);
  g_assert_null (chunks[3]);
  g_assert_cmpuint (_nm_backing_bytes (&common), ==, 48 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 48 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (budget), ==, 1);
  g_assert_true (common.refusal.thread == g_thread_self ());
  g_assert_cmpstr (common.refusal.what.path, ==, "process/requests");
  g_assert_cmpuint (common.refusal.what.request, ==, 1);

  _nm_backing_free (&common, chunks[0], 64, 16 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 32 * KiB);
  chunks[0] = _nm_backing_alloc (&common, 64, 16 * KiB);
  g_assert_nonnull (chunks[0]);

  /* Finalizing the allocator uncharges what it still held. */
  _nm_backing_free (&common, chunks[0], 64, 16 * KiB);
  _nm_backing_free (&common, chunks[1], 64, 16 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 16 * KiB);
  _nm_allocator_common_clear (&common);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 0);
  g_assert_null (common.budget);
  _nm_backing_free (&common, chunks[2], 64, 16 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 0);
}

static void
test_budget_backing_commit (void)
{
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("slabs", 8 * 4096, NULL);
  NmAllocatorCommon common;
  gsize page = nm_page_size;
  guint8 *base;

  if (page != 4096)
    {
      g_test_skip ("needs 4 KiB pages");
      return;
    }

  _nm_allocator_common_init (&common, "Pool allocator", "nodes", FALSE);
  _nm_backing_set_budget (&common, budget);

  /* Address space costs nothing. */
  base = _nm_backing_reserve (&common, 64 * page);
  g_assert_nonnull (base);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 0);

  g_assert_true (_nm_backing_commit (&common, base, 0, 6 * page));
  memset (base, 1, 6 * page);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 6 * page);

  /* Refused: the pages stay inaccessible and uncounted. */
  g_assert_false (_nm_backing_commit (&common, base, 6 * page, 9 * page));
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 6 * page);
  g_assert_cmpuint (_nm_backing_bytes (&common), ==, 6 * page);

  g_assert_true (_nm_backing_commit (&common, base, 6 * page, 8 * page));
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 8 * page);

  _nm_backing_decommit (&common, base, 2 * page, 4 * page);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 6 * page);

  _nm_backing_unreserve (&common, base, 64 * page, 6 * page);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 0);
  g_assert_cmpuint (_nm_backing_bytes (&common), ==, 0);

  _nm_allocator_common_clear (&common);
}

/* A budget is set before the allocator takes memory; later is refused. */
static void
test_budget_backing_attach_late (void)
{
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("late", 64 * KiB, NULL);
  NmAllocatorCommon common;
  gpointer chunk;

  _nm_allocator_common_init (&common, "Bump allocator", "early", FALSE);
  chunk = _nm_backing_alloc (&common, 0, KiB);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_CRITICAL, "*“early” already holds backing memory*");
  _nm_backing_set_budget (&common, budget);
  g_test_assert_expected_messages ();
  g_assert_null (common.budget);
  _nm_backing_free (&common, chunk, 0, KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 0);
  _nm_allocator_common_clear (&common);
}

/* A bump arena whose chunks are charged to @budget from the start. */
static NmBumpAllocator *
new_arena_in_budget (NmMemoryBudget *budget,
                     gsize           capacity)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *arena;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_name (builder, "bump");
  nm_memory_config_builder_set_capacity (builder, capacity);
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  arena = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  return NM_BUMP_ALLOCATOR (arena);
}

static void
test_budget_backing_fail_report (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 4 * KiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new_full ("requests", 4 * KiB, 0, 2 * KiB, root);
  g_autoptr(NmBumpAllocator) arena = new_arena_in_budget (budget, KiB);
  NmAllocatorCommon *common = _nm_allocator_get_common (NM_ALLOCATOR (arena));
  NmFailureInfo info = { .size = 3000, .alignment = 8, .used = 0, .capacity = KiB };
  NmTestFailures failures = { 0 };
  g_autoptr(GError) error = NULL;
  gpointer mem;

  nm_test_watch_failures (arena, &failures);
  /* The arena's first chunk is charged already. */
  g_assert_true (common->budget == budget);
  g_assert_cmpuint (_nm_backing_bytes (common), ==, KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, KiB);
  g_assert_cmpuint (common->max_request, ==, 2 * KiB);

  /* Within the cap: a cheap yes. Above it: refused, counted, named. */
  g_assert_true (_nm_backing_request_allowed (common, 2 * KiB));
  g_assert_false (_nm_backing_request_allowed (common, 3000));
  g_assert_null (_nm_allocator_fail_backing (NM_ALLOCATOR (arena), common, &error, &info));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "Bump allocator “bump” cannot allocate 3000 bytes (alignment 8): "
                                            "memory budget “process/requests” refuses single requests "
                                            "above 2.0 kB (2048 bytes)"));
  g_assert_cmpuint (failures.count, ==, 1);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (budget), ==, 1);
  g_clear_error (&error);

  /* A refusal by the budget's limit names the limit, use and request. */
  mem = _nm_backing_alloc (common, 0, 2 * KiB);
  g_assert_nonnull (mem);
  g_assert_null (_nm_backing_alloc (common, 0, 2 * KiB));
  info.what = "a new chunk";
  g_assert_null (_nm_allocator_fail_backing (NM_ALLOCATOR (arena), common, &error, &info));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "cannot allocate a new chunk (alignment 8): memory budget "
                                            "“process/requests” refused 2.0 kB (2048 bytes) of backing "
                                            "memory: 3.1 kB of 4.1 kB used (75.0 %), limit 4096 bytes."));
  g_assert_cmpuint (failures.count, ==, 2);
  g_assert_true (failures.last->code == NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_clear_error (&error);

  /* Consumed: the next backing failure is the system's again. */
  g_assert_null (_nm_allocator_fail_backing (NM_ALLOCATOR (arena), common, &error, &info));
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
  g_clear_error (&error);

  _nm_backing_free (common, mem, 0, 2 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, KiB);
  nm_test_failures_clear (&failures);
}

/* An allocator of @kind (capacity, or block size with 16 blocks) charged to
 * @budget. */
static NmAllocator *
new_in_budget (NmAllocatorKind  kind,
               NmMemoryBudget  *budget,
               gsize            size,
               gboolean         thread_safe)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  nm_memory_config_builder_set_kind (builder, kind);
  nm_memory_config_builder_set_name (builder, "capped");
  if (kind == NM_ALLOCATOR_KIND_POOL)
    {
      nm_memory_config_builder_set_block_size (builder, size);
      nm_memory_config_builder_set_block_count (builder, 16);
    }
  else
    nm_memory_config_builder_set_capacity (builder, size);
  nm_memory_config_builder_set_thread_safe (builder, thread_safe);
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  return alloc;
}

static void
assert_over_cap (GError     *error,
                 const char *request)
{
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "“capped” cannot allocate"));
  g_assert_nonnull (strstr (error->message, request));
  g_assert_nonnull (strstr (error->message, "memory budget “process/requests” refuses single "
                                            "requests above 2.0 kB (2048 bytes)"));
}

/* A request above the cap fails through the interface and the direct entry
 * point, is counted on the budget that set the cap, and leaves the arena
 * usable; requests up to the cap are served. */
static void
test_budget_request_cap_bump (gconstpointer data)
{
  gboolean thread_safe = GPOINTER_TO_INT (data);
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", MiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new_full ("requests", MiB, 0, 2 * KiB, root);
  g_autoptr(NmAllocator) alloc = new_in_budget (NM_ALLOCATOR_KIND_BUMP, budget, 64 * KiB, thread_safe);
  NmBumpAllocator *arena = NM_BUMP_ALLOCATOR (alloc);
  NmTestFailures failures = { 0 };
  g_autoptr(GError) error = NULL;

  nm_test_watch_failures (alloc, &failures);
  g_assert_true (arena->fast.slow_flags & NM_SLOW_REQUEST_CAP);

  g_assert_nonnull (nm_bump_allocator_alloc (arena, 2 * KiB, 8, &error));
  g_assert_no_error (error);
  g_assert_null (nm_bump_allocator_alloc (arena, 2 * KiB + 1, 8, &error));
  assert_over_cap (error, "2049 bytes (alignment 8)");
  g_clear_error (&error);
  g_assert_null (nm_allocator_alloc (alloc, 3 * KiB, 16, &error));
  assert_over_cap (error, "3072 bytes (alignment 16)");
  g_clear_error (&error);

  g_assert_cmpuint (failures.count, ==, 2);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (budget), ==, 2);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (root), ==, 0);
  g_assert_nonnull (nm_allocator_alloc (alloc, 64, 8, &error));
  g_assert_no_error (error);
  nm_test_failures_clear (&failures);
}

/* A cap at or above everything the arena's chunks can hold costs the
 * inline path nothing: no slow-path flag. */
static void
test_budget_request_cap_bump_large (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", MiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new_full ("requests", MiB, 0, 64 * KiB, root);
  g_autoptr(NmAllocator) alloc = new_in_budget (NM_ALLOCATOR_KIND_BUMP, budget, 64 * KiB, FALSE);

  g_assert_false (NM_BUMP_ALLOCATOR (alloc)->fast.slow_flags & NM_SLOW_REQUEST_CAP);
}

static void
test_budget_request_cap_stack (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", MiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new_full ("requests", MiB, 0, 2 * KiB, root);
  g_autoptr(NmAllocator) alloc = new_in_budget (NM_ALLOCATOR_KIND_STACK, budget, 64 * KiB, FALSE);
  NmStackAllocator *stack = NM_STACK_ALLOCATOR (alloc);
  g_autoptr(NmAllocatorStats) stats = NULL;
  NmTestFailures failures = { 0 };
  g_autoptr(GError) error = NULL;
  gpointer a, b;

  nm_test_watch_failures (alloc, &failures);
  g_assert_true (stack->fast.slow_flags & NM_SLOW_REQUEST_CAP);

  a = nm_stack_allocator_alloc (stack, 2 * KiB, 8, &error);
  g_assert_no_error (error);
  g_assert_null (nm_stack_allocator_alloc (stack, 2 * KiB + 1, 8, &error));
  assert_over_cap (error, "2049 bytes (alignment 8)");
  g_clear_error (&error);
  g_assert_null (nm_allocator_alloc (alloc, 4 * KiB, 8, &error));
  assert_over_cap (error, "4096 bytes (alignment 8)");
  g_clear_error (&error);
  g_assert_cmpuint (failures.count, ==, 2);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (budget), ==, 2);

  /* Still LIFO and usable: the refused requests pushed nothing. */
  b = nm_stack_allocator_alloc (stack, 100, 8, &error);
  g_assert_no_error (error);
  nm_stack_allocator_free (stack, b);
  nm_stack_allocator_free (stack, a);
  stats = nm_allocator_get_stats (alloc);
  g_assert_cmpuint (stats->bytes_used, ==, 0);
  nm_test_failures_clear (&failures);
}

/* The pool checks its block size against the cap once, at construction:
 * a pool with blocks above the cap refuses every allocation, naming the
 * cap; one with blocks up to the cap never touches it. */
static void
test_budget_request_cap_pool (gconstpointer data)
{
  gboolean thread_safe = GPOINTER_TO_INT (data);
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", MiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new_full ("requests", MiB, 0, 2 * KiB, root);
  g_autoptr(NmAllocator) big = new_in_budget (NM_ALLOCATOR_KIND_POOL, budget, 3 * KiB, thread_safe);
  g_autoptr(NmAllocator) fits = new_in_budget (NM_ALLOCATOR_KIND_POOL, budget, 2 * KiB, thread_safe);
  NmTestFailures failures = { 0 };
  g_autoptr(GError) error = NULL;
  gpointer blk;

  nm_test_watch_failures (big, &failures);
  g_assert_true (NM_POOL_ALLOCATOR (big)->fast.slow_flags & NM_SLOW_REQUEST_CAP);
  g_assert_false (NM_POOL_ALLOCATOR (fits)->fast.slow_flags & NM_SLOW_REQUEST_CAP);

  g_assert_null (nm_pool_allocator_alloc (NM_POOL_ALLOCATOR (big), &error));
  assert_over_cap (error, "3072 bytes");
  g_clear_error (&error);
  g_assert_null (nm_allocator_alloc (big, 16, 8, &error));
  assert_over_cap (error, "3072 bytes");
  g_clear_error (&error);
  g_assert_cmpuint (failures.count, ==, 2);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (budget), ==, 2);

  for (guint i = 0; i < 16; i++)
    {
      blk = nm_pool_allocator_alloc (NM_POOL_ALLOCATOR (fits), &error);
      g_assert_no_error (error);
      g_assert_nonnull (blk);
    }
  g_assert_cmpuint (nm_memory_budget_get_refused_count (budget), ==, 2);
  nm_test_failures_clear (&failures);
}

/* The leak report of the development preset names the budget the
 * allocator is charged to, once, at warning level. */
static void
test_budget_leak_report (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", MiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("requests", MiB, root);
  g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_development (NM_ALLOCATOR_KIND_BUMP);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new_from_config (preset);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  nm_memory_config_builder_set_name (builder, "leaky");
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (nm_allocator_alloc (alloc, 100, 8, &error));

  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING,
                         "Bump allocator “leaky” (memory budget “process/requests”) is disposed "
                         "with 1 live allocation (*");
  g_object_unref (alloc);
  g_test_assert_expected_messages ();
  /* Finalize uncharged every chunk. */
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 0);
}

/* High-water signal */

typedef struct
{
  guint    emissions;
  guint64  crossings;
  GThread *thread;
} HighWaterLog;

static void
on_high_water (NmAllocator *alloc,
               guint64      n_crossings,
               gpointer     user_data)
{
  HighWaterLog *log = user_data;

  log->emissions++;
  log->crossings += n_crossings;
  log->thread = g_thread_self ();
}

static guint64
crossings_of (gpointer alloc)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (NM_ALLOCATOR (alloc));
  guint64 property = 0;

  g_object_get (alloc, "high-water-crossings", &property, NULL);
  g_assert_cmpuint (property, ==, stats->high_water_count);

  return property;
}

static NmAllocator *
allocator_with_mark (NmAllocatorKind kind,
                     guint64         size,
                     guint64         max,
                     gdouble         mark)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  nm_memory_config_builder_set_kind (builder, kind);
  nm_memory_config_builder_set_name (builder, "marked");
  if (kind == NM_ALLOCATOR_KIND_POOL)
    {
      nm_memory_config_builder_set_block_size (builder, 64);
      nm_memory_config_builder_set_block_count (builder, size);
      nm_memory_config_builder_set_max_block_count (builder, max);
    }
  else
    {
      nm_memory_config_builder_set_capacity (builder, size);
      nm_memory_config_builder_set_max_capacity (builder, max);
    }
  nm_memory_config_builder_set_high_water_mark (builder, mark);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (nm_memory_config_get_high_water_mark (config), ==, mark);

  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  return alloc;
}

/* A fixed arena that fills past the mark is announced by its reset, once
 * per crossing; crossings between two main-loop iterations are one
 * emission with their number, after notify::high-water-crossings. */
static void
test_high_water_bump_reset (void)
{
  g_autoptr(NmAllocator) alloc = allocator_with_mark (NM_ALLOCATOR_KIND_BUMP, 4 * KiB, 0, 0.5);
  g_autoptr(GString) notified = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  HighWaterLog log = { 0 };
  gdouble mark = 0;

  g_object_get (alloc, "high-water-mark", &mark, NULL);
  g_assert_cmpfloat (mark, ==, 0.5);
  g_signal_connect (alloc, "high-water", G_CALLBACK (on_high_water), &log);
  nm_test_log_notify (alloc, notified);

  /* Below the mark: nothing. */
  g_assert_nonnull (nm_allocator_alloc (alloc, 1000, 8, &error));
  nm_allocator_reset (alloc);
  nm_test_flush_notify ();
  g_assert_cmpuint (crossings_of (alloc), ==, 0);
  g_assert_cmpuint (log.emissions, ==, 0);

  /* Above it: counted at the reset, delivered by the main context. */
  g_assert_nonnull (nm_allocator_alloc (alloc, 3000, 8, &error));
  g_assert_cmpuint (crossings_of (alloc), ==, 0);
  nm_allocator_reset (alloc);
  g_assert_cmpuint (crossings_of (alloc), ==, 1);
  g_assert_cmpuint (log.emissions, ==, 0);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.emissions, ==, 1);
  g_assert_cmpuint (log.crossings, ==, 1);
  g_assert_cmpuint (nm_test_count_notify (notified, "high-water-crossings"), ==, 1);

  /* The reset emptied it, which re-arms: three cycles, three crossings,
   * one emission. */
  for (guint i = 0; i < 3; i++)
    {
      g_assert_nonnull (nm_allocator_alloc (alloc, 3000, 8, &error));
      nm_allocator_reset (alloc);
    }
  g_assert_cmpuint (crossings_of (alloc), ==, 4);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.emissions, ==, 2);
  g_assert_cmpuint (log.crossings, ==, 4);
  g_assert_cmpuint (nm_test_count_notify (notified, "high-water-crossings"), ==, 2);
  g_assert_no_error (error);
}

/* Edge-triggered with hysteresis: pops that stay above mark - 0.1 do not
 * re-arm; one below it does. */
static void
test_high_water_hysteresis (void)
{
  g_autoptr(NmAllocator) alloc = allocator_with_mark (NM_ALLOCATOR_KIND_STACK, 10000, 0, 0.9);
  NmStackAllocator *stack = NM_STACK_ALLOCATOR (alloc);
  g_autoptr(GError) error = NULL;
  HighWaterLog log = { 0 };
  NmStackMarker low, high;

  g_assert_cmpfloat (_nm_allocator_high_water_rearm_level (0.9), ==, 0.9 - 0.1);
  g_assert_cmpfloat (_nm_allocator_high_water_rearm_level (0.1), ==, 0.05);
  g_signal_connect (alloc, "high-water", G_CALLBACK (on_high_water), &log);

  /* 70 %, then 85 % (between the re-arm level and the mark), then 93 %. */
  g_assert_nonnull (nm_stack_allocator_alloc (stack, 7000, 8, &error));
  nm_stack_allocator_push_marker (stack, &low);
  g_assert_nonnull (nm_stack_allocator_alloc (stack, 1500, 8, &error));
  nm_stack_allocator_push_marker (stack, &high);
  g_assert_nonnull (nm_stack_allocator_alloc (stack, 800, 8, &error));
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &high, &error));
  g_assert_cmpuint (crossings_of (alloc), ==, 1);

  /* Back to 85 %: still crossed, so 93 % again is no new crossing. */
  nm_stack_allocator_push_marker (stack, &high);
  g_assert_nonnull (nm_stack_allocator_alloc (stack, 800, 8, &error));
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &high, &error));
  g_assert_cmpuint (crossings_of (alloc), ==, 1);

  /* Down to 70 %: re-armed; up to 93 % is the second crossing. */
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &low, &error));
  g_assert_cmpuint (crossings_of (alloc), ==, 1);
  nm_stack_allocator_push_marker (stack, &low);
  g_assert_nonnull (nm_stack_allocator_alloc (stack, 2300, 8, &error));
  g_assert_true (nm_stack_allocator_pop_to_marker (stack, &low, &error));
  g_assert_cmpuint (crossings_of (alloc), ==, 2);

  nm_test_flush_notify ();
  g_assert_cmpuint (log.crossings, ==, 2);
  g_assert_no_error (error);
}

/* Growth means the allocator was full: a crossing, and the grown capacity
 * re-arms it. */
static void
test_high_water_growth (void)
{
  g_autoptr(NmAllocator) pool = allocator_with_mark (NM_ALLOCATOR_KIND_POOL, 8, 64, 0.9);
  g_autoptr(NmAllocator) bump = allocator_with_mark (NM_ALLOCATOR_KIND_BUMP, 4 * KiB, 64 * KiB, 0.9);
  g_autoptr(GError) error = NULL;
  gpointer blocks[9];

  for (guint i = 0; i < 8; i++)
    blocks[i] = nm_allocator_alloc (pool, 64, 16, &error);
  g_assert_cmpuint (crossings_of (pool), ==, 0);
  blocks[8] = nm_allocator_alloc (pool, 64, 16, &error);
  g_assert_cmpuint (crossings_of (pool), ==, 1);
  for (guint i = 0; i < 9; i++)
    nm_allocator_free (pool, blocks[i], 64, 16);

  g_assert_nonnull (nm_allocator_alloc (bump, 3 * KiB, 8, &error));
  g_assert_cmpuint (crossings_of (bump), ==, 0);
  g_assert_nonnull (nm_allocator_alloc (bump, 2 * KiB, 8, &error));
  g_assert_cmpuint (crossings_of (bump), ==, 1);
  /* The next growth is a crossing again: the first one re-armed. */
  g_assert_nonnull (nm_allocator_alloc (bump, 12 * KiB, 8, &error));
  g_assert_cmpuint (crossings_of (bump), ==, 2);
  g_assert_no_error (error);
}

static gpointer
reset_full_arena (gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (nm_allocator_alloc (data, 3500, 8, &error));
  nm_allocator_reset (data);
  g_assert_no_error (error);

  return NULL;
}

/* A crossing on another thread is delivered on the allocator's main
 * context, on its thread; an allocator finalized before the delivery gets
 * none. */
static void
test_high_water_other_thread (void)
{
  NmAllocator *alloc = allocator_with_mark (NM_ALLOCATOR_KIND_BUMP, 4 * KiB, 0, 0.8);
  HighWaterLog log = { 0 };
  GThread *thread;

  g_object_set_data (G_OBJECT (alloc), "log", &log);
  g_signal_connect (alloc, "high-water", G_CALLBACK (on_high_water), &log);

  /* The allocator is single-thread: hand it over while the main thread
   * waits. */
  thread = g_thread_new ("resetter", reset_full_arena, alloc);
  g_thread_join (thread);
  g_assert_cmpuint (crossings_of (alloc), ==, 1);
  g_assert_cmpuint (log.emissions, ==, 0);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.emissions, ==, 1);
  g_assert_true (log.thread == g_thread_self ());

  thread = g_thread_new ("resetter", reset_full_arena, alloc);
  g_thread_join (thread);
  g_assert_cmpuint (crossings_of (alloc), ==, 2);
  g_object_unref (alloc);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.emissions, ==, 1);
}

static gpointer
grow_arena (gpointer data)
{
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (nm_allocator_alloc (data, 1024, 8, &error));
      g_assert_no_error (error);
    }

  return NULL;
}

/* A thread-safe arena grown by two threads at once: every growth is
 * sampled, crossings are counted once each, and delivered on the main
 * context. */
static void
test_high_water_thread_safe (void)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;
  HighWaterLog log = { 0 };
  GThread *threads[2];

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_capacity (builder, 4 * KiB);
  nm_memory_config_builder_set_max_capacity (builder, 4 * MiB);
  nm_memory_config_builder_set_thread_safe (builder, TRUE);
  nm_memory_config_builder_set_high_water_mark (builder, 0.9);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  g_signal_connect (alloc, "high-water", G_CALLBACK (on_high_water), &log);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("grower", grow_arena, alloc);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  /* 400 KiB from 4 KiB in chunks that double: several growths. */
  g_assert_cmpuint (crossings_of (alloc), >=, 3);
  nm_test_flush_notify ();
  g_assert_cmpuint (log.crossings, ==, crossings_of (alloc));
  g_assert_true (log.thread == g_thread_self ());
}

/* A mark of 0 (the default of both presets) counts nothing. */
static void
test_high_water_off (void)
{
  g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_development (NM_ALLOCATOR_KIND_BUMP);
  g_autoptr(NmAllocator) alloc = NULL;
  g_autoptr(GError) error = NULL;
  gdouble mark = 1;

  g_assert_cmpfloat (nm_memory_config_get_high_water_mark (preset), ==, 0);
  alloc = nm_allocator_new_from_config (preset, &error);
  g_assert_no_error (error);
  g_object_get (alloc, "high-water-mark", &mark, NULL);
  g_assert_cmpfloat (mark, ==, 0);
  g_assert_nonnull (nm_allocator_alloc (alloc, 1000 * KiB, 8, &error));
  nm_allocator_reset (alloc);
  g_assert_cmpuint (crossings_of (alloc), ==, 0);
}

/* Leak sites */

/* Exported (the test is linked with -rdynamic), so the report can name
 * them; not inlined, so each is a frame of its own. */
G_GNUC_NO_INLINE gpointer leaky_site_alloc (NmAllocator *alloc, gsize size);
G_GNUC_NO_INLINE gpointer leaky_other_site (NmAllocator *alloc, gsize size);

G_GNUC_NO_INLINE gpointer
leaky_site_alloc (NmAllocator *alloc,
                  gsize        size)
{
  g_autoptr(GError) error = NULL;
  gpointer mem = nm_allocator_alloc (alloc, size, 8, &error);

  g_assert_no_error (error);
  return mem;
}

G_GNUC_NO_INLINE gpointer
leaky_other_site (NmAllocator *alloc,
                  gsize        size)
{
  g_autoptr(GError) error = NULL;
  gpointer mem = nm_allocator_alloc (alloc, size, 8, &error);

  g_assert_no_error (error);
  return mem;
}

static NmAllocator *
development_allocator (NmAllocatorKind kind,
                       gboolean        leak_sites)
{
  g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_development (kind);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new_from_config (preset);
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;

  g_assert_false (nm_memory_config_get_leak_sites (preset));
  nm_memory_config_builder_set_name (builder, "leaky");
  if (kind == NM_ALLOCATOR_KIND_POOL)
    nm_memory_config_builder_set_block_size (builder, 48);
  nm_memory_config_builder_set_leak_sites (builder, leak_sites);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nm_memory_config_get_leak_sites (config), ==, leak_sites);

  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);

  return alloc;
}

/* The leak report names the sites with the most live allocations, with
 * their counts; memory given back (a free of the top, a restore) is not
 * counted. */
static void
test_leak_sites_bump (void)
{
  NmAllocator *alloc = development_allocator (NM_ALLOCATOR_KIND_BUMP, TRUE);
  NmBumpCheckpoint cp;
  gpointer top;

  leaky_site_alloc (alloc, 40);
  leaky_site_alloc (alloc, 40);
  leaky_other_site (alloc, 24);
  leaky_site_alloc (alloc, 40);

  /* Given back: the top, and what a restore releases. */
  top = leaky_site_alloc (alloc, 40);
  nm_allocator_free (alloc, top, 40, 8);
  nm_bump_allocator_checkpoint (NM_BUMP_ALLOCATOR (alloc), &cp);
  leaky_other_site (alloc, 24);
  leaky_other_site (alloc, 24);
  g_assert_true (nm_bump_allocator_restore (NM_BUMP_ALLOCATOR (alloc), &cp, NULL));

  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING,
                         "Bump allocator “leaky” is disposed with 4 live allocations (208 bytes): "
                         "reset the allocator, or restore a checkpoint, before dropping it. "
                         "Top allocation sites: leaky_site_alloc() (test-budget): "
                         "3 allocations (120 bytes); leaky_other_site() (test-budget): "
                         "1 allocation (24 bytes).");
  g_object_unref (alloc);
  g_test_assert_expected_messages ();
}

static void
test_leak_sites_pool_stack (void)
{
  NmAllocator *pool = development_allocator (NM_ALLOCATOR_KIND_POOL, TRUE);
  NmAllocator *stack = development_allocator (NM_ALLOCATOR_KIND_STACK, TRUE);
  gpointer freed;

  leaky_other_site (pool, 48);
  freed = leaky_site_alloc (pool, 48);
  leaky_site_alloc (pool, 48);
  nm_allocator_free (pool, freed, 48, 8);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING,
                         "Pool allocator “leaky” is disposed with 2 live allocations (96 bytes): *. "
                         "Top allocation sites: leaky_*() (test-budget): 1 allocation (48 bytes); "
                         "leaky_*() (test-budget): 1 allocation (48 bytes).");
  g_object_unref (pool);
  g_test_assert_expected_messages ();

  leaky_site_alloc (stack, 16);
  leaky_site_alloc (stack, 16);
  freed = leaky_other_site (stack, 16);
  nm_allocator_free (stack, freed, 16, 8);
  leaky_other_site (stack, 16);
  g_assert_true (nm_stack_allocator_pop (NM_STACK_ALLOCATOR (stack), NULL));
  {
    NmStackMarker marker;

    nm_stack_allocator_push_marker (NM_STACK_ALLOCATOR (stack), &marker);
    leaky_other_site (stack, 16);
    leaky_other_site (stack, 16);
    g_assert_true (nm_stack_allocator_pop_to_marker (NM_STACK_ALLOCATOR (stack), &marker, NULL));
  }
  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING,
                         "Stack allocator “leaky” is disposed with 2 live allocations *. "
                         "Top allocation sites: leaky_site_alloc() (test-budget): "
                         "2 allocations (32 bytes).");
  g_object_unref (stack);
  g_test_assert_expected_messages ();
}

/* With leak-sites off the report is the plain one; after a reset nothing
 * is reported. */
static void
test_leak_sites_off (void)
{
  NmAllocator *alloc = development_allocator (NM_ALLOCATOR_KIND_BUMP, FALSE);
  NmAllocator *reset = development_allocator (NM_ALLOCATOR_KIND_BUMP, TRUE);

  leaky_site_alloc (alloc, 40);
  g_test_expect_message ("Nebula", G_LOG_LEVEL_WARNING,
                         "Bump allocator “leaky” is disposed with 1 live allocation (*): reset the "
                         "allocator, or restore a checkpoint, before dropping it");
  g_object_unref (alloc);
  g_test_assert_expected_messages ();

  leaky_site_alloc (reset, 40);
  nm_allocator_reset (reset);
  g_object_unref (reset);
}

/* End to end: a growing arena fails the allocation whose next chunk would
 * pass the limit, keeps working, and serves again after a reset; the
 * budget's use is the arena's backing bytes throughout, and finalize
 * uncharges. */
static void
test_budget_e2e_bump (void)
{
  g_autoptr(NmMemoryBudget) root = nm_memory_budget_new ("process", 64 * KiB, NULL);
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("requests", 20 * KiB, root);
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmAllocator *alloc;
  NmAllocatorCommon *common;
  guint served = 0;

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_name (builder, "grows");
  nm_memory_config_builder_set_capacity (builder, 4 * KiB);
  nm_memory_config_builder_set_max_capacity (builder, MiB);
  nm_memory_config_builder_set_budget (builder, budget);
  config = nm_memory_config_builder_build (builder, &error);
  g_assert_no_error (error);
  alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  common = _nm_allocator_get_common (alloc);

  while (nm_allocator_alloc (alloc, 1000, 8, &error) != NULL)
    {
      served++;
      g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, _nm_backing_bytes (common));
    }
  g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "memory budget “process/requests” refused"));
  g_clear_error (&error);
  /* 4 KiB (4 blocks), then 8 KiB (8 blocks); 16 KiB more would pass 20 KiB. */
  g_assert_cmpuint (served, ==, 12);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 12 * KiB);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 12 * KiB);

  /* Still usable: what fits in the chunks held is served. */
  g_assert_nonnull (nm_allocator_alloc (alloc, 64, 8, &error));
  g_assert_no_error (error);

  nm_allocator_reset (alloc);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, _nm_backing_bytes (common));
  for (guint i = 0; i < served; i++)
    {
      g_assert_nonnull (nm_allocator_alloc (alloc, 1000, 8, &error));
      g_assert_no_error (error);
    }

  g_object_unref (alloc);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 0);
  g_assert_cmpuint (nm_memory_budget_get_used (root), ==, 0);
  nm_test_flush_notify ();
}

/* A pool charges its slab when it takes it; its blocks then never fail on
 * the budget, even with the budget full. The stack's region is charged at
 * construction. Finalize uncharges both. */
static void
test_budget_e2e_pool_stack (void)
{
  g_autoptr(NmMemoryBudget) budget = nm_memory_budget_new ("fixed", 256 * KiB, NULL);
  NmAllocator *pool = new_in_budget (NM_ALLOCATOR_KIND_POOL, budget, 64, FALSE);
  NmAllocator *stack = new_in_budget (NM_ALLOCATOR_KIND_STACK, budget, 32 * KiB, FALSE);
  guint64 pool_bytes = _nm_backing_bytes (_nm_allocator_get_common (pool));
  guint64 stack_bytes = _nm_backing_bytes (_nm_allocator_get_common (stack));
  g_autoptr(GError) error = NULL;
  guint64 rest;

  g_assert_cmpuint (stack_bytes, ==, 32 * KiB);
  g_assert_cmpuint (pool_bytes, >=, 16 * 64);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, pool_bytes + stack_bytes);

  /* Fill the budget to its limit: nothing more could be charged. */
  rest = 256 * KiB - nm_memory_budget_get_used (budget);
  g_assert_true (nm_memory_budget_charge (budget, rest, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 16; i++)
    {
      g_assert_nonnull (nm_pool_allocator_alloc (NM_POOL_ALLOCATOR (pool), &error));
      g_assert_no_error (error);
    }
  g_assert_nonnull (nm_stack_allocator_alloc (NM_STACK_ALLOCATOR (stack), 16 * KiB, 8, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nm_memory_budget_get_refused_count (budget), ==, 0);

  nm_allocator_reset (pool);
  nm_allocator_reset (stack);
  g_object_unref (pool);
  g_object_unref (stack);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, rest);
  nm_memory_budget_uncharge (budget, rest);
  nm_test_flush_notify ();
}

/* Allocators hold a reference: dropping the application's last reference
 * to a budget that still has charged allocators changes nothing. */
static void
test_budget_backing_outlives (void)
{
  NmMemoryBudget *root = nm_memory_budget_new ("process", 64 * KiB, NULL);
  NmMemoryBudget *budget = nm_memory_budget_new ("requests", 32 * KiB, root);
  NmAllocatorCommon common;
  GWeakRef weak;
  gpointer chunk;

  g_weak_ref_init (&weak, budget);
  _nm_allocator_common_init (&common, "Bump allocator", "arena", FALSE);
  _nm_backing_set_budget (&common, budget);
  chunk = _nm_backing_alloc (&common, 32, 16 * KiB);

  g_object_unref (budget);
  g_object_unref (root);
  budget = g_weak_ref_get (&weak);
  g_assert_nonnull (budget);
  g_assert_cmpuint (nm_memory_budget_get_used (budget), ==, 16 * KiB);
  g_object_unref (budget);

  g_assert_null (_nm_backing_alloc (&common, 32, 17 * KiB));
  _nm_backing_free (&common, chunk, 32, 16 * KiB);
  _nm_allocator_common_clear (&common);
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
}

/* Not a benchmark: the cost of a charge and an uncharge per tree level,
 * uncontended, for the record (no timing assertion). Depths alternate in
 * rounds, and the median of the rounds is reported, since this machine
 * drifts. */
/* CPU time of this thread: time spent descheduled on a busy machine is
 * not the cost of a charge. */
static gint64
thread_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
test_budget_charge_cost (void)
{
  static const guint depths[] = { 1, 2, 4, 8 };
  enum { ROUNDS = 9 };
  guint per_round = g_test_perf () ? 1000000 : 20000;
  NmMemoryBudget *levels[8] = { NULL };
  double ns[G_N_ELEMENTS (depths)][ROUNDS];
  double median[G_N_ELEMENTS (depths)];

  for (guint d = 0; d < G_N_ELEMENTS (levels); d++)
    {
      levels[d] = nm_memory_budget_new (d == 0 ? "root" : "level", G_MAXUINT32, d ? levels[d - 1] : NULL);
      /* The first charge wakes the budget's source: not what is measured. */
      _nm_memory_budget_try_charge (levels[d], 4096, NULL);
      _nm_memory_budget_uncharge (levels[d], 4096);
    }

  for (guint r = 0; r < ROUNDS; r++)
    for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
      {
        NmMemoryBudget *leaf = levels[depths[d] - 1];
        gint64 start = thread_ns ();

        for (guint i = 0; i < per_round; i++)
          {
            _nm_memory_budget_try_charge (leaf, 4096, NULL);
            _nm_memory_budget_uncharge (leaf, 4096);
          }
        ns[d][r] = (double) (thread_ns () - start) / per_round;
      }

  for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
    {
      qsort (ns[d], ROUNDS, sizeof (double), compare_double);
      median[d] = ns[d][ROUNDS / 2];
      g_test_message ("charge + uncharge, %u level%s: median %.1f ns (min %.1f, max %.1f)",
                      depths[d], depths[d] == 1 ? "" : "s", median[d], ns[d][0], ns[d][ROUNDS - 1]);
    }
  g_test_message ("per additional level: %.1f ns for a charge and an uncharge",
                  (median[3] - median[0]) / 7);

  for (guint d = G_N_ELEMENTS (levels); d > 0; d--)
    g_object_unref (levels[d - 1]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nebula/budget/new", test_budget_new);
  g_test_add_func ("/nebula/budget/tree/charge", test_budget_tree_charge);
  g_test_add_func ("/nebula/budget/tree/child-larger", test_budget_child_larger);
  g_test_add_func ("/nebula/budget/tree/finalize-child-with-charges", test_budget_finalize_child_with_charges);
  g_test_add_func ("/nebula/budget/high/before-refusal", test_budget_high_before_refusal);
  g_test_add_func ("/nebula/budget/notify/own-thread", test_budget_notify);
  g_test_add_func ("/nebula/budget/notify/other-thread", test_budget_notify_other_thread);
  g_test_add_func ("/nebula/budget/notify/after-finalize", test_budget_notify_after_finalize);
  g_test_add_func ("/nebula/budget/describe", test_budget_describe);
  g_test_add_func ("/nebula/budget/registry", test_budget_registry);
  g_test_add_func ("/nebula/budget/key-file", test_budget_key_file);
  g_test_add_func ("/nebula/budget/bad-input", test_budget_bad_input);
  g_test_add_func ("/nebula/budget/backing/alloc", test_budget_backing_alloc);
  g_test_add_func ("/nebula/budget/backing/commit", test_budget_backing_commit);
  g_test_add_func ("/nebula/budget/backing/fail-report", test_budget_backing_fail_report);
  g_test_add_func ("/nebula/budget/backing/attach-late", test_budget_backing_attach_late);
  g_test_add_func ("/nebula/budget/backing/budget-outlives", test_budget_backing_outlives);
  g_test_add_data_func ("/nebula/budget/request-cap/bump", GINT_TO_POINTER (FALSE), test_budget_request_cap_bump);
  g_test_add_data_func ("/nebula/budget/request-cap/bump-thread-safe", GINT_TO_POINTER (TRUE), test_budget_request_cap_bump);
  g_test_add_func ("/nebula/budget/request-cap/bump-above-chunks", test_budget_request_cap_bump_large);
  g_test_add_func ("/nebula/budget/request-cap/stack", test_budget_request_cap_stack);
  g_test_add_data_func ("/nebula/budget/request-cap/pool", GINT_TO_POINTER (FALSE), test_budget_request_cap_pool);
  g_test_add_data_func ("/nebula/budget/request-cap/pool-thread-safe", GINT_TO_POINTER (TRUE), test_budget_request_cap_pool);
  g_test_add_func ("/nebula/budget/leak-report", test_budget_leak_report);
  g_test_add_func ("/nebula/high-water/bump-reset", test_high_water_bump_reset);
  g_test_add_func ("/nebula/high-water/hysteresis", test_high_water_hysteresis);
  g_test_add_func ("/nebula/high-water/growth", test_high_water_growth);
  g_test_add_func ("/nebula/high-water/other-thread", test_high_water_other_thread);
  g_test_add_func ("/nebula/high-water/thread-safe", test_high_water_thread_safe);
  g_test_add_func ("/nebula/high-water/off", test_high_water_off);
  g_test_add_func ("/nebula/leak-sites/bump", test_leak_sites_bump);
  g_test_add_func ("/nebula/leak-sites/pool-stack", test_leak_sites_pool_stack);
  g_test_add_func ("/nebula/leak-sites/off", test_leak_sites_off);
  g_test_add_func ("/nebula/budget/e2e/bump-grows-to-limit", test_budget_e2e_bump);
  g_test_add_func ("/nebula/budget/e2e/pool-and-stack", test_budget_e2e_pool_stack);
  g_test_add_func ("/nebula/budget/charge-cost", test_budget_charge_cost);

  return g_test_run ();
}
