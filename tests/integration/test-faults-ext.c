/* test-faults-ext.c: the outside world failing — the mail server down
 * while tickets are mailed, the payment gateway slow and erroring during
 * a checkout burst — with a server process SIGKILLed in the middle of
 * each.
 *
 * Everything is real: the server binary, PostgreSQL, an SMTP server
 * (tests/smtp-receiver.py) whose mails are read back with Python's email
 * module, and the Stripe stand-in (tests/stripe/stripe-standin.py), which
 * also says what it charged. The invariants, checked on both sides: no
 * booking with two paid charges, one Checkout session per booking however
 * often the server asked, every paid session's booking confirmed once
 * with one set of tickets and one ticket mail, and that mail delivered
 * exactly once.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "eva-test-stripe.h"

#define SECRET_KEY   "sk_test_everato_faults_ext"
#define WHSEC        "whsec_faults_ext_3c9a"
#define FROM         "tickets@everato.test"
#define CHECKOUT     "/v1/checkout/sessions"
#define WAIT_S       30
/* The outbox's lease (server/mail/eva-outbox.c, LEASE_MS). */
#define LEASE        "5 minutes"

static EvaTestStripe *stripe;

/* ------------------------------------------------------------------ */
/* Servers and the stand-in                                           */
/* ------------------------------------------------------------------ */

/* A server on @dbname (NULL: a new database) with card payments through
 * the stand-in; mail through SMTP on @smtp_port (0: to files). Mail
 * retries are quick, yet the eight attempts a mail gets span at least
 * 13 s, longer than the outages here. */
static EvaTestServer *
start_server (const char *dbname,
              guint16     smtp_port,
              const char *extra)
{
  g_autofree char *base = g_strdup_printf ("EVERATO_STRIPE_API_BASE=%s",
                                           eva_test_stripe_base_url (stripe));
  g_autofree char *smtp = smtp_port != 0
    ? g_strdup_printf ("EVERATO_SMTP_URL=smtp://127.0.0.1:%u", smtp_port)
    : g_strdup ("EVERATO_SMTP_URL=");
  const char *env[] = {
    "EVERATO_STRIPE_SECRET_KEY=" SECRET_KEY, base,
    "EVERATO_STRIPE_WEBHOOK_SECRET=" WHSEC,
    smtp,
    "EVERATO_MAIL_FROM=" FROM,
    "EVERATO_MAIL_POLL_MS=50",
    "EVERATO_MAIL_RETRY_BASE_MS=500",
    "EVERATO_MAIL_RETRY_MAX_MS=6000",
    extra, NULL
  };

  return dbname != NULL ? eva_test_server_start_on (dbname, env) : eva_test_server_start (env);
}

static JsonNode *
ctl (const char *method,
     const char *path,
     const char *body)
{
  guint status = 0;
  JsonNode *node = eva_test_stripe_control (stripe, method, path, body, &status);

  if (status != 200)
    g_error ("stand-in %s %s: %u", method, path, status);
  return node;
}

static void
ctl_free (const char *method,
          const char *path,
          const char *body)
{
  JsonNode *node = ctl (method, path, body);

  if (node != NULL)
    json_node_unref (node);
}

static void
point_webhooks_at (EvaTestServer *srv)
{
  g_autofree char *body =
    g_strdup_printf ("{\"webhook_url\":\"%s/api/v1/payments/stripe/webhook\","
                     "\"webhook_secrets\":[\"" WHSEC "\"],\"auto_deliver\":true}", srv->base_url);

  ctl_free ("POST", "/_standin/config", body);
}

/* Makes @srv the one the shared helpers (admin(), make_event()…) use. */
static void
use_server (EvaTestServer *srv)
{
  server = srv;
  if (organizer == NULL)
    organizer = eva_test_token_for_role (srv, "organizer");
}

static char *
card_event (int    capacity,
            char **type_out)
{
  g_autofree char *type_json = g_strdup_printf ("{\"name\":\"Standing\",\"price\":2500,\"capacity\":%d}",
                                                capacity);
  char *event = make_event ("\"payment_methods\":[\"card\"]");

  *type_out = make_type (event, type_json);
  publish (event);
  return event;
}

/* The Checkout sessions the stand-in holds for @booking. */
static GPtrArray *
sessions_of (const char *booking)
{
  g_autoptr(JsonNode) all = ctl ("GET", "/_standin/sessions", NULL);
  JsonArray *a = json_node_get_array (all);
  GPtrArray *mine = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (o, "client_reference_id", ""),
                     booking) == 0)
        g_ptr_array_add (mine, json_object_ref (o));
    }
  return mine;
}

/* The one session of @booking at the stand-in (asserts there is one). */
static JsonObject *
only_session (const char *booking)
{
  g_autoptr(GPtrArray) mine = sessions_of (booking);

  g_assert_cmpuint (mine->len, ==, 1);
  return json_object_ref (g_ptr_array_index (mine, 0));
}

/* Requests to POST /v1/checkout/sessions for @booking: how many, how
 * many the stand-in carried out afresh (not replays of an earlier answer),
 * and how many it carried out but did not answer (a failure "after"). */
static guint
session_requests (const char *booking,
                  guint      *executed_out,
                  guint      *lost_out,
                  char      **key_out)
{
  g_autoptr(JsonNode) all = ctl ("GET", "/_standin/requests", NULL);
  JsonArray *a = json_node_get_array (all);
  guint n = 0, executed = 0, lost = 0;

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *node = json_array_get_element (a, i);
      JsonObject *o = json_node_get_object (node);

      if (!g_str_equal (json_object_get_string_member (o, "method"), "POST")
          || !g_str_equal (json_object_get_string_member (o, "path"), CHECKOUT)
          || g_strcmp0 (eva_test_json_string (node, "params.client_reference_id"), booking) != 0)
        continue;
      n++;
      lost += json_object_has_member (o, "answered");
      if (!json_object_get_boolean_member_with_default (o, "replayed", FALSE)
          && (json_object_has_member (o, "answered")
              || (JSON_NODE_HOLDS_VALUE (json_object_get_member (o, "status"))
                  && json_node_get_value_type (json_object_get_member (o, "status")) == G_TYPE_INT64
                  && json_object_get_int_member (o, "status") == 200)))
        executed++;
      if (key_out != NULL)
        {
          const char *key = json_object_get_string_member_with_default (o, "idempotency_key", NULL);

          /* Every try for one booking carries the same key. */
          if (*key_out == NULL)
            *key_out = g_strdup (key);
          else
            g_assert_cmpstr (*key_out, ==, key);
        }
    }
  if (executed_out != NULL)
    *executed_out = executed;
  if (lost_out != NULL)
    *lost_out = lost;
  return n;
}

/* Pays @session_id at the stand-in; returns the completed event's id. */
static char *
pay (const char *session_id,
     gboolean    deliver)
{
  g_autofree char *path = g_strdup_printf ("/_standin/sessions/%s/pay", session_id);
  g_autoptr(JsonNode) out = ctl ("POST", path, deliver ? "{\"deliver\":true}" : "{\"deliver\":false}");

  g_assert_cmpstr (eva_test_json_string (out, "events.0.type"), ==, "checkout.session.completed");
  if (deliver)
    g_assert_cmpint (eva_test_json_int (out, "deliveries.0.status"), ==, 200);
  return g_strdup (eva_test_json_string (out, "events.0.id"));
}

/* Sends event @id to the webhook once more; returns the server's status. */
static gint64
redeliver (const char *event_id)
{
  g_autofree char *body = g_strdup_printf ("{\"event_id\":\"%s\",\"signature\":\"good\"}", event_id);
  g_autoptr(JsonNode) out = ctl ("POST", "/_standin/deliver", body);

  return eva_test_json_int (out, "results.0.status");
}

/* ------------------------------------------------------------------ */
/* HTTP from threads, and through a server that dies                  */
/* ------------------------------------------------------------------ */

static char *
checkout_path (const char *booking)
{
  return g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);
}

/* A card checkout on its own HTTP session (so threads can run it). */
static EvaTestResponse *
checkout (EvaTestServer *srv,
          Buyer         *b,
          const char    *booking)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 120, NULL);
  g_autofree char *path = checkout_path (booking);

  return http_full (srv, session, "POST", path, b, NULL, NULL, NULL, "{\"method\":\"card\"}");
}

/* The same, for a server about to be killed: 0 when no answer came. */
static guint
checkout_or_nothing (EvaTestServer *srv,
                     Buyer         *b,
                     const char    *booking)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 120, NULL);
  g_autofree char *path = checkout_path (booking);
  g_autofree char *url = g_strconcat (srv->base_url, path, NULL);
  g_autofree char *cookie = g_strconcat ("everato_session=", b->cookie, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"method\":\"card\"}", 17);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", cookie);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-CSRF-Token", b->csrf);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  return error != NULL ? 0 : soup_message_get_status (msg);
}

typedef struct
{
  EvaTestServer   *srv;
  Buyer           *buyer;
  const char      *booking;
  gboolean         may_die;
  EvaTestResponse *resp;
  guint            status;
  gint64           took_ms;
  gboolean         refresh;
} Call;

static gpointer
call_thread (gpointer data)
{
  Call *c = data;
  gint64 start = g_get_monotonic_time ();

  if (c->refresh)
    {
      /* Back from the gateway's page: the booking page asks for news. */
      g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 120, NULL);
      g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/payment/refresh", c->booking);

      c->resp = http_full (c->srv, session, "POST", path, c->buyer, NULL, NULL, NULL, NULL);
      c->status = c->resp->status;
    }
  else if (c->may_die)
    c->status = checkout_or_nothing (c->srv, c->buyer, c->booking);
  else
    {
      c->resp = checkout (c->srv, c->buyer, c->booking);
      c->status = c->resp->status;
    }
  c->took_ms = (g_get_monotonic_time () - start) / 1000;
  return NULL;
}

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static void
wait_sql (PGconn     *pg,
          const char *sql,
          const char *param,
          const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *got = eva_test_sql (pg, sql, param, NULL);

      if (g_strcmp0 (got, expected) == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("waited in vain for %s (%s) to be %s: it is %s", sql,
                 param != NULL ? param : "-", expected, got != NULL ? got : "NULL");
      g_usleep (50 * 1000);
    }
}

static gint64
count_sql (PGconn     *pg,
           const char *sql,
           const char *param)
{
  return sql_int (pg, sql, param);
}

/* Exactly once, on both sides, for every booking of @bookings that the
 * stand-in says was paid; and no paid order lost. */
static void
assert_paid_once (PGconn    *pg,
                  GPtrArray *bookings)
{
  /* The database as a whole. */
  assert_sql (pg, "SELECT count(*) FROM (SELECT booking_id FROM payments WHERE status = 'paid'"
                  " GROUP BY booking_id HAVING count(*) > 1) x", NULL, "0");
  assert_sql (pg, "SELECT count(*) FROM payments p JOIN bookings b ON b.id = p.booking_id"
                  " WHERE p.status = 'paid' AND (b.status <> 'confirmed'"
                  "   OR (SELECT count(*) FROM tickets t WHERE t.booking_id = b.id)"
                  "      <> (SELECT sum(quantity) FROM booking_items i WHERE i.booking_id = b.id)"
                  "   OR (SELECT count(*) FROM audit_log l WHERE l.action = 'booking.confirmed'"
                  "        AND l.target_id = b.id::text) <> 1"
                  "   OR (SELECT count(*) FROM email_outbox o JOIN attendees a ON a.id = b.attendee_id"
                  "        WHERE o.template = 'booking_confirmed' AND o.to_address = a.email) <> 1)",
              NULL, "0");
  assert_invariant (pg);

  /* Each booking against the stand-in. */
  for (guint i = 0; i < bookings->len; i++)
    {
      const char *booking = g_ptr_array_index (bookings, i);
      g_autoptr(GPtrArray) mine = sessions_of (booking);
      guint paid = 0;

      g_assert_cmpuint (mine->len, ==, 1);
      for (guint j = 0; j < mine->len; j++)
        {
          JsonObject *s = g_ptr_array_index (mine, j);

          if (g_strcmp0 (json_object_get_string_member (s, "payment_status"), "paid") != 0)
            continue;
          paid++;
          /* Charged at the gateway: confirmed here, on that session. */
          assert_sql (pg, "SELECT status FROM bookings WHERE id = $1::uuid", booking, "confirmed");
          {
            g_autofree char *ref = eva_test_sql (pg, "SELECT provider_ref FROM payments"
                                                     " WHERE booking_id = $1::uuid AND status = 'paid'",
                                                 booking, NULL);

            g_assert_cmpstr (ref, ==, json_object_get_string_member (s, "id"));
          }
        }
      g_assert_cmpuint (paid, <=, 1);
    }
}

/* ------------------------------------------------------------------ */
/* The SMTP receiver                                                  */
/* ------------------------------------------------------------------ */

typedef struct
{
  GSubprocess *proc;
  guint16      port;
} Receiver;

static Receiver *
receiver_start (const char *dir,
                guint16     port)
{
  Receiver *r = g_new0 (Receiver, 1);
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "tests",
                                              "smtp-receiver.py", NULL);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  guint64 value = 0;

  /* Its stdin is a pipe from us: it exits when we do, even on a crash. */
  r->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE,
                              &error, eva_test_python (), script,
                              "--dir", dir, "--port", port_text, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (r->proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || !g_ascii_string_to_unsigned (line, 10, 1, 65535, &value, NULL))
    g_error ("the SMTP receiver did not start (is python3-aiosmtpd installed?)");
  r->port = (guint16) value;
  return r;
}

static void
receiver_stop (Receiver *r)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (r->proc, SIGTERM);
  g_subprocess_wait (r->proc, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (r->proc);
  g_free (r);
}

/* Every message the receiver stored, parsed as MIME by Python's email
 * module: [{file, message_id, rcpt, subject, pdfs, pdf_ok, text}]. */
static const char parse_script[] =
  "import email, email.policy, json, os, sys\n"
  "d = sys.argv[1]\n"
  "out = []\n"
  "for name in sorted(os.listdir(d)):\n"
  "    if not name.endswith('.eml') or name.startswith('.'):\n"
  "        continue\n"
  "    with open(os.path.join(d, name), 'rb') as f:\n"
  "        m = email.message_from_binary_file(f, policy=email.policy.default)\n"
  "    with open(os.path.join(d, name[:-4] + '.json')) as f:\n"
  "        envelope = json.load(f)\n"
  "    pdfs = [p for p in m.walk() if p.get_content_type() == 'application/pdf']\n"
  "    body = m.get_body(preferencelist=('plain',))\n"
  "    out.append({'file': name, 'message_id': str(m['Message-ID']),\n"
  "                'rcpt': envelope['rcpt_tos'], 'subject': str(m['Subject']),\n"
  "                'pdfs': len(pdfs),\n"
  "                'pdf_ok': all(p.get_content().startswith(b'%PDF-') for p in pdfs),\n"
  "                'text': body.get_content() if body is not None else ''})\n"
  "json.dump(out, sys.stdout)\n";

static JsonNode *
received (const char *dir)
{
  const char *argv[] = { eva_test_python (), "-c", parse_script, dir, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  JsonNode *node;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("parsing the received mail failed: %s", err);
  node = json_from_string (out, &error);
  g_assert_no_error (error);
  return node;
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".eml") && name[0] != '.')
      n++;
  return n;
}

static char *
tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("everato-faults-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *dir)
{
  g_autofree char *quoted = g_shell_quote (dir);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  g_assert_cmpint (system (command), ==, 0);
}

/* A paid, confirmed card booking of @quantity on the current server. */
static char *
paid_booking (Buyer      *b,
              const char *event,
              const char *type,
              int         quantity)
{
  char *booking = hold_id (b, event, type, quantity);
  g_autoptr(EvaTestResponse) r = checkout (server, b, booking);
  g_autoptr(JsonObject) session = NULL;
  g_autofree char *ev = NULL;

  eva_test_assert_status (r, 200);
  session = only_session (booking);
  g_assert_cmpstr (eva_test_json_string (r->json, "checkout_url"), ==,
                   json_object_get_string_member (session, "url"));
  ev = pay (json_object_get_string_member (session, "id"), TRUE);
  assert_sql (server->pg, "SELECT status FROM bookings WHERE id = $1::uuid", booking, "confirmed");
  return booking;
}

/* ------------------------------------------------------------------ */
/* The mail server down while tickets are mailed; a server killed     */
/* ------------------------------------------------------------------ */

#define MAIL_BOOKINGS 12

/* Bound, not listening: connections to @port are refused, and no other
 * process is given the port (eva_test_free_port() elsewhere) while the
 * mail server is down. The receiver binds it again with SO_REUSEADDR,
 * which Linux allows next to a socket that does not listen. */
static int
port_hold (guint16 port)
{
  struct sockaddr_in addr = { 0 };
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), ==, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  return fd;
}

/* A listening socket that never accepts: clients connect (the kernel
 * completes the handshake) and wait for a greeting that never comes.
 * Closing it resets them. */
static int
blackhole_open (guint16 port)
{
  int fd = port_hold (port);

  g_assert_cmpint (listen (fd, 16), ==, 0);
  return fd;
}

static void
test_smtp_outage_kill (void)
{
  g_autofree char *dir = tmp_dir ();
  guint16 port = eva_test_free_port ();
  /* The mail server hangs: connections are taken, never answered. */
  int hole = blackhole_open (port);
  int held = -1;
  EvaTestServer *a = start_server (NULL, port, NULL);
  EvaTestServer *b = NULL;
  EvaTestServer *c = NULL;
  g_autoptr(GPtrArray) bookings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonNode) mails = NULL;
  g_autofree char *killed_at = NULL;
  g_autofree char *type = NULL;
  g_autofree char *event = NULL;
  g_autofree char *orphan = NULL;
  g_autofree char *orphan_attempts = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *orphan_then = NULL;
  g_autofree char *attempts = NULL;
  g_autoptr(GHashTable) per_rcpt = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Receiver *receiver;
  JsonArray *list;
  gint64 outage_start, outage_ms;

  /* However slow the machine, no mail runs out of attempts during the
   * outage: a dead mail would be another test. */
  g_free (eva_test_sql (a->pg, "ALTER TABLE email_outbox ALTER COLUMN max_attempts SET DEFAULT 1000", NULL));
  b = start_server (a->dbname, port, NULL);
  ctl_free ("POST", "/_standin/reset", NULL);
  use_server (a);
  point_webhooks_at (a);
  event = card_event (4 * MAIL_BOOKINGS, &type);
  outage_start = g_get_monotonic_time ();

  for (guint i = 0; i < MAIL_BOOKINGS; i++)
    {
      g_autoptr(Buyer) buyer = NULL;

      if (i == MAIL_BOOKINGS / 2)
        {
          /* A and B are each in the middle of sending a ticket mail to a
           * mail server that does not answer: kill A without warning. */
          wait_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE status = 'sending'", NULL, "2");
          eva_test_server_kill (a);
          killed_at = eva_test_sql (b->pg, "SELECT now()", NULL);
          /* Then the mail server is down altogether (refused): B's
           * attempt fails and is retried. B takes the webhooks now. */
          close (hole);
          held = port_hold (port);
          use_server (b);
          point_webhooks_at (b);
          wait_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE status = 'sending'"
                           " AND lease_until <= $1::timestamptz + interval '" LEASE "'",
                    killed_at, "1");
          orphan = eva_test_sql (b->pg, "SELECT id FROM email_outbox WHERE status = 'sending'"
                                        " AND lease_until <= $1::timestamptz + interval '" LEASE "'",
                                 killed_at, NULL);
          orphan_attempts = eva_test_sql (b->pg, "SELECT attempts FROM email_outbox WHERE id = $1::bigint",
                                          orphan, NULL);
        }
      buyer = make_buyer_on (server, "mailed", TRUE);
      g_ptr_array_add (emails, eva_test_sql (server->pg, "SELECT email FROM attendees WHERE id = $1::uuid",
                                             buyer->id, NULL));
      g_ptr_array_add (bookings, paid_booking (buyer, event, type, 1 + i % 3));
    }

  /* A restarts (a new process on the same database). */
  c = start_server (a->dbname, port, NULL);

  /* Every confirmation queued its ticket mail, once; none went out. */
  assert_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE template = 'booking_confirmed'",
              NULL, G_STRINGIFY (MAIL_BOOKINGS) "");
  assert_sql (b->pg, "SELECT count(*) FROM email_outbox", NULL, G_STRINGIFY (MAIL_BOOKINGS) "");

  /* The outage goes on: every other mail is tried again and kept, with
   * the SMTP error on record. */
  wait_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE attempts >= 2 AND id <> $1::bigint"
                   " AND status IN ('pending', 'sending') AND last_error LIKE 'SMTP%'",
            orphan, "11");
  assert_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE status IN ('sent', 'dead')", NULL, "0");
  /* The mail A was sending when it died may have reached the mail
   * server: nobody sends it again while A's lease lasts… */
  expected = g_strdup_printf ("sending %s true", orphan_attempts);
  assert_sql (b->pg, "SELECT status || ' ' || attempts || ' ' || (lease_until > now() + interval '4 minutes')"
                     " FROM email_outbox WHERE id = $1::bigint", orphan, expected);
  /* …and once it has run out (five minutes: let them pass), it is. */
  g_free (eva_test_sql (b->pg, "UPDATE email_outbox SET lease_until = now() - interval '1 second'"
                               " WHERE id = $1::bigint AND status = 'sending' RETURNING id", orphan, NULL));
  orphan_then = g_strdup_printf ("%s %s", orphan, orphan_attempts);
  wait_sql (b->pg, "SELECT attempts > split_part($1, ' ', 2)::int AND status IN ('pending', 'sending')"
                   " AND last_error LIKE 'SMTP%' FROM email_outbox"
                   " WHERE id = split_part($1, ' ', 1)::bigint", orphan_then, "t");
  assert_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE status IN ('sent', 'dead')", NULL, "0");
  g_assert_cmpuint (count_files (dir), ==, 0);

  /* The mail server comes back on the same port. */
  receiver = receiver_start (dir, port);
  close (held);
  outage_ms = (g_get_monotonic_time () - outage_start) / 1000;
  wait_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE status = 'sent'", NULL,
            G_STRINGIFY (MAIL_BOOKINGS) "");
  /* Nothing more arrives afterwards. */
  g_usleep (500 * 1000);
  g_assert_cmpuint (count_files (dir), ==, MAIL_BOOKINGS);
  assert_sql (b->pg, "SELECT count(*) FROM email_outbox WHERE status <> 'sent'", NULL, "0");

  /* At the receiver: each buyer got exactly one mail, its ticket mail,
   * with the tickets attached, under the outbox row's Message-ID. */
  mails = received (dir);
  list = json_node_get_array (mails);
  g_assert_cmpuint (json_array_get_length (list), ==, MAIL_BOOKINGS);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *m = json_array_get_object_element (list, i);
      JsonArray *rcpt = json_object_get_array_member (m, "rcpt");
      const char *to;
      const char *mid = json_object_get_string_member (m, "message_id");

      g_assert_cmpuint (json_array_get_length (rcpt), ==, 1);
      to = json_array_get_string_element (rcpt, 0);
      g_hash_table_insert (per_rcpt, g_strdup (to),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (per_rcpt, to)) + 1));
      g_assert_true (g_hash_table_add (ids, g_strdup (mid)));
      g_assert_cmpint (json_object_get_int_member (m, "pdfs"), >=, 1);
      g_assert_true (json_object_get_boolean_member (m, "pdf_ok"));
      g_assert_cmpstr (json_object_get_string_member (m, "subject"), ==, "Your booking is confirmed");
    }
  for (guint i = 0; i < bookings->len; i++)
    {
      const char *email = g_ptr_array_index (emails, i);
      g_autofree char *reference = eva_test_sql (b->pg, "SELECT upper(left(id::text, 8)) FROM bookings"
                                                        " WHERE id = $1::uuid",
                                                 g_ptr_array_index (bookings, i), NULL);
      g_autofree char *mid = eva_test_sql (b->pg, "SELECT message_id FROM email_outbox WHERE to_address = $1",
                                           email, NULL);
      gboolean found = FALSE;

      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (per_rcpt, email)), ==, 1);
      for (guint j = 0; j < json_array_get_length (list); j++)
        {
          JsonObject *m = json_array_get_object_element (list, j);

          if (!g_str_equal (json_array_get_string_element (json_object_get_array_member (m, "rcpt"), 0),
                            email))
            continue;
          found = TRUE;
          g_assert_true (g_str_has_prefix (json_object_get_string_member (m, "message_id") + 1, mid));
          g_assert_nonnull (strstr (json_object_get_string_member (m, "text"), reference));
        }
      g_assert_true (found);
    }
  attempts = eva_test_sql (b->pg, "SELECT string_agg(attempts::text, ',' ORDER BY id) FROM email_outbox", NULL);
  g_test_message ("outage %" G_GINT64_FORMAT " ms; attempts per mail: %s", outage_ms, attempts);

  assert_paid_once (b->pg, bookings);

  secondary_free (c);
  secondary_free (b);
  eva_test_server_free (a);
  server = NULL;
  g_clear_pointer (&organizer, g_free);
  receiver_stop (receiver);
  rm_rf (dir);
}

/* ------------------------------------------------------------------ */
/* The gateway slow and erroring during a checkout burst              */
/* ------------------------------------------------------------------ */

#define BURST 8

static void
fail_next (const char *json)
{
  ctl_free ("POST", "/_standin/fail", json);
}

/* Runs @n calls at once and waits for them. */
static void
run_calls (Call *calls,
           guint n)
{
  g_autofree GThread **threads = g_new0 (GThread *, n);

  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("call", call_thread, &calls[i]);
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
}

static void
test_gateway_burst (void)
{
  EvaTestServer *s = start_server (NULL, 0, NULL);
  g_autofree char *type = NULL;
  g_autofree char *event = NULL;
  g_autoptr(GPtrArray) bookings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  /* BURST buyers, then the one whose checkout outlasts the server's
   * patience, then one coming back from the gateway's page. */
  Buyer *buyers[BURST + 2];
  /* The burst, two buyers pressing the button twice at once. */
  Call calls[BURST + 2];
  Call slow, back;
  GThread *slow_thread, *back_thread;
  g_autofree char *back_fail = NULL;
  g_autoptr(JsonObject) back_session = NULL;
  const char *slow_booking, *back_booking;
  gint64 quantity = 0, slowest = 0;
  guint made = 0, lost_total = 0;

  ctl_free ("POST", "/_standin/reset", NULL);
  use_server (s);
  point_webhooks_at (s);
  event = card_event (4 * BURST, &type);
  for (guint i = 0; i < BURST + 2; i++)
    {
      buyers[i] = make_buyer_on (s, "burst", TRUE);
      g_ptr_array_add (bookings, hold_id (buyers[i], event, type, 1 + i % 2));
      quantity += 1 + i % 2;
    }
  slow_booking = g_ptr_array_index (bookings, BURST);
  back_booking = g_ptr_array_index (bookings, BURST + 1);
  {
    g_autoptr(EvaTestResponse) r = checkout (s, buyers[BURST + 1], back_booking);

    eva_test_assert_status (r, 200);
  }
  back_session = only_session (back_booking);

  /* The gateway makes one buyer's session but answers after 55 s, more
   * than the server's 20 s for a gateway call; and it hangs on every read
   * of the other's session, who is back from its page. Both must be
   * answered within those 20 s (a reverse proxy gives up at 60 s). */
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"mode\":\"hang\",\"seconds\":55,"
             "\"after\":true,\"count\":1}");
  back_fail = g_strdup_printf ("{\"path_prefix\":\"" CHECKOUT "/%s\",\"method\":\"GET\","
                               "\"mode\":\"hang\",\"seconds\":55,\"count\":3}",
                               json_object_get_string_member (back_session, "id"));
  fail_next (back_fail);
  slow = (Call) { s, buyers[BURST], slow_booking, FALSE, NULL, 0, 0, FALSE };
  back = (Call) { s, buyers[BURST + 1], back_booking, FALSE, NULL, 0, 0, TRUE };
  slow_thread = g_thread_new ("slow", call_thread, &slow);
  back_thread = g_thread_new ("back", call_thread, &back);
  {
    gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
    guint executed = 0;

    while (session_requests (slow_booking, &executed, NULL, NULL) == 0 || executed == 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (20 * 1000);
      }
  }

  /* Meanwhile the burst: exactly as many failures as it makes tries
   * (ten checkouts, three tries each), so every try meets one, whichever
   * comes first: answers lost after a second (the session made), Stripe's
   * error envelopes (500, 503, 429 with Retry-After), and the line cut
   * before and after the work. */
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"mode\":\"hang\",\"seconds\":1,\"after\":true,\"count\":5}");
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"status\":500,\"count\":6}");
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"status\":503,\"count\":4}");
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"mode\":\"close\",\"count\":5}");
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"mode\":\"close\",\"after\":true,\"count\":3}");
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"status\":429,\"retry_after\":1,\"count\":7}");
  for (guint i = 0; i < BURST + 2; i++)
    {
      guint k = i < BURST ? i : i - BURST;

      calls[i] = (Call) { s, buyers[k], g_ptr_array_index (bookings, k), FALSE, NULL, 0, 0, FALSE };
    }
  run_calls (calls, BURST + 2);

  /* Every buyer of the burst was told, in the documented envelope, to
   * come back. */
  for (guint i = 0; i < BURST + 2; i++)
    {
      eva_test_assert_error (calls[i].resp, 503, "gateway_unavailable");
      g_assert_nonnull (eva_test_header (calls[i].resp, "Retry-After"));
      slowest = MAX (slowest, calls[i].took_ms);
      g_clear_pointer (&calls[i].resp, eva_test_response_free);
    }
  g_test_message ("burst: the slowest buyer waited %" G_GINT64_FORMAT " ms for the 503", slowest);
  g_assert_cmpint (slowest, <, 40 * 1000);

  /* The slow gateway: a 503 for the checkout, what is known for the
   * page, both within the server's 20 s. */
  g_thread_join (slow_thread);
  g_thread_join (back_thread);
  g_test_message ("slow gateway: checkout answered after %" G_GINT64_FORMAT " ms, the returning page after %"
                  G_GINT64_FORMAT " ms", slow.took_ms, back.took_ms);
  eva_test_assert_error (slow.resp, 503, "gateway_unavailable");
  g_assert_nonnull (eva_test_header (slow.resp, "Retry-After"));
  eva_test_assert_status (back.resp, 200);
  g_assert_cmpstr (eva_test_json_string (back.resp->json, "booking.status"), ==, "pending_payment");
  /* 55 s at the gateway; three tries of 20 s each would be 60 s. */
  g_assert_cmpint (slow.took_ms, <, 45 * 1000);
  g_assert_cmpint (back.took_ms, <, 45 * 1000);
  g_clear_pointer (&slow.resp, eva_test_response_free);
  g_clear_pointer (&back.resp, eva_test_response_free);

  /* Nothing was released, and nothing confirmed. */
  g_assert_cmpint (count_sql (s->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, quantity);
  assert_sql (s->pg, "SELECT count(*) FROM bookings WHERE status NOT IN ('held', 'pending_payment')", NULL, "0");
  assert_sql (s->pg, "SELECT count(*) FROM payments WHERE booking_id <> $1::uuid"
                     " AND (status <> 'pending' OR provider_ref IS NOT NULL)", back_booking, "0");
  for (guint i = 0; i <= BURST; i++)
    {
      const char *booking = g_ptr_array_index (bookings, i);
      g_autoptr(GPtrArray) mine = sessions_of (booking);
      g_autofree char *key = NULL;
      g_autofree char *expected = g_strdup_printf ("everato-checkout-%s-1", booking);
      guint executed = 0, lost = 0;
      guint tries = session_requests (booking, &executed, &lost, &key);

      /* One attempt per booking, the doubled ones included; the stand-in
       * made a session at most once whatever it was sent. */
      g_assert_cmpstr (key, ==, expected);
      g_assert_cmpuint (tries, ==, i < 2 ? 6 : i < BURST ? 3 : 1);
      g_assert_cmpuint (mine->len, <=, 1);
      g_assert_cmpuint (executed, ==, mine->len);
      if (i < BURST)
        {
          lost_total += lost;
          made += mine->len;
        }
      else
        g_assert_cmpuint (mine->len, ==, 1);
      assert_sql (s->pg, "SELECT count(*) FROM payments WHERE booking_id = $1::uuid", booking, "1");
    }
  /* The eight tries whose answer was lost were all met, and made a
   * session for at least one booking (for each at most one). */
  g_assert_cmpuint (lost_total, ==, 8);
  g_test_message ("sessions made at the gateway while the buyer was told 503: %u of %u", made + 1, BURST + 1);
  g_assert_cmpuint (made, >=, 1);

  /* The gateway is back; each buyer tries again (twice at once for two
   * of them) and gets the session the gateway made, or a new one. */
  for (guint i = 0; i < BURST + 2; i++)
    {
      guint k = i < BURST ? i : i == BURST ? BURST : 0;

      calls[i] = (Call) { s, buyers[k], g_ptr_array_index (bookings, k), FALSE, NULL, 0, 0, FALSE };
    }
  run_calls (calls, BURST + 2);
  for (guint i = 0; i < BURST + 2; i++)
    {
      guint k = i < BURST ? i : i == BURST ? BURST : 0;
      g_autoptr(JsonObject) session = NULL;

      eva_test_assert_status (calls[i].resp, 200);
      session = only_session (g_ptr_array_index (bookings, k));
      g_assert_cmpstr (eva_test_json_string (calls[i].resp->json, "checkout_url"), ==,
                       json_object_get_string_member (session, "url"));
      g_clear_pointer (&calls[i].resp, eva_test_response_free);
    }

  /* Everyone pays; the webhooks confirm; a replay of each changes nothing. */
  for (guint i = 0; i < bookings->len; i++)
    {
      g_autoptr(JsonObject) session = only_session (g_ptr_array_index (bookings, i));

      g_ptr_array_add (events, pay (json_object_get_string_member (session, "id"), TRUE));
    }
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpint (redeliver (g_ptr_array_index (events, i)), ==, 200);
  assert_sql (s->pg, "SELECT count(*) FROM bookings WHERE status = 'confirmed'", NULL,
              "10");
  g_assert_cmpint (count_sql (s->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", type), ==, quantity);
  g_assert_cmpint (count_sql (s->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 0);
  assert_paid_once (s->pg, bookings);

  for (guint i = 0; i < BURST + 2; i++)
    buyer_free (buyers[i]);
  /* Ends the hangs at the stand-in that still last. */
  ctl_free ("POST", "/_standin/reset", NULL);
  eva_test_server_free (s);
  server = NULL;
  g_clear_pointer (&organizer, g_free);
}

/* ------------------------------------------------------------------ */
/* A server killed in the middle of checkouts                         */
/* ------------------------------------------------------------------ */

#define KILLED 4

static void
test_gateway_kill (void)
{
  EvaTestServer *k1 = start_server (NULL, 0, NULL);
  EvaTestServer *k2 = NULL;
  EvaTestServer *k3 = NULL;
  g_autofree char *type = NULL;
  g_autofree char *event = NULL;
  g_autoptr(GPtrArray) bookings = g_ptr_array_new_with_free_func (g_free);
  char *completed[KILLED] = { NULL };
  Buyer *buyers[KILLED];
  Call calls[KILLED];
  GThread *threads[KILLED];
  gint64 quantity = 0;

  ctl_free ("POST", "/_standin/reset", NULL);
  use_server (k1);
  point_webhooks_at (k1);
  event = card_event (4 * KILLED, &type);
  for (guint i = 0; i < KILLED; i++)
    {
      buyers[i] = make_buyer_on (k1, "killed", TRUE);
      g_ptr_array_add (bookings, hold_id (buyers[i], event, type, 1 + i % 3));
      quantity += 1 + i % 3;
    }

  /* The gateway makes each session but its answer is slow to come… */
  fail_next ("{\"path_prefix\":\"" CHECKOUT "\",\"method\":\"POST\",\"mode\":\"hang\",\"seconds\":30,\"after\":true,"
             "\"count\":" G_STRINGIFY (KILLED) "}");
  for (guint i = 0; i < KILLED; i++)
    {
      calls[i] = (Call) { k1, buyers[i], g_ptr_array_index (bookings, i), TRUE, NULL, 0, 0, FALSE };
      threads[i] = g_thread_new ("checkout", call_thread, &calls[i]);
    }
  /* …and the server is killed while it waits for them. */
  {
    gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
    guint made = 0;

    while (made < KILLED)
      {
        made = 0;
        for (guint i = 0; i < KILLED; i++)
          {
            guint executed = 0;

            session_requests (g_ptr_array_index (bookings, i), &executed, NULL, NULL);
            made += executed > 0;
          }
        if (g_get_monotonic_time () > deadline)
          g_error ("the stand-in saw %u of %u checkouts", made, KILLED);
        g_usleep (20 * 1000);
      }
  }
  eva_test_server_kill (k1);
  for (guint i = 0; i < KILLED; i++)
    {
      g_thread_join (threads[i]);
      /* The buyer got no answer at all, and did not wait for one long. */
      g_assert_cmpuint (calls[i].status, ==, 0);
      g_assert_cmpint (calls[i].took_ms, <, 40 * 1000);
    }
  /* Charged nowhere, lost nowhere: a session each at the gateway, an open
   * attempt each here, the tickets still held. */
  for (guint i = 0; i < KILLED; i++)
    {
      g_autoptr(JsonObject) session = only_session (g_ptr_array_index (bookings, i));

      g_assert_cmpstr (json_object_get_string_member (session, "payment_status"), ==, "unpaid");
    }
  assert_sql (k1->pg, "SELECT count(*) FROM payments WHERE status = 'pending' AND provider_ref IS NULL",
              NULL, G_STRINGIFY (KILLED) "");
  g_assert_cmpint (count_sql (k1->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, quantity);

  /* A server comes back, one that reads unanswered payments back from
   * the gateway after a second. */
  k2 = start_server (k1->dbname, 0, "EVERATO_PAYMENT_RECONCILE_AFTER=1");
  use_server (k2);
  point_webhooks_at (k2);

  /* Two buyers try again: the session made before the crash, not a new one. */
  for (guint i = 0; i < 2; i++)
    {
      const char *booking = g_ptr_array_index (bookings, i);
      g_autoptr(EvaTestResponse) r = checkout (k2, buyers[i], booking);
      g_autoptr(JsonObject) session = only_session (booking);

      eva_test_assert_status (r, 200);
      g_assert_cmpstr (eva_test_json_string (r->json, "checkout_url"), ==,
                       json_object_get_string_member (session, "url"));
    }
  /* The other two never come back: the server finds their sessions itself. */
  for (guint i = 2; i < KILLED; i++)
    {
      const char *booking = g_ptr_array_index (bookings, i);
      g_autoptr(JsonObject) session = only_session (booking);

      wait_sql (k2->pg, "SELECT provider_ref FROM payments WHERE booking_id = $1::uuid", booking,
                json_object_get_string_member (session, "id"));
    }

  /* They pay (the link was mailed, or the page still open): 0 and 2
   * with the webhook; 1 and 3 with the webhook lost and the server
   * killed at once, before or while it reconciles. */
  for (guint i = 0; i < KILLED; i++)
    {
      g_autoptr(JsonObject) session = only_session (g_ptr_array_index (bookings, i));

      completed[i] = pay (json_object_get_string_member (session, "id"), i % 2 == 0);
    }
  eva_test_server_kill (k2);

  k3 = start_server (k1->dbname, 0, "EVERATO_PAYMENT_RECONCILE_AFTER=1");
  use_server (k3);
  for (guint i = 0; i < KILLED; i++)
    wait_sql (k3->pg, "SELECT status FROM bookings WHERE id = $1::uuid", g_ptr_array_index (bookings, i),
              "confirmed");
  /* Each paid once; those whose webhook was lost by reconciliation. */
  for (guint i = 0; i < KILLED; i++)
    {
      const char *booking = g_ptr_array_index (bookings, i);

      assert_sql (k3->pg, "SELECT count(*) FROM audit_log WHERE action = 'payment.paid'"
                          " AND target_id = $1", booking, "1");
      if (i % 2 == 1)
        assert_sql (k3->pg, "SELECT details->>'source' FROM audit_log WHERE action = 'payment.paid'"
                            " AND target_id = $1", booking, "reconciliation");
    }
  /* The lost webhooks arrive at last (Stripe retries): nothing changes. */
  point_webhooks_at (k3);
  for (guint i = 0; i < KILLED; i++)
    g_assert_cmpint (redeliver (completed[i]), ==, 200);
  g_assert_cmpint (count_sql (k3->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid", type), ==, quantity);
  g_assert_cmpint (count_sql (k3->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid", type), ==, 0);
  assert_paid_once (k3->pg, bookings);
  /* One session request carried out per booking, however many were sent. */
  for (guint i = 0; i < KILLED; i++)
    {
      guint executed = 0;
      g_autofree char *key = NULL;

      session_requests (g_ptr_array_index (bookings, i), &executed, NULL, &key);
      g_assert_cmpuint (executed, ==, 1);
    }

  for (guint i = 0; i < KILLED; i++)
    {
      buyer_free (buyers[i]);
      g_free (completed[i]);
    }
  ctl_free ("POST", "/_standin/reset", NULL);
  secondary_free (k3);
  secondary_free (k2);
  eva_test_server_free (k1);
  server = NULL;
  g_clear_pointer (&organizer, g_free);
}

int
main (int   argc,
      char *argv[])
{
  const char *secrets[] = { WHSEC, NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);
  stripe = eva_test_stripe_start (SECRET_KEY, secrets);

  g_test_add_func ("/faults-ext/smtp-outage-kill", test_smtp_outage_kill);
  g_test_add_func ("/faults-ext/gateway-burst", test_gateway_burst);
  g_test_add_func ("/faults-ext/gateway-kill", test_gateway_kill);

  ret = g_test_run ();
  eva_test_stripe_stop (stripe);
  return ret;
}
