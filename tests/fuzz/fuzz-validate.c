/* fuzz-validate.c: the field validators (common/eva-validate.c)
 *
 * Input: one flag byte, then the text.
 * Properties, each from the function's documented contract: an accepted
 * e-mail address is 3 to 254 bytes of UTF-8 with one '@', nothing a mail
 * header would need quoted and no control characters; a slug matches
 * ^[a-z0-9]+(-[a-z0-9]+)*$ within 80 bytes; eva_slugify() of anything
 * is such a slug; an accepted URL is http(s), parses with GUri and has
 * a host; accepted text is valid UTF-8 within its length, without
 * control characters (nor line breaks when single-line), not blank
 * unless allowed; a refusal always gives a reason.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-validate.h"
#include "fuzz-common.h"

static gboolean
is_slug (const char *s)
{
  gsize len = strlen (s);

  if (len == 0 || len > EVA_SLUG_MAX_LEN || s[0] == '-' || s[len - 1] == '-' || strstr (s, "--"))
    return FALSE;
  return strspn (s, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint8 flags_byte = size > 0 ? data[0] : 0;
  g_autofree char *text = fuzz_string (data + MIN (size, 1), size - MIN (size, 1));
  g_autofree char *slug = NULL;
  const char *reason = NULL;
  EvaTextFlags flags = flags_byte & (EVA_TEXT_SINGLE_LINE | EVA_TEXT_ALLOW_EMPTY);
  guint max_chars = flags_byte >> 2;   /* 0 (no limit) to 63 */
  gssize len = (flags_byte & 0x80) ? (gssize) (size - MIN (size, 1)) : -1;

  fuzz_init ();

  if (eva_validate_email (text))
    {
      const char *at = strchr (text, '@');

      FUZZ_CHECK (strlen (text) >= 3 && strlen (text) <= 254);
      FUZZ_CHECK (g_utf8_validate (text, -1, NULL));
      FUZZ_CHECK (at != NULL && at != text && strchr (at + 1, '@') == NULL);
      FUZZ_CHECK (at - text <= 64);
      FUZZ_CHECK (strpbrk (text, "\"(),:;<>[\\] \r\n\t") == NULL);
      FUZZ_CHECK (strchr (at + 1, '.') != NULL && !g_str_has_suffix (text, "."));
    }

  if (eva_validate_slug (text))
    FUZZ_CHECK (is_slug (text));
  slug = eva_slugify (text);
  FUZZ_CHECK (slug != NULL && is_slug (slug) && eva_validate_slug (slug));

  if (eva_validate_http_url (text))
    {
      g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);

      FUZZ_CHECK (strlen (text) <= 2048);
      FUZZ_CHECK (g_ascii_strncasecmp (text, "http://", 7) == 0 ||
                  g_ascii_strncasecmp (text, "https://", 8) == 0);
      FUZZ_CHECK (strpbrk (text, " <>\"\\`\r\n\t") == NULL);
      FUZZ_CHECK (uri != NULL);
      FUZZ_CHECK (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0');
    }

  if (eva_validate_text (text, len, max_chars, flags, &reason))
    {
      FUZZ_CHECK (g_utf8_validate (text, -1, NULL));
      FUZZ_CHECK (len < 0 || (gsize) len == strlen (text));
      FUZZ_CHECK (max_chars == 0 || g_utf8_strlen (text, -1) <= max_chars);
      for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          FUZZ_CHECK (!(c < 0x20 && c != '\n' && c != '\t') && !(c >= 0x7f && c <= 0x9f));
          if (flags & EVA_TEXT_SINGLE_LINE)
            FUZZ_CHECK (c != '\n' && c != '\t' && c != 0x2028 && c != 0x2029);
        }
      if (!(flags & EVA_TEXT_ALLOW_EMPTY))
        FUZZ_CHECK (*text != '\0');
    }
  else
    FUZZ_CHECK (reason != NULL && *reason != '\0');

  reason = NULL;
  if (eva_validate_password (text, "someone@example.org", &reason))
    {
      FUZZ_CHECK (g_utf8_validate (text, -1, NULL));
      FUZZ_CHECK (g_utf8_strlen (text, -1) >= EVA_PASSWORD_MIN_CHARS);
      FUZZ_CHECK (strlen (text) <= EVA_PASSWORD_MAX_BYTES);
      FUZZ_CHECK (g_ascii_strcasecmp (text, "someone@example.org") != 0);
    }
  else
    FUZZ_CHECK (reason != NULL);
  return 0;
}
