/* nm-backing.c: acquiring and releasing backing memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sys/mman.h>

#include "nm-backing-private.h"
#include "nm-sanitizer-private.h"

/* Large blocks are mapped rather than taken from malloc (which maps them
 * too): a size the system refuses is then NULL, also under
 * AddressSanitizer, whose malloc aborts on requests it cannot serve. */
#define HEAP_MAP_THRESHOLD (1024 * 1024)

static gpointer
heap_get (gsize total)
{
  void *mem;

  if (total < HEAP_MAP_THRESHOLD)
    return g_try_malloc (total);

  mem = mmap (NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return mem == MAP_FAILED ? NULL : mem;
}

static void
heap_put (gpointer mem,
          gsize    total)
{
  if (total < HEAP_MAP_THRESHOLD)
    g_free (mem);
  else
    munmap (mem, total);
}

#define TABLE_HUGE_PAGE ((gsize) 2 << 20)
#define TABLE_HUGE_MIN  ((gsize) 4 << 20)

static inline gboolean
table_mapped (gsize size)
{
  return size >= TABLE_HUGE_MIN;
}

gpointer
_nm_backing_table_alloc (gsize size)
{
  if (table_mapped (size))
    {
      gsize map_size = (size + TABLE_HUGE_PAGE - 1) & ~(TABLE_HUGE_PAGE - 1);
      guint8 *mem = mmap (NULL, map_size + TABLE_HUGE_PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      if (mem != MAP_FAILED)
        {
          guint8 *start = (guint8 *) (((guintptr) mem + TABLE_HUGE_PAGE - 1) &
                                      ~(guintptr) (TABLE_HUGE_PAGE - 1));
          gsize head = (gsize) (start - mem);

          /* Keep the aligned part only: whole huge pages, none split. */
          if (head > 0)
            munmap (mem, head);
          if (TABLE_HUGE_PAGE - head > 0)
            munmap (start + map_size, TABLE_HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
          madvise (start, map_size, MADV_HUGEPAGE);   /* a hint: refused is fine */
#endif
          return start;
        }
      g_error ("%s: failed to allocate %" G_GSIZE_FORMAT " bytes", G_STRLOC, size);
    }

  /* Mapped memory is zero; so must this be. */
  return memset (g_aligned_alloc (1, MAX (size, 1), 64), 0, MAX (size, 1));
}

void
_nm_backing_table_free (gpointer mem,
                        gsize    size)
{
  if (mem == NULL)
    return;
  /* The size says which it was: a table that size is always mapped. */
  if (table_mapped (size))
    munmap (mem, (size + TABLE_HUGE_PAGE - 1) & ~(TABLE_HUGE_PAGE - 1));
  else
    g_aligned_free (mem);
}

static void
account (NmAllocatorCommon *common,
         gint64             delta)
{
  guint64 before = __atomic_fetch_add (&common->backing_bytes, (guint64) delta, __ATOMIC_RELAXED);

  /* More memory for an allocator that had some: it grew because it was
   * full, a high-water sample of its own. */
  if (delta > 0 && before != 0)
    _nm_allocator_note_growth (common);
}

/* Budget refusals are recorded in the allocator's common part under this
 * lock: they are rare, and several threads of a thread-safe allocator may
 * be refused at once. */
G_LOCK_DEFINE_STATIC (refusal);

static void NM_COLD
record_refusal (NmAllocatorCommon *common,
                NmMemoryBudget    *refused_by,
                guint64            bytes,
                gboolean           per_request)
{
  _nm_counter_inc (&common->n_budget_refusals);
  G_LOCK (refusal);
  common->refusal.thread = g_thread_self ();
  _nm_memory_budget_describe_refusal (refused_by, bytes, per_request, &common->refusal.what);
  G_UNLOCK (refusal);
}

/* Charges @bytes to @common's budget, if any; on refusal records it. */
static inline gboolean
charge (NmAllocatorCommon *common,
        guint64            bytes)
{
  NmMemoryBudget *refused_by;

  if (common->budget == NULL || bytes == 0)
    return TRUE;

  if (G_LIKELY (_nm_memory_budget_try_charge (common->budget, bytes, &refused_by)))
    return TRUE;

  record_refusal (common, refused_by, bytes, FALSE);
  return FALSE;
}

static inline void
uncharge (NmAllocatorCommon *common,
          guint64            bytes)
{
  if (common->budget != NULL && bytes != 0)
    _nm_memory_budget_uncharge (common->budget, bytes);
}

void
_nm_backing_set_budget (NmAllocatorCommon *common,
                        NmMemoryBudget    *budget)
{
  if (common->budget == budget)
    return;

  if (common->budget != NULL)
    {
      uncharge (common, _nm_backing_bytes (common));
      _nm_memory_budget_detach (common->budget, &common->name);
      g_clear_object (&common->budget);
      common->max_request = 0;
    }

  if (budget != NULL)
    {
      /* The budget's use holds exactly the backing bytes taken since it was
       * set: the allocators apply their configuration before taking any. */
      if (_nm_backing_bytes (common) != 0)
        {
          g_critical ("%s “%s” already holds backing memory; it is not attached to "
                      "memory budget “%s”. Apply the configuration before taking memory.",
                      common->label, common->name, nm_memory_budget_get_path (budget));
          return;
        }

      common->budget = g_object_ref (budget);
      common->max_request = _nm_memory_budget_get_request_cap (budget, NULL);
      _nm_memory_budget_attach (budget, &common->name, &common->backing_bytes);
    }
}

gboolean
_nm_backing_refuse_request (NmAllocatorCommon *common,
                            gsize              size)
{
  NmMemoryBudget *owner = NULL;

  _nm_memory_budget_get_request_cap (common->budget, &owner);
  _nm_memory_budget_count_refusal (owner);
  record_refusal (common, owner, size, TRUE);

  return FALSE;
}

gpointer
_nm_backing_alloc (NmAllocatorCommon *common,
                   gsize              header,
                   gsize              usable)
{
  guint8 *mem;
  gsize total;

  if (!g_size_checked_add (&total, header, usable))
    return NULL;

  /* Charged before the memory is taken, so the budget's limit holds for
   * what the process really has. */
  if (!charge (common, usable))
    return NULL;

  mem = heap_get (total);
  if (mem == NULL)
    {
      uncharge (common, usable);
      return NULL;
    }

  if (common->sanitize)
    {
      nm_sanitizer_pool_create (mem);
      nm_sanitizer_poison (mem + header, usable);
    }
  account (common, (gint64) usable);

  return mem;
}

void
_nm_backing_free (NmAllocatorCommon *common,
                  gpointer           mem,
                  gsize              header,
                  gsize              usable)
{
  if (mem == NULL)
    return;

  if (common->sanitize)
    {
      nm_sanitizer_pool_destroy (mem);
      nm_sanitizer_unpoison ((guint8 *) mem + header, usable);
    }
  account (common, -(gint64) usable);
  heap_put (mem, header + usable);
  uncharge (common, usable);
}

static gsize page_floor (gsize value);
static gsize page_ceil (gsize value);

gsize
_nm_backing_discard (NmAllocatorCommon *common,
                     gpointer           from,
                     gpointer           to)
{
  guintptr start = page_ceil ((guintptr) from);
  guintptr end = page_floor ((guintptr) to);
  gsize n_pages, resident = 0;
  g_autofree guchar *in_core = NULL;

  if (end <= start)
    return 0;

  /* What was resident is what the system gets back. */
  n_pages = (end - start) / nm_page_size;
  in_core = g_malloc (n_pages);
  if (mincore ((void *) start, end - start, in_core) == 0)
    for (gsize i = 0; i < n_pages; i++)
      resident += in_core[i] & 1;

  if (madvise ((void *) start, end - start, MADV_DONTNEED) != 0)
    return 0;

  return resident * nm_page_size;
}

gpointer
_nm_backing_reserve (NmAllocatorCommon *common,
                     gsize              size)
{
  void *p = mmap (NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

  return p == MAP_FAILED ? NULL : p;
}

static gsize
page_floor (gsize value)
{
  return value & ~(nm_page_size - 1);
}

static gsize
page_ceil (gsize value)
{
  return (value + nm_page_size - 1) & ~(nm_page_size - 1);
}

gboolean
_nm_backing_commit (NmAllocatorCommon *common,
                    gpointer           base,
                    gsize              from,
                    gsize              to)
{
  gsize start = page_floor (from);

  if (!charge (common, to - from))
    return FALSE;

  if (mprotect ((guint8 *) base + start, page_ceil (to) - start, PROT_READ | PROT_WRITE) != 0)
    {
      uncharge (common, to - from);
      return FALSE;
    }

  account (common, (gint64) (to - from));

  return TRUE;
}

void
_nm_backing_decommit (NmAllocatorCommon *common,
                      gpointer           base,
                      gsize              from,
                      gsize              to)
{
  /* Only whole pages inside the range: the neighbours may still be live. */
  gsize start = page_ceil (from);
  gsize end = page_floor (to);

  if (end > start)
    {
      madvise ((guint8 *) base + start, end - start, MADV_DONTNEED);
      mprotect ((guint8 *) base + start, end - start, PROT_NONE);
    }

  account (common, -(gint64) (to - from));
  uncharge (common, to - from);
}

void
_nm_backing_unreserve (NmAllocatorCommon *common,
                       gpointer           base,
                       gsize              size,
                       gsize              committed)
{
  if (base == NULL)
    return;

  munmap (base, size);
  account (common, -(gint64) committed);
  uncharge (common, committed);
}

gpointer
_nm_allocator_fail_backing (NmAllocator         *self,
                            NmAllocatorCommon   *common,
                            GError             **error,
                            const NmFailureInfo *info)
{
  NmBudgetRefusal refusal;
  gboolean refused = FALSE;

  /* A refusal recorded by another thread is that thread's to report. */
  G_LOCK (refusal);
  if (common->refusal.thread == g_thread_self ())
    {
      refusal = common->refusal.what;
      common->refusal.thread = NULL;
      refused = TRUE;
    }
  G_UNLOCK (refusal);

  if (refused)
    return _nm_allocator_fail_with_error (self, common, error,
                                          _nm_error_new_budget (common->label, common->name,
                                                                info, &refusal));

  return _nm_allocator_fail_request (self, common, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY, info);
}
