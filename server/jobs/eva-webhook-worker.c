/* eva-webhook-worker.c: the threads that deliver outgoing webhooks
 *
 * Deliveries are rows of webhook_deliveries, written with their event in
 * the transaction of the change (migrations/0012_webhooks.up.sql). A
 * worker claims one due row with a lease, POSTs the event's stored body
 * (the same bytes every time, so a retry or a redelivery never changes
 * the payload), and records the answer: delivered, or pending again after
 * an exponential backoff with jitter, or failed once the next try would
 * come after give_up_at (three days after the event). A delivery that
 * fails for good disables its endpoint. A server that stops while
 * sending leaves the row "sending"; when the lease runs out it is sent
 * again: at least once, never lost.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-webhooks"

#include "config.h"

#include <stdlib.h>

#include "eva-common.h"
#include "db/eva-db.h"
#include "db/eva-key-store.h"
#include "db/eva-queue.h"
#include "jobs/eva-webhook-worker.h"
#include "mail/eva-outbox.h"
#include "services/webhooks.h"

#define MARK_TRIES    10

struct _EvaWebhookWorker
{
  EvaConfig *config;
  guint      retry_base_ms;
  guint      retry_max_ms;
  guint      timeout_ms;
  gboolean   allow_private;
  EvaQueue  *queue;
};

/* What one step works with. */
typedef struct
{
  EvaWebhookWorker *owner;
  EvaDbConn        *conn;
} Worker;

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

/* $1 lease in ms. Only deliveries of enabled endpoints. */
static const char sql_claim[] =
  "WITH due AS ("
  "  SELECT d.id FROM webhook_deliveries d"
  "  JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled"
  "  WHERE (d.status = 'pending' AND d.next_attempt_at <= now ())"
  "     OR (d.status = 'sending' AND (d.lease_until IS NULL OR d.lease_until < now ()))"
  "  ORDER BY d.next_attempt_at, d.id"
  "  LIMIT 1"
  "  FOR UPDATE OF d SKIP LOCKED"
  ") "
  "UPDATE webhook_deliveries d SET status = 'sending', attempts = d.attempts + 1,"
  "  lease_until = now () + $1::bigint * interval '1 millisecond',"
  "  last_attempt_at = now () "
  "FROM due, webhook_endpoints e, webhook_events v "
  "WHERE d.id = due.id AND e.id = d.endpoint_id AND v.id = d.event_id "
  "RETURNING d.id, d.attempts, e.id, e.url, e.secret, v.id, v.type, v.body";

enum { COL_ID, COL_ATTEMPTS, COL_ENDPOINT, COL_URL, COL_SECRET, COL_EVENT, COL_TYPE, COL_BODY };

/* $1 id, $2 attempts (our claim), $3 status code, $4 excerpt. */
static const char sql_delivered[] =
  "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now (),"
  "  lease_until = NULL, response_status = $3::int, response_excerpt = $4, last_error = NULL "
  "WHERE id = $1::bigint AND status = 'sending' AND attempts = $2::int";

/* $1 id, $2 attempts, $3 delay ms, $4 status code (or NULL), $5 excerpt,
 * $6 error. Failed for good when the next try would come too late. */
static const char sql_failed[] =
  "UPDATE webhook_deliveries SET"
  "  status = CASE WHEN now () + $3::bigint * interval '1 millisecond' > give_up_at"
  "           THEN 'failed' ELSE 'pending' END,"
  "  next_attempt_at = now () + $3::bigint * interval '1 millisecond',"
  "  lease_until = NULL, response_status = $4::int, response_excerpt = $5, last_error = $6 "
  "WHERE id = $1::bigint AND status = 'sending' AND attempts = $2::int "
  "RETURNING status";

/* $1 endpoint, $2 reason. */
static const char sql_disable[] =
  "UPDATE webhook_endpoints SET enabled = false, disabled_at = now (),"
  "  disabled_reason = $2, updated_at = now () "
  "WHERE id = $1::uuid AND enabled RETURNING url";

/* Who is told that an endpoint was disabled. */
static const char sql_organizers[] =
  "SELECT email, name FROM staff WHERE role IN ('organizer', 'super_admin')"
  " AND disabled_at IS NULL ORDER BY email";

/* ------------------------------------------------------------------ */
/* One delivery                                                       */
/* ------------------------------------------------------------------ */

static gint64
backoff_ms (EvaWebhookWorker *owner,
            int               attempts)
{
  double delay = owner->retry_base_ms;

  for (int i = 1; i < attempts && delay < owner->retry_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, (double) owner->retry_max_ms);
  return (gint64) (delay * g_random_double_range (0.75, 1.0));
}

/* Marks must land: retried for a few seconds (the lease covers the rest). */
#define mark(w, sql, error, ...) \
  eva_queue_exec_retrying ((w)->conn, (sql), EVA_DB_N (__VA_ARGS__), EVA_DB_PARAMS (__VA_ARGS__), \
                           MARK_TRIES, (error))

/* Disables the endpoint and, in the same transaction, mails every
 * organizer (once: only the update that disables it does). */
static void
disable_endpoint (Worker     *w,
                  const char *endpoint,
                  const char *reason,
                  const char *last_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) disabled = NULL;
  g_autoptr(PGresult) staff = NULL;
  g_autoptr(JsonObject) payload = json_object_new ();

  if (!eva_db_begin (w->conn, &error))
    goto failed;
  disabled = eva_db_query (w->conn, sql_disable, &error, endpoint, reason);
  if (disabled == NULL)
    goto failed;
  if (PQntuples (disabled) == 0)
    {
      eva_db_rollback (w->conn);
      return;
    }
  staff = eva_db_exec (w->conn, sql_organizers, 0, NULL, &error);
  if (staff == NULL)
    goto failed;
  json_object_set_string_member (payload, "url", PQgetvalue (disabled, 0, 0));
  json_object_set_string_member (payload, "error", last_error != NULL ? last_error : "");
  for (int i = 0; i < PQntuples (staff); i++)
    if (!eva_outbox_enqueue (w->conn, PQgetvalue (staff, i, 0), PQgetvalue (staff, i, 1), "en",
                             "webhook_disabled", payload, &error))
      goto failed;
  if (!eva_db_commit (w->conn, &error))
    goto failed;
  g_warning ("webhook endpoint %s (%s) is disabled: %s", endpoint, PQgetvalue (disabled, 0, 0), reason);
  return;

failed:
  eva_db_rollback (w->conn);
  g_warning ("webhook endpoint %s: cannot disable it (%s); its deliveries have failed for good",
             endpoint, error->message);
}

static EvaQueueStep
process_one (EvaDbConn  *conn,
             gpointer    state,
             gpointer    user_data,
             GError    **claim_error)
{
  EvaWebhookWorker *owner = user_data;
  Worker w_ = { owner, conn };
  Worker *w = &w_;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) claimed = NULL;
  g_autoptr(PGresult) marked = NULL;
  g_auto(EvaWebhookResult) result = { 0 };
  g_autofree char *lease = g_strdup_printf ("%u", owner->timeout_ms + 60000);
  g_autofree char *status = NULL;
  g_autofree char *delay = NULL;
  g_autoptr(EvaSecretText) secret = NULL;
  const char *id, *attempts;

  claimed = eva_db_exec (conn, sql_claim, 1, (const char *[]) { lease }, claim_error);
  if (claimed == NULL)
    return EVA_QUEUE_DB_ERROR;
  if (PQntuples (claimed) == 0)
    return EVA_QUEUE_IDLE;

  id = PQgetvalue (claimed, 0, COL_ID);
  attempts = PQgetvalue (claimed, 0, COL_ATTEMPTS);
  /* Sealed with the master key; one that does not open is an attempt
   * that failed (a server with the right key may send it). */
  secret = eva_key_store_open_webhook_secret (eva_key_store_get_running (),
                                              PQgetvalue (claimed, 0, COL_ENDPOINT),
                                              PQgetvalue (claimed, 0, COL_SECRET), &error);
  if (secret == NULL)
    {
      eva_webhook_result_clear (&result);
      result.error = g_strdup_printf ("the endpoint's signing secret cannot be opened: %s",
                                      error->message);
      g_clear_error (&error);
    }
  else if (eva_webhook_post (PQgetvalue (claimed, 0, COL_URL), secret,
                             PQgetvalue (claimed, 0, COL_EVENT), PQgetvalue (claimed, 0, COL_TYPE),
                             PQgetvalue (claimed, 0, COL_BODY), owner->allow_private,
                             owner->timeout_ms, &result))
    {
      status = g_strdup_printf ("%u", result.status);
      marked = mark (w, sql_delivered, &error, id, attempts, status, result.excerpt);
      if (marked == NULL)
        g_warning ("webhook delivery %s was delivered but cannot be marked (%s); "
                   "it is sent again when its lease runs out", id, error->message);
      else
        g_message ("webhook %s (%s) delivered to %s", PQgetvalue (claimed, 0, COL_EVENT),
                   PQgetvalue (claimed, 0, COL_TYPE), PQgetvalue (claimed, 0, COL_URL));
      return EVA_QUEUE_WORKED;
    }

  status = result.status != 0 ? g_strdup_printf ("%u", result.status) : NULL;
  delay = g_strdup_printf ("%" G_GINT64_FORMAT, backoff_ms (owner, atoi (attempts)));
  marked = mark (w, sql_failed, &error, id, attempts, delay, status,
                 result.excerpt, result.error);
  if (marked == NULL)
    {
      g_warning ("webhook delivery %s: cannot record the failed attempt (%s)", id, error->message);
      return EVA_QUEUE_WORKED;
    }
  if (PQntuples (marked) == 1 && g_str_equal (PQgetvalue (marked, 0, 0), "failed"))
    {
      g_autofree char *reason = g_strdup_printf ("deliveries kept failing for three days (last: %s)",
                                                 result.error);

      g_warning ("webhook delivery %s failed for good: %s", id, result.error);
      disable_endpoint (w, PQgetvalue (claimed, 0, COL_ENDPOINT), reason, result.error);
    }
  else
    g_message ("webhook delivery %s: attempt %s failed, retrying in %s ms: %s",
               id, attempts, delay, result.error);
  return EVA_QUEUE_WORKED;
}

static const EvaQueueClass webhook_queue = {
  .what = "deliver webhooks",
  .thread_prefix = "eva-webhook",
  .channel = EVA_WEBHOOK_CHANNEL,
  .step = process_one,
};

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaWebhookWorker *
eva_webhook_worker_new (EvaConfig  *config,
                        GError    **error)
{
  g_autoptr(EvaWebhookWorker) owner = g_new0 (EvaWebhookWorker, 1);
  guint n_workers, poll_ms;

  owner->config = config;
  owner->allow_private = config->webhook_allow_private;
  if (!eva_queue_env_uint ("EVERATO_WEBHOOK_WORKERS", 1, 16, 2, &n_workers, error) ||
      !eva_queue_env_uint ("EVERATO_WEBHOOK_POLL_MS", 10, 60000, 1000, &poll_ms, error) ||
      !eva_queue_env_uint ("EVERATO_WEBHOOK_TIMEOUT_MS", 100, 60000, 10000, &owner->timeout_ms, error) ||
      !eva_queue_env_uint ("EVERATO_WEBHOOK_RETRY_BASE_MS", 1, 86400000, 30000,
                           &owner->retry_base_ms, error) ||
      !eva_queue_env_uint ("EVERATO_WEBHOOK_RETRY_MAX_MS", 1, 86400000, 6 * 3600000,
                           &owner->retry_max_ms, error))
    return NULL;
  if (owner->retry_max_ms < owner->retry_base_ms)
    owner->retry_max_ms = owner->retry_base_ms;

  owner->queue = eva_queue_new (&webhook_queue, config->database_url, n_workers, poll_ms,
                                owner, error);
  if (owner->queue == NULL)
    return NULL;
  return g_steal_pointer (&owner);
}

void
eva_webhook_worker_start (EvaWebhookWorker *owner)
{
  g_return_if_fail (owner != NULL);

  eva_queue_start (owner->queue);
  if (owner->allow_private)
    g_message ("EVERATO_WEBHOOK_ALLOW_PRIVATE is set: webhooks may call this machine and private networks");
}

void
eva_webhook_worker_stop (EvaWebhookWorker *owner)
{
  if (owner != NULL)
    eva_queue_stop (owner->queue);
}

void
eva_webhook_worker_free (EvaWebhookWorker *owner)
{
  if (owner == NULL)
    return;
  g_clear_pointer (&owner->queue, eva_queue_free);
  g_free (owner);
}
