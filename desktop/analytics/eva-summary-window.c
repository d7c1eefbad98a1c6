/* eva-summary-window.c: the figures of all events in a range of days
 *
 * GET /api/v1/admin/analytics/events with the days typed (checked here
 * first: a wrong day is marked on its entry, not sent), refreshed every
 * 30 seconds while the window is open. Totals per currency (never added
 * across currencies), tickets sold per event as a chart (and its table),
 * and a row per event with its revenue and check-in rate. The CSV of the
 * events comes from the server.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-summary"

#include "config.h"

#include <glib/gi18n.h>

#include "analytics/eva-analytics-utils.h"
#include "analytics/eva-summary-window.h"
#include "api/eva-api-utils.h"
#include "api/eva-record.h"
#include "widgets/eva-utils.h"

#define REFRESH_SECONDS 30

struct _EvaSummaryWindow
{
  AdwWindow      parent_instance;

  GtkSpinner    *spinner;
  GtkEntry      *from_entry;
  GtkEntry      *to_entry;
  GtkFlowBox    *figures;
  GtkBox        *chart_box;
  GtkListBox    *events_list;
  EvaChart      *chart;

  EvaApiClient  *client;
  GCancellable  *cancellable;
  char          *from;
  char          *to;
  guint          refresh_id;
  gboolean       loading;
};

G_DEFINE_FINAL_TYPE (EvaSummaryWindow, eva_summary_window, ADW_TYPE_WINDOW)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
day_ok (const char *text)
{
  int y, m, d;
  char tail;

  if (*text == '\0')
    return TRUE;
  if (strlen (text) != 10 || sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  return g_date_valid_dmy (d, m, y);
}

static void
clear (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_FLOW_BOX (box))
        gtk_flow_box_remove (GTK_FLOW_BOX (box), child);
      else
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
    }
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaSummaryWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) record = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading = FALSE;
  gtk_spinner_set_spinning (self->spinner, FALSE);
  if (record == NULL)
    {
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  eva_summary_window_set_data (self, eva_record_get_object (record));
}

static gboolean
refresh_cb (gpointer user_data)
{
  EvaSummaryWindow *self = user_data;

  if (!self->loading)
    eva_summary_window_reload (self);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
apply_cb (EvaSummaryWindow *self)
{
  const char *from = gtk_editable_get_text (GTK_EDITABLE (self->from_entry));
  const char *to = gtk_editable_get_text (GTK_EDITABLE (self->to_entry));
  gboolean ok = TRUE;

  if (!day_ok (from))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->from_entry), "error");
      ok = FALSE;
    }
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->from_entry), "error");
  if (!day_ok (to) || (ok && *from != '\0' && *to != '\0' && strcmp (from, to) > 0))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->to_entry), "error");
      ok = FALSE;
    }
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->to_entry), "error");
  if (!ok)
    {
      eva_show_toast (GTK_WIDGET (self), _("Enter days as YYYY-MM-DD, the first not after the last"));
      return;
    }
  eva_summary_window_set_range (self, from, to);
}

static void
csv_fetched_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GtkWidget *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) csv = eva_api_client_export_analytics_finish (EVA_API_CLIENT (source), result, &error);

  if (csv == NULL)
    eva_report_error (self, error);
  else
    eva_analytics_write_file (self, g_task_get_task_data (task), csv);
}

static void
save_csv (GtkWidget *owner,
          GFile     *file,
          gpointer   data)
{
  EvaSummaryWindow *self = EVA_SUMMARY_WINDOW (owner);
  GTask *task = g_task_new (self, NULL, NULL, NULL);

  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  eva_api_client_export_analytics_async (self->client, NULL, NULL, NULL, self->from, self->to,
                                         NULL, csv_fetched_cb, task);
}

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  /* Translators: the suggested file name of the summary */
  eva_analytics_choose_file (widget, _("Export Events"), _("events-summary.csv"), FALSE, save_csv, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_summary_window_dispose (GObject *object)
{
  EvaSummaryWindow *self = EVA_SUMMARY_WINDOW (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (eva_summary_window_parent_class)->dispose (object);
}

static void
eva_summary_window_finalize (GObject *object)
{
  EvaSummaryWindow *self = EVA_SUMMARY_WINDOW (object);

  g_free (self->from);
  g_free (self->to);
  G_OBJECT_CLASS (eva_summary_window_parent_class)->finalize (object);
}

static void
eva_summary_window_class_init (EvaSummaryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_summary_window_dispose;
  object_class->finalize = eva_summary_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-summary-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaSummaryWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, EvaSummaryWindow, from_entry);
  gtk_widget_class_bind_template_child (widget_class, EvaSummaryWindow, to_entry);
  gtk_widget_class_bind_template_child (widget_class, EvaSummaryWindow, figures);
  gtk_widget_class_bind_template_child (widget_class, EvaSummaryWindow, chart_box);
  gtk_widget_class_bind_template_child (widget_class, EvaSummaryWindow, events_list);
  gtk_widget_class_bind_template_callback (widget_class, apply_cb);
  gtk_widget_class_install_action (widget_class, "summary.export-csv", NULL, export_csv_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
eva_summary_window_init (EvaSummaryWindow *self)
{
  g_type_ensure (EVA_TYPE_CHART);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->chart = EVA_CHART (eva_chart_new ());
  gtk_box_append (self->chart_box, eva_analytics_chart_section (_("Tickets Sold by Event"), self->chart, NULL));
  self->refresh_id = g_timeout_add_seconds (REFRESH_SECONDS, refresh_cb, self);
  eva_summary_window_set_data (self, NULL);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaSummaryWindow *
eva_summary_window_new (GtkWindow    *parent,
                        EvaApiClient *client)
{
  EvaSummaryWindow *self = g_object_new (EVA_TYPE_SUMMARY_WINDOW, "transient-for", parent, NULL);

  g_set_object (&self->client, client);
  return self;
}

void
eva_summary_window_reload (EvaSummaryWindow *self)
{
  g_return_if_fail (EVA_IS_SUMMARY_WINDOW (self));

  if (self->client == NULL)
    return;
  eva_cancellable_renew (&self->cancellable);
  self->loading = TRUE;
  gtk_spinner_set_spinning (self->spinner, TRUE);
  eva_api_client_get_analytics_summary_async (self->client, self->from, self->to, self->cancellable,
                                              loaded_cb, g_object_ref (self));
}

void
eva_summary_window_set_range (EvaSummaryWindow *self,
                              const char       *from,
                              const char       *to)
{
  g_return_if_fail (EVA_IS_SUMMARY_WINDOW (self));

  g_free (self->from);
  g_free (self->to);
  self->from = from != NULL && *from != '\0' ? g_strdup (from) : NULL;
  self->to = to != NULL && *to != '\0' ? g_strdup (to) : NULL;
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), self->from != NULL ? self->from : "");
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), self->to != NULL ? self->to : "");
  eva_summary_window_reload (self);
}

void
eva_summary_window_set_data (EvaSummaryWindow *self,
                             JsonObject       *summary)
{
  JsonNode *node;
  JsonArray *events = NULL, *totals = NULL;
  guint n;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) labels = NULL;
  g_autofree double *sold = NULL;

  g_return_if_fail (EVA_IS_SUMMARY_WINDOW (self));

  if (summary != NULL && (node = json_object_get_member (summary, "events")) != NULL && JSON_NODE_HOLDS_ARRAY (node))
    events = json_node_get_array (node);
  if (summary != NULL && (node = json_object_get_member (summary, "totals_by_currency")) != NULL
      && JSON_NODE_HOLDS_ARRAY (node))
    totals = json_node_get_array (node);
  n = events != NULL ? json_array_get_length (events) : 0;

  clear (GTK_WIDGET (self->figures));
  {
    gint64 checked = 0, expected = 0;
    g_autofree char *count = eva_analytics_format_count (n);
    g_autofree char *rate = NULL;

    if (summary != NULL && (node = json_object_get_member (summary, "checkins")) != NULL && JSON_NODE_HOLDS_OBJECT (node))
      {
        checked = json_object_get_int_member_with_default (json_node_get_object (node), "checked_in", 0);
        expected = json_object_get_int_member_with_default (json_node_get_object (node), "expected", 0);
      }
    rate = eva_analytics_format_rate (expected > 0 ? (double) checked / expected : 0);
    gtk_flow_box_append (self->figures, eva_analytics_figure_new (count, _("Events")));
    for (guint i = 0; totals != NULL && i < json_array_get_length (totals); i++)
      {
        JsonObject *t = json_array_get_object_element (totals, i);
        const char *code = json_object_get_string_member_with_default (t, "currency", "");
        g_autofree char *tickets = eva_analytics_format_count (json_object_get_int_member_with_default (t, "sold", 0));
        g_autofree char *net = eva_analytics_format_money (json_object_get_int_member_with_default (t, "net", 0), code);
        g_autofree char *gross = eva_analytics_format_money (json_object_get_int_member_with_default (t, "gross", 0), code);
        /* Translators: under a sum of money; %s is the gross amount */
        g_autofree char *caption = g_strdup_printf (_("Net revenue (gross %s)"), gross);
        /* Translators: %s is a currency code */
        g_autofree char *sold_caption = g_strdup_printf (_("Tickets sold in %s"), code);

        gtk_flow_box_append (self->figures, eva_analytics_figure_new (net, caption));
        gtk_flow_box_append (self->figures, eva_analytics_figure_new (tickets, sold_caption));
      }
    gtk_flow_box_append (self->figures, eva_analytics_figure_new (rate, _("Checked in")));
  }

  clear (GTK_WIDGET (self->events_list));
  sold = g_new0 (double, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *e = json_array_get_object_element (events, i);
      const char *code = json_object_get_string_member_with_default (e, "currency", NULL);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *value;
      g_autofree char *net = eva_analytics_format_money (json_object_get_int_member_with_default (e, "net", 0), code);
      g_autofree char *s = eva_analytics_format_count (json_object_get_int_member_with_default (e, "sold", 0));
      g_autofree char *c = eva_analytics_format_count (json_object_get_int_member_with_default (e, "capacity", 0));
      g_autofree char *rate = eva_analytics_format_rate (json_node_get_double (json_object_get_member (e, "checkin_rate")));
      g_autoptr(GDateTime) starts = g_date_time_new_from_iso8601 (
        json_object_get_string_member_with_default (e, "starts_at", ""), NULL);
      g_autofree char *day = starts != NULL ? eva_format_day (starts) : g_strdup ("");
      /* Translators: an event's row: its day, tickets sold of capacity, check-in rate */
      g_autofree char *subtitle = g_strdup_printf (_("%s · %s of %s sold · %s checked in"), day, s, c, rate);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), json_object_get_string_member_with_default (e, "title", ""));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      value = gtk_label_new (net);
      gtk_widget_add_css_class (value, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
      gtk_list_box_append (self->events_list, row);
      g_strv_builder_add (names, json_object_get_string_member_with_default (e, "title", ""));
      sold[i] = json_object_get_int_member_with_default (e, "sold", 0);
    }
  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No events in these days"));
      gtk_list_box_append (self->events_list, row);
    }
  labels = g_strv_builder_end (names);
  eva_chart_set_categories (self->chart, (const char * const *) labels);
  if (n > 0)
    eva_chart_add_series (self->chart, _("Tickets sold"), sold);
  eva_analytics_section_update_table (self->chart);
}

EvaChart *
eva_summary_window_get_chart (EvaSummaryWindow *self)
{
  g_return_val_if_fail (EVA_IS_SUMMARY_WINDOW (self), NULL);
  return self->chart;
}
