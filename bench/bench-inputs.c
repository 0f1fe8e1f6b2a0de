/* bench-inputs.c: what every candidate is given, the same for all
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <sys/mman.h>

#include "bench.h"

/* The harness's own large arrays come straight from mmap, so that they
 * leave no trace in glibc's heap (freeing an 8 MiB malloc block would
 * raise glibc's dynamic mmap threshold for every later scenario). */
gpointer
bench_harness_alloc (gsize size)
{
  void *mem = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (mem == MAP_FAILED)
    g_error ("nm-bench: cannot map %" G_GSIZE_FORMAT " bytes for its own arrays", size);
  return mem;
}

void
bench_harness_free (gpointer mem,
                    gsize    size)
{
  munmap (mem, size);
}

/* Inputs shared by every candidate: fixed seeds, so every run of the
 * program, and every candidate in it, sees the same sequences. */

static guint32 sizes_64[BENCH_N_SIZES];
static guint32 sizes_mixed[BENCH_N_SIZES];
static guint32 random_words[BENCH_N_SIZES];
static guint32 *order;
static guint order_n;

static guint64
next_random (guint64 *state)
{
  /* splitmix64 */
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void
bench_params_init (BenchParams  *params,
                   BenchSizeMix  mix,
                   guint         n_threads)
{
  if (order_n != bench_options.n_live)
    {
      guint64 state = 42;

      for (guint i = 0; i < BENCH_N_SIZES; i++)
        {
          sizes_64[i] = 64;
          /* 16 to 512 bytes in steps of 8, uniform */
          sizes_mixed[i] = 16 + 8 * (guint32) (next_random (&state) % 63);
          random_words[i] = (guint32) next_random (&state);
        }

      if (order != NULL)
        bench_harness_free (order, order_n * sizeof (guint32));
      order_n = bench_options.n_live;
      order = bench_harness_alloc (order_n * sizeof (guint32));
      for (guint i = 0; i < order_n; i++)
        order[i] = i;
      for (guint i = order_n - 1; i > 0; i--)
        {
          guint j = (guint) (next_random (&state) % (i + 1));
          guint32 t = order[i];

          order[i] = order[j];
          order[j] = t;
        }
    }

  params->mix = mix;
  params->sizes = mix == BENCH_SIZES_64 ? sizes_64 : sizes_mixed;
  params->random = random_words;
  params->order = order;
  params->n_live = order_n;
  params->n_threads = n_threads;
}
