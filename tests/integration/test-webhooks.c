/* test-webhooks.c: outgoing webhooks — registering endpoints, signed
 * deliveries to a real receiver (tests/webhook-receiver.py, which checks
 * every signature as docs/webhooks.md says), retries while the receiver
 * is down, redelivery with the same payload, test events, refusals of bad
 * input and of private addresses
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eva-test-booking.h"

typedef struct
{
  GPid   pid;
  int    stdin_fd;
  guint  port;
  char  *dir;
  char  *log;
  char  *secrets;
  char  *status;
} Receiver;

static Receiver receiver;

/* ------------------------------------------------------------------ */
/* The receiver                                                       */
/* ------------------------------------------------------------------ */

static void
receiver_start (guint port)
{
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "tests",
                                              "webhook-receiver.py", NULL);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  const char *argv[] = { eva_test_python (), script, receiver.log, receiver.secrets,
                         receiver.status, port_text, NULL };
  g_autoptr(GError) error = NULL;
  int out_fd;
  FILE *out;
  char line[64];

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &receiver.pid, &receiver.stdin_fd,
                                           &out_fd, NULL, &error));
  g_assert_no_error (error);
  out = fdopen (out_fd, "r");
  g_assert_nonnull (fgets (line, sizeof line, out));
  fclose (out);
  receiver.port = (guint) g_ascii_strtoull (line, NULL, 10);
  g_assert_cmpuint (receiver.port, >, 0);
}

static void
receiver_stop (void)
{
  int status;

  if (receiver.pid == 0)
    return;
  close (receiver.stdin_fd);
  kill (receiver.pid, SIGTERM);
  waitpid (receiver.pid, &status, 0);
  g_spawn_close_pid (receiver.pid);
  receiver.pid = 0;
}

static char *
receiver_url (void)
{
  return g_strdup_printf ("http://127.0.0.1:%u/hooks", receiver.port);
}

static void
add_secret (const char *secret)
{
  g_autofree char *old = NULL;
  g_autofree char *text = NULL;

  g_file_get_contents (receiver.secrets, &old, NULL, NULL);
  text = g_strconcat (old != NULL ? old : "", secret, "\n", NULL);
  g_assert_true (g_file_set_contents (receiver.secrets, text, -1, NULL));
}

/* The receiver's log: one parsed record per request. */
static GPtrArray *
received (void)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (receiver.log, &text, NULL, NULL))
    return records;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_ptr_array_add (records, json_from_string (lines[i], NULL));
  return records;
}

/* Records of event @id the receiver answered with @answered (0: any). */
static guint
count_for (GPtrArray  *records,
           const char *id,
           gint64      answered)
{
  guint n = 0;

  for (guint i = 0; i < records->len; i++)
    {
      JsonNode *r = g_ptr_array_index (records, i);

      if (g_strcmp0 (eva_test_json_string (r, "id"), id) == 0 &&
          (answered == 0 || eva_test_json_int (r, "answered") == answered))
        n++;
    }
  return n;
}

/* Waits (polling, at most 20 s) until event @id was answered 200 @n times. */
static void
wait_delivered (const char *id,
                guint       n)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GPtrArray) records = received ();

      if (count_for (records, id, 200) >= n)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("event %s was not delivered %u time(s)", id, n);
      g_usleep (20000);
    }
}

/* Waits (polling, at most 20 s) until the deliveries of event @id are
 * all marked delivered: the receiver may see a request before the worker
 * has recorded its answer. */
static void
wait_marked (const char *id)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *open = eva_test_sql (server->pg,
        "SELECT count(*) FROM webhook_deliveries WHERE event_id = $1::uuid AND status <> 'delivered'",
        id, NULL);

      if (g_str_equal (open, "0"))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("event %s is not marked delivered", id);
      g_usleep (20000);
    }
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* The first value of @sql (with up to two parameters) is @expected. */
#define assert_sql_is(sql, p1, p2, expected) \
  G_STMT_START { \
    g_autofree char *value_ = eva_test_sql (server->pg, (sql), (p1), (p2), NULL); \
    g_assert_cmpstr (value_, ==, (expected)); \
  } G_STMT_END

static EvaTestResponse *
call (const char *method,
      const char *path,
      const char *body)
{
  return eva_test_request (server, method, path, organizer,
                           body != NULL ? "application/json" : NULL, body, -1);
}

/* Registers the receiver for @events (a JSON list); returns the id. */
static char *
register_endpoint (const char *events)
{
  g_autofree char *url = receiver_url ();
  g_autofree char *body = g_strdup_printf ("{\"url\":\"%s\",\"events\":%s,\"description\":\"CRM\"}",
                                           url, events);
  g_autoptr(EvaTestResponse) r = call ("POST", "/api/v1/admin/webhooks", body);
  g_autofree char *stored = NULL;
  const char *secret;

  eva_test_assert_status (r, 201);
  secret = eva_test_json_string (r->json, "secret");
  g_assert_true (g_str_has_prefix (secret, "whsec_"));
  g_assert_cmpuint (strlen (secret), >=, 40);
  add_secret (secret);
  /* Stored sealed with the master key (test-keys.c opens it), never as it is. */
  stored = eva_test_sql (server->pg, "SELECT secret FROM webhook_endpoints WHERE id = $1::uuid",
                         eva_test_json_string (r->json, "id"), NULL);
  g_assert_true (g_str_has_prefix (stored, "sealed:01"));
  g_assert_null (strstr (stored, secret + strlen ("whsec_")));
  return g_strdup (eva_test_json_string (r->json, "id"));
}

static void
remove_endpoint (const char *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/webhooks/%s", id);
  g_autoptr(EvaTestResponse) r = call ("DELETE", path, NULL);

  eva_test_assert_status (r, 204);
}

static char *
published_event (void)
{
  g_autofree char *event = make_event (NULL);

  g_free (make_type (event, "{\"name\":\"Free\",\"price\":0,\"capacity\":50}"));
  publish (event);
  return g_steal_pointer (&event);
}

/* The id of the newest webhook event of @type about @subject (an id in
 * its body). */
static char *
event_id_for (const char *type,
              const char *subject)
{
  return eva_test_sql (server->pg,
                       "SELECT id FROM webhook_events WHERE type = $1 AND position($2 in body) > 0"
                       " ORDER BY created_at DESC LIMIT 1", type, subject, NULL);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_register_and_deliver (void)
{
  g_autofree char *endpoint = register_endpoint ("[\"event.published\",\"event.cancelled\",\"booking.confirmed\"]");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/webhooks/%s", endpoint);
  g_autofree char *deliveries = g_strdup_printf ("/api/v1/admin/webhooks/%s/deliveries", endpoint);
  g_autoptr(EvaTestResponse) got = call ("GET", path, NULL);
  g_autoptr(EvaTestResponse) list = NULL;
  g_autoptr(EvaTestResponse) log = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *event = NULL;
  g_autofree char *webhook_id = NULL;
  g_autoptr(JsonNode) body = NULL;
  gboolean found = FALSE;

  /* The secret is shown once, at creation. */
  eva_test_assert_status (got, 200);
  g_assert_false (eva_test_json_has (got->json, "secret"));
  g_assert_cmpstr (eva_test_json_string (got->json, "events.0"), ==, "event.published");
  g_assert_true (eva_test_json_bool (got->json, "enabled"));
  list = call ("GET", "/api/v1/admin/webhooks", NULL);
  eva_test_assert_status (list, 200);
  g_assert_false (eva_test_json_has (list->json, "items.0.secret"));

  event = published_event ();
  webhook_id = event_id_for ("event.published", event);
  g_assert_nonnull (webhook_id);
  wait_delivered (webhook_id, 1);

  records = received ();
  for (guint i = 0; i < records->len; i++)
    {
      JsonNode *r = g_ptr_array_index (records, i);

      if (g_strcmp0 (eva_test_json_string (r, "id"), webhook_id) != 0)
        continue;
      found = TRUE;
      g_assert_true (eva_test_json_bool (r, "signature_ok"));
      g_assert_cmpstr (eva_test_json_string (r, "header_id"), ==, webhook_id);
      g_assert_cmpstr (eva_test_json_string (r, "type"), ==, "event.published");
      body = json_from_string (eva_test_json_string (r, "body"), NULL);
    }
  g_assert_true (found);
  g_assert_cmpstr (eva_test_json_string (body, "data.event.id"), ==, event);
  g_assert_cmpstr (eva_test_json_string (body, "data.event.status"), ==, "published");
  g_assert_true (eva_test_json_has (body, "created_at"));

  /* The delivery log says so. */
  wait_marked (webhook_id);
  log = call ("GET", deliveries, NULL);
  eva_test_assert_status (log, 200);
  g_assert_cmpstr (eva_test_json_string (log->json, "items.0.event_id"), ==, webhook_id);
  g_assert_cmpstr (eva_test_json_string (log->json, "items.0.status"), ==, "delivered");
  g_assert_cmpint (eva_test_json_int (log->json, "items.0.response_status"), ==, 200);
  g_assert_cmpstr (eva_test_json_string (log->json, "items.0.response_excerpt"), ==, "{\"received\": true}");

  /* And the endpoint itself carries its newest delivery, for lists. */
  {
    g_autoptr(EvaTestResponse) now = call ("GET", path, NULL);

    eva_test_assert_status (now, 200);
    g_assert_cmpstr (eva_test_json_string (now->json, "last_delivery.id"), ==,
                     eva_test_json_string (log->json, "items.0.id"));
    g_assert_cmpstr (eva_test_json_string (now->json, "last_delivery.status"), ==, "delivered");
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (now->json, "disabled_by")));
  }
  g_clear_pointer (&list, eva_test_response_free);
  list = call ("GET", "/api/v1/admin/webhooks", NULL);
  eva_test_assert_status (list, 200);
  g_assert_cmpstr (eva_test_json_string (list->json, "items.0.id"), ==, endpoint);
  g_assert_cmpint (eva_test_json_int (list->json, "items.0.last_delivery.response_status"), ==, 200);

  /* Switched off by an organizer: said so in a field, not only in words. */
  {
    g_autoptr(EvaTestResponse) off = call ("PATCH", path, "{\"enabled\":false}");

    eva_test_assert_status (off, 200);
    g_assert_cmpstr (eva_test_json_string (off->json, "disabled_by"), ==, "organizer");
  }

  remove_endpoint (endpoint);
}

static void
test_booking_confirmed (void)
{
  g_autofree char *endpoint = register_endpoint ("[\"booking.confirmed\"]");
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"Free\",\"price\":0,\"capacity\":50}");
  g_autoptr(Buyer) b = NULL;
  g_autoptr(EvaTestResponse) r = NULL;
  g_autofree char *webhook_id = NULL;
  g_autoptr(GPtrArray) records = NULL;

  publish (event);
  b = make_buyer_on (server, "hook", TRUE);
  r = hold (b, event, type, 2, NULL);
  eva_test_assert_status (r, 201);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "confirmed");

  webhook_id = event_id_for ("booking.confirmed", eva_test_json_string (r->json, "id"));
  g_assert_nonnull (webhook_id);
  wait_delivered (webhook_id, 1);
  records = received ();
  for (guint i = 0; i < records->len; i++)
    {
      JsonNode *rec = g_ptr_array_index (records, i);
      g_autoptr(JsonNode) body = NULL;

      if (g_strcmp0 (eva_test_json_string (rec, "id"), webhook_id) != 0)
        continue;
      body = json_from_string (eva_test_json_string (rec, "body"), NULL);
      /* Written at the commit: the booking with its items. */
      g_assert_cmpstr (eva_test_json_string (body, "data.booking.status"), ==, "confirmed");
      g_assert_cmpint (eva_test_json_int (body, "data.booking.items.0.quantity"), ==, 2);
    }
  remove_endpoint (endpoint);
}

/* Every event type, from the flows that cause it: the triggers build each
 * payload at commit time without breaking the change they report. */
static void
test_every_event_type (void)
{
  g_autofree char *endpoint = register_endpoint (
    "[\"booking.confirmed\",\"booking.cancelled\",\"booking.refunded\",\"payment.received\","
    "\"ticket.reissued\",\"checkin.created\",\"event.published\",\"event.cancelled\"]");
  g_autofree char *event = make_event ("\"payment_methods\":[\"at_door\"]");
  g_autofree char *type = make_type (event, "{\"name\":\"Seat\",\"price\":2500,\"capacity\":10}");
  g_autoptr(Buyer) b = NULL;
  g_autoptr(EvaTestResponse) held = NULL;
  g_autoptr(EvaTestResponse) other = NULL;
  g_autoptr(EvaTestResponse) r = NULL;
  g_autofree char *booking = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ticket = NULL;
  g_autofree char *code = NULL;
  g_autofree char *list = NULL;
  g_autofree char *nonce = g_uuid_string_random ();
  g_autofree char *body = NULL;
  gint64 deadline;

  publish (event);
  b = make_buyer_on (server, "every", TRUE);
  held = hold (b, event, type, 2, NULL);
  eva_test_assert_status (held, 201);
  booking = g_strdup (eva_test_json_string (held->json, "id"));

  path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, "{\"method\":\"at_door\"}");
  eva_test_assert_status (r, 200);
  g_clear_pointer (&r, eva_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", booking);
  r = admin ("POST", path, "{\"amount\":5000,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_status (r, 200);

  g_clear_pointer (&r, eva_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/bookings/%s/tickets", booking);
  r = admin ("GET", path, NULL);
  eva_test_assert_status (r, 200);
  ticket = g_strdup (eva_test_json_string (r->json, "items.0.id"));
  code = g_strdup (eva_test_json_string (r->json, "items.1.code"));
  g_clear_pointer (&r, eva_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/tickets/%s/reissue", ticket);
  r = admin ("POST", path, NULL);
  eva_test_assert_status (r, 200);

  g_clear_pointer (&r, eva_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", event);
  r = admin ("GET", path, NULL);
  eva_test_assert_status (r, 200);
  list = g_strdup (eva_test_json_string (r->json, "items.0.id"));
  g_clear_pointer (&r, eva_test_response_free);
  body = g_strdup_printf ("{\"code\":\"%s\",\"list_id\":\"%s\",\"nonce\":\"%s\",\"type\":\"entry\"}",
                          code, list, nonce);
  r = admin ("POST", "/api/v1/admin/checkin/redeem", body);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "ok");

  g_clear_pointer (&r, eva_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", booking);
  r = admin ("POST", path, "{}");
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "booking.status"), ==, "refunded");

  other = hold (b, event, type, 1, NULL);
  eva_test_assert_status (other, 201);
  g_clear_pointer (&r, eva_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", eva_test_json_string (other->json, "id"));
  r = admin ("POST", path, NULL);
  eva_test_assert_status (r, 200);

  g_clear_pointer (&r, eva_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/cancel", event);
  r = admin ("POST", path, NULL);
  eva_test_assert_status (r, 200);

  /* All eight types arrive, signed. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *types = eva_test_sql (server->pg,
        "SELECT string_agg(DISTINCT v.type, ',' ORDER BY v.type) FROM webhook_deliveries d"
        " JOIN webhook_events v ON v.id = d.event_id"
        " WHERE d.endpoint_id = $1::uuid AND d.status = 'delivered'", endpoint, NULL);

      if (g_strcmp0 (types, "booking.cancelled,booking.confirmed,booking.refunded,checkin.created,"
                            "event.cancelled,event.published,payment.received,ticket.reissued") == 0)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("delivered only: %s", types);
      g_usleep (20000);
    }
  assert_sql_is ("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1::uuid"
                 " AND status <> 'delivered'", endpoint, NULL, "0");
  /* The reissued ticket names its replacement; the payment its booking. */
  assert_sql_is ("SELECT count(*) FROM webhook_events WHERE type = 'ticket.reissued'"
                 " AND body::jsonb #>> '{data,ticket,id}' = $1"
                 " AND body::jsonb #>> '{data,replacement,status}' = 'valid'", ticket, NULL, "1");
  assert_sql_is ("SELECT count(*) FROM webhook_events WHERE type = 'payment.received'"
                 " AND body::jsonb #>> '{data,booking,id}' = $1"
                 " AND body::jsonb #>> '{data,payment,amount}' = '5000'", booking, NULL, "1");
  /* A payload carries no ticket code. */
  assert_sql_is ("SELECT count(*) FROM webhook_events WHERE position($1 in body) > 0", code, NULL, "0");
  remove_endpoint (endpoint);
}

static void
test_receiver_down (void)
{
  g_autofree char *endpoint = register_endpoint ("[\"event.published\",\"event.cancelled\"]");
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) records = NULL;
  guint port = receiver.port;
  gint64 deadline;

  /* First it answers 503, then it is gone altogether. */
  g_assert_true (g_file_set_contents (receiver.status, "503", -1, NULL));
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *event = published_event ();
      g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/cancel", event);
      g_autoptr(EvaTestResponse) r = call ("POST", path, NULL);

      eva_test_assert_status (r, 200);
      g_ptr_array_add (ids, event_id_for ("event.published", event));
      g_ptr_array_add (ids, event_id_for ("event.cancelled", event));
    }

  /* Every delivery is tried and fails at least once. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *failing = eva_test_sql (server->pg,
        "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1::uuid"
        " AND status = 'pending' AND attempts >= 1 AND response_status = 503", endpoint, NULL);

      if (g_str_equal (failing, "6"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  receiver_stop ();
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *refused = eva_test_sql (server->pg,
        "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1::uuid"
        " AND status = 'pending' AND response_status IS NULL AND last_error IS NOT NULL",
        endpoint, NULL);

      if (g_str_equal (refused, "6"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }

  /* Back: each event arrives, once, with its body unchanged. */
  g_assert_true (g_unlink (receiver.status) == 0);
  receiver_start (port);
  for (guint i = 0; i < ids->len; i++)
    {
      wait_delivered (g_ptr_array_index (ids, i), 1);
      wait_marked (g_ptr_array_index (ids, i));
    }
  records = received ();
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      const char *first = NULL;

      g_assert_cmpuint (count_for (records, id, 200), ==, 1);
      g_assert_cmpuint (count_for (records, id, 503), >=, 1);
      for (guint j = 0; j < records->len; j++)
        {
          JsonNode *r = g_ptr_array_index (records, j);

          if (g_strcmp0 (eva_test_json_string (r, "id"), id) != 0)
            continue;
          g_assert_true (eva_test_json_bool (r, "signature_ok"));
          if (first == NULL)
            first = eva_test_json_string (r, "body");
          g_assert_cmpstr (eva_test_json_string (r, "body"), ==, first);
        }
    }
  assert_sql_is ("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1::uuid"
                 " AND status = 'delivered'", endpoint, NULL, "6");
  remove_endpoint (endpoint);
}

static void
test_redeliver_and_test_event (void)
{
  g_autofree char *endpoint = register_endpoint ("[\"event.published\"]");
  g_autofree char *event = published_event ();
  g_autofree char *webhook_id = event_id_for ("event.published", event);
  g_autofree char *delivery = NULL;
  g_autofree char *path = NULL;
  g_autofree char *test_path = g_strdup_printf ("/api/v1/admin/webhooks/%s/test", endpoint);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autoptr(EvaTestResponse) t = NULL;
  g_autoptr(GPtrArray) records = NULL;
  const char *first = NULL;

  wait_delivered (webhook_id, 1);
  wait_marked (webhook_id);
  delivery = eva_test_sql (server->pg, "SELECT id FROM webhook_deliveries WHERE event_id = $1::uuid",
                           webhook_id, NULL);
  path = g_strdup_printf ("/api/v1/admin/webhook-deliveries/%s/redeliver", delivery);
  r = call ("POST", path, NULL);
  eva_test_assert_status (r, 202);
  g_assert_cmpstr (eva_test_json_string (r->json, "event_id"), ==, webhook_id);
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "pending");
  wait_delivered (webhook_id, 2);

  /* The same id, the same bytes. */
  records = received ();
  for (guint i = 0; i < records->len; i++)
    {
      JsonNode *rec = g_ptr_array_index (records, i);

      if (g_strcmp0 (eva_test_json_string (rec, "id"), webhook_id) != 0)
        continue;
      if (first == NULL)
        first = eva_test_json_string (rec, "body");
      g_assert_cmpstr (eva_test_json_string (rec, "body"), ==, first);
    }

  t = call ("POST", test_path, NULL);
  eva_test_assert_status (t, 202);
  g_assert_cmpstr (eva_test_json_string (t->json, "event_type"), ==, "webhook.test");
  wait_delivered (eva_test_json_string (t->json, "event_id"), 1);
  remove_endpoint (endpoint);
}

static void
test_failing_endpoint_disabled (void)
{
  g_autofree char *endpoint = register_endpoint ("[\"event.published\"]");
  g_autofree char *event = NULL;
  g_autofree char *webhook_id = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/webhooks/%s", endpoint);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autoptr(EvaTestResponse) again = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_true (g_file_set_contents (receiver.status, "500", -1, NULL));
  event = published_event ();
  webhook_id = event_id_for ("event.published", event);
  /* Three days have passed, as far as this delivery knows. */
  g_free (eva_test_sql (server->pg,
                        "UPDATE webhook_deliveries SET give_up_at = now () WHERE event_id = $1::uuid",
                        webhook_id, NULL));
  for (;;)
    {
      /* Marked failed, then the endpoint disabled (and the mails queued)
       * in a transaction of its own. */
      g_autofree char *state = eva_test_sql (server->pg,
        "SELECT d.status || ' ' || e.enabled FROM webhook_deliveries d"
        " JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.event_id = $1::uuid",
        webhook_id, NULL);

      if (g_str_equal (state, "failed false"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_assert_true (g_unlink (receiver.status) == 0);

  /* Disabled, with the reason, and every organizer is told once. */
  r = call ("GET", path, NULL);
  eva_test_assert_status (r, 200);
  g_assert_false (eva_test_json_bool (r->json, "enabled"));
  g_assert_nonnull (strstr (eva_test_json_string (r->json, "disabled_reason"), "answered 500"));
  g_assert_cmpstr (eva_test_json_string (r->json, "disabled_by"), ==, "failures");
  g_assert_cmpstr (eva_test_json_string (r->json, "last_delivery.status"), ==, "failed");
  assert_sql_is ("SELECT count(*) = (SELECT count(*) FROM staff WHERE role IN ('organizer', 'super_admin')"
                 "  AND disabled_at IS NULL) FROM email_outbox WHERE template = 'webhook_disabled'"
                 "  AND payload->>'url' LIKE '%/hooks'", NULL, NULL, "t");

  /* Disabled: no new events are queued for it. */
  g_free (published_event ());
  assert_sql_is ("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1::uuid",
                 endpoint, NULL, "1");

  /* Enabled again: redeliver sends what it missed. */
  again = call ("PATCH", path, "{\"enabled\":true}");
  eva_test_assert_status (again, 200);
  g_assert_true (eva_test_json_bool (again->json, "enabled"));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (again->json, "disabled_reason")));
  {
    g_autofree char *delivery = eva_test_sql (server->pg,
      "SELECT id FROM webhook_deliveries WHERE event_id = $1::uuid", webhook_id, NULL);
    g_autofree char *redeliver = g_strdup_printf ("/api/v1/admin/webhook-deliveries/%s/redeliver", delivery);
    g_autoptr(EvaTestResponse) rd = call ("POST", redeliver, NULL);

    eva_test_assert_status (rd, 202);
    wait_delivered (webhook_id, 1);
  }
  remove_endpoint (endpoint);
}

static void
test_bad_input (void)
{
  g_autofree char *url = receiver_url ();
  g_autofree char *endpoint = register_endpoint ("[\"event.published\"]");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/webhooks/%s", endpoint);
  g_autofree char *deliveries = g_strdup_printf ("/api/v1/admin/webhooks/%s/deliveries?limit=0", endpoint);
  const char *bodies[] = {
    "{}",
    "{\"url\":\"ftp://example.com/x\",\"events\":[\"event.published\"]}",
    "{\"url\":\"https://user:pw@example.com/x\",\"events\":[\"event.published\"]}",
    "{\"url\":\"https://example.com/x#frag\",\"events\":[\"event.published\"]}",
    "{\"url\":\"https://example.com/a b\",\"events\":[\"event.published\"]}",
    "{\"url\":\"https://example.com/x\",\"events\":[]}",
    "{\"url\":\"https://example.com/x\",\"events\":[\"booking.eaten\"]}",
    "{\"url\":\"https://example.com/x\",\"events\":[\"event.published\",\"event.published\"]}",
    "{\"url\":\"https://example.com/x\",\"events\":\"event.published\"}",
    "{\"url\":\"https://example.com/x\",\"events\":[42]}",
    "{\"url\":\"https://example.com/x\",\"events\":[\"event.published\"],\"secret\":\"mine\"}",
    "{\"url\":42,\"events\":[\"event.published\"]}",
    "[1,2]",
  };
  g_autofree char *before = eva_test_sql (server->pg, "SELECT count(*) FROM webhook_endpoints", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(EvaTestResponse) r = call ("POST", "/api/v1/admin/webhooks", bodies[i]);

      g_test_message ("body %s", bodies[i]);
      g_assert_cmpuint (r->status, >=, 400);
      g_assert_cmpuint (r->status, <, 500);
      g_assert_true (eva_test_json_has (r->json, "error.code"));
    }
  assert_sql_is ("SELECT count(*) FROM webhook_endpoints", NULL, NULL, before);

  {
    g_autoptr(EvaTestResponse) r = call ("PATCH", path, "{\"events\":[\"nope\"]}");
    g_autoptr(EvaTestResponse) r2 = call ("PATCH", "/api/v1/admin/webhooks/not-a-uuid", "{\"enabled\":false}");
    g_autoptr(EvaTestResponse) r3 = call ("PATCH", "/api/v1/admin/webhooks/00000000-0000-4000-8000-000000000000", "{\"enabled\":false}");
    g_autoptr(EvaTestResponse) r4 = call ("POST", "/api/v1/admin/webhook-deliveries/abc/redeliver", NULL);
    g_autoptr(EvaTestResponse) r5 = call ("POST", "/api/v1/admin/webhook-deliveries/999999999/redeliver", NULL);
    g_autoptr(EvaTestResponse) r6 = call ("GET", deliveries, NULL);
    g_autoptr(EvaTestResponse) r7 = call ("PATCH", path, "{\"enabled\":false}");
    g_autofree char *test_path = g_strdup_printf ("%s/test", path);
    g_autoptr(EvaTestResponse) r8 = call ("POST", test_path, NULL);
    g_autoptr(EvaTestResponse) r9 = call ("PATCH", path, "{\"enabled\":\"yes\"}");

    eva_test_assert_error (r, 400, "validation_failed");
    eva_test_assert_error (r2, 404, "not_found");
    eva_test_assert_error (r3, 404, "not_found");
    eva_test_assert_error (r4, 404, "not_found");
    eva_test_assert_error (r5, 404, "not_found");
    eva_test_assert_error (r6, 400, NULL);
    eva_test_assert_status (r7, 200);
    g_assert_false (eva_test_json_bool (r7->json, "enabled"));
    g_assert_cmpstr (eva_test_json_string (r7->json, "disabled_reason"), ==, "disabled by an organizer");
    eva_test_assert_error (r8, 409, "webhook_disabled");
    eva_test_assert_error (r9, 400, "validation_failed");
  }

  /* Door staff may not see or change endpoints. */
  {
    g_autofree char *door = eva_test_token_for_role (server, "door_staff");
    g_autoptr(EvaTestResponse) r = eva_test_request (server, "GET", "/api/v1/admin/webhooks", door,
                                                     NULL, NULL, 0);

    eva_test_assert_error (r, 403, "forbidden");
  }
  (void) url;
  remove_endpoint (endpoint);
}

static void
test_private_addresses_refused (void)
{
  /* A database of its own: the main server (which may call private
   * addresses) must not deliver its events. */
  g_autoptr(EvaTestServer) strict = eva_test_server_start ((const char *[]) {
    "EVERATO_WEBHOOK_ALLOW_PRIVATE=0", "EVERATO_WEBHOOK_POLL_MS=50", NULL });
  g_autofree char *token = eva_test_token_for_role (strict, "organizer");
  const char *urls[] = {
    "http://127.0.0.1:9/x", "http://127.1.2.3/", "http://[::1]/", "http://localhost/",
    "http://api.localhost/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/",
    "http://172.16.0.1/", "http://192.168.1.1/", "http://[fe80::1]/", "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/",
  };
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autolist(GInetAddress) addresses = NULL;
  const char *host = g_get_host_name ();

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"url\":\"%s\",\"events\":[\"event.published\"]}", urls[i]);
      g_autoptr(EvaTestResponse) r = eva_test_request (strict, "POST", "/api/v1/admin/webhooks", token,
                                                       "application/json", body, -1);

      g_test_message ("url %s", urls[i]);
      eva_test_assert_error (r, 400, "validation_failed");
      g_assert_nonnull (strstr (eva_test_json_string (r->json, "error.details.url"), "must not point"));
    }

  /* A name is checked by the address it resolves to, at connection time:
   * this machine's own name, put in place behind the API's back. */
  addresses = g_resolver_lookup_by_name (resolver, host, NULL, NULL);
  if (addresses == NULL || (!g_inet_address_get_is_loopback (addresses->data) &&
                            !g_inet_address_get_is_site_local (addresses->data)))
    {
      g_test_message ("%s does not resolve to a private address: connection check not tried", host);
      return;
    }
  {
    g_autofree char *url = g_strdup_printf ("http://%s:%u/hooks", host, receiver.port);
    g_autofree char *id = eva_test_sql (strict->pg,
      "INSERT INTO webhook_endpoints (url, events, secret) VALUES ($1, '{event.published}',"
      " 'whsec_0123456789012345678901234567890123456789') RETURNING id", url, NULL);
    g_autofree char *webhook_id = eva_test_sql (strict->pg,
      "SELECT eva_webhook_emit('event.published', '{\"event\":null}'::jsonb)", NULL);
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
    g_autoptr(GPtrArray) records = NULL;

    for (;;)
      {
        g_autofree char *error = eva_test_sql (strict->pg,
          "SELECT last_error FROM webhook_deliveries WHERE endpoint_id = $1::uuid AND event_id = $2::uuid",
          id, webhook_id, NULL);

        if (error != NULL)
          {
            g_assert_nonnull (strstr (error, "refused"));
            break;
          }
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (20000);
      }
    /* Nothing reached the receiver. */
    records = received ();
    g_assert_cmpuint (count_for (records, webhook_id, 0), ==, 0);
  }
}

/* Events older than 30 days with nothing left to send are removed (their
 * deliveries with them); a younger one, or one still being retried, stays.
 * A server prunes as it starts and once a minute after. */
static void
test_old_events_pruned (void)
{
  g_autofree char *endpoint = register_endpoint ("[\"event.published\"]");
  g_autoptr(EvaTestServer) second = NULL;
  const char *insert =
    "WITH v AS (INSERT INTO webhook_events (type, body, created_at)"
    "           VALUES ('event.published', '{}', now () - $1::interval) RETURNING id)"
    " SELECT id FROM v";
  g_autofree char *old_done = eva_test_sql (server->pg, insert, "31 days", NULL);
  g_autofree char *old_failed = eva_test_sql (server->pg, insert, "40 days", NULL);
  g_autofree char *old_alone = eva_test_sql (server->pg, insert, "31 days", NULL);
  g_autofree char *old_pending = eva_test_sql (server->pg, insert, "31 days", NULL);
  g_autofree char *young_done = eva_test_sql (server->pg, insert, "29 days", NULL);
  const char *deliver =
    "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at)"
    " VALUES ($1::uuid, $2::uuid, $3, now () + interval '1 day')";
  gint64 deadline;

  g_free (eva_test_sql (server->pg, deliver, old_done, endpoint, "delivered", NULL));
  g_free (eva_test_sql (server->pg, deliver, old_failed, endpoint, "failed", NULL));
  g_free (eva_test_sql (server->pg, deliver, old_pending, endpoint, "pending", NULL));
  g_free (eva_test_sql (server->pg, deliver, young_done, endpoint, "delivered", NULL));

  second = eva_test_server_start_on (server->dbname, NULL);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *left = eva_test_sql (server->pg,
        "SELECT count(*) FROM webhook_events WHERE id IN ($1::uuid, $2::uuid, $3::uuid)",
        old_done, old_failed, old_alone, NULL);

      if (g_str_equal (left, "0"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }

  assert_sql_is ("SELECT count(*) FROM webhook_deliveries WHERE event_id IN ($1::uuid, $2::uuid)",
                 old_done, old_failed, "0");
  assert_sql_is ("SELECT count(*) FROM webhook_events WHERE id IN ($1::uuid, $2::uuid)",
                 old_pending, young_done, "2");
  assert_sql_is ("SELECT count(*) FROM webhook_deliveries WHERE event_id IN ($1::uuid, $2::uuid)",
                 old_pending, young_done, "2");

  /* Only one server drops the database when the test ends. */
  g_clear_pointer (&second->dbname, g_free);
  remove_endpoint (endpoint);
}

int
main (int   argc,
      char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);

  receiver.dir = g_dir_make_tmp ("everato-webhooks-XXXXXX", NULL);
  receiver.log = g_build_filename (receiver.dir, "received.jsonl", NULL);
  receiver.secrets = g_build_filename (receiver.dir, "secrets", NULL);
  receiver.status = g_build_filename (receiver.dir, "status", NULL);
  receiver_start (0);

  server = eva_test_server_start ((const char *[]) {
    "EVERATO_WEBHOOK_ALLOW_PRIVATE=1", "EVERATO_WEBHOOK_POLL_MS=50",
    "EVERATO_WEBHOOK_RETRY_BASE_MS=100", "EVERATO_WEBHOOK_RETRY_MAX_MS=300",
    "EVERATO_WEBHOOK_TIMEOUT_MS=2000", NULL });
  organizer = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/webhooks/register-and-deliver", test_register_and_deliver);
  g_test_add_func ("/webhooks/booking-confirmed", test_booking_confirmed);
  g_test_add_func ("/webhooks/every-event-type", test_every_event_type);
  g_test_add_func ("/webhooks/receiver-down", test_receiver_down);
  g_test_add_func ("/webhooks/redeliver-and-test-event", test_redeliver_and_test_event);
  g_test_add_func ("/webhooks/failing-endpoint-disabled", test_failing_endpoint_disabled);
  g_test_add_func ("/webhooks/bad-input", test_bad_input);
  g_test_add_func ("/webhooks/private-addresses-refused", test_private_addresses_refused);
  g_test_add_func ("/webhooks/old-events-pruned", test_old_events_pruned);

  rc = g_test_run ();
  eva_test_server_free (server);
  receiver_stop ();
  g_free (organizer);
  return rc;
}
