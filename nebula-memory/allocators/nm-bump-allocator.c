/* nm-bump-allocator.c: NmBumpAllocator, a region allocator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The type itself: allocation (the exported entry point behind the inline
 * fast path, and the slow path), free, ownership, reset, statistics, the
 * GObject construction and properties, and the constructor functions.
 * Chunks live in nm-bump-chunks.c, checkpoints and scopes in
 * nm-bump-checkpoint.c; the struct and its invariants in
 * nm-bump-allocator-private.h.
 */

#include "config.h"

#include <string.h>

#include "nm-allocator-private.h"
#include "nm-backing-private.h"
#include "nm-memory-config-builder.h"
#include "nm-memory-config-private.h"
#include "nm-sanitizer-private.h"
#include "nm-bump-allocator-private.h"

/**
 * SECTION:nm-bump-allocator
 * @Title: NmBumpAllocator
 * @Short_description: region (arena) allocator with checkpoints and reset
 *
 * An #NmBumpAllocator hands out memory by moving a cursor through chunks of
 * backing memory, and takes it all back at once with nm_allocator_reset():
 * the allocator for request, frame and syntax-tree lifetimes. There is no
 * per-allocation header; each chunk has a 64-byte header.
 *
 * The capacity is fixed, or the allocator grows by adding chunks (each at
 * least twice the previous one) up to #NmBumpAllocator:max-capacity.
 * Resetting keeps the first chunk and releases the others.
 *
 * Freeing the most recent allocation (same pointer, same size) gives its
 * bytes back; any other free of memory the allocator owns is a counted
 * no-op. Freeing memory it does not own is reported with g_critical().
 *
 * Checkpoints record a position; restoring one releases everything
 * allocated after it, across chunks. Checkpoints nest: restoring an outer
 * one invalidates the inner ones, and restoring an invalidated checkpoint
 * fails with %NM_ALLOCATOR_ERROR_LIFO_VIOLATION without changing anything.
 * #NmBumpScope restores automatically at the end of a C scope.
 *
 * With #NmMemoryConfig:validate (the development preset), a single-thread
 * allocator belongs to the first thread that uses it and reports use from
 * another thread with one g_critical() per thread, and every block is
 * followed by a redzone of 16 bytes that is never handed out (counted in
 * #NmAllocator:bytes-used): under AddressSanitizer or Valgrind a write past
 * the end of a block is reported even when another block follows it.
 *
 * An #NmBumpAllocator can be made with g_object_new() or a binding's
 * constructor: #NmBumpAllocator:config gives every setting at once (it
 * must describe a bump allocator), and the construct-only properties
 * #NmAllocator:name, #NmAllocator:capacity, #NmBumpAllocator:max-capacity
 * and #NmAllocator:thread-safe override it when set to other values than
 * their defaults. Settings given nowhere take the
 * values of nm_memory_config_new_production(); an allocator without a name
 * is named after its kind, “bump”. Settings an #NmMemoryConfigBuilder
 * would refuse are reported with one g_critical() and replaced by those
 * defaults. When the system refuses the first chunk, the object is still
 * made and every allocation fails with %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY
 * until a chunk can be had; the constructor functions return %NULL with
 * that error instead.
 *
 * In thread-safe mode any number of threads allocate at once through a
 * lock-free cursor (one compare-and-swap per allocation); growth takes a
 * lock. Reset, checkpoints and restore must not race with allocations.
 * Frees are counted no-ops in that mode: "most recent" has no meaning
 * across threads. The default single-thread mode uses no atomic operation
 * on its hot path.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new (64 * 1024, NULL);
 * NmBumpCheckpoint cp;
 *
 * nm_bump_allocator_checkpoint (arena, &cp);
 * node = nm_bump_allocator_alloc (arena, sizeof (Node), G_ALIGNOF (Node), &error);
 * ...
 * nm_bump_allocator_restore (arena, &cp, &error);
 * ]|
 */

enum {
  PROP_MAX_CAPACITY = NM_ALLOCATOR_PROP_LAST,
  PROP_CHUNK_COUNT,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];
static GType bump_type;

static void nm_bump_allocator_iface_init (NmAllocatorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NmBumpAllocator, nm_bump_allocator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR,
                                                      nm_bump_allocator_iface_init))

/* A type check cheap enough for the hot path: one compare of the instance's
 * class type against the cached GType, removed by G_DISABLE_CHECKS. */
#define NM_BUMP_CHECK(self, val) \
  g_return_val_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == bump_type, val)
#define NM_BUMP_CHECK_VOID(self) \
  g_return_if_fail ((self) != NULL && G_TYPE_FROM_INSTANCE (self) == bump_type)

#define OWNER_ADVICE "a single-thread bump allocator is not safe to use from several " \
                     "threads. Give each thread its own arena, or set thread-safe=true."

void
_nm_bump_notify_chunks_changed (NmBumpAllocator *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [NM_ALLOCATOR_PROP_CAPACITY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CHUNK_COUNT]);
}

/* Allocation */

static gpointer
fail_out_of_memory (NmBumpAllocator  *self,
                    gsize             size,
                    gsize             alignment,
                    NmBumpGrowResult  result,
                    GError          **error)
{
  NmFailureInfo info = { .size = size, .alignment = alignment };
  g_autofree char *state = NULL;
  g_autofree char *usage = NULL;

  switch (result)
    {
    case NM_BUMP_GROW_FIRST_REFUSED:
      {
        g_autofree char *first = _nm_size_format_human (self->capacity);

        info.state = state = g_strdup_printf ("the system refused its first chunk of %s (%"
                                              G_GSIZE_FORMAT " bytes)", first, self->capacity);
        info.suggestion = "Lower capacity, and let the allocator grow with max-capacity if it must.";
        return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
      }

    case NM_BUMP_GROW_SYSTEM_REFUSED:
      {
        g_autofree char *held = _nm_size_format_human (_nm_backing_bytes (&self->common));

        info.state = state = g_strdup_printf ("the system refused a new chunk (%s held already)",
                                              held);
        info.suggestion = "Free memory elsewhere or lower max-capacity.";
        return _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
      }

    default:
      break;
    }

  if (self->max_capacity != 0)
    {
      usage = _nm_size_format_usage (nm_bump_used (self), self->max_capacity);
      info.state = state = g_strdup_printf ("%s, counting max-capacity", usage);
      info.suggestion = "Raise max-capacity, or reset between requests.";
    }
  else
    {
      info.used = nm_bump_used (self);
      info.capacity = self->capacity;
      info.suggestion = "Raise capacity, allow growth with max-capacity, or reset between requests.";
    }

  return _nm_allocator_fail_request (NM_ALLOCATOR (self), &self->common, error,
                                     NM_ALLOCATOR_ERROR_OUT_OF_MEMORY, &info);
}

static inline void
hand_out (NmBumpAllocator *self,
          NmBumpChunk     *chunk,
          guint8          *mem,
          gsize            size)
{
  nm_sanitizer_hand_out (chunk, mem, size, self->common.sanitize, self->common.poison);
}

static gpointer
alloc_thread_safe (NmBumpAllocator  *self,
                   gsize             size,
                   gsize             span,
                   gsize             alignment,
                   GError          **error)
{
  for (;;)
    {
      NmBumpChunk *chunk = __atomic_load_n (&self->current, __ATOMIC_ACQUIRE);
      NmBumpGrowResult result;
      guint8 *top = __atomic_load_n (&chunk->top, __ATOMIC_RELAXED);

      for (;;)
        {
          guintptr p = nm_align_up ((guintptr) top, alignment);

          if (p > (guintptr) chunk->end || span > (guintptr) chunk->end - p)
            break;

          /* The bytes belong to whoever wins the exchange; nothing else is
           * published, so relaxed order is enough. */
          if (__atomic_compare_exchange_n (&chunk->top, &top, (guint8 *) p + span, TRUE,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            {
              if (self->fast.count_step)
                __atomic_fetch_add (&self->fast.n_allocs, 1, __ATOMIC_RELAXED);
              if (self->fast.slow_flags & NM_BUMP_SLOW_COUNT_LIVE)
                __atomic_fetch_add (&self->n_live, 1, __ATOMIC_RELAXED);
              hand_out (self, chunk, (guint8 *) p, size);
              return (gpointer) p;
            }
        }

      pthread_mutex_lock (&self->grow_lock);
      /* Another thread may have grown the allocator meanwhile: retry then. */
      result = __atomic_load_n (&self->current, __ATOMIC_RELAXED) == chunk
               ? _nm_bump_grow (self, span, alignment) : NM_BUMP_GROW_RETRY;
      pthread_mutex_unlock (&self->grow_lock);

      if (result == NM_BUMP_GROW_DONE)
        _nm_bump_notify_chunks_changed (self);
      else if (result != NM_BUMP_GROW_RETRY)
        return fail_out_of_memory (self, size, alignment, result, error);
    }
}

static G_GNUC_NO_INLINE gpointer
alloc_slow (NmBumpAllocator  *self,
            gsize             size,
            gsize             alignment,
            GError          **error)
{
  gboolean grew = FALSE;
  guintptr p;
  gsize span;

  if (self->check_owner)
    _nm_allocator_check_owner (&self->common, OWNER_ADVICE);

  if (!nm_layout_is_valid (size, alignment))
    return _nm_allocator_fail_layout (NM_ALLOCATOR (self), &self->common, size, alignment, error);

  /* A block and its redzone: more than any chunk can hold when it wraps. */
  if (!g_size_checked_add (&span, size, self->redzone))
    span = G_MAXSIZE;

  if (G_UNLIKELY (__atomic_load_n (&self->first, __ATOMIC_ACQUIRE) == NULL) &&
      !_nm_bump_acquire_first_chunk (self))
    return fail_out_of_memory (self, size, alignment, NM_BUMP_GROW_FIRST_REFUSED, error);

  if (nm_bump_is_thread_safe (self))
    return alloc_thread_safe (self, size, span, alignment, error);

  p = nm_align_up ((guintptr) self->fast.cursor, alignment);
  if (p > (guintptr) self->current->end || span > (guintptr) self->current->end - p)
    {
      NmBumpGrowResult result = _nm_bump_grow (self, span, alignment);

      if (result != NM_BUMP_GROW_DONE)
        return fail_out_of_memory (self, size, alignment, result, error);
      grew = TRUE;
      p = nm_align_up ((guintptr) self->fast.cursor, alignment);
    }

  self->fast.cursor = (guint8 *) p + span;
  self->fast.last = (guint8 *) p;
  self->fast.n_allocs += self->fast.count_step;
  if (self->fast.slow_flags & NM_BUMP_SLOW_COUNT_LIVE)
    self->n_live++;
  hand_out (self, self->current, (guint8 *) p, size);

  /* Last: a handler may use the allocator again. */
  if (grew)
    _nm_bump_notify_chunks_changed (self);

  return (gpointer) p;
}

/**
 * nm_bump_allocator_alloc: (skip)
 * @self: an #NmBumpAllocator
 * @size: number of bytes, at least 1
 * @alignment: a power of two, at most the page size
 * @error: return location for a #GError, or %NULL
 *
 * Allocates @size bytes aligned to @alignment: the direct, fastest entry
 * point, for callers that know they have a bump allocator. In C the common
 * case (single-thread mode, room in the current chunk) is inlined in the
 * caller; the rest, including argument checks, happens in the library.
 * Bindings use nm_allocator_alloc(), which does the same.
 *
 * Returns: (transfer none) (nullable): the memory, or %NULL with @error set
 *
 * Since: 1.0
 */
gpointer
(nm_bump_allocator_alloc) (NmBumpAllocator  *self,
                           gsize             size,
                           gsize             alignment,
                           GError          **error)
{
  guintptr p;

  NM_BUMP_CHECK (self, NULL);

  /* Hot path: align, compare, store. Anything unusual (thread-safe mode,
   * sanitizers, poisoning, validation, a bad layout, a full chunk, no chunk
   * yet) goes to alloc_slow. */
  p = nm_align_up ((guintptr) self->fast.cursor, alignment);
  if G_LIKELY (nm_layout_is_valid (size, alignment) &&
               p <= (guintptr) self->fast.limit &&
               size <= (guintptr) self->fast.limit - p)
    {
      self->fast.cursor = (guint8 *) p + size;
      self->fast.last = (guint8 *) p;
      self->fast.n_allocs += self->fast.count_step;
      return (gpointer) p;
    }

  return alloc_slow (self, size, alignment, error);
}

static gpointer
bump_alloc (NmAllocator  *allocator,
            gsize         size,
            gsize         alignment,
            GError      **error)
{
  return (nm_bump_allocator_alloc) ((NmBumpAllocator *) allocator, size, alignment, error);
}

/* Ownership and free */

static gboolean
bump_owns (NmAllocator   *allocator,
           gconstpointer  mem)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;
  gboolean owned;

  /* A query, allowed from any thread of a thread-safe allocator even
   * during a reset: under the lock that guards the chunk list. */
  nm_bump_lock (self);
  owned = _nm_bump_find_chunk (self, mem) != NULL;
  nm_bump_unlock (self);

  return owned;
}

static void
bump_free (NmAllocator *allocator,
           gpointer     mem,
           gsize        size,
           gsize        alignment)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;

  if (self->check_owner)
    _nm_allocator_check_owner (&self->common, OWNER_ADVICE);

  if (!nm_bump_is_thread_safe (self) && mem == self->fast.last && mem != NULL)
    {
      /* The block and its redzone reach the cursor. */
      gsize span = (gsize) (self->fast.cursor - (guint8 *) mem);

      if (size != span - self->redzone)
        {
          _nm_allocator_report_invalid_free (allocator, &self->common, mem,
                                             "wrong size in free of the most recent "
                                             "allocation: %" G_GSIZE_FORMAT " bytes given, %"
                                             G_GSIZE_FORMAT " allocated", size,
                                             span - self->redzone);
          return;
        }

      self->peak = MAX (self->peak, nm_bump_used (self));
      _nm_bump_release_range (self, self->current, mem, self->fast.cursor);
      self->fast.cursor = mem;
      self->fast.last = NULL;
      self->n_frees += self->fast.count_step;
      if (self->fast.slow_flags & NM_BUMP_SLOW_COUNT_LIVE)
        self->n_live--;
      return;
    }

  if (_nm_bump_find_chunk (self, mem) == NULL)
    {
      _nm_allocator_report_invalid_free (allocator, &self->common, mem,
                                         "free of memory it does not hold: a foreign "
                                         "pointer, or memory already released by a free, "
                                         "a restore or a reset");
      return;
    }

  /* Owned memory below the top: a no-op until the next reset, but counted
   * so that statistics show frees that did not give bytes back. */
  if (self->fast.count_step)
    __atomic_fetch_add (&self->n_frees, 1, __ATOMIC_RELAXED);
}

/* Reset */

/**
 * nm_bump_allocator_reset: (skip)
 * @self: an #NmBumpAllocator
 *
 * Releases every allocation and every chunk but the first; the same as
 * nm_allocator_reset(), which bindings use. Checkpoints taken before are
 * invalid afterwards.
 *
 * Since: 1.0
 */
void
nm_bump_allocator_reset (NmBumpAllocator *self)
{
  NmBumpChunk *first;
  gboolean released = FALSE;
  guint64 used_before, peak_before;

  /* A reset per request is the common pattern: the checks and the
   * bookkeeping here stay cheap (no GType lookup, no atomic read-modify-
   * write, nothing to poison unless asked, a notification only when a
   * value changed). */
  NM_BUMP_CHECK_VOID (self);

  if (self->check_owner)
    _nm_allocator_check_owner (&self->common, OWNER_ADVICE);

  nm_bump_lock (self);
  used_before = nm_bump_used (self);
  self->peak = MAX (self->peak, used_before);

  first = self->first;
  if (first != NULL)
    {
      if (self->common.poison || self->common.sanitize)
        _nm_bump_release_range (self, first, first->start, nm_bump_chunk_top (self, first));
      released = _nm_bump_release_chunks_after (self, first);
      nm_bump_enter_chunk (self, first, first->start);
    }
  nm_bump_unlock (self);

  self->used_before = 0;
  self->fast.last = NULL;
  self->n_live = 0;
  _nm_bump_forget_checkpoints (self);

  /* bytes-used: what a reader sees went from used_before to 0; bytes-peak
   * rises silently while allocating, so compare with the last announced. */
  __atomic_store_n (&self->common.n_resets, self->common.n_resets + 1, __ATOMIC_RELAXED);
  peak_before = self->common.notified_peak;
  _nm_allocator_notify_usage ((NmAllocator *) self, &self->common, properties,
                              used_before, 0, peak_before, self->peak);
  if (released)
    _nm_bump_notify_chunks_changed (self);
}

static void
bump_reset (NmAllocator *allocator)
{
  nm_bump_allocator_reset ((NmBumpAllocator *) allocator);
}

static gsize
bump_trim (NmAllocator *allocator)
{
  /* Chunks only hold live data until a reset or restore releases them, so
   * there is never a free chunk to give back. */
  return 0;
}

static void
bump_get_stats (NmAllocator      *allocator,
                NmAllocatorStats *stats)
{
  NmBumpAllocator *self = (NmBumpAllocator *) allocator;
  guint64 used, held;
  guint n_chunks;

  nm_bump_lock (self);
  used = nm_bump_used (self);
  n_chunks = nm_bump_count_chunks (self);
  held = _nm_backing_bytes (&self->common);
  stats->capacity = held;
  stats->bytes_used = used;
  stats->bytes_peak = MAX (self->peak, used);
  stats->bytes_reserved = held + (guint64) n_chunks * NM_BUMP_CHUNK_HEADER;
  nm_bump_unlock (self);

  stats->allocation_count = __atomic_load_n (&self->fast.n_allocs, __ATOMIC_RELAXED);
  stats->free_count = __atomic_load_n (&self->n_frees, __ATOMIC_RELAXED);
  _nm_allocator_fill_common_stats (&self->common, stats);
}

/* Object */

static void
nm_bump_allocator_finalize (GObject *object)
{
  NmBumpAllocator *self = (NmBumpAllocator *) object;
  gsize used = nm_bump_used (self);

  if (self->common.leak_report && used > 0)
    _nm_allocator_report_leaks (&self->common, self->n_live, used,
                                "reset the allocator, or restore a checkpoint, before "
                                "dropping it");

  _nm_bump_free_all_chunks (self);

  g_array_unref (self->restore_marks);
  pthread_mutex_destroy (&self->grow_lock);
  g_clear_object (&self->config);
  g_clear_pointer (&self->construct.name, g_free);
  _nm_allocator_common_clear (&self->common);

  G_OBJECT_CLASS (nm_bump_allocator_parent_class)->finalize (object);
}

static void
nm_bump_allocator_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NmBumpAllocator *self = NM_BUMP_ALLOCATOR (object);

  if (_nm_allocator_get_common_property (NM_ALLOCATOR (self), &self->common, prop_id, value))
    return;

  switch (prop_id)
    {
    case PROP_MAX_CAPACITY:
      g_value_set_uint64 (value, self->max_capacity);
      break;

    case PROP_CHUNK_COUNT:
      g_value_set_uint (value, nm_bump_allocator_get_chunk_count (self));
      break;

    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_bump_allocator_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NmBumpAllocator *self = NM_BUMP_ALLOCATOR (object);
  NmBumpConstructProps *props = &self->construct;

  /* Construct-only: recorded here, applied by constructed(). GObject sets
   * every construct property, with its default when not given, so a value
   * other than the default is what counts as given. */
  if (g_param_value_defaults (pspec, value))
    return;

  switch (prop_id)
    {
    case NM_ALLOCATOR_PROP_NAME:
      g_free (props->name);
      props->name = g_value_dup_string (value);
      props->set |= NM_FIELD_NAME;
      break;

    case NM_ALLOCATOR_PROP_CAPACITY:
      props->capacity = g_value_get_uint64 (value);
      props->set |= NM_FIELD_CAPACITY;
      break;

    case PROP_MAX_CAPACITY:
      props->max_capacity = g_value_get_uint64 (value);
      props->set |= NM_FIELD_MAX_CAPACITY;
      break;

    case NM_ALLOCATOR_PROP_THREAD_SAFE:
      props->thread_safe = g_value_get_boolean (value);
      props->set |= NM_FIELD_THREAD_SAFE;
      break;

    case PROP_CONFIG:
      g_set_object (&self->config, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The settings in effect: the config property, overridden by the
 * properties given alongside, validated like the builder does. */
static NmMemoryConfig *
settings_from_construct_props (NmBumpAllocator *self)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NmBumpConstructProps *props = &self->construct;
  const char *name = NULL;

  if (self->config != NULL && nm_memory_config_get_kind (self->config) != NM_ALLOCATOR_KIND_BUMP)
    {
      g_critical ("Bump allocator: the configuration “%s” describes a %s allocator, not a "
                  "bump allocator; using the defaults of nm_memory_config_new_production() "
                  "instead.", nm_memory_config_get_name (self->config),
                  nm_memory_config_get_kind (self->config) == NM_ALLOCATOR_KIND_POOL
                  ? "pool" : "stack");
      g_clear_object (&self->config);
    }

  if (self->config != NULL)
    {
      builder = nm_memory_config_builder_new_from_config (self->config);
      name = nm_memory_config_get_name (self->config);
    }
  else
    {
      config = nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP);
      builder = nm_memory_config_builder_new_from_config (config);
    }

  if (props->set & NM_FIELD_NAME)
    name = props->name;
  if (props->set & NM_FIELD_CAPACITY)
    {
      guint64 max_capacity = nm_memory_config_get_max_capacity (config ? config : self->config);

      nm_memory_config_builder_set_capacity (builder, props->capacity);
      /* A capacity above the default growth limit raises it. */
      if (!(props->set & NM_FIELD_MAX_CAPACITY) && max_capacity != 0 &&
          max_capacity < props->capacity)
        nm_memory_config_builder_set_max_capacity (builder, props->capacity);
    }
  if (props->set & NM_FIELD_MAX_CAPACITY)
    nm_memory_config_builder_set_max_capacity (builder, props->max_capacity);
  if (props->set & NM_FIELD_THREAD_SAFE)
    nm_memory_config_builder_set_thread_safe (builder, props->thread_safe);

  /* An unnamed allocator is named after its kind. */
  if (name == NULL || *name == '\0')
    name = "bump";
  nm_memory_config_builder_set_name (builder, name);

  g_clear_object (&config);
  config = nm_memory_config_builder_build (builder, &error);
  if (config != NULL)
    return g_steal_pointer (&config);

  g_critical ("Bump allocator “%s”: %s Using the defaults of nm_memory_config_new_production() "
              "instead.", name, error->message);

  config = nm_memory_config_new_production (NM_ALLOCATOR_KIND_BUMP);
  g_clear_object (&builder);
  builder = nm_memory_config_builder_new_from_config (config);
  nm_memory_config_builder_set_name (builder, name);
  g_clear_object (&config);

  return nm_memory_config_builder_build (builder, NULL);
}

static void
nm_bump_allocator_constructed (GObject *object)
{
  NmBumpAllocator *self = (NmBumpAllocator *) object;
  NmAllocatorCommon *c = &self->common;
  NmMemoryConfig *settings;
  NmBumpChunk *first;

  G_OBJECT_CLASS (nm_bump_allocator_parent_class)->constructed (object);

  settings = settings_from_construct_props (self);
  g_clear_object (&self->config);
  self->config = settings;
  g_clear_pointer (&self->construct.name, g_free);

  _nm_allocator_common_apply_config (c, self->config);

  self->capacity = nm_memory_config_get_capacity (self->config);
  self->max_capacity = nm_memory_config_get_max_capacity (self->config);
  self->redzone = c->validate ? NM_BUMP_REDZONE : 0;
  self->check_owner = c->validate && !c->thread_safe;
  self->fast.count_step = c->track_stats ? 1 : 0;
  /* Leak reports count live blocks, which only the slow path does. */
  self->fast.slow_flags = _nm_allocator_common_slow_flags (c) |
                          (c->leak_report ? NM_BUMP_SLOW_COUNT_LIVE : 0);
  /* Blocks with redzones are laid out by the slow path only. */
  g_assert (self->redzone == 0 || self->fast.slow_flags != 0);

  /* When the system refuses the first chunk, the object still works: every
   * allocation tries again and fails with the reason. */
  first = _nm_bump_chunk_new (self, self->capacity);
  if (first != NULL)
    {
      self->first = first;
      nm_bump_enter_chunk (self, first, first->start);
    }
}

static void
nm_bump_allocator_class_init (NmBumpAllocatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nm_bump_allocator_constructed;
  object_class->finalize = nm_bump_allocator_finalize;
  object_class->get_property = nm_bump_allocator_get_property;
  object_class->set_property = nm_bump_allocator_set_property;

  /* The statistics are the interface's read-only properties; the settings
   * are the class's own, readable and writable at construction. */
  g_object_class_override_property (object_class, NM_ALLOCATOR_PROP_BYTES_USED, "bytes-used");
  g_object_class_override_property (object_class, NM_ALLOCATOR_PROP_BYTES_PEAK, "bytes-peak");
  g_object_class_override_property (object_class, NM_ALLOCATOR_PROP_ALLOCATION_COUNT,
                                    "allocation-count");
  _nm_allocator_class_set_common (object_class, G_STRUCT_OFFSET (NmBumpAllocator, common));

  /**
   * NmBumpAllocator:name:
   *
   * The allocator's name, for messages. Set at construction; an allocator
   * without a name (%NULL or empty) is named after its kind, “bump”.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_NAME] =
    g_param_spec_string ("name", NULL, "The allocator's name", NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:capacity:
   *
   * Set at construction: the usable bytes of the first chunk, from 1 byte to
   * 1 TiB (default: 1 MiB, as in nm_memory_config_new_production()). Read:
   * the usable bytes of all chunks held, which growth raises and reset
   * lowers again; 0 while the system refuses the first chunk.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_CAPACITY] =
    g_param_spec_uint64 ("capacity", NULL, "Bytes of the first chunk; read: of all chunks",
                         0, G_MAXUINT64, 1024 * 1024,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:thread-safe:
   *
   * Whether several threads may allocate at once. Set at construction;
   * default %FALSE.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_THREAD_SAFE] =
    g_param_spec_boolean ("thread-safe", NULL, "Whether several threads may use it at once",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:max-capacity:
   *
   * The most backing memory the allocator may grow to, or 0 when its
   * capacity is fixed. Set at construction; default 256 MiB, as in
   * nm_memory_config_new_production(), or #NmAllocator:capacity when that is
   * given and larger.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_CAPACITY] =
    g_param_spec_uint64 ("max-capacity", NULL, "The most backing memory to grow to, 0 for none",
                         0, G_MAXUINT64, 256 * 1024 * 1024,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:chunk-count:
   *
   * Chunks of backing memory currently held. Notified, with
   * #NmAllocator:capacity, when growth adds a chunk and when a reset or a
   * restore releases chunks.
   *
   * Since: 1.0
   */
  properties [PROP_CHUNK_COUNT] =
    g_param_spec_uint ("chunk-count", NULL, "Chunks of backing memory held",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmBumpAllocator:config:
   *
   * Every setting at once, at construction: a configuration of kind
   * %NM_ALLOCATOR_KIND_BUMP. The other construct-only properties override
   * it when set to other values than their defaults. Read: the settings in
   * effect.
   *
   * Since: 1.0
   */
  properties [PROP_CONFIG] =
    g_param_spec_object ("config", NULL, "Every setting at once",
                         NM_TYPE_MEMORY_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  for (guint i = NM_ALLOCATOR_PROP_NAME; i < N_PROPS; i++)
    if (properties [i] != NULL)
      g_object_class_install_property (object_class, i, properties [i]);

  properties [NM_ALLOCATOR_PROP_BYTES_USED] = g_object_class_find_property (object_class, "bytes-used");
  properties [NM_ALLOCATOR_PROP_BYTES_PEAK] = g_object_class_find_property (object_class, "bytes-peak");
  properties [NM_ALLOCATOR_PROP_ALLOCATION_COUNT] =
    g_object_class_find_property (object_class, "allocation-count");

  bump_type = G_TYPE_FROM_CLASS (klass);
}

static void
nm_bump_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = bump_alloc;
  iface->free = bump_free;
  iface->reset = bump_reset;
  iface->owns = bump_owns;
  iface->get_stats = bump_get_stats;
  iface->trim = bump_trim;
}

static void
nm_bump_allocator_init (NmBumpAllocator *self)
{
  pthread_mutex_init (&self->grow_lock, NULL);
  self->restore_marks = g_array_new (FALSE, FALSE, sizeof (NmBumpRestoreMark));
  /* Resets count in the low half; the allocator's serial is the high half. */
  self->epoch = _nm_allocator_next_serial () << 32;
  _nm_allocator_common_init (&self->common, "Bump allocator", "bump", FALSE);
}

NmBumpAllocator *
_nm_bump_allocator_new_from_config (NmMemoryConfig  *config,
                                    GError         **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = NULL;
  g_autoptr(NmMemoryConfig) valid = NULL;
  g_autoptr(NmBumpAllocator) self = NULL;

  g_return_val_if_fail (nm_memory_config_get_kind (config) == NM_ALLOCATOR_KIND_BUMP, NULL);

  /* Refuse with a GError what construction would refuse with a critical
   * (a configuration made without the builder). */
  builder = nm_memory_config_builder_new_from_config (config);
  valid = nm_memory_config_builder_build (builder, error);
  if (valid == NULL)
    return NULL;

  self = g_object_new (NM_TYPE_BUMP_ALLOCATOR, "config", valid, NULL);
  if (self->first == NULL)
    {
      g_autofree char *first = _nm_size_format_human (self->capacity);
      g_autofree char *state = g_strdup_printf ("the system refused %" G_GSIZE_FORMAT " bytes",
                                                self->capacity);
      g_autofree char *what = g_strdup_printf ("its first chunk of %s", first);
      NmFailureInfo info = {
        .size = self->capacity,
        .alignment = 2 * sizeof (gpointer),
        .what = what,
        .state = state,
        .suggestion = "Lower capacity, and let the allocator grow with max-capacity if it must.",
      };

      _nm_allocator_fail_backing (NM_ALLOCATOR (self), &self->common, error, &info);
      return NULL;
    }

  return g_steal_pointer (&self);
}

static NmBumpAllocator *
new_with_builder (NmMemoryConfigBuilder  *builder,
                  GError                **error)
{
  g_autoptr(NmMemoryConfig) config = nm_memory_config_builder_build (builder, error);

  if (config == NULL)
    return NULL;

  return _nm_bump_allocator_new_from_config (config, error);
}

/**
 * nm_bump_allocator_new:
 * @capacity: bytes available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a single-thread bump allocator named “bump” with a fixed
 * @capacity. A capacity of 0 or above 1 TiB is an
 * %NM_CONFIG_ERROR_INVALID_VALUE error; a capacity the system refuses is an
 * %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY error.
 *
 * Returns: (transfer full) (nullable): a new #NmBumpAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmBumpAllocator *
nm_bump_allocator_new (gsize    capacity,
                       GError **error)
{
  return nm_bump_allocator_new_full ("bump", capacity, 0, FALSE, error);
}

/**
 * nm_bump_allocator_new_full:
 * @name: (nullable): the allocator's name, for messages; %NULL for “bump”
 * @capacity: bytes available up front, at least 1
 * @max_capacity: the most backing memory to grow to, or 0 for a fixed capacity
 * @thread_safe: whether several threads allocate at once
 * @error: return location for a #GError, or %NULL
 *
 * Creates a bump allocator; the settings are validated like those of an
 * #NmMemoryConfigBuilder, and a first chunk the system refuses is an
 * %NM_ALLOCATOR_ERROR_OUT_OF_MEMORY error.
 *
 * Returns: (transfer full) (nullable): a new #NmBumpAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmBumpAllocator *
nm_bump_allocator_new_full (const char  *name,
                            gsize        capacity,
                            gsize        max_capacity,
                            gboolean     thread_safe,
                            GError     **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_BUMP);
  nm_memory_config_builder_set_name (builder, name ? name : "bump");
  nm_memory_config_builder_set_capacity (builder, capacity);
  nm_memory_config_builder_set_max_capacity (builder, max_capacity);
  nm_memory_config_builder_set_thread_safe (builder, thread_safe);

  return new_with_builder (builder, error);
}

/**
 * nm_bump_allocator_get_max_capacity:
 * @self: an #NmBumpAllocator
 *
 * Gets the max capacity of @self.
 *
 * Returns: the #NmBumpAllocator:max-capacity
 *
 * Since: 1.0
 */
guint64
nm_bump_allocator_get_max_capacity (NmBumpAllocator *self)
{
  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), 0);

  return self->max_capacity;
}

/**
 * nm_bump_allocator_get_chunk_count:
 * @self: an #NmBumpAllocator
 *
 * Gets the chunk count of @self.
 *
 * Returns: the number of chunks of backing memory held
 *
 * Since: 1.0
 */
guint
nm_bump_allocator_get_chunk_count (NmBumpAllocator *self)
{
  guint n;

  g_return_val_if_fail (NM_IS_BUMP_ALLOCATOR (self), 0);

  nm_bump_lock (self);
  n = nm_bump_count_chunks (self);
  nm_bump_unlock (self);

  return n;
}

