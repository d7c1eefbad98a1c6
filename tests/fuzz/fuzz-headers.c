/* fuzz-headers.c: request headers read by hand: Cookie
 * (_eva_cookie_find in server/http/eva-request.c, which
 * eva_session_cookie_token() uses), Accept-Language
 * (_eva_pages_accepted_lang in server/site/eva-pages.c) and the
 * recipient locales of mails (eva_i18n_language / eva_i18n_gettext in
 * server/mail/eva-i18n.c), and Origin (_eva_session_origin_of in
 * server/http/eva-session.c, the CSRF check's parser)
 *
 * Input: a cookie name, a newline, then the header value.
 * Properties: a cookie found is non-empty, holds no ';' or ',' and
 * appears as "name=value" in the header; the session cookie likewise;
 * the language chosen is NULL or a site language the header names; a
 * locale resolves to a BCP 47 tag of a catalog whose language the
 * locale starts with (or "en"), and a translation is never NULL; an
 * origin is lower case "scheme://host[:port]" without a default port,
 * and, when its host is a name or an address, its own origin.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "http/eva-request-private.h"
#include "http/eva-session.h"
#include "http/eva-session-private.h"
#include "mail/eva-i18n.h"
#include "site/eva-pages-private.h"
#include "fuzz-common.h"

static void
check_cookie (const char *list,
              const char *name)
{
  g_autofree char *value = _eva_cookie_find (list, name);

  if (value != NULL)
    {
      g_autofree char *pair = g_strconcat (name, "=", value, NULL);

      FUZZ_CHECK (*value != '\0');
      FUZZ_CHECK (strpbrk (value, ";,") == NULL);
      FUZZ_CHECK (strstr (list, pair) != NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *rest;
  size_t rest_size;
  g_autofree char *name = fuzz_split (data, size, '\n', &rest, &rest_size);
  g_autofree char *value = fuzz_string (rest, rest_size);
  const char *lang;
  const char *tag;
  g_autofree char *origin = NULL;

  fuzz_init ();
  check_cookie (value, name);
  check_cookie (value, EVA_SESSION_COOKIE);

  lang = _eva_pages_accepted_lang (value);
  if (lang != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (value, -1);

      FUZZ_CHECK (g_str_equal (lang, "en") || g_str_equal (lang, "de"));
      FUZZ_CHECK (strstr (lower, lang) != NULL);
    }

  tag = eva_i18n_language (name);
  FUZZ_CHECK (tag != NULL);
  if (!g_str_equal (tag, "en"))
    {
      /* Separators before the language are skipped ("-de" reads as "de"). */
      const char *language = name + strspn (name, "-_");
      gsize lang_len = strcspn (tag, "-");

      FUZZ_CHECK (lang_len >= 2 && lang_len <= 3);
      FUZZ_CHECK (g_ascii_strncasecmp (language, tag, lang_len) == 0);
      FUZZ_CHECK (language[lang_len] == '\0' || strchr ("-_.@", language[lang_len]) != NULL);
    }
  FUZZ_CHECK (eva_i18n_gettext (name, "Your tickets") != NULL);

  origin = _eva_session_origin_of (value);
  if (origin != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (origin, -1);
      g_autofree char *again = _eva_session_origin_of (origin);

      FUZZ_CHECK (g_str_equal (lower, origin));
      FUZZ_CHECK (strstr (origin, "://") != NULL);
      FUZZ_CHECK (!(g_str_has_prefix (origin, "http://") && g_str_has_suffix (origin, ":80")));
      FUZZ_CHECK (!(g_str_has_prefix (origin, "https://") && g_str_has_suffix (origin, ":443")));
      /* GUri takes anything between brackets for a host; a plain host
       * name or IP address must give the same origin again. */
      if (strspn (strstr (origin, "://") + 3, "abcdefghijklmnopqrstuvwxyz0123456789.-[]:") ==
          strlen (strstr (origin, "://") + 3))
        FUZZ_CHECK (again != NULL && g_str_equal (again, origin));
    }
  return 0;
}
