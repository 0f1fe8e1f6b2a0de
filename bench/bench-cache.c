/* bench-cache.c: NmAsyncCache speed, memory and hit ratios
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Four tables (BenchExtra, see bench.h), each in the JSON too:
 *  1. cache-sync-hit: a synchronous hit with 1 M entries, uniform and
 *     Zipf(0.99) keys, against a GHashTable behind a GMutex, in interleaved
 *     rounds (order alternating), each round's time the median of batches;
 *  2. cache-async-hit: a hit through nm_async_cache_get_or_compute_async ()
 *     and the main loop, request to callback, against the synchronous lookup
 *     of the same keys;
 *  3. cache-hit-ratio-*: hit ratios of exact LRU, SIEVE and S3-FIFO (move
 *     to main after 1 hit, as in the paper, and after 2, libCacheSim's
 *     default) reference simulators, of NmAsyncCache itself and of Belady's
 *     optimum (offline),
 *     on Zipf(0.99) and on Zipf mixed with one-shot scans, at 1 % and 10 %
 *     of the keys;
 *  4. cache-memory: bytes per entry, from malloc's own accounting.
 *
 * --quick runs every part at a tiny size and checks it: every lookup of a
 * present key hits, every callback comes with its value, no policy beats
 * Belady's optimum; it claims no timings. Times are thread CPU time.
 */

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include <nebula-memory/nebula-memory.h>


#include "bench.h"

/* Trace sizes; --quick divides them (see set_sizes). */
static guint N_KEYS = 100000u;
static guint TRACE_LEN = 2000000u;
static guint SCAN_EVERY = 20000u;   /* requests between scans */
static guint SCAN_LEN = 4000u;      /* one-shot keys per scan */

/* Thread CPU time: this machine's cores are shared, and wall-clock batches
 * would count the time the benchmark spent descheduled. */
static inline guint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + (guint64) ts.tv_nsec;
}

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *v,
        guint   n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- traces --------------------------------------------------------------- */

typedef struct
{
  double *cdf;
  guint   n;
} Zipf;

static void
zipf_init (Zipf  *z,
           guint  n,
           double s)
{
  double sum = 0;

  z->n = n;
  z->cdf = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      sum += 1.0 / pow (i + 1, s);
      z->cdf[i] = sum;
    }
  for (guint i = 0; i < n; i++)
    z->cdf[i] /= sum;
}

static guint
zipf_next (Zipf  *z,
           GRand *rand)
{
  double u = g_rand_double (rand);
  guint lo = 0, hi = z->n - 1;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (z->cdf[mid] < u)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Keys are 0 … universe-1; scan keys start at N_KEYS and never repeat. The
 * popular ranks are scattered over the key space by a fixed permutation. */
typedef struct
{
  guint32 *keys;
  guint    len;
  guint    universe;
} Trace;

static void
trace_make (Trace   *t,
            gboolean scans,
            guint32  seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint32 *perm = g_new (guint32, N_KEYS);
  guint next_scan_key = N_KEYS;
  Zipf z;

  zipf_init (&z, N_KEYS, 0.99);
  for (guint i = 0; i < N_KEYS; i++)
    perm[i] = i;
  for (guint i = N_KEYS - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (rand, 0, i + 1);
      guint32 tmp = perm[i];

      perm[i] = perm[j];
      perm[j] = tmp;
    }

  t->keys = g_new (guint32, TRACE_LEN);
  t->len = 0;
  while (t->len < TRACE_LEN)
    {
      if (scans && t->len % SCAN_EVERY == SCAN_EVERY - 1)
        for (guint i = 0; i < SCAN_LEN && t->len < TRACE_LEN; i++)
          t->keys[t->len++] = next_scan_key++;
      else
        t->keys[t->len++] = perm[zipf_next (&z, rand)];
    }
  t->universe = next_scan_key;

  g_free (perm);
  g_free (z.cdf);
}

/* ---- reference policies ------------------------------------------------------ */

#define NIL G_MAXUINT32

/* Doubly linked FIFO/LRU list over key indices. */
typedef struct
{
  guint32 *prev, *next;
  guint32  head, tail;   /* head = newest */
  guint    len;
} List;

static void
list_init (List *l, guint universe)
{
  l->prev = g_new (guint32, universe);
  l->next = g_new (guint32, universe);
  l->head = l->tail = NIL;
  l->len = 0;
}

static void
list_clear (List *l)
{
  g_free (l->prev);
  g_free (l->next);
}

static void
list_push_head (List *l, guint32 k)
{
  l->prev[k] = NIL;
  l->next[k] = l->head;
  if (l->head != NIL)
    l->prev[l->head] = k;
  else
    l->tail = k;
  l->head = k;
  l->len++;
}

static void
list_unlink (List *l, guint32 k)
{
  if (l->prev[k] != NIL) l->next[l->prev[k]] = l->next[k]; else l->head = l->next[k];
  if (l->next[k] != NIL) l->prev[l->next[k]] = l->prev[k]; else l->tail = l->prev[k];
  l->len--;
}

static double
sim_lru (const Trace *t, guint cap)
{
  guint8 *in = g_new0 (guint8, t->universe);
  guint64 hits = 0;
  List l;

  list_init (&l, t->universe);
  for (guint i = 0; i < t->len; i++)
    {
      guint32 k = t->keys[i];

      if (in[k])
        {
          hits++;
          list_unlink (&l, k);
          list_push_head (&l, k);
          continue;
        }
      if (l.len == cap)
        {
          in[l.tail] = 0;
          list_unlink (&l, l.tail);
        }
      in[k] = 1;
      list_push_head (&l, k);
    }
  list_clear (&l);
  g_free (in);
  return (double) hits / t->len;
}

static double
sim_sieve (const Trace *t, guint cap)
{
  guint8 *in = g_new0 (guint8, t->universe);
  guint8 *visited = g_new0 (guint8, t->universe);
  guint32 hand = NIL;
  guint64 hits = 0;
  List l;

  list_init (&l, t->universe);
  for (guint i = 0; i < t->len; i++)
    {
      guint32 k = t->keys[i];

      if (in[k])
        {
          hits++;
          visited[k] = 1;
          continue;
        }
      if (l.len == cap)
        {
          guint32 h = hand != NIL ? hand : l.tail;

          while (visited[h])
            {
              visited[h] = 0;
              h = l.prev[h] != NIL ? l.prev[h] : l.tail;
            }
          hand = l.prev[h];
          in[h] = 0;
          list_unlink (&l, h);
        }
      in[k] = 1;
      visited[k] = 0;
      list_push_head (&l, k);
    }
  list_clear (&l);
  g_free (in);
  g_free (visited);
  return (double) hits / t->len;
}

/* S3-FIFO (Yang et al., SOSP 2023; libCacheSim's S3FIFO): a small FIFO of
 * 10 % and a main FIFO; the ghost remembers the keys evicted from the small
 * FIFO, as many as the main FIFO holds, and forgets a key when it returns.
 * Hits count up to 3. The small FIFO's tail moves to the main FIFO when it
 * was hit at least @threshold times (1 in the paper, 2 in libCacheSim's
 * current default), the main FIFO reinserts its tail while its count is
 * above 0, counting down. */
static double
sim_s3fifo (const Trace *t, guint cap, guint threshold)
{
  enum { OUT, SMALL, MAIN };
  guint8 *where = g_new0 (guint8, t->universe);
  guint8 *freq = g_new0 (guint8, t->universe);
  guint32 *ghost_seq = g_new0 (guint32, t->universe);   /* 0: not in the ghost */
  guint small_cap = MAX (1, cap / 10);
  guint main_cap = cap - small_cap;
  guint32 ghost_count = 0;
  guint64 hits = 0;
  List s, m;

  list_init (&s, t->universe);
  list_init (&m, t->universe);

  for (guint i = 0; i < t->len; i++)
    {
      guint32 k = t->keys[i];
      gboolean in_ghost;

      if (where[k] != OUT)
        {
          hits++;
          if (freq[k] < 3)
            freq[k]++;
          continue;
        }

      in_ghost = ghost_seq[k] != 0 && ghost_count - ghost_seq[k] < main_cap;
      ghost_seq[k] = 0;

      /* Evict until there is room. */
      while (s.len + m.len >= cap)
        {
          if (s.len >= small_cap || m.len == 0)
            {
              guint32 v = s.tail;

              list_unlink (&s, v);
              if (freq[v] >= threshold)
                {
                  freq[v] = 0;
                  where[v] = MAIN;
                  list_push_head (&m, v);
                  /* main may now be over: the loop goes on */
                }
              else
                {
                  where[v] = OUT;
                  ghost_seq[v] = ++ghost_count;
                }
            }
          else
            {
              guint32 v = m.tail;

              list_unlink (&m, v);
              if (freq[v] > 0)
                {
                  freq[v]--;
                  list_push_head (&m, v);
                }
              else
                where[v] = OUT;
            }
        }

      freq[k] = 0;
      if (in_ghost)
        {
          where[k] = MAIN;
          list_push_head (&m, k);
        }
      else
        {
          where[k] = SMALL;
          list_push_head (&s, k);
        }
    }

  list_clear (&s);
  list_clear (&m);
  g_free (where);
  g_free (freq);
  g_free (ghost_seq);
  return (double) hits / t->len;
}

/* Belady's MIN: evict the key whose next use is farthest. A max-heap of
 * (next use, key) with stale entries skipped. */
typedef struct { guint32 next_use, key; } HeapItem;

static void
heap_push (GArray *h, HeapItem it)
{
  HeapItem *a;
  guint i;

  g_array_append_val (h, it);
  a = (HeapItem *) h->data;
  for (i = h->len - 1; i > 0 && a[(i - 1) / 2].next_use < a[i].next_use; i = (i - 1) / 2)
    {
      HeapItem tmp = a[i];

      a[i] = a[(i - 1) / 2];
      a[(i - 1) / 2] = tmp;
    }
}

static HeapItem
heap_pop (GArray *h)
{
  HeapItem *a = (HeapItem *) h->data;
  HeapItem top = a[0];
  guint i = 0;

  a[0] = a[h->len - 1];
  g_array_set_size (h, h->len - 1);
  a = (HeapItem *) h->data;
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      HeapItem tmp;

      if (l < h->len && a[l].next_use > a[m].next_use) m = l;
      if (r < h->len && a[r].next_use > a[m].next_use) m = r;
      if (m == i)
        break;
      tmp = a[i];
      a[i] = a[m];
      a[m] = tmp;
      i = m;
    }
  return top;
}

static double
sim_belady (const Trace *t, guint cap)
{
  guint32 *next_use = g_new (guint32, t->len);
  guint32 *last = g_new (guint32, t->universe);
  guint32 *cur_next = g_new (guint32, t->universe);
  guint8 *in = g_new0 (guint8, t->universe);
  GArray *heap = g_array_sized_new (FALSE, FALSE, sizeof (HeapItem), cap * 2);
  guint64 hits = 0;
  guint size = 0;

  for (guint k = 0; k < t->universe; k++)
    last[k] = G_MAXUINT32;
  for (guint i = t->len; i-- > 0;)
    {
      next_use[i] = last[t->keys[i]];
      last[t->keys[i]] = i;
    }

  for (guint i = 0; i < t->len; i++)
    {
      guint32 k = t->keys[i];

      if (in[k])
        hits++;
      else
        {
          /* A key never used again is not worth caching. */
          if (next_use[i] == G_MAXUINT32)
            continue;
          while (size == cap)
            {
              HeapItem it = heap_pop (heap);

              if (in[it.key] && cur_next[it.key] == it.next_use)
                {
                  in[it.key] = 0;
                  size--;
                }
            }
          in[k] = 1;
          size++;
        }
      cur_next[k] = next_use[i];
      heap_push (heap, (HeapItem) { next_use[i], k });
      if (heap->len > 8 * (gsize) cap + 1024)
        {
          /* Rebuild without stale entries. */
          GArray *fresh = g_array_sized_new (FALSE, FALSE, sizeof (HeapItem), cap * 2);

          for (guint j = 0; j < heap->len; j++)
            {
              HeapItem it = g_array_index (heap, HeapItem, j);

              if (in[it.key] && cur_next[it.key] == it.next_use)
                heap_push (fresh, it);
            }
          g_array_unref (heap);
          heap = fresh;
        }
    }

  g_array_unref (heap);
  g_free (next_use);
  g_free (last);
  g_free (cur_next);
  g_free (in);
  return (double) hits / t->len;
}

static double
run_cache (const Trace *t,
           guint        cap,
           guint64     *errors)
{
  /* Keys are small integers + 1 (never NULL); values are static. */
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                           NULL, NULL, NULL, NULL, cap);
  static const char value[] = "v";
  guint64 hits = 0;

  for (guint i = 0; i < t->len; i++)
    {
      gpointer key = GUINT_TO_POINTER (t->keys[i] + 1);
      gconstpointer found = nm_async_cache_lookup (cache, key);

      if (found != NULL)
        {
          hits++;
          *errors += found != value;
        }
      else
        nm_async_cache_insert (cache, key, value);
    }
  return (double) hits / t->len;
}

static void
hit_ratios (GPtrArray *extras)
{
  static const char * const names[] = { "zipf", "zipf-scans" };
  static const char * const policies[] = { "LRU", "SIEVE", "S3-FIFO", "S3-FIFO, threshold 2",
                                            "NmAsyncCache", "Belady" };
  enum { CACHE = 4, BELADY = 5 };

  for (guint s = 0; s < 2; s++)
    {
      Trace t;

      trace_make (&t, s == 1, 42 + s);
      for (guint c = 0; c < 2; c++)
        {
          guint cap = c == 0 ? N_KEYS / 100 : N_KEYS / 10;
          g_autofree char *id = g_strdup_printf ("cache-hit-ratio-%s-%u", names[s], c == 0 ? 1 : 10);
          g_autofree char *title = g_strdup_printf ("Cache hit ratio, %s, capacity %u %% of the keys",
                                                    s == 0 ? "Zipf(0.99)" : "Zipf(0.99) with one-shot scans",
                                                    c == 0 ? 1 : 10);
          g_autofree char *what = g_strdup_printf ("%u keys, %u requests%s; capacity %u entries. "
                                                   "LRU, SIEVE and S3-FIFO are exact reference simulators, "
                                                   "Belady the offline optimum. Hits in %% of requests.",
                                                   N_KEYS, TRACE_LEN,
                                                   s == 0 ? "" : ", one-shot scans",
                                                   cap);
          BenchExtra *e = bench_extra_new (id, "hit-ratio", "% of requests", title, what);
          double v[G_N_ELEMENTS (policies)];
          guint64 errors = 0;

          bench_progress ("cache: hit ratios, %s, %u entries", names[s], cap);
          v[0] = sim_lru (&t, cap);
          v[1] = sim_sieve (&t, cap);
          v[2] = sim_s3fifo (&t, cap, 1);
          v[3] = sim_s3fifo (&t, cap, 2);
          v[CACHE] = run_cache (&t, cap, &errors);
          v[BELADY] = sim_belady (&t, cap);
          for (guint p = 0; p < G_N_ELEMENTS (policies); p++)
            {
              BenchExtraRow *row = bench_extra_add_row (e, policies[p], 0);

              row->value = 100 * v[p];
              row->ops = t.len;
              /* Belady's is the optimum: a policy above it is a broken
               * simulator (or a broken cache). */
              row->errors = (p == CACHE ? errors : 0) + (v[p] > v[BELADY] + 1e-9) + (v[p] <= 0 || v[p] >= 1);
            }
          g_ptr_array_add (extras, e);
        }
      g_free (t.keys);
    }
}

/* ---- latency -------------------------------------------------------------------- */

static guint N_ENTRIES = 1u << 20;
static guint BATCH = 1000u;
static guint N_BATCHES = 2000u;

static double
time_cache_batches (NmAsyncCache  *cache,
                    const guint32 *keys,
                    double        *samples,
                    guint64       *errors)
{
  guint64 found = 0;

  for (guint b = 0; b < N_BATCHES; b++)
    {
      const guint32 *k = keys + (gsize) b * BATCH;
      guint64 t0 = now_ns ();

      for (guint i = 0; i < BATCH; i++)
        found += nm_async_cache_lookup (cache, GUINT_TO_POINTER (k[i] + 1)) != NULL;
      samples[b] = (double) (now_ns () - t0) / BATCH;
    }
  *errors += (guint64) N_BATCHES * BATCH - found;
  return median (samples, N_BATCHES);
}

static double
time_table_batches (GHashTable    *table,
                    GMutex        *mutex,
                    const guint32 *keys,
                    double        *samples,
                    guint64       *errors)
{
  guint64 found = 0;

  for (guint b = 0; b < N_BATCHES; b++)
    {
      const guint32 *k = keys + (gsize) b * BATCH;
      guint64 t0 = now_ns ();

      for (guint i = 0; i < BATCH; i++)
        {
          g_mutex_lock (mutex);
          found += g_hash_table_lookup (table, GUINT_TO_POINTER (k[i] + 1)) != NULL;
          g_mutex_unlock (mutex);
        }
      samples[b] = (double) (now_ns () - t0) / BATCH;
    }
  *errors += (guint64) N_BATCHES * BATCH - found;
  return median (samples, N_BATCHES);
}

/* The floor: one random 64-byte line read per lookup in a table as big as
 * the cache's index (its slots at the full load factor of 6/7), on huge
 * pages where the system gives them, each address depending on the value
 * read before it. A lookup between a lock and an unlock cannot start its
 * line before the previous lookup has ended, so this is the least any
 * index of that size can cost per hit on this machine: the memory latency
 * and nothing else. */
typedef struct
{
  guint8 *mem;
  guint8 *lines;
  gsize   map_size;
  guint32 n_lines;
} FloorTable;

#define FLOOR_HUGE ((gsize) 2 << 20)

static void
floor_init (FloorTable *f,
            guint       n_entries)
{
  gsize size = ((gsize) n_entries * 7 / 6 + 2) * 32;

  size = (size + 63) & ~(gsize) 63;
  f->map_size = size + FLOOR_HUGE;
  f->mem = mmap (NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  g_assert (f->mem != MAP_FAILED);
  f->lines = (guint8 *) (((guintptr) f->mem + FLOOR_HUGE - 1) & ~(guintptr) (FLOOR_HUGE - 1));
#ifdef MADV_HUGEPAGE
  madvise (f->lines, size, MADV_HUGEPAGE);
#endif
  memset (f->lines, 0, size);   /* zeros: the chain below adds nothing */
  f->n_lines = (guint32) (size / 64);
}

static double
time_floor_batches (const FloorTable *f,
                    const guint32    *keys,
                    double           *samples)
{
  guint64 chain = 0;

  for (guint b = 0; b < N_BATCHES; b++)
    {
      const guint32 *k = keys + (gsize) b * BATCH;
      guint64 t0 = now_ns ();

      for (guint i = 0; i < BATCH; i++)
        {
          /* The key scaled to the table, so Zipf keys keep their skew. */
          guint32 line = (guint32) (((guint64) ((k[i] ^ (guint32) chain) * 2654435761u) * f->n_lines) >> 32);

          chain = *(volatile const guint64 *) (f->lines + (gsize) line * 64);
        }
      samples[b] = (double) (now_ns () - t0) / BATCH;
    }
  return median (samples, N_BATCHES);
}

static void
sync_hits (GPtrArray *extras,
           guint      rounds)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                           NULL, NULL, NULL, NULL, N_ENTRIES);
  g_autoptr(GHashTable) table = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree guint32 *uniform = g_new (guint32, N_BATCHES * BATCH);
  g_autofree guint32 *skewed = g_new (guint32, N_BATCHES * BATCH);
  g_autofree double *samples = g_new (double, N_BATCHES);
  static const char value[] = "v";
  g_autofree char *what = g_strdup_printf ("%u entries; nm_async_cache_lookup against g_hash_table_lookup "
                                           "between g_mutex_lock and _unlock; uniform keys, or Zipf(0.99) "
                                           "ranks scattered over the keys. A round's time is the median "
                                           "of %u batches of %u lookups (thread CPU time); the "
                                           "candidates take turns first. The floor: one random 64-byte "
                                           "line read per key in a table the size of the cache's index, "
                                           "on huge pages, each read's address depending on the one "
                                           "before (lookups under a lock cannot overlap), the memory "
                                           "latency alone. ns per lookup.",
                                           N_ENTRIES, N_BATCHES, BATCH);
  BenchExtra *e[2];
  GMutex mutex;
  FloorTable floor_table;
  Zipf z;

  e[0] = bench_extra_new ("cache-sync-hit-uniform", "time", "lookup",
                          "Cache: synchronous hit, uniform keys", what);
  e[1] = bench_extra_new ("cache-sync-hit-zipf", "time", "lookup",
                          "Cache: synchronous hit, Zipf(0.99) keys", what);
  for (guint k = 0; k < 2; k++)
    {
      bench_extra_add_row (e[k], "GHashTable + GMutex", rounds);
      bench_extra_add_row (e[k], "NmAsyncCache", rounds);
      bench_extra_add_row (e[k], "floor: one dependent line read", rounds);
    }
  floor_init (&floor_table, N_ENTRIES);

  bench_progress ("cache: filling %u entries", N_ENTRIES);
  g_mutex_init (&mutex);
  for (guint i = 0; i < N_ENTRIES; i++)
    {
      nm_async_cache_insert (cache, GUINT_TO_POINTER (i + 1), value);
      g_hash_table_insert (table, GUINT_TO_POINTER (i + 1), (gpointer) value);
    }

  zipf_init (&z, N_ENTRIES, 0.99);
  for (guint i = 0; i < N_BATCHES * BATCH; i++)
    {
      uniform[i] = g_rand_int_range (rand, 0, N_ENTRIES);
      /* Scatter the popular ranks so they do not share cache lines. */
      skewed[i] = (guint32) (((guint64) zipf_next (&z, rand) * 2654435761u) % N_ENTRIES);
    }

  /* Warm-up, untimed in the results. */
  {
    guint64 errors = 0;

    time_cache_batches (cache, uniform, samples, &errors);
    time_table_batches (table, &mutex, uniform, samples, &errors);
    time_floor_batches (&floor_table, uniform, samples);
  }

  for (guint r = 0; r < rounds; r++)
    for (guint k = 0; k < 2; k++)
      {
        const guint32 *keys = k == 0 ? uniform : skewed;
        BenchExtraRow *rows = (BenchExtraRow *) e[k]->rows->data;

        bench_progress ("cache: synchronous hits, round %u/%u", r + 1, rounds);
        /* Interleaved: every candidate in every round, order rotating. */
        for (guint j = 0; j < 3; j++)
          {
            guint which = (j + r) % 3;

            if (which == 0)
              rows[0].ns[r] = time_table_batches (table, &mutex, keys, samples, &rows[0].errors);
            else if (which == 1)
              rows[1].ns[r] = time_cache_batches (cache, keys, samples, &rows[1].errors);
            else
              rows[2].ns[r] = time_floor_batches (&floor_table, keys, samples);
            rows[which].ops = (guint64) N_BATCHES * BATCH;
          }
      }

  for (guint k = 0; k < 2; k++)
    {
      bench_extra_ratios (e[k]);
      g_ptr_array_add (extras, e[k]);
    }
  g_mutex_clear (&mutex);
  munmap (floor_table.mem, floor_table.map_size);
  g_free (z.cdf);
}

/* ---- async hit ------------------------------------------------------------------ */

typedef struct
{
  guint         done;
  guint64       wrong;
  gconstpointer value;
} AsyncCount;

static void
count_done (GObject      *source,
            GAsyncResult *res,
            gpointer      data)
{
  AsyncCount *count = data;
  gconstpointer value = nm_async_cache_get_or_compute_finish (NM_ASYNC_CACHE (source), res, NULL);

  count->wrong += value != count->value;
  count->done++;
}

static void
never_load (NmAsyncCache  *cache,
            gconstpointer  key,
            GTask         *task,
            gpointer       data)
{
  g_assert_not_reached ();
}

#define ASYNC_KEYS   1024u
#define ASYNC_FLIGHT 100u

static void
async_hits (GPtrArray *extras,
            guint      rounds)
{
  g_autoptr(NmAsyncCache) cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                           NULL, NULL, NULL, NULL, ASYNC_KEYS);
  static const char value[] = "v";
  guint n = bench_options.quick ? 1000 : 100000;
  BenchExtra *e = bench_extra_new ("cache-async-hit", "time", "request",
                                   "Cache: asynchronous hit through the main loop",
                                   "1024 entries, all present; nm_async_cache_get_or_compute_async () "
                                   "in flights of 100 and g_main_context_iteration () until their "
                                   "callbacks ran (request to callback), against nm_async_cache_lookup "
                                   "of the same keys. ns per request.");
  BenchExtraRow *rows;

  bench_extra_add_row (e, "NmAsyncCache lookup", rounds);
  bench_extra_add_row (e, "NmAsyncCache get_or_compute_async", rounds);
  rows = (BenchExtraRow *) e->rows->data;

  for (guint i = 0; i < ASYNC_KEYS; i++)
    nm_async_cache_insert (cache, GUINT_TO_POINTER (i + 1), value);

  for (guint r = 0; r < rounds; r++)
    {
      AsyncCount count = { 0, 0, value };
      guint64 found = 0, t0;

      bench_progress ("cache: asynchronous hits, round %u/%u", r + 1, rounds);
      t0 = now_ns ();
      for (guint i = 0; i < n; i += ASYNC_FLIGHT)
        {
          for (guint j = 0; j < ASYNC_FLIGHT; j++)
            nm_async_cache_get_or_compute_async (cache, GUINT_TO_POINTER ((i + j) % ASYNC_KEYS + 1),
                                                 never_load, NULL, NULL, NULL, count_done, &count);
          while (count.done < i + ASYNC_FLIGHT)
            g_main_context_iteration (NULL, TRUE);
        }
      rows[1].ns[r] = (double) (now_ns () - t0) / n;
      rows[1].ops = n;
      rows[1].errors += count.wrong + (n - count.done);

      t0 = now_ns ();
      for (guint i = 0; i < n; i++)
        found += nm_async_cache_lookup (cache, GUINT_TO_POINTER (i % ASYNC_KEYS + 1)) == value;
      rows[0].ns[r] = (double) (now_ns () - t0) / n;
      rows[0].ops = n;
      rows[0].errors += n - found;
    }

  bench_extra_ratios (e);
  g_ptr_array_add (extras, e);
}

/* ---- memory --------------------------------------------------------------------- */

/* Bytes of anonymous mappings (no file, not the brk heap): malloc's big
 * blocks and whatever the library maps itself, such as a big cache index
 * on huge pages, which mallinfo2 cannot see. */
static gint64
anonymous_mapped (void)
{
  g_autofree char *maps = NULL;
  gint64 total = 0;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return 0;
  for (char *line = maps; line != NULL && *line != '\0'; )
    {
      char *next = strchr (line, '\n');
      unsigned long start, end, inode;
      int path_at = 0;

      if (next != NULL)
        *next++ = '\0';
      if (sscanf (line, "%lx-%lx %*s %*s %*s %lu %n", &start, &end, &inode, &path_at) >= 3 &&
          inode == 0 && (path_at == 0 || line[path_at] == '\0'))
        total += (gint64) (end - start);
      line = next;
    }
  return total;
}

static void
memory_per_entry (GPtrArray *extras)
{
  static const char value[] = "v";
  guint sizes[] = { 1000, 100000, 1u << 20 };
  BenchExtra *e = bench_extra_new ("cache-memory", "memory", "bytes per entry",
                                   "Cache: memory per entry",
                                   "Bytes in use from malloc's heap (mallinfo2 uordblks) plus the "
                                   "anonymous mappings the process gained (malloc's big blocks, and "
                                   "a big index, mapped on huge pages) for a cache "
                                   "of capacity N after 2 N distinct keys (so full, and with the "
                                   "ghost filter its evictions made), divided by N; keys and values are inline integers "
                                   "and a static pointer, so everything counted is the cache's own. "
                                   "Bounded by entries, and with a TTL (one more timestamp per entry).");

  if (bench_options.quick)
    sizes[1] = 2000, sizes[2] = 4000;

  /* What the first cache of a process pays once (the class, its
   * properties and signals, GLib's own tables) is not per entry. */
  {
    NmAsyncCache *cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal,
                                                   NULL, NULL, NULL, NULL, 16);

    g_object_set (cache, "ttl", (gint64) 3600 * G_USEC_PER_SEC, NULL);
    for (guint i = 0; i < 32; i++)
      nm_async_cache_insert (cache, GUINT_TO_POINTER (i + 1), value);
    g_object_unref (cache);
  }

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint ttl = 0; ttl < 2; ttl++)
      {
        g_autofree char *label = g_strdup_printf ("%u entries%s", sizes[s], ttl ? ", TTL" : "");
        BenchExtraRow *row = bench_extra_add_row (e, label, 0);
        struct mallinfo2 before, after;
        gint64 mapped_before, mapped_after;
        NmAsyncCache *cache;
        guint found = 0;

        bench_progress ("cache: memory, %s", label);
        malloc_trim (0);
        before = mallinfo2 ();
        mapped_before = anonymous_mapped ();
        cache = nm_async_cache_new_full (g_direct_hash, g_direct_equal, NULL, NULL, NULL, NULL,
                                         sizes[s]);
        if (ttl)
          g_object_set (cache, "ttl", (gint64) 3600 * G_USEC_PER_SEC, NULL);
        /* Twice as many keys as fit: the policy's ghost filter, made by
         * evictions, is counted too. */
        for (guint i = 0; i < 2 * sizes[s]; i++)
          nm_async_cache_insert (cache, GUINT_TO_POINTER (i + 1), value);
        after = mallinfo2 ();
        mapped_after = anonymous_mapped ();
        for (guint i = 0; i < 2 * sizes[s]; i++)
          found += nm_async_cache_lookup (cache, GUINT_TO_POINTER (i + 1)) == value;
        row->value = (double) ((gint64) after.uordblks - (gint64) before.uordblks +
                               mapped_after - mapped_before) / sizes[s];
        row->ops = sizes[s];
        row->errors = sizes[s] - found + (row->value <= 0);
        g_object_unref (cache);
      }
  g_ptr_array_add (extras, e);
}

void
bench_cache_run (GPtrArray *extras)
{
  guint rounds = bench_options.quick ? 1 : MAX (bench_options.runs, 5);

  if (bench_options.quick)
    {
      /* Tiny, so every part runs and is checked in well under a second. */
      N_KEYS = 2000;
      TRACE_LEN = 40000;
      SCAN_EVERY = 2000;
      SCAN_LEN = 80;
      N_ENTRIES = 4096;
      BATCH = 100;
      N_BATCHES = 20;
    }
  memory_per_entry (extras);
  sync_hits (extras, rounds);
  async_hits (extras, rounds);
  hit_ratios (extras);
  bench_progress_end ();
}
