/* fuzz-common.h: what the allocator fuzz targets share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is read as a stream of small integers that choose operations
 * and their arguments; a reference model of the live blocks decides what the
 * allocator must do. Misuse reports (g_critical in the "Nebula" domain) are
 * counted rather than fatal, and every operation states how many it
 * expects: a missing or an extra report is a crash, as is any other
 * warning or critical.
 */

#pragma once

#include <stdlib.h>
#include <string.h>

#include <nebula-memory/nebula-memory.h>

#define FUZZ_MAX_LIVE 64

/* Misuse reports (g_critical in the "Nebula" domain) so far. */
static guint fuzz_criticals;

/* The layouts the library serves: a size of at least 1 byte and a
 * power-of-two alignment up to the page size. */
static inline gboolean
fuzz_layout_is_valid (gsize size,
                      gsize alignment)
{
  return size > 0 && alignment > 0 && (alignment & (alignment - 1)) == 0 && alignment <= 4096;
}

/* Checks what a sized allocation of @alloc gave: an invalid layout is
 * refused with INVALID_LAYOUT, a refusal is OUT_OF_MEMORY, a block is
 * aligned and owned. TRUE when @mem is a block the model must track;
 * @error is cleared either way. */
static inline gboolean
fuzz_check_allocation (NmAllocator  *alloc,
                       const guint8 *mem,
                       gsize         size,
                       gsize         alignment,
                       GError      **error)
{
  if (!fuzz_layout_is_valid (size, alignment))
    {
      if (mem != NULL)
        g_error ("invalid layout (%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") served",
                 size, alignment);
      g_assert_error (*error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_INVALID_LAYOUT);
      g_clear_error (error);
      return FALSE;
    }
  if (mem == NULL)
    {
      g_assert_error (*error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
      g_clear_error (error);
      return FALSE;
    }
  g_assert_no_error (*error);
  if ((guintptr) mem % alignment != 0)
    g_error ("block %p not aligned to %" G_GSIZE_FORMAT, mem, alignment);
  if (!nm_allocator_owns (alloc, mem))
    g_error ("%s does not own its block %p", G_OBJECT_TYPE_NAME (alloc), mem);

  return TRUE;
}

typedef struct
{
  const guint8 *data;
  gsize         size;
  gsize         pos;
} FuzzInput;

static inline gboolean
fuzz_more (FuzzInput *in)
{
  return in->pos < in->size;
}

static inline guint8
fuzz_u8 (FuzzInput *in)
{
  return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline guint
fuzz_u16 (FuzzInput *in)
{
  guint lo = fuzz_u8 (in);

  return lo | ((guint) fuzz_u8 (in) << 8);
}

/* A size that is mostly small, sometimes large (up to 8 MiB). */
static inline gsize
fuzz_size (FuzzInput *in)
{
  guint8 shape = fuzz_u8 (in);

  switch (shape >> 6)
    {
    case 0:
    case 1:
      return fuzz_u8 (in);
    case 2:
      return fuzz_u16 (in) & 0x3fff;
    default:
      return (gsize) fuzz_u16 (in) << (shape & 7);
    }
}

/* A power of two up to 4 KiB, or (rarely) a value that is not one. */
static inline gsize
fuzz_alignment (FuzzInput *in)
{
  guint8 a = fuzz_u8 (in);

  if (a >= 250)
    return a == 255 ? 0 : (gsize) a;
  return (gsize) 1 << (a % 13);
}

/* Every block is filled with a byte derived from its serial number and
 * checked before it is given back: a stray write shows. (libc's memset and
 * memcmp, not byte loops: the fuzzer instruments every comparison here.) */
static inline guint8
fuzz_pattern_byte (guint64 serial)
{
  return (guint8) (serial * 131 + 1);
}

static inline void
fuzz_fill (guint8  *mem,
           gsize    size,
           guint64  serial)
{
  memset (mem, fuzz_pattern_byte (serial), size);
}

static inline void
fuzz_check (const guint8 *mem,
            gsize         size,
            guint64       serial)
{
  if (size > 0 && (mem[0] != fuzz_pattern_byte (serial) ||
                   memcmp (mem, mem + 1, size - 1) != 0))
    g_error ("block #%" G_GUINT64_FORMAT " at %p (%" G_GSIZE_FORMAT " bytes) was overwritten",
             serial, mem, size);
}

typedef struct
{
  guint8  *mem;
  gsize    size;
  gsize    alignment;
  guint64  serial;
} FuzzBlock;

/* Fails when [mem, mem + size) overlaps a live block. */
static inline void
fuzz_assert_disjoint (const FuzzBlock *live,
                      guint            n_live,
                      const guint8    *mem,
                      gsize            size)
{
  gsize extent = MAX (size, 1);

  for (guint i = 0; i < n_live; i++)
    {
      gsize other = MAX (live[i].size, 1);

      if (mem < live[i].mem + other && live[i].mem < mem + extent)
        g_error ("new block %p (+%" G_GSIZE_FORMAT ") overlaps live block %p (+%" G_GSIZE_FORMAT ")",
                 mem, size, live[i].mem, live[i].size);
    }
}

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;

  if (g_strcmp0 (domain, "Nebula") == 0 && (log_level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_CRITICAL)
    {
      fuzz_criticals++;
      return G_LOG_WRITER_HANDLED;
    }

  /* Leak reports and other informational messages are expected. */
  if ((log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) == 0)
    return G_LOG_WRITER_HANDLED;

  g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
  abort ();
}

static inline void
fuzz_install_log_writer (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* Runs one statement that must report exactly @n misuses. */
#define FUZZ_EXPECT_CRITICALS(n, stmt)                                           \
  G_STMT_START {                                                                 \
    guint fuzz_before_ = fuzz_criticals;                                          \
    stmt;                                                                        \
    if (fuzz_criticals - fuzz_before_ != (guint) (n))                            \
      g_error ("%s:%d: %u misuse reports, %u expected", __FILE__, __LINE__,      \
               fuzz_criticals - fuzz_before_, (guint) (n));                      \
  } G_STMT_END

/* Builds an allocator from a preset: production or development. */
static inline NmMemoryConfigBuilder *
fuzz_builder (NmAllocatorKind kind,
              gboolean        development)
{
  g_autoptr(NmMemoryConfig) preset = development ? nm_memory_config_new_development (kind)
                                                 : nm_memory_config_new_production (kind);

  return nm_memory_config_builder_new_from_config (preset);
}

/* Allocators kept across inputs.
 *
 * Creating an allocator per input (a GObject, backing memory mapped and
 * poisoned, a first chunk or slab) costs far more than the few dozen
 * operations an input runs. So each target keeps the allocators it made
 * in a small direct-mapped table, keyed by the configuration the input
 * chose, and brings one back to the state of a fresh one with a reset
 * (and a trim) before the next input uses it.
 *
 * A crash must reproduce from its input file alone, so state carried from
 * one input to the next must not change behaviour. At the end of each
 * input, fuzz_allocator_release() resets the allocator and checks that the
 * reset made it equivalent to a fresh one: nothing in use, nothing cached,
 * the capacity and the backing memory it had when created, and whatever
 * the target's @check adds (blocks in use, depth, markers). Memory still
 * in use after a reset is a crash, of the input that used the allocator,
 * so that input alone reproduces it; a capacity or a reservation that
 * differs (a pool that grew keeps the pages of its block states) means the
 * configuration cannot be brought back, and the next input that asks for
 * it gets a new allocator. An input that ended any other way (it crashed)
 * leaves its allocator to be replaced too. Every allocator is
 * also recreated after FUZZ_SLOT_USES inputs, and always with
 * NM_FUZZ_FRESH=1 in the environment (one allocator per input, as a
 * reproduction of a single input gets anyway: the table starts empty).
 *
 * libFuzzer looks for leaks after every input that allocated more than it
 * freed, by running it again and, when that run is unbalanced too, by a
 * full LeakSanitizer pass; after 1000 such passes it stops looking. So
 * creating an allocator also warms it up: whatever it sets up lazily and
 * keeps (its notifier, a thread cache, the marker array) is set up then,
 * followed by a reset, so that an input that reuses it allocates exactly
 * what it frees, as with a fresh allocator per input, and leak detection
 * stays on for the whole run.
 *
 * The cumulative counters (allocations, frees, invalid frees, resets,
 * trims) count since creation; a target compares their change over one
 * input with its model, from the snapshot in FuzzSlot.before.
 */

#define FUZZ_SLOTS 256
#define FUZZ_SLOT_USES 1000
#define FUZZ_KEY_WORDS 5

typedef gboolean (*FuzzFreshCheck) (NmAllocator *alloc);
typedef void (*FuzzWarmUp) (NmAllocator *alloc);

typedef struct
{
  guint64           key[FUZZ_KEY_WORDS];
  NmAllocator      *alloc;
  NmAllocatorStats  fresh;   /* as created */
  NmAllocatorStats  before;  /* at the start of the current input */
  guint             uses;
  gboolean          clean;   /* released, and as good as fresh */
} FuzzSlot;

typedef struct
{
  FuzzSlot slots[FUZZ_SLOTS];
  guint    created;
  guint    reused;
  guint    refused;
} FuzzAllocatorTable;

static inline gboolean
fuzz_reuse_allowed (void)
{
  static int allowed = -1;

  if (allowed < 0)
    allowed = g_strcmp0 (g_getenv ("NM_FUZZ_FRESH"), "1") != 0;
  return allowed;
}

static inline void
fuzz_snapshot (NmAllocator      *alloc,
               NmAllocatorStats *out)
{
  g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (alloc);

  *out = *stats;
}

static FuzzAllocatorTable *fuzz_reported_table;

static void
fuzz_table_report_at_exit (void)
{
  FuzzAllocatorTable *t = fuzz_reported_table;

  g_printerr ("allocators: %u created, %u reused, %u not equivalent after a reset\n",
              t->created, t->reused, t->refused);
}

/* With NM_FUZZ_STATS set, says at exit how often allocators were reused. */
static inline void
fuzz_table_report (FuzzAllocatorTable *table)
{
  fuzz_reported_table = table;
  atexit (fuzz_table_report_at_exit);
}

/* Gives an allocator made from @config, which @key describes completely:
 * a fresh one, or one used by earlier inputs and shown equivalent to a
 * fresh one. The table keeps it; the caller must not unref it. Returns
 * the slot, whose @before holds the statistics at the start of the input. */
static inline FuzzSlot *
fuzz_allocator_take (FuzzAllocatorTable *table,
                     const guint64       key[FUZZ_KEY_WORDS],
                     NmMemoryConfig     *config,
                     FuzzWarmUp          warm_up,
                     FuzzFreshCheck      check)
{
  guint64 h = 0x9e3779b97f4a7c15;
  FuzzSlot *slot;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < FUZZ_KEY_WORDS; i++)
    h = (h ^ key[i]) * 0x100000001b3;
  slot = &table->slots[(h ^ (h >> 29)) % FUZZ_SLOTS];

  if (slot->alloc != NULL && fuzz_reuse_allowed () && slot->uses < FUZZ_SLOT_USES &&
      memcmp (slot->key, key, sizeof slot->key) == 0)
    {
      if (slot->clean)
        {
          slot->uses++;
          slot->clean = FALSE;
          fuzz_snapshot (slot->alloc, &slot->before);
          table->reused++;
          return slot;
        }
      table->refused++;
    }

  g_clear_object (&slot->alloc);
  slot->alloc = nm_allocator_new_from_config (config, &error);
  g_assert_no_error (error);
  {
    gpointer mem = nm_allocator_alloc (slot->alloc, 1, 1, NULL);

    if (mem != NULL)
      nm_allocator_free (slot->alloc, mem, 1, 1);
    if (warm_up != NULL)
      warm_up (slot->alloc);
    nm_allocator_reset (slot->alloc);
    nm_allocator_trim (slot->alloc);
  }
  memcpy (slot->key, key, sizeof slot->key);
  slot->uses = 1;
  fuzz_snapshot (slot->alloc, &slot->fresh);
  slot->before = slot->fresh;
  if (table->created++ == 0 && g_getenv ("NM_FUZZ_STATS") != NULL)
    fuzz_table_report (table);
  slot->clean = FALSE;
  if (check != NULL && !check (slot->alloc))
    g_error ("%s: a fresh allocator fails its own check", G_OBJECT_TYPE_NAME (slot->alloc));

  return slot;
}

/* Ends the input's use of @slot: resets its allocator, crashes when the
 * reset left memory in use, and keeps it for the next input only when it
 * is now equivalent to a fresh one. */
static inline void
fuzz_allocator_release (FuzzSlot       *slot,
                        FuzzFreshCheck  check)
{
  NmAllocatorStats now;

  nm_allocator_reset (slot->alloc);
  nm_allocator_trim (slot->alloc);
  fuzz_snapshot (slot->alloc, &now);
  if (now.bytes_used != 0 || now.cached_count != 0)
    g_error ("%s: %" G_GUINT64_FORMAT " bytes used, %" G_GUINT64_FORMAT " blocks cached "
             "after a reset", G_OBJECT_TYPE_NAME (slot->alloc), now.bytes_used, now.cached_count);
  slot->clean = now.capacity == slot->fresh.capacity &&
                now.bytes_reserved == slot->fresh.bytes_reserved &&
                (check == NULL || check (slot->alloc));
}

/* What the model expects of the cumulative counters over one input. */
typedef struct
{
  guint64 allocations;    /* successful allocations */
  guint64 failed;         /* allocations refused with a GError */
  guint64 frees;          /* frees accepted (checked when @count_frees) */
  guint64 resets;
  guint   criticals;      /* fuzz_criticals at the start: each one is an invalid free */
  gboolean count_frees;
} FuzzCounts;

static inline void
fuzz_counts_start (FuzzCounts *counts,
                   gboolean    count_frees)
{
  *counts = (FuzzCounts) { .criticals = fuzz_criticals, .count_frees = count_frees };
}

/* Compares the change of the counters since @before with the model. */
static inline void
fuzz_assert_counts (NmAllocator            *alloc,
                    const NmAllocatorStats *before,
                    const FuzzCounts       *counts)
{
  g_autoptr(NmAllocatorStats) now = nm_allocator_get_stats (alloc);
  struct { const char *name; guint64 got, want; } rows[] = {
    { "allocation-count", now->allocation_count - before->allocation_count, counts->allocations },
    { "failed-count", now->failed_count - before->failed_count, counts->failed },
    { "invalid-free-count", now->invalid_free_count - before->invalid_free_count,
      fuzz_criticals - counts->criticals },
    { "reset-count", now->reset_count - before->reset_count, counts->resets },
    { "free-count", now->free_count - before->free_count,
      counts->count_frees ? counts->frees : now->free_count - before->free_count },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (rows[i].got != rows[i].want)
      g_error ("%s rose by %" G_GUINT64_FORMAT " during the input, the model says %" G_GUINT64_FORMAT,
               rows[i].name, rows[i].got, rows[i].want);
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_install_log_writer ();
  return 0;
}
