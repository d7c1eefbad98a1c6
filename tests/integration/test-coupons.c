/* test-coupons.c: coupon CRUD, pricing and rounding, the public quote,
 * coupon refusals at hold time, and uses given back on expiry/cancel
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "services/attendees.h"
#include "services/pricing.h"


static EvaTestResponse *
make_coupon (const char *event,
             const char *json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event);

  return admin ("POST", path, json);
}

static EvaTestResponse *
quote (const char *event,
       const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/public/events/%s/quote", event);

  return http_full (server, NULL, "POST", path, NULL, NULL, NULL, NULL, body);
}

/* The discount of the line for @type_id. */
static gint64
line_discount (JsonNode   *root,
               const char *type_id)
{
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("items.%u.ticket_type_id", i);
      g_autofree char *d = g_strdup_printf ("items.%u.discount", i);

      if (!eva_test_json_has (root, id))
        break;
      if (g_str_equal (eva_test_json_string (root, id), type_id))
        return eva_test_json_int (root, d);
    }
  g_assert_not_reached ();
  return -1;
}

/* ------------------------------------------------------------------ */
/* CRUD                                                               */
/* ------------------------------------------------------------------ */

static void
test_crud (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *other_event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"GA\",\"price\":1000,\"capacity\":10}");
  g_autofree char *foreign = make_type (other_event, "{\"name\":\"GA\",\"price\":1000,\"capacity\":10}");
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *list = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event);
  g_autoptr(EvaTestResponse) created = NULL;
  EvaTestResponse *r;
  const char *id;

  body = g_strdup_printf ("{\"code\":\"Summer-10\",\"kind\":\"percent\",\"percent\":10,"
                          "\"max_uses\":5,\"max_uses_per_attendee\":1,\"min_order\":500,"
                          "\"valid_from\":\"2020-01-01T00:00:00Z\",\"valid_until\":\"2035-01-01T00:00:00Z\","
                          "\"ticket_type_ids\":[\"%s\"],\"unlocks_hidden\":true}", type);
  created = make_coupon (event, body);
  eva_test_assert_status (created, 201);
  id = eva_test_json_string (created->json, "id");
  g_assert_cmpstr (eva_test_json_string (created->json, "code"), ==, "Summer-10");
  g_assert_cmpstr (eva_test_json_string (created->json, "kind"), ==, "percent");
  g_assert_cmpint (eva_test_json_int (created->json, "percent"), ==, 10);
  g_assert_cmpint (eva_test_json_int (created->json, "max_uses"), ==, 5);
  g_assert_cmpint (eva_test_json_int (created->json, "uses"), ==, 0);
  g_assert_cmpint (eva_test_json_int (created->json, "min_order"), ==, 500);
  g_assert_cmpstr (eva_test_json_string (created->json, "currency"), ==, "EUR");
  g_assert_cmpstr (eva_test_json_string (created->json, "ticket_type_ids.0"), ==, type);
  g_assert_true (eva_test_json_bool (created->json, "unlocks_hidden"));
  g_assert_nonnull (eva_test_header (created, "Location"));
  assert_sql (server->pg, "SELECT count(*) FROM audit_log WHERE action = 'coupon.create'"
                                 " AND target_id = $1", id, "1");

  /* Case-insensitive per event; another event may reuse it. */
  r = make_coupon (event, "{\"code\":\"SUMMER-10\",\"kind\":\"fixed\",\"amount\":100}");
  eva_test_assert_error (r, 409, "code_taken");
  eva_test_response_free (r);
  r = make_coupon (other_event, "{\"code\":\"SUMMER-10\",\"kind\":\"fixed\",\"amount\":100}");
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  /* Restricted types must belong to the event. */
  g_free (body);
  body = g_strdup_printf ("{\"code\":\"X\",\"kind\":\"fixed\",\"amount\":100,"
                          "\"ticket_type_ids\":[\"%s\"]}", foreign);
  r = make_coupon (event, body);
  eva_test_assert_error (r, 422, "unknown_ticket_type");
  eva_test_response_free (r);

  r = admin ("GET", list, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.id"), ==, id);
  g_assert_false (eva_test_json_has (r->json, "items.1"));
  eva_test_response_free (r);

  path = g_strdup_printf ("/api/v1/admin/coupons/%s", id);
  r = admin ("PATCH", path, "{\"kind\":\"fixed\",\"amount\":250,\"max_uses\":null,"
                            "\"ticket_type_ids\":[],\"valid_until\":null}");
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "kind"), ==, "fixed");
  g_assert_cmpint (eva_test_json_int (r->json, "amount"), ==, 250);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "percent")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "max_uses")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "valid_until")));
  g_assert_false (eva_test_json_has (r->json, "ticket_type_ids.0"));
  eva_test_response_free (r);
  r = admin ("PATCH", path, "{\"percent\":5}");
  eva_test_assert_error (r, 400, "validation_failed");
  eva_test_response_free (r);
  r = admin ("PATCH", path, "{\"valid_from\":\"2036-01-01T00:00:00Z\",\"valid_until\":\"2035-01-01T00:00:00Z\"}");
  eva_test_assert_error (r, 400, "validation_failed");
  eva_test_response_free (r);
  r = admin ("GET", path, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "amount"), ==, 250);
  eva_test_response_free (r);

  r = admin ("DELETE", path, NULL);
  eva_test_assert_status (r, 204);
  eva_test_response_free (r);
  r = admin ("GET", path, NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = admin ("DELETE", path, NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
}

static void
test_bad_input (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *free_event = NULL;
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *list = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event);
  const char *bodies[] = {
    "{",
    "[]",
    "{}",
    "{\"code\":\"A\"}",
    "{\"code\":\"A\",\"kind\":\"percent\"}",
    "{\"code\":\"A\",\"kind\":\"percent\",\"percent\":0}",
    "{\"code\":\"A\",\"kind\":\"percent\",\"percent\":101}",
    "{\"code\":\"A\",\"kind\":\"percent\",\"percent\":10,\"amount\":5}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":0}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":-5}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":99999999999999999999}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":1e400}",
    "{\"code\":\"A\",\"kind\":\"gift\",\"amount\":5}",
    "{\"code\":\"\",\"kind\":\"fixed\",\"amount\":5}",
    "{\"code\":\"a b\",\"kind\":\"fixed\",\"amount\":5}",
    "{\"code\":\"x' OR 1=1\",\"kind\":\"fixed\",\"amount\":5}",
    "{\"code\":\"a\\u0000b\",\"kind\":\"fixed\",\"amount\":5}",
    "{\"code\":12,\"kind\":\"fixed\",\"amount\":5}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"uses\":3}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"bogus\":3}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"max_uses\":-1}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"max_uses_per_attendee\":0}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"ticket_type_ids\":[\"nope\"]}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"ticket_type_ids\":\"x\"}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"valid_from\":\"yesterday\"}",
    "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5,\"unlocks_hidden\":\"yes\"}",
    "{\"code\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
      "\"kind\":\"fixed\",\"amount\":5}",
  };
  EvaTestResponse *r;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      r = admin ("POST", list, bodies[i]);
      if (r->status != 400)
        g_error ("body %s: status %u %s", bodies[i], r->status, r->body);
      eva_test_response_free (r);
    }

  /* A fixed amount needs the event's currency. */
  {
    g_autofree char *body = g_strdup_printf (
      "{\"title\":\"Free %d\",\"timezone\":\"UTC\",\"starts_at\":\"2030-01-01T10:00:00Z\","
      "\"ends_at\":\"2030-01-01T12:00:00Z\"}", g_atomic_int_add (&serial, 1));
    g_autoptr(EvaTestResponse) e = admin ("POST", "/api/v1/admin/events", body);

    eva_test_assert_status (e, 201);
    free_event = g_strdup (eva_test_json_string (e->json, "id"));
  }
  r = make_coupon (free_event, "{\"code\":\"F\",\"kind\":\"fixed\",\"amount\":5}");
  eva_test_assert_error (r, 422, "currency_required");
  eva_test_response_free (r);

  r = make_coupon ("00000000-0000-4000-8000-000000000000", "{\"code\":\"F\",\"kind\":\"percent\",\"percent\":5}");
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = admin ("GET", "/api/v1/admin/events/00000000-0000-4000-8000-000000000000/coupons", NULL);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = admin ("PATCH", "/api/v1/admin/coupons/00000000-0000-4000-8000-000000000000", "{\"min_order\":1}");
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);

  r = http_full (server, NULL, "GET", list, NULL, NULL, NULL, door, NULL);
  eva_test_assert_error (r, 403, NULL);
  eva_test_response_free (r);
  r = http_full (server, NULL, "POST", list, NULL, NULL, NULL, NULL,
                 "{\"code\":\"A\",\"kind\":\"fixed\",\"amount\":5}");
  g_assert_cmpuint (r->status, ==, 401);
  eva_test_response_free (r);
}

/* ------------------------------------------------------------------ */
/* Pricing and quote                                                  */
/* ------------------------------------------------------------------ */

static void
test_quote_rounding (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *a = make_type (event, "{\"name\":\"A\",\"price\":333,\"capacity\":10,\"sort_order\":1}");
  g_autofree char *b = make_type (event, "{\"name\":\"B\",\"price\":1,\"capacity\":10,\"sort_order\":2}");
  g_autofree char *c = make_type (event, "{\"name\":\"C\",\"price\":2,\"capacity\":10,\"sort_order\":3}");
  g_autofree char *body = NULL;
  EvaTestResponse *r;

  publish (event);
  r = make_coupon (event, "{\"code\":\"TEN\",\"kind\":\"percent\",\"percent\":10}");
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"HALF\",\"kind\":\"percent\",\"percent\":50}");
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"BIG\",\"kind\":\"fixed\",\"amount\":100000}");
  eva_test_response_free (r);
  {
    g_autofree char *cb = g_strdup_printf ("{\"code\":\"ONLYC\",\"kind\":\"percent\",\"percent\":50,"
                                           "\"ticket_type_ids\":[\"%s\"],\"min_order\":3}", c);

    r = make_coupon (event, cb);
    eva_test_assert_status (r, 201);
    eva_test_response_free (r);
  }

  /* 3 × 333 = 999 at 10 %: 99.9 → 100 (half up on the order). */
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":3}],\"coupon_code\":\"ten\"}", a);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "subtotal"), ==, 999);
  g_assert_cmpint (eva_test_json_int (r->json, "discount"), ==, 100);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 899);
  g_assert_cmpint (eva_test_json_int (r->json, "items.0.line_total"), ==, 899);
  g_assert_cmpstr (eva_test_json_string (r->json, "coupon_code"), ==, "TEN");
  eva_test_response_free (r);

  /* 1 + 2 at 50 %: 1.5 → 2, split by largest remainder 2×1/3=0.67, 2×2/3=1.33 → 1, 1. */
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1},"
                          "{\"ticket_type_id\":\"%s\",\"quantity\":1}],\"coupon_code\":\"HALF\"}", b, c);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "subtotal"), ==, 3);
  g_assert_cmpint (eva_test_json_int (r->json, "discount"), ==, 2);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 1);
  g_assert_cmpint (eva_test_json_int (r->json, "items.0.discount") +
                   eva_test_json_int (r->json, "items.1.discount"), ==, 2);
  g_assert_cmpint (line_discount (r->json, b), ==, 1);
  g_assert_cmpint (line_discount (r->json, c), ==, 1);
  eva_test_response_free (r);

  /* A fixed amount above the order: total 0, never negative. */
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":2}],\"coupon_code\":\"big\"}", a);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "discount"), ==, 666);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 0);
  eva_test_response_free (r);

  /* Restricted to C: only C's line is discounted. */
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1},"
                          "{\"ticket_type_id\":\"%s\",\"quantity\":3}],\"coupon_code\":\"ONLYC\"}", a, c);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "discount"), ==, 3);
  g_assert_cmpint (line_discount (r->json, a), ==, 0);
  g_assert_cmpint (line_discount (r->json, c), ==, 3);
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}],\"coupon_code\":\"ONLYC\"}", a);
  r = quote (event, body);
  eva_test_assert_error (r, 422, "coupon_invalid");
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}],\"coupon_code\":\"ONLYC\"}", c);
  r = quote (event, body);
  eva_test_assert_error (r, 422, "coupon_min_order");
  eva_test_response_free (r);

  /* No coupon, sold out, bad input, unknown event. */
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":2}]}", b);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 2);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "coupon_code")));
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":11}]}", b);
  r = quote (event, body);
  g_assert_cmpuint (r->status, ==, 422);  /* max_per_order (10) comes first */
  eva_test_response_free (r);
  r = quote (event, "{}");
  eva_test_assert_error (r, 400, "validation_failed");
  eva_test_response_free (r);
  r = quote (event, "{\"event_id\":\"x\",\"items\":[]}");
  eva_test_assert_error (r, 400, "validation_failed");
  eva_test_response_free (r);
  r = quote ("00000000-0000-4000-8000-000000000000", body);
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  /* Nothing was held. */
  assert_sql (server->pg, "SELECT sum(held + sold) FROM ticket_types WHERE event_id = $1::uuid",
                                 event, "0");
}

/* The quote's unlocked_ticket_types are exactly the ids given (in order). */
static void assert_unlocked (EvaTestResponse *r, ...) G_GNUC_NULL_TERMINATED;

static void
assert_unlocked (EvaTestResponse *r,
                 ...)
{
  JsonNode *list = eva_test_json_get (r->json, "unlocked_ticket_types");
  va_list ap;
  guint n = 0;

  g_assert_nonnull (list);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (list));
  va_start (ap, r);
  for (const char *id = va_arg (ap, const char *); id != NULL; id = va_arg (ap, const char *))
    {
      g_autofree char *path = g_strdup_printf ("unlocked_ticket_types.%u", n);
      g_autofree char *id_path = g_strdup_printf ("%s.id", path);
      g_autofree char *held = g_strdup_printf ("%s.held", path);
      g_autofree char *hidden = g_strdup_printf ("%s.hidden", path);
      g_autofree char *available = g_strdup_printf ("%s.available", path);

      g_assert_cmpstr (eva_test_json_string (r->json, id_path), ==, id);
      /* Shown like the public event's ticket types: no held/sold counts. */
      g_assert_false (eva_test_json_has (r->json, held));
      g_assert_true (eva_test_json_bool (r->json, hidden));
      g_assert_true (eva_test_json_has (r->json, available));
      n++;
    }
  va_end (ap);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, n);
}

/* A quote without items checks the event and the coupon and lists the
 * hidden ticket types the coupon unlocks; holding one needs the code. */
static void
test_quote_unlocks (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *draft = make_event (NULL);
  g_autofree char *ga = make_type (event, "{\"name\":\"GA\",\"price\":1000,\"capacity\":10,"
                                          "\"sort_order\":0}");
  g_autofree char *vip = make_type (event, "{\"name\":\"VIP\",\"price\":5000,\"capacity\":3,"
                                           "\"sort_order\":2,\"hidden\":true}");
  g_autofree char *backstage = make_type (event, "{\"name\":\"Backstage\",\"price\":8000,"
                                                 "\"capacity\":2,\"sort_order\":1,\"hidden\":true}");
  g_autofree char *press = make_type (event, "{\"name\":\"Press\",\"price\":0,\"capacity\":5,"
                                             "\"sort_order\":3,\"hidden\":true}");
  g_autoptr(Buyer) b = make_buyer_on (server, "unlock", TRUE);
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  EvaTestResponse *r;
  struct { const char *code; guint status; const char *error; const char *why; } refused[] = {
    { "NOPE", 422, "coupon_invalid", "unknown" },
    { "OLD", 422, "coupon_invalid", "expired" },
    { "SOON", 422, "coupon_invalid", "not_yet_valid" },
    { "GONE", 422, "coupon_exhausted", "used_up" },
  };
  const char *bad[] = {
    "{}", "{\"items\":null}", "{\"items\":{}}", "{\"items\":[{}]}", "{\"items\":[],\"extra\":1}",
    "{\"items\":[],\"coupon_code\":5}", "{\"items\":[],\"event_id\":\"x\"}",
  };

  publish (event);
  body = g_strdup_printf ("{\"code\":\"OPEN\",\"kind\":\"percent\",\"percent\":10,"
                          "\"unlocks_hidden\":true,\"ticket_type_ids\":[\"%s\",\"%s\",\"%s\"]}",
                          vip, ga, backstage);
  r = make_coupon (event, body);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"ALL\",\"kind\":\"percent\",\"percent\":5,"
                          "\"unlocks_hidden\":true}");
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"code\":\"PLAIN\",\"kind\":\"fixed\",\"amount\":100,"
                          "\"ticket_type_ids\":[\"%s\"]}", vip);
  r = make_coupon (event, body);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"code\":\"MIN\",\"kind\":\"fixed\",\"amount\":100,"
                          "\"min_order\":100000,\"unlocks_hidden\":true,"
                          "\"ticket_type_ids\":[\"%s\"]}", vip);
  r = make_coupon (event, body);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"OLD\",\"kind\":\"percent\",\"percent\":5,"
                          "\"unlocks_hidden\":true,\"valid_until\":\"2021-01-01T00:00:00Z\"}");
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"SOON\",\"kind\":\"percent\",\"percent\":5,"
                          "\"unlocks_hidden\":true,\"valid_from\":\"2034-01-01T00:00:00Z\"}");
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"GONE\",\"kind\":\"percent\",\"percent\":5,"
                          "\"unlocks_hidden\":true,\"max_uses\":0}");
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  /* The public event shows none of the hidden types. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/public/events/%s", event);
  r = http_full (server, NULL, "GET", path, NULL, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "ticket_types.0.id"), ==, ga);
  g_assert_false (eva_test_json_has (r->json, "ticket_types.1"));
  eva_test_response_free (r);

  /* No items, no coupon: nothing to price, nothing unlocked. */
  r = quote (event, "{\"items\":[]}");
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "subtotal"), ==, 0);
  g_assert_cmpint (eva_test_json_int (r->json, "discount"), ==, 0);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 0);
  g_assert_false (eva_test_json_has (r->json, "items.0"));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "coupon_code")));
  assert_unlocked (r, NULL);
  eva_test_response_free (r);
  r = quote (event, "{\"items\":[],\"coupon_code\":null}");
  eva_test_assert_status (r, 200);
  assert_unlocked (r, NULL);
  eva_test_response_free (r);

  /* Exactly the hidden types the code opens, in the public order. */
  r = quote (event, "{\"items\":[],\"coupon_code\":\"open\"}");
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "coupon_code"), ==, "OPEN");
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 0);
  g_assert_false (eva_test_json_has (r->json, "items.0"));
  assert_unlocked (r, backstage, vip, NULL);
  g_assert_cmpstr (eva_test_json_string (r->json, "unlocked_ticket_types.1.name"), ==, "VIP");
  g_assert_cmpint (eva_test_json_int (r->json, "unlocked_ticket_types.1.price"), ==, 5000);
  g_assert_cmpint (eva_test_json_int (r->json, "unlocked_ticket_types.1.available"), ==, 3);
  eva_test_response_free (r);
  r = quote (event, "{\"items\":[],\"coupon_code\":\"ALL\"}");
  eva_test_assert_status (r, 200);
  assert_unlocked (r, backstage, vip, press, NULL);
  eva_test_response_free (r);
  /* Not applicable to anything yet and below its minimum: still fine. */
  r = quote (event, "{\"items\":[],\"coupon_code\":\"MIN\"}");
  eva_test_assert_status (r, 200);
  assert_unlocked (r, vip, NULL);
  eva_test_response_free (r);
  /* A valid coupon that does not unlock hidden types. */
  r = quote (event, "{\"items\":[],\"coupon_code\":\"PLAIN\"}");
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "coupon_code"), ==, "PLAIN");
  assert_unlocked (r, NULL);
  eva_test_response_free (r);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_free (body);
      body = g_strdup_printf ("{\"items\":[],\"coupon_code\":\"%s\"}", refused[i].code);
      r = quote (event, body);
      eva_test_assert_error (r, refused[i].status, refused[i].error);
      g_assert_cmpstr (eva_test_json_string (r->json, "error.details.coupon_code"), ==,
                       refused[i].why);
      g_assert_false (eva_test_json_has (r->json, "unlocked_ticket_types"));
      eva_test_response_free (r);
    }

  /* Every successful quote lists them, with items too. */
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}],"
                          "\"coupon_code\":\"OPEN\"}", ga);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 900);
  assert_unlocked (r, backstage, vip, NULL);
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":2}],"
                          "\"coupon_code\":\"OPEN\"}", vip);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (eva_test_json_int (r->json, "subtotal"), ==, 10000);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 9000);
  assert_unlocked (r, backstage, vip, NULL);
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}]}", ga);
  r = quote (event, body);
  eva_test_assert_status (r, 200);
  assert_unlocked (r, NULL);
  eva_test_response_free (r);
  /* With items, the other checks are back. */
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}],"
                          "\"coupon_code\":\"PLAIN\"}", ga);
  r = quote (event, body);
  eva_test_assert_error (r, 422, "coupon_invalid");
  g_assert_cmpstr (eva_test_json_string (r->json, "error.details.coupon_code"), ==, "not_applicable");
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}],"
                          "\"coupon_code\":\"MIN\"}", vip);
  r = quote (event, body);
  eva_test_assert_error (r, 422, "coupon_min_order");
  eva_test_response_free (r);
  g_free (body);
  body = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}],"
                          "\"coupon_code\":\"OPEN\"}", press);
  r = quote (event, body);
  eva_test_assert_error (r, 422, "hidden_type");
  eva_test_response_free (r);

  /* Bad input stays 4xx; unknown and draft events are not found. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      r = quote (event, bad[i]);
      eva_test_assert_error (r, 400, "validation_failed");
      eva_test_response_free (r);
    }
  {
    g_autoptr(GString) many = g_string_new ("{\"items\":[");

    for (guint i = 0; i < 21; i++)
      g_string_append_printf (many, "%s{\"ticket_type_id\":\"00000000-0000-4000-8000-%012u\","
                                    "\"quantity\":1}", i ? "," : "", i);
    g_string_append (many, "]}");
    r = quote (event, many->str);
    eva_test_assert_error (r, 400, "validation_failed");
    eva_test_response_free (r);
  }
  r = quote ("00000000-0000-4000-8000-000000000000", "{\"items\":[],\"coupon_code\":\"OPEN\"}");
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = quote (draft, "{\"items\":[]}");
  eva_test_assert_error (r, 404, "not_found");
  eva_test_response_free (r);
  r = quote ("not-an-id", "{\"items\":[]}");
  g_assert_cmpuint (r->status, >=, 400);
  g_assert_cmpuint (r->status, <, 500);
  eva_test_response_free (r);

  /* Quotes held nothing. */
  assert_sql (server->pg, "SELECT sum(held + sold) FROM ticket_types WHERE event_id = $1::uuid",
              event, "0");

  /* The unlocked type can be held with the code, not without it. */
  r = hold (b, event, vip, 1, NULL);
  eva_test_assert_error (r, 422, "hidden_type");
  eva_test_response_free (r);
  r = hold (b, event, press, 1, "OPEN");
  eva_test_assert_error (r, 422, "hidden_type");
  eva_test_response_free (r);
  r = hold (b, event, vip, 1, "open");
  eva_test_assert_status (r, 201);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "held");
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.ticket_type_id"), ==, vip);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 4500);
  eva_test_response_free (r);

  /* Availability follows: two VIP left. */
  r = quote (event, "{\"items\":[],\"coupon_code\":\"OPEN\"}");
  eva_test_assert_status (r, 200);
  assert_unlocked (r, backstage, vip, NULL);
  g_assert_cmpint (eva_test_json_int (r->json, "unlocked_ticket_types.1.available"), ==, 2);
  eva_test_response_free (r);
  assert_invariant (server->pg);
}

/* services/pricing.c directly: the rounding rules. */
static void
test_pricing (void)
{
  EvaPriceTotals t;

  {
    /* 0.5 rounds up: 5 at 10 % = 0.5 → 1 */
    EvaPriceLine l[] = { { 5, 1, TRUE } };

    g_assert_true (eva_pricing_compute (l, 1, EVA_DISCOUNT_PERCENT, 10, &t));
    g_assert_cmpint (t.discount, ==, 1);
    g_assert_cmpint (t.total, ==, 4);
  }
  {
    /* 0.49 rounds down: 49 at 1 % = 0.49 → 0 */
    EvaPriceLine l[] = { { 49, 1, TRUE } };

    g_assert_true (eva_pricing_compute (l, 1, EVA_DISCOUNT_PERCENT, 1, &t));
    g_assert_cmpint (t.discount, ==, 0);
  }
  {
    /* 100 % over three equal lines: 100 → 34, 33, 33 (earlier line wins the tie) */
    EvaPriceLine l[] = { { 33, 1, TRUE }, { 33, 1, TRUE }, { 34, 1, TRUE } };

    g_assert_true (eva_pricing_compute (l, 3, EVA_DISCOUNT_FIXED, 100, &t));
    g_assert_cmpint (t.discount, ==, 100);
    g_assert_cmpint (t.total, ==, 0);
    g_assert_cmpint (l[0].discount + l[1].discount + l[2].discount, ==, 100);
    g_assert_cmpint (l[0].line_total, ==, 0);
    g_assert_cmpint (l[2].line_total, ==, 0);
  }
  {
    /* 10 off 3 equal lines of 100: 3.33 each → 4, 3, 3 */
    EvaPriceLine l[] = { { 100, 1, TRUE }, { 100, 1, TRUE }, { 100, 1, TRUE } };

    g_assert_true (eva_pricing_compute (l, 3, EVA_DISCOUNT_FIXED, 10, &t));
    g_assert_cmpint (l[0].discount, ==, 4);
    g_assert_cmpint (l[1].discount, ==, 3);
    g_assert_cmpint (l[2].discount, ==, 3);
  }
  {
    /* Only eligible lines, never below zero, fixed above the eligible part */
    EvaPriceLine l[] = { { 1000, 2, FALSE }, { 150, 1, TRUE } };

    g_assert_true (eva_pricing_compute (l, 2, EVA_DISCOUNT_FIXED, 500, &t));
    g_assert_cmpint (t.subtotal, ==, 2150);
    g_assert_cmpint (t.eligible, ==, 150);
    g_assert_cmpint (t.discount, ==, 150);
    g_assert_cmpint (t.total, ==, 2000);
    g_assert_cmpint (l[0].discount, ==, 0);
    g_assert_cmpint (l[1].line_total, ==, 0);
  }
  {
    /* Overflow is refused, not wrapped */
    EvaPriceLine l[] = { { G_MAXINT64 / 2, 3, FALSE } };

    g_assert_false (eva_pricing_compute (l, 1, EVA_DISCOUNT_NONE, 0, &t));
  }
  {
    /* No coupon: no discount, free lines fine */
    EvaPriceLine l[] = { { 0, 4, FALSE }, { 250, 2, FALSE } };

    g_assert_true (eva_pricing_compute (l, 2, EVA_DISCOUNT_NONE, 0, &t));
    g_assert_cmpint (t.total, ==, 500);
    g_assert_cmpint (t.discount, ==, 0);
  }
}

/* ------------------------------------------------------------------ */
/* Holds with coupons                                                 */
/* ------------------------------------------------------------------ */

static void
test_hold_coupons (void)
{
  g_autofree char *event = make_event ("\"hold_minutes\":1");
  g_autofree char *ga = make_type (event, "{\"name\":\"GA\",\"price\":1000,\"capacity\":20}");
  g_autofree char *crew = make_type (event, "{\"name\":\"Crew\",\"price\":500,\"capacity\":5,\"hidden\":true}");
  g_autoptr(Buyer) b = make_buyer_on (server, "cpn", TRUE);
  g_autoptr(Buyer) b2 = make_buyer_on (server, "cpn2", TRUE);
  g_autoptr(Buyer) b3 = make_buyer_on (server, "cpn3", TRUE);
  g_autoptr(EvaTestResponse) h1 = NULL;
  g_autofree char *coupon_id = NULL;
  g_autofree char *path = NULL;
  EvaTestResponse *r;

  publish (event);
  r = make_coupon (event, "{\"code\":\"ONCE\",\"kind\":\"fixed\",\"amount\":250,\"max_uses\":2,"
                          "\"max_uses_per_attendee\":1}");
  eva_test_assert_status (r, 201);
  coupon_id = g_strdup (eva_test_json_string (r->json, "id"));
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"CREW\",\"kind\":\"percent\",\"percent\":100,\"unlocks_hidden\":true}");
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"OLD\",\"kind\":\"percent\",\"percent\":5,"
                          "\"valid_until\":\"2021-01-01T00:00:00Z\"}");
  eva_test_response_free (r);
  r = make_coupon (event, "{\"code\":\"SOON\",\"kind\":\"percent\",\"percent\":5,"
                          "\"valid_from\":\"2034-01-01T00:00:00Z\"}");
  eva_test_response_free (r);

  h1 = hold (b, event, ga, 2, "once");
  eva_test_assert_status (h1, 201);
  g_assert_cmpint (eva_test_json_int (h1->json, "discount"), ==, 250);
  g_assert_cmpint (eva_test_json_int (h1->json, "total"), ==, 1750);
  g_assert_cmpstr (eva_test_json_string (h1->json, "coupon_code"), ==, "ONCE");
  g_assert_cmpint (sql_int (server->pg, "SELECT uses FROM coupons WHERE id = $1::uuid", coupon_id), ==, 1);

  r = hold (b, event, ga, 1, "ONCE");
  eva_test_assert_error (r, 422, "coupon_exhausted");   /* per attendee */
  eva_test_response_free (r);
  r = hold (b2, event, ga, 1, "ONCE");
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  r = hold (b3, event, ga, 1, "ONCE");
  eva_test_assert_error (r, 422, "coupon_exhausted");   /* max_uses */
  eva_test_response_free (r);
  r = hold (b3, event, ga, 1, "OLD");
  eva_test_assert_error (r, 422, "coupon_invalid");
  eva_test_response_free (r);
  r = hold (b3, event, ga, 1, "SOON");
  eva_test_assert_error (r, 422, "coupon_invalid");
  eva_test_response_free (r);

  /* Hidden: refused without the code, free (and confirmed) with it. */
  r = hold (b3, event, crew, 1, NULL);
  eva_test_assert_error (r, 422, "hidden_type");
  eva_test_response_free (r);
  r = hold (b3, event, crew, 1, "CREW");
  eva_test_assert_status (r, 201);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "confirmed");
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 0);
  eva_test_response_free (r);

  /* Expiry gives the use back: b3 may now use ONCE. */
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET expires_at = now() - interval '1 second'"
                                    " WHERE id = $1::uuid RETURNING 1",
                        eva_test_json_string (h1->json, "id"), NULL));
  path = g_strdup_printf ("/api/v1/me/bookings/%s", eva_test_json_string (h1->json, "id"));
  r = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "expired");
  eva_test_response_free (r);
  g_assert_cmpint (sql_int (server->pg, "SELECT uses FROM coupons WHERE id = $1::uuid", coupon_id), ==, 1);
  r = hold (b3, event, ga, 1, "ONCE");
  eva_test_assert_status (r, 201);
  g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 750);
  /* Cancel gives it back too. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", eva_test_json_string (r->json, "id"));
  eva_test_response_free (r);
  r = http_full (server, NULL, "POST", path, b3, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  eva_test_response_free (r);
  g_assert_cmpint (sql_int (server->pg, "SELECT uses FROM coupons WHERE id = $1::uuid", coupon_id), ==, 1);

  /* max_uses cannot go below the uses counted. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/coupons/%s", coupon_id);
  r = admin ("PATCH", path, "{\"max_uses\":0}");
  eva_test_assert_error (r, 409, "max_uses_below_uses");
  eva_test_response_free (r);
  assert_invariant (server->pg);
}

/* Guessing codes through the public quote is throttled per address; known
 * codes are not counted, however often they are re-priced. */
static void
test_quote_guessing (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"A\",\"price\":1000,\"capacity\":10}");
  g_autofree char *known = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":1}],"
                                            "\"coupon_code\":\"REAL\"}", type);
  EvaTestResponse *r;

  publish (event);
  /* Earlier tests of this file guessed too: start from a clean count. */
  g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits WHERE key LIKE 'att:coupon:%'", NULL));
  r = make_coupon (event, "{\"code\":\"REAL\",\"kind\":\"percent\",\"percent\":10}");
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  for (guint i = 0; i < 40; i++)
    {
      r = quote (event, known);
      eva_test_assert_status (r, 200);
      eva_test_response_free (r);
    }

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"items\":[],\"coupon_code\":\"GUESS%u\"}", i);

      r = quote (event, body);
      eva_test_assert_error (r, 422, "coupon_invalid");
      eva_test_response_free (r);
    }

  /* The 31st unknown code, and now any code, waits for the hour to pass. */
  r = quote (event, "{\"items\":[],\"coupon_code\":\"GUESS30\"}");
  eva_test_assert_error (r, 429, "too_many_attempts");
  g_assert_cmpint (atoi (eva_test_header (r, "Retry-After")), >, 3000);
  eva_test_response_free (r);
  r = quote (event, known);
  eva_test_assert_error (r, 429, "too_many_attempts");
  eva_test_response_free (r);

  /* Without a code the quote still prices. */
  {
    g_autofree char *plain = g_strdup_printf ("{\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":2}]}",
                                              type);

    r = quote (event, plain);
    eva_test_assert_status (r, 200);
    g_assert_cmpint (eva_test_json_int (r->json, "total"), ==, 2000);
    eva_test_response_free (r);
  }

  /* A window that has passed counts again from zero. */
  g_free (eva_test_sql (server->pg, "UPDATE rate_limits SET window_start = now () - interval '2 hours'"
                                    " WHERE key LIKE 'att:coupon:%'", NULL));
  r = quote (event, known);
  eva_test_assert_status (r, 200);
  eva_test_response_free (r);
  g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits WHERE key LIKE 'att:coupon:%'", NULL));
}

/* Guessing codes by holding is throttled the same way, against the same
 * count: quotes and holds together get no more than either alone. */
static void
test_hold_guessing (void)
{
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"A\",\"price\":1000,\"capacity\":10}");
  g_autoptr(Buyer) b = make_buyer_on (server, "guesser", TRUE);
  g_autoptr(Buyer) b2 = make_buyer_on (server, "guesser2", TRUE);
  EvaTestResponse *r;

  publish (event);
  g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits WHERE key LIKE 'att:coupon:%'", NULL));
  r = make_coupon (event, "{\"code\":\"REAL\",\"kind\":\"percent\",\"percent\":10}");
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  /* Known codes cost nothing. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *key = g_strdup_printf ("known-%u", i);

      r = hold_on (server, NULL, b, key, event, type, 1, "REAL");
      eva_test_assert_status (r, 201);
      eva_test_response_free (r);
    }

  /* 15 unknown codes by quote, 15 by hold (two accounts, one address). */
  for (guint i = 0; i < 15; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"items\":[],\"coupon_code\":\"Q%u\"}", i);
      g_autofree char *code = g_strdup_printf ("H%u", i);

      r = quote (event, body);
      eva_test_assert_error (r, 422, "coupon_invalid");
      eva_test_response_free (r);
      r = hold (i % 2 ? b : b2, event, type, 1, code);
      eva_test_assert_error (r, 422, "coupon_invalid");
      g_assert_cmpstr (eva_test_json_string (r->json, "error.details.coupon_code"), ==, "unknown");
      eva_test_response_free (r);
    }

  /* The 31st: refused either way, whatever the code, for the hour. */
  r = hold (b2, event, type, 1, "H15");
  eva_test_assert_error (r, 429, "too_many_attempts");
  g_assert_cmpint (atoi (eva_test_header (r, "Retry-After")), >, 3000);
  g_assert_cmpint (eva_test_json_int (r->json, "error.details.retry_after"), >, 3000);
  eva_test_response_free (r);
  r = hold (b2, event, type, 1, "REAL");
  eva_test_assert_error (r, 429, "too_many_attempts");
  eva_test_response_free (r);
  r = quote (event, "{\"items\":[],\"coupon_code\":\"REAL\"}");
  eva_test_assert_error (r, 429, "too_many_attempts");
  eva_test_response_free (r);
  /* Without a code, holds go on. */
  r = hold (b2, event, type, 1, NULL);
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);

  g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits WHERE key LIKE 'att:coupon:%'", NULL));
  r = hold (b2, event, type, 1, "REAL");
  eva_test_assert_status (r, 201);
  eva_test_response_free (r);
  assert_invariant (server->pg);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  server = eva_test_server_start (NULL);
  organizer = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/coupons/crud", test_crud);
  g_test_add_func ("/coupons/bad-input", test_bad_input);
  g_test_add_func ("/coupons/pricing", test_pricing);
  g_test_add_func ("/coupons/quote-rounding", test_quote_rounding);
  g_test_add_func ("/coupons/quote-unlocks", test_quote_unlocks);
  g_test_add_func ("/coupons/holds", test_hold_coupons);
  g_test_add_func ("/coupons/quote-guessing", test_quote_guessing);
  g_test_add_func ("/coupons/hold-guessing", test_hold_guessing);

  ret = g_test_run ();
  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
