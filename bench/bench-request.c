/* bench-request.c: the structures a program builds and drops at once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * request: a request arena. 64 items, each a 32-byte struct and a string
 * of the scenario's size copied into it (as g_strdup would), linked in a
 * list, read back, then all released: at once for the arenas (talloc: the
 * strings are children of their items), one free each for the others.
 * ns per allocation.
 *
 * ast: a syntax tree of 512 nodes (at least 32 bytes: a 24-byte header of first child,
 * next sibling, size), each added under a pseudo-random earlier node, walked,
 * then dropped: released at once by the arenas (talloc: nodes are children of
 * their parent node), walked and freed node by node by the others.
 * ns per node.
 */

#include "bench-pattern.h"

#define ITEMS 64

typedef struct _Item Item;

struct _Item
{
  Item  *next;
  char  *text;
  gsize  len;
  guint64 id;
};

static const char source_text[512] =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor";

BENCH_INLINE double
request_body (const BenchOps    *ops,
              const BenchParams *params,
              guint64            n,
              BenchCheck        *check)
{
  gpointer ctx = ops->open (ITEMS * 1024, params->mix);
  guint64 k = 0;
  double t0 = bench_now_ns (), t;

  for (guint64 it = 0; it < n; it++)
    {
      Item *head = NULL;

      for (guint i = 0; i < ITEMS; i++, k++)
        {
          gsize len = bench_size (params, k);
          Item *item = ops->alloc (ctx, NULL, sizeof (Item));

          if (G_UNLIKELY (item == NULL))
            bench_out_of_memory (sizeof (Item));
          item->text = ops->alloc (ctx, item, len);
          if (G_UNLIKELY (item->text == NULL))
            bench_out_of_memory (len);
          memcpy (item->text, source_text, len - 1);
          item->text[len - 1] = (char) BENCH_TAG (k);
          item->len = len;
          item->id = k;
          item->next = head;
          head = item;
        }

      for (Item *item = head; item != NULL; item = item->next)
        bench_verify ((const guint8 *) item->text, item->len, BENCH_TAG (item->id), check);

      if (ops->release != NULL)
        ops->release (ctx);
      else
        while (head != NULL)
          {
            Item *next = head->next;

            ops->free (ctx, head->text, head->len);
            ops->free (ctx, head, sizeof (Item));
            head = next;
          }
    }
  t = bench_now_ns () - t0;

  ops->close (ctx);
  check->ops += n * ITEMS * 2;
  return t;
}

#define BENCH_PATTERN request
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_request = {
  "request", "allocation", BENCH_CAN_FREE | BENCH_CAN_RELEASE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN

#define NODES 512

typedef struct _Node Node;

struct _Node
{
  Node   *child;
  Node   *sibling;
  guint32 size;
  guint32 id;
};

BENCH_INLINE double
ast_body (const BenchOps    *ops,
          const BenchParams *params,
          guint64            n,
          BenchCheck        *check)
{
  Node *nodes[NODES];
  Node *stack[NODES];
  gpointer ctx = ops->open (NODES * 1024, params->mix);
  guint64 k = 0;
  double t0 = bench_now_ns (), t;

  for (guint64 it = 0; it < n; it++)
    {
      guint depth;

      for (guint i = 0; i < NODES; i++, k++)
        {
          gsize size = MAX (bench_size (params, k), sizeof (Node) + 8);
          Node *parent = i == 0 ? NULL : nodes[params->random[k & BENCH_SIZE_MASK] % i];
          Node *node = (Node *) bench_alloc (ops, ctx, parent, size, BENCH_TAG (k));

          node->child = NULL;
          node->size = (guint32) size;
          node->id = (guint32) k;
          if (parent != NULL)
            {
              node->sibling = parent->child;
              parent->child = node;
            }
          else
            node->sibling = NULL;
          nodes[i] = node;
        }

      /* Walk it, as a compiler pass would. */
      depth = 0;
      stack[depth++] = nodes[0];
      while (depth > 0)
        {
          Node *node = stack[--depth];

          bench_verify ((const guint8 *) node, node->size, BENCH_TAG (node->id), check);
          for (Node *c = node->child; c != NULL; c = c->sibling)
            stack[depth++] = c;
        }

      if (ops->release != NULL)
        ops->release (ctx);
      else
        {
          depth = 0;
          stack[depth++] = nodes[0];
          while (depth > 0)
            {
              Node *node = stack[--depth];

              for (Node *c = node->child; c != NULL; c = c->sibling)
                stack[depth++] = c;
              ops->free (ctx, node, node->size);
            }
        }
    }
  t = bench_now_ns () - t0;

  ops->close (ctx);
  check->ops += n * NODES;
  return t;
}

#define BENCH_PATTERN ast
BENCH_CANDIDATES (BENCH_INSTANTIATE)

const BenchPattern bench_pattern_ast = {
  "ast", "node", BENCH_CAN_FREE | BENCH_CAN_RELEASE, FALSE, BENCH_PATTERN_RUNS
};
#undef BENCH_PATTERN
