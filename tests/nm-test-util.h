/* nm-test-util.h: helpers the test suites share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Header-only: each suite is one executable, so static inlines are all the
 * sharing needed.
 */

#pragma once

#include <string.h>

#include <nebula-memory/nebula-memory.h>

/* Records every notify:: of an object as "name;" in a GString:
 *   g_autoptr(GString) log = g_string_new (NULL);
 *   nm_test_log_notify (object, log);
 *   ...
 *   g_assert_nonnull (strstr (log->str, "bytes-used;"));
 */
static inline void
nm_test_on_notify (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  GString *log = user_data;

  g_string_append_printf (log, "%s;", pspec->name);
}

static inline gulong
nm_test_log_notify (gpointer  object,
                    GString  *log)
{
  return g_signal_connect (object, "notify", G_CALLBACK (nm_test_on_notify), log);
}

/* How many times "name;" appears in a notify log. */
static inline guint
nm_test_count_notify (GString    *log,
                      const char *name)
{
  g_autofree char *needle = g_strconcat (name, ";", NULL);
  guint n = 0;

  for (const char *p = log->str; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    if (p == log->str || p[-1] == ';')
      n++;

  return n;
}

/* Delivers what is queued on the thread-default main context:
 * notifications of allocators and budgets arrive there, batched. */
static inline void
nm_test_flush_notify (void)
{
  GMainContext *context = g_main_context_ref_thread_default ();

  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_unref (context);
}

/* Counts NmAllocator::allocation-failed and keeps a copy of the last error. */
typedef struct
{
  guint   count;
  GError *last;
} NmTestFailures;

static inline void
nm_test_on_allocation_failed (NmAllocator  *alloc,
                              const GError *error,
                              gpointer      user_data)
{
  NmTestFailures *failures = user_data;

  failures->count++;
  g_clear_error (&failures->last);
  failures->last = g_error_copy (error);
}

static inline gulong
nm_test_watch_failures (gpointer        alloc,
                        NmTestFailures *failures)
{
  return g_signal_connect (alloc, "allocation-failed",
                           G_CALLBACK (nm_test_on_allocation_failed), failures);
}

static inline void
nm_test_failures_clear (NmTestFailures *failures)
{
  g_clear_error (&failures->last);
  failures->count = 0;
}

/* After a failure or a misuse: the allocator still hands out writable,
 * aligned memory that it owns, and takes it back. */
static inline void
nm_test_assert_still_works (gpointer alloc_ptr,
                            gsize    size,
                            gsize    alignment)
{
  NmAllocator *alloc = NM_ALLOCATOR (alloc_ptr);
  g_autoptr(GError) error = NULL;
  guint8 *p = nm_allocator_alloc (alloc, size, alignment, &error);

  g_assert_no_error (error);
  g_assert_nonnull (p);
  g_assert_cmpuint ((guintptr) p % alignment, ==, 0);
  memset (p, 0x5a, size);
  g_assert_true (nm_allocator_owns (alloc, p));
  nm_allocator_free (alloc, p, size, alignment);
}

/* Whether the suite runs under AddressSanitizer. */
#if defined(__SANITIZE_ADDRESS__)
# define NM_TEST_HAVE_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define NM_TEST_HAVE_ASAN 1
# endif
#endif
