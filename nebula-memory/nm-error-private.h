/* nm-error-private.h: every message the allocators write, composed in one place
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A message names who (the allocator's kind label and name), what was asked
 * (size and alignment, or the address of an invalid free), the state (use
 * against capacity) and one thing to do. The allocators pass those parts;
 * the wording lives only here, so it cannot drift between them. The
 * functions in nm-allocator-private.h wrap these with the counters and the
 * NmAllocator::allocation-failed signal.
 */

#pragma once

#include <glib.h>

#include "nm-error.h"

G_BEGIN_DECLS

/* The parts of an allocation-failure message. */
typedef struct
{
  gsize        size;        /* bytes asked for */
  gsize        alignment;   /* their alignment */
  const char  *what;        /* instead of "N bytes": "a block", "a new chunk"… (optional) */
  guint64      used;        /* state: bytes in use… */
  guint64      capacity;    /* …of this many; 0 when @state says it instead */
  const char  *state;       /* the state in words, instead of used/capacity (optional) */
  const char  *suggestion;  /* one sentence: what to do (optional) */
} NmFailureInfo;

/* The parts of a budget refusal: which budget (its path), its state and
 * what it was asked for. */
typedef struct
{
  const char  *path;        /* "process/requests" */
  guint64      limit;       /* the budget's limit, or its max-request when @per_request */
  guint64      used;        /* its use when it refused */
  guint64      request;     /* bytes asked of it */
  gboolean     per_request; /* refused because @request is above the per-request cap */
} NmBudgetRefusal;

/* "Bump allocator “request-arena” cannot allocate 512 bytes (alignment 8):
 *  3.8 MB of 4.0 MB used (95.2 %). Raise capacity, …" */
GError *_nm_error_new_request      (const char          *label,
                                    const char          *name,
                                    NmAllocatorError     code,
                                    const NmFailureInfo *info);

/* A budget refusal, %NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED. With an allocator
 * (@label, @name and @info): "Bump allocator “arena” cannot allocate 512
 * bytes (alignment 8): memory budget “process/requests” refused 1.0 MB
 * (1048576 bytes) of backing memory; 3.8 MB of 4.0 MB used (95.2 %). …".
 * Without one (@label NULL, a direct nm_memory_budget_charge()): "Memory
 * budget “process/requests” refused 1.0 MB (1048576 bytes): …". */
GError *_nm_error_new_budget       (const char             *label,
                                    const char             *name,
                                    const NmFailureInfo    *info,
                                    const NmBudgetRefusal  *refusal);

/* "Stack allocator “scratch” " followed by @predicate, for failures that are
 * not a sized request ("cannot pop to marker #3: …"). */
GError *_nm_error_new_misuse       (const char          *label,
                                    const char          *name,
                                    NmAllocatorError     code,
                                    const char          *predicate);

/* The text of a g_critical about memory given back wrongly:
 * "Pool allocator “nodes”: double free (address 0x…); the free was ignored." */
char   *_nm_error_invalid_free_text (const char         *label,
                                     const char         *name,
                                     gconstpointer       mem,
                                     const char         *what);

/* The text of a g_critical about damaged bookkeeping:
 * "Pool allocator “nodes” found corrupted memory at 0x…: <what>." */
char   *_nm_error_corruption_text  (const char          *label,
                                    const char          *name,
                                    gconstpointer        mem,
                                    const char          *what);

/* The text of the leak report at dispose:
 * "Bump allocator “arena” (memory budget “process/requests”) is disposed
 * with 3 live allocations (1.2 kB) …"; @budget_path nullable. */
char   *_nm_error_leak_text        (const char          *label,
                                    const char          *name,
                                    const char          *budget_path,
                                    guint64              live_count,
                                    guint64              live_bytes,
                                    const char          *advice);

/* Sets a %NM_CONFIG_ERROR. Key files are not always valid UTF-8; GError
 * messages must be, so the text is made valid here, for every message. */
void    _nm_config_error_set       (GError             **error,
                                    NmConfigError        code,
                                    const char          *format,
                                    ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
