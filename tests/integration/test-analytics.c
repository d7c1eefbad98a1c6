/* test-analytics.c: the organizer's figures checked against what the test
 * itself sold, paid, refunded, cancelled and checked in — coupons, two
 * currencies, day and hour buckets at both DST changes — the summary with
 * its day range, the CSV exports read by Python's csv module, and every
 * bad parameter refused with 400
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"

static char *door;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static EvaTestResponse *
get (const char *token,
     const char *path)
{
  return http_full (server, NULL, "GET", path, NULL, NULL, NULL, token, NULL);
}

static EvaTestResponse *
analytics (const char *event,
           const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/analytics%s", event, query ? query : "");

  return get (organizer, path);
}

static void
post_ok (const char *path,
         const char *body)
{
  g_autoptr(EvaTestResponse) r = admin ("POST", path, body);

  if (r->status >= 300)
    g_error ("POST %s: %u %s", path, r->status, r->body);
}

/* A booking of @n of @type (with @coupon), confirmed to pay at the door. */
static char *
at_door (const char *event,
         const char *type,
         int         n,
         const char *coupon)
{
  g_autoptr(Buyer) b = make_buyer_on (server, "fan", TRUE);
  g_autoptr(EvaTestResponse) h = hold (b, event, type, n, coupon);
  g_autoptr(EvaTestResponse) c = NULL;
  g_autofree char *path = NULL;
  char *id;

  eva_test_assert_status (h, 201);
  id = g_strdup (eva_test_json_string (h->json, "id"));
  path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", id);
  c = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, "{\"method\":\"at_door\"}");
  eva_test_assert_status (c, 200);
  g_assert_cmpstr (eva_test_json_string (c->json, "booking.status"), ==, "confirmed");
  return id;
}

static void
mark_paid (const char *booking,
           gint64      amount)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", booking);
  g_autofree char *body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"paid_on\":\"2026-03-28\"}", amount);

  post_ok (path, body);
}

static void
refund (const char *booking,
        const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", booking);

  post_ok (path, body);
}

static void
confirmed_at (const char *booking,
              const char *instant)
{
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET confirmed_at = $2::timestamptz"
                                    " WHERE id = $1::uuid RETURNING id", booking, instant, NULL));
}

/* Admits the first valid ticket of @booking; returns the check-in's id. */
static char *
check_in (const char *booking,
          const char *list)
{
  g_autofree char *code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE booking_id = $1::uuid"
                                                    " AND status = 'valid' ORDER BY seq LIMIT 1", booking, NULL);
  g_autofree char *nonce = g_uuid_string_random ();
  g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\",\"list_id\":\"%s\",\"nonce\":\"%s\",\"type\":\"entry\"}",
                                           code, list, nonce);
  g_autoptr(EvaTestResponse) r = eva_test_request (server, "POST", "/api/v1/admin/checkin/redeem", door,
                                                   "application/json", body, -1);

  eva_test_assert_status (r, 200);
  if (g_strcmp0 (eva_test_json_string (r->json, "status"), "ok") != 0)
    g_error ("check-in refused: %s", r->body);
  return g_strdup (eva_test_json_string (r->json, "checkin_id"));
}

/* The start, as an ISO instant in UTC, of the local day (Europe/Berlin)
 * holding @instant: computed with GLib's zone data, not the server's. */
static char *
local_day_start (const char *instant)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) t = g_date_time_new_from_iso8601 (instant, NULL);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (t, tz);
  g_autoptr(GDateTime) midnight = g_date_time_new (tz, g_date_time_get_year (local),
                                                   g_date_time_get_month (local),
                                                   g_date_time_get_day_of_month (local), 0, 0, 0);
  g_autoptr(GDateTime) utc = g_date_time_to_utc (midnight);

  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S+00:00");
}

static JsonObject *
find (JsonNode   *root,
      const char *array,
      const char *member,
      const char *value)
{
  JsonArray *a = json_node_get_array (eva_test_json_get (root, array));

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (o, member, NULL), value) == 0)
        return o;
    }
  return NULL;
}

/* Parses @csv with Python's csv module; returns its rows as JSON. */
static JsonNode *
parse_csv (const char *csv)
{
  static const char script[] =
    "import csv, io, json, sys\n"
    "data = sys.stdin.buffer.read().decode('utf-8')\n"
    "assert data.endswith('\\r\\n'), 'rows end in CRLF'\n"
    "print(json.dumps(list(csv.reader(io.StringIO(data, newline=''), strict=True))))\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                                  &error, eva_test_python (), "-c", script, NULL);
  g_autoptr(GBytes) in = g_bytes_new (csv, strlen (csv));
  g_autoptr(GBytes) out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_no_error (error);
  g_subprocess_communicate (proc, in, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (out, NULL), g_bytes_get_size (out), &error));
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static const char *
cell (JsonNode *rows,
      guint     row,
      guint     col)
{
  JsonArray *r = json_array_get_array_element (json_node_get_array (rows), row);

  return json_array_get_string_element (r, col);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *event, *early, *regular, *list;
  char *b1, *b2, *b3, *b4, *b5, *b6;
} Sales;

static Sales sales;

/* Sold by the test, with what it expects written down as it goes. */
static void
seed_sales (void)
{
  g_autoptr(EvaTestResponse) coupon = NULL;
  g_autoptr(Buyer) holder = make_buyer_on (server, "holder", TRUE);
  g_autofree char *path = NULL;
  g_autofree char *cancel = NULL;

  sales.event = make_event ("\"payment_methods\":[\"at_door\"]");
  sales.early = make_type (sales.event, "{\"name\":\"=Early bird\",\"price\":1000,\"capacity\":100}");
  sales.regular = make_type (sales.event, "{\"name\":\"Regular\",\"price\":2500,\"capacity\":50}");
  path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", sales.event);
  coupon = admin ("POST", path, "{\"code\":\"SAVE10\",\"kind\":\"percent\",\"percent\":10}");
  eva_test_assert_status (coupon, 201);
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", sales.event);
  post_ok (path, "{\"code\":\"UNUSED\",\"kind\":\"fixed\",\"amount\":100}");
  publish (sales.event);
  sales.list = eva_test_sql (server->pg, "SELECT id FROM checkin_lists WHERE event_id = $1::uuid AND is_default",
                             sales.event, NULL);

  /* b1: 2 early, paid 20.00, 5.00 refunded; confirmed 23:30 CET on 28 March. */
  sales.b1 = at_door (sales.event, sales.early, 2, NULL);
  mark_paid (sales.b1, 2000);
  refund (sales.b1, "{\"amount\":500,\"reason\":\"requested_by_customer\"}");
  confirmed_at (sales.b1, "2026-03-28T22:30:00Z");
  /* b2: 1 regular with SAVE10 (25.00 - 2.50), paid; 00:30 CET on the 29th. */
  sales.b2 = at_door (sales.event, sales.regular, 1, "SAVE10");
  mark_paid (sales.b2, 2250);
  confirmed_at (sales.b2, "2026-03-28T23:30:00Z");
  /* b3: 3 regular, paid and refunded in full; 23:30 CEST on the 29th (a day of 23 hours). */
  sales.b3 = at_door (sales.event, sales.regular, 3, NULL);
  mark_paid (sales.b3, 7500);
  refund (sales.b3, "{\"reason\":\"requested_by_customer\"}");
  confirmed_at (sales.b3, "2026-03-29T21:30:00Z");
  /* b4: 1 early, only held. */
  sales.b4 = hold_id (holder, sales.event, sales.early, 1);
  /* b5: 1 early, confirmed, then cancelled by staff without a refund. */
  sales.b5 = at_door (sales.event, sales.early, 1, NULL);
  cancel = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", sales.b5);
  post_ok (cancel, NULL);
  /* b6: 1 regular, unpaid, in another currency; 00:30 CEST on the 30th. */
  sales.b6 = at_door (sales.event, sales.regular, 1, NULL);
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET currency = 'USD' WHERE id = $1::uuid RETURNING id",
                        sales.b6, NULL));
  confirmed_at (sales.b6, "2026-03-29T22:30:00Z");
  /* Two of b1's and b2's tickets are checked in, one of them twice. */
  g_free (check_in (sales.b1, sales.list));
  g_free (check_in (sales.b2, sales.list));
}

static void
test_event_figures (void)
{
  g_autoptr(EvaTestResponse) r = analytics (sales.event, NULL);
  JsonObject *early, *regular, *save10, *unused, *usd, *eur, *door_m;
  gint64 sum_tickets = 0, sum_gross = 0;
  JsonArray *sot;
  const char *expected_buckets[3];
  g_autofree char *d1 = local_day_start ("2026-03-28T22:30:00Z");
  g_autofree char *d2 = local_day_start ("2026-03-28T23:30:00Z");
  g_autofree char *d3 = local_day_start ("2026-03-29T22:30:00Z");
  g_autofree char *d2b = local_day_start ("2026-03-29T21:30:00Z");

  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "currency"), ==, "EUR");
  g_assert_false (eva_test_json_bool (r->json, "single_currency"));
  g_assert_cmpstr (eva_test_json_string (r->json, "timezone"), ==, "Europe/Berlin");
  g_assert_cmpstr (eva_test_json_string (r->json, "bucket"), ==, "day");

  /* Inventory: early 2 sold (b5 given back), 1 held; regular b2 + b6. */
  g_assert_cmpint (eva_test_json_int (r->json, "tickets.capacity"), ==, 150);
  g_assert_cmpint (eva_test_json_int (r->json, "tickets.sold"), ==, 4);
  g_assert_cmpint (eva_test_json_int (r->json, "tickets.held"), ==, 1);

  /* EUR money: gross b1 20 + b2 25 + b3 75; discount 2.50; refunds 5 + 75. */
  g_assert_cmpint (eva_test_json_int (r->json, "revenue.gross"), ==, 2000 + 2500 + 7500);
  g_assert_cmpint (eva_test_json_int (r->json, "revenue.discounts"), ==, 250);
  g_assert_cmpint (eva_test_json_int (r->json, "revenue.refunds"), ==, 500 + 7500);
  g_assert_cmpint (eva_test_json_int (r->json, "revenue.net"), ==, 12000 - 250 - 8000);
  eur = find (r->json, "revenue_by_currency", "currency", "EUR");
  usd = find (r->json, "revenue_by_currency", "currency", "USD");
  g_assert_nonnull (eur);
  g_assert_nonnull (usd);
  g_assert_cmpint (json_object_get_int_member (eur, "net"), ==, 3750);
  g_assert_cmpint (json_object_get_int_member (usd, "gross"), ==, 2500);
  g_assert_cmpint (json_object_get_int_member (usd, "net"), ==, 2500);

  early = find (r->json, "by_type", "ticket_type_id", sales.early);
  regular = find (r->json, "by_type", "ticket_type_id", sales.regular);
  g_assert_cmpint (json_object_get_int_member (early, "sold"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (early, "held"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (early, "gross"), ==, 2000);
  g_assert_cmpint (json_object_get_int_member (regular, "sold"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (regular, "capacity"), ==, 50);
  g_assert_cmpint (json_object_get_int_member (regular, "gross"), ==, 2500 + 7500);
  g_assert_cmpint (json_object_get_int_member (regular, "discounts"), ==, 250);
  g_assert_cmpint (json_object_get_int_member (regular, "refunded"), ==, 3);

  save10 = find (r->json, "coupons", "code", "SAVE10");
  unused = find (r->json, "coupons", "code", "UNUSED");
  g_assert_cmpint (json_object_get_int_member (save10, "uses"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (save10, "discount"), ==, 250);
  g_assert_cmpint (json_object_get_int_member (unused, "uses"), ==, 0);

  /* Confirmed EUR bookings: b1 and b2, both paid at the door. */
  door_m = find (r->json, "payment_methods", "method", "at_door");
  g_assert_cmpint (json_object_get_int_member (door_m, "bookings"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (door_m, "total"), ==, 2000 + 2250);
  g_assert_cmpint (json_object_get_int_member (door_m, "paid"), ==, 2000 + 2250);

  g_assert_cmpint (json_object_get_int_member (find (r->json, "bookings_by_status", "status", "confirmed"), "bookings"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (find (r->json, "bookings_by_status", "status", "refunded"), "bookings"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (find (r->json, "bookings_by_status", "status", "cancelled"), "bookings"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (find (r->json, "bookings_by_status", "status", "held"), "bookings"), ==, 1);

  g_assert_cmpint (eva_test_json_int (r->json, "cancellations.cancelled_bookings"), ==, 1);
  g_assert_cmpint (eva_test_json_int (r->json, "cancellations.cancelled_tickets"), ==, 1);
  g_assert_cmpint (eva_test_json_int (r->json, "cancellations.refunded_bookings"), ==, 1);
  g_assert_cmpint (eva_test_json_int (r->json, "cancellations.refunded_tickets"), ==, 3);
  g_assert_cmpint (eva_test_json_int (r->json, "cancellations.refunds_made"), ==, 2);
  g_assert_cmpint (eva_test_json_int (r->json, "cancellations.refunds"), ==, 8000);

  /* Valid tickets: b1 2, b2 1, b6 1; two checked in. */
  g_assert_cmpint (eva_test_json_int (r->json, "checkins.expected"), ==, 4);
  g_assert_cmpint (eva_test_json_int (r->json, "checkins.checked_in"), ==, 2);
  g_assert_cmpfloat (json_node_get_double (eva_test_json_get (r->json, "checkins.rate")), ==, 0.5);
  g_assert_cmpint (eva_test_json_int (r->json, "checkins_over_time.0.checked_in"), ==, 2);

  /* Days in Berlin across the change to summer time on 29 March 2026. */
  g_assert_cmpstr (d2, ==, d2b);
  g_assert_cmpstr (d1, ==, "2026-03-27T23:00:00+00:00");
  g_assert_cmpstr (d3, ==, "2026-03-29T22:00:00+00:00");
  expected_buckets[0] = d1;
  expected_buckets[1] = d2;
  expected_buckets[2] = d3;
  sot = json_node_get_array (eva_test_json_get (r->json, "sales_over_time"));
  g_assert_cmpuint (json_array_get_length (sot), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *b = json_array_get_object_element (sot, i);

      g_assert_cmpstr (json_object_get_string_member (b, "bucket_start"), ==, expected_buckets[i]);
      sum_tickets += json_object_get_int_member (b, "tickets");
      sum_gross += json_object_get_int_member (b, "gross");
    }
  g_assert_cmpint (eva_test_json_int (r->json, "sales_over_time.0.tickets"), ==, 2);
  g_assert_cmpint (eva_test_json_int (r->json, "sales_over_time.1.tickets"), ==, 4);
  g_assert_cmpint (eva_test_json_int (r->json, "sales_over_time.1.gross"), ==, 2500 + 7500);
  g_assert_cmpint (eva_test_json_int (r->json, "sales_over_time.2.gross"), ==, 0);   /* USD */
  g_assert_cmpint (sum_tickets, ==, 2 + 1 + 3 + 1);
  g_assert_cmpint (sum_gross, ==, eva_test_json_int (r->json, "revenue.gross"));

  /* The same sums straight from the tables. */
  g_assert_cmpint (eva_test_json_int (r->json, "revenue.gross"), ==,
                   sql_int (server->pg, "SELECT sum(subtotal) FROM bookings WHERE event_id = $1::uuid"
                                        " AND status IN ('confirmed', 'refunded') AND currency = 'EUR'", sales.event));
  g_assert_cmpint (eva_test_json_int (r->json, "revenue.refunds"), ==,
                   sql_int (server->pg, "SELECT sum(r.amount) FROM refunds r JOIN bookings b ON b.id = r.booking_id"
                                        " WHERE b.event_id = $1::uuid", sales.event));
}

static void
test_week_and_hour (void)
{
  g_autoptr(EvaTestResponse) week = analytics (sales.event, "?bucket=week");
  g_autoptr(EvaTestResponse) hour = analytics (sales.event, "?bucket=hour");

  eva_test_assert_status (week, 200);
  /* Monday 23 March 00:00 CET and Monday 30 March 00:00 CEST. */
  g_assert_cmpstr (eva_test_json_string (week->json, "sales_over_time.0.bucket_start"), ==, "2026-03-22T23:00:00+00:00");
  g_assert_cmpint (eva_test_json_int (week->json, "sales_over_time.0.tickets"), ==, 6);
  g_assert_cmpstr (eva_test_json_string (week->json, "sales_over_time.1.bucket_start"), ==, "2026-03-29T22:00:00+00:00");
  eva_test_assert_status (hour, 200);
  g_assert_cmpstr (eva_test_json_string (hour->json, "sales_over_time.0.bucket_start"), ==, "2026-03-28T22:00:00+00:00");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (hour->json, "sales_over_time"))), ==, 4);
}

/* The hour repeated when clocks go back is two buckets, the day one. */
static void
test_dst_fall_back (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"Free\",\"price\":0,\"capacity\":10}");
  g_autoptr(Buyer) a = make_buyer_on (server, "a", TRUE);
  g_autoptr(Buyer) b = make_buyer_on (server, "b", TRUE);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(EvaTestResponse) hour = NULL;
  g_autoptr(EvaTestResponse) day = NULL;
  g_autofree char *day_start = local_day_start ("2026-10-25T00:30:00Z");

  publish (event);
  first = hold_id (a, event, type, 1);
  second = hold_id (b, event, type, 2);
  assert_sql (server->pg, "SELECT status FROM bookings WHERE id = $1::uuid", first, "confirmed");
  /* Both 02:30 on the wall clock of 25 October 2026 in Berlin. */
  confirmed_at (first, "2026-10-25T00:30:00Z");
  confirmed_at (second, "2026-10-25T01:30:00Z");
  hour = analytics (event, "?bucket=hour");
  eva_test_assert_status (hour, 200);
  g_assert_cmpstr (eva_test_json_string (hour->json, "currency"), ==, "EUR");
  g_assert_true (eva_test_json_bool (hour->json, "single_currency"));
  g_assert_cmpstr (eva_test_json_string (hour->json, "sales_over_time.0.bucket_start"), ==, "2026-10-25T00:00:00+00:00");
  g_assert_cmpint (eva_test_json_int (hour->json, "sales_over_time.0.tickets"), ==, 1);
  g_assert_cmpstr (eva_test_json_string (hour->json, "sales_over_time.1.bucket_start"), ==, "2026-10-25T01:00:00+00:00");
  g_assert_cmpint (eva_test_json_int (hour->json, "sales_over_time.1.tickets"), ==, 2);
  day = analytics (event, NULL);
  g_assert_cmpstr (day_start, ==, "2026-10-24T22:00:00+00:00");
  g_assert_cmpstr (eva_test_json_string (day->json, "sales_over_time.0.bucket_start"), ==, day_start);
  g_assert_cmpint (eva_test_json_int (day->json, "sales_over_time.0.tickets"), ==, 3);
  g_assert_cmpint (eva_test_json_int (day->json, "revenue.gross"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (day->json, "sales_over_time"))), ==, 1);
}

static void
test_summary (void)
{
  g_autoptr(EvaTestResponse) all = get (organizer, "/api/v1/admin/analytics/events?from=2030-06-01&to=2030-06-01");
  g_autoptr(EvaTestResponse) later = get (organizer, "/api/v1/admin/analytics/events?from=2030-06-02");
  g_autoptr(EvaTestResponse) before = get (organizer, "/api/v1/admin/analytics/events?to=2030-05-31");
  JsonObject *mine, *eur;

  eva_test_assert_status (all, 200);
  mine = find (all->json, "events", "event_id", sales.event);
  g_assert_nonnull (mine);
  g_assert_cmpint (json_object_get_int_member (mine, "sold"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (mine, "capacity"), ==, 150);
  g_assert_cmpint (json_object_get_int_member (mine, "gross"), ==, 12000);
  g_assert_cmpint (json_object_get_int_member (mine, "net"), ==, 3750);
  g_assert_cmpint (json_object_get_int_member (mine, "checked_in"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (mine, "expected"), ==, 4);
  g_assert_cmpfloat (json_object_get_double_member (mine, "checkin_rate"), ==, 0.5);
  eur = find (all->json, "totals_by_currency", "currency", "EUR");
  g_assert_nonnull (eur);
  g_assert_cmpint (json_object_get_int_member (eur, "gross"), >=, 12000);
  g_assert_null (find (all->json, "totals_by_currency", "currency", "USD"));

  eva_test_assert_status (later, 200);
  g_assert_null (find (later->json, "events", "event_id", sales.event));
  eva_test_assert_status (before, 200);
  g_assert_null (find (before->json, "events", "event_id", sales.event));
}

static void
test_csv (void)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/analytics?table=by_type", sales.event);
  g_autofree char *sales_path = g_strdup_printf ("/api/v1/admin/events/%s/analytics?format=csv&table=sales", sales.event);
  g_autoptr(EvaTestResponse) r = http_full (server, NULL, "GET", path, NULL, NULL, "text/csv", organizer, NULL);
  g_autoptr(EvaTestResponse) s = get (organizer, sales_path);
  g_autoptr(EvaTestResponse) sum = get (organizer, "/api/v1/admin/analytics/events?format=csv");
  g_autoptr(JsonNode) rows = NULL;
  g_autoptr(JsonNode) srows = NULL;
  g_autoptr(JsonNode) sumrows = NULL;

  eva_test_assert_status (r, 200);
  g_assert_true (g_str_has_prefix (eva_test_header (r, "Content-Type"), "text/csv"));
  g_assert_nonnull (strstr (eva_test_header (r, "Content-Disposition"), "analytics-by_type-"));
  rows = parse_csv (r->body);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (rows)), ==, 3);
  g_assert_cmpstr (cell (rows, 0, 0), ==, "ticket_type_id");
  g_assert_cmpstr (cell (rows, 0, 7), ==, "gross");
  /* A name that a spreadsheet would run is neutralised. */
  g_assert_cmpstr (cell (rows, 1, 1), ==, "'=Early bird");
  g_assert_cmpstr (cell (rows, 1, 7), ==, "2000");
  g_assert_cmpstr (cell (rows, 2, 1), ==, "Regular");
  g_assert_cmpstr (cell (rows, 2, 7), ==, "10000");
  g_assert_cmpstr (cell (rows, 2, 9), ==, "EUR");

  eva_test_assert_status (s, 200);
  srows = parse_csv (s->body);
  g_assert_cmpstr (cell (srows, 0, 1), ==, "local");
  g_assert_cmpstr (cell (srows, 1, 1), ==, "2026-03-28 00:00");
  g_assert_cmpstr (cell (srows, 1, 3), ==, "'=Early bird");
  g_assert_cmpstr (cell (srows, 1, 4), ==, "2");

  eva_test_assert_status (sum, 200);
  sumrows = parse_csv (sum->body);
  g_assert_cmpstr (cell (sumrows, 0, 0), ==, "event_id");
  g_assert_cmpstr (cell (sumrows, 0, 13), ==, "checkin_rate");
  {
    gboolean found = FALSE;

    for (guint i = 1; i < json_array_get_length (json_node_get_array (sumrows)); i++)
      if (g_strcmp0 (cell (sumrows, i, 0), sales.event) == 0)
        {
          g_assert_true (g_str_has_prefix (cell (sumrows, i, 1), "Concert "));
          g_assert_cmpstr (cell (sumrows, i, 10), ==, "3750");
          g_assert_cmpstr (cell (sumrows, i, 13), ==, "0.5000");
          found = TRUE;
        }
    g_assert_true (found);
  }
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sumrows)), >=, 2);
}

static void
test_bad_input (void)
{
  static const char * const bad_event[] = {
    "?bucket=month", "?bucket=", "?bucket=HOUR", "?format=xml", "?table=bookings",
    "?bucket=day&bucket=x", "?format=csv&table=by_type%20",
  };
  static const char * const bad_summary[] = {
    "?from=2026-13-01", "?to=2026-02-30", "?from=2026-1-1", "?from=2026-05-02&to=2026-05-01",
    "?from=yesterday", "?to=2026-05-01T00:00:00Z", "?format=pdf", "?table=by_type", "?from=0000-01-01",
  };
  g_autofree char *unknown = g_uuid_string_random ();

  for (guint i = 0; i < G_N_ELEMENTS (bad_event); i++)
    {
      g_autoptr(EvaTestResponse) r = analytics (sales.event, bad_event[i]);

      if (g_str_equal (bad_event[i], "?bucket="))
        eva_test_assert_status (r, 200);   /* empty means the default */
      else if (r->status != 400)
        g_error ("%s: %u %s", bad_event[i], r->status, r->body);
      else
        eva_test_assert_error (r, 400, "validation_failed");
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_summary); i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/admin/analytics/events", bad_summary[i], NULL);
      g_autoptr(EvaTestResponse) r = get (organizer, path);

      if (r->status != 400)
        g_error ("%s: %u %s", bad_summary[i], r->status, r->body);
      eva_test_assert_error (r, 400, "validation_failed");
    }
  {
    g_autoptr(EvaTestResponse) r = analytics ("not-a-uuid", NULL);
    g_autoptr(EvaTestResponse) n = analytics (unknown, NULL);
    g_autoptr(EvaTestResponse) c = analytics (unknown, "?format=csv");
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/analytics", sales.event);
    g_autoptr(EvaTestResponse) d = get (door, path);
    g_autoptr(EvaTestResponse) anon = get (NULL, path);
    g_autoptr(EvaTestResponse) ds = get (door, "/api/v1/admin/analytics/events");

    eva_test_assert_error (r, 404, "not_found");
    eva_test_assert_error (n, 404, "not_found");
    eva_test_assert_error (c, 404, "not_found");
    eva_test_assert_status (d, 403);
    eva_test_assert_status (anon, 401);
    eva_test_assert_status (ds, 403);
  }
}

static gint64
checked_in_now (void)
{
  g_autoptr(EvaTestResponse) r = analytics (sales.event, NULL);

  eva_test_assert_status (r, 200);
  /* Always what the check-ins themselves say. */
  g_assert_cmpint (eva_test_json_int (r->json, "checkins.checked_in"), ==,
                   sql_int (server->pg, "SELECT count(DISTINCT ticket_id) FROM checkins WHERE event_id = $1::uuid"
                                        " AND status = 'ok' AND kind = 'entry' AND undone_at IS NULL", sales.event));
  return eva_test_json_int (r->json, "checkins.checked_in");
}

/* Admissions undone and made again move the count; an earlier admission
 * uploaded later moves the ticket to its bucket. */
static void
test_checkins_follow (void)
{
  g_autofree char *id = NULL;
  g_autofree char *undo = NULL;
  g_autoptr(EvaTestResponse) undone = NULL;
  g_autoptr(EvaTestResponse) r = NULL;

  g_assert_cmpint (checked_in_now (), ==, 2);
  /* b6 is still to pay at the door. */
  g_free (eva_test_sql (server->pg, "UPDATE checkin_lists SET allow_unpaid = true WHERE id = $1::uuid RETURNING id",
                        sales.list, NULL));
  id = check_in (sales.b6, sales.list);
  g_assert_cmpint (checked_in_now (), ==, 3);
  undo = g_strdup_printf ("/api/v1/admin/checkins/%s/undo", id);
  undone = eva_test_request (server, "POST", undo, door, NULL, NULL, -1);
  eva_test_assert_status (undone, 200);
  g_assert_cmpint (checked_in_now (), ==, 2);

  /* An admission a day earlier than the others, straight in the table. */
  g_free (eva_test_sql (server->pg, "UPDATE checkins SET undone_at = NULL, scanned_at = '2026-03-01T12:00:00Z'"
                                    " WHERE id = $1::uuid RETURNING id", id, NULL));
  r = analytics (sales.event, NULL);
  g_assert_cmpint (eva_test_json_int (r->json, "checkins.checked_in"), ==, 3);
  g_assert_cmpstr (eva_test_json_string (r->json, "checkins_over_time.0.bucket_start"), ==, "2026-02-28T23:00:00+00:00");
  g_assert_cmpint (eva_test_json_int (r->json, "checkins_over_time.0.checked_in"), ==, 1);
  g_free (eva_test_sql (server->pg, "DELETE FROM checkins WHERE id = $1::uuid RETURNING id", id, NULL));
  g_assert_cmpint (checked_in_now (), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  server = eva_test_server_start (NULL);
  organizer = eva_test_token_for_role (server, "organizer");
  door = eva_test_token_for_role (server, "door_staff");
  seed_sales ();

  g_test_add_func ("/analytics/event-figures", test_event_figures);
  g_test_add_func ("/analytics/week-and-hour", test_week_and_hour);
  g_test_add_func ("/analytics/dst-fall-back", test_dst_fall_back);
  g_test_add_func ("/analytics/summary", test_summary);
  g_test_add_func ("/analytics/csv", test_csv);
  g_test_add_func ("/analytics/bad-input", test_bad_input);
  g_test_add_func ("/analytics/checkins-follow", test_checkins_follow);

  ret = g_test_run ();
  g_free (door);
  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
