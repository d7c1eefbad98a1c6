/* test-web.c: the attendee site's pages as the server composes them
 *
 * Every page is layout.html + pages/<name>.html with a head the server
 * writes; the event page carries the event's title, description and date in
 * its title, OpenGraph and Twitter tags (HTML-escaped), schema.org JSON-LD
 * and a JSON data block. These tests read the real embedded site.
 * (What a browser does with the pages is tests/web/.)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-test.h"

static EvaTestServer *server;
static char *token;

#define NASTY_TITLE "Rock & \\\"Roll\\\" <script>alert(1)</script>"
#define NASTY_DESCRIPTION "Doors at 7.\\n\\nBring </script><script>alert(2)</script> friends & 'family'."

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *
create_event (const char *slug,
              const char *title,
              const char *description)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_call (server, "POST", "/api/v1/admin/events", token,
                   "{\"title\":\"%s\",\"slug\":\"%s\",\"description\":\"%s\","
                   "\"timezone\":\"Europe/Vienna\",\"currency\":\"EUR\","
                   "\"venue\":\"Arena <1>\",\"address\":\"Ring 1, Wien\","
                   "\"starts_at\":\"2030-12-05T18:30:00Z\",\"ends_at\":\"2030-12-05T22:00:00Z\"}",
                   title, slug, description);
  g_autofree char *types = NULL;

  eva_test_assert_status (resp, 201);
  types = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types",
                           eva_test_json_string (resp->json, "id"));
  {
    g_autoptr(EvaTestResponse) type =
      eva_test_call (server, "POST", types, token,
                     "{\"name\":\"Standing\",\"price\":2450,\"capacity\":100}");

    eva_test_assert_status (type, 201);
  }
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static void
action (const char *event_id,
        const char *what)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/%s", event_id, what);
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", path, token, NULL);

  eva_test_assert_status (resp, 200);
}

static EvaTestResponse *
get_page (const char *path,
          guint       status)
{
  EvaTestResponse *resp = eva_test_call (server, "GET", path, NULL, NULL);

  if (resp->status != status)
    g_error ("GET %s: %u, expected %u\n%s", path, resp->status, status, resp->body);
  g_assert_true (g_str_has_prefix (eva_test_header (resp, "Content-Type"), "text/html"));
  return resp;
}

/* The text between @start and the next @end, or NULL. */
static char *
between (const char *text,
         const char *start,
         const char *end)
{
  const char *a = strstr (text, start);
  const char *b;

  if (a == NULL)
    return NULL;
  a += strlen (start);
  b = strstr (a, end);
  g_assert_nonnull (b);
  return g_strndup (a, b - a);
}

/* The content attribute of <meta {attribute}="{key}">. */
static char *
meta (const char *page,
      const char *attribute,
      const char *key)
{
  g_autofree char *start = g_strdup_printf ("<meta %s=\"%s\" content=\"", attribute, key);

  return between (page, start, "\"");
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_pages (void)
{
  static const struct { const char *path; const char *page; } cases[] = {
    { "/", "events" },
    { "/?q=jazz&from=2030-01-01", "events" },
    { "/login", "login" },
    { "/login?next=%2Fe%2Fjazz", "login" },
    { "/register", "register" },
    { "/verify?token=abc", "verify" },
    { "/forgot-password", "forgot-password" },
    { "/reset-password?token=abc", "reset-password" },
    { "/account", "account" },
    { "/bookings", "bookings" },
    { "/bookings/00000000-0000-4000-8000-000000000000", "booking" },
    { "/tickets", "tickets" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) resp = get_page (cases[i].path, 200);
      g_autofree char *marker = g_strdup_printf ("data-page=\"%s\"", cases[i].page);
      const char *csp = eva_test_header (resp, "Content-Security-Policy");

      g_test_message ("%s", cases[i].path);
      g_assert_nonnull (strstr (resp->body, marker));
      g_assert_nonnull (strstr (resp->body, "<title>"));
      g_assert_nonnull (strstr (resp->body, "og:title"));
      /* Every marker was replaced. */
      g_assert_null (strstr (resp->body, "<!--head-->"));
      g_assert_null (strstr (resp->body, "<!--main-->"));
      g_assert_null (strstr (resp->body, "<!--data-->"));
      g_assert_null (strstr (resp->body, "{{page}}"));
      /* A strict policy: no inline script or style. */
      g_assert_nonnull (csp);
      g_assert_nonnull (strstr (csp, "script-src 'self';"));
      g_assert_null (strstr (csp, "unsafe-inline"));
      g_assert_cmpstr (eva_test_header (resp, "X-Frame-Options"), ==, "DENY");
      g_assert_cmpstr (eva_test_header (resp, "Cache-Control"), ==, "no-cache");
      g_assert_nonnull (eva_test_header (resp, "ETag"));
      g_assert_null (strstr (resp->body, "id=\"page-data\""));
    }

  /* Pages about one person stay out of search engines; the list does not. */
  {
    g_autoptr(EvaTestResponse) account = get_page ("/account", 200);
    g_autoptr(EvaTestResponse) events = get_page ("/", 200);

    g_assert_nonnull (strstr (account->body, "name=\"robots\" content=\"noindex\""));
    g_assert_null (strstr (events->body, "noindex"));
  }
}

static void
test_not_found (void)
{
  static const char *paths[] = {
    "/nope", "/e/", "/e/no-such-event", "/e/a/b", "/e/NOT%20A%20SLUG",
    "/bookings/", "/bookings/a/b", "/login/", "/css/nope.css", "/js/../layout.html",
    "/.git/config",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(EvaTestResponse) resp = get_page (paths[i], 404);

      g_test_message ("%s", paths[i]);
      g_assert_nonnull (strstr (resp->body, "data-page=\"not-found\""));
      g_assert_nonnull (eva_test_header (resp, "Content-Security-Policy"));
      /* A 404 is never cached as a page: no validator to keep it by. */
      g_assert_null (eva_test_header (resp, "ETag"));
    }

  /* Pages are read-only. */
  {
    g_autoptr(EvaTestResponse) post = eva_test_call (server, "POST", "/login", NULL, "{}");

    eva_test_assert_error (post, 405, "method_not_allowed");
  }
}

static void
test_event_page (void)
{
  g_autofree char *id = create_event ("rock-and-roll", NASTY_TITLE, NASTY_DESCRIPTION);
  g_autofree char *title = NULL;
  g_autofree char *og_title = NULL;
  g_autofree char *og_description = NULL;
  g_autofree char *twitter_title = NULL;
  g_autofree char *og_url = NULL;
  g_autofree char *data = NULL;
  g_autofree char *ld = NULL;
  g_autoptr(JsonNode) event = NULL;
  g_autoptr(JsonNode) json_ld = NULL;

  /* A draft is not public. */
  {
    g_autoptr(EvaTestResponse) draft = get_page ("/e/rock-and-roll", 404);

    g_assert_nonnull (strstr (draft->body, "data-page=\"not-found\""));
  }

  action (id, "publish");
  {
    g_autoptr(EvaTestResponse) resp = get_page ("/e/rock-and-roll", 200);

    g_assert_nonnull (strstr (resp->body, "data-page=\"event\""));
    /* Nothing from the event reaches the page unescaped. */
    g_assert_null (strstr (resp->body, "<script>alert"));
    g_assert_null (strstr (resp->body, "</script><script>"));
    g_assert_null (strstr (resp->body, "Arena <1>"));

    title = between (resp->body, "<title>", "</title>");
    og_title = meta (resp->body, "property", "og:title");
    og_description = meta (resp->body, "property", "og:description");
    twitter_title = meta (resp->body, "name", "twitter:title");
    og_url = meta (resp->body, "property", "og:url");
    data = between (resp->body, "<script type=\"application/json\" id=\"page-data\">", "</script>");
    ld = between (resp->body, "<script type=\"application/ld+json\">", "</script>");
  }

  g_assert_cmpstr (title, ==,
                   "Rock &amp; &quot;Roll&quot; &lt;script&gt;alert(1)&lt;/script&gt; · Everato");
  g_assert_cmpstr (og_title, ==, "Rock &amp; &quot;Roll&quot; &lt;script&gt;alert(1)&lt;/script&gt;");
  g_assert_cmpstr (twitter_title, ==, og_title);
  /* Date and time in the event's own time zone, the venue, the text. */
  g_assert_cmpstr (og_description, ==,
                   "Thu 5 Dec 2030, 19:30 · Arena &lt;1&gt; — Doors at 7. Bring "
                   "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt; friends &amp; "
                   "&#39;family&#39;.");
  g_assert_true (g_str_has_suffix (og_url, "/e/rock-and-roll"));

  /* The data block is the public event, intact once parsed. */
  g_assert_nonnull (data);
  event = parse (data);
  g_assert_cmpstr (eva_test_json_string (event, "id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (event, "title"), ==,
                   "Rock & \"Roll\" <script>alert(1)</script>");
  g_assert_cmpint (eva_test_json_int (event, "ticket_types.0.price"), ==, 2450);

  g_assert_nonnull (ld);
  json_ld = parse (ld);
  g_assert_cmpstr (eva_test_json_string (json_ld, "@type"), ==, "Event");
  g_assert_cmpstr (eva_test_json_string (json_ld, "startDate"), ==, "2030-12-05T18:30:00+00:00");
  g_assert_cmpstr (eva_test_json_string (json_ld, "location.name"), ==, "Arena <1>");
  g_assert_cmpstr (eva_test_json_string (json_ld, "offers.lowPrice"), ==, "24.50");
  g_assert_cmpstr (eva_test_json_string (json_ld, "offers.priceCurrency"), ==, "EUR");
  g_assert_cmpstr (eva_test_json_string (json_ld, "eventStatus"), ==,
                   "https://schema.org/EventScheduled");

  /* A cancelled event keeps its page, and says so. */
  action (id, "cancel");
  g_usleep (1100 * 1000);   /* past the one-second cache */
  {
    g_autoptr(EvaTestResponse) resp = get_page ("/e/rock-and-roll", 200);
    g_autofree char *description = meta (resp->body, "property", "og:description");
    g_autofree char *cancelled_ld = between (resp->body, "<script type=\"application/ld+json\">",
                                             "</script>");
    g_autoptr(JsonNode) node = parse (cancelled_ld);

    g_assert_true (g_str_has_prefix (description, "Cancelled · "));
    g_assert_cmpstr (eva_test_json_string (node, "eventStatus"), ==,
                     "https://schema.org/EventCancelled");
  }
}

/* The page and the API share one cached read of the event. */
static void
test_event_page_cache (void)
{
  g_autofree char *id = create_event ("cached-event", "Cached", "");
  g_autoptr(EvaTestResponse) api = NULL;

  action (id, "publish");
  api = eva_test_call (server, "GET", "/api/v1/public/events/cached-event", NULL, NULL);
  eva_test_assert_status (api, 200);
  {
    g_autoptr(EvaTestResponse) page = get_page ("/e/cached-event", 200);
    g_autofree char *data = between (page->body, "<script type=\"application/json\" id=\"page-data\">",
                                     "</script>");
    g_autoptr(JsonNode) event = parse (data);

    g_assert_cmpstr (eva_test_json_string (event, "id"), ==, id);
    g_assert_cmpstr (eva_test_json_string (event, "title"), ==, "Cached");
    /* The same for every visitor who is not signed in: a proxy may keep
     * it for a second (deploy/nginx does), apart per language. */
    g_assert_cmpstr (eva_test_header (page, "Cache-Control"), ==,
                     "public, max-age=1, stale-while-revalidate=5");
    g_assert_nonnull (strstr (eva_test_header (page, "Vary"), "Cookie"));
    g_assert_nonnull (strstr (eva_test_header (page, "Vary"), "Accept-Language"));
  }

  /* Signed in, the page shows the visitor's own links: never shared. */
  {
    g_autofree char *url = g_strconcat (server->base_url, "/e/cached-event", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GError) error = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie",
                                  "everato_signed_in=1");
    body = soup_session_send_and_read (server->session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                   "Cache-Control"), ==, "no-cache");
  }

  /* Nor is a page that is not there (yet). */
  {
    g_autoptr(EvaTestResponse) missing = get_page ("/e/not-published-yet", 404);

    g_assert_cmpstr (eva_test_header (missing, "Cache-Control"), ==, "no-cache");
  }
}

static void
test_etag (void)
{
  g_autoptr(EvaTestResponse) first = get_page ("/login", 200);
  const char *etag = eva_test_header (first, "ETag");
  g_autofree char *url = g_strconcat (server->base_url, "/login", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (etag);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "If-None-Match", etag);
  body = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 304);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 0);
}

static void
test_assets (void)
{
  g_autoptr(EvaTestResponse) css = eva_test_call (server, "GET", "/css/site.css", NULL, NULL);
  g_autoptr(EvaTestResponse) js = eva_test_call (server, "GET", "/js/app.js", NULL, NULL);

  eva_test_assert_status (css, 200);
  eva_test_assert_status (js, 200);
  g_assert_cmpstr (eva_test_header (css, "Content-Type"), ==, "text/css; charset=utf-8");
  g_assert_cmpstr (eva_test_header (js, "Content-Type"), ==, "text/javascript; charset=utf-8");
  g_assert_cmpstr (eva_test_header (js, "Cache-Control"), ==, "no-cache");
  g_assert_cmpstr (eva_test_header (js, "X-Content-Type-Options"), ==, "nosniff");
  g_assert_nonnull (eva_test_header (js, "ETag"));
}

/* Raw GET through a session that does not decode; the body as sent. */
static GBytes *
raw_get (const char          *path,
         const char          *accept_encoding,
         const char          *if_none_match,
         SoupMessageHeaders **headers,
         guint               *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  GBytes *body;

  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  if (accept_encoding != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "Accept-Encoding", accept_encoding);
  if (if_none_match != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "If-None-Match", if_none_match);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  *status = soup_message_get_status (msg);
  return body;
}

static GBytes *
gunzip (GBytes *bytes)
{
  g_autoptr(GZlibDecompressor) decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GInputStream) memory = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GInputStream) in = g_converter_input_stream_new (memory, G_CONVERTER (decompressor));
  g_autoptr(GError) error = NULL;
  GBytes *out = g_input_stream_read_bytes (in, 10 * 1024 * 1024, NULL, &error);

  g_assert_no_error (error);
  return out;
}

/* Text goes gzipped to clients that take it, with its own validator. */
static void
test_gzip (void)
{
  static const char *paths[] = { "/js/app.js", "/css/site.css", "/locales/de.json", "/login" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(SoupMessageHeaders) plain_headers = NULL;
      g_autoptr(SoupMessageHeaders) gz_headers = NULL;
      g_autoptr(SoupMessageHeaders) refused_headers = NULL;
      g_autoptr(SoupMessageHeaders) again_headers = NULL;
      g_autoptr(GBytes) plain = NULL;
      g_autoptr(GBytes) gz = NULL;
      g_autoptr(GBytes) refused = NULL;
      g_autoptr(GBytes) again = NULL;
      g_autoptr(GBytes) unpacked = NULL;
      guint status;

      g_test_message ("%s", paths[i]);
      plain = raw_get (paths[i], NULL, NULL, &plain_headers, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_null (soup_message_headers_get_one (plain_headers, "Content-Encoding"));
      /* Pages also depend on the language (Accept-Language, the cookie). */
      g_assert_cmpstr (soup_message_headers_get_one (plain_headers, "Vary"), ==,
                       g_str_equal (paths[i], "/login") ? "Accept-Encoding, Accept-Language, Cookie"
                                                        : "Accept-Encoding");

      gz = raw_get (paths[i], "br, gzip;q=0.8", NULL, &gz_headers, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpstr (soup_message_headers_get_one (gz_headers, "Content-Encoding"), ==, "gzip");
      g_assert_cmpuint (g_bytes_get_size (gz), <, g_bytes_get_size (plain));
      unpacked = gunzip (gz);
      g_assert_true (g_bytes_equal (unpacked, plain));
      g_assert_cmpstr (soup_message_headers_get_one (gz_headers, "ETag"), !=,
                       soup_message_headers_get_one (plain_headers, "ETag"));

      /* Each variant revalidates with its own validator. */
      again = raw_get (paths[i], "gzip", soup_message_headers_get_one (gz_headers, "ETag"),
                       &again_headers, &status);
      g_assert_cmpuint (status, ==, 304);

      refused = raw_get (paths[i], "gzip;q=0, identity", NULL, &refused_headers, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_null (soup_message_headers_get_one (refused_headers, "Content-Encoding"));
      g_assert_true (g_bytes_equal (refused, plain));
    }
}

/* A page's <html> start tag and whether it preloads German, as asked
 * with @accept_language and @cookie (either may be NULL). */
static char *
html_tag (const char *path,
          const char *accept_language,
          const char *cookie,
          gboolean   *preloads)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  const char *start, *end;

  if (accept_language != NULL)
    soup_message_headers_replace (headers, "Accept-Language", accept_language);
  if (cookie != NULL)
    soup_message_headers_replace (headers, "Cookie", cookie);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  start = strstr (text, "<html");
  g_assert_nonnull (start);
  end = strchr (start, '>');
  g_assert_nonnull (end);
  *preloads = strstr (text, "<link rel=\"preload\" href=\"/locales/de.json\" as=\"fetch\" crossorigin>") != NULL;
  g_assert_null (strstr (text, "{{lang}}"));
  g_assert_null (strstr (text, "{{translating}}"));
  return g_strndup (start, end - start + 1);
}

/* The page's language: the visitor's choice (cookie), else the best of
 * Accept-Language, else English; other languages than English come marked
 * "translating" with their strings preloaded. */
static void
test_language (void)
{
  static const struct {
    const char *accept_language;
    const char *cookie;
    const char *lang;
  } cases[] = {
    { NULL, NULL, "en" },
    { "de", NULL, "de" },
    { "de-AT,de;q=0.9,en;q=0.8", NULL, "de" },
    { "DE-de", NULL, "de" },
    { "fr-FR, fr;q=0.9, de;q=0.7, en;q=0.8", NULL, "en" },
    { "fr, de;q=0.5", NULL, "de" },
    { "en;q=0.2, de;q=0.3", NULL, "de" },
    { "de;q=0, en;q=0.1", NULL, "en" },
    { "de;q=abc", NULL, "en" },
    { "dee, deutsch", NULL, "en" },
    { "*", NULL, "en" },
    { ",,;;q=,", NULL, "en" },
    { "de", "everato_lang=en", "en" },
    { "en", "everato_lang=de", "de" },
    { "en", "theme=dark; everato_lang=de; x=1", "de" },
    { "de", "everato_lang=fr", "de" },
    { "en", "everato_lang=<script>", "en" },
    { "en", "everato_lang=", "en" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_str_equal (cases[i].lang, "en")
        ? g_strdup ("<html lang=\"en\">")
        : g_strdup_printf ("<html lang=\"%s\" class=\"translating\">", cases[i].lang);
      gboolean preloads = FALSE;
      g_autofree char *tag = html_tag ("/login", cases[i].accept_language, cases[i].cookie, &preloads);

      g_test_message ("Accept-Language: %s; Cookie: %s", cases[i].accept_language, cases[i].cookie);
      g_assert_cmpstr (tag, ==, expected);
      g_assert_cmpint (preloads, ==, g_str_equal (cases[i].lang, "de"));
    }

  /* The head speaks the page's language. */
  {
    g_autoptr(EvaTestResponse) en = get_page ("/login", 200);
    g_autofree char *en_title = between (en->body, "<title>", "</title>");
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autofree char *url = g_strconcat (server->base_url, "/forgot-password", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(GBytes) body = NULL;
    g_autofree char *text = NULL;
    g_autofree char *title = NULL;
    g_autofree char *description = NULL;
    g_autofree char *og_title = NULL;

    g_assert_cmpstr (en_title, ==, "Log in · Everato");
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Language", "de-AT");
    body = soup_session_send_and_read (session, msg, NULL, NULL);
    g_assert_nonnull (body);
    text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    title = between (text, "<title>", "</title>");
    description = meta (text, "name", "description");
    og_title = meta (text, "property", "og:title");
    g_assert_cmpstr (title, ==, "Passwort vergessen? · Everato");
    g_assert_cmpstr (og_title, ==, "Passwort vergessen?");
    g_assert_true (g_str_has_prefix (description, "Finde eine Veranstaltung"));
  }

  /* The not-found page too. */
  {
    gboolean preloads = FALSE;
    g_autofree char *missing = html_tag ("/no/such/page", "de", NULL, &preloads);

    g_assert_cmpstr (missing, ==, "<html lang=\"de\" class=\"translating\">");
    g_assert_true (preloads);
  }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  server = eva_test_server_start (NULL);
  token = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/web/pages", test_pages);
  g_test_add_func ("/web/not-found", test_not_found);
  g_test_add_func ("/web/event-page", test_event_page);
  g_test_add_func ("/web/event-page-cache", test_event_page_cache);
  g_test_add_func ("/web/etag", test_etag);
  g_test_add_func ("/web/assets", test_assets);
  g_test_add_func ("/web/gzip", test_gzip);
  g_test_add_func ("/web/language", test_language);

  status = g_test_run ();
  g_free (token);
  eva_test_server_free (server);
  return status;
}
