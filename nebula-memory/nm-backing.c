/* nm-backing.c: acquiring and releasing backing memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sys/mman.h>

#include "nm-backing-private.h"
#include "nm-sanitizer-private.h"

static void
account (NmAllocatorCommon *common,
         gint64             delta)
{
  __atomic_fetch_add (&common->backing_bytes, (guint64) delta, __ATOMIC_RELAXED);
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

  mem = g_try_malloc (total);
  if (mem == NULL)
    return NULL;

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
  g_free (mem);
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

  if (mprotect ((guint8 *) base + start, page_ceil (to) - start, PROT_READ | PROT_WRITE) != 0)
    return FALSE;

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
}

gpointer
_nm_allocator_fail_backing (NmAllocator         *self,
                            NmAllocatorCommon   *common,
                            GError             **error,
                            const NmFailureInfo *info)
{
  return _nm_allocator_fail_request (self, common, error, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY, info);
}
