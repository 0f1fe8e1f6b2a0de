/* error-handling.c: failures that a program survives
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An allocator that cannot serve a request returns NULL and a GError that
 * says what was asked, how full the allocator is and what to change; it
 * also emits NmAllocator::allocation-failed, so monitoring can count
 * failures without touching the code that allocates. This program shows
 * four ways to live with that:
 *
 * 1. reading the rich error: domain, code, message;
 * 2. graceful degradation: fall back to g_malloc() and free by ownership;
 * 3. recovery after exhaustion: the allocator keeps working after a failure;
 * 4. a fallback chain: a small pool first, then an arena, then the heap.
 */

#include <locale.h>
#include <string.h>

#include <nebula-memory/nebula-memory.h>

static guint failures;

static void
expect (gboolean    condition,
        const char *what)
{
  if (!condition)
    {
      g_printerr ("error-handling: unexpected: %s\n", what);
      failures++;
    }
}

/* 1. What a failure tells you. */
static void
on_allocation_failed (NmAllocator  *allocator,
                      const GError *error,
                      gpointer      user_data)
{
  guint *count = user_data;

  /* Runs in the failing thread, whether or not the caller asked for the
   * GError: a good place for a counter or a rate-limited log line. */
  (*count)++;
}

static void
read_the_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new_full ("small-arena", 1024, 0,
                                                                 FALSE, &error);
  g_autofree char *code = NULL;
  guint signalled = 0;
  gpointer mem;

  g_signal_connect (arena, "allocation-failed", G_CALLBACK (on_allocation_failed), &signalled);

  mem = nm_bump_allocator_alloc (arena, 4096, 16, &error);
  expect (mem == NULL, "a request larger than the arena fails");

  code = g_enum_to_string (NM_TYPE_ALLOCATOR_ERROR, error->code);
  g_print ("1. domain: %s\n", g_quark_to_string (error->domain));
  g_print ("1. code: %s\n", code);
  g_print ("1. message: %s\n", error->message);
  g_print ("1. allocation-failed emitted %u time(s)\n", signalled);
  expect (g_error_matches (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY),
          "OUT_OF_MEMORY");
  g_clear_error (&error);

  /* A layout that no allocator can serve is a different code. */
  mem = nm_allocator_alloc (NM_ALLOCATOR (arena), 16, 3, &error);
  code = (g_free (code), g_enum_to_string (NM_TYPE_ALLOCATOR_ERROR, error->code));
  g_print ("1. alignment 3: %s\n", code);
  expect (mem == NULL && error->code == NM_ALLOCATOR_ERROR_INVALID_LAYOUT, "INVALID_LAYOUT");
}

/* 2. Graceful degradation: the allocator first, the heap when it is full.
 * nm_allocator_owns() tells at free time where a block came from. */
static gpointer
alloc_or_malloc (NmAllocator *allocator,
                 gsize        size)
{
  g_autoptr(GError) error = NULL;
  gpointer mem = nm_allocator_alloc (allocator, size, 16, &error);

  if (mem != NULL)
    return mem;

  /* Only a full allocator is worth degrading for; a bad layout is a bug. */
  if (!g_error_matches (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY) &&
      !g_error_matches (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED))
    g_error ("%s", error->message);

  return g_malloc (size);
}

static void
free_either (NmAllocator *allocator,
             gpointer     mem,
             gsize        size)
{
  if (nm_allocator_owns (allocator, mem))
    nm_allocator_free (allocator, mem, size, 16);
  else
    g_free (mem);
}

static void
degrade_to_malloc (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new (128, 16, 4, &error);
  gpointer blocks[10];
  guint from_pool = 0;

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      blocks[i] = alloc_or_malloc (NM_ALLOCATOR (pool), 128);
      memset (blocks[i], (int) i, 128);
      from_pool += nm_allocator_owns (NM_ALLOCATOR (pool), blocks[i]);
    }
  g_print ("2. %u blocks from the pool, %u from g_malloc()\n",
           from_pool, (guint) G_N_ELEMENTS (blocks) - from_pool);
  expect (from_pool == 4, "four from the pool");

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    free_either (NM_ALLOCATOR (pool), blocks[i], 128);
  g_print ("2. pool blocks in use after freeing: %" G_GUINT64_FORMAT "\n",
           nm_pool_allocator_get_blocks_in_use (pool));
}

/* 3. After a failure the allocator is unchanged and keeps working. */
static void
recover (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool = nm_pool_allocator_new (64, 8, 2, &error);
  g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (1024, &error);
  g_autoptr(NmAllocatorStats) stats = NULL;
  g_autofree char *code = NULL;
  gpointer a, b, c;

  a = nm_pool_allocator_alloc (pool, &error);
  b = nm_pool_allocator_alloc (pool, &error);
  c = nm_pool_allocator_alloc (pool, &error);
  expect (a && b && c == NULL, "the third block fails");
  code = g_enum_to_string (NM_TYPE_ALLOCATOR_ERROR, error->code);
  g_print ("3. pool full: %s\n", code);
  g_clear_error (&error);

  nm_pool_allocator_free (pool, a);                     /* make room ... */
  c = nm_pool_allocator_alloc (pool, &error);           /* ... and it works again */
  g_print ("3. after one free: %s\n", c != NULL ? "allocated" : error->message);
  expect (c != NULL, "recovered pool");
  nm_pool_allocator_free (pool, b);
  nm_pool_allocator_free (pool, c);

  /* An arena recovers with a reset. */
  while (nm_bump_allocator_alloc (arena, 100, 8, &error) != NULL)
    ;
  g_clear_error (&error);
  nm_allocator_reset (NM_ALLOCATOR (arena));
  expect (nm_bump_allocator_alloc (arena, 100, 8, &error) != NULL, "recovered arena");

  stats = nm_allocator_get_stats (NM_ALLOCATOR (pool));
  g_print ("3. pool statistics: %" G_GUINT64_FORMAT " allocations, %" G_GUINT64_FORMAT
           " failed\n", stats->allocation_count, stats->failed_count);
}

/* 4. A fallback chain: try each allocator in order, the heap last. */
typedef struct
{
  NmAllocator *links[4];
  guint        n_links;
  guint        served[5];   /* per link, the heap last */
} Chain;

static gpointer
chain_alloc (Chain *chain,
             gsize  size)
{
  for (guint i = 0; i < chain->n_links; i++)
    {
      /* No GError wanted here: a refusal just means "try the next one". */
      gpointer mem = nm_allocator_alloc (chain->links[i], size, 8, NULL);

      if (mem != NULL)
        {
          chain->served[i]++;
          return mem;
        }
    }

  chain->served[chain->n_links]++;
  return g_malloc (size);
}

static void
chain_free (Chain   *chain,
            gpointer mem,
            gsize    size)
{
  for (guint i = 0; i < chain->n_links; i++)
    if (nm_allocator_owns (chain->links[i], mem))
      {
        nm_allocator_free (chain->links[i], mem, size, 8);
        return;
      }
  g_free (mem);
}

static void
fallback_chain (void)
{
  g_autoptr(GError) error = NULL;
  Chain chain = { 0 };
  gpointer mem[40];
  gsize sizes[40];

  chain.links[chain.n_links++] = NM_ALLOCATOR (nm_pool_allocator_new_full ("small-objects", 32,
                                                                           8, 8, 0, FALSE,
                                                                           &error));
  chain.links[chain.n_links++] = NM_ALLOCATOR (nm_bump_allocator_new_full ("overflow-arena",
                                                                           2048, 0, FALSE,
                                                                           &error));

  for (guint i = 0; i < G_N_ELEMENTS (mem); i++)
    {
      sizes[i] = (i % 4 == 3) ? 200 : 24;   /* mostly small, some larger */
      mem[i] = chain_alloc (&chain, sizes[i]);
      memset (mem[i], 0x5a, sizes[i]);
    }
  g_print ("4. served by small-objects: %u, overflow-arena: %u, g_malloc: %u\n",
           chain.served[0], chain.served[1], chain.served[2]);
  expect (chain.served[0] == 8, "the pool serves its eight blocks");
  expect (chain.served[0] + chain.served[1] + chain.served[2] == G_N_ELEMENTS (mem),
          "every request served");

  for (guint i = 0; i < G_N_ELEMENTS (mem); i++)
    chain_free (&chain, mem[i], sizes[i]);

  for (guint i = 0; i < chain.n_links; i++)
    g_object_unref (chain.links[i]);
}

int
main (void)
{
  setlocale (LC_ALL, "");

  read_the_error ();
  degrade_to_malloc ();
  recover ();
  fallback_chain ();

  if (failures > 0)
    return 1;
  g_print ("OK\n");
  return 0;
}
