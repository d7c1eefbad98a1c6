/* eva-backup.c: everato-server backup FILE / restore FILE [--force]
 *
 * A backup is one tar archive, mode 0600 (it holds the master key):
 *
 *   manifest.json    format, version, when, the server's version, the
 *                    schema's last migration, which key files are inside
 *   database.dump    pg_dump --format=custom of the whole database: one
 *                    snapshot, so consistent while the servers keep
 *                    running; no owners or grants, so it restores into a
 *                    database of another role
 *   master.key[.new|.old]
 *                    the files of $EVERATO_DATA_DIR that open the sealed
 *                    key rows (none when EVERATO_MASTER_KEY is set: that
 *                    key lives wherever the operator keeps it)
 *
 * pg_dump, pg_restore, psql and tar are run as programs (Debian's
 * postgresql-client and tar); the connection settings reach them through
 * libpq's own environment variables (PGHOST, PGPASSWORD, …, from
 * PQconninfoParse of EVERATO_DATABASE_URL), never on a command line that
 * other users can read.
 *
 * Restore reads the archive's member list first and takes nothing but the
 * names above, then restores into the configured database when it holds
 * no tables (or, with --force, after dropping its public schema) in one
 * transaction (pg_restore makes the SQL, psql --single-transaction runs
 * it behind the DROP SCHEMA), so a failed restore changes nothing; then the key files go to $EVERATO_DATA_DIR, where a
 * different key file is replaced only with --force (the old one is kept
 * as NAME.before-restore). Nothing is changed before every check passed.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "everato"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "app/eva-backup.h"
#include "db/eva-db.h"

#define FORMAT_NAME "everato-backup"
#define FORMAT_VERSION 1

static const char * const key_files[] = { "master.key", "master.key.new", "master.key.old", NULL };

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PQconninfoOption, PQconninfoFree)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* The environment for pg_dump / pg_restore: libpq's variable for every
 * setting of @conninfo. */
static char **
pg_environ (const char  *conninfo,
            GError     **error)
{
  char **envp = g_get_environ ();
  char *message = NULL;
  g_autoptr(PQconninfoOption) options = PQconninfoParse (conninfo, &message);

  if (options == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "EVERATO_DATABASE_URL cannot be read: %s",
                   message != NULL ? message : "out of memory");
      PQfreemem (message);
      g_strfreev (envp);
      return NULL;
    }
  /* Only what the URL says: no PG* of the caller's shell mixed in. */
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    if (o->envvar != NULL)
      envp = g_environ_unsetenv (envp, o->envvar);
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    if (o->envvar != NULL && o->val != NULL)
      envp = g_environ_setenv (envp, o->envvar, o->val, TRUE);
  envp = g_environ_setenv (envp, "PGAPPNAME", "everato-backup", TRUE);
  return envp;
}

/* Runs @argv with @envp; its standard output to @stdout_fd (taken) when
 * not -1. Fails with the program's own words. */
static gboolean
run (const char * const  *argv,
     char               **envp,
     int                  stdout_fd,
     char               **out,
     GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDERR_PIPE;

  if (stdout_fd < 0)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  if (envp != NULL)
    g_subprocess_launcher_set_environ (launcher, envp);
  if (stdout_fd >= 0)
    g_subprocess_launcher_take_stdout_fd (launcher, stdout_fd);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    {
      g_prefix_error (error, "cannot run %s (is it installed?): ", argv[0]);
      return FALSE;
    }
  if (!g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_text, &stderr_text, error))
    return FALSE;
  if (!g_subprocess_get_successful (proc))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0],
                   stderr_text != NULL && *stderr_text != '\0' ? g_strstrip (stderr_text) : "no message");
      return FALSE;
    }
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return TRUE;
}

/* Removes @dir and the files in it (it holds no folders). */
static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (dir == NULL)
    return;
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

typedef char TempDir;

static void
temp_dir_free (TempDir *dir)
{
  remove_dir (dir);
  g_free (dir);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TempDir, temp_dir_free)

static gboolean
copy_file (const char  *from,
           const char  *to,
           GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (from, &contents, &length, error))
    return FALSE;
  return g_file_set_contents_full (to, contents, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* ------------------------------------------------------------------ */
/* backup                                                             */
/* ------------------------------------------------------------------ */

int
eva_backup_run (EvaConfig  *config,
                const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(PGresult) version = NULL;
  g_autoptr(TempDir) dir = NULL;
  g_auto(GStrv) envp = NULL;
  g_autoptr(GPtrArray) tar = g_ptr_array_new ();
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) manifest = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *now_text = g_date_time_format_iso8601 (now);
  g_autofree char *dump = NULL;
  g_autofree char *manifest_path = NULL;
  g_autofree char *partial = g_strconcat (path, ".partial", NULL);
  int fd;

  conn = eva_db_conn_open (config->database_url, &error);
  if (conn == NULL)
    goto failed;
  version = eva_db_exec_once (conn, "SELECT max (version)::text FROM schema_migrations", 0, NULL, &error);
  if (version == NULL)
    {
      g_prefix_error (&error, "the database has no Everato schema to back up: ");
      goto failed;
    }

  dir = g_dir_make_tmp ("everato-backup-XXXXXX", &error);
  if (dir == NULL)
    goto failed;
  envp = pg_environ (config->database_url, &error);
  if (envp == NULL)
    goto failed;

  /* The database, in one snapshot. */
  dump = g_build_filename (dir, "database.dump", NULL);
  {
    const char *argv[] = { "pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                           "--file", dump, NULL };

    if (!run (argv, envp, -1, NULL, &error))
      goto failed;
  }

  /* The key files. */
  if (!config->has_master_key)
    for (guint i = 0; key_files[i] != NULL; i++)
      {
        g_autofree char *from = g_build_filename (config->data_dir, key_files[i], NULL);
        g_autofree char *to = g_build_filename (dir, key_files[i], NULL);

        if (!g_file_test (from, G_FILE_TEST_EXISTS))
          continue;
        if (!copy_file (from, to, &error))
          goto failed;
        g_ptr_array_add (keys, g_strdup (key_files[i]));
      }

  json_builder_begin_object (manifest);
  json_builder_set_member_name (manifest, "format");
  json_builder_add_string_value (manifest, FORMAT_NAME);
  json_builder_set_member_name (manifest, "version");
  json_builder_add_int_value (manifest, FORMAT_VERSION);
  json_builder_set_member_name (manifest, "created_at");
  json_builder_add_string_value (manifest, now_text);
  json_builder_set_member_name (manifest, "server_version");
  json_builder_add_string_value (manifest, PACKAGE_VERSION);
  json_builder_set_member_name (manifest, "schema_version");
  json_builder_add_string_value (manifest, eva_db_value (version) != NULL ? eva_db_value (version) : "");
  json_builder_set_member_name (manifest, "key_files");
  json_builder_begin_array (manifest);
  for (guint i = 0; i < keys->len; i++)
    json_builder_add_string_value (manifest, g_ptr_array_index (keys, i));
  json_builder_end_array (manifest);
  json_builder_end_object (manifest);
  root = json_builder_get_root (manifest);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  manifest_path = g_build_filename (dir, "manifest.json", NULL);
  if (!json_generator_to_file (generator, manifest_path, &error))
    goto failed;

  /* The archive: written beside its place with mode 0600, synced, then
   * renamed over it, so FILE is whole or absent. */
  g_unlink (partial);
  fd = g_open (partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot create %s: %s", partial,
                   g_strerror (saved));
      goto failed;
    }
  g_ptr_array_add (tar, (gpointer) "tar");
  g_ptr_array_add (tar, (gpointer) "--create");
  g_ptr_array_add (tar, (gpointer) "--file=-");
  g_ptr_array_add (tar, (gpointer) "--directory");
  g_ptr_array_add (tar, dir);
  g_ptr_array_add (tar, (gpointer) "manifest.json");
  g_ptr_array_add (tar, (gpointer) "database.dump");
  for (guint i = 0; i < keys->len; i++)
    g_ptr_array_add (tar, g_ptr_array_index (keys, i));
  g_ptr_array_add (tar, NULL);
  if (!run ((const char * const *) tar->pdata, NULL, dup (fd), NULL, &error))
    {
      close (fd);
      g_unlink (partial);
      goto failed;
    }
  if (fsync (fd) != 0 || close (fd) != 0 || g_rename (partial, path) != 0)
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot write %s: %s", path,
                   g_strerror (saved));
      g_unlink (partial);
      goto failed;
    }

  g_print ("everato-server: backed up the database (schema %s) and %u key file%s to %s\n",
           eva_db_value (version), keys->len, keys->len == 1 ? "" : "s", path);
  if (config->has_master_key)
    g_print ("everato-server: EVERATO_MASTER_KEY is set, so the archive holds no master key: "
             "keep that key with the backup, apart from it\n");
  return 0;

failed:
  g_printerr ("everato-server: backup failed: %s\n", error->message);
  return 1;
}

/* ------------------------------------------------------------------ */
/* restore                                                            */
/* ------------------------------------------------------------------ */

static gboolean
allowed_member (const char *name)
{
  if (g_str_equal (name, "manifest.json") || g_str_equal (name, "database.dump"))
    return TRUE;
  return g_strv_contains (key_files, name);
}

/* Extracts @path into @dir: its members listed first, and nothing but the
 * names of a backup taken. */
static gboolean
extract (const char  *path,
         const char  *dir,
         GError     **error)
{
  g_autofree char *listing = NULL;
  g_auto(GStrv) names = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  {
    const char *list[] = { "tar", "--list", "--file", path, NULL };

    if (!run (list, NULL, -1, &listing, error))
      return FALSE;
  }
  names = g_strsplit (g_strstrip (listing), "\n", -1);
  g_ptr_array_add (argv, (gpointer) "tar");
  g_ptr_array_add (argv, (gpointer) "--extract");
  g_ptr_array_add (argv, (gpointer) "--no-same-owner");
  g_ptr_array_add (argv, (gpointer) "--no-same-permissions");
  g_ptr_array_add (argv, (gpointer) "--file");
  g_ptr_array_add (argv, (gpointer) path);
  g_ptr_array_add (argv, (gpointer) "--directory");
  g_ptr_array_add (argv, (gpointer) dir);
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (!allowed_member (names[i]))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s is not an Everato backup: it holds \"%s\"", path, names[i]);
          return FALSE;
        }
      g_ptr_array_add (argv, names[i]);
    }
  g_ptr_array_add (argv, NULL);
  return run ((const char * const *) argv->pdata, NULL, -1, NULL, error);
}

/* The manifest's key files, after checking its format. */
static GPtrArray *
read_manifest (const char  *dir,
               GError     **error)
{
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *dump = g_build_filename (dir, "database.dump", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  JsonObject *manifest;
  JsonArray *files;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || !g_file_test (dump, G_FILE_TEST_IS_REGULAR) ||
      g_file_test (path, G_FILE_TEST_IS_SYMLINK) || g_file_test (dump, G_FILE_TEST_IS_SYMLINK))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "not an Everato backup: manifest.json or database.dump is missing");
      return NULL;
    }
  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  manifest = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
             ? json_node_get_object (json_parser_get_root (parser)) : NULL;
  if (manifest == NULL ||
      g_strcmp0 (json_object_get_string_member_with_default (manifest, "format", NULL), FORMAT_NAME) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an Everato backup: its manifest says otherwise");
      return NULL;
    }
  if (json_object_get_int_member_with_default (manifest, "version", 0) != FORMAT_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "this backup has format version %" G_GINT64_FORMAT "; this server reads version %d",
                   json_object_get_int_member_with_default (manifest, "version", 0), FORMAT_VERSION);
      return NULL;
    }
  files = json_object_has_member (manifest, "key_files") ? json_object_get_array_member (manifest, "key_files")
                                                         : NULL;
  for (guint i = 0; files != NULL && i < json_array_get_length (files); i++)
    {
      const char *name = json_array_get_string_element (files, i);
      g_autofree char *file = NULL;

      if (name == NULL || !g_strv_contains (key_files, name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the manifest names an unknown key file");
          return NULL;
        }
      file = g_build_filename (dir, name, NULL);
      if (!g_file_test (file, G_FILE_TEST_IS_REGULAR) || g_file_test (file, G_FILE_TEST_IS_SYMLINK))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is missing from the archive", name);
          return NULL;
        }
      g_ptr_array_add (keys, g_strdup (name));
    }
  return g_steal_pointer (&keys);
}

/* Whether a key file of the data folder would be replaced by a different
 * one. */
static gboolean
key_differs (const char *dir,
             const char *data_dir,
             const char *name)
{
  g_autofree char *from = g_build_filename (dir, name, NULL);
  g_autofree char *to = g_build_filename (data_dir, name, NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (!g_file_get_contents (to, &b, NULL, NULL))
    return FALSE;
  if (!g_file_get_contents (from, &a, NULL, NULL))
    return TRUE;
  return !g_str_equal (g_strstrip (a), g_strstrip (b));
}

int
eva_restore_run (EvaConfig  *config,
                 const char *path,
                 gboolean    force)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(PGresult) tables = NULL;
  g_autoptr(TempDir) dir = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  g_auto(GStrv) envp = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *script = NULL;
  g_autoptr(GPtrArray) replaced = g_ptr_array_new ();

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("everato-server: restore: %s is not a file\n", path);
      return 2;
    }
  dir = g_dir_make_tmp ("everato-restore-XXXXXX", &error);
  if (dir == NULL || !extract (path, dir, &error))
    goto failed;
  keys = read_manifest (dir, &error);
  if (keys == NULL)
    goto failed;

  /* Everything that may refuse, before anything is changed. */
  conn = eva_db_conn_open (config->database_url, &error);
  if (conn == NULL)
    goto failed;
  tables = eva_db_exec_once (conn,
                             "SELECT count(*)::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                             " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')",
                             0, NULL, &error);
  if (tables == NULL)
    goto failed;
  if (!g_str_equal (eva_db_value (tables), "0") && !force)
    {
      g_printerr ("everato-server: restore: the database is not empty (%s tables and other relations); "
                  "restore into an empty database, or add --force to replace everything in it\n",
                  eva_db_value (tables));
      return 1;
    }
  for (guint i = 0; i < keys->len; i++)
    if (key_differs (dir, config->data_dir, g_ptr_array_index (keys, i)))
      {
        if (!force)
          {
            g_printerr ("everato-server: restore: %s/%s holds another key; add --force to replace it "
                        "(it is kept as %s.before-restore)\n", config->data_dir,
                        (char *) g_ptr_array_index (keys, i), (char *) g_ptr_array_index (keys, i));
            return 1;
          }
        g_ptr_array_add (replaced, g_ptr_array_index (keys, i));
      }

  envp = pg_environ (config->database_url, &error);
  if (envp == NULL)
    goto failed;
  g_clear_pointer (&conn, eva_db_conn_free);

  /* The dump as SQL, then run by psql in one transaction behind the
   * dropping of what is there: the database is either as it was or the
   * backup's, whatever fails. */
  dump = g_build_filename (dir, "database.dump", NULL);
  script = g_build_filename (dir, "restore.sql", NULL);
  {
    const char *argv[] = { "pg_restore", "--no-owner", "--no-privileges", "--file", script, dump, NULL };

    if (!run (argv, envp, -1, NULL, &error))
      goto failed;
  }
  {
    g_autoptr(GPtrArray) argv = g_ptr_array_new ();

    g_ptr_array_add (argv, (gpointer) "psql");
    g_ptr_array_add (argv, (gpointer) "--no-psqlrc");
    g_ptr_array_add (argv, (gpointer) "--quiet");
    g_ptr_array_add (argv, (gpointer) "--single-transaction");
    g_ptr_array_add (argv, (gpointer) "--set=ON_ERROR_STOP=1");
    if (!g_str_equal (eva_db_value (tables), "0"))
      {
        g_ptr_array_add (argv, (gpointer) "--command=DROP SCHEMA public CASCADE");
        g_ptr_array_add (argv, (gpointer) "--command=CREATE SCHEMA public");
      }
    g_ptr_array_add (argv, (gpointer) "--file");
    g_ptr_array_add (argv, script);
    g_ptr_array_add (argv, NULL);
    if (!run ((const char * const *) argv->pdata, envp, -1, NULL, &error))
      goto failed;
  }

  if (keys->len > 0 && g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot create %s: %s", config->data_dir,
                   g_strerror (saved));
      goto failed;
    }
  for (guint i = 0; i < replaced->len; i++)
    {
      g_autofree char *current = g_build_filename (config->data_dir, g_ptr_array_index (replaced, i), NULL);
      g_autofree char *kept = g_strconcat (current, ".before-restore", NULL);

      if (!copy_file (current, kept, &error))
        goto failed;
    }
  for (guint i = 0; i < keys->len; i++)
    {
      g_autofree char *from = g_build_filename (dir, g_ptr_array_index (keys, i), NULL);
      g_autofree char *to = g_build_filename (config->data_dir, g_ptr_array_index (keys, i), NULL);

      if (!copy_file (from, to, &error))
        goto failed;
    }

  g_print ("everato-server: restored %s into the database and %u key file%s into %s\n", path, keys->len,
           keys->len == 1 ? "" : "s", config->data_dir);
  if (keys->len == 0)
    g_print ("everato-server: the archive holds no master key: start the servers with the "
             "EVERATO_MASTER_KEY the backed-up installation used\n");
  return 0;

failed:
  g_printerr ("everato-server: restore failed: %s\n", error->message);
  return 1;
}
