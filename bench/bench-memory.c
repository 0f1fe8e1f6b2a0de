/* bench-memory.c: what n_live live blocks cost in memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each candidate runs in a child process of its own (fork), so no memory
 * one allocator keeps cached after its run is counted against another: the
 * child opens the allocator, allocates n_live (1 M) blocks of the
 * scenario's sizes and writes them, and reports how much its resident set
 * grew (/proc/self/statm) against the bytes asked for. Not timed; one
 * measurement per candidate (the figures are deterministic to a page).
 */

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
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
  guint8 **blocks = g_new (guint8 *, n_live);
  guint64 before = resident_bytes ();
  gpointer ctx = ops->open ((gsize) n_live * 544, params->mix);

  for (guint j = 0; j < n_live; j++)
    {
      gsize size = bench_size (params, j);

      blocks[j] = bench_alloc (ops, ctx, NULL, size, BENCH_TAG (j));
      check->payload += size;
    }
  check->rss_bytes = resident_bytes () - before;
  for (guint j = 0; j < n_live; j++)
    bench_verify (blocks[j], bench_size (params, j), BENCH_TAG (j), check);
  check->ops = n_live;
  /* The blocks' own array is not the allocator's: take it out. */
  check->rss_bytes -= MIN (check->rss_bytes, (guint64) n_live * sizeof (guint8 *));
}

BENCH_INLINE double
memory_body (const BenchOps    *ops,
             const BenchParams *params,
             guint64            n G_GNUC_UNUSED,
             BenchCheck        *check)
{
  int fds[2];
  pid_t pid;
  BenchCheck result = { 0 };
  int status = 0;

  if (pipe (fds) != 0)
    g_error ("pipe: %s", g_strerror (errno));
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      close (fds[0]);
      memory_child (ops, params, &result);
      if (write (fds[1], &result, sizeof result) != sizeof result)
        _exit (1);
      _exit (0);
    }

  close (fds[1]);
  if (read (fds[0], &result, sizeof result) != sizeof result)
    result.errors = 1;
  close (fds[0]);
  waitpid (pid, &status, 0);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    result.errors++;

  check->ops += result.ops;
  check->errors += result.errors;
  check->checksum += result.checksum;
  check->rss_bytes = result.rss_bytes;
  check->payload = result.payload;
  return 0;
}

#define BENCH_PATTERN memory
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_memory = {
  "memory", "block", BENCH_CAN_FREE | BENCH_CAN_RELEASE | BENCH_CAN_LIFO, TRUE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
