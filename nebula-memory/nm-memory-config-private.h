/* nm-memory-config-private.h: the settings shared by config and builder
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nm-memory-config.h"
#include "nm-memory-budget.h"

G_BEGIN_DECLS

/* Capacities above this are refused as absurd: no single arena of a GLib
 * application reserves a terabyte. */
#define NM_MAX_CAPACITY (G_GUINT64_CONSTANT (1) << 40)

typedef enum
{
  NM_FIELD_KIND            = 1 << 0,
  NM_FIELD_NAME            = 1 << 1,
  NM_FIELD_CAPACITY        = 1 << 2,
  NM_FIELD_MAX_CAPACITY    = 1 << 3,
  NM_FIELD_BLOCK_SIZE      = 1 << 4,
  NM_FIELD_BLOCK_ALIGNMENT = 1 << 5,
  NM_FIELD_BLOCK_COUNT     = 1 << 6,
  NM_FIELD_MAX_BLOCK_COUNT = 1 << 7,
  NM_FIELD_THREAD_SAFE     = 1 << 8,
  NM_FIELD_TRACK_STATS     = 1 << 9,
  NM_FIELD_POISON          = 1 << 10,
  NM_FIELD_VALIDATE        = 1 << 11,
  NM_FIELD_LEAK_REPORT     = 1 << 12,
  NM_FIELD_BUDGET          = 1 << 13,
  NM_FIELD_TRIM_ON_PRESSURE = 1 << 14,
  NM_FIELD_HIGH_WATER_MARK = 1 << 15,
  NM_FIELD_LEAK_SITES      = 1 << 16,
} NmConfigField;

/* Whether @mark is a valid NmMemoryConfig:high-water-mark: 0 (off) or a
 * fraction above 0 and at most 1. NaN fails every comparison. */
static inline gboolean
_nm_config_high_water_mark_is_valid (gdouble mark)
{
  return mark >= 0.0 && mark <= 1.0;
}

typedef struct
{
  guint            set;          /* NmConfigField bits given explicitly */
  NmAllocatorKind  kind;
  char            *name;
  guint64          capacity;
  guint64          max_capacity; /* 0: no growth */
  guint64          block_size;
  guint64          block_alignment;
  guint64          block_count;
  guint64          max_block_count; /* 0: no growth */
  gboolean         thread_safe;
  gboolean         track_stats;
  gboolean         poison;
  gboolean         validate;
  gboolean         leak_report;
  NmMemoryBudget  *budget;       /* a reference, or NULL */
  gboolean         trim_on_pressure;
  gdouble          high_water_mark; /* 0: no high-water signal */
  gboolean         leak_sites;
} NmConfigData;

void            _nm_config_data_copy      (NmConfigData       *dest,
                                           const NmConfigData *src);
void            _nm_config_data_clear     (NmConfigData       *data);
void            _nm_config_data_preset    (NmConfigData       *data,
                                           NmAllocatorKind     kind,
                                           gboolean            development);
NmMemoryConfig *_nm_memory_config_new     (const NmConfigData *data);
const NmConfigData *_nm_memory_config_get_data (NmMemoryConfig *self);

/* Reads @group of @key_file into @data (nm-memory-config-keyfile.c). On
 * failure @data may be half-changed: callers load into a copy. */
gboolean        _nm_config_data_load_key_file (NmConfigData  *data,
                                               GKeyFile      *key_file,
                                               const char    *group,
                                               GError       **error);



G_END_DECLS
