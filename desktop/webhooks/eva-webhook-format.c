/* eva-webhook-format.c: how endpoints and deliveries are shown: status
 * labels and pills, the events an endpoint gets, its last delivery
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-webhook-format"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "webhooks/eva-webhook-dialog.h"
#include "webhooks/eva-webhook-format.h"
#include "widgets/eva-utils.h"

const char *
eva_webhook_delivery_status_label (const char *status)
{
  if (g_strcmp0 (status, "pending") == 0)
    return C_("delivery status", "Pending");
  if (g_strcmp0 (status, "sending") == 0)
    return C_("delivery status", "Sending");
  if (g_strcmp0 (status, "delivered") == 0)
    return C_("delivery status", "Delivered");
  if (g_strcmp0 (status, "failed") == 0)
    return C_("delivery status", "Failed");
  return status != NULL ? status : "";
}

/* The status pills of style.css that fit a delivery's status. */
const char *
eva_webhook_delivery_status_class (const char *status)
{
  if (g_strcmp0 (status, "delivered") == 0)
    return "succeeded";
  if (g_strcmp0 (status, "failed") == 0)
    return "failed";
  return "pending";
}

GtkWidget *
eva_webhook_pill_new (const char *label,
                      const char *status_class)
{
  GtkWidget *pill = gtk_label_new (label);

  gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (pill, "status-pill");
  gtk_widget_add_css_class (pill, "caption-heading");
  eva_set_status_class (pill, status_class);
  return pill;
}

/* An endpoint the server disabled after failing, not an organizer. */
gboolean
eva_webhook_disabled_by_failures (EvaRecord *endpoint)
{
  return !eva_record_get_boolean (endpoint, "enabled") &&
         g_strcmp0 (eva_record_get_string (endpoint, "disabled_by"), "failures") == 0;
}

char *
eva_webhook_format_time (EvaRecord  *record,
                         const char *member)
{
  g_autoptr(GDateTime) dt = eva_record_get_datetime (record, member);

  return dt != NULL ? eva_format_datetime (dt, NULL) : NULL;
}

/* "Booking confirmed, Payment received", or "All events". */
char *
eva_webhook_describe_events (EvaRecord *endpoint)
{
  JsonNode *node = json_object_get_member (eva_record_get_object (endpoint), "events");
  JsonArray *array = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  guint n = array != NULL ? json_array_get_length (array) : 0;
  GString *text = g_string_new (NULL);

  if (n == g_strv_length ((char **) eva_webhook_dialog_event_types ()))
    {
      g_string_append (text, _("All events"));
      return g_string_free (text, FALSE);
    }
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        /* Translators: the separator in a list of event types */
        g_string_append (text, _(", "));
      g_string_append (text, eva_webhook_dialog_event_label (json_array_get_string_element (array, i)));
    }
  return g_string_free (text, FALSE);
}

/* "Last delivery: Delivered, HTTP 200, Fri, 1 May 2030, 18:00". */
char *
eva_webhook_describe_last_delivery (EvaRecord *delivery)
{
  g_autofree char *when = NULL;
  const char *status;

  if (delivery == NULL)
    return g_strdup (_("No deliveries yet"));
  status = eva_webhook_delivery_status_label (eva_record_get_string (delivery, "status"));
  when = eva_webhook_format_time (delivery, "created_at");
  if (!eva_record_is_null (delivery, "response_status"))
    /* Translators: a delivery's status, the receiver's HTTP status code and when */
    return g_strdup_printf (_("Last delivery: %s, HTTP %d, %s"), status,
                            (int) eva_record_get_int (delivery, "response_status", 0), when ?: "");
  /* Translators: a delivery's status and when */
  return g_strdup_printf (_("Last delivery: %s, %s"), status, when ?: "");
}
