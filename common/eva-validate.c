/* eva-validate.c: input validation shared by the server and the desktop
 *
 * Validators return a plain yes or no, or a short English reason that the
 * server puts into a 400 reply next to the field name ("title must not be
 * empty"). Reasons are static or interned strings: never free them.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <string.h>

#include "eva-validate.h"

#define EMAIL_MIN_LEN       3
#define EMAIL_MAX_LEN       254
#define EMAIL_LOCAL_MAX_LEN 64
#define DNS_LABEL_MAX_LEN   63
#define URL_MAX_LEN         2048

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
is_control (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/* Characters that render as nothing: spaces, format characters such as
 * U+200B ZERO WIDTH SPACE, and the Hangul and Braille blanks. */
static gboolean
is_blank (gunichar c)
{
  return g_unichar_isspace (c) ||
         g_unichar_type (c) == G_UNICODE_FORMAT ||
         c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 ||
         c == 0x2800;
}

/* RFC 5322 specials, which only a quoted local part may hold. Rejecting
 * them also keeps addresses safe to put into a mail header. */
static gboolean
is_email_special (gunichar c)
{
  return c < 0x80 && strchr ("\"(),:;<>[\\]", (int) c) != NULL;
}

/* One DNS label of at most 63 bytes: ASCII letters, digits and '-', or
 * non-ASCII letters, digits and combining marks (an IDN in UTF-8); no '-'
 * at either end. */
static gboolean
dns_label_is_valid (const char *label,
                    gsize       len,
                    gboolean    allow_underscore)
{
  if (len == 0 || len > DNS_LABEL_MAX_LEN)
    return FALSE;

  if (label[0] == '-' || label[len - 1] == '-')
    return FALSE;

  for (const char *p = label; p < label + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80)
        {
          if (!g_ascii_isalnum ((char) c) && c != '-' &&
              !(allow_underscore && c == '_'))
            return FALSE;
        }
      else if (!g_unichar_isalnum (c) && !g_unichar_ismark (c))
        {
          return FALSE;
        }
    }

  return TRUE;
}

/* A dot-separated host name; @min_labels is 2 for mail domains. A single
 * trailing dot (a fully qualified name) is allowed only if @allow_root. */
static gboolean
domain_is_valid (const char *domain,
                 guint       min_labels,
                 gboolean    allow_root,
                 gboolean    allow_underscore)
{
  gsize len = strlen (domain);
  const char *label = domain;
  const char *last_label = domain;
  guint n_labels = 0;

  if (allow_root && len > 1 && domain[len - 1] == '.')
    len--;

  while (label <= domain + len)
    {
      const char *dot = memchr (label, '.', (gsize) (domain + len - label));
      const char *end = dot != NULL ? dot : domain + len;

      if (!dns_label_is_valid (label, (gsize) (end - label), allow_underscore))
        return FALSE;

      n_labels++;
      last_label = label;
      label = end + 1;
    }

  if (n_labels < min_labels)
    return FALSE;

  /* An all-digit top-level label would make "1.2.3.4" a domain. */
  for (const char *p = last_label; p < domain + len; p++)
    if (!g_ascii_isdigit (*p))
      return TRUE;

  return FALSE;
}

static const char *
reason_too_long (guint max_chars)
{
  g_autofree char *text = NULL;

  if (max_chars == 1)
    return "must be at most 1 character";

  text = g_strdup_printf ("must be at most %u characters", max_chars);
  return g_intern_string (text);
}

static gboolean
fail (const char **reason,
      const char  *text)
{
  if (reason != NULL)
    *reason = text;
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_validate_email:
 * @s: an e-mail address
 *
 * A pragmatic check, not RFC 5322: 3 to 254 bytes of valid UTF-8 with
 * exactly one '@'; a local part of 1 to 64 bytes without whitespace,
 * control characters or the specials "(),:;<>[\] (so quoted local parts
 * are not supported); a domain of at least two labels, each 1 to 63 bytes
 * of letters, digits and inner '-' (UTF-8 letters allowed for IDN), whose
 * last label is not all digits. No IP literals, no trailing dot.
 */
gboolean
eva_validate_email (const char *s)
{
  const char *at;
  gsize len;

  if (s == NULL)
    return FALSE;

  len = strlen (s);
  if (len < EMAIL_MIN_LEN || len > EMAIL_MAX_LEN)
    return FALSE;

  if (!g_utf8_validate (s, (gssize) len, NULL))
    return FALSE;

  at = strchr (s, '@');
  if (at == NULL || strchr (at + 1, '@') != NULL)
    return FALSE;

  if (at == s || at - s > EMAIL_LOCAL_MAX_LEN)
    return FALSE;

  for (const char *p = s; p < at; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_control (c) || g_unichar_isspace (c) || is_email_special (c))
        return FALSE;
    }

  return domain_is_valid (at + 1, 2, FALSE, FALSE);
}

/**
 * eva_validate_slug:
 *
 * Returns: whether @s matches ^[a-z0-9]+(-[a-z0-9]+)*$ and is 1 to 80 bytes.
 */
gboolean
eva_validate_slug (const char *s)
{
  gsize len;

  if (s == NULL)
    return FALSE;

  len = strlen (s);
  if (len == 0 || len > EVA_SLUG_MAX_LEN)
    return FALSE;

  if (s[0] == '-' || s[len - 1] == '-')
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == '-')
        {
          if (s[i + 1] == '-')
            return FALSE;
        }
      else if (!g_ascii_isdigit (c) && !(c >= 'a' && c <= 'z'))
        {
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * eva_slugify:
 * @title: any text, e.g. an event title
 *
 * Transliterates @title to ASCII (é → e, ß → ss, Æ → AE, ø → oe; invalid
 * UTF-8 is repaired first), lower-cases it, turns every run of other
 * characters into one '-', trims '-' at both ends and cuts the result to 80
 * bytes. "Été à Paris — 2026!" gives "ete-a-paris-2026".
 *
 * Returns: (transfer full): a slug that passes eva_validate_slug(); "event"
 *   when nothing is left.
 */
char *
eva_slugify (const char *title)
{
  g_autofree char *valid = NULL;
  g_autofree char *ascii = NULL;
  g_autoptr(GString) slug = NULL;
  gboolean pending_dash = FALSE;

  g_return_val_if_fail (title != NULL, NULL);

  valid = g_utf8_make_valid (title, -1);
  ascii = g_str_to_ascii (valid, "C");
  slug = g_string_new (NULL);

  for (const char *p = ascii; *p != '\0' && slug->len < EVA_SLUG_MAX_LEN; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          if (pending_dash && slug->len > 0)
            g_string_append_c (slug, '-');
          pending_dash = FALSE;
          g_string_append_c (slug, g_ascii_tolower (*p));
        }
      else
        {
          pending_dash = TRUE;
        }
    }

  /* A dash appended at the limit may leave the slug one byte over, or end
   * it with a dash after truncation; trim both. */
  if (slug->len > EVA_SLUG_MAX_LEN)
    g_string_truncate (slug, EVA_SLUG_MAX_LEN);
  while (slug->len > 0 && slug->str[slug->len - 1] == '-')
    g_string_truncate (slug, slug->len - 1);

  if (slug->len == 0)
    return g_strdup ("event");

  return g_string_free (g_steal_pointer (&slug), FALSE);
}

/**
 * eva_validate_http_url:
 * @s: a URL
 *
 * Returns: whether @s is an absolute http:// or https:// URL with a
 *   well-formed host (a DNS name, IDN allowed, or an IP address), at most
 *   2048 bytes, valid UTF-8, without whitespace, control characters,
 *   invisible format characters (U+200B, U+202E …) or <>"\` which would
 *   have to be percent-encoded. IDN hosts are accepted (GLib converts them
 *   to punycode when checking).
 */
gboolean
eva_validate_http_url (const char *s)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;
  gsize len;

  if (s == NULL)
    return FALSE;

  len = strlen (s);
  if (len == 0 || len > URL_MAX_LEN || !g_utf8_validate (s, (gssize) len, NULL))
    return FALSE;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Invisible format characters (zero-width, bidi overrides) only
       * serve to make a link look like another. */
      if (is_control (c) || g_unichar_isspace (c) ||
          g_unichar_type (c) == G_UNICODE_FORMAT ||
          (c < 0x80 && strchr ("<>\"\\`", (int) c) != NULL))
        return FALSE;
    }

  uri = g_uri_parse (s, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 &&
      g_ascii_strcasecmp (scheme, "https") != 0)
    return FALSE;

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    return FALSE;

  if (g_hostname_is_ip_address (host))
    return TRUE;

  return domain_is_valid (host, 1, TRUE, TRUE);
}

/**
 * eva_validate_text:
 * @s: (nullable): the text; %NULL counts as empty
 * @len: its length in bytes, or -1 if nul-terminated
 * @max_chars: the most Unicode characters allowed, or 0 for no limit
 * @flags: #EvaTextFlags
 * @reason: (out) (optional) (transfer none): why the text was refused
 *
 * Checks, in this order: no NUL byte within @len and valid UTF-8 ("must be
 * valid UTF-8" / "must not contain control characters"); no control
 * characters (C0, DEL, C1) other than \n and \t, and not even those with
 * %EVA_TEXT_SINGLE_LINE, which also refuses U+2028 and U+2029 ("must be a
 * single line" for line breaks); not empty or only blank characters unless
 * %EVA_TEXT_ALLOW_EMPTY ("must not be empty"); at most @max_chars
 * characters ("must be at most 200 characters"). \r is a control character:
 * clients send line breaks as \n.
 */
gboolean
eva_validate_text (const char    *s,
                   gssize         len,
                   guint          max_chars,
                   EvaTextFlags   flags,
                   const char   **reason)
{
  gboolean single_line = (flags & EVA_TEXT_SINGLE_LINE) != 0;
  gboolean has_content = FALSE;
  gsize n_bytes;
  guint64 n_chars = 0;

  if (s == NULL)
    {
      s = "";
      len = 0;
    }

  n_bytes = len < 0 ? strlen (s) : (gsize) len;

  if (memchr (s, '\0', n_bytes) != NULL)
    return fail (reason, "must not contain control characters");

  if (!g_utf8_validate (s, (gssize) n_bytes, NULL))
    return fail (reason, "must be valid UTF-8");

  for (const char *p = s; p < s + n_bytes; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      n_chars++;

      if (c == '\n' || c == 0x2028 || c == 0x2029)
        {
          if (single_line)
            return fail (reason, "must be a single line");
        }
      else if (c == '\t')
        {
          if (single_line)
            return fail (reason, "must not contain control characters");
        }
      else if (is_control (c))
        {
          return fail (reason, "must not contain control characters");
        }
      else if (!has_content && !is_blank (c))
        {
          has_content = TRUE;
        }
    }

  if (!has_content && (flags & EVA_TEXT_ALLOW_EMPTY) == 0)
    return fail (reason, "must not be empty");

  if (max_chars > 0 && n_chars > max_chars)
    return fail (reason, reason != NULL ? reason_too_long (max_chars) : NULL);

  return TRUE;
}

/**
 * eva_validate_password:
 * @password: the new password
 * @email: (nullable): the account's e-mail address
 * @reason: (out) (optional) (transfer none): why it was refused
 *
 * A password needs at least 10 characters, at most 1024 bytes, valid UTF-8,
 * and must not equal @email ignoring case. Hash it after NFC normalization
 * so the same password typed on different systems matches.
 */
gboolean
eva_validate_password (const char  *password,
                       const char  *email,
                       const char **reason)
{
  gsize len;

  if (password == NULL)
    return fail (reason, "must be at least 10 characters");

  len = strlen (password);
  if (len > EVA_PASSWORD_MAX_BYTES)
    return fail (reason, "must be at most 1024 bytes");

  if (!g_utf8_validate (password, (gssize) len, NULL))
    return fail (reason, "must be valid UTF-8");

  if (g_utf8_strlen (password, (gssize) len) < EVA_PASSWORD_MIN_CHARS)
    return fail (reason, "must be at least 10 characters");

  if (email != NULL && g_utf8_validate (email, -1, NULL))
    {
      g_autofree char *folded_password = g_utf8_casefold (password, (gssize) len);
      g_autofree char *folded_email = g_utf8_casefold (email, -1);

      if (g_str_equal (folded_password, folded_email))
        return fail (reason, "must not be the same as the email address");
    }

  return TRUE;
}
