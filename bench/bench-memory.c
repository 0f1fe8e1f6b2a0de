/* bench-memory.c: what n_live live blocks cost in memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each candidate runs in a new process of its own (this program again,
 * with --memory-child), so no memory another allocator keeps cached, and
 * nothing of the parent's heap, is counted: the child opens the allocator, allocates n_live (1 M) blocks of the
 * scenario's sizes and writes them, and reports how much its resident set
 * grew (/proc/self/statm) against the bytes asked for. Not timed; one
 * measurement per candidate (the figures are deterministic to a page).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench-pattern.h"

static guint64
resident_bytes (void)
{
  g_autofree char *text = NULL;
  unsigned long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &text, NULL, NULL) ||
      sscanf (text, "%lu %lu", &size, &resident) != 2)
    return 0;
  return (guint64) resident * (guint64) sysconf (_SC_PAGESIZE);
}

BENCH_INLINE void
memory_child (const BenchOps    *ops,
              const BenchParams *params,
              BenchCheck        *check)
{
  guint n_live = params->n_live;
  guint8 **blocks = bench_harness_alloc (n_live * sizeof (guint8 *));
  guint64 before = resident_bytes ();
  gpointer ctx = ops->open ((gsize) n_live * 544, params->mix);

  for (guint j = 0; j < n_live; j++)
    {
      gsize size = bench_size (params, j);

      blocks[j] = bench_alloc (ops, ctx, NULL, size, BENCH_TAG (j));
      check->payload += size;
    }
  check->rss_bytes = resident_bytes ();
  check->rss_bytes -= MIN (check->rss_bytes, before);
  for (guint j = 0; j < n_live; j++)
    bench_verify (blocks[j], bench_size (params, j), BENCH_TAG (j), check);
  check->ops = n_live;
  /* The blocks' own array is not the allocator's: take it out. */
  check->rss_bytes -= MIN (check->rss_bytes, (guint64) n_live * sizeof (guint8 *));
}

/* Runs the measurement in a new process, so that the address space is
 * fresh: a forked child would find the parent's freed heap still resident
 * and shared, and glibc-backed allocators would seem to cost nothing. */
static void
memory_spawn (BenchCandidateId   id,
              const BenchParams *params,
              BenchCheck        *check)
{
  g_autofree char *spec = g_strdup_printf ("%s:%d:%u", bench_candidates[id].id,
                                           (int) params->mix, params->n_live);
  const char *argv[] = { "/proc/self/exe", "--memory-child", spec, NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error) ||
      sscanf (out, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                   " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &check->rss_bytes, &check->payload, &check->ops, &check->errors,
              &check->checksum) != 5)
    {
      g_printerr ("nm-bench: memory measurement of %s failed: %s\n", bench_candidates[id].id,
                  error ? error->message : "unreadable output");
      check->errors++;
    }
}

gboolean bench_memory_in_child;

BENCH_INLINE double
memory_body (const BenchOps    *ops,
             BenchCandidateId   id,
             const BenchParams *params,
             BenchCheck        *check)
{
  if (bench_memory_in_child)
    memory_child (ops, params, check);
  else
    memory_spawn (id, params, check);
  return 0;
}

#define MEMORY_INSTANTIATE(name)                                          \
  static double __attribute__ ((noinline))                                \
  memory_##name (const BenchParams *params, guint64 n G_GNUC_UNUSED,      \
                 BenchCheck *check)                                       \
  {                                                                       \
    return memory_body (&bench_ops_##name, BENCH_CAND_##name, params, check); \
  }

BENCH_CANDIDATES (MEMORY_INSTANTIATE)

int
bench_memory_child_main (const char *spec)
{
  g_auto(GStrv) parts = g_strsplit (spec, ":", 3);
  BenchParams params;
  BenchCheck check = { 0 };

  if (g_strv_length (parts) != 3)
    return 2;
  bench_options.n_live = (guint) g_ascii_strtoull (parts[2], NULL, 10);
  bench_params_init (&params, (BenchSizeMix) atoi (parts[1]), 1);
  bench_candidates_init ();
  bench_memory_in_child = TRUE;

  for (guint i = 0; i < BENCH_N_CANDIDATES; i++)
    if (g_str_equal (bench_candidates[i].id, parts[0]))
      {
        bench_pattern_memory.run[i] (&params, 1, &check);
        printf ("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
                check.rss_bytes, check.payload, check.ops, check.errors, check.checksum);
        return 0;
      }
  return 2;
}

#define BENCH_PATTERN memory

const BenchPattern bench_pattern_memory = {
  "memory", "block", BENCH_CAN_FREE | BENCH_CAN_RELEASE | BENCH_CAN_LIFO, TRUE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
