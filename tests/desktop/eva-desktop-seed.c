/* eva-desktop-seed.c: bookings made the way attendees make them
 *
 * An attendee with a signed-in session is written to the database (as the
 * integration tests' fixtures do), then books through the public API:
 * POST /api/v1/bookings with the session cookie, the CSRF token and an
 * Idempotency-Key, so the server holds inventory and coupon uses itself.
 * eva_desktop_seed_checkout_booking() then picks how to pay, with the same
 * session (POST /api/v1/me/bookings/{id}/checkout, docs/PAYMENTS.md).
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
  if (method == NULL)
    return g_steal_pointer (&booked);

  path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout",
                          json_object_get_string_member (json_node_get_object (booked), "id"));
  checkout = g_strdup_printf ("{\"method\":\"%s\"}", method);
  answer = send_json (server, path, cookie, csrf, checkout, 200);
  root = json_node_get_object (answer);
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

/* Marks a held booking paid, as the payment provider's webhook would:
 * confirmed, its tickets moved from held to sold. */
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
