/* eva-ticket-type-dialog.c: add or edit one ticket type
 *
 * The price is typed in the event's currency ("25.00") and sent in minor
 * units (eva_money_parse: no floats anywhere). The capacity row says how
 * many tickets are already sold and held, and when the server refuses a
 * lower capacity (409 capacity_below_committed) that row says why.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-ticket-type-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "eva-common.h"
#include "events/eva-ticket-type-dialog.h"
#include "widgets/eva-date-time-button.h"
#include "widgets/eva-utils.h"

#define TICKET_TYPE_NAME_MAX         200
#define DESCRIPTION_MAX  5000
#define PRICE_MAX        G_GINT64_CONSTANT (1000000000000)

struct _EvaTicketTypeDialog
{
  AdwWindow           parent_instance;

  AdwToastOverlay    *toast_overlay;
  AdwWindowTitle     *window_title;
  GtkButton          *save_button;
  AdwPreferencesPage *page;
  AdwEntryRow        *name_row;
  AdwEntryRow        *description_row;
  AdwEntryRow        *price_row;
  GtkLabel           *currency_label;
  AdwActionRow       *hidden_row;
  GtkSwitch          *hidden_switch;
  AdwActionRow       *capacity_row;
  GtkSpinButton      *capacity_spin;
  AdwActionRow       *max_order_row;
  GtkSpinButton      *max_order_spin;
  AdwActionRow       *max_attendee_row;
  GtkSpinButton      *max_attendee_spin;
  AdwActionRow       *sales_start_row;
  EvaDateTimeButton  *sales_start_button;
  AdwActionRow       *sales_end_row;
  EvaDateTimeButton  *sales_end_button;
  AdwPreferencesGroup *delete_group;

  EvaApiClient       *client;
  EvaRecord          *event;
  EvaRecord          *ticket_type;
  GCancellable       *cancellable;
};

G_DEFINE_FINAL_TYPE (EvaTicketTypeDialog, eva_ticket_type_dialog, ADW_TYPE_WINDOW)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
event_currency (EvaTicketTypeDialog *self)
{
  const char *currency = eva_record_get_string (self->event, "currency");

  return currency != NULL && eva_currency_lookup (currency) != NULL ? currency : NULL;
}

/* Parses the price row; FALSE with a message when it cannot be sent. */
static gboolean
parse_price (EvaTicketTypeDialog  *self,
             gint64               *out,
             const char          **problem)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->price_row))));
  const char *currency = event_currency (self);
  g_autoptr(GError) error = NULL;

  *problem = NULL;
  *out = 0;
  if (*text == '\0')
    return TRUE;
  g_strdelimit (text, ",", '.');
  if (currency == NULL)
    {
      if (g_strcmp0 (text, "0") == 0)
        return TRUE;
      *problem = _("Set the event’s currency first to sell tickets for money");
      return FALSE;
    }
  if (!eva_money_parse (text, currency, out, &error) || *out < 0 || *out > PRICE_MAX)
    {
      *problem = _("Enter an amount such as 25 or 25.50");
      return FALSE;
    }
  return TRUE;
}

static void
update_capacity_subtitle (EvaTicketTypeDialog *self)
{
  g_autofree char *text = NULL;

  if (self->ticket_type == NULL)
    return;
  /* Translators: sold and held tickets of a ticket type */
  text = g_strdup_printf (_("%d sold, %d held"),
                          (int) eva_record_get_int (self->ticket_type, "sold", 0),
                          (int) eva_record_get_int (self->ticket_type, "held", 0));
  g_object_set_data_full (G_OBJECT (self->capacity_row), "eva-subtitle", g_strdup (text), g_free);
  if (!eva_row_has_error (GTK_WIDGET (self->capacity_row)))
    adw_action_row_set_subtitle (self->capacity_row, text);
}

static void
fill (EvaTicketTypeDialog *self)
{
  EvaRecord *tt = self->ticket_type;
  const char *currency = event_currency (self);
  const char *zone = eva_record_get_string (self->event, "timezone");

  gtk_label_set_label (self->currency_label, currency != NULL ? currency : "");
  eva_date_time_button_set_timezone (self->sales_start_button, zone);
  eva_date_time_button_set_timezone (self->sales_end_button, zone);
  eva_date_time_button_set_optional (self->sales_start_button, TRUE);
  eva_date_time_button_set_optional (self->sales_end_button, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_group), tt != NULL);
  adw_window_title_set_title (self->window_title,
                              tt != NULL ? _("Edit Ticket Type") : _("New Ticket Type"));
  adw_window_title_set_subtitle (self->window_title, eva_record_get_string (self->event, "title"));

  if (tt == NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->price_row), "0");
      return;
    }

  {
    g_autofree char *price = eva_format_money_plain (eva_record_get_int (tt, "price", 0), currency);
    g_autoptr(GDateTime) start = eva_record_get_datetime (tt, "sales_start");
    g_autoptr(GDateTime) end = eva_record_get_datetime (tt, "sales_end");

    gtk_editable_set_text (GTK_EDITABLE (self->name_row), eva_record_get_string (tt, "name") ?: "");
    gtk_editable_set_text (GTK_EDITABLE (self->description_row),
                           eva_record_get_string (tt, "description") ?: "");
    gtk_editable_set_text (GTK_EDITABLE (self->price_row), price);
    gtk_switch_set_active (self->hidden_switch, eva_record_get_boolean (tt, "hidden"));
    gtk_spin_button_set_value (self->capacity_spin, eva_record_get_int (tt, "capacity", 0));
    gtk_spin_button_set_value (self->max_order_spin, eva_record_get_int (tt, "max_per_order", 10));
    gtk_spin_button_set_value (self->max_attendee_spin, eva_record_get_int (tt, "max_per_attendee", 0));
    eva_date_time_button_set_datetime (self->sales_start_button, start);
    eva_date_time_button_set_datetime (self->sales_end_button, end);
    update_capacity_subtitle (self);
  }
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
changed_cb (EvaTicketTypeDialog *self)
{
  eva_ticket_type_dialog_validate (self);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EvaTicketTypeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) tt = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  if (tt == NULL)
    {
      eva_ticket_type_dialog_show_error (self, error);
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_clicked_cb (EvaTicketTypeDialog *self)
{
  g_autoptr(JsonObject) fields = NULL;

  if (!eva_ticket_type_dialog_validate (self))
    return;
  fields = eva_ticket_type_dialog_get_fields (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  if (self->ticket_type == NULL)
    eva_api_client_create_ticket_type_async (self->client, eva_record_get_id (self->event), fields,
                                             self->cancellable, saved_cb, g_object_ref (self));
  else
    eva_api_client_update_ticket_type_async (self->client, eva_record_get_id (self->ticket_type),
                                             fields, self->cancellable, saved_cb,
                                             g_object_ref (self));
}

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EvaTicketTypeDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!eva_api_client_empty_finish (EVA_API_CLIENT (source), result, &error))
    {
      if (g_strcmp0 (eva_api_error_get_code (error), "ticket_type_in_use") == 0)
        adw_toast_overlay_add_toast (self->toast_overlay,
                                     adw_toast_new (_("Tickets of this type are booked, so it cannot be deleted. Hide it instead.")));
      else
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
delete_response_cb (AdwMessageDialog    *dialog,
                    const char          *response,
                    EvaTicketTypeDialog *self)
{
  if (g_strcmp0 (response, "delete") != 0)
    return;
  eva_api_client_delete_ticket_type_async (self->client, eva_record_get_id (self->ticket_type),
                                           self->cancellable, deleted_cb, g_object_ref (self));
}

static void
delete_clicked_cb (EvaTicketTypeDialog *self)
{
  GtkWidget *dialog;

  /* Translators: %s is a ticket type's name */
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Delete “%s”?"),
                                     eva_record_get_string (self->ticket_type, "name"));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("Only ticket types nobody has booked can be deleted."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_ticket_type_dialog_dispose (GObject *object)
{
  EvaTicketTypeDialog *self = EVA_TICKET_TYPE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_TICKET_TYPE_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->event);
  g_clear_object (&self->ticket_type);

  G_OBJECT_CLASS (eva_ticket_type_dialog_parent_class)->dispose (object);
}

static void
eva_ticket_type_dialog_class_init (EvaTicketTypeDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_ticket_type_dialog_dispose;

  /**
   * EvaTicketTypeDialog::changed:
   *
   * The ticket type was saved or deleted.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (EVA_TYPE_DATE_TIME_BUTTON);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/eva-ticket-type-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, page);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, description_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, price_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, currency_label);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, hidden_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, hidden_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, capacity_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, capacity_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, max_order_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, max_order_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, max_attendee_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, max_attendee_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, sales_start_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, sales_start_button);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, sales_end_row);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, sales_end_button);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypeDialog, delete_group);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_ticket_type_dialog_init (EvaTicketTypeDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_ticket_type_dialog_new:
 * @ticket_type: (nullable): the ticket type to edit, or %NULL for a new one
 */
GtkWindow *
eva_ticket_type_dialog_new (GtkWindow    *parent,
                            EvaApiClient *client,
                            EvaRecord    *event,
                            EvaRecord    *ticket_type)
{
  EvaTicketTypeDialog *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (event), NULL);

  self = g_object_new (EVA_TYPE_TICKET_TYPE_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->event = g_object_ref (event);
  self->ticket_type = ticket_type != NULL ? g_object_ref (ticket_type) : NULL;
  fill (self);
  eva_ticket_type_dialog_validate (self);
  return GTK_WINDOW (self);
}

GtkWidget *
eva_ticket_type_dialog_get_field_row (EvaTicketTypeDialog *self,
                                      const char          *field)
{
  g_return_val_if_fail (EVA_IS_TICKET_TYPE_DIALOG (self), NULL);

  if (g_strcmp0 (field, "name") == 0) return GTK_WIDGET (self->name_row);
  if (g_strcmp0 (field, "description") == 0) return GTK_WIDGET (self->description_row);
  if (g_strcmp0 (field, "price") == 0) return GTK_WIDGET (self->price_row);
  if (g_strcmp0 (field, "hidden") == 0) return GTK_WIDGET (self->hidden_row);
  if (g_strcmp0 (field, "capacity") == 0) return GTK_WIDGET (self->capacity_row);
  if (g_strcmp0 (field, "max_per_order") == 0) return GTK_WIDGET (self->max_order_row);
  if (g_strcmp0 (field, "max_per_attendee") == 0) return GTK_WIDGET (self->max_attendee_row);
  if (g_strcmp0 (field, "sales_start") == 0) return GTK_WIDGET (self->sales_start_row);
  if (g_strcmp0 (field, "sales_end") == 0) return GTK_WIDGET (self->sales_end_row);
  return NULL;
}

gboolean
eva_ticket_type_dialog_validate (EvaTicketTypeDialog *self)
{
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  const char *name;
  const char *problem;
  gint64 price;
  gboolean ok = TRUE;

  g_return_val_if_fail (EVA_IS_TICKET_TYPE_DIALOG (self), FALSE);

#define MARK(row, message) \
  G_STMT_START { const char *_m = (message); \
    eva_row_set_error (GTK_WIDGET (row), _m); if (_m != NULL) ok = FALSE; } G_STMT_END

  name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  if (*name == '\0')
    ok = FALSE;
  else
    MARK (self->name_row, eva_check_text (name, TICKET_TYPE_NAME_MAX, EVA_TEXT_SINGLE_LINE));
  MARK (self->description_row, eva_check_text (gtk_editable_get_text (GTK_EDITABLE (self->description_row)),
                                           DESCRIPTION_MAX, EVA_TEXT_ALLOW_EMPTY));
  if (!parse_price (self, &price, &problem))
    MARK (self->price_row, problem);
  else
    eva_row_set_error (GTK_WIDGET (self->price_row), NULL);

  if (self->ticket_type != NULL)
    {
      gint64 committed = eva_record_get_int (self->ticket_type, "sold", 0) +
                         eva_record_get_int (self->ticket_type, "held", 0);
      g_autofree char *message = NULL;

      if (gtk_spin_button_get_value_as_int (self->capacity_spin) < committed)
        /* Translators: %d is how many tickets are sold or held */
        message = g_strdup_printf (_("Cannot be below the %d tickets already sold or held"),
                                   (int) committed);
      MARK (self->capacity_row, message);
    }

  start = eva_date_time_button_get_datetime (self->sales_start_button);
  end = eva_date_time_button_get_datetime (self->sales_end_button);
  MARK (self->sales_end_row, start != NULL && end != NULL && g_date_time_compare (end, start) <= 0
                             ? _("Must be after the sales start") : NULL);
#undef MARK

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), ok);
  return ok;
}

/**
 * eva_ticket_type_dialog_get_fields:
 *
 * Returns: (transfer full): the request body
 */
JsonObject *
eva_ticket_type_dialog_get_fields (EvaTicketTypeDialog *self)
{
  JsonObject *fields = json_object_new ();
  g_autoptr(GDateTime) start = eva_date_time_button_get_datetime (self->sales_start_button);
  g_autoptr(GDateTime) end = eva_date_time_button_get_datetime (self->sales_end_button);
  const char *problem;
  gint64 price = 0;
  int max_attendee = gtk_spin_button_get_value_as_int (self->max_attendee_spin);

  parse_price (self, &price, &problem);
  json_object_set_string_member (fields, "name", gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  json_object_set_string_member (fields, "description",
                                 gtk_editable_get_text (GTK_EDITABLE (self->description_row)));
  json_object_set_int_member (fields, "price", price);
  json_object_set_int_member (fields, "capacity", gtk_spin_button_get_value_as_int (self->capacity_spin));
  json_object_set_int_member (fields, "max_per_order", gtk_spin_button_get_value_as_int (self->max_order_spin));
  if (max_attendee > 0)
    json_object_set_int_member (fields, "max_per_attendee", max_attendee);
  else
    json_object_set_null_member (fields, "max_per_attendee");
  json_object_set_boolean_member (fields, "hidden", gtk_switch_get_active (self->hidden_switch));
  if (start != NULL)
    {
      g_autofree char *text = eva_time_format (start);

      json_object_set_string_member (fields, "sales_start", text);
    }
  else
    json_object_set_null_member (fields, "sales_start");
  if (end != NULL)
    {
      g_autofree char *text = eva_time_format (end);

      json_object_set_string_member (fields, "sales_end", text);
    }
  else
    json_object_set_null_member (fields, "sales_end");
  return fields;
}

/* At the rows the server names; capacity_below_committed explained. */
void
eva_ticket_type_dialog_show_error (EvaTicketTypeDialog *self,
                                   const GError        *error)
{
  g_return_if_fail (EVA_IS_TICKET_TYPE_DIALOG (self));

  if (g_strcmp0 (eva_api_error_get_code (error), "capacity_below_committed") == 0)
    {
      const char *message = eva_api_error_get_field_message (error, "capacity");
      g_autofree char *text =
        g_strdup_printf (_("Tickets were sold or held meanwhile: the capacity %s"),
                         message != NULL ? message : _("is too low"));

      eva_row_set_error (GTK_WIDGET (self->capacity_row), text);
      gtk_widget_grab_focus (GTK_WIDGET (self->capacity_spin));
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("The capacity cannot be lower than the tickets already sold or held")));
      return;
    }

  if (!eva_rows_set_field_errors (error, (EvaFieldRowFunc) eva_ticket_type_dialog_get_field_row,
                                  self))
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}
