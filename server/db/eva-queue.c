/* eva-queue.c: worker threads that work through a queue table
 *
 * The mail outbox and the webhook deliveries are both tables that workers
 * claim rows from (FOR UPDATE SKIP LOCKED, with a lease), so any number of
 * threads and server processes share them. What differs is the claim and
 * the work; this file is the rest: the threads, each with a database
 * connection of its own that it opens again when it is lost, and their
 * waiting. A worker waits on its connection for NOTIFY on the queue's
 * channel (sent in the transaction that adds work, so it arrives at
 * commit), with a poll every poll_ms as the fallback that also picks up
 * retries coming due, and on an eventfd that _stop() makes readable.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-queue"

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "eva-common.h"
#include "db/eva-queue.h"

#define RETRY_PAUSE_US (G_USEC_PER_SEC / 2)

struct _EvaQueue
{
  const EvaQueueClass *klass;
  char                *database_url;
  char                *listen_sql;
  guint                n_workers;
  guint                poll_ms;
  gpointer             user_data;
  GPtrArray           *threads;
  int                  wake_fd;
  gint                 stopping;
};

typedef struct
{
  EvaQueue  *queue;
  EvaDbConn *conn;
  gpointer   state;
  int        listen_pid;   /* backend that runs our LISTEN, 0 if none */
  gboolean   db_down;
} Worker;

/* ------------------------------------------------------------------ */
/* Waiting                                                            */
/* ------------------------------------------------------------------ */

static gboolean
stopping (EvaQueue *queue)
{
  return g_atomic_int_get (&queue->stopping);
}

/* LISTEN on the worker's connection, again after every reconnect. */
static void
ensure_listening (Worker *w)
{
  PGconn *pg = eva_db_conn_get_pg (w->conn);
  g_autoptr(PGresult) result = NULL;
  int pid;

  if (pg == NULL || PQstatus (pg) != CONNECTION_OK)
    {
      w->listen_pid = 0;
      return;
    }
  pid = PQbackendPID (pg);
  if (pid == w->listen_pid)
    return;

  result = eva_db_exec_once (w->conn, w->queue->listen_sql, 0, NULL, NULL);
  w->listen_pid = result != NULL ? pid : 0;
}

/* TRUE if a notification was waiting (it is consumed). */
static gboolean
take_notifications (Worker *w,
                    PGconn *pg)
{
  PGnotify *notify;
  gboolean any = FALSE;

  if (!PQconsumeInput (pg))
    {
      /* Broken: plain polling until a query reconnects. */
      w->listen_pid = 0;
      return FALSE;
    }
  while ((notify = PQnotifies (pg)) != NULL)
    {
      any = TRUE;
      PQfreemem (notify);
    }
  return any;
}

static void
wait_for_work (Worker *w)
{
  struct pollfd fds[2] = { { .fd = w->queue->wake_fd, .events = POLLIN } };
  PGconn *pg = w->conn != NULL ? eva_db_conn_get_pg (w->conn) : NULL;
  nfds_t n = 1;

  if (w->listen_pid != 0 && pg != NULL && PQstatus (pg) == CONNECTION_OK)
    {
      /* Notifications read during the last queries are not on the socket
       * any more. */
      if (take_notifications (w, pg))
        return;
      if (w->listen_pid != 0)
        {
          fds[1].fd = PQsocket (pg);
          fds[1].events = POLLIN;
          n = 2;
        }
    }

  if (poll (fds, n, w->queue->poll_ms) > 0 && n == 2 && fds[1].revents != 0)
    take_notifications (w, pg);
}

/* ------------------------------------------------------------------ */
/* The threads                                                        */
/* ------------------------------------------------------------------ */

static void
database_down (Worker     *w,
               const char *doing,
               GError     *error)
{
  if (!w->db_down)
    g_warning ("cannot %s to %s: %s", doing, w->queue->klass->what, error->message);
  w->db_down = TRUE;
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  EvaQueue *queue = w->queue;

  while (!stopping (queue))
    {
      g_autoptr(GError) error = NULL;
      EvaQueueStep step;

      if (w->conn == NULL)
        {
          w->conn = eva_db_conn_open (queue->database_url, &error);
          if (w->conn == NULL)
            {
              database_down (w, "connect", error);
              wait_for_work (w);
              continue;
            }
        }

      ensure_listening (w);
      step = queue->klass->step (w->conn, w->state, queue->user_data, &error);
      if (step == EVA_QUEUE_DB_ERROR)
        {
          database_down (w, "claim work", error);
          wait_for_work (w);
          continue;
        }
      if (w->db_down)
        g_message ("the database is back: working to %s again", queue->klass->what);
      w->db_down = FALSE;
      if (step == EVA_QUEUE_IDLE)
        wait_for_work (w);
    }

  if (queue->klass->worker_free != NULL && w->state != NULL)
    queue->klass->worker_free (w->state);
  g_clear_pointer (&w->conn, eva_db_conn_free);
  g_free (w);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

gboolean
eva_queue_env_uint (const char  *name,
                    guint        min,
                    guint        max,
                    guint        def,
                    guint       *out,
                    GError     **error)
{
  const char *value = g_getenv (name);
  guint64 v;

  if (value == NULL || *value == '\0')
    {
      *out = def;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (value, 10, min, max, &v, NULL))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "%s must be a whole number from %u to %u, not \"%s\"",
                   name, min, max, value);
      return FALSE;
    }
  *out = (guint) v;
  return TRUE;
}

PGresult *
eva_queue_exec_retrying (EvaDbConn          *conn,
                         const char         *sql,
                         int                 n_params,
                         const char * const *params,
                         guint               tries,
                         GError            **error)
{
  for (guint i = 0; ; i++)
    {
      PGresult *result;

      g_clear_error (error);
      result = eva_db_exec (conn, sql, n_params, params, error);
      if (result != NULL || i + 1 >= tries)
        return result;
      g_usleep (RETRY_PAUSE_US);
    }
}

EvaQueue *
eva_queue_new (const EvaQueueClass  *klass,
               const char           *database_url,
               guint                 n_workers,
               guint                 poll_ms,
               gpointer              user_data,
               GError              **error)
{
  g_autoptr(EvaQueue) queue = NULL;

  g_return_val_if_fail (klass != NULL && klass->step != NULL && klass->channel != NULL, NULL);
  g_return_val_if_fail (n_workers > 0 && poll_ms > 0, NULL);

  queue = g_new0 (EvaQueue, 1);
  queue->wake_fd = -1;
  queue->klass = klass;
  queue->database_url = g_strdup (database_url);
  /* A channel is an identifier of ours, never input. */
  queue->listen_sql = g_strconcat ("LISTEN ", klass->channel, NULL);
  queue->n_workers = n_workers;
  queue->poll_ms = poll_ms;
  queue->user_data = user_data;
  queue->threads = g_ptr_array_new ();
  queue->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (queue->wake_fd < 0)
    {
      int saved = errno;

      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "eventfd: %s", g_strerror (saved));
      return NULL;
    }
  return g_steal_pointer (&queue);
}

guint
eva_queue_get_n_workers (EvaQueue *queue)
{
  return queue->n_workers;
}

void
eva_queue_start (EvaQueue *queue)
{
  g_return_if_fail (queue != NULL);
  g_return_if_fail (queue->threads->len == 0);

  for (guint i = 0; i < queue->n_workers; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%u", queue->klass->thread_prefix, i);
      Worker *w = g_new0 (Worker, 1);

      w->queue = queue;
      if (queue->klass->worker_new != NULL)
        w->state = queue->klass->worker_new (queue->user_data);
      g_ptr_array_add (queue->threads, g_thread_new (name, worker_thread, w));
    }
}

void
eva_queue_stop (EvaQueue *queue)
{
  guint64 one = 1;

  if (queue == NULL || queue->threads == NULL || queue->threads->len == 0)
    return;

  /* The eventfd stays readable, so every worker wakes and sees the flag. */
  g_atomic_int_set (&queue->stopping, 1);
  if (write (queue->wake_fd, &one, sizeof one) < 0)
    g_warning ("cannot wake the workers to %s: %s", queue->klass->what, g_strerror (errno));

  for (guint i = 0; i < queue->threads->len; i++)
    g_thread_join (g_ptr_array_index (queue->threads, i));
  g_ptr_array_set_size (queue->threads, 0);
}

void
eva_queue_free (EvaQueue *queue)
{
  if (queue == NULL)
    return;

  if (queue->threads != NULL)
    {
      eva_queue_stop (queue);
      g_ptr_array_unref (queue->threads);
    }
  if (queue->wake_fd >= 0)
    close (queue->wake_fd);
  g_free (queue->listen_sql);
  g_free (queue->database_url);
  g_free (queue);
}
