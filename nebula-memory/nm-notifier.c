/* nm-notifier.c: a source that delivers an object's notifications
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-notifier-private.h"

typedef struct
{
  GSource         source;
  GWeakRef        object;
  NmNotifierFunc  func;
  gpointer        data;
  gint            woken;   /* a run is due; cleared just before it happens */
} NotifierSource;

struct _NmNotifier
{
  NotifierSource *source;
};

static gboolean
notifier_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  NotifierSource *ns = (NotifierSource *) source;
  GObject *object;

  g_source_set_ready_time (source, -1);

  /* Cleared before the callback reads the state: a change from now on
   * wakes the source again, so nothing is lost between the two. */
  g_atomic_int_set (&ns->woken, 0);

  object = g_weak_ref_get (&ns->object);
  if (object != NULL)
    {
      NmNotifierFunc func = __atomic_load_n (&ns->func, __ATOMIC_ACQUIRE);

      func (object, ns->data);
      g_object_unref (object);
    }

  return G_SOURCE_CONTINUE;
}

static void
notifier_finalize (GSource *source)
{
  g_weak_ref_clear (&((NotifierSource *) source)->object);
}

static GSourceFuncs notifier_funcs = {
  .dispatch = notifier_dispatch,
  .finalize = notifier_finalize,
};

NmNotifier *
_nm_notifier_new (GObject        *object,
                  GMainContext   *context,
                  NmNotifierFunc  func,
                  gpointer        data,
                  const char     *name)
{
  NmNotifier *self = g_new0 (NmNotifier, 1);
  NotifierSource *ns = (NotifierSource *) g_source_new (&notifier_funcs, sizeof (NotifierSource));

  g_weak_ref_init (&ns->object, object);
  ns->data = data;
  /* The notifier is often made on a thread other than the one running
   * @context. g_source_attach() publishes it through the context's lock,
   * which ThreadSanitizer cannot see inside an uninstrumented GLib; this
   * release store (and the acquire load in dispatch) says the same to it. */
  __atomic_store_n (&ns->func, func, __ATOMIC_RELEASE);
  g_source_set_static_name ((GSource *) ns, name);
  g_source_set_ready_time ((GSource *) ns, -1);
  g_source_attach ((GSource *) ns, context);
  self->source = ns;

  return self;
}

void
_nm_notifier_free (NmNotifier *self)
{
  if (self == NULL)
    return;

  g_source_destroy ((GSource *) self->source);
  g_source_unref ((GSource *) self->source);
  g_free (self);
}

void
_nm_notifier_wake (NmNotifier *self)
{
  NotifierSource *ns = self->source;

  if (!g_atomic_int_get (&ns->woken) &&
      g_atomic_int_compare_and_exchange (&ns->woken, 0, 1))
    g_source_set_ready_time ((GSource *) ns, 0);
}
