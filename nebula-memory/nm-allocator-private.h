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
#include "nm-error-private.h"
#include "nm-leak-sites-private.h"
#include "nm-notifier-private.h"
#include "nm-sanitizer-private.h"
#include "nm-size-private.h"
#include "nm-memory-config.h"
#include "nm-memory-budget.h"
#include "nm-memory-pressure.h"

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

/* Properties every library allocator has beside the interface's, installed
 * by _nm_allocator_class_set_common() at fixed ids and read by
 * _nm_allocator_get_common_property(): implementations number their own
 * properties below NM_ALLOCATOR_PROP_COMMON_FIRST. Not interface
 * properties, so implementations outside the library need not have them. */
enum {
  NM_ALLOCATOR_PROP_COMMON_FIRST = 24,
  NM_ALLOCATOR_PROP_HIGH_WATER_MARK = NM_ALLOCATOR_PROP_COMMON_FIRST,
  NM_ALLOCATOR_PROP_HIGH_WATER_CROSSINGS,
  NM_ALLOCATOR_PROP_COMMON_LAST,
};

typedef struct _NmLeakSites NmLeakSites;

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
  guint       leak_sites : 1; /* leak_report on, and sites recorded */

  /* Rare events, updated atomically in every mode. */
  guint64     n_failed;
  guint64     n_invalid_frees;
  guint64     n_corruptions;
  guint64     n_resets;
  guint64     n_trims;
  guint64     n_budget_refusals;
  guint64     delivered_resets;   /* n_resets when NmAllocator::reset was last emitted */

  /* The high-water signal (NmMemoryConfig:high-water-mark; 0: off). Usage
   * is sampled where notifications are queued (growth, reset, pop, trim),
   * never on the allocation path; see _nm_allocator_sample_high_water(). */
  gdouble     high_water_mark;
  gint        hw_crossed;         /* set by a crossing, cleared below the re-arm level */
  gint        hw_grew;            /* backing memory grew since the last sample */
  guint64     sample_capacity;    /* capacity before a reset that released some, or 0 */
  guint64     n_high_water;
  guint64     delivered_high_water;

  /* Where live allocations were made (leak_sites), or NULL. */
  NmLeakSites *sites;

  /* Bytes of backing memory held (nm-backing.c), updated atomically. */
  guint64     backing_bytes;

  /* The budget the backing memory is charged to (a reference), or NULL,
   * and the smallest per-request cap on its path, 0 for none. Set by
   * _nm_allocator_common_apply_config(), before any backing memory. */
  NmMemoryBudget *budget;
  guint64     max_request;

  /* The last budget refusal (nm-backing.c), read by
   * _nm_allocator_fail_backing() on the thread that got it. Written and
   * read under a lock of nm-backing.c: refusals are rare. */
  struct {
    GThread         *thread;   /* NULL: none pending */
    NmBudgetRefusal  what;     /* what.path points into a budget on the path */
  } refusal;

  /* Validation of single-thread allocators: the first thread to use one
   * owns it; the last foreign thread reported, to report each once. */
  GThread    *owner;
  GThread    *reported;

  /* Notifications: delivered on context (the thread-default main
   * context at construction) by a notifier made at the first one. */
  GMainContext *context;
  NmNotifier   *notifier;
  guint         pending_notify;   /* property ids to notify, 1 << id */
  guint64       notified_peak;    /* bytes-peak when last queued: it rises silently */
} NmAllocatorCommon;

/* Why an allocator cannot take its inline fast path. One set for all three
 * allocators; each keeps the bits that concern it in its fast struct's
 * slow_flags, which the inline paths in the public headers compare with 0. */
typedef enum
{
  NM_SLOW_THREAD_SAFE = 1 << 0,
  NM_SLOW_SANITIZE    = 1 << 1,   /* ASan build, or running under Valgrind */
  NM_SLOW_POISON      = 1 << 2,   /* fill handed-out and released memory */
  NM_SLOW_VALIDATE    = 1 << 3,   /* development checks */
  /* A budget on the path caps single requests below what the inline path
   * could serve: the out-of-line path checks the cap. Set by the
   * allocators that take requests of any size (bump, stack) only when the
   * cap is smaller than their largest inline request; the pool checks its
   * block size once at construction instead. */
  NM_SLOW_REQUEST_CAP = 1 << 4,
  /* Allocation sites are recorded for the leak report. */
  NM_SLOW_LEAK_SITES  = 1 << 5,
} NmSlowFlags;

/* The slow-path flags that @common's settings call for. */
static inline guint
_nm_allocator_common_slow_flags (const NmAllocatorCommon *common)
{
  return (common->thread_safe ? NM_SLOW_THREAD_SAFE : 0) |
         (common->sanitize ? NM_SLOW_SANITIZE : 0) |
         (common->poison ? NM_SLOW_POISON : 0) |
         (common->validate ? NM_SLOW_VALIDATE : 0) |
         (common->leak_sites ? NM_SLOW_LEAK_SITES : 0);
}

/* Trimming by level. The trim slot of the interface takes no level, so
 * the level travels beside the call, in a thread-local set for its
 * duration: _nm_allocator_trim_at_level() sets it and calls
 * nm_allocator_trim(); the implementations' trim functions read it with
 * _nm_allocator_trim_level(), which is %NM_MEMORY_PRESSURE_LEVEL_MEDIUM (give
 * back every free byte) for a plain nm_allocator_trim(). */
gsize    _nm_allocator_trim_at_level         (NmAllocator           *self,
                                              NmMemoryPressureLevel  level);
NmMemoryPressureLevel _nm_allocator_trim_level (void);

/* A process-wide serial number, never 0 and never repeated: identifies
 * checkpoints, markers and epochs across allocators, so a stale one is
 * never mistaken for a live one of a later allocator at the same address. */
guint64  _nm_allocator_next_serial           (void);


void     _nm_allocator_common_init           (NmAllocatorCommon  *common,
                                              const char         *label,
                                              const char         *name,
                                              gboolean            thread_safe);
void     _nm_allocator_common_apply_config   (NmAllocatorCommon  *common,
                                              NmMemoryConfig     *config);
void     _nm_allocator_common_clear          (NmAllocatorCommon  *common);
/* Starts or stops recording allocation sites (common->sites). */
void     _nm_allocator_common_set_leak_sites (NmAllocatorCommon  *common,
                                              gboolean            enabled);

/* Allocation-site bookkeeping for the leak report, called on the
 * out-of-line paths only (NM_SLOW_LEAK_SITES sends every allocation
 * there); one load and a not-taken branch when sites are off. */
static inline void
_nm_allocator_note_alloc (NmAllocatorCommon *common,
                          gconstpointer      mem,
                          gsize              size)
{
  if (G_UNLIKELY (common->sites != NULL))
    _nm_leak_sites_add (common->sites, mem, size);
}

static inline void
_nm_allocator_note_free (NmAllocatorCommon *common,
                         gconstpointer      mem)
{
  if (G_UNLIKELY (common->sites != NULL))
    _nm_leak_sites_remove (common->sites, mem);
}

static inline void
_nm_allocator_note_reset (NmAllocatorCommon *common)
{
  if (G_UNLIKELY (common->sites != NULL))
    _nm_leak_sites_clear (common->sites);
}

void     _nm_allocator_class_override_properties (GObjectClass   *klass,
                                                  GParamSpec    **pspecs);
/* Tells the interface where instances of @klass keep their
 * NmAllocatorCommon, so the interface's own entry points (the overflow
 * check of nm_allocator_alloc_n(), say) count failures like the
 * implementation does, and installs the properties every library
 * allocator has (NM_ALLOCATOR_PROP_COMMON_FIRST on). Called from
 * class_init. */
void     _nm_allocator_class_set_common      (GObjectClass      *klass,
                                              goffset            common_offset);
/* The dispatch slot of a final allocator class (_NM_ALLOCATOR_SLOT_BUMP…),
 * set from its class_init, so the interface finds it without knowing the
 * implementations; G_MAXUINT for other classes. */
void     _nm_allocator_class_set_slot        (GObjectClass      *klass,
                                              guint              slot);
guint    _nm_allocator_class_get_slot        (GType              type);

/* The interface's signals (nm-allocator.c), emitted by nm-allocator-common.c. */
enum {
  NM_ALLOCATOR_SIGNAL_ALLOCATION_FAILED,
  NM_ALLOCATOR_SIGNAL_RESET,
  NM_ALLOCATOR_SIGNAL_HIGH_WATER,
  NM_ALLOCATOR_N_SIGNALS
};
extern guint _nm_allocator_signals [NM_ALLOCATOR_N_SIGNALS];

/* @self's NmAllocatorCommon, or NULL for implementations outside the
 * library. */
NmAllocatorCommon *_nm_allocator_get_common  (NmAllocator       *self);

gboolean _nm_allocator_get_common_property   (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              guint               prop_id,
                                              GValue             *value);
void     _nm_allocator_fill_common_stats     (NmAllocatorCommon  *common,
                                              NmAllocatorStats   *stats);

/* A failure whose message is already composed (@local_error, taken):
 * counted, signalled, propagated. Always returns NULL. */
gpointer _nm_allocator_fail_with_error       (NmAllocator         *self,
                                              NmAllocatorCommon   *common,
                                              GError             **error,
                                              GError              *local_error) NM_COLD;

/* The failure of a sized request, composed from @info by
 * _nm_error_new_request(): sets @error, counts it, emits
 * NmAllocator::allocation-failed. Always returns NULL. */
gpointer _nm_allocator_fail_request          (NmAllocator         *self,
                                              NmAllocatorCommon   *common,
                                              GError             **error,
                                              NmAllocatorError     code,
                                              const NmFailureInfo *info) NM_COLD;

/* A failure that is not a sized request: the message is the allocator's
 * label and name followed by the formatted predicate ("cannot pop to
 * marker #3: …"). Counted and signalled like every failure. Returns NULL. */
gpointer _nm_allocator_fail_misuse           (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              GError            **error,
                                              NmAllocatorError    code,
                                              const char         *format,
                                              ...) G_GNUC_PRINTF (5, 6) NM_COLD;

/* Damaged bookkeeping found at @mem: one g_critical from
 * _nm_error_corruption_text() and a count. */
void     _nm_allocator_report_corruption     (NmAllocatorCommon  *common,
                                              gconstpointer       mem,
                                              const char         *format,
                                              ...) G_GNUC_PRINTF (3, 4) NM_COLD;

/* The leak report at dispose (when leak-report is on and something is
 * live): one warning from _nm_error_leak_text(), naming the budget the
 * allocator is charged to, if any. */
void     _nm_allocator_report_leaks          (NmAllocatorCommon  *common,
                                              guint64             live_count,
                                              guint64             live_bytes,
                                              const char         *advice) NM_COLD;

/* Queues notify::<property> of @self for its main context: at most one
 * delivery per main-loop iteration, never from the caller's stack. @pspecs
 * is the class's property table (the same on every call), @prop_id an index
 * in it below 32. Costs one load when the property is already queued. */
void     _nm_allocator_queue_notify          (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              GParamSpec        **pspecs,
                                              guint               prop_id);

/* The pending_notify bits of NmAllocator::reset and NmAllocator::high-water;
 * property ids stay below them. */
#define NM_ALLOCATOR_PENDING_RESET 31
#define NM_ALLOCATOR_PENDING_HIGH_WATER 30

/* Utilization (used / capacity) below which a crossed high-water mark
 * re-arms: 0.1 below the mark, or half the mark for marks under 0.2. */
static inline gdouble
_nm_allocator_high_water_rearm_level (gdouble mark)
{
  return mark - MIN (0.1, mark / 2);
}

/* Compares one usage sample with the high-water mark: a crossing (from
 * armed) is counted and queues NmAllocator::high-water and
 * notify::high-water-crossings for the main context; a sample below the
 * re-arm level re-arms. Any thread; never from the allocation fast path. */
void     _nm_allocator_sample_high_water     (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              GParamSpec        **pspecs,
                                              guint64             used,
                                              guint64             capacity);

/* Called by the backing layer when an allocator that already held backing
 * memory takes more, and by allocators that grow into memory they kept:
 * the allocator was full, which the next capacity notification samples as
 * a utilization of 1. */
static inline void
_nm_allocator_note_growth (NmAllocatorCommon *common)
{
  if (common->high_water_mark != 0.0)
    __atomic_store_n (&common->hw_grew, 1, __ATOMIC_RELAXED);
}

/* After a reset (n_resets already counted): queues NmAllocator::reset for
 * @self's main context, batched like notify:: (one emission for all the
 * resets since the last one, with their number). */
static inline void
_nm_allocator_queue_reset (NmAllocator        *self,
                           NmAllocatorCommon  *common,
                           GParamSpec        **pspecs)
{
  _nm_allocator_queue_notify (self, common, pspecs, NM_ALLOCATOR_PENDING_RESET);
}

/* After a reset, pop or trim: queues bytes-used and bytes-peak when the
 * values a reader would see changed (before and after, not last notified). */
void     _nm_allocator_notify_usage          (NmAllocator        *self,
                                              NmAllocatorCommon  *common,
                                              GParamSpec        **pspecs,
                                              guint64             used_before,
                                              guint64             used_after,
                                              guint64             peak_before,
                                              guint64             peak_after);

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
