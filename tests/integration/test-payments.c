/* test-payments.c: card payments through a Stripe stand-in, webhooks under
 * replay and reordering, gateway outages, reconciliation, late payments,
 * bank transfer, pay at the door, refunds, and every route's bad input
 *
 * The server talks to tests/stripe/stripe-standin.py exactly as it talks
 * to Stripe (EVERATO_STRIPE_API_BASE); the stand-in signs and delivers
 * webhooks to the server. Exactly-once is checked on the database: one
 * "booking.confirmed" audit row and one confirmation mail per booking.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "eva-test-stripe.h"

#define SECRET_KEY  "sk_test_everato_payments"
#define WHSEC_OLD   "whsec_old_8f3b2c1d"
#define WHSEC_NEW   "whsec_new_5a6e7f90"
#define TRANSFER    "Everato Events GmbH\nIBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX"

static EvaTestStripe *stripe;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static JsonNode *
ctl (const char *method,
     const char *path,
     const char *body)
{
  guint status = 0;
  JsonNode *node = eva_test_stripe_control (stripe, method, path, body, &status);

  if (status != 200)
    g_error ("stand-in %s %s: %u", method, path, status);
  return node;
}

static void
ctl_free (const char *method,
          const char *path,
          const char *body)
{
  JsonNode *node = ctl (method, path, body);

  if (node != NULL)
    json_node_unref (node);
}

static void
point_webhooks_at (EvaTestServer *srv)
{
  g_autofree char *body =
    g_strdup_printf ("{\"webhook_url\":\"%s/api/v1/payments/stripe/webhook\","
                     "\"webhook_secrets\":[\"%s\"],\"auto_deliver\":true}", srv->base_url, WHSEC_NEW);

  ctl_free ("POST", "/_standin/config", body);
}

/* A published event of @methods (a JSON array) with one ticket type. */
static char *
paid_event (const char *methods,
            int         capacity,
            char      **type_out)
{
  g_autofree char *extra = g_strdup_printf ("\"payment_methods\":%s", methods);
  g_autofree char *type_json = g_strdup_printf ("{\"name\":\"Standing\",\"price\":2500,\"capacity\":%d}",
                                                capacity);
  char *event = make_event (extra);

  *type_out = make_type (event, type_json);
  publish (event);
  return event;
}

static char *
held (Buyer      *b,
      const char *event,
      const char *type,
      int         quantity)
{
  g_autoptr(EvaTestResponse) r = hold (b, event, type, quantity, NULL);

  eva_test_assert_status (r, 201);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "held");
  return g_strdup (eva_test_json_string (r->json, "id"));
}

static EvaTestResponse *
checkout (Buyer      *b,
          const char *booking,
          const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);

  return http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, body);
}

/* Checks out by card; returns the Checkout session's id. */
static char *
card_checkout (Buyer      *b,
               const char *booking)
{
  g_autoptr(EvaTestResponse) r = checkout (b, booking, "{\"method\":\"card\"}");
  const char *url;

  eva_test_assert_status (r, 200);
  url = eva_test_json_string (r->json, "checkout_url");
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, eva_test_stripe_base_url (stripe)));
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "pending_payment");
  return g_strdup (strrchr (url, '/') + 1);
}

/* Pays @session at the stand-in; returns the id of its completed event. */
static char *
pay (const char *session,
     gboolean    deliver,
     const char *extra)
{
  g_autofree char *path = g_strdup_printf ("/_standin/sessions/%s/pay", session);
  g_autofree char *body = g_strdup_printf ("{\"deliver\":%s%s%s}", deliver ? "true" : "false",
                                           extra ? "," : "", extra ? extra : "");
  g_autoptr(JsonNode) out = ctl ("POST", path, body);

  g_assert_cmpstr (eva_test_json_string (out, "events.0.type"), ==, "checkout.session.completed");
  if (deliver)
    g_assert_cmpint (eva_test_json_int (out, "deliveries.0.status"), ==, 200);
  return g_strdup (eva_test_json_string (out, "events.0.id"));
}

/* Delivers event @id once with @signature; returns the server's status. */
static gint64
deliver (const char *event_id,
         const char *signature,
         const char *extra)
{
  g_autofree char *body = g_strdup_printf ("{\"event_id\":\"%s\",\"signature\":\"%s\"%s%s}",
                                           event_id, signature, extra ? "," : "", extra ? extra : "");
  g_autoptr(JsonNode) out = ctl ("POST", "/_standin/deliver", body);

  return eva_test_json_int (out, "results.0.status");
}

static char *
booking_status (const char *booking)
{
  return eva_test_sql (server->pg, "SELECT status FROM bookings WHERE id = $1::uuid", booking, NULL);
}

static gint64
count_audit (const char *action,
             const char *booking)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM audit_log WHERE action = '%s'"
                                          " AND target_id = $1", action);

  return sql_int (server->pg, sql, booking);
}

/* Mails of @template about the booking's buyer. */
static gint64
count_mail (const char *template_name,
            const char *booking)
{
  g_autofree char *sql = g_strdup_printf (
    "SELECT count(*) FROM email_outbox o JOIN bookings b ON b.id = $1::uuid"
    "  JOIN attendees a ON a.id = b.attendee_id"
    " WHERE o.to_address = a.email AND o.template = '%s'", template_name);

  return sql_int (server->pg, sql, booking);
}

static gint64
sold (const char *type)
{
  return sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", type);
}

static gint64
held_count (const char *type)
{
  return sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type);
}

/* Polls until @sql on @param gives @expected (the sweeper runs each second). */
static void
wait_sql (EvaTestServer *srv,
          const char    *sql,
          const char    *param,
          const char    *expected)
{
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *got = eva_test_sql (srv->pg, sql, param, NULL);

      if (g_strcmp0 (got, expected) == 0)
        return;
      g_usleep (100 * 1000);
    }
  assert_sql (srv->pg, sql, param, expected);
}

/* The stand-in's API requests to @path_suffix, as a JSON array node. */
static guint
count_requests (const char *method,
                const char *path,
                const char *booking)
{
  g_autoptr(JsonNode) all = ctl ("GET", "/_standin/requests", NULL);
  JsonArray *a = json_node_get_array (all);
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);

      if (g_str_equal (json_object_get_string_member (o, "method"), method)
          && g_str_equal (json_object_get_string_member (o, "path"), path)
          && (booking == NULL
              || g_strcmp0 (eva_test_json_string (json_array_get_element (a, i),
                                                  "params.client_reference_id"), booking) == 0))
        n++;
    }
  return n;
}

/* The last request to @path, or NULL. */
static JsonNode *
last_request (const char *method,
              const char *path)
{
  g_autoptr(JsonNode) all = ctl ("GET", "/_standin/requests", NULL);
  JsonArray *a = json_node_get_array (all);

  for (guint i = json_array_get_length (a); i > 0; i--)
    {
      JsonNode *node = json_array_get_element (a, i - 1);
      JsonObject *o = json_node_get_object (node);

      if (g_str_equal (json_object_get_string_member (o, "method"), method)
          && g_str_equal (json_object_get_string_member (o, "path"), path))
        return json_node_copy (node);
    }
  return NULL;
}

static EvaTestResponse *
refund (const char *booking,
        const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", booking);

  return admin ("POST", path, body != NULL ? body : "{}");
}

static EvaTestResponse *
mark_paid (const char *booking,
           const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", booking);

  return admin ("POST", path, body);
}

/* A card booking of @quantity, paid and confirmed through the webhook. */
static char *
paid_booking (Buyer       *b,
              const char  *event,
              const char  *type,
              int          quantity,
              char       **session_out)
{
  char *booking = held (b, event, type, quantity);
  g_autofree char *session = card_checkout (b, booking);
  g_autofree char *ev = pay (session, TRUE, NULL);
  g_autofree char *status = booking_status (booking);

  g_assert_cmpstr (status, ==, "confirmed");
  if (session_out != NULL)
    *session_out = g_steal_pointer (&session);
  return booking;
}

/* ------------------------------------------------------------------ */
/* Card                                                               */
/* ------------------------------------------------------------------ */

static void
test_card_happy (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "card", TRUE);
  g_autofree char *booking = held (b, event, type, 2);
  g_autoptr(EvaTestResponse) r = checkout (b, booking, "{\"method\":\"card\"}");
  g_autoptr(EvaTestResponse) again = NULL;
  g_autoptr(EvaTestResponse) got = NULL;
  g_autoptr(JsonNode) req = NULL;
  g_autoptr(JsonNode) paid = NULL;
  g_autofree char *key = g_strdup_printf ("everato-checkout-%s-1", booking);
  g_autofree char *session = NULL;
  g_autofree char *email = eva_test_sql (server->pg, "SELECT email FROM attendees WHERE id = $1::uuid",
                                         b->id, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s", booking);
  g_autofree char *expires_gap = NULL;
  g_autofree char *pay_path = NULL;

  eva_test_assert_status (r, 200);
  session = g_strdup (strrchr (eva_test_json_string (r->json, "checkout_url"), '/') + 1);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "pending_payment");
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.payment_method"), ==, "card");
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.payments.0.status"), ==, "pending");
  g_assert_cmpint (eva_test_json_int (r->json, "booking.payments.0.amount"), ==, 5000);
  g_assert_false (eva_test_json_bool (r->json, "booking.paid"));
  /* The hold now lasts as long as the Checkout session (Stripe: ≥ 30 min). */
  expires_gap = eva_test_sql (server->pg,
                              "SELECT round(extract(epoch FROM expires_at - now()) / 60)"
                              "  FROM bookings WHERE id = $1::uuid", booking, NULL);
  g_assert_cmpstr (expires_gap, ==, "31");

  /* What Stripe was asked, exactly. */
  req = last_request ("POST", "/v1/checkout/sessions");
  g_assert_nonnull (req);
  g_assert_cmpstr (eva_test_json_string (req, "authorization"), ==, "Bearer " SECRET_KEY);
  g_assert_cmpstr (eva_test_json_string (req, "idempotency_key"), ==, key);
  g_assert_true (g_str_has_prefix (eva_test_json_string (req, "content_type"),
                                   "application/x-www-form-urlencoded"));
  g_assert_cmpstr (eva_test_json_string (req, "params.mode"), ==, "payment");
  g_assert_cmpstr (eva_test_json_string (req, "params.client_reference_id"), ==, booking);
  g_assert_cmpstr (eva_test_json_string (req, "params.metadata.booking_id"), ==, booking);
  g_assert_cmpstr (eva_test_json_string (req, "params.customer_email"), ==, email);
  g_assert_cmpstr (eva_test_json_string (req, "params.line_items.0.price_data.currency"), ==, "eur");
  g_assert_cmpstr (eva_test_json_string (req, "params.line_items.0.price_data.unit_amount"), ==, "2500");
  g_assert_cmpstr (eva_test_json_string (req, "params.line_items.0.quantity"), ==, "2");
  g_assert_nonnull (strstr (eva_test_json_string (req, "params.line_items.0.price_data.product_data.name"),
                            "Standing"));
  g_assert_nonnull (strstr (eva_test_json_string (req, "params.success_url"), "{CHECKOUT_SESSION_ID}"));
  g_assert_nonnull (strstr (eva_test_json_string (req, "params.cancel_url"), booking));
  g_assert_nonnull (eva_test_json_string (req, "params.expires_at"));

  /* Asking again while it is open gives the same session, not a second. */
  again = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_status (again, 200);
  g_assert_cmpstr (eva_test_json_string (again->json, "checkout_url"), ==,
                   eva_test_json_string (r->json, "checkout_url"));
  g_assert_cmpuint (count_requests ("POST", "/v1/checkout/sessions", booking), ==, 1);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM payments WHERE booking_id = $1::uuid",
                            booking), ==, 1);

  /* The buyer pays on Stripe's page: the signed webhook confirms. */
  pay_path = g_strdup_printf ("/_standin/sessions/%s/pay", session);
  paid = ctl ("POST", pay_path, "{\"deliver\":true}");
  g_assert_cmpint (eva_test_json_int (paid, "deliveries.0.status"), ==, 200);
  got = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (got, 200);
  g_assert_cmpstr (eva_test_json_string (got->json, "status"), ==, "confirmed");
  g_assert_true (eva_test_json_bool (got->json, "paid"));
  g_assert_cmpint (eva_test_json_int (got->json, "amount_paid"), ==, 5000);
  g_assert_cmpstr (eva_test_json_string (got->json, "payments.0.status"), ==, "paid");
  g_assert_false (eva_test_json_has (got->json, "payments.0.checkout_url")
                  && eva_test_json_string (got->json, "payments.0.checkout_url") != NULL);
  g_assert_cmpint (sold (type), ==, 2);
  g_assert_cmpint (held_count (type), ==, 0);
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  g_assert_cmpint (count_audit ("payment.paid", booking), ==, 1);
  g_assert_cmpint (count_mail ("booking_confirmed", booking), ==, 1);
  assert_sql (server->pg, "SELECT payment_intent IS NOT NULL FROM payments WHERE booking_id = $1::uuid",
              booking, "t");

  /* Checkout of a confirmed booking is refused. */
  g_clear_pointer (&again, eva_test_response_free);
  again = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_error (again, 409, "invalid_transition");
  assert_invariant (server->pg);
}

/* The return page asks Stripe itself when the webhook is late. */
static void
test_card_return_page (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "return", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "nosy", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *session = card_checkout (b, booking);
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/payment/refresh", booking);
  g_autofree char *ev = NULL;
  g_autoptr(EvaTestResponse) r = NULL;

  /* Not paid yet: still pending. */
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "pending_payment");
  g_clear_pointer (&r, eva_test_response_free);

  r = http_full (server, NULL, "POST", path, other, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);

  ev = pay (session, FALSE, NULL);
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "confirmed");
  g_assert_true (eva_test_json_bool (r->json, "booking.paid"));
  g_clear_pointer (&r, eva_test_response_free);

  /* The webhook that comes after changes nothing. */
  g_assert_cmpint (deliver (ev, "good", NULL), ==, 200);
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_clear_pointer (&r, eva_test_response_free);
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  g_assert_cmpint (count_mail ("booking_confirmed", booking), ==, 1);
  g_assert_cmpint (sold (type), ==, 1);
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Webhooks                                                           */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char *event_id;
  gint64      status;
} Delivery;

static gpointer
deliver_thread (gpointer data)
{
  Delivery *d = data;

  d->status = deliver (d->event_id, "good", NULL);
  return NULL;
}

/* A first session expired at Stripe, a second one paid; the hold lapses
 * meanwhile. Every event three times, in random order, concurrently. */
static void
test_webhook_replay_race (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);

  for (int round = 0; round < 4; round++)
    {
      g_autoptr(Buyer) b = make_buyer_on (server, "race", TRUE);
      g_autofree char *booking = held (b, event, type, 2);
      g_autofree char *first = card_checkout (b, booking);
      g_autofree char *expire_path = g_strdup_printf ("/_standin/sessions/%s/expire", first);
      g_autoptr(JsonNode) expired = ctl ("POST", expire_path, "{\"deliver\":false}");
      g_autofree char *expired_event = g_strdup (eva_test_json_string (expired, "events.0.id"));
      g_autofree char *second = NULL;
      g_autofree char *completed_event = NULL;
      Delivery deliveries[6];
      GThread *threads[6];
      GRand *rand = g_rand_new ();

      g_assert_cmpstr (eva_test_json_string (expired, "events.0.type"), ==, "checkout.session.expired");
      /* Stripe told us first (one delivery), so a new attempt opens. */
      g_assert_cmpint (deliver (expired_event, "good", NULL), ==, 200);
      assert_sql (server->pg, "SELECT status FROM payments WHERE provider_ref = $1", first, "expired");
      {
        g_autofree char *status = booking_status (booking);

        g_assert_cmpstr (status, ==, "pending_payment");
      }
      second = card_checkout (b, booking);
      g_assert_cmpstr (second, !=, first);
      completed_event = pay (second, FALSE, NULL);

      /* In half the rounds the hold is already due when the events come. */
      if (round % 2 == 1)
        g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                          " WHERE id = $1::uuid RETURNING id", booking, NULL));

      for (int i = 0; i < 6; i++)
        deliveries[i].event_id = i % 2 == 0 ? expired_event : completed_event;
      for (int i = 5; i > 0; i--)
        {
          int j = g_rand_int_range (rand, 0, i + 1);
          Delivery t = deliveries[i];

          deliveries[i] = deliveries[j];
          deliveries[j] = t;
        }
      for (int i = 0; i < 6; i++)
        threads[i] = g_thread_new ("deliver", deliver_thread, &deliveries[i]);
      for (int i = 0; i < 6; i++)
        {
          g_thread_join (threads[i]);
          g_assert_cmpint (deliveries[i].status, ==, 200);
        }
      g_rand_free (rand);

      {
        g_autofree char *status = booking_status (booking);

        g_assert_cmpstr (status, ==, "confirmed");
      }
      g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
      g_assert_cmpint (count_audit ("payment.paid", booking), ==, 1);
      g_assert_cmpint (count_mail ("booking_confirmed", booking), ==, 1);
      g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1::uuid",
                                booking), ==, 0);
      g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM payments WHERE booking_id = $1::uuid"
                                            " AND status = 'paid'", booking), ==, 1);
    }
  g_assert_cmpint (sold (type), ==, 8);
  g_assert_cmpint (held_count (type), ==, 0);
  assert_invariant (server->pg);
}

/* Computes Stripe-Signature for @body with @secret at @t. */
static char *
sign (const char *secret,
      gint64      t,
      const char *body)
{
  g_autofree char *signed_payload = g_strdup_printf ("%" G_GINT64_FORMAT ".%s", t, body);
  g_autofree char *mac = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                    strlen (secret), signed_payload, -1);

  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", t, mac);
}

static EvaTestResponse *
post_webhook (const char *signature,
              const char *body)
{
  g_autofree char *url = g_strdup_printf ("%s/api/v1/payments/stripe/webhook", server->base_url);

  if (signature == NULL)
    return eva_test_request (server, "POST", "/api/v1/payments/stripe/webhook", NULL,
                             "application/json", body, -1);
  /* eva_test_request has no custom headers: send through a message. */
  {
    g_autoptr(SoupMessage) m = soup_message_new ("POST", url);
    g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(GError) error = NULL;
    EvaTestResponse *out = g_new0 (EvaTestResponse, 1);

    soup_message_headers_replace (soup_message_get_request_headers (m), "Stripe-Signature", signature);
    soup_message_set_request_body_from_bytes (m, "application/json", bytes);
    reply = soup_session_send_and_read (server->session, m, NULL, &error);
    g_assert_no_error (error);
    out->status = soup_message_get_status (m);
    out->body = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
    out->length = g_bytes_get_size (reply);
    out->json = json_from_string (out->body, NULL);
    out->headers = soup_message_headers_ref (soup_message_get_response_headers (m));
    if (out->json != NULL)
      eva_test_check_response ("POST", "/api/v1/payments/stripe/webhook", out->status, out->json);
    return out;
  }
}

static void
test_webhook_signatures (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "sig", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *session = card_checkout (b, booking);
  g_autofree char *ev = pay (session, FALSE, NULL);
  const char *bad[] = { "bad", "stale", "future", "wrong_secret", "none" };
  g_autofree char *events_before = NULL;
  g_autofree char *now_sig = NULL;
  g_autofree char *unknown = NULL;
  g_autoptr(EvaTestResponse) r = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  events_before = eva_test_sql (server->pg, "SELECT count(*) FROM stripe_events", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_cmpint (deliver (ev, bad[i], NULL), ==, 400);
  g_assert_cmpint (deliver (ev, "good", "\"truncate\":true"), ==, 400);
  {
    g_autofree char *status = booking_status (booking);
    g_autofree char *events_after = eva_test_sql (server->pg, "SELECT count(*) FROM stripe_events", NULL);

    g_assert_cmpstr (status, ==, "pending_payment");
    g_assert_cmpstr (events_after, ==, events_before);
  }

  /* Hand-made requests: the envelope, and nothing happens. */
  r = post_webhook (NULL, "{\"id\":\"evt_x\",\"type\":\"checkout.session.completed\"}");
  eva_test_assert_error (r, 400, "bad_signature");
  g_clear_pointer (&r, eva_test_response_free);
  r = post_webhook ("t=abc,v1=zz", "{}");
  eva_test_assert_error (r, 400, "bad_signature");
  g_clear_pointer (&r, eva_test_response_free);
  r = post_webhook ("v1=00", "{}");
  eva_test_assert_error (r, 400, "bad_signature");
  g_clear_pointer (&r, eva_test_response_free);
  /* Signed but not an event. */
  now_sig = sign (WHSEC_NEW, now, "not json");
  r = post_webhook (now_sig, "not json");
  eva_test_assert_error (r, 400, "invalid_json");
  g_clear_pointer (&r, eva_test_response_free);
  g_free (now_sig);
  now_sig = sign (WHSEC_NEW, now, "[1,2]");
  r = post_webhook (now_sig, "[1,2]");
  eva_test_assert_error (r, 400, NULL);
  g_clear_pointer (&r, eva_test_response_free);
  g_free (now_sig);
  now_sig = sign (WHSEC_NEW, now, "{\"type\":\"checkout.session.completed\",\"data\":{}}");
  r = post_webhook (now_sig, "{\"type\":\"checkout.session.completed\",\"data\":{}}");
  eva_test_assert_error (r, 400, "validation_failed");
  g_clear_pointer (&r, eva_test_response_free);
  /* Unknown event types are acknowledged and ignored. */
  unknown = g_strdup ("{\"id\":\"evt_unknown_1\",\"object\":\"event\",\"type\":\"customer.created\","
                      "\"data\":{\"object\":{\"id\":\"cus_1\",\"object\":\"customer\"}}}");
  g_free (now_sig);
  now_sig = sign (WHSEC_NEW, now, unknown);
  r = post_webhook (now_sig, unknown);
  eva_test_assert_status (r, 200);
  g_clear_pointer (&r, eva_test_response_free);
  /* A completed session of an id we never made: acknowledged, logged. */
  {
    g_autofree char *stranger = g_strdup (
      "{\"id\":\"evt_stranger\",\"object\":\"event\",\"type\":\"checkout.session.completed\","
      "\"data\":{\"object\":{\"id\":\"cs_test_stranger\",\"object\":\"checkout.session\","
      "\"payment_status\":\"paid\",\"status\":\"complete\",\"amount_total\":100,\"currency\":\"eur\","
      "\"client_reference_id\":\"not-a-uuid\",\"metadata\":{}}}}");

    g_free (now_sig);
    now_sig = sign (WHSEC_NEW, now, stranger);
    r = post_webhook (now_sig, stranger);
    eva_test_assert_status (r, 200);
    g_clear_pointer (&r, eva_test_response_free);
  }
  {
    g_autofree char *status = booking_status (booking);

    g_assert_cmpstr (status, ==, "pending_payment");
  }

  /* Rotation: the old secret is still accepted while it is configured. */
  g_assert_cmpint (deliver (ev, "good", "\"secret\":\"" WHSEC_OLD "\""), ==, 200);
  {
    g_autofree char *status = booking_status (booking);

    g_assert_cmpstr (status, ==, "confirmed");
  }
  /* And the new one, on a replay: acknowledged, no second confirmation. */
  g_assert_cmpint (deliver (ev, "good", "\"secret\":\"" WHSEC_NEW "\""), ==, 200);
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Gateway trouble                                                    */
/* ------------------------------------------------------------------ */

static void
fail_next (const char *json)
{
  ctl_free ("POST", "/_standin/fail", json);
}

static void
test_gateway_outage (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "outage", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *expires = eva_test_sql (server->pg, "SELECT expires_at FROM bookings WHERE id = $1::uuid",
                                           booking, NULL);
  g_autofree char *key = g_strdup_printf ("everato-checkout-%s-1", booking);
  g_autoptr(EvaTestResponse) r = NULL;
  guint before = count_requests ("POST", "/v1/checkout/sessions", booking);

  /* 500 on every try: a clear 503, the hold kept as it was. */
  fail_next ("{\"path_prefix\":\"/v1/checkout/sessions\",\"status\":500,\"count\":3}");
  r = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_error (r, 503, "gateway_unavailable");
  g_assert_cmpuint (count_requests ("POST", "/v1/checkout/sessions", booking), ==, before + 3);
  /* Whether Stripe made a session before the line broke is not known
   * yet: the attempt stays open (the retry or the sweeper asks again with
   * the same key), and the tickets stay held, no earlier than before. */
  {
    g_autofree char *status = booking_status (booking);
    g_autofree char *kept = eva_test_sql (server->pg, "SELECT expires_at >= $2::timestamptz FROM bookings"
                                                      " WHERE id = $1::uuid", booking, expires, NULL);

    g_assert_true (g_str_equal (status, "held") || g_str_equal (status, "pending_payment"));
    g_assert_cmpstr (kept, ==, "t");
  }
  g_assert_cmpint (held_count (type), ==, 1);
  g_clear_pointer (&r, eva_test_response_free);

  /* The connection dropped three times: the same. */
  fail_next ("{\"path_prefix\":\"/v1/checkout/sessions\",\"mode\":\"close\",\"count\":3}");
  r = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_error (r, 503, "gateway_unavailable");
  g_clear_pointer (&r, eva_test_response_free);

  /* 429 then 500 then success: retried with backoff, one session. */
  fail_next ("{\"path_prefix\":\"/v1/checkout/sessions\",\"status\":429,\"count\":1,\"retry_after\":1}");
  fail_next ("{\"path_prefix\":\"/v1/checkout/sessions\",\"status\":500,\"count\":1}");
  r = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_status (r, 200);
  g_assert_nonnull (eva_test_json_string (r->json, "checkout_url"));
  g_clear_pointer (&r, eva_test_response_free);
  {
    g_autoptr(JsonNode) sessions = ctl ("GET", "/_standin/sessions", NULL);
    JsonArray *a = json_node_get_array (sessions);
    guint mine = 0;

    for (guint i = 0; i < json_array_get_length (a); i++)
      if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (a, i),
                                                    "client_reference_id"), booking) == 0)
        mine++;
    g_assert_cmpuint (mine, ==, 1);
  }
  {
    g_autoptr(JsonNode) req = last_request ("POST", "/v1/checkout/sessions");

    /* Every try of the same attempt carried the same key. */
    g_assert_cmpstr (eva_test_json_string (req, "idempotency_key"), ==, key);
  }
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM payments WHERE booking_id = $1::uuid",
                            booking), ==, 1);
  assert_invariant (server->pg);
}

static void
test_gateway_refuses (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "refused", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autoptr(EvaTestResponse) r = NULL;

  fail_next ("{\"path_prefix\":\"/v1/checkout/sessions\",\"status\":400,\"count\":1,"
             "\"type\":\"invalid_request_error\",\"code\":\"parameter_invalid_integer\","
             "\"message\":\"Invalid integer: abc\"}");
  r = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_error (r, 502, "gateway_error");
  g_assert_nonnull (strstr (eva_test_json_string (r->json, "error.message"), "Invalid integer"));
  {
    g_autofree char *status = booking_status (booking);

    g_assert_true (g_str_equal (status, "held") || g_str_equal (status, "pending_payment"));
  }
  assert_sql (server->pg, "SELECT status FROM payments WHERE booking_id = $1::uuid", booking, "failed");
  g_assert_cmpint (held_count (type), ==, 1);
  g_clear_pointer (&r, eva_test_response_free);
  /* The next attempt (a new key) works. */
  r = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_status (r, 200);
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Late payments and mismatches                                       */
/* ------------------------------------------------------------------ */

/* The buyer cancels while Stripe's page is open in another tab; Stripe
 * cannot be told (it is down for expiry calls); the last ticket is sold
 * to someone else; then the payment arrives: refunded, and mailed. */
static void
test_late_payment_refunded (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\",\"at_door\"]", 1, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "late", TRUE);
  g_autoptr(Buyer) c = make_buyer_on (server, "quick", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *session = card_checkout (b, booking);
  g_autofree char *cancel = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", booking);
  g_autofree char *fail = g_strdup_printf ("{\"path_prefix\":\"/v1/checkout/sessions/%s/expire\","
                                           "\"status\":503,\"count\":100000}", session);
  g_autofree char *other = NULL;
  g_autofree char *ev = NULL;
  g_autofree char *intent = NULL;
  g_autoptr(EvaTestResponse) r = NULL;

  fail_next (fail);
  r = http_full (server, NULL, "POST", cancel, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_clear_pointer (&r, eva_test_response_free);
  g_assert_cmpint (held_count (type), ==, 0);

  other = held (c, event, type, 1);
  r = checkout (c, other, "{\"method\":\"at_door\"}");
  eva_test_assert_status (r, 200);
  g_clear_pointer (&r, eva_test_response_free);
  g_assert_cmpint (sold (type), ==, 1);

  ev = pay (session, TRUE, NULL);
  {
    g_autofree char *status = booking_status (booking);

    g_assert_cmpstr (status, ==, "cancelled");
  }
  g_assert_cmpint (count_mail ("payment_refunded", booking), ==, 1);
  g_assert_cmpint (count_audit ("refund.automatic", booking), ==, 1);
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 0);
  /* The refund reaches Stripe (the sweeper sends it) and settles. */
  wait_sql (server, "SELECT status FROM refunds WHERE booking_id = $1::uuid", booking, "succeeded");
  intent = eva_test_sql (server->pg, "SELECT payment_intent FROM payments WHERE booking_id = $1::uuid",
                         booking, NULL);
  {
    g_autoptr(JsonNode) req = last_request ("POST", "/v1/refunds");

    g_assert_cmpstr (eva_test_json_string (req, "params.payment_intent"), ==, intent);
    g_assert_cmpstr (eva_test_json_string (req, "params.amount"), ==, "2500");
    g_assert_cmpstr (eva_test_json_string (req, "params.metadata.booking_id"), ==, booking);
  }
  /* Replays change nothing: one refund. */
  g_assert_cmpint (deliver (ev, "good", NULL), ==, 200);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1::uuid",
                            booking), ==, 1);
  g_assert_cmpint (count_mail ("payment_refunded", booking), ==, 1);
  g_assert_cmpint (sold (type), ==, 1);
  ctl_free ("POST", "/_standin/reset", NULL);
  point_webhooks_at (server);
  assert_invariant (server->pg);
}

/* The same, but the ticket is still there: the late payment confirms. */
static void
test_late_payment_confirmed (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 5, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "later", TRUE);
  g_autofree char *booking = held (b, event, type, 2);
  g_autofree char *session = card_checkout (b, booking);
  g_autofree char *cancel = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", booking);
  g_autofree char *fail = g_strdup_printf ("{\"path_prefix\":\"/v1/checkout/sessions/%s/expire\","
                                           "\"status\":503,\"count\":100000}", session);
  g_autofree char *ev = NULL;
  g_autoptr(EvaTestResponse) r = NULL;

  fail_next (fail);
  r = http_full (server, NULL, "POST", cancel, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  ev = pay (session, TRUE, NULL);
  {
    g_autofree char *status = booking_status (booking);

    g_assert_cmpstr (status, ==, "confirmed");
  }
  g_assert_cmpint (sold (type), ==, 2);
  g_assert_cmpint (count_audit ("payment.late_confirmed", booking), ==, 1);
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  g_assert_cmpint (count_mail ("booking_confirmed", booking), ==, 1);
  g_assert_cmpint (count_mail ("payment_refunded", booking), ==, 0);
  ctl_free ("POST", "/_standin/reset", NULL);
  point_webhooks_at (server);
  assert_invariant (server->pg);
}

static void
test_mismatch (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  const char *cases[] = { "\"amount_total\":100", "\"currency\":\"usd\"" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Buyer) b = make_buyer_on (server, "mismatch", TRUE);
      g_autofree char *booking = held (b, event, type, 1);
      g_autofree char *session = card_checkout (b, booking);
      g_autofree char *ev = pay (session, TRUE, cases[i]);
      g_autofree char *status = booking_status (booking);

      g_assert_cmpstr (status, ==, "pending_payment");
      g_assert_cmpint (count_audit ("payment.mismatch", booking), ==, 1);
      g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 0);
      assert_sql (server->pg, "SELECT flag FROM payments WHERE booking_id = $1::uuid", booking,
                  "amount_mismatch");
      /* Final: the sweeper does not come back to it, and the booking
       * lapses as an unpaid one (inventory back). */
      assert_sql (server->pg, "SELECT status FROM payments WHERE booking_id = $1::uuid", booking,
                  "failed");
      g_assert_cmpint (deliver (ev, "good", NULL), ==, 200);
      g_assert_cmpint (count_audit ("payment.mismatch", booking), ==, 1);
      g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                        " WHERE id = $1::uuid RETURNING id", booking, NULL));
      wait_sql (server, "SELECT status FROM bookings WHERE id = $1::uuid", booking, "expired");
    }
  g_assert_cmpint (held_count (type), ==, 0);
  g_assert_cmpint (sold (type), ==, 0);
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Reconciliation: a second server whose webhooks never arrive        */
/* ------------------------------------------------------------------ */

static void
test_reconciliation (void)
{
  g_autofree char *base = g_strdup_printf ("EVERATO_STRIPE_API_BASE=%s", eva_test_stripe_base_url (stripe));
  const char *env[] = {
    "EVERATO_STRIPE_SECRET_KEY=" SECRET_KEY, base,
    "EVERATO_STRIPE_WEBHOOK_SECRET=" WHSEC_NEW,
    "EVERATO_PAYMENT_RECONCILE_AFTER=1", NULL,
  };
  EvaTestServer *main_server = server;
  char *main_organizer = organizer;
  g_autoptr(EvaTestServer) lonely = eva_test_server_start (env);
  g_autofree char *type = NULL;
  g_autofree char *event = NULL;
  g_autofree char *booking = NULL;
  g_autofree char *session = NULL;
  g_autofree char *ev = NULL;
  g_autoptr(Buyer) b = NULL;

  ctl_free ("POST", "/_standin/config", "{\"webhook_url\":null}");
  server = lonely;
  organizer = eva_test_token_for_role (lonely, "organizer");
  event = paid_event ("[\"card\"]", 3, &type);
  b = make_buyer_on (lonely, "lost", TRUE);
  booking = held (b, event, type, 1);
  session = card_checkout (b, booking);
  ev = pay (session, FALSE, NULL);
  wait_sql (lonely, "SELECT status FROM bookings WHERE id = $1::uuid", booking, "confirmed");
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  assert_sql (lonely->pg, "SELECT count(*) FROM audit_log WHERE action = 'payment.paid'"
                          " AND target_id = $1 AND details->>'source' = 'reconciliation'", booking, "1");
  g_assert_cmpint (sold (type), ==, 1);
  assert_invariant (lonely->pg);

  /* A hold that lapses with its session open: expired at Stripe first. */
  {
    g_autoptr(Buyer) d = make_buyer_on (lonely, "slow", TRUE);
    g_autofree char *second = held (d, event, type, 2);
    g_autofree char *open = card_checkout (d, second);
    g_autofree char *path = g_strdup_printf ("/v1/checkout/sessions/%s/expire", open);

    g_free (eva_test_sql (lonely->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                      " WHERE id = $1::uuid RETURNING id", second, NULL));
    wait_sql (lonely, "SELECT status FROM bookings WHERE id = $1::uuid", second, "expired");
    g_assert_cmpuint (count_requests ("POST", path, NULL), >=, 1);
    {
      g_autoptr(JsonNode) sessions = ctl ("GET", "/_standin/sessions", NULL);
      JsonArray *a = json_node_get_array (sessions);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonObject *o = json_array_get_object_element (a, i);

          if (g_str_equal (json_object_get_string_member (o, "id"), open))
            g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "expired");
        }
    }
    g_assert_cmpint (held_count (type), ==, 0);
    assert_invariant (lonely->pg);
  }

  g_free (organizer);
  organizer = main_organizer;
  server = main_server;
  point_webhooks_at (server);
}

/* ------------------------------------------------------------------ */
/* Bank transfer                                                      */
/* ------------------------------------------------------------------ */

static void
test_bank_transfer (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"bank_transfer\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "transfer", TRUE);
  g_autofree char *booking = held (b, event, type, 2);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autoptr(EvaTestResponse) card = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *days = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *mark = NULL;

  card = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_error (card, 422, "method_not_offered");
  g_clear_pointer (&card, eva_test_response_free);
  card = checkout (b, booking, "{\"method\":\"at_door\"}");
  eva_test_assert_error (card, 422, "method_not_offered");

  r = checkout (b, booking, "{\"method\":\"bank_transfer\"}");
  eva_test_assert_status (r, 200);
  g_assert_false (eva_test_json_has (r->json, "checkout_url")
                  && eva_test_json_string (r->json, "checkout_url") != NULL);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "pending_payment");
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.payment_method"), ==, "bank_transfer");
  reference = g_strdup (eva_test_json_string (r->json, "booking.payment_reference"));
  g_assert_true (eva_payment_reference_check (reference, NULL));
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.transfer.reference"), ==, reference);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.transfer.details"), ==, TRANSFER);
  g_assert_cmpint (eva_test_json_int (r->json, "booking.transfer.amount"), ==, 5000);
  /* The event's default: seven days to pay. */
  days = eva_test_sql (server->pg, "SELECT round(extract(epoch FROM expires_at - now()) / 86400)"
                                   "  FROM bookings WHERE id = $1::uuid", booking, NULL);
  g_assert_cmpstr (days, ==, "7");
  g_assert_cmpint (count_mail ("transfer_instructions", booking), ==, 1);
  payload = eva_test_sql (server->pg, "SELECT o.payload->>'reference' FROM email_outbox o"
                                      " WHERE o.template = 'transfer_instructions'"
                                      " ORDER BY id DESC LIMIT 1", NULL);
  g_assert_cmpstr (payload, ==, reference);

  /* Asking again: the same reference, no second mail. */
  g_clear_pointer (&card, eva_test_response_free);
  card = checkout (b, booking, "{\"method\":\"bank_transfer\"}");
  eva_test_assert_status (card, 200);
  g_assert_cmpstr (eva_test_json_string (card->json, "booking.payment_reference"), ==, reference);
  g_assert_cmpint (count_mail ("transfer_instructions", booking), ==, 1);

  /* Two days before the deadline: one reminder. */
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET created_at = now() - interval '6 days',"
                                    " expires_at = now() + interval '1 day'"
                                    " WHERE id = $1::uuid RETURNING id", booking, NULL));
  wait_sql (server, "SELECT reminded_at IS NOT NULL FROM bookings WHERE id = $1::uuid", booking, "t");
  g_usleep (1500 * 1000);
  g_assert_cmpint (count_mail ("transfer_reminder", booking), ==, 1);

  /* The organizer sees the money arrive. */
  g_clear_pointer (&card, eva_test_response_free);
  card = mark_paid (booking, "{\"amount\":4999,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_error (card, 422, "amount_mismatch");
  mark = g_strdup_printf ("{\"amount\":5000,\"paid_on\":\"2026-11-30\",\"reference\":\"%s\"}", reference);
  g_clear_pointer (&card, eva_test_response_free);
  card = mark_paid (booking, mark);
  eva_test_assert_status (card, 200);
  g_assert_cmpstr (eva_test_json_string (card->json, "booking.status"), ==, "confirmed");
  g_assert_true (eva_test_json_bool (card->json, "booking.paid"));
  g_assert_cmpint (eva_test_json_int (card->json, "booking.amount_paid"), ==, 5000);
  g_assert_cmpint (sold (type), ==, 2);
  g_assert_cmpint (count_audit ("payment.marked_paid", booking), ==, 1);
  g_assert_cmpint (count_mail ("booking_confirmed", booking), ==, 1);
  g_clear_pointer (&card, eva_test_response_free);
  card = mark_paid (booking, mark);
  eva_test_assert_error (card, 409, "invalid_transition");
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  assert_invariant (server->pg);
}

/* Unpaid at the deadline: expired, inventory back. */
static void
test_bank_transfer_deadline (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"bank_transfer\",\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "deadline", TRUE);
  g_autofree char *booking = held (b, event, type, 3);
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", event);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autoptr(EvaTestResponse) patch = NULL;
  g_autofree char *days = NULL;

  /* The organizer's own details and a three-day deadline. */
  patch = admin ("PATCH", path, "{\"transfer_details\":\"Our own account\\nIBAN X\",\"transfer_days\":3}");
  eva_test_assert_status (patch, 200);
  g_assert_cmpint (eva_test_json_int (patch->json, "transfer_days"), ==, 3);
  r = checkout (b, booking, "{\"method\":\"bank_transfer\"}");
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.transfer.details"), ==, "Our own account\nIBAN X");
  days = eva_test_sql (server->pg, "SELECT round(extract(epoch FROM expires_at - now()) / 86400)"
                                   "  FROM bookings WHERE id = $1::uuid", booking, NULL);
  g_assert_cmpstr (days, ==, "3");
  g_assert_cmpint (held_count (type), ==, 3);

  g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                    " WHERE id = $1::uuid RETURNING id", booking, NULL));
  wait_sql (server, "SELECT status FROM bookings WHERE id = $1::uuid", booking, "expired");
  g_assert_cmpint (held_count (type), ==, 0);
  assert_sql (server->pg, "SELECT status FROM payments WHERE booking_id = $1::uuid", booking, "expired");

  /* Money that arrives after all: booked if the tickets are still there. */
  g_clear_pointer (&r, eva_test_response_free);
  r = mark_paid (booking, "{\"amount\":7500,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "confirmed");
  g_assert_cmpint (sold (type), ==, 3);
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Pay at the door                                                    */
/* ------------------------------------------------------------------ */

static void
test_at_door (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"at_door\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "door", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *list = g_strdup_printf ("/api/v1/admin/events/%s/bookings?status=awaiting_payment", event);
  g_autoptr(EvaTestResponse) r = checkout (b, booking, "{\"method\":\"at_door\"}");
  g_autoptr(EvaTestResponse) awaiting = NULL;
  g_autoptr(EvaTestResponse) paid = NULL;
  g_autoptr(EvaTestResponse) after = NULL;
  g_autofree char *unpaid = NULL;

  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "confirmed");
  g_assert_false (eva_test_json_bool (r->json, "booking.paid"));
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.payment_method"), ==, "at_door");
  g_assert_cmpint (sold (type), ==, 1);
  g_assert_cmpint (count_mail ("booking_confirmed", booking), ==, 1);
  unpaid = eva_test_sql (server->pg, "SELECT o.payload->>'unpaid' FROM email_outbox o"
                                     " WHERE o.template = 'booking_confirmed' ORDER BY id DESC LIMIT 1", NULL);
  g_assert_cmpstr (unpaid, ==, "yes");

  awaiting = admin ("GET", list, NULL);
  eva_test_assert_status (awaiting, 200);
  g_assert_cmpint (eva_test_json_int (awaiting->json, "total"), ==, 1);
  g_assert_cmpstr (eva_test_json_string (awaiting->json, "items.0.id"), ==, booking);

  paid = mark_paid (booking, "{\"amount\":2500,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_status (paid, 200);
  g_assert_cmpstr (eva_test_json_string (paid->json, "booking.status"), ==, "confirmed");
  g_assert_true (eva_test_json_bool (paid->json, "booking.paid"));
  g_assert_cmpstr (eva_test_json_string (paid->json, "booking.attendee.name"), ==, "door");
  after = admin ("GET", list, NULL);
  g_assert_cmpint (eva_test_json_int (after->json, "total"), ==, 0);
  /* Marking paid does not confirm (or mail) a second time. */
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  g_assert_cmpint (count_mail ("booking_confirmed", booking), ==, 1);
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Refunds                                                            */
/* ------------------------------------------------------------------ */

static void
test_refund_card (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "refund", TRUE);
  g_autofree char *booking = paid_booking (b, event, type, 2, NULL);
  g_autofree char *intent = eva_test_sql (server->pg, "SELECT payment_intent FROM payments"
                                                      " WHERE booking_id = $1::uuid", booking, NULL);
  g_autoptr(EvaTestResponse) part = NULL;
  g_autoptr(EvaTestResponse) rest = NULL;
  g_autoptr(EvaTestResponse) more = NULL;
  g_autoptr(JsonNode) req = NULL;

  part = refund (booking, "{\"amount\":1000,\"reason\":\"requested_by_customer\",\"note\":\"Sprained ankle\"}");
  eva_test_assert_status (part, 200);
  g_assert_cmpstr (eva_test_json_string (part->json, "refund.status"), ==, "succeeded");
  g_assert_cmpint (eva_test_json_int (part->json, "refund.amount"), ==, 1000);
  g_assert_cmpstr (eva_test_json_string (part->json, "booking.status"), ==, "confirmed");
  g_assert_cmpint (eva_test_json_int (part->json, "booking.amount_refunded"), ==, 1000);
  req = last_request ("POST", "/v1/refunds");
  g_assert_cmpstr (eva_test_json_string (req, "params.payment_intent"), ==, intent);
  g_assert_cmpstr (eva_test_json_string (req, "params.amount"), ==, "1000");
  g_assert_cmpstr (eva_test_json_string (req, "params.reason"), ==, "requested_by_customer");
  g_assert_cmpstr (eva_test_json_string (req, "params.metadata.note"), ==, "Sprained ankle");
  g_assert_true (g_str_has_prefix (eva_test_json_string (req, "idempotency_key"), "everato-refund-"));
  g_assert_cmpint (sold (type), ==, 2);

  /* The rest: refunded in full, inventory back. */
  rest = refund (booking, "{\"reason\":\"duplicate\"}");
  eva_test_assert_status (rest, 200);
  g_assert_cmpint (eva_test_json_int (rest->json, "refund.amount"), ==, 4000);
  g_assert_cmpstr (eva_test_json_string (rest->json, "booking.status"), ==, "refunded");
  g_assert_cmpint (eva_test_json_int (rest->json, "booking.amount_refunded"), ==, 5000);
  /* Like every admin reply, with who booked it. */
  g_assert_cmpstr (eva_test_json_string (rest->json, "booking.attendee.id"), ==, b->id);
  g_assert_nonnull (eva_test_json_string (rest->json, "booking.attendee.email"));
  g_assert_cmpint (sold (type), ==, 0);
  g_assert_cmpint (count_audit ("refund.requested", booking), ==, 2);
  /* The organizer's words are in our audit log (and Stripe's metadata). */
  assert_sql (server->pg, "SELECT count(*) FROM audit_log WHERE action = 'refund.requested'"
                          " AND target_id = $1 AND details->>'note' = 'Sprained ankle'", booking, "1");

  more = refund (booking, "{\"amount\":1}");
  eva_test_assert_error (more, 409, "not_refundable");
  assert_invariant (server->pg);
}

/* Stripe answers "pending" and settles later through its events. */
static void
test_refund_settles_later (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "pending", TRUE);
  g_autofree char *booking = paid_booking (b, event, type, 1, NULL);
  g_autoptr(EvaTestResponse) first = NULL;
  g_autoptr(EvaTestResponse) second = NULL;
  g_autofree char *stripe_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) settled = NULL;

  ctl_free ("POST", "/_standin/config", "{\"refund_status\":\"pending\"}");
  first = refund (booking, "{\"amount\":1000}");
  eva_test_assert_status (first, 200);
  g_assert_cmpstr (eva_test_json_string (first->json, "refund.status"), ==, "pending");
  stripe_id = eva_test_sql (server->pg, "SELECT provider_ref FROM refunds WHERE booking_id = $1::uuid",
                            booking, NULL);
  g_assert_nonnull (stripe_id);
  path = g_strdup_printf ("/_standin/refunds/%s/settle", stripe_id);
  settled = ctl ("POST", path, "{\"status\":\"failed\",\"deliver\":true}");
  g_assert_cmpint (eva_test_json_int (settled, "deliveries.0.status"), ==, 200);
  assert_sql (server->pg, "SELECT status FROM refunds WHERE provider_ref = $1", stripe_id, "failed");
  {
    g_autofree char *status = booking_status (booking);

    g_assert_cmpstr (status, ==, "confirmed");
  }
  /* A failed refund gives the amount back to refund again. */
  ctl_free ("POST", "/_standin/config", "{\"refund_status\":\"succeeded\"}");
  second = refund (booking, NULL);
  eva_test_assert_status (second, 200);
  g_assert_cmpint (eva_test_json_int (second->json, "refund.amount"), ==, 2500);
  g_assert_cmpstr (eva_test_json_string (second->json, "booking.status"), ==, "refunded");
  assert_invariant (server->pg);
}

static void
test_refund_offline (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"at_door\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "offline", TRUE);
  g_autofree char *booking = held (b, event, type, 2);
  g_autoptr(EvaTestResponse) r = checkout (b, booking, "{\"method\":\"at_door\"}");
  g_autoptr(EvaTestResponse) unpaid = NULL;
  g_autoptr(EvaTestResponse) paid = NULL;
  g_autoptr(EvaTestResponse) owed = NULL;
  g_autoptr(EvaTestResponse) back = NULL;

  eva_test_assert_status (r, 200);
  /* Nothing paid yet: nothing to refund. */
  unpaid = refund (booking, NULL);
  eva_test_assert_error (unpaid, 409, "not_refundable");
  paid = mark_paid (booking, "{\"amount\":5000,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_status (paid, 200);

  owed = refund (booking, "{\"amount\":2000,\"settled\":false,\"note\":\"Owed after the cancellation\"}");
  eva_test_assert_status (owed, 200);
  g_assert_cmpstr (eva_test_json_string (owed->json, "refund.status"), ==, "to_refund");
  back = refund (booking, "{\"amount\":3000}");
  eva_test_assert_status (back, 200);
  g_assert_cmpstr (eva_test_json_string (back->json, "refund.status"), ==, "recorded");
  g_assert_cmpstr (eva_test_json_string (back->json, "booking.status"), ==, "refunded");
  g_assert_cmpint (sold (type), ==, 0);
  /* Offline refunds never reach Stripe. */
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1::uuid"
                                        " AND provider_ref IS NOT NULL", booking), ==, 0);
  assert_invariant (server->pg);
}


/* A buyer who deleted their account still gets what they paid for; no
 * mail can go out, and nothing else stops because of it. */
static void
test_deleted_buyer (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\",\"bank_transfer\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "gone", TRUE);
  g_autoptr(Buyer) t = make_buyer_on (server, "gonetoo", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *transfer = held (t, event, type, 1);
  g_autofree char *session = card_checkout (b, booking);
  g_autoptr(EvaTestResponse) r = checkout (t, transfer, "{\"method\":\"bank_transfer\"}");
  g_autofree char *ev = NULL;

  eva_test_assert_status (r, 200);
  /* What deleting an account does to it (server/api/me.c). */
  g_free (eva_test_sql (server->pg, "UPDATE attendees SET status = 'deleted',"
                                    " email = 'deleted-' || id || '@invalid', name = ''"
                                    " WHERE id = ANY (ARRAY[$1, $2]::uuid[]) RETURNING id",
                        b->id, t->id, NULL));
  ev = pay (session, TRUE, NULL);
  {
    g_autofree char *status = booking_status (booking);

    g_assert_cmpstr (status, ==, "confirmed");
  }
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 1);
  /* Its transfer reminder comes due: the sweeper goes on (holds expire). */
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET created_at = now() - interval '6 days',"
                                    " expires_at = now() + interval '1 day'"
                                    " WHERE id = $1::uuid RETURNING id", transfer, NULL));
  wait_sql (server, "SELECT reminded_at IS NOT NULL FROM bookings WHERE id = $1::uuid", transfer, "t");
  {
    g_autoptr(Buyer) c = make_buyer_on (server, "meanwhile", TRUE);
    g_autofree char *lapsing = held (c, event, type, 1);

    g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                      " WHERE id = $1::uuid RETURNING id", lapsing, NULL));
    wait_sql (server, "SELECT status FROM bookings WHERE id = $1::uuid", lapsing, "expired");
  }
  assert_invariant (server->pg);
}

/* A refund retried with its Idempotency-Key is the same refund. */
static void
test_refund_idempotent (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "twice", TRUE);
  g_autofree char *booking = paid_booking (b, event, type, 2, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", booking);
  g_autofree char *long_key = g_strnfill (256, 'k');
  g_autoptr(EvaTestResponse) first = NULL;
  g_autoptr(EvaTestResponse) again = NULL;
  g_autoptr(EvaTestResponse) other = NULL;
  g_autoptr(EvaTestResponse) bad = NULL;
  g_autoptr(EvaTestResponse) outage = NULL;
  g_autoptr(EvaTestResponse) retried = NULL;
  g_autofree char *intent = eva_test_sql (server->pg, "SELECT payment_intent FROM payments"
                                                      " WHERE booking_id = $1::uuid", booking, NULL);

  first = http_full (server, NULL, "POST", path, NULL, "refund-1", NULL, organizer, "{\"amount\":500}");
  eva_test_assert_status (first, 200);
  again = http_full (server, NULL, "POST", path, NULL, "refund-1", NULL, organizer, "{\"amount\":500}");
  eva_test_assert_status (again, 200);
  g_assert_cmpstr (eva_test_json_string (again->json, "refund.id"), ==,
                   eva_test_json_string (first->json, "refund.id"));
  other = http_full (server, NULL, "POST", path, NULL, "refund-1", NULL, organizer, "{\"amount\":700}");
  eva_test_assert_error (other, 409, "idempotency_key_reused");
  bad = http_full (server, NULL, "POST", path, NULL, long_key, NULL, organizer, "{\"amount\":700}");
  eva_test_assert_error (bad, 400, NULL);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1::uuid",
                            booking), ==, 1);

  /* Stripe down on the first try: the retry with the key sends that one. */
  fail_next ("{\"path_prefix\":\"/v1/refunds\",\"status\":500,\"count\":3}");
  outage = http_full (server, NULL, "POST", path, NULL, "refund-2", NULL, organizer, "{\"amount\":300}");
  eva_test_assert_error (outage, 503, "gateway_unavailable");
  retried = http_full (server, NULL, "POST", path, NULL, "refund-2", NULL, organizer, "{\"amount\":300}");
  eva_test_assert_status (retried, 200);
  g_assert_cmpstr (eva_test_json_string (retried->json, "refund.status"), ==, "succeeded");
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1::uuid",
                            booking), ==, 2);
  g_assert_cmpint (eva_test_json_int (retried->json, "booking.amount_refunded"), ==, 800);
  {
    /* Stripe holds exactly 800 refunded on that payment. */
    g_autofree char *ipath = g_strdup_printf ("/_standin/refunds");
    g_autoptr(JsonNode) all = ctl ("GET", ipath, NULL);
    JsonArray *a = json_node_get_array (all);
    gint64 total = 0;

    for (guint i = 0; i < json_array_get_length (a); i++)
      {
        JsonObject *o = json_array_get_object_element (a, i);

        if (g_strcmp0 (json_object_get_string_member (o, "payment_intent"), intent) == 0
            && g_strcmp0 (json_object_get_string_member (o, "status"), "succeeded") == 0)
          total += json_object_get_int_member (o, "amount");
      }
    g_assert_cmpint (total, ==, 800);
  }
  assert_invariant (server->pg);
}

/* Two partial refunds that settle together still make the booking refunded. */
typedef struct
{
  const char *refund;
  gint64      status;
} Settle;

static gpointer
settle_thread (gpointer data)
{
  Settle *st = data;
  g_autofree char *path = g_strdup_printf ("/_standin/refunds/%s/settle", st->refund);
  g_autoptr(JsonNode) out = ctl ("POST", path, "{\"status\":\"succeeded\",\"deliver\":true}");

  st->status = eva_test_json_int (out, "deliveries.0.status");
  return NULL;
}

static void
test_refunds_settle_together (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 10, &type);

  ctl_free ("POST", "/_standin/config", "{\"refund_status\":\"pending\"}");
  for (int round = 0; round < 3; round++)
    {
      g_autoptr(Buyer) b = make_buyer_on (server, "halves", TRUE);
      g_autofree char *booking = paid_booking (b, event, type, 2, NULL);
      g_autoptr(EvaTestResponse) one = refund (booking, "{\"amount\":2500}");
      g_autoptr(EvaTestResponse) two = refund (booking, "{\"amount\":2500}");
      g_autofree char *ref1 = NULL;
      g_autofree char *ref2 = NULL;
      Settle st[2];
      GThread *threads[2];

      eva_test_assert_status (one, 200);
      eva_test_assert_status (two, 200);
      ref1 = eva_test_sql (server->pg, "SELECT provider_ref FROM refunds WHERE id = $1::uuid",
                           eva_test_json_string (one->json, "refund.id"), NULL);
      ref2 = eva_test_sql (server->pg, "SELECT provider_ref FROM refunds WHERE id = $1::uuid",
                           eva_test_json_string (two->json, "refund.id"), NULL);
      st[0].refund = ref1;
      st[1].refund = ref2;
      for (int i = 0; i < 2; i++)
        threads[i] = g_thread_new ("settle", settle_thread, &st[i]);
      for (int i = 0; i < 2; i++)
        {
          g_thread_join (threads[i]);
          g_assert_cmpint (st[i].status, ==, 200);
        }
      {
        g_autofree char *status = booking_status (booking);

        g_assert_cmpstr (status, ==, "refunded");
      }
    }
  ctl_free ("POST", "/_standin/config", "{\"refund_status\":\"succeeded\"}");
  g_assert_cmpint (sold (type), ==, 0);
  assert_invariant (server->pg);
}

/* No money for a cancelled event. */
static void
test_cancelled_event (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\",\"at_door\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "toolate", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/cancel", event);
  g_autoptr(EvaTestResponse) cancel = admin ("POST", path, NULL);
  g_autoptr(EvaTestResponse) r = NULL;

  eva_test_assert_status (cancel, 200);
  r = checkout (b, booking, "{\"method\":\"at_door\"}");
  g_assert_cmpuint (r->status, ==, 409);
  g_assert_cmpint (count_audit ("booking.confirmed", booking), ==, 0);
  g_assert_cmpuint (count_requests ("POST", "/v1/checkout/sessions", booking), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Bad input and roles                                                */
/* ------------------------------------------------------------------ */

static void
test_bad_input (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\",\"at_door\"]", 10, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "badin", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "stranger", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  g_autofree char *paid = paid_booking (b, event, type, 1, NULL);
  g_autofree char *scanner = eva_test_token_for_role (server, "door_staff");
  const char *bad_checkout[] = {
    "", "not json", "[]", "{}", "{\"method\":null}", "{\"method\":1}", "{\"method\":\"cash\"}",
    "{\"method\":\"CARD\"}", "{\"method\":\"card\",\"extra\":1}",
  };
  const char *bad_refund[] = {
    "not json", "{\"amount\":0}", "{\"amount\":-5}", "{\"amount\":\"10\"}", "{\"amount\":1.5}",
    "{\"amount\":99999999999999999999}", "{\"reason\":\"bored\"}", "{\"reason\":7}",
    "{\"unknown\":true}", "{\"settled\":\"yes\"}",
  };
  const char *bad_mark[] = {
    "", "{}", "{\"amount\":2500}", "{\"paid_on\":\"2026-11-30\"}",
    "{\"amount\":2500,\"paid_on\":\"yesterday\"}", "{\"amount\":2500,\"paid_on\":\"2030-02-30\"}",
    "{\"amount\":-1,\"paid_on\":\"2026-11-30\"}", "{\"amount\":2500,\"paid_on\":\"2026-11-30\",\"x\":1}",
  };
  g_autofree char *long_note = NULL;
  g_autofree char *checkout_path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);
  g_autofree char *refund_path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", paid);
  g_autofree char *mark_path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", booking);
  EvaTestResponse *r;

  for (guint i = 0; i < G_N_ELEMENTS (bad_checkout); i++)
    {
      r = checkout (b, booking, bad_checkout[i]);
      if (r->status != 400)
        g_error ("checkout %s: %u %s", bad_checkout[i], r->status, r->body);
      eva_test_assert_error (r, 400, NULL);
      g_clear_pointer (&r, eva_test_response_free);
    }
  {
    g_autofree char *status = booking_status (booking);

    g_assert_cmpstr (status, ==, "held");
  }
  /* Someone else's booking, an unknown one, no session, no CSRF token. */
  r = checkout (other, booking, "{\"method\":\"card\"}");
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);
  r = checkout (b, "00000000-0000-4000-8000-000000000000", "{\"method\":\"card\"}");
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);
  r = checkout (b, "nope", "{\"method\":\"card\"}");
  g_assert_cmpuint (r->status, ==, 404);
  g_clear_pointer (&r, eva_test_response_free);
  r = http_full (server, NULL, "POST", checkout_path, NULL, NULL, NULL, NULL, "{\"method\":\"card\"}");
  g_assert_cmpuint (r->status, ==, 401);
  g_clear_pointer (&r, eva_test_response_free);
  {
    Buyer nocsrf = { b->id, b->cookie, (char *) "wrong-token" };

    r = http_full (server, NULL, "POST", checkout_path, &nocsrf, NULL, NULL, NULL, "{\"method\":\"card\"}");
    eva_test_assert_error (r, 403, NULL);
    g_clear_pointer (&r, eva_test_response_free);
  }
  /* Staff tokens do not pay for attendees. */
  r = http_full (server, NULL, "POST", checkout_path, NULL, NULL, NULL, organizer, "{\"method\":\"card\"}");
  g_assert_cmpuint (r->status, ==, 401);
  g_clear_pointer (&r, eva_test_response_free);

  for (guint i = 0; i < G_N_ELEMENTS (bad_refund); i++)
    {
      r = refund (paid, bad_refund[i]);
      if (r->status != 400 && r->status != 422)
        g_error ("refund %s: %u %s", bad_refund[i], r->status, r->body);
      g_clear_pointer (&r, eva_test_response_free);
    }
  {
    g_autofree char *n = g_strnfill (501, 'n');

    long_note = g_strdup_printf ("{\"note\":\"%s\"}", n);
  }
  r = refund (paid, long_note);
  g_assert_cmpuint (r->status / 100, ==, 4);
  g_clear_pointer (&r, eva_test_response_free);
  r = refund (paid, "{\"amount\":2501}");
  eva_test_assert_error (r, 422, "validation_failed");
  g_clear_pointer (&r, eva_test_response_free);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1::uuid", paid), ==, 0);
  r = refund ("00000000-0000-4000-8000-000000000000", NULL);
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);
  r = refund (booking, NULL);
  eva_test_assert_error (r, 409, "not_refundable");
  g_clear_pointer (&r, eva_test_response_free);

  for (guint i = 0; i < G_N_ELEMENTS (bad_mark); i++)
    {
      r = mark_paid (booking, bad_mark[i]);
      if (r->status != 400 && r->status != 422)
        g_error ("mark-paid %s: %u %s", bad_mark[i], r->status, r->body);
      g_clear_pointer (&r, eva_test_response_free);
    }
  /* A card booking is not marked paid by hand. */
  r = mark_paid (paid, "{\"amount\":2500,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_error (r, 409, "invalid_transition");
  g_clear_pointer (&r, eva_test_response_free);

  /* Roles: a scanner and an attendee may do neither. */
  r = http_full (server, NULL, "POST", refund_path, NULL, NULL, NULL, scanner, "{}");
  eva_test_assert_error (r, 403, NULL);
  g_clear_pointer (&r, eva_test_response_free);
  r = http_full (server, NULL, "POST", mark_path, NULL, NULL, NULL, scanner,
                 "{\"amount\":2500,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_error (r, 403, NULL);
  g_clear_pointer (&r, eva_test_response_free);
  r = http_full (server, NULL, "POST", refund_path, b, NULL, NULL, NULL, "{}");
  g_assert_cmpuint (r->status, ==, 401);
  g_clear_pointer (&r, eva_test_response_free);
  r = http_full (server, NULL, "POST", refund_path, NULL, NULL, NULL, NULL, "{}");
  g_assert_cmpuint (r->status, ==, 401);
  g_clear_pointer (&r, eva_test_response_free);

  {
    g_autofree char *status = booking_status (paid);

    g_assert_cmpstr (status, ==, "confirmed");
  }
  assert_invariant (server->pg);
}

/* Public events show what is offered now; admin reads show the setting. */
static void
test_methods_offered (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\",\"bank_transfer\",\"at_door\"]", 10, &type);
  g_autofree char *path = g_strdup_printf ("/api/v1/public/events/%s", event);
  g_autofree char *admin_path = g_strdup_printf ("/api/v1/admin/events/%s", event);
  g_autoptr(EvaTestResponse) pub = eva_test_call (server, "GET", path, NULL, NULL);
  g_autoptr(EvaTestResponse) bad = NULL;

  eva_test_assert_status (pub, 200);
  g_assert_cmpstr (eva_test_json_string (pub->json, "payment_methods.0"), ==, "at_door");
  g_assert_cmpstr (eva_test_json_string (pub->json, "payment_methods.1"), ==, "bank_transfer");
  g_assert_cmpstr (eva_test_json_string (pub->json, "payment_methods.2"), ==, "card");

  bad = admin ("PATCH", admin_path, "{\"payment_methods\":[\"card\",\"card\"]}");
  eva_test_assert_error (bad, 400, NULL);
  g_clear_pointer (&bad, eva_test_response_free);
  bad = admin ("PATCH", admin_path, "{\"payment_methods\":[\"cash\"]}");
  eva_test_assert_error (bad, 400, NULL);
  g_clear_pointer (&bad, eva_test_response_free);
  bad = admin ("PATCH", admin_path, "{\"transfer_days\":0}");
  eva_test_assert_error (bad, 400, NULL);
  g_clear_pointer (&bad, eva_test_response_free);
  bad = admin ("PATCH", admin_path, "{\"transfer_days\":61}");
  eva_test_assert_error (bad, 400, NULL);
}

/* A server without Stripe or transfer details offers neither. */
static void
test_methods_without_gateway (void)
{
  g_autofree char *dbname = g_strdup (server->dbname);
  g_autoptr(EvaTestServer) plain = eva_test_server_start_on (dbname, NULL);
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\",\"bank_transfer\",\"at_door\"]", 10, &type);
  g_autofree char *path = g_strdup_printf ("/api/v1/public/events/%s", event);
  g_autoptr(EvaTestResponse) pub = eva_test_call (plain, "GET", path, NULL, NULL);
  g_autoptr(Buyer) b = make_buyer_on (server, "nogateway", TRUE);
  g_autofree char *booking = held (b, event, type, 1);
  EvaTestServer *main_server = server;
  g_autoptr(EvaTestResponse) r = NULL;

  eva_test_assert_status (pub, 200);
  g_assert_cmpint (json_array_get_length (json_node_get_array (eva_test_json_get (pub->json, "payment_methods"))), ==, 1);
  g_assert_cmpstr (eva_test_json_string (pub->json, "payment_methods.0"), ==, "at_door");

  server = plain;
  r = checkout (b, booking, "{\"method\":\"card\"}");
  eva_test_assert_error (r, 422, "method_not_offered");
  g_clear_pointer (&r, eva_test_response_free);
  r = checkout (b, booking, "{\"method\":\"bank_transfer\"}");
  eva_test_assert_error (r, 422, "method_not_offered");
  server = main_server;
}

int
main (int    argc,
      char **argv)
{
  const char *secrets[] = { WHSEC_NEW, NULL };
  g_autofree char *base = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  stripe = eva_test_stripe_start (SECRET_KEY, secrets);
  base = g_strdup_printf ("EVERATO_STRIPE_API_BASE=%s", eva_test_stripe_base_url (stripe));
  {
    const char *env[] = {
      "EVERATO_STRIPE_SECRET_KEY=" SECRET_KEY, base,
      "EVERATO_STRIPE_WEBHOOK_SECRET=" WHSEC_NEW "," WHSEC_OLD,
      "EVERATO_TRANSFER_DETAILS=" TRANSFER, NULL,
    };

    server = eva_test_server_start (env);
  }
  organizer = eva_test_token_for_role (server, "organizer");
  point_webhooks_at (server);

  g_test_add_func ("/payments/card/happy", test_card_happy);
  g_test_add_func ("/payments/card/return-page", test_card_return_page);
  g_test_add_func ("/payments/webhook/replay-race", test_webhook_replay_race);
  g_test_add_func ("/payments/webhook/signatures", test_webhook_signatures);
  g_test_add_func ("/payments/gateway/outage", test_gateway_outage);
  g_test_add_func ("/payments/gateway/refuses", test_gateway_refuses);
  g_test_add_func ("/payments/late/refunded", test_late_payment_refunded);
  g_test_add_func ("/payments/late/confirmed", test_late_payment_confirmed);
  g_test_add_func ("/payments/mismatch", test_mismatch);
  g_test_add_func ("/payments/transfer/paid", test_bank_transfer);
  g_test_add_func ("/payments/transfer/deadline", test_bank_transfer_deadline);
  g_test_add_func ("/payments/at-door", test_at_door);
  g_test_add_func ("/payments/refund/card", test_refund_card);
  g_test_add_func ("/payments/refund/settles-later", test_refund_settles_later);
  g_test_add_func ("/payments/refund/offline", test_refund_offline);
  g_test_add_func ("/payments/refund/idempotent", test_refund_idempotent);
  g_test_add_func ("/payments/refund/settle-together", test_refunds_settle_together);
  g_test_add_func ("/payments/deleted-buyer", test_deleted_buyer);
  g_test_add_func ("/payments/cancelled-event", test_cancelled_event);
  g_test_add_func ("/payments/bad-input", test_bad_input);
  g_test_add_func ("/payments/methods/offered", test_methods_offered);
  g_test_add_func ("/payments/methods/without-gateway", test_methods_without_gateway);
  g_test_add_func ("/payments/reconciliation", test_reconciliation);

  ret = g_test_run ();
  g_free (organizer);
  eva_test_server_free (server);
  eva_test_stripe_stop (stripe);
  return ret;
}
