/* eva-db.c: PostgreSQL connection pool and query helpers
 *
 * The pool is a set of threads, each owning one PGconn, that take work from
 * one queue. HTTP threads never touch libpq: they push a function and get
 * called back on their own main context. A connection that breaks is
 * re-opened by its thread on the next piece of work (at most once a second),
 * so the process recovers by itself when PostgreSQL comes back; meanwhile
 * queries fail at once with EVA_ERROR_UNAVAILABLE, which handlers turn into
 * 503 database_unavailable.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-db"

#include "config.h"

#include "eva-common.h"
#include "db/eva-db.h"

#define RECONNECT_INTERVAL_US (G_USEC_PER_SEC / 2)

struct _EvaDbConn
{
  char       *conninfo;
  PGconn     *pg;
  PGcancel   *cancel;        /* guarded by the pool's cancel_lock */
  GHashTable *prepared;      /* const char *sql → statement name */
  guint       next_statement;
  gint64      last_attempt;
  char        last_constraint[64];
  char        last_sqlstate[6];
};

typedef struct
{
  EvaDbFunc func;
  gpointer  data;
  gint64    queued_us;
} Job;

struct _EvaDb
{
  GAsyncQueue *queue;
  GPtrArray   *threads;
  GPtrArray   *conns;        /* guarded by cancel_lock */
  GMutex       cancel_lock;
  char        *conninfo;
  guint        size;
  /* For /metrics: jobs run, their total wait for a connection, and the
   * connections at work now. */
  guint64      jobs;
  guint64      wait_us;
  gint         busy;
};

static Job stop_job;

/* ------------------------------------------------------------------ */
/* Connections                                                        */
/* ------------------------------------------------------------------ */

static void
notice_processor (void       *arg,
                  const char *message)
{
  /* Keep NOTICEs (e.g. "relation already exists, skipping") out of stderr. */
  g_debug ("%s", message);
}

static gboolean
conn_connect (EvaDbConn  *conn,
              GError    **error)
{
  const char *keys[] = { "dbname", "options", "application_name", "connect_timeout", NULL };
  /* jit=off: Everato's statements are short, and the check-in batch turns
   * sequential scans off for its plans, which makes any small query it
   * reaches (a trigger's look-up in a table of three rows) cost enough for
   * PostgreSQL to compile it, 10–100 ms on every call. */
  const char *values[] = { conn->conninfo, "-c TimeZone=UTC -c DateStyle=ISO -c jit=off", "everato", "5",
                           NULL };

  g_clear_pointer (&conn->pg, PQfinish);
  g_hash_table_remove_all (conn->prepared);
  conn->last_attempt = g_get_monotonic_time ();

  /* expand_dbname = 1: "dbname" may be a full conninfo string or URI, and
   * the settings after it only apply where it does not set them. */
  conn->pg = PQconnectdbParams (keys, values, 1);
  if (PQstatus (conn->pg) != CONNECTION_OK)
    {
      g_autofree char *message = g_strchomp (g_strdup (PQerrorMessage (conn->pg)));

      g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE,
                   "database unavailable: %s", message);
      g_clear_pointer (&conn->pg, PQfinish);
      return FALSE;
    }

  PQsetNoticeProcessor (conn->pg, notice_processor, NULL);
  return TRUE;
}

static G_LOCK_DEFINE (cancel);

/* The cancel handle follows the connection; eva_db_cancel_all() reads it
 * from another thread. */
static void
conn_update_cancel (EvaDbConn *conn)
{
  PGcancel *fresh = conn->pg != NULL ? PQgetCancel (conn->pg) : NULL;
  PGcancel *old;

  G_LOCK (cancel);
  old = conn->cancel;
  conn->cancel = fresh;
  G_UNLOCK (cancel);
  if (old != NULL)
    PQfreeCancel (old);
}

static gboolean
conn_ensure (EvaDbConn  *conn,
             GError    **error)
{
  gboolean ok;

  if (conn->pg != NULL && PQstatus (conn->pg) == CONNECTION_OK)
    return TRUE;

  if (conn->pg == NULL && conn->last_attempt != 0 &&
      g_get_monotonic_time () - conn->last_attempt < RECONNECT_INTERVAL_US)
    {
      g_set_error_literal (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE,
                           "database unavailable");
      return FALSE;
    }

  ok = conn_connect (conn, error);
  conn_update_cancel (conn);
  return ok;
}

static EvaDbConn *
conn_new (const char *conninfo)
{
  EvaDbConn *conn = g_new0 (EvaDbConn, 1);

  conn->conninfo = g_strdup (conninfo);
  conn->prepared = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return conn;
}

EvaDbConn *
eva_db_conn_open (const char  *conninfo,
                  GError     **error)
{
  g_autoptr(EvaDbConn) conn = conn_new (conninfo);

  if (!conn_connect (conn, error))
    return NULL;
  return g_steal_pointer (&conn);
}

void
eva_db_conn_free (EvaDbConn *conn)
{
  if (conn == NULL)
    return;
  g_clear_pointer (&conn->cancel, PQfreeCancel);
  g_clear_pointer (&conn->pg, PQfinish);
  g_hash_table_unref (conn->prepared);
  g_free (conn->conninfo);
  g_free (conn);
}

PGconn *
eva_db_conn_get_pg (EvaDbConn *conn)
{
  return conn->pg;
}

const char *
eva_db_conn_last_constraint (EvaDbConn *conn)
{
  return conn->last_constraint;
}

const char *
eva_db_conn_last_sqlstate (EvaDbConn *conn)
{
  return conn->last_sqlstate;
}

/* ------------------------------------------------------------------ */
/* Results and errors                                                 */
/* ------------------------------------------------------------------ */

/* One place maps SQLSTATE to our error codes. */
static PGresult *
check_result (EvaDbConn  *conn,
              PGresult   *result,
              GError    **error)
{
  ExecStatusType status = result != NULL ? PQresultStatus (result) : PGRES_FATAL_ERROR;
  const char *sqlstate;
  const char *constraint;
  const char *message;

  conn->last_constraint[0] = '\0';
  conn->last_sqlstate[0] = '\0';

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return result;

  sqlstate = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  constraint = result != NULL ? PQresultErrorField (result, PG_DIAG_CONSTRAINT_NAME) : NULL;
  message = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (message == NULL)
    message = PQerrorMessage (conn->pg);

  if (sqlstate != NULL)
    g_strlcpy (conn->last_sqlstate, sqlstate, sizeof conn->last_sqlstate);
  if (constraint != NULL)
    g_strlcpy (conn->last_constraint, constraint, sizeof conn->last_constraint);

  if (PQstatus (conn->pg) != CONNECTION_OK ||
      sqlstate == NULL ||
      g_str_has_prefix (sqlstate, "08") ||      /* connection exception */
      g_str_has_prefix (sqlstate, "57"))        /* shutdown, cancelled */
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE,
                   "database unavailable: %s", message);
      /* Re-open on the next use. */
      if (PQstatus (conn->pg) != CONNECTION_OK)
        {
          g_clear_pointer (&conn->pg, PQfinish);
          g_hash_table_remove_all (conn->prepared);
        }
    }
  else if (g_str_has_prefix (sqlstate, "23"))   /* integrity violation */
    g_set_error (error, EVA_ERROR, EVA_ERROR_CONFLICT, "%s", message);
  else if (g_str_equal (sqlstate, "40001") || g_str_equal (sqlstate, "40P01"))
    g_set_error (error, EVA_ERROR, EVA_ERROR_CONFLICT, "%s", message);
  else if (g_str_has_prefix (sqlstate, "22"))   /* data exception */
    g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "%s", message);
  else if (g_str_equal (sqlstate, "P0002"))     /* no_data_found from our functions */
    g_set_error (error, EVA_ERROR, EVA_ERROR_NOT_FOUND, "%s", message);
  else
    {
      g_warning ("SQL error %s: %s", sqlstate, message);
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "database error %s", sqlstate);
    }

  g_clear_pointer (&result, PQclear);
  return NULL;
}

/* A connection that PostgreSQL dropped (restart, idle kill) is only noticed
 * by the next statement. Statements that change nothing when run twice
 * (BEGIN, plain reads outside a transaction) are retried once on a fresh
 * connection, so the first request after a restart does not fail. */
static gboolean
can_retry (EvaDbConn  *conn,
           const char *sql,
           gboolean    was_idle)
{
  return was_idle && conn->pg == NULL &&
         (g_str_equal (sql, "BEGIN") ||
          g_ascii_strncasecmp (sql, "SELECT", 6) == 0);
}

static PGresult *
exec_prepared (EvaDbConn          *conn,
               const char         *sql,
               int                 n_params,
               const char * const *params,
               GError            **error)
{
  const char *name;

  if (!conn_ensure (conn, error))
    return NULL;

  name = g_hash_table_lookup (conn->prepared, sql);
  if (name == NULL)
    {
      g_autofree char *new_name = g_strdup_printf ("s%u", conn->next_statement++);
      PGresult *prepared = PQprepare (conn->pg, new_name, sql, n_params, NULL);

      prepared = check_result (conn, prepared, error);
      if (prepared == NULL)
        return NULL;
      PQclear (prepared);
      name = new_name;
      g_hash_table_insert (conn->prepared, (gpointer) sql, g_steal_pointer (&new_name));
    }

  return check_result (conn,
                       PQexecPrepared (conn->pg, name, n_params, params, NULL, NULL, 0),
                       error);
}

static PGresult *
exec_params (EvaDbConn          *conn,
             const char         *sql,
             int                 n_params,
             const char * const *params,
             GError            **error)
{
  if (!conn_ensure (conn, error))
    return NULL;

  return check_result (conn,
                       PQexecParams (conn->pg, sql, n_params, NULL, params, NULL, NULL, 0),
                       error);
}

typedef PGresult *(*ExecFunc) (EvaDbConn *, const char *, int, const char * const *, GError **);

static PGresult *
exec_with_retry (ExecFunc            func,
                 EvaDbConn          *conn,
                 const char         *sql,
                 int                 n_params,
                 const char * const *params,
                 GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean was_idle = conn->pg != NULL &&
                      PQtransactionStatus (conn->pg) == PQTRANS_IDLE;
  PGresult *result = func (conn, sql, n_params, params, &local_error);

  if (result == NULL &&
      g_error_matches (local_error, EVA_ERROR, EVA_ERROR_UNAVAILABLE) &&
      can_retry (conn, sql, was_idle))
    {
      g_clear_error (&local_error);
      conn->last_attempt = 0;
      result = func (conn, sql, n_params, params, &local_error);
    }

  if (result == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return result;
}

PGresult *
eva_db_exec (EvaDbConn          *conn,
             const char         *sql,
             int                 n_params,
             const char * const *params,
             GError            **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  return exec_with_retry (exec_prepared, conn, sql, n_params, params, error);
}

PGresult *
eva_db_exec_once (EvaDbConn          *conn,
                  const char         *sql,
                  int                 n_params,
                  const char * const *params,
                  GError            **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  return exec_with_retry (exec_params, conn, sql, n_params, params, error);
}

gboolean
eva_db_begin (EvaDbConn  *conn,
              GError    **error)
{
  g_autoptr(PGresult) result = eva_db_exec_once (conn, "BEGIN", 0, NULL, error);

  return result != NULL;
}

gboolean
eva_db_commit (EvaDbConn  *conn,
               GError    **error)
{
  g_autoptr(PGresult) result = eva_db_exec_once (conn, "COMMIT", 0, NULL, error);

  if (result == NULL)
    return FALSE;
  /* COMMIT of a transaction that an earlier statement aborted "succeeds"
   * with the tag ROLLBACK: nothing was written, so it is a failure. */
  if (g_strcmp0 (PQcmdStatus (result), "ROLLBACK") == 0)
    {
      g_set_error_literal (error, EVA_ERROR, EVA_ERROR_INTERNAL,
                           "The transaction was rolled back: nothing was saved");
      return FALSE;
    }
  return TRUE;
}

void
eva_db_rollback (EvaDbConn *conn)
{
  if (conn->pg != NULL && PQstatus (conn->pg) == CONNECTION_OK &&
      PQtransactionStatus (conn->pg) != PQTRANS_IDLE)
    PQclear (PQexec (conn->pg, "ROLLBACK"));
}

const char *
eva_db_value (PGresult *result)
{
  if (result == NULL || PQntuples (result) < 1 || PQnfields (result) < 1 ||
      PQgetisnull (result, 0, 0))
    return NULL;
  return PQgetvalue (result, 0, 0);
}

/* ------------------------------------------------------------------ */
/* The pool                                                           */
/* ------------------------------------------------------------------ */

static gpointer
pool_thread (gpointer user_data)
{
  EvaDb *db = user_data;
  g_autoptr(EvaDbConn) conn = conn_new (db->conninfo);

  g_mutex_lock (&db->cancel_lock);
  g_ptr_array_add (db->conns, conn);
  g_mutex_unlock (&db->cancel_lock);

  for (;;)
    {
      Job *job = g_async_queue_pop (db->queue);

      if (job == &stop_job)
        break;

      g_atomic_int_inc (&db->busy);
      __atomic_add_fetch (&db->jobs, 1, __ATOMIC_RELAXED);
      __atomic_add_fetch (&db->wait_us, (guint64) MAX (g_get_monotonic_time () - job->queued_us, 0),
                          __ATOMIC_RELAXED);
      /* Connect lazily; if it fails, the work's first query reports it. */
      conn_ensure (conn, NULL);
      job->func (conn, job->data);
      g_atomic_int_dec_and_test (&db->busy);
      /* Never hand a connection on in the middle of a transaction. */
      eva_db_rollback (conn);
      g_free (job);
    }

  g_mutex_lock (&db->cancel_lock);
  g_ptr_array_remove (db->conns, conn);
  g_mutex_unlock (&db->cancel_lock);
  return NULL;
}

EvaDb *
eva_db_new (const char *conninfo,
            guint       size)
{
  EvaDb *db = g_new0 (EvaDb, 1);

  g_return_val_if_fail (size > 0, NULL);

  db->conninfo = g_strdup (conninfo);
  db->size = size;
  db->queue = g_async_queue_new ();
  db->threads = g_ptr_array_new ();
  db->conns = g_ptr_array_new ();
  g_mutex_init (&db->cancel_lock);
  for (guint i = 0; i < size; i++)
    {
      g_autofree char *name = g_strdup_printf ("eva-db-%u", i);

      g_ptr_array_add (db->threads, g_thread_new (name, pool_thread, db));
    }

  return db;
}

void
eva_db_push (EvaDb     *db,
             EvaDbFunc  func,
             gpointer   data)
{
  Job *job = g_new (Job, 1);

  job->func = func;
  job->data = data;
  job->queued_us = g_get_monotonic_time ();
  g_async_queue_push (db->queue, job);
}

void
eva_db_cancel_all (EvaDb *db)
{
  g_mutex_lock (&db->cancel_lock);
  G_LOCK (cancel);
  for (guint i = 0; i < db->conns->len; i++)
    {
      EvaDbConn *conn = g_ptr_array_index (db->conns, i);
      char message[256];

      if (conn->cancel != NULL)
        PQcancel (conn->cancel, message, sizeof message);
    }
  G_UNLOCK (cancel);
  g_mutex_unlock (&db->cancel_lock);
}

guint
eva_db_get_size (EvaDb *db)
{
  return db->size;
}

void
eva_db_get_stats (EvaDb      *db,
                  EvaDbStats *stats)
{
  stats->size = db->size;
  stats->busy = (guint) MAX (g_atomic_int_get (&db->busy), 0);
  stats->queued = eva_db_get_queued (db);
  stats->jobs = __atomic_load_n (&db->jobs, __ATOMIC_RELAXED);
  stats->wait_us = __atomic_load_n (&db->wait_us, __ATOMIC_RELAXED);
}

guint
eva_db_get_queued (EvaDb *db)
{
  gint n = g_async_queue_length (db->queue);

  return n > 0 ? (guint) n : 0;
}

void
eva_db_free (EvaDb *db)
{
  if (db == NULL)
    return;

  /* Work already queued runs first: the stop markers queue behind it. */
  for (guint i = 0; i < db->threads->len; i++)
    g_async_queue_push (db->queue, &stop_job);
  for (guint i = 0; i < db->threads->len; i++)
    g_thread_join (g_ptr_array_index (db->threads, i));

  g_ptr_array_unref (db->threads);
  g_ptr_array_unref (db->conns);
  g_mutex_clear (&db->cancel_lock);
  g_async_queue_unref (db->queue);
  g_free (db->conninfo);
  g_free (db);
}
