/* nm-allocator-common.c: what the allocator implementations share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The NmAllocatorCommon every implementation embeds: its settings, the
 * interface properties, notifications queued for the main context, and
 * the failure, misuse and leak reports composed by nm-error.c, counted and
 * signalled here the same way for every allocator.
 */

#include "config.h"

#include <string.h>

#include "nm-allocator-private.h"
#include "nm-backing-private.h"
#include "nm-sanitizer-private.h"

#define signals _nm_allocator_signals
#define ALLOCATION_FAILED NM_ALLOCATOR_SIGNAL_ALLOCATION_FAILED
#define RESET NM_ALLOCATOR_SIGNAL_RESET
#define HIGH_WATER NM_ALLOCATOR_SIGNAL_HIGH_WATER


gboolean
nm_sanitizer_active (void)
{
#ifdef NM_HAVE_ASAN
  return TRUE;
#elif HAVE_VALGRIND
  return RUNNING_ON_VALGRIND != 0;
#else
  return FALSE;
#endif
}

void
_nm_allocator_common_init (NmAllocatorCommon *common,
                           const char        *label,
                           const char        *name,
                           gboolean           thread_safe)
{
  memset (common, 0, sizeof *common);
  common->context = g_main_context_ref_thread_default ();
  common->label = label;
  common->name = g_strdup (name ? name : "");
  common->thread_safe = !!thread_safe;
  common->track_stats = TRUE;
  common->sanitize = nm_sanitizer_active ();
}

void
_nm_allocator_common_apply_config (NmAllocatorCommon *common,
                                   NmMemoryConfig    *config)
{
  g_free (common->name);
  common->name = g_strdup (nm_memory_config_get_name (config));
  common->thread_safe = nm_memory_config_get_thread_safe (config);
  common->track_stats = nm_memory_config_get_track_stats (config);
  common->poison = nm_memory_config_get_poison (config);
  common->validate = nm_memory_config_get_validate (config);
  common->leak_report = nm_memory_config_get_leak_report (config);
  common->high_water_mark = nm_memory_config_get_high_water_mark (config);
  _nm_allocator_common_set_leak_sites (common, common->leak_report &&
                                       nm_memory_config_get_leak_sites (config));

  _nm_backing_set_budget (common, nm_memory_config_get_budget (config));
}

void
_nm_allocator_common_clear (NmAllocatorCommon *common)
{
  _nm_backing_set_budget (common, NULL);
  _nm_allocator_common_set_leak_sites (common, FALSE);
  g_clear_pointer (&common->notifier, _nm_notifier_free);
  g_clear_pointer (&common->context, g_main_context_unref);
  g_clear_pointer (&common->name, g_free);
}

void
_nm_allocator_common_set_leak_sites (NmAllocatorCommon *common,
                                     gboolean           enabled)
{
  common->leak_sites = !!enabled;
  if (enabled && common->sites == NULL)
    common->sites = _nm_leak_sites_new ();
  else if (!enabled)
    g_clear_pointer (&common->sites, _nm_leak_sites_free);
}

static GQuark
common_offset_quark (void)
{
  return g_quark_from_static_string ("nm-allocator-common-offset");
}

void
_nm_allocator_class_set_common (GObjectClass *klass,
                                goffset       common_offset)
{
  /* Stored plus one, so that no offset reads as "not set". */
  g_type_set_qdata (G_OBJECT_CLASS_TYPE (klass), common_offset_quark (),
                    GSIZE_TO_POINTER ((gsize) common_offset + 1));

  /**
   * NmBumpAllocator:high-water-mark:
   *
   * The #NmMemoryConfig:high-water-mark in effect: the utilization
   * (#NmAllocator:bytes-used over #NmAllocator:capacity) that emits
   * #NmAllocator::high-water, or 0 when the signal is off.
   *
   * Since: 1.0
   */
  /**
   * NmBumpAllocator:high-water-crossings:
   *
   * How many times utilization crossed #NmBumpAllocator:high-water-mark (the
   * high_water_count of #NmAllocatorStats). Notified on the allocator's
   * main context together with #NmAllocator::high-water.
   *
   * Since: 1.0
   */
  /**
   * NmPoolAllocator:high-water-mark:
   *
   * The #NmMemoryConfig:high-water-mark in effect: the utilization
   * (#NmAllocator:bytes-used over #NmAllocator:capacity) that emits
   * #NmAllocator::high-water, or 0 when the signal is off.
   *
   * Since: 1.0
   */
  /**
   * NmPoolAllocator:high-water-crossings:
   *
   * How many times utilization crossed #NmPoolAllocator:high-water-mark (the
   * high_water_count of #NmAllocatorStats). Notified on the allocator's
   * main context together with #NmAllocator::high-water.
   *
   * Since: 1.0
   */
  /**
   * NmStackAllocator:high-water-mark:
   *
   * The #NmMemoryConfig:high-water-mark in effect: the utilization
   * (#NmAllocator:bytes-used over #NmAllocator:capacity) that emits
   * #NmAllocator::high-water, or 0 when the signal is off.
   *
   * Since: 1.0
   */
  /**
   * NmStackAllocator:high-water-crossings:
   *
   * How many times utilization crossed #NmStackAllocator:high-water-mark (the
   * high_water_count of #NmAllocatorStats). Notified on the allocator's
   * main context together with #NmAllocator::high-water.
   *
   * Since: 1.0
   */
  g_object_class_install_property (klass, NM_ALLOCATOR_PROP_HIGH_WATER_MARK,
    g_param_spec_double ("high-water-mark", NULL,
                         "Utilization that emits the high-water signal, or 0 for none",
                         0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (klass, NM_ALLOCATOR_PROP_HIGH_WATER_CROSSINGS,
    g_param_spec_uint64 ("high-water-crossings", NULL,
                         "Times utilization crossed the high-water mark",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
}

NmAllocatorCommon *
_nm_allocator_get_common (NmAllocator *self)
{
  gsize stored = GPOINTER_TO_SIZE (g_type_get_qdata (G_OBJECT_TYPE (self),
                                                     common_offset_quark ()));

  return stored ? (NmAllocatorCommon *) ((guint8 *) self + stored - 1) : NULL;
}

static GQuark
slot_quark (void)
{
  return g_quark_from_static_string ("nm-allocator-dispatch-slot");
}

void
_nm_allocator_class_set_slot (GObjectClass *klass,
                              guint         slot)
{
  g_type_set_qdata (G_OBJECT_CLASS_TYPE (klass), slot_quark (), GUINT_TO_POINTER (slot + 1));
}

guint
_nm_allocator_class_get_slot (GType type)
{
  guint stored = GPOINTER_TO_UINT (g_type_get_qdata (type, slot_quark ()));

  return stored ? stored - 1 : G_MAXUINT;
}

void
_nm_allocator_class_override_properties (GObjectClass  *klass,
                                         GParamSpec   **pspecs)
{
  static const char * const names[] = {
    NULL, "name", "capacity", "bytes-used", "bytes-peak", "allocation-count", "thread-safe",
  };

  for (guint i = NM_ALLOCATOR_PROP_NAME; i < NM_ALLOCATOR_PROP_LAST; i++)
    {
      g_object_class_override_property (klass, i, names[i]);
      pspecs[i] = g_object_class_find_property (klass, names[i]);
    }
}

gboolean
_nm_allocator_get_common_property (NmAllocator       *self,
                                   NmAllocatorCommon *common,
                                   guint              prop_id,
                                   GValue            *value)
{
  NmAllocatorStats stats = { 0 };

  switch (prop_id)
    {
    case NM_ALLOCATOR_PROP_NAME:
      g_value_set_string (value, common->name);
      return TRUE;

    case NM_ALLOCATOR_PROP_THREAD_SAFE:
      g_value_set_boolean (value, common->thread_safe);
      return TRUE;

    case NM_ALLOCATOR_PROP_HIGH_WATER_MARK:
      g_value_set_double (value, common->high_water_mark);
      return TRUE;

    case NM_ALLOCATOR_PROP_HIGH_WATER_CROSSINGS:
      g_value_set_uint64 (value, _nm_counter_get (&common->n_high_water));
      return TRUE;

    case NM_ALLOCATOR_PROP_CAPACITY:
    case NM_ALLOCATOR_PROP_BYTES_USED:
    case NM_ALLOCATOR_PROP_BYTES_PEAK:
    case NM_ALLOCATOR_PROP_ALLOCATION_COUNT:
      NM_ALLOCATOR_GET_IFACE (self)->get_stats (self, &stats);
      g_value_set_uint64 (value,
                          prop_id == NM_ALLOCATOR_PROP_CAPACITY ? stats.capacity :
                          prop_id == NM_ALLOCATOR_PROP_BYTES_USED ? stats.bytes_used :
                          prop_id == NM_ALLOCATOR_PROP_BYTES_PEAK ? stats.bytes_peak :
                          stats.allocation_count);
      return TRUE;

    default:
      return FALSE;
    }
}

static void
deliver_notifications (GObject  *object,
                       gpointer  data)
{
  NmAllocatorCommon *common = _nm_allocator_get_common ((NmAllocator *) object);
  GParamSpec **pspecs = data;
  guint pending = __atomic_exchange_n (&common->pending_notify, 0, __ATOMIC_ACQ_REL);
  guint64 resets = 0;
  guint64 crossings = 0;

  if (pending & (1u << NM_ALLOCATOR_PENDING_RESET))
    {
      guint64 n = _nm_counter_get (&common->n_resets);

      /* Only this callback, on the context's thread, writes it. */
      resets = n - common->delivered_resets;
      common->delivered_resets = n;
      pending &= ~(1u << NM_ALLOCATOR_PENDING_RESET);
    }

  if (pending & (1u << NM_ALLOCATOR_PENDING_HIGH_WATER))
    {
      guint64 n = _nm_counter_get (&common->n_high_water);

      crossings = n - common->delivered_high_water;
      common->delivered_high_water = n;
      pending &= ~(1u << NM_ALLOCATOR_PENDING_HIGH_WATER);
    }

  for (guint id = 0; pending != 0; id++, pending >>= 1)
    if (pending & 1)
      {
        /* The common properties are not in the class's table. */
        if (id >= NM_ALLOCATOR_PROP_COMMON_FIRST)
          g_object_notify (object, id == NM_ALLOCATOR_PROP_HIGH_WATER_CROSSINGS
                                   ? "high-water-crossings" : "high-water-mark");
        else
          g_object_notify_by_pspec (object, pspecs [id]);
      }

  /* Last: the values a handler reads are already announced. */
  if (resets != 0)
    g_signal_emit (object, signals [RESET], 0, resets);
  if (crossings != 0)
    g_signal_emit (object, signals [HIGH_WATER], 0, crossings);
}

static NmNotifier *
ensure_notifier (NmAllocator        *self,
                 NmAllocatorCommon  *common,
                 GParamSpec        **pspecs)
{
  NmNotifier *notifier = __atomic_load_n (&common->notifier, __ATOMIC_ACQUIRE);
  NmNotifier *expected = NULL;

  if (G_LIKELY (notifier != NULL))
    return notifier;

  /* Made at the first notification, so allocators that never change in a
   * way anyone could observe cost no source; two threads may race here in
   * thread-safe mode, and the loser's notifier goes away unused. */
  notifier = _nm_notifier_new (G_OBJECT (self), common->context, deliver_notifications,
                               pspecs, "[nebula-memory] allocator notification");
  if (!__atomic_compare_exchange_n (&common->notifier, &expected, notifier, FALSE,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    {
      _nm_notifier_free (notifier);
      notifier = expected;
    }

  return notifier;
}

void
_nm_allocator_sample_high_water (NmAllocator        *self,
                                 NmAllocatorCommon  *common,
                                 GParamSpec        **pspecs,
                                 guint64             used,
                                 guint64             capacity)
{
  gdouble mark = common->high_water_mark;

  if (mark == 0.0 || capacity == 0)
    return;

  if ((gdouble) used >= mark * (gdouble) capacity)
    {
      /* Edge-triggered: of the threads that see the crossing, one counts it. */
      if (__atomic_load_n (&common->hw_crossed, __ATOMIC_RELAXED) == 0 &&
          g_atomic_int_compare_and_exchange (&common->hw_crossed, 0, 1))
        {
          _nm_counter_inc (&common->n_high_water);
          _nm_allocator_queue_notify (self, common, pspecs,
                                      NM_ALLOCATOR_PROP_HIGH_WATER_CROSSINGS);
          _nm_allocator_queue_notify (self, common, pspecs, NM_ALLOCATOR_PENDING_HIGH_WATER);
        }
    }
  else if ((gdouble) used < _nm_allocator_high_water_rearm_level (mark) * (gdouble) capacity &&
           __atomic_load_n (&common->hw_crossed, __ATOMIC_RELAXED) != 0)
    __atomic_store_n (&common->hw_crossed, 0, __ATOMIC_RELAXED);
}

/* The capacity changed (growth or trim): a growth since the last sample
 * means the allocator was full, then the usage now is sampled. Called
 * outside the allocators' locks, as every notification is. */
static void NM_COLD
sample_capacity_change (NmAllocator        *self,
                        NmAllocatorCommon  *common,
                        GParamSpec        **pspecs)
{
  NmAllocatorStats stats = { 0 };

  if (__atomic_exchange_n (&common->hw_grew, 0, __ATOMIC_RELAXED))
    _nm_allocator_sample_high_water (self, common, pspecs, 1, 1);

  NM_ALLOCATOR_GET_IFACE (self)->get_stats (self, &stats);
  _nm_allocator_sample_high_water (self, common, pspecs, stats.bytes_used, stats.capacity);
}

void
_nm_allocator_queue_notify (NmAllocator        *self,
                            NmAllocatorCommon  *common,
                            GParamSpec        **pspecs,
                            guint               prop_id)
{
  guint bit = 1u << prop_id;

  if (G_UNLIKELY (prop_id == NM_ALLOCATOR_PROP_CAPACITY && common->high_water_mark != 0.0))
    sample_capacity_change (self, common, pspecs);

  if (__atomic_load_n (&common->pending_notify, __ATOMIC_RELAXED) & bit)
    return;

  __atomic_fetch_or (&common->pending_notify, bit, __ATOMIC_RELEASE);
  _nm_notifier_wake (ensure_notifier (self, common, pspecs));
}

void
_nm_allocator_notify_usage (NmAllocator        *self,
                            NmAllocatorCommon  *common,
                            GParamSpec        **pspecs,
                            guint64             used_before,
                            guint64             used_after,
                            guint64             peak_before,
                            guint64             peak_after)
{
  common->notified_peak = peak_after;

  if (G_UNLIKELY (common->high_water_mark != 0.0))
    {
      NmAllocatorStats stats = { 0 };
      guint64 capacity_before = common->sample_capacity;

      /* The usage before the change is the highest it reached since the
       * last sample for a reset, and the usage when the stack popped. */
      NM_ALLOCATOR_GET_IFACE (self)->get_stats (self, &stats);
      common->sample_capacity = 0;
      _nm_allocator_sample_high_water (self, common, pspecs, used_before,
                                       capacity_before ? capacity_before : stats.capacity);
      _nm_allocator_sample_high_water (self, common, pspecs, used_after, stats.capacity);
    }

  if (used_before != used_after)
    _nm_allocator_queue_notify (self, common, pspecs, NM_ALLOCATOR_PROP_BYTES_USED);
  if (peak_before != peak_after)
    _nm_allocator_queue_notify (self, common, pspecs, NM_ALLOCATOR_PROP_BYTES_PEAK);
}

void
_nm_allocator_fill_common_stats (NmAllocatorCommon *common,
                                 NmAllocatorStats  *stats)
{
  stats->failed_count = _nm_counter_get (&common->n_failed);
  stats->invalid_free_count = _nm_counter_get (&common->n_invalid_frees);
  stats->corruption_count = _nm_counter_get (&common->n_corruptions);
  stats->reset_count = _nm_counter_get (&common->n_resets);
  stats->trim_count = _nm_counter_get (&common->n_trims);
  stats->budget_refused_count = _nm_counter_get (&common->n_budget_refusals);
  stats->high_water_count = _nm_counter_get (&common->n_high_water);
}

gpointer
_nm_allocator_fail_with_error (NmAllocator        *self,
                               NmAllocatorCommon  *common,
                               GError            **error,
                               GError             *local_error)
{
  _nm_counter_inc (&common->n_failed);
  g_signal_emit (self, signals [ALLOCATION_FAILED], 0, local_error);
  g_propagate_error (error, local_error);

  return NULL;
}

gpointer
_nm_allocator_fail_request (NmAllocator         *self,
                            NmAllocatorCommon   *common,
                            GError             **error,
                            NmAllocatorError     code,
                            const NmFailureInfo *info)
{
  return _nm_allocator_fail_with_error (self, common, error,
                    _nm_error_new_request (common->label, common->name, code, info));
}

gpointer
_nm_allocator_fail_misuse (NmAllocator        *self,
                           NmAllocatorCommon  *common,
                           GError            **error,
                           NmAllocatorError    code,
                           const char         *format,
                           ...)
{
  g_autofree char *predicate = NULL;
  va_list args;

  va_start (args, format);
  predicate = g_strdup_vprintf (format, args);
  va_end (args);

  return _nm_allocator_fail_with_error (self, common, error,
                    _nm_error_new_misuse (common->label, common->name, code, predicate));
}

gpointer
_nm_allocator_fail_layout (NmAllocator        *self,
                           NmAllocatorCommon  *common,
                           gsize               size,
                           gsize               alignment,
                           GError            **error)
{
  g_autofree char *page = g_strdup_printf ("alignments above the page size (%" G_GSIZE_FORMAT
                                           ") are not supported", nm_page_size);
  NmFailureInfo info = { .size = size, .alignment = alignment };

  if (size == 0)
    {
      info.state = "sizes start at 1 byte";
      info.suggestion = "Check how the size was computed.";
    }
  else if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    {
      info.state = "the alignment must be a power of two";
      info.suggestion = "Use G_ALIGNOF() of the type, or 8 or 16.";
    }
  else
    {
      info.state = page;
      info.suggestion = "Use a page-aligned mapping for such memory.";
    }

  return _nm_allocator_fail_request (self, common, error, NM_ALLOCATOR_ERROR_INVALID_LAYOUT, &info);
}

void
_nm_allocator_report_foreign_thread (NmAllocatorCommon *common,
                                     GThread           *me,
                                     const char        *advice)
{
  GThread *owner = NULL;

  if (g_atomic_pointer_compare_and_exchange_full (&common->owner, NULL, me, &owner) ||
      owner == me)
    return;

  /* One report per foreign thread, not one per call. */
  if (g_atomic_pointer_exchange (&common->reported, me) == me)
    return;

  g_critical ("%s “%s” is used from thread %p but belongs to thread %p: %s",
              common->label, common->name, (gpointer) me, (gpointer) owner, advice);
}

void
_nm_allocator_report_invalid_free (NmAllocator       *self,
                                   NmAllocatorCommon *common,
                                   gconstpointer      mem,
                                   const char        *format,
                                   ...)
{
  g_autofree char *what = NULL;
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  _nm_counter_inc (&common->n_invalid_frees);
  text = _nm_error_invalid_free_text (common->label, common->name, mem, what);
  g_critical ("%s", text);
}

void
_nm_allocator_report_corruption (NmAllocatorCommon *common,
                                 gconstpointer      mem,
                                 const char        *format,
                                 ...)
{
  g_autofree char *what = NULL;
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  _nm_counter_inc (&common->n_corruptions);
  text = _nm_error_corruption_text (common->label, common->name, mem, what);
  g_critical ("%s", text);
}

void
_nm_allocator_report_leaks (NmAllocatorCommon *common,
                            guint64            live_count,
                            guint64            live_bytes,
                            const char        *advice)
{
  g_autofree char *text = NULL;
  g_autofree char *sites = NULL;

  text = _nm_error_leak_text (common->label, common->name,
                              common->budget ? nm_memory_budget_get_path (common->budget) : NULL,
                              live_count, live_bytes, advice);
  if (common->sites != NULL)
    sites = _nm_leak_sites_describe (common->sites, 5);

  if (sites != NULL)
    g_warning ("%s%s %s", text, g_str_has_suffix (text, ".") ? "" : ".", sites);
  else
    g_warning ("%s", text);
}

/* The level of the trim running on this thread, plus one; 0 outside
 * _nm_allocator_trim_at_level(). */
static __thread guint trim_level_plus_one;

gsize
_nm_allocator_trim_at_level (NmAllocator           *self,
                             NmMemoryPressureLevel  level)
{
  guint saved = trim_level_plus_one;
  gsize released;

  /* Saved and restored: a handler run by the trim may trim another
   * allocator at another level. */
  trim_level_plus_one = (guint) level + 1;
  released = nm_allocator_trim (self);
  trim_level_plus_one = saved;

  return released;
}

NmMemoryPressureLevel
_nm_allocator_trim_level (void)
{
  return trim_level_plus_one ? (NmMemoryPressureLevel) (trim_level_plus_one - 1)
                             : NM_MEMORY_PRESSURE_LEVEL_MEDIUM;
}

guint64
_nm_allocator_next_serial (void)
{
  static guint64 serial;

  return __atomic_add_fetch (&serial, 1, __ATOMIC_RELAXED);
}
