/* eva-records-view.c: the coupons or the bookings of an event
 *
 * "kind" says which. Servers that do not offer them yet answer 501: the
 * view then says so plainly instead of showing an error. Coupons open in
 * EvaCouponDialog; bookings can be exported to CSV (GtkFileChooserNative,
 * so it works inside Flatpak).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-records-view"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "eva-common.h"
#include "eva-coupon-dialog.h"
#include "eva-desktop-config.h"
#include "eva-records-view.h"
#include "eva-utils.h"

struct _EvaRecordsView
{
  GtkWidget            parent_instance;

  GtkStack            *stack;
  AdwStatusPage       *unavailable_page;
  AdwStatusPage       *error_page;
  AdwStatusPage       *empty_page;
  AdwPreferencesGroup *group;
  GtkButton           *export_button;
  GtkButton           *add_button;
  GtkButton           *empty_add_button;
  GtkListBox          *list_box;
  AdwPreferencesGroup *filter_group;
  GtkSearchEntry      *search_entry;
  GtkDropDown         *status_dropdown;

  char                *kind;
  EvaApiClient        *client;
  EvaRecord           *event;
  GListStore          *store;
  GCancellable        *cancellable;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (EvaRecordsView, eva_records_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_KIND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char * const booking_statuses[] = { NULL, "confirmed", "pending_payment", "cancelled", "refunded" };

static gboolean
is_bookings (EvaRecordsView *self)
{
  return g_strcmp0 (self->kind, "bookings") == 0;
}

static const char *
booking_status_label (const char *status)
{
  if (g_strcmp0 (status, "held") == 0)
    return C_("booking status", "Held");
  if (g_strcmp0 (status, "pending_payment") == 0)
    return C_("booking status", "Awaiting Payment");
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

/* The attendee's email or name, from the list's "attendee" object. */
static const char *
attendee_member (EvaRecord  *booking,
                 const char *member)
{
  JsonObject *object = eva_record_get_object (booking);
  JsonNode *attendee = json_object_get_member (object, "attendee");

  if (attendee == NULL || !JSON_NODE_HOLDS_OBJECT (attendee))
    return eva_record_get_string (booking, g_str_equal (member, "email") ? "attendee_email" : "attendee_name");
  return json_object_get_string_member_with_default (json_node_get_object (attendee), member, NULL);
}

static gboolean
filtered (EvaRecordsView *self)
{
  return *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0' ||
         gtk_drop_down_get_selected (self->status_dropdown) > 0;
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  EvaRecordsView *self = user_data;
  EvaRecord *record = item;
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (is_bookings (self))
    {
      const char *name = attendee_member (record, "name");
      const char *email = attendee_member (record, "email");
      const char *currency = eva_record_get_string (record, "currency");
      g_autofree char *total = currency != NULL && eva_currency_lookup (currency) != NULL
        ? eva_money_format (eva_record_get_int (record, "total", 0), currency)
        : g_strdup (_("Free"));
      const char *status = eva_record_get_string (record, "status");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     name != NULL && *name != '\0' ? name : email ?: "");
      /* Translators: email · booking status · total */
      subtitle = g_strdup_printf (_("%s · %s · %s"), email ?: "", booking_status_label (status), total);
      if (g_strcmp0 (status, "cancelled") != 0 && g_strcmp0 (status, "refunded") != 0 &&
          g_strcmp0 (status, "expired") != 0)
        {
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          gtk_widget_set_tooltip_text (row, _("Cancel this booking…"));
        }
      g_object_set_data_full (G_OBJECT (row), "booking", g_object_ref (record), g_object_unref);
    }
  else
    {
      g_autofree char *off = NULL;
      gint64 uses = eva_record_get_int (record, "uses", 0);
      const char *currency = eva_record_get_string (record, "currency");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_record_get_string (record, "code"));
      if (g_strcmp0 (eva_record_get_string (record, "kind"), "percent") == 0)
        /* Translators: a discount, e.g. "10 % off" */
        off = g_strdup_printf (_("%d %% off"), (int) eva_record_get_int (record, "percent", 0));
      else if (currency != NULL && eva_currency_lookup (currency) != NULL)
        {
          g_autofree char *money = eva_money_format (eva_record_get_int (record, "amount", 0), currency);

          /* Translators: a discount, e.g. "5.00 EUR off" */
          off = g_strdup_printf (_("%s off"), money);
        }
      else
        off = g_strdup ("");
      if (!eva_record_is_null (record, "max_uses"))
        /* Translators: a coupon's discount, then its uses, e.g. "10 % off · used 3 of 100 times" */
        subtitle = g_strdup_printf (_("%s · used %d of %d times"),
                                    off, (int) uses, (int) eva_record_get_int (record, "max_uses", 0));
      else
        /* Translators: a coupon's discount, then its uses, e.g. "10 % off · used 3 times" */
        subtitle = g_strdup_printf (_("%s · used %d times"), off, (int) uses);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      g_object_set_data_full (G_OBJECT (row), "coupon", g_object_ref (record), g_object_unref);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaRecordsView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_IMPLEMENTED))
    {
      gtk_stack_set_visible_child_name (self->stack, "unavailable");
      return;
    }
  if (items == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
  gtk_stack_set_visible_child_name (self->stack,
                                    items->len > 0 || (is_bookings (self) && filtered (self))
                                    ? "list" : "empty");
}

static void
csv_field (GString    *out,
           const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    gpointer         user_data)
{
  EvaRecordsView *self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GString) csv = NULL;
  g_autoptr(GError) error = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  static const char * const columns[] = { "id", "status", "name", "email", "total", "currency", "created_at" };

  if (response != GTK_RESPONSE_ACCEPT)
    return;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  csv = g_string_new (NULL);
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    g_string_append_printf (csv, "%s%s", c > 0 ? "," : "", columns[c]);
  g_string_append (csv, "\r\n");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvaRecord) record = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
        {
          g_autofree char *number = NULL;
          const char *value;

          if (g_str_equal (columns[c], "name") || g_str_equal (columns[c], "email"))
            value = attendee_member (record, columns[c]);
          else if (g_str_equal (columns[c], "total"))
            value = number = eva_format_money_plain (eva_record_get_int (record, "total", 0),
                                                     eva_record_get_string (record, "currency"));
          else
            value = eva_record_get_string (record, columns[c]);
          if (c > 0)
            g_string_append_c (csv, ',');
          csv_field (csv, value);
        }
      g_string_append (csv, "\r\n");
    }
  if (!g_file_replace_contents (file, csv->str, csv->len, NULL, FALSE,
                                G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, &error))
    eva_show_toast (GTK_WIDGET (self), error->message);
  else
    eva_show_toast (GTK_WIDGET (self), _("Bookings exported"));
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
open_coupon (EvaRecordsView *self,
             EvaRecord      *coupon)
{
  GtkWindow *dialog;

  if (self->event == NULL || is_bookings (self))
    return;
  dialog = eva_coupon_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                  self->client, self->event, coupon);
  g_signal_connect_object (dialog, "changed", G_CALLBACK (eva_records_view_reload), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
}

static void
add_clicked_cb (EvaRecordsView *self)
{
  open_coupon (self, NULL);
}

static void
booking_cancelled_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(EvaRecordsView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) booking = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (booking == NULL)
    {
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  eva_show_toast (GTK_WIDGET (self), _("Booking cancelled"));
  eva_records_view_reload (self);
}

static void
cancel_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    EvaRecordsView   *self)
{
  EvaRecord *booking = g_object_get_data (G_OBJECT (dialog), "booking");

  if (g_strcmp0 (response, "cancel-booking") != 0)
    return;
  eva_api_client_cancel_booking_async (self->client, eva_record_get_id (booking), self->cancellable,
                                       booking_cancelled_cb, g_object_ref (self));
}

static void
row_activated_cb (EvaRecordsView *self,
                  GtkListBoxRow  *row)
{
  EvaRecord *coupon = g_object_get_data (G_OBJECT (row), "coupon");
  EvaRecord *booking = g_object_get_data (G_OBJECT (row), "booking");
  GtkWidget *dialog;

  if (coupon != NULL)
    {
      open_coupon (self, coupon);
      return;
    }
  if (booking == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Cancel This Booking?"), NULL);
  /* Translators: %s is the attendee's email address */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("The tickets of %s stop being valid and go back on sale."),
                                  attendee_member (booking, "email") ?: "");
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Booking"),
                                    "cancel-booking", _("_Cancel Booking"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-booking",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_object_set_data_full (G_OBJECT (dialog), "booking", g_object_ref (booking), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
export_clicked_cb (EvaRecordsView *self)
{
  g_autofree char *name = NULL;

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Export Bookings"),
                                               GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  name = g_strdup_printf ("%s-bookings.csv",
                          self->event != NULL ? eva_record_get_string (self->event, "slug") : "event");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect (self->chooser, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_records_view_constructed (GObject *object)
{
  EvaRecordsView *self = EVA_RECORDS_VIEW (object);

  G_OBJECT_CLASS (eva_records_view_parent_class)->constructed (object);

  if (is_bookings (self))
    {
      adw_status_page_set_title (self->unavailable_page, _("Bookings Are Not Available Yet"));
      adw_status_page_set_description (self->unavailable_page,
                                       _("This server does not offer bookings yet. Update it to see them here."));
      adw_status_page_set_icon_name (self->empty_page, "system-users-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Bookings Yet"));
      adw_preferences_group_set_title (self->group, _("Bookings"));
      gtk_widget_set_visible (GTK_WIDGET (self->export_button), TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->filter_group), TRUE);
    }
  else
    {
      adw_status_page_set_title (self->unavailable_page, _("Coupons Are Not Available Yet"));
      adw_status_page_set_description (self->unavailable_page,
                                       _("This server does not offer coupons yet. Update it to manage them here."));
      adw_status_page_set_icon_name (self->empty_page, "starred-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Coupons"));
      adw_preferences_group_set_title (self->group, _("Coupons"));
      adw_status_page_set_description (self->empty_page,
                                       _("Coupons give attendees a discount or unlock hidden tickets"));
      gtk_widget_set_visible (GTK_WIDGET (self->add_button), TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->empty_add_button), TRUE);
    }
}

static void
eva_records_view_dispose (GObject *object)
{
  EvaRecordsView *self = EVA_RECORDS_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_RECORDS_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->cancellable);
  g_clear_object (&self->chooser);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->event);

  G_OBJECT_CLASS (eva_records_view_parent_class)->dispose (object);
}

static void
eva_records_view_finalize (GObject *object)
{
  EvaRecordsView *self = EVA_RECORDS_VIEW (object);

  g_free (self->kind);

  G_OBJECT_CLASS (eva_records_view_parent_class)->finalize (object);
}

static void
eva_records_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EvaRecordsView *self = EVA_RECORDS_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_records_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EvaRecordsView *self = EVA_RECORDS_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_free (self->kind);
      self->kind = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_records_view_class_init (EvaRecordsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = eva_records_view_constructed;
  object_class->dispose = eva_records_view_dispose;
  object_class->finalize = eva_records_view_finalize;
  object_class->get_property = eva_records_view_get_property;
  object_class->set_property = eva_records_view_set_property;

  properties[PROP_KIND] =
    g_param_spec_string ("kind", NULL, NULL, "coupons",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-records-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, group);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, export_button);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, add_button);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, empty_add_button);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, list_box);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, filter_group);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EvaRecordsView, status_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, eva_records_view_reload);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_records_view_init (EvaRecordsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->store = g_list_store_new (EVA_TYPE_RECORD);
  self->cancellable = g_cancellable_new ();
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->store), create_row_cb, self, NULL);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_records_view_new (const char *kind)
{
  return g_object_new (EVA_TYPE_RECORDS_VIEW, "kind", kind, NULL);
}

void
eva_records_view_set_client (EvaRecordsView *self,
                             EvaApiClient   *client)
{
  g_return_if_fail (EVA_IS_RECORDS_VIEW (self));
  g_set_object (&self->client, client);
}

void
eva_records_view_set_event (EvaRecordsView *self,
                            EvaRecord      *event)
{
  g_return_if_fail (EVA_IS_RECORDS_VIEW (self));

  g_set_object (&self->event, event);
  g_list_store_remove_all (self->store);
  eva_records_view_reload (self);
}

void
eva_records_view_reload (EvaRecordsView *self)
{
  g_return_if_fail (EVA_IS_RECORDS_VIEW (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->event == NULL || self->client == NULL)
    return;

  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  if (is_bookings (self))
    {
      guint status = gtk_drop_down_get_selected (self->status_dropdown);

      eva_api_client_list_bookings_async (self->client, eva_record_get_id (self->event),
                                          gtk_editable_get_text (GTK_EDITABLE (self->search_entry)),
                                          status < G_N_ELEMENTS (booking_statuses) ? booking_statuses[status] : NULL,
                                          NULL, self->cancellable, listed_cb, g_object_ref (self));
    }
  else
    eva_api_client_list_coupons_async (self->client, eva_record_get_id (self->event),
                                       self->cancellable, listed_cb, g_object_ref (self));
}

/* "loading", "unavailable", "error", "empty" or "list". */
const char *
eva_records_view_get_state (EvaRecordsView *self)
{
  g_return_val_if_fail (EVA_IS_RECORDS_VIEW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}
