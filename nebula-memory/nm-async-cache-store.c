/* nm-async-cache-store.c: slots, records, eviction policy and expiry heap
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The store knows nothing of keys beyond their hash, their pointer and an
 * equality function; the cache owns keys and values and calls it under its
 * lock. Every operation is O(1) except the heap (O(log n) for entries with a
 * deadline) and the occasional growth of the index or the record array.
 *
 * Memory per entry: a slot of 32 bytes at a load factor of at most 6/7
 * (the index of a cache bounded by entries is sized for its capacity, so a
 * full cache sits at 6/7: 37.3 bytes), a record of 16, the ghost filter's
 * two bytes, and 4 bytes of heap for entries with a deadline: 55-60 bytes.
 *
 * The policy is SIEVE (Zhang et al., NSDI 2024) behind a small FIFO and a
 * ghost, the admission S3-FIFO (Yang et al., SOSP 2023) puts in front of
 * its main queue: keys seen once pass through the small queue and leave
 * without disturbing the main one, and keys evicted from it too early come
 * back straight into the main queue. A hit only sets a bit in the slot.
 * On Zipf(0.99) traces, with and without one-shot scans, it beats SIEVE,
 * S3-FIFO and LRU at 1 % and 10 % of the keys (see bench/bench-cache.c).
 *
 * Records live in one array with a free list rather than in an
 * NmPoolAllocator: the array is a pool of 16-byte blocks already, and
 * addressing them by 32-bit index keeps links, heap cells and the slot's
 * back reference at 4 bytes. Blocks of a pool are addressed by pointer,
 * which would make a record 24 bytes and a slot 40, some 14 bytes more per
 * entry for no gain in speed.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nm-async-cache-private.h"
#include "nm-backing-private.h"

#define MIN_SLOTS    16u
#define MIN_RECORDS  16u
#define SMALL_SHARE  32u   /* the small queue holds 1/32 of the capacity */

/* The record array asks for transparent huge pages too (the index is
 * mapped on them, see index_resize): glibc serves big arrays with mmap,
 * so only the aligned interior is advised. */
#define HUGE_PAGE      ((gsize) 2 << 20)
#define HUGE_THRESHOLD ((gsize) 4 << 20)

static void
advise_huge (gpointer mem,
             gsize    size)
{
#ifdef MADV_HUGEPAGE
  guintptr start = ((guintptr) mem + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  guintptr end = ((guintptr) mem + size) & ~(HUGE_PAGE - 1);

  if (size >= HUGE_THRESHOLD && end > start)
    madvise ((gpointer) start, end - start, MADV_HUGEPAGE);
#endif
}

/* ---- index ------------------------------------------------------------------ */

/* The most entries @n_slots slots hold: 6/7 of them. Linear probing then
 * keeps an entry (1 / (1 - 6/7) - 1) / 2 = 3 slots from its home on
 * average, mostly within the two lines prefetched before the lock. */
static inline guint32
slots_hold (guint32 n_slots)
{
  return (guint32) ((guint64) n_slots * 6 / 7);
}

static inline guint32
slot_next (const NmCacheStore *store,
           guint32             s)
{
  return s + 1 == store->n_slots ? 0 : s + 1;
}

static void
place (NmCacheStore      *store,
       const NmCacheSlot *from)
{
  guint32 s = _nm_cache_store_home (store, from->tag);

  while (store->slots[s].key != NULL)
    s = slot_next (store, s);
  store->slots[s] = *from;
  store->records[from->idx].slot = s;
}

static void
index_resize (NmCacheStore *store,
              guint32       n_slots)
{
  NmCacheSlot *old = store->slots;
  guint32 old_n = store->n_slots;

  /* Big indexes are mapped on whole huge pages (see nm-backing). */
  __atomic_store_n (&store->slots,
                    (NmCacheSlot *) _nm_backing_table_alloc ((gsize) n_slots * sizeof (NmCacheSlot)),
                    __ATOMIC_RELAXED);
  __atomic_store_n (&store->n_slots, n_slots, __ATOMIC_RELAXED);

  for (guint32 i = 0; i < old_n; i++)
    if (old[i].key != NULL)
      place (store, &old[i]);

  _nm_backing_table_free (old, (gsize) old_n * sizeof (NmCacheSlot));
}

/* Linear probing with backward-shift deletion: no tombstones, so lookups
 * never slow down with churn. */
static void
index_remove (NmCacheStore *store,
              guint32       s)
{
  guint32 n = store->n_slots;
  guint32 next;

  for (next = slot_next (store, s); store->slots[next].key != NULL; next = slot_next (store, next))
    {
      guint32 home = _nm_cache_store_home (store, store->slots[next].tag);

      /* Move the entry at @next into the hole at @s unless its home lies
       * cyclically in (s, next]. */
      if ((next + n - home) % n >= (next + n - s) % n)
        {
          store->slots[s] = store->slots[next];
          store->records[store->slots[s].idx].slot = s;
          s = next;
        }
    }

  memset (&store->slots[s], 0, sizeof store->slots[s]);
}

/* ---- ghost ------------------------------------------------------------------ */

static inline guint64
ghost_bit (guint32 tag,
           guint   i)
{
  static const guint64 mul[3] = {
    G_GUINT64_CONSTANT (0x9E3779B97F4A7C15),
    G_GUINT64_CONSTANT (0xC2B2AE3D27D4EB4F),
    G_GUINT64_CONSTANT (0x165667B19E3779F9),
  };

  return ((guint64) (tag & NM_CACHE_HASH_MASK) | 1) * mul[i];
}

static gboolean
ghost_contains (const NmCacheStore *store,
                guint32             tag)
{
  if (store->ghost[0] == NULL)
    return FALSE;

  for (guint f = 0; f < 2; f++)
    {
      guint i;

      for (i = 0; i < 3; i++)
        {
          guint64 b = ghost_bit (tag, i) >> store->ghost_shift;

          if (!(store->ghost[f][b / 64] & (G_GUINT64_CONSTANT (1) << (b % 64))))
            break;
        }
      if (i == 3)
        return TRUE;
    }

  return FALSE;
}

static void
ghost_free (NmCacheStore *store)
{
  g_clear_pointer (&store->ghost[0], g_free);
  g_clear_pointer (&store->ghost[1], g_free);
  store->ghost_added = 0;
}

/* Eight bits per remembered hash and three probes: about 3 % of other keys
 * pass for remembered, which only admits them to the main queue. */
static void
ghost_add (NmCacheStore *store,
           guint32       tag)
{
  guint32 window = 2 * MAX (store->n_used, 32u);
  guint32 half = window / 2;

  /* Sized for the cache as it is now: remade when it grew past twice the
   * window the filters were made for. */
  if (store->ghost[0] == NULL || window > 2 * store->ghost_window)
    {
      guint bits_log2 = g_bit_storage ((gsize) half * 8 - 1);
      gsize bytes = ((gsize) 1 << bits_log2) / 8;

      ghost_free (store);
      store->ghost[0] = g_malloc0 (MAX (bytes, 8));
      store->ghost[1] = g_malloc0 (MAX (bytes, 8));
      store->ghost_shift = 64 - bits_log2;
      store->ghost_window = window;
    }

  if (store->ghost_added >= store->ghost_window / 2)
    {
      guint64 *older = store->ghost[1];

      memset (older, 0, ((gsize) 1 << (64 - store->ghost_shift)) / 8);
      store->ghost[1] = store->ghost[0];
      store->ghost[0] = older;
      store->ghost_added = 0;
    }

  for (guint i = 0; i < 3; i++)
    {
      guint64 b = ghost_bit (tag, i) >> store->ghost_shift;

      store->ghost[0][b / 64] |= G_GUINT64_CONSTANT (1) << (b % 64);
    }
  store->ghost_added++;
}

/* ---- queues ----------------------------------------------------------------- */

static void
queue_push (NmCacheStore *store,
            guint32       idx,
            gboolean      main)
{
  NmCacheRecord *r = &store->records[idx];
  guint32 *head = main ? &store->main_head : &store->small_head;
  guint32 *tail = main ? &store->main_tail : &store->small_tail;
  NmCacheSlot *slot = &store->slots[r->slot];

  r->older = *head;
  r->newer = NM_CACHE_NIL;
  if (*head != NM_CACHE_NIL)
    store->records[*head].newer = idx;
  else
    *tail = idx;
  *head = idx;

  if (main)
    slot->tag |= NM_CACHE_MAIN;
  else
    {
      slot->tag &= ~NM_CACHE_MAIN;
      store->small_weight += _nm_cache_store_weight (store, idx);
    }
}

static void
queue_unlink (NmCacheStore *store,
              guint32       idx)
{
  NmCacheRecord *r = &store->records[idx];
  gboolean main = (store->slots[r->slot].tag & NM_CACHE_MAIN) != 0;
  guint32 *head = main ? &store->main_head : &store->small_head;
  guint32 *tail = main ? &store->main_tail : &store->small_tail;

  if (store->hand == idx)
    store->hand = r->newer;
  if (!main)
    store->small_weight -= _nm_cache_store_weight (store, idx);

  if (r->newer != NM_CACHE_NIL)
    store->records[r->newer].older = r->older;
  else
    *head = r->older;

  if (r->older != NM_CACHE_NIL)
    store->records[r->older].newer = r->newer;
  else
    *tail = r->newer;
}

/* ---- expiry heap -------------------------------------------------------------- */

static inline gint64
heap_key (const NmCacheStore *store,
          guint32             pos)
{
  return store->slots[store->records[store->heap[pos]].slot].expire_at;
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

  store->slots[r->slot].expire_at = expire_at;
  if (expire_at == G_MAXINT64)
    return;

  if (store->heap_len == store->heap_alloc)
    {
      guint32 n = MAX (16u, store->heap_alloc * 2);

      /* Never more deadlines than records. */
      if (store->alloc_limit != 0)
        n = MIN (n, MAX (store->alloc_limit, store->heap_alloc + 1));
      store->heap = g_renew (guint32, store->heap, n);
      store->heap_alloc = n;
    }

  r->heap_pos = store->heap_len;
  store->heap[store->heap_len++] = idx;
  heap_sift_up (store, r->heap_pos);
}

/* ---- side arrays ---------------------------------------------------------------- */

void
_nm_cache_store_set_weight (NmCacheStore *store,
                            guint32       idx,
                            guint32       weight)
{
  guint32 old = _nm_cache_store_weight (store, idx);

  if (weight == old)
    return;

  if (store->weights == NULL)
    {
      store->weights = g_new (guint32, store->n_alloc);
      for (guint32 i = 0; i < store->n_alloc; i++)
        store->weights[i] = 1;
    }

  store->weights[idx] = weight;
  store->weight += (guint64) weight - old;
  if (!(_nm_cache_store_slot (store, idx)->tag & NM_CACHE_MAIN))
    store->small_weight += (guint64) weight - old;
}

void
_nm_cache_store_set_refresh (NmCacheStore *store,
                             guint32       idx,
                             gint64        refresh_at)
{
  if (store->refresh_at == NULL)
    {
      if (refresh_at == G_MAXINT64)
        return;
      store->refresh_at = g_new (gint64, store->n_alloc);
      for (guint32 i = 0; i < store->n_alloc; i++)
        store->refresh_at[i] = G_MAXINT64;
    }

  store->refresh_at[idx] = refresh_at;
}

/* ---- store ---------------------------------------------------------------------- */

void
_nm_cache_store_init (NmCacheStore *store)
{
  guint64 small_target = store->small_target;
  guint32 alloc_limit = store->alloc_limit;

  memset (store, 0, sizeof *store);
  store->free_head = NM_CACHE_NIL;
  store->small_head = store->small_tail = NM_CACHE_NIL;
  store->main_head = store->main_tail = store->hand = NM_CACHE_NIL;
  store->small_target = MAX (small_target, 1);
  store->alloc_limit = alloc_limit;
}

static void
store_free_arrays (NmCacheStore *store)
{
  _nm_backing_table_free (store->slots, (gsize) store->n_slots * sizeof (NmCacheSlot));
  __atomic_store_n (&store->slots, NULL, __ATOMIC_RELAXED);
  __atomic_store_n (&store->n_slots, 0, __ATOMIC_RELAXED);
  g_clear_pointer (&store->records, g_free);
  g_clear_pointer (&store->heap, g_free);
  g_clear_pointer (&store->weights, g_free);
  g_clear_pointer (&store->refresh_at, g_free);
  ghost_free (store);
}

void
_nm_cache_store_clear (NmCacheStore *store)
{
  store_free_arrays (store);
  _nm_cache_store_init (store);
}

/* @capacity: in entries, or in weight with a weigher. */
void
_nm_cache_store_set_capacity (NmCacheStore *store,
                              guint64       capacity)
{
  store->alloc_limit = (guint32) MIN (capacity + 1, G_MAXUINT32);
  store->small_target = MAX (capacity / SMALL_SHARE, 1);
}

static void
records_grow (NmCacheStore *store)
{
  guint32 n = MAX (MIN_RECORDS, store->n_alloc * 2);

  /* A cache bounded by entries never holds more than its capacity
   * plus the one being added: do not grow past that. */
  if (store->alloc_limit != 0 && n > store->alloc_limit)
    n = MAX (store->alloc_limit, store->n_alloc + 1);
  g_assert (n > store->n_alloc);

  store->records = g_renew (NmCacheRecord, store->records, n);
  advise_huge (store->records, (gsize) n * sizeof (NmCacheRecord));
  if (store->weights != NULL)
    {
      store->weights = g_renew (guint32, store->weights, n);
      for (guint32 i = store->n_alloc; i < n; i++)
        store->weights[i] = 1;
    }
  if (store->refresh_at != NULL)
    {
      store->refresh_at = g_renew (gint64, store->refresh_at, n);
      for (guint32 i = store->n_alloc; i < n; i++)
        store->refresh_at[i] = G_MAXINT64;
    }
  for (guint32 i = n; i > store->n_alloc; i--)
    {
      store->records[i - 1].newer = store->free_head;
      store->free_head = i - 1;
    }
  store->n_alloc = n;
}

/* Adds an entry for @key (whose value the caller sets in the slot) and
 * returns its record. The caller made room first. */
guint32
_nm_cache_store_add (NmCacheStore *store,
                     guint32       hash,
                     gpointer      key)
{
  NmCacheSlot slot = { key, NULL, G_MAXINT64, _nm_cache_tag (hash), 0 };
  NmCacheRecord *r;
  guint32 idx;

  g_assert (key != NULL);

  if (store->free_head == NM_CACHE_NIL)
    records_grow (store);

  if (store->n_used + 1 > slots_hold (store->n_slots))
    {
      guint32 n = MAX (MIN_SLOTS, store->n_slots * 2);

      /* Sized for the capacity when that is the last growth. */
      if (store->alloc_limit != 0 && slots_hold (n) > store->alloc_limit)
        n = MAX ((guint32) MIN ((guint64) store->alloc_limit * 7 / 6 + 2, G_MAXUINT32 - 1),
                 store->n_slots + 2);
      index_resize (store, n & ~1u);
    }

  idx = store->free_head;
  r = &store->records[idx];
  store->free_head = r->newer;
  r->heap_pos = NM_CACHE_NIL;
  if (store->weights != NULL)
    store->weights[idx] = 1;
  if (store->refresh_at != NULL)
    store->refresh_at[idx] = G_MAXINT64;

  slot.idx = idx;
  place (store, &slot);
  store->n_used++;
  store->weight++;

  queue_push (store, idx, ghost_contains (store, slot.tag));

  return idx;
}

void
_nm_cache_store_remove (NmCacheStore *store,
                        guint32       idx)
{
  NmCacheRecord *r = &store->records[idx];

  queue_unlink (store, idx);
  if (r->heap_pos != NM_CACHE_NIL)
    heap_remove (store, idx);

  store->weight -= _nm_cache_store_weight (store, idx);
  store->n_used--;

  index_remove (store, r->slot);
  r->newer = store->free_head;
  store->free_head = idx;

  if (store->n_used == 0)
    {
      /* Give the memory back when the cache empties (clear, trim). */
      store_free_arrays (store);
      store->n_alloc = store->heap_alloc = 0;
      store->free_head = NM_CACHE_NIL;
      store->small_weight = 0;
      store->hand = NM_CACHE_NIL;
    }
}

/* Picks the entry to evict next; the caller removes it. Terminates: every
 * record the walks pass loses its visited bit. */
guint32
_nm_cache_store_victim (NmCacheStore *store)
{
  if (store->n_used == 0)
    return NM_CACHE_NIL;

  for (;;)
    {
      guint32 idx;
      NmCacheSlot *slot;

      if (store->small_tail != NM_CACHE_NIL &&
          (store->small_weight >= store->small_target || store->main_tail == NM_CACHE_NIL))
        {
          idx = store->small_tail;
          slot = _nm_cache_store_slot (store, idx);
          if (slot->tag & NM_CACHE_VISITED)
            {
              /* Hit while on probation: promoted. */
              queue_unlink (store, idx);
              slot->tag &= ~NM_CACHE_VISITED;
              queue_push (store, idx, TRUE);
              continue;
            }

          ghost_add (store, slot->tag);
          return idx;
        }

      idx = store->hand != NM_CACHE_NIL ? store->hand : store->main_tail;
      for (;;)
        {
          slot = _nm_cache_store_slot (store, idx);
          if (!(slot->tag & NM_CACHE_VISITED))
            break;
          slot->tag &= ~NM_CACHE_VISITED;
          idx = store->records[idx].newer;
          if (idx == NM_CACHE_NIL)
            idx = store->main_tail;
        }

      /* The hand stays where the victim was; unlinking moves it on. */
      store->hand = idx;
      return idx;
    }
}

gsize
_nm_cache_store_bytes (const NmCacheStore *store)
{
  gsize ghost = store->ghost[0] != NULL ? 2 * (((gsize) 1 << (64 - store->ghost_shift)) / 8) : 0;

  return (gsize) store->n_alloc * sizeof (NmCacheRecord) +
         (gsize) store->n_slots * sizeof (NmCacheSlot) +
         (gsize) store->heap_alloc * sizeof (guint32) +
         (store->weights != NULL ? (gsize) store->n_alloc * sizeof (guint32) : 0) +
         (store->refresh_at != NULL ? (gsize) store->n_alloc * sizeof (gint64) : 0) +
         ghost;
}
