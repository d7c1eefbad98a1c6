/* eva-ticket-pdf.c: tickets as PDF pages (cairo + pango)
 *
 * One page per ticket, laid out for printing and for a phone screen:
 * the event (title, when, where), the ticket's facts (type, holder,
 * booking reference, price, which ticket of how many), a large QR code
 * with its quiet zone, drawn as vectors, the code itself in small
 * monospace underneath (for reading out at the door), and how to use it.
 * Labels are in the reader's language; cairo embeds subsets of the fonts.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-mail"

#include "config.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "eva-common.h"
#include "mail/eva-i18n.h"
#include "mail/eva-ticket-pdf.h"

#define PT_PER_MM      (72.0 / 25.4)
#define MARGIN         (18 * PT_PER_MM)
#define QR_SIZE        (78 * PT_PER_MM)
#define GAP            (8 * PT_PER_MM)
#define FONT           "DejaVu Sans"
#define FONT_MONO      "DejaVu Sans Mono"

typedef struct
{
  cairo_t    *cr;
  const char *locale;
  double      width;      /* page */
  double      height;
} Page;

/* ------------------------------------------------------------------ */
/* Text                                                               */
/* ------------------------------------------------------------------ */

static const char *
member (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

/* Draws @text at (@x, @y) in a box @width wide, at most @max_lines lines
 * (0: any), and returns its height. */
static double
text (Page       *page,
      const char *utf8,
      const char *font,
      double      size,
      gboolean    bold,
      double      grey,
      double      x,
      double      y,
      double      width,
      int         max_lines,
      PangoWrapMode wrap)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (page->cr);
  g_autoptr(PangoFontDescription) desc = pango_font_description_new ();
  g_autofree char *valid = g_utf8_make_valid (utf8, -1);
  int w, h;

  pango_font_description_set_family (desc, font);
  pango_font_description_set_absolute_size (desc, size * PANGO_SCALE);
  pango_font_description_set_weight (desc, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, desc);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, wrap);
  if (max_lines > 0)
    {
      pango_layout_set_height (layout, -max_lines);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  pango_layout_set_text (layout, valid, -1);

  cairo_set_source_rgb (page->cr, grey, grey, grey);
  cairo_move_to (page->cr, x, y);
  pango_cairo_show_layout (page->cr, layout);
  pango_layout_get_size (layout, &w, &h);
  return (double) h / PANGO_SCALE;
}

static const char *
tr (Page       *page,
    const char *msgid)
{
  return eva_i18n_gettext (page->locale, msgid);
}

/* A label above its value; returns the height used. */
static double
fact (Page       *page,
      const char *label,
      const char *value,
      double      x,
      double      y,
      double      width)
{
  double h = text (page, label, FONT, 8.5, TRUE, 0.38, x, y, width, 1, PANGO_WRAP_WORD);

  h += 2;
  h += text (page, value, FONT, 13, FALSE, 0.0, x, y + h, width, 2, PANGO_WRAP_WORD_CHAR);
  return h + 10;
}

/* ------------------------------------------------------------------ */
/* Pages                                                              */
/* ------------------------------------------------------------------ */

static gboolean
draw_ticket (Page        *page,
             JsonObject  *doc,
             JsonObject  *ticket,
             gint64       index,
             gint64       count,
             GError     **error)
{
  cairo_t *cr = page->cr;
  double x = MARGIN, y = MARGIN;
  double inner = page->width - 2 * MARGIN;
  double column = inner - QR_SIZE - GAP;
  double top, facts_y, qr_y;
  g_autofree char *number = NULL;
  g_autofree char *where = NULL;
  const char *holder = member (ticket, "holder");
  const char *code = member (ticket, "code");

  /* Header: what this is, and which of how many. */
  {
    g_autoptr(GString) line = g_string_new (tr (page, N_("Ticket {number} of {count}")));
    g_autofree char *one = g_strdup_printf ("%" G_GINT64_FORMAT, index);
    g_autofree char *all = g_strdup_printf ("%" G_GINT64_FORMAT, count);

    g_string_replace (line, "{number}", one, 1);
    g_string_replace (line, "{count}", all, 1);
    number = g_string_free (g_steal_pointer (&line), FALSE);
  }
  text (page, tr (page, N_("Admission ticket")), FONT, 9, TRUE, 0.38, x, y, inner / 2, 1,
        PANGO_WRAP_WORD);
  {
    g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
    g_autoptr(PangoFontDescription) desc = pango_font_description_from_string (FONT " Bold");
    int w, h;

    pango_font_description_set_absolute_size (desc, 9 * PANGO_SCALE);
    pango_layout_set_font_description (layout, desc);
    pango_layout_set_text (layout, number, -1);
    pango_layout_get_size (layout, &w, &h);
    cairo_set_source_rgb (cr, 0.38, 0.38, 0.38);
    cairo_move_to (cr, x + inner - (double) w / PANGO_SCALE, y);
    pango_cairo_show_layout (cr, layout);
  }
  y += 20;

  /* The event. */
  y += text (page, member (doc, "event"), FONT, 24, TRUE, 0.0, x, y, inner, 3, PANGO_WRAP_WORD);
  y += 6;
  y += text (page, member (doc, "when"), FONT, 13, FALSE, 0.0, x, y, inner, 2, PANGO_WRAP_WORD);
  where = *member (doc, "address") != '\0'
          ? g_strdup_printf ("%s\n%s", member (doc, "venue"), member (doc, "address"))
          : g_strdup (member (doc, "venue"));
  g_strstrip (where);
  if (*where != '\0')
    {
      y += 2;
      y += text (page, where, FONT, 11, FALSE, 0.25, x, y, inner, 4, PANGO_WRAP_WORD);
    }
  y += 14;

  cairo_set_source_rgb (cr, 0.8, 0.8, 0.8);
  cairo_set_line_width (cr, 0.8);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + inner, y);
  cairo_stroke (cr);
  y += 18;
  top = y;

  /* The facts, left; the code, right. */
  facts_y = top;
  facts_y += fact (page, tr (page, N_("Ticket type")), member (ticket, "type"), x, facts_y, column);
  facts_y += fact (page, tr (page, N_("Holder")),
                   *holder != '\0' ? holder : tr (page, N_("Not named")), x, facts_y, column);
  facts_y += fact (page, tr (page, N_("Booking reference")), member (doc, "reference"), x, facts_y,
                   column);
  if (*member (ticket, "price") != '\0')
    facts_y += fact (page, tr (page, N_("Price")), member (ticket, "price"), x, facts_y, column);

  qr_y = top;
  if (!eva_qr_draw (cr, code, x + inner - QR_SIZE, qr_y, QR_SIZE, error))
    return FALSE;
  cairo_set_source_rgb (cr, 0.7, 0.7, 0.7);
  cairo_set_line_width (cr, 0.5);
  cairo_rectangle (cr, x + inner - QR_SIZE, qr_y, QR_SIZE, QR_SIZE);
  cairo_stroke (cr);
  qr_y += QR_SIZE + 4;
  qr_y += text (page, code, FONT_MONO, 6.5, FALSE, 0.3, x + inner - QR_SIZE, qr_y, QR_SIZE, 0,
                PANGO_WRAP_CHAR);

  y = MAX (facts_y, qr_y) + 16;
  cairo_set_source_rgb (cr, 0.8, 0.8, 0.8);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + inner, y);
  cairo_stroke (cr);
  y += 12;
  text (page, tr (page, N_("Show this ticket at the entrance, printed or on your phone. "
                           "Its code admits one person once: do not share it.")),
        FONT, 10, FALSE, 0.2, x, y, inner, 0, PANGO_WRAP_WORD);
  return TRUE;
}

static cairo_status_t
append_pdf (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

gboolean
eva_paper_parse (const char *text,
                 EvaPaper   *paper)
{
  if (text != NULL && g_ascii_strcasecmp (text, "a4") == 0)
    *paper = EVA_PAPER_A4;
  else if (text != NULL && g_ascii_strcasecmp (text, "letter") == 0)
    *paper = EVA_PAPER_LETTER;
  else
    return FALSE;
  return TRUE;
}

EvaPaper
eva_paper_for_locale (const char *locale)
{
  static const char * const letter[] = { "US", "CA", "MX", "PH", "CL", "CO", "VE", "GT" };
  const char *region;

  if (locale == NULL)
    return EVA_PAPER_A4;
  region = strpbrk (locale, "-_");
  if (region == NULL)
    return EVA_PAPER_A4;
  for (guint i = 0; i < G_N_ELEMENTS (letter); i++)
    if (g_ascii_strncasecmp (region + 1, letter[i], 2) == 0 &&
        !g_ascii_isalnum (region[3]))
      return EVA_PAPER_LETTER;
  return EVA_PAPER_A4;
}

GBytes *
eva_ticket_pdf (JsonObject  *doc,
                const char  *locale,
                EvaPaper     paper,
                GError     **error)
{
  JsonNode *node = json_object_get_member (doc, "tickets");
  JsonArray *tickets = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  g_autoptr(GByteArray) pdf = NULL;
  cairo_surface_t *surface;
  cairo_status_t status;
  Page page = { .locale = locale };
  guint n;

  n = tickets != NULL ? json_array_get_length (tickets) : 0;
  if (n == 0)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "no tickets to print");
      return NULL;
    }

  page.width = paper == EVA_PAPER_LETTER ? 612 : 210 * PT_PER_MM;
  page.height = paper == EVA_PAPER_LETTER ? 792 : 297 * PT_PER_MM;
  pdf = g_byte_array_sized_new (32 * 1024);
  surface = cairo_pdf_surface_create_for_stream (append_pdf, pdf, page.width, page.height);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, member (doc, "event"));
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Everato");
  page.cr = cairo_create (surface);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);

      if (ticket == NULL)
        continue;
      /* Numbered within the booking, also when only one is printed. */
      if (!draw_ticket (&page, doc, ticket,
                        json_object_get_int_member_with_default (ticket, "number", i + 1),
                        MAX (json_object_get_int_member_with_default (doc, "ticket_count", n), n),
                        error))
        {
          cairo_destroy (page.cr);
          cairo_surface_destroy (surface);
          return NULL;
        }
      cairo_show_page (page.cr);
    }

  cairo_destroy (page.cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "could not write a PDF: %s",
                   cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&pdf));
}

char *
eva_ticket_ics (JsonObject *doc,
                const char *host,
                gint64      stamp)
{
  g_autofree char *uid = g_strdup_printf ("%s@%s", member (doc, "event_id"), host);
  g_autofree char *location = NULL;
  EvaIcalEvent event = {
    .uid = uid,
    .summary = member (doc, "event"),
    .timezone = member (doc, "timezone"),
    .url = member (doc, "url"),
    .starts_at = json_object_get_int_member_with_default (doc, "starts_at", 0),
    .ends_at = json_object_get_int_member_with_default (doc, "ends_at", 0),
    .stamp = stamp,
    .sequence = (guint) json_object_get_int_member_with_default (doc, "sequence", 0),
    .cancelled = json_object_get_boolean_member_with_default (doc, "cancelled", FALSE),
  };

  location = *member (doc, "address") != '\0'
             ? g_strdup_printf ("%s, %s", member (doc, "venue"), member (doc, "address"))
             : g_strdup (member (doc, "venue"));
  event.location = location;
  return eva_ical_event (&event);
}
