/* eva-test-booking.c: shared fixtures of the booking and coupon tests
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "eva-test-booking.h"
#include "core/eva-auth.h"
#include "services/attendees.h"

EvaTestServer *server;
char *organizer;
gint serial;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */


void
buyer_free (Buyer *b)
{
  if (b == NULL)
    return;
  g_free (b->id);
  g_free (b->cookie);
  g_free (b->csrf);
  g_free (b);
}


EvaTestResponse *
http_full (EvaTestServer *srv,
           SoupSession   *session,
           const char    *method,
           const char    *path,
           Buyer         *buyer,
           const char    *key,
           const char    *accept,
           const char    *token,
           const char    *body)
{
  g_autofree char *url = g_strconcat (srv->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  EvaTestResponse *resp = g_new0 (EvaTestResponse, 1);
  SoupMessageHeaders *headers;
  const char *type;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (buyer != NULL)
    {
      g_autofree char *text = g_strconcat ("everato_session=", buyer->cookie, NULL);

      soup_message_headers_replace (headers, "Cookie", text);
      soup_message_headers_replace (headers, "X-CSRF-Token", buyer->csrf);
    }
  if (token != NULL)
    {
      g_autofree char *text = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", text);
    }
  if (key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", key);
  if (accept != NULL)
    soup_message_headers_replace (headers, "Accept", accept);
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }

  bytes = soup_session_send_and_read (session != NULL ? session : srv->session, msg, NULL, &error);
  g_assert_no_error (error);
  resp->status = soup_message_get_status (msg);
  resp->length = g_bytes_get_size (bytes);
  /* Byte for byte (images too), with a NUL after for the text ones. */
  resp->body = g_malloc (resp->length + 1);
  if (resp->length > 0)
    memcpy (resp->body, g_bytes_get_data (bytes, NULL), resp->length);
  resp->body[resp->length] = '\0';
  resp->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  type = soup_message_headers_get_content_type (resp->headers, NULL);
  if (resp->length > 0 && g_strcmp0 (type, "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, resp->body, resp->length, &error))
        g_error ("response is not JSON: %s\n%s", error->message, resp->body);
      resp->json = json_node_copy (json_parser_get_root (parser));
      eva_test_check_response (method, path, resp->status, resp->json);
    }
  return resp;
}

/* An attendee with a session, made directly in the database. */
Buyer *
make_buyer_on (EvaTestServer *srv,
               const char    *name,
               gboolean       verified)
{
  Buyer *b = g_new0 (Buyer, 1);
  g_autofree char *email = g_strdup_printf ("%s-%d@example.com", name,
                                            g_atomic_int_add (&serial, 1));
  g_autofree char *hash = NULL;

  b->id = eva_test_sql (srv->pg,
                        "INSERT INTO attendees (email, name, status, email_verified_at)"
                        " VALUES ($1, $2, $3, CASE WHEN $3 = 'active' THEN now() END)"
                        " RETURNING id",
                        email, name, verified ? "active" : "unverified", NULL);
  g_assert_nonnull (b->id);
  b->cookie = eva_random_token (32);
  b->csrf = eva_random_token (32);
  hash = eva_auth_token_hash_hex (b->cookie);
  g_free (eva_test_sql (srv->pg,
                        "INSERT INTO attendee_sessions (attendee_id, token_hash, csrf_token,"
                        " idle_expires_at, expires_at) VALUES ($1::uuid, decode($2, 'hex'), $3,"
                        " now() + interval '1 day', now() + interval '1 day') RETURNING id",
                        b->id, hash, b->csrf, NULL));
  return b;
}

EvaTestResponse *
admin (const char *method,
       const char *path,
       const char *body)
{
  return http_full (server, NULL, method, path, NULL, NULL, NULL, organizer, body);
}

/* A published EUR event; returns its id. */
char *
make_event (const char *extra)
{
  g_autofree char *body = g_strdup_printf (
    "{\"title\":\"Concert %d\",\"timezone\":\"Europe/Berlin\","
    "\"starts_at\":\"2030-06-01T19:00:00+02:00\",\"ends_at\":\"2030-06-01T23:00:00+02:00\","
    "\"currency\":\"EUR\"%s%s}", g_atomic_int_add (&serial, 1), extra ? "," : "", extra ? extra : "");
  g_autoptr(EvaTestResponse) r = admin ("POST", "/api/v1/admin/events", body);

  eva_test_assert_status (r, 201);
  return g_strdup (eva_test_json_string (r->json, "id"));
}

char *
make_type (const char *event_id,
           const char *json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
  g_autoptr(EvaTestResponse) r = admin ("POST", path, json);

  eva_test_assert_status (r, 201);
  return g_strdup (eva_test_json_string (r->json, "id"));
}

void
publish (const char *event_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/publish", event_id);
  g_autoptr(EvaTestResponse) r = admin ("POST", path, NULL);

  eva_test_assert_status (r, 200);
}

EvaTestResponse *
hold_on (EvaTestServer *srv,
         SoupSession   *session,
         Buyer         *b,
         const char    *key,
         const char    *event_id,
         const char    *type_id,
         int            quantity,
         const char    *coupon)
{
  g_autofree char *k = key != NULL ? g_strdup (key) : g_uuid_string_random ();
  g_autofree char *c = coupon != NULL ? g_strdup_printf (",\"coupon_code\":\"%s\"", coupon)
                                      : g_strdup ("");
  g_autofree char *body = g_strdup_printf (
    "{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":%d}]%s}",
    event_id, type_id, quantity, c);

  return http_full (srv, session, "POST", "/api/v1/bookings", b, k, NULL, NULL, body);
}

EvaTestResponse *
hold (Buyer      *b,
      const char *event_id,
      const char *type_id,
      int         quantity,
      const char *coupon)
{
  return hold_on (server, NULL, b, NULL, event_id, type_id, quantity, coupon);
}

gint64
sql_int (PGconn     *pg,
         const char *sql,
         const char *param)
{
  g_autofree char *v = eva_test_sql (pg, sql, param, NULL);

  g_assert_nonnull (v);
  return g_ascii_strtoll (v, NULL, 10);
}

/* The first value of @sql with one parameter equals @expected. */
void
assert_sql (PGconn     *pg,
            const char *sql,
            const char *param,
            const char *expected)
{
  g_autofree char *value = eva_test_sql (pg, sql, param, NULL);

  g_assert_cmpstr (value, ==, expected);
}

/* held/sold equal the sums over live bookings, held + sold ≤ capacity, and
 * coupon uses equal the live bookings using them. */
void
assert_invariant (PGconn *pg)
{
  g_autofree char *bad = eva_test_sql (pg,
    "SELECT (SELECT count(*) FROM ticket_types t"
    "         WHERE t.held + t.sold > t.capacity"
    "            OR t.held <> coalesce((SELECT sum(i.quantity) FROM booking_items i"
    "                 JOIN bookings b ON b.id = i.booking_id WHERE i.ticket_type_id = t.id"
    "                  AND b.status IN ('held', 'pending_payment')), 0)"
    "            OR t.sold <> coalesce((SELECT sum(i.quantity) FROM booking_items i"
    "                 JOIN bookings b ON b.id = i.booking_id WHERE i.ticket_type_id = t.id"
    "                  AND b.status = 'confirmed'), 0))"
    "     + (SELECT count(*) FROM coupons c"
    "         WHERE c.uses <> (SELECT count(*) FROM bookings b WHERE b.coupon_id = c.id"
    "                  AND b.status IN ('held', 'pending_payment', 'confirmed')))",
    NULL);

  g_assert_cmpstr (bad, ==, "0");
}

char *
hold_id (Buyer      *b,
         const char *event_id,
         const char *type_id,
         int         quantity)
{
  g_autoptr(EvaTestResponse) r = hold (b, event_id, type_id, quantity, NULL);

  eva_test_assert_status (r, 201);
  return g_strdup (eva_test_json_string (r->json, "id"));
}

void
secondary_free (EvaTestServer *srv)
{
  eva_test_server_stop (srv);
  g_clear_pointer (&srv->dbname, g_free);
  eva_test_server_free (srv);
}
