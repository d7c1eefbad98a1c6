/* eva-pages.c: the attendee site's pages
 *
 * Every page is web/layout.html with web/pages/<name>.html put in its
 * <!--main--> marker, the page's name in {{page}}, and a head (title,
 * description, OpenGraph and Twitter tags) in <!--head-->. The event page
 * /e/{slug} also gets the event itself: in the head, so that shared links
 * preview with its title, date and place, as schema.org JSON-LD, and as a
 * JSON data block in <!--data--> that the page script renders from without
 * another request. Every value from the database is HTML-escaped; JSON in
 * a script element has its '<' escaped so it can never close the element.
 *
 * The event's JSON goes through the same one-second cache as the public API
 * (same key, same statement), so page views and API reads of an event on
 * sale share one query a second per process.
 *
 * Unknown pages and events get the not-found page with status 404; a
 * database failure gets the error page with 503.
 *
 * The page's language is the one the visitor chose on the site (the
 * everato_lang cookie the site's script keeps), else the best of
 * Accept-Language, else English. It goes into <html lang>, and a page in
 * another language than English is marked "translating" (its English text
 * stays hidden until the script has put the translation in; see site.css)
 * and preloads its strings, so nobody sees English flash by.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-pages"

#include "config.h"

#include <json-glib/json-glib.h>

#include "db/eva-cache.h"
#include "http/eva-session.h"
#include "site/eva-event-page.h"
#include "site/eva-pages.h"
#include "site/eva-pages-private.h"
#include "site/eva-site-text.h"
#include "services/events.h"
#include "site/eva-static.h"

#define CACHE_TTL_US (1000 * 1000)
#define SITE_NAME "Everato"
#define SITE_DESCRIPTION "Find an event, pick your tickets and book them in a minute."
#define DESCRIPTION_MAX 200

/* The site's languages (web/locales/<lang>.json; LANGS in web/js/i18n.js). */
static const char * const site_langs[] = { "en", "de" };
#define LANG_COOKIE "everato_lang"

/* Titles and SITE_DESCRIPTION are English message ids of the site's
 * catalogues (web/locales/<lang>.json; tests/web/i18n.test.js reads them
 * from here). */
typedef struct
{
  const char *name;
  const char *title;
  gboolean    noindex;   /* private pages stay out of search engines */
} PageInfo;

static const PageInfo pages[] = {
  { "events",          "Upcoming events",     FALSE },
  { "event",           NULL,                  FALSE },
  { "login",           "Log in",              FALSE },
  { "register",        "Create an account",   FALSE },
  { "verify",          "Verify your email",   TRUE },
  { "forgot-password", "Forgot your password?", TRUE },
  { "reset-password",  "Choose a new password", TRUE },
  { "account",         "Your account",        TRUE },
  { "bookings",        "My bookings",         TRUE },
  { "tickets",         "My tickets",          TRUE },
  { "booking",         "Your booking",        TRUE },
  { "booking-paid",    "Payment",             TRUE },
  { "booking-transfer", "Pay by bank transfer", TRUE },
  { "not-found",       "Page not found",      TRUE },
  { "error",           "Something went wrong", TRUE },
};

/* Fixed paths; /e/{slug}, /bookings/{id} and its /paid (where card
 * payments come back to) and /transfer are matched in page_for_path(). */
static const struct { const char *path; const char *page; } routes[] = {
  { "/",                "events" },
  { "/login",           "login" },
  { "/register",        "register" },
  { "/verify",          "verify" },
  { "/forgot-password", "forgot-password" },
  { "/reset-password",  "reset-password" },
  { "/account",         "account" },
  { "/bookings",        "bookings" },
  { "/tickets",         "tickets" },
};

typedef struct
{
  const PageInfo *info;
  guint           status;
  char           *if_none_match;
  gboolean        gzip_ok;
  char           *public_url;
  char           *web_dir;        /* NULL: the embedded copy */
  const char     *lang;           /* one of site_langs */
  char           *slug;           /* event page */
  char           *cache_key;      /* event page, while this request refreshes it */
  GBytes         *event_json;     /* event page */
  gboolean        signed_in;      /* the session's marker cookie came */
} PageJob;

static void
page_job_free (gpointer data)
{
  PageJob *job = data;

  if (job->cache_key != NULL)
    eva_cache_abandon (job->cache_key);
  g_free (job->if_none_match);
  g_free (job->public_url);
  g_free (job->web_dir);
  g_free (job->slug);
  g_free (job->cache_key);
  g_clear_pointer (&job->event_json, g_bytes_unref);
  g_free (job);
}

static GBytes *load_part (const char *web_dir,
                          const char *path);

static const PageInfo *
page_info (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_str_equal (pages[i].name, name))
      return &pages[i];
  g_assert_not_reached ();
}

/* The page a path names, or NULL; *param gets the {slug} or {id}. */
static const char *
page_for_path (const char  *path,
               char       **param)
{
  const char *rest;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (path, routes[i].path))
      return routes[i].page;

  if ((rest = g_str_has_prefix (path, "/e/") ? path + 3 : NULL) != NULL ||
      (rest = g_str_has_prefix (path, "/bookings/") ? path + 10 : NULL) != NULL)
    {
      const char *page = path[1] == 'e' ? "event" : "booking";
      const char *slash = strchr (rest, '/');

      if (slash != NULL && path[1] == 'b' && g_str_equal (slash, "/paid"))
        page = "booking-paid";
      else if (slash != NULL && path[1] == 'b' && g_str_equal (slash, "/transfer"))
        page = "booking-transfer";
      else if (slash != NULL)
        return NULL;
      if (*rest == '\0' || slash == rest)
        return NULL;
      *param = g_uri_unescape_segment (rest, slash, NULL);
      if (*param == NULL)
        return NULL;
      return page;
    }

  return NULL;
}

/* ------------------------------------------------------------------ */
/* Text                                                               */
/* ------------------------------------------------------------------ */


/* JSON for a <script> data block: '<' as \u003c, so "</script" and "<!--"
 * cannot occur. Outside strings JSON has no '<', so this keeps it valid. */
static void
append_script_json (GString    *out,
                    const char *json,
                    gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (json[i] == '<')
      g_string_append (out, "\\u003c");
    else
      g_string_append_c (out, json[i]);
}

static void
append_meta (GString    *out,
             const char *attribute,
             const char *key,
             const char *value)
{
  g_string_append_printf (out, "<meta %s=\"%s\" content=\"", attribute, key);
  eva_site_append_escaped (out, value);
  g_string_append (out, "\">\n");
}

/* Whitespace runs folded to one space and cut at a word near @max bytes,
 * on a character boundary. */
static char *
summarize (const char *text,
           gsize       max)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        {
          space = out->len > 0;
          continue;
        }
      if (out->len >= max)
        {
          const char *cut = strrchr (out->str, ' ');

          if (cut != NULL && cut - out->str > (gssize) max / 2)
            g_string_truncate (out, cut - out->str);
          g_string_append (out, "…");
          break;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

/* "Sat 5 Dec 2026, 19:30" in the event's own time zone, in English: the
 * page script shows it in the reader's language. */
static char *
format_event_date (const char *iso,
                   const char *timezone)
{
  static const char *days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) utc = iso != NULL ? eva_time_parse (iso, NULL) : NULL;
  g_autoptr(GTimeZone) tz = timezone != NULL ? g_time_zone_new_identifier (timezone) : NULL;
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return NULL;
  if (tz == NULL)
    tz = g_time_zone_new_utc ();
  local = g_date_time_to_timezone (utc, tz);

  return g_strdup_printf ("%s %d %s %d, %02d:%02d",
                          days[g_date_time_get_day_of_week (local) - 1],
                          g_date_time_get_day_of_month (local),
                          months[g_date_time_get_month (local) - 1],
                          g_date_time_get_year (local),
                          g_date_time_get_hour (local),
                          g_date_time_get_minute (local));
}



/* A price as a plain decimal ("12.50"), for schema.org offers. */
static char *
decimal_price (gint64      minor,
               const char *currency)
{
  g_autofree char *text = eva_money_format (minor, currency);
  char *space;

  if (text == NULL)
    return NULL;
  space = strchr (text, ' ');
  if (space != NULL)
    *space = '\0';
  return g_steal_pointer (&text);
}

/* ------------------------------------------------------------------ */
/* Language                                                           */
/* ------------------------------------------------------------------ */

/* The site language @tag ("de", "de-AT", "DE") is, or NULL. */
static const char *
site_lang (const char *tag,
           gsize       len)
{
  for (guint i = 0; i < G_N_ELEMENTS (site_langs); i++)
    {
      gsize n = strlen (site_langs[i]);

      if (len >= n && g_ascii_strncasecmp (tag, site_langs[i], n) == 0 &&
          (len == n || tag[n] == '-'))
        return site_langs[i];
    }
  return NULL;
}

/* The supported language Accept-Language likes best (the first of equal
 * weight), or NULL. */
const char *
_eva_pages_accepted_lang (const char *header)
{
  g_auto(GStrv) ranges = NULL;
  const char *best = NULL;
  double best_q = 0;

  if (header == NULL)
    return NULL;
  ranges = g_strsplit (header, ",", 32);
  for (guint i = 0; ranges[i] != NULL; i++)
    {
      char *range = g_strstrip (ranges[i]);
      char *params = strchr (range, ';');
      const char *lang;
      double q = 1;

      if (params != NULL)
        {
          const char *qv = strstr (params, "q=");
          char *end = NULL;

          *params = '\0';
          g_strchomp (range);
          if (qv != NULL)
            {
              q = g_ascii_strtod (qv + 2, &end);
              if (end == qv + 2 || q < 0 || q > 1)
                q = 0;
            }
        }
      lang = site_lang (range, strlen (range));
      if (lang != NULL && q > best_q)
        {
          best = lang;
          best_q = q;
        }
    }
  return best;
}

/* The site's strings in @lang (web/locales/<lang>.json: English text →
 * translation), for the head; NULL for English or when there are none.
 * The embedded catalogs are parsed once; a folder's are read every time
 * (development), never on an HTTP thread. */
static JsonNode *
site_strings (const char *web_dir,
              const char *lang)
{
  static GMutex lock;
  static GHashTable *embedded;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *strings = NULL;

  if (g_str_equal (lang, site_langs[0]))
    return NULL;

  if (web_dir == NULL)
    {
      g_mutex_lock (&lock);
      if (embedded == NULL)
        embedded = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) json_node_unref);
      strings = g_hash_table_lookup (embedded, lang);
      if (strings != NULL)
        json_node_ref (strings);
      g_mutex_unlock (&lock);
      if (strings != NULL)
        return strings;
    }

  path = g_strconcat ("locales/", lang, ".json", NULL);
  bytes = load_part (web_dir, path);
  parser = json_parser_new_immutable ();
  if (bytes == NULL ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  strings = json_parser_steal_root (parser);

  if (web_dir == NULL)
    {
      g_mutex_lock (&lock);
      /* lang is one of site_langs: a static string. */
      g_hash_table_replace (embedded, (gpointer) lang, json_node_ref (strings));
      g_mutex_unlock (&lock);
    }
  return strings;
}


static const char *
page_lang (EvaRequest *req)
{
  g_autofree char *chosen = eva_request_cookie (req, LANG_COOKIE);
  const char *lang = NULL;

  if (chosen != NULL && strlen (chosen) <= 16)
    lang = site_lang (chosen, strlen (chosen));
  if (lang == NULL)
    lang = _eva_pages_accepted_lang (eva_request_header (req, "Accept-Language"));
  return lang != NULL ? lang : site_langs[0];
}

/* ------------------------------------------------------------------ */
/* Heads                                                              */
/* ------------------------------------------------------------------ */

static void
append_common_head (GString    *head,
                    const char *title,
                    const char *description,
                    const char *url,
                    gboolean    noindex)
{
  g_string_append (head, "<title>");
  eva_site_append_escaped (head, title);
  if (!g_str_equal (title, SITE_NAME))
    g_string_append (head, " · " SITE_NAME);
  g_string_append (head, "</title>\n");
  append_meta (head, "name", "description", description);
  if (noindex)
    append_meta (head, "name", "robots", "noindex");
  append_meta (head, "property", "og:site_name", SITE_NAME);
  append_meta (head, "property", "og:type", "website");
  append_meta (head, "property", "og:title", title);
  append_meta (head, "property", "og:description", description);
  if (url != NULL)
    {
      append_meta (head, "property", "og:url", url);
      g_string_append (head, "<link rel=\"canonical\" href=\"");
      eva_site_append_escaped (head, url);
      g_string_append (head, "\">\n");
    }
  append_meta (head, "name", "twitter:card", "summary");
  append_meta (head, "name", "twitter:title", title);
  append_meta (head, "name", "twitter:description", description);
}

static void
append_json_ld (GString    *head,
                JsonObject *event,
                const char *url)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const char *currency = eva_site_member_string (event, "currency");
  const char *address = eva_site_member_string (event, "address");
  gboolean cancelled = g_strcmp0 (eva_site_member_string (event, "status"), "cancelled") == 0;
  gint64 low, high;
  JsonNode *sold_out = json_object_get_member (event, "sold_out");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "@context");
  json_builder_add_string_value (builder, "https://schema.org");
  json_builder_set_member_name (builder, "@type");
  json_builder_add_string_value (builder, "Event");
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, eva_site_member_string (event, "title"));
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, eva_site_member_string (event, "description"));
  json_builder_set_member_name (builder, "startDate");
  json_builder_add_string_value (builder, eva_site_member_string (event, "starts_at"));
  json_builder_set_member_name (builder, "endDate");
  json_builder_add_string_value (builder, eva_site_member_string (event, "ends_at"));
  json_builder_set_member_name (builder, "eventStatus");
  json_builder_add_string_value (builder, cancelled ? "https://schema.org/EventCancelled"
                                                    : "https://schema.org/EventScheduled");
  json_builder_set_member_name (builder, "eventAttendanceMode");
  json_builder_add_string_value (builder, "https://schema.org/OfflineEventAttendanceMode");
  json_builder_set_member_name (builder, "location");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "@type");
  json_builder_add_string_value (builder, "Place");
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, eva_site_member_string (event, "venue"));
  if (address != NULL)
    {
      json_builder_set_member_name (builder, "address");
      json_builder_add_string_value (builder, address);
    }
  json_builder_end_object (builder);
  if (url != NULL)
    {
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, url);
    }
  if (currency != NULL && eva_currency_lookup (currency) != NULL &&
      eva_site_member_int (event, "price_min", &low) && eva_site_member_int (event, "price_max", &high))
    {
      g_autofree char *low_text = decimal_price (low, currency);
      g_autofree char *high_text = decimal_price (high, currency);
      gboolean none_left = sold_out != NULL && JSON_NODE_HOLDS_VALUE (sold_out) &&
                           json_node_get_boolean (sold_out);

      json_builder_set_member_name (builder, "offers");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "@type");
      json_builder_add_string_value (builder, "AggregateOffer");
      json_builder_set_member_name (builder, "lowPrice");
      json_builder_add_string_value (builder, low_text);
      json_builder_set_member_name (builder, "highPrice");
      json_builder_add_string_value (builder, high_text);
      json_builder_set_member_name (builder, "priceCurrency");
      json_builder_add_string_value (builder, currency);
      json_builder_set_member_name (builder, "availability");
      json_builder_add_string_value (builder, none_left ? "https://schema.org/SoldOut"
                                                        : "https://schema.org/InStock");
      if (url != NULL)
        {
          json_builder_set_member_name (builder, "url");
          json_builder_add_string_value (builder, url);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_string_append (head, "<script type=\"application/ld+json\">");
  append_script_json (head, text, strlen (text));
  g_string_append (head, "</script>\n");
}

/* The head of the event page; FALSE when the JSON is not an event. */
static gboolean
append_event_head (GString    *head,
                   JsonObject *event,
                   const char *public_url)
{
  g_autofree char *date = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GString) description = g_string_new (NULL);
  const char *title, *venue, *slug, *text;

  if (event == NULL)
    return FALSE;
  title = eva_site_member_string (event, "title");
  venue = eva_site_member_string (event, "venue");
  slug = eva_site_member_string (event, "slug");
  text = eva_site_member_string (event, "description");
  if (title == NULL || slug == NULL)
    return FALSE;

  if (g_strcmp0 (eva_site_member_string (event, "status"), "cancelled") == 0)
    g_string_append (description, "Cancelled · ");
  date = format_event_date (eva_site_member_string (event, "starts_at"),
                            eva_site_member_string (event, "timezone"));
  if (date != NULL)
    g_string_append (description, date);
  if (venue != NULL)
    g_string_append_printf (description, "%s%s", description->len > 0 ? " · " : "", venue);
  summary = summarize (text != NULL ? text : "", DESCRIPTION_MAX);
  if (*summary != '\0')
    g_string_append_printf (description, "%s%s", description->len > 0 ? " — " : "", summary);

  url = g_strconcat (public_url, "/e/", slug, NULL);
  append_common_head (head, title, description->str, url, FALSE);
  append_json_ld (head, event, url);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Composing                                                          */
/* ------------------------------------------------------------------ */

/* A file of web/: from the folder (blocking: never on an HTTP thread) or
 * from the embedded copy. */
static GBytes *
load_part (const char *web_dir,
           const char *path)
{
  if (web_dir != NULL)
    {
      g_autofree char *file = g_build_filename (web_dir, path, NULL);
      char *contents;
      gsize len;

      if (!g_file_get_contents (file, &contents, &len, NULL))
        return NULL;
      return g_bytes_new_take (contents, len);
    }

  return eva_static_resource (path);
}

static gboolean
replace_marker (GString    *text,
                const char *marker,
                const char *value,
                gsize       value_len)
{
  const char *at = strstr (text->str, marker);
  gsize pos;

  if (at == NULL)
    return FALSE;
  pos = at - text->str;
  g_string_erase (text, pos, strlen (marker));
  g_string_insert_len (text, pos, value, value_len);
  return TRUE;
}

/* The whole page, or NULL when layout.html or the page's file is missing. */
static GBytes *
compose (PageJob *job)
{
  g_autofree char *part_path = g_strconcat ("pages/", job->info->name, ".html", NULL);
  g_autoptr(GBytes) layout = load_part (job->web_dir, "layout.html");
  g_autoptr(GBytes) part = load_part (job->web_dir, part_path);
  g_autoptr(GString) head = g_string_new (NULL);
  g_autoptr(GString) data = g_string_new (NULL);
  g_autoptr(GString) main = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) strings = NULL;
  JsonObject *event = NULL;
  GString *page;
  gsize len;
  const char *bytes;

  if (layout == NULL || part == NULL)
    return NULL;

  strings = site_strings (job->web_dir, job->lang);
  if (job->event_json != NULL)
    {
      bytes = g_bytes_get_data (job->event_json, &len);
      if (json_parser_load_from_data (parser, bytes, len, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        event = json_node_get_object (json_parser_get_root (parser));
    }

  /* The page's own part, filled in before it joins the head: the head's
   * values from the database could look like the part's markers. */
  bytes = g_bytes_get_data (part, &len);
  main = g_string_new_len (bytes, len);
  if (g_str_equal (job->info->name, "event"))
    eva_event_page_fill (main, event, strings, job->signed_in);

  if (!append_event_head (head, event, job->public_url))
    {
      append_common_head (head,
                          job->info->title != NULL ? eva_site_translated (strings, job->info->title) : SITE_NAME,
                          eva_site_translated (strings, SITE_DESCRIPTION), NULL, job->info->noindex);
    }

  if (job->event_json != NULL)
    {
      bytes = g_bytes_get_data (job->event_json, &len);
      g_string_append (data, "<script type=\"application/json\" id=\"page-data\">");
      append_script_json (data, bytes, len);
      g_string_append (data, "</script>");
    }

  if (!g_str_equal (job->lang, site_langs[0]))
    g_string_append_printf (head,
                            "<link rel=\"preload\" href=\"/locales/%s.json\" as=\"fetch\" crossorigin>\n",
                            job->lang);

  bytes = g_bytes_get_data (layout, &len);
  page = g_string_new_len (bytes, len);
  replace_marker (page, "{{lang}}", job->lang, strlen (job->lang));
  if (g_str_equal (job->lang, site_langs[0]))
    replace_marker (page, "{{translating}}", "", 0);
  else
    replace_marker (page, "{{translating}}", " class=\"translating\"", strlen (" class=\"translating\""));
  replace_marker (page, "{{page}}", job->info->name, strlen (job->info->name));
  /* The header's links as the visitor will have them (app.js checks with
   * the server and corrects them), so the header keeps its height. */
  while (replace_marker (page, "{{auth-in}}", job->signed_in ? "" : " hidden",
                         job->signed_in ? 0 : strlen (" hidden")))
    ;
  while (replace_marker (page, "{{auth-out}}", job->signed_in ? " hidden" : "",
                         job->signed_in ? strlen (" hidden") : 0))
    ;
  /* Values from the database come last and escaped: they hold no marker. */
  replace_marker (page, "<!--head-->", head->str, head->len);
  replace_marker (page, "<!--data-->", data->str, data->len);
  replace_marker (page, "<!--main-->", main->str, main->len);

  return g_string_free_to_bytes (page);
}

static void
reply_page (EvaRequest *req,
            PageJob    *job)
{
  g_autoptr(GBytes) body = compose (job);

  if (body == NULL)
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such page");
      return;
    }
  /* The language comes from them. An event page a visitor who is not
   * signed in sees is the same for every such visitor: a proxy in front
   * may keep it for a second, like the public API (deploy/nginx does),
   * so an on-sale rush reads it from there. */
  eva_static_reply_html (req, job->status, body, job->if_none_match, job->gzip_ok,
                         "Accept-Language, Cookie",
                         job->slug != NULL && job->status == 200 && !job->signed_in
                         ? EVA_PUBLIC_CACHE_CONTROL : NULL);
}

/* A folder's files are read on GLib's worker threads. */
static void
compose_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  EvaRequest *req = g_task_get_task_data (task);

  reply_page (req, g_object_get_data (G_OBJECT (task), "job"));
  g_task_return_boolean (task, TRUE);
}

static void
compose_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EvaRequest *req = g_task_get_task_data (G_TASK (result));

  eva_request_finish (req);
}

/* Replies with the page on this (HTTP) thread, or on a worker thread when
 * the site comes from a folder. Takes @job. */
static void
reply_page_async (EvaRequest *req,
                  PageJob    *job)
{
  GTask *task;

  if (job->web_dir == NULL)
    {
      reply_page (req, job);
      page_job_free (job);
      return;
    }

  task = g_task_new (NULL, NULL, compose_done_cb, NULL);
  g_task_set_task_data (task, eva_request_ref (req), (GDestroyNotify) eva_request_unref);
  g_object_set_data_full (G_OBJECT (task), "job", job, page_job_free);
  req->pending = TRUE;
  soup_server_message_pause (req->msg);
  g_task_run_in_thread (task, compose_thread);
  g_object_unref (task);
}

/* ------------------------------------------------------------------ */
/* The event page                                                     */
/* ------------------------------------------------------------------ */

/* On a pool thread: the event, then the page (reading a folder's files
 * here is fine: this is not an HTTP thread). */
static void
event_work (EvaRequest *req,
            EvaDbConn  *conn,
            gpointer    data)
{
  PageJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result =
    eva_db_query (conn, eva_events_public_by_slug_sql, &error, job->slug,
                  eva_events_card_offered (eva_request_get_config (req)),
                  eva_events_transfer_offered (eva_request_get_config (req)));

  if (result == NULL)
    {
      g_message ("[%s] event page: %s", req->request_id, error->message);
      job->info = page_info ("error");
      job->status = 503;
      eva_request_add_header (req, "Retry-After", "2");
    }
  else if (PQntuples (result) == 0)
    {
      job->info = page_info ("not-found");
      job->status = 404;
    }
  else
    {
      job->event_json = g_bytes_new (eva_db_value (result), strlen (eva_db_value (result)));
      eva_cache_store (job->cache_key, job->event_json);
      g_clear_pointer (&job->cache_key, g_free);
    }

  reply_page (req, job);
}

static void
reply_event_page (EvaRequest *req,
                  PageJob    *job)
{
  g_autofree char *key = NULL;
  g_autofree char *escaped = NULL;
  GBytes *cached = NULL;

  if (!eva_validate_slug (job->slug))
    {
      job->info = page_info ("not-found");
      job->status = 404;
      reply_page_async (req, job);
      return;
    }

  /* The key eva_request_run_cached() gives GET /api/v1/public/events/{slug}. */
  escaped = g_uri_escape_string (job->slug, NULL, FALSE);
  key = g_strconcat ("/api/v1/public/events/", escaped, "?", NULL);
  if (eva_cache_lookup (key, CACHE_TTL_US, &cached) != EVA_CACHE_MISS)
    {
      job->event_json = cached;
      reply_page_async (req, job);
      return;
    }

  job->cache_key = g_steal_pointer (&key);
  eva_request_run (req, event_work, job, page_job_free);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */
/* ------------------------------------------------------------------ */

static PageJob *
page_job_new (EvaRequest *req,
              const char *name,
              guint       status)
{
  EvaConfig *config = eva_request_get_config (req);
  PageJob *job = g_new0 (PageJob, 1);
  g_autofree char *marker = NULL;

  job->info = page_info (name);
  job->status = status;
  job->lang = page_lang (req);
  job->if_none_match = g_strdup (eva_request_header (req, "If-None-Match"));
  job->gzip_ok = eva_static_accepts_gzip (req);
  job->public_url = g_strdup (config->public_url);
  job->web_dir = g_strdup (config->web_dir);
  marker = eva_request_cookie (req, EVA_SESSION_MARKER_COOKIE);
  job->signed_in = marker != NULL && *marker != '\0';
  return job;
}

gboolean
eva_pages_dispatch (EvaRequest *req)
{
  g_autofree char *param = NULL;
  const char *name = page_for_path (req->path, &param);
  PageJob *job;

  if (name == NULL)
    return FALSE;

  job = page_job_new (req, name, 200);
  if (g_str_equal (name, "event"))
    {
      job->slug = g_steal_pointer (&param);
      reply_event_page (req, job);
    }
  else
    reply_page_async (req, job);
  return TRUE;
}

void
eva_pages_reply_not_found (EvaRequest *req)
{
  reply_page_async (req, page_job_new (req, "not-found", 404));
}

void
eva_pages_reply_not_found_blocking (EvaRequest *req)
{
  PageJob *job = page_job_new (req, "not-found", 404);

  reply_page (req, job);
  page_job_free (job);
}
