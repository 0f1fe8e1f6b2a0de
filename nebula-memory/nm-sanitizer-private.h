/* nm-sanitizer-private.h: AddressSanitizer and Valgrind annotations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every allocator tells the tools which bytes are live:
 *
 *  - with AddressSanitizer (compile time), bytes that were never handed out,
 *    were freed or were reset are poisoned, so touching them is reported as
 *    a use-after-poison;
 *  - under Valgrind (run time), every chunk of backing memory is a memcheck
 *    mempool whose handed-out blocks are registered with
 *    VALGRIND_MEMPOOL_ALLOC, so use after reset is reported like use after
 *    free, and unused bytes are NOACCESS.
 *
 * The annotations sit behind one predictable branch on a per-allocator flag
 * (nm_sanitizer_active()), so a normal run pays nothing for them.
 */

#pragma once

#include "config.h"

#include <string.h>

#include <glib.h>

#if defined(__SANITIZE_ADDRESS__)
# define NM_HAVE_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define NM_HAVE_ASAN 1
# endif
#endif

#ifdef NM_HAVE_ASAN
# include <sanitizer/asan_interface.h>
#endif

#if HAVE_VALGRIND
# include <valgrind/memcheck.h>
#endif

G_BEGIN_DECLS

/* The fill patterns of the poison setting: released memory and memory just
 * handed out. */
#define NM_POISON_FREED 0xDD
#define NM_POISON_FRESH 0xAA

/* Whether annotations are worth making in this process: always in an
 * AddressSanitizer build, otherwise only when running under Valgrind. */
gboolean nm_sanitizer_active (void);

static inline void
nm_sanitizer_poison (const void *mem,
                     gsize       size)
{
  if (size == 0)
    return;
#ifdef NM_HAVE_ASAN
  ASAN_POISON_MEMORY_REGION (mem, size);
#endif
#if HAVE_VALGRIND
  VALGRIND_MAKE_MEM_NOACCESS (mem, size);
#endif
}

static inline void
nm_sanitizer_unpoison (const void *mem,
                       gsize       size)
{
  if (size == 0)
    return;
#ifdef NM_HAVE_ASAN
  ASAN_UNPOISON_MEMORY_REGION (mem, size);
#endif
#if HAVE_VALGRIND
  VALGRIND_MAKE_MEM_UNDEFINED (mem, size);
#endif
}

/* Makes [mem, mem + size) readable with its current contents: for the
 * allocator's own checks of released memory (the free fill). */
static inline void
nm_sanitizer_make_readable (const void *mem,
                            gsize       size)
{
  if (size == 0)
    return;
#ifdef NM_HAVE_ASAN
  ASAN_UNPOISON_MEMORY_REGION (mem, size);
#endif
#if HAVE_VALGRIND
  VALGRIND_MAKE_MEM_DEFINED (mem, size);
#endif
}

/* A Valgrind mempool is identified by an address; the allocators use the
 * address of each chunk of backing memory. */
static inline void
nm_sanitizer_pool_create (const void *pool)
{
#if HAVE_VALGRIND
  VALGRIND_CREATE_MEMPOOL (pool, 0, FALSE);
#endif
}

static inline void
nm_sanitizer_pool_destroy (const void *pool)
{
#if HAVE_VALGRIND
  VALGRIND_DESTROY_MEMPOOL (pool);
#endif
}

/* Registers [mem, mem + size) as a live block of @pool and makes it
 * addressable (undefined contents). */
static inline void
nm_sanitizer_block_alloc (const void *pool,
                          const void *mem,
                          gsize       size)
{
#ifdef NM_HAVE_ASAN
  ASAN_UNPOISON_MEMORY_REGION (mem, size);
#endif
#if HAVE_VALGRIND
  VALGRIND_MEMPOOL_ALLOC (pool, mem, size);
#endif
}

/* Unregisters the block at @mem and poisons its @size bytes. */
static inline void
nm_sanitizer_block_free (const void *pool,
                         const void *mem,
                         gsize       size)
{
#if HAVE_VALGRIND
  VALGRIND_MEMPOOL_FREE (pool, mem);
#endif
  nm_sanitizer_poison (mem, size);
}

/* Forgets every block of @pool outside [keep, keep + keep_size) and poisons
 * [keep + keep_size, keep + keep_size + poison_size). */
static inline void
nm_sanitizer_pool_trim (const void *pool,
                        const void *keep,
                        gsize       keep_size,
                        gsize       poison_size)
{
#if HAVE_VALGRIND
  VALGRIND_MEMPOOL_TRIM (pool, keep, keep_size);
#endif
  nm_sanitizer_poison ((const guint8 *) keep + keep_size, poison_size);
}

/* Handing out and releasing memory.
 *
 * These are the only sequences the allocators use, so the order is right
 * in one place:
 *
 *  - hand out: register the block (Valgrind) and unpoison it (ASan), then
 *    write the fresh pattern, then tell Valgrind the contents are still
 *    undefined, so a read of never-written bytes is reported;
 *  - release: make the bytes addressable first (they may include padding
 *    that was never handed out and is still poisoned), then write the freed
 *    pattern, then unregister and poison.
 *
 * @annotate says whether the tools are active (the allocator's sanitize
 * setting); @fill whether the poison setting asks for patterns. With both
 * FALSE nothing happens, at the cost of two predictable branches. */

static inline void
nm_sanitizer_hand_out (const void *pool,
                       void       *mem,
                       gsize       size,
                       gboolean    annotate,
                       gboolean    fill)
{
  if (annotate)
    nm_sanitizer_block_alloc (pool, mem, size);
  if (fill)
    {
      memset (mem, NM_POISON_FRESH, size);
#if HAVE_VALGRIND
      if (annotate)
        VALGRIND_MAKE_MEM_UNDEFINED (mem, size);
#endif
    }
}

/* Releases the block [mem, mem + size) that was handed out by
 * nm_sanitizer_hand_out() with the same @pool. */
static inline void
nm_sanitizer_release (const void *pool,
                      void       *mem,
                      gsize       size,
                      gboolean    annotate,
                      gboolean    fill)
{
  if (fill)
    {
      if (annotate)
        nm_sanitizer_unpoison (mem, size);
      memset (mem, NM_POISON_FREED, size);
    }
  if (annotate)
    nm_sanitizer_block_free (pool, mem, size);
}

/* Releases everything of @pool from @base + @kept to @base + @kept + @len
 * at once (a reset, a restore, a pop to a marker): the blocks in it and
 * the padding between them. Blocks below @base + @kept stay live. */
static inline void
nm_sanitizer_release_range (const void *pool,
                            void       *base,
                            gsize       kept,
                            gsize       len,
                            gboolean    annotate,
                            gboolean    fill)
{
  guint8 *from = (guint8 *) base + kept;

  if (len == 0)
    return;
  if (fill)
    {
      if (annotate)
        nm_sanitizer_unpoison (from, len);
      memset (from, NM_POISON_FREED, len);
    }
  if (annotate)
    nm_sanitizer_pool_trim (pool, base, kept, len);
}

/* ThreadSanitizer: GLib's GMutex, GCond and GAsyncQueue are futex-based and
 * invisible to it, so a hand-off through GTask, GThreadPool or GMainContext
 * shows no happens-before edge. Code that hands memory to another thread
 * through them says so: release before handing off, acquire on receipt. */
#if defined(__SANITIZE_THREAD__)
# define NM_HAVE_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define NM_HAVE_TSAN 1
# endif
#endif

#ifdef NM_HAVE_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
# define nm_sanitizer_handoff_release(p) __tsan_release ((void *) (p))
# define nm_sanitizer_handoff_acquire(p) __tsan_acquire ((void *) (p))
#else
# define nm_sanitizer_handoff_release(p) ((void) (p))
# define nm_sanitizer_handoff_acquire(p) ((void) (p))
#endif

G_END_DECLS
