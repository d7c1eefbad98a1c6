/* test-security.c: what a security review of the server found, kept fixed
 *
 * Memory a client can make the server spend (chunked bodies past the
 * limit, password hashing on behalf of anonymous callers, a database work
 * queue without a bound), registration as an amplifier, transactions that
 * PostgreSQL rolled back behind our back, keys at rest and connection
 * limits. Each case fails on the code before its fix.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "core/eva-auth.h"
#include "db/eva-db.h"
#include "eva-common.h"
#include "eva-test.h"

#define PASSWORD "correct horse battery staple"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* The resident set of a process in kB, from /proc. */
static gint64
rss_kb (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
}

static GIOStream *
connect_raw (EvaTestServer *server)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_timeout (client, 60);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  return G_IO_STREAM (connection);
}

/* Reads what the server sends until it closes or @limit bytes. */
static char *
read_all (GIOStream *stream,
          gsize      limit)
{
  GInputStream *in = g_io_stream_get_input_stream (stream);
  GString *out = g_string_new (NULL);
  char buffer[4096];

  while (out->len < limit)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL);

      if (n <= 0)
        break;
      g_string_append_len (out, buffer, n);
    }
  return g_string_free (out, FALSE);
}


/* Sends @body to @path from the local address @from (any 127.x.y.z), so
 * that the server sees several clients; with X-Forwarded-For when
 * @forwarded_for is given and the headers of @extra ("name", "value", …,
 * NULL). The response headers go to @headers_out when it is not NULL. */
static guint
post_forwarded (EvaTestServer       *server,
                const char          *from,
                const char          *forwarded_for,
                const char * const  *extra,
                const char          *path,
                const char          *body,
                char               **retry_after,
                SoupMessageHeaders **headers_out)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (from);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (address, 0);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("local-address", local,
                                                                  "timeout", 60, NULL);
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  if (forwarded_for != NULL)
    soup_message_headers_append (headers, "X-Forwarded-For", forwarded_for);
  for (guint i = 0; extra != NULL && extra[i] != NULL && extra[i + 1] != NULL; i += 2)
    soup_message_headers_append (headers, extra[i], extra[i + 1]);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (retry_after != NULL)
    *retry_after = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                           "Retry-After"));
  if (headers_out != NULL)
    *headers_out = soup_message_headers_ref (soup_message_get_response_headers (msg));
  return soup_message_get_status (msg);
}

static guint
post_from (EvaTestServer *server,
           const char    *from,
           const char    *path,
           const char    *body,
           char         **retry_after)
{
  return post_forwarded (server, from, NULL, NULL, path, body, retry_after, NULL);
}

/* Many requests at once, each on a connection of its own. */
typedef struct
{
  GMainLoop *loop;
  guint      pending;
  guint      statuses[600];
  guint      order;          /* completions so far */
  guint      probe_done_at;  /* completions when the probe finished */
  gboolean   probe_done;
} Burst;

static void
burst_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Burst *burst = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  guint status = soup_message_get_status (msg);

  burst->statuses[MIN (status, 599)]++;
  burst->order++;
  if (--burst->pending == 0)
    g_main_loop_quit (burst->loop);
}

static void
probe_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Burst *burst = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  burst->probe_done = TRUE;
  burst->probe_done_at = burst->order;
  if (--burst->pending == 0)
    g_main_loop_quit (burst->loop);
}

static SoupMessage *
json_message (EvaTestServer *server,
              const char    *method,
              const char    *path,
              const char    *body)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return msg;
}

static gint64
peak_kb (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "VmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen ("VmHWM:"), NULL, 10);
}

/* ------------------------------------------------------------------ */
/* Chunked bodies                                                     */
/* ------------------------------------------------------------------ */

/* A chunked body is counted while it arrives: past EVERATO_MAX_BODY the
 * server answers 413 and closes, having buffered no more than the limit
 * and one read. Before, it took the whole body first. */
static void
test_chunked_body_limit (void)
{
  const char *env[] = { "EVERATO_MAX_BODY=65536", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (env);
  g_autoptr(GIOStream) stream = connect_raw (server);
  GOutputStream *out = g_io_stream_get_output_stream (stream);
  g_autofree char *chunk = g_malloc (65536 + 32);
  g_autofree char *reply = NULL;
  gint64 before = rss_kb (server->pid);
  gint64 after;
  gsize sent = 0;
  const char *head =
    "POST /api/v1/auth/login HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Content-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n";

  g_assert_true (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL));
  /* Up to 64 MiB, in chunks of 64 KiB ("10000" hex), while the server reads. */
  memcpy (chunk, "10000\r\n", 7);
  memset (chunk + 7, ' ', 65536);
  memcpy (chunk + 7 + 65536, "\r\n", 2);
  while (sent < 64 * 1024 * 1024)
    {
      if (!g_output_stream_write_all (out, chunk, 7 + 65536 + 2, NULL, NULL, NULL))
        break;   /* the server closed */
      sent += 65536;
    }
  if (sent == 64 * 1024 * 1024)   /* never refused: end the body */
    g_output_stream_write_all (out, "0\r\n\r\n", 5, NULL, NULL, NULL);
  reply = read_all (stream, 65536);
  after = rss_kb (server->pid);
  g_test_message ("sent %" G_GSIZE_FORMAT " KiB before the server closed; RSS %" G_GINT64_FORMAT
                  " → %" G_GINT64_FORMAT " kB", sent / 1024, before, after);

  g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (reply, "\"code\":\"payload_too_large\""));
  g_assert_nonnull (strstr (reply, "Connection: close"));
  g_assert_cmpuint (sent, <, 64 * 1024 * 1024);
  g_assert_cmpint (after - before, <, 16 * 1024);

  /* The same with a declared length over the limit: answered before the
   * body is read (and kept), not after. */
  {
    g_autoptr(GIOStream) declared = connect_raw (server);
    GOutputStream *dout = g_io_stream_get_output_stream (declared);
    const char *dhead =
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n";
    g_autofree char *dreply = NULL;
    gint64 dbefore = rss_kb (server->pid);
    gsize dsent = 0;

    g_assert_true (g_output_stream_write_all (dout, dhead, strlen (dhead), NULL, NULL, NULL));
    while (dsent < 64 * 1024 * 1024 &&
           g_output_stream_write_all (dout, chunk + 7, 65536, NULL, NULL, NULL))
      dsent += 65536;
    dreply = read_all (declared, 65536);
    g_test_message ("declared 100 MiB: sent %" G_GSIZE_FORMAT " KiB before the server closed; "
                    "RSS %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT " kB",
                    dsent / 1024, dbefore, rss_kb (server->pid));
    g_assert_true (g_str_has_prefix (dreply, "HTTP/1.1 413"));
    g_assert_nonnull (strstr (dreply, "\"code\":\"payload_too_large\""));
    g_assert_cmpuint (dsent, <, 64 * 1024 * 1024);
    g_assert_cmpint (rss_kb (server->pid) - dbefore, <, 16 * 1024);
  }

  /* A chunked body within the limit is read as usual. */
  {
    g_autoptr(GIOStream) small = connect_raw (server);
    const char *body = "{\"email\":\"nobody@example.test\",\"password\":\"" PASSWORD "\"}";
    g_autofree char *request =
      g_strdup_printf ("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                       "Connection: close\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n", strlen (body), body);
    g_autofree char *answer = NULL;

    g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (small), request,
                                              strlen (request), NULL, NULL, NULL));
    answer = read_all (small, 65536);
    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 401"));
    g_assert_nonnull (strstr (answer, "invalid_credentials"));
  }

  /* The server is fine afterwards. */
  {
    g_autoptr(EvaTestResponse) health = eva_test_request (server, "GET", "/healthz", NULL, NULL,
                                                          NULL, 0);

    eva_test_assert_status (health, 200);
  }
  eva_test_server_stop (server);
}

/* ------------------------------------------------------------------ */
/* Transactions                                                       */
/* ------------------------------------------------------------------ */

/* COMMIT of a transaction that an earlier statement aborted answers
 * COMMAND_OK with the tag ROLLBACK: nothing was written, so it must not
 * count as success. */
static void
test_commit_of_aborted_transaction (void)
{
  g_autofree char *dbname = eva_test_db_create ();
  g_autofree char *conninfo = eva_test_db_conninfo (dbname);
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = eva_db_conn_open (conninfo, &error);
  g_autoptr(PGresult) failed = NULL;
  g_autoptr(PGresult) created = NULL;

  g_assert_no_error (error);
  created = eva_db_exec_once (conn, "CREATE TABLE t (x int PRIMARY KEY)", 0, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (eva_db_begin (conn, &error));
  g_clear_pointer (&created, PQclear);
  created = eva_db_exec_once (conn, "INSERT INTO t VALUES (1)", 0, NULL, &error);
  g_assert_no_error (error);
  failed = eva_db_exec_once (conn, "SELECT 1 / 0", 0, NULL, &error);
  g_assert_null (failed);
  g_clear_error (&error);
  g_assert_false (eva_db_commit (conn, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INTERNAL);
  g_clear_error (&error);

  /* A clean one still commits. */
  g_assert_true (eva_db_begin (conn, &error));
  g_clear_pointer (&created, PQclear);
  created = eva_db_exec_once (conn, "INSERT INTO t VALUES (2)", 0, NULL, &error);
  g_assert_true (eva_db_commit (conn, &error));
  g_assert_no_error (error);
  {
    PGconn *pg = eva_test_db_connect (dbname);
    g_autofree char *rows = eva_test_sql (pg, "SELECT string_agg (x::text, ',') FROM t", NULL);

    g_assert_cmpstr (rows, ==, "2");
    PQfinish (pg);
  }
  g_clear_pointer (&conn, eva_db_conn_free);
  eva_test_db_drop (dbname);
}

/* ------------------------------------------------------------------ */
/* Registration and password hashing                                  */
/* ------------------------------------------------------------------ */

/* Sign-up is throttled per client address and for the installation,
 * before any argon2id is spent or mail queued. */
static void
test_signup_throttle (void)
{
  const char *env[] = { "EVERATO_SIGNUP_LIMIT=3", "EVERATO_SIGNUP_LIMIT_GLOBAL=5", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (env);
  g_autofree char *retry = NULL;
  g_autofree char *mails = NULL;
  guint n = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"email\":\"a%u@example.test\",\"password\":\""
                                               PASSWORD "\"}", n++);

      g_assert_cmpuint (post_from (server, "127.0.0.1", "/api/v1/auth/register", body, NULL), ==, 202);
    }
  {
    g_autofree char *body = g_strdup_printf ("{\"email\":\"a%u@example.test\",\"password\":\""
                                             PASSWORD "\"}", n++);

    g_assert_cmpuint (post_from (server, "127.0.0.1", "/api/v1/auth/register", body, &retry), ==, 429);
    g_assert_nonnull (retry);
    g_assert_cmpint (g_ascii_strtoll (retry, NULL, 10), >, 0);
  }
  /* Another address may still sign up, until the whole installation's
   * budget (5) is spent. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"email\":\"b%u@example.test\",\"password\":\""
                                               PASSWORD "\"}", n++);

      g_assert_cmpuint (post_from (server, "127.0.0.2", "/api/v1/auth/register", body, NULL), ==, 202);
    }
  {
    g_autofree char *body = g_strdup_printf ("{\"email\":\"c%u@example.test\",\"password\":\""
                                             PASSWORD "\"}", n++);

    g_assert_cmpuint (post_from (server, "127.0.0.3", "/api/v1/auth/register", body, NULL), ==, 429);
  }
  /* What was refused cost no account and no mail. */
  mails = eva_test_sql (server->pg, "SELECT count(*) FROM email_outbox", NULL);
  g_assert_cmpstr (mails, ==, "5");
  g_free (mails);
  mails = eva_test_sql (server->pg, "SELECT count(*) FROM attendees", NULL);
  g_assert_cmpstr (mails, ==, "5");
  eva_test_server_stop (server);
}

/* Sign-ups from @from through X-Forwarded-For @xff until refused: how
 * many were accepted (at most @max + 1 tried). */
static guint
signups_until_refused (EvaTestServer *server,
                       const char    *from,
                       const char    *xff,
                       guint          max,
                       guint         *n)
{
  for (guint i = 0; i <= max; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"email\":\"p%u@example.test\",\"password\":\"" PASSWORD "\"}",
                                               (*n)++);
      guint status = post_forwarded (server, from, xff, NULL, "/api/v1/auth/register", body, NULL, NULL);

      if (status == 429)
        return i;
      g_assert_cmpuint (status, ==, 202);
    }
  return max + 1;
}

/* Behind a reverse proxy: X-Forwarded-For names the client only when the
 * peer is a trusted proxy (EVERATO_TRUSTED_PROXIES), read from the right
 * past the trusted hops; from anyone else it is ignored, so a forged one
 * does not escape the per-client throttle. X-Forwarded-Proto: https from a
 * trusted proxy makes the session cookie Secure. */
static void
test_trusted_proxies (void)
{
  const char *env[] = { "EVERATO_SIGNUP_LIMIT=2", "EVERATO_SIGNUP_LIMIT_GLOBAL=1000",
                        "EVERATO_TRUSTED_PROXIES=127.0.0.2, 10.0.0.0/8", NULL };
  const char *bad[] = { "EVERATO_TRUSTED_PROXIES=10.0.0.0/33", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (env);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *keys = NULL;
  guint n = 0;

  /* An untrusted peer (127.0.0.1) forging a new address each time is still
   * one client. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"email\":\"f%u@example.test\",\"password\":\"" PASSWORD "\"}", i);
      g_autofree char *forged = g_strdup_printf ("198.51.100.%u", i + 1);

      g_assert_cmpuint (post_forwarded (server, "127.0.0.1", forged, NULL, "/api/v1/auth/register", body,
                                        NULL, NULL), ==, i < 2 ? 202 : 429);
    }

  /* Through the trusted proxy 127.0.0.2, each client has its own budget;
   * the hops nearest to us that are trusted proxies (10.x) are passed over,
   * and what stands left of the client is not believed. */
  g_assert_cmpuint (signups_until_refused (server, "127.0.0.2", "203.0.113.7", 5, &n), ==, 2);
  g_assert_cmpuint (signups_until_refused (server, "127.0.0.2", "203.0.113.8, 10.1.2.3", 5, &n), ==, 2);
  g_assert_cmpuint (signups_until_refused (server, "127.0.0.2", "192.0.2.1, 203.0.113.9", 5, &n), ==, 2);
  /* 203.0.113.7 has spent its budget whatever the proxy puts before it. */
  g_assert_cmpuint (signups_until_refused (server, "127.0.0.2", "192.0.2.55, 203.0.113.7, 10.9.9.9", 5, &n), ==, 0);
  /* Not an address: the walk stops at the last trusted hop, here the peer. */
  g_assert_cmpuint (signups_until_refused (server, "127.0.0.2", "not-an-address", 5, &n), ==, 2);

  keys = eva_test_sql (server->pg,
                       "SELECT string_agg(DISTINCT split_part(key, ':ip:', 2), ' ' ORDER BY split_part(key, ':ip:', 2))"
                       " FROM rate_limits WHERE key LIKE '%:ip:%'", NULL);
  g_test_message ("client addresses throttled: %s", keys);
  g_assert_cmpstr (keys, ==, "127.0.0.1 127.0.0.2 203.0.113.7 203.0.113.8 203.0.113.9");

  /* The Secure cookie: https through the trusted proxy, not from others
   * (seen on the cookie that signing out clears). */
  for (guint trusted = 0; trusted < 2; trusted++)
    {
      g_autofree char *token = eva_random_token (32);
      g_autofree char *csrf = eva_random_token (32);
      g_autofree char *hash = eva_auth_token_hash_hex (token);
      g_autofree char *cookie_header = g_strconcat ("everato_session=", token, NULL);
      g_autofree char *email = g_strdup_printf ("secure%u@example.test", trusted);
      g_autofree char *id = eva_test_sql (server->pg, "INSERT INTO attendees (email, name, status, email_verified_at)"
                                          " VALUES ($1, 'Ada', 'active', now()) RETURNING id", email, NULL);
      const char *extra[] = { "Cookie", cookie_header, "X-CSRF-Token", csrf, "X-Forwarded-Proto", "https", NULL };
      g_autoptr(SoupMessageHeaders) headers = NULL;
      const char *cookie;

      g_free (eva_test_sql (server->pg,
                            "INSERT INTO attendee_sessions (attendee_id, token_hash, csrf_token, idle_expires_at,"
                            " expires_at) VALUES ($1::uuid, decode($2, 'hex'), $3, now() + interval '1 day',"
                            " now() + interval '1 day') RETURNING id", id, hash, csrf, NULL));
      g_assert_cmpuint (post_forwarded (server, trusted ? "127.0.0.2" : "127.0.0.1", "203.0.113.50", extra,
                                        "/api/v1/auth/logout", "{}", NULL, &headers), ==, 204);
      cookie = eva_test_set_cookie (headers, "everato_session");
      g_assert_nonnull (cookie);
      if (trusted)
        g_assert_nonnull (strstr (cookie, "; Secure"));
      else
        g_assert_null (strstr (cookie, "Secure"));
    }
  eva_test_server_stop (server);

  /* A setting that is not a list of addresses stops the server at once. */
  g_assert_cmpint (eva_test_run_cli_env ("dbname=none", bad, NULL, &out, &err, "serve", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "EVERATO_TRUSTED_PROXIES"));
}

/* Password hashing runs on its own small pool: a burst of anonymous
 * sign-ins raises the server's peak memory by at most its workers' share
 * (64 MiB each), and public reads do not wait behind the hashing. */
static void
test_hashing_pool (void)
{
  const char *env[] = { "EVERATO_HASH_WORKERS=1", "EVERATO_DB_POOL_SIZE=4", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (env);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", 64,
                                                                  "max-conns-per-host", 64,
                                                                  "timeout", 120, NULL);
  Burst burst = { 0, };
  gint64 base;
  gint64 peak;
  const guint n = 24;

  g_free (eva_test_create_staff (server, "real@example.test", "organizer", PASSWORD));
  base = peak_kb (server->pid);
  burst.loop = g_main_loop_new (NULL, FALSE);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SoupMessage) msg =
        json_message (server, "POST", i % 2 ? "/api/v1/admin/auth/login" : "/api/v1/auth/login",
                      i % 3 ? "{\"email\":\"real@example.test\",\"password\":\"wrong wrong wrong\"}"
                            : "{\"email\":\"nobody@example.test\",\"password\":\"wrong wrong wrong\"}");

      burst.pending++;
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, burst_done_cb, &burst);
    }
  /* A public read sent after them: answered long before the last of them. */
  {
    g_autoptr(SoupMessage) probe = json_message (server, "GET", "/api/v1/public/events", NULL);

    burst.pending++;
    soup_session_send_and_read_async (session, probe, G_PRIORITY_DEFAULT, NULL, probe_done_cb, &burst);
  }
  g_main_loop_run (burst.loop);
  g_main_loop_unref (burst.loop);

  peak = peak_kb (server->pid);
  g_test_message ("%u sign-ins: peak RSS %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT " kB; "
                  "the read came back after %u of them; 401: %u, 429: %u, 503: %u",
                  n, base, peak, burst.probe_done_at, burst.statuses[401], burst.statuses[429],
                  burst.statuses[503]);
  g_assert_true (burst.probe_done);
  g_assert_cmpuint (burst.probe_done_at, <, n / 2);
  g_assert_cmpuint (burst.statuses[500], ==, 0);
  g_assert_cmpuint (burst.statuses[401] + burst.statuses[429] + burst.statuses[503], ==, n);
  /* One worker: one 64 MiB argon2id at a time (and some slack). */
  g_assert_cmpint (peak - base, <, 100 * 1024);
  eva_test_server_stop (server);
}

/* Queues are bounded: a full hashing queue or database queue answers 503
 * with Retry-After at once instead of growing. */
static void
test_queue_bounds (void)
{
  const char *env[] = { "EVERATO_HASH_WORKERS=1", "EVERATO_HASH_QUEUE_MAX=1",
                        "EVERATO_DB_POOL_SIZE=1", "EVERATO_DB_QUEUE_MAX=1", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (env);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", 64,
                                                                  "max-conns-per-host", 64,
                                                                  "timeout", 120, NULL);
  g_autofree char *conninfo = eva_test_db_conninfo (server->dbname);
  PGconn *locker;
  Burst burst = { 0, };

  /* The database pool: its one connection waits on a lock we hold. */
  locker = PQconnectdb (conninfo);
  g_assert_cmpint (PQstatus (locker), ==, CONNECTION_OK);
  PQclear (PQexec (locker, "BEGIN"));
  PQclear (PQexec (locker, "LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE"));

  burst.loop = g_main_loop_new (NULL, FALSE);
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(SoupMessage) msg = json_message (server, "GET", "/readyz", NULL);

      burst.pending++;
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, burst_done_cb, &burst);
    }
  /* Wait until the refusals are in, then let the others through. */
  while (burst.statuses[503] < 6 && burst.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  PQclear (PQexec (locker, "COMMIT"));
  PQfinish (locker);
  if (burst.pending > 0)
    g_main_loop_run (burst.loop);
  g_test_message ("database queue: 200: %u, 503: %u", burst.statuses[200], burst.statuses[503]);
  g_assert_cmpuint (burst.statuses[503], ==, 6);
  g_assert_cmpuint (burst.statuses[200], ==, 2);

  /* The hashing pool: one at work, one waiting, the rest refused (on a
   * server whose database queue has no bound, so the 503s are the pool's). */
  eva_test_server_stop (server);
  g_clear_pointer (&server, eva_test_server_free);
  {
    const char *hash_env[] = { "EVERATO_HASH_WORKERS=1", "EVERATO_HASH_QUEUE_MAX=1",
                               "EVERATO_DB_QUEUE_MAX=0", NULL };

    server = eva_test_server_start (hash_env);
  }
  memset (&burst.statuses, 0, sizeof burst.statuses);
  for (guint i = 0; i < 12; i++)
    {
      g_autoptr(SoupMessage) msg =
        json_message (server, "POST", "/api/v1/auth/login",
                      "{\"email\":\"nobody@example.test\",\"password\":\"wrong wrong wrong\"}");

      burst.pending++;
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, burst_done_cb, &burst);
    }
  g_main_loop_run (burst.loop);
  g_main_loop_unref (burst.loop);
  g_test_message ("hashing queue: 401: %u, 429: %u, 503: %u", burst.statuses[401],
                  burst.statuses[429], burst.statuses[503]);
  g_assert_cmpuint (burst.statuses[503], >, 0);
  g_assert_cmpuint (burst.statuses[401], >=, 1);
  /* 429: the failed sign-ins from one address are throttled as well. */
  g_assert_cmpuint (burst.statuses[401] + burst.statuses[429] + burst.statuses[503], ==, 12);
  eva_test_server_stop (server);
}

/* ------------------------------------------------------------------ */
/* Connections                                                        */
/* ------------------------------------------------------------------ */

/* Seconds until the server closes @stream (reading and dropping what it
 * sends). */
static double
seconds_until_closed (GIOStream *stream)
{
  gint64 started = g_get_monotonic_time ();
  g_autofree char *ignored = read_all (stream, 1 << 20);

  return (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
}

typedef struct
{
  GIOStream *stream;
  gboolean   stop;
} Dribble;

/* Sends one more header line every 300 ms until told to stop or refused. */
static gpointer
dribble_thread (gpointer data)
{
  Dribble *d = data;
  GOutputStream *out = g_io_stream_get_output_stream (d->stream);

  while (!g_atomic_int_get (&d->stop))
    {
      if (!g_output_stream_write_all (out, "X-Slow: 1\r\n", 11, NULL, NULL, NULL))
        break;
      g_usleep (300000);
    }
  return NULL;
}

/* Slow senders, idle connections and too many connections: each within
 * its own limit (EVERATO_REQUEST_TIMEOUT, EVERATO_IDLE_TIMEOUT,
 * EVERATO_MAX_CONNECTIONS). The reverse proxy in front absorbs the
 * rest (DEPLOYMENT notes in the README). */
static void
test_connection_limits (void)
{
  const char *env[] = { "EVERATO_THREADS=1", "EVERATO_REQUEST_TIMEOUT=2",
                        "EVERATO_IDLE_TIMEOUT=2", "EVERATO_MAX_CONNECTIONS=3", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (env);
  const char *request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  double seconds;

  /* A request that trickles in, header by header, is cut off. */
  {
    g_autoptr(GIOStream) slow = connect_raw (server);
    Dribble d = { slow, FALSE };
    GThread *thread;
    const char *head = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";

    g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (slow), head,
                                              strlen (head), NULL, NULL, NULL));
    thread = g_thread_new ("dribble", dribble_thread, &d);
    seconds = seconds_until_closed (slow);
    g_atomic_int_set (&d.stop, TRUE);
    g_thread_join (thread);
    g_test_message ("a slow request was closed after %.1f s", seconds);
    g_assert_cmpfloat (seconds, >=, 1.5);
    g_assert_cmpfloat (seconds, <, 8.0);
  }

  /* A connection that never says anything is closed too. */
  {
    g_autoptr(GIOStream) silent = connect_raw (server);

    seconds = seconds_until_closed (silent);
    g_test_message ("a silent connection was closed after %.1f s", seconds);
    g_assert_cmpfloat (seconds, >=, 1.5);
    g_assert_cmpfloat (seconds, <, 8.0);
  }

  /* A keep-alive connection that stays idle after its answer is closed. */
  {
    g_autoptr(GIOStream) idle = connect_raw (server);
    g_autofree char *answer = NULL;

    g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (idle), request,
                                              strlen (request), NULL, NULL, NULL));
    seconds = seconds_until_closed (idle);
    g_test_message ("an idle connection was closed after %.1f s", seconds);
    g_assert_cmpfloat (seconds, >=, 1.5);
    g_assert_cmpfloat (seconds, <, 8.0);
  }

  /* Past the cap a new connection gets 503 and is closed; once the others
   * are gone, new ones are served again. */
  {
    GIOStream *held[3];
    g_autoptr(GIOStream) extra = NULL;
    g_autofree char *refused = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (held); i++)
      {
        char buffer[512];

        held[i] = connect_raw (server);
        g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (held[i]), request,
                                                  strlen (request), NULL, NULL, NULL));
        g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (held[i]), buffer,
                                              sizeof buffer, NULL, NULL), >, 0);
        g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 200"));
      }
    extra = connect_raw (server);
    g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (extra), request,
                                              strlen (request), NULL, NULL, NULL));
    refused = read_all (extra, 65536);
    g_assert_true (g_str_has_prefix (refused, "HTTP/1.1 503"));
    g_assert_nonnull (strstr (refused, "server_busy"));
    /* One that says nothing is not kept for the request timeout either. */
    {
      g_autoptr(GIOStream) silent_extra = connect_raw (server);

      seconds = seconds_until_closed (silent_extra);
      g_test_message ("a silent connection over the cap was closed after %.1f s", seconds);
      g_assert_cmpfloat (seconds, <, 1.6);
    }
    for (guint i = 0; i < G_N_ELEMENTS (held); i++)
      {
        g_io_stream_close (held[i], NULL, NULL);
        g_object_unref (held[i]);
      }
    g_usleep (1500000);   /* the reaper's next round notices */
    {
      g_autoptr(EvaTestResponse) health = eva_test_request (server, "GET", "/healthz", NULL, NULL,
                                                            NULL, 0);

      eva_test_assert_status (health, 200);
    }
  }
  eva_test_server_stop (server);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/security/chunked-body-limit", test_chunked_body_limit);
  g_test_add_func ("/security/commit-of-aborted-transaction", test_commit_of_aborted_transaction);
  g_test_add_func ("/security/signup-throttle", test_signup_throttle);
  g_test_add_func ("/security/trusted-proxies", test_trusted_proxies);
  g_test_add_func ("/security/hashing-pool", test_hashing_pool);
  g_test_add_func ("/security/queue-bounds", test_queue_bounds);
  g_test_add_func ("/security/connection-limits", test_connection_limits);

  return g_test_run ();
}
