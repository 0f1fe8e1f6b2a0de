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

struct _NmMemoryBudget
{
  GObject          parent_instance;

  /* Set at construction, never changed. */
  char            *name;
  char            *path;
  NmMemoryBudget  *parent;          /* a reference */
  guint64          limit;
  guint64          high;            /* 0: none */
  guint64          rearm;           /* high - high / 8: below it, high is armed again */
  guint64          max_request;     /* 0: none */
  GMainContext    *context;         /* where events are delivered */
  GThread         *thread;          /* emits high-crossed synchronously */
  GSource         *source;          /* attached to context; delivers the rest */
  GWeakRef        *in_parent;       /* our entry in parent->children */

  /* Updated atomically, without a lock. Invariant: used <= limit, and
   * used >= the sum of the children's used. */
  guint64          used;
  guint64          peak;
  guint64          n_high;
  guint64          n_refused;
  gint             high_armed;      /* 1: the next crossing signals */
  gint             undelivered_high;/* crossings not signalled yet */
  gint             source_pending;  /* source woken: used, peak or crossings to deliver */

  /* Guarded by lock. */
  GMutex           lock;
  GPtrArray       *children;        /* GWeakRef *, owned by each child */
  GArray          *allocators;      /* Attached */

  /* Read and written by the delivering thread only. */
  guint64          notified_used;
  guint64          notified_peak;
};

typedef struct
{
  char * const  *name;
  const guint64 *bytes;
} Attached;

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

static inline guint64
load64 (const guint64 *p)
{
  return __atomic_load_n (p, __ATOMIC_RELAXED);
}

static inline void
inc64 (guint64 *p)
{
  __atomic_fetch_add (p, 1, __ATOMIC_RELAXED);
}

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

/* Delivery of events: see "Notification policy" above. */

typedef struct
{
  GSource   source;
  GWeakRef  budget;
} BudgetSource;

static void
emit_high_crossed (NmMemoryBudget *self)
{
  gint highs = g_atomic_int_exchange (&self->undelivered_high, 0);

  for (; highs > 0; highs--)
    g_signal_emit (self, signals [HIGH_CROSSED], 0, load64 (&self->used));
}

static gboolean
budget_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  NmMemoryBudget *self = g_weak_ref_get (&((BudgetSource *) source)->budget);
  guint64 used, peak;

  g_source_set_ready_time (source, -1);
  if (self == NULL)
    return G_SOURCE_CONTINUE;

  /* Cleared before reading: a change from now on wakes the source again. */
  g_atomic_int_set (&self->source_pending, 0);

  emit_high_crossed (self);

  used = load64 (&self->used);
  peak = load64 (&self->peak);
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

  g_object_unref (self);

  return G_SOURCE_CONTINUE;
}

static void
budget_source_finalize (GSource *source)
{
  g_weak_ref_clear (&((BudgetSource *) source)->budget);
}

static GSourceFuncs budget_source_funcs = {
  .dispatch = budget_source_dispatch,
  .finalize = budget_source_finalize,
};

/* Wakes the budget's source, once until it runs. No allocation; the
 * wake-up itself (a lock and a write to the context's wakeup fd) happens
 * once per main-loop iteration at most. */
static inline void
wake (NmMemoryBudget *level)
{
  if (!g_atomic_int_get (&level->source_pending) &&
      g_atomic_int_compare_and_exchange (&level->source_pending, 0, 1))
    g_source_set_ready_time (level->source, 0);
}

/* After a charge or an uncharge of @self: high crossings are signalled now
 * on the budget's own thread; everything else goes to the source. */
static void
deliver_path (NmMemoryBudget *self)
{
  GThread *me = NULL;

  for (NmMemoryBudget *level = self; level != NULL; level = level->parent)
    {
      if (G_UNLIKELY (g_atomic_int_get (&level->undelivered_high)))
        {
          if (me == NULL)
            me = g_thread_self ();
          if (level->thread == me)
            emit_high_crossed (level);
          else
            wake (level);
        }
    }
}

/* Charging. The cost per level, uncontended: one compare-and-swap on used,
 * a read of source_pending, and after the whole path succeeded a read of
 * used and peak (a compare-and-swap while the use grows past the peak):
 * a few nanoseconds per level, see the report of test-budget's charge-cost. */

static inline void
crossed_high (NmMemoryBudget *level)
{
  if (g_atomic_int_get (&level->high_armed) &&
      g_atomic_int_compare_and_exchange (&level->high_armed, 1, 0))
    {
      inc64 (&level->n_high);
      g_atomic_int_inc (&level->undelivered_high);
    }
}

static inline void
charged (NmMemoryBudget *level,
         guint64         new_used)
{
  if (level->high != 0 && new_used >= level->high)
    crossed_high (level);

  wake (level);
}

/* After the whole path was charged: a charge that was rolled back never
 * counts in a peak. */
static inline void
raise_peaks (NmMemoryBudget *self)
{
  for (NmMemoryBudget *level = self; level != NULL; level = level->parent)
    {
      guint64 used = load64 (&level->used);
      guint64 peak = load64 (&level->peak);

      while (used > peak &&
             !__atomic_compare_exchange_n (&level->peak, &peak, used, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    }
}

/* Takes @bytes off every level from @self up to, not including, @stop. */
static void
uncharge_levels (NmMemoryBudget *self,
                 NmMemoryBudget *stop,
                 guint64         bytes)
{
  for (NmMemoryBudget *level = self; level != stop; level = level->parent)
    {
      guint64 old = load64 (&level->used);
      guint64 new_used;

      do
        {
          new_used = old - MIN (bytes, old);
        }
      while (!__atomic_compare_exchange_n (&level->used, &old, new_used, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED));

      /* Only a caller's mistake gets here; the ancestors then give back
       * what this level really had, so one critical says it all. */
      if (G_UNLIKELY (bytes > old))
        {
          if (level == self)
            g_critical ("Memory budget “%s”: %" G_GUINT64_FORMAT " bytes given back "
                        "but only %" G_GUINT64_FORMAT " charged; its use is set to 0.",
                        level->path, bytes, old);
          bytes = old;
        }

      if (level->high != 0 && new_used < level->rearm && !g_atomic_int_get (&level->high_armed))
        g_atomic_int_set (&level->high_armed, 1);

      wake (level);
    }
}

gboolean
_nm_memory_budget_try_charge (NmMemoryBudget  *self,
                              guint64          bytes,
                              NmMemoryBudget **refused_by)
{
  NmMemoryBudget *level;

  for (level = self; level != NULL; level = level->parent)
    {
      guint64 old = load64 (&level->used);
      guint64 new_used;

      do
        {
          /* used <= limit always holds, so this cannot wrap. */
          if (G_UNLIKELY (bytes > level->limit - old))
            goto refused;
          new_used = old + bytes;
        }
      while (!__atomic_compare_exchange_n (&level->used, &old, new_used, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED));

      charged (level, new_used);
      continue;

refused:
      /* A refusal that would have reached high warns too, before the
       * caller reports the refusal. */
      if (level->high != 0 && (old >= level->high || bytes >= level->high - old))
        crossed_high (level);
      inc64 (&level->n_refused);
      uncharge_levels (self, level, bytes);
      deliver_path (self);
      if (refused_by != NULL)
        *refused_by = level;
      return FALSE;
    }

  raise_peaks (self);
  deliver_path (self);
  return TRUE;
}

void
_nm_memory_budget_uncharge (NmMemoryBudget *self,
                            guint64         bytes)
{
  uncharge_levels (self, NULL, bytes);
  deliver_path (self);
}

guint64
_nm_memory_budget_get_request_cap (NmMemoryBudget  *self,
                                   NmMemoryBudget **owner)
{
  guint64 cap = 0;

  for (NmMemoryBudget *level = self; level != NULL; level = level->parent)
    {
      if (level->max_request != 0 && (cap == 0 || level->max_request < cap))
        {
          cap = level->max_request;
          if (owner != NULL)
            *owner = level;
        }
    }

  return cap;
}

void
_nm_memory_budget_count_refusal (NmMemoryBudget *self)
{
  inc64 (&self->n_refused);
}

void
_nm_memory_budget_describe_refusal (NmMemoryBudget  *refused_by,
                                    guint64          bytes,
                                    gboolean         per_request,
                                    NmBudgetRefusal *refusal)
{
  refusal->path = refused_by->path;
  refusal->limit = per_request ? refused_by->max_request : refused_by->limit;
  refusal->used = load64 (&refused_by->used);
  refusal->request = bytes;
  refusal->per_request = per_request;
}

void
_nm_memory_budget_attach (NmMemoryBudget *self,
                          char * const   *name,
                          const guint64  *bytes)
{
  Attached attached = { name, bytes };

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
      if (g_array_index (self->allocators, Attached, i).name == name)
        {
          g_array_remove_index (self->allocators, i);
          break;
        }
    }
  g_mutex_unlock (&self->lock);
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

  self->source = g_source_new (&budget_source_funcs, sizeof (BudgetSource));
  g_weak_ref_init (&((BudgetSource *) self->source)->budget, self);
  g_source_set_static_name (self->source, "[nebula-memory] budget notification");
  g_source_set_ready_time (self->source, -1);
  g_source_attach (self->source, self->context);

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
        uncharge_levels (self->parent, NULL, self->used);
      g_clear_object (&self->parent);
    }

  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
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
  self->allocators = g_array_new (FALSE, FALSE, sizeof (Attached));
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
 * them back with nm_memory_budget_uncharge(). Thread-safe, lock-free, and
 * allocates nothing unless it must notify from another thread.
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
      const Attached *a = &g_array_index (self->allocators, Attached, i);
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
