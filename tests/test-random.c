/* test-random.c: random operation sequences checked against a model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test drives one allocator with a long random sequence of valid
 * operations and checks after every step what a user relies on: live
 * blocks never overlap, keep their contents and alignment, are owned by the
 * allocator, and the statistics match the model. The sequence comes from
 * g_test_rand_*, so a failure is replayed with the --seed it prints.
 */

#include <string.h>

#include <nebula-memory/nebula-memory.h>

#define N_STEPS 20000

typedef struct
{
  guint8 *mem;
  gsize   size;
  guint8  stamp;
} Block;

static guint8
next_stamp (void)
{
  static guint8 stamp;

  return ++stamp ? stamp : ++stamp;
}

static void
block_fill (Block *b)
{
  b->stamp = next_stamp ();
  memset (b->mem, b->stamp, b->size);
}

static void
block_check (const Block *b)
{
  for (gsize k = 0; k < b->size; k++)
    if (b->mem[k] != b->stamp)
      g_error ("block %p of %" G_GSIZE_FORMAT " bytes changed at byte %" G_GSIZE_FORMAT,
               b->mem, b->size, k);
}

static int
compare_blocks (gconstpointer a,
                gconstpointer b)
{
  const Block *x = a, *y = b;

  return (x->mem > y->mem) - (x->mem < y->mem);
}

/* No two live blocks overlap; all are intact and owned. */
static void
check_live (NmAllocator *alloc,
            GArray      *live)
{
  g_autoptr(GArray) sorted = g_array_copy (live);

  g_array_sort (sorted, compare_blocks);
  for (guint i = 0; i < sorted->len; i++)
    {
      Block *b = &g_array_index (sorted, Block, i);

      block_check (b);
      g_assert_true (nm_allocator_owns (alloc, b->mem));
      g_assert_true (nm_allocator_owns (alloc, b->mem + b->size - 1));
      if (i > 0)
        {
          Block *prev = &g_array_index (sorted, Block, i - 1);

          g_assert_true (prev->mem + prev->size <= b->mem);
        }
    }
}

static void
note_live (GArray *live,
           guint  *most)
{
  *most = MAX (*most, live->len);
}

static gsize
random_alignment (void)
{
  return (gsize) 1 << g_test_rand_int_range (0, 7);
}

/* Pool: alloc, free any live block, reset, trim, in a pool that grows. */
static void
test_random_pool (gconstpointer data)
{
  gboolean thread_safe = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) pool =
    nm_pool_allocator_new_full ("random-pool", 40, 8, 64, 1024, thread_safe, &error);
  NmAllocator *alloc = NM_ALLOCATOR (pool);
  g_autoptr(GArray) live = g_array_new (FALSE, FALSE, sizeof (Block));
  guint most = 0;
  gsize stride;

  g_assert_no_error (error);
  stride = nm_pool_allocator_get_block_size (pool);

  for (guint step = 0; step < N_STEPS; step++)
    {
      int op = g_test_rand_int_range (0, 100);

      if (op < 60)
        {
          Block b = { nm_pool_allocator_alloc (pool, &error), 40, 0 };

          if (live->len == 1024)
            {
              g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_POOL_EXHAUSTED);
              g_clear_error (&error);
              continue;
            }
          g_assert_no_error (error);
          g_assert_cmpuint ((guintptr) b.mem % 8, ==, 0);
          block_fill (&b);
          g_array_append_val (live, b);
        }
      else if (op < 97)
        {
          guint i;

          if (live->len == 0)
            continue;
          i = g_test_rand_int_range (0, live->len);
          block_check (&g_array_index (live, Block, i));
          nm_pool_allocator_free (pool, g_array_index (live, Block, i).mem);
          g_array_remove_index_fast (live, i);
        }
      else if (op < 98)
        {
          nm_pool_allocator_reset (pool);
          g_array_set_size (live, 0);
        }
      else
        nm_pool_allocator_trim (pool);

      if (step % 64 == 0 || live->len < 4)
        {
          g_autoptr(NmAllocatorStats) stats = nm_allocator_get_stats (alloc);

          check_live (alloc, live);
          g_assert_cmpuint (stats->bytes_used, ==, live->len * stride);
          g_assert_cmpuint (nm_pool_allocator_get_blocks_in_use (pool), ==, live->len);
        }

      note_live (live, &most);
    }

  g_test_message ("%u steps, at most %u live blocks", N_STEPS, most);
  g_assert_cmpuint (most, >, 20);
}

/* Stack: push with any alignment, pop the top, markers, resize the top. */
typedef struct
{
  NmStackMarker marker;
  guint         depth;   /* live blocks when it was pushed */
} Frame;

static void
test_random_stack (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmStackAllocator) stack = nm_stack_allocator_new (256 * 1024, &error);
  NmAllocator *alloc = NM_ALLOCATOR (stack);
  g_autoptr(GArray) live = g_array_new (FALSE, FALSE, sizeof (Block));
  guint most = 0;
  g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (Frame));

  g_assert_no_error (error);

  for (guint step = 0; step < N_STEPS; step++)
    {
      int op = g_test_rand_int_range (0, 100);
      Block *top = live->len ? &g_array_index (live, Block, live->len - 1) : NULL;
      guint floor = frames->len ? g_array_index (frames, Frame, frames->len - 1).depth : 0;

      if (op < 45)
        {
          gsize alignment = random_alignment ();
          Block b = { NULL, (gsize) g_test_rand_int_range (1, 300), 0 };

          b.mem = nm_stack_allocator_alloc (stack, b.size, alignment, &error);
          if (b.mem == NULL)
            {
              g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
              g_clear_error (&error);
              continue;
            }
          g_assert_cmpuint ((guintptr) b.mem % alignment, ==, 0);
          block_fill (&b);
          g_array_append_val (live, b);
        }
      else if (op < 80)
        {
          /* Pop the top of the current frame, through either entry point. */
          if (top == NULL || live->len == floor)
            continue;
          block_check (top);
          if (op < 62)
            nm_stack_allocator_free (stack, top->mem);
          else
            nm_allocator_free (alloc, top->mem, top->size, 1);
          g_array_set_size (live, live->len - 1);
        }
      else if (op < 87)
        {
          gsize new_size = (gsize) g_test_rand_int_range (1, 600);

          if (top == NULL || live->len == floor)
            continue;
          if (!nm_stack_allocator_resize (stack, top->mem, new_size, &error))
            {
              g_assert_error (error, NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_OUT_OF_MEMORY);
              g_clear_error (&error);
              continue;
            }
          top->size = new_size;
          block_fill (top);
        }
      else if (op < 93)
        {
          Frame f = { { 0 }, live->len };

          nm_stack_allocator_push_marker (stack, &f.marker);
          g_array_append_val (frames, f);
        }
      else if (op < 99)
        {
          Frame *f;

          if (frames->len == 0)
            continue;
          /* Sometimes an outer marker: everything above it goes too. */
          f = &g_array_index (frames, Frame, g_test_rand_int_range (0, frames->len));
          g_assert_true (nm_stack_allocator_pop_to_marker (stack, &f->marker, &error));
          g_assert_no_error (error);
          g_array_set_size (live, f->depth);
          g_array_set_size (frames, f - (Frame *) (gpointer) frames->data);
        }
      else
        {
          nm_allocator_reset (alloc);
          g_array_set_size (live, 0);
          g_array_set_size (frames, 0);
        }

      g_assert_cmpuint (nm_stack_allocator_get_depth (stack), ==, live->len);
      if (step % 32 == 0)
        check_live (alloc, live);

      note_live (live, &most);
    }

  g_test_message ("%u steps, at most %u live blocks", N_STEPS, most);
  g_assert_cmpuint (most, >, 20);
}

/* Bump: allocate with any alignment, free the newest, checkpoints, reset,
 * in an arena that grows by chunks. */
typedef struct
{
  NmBumpCheckpoint checkpoint;
  guint            depth;
} Saved;

static void
test_random_bump (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena =
    nm_bump_allocator_new_full ("random-bump", 4096, 8 * 1024 * 1024, FALSE, &error);
  NmAllocator *alloc = NM_ALLOCATOR (arena);
  g_autoptr(GArray) live = g_array_new (FALSE, FALSE, sizeof (Block));
  guint most = 0;
  g_autoptr(GArray) saved = g_array_new (FALSE, FALSE, sizeof (Saved));
  gboolean newest_freeable = FALSE;

  g_assert_no_error (error);

  for (guint step = 0; step < N_STEPS; step++)
    {
      int op = g_test_rand_int_range (0, 100);

      if (op < 60)
        {
          gsize alignment = random_alignment ();
          Block b = { NULL, (gsize) g_test_rand_int_range (1, 700), 0 };

          b.mem = nm_bump_allocator_alloc (arena, b.size, alignment, &error);
          g_assert_no_error (error);
          g_assert_cmpuint ((guintptr) b.mem % alignment, ==, 0);
          block_fill (&b);
          g_array_append_val (live, b);
          newest_freeable = TRUE;
        }
      else if (op < 70)
        {
          Block *b;

          /* Only the newest allocation gives bytes back, and only once. */
          if (!newest_freeable || live->len == 0)
            continue;
          b = &g_array_index (live, Block, live->len - 1);
          nm_allocator_free (alloc, b->mem, b->size, 1);
          g_assert_false (nm_allocator_owns (alloc, b->mem));
          g_array_set_size (live, live->len - 1);
          newest_freeable = FALSE;
        }
      else if (op < 82)
        {
          Saved s = { { 0 }, live->len };

          nm_bump_allocator_checkpoint (arena, &s.checkpoint);
          g_array_append_val (saved, s);
          newest_freeable = FALSE;
        }
      else if (op < 99)
        {
          guint i;

          if (saved->len == 0)
            continue;
          /* The newest checkpoint mostly, an older one sometimes. */
          i = g_test_rand_int_range (0, 4) ? saved->len - 1
                                            : (guint) g_test_rand_int_range (0, saved->len);
          g_assert_true (nm_bump_allocator_restore (arena, &g_array_index (saved, Saved, i).checkpoint,
                                                    &error));
          g_assert_no_error (error);
          g_array_set_size (live, g_array_index (saved, Saved, i).depth);
          g_array_set_size (saved, i + 1);   /* it stays valid; newer ones do not */
          newest_freeable = FALSE;
        }
      else
        {
          nm_allocator_reset (alloc);
          g_array_set_size (live, 0);
          g_array_set_size (saved, 0);
          newest_freeable = FALSE;
        }

      if (step % 32 == 0)
        check_live (alloc, live);

      note_live (live, &most);
    }

  g_test_message ("%u steps, at most %u live blocks", N_STEPS, most);
  g_assert_cmpuint (most, >, 20);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/nebula/random/pool/single-thread", GINT_TO_POINTER (FALSE), test_random_pool);
  g_test_add_data_func ("/nebula/random/pool/thread-safe", GINT_TO_POINTER (TRUE), test_random_pool);
  g_test_add_func ("/nebula/random/stack", test_random_stack);
  g_test_add_func ("/nebula/random/bump", test_random_bump);

  return g_test_run ();
}
