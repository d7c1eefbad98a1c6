/* eva-queue.h: worker threads that work through a queue table
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "db/eva-db.h"

G_BEGIN_DECLS

typedef struct _EvaQueue EvaQueue;

typedef enum
{
  EVA_QUEUE_IDLE,       /* nothing due: wait for a notification or the poll */
  EVA_QUEUE_WORKED,     /* one item handled: look for the next at once */
  EVA_QUEUE_DB_ERROR,   /* the claim failed (error set): wait, then try again */
} EvaQueueStep;

typedef struct
{
  const char  *what;            /* for log lines: "deliver mail" */
  const char  *thread_prefix;   /* thread names: "eva-mail" → "eva-mail-0" */
  const char  *channel;         /* the NOTIFY channel that says work is due */
  /* Claims one due item on @conn (the worker's own connection) and
   * handles it. @state is the worker's, from worker_new (or NULL). */
  EvaQueueStep (*step)        (EvaDbConn  *conn,
                               gpointer    state,
                               gpointer    user_data,
                               GError    **error);
  gpointer     (*worker_new)  (gpointer    user_data);
  void         (*worker_free) (gpointer    state);
} EvaQueueClass;

/* @klass and @user_data must outlive the queue. Nothing runs before
 * _start(). */
EvaQueue     *eva_queue_new        (const EvaQueueClass  *klass,
                                    const char           *database_url,
                                    guint                 n_workers,
                                    guint                 poll_ms,
                                    gpointer              user_data,
                                    GError              **error);
/* Starts the threads. Each opens a connection of its own (again whenever
 * it is lost), LISTENs on the channel and calls step until it returns
 * IDLE, then sleeps until a notification, the poll interval or _stop(). */
void          eva_queue_start      (EvaQueue             *queue);
/* Lets each worker finish the step in hand, then joins them. */
void          eva_queue_stop       (EvaQueue             *queue);
void          eva_queue_free       (EvaQueue             *queue);
guint         eva_queue_get_n_workers (EvaQueue          *queue);

/* Runs @sql with @params until it succeeds, at most @tries times half a
 * second apart: for the statement that records what a worker did, which
 * must land (a lease covers the rest). */
PGresult     *eva_queue_exec_retrying (EvaDbConn          *conn,
                                       const char         *sql,
                                       int                 n_params,
                                       const char * const *params,
                                       guint               tries,
                                       GError            **error);

/* An unsigned setting from the environment, @def when unset. */
gboolean      eva_queue_env_uint   (const char           *name,
                                    guint                 min,
                                    guint                 max,
                                    guint                 def,
                                    guint                *out,
                                    GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaQueue, eva_queue_free)

G_END_DECLS
