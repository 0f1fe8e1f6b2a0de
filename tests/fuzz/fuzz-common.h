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

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#define FUZZ_MAX_LIVE 64

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

static guint fuzz_criticals;

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

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_install_log_writer ();
  return 0;
}
