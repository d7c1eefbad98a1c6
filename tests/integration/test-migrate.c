/* test-migrate.c: migrations up, down, up; concurrent starts; readiness
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "eva-test.h"

static char *
count_tables (PGconn *pg)
{
  return eva_test_sql (pg, "SELECT count(*) FROM information_schema.tables "
                           "WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
                       NULL);
}

static void
test_up_down_up (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *conninfo = eva_test_db_conninfo (db);
  PGconn *pg = eva_test_db_connect (db);
  g_autofree char *out = NULL;
  g_autofree char *tables = NULL;
  g_autofree char *versions = NULL;
  g_autofree char *latest = NULL;
  g_autofree char *n = NULL;

  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "migrate", "status", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pending"));
  g_assert_null (strstr (out, "applied"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "migrate", "up", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "applied 0001_init"));
  g_clear_pointer (&out, g_free);
  tables = count_tables (pg);
  g_assert_cmpint (atoi (tables), >=, 15);

  /* Running up again changes nothing. */
  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "migrate", "up", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "up to date"));
  g_clear_pointer (&out, g_free);

  versions = eva_test_sql (pg, "SELECT count(*) FROM schema_migrations", NULL);
  latest = g_strdup (versions);
  g_clear_pointer (&out, g_free);

  /* All the way down. */
  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "migrate", "down", latest, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "reverted 0001_init"));
  g_clear_pointer (&out, g_free);
  g_free (tables);
  tables = count_tables (pg);
  g_assert_cmpstr (tables, ==, "0");
  n = eva_test_sql (pg, "SELECT count(*) FROM schema_migrations", NULL);
  g_assert_cmpstr (n, ==, "0");

  /* And up again, with data in it this time. */
  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "migrate", "up", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_free (tables);
  tables = count_tables (pg);
  g_assert_cmpint (atoi (tables), >=, 15);
  g_free (eva_test_sql (pg, "INSERT INTO events (slug, title, timezone, starts_at, ends_at) "
                            "VALUES ('x', 'X', 'UTC', now(), now() + interval '1 hour')", NULL));
  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "migrate", "down", latest, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "migrate", "up", NULL), ==, 0);

  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, NULL, NULL, "migrate", "down", "0", NULL), ==, 2);

  PQfinish (pg);
  eva_test_db_drop (db);
}

static void
test_concurrent_migrate (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *conninfo = eva_test_db_conninfo (db);
  PGconn *pg = eva_test_db_connect (db);
  GSubprocess *procs[6];
  g_autofree char *count = NULL;
  g_autofree char *distinct = NULL;
  guint applied = 0;

  /* Six processes race to migrate an empty database. */
  for (guint i = 0; i < G_N_ELEMENTS (procs); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr(GError) error = NULL;

      g_subprocess_launcher_setenv (launcher, "EVERATO_DATABASE_URL", conninfo, TRUE);
      procs[i] = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("EVERATO_SERVER_BIN"),
                                              "migrate", "up", NULL);
      g_assert_no_error (error);
    }

  for (guint i = 0; i < G_N_ELEMENTS (procs); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr(GError) error = NULL;

      g_subprocess_communicate_utf8 (procs[i], NULL, NULL, &out, &err, &error);
      g_assert_no_error (error);
      g_subprocess_wait (procs[i], NULL, NULL);
      g_test_message ("process %u: %s%s", i, out, err);
      g_assert_cmpint (g_subprocess_get_exit_status (procs[i]), ==, 0);
      if (strstr (out, "applied 0001_init") != NULL)
        applied++;
      g_object_unref (procs[i]);
    }

  /* Exactly one of them did the work; the others found it done. */
  g_assert_cmpuint (applied, ==, 1);
  count = eva_test_sql (pg, "SELECT count(*) FROM schema_migrations", NULL);
  distinct = eva_test_sql (pg, "SELECT count(DISTINCT version) FROM schema_migrations", NULL);
  g_assert_cmpstr (count, ==, distinct);

  PQfinish (pg);
  eva_test_db_drop (db);
}

static void
test_two_servers_start_together (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autoptr(EvaTestServer) a = NULL;
  g_autoptr(EvaTestServer) b = NULL;
  g_autoptr(EvaTestResponse) ra = NULL;
  g_autoptr(EvaTestResponse) rb = NULL;

  /* Both run "migrate up" as they start; neither may fail. */
  a = eva_test_server_start_on (db, NULL);
  b = eva_test_server_start_on (db, NULL);
  ra = eva_test_call (a, "GET", "/readyz", NULL, NULL);
  rb = eva_test_call (b, "GET", "/readyz", NULL, NULL);
  eva_test_assert_status (ra, 200);
  eva_test_assert_status (rb, 200);

  /* b must not drop the database that a still uses. */
  g_clear_pointer (&b->dbname, g_free);
}

static void
test_readyz_pending (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  g_autoptr(EvaTestResponse) before = eva_test_call (server, "GET", "/readyz", NULL, NULL);
  g_autoptr(EvaTestResponse) pending = NULL;
  g_autoptr(EvaTestResponse) after = NULL;

  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  eva_test_assert_status (before, 200);

  status = eva_test_run_cli (server->conninfo, NULL, &out, &err, "migrate", "down", "1", NULL);
  g_test_message ("migrate down 1: %s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  pending = eva_test_call (server, "GET", "/readyz", NULL, NULL);
  eva_test_assert_error (pending, 503, "migrations_pending");

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = eva_test_run_cli (server->conninfo, NULL, &out, &err, "migrate", "up", NULL);
  g_test_message ("migrate up: %s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  after = eva_test_call (server, "GET", "/readyz", NULL, NULL);
  eva_test_assert_status (after, 200);
}

/* A migration takes locks on tables that running servers use; a server's
 * transaction that holds one lock the migration wants and then wants one
 * the migration holds deadlocks with it. PostgreSQL picks the migration as
 * the victim here, and the migration must run again once the other
 * transaction is done rather than fail the upgrade.
 *
 * Built for whatever the newest migration is: the other transaction holds
 * schema_migrations (which every migration writes last), waits until the
 * migration waits for it, then reads a table the migration holds. */
static void
test_deadlock_retried (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  PGconn *writer = eva_test_db_connect (server->dbname);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) migrate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *version = NULL;
  g_autofree char *latest = NULL;
  g_autofree char *reverted = NULL;
  g_autofree char *held = NULL;
  g_autofree char *read_sql = NULL;
  char *quoted;
  PGresult *read;
  gint64 deadline;

  latest = eva_test_sql (writer, "SELECT version || ' ' || name FROM schema_migrations "
                                 "ORDER BY version DESC LIMIT 1", NULL);
  reverted = g_strconcat ("reverted ", strchr (latest, ' ') + 1, NULL);

  /* The writer waits long before it looks for deadlocks; the migration
   * (one second, the default) finds it first and is the one rolled back. */
  g_free (eva_test_sql (writer, "SET deadlock_timeout = '20s'", NULL));
  g_free (eva_test_sql (writer, "BEGIN", NULL));
  g_free (eva_test_sql (writer, "LOCK TABLE schema_migrations IN SHARE MODE", NULL));

  g_subprocess_launcher_setenv (launcher, "EVERATO_DATABASE_URL", server->conninfo, TRUE);
  migrate = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("EVERATO_SERVER_BIN"),
                                         "migrate", "down", "1", NULL);
  g_assert_no_error (error);

  /* The migration has run its script (holding its locks) and waits for
   * schema_migrations: a table it holds exclusively is what to read. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  for (;;)
    {
      held = eva_test_sql (writer,
        "SELECT c.relname FROM pg_locks w"
        "  JOIN pg_locks h ON h.pid = w.pid AND h.granted AND h.mode = 'AccessExclusiveLock'"
        "  JOIN pg_class c ON c.oid = h.relation AND c.relkind = 'r'"
        "                 AND c.relnamespace = 'public'::regnamespace"
        " WHERE NOT w.granted AND w.relation = 'schema_migrations'::regclass"
        " ORDER BY c.relname LIMIT 1", NULL);
      if (held != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_test_message ("the migration holds %s and waits for schema_migrations", held);

  /* The writer now wants a table the migration holds: a deadlock. */
  quoted = PQescapeIdentifier (writer, held, strlen (held));
  read_sql = g_strdup_printf ("SELECT count(*) FROM %s", quoted);
  PQfreemem (quoted);
  read = PQexec (writer, read_sql);
  g_assert_cmpint (PQresultStatus (read), ==, PGRES_TUPLES_OK);
  PQclear (read);
  g_free (eva_test_sql (writer, "COMMIT", NULL));

  g_subprocess_communicate_utf8 (migrate, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("migrate down 1: %s%s", out, err);
  g_assert_true (g_subprocess_get_if_exited (migrate));
  g_assert_cmpint (g_subprocess_get_exit_status (migrate), ==, 0);
  g_assert_nonnull (strstr (err, "deadlock"));
  g_assert_nonnull (strstr (err, "trying again"));
  g_assert_nonnull (strstr (out, reverted));

  version = eva_test_sql (writer, "SELECT max(version) + 1 FROM schema_migrations", NULL);
  g_assert_cmpint (atoi (version), ==, atoi (latest));
  PQfinish (writer);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/migrate/up-down-up", test_up_down_up);
  g_test_add_func ("/migrate/concurrent", test_concurrent_migrate);
  g_test_add_func ("/migrate/two-servers", test_two_servers_start_together);
  g_test_add_func ("/migrate/readyz-pending", test_readyz_pending);
  g_test_add_func ("/migrate/deadlock-retried", test_deadlock_retried);

  return g_test_run ();
}
