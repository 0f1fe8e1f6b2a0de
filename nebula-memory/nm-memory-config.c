/* nm-memory-config.c: an immutable allocator configuration
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-enum-types.h"
#include "nm-memory-config-private.h"
#include "nm-size-private.h"

/**
 * SECTION:nm-memory-config
 * @Title: NmMemoryConfig
 * @Short_description: an immutable, validated allocator configuration
 *
 * An #NmMemoryConfig describes one allocator: its kind, sizes and checks.
 * It is made by #NmMemoryConfigBuilder, which validates every setting, or
 * by a preset, and it never changes afterwards, so it can be shared between
 * threads and used to build any number of allocators with
 * nm_allocator_new_from_config().
 *
 * Two presets exist for each kind. nm_memory_config_new_production() keeps
 * the checks that cost nothing (layout validation, invalid-free detection,
 * statistics). nm_memory_config_new_development() turns on every check the
 * library has: poisoning of released memory, validation of free patterns
 * and owner threads, and a leak report when the allocator is disposed.
 *
 * nm_memory_config_save_to_key_file() writes the configuration as a
 * #GKeyFile group that nm_memory_config_builder_load_key_file() reads back
 * into an equal configuration.
 */

struct _NmMemoryConfig
{
  GObject       parent_instance;
  NmConfigData  data;
};

G_DEFINE_FINAL_TYPE (NmMemoryConfig, nm_memory_config, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_NAME,
  PROP_CAPACITY,
  PROP_MAX_CAPACITY,
  PROP_BLOCK_SIZE,
  PROP_BLOCK_ALIGNMENT,
  PROP_BLOCK_COUNT,
  PROP_MAX_BLOCK_COUNT,
  PROP_THREAD_SAFE,
  PROP_TRACK_STATS,
  PROP_POISON,
  PROP_VALIDATE,
  PROP_LEAK_REPORT,
  PROP_BUDGET,
  PROP_TRIM_ON_PRESSURE,
  PROP_HIGH_WATER_MARK,
  PROP_LEAK_SITES,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

void
_nm_config_data_copy (NmConfigData       *dest,
                      const NmConfigData *src)
{
  *dest = *src;
  dest->name = g_strdup (src->name);
  if (dest->budget != NULL)
    g_object_ref (dest->budget);
}

void
_nm_config_data_clear (NmConfigData *data)
{
  g_clear_pointer (&data->name, g_free);
  g_clear_object (&data->budget);
}

void
_nm_config_data_preset (NmConfigData    *data,
                        NmAllocatorKind  kind,
                        gboolean         development)
{
  _nm_config_data_clear (data);
  memset (data, 0, sizeof *data);

  data->kind = kind;
  data->name = g_strdup (development ? "development" : "production");
  data->set = NM_FIELD_KIND | NM_FIELD_NAME | NM_FIELD_THREAD_SAFE |
              NM_FIELD_TRACK_STATS | NM_FIELD_POISON | NM_FIELD_VALIDATE |
              NM_FIELD_LEAK_REPORT;

  switch (kind)
    {
    case NM_ALLOCATOR_KIND_BUMP:
      data->capacity = 1024 * 1024;
      data->max_capacity = 256 * 1024 * 1024;
      data->set |= NM_FIELD_CAPACITY | NM_FIELD_MAX_CAPACITY;
      break;

    case NM_ALLOCATOR_KIND_POOL:
      data->block_size = 64;
      data->block_alignment = 16;
      data->block_count = 4096;
      data->max_block_count = 1024 * 1024;
      data->set |= NM_FIELD_BLOCK_SIZE | NM_FIELD_BLOCK_ALIGNMENT |
                   NM_FIELD_BLOCK_COUNT | NM_FIELD_MAX_BLOCK_COUNT;
      break;

    case NM_ALLOCATOR_KIND_STACK:
    default:
      data->capacity = 1024 * 1024;
      data->set |= NM_FIELD_CAPACITY;
      break;
    }

  data->thread_safe = FALSE;
  data->track_stats = TRUE;
  data->poison = development;
  data->validate = development;
  data->leak_report = development;
}

NmMemoryConfig *
_nm_memory_config_new (const NmConfigData *data)
{
  NmMemoryConfig *self = g_object_new (NM_TYPE_MEMORY_CONFIG, NULL);

  _nm_config_data_clear (&self->data);
  _nm_config_data_copy (&self->data, data);

  return self;
}

const NmConfigData *
_nm_memory_config_get_data (NmMemoryConfig *self)
{
  return &self->data;
}

static void
nm_memory_config_finalize (GObject *object)
{
  NmMemoryConfig *self = (NmMemoryConfig *) object;

  _nm_config_data_clear (&self->data);

  G_OBJECT_CLASS (nm_memory_config_parent_class)->finalize (object);
}

static void
nm_memory_config_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NmMemoryConfig *self = NM_MEMORY_CONFIG (object);
  const NmConfigData *d = &self->data;

  switch (prop_id)
    {
    case PROP_KIND:            g_value_set_enum (value, d->kind); break;
    case PROP_NAME:            g_value_set_string (value, d->name); break;
    case PROP_CAPACITY:        g_value_set_uint64 (value, d->capacity); break;
    case PROP_MAX_CAPACITY:    g_value_set_uint64 (value, d->max_capacity); break;
    case PROP_BLOCK_SIZE:      g_value_set_uint64 (value, d->block_size); break;
    case PROP_BLOCK_ALIGNMENT: g_value_set_uint64 (value, d->block_alignment); break;
    case PROP_BLOCK_COUNT:     g_value_set_uint64 (value, d->block_count); break;
    case PROP_MAX_BLOCK_COUNT: g_value_set_uint64 (value, d->max_block_count); break;
    case PROP_THREAD_SAFE:     g_value_set_boolean (value, d->thread_safe); break;
    case PROP_TRACK_STATS:     g_value_set_boolean (value, d->track_stats); break;
    case PROP_POISON:          g_value_set_boolean (value, d->poison); break;
    case PROP_VALIDATE:        g_value_set_boolean (value, d->validate); break;
    case PROP_LEAK_REPORT:     g_value_set_boolean (value, d->leak_report); break;
    case PROP_BUDGET:          g_value_set_object (value, d->budget); break;
    case PROP_TRIM_ON_PRESSURE: g_value_set_boolean (value, d->trim_on_pressure); break;
    case PROP_HIGH_WATER_MARK: g_value_set_double (value, d->high_water_mark); break;
    case PROP_LEAK_SITES:      g_value_set_boolean (value, d->leak_sites); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
size_property (const char *name,
               const char *blurb)
{
  return g_param_spec_uint64 (name, NULL, blurb, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
flag_property (const char *name,
               const char *blurb)
{
  return g_param_spec_boolean (name, NULL, blurb, FALSE,
                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
nm_memory_config_class_init (NmMemoryConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nm_memory_config_finalize;
  object_class->get_property = nm_memory_config_get_property;

  /**
   * NmMemoryConfig:kind:
   *
   * The allocator kind.
   *
   * Since: 1.0
   */
  properties [PROP_KIND] =
    g_param_spec_enum ("kind", NULL, "The allocator kind",
                       NM_TYPE_ALLOCATOR_KIND, NM_ALLOCATOR_KIND_BUMP,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NmMemoryConfig:name:
   *
   * The name given to allocators built from this configuration; a key
   * file group gives its own name unless it has a `name` key.
   *
   * Since: 1.0
   */
  properties [PROP_NAME] =
    g_param_spec_string ("name", NULL, "The name of allocators built from it", NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NmMemoryConfig:capacity:
   *
   * Bump and stack allocators: bytes available up front.
   *
   * Since: 1.0
   */
  properties [PROP_CAPACITY] = size_property ("capacity", "Bytes to start with (bump, stack)");

  /**
   * NmMemoryConfig:max-capacity:
   *
   * Bump allocators: the most backing memory the allocator may grow to,
   * or 0 for a fixed capacity.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_CAPACITY] = size_property ("max-capacity", "Bytes a bump allocator may grow to, or 0");

  /**
   * NmMemoryConfig:block-size:
   *
   * Pool allocators: bytes per block.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_SIZE] = size_property ("block-size", "Bytes per pool block");

  /**
   * NmMemoryConfig:block-alignment:
   *
   * Pool allocators: alignment of every block, a power of two.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_ALIGNMENT] = size_property ("block-alignment", "Alignment of pool blocks");

  /**
   * NmMemoryConfig:block-count:
   *
   * Pool allocators: blocks available up front.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_COUNT] = size_property ("block-count", "Pool blocks to start with");

  /**
   * NmMemoryConfig:max-block-count:
   *
   * Pool allocators: the most blocks the pool may grow to, or 0 for a
   * fixed count.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_BLOCK_COUNT] = size_property ("max-block-count", "Pool blocks to grow to, or 0");

  /**
   * NmMemoryConfig:thread-safe:
   *
   * Whether several threads may use the allocator at once.
   *
   * Since: 1.0
   */
  properties [PROP_THREAD_SAFE] = flag_property ("thread-safe", "Whether several threads may share the allocator");

  /**
   * NmMemoryConfig:track-stats:
   *
   * Whether allocation and free counters are kept. Bump and stack
   * allocators report 0 for them when this is off (byte usage is always
   * known); pools always count, since their usage derives from the counts.
   * Counting costs well under a nanosecond per operation either way.
   *
   * Since: 1.0
   */
  properties [PROP_TRACK_STATS] = flag_property ("track-stats", "Whether the allocator keeps statistics");

  /**
   * NmMemoryConfig:poison:
   *
   * Whether released memory is filled with 0xDD and fresh memory with 0xAA,
   * so reads of stale or uninitialised memory show.
   *
   * Since: 1.0
   */
  properties [PROP_POISON] = flag_property ("poison", "Whether released memory is filled with a pattern");

  /**
   * NmMemoryConfig:validate:
   *
   * Whether development checks run: free patterns checked on reuse, owner
   * threads checked.
   *
   * Since: 1.0
   */
  properties [PROP_VALIDATE] = flag_property ("validate", "Whether the development checks are on");

  /**
   * NmMemoryConfig:leak-report:
   *
   * Whether an allocator disposed with live allocations says so with
   * g_message().
   *
   * Since: 1.0
   */
  properties [PROP_LEAK_REPORT] = flag_property ("leak-report", "Whether live allocations are reported at dispose");

  /**
   * NmMemoryConfig:budget:
   *
   * The #NmMemoryBudget the allocator's backing memory is charged to, or
   * %NULL. In key files, `budget=PATH` names a budget registered with
   * nm_memory_budget_register().
   *
   * Since: 1.0
   */
  properties [PROP_BUDGET] =
    g_param_spec_object ("budget", NULL, "The budget backing memory is charged to",
                         NM_TYPE_MEMORY_BUDGET,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NmMemoryConfig:trim-on-pressure:
   *
   * Whether nm_allocator_new_from_config() registers the allocator with the
   * default #NmMemoryPressure, so that it gives backing memory back when
   * the system runs low on memory.
   *
   * Since: 1.0
   */
  properties [PROP_TRIM_ON_PRESSURE] =
    flag_property ("trim-on-pressure", "Whether the allocator is trimmed under memory pressure");

  /**
   * NmMemoryConfig:high-water-mark:
   *
   * The utilization (#NmAllocator:bytes-used divided by
   * #NmAllocator:capacity) at which allocators built from this
   * configuration emit #NmAllocator::high-water, as a fraction above 0 and
   * at most 1 (`high-water-mark=0.9` in key files), or 0 (the default, in
   * both presets) for no high-water signal. See #NmAllocator::high-water
   * for when utilization is looked at and how the signal re-arms.
   *
   * Since: 1.0
   */
  properties [PROP_HIGH_WATER_MARK] =
    g_param_spec_double ("high-water-mark", NULL,
                         "Utilization that emits the high-water signal, or 0 for none",
                         0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NmMemoryConfig:leak-sites:
   *
   * Whether allocators built from this configuration record where each
   * live allocation was made, so that the leak report of
   * #NmMemoryConfig:leak-report names the five sites with the most live
   * allocations and their counts:
   *
   * |[
   * Bump allocator “requests” is disposed with 4 live allocations (208 bytes): …
   * Top allocation sites: parse_header() (my-server): 3 allocations (120 bytes);
   * my-server+0x1a2b4: 1 allocation (24 bytes).
   * ]|
   *
   * A site is the first function above the library's own on the call stack
   * (glibc's backtrace()), named with dladdr() when its module exports it
   * and shown as module+offset (for addr2line) otherwise; link a program
   * with `-rdynamic` for names of its own functions. Names are looked up
   * only when the report is made.
   *
   * Recording takes every allocation off the inline fast path and costs a
   * stack unwind and a hash table insertion per allocation, so it is off
   * in both presets: turn it on to find a leak the report showed. With it
   * off nothing is recorded and no fast path tests for it. Allocators
   * without a leak report (leak-report off) record nothing. A thread-safe
   * pool records the allocations that leave its thread caches' fast path:
   * all of them with #NmMemoryConfig:poison or under a sanitizer, as in
   * the development preset.
   *
   * Since: 1.0
   */
  properties [PROP_LEAK_SITES] =
    flag_property ("leak-sites", "Whether the leak report names allocation sites");

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/* An NmMemoryConfig made with g_object_new() (a binding's constructor) is
 * the production preset of a bump allocator: never a configuration the
 * builder would refuse. */
static void
nm_memory_config_init (NmMemoryConfig *self)
{
  _nm_config_data_preset (&self->data, NM_ALLOCATOR_KIND_BUMP, FALSE);
}

/**
 * nm_memory_config_new_production:
 * @kind: the allocator kind
 *
 * The production preset: 1 MiB bump arenas growing up to 256 MiB, pools of
 * 4096 blocks of 64 bytes growing up to a million blocks, 1 MiB stacks;
 * statistics on, development checks off, no high-water signal
 * (#NmMemoryConfig:high-water-mark 0), no allocation sites recorded.
 *
 * Returns: (transfer full): a new #NmMemoryConfig
 *
 * Since: 1.0
 */
NmMemoryConfig *
nm_memory_config_new_production (NmAllocatorKind kind)
{
  NmConfigData data = { 0 };
  NmMemoryConfig *self;

  g_return_val_if_fail (kind <= NM_ALLOCATOR_KIND_STACK, NULL);

  _nm_config_data_preset (&data, kind, FALSE);
  self = _nm_memory_config_new (&data);
  _nm_config_data_clear (&data);

  return self;
}

/**
 * nm_memory_config_new_development:
 * @kind: the allocator kind
 *
 * The development preset: the sizes of the production preset with every
 * check on (#NmMemoryConfig:poison, #NmMemoryConfig:validate,
 * #NmMemoryConfig:leak-report). The high-water signal stays off, and so
 * does #NmMemoryConfig:leak-sites, which costs a stack unwind per
 * allocation: turn it on to find where the leaks the report counts were
 * made.
 *
 * Returns: (transfer full): a new #NmMemoryConfig
 *
 * Since: 1.0
 */
NmMemoryConfig *
nm_memory_config_new_development (NmAllocatorKind kind)
{
  NmConfigData data = { 0 };
  NmMemoryConfig *self;

  g_return_val_if_fail (kind <= NM_ALLOCATOR_KIND_STACK, NULL);

  _nm_config_data_preset (&data, kind, TRUE);
  self = _nm_memory_config_new (&data);
  _nm_config_data_clear (&data);

  return self;
}

#define DEFINE_GETTER(type, field, fallback) \
  type \
  nm_memory_config_get_##field (NmMemoryConfig *self) \
  { \
    g_return_val_if_fail (NM_IS_MEMORY_CONFIG (self), fallback); \
    return self->data.field; \
  }

/**
 * nm_memory_config_get_kind:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:kind setting of @self.
 *
 * Returns: the #NmMemoryConfig:kind
 *
 * Since: 1.0
 */
DEFINE_GETTER (NmAllocatorKind, kind, NM_ALLOCATOR_KIND_BUMP)

/**
 * nm_memory_config_get_name:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:name setting of @self.
 *
 * Returns: (nullable): the #NmMemoryConfig:name
 *
 * Since: 1.0
 */
DEFINE_GETTER (const char *, name, NULL)

/**
 * nm_memory_config_get_capacity:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:capacity setting of @self.
 *
 * Returns: the #NmMemoryConfig:capacity in bytes
 *
 * Since: 1.0
 */
DEFINE_GETTER (guint64, capacity, 0)

/**
 * nm_memory_config_get_max_capacity:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:max-capacity setting of @self.
 *
 * Returns: the #NmMemoryConfig:max-capacity in bytes, 0 when fixed
 *
 * Since: 1.0
 */
DEFINE_GETTER (guint64, max_capacity, 0)

/**
 * nm_memory_config_get_block_size:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:block-size setting of @self.
 *
 * Returns: the #NmMemoryConfig:block-size in bytes
 *
 * Since: 1.0
 */
DEFINE_GETTER (guint64, block_size, 0)

/**
 * nm_memory_config_get_block_alignment:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:block-alignment setting of @self.
 *
 * Returns: the #NmMemoryConfig:block-alignment in bytes
 *
 * Since: 1.0
 */
DEFINE_GETTER (guint64, block_alignment, 0)

/**
 * nm_memory_config_get_block_count:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:block-count setting of @self.
 *
 * Returns: the #NmMemoryConfig:block-count
 *
 * Since: 1.0
 */
DEFINE_GETTER (guint64, block_count, 0)

/**
 * nm_memory_config_get_max_block_count:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:max-block-count setting of @self.
 *
 * Returns: the #NmMemoryConfig:max-block-count, 0 when fixed
 *
 * Since: 1.0
 */
DEFINE_GETTER (guint64, max_block_count, 0)

/**
 * nm_memory_config_get_thread_safe:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:thread-safe setting of @self.
 *
 * Returns: the #NmMemoryConfig:thread-safe setting
 *
 * Since: 1.0
 */
DEFINE_GETTER (gboolean, thread_safe, FALSE)

/**
 * nm_memory_config_get_track_stats:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:track-stats setting of @self.
 *
 * Returns: the #NmMemoryConfig:track-stats setting
 *
 * Since: 1.0
 */
DEFINE_GETTER (gboolean, track_stats, FALSE)

/**
 * nm_memory_config_get_poison:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:poison setting of @self.
 *
 * Returns: the #NmMemoryConfig:poison setting
 *
 * Since: 1.0
 */
DEFINE_GETTER (gboolean, poison, FALSE)

/**
 * nm_memory_config_get_validate:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:validate setting of @self.
 *
 * Returns: the #NmMemoryConfig:validate setting
 *
 * Since: 1.0
 */
DEFINE_GETTER (gboolean, validate, FALSE)

/**
 * nm_memory_config_get_leak_report:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:leak-report setting of @self.
 *
 * Returns: the #NmMemoryConfig:leak-report setting
 *
 * Since: 1.0
 */
DEFINE_GETTER (gboolean, leak_report, FALSE)

/**
 * nm_memory_config_get_budget:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:budget setting of @self.
 *
 * Returns: (transfer none) (nullable): the budget, or %NULL
 *
 * Since: 1.0
 */
DEFINE_GETTER (NmMemoryBudget *, budget, NULL)

/**
 * nm_memory_config_get_trim_on_pressure:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:trim-on-pressure setting of @self.
 *
 * Returns: the #NmMemoryConfig:trim-on-pressure setting
 *
 * Since: 1.0
 */
DEFINE_GETTER (gboolean, trim_on_pressure, FALSE)

/**
 * nm_memory_config_get_high_water_mark:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:high-water-mark setting of @self.
 *
 * Returns: the utilization that emits #NmAllocator::high-water, above 0 and
 *   at most 1, or 0 when the signal is off
 *
 * Since: 1.0
 */
DEFINE_GETTER (gdouble, high_water_mark, 0.0)

/**
 * nm_memory_config_get_leak_sites:
 * @self: an #NmMemoryConfig
 *
 * Gets the #NmMemoryConfig:leak-sites setting of @self.
 *
 * Returns: the #NmMemoryConfig:leak-sites setting
 *
 * Since: 1.0
 */
DEFINE_GETTER (gboolean, leak_sites, FALSE)

/**
 * nm_memory_config_equal:
 * @self: an #NmMemoryConfig
 * @other: another #NmMemoryConfig
 *
 * Compares two configurations setting by setting.
 *
 * Returns: whether both configurations describe the same allocator
 *
 * Since: 1.0
 */
gboolean
nm_memory_config_equal (NmMemoryConfig *self,
                        NmMemoryConfig *other)
{
  const NmConfigData *a, *b;

  g_return_val_if_fail (NM_IS_MEMORY_CONFIG (self), FALSE);
  g_return_val_if_fail (NM_IS_MEMORY_CONFIG (other), FALSE);

  a = &self->data;
  b = &other->data;

  return a->kind == b->kind &&
         g_strcmp0 (a->name, b->name) == 0 &&
         a->capacity == b->capacity &&
         a->max_capacity == b->max_capacity &&
         a->block_size == b->block_size &&
         a->block_alignment == b->block_alignment &&
         a->block_count == b->block_count &&
         a->max_block_count == b->max_block_count &&
         !a->thread_safe == !b->thread_safe &&
         !a->track_stats == !b->track_stats &&
         !a->poison == !b->poison &&
         !a->validate == !b->validate &&
         !a->leak_report == !b->leak_report &&
         a->budget == b->budget &&
         !a->trim_on_pressure == !b->trim_on_pressure &&
         a->high_water_mark == b->high_water_mark &&
         !a->leak_sites == !b->leak_sites;
}

static const char *
kind_nick (NmAllocatorKind kind)
{
  GEnumClass *klass = g_type_class_ref (NM_TYPE_ALLOCATOR_KIND);
  GEnumValue *value = g_enum_get_value (klass, kind);
  const char *nick = value ? value->value_nick : "unknown";

  g_type_class_unref (klass);

  return nick;
}

static void
set_size (GKeyFile   *key_file,
          const char *group,
          const char *key,
          guint64     size)
{
  g_autofree char *text = _nm_size_format_exact (size);

  g_key_file_set_string (key_file, group, key, text);
}

/* The shortest text that reads back as @value (0.9, not the
 * 0.90000000000000002 of g_key_file_set_double()): the round trip stays
 * exact and the file stays readable. */
static void
set_fraction (GKeyFile   *key_file,
              const char *group,
              const char *key,
              gdouble     value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint digits = 1; digits <= 17; digits++)
    {
      g_autofree char *format = g_strdup_printf ("%%.%ug", digits);

      g_ascii_formatd (text, sizeof text, format, value);
      if (g_ascii_strtod (text, NULL) == value)
        break;
    }

  g_key_file_set_value (key_file, group, key, text);
}

/**
 * nm_memory_config_save_to_key_file:
 * @self: an #NmMemoryConfig
 * @key_file: the #GKeyFile to write into
 * @group: the group to write
 *
 * Writes @self as the keys of @group, sizes in the largest exact binary
 * unit (`64MiB`). Loading the group with
 * nm_memory_config_builder_load_key_file() gives an equal configuration.
 * A budget is written as `budget=PATH`, its #NmMemoryBudget:path: loading
 * finds it again when it is registered with nm_memory_budget_register().
 *
 * Since: 1.0
 */
void
nm_memory_config_save_to_key_file (NmMemoryConfig *self,
                                   GKeyFile       *key_file,
                                   const char     *group)
{
  const NmConfigData *d;

  g_return_if_fail (NM_IS_MEMORY_CONFIG (self));
  g_return_if_fail (key_file != NULL);
  g_return_if_fail (group != NULL && *group != '\0');

  d = &self->data;

  g_key_file_set_string (key_file, group, "kind", kind_nick (d->kind));
  if (g_strcmp0 (d->name, group) != 0 && d->name != NULL)
    g_key_file_set_string (key_file, group, "name", d->name);

  if (d->kind == NM_ALLOCATOR_KIND_POOL)
    {
      set_size (key_file, group, "block-size", d->block_size);
      set_size (key_file, group, "block-alignment", d->block_alignment);
      g_key_file_set_uint64 (key_file, group, "block-count", d->block_count);
      if (d->max_block_count != 0)
        g_key_file_set_uint64 (key_file, group, "max-block-count", d->max_block_count);
    }
  else
    {
      set_size (key_file, group, "capacity", d->capacity);
      if (d->max_capacity != 0)
        set_size (key_file, group, "max-capacity", d->max_capacity);
    }

  g_key_file_set_boolean (key_file, group, "thread-safe", d->thread_safe);
  g_key_file_set_boolean (key_file, group, "track-stats", d->track_stats);
  g_key_file_set_boolean (key_file, group, "poison", d->poison);
  g_key_file_set_boolean (key_file, group, "validate", d->validate);
  g_key_file_set_boolean (key_file, group, "leak-report", d->leak_report);
  if (d->trim_on_pressure)
    g_key_file_set_boolean (key_file, group, "trim-on-pressure", TRUE);
  if (d->high_water_mark != 0.0)
    set_fraction (key_file, group, "high-water-mark", d->high_water_mark);
  if (d->leak_sites)
    g_key_file_set_boolean (key_file, group, "leak-sites", TRUE);
  if (d->budget != NULL)
    g_key_file_set_string (key_file, group, "budget", nm_memory_budget_get_path (d->budget));
}

/* Whether @name can be a key file group name as it is: names may hold
 * anything valid UTF-8, group names no brackets or control characters.
 * Other names travel in the name key, with the key file's escapes. */
static gboolean
is_group_name (const char *name)
{
  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL))
    return FALSE;

  for (const char *p = name; *p != '\0'; p++)
    if (*p == '[' || *p == ']' || g_ascii_iscntrl (*p))
      return FALSE;

  return TRUE;
}

/**
 * nm_memory_config_to_string:
 * @self: an #NmMemoryConfig
 *
 * Formats @self as a key file group named after the configuration, or
 * `[allocator]` with a `name` key when the name cannot be a group name
 * (it holds brackets or control characters). Loading the text with
 * nm_memory_config_builder_load_key_file() gives an equal configuration.
 *
 * Returns: (transfer full): @self as key file text, for logs and debugging
 *
 * Since: 1.0
 */
char *
nm_memory_config_to_string (NmMemoryConfig *self)
{
  g_autoptr(GKeyFile) key_file = NULL;
  const char *group;

  g_return_val_if_fail (NM_IS_MEMORY_CONFIG (self), NULL);

  key_file = g_key_file_new ();
  group = is_group_name (self->data.name) ? self->data.name : "allocator";
  nm_memory_config_save_to_key_file (self, key_file, group);

  return g_key_file_to_data (key_file, NULL, NULL);
}
