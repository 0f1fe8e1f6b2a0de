/* bench-machine.c: the machine the figures come from
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#ifndef BENCH_BUILD_TYPE
#define BENCH_BUILD_TYPE "unknown"
#endif

#define STATIC_TLS_TUNABLE "glibc.rtld.optional_static_tls"

/* Debian's libjemalloc.so.2 has initial-exec TLS: dlopen() fails with
 * "cannot allocate memory in static TLS block" unless the loader reserved
 * room for it at start-up, which only GLIBC_TUNABLES can ask for. Run the
 * program again with it (once; the variable marks the second run). */
void
bench_machine_reexec_for_tls (char **argv)
{
  const char *tunables = g_getenv ("GLIBC_TUNABLES");
  g_autofree char *value = NULL;

  if (g_getenv ("NM_BENCH_REEXECUTED") != NULL ||
      (tunables != NULL && strstr (tunables, STATIC_TLS_TUNABLE) != NULL))
    return;

  value = tunables != NULL && *tunables != '\0' ?
          g_strdup_printf ("%s:%s=16384", tunables, STATIC_TLS_TUNABLE) :
          g_strdup (STATIC_TLS_TUNABLE "=16384");
  g_setenv ("GLIBC_TUNABLES", value, TRUE);
  g_setenv ("NM_BENCH_REEXECUTED", "1", TRUE);
  execv ("/proc/self/exe", argv);
  /* Not fatal: jemalloc's rows will say why they are missing. */
  g_unsetenv ("NM_BENCH_REEXECUTED");
}

/* glibc returns the top of its heap to the kernel when more than
 * M_TRIM_THRESHOLD is free there, and serves blocks above M_MMAP_THRESHOLD
 * with a fresh mmap(); both thresholds move on their own as blocks are
 * freed. Which round then pays for giving memory back and faulting it in
 * again depends on what ran before it. Fixed thresholds (mallopt, which
 * also stops their adjustment) keep glibc's memory, and that of the peers
 * built on it (GSlice, obstack, APR, talloc), mapped and warm between
 * rounds, as bench-peers.c does for jemalloc and mimalloc. */
#define BENCH_TRIM_THRESHOLD (1 << 30)
#define BENCH_MMAP_THRESHOLD (32 << 20)

void
bench_machine_settle_glibc (void)
{
  gboolean ok = mallopt (M_TRIM_THRESHOLD, BENCH_TRIM_THRESHOLD) == 1 &&
                mallopt (M_MMAP_THRESHOLD, BENCH_MMAP_THRESHOLD) == 1;

  bench_peer_settings_add ("glibc", ok ?
                           g_strdup ("mallopt M_TRIM_THRESHOLD 1 GiB, M_MMAP_THRESHOLD 32 MiB (fixed: no trimming, no dynamic threshold)") :
                           g_strdup ("mallopt refused: glibc's defaults (trimming at 128 KiB, dynamic mmap threshold)"));
}

/* Time the hypervisor gave this machine's CPUs to other guests: the steal
 * field of /proc/stat's first line, in USER_HZ ticks over all CPUs; 0 when
 * it cannot be read. Stolen time counts as the program's CPU time (the
 * guest cannot tell), so a round with steal in it is timed long for
 * reasons that are not the allocator's. Read with open/read into a buffer
 * on the stack: nothing is allocated. */
guint64
bench_machine_steal_ticks (void)
{
  char buf[512];
  guint64 v[8] = { 0 };
  ssize_t len;
  int fd = open ("/proc/stat", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return 0;
  len = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (len <= 0)
    return 0;
  buf[len] = '\0';
  /* cpu  user nice system idle iowait irq softirq steal ... */
  if (sscanf (buf, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
              " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
              " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
    return 0;
  return v[7];
}

double
bench_process_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

gboolean
bench_machine_pin (int      cpu,
                   GError **error)
{
  cpu_set_t set;

  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  if (sched_setaffinity (0, sizeof set, &set) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot pin to CPU %d: %s", cpu, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Threads of the threaded scenarios may use every CPU, pinned or not. */
void
bench_machine_unpin_thread (void)
{
  cpu_set_t set;
  long n = sysconf (_SC_NPROCESSORS_CONF);

  if (bench_options.pin_cpu < 0)
    return;
  CPU_ZERO (&set);
  for (long i = 0; i < n && i < CPU_SETSIZE; i++)
    CPU_SET (i, &set);
  sched_setaffinity (0, sizeof set, &set);
}

static char *
cpu_model (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');
        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return g_strdup ("unknown");
}

const char *const *
bench_machine_describe (void)
{
  static const char *pairs[32];
  struct utsname u;
  guint i = 0;

  if (pairs[0] != NULL)
    return pairs;

  uname (&u);
  pairs[i++] = "cpu";
  pairs[i++] = cpu_model ();
  pairs[i++] = "cores";
  pairs[i++] = g_strdup_printf ("%u online (%ld configured)", g_get_num_processors (),
                                sysconf (_SC_NPROCESSORS_CONF));
  pairs[i++] = "kernel";
  pairs[i++] = g_strdup_printf ("%s %s %s", u.sysname, u.release, u.machine);
  pairs[i++] = "glibc";
  pairs[i++] = gnu_get_libc_version ();
  pairs[i++] = "glib";
  pairs[i++] = g_strdup_printf ("%u.%u.%u", glib_major_version, glib_minor_version, glib_micro_version);
  pairs[i++] = "compiler";
#ifdef __clang__
  pairs[i++] = "clang " __VERSION__;
#else
  pairs[i++] = "gcc " __VERSION__;
#endif
  pairs[i++] = "build type";
  pairs[i++] = BENCH_BUILD_TYPE;
  pairs[i++] = "pinned";
  pairs[i++] = bench_options.pin_cpu >= 0 ? g_strdup_printf ("CPU %d", bench_options.pin_cpu) : "no";
  pairs[i] = NULL;
  return pairs;
}
