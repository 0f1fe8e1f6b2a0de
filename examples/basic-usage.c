/* basic-usage.c: the three allocators, the typed helpers and scopes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One short tour: a bump arena for objects that die together, a pool for
 * many objects of one size, a stack for scratch memory in nested calls.
 * nm_new(), nm_new0(), nm_new_array() and nm_delete() allocate C types with
 * the right size and alignment from any of them; scopes release everything
 * allocated inside a C block when the block ends.
 */

#include <locale.h>
#include <string.h>

#include <nebula-memory/nebula-memory.h>

typedef struct
{
  double x, y;
} Point;

typedef struct
{
  guint   id;
  char    label[24];
} Item;

static guint failures;

static void
expect (gboolean    condition,
        const char *what)
{
  if (!condition)
    {
      g_printerr ("basic-usage: unexpected: %s\n", what);
      failures++;
    }
}

static guint64
bytes_used (gpointer allocator)
{
  guint64 used;

  g_object_get (allocator, "bytes-used", &used, NULL);
  return used;
}

/* A bump arena: allocate freely, release everything with one reset. */
static void
bump_tour (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new_full ("tour-arena", 16 * 1024, 0,
                                                                 FALSE, &error);
  Point *origin, *path;

  if (arena == NULL)
    g_error ("%s", error->message);

  origin = nm_new0 (arena, Point, &error);               /* zeroed, aligned for Point */
  path = nm_new_array (arena, Point, 100, &error);       /* 100 Points, overflow-checked */
  expect (origin != NULL && path != NULL, "bump allocations");
  expect (origin->x == 0.0 && origin->y == 0.0, "nm_new0 zeroes");
  expect (GPOINTER_TO_SIZE (path) % G_ALIGNOF (Point) == 0, "array aligned for Point");
  for (guint i = 0; i < 100; i++)
    path[i] = (Point) { i, 2.0 * i };

  {
    /* Scratch memory: released when the block ends, the arena's earlier
     * allocations stay. */
    g_auto(NmBumpScope) scope = nm_bump_allocator_begin_scope (arena);
    char *line = nm_bump_allocator_alloc (arena, 256, 1, &error);

    g_snprintf (line, 256, "last point %g,%g", path[99].x, path[99].y);
    g_print ("bump: %s\n", line);
  }

  g_print ("bump: %" G_GUINT64_FORMAT " bytes in use before reset\n", bytes_used (arena));
  nm_allocator_reset (NM_ALLOCATOR (arena));
  g_print ("bump: %" G_GUINT64_FORMAT " bytes in use after reset\n", bytes_used (arena));
  expect (bytes_used (arena) == 0, "reset frees everything");
}

/* A pool: blocks of one size, each given back on its own. */
static void
pool_tour (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) items = nm_pool_allocator_new (sizeof (Item), G_ALIGNOF (Item),
                                                            64, &error);
  Item *kept[10];

  if (items == NULL)
    g_error ("%s", error->message);

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      kept[i] = nm_new (items, Item, &error);           /* one block, typed */
      expect (kept[i] != NULL, "pool allocation");
      kept[i]->id = i;
      g_snprintf (kept[i]->label, sizeof kept[i]->label, "item-%u", i);
    }
  g_print ("pool: %" G_GUINT64_FORMAT " blocks in use, last is %s\n",
           nm_pool_allocator_get_blocks_in_use (items), kept[9]->label);

  /* Give back every other one; the blocks are reused by the next nm_new(). */
  for (guint i = 0; i < G_N_ELEMENTS (kept); i += 2)
    nm_delete (items, Item, kept[i]);
  g_print ("pool: %" G_GUINT64_FORMAT " blocks in use after five deletes\n",
           nm_pool_allocator_get_blocks_in_use (items));
  expect (nm_pool_allocator_get_blocks_in_use (items) == 5, "five blocks left");

  for (guint i = 1; i < G_N_ELEMENTS (kept); i += 2)
    nm_pool_allocator_free (items, kept[i]);             /* the direct entry point */
  expect (bytes_used (items) == 0, "pool empty again");
}

/* A stack: nested scratch memory, released in reverse order. */
static char *
join_words (NmStackAllocator  *scratch,
            const char *const *words,
            GError           **error)
{
  g_auto(NmStackScope) scope = nm_stack_allocator_begin_scope (scratch);
  gsize total = 1;
  char *buffer;

  for (guint i = 0; words[i] != NULL; i++)
    total += strlen (words[i]) + 1;

  if (!(buffer = nm_stack_allocator_alloc (scratch, total, 1, error)))
    return NULL;
  buffer[0] = '\0';
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (i > 0)
        strcat (buffer, " ");
      strcat (buffer, words[i]);
    }

  /* The scope pops the buffer on return: hand out a heap copy. */
  return g_strdup (buffer);
}

static void
stack_tour (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmStackAllocator) scratch = nm_stack_allocator_new (4096, &error);
  const char *words[] = { "scoped", "scratch", "memory", NULL };
  g_autofree char *sentence = NULL;
  guint64 *counters;

  if (scratch == NULL)
    g_error ("%s", error->message);

  counters = nm_new0_array (scratch, guint64, 8, &error);
  sentence = join_words (scratch, words, &error);
  expect (sentence != NULL && strcmp (sentence, "scoped scratch memory") == 0, "stack join");
  g_print ("stack: %s (depth %" G_GUINT64_FORMAT " after the scope)\n", sentence,
           nm_stack_allocator_get_depth (scratch));
  expect (nm_stack_allocator_get_depth (scratch) == 1, "only the counters remain");

  nm_delete_array (scratch, guint64, 8, counters);       /* the top: popped */
  expect (nm_stack_allocator_get_depth (scratch) == 0, "stack empty");
}

/* The same code through the interface, whatever the allocator. */
static void
interface_tour (void)
{
  g_autoptr(GError) error = NULL;
  NmAllocator *all[3];

  all[0] = NM_ALLOCATOR (nm_bump_allocator_new (4096, &error));
  all[1] = NM_ALLOCATOR (nm_pool_allocator_new (sizeof (Point), G_ALIGNOF (Point), 16, &error));
  all[2] = NM_ALLOCATOR (nm_stack_allocator_new (4096, &error));

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      Point *p = nm_new (all[i], Point, &error);

      expect (p != NULL && nm_allocator_owns (all[i], p), "interface allocation");
      p->x = i;
      g_print ("interface: %s owns its Point\n", G_OBJECT_TYPE_NAME (all[i]));
      nm_delete (all[i], Point, p);
      g_object_unref (all[i]);
    }
}

int
main (void)
{
  setlocale (LC_ALL, "");

  bump_tour ();
  pool_tour ();
  stack_tour ();
  interface_tour ();

  if (failures > 0)
    return 1;
  g_print ("OK\n");
  return 0;
}
