/* eva-window.c: the main window
 *
 * A stack of three pages: "starting" (resuming a kept sign-in), "sign-in"
 * and "events". Events is an AdwLeaflet: the list on the left, the chosen
 * event on the right as an AdwViewStack (details, tickets, check-in
 * lists, coupons, bookings); narrower than the two side by side, the leaflet folds and
 * shows one at a time.
 *
 * The window owns the API client and the session around it: the refresh
 * token goes to the keyring after every sign-in and every rotation; an
 * expired session shows the sign-in page again but keeps the editor as it
 * was, so unsaved edits survive; unreachable servers raise the offline
 * banner, whose Retry is the refresh action.
 *
 * What the window does with events (open, create, save, publish…) is in
 * eva-window-events.c.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-keyring.h"
#include "app/eva-window-private.h"
#include "staff/eva-staff-window.h"
#include "webhooks/eva-webhooks-window.h"
#include "analytics/eva-summary-window.h"
#include "widgets/eva-utils.h"

#define MAX_SERVERS 8


G_DEFINE_FINAL_TYPE (EvaWindow, eva_window, ADW_TYPE_APPLICATION_WINDOW)


/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
current_status (EvaWindow *self)
{
  EvaRecord *event = eva_event_editor_get_event (self->editor);

  return event != NULL ? eva_record_get_string (event, "status") : NULL;
}

gboolean
_eva_window_showing_event (EvaWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "event") == 0;
}

static void
set_action_enabled (EvaWindow  *self,
                    const char *name,
                    gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_titles (EvaWindow *self)
{
  EvaRecord *event = eva_event_editor_get_event (self->editor);
  EvaRecord *me = eva_api_client_get_me (self->client);
  const char *base_url = eva_api_client_get_base_url (self->client);
  g_autoptr(GUri) uri = base_url != NULL ? g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL) : NULL;

  adw_view_switcher_title_set_title (self->switcher_title,
                                     event != NULL ? eva_record_get_string (event, "title")
                                     : _eva_window_showing_event (self) ? _("New Event") : "");
  adw_view_switcher_title_set_subtitle (self->switcher_title,
                                        event != NULL ? eva_status_label (eva_record_get_string (event, "status")) : NULL);
  if (me != NULL && uri != NULL)
    {
      g_autofree char *subtitle =
        g_strdup_printf ("%s · %s", eva_record_get_string (me, "name") ?: eva_record_get_string (me, "email"),
                         g_uri_get_host (uri));

      adw_window_title_set_subtitle (self->sidebar_title, subtitle);
    }
  else
    adw_window_title_set_subtitle (self->sidebar_title, NULL);
}

/* Save is the editor's: it shows with the Details page. */
static void
update_save_button (EvaWindow *self)
{
  gtk_widget_set_visible (self->save_button,
                          _eva_window_showing_event (self) &&
                          g_strcmp0 (adw_view_stack_get_visible_child_name (self->event_stack),
                                     "details") == 0);
}

void
_eva_window_update_actions (EvaWindow *self)
{
  const char *status = current_status (self);
  gboolean has_event = status != NULL;
  gboolean busy = eva_event_editor_get_busy (self->editor);
  gboolean on_events = g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "events") == 0;
  gboolean on_door = g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "door") == 0;

  set_action_enabled (self, "save", on_events && _eva_window_showing_event (self) && !busy &&
                      (eva_event_editor_get_dirty (self->editor) || !has_event));
  set_action_enabled (self, "publish", on_events && !busy && g_strcmp0 (status, "draft") == 0);
  set_action_enabled (self, "cancel-event", on_events && !busy &&
                      (g_strcmp0 (status, "draft") == 0 || g_strcmp0 (status, "published") == 0));
  set_action_enabled (self, "archive", on_events && !busy &&
                      (g_strcmp0 (status, "published") == 0 || g_strcmp0 (status, "cancelled") == 0));
  set_action_enabled (self, "delete-event", on_events && !busy && g_strcmp0 (status, "draft") == 0);
  set_action_enabled (self, "refund-all", on_events && !busy && g_strcmp0 (status, "cancelled") == 0);
  set_action_enabled (self, "staff", on_events && eva_api_client_is_super_admin (self->client));
  set_action_enabled (self, "analytics", on_events && eva_api_client_can_organize (self->client));
  /* The server's webhook routes are for organizers and super admins. */
  set_action_enabled (self, "webhooks", on_events && eva_api_client_can_organize (self->client));
  set_action_enabled (self, "new-event", on_events);
  set_action_enabled (self, "search", on_events);
  set_action_enabled (self, "sign-out", on_events || on_door);
  set_action_enabled (self, "door-mode", on_events && has_event && g_strcmp0 (status, "published") == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->event_menu_button), has_event);
  update_save_button (self);
  adw_view_stack_page_set_visible (self->overview_page,
                                   has_event && eva_api_client_can_organize (self->client));
  adw_view_stack_page_set_visible (self->tickets_page, has_event);
  adw_view_stack_page_set_visible (self->checkin_page, has_event);
  adw_view_stack_page_set_visible (self->coupons_page, has_event);
  adw_view_stack_page_set_visible (self->bookings_page, has_event);
  /* After the pages: the bar counts the visible ones when revealed. */
  adw_view_switcher_bar_set_reveal (self->switcher_bar, FALSE);
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    has_event && adw_view_switcher_title_get_title_visible (self->switcher_title));
  update_titles (self);
}

static void
remember_server (EvaWindow  *self,
                 const char *server,
                 const char *email)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "servers");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) servers = NULL;
  guint n = 1;

  g_strv_builder_add (builder, server);
  for (guint i = 0; old[i] != NULL && n < MAX_SERVERS; i++)
    if (g_strcmp0 (old[i], server) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  servers = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "servers", (const char * const *) servers);
  g_settings_set_string (self->settings, "last-server", server);
  g_settings_set_string (self->settings, "last-email", email);
  eva_sign_in_page_set_servers (self->sign_in_page, (const char * const *) servers);
}

static void
token_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EvaWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  static gboolean told;

  if (eva_keyring_store_finish (result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Once per run is enough. */
  if (!told)
    adw_toast_overlay_add_toast (self->toast_overlay,
                                 adw_toast_new (_("No keyring is available: you will need to sign in again next time")));
  told = TRUE;
}

static void
store_token (EvaWindow *self)
{
  const char *token = eva_api_client_get_refresh_token (self->client);
  const char *server = eva_api_client_get_base_url (self->client);

  if (token == NULL || server == NULL || self->email == NULL)
    return;
  eva_keyring_store_async (server, self->email, token, self->cancellable,
                           token_stored_cb, g_object_ref (self));
}

void
_eva_window_load_event_views (EvaWindow *self,
                              EvaRecord *event)
{
  eva_overview_page_set_event (self->overview, event);
  eva_ticket_types_view_set_event (self->ticket_types_view, event);
  eva_checkin_lists_view_set_event (self->checkin_lists_view, event);
  eva_coupons_view_set_event (self->coupons_view, event);
  eva_bookings_view_set_event (self->bookings_view, event);
}

void
_eva_window_show_content (EvaWindow *self)
{
  gtk_stack_set_visible_child_name (self->content_stack, "event");
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

/* ------------------------------------------------------------------ */
/* Other actions                                                      */
/* ------------------------------------------------------------------ */

static void
search_activated (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  eva_events_view_start_search (self->events_view);
}

static void
refresh_activated (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);

  gtk_revealer_set_reveal_child (self->offline_revealer, FALSE);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "events") != 0)
    return;
  eva_events_view_reload (self->events_view);
  _eva_window_reload_event (self);
}

static void
signed_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EvaWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!eva_api_client_logout_finish (EVA_API_CLIENT (source), result, &error))
    g_debug ("signing out: %s", error->message);
}

static void
token_cleared_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!eva_keyring_clear_finish (result, &error))
    g_debug ("clearing the keyring: %s", error->message);
}

static void
sign_out_activated (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);
  const char *server = eva_api_client_get_base_url (self->client);

  if (server != NULL && self->email != NULL)
    eva_keyring_clear_async (server, self->email, NULL, token_cleared_cb, NULL);
  eva_api_client_logout_async (self->client, NULL, signed_out_cb, g_object_ref (self));

  eva_event_editor_set_event (self->editor, NULL);
  _eva_window_load_event_views (self, NULL);
  eva_event_list_clear (eva_events_view_get_list (self->events_view));
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  self->session_expired = FALSE;
  eva_sign_in_page_set_message (self->sign_in_page, NULL);
  eva_window_show_sign_in (self);
}

static void
staff_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);
  GtkWindow *staff = eva_staff_window_new (GTK_WINDOW (self), self->client);

  gtk_window_present (staff);
}

static void
webhooks_activated (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);
  GtkWindow *webhooks = eva_webhooks_window_new (GTK_WINDOW (self), self->client);

  gtk_window_present (webhooks);
}

static void
analytics_activated (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);
  EvaSummaryWindow *summary = eva_summary_window_new (GTK_WINDOW (self), self->client);

  gtk_window_present (GTK_WINDOW (summary));
  eva_summary_window_reload (summary);
}

/* EVA_ACTION_SET_OFFLINE, activated by eva_report_error() from the pages
 * of the window: a class action, so it is found from them but is not one
 * of the window's "win." actions. */
static void
set_offline_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  eva_window_set_offline (EVA_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
door_mode_activated (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);

  eva_window_show_door (self, eva_event_editor_get_event (self->editor));
}

static const GActionEntry actions[] = {
  { "door-mode", door_mode_activated },
  { "search", search_activated },
  { "refresh", refresh_activated },
  { "sign-out", sign_out_activated },
  { "staff", staff_activated },
  { "webhooks", webhooks_activated },
  { "analytics", analytics_activated },
};

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
signed_in_cb (EvaWindow *self)
{
  const char *server = eva_api_client_get_base_url (self->client);
  g_autofree char *email = g_strstrip (g_strdup (eva_sign_in_page_get_email (self->sign_in_page)));
  gboolean resume = self->session_expired && g_strcmp0 (self->email, email) == 0;

  g_free (self->email);
  self->email = g_steal_pointer (&email);
  remember_server (self, server, self->email);
  store_token (self);
  self->session_expired = FALSE;

  if (!resume)
    {
      eva_event_editor_set_event (self->editor, NULL);
      _eva_window_load_event_views (self, NULL);
      gtk_stack_set_visible_child_name (self->content_stack, "empty");
    }
  eva_window_show_events (self);
}

static void
tokens_changed_cb (EvaWindow *self)
{
  /* Refresh tokens rotate: keep the newest. */
  if (eva_api_client_get_refresh_token (self->client) != NULL &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "sign-in") != 0)
    store_token (self);
}

static void
session_expired_cb (EvaWindow *self)
{
  self->session_expired = TRUE;
  eva_sign_in_page_set_server (self->sign_in_page, eva_api_client_get_base_url (self->client));
  eva_sign_in_page_set_email (self->sign_in_page, self->email);
  eva_sign_in_page_set_message (self->sign_in_page,
                                eva_event_editor_get_dirty (self->editor)
                                ? _("Your session has expired. Sign in again to save your changes.")
                                : _("Your session has expired. Sign in again to continue."));
  eva_window_show_sign_in (self);
}

static void
me_changed_cb (EvaWindow *self)
{
  /* Door staff see the check-in lists; organizers edit them. */
  eva_checkin_lists_view_set_editable (self->checkin_lists_view,
                                       eva_api_client_get_me (self->client) == NULL ||
                                       eva_api_client_can_organize (self->client));
  _eva_window_update_actions (self);
}

/* Organizers go back to their events; door staff have nowhere else to
 * go, so leaving door mode signs them out. */
static void
door_left_cb (EvaWindow *self)
{
  if (eva_api_client_can_organize (self->client))
    eva_window_show_events (self);
  else
    g_action_group_activate_action (G_ACTION_GROUP (self), "sign-out", NULL);
}

static void
back_clicked_cb (EvaWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
folded_changed_cb (EvaWindow *self)
{
  /* Unfolded with nothing chosen: nothing to come back to. */
  if (adw_leaflet_get_folded (self->leaflet) && !_eva_window_showing_event (self))
    adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
resumed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EvaWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!eva_api_client_refresh_finish (EVA_API_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (!g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_SESSION_EXPIRED))
        eva_sign_in_page_set_message (self->sign_in_page, error->message);
      eva_window_show_sign_in (self);
      return;
    }
  self->session_expired = FALSE;
  eva_window_show_events (self);
}

static void
token_found_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EvaWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = eva_keyring_lookup_finish (result, &error);
  g_autofree char *server = g_settings_get_string (self->settings, "last-server");

  if (token == NULL || !eva_api_client_set_base_url (self->client, server, NULL))
    {
      if (error != NULL)
        g_debug ("%s", error->message);
      eva_window_show_sign_in (self);
      return;
    }
  eva_api_client_set_refresh_token (self->client, token);
  eva_api_client_refresh_async (self->client, self->cancellable, resumed_cb, g_object_ref (self));
}

/* Resumes the last sign-in from the keyring, or asks for one. */
static void
start (EvaWindow *self)
{
  g_auto(GStrv) servers = g_settings_get_strv (self->settings, "servers");
  g_autofree char *server = g_settings_get_string (self->settings, "last-server");
  g_autofree char *email = g_settings_get_string (self->settings, "last-email");

  eva_sign_in_page_set_servers (self->sign_in_page, (const char * const *) servers);
  eva_sign_in_page_set_server (self->sign_in_page, server);
  eva_sign_in_page_set_email (self->sign_in_page, email);

  if (*server == '\0' || *email == '\0')
    {
      eva_window_show_sign_in (self);
      return;
    }
  g_free (self->email);
  self->email = g_strdup (email);
  gtk_stack_set_visible_child_name (self->main_stack, "starting");
  eva_keyring_lookup_async (server, email, self->cancellable, token_found_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* GtkWindow                                                          */
/* ------------------------------------------------------------------ */

static gboolean
eva_window_close_request (GtkWindow *window)
{
  EvaWindow *self = EVA_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (eva_window_parent_class)->close_request (window);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_window_dispose (GObject *object)
{
  EvaWindow *self = EVA_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (eva_window_parent_class)->dispose (object);
}

static void
eva_window_finalize (GObject *object)
{
  EvaWindow *self = EVA_WINDOW (object);

  g_free (self->email);

  G_OBJECT_CLASS (eva_window_parent_class)->finalize (object);
}

static void
eva_window_class_init (EvaWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = eva_window_dispose;
  object_class->finalize = eva_window_finalize;
  window_class->close_request = eva_window_close_request;

  g_type_ensure (EVA_TYPE_OVERVIEW_PAGE);
  g_type_ensure (EVA_TYPE_SIGN_IN_PAGE);
  g_type_ensure (EVA_TYPE_EVENTS_VIEW);
  g_type_ensure (EVA_TYPE_EVENT_EDITOR);
  g_type_ensure (EVA_TYPE_TICKET_TYPES_VIEW);
  g_type_ensure (EVA_TYPE_CHECKIN_LISTS_VIEW);
  g_type_ensure (EVA_TYPE_COUPONS_VIEW);
  g_type_ensure (EVA_TYPE_BOOKINGS_VIEW);
  g_type_ensure (EVA_TYPE_DOOR_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, events_view);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, content);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, event_menu_button);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, save_button);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, event_stack);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, editor);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, tickets_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, checkin_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, coupons_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, overview_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, overview);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, bookings_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, ticket_types_view);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, checkin_lists_view);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, coupons_view);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, bookings_view);
  gtk_widget_class_bind_template_child (widget_class, EvaWindow, door_page);
  gtk_widget_class_bind_template_callback (widget_class, signed_in_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "event_activated_cb",
                                                G_CALLBACK (_eva_window_event_activated_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "event_saved_cb",
                                                G_CALLBACK (_eva_window_event_saved_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "update_actions",
                                                G_CALLBACK (_eva_window_update_actions));
  gtk_widget_class_bind_template_callback (widget_class, update_save_button);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, door_left_cb);
  gtk_widget_class_bind_template_callback (widget_class, folded_changed_cb);

  gtk_widget_class_install_action (widget_class, EVA_ACTION_SET_OFFLINE, "s",
                                   set_offline_activated);
}

static void
eva_window_init (EvaWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  if (g_str_equal (PROFILE, "development"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new_with_path (SETTINGS_SCHEMA, SETTINGS_PATH);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  _eva_window_add_event_actions (self);

  self->client = eva_api_client_new (NULL);
  g_signal_connect_swapped (self->client, "tokens-changed", G_CALLBACK (tokens_changed_cb), self);
  g_signal_connect_swapped (self->client, "session-expired", G_CALLBACK (session_expired_cb), self);
  g_signal_connect_swapped (self->client, "notify::me", G_CALLBACK (me_changed_cb), self);

  eva_sign_in_page_set_client (self->sign_in_page, self->client);
  eva_events_view_set_client (self->events_view, self->client);
  eva_events_view_bind_settings (self->events_view, self->settings);
  eva_event_editor_set_client (self->editor, self->client);
  eva_ticket_types_view_set_client (self->ticket_types_view, self->client);
  eva_checkin_lists_view_set_client (self->checkin_lists_view, self->client);
  eva_coupons_view_set_client (self->coupons_view, self->client);
  eva_overview_page_set_client (self->overview, self->client);
  eva_bookings_view_set_client (self->bookings_view, self->client);
  eva_door_page_set_client (self->door_page, self->client);

  _eva_window_update_actions (self);
  start (self);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaWindow *
eva_window_new (GtkApplication *application)
{
  return g_object_new (EVA_TYPE_WINDOW, "application", application, NULL);
}

/**
 * eva_window_get_client:
 *
 * Returns: (transfer none): the window's API client
 */
EvaApiClient *
eva_window_get_client (EvaWindow *self)
{
  g_return_val_if_fail (EVA_IS_WINDOW (self), NULL);
  return self->client;
}

/* Shows the banner: the server does not answer. Retry (win.refresh)
 * hides it and tries again. */
void
eva_window_set_offline (EvaWindow  *self,
                        const char *message)
{
  g_return_if_fail (EVA_IS_WINDOW (self));

  if (message != NULL)
    gtk_label_set_label (self->offline_label, message);
  gtk_revealer_set_reveal_child (self->offline_revealer, message != NULL);
}

void
eva_window_show_sign_in (EvaWindow *self)
{
  g_return_if_fail (EVA_IS_WINDOW (self));

  gtk_revealer_set_reveal_child (self->offline_revealer, FALSE);
  eva_door_page_stop (self->door_page);
  gtk_stack_set_visible_child_name (self->main_stack, "sign-in");
  eva_sign_in_page_focus (self->sign_in_page);
  _eva_window_update_actions (self);
}

void
eva_window_show_events (EvaWindow *self)
{
  g_return_if_fail (EVA_IS_WINDOW (self));

  /* Door staff land in door mode: the events are the organizers'. */
  if (eva_api_client_get_me (self->client) != NULL && !eva_api_client_can_organize (self->client))
    {
      eva_window_show_door (self, NULL);
      return;
    }
  eva_door_page_stop (self->door_page);
  gtk_stack_set_visible_child_name (self->main_stack, "events");
  eva_events_view_reload (self->events_view);
  _eva_window_update_actions (self);
}

/* Door mode: the choice of event (@event first, if given) and list, then
 * the scanner. */
void
eva_window_show_door (EvaWindow *self,
                      EvaRecord *event)
{
  g_return_if_fail (EVA_IS_WINDOW (self));

  gtk_revealer_set_reveal_child (self->offline_revealer, FALSE);
  gtk_stack_set_visible_child_name (self->main_stack, "door");
  eva_door_page_open (self->door_page, event);
  _eva_window_update_actions (self);
}

/* For tests and screenshots: "sign-in", "events-view", "editor",
 * "ticket-types", "checkin-lists", "coupons", "bookings", "event-stack",
 * "door", "offline-banner". */
GtkWidget *
eva_window_get_page (EvaWindow  *self,
                     const char *name)
{
  g_return_val_if_fail (EVA_IS_WINDOW (self), NULL);

  if (g_str_equal (name, "sign-in"))
    return GTK_WIDGET (self->sign_in_page);
  if (g_str_equal (name, "events-view"))
    return GTK_WIDGET (self->events_view);
  if (g_str_equal (name, "editor"))
    return GTK_WIDGET (self->editor);
  if (g_str_equal (name, "ticket-types"))
    return GTK_WIDGET (self->ticket_types_view);
  if (g_str_equal (name, "event-stack"))
    return GTK_WIDGET (self->event_stack);
  if (g_str_equal (name, "checkin-lists"))
    return GTK_WIDGET (self->checkin_lists_view);
  if (g_str_equal (name, "coupons"))
    return GTK_WIDGET (self->coupons_view);
  if (g_str_equal (name, "overview"))
    return GTK_WIDGET (self->overview);
  if (g_str_equal (name, "bookings"))
    return GTK_WIDGET (self->bookings_view);
  if (g_str_equal (name, "door"))
    return GTK_WIDGET (self->door_page);
  if (g_str_equal (name, "offline-banner"))
    return GTK_WIDGET (self->offline_revealer);
  return NULL;
}
