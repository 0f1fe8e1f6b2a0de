/* nm-memory-budget.c: a tree of named byte budgets
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-error.h"
#include "nm-memory-budget-private.h"
#include "nm-size-private.h"

/**
 * SECTION:nm-memory-budget
 * @Title: NmMemoryBudget
 * @Short_description: a tree of named byte budgets with hard and soft limits
 *
 * An #NmMemoryBudget counts bytes against a hard #NmMemoryBudget:limit and,
 * optionally, a soft #NmMemoryBudget:high mark. Budgets form a tree: a charge
 * to a budget is a charge to each of its ancestors, and it fails when any
 * of them would pass its limit. The path of a budget is the names from the
 * root down, joined by `/` (`process/requests`).
 *
 * An allocator attached to a budget (nm_memory_config_builder_set_budget(),
 * or `budget=PATH` in a key file) charges its backing memory — the chunks,
 * slabs and regions it takes from the system — when it takes it, and
 * uncharges it when it gives it back or is finalized. Nothing is charged per
 * allocation. When the budget refuses, the allocation that needed the
 * memory fails with %NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED naming the budget's
 * path, its limit, its use and the request, and the allocator stays usable.
 * Applications account memory of their own with nm_memory_budget_charge()
 * and nm_memory_budget_uncharge().
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmMemoryBudget) process = nm_memory_budget_new ("process", 512 * 1024 * 1024, NULL);
 * g_autoptr(NmMemoryBudget) requests = NULL;
 * g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();
 * g_autoptr(NmMemoryConfig) config = NULL;
 * g_autoptr(NmAllocator) arena = NULL;
 *
 * // 64 MiB for requests, warn at 48 MiB, no single chunk above 8 MiB
 * requests = nm_memory_budget_new_full ("requests", 64 * 1024 * 1024,
 *                                       48 * 1024 * 1024, 8 * 1024 * 1024, process);
 * g_signal_connect (requests, "high-crossed", G_CALLBACK (shed_load), server);
 * nm_memory_budget_register (requests);   // key files can say budget=process/requests
 *
 * nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
 * nm_memory_config_builder_set_capacity (builder, 1024 * 1024);
 * nm_memory_config_builder_set_max_capacity (builder, 256 * 1024 * 1024);
 * nm_memory_config_builder_set_budget (builder, requests);
 * config = nm_memory_config_builder_build (builder, NULL);
 * arena = nm_allocator_new_from_config (config, NULL);
 *
 * g_autofree char *dump = nm_memory_budget_to_string (process);
 * g_print ("%s", dump);
 * // process: 1.0 MB of 536.9 MB used (0.2 %), peak 1.0 MB, refused 0
 * //   requests: 1.0 MB of 67.1 MB used (1.6 %), peak 1.0 MB, high 50.3 MB (crossed 0 times), …
 * //     allocator request-arena: 1.0 MB
 * ]|
 *
 * # Limits
 *
 * A limit is between 1 byte and %NM_MEMORY_BUDGET_MAX_LIMIT, or
 * %NM_MEMORY_BUDGET_UNLIMITED (the default) for a budget that only counts.
 * A child may have a larger limit than its parent: that is allowed and
 * means nothing more than "bounded by the parent", since every charge to
 * the child is a charge to the parent. #NmMemoryBudget:parent is
 * construct-only, so a budget cannot become its own ancestor: cycles are
 * impossible by construction. A child holds a reference on its parent; a
 * parent knows its children only weakly (for nm_memory_budget_describe()).
 *
 * No limit is ever passed, not even for an instant between threads: a
 * charge walks from the budget to the root with one compare-and-swap per
 * level and rolls back the levels it charged when a level refuses. It takes
 * no lock and allocates nothing.
 *
 * # The high mark
 *
 * When a charge brings #NmMemoryBudget:used to #NmMemoryBudget:high or
 * above, the budget emits #NmMemoryBudget::high-crossed, once: the signal is
 * edge-triggered and armed again only when the use falls below seven
 * eighths of high (a hysteresis of high / 8, so a use hovering around the
 * mark does not signal on every charge). A charge that is refused because
 * it would pass the limit, and would have reached high, counts as a
 * crossing too, so the warning always comes before the first refusal.
 *
 * # Notification policy
 *
 * #NmMemoryBudget::high-crossed and the notifications of
 * #NmMemoryBudget:used and #NmMemoryBudget:peak belong to the budget's main
 * context: the thread-default #GMainContext of the thread that constructed
 * it. Create budgets on the thread that runs their main context.
 *
 * - #NmMemoryBudget::high-crossed is emitted synchronously when the charge
 *   is made on that thread, before the charge returns, so an application
 *   sees "high crossed" before it sees the refusal that may follow. A
 *   crossing caused on another thread is emitted on the main context.
 * - `notify::used` and `notify::peak` are batched: a charge marks the
 *   budget changed and wakes a source the budget keeps attached to its main
 *   context, at most once until that source runs; the source then notifies
 *   each value that differs from the one last notified. So a reader sees at
 *   most one notification of each per main-loop iteration, whatever the
 *   number of charges and threads, and a charge never pays for a
 *   notification. The source holds a weak reference on the budget: a
 *   budget finalized meanwhile is simply not notified.
 *
 * Handlers of a synchronous emission run inside the charge, and so possibly
 * inside an allocation that made an allocator grow: they may trim other
 * allocators or shed load, but should not allocate from, reset or trim the
 * allocator whose growth they are told about.
 *
 * # The registry
 *
 * Key files name budgets by path (`budget=process/requests`). The
 * application makes a budget findable with nm_memory_budget_register();
 * nm_memory_budget_lookup() finds it. The registry is thread-safe and holds
 * a reference on each registered budget until it is unregistered.
 */

G_DEFINE_FINAL_TYPE (NmMemoryBudget, nm_memory_budget, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_PATH,
  PROP_PARENT,
  PROP_LIMIT,
  PROP_HIGH,
  PROP_MAX_REQUEST,
  PROP_USED,
  PROP_PEAK,
  PROP_HIGH_COUNT,
  PROP_REFUSED_COUNT,
  N_PROPS
};

enum {
  HIGH_CROSSED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

#define DEFAULT_NAME "budget"

#define load64 _nm_budget_load

static gboolean
limit_is_valid (guint64 limit)
{
  return limit != 0 && (limit <= NM_MEMORY_BUDGET_MAX_LIMIT || limit == NM_MEMORY_BUDGET_UNLIMITED);
}

static gboolean
name_is_valid (const char *name)
{
  return name != NULL && *name != '\0' && strchr (name, '/') == NULL &&
         g_utf8_validate (name, -1, NULL);
}

/* Events, emitted on the budget's main context (nm-memory-budget-charge.c
 * decides when). */

void
_nm_memory_budget_emit_high_crossed (NmMemoryBudget *self)
{
  gint highs = g_atomic_int_exchange (&self->undelivered_high, 0);

  for (; highs > 0; highs--)
    g_signal_emit (self, signals [HIGH_CROSSED], 0, load64 (&self->used));
}

void
_nm_memory_budget_notify_usage (NmMemoryBudget *self)
{
  guint64 used = load64 (&self->used);
  guint64 peak = load64 (&self->peak);

  if (used != self->notified_used)
    {
      self->notified_used = used;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_USED]);
    }
  if (peak != self->notified_peak)
    {
      self->notified_peak = peak;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PEAK]);
    }
}

/* GObject */

static void
free_weak_ref (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static void
nm_memory_budget_constructed (GObject *object)
{
  NmMemoryBudget *self = (NmMemoryBudget *) object;

  G_OBJECT_CLASS (nm_memory_budget_parent_class)->constructed (object);

  /* g_object_new() and the bindings' constructors get an object that
   * works, with one critical for what had to be corrected. */
  if (!name_is_valid (self->name))
    {
      g_critical ("Memory budget name “%s” is not valid: a name is non-empty UTF-8 "
                  "without “/” (the path separator); using “%s”.",
                  self->name ? self->name : "(null)", DEFAULT_NAME);
      g_free (self->name);
      self->name = g_strdup (DEFAULT_NAME);
    }

  if (!limit_is_valid (self->limit))
    {
      g_critical ("Memory budget “%s”: limit %" G_GUINT64_FORMAT " is absurd (more than "
                  "1 EiB: a negative number?); using NM_MEMORY_BUDGET_MAX_LIMIT.",
                  self->name, self->limit);
      self->limit = NM_MEMORY_BUDGET_MAX_LIMIT;
    }

  if (self->high > self->limit)
    {
      g_critical ("Memory budget “%s”: high %" G_GUINT64_FORMAT " is above its limit %"
                  G_GUINT64_FORMAT "; the budget has no high mark.",
                  self->name, self->high, self->limit);
      self->high = 0;
    }

  self->rearm = self->high - self->high / 8;
  self->high_armed = 1;

  _nm_memory_budget_attach_source (self);

  if (self->parent != NULL)
    {
      self->path = g_strconcat (self->parent->path, "/", self->name, NULL);
      self->in_parent = g_new (GWeakRef, 1);
      g_weak_ref_init (self->in_parent, self);
      g_mutex_lock (&self->parent->lock);
      g_ptr_array_add (self->parent->children, self->in_parent);
      g_mutex_unlock (&self->parent->lock);
    }
  else
    self->path = g_strdup (self->name);
}

static void
nm_memory_budget_finalize (GObject *object)
{
  NmMemoryBudget *self = (NmMemoryBudget *) object;

  if (self->parent != NULL)
    {
      g_mutex_lock (&self->parent->lock);
      g_ptr_array_remove_fast (self->parent->children, self->in_parent);
      g_mutex_unlock (&self->parent->lock);
      free_weak_ref (self->in_parent);

      /* What was charged to this budget and never given back stays charged
       * to the ancestors otherwise; allocators hold a reference, so only
       * direct nm_memory_budget_charge() calls can leave anything here. */
      if (self->used != 0)
        _nm_memory_budget_uncharge (self->parent, self->used);
      g_clear_object (&self->parent);
    }

  _nm_memory_budget_destroy_source (self);
  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_clear_pointer (&self->allocators, g_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_free (self->name);
  g_free (self->path);

  G_OBJECT_CLASS (nm_memory_budget_parent_class)->finalize (object);
}

static void
nm_memory_budget_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NmMemoryBudget *self = NM_MEMORY_BUDGET (object);

  switch (prop_id)
    {
    case PROP_NAME:          g_value_set_string (value, self->name); break;
    case PROP_PATH:          g_value_set_string (value, self->path); break;
    case PROP_PARENT:        g_value_set_object (value, self->parent); break;
    case PROP_LIMIT:         g_value_set_uint64 (value, self->limit); break;
    case PROP_HIGH:          g_value_set_uint64 (value, self->high); break;
    case PROP_MAX_REQUEST:   g_value_set_uint64 (value, self->max_request); break;
    case PROP_USED:          g_value_set_uint64 (value, load64 (&self->used)); break;
    case PROP_PEAK:          g_value_set_uint64 (value, load64 (&self->peak)); break;
    case PROP_HIGH_COUNT:    g_value_set_uint64 (value, load64 (&self->n_high)); break;
    case PROP_REFUSED_COUNT: g_value_set_uint64 (value, load64 (&self->n_refused)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_memory_budget_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NmMemoryBudget *self = NM_MEMORY_BUDGET (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;
    case PROP_PARENT:        self->parent = g_value_dup_object (value); break;
    case PROP_LIMIT:         self->limit = g_value_get_uint64 (value); break;
    case PROP_HIGH:          self->high = g_value_get_uint64 (value); break;
    case PROP_MAX_REQUEST:   self->max_request = g_value_get_uint64 (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
counter_property (const char *name,
                  const char *blurb)
{
  return g_param_spec_uint64 (name, NULL, blurb, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                              G_PARAM_STATIC_STRINGS);
}

static void
nm_memory_budget_class_init (NmMemoryBudgetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nm_memory_budget_constructed;
  object_class->finalize = nm_memory_budget_finalize;
  object_class->get_property = nm_memory_budget_get_property;
  object_class->set_property = nm_memory_budget_set_property;

  /**
   * NmMemoryBudget:name:
   *
   * The budget's name, one component of its #NmMemoryBudget:path: non-empty
   * UTF-8 without `/`. Construct-only; default `budget`.
   *
   * Since: 1.0
   */
  properties [PROP_NAME] =
    g_param_spec_string ("name", NULL, "The budget's name, without “/”",
                         DEFAULT_NAME, construct);

  /**
   * NmMemoryBudget:path:
   *
   * The names from the root budget down to this one, joined by `/`
   * (`process/requests`): how messages, key files and the registry name
   * the budget.
   *
   * Since: 1.0
   */
  properties [PROP_PATH] =
    g_param_spec_string ("path", NULL, "The names from the root down, joined by “/”",
                         NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NmMemoryBudget:parent:
   *
   * The budget every charge to this one is also charged to, or %NULL for a
   * root. Construct-only (so budgets cannot form a cycle); the budget holds
   * a reference on its parent. Default %NULL.
   *
   * Since: 1.0
   */
  properties [PROP_PARENT] =
    g_param_spec_object ("parent", NULL, "The enclosing budget, or NULL for a root",
                         NM_TYPE_MEMORY_BUDGET, construct);

  /**
   * NmMemoryBudget:limit:
   *
   * The hard limit in bytes: a charge that would take #NmMemoryBudget:used
   * above it fails. Between 1 and %NM_MEMORY_BUDGET_MAX_LIMIT, or
   * %NM_MEMORY_BUDGET_UNLIMITED, the default. It may exceed the parent's
   * limit; the parent bounds it anyway. Construct-only.
   *
   * Since: 1.0
   */
  properties [PROP_LIMIT] =
    g_param_spec_uint64 ("limit", NULL, "The hard limit in bytes",
                         1, G_MAXUINT64, NM_MEMORY_BUDGET_UNLIMITED, construct);

  /**
   * NmMemoryBudget:high:
   *
   * The soft limit in bytes, at most #NmMemoryBudget:limit, or 0 (the
   * default) for none: reaching it emits #NmMemoryBudget::high-crossed.
   * Construct-only.
   *
   * Since: 1.0
   */
  properties [PROP_HIGH] =
    g_param_spec_uint64 ("high", NULL, "The soft limit in bytes, or 0",
                         0, G_MAXUINT64, 0, construct);

  /**
   * NmMemoryBudget:max-request:
   *
   * The most bytes a single allocation of an attached allocator may ask
   * for, or 0 (the default) for no cap. A larger request fails with
   * %NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED naming the cap. The cap of a
   * budget applies to the allocators of its descendants too.
   * Construct-only.
   *
   * A pool compares its block size with the cap once, when it is made: a
   * pool whose blocks are above it refuses every allocation. A bump or
   * stack allocator checks each request on its out-of-line path; when the
   * cap is below the largest request its inline path could serve (a chunk,
   * the region), every allocation takes that path, which costs several
   * times the inline one. A cap at or above that size costs nothing.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_REQUEST] =
    g_param_spec_uint64 ("max-request", NULL, "The largest single request in bytes, or 0",
                         0, G_MAXUINT64, 0, construct);

  /**
   * NmMemoryBudget:used:
   *
   * Bytes charged to this budget and its descendants now. Notified on the
   * budget's main context when it changed (see the notification policy).
   *
   * Since: 1.0
   */
  properties [PROP_USED] = counter_property ("used", "Bytes charged now");

  /**
   * NmMemoryBudget:peak:
   *
   * The highest #NmMemoryBudget:used so far. Notified like
   * #NmMemoryBudget:used.
   *
   * Since: 1.0
   */
  properties [PROP_PEAK] = counter_property ("peak", "The highest use so far");

  /**
   * NmMemoryBudget:high-count:
   *
   * How many times the use crossed #NmMemoryBudget:high, counting each
   * #NmMemoryBudget::high-crossed. Not notified.
   *
   * Since: 1.0
   */
  properties [PROP_HIGH_COUNT] = counter_property ("high-count", "Times high was crossed");

  /**
   * NmMemoryBudget:refused-count:
   *
   * How many charges this budget refused, for its limit or its
   * #NmMemoryBudget:max-request. Not notified.
   *
   * Since: 1.0
   */
  properties [PROP_REFUSED_COUNT] = counter_property ("refused-count", "Charges refused");

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NmMemoryBudget::high-crossed:
   * @self: the #NmMemoryBudget
   * @used: #NmMemoryBudget:used when the signal is emitted
   *
   * The use reached #NmMemoryBudget:high, or a refused charge would have
   * reached it. Emitted once per crossing, on the budget's main context,
   * before any refusal that follows it on that thread; armed again when
   * the use falls below seven eighths of high.
   *
   * Since: 1.0
   */
  signals [HIGH_CROSSED] =
    g_signal_new ("high-crossed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
nm_memory_budget_init (NmMemoryBudget *self)
{
  self->name = g_strdup (DEFAULT_NAME);
  self->limit = NM_MEMORY_BUDGET_UNLIMITED;
  self->context = g_main_context_ref_thread_default ();
  self->thread = g_thread_self ();
  self->children = g_ptr_array_new ();
  self->allocators = g_array_new (FALSE, FALSE, sizeof (NmBudgetAttached));
  g_mutex_init (&self->lock);
}

/* Public API */

/**
 * nm_memory_budget_new:
 * @name: the budget's name: non-empty, without `/`
 * @limit: the hard limit in bytes, see #NmMemoryBudget:limit
 * @parent: (nullable): the enclosing budget, or %NULL for a root
 *
 * Creates a budget with no high mark and no per-request cap. Its main
 * context is the thread-default one of the calling thread.
 *
 * Returns: (transfer full) (nullable): a new #NmMemoryBudget, or %NULL
 *   (with a critical) for invalid arguments
 *
 * Since: 1.0
 */
NmMemoryBudget *
nm_memory_budget_new (const char     *name,
                      guint64         limit,
                      NmMemoryBudget *parent)
{
  return nm_memory_budget_new_full (name, limit, 0, 0, parent);
}

/**
 * nm_memory_budget_new_full:
 * @name: the budget's name: non-empty, without `/`
 * @limit: the hard limit in bytes, see #NmMemoryBudget:limit
 * @high: the soft limit in bytes (at most @limit), or 0 for none
 * @max_request: the largest single request of an attached allocator, or 0
 * @parent: (nullable): the enclosing budget, or %NULL for a root
 *
 * Creates a budget with every setting.
 *
 * Returns: (transfer full) (nullable): a new #NmMemoryBudget, or %NULL
 *   (with a critical) for invalid arguments
 *
 * Since: 1.0
 */
NmMemoryBudget *
nm_memory_budget_new_full (const char     *name,
                           guint64         limit,
                           guint64         high,
                           guint64         max_request,
                           NmMemoryBudget *parent)
{
  g_return_val_if_fail (name_is_valid (name), NULL);
  g_return_val_if_fail (limit_is_valid (limit), NULL);
  g_return_val_if_fail (high <= limit, NULL);
  g_return_val_if_fail (parent == NULL || NM_IS_MEMORY_BUDGET (parent), NULL);

  return g_object_new (NM_TYPE_MEMORY_BUDGET,
                       "name", name,
                       "limit", limit,
                       "high", high,
                       "max-request", max_request,
                       "parent", parent,
                       NULL);
}

/**
 * nm_memory_budget_get_name:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:name.
 *
 * Returns: the budget's name
 *
 * Since: 1.0
 */
const char *
nm_memory_budget_get_name (NmMemoryBudget *self)
{
  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (self), NULL);
  return self->name;
}

/**
 * nm_memory_budget_get_path:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:path.
 *
 * Returns: the budget's path, such as `process/requests`
 *
 * Since: 1.0
 */
const char *
nm_memory_budget_get_path (NmMemoryBudget *self)
{
  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (self), NULL);
  return self->path;
}

/**
 * nm_memory_budget_get_parent:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:parent.
 *
 * Returns: (transfer none) (nullable): the parent, or %NULL for a root
 *
 * Since: 1.0
 */
NmMemoryBudget *
nm_memory_budget_get_parent (NmMemoryBudget *self)
{
  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (self), NULL);
  return self->parent;
}

#define DEFINE_GETTER(field, member, atomic) \
  guint64 \
  nm_memory_budget_get_##field (NmMemoryBudget *self) \
  { \
    g_return_val_if_fail (NM_IS_MEMORY_BUDGET (self), 0); \
    return atomic ? load64 (&self->member) : self->member; \
  }

/**
 * nm_memory_budget_get_limit:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:limit.
 *
 * Returns: the hard limit in bytes
 *
 * Since: 1.0
 */
DEFINE_GETTER (limit, limit, FALSE)

/**
 * nm_memory_budget_get_high:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:high.
 *
 * Returns: the soft limit in bytes, 0 for none
 *
 * Since: 1.0
 */
DEFINE_GETTER (high, high, FALSE)

/**
 * nm_memory_budget_get_max_request:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:max-request.
 *
 * Returns: the largest single request in bytes, 0 for no cap
 *
 * Since: 1.0
 */
DEFINE_GETTER (max_request, max_request, FALSE)

/**
 * nm_memory_budget_get_used:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:used. Safe from any thread.
 *
 * Returns: the bytes charged now
 *
 * Since: 1.0
 */
DEFINE_GETTER (used, used, TRUE)

/**
 * nm_memory_budget_get_peak:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:peak. Safe from any thread.
 *
 * Returns: the highest use so far
 *
 * Since: 1.0
 */
DEFINE_GETTER (peak, peak, TRUE)

/**
 * nm_memory_budget_get_high_count:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:high-count. Safe from any thread.
 *
 * Returns: how many times the use crossed the high mark
 *
 * Since: 1.0
 */
DEFINE_GETTER (high_count, n_high, TRUE)

/**
 * nm_memory_budget_get_refused_count:
 * @self: an #NmMemoryBudget
 *
 * Gets #NmMemoryBudget:refused-count. Safe from any thread.
 *
 * Returns: how many charges this budget refused
 *
 * Since: 1.0
 */
DEFINE_GETTER (refused_count, n_refused, TRUE)

/**
 * nm_memory_budget_charge:
 * @self: an #NmMemoryBudget
 * @bytes: how many bytes to charge
 * @error: return location for a #GError, or %NULL
 *
 * Charges @bytes of memory the application manages itself to @self and
 * every ancestor, or to none of them when any would pass its limit; give
 * them back with nm_memory_budget_uncharge(). Thread-safe and lock-free;
 * the charge itself allocates nothing. On the budget's own thread,
 * #NmMemoryBudget::high-crossed handlers run before it returns.
 *
 * Returns: %TRUE when charged; %FALSE with
 *   %NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED naming the refusing budget's path,
 *   its limit, its use and @bytes
 *
 * Since: 1.0
 */
gboolean
nm_memory_budget_charge (NmMemoryBudget  *self,
                         guint64          bytes,
                         GError         **error)
{
  NmMemoryBudget *refused_by = NULL;
  NmBudgetRefusal refusal;

  g_return_val_if_fail (NM_IS_MEMORY_BUDGET (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (G_LIKELY (_nm_memory_budget_try_charge (self, bytes, &refused_by)))
    return TRUE;

  _nm_memory_budget_describe_refusal (refused_by, bytes, FALSE, &refusal);
  g_propagate_error (error, _nm_error_new_budget (NULL, NULL, NULL, &refusal));

  return FALSE;
}

/**
 * nm_memory_budget_uncharge:
 * @self: an #NmMemoryBudget
 * @bytes: how many bytes to give back
 *
 * Gives back @bytes charged with nm_memory_budget_charge(). Giving back
 * more than is charged is a critical; the use then drops to 0.
 *
 * Since: 1.0
 */
void
nm_memory_budget_uncharge (NmMemoryBudget *self,
                           guint64         bytes)
{
  g_return_if_fail (NM_IS_MEMORY_BUDGET (self));

  _nm_memory_budget_uncharge (self, bytes);
}

