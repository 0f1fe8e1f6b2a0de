/* nm-async-cache-store.c: records, hash index, SIEVE queue and expiry heap
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The store knows nothing of keys beyond their hash and an equality
 * function; the cache owns keys and values and calls it under its lock.
 * Every operation is O(1) except the heap (O(log n) for entries with a
 * deadline) and the occasional doubling of the index or the record array.
 *
 * The policy is SIEVE (Zhang et al., NSDI 2024): one FIFO queue and one
 * visited bit per entry. A hit only sets the bit (no list surgery, so hits
 * stay cheap under the lock); eviction moves a hand from the tail towards
 * the head, clearing bits, and evicts the first record not visited. Unlike
 * CLOCK, survivors stay in place, so new records that are never hit again
 * (one-shot scans) are evicted before older popular ones.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nm-async-cache-private.h"

#define MIN_SLOTS   16u
#define MIN_RECORDS 16u

/* Big arrays ask for transparent huge pages: a hit follows two dependent
 * loads (slot, then record) at random places, and with 4 KiB pages each
 * one is also a TLB miss, whose page walk costs as much again (more in a
 * virtual machine). Freed with g_free() like the others. */
#define HUGE_PAGE      ((gsize) 2 << 20)
#define HUGE_THRESHOLD ((gsize) 4 << 20)

static gpointer
array_alloc (gsize    size,
             gboolean zero)
{
#ifdef MADV_HUGEPAGE
  if (size >= HUGE_THRESHOLD)
    {
      void *mem = NULL;

      if (posix_memalign (&mem, HUGE_PAGE, size) == 0)
        {
          madvise (mem, size, MADV_HUGEPAGE);
          if (zero)
            memset (mem, 0, size);
          return mem;
        }
    }
#endif

  return zero ? g_malloc0 (size) : g_malloc (size);
}

/* Fibonacci hashing: the user's hash may have poor low bits (pointers,
 * small integers); the high bits of the product are well mixed. */
static inline guint32
slot_of (const NmCacheStore *store,
         guint32             hash)
{
  return (guint32) ((hash * 0x9E3779B1u) >> store->slot_shift);
}

void
_nm_cache_store_init (NmCacheStore *store)
{
  memset (store, 0, sizeof *store);
  store->free_head = NM_CACHE_NIL;
  store->head = store->tail = store->hand = NM_CACHE_NIL;
}

void
_nm_cache_store_clear (NmCacheStore *store)
{
  g_free (store->records);
  g_free (store->slots);
  g_free (store->heap);
  _nm_cache_store_init (store);
}

static void
index_resize (NmCacheStore *store,
              guint32       n_slots)
{
  guint32 *old = store->slots;
  guint32 old_n = store->n_slots;

  store->slots = array_alloc ((gsize) n_slots * sizeof (guint32), TRUE);
  store->n_slots = n_slots;
  store->slot_shift = 32 - g_bit_nth_msf (n_slots, -1);

  for (guint32 i = 0; i < old_n; i++)
    {
      guint32 s;

      if (old[i] == 0)
        continue;

      s = slot_of (store, store->records[old[i] - 1].hash);
      while (store->slots[s] != 0)
        s = (s + 1) & (n_slots - 1);
      store->slots[s] = old[i];
    }

  g_free (old);
}

guint32
_nm_cache_store_find (NmCacheStore *store,
                      gconstpointer key,
                      guint32       hash,
                      GEqualFunc    equal)
{
  guint32 s, v;

  if (store->n_slots == 0)
    return NM_CACHE_NIL;

  for (s = slot_of (store, hash); (v = store->slots[s]) != 0; s = (s + 1) & (store->n_slots - 1))
    {
      const NmCacheRecord *r = &store->records[v - 1];

      if (r->hash == hash && equal (r->key, key))
        return v - 1;
    }

  return NM_CACHE_NIL;
}

static void
index_insert (NmCacheStore *store,
              guint32       idx)
{
  guint32 s;

  /* Keep the load factor at most 3/4. */
  if ((store->n_used + 1) * 4 > store->n_slots * 3)
    index_resize (store, MAX (MIN_SLOTS, store->n_slots * 2));

  s = slot_of (store, store->records[idx].hash);
  while (store->slots[s] != 0)
    s = (s + 1) & (store->n_slots - 1);
  store->slots[s] = idx + 1;
}

/* Linear probing with backward-shift deletion: no tombstones, so lookups
 * never slow down with churn. */
static void
index_remove (NmCacheStore *store,
              guint32       idx)
{
  guint32 mask = store->n_slots - 1;
  guint32 s = slot_of (store, store->records[idx].hash);
  guint32 next;

  while (store->slots[s] != idx + 1)
    s = (s + 1) & mask;

  for (next = (s + 1) & mask; store->slots[next] != 0; next = (next + 1) & mask)
    {
      guint32 home = slot_of (store, store->records[store->slots[next] - 1].hash);

      /* Move the entry at @next into the hole at @s unless its home lies
       * cyclically in (s, next]. */
      if (((next - home) & mask) >= ((next - s) & mask))
        {
          store->slots[s] = store->slots[next];
          s = next;
        }
    }

  store->slots[s] = 0;
}

static void
queue_unlink (NmCacheStore *store,
              guint32       idx)
{
  NmCacheRecord *r = &store->records[idx];

  if (store->hand == idx)
    store->hand = r->newer;

  if (r->newer != NM_CACHE_NIL)
    store->records[r->newer].older = r->older;
  else
    store->head = r->older;

  if (r->older != NM_CACHE_NIL)
    store->records[r->older].newer = r->newer;
  else
    store->tail = r->newer;
}

static void
heap_swap (NmCacheStore *store,
           guint32       a,
           guint32       b)
{
  guint32 ra = store->heap[a];
  guint32 rb = store->heap[b];

  store->heap[a] = rb;
  store->heap[b] = ra;
  store->records[rb].heap_pos = a;
  store->records[ra].heap_pos = b;
}

static inline gint64
heap_key (const NmCacheStore *store,
          guint32             pos)
{
  return store->records[store->heap[pos]].expire_at;
}

static void
heap_sift_up (NmCacheStore *store,
              guint32       pos)
{
  while (pos > 0)
    {
      guint32 parent = (pos - 1) / 2;

      if (heap_key (store, parent) <= heap_key (store, pos))
        break;
      heap_swap (store, parent, pos);
      pos = parent;
    }
}

static void
heap_sift_down (NmCacheStore *store,
                guint32       pos)
{
  for (;;)
    {
      guint32 l = 2 * pos + 1;
      guint32 r = l + 1;
      guint32 min = pos;

      if (l < store->heap_len && heap_key (store, l) < heap_key (store, min))
        min = l;
      if (r < store->heap_len && heap_key (store, r) < heap_key (store, min))
        min = r;
      if (min == pos)
        break;
      heap_swap (store, pos, min);
      pos = min;
    }
}

static void
heap_remove (NmCacheStore *store,
             guint32       idx)
{
  guint32 pos = store->records[idx].heap_pos;
  guint32 last = --store->heap_len;

  store->records[idx].heap_pos = NM_CACHE_NIL;
  if (pos == last)
    return;

  store->heap[pos] = store->heap[last];
  store->records[store->heap[pos]].heap_pos = pos;
  heap_sift_down (store, pos);
  heap_sift_up (store, pos);
}

void
_nm_cache_store_set_deadline (NmCacheStore *store,
                              guint32       idx,
                              gint64        expire_at)
{
  NmCacheRecord *r = &store->records[idx];

  if (r->heap_pos != NM_CACHE_NIL)
    heap_remove (store, idx);

  r->expire_at = expire_at;
  if (expire_at == G_MAXINT64)
    return;

  if (store->heap_len == store->heap_alloc)
    {
      store->heap_alloc = MAX (16u, store->heap_alloc * 2);
      store->heap = g_renew (guint32, store->heap, store->heap_alloc);
    }

  r->heap_pos = store->heap_len;
  store->heap[store->heap_len++] = idx;
  heap_sift_up (store, r->heap_pos);
}

guint32
_nm_cache_store_add (NmCacheStore *store,
                     guint32       hash)
{
  NmCacheRecord *r;
  guint32 idx;

  if (store->free_head == NM_CACHE_NIL)
    {
      guint32 n = MAX (MIN_RECORDS, store->n_alloc * 2);

      /* A cache bounded by entries never holds more than its capacity
       * plus the one being added: do not double past that. */
      if (store->alloc_limit != 0 && n > store->alloc_limit)
        n = MAX (store->alloc_limit, store->n_alloc + 1);
      g_assert (n > store->n_alloc);

      if ((gsize) n * sizeof (NmCacheRecord) >= HUGE_THRESHOLD)
        {
          NmCacheRecord *records = array_alloc ((gsize) n * sizeof (NmCacheRecord), FALSE);

          memcpy (records, store->records, (gsize) store->n_alloc * sizeof (NmCacheRecord));
          g_free (store->records);
          store->records = records;
        }
      else
        store->records = g_renew (NmCacheRecord, store->records, n);
      for (guint32 i = n; i > store->n_alloc; i--)
        {
          store->records[i - 1].newer = store->free_head;
          store->free_head = i - 1;
        }
      store->n_alloc = n;
    }

  idx = store->free_head;
  r = &store->records[idx];
  store->free_head = r->newer;

  memset (r, 0, sizeof *r);
  r->hash = hash;
  r->expire_at = G_MAXINT64;
  r->refresh_at = G_MAXINT64;
  r->heap_pos = NM_CACHE_NIL;

  index_insert (store, idx);
  store->n_used++;

  r->older = store->head;
  r->newer = NM_CACHE_NIL;
  if (store->head != NM_CACHE_NIL)
    store->records[store->head].newer = idx;
  else
    store->tail = idx;
  store->head = idx;

  return idx;
}

void
_nm_cache_store_remove (NmCacheStore *store,
                        guint32       idx)
{
  NmCacheRecord *r = &store->records[idx];

  index_remove (store, idx);
  queue_unlink (store, idx);
  if (r->heap_pos != NM_CACHE_NIL)
    heap_remove (store, idx);

  store->weight -= r->weight;
  store->n_used--;

  memset (r, 0, sizeof *r);
  r->newer = store->free_head;
  store->free_head = idx;

  if (store->n_used == 0)
    {
      /* Give the memory back when the cache empties (clear, trim). */
      g_clear_pointer (&store->slots, g_free);
      g_clear_pointer (&store->heap, g_free);
      g_clear_pointer (&store->records, g_free);
      store->n_slots = store->n_alloc = store->heap_alloc = 0;
      store->free_head = NM_CACHE_NIL;
    }
}

guint32
_nm_cache_store_victim (NmCacheStore *store)
{
  guint32 hand = store->hand;

  if (store->n_used == 0)
    return NM_CACHE_NIL;

  /* Terminates: the walk clears bits, so a second pass finds one. */
  for (;;)
    {
      NmCacheRecord *r;

      if (hand == NM_CACHE_NIL)
        hand = store->tail;

      r = &store->records[hand];
      if (!r->visited)
        break;

      r->visited = FALSE;
      hand = r->newer;
    }

  /* The hand stays where the victim was; unlinking moves it on. */
  store->hand = hand;
  return hand;
}

gsize
_nm_cache_store_bytes (const NmCacheStore *store)
{
  return (gsize) store->n_alloc * sizeof (NmCacheRecord) +
         (gsize) store->n_slots * sizeof (guint32) +
         (gsize) store->heap_alloc * sizeof (guint32);
}
