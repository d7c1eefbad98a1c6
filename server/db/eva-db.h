/* eva-db.h: PostgreSQL connection pool and query helpers
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

typedef struct _EvaDb     EvaDb;
typedef struct _EvaDbConn EvaDbConn;

/* Work run on a pool thread with a connection of its own. */
typedef void (*EvaDbFunc) (EvaDbConn *conn,
                           gpointer   data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)

EvaDb      *eva_db_new                 (const char   *conninfo,
                                        guint         size);
void        eva_db_push                (EvaDb        *db,
                                        EvaDbFunc     func,
                                        gpointer      data);
guint       eva_db_get_size            (EvaDb        *db);
/* Asks PostgreSQL to cancel whatever the pool's connections are running. */
void        eva_db_cancel_all          (EvaDb        *db);
guint       eva_db_get_queued          (EvaDb        *db);

typedef struct
{
  guint   size;      /* connections */
  guint   busy;      /* running a job now */
  guint   queued;    /* jobs waiting for one */
  guint64 jobs;      /* jobs started since the process began */
  guint64 wait_us;   /* their waits for a connection, summed */
} EvaDbStats;

void        eva_db_get_stats           (EvaDb        *db,
                                        EvaDbStats   *stats);
void        eva_db_free                (EvaDb        *db);

/* A connection outside the pool, for the command line and start-up. */
EvaDbConn  *eva_db_conn_open           (const char   *conninfo,
                                        GError      **error);
void        eva_db_conn_free           (EvaDbConn    *conn);
PGconn     *eva_db_conn_get_pg         (EvaDbConn    *conn);
const char *eva_db_conn_last_constraint (EvaDbConn   *conn);
const char *eva_db_conn_last_sqlstate  (EvaDbConn    *conn);

/* Runs a statement (prepared once per connection, keyed by the address of
 * @sql, which must therefore be a string constant) with text parameters.
 * Returns a result with status COMMAND_OK or TUPLES_OK, or NULL and an
 * EVA_ERROR: UNAVAILABLE when the database cannot be reached, CONFLICT for
 * integrity violations (see eva_db_conn_last_constraint()), INVALID for data
 * exceptions, INTERNAL otherwise. */
PGresult   *eva_db_exec                (EvaDbConn          *conn,
                                        const char         *sql,
                                        int                 n_params,
                                        const char * const *params,
                                        GError            **error);
/* Same, for one-off statements that are not worth preparing. */
PGresult   *eva_db_exec_once           (EvaDbConn          *conn,
                                        const char         *sql,
                                        int                 n_params,
                                        const char * const *params,
                                        GError            **error);
gboolean    eva_db_begin               (EvaDbConn    *conn,
                                        GError      **error);
gboolean    eva_db_commit              (EvaDbConn    *conn,
                                        GError      **error);
void        eva_db_rollback            (EvaDbConn    *conn);

/* The first column of the first row, or NULL if there is no row / NULL. */
const char *eva_db_value               (PGresult     *result);

#define EVA_DB_PARAMS(...) ((const char * const []) { __VA_ARGS__ })
#define EVA_DB_N(...) ((int) (sizeof ((const char *[]) { __VA_ARGS__ }) / sizeof (const char *)))
#define eva_db_query(conn, sql, error, ...) \
  eva_db_exec ((conn), (sql), EVA_DB_N (__VA_ARGS__), EVA_DB_PARAMS (__VA_ARGS__), (error))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaDbConn, eva_db_conn_free)

G_END_DECLS
