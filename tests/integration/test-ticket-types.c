/* test-ticket-types.c: /api/v1/admin/events/{id}/ticket-types and
 * /api/v1/admin/ticket-types/{id}
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-test.h"

static EvaTestServer *server;
static char *token;
static char *staff_id;

#define UNKNOWN_ID "00000000-0000-4000-8000-000000000000"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *
create_event (const char *extra)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_call (server, "POST", "/api/v1/admin/events", token,
                   "{\"title\":\"Ticket test\",\"timezone\":\"Europe/Berlin\","
                   "\"starts_at\":\"2031-05-01T19:00:00+02:00\","
                   "\"ends_at\":\"2031-05-01T23:00:00+02:00\"%s}", extra);

  eva_test_assert_status (resp, 201);
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static EvaTestResponse *
post_type (const char *event_id,
           const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);

  return eva_test_call (server, "POST", path, token, "%s", body);
}

static char *
create_type (const char *event_id,
             const char *body)
{
  g_autoptr(EvaTestResponse) resp = post_type (event_id, body);

  eva_test_assert_status (resp, 201);
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static EvaTestResponse *
type_call (const char *method,
           const char *id,
           const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/ticket-types/%s", id);

  if (body == NULL)
    return eva_test_call (server, method, path, token, NULL);
  return eva_test_call (server, method, path, token, "%s", body);
}

static EvaTestResponse *
event_action (const char *id,
              const char *action)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/%s", id, action);

  return eva_test_call (server, "POST", path, token, NULL);
}

static void
assert_field_error (EvaTestResponse *resp,
                    const char      *field,
                    const char      *problem)
{
  g_autofree char *path = g_strconcat ("error.details.", field, NULL);

  eva_test_assert_error (resp, 400, "validation_failed");
  if (!eva_test_json_has (resp->json, path))
    g_error ("expected a problem with %s: %s", field, resp->body);
  if (problem != NULL)
    g_assert_cmpstr (eva_test_json_string (resp->json, path), ==, problem);
}

static void
sql (const char *statement,
     const char *param)
{
  g_free (eva_test_sql (server->pg, statement, param, NULL));
}

/* ------------------------------------------------------------------ */
/* Create and read                                                    */
/* ------------------------------------------------------------------ */

static void
test_create (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autoptr(EvaTestResponse) resp =
    post_type (event, "{\"name\":\"Standard\",\"price\":2500,\"capacity\":100}");
  g_autoptr(EvaTestResponse) full = NULL;
  g_autofree char *location = NULL;
  g_autofree char *audit = NULL;
  const char *id;

  eva_test_assert_status (resp, 201);
  id = eva_test_json_string (resp->json, "id");
  location = g_strdup_printf ("/api/v1/admin/ticket-types/%s", id);
  g_assert_cmpstr (eva_test_header (resp, "Location"), ==, location);
  g_assert_cmpstr (eva_test_json_string (resp->json, "event_id"), ==, event);
  g_assert_cmpstr (eva_test_json_string (resp->json, "name"), ==, "Standard");
  g_assert_cmpstr (eva_test_json_string (resp->json, "description"), ==, "");
  g_assert_cmpint (eva_test_json_int (resp->json, "price"), ==, 2500);
  g_assert_cmpstr (eva_test_json_string (resp->json, "currency"), ==, "EUR");
  g_assert_cmpint (eva_test_json_int (resp->json, "capacity"), ==, 100);
  g_assert_cmpint (eva_test_json_int (resp->json, "held"), ==, 0);
  g_assert_cmpint (eva_test_json_int (resp->json, "sold"), ==, 0);
  g_assert_cmpint (eva_test_json_int (resp->json, "available"), ==, 100);
  g_assert_cmpint (eva_test_json_int (resp->json, "max_per_order"), ==, 10);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "max_per_attendee")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "sales_start")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "sales_end")));
  g_assert_false (eva_test_json_bool (resp->json, "hidden"));
  g_assert_cmpint (eva_test_json_int (resp->json, "sort_order"), ==, 0);
  /* Not on sale while the event is a draft. */
  g_assert_false (eva_test_json_bool (resp->json, "on_sale"));

  audit = eva_test_sql (server->pg,
                        "SELECT details ->> 'name' FROM audit_log WHERE action = 'ticket_type.create'"
                        " AND target_type = 'ticket_type' AND target_id = $1 AND actor_id = $2::uuid",
                        id, staff_id, NULL);
  g_assert_cmpstr (audit, ==, "Standard");

  {
    g_autoptr(EvaTestResponse) sneaky =
      post_type (event, "{\"name\":\"'); DROP TABLE ticket_types;--\",\"description\":\"%s $1 \\\\\","
                        "\"price\":0,\"capacity\":1}");
    g_autofree char *path = NULL;
    g_autoptr(EvaTestResponse) again = NULL;

    eva_test_assert_status (sneaky, 201);
    path = g_strdup_printf ("/api/v1/admin/ticket-types/%s", eva_test_json_string (sneaky->json, "id"));
    again = eva_test_call (server, "GET", path, token, NULL);
    g_assert_cmpstr (eva_test_json_string (again->json, "name"), ==, "'); DROP TABLE ticket_types;--");
    g_assert_cmpstr (eva_test_json_string (again->json, "description"), ==, "%s $1 \\");
  }

  full = post_type (event, "{\"name\":\"VIP 🥂\",\"description\":\"Front row\\nwith drinks\","
                           "\"price\":1000000000000,\"capacity\":10000000,"
                           "\"sales_start\":\"2030-01-01T00:00:00Z\",\"sales_end\":\"2031-05-01T12:00:00+02:00\","
                           "\"max_per_order\":100,\"max_per_attendee\":2,\"hidden\":true,\"sort_order\":-5}");
  eva_test_assert_status (full, 201);
  g_assert_cmpstr (eva_test_json_string (full->json, "name"), ==, "VIP 🥂");
  g_assert_cmpstr (eva_test_json_string (full->json, "description"), ==, "Front row\nwith drinks");
  g_assert_cmpint (eva_test_json_int (full->json, "price"), ==, G_GINT64_CONSTANT (1000000000000));
  g_assert_cmpint (eva_test_json_int (full->json, "capacity"), ==, 10000000);
  g_assert_cmpstr (eva_test_json_string (full->json, "sales_start"), ==, "2030-01-01T00:00:00+00:00");
  g_assert_cmpstr (eva_test_json_string (full->json, "sales_end"), ==, "2031-05-01T10:00:00+00:00");
  g_assert_cmpint (eva_test_json_int (full->json, "max_per_order"), ==, 100);
  g_assert_cmpint (eva_test_json_int (full->json, "max_per_attendee"), ==, 2);
  g_assert_true (eva_test_json_bool (full->json, "hidden"));
  g_assert_cmpint (eva_test_json_int (full->json, "sort_order"), ==, -5);
}

static void
test_create_validation (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autofree char *name_201 = g_strnfill (201, 'n');
  g_autofree char *description_5001 = g_strnfill (5001, 'd');
  g_autofree char *long_name = g_strdup_printf ("{\"name\":\"%s\",\"price\":0,\"capacity\":1}", name_201);
  g_autofree char *long_description =
    g_strdup_printf ("{\"name\":\"N\",\"description\":\"%s\",\"price\":0,\"capacity\":1}", description_5001);
  g_autofree char *count_before = NULL;
  g_autofree char *count_after = NULL;
  const struct {
    const char *body;
    const char *field;
    const char *problem;
  } cases[] = {
    { "{\"price\":0,\"capacity\":1}", "name", "is required" },
    { "{\"name\":\"\",\"price\":0,\"capacity\":1}", "name", NULL },
    { "{\"name\":\" \\t \",\"price\":0,\"capacity\":1}", "name", NULL },
    { "{\"name\":\"a\\nb\",\"price\":0,\"capacity\":1}", "name", NULL },
    { "{\"name\":null,\"price\":0,\"capacity\":1}", "name", NULL },
    { "{\"name\":1,\"price\":0,\"capacity\":1}", "name", "must be a string" },
    { long_name, "name", NULL },
    { long_description, "description", NULL },
    { "{\"name\":\"N\",\"capacity\":1}", "price", "is required" },
    { "{\"name\":\"N\",\"price\":-1,\"capacity\":1}", "price", NULL },
    { "{\"name\":\"N\",\"price\":1000000000001,\"capacity\":1}", "price", NULL },
    { "{\"name\":\"N\",\"price\":9223372036854775807,\"capacity\":1}", "price", NULL },
    { "{\"name\":\"N\",\"price\":-9223372036854775808,\"capacity\":1}", "price", NULL },
    { "{\"name\":\"N\",\"price\":12.5,\"capacity\":1}", "price", "must be a whole number" },
    { "{\"name\":\"N\",\"price\":\"100\",\"capacity\":1}", "price", "must be a number" },
    { "{\"name\":\"N\",\"price\":null,\"capacity\":1}", "price", NULL },
    { "{\"name\":\"N\",\"price\":0}", "capacity", "is required" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":-1}", "capacity", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":10000001}", "capacity", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"sales_start\":\"soon\"}", "sales_start", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"sales_end\":42}", "sales_end", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"sales_start\":\"2031-01-02T00:00:00Z\","
      "\"sales_end\":\"2031-01-01T00:00:00Z\"}", "sales_end", "must be after sales_start" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"sales_start\":\"2031-01-01T00:00:00Z\","
      "\"sales_end\":\"2031-01-01T01:00:00+01:00\"}", "sales_end", "must be after sales_start" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"max_per_order\":0}", "max_per_order", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"max_per_order\":101}", "max_per_order", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"max_per_order\":null}", "max_per_order", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"max_per_attendee\":0}", "max_per_attendee", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"hidden\":\"yes\"}", "hidden", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"hidden\":1}", "hidden", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"sort_order\":2147483648}", "sort_order", NULL },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"held\":0}", "held", "is read-only" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"sold\":5}", "sold", "is read-only" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"available\":5}", "available", "is read-only" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"event_id\":\"" UNKNOWN_ID "\"}", "event_id", "is read-only" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"currency\":\"USD\"}", "currency", "is read-only" },
    { "{\"name\":\"N\",\"price\":0,\"capacity\":1,\"colour\":\"red\"}", "colour", "unknown field" },
  };
  const char *bad_json[] = {
    "{\"name\":\"N\",\"price\":1e400,\"capacity\":1}",
    "{\"name\":\"N\",\"price\":99999999999999999999,\"capacity\":1}",
    "{\"name\":\"N\",\"price\":0,\"capacity\":-99999999999999999999}",
    "{\"name\":\"N\\u0000\",\"price\":0,\"capacity\":1}",
    "{\"name\":\"N\",\"price\":0,\"capacity\":1",
    "[{\"name\":\"N\",\"price\":0,\"capacity\":1}]",
  };

  count_before = eva_test_sql (server->pg, "SELECT count(*) FROM ticket_types", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) resp = post_type (event, cases[i].body);

      g_test_message ("body: %.100s", cases[i].body);
      assert_field_error (resp, cases[i].field, cases[i].problem);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_json); i++)
    {
      g_autoptr(EvaTestResponse) resp = post_type (event, bad_json[i]);

      g_test_message ("body: %s", bad_json[i]);
      g_assert_cmpuint (resp->status, ==, 400);
    }
  count_after = eva_test_sql (server->pg, "SELECT count(*) FROM ticket_types", NULL);
  g_assert_cmpstr (count_before, ==, count_after);
}

static void
test_create_rules (void)
{
  g_autofree char *no_currency = create_event ("");
  g_autoptr(EvaTestResponse) priced = post_type (no_currency, "{\"name\":\"Paid\",\"price\":1,\"capacity\":1}");
  g_autoptr(EvaTestResponse) free_ok = post_type (no_currency, "{\"name\":\"Free\",\"price\":0,\"capacity\":1}");
  g_autofree char *cancelled = create_event (",\"currency\":\"EUR\"");
  g_autoptr(EvaTestResponse) cancel = event_action (cancelled, "cancel");
  g_autoptr(EvaTestResponse) locked = post_type (cancelled, "{\"name\":\"Late\",\"price\":0,\"capacity\":1}");
  g_autoptr(EvaTestResponse) unknown = post_type (UNKNOWN_ID, "{\"name\":\"X\",\"price\":0,\"capacity\":1}");
  g_autoptr(EvaTestResponse) malformed = post_type ("123", "{\"name\":\"X\",\"price\":0,\"capacity\":1}");
  g_autofree char *published = create_event (",\"currency\":\"EUR\"");
  g_autofree char *first = create_type (published, "{\"name\":\"First\",\"price\":100,\"capacity\":1}");
  g_autoptr(EvaTestResponse) publish = event_action (published, "publish");
  g_autoptr(EvaTestResponse) later = NULL;

  eva_test_assert_error (priced, 422, "currency_required");
  g_assert_true (eva_test_json_has (priced->json, "error.details.price"));
  eva_test_assert_status (free_ok, 201);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (free_ok->json, "currency")));

  eva_test_assert_status (cancel, 200);
  eva_test_assert_error (locked, 409, "event_locked");
  g_assert_cmpstr (eva_test_json_string (locked->json, "error.details.status"), ==, "cancelled");
  eva_test_assert_error (unknown, 404, "not_found");
  eva_test_assert_error (malformed, 404, "not_found");

  /* Published events take new ticket types, which go on sale at once. */
  eva_test_assert_status (publish, 200);
  later = post_type (published, "{\"name\":\"Added later\",\"price\":100,\"capacity\":1}");
  eva_test_assert_status (later, 201);
  g_assert_true (eva_test_json_bool (later->json, "on_sale"));
  (void) first;
}

static void
test_list_and_get (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autofree char *c = create_type (event, "{\"name\":\"C\",\"price\":0,\"capacity\":1,\"sort_order\":2}");
  g_autofree char *b = create_type (event, "{\"name\":\"B\",\"price\":0,\"capacity\":1,\"sort_order\":1}");
  g_autofree char *a = create_type (event, "{\"name\":\"A\",\"price\":0,\"capacity\":1,\"sort_order\":1,\"hidden\":true}");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event);
  g_autoptr(EvaTestResponse) list = eva_test_call (server, "GET", path, token, NULL);
  g_autofree char *empty_event = create_event ("");
  g_autofree char *empty_path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", empty_event);
  g_autoptr(EvaTestResponse) empty = eva_test_call (server, "GET", empty_path, token, NULL);
  g_autoptr(EvaTestResponse) unknown_list =
    eva_test_call (server, "GET", "/api/v1/admin/events/" UNKNOWN_ID "/ticket-types", token, NULL);
  g_autoptr(EvaTestResponse) one = type_call ("GET", b, NULL);
  g_autoptr(EvaTestResponse) unknown = type_call ("GET", UNKNOWN_ID, NULL);
  g_autoptr(EvaTestResponse) malformed = type_call ("GET", "b", NULL);
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autoptr(EvaTestResponse) door_list = eva_test_call (server, "GET", path, door, NULL);
  g_autoptr(EvaTestResponse) anonymous = eva_test_call (server, "GET", path, NULL, NULL);

  eva_test_assert_status (list, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (list->json, "items"))), ==, 3);
  g_assert_cmpstr (eva_test_json_string (list->json, "items.0.id"), ==, a);
  g_assert_cmpstr (eva_test_json_string (list->json, "items.1.id"), ==, b);
  g_assert_cmpstr (eva_test_json_string (list->json, "items.2.id"), ==, c);

  eva_test_assert_status (empty, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (empty->json, "items"))), ==, 0);
  eva_test_assert_error (unknown_list, 404, "not_found");

  eva_test_assert_status (one, 200);
  g_assert_cmpstr (eva_test_json_string (one->json, "name"), ==, "B");
  eva_test_assert_error (unknown, 404, "not_found");
  eva_test_assert_error (malformed, 404, "not_found");
  eva_test_assert_error (door_list, 403, "forbidden");
  eva_test_assert_error (anonymous, 401, "unauthorized");
}

/* ------------------------------------------------------------------ */
/* Update                                                             */
/* ------------------------------------------------------------------ */

static void
test_update (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autofree char *id = create_type (event, "{\"name\":\"Early\",\"price\":1000,\"capacity\":50,"
                                            "\"max_per_attendee\":4}");
  g_autoptr(EvaTestResponse) rename = type_call ("PATCH", id, "{\"name\":\"Early bird\"}");
  g_autoptr(EvaTestResponse) window =
    type_call ("PATCH", id, "{\"sales_start\":\"2030-01-01T00:00:00Z\",\"sales_end\":\"2030-02-01T00:00:00Z\"}");
  g_autoptr(EvaTestResponse) bad_end = type_call ("PATCH", id, "{\"sales_end\":\"2029-12-31T00:00:00Z\"}");
  g_autoptr(EvaTestResponse) bad_start = type_call ("PATCH", id, "{\"sales_start\":\"2030-03-01T00:00:00Z\"}");
  g_autoptr(EvaTestResponse) clear =
    type_call ("PATCH", id, "{\"sales_start\":null,\"sales_end\":null,\"max_per_attendee\":null}");
  g_autoptr(EvaTestResponse) more =
    type_call ("PATCH", id, "{\"description\":\"\",\"max_per_order\":1,\"hidden\":true,\"sort_order\":7,"
                            "\"capacity\":0}");
  g_autoptr(EvaTestResponse) empty = type_call ("PATCH", id, "{}");
  g_autoptr(EvaTestResponse) unknown = type_call ("PATCH", UNKNOWN_ID, "{\"name\":\"x\"}");
  g_autoptr(EvaTestResponse) read_only = type_call ("PATCH", id, "{\"sold\":0,\"held\":0}");
  g_autoptr(EvaTestResponse) null_name = type_call ("PATCH", id, "{\"name\":null}");
  g_autoptr(EvaTestResponse) null_price = type_call ("PATCH", id, "{\"price\":null}");
  g_autofree char *changes = NULL;

  eva_test_assert_status (rename, 200);
  g_assert_cmpstr (eva_test_json_string (rename->json, "name"), ==, "Early bird");
  g_assert_cmpint (eva_test_json_int (rename->json, "price"), ==, 1000);
  g_assert_cmpint (eva_test_json_int (rename->json, "max_per_attendee"), ==, 4);

  eva_test_assert_status (window, 200);
  g_assert_cmpstr (eva_test_json_string (window->json, "sales_end"), ==, "2030-02-01T00:00:00+00:00");
  /* Against the stored other end, by the database constraint. */
  assert_field_error (bad_end, "sales_end", "must be after sales_start");
  assert_field_error (bad_start, "sales_end", "must be after sales_start");

  eva_test_assert_status (clear, 200);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (clear->json, "sales_start")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (clear->json, "sales_end")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (clear->json, "max_per_attendee")));

  eva_test_assert_status (more, 200);
  g_assert_cmpstr (eva_test_json_string (more->json, "description"), ==, "");
  g_assert_cmpint (eva_test_json_int (more->json, "max_per_order"), ==, 1);
  g_assert_true (eva_test_json_bool (more->json, "hidden"));
  g_assert_cmpint (eva_test_json_int (more->json, "sort_order"), ==, 7);
  g_assert_cmpint (eva_test_json_int (more->json, "capacity"), ==, 0);
  g_assert_cmpint (eva_test_json_int (more->json, "available"), ==, 0);

  eva_test_assert_status (empty, 200);
  g_assert_cmpstr (eva_test_json_string (empty->json, "name"), ==, "Early bird");
  eva_test_assert_error (unknown, 404, "not_found");
  assert_field_error (read_only, "sold", "is read-only");
  assert_field_error (read_only, "held", "is read-only");
  assert_field_error (null_name, "name", NULL);
  assert_field_error (null_price, "price", NULL);

  changes = eva_test_sql (server->pg,
                          "SELECT details -> 'changes' -> 'name' ->> 'to' FROM audit_log"
                          " WHERE action = 'ticket_type.update' AND target_id = $1"
                          "   AND details -> 'changes' ? 'name'", id, NULL);
  g_assert_cmpstr (changes, ==, "Early bird");
}

static void
test_update_price (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autofree char *id = create_type (event, "{\"name\":\"T\",\"price\":1000,\"capacity\":10}");
  g_autofree char *booking = eva_test_sql (server->pg,
                                           "INSERT INTO bookings (event_id, status, subtotal, total, currency)"
                                           " VALUES ($1, 'confirmed', 2000, 2000, 'EUR') RETURNING id",
                                           event, NULL);
  g_autofree char *item = eva_test_sql (server->pg,
                                        "INSERT INTO booking_items (booking_id, ticket_type_id, quantity,"
                                        "                           unit_price, line_total)"
                                        " VALUES ($1, $2, 2, 1000, 2000) RETURNING id",
                                        booking, id, NULL);
  g_autoptr(EvaTestResponse) change = NULL;
  g_autofree char *unit_price = NULL;
  g_autofree char *free_event = create_event ("");
  g_autofree char *free_type = create_type (free_event, "{\"name\":\"F\",\"price\":0,\"capacity\":1}");
  g_autoptr(EvaTestResponse) priced = type_call ("PATCH", free_type, "{\"price\":100}");
  g_autoptr(EvaTestResponse) zero = type_call ("PATCH", free_type, "{\"price\":0,\"name\":\"Still free\"}");

  sql ("UPDATE ticket_types SET sold = 2 WHERE id = $1", id);
  change = type_call ("PATCH", id, "{\"price\":1500}");
  eva_test_assert_status (change, 200);
  g_assert_cmpint (eva_test_json_int (change->json, "price"), ==, 1500);
  /* Bookings keep what they paid. */
  unit_price = eva_test_sql (server->pg, "SELECT unit_price FROM booking_items WHERE id = $1", item, NULL);
  g_assert_cmpstr (unit_price, ==, "1000");

  eva_test_assert_error (priced, 422, "currency_required");
  eva_test_assert_status (zero, 200);
}

static void
test_capacity_below_committed (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autofree char *id = create_type (event, "{\"name\":\"T\",\"price\":0,\"capacity\":10}");
  g_autoptr(EvaTestResponse) below = NULL;
  g_autoptr(EvaTestResponse) zero = NULL;
  g_autoptr(EvaTestResponse) exact = NULL;
  g_autoptr(EvaTestResponse) more = NULL;
  g_autofree char *capacity = NULL;

  /* As if bookings held 3 and sold 4. */
  sql ("UPDATE ticket_types SET held = 3, sold = 4 WHERE id = $1", id);

  below = type_call ("PATCH", id, "{\"capacity\":6}");
  eva_test_assert_error (below, 409, "capacity_below_committed");
  g_assert_cmpstr (eva_test_json_string (below->json, "error.details.capacity"), ==,
                   "must be at least 7 (held + sold)");
  zero = type_call ("PATCH", id, "{\"capacity\":0,\"name\":\"Renamed\"}");
  eva_test_assert_error (zero, 409, "capacity_below_committed");
  capacity = eva_test_sql (server->pg, "SELECT capacity || '/' || name FROM ticket_types WHERE id = $1", id, NULL);
  g_assert_cmpstr (capacity, ==, "10/T");

  exact = type_call ("PATCH", id, "{\"capacity\":7}");
  eva_test_assert_status (exact, 200);
  g_assert_cmpint (eva_test_json_int (exact->json, "available"), ==, 0);
  g_assert_cmpint (eva_test_json_int (exact->json, "held"), ==, 3);
  g_assert_cmpint (eva_test_json_int (exact->json, "sold"), ==, 4);
  more = type_call ("PATCH", id, "{\"capacity\":20}");
  eva_test_assert_status (more, 200);
  g_assert_cmpint (eva_test_json_int (more->json, "available"), ==, 13);
}

static void
test_locked_event (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autofree char *id = create_type (event, "{\"name\":\"T\",\"price\":100,\"capacity\":10}");
  g_autoptr(EvaTestResponse) publish = event_action (event, "publish");
  g_autoptr(EvaTestResponse) archive = event_action (event, "archive");
  g_autoptr(EvaTestResponse) patch = type_call ("PATCH", id, "{\"name\":\"Too late\"}");
  g_autoptr(EvaTestResponse) del = type_call ("DELETE", id, NULL);
  g_autoptr(EvaTestResponse) get = type_call ("GET", id, NULL);

  eva_test_assert_status (publish, 200);
  eva_test_assert_status (archive, 200);
  eva_test_assert_error (patch, 409, "event_locked");
  g_assert_cmpstr (eva_test_json_string (patch->json, "error.details.status"), ==, "archived");
  eva_test_assert_error (del, 409, "event_locked");
  eva_test_assert_status (get, 200);
  g_assert_cmpstr (eva_test_json_string (get->json, "name"), ==, "T");
}

/* ------------------------------------------------------------------ */
/* Delete                                                             */
/* ------------------------------------------------------------------ */

static void
test_delete (void)
{
  g_autofree char *event = create_event (",\"currency\":\"EUR\"");
  g_autofree char *unused = create_type (event, "{\"name\":\"Unused\",\"price\":0,\"capacity\":1}");
  g_autofree char *held = create_type (event, "{\"name\":\"Held\",\"price\":0,\"capacity\":5}");
  g_autofree char *sold = create_type (event, "{\"name\":\"Sold\",\"price\":0,\"capacity\":5}");
  g_autofree char *booked = create_type (event, "{\"name\":\"Booked\",\"price\":0,\"capacity\":5}");
  g_autofree char *booking = NULL;
  g_autoptr(EvaTestResponse) ok = type_call ("DELETE", unused, NULL);
  g_autoptr(EvaTestResponse) gone = type_call ("GET", unused, NULL);
  g_autoptr(EvaTestResponse) again = type_call ("DELETE", unused, NULL);
  g_autoptr(EvaTestResponse) unknown = type_call ("DELETE", UNKNOWN_ID, NULL);
  g_autoptr(EvaTestResponse) r_held = NULL;
  g_autoptr(EvaTestResponse) r_sold = NULL;
  g_autoptr(EvaTestResponse) r_booked = NULL;
  g_autofree char *audit = NULL;
  g_autofree char *left = NULL;

  eva_test_assert_status (ok, 204);
  eva_test_assert_error (gone, 404, "not_found");
  eva_test_assert_error (again, 404, "not_found");
  eva_test_assert_error (unknown, 404, "not_found");
  audit = eva_test_sql (server->pg, "SELECT details ->> 'name' FROM audit_log"
                        " WHERE action = 'ticket_type.delete' AND target_id = $1", unused, NULL);
  g_assert_cmpstr (audit, ==, "Unused");

  sql ("UPDATE ticket_types SET held = 1 WHERE id = $1", held);
  sql ("UPDATE ticket_types SET sold = 1 WHERE id = $1", sold);
  booking = eva_test_sql (server->pg, "INSERT INTO bookings (event_id, status, subtotal, total)"
                          " VALUES ($1, 'cancelled', 0, 0) RETURNING id", event, NULL);
  g_free (eva_test_sql (server->pg, "INSERT INTO booking_items (booking_id, ticket_type_id, quantity,"
                        " unit_price, line_total) VALUES ($1, $2, 1, 0, 0)", booking, booked, NULL));

  r_held = type_call ("DELETE", held, NULL);
  r_sold = type_call ("DELETE", sold, NULL);
  r_booked = type_call ("DELETE", booked, NULL);
  eva_test_assert_error (r_held, 409, "ticket_type_in_use");
  eva_test_assert_error (r_sold, 409, "ticket_type_in_use");
  eva_test_assert_error (r_booked, 409, "ticket_type_in_use");
  left = eva_test_sql (server->pg, "SELECT count(*) FROM ticket_types WHERE event_id = $1", event, NULL);
  g_assert_cmpstr (left, ==, "3");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = eva_test_server_start (NULL);
  staff_id = eva_test_create_staff (server, "organizer@types.test", "organizer",
                                    "correct horse battery");
  token = eva_test_login (server, "organizer@types.test", "correct horse battery");

  g_test_add_func ("/ticket-types/create/ok", test_create);
  g_test_add_func ("/ticket-types/create/validation", test_create_validation);
  g_test_add_func ("/ticket-types/create/rules", test_create_rules);
  g_test_add_func ("/ticket-types/read/list-and-get", test_list_and_get);
  g_test_add_func ("/ticket-types/update/fields", test_update);
  g_test_add_func ("/ticket-types/update/price", test_update_price);
  g_test_add_func ("/ticket-types/update/capacity-below-committed", test_capacity_below_committed);
  g_test_add_func ("/ticket-types/locked-event", test_locked_event);
  g_test_add_func ("/ticket-types/delete", test_delete);

  ret = g_test_run ();
  g_free (token);
  g_free (staff_id);
  eva_test_server_free (server);
  return ret;
}
