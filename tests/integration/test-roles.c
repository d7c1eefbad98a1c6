/* test-roles.c: who may call what — the access matrix
 *
 * Every route of eva_routes_get() (public, attendee and staff) × eight
 * callers: nobody, attendee A, attendee B, door staff, an organizer, a
 * super admin, a super admin whose account was disabled after signing in,
 * and an expired token (with an expired attendee session). What each cell
 * must answer follows from the access table below, one row a route: its
 * rule, what its {id} names, the body it is sent and the status of an
 * allowed call (the handler's own answer on real fixtures, mostly 2xx):
 *
 *   public             every caller gets the allowed status
 *   attendee, owner    A gets it; B too on an attendee route, 404 not_found
 *                      on an owner route (A's object is not there for B);
 *                      everyone else 401 unauthorized (a bearer token is
 *                      no attendee session)
 *   door_staff, …      nobody and attendees 401 unauthorized, an expired
 *                      or a disabled account's token 401 invalid_token, a
 *                      lower staff role 403 forbidden, the others the
 *                      allowed status
 *
 * An allowed call must reach its handler: never 401, 403 or 5xx. A route
 * of the route table without a row fails the test, and so does a row for
 * a route that no longer exists or a rule that disagrees with the route's
 * least role.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "eva-common.h"
#include "core/eva-auth.h"
#include "app/eva-routes.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "eva-test-keys.h"

#define PASSWORD     "correct horse battery"
#define NEW_PASSWORD "another horse battery"
#define STAFF_LOGIN  "matrix-login@example.test"

/* ------------------------------------------------------------------ */
/* Callers                                                            */
/* ------------------------------------------------------------------ */

enum
{
  WHO_ANON,
  WHO_ATTENDEE_A,
  WHO_ATTENDEE_B,
  WHO_DOOR,
  WHO_ORGANIZER,
  WHO_SUPER,
  WHO_DISABLED,
  WHO_EXPIRED,
  N_WHO
};

static const char * const who_names[N_WHO] = {
  "anon", "att-A", "att-B", "door", "organizer", "super", "disabled", "expired",
};

/* The staff role of a caller with a bearer token that still stands. */
static const EvaRole who_roles[N_WHO] = {
  EVA_ROLE_PUBLIC, EVA_ROLE_ATTENDEE, EVA_ROLE_ATTENDEE,
  EVA_ROLE_DOOR_STAFF, EVA_ROLE_ORGANIZER, EVA_ROLE_SUPER_ADMIN,
  EVA_ROLE_PUBLIC, EVA_ROLE_PUBLIC,
};

typedef struct
{
  char  *token;      /* bearer, or NULL */
  Buyer *buyer;      /* attendee session cookie + CSRF token, or NULL */
} Who;

static Who who[N_WHO];

/* ------------------------------------------------------------------ */
/* The access table                                                   */
/* ------------------------------------------------------------------ */

typedef enum
{
  RULE_PUBLIC,      /* anyone, token or not */
  RULE_ATTENDEE,    /* any signed-in attendee */
  RULE_OWNER,       /* the attendee who owns the object; others get 404 */
  RULE_DOOR,        /* door_staff and above */
  RULE_ORGANIZER,   /* organizer and above */
  RULE_SUPER,       /* super_admin */
} Rule;

static const char * const rule_names[] = {
  "public", "attendee", "owner", "door_staff", "organizer", "super_admin",
};

enum
{
  ROW_FRESH_SESSION = 1 << 0,   /* ends the caller's sign-in: a fresh one a cell */
  ROW_FRESH_ACCOUNT = 1 << 1,   /* changes the attendee's account: a throwaway one */
  ROW_IDEMPOTENT    = 1 << 2,   /* needs an Idempotency-Key */
  ROW_UNLIMITED     = 1 << 3,   /* rate-limited: the limits start again for each call */
  ROW_STRIPE_SIGNED = 1 << 4,   /* signed as Stripe signs its events */
};

#define STRIPE_WEBHOOK_SECRET "whsec_matrix"

typedef struct
{
  const char *route;     /* "METHOD pattern", as in the route table */
  Rule        rule;
  const char *fixture;   /* what the path parameter names (see fixture_id()) */
  const char *body;      /* for body routes; @NAME@ are filled in by fill() */
  guint       ok;        /* the status of an allowed call */
  guint       flags;
  const char *query;     /* appended to the path */
} Access;

/* The "ok" column is what the handler answers an allowed caller for these
 * fixtures; where it is not 2xx the reason is the handler's own:
 *   404 /metrics       no EVERATO_METRICS_TOKEN is set: the route hides
 *   409 outbox retry   the mail was sent, not given up on */
static const Access access_table[] = {
  { "GET /healthz",                                  RULE_PUBLIC, NULL, NULL, 200, 0 },
  { "GET /readyz",                                   RULE_PUBLIC, NULL, NULL, 200, 0 },
  { "GET /metrics",                                  RULE_PUBLIC, NULL, NULL, 404, 0 },
  { "GET /api/v1/openapi.yaml",                      RULE_PUBLIC, NULL, NULL, 200, 0 },
  { "GET /api/v1/docs",                              RULE_PUBLIC, NULL, NULL, 200, 0 },

  { "POST /api/v1/admin/auth/login",                 RULE_PUBLIC, NULL,
    "{\"email\":\"" STAFF_LOGIN "\",\"password\":\"" PASSWORD "\"}", 200, 0 },
  { "POST /api/v1/admin/auth/refresh",               RULE_PUBLIC, NULL,
    "{\"refresh_token\":\"@REFRESH@\"}", 200, 0 },
  { "POST /api/v1/admin/auth/logout",                RULE_DOOR, NULL, NULL, 204, ROW_FRESH_SESSION },
  { "GET /api/v1/admin/me",                          RULE_DOOR, NULL, NULL, 200, 0 },

  { "GET /api/v1/admin/staff",                       RULE_SUPER, NULL, NULL, 200, 0 },
  { "POST /api/v1/admin/staff",                      RULE_SUPER, NULL,
    "{\"email\":\"new-@N@@example.test\",\"name\":\"New\",\"role\":\"door_staff\","
    "\"password\":\"" PASSWORD "\"}", 201, 0 },
  { "GET /api/v1/admin/staff/{id}",                  RULE_SUPER, "staff", NULL, 200, 0 },
  { "PATCH /api/v1/admin/staff/{id}",                RULE_SUPER, "staff", "{\"name\":\"Victim\"}", 200, 0 },
  { "DELETE /api/v1/admin/staff/{id}",               RULE_SUPER, "fresh-staff", NULL, 204, 0 },

  { "GET /api/v1/admin/events",                      RULE_ORGANIZER, NULL, NULL, 200, 0 },
  { "POST /api/v1/admin/events",                     RULE_ORGANIZER, NULL,
    "{\"title\":\"Matrix @N@\",\"timezone\":\"UTC\",\"starts_at\":\"2033-01-01T19:00:00Z\","
    "\"ends_at\":\"2033-01-01T23:00:00Z\"}", 201, 0 },
  { "GET /api/v1/admin/events/{id}",                 RULE_ORGANIZER, "event", NULL, 200, 0 },
  { "PATCH /api/v1/admin/events/{id}",               RULE_ORGANIZER, "event", "{\"title\":\"Matrix night\"}", 200, 0 },
  { "DELETE /api/v1/admin/events/{id}",              RULE_ORGANIZER, "fresh-event", NULL, 204, 0 },
  { "POST /api/v1/admin/events/{id}/publish",        RULE_ORGANIZER, "fresh-event", NULL, 200, 0 },
  { "POST /api/v1/admin/events/{id}/cancel",         RULE_ORGANIZER, "fresh-event", NULL, 200, 0 },
  { "POST /api/v1/admin/events/{id}/archive",        RULE_ORGANIZER, "fresh-live-event", NULL, 200, 0 },

  { "GET /api/v1/admin/events/{id}/analytics",       RULE_ORGANIZER, "event", NULL, 200, 0 },
  { "GET /api/v1/admin/analytics/events",            RULE_ORGANIZER, NULL, NULL, 200, 0 },

  { "GET /api/v1/admin/events/{id}/ticket-types",    RULE_ORGANIZER, "event", NULL, 200, 0 },
  { "POST /api/v1/admin/events/{id}/ticket-types",   RULE_ORGANIZER, "event",
    "{\"name\":\"Extra @N@\",\"price\":1000,\"capacity\":10}", 201, 0 },
  { "GET /api/v1/admin/ticket-types/{id}",           RULE_ORGANIZER, "type", NULL, 200, 0 },
  { "PATCH /api/v1/admin/ticket-types/{id}",         RULE_ORGANIZER, "type", "{\"name\":\"Standing\"}", 200, 0 },
  { "DELETE /api/v1/admin/ticket-types/{id}",        RULE_ORGANIZER, "fresh-type", NULL, 204, 0 },

  { "POST /api/v1/auth/register",                    RULE_PUBLIC, NULL,
    "{\"email\":\"reg-@N@@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"Reg\"}", 202,
    ROW_UNLIMITED },
  { "POST /api/v1/auth/verify",                      RULE_PUBLIC, NULL,
    "{\"token\":\"@VERIFY@\",\"password\":\"" PASSWORD "\"}", 200, ROW_UNLIMITED | ROW_FRESH_SESSION },
  { "POST /api/v1/auth/verify/resend",               RULE_PUBLIC, NULL, "{\"email\":\"@LEMAIL@\"}", 202, ROW_UNLIMITED },
  { "POST /api/v1/auth/login",                       RULE_PUBLIC, NULL,
    "{\"email\":\"@LEMAIL@\",\"password\":\"" PASSWORD "\"}", 200, ROW_FRESH_SESSION },
  { "POST /api/v1/auth/logout",                      RULE_ATTENDEE, NULL, NULL, 204, ROW_FRESH_SESSION },
  { "POST /api/v1/auth/password-reset",              RULE_PUBLIC, NULL, "{\"email\":\"@LEMAIL@\"}", 202, ROW_UNLIMITED },
  { "POST /api/v1/auth/password-reset/confirm",      RULE_PUBLIC, NULL,
    "{\"token\":\"@RESET@\",\"password\":\"" NEW_PASSWORD "\"}", 200,
    ROW_UNLIMITED | ROW_FRESH_SESSION },
  { "GET /api/v1/me",                                RULE_ATTENDEE, NULL, NULL, 200, 0 },
  { "PATCH /api/v1/me",                              RULE_ATTENDEE, NULL, "{\"name\":\"Ann\"}", 200, 0 },
  { "DELETE /api/v1/me",                             RULE_ATTENDEE, NULL, NULL, 204, ROW_FRESH_ACCOUNT },
  { "POST /api/v1/me/password",                      RULE_ATTENDEE, NULL,
    "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"" NEW_PASSWORD "\"}", 204,
    ROW_FRESH_ACCOUNT },

  { "GET /api/v1/admin/attendees",                   RULE_ORGANIZER, NULL, NULL, 200, 0 },
  { "GET /api/v1/admin/attendees/{id}",              RULE_ORGANIZER, "attendee", NULL, 200, 0 },
  { "POST /api/v1/admin/attendees/{id}/disable",     RULE_ORGANIZER, "fresh-attendee", NULL, 200, 0 },
  { "POST /api/v1/admin/attendees/{id}/enable",      RULE_ORGANIZER, "fresh-disabled-attendee", NULL, 200, 0 },

  { "GET /api/v1/admin/outbox",                      RULE_ORGANIZER, NULL, NULL, 200, 0 },
  { "POST /api/v1/admin/outbox/{mail_id}/retry",     RULE_ORGANIZER, "mail", NULL, 409, 0 },

  { "POST /api/v1/bookings",                         RULE_ATTENDEE, NULL,
    "{\"event_id\":\"@EVENT@\",\"items\":[{\"ticket_type_id\":\"@TYPE@\",\"quantity\":1}]}", 201,
    ROW_IDEMPOTENT },
  { "GET /api/v1/me/bookings",                       RULE_ATTENDEE, NULL, NULL, 200, 0 },
  { "GET /api/v1/me/bookings/{id}",                  RULE_OWNER, "booking", NULL, 200, 0 },
  { "POST /api/v1/me/bookings/{id}/cancel",          RULE_OWNER, "fresh-held", NULL, 200, 0 },
  { "GET /api/v1/admin/events/{id}/bookings",        RULE_ORGANIZER, "event", NULL, 200, 0 },
  { "GET /api/v1/admin/bookings/{id}",               RULE_ORGANIZER, "booking", NULL, 200, 0 },
  { "POST /api/v1/admin/bookings/{id}/cancel",       RULE_ORGANIZER, "fresh-held", NULL, 200, 0 },

  { "POST /api/v1/me/bookings/{id}/checkout",        RULE_OWNER, "fresh-held",
    "{\"method\":\"bank_transfer\"}", 200, 0 },
  { "POST /api/v1/me/bookings/{id}/payment/refresh", RULE_OWNER, "pending", NULL, 200, 0 },
  { "POST /api/v1/payments/stripe/webhook",          RULE_PUBLIC, NULL,
    "{\"id\":\"evt_matrix_@N@\",\"object\":\"event\",\"type\":\"customer.created\","
    "\"data\":{\"object\":{}}}", 200, ROW_STRIPE_SIGNED },
  { "POST /api/v1/admin/bookings/{id}/refund",       RULE_ORGANIZER, "fresh-paid", "{}", 200, 0 },
  { "POST /api/v1/admin/bookings/{id}/mark-paid",    RULE_ORGANIZER, "fresh-pending",
    "{\"amount\":2500,\"paid_on\":\"@TODAY@\"}", 200, 0 },
  { "GET /api/v1/public/ticket-keys",                RULE_PUBLIC, NULL, NULL, 200, 0 },
  { "GET /api/v1/me/bookings/{id}/tickets",          RULE_OWNER, "booking", NULL, 200, 0 },
  { "GET /api/v1/admin/bookings/{id}/tickets",       RULE_ORGANIZER, "booking", NULL, 200, 0 },
  { "GET /api/v1/me/tickets/{id}/qr.svg",            RULE_OWNER, "ticket", NULL, 200, 0 },
  { "GET /api/v1/me/tickets/{id}/qr.png",            RULE_OWNER, "ticket", NULL, 200, 0 },
  { "GET /api/v1/admin/tickets/{id}/qr.svg",         RULE_ORGANIZER, "ticket", NULL, 200, 0 },
  { "GET /api/v1/admin/tickets/{id}/qr.png",         RULE_ORGANIZER, "ticket", NULL, 200, 0 },
  { "PATCH /api/v1/me/tickets/{id}",                 RULE_OWNER, "ticket", "{\"holder_name\":\"Ann\"}", 200, 0 },
  { "PATCH /api/v1/admin/tickets/{id}",              RULE_ORGANIZER, "ticket", "{\"holder_name\":\"Ann\"}", 200, 0 },
  { "POST /api/v1/me/tickets/{id}/reissue",          RULE_OWNER, "fresh-ticket", NULL, 200, 0 },
  { "POST /api/v1/admin/tickets/{id}/reissue",       RULE_ORGANIZER, "fresh-ticket", NULL, 200, 0 },
  { "GET /api/v1/me/tickets",                        RULE_ATTENDEE, NULL, NULL, 200, 0 },
  { "GET /api/v1/admin/events/{id}/checkin-lists",   RULE_DOOR, "event", NULL, 200, 0 },
  { "POST /api/v1/admin/events/{id}/checkin-lists",  RULE_ORGANIZER, "event", "{\"name\":\"Gate @N@\"}", 201, 0 },
  { "PATCH /api/v1/admin/checkin-lists/{id}",        RULE_ORGANIZER, "list", "{\"name\":\"Side door\"}", 200, 0 },
  { "DELETE /api/v1/admin/checkin-lists/{id}",       RULE_ORGANIZER, "fresh-list", NULL, 204, 0 },
  { "POST /api/v1/admin/checkin/devices",            RULE_DOOR, NULL, "{\"name\":\"Door @N@\"}", 201, 0 },
  { "POST /api/v1/admin/checkin/redeem",             RULE_DOOR, NULL,
    "{\"code\":\"@CODE@\",\"list_id\":\"@LIST@\",\"nonce\":\"@UUID@\",\"type\":\"entry\"}", 200, 0 },
  { "POST /api/v1/admin/checkin/upload",             RULE_DOOR, NULL,
    "{\"scans\":[{\"nonce\":\"@UUID@\",\"code\":\"@CODE@\",\"list_id\":\"@LIST@\",\"type\":\"exit\","
    "\"scanned_at\":\"@NOW@\",\"device_id\":\"@DEVICE@\"}]}", 200, 0 },
  { "POST /api/v1/admin/checkins/{id}/undo",         RULE_DOOR, "fresh-checkin", NULL, 200, 0 },
  { "GET /api/v1/admin/events/{id}/checkin/search",  RULE_DOOR, "event", NULL, 200, 0, "?q=ann" },
  { "GET /api/v1/admin/events/{id}/checkin/bundle",  RULE_DOOR, "event", NULL, 200, 0 },
  { "GET /api/v1/admin/events/{id}/checkin/stats",   RULE_DOOR, "event", NULL, 200, 0 },
  { "GET /api/v1/me/bookings/{id}/tickets.pdf",      RULE_OWNER, "booking", NULL, 200, 0 },
  { "GET /api/v1/admin/bookings/{id}/tickets.pdf",   RULE_ORGANIZER, "booking", NULL, 200, 0 },
  { "GET /api/v1/me/bookings/{id}/event.ics",        RULE_OWNER, "booking", NULL, 200, 0 },
  { "GET /api/v1/admin/bookings/{id}/event.ics",     RULE_ORGANIZER, "booking", NULL, 200, 0 },
  { "POST /api/v1/me/bookings/{id}/tickets/resend",  RULE_OWNER, "booking", NULL, 202, ROW_UNLIMITED },
  { "POST /api/v1/admin/bookings/{id}/tickets/resend", RULE_ORGANIZER, "booking", NULL, 202, ROW_UNLIMITED },

  { "GET /api/v1/admin/events/{id}/coupons",         RULE_ORGANIZER, "event", NULL, 200, 0 },
  { "POST /api/v1/admin/events/{id}/coupons",        RULE_ORGANIZER, "event",
    "{\"code\":\"M@N@\",\"kind\":\"percent\",\"percent\":10}", 201, 0 },
  { "GET /api/v1/admin/coupons/{id}",                RULE_ORGANIZER, "coupon", NULL, 200, 0 },
  { "PATCH /api/v1/admin/coupons/{id}",              RULE_ORGANIZER, "coupon", "{\"max_uses\":100}", 200, 0 },
  { "DELETE /api/v1/admin/coupons/{id}",             RULE_ORGANIZER, "fresh-coupon", NULL, 204, 0 },

  { "GET /api/v1/public/events",                     RULE_PUBLIC, NULL, NULL, 200, 0 },
  { "GET /api/v1/public/events/{id_or_slug}",        RULE_PUBLIC, "event", NULL, 200, 0 },
  { "POST /api/v1/public/events/{id}/quote",         RULE_PUBLIC, "event",
    "{\"items\":[{\"ticket_type_id\":\"@TYPE@\",\"quantity\":1}]}", 200, 0 },
  { "GET /api/v1/admin/webhooks",                    RULE_ORGANIZER, NULL, NULL, 200, 0 },
  { "POST /api/v1/admin/webhooks",                   RULE_ORGANIZER, NULL,
    "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"booking.confirmed\"],\"description\":\"M @N@\"}",
    201, 0 },
  { "GET /api/v1/admin/webhooks/{id}",               RULE_ORGANIZER, "webhook", NULL, 200, 0 },
  { "PATCH /api/v1/admin/webhooks/{id}",             RULE_ORGANIZER, "webhook", "{\"description\":\"CRM\"}", 200, 0 },
  { "DELETE /api/v1/admin/webhooks/{id}",            RULE_ORGANIZER, "fresh-webhook", NULL, 204, 0 },
  { "GET /api/v1/admin/webhooks/{id}/deliveries",    RULE_ORGANIZER, "webhook", NULL, 200, 0 },
  { "POST /api/v1/admin/webhooks/{id}/test",         RULE_ORGANIZER, "webhook", NULL, 202, 0 },
  { "POST /api/v1/admin/webhook-deliveries/{delivery_id}/redeliver", RULE_ORGANIZER, "fresh-delivery", NULL, 202, 0 },
};

/* ------------------------------------------------------------------ */
/* Fixtures                                                           */
/* ------------------------------------------------------------------ */

static struct
{
  char *event;        /* published, bank transfer, two ticket types */
  char *type;         /* paid: a hold stays held */
  char *free_type;    /* free: a hold is confirmed at once */
  char *booking;      /* A's, confirmed, two tickets */
  char *ticket;       /* its first ticket */
  char *code;         /* its second ticket's code (redeemed at the door) */
  char *pending;      /* A's, checked out by bank transfer */
  char *list;         /* a check-in list of the event */
  char *staff;        /* a door_staff account */
  char *coupon;
  char *webhook;
  char *device;       /* a door device */
  char *mail;
  char *login_email;  /* an attendee with a password */
  char *password_hash;
} fx;

static char *
random_uuid (void)
{
  return g_uuid_string_random ();
}

/* A request with @w's credentials (a bearer token, a session cookie and
 * its CSRF token) and, when @stripe is set, the Stripe-Signature of the
 * body. Every JSON answer is checked against docs/openapi.yaml. */
static EvaTestResponse *
send_signed (const Who  *w,
             const char *method,
             const char *path,
             const char *body,
             gboolean    idempotent,
             gboolean    stripe)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  EvaTestResponse *resp = g_new0 (EvaTestResponse, 1);
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (w != NULL && w->buyer != NULL)
    {
      g_autofree char *cookie = g_strconcat ("everato_session=", w->buyer->cookie, NULL);

      soup_message_headers_replace (headers, "Cookie", cookie);
      soup_message_headers_replace (headers, "X-CSRF-Token", w->buyer->csrf);
    }
  if (w != NULL && w->token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", w->token, NULL);

      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  if (idempotent)
    {
      g_autofree char *key = random_uuid ();

      soup_message_headers_replace (headers, "Idempotency-Key", key);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  if (stripe)
    {
      gint64 t = g_get_real_time () / G_USEC_PER_SEC;
      g_autofree char *payload = g_strdup_printf ("%" G_GINT64_FORMAT ".%s", t, body);
      g_autofree char *mac = g_compute_hmac_for_string (G_CHECKSUM_SHA256,
                                                        (const guchar *) STRIPE_WEBHOOK_SECRET,
                                                        strlen (STRIPE_WEBHOOK_SECRET), payload, -1);
      g_autofree char *signature = g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", t, mac);

      soup_message_headers_replace (headers, "Stripe-Signature", signature);
    }

  bytes = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  resp->status = soup_message_get_status (msg);
  resp->length = g_bytes_get_size (bytes);
  resp->body = g_malloc (resp->length + 1);
  if (resp->length > 0)
    memcpy (resp->body, g_bytes_get_data (bytes, NULL), resp->length);
  resp->body[resp->length] = '\0';
  resp->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  if (resp->length > 0 &&
      g_strcmp0 (soup_message_headers_get_content_type (resp->headers, NULL), "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, resp->body, resp->length, &error))
        g_error ("%s %s: the answer is not JSON: %s\n%s", method, path, error->message, resp->body);
      resp->json = json_node_copy (json_parser_get_root (parser));
      eva_test_check_response (method, path, resp->status, resp->json);
    }
  return resp;
}

static EvaTestResponse *
send_as (const Who  *w,
         const char *method,
         const char *path,
         const char *body,
         gboolean    idempotent)
{
  return send_signed (w, method, path, body, idempotent, FALSE);
}

static char *
must (guint       status,
      const Who  *w,
      const char *method,
      const char *path,
      const char *body,
      const char *field)
{
  g_autoptr(EvaTestResponse) r = send_as (w, method, path, body,
                                          g_str_equal (path, "/api/v1/bookings"));

  if (r->status != status)
    g_error ("fixture %s %s: expected %u, got %u: %s", method, path, status, r->status, r->body);
  return field != NULL ? g_strdup (eva_test_json_string (r->json, field)) : NULL;
}

/* An active attendee with the test password, and a session of it. */
static Buyer *
attendee_with_password (const char *name)
{
  Buyer *b = make_buyer_on (server, name, TRUE);

  g_free (eva_test_sql (server->pg, "UPDATE attendees SET password_hash = $2 WHERE id = $1::uuid"
                        " RETURNING id", b->id, fx.password_hash, NULL));
  return b;
}

/* A further session of attendee @id, made in the database; an expired
 * one began two days ago and ended an hour ago. */
static Buyer *
session_of (const char *id,
            gboolean    expired)
{
  Buyer *b = g_new0 (Buyer, 1);
  g_autofree char *hash = NULL;

  b->id = g_strdup (id);
  b->cookie = eva_random_token (32);
  b->csrf = eva_random_token (32);
  hash = eva_auth_token_hash_hex (b->cookie);
  g_free (eva_test_sql (server->pg,
                        "INSERT INTO attendee_sessions (attendee_id, token_hash, csrf_token,"
                        " idle_expires_at, expires_at, created_at) VALUES ($1::uuid,"
                        " decode($2, 'hex'), $3, now() + $4::interval, now() + $4::interval,"
                        " now() - interval '2 days') RETURNING id",
                        id, hash, b->csrf, expired ? "-1 hour" : "1 day", NULL));
  return b;
}

static char *
expired_token (const char *staff_id)
{
  g_autofree char *family = eva_test_sql (server->pg,
                                          "INSERT INTO staff_sessions (staff_id, family_id, token_hash,"
                                          " expires_at) VALUES ($1::uuid, gen_random_uuid(),"
                                          " decode(md5(random()::text) || md5(random()::text), 'hex'),"
                                          " now() + interval '1 day') RETURNING family_id",
                                          staff_id, NULL);
  guint8 key[32];
  char *token;

  eva_test_token_key (server->pg, NULL, key);
  /* The highest role and a sign-in that stands: only the expiry is wrong. */
  token = eva_auth_issue_access_token (key, staff_id, EVA_ROLE_SUPER_ADMIN, family,
                                       g_get_real_time () / G_USEC_PER_SEC - 3600,
                                       EVA_ACCESS_TOKEN_TTL);
  sodium_memzero (key, sizeof key);
  return token;
}

/* A published event of its own for each hold: an attendee may hold
 * tickets of one event only twice at a time. */
static char *
sale_event (char **type_out)
{
  char *event = make_event ("\"payment_methods\":[\"bank_transfer\"],"
                            "\"transfer_details\":\"IBAN DE89 3704 0044 0532 0130 00\","
                            "\"max_tickets_per_attendee\":1000");

  *type_out = make_type (event, "{\"name\":\"Standing\",\"price\":2500,\"capacity\":500}");
  publish (event);
  return event;
}

static char *
hold_for_a (const char *event,
            const char *type)
{
  g_autofree char *body = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\","
                                           "\"quantity\":1}]}", event, type);

  /* A makes more holds than an attendee may in ten minutes: the window
   * starts again for each fixture (the limit is not what is tested). */
  g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits WHERE key = 'att:hold:acct:' || $1"
                        " RETURNING key", who[WHO_ATTENDEE_A].buyer->id, NULL));
  return must (201, &who[WHO_ATTENDEE_A], "POST", "/api/v1/bookings", body, "id");
}

static char *
held_for_a (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = sale_event (&type);

  return hold_for_a (event, type);
}

static char *
pending_for_a (void)
{
  g_autofree char *id = held_for_a ();
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", id);

  g_free (must (200, &who[WHO_ATTENDEE_A], "POST", path, "{\"method\":\"bank_transfer\"}", NULL));
  return g_steal_pointer (&id);
}

static char *
fresh_event (void)
{
  g_autofree char *id = must (201, &who[WHO_ORGANIZER], "POST", "/api/v1/admin/events",
                              "{\"title\":\"Fresh\",\"timezone\":\"UTC\","
                              "\"starts_at\":\"2033-02-01T19:00:00Z\","
                              "\"ends_at\":\"2033-02-01T23:00:00Z\"}", "id");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", id);

  g_free (must (201, &who[WHO_ORGANIZER], "POST", path,
                "{\"name\":\"Seat\",\"price\":0,\"capacity\":5}", NULL));
  return g_steal_pointer (&id);
}

/* The id a row's path parameter names; "fresh-…" fixtures are made anew
 * for each call, as the call uses them up. */
static char *
fixture_id (const char *name)
{
  if (g_str_equal (name, "event"))
    return g_strdup (fx.event);
  if (g_str_equal (name, "type"))
    return g_strdup (fx.type);
  if (g_str_equal (name, "booking"))
    return g_strdup (fx.booking);
  if (g_str_equal (name, "pending"))
    return g_strdup (fx.pending);
  if (g_str_equal (name, "ticket"))
    return g_strdup (fx.ticket);
  if (g_str_equal (name, "list"))
    return g_strdup (fx.list);
  if (g_str_equal (name, "staff"))
    return g_strdup (fx.staff);
  if (g_str_equal (name, "coupon"))
    return g_strdup (fx.coupon);
  if (g_str_equal (name, "webhook"))
    return g_strdup (fx.webhook);
  if (g_str_equal (name, "mail"))
    return g_strdup (fx.mail);
  if (g_str_equal (name, "attendee"))
    return g_strdup (who[WHO_ATTENDEE_A].buyer->id);

  if (g_str_equal (name, "fresh-staff"))
    {
      g_autofree char *email = g_strdup_printf ("gone-%d@example.test", g_atomic_int_add (&serial, 1));

      return eva_test_create_staff (server, email, "door_staff", PASSWORD);
    }
  if (g_str_equal (name, "fresh-event"))
    return fresh_event ();
  if (g_str_equal (name, "fresh-live-event"))
    {
      char *id = fresh_event ();

      publish (id);
      return id;
    }
  if (g_str_equal (name, "fresh-ticket"))
    {
      g_autofree char *booking = hold_for_a (fx.event, fx.free_type);

      return eva_test_sql (server->pg, "SELECT id FROM tickets WHERE booking_id = $1::uuid",
                           booking, NULL);
    }
  if (g_str_equal (name, "fresh-type"))
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", fx.event);

      return must (201, &who[WHO_ORGANIZER], "POST", path,
                   "{\"name\":\"Spare\",\"price\":0,\"capacity\":5}", "id");
    }
  if (g_str_equal (name, "fresh-attendee") || g_str_equal (name, "fresh-disabled-attendee"))
    {
      g_autoptr(Buyer) b = make_buyer_on (server, "fresh", TRUE);

      if (g_str_equal (name, "fresh-disabled-attendee"))
        {
          g_autofree char *path = g_strdup_printf ("/api/v1/admin/attendees/%s/disable", b->id);

          g_free (must (200, &who[WHO_ORGANIZER], "POST", path, NULL, NULL));
        }
      return g_strdup (b->id);
    }
  if (g_str_equal (name, "fresh-held"))
    return held_for_a ();
  if (g_str_equal (name, "fresh-pending"))
    return pending_for_a ();
  if (g_str_equal (name, "fresh-paid"))
    {
      char *id = pending_for_a ();
      g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", id);
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
      g_autofree char *body = g_strdup_printf ("{\"amount\":2500,\"paid_on\":\"%s\"}", today);

      g_free (must (200, &who[WHO_ORGANIZER], "POST", path, body, NULL));
      return id;
    }
  if (g_str_equal (name, "fresh-delivery"))
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/admin/webhooks/%s/test", fx.webhook);
      g_autofree char *id = NULL;
      gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

      g_free (must (202, &who[WHO_ORGANIZER], "POST", path, NULL, NULL));
      id = eva_test_sql (server->pg, "SELECT max(id)::text FROM webhook_deliveries"
                         " WHERE endpoint_id = $1::uuid", fx.webhook, NULL);
      g_assert_nonnull (id);
      /* Once its first attempt is over (nothing listens there), so no
       * worker is sending it when it is asked for again. */
      for (;;)
        {
          g_autofree char *tried = eva_test_sql (server->pg, "SELECT attempts > 0 AND status <> 'sending'"
                                                 " FROM webhook_deliveries WHERE id = $1::bigint",
                                                 id, NULL);

          if (g_strcmp0 (tried, "t") == 0)
            break;
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_usleep (20000);
        }
      return g_steal_pointer (&id);
    }
  if (g_str_equal (name, "fresh-list"))
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", fx.event);
      g_autofree char *body = g_strdup_printf ("{\"name\":\"Spare gate %d\"}",
                                               g_atomic_int_add (&serial, 1));

      return must (201, &who[WHO_ORGANIZER], "POST", path, body, "id");
    }
  if (g_str_equal (name, "fresh-checkin"))
    {
      g_autofree char *booking = hold_for_a (fx.event, fx.free_type);
      g_autofree char *code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE"
                                            " booking_id = $1::uuid", booking, NULL);
      g_autofree char *nonce = random_uuid ();
      g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\",\"list_id\":\"%s\",\"nonce\":\"%s\","
                                               "\"type\":\"entry\"}", code, fx.list, nonce);

      return must (200, &who[WHO_DOOR], "POST", "/api/v1/admin/checkin/redeem", body, "checkin_id");
    }
  if (g_str_equal (name, "fresh-coupon"))
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", fx.event);
      g_autofree char *body = g_strdup_printf ("{\"code\":\"GONE%d\",\"kind\":\"percent\",\"percent\":5}",
                                               g_atomic_int_add (&serial, 1));

      return must (201, &who[WHO_ORGANIZER], "POST", path, body, "id");
    }
  if (g_str_equal (name, "fresh-webhook"))
    return must (201, &who[WHO_ORGANIZER], "POST", "/api/v1/admin/webhooks",
                 "{\"url\":\"http://127.0.0.1:9/gone\",\"events\":[\"booking.confirmed\"]}", "id");

  g_error ("no fixture named %s", name);
}

/* Mails on request (sign-up, verification, password reset) are limited
 * per address and per network, ticket re-sends per booking; a row that
 * calls them eight times starts the limits again for each call (they are
 * not what is tested here). */
static void
lift_limits (void)
{
  g_free (eva_test_sql (server->pg, "WITH gone AS (DELETE FROM rate_limits RETURNING 1)"
                        " SELECT count(*) FROM gone", NULL));
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET tickets_mailed_at = NULL"
                        " WHERE id = $1::uuid RETURNING id", fx.booking, NULL));
}

/* The token of a link mailed to a fresh address: "verify_email" after
 * registering, "password_reset" after asking for one. */
static char *
mailed_token (const char *template_name)
{
  g_autofree char *email = g_strdup_printf ("mailed-%d@example.test", g_atomic_int_add (&serial, 1));
  g_autofree char *body = NULL;
  g_autofree char *link = NULL;
  const char *at;

  lift_limits ();
  if (g_str_equal (template_name, "verify_email"))
    {
      body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"" PASSWORD "\",\"name\":\"Mo\"}",
                              email);
      g_free (must (202, NULL, "POST", "/api/v1/auth/register", body, NULL));
    }
  else
    {
      g_free (eva_test_sql (server->pg, "INSERT INTO attendees (email, name, password_hash, status,"
                            " email_verified_at) VALUES ($1, 'Mo', $2, 'active', now())"
                            " RETURNING id", email, fx.password_hash, NULL));
      body = g_strdup_printf ("{\"email\":\"%s\"}", email);
      g_free (must (202, NULL, "POST", "/api/v1/auth/password-reset", body, NULL));
    }
  lift_limits ();
  link = eva_test_mail_link (server, email, template_name);
  at = link != NULL ? strstr (link, "?token=") : NULL;
  g_assert_nonnull (at);
  return g_strdup (at + strlen ("?token="));
}

static char *
fresh_refresh_token (void)
{
  return must (200, NULL, "POST", "/api/v1/admin/auth/login",
               "{\"email\":\"" STAFF_LOGIN "\",\"password\":\"" PASSWORD "\"}", "refresh_token");
}

/* A body with its @NAME@ placeholders filled in. */
static char *
fill (const char *body)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (const char *p = body; *p != '\0'; )
    {
      const char *end = *p == '@' ? strchr (p + 1, '@') : NULL;
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (end == NULL || end == p + 1)
        {
          g_string_append_c (s, *p++);
          continue;
        }
      name = g_strndup (p + 1, end - p - 1);
      if (g_str_equal (name, "N"))
        value = g_strdup_printf ("%d", g_atomic_int_add (&serial, 1));
      else if (g_str_equal (name, "UUID"))
        value = random_uuid ();
      else if (g_str_equal (name, "EVENT"))
        value = g_strdup (fx.event);
      else if (g_str_equal (name, "TYPE"))
        value = g_strdup (fx.type);
      else if (g_str_equal (name, "LIST"))
        value = g_strdup (fx.list);
      else if (g_str_equal (name, "CODE"))
        value = g_strdup (fx.code);
      else if (g_str_equal (name, "LEMAIL"))
        value = g_strdup (fx.login_email);
      else if (g_str_equal (name, "DEVICE"))
        value = g_strdup (fx.device);
      else if (g_str_equal (name, "NOW"))
        {
          g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

          value = g_date_time_format_iso8601 (now);
        }
      else if (g_str_equal (name, "TODAY"))
        {
          g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

          value = g_date_time_format (now, "%Y-%m-%d");
        }
      else if (g_str_equal (name, "VERIFY"))
        value = mailed_token ("verify_email");
      else if (g_str_equal (name, "RESET"))
        value = mailed_token ("password_reset");
      else if (g_str_equal (name, "REFRESH"))
        value = fresh_refresh_token ();
      else
        {
          /* An "@" that starts no placeholder (an e-mail address). */
          g_string_append_c (s, *p++);
          continue;
        }
      g_string_append (s, value);
      p = end + 1;
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* "/api/v1/me/bookings/{id}" with @id in place of the parameter. */
static char *
concrete_path (const char *pattern,
               const char *id)
{
  g_autoptr(GString) path = g_string_new (NULL);

  for (const char *p = pattern; *p != '\0'; )
    {
      if (*p == '{')
        {
          const char *close = strchr (p, '}');

          g_assert_nonnull (close);
          g_assert_nonnull (id);
          g_string_append (path, id);
          p = close + 1;
        }
      else
        g_string_append_c (path, *p++);
    }
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static void
setup_fixtures (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *super_id = NULL;
  g_autofree char *disabled_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *code_b = NULL;
  g_autoptr(Buyer) login = NULL;

  fx.password_hash = eva_auth_hash_password (PASSWORD, &error);
  g_assert_no_error (error);

  /* Staff: the three roles, the account sign-in and refresh use, a
   * victim to read and change. */
  super_id = eva_test_create_staff (server, "matrix-root@example.test", "super_admin", PASSWORD);
  who[WHO_SUPER].token = eva_test_login (server, "matrix-root@example.test", PASSWORD);
  who[WHO_ORGANIZER].token = eva_test_token_for_role (server, "organizer");
  who[WHO_DOOR].token = eva_test_token_for_role (server, "door_staff");
  organizer = g_strdup (who[WHO_ORGANIZER].token);
  g_free (eva_test_create_staff (server, STAFF_LOGIN, "door_staff", PASSWORD));
  fx.staff = eva_test_create_staff (server, "matrix-victim@example.test", "door_staff", PASSWORD);

  /* Attendees A and B, and one that signs in with a password. */
  who[WHO_ATTENDEE_A].buyer = attendee_with_password ("ann");
  who[WHO_ATTENDEE_B].buyer = attendee_with_password ("bob");
  login = attendee_with_password ("lee");
  fx.login_email = eva_test_sql (server->pg, "SELECT email FROM attendees WHERE id = $1::uuid",
                                 login->id, NULL);

  /* Expired: a super admin's token an hour past its end, and a session
   * of A's past its own. */
  who[WHO_EXPIRED].token = expired_token (super_id);
  who[WHO_EXPIRED].buyer = session_of (who[WHO_ATTENDEE_A].buyer->id, TRUE);

  /* Disabled: a super admin signs in, and another disables the account
   * while the access token still has minutes to run. */
  disabled_id = eva_test_create_staff (server, "matrix-disabled@example.test", "super_admin", PASSWORD);
  who[WHO_DISABLED].token = eva_test_login (server, "matrix-disabled@example.test", PASSWORD);
  g_free (must (200, &who[WHO_DISABLED], "GET", "/api/v1/admin/me", NULL, NULL));
  path = g_strdup_printf ("/api/v1/admin/staff/%s", disabled_id);
  g_free (must (200, &who[WHO_SUPER], "PATCH", path, "{\"disabled\":true}", NULL));

  /* A published event taking bank transfers, a paid and a free type. */
  fx.event = sale_event (&fx.type);
  fx.free_type = make_type (fx.event, "{\"name\":\"Free\",\"price\":0,\"capacity\":500}");

  /* A's confirmed booking of two tickets, and one awaiting a transfer. */
  {
    g_autofree char *body = g_strdup_printf ("{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":"
                                             "\"%s\",\"quantity\":2}]}", fx.event, fx.free_type);

    fx.booking = must (201, &who[WHO_ATTENDEE_A], "POST", "/api/v1/bookings", body, "id");
  }
  fx.ticket = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE booking_id = $1::uuid"
                            " AND seq = 1", fx.booking, NULL);
  fx.code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE booking_id = $1::uuid"
                          " AND seq = 2", fx.booking, NULL);
  g_assert_nonnull (fx.ticket);
  g_assert_nonnull (fx.code);
  fx.pending = pending_for_a ();

  /* The event's other pieces. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", fx.event);
  fx.list = must (201, &who[WHO_ORGANIZER], "POST", path, "{\"name\":\"Matrix gate\"}", "id");
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", fx.event);
  fx.coupon = must (201, &who[WHO_ORGANIZER], "POST", path,
                    "{\"code\":\"MATRIX\",\"kind\":\"percent\",\"percent\":10}", "id");
  fx.webhook = must (201, &who[WHO_ORGANIZER], "POST", "/api/v1/admin/webhooks",
                     "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"booking.confirmed\"]}", "id");
  fx.device = must (201, &who[WHO_DOOR], "POST", "/api/v1/admin/checkin/devices",
                    "{\"name\":\"Matrix door\"}", "id");
  fx.mail = eva_test_sql (server->pg, "SELECT max(id)::text FROM email_outbox", NULL);
  g_assert_nonnull (fx.mail);
  g_test_message ("fixtures: event %s booking %s ticket %s pending %s", fx.event, fx.booking,
                  fx.ticket, fx.pending);
}

/* ------------------------------------------------------------------ */
/* Expectations                                                       */
/* ------------------------------------------------------------------ */

static EvaRole
rule_role (Rule rule)
{
  switch (rule)
    {
    case RULE_PUBLIC:
      return EVA_ROLE_PUBLIC;
    case RULE_ATTENDEE:
    case RULE_OWNER:
      return EVA_ROLE_ATTENDEE;
    case RULE_DOOR:
      return EVA_ROLE_DOOR_STAFF;
    case RULE_ORGANIZER:
      return EVA_ROLE_ORGANIZER;
    case RULE_SUPER:
      return EVA_ROLE_SUPER_ADMIN;
    default:
      g_assert_not_reached ();
    }
}

/* The status (and error code) caller @w must get on @a. */
static guint
expected_status (const Access *a,
                 int           w,
                 const char  **code)
{
  *code = NULL;
  switch (a->rule)
    {
    case RULE_PUBLIC:
      return a->ok;

    case RULE_ATTENDEE:
    case RULE_OWNER:
      /* A session cookie or nothing: a bearer token is no attendee. */
      if (w == WHO_ATTENDEE_A)
        return a->ok;
      if (w == WHO_ATTENDEE_B)
        {
          if (a->rule == RULE_ATTENDEE)
            return a->ok;
          /* Another's object is not there, rather than forbidden. */
          *code = "not_found";
          return 404;
        }
      *code = "unauthorized";
      return 401;

    default:
      if (w == WHO_ANON || w == WHO_ATTENDEE_A || w == WHO_ATTENDEE_B)
        {
          *code = "unauthorized";
          return 401;
        }
      if (w == WHO_EXPIRED || w == WHO_DISABLED)
        {
          *code = "invalid_token";
          return 401;
        }
      if (who_roles[w] < rule_role (a->rule))
        {
          *code = "forbidden";
          return 403;
        }
      return a->ok;
    }
}

static const Access *
find_access (const EvaRoute *route)
{
  g_autofree char *key = g_strdup_printf ("%s %s", route->method, route->pattern);

  for (guint i = 0; i < G_N_ELEMENTS (access_table); i++)
    if (g_str_equal (access_table[i].route, key))
      return &access_table[i];
  return NULL;
}

static const char *
error_code (EvaTestResponse *r)
{
  if (r->json == NULL || !eva_test_json_has (r->json, "error.code"))
    return NULL;
  return eva_test_json_string (r->json, "error.code");
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* The table and the route table list the same routes, with the same
 * least role. */
static void
test_table_covers_routes (void)
{
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(GString) stale = g_string_new (NULL);
  g_autoptr(GString) wrong = g_string_new (NULL);
  const EvaRoute *routes;
  guint n_routes;

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      const Access *a = find_access (&routes[i]);

      if (a == NULL)
        g_string_append_printf (missing, "\n  %s %s", routes[i].method, routes[i].pattern);
      else if (rule_role (a->rule) != routes[i].role)
        g_string_append_printf (wrong, "\n  %s: table says %s, route table %s", a->route,
                                rule_names[a->rule], eva_role_to_string (routes[i].role));
      /* A parameter needs a fixture; an attendee route with one is about
       * an object the attendee owns. */
      else if (strchr (routes[i].pattern, '{') != NULL &&
               (a->fixture == NULL || (a->rule == RULE_ATTENDEE)))
        g_string_append_printf (wrong, "\n  %s: a parameter needs a fixture and, for an"
                                " attendee, the owner rule", a->route);
    }

  for (guint t = 0; t < G_N_ELEMENTS (access_table); t++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < n_routes && !found; i++)
        {
          g_autofree char *key = g_strdup_printf ("%s %s", routes[i].method, routes[i].pattern);

          found = g_str_equal (key, access_table[t].route);
        }
      if (!found)
        g_string_append_printf (stale, "\n  %s", access_table[t].route);
    }

  if (missing->len > 0 || stale->len > 0 || wrong->len > 0)
    g_error ("the access table does not match the route table:%s%s%s%s%s%s",
             missing->len > 0 ? "\n routes without an access rule:" : "", missing->str,
             stale->len > 0 ? "\n rules for routes that do not exist:" : "", stale->str,
             wrong->len > 0 ? "\n rules that disagree with the route:" : "", wrong->str);
  g_assert_cmpuint (n_routes, ==, G_N_ELEMENTS (access_table));
}

static void
test_matrix (void)
{
  g_autoptr(GString) table = g_string_new ("\n");
  g_autoptr(GString) failures = g_string_new (NULL);
  guint n_rule[G_N_ELEMENTS (rule_names)] = { 0, };
  guint n_cells = 0;
  guint n_allowed = 0;
  guint n_allowed_2xx = 0;
  guint n_refused = 0;
  guint n_routes_seen = 0;
  const EvaRoute *routes;
  guint n_routes;

  g_string_append_printf (table, "%-62s %-11s", "route", "rule");
  for (int w = 0; w < N_WHO; w++)
    g_string_append_printf (table, " %9s", who_names[w]);
  g_string_append_c (table, '\n');

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      const Access *a = find_access (&routes[i]);

      if (a == NULL)
        {
          g_string_append_printf (failures, "\n  %s %s: no access rule", routes[i].method,
                                  routes[i].pattern);
          continue;
        }
      n_routes_seen++;
      n_rule[a->rule]++;
      g_string_append_printf (table, "%-62s %-11s", a->route, rule_names[a->rule]);

      for (int w = 0; w < N_WHO; w++)
        {
          g_autofree char *id = a->fixture != NULL ? fixture_id (a->fixture) : NULL;
          g_autofree char *bare = concrete_path (routes[i].pattern, id);
          g_autofree char *path = g_strconcat (bare, a->query, NULL);
          g_autofree char *body = NULL;
          g_autoptr(Buyer) own_buyer = NULL;
          g_autofree char *own_token = NULL;
          g_autoptr(EvaTestResponse) r = NULL;
          Who caller = who[w];
          const char *code;
          guint expected = expected_status (a, w, &code);
          gboolean allowed = code == NULL;

          if (routes[i].flags & EVA_ROUTE_BODY)
            body = fill (a->body != NULL ? a->body : "{}");

          /* A call that ends the sign-in or changes the account gets a
           * sign-in (or account) of its own. */
          if ((a->flags & ROW_FRESH_SESSION) && (w == WHO_ATTENDEE_A || w == WHO_ATTENDEE_B))
            caller.buyer = own_buyer = session_of (who[w].buyer->id, FALSE);
          if ((a->flags & ROW_FRESH_ACCOUNT) && (w == WHO_ATTENDEE_A || w == WHO_ATTENDEE_B))
            caller.buyer = own_buyer = attendee_with_password ("throwaway");
          if ((a->flags & ROW_FRESH_SESSION) && who_roles[w] >= EVA_ROLE_DOOR_STAFF)
            caller.token = own_token = eva_test_token_for_role (server, eva_role_to_string (who_roles[w]));

          if (a->flags & ROW_UNLIMITED)
            lift_limits ();
          r = send_signed (&caller, routes[i].method, path, body, (a->flags & ROW_IDEMPOTENT) != 0,
                           (a->flags & ROW_STRIPE_SIGNED) != 0);
          n_cells++;
          g_string_append_printf (table, " %9u", r->status);

          if (allowed)
            {
              n_allowed++;
              if (r->status / 100 == 2)
                n_allowed_2xx++;
            }
          else
            n_refused++;

          if (r->status != expected ||
              (code != NULL && g_strcmp0 (error_code (r), code) != 0))
            g_string_append_printf (failures, "\n  %s as %s (%s): expected %u %s, got %u: %.200s",
                                    a->route, who_names[w], path, expected, code ? code : "",
                                    r->status, r->body);
          /* A staff route that wants a bearer token says so (RFC 6750). */
          if (r->status == 401 && a->rule >= RULE_DOOR)
            {
              const char *challenge = eva_test_header (r, "WWW-Authenticate");

              if (challenge == NULL || !g_str_has_prefix (challenge, "Bearer ") ||
                  (g_strcmp0 (code, "invalid_token") == 0 &&
                   strstr (challenge, "error=\"invalid_token\"") == NULL))
                g_string_append_printf (failures, "\n  %s as %s: 401 with WWW-Authenticate %s",
                                        a->route, who_names[w], challenge ? challenge : "missing");
            }
          /* An allowed caller reaches the handler: never 401/403/5xx. */
          if (allowed && (r->status == 401 || r->status == 403 || r->status >= 500))
            g_string_append_printf (failures, "\n  %s as %s: allowed, but %u", a->route,
                                    who_names[w], r->status);
        }
      g_string_append_c (table, '\n');
    }

  g_test_message ("%s", table->str);
  g_test_message ("%u routes x %d callers = %u cells: %u allowed (%u of them 2xx), %u refused",
                  n_routes_seen, N_WHO, n_cells, n_allowed, n_allowed_2xx, n_refused);
  for (guint r = 0; r < G_N_ELEMENTS (rule_names); r++)
    g_test_message ("  %-11s %u routes", rule_names[r], n_rule[r]);
  if (failures->len > 0)
    g_error ("cells that broke the access contract:%s", failures->str);
  g_assert_cmpuint (n_cells, ==, n_routes * N_WHO);
}

/* Attendee B asks for every object of A's that a route names: each
 * answer is 404, exactly what a random id gets, and nothing changed; A
 * gets the object. */
static void
test_objects_of_others (void)
{
  const EvaRoute *routes;
  guint n_routes;
  guint n_checked = 0;
  guint n_owned = 0;

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      const Access *a = find_access (&routes[i]);
      g_autofree char *id = NULL;
      g_autofree char *mine = NULL;
      g_autofree char *theirs = NULL;
      g_autofree char *nobodys = NULL;
      g_autofree char *random = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      g_autofree char *body = NULL;
      g_autoptr(EvaTestResponse) by_b = NULL;
      g_autoptr(EvaTestResponse) by_random = NULL;
      g_autoptr(EvaTestResponse) by_a = NULL;

      /* Every attendee route that names an object is one of these. */
      if (routes[i].role == EVA_ROLE_ATTENDEE && strchr (routes[i].pattern, '{') != NULL)
        n_owned++;
      if (a == NULL || a->rule != RULE_OWNER)
        continue;
      id = fixture_id (a->fixture);
      random = random_uuid ();
      mine = concrete_path (routes[i].pattern, id);
      theirs = g_strconcat (mine, a->query, NULL);
      g_free (mine);
      mine = concrete_path (routes[i].pattern, random);
      nobodys = g_strconcat (mine, a->query, NULL);
      if (routes[i].flags & EVA_ROUTE_BODY)
        body = fill (a->body != NULL ? a->body : "{}");

      before = eva_test_sql (server->pg, "SELECT coalesce((SELECT status || updated_at::text FROM"
                             " bookings WHERE id = $1::uuid), (SELECT status || code FROM tickets"
                             " WHERE id = $1::uuid))", id, NULL);
      by_b = send_as (&who[WHO_ATTENDEE_B], routes[i].method, theirs, body,
                      (a->flags & ROW_IDEMPOTENT) != 0);
      by_random = send_as (&who[WHO_ATTENDEE_A], routes[i].method, nobodys, body,
                           (a->flags & ROW_IDEMPOTENT) != 0);
      after = eva_test_sql (server->pg, "SELECT coalesce((SELECT status || updated_at::text FROM"
                            " bookings WHERE id = $1::uuid), (SELECT status || code FROM tickets"
                            " WHERE id = $1::uuid))", id, NULL);
      g_assert_nonnull (before);
      if (by_b->status != 404)
        g_error ("%s: B got %u for A's object: %s", a->route, by_b->status, by_b->body);
      eva_test_assert_error (by_b, 404, "not_found");
      eva_test_assert_error (by_random, 404, "not_found");
      /* The same answer as for an id that names nothing. */
      g_assert_cmpstr (eva_test_json_string (by_b->json, "error.message"), ==,
                       eva_test_json_string (by_random->json, "error.message"));
      g_assert_cmpstr (before, ==, after);

      if (a->flags & ROW_UNLIMITED)
        lift_limits ();
      by_a = send_as (&who[WHO_ATTENDEE_A], routes[i].method, theirs, body,
                      (a->flags & ROW_IDEMPOTENT) != 0);
      if (by_a->status != a->ok)
        g_error ("%s: A got %u for their own object: %s", a->route, by_a->status, by_a->body);
      g_assert_cmpuint (by_a->status / 100, ==, 2);
      n_checked++;
    }
  /* Nor do B's lists show A's bookings and tickets, which A's do. */
  {
    const char *lists[] = { "/api/v1/me/bookings?status=confirmed&limit=100", "/api/v1/me/tickets" };

    for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
      {
        g_autoptr(EvaTestResponse) mine = send_as (&who[WHO_ATTENDEE_A], "GET", lists[l], NULL, FALSE);
        g_autoptr(EvaTestResponse) theirs = send_as (&who[WHO_ATTENDEE_B], "GET", lists[l], NULL, FALSE);
        const char *id = l == 0 ? fx.booking : fx.ticket;

        eva_test_assert_status (mine, 200);
        eva_test_assert_status (theirs, 200);
        g_assert_nonnull (strstr (mine->body, id));
        g_assert_null (strstr (theirs->body, id));
        g_assert_null (strstr (theirs->body, who[WHO_ATTENDEE_A].buyer->id));
      }
  }
  g_test_message ("%u routes of attendee-owned objects", n_checked);
  g_assert_cmpuint (n_checked, ==, n_owned);
  g_assert_cmpuint (n_checked, >=, 12);
}

#define OFF_LOGIN "{\"email\":\"matrix-off@example.test\",\"password\":\"" PASSWORD "\"}"

/* A disabled account's token is refused at once, on every staff route,
 * with the answer of an ended sign-in (docs/openapi.yaml, bearer); its
 * refresh token is refused too, and it cannot sign in. Enabling the
 * account again does not bring the old sign-in back. */
static void
test_disabled_staff (void)
{
  g_autofree char *id = eva_test_create_staff (server, "matrix-off@example.test", "organizer",
                                               PASSWORD);
  g_autoptr(EvaTestResponse) login = send_as (NULL, "POST", "/api/v1/admin/auth/login", OFF_LOGIN, FALSE);
  g_autofree char *token = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *refresh_body = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/staff/%s", id);
  g_autofree char *random = random_uuid ();
  Who off = { NULL, NULL };
  const EvaRoute *routes;
  guint n_routes;
  guint n_checked = 0;

  eva_test_assert_status (login, 200);
  token = g_strdup (eva_test_json_string (login->json, "access_token"));
  refresh = g_strdup (eva_test_json_string (login->json, "refresh_token"));
  refresh_body = g_strdup_printf ("{\"refresh_token\":\"%s\"}", refresh);
  off.token = token;
  g_free (must (200, &off, "GET", "/api/v1/admin/events", NULL, NULL));
  g_free (must (200, &who[WHO_SUPER], "PATCH", path, "{\"disabled\":true}", NULL));

  {
    g_autoptr(EvaTestResponse) again = send_as (NULL, "POST", "/api/v1/admin/auth/login", OFF_LOGIN, FALSE);
    g_autoptr(EvaTestResponse) renewed = send_as (NULL, "POST", "/api/v1/admin/auth/refresh",
                                                  refresh_body, FALSE);

    eva_test_assert_error (again, 403, "account_disabled");
    g_assert_cmpuint (renewed->status, ==, 401);
  }

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      const Access *a = find_access (&routes[i]);
      g_autofree char *p = NULL;
      g_autofree char *body = NULL;
      g_autoptr(EvaTestResponse) r = NULL;

      if (routes[i].role < EVA_ROLE_DOOR_STAFF)
        continue;
      p = concrete_path (routes[i].pattern, random);
      /* The bodies of the table: a call that would succeed but for the
       * account (check-in checks the sign-in after reading its body). */
      if (routes[i].flags & EVA_ROUTE_BODY)
        body = fill (a != NULL && a->body != NULL ? a->body : "{}");
      r = send_as (&off, routes[i].method, p, body, FALSE);
      if (r->status != 401)
        g_error ("%s %s with a disabled account's token: %u: %s", routes[i].method, p,
                 r->status, r->body);
      eva_test_assert_error (r, 401, "invalid_token");
      g_assert_nonnull (eva_test_header (r, "WWW-Authenticate"));
      n_checked++;
    }

  g_free (must (200, &who[WHO_SUPER], "PATCH", path, "{\"disabled\":false}", NULL));
  {
    g_autoptr(EvaTestResponse) r = send_as (&off, "GET", "/api/v1/admin/me", NULL, FALSE);
    g_autoptr(EvaTestResponse) renewed = send_as (NULL, "POST", "/api/v1/admin/auth/refresh",
                                                  refresh_body, FALSE);
    g_autoptr(EvaTestResponse) again = send_as (NULL, "POST", "/api/v1/admin/auth/login", OFF_LOGIN, FALSE);

    eva_test_assert_error (r, 401, "invalid_token");
    g_assert_cmpuint (renewed->status, ==, 401);
    eva_test_assert_status (again, 200);
  }
  g_test_message ("%u staff routes refuse a disabled account's token", n_checked);
  g_assert_cmpuint (n_checked, >=, 50);
}

/* Likewise an attendee disabled by an organizer: the session they hold
 * is refused on every attendee route at once, as if it had ended. */
static void
test_disabled_attendee (void)
{
  g_autoptr(Buyer) b = attendee_with_password ("dora");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/attendees/%s/disable", b->id);
  g_autofree char *random = random_uuid ();
  Who off = { NULL, b };
  const EvaRoute *routes;
  guint n_routes;
  guint n_checked = 0;

  g_free (must (200, &off, "GET", "/api/v1/me", NULL, NULL));
  g_free (must (200, &who[WHO_ORGANIZER], "POST", path, NULL, NULL));

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      g_autofree char *p = NULL;
      g_autoptr(EvaTestResponse) r = NULL;

      if (routes[i].role != EVA_ROLE_ATTENDEE)
        continue;
      p = concrete_path (routes[i].pattern, random);
      r = send_as (&off, routes[i].method, p, (routes[i].flags & EVA_ROUTE_BODY) ? "{}" : NULL, FALSE);
      if (r->status != 401)
        g_error ("%s %s with a disabled attendee's session: %u: %s", routes[i].method, p,
                 r->status, r->body);
      eva_test_assert_error (r, 401, "unauthorized");
      n_checked++;
    }
  g_test_message ("%u attendee routes refuse a disabled attendee's session", n_checked);
  g_assert_cmpuint (n_checked, >=, 20);
}

/* A public route ignores a token it cannot read (a client with a stale
 * token can still sign in), whatever the id and body; only sign-in and
 * refresh are open under /admin. */
static void
test_public_routes_ignore_bad_tokens (void)
{
  g_autofree char *random = random_uuid ();
  Who stale = { (char *) "not.a-token", NULL };
  const EvaRoute *routes;
  guint n_routes;
  guint n_public = 0;
  guint n_public_admin = 0;

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      g_autofree char *path = NULL;
      g_autoptr(EvaTestResponse) r = NULL;

      if (routes[i].role != EVA_ROLE_PUBLIC)
        continue;
      n_public++;
      if (g_str_has_prefix (routes[i].pattern, "/api/v1/admin/"))
        {
          n_public_admin++;
          g_assert_true (g_str_equal (routes[i].pattern, "/api/v1/admin/auth/login") ||
                         g_str_equal (routes[i].pattern, "/api/v1/admin/auth/refresh"));
        }
      path = concrete_path (routes[i].pattern, random);
      r = send_as (&stale, routes[i].method, path,
                   (routes[i].flags & EVA_ROUTE_BODY) ? "{}" : NULL, FALSE);
      if (r->status == 401 || r->status == 403 || r->status >= 500)
        g_error ("public route %s %s with a stale token: %u: %s", routes[i].method, path,
                 r->status, r->body);
    }
  g_assert_cmpuint (n_public, >=, 5);
  g_assert_cmpuint (n_public_admin, ==, 2);
}

/* One organization per installation: every organizer sees and runs every
 * event, whoever created it (docs/ARCHITECTURE.md, Authentication); door
 * staff see none of the organizer routes. */
static void
test_organizers_share_events (void)
{
  g_autofree char *ann = eva_test_token_for_role (server, "organizer");
  g_autofree char *ben = eva_test_token_for_role (server, "organizer");
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  g_autoptr(EvaTestResponse) created = NULL;
  g_autoptr(EvaTestResponse) listed = NULL;
  g_autoptr(EvaTestResponse) patched = NULL;
  g_autoptr(EvaTestResponse) by_door = NULL;

  created = eva_test_call (server, "POST", "/api/v1/admin/events", ann,
                           "{\"title\":\"Ann's night\",\"timezone\":\"UTC\","
                           "\"starts_at\":\"2033-01-01T19:00:00Z\","
                           "\"ends_at\":\"2033-01-01T23:00:00Z\"}");
  eva_test_assert_status (created, 201);
  id = g_strdup (eva_test_json_string (created->json, "id"));
  path = g_strdup_printf ("/api/v1/admin/events/%s", id);

  listed = eva_test_call (server, "GET", "/api/v1/admin/events?q=Ann%27s", ben, NULL);
  eva_test_assert_status (listed, 200);
  g_assert_cmpstr (eva_test_json_string (listed->json, "items.0.id"), ==, id);
  patched = eva_test_call (server, "PATCH", path, ben, "{\"title\":\"Ben renamed it\"}");
  eva_test_assert_status (patched, 200);
  g_assert_cmpstr (eva_test_json_string (patched->json, "title"), ==, "Ben renamed it");

  by_door = eva_test_call (server, "GET", path, door, NULL);
  eva_test_assert_error (by_door, 403, "forbidden");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  /* Card payments configured (no Stripe is called: no cell pays by
   * card), so the Stripe webhook route takes signed events. */
  server = eva_test_server_start ((const char *[]) {
    "EVERATO_WEBHOOK_ALLOW_PRIVATE=1", "EVERATO_STRIPE_SECRET_KEY=sk_test_matrix",
    "EVERATO_STRIPE_WEBHOOK_SECRET=" STRIPE_WEBHOOK_SECRET, "EVERATO_STRIPE_API_BASE=http://127.0.0.1:9",
    NULL });
  setup_fixtures ();

  g_test_add_func ("/roles/table-covers-routes", test_table_covers_routes);
  g_test_add_func ("/roles/matrix", test_matrix);
  g_test_add_func ("/roles/objects-of-others", test_objects_of_others);
  g_test_add_func ("/roles/disabled-staff", test_disabled_staff);
  g_test_add_func ("/roles/disabled-attendee", test_disabled_attendee);
  g_test_add_func ("/roles/public-routes-ignore-bad-tokens", test_public_routes_ignore_bad_tokens);
  g_test_add_func ("/roles/organizers-share-events", test_organizers_share_events);

  ret = g_test_run ();
  for (int w = 0; w < N_WHO; w++)
    {
      g_free (who[w].token);
      g_clear_pointer (&who[w].buyer, buyer_free);
    }
  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
