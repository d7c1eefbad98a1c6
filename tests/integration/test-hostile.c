/* test-hostile.c: every route against hostile input
 *
 * One server, real fixtures (an event with a ticket type, published; a
 * coupon; a booking; staff and attendees), then for every route of
 * eva_routes_get(), with the strongest credentials it accepts: a battery of
 * malformed bodies, wrong types for every field the resource knows, hostile
 * strings, bad query strings and bad path ids. Every answer must be below
 * 500, every 4xx a JSON error envelope, the server must stay up, a refused
 * request must write nothing, and held + sold never exceeds capacity.
 *
 * The harness's request helper aborts on a transport error; this file has
 * its own, so that a crash names the request that caused it.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "core/eva-auth.h"
#include "eva-common.h"
#include "app/eva-routes.h"
#include "eva-test.h"
#include "eva-test-keys.h"
#include "services/attendees.h"

#define PASSWORD "correct horse battery staple"

static EvaTestServer *server;
static SoupSession *session;
static char *super_token;
static char *organizer_token;
static char *door_token;

/* The attendee who owns the booking, signed in through the API. */
static char *attendee_id;
static char *attendee_email;
static char *cookie;
static char *csrf;

/* Fixtures */
static char *event_id;
static char *type_id;
static char *coupon_id;
static char *booking_id;
static char *victim_staff_id;
static char *victim_attendee_id;
static char *victim_event_id;   /* for publish, cancel, archive */
static char *victim_draft_id;   /* for delete */
static char *mail_id;
static char *ticket_id;        /* of a confirmed (free) booking */
static char *list_id;          /* the event's default check-in list */
static char *webhook_id;

static guint n_requests;

/* Under AddressSanitizer the full sweep takes many minutes: there each
 * route gets every sample_every-th probe of its batteries, starting at a
 * different one for each route, so every kind of probe still meets a
 * share of the routes (the normal build sends them all).
 * EVERATO_HOSTILE_SAMPLE=N sets it; 1 sends everything. */
static guint sample_every = 1;
static guint sample_phase;
static guint probe_seq;
static gboolean sampling;     /* in a route's batteries */
static guint n_skipped;
static guint n_failures;
static guint notes;
static guint seen[600];   /* statuses of the current route */
static gboolean logged;   /* the route's first request is logged */

/* POSTs carry a fresh Idempotency-Key unless this is set. */
static const char *idempotency_key;

/* ------------------------------------------------------------------ */
/* Requests                                                           */
/* ------------------------------------------------------------------ */

typedef enum
{
  AUTH_NONE,
  AUTH_BEARER,
  AUTH_COOKIE,
} AuthKind;

typedef struct
{
  AuthKind    kind;
  const char *token;    /* bearer */
  const char *cookie;   /* everato_session */
  const char *csrf;
} Creds;

/* Routes that end their own session (logout, account deletion) get a new
 * one before every request sent with these credentials. */
static Creds *renew;
static char *baseline;                 /* table counts after the last request */
static char *table_counts (void);
static gboolean renew_attendee;
static gboolean renew_staff;
static char *renew_cookie;
static char *renew_csrf;
static char *renew_token;
static char *super_id;
static void session_in_db (const char *who, char **cookie_out, char **csrf_out);
static char *staff_token_in_db (const char *staff_id);
static char *attendee_in_db (const char *email);

typedef struct
{
  guint  status;
  char  *body;
  gsize  length;
  char  *content_type;
} Resp;

static void
resp_free (Resp *r)
{
  if (r == NULL)
    return;
  g_free (r->body);
  g_free (r->content_type);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Resp, resp_free)

static char *
describe (const char *method,
          const char *path,
          const char *type,
          const char *body,
          gsize       len)
{
  g_autofree char *shown = NULL;

  if (body == NULL)
    shown = g_strdup ("(no body)");
  else if (len > 160)
    shown = g_strdup_printf ("%.120s… (%" G_GSIZE_FORMAT " bytes)", body, len);
  else
    shown = g_strndup (body, len);
  return g_strdup_printf ("%s %.200s%s [%s] %s", method, path,
                          strlen (path) > 200 ? "…" : "",
                          type != NULL ? type : "-", shown);
}

static void
server_died (const char *what)
{
  g_autofree char *log = eva_test_server_log (server);
  gsize len = strlen (log);

  g_printerr ("---- server log (tail) ----\n%s\n", len > 8000 ? log + len - 8000 : log);
  g_error ("the server stopped answering after: %s", what);
}

static Resp *
send_raw (const char  *method,
          const char  *path,
          const Creds *creds,
          const char  *type,
          const char  *body,
          gsize        len)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  Resp *r;

  n_requests++;
  if (creds != NULL && creds == renew && renew_staff)
    {
      g_free (renew_token);
      renew_token = staff_token_in_db (super_id);
      renew->token = renew_token;
      g_free (baseline);
      baseline = table_counts ();
    }
  else if (creds != NULL && creds == renew)
    {
      g_autofree char *who = NULL;

      if (renew_attendee)
        {
          g_autofree char *email = g_strdup_printf ("doomed%u@example.test", n_requests);

          who = attendee_in_db (email);
        }
      else
        who = g_strdup (attendee_id);
      g_free (renew_cookie);
      g_free (renew_csrf);
      session_in_db (who, &renew_cookie, &renew_csrf);
      renew->cookie = renew_cookie;
      renew->csrf = renew_csrf;
      g_free (baseline);
      baseline = table_counts ();
    }
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      /* A path libsoup will not even send; not the server's business. */
      g_test_message ("unsendable path: %.200s", path);
      return NULL;
    }
  headers = soup_message_get_request_headers (msg);
  if (creds != NULL && creds->kind == AUTH_BEARER)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", creds->token, NULL);

      soup_message_headers_replace (headers, "Authorization", auth);
    }
  else if (creds != NULL && creds->kind == AUTH_COOKIE)
    {
      g_autofree char *text = g_strconcat ("everato_session=", creds->cookie, NULL);

      soup_message_headers_replace (headers, "Cookie", text);
      soup_message_headers_replace (headers, "X-CSRF-Token", creds->csrf);
    }
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);
  else if (g_str_equal (method, "POST"))
    {
      g_autofree char *key = g_uuid_string_random ();

      soup_message_headers_replace (headers, "Idempotency-Key", key);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, len);

      /* Set directly: libsoup refuses types without a '/'. */
      soup_message_set_request_body_from_bytes (msg, NULL, request);
      if (type != NULL)
        soup_message_headers_replace (headers, "Content-Type", type);
    }

  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  if (error != NULL)
    {
      g_autofree char *what = describe (method, path, type, body, len);
      g_autofree char *full = g_strdup_printf ("%s (%s)", what, error->message);

      server_died (full);
    }

  r = g_new0 (Resp, 1);
  r->status = soup_message_get_status (msg);
  r->length = g_bytes_get_size (bytes);
  r->body = g_strndup (g_bytes_get_data (bytes, NULL), r->length);
  r->content_type = g_strdup (soup_message_headers_get_content_type (
                                soup_message_get_response_headers (msg), NULL));
  if (g_strcmp0 (r->content_type, "application/json") == 0 && r->length > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      /* Not JSON is for is_error_envelope() to find; JSON must match
       * the document. */
      /* Checked against the path as sent: libsoup removes dot segments
       * ("%2e%2e" included), so the server may have seen another route. */
      GUri *sent = soup_message_get_uri (msg);

      if (json_parser_load_from_data (parser, r->body, r->length, NULL))
        eva_test_check_response (method, g_uri_get_path (sent), r->status,
                                 json_parser_get_root (parser));
    }
  return r;
}

static gboolean
is_error_envelope (Resp *r)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;
  JsonNode *error;

  if (g_strcmp0 (r->content_type, "application/json") != 0 ||
      !json_parser_load_from_data (parser, r->body, r->length, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);
  error = json_object_get_member (object, "error");
  if (error == NULL || !JSON_NODE_HOLDS_OBJECT (error))
    return FALSE;
  object = json_node_get_object (error);
  return json_object_get_string_member_with_default (object, "code", NULL) != NULL &&
         json_object_get_string_member_with_default (object, "message", NULL) != NULL;
}

/* Counts a refused request must not change. */
static char *
table_counts (void)
{
  return eva_test_sql (server->pg,
                       "SELECT concat_ws(',',"
                       " (SELECT count(*) FROM events), (SELECT count(*) FROM ticket_types),"
                       " (SELECT count(*) FROM coupons), (SELECT count(*) FROM bookings),"
                       " (SELECT count(*) FROM staff), (SELECT count(*) FROM attendees),"
                       " (SELECT count(*) FROM audit_log))", NULL);
}


/* Sends one request and checks the answer; returns the status. */
static guint
probe_full (const char  *method,
            const char  *path,
            const Creds *creds,
            const char  *type,
            const char  *body,
            gsize        len)
{
  g_autoptr(Resp) r = NULL;
  g_autofree char *what = NULL;
  gboolean mutating = !g_str_equal (method, "GET");
  guint status;

  if (sampling && logged && (probe_seq++ % sample_every) != sample_phase)
    {
      n_skipped++;
      return 0;
    }

  if (!logged)
    {
      logged = TRUE;
      what = describe (method, path, type, body, len);
      g_test_message ("sent: %s", what);
    }

  r = send_raw (method, path, creds, type, body, len);
  if (r == NULL)
    return 0;
  status = r->status;
  if (status < G_N_ELEMENTS (seen))
    seen[status]++;

  if (status >= 500 || status < 100)
    {
      if (what == NULL)
        what = describe (method, path, type, body, len);
      g_test_message ("BUG: %u for %s → %.300s", status, what, r->body);
      n_failures++;
      g_test_fail ();
    }
  else if (status == 400 && r->length == 0 && strstr (path, "%00") != NULL)
    {
      /* libsoup itself refuses a NUL in the path before any handler runs. */
      notes++;
    }
  else if (status == 404 && !g_str_has_prefix (path, "/api/") &&
           g_str_has_prefix (r->content_type != NULL ? r->content_type : "", "text/html"))
    {
      /* Outside /api/ a GET is the web app's: its 404 page is HTML. */
    }
  else if (status >= 400 && !is_error_envelope (r))
    {
      if (what == NULL)
        what = describe (method, path, type, body, len);
      g_test_message ("BUG: %u without a JSON error envelope for %s → %.300s",
                      status, what, r->body);
      n_failures++;
      g_test_fail ();
    }

  if (mutating)
    {
      g_autofree char *counts = table_counts ();

      if (status >= 400 && g_strcmp0 (counts, baseline) != 0)
        {
          if (what == NULL)
            what = describe (method, path, type, body, len);
          g_test_message ("BUG: refused (%u) but counts changed %s → %s: %s",
                          status, baseline, counts, what);
          n_failures++;
          g_test_fail ();
        }
      g_free (baseline);
      baseline = g_steal_pointer (&counts);
    }

  return status;
}

static guint
probe (const char  *method,
       const char  *path,
       const Creds *creds,
       const char  *body)
{
  return probe_full (method, path, creds, body != NULL ? "application/json" : NULL,
                     body, body != NULL ? strlen (body) : 0);
}

static void
assert_alive (const char *route)
{
  g_autoptr(Resp) r = NULL;
  int status;

  if (waitpid (server->pid, &status, WNOHANG) == server->pid)
    {
      server->pid = 0;
      server_died (route);
    }
  r = send_raw ("GET", "/healthz", NULL, NULL, NULL, 0);
  if (r->status != 200)
    g_error ("/healthz answered %u after %s: %s", r->status, route, r->body);
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                           */
/* ------------------------------------------------------------------ */

static char *
json_field (Resp       *r,
            const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, r->body, r->length, NULL));
  return g_strdup (eva_test_json_string (json_parser_get_root (parser), path));
}

static Resp *
must (guint        expected,
      const char  *method,
      const char  *path,
      const Creds *creds,
      const char  *body)
{
  Resp *r = send_raw (method, path, creds, body != NULL ? "application/json" : NULL,
                      body, body != NULL ? strlen (body) : 0);

  if (r->status != expected)
    g_error ("fixture %s %s: expected %u, got %u: %s", method, path, expected,
             r->status, r->body);
  return r;
}

static char *
attendee_in_db (const char *email)
{
  static char *hash;   /* argon2id is slow on purpose: hash once */
  g_autoptr(GError) error = NULL;

  if (hash == NULL)
    hash = eva_auth_hash_password (PASSWORD, &error);
  g_assert_no_error (error);
  return eva_test_sql (server->pg,
                       "INSERT INTO attendees (email, name, password_hash, status,"
                       " email_verified_at) VALUES ($1, 'Hostile', $2, 'active', now())"
                       " RETURNING id", email, hash, NULL);
}

/* A further session of an attendee, made in the database. */
static void
session_in_db (const char  *who,
               char       **cookie_out,
               char       **csrf_out)
{
  g_autofree char *hash = NULL;

  *cookie_out = eva_random_token (32);
  *csrf_out = eva_random_token (32);
  hash = eva_auth_token_hash_hex (*cookie_out);
  g_free (eva_test_sql (server->pg,
                        "INSERT INTO attendee_sessions (attendee_id, token_hash, csrf_token,"
                        " idle_expires_at, expires_at) VALUES ($1::uuid, decode($2, 'hex'), $3,"
                        " now() + interval '1 day', now() + interval '1 day') RETURNING id",
                        who, hash, *csrf_out, NULL));
}

/* A staff sign-in made in the database, and an access token for it, as
 * sign-in would make them (the server's own key). */
static char *
staff_token_in_db (const char *staff_id)
{
  g_autofree char *family = eva_test_sql (server->pg,
                                          "INSERT INTO staff_sessions (staff_id, family_id, token_hash,"
                                          " expires_at) VALUES ($1::uuid, gen_random_uuid(),"
                                          " decode(md5(random()::text) || md5(random()::text), 'hex'),"
                                          " now() + interval '1 day')"
                                          " RETURNING family_id",
                                          staff_id, NULL);
  guint8 key[32];
  char *token;

  g_assert_nonnull (family);
  eva_test_token_key (server->pg, NULL, key);
  token = eva_auth_issue_access_token (key, staff_id, EVA_ROLE_SUPER_ADMIN, family,
                                       g_get_real_time () / G_USEC_PER_SEC, EVA_ACCESS_TOKEN_TTL);
  sodium_memzero (key, sizeof key);
  return token;
}

static void
test_setup (void)
{
  Creds org = { AUTH_BEARER, NULL, NULL, NULL };
  Creds att = { AUTH_COOKIE, NULL, NULL, NULL };
  g_autoptr(Resp) login = NULL;
  g_autoptr(Resp) r = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  const char *set_cookie;
  const char *end;

  server = eva_test_server_start (NULL);
  session = soup_session_new_with_options ("timeout", 30, "max-conns", 8, NULL);

  super_id = eva_test_create_staff (server, "root@example.test", "super_admin",
                                    "correct horse battery");
  super_token = eva_test_login (server, "root@example.test", "correct horse battery");
  organizer_token = eva_test_token_for_role (server, "organizer");
  door_token = eva_test_token_for_role (server, "door_staff");
  victim_staff_id = eva_test_create_staff (server, "victim@example.test", "door_staff",
                                           "correct horse battery");
  g_assert_nonnull (super_token);
  g_assert_nonnull (organizer_token);
  g_assert_nonnull (door_token);
  org.token = organizer_token;

  /* The attendee signs in through the API. */
  attendee_email = g_strdup ("buyer@example.test");
  attendee_id = attendee_in_db (attendee_email);
  victim_attendee_id = attendee_in_db ("victim-attendee@example.test");
  body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", attendee_email, PASSWORD);
  {
    g_autofree char *url = g_strconcat (server->base_url, "/api/v1/auth/login", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GError) error = NULL;

    soup_message_set_request_body_from_bytes (msg, "application/json", request);
    bytes = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    set_cookie = eva_test_set_cookie (soup_message_get_response_headers (msg), "everato_session");
    g_assert_nonnull (set_cookie);
    set_cookie += strlen ("everato_session=");
    end = strchr (set_cookie, ';');
    cookie = g_strndup (set_cookie, end != NULL ? (gsize) (end - set_cookie) : strlen (set_cookie));
    login = g_new0 (Resp, 1);
    login->length = g_bytes_get_size (bytes);
    login->body = g_strndup (g_bytes_get_data (bytes, NULL), login->length);
    csrf = json_field (login, "csrf_token");
    g_assert_nonnull (csrf);
  }
  att.cookie = cookie;
  att.csrf = csrf;
  {
    g_autoptr(Resp) me = must (200, "GET", "/api/v1/me", &att, NULL);
  }

  /* A published event with a ticket type, a coupon, a booking. */
  r = must (201, "POST", "/api/v1/admin/events", &org,
            "{\"title\":\"Hostile Night\",\"timezone\":\"Europe/Berlin\","
            "\"starts_at\":\"2030-06-01T19:00:00+02:00\",\"ends_at\":\"2030-06-01T23:00:00+02:00\","
            "\"currency\":\"EUR\"}");
  event_id = json_field (r, "id");
  g_clear_pointer (&r, resp_free);
  path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
  r = must (201, "POST", path, &org, "{\"name\":\"General\",\"price\":2500,\"capacity\":50}");
  type_id = json_field (r, "id");
  g_clear_pointer (&r, resp_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/publish", event_id);
  r = must (200, "POST", path, &org, NULL);
  g_clear_pointer (&r, resp_free);
  g_free (path);
  r = must (201, "POST", "/api/v1/admin/events", &org,
            "{\"title\":\"Hostile Victim\",\"timezone\":\"UTC\","
            "\"starts_at\":\"2031-06-01T19:00:00Z\",\"ends_at\":\"2031-06-01T23:00:00Z\"}");
  victim_event_id = json_field (r, "id");
  g_clear_pointer (&r, resp_free);
  r = must (201, "POST", "/api/v1/admin/events", &org,
            "{\"title\":\"Hostile Draft\",\"timezone\":\"UTC\","
            "\"starts_at\":\"2031-06-01T19:00:00Z\",\"ends_at\":\"2031-06-01T23:00:00Z\"}");
  victim_draft_id = json_field (r, "id");
  g_clear_pointer (&r, resp_free);
  path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event_id);
  r = must (201, "POST", path, &org, "{\"code\":\"HOSTILE10\",\"kind\":\"percent\",\"percent\":10}");
  coupon_id = json_field (r, "id");
  g_clear_pointer (&r, resp_free);
  g_free (body);
  body = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\","
                          "\"quantity\":2}],\"coupon_code\":\"HOSTILE10\"}", event_id, type_id);
  r = send_raw ("POST", "/api/v1/bookings", &att, "application/json", body, strlen (body));
  g_assert_cmpuint (r->status / 100, ==, 2);
  booking_id = json_field (r, "id");
  g_assert_nonnull (booking_id);

  /* A free ticket type and a confirmed booking of it: a ticket; the
   * event's default check-in list; a webhook endpoint. */
  g_clear_pointer (&r, resp_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
  r = must (201, "POST", path, &org, "{\"name\":\"Free\",\"price\":0,\"capacity\":10}");
  {
    g_autofree char *free_type = json_field (r, "id");
    g_autofree char *free_booking = NULL;

    g_clear_pointer (&r, resp_free);
    g_free (body);
    body = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\","
                            "\"quantity\":1}]}", event_id, free_type);
    r = send_raw ("POST", "/api/v1/bookings", &att, "application/json", body, strlen (body));
    g_assert_cmpuint (r->status / 100, ==, 2);
    free_booking = json_field (r, "id");
    ticket_id = eva_test_sql (server->pg, "SELECT id::text FROM tickets WHERE booking_id = $1::uuid",
                              free_booking, NULL);
    g_assert_nonnull (ticket_id);
  }
  g_free (path);
  path = NULL;
  list_id = eva_test_sql (server->pg, "SELECT id::text FROM checkin_lists WHERE event_id = $1::uuid",
                          event_id, NULL);
  g_assert_nonnull (list_id);
  g_clear_pointer (&r, resp_free);
  r = must (201, "POST", "/api/v1/admin/webhooks", &org,
            "{\"url\":\"https://hooks.example.test/everato\",\"events\":[\"booking.confirmed\"]}");
  webhook_id = json_field (r, "id");

  /* An outbox row to retry: the attendee asks for a password reset. */
  g_clear_pointer (&r, resp_free);
  g_free (body);
  body = g_strdup_printf ("{\"email\":\"%s\"}", attendee_email);
  r = send_raw ("POST", "/api/v1/auth/password-reset", NULL, "application/json", body,
                strlen (body));
  g_assert_cmpuint (r->status, <, 500);
  mail_id = eva_test_sql (server->pg, "SELECT max(id)::text FROM email_outbox", NULL);
  if (mail_id == NULL)
    mail_id = g_strdup ("1");

  baseline = table_counts ();
  g_test_message ("fixtures: event %s type %s coupon %s booking %s mail %s ticket %s list %s "
                  "webhook %s", event_id, type_id, coupon_id, booking_id, mail_id, ticket_id, list_id,
                  webhook_id);
}

/* ------------------------------------------------------------------ */
/* Hostile values                                                     */
/* ------------------------------------------------------------------ */

static char *long_10k;     /* "\"aaaa…\"" */
static char *huge_900k;    /* "\"aaaa…\"" */
static char *deep_10k;     /* [[[…]]] */

static const char *wrong_values[] = {
  "99999999999999999999", "-99999999999999999999", "-1", "0", "2147483648", "-2147483649",
  "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1.5", "-0.0",
  "1e400", "-1e400", "1e-400", "true", "false", "null", "{}", "[]", "[1,2,3]",
  "{\"a\":{\"b\":[null]}}", "\"\"", "\" \"", "\"NaN\"", "\"Infinity\"", "\"-0\"",
  "\"1e400\"", "\"99999999999999999999\"", "\"\\u0000\"", "\"a\\u0000b\"",
  "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud800\\ud800\"", "\"\\u202egnp.exe\"",
  "\"\\u200b\\ufeff\"", "\"line\\nbreak\\r\\t\"",
  "\"'; DROP TABLE events; --\"", "\"' OR '1'='1\"", "\"\\\\x00\\\\\"", "\"%_\\\\%\"",
  "\"😀🎟️👨‍👩‍👧\"", "\"2030-02-30T25:61:61+99:00\"", "\"0000-01-01T00:00:00Z\"",
  "\"00000000-0000-0000-0000-000000000000\"", "\"<script>alert(1)</script>\"",
};

/* Raw bodies sent to every route (JSON, mostly). */
static const char *raw_bodies[] = {
  "", "{}", "[]", "null", "\"x\"", "1e400", "1", "true", "{", "}", "{\"a\":}", "{\"a\" 1}",
  "{\"a\":1,}", "[1,]", "{'a':1}", "\xff\xfe{}", "{\"\\ud800\":1}", "{\"\":1}",
  "{\"a\":\"\\u0000\"}", "NaN", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-}",
  "\"\\ud800\"", "{\"a\":1}garbage", "{}{}", "/* c */{}",
};

static void
build_values (void)
{
  GString *s = g_string_new ("\"");

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (s, 'a' + i % 26);
  g_string_append_c (s, '"');
  long_10k = g_string_free (s, FALSE);

  s = g_string_sized_new (900 * 1024 + 4);
  g_string_append_c (s, '"');
  for (guint i = 0; i < 900 * 1024; i++)
    g_string_append_c (s, 'a' + i % 26);
  g_string_append_c (s, '"');
  huge_900k = g_string_free (s, FALSE);

  s = g_string_new (NULL);
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (s, ']');
  deep_10k = g_string_free (s, FALSE);
}

/* The fields each resource knows, read-only ones included. */
static const char *
fields_for (const EvaRoute *route)
{
  const char *p = route->pattern;

  if (strstr (p, "checkin-lists") != NULL)
    return "name all_types ticket_type_ids allow_unpaid allow_reentry opens_at closes_at id event_id";
  if (g_str_equal (p, "/api/v1/admin/checkin/redeem"))
    return "code list_id nonce type scanned_at force device_id";
  if (g_str_equal (p, "/api/v1/admin/checkin/upload"))
    return "scans code list_id nonce type scanned_at device_id";
  if (g_str_equal (p, "/api/v1/admin/checkin/devices"))
    return "name device_id id";
  if (strstr (p, "/webhooks") != NULL)
    return "url events description enabled secret id";
  if (strstr (p, "/checkout") != NULL)
    return "method";
  if (strstr (p, "/refund") != NULL)
    return "amount reason note";
  if (strstr (p, "/mark-paid") != NULL)
    return "method reference paid_on note settled amount";
  if (strstr (p, "/tickets/") != NULL)
    return "holder_name holder_email id status";
  if (g_str_equal (p, "/api/v1/payments/stripe/webhook"))
    return "id type object data created livemode";
  if (g_str_has_prefix (p, "/api/v1/admin/auth/login"))
    return "email password";
  if (g_str_has_prefix (p, "/api/v1/admin/auth/"))
    return "refresh_token";
  if (g_str_has_prefix (p, "/api/v1/admin/staff"))
    return "email name password role disabled id created_at";
  if (strstr (p, "ticket-types") != NULL)
    return "name description price capacity sales_start sales_end max_per_order "
           "max_per_attendee hidden sort_order held sold id event_id";
  if (strstr (p, "coupons") != NULL)
    return "code kind percent amount min_order unlocks_hidden ticket_type_ids valid_from "
           "valid_until max_uses max_uses_per_attendee uses id event_id";
  if (g_str_has_prefix (p, "/api/v1/admin/events"))
    return "title slug description venue address timezone starts_at ends_at currency "
           "hold_minutes cancellation_hours status id created_at";
  if (g_str_equal (p, "/api/v1/bookings") || strstr (p, "/quote") != NULL)
    return "event_id items coupon_code";
  if (g_str_has_prefix (p, "/api/v1/auth/"))
    return "email password name locale token";
  if (g_str_equal (p, "/api/v1/me/password"))
    return "current_password new_password";
  if (g_str_has_prefix (p, "/api/v1/me"))
    return "name locale email password";
  return "name id status";
}

/* The strongest credentials a route accepts. */
static void
creds_for (const EvaRoute *route,
           Creds          *creds,
           char          **owned_cookie,
           char          **owned_csrf)
{
  memset (creds, 0, sizeof *creds);
  if (route->role == EVA_ROLE_ATTENDEE)
    {
      /* A fresh session each route, so logout ends only its own; deleting
       * the account happens to another attendee. */
      gboolean ends_account = g_str_equal (route->method, "DELETE") &&
                              g_str_equal (route->pattern, "/api/v1/me");
      gboolean ends_session = g_str_equal (route->pattern, "/api/v1/auth/logout");
      gboolean books = g_str_equal (route->pattern, "/api/v1/bookings");

      session_in_db (attendee_id, owned_cookie, owned_csrf);
      if (ends_account || ends_session || books)
        {
          renew = creds;
          renew_staff = FALSE;
          renew_attendee = ends_account || books;
        }
      creds->kind = AUTH_COOKIE;
      creds->cookie = *owned_cookie;
      creds->csrf = *owned_csrf;
    }
  else if (route->role == EVA_ROLE_PUBLIC)
    {
      /* Public routes with a staff token too: it must be ignored safely. */
      creds->kind = AUTH_NONE;
    }
  else
    {
      creds->kind = AUTH_BEARER;
      creds->token = super_token;
      /* Signing out ends the token: a fresh sign-in before every request. */
      if (g_str_equal (route->pattern, "/api/v1/admin/auth/logout"))
        {
          renew = creds;
          renew_staff = TRUE;
        }
    }
}

/* The real id for a route's {id}, or NULL. */
static const char *
real_id_for (const EvaRoute *route)
{
  const char *p = route->pattern;

  if (strstr (p, "{mail_id}") != NULL)
    return mail_id;
  if (g_str_has_prefix (p, "/api/v1/admin/staff/"))
    return victim_staff_id;
  if (g_str_has_prefix (p, "/api/v1/admin/ticket-types/"))
    return type_id;
  if (g_str_has_prefix (p, "/api/v1/admin/coupons/"))
    return coupon_id;
  if (strstr (p, "bookings/{id}") != NULL)
    return booking_id;
  if (strstr (p, "/tickets/{id}") != NULL)
    return ticket_id;
  if (strstr (p, "/checkin-lists/{id}") != NULL)
    return list_id;
  if (strstr (p, "/webhooks/{id}") != NULL)
    return webhook_id;
  if (g_str_has_prefix (p, "/api/v1/admin/attendees/"))
    return victim_attendee_id;
  if (g_str_equal (p, "/api/v1/admin/events/{id}") && g_str_equal (route->method, "DELETE"))
    return victim_draft_id;
  if (g_str_has_suffix (p, "/publish") || g_str_has_suffix (p, "/cancel") ||
      g_str_has_suffix (p, "/archive"))
    return victim_event_id;
  return event_id;
}

static char *
fill (const char *pattern,
      const char *id)
{
  const char *open = strchr (pattern, '{');
  const char *close = open != NULL ? strchr (open, '}') : NULL;

  if (open == NULL || close == NULL)
    return g_strdup (pattern);
  return g_strdup_printf ("%.*s%s%s", (int) (open - pattern), pattern, id, close + 1);
}

/* ------------------------------------------------------------------ */
/* The battery                                                        */
/* ------------------------------------------------------------------ */

/* Strings around the usual limits, in 1-, 2-, 3- and 4-byte characters,
 * and bytes that are not UTF-8 at all (sent raw, NUL included). */
static void
length_edges (const char  *m,
              const char  *path,
              const Creds *creds,
              const char  *field)
{
  const guint lengths[] = { 63, 64, 65, 120, 121, 200, 201, 254, 255, 256, 1024, 1025, 4097 };
  const char *units[] = { "a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "e\xcc\x81" };
  const char *raw[] = { "\xff\xfe", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x00b",
                        "\x01\x1f\x7f", "\xe2\x80" };

  for (guint u = 0; u < G_N_ELEMENTS (units); u++)
    for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
      {
        g_autoptr(GString) body = g_string_new (NULL);

        g_string_append_printf (body, "{\"%s\":\"", field);
        for (guint i = 0; i < lengths[l]; i++)
          g_string_append (body, units[u]);
        g_string_append (body, "\"}");
        probe (m, path, creds, body->str);
      }
  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    {
      g_autoptr(GString) body = g_string_new (NULL);
      gsize raw_len = i == 4 ? 3 : strlen (raw[i]);

      g_string_append_printf (body, "{\"%s\":\"", field);
      g_string_append_len (body, raw[i], raw_len);
      g_string_append (body, "\"}");
      probe_full (m, path, creds, "application/json", body->str, body->len);
    }
}

static void
body_battery (const EvaRoute *route,
              const char     *path,
              const Creds    *creds)
{
  g_auto(GStrv) fields = g_strsplit (fields_for (route), " ", -1);
  const char *m = route->method;

  /* No body, then every raw body. */
  probe_full (m, path, creds, NULL, NULL, 0);
  for (guint i = 0; i < G_N_ELEMENTS (raw_bodies); i++)
    probe_full (m, path, creds, "application/json", raw_bodies[i], strlen (raw_bodies[i]));
  probe (m, path, creds, deep_10k);
  {
    g_autofree char *deep_obj = g_strdup_printf ("{\"%s\":%s}", fields[0], deep_10k);
    g_autofree char *deep_braces = NULL;
    GString *s = g_string_new (NULL);

    probe (m, path, creds, deep_obj);
    for (guint i = 0; i < 10000; i++)
      g_string_append (s, "{\"a\":");
    g_string_append (s, "1");
    for (guint i = 0; i < 10000; i++)
      g_string_append_c (s, '}');
    deep_braces = g_string_free (s, FALSE);
    probe (m, path, creds, deep_braces);
  }

  /* Wrong content types and a body over the limit. */
  {
    const char *types[] = { "text/plain", "application/x-www-form-urlencoded",
                            "application/json; charset=latin1", "application/evil+json",
                            "multipart/form-data; boundary=x", "application/JSON",
                            "application/json; boundary=\"", ";;;", "" };
    g_autofree char *over = g_malloc (1024 * 1024 + 100);

    for (guint i = 0; i < G_N_ELEMENTS (types); i++)
      probe_full (m, path, creds, types[i], "{}", 2);
    memset (over, ' ', 1024 * 1024 + 100);
    over[0] = '{';
    over[1024 * 1024 + 99] = '}';
    probe_full (m, path, creds, "application/json", over, 1024 * 1024 + 100);
  }

  /* A GET ignores its body; the field battery is for the others. */
  if (g_str_equal (m, "GET"))
    return;

  /* Every field: wrong types, hostile strings, huge strings, duplicates. */
  for (guint f = 0; fields[f] != NULL; f++)
    {
      g_autofree char *big = g_strdup_printf ("{\"%s\":%s}", fields[f], huge_900k);
      g_autofree char *long_one = g_strdup_printf ("{\"%s\":%s}", fields[f], long_10k);
      g_autofree char *dup = g_strdup_printf ("{\"%s\":\"a\",\"%s\":1,\"%s\":null}",
                                              fields[f], fields[f], fields[f]);

      for (guint v = 0; v < G_N_ELEMENTS (wrong_values); v++)
        {
          g_autofree char *body = g_strdup_printf ("{\"%s\":%s}", fields[f], wrong_values[v]);

          probe (m, path, creds, body);
        }
      if (f < 3)
        probe (m, path, creds, big);
      probe (m, path, creds, long_one);
      probe (m, path, creds, dup);
      length_edges (m, path, creds, fields[f]);
    }

  /* All fields at once, each with the same wrong value. */
  for (guint v = 0; v < G_N_ELEMENTS (wrong_values); v++)
    {
      GString *s = g_string_new ("{");

      for (guint f = 0; fields[f] != NULL; f++)
        g_string_append_printf (s, "%s\"%s\":%s", f > 0 ? "," : "", fields[f], wrong_values[v]);
      g_string_append_c (s, '}');
      probe (m, path, creds, s->str);
      g_string_free (s, TRUE);
    }

  /* Nested shapes for the booking and quote items. */
  if (strstr (fields_for (route), "items") != NULL)
    {
      const char *items[] = {
        "[{}]", "[null]", "[[]]", "[1]", "[{\"ticket_type_id\":null,\"quantity\":1}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":99999999999999999999}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":-1}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":1.5}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":1e400}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":\"1\"}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":1,\"extra\":1}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":1},{\"ticket_type_id\":\"TT\",\"quantity\":1}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":2147483648}]",
        "[{\"ticket_type_id\":\"TT\",\"quantity\":1000}]",
      };

      for (guint i = 0; i < G_N_ELEMENTS (items); i++)
        {
          GString *list_text = g_string_new (items[i]);
          g_autofree char *list = NULL;
          g_autofree char *body = NULL;

          g_string_replace (list_text, "TT", type_id, 0);
          list = g_string_free (list_text, FALSE);
          body = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":%s,"
                                  "\"coupon_code\":\"HOSTILE10\"}", event_id, list);

          probe (m, path, creds, body);
        }
    }
}

static void
query_battery (const EvaRoute *route,
               const char     *path,
               const Creds    *creds)
{
  const char *queries[] = {
    "limit=-1", "limit=0", "limit=abc", "limit=999999999999", "limit=99999999999999999999",
    "limit=1.5", "limit=", "limit=%00", "limit=1&limit=2", "cursor=garbage", "cursor=",
    "cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk5", /* 999999999999999999999 */
    "cursor=LTE", /* -1 */ "cursor=MjE0NzQ4MzY0OA", /* 2147483648 */
    "cursor=%FF%FE", "cursor=====", "cursor=eyJpZCI6MX0", "status=unknown", "status=",
    "status=draft,,published", "status=%00", "from=not-a-date", "to=not-a-date",
    "from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "from=99999-01-01T00:00:00Z",
    "from=0001-01-01T00:00:00Z", "q=%25", "q=_", "q=%5C", "q=%25_%5C%27%22", "q=%00",
    "q=%E2%80%AE", "q=%F0%9F%98%80", "q=%ED%A0%80", "q=%FF", "q=%27%3B%20DROP%20TABLE%20events%3B--",
    "sort=-", "sort=title;DROP", "role=unknown", "event_id=nope", "a=%", "%=%", "&&&&",
    "=", "q", "limit", "x=1&x=2&x=3",
  };
  g_autofree char *long_q = g_strnfill (10000, 'q');

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *full = g_strdup_printf ("%s?%s", path, queries[i]);

      probe_full (route->method, full, creds, NULL, NULL, 0);
    }
  {
    g_autofree char *full = g_strdup_printf ("%s?q=%s", path, long_q);

    probe (route->method, full, creds, NULL);
  }
}

static void
id_battery (const EvaRoute *route,
            const Creds    *creds)
{
  const char *real = real_id_for (route);
  /* Other fixtures' ids, but never the live event for a route that would
   * end it (its real id is then a victim's). */
  const char *live_event = real == victim_event_id || real == victim_draft_id
                           ? real : event_id;
  g_autofree char *upper = g_ascii_strup (real, -1);
  g_autofree char *long_id = g_strnfill (5000, '1');
  g_autofree char *random_id = g_uuid_string_random ();
  const char *ids[] = {
    real, upper, "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff", random_id, live_event, type_id, coupon_id,
    booking_id, attendee_id, victim_staff_id, mail_id, "abc", "-1", "0",
    "99999999999999999999", "9223372036854775808", "1e400", "1.5",
    "00000000-0000-0000-0000-00000000000g", "00000000000000000000000000000000",
    "{00000000-0000-0000-0000-000000000000}", "%00", "%2e%2e", "..", "%2F", "%27%20OR%201%3D1",
    "%E2%80%AE", "%F0%9F%98%80", "%ED%A0%80", "%FF", "hostile-night", long_id,
  };
  const char *m = route->method;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *path = fill (route->pattern, ids[i]);

      probe_full (m, path, creds, NULL, NULL, 0);
      if (route->flags & EVA_ROUTE_BODY)
        probe (m, path, creds, "{}");
    }
}

static void
test_route (gconstpointer data)
{
  const EvaRoute *route = data;
  g_autofree char *owned_cookie = NULL;
  g_autofree char *owned_csrf = NULL;
  g_autofree char *path = NULL;
  g_autofree char *what = g_strdup_printf ("%s %s", route->method, route->pattern);
  guint before = n_failures;
  Creds creds;

  memset (seen, 0, sizeof seen);
  logged = FALSE;
  sampling = TRUE;
  {
    guint n_routes;

    sample_phase = (guint) (route - eva_routes_get (&n_routes)) % sample_every;
  }
  probe_seq = 0;
  creds_for (route, &creds, &owned_cookie, &owned_csrf);
  path = fill (route->pattern, real_id_for (route));

  /* Ids first (the real one may be consumed by a successful DELETE). */
  if (strchr (route->pattern, '{') != NULL)
    id_battery (route, &creds);
  body_battery (route, path, &creds);
  query_battery (route, path, &creds);

  /* The same route with a staff token where a cookie is wanted and back. */
  {
    Creds bearer = { AUTH_BEARER, super_token, NULL, NULL };
    Creds door = { AUTH_BEARER, door_token, NULL, NULL };
    Creds junk = { AUTH_BEARER, "eyJhbGciOiJub25lIn0.e30.", NULL, NULL };
    Creds bad_cookie = { AUTH_COOKIE, NULL, "garbage%00;;x=y", "\"\\" };

    /* Signing out would end these shared tokens: there the renewed ones. */
    gboolean signs_out = renew_staff && renew == &creds;

    probe (route->method, path, signs_out ? &creds : &bearer, "{}");
    probe (route->method, path, signs_out ? &creds : &door, "{}");
    probe (route->method, path, &junk, NULL);
    probe (route->method, path, &bad_cookie, NULL);
  }

  /* Other methods and path shapes: 404 or 405, with the envelope. */
  {
    g_autofree char *slash = g_strconcat (path, "/", NULL);
    g_autofree char *twice = g_strdup_printf ("/%s", path);
    g_autofree char *upper = g_ascii_strup (path, -1);
    g_autofree char *dots = g_strconcat (path, "/../../staff", NULL);
    g_autofree char *semi = g_strconcat (path, ";x=1", NULL);
    const char *methods[] = { "PUT", "OPTIONS", "TRACE", "PROPFIND", "get" };

    for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
      probe (methods[i], path, &creds, "{}");
    probe (route->method, slash, &creds, NULL);
    probe (route->method, twice, &creds, NULL);
    probe (route->method, upper, &creds, NULL);
    probe (route->method, dots, &creds, NULL);
    probe (route->method, semi, &creds, NULL);
  }

  /* Hostile idempotency keys, with a body that would otherwise succeed. */
  if (g_str_equal (route->method, "POST"))
    {
      g_autofree char *long_key = g_strnfill (300, 'k');
      g_autofree char *good = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":"
                                               "[{\"ticket_type_id\":\"%s\",\"quantity\":1}]}",
                                               event_id, type_id);
      const char *keys[] = { "", " ", long_key, "\t", "é", "same-key" };

      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          idempotency_key = keys[i];
          probe (route->method, path, &creds, good);
          probe (route->method, path, &creds, "{}");
        }
      idempotency_key = NULL;
    }

  sampling = FALSE;
  renew = NULL;
  renew_staff = FALSE;
  g_clear_pointer (&renew_token, g_free);
  g_clear_pointer (&renew_cookie, g_free);
  g_clear_pointer (&renew_csrf, g_free);
  assert_alive (what);
  {
    g_autoptr(GString) histogram = g_string_new (NULL);

    for (guint i = 0; i < G_N_ELEMENTS (seen); i++)
      if (seen[i] > 0)
        g_string_append_printf (histogram, " %u×%u", i, seen[i]);
    g_test_message ("%s:%s", what, histogram->str);
  }
  if (n_failures > before)
    g_test_message ("%s: %u findings", what, n_failures - before);
}

/* ------------------------------------------------------------------ */
/* Money at the limits                                                */
/* ------------------------------------------------------------------ */

/* The largest prices, quantities and discounts the API admits: a quote and
 * a booking must answer below 500, and a booking that is made must add up. */
static void
test_money_edges (void)
{
  Creds org = { AUTH_BEARER, super_token, NULL, NULL };
  g_autoptr(Resp) r = NULL;
  g_autoptr(GString) items = g_string_new ("[");
  g_autofree char *ev = NULL;
  g_autofree char *path = NULL;
  const char *coupons[] = {
    "{\"code\":\"MAXFIXED\",\"kind\":\"fixed\",\"amount\":1000000000000}",
    "{\"code\":\"ALL\",\"kind\":\"percent\",\"percent\":100}",
    "{\"code\":\"ONE\",\"kind\":\"percent\",\"percent\":1}",
    "{\"code\":\"MINMAX\",\"kind\":\"fixed\",\"amount\":1,\"min_order\":1000000000000}",
    "{\"code\":\"USED\",\"kind\":\"fixed\",\"amount\":1,\"max_uses\":0}",
  };
  const char *codes[] = { "MAXFIXED", "ALL", "ONE", "MINMAX", "USED", "maxfixed", NULL };

  r = must (201, "POST", "/api/v1/admin/events", &org,
            "{\"title\":\"Money\",\"timezone\":\"UTC\",\"currency\":\"JPY\","
            "\"max_tickets_per_attendee\":1000,"
            "\"starts_at\":\"2032-06-01T19:00:00Z\",\"ends_at\":\"2032-06-01T23:00:00Z\"}");
  ev = json_field (r, "id");
  path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", ev);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *body = g_strdup_printf (
        "{\"name\":\"T%u\",\"price\":%s,\"capacity\":10000000,\"max_per_order\":100%s}",
        i, i == 19 ? "0" : (i == 18 ? "1" : "1000000000000"), i == 17 ? ",\"sort_order\":-2147483648" : "");
      g_autoptr(Resp) t = must (201, "POST", path, &org, body);
      g_autofree char *id = json_field (t, "id");

      g_string_append_printf (items, "%s{\"ticket_type_id\":\"%s\",\"quantity\":%u}",
                              i > 0 ? "," : "", id, i < 17 ? 100 : 1);
    }
  g_string_append_c (items, ']');
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", ev);
  for (guint i = 0; i < G_N_ELEMENTS (coupons); i++)
    probe ("POST", path, &org, coupons[i]);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/publish", ev);
  probe ("POST", path, &org, NULL);

  for (guint c = 0; c < G_N_ELEMENTS (codes); c++)
    {
      g_autofree char *coupon = codes[c] != NULL
                                ? g_strdup_printf (",\"coupon_code\":\"%s\"", codes[c])
                                : g_strdup ("");
      g_autofree char *quote_path = g_strdup_printf ("/api/v1/public/events/%s/quote", ev);
      g_autofree char *quote = g_strdup_printf ("{\"items\":%s%s}", items->str, coupon);
      g_autofree char *book = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":%s%s}",
                                               ev, items->str, coupon);
      g_autofree char *c_cookie = NULL;
      g_autofree char *c_csrf = NULL;
      g_autofree char *who = NULL;
      g_autofree char *email = g_strdup_printf ("money%u@example.test", c);
      Creds att = { AUTH_COOKIE, NULL, NULL, NULL };
      guint status;

      g_test_message ("quote %s: %u", codes[c] ? codes[c] : "-",
                      probe ("POST", quote_path, NULL, quote));
      if (c == 0)
        {
          g_autoptr(Resp) q = send_raw ("POST", quote_path, NULL, "application/json",
                                        quote, strlen (quote));

          g_test_message ("quote: %u %.300s", q->status, q->body);
        }
      who = attendee_in_db (email);
      session_in_db (who, &c_cookie, &c_csrf);
      att.cookie = c_cookie;
      att.csrf = c_csrf;
      g_free (baseline);
      baseline = table_counts ();
      status = probe ("POST", "/api/v1/bookings", &att, book);
      g_test_message ("booking %s: %u", codes[c] ? codes[c] : "-", status);
    }

  /* Whatever was made adds up. */
  {
    g_autofree char *bad = eva_test_sql (server->pg,
                                         "SELECT count(*) FROM bookings WHERE total <> subtotal - discount"
                                         " OR discount < 0 OR discount > subtotal OR subtotal <>"
                                         " (SELECT coalesce(sum(quantity * unit_price), 0)"
                                         "  FROM booking_items i WHERE i.booking_id = bookings.id)",
                                         NULL);

    g_assert_cmpstr (bad, ==, "0");
  }
  assert_alive ("money edges");
}

/* ------------------------------------------------------------------ */
/* Invariants                                                         */
/* ------------------------------------------------------------------ */

static void
test_invariants (void)
{
  g_autofree char *over = eva_test_sql (server->pg,
                                        "SELECT count(*) FROM ticket_types"
                                        " WHERE held < 0 OR sold < 0 OR held + sold > capacity",
                                        NULL);
  /* held counts the live holds (held, pending_payment), sold the
   * confirmed bookings: together every live booking item. */
  g_autofree char *items = eva_test_sql (server->pg,
                                         "SELECT count(*) FROM ticket_types t"
                                         " WHERE t.held <> (SELECT coalesce(sum(i.quantity), 0)"
                                         "   FROM booking_items i JOIN bookings b ON b.id = i.booking_id"
                                         "  WHERE i.ticket_type_id = t.id"
                                         "    AND b.status IN ('held', 'pending_payment'))"
                                         "    OR t.sold <> (SELECT coalesce(sum(i.quantity), 0)"
                                         "   FROM booking_items i JOIN bookings b ON b.id = i.booking_id"
                                         "  WHERE i.ticket_type_id = t.id AND b.status = 'confirmed')",
                                         NULL);
  g_autofree char *uses = eva_test_sql (server->pg,
                                        "SELECT count(*) FROM coupons c WHERE c.uses <>"
                                        " (SELECT count(*) FROM bookings b WHERE b.coupon_id = c.id"
                                        "  AND b.status IN ('held', 'pending_payment', 'confirmed'))",
                                        NULL);
  g_autofree char *nul = eva_test_sql (server->pg,
                                       "SELECT count(*) FROM events WHERE title LIKE '%' || chr(8238) || '%'"
                                       " AND title NOT LIKE 'Hostile%'", NULL);

  g_assert_cmpstr (over, ==, "0");
  g_assert_cmpstr (items, ==, "0");
  g_assert_cmpstr (uses, ==, "0");
  g_test_message ("requests sent: %u, findings: %u, bare libsoup 400s for %%00: %u "
                  "(event titles with RLO: %s); one probe in %u sent, %u left out",
                  n_requests, n_failures, notes, nul, sample_every, n_skipped);
  assert_alive ("the whole barrage");
  eva_test_server_stop (server);
}

int
main (int    argc,
      char **argv)
{
  const EvaRoute *routes;
  guint n_routes;
  int status;

  /* Report every failing route, not only the first. */
  g_autofree char **args = g_new0 (char *, argc + 2);

  memcpy (args, argv, argc * sizeof (char *));
  args[argc++] = (char *) "--keep-going";
  argv = args;
  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);
  build_values ();
#if defined(__SANITIZE_ADDRESS__)
  sample_every = 6;
#endif
  if (g_getenv ("EVERATO_HOSTILE_SAMPLE") != NULL)
    sample_every = CLAMP (g_ascii_strtoull (g_getenv ("EVERATO_HOSTILE_SAMPLE"), NULL, 10), 1, 1000);

  g_test_add_func ("/hostile/1-setup/fixtures", test_setup);
  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      g_autofree char *pattern = g_strdelimit (g_strdup (routes[i].pattern), "/", ':');
      g_autofree char *name = g_strdup_printf ("/hostile/2-route/%02u-%s-%s", i,
                                               routes[i].method, pattern);

      g_test_add_data_func (name, &routes[i], test_route);
    }
  g_test_add_func ("/hostile/3-after/money-edges", test_money_edges);
  g_test_add_func ("/hostile/3-after/invariants", test_invariants);

  status = g_test_run ();
  g_clear_object (&session);
  g_clear_pointer (&server, eva_test_server_free);
  g_free (baseline);
  g_free (long_10k);
  g_free (huge_900k);
  g_free (deep_10k);
  return status;
}
