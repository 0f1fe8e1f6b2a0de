/* bench-ops-peers.h: the peers, called the way their users call them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * glibc, GSlice, obstack, APR and talloc are linked and called directly.
 * mimalloc and jemalloc both define malloc() and would replace glibc's for
 * the whole process if linked, so bench-peers.c dlopen()s them with
 * RTLD_LOCAL | RTLD_DEEPBIND and resolves each function once: a call to
 * them is one indirect call through a pointer, nothing more.
 */

#pragma once

#include <stdlib.h>
#include <string.h>
#include <obstack.h>

#include <glib.h>

#ifdef HAVE_APR
#include <apr_pools.h>
#endif
#ifdef HAVE_TALLOC
#include <talloc.h>
#endif

#include "bench-candidates.h"

#define obstack_chunk_alloc malloc
#define obstack_chunk_free  free

/* Resolved once by bench_candidates_init(). */
typedef struct
{
  void *(*malloc)       (size_t size);
  void  (*free)         (void *mem);
  void *(*heap_new)     (void);
  void  (*heap_destroy) (void *heap);
  void *(*heap_malloc)  (void *heap, size_t size);
} BenchMimalloc;

typedef struct
{
  void *(*malloc)   (size_t size);
  void  (*free)     (void *mem);
  void *(*mallocx)  (size_t size, int flags);
  void  (*sdallocx) (void *mem, size_t size, int flags);
} BenchJemalloc;

extern BenchMimalloc bench_mi;
extern BenchJemalloc bench_je;

#define BENCH_UNUSED G_GNUC_UNUSED

/* glibc */

static inline gpointer bench_glibc_open (gsize m BENCH_UNUSED, guint x BENCH_UNUSED) { return NULL; }
static inline void bench_glibc_close (gpointer c BENCH_UNUSED) { }
static inline gpointer bench_glibc_alloc (gpointer c BENCH_UNUSED, gpointer p BENCH_UNUSED, gsize size) { return malloc (size); }
static inline void bench_glibc_free (gpointer c BENCH_UNUSED, gpointer mem, gsize s BENCH_UNUSED) { free (mem); }

static const BenchOps bench_ops_glibc = {
  .open = bench_glibc_open, .close = bench_glibc_close,
  .alloc = bench_glibc_alloc, .free = bench_glibc_free,
};

/* GSlice: the size is given back on free, as g_slice_free1() wants */

static inline gpointer bench_gslice_alloc (gpointer c BENCH_UNUSED, gpointer p BENCH_UNUSED, gsize size) { return g_slice_alloc (size); }
static inline void bench_gslice_free (gpointer c BENCH_UNUSED, gpointer mem, gsize size) { g_slice_free1 (size, mem); }

static const BenchOps bench_ops_gslice = {
  .open = bench_glibc_open, .close = bench_glibc_close,
  .alloc = bench_gslice_alloc, .free = bench_gslice_free,
};

/* obstack: released by freeing back to the first object, as GCC does */

typedef struct
{
  struct obstack  ob;
  gpointer        base;
} BenchObstack;

static inline gpointer
bench_obstack_open (gsize m BENCH_UNUSED, guint x BENCH_UNUSED)
{
  BenchObstack *o = g_new0 (BenchObstack, 1);

  obstack_init (&o->ob);
  o->base = obstack_alloc (&o->ob, 0);
  return o;
}

static inline void bench_obstack_close (gpointer c) { obstack_free (&((BenchObstack *) c)->ob, NULL); g_free (c); }
static inline gpointer bench_obstack_alloc (gpointer c, gpointer p BENCH_UNUSED, gsize size) { return obstack_alloc (&((BenchObstack *) c)->ob, size); }
static inline void bench_obstack_release (gpointer c) { BenchObstack *o = c; obstack_free (&o->ob, o->base); o->base = obstack_alloc (&o->ob, 0); }
static inline gpointer bench_obstack_scope_begin (gpointer c, BenchMark *m) { m->ptr = obstack_alloc (&((BenchObstack *) c)->ob, 0); return c; }
static inline void bench_obstack_scope_end (gpointer c, gpointer i BENCH_UNUSED, BenchMark *m) { obstack_free (&((BenchObstack *) c)->ob, m->ptr); }

static const BenchOps bench_ops_obstack = {
  .open = bench_obstack_open, .close = bench_obstack_close,
  .alloc = bench_obstack_alloc, .release = bench_obstack_release,
  .scope_begin = bench_obstack_scope_begin, .scope_end = bench_obstack_scope_end,
};

/* APR pools: apr_palloc(), apr_pool_clear(); a sub-pool per scope */

#ifdef HAVE_APR
static inline gpointer
bench_apr_open (gsize m BENCH_UNUSED, guint x BENCH_UNUSED)
{
  apr_pool_t *pool = NULL;

  apr_pool_create (&pool, NULL);
  return pool;
}

static inline void bench_apr_close (gpointer c) { apr_pool_destroy (c); }
static inline gpointer bench_apr_alloc (gpointer c, gpointer p BENCH_UNUSED, gsize size) { return apr_palloc (c, size); }
static inline void bench_apr_release (gpointer c) { apr_pool_clear (c); }
static inline gpointer bench_apr_scope_begin (gpointer c, BenchMark *m BENCH_UNUSED) { apr_pool_t *sub = NULL; apr_pool_create (&sub, c); return sub; }
static inline void bench_apr_scope_end (gpointer c BENCH_UNUSED, gpointer inner, BenchMark *m BENCH_UNUSED) { apr_pool_destroy (inner); }

static const BenchOps bench_ops_apr = {
  .open = bench_apr_open, .close = bench_apr_close,
  .alloc = bench_apr_alloc, .release = bench_apr_release,
  .scope_begin = bench_apr_scope_begin, .scope_end = bench_apr_scope_end,
};
#else
static const BenchOps bench_ops_apr = { NULL };
#endif

/* talloc: children of a context (or of their parent block), released with
 * talloc_free_children(); a child context per scope. talloc_pool: the same
 * under a talloc_pool() of the size the pattern keeps live. */

#ifdef HAVE_TALLOC
static inline gpointer bench_talloc_open (gsize m BENCH_UNUSED, guint x BENCH_UNUSED) { return talloc_new (NULL); }
static inline gpointer bench_talloc_pool_open (gsize max_live, guint x BENCH_UNUSED) { return talloc_pool (NULL, MIN (max_live, (gsize) 64 << 20)); }
static inline void bench_talloc_close (gpointer c) { talloc_free (c); }
static inline gpointer bench_talloc_alloc (gpointer c, gpointer parent, gsize size) { return talloc_size (parent != NULL ? parent : c, size); }
static inline void bench_talloc_free (gpointer c BENCH_UNUSED, gpointer mem, gsize s BENCH_UNUSED) { talloc_free (mem); }
static inline void bench_talloc_release (gpointer c) { talloc_free_children (c); }
static inline gpointer bench_talloc_scope_begin (gpointer c, BenchMark *m BENCH_UNUSED) { return talloc_new (c); }
static inline void bench_talloc_scope_end (gpointer c BENCH_UNUSED, gpointer inner, BenchMark *m BENCH_UNUSED) { talloc_free (inner); }

static const BenchOps bench_ops_talloc = {
  .open = bench_talloc_open, .close = bench_talloc_close,
  .alloc = bench_talloc_alloc, .free = bench_talloc_free, .release = bench_talloc_release,
  .scope_begin = bench_talloc_scope_begin, .scope_end = bench_talloc_scope_end,
};

static const BenchOps bench_ops_talloc_pool = {
  .open = bench_talloc_pool_open, .close = bench_talloc_close,
  .alloc = bench_talloc_alloc, .free = bench_talloc_free, .release = bench_talloc_release,
  .scope_begin = bench_talloc_scope_begin, .scope_end = bench_talloc_scope_end,
};
#else
static const BenchOps bench_ops_talloc = { NULL };
static const BenchOps bench_ops_talloc_pool = { NULL };
#endif

/* mimalloc: mi_malloc / mi_free; and a heap, mi_heap_destroy() to release */

static inline gpointer bench_mi_alloc (gpointer c BENCH_UNUSED, gpointer p BENCH_UNUSED, gsize size) { return bench_mi.malloc (size); }
static inline void bench_mi_free (gpointer c BENCH_UNUSED, gpointer mem, gsize s BENCH_UNUSED) { bench_mi.free (mem); }

static const BenchOps bench_ops_mimalloc = {
  .open = bench_glibc_open, .close = bench_glibc_close,
  .alloc = bench_mi_alloc, .free = bench_mi_free,
};

typedef struct
{
  void *heap;
} BenchMiHeap;

static inline gpointer
bench_mi_heap_open (gsize m BENCH_UNUSED, guint x BENCH_UNUSED)
{
  BenchMiHeap *h = g_new0 (BenchMiHeap, 1);

  h->heap = bench_mi.heap_new ();
  return h;
}

static inline void bench_mi_heap_close (gpointer c) { bench_mi.heap_destroy (((BenchMiHeap *) c)->heap); g_free (c); }
static inline gpointer bench_mi_heap_alloc (gpointer c, gpointer p BENCH_UNUSED, gsize size) { return bench_mi.heap_malloc (((BenchMiHeap *) c)->heap, size); }
static inline void bench_mi_heap_release (gpointer c) { BenchMiHeap *h = c; bench_mi.heap_destroy (h->heap); h->heap = bench_mi.heap_new (); }

static const BenchOps bench_ops_mimalloc_heap = {
  .open = bench_mi_heap_open, .close = bench_mi_heap_close,
  .alloc = bench_mi_heap_alloc, .free = bench_mi_free, .release = bench_mi_heap_release,
};

/* jemalloc: malloc / free, and mallocx / sdallocx (sized free) */

static inline gpointer bench_je_alloc (gpointer c BENCH_UNUSED, gpointer p BENCH_UNUSED, gsize size) { return bench_je.malloc (size); }
static inline void bench_je_free (gpointer c BENCH_UNUSED, gpointer mem, gsize s BENCH_UNUSED) { bench_je.free (mem); }
static inline gpointer bench_jex_alloc (gpointer c BENCH_UNUSED, gpointer p BENCH_UNUSED, gsize size) { return bench_je.mallocx (size, 0); }
static inline void bench_jex_free (gpointer c BENCH_UNUSED, gpointer mem, gsize size) { bench_je.sdallocx (mem, size, 0); }

static const BenchOps bench_ops_jemalloc = {
  .open = bench_glibc_open, .close = bench_glibc_close,
  .alloc = bench_je_alloc, .free = bench_je_free,
};

static const BenchOps bench_ops_jemalloc_sized = {
  .open = bench_glibc_open, .close = bench_glibc_close,
  .alloc = bench_jex_alloc, .free = bench_jex_free,
};
