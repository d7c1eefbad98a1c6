/* test-bookings.c: holds, refusals, idempotency, the life cycle, expiry,
 * admin lists and CSV, and concurrency (no oversell, ever)
 *
 * Attendees and their sessions are made directly in the database (see
 * make_buyer_on()); requests carry the cookie and X-CSRF-Token themselves.
 * Every concurrent test ends with assert_invariant().
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "db/eva-db.h"
#include "services/attendees.h"
#include "services/booking.h"


/* ------------------------------------------------------------------ */
/* Holds                                                              */
/* ------------------------------------------------------------------ */

static void
test_hold_basic (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"General\",\"price\":2500,\"capacity\":10}");
  g_autoptr(Buyer) b = make_buyer_on (server, "ann", TRUE);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autoptr(EvaTestResponse) got = NULL;
  g_autoptr(EvaTestResponse) list = NULL;
  g_autofree char *path = NULL;
  const char *id;

  publish (event);
  r = hold (b, event, type, 2, NULL);
  eva_test_assert_status (r, 201);
  id = eva_test_json_string (r->json, "id");
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "held");
  g_assert_cmpstr (eva_test_json_string (r->json, "event_id"), ==, event);
  g_assert_cmpint (eva_test_json_int (r->json, "subtotal"), ==, 5000);
  g_assert_cmpint (eva_test_json_int (r->json, "discount"), ==, 0);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 5000);
  g_assert_cmpstr (eva_test_json_string (r->json, "currency"), ==, "EUR");
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.name"), ==, "General");
  g_assert_cmpint (eva_test_json_int (r->json, "items.0.quantity"), ==, 2);
  g_assert_cmpint (eva_test_json_int (r->json, "items.0.unit_price"), ==, 2500);
  g_assert_cmpint (eva_test_json_int (r->json, "items.0.line_total"), ==, 5000);
  g_assert_nonnull (eva_test_json_string (r->json, "expires_at"));
  /* 15 minutes by default */
  g_assert_cmpint (sql_int (server->pg, "SELECT round(extract(epoch FROM expires_at - created_at))"
                                        " FROM bookings WHERE id = $1::uuid", id), ==, 900);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 2);
  g_assert_cmpint (sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", type), ==, 0);

  path = g_strdup_printf ("/api/v1/me/bookings/%s", id);
  got = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (got, 200);
  g_assert_cmpstr (eva_test_json_string (got->json, "id"), ==, id);
  /* The batched hold renders exactly what eva_booking_json() does. */
  g_assert_cmpstr (got->body, ==, r->body);
  /* With what the buyer needs to know of the event. */
  g_assert_cmpstr (eva_test_json_string (got->json, "event.id"), ==, event);
  g_assert_true (g_str_has_prefix (eva_test_json_string (got->json, "event.title"), "Concert "));
  g_assert_cmpstr (eva_test_json_string (got->json, "event.timezone"), ==, "Europe/Berlin");
  g_assert_cmpstr (eva_test_json_string (got->json, "event.starts_at"), ==, "2030-06-01T17:00:00+00:00");
  g_assert_cmpint (eva_test_json_int (got->json, "event.cancellation_hours"), ==, 0);

  list = http_full (server, NULL, "GET", "/api/v1/me/bookings", b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (list, 200);
  g_assert_cmpint (eva_test_json_int (list->json, "total"), ==, 1);
  g_assert_cmpstr (eva_test_json_string (list->json, "items.0.id"), ==, id);
  assert_invariant (server->pg);
}

static void
test_idempotency (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":10}");
  g_autofree char *type2 = make_type (event, "{\"name\":\"VIP\",\"price\":900,\"capacity\":10}");
  g_autoptr(Buyer) b = make_buyer_on (server, "idem", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "idem2", TRUE);
  g_autoptr(EvaTestResponse) first = NULL;
  g_autoptr(EvaTestResponse) again = NULL;
  g_autoptr(EvaTestResponse) changed = NULL;
  g_autoptr(EvaTestResponse) reordered = NULL;
  g_autoptr(EvaTestResponse) theirs = NULL;
  g_autoptr(EvaTestResponse) nokey = NULL;
  g_autoptr(EvaTestResponse) longkey = NULL;
  g_autofree char *body = NULL;
  g_autofree char *body2 = NULL;
  g_autofree char *big = g_strnfill (256, 'k');

  publish (event);
  first = hold_on (server, NULL, b, "key-1", event, type, 1, NULL);
  eva_test_assert_status (first, 201);
  again = hold_on (server, NULL, b, "key-1", event, type, 1, NULL);
  eva_test_assert_status (again, 201);
  g_assert_cmpstr (eva_test_json_string (again->json, "id"), ==,
                   eva_test_json_string (first->json, "id"));
  changed = hold_on (server, NULL, b, "key-1", event, type, 2, NULL);
  eva_test_assert_error (changed, 409, "idempotency_key_reused");
  /* The same key of another attendee is theirs. */
  theirs = hold_on (server, NULL, other, "key-1", event, type, 1, NULL);
  eva_test_assert_status (theirs, 201);
  g_assert_cmpstr (eva_test_json_string (theirs->json, "id"), !=,
                   eva_test_json_string (first->json, "id"));
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 2);

  /* Item order does not change the request. */
  body = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1},"
                          "{\"ticket_type_id\":\"%s\",\"quantity\":1}]}", event, type, type2);
  body2 = g_strdup_printf ("{\"items\":[{\"quantity\":1,\"ticket_type_id\":\"%s\"},"
                           "{\"ticket_type_id\":\"%s\",\"quantity\":1}],\"event_id\":\"%s\"}",
                           type2, type, event);
  g_clear_pointer (&first, eva_test_response_free);
  first = http_full (server, NULL, "POST", "/api/v1/bookings", b, "key-2", NULL, NULL, body);
  eva_test_assert_status (first, 201);
  g_assert_cmpint (eva_test_json_int (first->json, "total"), ==, 1000);
  reordered = http_full (server, NULL, "POST", "/api/v1/bookings", b, "key-2", NULL, NULL, body2);
  eva_test_assert_status (reordered, 201);
  g_assert_cmpstr (eva_test_json_string (reordered->json, "id"), ==,
                   eva_test_json_string (first->json, "id"));

  nokey = http_full (server, NULL, "POST", "/api/v1/bookings", b, NULL, NULL, NULL, body);
  eva_test_assert_error (nokey, 400, "validation_failed");
  longkey = http_full (server, NULL, "POST", "/api/v1/bookings", b, big, NULL, NULL, body);
  eva_test_assert_error (longkey, 400, "validation_failed");
  assert_invariant (server->pg);
}

static void
test_refusals (void)
{
  g_autofree char *draft = make_event (NULL);
  g_autofree char *draft_type = make_type (draft, "{\"name\":\"GA\",\"price\":100,\"capacity\":5}");
  g_autofree char *event = make_event (NULL);
  g_autofree char *ga = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":5,"
                                          "\"max_per_order\":4,\"max_per_attendee\":3}");
  g_autofree char *hidden = make_type (event, "{\"name\":\"Crew\",\"price\":0,\"capacity\":5,"
                                              "\"hidden\":true}");
  g_autofree char *later = make_type (event, "{\"name\":\"Later\",\"price\":100,\"capacity\":5,"
                                             "\"sales_start\":\"2029-01-01T00:00:00Z\"}");
  g_autofree char *gone = make_type (event, "{\"name\":\"Early\",\"price\":100,\"capacity\":5,"
                                            "\"sales_start\":\"2020-01-01T00:00:00Z\","
                                            "\"sales_end\":\"2021-01-01T00:00:00Z\"}");
  g_autoptr(Buyer) b = make_buyer_on (server, "ref", TRUE);
  g_autoptr(Buyer) b2 = make_buyer_on (server, "ref2", TRUE);
  g_autoptr(Buyer) unverified = make_buyer_on (server, "unv", FALSE);
  EvaTestResponse *r;

  publish (event);

  r = hold (b, draft, draft_type, 1, NULL);
  eva_test_assert_error (r, 409, "event_not_published");
  eva_test_response_free (r);

  r = hold (b, event, later, 1, NULL);
  eva_test_assert_error (r, 409, "sales_closed");
  eva_test_response_free (r);
  r = hold (b, event, gone, 1, NULL);
  eva_test_assert_error (r, 409, "sales_closed");
  eva_test_response_free (r);

  r = hold (b, event, ga, 5, NULL);
  eva_test_assert_error (r, 422, "max_per_order");
  eva_test_response_free (r);

  r = hold (b, event, ga, 2, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  r = hold (b, event, ga, 2, NULL);
  eva_test_assert_error (r, 422, "max_per_attendee");
  eva_test_response_free (r);
  r = hold (b, event, ga, 1, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  /* 3 held, 2 left: b2 asks for 3 */
  r = hold (b2, event, ga, 3, NULL);
  eva_test_assert_error (r, 409, "sold_out");
  {
    g_autofree char *key = g_strdup_printf ("error.details.%s", ga);

    g_assert_cmpint (eva_test_json_int (r->json, key), ==, 2);
  }
  eva_test_response_free (r);

  r = hold (b, event, hidden, 1, NULL);
  eva_test_assert_error (r, 422, "hidden_type");
  eva_test_response_free (r);

  r = hold (unverified, event, ga, 1, NULL);
  /* An unverified account has no session (whatever made one): 401. */
  eva_test_assert_error (r, 401, "unauthorized");
  eva_test_response_free (r);

  r = hold (b, event, ga, 1, "NOPE");
  eva_test_assert_error (r, 422, "coupon_invalid");
  eva_test_response_free (r);

  /* Unknown ids */
  r = hold (b, "00000000-0000-4000-8000-000000000000", ga, 1, NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = hold (b, event, draft_type, 1, NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);

  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", ga), ==, 3);
  assert_invariant (server->pg);
}

static EvaTestResponse *
hold2 (Buyer      *b,
       const char *event_id,
       const char *type1,
       int         q1,
       const char *type2,
       int         q2)
{
  g_autofree char *key = g_uuid_string_random ();
  g_autofree char *body = g_strdup_printf (
    "{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":%d},"
    "{\"ticket_type_id\":\"%s\",\"quantity\":%d}]}", event_id, type1, q1, type2, q2);

  return http_full (server, NULL, "POST", "/api/v1/bookings", b, key, NULL, NULL, body);
}

/* The same refusals through the per-request path (two ticket types). */
static void
test_refusals_basket (void)
{
  g_autofree char *draft = make_event (NULL);
  g_autofree char *d1 = make_type (draft, "{\"name\":\"A\",\"price\":100,\"capacity\":5}");
  g_autofree char *d2 = make_type (draft, "{\"name\":\"B\",\"price\":100,\"capacity\":5}");
  g_autofree char *event = make_event (NULL);
  g_autofree char *ga = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":5,"
                                          "\"max_per_order\":4,\"max_per_attendee\":3}");
  g_autofree char *other = make_type (event, "{\"name\":\"Other\",\"price\":50,\"capacity\":50}");
  g_autofree char *hidden = make_type (event, "{\"name\":\"Crew\",\"price\":0,\"capacity\":5,"
                                              "\"hidden\":true}");
  g_autofree char *later = make_type (event, "{\"name\":\"Later\",\"price\":100,\"capacity\":5,"
                                             "\"sales_start\":\"2029-01-01T00:00:00Z\"}");
  g_autoptr(Buyer) b = make_buyer_on (server, "basket", TRUE);
  g_autoptr(Buyer) b2 = make_buyer_on (server, "basket2", TRUE);
  g_autoptr(Buyer) unverified = make_buyer_on (server, "basket3", FALSE);
  g_autoptr(Buyer) b4 = make_buyer_on (server, "basket4", TRUE);
  EvaTestResponse *r;

  publish (event);
  r = hold2 (b, draft, d1, 1, d2, 1);
  eva_test_assert_error (r, 409, "event_not_published");
  eva_test_response_free (r);
  r = hold2 (b, event, later, 1, other, 1);
  eva_test_assert_error (r, 409, "sales_closed");
  eva_test_response_free (r);
  r = hold2 (b, event, ga, 5, other, 1);
  eva_test_assert_error (r, 422, "max_per_order");
  eva_test_response_free (r);
  r = hold2 (b, event, hidden, 1, other, 1);
  eva_test_assert_error (r, 422, "hidden_type");
  eva_test_response_free (r);
  r = hold2 (unverified, event, ga, 1, other, 1);
  eva_test_assert_error (r, 401, "unauthorized");
  eva_test_response_free (r);
  r = hold2 (b, event, ga, 2, other, 2);
  eva_test_assert_status (r, 201);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 300);
  eva_test_response_free (r);
  r = hold2 (b, event, ga, 2, other, 1);
  eva_test_assert_error (r, 422, "max_per_attendee");
  eva_test_response_free (r);
  r = hold2 (b2, event, ga, 3, other, 1);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  r = hold2 (b4, event, other, 1, ga, 1);
  eva_test_assert_error (r, 409, "sold_out");
  {
    g_autofree char *key = g_strdup_printf ("error.details.%s", ga);

    g_assert_cmpint (eva_test_json_int (r->json, key), ==, 0);
  }
  eva_test_response_free (r);
  /* Nothing of a refused basket stays held. */
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", other), ==, 3);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", ga), ==, 5);
  assert_invariant (server->pg);
}

static void
test_free_and_cancel (void)
{
  g_autofree char *event = make_event ("\"cancellation_hours\":24");
  g_autofree char *free_type = make_type (event, "{\"name\":\"Free\",\"price\":0,\"capacity\":10}");
  g_autofree char *paid = make_type (event, "{\"name\":\"Paid\",\"price\":100,\"capacity\":10}");
  g_autofree char *closed = make_event (NULL);
  g_autofree char *closed_type = make_type (closed, "{\"name\":\"Free\",\"price\":0,\"capacity\":10}");
  g_autoptr(Buyer) b = make_buyer_on (server, "free", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "other", TRUE);
  g_autoptr(EvaTestResponse) f = NULL;
  g_autoptr(EvaTestResponse) p = NULL;
  g_autoptr(EvaTestResponse) c = NULL;
  EvaTestResponse *r;
  g_autofree char *path = NULL;

  publish (event);
  publish (closed);

  f = hold (b, event, free_type, 2, NULL);
  eva_test_assert_status (f, 201);
  g_assert_cmpstr (eva_test_json_string (f->json, "status"), ==, "confirmed");
  g_assert_cmpint (eva_test_json_int (f->json, "total"), ==, 0);
  g_assert_cmpint (sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", free_type), ==, 2);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", free_type), ==, 0);

  /* Another attendee's booking does not exist for them: neither to read
   * nor to cancel; its owner reads it. */
  path = g_strdup_printf ("/api/v1/me/bookings/%s", eva_test_json_string (f->json, "id"));
  r = http_full (server, NULL, "GET", path, other, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  eva_test_response_free (r);
  g_free (path);
  path = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", eva_test_json_string (f->json, "id"));
  r = http_full (server, NULL, "POST", path, other, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);

  /* Free and confirmed, inside the window: cancellable. */
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "cancelled");
  eva_test_response_free (r);
  g_assert_cmpint (sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", free_type), ==, 0);
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 409, "invalid_transition");
  eva_test_response_free (r);

  /* cancellation_hours 0: a free booking stays. */
  c = hold (b, closed, closed_type, 1, NULL);
  eva_test_assert_status (c, 201);
  g_free (path);
  path = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", eva_test_json_string (c->json, "id"));
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 409, "invalid_transition");
  eva_test_response_free (r);

  /* A paid hold: cancellable, releases held. */
  p = hold (b, event, paid, 3, NULL);
  eva_test_assert_status (p, 201);
  g_assert_cmpstr (eva_test_json_string (p->json, "status"), ==, "held");
  g_free (path);
  path = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", eva_test_json_string (p->json, "id"));
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  eva_test_response_free (r);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", paid), ==, 0);

  /* Admin cancel of a confirmed booking decrements sold. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", eva_test_json_string (c->json, "id"));
  r = admin ("POST", path, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "cancelled");
  g_assert_cmpstr (eva_test_json_string (r->json, "attendee.id"), ==, b->id);
  eva_test_response_free (r);
  r = admin ("POST", path, NULL);
  eva_test_assert_error (r, 409, "invalid_transition");
  eva_test_response_free (r);
  g_assert_cmpint (sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", closed_type), ==, 0);
  assert_sql (server->pg, "SELECT count(*) FROM audit_log WHERE action = 'booking.cancel'"
                                 " AND target_id = $1", eva_test_json_string (c->json, "id"), "1");
  assert_invariant (server->pg);
}

static void
test_expiry (void)
{
  g_autofree char *event = make_event ("\"hold_minutes\":1");
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":3}");
  g_autoptr(Buyer) b = make_buyer_on (server, "exp", TRUE);
  g_autoptr(EvaTestResponse) h1 = NULL;
  g_autoptr(EvaTestResponse) h2 = NULL;
  g_autoptr(EvaTestResponse) got = NULL;
  g_autoptr(EvaTestResponse) cancel = NULL;
  g_autofree char *path = NULL;
  g_autofree char *cpath = NULL;
  gint64 held = -1;

  publish (event);
  h1 = hold (b, event, type, 2, NULL);
  eva_test_assert_status (h1, 201);
  g_assert_cmpint (sql_int (server->pg, "SELECT round(extract(epoch FROM expires_at - created_at))"
                                        " FROM bookings WHERE id = $1::uuid",
                            eva_test_json_string (h1->json, "id")), ==, 60);
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                    " WHERE id = $1::uuid RETURNING id",
                        eva_test_json_string (h1->json, "id"), NULL));

  /* Read time: shown expired, released. (The sweeper may beat it.) */
  path = g_strdup_printf ("/api/v1/me/bookings/%s", eva_test_json_string (h1->json, "id"));
  got = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (got, 200);
  g_assert_cmpstr (eva_test_json_string (got->json, "status"), ==, "expired");
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 0);
  cpath = g_strdup_printf ("%s/cancel", path);
  cancel = http_full (server, NULL, "POST", cpath, b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (cancel, 409, "invalid_transition");

  /* The sweeper, nobody reading. */
  h2 = hold (b, event, type, 3, NULL);
  eva_test_assert_status (h2, 201);
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                    " WHERE id = $1::uuid RETURNING id",
                        eva_test_json_string (h2->json, "id"), NULL));
  for (int i = 0; i < 50; i++)
    {
      held = sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type);
      if (held == 0)
        break;
      g_usleep (100000);
    }
  g_assert_cmpint (held, ==, 0);
  assert_sql (server->pg, "SELECT status FROM bookings WHERE id = $1::uuid",
                                 eva_test_json_string (h2->json, "id"), "expired");
  assert_invariant (server->pg);
}

/* The transitions other issues call (payments): valid and invalid. */
static void
test_lifecycle (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":700,\"capacity\":10}");
  g_autoptr(Buyer) b = make_buyer_on (server, "life", TRUE);
  g_autoptr(EvaTestResponse) h = NULL;
  g_autoptr(EvaTestResponse) h2 = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(GError) error = NULL;
  const char *id;
  const char *id2;

  publish (event);
  conn = eva_db_conn_open (server->conninfo, &error);
  g_assert_no_error (error);
  h = hold (b, event, type, 3, NULL);
  eva_test_assert_status (h, 201);
  id = eva_test_json_string (h->json, "id");

  /* confirmed needs held or pending first: refund of a hold is refused */
  g_assert_false (eva_booking_refund (conn, id, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_true (eva_booking_mark_pending (conn, id, &error));
  g_assert_no_error (error);
  assert_sql (server->pg, "SELECT status FROM bookings WHERE id = $1::uuid", id, "pending_payment");
  g_assert_false (eva_booking_mark_pending (conn, id, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_true (eva_booking_confirm (conn, id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 0);
  g_assert_cmpint (sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", type), ==, 3);
  g_assert_false (eva_booking_confirm (conn, id, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (eva_booking_mark_pending (conn, id, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_CONFLICT);
  g_clear_error (&error);
  assert_invariant (server->pg);

  /* A paid confirmed booking: the attendee cannot cancel it. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", id);
    g_autoptr(EvaTestResponse) r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);

    eva_test_assert_error (r, 409, "invalid_transition");
  }

  g_assert_true (eva_booking_refund (conn, id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", type), ==, 0);
  g_assert_false (eva_booking_refund (conn, id, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_CONFLICT);
  g_clear_error (&error);

  /* An expired hold cannot be confirmed. */
  h2 = hold (b, event, type, 1, NULL);
  eva_test_assert_status (h2, 201);
  id2 = eva_test_json_string (h2->json, "id");
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                    " WHERE id = $1::uuid RETURNING 1", id2, NULL));
  g_assert_false (eva_booking_confirm (conn, id2, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_false (eva_booking_confirm (conn, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (eva_bookings_expire (conn, id2, NULL, 10, &error), >=, 0);
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                        */
/* ------------------------------------------------------------------ */

typedef struct
{
  EvaTestServer *srv;
  Buyer         *buyer;
  const char    *event;
  const char    *type;
  const char    *coupon;
  int            quantity;
  gboolean       shared;
  guint          status;
  char          *code;
  gint64         discount;
} Attempt;

static gpointer
attempt_thread (gpointer data)
{
  Attempt *a = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autoptr(EvaTestResponse) r = hold_on (a->srv, session, a->buyer, NULL, a->event, a->type,
                                          a->quantity > 0 ? a->quantity : 1, a->coupon);

  a->status = r->status;
  if (r->status == 201)
    a->discount = eva_test_json_int (r->json, "discount");
  else if (r->json != NULL && eva_test_json_has (r->json, "error.code"))
    a->code = g_strdup (eva_test_json_string (r->json, "error.code"));
  return NULL;
}

/* n buyers at once, alternating between @servers; returns the attempts. */
static Attempt *
burst (EvaTestServer **servers,
       guint           n_servers,
       guint           n,
       const char     *event,
       const char     *type,
       const char     *coupon,
       gboolean        coupon_every_other)
{
  Attempt *attempts = g_new0 (Attempt, n);
  GThread **threads = g_new0 (GThread *, n);

  for (guint i = 0; i < n; i++)
    {
      attempts[i].srv = servers[i % n_servers];
      attempts[i].buyer = make_buyer_on (server, "burst", TRUE);
      attempts[i].event = event;
      attempts[i].type = type;
      attempts[i].coupon = coupon_every_other ? (i % 2 ? coupon : NULL) : coupon;
    }
  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("buyer", attempt_thread, &attempts[i]);
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
  g_free (threads);
  return attempts;
}

static void
attempts_free (Attempt *attempts,
               guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      if (!attempts[i].shared)
        buyer_free (attempts[i].buyer);
      g_free (attempts[i].code);
    }
  g_free (attempts);
}

static void
test_concurrent_capacity (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":50}");
  EvaTestServer *servers[] = { server };
  Attempt *attempts;
  guint ok = 0, sold_out = 0;

  publish (event);
  attempts = burst (servers, 1, 200, event, type, NULL, FALSE);
  for (guint i = 0; i < 200; i++)
    {
      if (attempts[i].status == 201)
        ok++;
      else if (attempts[i].status == 409 && g_strcmp0 (attempts[i].code, "sold_out") == 0)
        sold_out++;
      else
        g_error ("unexpected reply %u %s", attempts[i].status, attempts[i].code);
    }
  g_assert_cmpuint (ok, ==, 50);
  g_assert_cmpuint (sold_out, ==, 150);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 50);
  /* Bookings of one batch share their transaction's now(). */
  g_test_message ("50 holds in %" G_GINT64_FORMAT " transactions",
                  sql_int (server->pg, "SELECT count(DISTINCT created_at) FROM bookings"
                                       " WHERE event_id = $1::uuid", event));
  assert_invariant (server->pg);
  attempts_free (attempts, 200);
}

static void
run_attempts (Attempt *attempts,
              guint    n)
{
  GThread **threads = g_new0 (GThread *, n);

  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("buyer", attempt_thread, &attempts[i]);
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
  g_free (threads);
}

/* Mixed quantities: whatever the order, 1-ticket buyers fill the gaps, so
 * exactly the capacity is held; sold_out tells what is left. */
static void
test_concurrent_quantities (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":10}");
  Attempt *attempts = g_new0 (Attempt, 60);
  gint64 sum = 0;

  publish (event);
  for (guint i = 0; i < 60; i++)
    {
      attempts[i].srv = server;
      attempts[i].buyer = make_buyer_on (server, "qty", TRUE);
      attempts[i].event = event;
      attempts[i].type = type;
      attempts[i].quantity = i % 2 ? 3 : 1;
    }
  run_attempts (attempts, 60);
  for (guint i = 0; i < 60; i++)
    {
      if (attempts[i].status == 201)
        sum += attempts[i].quantity;
      else
        g_assert_cmpstr (attempts[i].code, ==, "sold_out");
    }
  g_assert_cmpint (sum, ==, 10);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 10);
  assert_invariant (server->pg);
  attempts_free (attempts, 60);
}

/* A burst in which half the requests name the ticket type with another
 * (published) event: those are 404, the others are held. */
static void
test_concurrent_wrong_event (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *other = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":100}");
  g_autofree char *other_type = make_type (other, "{\"name\":\"GA\",\"price\":100,\"capacity\":100}");
  Attempt *attempts = g_new0 (Attempt, 40);

  publish (event);
  publish (other);
  for (guint i = 0; i < 40; i++)
    {
      attempts[i].srv = server;
      attempts[i].buyer = make_buyer_on (server, "wrong", TRUE);
      attempts[i].event = i % 2 ? other : event;
      attempts[i].type = type;
    }
  run_attempts (attempts, 40);
  for (guint i = 0; i < 40; i++)
    {
      if (i % 2)
        {
          g_assert_cmpuint (attempts[i].status, ==, 404);
          g_assert_cmpstr (attempts[i].code, ==, "not_found");
        }
      else
        g_assert_cmpuint (attempts[i].status, ==, 201);
    }
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 20);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", other_type), ==, 0);
  assert_invariant (server->pg);
  attempts_free (attempts, 40);
}

/* One attendee, many tabs: max_per_attendee holds under concurrency. */
static void
test_concurrent_one_attendee (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":100,"
                                            "\"max_per_attendee\":3}");
  g_autoptr(Buyer) b = make_buyer_on (server, "tabs", TRUE);
  Attempt *attempts = g_new0 (Attempt, 30);
  guint ok = 0;

  publish (event);
  for (guint i = 0; i < 30; i++)
    {
      attempts[i].srv = server;
      attempts[i].buyer = b;
      attempts[i].shared = TRUE;
      attempts[i].event = event;
      attempts[i].type = type;
      attempts[i].quantity = 2;
    }
  run_attempts (attempts, 30);
  for (guint i = 0; i < 30; i++)
    {
      if (attempts[i].status == 201)
        ok++;
      else
        g_assert_cmpstr (attempts[i].code, ==, "max_per_attendee");
    }
  g_assert_cmpuint (ok, ==, 1);
  assert_invariant (server->pg);
  attempts_free (attempts, 30);
}

/* One attendee, many tabs, no limit of the ticket type: two open holds of
 * the event, whatever the order; the others are too_many_holds. */
static void
test_concurrent_open_holds (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":100}");
  g_autoptr(Buyer) b = make_buyer_on (server, "hoarder", TRUE);
  Attempt *attempts = g_new0 (Attempt, 30);
  guint ok = 0;

  publish (event);
  for (guint i = 0; i < 30; i++)
    {
      attempts[i].srv = server;
      attempts[i].buyer = b;
      attempts[i].shared = TRUE;
      attempts[i].event = event;
      attempts[i].type = type;
    }
  run_attempts (attempts, 30);
  for (guint i = 0; i < 30; i++)
    {
      if (attempts[i].status == 201)
        ok++;
      else
        {
          g_assert_cmpuint (attempts[i].status, ==, 409);
          g_assert_cmpstr (attempts[i].code, ==, "too_many_holds");
        }
    }
  g_assert_cmpuint (ok, ==, EVA_BOOKING_OPEN_HOLDS_MAX);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type),
                   ==, EVA_BOOKING_OPEN_HOLDS_MAX);
  assert_invariant (server->pg);
  attempts_free (attempts, 30);
}

/* 200 buyers with a coupon limited to 10 uses, capacity 50: exactly 10
 * bookings, all discounted; the other 190 are coupon_exhausted. */
static void
test_concurrent_coupon (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":1000,\"capacity\":50}");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event);
  g_autoptr(EvaTestResponse) c = admin ("POST", path, "{\"code\":\"TEN\",\"kind\":\"percent\","
                                                      "\"percent\":10,\"max_uses\":10}");
  EvaTestServer *servers[] = { server };
  Attempt *attempts;
  guint ok = 0, discounted = 0, exhausted = 0;

  eva_test_assert_status (c, 201);
  publish (event);
  attempts = burst (servers, 1, 200, event, type, "ten", FALSE);
  for (guint i = 0; i < 200; i++)
    {
      if (attempts[i].status == 201)
        {
          ok++;
          g_assert_cmpint (attempts[i].discount, ==, 100);
          discounted++;
        }
      else if (attempts[i].status == 422 && g_strcmp0 (attempts[i].code, "coupon_exhausted") == 0)
        exhausted++;
      else
        g_error ("unexpected reply %u %s", attempts[i].status, attempts[i].code);
    }
  g_assert_cmpuint (ok, ==, 10);
  g_assert_cmpuint (discounted, ==, 10);
  g_assert_cmpuint (exhausted, ==, 190);
  g_assert_cmpint (sql_int (server->pg, "SELECT uses FROM coupons WHERE event_id = $1::uuid", event), ==, 10);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 10);
  assert_invariant (server->pg);
  attempts_free (attempts, 200);
}

/* Half the buyers with the coupon, half without, capacity 50: exactly 50
 * bookings, at most 10 discounted, uses equal the discounted ones. */
static void
test_concurrent_coupon_mixed (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":1000,\"capacity\":50}");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event);
  g_autoptr(EvaTestResponse) c = admin ("POST", path, "{\"code\":\"TEN\",\"kind\":\"percent\","
                                                      "\"percent\":10,\"max_uses\":10}");
  EvaTestServer *servers[] = { server };
  Attempt *attempts;
  guint ok = 0, discounted = 0;

  eva_test_assert_status (c, 201);
  publish (event);
  attempts = burst (servers, 1, 200, event, type, "ten", TRUE);
  for (guint i = 0; i < 200; i++)
    {
      if (attempts[i].status == 201)
        {
          ok++;
          discounted += attempts[i].discount > 0;
        }
      else if (!(attempts[i].status == 409 && g_strcmp0 (attempts[i].code, "sold_out") == 0) &&
               !(attempts[i].status == 422 && g_strcmp0 (attempts[i].code, "coupon_exhausted") == 0))
        g_error ("unexpected reply %u %s", attempts[i].status, attempts[i].code);
    }
  g_assert_cmpuint (ok, ==, 50);
  g_assert_cmpuint (discounted, <=, 10);
  g_assert_cmpint (sql_int (server->pg, "SELECT uses FROM coupons WHERE event_id = $1::uuid", event), ==,
                   discounted);
  assert_invariant (server->pg);
  attempts_free (attempts, 200);
}

static void
test_two_processes (void)
{
  EvaTestServer *second = eva_test_server_start_on (server->dbname, NULL);
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":40}");
  EvaTestServer *servers[] = { server, second };
  Attempt *attempts;
  guint ok = 0;

  publish (event);
  attempts = burst (servers, 2, 120, event, type, NULL, FALSE);
  for (guint i = 0; i < 120; i++)
    ok += attempts[i].status == 201;
  g_assert_cmpuint (ok, ==, 40);
  assert_invariant (server->pg);
  attempts_free (attempts, 120);
  secondary_free (second);
}

typedef struct
{
  EvaTestServer *srv;
  Buyer         *buyer;
  const char    *event;
  const char    *type;
  gint           ok;
} Loop;

static gpointer
loop_thread (gpointer data)
{
  Loop *l = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 5, NULL);

  for (int i = 0; i < 20; i++)
    {
      g_autofree char *url = g_strconcat (l->srv->base_url, "/api/v1/bookings", NULL);
      g_autofree char *body = g_strdup_printf (
        "{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}]}",
        l->event, l->type);
      g_autofree char *cookie = g_strconcat ("everato_session=", l->buyer->cookie, NULL);
      g_autofree char *key = g_uuid_string_random ();
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) req = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;
      SoupMessageHeaders *h = soup_message_get_request_headers (msg);

      soup_message_headers_replace (h, "Cookie", cookie);
      soup_message_headers_replace (h, "X-CSRF-Token", l->buyer->csrf);
      soup_message_headers_replace (h, "Idempotency-Key", key);
      soup_message_set_request_body_from_bytes (msg, "application/json", req);
      reply = soup_session_send_and_read (session, msg, NULL, &error);
      if (error != NULL)
        break;   /* the server is gone */
      if (soup_message_get_status (msg) == 201)
        l->ok++;
    }
  return NULL;
}

static void
test_sigkill (void)
{
  EvaTestServer *victim = eva_test_server_start_on (server->dbname, NULL);
  g_autofree char *event = make_event ("\"hold_minutes\":1");
  g_autofree char *paid = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":1000}");
  g_autofree char *free_type = make_type (event, "{\"name\":\"Free\",\"price\":0,\"capacity\":1000}");
  Loop loops[16];
  GThread *threads[16];
  g_autofree char *confirmed_before = NULL;
  g_autofree char *confirmed_after = NULL;
  g_autofree char *live = NULL;

  publish (event);
  for (guint i = 0; i < G_N_ELEMENTS (loops); i++)
    {
      loops[i].srv = victim;
      loops[i].buyer = make_buyer_on (server, "kill", TRUE);
      loops[i].event = event;
      loops[i].type = i % 2 ? paid : free_type;
      loops[i].ok = 0;
      threads[i] = g_thread_new ("loop", loop_thread, &loops[i]);
    }
  g_usleep (150000);
  eva_test_server_kill (victim);
  for (guint i = 0; i < G_N_ELEMENTS (loops); i++)
    g_thread_join (threads[i]);

  /* The killed process's backends finish the statement in hand (a COMMIT
   * may still land); wait until none is running. */
  for (int quiet = 0, i = 0; quiet < 3 && i < 100; i++)
    {
      g_autofree char *active = eva_test_sql (server->pg,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        "   AND pid <> pg_backend_pid() AND state = 'active'", NULL);

      quiet = g_str_equal (active, "0") ? quiet + 1 : 0;
      g_usleep (50000);
    }
  assert_invariant (server->pg);
  confirmed_before = eva_test_sql (server->pg, "SELECT count(*) FROM bookings WHERE event_id = $1::uuid"
                                   " AND status = 'confirmed'", event, NULL);
  /* Every 201 the clients saw is a booking in the database. */
  {
    gint total_ok = 0;

    for (guint i = 0; i < G_N_ELEMENTS (loops); i++)
      total_ok += loops[i].ok;
    g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM bookings WHERE event_id = $1::uuid",
                              event), >=, total_ok);
  }

  /* Restart; the stale holds expire (moved into the past here). */
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                    " WHERE event_id = $1::uuid AND status = 'held' RETURNING 1",
                        event, NULL));
  secondary_free (victim);
  victim = eva_test_server_start_on (server->dbname, NULL);
  for (int i = 0; i < 50; i++)
    {
      g_free (live);
      live = eva_test_sql (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", paid, NULL);
      if (g_strcmp0 (live, "0") == 0)
        break;
      g_usleep (100000);
    }
  g_assert_cmpstr (live, ==, "0");
  confirmed_after = eva_test_sql (server->pg, "SELECT count(*) FROM bookings WHERE event_id = $1::uuid"
                                  " AND status = 'confirmed'", event, NULL);
  g_assert_cmpstr (confirmed_after, ==, confirmed_before);
  assert_invariant (server->pg);
  for (guint i = 0; i < G_N_ELEMENTS (loops); i++)
    buyer_free (loops[i].buyer);
  secondary_free (victim);
}

/* ------------------------------------------------------------------ */
/* What one attendee may hold                                         */
/* ------------------------------------------------------------------ */

static void
cancel_mine (Buyer      *b,
             const char *booking_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", booking_id);
  g_autoptr(EvaTestResponse) r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);

  eva_test_assert_status (r, 200);
}

static EvaTestResponse *
patch_event (const char *event_id,
             const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", event_id);

  return admin ("PATCH", path, body);
}

/* Every event limits each ticket type without a max_per_attendee of its
 * own to its max_tickets_per_attendee: 10 unless the organizer changes it. */
static void
test_default_per_attendee (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *ga = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":100,"
                                          "\"max_per_order\":20}");
  g_autofree char *other = make_type (event, "{\"name\":\"Other\",\"price\":100,\"capacity\":100}");
  g_autofree char *vip = make_type (event, "{\"name\":\"VIP\",\"price\":100,\"capacity\":100,"
                                           "\"max_per_order\":20,\"max_per_attendee\":15}");
  g_autofree char *detail = g_strdup_printf ("error.details.%s", ga);
  g_autofree char *quote_path = g_strdup_printf ("/api/v1/public/events/%s/quote", event);
  g_autofree char *quote = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":13}]}", ga);
  g_autoptr(Buyer) b = make_buyer_on (server, "many", TRUE);
  g_autoptr(Buyer) b2 = make_buyer_on (server, "many2", TRUE);
  g_autoptr(Buyer) b3 = make_buyer_on (server, "many3", TRUE);
  const char *bad[] = {
    "{\"max_tickets_per_attendee\":0}", "{\"max_tickets_per_attendee\":1000001}",
    "{\"max_tickets_per_attendee\":\"5\"}", "{\"max_tickets_per_attendee\":null}",
    "{\"max_tickets_per_attendee\":2.5}",
  };
  g_autofree char *event_path = g_strdup_printf ("/api/v1/admin/events/%s", event);
  EvaTestResponse *r;

  publish (event);
  r = admin ("GET", event_path, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "max_tickets_per_attendee"), ==, 10);
  eva_test_response_free (r);

  /* Batched (one ticket type) and on its own (a basket of two). */
  r = hold (b, event, ga, 11, NULL);
  eva_test_assert_error (r, 422, "max_per_attendee");
  g_assert_cmpint (eva_test_json_int (r->json, detail), ==, 10);
  eva_test_response_free (r);
  r = hold2 (b2, event, ga, 11, other, 1);
  eva_test_assert_error (r, 422, "max_per_attendee");
  eva_test_response_free (r);
  r = hold (b, event, ga, 10, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  r = hold (b, event, ga, 1, NULL);
  eva_test_assert_error (r, 422, "max_per_attendee");
  g_assert_cmpint (eva_test_json_int (r->json, detail), ==, 0);
  eva_test_response_free (r);
  /* A ticket type's own limit wins. */
  r = hold (b3, event, vip, 15, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  /* The organizer changes it, within 1 to 1000000. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      r = patch_event (event, bad[i]);
      eva_test_assert_error (r, 400, "validation_failed");
      g_assert_true (eva_test_json_has (r->json, "error.details.max_tickets_per_attendee"));
      eva_test_response_free (r);
    }
  r = patch_event (event, "{\"max_tickets_per_attendee\":12}");
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "max_tickets_per_attendee"), ==, 12);
  eva_test_response_free (r);
  r = hold (b, event, ga, 3, NULL);
  eva_test_assert_error (r, 422, "max_per_attendee");
  g_assert_cmpint (eva_test_json_int (r->json, detail), ==, 2);
  eva_test_response_free (r);
  r = hold (b, event, ga, 2, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  /* The quote refuses what a hold would. */
  r = http_full (server, NULL, "POST", quote_path, NULL, NULL, NULL, NULL, quote);
  eva_test_assert_error (r, 422, "max_per_attendee");
  eva_test_response_free (r);

  /* Set at creation. */
  {
    g_autofree char *small = make_event ("\"max_tickets_per_attendee\":3");

    g_free (event_path);
    event_path = g_strdup_printf ("/api/v1/admin/events/%s", small);
    r = admin ("GET", event_path, NULL);
    g_assert_cmpint (eva_test_json_int (r->json, "max_tickets_per_attendee"), ==, 3);
    eva_test_response_free (r);
  }
  assert_invariant (server->pg);
}

/* At most two open holds (held or pending_payment) per attendee and event. */
static void
test_open_holds (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *second = make_event (NULL);
  g_autofree char *ga = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":50}");
  g_autofree char *other = make_type (event, "{\"name\":\"Other\",\"price\":100,\"capacity\":50}");
  g_autofree char *elsewhere = make_type (second, "{\"name\":\"GA\",\"price\":100,\"capacity\":50}");
  g_autoptr(Buyer) b = make_buyer_on (server, "open", TRUE);
  g_autoptr(EvaTestResponse) h1 = NULL;
  g_autoptr(EvaTestResponse) h2 = NULL;
  g_autoptr(EvaDbConn) conn = NULL;
  g_autoptr(GError) error = NULL;
  EvaTestResponse *r;

  publish (event);
  publish (second);
  h1 = hold (b, event, ga, 1, NULL);
  eva_test_assert_status (h1, 201);
  h2 = hold2 (b, event, ga, 1, other, 1);
  eva_test_assert_status (h2, 201);

  r = hold (b, event, ga, 1, NULL);
  eva_test_assert_error (r, 409, "too_many_holds");
  g_assert_cmpint (eva_test_json_int (r->json, "error.details.max_open_holds"), ==, 2);
  eva_test_response_free (r);
  r = hold2 (b, event, ga, 1, other, 1);
  eva_test_assert_error (r, 409, "too_many_holds");
  eva_test_response_free (r);
  /* Per event. */
  r = hold (b, second, elsewhere, 1, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  /* A cancelled hold is not open. */
  cancel_mine (b, eva_test_json_string (h1->json, "id"));
  g_clear_pointer (&h1, eva_test_response_free);
  h1 = hold (b, event, other, 1, NULL);
  eva_test_assert_status (h1, 201);

  /* Nor a paid one; pending_payment is. */
  conn = eva_db_conn_open (server->conninfo, &error);
  g_assert_no_error (error);
  g_assert_true (eva_booking_confirm (conn, eva_test_json_string (h1->json, "id"), &error));
  g_assert_no_error (error);
  g_assert_true (eva_booking_mark_pending (conn, eva_test_json_string (h2->json, "id"), &error));
  g_assert_no_error (error);
  g_clear_pointer (&h1, eva_test_response_free);
  h1 = hold (b, event, ga, 1, NULL);
  eva_test_assert_status (h1, 201);
  r = hold (b, event, ga, 1, NULL);
  eva_test_assert_error (r, 409, "too_many_holds");
  eva_test_response_free (r);

  /* Nor an expired one. */
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                    " WHERE id = $1::uuid RETURNING 1",
                        eva_test_json_string (h1->json, "id"), NULL));
  r = hold (b, event, ga, 1, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  assert_invariant (server->pg);
}

/* An account makes at most 20 holds in 10 minutes, by either path; a
 * refused hold does not count, a replay is still answered. */
static void
test_hold_throttle (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *ga = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":100}");
  g_autofree char *other = make_type (event, "{\"name\":\"Other\",\"price\":100,\"capacity\":100}");
  g_autofree char *gone = make_type (event, "{\"name\":\"Gone\",\"price\":100,\"capacity\":0}");
  g_autoptr(Buyer) b = make_buyer_on (server, "busy", TRUE);
  g_autoptr(EvaTestResponse) first = NULL;
  g_autofree char *key = g_strconcat ("att:hold:acct:", b->id, NULL);
  EvaTestResponse *r;
  gint64 retry;

  publish (event);
  first = hold_on (server, NULL, b, "the-first", event, ga, 1, NULL);
  eva_test_assert_status (first, 201);
  cancel_mine (b, eva_test_json_string (first->json, "id"));
  for (guint i = 1; i < EVA_BOOKING_HOLDS_PER_WINDOW; i++)
    {
      /* Refusals cost nothing. */
      r = hold (b, event, gone, 1, NULL);
      eva_test_assert_error (r, 409, "sold_out");
      eva_test_response_free (r);
      r = i % 2 ? hold (b, event, ga, 1, NULL) : hold2 (b, event, ga, 1, other, 1);
      eva_test_assert_status (r, 201);
      cancel_mine (b, eva_test_json_string (r->json, "id"));
      eva_test_response_free (r);
    }

  r = hold (b, event, ga, 1, NULL);
  eva_test_assert_error (r, 429, "too_many_attempts");
  retry = atoi (eva_test_header (r, "Retry-After"));
  g_assert_cmpint (retry, >, 0);
  g_assert_cmpint (retry, <=, EVA_BOOKING_HOLD_WINDOW);
  g_assert_cmpint (eva_test_json_int (r->json, "error.details.retry_after"), ==, retry);
  eva_test_response_free (r);
  assert_sql (server->pg, "SELECT failures FROM rate_limits WHERE key = $1", key, "20");
  r = hold2 (b, event, ga, 1, other, 1);
  eva_test_assert_error (r, 429, "too_many_attempts");
  g_assert_nonnull (eva_test_header (r, "Retry-After"));
  eva_test_response_free (r);
  /* A retry of a hold made before is a replay, not a new hold. */
  r = hold_on (server, NULL, b, "the-first", event, ga, 1, NULL);
  eva_test_assert_status (r, 201);
  g_assert_cmpstr (eva_test_json_string (r->json, "id"), ==, eva_test_json_string (first->json, "id"));
  eva_test_response_free (r);
  /* Another account is not concerned. */
  {
    g_autoptr(Buyer) b2 = make_buyer_on (server, "calm", TRUE);

    r = hold (b2, event, ga, 1, NULL);
    eva_test_assert_status (r, 201);
    eva_test_response_free (r);
  }

  /* Once the window is over, holds are counted from zero. */
  g_free (eva_test_sql (server->pg, "UPDATE rate_limits SET window_start = now() - interval '11 minutes'"
                                    " WHERE key = $1 RETURNING 1", key, NULL));
  r = hold (b, event, ga, 1, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  assert_sql (server->pg, "SELECT failures FROM rate_limits WHERE key = $1", key, "1");
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* Ticket types deleted while held                                    */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char *method;
  char       *path;
  Buyer      *buyer;
  char       *body;
  const char *token;
  volatile gint *go;
  guint       status;
  char       *reply;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *x = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autofree char *key = g_uuid_string_random ();

  while (!g_atomic_int_get (x->go))
    g_thread_yield ();
  r = http_full (server, session, x->method, x->path, x->buyer,
                 x->buyer != NULL ? key : NULL, NULL, x->token, x->body);
  x->status = r->status;
  x->reply = g_strndup (r->body, 300);
  return NULL;
}

#define RACE_ROUNDS   60
#define RACE_HOLDERS  4

/* Holds (batched and single) and a DELETE of their ticket type at once,
 * many times: whoever wins, every answer is below 500, the server lives
 * and the inventory adds up. */
static void
test_delete_race (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *other = make_type (event, "{\"name\":\"Other\",\"price\":100,\"capacity\":100000}");
  guint deleted = 0, held = 0, not_found = 0;

  publish (event);
  for (guint round = 0; round < RACE_ROUNDS; round++)
    {
      g_autofree char *type = make_type (event, "{\"name\":\"Brief\",\"price\":100,\"capacity\":50}");
      Racer racers[RACE_HOLDERS + 1] = { { 0 } };
      GThread *threads[RACE_HOLDERS + 1];
      volatile gint go = 0;

      for (guint i = 0; i < RACE_HOLDERS; i++)
        {
          racers[i].method = "POST";
          racers[i].path = g_strdup ("/api/v1/bookings");
          racers[i].buyer = make_buyer_on (server, "racer", TRUE);
          racers[i].body = i % 2
            ? g_strdup_printf ("{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1},"
                               "{\"ticket_type_id\":\"%s\",\"quantity\":1}]}", event, type, other)
            : g_strdup_printf ("{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}]}",
                               event, type);
        }
      racers[RACE_HOLDERS].method = "DELETE";
      racers[RACE_HOLDERS].path = g_strdup_printf ("/api/v1/admin/ticket-types/%s", type);
      racers[RACE_HOLDERS].token = organizer;
      for (guint i = 0; i <= RACE_HOLDERS; i++)
        {
          racers[i].go = &go;
          threads[i] = g_thread_new ("racer", racer_thread, &racers[i]);
        }
      g_usleep (2000 + g_random_int_range (0, 3000));
      g_atomic_int_set (&go, 1);
      for (guint i = 0; i <= RACE_HOLDERS; i++)
        g_thread_join (threads[i]);

      for (guint i = 0; i <= RACE_HOLDERS; i++)
        {
          if (racers[i].status >= 500 || racers[i].status < 200)
            g_error ("%s %s: %u %s", racers[i].method, racers[i].path, racers[i].status,
                     racers[i].reply);
          if (i == RACE_HOLDERS)
            {
              g_assert_true (racers[i].status == 204 || racers[i].status == 409);
              deleted += racers[i].status == 204;
            }
          else if (racers[i].status == 201)
            held++;
          else
            {
              g_assert_cmpuint (racers[i].status, ==, 404);
              not_found++;
            }
          buyer_free (racers[i].buyer);
          g_free (racers[i].path);
          g_free (racers[i].body);
          g_free (racers[i].reply);
        }
    }
  g_test_message ("%u ticket types deleted, %u holds made, %u not found", deleted, held, not_found);
  {
    g_autoptr(EvaTestResponse) alive = http_full (server, NULL, "GET", "/healthz", NULL, NULL,
                                                  NULL, NULL, NULL);

    eva_test_assert_status (alive, 200);
  }
  assert_invariant (server->pg);
}

/* ------------------------------------------------------------------ */
/* The batcher's queues                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  EvaTestServer *srv;
  Buyer         *buyer;
  const char    *event;
  guint          n;
  guint          refused;
} Prober;

static gpointer
prober_thread (gpointer data)
{
  Prober *p = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);

  for (guint i = 0; i < p->n; i++)
    {
      g_autofree char *type = g_uuid_string_random ();
      g_autoptr(EvaTestResponse) r = hold_on (p->srv, session, p->buyer, NULL, p->event, type, 1, NULL);

      if (r->status == 404 && g_strcmp0 (eva_test_json_string (r->json, "error.code"), "not_found") == 0)
        p->refused++;
      else
        g_error ("a hold of a ticket type that does not exist: %u %s", r->status, r->body);
    }
  return NULL;
}

/* Holds naming ticket types that do not exist open no batch queue, and a
 * real ticket type's queue closes when it runs empty. */
static void
test_batch_queues (void)
{
  const char *env[] = { "G_MESSAGES_DEBUG=eva-booking-batch", NULL };
  EvaTestServer *srv = eva_test_server_start_on (server->dbname, env);
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":100}");
  g_autofree char *opened = g_strdup_printf ("batch queue opened: %s (", type);
  g_autofree char *closed = g_strdup_printf ("batch queue closed: %s (0 open)", type);
  g_autofree char *log = NULL;
  Prober probers[6];
  GThread *threads[6];
  Attempt *attempts = g_new0 (Attempt, 20);
  guint n_opened = 0;

  publish (event);
  for (guint i = 0; i < G_N_ELEMENTS (probers); i++)
    {
      probers[i] = (Prober) { srv, make_buyer_on (srv, "prober", TRUE), event, 50, 0 };
      threads[i] = g_thread_new ("prober", prober_thread, &probers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (probers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (probers[i].refused, ==, 50);
      buyer_free (probers[i].buyer);
    }

  /* A real one, by 20 buyers at once. */
  for (guint i = 0; i < 20; i++)
    {
      attempts[i].srv = srv;
      attempts[i].buyer = make_buyer_on (srv, "queued", TRUE);
      attempts[i].event = event;
      attempts[i].type = type;
    }
  run_attempts (attempts, 20);
  for (guint i = 0; i < 20; i++)
    g_assert_cmpuint (attempts[i].status, ==, 201);
  attempts_free (attempts, 20);

  /* Debug lines reach the log within a moment. */
  for (int i = 0; i < 50; i++)
    {
      g_free (log);
      log = eva_test_server_log (srv);
      if (strstr (log, closed) != NULL)
        break;
      g_usleep (100000);
    }
  g_assert_nonnull (strstr (log, closed));
  {
    g_auto(GStrv) lines = g_strsplit (log, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      if (strstr (lines[i], "batch queue opened: ") != NULL)
        {
          g_assert_nonnull (strstr (lines[i], opened));
          g_assert_nonnull (strstr (lines[i], "(1 open)"));
          n_opened++;
        }
  }
  g_assert_cmpuint (n_opened, >=, 1);
  assert_invariant (server->pg);
  secondary_free (srv);
}

/* ------------------------------------------------------------------ */
/* Admin                                                              */
/* ------------------------------------------------------------------ */

static void
test_admin_list (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA, \\\"best\\\"\",\"price\":100,\"capacity\":10}");
  g_autoptr(Buyer) evil = make_buyer_on (server, "=HYPERLINK(\\\"x\\\")", TRUE);
  g_autoptr(Buyer) plain = make_buyer_on (server, "Plain Person", TRUE);
  g_autoptr(EvaTestResponse) h1 = NULL;
  g_autoptr(EvaTestResponse) h2 = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/bookings", event);
  g_autofree char *q = NULL;
  g_autofree char *bad = NULL;
  EvaTestResponse *r;

  g_free (eva_test_sql (server->pg, "UPDATE attendees SET name = '=HYPERLINK(\"x\")' WHERE id = $1::uuid"
                                    " RETURNING 1", evil->id, NULL));
  publish (event);
  h1 = hold (evil, event, type, 1, NULL);
  eva_test_assert_status (h1, 201);
  h2 = hold (plain, event, type, 2, NULL);
  eva_test_assert_status (h2, 201);

  r = admin ("GET", path, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 2);
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.id"), ==, eva_test_json_string (h2->json, "id"));
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.attendee.name"), ==, "Plain Person");
  eva_test_response_free (r);

  q = g_strdup_printf ("%s?q=plain&status=held&limit=1", path);
  r = admin ("GET", q, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 1);
  eva_test_response_free (r);
  g_free (q);
  q = g_strdup_printf ("%s?limit=1", path);
  r = admin ("GET", q, NULL);
  g_assert_nonnull (eva_test_json_string (r->json, "next_cursor"));
  eva_test_response_free (r);
  g_free (q);
  q = g_strdup_printf ("%s?status=confirmed", path);
  r = admin ("GET", q, NULL);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 0);
  eva_test_response_free (r);

  bad = g_strdup_printf ("%s?status=bogus", path);
  r = admin ("GET", bad, NULL);
  eva_test_assert_error (r, 400, "validation_failed");
  eva_test_response_free (r);

  r = http_full (server, NULL, "GET", path, NULL, NULL, "text/csv", organizer, NULL);
  eva_test_assert_status (r, 200);
  g_assert_true (g_str_has_prefix (eva_test_header (r, "Content-Type"), "text/csv"));
  g_assert_true (g_str_has_prefix (r->body, "id,status,attendee_email,attendee_name,created_at,items,"));
  g_assert_nonnull (strstr (r->body, ",\"'=HYPERLINK(\"\"x\"\")\","));
  g_assert_nonnull (strstr (r->body, ",Plain Person,"));
  g_assert_nonnull (strstr (r->body, ",\"GA, \"\"best\"\" x2\","));
  eva_test_response_free (r);

  g_free (bad);
  bad = g_strdup_printf ("/api/v1/admin/bookings/%s", eva_test_json_string (h1->json, "id"));
  r = admin ("GET", bad, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "attendee.id"), ==, evil->id);
  eva_test_response_free (r);

  r = admin ("GET", "/api/v1/admin/events/00000000-0000-4000-8000-000000000000/bookings", NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = admin ("GET", "/api/v1/admin/bookings/00000000-0000-4000-8000-000000000000", NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = admin ("POST", "/api/v1/admin/bookings/00000000-0000-4000-8000-000000000000/cancel", NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
}

/* ------------------------------------------------------------------ */
/* Bad input and roles                                                */
/* ------------------------------------------------------------------ */

static void
test_bad_input (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":100,\"capacity\":10}");
  g_autoptr(Buyer) b = make_buyer_on (server, "bad", TRUE);
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  const char *bodies[] = {
    "{",
    "[]",
    "{}",
    "{\"event_id\":42,\"items\":[]}",
    "{\"event_id\":\"%E\",\"items\":\"x\"}",
    "{\"event_id\":\"%E\",\"items\":[]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":0}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":-1}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":99999999999999999999}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1e400}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1.5}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":\"1\"}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1001}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"x' OR 1=1 --\",\"quantity\":1}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1,\"x\":1}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1},"
      "{\"ticket_type_id\":\"%T\",\"quantity\":1}]}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1}],\"extra\":true}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1}],\"coupon_code\":5}",
    "{\"event_id\":\"%E\",\"items\":[{\"ticket_type_id\":\"%T\",\"quantity\":1}],\"coupon_code\":\"a\\u0000b\"}",
  };
  EvaTestResponse *r;

  publish (event);
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *a = NULL;
      g_autofree char *body = NULL;
      g_auto(GStrv) parts = g_strsplit (bodies[i], "%E", -1);

      a = g_strjoinv (event, parts);
      g_strfreev (parts);
      parts = g_strsplit (a, "%T", -1);
      body = g_strjoinv (type, parts);
      r = http_full (server, NULL, "POST", "/api/v1/bookings", b, "k", NULL, NULL, body);
      if (r->status != 400)
        g_error ("body %s: status %u %s", body, r->status, r->body);
      eva_test_response_free (r);
    }
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 0);

  /* No session; a staff token is no attendee session. */
  r = hold_on (server, NULL, NULL, NULL, event, type, 1, NULL);
  g_assert_cmpuint (r->status, ==, 401);
  eva_test_response_free (r);
  r = http_full (server, NULL, "GET", "/api/v1/me/bookings", NULL, NULL, NULL, organizer, NULL);
  g_assert_cmpuint (r->status, ==, 401);
  eva_test_response_free (r);
  /* Door staff may not read bookings; attendees have no bearer. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/bookings", event);

    r = http_full (server, NULL, "GET", path, NULL, NULL, NULL, door, NULL);
    eva_test_assert_error (r, 403, NULL);
    eva_test_response_free (r);
    r = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 401);
    eva_test_response_free (r);
  }
  r = http_full (server, NULL, "GET", "/api/v1/me/bookings?limit=0", b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 400, "validation_failed");
  eva_test_response_free (r);
  r = http_full (server, NULL, "GET", "/api/v1/me/bookings?cursor=%25%25", b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 400, "validation_failed");
  eva_test_response_free (r);
  r = http_full (server, NULL, "GET", "/api/v1/me/bookings/00000000-0000-4000-8000-000000000000",
                 b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = http_full (server, NULL, "GET", "/api/v1/me/bookings/not-a-uuid", b, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (r->status, ==, 404);
  eva_test_response_free (r);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  server = eva_test_server_start (NULL);
  organizer = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/bookings/hold", test_hold_basic);
  g_test_add_func ("/bookings/idempotency", test_idempotency);
  g_test_add_func ("/bookings/refusals", test_refusals);
  g_test_add_func ("/bookings/refusals-basket", test_refusals_basket);
  g_test_add_func ("/bookings/free-and-cancel", test_free_and_cancel);
  g_test_add_func ("/bookings/expiry", test_expiry);
  g_test_add_func ("/bookings/lifecycle", test_lifecycle);
  g_test_add_func ("/bookings/limits/default-per-attendee", test_default_per_attendee);
  g_test_add_func ("/bookings/limits/open-holds", test_open_holds);
  g_test_add_func ("/bookings/limits/throttle", test_hold_throttle);
  g_test_add_func ("/bookings/batch/queues", test_batch_queues);
  g_test_add_func ("/bookings/admin/list", test_admin_list);
  g_test_add_func ("/bookings/bad-input", test_bad_input);
  g_test_add_func ("/bookings/concurrent/capacity", test_concurrent_capacity);
  g_test_add_func ("/bookings/concurrent/coupon", test_concurrent_coupon);
  g_test_add_func ("/bookings/concurrent/coupon-mixed", test_concurrent_coupon_mixed);
  g_test_add_func ("/bookings/concurrent/quantities", test_concurrent_quantities);
  g_test_add_func ("/bookings/concurrent/one-attendee", test_concurrent_one_attendee);
  g_test_add_func ("/bookings/concurrent/open-holds", test_concurrent_open_holds);
  g_test_add_func ("/bookings/concurrent/delete-type", test_delete_race);
  g_test_add_func ("/bookings/concurrent/wrong-event", test_concurrent_wrong_event);
  g_test_add_func ("/bookings/concurrent/two-processes", test_two_processes);
  g_test_add_func ("/bookings/concurrent/sigkill", test_sigkill);

  ret = g_test_run ();
  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
