/* nm-memory-budget-tree.c: what a budget tree shows: description, attached allocators, registry
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-memory-budget-private.h"
#include "nm-size-private.h"

#define load64 _nm_budget_load

void
_nm_memory_budget_attach (NmMemoryBudget *self,
                          char * const   *name,
                          const guint64  *bytes)
{
  NmBudgetAttached attached = { name, bytes };

  g_mutex_lock (&self->lock);
  g_array_append_val (self->allocators, attached);
  g_mutex_unlock (&self->lock);
}

void
_nm_memory_budget_detach (NmMemoryBudget *self,
                          char * const   *name)
{
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->allocators->len; i++)
    {
      if (g_array_index (self->allocators, NmBudgetAttached, i).name == name)
        {
          g_array_remove_index (self->allocators, i);
          break;
        }
    }
  g_mutex_unlock (&self->lock);
}

static GVariant *describe (NmMemoryBudget *self);

/* The children alive now, each with a reference. Taken under the lock and
 * described outside it: the last unref of a child takes this lock. */
static GPtrArray *
ref_children (NmMemoryBudget *self)
{
  GPtrArray *children = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->children->len; i++)
    {
      NmMemoryBudget *child = g_weak_ref_get (g_ptr_array_index (self->children, i));

      if (child != NULL)
        g_ptr_array_add (children, child);
    }
  g_mutex_unlock (&self->lock);

  return children;
}

/**
 * nm_memory_budget_describe:
 * @self: an #NmMemoryBudget
 *
 * Describes @self and its descendants as a tree of dictionaries
 * (`a{sv}`): `name` and `path` (strings); `limit`, `high`, `max-request`,
 * `used`, `peak`, `high-count` and `refused-count` (`t`); `allocators`
 * (`a{st}`: the names of the attached allocators and the backing bytes each
 * holds); `children` (`aa{sv}`, the same for each child).
 *
 * Returns: (transfer full): a floating-free #GVariant of type `a{sv}`
 *
 * Since: 1.0
 */
GVariant *
nm_memory_budget_describe (NmMemoryBudget *self)
{
  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (self), NULL);

  return g_variant_ref_sink (describe (self));
}

/* Floating, so that a parent's builder takes it over. */
static GVariant *
describe (NmMemoryBudget *self)
{
  g_autoptr(GPtrArray) children = NULL;
  GVariantBuilder builder, allocators, kids;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (self->name));
  g_variant_builder_add (&builder, "{sv}", "path", g_variant_new_string (self->path));
  g_variant_builder_add (&builder, "{sv}", "limit", g_variant_new_uint64 (self->limit));
  g_variant_builder_add (&builder, "{sv}", "high", g_variant_new_uint64 (self->high));
  g_variant_builder_add (&builder, "{sv}", "max-request", g_variant_new_uint64 (self->max_request));
  g_variant_builder_add (&builder, "{sv}", "used", g_variant_new_uint64 (load64 (&self->used)));
  g_variant_builder_add (&builder, "{sv}", "peak", g_variant_new_uint64 (load64 (&self->peak)));
  g_variant_builder_add (&builder, "{sv}", "high-count", g_variant_new_uint64 (load64 (&self->n_high)));
  g_variant_builder_add (&builder, "{sv}", "refused-count", g_variant_new_uint64 (load64 (&self->n_refused)));

  g_variant_builder_init (&allocators, G_VARIANT_TYPE ("a{st}"));
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->allocators->len; i++)
    {
      const NmBudgetAttached *a = &g_array_index (self->allocators, NmBudgetAttached, i);
      const char *name = *a->name ? *a->name : "";

      g_variant_builder_add (&allocators, "{st}",
                             g_utf8_validate (name, -1, NULL) ? name : "(invalid UTF-8)",
                             load64 (a->bytes));
    }
  g_mutex_unlock (&self->lock);
  g_variant_builder_add (&builder, "{sv}", "allocators", g_variant_builder_end (&allocators));

  children = ref_children (self);
  g_variant_builder_init (&kids, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < children->len; i++)
    g_variant_builder_add_value (&kids, describe (g_ptr_array_index (children, i)));
  g_variant_builder_add (&builder, "{sv}", "children", g_variant_builder_end (&kids));

  return g_variant_builder_end (&builder);
}

static guint64
lookup_t (GVariant   *dict,
          const char *key)
{
  guint64 value = 0;

  g_variant_lookup (dict, key, "t", &value);
  return value;
}

static void
append_description (GString  *text,
                    GVariant *dict,
                    guint     depth)
{
  g_autoptr(GVariant) allocators = g_variant_lookup_value (dict, "allocators", G_VARIANT_TYPE ("a{st}"));
  g_autoptr(GVariant) children = g_variant_lookup_value (dict, "children", G_VARIANT_TYPE ("aa{sv}"));
  const char *name = NULL;
  guint64 limit = lookup_t (dict, "limit");
  guint64 high = lookup_t (dict, "high");
  guint64 cap = lookup_t (dict, "max-request");
  g_autofree char *peak = _nm_size_format_human (lookup_t (dict, "peak"));
  g_autofree char *usage = NULL;
  GVariantIter iter;
  const char *allocator;
  guint64 bytes;

  g_variant_lookup (dict, "name", "&s", &name);

  if (limit == NM_MEMORY_BUDGET_UNLIMITED)
    {
      g_autofree char *used = _nm_size_format_human (lookup_t (dict, "used"));
      usage = g_strdup_printf ("%s used, no limit", used);
    }
  else
    usage = _nm_size_format_usage (lookup_t (dict, "used"), limit);

  g_string_append_printf (text, "%*s%s: %s, peak %s", depth * 2, "", name, usage, peak);
  if (high != 0)
    {
      g_autofree char *high_text = _nm_size_format_human (high);
      guint64 crossed = lookup_t (dict, "high-count");

      g_string_append_printf (text, ", high %s (crossed %" G_GUINT64_FORMAT " %s)",
                              high_text, crossed, crossed == 1 ? "time" : "times");
    }
  if (cap != 0)
    {
      g_autofree char *cap_text = _nm_size_format_human (cap);
      g_string_append_printf (text, ", max-request %s", cap_text);
    }
  g_string_append_printf (text, ", refused %" G_GUINT64_FORMAT "\n", lookup_t (dict, "refused-count"));

  g_variant_iter_init (&iter, allocators);
  while (g_variant_iter_next (&iter, "{&st}", &allocator, &bytes))
    {
      g_autofree char *bytes_text = _nm_size_format_human (bytes);
      g_string_append_printf (text, "%*sallocator %s: %s\n", (depth + 1) * 2, "", allocator, bytes_text);
    }

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (children, i);
      append_description (text, child, depth + 1);
    }
}

/**
 * nm_memory_budget_to_string:
 * @self: an #NmMemoryBudget
 *
 * Formats nm_memory_budget_describe() as readable text: one line per
 * budget, indented two spaces per level, with the attached allocators
 * under each.
 *
 * |[
 * process: 3.0 MB of 4.2 MB used (71.5 %), peak 3.1 MB, refused 0
 *   requests: 3.0 MB of 3.1 MB used (95.4 %), peak 3.1 MB, high 2.6 MB (crossed 1 time), refused 2
 *     allocator request-arena: 3.0 MB
 * ]|
 *
 * Returns: (transfer full): the tree as text, ending with a newline
 *
 * Since: 1.0
 */
char *
nm_memory_budget_to_string (NmMemoryBudget *self)
{
  g_autoptr(GVariant) description = NULL;
  GString *text;

  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (self), NULL);

  description = nm_memory_budget_describe (self);
  text = g_string_new (NULL);
  append_description (text, description, 0);

  return g_string_free (text, FALSE);
}

/* The registry */

G_LOCK_DEFINE_STATIC (registry);
static GHashTable *registry;   /* path → NmMemoryBudget (a reference) */

/**
 * nm_memory_budget_register:
 * @budget: an #NmMemoryBudget
 *
 * Makes @budget findable by its path with nm_memory_budget_lookup(), and
 * so usable as `budget=PATH` in key files. The registry holds a reference
 * until nm_memory_budget_unregister(). Thread-safe.
 *
 * Returns: %TRUE when @budget is registered (also when it already was);
 *   %FALSE when another budget is registered under the same path
 *
 * Since: 1.0
 */
gboolean
nm_memory_budget_register (NmMemoryBudget *budget)
{
  NmMemoryBudget *present;
  gboolean ok = TRUE;

  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (budget), FALSE);

  G_LOCK (registry);
  if (registry == NULL)
    registry = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);

  present = g_hash_table_lookup (registry, budget->path);
  if (present == NULL)
    g_hash_table_insert (registry, budget->path, g_object_ref (budget));
  else
    ok = present == budget;
  G_UNLOCK (registry);

  return ok;
}

/**
 * nm_memory_budget_unregister:
 * @budget: an #NmMemoryBudget
 *
 * Removes @budget from the registry and drops the registry's reference.
 * Allocators built from key files naming it keep theirs. Thread-safe.
 *
 * Returns: %TRUE when @budget was registered
 *
 * Since: 1.0
 */
gboolean
nm_memory_budget_unregister (NmMemoryBudget *budget)
{
  gboolean removed = FALSE;

  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (budget), FALSE);

  G_LOCK (registry);
  if (registry != NULL && g_hash_table_lookup (registry, budget->path) == budget)
    removed = g_hash_table_remove (registry, budget->path);
  G_UNLOCK (registry);

  return removed;
}

/**
 * nm_memory_budget_lookup:
 * @path: a budget path, such as `process/requests`
 *
 * Finds the budget registered under @path with nm_memory_budget_register().
 * Thread-safe.
 *
 * Returns: (transfer full) (nullable): the budget, or %NULL when no budget
 *   is registered under @path
 *
 * Since: 1.0
 */
NmMemoryBudget *
nm_memory_budget_lookup (const char *path)
{
  NmMemoryBudget *budget = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  G_LOCK (registry);
  if (registry != NULL)
    budget = g_hash_table_lookup (registry, path);
  if (budget != NULL)
    g_object_ref (budget);
  G_UNLOCK (registry);

  return budget;
}

