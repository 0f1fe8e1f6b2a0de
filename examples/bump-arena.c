/* bump-arena.c: a request arena
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A server that handles one request at a time gives each request its memory
 * from one bump allocator and takes it all back with one reset when the
 * request is done: no free() per object, no leak when a request bails out
 * early. Scratch memory inside a request lives in a scope that is released
 * when the C scope ends.
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

static const char config_text[] =
  "[request-arena]\n"
  "kind=bump\n"
  "capacity=16KiB\n"
  "max-capacity=256KiB\n"
  "track-stats=true\n";

typedef struct
{
  char   *path;
  guint   n_headers;
  char  **headers;
} Request;

static guint failures_seen;

static void
on_allocation_failed (NmAllocator  *arena,
                      const GError *error,
                      gpointer      user_data)
{
  failures_seen++;
}

/* Copies @s into @arena. */
static char *
arena_strdup (NmBumpAllocator  *arena,
              const char       *s,
              GError          **error)
{
  gsize len = strlen (s) + 1;
  char *copy = nm_bump_allocator_alloc (arena, len, 1, error);

  if (copy != NULL)
    memcpy (copy, s, len);

  return copy;
}

/* Builds the request number @n in @arena; everything it allocates lives
 * until the arena is reset. */
static Request *
parse_request (NmBumpAllocator  *arena,
               guint             n,
               GError          **error)
{
  Request *request;
  char path[64];

  if (!(request = nm_new0 (arena, Request, error)))
    return NULL;

  g_snprintf (path, sizeof path, "/items/%u", n);
  if (!(request->path = arena_strdup (arena, path, error)))
    return NULL;

  request->n_headers = 4 + n % 8;
  if (!(request->headers = nm_new0_array (arena, char *, request->n_headers, error)))
    return NULL;

  for (guint i = 0; i < request->n_headers; i++)
    {
      char header[64];

      g_snprintf (header, sizeof header, "X-Header-%u: value %u", i, n * i);
      if (!(request->headers[i] = arena_strdup (arena, header, error)))
        return NULL;
    }

  return request;
}

/* Scratch work inside a request: whatever is allocated here is gone when
 * the scope ends, and the request's own memory is kept. */
static gsize
render_response (NmBumpAllocator *arena,
                 const Request   *request)
{
  g_auto(NmBumpScope) scope = nm_bump_allocator_begin_scope (arena);
  g_autoptr(GError) error = NULL;
  gsize size = 8192;
  char *buffer = nm_bump_allocator_alloc (arena, size, 16, &error);
  gsize len;

  g_assert_no_error (error);
  len = (gsize) g_snprintf (buffer, size, "200 OK %s (%u headers)",
                            request->path, request->n_headers);
  return len;
}

int
main (void)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(NmAllocator) allocator = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  NmBumpAllocator *arena;
  guint64 peak = 0;
  gsize total = 0;

  if (!g_key_file_load_from_data (key_file, config_text, -1, G_KEY_FILE_NONE, &error) ||
      !(allocator = nm_allocator_new_from_key_file (key_file, "request-arena", &error)))
    {
      g_printerr ("bump-arena: %s\n", error->message);
      return 1;
    }

  arena = NM_BUMP_ALLOCATOR (allocator);
  g_signal_connect (allocator, "allocation-failed", G_CALLBACK (on_allocation_failed), NULL);

  for (guint n = 0; n < 1000; n++)
    {
      guint64 used_before_scratch, used_after_scratch;
      Request *request = parse_request (arena, n, &error);

      if (request == NULL)
        {
          g_printerr ("bump-arena: request %u: %s\n", n, error->message);
          return 1;
        }

      g_object_get (allocator, "bytes-used", &used_before_scratch, NULL);
      total += render_response (arena, request);
      g_object_get (allocator, "bytes-used", &used_after_scratch, NULL);
      g_assert_cmpuint (used_before_scratch, ==, used_after_scratch);

      g_object_get (allocator, "bytes-peak", &peak, NULL);
      nm_allocator_reset (allocator);
    }

  g_print ("served 1000 requests (%" G_GSIZE_FORMAT " response bytes), "
           "peak arena use %" G_GUINT64_FORMAT " bytes\n", total, peak);

  /* Misuse is an error that explains itself, and the arena survives it. */
  if (nm_bump_allocator_alloc (arena, 1024 * 1024, 8, &error) != NULL ||
      !g_error_matches (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY))
    {
      g_printerr ("bump-arena: expected an out-of-memory error\n");
      return 1;
    }
  g_print ("refused as expected: %s\n", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (failures_seen, ==, 1);

  if (nm_new (arena, Request, &error) == NULL)
    {
      g_printerr ("bump-arena: the arena did not survive: %s\n", error->message);
      return 1;
    }

  stats = nm_allocator_get_stats (allocator);
  summary = nm_allocator_stats_to_string (stats);
  g_print ("%s: %s\n", nm_allocator_get_name (allocator), summary);

  return stats->allocation_count > 1000 && stats->failed_count == 1 ? 0 : 1;
}
