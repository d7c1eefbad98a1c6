/* ticket-mail.c: benchmark P6 — the complete ticket mail, rendered and
 * delivered, on one core
 *
 *   eva-bench-ticket-mail --smtp smtp://127.0.0.1:PORT [--bookings N]
 *
 * For N bookings of two tickets each, on this one thread:
 *   1. the cost split, each stage alone and timed over all N bookings:
 *      sign (two Ed25519 ticket codes), QR (two PNGs), PDF (the two-page
 *      ticket PDF), MIME (the whole message minus its QR and PDF: templates,
 *      quoted-printable, base64, the calendar file), SMTP (delivering the
 *      finished messages to the receiver over one kept-open connection);
 *   2. end to end: sign + render (QR, PDF, MIME) + deliver each mail, as
 *      mails per second: once on this one thread, one mail after the
 *      other, and once the way the outbox delivers, with --workers threads
 *      (each its own SMTP connection) taking turns on the same core, so
 *      one renders while another waits for the receiver. bench/ticket-mail
 *      pins the process to one core and the receiver to another.
 *
 * It prints one line per stage (ms per mail) and the end-to-end rate.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "eva-common.h"
#include "mail/eva-mail.h"
#include "mail/eva-ticket-pdf.h"

typedef struct
{
  JsonObject *payload;
  char       *message_id;
} Booking;

typedef struct
{
  const char   *smtp_url;
  const guint8 *secret;
  const char   *key_id;
  gint          next;        /* atomic: the next booking to mail */
  gint          bookings;
} Run;

static double
now_s (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

static char *
sign_code (const guint8 *secret,
           const char   *key_id,
           guint         n)
{
  EvaTicketCode code = { .version = EVA_TICKET_CODE_VERSION, .issued_at = 1900000000 + n };

  g_strlcpy (code.key_id, key_id, sizeof code.key_id);
  randombytes_buf (code.ticket_id, sizeof code.ticket_id);
  randombytes_buf (code.event_id, sizeof code.event_id);
  randombytes_buf (code.ticket_type_id, sizeof code.ticket_type_id);
  return eva_ticket_code_sign (&code, secret);
}

/* A booking's mail payload, as services/notify.c builds it. */
static JsonObject *
payload_new (guint i,
             char  *codes[2])
{
  JsonObject *p = json_object_new ();
  JsonArray *tickets = json_array_new ();
  g_autofree char *reference = g_strdup_printf ("%08X", i);
  g_autofree char *name = g_strdup_printf ("Attendee %u", i);

  json_object_set_string_member (p, "name", name);
  json_object_set_string_member (p, "event", "Sommerkonzert im Park");
  json_object_set_string_member (p, "amount", "50.00 EUR");
  json_object_set_string_member (p, "refunded", "0.00 EUR");
  json_object_set_string_member (p, "reference", reference);
  json_object_set_string_member (p, "booking_reference", reference);
  json_object_set_string_member (p, "details", "");
  json_object_set_string_member (p, "deadline", "");
  json_object_set_string_member (p, "link", "https://tickets.example.org/bookings/x");
  json_object_set_string_member (p, "tickets_link", "https://tickets.example.org/tickets");
  json_object_set_string_member (p, "url", "https://tickets.example.org/e/sommerkonzert");
  json_object_set_string_member (p, "unpaid", "");
  json_object_set_string_member (p, "paid", "");
  json_object_set_string_member (p, "has_tickets", "yes");
  json_object_set_string_member (p, "starts", "2030-06-01 19:00");
  json_object_set_string_member (p, "when", "2030-06-01 19:00 – 23:00 (Europe/Berlin)");
  json_object_set_string_member (p, "timezone", "Europe/Berlin");
  json_object_set_string_member (p, "venue", "Großer Saal");
  json_object_set_string_member (p, "address", "Am Markt 1, 04109 Leipzig");
  json_object_set_string_member (p, "event_id", "0b7e6a52-0000-4000-8000-000000000001");
  json_object_set_string_member (p, "slug", "sommerkonzert");
  json_object_set_int_member (p, "starts_at", 1906563600);
  json_object_set_int_member (p, "ends_at", 1906578000);
  json_object_set_int_member (p, "ticket_count", 2);
  for (guint t = 0; t < 2; t++)
    {
      JsonObject *ticket = json_object_new ();
      g_autofree char *cid = g_strdup_printf ("ticket-%u-%u@everato", i, t);

      json_object_set_string_member (ticket, "code", codes[t]);
      json_object_set_string_member (ticket, "type", "Parkett");
      json_object_set_string_member (ticket, "holder", t == 0 ? "Ada Lovelace" : "");
      json_object_set_string_member (ticket, "price", "25.00 EUR");
      json_object_set_int_member (ticket, "number", t + 1);
      json_object_set_string_member (ticket, "cid", cid);
      json_array_add_object_element (tickets, ticket);
    }
  json_object_set_array_member (p, "tickets", tickets);
  return p;
}

static GBytes *render (Booking     *b,
                       guint        i,
                       const char  *locale);

/* One booking end to end: sign, render, deliver. */
static void
mail_one (EvaSmtp      *smtp,
          const guint8 *secret,
          const char   *key_id,
          int           i)
{
  g_autoptr(GError) error = NULL;
  char *codes[2] = { sign_code (secret, key_id, 2 * i), sign_code (secret, key_id, 2 * i + 1) };
  Booking one = { payload_new (i, codes), g_strdup_printf ("e2e-%d", i) };
  g_autoptr(GBytes) m = render (&one, i, i % 2 ? "de" : "en");

  if (!eva_smtp_send (smtp, "attendee@example.org", m, &error))
    g_error ("SMTP: %s", error->message);
  json_object_unref (one.payload);
  g_free (one.message_id);
  g_free (codes[0]);
  g_free (codes[1]);
}

static gpointer
worker (gpointer data)
{
  Run *run = data;
  g_autoptr(EvaSmtp) smtp = eva_smtp_new (run->smtp_url, "tickets@example.org", FALSE);
  int i;

  while ((i = g_atomic_int_add (&run->next, 1)) < run->bookings)
    mail_one (smtp, run->secret, run->key_id, i);
  return NULL;
}

static GBytes *
render (Booking     *b,
        guint        i,
        const char  *locale)
{
  g_autoptr(GError) error = NULL;
  EvaMailInput in = {
    .id = i, .to_address = "attendee@example.org", .to_name = "Ada Lovelace",
    .locale = locale, .template_name = "booking_confirmed", .payload = b->payload,
    .message_id = b->message_id, .created_at = 1900000000,
  };
  g_autoptr(EvaMail) mail = eva_mail_render (&in, "tickets@example.org", &error);

  if (mail == NULL)
    g_error ("render: %s", error->message);
  return g_bytes_ref (mail->message);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *smtp_url = NULL;
  int bookings = 300;
  int workers = 4;
  GOptionEntry entries[] = {
    { "workers", 0, 0, G_OPTION_ARG_INT, &workers, "Delivery threads for the second run", "N" },
    { "smtp", 0, 0, G_OPTION_ARG_STRING, &smtp_url, "SMTP receiver URL", "URL" },
    { "bookings", 0, 0, G_OPTION_ARG_INT, &bookings, "Bookings (two tickets each)", "N" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark P6: the ticket mail");
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaSmtp) smtp = NULL;
  guint8 public_key[crypto_sign_PUBLICKEYBYTES], secret[crypto_sign_SECRETKEYBYTES];
  char key_id[EVA_TICKET_KEY_ID_LEN + 1];
  g_autofree Booking *b = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  double t0, t_sign, t_qr, t_pdf, t_render, t_smtp, t_total, t_workers;
  gsize bytes = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || smtp_url == NULL || bookings < 1)
    {
      g_printerr ("usage: %s --smtp smtp://127.0.0.1:PORT [--bookings N]\n", argv[0]);
      return 2;
    }
  eva_common_init ();
  /* As server/main.c does. */
  mallopt (M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  crypto_sign_keypair (public_key, secret);
  eva_ticket_key_id_from_public_key (public_key, key_id);
  smtp = eva_smtp_new (smtp_url, "tickets@example.org", FALSE);
  b = g_new0 (Booking, bookings);

  /* Warm up: fonts, templates, catalogs, the connection. */
  {
    char *codes[2] = { sign_code (secret, key_id, 0), sign_code (secret, key_id, 1) };
    Booking w = { payload_new (0, codes), g_strdup ("warm-up") };
    g_autoptr(GBytes) m = render (&w, 0, "de");

    if (!eva_smtp_send (smtp, "attendee@example.org", m, &error))
      g_error ("SMTP: %s", error->message);
    json_object_unref (w.payload);
    g_free (w.message_id);
    g_free (codes[0]);
    g_free (codes[1]);
  }

  /* 1. The split. */
  t0 = now_s ();
  for (int i = 0; i < bookings; i++)
    {
      char *codes[2] = { sign_code (secret, key_id, 2 * i), sign_code (secret, key_id, 2 * i + 1) };

      b[i].payload = payload_new (i, codes);
      b[i].message_id = g_strdup_printf ("bench-%d", i);
      g_free (codes[0]);
      g_free (codes[1]);
    }
  t_sign = now_s () - t0;   /* includes building the payload: a few µs */

  t0 = now_s ();
  for (int i = 0; i < bookings; i++)
    {
      JsonArray *tickets = json_object_get_array_member (b[i].payload, "tickets");

      for (guint t = 0; t < 2; t++)
        {
          const char *code = json_object_get_string_member (json_array_get_object_element (tickets, t), "code");
          g_autoptr(GBytes) png = eva_qr_png (code, 6, &error);

          g_assert (png != NULL);
        }
    }
  t_qr = now_s () - t0;

  t0 = now_s ();
  for (int i = 0; i < bookings; i++)
    {
      g_autoptr(GBytes) pdf = eva_ticket_pdf (b[i].payload, i % 2 ? "de" : "en", EVA_PAPER_A4, &error);

      g_assert (pdf != NULL);
    }
  t_pdf = now_s () - t0;

  t0 = now_s ();
  for (int i = 0; i < bookings; i++)
    {
      GBytes *m = render (&b[i], i, i % 2 ? "de" : "en");

      bytes += g_bytes_get_size (m);
      g_ptr_array_add (messages, m);
    }
  t_render = now_s () - t0;

  t0 = now_s ();
  for (int i = 0; i < bookings; i++)
    if (!eva_smtp_send (smtp, "attendee@example.org", g_ptr_array_index (messages, i), &error))
      g_error ("SMTP: %s", error->message);
  t_smtp = now_s () - t0;

  /* 2. End to end, one mail after the other; then with workers. */
  t0 = now_s ();
  for (int i = 0; i < bookings; i++)
    mail_one (smtp, secret, key_id, i);
  t_total = now_s () - t0;

  {
    Run run = { .smtp_url = smtp_url, .secret = secret, .key_id = key_id, .bookings = bookings };
    g_autoptr(GPtrArray) threads = g_ptr_array_new ();

    t0 = now_s ();
    for (int w = 0; w < workers; w++)
      g_ptr_array_add (threads, g_thread_new ("worker", worker, &run));
    for (guint w = 0; w < threads->len; w++)
      g_thread_join (g_ptr_array_index (threads, w));
    t_workers = now_s () - t0;
  }

  printf ("bookings: %d (2 tickets each), message size: %.1f KiB average\n",
          bookings, bytes / 1024.0 / bookings);
  printf ("split, ms per mail:\n");
  printf ("  sign (2 codes)        %7.3f\n", t_sign * 1000 / bookings);
  printf ("  QR (2 PNGs)           %7.3f\n", t_qr * 1000 / bookings);
  printf ("  PDF (2 pages)         %7.3f\n", t_pdf * 1000 / bookings);
  printf ("  MIME (rest of render) %7.3f\n", (t_render - t_qr - t_pdf) * 1000 / bookings);
  printf ("  SMTP (deliver)        %7.3f\n", t_smtp * 1000 / bookings);
  printf ("end to end, one thread, one mail after the other: %.1f mails/s\n", bookings / t_total);
  printf ("end to end, %d delivery threads on the same core: %.1f mails/s (target >= 200)\n",
          workers, bookings / t_workers);

  for (int i = 0; i < bookings; i++)
    {
      json_object_unref (b[i].payload);
      g_free (b[i].message_id);
    }
  sodium_memzero (secret, sizeof secret);
  return 0;
}
