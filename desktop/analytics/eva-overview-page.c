/* eva-overview-page.c: an event's figures at a glance
 *
 * Headline figures (tickets sold of capacity, gross, net, refunds,
 * discounts, checked in), sales over time stacked by ticket type (per
 * bucket as bars, or cumulative as areas), revenue by ticket type (gross
 * up, discounts down), check-in progress and arrivals, coupons, payment
 * methods and bookings by status. Each chart can be read as a table. The
 * figures are read with GET …/analytics (never on the main loop's time:
 * the API client is asynchronous) when the page is shown and again every
 * refresh interval while it stays shown; a refresh in flight is not
 * started twice. Export: a CSV of each table (from the server) or a PDF
 * report of the page (drawn with cairo) through GtkFileChooserNative.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-overview"

#include "config.h"

#include <glib/gi18n.h>

#include "analytics/eva-analytics-utils.h"
#include "analytics/eva-overview-page.h"
#include "api/eva-api-utils.h"
#include "widgets/eva-utils.h"

#define DEFAULT_REFRESH_SECONDS 30

struct _EvaOverviewPage
{
  GtkWidget      parent_instance;

  GtkWidget     *scrolled;
  GtkLabel      *updated_label;
  GtkSpinner    *spinner;
  GtkDropDown   *bucket_dropdown;
  GtkFlowBox    *figures;
  GtkLabel      *currency_note;
  GtkBox        *sections;

  EvaChart      *sales_chart;
  EvaChart      *revenue_chart;
  EvaChart      *checkin_chart;
  GtkToggleButton *cumulative_button;
  GtkProgressBar *checkin_bar;
  GtkLabel      *checkin_label;
  GtkListBox    *coupons_list;
  GtkListBox    *methods_list;
  GtkListBox    *statuses_list;

  EvaApiClient  *client;
  EvaRecord     *event;
  JsonObject    *data;
  GCancellable  *cancellable;
  guint          refresh_seconds;
  guint          refresh_id;
  gboolean       loading;
};

G_DEFINE_FINAL_TYPE (EvaOverviewPage, eva_overview_page, GTK_TYPE_WIDGET)

static const char * const bucket_names[] = { "hour", "day", "week" };

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
bucket (EvaOverviewPage *self)
{
  guint i = gtk_drop_down_get_selected (self->bucket_dropdown);

  return bucket_names[MIN (i, G_N_ELEMENTS (bucket_names) - 1)];
}

static const char *
currency (EvaOverviewPage *self)
{
  if (self->data == NULL)
    return NULL;
  return json_object_get_string_member_with_default (self->data, "currency", NULL);
}

static gint64
member_int (JsonObject *object,
            const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", 2);
  JsonObject *o = object;

  if (o == NULL)
    return 0;
  if (parts[1] != NULL)
    {
      if (!json_object_has_member (o, parts[0]) || json_object_get_member (o, parts[0]) == NULL
          || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, parts[0])))
        return 0;
      o = json_object_get_object_member (o, parts[0]);
      return json_object_get_int_member_with_default (o, parts[1], 0);
    }
  return json_object_get_int_member_with_default (o, parts[0], 0);
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static GTimeZone *
event_tz (EvaOverviewPage *self)
{
  const char *id = self->data != NULL
                   ? json_object_get_string_member_with_default (self->data, "timezone", NULL) : NULL;
  GTimeZone *tz = id != NULL ? g_time_zone_new_identifier (id) : NULL;

  return tz != NULL ? tz : g_time_zone_new_local ();
}

static void
clear_box (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_FLOW_BOX (box))
        gtk_flow_box_remove (GTK_FLOW_BOX (box), child);
      else if (GTK_IS_LIST_BOX (box))
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
      else
        gtk_box_remove (GTK_BOX (box), child);
    }
}

static void
add_figure (EvaOverviewPage *self,
            const char      *value,
            const char      *caption)
{
  gtk_flow_box_append (self->figures, eva_analytics_figure_new (value, caption));
}

static void
add_row (GtkListBox *list,
         const char *title,
         const char *subtitle,
         const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  gtk_list_box_append (list, row);
}

static GtkListBox *
list_section (EvaOverviewPage *self,
              const char      *title)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *list = gtk_list_box_new ();

  gtk_widget_add_css_class (label, "heading");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), list);
  gtk_box_append (self->sections, box);
  return GTK_LIST_BOX (list);
}

static const char *
method_label (const char *method)
{
  if (g_strcmp0 (method, "card") == 0)
    return _("Card");
  if (g_strcmp0 (method, "bank_transfer") == 0)
    return _("Bank Transfer");
  if (g_strcmp0 (method, "at_door") == 0)
    return _("At the Door");
  if (g_strcmp0 (method, "free") == 0)
    return _("Free");
  return _("Not Chosen");
}

/* ------------------------------------------------------------------ */
/* Filling in                                                         */
/* ------------------------------------------------------------------ */

static void
fill_sales (EvaOverviewPage *self)
{
  JsonArray *rows = member_array (self->data, "sales_over_time");
  JsonArray *types = member_array (self->data, "by_type");
  g_autoptr(GTimeZone) tz = event_tz (self);
  gboolean cumulative = gtk_toggle_button_get_active (self->cumulative_button);
  g_autofree gint64 *times = NULL;
  guint n = 0;

  times = eva_analytics_fill_buckets (rows, bucket (self), tz, &n);
  eva_chart_set_kind (self->sales_chart, cumulative ? EVA_CHART_LINES : EVA_CHART_BARS);
  eva_chart_set_times (self->sales_chart, times, n, tz, bucket (self));
  for (guint t = 0; types != NULL && t < json_array_get_length (types); t++)
    {
      JsonObject *type = json_array_get_object_element (types, t);
      const char *id = json_object_get_string_member_with_default (type, "ticket_type_id", "");
      g_autofree double *values = g_new0 (double, MAX (n, 1));
      guint point = 0;
      double run = 0;

      for (guint r = 0; rows != NULL && r < json_array_get_length (rows); r++)
        {
          JsonObject *row = json_array_get_object_element (rows, r);
          g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (
            json_object_get_string_member_with_default (row, "bucket_start", ""), NULL);
          gint64 u = at != NULL ? g_date_time_to_unix (at) : 0;
          JsonArray *parts = member_array (row, "by_type");

          while (point + 1 < n && times[point] < u)
            point++;
          for (guint p = 0; parts != NULL && p < json_array_get_length (parts); p++)
            {
              JsonObject *part = json_array_get_object_element (parts, p);

              if (g_strcmp0 (json_object_get_string_member_with_default (part, "ticket_type_id", NULL), id) == 0)
                values[point] += json_object_get_int_member_with_default (part, "tickets", 0);
            }
        }
      if (cumulative)
        for (guint p = 0; p < n; p++)
          values[p] = run += values[p];
      eva_chart_add_series (self->sales_chart, json_object_get_string_member_with_default (type, "name", ""), values);
    }
  eva_analytics_section_update_table (self->sales_chart);
}

static void
fill_revenue (EvaOverviewPage *self)
{
  JsonArray *types = member_array (self->data, "by_type");
  guint n = types != NULL ? json_array_get_length (types) : 0;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) labels = NULL;
  g_autofree double *gross = g_new0 (double, MAX (n, 1));
  g_autofree double *discounts = g_new0 (double, MAX (n, 1));

  for (guint t = 0; t < n; t++)
    {
      JsonObject *type = json_array_get_object_element (types, t);

      g_strv_builder_add (names, json_object_get_string_member_with_default (type, "name", ""));
      gross[t] = json_object_get_int_member_with_default (type, "gross", 0);
      discounts[t] = -json_object_get_int_member_with_default (type, "discounts", 0);
    }
  labels = g_strv_builder_end (names);
  eva_chart_set_currency (self->revenue_chart, currency (self));
  eva_chart_set_categories (self->revenue_chart, (const char * const *) labels);
  if (n > 0)
    {
      eva_chart_add_series (self->revenue_chart, _("Gross"), gross);
      eva_chart_add_series (self->revenue_chart, _("Discounts"), discounts);
    }
  eva_analytics_section_update_table (self->revenue_chart);
}

static void
fill_checkins (EvaOverviewPage *self)
{
  JsonArray *rows = member_array (self->data, "checkins_over_time");
  g_autoptr(GTimeZone) tz = event_tz (self);
  gint64 checked = member_int (self->data, "checkins.checked_in");
  gint64 expected = member_int (self->data, "checkins.expected");
  g_autofree char *c = eva_analytics_format_count (checked);
  g_autofree char *e = eva_analytics_format_count (expected);
  g_autofree char *text = NULL;
  g_autofree gint64 *times = NULL;
  g_autofree double *values = NULL;
  guint n = 0, point = 0;

  gtk_progress_bar_set_fraction (self->checkin_bar, expected > 0 ? MIN (1.0, (double) checked / expected) : 0);
  /* Translators: check-in progress, e.g. "120 of 400 checked in" */
  text = g_strdup_printf (_("%s of %s checked in"), c, e);
  gtk_label_set_text (self->checkin_label, text);

  times = eva_analytics_fill_buckets (rows, bucket (self), tz, &n);
  values = g_new0 (double, MAX (n, 1));
  for (guint r = 0; rows != NULL && r < json_array_get_length (rows); r++)
    {
      JsonObject *row = json_array_get_object_element (rows, r);
      g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (
        json_object_get_string_member_with_default (row, "bucket_start", ""), NULL);
      gint64 u = at != NULL ? g_date_time_to_unix (at) : 0;

      while (point + 1 < n && times[point] < u)
        point++;
      if (n > 0)
        values[point] += json_object_get_int_member_with_default (row, "checked_in", 0);
    }
  eva_chart_set_times (self->checkin_chart, times, n, tz, bucket (self));
  if (n > 0)
    eva_chart_add_series (self->checkin_chart, _("Checked In"), values);
  eva_analytics_section_update_table (self->checkin_chart);
}

static void
fill_lists (EvaOverviewPage *self)
{
  JsonArray *coupons = member_array (self->data, "coupons");
  JsonArray *methods = member_array (self->data, "payment_methods");
  JsonArray *statuses = member_array (self->data, "bookings_by_status");

  clear_box (GTK_WIDGET (self->coupons_list));
  clear_box (GTK_WIDGET (self->methods_list));
  clear_box (GTK_WIDGET (self->statuses_list));
  for (guint i = 0; coupons != NULL && i < json_array_get_length (coupons); i++)
    {
      JsonObject *c = json_array_get_object_element (coupons, i);
      gint64 uses = json_object_get_int_member_with_default (c, "uses", 0);
      g_autofree char *money = eva_analytics_format_money (json_object_get_int_member_with_default (c, "discount", 0),
                                                           currency (self));
      g_autofree char *count = eva_analytics_format_count (uses);
      /* Translators: %s is a number of uses, with the locale's digit grouping */
      g_autofree char *subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Used once", "Used %s times", uses), count);
      g_autofree char *value = g_strdup_printf (_("−%s"), money);

      add_row (self->coupons_list, json_object_get_string_member_with_default (c, "code", ""), subtitle, value);
    }
  if (coupons == NULL || json_array_get_length (coupons) == 0)
    add_row (self->coupons_list, _("No coupons"), NULL, "");
  for (guint i = 0; methods != NULL && i < json_array_get_length (methods); i++)
    {
      JsonObject *m = json_array_get_object_element (methods, i);
      gint64 n = json_object_get_int_member_with_default (m, "bookings", 0);
      g_autofree char *total = eva_analytics_format_money (json_object_get_int_member_with_default (m, "total", 0), currency (self));
      g_autofree char *paid = eva_analytics_format_money (json_object_get_int_member_with_default (m, "paid", 0), currency (self));
      g_autofree char *count = eva_analytics_format_count (n);
      /* Translators: the first %s is a number of bookings, the second an amount of money */
      g_autofree char *subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s booking, %s paid",
                                                                "%s bookings, %s paid", n), count, paid);

      add_row (self->methods_list, method_label (json_object_get_string_member_with_default (m, "method", "")),
               subtitle, total);
    }
  if (methods == NULL || json_array_get_length (methods) == 0)
    add_row (self->methods_list, _("No sales yet"), NULL, "");
  for (guint i = 0; statuses != NULL && i < json_array_get_length (statuses); i++)
    {
      JsonObject *s = json_array_get_object_element (statuses, i);
      g_autofree char *n = eva_analytics_format_count (json_object_get_int_member_with_default (s, "bookings", 0));

      add_row (self->statuses_list, eva_booking_status_label (json_object_get_string_member_with_default (s, "status", "")),
               NULL, n);
    }
  if (statuses == NULL || json_array_get_length (statuses) == 0)
    add_row (self->statuses_list, _("No bookings yet"), NULL, "");
}

static void
fill (EvaOverviewPage *self)
{
  const char *cur = currency (self);
  JsonArray *by_currency = member_array (self->data, "revenue_by_currency");
  gint64 sold = member_int (self->data, "tickets.sold");
  gint64 capacity = member_int (self->data, "tickets.capacity");
  gint64 held = member_int (self->data, "tickets.held");
  gint64 checked = member_int (self->data, "checkins.checked_in");
  gint64 expected = member_int (self->data, "checkins.expected");
  g_autofree char *sold_text = eva_analytics_format_count (sold);
  g_autofree char *capacity_text = eva_analytics_format_count (capacity);
  g_autofree char *held_text = eva_analytics_format_count (held);
  g_autofree char *tickets = g_strdup_printf ("%s / %s", sold_text, capacity_text);
  g_autofree char *tickets_caption = NULL;
  g_autofree char *gross = eva_analytics_format_money (member_int (self->data, "revenue.gross"), cur);
  g_autofree char *net = eva_analytics_format_money (member_int (self->data, "revenue.net"), cur);
  g_autofree char *refunds = eva_analytics_format_money (member_int (self->data, "revenue.refunds"), cur);
  g_autofree char *discounts = eva_analytics_format_money (member_int (self->data, "revenue.discounts"), cur);
  g_autofree char *rate = eva_analytics_format_rate (expected > 0 ? (double) checked / expected : 0);
  g_autofree char *checked_text = eva_analytics_format_count (checked);
  g_autofree char *checked_value = g_strdup_printf ("%s (%s)", checked_text, rate);
  const char *generated = self->data != NULL
                          ? json_object_get_string_member_with_default (self->data, "generated_at", NULL) : NULL;
  g_autoptr(GDateTime) at = generated != NULL ? g_date_time_new_from_iso8601 (generated, NULL) : NULL;

  clear_box (GTK_WIDGET (self->figures));
  /* Translators: under the tickets sold of capacity; %s is a number */
  tickets_caption = g_strdup_printf (_("Tickets sold of capacity, %s held"), held_text);
  add_figure (self, tickets, tickets_caption);
  add_figure (self, gross, _("Gross revenue"));
  add_figure (self, net, _("Net revenue"));
  add_figure (self, refunds, _("Refunds"));
  add_figure (self, discounts, _("Discounts"));
  add_figure (self, checked_value, _("Checked in"));

  if (by_currency != NULL && json_array_get_length (by_currency) > 1)
    {
      g_autoptr(GString) note = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (by_currency); i++)
        {
          JsonObject *c = json_array_get_object_element (by_currency, i);
          const char *code = json_object_get_string_member_with_default (c, "currency", "");
          g_autofree char *amount = NULL;

          if (g_strcmp0 (code, cur) == 0)
            continue;
          amount = eva_analytics_format_money (json_object_get_int_member_with_default (c, "net", 0), code);
          g_string_append_printf (note, "%s%s", note->len > 0 ? ", " : "", amount);
        }
      {
        /* Translators: %s is the event's currency, %s the net amounts in the others */
        g_autofree char *text = g_strdup_printf (_("Figures are in %s. Sales in other currencies are not added to them: net %s."),
                                                 cur != NULL ? cur : "", note->str);

        gtk_label_set_text (self->currency_note, text);
      }
      gtk_widget_set_visible (GTK_WIDGET (self->currency_note), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->currency_note), FALSE);

  if (at != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (at);
      /* Translators: when the figures were read, see g_date_time_format() */
      g_autofree char *when = g_date_time_format (local, _("%H:%M:%S"));
      /* Translators: %s is a time */
      g_autofree char *text = g_strdup_printf (_("Updated at %s"), when);

      gtk_label_set_text (self->updated_label, text);
    }
  else
    gtk_label_set_text (self->updated_label, "");

  fill_sales (self);
  fill_revenue (self);
  fill_checkins (self);
  fill_lists (self);
}

/* ------------------------------------------------------------------ */
/* Loading                                                            */
/* ------------------------------------------------------------------ */

static void
set_loading (EvaOverviewPage *self,
             gboolean         loading)
{
  self->loading = loading;
  gtk_spinner_set_spinning (self->spinner, loading);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaOverviewPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) record = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_loading (self, FALSE);
  if (record == NULL)
    {
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  eva_overview_page_set_data (self, eva_record_get_object (record));
}

static gboolean
refresh_cb (gpointer user_data)
{
  EvaOverviewPage *self = user_data;

  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && !self->loading)
    eva_overview_page_reload (self);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (EvaOverviewPage *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->refresh_seconds > 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->refresh_id = g_timeout_add_seconds (self->refresh_seconds, refresh_cb, self);
}

/* ------------------------------------------------------------------ */
/* Actions and callbacks                                              */
/* ------------------------------------------------------------------ */

static void
bucket_changed_cb (EvaOverviewPage *self)
{
  eva_overview_page_reload (self);
}

static void
cumulative_toggled_cb (EvaOverviewPage *self)
{
  if (self->data != NULL)
    fill_sales (self);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  eva_overview_page_reload (EVA_OVERVIEW_PAGE (widget));
}

typedef struct
{
  char *table;
  char *bucket;
} CsvJob;

static void
csv_job_free (gpointer data)
{
  CsvJob *job = data;

  g_free (job->table);
  g_free (job->bucket);
  g_free (job);
}

static void
csv_fetched_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EvaOverviewPage *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) csv = eva_api_client_export_analytics_finish (EVA_API_CLIENT (source), result, &error);

  if (csv == NULL)
    eva_report_error (GTK_WIDGET (self), error);
  else
    eva_analytics_write_file (GTK_WIDGET (self), g_task_get_task_data (task), csv);
}

static void
save_csv (GtkWidget *owner,
          GFile     *file,
          gpointer   data)
{
  EvaOverviewPage *self = EVA_OVERVIEW_PAGE (owner);
  CsvJob *job = data;
  GTask *task;

  if (self->client == NULL || self->event == NULL)
    return;
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  eva_api_client_export_analytics_async (self->client, eva_record_get_id (self->event), job->table,
                                         job->bucket, NULL, NULL, NULL, csv_fetched_cb, task);
}

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  EvaOverviewPage *self = EVA_OVERVIEW_PAGE (widget);
  CsvJob *job;
  const char *slug;
  g_autofree char *name = NULL;

  if (self->event == NULL)
    return;
  job = g_new0 (CsvJob, 1);
  job->table = g_variant_dup_string (parameter, NULL);
  job->bucket = g_strdup (bucket (self));
  slug = eva_record_get_string (self->event, "slug");
  /* Translators: a suggested file name: the event's short name and the table */
  name = g_strdup_printf (_("%s-%s.csv"), slug != NULL ? slug : "event", job->table);
  eva_analytics_choose_file (widget, _("Export Table"), name, FALSE, save_csv, job, csv_job_free);
}

static void
save_pdf (GtkWidget *owner,
          GFile     *file,
          gpointer   data)
{
  g_autoptr(GBytes) pdf = eva_overview_page_create_report (EVA_OVERVIEW_PAGE (owner));

  eva_analytics_write_file (owner, file, pdf);
}

static void
export_pdf_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  EvaOverviewPage *self = EVA_OVERVIEW_PAGE (widget);
  const char *slug = self->event != NULL ? eva_record_get_string (self->event, "slug") : NULL;
  /* Translators: a suggested file name; %s is the event's short name */
  g_autofree char *name = g_strdup_printf (_("%s-report.pdf"), slug != NULL ? slug : "event");

  if (self->data == NULL)
    return;
  eva_analytics_choose_file (widget, _("Export Report"), name, TRUE, save_pdf, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_overview_page_map (GtkWidget *widget)
{
  EvaOverviewPage *self = EVA_OVERVIEW_PAGE (widget);

  GTK_WIDGET_CLASS (eva_overview_page_parent_class)->map (widget);
  /* Fresh figures each time the page is shown, then every interval. */
  if (self->event != NULL && !self->loading)
    eva_overview_page_reload (self);
  restart_timer (self);
}

static void
eva_overview_page_unmap (GtkWidget *widget)
{
  EvaOverviewPage *self = EVA_OVERVIEW_PAGE (widget);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  GTK_WIDGET_CLASS (eva_overview_page_parent_class)->unmap (widget);
}

static void
eva_overview_page_dispose (GObject *object)
{
  EvaOverviewPage *self = EVA_OVERVIEW_PAGE (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_OVERVIEW_PAGE);
  g_clear_object (&self->client);
  g_clear_object (&self->event);
  g_clear_pointer (&self->data, json_object_unref);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (eva_overview_page_parent_class)->dispose (object);
}

static void
eva_overview_page_class_init (EvaOverviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_overview_page_dispose;
  widget_class->map = eva_overview_page_map;
  widget_class->unmap = eva_overview_page_unmap;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaOverviewPage, scrolled);
  gtk_widget_class_bind_template_child (widget_class, EvaOverviewPage, updated_label);
  gtk_widget_class_bind_template_child (widget_class, EvaOverviewPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, EvaOverviewPage, bucket_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaOverviewPage, figures);
  gtk_widget_class_bind_template_child (widget_class, EvaOverviewPage, currency_note);
  gtk_widget_class_bind_template_child (widget_class, EvaOverviewPage, sections);
  gtk_widget_class_bind_template_callback (widget_class, bucket_changed_cb);

  gtk_widget_class_install_action (widget_class, "overview.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "overview.export-csv", "s", export_csv_action);
  gtk_widget_class_install_action (widget_class, "overview.export-pdf", NULL, export_pdf_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "overview");
}

static void
eva_overview_page_init (EvaOverviewPage *self)
{
  GtkWidget *checkin_box, *bar_box;
  GtkWidget *linked, *per_bucket;

  g_type_ensure (EVA_TYPE_CHART);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->refresh_seconds = DEFAULT_REFRESH_SECONDS;

  /* Sales over time: per bucket or cumulative. */
  self->sales_chart = EVA_CHART (eva_chart_new ());
  linked = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (linked, "linked");
  per_bucket = gtk_toggle_button_new_with_mnemonic (_("Per _Period"));
  self->cumulative_button = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_mnemonic (_("C_umulative")));
  gtk_toggle_button_set_group (self->cumulative_button, GTK_TOGGLE_BUTTON (per_bucket));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (per_bucket), TRUE);
  gtk_box_append (GTK_BOX (linked), per_bucket);
  gtk_box_append (GTK_BOX (linked), GTK_WIDGET (self->cumulative_button));
  g_signal_connect_swapped (self->cumulative_button, "toggled", G_CALLBACK (cumulative_toggled_cb), self);
  gtk_box_append (self->sections, eva_analytics_chart_section (_("Tickets Sold Over Time"), self->sales_chart, linked));

  self->revenue_chart = EVA_CHART (eva_chart_new ());
  gtk_box_append (self->sections, eva_analytics_chart_section (_("Revenue by Ticket Type"), self->revenue_chart, NULL));

  /* Check-in: progress, then arrivals. */
  self->checkin_chart = EVA_CHART (eva_chart_new ());
  checkin_box = eva_analytics_chart_section (_("Check-In"), self->checkin_chart, NULL);
  bar_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  self->checkin_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->checkin_label, 0);
  self->checkin_bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->checkin_bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Check-in progress"), -1);
  gtk_box_append (GTK_BOX (bar_box), GTK_WIDGET (self->checkin_label));
  gtk_box_append (GTK_BOX (bar_box), GTK_WIDGET (self->checkin_bar));
  gtk_box_insert_child_after (GTK_BOX (checkin_box), bar_box, gtk_widget_get_first_child (checkin_box));
  gtk_box_append (self->sections, checkin_box);

  self->coupons_list = list_section (self, _("Coupons"));
  self->methods_list = list_section (self, _("Payment Methods"));
  self->statuses_list = list_section (self, _("Bookings by Status"));
  fill (self);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_overview_page_new (void)
{
  return g_object_new (EVA_TYPE_OVERVIEW_PAGE, NULL);
}

void
eva_overview_page_set_client (EvaOverviewPage *self,
                              EvaApiClient    *client)
{
  g_return_if_fail (EVA_IS_OVERVIEW_PAGE (self));

  g_set_object (&self->client, client);
}

void
eva_overview_page_set_event (EvaOverviewPage *self,
                             EvaRecord       *event)
{
  gboolean same;

  g_return_if_fail (EVA_IS_OVERVIEW_PAGE (self));

  same = self->event != NULL && event != NULL
         && g_strcmp0 (eva_record_get_id (self->event), eva_record_get_id (event)) == 0;
  g_set_object (&self->event, event);
  if (same)
    return;
  g_clear_pointer (&self->data, json_object_unref);
  eva_cancellable_renew (&self->cancellable);
  set_loading (self, FALSE);
  fill (self);
  if (event != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    eva_overview_page_reload (self);
}

void
eva_overview_page_reload (EvaOverviewPage *self)
{
  g_return_if_fail (EVA_IS_OVERVIEW_PAGE (self));

  if (self->client == NULL || self->event == NULL || eva_record_get_id (self->event) == NULL)
    return;
  eva_cancellable_renew (&self->cancellable);
  set_loading (self, TRUE);
  eva_api_client_get_analytics_async (self->client, eva_record_get_id (self->event), bucket (self),
                                      self->cancellable, loaded_cb, g_object_ref (self));
}

void
eva_overview_page_set_data (EvaOverviewPage *self,
                            JsonObject      *analytics)
{
  g_return_if_fail (EVA_IS_OVERVIEW_PAGE (self));

  g_clear_pointer (&self->data, json_object_unref);
  if (analytics != NULL)
    self->data = json_object_ref (analytics);
  if (analytics != NULL)
    {
      const char *b = json_object_get_string_member_with_default (analytics, "bucket", NULL);

      for (guint i = 0; b != NULL && i < G_N_ELEMENTS (bucket_names); i++)
        if (g_str_equal (b, bucket_names[i]) && gtk_drop_down_get_selected (self->bucket_dropdown) != i)
          {
            g_signal_handlers_block_by_func (self->bucket_dropdown, bucket_changed_cb, self);
            gtk_drop_down_set_selected (self->bucket_dropdown, i);
            g_signal_handlers_unblock_by_func (self->bucket_dropdown, bucket_changed_cb, self);
          }
    }
  fill (self);
}

void
eva_overview_page_set_refresh_interval (EvaOverviewPage *self,
                                        guint            seconds)
{
  g_return_if_fail (EVA_IS_OVERVIEW_PAGE (self));

  self->refresh_seconds = seconds;
  restart_timer (self);
}

gboolean
eva_overview_page_get_loading (EvaOverviewPage *self)
{
  g_return_val_if_fail (EVA_IS_OVERVIEW_PAGE (self), FALSE);
  return self->loading;
}

void
eva_overview_page_set_cumulative (EvaOverviewPage *self,
                                  gboolean         cumulative)
{
  g_return_if_fail (EVA_IS_OVERVIEW_PAGE (self));
  gtk_toggle_button_set_active (self->cumulative_button, cumulative);
}

EvaChart *
eva_overview_page_get_sales_chart (EvaOverviewPage *self)
{
  g_return_val_if_fail (EVA_IS_OVERVIEW_PAGE (self), NULL);
  return self->sales_chart;
}

EvaChart *
eva_overview_page_get_revenue_chart (EvaOverviewPage *self)
{
  g_return_val_if_fail (EVA_IS_OVERVIEW_PAGE (self), NULL);
  return self->revenue_chart;
}

EvaChart *
eva_overview_page_get_checkin_chart (EvaOverviewPage *self)
{
  g_return_val_if_fail (EVA_IS_OVERVIEW_PAGE (self), NULL);
  return self->checkin_chart;
}

GBytes *
eva_overview_page_create_report (EvaOverviewPage *self)
{
  const char *title;
  const char *cur;
  EvaReport *report;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  /* Translators: when a report was made, see g_date_time_format() */
  g_autofree char *when = g_date_time_format (now, _("%-d %B %Y, %H:%M"));
  /* Translators: %s is when the report was made */
  g_autofree char *subtitle = g_strdup_printf (_("Report of %s"), when);
  const char *labels[] = { "revenue.gross", "revenue.discounts", "revenue.refunds", "revenue.net" };
  const char *names[] = { N_("Gross revenue"), N_("Discounts"), N_("Refunds"), N_("Net revenue") };
  JsonArray *types, *coupons;

  g_return_val_if_fail (EVA_IS_OVERVIEW_PAGE (self), NULL);

  title = self->data != NULL ? json_object_get_string_member_with_default (self->data, "title", NULL) : NULL;
  cur = currency (self);
  report = eva_report_new (title != NULL ? title : _("Event"), subtitle);

  eva_report_heading (report, _("Figures"));
  {
    g_autofree char *sold = eva_analytics_format_count (member_int (self->data, "tickets.sold"));
    g_autofree char *capacity = eva_analytics_format_count (member_int (self->data, "tickets.capacity"));
    g_autofree char *value = g_strdup_printf ("%s / %s", sold, capacity);

    eva_report_line (report, _("Tickets sold of capacity"), value);
  }
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      g_autofree char *value = eva_analytics_format_money (member_int (self->data, labels[i]), cur);

      eva_report_line (report, _(names[i]), value);
    }
  {
    g_autofree char *text = g_strdup (gtk_label_get_text (self->checkin_label));

    eva_report_line (report, _("Check-in"), text);
  }
  if (gtk_widget_get_visible (GTK_WIDGET (self->currency_note)))
    eva_report_line (report, gtk_label_get_text (self->currency_note), "");

  eva_report_heading (report, _("Tickets Sold Over Time"));
  eva_report_chart (report, self->sales_chart);
  eva_report_heading (report, _("Revenue by Ticket Type"));
  eva_report_chart (report, self->revenue_chart);
  types = member_array (self->data, "by_type");
  for (guint i = 0; types != NULL && i < json_array_get_length (types); i++)
    {
      JsonObject *t = json_array_get_object_element (types, i);
      g_autofree char *gross = eva_analytics_format_money (json_object_get_int_member_with_default (t, "gross", 0), cur);
      g_autofree char *sold = eva_analytics_format_count (json_object_get_int_member_with_default (t, "sold", 0));
      g_autofree char *value = g_strdup_printf ("%s · %s", sold, gross);

      eva_report_line (report, json_object_get_string_member_with_default (t, "name", ""), value);
    }
  eva_report_heading (report, _("Check-In"));
  eva_report_chart (report, self->checkin_chart);
  coupons = member_array (self->data, "coupons");
  if (coupons != NULL && json_array_get_length (coupons) > 0)
    {
      eva_report_heading (report, _("Coupons"));
      for (guint i = 0; i < json_array_get_length (coupons); i++)
        {
          JsonObject *c = json_array_get_object_element (coupons, i);
          g_autofree char *uses = eva_analytics_format_count (json_object_get_int_member_with_default (c, "uses", 0));
          g_autofree char *discount = eva_analytics_format_money (json_object_get_int_member_with_default (c, "discount", 0), cur);
          /* Translators: a coupon in the report: how often used, the discount given */
          g_autofree char *value = g_strdup_printf (_("used %s× · −%s"), uses, discount);

          eva_report_line (report, json_object_get_string_member_with_default (c, "code", ""), value);
        }
    }
  return eva_report_finish (report);
}
