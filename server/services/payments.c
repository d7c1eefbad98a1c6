/* services/payments.c: checkout, fulfilment, refunds and their upkeep
 *
 * Exactly once, whatever arrives twice or out of order:
 *
 *   - a payment row moves pending → paid | failed | expired by conditional
 *     UPDATEs; fulfilment locks the payment and its booking (FOR UPDATE)
 *     and does nothing for a payment already paid;
 *   - a Checkout session is created with an Idempotency-Key naming the
 *     booking and the attempt, from a form body kept on the payment row,
 *     so a retry (by the buyer or the sweeper) gets the same session;
 *   - webhook events are kept by id in the transaction that applies them;
 *   - a refund is a row first and a Stripe call second, with the row's id
 *     as the key; Stripe's answer and its events settle it, once.
 *
 * Money never lost: a paid session whose booking was released is
 * confirmed if the inventory is still there, else refunded automatically
 * with a mail to the buyer; a booking whose Checkout session is still open
 * keeps its inventory until Stripe says the session is expired.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-payments"

#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "mail/eva-outbox.h"
#include "services/notify.h"
#include "services/payments.h"
#include "services/stripe.h"
#include "services/tickets.h"

/* ------------------------------------------------------------------ */
/* Small things                                                       */
/* ------------------------------------------------------------------ */

EvaCheckout *
eva_checkout_new (void)
{
  return g_new0 (EvaCheckout, 1);
}

void
eva_checkout_free (EvaCheckout *checkout)
{
  if (checkout == NULL)
    return;
  g_free (checkout->booking_id);
  g_free (checkout->attendee_id);
  g_free (checkout->method);
  g_free (checkout->request_id);
  g_free (checkout->ip);
  g_free (checkout->payment_id);
  g_free (checkout->form);
  g_free (checkout->idempotency_key);
  g_clear_pointer (&checkout->session, json_node_unref);
  g_clear_error (&checkout->gateway_error);
  g_free (checkout);
}

EvaRefundJob *
eva_refund_job_new (void)
{
  EvaRefundJob *job = g_new0 (EvaRefundJob, 1);

  job->amount = -1;
  return job;
}

void
eva_refund_job_free (EvaRefundJob *job)
{
  if (job == NULL)
    return;
  g_free (job->booking_id);
  g_free (job->staff_id);
  g_free (job->client_key);
  g_free (job->reason);
  g_free (job->note);
  g_free (job->request_id);
  g_free (job->ip);
  g_free (job->refund_id);
  g_free (job->form);
  g_free (job->idempotency_key);
  g_clear_pointer (&job->stripe_refund, json_node_unref);
  g_clear_error (&job->gateway_error);
  g_free (job);
}

static void
refuse (EvaOutcome *out,
        guint       status,
        const char *code,
        const char *format,
        ...) G_GNUC_PRINTF (4, 5);

static void
refuse (EvaOutcome *out,
        guint       status,
        const char *code,
        const char *format,
        ...)
{
  va_list args;

  eva_outcome_clear (out);
  out->status = status;
  out->code = g_strdup (code);
  va_start (args, format);
  out->message = g_strdup_vprintf (format, args);
  va_end (args);
}

static gboolean
savepoint (EvaDbConn   *conn,
           const char  *sql,
           GError     **error)
{
  g_autoptr(PGresult) r = eva_db_exec_once (conn, sql, 0, NULL, error);

  return r != NULL;
}

static const char sql_audit[] =
  "INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id,"
  "                       details, request_id, ip)"
  " VALUES ($1, $2::uuid, $3, 'booking', $4, coalesce($5::jsonb, '{}'), $6, $7)";

static gboolean
audit (EvaDbConn   *conn,
       const char  *actor_type,
       const char  *actor_id,
       const char  *action,
       const char  *booking_id,
       const char  *details,
       const char  *request_id,
       const char  *ip,
       GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_audit, error, actor_type, actor_id,
                                        action, booking_id, details, request_id, ip);

  return r != NULL;
}

/* The booking as the admin API shows it (with who booked it; for the
 * attendee's own replies that is themselves). */
#define BOOKING_WITH_ATTENDEE \
  "(eva_booking_json(b) || jsonb_build_object('attendee', jsonb_build_object(" \
  "   'id', b.attendee_id," \
  "   'email', coalesce((SELECT a.email FROM attendees a WHERE a.id = b.attendee_id), b.buyer_email)," \
  "   'name', coalesce((SELECT a.name FROM attendees a WHERE a.id = b.attendee_id), b.buyer_name))))"

static const char sql_reply[] =
  "SELECT jsonb_build_object('booking', " BOOKING_WITH_ATTENDEE ","
  "                          'checkout_url', $2::text)::text"
  "  FROM bookings b WHERE b.id = $1::uuid";

static gboolean
reply_booking (EvaDbConn   *conn,
               const char  *booking_id,
               const char  *checkout_url,
               EvaOutcome  *out,
               GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_reply, error, booking_id, checkout_url);

  if (r == NULL)
    return FALSE;
  eva_outcome_clear (out);
  out->status = 200;
  out->json = g_strdup (PQgetvalue (r, 0, 0));
  return TRUE;
}

/* The one place a booking becomes confirmed by a payment (or at once at
 * the door): what a confirmed booking brings (the confirmation mail, and
 * tickets) hangs off this hook. It runs in the confirming transaction, so
 * it runs exactly once per confirmation. */
static gboolean
on_confirmed (EvaDbConn   *conn,
              EvaConfig   *config,
              const char  *booking_id,
              const char  *how,
              GError     **error)
{
  g_autofree char *details = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "by");
  json_builder_add_string_value (b, how);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  details = eva_json_to_string (node);
  return audit (conn, "system", NULL, "booking.confirmed", booking_id, details, NULL, NULL, error)
         && eva_notify_confirmed (conn, config, booking_id, error);
}

/* pending_payment (or held) → confirmed and paid: held moves to sold,
 * whatever the expiry says (the money is there and the inventory still
 * held). $2: when the money came (NULL: now). */
static const char sql_confirm_paid[] =
  "WITH b AS ("
  "  UPDATE bookings SET status = 'confirmed', confirmed_at = now(),"
  "                      paid_at = coalesce($2::timestamptz, now())"
  "   WHERE id = $1::uuid AND status IN ('held', 'pending_payment') RETURNING id),"
  " q AS (SELECT i.ticket_type_id, sum(i.quantity)::int AS n"
  "         FROM booking_items i JOIN b ON b.id = i.booking_id GROUP BY 1),"
  " t AS (UPDATE ticket_types t SET held = t.held - q.n, sold = t.sold + q.n"
  "         FROM q WHERE t.id = q.ticket_type_id RETURNING 1)"
  " SELECT count(*) FROM b";

/* expired | cancelled → confirmed and paid, taking the inventory (and the
 * coupon use) again: fails on ticket_types_inventory when it is gone. */
static const char sql_confirm_late[] =
  "WITH b AS ("
  "  UPDATE bookings SET status = 'confirmed', confirmed_at = now(),"
  "                      paid_at = coalesce($2::timestamptz, now()), cancelled_at = NULL"
  "   WHERE id = $1::uuid AND status IN ('expired', 'cancelled') RETURNING id, coupon_id),"
  " q AS (SELECT i.ticket_type_id, sum(i.quantity)::int AS n"
  "         FROM booking_items i JOIN b ON b.id = i.booking_id GROUP BY 1),"
  " t AS (UPDATE ticket_types t SET sold = t.sold + q.n"
  "         FROM q WHERE t.id = q.ticket_type_id RETURNING 1),"
  " c AS (UPDATE coupons c SET uses = c.uses + 1 FROM b"
  "        WHERE c.id = b.coupon_id RETURNING 1)"
  " SELECT count(*) FROM b";

static gboolean
confirm_paid (EvaDbConn   *conn,
              const char  *booking_id,
              const char  *paid_at,
              gboolean    *confirmed,
              GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_confirm_paid, error, booking_id, paid_at);

  if (r == NULL)
    return FALSE;
  *confirmed = g_str_equal (PQgetvalue (r, 0, 0), "1");
  return TRUE;
}

/* Tries sql_confirm_late under a savepoint. *@confirmed FALSE: the
 * inventory is gone (nothing changed). */
static gboolean
confirm_late (EvaDbConn   *conn,
              const char  *booking_id,
              const char  *paid_at,
              gboolean    *confirmed,
              GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(PGresult) r = NULL;

  *confirmed = FALSE;
  if (!savepoint (conn, "SAVEPOINT late_confirm", error))
    return FALSE;
  r = eva_db_query (conn, sql_confirm_late, &local, booking_id, paid_at);
  if (r == NULL)
    {
      const char *constraint = eva_db_conn_last_constraint (conn);

      /* Only the inventory's CHECK (or the coupon's, used up by others
       * meanwhile) means "cannot be booked any more"; a deadlock or any
       * other conflict fails the whole transaction, to be tried again
       * (Stripe redelivers, the sweeper comes back). */
      if (!g_error_matches (local, EVA_ERROR, EVA_ERROR_CONFLICT)
          || (g_strcmp0 (constraint, "ticket_types_inventory") != 0
              && g_strcmp0 (constraint, "coupons_uses_check") != 0))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return savepoint (conn, "ROLLBACK TO SAVEPOINT late_confirm", error);
    }
  *confirmed = g_str_equal (PQgetvalue (r, 0, 0), "1");
  return savepoint (conn, "RELEASE SAVEPOINT late_confirm", error);
}

/* ------------------------------------------------------------------ */
/* Mail                                                               */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Checkout                                                           */
/* ------------------------------------------------------------------ */

/* $1 booking, $2 attendee. */
static const char sql_checkout_booking[] =
  "SELECT b.status, b.expires_at > now(), b.total, b.currency::text, b.payment_method,"
  "       coalesce(a.email, b.buyer_email), e.payment_methods::text[],"
  "       e.transfer_details IS NOT NULL, e.transfer_days,"
  "       extract(epoch FROM e.starts_at - now())::bigint, e.title, b.discount,"
  "       b.expires_at, e.status, e.ends_at <= now()"
  "  FROM bookings b JOIN events e ON e.id = b.event_id"
  "  LEFT JOIN attendees a ON a.id = b.attendee_id"
  " WHERE b.id = $1::uuid AND b.attendee_id = $2::uuid"
  " FOR UPDATE OF b";

static const char sql_items[] =
  "SELECT t.name, i.quantity, i.unit_price FROM booking_items i"
  "  JOIN ticket_types t ON t.id = i.ticket_type_id"
  " WHERE i.booking_id = $1::uuid ORDER BY t.sort_order, t.name, i.ticket_type_id";

/* The newest open card payment. */
static const char sql_open_card[] =
  "SELECT id, provider_ref, checkout_url, extract(epoch FROM expires_at - now())::bigint,"
  "       attempt, request_body"
  "  FROM payments WHERE booking_id = $1::uuid AND method = 'card' AND status = 'pending'"
  " ORDER BY attempt DESC LIMIT 1";

static const char sql_next_attempt[] =
  "SELECT coalesce(max(attempt), 0) + 1 FROM payments"
  " WHERE booking_id = $1::uuid AND method = 'card'";

/* $1 booking, $2 provider, $3 method, $4 attempt, $5 amount, $6 currency,
 * $7 expires (unix s), $8 request body, $9 reference. */
static const char sql_insert_payment[] =
  "INSERT INTO payments (booking_id, provider, method, attempt, amount, currency,"
  "                      expires_at, request_body, reference)"
  " VALUES ($1::uuid, $2, $3, $4::int, $5::bigint, $6, to_timestamp($7::bigint), $8, $9)"
  " RETURNING id";

/* $1 booking, $2 method, $3 expires (unix s), $4 reference. */
/* $5: the server's transfer details; the booking keeps the details its
 * buyer was sent (the event's own, else the server's). */
static const char sql_pending[] =
  "UPDATE bookings SET status = 'pending_payment', payment_method = $2,"
  "                    expires_at = to_timestamp($3::bigint),"
  "                    payment_reference = coalesce($4, payment_reference),"
  "                    transfer_details = CASE WHEN $2 = 'bank_transfer' THEN"
  "                      coalesce((SELECT e.transfer_details FROM events e WHERE e.id = bookings.event_id),"
  "                               $5::text) END"
  " WHERE id = $1::uuid AND status IN ('held', 'pending_payment') RETURNING id";

static const char sql_at_door[] =
  "UPDATE bookings SET payment_method = 'at_door' WHERE id = $1::uuid RETURNING id";

static gboolean
pg_array_has (const char *array,
              const char *word)
{
  g_autofree char *inner = NULL;
  g_auto(GStrv) words = NULL;

  if (array == NULL || strlen (array) < 2)
    return FALSE;
  inner = g_strndup (array + 1, strlen (array) - 2);
  words = g_strsplit (inner, ",", -1);
  return g_strv_contains ((const char * const *) words, word);
}

/* The Checkout session's form: one line item per booking item, or one
 * for the whole booking when a coupon changed the prices. */
static char *
checkout_form (EvaDbConn   *conn,
               EvaConfig   *config,
               const char  *booking_id,
               PGresult    *booking,
               gint64       expires_at,
               GError     **error)
{
  g_autoptr(EvaForm) form = eva_form_new ();
  g_autofree char *currency = g_ascii_strdown (PQgetvalue (booking, 0, 3), -1);
  g_autofree char *success = g_strdup_printf ("%s/bookings/%s/paid?session_id={CHECKOUT_SESSION_ID}",
                                              config->public_url, booking_id);
  g_autofree char *cancel = g_strdup_printf ("%s/bookings/%s?payment=cancelled",
                                             config->public_url, booking_id);
  gboolean discounted = g_ascii_strtoll (PQgetvalue (booking, 0, 11), NULL, 10) > 0;

  eva_form_add (form, "mode", "payment");
  eva_form_add (form, "success_url", success);
  eva_form_add (form, "cancel_url", cancel);
  eva_form_add (form, "client_reference_id", booking_id);
  eva_form_add (form, "metadata[booking_id]", booking_id);
  if (!PQgetisnull (booking, 0, 5))
    eva_form_add (form, "customer_email", PQgetvalue (booking, 0, 5));
  eva_form_add_int (form, "expires_at", expires_at);

  if (discounted)
    {
      g_autofree char *name = g_strdup_printf ("%s (%.8s)", PQgetvalue (booking, 0, 10), booking_id);

      eva_form_add (form, "line_items[0][price_data][currency]", currency);
      eva_form_add (form, "line_items[0][price_data][unit_amount]", PQgetvalue (booking, 0, 2));
      eva_form_add (form, "line_items[0][price_data][product_data][name]", name);
      eva_form_add (form, "line_items[0][quantity]", "1");
    }
  else
    {
      g_autoptr(PGresult) items = eva_db_query (conn, sql_items, error, booking_id);

      if (items == NULL)
        return NULL;
      for (int i = 0; i < PQntuples (items); i++)
        {
          g_autofree char *k_currency = g_strdup_printf ("line_items[%d][price_data][currency]", i);
          g_autofree char *k_amount = g_strdup_printf ("line_items[%d][price_data][unit_amount]", i);
          g_autofree char *k_name = g_strdup_printf ("line_items[%d][price_data][product_data][name]", i);
          g_autofree char *k_quantity = g_strdup_printf ("line_items[%d][quantity]", i);
          g_autofree char *name = g_strdup_printf ("%s — %s", PQgetvalue (booking, 0, 10),
                                                   PQgetvalue (items, i, 0));

          eva_form_add (form, k_currency, currency);
          eva_form_add (form, k_amount, PQgetvalue (items, i, 2));
          eva_form_add (form, k_name, name);
          eva_form_add (form, k_quantity, PQgetvalue (items, i, 1));
        }
    }
  return eva_form_encode (form);
}

static gboolean
prepare_card (EvaDbConn    *conn,
              EvaConfig    *config,
              EvaCheckout  *co,
              PGresult     *booking,
              EvaOutcome   *out,
              GError      **error)
{
  g_autoptr(PGresult) open = eva_db_query (conn, sql_open_card, error, co->booking_id);
  g_autoptr(PGresult) next = NULL;
  g_autoptr(PGresult) ins = NULL;
  g_autoptr(PGresult) upd = NULL;
  g_autofree char *form = NULL;
  gint64 expires_at;
  const char *attempt;
  char expires[32];

  if (open == NULL)
    return FALSE;

  if (PQntuples (open) > 0)
    {
      gint64 left = g_ascii_strtoll (PQgetvalue (open, 0, 3), NULL, 10);

      /* An open session: show it again. */
      if (!PQgetisnull (open, 0, 1))
        return reply_booking (conn, co->booking_id, PQgetvalue (open, 0, 2), out, error);

      /* A session asked for whose answer never came: ask again with the
       * same body and key (Stripe answers with the same session). */
      if (left > 5 * 60)
        {
          co->payment_id = g_strdup (PQgetvalue (open, 0, 0));
          co->form = g_strdup (PQgetvalue (open, 0, 5));
          co->idempotency_key = g_strdup_printf ("everato-checkout-%s-%s", co->booking_id,
                                                 PQgetvalue (open, 0, 4));
          return TRUE;
        }
    }

  next = eva_db_query (conn, sql_next_attempt, error, co->booking_id);
  if (next == NULL)
    return FALSE;
  attempt = PQgetvalue (next, 0, 0);
  expires_at = g_get_real_time () / G_USEC_PER_SEC + EVA_CHECKOUT_SESSION_SECONDS;
  g_snprintf (expires, sizeof expires, "%" G_GINT64_FORMAT, expires_at);
  form = checkout_form (conn, config, co->booking_id, booking, expires_at, error);
  if (form == NULL)
    return FALSE;

  ins = eva_db_query (conn, sql_insert_payment, error, co->booking_id, "stripe", "card",
                      attempt, PQgetvalue (booking, 0, 2), PQgetvalue (booking, 0, 3),
                      expires, form, NULL);
  if (ins == NULL)
    return FALSE;
  /* The hold lasts as long as the session (Stripe's minimum is 30 min). */
  upd = eva_db_query (conn, sql_pending, error, co->booking_id, "card", expires, NULL, NULL);
  if (upd == NULL)
    return FALSE;

  co->payment_id = g_strdup (PQgetvalue (ins, 0, 0));
  co->form = g_steal_pointer (&form);
  co->idempotency_key = g_strdup_printf ("everato-checkout-%s-%s", co->booking_id, attempt);
  return audit (conn, "attendee", co->attendee_id, "payment.started", co->booking_id,
                "{\"method\":\"card\"}", co->request_id, co->ip, error);
}

static gboolean
prepare_transfer (EvaDbConn    *conn,
                  EvaConfig    *config,
                  EvaCheckout  *co,
                  PGresult     *booking,
                  EvaOutcome   *out,
                  GError      **error)
{
  gint64 days = g_ascii_strtoll (PQgetvalue (booking, 0, 8), NULL, 10);
  gint64 to_start = g_ascii_strtoll (PQgetvalue (booking, 0, 9), NULL, 10);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 deadline = now + MIN (days * 86400, to_start - 3600);
  char deadline_text[32];

  if (to_start - 3600 < 86400)
    {
      refuse (out, 422, "method_not_offered",
              "A bank transfer cannot arrive before the event any more; choose another method");
      return TRUE;
    }
  g_snprintf (deadline_text, sizeof deadline_text, "%" G_GINT64_FORMAT, deadline);

  for (guint tries = 0;; tries++)
    {
      g_autofree char *reference = eva_payment_reference_new ();
      g_autoptr(GError) local = NULL;
      g_autoptr(PGresult) upd = NULL;
      g_autoptr(PGresult) ins = NULL;

      if (!savepoint (conn, "SAVEPOINT reference", error))
        return FALSE;
      upd = eva_db_query (conn, sql_pending, &local, co->booking_id, "bank_transfer",
                          deadline_text, reference, config->transfer_details);
      if (upd != NULL)
        ins = eva_db_query (conn, sql_insert_payment, &local, co->booking_id, "bank_transfer",
                            "bank_transfer", "1", PQgetvalue (booking, 0, 2),
                            PQgetvalue (booking, 0, 3), deadline_text, NULL, reference);
      if (ins != NULL)
        break;
      /* Another booking has this reference (1 in 5·10¹¹): draw again. */
      if (tries < 3 && g_error_matches (local, EVA_ERROR, EVA_ERROR_CONFLICT))
        {
          if (!savepoint (conn, "ROLLBACK TO SAVEPOINT reference", error))
            return FALSE;
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  if (!eva_notify_booking (conn, config, co->booking_id, "transfer_instructions", 0, error)
      || !audit (conn, "attendee", co->attendee_id, "payment.started", co->booking_id,
                 "{\"method\":\"bank_transfer\"}", co->request_id, co->ip, error))
    return FALSE;
  return reply_booking (conn, co->booking_id, NULL, out, error);
}

static gboolean
prepare_at_door (EvaDbConn    *conn,
                 EvaConfig    *config,
                 EvaCheckout  *co,
                 PGresult     *booking,
                 EvaOutcome   *out,
                 GError      **error)
{
  g_autoptr(PGresult) ins = NULL;
  g_autoptr(PGresult) upd = NULL;

  if (!eva_booking_confirm (conn, co->booking_id, error))
    return FALSE;
  upd = eva_db_query (conn, sql_at_door, error, co->booking_id);
  if (upd == NULL)
    return FALSE;
  ins = eva_db_query (conn, sql_insert_payment, error, co->booking_id, "at_door", "at_door",
                      "1", PQgetvalue (booking, 0, 2), PQgetvalue (booking, 0, 3),
                      NULL, NULL, NULL);
  if (ins == NULL
      || !on_confirmed (conn, config, co->booking_id, "at_door", error)
      || !audit (conn, "attendee", co->attendee_id, "payment.started", co->booking_id,
                 "{\"method\":\"at_door\"}", co->request_id, co->ip, error))
    return FALSE;
  return reply_booking (conn, co->booking_id, NULL, out, error);
}

static gboolean
method_offered (EvaConfig  *config,
                PGresult   *booking,
                const char *method)
{
  if (!pg_array_has (PQgetvalue (booking, 0, 6), method))
    return FALSE;
  if (g_str_equal (method, "card"))
    return eva_stripe_enabled (config);
  if (g_str_equal (method, "bank_transfer"))
    return g_str_equal (PQgetvalue (booking, 0, 7), "t") || config->transfer_details != NULL;
  return TRUE;
}

static gboolean
prepare_checkout_tx (EvaDbConn    *conn,
                     EvaConfig    *config,
                     EvaCheckout  *co,
                     EvaOutcome   *out,
                     GError      **error)
{
  g_autoptr(PGresult) booking = eva_db_query (conn, sql_checkout_booking, error,
                                              co->booking_id, co->attendee_id);
  const char *status, *current;

  if (booking == NULL)
    return FALSE;
  if (PQntuples (booking) == 0)
    {
      refuse (out, 404, "not_found", "No such booking");
      return TRUE;
    }
  status = PQgetvalue (booking, 0, 0);
  current = PQgetisnull (booking, 0, 4) ? NULL : PQgetvalue (booking, 0, 4);

  if ((g_str_equal (status, "held") || g_str_equal (status, "pending_payment"))
      && !g_str_equal (PQgetvalue (booking, 0, 1), "t"))
    {
      refuse (out, 409, "invalid_transition", "This hold has expired; book again");
      return TRUE;
    }
  if (!g_str_equal (status, "held") && !g_str_equal (status, "pending_payment"))
    {
      refuse (out, 409, "invalid_transition", "A %s booking cannot be paid", status);
      return TRUE;
    }
  if (g_str_equal (PQgetvalue (booking, 0, 2), "0"))
    {
      refuse (out, 409, "invalid_transition", "This booking is free: there is nothing to pay");
      return TRUE;
    }
  /* No money for an event that was cancelled or is over. */
  if (!g_str_equal (PQgetvalue (booking, 0, 13), "published") || g_str_equal (PQgetvalue (booking, 0, 14), "t"))
    {
      refuse (out, 409, "event_not_on_sale", "This event is %s: its tickets cannot be paid for",
              g_str_equal (PQgetvalue (booking, 0, 13), "cancelled") ? "cancelled" : "over");
      return TRUE;
    }
  if (!method_offered (config, booking, co->method))
    {
      refuse (out, 422, "method_not_offered", "This event does not take payment by %s",
              g_str_equal (co->method, "card") ? "card"
              : g_str_equal (co->method, "bank_transfer") ? "bank transfer" : "cash at the door");
      return TRUE;
    }
  if (g_str_equal (status, "pending_payment") && current != NULL
      && !g_str_equal (current, co->method))
    {
      refuse (out, 409, "invalid_transition",
              "This booking is already awaiting payment by %s",
              g_str_equal (current, "card") ? "card" : "bank transfer");
      return TRUE;
    }

  if (g_str_equal (co->method, "bank_transfer"))
    {
      if (g_str_equal (status, "pending_payment"))
        return reply_booking (conn, co->booking_id, NULL, out, error);
      return prepare_transfer (conn, config, co, booking, out, error);
    }
  if (g_str_equal (co->method, "at_door"))
    return prepare_at_door (conn, config, co, booking, out, error);
  return prepare_card (conn, config, co, booking, out, error);
}

gboolean
eva_payments_prepare_checkout (EvaDbConn    *conn,
                               EvaConfig    *config,
                               EvaCheckout  *checkout,
                               EvaOutcome   *out,
                               GError      **error)
{
  eva_outcome_clear (out);
  if (!eva_db_begin (conn, error))
    return FALSE;
  if (!prepare_checkout_tx (conn, config, checkout, out, error))
    {
      eva_db_rollback (conn);
      return FALSE;
    }
  if (out->code != NULL)
    {
      eva_db_rollback (conn);
      return TRUE;
    }
  return eva_db_commit (conn, error);
}

/* $1 payment, $2 session id, $3 url. */
static const char sql_record_session[] =
  "UPDATE payments SET provider_ref = $2, checkout_url = $3"
  " WHERE id = $1::uuid AND (provider_ref IS NULL OR provider_ref = $2)"
  " RETURNING booking_id";

static const char sql_payment_failed[] =
  "UPDATE payments SET status = 'failed', flag = $2"
  " WHERE id = $1::uuid AND status = 'pending' AND provider_ref IS NULL RETURNING id";

gboolean
eva_payments_finish_checkout (EvaDbConn    *conn,
                              EvaCheckout  *co,
                              EvaOutcome   *out,
                              GError      **error)
{
  JsonObject *session;
  const char *id, *url;
  g_autoptr(PGresult) r = NULL;

  eva_outcome_clear (out);
  if (co->gateway_error != NULL)
    {
      if (g_error_matches (co->gateway_error, EVA_ERROR, EVA_ERROR_UNAVAILABLE))
        {
          refuse (out, 503, "gateway_unavailable",
                  "The payment provider cannot be reached right now. Your tickets are "
                  "still held: try again in a moment");
          out->retry_after = 5;
          return TRUE;
        }
      /* Stripe refused this attempt: the next one starts afresh. */
      r = eva_db_query (conn, sql_payment_failed, error, co->payment_id,
                        co->gateway_error->message);
      if (r == NULL)
        return FALSE;
      refuse (out, 502, "gateway_error", "The payment provider refused the payment: %s",
              co->gateway_error->message);
      return TRUE;
    }

  session = co->session != NULL ? json_node_get_object (co->session) : NULL;
  id = eva_stripe_string (session, "id");
  url = eva_stripe_string (session, "url");
  if (id == NULL || url == NULL)
    {
      refuse (out, 502, "gateway_error", "The payment provider answered without a session");
      return TRUE;
    }
  r = eva_db_query (conn, sql_record_session, error, co->payment_id, id, url);
  if (r == NULL)
    return FALSE;
  return reply_booking (conn, co->booking_id, url, out, error);
}

static const char sql_current_session[] =
  "SELECT b.id, (SELECT p.provider_ref FROM payments p"
  "               WHERE p.booking_id = b.id AND p.method = 'card' AND p.provider_ref IS NOT NULL"
  "               ORDER BY p.attempt DESC LIMIT 1)"
  "  FROM bookings b WHERE b.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)";

char *
eva_payments_current_session (EvaDbConn   *conn,
                              const char  *booking_id,
                              const char  *attendee_id,
                              gboolean    *found,
                              GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_current_session, error, booking_id, attendee_id);

  *found = FALSE;
  if (r == NULL || PQntuples (r) == 0)
    return NULL;
  *found = TRUE;
  return PQgetisnull (r, 0, 1) ? NULL : g_strdup (PQgetvalue (r, 0, 1));
}

/* ------------------------------------------------------------------ */
/* Fulfilment                                                         */
/* ------------------------------------------------------------------ */

/* The payment of a session with its booking, both locked. $1 session id. */
static const char sql_payment_by_session[] =
  "SELECT p.id, p.status, p.amount, lower(p.currency), p.booking_id, b.status,"
  "       b.paid_at IS NOT NULL, b.attendee_id"
  "  FROM payments p JOIN bookings b ON b.id = p.booking_id"
  " WHERE p.provider = 'stripe' AND p.provider_ref = $1"
  " FOR UPDATE OF p, b";

/* A session we asked for but never heard back about: by its booking. */
static const char sql_adopt_session[] =
  "UPDATE payments SET provider_ref = $2, checkout_url = $3"
  " WHERE id = (SELECT id FROM payments WHERE booking_id = $1::uuid AND method = 'card'"
  "               AND provider_ref IS NULL ORDER BY attempt DESC LIMIT 1)"
  " RETURNING id";

/* A payment whose amount or currency is not the booking's: never
 * fulfilled, and final (the booking lapses as if unpaid; the organizer
 * sees the flag and settles it with the buyer). $3 the payment intent. */
static const char sql_flag[] =
  "UPDATE payments SET flag = $2, status = 'failed', payment_intent = coalesce($3, payment_intent)"
  " WHERE id = $1::uuid AND status = 'pending' RETURNING id";

/* $1 payment, $2 payment intent. */
static const char sql_payment_paid[] =
  "UPDATE payments SET status = 'paid', paid_at = now(), payment_intent = $2"
  " WHERE id = $1::uuid AND status <> 'paid' RETURNING id";

static const char sql_booking_mark_paid[] =
  "UPDATE bookings SET paid_at = coalesce($2::timestamptz, now())"
  " WHERE id = $1::uuid AND status = 'confirmed' AND paid_at IS NULL RETURNING id";

/* $1 payment, $2 booking, $3 amount, $4 currency, $5 reason, $6 note. */
static const char sql_auto_refund[] =
  "INSERT INTO refunds (payment_id, booking_id, amount, currency, reason, note, automatic)"
  " SELECT $1::uuid, $2::uuid, $3::bigint, upper($4), $5, $6, true RETURNING id";

static gboolean
auto_refund (EvaDbConn   *conn,
             EvaConfig   *config,
             const char  *payment_id,
             const char  *booking_id,
             const char  *amount,
             const char  *currency,
             const char  *reason,
             const char  *note,
             GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_auto_refund, error, payment_id, booking_id,
                                        amount, currency, reason, note);
  g_autofree char *details = NULL;

  if (r == NULL)
    return FALSE;
  details = g_strdup_printf ("{\"refund_id\":\"%s\",\"amount\":%s,\"why\":\"%s\"}",
                             PQgetvalue (r, 0, 0), amount, note);
  return audit (conn, "system", NULL, "refund.automatic", booking_id, details, NULL, NULL, error)
         && eva_notify_booking (conn, config, booking_id, "payment_refunded",
                        g_ascii_strtoll (amount, NULL, 10), error);
}

static gboolean
fulfil_tx (EvaDbConn   *conn,
           EvaConfig   *config,
           JsonObject  *session,
           const char  *source,
           GError     **error)
{
  const char *id = eva_stripe_string (session, "id");
  const char *booking_ref = eva_stripe_string (eva_stripe_object (session, "metadata"), "booking_id");
  const char *payment_status = eva_stripe_string (session, "payment_status");
  const char *currency = eva_stripe_string (session, "currency");
  const char *intent = eva_stripe_string (session, "payment_intent");
  gint64 amount = eva_stripe_int (session, "amount_total", -1);
  g_autoptr(PGresult) p = NULL;
  g_autofree char *details = NULL;
  const char *payment_id, *booking_id, *booking_status;
  gboolean confirmed = FALSE;
  guint8 uuid[16];

  if (id == NULL)
    return TRUE;
  if (booking_ref == NULL)
    booking_ref = eva_stripe_string (session, "client_reference_id");

  p = eva_db_query (conn, sql_payment_by_session, error, id);
  if (p == NULL)
    return FALSE;
  if (PQntuples (p) == 0 && booking_ref != NULL && eva_uuid_parse (booking_ref, uuid))
    {
      g_autoptr(PGresult) adopt = eva_db_query (conn, sql_adopt_session, error, booking_ref, id,
                                                eva_stripe_string (session, "url"));

      if (adopt == NULL)
        return FALSE;
      g_clear_pointer (&p, PQclear);
      p = eva_db_query (conn, sql_payment_by_session, error, id);
      if (p == NULL)
        return FALSE;
    }
  if (PQntuples (p) == 0)
    {
      details = g_strdup_printf ("{\"session\":\"%s\"}", id);
      g_message ("a Checkout session we do not know: %s", id);
      return audit (conn, "system", NULL, "payment.unknown_session", booking_ref, details,
                    NULL, NULL, error);
    }

  payment_id = PQgetvalue (p, 0, 0);
  booking_id = PQgetvalue (p, 0, 4);
  booking_status = PQgetvalue (p, 0, 5);
  if (g_strcmp0 (payment_status, "paid") != 0 || g_str_equal (PQgetvalue (p, 0, 1), "paid"))
    return TRUE;

  if (amount != g_ascii_strtoll (PQgetvalue (p, 0, 2), NULL, 10)
      || g_strcmp0 (currency, PQgetvalue (p, 0, 3)) != 0)
    {
      g_autoptr(PGresult) f = eva_db_query (conn, sql_flag, error, payment_id, "amount_mismatch", intent);
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      if (f == NULL)
        return FALSE;
      if (PQntuples (f) == 0)
        return TRUE;   /* flagged before */
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "session");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "expected");
      json_builder_add_int_value (b, g_ascii_strtoll (PQgetvalue (p, 0, 2), NULL, 10));
      json_builder_set_member_name (b, "expected_currency");
      json_builder_add_string_value (b, PQgetvalue (p, 0, 3));
      json_builder_set_member_name (b, "got");
      json_builder_add_int_value (b, amount);
      json_builder_set_member_name (b, "got_currency");
      json_builder_add_string_value (b, currency != NULL ? currency : "");
      json_builder_set_member_name (b, "payment_intent");
      json_builder_add_string_value (b, intent != NULL ? intent : "");
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      details = eva_json_to_string (node);
      g_warning ("Checkout session %s: amount or currency does not match booking %s",
                 id, booking_id);
      return audit (conn, "system", NULL, "payment.mismatch", booking_id, details,
                    NULL, NULL, error);
    }

  {
    g_autoptr(PGresult) paid = eva_db_query (conn, sql_payment_paid, error, payment_id, intent);

    if (paid == NULL)
      return FALSE;
  }
  details = g_strdup_printf ("{\"session\":\"%s\",\"amount\":%" G_GINT64_FORMAT ",\"source\":\"%s\"}",
                             id, amount, source);
  if (!audit (conn, "system", NULL, "payment.paid", booking_id, details, NULL, NULL, error))
    return FALSE;

  if (g_str_equal (booking_status, "held") || g_str_equal (booking_status, "pending_payment"))
    {
      if (!confirm_paid (conn, booking_id, NULL, &confirmed, error))
        return FALSE;
      return !confirmed || on_confirmed (conn, config, booking_id, "card", error);
    }
  if (g_str_equal (booking_status, "expired") || g_str_equal (booking_status, "cancelled"))
    {
      if (!confirm_late (conn, booking_id, NULL, &confirmed, error))
        return FALSE;
      if (confirmed)
        return audit (conn, "system", NULL, "payment.late_confirmed", booking_id, NULL,
                      NULL, NULL, error)
               && on_confirmed (conn, config, booking_id, "card", error);
      return auto_refund (conn, config, payment_id, booking_id, PQgetvalue (p, 0, 2),
                          PQgetvalue (p, 0, 3), "requested_by_customer",
                          "Paid after the hold lapsed; the tickets were gone", error);
    }
  /* Confirmed already (another payment) or refunded: never keep money
   * for nothing. */
  return auto_refund (conn, config, payment_id, booking_id, PQgetvalue (p, 0, 2),
                      PQgetvalue (p, 0, 3), "duplicate",
                      "The booking was already paid", error);
}

gboolean
eva_payments_fulfil (EvaDbConn   *conn,
                     EvaConfig   *config,
                     JsonObject  *session,
                     const char  *source,
                     GError     **error)
{
  if (!eva_db_begin (conn, error))
    return FALSE;
  if (!fulfil_tx (conn, config, session, source, error))
    {
      eva_db_rollback (conn);
      return FALSE;
    }
  return eva_db_commit (conn, error);
}

static const char sql_session_expired[] =
  "UPDATE payments SET status = 'expired'"
  " WHERE provider = 'stripe' AND provider_ref = $1 AND status = 'pending'"
  " RETURNING booking_id";

gboolean
eva_payments_session_expired (EvaDbConn   *conn,
                              JsonObject  *session,
                              GError     **error)
{
  const char *id = eva_stripe_string (session, "id");
  g_autoptr(PGresult) r = NULL;

  if (id == NULL || g_strcmp0 (eva_stripe_string (session, "status"), "expired") != 0)
    return TRUE;
  r = eva_db_query (conn, sql_session_expired, error, id);
  if (r == NULL)
    return FALSE;
  /* Its hold, if due, goes now (eva_bookings_expire() skips bookings
   * with an open session). */
  for (int i = 0; i < PQntuples (r); i++)
    if (eva_bookings_expire (conn, PQgetvalue (r, i, 0), NULL, 1, error) < 0)
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Webhook events                                                     */
/* ------------------------------------------------------------------ */

static const char sql_event_seen[] =
  "INSERT INTO stripe_events (id, type) VALUES ($1, $2)"
  " ON CONFLICT (id) DO NOTHING RETURNING id";

static const char sql_async_failed[] =
  "UPDATE payments SET status = 'failed', flag = 'async_payment_failed'"
  " WHERE provider = 'stripe' AND provider_ref = $1 AND status = 'pending'"
  " RETURNING booking_id";

static gboolean
handle_event_tx (EvaDbConn   *conn,
                 EvaConfig   *config,
                 JsonObject  *event,
                 gboolean    *duplicate,
                 GError     **error)
{
  const char *id = eva_stripe_string (event, "id");
  const char *type = eva_stripe_string (event, "type");
  JsonObject *object = eva_stripe_object (eva_stripe_object (event, "data"), "object");
  g_autoptr(PGresult) seen = NULL;

  *duplicate = FALSE;
  if (id == NULL || type == NULL)
    return TRUE;
  seen = eva_db_query (conn, sql_event_seen, error, id, type);
  if (seen == NULL)
    return FALSE;
  if (PQntuples (seen) == 0)
    {
      *duplicate = TRUE;
      return TRUE;
    }
  if (object == NULL)
    return TRUE;

  if (g_str_equal (type, "checkout.session.completed")
      || g_str_equal (type, "checkout.session.async_payment_succeeded"))
    return fulfil_tx (conn, config, object, type, error);
  if (g_str_equal (type, "checkout.session.async_payment_failed"))
    {
      g_autoptr(PGresult) r = eva_db_query (conn, sql_async_failed, error,
                                            eva_stripe_string (object, "id"));

      return r != NULL
             && (PQntuples (r) == 0
                 || audit (conn, "system", NULL, "payment.failed", PQgetvalue (r, 0, 0),
                           NULL, NULL, NULL, error));
    }
  if (g_str_equal (type, "checkout.session.expired"))
    return eva_payments_session_expired (conn, object, error);
  if (g_str_has_prefix (type, "refund."))
    return eva_payments_settle_refund (conn, config, object, error);
  if (g_str_equal (type, "charge.refunded"))
    {
      JsonObject *refunds = eva_stripe_object (object, "refunds");
      JsonNode *data = refunds != NULL ? json_object_get_member (refunds, "data") : NULL;

      if (data != NULL && JSON_NODE_HOLDS_ARRAY (data))
        {
          JsonArray *list = json_node_get_array (data);

          for (guint i = 0; i < json_array_get_length (list); i++)
            {
              JsonNode *node = json_array_get_element (list, i);

              if (JSON_NODE_HOLDS_OBJECT (node)
                  && !eva_payments_settle_refund (conn, config, json_node_get_object (node), error))
                return FALSE;
            }
        }
      return TRUE;
    }
  return TRUE;   /* other types: acknowledged, ignored */
}

gboolean
eva_payments_handle_event (EvaDbConn   *conn,
                           EvaConfig   *config,
                           JsonObject  *event,
                           gboolean    *duplicate,
                           GError     **error)
{
  if (!eva_db_begin (conn, error))
    return FALSE;
  if (!handle_event_tx (conn, config, event, duplicate, error))
    {
      eva_db_rollback (conn);
      return FALSE;
    }
  return eva_db_commit (conn, error);
}

/* ------------------------------------------------------------------ */
/* Refunds                                                            */
/* ------------------------------------------------------------------ */

static const char sql_refund_booking[] =
  "SELECT status FROM bookings WHERE id = $1::uuid FOR UPDATE";

/* The paid payment with the most left to refund. */
static const char sql_refundable[] =
  "SELECT p.id, p.method, p.amount - coalesce((SELECT sum(r.amount) FROM refunds r"
  "                          WHERE r.payment_id = p.id AND r.status <> 'failed'), 0),"
  "       p.currency::text, p.payment_intent"
  "  FROM payments p WHERE p.booking_id = $1::uuid AND p.status = 'paid'"
  " ORDER BY 3 DESC, p.created_at LIMIT 1 FOR UPDATE OF p";

/* $1 payment, $2 booking, $3 amount, $4 currency, $5 reason, $6 note,
 * $7 status, $8 staff. */
static const char sql_insert_refund[] =
  "INSERT INTO refunds (payment_id, booking_id, amount, currency, reason, note, status, staff_id,"
  "                     idempotency_key)"
  " VALUES ($1::uuid, $2::uuid, $3::bigint, $4, $5, $6, $7, $8::uuid, $9) RETURNING id";

/* The refund a request with this Idempotency-Key made before. $1 booking, $2 key. */
static const char sql_refund_by_key[] =
  "SELECT r.id, r.amount, r.status, r.provider_ref IS NULL, p.method, p.payment_intent,"
  "       r.reason, r.note"
  "  FROM refunds r JOIN payments p ON p.id = r.payment_id"
  " WHERE r.booking_id = $1::uuid AND r.idempotency_key = $2";

/* The form of a card refund, and its key (the same for every try). */
static void
refund_form (EvaRefundJob *job,
             const char   *intent,
             gint64        amount,
             const char   *reason,
             const char   *note)
{
  g_autoptr(EvaForm) form = eva_form_new ();

  eva_form_add (form, "payment_intent", intent);
  eva_form_add_int (form, "amount", amount);
  eva_form_add (form, "reason", reason);
  eva_form_add (form, "metadata[booking_id]", job->booking_id);
  eva_form_add (form, "metadata[refund_id]", job->refund_id);
  eva_form_add (form, "metadata[note]", note);
  g_free (job->form);
  job->form = eva_form_encode (form);
  g_free (job->idempotency_key);
  job->idempotency_key = g_strdup_printf ("everato-refund-%s", job->refund_id);
}

/* Money back counted on the payment; a booking whose payments are all
 * given back becomes refunded (inventory back). $1 refund. */
static const char sql_refund_lock_booking[] =
  "SELECT b.id FROM bookings b JOIN refunds r ON r.booking_id = b.id"
  " WHERE r.id = $1::uuid FOR UPDATE OF b";

static const char sql_refund_counted[] =
  "WITH r AS (SELECT payment_id, booking_id, amount, automatic FROM refunds WHERE id = $1::uuid),"
  " p AS (UPDATE payments p SET refunded_amount = least(p.amount, p.refunded_amount + r.amount)"
  "         FROM r WHERE p.id = r.payment_id RETURNING p.booking_id)"
  " SELECT r.booking_id, b.status,"
  "        (SELECT coalesce(sum(x.amount), 0) FROM payments x"
  "          WHERE x.booking_id = r.booking_id AND x.status = 'paid'),"
  "        (SELECT coalesce(sum(y.amount), 0) FROM refunds y"
  "          WHERE y.booking_id = r.booking_id AND y.status IN ('succeeded', 'recorded', 'to_refund')),"
  "        r.automatic, r.amount"
  "   FROM r JOIN bookings b ON b.id = r.booking_id, p";

/* A refund whose money is gone (succeeded, recorded, to_refund). */
static gboolean
refund_counted (EvaDbConn   *conn,
                EvaConfig   *config,
                const char  *refund_id,
                GError     **error)
{
  g_autoptr(PGresult) lock = NULL;
  g_autoptr(PGresult) r = NULL;

  /* Two refunds of one booking settling at once: the booking's lock
   * orders them, and the sums are read after it (a fresh snapshot), so
   * the second sees the first and a booking paid back in full always
   * becomes refunded. */
  lock = eva_db_query (conn, sql_refund_lock_booking, error, refund_id);
  if (lock == NULL)
    return FALSE;
  r = eva_db_query (conn, sql_refund_counted, error, refund_id);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    return TRUE;
  /* The buyer hears of money given back by the organizer (an automatic
   * refund has its own mail, payment_refunded). */
  if (!PQgetisnull (r, 0, 4) && g_str_equal (PQgetvalue (r, 0, 4), "f")
      && !eva_notify_booking (conn, config, PQgetvalue (r, 0, 0), "booking_refunded",
                              g_ascii_strtoll (PQgetvalue (r, 0, 5), NULL, 10), error))
    return FALSE;
  if (g_str_equal (PQgetvalue (r, 0, 1), "confirmed")
      && g_ascii_strtoll (PQgetvalue (r, 0, 3), NULL, 10)
         >= g_ascii_strtoll (PQgetvalue (r, 0, 2), NULL, 10))
    {
      g_autoptr(GError) local = NULL;

      if (!eva_booking_refund (conn, PQgetvalue (r, 0, 0), &local)
          && !g_error_matches (local, EVA_ERROR, EVA_ERROR_CONFLICT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return audit (conn, "system", NULL, "booking.refunded", PQgetvalue (r, 0, 0), NULL,
                    NULL, NULL, error);
    }
  return TRUE;
}

static gboolean
prepare_refund_tx (EvaDbConn    *conn,
                   EvaRefundJob *job,
                   EvaOutcome   *out,
                   GError      **error)
{
  g_autoptr(PGresult) b = eva_db_query (conn, sql_refund_booking, error, job->booking_id);
  g_autoptr(PGresult) p = NULL;
  g_autoptr(PGresult) ins = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *details = NULL;
  g_autofree char *amount_text = NULL;
  const char *method, *status;
  gint64 left, amount;

  if (b == NULL)
    return FALSE;
  if (PQntuples (b) == 0)
    {
      refuse (out, 404, "not_found", "No such booking");
      return TRUE;
    }
  if (job->client_key != NULL)
    {
      g_autoptr(PGresult) again = eva_db_query (conn, sql_refund_by_key, error, job->booking_id,
                                                job->client_key);

      if (again == NULL)
        return FALSE;
      if (PQntuples (again) > 0)
        {
          /* A retry (a double click, a reply that never came): the same
           * refund, sent on to Stripe if it has not reached it yet. */
          if (job->amount >= 0 && job->amount != g_ascii_strtoll (PQgetvalue (again, 0, 1), NULL, 10))
            {
              refuse (out, 409, "idempotency_key_reused",
                      "This Idempotency-Key was used for another refund");
              return TRUE;
            }
          job->refund_id = g_strdup (PQgetvalue (again, 0, 0));
          if (g_str_equal (PQgetvalue (again, 0, 4), "card")
              && g_str_equal (PQgetvalue (again, 0, 2), "pending")
              && g_str_equal (PQgetvalue (again, 0, 3), "t"))
            refund_form (job, PQgetvalue (again, 0, 5),
                         g_ascii_strtoll (PQgetvalue (again, 0, 1), NULL, 10),
                         PQgetisnull (again, 0, 6) ? NULL : PQgetvalue (again, 0, 6),
                         PQgetisnull (again, 0, 7) ? NULL : PQgetvalue (again, 0, 7));
          return TRUE;
        }
    }

  p = eva_db_query (conn, sql_refundable, error, job->booking_id);
  if (p == NULL)
    return FALSE;
  left = PQntuples (p) > 0 ? g_ascii_strtoll (PQgetvalue (p, 0, 2), NULL, 10) : 0;
  if (left <= 0)
    {
      refuse (out, 409, "not_refundable",
              PQntuples (p) == 0 ? "Nothing was paid for this booking"
                                 : "Everything paid for this booking was refunded already");
      return TRUE;
    }
  amount = job->amount < 0 ? left : job->amount;
  if (amount > left)
    {
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autofree char *why = g_strdup_printf ("must be at most %" G_GINT64_FORMAT, left);

      refuse (out, 422, "validation_failed", "The amount is more than what is left to refund");
      json_object_set_string_member (fields, "amount", why);
      out->details = json_object_new ();
      json_object_set_object_member (out->details, "fields", g_steal_pointer (&fields));
      return TRUE;
    }

  method = PQgetvalue (p, 0, 1);
  status = g_str_equal (method, "card") ? "pending" : job->settled ? "recorded" : "to_refund";
  amount_text = g_strdup_printf ("%" G_GINT64_FORMAT, amount);
  ins = eva_db_query (conn, sql_insert_refund, error, PQgetvalue (p, 0, 0), job->booking_id,
                      amount_text, PQgetvalue (p, 0, 3), job->reason, job->note, status,
                      job->staff_id, job->client_key);
  if (ins == NULL)
    return FALSE;
  job->refund_id = g_strdup (PQgetvalue (ins, 0, 0));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "refund_id");
  json_builder_add_string_value (builder, job->refund_id);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_int_value (builder, amount);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, job->reason);
  json_builder_set_member_name (builder, "note");
  json_builder_add_string_value (builder, job->note);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  details = eva_json_to_string (node);
  if (!audit (conn, "staff", job->staff_id, "refund.requested", job->booking_id, details,
              job->request_id, job->ip, error))
    return FALSE;

  if (!g_str_equal (method, "card"))
    return refund_counted (conn, job->config, job->refund_id, error);   /* no form: nothing to send */

  refund_form (job, PQgetvalue (p, 0, 4), amount, job->reason, job->note);
  return TRUE;
}

gboolean
eva_payments_prepare_refund (EvaDbConn    *conn,
                             EvaRefundJob *job,
                             EvaOutcome   *out,
                             GError      **error)
{
  eva_outcome_clear (out);
  if (!eva_db_begin (conn, error))
    return FALSE;
  if (!prepare_refund_tx (conn, job, out, error))
    {
      eva_db_rollback (conn);
      return FALSE;
    }
  if (out->code != NULL)
    {
      eva_db_rollback (conn);
      return TRUE;
    }
  return eva_db_commit (conn, error);
}

static const char sql_refund_failed[] =
  "UPDATE refunds SET status = 'failed', error = $2"
  " WHERE id = $1::uuid AND status = 'pending' RETURNING booking_id";

/* Stripe said no to a refund: it failed, with Stripe's words. */
static gboolean
refund_refused (EvaDbConn   *conn,
                const char  *refund_id,
                const char  *message,
                GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_refund_failed, error, refund_id, message);

  if (r == NULL)
    return FALSE;
  return PQntuples (r) == 0
         || audit (conn, "system", NULL, "refund.failed", PQgetvalue (r, 0, 0), NULL,
                   NULL, NULL, error);
}

static const char sql_refund_reply[] =
  "SELECT jsonb_build_object('booking', " BOOKING_WITH_ATTENDEE ","
  "                          'refund', (SELECT x FROM jsonb_array_elements("
  "                                       eva_booking_payments_json(b)->'refunds') x"
  "                                      WHERE x->>'id' = $2))::text"
  "  FROM bookings b WHERE b.id = $1::uuid";

gboolean
eva_payments_finish_refund (EvaDbConn    *conn,
                            EvaRefundJob *job,
                            EvaOutcome   *out,
                            GError      **error)
{
  g_autoptr(PGresult) r = NULL;

  eva_outcome_clear (out);
  if (job->gateway_error != NULL)
    {
      if (g_error_matches (job->gateway_error, EVA_ERROR, EVA_ERROR_UNAVAILABLE))
        {
          /* The row stays pending: the sweeper sends it when Stripe is back
           * (same key: never twice). */
          refuse (out, 503, "gateway_unavailable",
                  "The payment provider cannot be reached right now; the refund will be "
                  "sent when it can");
          out->retry_after = 30;
          return TRUE;
        }
      if (!refund_refused (conn, job->refund_id, job->gateway_error->message, error))
        return FALSE;
      refuse (out, 502, "gateway_error", "The payment provider refused the refund: %s",
              job->gateway_error->message);
      return TRUE;
    }
  if (job->stripe_refund != NULL
      && !eva_payments_settle_refund (conn, job->config, json_node_get_object (job->stripe_refund), error))
    return FALSE;
  if (job->refund_id == NULL)
    return reply_booking (conn, job->booking_id, NULL, out, error);
  r = eva_db_query (conn, sql_refund_reply, error, job->booking_id, job->refund_id);
  if (r == NULL)
    return FALSE;
  out->status = 200;
  out->json = g_strdup (PQgetvalue (r, 0, 0));
  return TRUE;
}

/* Ours (by Stripe's id or our id in its metadata), locked. */
static const char sql_refund_find[] =
  "SELECT id, status, provider_ref FROM refunds"
  " WHERE provider_ref = $1 OR ($2::text IS NOT NULL AND id::text = $2::text)"
  " ORDER BY provider_ref IS NULL LIMIT 1 FOR UPDATE";

/* A refund made in Stripe's dashboard: recorded as it comes. $1 Stripe
 * id, $2 payment intent, $3 amount, $4 currency. */
static const char sql_refund_foreign[] =
  "INSERT INTO refunds (payment_id, booking_id, amount, currency, note, status, provider_ref)"
  " SELECT p.id, p.booking_id, $3::bigint, upper($4), 'Refunded at Stripe', 'pending', $1"
  "   FROM payments p WHERE p.payment_intent = $2 AND p.status = 'paid'"
  " ORDER BY p.created_at LIMIT 1"
  " ON CONFLICT (provider_ref) DO NOTHING RETURNING id, status";

/* $1 refund, $2 provider ref, $3 new status, $4 error. */
static const char sql_refund_move[] =
  "UPDATE refunds SET provider_ref = coalesce(provider_ref, $2), status = $3,"
  "                   error = coalesce($4, error)"
  " WHERE id = $1::uuid AND status = 'pending' RETURNING booking_id";

gboolean
eva_payments_settle_refund (EvaDbConn   *conn,
                            EvaConfig   *config,
                            JsonObject  *refund,
                            GError     **error)
{
  const char *stripe_id = eva_stripe_string (refund, "id");
  const char *stripe_status = eva_stripe_string (refund, "status");
  const char *ours = eva_stripe_string (eva_stripe_object (refund, "metadata"), "refund_id");
  g_autoptr(PGresult) r = NULL;
  g_autoptr(PGresult) moved = NULL;
  const char *status;
  guint8 uuid[16];

  if (stripe_id == NULL || g_strcmp0 (eva_stripe_string (refund, "object"), "refund") != 0)
    return TRUE;
  if (ours != NULL && !eva_uuid_parse (ours, uuid))
    ours = NULL;
  r = eva_db_query (conn, sql_refund_find, error, stripe_id, ours);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      g_autofree char *amount = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                 eva_stripe_int (refund, "amount", 0));

      g_clear_pointer (&r, PQclear);
      if (eva_stripe_int (refund, "amount", 0) <= 0
          || eva_stripe_string (refund, "payment_intent") == NULL)
        return TRUE;
      r = eva_db_query (conn, sql_refund_foreign, error, stripe_id,
                        eva_stripe_string (refund, "payment_intent"), amount,
                        eva_stripe_string (refund, "currency"));
      if (r == NULL)
        return FALSE;
      if (PQntuples (r) == 0)
        return TRUE;
    }
  if (!g_str_equal (PQgetvalue (r, 0, 1), "pending"))
    return TRUE;   /* settled already: once is enough */

  if (g_strcmp0 (stripe_status, "succeeded") == 0)
    status = "succeeded";
  else if (g_strcmp0 (stripe_status, "failed") == 0 || g_strcmp0 (stripe_status, "canceled") == 0)
    status = "failed";
  else
    {
      /* Still on its way: remember Stripe's id only. */
      moved = eva_db_query (conn, sql_refund_move, error, PQgetvalue (r, 0, 0), stripe_id,
                            "pending", NULL);
      return moved != NULL;
    }
  moved = eva_db_query (conn, sql_refund_move, error, PQgetvalue (r, 0, 0), stripe_id, status,
                        eva_stripe_string (refund, "failure_reason"));
  if (moved == NULL)
    return FALSE;
  if (PQntuples (moved) == 0)
    return TRUE;
  if (!audit (conn, "system", NULL, g_str_equal (status, "succeeded") ? "refund.succeeded"
                                                                      : "refund.failed",
              PQgetvalue (moved, 0, 0), NULL, NULL, NULL, error))
    return FALSE;
  return !g_str_equal (status, "succeeded") || refund_counted (conn, config, PQgetvalue (r, 0, 0), error);
}

/* ------------------------------------------------------------------ */
/* Marked paid by staff                                               */
/* ------------------------------------------------------------------ */

static const char sql_mark_booking[] =
  "SELECT status, total, payment_method, paid_at IS NOT NULL FROM bookings"
  " WHERE id = $1::uuid FOR UPDATE";

/* $1 booking, $2 method, $3 paid_on, $4 reference. */
static const char sql_mark_payment[] =
  "UPDATE payments SET status = 'paid', paid_at = $3::timestamptz,"
  "                    reference = coalesce($4, reference)"
  " WHERE id = (SELECT id FROM payments WHERE booking_id = $1::uuid AND method = $2"
  "               AND status IN ('pending', 'expired') ORDER BY created_at DESC LIMIT 1)"
  " RETURNING id";

static gboolean
mark_paid_tx (EvaDbConn   *conn,
              EvaConfig   *config,
              const char  *booking_id,
              const char  *staff_id,
              gint64       amount,
              const char  *paid_on,
              const char  *reference,
              EvaOutcome  *out,
              GError     **error)
{
  g_autoptr(PGresult) b = eva_db_query (conn, sql_mark_booking, error, booking_id);
  g_autoptr(PGresult) p = NULL;
  g_autofree char *details = NULL;
  const char *status, *method;
  gboolean confirmed = FALSE;

  if (b == NULL)
    return FALSE;
  if (PQntuples (b) == 0)
    {
      refuse (out, 404, "not_found", "No such booking");
      return TRUE;
    }
  status = PQgetvalue (b, 0, 0);
  method = PQgetisnull (b, 0, 2) ? "" : PQgetvalue (b, 0, 2);
  if (!g_str_equal (method, "bank_transfer") && !g_str_equal (method, "at_door"))
    {
      refuse (out, 409, "invalid_transition",
              "Only bookings paid by bank transfer or at the door are marked paid by hand");
      return TRUE;
    }
  if (g_str_equal (PQgetvalue (b, 0, 3), "t"))
    {
      refuse (out, 409, "invalid_transition", "This booking is paid already");
      return TRUE;
    }
  if (amount != g_ascii_strtoll (PQgetvalue (b, 0, 1), NULL, 10))
    {
      refuse (out, 422, "amount_mismatch",
              "The amount received (%" G_GINT64_FORMAT ") is not the booking's total (%s)",
              amount, PQgetvalue (b, 0, 1));
      return TRUE;
    }

  if (g_str_equal (status, "pending_payment") || g_str_equal (status, "held"))
    {
      if (!confirm_paid (conn, booking_id, paid_on, &confirmed, error))
        return FALSE;
    }
  else if (g_str_equal (status, "expired") || g_str_equal (status, "cancelled"))
    {
      if (!confirm_late (conn, booking_id, paid_on, &confirmed, error))
        return FALSE;
      if (!confirmed)
        {
          refuse (out, 409, "sold_out",
                  "This booking lapsed and its tickets were sold since: pay the money back");
          return TRUE;
        }
    }
  else if (g_str_equal (status, "confirmed"))
    {
      g_autoptr(PGresult) u = eva_db_query (conn, sql_booking_mark_paid, error, booking_id, paid_on);

      if (u == NULL)
        return FALSE;
    }
  else
    {
      refuse (out, 409, "invalid_transition", "A %s booking cannot be marked paid", status);
      return TRUE;
    }

  p = eva_db_query (conn, sql_mark_payment, error, booking_id, method, paid_on, reference);
  if (p == NULL)
    return FALSE;
  details = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"paid_on\":\"%s\",\"method\":\"%s\"}",
                             amount, paid_on, method);
  if (!audit (conn, "staff", staff_id, "payment.marked_paid", booking_id, details, NULL, NULL, error))
    return FALSE;
  if (confirmed && !on_confirmed (conn, config, booking_id, method, error))
    return FALSE;
  return reply_booking (conn, booking_id, NULL, out, error);
}

gboolean
eva_payments_mark_paid (EvaDbConn   *conn,
                        EvaConfig   *config,
                        const char  *booking_id,
                        const char  *staff_id,
                        gint64       amount,
                        const char  *paid_on,
                        const char  *reference,
                        EvaOutcome  *out,
                        GError     **error)
{
  eva_outcome_clear (out);
  if (!eva_db_begin (conn, error))
    return FALSE;
  if (!mark_paid_tx (conn, config, booking_id, staff_id, amount, paid_on, reference, out, error))
    {
      eva_db_rollback (conn);
      return FALSE;
    }
  if (out->code != NULL)
    {
      eva_db_rollback (conn);
      return TRUE;
    }
  return eva_db_commit (conn, error);
}

/* ------------------------------------------------------------------ */
/* Upkeep (the sweeper's thread)                                      */
/* ------------------------------------------------------------------ */

#define SWEEP_BATCH 20

/* Card payments to settle with Stripe: those of lapsed or released
 * bookings, and those without news for $1 seconds. Each is looked at
 * again at most every 10 s (or $1 s). */
static const char sql_sweep_sessions[] =
  "UPDATE payments p SET checked_at = now()"
  "  FROM bookings b"
  " WHERE b.id = p.booking_id AND p.id IN ("
  "   SELECT p.id FROM payments p JOIN bookings b ON b.id = p.booking_id"
  "    WHERE p.method = 'card' AND p.status = 'pending'"
  "      AND ((   (b.status NOT IN ('held', 'pending_payment') OR b.expires_at <= now())"
  "            AND (p.checked_at IS NULL OR p.checked_at < now() - interval '10 seconds'))"
  "        OR (p.created_at < now() - make_interval(secs => $1::int)"
  "            AND (p.checked_at IS NULL OR p.checked_at < now() - make_interval(secs => $1::int))))"
  "    ORDER BY p.created_at LIMIT 20 FOR UPDATE OF p SKIP LOCKED)"
  " RETURNING p.id, p.provider_ref, p.request_body, p.attempt, p.booking_id,"
  "           (b.status NOT IN ('held', 'pending_payment') OR b.expires_at <= now())";

static const char sql_sweep_refunds[] =
  "SELECT r.id, r.booking_id, r.amount, r.reason, r.note, p.payment_intent"
  "  FROM refunds r JOIN payments p ON p.id = r.payment_id"
  " WHERE r.status = 'pending' AND r.provider_ref IS NULL AND p.method = 'card'"
  "   AND (r.automatic OR r.created_at < now() - interval '30 seconds')"
  " ORDER BY r.created_at LIMIT 20";

/* Bank transfers due within two days (or half their time), not reminded. */
static const char sql_sweep_reminders[] =
  "UPDATE bookings SET reminded_at = now()"
  " WHERE id IN (SELECT id FROM bookings"
  "               WHERE status = 'pending_payment' AND payment_method = 'bank_transfer'"
  "                 AND reminded_at IS NULL AND expires_at > now()"
  "                 AND expires_at - now() < least(interval '2 days', (expires_at - created_at) / 2)"
  "               LIMIT 20 FOR UPDATE SKIP LOCKED)"
  " RETURNING id";

/* What Stripe says of one session, applied. */
static gboolean
apply_session (EvaDbConn   *conn,
               EvaConfig   *config,
               JsonObject  *session,
               GError     **error)
{
  const char *status = eva_stripe_string (session, "status");

  if (g_strcmp0 (status, "complete") == 0)
    return eva_payments_fulfil (conn, config, session, "reconciliation", error);
  if (g_strcmp0 (status, "expired") == 0)
    return eva_payments_session_expired (conn, session, error);
  return TRUE;
}

static gboolean
sweep_session (EvaDbConn   *conn,
               EvaConfig   *config,
               PGresult    *r,
               int          row,
               GError     **error)
{
  g_auto(EvaStripeReply) reply = { 0 };
  g_autoptr(GError) local = NULL;
  g_autofree char *session_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  gboolean lapsed = g_str_equal (PQgetvalue (r, row, 5), "t");

  if (PQgetisnull (r, row, 1))
    {
      /* We asked for a session and never heard: ask again with the same
       * body and key to learn which it is (or that there is none). */
      key = g_strdup_printf ("everato-checkout-%s-%s", PQgetvalue (r, row, 4),
                             PQgetvalue (r, row, 3));
      if (!eva_stripe_call (config, "POST", "/v1/checkout/sessions", PQgetvalue (r, row, 2),
                            key, &reply, &local))
        {
          if (g_error_matches (local, EVA_ERROR, EVA_ERROR_INVALID))
            {
              /* Stripe refused it (e.g. the expiry has passed): no
               * session exists, so the payment failed and the hold may go. */
              g_autoptr(PGresult) f = eva_db_query (conn, sql_payment_failed, error,
                                                    PQgetvalue (r, row, 0), local->message);

              return f != NULL;
            }
          return TRUE;
        }
      session_id = g_strdup (eva_stripe_string (json_node_get_object (reply.body), "id"));
      if (session_id == NULL)
        return TRUE;
      {
        g_autoptr(PGresult) rec = eva_db_query (conn, sql_record_session, error,
                                                PQgetvalue (r, row, 0), session_id,
                                                eva_stripe_string (json_node_get_object (reply.body), "url"));

        if (rec == NULL)
          return FALSE;
      }
    }
  else
    session_id = g_strdup (PQgetvalue (r, row, 1));

  if (lapsed)
    {
      /* Expire it at Stripe first; only then does the inventory go back. */
      path = g_strdup_printf ("/v1/checkout/sessions/%s/expire", session_id);
      key = (g_free (key), g_strdup_printf ("everato-expire-%s", session_id));
      if (eva_stripe_call (config, "POST", path, "", key, &reply, &local))
        return apply_session (conn, config, json_node_get_object (reply.body), error);
      if (g_error_matches (local, EVA_ERROR, EVA_ERROR_UNAVAILABLE))
        return TRUE;
      g_clear_error (&local);
    }

  /* Not open any more (paid, or expired), or just no news: read it. */
  g_free (path);
  path = g_strdup_printf ("/v1/checkout/sessions/%s", session_id);
  if (!eva_stripe_call (config, "GET", path, NULL, NULL, &reply, &local))
    return TRUE;
  return apply_session (conn, config, json_node_get_object (reply.body), error);
}

static gboolean
sweep_refund (EvaDbConn   *conn,
              PGresult    *r,
              int          row,
              EvaConfig   *config,
              GError     **error)
{
  g_auto(EvaStripeReply) reply = { 0 };
  g_autoptr(GError) local = NULL;
  g_autoptr(EvaRefundJob) job = eva_refund_job_new ();

  /* The same form and key as the request that made the refund: Stripe
   * replays it, never refunds twice. */
  job->booking_id = g_strdup (PQgetvalue (r, row, 1));
  job->refund_id = g_strdup (PQgetvalue (r, row, 0));
  refund_form (job, PQgetvalue (r, row, 5), g_ascii_strtoll (PQgetvalue (r, row, 2), NULL, 10),
               PQgetisnull (r, row, 3) ? NULL : PQgetvalue (r, row, 3),
               PQgetisnull (r, row, 4) ? NULL : PQgetvalue (r, row, 4));

  if (eva_stripe_call (config, "POST", "/v1/refunds", job->form, job->idempotency_key, &reply, &local))
    {
      gboolean ok;

      if (!eva_db_begin (conn, error))
        return FALSE;
      ok = eva_payments_settle_refund (conn, config, json_node_get_object (reply.body), error);
      if (!ok)
        {
          eva_db_rollback (conn);
          return FALSE;
        }
      return eva_db_commit (conn, error);
    }
  if (g_error_matches (local, EVA_ERROR, EVA_ERROR_INVALID))
    return refund_refused (conn, PQgetvalue (r, row, 0), local->message, error);
  return TRUE;
}

/* One session or refund of the sweep failed: the others still get their
 * turn (this one comes back on a later tick), unless the database is
 * away. Returns TRUE to go on. */
static gboolean
sweep_item_failed (EvaDbConn  *conn,
                   GError    **error)
{
  if (error == NULL || *error == NULL || g_error_matches (*error, EVA_ERROR, EVA_ERROR_UNAVAILABLE))
    return FALSE;
  g_warning ("payment upkeep: %s", (*error)->message);
  g_clear_error (error);
  eva_db_rollback (conn);
  return TRUE;
}

gboolean
eva_payments_sweep (EvaDbConn   *conn,
                    EvaConfig   *config,
                    GError     **error)
{
  g_autoptr(PGresult) reminders = NULL;

  if (eva_stripe_enabled (config))
    {
      g_autofree char *after = g_strdup_printf ("%u", config->reconcile_after_s);
      g_autoptr(PGresult) sessions = eva_db_query (conn, sql_sweep_sessions, error, after);
      g_autoptr(PGresult) refunds = NULL;

      if (sessions == NULL)
        return FALSE;
      for (int i = 0; i < PQntuples (sessions); i++)
        if (!sweep_session (conn, config, sessions, i, error) && !sweep_item_failed (conn, error))
          return FALSE;

      refunds = eva_db_query (conn, sql_sweep_refunds, error);
      if (refunds == NULL)
        return FALSE;
      for (int i = 0; i < PQntuples (refunds); i++)
        if (!sweep_refund (conn, refunds, i, config, error) && !sweep_item_failed (conn, error))
          return FALSE;
    }

  if (!eva_db_begin (conn, error))
    return FALSE;
  reminders = eva_db_query (conn, sql_sweep_reminders, error);
  if (reminders == NULL)
    {
      eva_db_rollback (conn);
      return FALSE;
    }
  for (int i = 0; i < PQntuples (reminders); i++)
    if (!eva_notify_booking (conn, config, PQgetvalue (reminders, i, 0), "transfer_reminder", 0, error))
      {
        eva_db_rollback (conn);
        return FALSE;
      }
  return eva_db_commit (conn, error);
}
