/* nm-notifier-private.h: delivering notifications on an object's main context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Allocators and budgets change state on whatever thread uses them, often in
 * a loop that resets thousands of times a second. Their notify:: and
 * signals are delivered instead by an NmNotifier: a source attached to the
 * object's main context (the thread-default context when the object was
 * made) that, once woken, runs a callback on that context's thread with a
 * strong reference taken from a weak one. Waking an already woken notifier
 * is one atomic load; the first wake-up of a main-loop iteration costs the
 * context's lock and wakeup write. So notifications are batched to at most
 * one delivery per main-loop iteration, never emitted on the allocation
 * path, and never touch an object that is being finalized.
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _NmNotifier NmNotifier;

/* Runs on the notifier's context with a strong reference to @object. */
typedef void (*NmNotifierFunc) (GObject  *object,
                                gpointer  data);

/* A notifier for @object (held weakly) on @context, calling @func with
 * @data; @name names the source for debugging tools. Asleep until
 * _nm_notifier_wake(). */
NmNotifier *_nm_notifier_new     (GObject        *object,
                                  GMainContext   *context,
                                  NmNotifierFunc  func,
                                  gpointer        data,
                                  const char     *name);
/* Destroys the source; a delivery already running on another thread
 * finishes with its own reference. NULL is fine. */
void        _nm_notifier_free    (NmNotifier     *self);
/* Arranges for one run of the callback on the context; from any thread. */
void        _nm_notifier_wake    (NmNotifier     *self);

G_END_DECLS
