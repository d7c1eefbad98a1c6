/* test-outbox.c: the email outbox — rendering, translations, delivery
 * through a real SMTP server (tests/smtp-receiver.py), the .eml fallback,
 * retries and dead mail, leases, an SMTP outage, two servers sharing one
 * queue, and the admin routes
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "eva-test.h"
#include "eva-common.h"
#include "mail/eva-i18n.h"
#include "mail/eva-mail.h"
#include "mail/eva-outbox.h"

#define FROM        "tickets@everato.test"
#define WAIT_MS     20000

/* Asserts the first value a query returns; params end with NULL. */
#define assert_sql(server, expected, ...) G_STMT_START {                  \
    g_autofree char *value_ = eva_test_sql ((server)->pg, __VA_ARGS__);  \
    g_assert_cmpstr (value_, ==, (expected));                            \
  } G_STMT_END

/* ------------------------------------------------------------------ */
/* The SMTP receiver                                                  */
/* ------------------------------------------------------------------ */

typedef struct
{
  GSubprocess *proc;
  char        *dir;
  guint16      port;
} Receiver;


static Receiver *
receiver_start (const char *dir,
                guint16     port,
                const char *auth)
{
  Receiver *r = g_new0 (Receiver, 1);
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "tests",
                                              "smtp-receiver.py", NULL);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  guint64 value = 0;

  r->dir = g_strdup (dir);
  /* Its stdin is a pipe from us: it exits when we do, even on a crash. */
  r->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE,
                              &error, eva_test_python (), script,
                              "--dir", dir, "--port", port_text,
                              auth != NULL ? "--auth" : NULL, auth, NULL);
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

  if (r == NULL)
    return;
  g_subprocess_send_signal (r->proc, SIGTERM);
  g_subprocess_wait (r->proc, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (r->proc);
  g_free (r->dir);
  g_free (r);
}

/* The received messages, sorted by file name. */
static GPtrArray *
received (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".eml") && name[0] != '.')
      g_ptr_array_add (names, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      char *text = NULL;

      g_assert_true (g_file_get_contents (g_ptr_array_index (names, i), &text, NULL, NULL));
      g_ptr_array_add (messages, text);
    }
  return messages;
}

/* ------------------------------------------------------------------ */
/* Parsing what arrived                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  GHashTable *headers;      /* lower-case name → unfolded value */
  char       *text;
  char       *html;
  GHashTable *text_headers;
  GHashTable *html_headers;
} Mail;

static void
mail_free (Mail *m)
{
  g_hash_table_unref (m->headers);
  g_clear_pointer (&m->text_headers, g_hash_table_unref);
  g_clear_pointer (&m->html_headers, g_hash_table_unref);
  g_free (m->text);
  g_free (m->html);
  g_free (m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mail, mail_free)

/* Splits "headers CRLF CRLF body"; returns the body. */
static const char *
parse_headers (const char *message,
               GHashTable *headers)
{
  const char *end = strstr (message, "\r\n\r\n");
  g_autofree char *head = NULL;
  g_auto(GStrv) lines = NULL;
  GString *current = NULL;

  g_assert_nonnull (end);
  head = g_strndup (message, end - message);
  lines = g_strsplit (head, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (lines[i]), <=, 998);
      g_assert_null (strchr (lines[i], '\n'));
      if (lines[i][0] == ' ' || lines[i][0] == '\t')
        {
          g_assert_nonnull (current);
          g_string_append (current, lines[i]);   /* unfolding keeps the blank */
          continue;
        }
      {
        const char *colon = strchr (lines[i], ':');
        g_autofree char *name = NULL;

        g_assert_nonnull (colon);
        name = g_ascii_strdown (lines[i], colon - lines[i]);
        g_assert_false (g_hash_table_contains (headers, name));
        current = g_string_new (colon + 1);
        g_hash_table_insert (headers, g_steal_pointer (&name), current);
      }
    }
  return end + 4;
}

static void
string_free (gpointer s)
{
  g_string_free (s, TRUE);
}

static GHashTable *
headers_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, string_free);
}

static const char *
header (GHashTable *headers,
        const char *name)
{
  GString *value = g_hash_table_lookup (headers, name);

  if (value == NULL)
    return NULL;
  /* Trim the blank after the colon, once. */
  while (value->len > 0 && value->str[0] == ' ')
    g_string_erase (value, 0, 1);
  return value->str;
}

static int
hex_value (char c)
{
  return g_ascii_xdigit_value (c);
}

/* Quoted-printable to UTF-8 with \n line ends; checks the line lengths. */
static char *
decode_qp (const char *body)
{
  GString *out = g_string_new (NULL);
  g_auto(GStrv) lines = g_strsplit (body, "\r\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gsize len = strlen (line);
      gboolean soft = len > 0 && line[len - 1] == '=';

      g_assert_cmpuint (len, <=, 76);
      for (gsize j = 0; j < len - (soft ? 1 : 0); j++)
        {
          g_assert_cmpint ((guchar) line[j], <, 0x80);
          if (line[j] == '=')
            {
              g_assert_cmpint (hex_value (line[j + 1]), >=, 0);
              g_assert_cmpint (hex_value (line[j + 2]), >=, 0);
              g_string_append_c (out, hex_value (line[j + 1]) * 16 + hex_value (line[j + 2]));
              j += 2;
            }
          else
            g_string_append_c (out, line[j]);
        }
      if (!soft && lines[i + 1] != NULL)
        g_string_append_c (out, '\n');
    }
  g_assert_true (g_utf8_validate (out->str, -1, NULL));
  return g_string_free (out, FALSE);
}

/* RFC 2047: encoded words (B or Q) decoded, blanks between them dropped. */
static char *
decode_words (const char *value)
{
  GString *out = g_string_new (NULL);
  const char *p = value;
  gboolean after_word = FALSE;

  while (*p != '\0')
    {
      const char *start = strstr (p, "=?");
      const char *q1, *q2, *end;
      g_autofree char *charset = NULL;
      g_autofree char *text = NULL;

      if (start == NULL ||
          (q1 = strchr (start + 2, '?')) == NULL || (q2 = strchr (q1 + 1, '?')) == NULL ||
          (end = strstr (q2 + 1, "?=")) == NULL)
        {
          g_string_append (out, p);
          break;
        }
      /* Only white space between two encoded words is dropped. */
      if (!after_word || strspn (p, " \t") != (gsize) (start - p))
        g_string_append_len (out, p, start - p);

      charset = g_ascii_strup (start + 2, q1 - start - 2);
      g_assert_cmpstr (charset, ==, "UTF-8");
      text = g_strndup (q2 + 1, end - q2 - 1);
      if (g_ascii_toupper (q1[1]) == 'B')
        {
          gsize len;
          g_autofree guchar *raw = g_base64_decode (text, &len);

          g_string_append_len (out, (const char *) raw, len);
        }
      else
        for (const char *c = text; *c != '\0'; c++)
          if (*c == '_')
            g_string_append_c (out, ' ');
          else if (*c == '=')
            {
              g_string_append_c (out, hex_value (c[1]) * 16 + hex_value (c[2]));
              c += 2;
            }
          else
            g_string_append_c (out, *c);

      g_assert_cmpuint (end + 2 - start, <=, 75);
      after_word = TRUE;
      p = end + 2;
    }
  return g_string_free (out, FALSE);
}

static Mail *
parse_mail (const char *message)
{
  Mail *m = g_new0 (Mail, 1);
  const char *body;
  const char *type;
  const char *b;
  g_autofree char *boundary = NULL;
  g_autofree char *delimiter = NULL;
  g_auto(GStrv) parts = NULL;

  m->headers = headers_new ();
  body = parse_headers (message, m->headers);
  type = header (m->headers, "content-type");
  g_assert_nonnull (type);
  g_assert_true (g_str_has_prefix (type, "multipart/alternative;"));
  b = strstr (type, "boundary=\"");
  g_assert_nonnull (b);
  boundary = g_strndup (b + 10, strchr (b + 10, '"') - b - 10);
  delimiter = g_strconcat ("--", boundary, NULL);

  /* preamble, text, html, epilogue ("--\r\n") */
  parts = g_strsplit (body, delimiter, -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  g_assert_cmpstr (parts[3], ==, "--\r\n");
  for (guint i = 1; i <= 2; i++)
    {
      GHashTable *h = headers_new ();
      const char *part_body;
      g_autofree char *trimmed = NULL;
      char *decoded;

      g_assert_true (g_str_has_prefix (parts[i], "\r\n"));
      part_body = parse_headers (parts[i] + 2, h);
      g_assert_cmpstr (header (h, "content-transfer-encoding"), ==, "quoted-printable");
      trimmed = g_strdup (part_body);
      g_assert_true (g_str_has_suffix (trimmed, "\r\n"));
      trimmed[strlen (trimmed) - 2] = '\0';
      decoded = decode_qp (trimmed);
      if (i == 1)
        {
          g_assert_cmpstr (header (h, "content-type"), ==, "text/plain; charset=UTF-8");
          m->text = decoded;
          m->text_headers = h;
        }
      else
        {
          g_assert_cmpstr (header (h, "content-type"), ==, "text/html; charset=UTF-8");
          m->html = decoded;
          m->html_headers = h;
        }
    }
  return m;
}

/* The message whose Message-ID names @message_id, or NULL. */
static const char *
find_message (GPtrArray  *messages,
              const char *message_id)
{
  g_autofree char *needle = g_strdup_printf ("\r\nMessage-ID: <%s@", message_id);

  for (guint i = 0; i < messages->len; i++)
    if (strstr (g_ptr_array_index (messages, i), needle) != NULL)
      return g_ptr_array_index (messages, i);
  return NULL;
}

/* Message-ID → how many times it arrived. */
static GHashTable *
count_message_ids (GPtrArray *messages)
{
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < messages->len; i++)
    {
      g_autoptr(GHashTable) h = headers_new ();
      const char *id;

      parse_headers (g_ptr_array_index (messages, i), h);
      id = header (h, "message-id");
      g_assert_nonnull (id);
      g_hash_table_insert (counts, g_strdup (id),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, id)) + 1));
    }
  return counts;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
wait_for_sql (EvaTestServer *server,
              const char    *sql,
              const char    *expected)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  for (;;)
    {
      g_autofree char *value = eva_test_sql (server->pg, sql, NULL);

      if (g_strcmp0 (value, expected) == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *log = eva_test_server_log (server);

          g_printerr ("%s\n", log);
          g_error ("waited in vain for %s to be %s (it is %s)", sql, expected, value);
        }
      g_usleep (20000);
    }
}

static void
wait_for_files (const char *dir,
                guint       n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  for (;;)
    {
      g_autoptr(GPtrArray) messages = received (dir);

      if (messages->len >= n)
        {
          g_assert_cmpuint (messages->len, ==, n);
          return;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("waited in vain for %u messages in %s (%u)", n, dir, messages->len);
      g_usleep (20000);
    }
}

static EvaTestServer *
start_server (const char *dbname,
              guint16     smtp_port,
              const char *userinfo,
              const char *extra)
{
  g_autofree char *url = smtp_port != 0
    ? g_strdup_printf ("EVERATO_SMTP_URL=smtp://%s%s127.0.0.1:%u", userinfo != NULL ? userinfo : "",
                       userinfo != NULL ? "@" : "", smtp_port)
    : g_strdup ("EVERATO_SMTP_URL=");
  const char *env[] = {
    url,
    "EVERATO_MAIL_FROM=" FROM,
    "EVERATO_MAIL_POLL_MS=50",
    "EVERATO_MAIL_RETRY_BASE_MS=50",
    "EVERATO_MAIL_RETRY_MAX_MS=400",
    extra, NULL
  };

  return dbname != NULL ? eva_test_server_start_on (dbname, env) : eva_test_server_start (env);
}

static EvaDbConn *
connect_db (EvaTestServer *server)
{
  g_autoptr(GError) error = NULL;
  EvaDbConn *conn = eva_db_conn_open (server->conninfo, &error);

  g_assert_no_error (error);
  return conn;
}

static void
enqueue (EvaDbConn  *conn,
         const char *to,
         const char *name,
         const char *locale,
         const char *template_name,
         const char *link)
{
  g_autoptr(JsonObject) payload = json_object_new ();
  g_autoptr(GError) error = NULL;

  if (name != NULL)
    json_object_set_string_member (payload, "name", name);
  if (link != NULL)
    json_object_set_string_member (payload, "link", link);
  g_assert_true (eva_outbox_enqueue (conn, to, name, locale, template_name, payload, &error));
  g_assert_no_error (error);
}

static char *
tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("everato-smtp-XXXXXX", &error);

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

/* ------------------------------------------------------------------ */
/* Translations and rendering (in this process)                       */
/* ------------------------------------------------------------------ */

static void
test_i18n (void)
{
  const char *msgid = "Confirm your email address";
  const char *german = "Bestätigen Sie Ihre E-Mail-Adresse";

  g_assert_cmpstr (eva_i18n_gettext ("de", msgid), ==, german);
  g_assert_cmpstr (eva_i18n_gettext ("de-AT", msgid), ==, german);
  g_assert_cmpstr (eva_i18n_gettext ("de_CH.UTF-8@euro", msgid), ==, german);
  g_assert_cmpstr (eva_i18n_gettext ("DE", msgid), ==, german);
  g_assert_cmpstr (eva_i18n_gettext ("en", msgid), ==, msgid);
  g_assert_cmpstr (eva_i18n_gettext ("fr-FR", msgid), ==, msgid);
  g_assert_cmpstr (eva_i18n_gettext (NULL, msgid), ==, msgid);
  g_assert_cmpstr (eva_i18n_gettext ("", msgid), ==, msgid);
  g_assert_cmpstr (eva_i18n_gettext ("../../etc/passwd", msgid), ==, msgid);
  g_assert_cmpstr (eva_i18n_gettext ("de", "not a known string"), ==, "not a known string");
  g_assert_cmpstr (eva_i18n_language ("de-AT"), ==, "de");
  g_assert_cmpstr (eva_i18n_language ("pt-BR"), ==, "en");
}

static EvaMail *
render (const char *template_name,
        const char *locale,
        const char *name,
        const char *link,
        GError    **error)
{
  g_autoptr(JsonObject) payload = json_object_new ();
  EvaMailInput input = {
    .id = 7, .to_address = "jörg@example.test", .to_name = name, .locale = locale,
    .template_name = template_name, .payload = payload,
    .message_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427", .created_at = 1717261200,
  };

  if (name != NULL)
    json_object_set_string_member (payload, "name", name);
  if (link != NULL)
    json_object_set_string_member (payload, "link", link);
  return eva_mail_render (&input, FROM, error);
}

static void
test_render (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) long_link = g_string_new ("https://tickets.example.test/verify?token=");
  g_autoptr(EvaMail) a = NULL;
  g_autoptr(EvaMail) b = NULL;
  g_autoptr(EvaMail) c = NULL;
  g_autoptr(Mail) parsed = NULL;
  g_autofree char *to = NULL;

  for (int i = 0; i < 300; i++)
    g_string_append (long_link, "ÄbC=");
  /* The header-injection attempt in the name stays inside To:. */
  a = render ("verify_email", "de", "Jörg\r\nBcc: victim@example.test", long_link->str, &error);
  g_assert_no_error (error);
  b = render ("verify_email", "de", "Jörg\r\nBcc: victim@example.test", long_link->str, &error);
  g_assert_no_error (error);
  /* The same row renders to the same bytes: a retry is the same message. */
  g_assert_true (g_bytes_equal (a->message, b->message));
  g_assert_cmpstr (a->message_id, ==, "<1b4e28ba-2fa1-11d2-883f-0016d3cca427@everato.test>");

  parsed = parse_mail (g_bytes_get_data (a->message, NULL));
  g_assert_null (g_hash_table_lookup (parsed->headers, "bcc"));
  to = decode_words (header (parsed->headers, "to"));
  g_assert_cmpstr (to, ==, "Jörg  Bcc: victim@example.test <jörg@example.test>");
  g_assert_cmpstr (header (parsed->headers, "date"), ==, "Sat, 1 Jun 2024 17:00:00 +0000");
  g_assert_cmpstr (header (parsed->headers, "from"), ==, FROM);
  g_assert_nonnull (strstr (parsed->text, long_link->str));
  g_assert_cmpstr (a->subject, ==, "Bestätigen Sie Ihre E-Mail-Adresse");

  /* A value missing, an unknown template: errors, not blanks. */
  c = render ("verify_email", "de", "X", NULL, &error);
  g_assert_null (c);
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "{{link}}"));
  g_clear_error (&error);
  c = render ("no_such_template", "en", "X", "https://x.test/", &error);
  g_assert_null (c);
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_clear_error (&error);
  c = render ("layout", "en", "X", "https://x.test/", &error);
  g_assert_null (c);
  g_clear_error (&error);

  /* Every template renders in every language without a missing value. */
  {
    const char *templates[] = { "verify_email", "password_reset", "password_changed",
                                "account_deleted" };

    for (guint i = 0; i < G_N_ELEMENTS (templates); i++)
      for (guint j = 0; j < 2; j++)
        {
          g_autoptr(EvaMail) m = render (templates[i], j == 0 ? "en" : "de", "", "https://x.test/",
                                         &error);

          g_assert_no_error (error);
          g_assert_null (strstr (m->text, "{"));
          g_assert_null (strstr (m->html, "{{"));
          g_assert_true (g_str_has_prefix (m->text, j == 0 ? "Hello," : "Hallo,"));
        }
  }
}

/* ------------------------------------------------------------------ */
/* Delivery through SMTP                                              */
/* ------------------------------------------------------------------ */

static void
test_smtp (void)
{
  g_autofree char *dir = tmp_dir ();
  Receiver *receiver = receiver_start (dir, 0, "mailer:p@ss:w/rd");
  /* The password percent-encoded in the URL's user information. */
  /* The receiver offers no STARTTLS: plain text is allowed only because
   * the operator says so (over loopback). */
  g_autoptr(EvaTestServer) server = start_server (NULL, receiver->port, "mailer:p%40ss%3Aw%2Frd",
                                                  "EVERATO_SMTP_TLS=opportunistic");
  g_autoptr(EvaDbConn) conn = connect_db (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(Mail) de = NULL;
  g_autoptr(Mail) en = NULL;
  g_autofree char *id_de = NULL;
  g_autofree char *sent_en = NULL;
  g_autofree char *msgid_de = NULL;
  g_autofree char *msgsent_en = NULL;
  g_autofree char *expected_id = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *to = NULL;
  g_autofree char *envelope = NULL;
  g_autofree char *envelope_path = NULL;
  const char *link = "https://tickets.example.test/verify?token=abc&x=1";
  const char *raw_de;

  /* Two mails in one transaction, a third in one that rolls back. */
  g_assert_true (eva_db_begin (conn, &error));
  enqueue (conn, "joerg@example.test", "Jörg <Müller> & Co", "de-AT", "verify_email", link);
  enqueue (conn, "ann@example.test", "", "en", "password_changed", NULL);
  g_assert_true (eva_db_commit (conn, &error));
  g_assert_true (eva_db_begin (conn, &error));
  enqueue (conn, "never@example.test", "Never", "en", "account_deleted", NULL);
  eva_db_rollback (conn);

  /* Bad input to the API is refused before the database is asked. */
  g_assert_false (eva_outbox_enqueue (conn, "not an address", NULL, "en", "verify_email", NULL, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (eva_outbox_enqueue (conn, "a@example.test", NULL, "en", "nope", NULL, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (eva_outbox_enqueue (conn, "a@example.test", NULL, "de'; DROP TABLE x;--",
                                      "verify_email", NULL, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_clear_error (&error);

  wait_for_sql (server, "SELECT count(*) FROM email_outbox WHERE status = 'sent'", "2");
  assert_sql (server, "2", "SELECT count(*) FROM email_outbox", NULL);
  wait_for_files (dir, 2);
  /* A sent mail keeps no link: the token in it is nowhere at rest. */
  assert_sql (server, "0", "SELECT count(*) FROM email_outbox WHERE payload ? 'link' "
              "OR payload::text LIKE '%token=%'", NULL);

  id_de = eva_test_sql (server->pg, "SELECT id FROM email_outbox WHERE to_address = 'joerg@example.test'", NULL);
  msgid_de = eva_test_sql (server->pg, "SELECT message_id FROM email_outbox WHERE id = $1", id_de, NULL);
  msgsent_en = eva_test_sql (server->pg, "SELECT message_id FROM email_outbox WHERE to_address = 'ann@example.test'", NULL);
  sent_en = eva_test_sql (server->pg, "SELECT attempts || sent_at::text FROM email_outbox WHERE to_address = 'ann@example.test'", NULL);
  g_assert_true (g_str_has_prefix (sent_en, "1"));

  messages = received (dir);
  raw_de = find_message (messages, msgid_de);
  g_assert_nonnull (raw_de);
  g_assert_nonnull (find_message (messages, msgsent_en));

  /* The envelope: sender, recipient, and AUTH with the URL's credentials. */
  for (guint i = 1; i <= 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("%06u.json", i);
      g_autofree char *text = NULL;

      g_free (envelope_path);
      envelope_path = g_build_filename (dir, name, NULL);
      g_assert_true (g_file_get_contents (envelope_path, &text, NULL, NULL));
      g_assert_nonnull (strstr (text, "\"mail_from\": \"" FROM "\""));
      g_assert_nonnull (strstr (text, "\"auth_login\": \"mailer\""));
      if (strstr (text, "joerg@example.test") != NULL)
        envelope = g_steal_pointer (&text);
    }
  g_assert_nonnull (strstr (envelope, "\"rcpt_tos\": [\"joerg@example.test\"]"));

  /* German, encoded headers, both parts. */
  de = parse_mail (raw_de);
  expected_id = g_strdup_printf ("<%s@everato.test>", msgid_de);
  g_assert_cmpstr (header (de->headers, "message-id"), ==, expected_id);
  g_assert_cmpstr (header (de->headers, "mime-version"), ==, "1.0");
  g_assert_cmpstr (header (de->headers, "content-language"), ==, "de");
  g_assert_cmpstr (header (de->headers, "from"), ==, FROM);
  g_assert_true (g_regex_match_simple ("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} "
                                       "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                                       "[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \\+0000$",
                                       header (de->headers, "date"), 0, 0));
  g_assert_true (g_str_has_prefix (header (de->headers, "subject"), "=?UTF-8?"));
  subject = decode_words (header (de->headers, "subject"));
  g_assert_cmpstr (subject, ==, "Bestätigen Sie Ihre E-Mail-Adresse");
  to = decode_words (header (de->headers, "to"));
  g_assert_cmpstr (to, ==, "Jörg <Müller> & Co <joerg@example.test>");

  g_assert_nonnull (strstr (de->text, "Hallo Jörg <Müller> & Co,\n"));
  g_assert_nonnull (strstr (de->text, "Bitte bestätigen Sie Ihre E-Mail-Adresse"));
  g_assert_nonnull (strstr (de->text, link));
  g_assert_nonnull (strstr (de->text, "Diese E-Mail wurde automatisch versendet."));
  g_assert_null (strstr (de->text, "Hello"));
  g_assert_nonnull (strstr (de->html, "<html lang=\"de\">"));
  g_assert_nonnull (strstr (de->html, "Hallo Jörg &lt;Müller&gt; &amp; Co,"));
  g_assert_nonnull (strstr (de->html, "href=\"https://tickets.example.test/verify?token=abc&amp;x=1\""));
  g_assert_nonnull (strstr (de->html, "E-Mail-Adresse bestätigen</a>"));
  g_assert_null (strstr (de->html, "<Müller>"));

  /* English, no name, a plain ASCII subject. */
  en = parse_mail (find_message (messages, msgsent_en));
  g_assert_cmpstr (header (en->headers, "subject"), ==, "Your password was changed");
  g_assert_cmpstr (header (en->headers, "to"), ==, "ann@example.test");
  g_assert_cmpstr (header (en->headers, "content-language"), ==, "en");
  g_assert_true (g_str_has_prefix (en->text, "Hello,\n\nThe password for your account was just changed."));

  /* The rolled-back mail never existed and never arrives. */
  g_usleep (300000);
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = received (dir);
  g_assert_cmpuint (messages->len, ==, 2);

  eva_test_server_stop (server);
  receiver_stop (receiver);
  rm_rf (dir);
}

/* With credentials in EVERATO_SMTP_URL, smtp:// insists on STARTTLS: a
 * server that does not offer it (or an attacker who strips it) never sees
 * AUTH or a message, and the mail waits for a retry. */
static void
test_smtp_requires_tls (void)
{
  g_autofree char *dir = tmp_dir ();
  Receiver *receiver = receiver_start (dir, 0, "mailer:secret");
  g_autoptr(EvaTestServer) server = start_server (NULL, receiver->port, "mailer:secret", NULL);
  g_autoptr(EvaDbConn) conn = connect_db (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *last_error = NULL;

  g_assert_true (eva_db_begin (conn, &error));
  enqueue (conn, "tls@example.test", "", "en", "password_changed", NULL);
  g_assert_true (eva_db_commit (conn, &error));

  wait_for_sql (server, "SELECT count(*) FROM email_outbox WHERE attempts >= 2", "1");
  last_error = eva_test_sql (server->pg, "SELECT last_error FROM email_outbox", NULL);
  g_test_message ("last error: %s", last_error);
  g_assert_nonnull (last_error);
  g_assert_true (g_regex_match_simple ("SSL|TLS", last_error, G_REGEX_CASELESS, 0));
  assert_sql (server, "0", "SELECT count(*) FROM email_outbox WHERE status = 'sent'", NULL);
  messages = received (dir);
  g_assert_cmpuint (messages->len, ==, 0);

  /* A bad setting stops the server with a message naming the variable. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status;

    g_setenv ("EVERATO_SMTP_TLS", "sometimes", TRUE);
    status = eva_test_run_cli (server->conninfo, NULL, &out, &err, "migrate", "status", NULL);
    g_unsetenv ("EVERATO_SMTP_TLS");
    g_assert_cmpint (status, ==, 2);
    g_assert_nonnull (strstr (err, "EVERATO_SMTP_TLS"));
  }

  eva_test_server_stop (server);
  receiver_stop (receiver);
  rm_rf (dir);
}

static void
test_eml_fallback (void)
{
  /* Polling once a minute: only the NOTIFY at commit can wake the worker
   * in time. */
  g_autoptr(EvaTestServer) server = start_server (NULL, 0, NULL, "EVERATO_MAIL_POLL_MS=60000");
  g_autoptr(EvaDbConn) conn = connect_db (server);
  g_autoptr(Mail) mail = NULL;
  g_autofree char *id = NULL;
  g_autofree char *mail_dir = g_build_filename (server->tmpdir, "data", "mail", NULL);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *message = NULL;
  g_autofree char *log = NULL;
  g_autofree char *msgid = NULL;
  g_autoptr(GDir) d = NULL;
  GStatBuf st;
  gint64 started;

  g_usleep (300000);   /* the worker is idle, waiting */
  started = g_get_monotonic_time ();
  enqueue (conn, "reset@example.test", "Zoë", "en", "password_reset",
           "https://tickets.example.test/reset?token=SECRET-TOKEN-42");
  wait_for_sql (server, "SELECT status FROM email_outbox", "sent");
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
  id = eva_test_sql (server->pg, "SELECT id FROM email_outbox", NULL);
  msgid = eva_test_sql (server->pg, "SELECT message_id FROM email_outbox", NULL);

  name = g_strdup_printf ("%s.eml", id);
  path = g_build_filename (mail_dir, name, NULL);
  g_assert_true (g_file_get_contents (path, &message, NULL, NULL));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* A complete message, and nothing else in the folder (no temp files). */
  mail = parse_mail (message);
  g_assert_cmpstr (header (mail->headers, "subject"), ==, "Reset your password");
  g_assert_nonnull (strstr (header (mail->headers, "message-id"), msgid));
  g_assert_nonnull (strstr (mail->text, "Hello Zoë,"));
  g_assert_nonnull (strstr (mail->text, "token=SECRET-TOKEN-42"));
  d = g_dir_open (mail_dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (d), ==, name);
  g_assert_null (g_dir_read_name (d));

  /* Logged with recipient and subject; the link's token is not. */
  eva_test_server_stop (server);
  log = eva_test_server_log (server);
  g_assert_nonnull (strstr (log, "reset@example.test"));
  g_assert_nonnull (strstr (log, "Reset your password"));
  g_assert_null (strstr (log, "SECRET-TOKEN-42"));
}

/* ------------------------------------------------------------------ */
/* Retries, dead mail, the admin routes                               */
/* ------------------------------------------------------------------ */

static void
assert_outbox_list_error (EvaTestServer *server,
                          const char    *token,
                          const char    *query,
                          const char    *field)
{
  g_autofree char *path = g_strconcat ("/api/v1/admin/outbox?", query, NULL);
  g_autofree char *member = g_strconcat ("error.details.", field, NULL);
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", path, token, NULL);

  eva_test_assert_error (resp, 400, "validation_failed");
  g_assert_true (eva_test_json_has (resp->json, member));
}

static void
assert_retry_status (EvaTestServer *server,
                     const char    *token,
                     const char    *id,
                     guint          status,
                     const char    *code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/outbox/%s/retry", id);
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", path, token, NULL);

  eva_test_assert_error (resp, status, code);
}

static void
test_dead_and_retry (void)
{
  g_autofree char *dir = tmp_dir ();
  guint16 port = eva_test_free_port ();   /* nothing listens there yet */
  g_autoptr(EvaTestServer) server = start_server (NULL, port, NULL, NULL);
  g_autofree char *organizer = eva_test_token_for_role (server, "organizer");
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *dead_id = NULL;
  g_autofree char *broken_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *msgid = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) messages = NULL;
  Receiver *receiver;

  dead_id = eva_test_sql (server->pg,
                          "INSERT INTO email_outbox (to_address, template, payload, max_attempts) "
                          "VALUES ('dead@example.test', 'password_changed', '{\"name\":\"D\"}', 3) "
                          "RETURNING id", NULL);
  /* verify_email without its link: cannot be rendered, dead at once. */
  broken_id = eva_test_sql (server->pg,
                            "INSERT INTO email_outbox (to_address, template, payload) "
                            "VALUES ('broken@example.test', 'verify_email', '{}') RETURNING id", NULL);
  wait_for_sql (server, "SELECT string_agg (status || attempts, ',' ORDER BY id) FROM email_outbox",
                "dead3,dead1");
  assert_sql (server, "t", "SELECT last_error LIKE 'SMTP: %' FROM email_outbox WHERE id = $1",
              dead_id, NULL);
  assert_sql (server, "t", "SELECT strpos (last_error, '{{link}}') > 0 FROM email_outbox WHERE id = $1",
              broken_id, NULL);
  assert_sql (server, NULL, "SELECT lease_until FROM email_outbox WHERE id = $1", dead_id, NULL);

  /* The admin list: dead mail, with the contract's fields and no bodies. */
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/outbox?status=dead",
                                                     organizer, NULL);
    const char *fields[] = { "id", "to_address", "template", "status", "attempts", "last_error",
                             "next_attempt_at", "created_at", "sent_at" };

    eva_test_assert_status (resp, 200);
    g_assert_cmpint (eva_test_json_int (resp->json, "total"), ==, 2);
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "next_cursor")));
    g_assert_cmpint (eva_test_json_int (resp->json, "items.0.id"), ==, g_ascii_strtoll (broken_id, NULL, 10));
    g_assert_cmpint (eva_test_json_int (resp->json, "items.1.id"), ==, g_ascii_strtoll (dead_id, NULL, 10));
    g_assert_cmpstr (eva_test_json_string (resp->json, "items.1.status"), ==, "dead");
    g_assert_cmpstr (eva_test_json_string (resp->json, "items.1.to_address"), ==, "dead@example.test");
    g_assert_cmpstr (eva_test_json_string (resp->json, "items.1.template"), ==, "password_changed");
    g_assert_cmpint (eva_test_json_int (resp->json, "items.1.attempts"), ==, 3);
    g_assert_true (g_str_has_prefix (eva_test_json_string (resp->json, "items.1.last_error"), "SMTP: "));
    for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
      {
        g_autofree char *member = g_strconcat ("items.1.", fields[i], NULL);

        g_assert_true (eva_test_json_has (resp->json, member));
      }
    g_assert_false (eva_test_json_has (resp->json, "items.1.payload"));
    g_assert_null (strstr (resp->body, "\"name\":\"D\""));
  }

  /* Bad input and the wrong people. */
  assert_outbox_list_error (server, organizer, "status=bogus", "status");
  assert_outbox_list_error (server, organizer, "status=dead%27%20OR%201=1--", "status");
  assert_outbox_list_error (server, organizer, "limit=0", "limit");
  assert_outbox_list_error (server, organizer, "limit=99999999999999999999", "limit");
  assert_outbox_list_error (server, organizer, "limit=1e400", "limit");
  assert_outbox_list_error (server, organizer, "cursor=!!!", "cursor");
  assert_outbox_list_error (server, organizer, "cursor=YWJj", "cursor");           /* "abc" */
  assert_outbox_list_error (server, organizer, "cursor=LTE", "cursor");            /* "-1" */
  {
    g_autoptr(EvaTestResponse) anonymous = eva_test_call (server, "GET", "/api/v1/admin/outbox", NULL, NULL);
    g_autoptr(EvaTestResponse) forbidden = eva_test_call (server, "GET", "/api/v1/admin/outbox", door, NULL);

    eva_test_assert_error (anonymous, 401, "unauthorized");
    eva_test_assert_error (forbidden, 403, "forbidden");
  }
  assert_retry_status (server, door, dead_id, 403, "forbidden");
  assert_retry_status (server, NULL, dead_id, 401, "unauthorized");
  assert_retry_status (server, organizer, "999999999", 404, "not_found");
  assert_retry_status (server, organizer, "abc", 404, "not_found");
  assert_retry_status (server, organizer, "0", 404, "not_found");
  assert_retry_status (server, organizer, "-1", 404, "not_found");
  assert_retry_status (server, organizer, "1e3", 404, "not_found");
  assert_retry_status (server, organizer, "%2B1", 404, "not_found");
  assert_retry_status (server, organizer, "99999999999999999999", 404, "not_found");
  assert_retry_status (server, organizer, "9223372036854775808", 404, "not_found");

  /* Pagination: five sent rows, two at a time, newest first. */
  eva_test_sql (server->pg,
                "INSERT INTO email_outbox (to_address, template, status, sent_at) "
                "SELECT 'p' || i || '@example.test', 'password_changed', 'sent', now () "
                "FROM generate_series (1, 5) AS i", NULL);
  path = g_strdup ("/api/v1/admin/outbox?status=sent&limit=2");
  for (guint page = 0; page < 3; page++)
    {
      g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", path, organizer, NULL);
      JsonArray *items;

      eva_test_assert_status (resp, 200);
      g_assert_cmpint (eva_test_json_int (resp->json, "total"), ==, 5);
      items = json_node_get_array (eva_test_json_get (resp->json, "items"));
      g_assert_cmpuint (json_array_get_length (items), ==, page < 2 ? 2 : 1);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);

          g_assert_cmpstr (json_object_get_string_member (item, "status"), ==, "sent");
          g_assert_true (g_hash_table_add (seen, g_strdup_printf ("%" G_GINT64_FORMAT,
                                                                  json_object_get_int_member (item, "id"))));
        }
      g_free (path);
      if (page < 2)
        {
          cursor = g_strdup (eva_test_json_string (resp->json, "next_cursor"));
          g_assert_nonnull (cursor);
          path = g_strdup_printf ("/api/v1/admin/outbox?status=sent&limit=2&cursor=%s", cursor);
          g_clear_pointer (&cursor, g_free);
        }
      else
        {
          g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "next_cursor")));
          path = NULL;
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 5);

  /* Retry: dead → pending now; delivered once the SMTP server is up. */
  receiver = receiver_start (dir, port, NULL);
  {
    g_autofree char *retry = g_strdup_printf ("/api/v1/admin/outbox/%s/retry", dead_id);
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", retry, organizer, NULL);
    g_autoptr(EvaTestResponse) again = NULL;

    eva_test_assert_status (resp, 200);
    g_assert_cmpstr (eva_test_json_string (resp->json, "status"), ==, "pending");
    g_assert_cmpint (eva_test_json_int (resp->json, "attempts"), ==, 0);
    wait_for_sql (server, "SELECT status FROM email_outbox WHERE id = (SELECT min (id) FROM email_outbox)", "sent");
    again = eva_test_call (server, "POST", retry, organizer, NULL);
    eva_test_assert_error (again, 409, "invalid_transition");
    g_assert_cmpstr (eva_test_json_string (again->json, "error.details.status"), ==, "sent");
  }
  assert_sql (server, "staff outbox.retry email_outbox true",
              "SELECT actor_type || ' ' || action || ' ' || target_type || ' ' "
              "       || (target_id = $1 AND actor_id IS NOT NULL AND request_id IS NOT NULL) "
              "FROM audit_log WHERE action = 'outbox.retry'", dead_id, NULL);
  wait_for_files (dir, 1);
  messages = received (dir);
  msgid = eva_test_sql (server->pg, "SELECT message_id FROM email_outbox WHERE id = $1", dead_id, NULL);
  g_assert_nonnull (find_message (messages, msgid));
  /* The broken mail is still dead, and stays so. */
  assert_sql (server, "dead", "SELECT status FROM email_outbox WHERE id = $1", broken_id, NULL);

  eva_test_server_stop (server);
  receiver_stop (receiver);
  rm_rf (dir);
}

/* ------------------------------------------------------------------ */
/* Leases                                                             */
/* ------------------------------------------------------------------ */

static void
test_lease_expiry (void)
{
  g_autofree char *dir = tmp_dir ();
  Receiver *receiver = receiver_start (dir, 0, NULL);
  g_autoptr(EvaTestServer) server = start_server (NULL, receiver->port, NULL, NULL);
  g_autoptr(GPtrArray) messages = NULL;

  /* A process died while sending (lease over); another is sending now
   * (lease running); a third died on the last attempt. */
  eva_test_sql (server->pg,
                "INSERT INTO email_outbox (to_address, template, status, attempts, lease_until, max_attempts) "
                "VALUES ('expired@example.test', 'password_changed', 'sending', 1, now () - interval '1 minute', 8),"
                "       ('running@example.test', 'password_changed', 'sending', 1, now () + interval '1 hour', 8),"
                "       ('last@example.test', 'password_changed', 'sending', 3, now () - interval '1 second', 3)",
                NULL);
  wait_for_sql (server, "SELECT status || attempts FROM email_outbox WHERE to_address = 'expired@example.test'",
                "sent2");
  wait_for_sql (server, "SELECT status FROM email_outbox WHERE to_address = 'last@example.test'", "dead");
  g_usleep (500000);
  assert_sql (server, "sending", "SELECT status FROM email_outbox "
              "WHERE to_address = 'running@example.test'", NULL);
  messages = received (dir);
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (messages, 0), "\r\nTo: expired@example.test\r\n"));

  eva_test_server_stop (server);
  receiver_stop (receiver);
  rm_rf (dir);
}

/* ------------------------------------------------------------------ */
/* Outage, and two servers                                            */
/* ------------------------------------------------------------------ */

static void
assert_each_once (EvaTestServer *server,
                  const char    *dir,
                  guint          n)
{
  g_autoptr(GPtrArray) messages = received (dir);
  g_autoptr(GHashTable) counts = count_message_ids (messages);
  GHashTableIter iter;
  gpointer key, value;
  PGresult *rows = PQexec (server->pg, "SELECT message_id FROM email_outbox");

  g_assert_cmpuint (messages->len, ==, n);
  g_assert_cmpuint (g_hash_table_size (counts), ==, n);
  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_cmpuint (GPOINTER_TO_UINT (value), ==, 1);

  g_assert_cmpint (PQntuples (rows), ==, (int) n);
  for (int i = 0; i < PQntuples (rows); i++)
    g_assert_nonnull (find_message (messages, PQgetvalue (rows, i, 0)));
  PQclear (rows);
}

static void
test_outage (void)
{
  g_autofree char *dir = tmp_dir ();
  guint16 port = eva_test_free_port ();
  g_autoptr(EvaTestServer) server = start_server (NULL, port, NULL, NULL);
  g_autoptr(EvaDbConn) conn = connect_db (server);
  g_autoptr(GError) error = NULL;
  Receiver *receiver;

  g_assert_true (eva_db_begin (conn, &error));
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *to = g_strdup_printf ("outage%u@example.test", i);

      enqueue (conn, to, "Outage", i % 2 ? "de" : "en", "verify_email", "https://x.test/v?t=1");
    }
  g_assert_true (eva_db_commit (conn, &error));
  eva_test_sql (server->pg, "UPDATE email_outbox SET max_attempts = 1000", NULL);

  /* The SMTP server is down: every mail is tried, counted, kept. */
  wait_for_sql (server, "SELECT count(*) FROM email_outbox WHERE attempts >= 2 "
                "AND status IN ('pending', 'sending') AND last_error LIKE 'SMTP: %'", "50");
  assert_sql (server, "50", "SELECT count(*) FROM email_outbox", NULL);
  assert_sql (server, "0", "SELECT count(*) FROM email_outbox WHERE status IN ('sent', 'dead')", NULL);
  /* Backoff capped by EVERATO_MAIL_RETRY_MAX_MS (400 ms). */
  assert_sql (server, "t", "SELECT bool_and (next_attempt_at <= now () + interval '450 ms') "
              "FROM email_outbox WHERE status = 'pending'", NULL);

  /* Back on the same port: each of the 50 arrives exactly once. */
  receiver = receiver_start (dir, port, NULL);
  wait_for_sql (server, "SELECT count(*) FROM email_outbox WHERE status = 'sent'", "50");
  g_usleep (300000);
  assert_each_once (server, dir, 50);

  eva_test_server_stop (server);
  receiver_stop (receiver);
  rm_rf (dir);
}

static guint
count_in_log (EvaTestServer *server,
              const char    *needle)
{
  g_autofree char *log = eva_test_server_log (server);
  guint n = 0;

  for (const char *p = strstr (log, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_two_servers (void)
{
  g_autofree char *dir = tmp_dir ();
  Receiver *receiver = receiver_start (dir, 0, NULL);
  EvaTestServer *a = start_server (NULL, receiver->port, NULL, "EVERATO_MAIL_WORKERS=2");
  EvaTestServer *b = start_server (a->dbname, receiver->port, NULL, "EVERATO_MAIL_WORKERS=2");
  guint sent_a, sent_b;

  assert_sql (a, "100",
              "WITH q AS (INSERT INTO email_outbox (to_address, to_name, locale, template, payload) "
              "  SELECT 'two' || i || '@example.test', 'Two', 'de', 'verify_email',"
              "         jsonb_build_object ('name', 'Two', 'link', 'https://x.test/' || i) "
              "  FROM generate_series (1, 100) AS i RETURNING id) "
              "SELECT count(*) FROM q, pg_notify ('everato_outbox', '')", NULL);
  wait_for_sql (a, "SELECT count(*) FROM email_outbox WHERE status = 'sent'", "100");
  g_usleep (300000);
  assert_each_once (a, dir, 100);

  eva_test_server_stop (a);
  eva_test_server_stop (b);
  sent_a = count_in_log (a, " sent to two");
  sent_b = count_in_log (b, " sent to two");
  g_test_message ("server A sent %u, server B sent %u", sent_a, sent_b);
  g_assert_cmpuint (sent_a + sent_b, ==, 100);
  g_assert_cmpuint (sent_a, >, 0);
  g_assert_cmpuint (sent_b, >, 0);

  /* b shares a's database: drop it once, with a. */
  g_clear_pointer (&b->dbname, g_free);
  eva_test_server_free (b);
  eva_test_server_free (a);
  receiver_stop (receiver);
  rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/outbox/i18n", test_i18n);
  g_test_add_func ("/outbox/render", test_render);
  g_test_add_func ("/outbox/smtp", test_smtp);
  g_test_add_func ("/outbox/smtp-requires-tls", test_smtp_requires_tls);
  g_test_add_func ("/outbox/eml-fallback", test_eml_fallback);
  g_test_add_func ("/outbox/dead-and-retry", test_dead_and_retry);
  g_test_add_func ("/outbox/lease-expiry", test_lease_expiry);
  g_test_add_func ("/outbox/outage", test_outage);
  g_test_add_func ("/outbox/two-servers", test_two_servers);

  return g_test_run ();
}
