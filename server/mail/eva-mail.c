/* eva-mail.c: MIME rendering and delivery (SMTP through libcurl, or files)
 *
 * A mail is multipart/alternative with a text/plain and a text/html part,
 * both UTF-8 in quoted-printable, so no line is longer than 76 characters
 * whatever the payload holds. A mail whose payload holds tickets (the
 * ticket document of services/tickets.h) is
 *
 *   multipart/mixed
 *     multipart/related
 *       multipart/alternative (text/plain, text/html)
 *       image/png per ticket, its QR code, Content-ID <cid> (the HTML
 *         shows it as <img src="cid:…">)
 *     application/pdf   the tickets, one a page (attachment)
 *     text/calendar     the event (attachment)
 *
 * with the binary parts in base64. Header values that are not plain ASCII are
 * RFC 2047 encoded words (base64, split on character boundaries); long
 * headers are folded. Message-ID is derived from the outbox row's
 * message_id and Date from its created_at, so a retry sends a message
 * identical to the first attempt and receivers can drop duplicates.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-mail"

#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "eva-common.h"
#include "mail/eva-i18n.h"
#include "mail/eva-mail-private.h"
#include "mail/eva-ticket-pdf.h"

#define LINE_SOFT_MAX       78    /* RFC 5322 SHOULD */
#define QP_LINE_MAX         76    /* RFC 2045 MUST, including the soft break "=" */
#define WORD_BYTES          36    /* UTF-8 bytes per encoded word: 60 characters */
#define NAME_MAX_CHARS      200
#define SMTP_CONNECT_MS     10000
#define SMTP_TIMEOUT_MS     60000

/* ------------------------------------------------------------------ */
/* Headers                                                            */
/* ------------------------------------------------------------------ */

/* Valid UTF-8 on one line: control characters become spaces. */
static char *
header_text (const char *value)
{
  char *text = g_utf8_make_valid (value != NULL ? value : "", -1);

  for (char *c = text; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      *c = ' ';
  return text;
}

static gboolean
is_plain_ascii (const char *s)
{
  for (const char *c = s; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || (guchar) *c > 0x7e)
      return FALSE;
  /* Text that looks like an encoded word must be encoded itself. */
  return strstr (s, "=?") == NULL;
}

/* RFC 2047 "B" encoded words, never splitting a character, separated by
 * folding whitespace (which decoders drop between encoded words). */
static void
append_encoded_words (GString    *out,
                      const char *utf8)
{
  const char *p = utf8;

  while (*p != '\0')
    {
      const char *end = g_utf8_next_char (p);
      g_autofree char *base64 = NULL;

      while (*end != '\0' && g_utf8_next_char (end) - p <= WORD_BYTES)
        end = g_utf8_next_char (end);

      base64 = g_base64_encode ((const guchar *) p, end - p);
      if (p != utf8)
        g_string_append (out, "\r\n ");
      g_string_append_printf (out, "=?UTF-8?B?%s?=", base64);
      p = end;
    }
}

/* Plain ASCII, folded before a space where a line would pass 78. */
static void
append_folded (GString    *out,
               gsize       line_start,
               const char *ascii)
{
  g_auto(GStrv) words = g_strsplit (ascii, " ", -1);
  gsize column = out->len - line_start;

  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize len = strlen (words[i]);

      if (i > 0)
        {
          if (column + 1 + len > LINE_SOFT_MAX && column > 1)
            {
              g_string_append (out, "\r\n");
              column = 0;
            }
          g_string_append_c (out, ' ');
          column++;
        }
      g_string_append (out, words[i]);
      column += len;
    }
}

void
eva_mail_append_header (GString    *out,
                        const char *name,
                        const char *utf8_value)
{
  g_autofree char *value = header_text (utf8_value);
  gsize line_start = out->len;
  gboolean long_word = FALSE;
  g_auto(GStrv) words = NULL;

  g_string_append_printf (out, "%s: ", name);

  words = g_strsplit (value, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    long_word = long_word || strlen (words[i]) > LINE_SOFT_MAX - strlen (name) - 2;

  if (is_plain_ascii (value) && !long_word)
    append_folded (out, line_start, value);
  else
    append_encoded_words (out, value);
  g_string_append (out, "\r\n");
}

/* An address with an ASCII (IDNA) domain; the local part as it is. */
static char *
ascii_address (const char *address)
{
  const char *at = strrchr (address, '@');
  g_autofree char *domain = NULL;
  g_autofree char *local = NULL;

  if (at == NULL)
    return g_strdup (address);
  domain = g_hostname_to_ascii (at + 1);
  local = g_strndup (address, at - address);
  return g_strconcat (local, "@", domain != NULL ? domain : at + 1, NULL);
}

static gboolean
is_atext_phrase (const char *s)
{
  for (const char *c = s; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr (" !#$%&'*+-/=?^_`{|}~", *c) == NULL)
      return FALSE;
  return *s != '\0';
}

/* To: "Name" <address>, the name as atoms, a quoted string or encoded
 * words, as its characters require. */
static void
append_to (GString    *out,
           const char *name,
           const char *address)
{
  g_autofree char *text = header_text (name);
  g_autofree char *ascii = ascii_address (address);

  g_strstrip (text);
  if (g_utf8_strlen (text, -1) > NAME_MAX_CHARS)
    {
      char *cut = g_utf8_substring (text, 0, NAME_MAX_CHARS);

      g_free (text);
      text = cut;
    }

  g_string_append (out, "To: ");
  if (*text == '\0')
    g_string_append (out, ascii);
  else
    {
      if (!is_plain_ascii (text))
        append_encoded_words (out, text);
      else if (is_atext_phrase (text) && strstr (text, "  ") == NULL)
        g_string_append (out, text);
      else
        {
          g_string_append_c (out, '"');
          for (const char *c = text; *c != '\0'; c++)
            {
              if (*c == '"' || *c == '\\')
                g_string_append_c (out, '\\');
              g_string_append_c (out, *c);
            }
          g_string_append_c (out, '"');
        }
      g_string_append_printf (out, "\r\n <%s>", ascii);
    }
  g_string_append (out, "\r\n");
}

static void
append_date (GString *out,
             gint64   unix_time)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (unix_time);

  if (t == NULL)
    t = g_date_time_new_now_utc ();

  /* Not g_date_time_format (): day and month names must be English
   * whatever the process locale is. */
  g_string_append_printf (out, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n",
                          days[g_date_time_get_day_of_week (t) - 1],
                          g_date_time_get_day_of_month (t),
                          months[g_date_time_get_month (t) - 1],
                          g_date_time_get_year (t),
                          g_date_time_get_hour (t),
                          g_date_time_get_minute (t),
                          g_date_time_get_second (t));
}

/* Letters, digits and "-._" only: the row's message_id is a UUID. */
static char *
id_text (const char *s)
{
  char *text = g_strdup (s != NULL && *s != '\0' ? s : "none");

  for (char *c = text; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '.' && *c != '_')
      *c = '_';
  return text;
}

/* ------------------------------------------------------------------ */
/* Bodies                                                             */
/* ------------------------------------------------------------------ */

static gboolean
qp_needs_encoding (const char *p,
                   gsize       remaining,
                   gboolean    start_of_line)
{
  guchar c = *p;

  if (c == '=' || c > 0x7e || (c < 0x20 && c != '\t'))
    return TRUE;
  /* Trailing white space would be lost in transport. */
  if ((c == ' ' || c == '\t') && remaining == 1)
    return TRUE;
  /* A lone "." line ends SMTP DATA; "From " lines get mangled in mboxes. */
  return start_of_line &&
         (c == '.' || (remaining >= 5 && strncmp (p, "From ", 5) == 0));
}

void
eva_mail_append_qp (GString    *out,
                    const char *text)
{
  static const char hex[] = "0123456789ABCDEF";
  const char *p = text;

  while (*p != '\0')
    {
      const char *eol = strchr (p, '\n');
      gsize len = eol != NULL ? (gsize) (eol - p) : strlen (p);
      gsize column = 0;

      if (len > 0 && p[len - 1] == '\r')
        len--;

      for (gsize i = 0; i < len; i++)
        {
          guchar c = p[i];
          gboolean last = i + 1 == len;
          gboolean encode = qp_needs_encoding (p + i, len - i, column == 0);
          gsize width = encode ? 3 : 1;

          /* Room for the soft break "=" unless this is the line's end. */
          if (column + width > (last ? QP_LINE_MAX : QP_LINE_MAX - 1))
            {
              g_string_append (out, "=\r\n");
              column = 0;
              encode = qp_needs_encoding (p + i, len - i, TRUE);
              width = encode ? 3 : 1;
            }

          if (encode)
            {
              g_string_append_c (out, '=');
              g_string_append_c (out, hex[c >> 4]);
              g_string_append_c (out, hex[c & 0xf]);
            }
          else
            g_string_append_c (out, c);
          column += width;
        }

      g_string_append (out, "\r\n");
      if (eol == NULL)
        break;
      p = eol + 1;
    }
}

static void
append_part (GString    *out,
             const char *boundary,
             const char *type,
             const char *body)
{
  g_string_append_printf (out,
                          "--%s\r\n"
                          "Content-Type: %s; charset=UTF-8\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "\r\n", boundary, type);
  eva_mail_append_qp (out, body);
}

/* Base64 in lines of 76 characters (RFC 2045). */
static void
append_base64 (GString      *out,
               const guint8 *data,
               gsize         size)
{
  g_autofree char *base64 = g_base64_encode (data, size);
  gsize len = strlen (base64);

  for (gsize i = 0; i < len; i += QP_LINE_MAX)
    {
      g_string_append_len (out, base64 + i, MIN (QP_LINE_MAX, len - i));
      g_string_append (out, "\r\n");
    }
}

/* A binary part: @headers (each ending in CRLF) then the body in base64. */
static void
append_binary (GString    *out,
               const char *boundary,
               const char *headers,
               GBytes     *body)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (body, &size);

  g_string_append_printf (out, "--%s\r\n%sContent-Transfer-Encoding: base64\r\n\r\n",
                          boundary, headers);
  append_base64 (out, data, size);
}

/* Content-ID values come from the payload: keep them to id characters. */
static gboolean
valid_cid (const char *cid)
{
  if (cid == NULL || *cid == '\0' || strlen (cid) > 200)
    return FALSE;
  for (const char *c = cid; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("-._@", *c) == NULL)
      return FALSE;
  return TRUE;
}

static JsonArray *
payload_tickets (JsonObject *payload)
{
  JsonNode *node = payload != NULL ? json_object_get_member (payload, "tickets") : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (json_node_get_array (node)) == 0)
    return NULL;
  return json_node_get_array (node);
}

/* The related part's images and the mixed part's attachments of a ticket
 * mail, after the alternative part. */
static gboolean
append_ticket_parts (GString              *out,
                     const EvaMailInput   *in,
                     JsonArray            *tickets,
                     const char           *related,
                     const char           *mixed,
                     const char           *host,
                     GError              **error)
{
  g_autoptr(GBytes) pdf = NULL;
  g_autoptr(GBytes) ics = NULL;
  g_autofree char *headers = NULL;
  JsonNode *node;
  const char *reference = "";

  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      const char *cid, *code;
      g_autoptr(GBytes) png = NULL;
      g_autofree char *part = NULL;

      if (ticket == NULL)
        continue;
      cid = json_object_get_string_member_with_default (ticket, "cid", NULL);
      code = json_object_get_string_member_with_default (ticket, "code", NULL);
      if (!valid_cid (cid) || code == NULL)
        {
          g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "a ticket without a code or content id");
          return FALSE;
        }
      png = eva_qr_png (code, 6, error);
      if (png == NULL)
        return FALSE;
      part = g_strdup_printf ("Content-Type: image/png; name=\"ticket-%u.png\"\r\n"
                              "Content-ID: <%s>\r\n"
                              "Content-Disposition: inline; filename=\"ticket-%u.png\"\r\n",
                              i + 1, cid, i + 1);
      append_binary (out, related, part, png);
    }
  g_string_append_printf (out, "--%s--\r\n", related);

  pdf = eva_ticket_pdf (in->payload, in->locale, eva_paper_for_locale (in->locale), error);
  if (pdf == NULL)
    return FALSE;
  node = json_object_get_member (in->payload, "booking_reference");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    reference = json_node_get_string (node);
  {
    g_autofree char *name = id_text (reference);

    headers = g_strdup_printf ("Content-Type: application/pdf; name=\"tickets-%s.pdf\"\r\n"
                               "Content-Disposition: attachment; filename=\"tickets-%s.pdf\"\r\n",
                               name, name);
  }
  append_binary (out, mixed, headers, pdf);

  if (json_object_has_member (in->payload, "event_id"))
    {
      char *text = eva_ticket_ics (in->payload, host, in->created_at);

      ics = g_bytes_new_take (text, strlen (text));
      append_binary (out, mixed,
                     "Content-Type: text/calendar; charset=UTF-8; method=PUBLISH; name=\"event.ics\"\r\n"
                     "Content-Disposition: attachment; filename=\"event.ics\"\r\n", ics);
    }
  g_string_append_printf (out, "--%s--\r\n", mixed);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */
/* ------------------------------------------------------------------ */

EvaMail *
eva_mail_render (const EvaMailInput  *in,
                 const char          *from,
                 GError             **error)
{
  g_autoptr(EvaMail) mail = g_new0 (EvaMail, 1);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *id = id_text (in->message_id);
  g_autofree char *sender = ascii_address (from);
  g_autofree char *boundary = g_strconcat ("=_everato_", id, NULL);
  g_autofree char *related = g_strconcat ("=_everato_r_", id, NULL);
  g_autofree char *mixed = g_strconcat ("=_everato_m_", id, NULL);
  const char *domain = strrchr (sender, '@');
  const char *language = eva_i18n_language (in->locale);
  JsonArray *tickets = payload_tickets (in->payload);

  g_return_val_if_fail (in->to_address != NULL && in->template_name != NULL, NULL);

  if (!_eva_mail_template_render (in->template_name, in->locale, in->payload,
                                  &mail->subject, &mail->text, &mail->html, error))
    return NULL;

  mail->message_id = g_strdup_printf ("<%s@%s>", id,
                                      domain != NULL ? domain + 1 : "everato.invalid");

  append_date (out, in->created_at);
  g_string_append_printf (out, "From: %s\r\n", sender);
  append_to (out, in->to_name, in->to_address);
  eva_mail_append_header (out, "Subject", mail->subject);
  g_string_append_printf (out, "Message-ID: %s\r\n", mail->message_id);
  g_string_append (out, "MIME-Version: 1.0\r\n");
  g_string_append_printf (out, "Content-Language: %s\r\n", language);
  g_string_append (out, "Auto-Submitted: auto-generated\r\n");
  if (tickets != NULL)
    g_string_append_printf (out, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n"
                            "\r\n"
                            "--%s\r\n"
                            "Content-Type: multipart/related; type=\"multipart/alternative\";\r\n"
                            " boundary=\"%s\"\r\n"
                            "\r\n"
                            "--%s\r\n",
                            mixed, mixed, related, related);
  g_string_append_printf (out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n",
                          boundary);
  g_string_append (out, "\r\n");

  /* The boundaries start with "=_", which quoted-printable and base64
   * never produce. */
  append_part (out, boundary, "text/plain", mail->text);
  append_part (out, boundary, "text/html", mail->html);
  g_string_append_printf (out, "--%s--\r\n", boundary);
  if (tickets != NULL &&
      !append_ticket_parts (out, in, tickets, related, mixed,
                            domain != NULL ? domain + 1 : "everato.invalid", error))
    return NULL;

  mail->message = g_string_free_to_bytes (g_steal_pointer (&out));
  return g_steal_pointer (&mail);
}

void
eva_mail_free (EvaMail *mail)
{
  if (mail == NULL)
    return;
  g_free (mail->subject);
  g_free (mail->text);
  g_free (mail->html);
  g_free (mail->message_id);
  g_clear_pointer (&mail->message, g_bytes_unref);
  g_free (mail);
}

/* ------------------------------------------------------------------ */
/* SMTP                                                               */
/* ------------------------------------------------------------------ */

struct _EvaSmtp
{
  CURL *curl;
  char *url;
  char *from;
  gboolean require_tls;
  char  errbuf[CURL_ERROR_SIZE];
};

typedef struct
{
  const char *data;
  gsize       size;
  gsize       offset;
} Upload;

static size_t
upload_read_cb (char   *buffer,
                size_t  size,
                size_t  n_items,
                void   *user_data)
{
  Upload *upload = user_data;
  gsize n = MIN (size * n_items, upload->size - upload->offset);

  memcpy (buffer, upload->data + upload->offset, n);
  upload->offset += n;
  return n;
}

EvaSmtp *
eva_smtp_new (const char *url,
              const char *from,
              gboolean    require_tls)
{
  EvaSmtp *smtp = g_new0 (EvaSmtp, 1);

  smtp->require_tls = require_tls;
  smtp->curl = curl_easy_init ();
  smtp->url = g_strdup (url);
  smtp->from = g_strdup_printf ("<%s>", from);
  g_assert (smtp->curl != NULL);
  return smtp;
}

gboolean
eva_smtp_send (EvaSmtp     *smtp,
               const char  *to_address,
               GBytes      *message,
               GError     **error)
{
  g_autofree char *ascii = ascii_address (to_address);
  g_autofree char *rcpt = g_strdup_printf ("<%s>", ascii);
  struct curl_slist *recipients = curl_slist_append (NULL, rcpt);
  Upload upload = { 0 };
  CURL *curl = smtp->curl;
  CURLcode code;
  long reply = 0;

  upload.data = g_bytes_get_data (message, &upload.size);
  smtp->errbuf[0] = '\0';

  /* The same handle every time, so libcurl can reuse the connection. */
  curl_easy_setopt (curl, CURLOPT_URL, smtp->url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  /* smtp://: STARTTLS, required (EVERATO_SMTP_TLS, by default whenever the
   * URL has credentials) or when the server offers it; smtps:// is TLS
   * anyway. */
  curl_easy_setopt (curl, CURLOPT_USE_SSL,
                    (long) (smtp->require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  curl_easy_setopt (curl, CURLOPT_MAIL_FROM, smtp->from);
  curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (curl, CURLOPT_READFUNCTION, upload_read_cb);
  curl_easy_setopt (curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) upload.size);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) SMTP_CONNECT_MS);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) SMTP_TIMEOUT_MS);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, smtp->errbuf);

  code = curl_easy_perform (curl);

  curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, NULL);
  curl_easy_setopt (curl, CURLOPT_READDATA, NULL);
  curl_slist_free_all (recipients);

  if (code == CURLE_OK)
    return TRUE;

  /* The URL (with its password) is never part of the message. */
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &reply);
  if (reply != 0)
    g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE, "SMTP: %s (server reply %ld)",
                 smtp->errbuf[0] != '\0' ? smtp->errbuf : curl_easy_strerror (code), reply);
  else
    g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE, "SMTP: %s",
                 smtp->errbuf[0] != '\0' ? smtp->errbuf : curl_easy_strerror (code));
  return FALSE;
}

void
eva_smtp_free (EvaSmtp *smtp)
{
  if (smtp == NULL)
    return;
  curl_easy_cleanup (smtp->curl);
  g_free (smtp->url);
  g_free (smtp->from);
  g_free (smtp);
}

/* ------------------------------------------------------------------ */
/* Files                                                              */
/* ------------------------------------------------------------------ */

char *
eva_mail_write_file (const char  *dir,
                     gint64       id,
                     GBytes      *message,
                     GError     **error)
{
  g_autofree char *name = g_strdup_printf ("%" G_GINT64_FORMAT ".eml", id);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gsize size;
  const char *data = g_bytes_get_data (message, &size);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE, "cannot create %s: %s",
                   dir, g_strerror (saved));
      return NULL;
    }

  /* CONSISTENT: a temporary file renamed into place, so a reader never
   * sees half a message. */
  if (!g_file_set_contents_full (path, data, size, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, error))
    return NULL;
  return g_steal_pointer (&path);
}
