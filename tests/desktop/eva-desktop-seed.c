/* eva-desktop-seed.c: bookings made the way attendees make them
 *
 * An attendee with a signed-in session is written to the database (as the
 * integration tests' fixtures do), then books through the public API:
 * POST /api/v1/bookings with the session cookie, the CSRF token and an
 * Idempotency-Key, so the server holds inventory and coupon uses itself.
 * eva_desktop_seed_checkout_booking() then picks how to pay, with the same
 * session (POST /api/v1/me/bookings/{id}/checkout, docs/PAYMENTS.md).
 *
 * Cards: eva_desktop_seed_start_paying_server() starts the Stripe stand-in
 * (tests/stripe/stripe-standin.py) and a server that talks to it and gets
 * its signed webhooks; eva_desktop_seed_card_booking() checks out by card
 * and pays the Checkout session at the stand-in, which tells the server
 * (checkout.session.completed), as Stripe would.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "eva-desktop-seed.h"

static char *
hex (const guint8 *bytes,
     gsize         len)
{
  GString *out = g_string_sized_new (len * 2);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, "%02x", bytes[i]);
  return g_string_free (out, FALSE);
}

static JsonNode *
send_json (EvaTestServer *server,
           const char    *path,
           const char    *cookie,
           const char    *csrf,
           const char    *body,
           guint          expected)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autofree char *cookie_header = g_strconcat ("everato_session=", cookie, NULL);
  g_autofree char *key = g_uuid_string_random ();
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  JsonNode *node;

  soup_message_headers_replace (headers, "Cookie", cookie_header);
  soup_message_headers_replace (headers, "X-CSRF-Token", csrf);
  soup_message_headers_replace (headers, "Idempotency-Key", key);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  answer = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (msg) != expected)
    g_error ("POST %s failed: %u %.*s", path, soup_message_get_status (msg),
             (int) g_bytes_get_size (answer), (const char *) g_bytes_get_data (answer, NULL));
  node = json_from_string (g_bytes_get_data (answer, NULL), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return node;
}

static JsonNode *checkout_booking (EvaTestServer  *server,
                                   const char     *event_id,
                                   const char     *ticket_type_id,
                                   int             quantity,
                                   const char     *coupon,
                                   const char     *name,
                                   const char     *email,
                                   const char     *method,
                                   char          **checkout_url,
                                   char          **cookie_out);

/* GET @path as the attendee of @cookie; asserts 200. */
static JsonNode *
get_json (EvaTestServer *server,
          const char    *path,
          const char    *cookie)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autofree char *cookie_header = g_strconcat ("everato_session=", cookie, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", cookie_header);
  answer = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (msg) != 200)
    g_error ("GET %s failed: %u %.*s", path, soup_message_get_status (msg),
             (int) g_bytes_get_size (answer), (const char *) g_bytes_get_data (answer, NULL));
  node = json_from_string (g_bytes_get_data (answer, NULL), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return node;
}

/**
 * eva_desktop_seed_checkout_booking:
 * @coupon: (nullable): a coupon code
 * @method: (nullable): "card", "bank_transfer" or "at_door": how the
 *   attendee pays, right after booking; %NULL leaves the booking held
 *
 * Returns: (transfer full): the booking as the server last answered
 */
JsonNode *
eva_desktop_seed_checkout_booking (EvaTestServer *server,
                                   const char    *event_id,
                                   const char    *ticket_type_id,
                                   int            quantity,
                                   const char    *coupon,
                                   const char    *name,
                                   const char    *email,
                                   const char    *method)
{
  return checkout_booking (server, event_id, ticket_type_id, quantity, coupon, name, email, method,
                           NULL, NULL);
}

/* Books and checks out; the checkout's "checkout_url" (card) goes to
 * @checkout_url, the attendee's session cookie to @cookie_out. */
static JsonNode *
checkout_booking (EvaTestServer  *server,
                  const char     *event_id,
                  const char     *ticket_type_id,
                  int             quantity,
                  const char     *coupon,
                  const char     *name,
                  const char     *email,
                  const char     *method,
                  char          **checkout_url,
                  char          **cookie_out)
{
  g_autofree char *attendee = NULL;
  g_autofree char *cookie = eva_random_token (32);
  g_autofree char *csrf = eva_random_token (32);
  g_autofree char *hash_hex = NULL;
  g_autofree char *session = NULL;
  g_autofree char *coupon_json = coupon != NULL ? g_strdup_printf (",\"coupon_code\":\"%s\"", coupon)
                                                : g_strdup ("");
  g_autofree char *body = g_strdup_printf (
    "{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":%d}]%s}",
    event_id, ticket_type_id, quantity, coupon_json);
  guint8 hash[EVA_TOKEN_HASH_BYTES];
  g_autoptr(JsonNode) booked = NULL;
  g_autofree char *path = NULL;
  g_autofree char *checkout = NULL;
  JsonNode *answer;
  JsonObject *root;

  attendee = eva_test_sql (server->pg,
                           "INSERT INTO attendees (email, name, status, email_verified_at)"
                           " VALUES ($1, $2, 'active', now()) RETURNING id",
                           email, name, NULL);
  g_assert_nonnull (attendee);
  eva_token_hash (cookie, hash);
  hash_hex = hex (hash, sizeof hash);
  session = eva_test_sql (server->pg,
                          "INSERT INTO attendee_sessions (attendee_id, token_hash, csrf_token,"
                          " idle_expires_at, expires_at) VALUES ($1::uuid, decode($2, 'hex'), $3,"
                          " now() + interval '1 day', now() + interval '1 day') RETURNING id",
                          attendee, hash_hex, csrf, NULL);
  g_assert_nonnull (session);

  booked = send_json (server, "/api/v1/bookings", cookie, csrf, body, 201);
  if (cookie_out != NULL)
    *cookie_out = g_strdup (cookie);
  if (method == NULL)
    return g_steal_pointer (&booked);

  path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout",
                          json_object_get_string_member (json_node_get_object (booked), "id"));
  checkout = g_strdup_printf ("{\"method\":\"%s\"}", method);
  answer = send_json (server, path, cookie, csrf, checkout, 200);
  root = json_node_get_object (answer);
  if (checkout_url != NULL)
    *checkout_url = g_strdup (json_object_get_string_member_with_default (root, "checkout_url", NULL));
  if (json_object_has_member (root, "booking"))
    {
      JsonNode *booking = json_node_copy (json_object_get_member (root, "booking"));

      json_node_unref (answer);
      return booking;
    }
  return answer;
}

/**
 * eva_desktop_seed_booking:
 * @coupon: (nullable): a coupon code
 *
 * Returns: (transfer full): the booking as the server answered (201)
 */
JsonNode *
eva_desktop_seed_booking (EvaTestServer *server,
                          const char    *event_id,
                          const char    *ticket_type_id,
                          int            quantity,
                          const char    *coupon,
                          const char    *name,
                          const char    *email)
{
  return eva_desktop_seed_checkout_booking (server, event_id, ticket_type_id, quantity, coupon,
                                            name, email, NULL);
}

/* Confirms a held booking straight in the database: its tickets moved
 * from held to sold, but no payment on record ("paid" stays false, so it
 * counts as awaiting payment). For tests of statuses, not of money;
 * eva_desktop_seed_card_booking() pays through the API as a buyer does. */
void
eva_desktop_seed_confirm (EvaTestServer *server,
                          const char    *booking_id)
{
  g_free (eva_test_sql (server->pg,
                        "WITH b AS (UPDATE bookings SET status = 'confirmed', confirmed_at = now(),"
                        "                              updated_at = now()"
                        "            WHERE id = $1::uuid AND status = 'held' RETURNING id)"
                        " UPDATE ticket_types t SET held = t.held - i.quantity, sold = t.sold + i.quantity"
                        "   FROM booking_items i JOIN b ON b.id = i.booking_id"
                        "  WHERE t.id = i.ticket_type_id RETURNING t.id",
                        booking_id, NULL));
}

/* ------------------------------------------------------------------ */
/* Cards, through the Stripe stand-in                                 */
/* ------------------------------------------------------------------ */

#define STRIPE_SECRET_KEY     "sk_test_everato_desktop"
#define STRIPE_WEBHOOK_SECRET "whsec_desktop_3c9a1f7e"

static JsonNode *
stripe_control (EvaTestStripe *stripe,
                const char    *path,
                const char    *body)
{
  guint status = 0;
  JsonNode *node = eva_test_stripe_control (stripe, "POST", path, body, &status);

  if (status != 200)
    g_error ("Stripe stand-in POST %s: %u", path, status);
  return node;
}

/**
 * eva_desktop_seed_start_paying_server:
 * @stripe_out: (out): the Stripe stand-in the server talks to; stop it
 *   with eva_test_stripe_stop() after the server
 *
 * A server that takes cards (through the stand-in, whose signed webhooks
 * it gets) and has transfer details of its own.
 */
EvaTestServer *
eva_desktop_seed_start_paying_server (EvaTestStripe **stripe_out)
{
  const char *secrets[] = { STRIPE_WEBHOOK_SECRET, NULL };
  EvaTestStripe *stripe = eva_test_stripe_start (STRIPE_SECRET_KEY, secrets);
  g_autofree char *base = g_strdup_printf ("EVERATO_STRIPE_API_BASE=%s", eva_test_stripe_base_url (stripe));
  const char *env[] = {
    "EVERATO_STRIPE_SECRET_KEY=" STRIPE_SECRET_KEY, base,
    "EVERATO_STRIPE_WEBHOOK_SECRET=" STRIPE_WEBHOOK_SECRET,
    "EVERATO_TRANSFER_DETAILS=Everato Events GmbH, IBAN DE89 3704 0044 0532 0130 00", NULL,
  };
  EvaTestServer *server = eva_test_server_start (env);
  g_autofree char *config =
    g_strdup_printf ("{\"webhook_url\":\"%s/api/v1/payments/stripe/webhook\","
                     "\"webhook_secrets\":[\"%s\"],\"auto_deliver\":true}",
                     server->base_url, STRIPE_WEBHOOK_SECRET);
  JsonNode *answer = stripe_control (stripe, "/_standin/config", config);

  if (answer != NULL)
    json_node_unref (answer);
  *stripe_out = stripe;
  return server;
}

/**
 * eva_desktop_seed_card_booking:
 * @coupon: (nullable): a coupon code
 *
 * Books, checks out by card and pays at the stand-in, which sends the
 * signed checkout.session.completed to the server: the booking is
 * confirmed and paid when this returns.
 *
 * Returns: (transfer full): the booking as the attendee now reads it
 */
JsonNode *
eva_desktop_seed_card_booking (EvaTestServer *server,
                               EvaTestStripe *stripe,
                               const char    *event_id,
                               const char    *ticket_type_id,
                               int            quantity,
                               const char    *coupon,
                               const char    *name,
                               const char    *email)
{
  g_autofree char *url = NULL;
  g_autofree char *cookie = NULL;
  g_autoptr(JsonNode) pending = checkout_booking (server, event_id, ticket_type_id, quantity, coupon,
                                                  name, email, "card", &url, &cookie);
  g_autofree char *pay = NULL;
  g_autoptr(JsonNode) paid = NULL;
  const char *id = json_object_get_string_member (json_node_get_object (pending), "id");
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s", id);
  JsonNode *booking;

  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pending), "status"), ==,
                   "pending_payment");
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, eva_test_stripe_base_url (stripe)));
  pay = g_strdup_printf ("/_standin/sessions/%s/pay", strrchr (url, '/') + 1);
  paid = stripe_control (stripe, pay, "{\"deliver\":true}");
  g_assert_cmpstr (eva_test_json_string (paid, "events.0.type"), ==, "checkout.session.completed");
  g_assert_cmpint (eva_test_json_int (paid, "deliveries.0.status"), ==, 200);

  /* The webhook was answered: the booking is paid now. */
  booking = get_json (server, path, cookie);
  g_assert_cmpstr (eva_test_json_string (booking, "status"), ==, "confirmed");
  g_assert_true (eva_test_json_bool (booking, "paid"));
  return booking;
}

/* How the stand-in answers the refunds asked from now on: "succeeded" at
 * once, or "pending" until eva_desktop_seed_settle_refund(). */
void
eva_desktop_seed_refund_status (EvaTestStripe *stripe,
                                const char    *status)
{
  g_autofree char *body = g_strdup_printf ("{\"refund_status\":\"%s\"}", status);
  JsonNode *answer = stripe_control (stripe, "/_standin/config", body);

  if (answer != NULL)
    json_node_unref (answer);
}

/* Settles the card refund @refund_id (ours, as the booking lists it) at
 * the stand-in, "succeeded" or "failed", and delivers Stripe's event. */
void
eva_desktop_seed_settle_refund (EvaTestServer *server,
                                EvaTestStripe *stripe,
                                const char    *refund_id,
                                const char    *status)
{
  g_autofree char *provider = eva_test_sql (server->pg, "SELECT provider_ref FROM refunds WHERE id = $1::uuid",
                                            refund_id, NULL);
  g_autofree char *path = NULL;
  g_autofree char *body = g_strdup_printf ("{\"status\":\"%s\",\"deliver\":true}", status);
  g_autoptr(JsonNode) settled = NULL;

  g_assert_nonnull (provider);
  path = g_strdup_printf ("/_standin/refunds/%s/settle", provider);
  settled = stripe_control (stripe, path, body);
  g_assert_cmpint (eva_test_json_int (settled, "deliveries.0.status"), ==, 200);
}
