/* nm-pool-allocator.c: fixed-size block pool with a hardened free list
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The type: its entry points (alloc, free, owns through the inline fast
 * paths and their out-of-line halves), reset, statistics, the GObject
 * code with its construct properties, and the constructors. Blocks and
 * links are in nm-pool-blocks.c, slabs in nm-pool-slabs.c, thread-safe
 * mode in nm-pool-heaps.c, nm-pool-pages.c and nm-pool-thread-free.c; the
 * struct and its invariants in
 * nm-pool-allocator-private.h.
 */

#include "config.h"

#include <string.h>

#include "nm-backing-private.h"
#include "nm-memory-config-builder.h"
#include "nm-pool-allocator-private.h"

/**
 * SECTION:nm-pool-allocator
 * @Title: NmPoolAllocator
 * @Short_description: fixed-size blocks with a hardened free list and per-thread pages
 *
 * An #NmPoolAllocator hands out blocks of one size: the allocator for
 * many objects of one type (list nodes, requests, tree nodes). Allocation
 * and free take a handful of instructions and there is no per-block header:
 * the free list lives inside the free blocks.
 *
 * Block sizes are rounded up to a multiple of #NmPoolAllocator:block-alignment
 * and to at least 8 bytes (the free-list link); #NmPoolAllocator:block-size
 * reports the rounded size. Requests through nm_allocator_alloc() larger than
 * a block, or aligned more strictly than the blocks, fail with
 * %NM_ALLOCATOR_ERROR_INVALID_LAYOUT.
 *
 * The pool starts with `block-count` blocks. With a `max-block-count` it
 * grows by slabs (each as large as the pool already is) up to that many
 * blocks; nm_pool_allocator_trim() gives completely free slabs other than
 * the first back to the system. An empty pool that may not grow fails with
 * %NM_ALLOCATOR_ERROR_POOL_EXHAUSTED. The address space for
 * `max-block-count` blocks is reserved up front (not committed), so blocks
 * never move and a pointer is checked against the pool in O(1).
 *
 * nm_pool_allocator_reset() makes every block free again: every block handed
 * out before is invalid afterwards.
 *
 * Misuse is survivable. A double free, a pointer outside the pool and a
 * pointer into the middle of a block are reported once with g_critical(),
 * counted in the invalid_free_count of #NmAllocatorStats and ignored; a block is
 * never handed out twice. The free-list links are encoded with a per-pool
 * secret and their own address and validated before they are followed: a
 * write into a freed block is reported as %NM_ALLOCATOR_ERROR_CORRUPTION on
 * the allocation that meets it (and one g_critical()), the block is
 * quarantined and the rest of the pool stays usable. The development preset
 * also fills freed blocks with 0xDD and checks the fill when the block is
 * handed out again, separates blocks by a poisoned 16-byte redzone (so
 * AddressSanitizer reports a write past a block as it does for malloc;
 * #NmPoolAllocator:block-size is unchanged), and reports use of a
 * single-thread pool from a second thread once.
 *
 * With `thread-safe=true` any thread allocates and frees any block. The
 * blocks are grouped in pages (up to 256 blocks; a pool has at least four)
 * and each thread allocates from pages of its own and frees into them
 * without a lock; a block freed by another thread is marked on its page
 * and reused by the page's thread when that thread runs out of free blocks
 * on the page. A page whose blocks are all free again goes back to the
 * pool for any thread, and so do a thread's pages when it exits; an
 * allocation may still report %NM_ALLOCATOR_ERROR_POOL_EXHAUSTED while
 * other threads' pages hold free blocks (the message says how many are
 * parked). Statistics are exact once the threads are quiescent, except
 * #NmAllocator:bytes-peak, which thread-safe pools sample when a thread
 * takes a page, at statistics reads and at resets (a lower bound). A free
 * by a thread that does not own the block's page changes the block's
 * state atomically, so of two threads freeing one block at the same moment
 * exactly one gives it back and the other is reported as a double free: a
 * block is never handed out twice.
 * Statistics and properties may be read while other threads allocate,
 * free, grow and trim. Reset must not race with other calls.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NmPoolAllocator) nodes = nm_pool_allocator_new (sizeof (Node), G_ALIGNOF (Node),
 *                                                           1024, &error);
 * Node *node = nm_pool_allocator_alloc (nodes, &error);
 * ...
 * nm_pool_allocator_free (nodes, node);
 * ]|
 *
 * Every setting is also a construct property with a default, so
 * `g_object_new (NM_TYPE_POOL_ALLOCATOR, "block-size", 48, NULL)` and the
 * bindings' constructors (`Nm.PoolAllocator(block_size=48)` in Python)
 * give a pool; settings no pool can hold, or memory the system refuses,
 * give a pool whose allocations fail with a #GError that says why.
 * Bindings allocate and free through the #NmAllocator methods.
 */

enum {
  PROP_BLOCK_SIZE = NM_ALLOCATOR_PROP_LAST,
  PROP_BLOCK_ALIGNMENT,
  PROP_BLOCK_COUNT,
  PROP_MAX_BLOCK_COUNT,
  PROP_CONFIG,
  N_PROPS
};

#define DEFAULT_BLOCK_SIZE   64
#define DEFAULT_BLOCK_COUNT  1024

static GParamSpec *properties [N_PROPS];
GType _nm_pool_type;

static void nm_pool_allocator_iface_init (NmAllocatorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NmPoolAllocator, nm_pool_allocator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NM_TYPE_ALLOCATOR,
                                                      nm_pool_allocator_iface_init))

/* Capacity and block-count change on growth and trim only, never on the
 * inline paths. The notifications are queued for the pool's main context,
 * so they reach handlers there whichever thread grew or trimmed. */
void
_nm_pool_notify_capacity (NmPoolAllocator *self)
{
  _nm_allocator_queue_notify ((NmAllocator *) self, &self->common, properties,
                              NM_ALLOCATOR_PROP_CAPACITY);
  _nm_allocator_queue_notify ((NmAllocator *) self, &self->common, properties, PROP_BLOCK_COUNT);
}

/* Reset */

/**
 * nm_pool_allocator_reset: (skip)
 * @self: an #NmPoolAllocator
 *
 * Makes every block free again, including those parked in thread caches
 * and quarantined ones; the same as nm_allocator_reset(). Every block
 * handed out before is invalid afterwards. In thread-safe mode no other
 * thread may use the pool during the reset.
 *
 * Since: 1.0
 */
void
nm_pool_allocator_reset (NmPoolAllocator *self)
{
  guint64 in_use, peak;

  NM_POOL_CHECK_VOID (self);

  in_use = nm_pool_allocator_get_blocks_in_use (self);

  pthread_mutex_lock (&self->lock);

  /* What was in use is released; the peak carries over in the units of
   * peak_mark (see the invariants). */
  peak = MAX (self->fast.peak_mark - self->released, in_use);
  self->released += in_use;
  self->fast.peak_mark = peak + self->released;
  _nm_pool_slabs_reset (self);
  if (self->fast.slow_flags & NM_SLOW_THREAD_SAFE)
    _nm_pool_heaps_reset_locked (self);
  self->n_quarantined = 0;
  _nm_allocator_note_reset (&self->common);

  pthread_mutex_unlock (&self->lock);

  __atomic_store_n (&self->common.n_resets, self->common.n_resets + 1, __ATOMIC_RELAXED);
  _nm_allocator_queue_reset (NM_ALLOCATOR (self), &self->common, properties);
  /* The peak a reader sees does not change: it was MAX (peak, in use). */
  _nm_allocator_notify_usage (NM_ALLOCATOR (self), &self->common, properties,
                              in_use * self->block_size, 0,
                              peak * self->block_size, peak * self->block_size);
}

static void
pool_reset (NmAllocator *allocator)
{
  nm_pool_allocator_reset ((NmPoolAllocator *) allocator);
}

static gsize
pool_trim (NmAllocator *allocator)
{
  return nm_pool_allocator_trim ((NmPoolAllocator *) allocator);
}

/* Statistics */


static void
pool_get_stats (NmAllocator      *allocator,
                NmAllocatorStats *stats)
{
  NmPoolAllocator *self = (NmPoolAllocator *) allocator;
  PoolTotals t = { 0 };

  /* Thread-safe pools may be read while other threads allocate, grow and
   * trim: everything comes from one snapshot taken under the lock. */
  if (self->fast.slow_flags & NM_SLOW_THREAD_SAFE)
    _nm_pool_ts_totals (self, &t);
  else
    {
      t.allocs = self->fast.n_allocs;
      t.frees = self->fast.n_frees;
      t.in_use = pool_in_use (t.allocs, t.frees, self->released);
      t.peak = self->fast.peak_mark - self->released;
      t.held = self->n_held;
      t.state_committed = self->state_committed;
    }

  stats->capacity = (guint64) t.held * self->block_size;
  stats->bytes_used = t.in_use * self->block_size;
  stats->bytes_peak = MAX (t.peak, t.in_use) * self->block_size;
  stats->bytes_reserved = (guint64) t.held * self->fast.stride + t.state_committed;
  stats->allocation_count = t.allocs;
  stats->free_count = t.frees;
  stats->cached_count = t.cached;
  _nm_allocator_fill_common_stats (&self->common, stats);
}

/* Object */

static void
nm_pool_allocator_finalize (GObject *object)
{
  NmPoolAllocator *self = (NmPoolAllocator *) object;

  if (self->fast.base != NULL && self->common.leak_report)
    {
      guint64 in_use = nm_pool_allocator_get_blocks_in_use (self);

      if (in_use > 0)
        _nm_allocator_report_leaks (&self->common, in_use, in_use * self->block_size,
                                    "free every block, or reset the pool, before dropping it");
    }

  if (self->fast.slow_flags & NM_SLOW_THREAD_SAFE)
    _nm_pool_heaps_finalize (self);

  _nm_pool_slabs_clear (self);

  pthread_mutex_destroy (&self->lock);
  _nm_allocator_common_clear (&self->common);
  g_clear_pointer (&self->settings.name, g_free);
  g_clear_object (&self->config);
  g_clear_error (&self->init_error);

  G_OBJECT_CLASS (nm_pool_allocator_parent_class)->finalize (object);
}

static void
nm_pool_allocator_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NmPoolAllocator *self = NM_POOL_ALLOCATOR (object);

  if (_nm_allocator_get_common_property (NM_ALLOCATOR (self), &self->common, prop_id, value))
    return;

  switch (prop_id)
    {
    case PROP_BLOCK_SIZE:
      g_value_set_uint64 (value, self->block_size);
      break;

    case PROP_BLOCK_ALIGNMENT:
      g_value_set_uint64 (value, self->block_alignment);
      break;

    case PROP_BLOCK_COUNT:
      g_value_set_uint64 (value, nm_pool_allocator_get_block_count (self));
      break;

    case PROP_MAX_BLOCK_COUNT:
      g_value_set_uint64 (value, self->max_blocks);
      break;

    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nm_pool_allocator_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NmPoolAllocator *self = NM_POOL_ALLOCATOR (object);
  PoolSettings *s = &self->settings;

  switch (prop_id)
    {
    case NM_ALLOCATOR_PROP_NAME:
      g_free (s->name);
      s->name = g_value_dup_string (value);
      break;

    case NM_ALLOCATOR_PROP_THREAD_SAFE:
      s->thread_safe = g_value_get_boolean (value);
      break;

    case PROP_BLOCK_SIZE:
      s->block_size = g_value_get_uint64 (value);
      break;

    case PROP_BLOCK_ALIGNMENT:
      s->block_alignment = g_value_get_uint64 (value);
      break;

    case PROP_BLOCK_COUNT:
      s->block_count = g_value_get_uint64 (value);
      break;

    case PROP_MAX_BLOCK_COUNT:
      s->max_block_count = g_value_get_uint64 (value);
      break;

    case PROP_CONFIG:
      g_set_object (&self->config, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The configuration the construct properties describe, validated by the
 * builder. */
static NmMemoryConfig *
config_from_settings (const PoolSettings  *s,
                      GError             **error)
{
  g_autoptr(NmMemoryConfigBuilder) builder = nm_memory_config_builder_new ();

  nm_memory_config_builder_set_kind (builder, NM_ALLOCATOR_KIND_POOL);
  nm_memory_config_builder_set_name (builder, s->name != NULL && *s->name ? s->name : "pool");
  nm_memory_config_builder_set_block_size (builder, s->block_size);
  if (s->block_alignment != 0)
    nm_memory_config_builder_set_block_alignment (builder, s->block_alignment);
  nm_memory_config_builder_set_block_count (builder, s->block_count);
  nm_memory_config_builder_set_max_block_count (builder, s->max_block_count);
  nm_memory_config_builder_set_thread_safe (builder, s->thread_safe);

  return nm_memory_config_builder_build (builder, error);
}

/* A pool that could not be built keeps the reason and fails every
 * allocation with it: the slow-path flag below keeps every fast path away
 * from its (absent) blocks, and with no blocks every free is foreign. */
static void
pool_set_unusable (NmPoolAllocator *self,
                   GError          *error)
{
  const PoolSettings *s = &self->settings;

  _nm_pool_slabs_clear (self);

  memset (&self->fast, 0, sizeof self->fast);
  self->fast.slow_flags = POOL_SLOW_UNUSABLE;
  self->list_head = &self->slow_head;
  self->list_index = &self->slow_head_index;
  self->slow_head = NULL;
  self->n_blocks = 0;
  self->n_slabs = 0;
  self->n_held = 0;
  self->state_committed = 0;
  self->block_size = s->block_size;
  self->block_alignment = s->block_alignment;
  self->block_count = s->block_count;
  self->max_blocks = MAX (s->max_block_count, s->block_count);
  self->init_error = error;
}

static void
nm_pool_allocator_constructed (GObject *object)
{
  NmPoolAllocator *self = NM_POOL_ALLOCATOR (object);
  const PoolSettings *s = &self->settings;
  g_autoptr(GError) error = NULL;

  G_OBJECT_CLASS (nm_pool_allocator_parent_class)->constructed (object);

  _nm_allocator_common_init (&self->common, "Pool allocator",
                             s->name != NULL && *s->name ? s->name : "pool", s->thread_safe);

  if (self->config == NULL)
    self->config = config_from_settings (s, &error);

  if (self->config != NULL)
    {
      _nm_allocator_common_apply_config (&self->common, self->config);
      if (self->common.name == NULL || *self->common.name == '\0')
        {
          g_free (self->common.name);
          self->common.name = g_strdup ("pool");
        }
      self->fast.slow_flags = _nm_allocator_common_slow_flags (&self->common);
      /* Every block is the same size: a budget's per-request cap is
       * checked once, here, and a pool whose blocks are above it sends
       * every allocation to the slow path, which refuses it. */
      if (self->common.max_request != 0 &&
          nm_memory_config_get_block_size (self->config) > self->common.max_request)
        self->fast.slow_flags |= NM_SLOW_REQUEST_CAP;
      /* Only a pool with nothing to check keeps its list where the inline
       * paths find it. */
      if (self->fast.slow_flags == 0)
        {
          self->list_head = &self->fast.head;
          self->list_index = &self->fast.head_index;
        }
      if (_nm_pool_slabs_init (self, self->config, &error))
        {
          if (self->common.thread_safe)
            _nm_pool_registry_add (self);
          return;
        }
    }

  pool_set_unusable (self, g_steal_pointer (&error));
}

static void
nm_pool_allocator_class_init (NmPoolAllocatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char * const overridden[] = {
    [NM_ALLOCATOR_PROP_CAPACITY] = "capacity",
    [NM_ALLOCATOR_PROP_BYTES_USED] = "bytes-used",
    [NM_ALLOCATOR_PROP_BYTES_PEAK] = "bytes-peak",
    [NM_ALLOCATOR_PROP_ALLOCATION_COUNT] = "allocation-count",
  };

  object_class->constructed = nm_pool_allocator_constructed;
  object_class->finalize = nm_pool_allocator_finalize;
  object_class->get_property = nm_pool_allocator_get_property;
  object_class->set_property = nm_pool_allocator_set_property;

  _nm_allocator_class_set_common (object_class, G_STRUCT_OFFSET (NmPoolAllocator, common));
  _nm_allocator_class_set_slot (object_class, _NM_ALLOCATOR_SLOT_POOL);

  /* The statistics properties are the interface's; name and thread-safe
   * are also construct properties here. */
  for (guint i = NM_ALLOCATOR_PROP_CAPACITY; i <= NM_ALLOCATOR_PROP_ALLOCATION_COUNT; i++)
    {
      g_object_class_override_property (object_class, i, overridden[i]);
      properties[i] = g_object_class_find_property (object_class, overridden[i]);
    }

  /**
   * NmPoolAllocator:name:
   *
   * The pool's name, used in messages and statistics; “pool” when none is
   * given.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_NAME] =
    g_param_spec_string ("name", NULL, "The allocator's name", NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:thread-safe:
   *
   * Whether several threads may use the pool at once. Default: %FALSE.
   *
   * Since: 1.0
   */
  properties [NM_ALLOCATOR_PROP_THREAD_SAFE] =
    g_param_spec_boolean ("thread-safe", NULL, "Whether several threads may share the pool", FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:block-size:
   *
   * Bytes per block. Read: the size given at construction rounded up to a
   * multiple of #NmPoolAllocator:block-alignment and to at least 8.
   * Default: 64.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_SIZE] =
    g_param_spec_uint64 ("block-size", NULL, "Bytes per block", 0, G_MAXUINT64, DEFAULT_BLOCK_SIZE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:block-alignment:
   *
   * The alignment of every block, a power of two up to the page size; 0
   * (the default) for the natural alignment of the block size (8 or 16).
   * Read: the alignment in effect.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_ALIGNMENT] =
    g_param_spec_uint64 ("block-alignment", NULL, "Alignment of the blocks, or 0 for natural", 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:block-count:
   *
   * Blocks the pool starts with (default: 1024). Read: the blocks the pool
   * holds now, the initial count plus grown slabs minus trimmed ones;
   * notified when it changes.
   *
   * Since: 1.0
   */
  properties [PROP_BLOCK_COUNT] =
    g_param_spec_uint64 ("block-count", NULL, "Blocks to start with", 0, G_MAXUINT64, DEFAULT_BLOCK_COUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:max-block-count:
   *
   * The most blocks the pool may grow to; 0 (the default) for a pool that
   * does not grow. Read: equal to the initial block count when the pool
   * does not grow.
   *
   * Since: 1.0
   */
  properties [PROP_MAX_BLOCK_COUNT] =
    g_param_spec_uint64 ("max-block-count", NULL, "Blocks to grow to, or 0", 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NmPoolAllocator:config:
   *
   * The configuration the pool was built from. When one is given at
   * construction it decides every setting, and the other construct
   * properties are ignored; otherwise the pool builds one from them.
   * Default: %NULL.
   *
   * Since: 1.0
   */
  properties [PROP_CONFIG] =
    g_param_spec_object ("config", NULL, "A configuration to build from", NM_TYPE_MEMORY_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, NM_ALLOCATOR_PROP_NAME,
                                   properties [NM_ALLOCATOR_PROP_NAME]);
  g_object_class_install_property (object_class, NM_ALLOCATOR_PROP_THREAD_SAFE,
                                   properties [NM_ALLOCATOR_PROP_THREAD_SAFE]);
  for (guint i = PROP_BLOCK_SIZE; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties [i]);

  _nm_pool_type = G_TYPE_FROM_CLASS (klass);
}

static void
nm_pool_allocator_iface_init (NmAllocatorInterface *iface)
{
  iface->alloc = _nm_pool_iface_alloc;
  iface->free = _nm_pool_iface_free;
  iface->reset = pool_reset;
  iface->owns = _nm_pool_iface_owns;
  iface->get_stats = pool_get_stats;
  iface->trim = pool_trim;
}

static void
nm_pool_allocator_init (NmPoolAllocator *self)
{
  pthread_mutex_init (&self->lock, NULL);
  self->list_head = &self->slow_head;
  self->list_index = &self->slow_head_index;
  self->tls_slot = POOL_TLS_NONE;
  self->settings.block_size = DEFAULT_BLOCK_SIZE;
  self->settings.block_count = DEFAULT_BLOCK_COUNT;
}

/* Hands the reason a constructed pool is unusable to a constructor
 * function's caller; FALSE when the pool is usable. */
static gboolean
pool_take_init_error (NmPoolAllocator  *self,
                      GError          **error)
{
  if (self->init_error == NULL)
    return FALSE;

  g_propagate_error (error, g_error_copy (self->init_error));
  return TRUE;
}

NmPoolAllocator *
_nm_pool_allocator_new_from_config (NmMemoryConfig  *config,
                                    GError         **error)
{
  g_autoptr(NmPoolAllocator) self = NULL;

  g_return_val_if_fail (nm_memory_config_get_kind (config) == NM_ALLOCATOR_KIND_POOL, NULL);

  self = g_object_new (NM_TYPE_POOL_ALLOCATOR, "config", config, NULL);
  if (pool_take_init_error (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

guint
_nm_pool_allocator_get_cache_limit (NmPoolAllocator *self)
{
  return 1u << self->page_shift;
}

/**
 * nm_pool_allocator_new:
 * @block_size: bytes per block, at least 1
 * @block_alignment: alignment of every block, a power of two up to the page
 *   size, or 0 for the natural alignment of @block_size (8 or 16)
 * @block_count: blocks available, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Creates a single-thread pool named “pool” of @block_count blocks that
 * does not grow. Invalid settings are %NM_CONFIG_ERROR_INVALID_VALUE
 * errors, as from an #NmMemoryConfigBuilder.
 *
 * Returns: (transfer full) (nullable): a new #NmPoolAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmPoolAllocator *
nm_pool_allocator_new (gsize    block_size,
                       gsize    block_alignment,
                       gsize    block_count,
                       GError **error)
{
  return nm_pool_allocator_new_full ("pool", block_size, block_alignment, block_count,
                                     0, FALSE, error);
}

/**
 * nm_pool_allocator_new_full:
 * @name: (nullable): the allocator's name, for messages
 * @block_size: bytes per block, at least 1
 * @block_alignment: alignment of every block, or 0 for the natural one
 * @block_count: blocks available up front, at least 1
 * @max_block_count: the most blocks to grow to, or 0 for a fixed count
 * @thread_safe: whether several threads use the pool at once
 * @error: return location for a #GError, or %NULL
 *
 * Creates a pool; the settings are validated like those of an
 * #NmMemoryConfigBuilder.
 *
 * Returns: (transfer full) (nullable): a new #NmPoolAllocator, or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
NmPoolAllocator *
nm_pool_allocator_new_full (const char  *name,
                            gsize        block_size,
                            gsize        block_alignment,
                            gsize        block_count,
                            gsize        max_block_count,
                            gboolean     thread_safe,
                            GError     **error)
{
  PoolSettings settings = {
    (char *) name, block_size, block_alignment, block_count, max_block_count, thread_safe,
  };
  g_autoptr(NmMemoryConfig) config = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  config = config_from_settings (&settings, error);
  if (config == NULL)
    return NULL;

  return _nm_pool_allocator_new_from_config (config, error);
}

/**
 * nm_pool_allocator_get_block_size:
 * @self: an #NmPoolAllocator
 *
 * Gets the block size of @self.
 *
 * Returns: the #NmPoolAllocator:block-size
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_block_size (NmPoolAllocator *self)
{
  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  return self->block_size;
}

/**
 * nm_pool_allocator_get_block_alignment:
 * @self: an #NmPoolAllocator
 *
 * Gets the block alignment of @self.
 *
 * Returns: the #NmPoolAllocator:block-alignment
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_block_alignment (NmPoolAllocator *self)
{
  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  return self->block_alignment;
}

/**
 * nm_pool_allocator_get_block_count:
 * @self: an #NmPoolAllocator
 *
 * Gets the block count of @self.
 *
 * Returns: the #NmPoolAllocator:block-count
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_block_count (NmPoolAllocator *self)
{
  guint64 n;

  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  pthread_mutex_lock (&self->lock);
  n = self->n_held;
  pthread_mutex_unlock (&self->lock);

  return n;
}

/**
 * nm_pool_allocator_get_max_block_count:
 * @self: an #NmPoolAllocator
 *
 * Gets the max block count of @self.
 *
 * Returns: the #NmPoolAllocator:max-block-count
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_max_block_count (NmPoolAllocator *self)
{
  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  return self->max_blocks;
}

/**
 * nm_pool_allocator_get_blocks_in_use:
 * @self: an #NmPoolAllocator
 *
 * Gets the blocks in use of @self.
 *
 * Returns: the number of blocks handed out and not given back; exact in
 *   thread-safe mode once the other threads are quiescent
 *
 * Since: 1.0
 */
guint64
nm_pool_allocator_get_blocks_in_use (NmPoolAllocator *self)
{
  PoolTotals t;

  g_return_val_if_fail (NM_IS_POOL_ALLOCATOR (self), 0);

  if (!(self->fast.slow_flags & NM_SLOW_THREAD_SAFE))
    return pool_in_use (self->fast.n_allocs, self->fast.n_frees, self->released);

  _nm_pool_ts_totals (self, &t);
  return t.in_use;
}
