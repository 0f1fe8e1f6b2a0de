/* bench-peers.c: the candidates' names, capabilities and loading
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mimalloc and jemalloc are dlopen()ed with RTLD_LOCAL | RTLD_DEEPBIND:
 * their malloc() does not replace glibc's for the rest of the process, and
 * their own calls bind to themselves. Debian's jemalloc uses initial-exec
 * TLS, which dlopen() can only place in the static TLS surplus that
 * GLIBC_TUNABLES=glibc.rtld.optional_static_tls reserves; main() re-executes
 * the program with it set (bench-machine.c) before anything is loaded.
 *
 * Both peers do work of their own on a clock: jemalloc purges dirty pages
 * after dirty_decay_ms / muzzy_decay_ms (from inside whichever call comes
 * due, or from a background thread if enabled), mimalloc decommits freed
 * pages after decommit_delay (purge_delay since 2.1). Which round such a
 * purge lands in, and whether the next round faults the pages in again,
 * depends on the time, not on the allocator's work: their documented
 * options switch it off before they are loaded (MALLOC_CONF, read by
 * jemalloc at initialization; MIMALLOC_* variables, read by mimalloc when
 * an option is first used), so their memory, like glibc's (see
 * bench_machine_settle_glibc()), stays mapped and warm between rounds. A
 * user's own MALLOC_CONF or MIMALLOC_* setting is kept and reported.
 */

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bench-pattern.h"

BenchMimalloc bench_mi;
BenchJemalloc bench_je;

/* Options that keep the peers' memory mapped between rounds, see above. */
#define BENCH_JEMALLOC_CONF "background_thread:false,dirty_decay_ms:-1,muzzy_decay_ms:-1"
static const char *const bench_mimalloc_env[][2] = {
  { "MIMALLOC_ALLOW_DECOMMIT", "0" },  /* 2.0: never decommit freed pages */
  { "MIMALLOC_PURGE_DELAY", "-1" },    /* 2.1 and later: never purge */
  { "MIMALLOC_PAGE_RESET", "0" },
};

static const char *peer_settings[24];
static guint n_peer_settings;

static void
add_setting (const char *key,
             char       *value)
{
  if (n_peer_settings + 2 < G_N_ELEMENTS (peer_settings))
    {
      peer_settings[n_peer_settings++] = key;
      peer_settings[n_peer_settings++] = value;
    }
}

const char *const *
bench_peer_settings (void)
{
  return peer_settings;
}

void
bench_peer_settings_add (const char *key,
                         char       *value)
{
  add_setting (key, value);
}

#define GENERAL (BENCH_CAN_FREE | BENCH_CAN_LIFO | BENCH_CAN_THREADS)

BenchCandidate bench_candidates[BENCH_N_CANDIDATES] = {
  [BENCH_CAND_glibc] = { "glibc", "glibc malloc", FALSE, GENERAL,
    "malloc / free" },
  [BENCH_CAND_gslice] = { "gslice", "GSlice", FALSE, GENERAL,
    "g_slice_alloc / g_slice_free1" },
  [BENCH_CAND_obstack] = { "obstack", "obstack", FALSE, BENCH_CAN_RELEASE | BENCH_CAN_SCOPE,
    "obstack_alloc; obstack_free to the first object or to a mark" },
  [BENCH_CAND_apr] = { "apr", "APR pool", FALSE, BENCH_CAN_RELEASE | BENCH_CAN_SCOPE,
    "apr_palloc; apr_pool_clear; a sub-pool per scope" },
  [BENCH_CAND_talloc] = { "talloc", "talloc", FALSE,
    BENCH_CAN_FREE | BENCH_CAN_LIFO | BENCH_CAN_RELEASE | BENCH_CAN_SCOPE,
    "talloc_size under a context or the parent block; talloc_free; talloc_free_children; talloc_new per scope" },
  [BENCH_CAND_talloc_pool] = { "talloc_pool", "talloc with talloc_pool", FALSE,
    BENCH_CAN_FREE | BENCH_CAN_LIFO | BENCH_CAN_RELEASE | BENCH_CAN_SCOPE,
    "as talloc, under a talloc_pool of up to 64 MiB" },
  [BENCH_CAND_mimalloc] = { "mimalloc", "mimalloc", FALSE, GENERAL,
    "mi_malloc / mi_free (dlopen: one indirect call each)" },
  [BENCH_CAND_mimalloc_heap] = { "mimalloc_heap", "mimalloc heap", FALSE,
    BENCH_CAN_FREE | BENCH_CAN_LIFO | BENCH_CAN_RELEASE,
    "mi_heap_malloc / mi_free; mi_heap_destroy + mi_heap_new to release (dlopen)" },
  [BENCH_CAND_jemalloc] = { "jemalloc", "jemalloc", FALSE, GENERAL,
    "malloc / free of libjemalloc (dlopen: one indirect call each)" },
  [BENCH_CAND_jemalloc_sized] = { "jemalloc_sized", "jemalloc mallocx/sdallocx", FALSE, GENERAL,
    "mallocx (size, 0) / sdallocx (mem, size, 0) (dlopen)" },
  [BENCH_CAND_nm_bump] = { "nm_bump", "NmBumpAllocator", TRUE,
    BENCH_CAN_RELEASE | BENCH_CAN_SCOPE,
    "nm_bump_allocator_alloc (inline); reset; checkpoint / restore per scope" },
  [BENCH_CAND_nm_pool] = { "nm_pool", "NmPoolAllocator", TRUE,
    BENCH_CAN_FREE | BENCH_CAN_LIFO | BENCH_ONLY_64,
    "nm_pool_allocator_alloc / free (inline), one pool of 64 B blocks" },
  [BENCH_CAND_nm_pool_classes] = { "nm_pool_classes", "NmPoolAllocator size classes", TRUE,
    BENCH_CAN_FREE | BENCH_CAN_LIFO | BENCH_ONLY_MIXED,
    "nm_pool_allocator_alloc / free (inline) on six pools of 16-512 B, picked by size" },
  [BENCH_CAND_nm_stack] = { "nm_stack", "NmStackAllocator", TRUE,
    BENCH_CAN_LIFO | BENCH_CAN_RELEASE,
    "nm_stack_allocator_alloc / free (inline, LIFO-checked); reset" },
  [BENCH_CAND_nm_pool_ts] = { "nm_pool_ts", "NmPoolAllocator thread-safe", TRUE,
    BENCH_CAN_FREE | BENCH_CAN_THREADS | BENCH_ONLY_64 | BENCH_ONLY_THREADS,
    "nm_pool_allocator_alloc / free, thread-safe pool of 64 B blocks" },
  [BENCH_CAND_nm_pool_ts_classes] = { "nm_pool_ts_classes", "NmPoolAllocator thread-safe classes", TRUE,
    BENCH_CAN_FREE | BENCH_CAN_THREADS | BENCH_ONLY_MIXED | BENCH_ONLY_THREADS,
    "six thread-safe pools of 16-512 B" },
  [BENCH_CAND_nm_pool_iface] = { "nm_pool_iface", "NmPoolAllocator via NmAllocator", TRUE,
    BENCH_CAN_FREE | BENCH_ONLY_LISTED, "nm_allocator_alloc / free" },
  [BENCH_CAND_nm_bump_iface] = { "nm_bump_iface", "NmBumpAllocator via NmAllocator", TRUE,
    BENCH_CAN_RELEASE | BENCH_ONLY_LISTED, "nm_allocator_alloc / reset" },
  [BENCH_CAND_nm_stack_iface] = { "nm_stack_iface", "NmStackAllocator via NmAllocator", TRUE,
    BENCH_CAN_LIFO | BENCH_ONLY_LISTED, "nm_allocator_alloc / free" },
  [BENCH_CAND_nm_pool_nostats] = { "nm_pool_nostats", "NmPoolAllocator, track-stats=false", TRUE,
    BENCH_CAN_FREE | BENCH_ONLY_LISTED, "built by NmMemoryConfigBuilder, called directly" },
  [BENCH_CAND_nm_pool_stats] = { "nm_pool_stats", "NmPoolAllocator, track-stats=true", TRUE,
    BENCH_CAN_FREE | BENCH_ONLY_LISTED, "built by NmMemoryConfigBuilder, called directly" },
  [BENCH_CAND_nm_bump_nostats] = { "nm_bump_nostats", "NmBumpAllocator, track-stats=false", TRUE,
    BENCH_CAN_RELEASE | BENCH_ONLY_LISTED, "built by NmMemoryConfigBuilder, called directly" },
  [BENCH_CAND_nm_bump_stats] = { "nm_bump_stats", "NmBumpAllocator, track-stats=true", TRUE,
    BENCH_CAN_RELEASE | BENCH_ONLY_LISTED, "built by NmMemoryConfigBuilder, called directly" },
  [BENCH_CAND_nm_pool_production] = { "nm_pool_production", "NmPoolAllocator, production preset", TRUE,
    BENCH_CAN_FREE | BENCH_ONLY_LISTED, "nm_memory_config_new_production, called directly" },
  [BENCH_CAND_nm_pool_development] = { "nm_pool_development", "NmPoolAllocator, development preset", TRUE,
    BENCH_CAN_FREE | BENCH_ONLY_LISTED, "nm_memory_config_new_development, called directly" },
  [BENCH_CAND_nm_pool_budget] = { "nm_pool_budget", "NmPoolAllocator under a budget", TRUE,
    BENCH_CAN_FREE | BENCH_ONLY_LISTED, "nm_memory_config_builder_set_budget, called directly" },
  [BENCH_CAND_nm_bump_budget] = { "nm_bump_budget", "NmBumpAllocator under a budget", TRUE,
    BENCH_CAN_RELEASE | BENCH_ONLY_LISTED, "nm_memory_config_builder_set_budget, called directly" },
};

void
bench_out_of_memory (gsize size)
{
  g_error ("a candidate returned NULL for %" G_GSIZE_FORMAT " bytes", size);
}

static void *
open_library (const char  *soname,
              const char **missing)
{
  void *handle = dlopen (soname, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);

  if (handle == NULL)
    *missing = g_intern_string (dlerror ());
  return handle;
}

#define RESOLVE(handle, field, name, missing) \
  (((field) = dlsym ((handle), (name))) != NULL || ((*(missing) = "symbol " name " not found"), FALSE))

static void
load_mimalloc (void)
{
  const char *missing = NULL;
  g_autoptr(GString) set = g_string_new (NULL);
  void *h;
  int (*version) (void);
  gboolean ok;

  for (guint i = 0; i < G_N_ELEMENTS (bench_mimalloc_env); i++)
    {
      const char *user = g_getenv (bench_mimalloc_env[i][0]);

      if (user == NULL)
        g_setenv (bench_mimalloc_env[i][0], bench_mimalloc_env[i][1], TRUE);
      g_string_append_printf (set, "%s%s=%s%s", set->len ? " " : "", bench_mimalloc_env[i][0],
                              user ? user : bench_mimalloc_env[i][1], user ? " (the user's)" : "");
    }
  h = open_library ("libmimalloc.so.2", &missing);
  ok = h != NULL &&
       RESOLVE (h, bench_mi.malloc, "mi_malloc", &missing) &&
       RESOLVE (h, bench_mi.free, "mi_free", &missing) &&
       RESOLVE (h, bench_mi.heap_new, "mi_heap_new", &missing) &&
       RESOLVE (h, bench_mi.heap_destroy, "mi_heap_destroy", &missing) &&
       RESOLVE (h, bench_mi.heap_malloc, "mi_heap_malloc", &missing);

  if (ok && (version = dlsym (h, "mi_version")) != NULL)
    g_string_append_printf (set, " (mimalloc %d.%d.%d)", version () / 100, version () / 10 % 10,
                            version () % 10);
  if (ok)
    add_setting ("mimalloc", g_string_free (g_steal_pointer (&set), FALSE));

  for (guint i = BENCH_CAND_mimalloc; i <= BENCH_CAND_mimalloc_heap; i++)
    {
      bench_candidates[i].available = ok;
      bench_candidates[i].missing = ok ? NULL : g_strdup_printf ("%s (install libmimalloc2.0)", missing);
    }
}

/* Reads back what jemalloc runs with, so the header says what is in force,
 * not what was asked. */
static char *
jemalloc_settings (void *h)
{
  int (*mallctl) (const char *, void *, size_t *, void *, size_t) = dlsym (h, "mallctl");
  bool bg = false;  /* jemalloc's type: a size other than 1 is EINVAL */
  gssize dirty = 0, muzzy = 0;
  const char *version = NULL;
  size_t bsz = sizeof bg, ssz = sizeof dirty, vsz = sizeof version;

  if (mallctl == NULL ||
      mallctl ("opt.background_thread", &bg, &bsz, NULL, 0) != 0 ||
      mallctl ("opt.dirty_decay_ms", &dirty, &ssz, NULL, 0) != 0 ||
      mallctl ("opt.muzzy_decay_ms", &muzzy, &ssz, NULL, 0) != 0)
    return g_strdup ("MALLOC_CONF=" BENCH_JEMALLOC_CONF " (not read back: no mallctl)");
  if (mallctl ("version", &version, &vsz, NULL, 0) != 0)
    version = "?";
  return g_strdup_printf ("MALLOC_CONF=%s; in force: background_thread %s, dirty_decay_ms %"
                          G_GSSIZE_FORMAT ", muzzy_decay_ms %" G_GSSIZE_FORMAT " (jemalloc %.5s)",
                          g_getenv ("MALLOC_CONF"), bg ? "true" : "false", dirty, muzzy, version);
}

static void
load_jemalloc (void)
{
  const char *missing = NULL;
  void *h;
  gboolean ok;

  if (g_getenv ("MALLOC_CONF") == NULL)
    g_setenv ("MALLOC_CONF", BENCH_JEMALLOC_CONF, TRUE);
  h = open_library ("libjemalloc.so.2", &missing);
  ok = h != NULL &&
                RESOLVE (h, bench_je.malloc, "malloc", &missing) &&
                RESOLVE (h, bench_je.free, "free", &missing) &&
                RESOLVE (h, bench_je.mallocx, "mallocx", &missing) &&
                RESOLVE (h, bench_je.sdallocx, "sdallocx", &missing);

  /* RTLD_DEEPBIND keeps the library's malloc its own; make sure the one we
   * call is not glibc's after all. */
  if (ok && bench_je.malloc == (gpointer) malloc)
    {
      ok = FALSE;
      missing = "dlsym returned glibc's malloc";
    }
  if (ok)
    add_setting ("jemalloc", jemalloc_settings (h));

  for (guint i = BENCH_CAND_jemalloc; i <= BENCH_CAND_jemalloc_sized; i++)
    {
      bench_candidates[i].available = ok;
      bench_candidates[i].missing = ok ? NULL : g_strdup_printf ("%s (install libjemalloc2)", missing);
    }
}

void
bench_candidates_init (void)
{
  for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
    bench_candidates[i].available = TRUE;

#ifndef HAVE_APR
  bench_candidates[BENCH_CAND_apr].available = FALSE;
  bench_candidates[BENCH_CAND_apr].missing = "built without APR (libapr1-dev)";
#else
  apr_initialize ();
#endif
#ifndef HAVE_TALLOC
  bench_candidates[BENCH_CAND_talloc].available = FALSE;
  bench_candidates[BENCH_CAND_talloc].missing = "built without talloc (libtalloc-dev)";
  bench_candidates[BENCH_CAND_talloc_pool].available = FALSE;
  bench_candidates[BENCH_CAND_talloc_pool].missing = "built without talloc (libtalloc-dev)";
#endif

  load_mimalloc ();
  load_jemalloc ();
}

gpointer
bench_nm_configured_open (BenchCandidateId id)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  gboolean pool = id != BENCH_CAND_nm_bump_nostats && id != BENCH_CAND_nm_bump_stats &&
                  id != BENCH_CAND_nm_bump_budget;
  NmAllocatorKind kind = pool ? NM_ALLOCATOR_KIND_POOL : NM_ALLOCATOR_KIND_BUMP;
  NmAllocator *allocator;

  if (id == BENCH_CAND_nm_pool_production)
    {
      g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_production (kind);
      builder = nm_memory_config_builder_new_from_config (preset);
    }
  else if (id == BENCH_CAND_nm_pool_development)
    {
      g_autoptr(NmMemoryConfig) preset = nm_memory_config_new_development (kind);
      builder = nm_memory_config_builder_new_from_config (preset);
    }
  else
    {
      builder = nm_memory_config_builder_new ();
      nm_memory_config_builder_set_kind (builder, kind);
      nm_memory_config_builder_set_track_stats (builder,
                                                id == BENCH_CAND_nm_pool_stats ||
                                                id == BENCH_CAND_nm_bump_stats);
    }

  nm_memory_config_builder_set_name (builder, "bench");
  if (id == BENCH_CAND_nm_pool_budget || id == BENCH_CAND_nm_bump_budget)
    {
      /* A budget under a root, as a program would have, with limits it
       * never reaches: what is timed is the charging, not a refusal. The
       * builder's configuration keeps a reference. */
      static NmMemoryBudget *process, *budget[2];
      guint which = id == BENCH_CAND_nm_bump_budget;

      if (process == NULL)
        process = nm_memory_budget_new ("bench-process", (guint64) 1 << 44, NULL);
      if (budget[which] == NULL)
        budget[which] = nm_memory_budget_new (which ? "bench-bump" : "bench-pool",
                                              (guint64) 1 << 43, process);
      nm_memory_config_builder_set_budget (builder, budget[which]);
    }
  if (pool)
    {
      nm_memory_config_builder_set_block_size (builder, 64);
      nm_memory_config_builder_set_block_alignment (builder, BENCH_ALIGN);
      nm_memory_config_builder_set_block_count (builder, 1024);
      nm_memory_config_builder_set_max_block_count (builder, BENCH_MAX_BLOCKS);
    }
  else
    {
      nm_memory_config_builder_set_capacity (builder, 1 << 20);
      nm_memory_config_builder_set_max_capacity (builder, (gsize) 16 << 30);
    }

  config = nm_memory_config_builder_build (builder, &error);
  if (config == NULL)
    g_error ("%s: %s", bench_candidates[id].id, error->message);
  allocator = nm_allocator_new_from_config (config, &error);
  if (allocator == NULL)
    g_error ("%s: %s", bench_candidates[id].id, error->message);
  return allocator;
}
