/* api/payments.c: paying for a booking, Stripe's webhook, refunds
 *
 *   POST /api/v1/me/bookings/{id}/checkout          attendee
 *   POST /api/v1/me/bookings/{id}/payment/refresh   attendee
 *   POST /api/v1/payments/stripe/webhook            Stripe (signed)
 *   POST /api/v1/admin/bookings/{id}/refund         organizer
 *   POST /api/v1/admin/bookings/{id}/mark-paid      organizer
 *
 * A card checkout and a refund run in three stages: the database (the
 * payment or refund row first), Stripe on the gateway pool (never on an
 * HTTP loop or a database connection), the database again with Stripe's
 * answer. The contract is docs/PAYMENTS.md.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "eva-common.h"
#include "api/eva-api.h"
#include "api/payments-private.h"
#include "services/payments.h"
#include "services/stripe.h"

#define WEBHOOK_TOLERANCE_S 300

static void
reply_outcome (EvaRequest *req,
               EvaOutcome *out)
{
  if (out->code != NULL)
    {
      if (out->retry_after > 0)
        {
          g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, out->retry_after);

          eva_request_add_header (req, "Retry-After", seconds);
        }
      eva_request_reply_error (req, out->status, out->code, out->details, "%s", out->message);
      return;
    }
  eva_request_reply_json_text (req, out->status, out->json);
}

static gboolean
id_ok (EvaRequest *req)
{
  guint8 uuid[16];

  if (eva_uuid_parse (eva_request_param (req, "id"), uuid))
    return TRUE;
  eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Checkout                                                           */
/* ------------------------------------------------------------------ */

static void checkout_recorded (EvaRequest *req);

static void
checkout_record_work (EvaRequest *req,
                      EvaDbConn  *conn,
                      gpointer    data)
{
  EvaCheckout *co = eva_request_get_state (req);
  g_auto(EvaOutcome) out = { 0 };
  g_autoptr(GError) error = NULL;

  if (!eva_payments_finish_checkout (conn, co, &out, &error))
    eva_request_reply_gerror (req, error);
  else
    reply_outcome (req, &out);
}

/* Stage 2, on the gateway pool. */
static void
checkout_call (EvaRequest *req,
               gpointer    state)
{
  EvaCheckout *co = state;
  g_auto(EvaStripeReply) reply = { 0 };

  if (eva_stripe_call (eva_request_get_config (req), "POST", "/v1/checkout/sessions",
                       co->form, co->idempotency_key, &reply, &co->gateway_error))
    co->session = g_steal_pointer (&reply.body);
}

static void
checkout_recorded (EvaRequest *req)
{
  eva_request_run (req, checkout_record_work, NULL, NULL);
}

static void
checkout_called (EvaRequest *req)
{
  checkout_recorded (req);
}

static void
checkout_prepared (EvaRequest *req)
{
  eva_request_run_gateway (req, checkout_call, checkout_called);
}

/* Stage 1, on the database pool. */
static void
checkout_work (EvaRequest *req,
               EvaDbConn  *conn,
               gpointer    data)
{
  EvaCheckout *co = eva_request_get_state (req);
  g_auto(EvaOutcome) out = { 0 };
  g_autoptr(GError) error = NULL;

  if (!eva_payments_prepare_checkout (conn, eva_request_get_config (req), co, &out, &error))
    eva_request_reply_gerror (req, error);
  else if (out.status != 0)
    reply_outcome (req, &out);
  /* else: Stripe next (checkout_prepared). */
}

void
eva_api_my_bookings_checkout (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0 };
  g_autoptr(EvaCheckout) co = NULL;
  const char *method = NULL;

  if (!id_ok (req) || !eva_input_begin (&in, req))
    return;
  if (eva_input_string (&in, "method", EVA_FIELD_REQUIRED, 32, &method) == EVA_FIELD_SET
      && !g_str_equal (method, "card") && !g_str_equal (method, "bank_transfer")
      && !g_str_equal (method, "at_door"))
    eva_input_error (&in, "method", "must be card, bank_transfer or at_door");
  if (!eva_input_end (&in))
    return;

  co = eva_checkout_new ();
  co->booking_id = g_ascii_strdown (eva_request_param (req, "id"), -1);
  co->attendee_id = g_strdup (req->principal_id);
  co->method = g_strdup (method);
  co->request_id = g_strdup (req->request_id);
  co->ip = g_strdup (req->client_ip);
  eva_request_set_state (req, g_steal_pointer (&co), (GDestroyNotify) eva_checkout_free);
  eva_request_run_then (req, checkout_work, NULL, NULL, checkout_prepared);
}

/* ------------------------------------------------------------------ */
/* Back from Checkout: read the session again                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  char     *session_id;
  JsonNode *session;
} Refresh;

static void
refresh_free (Refresh *r)
{
  g_free (r->session_id);
  g_clear_pointer (&r->session, json_node_unref);
  g_free (r);
}

static void
refresh_reply_work (EvaRequest *req,
                    EvaDbConn  *conn,
                    gpointer    data)
{
  Refresh *r = eva_request_get_state (req);
  g_auto(EvaOutcome) out = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) row = NULL;
  JsonObject *session = r->session != NULL ? json_node_get_object (r->session) : NULL;
  const char *status = eva_stripe_string (session, "status");
  static const char sql[] =
    "SELECT jsonb_build_object('booking', eva_booking_json(b))::text"
    "  FROM bookings b WHERE b.id = $1::uuid AND b.attendee_id = $2::uuid";

  if (g_strcmp0 (status, "complete") == 0
      && !eva_payments_fulfil (conn, eva_request_get_config (req), session, "return", &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (g_strcmp0 (status, "expired") == 0
      && !eva_payments_session_expired (conn, session, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  row = eva_db_query (conn, sql, &error, eva_request_param (req, "id"), req->principal_id);
  if (row == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (row) == 0)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
  else
    eva_request_reply_json_text (req, 200, PQgetvalue (row, 0, 0));
}

static void
refresh_call (EvaRequest *req,
              gpointer    state)
{
  Refresh *r = state;
  g_auto(EvaStripeReply) reply = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("/v1/checkout/sessions/%s", r->session_id);

  /* Stripe unreachable: the page shows what we know and asks again. */
  if (eva_stripe_call (eva_request_get_config (req), "GET", path, NULL, NULL, &reply, &error))
    r->session = g_steal_pointer (&reply.body);
}

static void
refresh_called (EvaRequest *req)
{
  eva_request_run (req, refresh_reply_work, NULL, NULL);
}

static void
refresh_looked_up (EvaRequest *req)
{
  eva_request_run_gateway (req, refresh_call, refresh_called);
}

static void
refresh_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  Refresh *r = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  gboolean found;

  r->session_id = eva_payments_current_session (conn, eva_request_param (req, "id"),
                                                req->principal_id, &found, &error);
  if (error != NULL)
    eva_request_reply_gerror (req, error);
  else if (!found)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
  else if (r->session_id == NULL || !eva_stripe_enabled (eva_request_get_config (req)))
    refresh_reply_work (req, conn, NULL);
  /* else: ask Stripe (refresh_looked_up) */
}

void
eva_api_my_bookings_payment_refresh (EvaRequest *req)
{
  if (!id_ok (req))
    return;
  eva_request_set_state (req, g_new0 (Refresh, 1), (GDestroyNotify) refresh_free);
  eva_request_run_then (req, refresh_work, NULL, NULL, refresh_looked_up);
}

/* ------------------------------------------------------------------ */
/* Stripe's webhook                                                   */
/* ------------------------------------------------------------------ */

static void
webhook_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  g_autoptr(GError) error = NULL;
  gboolean duplicate = FALSE;

  if (!eva_payments_handle_event (conn, eva_request_get_config (req),
                                  json_node_get_object (req->json), &duplicate, &error))
    {
      /* Stripe retries anything but 2xx: a later delivery applies it. */
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_json_text (req, 200, duplicate ? "{\"received\":true,\"duplicate\":true}"
                                                   : "{\"received\":true}");
}

static gboolean
event_field_ok (JsonObject *event,
                const char *name)
{
  JsonNode *node = json_object_get_member (event, name);
  const char *value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;
  value = json_node_get_string (node);
  return *value != '\0' && strlen (value) <= 255;
}

gboolean
_eva_api_stripe_event_ok (JsonNode *json)
{
  return json != NULL && JSON_NODE_HOLDS_OBJECT (json)
         && event_field_ok (json_node_get_object (json), "id")
         && event_field_ok (json_node_get_object (json), "type");
}

void
eva_api_stripe_webhook (EvaRequest *req)
{
  EvaConfig *config = eva_request_get_config (req);
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(GError) error = NULL;
  const char *signature = eva_request_header (req, "Stripe-Signature");

  if (config->stripe_webhook_secret == NULL || *config->stripe_webhook_secret == '\0')
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "Card payments are not configured");
      return;
    }
  if (!eva_stripe_verify_signature (signature, g_bytes_get_data (bytes, NULL),
                                    g_bytes_get_size (bytes), config->stripe_webhook_secret,
                                    g_get_real_time () / G_USEC_PER_SEC, WEBHOOK_TOLERANCE_S,
                                    &error))
    {
      g_message ("webhook refused from %s: %s", req->client_ip, error->message);
      eva_request_reply_error (req, 400, "bad_signature", NULL, "%s", error->message);
      return;
    }
  /* Signed, so Stripe's; still checked before it reaches the database. */
  if (!_eva_api_stripe_event_ok (req->json))
    {
      eva_request_reply_error (req, 400, "validation_failed", NULL,
                               "A Stripe event is an object with an id and a type");
      return;
    }
  eva_request_run (req, webhook_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Refunds                                                            */
/* ------------------------------------------------------------------ */

static void
refund_record_work (EvaRequest *req,
                    EvaDbConn  *conn,
                    gpointer    data)
{
  EvaRefundJob *job = eva_request_get_state (req);
  g_auto(EvaOutcome) out = { 0 };
  g_autoptr(GError) error = NULL;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (!eva_payments_finish_refund (conn, job, &out, &error) || !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  reply_outcome (req, &out);
}

static void
refund_call (EvaRequest *req,
             gpointer    state)
{
  EvaRefundJob *job = state;
  g_auto(EvaStripeReply) reply = { 0 };

  if (eva_stripe_call (eva_request_get_config (req), "POST", "/v1/refunds", job->form,
                       job->idempotency_key, &reply, &job->gateway_error))
    job->stripe_refund = g_steal_pointer (&reply.body);
}

static void
refund_called (EvaRequest *req)
{
  eva_request_run (req, refund_record_work, NULL, NULL);
}

static void
refund_prepared (EvaRequest *req)
{
  eva_request_run_gateway (req, refund_call, refund_called);
}

static void
refund_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  EvaRefundJob *job = eva_request_get_state (req);
  g_auto(EvaOutcome) out = { 0 };
  g_autoptr(GError) error = NULL;

  if (!eva_payments_prepare_refund (conn, job, &out, &error))
    eva_request_reply_gerror (req, error);
  else if (out.status != 0)
    reply_outcome (req, &out);
  else if (job->form == NULL)
    {
      /* Offline: done already. */
      if (!eva_payments_finish_refund (conn, job, &out, &error))
        eva_request_reply_gerror (req, error);
      else
        reply_outcome (req, &out);
    }
}

void
eva_api_admin_bookings_refund (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0 };
  g_autoptr(EvaRefundJob) job = eva_refund_job_new ();
  const char *s, *key;
  gint64 n;
  gboolean b;

  job->config = eva_request_get_config (req);
  if (!id_ok (req) || !eva_input_begin (&in, req))
    return;
  if (eva_input_int (&in, "amount", EVA_FIELD_NULLABLE, 1, G_GINT64_CONSTANT (1000000000000), &n)
      == EVA_FIELD_SET)
    job->amount = n;
  if (eva_input_string (&in, "reason", EVA_FIELD_NULLABLE, 32, &s) == EVA_FIELD_SET)
    {
      if (!g_str_equal (s, "requested_by_customer") && !g_str_equal (s, "duplicate")
          && !g_str_equal (s, "fraudulent"))
        eva_input_error (&in, "reason", "must be requested_by_customer, duplicate or fraudulent");
      else
        job->reason = g_strdup (s);
    }
  if (eva_input_string (&in, "note", EVA_FIELD_NULLABLE | EVA_FIELD_MULTILINE, 500, &s)
      == EVA_FIELD_SET)
    job->note = g_strdup (s);
  job->settled = TRUE;
  if (eva_input_bool (&in, "settled", 0, &b) == EVA_FIELD_SET)
    job->settled = b;
  /* Optional: a retry with the same key gets the same refund. */
  key = eva_request_header (req, "Idempotency-Key");
  if (key != NULL && (*key == '\0' || strlen (key) > 255 || !g_utf8_validate (key, -1, NULL)))
    eva_input_error (&in, "Idempotency-Key", "must be 1 to 255 characters");
  if (!eva_input_end (&in))
    return;
  job->client_key = g_strdup (key);

  job->booking_id = g_ascii_strdown (eva_request_param (req, "id"), -1);
  job->staff_id = g_strdup (req->principal_id);
  job->request_id = g_strdup (req->request_id);
  job->ip = g_strdup (req->client_ip);
  eva_request_set_state (req, g_steal_pointer (&job), (GDestroyNotify) eva_refund_job_free);
  eva_request_run_then (req, refund_work, NULL, NULL, refund_prepared);
}

/* ------------------------------------------------------------------ */
/* Marked paid                                                        */
/* ------------------------------------------------------------------ */

typedef struct
{
  gint64  amount;
  char   *paid_on;
  char   *reference;
} MarkPaid;

static void
mark_paid_free (MarkPaid *m)
{
  g_free (m->paid_on);
  g_free (m->reference);
  g_free (m);
}

static void
mark_paid_work (EvaRequest *req,
                EvaDbConn  *conn,
                gpointer    data)
{
  MarkPaid *m = data;
  g_auto(EvaOutcome) out = { 0 };
  g_autoptr(GError) error = NULL;

  if (!eva_payments_mark_paid (conn, eva_request_get_config (req), eva_request_param (req, "id"), req->principal_id,
                               m->amount, m->paid_on, m->reference, &out, &error))
    eva_request_reply_gerror (req, error);
  else
    reply_outcome (req, &out);
}

void
eva_api_admin_bookings_mark_paid (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0 };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  MarkPaid *m;
  const char *s;
  const char *paid_on = NULL;
  const char *reference = NULL;
  gint64 amount = 0;

  if (!id_ok (req) || !eva_input_begin (&in, req))
    return;
  eva_input_int (&in, "amount", EVA_FIELD_REQUIRED, 0, G_GINT64_CONSTANT (1000000000000), &amount);
  if (eva_input_string (&in, "paid_on", EVA_FIELD_REQUIRED, 10, &s) == EVA_FIELD_SET)
    {
      int y, mo, d;
      char tail;
      g_autoptr(GDateTime) day = NULL;

      if (sscanf (s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || strlen (s) != 10
          || (day = g_date_time_new_utc (y, mo, d, 0, 0, 0)) == NULL)
        eva_input_error (&in, "paid_on", "must be a date like 2026-12-24");
      else if (g_date_time_difference (day, now) > G_TIME_SPAN_DAY)
        eva_input_error (&in, "paid_on", "must not be in the future");
      else if (y < 2000)
        eva_input_error (&in, "paid_on", "is too far in the past");
      else
        paid_on = s;
    }
  if (eva_input_string (&in, "reference", EVA_FIELD_NULLABLE, 100, &s) == EVA_FIELD_SET)
    reference = s;
  if (!eva_input_end (&in))
    return;

  m = g_new0 (MarkPaid, 1);
  m->amount = amount;
  m->paid_on = g_strdup (paid_on);
  m->reference = g_strdup (reference);
  eva_request_run (req, mark_paid_work, m, (GDestroyNotify) mark_paid_free);
}
