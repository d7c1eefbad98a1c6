/* test-validate.c: e-mail, slug, URL, text and password validation
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-validate"

#include "config.h"

#include <string.h>

#include "eva-common.h"

/* ------------------------------------------------------------------ */
/* E-mail                                                             */
/* ------------------------------------------------------------------ */

static void
test_email_valid (void)
{
  g_autofree char *local64 = g_strnfill (64, 'a');
  g_autofree char *max_local = g_strconcat (local64, "@example.com", NULL);
  g_autofree char *label63 = g_strnfill (63, 'b');
  g_autofree char *long_label = g_strconcat ("x@", label63, ".com", NULL);
  g_autoptr(GString) len254 = g_string_new (local64);
  static const char *const good[] = {
    "a@b.co",
    "alice@example.com",
    "Alice.Smith@Example.COM",
    "first.last+tag@sub.example.org",
    "o'neil@example.ie",
    "user_name-1@a-b.example",
    "x@1.example.com",
    "bob@xn--bcher-kva.example",
    "jörg@bücher.de",
    "用户@例子.广告",
    "δοκιμή@παράδειγμα.δοκιμή",
    "{weird}!#$%&*=?^`|~@example.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    if (!eva_validate_email (good[i]))
      g_error ("“%s” was rejected", good[i]);

  g_assert_true (eva_validate_email (max_local));
  g_assert_true (eva_validate_email (long_label));

  /* Exactly 254 bytes. */
  g_string_append_c (len254, '@');
  while (len254->len < 254 - 4)
    g_string_append (len254, len254->len % 50 == 0 ? "." : "c");
  g_string_append (len254, ".com");
  g_assert_cmpuint (len254->len, ==, 254);
  g_assert_true (eva_validate_email (len254->str));
}

static void
test_email_invalid (void)
{
  g_autofree char *local65 = g_strnfill (65, 'a');
  g_autofree char *too_long_local = g_strconcat (local65, "@example.com", NULL);
  g_autofree char *label64 = g_strnfill (64, 'b');
  g_autofree char *too_long_label = g_strconcat ("x@", label64, ".com", NULL);
  g_autoptr(GString) len255 = g_string_new ("a@");
  static const char *const bad[] = {
    "", "a", "ab", "a@b", "@", "@example.com", "alice@", "alice",
    "alice.example.com", "alice@@example.com", "a@b@example.com",
    "alice@example", "alice @example.com", "alice@ example.com",
    " alice@example.com", "alice@example.com ", "alice@exa mple.com",
    "alice\t@example.com", "alice@example.com\n", "alice\r\n@example.com",
    "al\x01ice@example.com", "alice\x7f@example.com",
    "al\xc2\x85ice@example.com",              /* U+0085 */
    "al\xc2\xa0ice@example.com",              /* no-break space */
    "\"alice\"@example.com", "al(ice)@example.com", "a,b@example.com",
    "a:b@example.com", "a;b@example.com", "<alice>@example.com",
    "Alice <alice@example.com>", "a[b]@example.com", "a\\b@example.com",
    "alice@-example.com", "alice@example-.com", "alice@ex--.com",
    "alice@.example.com", "alice@example..com", "alice@example.com.",
    "alice@example.123", "alice@1.2.3.4", "alice@[127.0.0.1]",
    "alice@exa_mple.com", "alice@exa%mple.com", "alice@example.c*m",
    "alice@例子.广告\xe2\x80\x8b",             /* trailing U+200B */
    "\xff@example.com", "alice@\xc3\x28.com",   /* invalid UTF-8 */
  };

  g_assert_false (eva_validate_email (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (eva_validate_email (bad[i]))
      g_error ("“%s” was accepted", bad[i]);

  g_assert_false (eva_validate_email (too_long_local));
  g_assert_false (eva_validate_email (too_long_label));

  while (len255->len < 255 - 4)
    g_string_append (len255, len255->len % 50 == 0 ? "." : "c");
  g_string_append (len255, ".com");
  g_assert_cmpuint (len255->len, ==, 255);
  g_assert_false (eva_validate_email (len255->str));
}

/* ------------------------------------------------------------------ */
/* Slugs                                                              */
/* ------------------------------------------------------------------ */

static void
test_slug (void)
{
  g_autofree char *max = g_strnfill (80, 'a');
  g_autofree char *over = g_strnfill (81, 'a');
  static const char *const good[] = {
    "a", "0", "event", "summer-fest-2026", "a-b-c", "2026", "x1-2y",
  };
  static const char *const bad[] = {
    "", "-", "-a", "a-", "a--b", "A", "Event", "a_b", "a b", "a.b", "a/b",
    "été", "a\n", "a-\xff",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    if (!eva_validate_slug (good[i]))
      g_error ("“%s” was rejected", good[i]);

  g_assert_false (eva_validate_slug (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (eva_validate_slug (bad[i]))
      g_error ("“%s” was accepted", bad[i]);

  g_assert_true (eva_validate_slug (max));
  g_assert_false (eva_validate_slug (over));
}

static void
test_slugify (void)
{
  static const struct { const char *title; const char *slug; } cases[] = {
    { "Été à Paris — 2026!", "ete-a-paris-2026" },
    { "Straße der Musik", "strasse-der-musik" },
    { "Smørrebrød & Æbleskiver", "smoerrebroed-aebleskiver" },
    { "Łódź Jazz", "lodz-jazz" },
    { "Crème Brûlée Night", "creme-brulee-night" },
    { "  --Hello,   World--  ", "hello-world" },
    { "Rock'n'Roll", "rock-n-roll" },
    { "C++ Meetup #42", "c-meetup-42" },
    { "summer-fest-2026", "summer-fest-2026" },
    { "ALL CAPS", "all-caps" },
    { "a\tb\nc", "a-b-c" },
    { "", "event" },
    { "   ", "event" },
    { "!!!", "event" },
    { "東京", "event" },
    { "🎉🎉", "event" },
    { "abc\xff" "def", "abc-def" },            /* invalid UTF-8 repaired */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *slug = eva_slugify (cases[i].title);

      g_assert_cmpstr (slug, ==, cases[i].slug);
    }
}

static void
test_slugify_long (void)
{
  g_autoptr(GString) title = g_string_new (NULL);
  g_autofree char *slug = NULL;
  g_autofree char *exact = NULL;
  g_autofree char *dash_at_limit = NULL;

  for (guint i = 0; i < 50; i++)
    g_string_append (title, "Grand Opening ");

  slug = eva_slugify (title->str);
  g_assert_cmpuint (strlen (slug), <=, 80);
  g_assert_true (eva_validate_slug (slug));
  g_assert_true (g_str_has_prefix (slug, "grand-opening-grand-opening"));

  /* 79 letters then a separator then more: no dash may be left at the end. */
  g_string_truncate (title, 0);
  for (guint i = 0; i < 79; i++)
    g_string_append_c (title, 'x');
  g_string_append (title, " yz");
  dash_at_limit = eva_slugify (title->str);
  g_assert_cmpuint (strlen (dash_at_limit), ==, 79);
  g_assert_true (eva_validate_slug (dash_at_limit));

  g_string_truncate (title, 0);
  for (guint i = 0; i < 100; i++)
    g_string_append (title, "é");
  exact = eva_slugify (title->str);
  g_assert_cmpuint (strlen (exact), ==, 80);
  g_assert_true (eva_validate_slug (exact));
}

/* Whatever goes in, a valid slug comes out. */
static void
test_slugify_random (void)
{
  for (guint round = 0; round < 3000; round++)
    {
      guint len = (guint) g_test_rand_int_range (0, 200);
      g_autofree char *bytes = g_malloc (len + 1);
      g_autofree char *slug = NULL;

      for (guint i = 0; i < len; i++)
        bytes[i] = (char) g_test_rand_int_range (1, 256);
      bytes[len] = '\0';

      slug = eva_slugify (bytes);
      g_assert_true (eva_validate_slug (slug));
    }
}

/* ------------------------------------------------------------------ */
/* URLs                                                               */
/* ------------------------------------------------------------------ */

static void
test_http_url (void)
{
  g_autofree char *long_path = g_strnfill (2100, 'a');
  g_autofree char *too_long = g_strconcat ("https://example.com/", long_path, NULL);
  static const char *const good[] = {
    "http://example.com",
    "https://example.com/",
    "https://example.com/path/to?q=1&r=%20#frag",
    "HTTPS://EXAMPLE.COM/",
    "Http://example.com",
    "https://sub.example.co.uk:8443/x",
    "https://example.com.",
    "https://my_host.example.com/",
    "http://localhost:8080/",
    "http://127.0.0.1/",
    "http://[::1]:8080/",
    "http://[2001:db8::1]/",
    "https://münchen.de/straße",
    "https://user:secret@example.com/",
    "https://fonts.example.com/css?family=A|B",
  };
  static const char *const bad[] = {
    "", "example.com", "www.example.com", "//example.com/x", "/relative",
    "ftp://example.com/", "mailto:alice@example.com", "javascript:alert(1)",
    "data:text/html,hi", "file:///etc/passwd", "httpx://example.com",
    "http:", "http://", "https://", "http:///path", "http:example.com",
    "http://:80/", "https://exa mple.com", "https://example.com/a b",
    " https://example.com", "https://example.com ", "https://example.com/\n",
    "https://example.com/\t", "https://exa\x01mple.com", "http://exa<mple.com",
    "https://example.com/\"><script>", "https://example.com/a\\b",
    "https://-example.com/", "https://example-.com/", "https://exa..mple.com/",
    "https://.example.com/", "http://[::1/", "http://[not-an-ip]/",
    "http://example.com:99999/", "http://example.com:port/",
    "http://exa%20mple.com/", "http://exa%2Fmple.com/",
    "https://example.com/%zz",
    "https://example.com/\xff", "https://example.com/\xe2\x80\xae" "gpj.exe",
    "https://ex\xe2\x80\x8b" "ample.com/",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    if (!eva_validate_http_url (good[i]))
      g_error ("“%s” was rejected", good[i]);

  g_assert_false (eva_validate_http_url (NULL));
  g_assert_false (eva_validate_http_url (too_long));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (eva_validate_http_url (bad[i]))
      g_error ("“%s” was accepted", bad[i]);
}

/* ------------------------------------------------------------------ */
/* Free text                                                          */
/* ------------------------------------------------------------------ */

static void
assert_text (const char   *s,
             gssize        len,
             guint         max_chars,
             EvaTextFlags  flags,
             const char   *expected_reason)
{
  const char *reason = "untouched";
  gboolean ok = eva_validate_text (s, len, max_chars, flags, &reason);

  if (expected_reason == NULL)
    {
      if (!ok)
        g_error ("“%s” was rejected: %s", s, reason);
      g_assert_cmpstr (reason, ==, "untouched");
    }
  else
    {
      if (ok)
        g_error ("“%s” was accepted", s);
      g_assert_cmpstr (reason, ==, expected_reason);
    }
}

static void
test_text (void)
{
  const EvaTextFlags single = EVA_TEXT_SINGLE_LINE;
  const EvaTextFlags multi = 0;

  assert_text ("Summer Fest", -1, 200, single, NULL);
  assert_text ("Line one\nLine two\tTabbed", -1, 200, multi, NULL);
  assert_text ("Ünïcödé ✓ 🎉 עברית", -1, 200, single, NULL);
  assert_text ("  padded  ", -1, 200, single, NULL);

  /* Invalid UTF-8 and NULs. */
  assert_text ("bad \xff byte", -1, 200, multi, "must be valid UTF-8");
  assert_text ("overlong \xc0\xaf", -1, 200, multi, "must be valid UTF-8");
  assert_text ("surrogate \xed\xa0\x80", -1, 200, multi, "must be valid UTF-8");
  assert_text ("cut \xc3", -1, 200, multi, "must be valid UTF-8");
  assert_text ("nul\0inside", 10, 200, multi, "must not contain control characters");
  assert_text ("nul\0inside", 3, 200, multi, NULL);   /* only @len is checked */
  assert_text ("é", 1, 200, multi, "must be valid UTF-8");

  /* Control characters. */
  assert_text ("bell\a", -1, 200, multi, "must not contain control characters");
  assert_text ("esc\x1b[31m", -1, 200, multi, "must not contain control characters");
  assert_text ("cr\r\nlf", -1, 200, multi, "must not contain control characters");
  assert_text ("del\x7f", -1, 200, multi, "must not contain control characters");
  assert_text ("c1\xc2\x85", -1, 200, multi, "must not contain control characters");
  assert_text ("c1\xc2\x9b", -1, 200, multi, "must not contain control characters");
  assert_text ("two\nlines", -1, 200, single, "must be a single line");
  assert_text ("ls\xe2\x80\xa8", -1, 200, single, "must be a single line");
  assert_text ("ps\xe2\x80\xa9", -1, 200, single, "must be a single line");
  assert_text ("ls\xe2\x80\xa8ok", -1, 200, multi, NULL);
  assert_text ("tab\there", -1, 200, single, "must not contain control characters");

  /* Empty and blank. */
  assert_text ("", -1, 200, single, "must not be empty");
  assert_text ("   ", -1, 200, single, "must not be empty");
  assert_text (" \n\t \n", -1, 200, multi, "must not be empty");
  assert_text ("\xc2\xa0\xe3\x80\x80", -1, 200, single, "must not be empty");  /* NBSP, ideographic space */
  assert_text ("\xe2\x80\x8b\xe2\x80\x8d", -1, 200, single, "must not be empty"); /* ZWSP, ZWJ */
  assert_text ("\xe3\x85\xa4", -1, 200, single, "must not be empty");  /* Hangul filler */
  assert_text (NULL, 0, 200, single, "must not be empty");
  assert_text (NULL, -1, 200, single, "must not be empty");
  assert_text ("", -1, 200, single | EVA_TEXT_ALLOW_EMPTY, NULL);
  assert_text ("   ", -1, 200, single | EVA_TEXT_ALLOW_EMPTY, NULL);
  assert_text (NULL, 0, 200, EVA_TEXT_ALLOW_EMPTY, NULL);

  /* Length counts characters, not bytes. */
  assert_text ("ééé", -1, 3, single, NULL);
  assert_text ("éééé", -1, 3, single, "must be at most 3 characters");
  assert_text ("🎉", -1, 1, single, NULL);
  assert_text ("ab", -1, 1, single, "must be at most 1 character");
  assert_text ("abc", -1, 2, single, "must be at most 2 characters");
  assert_text ("abc", -1, 0, single, NULL);   /* 0: no limit */

  /* reason may be NULL. */
  g_assert_false (eva_validate_text ("", -1, 10, 0, NULL));
  g_assert_false (eva_validate_text ("abc", -1, 2, 0, NULL));
  g_assert_true (eva_validate_text ("abc", -1, 3, 0, NULL));
}

static void
test_text_reason_lifetime (void)
{
  const char *first = NULL;
  const char *second = NULL;
  g_autoptr(GString) long_text = g_string_new (NULL);

  g_assert_false (eva_validate_text ("abcdef", -1, 5, 0, &first));
  g_assert_false (eva_validate_text ("ghijkl", -1, 5, 0, &second));
  g_assert_true (first == second);   /* interned: never freed */
  g_assert_cmpstr (first, ==, "must be at most 5 characters");

  for (guint i = 0; i < 100000; i++)
    g_string_append (long_text, "ü");
  g_assert_true (eva_validate_text (long_text->str, (gssize) long_text->len, 100000, 0, NULL));
  g_assert_false (eva_validate_text (long_text->str, (gssize) long_text->len, 99999, 0, NULL));
}

/* ------------------------------------------------------------------ */
/* Passwords                                                          */
/* ------------------------------------------------------------------ */

static void
assert_password (const char *password,
                 const char *email,
                 const char *expected_reason)
{
  const char *reason = NULL;
  gboolean ok = eva_validate_password (password, email, &reason);

  if (expected_reason == NULL)
    {
      if (!ok)
        g_error ("password “%s” was rejected: %s", password, reason);
    }
  else
    {
      if (ok)
        g_error ("password “%s” was accepted", password);
      g_assert_cmpstr (reason, ==, expected_reason);
    }
}

static void
test_password (void)
{
  g_autofree char *max = g_strnfill (1024, 'p');
  g_autofree char *over = g_strnfill (1025, 'p');
  g_autoptr(GString) accents = g_string_new (NULL);

  assert_password ("correct horse battery staple", "alice@example.com", NULL);
  assert_password ("0123456789", NULL, NULL);
  assert_password ("012345678", NULL, "must be at least 10 characters");
  assert_password ("", NULL, "must be at least 10 characters");
  assert_password (NULL, NULL, "must be at least 10 characters");
  assert_password (max, NULL, NULL);
  assert_password (over, NULL, "must be at most 1024 bytes");
  assert_password ("valid start \xff end", NULL, "must be valid UTF-8");

  /* Characters, not bytes: five é are ten bytes but five characters. */
  assert_password ("ééééé", NULL, "must be at least 10 characters");
  assert_password ("éééééééééé", NULL, NULL);
  assert_password ("🔑🔑🔑🔑🔑🔑🔑🔑🔑", NULL, "must be at least 10 characters");

  /* Not the e-mail address, in any case. */
  assert_password ("alice@example.com", "alice@example.com",
                   "must not be the same as the email address");
  assert_password ("ALICE@Example.COM", "alice@example.com",
                   "must not be the same as the email address");
  assert_password ("jörg@bücher.de", "JÖRG@BÜCHER.DE",
                   "must not be the same as the email address");
  assert_password ("alice@example.com!", "alice@example.com", NULL);
  assert_password ("alice@example.com", "bob@example.com", NULL);
  assert_password ("alice@example.com", "\xff", NULL);

  /* 1024 bytes of two-byte characters is the limit too. */
  for (guint i = 0; i < 513; i++)
    g_string_append (accents, "é");
  assert_password (accents->str, NULL, "must be at most 1024 bytes");
  g_string_truncate (accents, 1024);
  assert_password (accents->str, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/validate/email/valid", test_email_valid);
  g_test_add_func ("/validate/email/invalid", test_email_invalid);
  g_test_add_func ("/validate/slug", test_slug);
  g_test_add_func ("/validate/slugify", test_slugify);
  g_test_add_func ("/validate/slugify/long", test_slugify_long);
  g_test_add_func ("/validate/slugify/random", test_slugify_random);
  g_test_add_func ("/validate/http-url", test_http_url);
  g_test_add_func ("/validate/text", test_text);
  g_test_add_func ("/validate/text/reason-lifetime", test_text_reason_lifetime);
  g_test_add_func ("/validate/password", test_password);

  return g_test_run ();
}
