/* eva-outbox.c: the email outbox — enqueue in the caller's transaction,
 * deliver from worker threads
 *
 * A mail is a row of email_outbox, inserted in the same transaction as the
 * change that causes it, so it exists if and only if the change commits.
 * Delivery is at least once, without duplicates on the normal paths:
 *
 *   claim    one short autocommit statement picks the oldest due row with
 *            FOR UPDATE SKIP LOCKED (so any number of threads and server
 *            processes share the queue), sets status 'sending', attempts + 1
 *            and lease_until = now + LEASE;
 *   send     outside any transaction: render, then SMTP (libcurl) or a
 *            .eml file when EVERATO_SMTP_URL is unset;
 *   mark     one short statement right after the server accepted the
 *            message: 'sent' — or on failure 'pending' again with
 *            next_attempt_at = now + backoff, or 'dead' after max_attempts
 *            (or at once when the mail cannot be rendered, which no retry
 *            fixes).
 *
 * A process that dies mid-send leaves its row in 'sending'; once the lease
 * runs out any worker claims it again (a mail may then go out twice: that
 * is the "at least once"). The Message-ID comes from the row, so the
 * receiver sees the same id both times. A row whose lease ran out on its
 * last attempt goes dead instead of being sent once more, so a mail that
 * crashes the server cannot do so forever.
 *
 * Backoff: base × 2^(attempts − 1), capped, times a random factor in
 * [0.5, 1) so that mails that failed together do not retry together.
 *
 * Workers are plain threads (db/eva-queue.c), each with its own database
 * connection, never an HTTP thread. They wait on that connection for
 * NOTIFY everato_outbox (sent by eva_outbox_enqueue() and delivered at
 * commit), with a poll every EVERATO_MAIL_POLL_MS as the fallback that also
 * picks up retries coming due. Stopping lets each worker finish the mail
 * in hand.
 *
 * Settings (environment): EVERATO_MAIL_WORKERS (1), EVERATO_MAIL_POLL_MS
 * (1000), EVERATO_MAIL_RETRY_BASE_MS (30000), EVERATO_MAIL_RETRY_MAX_MS
 * (3600000), besides EVERATO_SMTP_URL, EVERATO_MAIL_FROM and
 * EVERATO_DATA_DIR from the server's configuration.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-outbox"

#include "config.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "eva-common.h"
#include "mail/eva-mail.h"
#include "db/eva-queue.h"
#include "mail/eva-outbox.h"

#define LEASE_MS           (5 * 60 * 1000)   /* well above the SMTP timeout */
#define ERROR_MAX_CHARS    1000
#define LOCALE_MAX_LEN     35
#define MARK_TRIES         10

struct _EvaOutbox
{
  EvaConfig *config;
  char      *mail_dir;
  guint      retry_base_ms;
  guint      retry_max_ms;
  EvaQueue  *queue;
};

/* What one step works with: the worker's connection and its SMTP
 * connection, kept open between mails. */
typedef struct
{
  EvaOutbox *outbox;
  EvaDbConn *conn;
  EvaSmtp   *smtp;
} Worker;

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

/* $1 to, $2 name, $3 locale, $4 template, $5 payload. The NOTIFY is
 * delivered when the caller's transaction commits, and never if it rolls
 * back. */
static const char sql_enqueue[] =
  "WITH queued AS ("
  "  INSERT INTO email_outbox (to_address, to_name, locale, template, payload)"
  "  VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id"
  ") SELECT id, pg_notify ('" EVA_OUTBOX_CHANNEL "', id::text) FROM queued";

/* $1 lease in ms. */
static const char sql_claim[] =
  "WITH due AS ("
  "  SELECT id FROM email_outbox"
  "  WHERE status IN ('pending', 'sending')"
  "    AND ((status = 'pending' AND next_attempt_at <= now ())"
  "      OR (status = 'sending' AND (lease_until IS NULL OR lease_until < now ())))"
  "  ORDER BY next_attempt_at, id"
  "  LIMIT 1"
  "  FOR UPDATE SKIP LOCKED"
  ") "
  "UPDATE email_outbox o SET status = 'sending', attempts = o.attempts + 1,"
  "  lease_until = now () + $1::bigint * interval '1 millisecond' "
  "FROM due WHERE o.id = due.id "
  "RETURNING o.id, o.to_address, o.to_name, o.locale, o.template, o.payload::text,"
  "  o.message_id, o.attempts, o.max_attempts,"
  "  extract (epoch FROM o.created_at)::bigint";

enum { COL_ID, COL_TO, COL_NAME, COL_LOCALE, COL_TEMPLATE, COL_PAYLOAD,
       COL_MESSAGE_ID, COL_ATTEMPTS, COL_MAX_ATTEMPTS, COL_CREATED };

/* $1 id. Not guarded by attempts: the server accepted the mail, so it is
 * sent whoever claimed it last. */
static const char sql_mark_sent[] =
  "UPDATE email_outbox SET status = 'sent', sent_at = now (), lease_until = NULL, "
  "                        payload = payload - 'link' "
  "WHERE id = $1::bigint AND status IN ('sending', 'pending')";

/* Links in payloads carry single-use tokens (verification, reset): a sent
 * mail forgets its link at once (above); every other row once no token in
 * it can be valid any more (the longest lives 24 hours). */
static const char sql_scrub[] =
  "UPDATE email_outbox SET payload = payload - 'link' "
  "WHERE payload ? 'link' AND (status = 'sent' OR created_at < now () - interval '2 days')";

/* $1 id, $2 attempts (our claim), $3 new status, $4 delay ms, $5 error. */
static const char sql_mark_failed[] =
  "UPDATE email_outbox SET status = $3,"
  "  next_attempt_at = CASE WHEN $3 = 'pending'"
  "    THEN now () + $4::bigint * interval '1 millisecond' ELSE next_attempt_at END,"
  "  lease_until = NULL, last_error = $5 "
  "WHERE id = $1::bigint AND status = 'sending' AND attempts = $2::int";

/* ------------------------------------------------------------------ */
/* Enqueue                                                            */
/* ------------------------------------------------------------------ */

static gboolean
valid_locale (const char *locale)
{
  gsize len = strlen (locale);

  if (len == 0 || len > LOCALE_MAX_LEN)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (locale[i]) && strchr ("-_.@", locale[i]) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
eva_outbox_enqueue (EvaDbConn   *conn,
                    const char  *to_address,
                    const char  *to_name,
                    const char  *locale,
                    const char  *template_name,
                    JsonObject  *payload,
                    GError     **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *payload_text = NULL;
  g_autoptr(PGresult) result = NULL;

  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (to_name == NULL)
    to_name = "";
  if (locale == NULL || *locale == '\0')
    locale = "en";

  if (!eva_validate_email (to_address))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "cannot queue mail: not an email address");
      return FALSE;
    }
  if (!g_utf8_validate (to_name, -1, NULL))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "cannot queue mail: the recipient's name is not UTF-8");
      return FALSE;
    }
  if (!valid_locale (locale))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "cannot queue mail: \"%s\" is not a locale", locale);
      return FALSE;
    }
  if (!eva_mail_template_exists (template_name))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "cannot queue mail: no mail template \"%s\"",
                   template_name != NULL ? template_name : "(null)");
      return FALSE;
    }

  if (payload != NULL)
    json_node_set_object (node, payload);
  else
    json_node_take_object (node, json_object_new ());
  payload_text = eva_json_to_string (node);

  result = eva_db_query (conn, sql_enqueue, error,
                         to_address, to_name, locale, template_name, payload_text);
  return result != NULL;
}

/* ------------------------------------------------------------------ */
/* Marking                                                            */
/* ------------------------------------------------------------------ */

static gint64
backoff_ms (EvaOutbox *outbox,
            int        attempts)
{
  double delay = outbox->retry_base_ms;

  for (int i = 1; i < attempts && delay < outbox->retry_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, (double) outbox->retry_max_ms);
  return (gint64) (delay * g_random_double_range (0.5, 1.0));
}

static void
mark_sent (Worker     *w,
           const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;

  /* If this does not land, the lease runs out and the mail goes out a
   * second time. */
  result = eva_queue_exec_retrying (w->conn, sql_mark_sent, 1, EVA_DB_PARAMS (id),
                                    MARK_TRIES, &error);
  if (result == NULL)
    g_warning ("mail %s was delivered but cannot be marked sent (%s); "
               "it will be sent again when its lease runs out", id, error->message);
}

static void
mark_failed (Worker     *w,
             const char *id,
             int         attempts,
             gboolean    dead,
             const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *attempts_text = g_strdup_printf ("%d", attempts);
  g_autofree char *delay = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            dead ? 0 : backoff_ms (w->outbox, attempts));
  g_autofree char *valid = g_utf8_make_valid (message, -1);
  g_autofree char *text = g_utf8_strlen (valid, -1) > ERROR_MAX_CHARS
                          ? g_utf8_substring (valid, 0, ERROR_MAX_CHARS)
                          : g_strdup (valid);
  g_autoptr(PGresult) result = NULL;

  result = eva_queue_exec_retrying (w->conn, sql_mark_failed, 5,
                                    EVA_DB_PARAMS (id, attempts_text, dead ? "dead" : "pending",
                                                   delay, text),
                                    MARK_TRIES, &error);
  if (result == NULL)
    g_warning ("mail %s: cannot record the failed attempt (%s); it is retried "
               "when its lease runs out", id, error->message);
  else if (dead)
    g_warning ("mail %s is dead after %d attempt(s): %s", id, attempts, text);
  else
    g_message ("mail %s: attempt %d failed, retrying in %s ms: %s",
               id, attempts, delay, text);
}

/* ------------------------------------------------------------------ */
/* One mail                                                           */
/* ------------------------------------------------------------------ */

static gboolean
deliver (Worker   *w,
         EvaMail  *mail,
         gint64    id,
         const char *to_address,
         GError  **error)
{
  EvaOutbox *outbox = w->outbox;
  g_autofree char *path = NULL;

  if (outbox->config->smtp_url != NULL)
    {
      if (w->smtp == NULL)
        w->smtp = eva_smtp_new (outbox->config->smtp_url, outbox->config->mail_from,
                                 outbox->config->smtp_require_tls);
      if (!eva_smtp_send (w->smtp, to_address, mail->message, error))
        return FALSE;
      g_message ("mail %" G_GINT64_FORMAT " sent to %s: %s", id, to_address, mail->subject);
      return TRUE;
    }

  path = eva_mail_write_file (outbox->mail_dir, id, mail->message, error);
  if (path == NULL)
    return FALSE;
  g_message ("mail %" G_GINT64_FORMAT " to %s: %s (no EVERATO_SMTP_URL: written to %s)",
             id, to_address, mail->subject, path);
  return TRUE;
}

static EvaQueueStep
process_one (EvaDbConn  *conn,
             gpointer    state,
             gpointer    user_data,
             GError    **claim_error)
{
  Worker *w = state;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) claimed = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(EvaMail) mail = NULL;
  g_autofree char *lease = g_strdup_printf ("%d", LEASE_MS);
  EvaMailInput input = { 0 };
  const char *id;
  int attempts, max_attempts;
  JsonNode *root;

  w->conn = conn;
  claimed = eva_db_query (conn, sql_claim, claim_error, lease);
  if (claimed == NULL)
    return EVA_QUEUE_DB_ERROR;
  if (PQntuples (claimed) == 0)
    return EVA_QUEUE_IDLE;

  id = PQgetvalue (claimed, 0, COL_ID);
  attempts = atoi (PQgetvalue (claimed, 0, COL_ATTEMPTS));
  max_attempts = atoi (PQgetvalue (claimed, 0, COL_MAX_ATTEMPTS));

  if (attempts > max_attempts)
    {
      mark_failed (w, id, attempts, TRUE,
                   "a server stopped while sending the last attempt; "
                   "the mail may or may not have been delivered");
      return EVA_QUEUE_WORKED;
    }

  input.id = g_ascii_strtoll (id, NULL, 10);
  input.to_address = PQgetvalue (claimed, 0, COL_TO);
  input.to_name = PQgetvalue (claimed, 0, COL_NAME);
  input.locale = PQgetvalue (claimed, 0, COL_LOCALE);
  input.template_name = PQgetvalue (claimed, 0, COL_TEMPLATE);
  input.message_id = PQgetvalue (claimed, 0, COL_MESSAGE_ID);
  input.created_at = g_ascii_strtoll (PQgetvalue (claimed, 0, COL_CREATED), NULL, 10);

  if (json_parser_load_from_data (parser, PQgetvalue (claimed, 0, COL_PAYLOAD), -1, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    input.payload = json_node_get_object (root);

  /* A mail that cannot be rendered never will be: dead at once. */
  mail = eva_mail_render (&input, w->outbox->config->mail_from, &error);
  if (mail == NULL)
    {
      mark_failed (w, id, attempts, TRUE, error->message);
      return EVA_QUEUE_WORKED;
    }

  if (deliver (w, mail, input.id, input.to_address, &error))
    mark_sent (w, id);
  else
    mark_failed (w, id, attempts, attempts >= max_attempts, error->message);

  return EVA_QUEUE_WORKED;
}

static gpointer
worker_new (gpointer user_data)
{
  Worker *w = g_new0 (Worker, 1);

  w->outbox = user_data;
  return w;
}

static void
worker_free (gpointer state)
{
  Worker *w = state;

  g_clear_pointer (&w->smtp, eva_smtp_free);
  g_free (w);
}

static const EvaQueueClass outbox_queue = {
  .what = "deliver mail",
  .thread_prefix = "eva-mail",
  .channel = EVA_OUTBOX_CHANNEL,
  .step = process_one,
  .worker_new = worker_new,
  .worker_free = worker_free,
};

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaOutbox *
eva_outbox_new (EvaConfig  *config,
                GError    **error)
{
  g_autoptr(EvaOutbox) outbox = g_new0 (EvaOutbox, 1);
  guint n_workers, poll_ms;

  outbox->config = config;
  outbox->mail_dir = g_build_filename (config->data_dir, "mail", NULL);

  if (!eva_queue_env_uint ("EVERATO_MAIL_WORKERS", 1, 16, 1, &n_workers, error) ||
      !eva_queue_env_uint ("EVERATO_MAIL_POLL_MS", 10, 60000, 1000, &poll_ms, error) ||
      !eva_queue_env_uint ("EVERATO_MAIL_RETRY_BASE_MS", 1, 86400000, 30000,
                           &outbox->retry_base_ms, error) ||
      !eva_queue_env_uint ("EVERATO_MAIL_RETRY_MAX_MS", 1, 7 * 86400000U, 3600000,
                           &outbox->retry_max_ms, error))
    return NULL;
  if (outbox->retry_max_ms < outbox->retry_base_ms)
    outbox->retry_max_ms = outbox->retry_base_ms;

  outbox->queue = eva_queue_new (&outbox_queue, config->database_url, n_workers, poll_ms,
                                 outbox, error);
  if (outbox->queue == NULL)
    return NULL;

  /* Before any thread exists: curl_global_init() is not thread-safe
   * everywhere. */
  curl_global_init (CURL_GLOBAL_DEFAULT);
  return g_steal_pointer (&outbox);
}

void
eva_outbox_start (EvaOutbox *outbox)
{
  g_return_if_fail (outbox != NULL);

  eva_queue_start (outbox->queue);
  if (outbox->config->smtp_url != NULL)
    g_message ("delivering mail through SMTP with %u worker(s)",
               eva_queue_get_n_workers (outbox->queue));
  else
    g_message ("EVERATO_SMTP_URL is not set: mail is written to %s", outbox->mail_dir);
}

void
eva_outbox_stop (EvaOutbox *outbox)
{
  if (outbox != NULL)
    eva_queue_stop (outbox->queue);
}

void
eva_outbox_free (EvaOutbox *outbox)
{
  if (outbox == NULL)
    return;

  if (outbox->queue != NULL)
    {
      g_clear_pointer (&outbox->queue, eva_queue_free);
      curl_global_cleanup ();
    }
  g_free (outbox->mail_dir);
  g_free (outbox);
}

/**
 * eva_outbox_scrub:
 * @conn: a connection
 * @error: return location for an error
 *
 * Removes the links (and the tokens in them) from rows that no longer need
 * them. Run now and then by the sweeper of every process.
 *
 * Returns: the number of rows scrubbed, or -1 with @error set.
 */
gint64
eva_outbox_scrub (EvaDbConn  *conn,
                  GError    **error)
{
  g_autoptr(PGresult) result = eva_db_exec (conn, sql_scrub, 0, NULL, error);

  if (result == NULL)
    return -1;
  return g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
}
