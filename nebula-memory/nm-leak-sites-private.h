/* nm-leak-sites-private.h: where live allocations were made, for leak reports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * With NmMemoryConfig:leak-sites on, an allocator records the call stack
 * of each allocation it hands out (glibc's backtrace(), a few frames) in a
 * table keyed by address, and forgets it when the memory comes back (a
 * free, a restore, a pop, a reset). Stacks are grouped into sites, so the
 * table holds one record per live allocation and one per distinct stack.
 * Names are resolved only when a report is made: the site of a stack is
 * the first frame above the library's own: outside the library's module,
 * or in a function exported under a name that is not nm_… or _nm_…. Sites
 * are functions, named with dladdr() as function() (module), when the
 * module exports the function, and return addresses shown as
 * module+offset (for addr2line) otherwise.
 *
 * Recording runs on the allocators' out-of-line paths only, which
 * leak-sites makes every allocation take; with it off nothing here runs
 * and no fast path has a test for it. Every function takes the table's
 * lock, so thread-safe allocators record from any thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _NmLeakSites NmLeakSites;

NmLeakSites *_nm_leak_sites_new      (void);
void         _nm_leak_sites_free     (NmLeakSites   *self);

/* Records that @mem (@size bytes) was handed out, here and now. */
void         _nm_leak_sites_add      (NmLeakSites   *self,
                                      gconstpointer  mem,
                                      gsize          size);
/* @mem came back; unknown addresses are ignored. */
void         _nm_leak_sites_remove   (NmLeakSites   *self,
                                      gconstpointer  mem);
/* Everything came back (a reset). */
void         _nm_leak_sites_clear    (NmLeakSites   *self);
/* Forgets the allocations for which @still_live returns FALSE (a restore
 * or a pop to a marker gave back a range). */
void         _nm_leak_sites_retain   (NmLeakSites   *self,
                                      gboolean     (*still_live) (gconstpointer mem,
                                                                  gpointer      data),
                                      gpointer       data);
/* Live allocations recorded. */
guint        _nm_leak_sites_count    (NmLeakSites   *self);
/* "Top allocation sites: SITE: N allocations (BYTES); …" for the @max sites
 * with the most live allocations, or NULL when nothing is live. */
char        *_nm_leak_sites_describe (NmLeakSites   *self,
                                      guint          max);

G_END_DECLS
