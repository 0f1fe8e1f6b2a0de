/* nm-leak-sites.c: where live allocations were made, for leak reports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* dladdr() */
#define _GNU_SOURCE

#include "config.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <string.h>

#include "nm-leak-sites-private.h"
#include "nm-size-private.h"

/* Frames kept per allocation: this function, the allocator's few, the
 * caller's and some of its callers. */
#define DEPTH 12

/* Frames looked at for the library's own when naming a site: deep enough
 * for the interface's entry points, short of a callback from the library
 * (a signal handler that allocates) further down. */
#define SCAN 8

typedef struct
{
  gpointer frames[DEPTH];
  guint    n_frames;
  guint    hash;
  guint64  live_count;
  guint64  live_bytes;
} Stack;

typedef struct
{
  Stack *stack;
  gsize  size;
} Record;

struct _NmLeakSites
{
  GMutex      lock;
  GHashTable *stacks;   /* Stack * (owned) */
  GHashTable *live;     /* mem → Record * (owned) */
};

static guint
stack_hash (gconstpointer key)
{
  return ((const Stack *) key)->hash;
}

static gboolean
stack_equal (gconstpointer a,
             gconstpointer b)
{
  const Stack *x = a, *y = b;

  return x->n_frames == y->n_frames &&
         memcmp (x->frames, y->frames, x->n_frames * sizeof (gpointer)) == 0;
}

NmLeakSites *
_nm_leak_sites_new (void)
{
  NmLeakSites *self = g_new0 (NmLeakSites, 1);

  g_mutex_init (&self->lock);
  self->stacks = g_hash_table_new_full (stack_hash, stack_equal, g_free, NULL);
  self->live = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);

  return self;
}

void
_nm_leak_sites_free (NmLeakSites *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->live);
  g_hash_table_unref (self->stacks);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static void
forget (Record *record)
{
  record->stack->live_count--;
  record->stack->live_bytes -= record->size;
}

void
_nm_leak_sites_add (NmLeakSites   *self,
                    gconstpointer  mem,
                    gsize          size)
{
  Stack key = { 0 };
  Stack *stack;
  Record *record, *old;

  /* Outside the lock: unwinding is the slow part. */
  key.n_frames = (guint) MAX (backtrace (key.frames, DEPTH), 0);
  key.hash = 5381;
  for (guint i = 0; i < key.n_frames; i++)
    key.hash = key.hash * 33 + (guint) (GPOINTER_TO_SIZE (key.frames[i]) >> 2);

  g_mutex_lock (&self->lock);

  stack = g_hash_table_lookup (self->stacks, &key);
  if (stack == NULL)
    {
      stack = g_memdup2 (&key, sizeof key);
      g_hash_table_add (self->stacks, stack);
    }
  stack->live_count++;
  stack->live_bytes += size;

  /* An address handed out again without coming back first (a free the
   * allocator could not see) replaces its record. */
  old = g_hash_table_lookup (self->live, mem);
  if (old != NULL)
    forget (old);

  record = g_new (Record, 1);
  record->stack = stack;
  record->size = size;
  g_hash_table_replace (self->live, (gpointer) mem, record);

  g_mutex_unlock (&self->lock);
}

void
_nm_leak_sites_remove (NmLeakSites   *self,
                       gconstpointer  mem)
{
  Record *record;

  g_mutex_lock (&self->lock);
  record = g_hash_table_lookup (self->live, mem);
  if (record != NULL)
    {
      forget (record);
      g_hash_table_remove (self->live, mem);
    }
  g_mutex_unlock (&self->lock);
}

void
_nm_leak_sites_clear (NmLeakSites *self)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->live);
  g_hash_table_remove_all (self->stacks);
  g_mutex_unlock (&self->lock);
}

void
_nm_leak_sites_retain (NmLeakSites  *self,
                       gboolean    (*still_live) (gconstpointer mem,
                                                  gpointer      data),
                       gpointer      data)
{
  GHashTableIter iter;
  gpointer mem, value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, &mem, &value))
    if (!still_live (mem, data))
      {
        forget (value);
        g_hash_table_iter_remove (&iter);
      }
  g_mutex_unlock (&self->lock);
}

guint
_nm_leak_sites_count (NmLeakSites *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->live);
  g_mutex_unlock (&self->lock);

  return n;
}

static gboolean
is_library_name (const char *name)
{
  return g_str_has_prefix (name, "nm_") || g_str_has_prefix (name, "_nm_");
}

/* The caller's frame in @stack: the first frame, after the library's own
 * (the recorder and the allocator's), that lies in another module than
 * the library, or in a function exported under a name that is not the
 * library's. Frames before the library's (a sanitizer's interceptor of
 * backtrace()) are skipped. The library's static functions have no name
 * for dladdr() but lie in its module, so a program using the shared
 * library always gets its own frame; a program that links the library
 * statically gets its first function exported by name (link it with
 * -rdynamic to export them). */
static gpointer
site_of (const Stack *stack)
{
  Dl_info info;
  gpointer library;
  gboolean inside = FALSE;

  if (dladdr ((gpointer) _nm_leak_sites_add, &info) == 0)
    return NULL;
  library = info.dli_fbase;

  for (guint i = 0; i < MIN (stack->n_frames, SCAN); i++)
    {
      gboolean ours = dladdr (stack->frames[i], &info) != 0 && info.dli_fbase == library &&
                      (info.dli_sname == NULL || is_library_name (info.dli_sname));

      if (ours)
        inside = TRUE;
      else if (inside)
        return stack->frames[i];
    }

  return NULL;
}

/* Sites are functions when the module names them (all the calls of one
 * function are one site), return addresses otherwise. */
static gpointer
site_key (gpointer frame)
{
  Dl_info info;

  if (frame != NULL && dladdr (frame, &info) != 0 && info.dli_sname != NULL)
    return info.dli_saddr;

  return frame;
}

static char *
describe_frame (gpointer frame)
{
  Dl_info info;
  const char *module;

  if (frame == NULL)
    return g_strdup ("an unknown site");

  if (dladdr (frame, &info) == 0 || info.dli_fname == NULL)
    return g_strdup_printf ("%p", frame);

  module = strrchr (info.dli_fname, '/');
  module = module ? module + 1 : info.dli_fname;

  if (info.dli_sname != NULL)
    return g_strdup_printf ("%s() (%s)", info.dli_sname, module);

  return g_strdup_printf ("%s+0x%" G_GSIZE_MODIFIER "x", module,
                          (gsize) ((guint8 *) frame - (guint8 *) info.dli_fbase));
}

typedef struct
{
  gpointer frame;
  guint64  count;
  guint64  bytes;
} Site;

static gint
site_compare (gconstpointer a,
              gconstpointer b)
{
  const Site *x = a, *y = b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  return 0;
}

char *
_nm_leak_sites_describe (NmLeakSites *self,
                         guint        max)
{
  g_autoptr(GHashTable) by_frame = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                                          NULL, g_free);
  g_autoptr(GArray) sites = g_array_new (FALSE, FALSE, sizeof (Site));
  GString *text;
  GHashTableIter iter;
  gpointer key, value;

  /* Stacks with the same caller frame are one site. */
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->stacks);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Stack *stack = key;
      gpointer frame;
      Site *site;

      if (stack->live_count == 0)
        continue;

      frame = site_of (stack);
      site = g_hash_table_lookup (by_frame, site_key (frame));
      if (site == NULL)
        {
          site = g_new0 (Site, 1);
          site->frame = frame;
          g_hash_table_insert (by_frame, site_key (frame), site);
        }
      site->count += stack->live_count;
      site->bytes += stack->live_bytes;
    }
  g_mutex_unlock (&self->lock);

  if (g_hash_table_size (by_frame) == 0)
    return NULL;

  g_hash_table_iter_init (&iter, by_frame);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_array_append_vals (sites, value, 1);
  g_array_sort (sites, site_compare);

  text = g_string_new ("Top allocation sites: ");
  for (guint i = 0; i < MIN (sites->len, max); i++)
    {
      Site *site = &g_array_index (sites, Site, i);
      g_autofree char *where = describe_frame (site->frame);
      g_autofree char *bytes = _nm_size_format_human (site->bytes);

      g_string_append_printf (text, "%s%s: %" G_GUINT64_FORMAT " %s (%s)",
                              i ? "; " : "", where, site->count,
                              site->count == 1 ? "allocation" : "allocations", bytes);
    }
  if (sites->len > max)
    g_string_append_printf (text, "; and %u more", sites->len - max);
  g_string_append_c (text, '.');

  return g_string_free (text, FALSE);
}
