/* test-backup.c: everato-server backup / restore on the real cluster
 *
 * A server with its master key in a key file (as installed, not the
 * harness's EVERATO_MASTER_KEY) sells tickets; the backup is taken while
 * it runs; the database and the data folder are wiped; the restore brings
 * back every table equal (row counts and an md5 of the rows) and the key
 * file; a server on the restored database and folder opens its keys, the
 * codes issued before the backup verify with an independent verifier
 * (python3-nacl), and a new booking works. The archive is read by tar,
 * restore refuses a database that is not empty without --force and an
 * archive with anything but its own members.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "eva-common.h"
#include "eva-test-booking.h"

/* Every table of the schema: name, row count and an md5 of its rows in
 * order, one line each. */
static char *
table_sums (PGconn *pg)
{
  g_autofree char *tables = eva_test_sql (pg, "SELECT string_agg(quote_ident(tablename), ' ' ORDER BY tablename)"
                                              " FROM pg_tables WHERE schemaname = 'public'", NULL);
  g_auto(GStrv) names = g_strsplit (tables, " ", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      /* Identifiers cannot be parameters; these are the catalogue's own
       * names, quoted by quote_ident above. */
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|'"
                                              " ORDER BY t::text)), '-') FROM %s t", names[i]);
      g_autofree char *sum = eva_test_sql (pg, sql, NULL);

      g_string_append_printf (out, "%s %s\n", names[i], sum);
    }
  return g_string_free (out, FALSE);
}

static char *
codes_of (PGconn *pg)
{
  return eva_test_sql (pg, "SELECT string_agg(code, ' ' ORDER BY code) FROM tickets WHERE status = 'valid'", NULL);
}

/* The independent verifier (tests/tickets/verify-code.py, PyNaCl) on
 * @codes with the keys @srv publishes: its exit status. */
static int
verify_codes (EvaTestServer *srv,
              const char    *codes)
{
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "tests", "tickets",
                                              "verify-code.py", NULL);
  g_autoptr(EvaTestResponse) keys = eva_test_call (srv, "GET", "/api/v1/public/ticket-keys", NULL, NULL);
  g_auto(GStrv) list = g_strsplit (codes, " ", -1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  eva_test_assert_status (keys, 200);
  g_ptr_array_add (argv, (gpointer) eva_test_python ());
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, keys->body);
  for (guint i = 0; list[i] != NULL; i++)
    g_ptr_array_add (argv, list[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                     &error))
    g_error ("verify-code.py: %s", error->message);
  if (err != NULL && *err != '\0')
    g_test_message ("verify-code.py: %s", err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static char *
sell (EvaTestServer *srv,
      int            quantity)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"Seat\",\"price\":0,\"capacity\":50}");
  g_autoptr(Buyer) b = make_buyer_on (srv, "backup", TRUE);

  publish (event);
  return hold_id (b, event, type, quantity);
}

static void
test_round_trip (void)
{
  g_autofree char *dbname = g_strdup (server->dbname);
  g_autofree char *data_dir = g_build_filename (server->tmpdir, "data", NULL);
  g_autofree char *key_path = g_build_filename (data_dir, "master.key", NULL);
  g_autofree char *archive = g_build_filename (server->tmpdir, "everato.backup", NULL);
  g_autofree char *data_env = g_strconcat ("EVERATO_DATA_DIR=", data_dir, NULL);
  const char *env[] = { "EVERATO_MASTER_KEY=", data_env, NULL };
  g_autofree char *key_before = NULL;
  g_autofree char *key_after = NULL;
  g_autofree char *sums_before = NULL;
  g_autofree char *sums_after = NULL;
  g_autofree char *codes = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *booking = NULL;
  EvaTestServer *again;
  GStatBuf st;
  int status;

  g_free (sell (server, 3));
  codes = codes_of (server->pg);
  g_assert_nonnull (codes);
  g_assert_cmpint (verify_codes (server, codes), ==, 0);
  g_assert_true (g_file_get_contents (key_path, &key_before, NULL, NULL));
  /* The ticket mail written, so that nothing changes between the backup
   * and the sums taken after it. */
  for (guint i = 0; i < 300 && sql_int (server->pg, "SELECT count(*) FROM email_outbox WHERE status <> 'sent'", NULL) > 0;
       i++)
    g_usleep (G_USEC_PER_SEC / 20);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM email_outbox WHERE status <> 'sent'", NULL), ==, 0);

  /* Taken while the server runs. */
  status = eva_test_run_cli_env (server->conninfo, env, NULL, &out, &err, "backup", archive, NULL);
  g_test_message ("backup: %s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (g_stat (archive, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  {
    const char *argv[] = { "tar", "--list", "--file", archive, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &listing, NULL,
                                 &status, NULL));
    g_assert_cmpstr (listing, ==, "manifest.json\ndatabase.dump\nmaster.key\n");
  }
  sums_before = table_sums (server->pg);
  g_test_message ("tables:\n%s", sums_before);
  g_assert_nonnull (strstr (sums_before, "tickets 3 "));

  /* A database that is not empty is left alone without --force. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = eva_test_run_cli_env (server->conninfo, env, NULL, &out, &err, "restore", archive, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "not empty"));

  /* Wiped: the server gone, the schema dropped, the data folder emptied. */
  eva_test_server_stop (server);
  g_free (eva_test_sql (server->pg, "DROP SCHEMA public CASCADE", NULL));
  g_free (eva_test_sql (server->pg, "CREATE SCHEMA public", NULL));
  g_assert_cmpint (g_unlink (key_path), ==, 0);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = eva_test_run_cli_env (server->conninfo, env, NULL, &out, &err, "restore", archive, NULL);
  g_test_message ("restore: %s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  sums_after = table_sums (server->pg);
  g_assert_cmpstr (sums_after, ==, sums_before);
  g_assert_true (g_file_get_contents (key_path, &key_after, NULL, NULL));
  g_assert_cmpstr (key_after, ==, key_before);
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* A server on what was restored: its keys open, the old codes verify,
   * and it sells again. */
  again = eva_test_server_start_on (dbname, env);
  {
    EvaTestServer *first = server;

    server = again;
    g_assert_cmpint (verify_codes (again, codes), ==, 0);
    booking = sell (again, 2);
    g_assert_nonnull (booking);
    g_assert_cmpint (sql_int (again->pg, "SELECT count(*) FROM tickets WHERE booking_id = $1::uuid", booking), ==, 2);
    assert_invariant (again->pg);
    server = first;
  }
  secondary_free (again);

  /* --force replaces what is there (here: the new booking, and another
   * master key file, kept aside) with the backup. */
  g_assert_true (g_file_set_contents (key_path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
                                      -1, NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = eva_test_run_cli_env (server->conninfo, env, NULL, &out, &err, "restore", archive, "--force", NULL);
  g_test_message ("restore --force: %s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&sums_after, g_free);
  sums_after = table_sums (server->pg);
  g_assert_cmpstr (sums_after, ==, sums_before);
  g_clear_pointer (&key_after, g_free);
  g_assert_true (g_file_get_contents (key_path, &key_after, NULL, NULL));
  g_assert_cmpstr (key_after, ==, key_before);
  {
    g_autofree char *kept_path = g_strconcat (key_path, ".before-restore", NULL);
    g_autofree char *kept = NULL;

    g_assert_true (g_file_get_contents (kept_path, &kept, NULL, NULL));
    g_assert_true (g_str_has_prefix (kept, "0011223344"));
  }
}

/* Archives that are not ours are refused before anything changes. */
static void
test_refusals (void)
{
  g_autofree char *dir = g_dir_make_tmp ("everato-backup-test-XXXXXX", NULL);
  g_autofree char *evil = g_build_filename (dir, "evil.tar", NULL);
  g_autofree char *sums = table_sums (server->pg);
  g_autofree char *after = NULL;
  const char *tar[] = { "tar", "--create", "--file", evil, "--directory", dir, "--absolute-names", "/etc/hostname",
                        NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) tar, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                               NULL));
  status = eva_test_run_cli (server->conninfo, NULL, &out, &err, "restore", evil, "--force", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "not an Everato backup"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  status = eva_test_run_cli (server->conninfo, NULL, &out, &err, "restore", "/nonexistent/backup", NULL);
  g_assert_cmpint (status, ==, 2);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  status = eva_test_run_cli (server->conninfo, NULL, &out, &err, "backup", NULL);
  g_assert_cmpint (status, ==, 2);
  after = table_sums (server->pg);
  g_assert_cmpstr (after, ==, sums);
  g_unlink (evil);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  const char *env[] = { "EVERATO_MASTER_KEY=", NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);
  eva_common_init ();
  server = eva_test_server_start (env);
  organizer = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/backup/refusals", test_refusals);
  g_test_add_func ("/backup/round-trip", test_round_trip);
  ret = g_test_run ();

  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
