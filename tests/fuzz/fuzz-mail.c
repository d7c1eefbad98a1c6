/* fuzz-mail.c: the mail encoders (server/mail/eva-mail.c): header values
 * as folded ASCII or RFC 2047 encoded words, and quoted-printable bodies
 *
 * Input: the header name's choice (one byte), then the text.
 * Properties, checked by decoding the output again: a header is one
 * logical line (every CRLF inside is folding, so nothing can be
 * injected), pure printable ASCII, lines of at most 78 characters, and
 * unfolds and decodes to the value as a header can carry it (valid
 * UTF-8, control characters as spaces). A quoted-printable body is
 * printable ASCII (and tabs) in lines of at most 76 characters, none with trailing
 * white space, none beginning with "." or "From ", and decodes to the
 * text with its line ends as CRLF.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "mail/eva-mail.h"
#include "fuzz-common.h"

/* What a header can carry of @value (the documented behaviour). */
static char *
header_value (const char *value)
{
  char *text = g_utf8_make_valid (value, -1);

  for (char *c = text; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      *c = ' ';
  return text;
}

static void
check_lines (const char *text,
             gsize       len,
             gsize       max,
             gboolean    tabs)
{
  gsize column = 0;

  FUZZ_CHECK (len >= 2 && text[len - 2] == '\r' && text[len - 1] == '\n');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = text[i];

      if (c == '\r')
        {
          FUZZ_CHECK (i + 1 < len && text[i + 1] == '\n');
          FUZZ_CHECK (column <= max);
          column = 0;
          i++;
          continue;
        }
      FUZZ_CHECK ((c >= 0x20 && c <= 0x7e) || (tabs && c == '\t'));
      column++;
    }
}

static void
check_header (const char *name,
              const char *value)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *expect = header_value (value);
  g_autoptr(GString) unfolded = g_string_new (NULL);
  g_autoptr(GString) decoded = g_string_new (NULL);
  const char *body;

  eva_mail_append_header (out, name, value);
  check_lines (out->str, out->len, 78, FALSE);

  /* One logical line: every inner CRLF is followed by white space. */
  for (gsize i = 0; i + 2 < out->len; i++)
    if (out->str[i] == '\r')
      FUZZ_CHECK (out->str[i + 2] == ' ' || out->str[i + 2] == '\t');

  for (gsize i = 0; i < out->len - 2; i++)
    if (out->str[i] == '\r')
      i++;
    else
      g_string_append_c (unfolded, out->str[i]);
  FUZZ_CHECK (g_str_has_prefix (unfolded->str, name));
  body = unfolded->str + strlen (name);
  FUZZ_CHECK (g_str_has_prefix (body, ": "));
  body += 2;

  if (!g_str_has_prefix (body, "=?UTF-8?B?"))
    {
      FUZZ_CHECK (strstr (body, "=?") == NULL);
      FUZZ_CHECK (g_str_equal (body, expect));
      return;
    }
  /* Encoded words, separated by white space that decoders drop. */
  for (const char *p = body; *p != '\0';)
    {
      const char *end;
      g_autofree char *b64 = NULL;
      g_autofree guchar *bytes = NULL;
      gsize n = 0;

      if (*p == ' ')
        {
          p++;
          continue;
        }
      FUZZ_CHECK (g_str_has_prefix (p, "=?UTF-8?B?"));
      p += 10;
      end = strstr (p, "?=");
      FUZZ_CHECK (end != NULL);
      b64 = g_strndup (p, end - p);
      FUZZ_CHECK (strspn (b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == strlen (b64));
      bytes = g_base64_decode (b64, &n);
      /* Each word holds whole characters. */
      FUZZ_CHECK (g_utf8_validate ((const char *) bytes, n, NULL));
      g_string_append_len (decoded, (const char *) bytes, n);
      p = end + 2;
    }
  FUZZ_CHECK (g_str_equal (decoded->str, expect));
}

static void
check_qp (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) expect = g_string_new (NULL);
  g_autoptr(GString) decoded = g_string_new (NULL);
  gsize start = 0;

  eva_mail_append_qp (out, text);
  if (*text == '\0')
    {
      FUZZ_CHECK (out->len == 0);
      return;
    }
  check_lines (out->str, out->len, 76, TRUE);

  /* The text, line ends as CRLF (a final line end is not doubled). */
  for (const char *p = text; *p != '\0';)
    {
      const char *eol = strchr (p, '\n');
      gsize len = eol != NULL ? (gsize) (eol - p) : strlen (p);

      if (len > 0 && p[len - 1] == '\r')
        len--;
      g_string_append_len (expect, p, len);
      g_string_append (expect, "\r\n");
      if (eol == NULL)
        break;
      p = eol + 1;
    }

  for (gsize i = 0; i <= out->len; i++)
    {
      if (i < out->len && out->str[i] != '\r')
        continue;
      if (i == out->len)
        break;
      {
        const char *line = out->str + start;
        gsize len = i - start;
        gboolean soft = len > 0 && line[len - 1] == '=';

        FUZZ_CHECK (len == 0 || (line[len - 1] != ' ' && line[len - 1] != '\t'));
        FUZZ_CHECK (len == 0 || line[0] != '.');
        FUZZ_CHECK (len < 5 || strncmp (line, "From ", 5) != 0);
        for (gsize j = 0; j < len - (soft ? 1 : 0); j++)
          {
            if (line[j] == '=')
              {
                FUZZ_CHECK (j + 2 < len && g_ascii_isxdigit (line[j + 1]) && g_ascii_isxdigit (line[j + 2]));
                FUZZ_CHECK (!g_ascii_islower (line[j + 1]) && !g_ascii_islower (line[j + 2]));
                g_string_append_c (decoded, (char) (g_ascii_xdigit_value (line[j + 1]) << 4 |
                                                    g_ascii_xdigit_value (line[j + 2])));
                j += 2;
              }
            else
              g_string_append_c (decoded, line[j]);
          }
        if (!soft)
          g_string_append (decoded, "\r\n");
        start = i + 2;
        i++;
      }
    }
  FUZZ_CHECK (g_str_equal (decoded->str, expect->str));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const names[] = { "Subject", "From", "X-Everato-Event", "Reply-To" };
  const char *name = names[size > 0 ? data[0] % G_N_ELEMENTS (names) : 0];
  g_autofree char *text = fuzz_string (data + MIN (size, 1), size - MIN (size, 1));

  fuzz_init ();
  check_header (name, text);
  check_qp (text);
  return 0;
}
