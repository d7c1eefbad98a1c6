/* test-checkin.c: check-in lists, every verdict, exactly one admission
 * under concurrency and retries, offline uploads with conflicts, re-entry,
 * undo, search, stats and the offline bundle — and bad input refused on
 * every route
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"

static char *door;          /* a door_staff token */
static char *door2;         /* another door_staff token */

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static EvaTestResponse *
as (const char *token,
    const char *method,
    const char *path,
    const char *body)
{
  return eva_test_request (server, method, path, token, body != NULL ? "application/json" : NULL, body, -1);
}

typedef struct
{
  char *event;
  char *type;        /* "Standing", 0 EUR */
  char *vip;         /* "VIP", 0 EUR */
  char *paid;        /* "Paid", 12.00 EUR, pay at the door */
  char *list;        /* the default list */
} Event;

static void
event_free (Event *e)
{
  g_free (e->event);
  g_free (e->type);
  g_free (e->vip);
  g_free (e->paid);
  g_free (e->list);
  g_free (e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Event, event_free)

static Event *
make_checkin_event (void)
{
  Event *e = g_new0 (Event, 1);
  g_autofree char *path = NULL;
  g_autoptr(EvaTestResponse) lists = NULL;

  e->event = make_event ("\"payment_methods\":[\"at_door\"]");
  e->type = make_type (e->event, "{\"name\":\"Standing\",\"price\":0,\"capacity\":500}");
  e->vip = make_type (e->event, "{\"name\":\"VIP\",\"price\":0,\"capacity\":50}");
  e->paid = make_type (e->event, "{\"name\":\"Paid\",\"price\":1200,\"capacity\":50}");
  publish (e->event);
  path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", e->event);
  lists = as (door, "GET", path, NULL);
  eva_test_assert_status (lists, 200);
  g_assert_cmpstr (eva_test_json_string (lists->json, "items.0.name"), ==, "Main entrance");
  g_assert_true (json_node_get_boolean (eva_test_json_get (lists->json, "items.0.is_default")));
  e->list = g_strdup (eva_test_json_string (lists->json, "items.0.id"));
  return e;
}

/* A confirmed booking of @n tickets of @type; their codes, NULL-ended. */
static GStrv
tickets_of (const char *event,
            const char *type,
            int         n,
            gboolean    at_door)
{
  g_autoptr(Buyer) b = make_buyer_on (server, "door", TRUE);
  g_autofree char *booking = hold_id (b, event, type, n);
  g_autoptr(GStrvBuilder) codes = g_strv_builder_new ();
  g_autofree char *sql = NULL;

  if (at_door)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);
      g_autoptr(EvaTestResponse) r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL,
                                                "{\"method\":\"at_door\"}");

      eva_test_assert_status (r, 200);
    }
  for (int i = 1; i <= n; i++)
    {
      g_autofree char *seq = g_strdup_printf ("%d", i);
      g_autofree char *code = eva_test_sql (server->pg,
                                            "SELECT code FROM tickets WHERE booking_id = $1::uuid"
                                            " AND status = 'valid' ORDER BY ticket_type_id, seq OFFSET $2::int - 1 LIMIT 1",
                                            booking, seq, NULL);

      g_assert_nonnull (code);
      g_strv_builder_add (codes, code);
    }
  return g_strv_builder_end (codes);
}

static char *
nonce (void)
{
  return g_uuid_string_random ();
}

static EvaTestResponse *
redeem_full (const char *token,
             const char *code,
             const char *list,
             const char *kind,
             const char *the_nonce,
             const char *extra)
{
  g_autofree char *fresh = the_nonce == NULL ? nonce () : NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  g_autofree char *full = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "list_id");
  json_builder_add_string_value (b, list);
  json_builder_set_member_name (b, "nonce");
  json_builder_add_string_value (b, the_nonce != NULL ? the_nonce : fresh);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, kind);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  body = json_to_string (node, FALSE);
  if (extra != NULL)
    {
      body[strlen (body) - 1] = '\0';
      full = g_strconcat (body, ",", extra, "}", NULL);
    }
  return as (token, "POST", "/api/v1/admin/checkin/redeem", full != NULL ? full : body);
}

static EvaTestResponse *
redeem (const char *code,
        const char *list,
        const char *kind)
{
  return redeem_full (door, code, list, kind, NULL, NULL);
}

static void
assert_verdict (EvaTestResponse *r,
                const char      *status,
                const char      *reason)
{
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, status);
  if (reason == NULL)
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "reason")));
  else
    g_assert_cmpstr (eva_test_json_string (r->json, "reason"), ==, reason);
}

static gint64
entries (const char *code,
         const char *list)
{
  g_autofree char *n = eva_test_sql (server->pg,
                                     "SELECT count(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
                                     " WHERE t.code = $1 AND c.list_id = $2::uuid AND c.status = 'ok'"
                                     "   AND c.kind = 'entry' AND c.undone_at IS NULL", code, list, NULL);

  return g_ascii_strtoll (n, NULL, 10);
}

static char *
make_list (const char *event,
           const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", event);
  g_autoptr(EvaTestResponse) r = admin ("POST", path, body);

  eva_test_assert_status (r, 201);
  return g_strdup (eva_test_json_string (r->json, "id"));
}

static char *
make_device (const char *token,
             const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\"}", name);
  g_autoptr(EvaTestResponse) r = as (token, "POST", "/api/v1/admin/checkin/devices", body);

  eva_test_assert_status (r, 201);
  return g_strdup (eva_test_json_string (r->json, "id"));
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* Every reason, each for a scan that earns it. */
static void
test_verdicts (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_autoptr(Event) other = make_checkin_event ();
  g_auto(GStrv) standing = tickets_of (e->event, e->type, 3, FALSE);
  g_auto(GStrv) unpaid = tickets_of (e->event, e->paid, 1, TRUE);
  g_auto(GStrv) foreign = tickets_of (other->event, other->type, 1, FALSE);
  g_autofree char *vip_only = NULL;
  g_autofree char *closed = NULL;
  g_autofree char *tampered = g_strdup (standing[2]);
  g_autoptr(EvaTestResponse) r = NULL;

  {
    g_autofree char *body = g_strdup_printf ("{\"name\":\"VIP lounge\",\"ticket_type_ids\":[\"%s\"]}", e->vip);

    vip_only = make_list (e->event, body);
  }
  closed = make_list (e->event, "{\"name\":\"Day 2\",\"opens_at\":\"2040-01-01T10:00:00Z\","
                                "\"closes_at\":\"2040-01-01T20:00:00Z\"}");

  /* ok, with the ticket's facts and no first check-in. */
  r = redeem (standing[0], e->list, "entry");
  assert_verdict (r, "ok", NULL);
  g_assert_cmpstr (eva_test_json_string (r->json, "ticket.ticket_type"), ==, "Standing");
  g_assert_cmpint (strlen (eva_test_json_string (r->json, "ticket.booking_reference")), ==, 8);
  g_assert_false (json_node_get_boolean (eva_test_json_get (r->json, "ticket.unpaid")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "first_checkin")));
  g_clear_pointer (&r, eva_test_response_free);

  /* already_checked_in, saying when and by whom. */
  r = redeem (standing[0], e->list, "entry");
  assert_verdict (r, "rejected", "already_checked_in");
  g_assert_nonnull (eva_test_json_string (r->json, "first_checkin.at"));
  g_assert_nonnull (eva_test_json_string (r->json, "first_checkin.by"));
  g_clear_pointer (&r, eva_test_response_free);
  g_assert_cmpint (entries (standing[0], e->list), ==, 1);

  /* invalid: not a code, one changed character, a truncated code. */
  r = redeem ("hello", e->list, "entry");
  assert_verdict (r, "rejected", "invalid");
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, "ticket")));
  g_clear_pointer (&r, eva_test_response_free);
  tampered[100] = tampered[100] == 'A' ? 'B' : 'A';
  r = redeem (tampered, e->list, "entry");
  assert_verdict (r, "rejected", "invalid");
  g_clear_pointer (&r, eva_test_response_free);
  tampered[100] = standing[2][100];
  tampered[150] = '\0';
  r = redeem (tampered, e->list, "entry");
  assert_verdict (r, "rejected", "invalid");
  g_clear_pointer (&r, eva_test_response_free);

  /* wrong_event: a good ticket of another event. */
  r = redeem (foreign[0], e->list, "entry");
  assert_verdict (r, "rejected", "wrong_event");
  g_clear_pointer (&r, eva_test_response_free);

  /* not_on_list; outside_time_window; unpaid. */
  r = redeem (standing[1], vip_only, "entry");
  assert_verdict (r, "rejected", "not_on_list");
  g_clear_pointer (&r, eva_test_response_free);
  r = redeem (standing[1], closed, "entry");
  assert_verdict (r, "rejected", "outside_time_window");
  g_clear_pointer (&r, eva_test_response_free);
  r = redeem (unpaid[0], e->list, "entry");
  assert_verdict (r, "rejected", "unpaid");
  g_assert_true (json_node_get_boolean (eva_test_json_get (r->json, "ticket.unpaid")));
  g_clear_pointer (&r, eva_test_response_free);

  /* not_checked_in: an exit of someone who never came in. */
  r = redeem (standing[1], e->list, "exit");
  assert_verdict (r, "rejected", "not_checked_in");
  g_clear_pointer (&r, eva_test_response_free);

  /* revoked: a reissued ticket's old code. */
  {
    g_autofree char *id = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE code = $1", standing[1], NULL);
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/tickets/%s/reissue", id);
    g_autoptr(EvaTestResponse) re = admin ("POST", path, NULL);

    eva_test_assert_status (re, 200);
    r = redeem (standing[1], e->list, "entry");
    assert_verdict (r, "rejected", "revoked");
    g_clear_pointer (&r, eva_test_response_free);
    r = redeem (eva_test_json_string (re->json, "code"), e->list, "entry");
    assert_verdict (r, "ok", NULL);
    g_clear_pointer (&r, eva_test_response_free);
  }

  /* cancelled: the booking was cancelled. */
  {
    g_autofree char *booking = eva_test_sql (server->pg, "SELECT booking_id FROM tickets WHERE code = $1",
                                             foreign[0], NULL);
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", booking);
    g_autoptr(EvaTestResponse) c = admin ("POST", path, NULL);

    eva_test_assert_status (c, 200);
    r = redeem (foreign[0], other->list, "entry");
    assert_verdict (r, "rejected", "cancelled");
    g_clear_pointer (&r, eva_test_response_free);
  }

  /* unknown_ticket: signed by our key, but no such ticket (deleted). */
  {
    g_autofree char *n = eva_test_sql (server->pg,
                                       "WITH d AS (DELETE FROM tickets WHERE code = $1 RETURNING 1)"
                                       " SELECT count(*) FROM d", standing[2], NULL);

    g_assert_cmpstr (n, ==, "1");
    r = redeem (standing[2], e->list, "entry");
    assert_verdict (r, "rejected", "unknown_ticket");
    g_clear_pointer (&r, eva_test_response_free);
  }

  /* A list that does not exist is an error, not a verdict. */
  r = redeem (standing[0], "00000000-0000-4000-8000-000000000000", "entry");
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);
  /* An unpaid ticket on a list that lets them in. */
  {
    g_autofree char *unpaid_ok = make_list (e->event, "{\"name\":\"Box office\",\"allow_unpaid\":true}");

    r = redeem (unpaid[0], unpaid_ok, "entry");
    assert_verdict (r, "ok", NULL);
    g_assert_true (json_node_get_boolean (eva_test_json_get (r->json, "ticket.unpaid")));
  }
}

typedef struct
{
  const char *code;
  const char *list;
  const char *token;
  char       *status;
  guint       http_status;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autofree char *path = g_strdup_printf ("%s/api/v1/admin/checkin/redeem", server->base_url);
  g_autofree char *fresh = nonce ();
  g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\",\"list_id\":\"%s\",\"nonce\":\"%s\",\"type\":\"entry\"}",
                                           racer->code, racer->list, fresh);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", path);
  g_autofree char *auth = g_strconcat ("Bearer ", racer->token, NULL);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonNode) json = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  racer->http_status = soup_message_get_status (msg);
  if (reply != NULL && soup_message_get_status (msg) == 200)
    {
      json = json_from_string (g_bytes_get_data (reply, NULL), NULL);
      racer->status = g_strdup (eva_test_json_string (json, "status"));
    }
  return NULL;
}

/* Fifty doors scan one ticket at the same moment: exactly one admits. */
static void
test_concurrent_one_ok (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 1, FALSE);
  Racer racers[50];
  GThread *threads[50];
  guint ok = 0, rejected = 0;

  for (guint i = 0; i < 50; i++)
    {
      racers[i] = (Racer) { .code = codes[0], .list = e->list, .token = i % 2 ? door : door2 };
    }
  for (guint i = 0; i < 50; i++)
    threads[i] = g_thread_new ("door", racer_thread, &racers[i]);
  for (guint i = 0; i < 50; i++)
    {
      g_thread_join (threads[i]);
      ok += g_strcmp0 (racers[i].status, "ok") == 0;
      rejected += g_strcmp0 (racers[i].status, "rejected") == 0;
      g_free (racers[i].status);
    }
  g_assert_cmpuint (ok, ==, 1);
  g_assert_cmpuint (rejected, ==, 49);
  g_assert_cmpint (entries (codes[0], e->list), ==, 1);
}

/* The same nonce: the same answer, counted once — also for a rejection,
 * and also when asked again after the state changed. */
static void
test_nonce_replay (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 1, FALSE);
  g_autofree char *n1 = nonce ();
  g_autofree char *n2 = nonce ();
  g_autoptr(EvaTestResponse) first = redeem_full (door, codes[0], e->list, "entry", n1, NULL);
  g_autoptr(EvaTestResponse) again = redeem_full (door, codes[0], e->list, "entry", n1, NULL);
  g_autoptr(EvaTestResponse) second = redeem_full (door, codes[0], e->list, "entry", n2, NULL);
  g_autoptr(EvaTestResponse) second_again = redeem_full (door2, codes[0], e->list, "entry", n2, NULL);

  assert_verdict (first, "ok", NULL);
  g_assert_cmpstr (again->body, ==, first->body);
  assert_verdict (second, "rejected", "already_checked_in");
  g_assert_cmpstr (second_again->body, ==, second->body);
  g_assert_cmpint (entries (codes[0], e->list), ==, 1);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE client_nonce = $1", n1), ==, 1);
}

/* Re-entry lists: in, out, in again; never in twice in a row. A list
 * without re-entry admits once whatever the exits. */
static void
test_reentry (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 1, FALSE);
  g_autofree char *lounge = make_list (e->event, "{\"name\":\"Lounge\",\"allow_reentry\":true}");
  const char *steps[][3] = {
    { "entry", "ok", NULL }, { "entry", "rejected", "already_checked_in" },
    { "exit", "ok", NULL }, { "exit", "rejected", "not_checked_in" },
    { "entry", "ok", NULL }, { "exit", "ok", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(EvaTestResponse) r = redeem (codes[0], lounge, steps[i][0]);

      assert_verdict (r, steps[i][1], steps[i][2]);
    }
  g_assert_cmpint (entries (codes[0], lounge), ==, 2);

  /* The default list: in, out, and not in again. */
  {
    g_autoptr(EvaTestResponse) in = redeem (codes[0], e->list, "entry");
    g_autoptr(EvaTestResponse) out = redeem (codes[0], e->list, "exit");
    g_autoptr(EvaTestResponse) back = redeem (codes[0], e->list, "entry");

    assert_verdict (in, "ok", NULL);
    assert_verdict (out, "ok", NULL);
    assert_verdict (back, "rejected", "already_checked_in");
  }

  /* Stats: lounge inside 0 (two in, two out), the default list 0 inside. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/checkin/stats", e->event);
    g_autoptr(EvaTestResponse) r = as (door, "GET", path, NULL);
    JsonArray *lists;

    eva_test_assert_status (r, 200);
    lists = json_node_get_array (eva_test_json_get (r->json, "lists"));
    g_assert_cmpuint (json_array_get_length (lists), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        JsonObject *l = json_array_get_object_element (lists, i);

        g_assert_cmpint (json_object_get_int_member (l, "inside"), ==, 0);
        g_assert_cmpint (json_object_get_int_member (l, "checked_in"), ==, 1);
        g_assert_cmpint (json_object_get_int_member (l, "expected"), ==, 1);
      }
    g_assert_cmpint (json_array_get_length (json_node_get_array (eva_test_json_get (r->json, "arrivals"))), >=, 1);
  }
}

/* Two laptops offline admit the same ticket; both upload: one entry
 * counts, the second is reported as a conflict. A forced upload records
 * what would now be refused (a revoked ticket, admitted offline), once. */
static void
test_offline_upload (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 2, FALSE);
  g_autofree char *laptop1 = make_device (door, "Door 1");
  g_autofree char *laptop2 = make_device (door2, "Door 2");
  g_autofree char *n1 = nonce ();
  g_autofree char *n2 = nonce ();
  g_autofree char *n3 = nonce ();
  g_autofree char *upload1 = g_strdup_printf (
    "{\"scans\":[{\"nonce\":\"%s\",\"code\":\"%s\",\"list_id\":\"%s\",\"type\":\"entry\","
    "\"scanned_at\":\"2030-06-01T19:01:00+02:00\",\"device_id\":\"%s\"}]}", n1, codes[0], e->list, laptop1);
  g_autofree char *upload2 = g_strdup_printf (
    "{\"scans\":[{\"nonce\":\"%s\",\"code\":\"%s\",\"list_id\":\"%s\",\"type\":\"entry\","
    "\"scanned_at\":\"2030-06-01T19:02:00+02:00\",\"device_id\":\"%s\"},"
    "{\"nonce\":\"%s\",\"code\":\"%s\",\"list_id\":\"%s\",\"type\":\"entry\","
    "\"scanned_at\":\"2030-06-01T19:03:00+02:00\",\"device_id\":\"%s\"}]}",
    n2, codes[0], e->list, laptop2, n3, codes[1], e->list, laptop2);
  g_autoptr(EvaTestResponse) r1 = NULL;
  g_autoptr(EvaTestResponse) r2 = NULL;
  g_autoptr(EvaTestResponse) again = NULL;

  /* Ticket 2 is revoked meanwhile (reissued); laptop 2 had let it in. */
  {
    g_autofree char *id = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE code = $1", codes[1], NULL);
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/tickets/%s/reissue", id);
    g_autoptr(EvaTestResponse) re = admin ("POST", path, NULL);

    eva_test_assert_status (re, 200);
  }

  r1 = as (door, "POST", "/api/v1/admin/checkin/upload", upload1);
  eva_test_assert_status (r1, 200);
  g_assert_cmpstr (eva_test_json_string (r1->json, "results.0.status"), ==, "ok");
  g_assert_false (json_node_get_boolean (eva_test_json_get (r1->json, "results.0.conflict")));

  r2 = as (door2, "POST", "/api/v1/admin/checkin/upload", upload2);
  eva_test_assert_status (r2, 200);
  g_assert_cmpstr (eva_test_json_string (r2->json, "results.0.nonce"), ==, n2);
  g_assert_cmpstr (eva_test_json_string (r2->json, "results.0.status"), ==, "rejected");
  g_assert_cmpstr (eva_test_json_string (r2->json, "results.0.reason"), ==, "already_checked_in");
  g_assert_true (json_node_get_boolean (eva_test_json_get (r2->json, "results.0.conflict")));
  g_assert_cmpstr (eva_test_json_string (r2->json, "results.1.status"), ==, "ok");
  g_assert_true (json_node_get_boolean (eva_test_json_get (r2->json, "results.1.forced")));

  /* The upload again (the laptop never heard back): same answers, no more rows. */
  again = as (door2, "POST", "/api/v1/admin/checkin/upload", upload2);
  eva_test_assert_status (again, 200);
  g_assert_cmpstr (again->body, ==, r2->body);
  g_assert_cmpint (entries (codes[0], e->list), ==, 1);
  g_assert_cmpint (entries (codes[1], e->list), ==, 1);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE list_id = $1::uuid", e->list), ==, 3);
  assert_sql (server->pg, "SELECT d.name FROM checkins c JOIN checkin_devices d ON d.id = c.device_id"
                          " WHERE c.client_nonce = $1", n2, "Door 2");
}

/* Scans that arrive together are decided together, in arrival order:
 * one upload scanning one ticket in and out of a re-entry list and a
 * second ticket in between gets the answers one scan at a time would. */
static void
test_batch_order (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 2, FALSE);
  g_autofree char *lounge = make_list (e->event, "{\"name\":\"Lounge\",\"allow_reentry\":true}");
  g_autofree char *laptop = make_device (door, "Door 5");
  const char *steps[][4] = {   /* ticket, type, status, reason */
    { "0", "entry", "ok", NULL }, { "1", "entry", "ok", NULL },
    { "0", "exit", "ok", NULL }, { "0", "exit", "rejected", "not_checked_in" },
    { "0", "entry", "ok", NULL }, { "1", "entry", "rejected", "already_checked_in" },
    { "0", "entry", "rejected", "already_checked_in" },
  };
  g_autoptr(GString) body = g_string_new ("{\"scans\":[");
  g_autoptr(EvaTestResponse) r = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *n = nonce ();

      g_string_append_printf (body, "%s{\"nonce\":\"%s\",\"code\":\"%s\",\"list_id\":\"%s\","
                              "\"type\":\"%s\",\"scanned_at\":\"2030-06-01T19:%02u:00+02:00\","
                              "\"device_id\":\"%s\"}",
                              i > 0 ? "," : "", n, codes[steps[i][0][0] - '0'], lounge, steps[i][1],
                              i, laptop);
    }
  g_string_append (body, "]}");
  r = as (door, "POST", "/api/v1/admin/checkin/upload", body->str);
  eva_test_assert_status (r, 200);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *status = g_strdup_printf ("results.%u.status", i);
      g_autofree char *reason = g_strdup_printf ("results.%u.reason", i);
      g_autofree char *conflict = g_strdup_printf ("results.%u.conflict", i);

      g_assert_cmpstr (eva_test_json_string (r->json, status), ==, steps[i][2]);
      if (steps[i][3] == NULL)
        g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, reason)));
      else
        g_assert_cmpstr (eva_test_json_string (r->json, reason), ==, steps[i][3]);
      /* One laptop's own scans never conflict with each other. */
      g_assert_false (json_node_get_boolean (eva_test_json_get (r->json, conflict)));
    }
  g_assert_cmpint (entries (codes[0], lounge), ==, 2);
  g_assert_cmpint (entries (codes[1], lounge), ==, 1);
}

static EvaTestResponse *
upload_steps (const char  *list,
              const char  *device,
              GStrv        codes,
              const char *(*steps)[3],
              guint        n)
{
  g_autoptr(GString) body = g_string_new ("{\"scans\":[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (body, "%s{\"nonce\":\"%s\",\"code\":\"%s\",\"list_id\":\"%s\","
                            "\"type\":\"entry\",\"scanned_at\":\"2030-06-01T20:%02u:00+02:00\","
                            "\"device_id\":\"%s\"}",
                            i > 0 ? "," : "", steps[i][0], codes[steps[i][1][0] - '0'], list, 10 + i, device);
  g_string_append (body, "]}");
  return as (door, "POST", "/api/v1/admin/checkin/upload", body->str);
}

/* An offline scan of a ticket already in is refused already_checked_in
 * even when a rule the door could not know (the list closed at 20:00)
 * would be forced through: never a second entry, never a failed batch. */
static void
test_forced_already_in (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 2, FALSE);
  g_autofree char *closed = make_list (e->event, "{\"name\":\"Early\",\"closes_at\":\"2030-06-01T20:00:00+02:00\"}");
  g_autofree char *laptop = make_device (door, "Door 6");
  g_autofree char *n0 = nonce ();
  g_autofree char *n1 = nonce ();
  g_autofree char *n2 = nonce ();
  const char *steps[][3] = { { n0, "0", NULL }, { n1, "0", NULL }, { n2, "1", NULL } };
  g_autoptr(EvaTestResponse) r = upload_steps (closed, laptop, codes, steps, 3);

  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "results.0.status"), ==, "ok");
  g_assert_true (json_node_get_boolean (eva_test_json_get (r->json, "results.0.forced")));
  g_assert_cmpstr (eva_test_json_string (r->json, "results.1.status"), ==, "rejected");
  g_assert_cmpstr (eva_test_json_string (r->json, "results.1.reason"), ==, "already_checked_in");
  g_assert_false (json_node_get_boolean (eva_test_json_get (r->json, "results.1.forced")));
  g_assert_false (json_node_get_boolean (eva_test_json_get (r->json, "results.1.conflict")));
  g_assert_cmpstr (eva_test_json_string (r->json, "results.2.status"), ==, "ok");
  g_assert_cmpint (entries (codes[0], closed), ==, 1);
  g_assert_cmpint (entries (codes[1], closed), ==, 1);
}

/* A code is trusted without its signature only when it is, byte for
 * byte, the stored code of the ticket it names. In one batch: a good code;
 * the same ticket's code with its signature altered (the ticket id still
 * readable in it); a correctly signed code of a ticket no longer stored;
 * a copy of the altered scan's nonce; another good code; one more copy of
 * that nonce, with no code of ours at all (the copies get the first's
 * answer, whatever they scanned). The altered and
 * unknown ones have their signatures checked apart and are decided after,
 * with the answers one scan at a time would get. */
static void
test_unstored_codes (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 3, FALSE);
  g_autofree char *laptop = make_device (door, "Door 8");
  g_autofree char *forged = g_strdup (codes[0]);
  g_autofree char *n0 = nonce ();
  g_autofree char *n1 = nonce ();
  g_autofree char *n2 = nonce ();
  g_autofree char *n4 = nonce ();
  g_autofree char *gone = eva_test_sql (server->pg,
                                        "WITH d AS (DELETE FROM tickets WHERE code = $1 RETURNING 1)"
                                        " SELECT count(*) FROM d", codes[2], NULL);
  const char *steps[][3] = { { n0, "0", NULL }, { n1, "3", NULL }, { n2, "2", NULL },
                             { n1, "0", NULL }, { n4, "1", NULL }, { n1, "4", NULL } };
  const char *want[][2] = { { "ok", NULL }, { "rejected", "invalid" }, { "rejected", "unknown_ticket" },
                            { "rejected", "invalid" }, { "ok", NULL }, { "rejected", "invalid" } };
  char *with_forged[] = { codes[0], codes[1], codes[2], forged, (char *) "not a code", NULL };
  g_autoptr(EvaTestResponse) r = NULL;

  g_assert_cmpstr (gone, ==, "1");
  /* Character 200 is in the signature: the ids before it still read. */
  forged[200] = forged[200] == 'A' ? 'B' : 'A';
  r = upload_steps (e->list, laptop, with_forged, steps, G_N_ELEMENTS (steps));
  eva_test_assert_status (r, 200);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *status = g_strdup_printf ("results.%u.status", i);
      g_autofree char *reason = g_strdup_printf ("results.%u.reason", i);

      g_assert_cmpstr (eva_test_json_string (r->json, status), ==, want[i][0]);
      if (want[i][1] == NULL)
        g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (r->json, reason)));
      else
        g_assert_cmpstr (eva_test_json_string (r->json, reason), ==, want[i][1]);
    }
  g_assert_cmpint (entries (codes[0], e->list), ==, 1);
  g_assert_cmpint (entries (codes[1], e->list), ==, 1);
  /* Four scans recorded (the copy is its first's), the forged one as
   * invalid, with no ticket. */
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE list_id = $1::uuid", e->list), ==, 4);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE list_id = $1::uuid"
                                        " AND reason = 'invalid' AND ticket_id IS NULL", e->list), ==, 1);

  /* The same through redeem, one scan at a time: still invalid. */
  g_clear_pointer (&r, eva_test_response_free);
  r = redeem (forged, e->list, "entry");
  assert_verdict (r, "rejected", "invalid");
}

/* During a rolling upgrade the processes of the release before still call
 * migration 0010's function (nine arguments: they checked the signatures
 * themselves); it is kept, still decides, and its scans count once. */
static void
test_previous_function (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 1, FALSE);
  g_autofree char *ticket = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE code = $1", codes[0], NULL);
  g_autofree char *staff = eva_test_sql (server->pg, "SELECT id FROM staff LIMIT 1", NULL);
  g_autofree char *n1 = nonce ();
  g_autofree char *n2 = nonce ();
  g_autofree char *answers =
    eva_test_sql (server->pg,
                  "SELECT string_agg(outcome || ' ' || (verdict->>'status') || ' '"
                  "                  || coalesce(verdict->>'reason', '-'), ',')"
                  "  FROM eva_checkin_redeem_batch(ARRAY[$1, $2], ARRAY[$3::uuid, $3::uuid],"
                  "         ARRAY[$4::uuid, $4::uuid], ARRAY['entry', 'entry'],"
                  "         ARRAY[NULL, NULL]::timestamptz[], ARRAY[false, false],"
                  "         ARRAY[$5::uuid, $5::uuid], ARRAY[NULL, NULL]::uuid[], ARRAY[NULL, NULL]::uuid[])",
                  n1, n2, e->list, ticket, staff, NULL);

  g_assert_cmpstr (answers, ==, "decided ok -,decided rejected already_checked_in");
  g_assert_cmpint (entries (codes[0], e->list), ==, 1);
}

/* One nonce twice in one batch: the second copy gets the first copy's
 * answer, whatever it scanned — as a retry would — also when the first
 * copy is its ticket's second scan in the batch. */
static void
test_batch_nonce_copies (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 2, FALSE);
  g_autofree char *laptop = make_device (door, "Door 7");
  g_autofree char *n = nonce ();
  g_autofree char *m = nonce ();
  const char *steps[][3] = { { n, "0", NULL }, { m, "0", NULL }, { m, "1", NULL } };
  g_autoptr(EvaTestResponse) r = upload_steps (e->list, laptop, codes, steps, 3);

  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "results.0.status"), ==, "ok");
  g_assert_cmpstr (eva_test_json_string (r->json, "results.1.reason"), ==, "already_checked_in");
  g_assert_cmpstr (eva_test_json_string (r->json, "results.2.nonce"), ==, m);
  g_assert_cmpstr (eva_test_json_string (r->json, "results.2.reason"), ==, "already_checked_in");
  g_assert_cmpint (entries (codes[0], e->list), ==, 1);
  g_assert_cmpint (entries (codes[1], e->list), ==, 0);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE list_id = $1::uuid", e->list), ==, 2);
}

/* A door whose sign-in has ended is refused with 401 — also when its scan
 * is decided in the same batch as other doors' — and nothing of it is
 * recorded; the scans beside it are decided as usual. */
static void
test_signed_out (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 10, FALSE);
  g_autofree char *gone = eva_test_token_for_role (server, "door_staff");
  g_autofree char *disabled_email = NULL;
  g_autofree char *disabled = eva_test_token_for_role (server, "door_staff");
  g_autofree char *gone_nonce = nonce ();
  Racer racers[10];
  GThread *threads[10];
  guint ok = 0;

  /* A logged-out door and a disabled one, both with tokens still unexpired. */
  {
    g_autoptr(EvaTestResponse) out = as (gone, "POST", "/api/v1/admin/auth/logout", NULL);

    eva_test_assert_status (out, 204);
  }
  {
    g_autoptr(EvaTestResponse) me = as (disabled, "GET", "/api/v1/admin/me", NULL);

    eva_test_assert_status (me, 200);
    disabled_email = g_strdup (eva_test_json_string (me->json, "email"));
    g_free (eva_test_sql (server->pg, "UPDATE staff SET disabled_at = now() WHERE email = $1 RETURNING id",
                          disabled_email, NULL));
  }

  {
    g_autoptr(EvaTestResponse) r = redeem_full (gone, codes[9], e->list, "entry", gone_nonce, NULL);

    eva_test_assert_error (r, 401, "invalid_token");
    g_assert_nonnull (soup_message_headers_get_one (r->headers, "WWW-Authenticate"));
  }

  /* Ten doors at once: every fifth signed out or disabled. */
  for (guint i = 0; i < 10; i++)
    racers[i] = (Racer) { .code = codes[i], .list = e->list,
                          .token = i % 5 == 0 ? gone : i % 5 == 1 ? disabled : door };
  for (guint i = 0; i < 10; i++)
    threads[i] = g_thread_new ("door", racer_thread, &racers[i]);
  for (guint i = 0; i < 10; i++)
    {
      g_thread_join (threads[i]);
      if (i % 5 <= 1)
        g_assert_cmpuint (racers[i].http_status, ==, 401);
      else
        ok += g_strcmp0 (racers[i].status, "ok") == 0;
      g_free (racers[i].status);
    }
  g_assert_cmpuint (ok, ==, 6);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE list_id = $1::uuid", e->list), ==, 6);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE client_nonce = $1", gone_nonce), ==, 0);
}

/* Undo: the door that scanned, within a minute; an organizer any time;
 * another door never. */
static void
test_undo (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 2, FALSE);
  g_autoptr(EvaTestResponse) r = redeem (codes[0], e->list, "entry");
  g_autoptr(EvaTestResponse) r2 = redeem (codes[1], e->list, "entry");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/checkins/%s/undo", eva_test_json_string (r->json, "checkin_id"));
  g_autofree char *path2 = g_strdup_printf ("/api/v1/admin/checkins/%s/undo", eva_test_json_string (r2->json, "checkin_id"));
  g_autoptr(EvaTestResponse) other_door = as (door2, "POST", path, NULL);
  g_autoptr(EvaTestResponse) own = as (door, "POST", path, NULL);
  g_autoptr(EvaTestResponse) twice = as (door, "POST", path, NULL);
  g_autoptr(EvaTestResponse) back_in = redeem (codes[0], e->list, "entry");
  g_autoptr(EvaTestResponse) late = NULL;
  g_autoptr(EvaTestResponse) organizer_undo = NULL;
  g_autoptr(EvaTestResponse) missing = as (door, "POST", "/api/v1/admin/checkins/00000000-0000-4000-8000-000000000000/undo", NULL);

  eva_test_assert_error (other_door, 403, "forbidden");
  eva_test_assert_status (own, 200);
  g_assert_nonnull (eva_test_json_string (own->json, "undone_at"));
  eva_test_assert_error (twice, 409, "already_undone");
  assert_verdict (back_in, "ok", NULL);
  eva_test_assert_error (missing, 404, "not_found");

  /* Two minutes later the door may not; the organizer may. */
  g_free (eva_test_sql (server->pg, "UPDATE checkins SET created_at = now() - interval '2 minutes'"
                        " WHERE id = $1::uuid RETURNING 1", eva_test_json_string (r2->json, "checkin_id"), NULL));
  late = as (door, "POST", path2, NULL);
  eva_test_assert_error (late, 409, "too_late");
  organizer_undo = admin ("POST", path2, NULL);
  eva_test_assert_status (organizer_undo, 200);
  g_assert_cmpint (entries (codes[1], e->list), ==, 0);
}

/* Lists: organizers manage them, door staff only read them. */
static void
test_lists_and_roles (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", e->event);
  g_autofree char *types = g_strdup_printf ("{\"name\":\"VIP\",\"ticket_type_ids\":[\"%s\"],\"allow_reentry\":true}", e->vip);
  g_autoptr(EvaTestResponse) door_create = as (door, "POST", path, "{\"name\":\"Side door\"}");
  g_autoptr(EvaTestResponse) created = admin ("POST", path, types);
  g_autoptr(EvaTestResponse) dup = admin ("POST", path, "{\"name\":\"VIP\"}");
  g_autofree char *list_path = NULL;
  g_autoptr(EvaTestResponse) patched = NULL;
  g_autoptr(EvaTestResponse) door_patch = NULL;
  g_autoptr(EvaTestResponse) door_delete = NULL;
  g_autoptr(EvaTestResponse) listed = NULL;
  g_autoptr(EvaTestResponse) del_default = NULL;
  g_autoptr(EvaTestResponse) del = NULL;
  g_autoptr(EvaTestResponse) attendee = NULL;

  eva_test_assert_error (door_create, 403, "forbidden");
  eva_test_assert_status (created, 201);
  g_assert_false (json_node_get_boolean (eva_test_json_get (created->json, "all_types")));
  g_assert_true (json_node_get_boolean (eva_test_json_get (created->json, "allow_reentry")));
  g_assert_cmpstr (eva_test_json_string (created->json, "ticket_type_ids.0"), ==, e->vip);
  eva_test_assert_error (dup, 409, "name_taken");

  list_path = g_strdup_printf ("/api/v1/admin/checkin-lists/%s", eva_test_json_string (created->json, "id"));
  patched = admin ("PATCH", list_path, "{\"all_types\":true,\"opens_at\":\"2020-06-01T18:00:00+02:00\"}");
  eva_test_assert_status (patched, 200);
  g_assert_true (json_node_get_boolean (eva_test_json_get (patched->json, "all_types")));
  g_assert_nonnull (eva_test_json_string (patched->json, "opens_at"));
  door_patch = as (door, "PATCH", list_path, "{\"name\":\"x\"}");
  eva_test_assert_error (door_patch, 403, "forbidden");
  door_delete = as (door, "DELETE", list_path, NULL);
  eva_test_assert_error (door_delete, 403, "forbidden");

  listed = as (door, "GET", path, NULL);
  eva_test_assert_status (listed, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (listed->json, "items"))), ==, 2);

  {
    g_autofree char *default_path = g_strdup_printf ("/api/v1/admin/checkin-lists/%s", e->list);

    del_default = admin ("DELETE", default_path, NULL);
    eva_test_assert_error (del_default, 409, "default_list");
  }
  /* A list with check-ins stays; an empty one goes. */
  {
    g_auto(GStrv) codes = tickets_of (e->event, e->type, 1, FALSE);
    g_autoptr(EvaTestResponse) in = redeem (codes[0], eva_test_json_string (created->json, "id"), "entry");
    g_autoptr(EvaTestResponse) in_use = admin ("DELETE", list_path, NULL);

    assert_verdict (in, "ok", NULL);
    eva_test_assert_error (in_use, 409, "list_in_use");
  }
  {
    g_autofree char *spare = make_list (e->event, "{\"name\":\"Spare\"}");
    g_autofree char *spare_path = g_strdup_printf ("/api/v1/admin/checkin-lists/%s", spare);

    del = admin ("DELETE", spare_path, NULL);
    g_assert_cmpuint (del->status, ==, 204);
  }

  /* Attendees and anonymous callers reach none of it. */
  attendee = eva_test_call (server, "POST", "/api/v1/admin/checkin/redeem", NULL, "{}");
  g_assert_cmpuint (attendee->status, ==, 401);
}

/* Bad input on every route: 4xx with the error envelope, nothing written. */
static void
test_bad_input (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_autofree char *lists = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", e->event);
  g_autofree char *list = g_strdup_printf ("/api/v1/admin/checkin-lists/%s", e->list);
  g_autofree char *search = g_strdup_printf ("/api/v1/admin/events/%s/checkin/search", e->event);
  g_autofree char *bundle = g_strdup_printf ("/api/v1/admin/events/%s/checkin/bundle", e->event);
  gint64 before = sql_int (server->pg, "SELECT count(*) FROM checkins WHERE list_id = $1::uuid", e->list);
  g_autofree char *other_type = NULL;
  struct { const char *method; const char *path; const char *body; guint status; } cases[] = {
    { "POST", "/api/v1/admin/checkin/redeem", "not json", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{}", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{\"code\":\"x\",\"list_id\":\"nope\",\"nonce\":\"abcdefgh\",\"type\":\"entry\"}", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{\"code\":\"x\",\"list_id\":\"00000000-0000-4000-8000-000000000000\",\"nonce\":\"short\",\"type\":\"entry\"}", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{\"code\":\"x\",\"list_id\":\"00000000-0000-4000-8000-000000000000\",\"nonce\":\"abcdefgh\",\"type\":\"sideways\"}", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{\"code\":\"x\",\"list_id\":\"00000000-0000-4000-8000-000000000000\",\"nonce\":\"abcdefgh\",\"type\":\"entry\",\"scanned_at\":\"yesterday\"}", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{\"code\":\"x\",\"list_id\":\"00000000-0000-4000-8000-000000000000\",\"nonce\":\"abcdefgh\",\"type\":\"entry\",\"force\":\"yes\"}", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{\"code\":\"x\",\"list_id\":\"00000000-0000-4000-8000-000000000000\",\"nonce\":\"abcdefgh\",\"type\":\"entry\",\"extra\":1}", 400 },
    { "POST", "/api/v1/admin/checkin/redeem", "{\"code\":7,\"list_id\":\"00000000-0000-4000-8000-000000000000\",\"nonce\":\"abcdefgh\",\"type\":\"entry\"}", 400 },
    { "POST", "/api/v1/admin/checkin/upload", "{\"scans\":[]}", 400 },
    { "POST", "/api/v1/admin/checkin/upload", "{\"scans\":[1]}", 400 },
    { "POST", "/api/v1/admin/checkin/upload", "{\"scans\":[{\"code\":\"x\"}]}", 400 },
    { "POST", "/api/v1/admin/checkin/upload", "{\"scans\":{}}", 400 },
    { "POST", "/api/v1/admin/checkin/devices", "{\"name\":\"  \"}", 400 },
    { "POST", "/api/v1/admin/checkin/devices", "{}", 400 },
    { "POST", lists, "{\"name\":\"\"}", 400 },
    { "POST", lists, "{\"name\":\"x\",\"ticket_type_ids\":[\"nope\"]}", 400 },
    { "POST", lists, "{\"name\":\"x\",\"allow_unpaid\":\"yes\"}", 400 },
    { "POST", lists, "{\"name\":\"x\",\"opens_at\":\"2030-06-02T00:00:00Z\",\"closes_at\":\"2030-06-01T00:00:00Z\"}", 422 },
    { "POST", "/api/v1/admin/events/nope/checkin-lists", "{\"name\":\"x\"}", 404 },
    { "PATCH", list, "{\"name\":7}", 400 },
    { "PATCH", "/api/v1/admin/checkin-lists/00000000-0000-4000-8000-000000000000", "{\"name\":\"x\"}", 404 },
    { "GET", search, NULL, 400 },
    { "GET", "/api/v1/admin/events/00000000-0000-4000-8000-000000000000/checkin/stats", NULL, 404 },
    { "GET", "/api/v1/admin/events/00000000-0000-4000-8000-000000000000/checkin/bundle", NULL, 404 },
    { "POST", "/api/v1/admin/checkins/nope/undo", NULL, 404 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) r = admin (cases[i].method, cases[i].path, cases[i].body);

      if (r->status != cases[i].status)
        g_error ("case %u (%s %s %s): %u %s", i, cases[i].method, cases[i].path,
                 cases[i].body ? cases[i].body : "", r->status, r->body);
      g_assert_true (eva_test_json_has (r->json, "error.code"));
    }

  /* Query strings. */
  {
    const char *queries[] = { "?q=a", "?q=ab&limit=0", "?q=ab&limit=1000", "?q=ab&offset=-1" };

    for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
      {
        g_autofree char *path = g_strconcat (search, queries[i], NULL);
        g_autoptr(EvaTestResponse) r = admin ("GET", path, NULL);

        g_assert_cmpuint (r->status, ==, 400);
      }
  }
  {
    const char *cursors[] = { "?since=", "?since=abc", "?since=-5", "?since=1e9" };

    for (guint i = 0; i < G_N_ELEMENTS (cursors); i++)
      {
        g_autofree char *path = g_strconcat (bundle, cursors[i], NULL);
        g_autoptr(EvaTestResponse) r = admin ("GET", path, NULL);

        eva_test_assert_error (r, 400, "invalid_query");
      }
  }

  /* A type of another event on a list. */
  {
    g_autoptr(Event) other = make_checkin_event ();
    g_autofree char *body = g_strdup_printf ("{\"name\":\"Mixed\",\"ticket_type_ids\":[\"%s\"]}", other->vip);
    g_autoptr(EvaTestResponse) r = admin ("POST", lists, body);

    eva_test_assert_error (r, 422, "validation_failed");
  }
  /* Unknown device on an upload: that scan is refused, nothing counted. */
  {
    g_auto(GStrv) codes = tickets_of (e->event, e->type, 1, FALSE);
    g_autofree char *n = nonce ();
    g_autofree char *body = g_strdup_printf (
      "{\"scans\":[{\"nonce\":\"%s\",\"code\":\"%s\",\"list_id\":\"%s\",\"type\":\"entry\","
      "\"scanned_at\":\"2030-06-01T19:01:00+02:00\",\"device_id\":\"00000000-0000-4000-8000-000000000000\"}]}",
      n, codes[0], e->list);
    g_autoptr(EvaTestResponse) r = admin ("POST", "/api/v1/admin/checkin/upload", body);

    eva_test_assert_status (r, 200);
    g_assert_cmpstr (eva_test_json_string (r->json, "results.0.status"), ==, "rejected");
    g_assert_cmpint (entries (codes[0], e->list), ==, 0);
  }
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE list_id = $1::uuid", e->list),
                   ==, before);
  (void) other_type;
}

/* The manual fallback: by name, email, booking reference, code prefix. */
static void
test_search (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 2, FALSE);
  g_autofree char *ticket = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE code = $1", codes[0], NULL);
  g_autofree char *booking = eva_test_sql (server->pg, "SELECT upper(left(booking_id::text, 6)) FROM tickets"
                                           " WHERE code = $1", codes[0], NULL);
  g_autofree char *email = eva_test_sql (server->pg, "SELECT a.email FROM tickets t JOIN bookings b ON b.id = t.booking_id"
                                         " JOIN attendees a ON a.id = b.attendee_id WHERE t.code = $1", codes[0], NULL);
  g_autofree char *holder_path = g_strdup_printf ("/api/v1/admin/tickets/%s", ticket);
  g_autoptr(EvaTestResponse) named = admin ("PATCH", holder_path, "{\"holder_name\":\"Zelda Quartermaine\"}");
  const char *queries[4];
  g_autofree char *email_prefix = g_strndup (email, 10);
  g_autofree char *code_prefix = g_strndup (codes[0], 60);
  g_autofree char *base = g_strdup_printf ("/api/v1/admin/events/%s/checkin/search?q=", e->event);

  eva_test_assert_status (named, 200);
  queries[0] = "zelda%20quar";
  queries[1] = email_prefix;
  queries[2] = booking;
  queries[3] = code_prefix;
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *escaped = g_uri_escape_string (queries[i], "%", FALSE);
      g_autofree char *path = g_strconcat (base, escaped, NULL);
      g_autoptr(EvaTestResponse) r = as (door, "GET", path, NULL);
      JsonArray *items;
      gboolean found = FALSE;

      eva_test_assert_status (r, 200);
      items = json_node_get_array (eva_test_json_get (r->json, "items"));
      for (guint j = 0; j < json_array_get_length (items); j++)
        found = found || g_strcmp0 (json_object_get_string_member (
                   json_object_get_object_member (json_array_get_object_element (items, j), "ticket"), "id"), ticket) == 0;
      if (!found)
        g_error ("query %s did not find the ticket: %s", queries[i], r->body);
    }
  /* LIKE's characters are literal: "%%" finds nothing. */
  {
    g_autofree char *path = g_strconcat (base, "%25%25", NULL);
    g_autoptr(EvaTestResponse) r = as (door, "GET", path, NULL);

    eva_test_assert_status (r, 200);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (r->json, "items"))), ==, 0);
  }
}

/* The offline bundle: everything at first, then what changed; gzip and
 * ETag; a ticket revoked after the first bundle is in the second. */
static void
test_bundle (void)
{
  g_autoptr(Event) e = make_checkin_event ();
  g_auto(GStrv) codes = tickets_of (e->event, e->type, 3, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/checkin/bundle", e->event);
  g_autoptr(EvaTestResponse) full = as (door, "GET", path, NULL);
  g_autoptr(EvaTestResponse) in = redeem (codes[0], e->list, "entry");
  g_autofree char *since = NULL;
  g_autofree char *id = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE code = $1", codes[1], NULL);

  eva_test_assert_status (full, 200);
  g_assert_true (json_node_get_boolean (eva_test_json_get (full->json, "full")));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (full->json, "tickets"))), ==, 3);
  g_assert_cmpstr (eva_test_json_string (full->json, "keys.0.algorithm"), ==, "Ed25519");
  g_assert_cmpstr (eva_test_json_string (full->json, "lists.0.id"), ==, e->list);
  g_assert_null (strstr (full->body, "secret"));
  since = g_strdup (eva_test_json_string (full->json, "cursor"));

  /* Revoke ticket 2 after the first bundle (its booking holds 1 and 3 too:
   * reissue just this one). */
  {
    g_autofree char *reissue = g_strdup_printf ("/api/v1/admin/tickets/%s/reissue", id);
    g_autoptr(EvaTestResponse) re = admin ("POST", reissue, NULL);

    eva_test_assert_status (re, 200);
  }
  assert_verdict (in, "ok", NULL);
  {
    g_autofree char *next_path = g_strdup_printf ("%s?since=%s", path, since);
    g_autoptr(EvaTestResponse) next = as (door, "GET", next_path, NULL);
    JsonArray *tickets;
    gboolean revoked = FALSE;

    eva_test_assert_status (next, 200);
    g_assert_false (json_node_get_boolean (eva_test_json_get (next->json, "full")));
    tickets = json_node_get_array (eva_test_json_get (next->json, "tickets"));
    for (guint i = 0; i < json_array_get_length (tickets); i++)
      {
        JsonObject *t = json_array_get_object_element (tickets, i);

        if (g_str_equal (json_object_get_string_member (t, "id"), id))
          revoked = g_str_equal (json_object_get_string_member (t, "status"), "reissued");
      }
    g_assert_true (revoked);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (next->json, "checkins"))), >=, 1);
  }

  /* gzip when asked; an unchanged bundle answers 304 to its ETag. */
  {
    g_autofree char *url = g_strconcat (server->base_url, path, NULL);
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(SoupMessage) again = soup_message_new ("GET", url);
    g_autofree char *auth = g_strconcat ("Bearer ", door, NULL);
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GBytes) body2 = NULL;
    const char *etag;

    /* libsoup would inflate for us if asked; read the raw bytes instead. */
    soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Encoding", "gzip");
    body = soup_session_send_and_read (session, msg, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Content-Encoding"), ==, "gzip");
    g_assert_cmpuint (((const guint8 *) g_bytes_get_data (body, NULL))[0], ==, 0x1f);
    g_assert_cmpuint (((const guint8 *) g_bytes_get_data (body, NULL))[1], ==, 0x8b);
    etag = soup_message_headers_get_one (soup_message_get_response_headers (msg), "ETag");
    g_assert_nonnull (etag);
    soup_message_headers_replace (soup_message_get_request_headers (again), "Authorization", auth);
    soup_message_headers_replace (soup_message_get_request_headers (again), "If-None-Match", etag);
    body2 = soup_session_send_and_read (session, again, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (again), ==, 304);
  }
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
  door2 = eva_test_token_for_role (server, "door_staff");

  g_test_add_func ("/checkin/verdicts", test_verdicts);
  g_test_add_func ("/checkin/concurrent-one-ok", test_concurrent_one_ok);
  g_test_add_func ("/checkin/nonce-replay", test_nonce_replay);
  g_test_add_func ("/checkin/reentry", test_reentry);
  g_test_add_func ("/checkin/offline-upload", test_offline_upload);
  g_test_add_func ("/checkin/batch-order", test_batch_order);
  g_test_add_func ("/checkin/forced-already-in", test_forced_already_in);
  g_test_add_func ("/checkin/batch-nonce-copies", test_batch_nonce_copies);
  g_test_add_func ("/checkin/unstored-codes", test_unstored_codes);
  g_test_add_func ("/checkin/previous-function", test_previous_function);
  g_test_add_func ("/checkin/signed-out", test_signed_out);
  g_test_add_func ("/checkin/undo", test_undo);
  g_test_add_func ("/checkin/lists-and-roles", test_lists_and_roles);
  g_test_add_func ("/checkin/bad-input", test_bad_input);
  g_test_add_func ("/checkin/search", test_search);
  g_test_add_func ("/checkin/bundle", test_bundle);

  ret = g_test_run ();
  g_free (door);
  g_free (door2);
  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
