/* eva-cli.c: the everato-server subcommands
 *
 *   everato-server serve
 *   everato-server migrate [up | down [N] | status]
 *   everato-server create-admin --email E [--name N] [--role R] [--password-stdin]
 *   everato-server rotate-master-key
 *   everato-server rotate-token-key
 *   everato-server rotate-ticket-key
 *   everato-server backup FILE
 *   everato-server restore FILE [--force]
 *   everato-server --version
 *
 * Exit codes: 0 success, 1 failure, 2 bad usage or configuration.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "everato"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "core/eva-auth.h"
#include "app/eva-backup.h"
#include "app/eva-cli.h"
#include "eva-common.h"
#include "core/eva-config.h"
#include "core/eva-keys.h"
#include "core/eva-log.h"
#include "db/eva-key-store.h"
#include "db/eva-migrate.h"
#include "mail/eva-outbox.h"
#include "app/eva-server.h"

static const char usage[] =
  "Usage:\n"
  "  everato-server serve\n"
  "  everato-server migrate [up | down [N] | status]\n"
  "  everato-server create-admin --email EMAIL [--name NAME] [--role ROLE] [--password-stdin]\n"
  "  everato-server rotate-master-key\n"
  "  everato-server rotate-token-key\n"
  "  everato-server rotate-ticket-key\n"
  "  everato-server backup FILE\n"
  "  everato-server restore FILE [--force]\n"
  "  everato-server --version\n"
  "\n"
  "Configuration comes from EVERATO_* environment variables; see README.md.\n";

static int
fail_usage (const char *message)
{
  if (message != NULL)
    g_printerr ("everato-server: %s\n", message);
  g_printerr ("%s", usage);
  return 2;
}

/* Waits for the database for a while, so "serve" can start before it. */
static EvaDbConn *
connect_with_retry (EvaConfig  *config,
                    guint       seconds,
                    GError    **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      EvaDbConn *conn = eva_db_conn_open (config->database_url, &local_error);

      if (conn != NULL)
        return conn;
      if (g_get_monotonic_time () >= deadline)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_usleep (G_USEC_PER_SEC / 2);
    }
}

/* ------------------------------------------------------------------ */
/* serve                                                              */
/* ------------------------------------------------------------------ */

static int
cmd_serve (EvaConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(EvaServer) server = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  EvaOutbox *probe;

  /* The mail settings are configuration too: check them before waiting
   * for the database, and fail as every bad setting does. */
  probe = eva_outbox_new (config, &error);
  if (probe == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 2;
    }
  eva_outbox_free (probe);

  conn = connect_with_retry (config, 30, &error);
  if (conn == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  /* Every server migrates at start; the advisory lock orders them. */
  if (!eva_migrate_up (conn, log, &error))
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }
  if (log->len > 0)
    g_message ("%s", g_strchomp (log->str));
  g_clear_pointer (&conn, eva_db_conn_free);

  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    g_warning ("cannot create EVERATO_DATA_DIR %s: %s", config->data_dir, g_strerror (errno));

  server = eva_server_new (config, &error);
  if (server == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      /* No master key that opens the key rows is a configuration error. */
      return error->domain == EVA_KEYS_ERROR ? 2 : 1;
    }

  return eva_server_run (server);
}

/* ------------------------------------------------------------------ */
/* migrate                                                            */
/* ------------------------------------------------------------------ */

static int
cmd_migrate (EvaConfig  *config,
             int         argc,
             char      **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  const char *action = argc > 0 ? argv[0] : "up";
  gboolean ok;

  if (!g_str_equal (action, "up") && !g_str_equal (action, "down") &&
      !g_str_equal (action, "status"))
    return fail_usage ("migrate takes up, down [N] or status");
  if ((g_str_equal (action, "down") && argc > 2) ||
      (!g_str_equal (action, "down") && argc > 1))
    return fail_usage ("too many arguments");

  conn = eva_db_conn_open (config->database_url, &error);
  if (conn == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  if (g_str_equal (action, "up"))
    ok = eva_migrate_up (conn, out, &error);
  else if (g_str_equal (action, "status"))
    ok = eva_migrate_status (conn, out, &error);
  else
    {
      guint64 steps = 1;

      if (argc == 2 && !g_ascii_string_to_unsigned (argv[1], 10, 1, 9999, &steps, NULL))
        return fail_usage ("N must be a whole number from 1 to 9999");
      ok = eva_migrate_down (conn, steps, out, &error);
    }

  g_print ("%s", out->str);
  if (!ok)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* create-admin                                                       */
/* ------------------------------------------------------------------ */

static const char sql_create_staff[] =
  "INSERT INTO staff (email, name, role, password_hash) VALUES ($1, $2, $3, $4) "
  "RETURNING id";

static char *
read_password_stdin (void)
{
  g_autoptr(GString) password = g_string_new (NULL);
  int c;

  while ((c = getchar ()) != EOF && c != '\n')
    {
      g_string_append_c (password, c);
      if (password->len > 4096)
        break;
    }
  if (password->len > 0 && password->str[password->len - 1] == '\r')
    g_string_truncate (password, password->len - 1);
  return g_string_free (g_steal_pointer (&password), FALSE);
}

static int
cmd_create_admin (EvaConfig  *config,
                  int         argc,
                  char      **argv)
{
  g_autofree char *email = NULL;
  g_autofree char *name = NULL;
  g_autofree char *role_text = NULL;
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, "Email address", "EMAIL" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Display name", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_text, "super_admin (default), organizer or door_staff", "ROLE" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, "Read the password from standard input", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- create a staff account");
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autofree char *password = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *lower = NULL;
  const char *reason = NULL;
  gboolean generated = FALSE;
  EvaRole role = EVA_ROLE_SUPER_ADMIN;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail_usage (error->message);
  if (argc > 1)
    return fail_usage ("create-admin takes options only");
  if (email == NULL || !eva_validate_email (email))
    return fail_usage ("--email must be a valid email address");
  if (role_text != NULL && !eva_role_from_string (role_text, &role))
    return fail_usage ("--role must be super_admin, organizer or door_staff");
  if (name != NULL && !eva_validate_text (name, -1, 200, EVA_TEXT_SINGLE_LINE | EVA_TEXT_ALLOW_EMPTY, &reason))
    return fail_usage ("--name is not valid");

  if (password_stdin)
    {
      password = read_password_stdin ();
      if (!eva_validate_password (password, email, &reason))
        {
          g_printerr ("everato-server: the password %s\n", reason);
          return 2;
        }
    }
  else
    {
      password = eva_random_token (15);   /* 20 characters, 120 bits */
      generated = TRUE;
    }

  hash = eva_auth_hash_password (password, &error);
  if (hash == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  conn = eva_db_conn_open (config->database_url, &error);
  if (conn == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  lower = g_utf8_strdown (email, -1);
  result = eva_db_query (conn, sql_create_staff, &error,
                         lower, name != NULL ? name : "", eva_role_to_string (role), hash);
  if (result == NULL)
    {
      if (g_str_equal (eva_db_conn_last_constraint (conn), "staff_email_lower_key"))
        g_printerr ("everato-server: a staff account for %s already exists\n", lower);
      else if (g_error_matches (error, EVA_ERROR, EVA_ERROR_INTERNAL) &&
               g_str_equal (eva_db_conn_last_sqlstate (conn), "42P01"))
        g_printerr ("everato-server: the schema is missing; run \"everato-server migrate up\" first\n");
      else
        g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  g_print ("created %s %s (%s)\n", eva_role_to_string (role), lower, eva_db_value (result));
  if (generated)
    g_print ("password: %s\n(shown only this once)\n", password);
  sodium_memzero (password, strlen (password));
  return 0;
}

/* ------------------------------------------------------------------ */
/* rotate-master-key, rotate-token-key                                */
/* ------------------------------------------------------------------ */

static int
fail_keys (EvaDbConn *conn,
           GError    *error)
{
  if (conn != NULL && g_str_equal (eva_db_conn_last_sqlstate (conn), "42P01"))
    {
      g_printerr ("everato-server: the schema is missing; run \"everato-server migrate up\" first\n");
      return 1;
    }
  g_printerr ("everato-server: %s\n", error->message);
  return error->domain == EVA_KEYS_ERROR ? 2 : 1;
}

/* With EVERATO_MASTER_KEY the new key is nowhere else: it goes out before
 * the rotation commits, so a committed rotation never loses its key. */
static gboolean
print_new_key_cb (const EvaMasterKey  *new_key,
                  gpointer             user_data,
                  GError             **error)
{
  char hex[EVA_MASTER_KEY_HEX_LEN + 1];
  gboolean *printed = user_data;
  int written;

  eva_master_key_to_hex (new_key, hex);
  written = fprintf (stdout, "%s\n", hex);
  sodium_memzero (hex, sizeof hex);
  if (written < 0 || fflush (stdout) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot write the new master key to standard output: %s", g_strerror (saved));
      return FALSE;
    }
  *printed = TRUE;
  return TRUE;
}

static int
cmd_rotate_master_key (EvaConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(EvaKeyStore) store = NULL;
  g_autoptr(EvaMasterKey) new_key = eva_master_key_new_random ();
  gboolean printed = FALSE;

  conn = eva_db_conn_open (config->database_url, &error);
  if (conn == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  store = eva_key_store_new (config);
  if (!eva_key_store_rotate_master_key (store, conn, new_key,
                                        config->has_master_key ? print_new_key_cb : NULL,
                                        &printed, &error))
    {
      if (printed)
        g_printerr ("everato-server: the rotation did not complete: keep EVERATO_MASTER_KEY as "
                    "it is. (Only if a server then reports that the rows need master key %s, "
                    "the commit went through after all: use the key printed above.)\n",
                    eva_master_key_get_id (new_key));
      return fail_keys (conn, error);
    }

  if (config->has_master_key)
    g_printerr ("everato-server: the key rows are sealed with master key %s now, printed "
                "above as 64 hex characters. Set EVERATO_MASTER_KEY to it for every server "
                "and command and restart the servers: with the old value they keep running, "
                "but will not start again. Keep a copy apart from the database backups.\n",
                eva_master_key_get_id (new_key));
  else
    {
      g_autofree char *path = g_build_filename (config->data_dir, EVA_MASTER_KEY_FILE, NULL);

      g_print ("the key rows are sealed with master key %s now, in %s\n"
               "The previous key is kept as %s (for backups of the database made before "
               "now); delete it if it leaked.\n"
               "Back up %s, apart from the database backups. Running servers need no "
               "restart.\n",
               eva_master_key_get_id (new_key), path, EVA_MASTER_KEY_FILE_OLD, path);
    }
  return 0;
}

static int
cmd_rotate_token_key (EvaConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(EvaKeyStore) store = NULL;

  conn = eva_db_conn_open (config->database_url, &error);
  if (conn == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  store = eva_key_store_new (config);
  if (!eva_key_store_rotate_token_key (store, conn, &error))
    return fail_keys (conn, error);

  g_print ("replaced the access-token key: staff access tokens signed with the old key are "
           "refused from now on.\n"
           "Running servers use the new key within %d seconds, without a restart. Refresh "
           "tokens keep working: signed-in staff apps get a new access token with theirs.\n",
           EVA_KEY_STORE_REFRESH_SECONDS);
  return 0;
}

static int
cmd_rotate_ticket_key (EvaConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(EvaKeyStore) store = NULL;
  char key_id[EVA_TICKET_KEY_ID_LEN + 1];

  conn = eva_db_conn_open (config->database_url, &error);
  if (conn == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 1;
    }

  store = eva_key_store_new (config);
  if (!eva_key_store_unlock (store, conn, &error)
      || !eva_key_store_rotate_ticket_key (store, conn, key_id, &error))
    return fail_keys (conn, error);

  g_print ("new tickets are signed with key %s from now on. Tickets issued before keep "
           "their codes: the retired keys still verify them (GET /api/v1/public/ticket-keys).\n",
           key_id);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Entry                                                              */
/* ------------------------------------------------------------------ */

int
eva_cli_main (int    argc,
              char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaConfig) config = NULL;
  const char *command;

  if (argc < 2)
    return fail_usage (NULL);
  command = argv[1];

  if (g_str_equal (command, "--version") || g_str_equal (command, "version"))
    {
      g_print ("everato-server %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_str_equal (command, "--help") || g_str_equal (command, "help"))
    {
      g_print ("%s", usage);
      return 0;
    }
  if (!g_str_equal (command, "serve") && !g_str_equal (command, "migrate") &&
      !g_str_equal (command, "create-admin") && !g_str_equal (command, "rotate-master-key") &&
      !g_str_equal (command, "rotate-token-key") && !g_str_equal (command, "rotate-ticket-key") &&
      !g_str_equal (command, "backup") && !g_str_equal (command, "restore"))
    {
      g_autofree char *message = g_strdup_printf ("unknown command \"%s\"", command);

      return fail_usage (message);
    }

  eva_common_init ();

  config = eva_config_load (&error);
  if (config == NULL)
    {
      g_printerr ("everato-server: %s\n", error->message);
      return 2;
    }
  eva_log_init (config->log_format);

  if (g_str_equal (command, "serve"))
    {
      if (argc > 2)
        return fail_usage ("serve takes no arguments");
      return cmd_serve (config);
    }
  if (g_str_equal (command, "migrate"))
    return cmd_migrate (config, argc - 2, argv + 2);
  if (g_str_equal (command, "backup"))
    {
      if (argc != 3)
        return fail_usage ("backup takes the archive's file name");
      return eva_backup_run (config, argv[2]);
    }
  if (g_str_equal (command, "restore"))
    {
      gboolean force = argc == 4 && g_str_equal (argv[3], "--force");

      if (argc == 4 && g_str_equal (argv[2], "--force"))
        return eva_restore_run (config, argv[3], TRUE);
      if (argc != 3 && !force)
        return fail_usage ("restore takes the archive's file name and, optionally, --force");
      return eva_restore_run (config, argv[2], force);
    }
  if (g_str_equal (command, "rotate-ticket-key"))
    {
      if (argc > 2)
        return fail_usage ("rotate-ticket-key takes no arguments");
      return cmd_rotate_ticket_key (config);
    }
  if (g_str_equal (command, "rotate-master-key") || g_str_equal (command, "rotate-token-key"))
    {
      g_autofree char *message = g_strdup_printf ("%s takes no arguments", command);

      if (argc > 2)
        return fail_usage (message);
      return g_str_equal (command, "rotate-master-key") ? cmd_rotate_master_key (config)
                                                        : cmd_rotate_token_key (config);
    }
  return cmd_create_admin (config, argc - 1, argv + 1);
}
