/* eva-analytics-utils.c: what the overview and the summary share
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-analytics"

#include "config.h"

#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <math.h>

#include "eva-common.h"
#include "analytics/eva-analytics-utils.h"
#include "widgets/eva-utils.h"

/* ------------------------------------------------------------------ */
/* Figures                                                            */
/* ------------------------------------------------------------------ */

char *
eva_analytics_format_money (gint64      minor,
                            const char *currency)
{
  const EvaCurrency *cur = currency != NULL ? eva_currency_lookup (currency) : NULL;
  guint64 mag = minor < 0 ? (guint64) -(minor + 1) + 1 : (guint64) minor;
  g_autofree char *whole = NULL;
  guint64 scale = 1;

  if (cur == NULL)
    return eva_analytics_format_count (minor);
  for (guint i = 0; i < cur->exponent; i++)
    scale *= 10;
  /* The whole part with grouping; the minor digits exactly. */
  whole = g_strdup_printf ("%'" G_GUINT64_FORMAT, mag / scale);
  if (cur->exponent == 0)
    /* Translators: an amount of money and its currency, e.g. "1,250.00 EUR" */
    return g_strdup_printf (C_("money", "%s%s %s"), minor < 0 ? "−" : "", whole, cur->code);
  {
    struct lconv *lc = localeconv ();
    const char *point = lc->decimal_point != NULL && *lc->decimal_point != '\0' ? lc->decimal_point : ".";
    g_autofree char *amount = g_strdup_printf ("%s%s%s%0*" G_GUINT64_FORMAT, minor < 0 ? "−" : "", whole,
                                               point, (int) cur->exponent, mag % scale);

    return g_strdup_printf (C_("money", "%s %s"), amount, cur->code);
  }
}

char *
eva_analytics_format_count (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

char *
eva_analytics_format_rate (double rate)
{
  /* Translators: a percentage, e.g. "42 %" */
  return g_strdup_printf (_("%'.0f %%"), rate * 100);
}

GtkWidget *
eva_analytics_figure_new (const char *value,
                          const char *caption)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *v = gtk_label_new (value);
  GtkWidget *c = gtk_label_new (caption);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "analytics-figure");
  gtk_widget_add_css_class (v, "title-2");
  gtk_widget_add_css_class (v, "numeric");
  gtk_widget_add_css_class (c, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  gtk_label_set_xalign (GTK_LABEL (c), 0);
  gtk_label_set_wrap (GTK_LABEL (c), TRUE);
  for (GtkWidget *w = v; w != NULL; w = w == v ? c : NULL)
    {
      gtk_widget_set_margin_start (w, 14);
      gtk_widget_set_margin_end (w, 14);
    }
  gtk_widget_set_margin_top (v, 10);
  gtk_widget_set_margin_bottom (c, 10);
  gtk_box_append (GTK_BOX (box), v);
  gtk_box_append (GTK_BOX (box), c);
  return box;
}

/* ------------------------------------------------------------------ */
/* Chart sections                                                     */
/* ------------------------------------------------------------------ */

static void
table_toggled_cb (GtkToggleButton *button,
                  GtkStack        *stack)
{
  gtk_stack_set_visible_child_name (stack, gtk_toggle_button_get_active (button) ? "table" : "chart");
}

GtkWidget *
eva_analytics_chart_section (const char *title,
                             EvaChart   *chart,
                             GtkWidget  *extra)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *toggle = gtk_toggle_button_new_with_mnemonic (_("_Table"));
  GtkWidget *stack = gtk_stack_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *frame = gtk_frame_new (NULL);

  gtk_widget_add_css_class (label, "heading");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (header), label);
  gtk_widget_set_tooltip_text (toggle, _("Show the figures as a table"));
  gtk_widget_add_css_class (toggle, "flat");
  gtk_box_append (GTK_BOX (header), toggle);
  gtk_box_append (GTK_BOX (box), header);
  /* Its own row, so a narrow window keeps the title whole. */
  if (extra != NULL)
    {
      gtk_widget_set_halign (extra, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (box), extra);
    }

  eva_chart_set_title (chart, title);
  gtk_widget_set_size_request (GTK_WIDGET (chart), -1, 220);
  gtk_stack_add_named (GTK_STACK (stack), GTK_WIDGET (chart), "chart");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scrolled, -1, 220);
  gtk_stack_add_named (GTK_STACK (stack), scrolled, "table");
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "chart");
  gtk_frame_set_child (GTK_FRAME (frame), stack);
  gtk_widget_add_css_class (frame, "view");
  gtk_widget_add_css_class (frame, "chart-frame");
  gtk_box_append (GTK_BOX (box), frame);
  g_signal_connect_object (toggle, "toggled", G_CALLBACK (table_toggled_cb), stack, 0);
  g_object_set_data (G_OBJECT (chart), "eva-table-scrolled", scrolled);
  eva_analytics_section_update_table (chart);
  return box;
}

void
eva_analytics_section_update_table (EvaChart *chart)
{
  GtkWidget *scrolled = g_object_get_data (G_OBJECT (chart), "eva-table-scrolled");
  GtkWidget *table;

  if (scrolled == NULL)
    return;
  table = eva_chart_create_table (chart);
  gtk_widget_set_margin_start (table, 12);
  gtk_widget_set_margin_end (table, 12);
  gtk_widget_set_margin_top (table, 8);
  gtk_widget_set_margin_bottom (table, 8);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), table);
}

gint64 *
eva_analytics_fill_buckets (JsonArray  *rows,
                            const char *unit,
                            GTimeZone  *tz,
                            guint      *n)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GDateTime) first = NULL;
  g_autoptr(GDateTime) last = NULL;
  guint len = rows != NULL ? json_array_get_length (rows) : 0;

  *n = 0;
  if (len == 0)
    return NULL;
  first = g_date_time_new_from_iso8601 (json_object_get_string_member (json_array_get_object_element (rows, 0),
                                                                       "bucket_start"), NULL);
  last = g_date_time_new_from_iso8601 (json_object_get_string_member (json_array_get_object_element (rows, len - 1),
                                                                      "bucket_start"), NULL);
  if (first != NULL && last != NULL)
    {
      g_autoptr(GDateTime) t = g_date_time_to_timezone (first, tz);
      gint64 end = g_date_time_to_unix (last);

      /* Step in local time, so days stay at midnight across DST. */
      while (t != NULL && g_date_time_to_unix (t) <= end && times->len < 2000)
        {
          gint64 u = g_date_time_to_unix (t);
          GDateTime *next;

          g_array_append_val (times, u);
          if (g_strcmp0 (unit, "hour") == 0)
            next = g_date_time_add_hours (t, 1);
          else if (g_strcmp0 (unit, "week") == 0)
            next = g_date_time_add_weeks (t, 1);
          else
            next = g_date_time_add_days (t, 1);
          g_date_time_unref (t);
          t = next;
        }
    }
  if (times->len == 0 || times->len >= 2000)
    {
      /* Too many to fill: the buckets as they came. */
      g_array_set_size (times, 0);
      for (guint i = 0; i < len; i++)
        {
          g_autoptr(GDateTime) t = g_date_time_new_from_iso8601 (
            json_object_get_string_member (json_array_get_object_element (rows, i), "bucket_start"), NULL);
          gint64 u = t != NULL ? g_date_time_to_unix (t) : 0;

          g_array_append_val (times, u);
        }
    }
  *n = times->len;
  return (gint64 *) g_array_free (g_steal_pointer (&times), FALSE);
}

/* ------------------------------------------------------------------ */
/* Files                                                              */
/* ------------------------------------------------------------------ */

typedef struct
{
  GtkWidget            *owner;
  EvaAnalyticsSaveFunc  func;
  gpointer              data;
  GDestroyNotify        destroy;
} Choice;

static void
choice_free (Choice *c)
{
  if (c->destroy != NULL)
    c->destroy (c->data);
  g_object_unref (c->owner);
  g_free (c);
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     Choice          *c)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (file != NULL)
    c->func (c->owner, file, c->data);
  choice_free (c);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
eva_analytics_choose_file (GtkWidget            *owner,
                           const char           *title,
                           const char           *name,
                           gboolean              pdf,
                           EvaAnalyticsSaveFunc  func,
                           gpointer              data,
                           GDestroyNotify        destroy)
{
  GtkFileChooserNative *chooser;
  GtkFileFilter *filter = gtk_file_filter_new ();
  Choice *c = g_new0 (Choice, 1);

  c->owner = g_object_ref (owner);
  c->func = func;
  c->data = data;
  c->destroy = destroy;
  chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (gtk_widget_get_root (owner)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (filter, pdf ? _("PDF Documents") : _("CSV Files"));
  gtk_file_filter_add_mime_type (filter, pdf ? "application/pdf" : "text/csv");
  gtk_file_filter_add_suffix (filter, pdf ? "pdf" : "csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_object_unref (filter);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), c);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GtkWidget) owner = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      eva_report_error (owner, error);
      return;
    }
  name = g_file_get_basename (G_FILE (source));
  /* Translators: %s is the name of the file written */
  message = g_strdup_printf (_("Exported to “%s”"), name);
  eva_show_toast (owner, message);
}

void
eva_analytics_write_file (GtkWidget *owner,
                          GFile     *file,
                          GBytes    *bytes)
{
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, written_cb, g_object_ref (owner));
}

/* ------------------------------------------------------------------ */
/* PDF report                                                         */
/* ------------------------------------------------------------------ */

#define PAGE_W 595.0   /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 48.0

struct _EvaReport
{
  GByteArray      *data;
  cairo_surface_t *surface;
  cairo_t         *cr;
  double           y;
};

static cairo_status_t
report_write_cb (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static double
report_text (EvaReport  *report,
             const char *text,
             double      size,
             gboolean    bold,
             double      x,
             double      width,
             gboolean    right)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (report->cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (bold ? "Sans Bold" : "Sans");
  int w, h;

  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_set_source_rgb (report->cr, 0, 0, 0);
  cairo_move_to (report->cr, x, report->y);
  pango_cairo_show_layout (report->cr, layout);
  return h;
}

static void
report_need (EvaReport *report,
             double     height)
{
  if (report->y + height <= PAGE_H - MARGIN)
    return;
  cairo_show_page (report->cr);
  report->y = MARGIN;
}

EvaReport *
eva_report_new (const char *title,
                const char *subtitle)
{
  EvaReport *report = g_new0 (EvaReport, 1);

  report->data = g_byte_array_new ();
  report->surface = cairo_pdf_surface_create_for_stream (report_write_cb, report->data, PAGE_W, PAGE_H);
  cairo_pdf_surface_set_metadata (report->surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (report->surface, CAIRO_PDF_METADATA_CREATOR, "Everato");
  report->cr = cairo_create (report->surface);
  report->y = MARGIN;
  report->y += report_text (report, title, 20, TRUE, MARGIN, PAGE_W - 2 * MARGIN, FALSE) + 4;
  if (subtitle != NULL)
    report->y += report_text (report, subtitle, 10, FALSE, MARGIN, PAGE_W - 2 * MARGIN, FALSE);
  report->y += 12;
  return report;
}

void
eva_report_heading (EvaReport  *report,
                    const char *text)
{
  report_need (report, 60);
  report->y += 10;
  report->y += report_text (report, text, 13, TRUE, MARGIN, PAGE_W - 2 * MARGIN, FALSE) + 6;
}

void
eva_report_line (EvaReport  *report,
                 const char *label,
                 const char *value)
{
  double h;

  report_need (report, 16);
  h = report_text (report, label, 10, FALSE, MARGIN, (PAGE_W - 2 * MARGIN) * 0.6, FALSE);
  h = MAX (h, report_text (report, value, 10, FALSE, MARGIN + (PAGE_W - 2 * MARGIN) * 0.6,
                           (PAGE_W - 2 * MARGIN) * 0.4, TRUE));
  report->y += h + 3;
}

void
eva_report_chart (EvaReport *report,
                  EvaChart  *chart)
{
  double w = PAGE_W - 2 * MARGIN, h = 200;
  int selected = eva_chart_get_selected (chart);

  report_need (report, h + 10);
  /* Paper shows no point chosen on the screen. */
  eva_chart_set_selected (chart, -1);
  cairo_save (report->cr);
  cairo_translate (report->cr, MARGIN, report->y);
  eva_chart_draw (chart, report->cr, (int) w, (int) h, FALSE);
  cairo_restore (report->cr);
  eva_chart_set_selected (chart, selected);
  report->y += h + 10;
}

GBytes *
eva_report_finish (EvaReport *report)
{
  GBytes *bytes;

  cairo_destroy (report->cr);
  cairo_surface_finish (report->surface);
  cairo_surface_destroy (report->surface);
  bytes = g_byte_array_free_to_bytes (report->data);
  g_free (report);
  return bytes;
}
