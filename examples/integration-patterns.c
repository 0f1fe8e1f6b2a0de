/* integration-patterns.c: where the allocators fit in a GLib program
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Three patterns people come for:
 *
 * 1. A request-scoped arena in a GSocketService server: everything one
 *    request needs (its words, its reply) comes from one bump allocator,
 *    and one reset after the reply frees it all. Each connection's state is
 *    an object from a pool of connection objects. The server listens on
 *    127.0.0.1 with a port the system picks, and a GSocketClient in a thread
 *    of the same program sends it real requests, then the program ends.
 * 2. A syntax tree built in a bump arena: nodes are never freed one by one.
 * 3. The connection-object pool's statistics: a fixed number of blocks
 *    serving many more connections over time.
 */

#include <stdlib.h>
#include <locale.h>
#include <string.h>

#include <gio/gio.h>
#include <nebula-memory/nebula-memory.h>

static guint failures;

static void
expect (gboolean    condition,
        const char *what)
{
  if (!condition)
    {
      g_printerr ("integration-patterns: unexpected: %s\n", what);
      failures++;
    }
}

/* ------------------------------------------------------------------ */
/* 1. The server                                                        */

typedef struct
{
  guint   serial;
  guint   n_requests;
  gint64  opened_at;
} Connection;

typedef struct
{
  NmBumpAllocator *request_arena;   /* reset after every request */
  NmPoolAllocator *connections;     /* one block per open connection */
  guint            served;
  guint            next_serial;
} Server;

/* Splits @line into words, copies in the arena. */
static char **
split_words (NmBumpAllocator  *arena,
             const char       *line,
             guint            *n_words,
             GError          **error)
{
  gsize len = strlen (line);
  char *copy = nm_bump_allocator_alloc (arena, len + 1, 1, error);
  char **words;
  guint n = 0;

  if (copy == NULL)
    return NULL;
  memcpy (copy, line, len + 1);

  /* At most len / 2 + 1 words. */
  if (!(words = nm_new_array (arena, char *, len / 2 + 2, error)))
    return NULL;
  for (char *save = NULL, *w = strtok_r (copy, " ", &save); w; w = strtok_r (NULL, " ", &save))
    words[n++] = w;
  words[n] = NULL;
  *n_words = n;

  return words;
}

/* The reply to one request, built in the arena. */
static char *
handle_request (NmBumpAllocator  *arena,
                const char       *line,
                GError          **error)
{
  guint n_words = 0;
  char **words = split_words (arena, line, &n_words, error);
  char *reply;

  if (words == NULL)
    return NULL;

  if (!(reply = nm_bump_allocator_alloc (arena, 256, 1, error)))
    return NULL;

  if (n_words >= 1 && strcmp (words[0], "SUM") == 0)
    {
      gint64 sum = 0;

      for (guint i = 1; i < n_words; i++)
        sum += g_ascii_strtoll (words[i], NULL, 10);
      g_snprintf (reply, 256, "OK %" G_GINT64_FORMAT, sum);
    }
  else if (n_words >= 1 && strcmp (words[0], "UPPER") == 0)
    {
      gsize len = g_strlcpy (reply, "OK", 256);

      for (guint i = 1; i < n_words && len + strlen (words[i]) + 2 < 256; i++)
        {
          reply[len++] = ' ';
          for (const char *c = words[i]; *c; c++)
            reply[len++] = g_ascii_toupper (*c);
          reply[len] = '\0';
        }
    }
  else
    g_snprintf (reply, 256, "ERR unknown command");

  return reply;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  Server *server = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  Connection *conn;

  /* Connection state from the pool: the same few blocks serve every
   * connection over the program's life. */
  conn = nm_new0 (server->connections, Connection, &error);
  if (conn == NULL)
    {
      g_printerr ("server: %s\n", error->message);
      return TRUE;
    }
  conn->serial = ++server->next_serial;
  conn->opened_at = g_get_monotonic_time ();

  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
      char *reply;

      if (line == NULL)
        break;

      reply = handle_request (server->request_arena, line, &error);
      if (reply == NULL ||
          !g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, &error) ||
          !g_output_stream_write_all (out, "\n", 1, NULL, NULL, &error))
        break;

      conn->n_requests++;
      server->served++;
      /* The whole request is gone in one step. */
      nm_allocator_reset (NM_ALLOCATOR (server->request_arena));
    }

  if (error != NULL)
    g_printerr ("server: %s\n", error->message);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  nm_delete (server->connections, Connection, conn);

  return TRUE;
}

/* The client side, in its own thread with blocking calls. */
typedef struct
{
  GSocketAddress *address;
  GPtrArray      *replies;
  GMainContext   *context;
  gboolean        done;
} Client;

static const char * const requests[] = {
  "SUM 1 2 3 4",
  "UPPER request scoped arena",
  "SUM 100 -58",
  "PING",
};

#define N_CONNECTIONS 6

static gpointer
client_thread (gpointer data)
{
  Client *client = data;
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();

  g_socket_client_set_timeout (socket_client, 10);

  for (guint c = 0; c < N_CONNECTIONS; c++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GDataInputStream) in = NULL;
      GOutputStream *out;

      connection = g_socket_client_connect (socket_client,
                                            G_SOCKET_CONNECTABLE (client->address),
                                            NULL, &error);
      if (connection == NULL)
        {
          g_ptr_array_add (client->replies, g_strdup_printf ("connect: %s", error->message));
          break;
        }
      out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
      in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));

      for (guint r = 0; r < G_N_ELEMENTS (requests); r++)
        {
          g_autofree char *line = g_strconcat (requests[r], "\n", NULL);
          char *reply;

          if (!g_output_stream_write_all (out, line, strlen (line), NULL, NULL, &error) ||
              !(reply = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error)))
            {
              g_ptr_array_add (client->replies,
                               g_strdup_printf ("io: %s", error ? error->message : "closed"));
              break;
            }
          g_ptr_array_add (client->replies, reply);
        }
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }

  /* Wake the main loop. */
  g_atomic_int_set (&client->done, TRUE);
  g_main_context_wakeup (client->context);

  return NULL;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
serve_on_loopback (NmPoolAllocator *connections)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;
  GMainContext *context = g_main_context_default ();
  Client client = { 0 };
  Server server = { 0 };
  gboolean timed_out = FALSE;
  GThread *thread;
  guint deadline;

  server.request_arena = nm_bump_allocator_new_full ("request-arena", 4096, 64 * 1024, FALSE,
                                                     &error);
  server.connections = connections;
  if (server.request_arena == NULL)
    g_error ("%s", error->message);

  /* Port 0: the system picks a free port; the bound address says which. */
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), any_port,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &bound, &error))
    g_error ("listen: %s", error->message);
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), &server);
  g_socket_service_start (service);

  client.address = bound;
  client.replies = g_ptr_array_new_with_free_func (g_free);
  client.context = context;
  thread = g_thread_new ("client", client_thread, &client);

  /* Bounded: the client ends after its requests; a deadline guards against
   * a hang. */
  deadline = g_timeout_add_seconds (30, on_deadline, &timed_out);
  while (!g_atomic_int_get (&client.done) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_thread_join (thread);
  if (!timed_out)
    g_source_remove (deadline);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));

  expect (!timed_out, "the client finished in time");
  expect (client.replies->len == N_CONNECTIONS * G_N_ELEMENTS (requests), "every reply");
  for (guint i = 0; i < G_N_ELEMENTS (requests) && i < client.replies->len; i++)
    g_print ("1. %s -> %s\n", requests[i], (char *) client.replies->pdata[i]);

  stats = nm_allocator_get_stats (NM_ALLOCATOR (server.request_arena));
  g_print ("1. served %u requests on %u connections; request-arena: %" G_GUINT64_FORMAT
           " resets, %" G_GUINT64_FORMAT " bytes in use\n",
           server.served, server.next_serial, stats->reset_count, stats->bytes_used);
  expect (server.served == N_CONNECTIONS * G_N_ELEMENTS (requests), "served count");
  expect (stats->bytes_used == 0, "arena empty between requests");

  g_ptr_array_unref (client.replies);
  g_object_unref (server.request_arena);
}

/* ------------------------------------------------------------------ */
/* 2. A syntax tree in an arena                                         */

typedef struct Node Node;
struct Node
{
  char  op;        /* '+', '-', '*', '/' or 0 for a number */
  long  value;
  Node *left, *right;
};

typedef struct
{
  NmBumpAllocator *arena;
  const char      *p;
  GError         **error;
} Parser;

static Node *parse_sum (Parser *parser);

static Node *
new_node (Parser *parser,
          char    op,
          long    value,
          Node   *left,
          Node   *right)
{
  Node *node = nm_new (parser->arena, Node, parser->error);

  if (node != NULL)
    *node = (Node) { op, value, left, right };
  return node;
}

static void
skip_spaces (Parser *parser)
{
  while (*parser->p == ' ')
    parser->p++;
}

static Node *
parse_factor (Parser *parser)
{
  skip_spaces (parser);
  if (*parser->p == '(')
    {
      Node *inner;

      parser->p++;
      inner = parse_sum (parser);
      skip_spaces (parser);
      if (inner != NULL && *parser->p == ')')
        parser->p++;
      return inner;
    }

  return new_node (parser, 0, strtol (parser->p, (char **) &parser->p, 10), NULL, NULL);
}

static Node *
parse_product (Parser *parser)
{
  Node *left = parse_factor (parser);

  for (skip_spaces (parser); left && (*parser->p == '*' || *parser->p == '/');
       skip_spaces (parser))
    {
      char op = *parser->p++;

      left = new_node (parser, op, 0, left, parse_factor (parser));
    }
  return left;
}

static Node *
parse_sum (Parser *parser)
{
  Node *left = parse_product (parser);

  for (skip_spaces (parser); left && (*parser->p == '+' || *parser->p == '-');
       skip_spaces (parser))
    {
      char op = *parser->p++;

      left = new_node (parser, op, 0, left, parse_product (parser));
    }
  return left;
}

static long
evaluate (const Node *node)
{
  switch (node->op)
    {
    case '+': return evaluate (node->left) + evaluate (node->right);
    case '-': return evaluate (node->left) - evaluate (node->right);
    case '*': return evaluate (node->left) * evaluate (node->right);
    case '/': return evaluate (node->left) / evaluate (node->right);
    default:  return node->value;
    }
}

static void
syntax_tree (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmBumpAllocator) arena = nm_bump_allocator_new_full ("ast-arena", 4096,
                                                                 1024 * 1024, FALSE, &error);
  const char *sources[] = { "(1 + 2) * (3 + 4) - 5", "100 / (2 * 5) + 7 * 6", NULL };

  for (guint i = 0; sources[i] != NULL; i++)
    {
      Parser parser = { arena, sources[i], &error };
      guint64 before, after;
      Node *root;

      g_object_get (arena, "allocation-count", &before, NULL);
      root = parse_sum (&parser);
      g_object_get (arena, "allocation-count", &after, NULL);
      if (root == NULL)
        g_error ("parse: %s", error->message);
      g_print ("2. %s = %ld (%" G_GUINT64_FORMAT " nodes in the arena)\n",
               sources[i], evaluate (root), after - before);
      /* The whole tree goes at once, however many nodes it had. */
      nm_allocator_reset (NM_ALLOCATOR (arena));
    }
}

/* ------------------------------------------------------------------ */

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NmPoolAllocator) connections = NULL;
  g_autoptr(NmAllocatorStats) stats = NULL;

  setlocale (LC_ALL, "");
  connections = nm_pool_allocator_new_full ("connections", sizeof (Connection),
                                            G_ALIGNOF (Connection), 4, 0, FALSE, &error);
  if (connections == NULL)
    g_error ("%s", error->message);

  serve_on_loopback (connections);
  syntax_tree ();

  stats = nm_allocator_get_stats (NM_ALLOCATOR (connections));
  g_print ("3. connection pool: %" G_GUINT64_FORMAT " connections served with %"
           G_GUINT64_FORMAT " blocks, %" G_GUINT64_FORMAT " in use now\n",
           stats->allocation_count, nm_pool_allocator_get_block_count (connections),
           nm_pool_allocator_get_blocks_in_use (connections));
  expect (stats->allocation_count == N_CONNECTIONS, "one block per connection");
  expect (nm_pool_allocator_get_blocks_in_use (connections) == 0, "every block back");

  if (failures > 0)
    return 1;
  g_print ("OK\n");
  return 0;
}
