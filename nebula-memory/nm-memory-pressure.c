/* nm-memory-pressure.c: trimming allocators and caches when memory runs low
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-allocator-private.h"
#include "nm-enum-types.h"
#include "nm-memory-pressure.h"

/**
 * SECTION:nm-memory-pressure
 * @Title: NmMemoryPressure
 * @Short_description: give memory back when the system runs low
 *
 * An #NmMemoryPressure follows #GMemoryMonitor::low-memory-warning and
 * trims the targets registered with it by level:
 *
 * - %NM_MEMORY_PRESSURE_LEVEL_LOW: allocators give back free backing memory
 *   beyond what they keep to work without asking the system again: their
 *   configured capacity and one spare unit of growth. A bump allocator
 *   keeps its first chunk and the spare chunk its last reset kept; a pool
 *   keeps its first slab (its block-count) and one completely free slab
 *   besides; a stack keeps its whole region. #NmAsyncCache drops a quarter
 *   of its entries;
 * - %NM_MEMORY_PRESSURE_LEVEL_MEDIUM: allocators give back all the free
 *   backing memory they can: a bump allocator its spare chunk, a pool every
 *   completely free slab but the first, a stack the pages of its region
 *   above the top (they stay reserved and charged to its budget, and come
 *   back zero-filled when the stack grows into them again). What an
 *   allocator was built with — a bump allocator's first chunk, a pool's
 *   first slab — is kept at every level until it is finalized.
 *   #NmAsyncCache drops half of its entries;
 * - %NM_MEMORY_PRESSURE_LEVEL_CRITICAL: allocators as for medium, and
 *   caches drop every entry.
 *
 * Nothing that is in use moves. nm_allocator_trim() is the same trim on
 * demand, at %NM_MEMORY_PRESSURE_LEVEL_MEDIUM: an application that asks
 * for memory back gets all that is free.
 * Other objects — caches — register a #NmMemoryPressureFunc with
 * nm_memory_pressure_add_target() and decide for themselves what each
 * level means. Every target is held weakly: a finalized target is forgotten,
 * and registering never keeps anything alive.
 *
 * nm_memory_pressure_get_default() is the instance that
 * nm_allocator_new_from_config() registers allocators with when their
 * configuration says `trim-on-pressure=true`. It follows the platform's
 * monitor, g_memory_monitor_dup_default(), taken when the first target is
 * registered, unless nm_memory_pressure_set_monitor() gave it another one —
 * a test can inject a #GMemoryMonitor of its own that emits the signal.
 * nm_memory_pressure_trim() trims on demand, with no monitor at all.
 *
 * Targets are trimmed on the thread that emits the monitor's signal (the
 * main context of the monitor) or that calls nm_memory_pressure_trim():
 * register allocators that thread may use.
 *
 * |[<!-- language="C" -->
 * NmMemoryPressure *pressure = nm_memory_pressure_get_default ();
 *
 * nm_memory_pressure_add_allocator (pressure, arena);
 * nm_memory_pressure_add_target (pressure, G_OBJECT (cache), drop_entries, NULL, NULL);
 * g_signal_connect (pressure, "trimmed", G_CALLBACK (log_trim), NULL);
 * ]|
 */

typedef struct
{
  guint                 id;
  GWeakRef              target;
  NmMemoryPressureFunc  func;         /* NULL: an allocator */
  gpointer              user_data;
  GDestroyNotify        destroy;
} Target;

struct _NmMemoryPressure
{
  GObject          parent_instance;

  GMutex           lock;
  GMemoryMonitor  *monitor;       /* guarded by lock */
  gulong           handler;
  gboolean         explicit_monitor;
  GPtrArray       *targets;       /* Target *, guarded by lock */
  guint            next_id;
};

G_DEFINE_FINAL_TYPE (NmMemoryPressure, nm_memory_pressure, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MONITOR,
  N_PROPS
};

enum {
  TRIMMED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static void
target_free (gpointer data)
{
  Target *target = data;

  g_weak_ref_clear (&target->target);
  if (target->destroy != NULL)
    target->destroy (target->user_data);
  g_free (target);
}

static void
on_low_memory_warning (GMemoryMonitor             *monitor,
                       GMemoryMonitorWarningLevel  warning,
                       gpointer                    user_data)
{
  nm_memory_pressure_trim (user_data, nm_memory_pressure_level_from_warning (warning));
}

/* With the lock held. */
static void
connect_monitor (NmMemoryPressure *self,
                 GMemoryMonitor   *monitor)
{
  if (self->monitor != NULL)
    {
      g_clear_signal_handler (&self->handler, self->monitor);
      g_clear_object (&self->monitor);
    }

  if (monitor != NULL)
    {
      self->monitor = g_object_ref (monitor);
      self->handler = g_signal_connect_object (monitor, "low-memory-warning",
                                               G_CALLBACK (on_low_memory_warning),
                                               self, G_CONNECT_DEFAULT);
    }
}

/* The platform's monitor, when the first target is registered and no
 * monitor was given. With the lock held. */
static void
ensure_monitor (NmMemoryPressure *self)
{
  g_autoptr(GMemoryMonitor) monitor = NULL;

  if (self->monitor != NULL || self->explicit_monitor)
    return;

  monitor = g_memory_monitor_dup_default ();
  connect_monitor (self, monitor);
}

static void
nm_memory_pressure_dispose (GObject *object)
{
  NmMemoryPressure *self = (NmMemoryPressure *) object;

  g_mutex_lock (&self->lock);
  connect_monitor (self, NULL);
  g_mutex_unlock (&self->lock);

  G_OBJECT_CLASS (nm_memory_pressure_parent_class)->dispose (object);
}

static void
nm_memory_pressure_finalize (GObject *object)
{
  NmMemoryPressure *self = (NmMemoryPressure *) object;

  g_clear_pointer (&self->targets, g_ptr_array_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (nm_memory_pressure_parent_class)->finalize (object);
}

static void
nm_memory_pressure_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NmMemoryPressure *self = NM_MEMORY_PRESSURE (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      g_mutex_lock (&self->lock);
      g_value_set_object (value, self->monitor);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_memory_pressure_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NmMemoryPressure *self = NM_MEMORY_PRESSURE (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      nm_memory_pressure_set_monitor (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_memory_pressure_class_init (NmMemoryPressureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nm_memory_pressure_dispose;
  object_class->finalize = nm_memory_pressure_finalize;
  object_class->get_property = nm_memory_pressure_get_property;
  object_class->set_property = nm_memory_pressure_set_property;

  /**
   * NmMemoryPressure:monitor:
   *
   * The #GMemoryMonitor followed. %NULL (the default) until the first
   * target is registered, when the platform's monitor is taken; setting a
   * monitor replaces it, setting %NULL goes back to the platform's.
   *
   * Since: 1.0
   */
  properties [PROP_MONITOR] =
    g_param_spec_object ("monitor", NULL, "The memory monitor followed",
                         G_TYPE_MEMORY_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NmMemoryPressure::trimmed:
   * @self: the #NmMemoryPressure
   * @level: the #NmMemoryPressureLevel trimmed for
   * @released: the bytes the targets gave back
   *
   * Emitted after every target was trimmed, on the thread that trimmed.
   *
   * Since: 1.0
   */
  signals [TRIMMED] =
    g_signal_new ("trimmed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, NM_TYPE_MEMORY_PRESSURE_LEVEL, G_TYPE_UINT64);
}

static void
nm_memory_pressure_init (NmMemoryPressure *self)
{
  g_mutex_init (&self->lock);
  self->targets = g_ptr_array_new_with_free_func (target_free);
  self->next_id = 1;
}

/**
 * nm_memory_pressure_new:
 * @monitor: (nullable): the #GMemoryMonitor to follow, or %NULL for the
 *   platform's, taken when the first target is registered
 *
 * Creates a pressure follower of its own; most programs use
 * nm_memory_pressure_get_default().
 *
 * Returns: (transfer full): a new #NmMemoryPressure
 *
 * Since: 1.0
 */
NmMemoryPressure *
nm_memory_pressure_new (GMemoryMonitor *monitor)
{
  g_return_val_if_fail (monitor == NULL || G_IS_MEMORY_MONITOR (monitor), NULL);

  return g_object_new (NM_TYPE_MEMORY_PRESSURE, "monitor", monitor, NULL);
}

/**
 * nm_memory_pressure_get_default:
 *
 * The process's #NmMemoryPressure, which allocators built with
 * `trim-on-pressure=true` register with. Created on first use; never
 * finalized.
 *
 * Returns: (transfer none): the default #NmMemoryPressure
 *
 * Since: 1.0
 */
NmMemoryPressure *
nm_memory_pressure_get_default (void)
{
  static NmMemoryPressure *default_pressure;

  if (g_once_init_enter (&default_pressure))
    g_once_init_leave (&default_pressure, nm_memory_pressure_new (NULL));

  return default_pressure;
}

/**
 * nm_memory_pressure_set_monitor:
 * @self: an #NmMemoryPressure
 * @monitor: (nullable): the #GMemoryMonitor to follow, or %NULL for the
 *   platform's
 *
 * Follows @monitor instead of the monitor followed so far: to inject a
 * monitor in tests, or to follow one of the application's choosing.
 *
 * Since: 1.0
 */
void
nm_memory_pressure_set_monitor (NmMemoryPressure *self,
                                GMemoryMonitor   *monitor)
{
  gboolean changed;

  g_return_if_fail (NM_IS_MEMORY_PRESSURE (self));
  g_return_if_fail (monitor == NULL || G_IS_MEMORY_MONITOR (monitor));

  g_mutex_lock (&self->lock);
  changed = self->monitor != monitor;
  if (changed)
    connect_monitor (self, monitor);
  self->explicit_monitor = monitor != NULL;
  if (monitor == NULL && self->targets->len > 0)
    ensure_monitor (self);
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MONITOR]);
}

/**
 * nm_memory_pressure_get_monitor:
 * @self: an #NmMemoryPressure
 *
 * Gets #NmMemoryPressure:monitor.
 *
 * Returns: (transfer none) (nullable): the monitor followed, or %NULL when
 *   none was taken yet
 *
 * Since: 1.0
 */
GMemoryMonitor *
nm_memory_pressure_get_monitor (NmMemoryPressure *self)
{
  GMemoryMonitor *monitor;

  g_return_val_if_fail (NM_IS_MEMORY_PRESSURE (self), NULL);

  g_mutex_lock (&self->lock);
  monitor = self->monitor;
  g_mutex_unlock (&self->lock);

  return monitor;
}

/* With the lock held: forgets targets that were finalized. */
static void
prune (NmMemoryPressure *self)
{
  for (guint i = self->targets->len; i > 0; i--)
    {
      Target *target = g_ptr_array_index (self->targets, i - 1);
      GObject *object = g_weak_ref_get (&target->target);

      if (object == NULL)
        g_ptr_array_remove_index (self->targets, i - 1);
      else
        g_object_unref (object);
    }
}

static guint
add (NmMemoryPressure     *self,
     GObject              *object,
     NmMemoryPressureFunc  func,
     gpointer              user_data,
     GDestroyNotify        destroy)
{
  Target *target = g_new0 (Target, 1);
  guint id;

  g_weak_ref_init (&target->target, object);
  target->func = func;
  target->user_data = user_data;
  target->destroy = destroy;

  g_mutex_lock (&self->lock);
  prune (self);
  id = target->id = self->next_id++;
  g_ptr_array_add (self->targets, target);
  ensure_monitor (self);
  g_mutex_unlock (&self->lock);

  return id;
}

/**
 * nm_memory_pressure_add_allocator:
 * @self: an #NmMemoryPressure
 * @allocator: an #NmAllocator, held weakly
 *
 * Trims @allocator with nm_allocator_trim() under memory pressure, until it
 * is finalized or removed with nm_memory_pressure_remove_allocator().
 *
 * Since: 1.0
 */
void
nm_memory_pressure_add_allocator (NmMemoryPressure *self,
                                  NmAllocator      *allocator)
{
  g_return_if_fail (NM_IS_MEMORY_PRESSURE (self));
  g_return_if_fail (NM_IS_ALLOCATOR (allocator));

  add (self, G_OBJECT (allocator), NULL, NULL, NULL);
}

static gboolean
remove_where (NmMemoryPressure *self,
              GObject          *object,
              guint             id)
{
  Target *found = NULL;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->targets->len; i++)
    {
      Target *target = g_ptr_array_index (self->targets, i);
      GObject *held = NULL;
      gboolean match;

      if (object != NULL)
        {
          held = g_weak_ref_get (&target->target);
          match = held == object && target->func == NULL;
          g_clear_object (&held);
        }
      else
        match = target->id == id;

      if (match)
        {
          found = g_ptr_array_steal_index (self->targets, i);
          break;
        }
    }
  g_mutex_unlock (&self->lock);

  /* Outside the lock: the destroy notify may call back. */
  if (found != NULL)
    target_free (found);

  return found != NULL;
}

/**
 * nm_memory_pressure_remove_allocator:
 * @self: an #NmMemoryPressure
 * @allocator: an #NmAllocator added with nm_memory_pressure_add_allocator()
 *
 * Stops trimming @allocator under memory pressure.
 *
 * Returns: %TRUE when @allocator was registered
 *
 * Since: 1.0
 */
gboolean
nm_memory_pressure_remove_allocator (NmMemoryPressure *self,
                                     NmAllocator      *allocator)
{
  g_return_val_if_fail (NM_IS_MEMORY_PRESSURE (self), FALSE);
  g_return_val_if_fail (NM_IS_ALLOCATOR (allocator), FALSE);

  return remove_where (self, G_OBJECT (allocator), 0);
}

/**
 * nm_memory_pressure_add_target:
 * @self: an #NmMemoryPressure
 * @target: the object @func gives memory back for, held weakly
 * @func: (scope notified) (closure user_data) (destroy destroy): called
 *   with @target and the level under memory pressure
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the target is removed or
 *   found finalized
 *
 * Registers a target that is not an allocator, such as a cache: @func is
 * called under memory pressure while @target is alive, after the
 * allocators were trimmed.
 *
 * Returns: an id for nm_memory_pressure_remove_target(), never 0
 *
 * Since: 1.0
 */
guint
nm_memory_pressure_add_target (NmMemoryPressure     *self,
                               GObject              *target,
                               NmMemoryPressureFunc  func,
                               gpointer              user_data,
                               GDestroyNotify        destroy)
{
  g_return_val_if_fail (NM_IS_MEMORY_PRESSURE (self), 0);
  g_return_val_if_fail (G_IS_OBJECT (target), 0);
  g_return_val_if_fail (func != NULL, 0);

  return add (self, target, func, user_data, destroy);
}

/**
 * nm_memory_pressure_remove_target:
 * @self: an #NmMemoryPressure
 * @id: an id from nm_memory_pressure_add_target()
 *
 * Stops calling the function registered as @id.
 *
 * Returns: %TRUE when @id was registered
 *
 * Since: 1.0
 */
gboolean
nm_memory_pressure_remove_target (NmMemoryPressure *self,
                                  guint             id)
{
  g_return_val_if_fail (NM_IS_MEMORY_PRESSURE (self), FALSE);
  g_return_val_if_fail (id != 0, FALSE);

  return remove_where (self, NULL, id);
}

/**
 * nm_memory_pressure_get_n_targets:
 * @self: an #NmMemoryPressure
 *
 * Counts the registered targets that are still alive.
 *
 * Returns: the number of allocators and other targets registered
 *
 * Since: 1.0
 */
guint
nm_memory_pressure_get_n_targets (NmMemoryPressure *self)
{
  guint n;

  g_return_val_if_fail (NM_IS_MEMORY_PRESSURE (self), 0);

  g_mutex_lock (&self->lock);
  prune (self);
  n = self->targets->len;
  g_mutex_unlock (&self->lock);

  return n;
}

typedef struct
{
  GObject              *object;   /* a reference */
  NmMemoryPressureFunc  func;
  gpointer              user_data;
} Call;

static void
call_clear (gpointer data)
{
  g_clear_object (&((Call *) data)->object);
}

/**
 * nm_memory_pressure_trim:
 * @self: an #NmMemoryPressure
 * @level: how hard to trim
 *
 * Trims every registered target for @level now, allocators first, then
 * the other targets, and emits #NmMemoryPressure::trimmed. This is what a
 * #GMemoryMonitor::low-memory-warning does; call it to simulate one, or to
 * trim when the application knows better.
 *
 * Returns: the bytes the targets gave back
 *
 * Since: 1.0
 */
guint64
nm_memory_pressure_trim (NmMemoryPressure      *self,
                         NmMemoryPressureLevel  level)
{
  g_autoptr(GArray) calls = g_array_new (FALSE, TRUE, sizeof (Call));
  guint64 released = 0;

  g_return_val_if_fail (NM_IS_MEMORY_PRESSURE (self), 0);
  g_return_val_if_fail (level <= NM_MEMORY_PRESSURE_LEVEL_CRITICAL, 0);

  g_array_set_clear_func (calls, call_clear);

  /* Strong references taken under the lock, calls made outside it: a
   * target may register or remove targets while it trims. */
  g_mutex_lock (&self->lock);
  prune (self);
  for (guint i = 0; i < self->targets->len; i++)
    {
      Target *target = g_ptr_array_index (self->targets, i);
      Call call = { g_weak_ref_get (&target->target), target->func, target->user_data };

      if (call.object != NULL)
        g_array_append_val (calls, call);
    }
  g_mutex_unlock (&self->lock);

  g_object_ref (self);

  /* Allocators at every level, each as the level asks (see the section
   * documentation); counted as trims like nm_allocator_trim(). */
  for (guint i = 0; i < calls->len; i++)
    {
      Call *call = &g_array_index (calls, Call, i);

      if (call->func == NULL)
        released += _nm_allocator_trim_at_level (NM_ALLOCATOR (call->object), level);
    }

  for (guint i = 0; i < calls->len; i++)
    {
      Call *call = &g_array_index (calls, Call, i);

      if (call->func != NULL)
        released += call->func (call->object, level, call->user_data);
    }

  g_signal_emit (self, signals [TRIMMED], 0, level, released);
  g_object_unref (self);

  return released;
}

/**
 * nm_memory_pressure_level_from_warning:
 * @warning: a level from #GMemoryMonitor::low-memory-warning
 *
 * Maps the monitor's levels onto the three levels trimmed for: below
 * %G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM is low, below
 * %G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL medium, and critical from there.
 *
 * Returns: the #NmMemoryPressureLevel for @warning
 *
 * Since: 1.0
 */
NmMemoryPressureLevel
nm_memory_pressure_level_from_warning (GMemoryMonitorWarningLevel warning)
{
  if (warning >= G_MEMORY_MONITOR_WARNING_LEVEL_CRITICAL)
    return NM_MEMORY_PRESSURE_LEVEL_CRITICAL;
  if (warning >= G_MEMORY_MONITOR_WARNING_LEVEL_MEDIUM)
    return NM_MEMORY_PRESSURE_LEVEL_MEDIUM;
  return NM_MEMORY_PRESSURE_LEVEL_LOW;
}
