/* eva-coupon-dialog.c: add or edit one coupon
 *
 * A coupon takes a percentage or a fixed amount off (in the event's
 * currency, minor units on the wire), may be limited in uses and time,
 * and may unlock hidden ticket types. The server's refusals land at the
 * rows they name; "changed" tells the list to reload.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-coupon-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "eva-common.h"
#include "eva-coupon-dialog.h"
#include "eva-date-time-button.h"
#include "eva-desktop-config.h"
#include "eva-utils.h"

#define COUPON_CODE_MAX 64

struct _EvaCouponDialog
{
  AdwWindow           parent_instance;

  AdwToastOverlay    *toast_overlay;
  AdwWindowTitle     *window_title;
  GtkButton          *save_button;
  AdwPreferencesPage *page;
  AdwEntryRow        *code_row;
  GtkDropDown        *kind_dropdown;
  AdwEntryRow        *value_row;
  GtkLabel           *unit_label;
  GtkSwitch          *unlocks_switch;
  AdwActionRow       *uses_row;
  GtkSpinButton      *max_uses_spin;
  GtkSpinButton      *max_per_attendee_spin;
  AdwActionRow       *valid_from_row;
  EvaDateTimeButton  *valid_from_button;
  AdwActionRow       *valid_until_row;
  EvaDateTimeButton  *valid_until_button;
  AdwPreferencesGroup *delete_group;

  EvaApiClient       *client;
  EvaRecord          *event;
  EvaRecord          *coupon;
  GCancellable       *cancellable;
};

G_DEFINE_FINAL_TYPE (EvaCouponDialog, eva_coupon_dialog, ADW_TYPE_WINDOW)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
is_percent (EvaCouponDialog *self)
{
  return gtk_drop_down_get_selected (self->kind_dropdown) == 0;
}

static const char *
currency (EvaCouponDialog *self)
{
  const char *code = eva_record_get_string (self->event, "currency");

  return code != NULL && eva_currency_lookup (code) != NULL ? code : NULL;
}

static gboolean
code_ok (const char *code)
{
  if (*code == '\0' || g_utf8_strlen (code, -1) > COUPON_CODE_MAX)
    return FALSE;
  for (const char *p = code; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* The value row as the API wants it: a percentage or minor units. */
static gboolean
parse_value (EvaCouponDialog  *self,
             gint64           *out)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->value_row))));
  guint64 n;

  g_strdelimit (text, ",", '.');
  if (is_percent (self))
    return g_ascii_string_to_unsigned (text, 10, 1, 100, &n, NULL) && (*out = (gint64) n, TRUE);
  if (currency (self) == NULL)
    return FALSE;
  return eva_money_parse (text, currency (self), out, NULL) && *out > 0;
}

static GtkWidget *
field_row (EvaCouponDialog *self,
           const char      *field)
{
  if (g_strcmp0 (field, "code") == 0) return GTK_WIDGET (self->code_row);
  if (g_strcmp0 (field, "percent") == 0 || g_strcmp0 (field, "amount") == 0 ||
      g_strcmp0 (field, "kind") == 0) return GTK_WIDGET (self->value_row);
  if (g_strcmp0 (field, "max_uses") == 0) return GTK_WIDGET (self->uses_row);
  if (g_strcmp0 (field, "valid_from") == 0) return GTK_WIDGET (self->valid_from_row);
  if (g_strcmp0 (field, "valid_until") == 0) return GTK_WIDGET (self->valid_until_row);
  return NULL;
}

static void
show_error (EvaCouponDialog *self,
            const GError    *error)
{
  JsonObject *details = eva_api_error_get_details (error);
  gboolean shown = FALSE;

  if (g_strcmp0 (eva_api_error_get_code (error), "coupon_code_taken") == 0 ||
      g_strcmp0 (eva_api_error_get_code (error), "code_taken") == 0)
    {
      eva_row_set_error (GTK_WIDGET (self->code_row), _("Another coupon of this event has this code"));
      return;
    }
  if (details != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (details);

      for (GList *l = members; l != NULL; l = l->next)
        {
          GtkWidget *row = field_row (self, l->data);
          const char *message = eva_api_error_get_field_message (error, l->data);

          if (row != NULL && message != NULL)
            {
              eva_row_set_error (row, message);
              shown = TRUE;
            }
        }
    }
  if (!shown)
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
changed_cb (EvaCouponDialog *self)
{
  gtk_label_set_label (self->unit_label, is_percent (self) ? "%" : currency (self) ?: "");
  eva_coupon_dialog_validate (self);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(EvaCouponDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (g_task_get_source_tag (G_TASK (result)) == eva_api_client_delete_coupon_async)
    ok = eva_api_client_empty_finish (EVA_API_CLIENT (source), result, &error);
  else
    {
      g_autoptr(EvaRecord) coupon = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

      ok = coupon != NULL;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), TRUE);
  if (!ok)
    {
      show_error (self, error);
      eva_coupon_dialog_validate (self);
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_clicked_cb (EvaCouponDialog *self)
{
  g_autoptr(JsonObject) fields = NULL;

  if (!eva_coupon_dialog_validate (self))
    return;
  fields = eva_coupon_dialog_get_fields (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  if (self->coupon == NULL)
    eva_api_client_create_coupon_async (self->client, eva_record_get_id (self->event), fields,
                                        self->cancellable, done_cb, g_object_ref (self));
  else
    eva_api_client_update_coupon_async (self->client, eva_record_get_id (self->coupon), fields,
                                        self->cancellable, done_cb, g_object_ref (self));
}

static void
delete_clicked_cb (EvaCouponDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), FALSE);
  eva_api_client_delete_coupon_async (self->client, eva_record_get_id (self->coupon),
                                      self->cancellable, done_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_coupon_dialog_dispose (GObject *object)
{
  EvaCouponDialog *self = EVA_COUPON_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_COUPON_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->event);
  g_clear_object (&self->coupon);

  G_OBJECT_CLASS (eva_coupon_dialog_parent_class)->dispose (object);
}

static void
eva_coupon_dialog_class_init (EvaCouponDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_coupon_dialog_dispose;

  /**
   * EvaCouponDialog::changed:
   *
   * The coupon was saved or deleted.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (EVA_TYPE_DATE_TIME_BUTTON);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-coupon-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, page);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, code_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, value_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, unit_label);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, unlocks_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, uses_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, max_uses_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, max_per_attendee_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_from_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_from_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_until_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_until_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, delete_group);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_coupon_dialog_init (EvaCouponDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_coupon_dialog_new:
 * @coupon: (nullable): the coupon to edit, or %NULL for a new one
 */
GtkWindow *
eva_coupon_dialog_new (GtkWindow    *parent,
                       EvaApiClient *client,
                       EvaRecord    *event,
                       EvaRecord    *coupon)
{
  EvaCouponDialog *self;
  const char *zone;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (event), NULL);

  self = g_object_new (EVA_TYPE_COUPON_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->event = g_object_ref (event);
  self->coupon = coupon != NULL ? g_object_ref (coupon) : NULL;

  zone = eva_record_get_string (event, "timezone");
  eva_date_time_button_set_timezone (self->valid_from_button, zone);
  eva_date_time_button_set_timezone (self->valid_until_button, zone);
  eva_date_time_button_set_optional (self->valid_from_button, TRUE);
  eva_date_time_button_set_optional (self->valid_until_button, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_group), coupon != NULL);
  adw_window_title_set_title (self->window_title, coupon != NULL ? _("Edit Coupon") : _("New Coupon"));
  adw_window_title_set_subtitle (self->window_title, eva_record_get_string (event, "title"));

  if (coupon != NULL)
    {
      gboolean percent = g_strcmp0 (eva_record_get_string (coupon, "kind"), "percent") == 0;
      g_autofree char *value = percent
        ? g_strdup_printf ("%" G_GINT64_FORMAT, eva_record_get_int (coupon, "percent", 0))
        : eva_format_money_plain (eva_record_get_int (coupon, "amount", 0), currency (self));
      g_autoptr(GDateTime) from = eva_record_get_datetime (coupon, "valid_from");
      g_autoptr(GDateTime) until = eva_record_get_datetime (coupon, "valid_until");

      gtk_editable_set_text (GTK_EDITABLE (self->code_row), eva_record_get_string (coupon, "code") ?: "");
      gtk_drop_down_set_selected (self->kind_dropdown, percent ? 0 : 1);
      gtk_editable_set_text (GTK_EDITABLE (self->value_row), value);
      gtk_switch_set_active (self->unlocks_switch, eva_record_get_boolean (coupon, "unlocks_hidden"));
      gtk_spin_button_set_value (self->max_uses_spin, eva_record_get_int (coupon, "max_uses", 0));
      gtk_spin_button_set_value (self->max_per_attendee_spin,
                                 eva_record_get_int (coupon, "max_uses_per_attendee", 0));
      eva_date_time_button_set_datetime (self->valid_from_button, from);
      eva_date_time_button_set_datetime (self->valid_until_button, until);
    }
  changed_cb (self);
  return GTK_WINDOW (self);
}

gboolean
eva_coupon_dialog_validate (EvaCouponDialog *self)
{
  const char *code;
  g_autoptr(GDateTime) from = NULL;
  g_autoptr(GDateTime) until = NULL;
  const char *value_problem = NULL;
  gint64 value;
  gboolean ok = TRUE;

  g_return_val_if_fail (EVA_IS_COUPON_DIALOG (self), FALSE);

  code = gtk_editable_get_text (GTK_EDITABLE (self->code_row));
  eva_row_set_error (GTK_WIDGET (self->code_row),
                     *code != '\0' && !code_ok (code)
                     ? _("Use letters, digits, “-” and “_”") : NULL);
  ok = code_ok (code);

  if (*gtk_editable_get_text (GTK_EDITABLE (self->value_row)) == '\0')
    ok = FALSE;
  else if (!parse_value (self, &value))
    value_problem = is_percent (self) ? _("Enter a percentage from 1 to 100")
                    : currency (self) == NULL ? _("Set the event’s currency first")
                    : _("Enter an amount such as 5 or 4.50");
  eva_row_set_error (GTK_WIDGET (self->value_row), value_problem);
  ok = ok && value_problem == NULL;

  from = eva_date_time_button_get_datetime (self->valid_from_button);
  until = eva_date_time_button_get_datetime (self->valid_until_button);
  if (from != NULL && until != NULL && g_date_time_compare (until, from) <= 0)
    {
      eva_row_set_error (GTK_WIDGET (self->valid_until_row), _("Must be after “Valid From”"));
      ok = FALSE;
    }
  else
    eva_row_set_error (GTK_WIDGET (self->valid_until_row), NULL);

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), ok);
  return ok;
}

/**
 * eva_coupon_dialog_get_fields:
 *
 * Returns: (transfer full): the request body
 */
JsonObject *
eva_coupon_dialog_get_fields (EvaCouponDialog *self)
{
  JsonObject *fields = json_object_new ();
  g_autoptr(GDateTime) from = eva_date_time_button_get_datetime (self->valid_from_button);
  g_autoptr(GDateTime) until = eva_date_time_button_get_datetime (self->valid_until_button);
  int max_uses = gtk_spin_button_get_value_as_int (self->max_uses_spin);
  int per_attendee = gtk_spin_button_get_value_as_int (self->max_per_attendee_spin);
  gint64 value = 0;

  parse_value (self, &value);
  json_object_set_string_member (fields, "code", gtk_editable_get_text (GTK_EDITABLE (self->code_row)));
  json_object_set_string_member (fields, "kind", is_percent (self) ? "percent" : "fixed");
  json_object_set_int_member (fields, is_percent (self) ? "percent" : "amount", value);
  json_object_set_boolean_member (fields, "unlocks_hidden", gtk_switch_get_active (self->unlocks_switch));
  if (max_uses > 0)
    json_object_set_int_member (fields, "max_uses", max_uses);
  else
    json_object_set_null_member (fields, "max_uses");
  if (per_attendee > 0)
    json_object_set_int_member (fields, "max_uses_per_attendee", per_attendee);
  else
    json_object_set_null_member (fields, "max_uses_per_attendee");
  if (from != NULL)
    {
      g_autofree char *text = eva_time_format (from);

      json_object_set_string_member (fields, "valid_from", text);
    }
  else
    json_object_set_null_member (fields, "valid_from");
  if (until != NULL)
    {
      g_autofree char *text = eva_time_format (until);

      json_object_set_string_member (fields, "valid_until", text);
    }
  else
    json_object_set_null_member (fields, "valid_until");
  return fields;
}
