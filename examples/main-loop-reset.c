/* main-loop-reset.c: a frame arena reset once per main-loop iteration
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Work done in one iteration of a GMainLoop (an event, a frame, a batch of
 * messages) often needs memory only until the iteration ends. A small
 * GSource whose prepare() runs at the start of every iteration resets a
 * bump arena there, so handlers allocate from the arena freely and never
 * free. The arena's bytes-peak tells how much one iteration needed; it is
 * notified on reset, never per allocation.
 */

#include <locale.h>
#include <string.h>

#include <nebula-memory/nebula-memory.h>

#define N_FRAMES 30

/* The per-iteration reset. */
typedef struct
{
  GSource          source;
  NmBumpAllocator *arena;     /* owned */
  guint            n_resets;
} FrameArenaSource;

static gboolean
frame_arena_prepare (GSource *source,
                     gint    *timeout)
{
  FrameArenaSource *self = (FrameArenaSource *) source;

  /* Called before the loop polls, once per iteration: whatever the last
   * iteration allocated is gone. */
  nm_allocator_reset (NM_ALLOCATOR (self->arena));
  self->n_resets++;
  *timeout = -1;

  return FALSE;   /* never dispatched */
}

static void
frame_arena_finalize (GSource *source)
{
  g_clear_object (&((FrameArenaSource *) source)->arena);
}

static GSourceFuncs frame_arena_funcs = {
  .prepare = frame_arena_prepare,
  .finalize = frame_arena_finalize,
};

static FrameArenaSource *
frame_arena_source_new (NmBumpAllocator *arena)
{
  FrameArenaSource *self = (FrameArenaSource *) g_source_new (&frame_arena_funcs,
                                                              sizeof (FrameArenaSource));

  self->arena = g_object_ref (arena);
  g_source_set_name ((GSource *) self, "frame-arena reset");

  return self;
}

/* The application's work: one frame per timeout. */
typedef struct
{
  GMainLoop       *loop;
  NmBumpAllocator *arena;
  guint            n_frames;
  guint            dirty_starts;   /* frames that found the arena not reset */
  guint            peak_notifies;
} App;

static gboolean
render_frame (gpointer user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  guint64 used;
  guint n_items = 10 + (app->n_frames % 7) * 20;
  char **items;

  g_object_get (app->arena, "bytes-used", &used, NULL);
  if (used != 0)
    app->dirty_starts++;

  /* Allocate freely: nothing here is freed by hand. */
  items = nm_new_array (app->arena, char *, n_items, &error);
  for (guint i = 0; items != NULL && i < n_items; i++)
    {
      items[i] = nm_bump_allocator_alloc (app->arena, 32, 1, &error);
      if (items[i] == NULL)
        break;
      g_snprintf (items[i], 32, "frame %u item %u", app->n_frames, i);
    }
  if (error != NULL)
    {
      g_printerr ("main-loop-reset: %s\n", error->message);
      g_main_loop_quit (app->loop);
      return G_SOURCE_REMOVE;
    }

  if (++app->n_frames == N_FRAMES)
    {
      g_main_loop_quit (app->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_peak_notify (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  App *app = user_data;

  app->peak_notifies++;
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  FrameArenaSource *reset_source;
  App app = { 0 };
  guint64 peak, used;
  guint n_resets;

  setlocale (LC_ALL, "");
  arena = nm_bump_allocator_new_full ("frame-arena", 8 * 1024, 1024 * 1024, FALSE, &error);
  if (arena == NULL)
    g_error ("%s", error->message);

  app.loop = loop;
  app.arena = arena;
  g_signal_connect (arena, "notify::bytes-peak", G_CALLBACK (on_peak_notify), &app);

  reset_source = frame_arena_source_new (arena);
  g_source_attach ((GSource *) reset_source, NULL);
  g_timeout_add (1, render_frame, &app);

  g_main_loop_run (loop);

  n_resets = reset_source->n_resets;
  g_source_destroy ((GSource *) reset_source);
  g_source_unref ((GSource *) reset_source);

  g_object_get (arena, "bytes-peak", &peak, "bytes-used", &used, NULL);
  g_print ("frames rendered: %u\n", app.n_frames);
  g_print ("frames that started with a dirty arena: %u\n", app.dirty_starts);
  g_print ("resets: %s\n", n_resets >= app.n_frames ? "at least one per frame" : "TOO FEW");
  g_print ("peak per iteration: %" G_GUINT64_FORMAT " bytes (bytes-peak notified %s)\n",
           peak, app.peak_notifies > 0 ? "on reset" : "never");

  if (app.n_frames != N_FRAMES || app.dirty_starts != 0 || n_resets < app.n_frames ||
      app.peak_notifies == 0)
    return 1;
  g_print ("OK\n");
  return 0;
}
