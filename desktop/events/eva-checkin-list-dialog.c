/* eva-checkin-list-dialog.c: add or edit one check-in list
 *
 * A list admits all of the event's ticket types or a chosen set (check
 * buttons in an expander, as the coupon dialog has them), may let in
 * tickets of unpaid bookings and tickets that left, and may be open only
 * in a time window, picked in the event's time zone. The server's
 * refusals land at their rows (409 name_taken at the name); deleting
 * asks first, and the server's reason for refusing it (409 list_in_use,
 * default_list) is a toast.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-checkin-list-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "eva-common.h"
#include "events/eva-checkin-list-dialog-private.h"
#include "widgets/eva-date-time-button.h"
#include "widgets/eva-utils.h"

#define LIST_NAME_MAX 100

struct _EvaCheckinListDialog
{
  AdwWindow            parent_instance;

  AdwToastOverlay     *toast_overlay;
  AdwWindowTitle      *window_title;
  GtkButton           *save_button;
  AdwPreferencesPage  *page;
  AdwEntryRow         *name_row;
  AdwExpanderRow      *types_row;
  AdwActionRow        *unpaid_row;
  GtkSwitch           *unpaid_switch;
  AdwActionRow        *reentry_row;
  GtkSwitch           *reentry_switch;
  AdwPreferencesGroup *window_group;
  AdwActionRow        *opens_row;
  EvaDateTimeButton   *opens_button;
  AdwActionRow        *closes_row;
  EvaDateTimeButton   *closes_button;
  AdwPreferencesGroup *delete_group;
  GtkButton           *delete_button;

  EvaApiClient        *client;
  EvaRecord           *event;
  EvaRecord           *list;
  GCancellable        *cancellable;
  GPtrArray           *type_rows;
  GHashTable          *type_checks;   /* id → GtkCheckButton */
  char                *last_toast;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (EvaCheckinListDialog, eva_checkin_list_dialog, ADW_TYPE_WINDOW)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
toast (EvaCheckinListDialog *self,
       const char           *message)
{
  g_free (self->last_toast);
  self->last_toast = g_strdup (message);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
set_busy (EvaCheckinListDialog *self,
          gboolean              busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), !busy);
  if (busy)
    gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  else
    eva_checkin_list_dialog_validate (self);
}

static gboolean
restricted (EvaCheckinListDialog *self)
{
  return adw_expander_row_get_enable_expansion (self->types_row);
}

/* The ids of the checked ticket types, in the list's order. */
static GPtrArray *
checked_types (EvaCheckinListDialog *self)
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

/* Says on the expander which ticket types the list admits, or what is
 * wrong with the choice; FALSE when it cannot be saved like this. */
static gboolean
update_types_row (EvaCheckinListDialog *self)
{
  g_autoptr(GPtrArray) ids = checked_types (self);
  gboolean ok = TRUE;

  if (self->type_rows->len == 0)
    adw_expander_row_set_subtitle (self->types_row, _("This event has no ticket types yet"));
  if (!restricted (self))
    {
      if (self->type_rows->len > 0)
        adw_expander_row_set_subtitle (self->types_row, _("All ticket types"));
    }
  else if (ids->len == 0)
    {
      adw_expander_row_set_subtitle (self->types_row, _("Choose at least one ticket type"));
      ok = FALSE;
    }
  else
    {
      g_autoptr(GString) names = g_string_new (NULL);

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

static void
changed_cb (EvaCheckinListDialog *self)
{
  eva_checkin_list_dialog_validate (self);
}

static GtkWidget *
type_row_new (EvaCheckinListDialog *self,
              EvaRecord            *tt)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  const char *name = eva_record_get_string (tt, "name");

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  if (eva_record_get_boolean (tt, "hidden"))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Hidden"));
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_signal_connect_object (check, "notify::active", G_CALLBACK (changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_object_set_data_full (G_OBJECT (row), "ticket-type-id", g_strdup (eva_record_get_id (tt)), g_free);
  g_hash_table_insert (self->type_checks, g_strdup (eva_record_get_id (tt)), check);
  return row;
}

static void
add_types (EvaCheckinListDialog *self,
           GListModel           *ticket_types)
{
  guint n = ticket_types != NULL ? g_list_model_get_n_items (ticket_types) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvaRecord) tt = g_list_model_get_item (ticket_types, i);
      GtkWidget *row = type_row_new (self, tt);

      adw_expander_row_add_row (self->types_row, row);
      g_ptr_array_add (self->type_rows, row);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->types_row), n > 0 || restricted (self));
}

static void
fill (EvaCheckinListDialog *self)
{
  EvaRecord *list = self->list;
  const char *zone = eva_record_get_string (self->event, "timezone");
  g_autofree char *zone_text = NULL;

  eva_date_time_button_set_timezone (self->opens_button, zone);
  eva_date_time_button_set_timezone (self->closes_button, zone);
  eva_date_time_button_set_optional (self->opens_button, TRUE);
  eva_date_time_button_set_optional (self->closes_button, TRUE);
  if (zone != NULL && *zone != '\0')
    /* Translators: %s is a time zone, e.g. "Europe/Berlin" */
    zone_text = g_strdup_printf (_("In the event’s time zone, %s. Leave unset to admit at any time."), zone);
  else
    zone_text = g_strdup (_("Leave unset to admit at any time."));
  adw_preferences_group_set_description (self->window_group, zone_text);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_group), list != NULL);
  adw_window_title_set_title (self->window_title,
                              list != NULL ? _("Edit Check-In List") : _("New Check-In List"));
  adw_window_title_set_subtitle (self->window_title, eva_record_get_string (self->event, "title"));

  if (list == NULL)
    return;

  {
    g_autoptr(GDateTime) opens = eva_record_get_datetime (list, "opens_at");
    g_autoptr(GDateTime) closes = eva_record_get_datetime (list, "closes_at");
    JsonNode *node = json_object_get_member (eva_record_get_object (list), "ticket_type_ids");
    JsonArray *ids = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
    gboolean all = eva_record_get_boolean (list, "all_types");

    gtk_editable_set_text (GTK_EDITABLE (self->name_row), eva_record_get_string (list, "name") ?: "");
    for (guint i = 0; !all && ids != NULL && i < json_array_get_length (ids); i++)
      {
        GtkCheckButton *check = g_hash_table_lookup (self->type_checks,
                                                     json_array_get_string_element (ids, i));

        if (check != NULL)
          gtk_check_button_set_active (check, TRUE);
      }
    adw_expander_row_set_enable_expansion (self->types_row, !all);
    adw_expander_row_set_expanded (self->types_row, !all);
    gtk_switch_set_active (self->unpaid_switch, eva_record_get_boolean (list, "allow_unpaid"));
    gtk_switch_set_active (self->reentry_switch, eva_record_get_boolean (list, "allow_reentry"));
    eva_date_time_button_set_datetime (self->opens_button, opens);
    eva_date_time_button_set_datetime (self->closes_button, closes);
  }
}

static GtkWidget *
field_row (EvaCheckinListDialog *self,
           const char           *field)
{
  if (g_strcmp0 (field, "name") == 0) return GTK_WIDGET (self->name_row);
  if (g_strcmp0 (field, "all_types") == 0 || g_strcmp0 (field, "ticket_type_ids") == 0)
    return GTK_WIDGET (self->types_row);
  if (g_strcmp0 (field, "allow_unpaid") == 0) return GTK_WIDGET (self->unpaid_row);
  if (g_strcmp0 (field, "allow_reentry") == 0) return GTK_WIDGET (self->reentry_row);
  if (g_strcmp0 (field, "opens_at") == 0) return GTK_WIDGET (self->opens_row);
  if (g_strcmp0 (field, "closes_at") == 0) return GTK_WIDGET (self->closes_row);
  return NULL;
}

static void
show_error (EvaCheckinListDialog *self,
            const GError         *error)
{
  const char *code = eva_api_error_get_code (error);

  if (g_strcmp0 (code, "name_taken") == 0)
    {
      eva_row_set_error (GTK_WIDGET (self->name_row),
                         _("Another check-in list of this event has this name"));
      gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
      return;
    }
  if (eva_rows_set_field_errors (error, (EvaFieldRowFunc) field_row, self))
    return;
  /* The server's 422 for a ticket type of another event (or one deleted
   * meanwhile) names the field in its message only. */
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_UNPROCESSABLE) &&
      strstr (error->message, "ticket_type_ids") != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->types_row), "error");
  toast (self, error->message);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EvaCheckinListDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) list = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (list == NULL)
    {
      show_error (self, error);
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EvaCheckinListDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!eva_api_client_empty_finish (EVA_API_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      /* list_in_use, default_list: the server says why. */
      toast (self, error->message);
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
delete_response_cb (AdwMessageDialog     *dialog,
                    const char           *response,
                    EvaCheckinListDialog *self)
{
  if (g_strcmp0 (response, "delete") != 0)
    return;
  set_busy (self, TRUE);
  eva_api_client_delete_checkin_list_async (self->client, eva_record_get_id (self->list),
                                            self->cancellable, deleted_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_checkin_list_dialog_dispose (GObject *object)
{
  EvaCheckinListDialog *self = EVA_CHECKIN_LIST_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_CHECKIN_LIST_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->event);
  g_clear_object (&self->list);
  g_clear_pointer (&self->type_rows, g_ptr_array_unref);
  g_clear_pointer (&self->type_checks, g_hash_table_unref);

  G_OBJECT_CLASS (eva_checkin_list_dialog_parent_class)->dispose (object);
}

static void
eva_checkin_list_dialog_finalize (GObject *object)
{
  EvaCheckinListDialog *self = EVA_CHECKIN_LIST_DIALOG (object);

  g_free (self->last_toast);

  G_OBJECT_CLASS (eva_checkin_list_dialog_parent_class)->finalize (object);
}

static void
eva_checkin_list_dialog_class_init (EvaCheckinListDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_checkin_list_dialog_dispose;
  object_class->finalize = eva_checkin_list_dialog_finalize;

  /**
   * EvaCheckinListDialog::changed:
   *
   * The list was saved or deleted.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (EVA_TYPE_DATE_TIME_BUTTON);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/eva-checkin-list-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, page);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, types_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, unpaid_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, unpaid_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, reentry_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, reentry_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, window_group);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, opens_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, opens_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, closes_row);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, closes_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, delete_group);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListDialog, delete_button);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, eva_checkin_list_dialog_save);
  gtk_widget_class_bind_template_callback (widget_class, eva_checkin_list_dialog_ask_delete);
}

static void
eva_checkin_list_dialog_init (EvaCheckinListDialog *self)
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
 * eva_checkin_list_dialog_new:
 * @ticket_types: (nullable): the event's ticket types, to choose from
 * @list: (nullable): the list to edit, or %NULL for a new one
 *
 * Returns: (transfer none): the dialog, not yet shown
 */
GtkWindow *
eva_checkin_list_dialog_new (GtkWindow    *parent,
                             EvaApiClient *client,
                             EvaRecord    *event,
                             GListModel   *ticket_types,
                             EvaRecord    *list)
{
  EvaCheckinListDialog *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (event), NULL);

  self = g_object_new (EVA_TYPE_CHECKIN_LIST_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->event = g_object_ref (event);
  self->list = list != NULL ? g_object_ref (list) : NULL;
  add_types (self, ticket_types);
  fill (self);
  eva_checkin_list_dialog_validate (self);
  return GTK_WINDOW (self);
}

gboolean
eva_checkin_list_dialog_validate (EvaCheckinListDialog *self)
{
  g_autoptr(GDateTime) opens = NULL;
  g_autoptr(GDateTime) closes = NULL;
  const char *name;
  const char *reason = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self), FALSE);

  name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  if (*name == '\0')
    {
      eva_row_set_error (GTK_WIDGET (self->name_row), NULL);
      ok = FALSE;
    }
  else if (!eva_validate_text (name, -1, LIST_NAME_MAX, EVA_TEXT_SINGLE_LINE, &reason))
    {
      eva_row_set_error (GTK_WIDGET (self->name_row), eva_reason_label (reason));
      ok = FALSE;
    }
  else
    eva_row_set_error (GTK_WIDGET (self->name_row), NULL);

  ok = update_types_row (self) && ok;

  opens = eva_date_time_button_get_datetime (self->opens_button);
  closes = eva_date_time_button_get_datetime (self->closes_button);
  if (opens != NULL && closes != NULL && g_date_time_compare (closes, opens) <= 0)
    {
      eva_row_set_error (GTK_WIDGET (self->closes_row), _("Must be after it opens"));
      ok = FALSE;
    }
  else
    eva_row_set_error (GTK_WIDGET (self->closes_row), NULL);

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), ok && !self->busy);
  return ok;
}

/**
 * eva_checkin_list_dialog_get_fields:
 *
 * Returns: (transfer full): the request body. A new list leaves out the
 *   times it has not; a list that exists clears them with null.
 */
JsonObject *
eva_checkin_list_dialog_get_fields (EvaCheckinListDialog *self)
{
  JsonObject *fields;
  JsonArray *ids;
  g_autoptr(GPtrArray) checked = NULL;
  gboolean all;
  struct { const char *member; EvaDateTimeButton *button; } times[] = {
    { "opens_at", self->opens_button },
    { "closes_at", self->closes_button },
  };

  g_return_val_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self), NULL);

  fields = json_object_new ();
  all = !restricted (self);
  checked = checked_types (self);
  json_object_set_string_member (fields, "name", gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  json_object_set_boolean_member (fields, "all_types", all);
  ids = json_array_new ();
  for (guint i = 0; !all && i < checked->len; i++)
    json_array_add_string_element (ids, g_ptr_array_index (checked, i));
  json_object_set_array_member (fields, "ticket_type_ids", ids);
  json_object_set_boolean_member (fields, "allow_unpaid", gtk_switch_get_active (self->unpaid_switch));
  json_object_set_boolean_member (fields, "allow_reentry", gtk_switch_get_active (self->reentry_switch));
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autoptr(GDateTime) dt = eva_date_time_button_get_datetime (times[i].button);

      if (dt != NULL)
        {
          g_autofree char *text = eva_time_format (dt);

          json_object_set_string_member (fields, times[i].member, text);
        }
      else if (self->list != NULL)
        json_object_set_null_member (fields, times[i].member);
    }
  return fields;
}

/* Sends the list (Save). */
void
eva_checkin_list_dialog_save (EvaCheckinListDialog *self)
{
  g_autoptr(JsonObject) fields = NULL;

  g_return_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self));

  if (self->busy || !eva_checkin_list_dialog_validate (self))
    return;
  fields = eva_checkin_list_dialog_get_fields (self);
  set_busy (self, TRUE);
  if (self->list == NULL)
    eva_api_client_create_checkin_list_async (self->client, eva_record_get_id (self->event), fields,
                                              self->cancellable, saved_cb, g_object_ref (self));
  else
    eva_api_client_update_checkin_list_async (self->client, eva_record_get_id (self->list), fields,
                                              self->cancellable, saved_cb, g_object_ref (self));
}

/* Asks to delete the list, and deletes it when told so. */
void
eva_checkin_list_dialog_ask_delete (EvaCheckinListDialog *self)
{
  GtkWidget *dialog;

  g_return_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self));

  if (self->list == NULL || self->busy)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);
  /* Translators: %s is a check-in list's name */
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Delete “%s”?"),
                                     eva_record_get_string (self->list, "name"));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("Only lists nobody was checked in on can be deleted. The event’s default list stays."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/* "name", "types", "unpaid", "reentry" (the switches), "opens", "closes"
 * (the buttons), "save", "delete" */
GtkWidget *
_eva_checkin_list_dialog_get_row (EvaCheckinListDialog *self,
                                  const char           *name)
{
  g_return_val_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self), NULL);

  if (g_strcmp0 (name, "name") == 0) return GTK_WIDGET (self->name_row);
  if (g_strcmp0 (name, "types") == 0) return GTK_WIDGET (self->types_row);
  if (g_strcmp0 (name, "unpaid") == 0) return GTK_WIDGET (self->unpaid_switch);
  if (g_strcmp0 (name, "reentry") == 0) return GTK_WIDGET (self->reentry_switch);
  if (g_strcmp0 (name, "opens") == 0) return GTK_WIDGET (self->opens_button);
  if (g_strcmp0 (name, "closes") == 0) return GTK_WIDGET (self->closes_button);
  if (g_strcmp0 (name, "save") == 0) return GTK_WIDGET (self->save_button);
  if (g_strcmp0 (name, "delete") == 0) return GTK_WIDGET (self->delete_button);
  return NULL;
}

/**
 * _eva_checkin_list_dialog_get_type_check:
 *
 * Returns: (transfer none) (nullable): the check button of a ticket type
 */
GtkCheckButton *
_eva_checkin_list_dialog_get_type_check (EvaCheckinListDialog *self,
                                         const char           *ticket_type_id)
{
  g_return_val_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self), NULL);
  return g_hash_table_lookup (self->type_checks, ticket_type_id);
}

/* The message of the last toast shown, or NULL. */
const char *
_eva_checkin_list_dialog_get_last_toast (EvaCheckinListDialog *self)
{
  g_return_val_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self), NULL);
  return self->last_toast;
}

gboolean
_eva_checkin_list_dialog_get_busy (EvaCheckinListDialog *self)
{
  g_return_val_if_fail (EVA_IS_CHECKIN_LIST_DIALOG (self), FALSE);
  return self->busy;
}
