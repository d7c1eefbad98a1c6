/* eva-staff-window.c: staff accounts (super admins only)
 *
 * One row per account: name, email, a role drop-down and an "enabled"
 * switch; each change is sent at once and undone in place when the server
 * refuses it (last_super_admin, cannot_change_self). New accounts get a
 * generated password, shown once.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-staff-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "eva-common.h"
#include "staff/eva-staff-window.h"
#include "widgets/eva-utils.h"

struct _EvaStaffWindow
{
  AdwWindow        parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  GtkListBox      *list_box;

  EvaApiClient    *client;
  GListStore      *store;
  GCancellable    *cancellable;
};

G_DEFINE_FINAL_TYPE (EvaStaffWindow, eva_staff_window, ADW_TYPE_WINDOW)

static const char * const roles[] = { "super_admin", "organizer", "door_staff" };

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static GtkStringList *
role_model (void)
{
  GtkStringList *list = gtk_string_list_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    gtk_string_list_append (list, eva_role_label (roles[i]));
  return list;
}

static guint
role_index (const char *role)
{
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    if (g_strcmp0 (roles[i], role) == 0)
      return i;
  return 1;
}

static void
toast (EvaStaffWindow *self,
       const char     *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static const char *
describe_error (const GError *error)
{
  const char *code = eva_api_error_get_code (error);

  if (g_strcmp0 (code, "last_super_admin") == 0)
    return _("The last super admin cannot be demoted, disabled or deleted");
  if (g_strcmp0 (code, "cannot_change_self") == 0)
    return _("You cannot change your own role or disable yourself");
  if (g_strcmp0 (code, "email_taken") == 0)
    return _("A staff member with this email address already exists");
  return error->message;
}

typedef struct
{
  EvaStaffWindow *self;
  EvaRecord      *staff;
} Change;

static void
change_free (Change *change)
{
  g_object_unref (change->self);
  g_object_unref (change->staff);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Change, change_free)

static void
updated_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) updated = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (updated == NULL)
    {
      toast (change->self, describe_error (error));
      /* Show what the server still holds. */
      eva_staff_window_reload (change->self);
      return;
    }
  eva_record_set_object (change->staff, eva_record_get_object (updated));
  toast (change->self, _("Staff member updated"));
}

static void
send_change (EvaStaffWindow *self,
             EvaRecord      *staff,
             JsonObject     *fields)
{
  Change *change = g_new0 (Change, 1);

  change->self = g_object_ref (self);
  change->staff = g_object_ref (staff);
  eva_api_client_update_staff_async (self->client, eva_record_get_id (staff), fields,
                                     self->cancellable, updated_cb, change);
}

static void
role_selected_cb (GtkDropDown    *dropdown,
                  GParamSpec     *pspec,
                  EvaStaffWindow *self)
{
  EvaRecord *staff = g_object_get_data (G_OBJECT (dropdown), "staff");
  guint i = gtk_drop_down_get_selected (dropdown);
  g_autoptr(JsonObject) fields = json_object_new ();

  if (i >= G_N_ELEMENTS (roles) || g_strcmp0 (roles[i], eva_record_get_string (staff, "role")) == 0)
    return;
  json_object_set_string_member (fields, "role", roles[i]);
  send_change (self, staff, fields);
}

static void
enabled_changed_cb (GtkSwitch      *sw,
                    GParamSpec     *pspec,
                    EvaStaffWindow *self)
{
  EvaRecord *staff = g_object_get_data (G_OBJECT (sw), "staff");
  gboolean disabled = !gtk_switch_get_active (sw);
  g_autoptr(JsonObject) fields = json_object_new ();

  if (disabled == eva_record_get_boolean (staff, "disabled"))
    return;
  json_object_set_boolean_member (fields, "disabled", disabled);
  send_change (self, staff, fields);
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  EvaStaffWindow *self = user_data;
  EvaRecord *staff = item;
  EvaRecord *me = eva_api_client_get_me (self->client);
  gboolean is_me = me != NULL && g_strcmp0 (eva_record_get_id (me), eva_record_get_id (staff)) == 0;
  g_autoptr(GtkStringList) model = role_model ();
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *dropdown = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (model)), NULL);
  GtkWidget *sw = gtk_switch_new ();
  const char *name = eva_record_get_string (staff, "name");

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 name != NULL && *name != '\0' ? name : eva_record_get_string (staff, "email"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), eva_record_get_string (staff, "email"));

  gtk_widget_set_valign (dropdown, GTK_ALIGN_CENTER);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), role_index (eva_record_get_string (staff, "role")));
  gtk_widget_set_sensitive (dropdown, !is_me);
  gtk_widget_set_tooltip_text (dropdown, _("Role"));
  g_object_set_data (G_OBJECT (dropdown), "staff", staff);
  g_signal_connect_object (dropdown, "notify::selected", G_CALLBACK (role_selected_cb), self, 0);

  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (sw), !eva_record_get_boolean (staff, "disabled"));
  gtk_widget_set_sensitive (sw, !is_me);
  gtk_widget_set_tooltip_text (sw, _("May sign in"));
  g_object_set_data (G_OBJECT (sw), "staff", staff);
  g_signal_connect_object (sw, "notify::active", G_CALLBACK (enabled_changed_cb), self, 0);

  adw_action_row_add_suffix (ADW_ACTION_ROW (row), dropdown);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  return row;
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaStaffWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (items == NULL)
    {
      toast (self, error->message);
      return;
    }
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
  gtk_stack_set_visible_child_name (self->stack, "list");
}

/* ------------------------------------------------------------------ */
/* Adding                                                             */
/* ------------------------------------------------------------------ */

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EvaStaffWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) staff = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);
  const char *password;
  GtkWidget *dialog;
  GtkWidget *label;

  if (staff == NULL)
    {
      toast (self, describe_error (error));
      return;
    }
  eva_staff_window_reload (self);

  password = eva_record_get_string (staff, "password");
  if (password == NULL)
    {
      toast (self, _("Staff member added"));
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Staff Member Added"), NULL);
  /* Translators: %s is an email address */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Give this password to %s. It is shown only once."),
                                  eva_record_get_string (staff, "email"));
  label = gtk_label_new (password);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "title-4");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), label);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Done"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_response_cb (AdwMessageDialog *dialog,
                 const char       *response,
                 EvaStaffWindow   *self)
{
  GtkEditable *email = g_object_get_data (G_OBJECT (dialog), "email");
  GtkEditable *name = g_object_get_data (G_OBJECT (dialog), "name");
  GtkDropDown *role = g_object_get_data (G_OBJECT (dialog), "role");
  g_autoptr(JsonObject) fields = NULL;
  guint i;

  if (g_strcmp0 (response, "add") != 0)
    return;
  fields = json_object_new ();
  i = gtk_drop_down_get_selected (role);
  json_object_set_string_member (fields, "email", gtk_editable_get_text (email));
  json_object_set_string_member (fields, "name", gtk_editable_get_text (name));
  json_object_set_string_member (fields, "role", roles[i < G_N_ELEMENTS (roles) ? i : 1]);
  eva_api_client_create_staff_async (self->client, fields, self->cancellable, created_cb,
                                     g_object_ref (self));
}

static void
add_email_changed_cb (GtkEditable      *email,
                      AdwMessageDialog *dialog)
{
  gboolean valid = eva_validate_email (gtk_editable_get_text (email));

  adw_message_dialog_set_response_enabled (dialog, "add", valid);
  eva_row_set_error (GTK_WIDGET (email),
                     *gtk_editable_get_text (email) != '\0' && !valid
                     ? _("Enter a valid email address") : NULL);
}

static void
add_clicked_cb (EvaStaffWindow *self)
{
  g_autoptr(GtkStringList) model = role_model ();
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Add Staff Member"),
                                              _("A password is generated and shown once."));
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *email = adw_entry_row_new ();
  GtkWidget *name = adw_entry_row_new ();
  GtkWidget *role_row = adw_action_row_new ();
  GtkWidget *role = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (model)), NULL);

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (email), _("Email Address"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name), _("Name"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (role_row), _("Role"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (role), 1);
  gtk_widget_set_valign (role, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (role_row), role);
  gtk_list_box_append (GTK_LIST_BOX (list), email);
  gtk_list_box_append (GTK_LIST_BOX (list), name);
  gtk_list_box_append (GTK_LIST_BOX (list), role_row);

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "add", _("_Add"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "add", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "email", email);
  g_object_set_data (G_OBJECT (dialog), "name", name);
  g_object_set_data (G_OBJECT (dialog), "role", role);
  g_signal_connect (email, "changed", G_CALLBACK (add_email_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (add_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_staff_window_dispose (GObject *object)
{
  EvaStaffWindow *self = EVA_STAFF_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_STAFF_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (eva_staff_window_parent_class)->dispose (object);
}

static void
eva_staff_window_class_init (EvaStaffWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_staff_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-staff-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaStaffWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaStaffWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaStaffWindow, list_box);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_staff_window_init (EvaStaffWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->store = g_list_store_new (EVA_TYPE_RECORD);
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWindow *
eva_staff_window_new (GtkWindow    *parent,
                      EvaApiClient *client)
{
  EvaStaffWindow *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);

  self = g_object_new (EVA_TYPE_STAFF_WINDOW, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->store), create_row_cb, self, NULL);
  eva_staff_window_reload (self);
  return GTK_WINDOW (self);
}

void
eva_staff_window_reload (EvaStaffWindow *self)
{
  g_return_if_fail (EVA_IS_STAFF_WINDOW (self));

  eva_api_client_list_staff_async (self->client, NULL, NULL, self->cancellable, listed_cb,
                                   g_object_ref (self));
}
