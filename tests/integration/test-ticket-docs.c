/* test-ticket-docs.c: what the attendee gets — the ticket mail (parsed by
 * Python's email package), the PDF (pdfinfo, pdftotext, pdftoppm, and
 * zbarimg on its pages), the calendar file (the icalendar package, its
 * VTIMEZONE checked against the system's tz database), the mail again
 * (throttled), and the mails for cancellations, refunds and changed or
 * cancelled events — none of it for anyone else, and no secret key in any
 * of it
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "eva-test-keys.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

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
  if (err != NULL && *err != '\0')
    g_test_message ("%s: %s", argv[0], err);
  *status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return g_strdup (g_strstrip (out));
}

static char *
run_ok (const char * const *argv)
{
  int status;
  char *out = run (argv, &status);

  g_assert_cmpint (status, ==, 0);
  return out;
}

/* A script of tests/tickets/ run by Debian's python3; its JSON output. */
static JsonNode *
python_json (const char *script,
             const char *arg1,
             const char *arg2)
{
  g_autofree char *path = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "tests", "tickets",
                                            script, NULL);
  const char *argv[] = { eva_test_python (), path, arg1, arg2, NULL };
  g_autofree char *out = run_ok (argv);
  JsonNode *node = json_from_string (out, NULL);

  g_assert_nonnull (node);
  return node;
}

static char *
tmp_dir (void)
{
  return g_dir_make_tmp ("everato-docs-XXXXXX", NULL);
}

static void
rm_rf (const char *dir)
{
  const char *argv[] = { "rm", "-rf", dir, NULL };

  /* EVERATO_TEST_KEEP=1 keeps the files to look at. */
  if (g_strcmp0 (g_getenv ("EVERATO_TEST_KEEP"), "1") == 0)
    g_test_message ("kept %s", dir);
  else
    g_free (run_ok (argv));
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* The codes zbarimg finds on the PDF's pages, rasterised by pdftoppm, in
 * page order, one a line. */
static char *
pdf_codes (const char *pdf,
           const char *dir)
{
  g_autofree char *prefix = g_build_filename (dir, "page", NULL);
  const char *ppm[] = { "pdftoppm", "-r", "150", "-gray", "-png", pdf, prefix, NULL };
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) codes = g_string_new (NULL);
  const char *name;

  g_free (run_ok (ppm));
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "page") && g_str_has_suffix (name, ".png"))
      g_ptr_array_add (pages, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (pages, compare_paths);
  for (guint i = 0; i < pages->len; i++)
    {
      const char *argv[] = { "zbarimg", "--raw", "-q", g_ptr_array_index (pages, i), NULL };
      g_autofree char *code = run_ok (argv);

      g_string_append_printf (codes, "%s%s", i > 0 ? "\n" : "", code);
    }
  return g_string_free (g_steal_pointer (&codes), FALSE);
}

static gint64
pdf_pages (const char *pdf,
           char      **page_size)
{
  const char *argv[] = { "pdfinfo", pdf, NULL };
  g_autofree char *info = run_ok (argv);
  g_auto(GStrv) lines = g_strsplit (info, "\n", -1);
  gint64 pages = -1;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "Pages:"))
        pages = g_ascii_strtoll (lines[i] + strlen ("Pages:"), NULL, 10);
      if (g_str_has_prefix (lines[i], "Page size:") && page_size != NULL)
        *page_size = g_strdup (g_strstrip (lines[i] + strlen ("Page size:")));
    }
  return pages;
}

/* pdffonts: every font embedded. */
static void
assert_fonts_embedded (const char *pdf)
{
  const char *argv[] = { "pdffonts", pdf, NULL };
  g_autofree char *out = run_ok (argv);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint fonts = 0;

  /* name type encoding emb sub uni object ID: "emb" is the 4th column
   * from the right ("yes yes yes 12 0"). */
  for (guint i = 2; lines[i] != NULL; i++)
    {
      g_auto(GStrv) cols = g_regex_split_simple ("\\s+", g_strstrip (lines[i]), 0, 0);
      guint n = g_strv_length (cols);

      if (n < 6)
        continue;
      g_assert_cmpstr (cols[n - 5], ==, "yes");
      fonts++;
    }
  g_assert_cmpuint (fonts, >, 0);
}

static char *
pdf_text (const char *pdf)
{
  const char *argv[] = { "pdftotext", "-layout", pdf, "-", NULL };

  return run_ok (argv);
}

static char *
save (const char      *dir,
      const char      *name,
      EvaTestResponse *r)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, r->body, r->length, NULL));
  return path;
}

/* The newest @template_name mail to @email as a file the server wrote,
 * waiting for the outbox to deliver it. */
static char *
mail_file (const char *email,
           const char *template_name,
           gint64      expected_count)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *id = eva_test_sql (server->pg,
                                          "SELECT CASE WHEN status = 'sent' THEN id END FROM email_outbox"
                                          " WHERE to_address = $1 AND template = $2"
                                          " ORDER BY id DESC LIMIT 1", email, template_name, NULL);
      g_autofree char *count = eva_test_sql (server->pg,
                                             "SELECT count(*) FROM email_outbox WHERE to_address = $1"
                                             " AND template = $2", email, template_name, NULL);

      if (id != NULL && g_ascii_strtoll (count, NULL, 10) == expected_count)
        {
          g_autofree char *name = g_strdup_printf ("%s.eml", id);

          return g_build_filename (server->tmpdir, "data", "mail", name, NULL);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}

static gint64
mails (const char *email,
       const char *template_name)
{
  g_autofree char *count = eva_test_sql (server->pg,
                                         "SELECT count(*) FROM email_outbox WHERE to_address = $1"
                                         " AND template = $2", email, template_name, NULL);

  return g_ascii_strtoll (count, NULL, 10);
}

static char *
buyer_email (Buyer *b)
{
  return eva_test_sql (server->pg, "SELECT email FROM attendees WHERE id = $1::uuid", b->id, NULL);
}

static char *
venue_event (int    price,
             char **type_out)
{
  char *event = make_event ("\"venue\":\"Großer Saal\",\"address\":\"Am Markt 1, 04109 Leipzig\","
                            "\"payment_methods\":[\"at_door\"]");
  g_autofree char *type_json = g_strdup_printf ("{\"name\":\"Parkett\",\"price\":%d,\"capacity\":50}",
                                                price);

  *type_out = make_type (event, type_json);
  publish (event);
  return event;
}

/* GET /api/v1/me/bookings/@id/@tail@query as @b. */
static EvaTestResponse *
get_as (Buyer      *b,
        const char *tail,
        const char *id,
        const char *query)
{
  g_autofree char *full = g_strconcat ("/api/v1/me/bookings/", id, "/", tail,
                                       query != NULL ? query : "", NULL);

  return http_full (server, NULL, "GET", full, b, NULL, NULL, NULL, NULL);
}

/* The signing key's secret, in every encoding a leak could take (hex,
 * base64, base32 of the 64-byte key and of its 32-byte seed), appears
 * nowhere in @text. */
static void
assert_no_secret (const char *text,
                  gsize       length)
{
  g_autofree char *key_id = eva_test_sql (server->pg, "SELECT id FROM signing_keys"
                                          " WHERE retired_at IS NULL", NULL);
  guint8 secret[crypto_sign_SECRETKEYBYTES];

  g_assert_nonnull (key_id);
  eva_test_signing_secret (server->pg, key_id, secret);
  for (gsize n = 32; n <= 64; n += 32)
    {
      char hex[129];
      g_autofree char *base64 = g_base64_encode (secret, n);
      g_autofree char *base32 = eva_base32_encode (secret, n);

      sodium_bin2hex (hex, sizeof hex, secret, n);
      /* Any 16 characters of them would do; the first 16 are enough. */
      hex[16] = base64[16] = base32[16] = '\0';
      g_assert_null (g_strstr_len (text, length, hex));
      g_assert_null (g_strstr_len (text, length, base64));
      g_assert_null (g_strstr_len (text, length, base32));
    }
  sodium_memzero (secret, sizeof secret);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* The ticket mail of a German attendee: multipart/mixed(related(
 * alternative(text, html), png, png), pdf, ics), each QR referenced by
 * cid and scanning to its ticket's code, the PDF two A4 pages whose QR
 * codes scan too, German text, the reference in the text part. */
static void
test_ticket_mail (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = venue_event (0, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "mail", TRUE);
  g_autofree char *email = buyer_email (b);
  g_autofree char *dir = tmp_dir ();
  g_autofree char *booking = NULL;
  g_autofree char *eml = NULL;
  g_autofree char *codes = NULL;
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *reference = NULL;
  g_autoptr(JsonNode) mail = NULL;
  g_autoptr(JsonNode) cal = NULL;
  gsize raw_len;
  JsonArray *cids;
  JsonObject *images;

  g_free (eva_test_sql (server->pg, "UPDATE attendees SET locale = 'de' WHERE id = $1::uuid RETURNING 1",
                        b->id, NULL));
  booking = hold_id (b, event, type, 2);
  reference = g_ascii_strup (booking, 8);
  eml = mail_file (email, "booking_confirmed", 1);
  g_assert_true (g_file_get_contents (eml, &raw, &raw_len, NULL));
  assert_no_secret (raw, raw_len);

  mail = python_json ("check-mail.py", eml, dir);
  g_assert_cmpstr (eva_test_json_string (mail, "tree"), ==,
                   "multipart/mixed(multipart/related(multipart/alternative(text/plain,text/html),"
                   "image/png,image/png),application/pdf,text/calendar)");
  g_assert_cmpstr (eva_test_json_string (mail, "language"), ==, "de");
  g_assert_cmpstr (eva_test_json_string (mail, "subject"), ==, "Ihre Buchung ist bestätigt");
  g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), reference));
  g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "Ihre Tickets hängen als PDF an"));
  g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "/bookings/"));
  g_assert_null (strstr (eva_test_json_string (mail, "html"), "<script"));
  g_assert_null (strstr (eva_test_json_string (mail, "html"), "src=\"http"));

  /* Every image the HTML shows is a part of the message, and scans to a
   * ticket of this booking. */
  cids = json_node_get_array (eva_test_json_get (mail, "cids_in_html"));
  images = json_node_get_object (eva_test_json_get (mail, "images"));
  g_assert_cmpuint (json_array_get_length (cids), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const char *cid = json_array_get_string_element (cids, i);
      const char *argv[] = { "zbarimg", "--raw", "-q", json_object_get_string_member (images, cid), NULL };
      g_autofree char *code = NULL;

      g_assert_true (json_object_has_member (images, cid));
      code = run_ok (argv);
      g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM tickets WHERE status = 'valid'"
                                " AND booking_id = (SELECT booking_id FROM tickets WHERE code = $1)",
                                code), ==, 2);
    }

  /* The PDF: two A4 pages, fonts embedded, German labels, both codes. */
  g_assert_cmpstr (eva_test_json_string (mail, "pdf_disposition"), ==, "attachment");
  g_assert_cmpint (pdf_pages (eva_test_json_string (mail, "pdf"), &size), ==, 2);
  g_assert_nonnull (strstr (size, "(A4)"));
  assert_fonts_embedded (eva_test_json_string (mail, "pdf"));
  text = pdf_text (eva_test_json_string (mail, "pdf"));
  g_assert_nonnull (strstr (text, "Eintrittskarte"));
  g_assert_nonnull (strstr (text, "Großer Saal"));
  g_assert_nonnull (strstr (text, reference));
  g_assert_nonnull (strstr (text, "2030-06-01 19:00"));
  codes = pdf_codes (eva_test_json_string (mail, "pdf"), dir);
  {
    g_auto(GStrv) found = g_strsplit (codes, "\n", -1);

    g_assert_cmpuint (g_strv_length (found), ==, 2);
    for (guint i = 0; found[i] != NULL; i++)
      g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM tickets WHERE status = 'valid'"
                                " AND code = $1", found[i]), ==, 1);
    g_assert_cmpstr (found[0], !=, found[1]);
  }

  /* The calendar file: the event in Berlin time. */
  cal = python_json ("check-ics.py", eva_test_json_string (mail, "ics"), NULL);
  g_assert_cmpstr (eva_test_json_string (cal, "tzid"), ==, "Europe/Berlin");
  g_assert_cmpstr (eva_test_json_string (cal, "start_utc"), ==, "2030-06-01T17:00:00Z");
  g_assert_true (json_node_get_boolean (eva_test_json_get (cal, "vtimezone_agrees")));
  rm_rf (dir);
}

/* The routes: PDF (A4, Letter, one ticket, in a chosen language), the
 * calendar file, for the buyer and the organizer; nobody else's; bad
 * queries refused. */
static void
test_pdf_and_ics_routes (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = venue_event (1500, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "docs", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "docsother", TRUE);
  g_autofree char *booking = hold_id (b, event, type, 3);
  g_autofree char *dir = tmp_dir ();
  g_autofree char *ticket = NULL;
  g_autofree char *code = NULL;
  const char *pdf_path = "tickets.pdf";
  const char *ics_path = "event.ics";

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);
    g_autoptr(EvaTestResponse) r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL,
                                              "{\"method\":\"at_door\"}");

    eva_test_assert_status (r, 200);
  }
  ticket = eva_test_sql (server->pg, "SELECT id FROM tickets WHERE booking_id = $1::uuid"
                         " ORDER BY seq DESC LIMIT 1", booking, NULL);
  code = eva_test_sql (server->pg, "SELECT code FROM tickets WHERE id = $1::uuid", ticket, NULL);

  /* All tickets, A4, the buyer's language (English). */
  {
    g_autoptr(EvaTestResponse) r = get_as (b, pdf_path, booking, NULL);
    g_autofree char *file = NULL;
    g_autofree char *size = NULL;
    g_autofree char *text = NULL;
    g_autofree char *codes = NULL;
    g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"tickets-%.8s.pdf\"",
                                                    booking);

    eva_test_assert_status (r, 200);
    g_assert_cmpstr (eva_test_header (r, "Content-Type"), ==, "application/pdf");
    g_autofree char *got = g_ascii_strdown (eva_test_header (r, "Content-Disposition"), -1);
    g_autofree char *want = g_ascii_strdown (disposition, -1);

    g_assert_cmpstr (got, ==, want);
    g_assert_nonnull (strstr (eva_test_header (r, "Cache-Control"), "no-store"));
    g_assert_true (g_str_has_prefix (r->body, "%PDF-"));
    assert_no_secret (r->body, r->length);
    file = save (dir, "all.pdf", r);
    g_assert_cmpint (pdf_pages (file, &size), ==, 3);
    g_assert_nonnull (strstr (size, "(A4)"));
    text = pdf_text (file);
    g_assert_nonnull (strstr (text, "Admission ticket"));
    g_assert_nonnull (strstr (text, "Ticket 3 of 3"));
    g_assert_nonnull (strstr (text, "Parkett"));
    g_assert_nonnull (strstr (text, "15.00 EUR"));
    codes = pdf_codes (file, dir);
    g_assert_nonnull (strstr (codes, code));
  }

  /* One ticket, US Letter, German. */
  {
    g_autofree char *query = g_strdup_printf ("?paper=letter&lang=de&ticket=%s", ticket);
    g_autoptr(EvaTestResponse) r = get_as (b, pdf_path, booking, query);
    g_autofree char *one_dir = g_build_filename (dir, "one", NULL);
    g_autofree char *file = NULL;
    g_autofree char *size = NULL;
    g_autofree char *text = NULL;
    g_autofree char *codes = NULL;

    eva_test_assert_status (r, 200);
    g_mkdir (one_dir, 0700);
    file = save (one_dir, "one.pdf", r);
    g_assert_cmpint (pdf_pages (file, &size), ==, 1);
    g_assert_nonnull (strstr (size, "612 x 792"));
    text = pdf_text (file);
    g_assert_nonnull (strstr (text, "Eintrittskarte"));
    g_assert_nonnull (strstr (text, "Inhaber"));
    g_assert_nonnull (strstr (text, "Ticket 3 von 3"));
    codes = pdf_codes (file, one_dir);
    g_assert_cmpstr (codes, ==, code);
  }

  /* Refused queries; someone else's booking; the organizer's route. */
  {
    g_autoptr(EvaTestResponse) paper = get_as (b, pdf_path, booking, "?paper=a3");
    g_autoptr(EvaTestResponse) bad_ticket = get_as (b, pdf_path, booking, "?ticket=nope");
    g_autoptr(EvaTestResponse) bad_lang = get_as (b, pdf_path, booking, "?lang=%3Cx%3E");
    g_autoptr(EvaTestResponse) unknown = get_as (b, pdf_path, booking,
                                                 "?ticket=00000000-0000-4000-8000-000000000000");
    g_autoptr(EvaTestResponse) theirs_pdf = get_as (other, pdf_path, booking, NULL);
    g_autoptr(EvaTestResponse) theirs_ics = get_as (other, ics_path, booking, NULL);
    g_autofree char *anonymous_path = g_strdup_printf ("/api/v1/me/bookings/%s/tickets.pdf", booking);
    g_autoptr(EvaTestResponse) anonymous = eva_test_call (server, "GET", anonymous_path, NULL, NULL);
    g_autoptr(EvaTestResponse) not_uuid = get_as (b, pdf_path, "x", NULL);
    g_autofree char *admin_pdf = g_strdup_printf ("/api/v1/admin/bookings/%s/tickets.pdf", booking);
    g_autofree char *admin_ics = g_strdup_printf ("/api/v1/admin/bookings/%s/event.ics", booking);
    g_autoptr(EvaTestResponse) staff_pdf = admin ("GET", admin_pdf, NULL);
    g_autoptr(EvaTestResponse) staff_ics = admin ("GET", admin_ics, NULL);

    eva_test_assert_error (paper, 400, "invalid_query");
    eva_test_assert_error (bad_ticket, 400, "invalid_query");
    eva_test_assert_error (bad_lang, 400, "invalid_query");
    eva_test_assert_error (unknown, 404, "not_found");
    eva_test_assert_error (theirs_pdf, 404, "not_found");
    eva_test_assert_error (theirs_ics, 404, "not_found");
    g_assert_cmpuint (anonymous->status, ==, 401);
    eva_test_assert_error (not_uuid, 404, "not_found");
    eva_test_assert_status (staff_pdf, 200);
    g_assert_true (g_str_has_prefix (staff_pdf->body, "%PDF-"));
    eva_test_assert_status (staff_ics, 200);
  }

  /* The calendar file. */
  {
    g_autoptr(EvaTestResponse) r = get_as (b, ics_path, booking, NULL);
    g_autofree char *file = NULL;
    g_autoptr(JsonNode) cal = NULL;

    eva_test_assert_status (r, 200);
    g_assert_true (g_str_has_prefix (eva_test_header (r, "Content-Type"), "text/calendar"));
    g_assert_true (g_str_has_prefix (r->body, "BEGIN:VCALENDAR\r\n"));
    assert_no_secret (r->body, r->length);
    file = save (dir, "event.ics", r);
    cal = python_json ("check-ics.py", file, NULL);
    g_assert_cmpint (eva_test_json_int (cal, "events"), ==, 1);
    g_assert_cmpstr (eva_test_json_string (cal, "tzid"), ==, "Europe/Berlin");
    g_assert_cmpstr (eva_test_json_string (cal, "start_utc"), ==, "2030-06-01T17:00:00Z");
    g_assert_cmpstr (eva_test_json_string (cal, "end_utc"), ==, "2030-06-01T21:00:00Z");
    g_assert_true (json_node_get_boolean (eva_test_json_get (cal, "vtimezone_agrees")));
    g_assert_cmpstr (eva_test_json_string (cal, "location"), ==, "Großer Saal, Am Markt 1, 04109 Leipzig");
    g_assert_cmpstr (eva_test_json_string (cal, "status"), ==, "CONFIRMED");
    g_assert_true (g_str_has_prefix (eva_test_json_string (cal, "uid"), event));
  }

  /* Cancelled: no tickets left to print. */
  {
    g_autofree char *cancel = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", booking);
    g_autoptr(EvaTestResponse) c = admin ("POST", cancel, NULL);
    g_autoptr(EvaTestResponse) r = NULL;

    eva_test_assert_status (c, 200);
    r = get_as (b, pdf_path, booking, NULL);
    eva_test_assert_error (r, 404, "not_found");
  }

  /* Nor in the server's log. */
  {
    g_autofree char *log = eva_test_server_log (server);

    g_assert_nonnull (log);
    assert_no_secret (log, strlen (log));
  }
  rm_rf (dir);
}

/* "My tickets": valid tickets only, coming events first. */
static void
test_my_tickets (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = venue_event (0, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "mine", TRUE);
  g_autofree char *first = hold_id (b, event, type, 1);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autofree char *past_event = NULL;
  g_autofree char *past_type = NULL;

  /* A second event that is over already (moved into the past in SQL:
   * the API refuses to book one). */
  past_event = make_event ("\"venue\":\"Old Hall\"");
  past_type = make_type (past_event, "{\"name\":\"Free\",\"price\":0,\"capacity\":5}");
  publish (past_event);
  g_free (hold_id (b, past_event, past_type, 2));
  g_free (eva_test_sql (server->pg, "UPDATE events SET starts_at = now() - interval '2 days',"
                        " ends_at = now() - interval '1 day' WHERE id = $1::uuid RETURNING 1",
                        past_event, NULL));

  r = http_full (server, NULL, "GET", "/api/v1/me/tickets", b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 200);
  g_assert_cmpint (json_array_get_length (json_node_get_array (eva_test_json_get (r->json, "items"))), ==, 3);
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.event.id"), ==, event);
  g_assert_false (json_node_get_boolean (eva_test_json_get (r->json, "items.0.past")));
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.booking_id"), ==, first);
  g_assert_cmpstr (eva_test_json_string (r->json, "items.0.event.venue"), ==, "Großer Saal");
  g_assert_cmpstr (eva_test_json_string (r->json, "items.2.event.id"), ==, past_event);
  g_assert_true (json_node_get_boolean (eva_test_json_get (r->json, "items.2.past")));
  g_clear_pointer (&r, eva_test_response_free);

  r = eva_test_call (server, "GET", "/api/v1/me/tickets", NULL, NULL);
  g_assert_cmpuint (r->status, ==, 401);
}

/* The mail again: 202, then 429 with Retry-After for anyone asking within
 * two minutes; the organizer's resend too; a cancelled booking has none. */
static void
test_resend (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = venue_event (0, &type);
  g_autoptr(Buyer) b = make_buyer_on (server, "resend", TRUE);
  g_autoptr(Buyer) other = make_buyer_on (server, "resendother", TRUE);
  g_autofree char *email = buyer_email (b);
  g_autofree char *booking = hold_id (b, event, type, 1);
  g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/tickets/resend", booking);
  g_autofree char *admin_path = g_strdup_printf ("/api/v1/admin/bookings/%s/tickets/resend", booking);
  g_autoptr(EvaTestResponse) r = NULL;
  g_autoptr(JsonNode) mail = NULL;
  g_autofree char *dir = tmp_dir ();
  g_autofree char *eml = NULL;

  g_assert_cmpint (mails (email, "booking_confirmed"), ==, 1);

  /* Confirmation mailed just now: too soon. */
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 429, "too_many_attempts");
  g_assert_cmpint (g_ascii_strtoll (eva_test_header (r, "Retry-After"), NULL, 10), >, 100);
  g_clear_pointer (&r, eva_test_response_free);

  /* Two minutes later (the clock moved in SQL), once; again too soon. */
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET tickets_mailed_at = now() - interval '121 seconds'"
                        " WHERE id = $1::uuid RETURNING 1", booking, NULL));
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_status (r, 202);
  g_assert_true (json_node_get_boolean (eva_test_json_get (r->json, "queued")));
  g_clear_pointer (&r, eva_test_response_free);
  r = admin ("POST", admin_path, NULL);
  eva_test_assert_error (r, 429, "too_many_attempts");
  g_clear_pointer (&r, eva_test_response_free);
  g_assert_cmpint (mails (email, "booking_confirmed"), ==, 2);

  eml = mail_file (email, "booking_confirmed", 2);
  mail = python_json ("check-mail.py", eml, dir);
  g_assert_true (g_str_has_prefix (eva_test_json_string (mail, "subject"), "Your tickets for Concert"));
  g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "Here are your tickets"));

  /* Not theirs; not a booking. */
  r = http_full (server, NULL, "POST", path, other, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 404, "not_found");
  g_clear_pointer (&r, eva_test_response_free);

  /* The organizer, after the interval; then cancelled: nothing to send. */
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET tickets_mailed_at = now() - interval '121 seconds'"
                        " WHERE id = $1::uuid RETURNING 1", booking, NULL));
  r = admin ("POST", admin_path, NULL);
  eva_test_assert_status (r, 202);
  g_clear_pointer (&r, eva_test_response_free);
  {
    g_autofree char *cancel = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", booking);
    g_autoptr(EvaTestResponse) c = admin ("POST", cancel, NULL);

    eva_test_assert_status (c, 200);
  }
  g_free (eva_test_sql (server->pg, "UPDATE bookings SET tickets_mailed_at = NULL"
                        " WHERE id = $1::uuid RETURNING 1", booking, NULL));
  r = http_full (server, NULL, "POST", path, b, NULL, NULL, NULL, NULL);
  eva_test_assert_error (r, 409, "no_tickets");
  g_assert_cmpint (mails (email, "booking_confirmed"), ==, 3);
  rm_rf (dir);
}

/* Cancelled by the buyer or the organizer, refunded, the event moved or
 * cancelled: each a mail to the buyer, in their language, saying what
 * happens to the money; a hold let go of is no news. */
static void
test_change_mails (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = venue_event (2000, &type);
  g_autoptr(Buyer) a = make_buyer_on (server, "changea", TRUE);
  g_autoptr(Buyer) c = make_buyer_on (server, "changec", TRUE);
  g_autoptr(Buyer) h = make_buyer_on (server, "changeh", TRUE);
  g_autofree char *email_a = buyer_email (a);
  g_autofree char *email_c = buyer_email (c);
  g_autofree char *email_h = buyer_email (h);
  g_autofree char *booking_a = hold_id (a, event, type, 1);
  g_autofree char *booking_c = hold_id (c, event, type, 2);
  g_autofree char *booking_h = hold_id (h, event, type, 1);
  g_autofree char *dir = tmp_dir ();

  g_free (eva_test_sql (server->pg, "UPDATE attendees SET locale = 'de' WHERE id = $1::uuid RETURNING 1",
                        c->id, NULL));
  /* a: at the door, then paid at the door; c: at the door, unpaid. */
  for (guint i = 0; i < 2; i++)
    {
      const char *booking = i == 0 ? booking_a : booking_c;
      Buyer *buyer = i == 0 ? a : c;
      g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", booking);
      g_autoptr(EvaTestResponse) r = http_full (server, NULL, "POST", path, buyer, NULL, NULL, NULL,
                                                "{\"method\":\"at_door\"}");

      eva_test_assert_status (r, 200);
    }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", booking_a);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
    g_autofree char *body = g_strdup_printf ("{\"amount\":2000,\"paid_on\":\"%s\"}", today);
    g_autoptr(EvaTestResponse) r = admin ("POST", path, body);

    eva_test_assert_status (r, 200);
  }

  /* The buyer lets their hold go: no mail. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/me/bookings/%s/cancel", booking_h);
    g_autoptr(EvaTestResponse) r = http_full (server, NULL, "POST", path, h, NULL, NULL, NULL, NULL);

    eva_test_assert_status (r, 200);
    g_assert_cmpint (mails (email_h, "booking_cancelled"), ==, 0);
  }

  /* The event moves: both holders hear, with the new time. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", event);
    g_autoptr(EvaTestResponse) r = admin ("PATCH", path,
                                          "{\"starts_at\":\"2030-06-02T20:00:00+02:00\","
                                          "\"ends_at\":\"2030-06-02T23:30:00+02:00\"}");
    g_autoptr(EvaTestResponse) same = NULL;
    g_autoptr(JsonNode) mail = NULL;
    g_autofree char *eml = NULL;

    eva_test_assert_status (r, 200);
    g_assert_cmpint (mails (email_a, "event_moved"), ==, 1);
    eml = mail_file (email_c, "event_moved", 1);
    mail = python_json ("check-mail.py", eml, dir);
    g_assert_cmpstr (eva_test_json_string (mail, "tree"), ==, "multipart/alternative(text/plain,text/html)");
    g_assert_true (g_str_has_prefix (eva_test_json_string (mail, "subject"), "Neuer Termin oder Ort"));
    g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "2030-06-02 20:00"));
    g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "Ihre Tickets bleiben gültig"));

    /* A change that moves nothing (the title) mails nobody. */
    same = admin ("PATCH", path, "{\"title\":\"Renamed concert\"}");
    eva_test_assert_status (same, 200);
    g_assert_cmpint (mails (email_a, "event_moved"), ==, 1);
  }

  /* The organizer refunds a's payment (recorded: paid at the door). */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", booking_a);
    g_autoptr(EvaTestResponse) r = admin ("POST", path, "{\"amount\":500,\"note\":\"partial\"}");
    g_autoptr(JsonNode) mail = NULL;
    g_autofree char *eml = NULL;

    g_assert_cmpuint (r->status, <, 300);
    eml = mail_file (email_a, "booking_refunded", 1);
    mail = python_json ("check-mail.py", eml, dir);
    g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "5.00 EUR"));
  }

  /* The event is cancelled: a hears what they paid (€20.00 − €5.00 back)
   * comes back; c (unpaid, German) that nothing was charged. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/cancel", event);
    g_autoptr(EvaTestResponse) r = admin ("POST", path, NULL);
    g_autoptr(JsonNode) mail_a = NULL;
    g_autoptr(JsonNode) mail_c = NULL;
    g_autofree char *eml_a = NULL;
    g_autofree char *eml_c = NULL;

    eva_test_assert_status (r, 200);
    eml_a = mail_file (email_a, "event_cancelled", 1);
    mail_a = python_json ("check-mail.py", eml_a, dir);
    g_assert_nonnull (strstr (eva_test_json_string (mail_a, "text"), "You paid 15.00 EUR"));
    eml_c = mail_file (email_c, "event_cancelled", 1);
    mail_c = python_json ("check-mail.py", eml_c, dir);
    g_assert_true (g_str_has_prefix (eva_test_json_string (mail_c, "subject"), "Abgesagt:"));
    g_assert_nonnull (strstr (eva_test_json_string (mail_c, "text"), "wurde Ihnen nichts berechnet"));
  }

  /* The organizer cancels c's booking: c hears, in German. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", booking_c);
    g_autoptr(EvaTestResponse) r = admin ("POST", path, NULL);
    g_autoptr(JsonNode) mail = NULL;
    g_autofree char *eml = NULL;

    eva_test_assert_status (r, 200);
    eml = mail_file (email_c, "booking_cancelled", 1);
    mail = python_json ("check-mail.py", eml, dir);
    g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "Der Veranstalter hat Ihre Buchung"));
    g_assert_nonnull (strstr (eva_test_json_string (mail, "text"), "nichts berechnet"));
  }
  rm_rf (dir);
}

/* Bookings confirmed before tickets existed: a server that starts issues
 * their tickets (and mails those whose event is still to come) once. */
static void
test_backfill (void)
{
  g_autofree char *type = NULL;
  g_autofree char *event = venue_event (0, &type);
  g_autofree char *past_event = make_event (NULL);
  g_autofree char *past_type = make_type (past_event, "{\"name\":\"Free\",\"price\":0,\"capacity\":5}");
  g_autoptr(Buyer) b = make_buyer_on (server, "backfill", TRUE);
  g_autofree char *email = buyer_email (b);
  g_autofree char *coming = NULL;
  g_autofree char *past = NULL;
  EvaTestServer *second;
  gint64 deadline;

  publish (past_event);
  coming = hold_id (b, event, type, 2);
  past = hold_id (b, past_event, past_type, 1);
  g_free (eva_test_sql (server->pg, "UPDATE events SET starts_at = now() - interval '2 days',"
                        " ends_at = now() - interval '1 day' WHERE id = $1::uuid RETURNING 1",
                        past_event, NULL));
  g_assert_cmpint (mails (email, "booking_confirmed"), ==, 2);
  /* As if confirmed before migration 0007. */
  g_free (eva_test_sql (server->pg, "WITH d AS (DELETE FROM tickets WHERE booking_id IN ($1::uuid, $2::uuid)"
                        " RETURNING 1) SELECT count(*) FROM d", coming, past, NULL));
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM tickets WHERE booking_id = $1::uuid", coming), ==, 0);

  second = eva_test_server_start_on (server->dbname, NULL);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (sql_int (server->pg, "SELECT count(*) FROM tickets WHERE status = 'valid'"
                  " AND booking_id = $1::uuid", past) < 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM tickets WHERE status = 'valid'"
                            " AND booking_id = $1::uuid", coming), ==, 2);
  /* The coming event's tickets mailed; the past one's not. */
  g_assert_cmpint (mails (email, "booking_confirmed"), ==, 3);
  secondary_free (second);
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

  g_test_add_func ("/ticket-docs/mail", test_ticket_mail);
  g_test_add_func ("/ticket-docs/pdf-and-ics", test_pdf_and_ics_routes);
  g_test_add_func ("/ticket-docs/my-tickets", test_my_tickets);
  g_test_add_func ("/ticket-docs/resend", test_resend);
  g_test_add_func ("/ticket-docs/change-mails", test_change_mails);
  g_test_add_func ("/ticket-docs/backfill", test_backfill);

  ret = g_test_run ();
  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
