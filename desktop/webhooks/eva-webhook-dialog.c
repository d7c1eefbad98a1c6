/* eva-webhook-dialog.c: add or edit one outgoing webhook endpoint
 *
 * An endpoint is a URL, the event types it is sent (at least one), an
 * optional description and, once it exists, whether it is enabled: the
 * server disables an endpoint that kept failing, and says why. The URL is
 * checked here as the server checks its form (http or https, a host, no
 * user name or fragment); what only the server can tell (a private
 * address) comes back and lands at the URL row. "saved" hands over the
 * endpoint as the server answered, which after a create holds its signing
 * secret, once; "deleted" follows a confirmed delete.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-webhook-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "webhooks/eva-webhook-dialog-private.h"
#include "widgets/eva-utils.h"

/* As the server (server/services/webhooks.h). */
#define URL_MAX_CHARS         2000
#define DESCRIPTION_MAX_CHARS 500

struct _EvaWebhookDialog
{
  AdwWindow            parent_instance;

  AdwToastOverlay     *toast_overlay;
  AdwWindowTitle      *window_title;
  GtkButton           *save_button;
  AdwPreferencesPage  *page;
  AdwEntryRow         *url_row;
  AdwEntryRow         *description_row;
  GtkLabel            *error_label;
  AdwPreferencesGroup *events_group;
  AdwPreferencesGroup *enabled_group;
  AdwActionRow        *enabled_row;
  GtkSwitch           *enabled_switch;
  AdwPreferencesGroup *delete_group;
  GtkButton           *delete_button;

  EvaApiClient        *client;
  EvaRecord           *endpoint;
  GCancellable        *cancellable;
  GHashTable          *checks;       /* event type → GtkCheckButton */
  char                *refused_url;  /* the URL the server refused … */
  char                *refusal;      /* … and why, until it is changed */
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (EvaWebhookDialog, eva_webhook_dialog, ADW_TYPE_WINDOW)

enum {
  SAVED,
  DELETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const event_types[] = {
  "booking.confirmed",
  "booking.cancelled",
  "booking.refunded",
  "payment.received",
  "ticket.reissued",
  "checkin.created",
  "event.published",
  "event.cancelled",
  NULL
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
has_event (EvaRecord  *endpoint,
           const char *type)
{
  JsonNode *node = json_object_get_member (eva_record_get_object (endpoint), "events");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), type) == 0)
      return TRUE;
  return FALSE;
}

static guint
count_checked (EvaWebhookDialog *self)
{
  guint n = 0;

  for (guint i = 0; event_types[i] != NULL; i++)
    n += gtk_check_button_get_active (g_hash_table_lookup (self->checks, event_types[i]));
  return n;
}

static void
set_busy (EvaWebhookDialog *self,
          gboolean          busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), !busy);
  if (busy)
    gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  else
    eva_webhook_dialog_validate (self);
}

static GtkWidget *
field_row (EvaWebhookDialog *self,
           const char       *field)
{
  if (g_strcmp0 (field, "url") == 0) return GTK_WIDGET (self->url_row);
  if (g_strcmp0 (field, "description") == 0) return GTK_WIDGET (self->description_row);
  if (g_strcmp0 (field, "enabled") == 0) return GTK_WIDGET (self->enabled_row);
  return NULL;
}

static void
show_error (EvaWebhookDialog *self,
            const GError     *error)
{
  const char *url_message = eva_api_error_get_field_message (error, "url");

  if (url_message != NULL)
    {
      g_free (self->refused_url);
      self->refused_url = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row)));
      g_free (self->refusal);
      /* Translators: %s is the server's reason, e.g. "must not point to this machine" */
      self->refusal = g_strdup_printf (_("The URL %s"), url_message);
    }
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_INVALID) &&
      eva_rows_set_field_errors (error, (EvaFieldRowFunc) field_row, self))
    {
      eva_webhook_dialog_validate (self);
      return;
    }
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND))
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("This endpoint was deleted meanwhile")));
      return;
    }
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
changed_cb (EvaWebhookDialog *self)
{
  eva_webhook_dialog_validate (self);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EvaWebhookDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) endpoint = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (endpoint == NULL)
    {
      show_error (self, error);
      return;
    }
  g_signal_emit (self, signals[SAVED], 0, endpoint);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_clicked_cb (EvaWebhookDialog *self)
{
  g_autoptr(JsonObject) fields = NULL;

  if (self->busy || !eva_webhook_dialog_validate (self))
    return;
  fields = eva_webhook_dialog_get_fields (self);
  set_busy (self, TRUE);
  if (self->endpoint == NULL)
    eva_api_client_create_webhook_async (self->client, fields, self->cancellable, saved_cb,
                                         g_object_ref (self));
  else
    eva_api_client_update_webhook_async (self->client, eva_record_get_id (self->endpoint), fields,
                                         self->cancellable, saved_cb, g_object_ref (self));
}

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EvaWebhookDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!eva_api_client_empty_finish (EVA_API_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      /* Gone already: what was asked for. */
      if (!g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND))
        {
          show_error (self, error);
          return;
        }
    }
  g_signal_emit (self, signals[DELETED], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
delete_response_cb (AdwMessageDialog *confirm,
                    const char       *response,
                    EvaWebhookDialog *self)
{
  if (g_strcmp0 (response, "delete") != 0)
    return;
  set_busy (self, TRUE);
  eva_api_client_delete_webhook_async (self->client, eva_record_get_id (self->endpoint),
                                       self->cancellable, deleted_cb, g_object_ref (self));
}

static void
delete_clicked_cb (EvaWebhookDialog *self)
{
  GtkWidget *confirm = adw_message_dialog_new (GTK_WINDOW (self), _("Delete Endpoint?"), NULL);

  /* Translators: %s is a URL */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (confirm),
                                  _("Events will no longer be sent to %s, and its delivery log is "
                                    "deleted. This cannot be undone."),
                                  eva_record_get_string (self->endpoint, "url"));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (confirm),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (confirm), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (confirm), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (confirm), "cancel");
  g_signal_connect_object (confirm, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (confirm));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

/* While a request is out the dialog stays: a create that the server did
 * would otherwise have its secret, shown only in the answer, thrown away. */
static gboolean
eva_webhook_dialog_close_request (GtkWindow *window)
{
  EvaWebhookDialog *self = EVA_WEBHOOK_DIALOG (window);
  GtkWindowClass *parent = GTK_WINDOW_CLASS (eva_webhook_dialog_parent_class);

  if (self->busy)
    return TRUE;
  return parent->close_request != NULL ? parent->close_request (window) : FALSE;
}

static void
eva_webhook_dialog_dispose (GObject *object)
{
  EvaWebhookDialog *self = EVA_WEBHOOK_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_WEBHOOK_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->endpoint);
  g_clear_pointer (&self->checks, g_hash_table_unref);
  g_clear_pointer (&self->refused_url, g_free);
  g_clear_pointer (&self->refusal, g_free);

  G_OBJECT_CLASS (eva_webhook_dialog_parent_class)->dispose (object);
}

static void
eva_webhook_dialog_class_init (EvaWebhookDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_webhook_dialog_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = eva_webhook_dialog_close_request;

  /**
   * EvaWebhookDialog::saved:
   * @endpoint: the endpoint as the server answered (after a create, with
   *   its "secret")
   */
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, EVA_TYPE_RECORD);
  /**
   * EvaWebhookDialog::deleted:
   *
   * The endpoint was deleted.
   */
  signals[DELETED] = g_signal_new ("deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-webhook-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, page);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, description_row);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, events_group);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, enabled_group);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, enabled_row);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, delete_group);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhookDialog, delete_button);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_webhook_dialog_init (EvaWebhookDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->checks = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; event_types[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_webhook_dialog_event_label (event_types[i]));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), event_types[i]);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_signal_connect_object (check, "notify::active", G_CALLBACK (changed_cb), self, G_CONNECT_SWAPPED);
      g_hash_table_insert (self->checks, (gpointer) event_types[i], check);
      adw_preferences_group_add (self->events_group, row);
    }
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_webhook_dialog_new:
 * @endpoint: (nullable): the endpoint to edit, or %NULL for a new one
 */
GtkWindow *
eva_webhook_dialog_new (GtkWindow    *parent,
                        EvaApiClient *client,
                        EvaRecord    *endpoint)
{
  EvaWebhookDialog *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (endpoint == NULL || EVA_IS_RECORD (endpoint), NULL);

  self = g_object_new (EVA_TYPE_WEBHOOK_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->endpoint = endpoint != NULL ? g_object_ref (endpoint) : NULL;
  adw_window_title_set_title (self->window_title, endpoint != NULL ? _("Edit Endpoint") : _("Add Endpoint"));
  gtk_button_set_label (self->save_button, endpoint != NULL ? _("_Save") : _("_Add"));
  gtk_widget_set_visible (GTK_WIDGET (self->enabled_group), endpoint != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_group), endpoint != NULL);

  if (endpoint != NULL)
    {
      const char *reason = eva_record_get_string (endpoint, "disabled_reason");

      gtk_editable_set_text (GTK_EDITABLE (self->url_row), eva_record_get_string (endpoint, "url") ?: "");
      gtk_editable_set_text (GTK_EDITABLE (self->description_row),
                             eva_record_get_string (endpoint, "description") ?: "");
      for (guint i = 0; event_types[i] != NULL; i++)
        gtk_check_button_set_active (g_hash_table_lookup (self->checks, event_types[i]),
                                     has_event (endpoint, event_types[i]));
      gtk_switch_set_active (self->enabled_switch, eva_record_get_boolean (endpoint, "enabled"));
      if (!eva_record_get_boolean (endpoint, "enabled") && reason != NULL && *reason != '\0')
        {
          /* Translators: %s is the server's reason, e.g. "disabled by an organizer" */
          g_autofree char *subtitle = g_strdup_printf (_("Disabled: %s"), reason);

          adw_action_row_set_subtitle (self->enabled_row, subtitle);
        }
      else
        adw_action_row_set_subtitle (self->enabled_row, _("Sends events as they happen"));
    }
  else
    {
      /* The common start: bookings as they are confirmed. */
      gtk_check_button_set_active (g_hash_table_lookup (self->checks, "booking.confirmed"), TRUE);
    }
  eva_webhook_dialog_validate (self);
  return GTK_WINDOW (self);
}

gboolean
eva_webhook_dialog_validate (EvaWebhookDialog *self)
{
  const char *url;
  const char *description;
  g_autofree char *problem = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (EVA_IS_WEBHOOK_DIALOG (self), FALSE);

  url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  problem = eva_webhook_dialog_url_problem (url);
  /* What the server said of this very URL stays until it is changed. */
  if (problem == NULL && self->refusal != NULL && g_strcmp0 (url, self->refused_url) == 0)
    problem = g_strdup (self->refusal);
  ok = problem == NULL;
  eva_row_set_error (GTK_WIDGET (self->url_row), *url != '\0' ? problem : NULL);
  gtk_label_set_label (self->error_label, problem);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), *url != '\0' && problem != NULL);

  description = gtk_editable_get_text (GTK_EDITABLE (self->description_row));
  if (g_utf8_strlen (description, -1) > DESCRIPTION_MAX_CHARS)
    {
      eva_row_set_error (GTK_WIDGET (self->description_row), _("At most 500 characters"));
      ok = FALSE;
    }
  else
    eva_row_set_error (GTK_WIDGET (self->description_row), NULL);

  /* The group says "Choose at least one". */
  if (count_checked (self) == 0)
    ok = FALSE;

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), ok && !self->busy);
  return ok;
}

/**
 * eva_webhook_dialog_get_fields:
 *
 * Returns: (transfer full): the request body
 */
JsonObject *
eva_webhook_dialog_get_fields (EvaWebhookDialog *self)
{
  JsonObject *fields;
  JsonArray *events;

  g_return_val_if_fail (EVA_IS_WEBHOOK_DIALOG (self), NULL);

  fields = json_object_new ();
  events = json_array_new ();
  json_object_set_string_member (fields, "url", gtk_editable_get_text (GTK_EDITABLE (self->url_row)));
  json_object_set_string_member (fields, "description",
                                 gtk_editable_get_text (GTK_EDITABLE (self->description_row)));
  for (guint i = 0; event_types[i] != NULL; i++)
    if (gtk_check_button_get_active (g_hash_table_lookup (self->checks, event_types[i])))
      json_array_add_string_element (events, event_types[i]);
  json_object_set_array_member (fields, "events", events);
  if (self->endpoint != NULL)
    json_object_set_boolean_member (fields, "enabled", gtk_switch_get_active (self->enabled_switch));
  return fields;
}

const char * const *
eva_webhook_dialog_event_types (void)
{
  return event_types;
}

const char *
eva_webhook_dialog_event_label (const char *type)
{
  if (g_strcmp0 (type, "booking.confirmed") == 0)
    return _("Booking confirmed");
  if (g_strcmp0 (type, "booking.cancelled") == 0)
    return _("Booking cancelled");
  if (g_strcmp0 (type, "booking.refunded") == 0)
    return _("Booking refunded");
  if (g_strcmp0 (type, "payment.received") == 0)
    return _("Payment received");
  if (g_strcmp0 (type, "ticket.reissued") == 0)
    return _("Ticket reissued");
  if (g_strcmp0 (type, "checkin.created") == 0)
    return _("Ticket checked in");
  if (g_strcmp0 (type, "event.published") == 0)
    return _("Event published");
  if (g_strcmp0 (type, "event.cancelled") == 0)
    return _("Event cancelled");
  if (g_strcmp0 (type, "webhook.test") == 0)
    return _("Test event");
  return type != NULL ? type : "";
}

/**
 * eva_webhook_dialog_url_problem:
 *
 * Returns: (transfer full) (nullable): what is wrong with @url as the
 *   address of an endpoint, or %NULL. The server may refuse more (an
 *   address of its own network).
 */
char *
eva_webhook_dialog_url_problem (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  g_return_val_if_fail (url != NULL, NULL);

  if (*url == '\0')
    return g_strdup (_("Enter the URL of the receiver"));
  if (strlen (url) > URL_MAX_CHARS)
    return g_strdup (_("At most 2000 characters"));
  for (const char *p = url; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f)
      return g_strdup (_("Must not contain spaces or non-ASCII characters"));
  if (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    return g_strdup (_("Must start with http:// or https://"));
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host == NULL || *host == '\0')
    return g_strdup (_("Enter a URL such as https://example.com/hooks"));
  if (g_uri_get_userinfo (uri) != NULL)
    return g_strdup (_("Must not contain a user name or password"));
  if (g_uri_get_fragment (uri) != NULL)
    return g_strdup (_("Must not contain a fragment (#…)"));
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

GtkWidget *
_eva_webhook_dialog_get_widget (EvaWebhookDialog *self,
                                const char       *name)
{
  g_return_val_if_fail (EVA_IS_WEBHOOK_DIALOG (self), NULL);

  if (g_strcmp0 (name, "url") == 0) return GTK_WIDGET (self->url_row);
  if (g_strcmp0 (name, "description") == 0) return GTK_WIDGET (self->description_row);
  if (g_strcmp0 (name, "error") == 0) return GTK_WIDGET (self->error_label);
  if (g_strcmp0 (name, "enabled") == 0) return GTK_WIDGET (self->enabled_switch);
  if (g_strcmp0 (name, "save") == 0) return GTK_WIDGET (self->save_button);
  if (g_strcmp0 (name, "delete") == 0) return GTK_WIDGET (self->delete_button);
  return g_hash_table_lookup (self->checks, name);
}

gboolean
_eva_webhook_dialog_get_busy (EvaWebhookDialog *self)
{
  g_return_val_if_fail (EVA_IS_WEBHOOK_DIALOG (self), FALSE);
  return self->busy;
}
