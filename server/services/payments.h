/* services/payments.h: checkout, fulfilment, refunds, upkeep
 *
 * The database side of taking money (docs/PAYMENTS.md). Calls to Stripe
 * happen between these steps, outside any transaction (services/stripe.h).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/eva-config.h"
#include "db/eva-db.h"
#include "services/booking.h"

G_BEGIN_DECLS

/* The Checkout session lasts this long (Stripe's minimum is 30 minutes). */
#define EVA_CHECKOUT_SESSION_SECONDS (31 * 60)

/* A checkout as it moves through its stages. */
typedef struct
{
  char   *booking_id;
  char   *attendee_id;
  char   *method;            /* card | bank_transfer | at_door */
  char   *request_id;
  char   *ip;
  /* Card, when Stripe must be asked (out->status == 0 after prepare): */
  char   *payment_id;
  char   *form;              /* the exact body, replayed on retries */
  char   *idempotency_key;
  /* Stripe's answer */
  JsonNode *session;
  GError   *gateway_error;
} EvaCheckout;

EvaCheckout *eva_checkout_new  (void);
void         eva_checkout_free (EvaCheckout *checkout);

/* Validates the checkout and does all of it that needs no gateway (bank
 * transfer, pay at the door, an open Checkout session to show again),
 * filling @out with the reply; for a new card payment, records it and
 * leaves out->status 0 with @checkout's form and key set. */
gboolean eva_payments_prepare_checkout (EvaDbConn    *conn,
                                        EvaConfig    *config,
                                        EvaCheckout  *checkout,
                                        EvaOutcome   *out,
                                        GError      **error);
/* After Stripe answered (or failed): records the session and fills @out. */
gboolean eva_payments_finish_checkout  (EvaDbConn    *conn,
                                        EvaCheckout  *checkout,
                                        EvaOutcome   *out,
                                        GError      **error);

/* The newest Checkout session id of @booking_id (of @attendee_id when not
 * NULL), or NULL; *@found tells whether the booking exists for them. */
char    *eva_payments_current_session  (EvaDbConn    *conn,
                                        const char   *booking_id,
                                        const char   *attendee_id,
                                        gboolean     *found,
                                        GError      **error);

/* Fulfils a Checkout session as Stripe shows it (from a signed event or
 * read back from the API): exactly once, whatever the order or number of
 * calls. Confirms the booking when the session is paid and its amount and
 * currency match; a payment for a booking already released is confirmed
 * if the inventory is still there, else refunded automatically. */
gboolean eva_payments_fulfil           (EvaDbConn    *conn,
                                        EvaConfig    *config,
                                        JsonObject   *session,
                                        const char   *source,
                                        GError      **error);
/* A session Stripe says is expired: its payment expires, and its booking
 * too when its hold is due. */
gboolean eva_payments_session_expired  (EvaDbConn    *conn,
                                        JsonObject   *session,
                                        GError      **error);

/* One verified webhook event. Replays (by event id) change nothing. */
gboolean eva_payments_handle_event     (EvaDbConn    *conn,
                                        EvaConfig    *config,
                                        JsonObject   *event,
                                        gboolean     *duplicate,
                                        GError      **error);

/* A refund as it moves through its stages. */
typedef struct
{
  char   *booking_id;
  char   *staff_id;
  EvaConfig *config;         /* borrowed */
  gint64  amount;            /* -1: all that is left */
  char   *reason;            /* NULL or a Stripe reason */
  char   *note;
  gboolean settled;          /* offline: paid back already (recorded) */
  char   *client_key;        /* the request's Idempotency-Key, or NULL */
  char   *request_id;
  char   *ip;
  /* Card, when Stripe must be asked: */
  char   *refund_id;
  char   *form;
  char   *idempotency_key;
  JsonNode *stripe_refund;
  GError   *gateway_error;
} EvaRefundJob;

EvaRefundJob *eva_refund_job_new  (void);
void          eva_refund_job_free (EvaRefundJob *job);

gboolean eva_payments_prepare_refund   (EvaDbConn    *conn,
                                        EvaRefundJob *job,
                                        EvaOutcome   *out,
                                        GError      **error);
gboolean eva_payments_finish_refund    (EvaDbConn    *conn,
                                        EvaRefundJob *job,
                                        EvaOutcome   *out,
                                        GError      **error);
/* Applies a Stripe refund object (from the API or an event). */
gboolean eva_payments_settle_refund    (EvaDbConn    *conn,
                                        EvaConfig    *config,
                                        JsonObject   *refund,
                                        GError      **error);

/* Bank transfer received or money taken at the door. */
gboolean eva_payments_mark_paid        (EvaDbConn    *conn,
                                        EvaConfig    *config,
                                        const char   *booking_id,
                                        const char   *staff_id,
                                        gint64        amount,
                                        const char   *paid_on,
                                        const char   *reference,
                                        EvaOutcome   *out,
                                        GError      **error);

/* The background work, from the sweeper's thread (blocking calls to
 * Stripe are fine there): Checkout sessions of lapsed holds are expired
 * at Stripe before their inventory goes back; sessions without news for
 * EVERATO_PAYMENT_RECONCILE_AFTER are read back (a lost webhook delays an
 * order, never loses it); refunds waiting for Stripe are sent; transfer
 * reminders are queued. Fails only when the database does. */
gboolean eva_payments_sweep            (EvaDbConn    *conn,
                                        EvaConfig    *config,
                                        GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaCheckout, eva_checkout_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaRefundJob, eva_refund_job_free)

G_END_DECLS
