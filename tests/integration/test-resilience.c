/* test-resilience.c: PostgreSQL going away and coming back, and graceful
 * shutdown with requests in flight
 *
 * The outage test runs its own PostgreSQL cluster (scripts/pg-cluster.sh),
 * so stopping it does not disturb other tests.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>

#include <gio/gio.h>

#include "eva-test.h"

static int
pg_cluster (const char *action,
            const char *dir,
            const char *port)
{
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"),
                                              "scripts", "pg-cluster.sh", NULL);
  /* stop takes the folder only */
  const char *argv[] = { "bash", script, action, dir,
                         g_str_equal (action, "start") ? port : NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  return status;
}

static void
test_database_outage (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("everato-outage-XXXXXX", &error);
  g_autofree char *port = g_strdup_printf ("%u", 20000 + g_random_int_range (0, 20000));
  g_autofree char *saved_pg = g_strdup (g_getenv ("EVERATO_TEST_PG"));
  g_autofree char *conninfo = NULL;
  g_autoptr(EvaTestServer) server = NULL;
  g_autoptr(EvaTestResponse) up = NULL;
  g_autoptr(EvaTestResponse) health = NULL;
  GPid pid;
  gboolean recovered = FALSE;
  gint64 deadline;

  g_assert_no_error (error);
  g_assert_cmpint (pg_cluster ("start", dir, port), ==, 0);

  /* Point the harness at the private cluster for this test. */
  conninfo = g_strdup_printf ("host=%s/run port=%s user=everato dbname=postgres", dir, port);
  g_setenv ("EVERATO_TEST_PG", conninfo, TRUE);
  server = eva_test_server_start (NULL);
  pid = server->pid;

  up = eva_test_call (server, "GET", "/readyz", NULL, NULL);
  eva_test_assert_status (up, 200);

  g_assert_cmpint (pg_cluster ("stop", dir, port), ==, 0);

  /* Every database-backed request now fails fast with 503, repeatedly. */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(EvaTestResponse) down = eva_test_call (server, "GET", "/readyz", NULL, NULL);

      eva_test_assert_error (down, 503, "database_unavailable");
      g_assert_nonnull (eva_test_header (down, "Retry-After"));
    }
  {
    g_autoptr(EvaTestResponse) login =
      eva_test_call (server, "POST", "/api/v1/admin/auth/login", NULL,
                     "{\"email\":\"a@b.test\",\"password\":\"0123456789ab\"}");

    eva_test_assert_error (login, 503, "database_unavailable");
  }
  {
    /* A page that needs the database is the site's error page, not JSON. */
    g_autoptr(EvaTestResponse) page = eva_test_call (server, "GET", "/e/some-event", NULL, NULL);

    g_assert_cmpuint (page->status, ==, 503);
    g_assert_true (g_str_has_prefix (eva_test_header (page, "Content-Type"), "text/html"));
    g_assert_nonnull (strstr (page->body, "data-page=\"error\""));
    g_assert_nonnull (eva_test_header (page, "Retry-After"));
  }

  /* Liveness does not depend on the database. */
  health = eva_test_call (server, "GET", "/healthz", NULL, NULL);
  eva_test_assert_status (health, 200);

  g_assert_cmpint (pg_cluster ("start", dir, port), ==, 0);

  /* The same process recovers by itself. */
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (!recovered && g_get_monotonic_time () < deadline)
    {
      g_autoptr(EvaTestResponse) again = eva_test_call (server, "GET", "/readyz", NULL, NULL);

      recovered = again->status == 200;
      if (!recovered)
        g_usleep (100000);
    }
  g_assert_true (recovered);
  g_assert_cmpint (server->pid, ==, pid);

  /* And every pooled connection works again, not just one. */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(EvaTestResponse) again = eva_test_call (server, "GET", "/readyz", NULL, NULL);

      eva_test_assert_status (again, 200);
    }

  eva_test_server_free (g_steal_pointer (&server));
  g_setenv ("EVERATO_TEST_PG", saved_pg, TRUE);
  g_assert_cmpint (pg_cluster ("stop", dir, port), ==, 0);
  {
    g_autofree char *quoted = g_shell_quote (dir);
    g_autofree char *rm = g_strdup_printf ("rm -rf %s", quoted);

    (void) !system (rm);
  }
}

typedef struct
{
  EvaTestServer *server;
  guint          status;
  char          *code;
} SlowCall;

static gpointer
slow_call_thread (gpointer data)
{
  SlowCall *call = data;
  g_autofree char *url = g_strconcat (call->server->base_url, "/readyz", NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);

  call->status = soup_message_get_status (msg);
  if (body != NULL && call->status != 200)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                      g_bytes_get_size (body), NULL))
        call->code = g_strdup (eva_test_json_string (json_parser_get_root (parser), "error.code"));
    }
  return NULL;
}

static int
wait_exit (GPid pid, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int status;

  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        return status;
      g_usleep (10000);
    }
  g_error ("the server did not exit within %u ms", timeout_ms);
  return -1;
}

/* Holds schema_migrations locked so /readyz waits in the database. */
static PGconn *
hold_lock (EvaTestServer *server)
{
  PGconn *locker = eva_test_db_connect (server->dbname);

  g_free (eva_test_sql (locker, "BEGIN", NULL));
  g_free (eva_test_sql (locker, "LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE", NULL));
  return locker;
}

static void
test_graceful_shutdown (void)
{
  const char *extra[] = { "EVERATO_SHUTDOWN_TIMEOUT_MS=20000", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (extra);
  PGconn *locker = hold_lock (server);
  SlowCall call = { server, 0, NULL };
  GThread *thread;
  g_autoptr(EvaTestResponse) refused = NULL;
  int status;

  thread = g_thread_new ("slow", slow_call_thread, &call);
  g_usleep (300000);   /* the request is now waiting on the lock */

  kill (server->pid, SIGTERM);
  g_usleep (200000);

  /* New work is refused while the old finishes. */
  {
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autofree char *url = g_strconcat (server->base_url, "/healthz", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);

    g_assert_cmpuint (soup_message_get_status (msg), ==, 503);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                   "Connection"), ==, "close");
  }

  /* Release the lock: the in-flight request completes normally. */
  g_free (eva_test_sql (locker, "COMMIT", NULL));
  g_thread_join (thread);
  g_assert_cmpuint (call.status, ==, 200);

  status = wait_exit (server->pid, 10000);
  server->pid = 0;
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  PQfinish (locker);
  (void) refused;
  g_free (call.code);
}

static void
test_shutdown_is_bounded (void)
{
  const char *extra[] = { "EVERATO_SHUTDOWN_TIMEOUT_MS=500", NULL };
  g_autoptr(EvaTestServer) server = eva_test_server_start (extra);
  PGconn *locker = hold_lock (server);
  SlowCall call = { server, 0, NULL };
  GThread *thread = g_thread_new ("slow", slow_call_thread, &call);
  gint64 started;
  int status;

  g_usleep (300000);
  started = g_get_monotonic_time ();
  kill (server->pid, SIGTERM);

  /* The lock is never released: the server must still stop, soon. */
  status = wait_exit (server->pid, 10000);
  server->pid = 0;
  g_assert_cmpint ((g_get_monotonic_time () - started) / 1000, <, 5000);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  g_thread_join (thread);
  /* The cut-off request got an answer, not a hang: 503 or a closed socket. */
  g_assert_cmpuint (call.status, !=, 200);
  g_test_message ("cut-off request: status %u code %s", call.status, call.code);

  g_free (eva_test_sql (locker, "ROLLBACK", NULL));
  PQfinish (locker);
  g_free (call.code);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/resilience/database-outage", test_database_outage);
  g_test_add_func ("/resilience/graceful-shutdown", test_graceful_shutdown);
  g_test_add_func ("/resilience/shutdown-is-bounded", test_shutdown_is_bounded);

  return g_test_run ();
}
