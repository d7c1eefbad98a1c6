/* eva-server.c: the HTTP server — threads, listeners, shutdown
 *
 * Threads: one HTTP thread per core (EVERATO_THREADS), each with its own
 * GMainContext and SoupServer on its own listening socket bound to the same
 * address with SO_REUSEPORT, so the kernel spreads connections across them.
 * Handlers never block: database work goes to the pool (eva-db.c) and
 * comes back to the thread that owns the message. The main thread only
 * waits for signals.
 *
 * Keys: the access-token key comes from the database, sealed with the
 * master key (db/eva-key-store.c); a pool thread looks at its row every
 * EVA_KEY_STORE_REFRESH_SECONDS and the key in EvaHost is swapped
 * atomically when rotate-token-key replaced it.
 *
 * Shutdown (SIGTERM/SIGINT): new requests get 503 with Connection: close,
 * in-flight ones may finish for EVERATO_SHUTDOWN_TIMEOUT_MS, then the
 * servers disconnect, the threads stop and the pool drains and closes.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-server"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/socket.h>

#include "core/eva-auth.h"
#include "eva-common.h"
#include "core/eva-log.h"
#include "db/eva-key-store.h"
#include "mail/eva-outbox.h"
#include "jobs/eva-sweeper.h"
#include "jobs/eva-webhook-worker.h"
#include "services/tickets.h"
#include "http/eva-metrics.h"
#include "http/eva-request.h"
#include "http/eva-router.h"
#include "app/eva-routes.h"
#include "app/eva-server.h"

typedef struct
{
  EvaServer    *server;
  guint         index;
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *soup;
  GSocket      *socket;
  GHashTable   *clients;     /* GSocket * → Client *, see reap_clients_cb() */
} HttpThread;

/* A client connection as seen by its requests. */
typedef struct
{
  guint    inflight;
  gint64   last_used;     /* the end of its last request, or its start */
  gint64   reading_since; /* a request arriving: since its first bytes; 0 when read */
  gboolean over_cap;      /* over EVERATO_MAX_CONNECTIONS: answered 503 and closed */
} Client;

static GPrivate current_thread;   /* HttpThread * of the calling HTTP thread */

struct _EvaServer
{
  EvaConfig  *config;
  EvaDb      *db;
  EvaOutbox  *outbox;
  EvaWebhookWorker *webhooks;
  EvaSweeper *sweeper;
  EvaHost     host;         /* what every request is handed */
  EvaKeyStore *keys;        /* the sealed key rows and the master key */
  gint        refreshing_keys;
  GPtrArray  *threads;
  GMainLoop  *main_loop;
  gint        inflight;
  gint        draining;
  gint        closing;      /* the pools are being shut down: no new work */
  gint64      drain_deadline;
  guint16     port;
};

/* ------------------------------------------------------------------ */
/* Keys                                                               */
/* ------------------------------------------------------------------ */

/* rotate-token-key reaches running servers without a restart: every
 * EVA_KEY_STORE_REFRESH_SECONDS one pool thread reads the key row again
 * (one indexed row; nothing is opened unless it changed). */
static void
refresh_keys_work (EvaDbConn *conn,
                   gpointer   data)
{
  EvaServer *server = data;
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;
  gboolean ok;

  ok = eva_key_store_refresh (server->keys, conn, &changed, &error);
  if (changed)
    {
      g_atomic_pointer_set (&server->host.token_key,
                            eva_key_store_get_token_key (server->keys));
      if (ok)
        g_message ("the access-token key was replaced: staff access tokens signed with "
                   "the previous one are refused from now on");
    }
  if (!ok && g_error_matches (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE))
    g_debug ("cannot look at the access-token key: %s", error->message);
  else if (!ok)
    g_warning ("%s", error->message);
  g_atomic_int_set (&server->refreshing_keys, 0);
}

static gboolean
refresh_keys_cb (gpointer user_data)
{
  EvaServer *server = user_data;

  if (!g_atomic_int_get (&server->draining) &&
      g_atomic_int_compare_and_exchange (&server->refreshing_keys, 0, 1))
    eva_db_push (server->db, refresh_keys_work, server);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Client sockets                                                     */
/* ------------------------------------------------------------------ */

/* libsoup 3.2 (Debian 12) never closes a keep-alive connection that the
 * client closes while it is idle: the socket and its file descriptor stay
 * open for ever (fixed upstream in 3.3). Left alone, a busy server runs
 * out of descriptors. So each HTTP thread remembers the sockets it served
 * and, once a second, closes those whose peer has hung up and that have no
 * request in flight. libsoup still owns the GSocket objects. */

static void
client_finalized_cb (gpointer  user_data,
                     GObject  *where_the_object_was)
{
  HttpThread *t = user_data;

  g_hash_table_remove (t->clients, where_the_object_was);
}

static Client *
client_for (HttpThread *t,
            GSocket    *socket)
{
  Client *client = g_hash_table_lookup (t->clients, socket);

  if (client == NULL)
    {
      client = g_new0 (Client, 1);
      client->last_used = g_get_monotonic_time ();
      /* Past the cap (per process, shared out over the HTTP threads), a
       * new connection is answered 503 and closed (early_handler_cb()). */
      client->over_cap = g_hash_table_size (t->clients) >=
                         MAX (t->server->config->max_connections / t->server->threads->len, 1);
      g_hash_table_insert (t->clients, socket, client);
      g_object_weak_ref (G_OBJECT (socket), client_finalized_cb, t);
    }
  return client;
}

/* The first bytes of a request: its time to arrive whole starts. */
static void
request_started_cb (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  HttpThread *t = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    client_for (t, socket)->reading_since = g_get_monotonic_time ();
}

static void
track_client (HttpThread *t,
              EvaRequest *req)
{
  GSocket *socket = soup_server_message_get_socket (req->msg);
  Client *client;

  if (socket == NULL)
    return;

  client = client_for (t, socket);
  client->inflight++;
  client->reading_since = 0;
  client->last_used = g_get_monotonic_time ();
  req->client_socket = socket;
}

static void
untrack_client (EvaRequest *req)
{
  HttpThread *t = g_private_get (&current_thread);
  Client *client;

  if (t == NULL || req->client_socket == NULL)
    return;
  client = g_hash_table_lookup (t->clients, req->client_socket);
  if (client != NULL && client->inflight > 0)
    client->inflight--;
  if (client != NULL)
    client->last_used = g_get_monotonic_time ();
  req->client_socket = NULL;
}

static gboolean
peer_has_closed (GSocket *socket)
{
  char byte;
  gssize n;

  if (g_socket_is_closed (socket))
    return FALSE;
  n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Once a second: closes the connections whose peer has hung up, those
 * whose request has taken longer than EVERATO_REQUEST_TIMEOUT to arrive
 * (slow senders), and those idle between requests for longer than
 * EVERATO_IDLE_TIMEOUT. */
static gboolean
reap_clients_cb (gpointer user_data)
{
  HttpThread *t = user_data;
  EvaConfig *config = t->server->config;
  gint64 now = g_get_monotonic_time ();
  gint64 request_timeout = (gint64) config->request_timeout_s * G_USEC_PER_SEC;
  gint64 idle_timeout = (gint64) config->idle_timeout_s * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, t->clients);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GSocket *socket = key;
      Client *client = value;
      const char *why = NULL;

      if (client->inflight > 0)
        continue;
      /* Over the cap and silent: its file descriptor is not kept waiting
       * (one that spoke got its 503 from early_handler_cb()). */
      if (client->over_cap && now - client->last_used >= G_USEC_PER_SEC / 4)
        why = "over the connection cap";
      else if (client->reading_since > 0 && now - client->reading_since > request_timeout)
        why = "its request did not arrive in time";
      else if (client->reading_since == 0 && now - client->last_used > idle_timeout)
        why = "idle";
      else if (now - client->last_used >= G_USEC_PER_SEC / 2 && peer_has_closed (socket))
        why = "";
      if (why == NULL)
        continue;

      if (*why != '\0')
        g_debug ("closing a connection: %s", why);
      g_object_weak_unref (G_OBJECT (socket), client_finalized_cb, t);
      g_socket_close (socket, NULL);
      g_hash_table_iter_remove (&iter);
    }

  return G_SOURCE_CONTINUE;
}

static void
forget_clients (HttpThread *t)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, t->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_object_weak_unref (G_OBJECT (key), client_finalized_cb, t);
  g_hash_table_remove_all (t->clients);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */
/* ------------------------------------------------------------------ */

/* A chunked body that grows past EVERATO_MAX_BODY: libsoup would buffer it
 * whole before any handler sees it, so the connection is taken over while
 * the body arrives, answered 413 and closed. */
typedef struct
{
  GIOStream *stream;
  char      *reply;
  gint64     deadline;   /* monotonic µs: stop draining */
  gsize      drained;
  char       buffer[16384];
} Refusal;

/* What a client still sends after the answer is read and dropped for a
 * little while (a "lingering close"), so that closing does not reset the
 * connection before the client has read the answer. */
#define REFUSAL_DRAIN_BYTES (8 * 1024 * 1024)
#define REFUSAL_DRAIN_US    (2 * G_USEC_PER_SEC)

static void
refusal_free (Refusal *refusal)
{
  g_object_unref (refusal->stream);
  g_free (refusal->reply);
  g_free (refusal);
}

static void
refusal_closed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  refusal_free (user_data);
}

static void
refusal_drained_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Refusal *refusal = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n > 0)
    refusal->drained += n;
  if (n > 0 && refusal->drained < REFUSAL_DRAIN_BYTES &&
      g_get_monotonic_time () < refusal->deadline)
    {
      g_input_stream_read_async (G_INPUT_STREAM (source), refusal->buffer, sizeof refusal->buffer,
                                 G_PRIORITY_DEFAULT, NULL, refusal_drained_cb, refusal);
      return;
    }
  g_io_stream_close_async (refusal->stream, G_PRIORITY_DEFAULT, NULL, refusal_closed_cb, refusal);
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Refusal *refusal = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  if (G_IS_SOCKET_CONNECTION (refusal->stream))
    g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (refusal->stream)),
                       FALSE, TRUE, NULL);
  refusal->deadline = g_get_monotonic_time () + REFUSAL_DRAIN_US;
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream), refusal->buffer,
                             sizeof refusal->buffer, G_PRIORITY_DEFAULT, NULL,
                             refusal_drained_cb, refusal);
}

/* Answers @msg with @status_line and a JSON @body on the raw connection,
 * taken over from libsoup, and closes it: libsoup would otherwise read
 * (and keep) the whole request body first, whatever the early answer. */
static void
refuse_raw (SoupServerMessage *msg,
            const char        *status_line,
            const char        *extra_headers,
            const char        *json)
{
  Refusal *refusal = g_new0 (Refusal, 1);

  refusal->reply = g_strdup_printf ("HTTP/1.1 %s\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                    "Connection: close\r\n"
                                    "%s"
                                    "Server: everato/" PACKAGE_VERSION "\r\n"
                                    "\r\n%s", status_line, strlen (json), extra_headers, json);
  refusal->stream = soup_server_message_steal_connection (msg);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (refusal->stream),
                                   refusal->reply, strlen (refusal->reply), G_PRIORITY_DEFAULT,
                                   NULL, refusal_written_cb, refusal);
}

static char *
too_large_json (gsize max_body)
{
  return g_strdup_printf ("{\"error\":{\"code\":\"payload_too_large\",\"message\":"
                          "\"The request body is larger than %" G_GSIZE_FORMAT " bytes\","
                          "\"details\":{}}}", max_body);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  HttpThread *t = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  gsize max_body = t->server->config->max_body;
  g_autofree char *json = NULL;

  if (body->length <= (goffset) max_body)
    return;

  json = too_large_json (max_body);
  g_signal_handlers_disconnect_by_func (msg, got_chunk_cb, user_data);
  g_message ("refused a chunked request body over %" G_GSIZE_FORMAT " bytes from %s",
             max_body, soup_server_message_get_remote_host (msg));
  refuse_raw (msg, "413 Payload Too Large", "", json);
}

static void
early_handler_cb (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  HttpThread *t = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);

  /* Too many connections: answered at once, and closed. */
  {
    GSocket *socket = soup_server_message_get_socket (msg);
    Client *client = socket != NULL ? g_hash_table_lookup (t->clients, socket) : NULL;

    if (client != NULL && client->over_cap)
      {
        refuse_raw (msg, "503 Service Unavailable", "Retry-After: 1\r\n",
                    "{\"error\":{\"code\":\"server_busy\",\"message\":"
                    "\"The server has too many connections; try again in a moment\","
                    "\"details\":{}}}");
        return;
      }
  }

  /* Refuse an oversize body before reading it. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      length > (goffset) t->server->config->max_body)
    {
      g_autofree char *json = too_large_json (t->server->config->max_body);

      refuse_raw (msg, "413 Payload Too Large", "", json);
    }
  /* Without a length, count while it arrives. */
  else if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_encoding (headers) != SOUP_ENCODING_NONE)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), t);
}

static void
handler_cb (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  HttpThread *t = user_data;
  EvaServer *server = t->server;
  g_autoptr(EvaRequest) req = eva_request_new (&server->host, msg, path, query);

  g_atomic_int_inc (&server->inflight);
  track_client (t, req);

  if (g_atomic_int_get (&server->draining))
    {
      eva_request_add_header (req, "Connection", "close");
      eva_request_add_header (req, "Retry-After", "5");
      eva_request_reply_error (req, 503, "shutting_down", NULL,
                               "The server is shutting down; try again");
    }
  else
    eva_router_dispatch (req);

  if (!req->pending)
    eva_request_finish (req);
}

static void
request_done_cb (gpointer    owner,
                 EvaRequest *req)
{
  eva_server_request_done (owner, req);
}

void
eva_server_request_done (EvaServer  *server,
                         EvaRequest *req)
{
  gint64 elapsed = g_get_monotonic_time () - req->started_us;
  char status[8];
  char duration[32];

  g_snprintf (status, sizeof status, "%u", req->status);
  g_snprintf (duration, sizeof duration, "%.3f", elapsed / 1000.0);

  /* GLib reads no pair after MESSAGE: it has to come last. */
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO,
                    "REQUEST_ID", req->request_id,
                    "METHOD", req->method,
                    "PATH", req->path,
                    "STATUS", status,
                    "DURATION_MS", duration,
                    "CLIENT", req->client_ip,
                    "MESSAGE", "%s %s %u %.1fms [%s]", req->method, req->path,
                    req->status, elapsed / 1000.0, req->request_id);

  eva_metrics_observe_request (req->method, req->route != NULL ? req->route->pattern : NULL, req->status, elapsed);
  untrack_client (req);
  g_atomic_int_dec_and_test (&server->inflight);
}

/* ------------------------------------------------------------------ */
/* Threads and sockets                                                */
/* ------------------------------------------------------------------ */

static GSocket *
listen_socket (const char  *host,
               guint16      port,
               GError     **error)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocket) socket = NULL;
  struct sockaddr_storage native;
  gssize native_len;
  int one = 1;

  socket = g_socket_new (g_inet_address_get_family (address),
                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;

  if (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "SO_REUSEPORT: %s", g_strerror (errno));
      return NULL;
    }

  /* g_socket_bind() would turn SO_REUSEPORT off again for TCP. */
  sockaddr = g_inet_socket_address_new (address, port);
  native_len = g_socket_address_get_native_size (sockaddr);
  if (!g_socket_address_to_native (sockaddr, &native, sizeof native, error))
    return NULL;
  if (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind (g_socket_get_fd (socket), (struct sockaddr *) &native, native_len) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s", g_strerror (saved));
      return NULL;
    }
  g_socket_set_listen_backlog (socket, 1024);
  if (!g_socket_listen (socket, error))
    return NULL;

  return g_steal_pointer (&socket);
}

static gpointer
http_thread (gpointer user_data)
{
  HttpThread *t = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) reaper = NULL;
  gint64 deadline;

  g_main_context_push_thread_default (t->context);
  g_private_set (&current_thread, t);
  t->clients = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  reaper = g_timeout_source_new_seconds (1);
  g_source_set_callback (reaper, reap_clients_cb, t, NULL);
  g_source_attach (reaper, t->context);

  t->soup = soup_server_new ("server-header", "everato/" PACKAGE_VERSION, NULL);
  g_signal_connect (t->soup, "request-started", G_CALLBACK (request_started_cb), t);
  soup_server_add_early_handler (t->soup, NULL, early_handler_cb, t, NULL);
  soup_server_add_handler (t->soup, NULL, handler_cb, t, NULL);
  if (!soup_server_listen_socket (t->soup, t->socket, 0, &error))
    g_error ("cannot serve on the listening socket: %s", error->message);

  g_main_loop_run (t->loop);

  /* Give replies that were just finished a moment to be written. */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 4;
  while (g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (t->context, FALSE))
      g_usleep (5000);

  g_source_destroy (reaper);
  forget_clients (t);
  soup_server_disconnect (t->soup);
  g_clear_object (&t->soup);
  /* Let libsoup finish closing connections: their last references go in
   * callbacks that still have to run on this context. */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 10;
  while (g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (t->context, FALSE))
      g_usleep (2000);
  g_clear_pointer (&t->clients, g_hash_table_unref);
  g_private_set (&current_thread, NULL);
  g_main_context_pop_thread_default (t->context);
  return NULL;
}

static void
http_thread_free (HttpThread *t)
{
  g_clear_pointer (&t->loop, g_main_loop_unref);
  g_clear_pointer (&t->context, g_main_context_unref);
  g_clear_object (&t->socket);
  g_free (t);
}

static gboolean
stop_thread_cb (gpointer user_data)
{
  HttpThread *t = user_data;

  g_main_loop_quit (t->loop);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Shutdown                                                           */
/* ------------------------------------------------------------------ */

static gboolean
drain_tick_cb (gpointer user_data)
{
  EvaServer *server = user_data;
  gint inflight = g_atomic_int_get (&server->inflight);

  if (inflight > 0 && g_get_monotonic_time () < server->drain_deadline)
    return G_SOURCE_CONTINUE;

  if (inflight > 0)
    {
      /* Bounded: whatever still runs in the database is cancelled, so the
       * pool threads come back and the process can stop. */
      g_warning ("shutting down with %d request(s) still running", inflight);
      eva_db_cancel_all (server->db);
    }
  g_main_loop_quit (server->main_loop);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  EvaServer *server = user_data;

  if (g_atomic_int_get (&server->draining))
    {
      g_message ("second signal: stopping now");
      g_main_loop_quit (server->main_loop);
      return G_SOURCE_CONTINUE;
    }

  g_message ("shutting down: finishing %d request(s)", g_atomic_int_get (&server->inflight));
  g_atomic_int_set (&server->draining, 1);
  server->drain_deadline = g_get_monotonic_time () +
                           (gint64) server->config->shutdown_timeout_ms * 1000;
  g_timeout_add (20, drain_tick_cb, server);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaServer *
eva_server_new (EvaConfig  *config,
                GError    **error)
{
  g_autoptr(EvaServer) server = g_new0 (EvaServer, 1);
  g_autoptr(EvaDbConn) conn = NULL;
  guint16 port = config->listen_port;

  server->config = config;
  server->threads = g_ptr_array_new_with_free_func ((GDestroyNotify) http_thread_free);

  server->keys = eva_key_store_new (config);
  conn = eva_db_conn_open (config->database_url, error);
  if (conn == NULL || !eva_key_store_unlock (server->keys, conn, error))
    return NULL;
  g_message ("the key rows are sealed with master key %s",
             eva_key_store_get_master_key_id (server->keys));
  eva_key_store_set_running (server->keys);

  for (guint i = 0; i < config->threads; i++)
    {
      HttpThread *t = g_new0 (HttpThread, 1);

      g_ptr_array_add (server->threads, t);
      t->server = server;
      t->index = i;
      t->socket = listen_socket (config->listen_host, port, error);
      if (t->socket == NULL)
        {
          g_prefix_error (error, "cannot listen on %s:%u: ", config->listen_host, port);
          return NULL;
        }

      /* Port 0 picks a free port once; the other threads share it. */
      if (port == 0)
        {
          g_autoptr(GSocketAddress) local = g_socket_get_local_address (t->socket, error);

          if (local == NULL)
            return NULL;
          port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
        }
    }
  server->port = port;

  server->outbox = eva_outbox_new (config, error);
  if (server->outbox == NULL)
    return NULL;
  server->webhooks = eva_webhook_worker_new (config, error);
  if (server->webhooks == NULL)
    return NULL;

  server->db = eva_db_new (config->database_url, config->db_pool_size);
  server->host.config = config;
  server->host.db = server->db;
  server->host.token_key = eva_key_store_get_token_key (server->keys);
  server->host.router = eva_routes_router ();
  server->host.db_queue_max = config->db_queue_max;
  server->host.hash_pool = eva_request_hash_pool_new (config->hash_workers);
  server->host.hash_queue_max = config->hash_queue_max;
  server->host.gateway_pool = eva_request_hash_pool_new (8);
  server->host.gateway_queue_max = 256;
  server->host.closing = &server->closing;
  server->host.request_done = request_done_cb;
  server->host.owner = server;
  return g_steal_pointer (&server);
}

typedef struct
{
  GMutex mutex;
  GCond  cond;
  guint  left;
} Barrier;

static gboolean
barrier_cb (gpointer user_data)
{
  Barrier *barrier = user_data;

  g_mutex_lock (&barrier->mutex);
  barrier->left--;
  g_cond_signal (&barrier->cond);
  g_mutex_unlock (&barrier->mutex);
  return G_SOURCE_REMOVE;
}

/* Waits until every HTTP thread has run what was queued on it before now
 * (an HTTP thread never blocks, so this is quick). */
static void
http_barrier (EvaServer *server)
{
  Barrier barrier;

  g_mutex_init (&barrier.mutex);
  g_cond_init (&barrier.cond);
  barrier.left = server->threads->len;
  for (guint i = 0; i < server->threads->len; i++)
    {
      HttpThread *t = g_ptr_array_index (server->threads, i);

      g_main_context_invoke (t->context, barrier_cb, &barrier);
    }
  g_mutex_lock (&barrier.mutex);
  while (barrier.left > 0)
    g_cond_wait (&barrier.cond, &barrier.mutex);
  g_mutex_unlock (&barrier.mutex);
  g_mutex_clear (&barrier.mutex);
  g_cond_clear (&barrier.cond);
}

int
eva_server_run (EvaServer *server)
{
  guint sigterm, sigint, flusher, key_refresher;

  server->main_loop = g_main_loop_new (NULL, FALSE);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, server);
  sigint = g_unix_signal_add (SIGINT, signal_cb, server);
  flusher = eva_log_start_flushing ();
  key_refresher = g_timeout_add_seconds (EVA_KEY_STORE_REFRESH_SECONDS, refresh_keys_cb, server);

  for (guint i = 0; i < server->threads->len; i++)
    {
      HttpThread *t = g_ptr_array_index (server->threads, i);
      g_autofree char *name = g_strdup_printf ("eva-http-%u", i);

      t->context = g_main_context_new ();
      t->loop = g_main_loop_new (t->context, FALSE);
      t->thread = g_thread_new (name, http_thread, t);
    }

  /* Mail delivery: worker threads of its own, never an HTTP thread. */
  eva_outbox_start (server->outbox);
  /* Outgoing webhooks: the same, with threads of their own. */
  eva_webhook_worker_start (server->webhooks);

  /* Stale holds: expired every second by a thread of its own. */
  server->sweeper = eva_sweeper_start (server->config, 1000);

  g_message ("listening on http://%s%s%s:%u with %u HTTP threads and %u database connections",
             strchr (server->config->listen_host, ':') ? "[" : "",
             server->config->listen_host,
             strchr (server->config->listen_host, ':') ? "]" : "",
             server->port, server->threads->len, eva_db_get_size (server->db));

  g_main_loop_run (server->main_loop);

  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_source_remove (key_refresher);

  /* Each mail worker finishes the mail in hand, then stops. */
  eva_outbox_stop (server->outbox);
  eva_webhook_worker_stop (server->webhooks);
  g_clear_pointer (&server->sweeper, eva_sweeper_stop);

  /* No new work from here on (a request still between its stages gets 503
   * shutting_down); every HTTP thread has seen that once the barrier has
   * passed. Then password hashing (its next stage may need the database),
   * another barrier so those next stages have run, then the database pool:
   * their last replies still reach the running HTTP threads, which then
   * send them before they stop. */
  g_atomic_int_set (&server->closing, 1);
  http_barrier (server);
  if (server->host.hash_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&server->host.hash_pool), FALSE, TRUE);
  if (server->host.gateway_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&server->host.gateway_pool), FALSE, TRUE);
  http_barrier (server);
  g_clear_pointer (&server->db, eva_db_free);

  for (guint i = 0; i < server->threads->len; i++)
    {
      HttpThread *t = g_ptr_array_index (server->threads, i);

      g_main_context_invoke (t->context, stop_thread_cb, t);
      g_thread_join (g_steal_pointer (&t->thread));
    }

  g_source_remove (flusher);
  g_message ("stopped");
  eva_log_flush ();
  return 0;
}

void
eva_server_free (EvaServer *server)
{
  if (server == NULL)
    return;

  /* The webhook workers first: the outbox owns curl's global state. */
  g_clear_pointer (&server->webhooks, eva_webhook_worker_free);
  g_clear_pointer (&server->outbox, eva_outbox_free);
  if (server->host.hash_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&server->host.hash_pool), FALSE, TRUE);
  if (server->host.gateway_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&server->host.gateway_pool), FALSE, TRUE);
  g_clear_pointer (&server->db, eva_db_free);
  g_clear_pointer (&server->threads, g_ptr_array_unref);
  g_clear_pointer (&server->main_loop, g_main_loop_unref);
  eva_key_store_set_running (NULL);
  g_clear_pointer (&server->keys, eva_key_store_free);
  g_free (server);
}

EvaConfig *
eva_server_get_config (EvaServer *server)
{
  return server->config;
}

EvaDb *
eva_server_get_db (EvaServer *server)
{
  return server->db;
}

const guint8 *
eva_server_get_token_key (EvaServer *server)
{
  return g_atomic_pointer_get (&server->host.token_key);
}

gboolean
eva_server_is_draining (EvaServer *server)
{
  return g_atomic_int_get (&server->draining);
}
