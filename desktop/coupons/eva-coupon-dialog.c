/* eva-coupon-dialog.c: add or edit one coupon
 *
 * A coupon takes a percentage or a fixed amount off (in the event's
 * currency, minor units on the wire), may be limited in uses, time and to
 * orders of a least total, may apply to some of the event's ticket types
 * only (none chosen: all of them), and may unlock the hidden ones it
 * applies to. The event's ticket types are read when the dialog opens. The
 * server's refusals land at the rows they name; "changed" tells the list
 * to reload.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-coupon-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "coupons/eva-coupon-dialog-private.h"
#include "eva-common.h"
#include "widgets/eva-date-time-button.h"
#include "widgets/eva-utils.h"

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
  AdwExpanderRow     *types_row;
  GtkSwitch          *unlocks_switch;
  AdwActionRow       *used_row;
  GtkLabel           *used_label;
  AdwEntryRow        *min_order_row;
  GtkLabel           *min_order_unit_label;
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

  /* The event's ticket types, once read: a row with a check button each. */
  GPtrArray          *type_rows;
  GHashTable         *type_checks;   /* id → GtkCheckButton */
  gboolean            types_loaded;
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

/* The minimum order in minor units: empty is none (0). */
static gboolean
parse_min_order (EvaCouponDialog *self,
                 gint64          *out)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->min_order_row))));

  g_strdelimit (text, ",", '.');
  if (*text == '\0' || g_strcmp0 (text, "0") == 0)
    {
      *out = 0;
      return TRUE;
    }
  if (currency (self) == NULL)
    return FALSE;
  return eva_money_parse (text, currency (self), out, NULL) && *out >= 0;
}

/* The ids of the checked ticket types, in the list's order. */
static GPtrArray *
checked_types (EvaCouponDialog *self)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->type_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->type_rows, i);
      const char *id = g_object_get_data (G_OBJECT (row), "ticket-type-id");

      if (gtk_check_button_get_active (g_hash_table_lookup (self->type_checks, id)))
        g_ptr_array_add (ids, g_strdup (id));
    }
  return ids;
}

static gboolean
restricted (EvaCouponDialog *self)
{
  return adw_expander_row_get_enable_expansion (self->types_row);
}

/* Says on the expander which ticket types the coupon is for, or what is
 * wrong with the choice; FALSE when it cannot be saved like this. */
static gboolean
update_types_row (EvaCouponDialog *self)
{
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GString) names = NULL;
  gboolean ok = TRUE;

  if (!self->types_loaded)
    return TRUE;
  ids = checked_types (self);
  if (!restricted (self))
    adw_expander_row_set_subtitle (self->types_row, _("For all ticket types"));
  else if (ids->len == 0)
    {
      adw_expander_row_set_subtitle (self->types_row, _("Choose at least one ticket type"));
      ok = FALSE;
    }
  else
    {
      names = g_string_new (NULL);
      for (guint i = 0; i < self->type_rows->len; i++)
        {
          GtkWidget *row = g_ptr_array_index (self->type_rows, i);
          const char *id = g_object_get_data (G_OBJECT (row), "ticket-type-id");

          if (!gtk_check_button_get_active (g_hash_table_lookup (self->type_checks, id)))
            continue;
          if (names->len > 0)
            /* Translators: the separator in a list of ticket type names */
            g_string_append (names, _(", "));
          g_string_append (names, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
        }
      adw_expander_row_set_subtitle (self->types_row, names->str);
    }
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->types_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->types_row), "error");
  return ok;
}

static GtkWidget *
field_row (EvaCouponDialog *self,
           const char      *field)
{
  if (g_strcmp0 (field, "code") == 0) return GTK_WIDGET (self->code_row);
  if (g_strcmp0 (field, "percent") == 0 || g_strcmp0 (field, "amount") == 0 ||
      g_strcmp0 (field, "kind") == 0) return GTK_WIDGET (self->value_row);
  if (g_strcmp0 (field, "min_order") == 0) return GTK_WIDGET (self->min_order_row);
  if (g_strcmp0 (field, "ticket_type_ids") == 0) return GTK_WIDGET (self->types_row);
  if (g_strcmp0 (field, "max_uses") == 0) return GTK_WIDGET (self->uses_row);
  if (g_strcmp0 (field, "valid_from") == 0) return GTK_WIDGET (self->valid_from_row);
  if (g_strcmp0 (field, "valid_until") == 0) return GTK_WIDGET (self->valid_until_row);
  return NULL;
}

static void
show_error (EvaCouponDialog *self,
            const GError    *error)
{
  const char *code = eva_api_error_get_code (error);

  if (g_strcmp0 (code, "coupon_code_taken") == 0 || g_strcmp0 (code, "code_taken") == 0)
    {
      eva_row_set_error (GTK_WIDGET (self->code_row), _("Another coupon of this event has this code"));
      return;
    }
  if (g_strcmp0 (code, "max_uses_below_uses") == 0)
    {
      eva_row_set_error (GTK_WIDGET (self->uses_row), _("Already used more often than this"));
      return;
    }
  if (g_strcmp0 (code, "unknown_ticket_type") == 0)
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("A chosen ticket type no longer exists")));
      eva_coupon_dialog_reload_ticket_types (self);
      return;
    }
  if (g_strcmp0 (code, "currency_required") == 0)
    {
      eva_row_set_error (GTK_WIDGET (self->value_row), _("Set the event’s currency first"));
      return;
    }
  if (!eva_rows_set_field_errors (error, (EvaFieldRowFunc) field_row, self))
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

/* "Used: 12 of 100" for a coupon that exists. */
static void
show_uses (EvaCouponDialog *self)
{
  gint64 uses = eva_record_get_int (self->coupon, "uses", 0);
  g_autofree char *text = NULL;

  if (!eva_record_is_null (self->coupon, "max_uses"))
    /* Translators: a coupon's uses and its limit, e.g. "12 of 100" */
    text = g_strdup_printf (_("%d of %d"), (int) uses,
                            (int) eva_record_get_int (self->coupon, "max_uses", 0));
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d time", "%d times", uses), (int) uses);
  gtk_label_set_label (self->used_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->used_row), TRUE);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
changed_cb (EvaCouponDialog *self)
{
  gtk_label_set_label (self->unit_label, is_percent (self) ? "%" : currency (self) ?: "");
  gtk_label_set_label (self->min_order_unit_label, currency (self) ?: "");
  eva_coupon_dialog_validate (self);
}

static void
types_changed_cb (EvaCouponDialog *self)
{
  eva_coupon_dialog_validate (self);
}

/* The coupon's own ticket types, checked once the rows are there. */
static void
check_coupon_types (EvaCouponDialog *self)
{
  JsonNode *node = self->coupon != NULL
                   ? json_object_get_member (eva_record_get_object (self->coupon), "ticket_type_ids")
                   : NULL;
  JsonArray *ids = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  guint n = ids != NULL ? json_array_get_length (ids) : 0;

  for (guint i = 0; i < n; i++)
    {
      GtkCheckButton *check = g_hash_table_lookup (self->type_checks,
                                                   json_array_get_string_element (ids, i));

      if (check != NULL)
        gtk_check_button_set_active (check, TRUE);
    }
  adw_expander_row_set_enable_expansion (self->types_row, n > 0);
  adw_expander_row_set_expanded (self->types_row, n > 0);
}

static GtkWidget *
type_row_new (EvaCouponDialog *self,
              EvaRecord       *tt)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *price = eva_format_money (eva_record_get_int (tt, "price", 0), currency (self));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_record_get_string (tt, "name"));
  if (eva_record_get_boolean (tt, "hidden"))
    {
      /* Translators: a ticket type's price, and that it is hidden, e.g.
       * "25.00 EUR · Hidden" */
      g_autofree char *subtitle = g_strdup_printf (_("%s · Hidden"), price);

      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    }
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), price);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_signal_connect_object (check, "notify::active", G_CALLBACK (types_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_object_set_data_full (G_OBJECT (row), "ticket-type-id", g_strdup (eva_record_get_id (tt)), g_free);
  g_hash_table_insert (self->type_checks, g_strdup (eva_record_get_id (tt)), check);
  return row;
}

static void
ticket_types_listed_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(EvaCouponDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) types = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);
  g_autoptr(GPtrArray) was_checked = NULL;
  gboolean was_restricted = restricted (self);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (types == NULL)
    {
      adw_expander_row_set_subtitle (self->types_row, error->message);
      return;
    }

  /* A reload keeps what was checked (of what is still there). */
  was_checked = self->types_loaded ? checked_types (self) : NULL;
  for (guint i = 0; i < self->type_rows->len; i++)
    adw_expander_row_remove (self->types_row, g_ptr_array_index (self->type_rows, i));
  g_ptr_array_set_size (self->type_rows, 0);
  g_hash_table_remove_all (self->type_checks);

  for (guint i = 0; i < types->len; i++)
    {
      GtkWidget *row = type_row_new (self, g_ptr_array_index (types, i));

      adw_expander_row_add_row (self->types_row, row);
      g_ptr_array_add (self->type_rows, row);
    }
  if (was_checked == NULL)
    check_coupon_types (self);
  else
    {
      for (guint i = 0; i < was_checked->len; i++)
        {
          GtkCheckButton *check = g_hash_table_lookup (self->type_checks,
                                                       g_ptr_array_index (was_checked, i));

          if (check != NULL)
            gtk_check_button_set_active (check, TRUE);
        }
      adw_expander_row_set_enable_expansion (self->types_row, was_restricted);
    }
  self->types_loaded = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->types_row), types->len > 0);
  if (types->len == 0)
    adw_expander_row_set_subtitle (self->types_row, _("This event has no ticket types yet"));
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
  g_clear_pointer (&self->type_rows, g_ptr_array_unref);
  g_clear_pointer (&self->type_checks, g_hash_table_unref);

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
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, types_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, unlocks_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, used_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, used_label);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, min_order_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, min_order_unit_label);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, uses_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, max_uses_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, max_per_attendee_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_from_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_from_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_until_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, valid_until_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponDialog, delete_group);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, types_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_coupon_dialog_init (EvaCouponDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->type_rows = g_ptr_array_new ();
  self->type_checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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
      if (eva_record_get_int (coupon, "min_order", 0) > 0)
        {
          g_autofree char *min_order = eva_format_money_plain (eva_record_get_int (coupon, "min_order", 0),
                                                               currency (self));

          gtk_editable_set_text (GTK_EDITABLE (self->min_order_row), min_order);
        }
      show_uses (self);
    }
  adw_expander_row_set_subtitle (self->types_row, _("Loading ticket types…"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->types_row), FALSE);
  eva_coupon_dialog_reload_ticket_types (self);
  changed_cb (self);
  return GTK_WINDOW (self);
}

/* Reads the event's ticket types (again), keeping what is checked. */
void
eva_coupon_dialog_reload_ticket_types (EvaCouponDialog *self)
{
  g_return_if_fail (EVA_IS_COUPON_DIALOG (self));

  eva_api_client_list_ticket_types_async (self->client, eva_record_get_id (self->event),
                                          self->cancellable, ticket_types_listed_cb,
                                          g_object_ref (self));
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

  if (!parse_min_order (self, &value))
    {
      eva_row_set_error (GTK_WIDGET (self->min_order_row),
                         currency (self) == NULL ? _("Set the event’s currency first")
                         : _("Enter an amount such as 50 or 49.90"));
      ok = FALSE;
    }
  else
    eva_row_set_error (GTK_WIDGET (self->min_order_row), NULL);

  ok = update_types_row (self) && ok;

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
  gint64 min_order = 0;

  parse_value (self, &value);
  json_object_set_string_member (fields, "code", gtk_editable_get_text (GTK_EDITABLE (self->code_row)));
  json_object_set_string_member (fields, "kind", is_percent (self) ? "percent" : "fixed");
  json_object_set_int_member (fields, is_percent (self) ? "percent" : "amount", value);
  json_object_set_boolean_member (fields, "unlocks_hidden", gtk_switch_get_active (self->unlocks_switch));
  if (parse_min_order (self, &min_order))
    json_object_set_int_member (fields, "min_order", min_order);
  /* Until the ticket types are read, what the coupon has stays. */
  if (self->types_loaded)
    {
      g_autoptr(GPtrArray) ids = checked_types (self);
      JsonArray *array = json_array_new ();

      for (guint i = 0; restricted (self) && i < ids->len; i++)
        json_array_add_string_element (array, g_ptr_array_index (ids, i));
      json_object_set_array_member (fields, "ticket_type_ids", array);
    }
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

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/* "code", "value", "min_order", "types", "unlocks" (the switch), "used"
 * (its label) or "save" (the button). */
GtkWidget *
_eva_coupon_dialog_get_row (EvaCouponDialog *self,
                            const char      *name)
{
  g_return_val_if_fail (EVA_IS_COUPON_DIALOG (self), NULL);

  if (g_strcmp0 (name, "save") == 0)
    return GTK_WIDGET (self->save_button);
  if (g_strcmp0 (name, "types") == 0)
    return GTK_WIDGET (self->types_row);
  if (g_strcmp0 (name, "unlocks") == 0)
    return GTK_WIDGET (self->unlocks_switch);
  if (g_strcmp0 (name, "used") == 0)
    return gtk_widget_get_visible (GTK_WIDGET (self->used_row)) ? GTK_WIDGET (self->used_label) : NULL;
  if (g_strcmp0 (name, "value") == 0)
    return GTK_WIDGET (self->value_row);
  return field_row (self, name);
}

/**
 * _eva_coupon_dialog_get_type_check:
 *
 * Returns: (transfer none) (nullable): the check button of that ticket
 *   type, once the ticket types are read
 */
GtkCheckButton *
_eva_coupon_dialog_get_type_check (EvaCouponDialog *self,
                                   const char      *ticket_type_id)
{
  g_return_val_if_fail (EVA_IS_COUPON_DIALOG (self), NULL);
  return g_hash_table_lookup (self->type_checks, ticket_type_id);
}

gboolean
_eva_coupon_dialog_get_types_loaded (EvaCouponDialog *self)
{
  g_return_val_if_fail (EVA_IS_COUPON_DIALOG (self), FALSE);
  return self->types_loaded;
}
