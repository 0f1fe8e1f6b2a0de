/* allocator-comparison.c: one workload on every allocator, with statistics
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The workload is what a message parser does per message: allocate a few
 * hundred small records, use them, drop them all. Each allocator gives the
 * memory back in its own way: the bump arena and the stack with one reset,
 * the pool block by block, g_malloc() with one g_free() each. The
 * statistics show what each allocator saw; the times are only indicative
 * (for figures, run the benchmark: ./scripts/bench.sh).
 */

#include <locale.h>

#include <nebula-memory/nebula-memory.h>

#define N_MESSAGES        200
#define RECORDS_PER_MSG   300

typedef struct
{
  guint64 key;
  guint32 length;
  guint32 flags;
  double  weight;
  char    tag[16];
} Record;   /* 40 bytes */

typedef struct
{
  const char  *label;
  NmAllocator *allocator;      /* NULL for g_malloc() */
  gboolean     reset_per_msg;  /* bump and stack: one reset per message */
} Candidate;

/* Fills the records and returns a checksum, so the work cannot be skipped. */
static guint64
use_records (Record **records,
             guint    n)
{
  guint64 sum = 0;

  for (guint i = 0; i < n; i++)
    {
      records[i]->key = i * 2654435761u;
      records[i]->length = i;
      records[i]->flags = i & 7;
      records[i]->weight = i / 3.0;
      records[i]->tag[0] = 'r';
      sum += records[i]->key ^ records[i]->length;
    }

  return sum;
}

static gboolean
run_workload (Candidate *c,
              guint64   *checksum,
              GError   **error)
{
  Record *records[RECORDS_PER_MSG];

  for (guint m = 0; m < N_MESSAGES; m++)
    {
      for (guint i = 0; i < RECORDS_PER_MSG; i++)
        {
          records[i] = c->allocator != NULL ? nm_new (c->allocator, Record, error)
                                            : g_new (Record, 1);
          if (records[i] == NULL)
            return FALSE;
        }

      *checksum += use_records (records, RECORDS_PER_MSG);

      if (c->allocator == NULL)
        for (guint i = 0; i < RECORDS_PER_MSG; i++)
          g_free (records[i]);
      else if (c->reset_per_msg)
        nm_allocator_reset (c->allocator);
      else
        for (guint i = 0; i < RECORDS_PER_MSG; i++)
          nm_delete (c->allocator, Record, records[i]);
    }

  return TRUE;
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  gsize arena_size = RECORDS_PER_MSG * sizeof (Record) * 2;
  Candidate candidates[] = {
    { "bump", NM_ALLOCATOR (nm_bump_allocator_new_full ("cmp-bump", arena_size, 0, FALSE,
                                                        &error)), TRUE },
    { "pool", NM_ALLOCATOR (nm_pool_allocator_new_full ("cmp-pool", sizeof (Record),
                                                        G_ALIGNOF (Record), RECORDS_PER_MSG,
                                                        0, FALSE, &error)), FALSE },
    { "stack", NM_ALLOCATOR (nm_stack_allocator_new_full ("cmp-stack", arena_size, &error)),
      TRUE },
    { "g_malloc", NULL, FALSE },
  };
  guint64 reference = 0;
  int status = 0;

  setlocale (LC_ALL, "");
  if (error != NULL)
    g_error ("%s", error->message);

  g_print ("%u messages of %u records of %" G_GSIZE_FORMAT " bytes\n",
           N_MESSAGES, RECORDS_PER_MSG, sizeof (Record));

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      Candidate *c = &candidates[i];
      guint64 checksum = 0;
      gint64 start = g_get_monotonic_time ();

      if (!run_workload (c, &checksum, &error))
        {
          g_printerr ("%s: %s\n", c->label, error->message);
          return 1;
        }
      g_print ("%-8s %6.2f ms (indicative)\n", c->label,
               (g_get_monotonic_time () - start) / 1000.0);

      if (i == 0)
        reference = checksum;
      else if (checksum != reference)
        status = 1;

      if (c->allocator != NULL)
        {
          g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (c->allocator);
          g_autofree char *text = nm_allocator_stats_to_string (stats);

          g_print ("%-8s %s\n", c->label, text);
          g_print ("%-8s allocations=%" G_GUINT64_FORMAT " peak=%" G_GUINT64_FORMAT
                   " resets=%" G_GUINT64_FORMAT " frees=%" G_GUINT64_FORMAT "\n",
                   c->label, stats->allocation_count, stats->bytes_peak,
                   stats->reset_count, stats->free_count);
          if (stats->allocation_count != (guint64) N_MESSAGES * RECORDS_PER_MSG ||
              stats->bytes_used != 0 || stats->failed_count != 0)
            status = 1;
          g_object_unref (c->allocator);
        }
    }

  if (status == 0)
    g_print ("OK\n");
  return status;
}
