/* test-tickets.c: tickets issued exactly once on every way to confirm,
 * revoked when their booking ends, and codes an independent verifier
 * (tests/tickets/verify-code.py: PyNaCl, written from docs/ticket-codes.md)
 * accepts against GET /api/v1/public/ticket-keys — and rejects when altered
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "eva-test-stripe.h"

#define SECRET_KEY "sk_test_everato_tickets"
#define WHSEC      "whsec_tickets_3c9d"

static EvaTestStripe *stripe;


static char *
keys_json (void)
{
  g_autoptr(EvaTestResponse) r = eva_test_call (server, "GET", "/api/v1/public/ticket-keys", NULL, NULL);

  eva_test_assert_status (r, 200);
  return g_strdup (r->body);
}

/* Runs the independent verifier on @codes; returns its exit status and
 * its lines in *@lines. */
static int
verify_codes (const char * const *codes,
              char             ***lines)
{
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "tests", "tickets",
                                              "verify-code.py", NULL);
  g_autofree char *keys = keys_json ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) eva_test_python ());
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, keys);
  for (guint i = 0; codes[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) codes[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, &status, &error))
    g_error ("verify-code.py: %s", error->message);
  if (err != NULL && *err != '\0')
    g_test_message ("verify-code.py: %s", err);
  g_strchomp (out);
  *lines = g_strsplit (out, "\n", -1);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static char *
paid_event (const char *methods,
            int         price,
            char      **type_out)
{
  g_autofree char *extra = g_strdup_printf ("\"payment_methods\":%s", methods);
  g_autofree char *type_json = g_strdup_printf ("{\"name\":\"Seat\",\"price\":%d,\"capacity\":50}", price);
  char *event = make_event (extra);

  *type_out = make_type (event, type_json);
  publish (event);
  return event;
}

static EvaTestResponse *
my_tickets (Buyer      *b,
            const char *booking)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/tickets", booking);

  return http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
}

static gint64
count_tickets (const char *booking,
               const char *status)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM tickets WHERE booking_id = $1::uuid"
                                          " AND status = '%s'", status);

  return sql_int (server->pg, sql, booking);
}

static char *
checkout (Buyer      *b,
          const char *booking,
          const char *method)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);
  g_autofree char *body = g_strdup_printf ("{\"method\":\"%s\"}", method);
  g_autoptr(EvaTestResponse) r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, body);
  const char *url;

  eva_test_assert_status (r, 200);
  url = eva_test_json_string (r->json, "checkout_url");
  return url != NULL ? g_strdup (strrchr (url, '/') + 1) : NULL;
}

/* ------------------------------------------------------------------ */

/* A free booking: confirmed at once, one ticket per seat, each code
 * accepted by the independent verifier with the right fields. */
static void
test_free_codes_verify (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 0, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "free", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "other", TRUE);
  g_autofree char *booking = hold_id (b, event, type, 3);
  g_autoptr(EvaTestResponse) list = my_tickets (b, booking);
  g_autoptr(EvaTestResponse) theirs = my_tickets (other, booking);
  g_autoptr(EvaTestResponse) keys = eva_test_call (server, "GET", "/api/v1/public/ticket-keys", NULL, NULL);
  g_autofree char *admin_path = g_strdup_printf ("/api/v1/admin/bookings/%s/tickets", booking);
  g_autoptr(EvaTestResponse) admin_list = admin ("GET", admin_path, NULL);
  g_auto(GStrv) lines = NULL;
  const char *codes[4] = { NULL };
  JsonArray *items;

  eva_test_assert_status (list, 200);
  items = json_node_get_array (eva_test_json_get (list->json, "items"));
  g_assert_cmpuint (json_array_get_length (items), ==, 3);
  eva_test_assert_status (admin_list, 200);
  g_assert_cmpstr (admin_list->body, ==, list->body);
  eva_test_assert_error (theirs, 404, "not_found");

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("items.%u", i);
      JsonNode *t = eva_test_json_get (list->json, path);

      g_assert_cmpstr (eva_test_json_string (t, "status"), ==, "valid");
      g_assert_cmpint (eva_test_json_int (t, "seq"), ==, i + 1);
      g_assert_cmpstr (eva_test_json_string (t, "event_id"), ==, event);
      g_assert_cmpstr (eva_test_json_string (t, "ticket_type"), ==, "Seat");
      g_assert_cmpint (strlen (eva_test_json_string (t, "code")), ==, 211);
      codes[i] = eva_test_json_string (t, "code");
    }

  /* The keys: public only. */
  eva_test_assert_status (keys, 200);
  g_assert_cmpstr (eva_test_json_string (keys->json, "keys.0.algorithm"), ==, "Ed25519");
  g_assert_null (eva_test_json_get (keys->json, "keys.0.retired_at") != NULL
                 && !JSON_NODE_HOLDS_NULL (eva_test_json_get (keys->json, "keys.0.retired_at"))
                 ? "retired" : NULL);
  g_assert_null (strstr (keys->body, "secret"));

  g_assert_cmpint (verify_codes (codes, &lines), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("items.%u", i);
      JsonNode *t = eva_test_json_get (list->json, path);
      g_autofree char *expected = g_strdup_printf ("valid %s %s %s %s ",
                                                   eva_test_json_string (t, "key_id"),
                                                   eva_test_json_string (t, "id"), event, type);

      g_assert_true (g_str_has_prefix (lines[i], expected));
    }
  assert_invariant (server->pg);
}

/* Altered, truncated, or signed by a key the server never published. */
static void
test_codes_rejected (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 0, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "tamper", TRUE);
  g_autofree char *booking = hold_id (b, event, type, 1);
  g_autofree char *code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE booking_id = $1::uuid",
                                        booking, NULL);
  g_autofree char *changed = g_strdup (code);
  g_autofree char *truncated = g_strndup (code, 200);
  g_autofree char *foreign = NULL;
  g_auto(GStrv) lines = NULL;
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  guint8 sk[crypto_sign_SECRETKEYBYTES];
  EvaTicketCode fields = { .version = EVA_TICKET_CODE_VERSION };
  const char *codes[5];

  /* One character of the signature, one of the ticket id. */
  changed[150] = changed[150] == 'A' ? 'B' : 'A';
  crypto_sign_keypair (pk, sk);
  eva_ticket_key_id_from_public_key (pk, fields.key_id);
  g_assert_true (eva_uuid_parse (booking, fields.ticket_id));
  g_assert_true (eva_uuid_parse (event, fields.event_id));
  g_assert_true (eva_uuid_parse (type, fields.ticket_type_id));
  fields.issued_at = g_get_real_time () / G_USEC_PER_SEC;
  foreign = eva_ticket_code_sign (&fields, sk);

  codes[0] = changed;
  codes[1] = truncated;
  codes[2] = foreign;
  codes[3] = code;
  codes[4] = NULL;
  g_assert_cmpint (verify_codes (codes, &lines), ==, 1);
  g_assert_true (g_str_has_prefix (lines[0], "invalid "));
  g_assert_true (g_str_has_prefix (lines[1], "invalid "));
  g_assert_true (g_str_has_prefix (lines[2], "invalid unknown key"));
  g_assert_true (g_str_has_prefix (lines[3], "valid "));
}

/* Card: the webhook three times, concurrently with the return page: one set. */
typedef struct
{
  Buyer      *buyer;
  const char *booking;
  const char *event_id;
} Racer;

static gpointer
deliver_thread (gpointer data)
{
  Racer *r = data;
  g_autofree char *body = g_strdup_printf ("{\"event_id\":\"%s\",\"times\":1}", r->event_id);
  JsonNode *out = eva_test_stripe_control (stripe, "POST", "/_standin/deliver", body, NULL);

  if (out != NULL)
    json_node_unref (out);
  return NULL;
}

static gpointer
refresh_thread (gpointer data)
{
  Racer *r = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/payment/refresh", r->booking);
  EvaTestResponse *resp = http_full (server, NULL, "POST", path, r->buyer, NULL, NULL, NULL, NULL);

  eva_test_response_free (resp);
  return NULL;
}

static void
test_card_once (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 1500, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "card", TRUE);
  g_autofree char *booking = hold_id (b, event, type, 2);
  g_autofree char *session = checkout (b, booking, "card");
  g_autofree char *pay_path = g_strdup_printf ("/_standin/sessions/%s/pay", session);
  g_autoptr(JsonNode) paid = eva_test_stripe_control (stripe, "POST", pay_path, "{\"deliver\":false}", NULL);
  Racer racer = { b, booking, eva_test_json_string (paid, "events.0.id") };
  GThread *threads[5];

  g_assert_nonnull (racer.event_id);
  g_assert_cmpint (count_tickets (booking, "valid"), ==, 0);
  for (int i = 0; i < 5; i++)
    threads[i] = g_thread_new ("race", i % 2 == 0 ? deliver_thread : refresh_thread, &racer);
  for (int i = 0; i < 5; i++)
    g_thread_join (threads[i]);
  assert_sql (server->pg, "SELECT status FROM bookings WHERE id = $1::uuid", booking, "confirmed");
  g_assert_cmpint (count_tickets (booking, "valid"), ==, 2);
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM tickets WHERE booking_id = $1::uuid",
                            booking), ==, 2);

  /* Refunded in full: the tickets are revoked. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", booking);
    g_autoptr(EvaTestResponse) r = admin ("POST", path, "{}");
    g_autoptr(EvaTestResponse) list = NULL;

    eva_test_assert_status (r, 200);
    g_assert_cmpint (count_tickets (booking, "valid"), ==, 0);
    g_assert_cmpint (count_tickets (booking, "cancelled"), ==, 2);
    list = my_tickets (b, booking);
    g_assert_cmpstr (eva_test_json_string (list->json, "items.0.status"), ==, "cancelled");
    g_assert_nonnull (eva_test_json_string (list->json, "items.0.revoked_at"));
  }
  assert_invariant (server->pg);
}

/* At the door: tickets at confirmation; paying later issues no more. Then
 * the organizer cancels the booking: revoked. */
static void
test_at_door_and_cancel (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"at_door\",\"bank_transfer\"]", 1000, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "door", TRUE);
  g_autoptr(Buyer) t = make_buyer_on (server, "transfer", TRUE);
  g_autofree char *booking = hold_id (b, event, type, 2);
  g_autofree char *transfer = hold_id (t, event, type, 1);
  g_autofree char *mark = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", booking);
  g_autofree char *mark2 = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", transfer);
  g_autofree char *cancel = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", booking);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autoptr(EvaTestResponse) r2 = NULL;
  g_autoptr(EvaTestResponse) c = NULL;

  g_free (checkout (b, booking, "at_door"));
  g_assert_cmpint (count_tickets (booking, "valid"), ==, 2);
  r = admin ("POST", mark, "{\"amount\":2000,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_status (r, 200);
  g_assert_cmpint (count_tickets (booking, "valid"), ==, 2);

  /* Bank transfer: none until the money is there. */
  g_free (checkout (t, transfer, "bank_transfer"));
  g_assert_cmpint (count_tickets (transfer, "valid"), ==, 0);
  r2 = admin ("POST", mark2, "{\"amount\":1000,\"paid_on\":\"2026-11-30\"}");
  eva_test_assert_status (r2, 200);
  g_assert_cmpint (count_tickets (transfer, "valid"), ==, 1);

  c = admin ("POST", cancel, NULL);
  eva_test_assert_status (c, 200);
  g_assert_cmpint (count_tickets (booking, "valid"), ==, 0);
  g_assert_cmpint (count_tickets (booking, "cancelled"), ==, 2);
  g_assert_cmpint (count_tickets (transfer, "valid"), ==, 1);
  assert_invariant (server->pg);
}

/* rotate-ticket-key: new codes from the new key, old codes still verify. */
static void
test_rotation (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"card\"]", 0, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "rotate", TRUE);
  g_autofree char *before = hold_id (b, event, type, 1);
  g_autofree char *old_code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE booking_id = $1::uuid",
                                            before, NULL);
  g_autofree char *old_key = eva_test_sql (server->pg, "SELECT key_id FROM tickets WHERE booking_id = $1::uuid",
                                           before, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *after = NULL;
  g_autofree char *new_code = NULL;
  g_autofree char *new_key = NULL;
  g_auto(GStrv) lines = NULL;
  const char *codes[3];
  int status;

  status = eva_test_run_cli (server->conninfo, NULL, &out, &err, "rotate-ticket-key", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "new tickets are signed with key"));
  g_assert_null (strstr (out, "secret"));
  /* Past the one-second cache of the key list. */
  g_usleep (1100 * 1000);
  after = hold_id (b, event, type, 1);
  new_code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE booking_id = $1::uuid", after, NULL);
  new_key = eva_test_sql (server->pg, "SELECT key_id FROM tickets WHERE booking_id = $1::uuid", after, NULL);
  g_assert_cmpstr (new_key, !=, old_key);
  g_assert_nonnull (strstr (out, new_key));
  {
    g_autoptr(EvaTestResponse) keys = eva_test_call (server, "GET", "/api/v1/public/ticket-keys", NULL, NULL);

    g_assert_cmpstr (eva_test_json_string (keys->json, "keys.0.id"), ==, new_key);
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (keys->json, "keys.0.retired_at")));
    g_assert_nonnull (eva_test_json_string (keys->json, "keys.1.retired_at"));
  }
  codes[0] = old_code;
  codes[1] = new_code;
  codes[2] = NULL;
  g_assert_cmpint (verify_codes (codes, &lines), ==, 0);
}


/* Runs a command line; returns its standard output. */
static char *
run (const char * const *argv,
     int                *status)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, &wait_status, &error))
    g_error ("%s: %s", argv[0], error->message);
  *status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return g_strdup (g_strstrip (out));
}

/* What zbarimg (zbar, not our code) reads in the image file @path. */
static char *
zbar_decode (const char *path)
{
  const char *argv[] = { "zbarimg", "--raw", "-q", path, NULL };
  int status;
  char *text = run (argv, &status);

  g_assert_cmpint (status, ==, 0);
  return text;
}

/* The QR as PNG and as SVG (rendered by rsvg-convert) both scan to the
 * ticket's code; others' tickets and revoked ones are not drawn. */
static void
test_qr (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"at_door\"]", 1200, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "qr", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "qrother", TRUE);
  g_autofree char *booking = hold_id (b, event, type, 1);
  g_autofree char *ticket = NULL;
  g_autofree char *code = NULL;
  g_autofree char *png_path = NULL;
  g_autofree char *svg_path = NULL;
  g_autofree char *svg_png = NULL;
  g_autofree char *dir = g_dir_make_tmp ("everato-qr-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autofree char *from_png = NULL;
  g_autofree char *from_svg = NULL;
  g_autoptr(EvaTestResponse) png = NULL;
  g_autoptr(EvaTestResponse) svg = NULL;
  g_autoptr(EvaTestResponse) theirs = NULL;
  g_autoptr(EvaTestResponse) staff = NULL;
  g_autoptr(EvaTestResponse) gone = NULL;
  g_autoptr(EvaTestResponse) bad = NULL;
  int status;

  g_free (checkout (b, booking, "at_door"));
  ticket = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE booking_id = $1::uuid", booking, NULL);
  code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE booking_id = $1::uuid", booking, NULL);

  path = g_strdup_printf ("/api/v1/me/tickets/%s/qr.png", ticket);
  png = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (png, 200);
  g_assert_cmpstr (eva_test_header (png, "Content-Type"), ==, "image/png");
  g_assert_nonnull (strstr (eva_test_header (png, "Cache-Control"), "no-store"));
  png_path = g_build_filename (dir, "qr.png", NULL);
  g_assert_true (g_file_set_contents (png_path, png->body, png->length, NULL));
  from_png = zbar_decode (png_path);
  g_assert_cmpstr (from_png, ==, code);

  g_free (path);
  path = g_strdup_printf ("/api/v1/me/tickets/%s/qr.svg", ticket);
  svg = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (svg, 200);
  g_assert_true (g_str_has_prefix (eva_test_header (svg, "Content-Type"), "image/svg+xml"));
  svg_path = g_build_filename (dir, "qr.svg", NULL);
  svg_png = g_build_filename (dir, "qr-svg.png", NULL);
  g_assert_true (g_file_set_contents (svg_path, svg->body, svg->length, NULL));
  {
    const char *argv[] = { "rsvg-convert", "-o", svg_png, svg_path, NULL };
    g_autofree char *out = run (argv, &status);

    g_assert_cmpint (status, ==, 0);
  }
  from_svg = zbar_decode (svg_png);
  g_assert_cmpstr (from_svg, ==, code);

  /* Not theirs: 404; the organizer: yes; not a UUID: 404. */
  theirs = http_full (server, NULL, "GET", path, other, NULL, NULL, NULL, NULL);
  eva_test_assert_error (theirs, 404, "not_found");
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/tickets/%s/qr.png", ticket);
  staff = admin ("GET", path, NULL);
  eva_test_assert_status (staff, 200);
  bad = http_full (server, NULL, "GET", "/api/v1/me/tickets/nope/qr.png", b, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (bad->status, ==, 404);

  /* Cancelled: the ticket is revoked and no longer drawn. */
  {
    g_autofree char *cancel = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", booking);
    g_autoptr(EvaTestResponse) c = admin ("POST", cancel, NULL);

    eva_test_assert_status (c, 200);
  }
  g_free (path);
  path = g_strdup_printf ("/api/v1/me/tickets/%s/qr.png", ticket);
  gone = http_full (server, NULL, "GET", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (gone, 410, "ticket_revoked");

  g_unlink (png_path);
  g_unlink (svg_path);
  g_unlink (svg_png);
  g_rmdir (dir);
}


/* Holder names until the event starts (the organizer any time); reissue
 * gives a new code and revokes the old. */
static void
test_holder_and_reissue (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = paid_event ("[\"at_door\"]", 900, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "holder", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "notholder", TRUE);
  g_autofree char *booking = hold_id (b, event, type, 2);
  g_autofree char *ticket = NULL;
  g_autofree char *old_code = NULL;
  g_autofree char *path = NULL;
  g_autofree char *reissue = NULL;
  g_autofree char *admin_path = NULL;
  g_autofree char *long_name = g_strnfill (101, 'n');
  g_autofree char *long_body = g_strdup_printf ("{\"holder_name\":\"%s\"}", long_name);
  const char *bad[] = { "{}", "{\"holder_name\":7}", "{\"holder_name\":[]}", "not json",
                        "{\"holder_name\":\"a\\nb\"}", "{\"holder_name\":\"x\",\"extra\":1}", long_body };
  g_auto(GStrv) lines = NULL;
  const char *codes[2] = { NULL, NULL };
  EvaTestResponse *r;

  g_free (checkout (b, booking, "at_door"));
  ticket = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE booking_id = $1::uuid AND seq = 1",
                         booking, NULL);
  old_code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE id = $1::uuid", ticket, NULL);
  path = g_strdup_printf ("/api/v1/me/tickets/%s", ticket);
  admin_path = g_strdup_printf ("/api/v1/admin/tickets/%s", ticket);
  reissue = g_strdup_printf ("/api/v1/me/tickets/%s/reissue", ticket);

  r = http_full (server, NULL, "PATCH", path, b, NULL, NULL, NULL, "{\"holder_name\":\"  Ada Lovelace \"}");
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "holder_name"), ==, "Ada Lovelace");
  g_clear_pointer (&r, eva_test_response_free);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      r = http_full (server, NULL, "PATCH", path, b, NULL, NULL, NULL, bad[i]);
      if (r->status != 400)
        g_error ("PATCH %s: %u %s", bad[i], r->status, r->body);
      g_clear_pointer (&r, eva_test_response_free);
    }
  assert_sql (server->pg, "SELECT holder_name FROM tickets WHERE id = $1::uuid", ticket, "Ada Lovelace");
  r = http_full (server, NULL, "PATCH", path, other, NULL, NULL, NULL, "{\"holder_name\":\"Mallory\"}");
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);

  /* Reissue: a new ticket in the same place, the holder kept. */
  r = http_full (server, NULL, "POST", reissue, other, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);
  r = http_full (server, NULL, "POST", reissue, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpstr (eva_test_json_string (r->json, "id"), !=, ticket);
  g_assert_cmpstr (eva_test_json_string (r->json, "code"), !=, old_code);
  g_assert_cmpint (eva_test_json_int (r->json, "seq"), ==, 1);
  g_assert_cmpstr (eva_test_json_string (r->json, "holder_name"), ==, "Ada Lovelace");
  g_assert_cmpstr (eva_test_json_string (r->json, "status"), ==, "valid");
  codes[0] = eva_test_json_string (r->json, "code");
  g_assert_cmpint (verify_codes (codes, &lines), ==, 0);
  g_clear_pointer (&r, eva_test_response_free);
  assert_sql (server->pg, "SELECT status || ' ' || (revoked_at IS NOT NULL) FROM tickets WHERE id = $1::uuid",
              ticket, "reissued true");
  g_assert_cmpint (count_tickets (booking, "valid"), ==, 2);
  /* The old one cannot be reissued again, nor drawn. */
  r = http_full (server, NULL, "POST", reissue, b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 409, "invalid_transition");
  g_clear_pointer (&r, eva_test_response_free);
  {
    g_autofree char *qr_path = g_strdup_printf ("/api/v1/me/tickets/%s/qr.png", ticket);

    r = http_full (server, NULL, "GET", qr_path, b, NULL, NULL, NULL, NULL);
    eva_test_assert_error (r, 410, "ticket_revoked");
    g_clear_pointer (&r, eva_test_response_free);
  }

  /* Once the event has started only the organizer renames. */
  {
    g_autofree char *fresh = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE booking_id = $1::uuid"
                                                       " AND seq = 2", booking, NULL);
    g_autofree char *fresh_path = g_strdup_printf ("/api/v1/me/tickets/%s", fresh);
    g_autofree char *fresh_admin = g_strdup_printf ("/api/v1/admin/tickets/%s", fresh);

    g_free (eva_test_sql (server->pg, "UPDATE events SET starts_at = now() - interval '1 hour',"
                                      " ends_at = now() + interval '3 hours' WHERE id = $1::uuid RETURNING id",
                          event, NULL));
    r = http_full (server, NULL, "PATCH", fresh_path, b, NULL, NULL, NULL, "{\"holder_name\":\"Late\"}");
    eva_test_assert_error (r, 409, "too_late");
    g_clear_pointer (&r, eva_test_response_free);
    r = admin ("PATCH", fresh_admin, "{\"holder_name\":\"Grace Hopper\"}");
    eva_test_assert_status (r, 200);
    g_assert_cmpstr (eva_test_json_string (r->json, "holder_name"), ==, "Grace Hopper");
    g_clear_pointer (&r, eva_test_response_free);
    /* null and "" (after trimming) both clear the name. */
    r = admin ("PATCH", fresh_admin, "{\"holder_name\":null}");
    eva_test_assert_status (r, 200);
    g_assert_cmpstr (eva_test_json_string (r->json, "holder_name"), ==, "");
    g_clear_pointer (&r, eva_test_response_free);
    r = admin ("PATCH", fresh_admin, "{\"holder_name\":\"Grace Hopper\"}");
    g_clear_pointer (&r, eva_test_response_free);
    r = admin ("PATCH", fresh_admin, "{\"holder_name\":\"   \"}");
    eva_test_assert_status (r, 200);
    g_assert_cmpstr (eva_test_json_string (r->json, "holder_name"), ==, "");
    g_clear_pointer (&r, eva_test_response_free);
    assert_sql (server->pg, "SELECT '[' || holder_name || ']' FROM tickets WHERE id = $1::uuid",
                fresh, "[]");
  }
  r = admin ("PATCH", admin_path, "{\"holder_name\":\"x\"}");
  eva_test_assert_error (r, 409, "invalid_transition");
  g_clear_pointer (&r, eva_test_response_free);
  assert_invariant (server->pg);
}

int
main (int    argc,
      char **argv)
{
  const char *secrets[] = { WHSEC, NULL };
  g_autofree char *base = NULL;
  g_autofree char *hook = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  stripe = eva_test_stripe_start (SECRET_KEY, secrets);
  base = g_strdup_printf ("EVERATO_STRIPE_API_BASE=%s", eva_test_stripe_base_url (stripe));
  {
    const char *env[] = {
      "EVERATO_STRIPE_SECRET_KEY=" SECRET_KEY, base, "EVERATO_STRIPE_WEBHOOK_SECRET=" WHSEC,
      "EVERATO_TRANSFER_DETAILS=Everato Test\nIBAN DE00", NULL,
    };

    server = eva_test_server_start (env);
  }
  organizer = eva_test_token_for_role (server, "organizer");
  hook = g_strdup_printf ("{\"webhook_url\":\"%s/api/v1/payments/stripe/webhook\"}", server->base_url);
  json_node_unref (eva_test_stripe_control (stripe, "POST", "/_standin/config", hook, NULL));

  g_test_add_func ("/tickets/free/codes-verify", test_free_codes_verify);
  g_test_add_func ("/tickets/codes/rejected", test_codes_rejected);
  g_test_add_func ("/tickets/card/once", test_card_once);
  g_test_add_func ("/tickets/at-door/cancel", test_at_door_and_cancel);
  g_test_add_func ("/tickets/rotation", test_rotation);
  g_test_add_func ("/tickets/qr", test_qr);
  g_test_add_func ("/tickets/holder-and-reissue", test_holder_and_reissue);

  ret = g_test_run ();
  g_free (organizer);
  eva_test_server_free (server);
  eva_test_stripe_stop (stripe);
  return ret;
}
