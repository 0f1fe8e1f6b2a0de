/* nm-allocator-private.h: what the allocator implementations share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every implementation embeds an NmAllocatorCommon and uses the helpers
 * below for the parts that must behave the same everywhere: the interface
 * properties, failure reporting (GError + signal + counter), invalid-free
 * reporting (one g_critical + counter) and layout validation.
 */

#pragma once

#include "nm-allocator.h"
#include "nm-error.h"
#include "nm-memory-config.h"

G_BEGIN_DECLS

#define NM_COLD __attribute__ ((cold))

/* Alignment requests above this are INVALID_LAYOUT. Set from the system page
 * size when the interface is initialised, before any allocator exists. */
extern gsize nm_page_size;

/* Property ids of the interface properties; implementations use them as
 * their first ids and number their own from NM_ALLOCATOR_PROP_LAST. */
enum {
  NM_ALLOCATOR_PROP_0,
  NM_ALLOCATOR_PROP_NAME,
  NM_ALLOCATOR_PROP_CAPACITY,
  NM_ALLOCATOR_PROP_BYTES_USED,
  NM_ALLOCATOR_PROP_BYTES_PEAK,
  NM_ALLOCATOR_PROP_ALLOCATION_COUNT,
  NM_ALLOCATOR_PROP_THREAD_SAFE,
  NM_ALLOCATOR_PROP_LAST,
};

typedef struct _NmAllocatorCommon
{
  char       *name;
  const char *label;          /* "Bump allocator", for messages */
  guint       thread_safe : 1;
  guint       track_stats : 1;
  guint       poison : 1;     /* fill released memory with a pattern */
  guint       validate : 1;   /* development checks */
  guint       leak_report : 1;
  guint       sanitize : 1;   /* ASan build or running under Valgrind */

  /* Rare events, updated atomically in every mode. */
  guint64     n_failed;
  guint64     n_invalid_frees;
  guint64     n_corruptions;
  guint64     n_resets;

  /* Validation of single-thread allocators: the first thread to use one
   * owns it; the last foreign thread reported, to report each once. */
  GThread    *owner;
  GThread    *reported;

  /* Last values announced through notify, to notify only on change. */
  guint64     notified_used;
  guint64     notified_peak;
} NmAllocatorCommon;

#define NM_POISON_FREED 0xDD
#define NM_POISON_FRESH 0xAA

void     _nm_allocator_common_init           (NmAllocatorCommon  *common,
                                              const char         *label,
                                              const char         *name,
                                              gboolean            thread_safe);
void     _nm_allocator_common_apply_config   (NmAllocatorCommon  *common,
                                              NmMemoryConfig     *config);
void     _nm_allocator_common_clear          (NmAllocatorCommon  *common);

void     _nm_allocator_class_override_properties (GObjectClass   *klass,
                                                  GParamSpec    **pspecs);
gboolean _nm_allocator_get_common_property   (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              guint               prop_id,
                                              GValue             *value);
/* After a reset: counts it and notifies bytes-used and bytes-peak when they
 * changed since last announced. Cheap enough for a reset per request: no
 * statistics snapshot, no atomic read-modify-write (resets never race with
 * other calls on the allocator). */
void     _nm_allocator_reset_done            (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              GParamSpec        **pspecs,
                                              guint64             bytes_used,
                                              guint64             bytes_peak);
void     _nm_allocator_fill_common_stats     (NmAllocatorCommon  *common,
                                              NmAllocatorStats   *stats);

/* Sets @error (which may be NULL), counts the failure and emits
 * NmAllocator::allocation-failed. Always returns NULL. */
gpointer _nm_allocator_fail                  (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              GError            **error,
                                              NmAllocatorError    code,
                                              const char         *format,
                                              ...) G_GNUC_PRINTF (5, 6) NM_COLD;

/* The INVALID_LAYOUT failure for a request that nm_layout_is_valid()
 * refused. Always returns NULL. */
gpointer _nm_allocator_fail_layout           (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              gsize               size,
                                              gsize               alignment,
                                              GError            **error) NM_COLD;

/* One g_critical naming the allocator and @mem, and a count. */
void     _nm_allocator_report_invalid_free   (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              gconstpointer       mem,
                                              const char         *format,
                                              ...) G_GNUC_PRINTF (4, 5) NM_COLD;

/* g_format_size() with a plain space before the unit: messages are read
 * in logs and terminals, and grepped. */
char    *_nm_format_size                     (guint64             size);

void     _nm_allocator_report_foreign_thread (NmAllocatorCommon  *common,
                                              GThread            *thread,
                                              const char         *advice) NM_COLD;

/* With validation on (development preset), reports the first use of a
 * single-thread allocator from a thread other than its owner. The call
 * goes ahead either way. */
static inline void
_nm_allocator_check_owner (NmAllocatorCommon *common,
                           const char        *advice)
{
  GThread *me = g_thread_self ();

  if (g_atomic_pointer_get (&common->owner) != me)
    _nm_allocator_report_foreign_thread (common, me, advice);
}

/* "3.8 MB of 4.0 MB used (95.2 %)" */
char    *_nm_format_usage                    (guint64             used,
                                              guint64             capacity);

static inline void
_nm_counter_inc (guint64 *counter)
{
  __atomic_fetch_add (counter, 1, __ATOMIC_RELAXED);
}

static inline guint64
_nm_counter_get (const guint64 *counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

/* A size of at least 1 and a power-of-two alignment no larger than the
 * page size. Two compares and a mask: cheap enough for every hot path. */
static inline gboolean
nm_layout_is_valid (gsize size,
                    gsize alignment)
{
  return size != 0 && (alignment & (alignment - 1)) == 0 &&
         alignment - 1 < nm_page_size;
}

static inline guintptr
nm_align_up (guintptr value,
             gsize    alignment)
{
  return (value + alignment - 1) & ~(guintptr) (alignment - 1);
}

G_END_DECLS
