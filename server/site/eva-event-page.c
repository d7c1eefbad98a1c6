/* eva-event-page.c: the event page's body, filled in on the server
 *
 * The event page (web/pages/event.html) is drawn in its final layout by the
 * server, so that nothing moves when the page script takes over: the
 * title, the venue, the description, one row per ticket type (name and
 * description) and the note under the button are written into the page,
 * HTML-escaped, and the ticket form is shown when the event is on sale.
 * What depends on the reader's language and time zone (dates, prices,
 * availability, the quantity controls) is left to the script, in boxes
 * whose size site.css reserves (the page is marked data-composed). The
 * script then renders the same elements again from the event's JSON.
 *
 * Markers in event.html: {{composed}}, {{venue-hidden}} and {{form-hidden}}
 * (attributes, every occurrence) and <!--event-title-->, <!--event-venue-->,
 * <!--event-address-->, <!--event-description-->, <!--ticket-rows-->,
 * <!--ticket-note--> (text). The attributes go in first: a value from the
 * database is escaped, so it holds no "<!--" marker either.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-pages"

#include "config.h"

#include <string.h>

#include "eva-time.h"
#include "site/eva-event-page.h"
#include "site/eva-site-text.h"

/* ------------------------------------------------------------------ */
/* Markers                                                            */
/* ------------------------------------------------------------------ */

static void
replace_all (GString    *page,
             const char *marker,
             const char *value)
{
  gsize from = 0;
  gsize marker_len = strlen (marker);
  gsize value_len = strlen (value);
  const char *at;

  while ((at = strstr (page->str + from, marker)) != NULL)
    {
      gsize pos = at - page->str;

      g_string_erase (page, pos, marker_len);
      g_string_insert_len (page, pos, value, value_len);
      from = pos + value_len;
    }
}

static void
replace_once (GString    *page,
              const char *marker,
              const char *value)
{
  const char *at = strstr (page->str, marker);
  gsize pos;

  if (at == NULL)
    return;
  pos = at - page->str;
  g_string_erase (page, pos, strlen (marker));
  g_string_insert (page, pos, value);
}

/* ------------------------------------------------------------------ */
/* Parts                                                              */
/* ------------------------------------------------------------------ */

static char *
escaped (const char *text)
{
  GString *out = g_string_new (NULL);

  if (text != NULL)
    eva_site_append_escaped (out, text);
  return g_string_free (out, FALSE);
}

/* Whether the page script will offer tickets: published, not over, with
 * ticket types listed (see init() in web/js/pages/event.js). */
static gboolean
on_sale (JsonObject *event,
         JsonArray  *types)
{
  const char *ends = eva_site_member_string (event, "ends_at");
  g_autoptr(GDateTime) end = ends != NULL ? eva_time_parse (ends, NULL) : NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_strcmp0 (eva_site_member_string (event, "status"), "published") == 0 &&
         end != NULL && g_date_time_compare (end, now) > 0 &&
         types != NULL && json_array_get_length (types) > 0;
}

/* The rows of ticketRow() in event.js, without what the script formats:
 * the price and status line and the quantity box stay empty, their size
 * reserved by site.css. */
static void
append_ticket_rows (GString   *out,
                    JsonArray *types)
{
  guint n = types != NULL ? json_array_get_length (types) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (types, i);
      JsonObject *type = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *id = type != NULL ? eva_site_member_string (type, "id") : NULL;
      const char *name = type != NULL ? eva_site_member_string (type, "name") : NULL;
      const char *description = type != NULL ? eva_site_member_string (type, "description") : NULL;

      if (id == NULL || name == NULL)
        continue;
      g_string_append (out, "<li class=\"ticket\" data-ticket-type=\"");
      eva_site_append_escaped (out, id);
      g_string_append (out, "\"><div class=\"ticket-info\"><h3 class=\"ticket-name\">");
      eva_site_append_escaped (out, name);
      g_string_append (out, "</h3>");
      if (description != NULL && *description != '\0')
        {
          g_string_append (out, "<p class=\"ticket-desc\">");
          eva_site_append_escaped (out, description);
          g_string_append (out, "</p>");
        }
      g_string_append (out, "<p class=\"ticket-meta\"></p></div><div class=\"qty\"></div></li>");
    }
}

/* The note under "Get tickets", as event.js words it. */
static char *
ticket_note (JsonObject *event,
             JsonArray  *types,
             JsonNode   *strings,
             gboolean    signed_in)
{
  g_autoptr(GString) note = g_string_new (NULL);
  guint n = types != NULL ? json_array_get_length (types) : 0;
  gboolean paid = FALSE;
  gint64 hold = 0;

  for (guint i = 0; i < n && !paid; i++)
    {
      JsonNode *node = json_array_get_element (types, i);
      gint64 price = 0;

      paid = JSON_NODE_HOLDS_OBJECT (node) &&
             eva_site_member_int (json_node_get_object (node), "price", &price) && price > 0;
    }
  if (paid && eva_site_member_int (event, "hold_minutes", &hold) && hold > 0)
    {
      g_autofree char *minutes = g_strdup_printf ("%" G_GINT64_FORMAT, hold);

      g_string_append (note, eva_site_translated (strings,
                         "We hold your tickets for {minutes} minutes while you complete your booking."));
      replace_all (note, "{minutes}", minutes);
    }
  if (!signed_in)
    {
      if (note->len > 0)
        g_string_append_c (note, ' ');
      g_string_append (note, eva_site_translated (strings,
                         "You will be asked to log in or create an account."));
    }
  return escaped (note->str);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_event_page_fill:
 * @page: the composed page, with event.html in it
 * @event: (nullable): the public event; %NULL leaves the page to the
 *   script, which then reads the event from the API
 * @strings: (nullable): the reader's catalogue, %NULL for English
 * @signed_in: whether the visitor seems signed in (the marker cookie)
 *
 * Fills in the event page's markers.
 */
void
eva_event_page_fill (GString    *page,
                     JsonObject *event,
                     JsonNode   *strings,
                     gboolean    signed_in)
{
  JsonNode *types_node = event != NULL ? json_object_get_member (event, "ticket_types") : NULL;
  JsonArray *types = types_node != NULL && JSON_NODE_HOLDS_ARRAY (types_node)
                     ? json_node_get_array (types_node) : NULL;
  const char *venue = event != NULL ? eva_site_member_string (event, "venue") : NULL;
  const char *address = event != NULL ? eva_site_member_string (event, "address") : NULL;
  gboolean has_venue = venue != NULL && *venue != '\0';
  g_autoptr(GString) rows = g_string_new (NULL);
  g_autoptr(GString) where = g_string_new (NULL);
  g_autofree char *title = NULL;
  g_autofree char *venue_text = NULL;
  g_autofree char *description = NULL;
  g_autofree char *note = NULL;

  g_return_if_fail (page != NULL);

  replace_all (page, "{{composed}}", event != NULL ? " data-composed" : "");
  replace_all (page, "{{venue-hidden}}", has_venue ? "" : " hidden");
  replace_all (page, "{{form-hidden}}", event != NULL && on_sale (event, types) ? "" : " hidden");

  if (event != NULL)
    {
      title = escaped (eva_site_member_string (event, "title"));
      description = escaped (eva_site_member_string (event, "description"));
      note = ticket_note (event, types, strings, signed_in);
      append_ticket_rows (rows, types);
    }
  if (has_venue)
    {
      venue_text = escaped (venue);
      g_string_append_printf (where, "<strong>%s</strong>", venue_text);
      if (address != NULL && *address != '\0')
        {
          g_string_append (where, "<span>");
          eva_site_append_escaped (where, address);
          g_string_append (where, "</span>");
        }
    }

  replace_once (page, "<!--event-title-->", title != NULL ? title : "");
  replace_once (page, "<!--event-venue-->", venue_text != NULL ? venue_text : "");
  replace_once (page, "<!--event-address-->", where->str);
  replace_once (page, "<!--ticket-rows-->", rows->str);
  replace_once (page, "<!--ticket-note-->", note != NULL ? note : "");
  replace_once (page, "<!--event-description-->", description != NULL ? description : "");
}
