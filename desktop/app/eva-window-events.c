/* eva-window-events.c: what the main window does with events
 *
 * Opening one (after asking before unsaved edits are dropped), creating
 * one, saving the editor, reading the open event again on Refresh, and
 * its life cycle: publish, cancel, archive and delete a draft, each after
 * a confirmation. The window's actions of these are added here
 * (win.new-event, win.save, win.publish, win.cancel-event, win.archive,
 * win.delete-event, win.refund-all); eva-window.c has the rest of the
 * window. Cancelling an event offers to refund its paid bookings
 * (EvaRefundAllDialog), which the event menu also offers later.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "app/eva-window-private.h"
#include "bookings/eva-refund-all-dialog.h"
#include "widgets/eva-utils.h"

/* ------------------------------------------------------------------ */
/* Life cycle actions                                                 */
/* ------------------------------------------------------------------ */

static void offer_refund_all (EvaWindow *self);

static void
transitioned_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EvaWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) event = NULL;
  EvaRecord *current = eva_event_editor_get_event (self->editor);

  event = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);
  if (event == NULL)
    {
      const char *code = eva_api_error_get_code (error);

      if (g_strcmp0 (code, "event_incomplete") == 0)
        {
          const char *missing = eva_api_error_get_field_message (error, "ticket_types");

          adw_toast_overlay_add_toast (self->toast_overlay,
                                       adw_toast_new (missing != NULL
                                                      ? _("Add a ticket type before publishing")
                                                      : _("Set the event’s currency before publishing priced tickets")));
        }
      else
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }

  if (current != NULL && g_strcmp0 (eva_record_get_id (current), eva_record_get_id (event)) == 0)
    {
      eva_record_set_object (current, eva_record_get_object (event));
      eva_event_editor_set_event (self->editor, current);
      eva_event_list_update (eva_events_view_get_list (self->events_view), current);
    }
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (g_strcmp0 (eva_record_get_string (event, "status"), "published") == 0
                                              ? _("Event published")
                                              : g_strcmp0 (eva_record_get_string (event, "status"), "cancelled") == 0
                                              ? _("Event cancelled") : _("Event archived")));
  _eva_window_update_actions (self);
  if (g_strcmp0 (g_object_get_data (G_OBJECT (self), "transition"), "cancel") == 0 &&
      g_strcmp0 (eva_record_get_string (event, "status"), "cancelled") == 0 &&
      current != NULL && g_strcmp0 (eva_record_get_id (current), eva_record_get_id (event)) == 0)
    offer_refund_all (self);
}

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EvaWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup (g_object_get_data (G_OBJECT (self), "deleting"));

  if (!eva_api_client_empty_finish (EVA_API_CLIENT (source), result, &error))
    {
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  eva_event_list_remove (eva_events_view_get_list (self->events_view), id);
  eva_event_editor_set_event (self->editor, NULL);
  _eva_window_load_event_views (self, NULL);
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Draft deleted")));
  _eva_window_update_actions (self);
}

static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);
  EvaRecord *event = eva_event_editor_get_event (self->editor);
  const char *what = g_object_get_data (G_OBJECT (dialog), "what");

  if (event == NULL || response == NULL || g_strcmp0 (response, what) != 0)
    return;

  if (g_str_equal (what, "delete"))
    {
      g_object_set_data_full (G_OBJECT (self), "deleting", g_strdup (eva_record_get_id (event)), g_free);
      eva_api_client_delete_event_async (self->client, eva_record_get_id (event), self->cancellable,
                                         deleted_cb, g_object_ref (self));
      return;
    }

  g_object_set_data_full (G_OBJECT (self), "transition", g_strdup (what), g_free);
  eva_api_client_transition_event_async (self->client, eva_record_get_id (event),
                                         g_str_equal (what, "publish") ? EVA_EVENT_PUBLISH
                                         : g_str_equal (what, "cancel") ? EVA_EVENT_CANCEL
                                         : EVA_EVENT_ARCHIVE,
                                         self->cancellable, transitioned_cb, g_object_ref (self));
}

static const char *
event_title (EvaWindow *self)
{
  EvaRecord *event = eva_event_editor_get_event (self->editor);

  return event != NULL ? eva_record_get_string (event, "title") : "";
}

static void
confirm (EvaWindow              *self,
         const char             *what,
         char                   *title,  /* taken */
         const char             *body,
         const char             *verb,
         AdwResponseAppearance   appearance)
{
  EvaRecord *event = eva_event_editor_get_event (self->editor);
  g_autofree char *heading = title;
  GtkWidget *dialog;

  if (event == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep As It Is"),
                                    what, verb,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), what, appearance);
  /* "keep", not "cancel": that is the response of cancelling the event */
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_object_set_data_full (G_OBJECT (dialog), "what", g_strdup (what), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
publish_activated (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  /* Translators: %s is the event's title */
  confirm (EVA_WINDOW (user_data), "publish", g_strdup_printf (_("Publish “%s”?"), event_title (EVA_WINDOW (user_data))),
           _("The event appears on the web site and its tickets go on sale."),
           _("_Publish"), ADW_RESPONSE_SUGGESTED);
}

static void
cancel_event_activated (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  /* Translators: %s is the event's title */
  confirm (EVA_WINDOW (user_data), "cancel", g_strdup_printf (_("Cancel “%s”?"), event_title (EVA_WINDOW (user_data))),
           _("Ticket sales stop at once and the event can no longer be edited. This cannot be undone."),
           _("_Cancel Event"), ADW_RESPONSE_DESTRUCTIVE);
}

static void
archive_activated (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  /* Translators: %s is the event's title */
  confirm (EVA_WINDOW (user_data), "archive", g_strdup_printf (_("Archive “%s”?"), event_title (EVA_WINDOW (user_data))),
           _("The event is put away and can no longer be edited. This cannot be undone."),
           _("_Archive"), ADW_RESPONSE_DEFAULT);
}

static void
refund_all_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        EvaWindow        *self)
{
  if (g_strcmp0 (response, "refund-all") == 0)
    eva_window_refund_all (self);
}

/* After a cancel: the paid bookings' money can go back at once. */
static void
offer_refund_all (EvaWindow *self)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Refund All Paid Bookings?"),
                                   _("Card payments go back through the payment provider. Money paid by "
                                     "transfer or at the door is recorded as still to pay back. "
                                     "This can also be done later from the event menu."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "later", _("_Not Now"),
                                    "refund-all", _("_Refund All"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "refund-all",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "later");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "later");
  g_signal_connect_object (dialog, "response", G_CALLBACK (refund_all_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
refund_all_activated (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  eva_window_refund_all (EVA_WINDOW (user_data));
}

static void
delete_event_activated (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  /* Translators: %s is the event's title */
  confirm (EVA_WINDOW (user_data), "delete", g_strdup_printf (_("Delete “%s”?"), event_title (EVA_WINDOW (user_data))),
           _("The draft and its ticket types are deleted for good."),
           _("_Delete"), ADW_RESPONSE_DESTRUCTIVE);
}

/* ------------------------------------------------------------------ */
/* Editing actions                                                    */
/* ------------------------------------------------------------------ */

static void
new_event_activated (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  eva_window_new_event (EVA_WINDOW (user_data));
}

static void
save_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);

  adw_view_stack_set_visible_child_name (self->event_stack, "details");
  eva_event_editor_save (self->editor);
}

static void
event_reloaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(EvaWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) event = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);
  EvaRecord *current = eva_event_editor_get_event (self->editor);

  if (event == NULL)
    {
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  if (current == NULL || eva_event_editor_get_dirty (self->editor) ||
      g_strcmp0 (eva_record_get_id (current), eva_record_get_id (event)) != 0)
    return;
  eva_record_set_object (current, eva_record_get_object (event));
  eva_event_editor_set_event (self->editor, current);
  _eva_window_update_actions (self);
}

static const GActionEntry event_actions[] = {
  { "new-event", new_event_activated },
  { "save", save_activated },
  { "publish", publish_activated },
  { "cancel-event", cancel_event_activated },
  { "archive", archive_activated },
  { "delete-event", delete_event_activated },
  { "refund-all", refund_all_activated },
};

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

void
_eva_window_add_event_actions (EvaWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), event_actions, G_N_ELEMENTS (event_actions),
                                   self);
}

/* Reads the open event again; unsaved edits win over what comes. */
void
_eva_window_reload_event (EvaWindow *self)
{
  EvaRecord *event = eva_event_editor_get_event (self->editor);

  if (event == NULL)
    return;
  eva_api_client_get_event_async (self->client, eva_record_get_id (event), self->cancellable,
                                  event_reloaded_cb, g_object_ref (self));
  _eva_window_load_event_views (self, event);
}

void
_eva_window_event_activated_cb (EvaWindow *self,
                                EvaRecord *event)
{
  eva_window_open_event (self, event);
}

void
_eva_window_event_saved_cb (EvaWindow *self,
                            EvaRecord *event,
                            gboolean   created)
{
  eva_event_list_update (eva_events_view_get_list (self->events_view), event);
  if (created)
    {
      eva_events_view_select (self->events_view, eva_record_get_id (event));
      _eva_window_load_event_views (self, event);
    }
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (created ? _("Event created") : _("Changes saved")));
  _eva_window_update_actions (self);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

static void
discard_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  EvaWindow *self = EVA_WINDOW (user_data);
  EvaRecord *event = g_object_get_data (G_OBJECT (dialog), "event");

  if (g_strcmp0 (response, "discard") != 0)
    {
      EvaRecord *current = eva_event_editor_get_event (self->editor);

      /* Keep editing: the list points at the event being edited again. */
      if (current != NULL)
        eva_events_view_select (self->events_view, eva_record_get_id (current));
      else
        eva_events_view_unselect (self->events_view);
      return;
    }
  eva_event_editor_set_event (self->editor, NULL);
  if (event != NULL)
    eva_window_open_event (self, event);
  else
    eva_window_new_event (self);
}

/* Asks before dropping unsaved edits; TRUE when it is fine to go on. */
static gboolean
may_leave_editor (EvaWindow *self,
                  EvaRecord *next)
{
  GtkWidget *dialog;

  if (!eva_event_editor_get_dirty (self->editor))
    return TRUE;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Discard Changes?"),
                                   _("The changes to this event have not been saved."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Keep Editing"),
                                    "discard", _("_Discard"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  if (next != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "event", g_object_ref (next), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return FALSE;
}

void
eva_window_open_event (EvaWindow *self,
                       EvaRecord *event)
{
  EvaRecord *current;

  g_return_if_fail (EVA_IS_WINDOW (self));
  g_return_if_fail (EVA_IS_RECORD (event));

  current = eva_event_editor_get_event (self->editor);
  if (current == event && _eva_window_showing_event (self))
    {
      _eva_window_show_content (self);
      return;
    }
  if (!may_leave_editor (self, event))
    return;

  eva_event_editor_set_event (self->editor, event);
  eva_events_view_select (self->events_view, eva_record_get_id (event));
  _eva_window_load_event_views (self, event);
  _eva_window_show_content (self);
  _eva_window_update_actions (self);
}

void
eva_window_new_event (EvaWindow *self)
{
  g_return_if_fail (EVA_IS_WINDOW (self));

  if (!may_leave_editor (self, NULL))
    return;
  eva_events_view_unselect (self->events_view);
  eva_event_editor_new_event (self->editor);
  _eva_window_load_event_views (self, NULL);
  adw_view_stack_set_visible_child_name (self->event_stack, "details");
  _eva_window_show_content (self);
  _eva_window_update_actions (self);
  gtk_widget_grab_focus (eva_event_editor_get_field_row (self->editor, "title"));
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_window_refund_all:
 *
 * Refunds every paid booking of the open event, in a dialog that shows
 * the progress and the report.
 *
 * Returns: (transfer none) (nullable): the dialog
 */
GtkWindow *
eva_window_refund_all (EvaWindow *self)
{
  EvaRecord *event;
  GtkWindow *dialog;

  g_return_val_if_fail (EVA_IS_WINDOW (self), NULL);

  event = eva_event_editor_get_event (self->editor);
  if (event == NULL)
    return NULL;
  dialog = eva_refund_all_dialog_new (GTK_WINDOW (self), self->client, event);
  /* The bookings page shows the refunds once they are done. */
  g_signal_connect_object (dialog, "notify::running", G_CALLBACK (eva_bookings_view_reload),
                           self->bookings_view, G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
  eva_refund_all_dialog_start (EVA_REFUND_ALL_DIALOG (dialog));
  return dialog;
}
