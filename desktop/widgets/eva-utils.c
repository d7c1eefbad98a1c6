/* eva-utils.c: small helpers shared by the widgets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-utils"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "api/eva-api-client.h"
#include "api/eva-api-utils.h"
#include "eva-common.h"
#include "widgets/eva-utils.h"

/* ------------------------------------------------------------------ */
/* Toasts and errors                                                  */
/* ------------------------------------------------------------------ */

/* Shows @message in the nearest AdwToastOverlay above @widget. */
void
eva_show_toast (GtkWidget  *widget,
                const char *message)
{
  GtkWidget *overlay;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay == NULL)
    {
      g_message ("%s", message);
      return;
    }
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
}

/* The one place an error of a call reaches the user: offline errors
 * raise the window's banner (through EVA_ACTION_SET_OFFLINE, which the
 * window installs), an expired session is the window's business
 * (EvaApiClient::session-expired), cancellation is silent, and everything
 * else is a toast. */
void
eva_report_error (GtkWidget    *widget,
                  const GError *error)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_SESSION_EXPIRED))
    return;

  if (eva_api_error_is_offline (error) &&
      gtk_widget_activate_action (widget, EVA_ACTION_SET_OFFLINE, "s", error->message))
    return;
  eva_show_toast (widget, error->message);
}

/* ------------------------------------------------------------------ */
/* Field errors at rows                                               */
/* ------------------------------------------------------------------ */

/* What the text rules (common/eva-validate.c) and the server say of a
 * field, in English, as the user's language says it; a reason not known
 * here stays as it is. */
static const char * const known_reasons[] = {
  N_("must not be empty"),
  N_("must be a single line"),
  N_("must not contain control characters"),
  N_("must be valid UTF-8"),
  N_("is required"),
  N_("is not valid"),
  N_("must be a valid email address of at most 254 bytes"),
  N_("must be at least 10 characters"),
  N_("must be at most 1024 bytes"),
  N_("must not be the same as the email address"),
  N_("must not be in the future"),
  N_("must be after from"),
  N_("must be a whole number between 1 and 100"),
};

const char *
eva_reason_label (const char *reason)
{
  guint n = 0;
  int end = 0;

  if (reason == NULL)
    return _("is not valid");
  for (guint i = 0; i < G_N_ELEMENTS (known_reasons); i++)
    if (g_str_equal (reason, known_reasons[i]))
      return _(known_reasons[i]);
  if (sscanf (reason, "must be at most %u character%n", &n, &end) == 1 && end > 0 &&
      (g_str_equal (reason + end, "") || g_str_equal (reason + end, "s")))
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "must be at most %u character",
                                                            "must be at most %u characters", n), n);

      return g_intern_string (text);
    }
  return reason;
}

/* NULL when @text keeps the server's text rules, else why not, in the
 * user's language. */
const char *
eva_check_text (const char   *text,
                guint         max_chars,
                EvaTextFlags  flags)
{
  const char *reason = NULL;

  if (eva_validate_text (text, -1, max_chars, flags, &reason))
    return NULL;
  return eva_reason_label (reason);
}

/* Marks a preferences row (or any widget) as holding a wrong value: the
 * "error" style class, the message as tooltip, and where the row has
 * room for it, as subtitle (action rows) or an error icon (entry rows).
 * A NULL message clears all of it. */
void
eva_row_set_error (GtkWidget  *row,
                   const char *message)
{
  g_return_if_fail (GTK_IS_WIDGET (row));

  g_object_set_data_full (G_OBJECT (row), "eva-error", g_strdup (message), g_free);
  gtk_widget_set_tooltip_text (row, message);

  if (message != NULL)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");

  if (ADW_IS_ACTION_ROW (row))
    {
      AdwActionRow *action_row = ADW_ACTION_ROW (row);

      if (g_object_get_data (G_OBJECT (row), "eva-subtitle") == NULL)
        g_object_set_data_full (G_OBJECT (row), "eva-subtitle",
                                g_strdup (adw_action_row_get_subtitle (action_row) ?: ""),
                                g_free);
      adw_action_row_set_subtitle (action_row,
                                   message != NULL ? message
                                   : g_object_get_data (G_OBJECT (row), "eva-subtitle"));
    }
  else if (ADW_IS_ENTRY_ROW (row))
    {
      GtkWidget *icon = g_object_get_data (G_OBJECT (row), "eva-error-icon");

      if (icon == NULL && message != NULL)
        {
          icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
          gtk_widget_add_css_class (icon, "error");
          adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), icon);
          g_object_set_data (G_OBJECT (row), "eva-error-icon", icon);
        }
      if (icon != NULL)
        {
          gtk_widget_set_visible (icon, message != NULL);
          gtk_widget_set_tooltip_text (icon, message);
        }
    }
}

gboolean
eva_row_has_error (GtkWidget *row)
{
  return eva_row_get_error (row) != NULL;
}

const char *
eva_row_get_error (GtkWidget *row)
{
  g_return_val_if_fail (GTK_IS_WIDGET (row), NULL);
  return g_object_get_data (G_OBJECT (row), "eva-error");
}

/* Marks each field the server named in @error (its "details") at the
 * row @field_row gives for it; fields without a row are passed over.
 * Returns whether any row was marked. */
gboolean
eva_rows_set_field_errors (const GError    *error,
                           EvaFieldRowFunc  field_row,
                           gpointer         owner)
{
  JsonObject *details;
  g_autoptr(GList) members = NULL;
  gboolean shown = FALSE;

  g_return_val_if_fail (error != NULL, FALSE);
  g_return_val_if_fail (field_row != NULL, FALSE);

  details = eva_api_error_get_details (error);
  if (details == NULL)
    return FALSE;
  members = json_object_get_members (details);
  for (GList *l = members; l != NULL; l = l->next)
    {
      GtkWidget *row = field_row (owner, l->data);
      const char *message = eva_api_error_get_field_message (error, l->data);

      if (row != NULL && message != NULL)
        {
          eva_row_set_error (row, eva_reason_label (message));
          shown = TRUE;
        }
    }
  return shown;
}

/* A small pill (style.css) at the end of @row saying @label, such as
 * "Hidden". */
void
eva_action_row_add_tag (AdwActionRow *row,
                        const char   *label)
{
  GtkWidget *tag;

  g_return_if_fail (ADW_IS_ACTION_ROW (row));

  tag = gtk_label_new (label);
  gtk_widget_set_valign (tag, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (tag, "status-pill");
  gtk_widget_add_css_class (tag, "caption-heading");
  adw_action_row_add_suffix (row, tag);
}

/* ------------------------------------------------------------------ */
/* Formatting                                                         */
/* ------------------------------------------------------------------ */

/* "Fri, 1 May 2030": a day given without a time of day (a payment marked
 * as paid on it), which the server keeps as that day's midnight UTC. In
 * any other time zone that is another time, or even another day. */
char *
eva_format_day (GDateTime *dt)
{
  g_autoptr(GDateTime) utc = NULL;

  if (dt == NULL)
    return g_strdup (_("Not set"));

  utc = g_date_time_to_utc (dt);
  /* Translators: a day, see g_date_time_format(); e.g. "Fri, 1 May 2030" */
  return g_date_time_format (utc, _("%a, %-d %b %Y"));
}

/* "Fri, 1 May 2030, 18:00" in the event's time zone. */
char *
eva_format_datetime (GDateTime  *dt,
                     const char *timezone)
{
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (dt == NULL)
    return g_strdup (_("Not set"));

  if (timezone != NULL && *timezone != '\0')
    tz = g_time_zone_new_identifier (timezone);
  local = tz != NULL ? g_date_time_to_timezone (dt, tz) : g_date_time_to_local (dt);
  /* Translators: a date and time, see g_date_time_format(); e.g. "Fri, 1 May 2030, 18:00" */
  return g_date_time_format (local, _("%a, %-d %b %Y, %H:%M"));
}

const char *
eva_status_label (const char *status)
{
  if (g_strcmp0 (status, "draft") == 0)
    return C_("event status", "Draft");
  if (g_strcmp0 (status, "published") == 0)
    return C_("event status", "Published");
  if (g_strcmp0 (status, "cancelled") == 0)
    return C_("event status", "Cancelled");
  if (g_strcmp0 (status, "archived") == 0)
    return C_("event status", "Archived");
  return status != NULL ? status : "";
}

const char *
eva_role_label (const char *role)
{
  if (g_strcmp0 (role, "super_admin") == 0)
    return _("Super Admin");
  if (g_strcmp0 (role, "organizer") == 0)
    return _("Organizer");
  if (g_strcmp0 (role, "door_staff") == 0)
    return _("Door Staff");
  return role != NULL ? role : "";
}

/* "25.00" for 2500 EUR: the amount without the code, for an entry. */
char *
eva_format_money_plain (gint64      minor,
                        const char *currency)
{
  g_autofree char *text = NULL;
  char *space;

  if (currency == NULL || eva_currency_lookup (currency) == NULL)
    return g_strdup_printf ("%" G_GINT64_FORMAT, minor);
  text = eva_money_format (minor, currency);
  space = strchr (text, ' ');
  if (space != NULL)
    *space = '\0';
  return g_steal_pointer (&text);
}

/* "25.00 EUR"; an amount without a known currency can only be nothing
 * to pay ("Free") or a bare number. */
char *
eva_format_money (gint64      minor,
                  const char *currency)
{
  if (currency != NULL && eva_currency_lookup (currency) != NULL)
    return eva_money_format (minor, currency);
  if (minor == 0)
    return g_strdup (_("Free"));
  return g_strdup_printf ("%" G_GINT64_FORMAT, minor);
}

/* Marks a status pill (style.css) with "status-<status>", replacing the
 * class it had. */
void
eva_set_status_class (GtkWidget  *pill,
                      const char *status)
{
  g_autofree char *css = g_strconcat ("status-", status != NULL ? status : "unknown", NULL);
  const char *old = g_object_get_data (G_OBJECT (pill), "eva-status-class");

  if (old != NULL)
    gtk_widget_remove_css_class (pill, old);
  gtk_widget_add_css_class (pill, css);
  g_object_set_data_full (G_OBJECT (pill), "eva-status-class", g_steal_pointer (&css), g_free);
}

/* ------------------------------------------------------------------ */
/* Bookings                                                           */
/* ------------------------------------------------------------------ */

const char *
eva_booking_status_label (const char *status)
{
  if (g_strcmp0 (status, "held") == 0)
    return C_("booking status", "Held");
  if (g_strcmp0 (status, "pending_payment") == 0)
    return C_("booking status", "Payment Pending");
  if (g_strcmp0 (status, "confirmed") == 0)
    return C_("booking status", "Confirmed");
  if (g_strcmp0 (status, "expired") == 0)
    return C_("booking status", "Expired");
  if (g_strcmp0 (status, "cancelled") == 0)
    return C_("booking status", "Cancelled");
  if (g_strcmp0 (status, "refunded") == 0)
    return C_("booking status", "Refunded");
  return status != NULL ? status : "";
}

/* The attendee's "email" or "name", from the admin API's "attendee"
 * object. */
const char *
eva_booking_get_attendee (EvaRecord  *booking,
                          const char *member)
{
  JsonNode *attendee;

  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);

  attendee = json_object_get_member (eva_record_get_object (booking), "attendee");
  if (attendee == NULL || !JSON_NODE_HOLDS_OBJECT (attendee))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (attendee), member, NULL);
}

/* The booking's short reference ("1E047278"), the one attendees see on
 * the site, in their mails and on the PDF, never the whole id: the
 * server's "booking_reference" when it gives one, else made from the id. */
char *
eva_booking_get_reference (EvaRecord *booking)
{
  const char *given;
  char *made;

  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);

  given = eva_record_get_string (booking, "booking_reference");
  if (given != NULL && *given != '\0')
    return g_strdup (given);
  made = eva_booking_reference (eva_record_get_id (booking));
  return made != NULL ? made : g_strdup (eva_record_get_id (booking));
}

/* "Booking 1E047278", for titles. */
char *
eva_booking_describe_reference (EvaRecord *booking)
{
  g_autofree char *reference = NULL;

  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);

  reference = eva_booking_get_reference (booking);
  if (reference == NULL)
    return g_strdup (_("Booking"));
  /* Translators: %s is a booking's short reference, e.g. "Booking 1E047278" */
  return g_strdup_printf (_("Booking %s"), reference);
}

/* Held, awaiting payment and confirmed bookings can be cancelled. */
gboolean
eva_booking_can_cancel (EvaRecord *booking)
{
  const char *status;

  g_return_val_if_fail (EVA_IS_RECORD (booking), FALSE);

  status = eva_record_get_string (booking, "status");
  return g_strcmp0 (status, "held") == 0 || g_strcmp0 (status, "pending_payment") == 0 ||
         g_strcmp0 (status, "confirmed") == 0;
}

gint64
eva_booking_count_tickets (EvaRecord *booking)
{
  JsonNode *items;
  JsonArray *array;
  gint64 n = 0;

  g_return_val_if_fail (EVA_IS_RECORD (booking), 0);

  items = json_object_get_member (eva_record_get_object (booking), "items");
  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    return 0;
  array = json_node_get_array (items);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (item))
        n += json_object_get_int_member_with_default (json_node_get_object (item), "quantity", 0);
    }
  return n;
}
