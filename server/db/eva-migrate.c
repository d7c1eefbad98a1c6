/* eva-migrate.c: schema migrations embedded in the binary
 *
 * migrations/NNNN_name.up.sql and .down.sql are compiled in as a GResource.
 * Every run takes a session advisory lock first, so servers starting at the
 * same moment apply each migration exactly once: the second waits, then
 * finds nothing left to do. Each migration runs in its own transaction
 * together with its schema_migrations row.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-migrate"

#include "config.h"

#include <gio/gio.h>

#include "eva-common.h"
#include "db/eva-migrate.h"

#define RESOURCE_DIR "/org/everato/migrations/"
/* "everato" in ASCII, as the advisory lock key. */
#define LOCK_KEY "7310012489474421871"

typedef struct
{
  guint  version;
  char  *name;
} Migration;

static void
migration_free (Migration *m)
{
  g_free (m->name);
  g_free (m);
}

static gint
migration_compare (gconstpointer a,
                   gconstpointer b)
{
  const Migration *ma = *(const Migration **) a;
  const Migration *mb = *(const Migration **) b;

  return (ma->version > mb->version) - (ma->version < mb->version);
}

/* Sorted list of the embedded migrations that have both halves. */
static GPtrArray *
list_migrations (void)
{
  g_auto(GStrv) children = g_resources_enumerate_children (RESOURCE_DIR, 0, NULL);
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) migration_free);

  for (guint i = 0; children != NULL && children[i] != NULL; i++)
    {
      const char *file = children[i];
      g_autofree char *down = NULL;
      g_autofree char *number = NULL;
      guint64 version;
      Migration *m;

      if (!g_str_has_suffix (file, ".up.sql") || strlen (file) < 5 || file[4] != '_')
        continue;
      number = g_strndup (file, 4);
      if (!g_ascii_string_to_unsigned (number, 10, 1, 9999, &version, NULL))
        continue;

      m = g_new0 (Migration, 1);
      m->version = version;
      m->name = g_strndup (file, strlen (file) - strlen (".up.sql"));

      down = g_strconcat (RESOURCE_DIR, m->name, ".down.sql", NULL);
      if (!g_resources_get_info (down, 0, NULL, NULL, NULL))
        g_error ("migration %s has no .down.sql", file);
      g_ptr_array_add (list, m);
    }

  g_ptr_array_sort (list, migration_compare);
  return list;
}

guint
eva_migrate_latest (void)
{
  g_autoptr(GPtrArray) list = list_migrations ();

  return list->len > 0 ? ((Migration *) g_ptr_array_index (list, list->len - 1))->version : 0;
}

/* @sqlstate (6 bytes, or NULL) gets the SQLSTATE of a failure. */
static gboolean
exec_script (EvaDbConn   *conn,
             const char  *sql,
             char        *sqlstate,
             GError     **error)
{
  PGconn *pg = eva_db_conn_get_pg (conn);
  g_autoptr(PGresult) result = PQexec (pg, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    {
      if (sqlstate != NULL)
        g_strlcpy (sqlstate, PQresultErrorField (result, PG_DIAG_SQLSTATE) ?: "", 6);
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "%s", PQerrorMessage (pg));
      return FALSE;
    }
  return TRUE;
}

static char *
load_sql (const Migration *m,
          const char      *direction,
          GError         **error)
{
  g_autofree char *path = g_strdup_printf (RESOURCE_DIR "%s.%s.sql", m->name, direction);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, 0, error);

  if (bytes == NULL)
    return NULL;
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gboolean
lock_and_prepare (EvaDbConn  *conn,
                  GError    **error)
{
  return exec_script (conn, "SELECT pg_advisory_lock(" LOCK_KEY ")", NULL, error) &&
         exec_script (conn,
                      "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      "  version integer PRIMARY KEY,"
                      "  name text NOT NULL,"
                      "  applied_at timestamptz NOT NULL DEFAULT now())",
                      NULL, error);
}

static void
unlock (EvaDbConn *conn)
{
  PGconn *pg = eva_db_conn_get_pg (conn);

  if (pg != NULL && PQstatus (pg) == CONNECTION_OK)
    PQclear (PQexec (pg, "SELECT pg_advisory_unlock(" LOCK_KEY ")"));
}

static GHashTable *
applied_versions (EvaDbConn  *conn,
                  GError    **error)
{
  g_autoptr(PGresult) result = NULL;
  GHashTable *set;

  result = eva_db_exec_once (conn, "SELECT version FROM schema_migrations ORDER BY version",
                             0, NULL, error);
  if (result == NULL)
    return NULL;

  set = g_hash_table_new (NULL, NULL);
  for (int i = 0; i < PQntuples (result); i++)
    g_hash_table_add (set, GUINT_TO_POINTER (atoi (PQgetvalue (result, i, 0))));
  return set;
}

/* @sqlstate (6 bytes) gets the SQLSTATE of a failed statement, or "". */
static gboolean
apply_once (EvaDbConn       *conn,
            const Migration *m,
            gboolean         up,
            char            *sqlstate,
            GError         **error)
{
  g_autofree char *sql = load_sql (m, up ? "up" : "down", error);
  g_autofree char *version = g_strdup_printf ("%u", m->version);
  g_autoptr(PGresult) row = NULL;

  *sqlstate = '\0';
  if (sql == NULL || !eva_db_begin (conn, error))
    return FALSE;

  if (!exec_script (conn, sql, sqlstate, error))
    {
      g_prefix_error (error, "migration %s (%s) failed: ", m->name, up ? "up" : "down");
      eva_db_rollback (conn);
      return FALSE;
    }

  if (up)
    row = eva_db_exec_once (conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                            2, EVA_DB_PARAMS (version, m->name), error);
  else
    row = eva_db_exec_once (conn, "DELETE FROM schema_migrations WHERE version = $1",
                            1, EVA_DB_PARAMS (version), error);
  if (row == NULL)
    {
      g_prefix_error (error, "migration %s (%s) failed: ", m->name, up ? "up" : "down");
      g_strlcpy (sqlstate, eva_db_conn_last_sqlstate (conn) ?: "", 6);
      eva_db_rollback (conn);
      return FALSE;
    }

  if (!eva_db_commit (conn, error))
    {
      /* A failed COMMIT ends the transaction too. */
      g_strlcpy (sqlstate, eva_db_conn_last_sqlstate (conn) ?: "", 6);
      return FALSE;
    }
  return TRUE;
}

/* Lost to a running server (a deadlock, a serialization failure, a lock
 * wait cut short), not wrong in itself. */
static gboolean
transient (const char *sqlstate)
{
  return g_str_equal (sqlstate, "40P01") || g_str_equal (sqlstate, "40001") ||
         g_str_equal (sqlstate, "55P03");
}

/* A migration that takes locks on tables running servers write to (a
 * trigger on bookings, say) can lose a deadlock to them; it was rolled back
 * whole, so running it again is safe, as long as it runs on the session
 * that holds the advisory lock still. */
static gboolean
apply (EvaDbConn       *conn,
       const Migration *m,
       gboolean         up,
       GError         **error)
{
  int backend = PQbackendPID (eva_db_conn_get_pg (conn));

  for (guint attempt = 1;; attempt++)
    {
      g_autoptr(GError) local = NULL;
      char sqlstate[6];

      if (apply_once (conn, m, up, sqlstate, &local))
        return TRUE;
      if (attempt >= 10 || !transient (sqlstate) ||
          PQbackendPID (eva_db_conn_get_pg (conn)) != backend)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_message ("%s; trying again", g_strchomp (local->message));
      g_usleep (G_USEC_PER_SEC / 10 * attempt);
    }
}

gboolean
eva_migrate_up (EvaDbConn  *conn,
                GString    *log,
                GError    **error)
{
  g_autoptr(GPtrArray) list = list_migrations ();
  g_autoptr(GHashTable) applied = NULL;
  gboolean ok = TRUE;
  guint count = 0;

  if (!lock_and_prepare (conn, error))
    return FALSE;

  applied = applied_versions (conn, error);
  if (applied == NULL)
    {
      unlock (conn);
      return FALSE;
    }

  for (guint i = 0; ok && i < list->len; i++)
    {
      const Migration *m = g_ptr_array_index (list, i);

      if (g_hash_table_contains (applied, GUINT_TO_POINTER (m->version)))
        continue;
      ok = apply (conn, m, TRUE, error);
      if (ok)
        {
          count++;
          if (log != NULL)
            g_string_append_printf (log, "applied %s\n", m->name);
        }
    }

  if (ok && log != NULL && count == 0)
    g_string_append (log, "schema is up to date\n");

  unlock (conn);
  return ok;
}

gboolean
eva_migrate_down (EvaDbConn  *conn,
                  guint       steps,
                  GString    *log,
                  GError    **error)
{
  g_autoptr(GPtrArray) list = list_migrations ();
  g_autoptr(GHashTable) applied = NULL;
  gboolean ok = TRUE;

  if (!lock_and_prepare (conn, error))
    return FALSE;

  applied = applied_versions (conn, error);
  if (applied == NULL)
    {
      unlock (conn);
      return FALSE;
    }

  for (guint i = list->len; ok && steps > 0 && i > 0; i--)
    {
      const Migration *m = g_ptr_array_index (list, i - 1);

      if (!g_hash_table_contains (applied, GUINT_TO_POINTER (m->version)))
        continue;
      ok = apply (conn, m, FALSE, error);
      if (ok)
        {
          steps--;
          if (log != NULL)
            g_string_append_printf (log, "reverted %s\n", m->name);
        }
    }

  unlock (conn);
  return ok;
}

gboolean
eva_migrate_status (EvaDbConn  *conn,
                    GString    *out,
                    GError    **error)
{
  g_autoptr(GPtrArray) list = list_migrations ();
  g_autoptr(GHashTable) applied = NULL;

  if (!lock_and_prepare (conn, error))
    return FALSE;
  applied = applied_versions (conn, error);
  unlock (conn);
  if (applied == NULL)
    return FALSE;

  for (guint i = 0; i < list->len; i++)
    {
      const Migration *m = g_ptr_array_index (list, i);

      g_string_append_printf (out, "%s  %s\n",
                              g_hash_table_contains (applied, GUINT_TO_POINTER (m->version))
                                ? "applied" : "pending",
                              m->name);
    }
  return TRUE;
}

static const char sql_current_version[] =
  "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 "
  "ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END";

gboolean
eva_migrate_current (EvaDbConn  *conn,
                     guint      *version,
                     GError    **error)
{
  g_autoptr(PGresult) result = eva_db_exec_once (conn, sql_current_version, 0, NULL, error);

  if (result == NULL)
    return FALSE;
  *version = atoi (eva_db_value (result));
  return TRUE;
}
