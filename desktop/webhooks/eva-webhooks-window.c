/* eva-webhooks-window.c: outgoing webhook endpoints and their delivery
 * log (organizers; docs/webhooks.md)
 *
 * The first page lists the endpoints: URL, description, the events they
 * get, whether they are enabled (or were disabled by the server after
 * failing for days) and how their last delivery went. "Add" and each
 * row's edit button open EvaWebhookDialog; after a create, the signing
 * secret is shown once. Choosing a row opens its delivery log, newest
 * first, with "Redeliver" on each delivery and "Send Test Event"; a
 * delivery just asked for is followed until it leaves "pending".
 *
 * Every call is asynchronous and cancelled when the window closes.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-webhooks-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "webhooks/eva-webhook-dialog.h"
#include "webhooks/eva-webhook-format.h"
#include "webhooks/eva-webhooks-window-private.h"
#include "widgets/eva-utils.h"

/* How often, and how many times, a delivery just sent is looked at again. */
#define FOLLOW_INTERVAL_MS 1000
#define FOLLOW_MAX         15

struct _EvaWebhooksWindow
{
  AdwWindow        parent_instance;

  AdwToastOverlay *toast_overlay;
  AdwLeaflet      *leaflet;
  GtkStack        *stack;
  AdwStatusPage   *error_page;
  GtkListBox      *list_box;
  AdwWindowTitle  *log_title;
  GtkWidget       *test_button;
  GtkStack        *log_stack;
  AdwStatusPage   *log_error_page;
  GtkListBox      *log_box;

  EvaApiClient    *client;
  GCancellable    *cancellable;       /* everything, cancelled at close */
  GCancellable    *list_cancellable;  /* the latest load of the list */
  GCancellable    *log_cancellable;   /* the latest load of the log */
  GListStore      *endpoints;
  GHashTable      *last_deliveries;   /* endpoint id → EvaRecord */
  GListStore      *deliveries;
  EvaRecord       *log_endpoint;      /* whose log is shown */
  char            *error;             /* the last error shown */
  char            *follow_id;         /* a delivery to look at again */
  guint            follow_count;
  guint            follow_source;
};

G_DEFINE_FINAL_TYPE (EvaWebhooksWindow, eva_webhooks_window, ADW_TYPE_WINDOW)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
show_message (EvaWebhooksWindow *self,
              const char        *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static const char *
describe_error (const GError *error)
{
  const char *code = eva_api_error_get_code (error);

  if (g_strcmp0 (code, "webhook_disabled") == 0)
    return _("This endpoint is disabled: enable it to send it events");
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_FORBIDDEN))
    return _("Only organizers manage webhooks");
  return error->message;
}

static GCancellable *
restart (GCancellable **cancellable)
{
  if (*cancellable != NULL)
    g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
  *cancellable = g_cancellable_new ();
  return *cancellable;
}

static void
update_log_header (EvaWebhooksWindow *self)
{
  gboolean enabled;

  if (self->log_endpoint == NULL)
    return;
  enabled = eva_record_get_boolean (self->log_endpoint, "enabled");
  adw_window_title_set_subtitle (self->log_title, eva_record_get_string (self->log_endpoint, "url"));
  gtk_widget_set_sensitive (self->test_button, enabled);
  gtk_widget_set_tooltip_text (self->test_button,
                               enabled ? _("Send a test event to this endpoint only")
                                       : _("Enable this endpoint to send it a test event"));
}

static EvaRecord *
find_endpoint (EvaWebhooksWindow *self,
               const char        *id)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->endpoints)); i++)
    {
      g_autoptr(EvaRecord) endpoint = g_list_model_get_item (G_LIST_MODEL (self->endpoints), i);

      if (g_strcmp0 (eva_record_get_id (endpoint), id) == 0)
        return endpoint;
    }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The endpoints                                                      */
/* ------------------------------------------------------------------ */

static void
edit_clicked_cb (GtkButton         *button,
                 EvaWebhooksWindow *self)
{
  eva_webhooks_window_edit (self, g_object_get_data (G_OBJECT (button), "endpoint"));
}

static GtkWidget *
create_endpoint_row_cb (gpointer item,
                        gpointer user_data)
{
  EvaWebhooksWindow *self = user_data;
  EvaRecord *endpoint = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *pill;
  GtkWidget *edit = gtk_button_new_from_icon_name ("document-edit-symbolic");
  const char *description = eva_record_get_string (endpoint, "description");
  g_autofree char *events = eva_webhook_describe_events (endpoint);
  g_autofree char *last = eva_webhook_describe_last_delivery (g_hash_table_lookup (self->last_deliveries,
                                                                       eva_record_get_id (endpoint)));
  g_autofree char *subtitle = NULL;

  if (description != NULL && *description != '\0')
    subtitle = g_strjoin ("\n", description, events, last, NULL);
  else
    subtitle = g_strjoin ("\n", events, last, NULL);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_record_get_string (endpoint, "url"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);

  if (eva_record_get_boolean (endpoint, "enabled"))
    pill = eva_webhook_pill_new (_("Enabled"), "succeeded");
  else if (eva_webhook_disabled_by_failures (endpoint))
    pill = eva_webhook_pill_new (_("Disabled after failures"), "failed");
  else
    pill = eva_webhook_pill_new (_("Disabled"), "archived");
  gtk_widget_set_tooltip_text (pill, eva_record_get_string (endpoint, "disabled_reason"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), pill);

  gtk_widget_set_valign (edit, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (edit, _("Edit Endpoint"));
  gtk_widget_add_css_class (edit, "flat");
  g_object_set_data (G_OBJECT (edit), "endpoint", endpoint);
  g_signal_connect_object (edit, "clicked", G_CALLBACK (edit_clicked_cb), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), edit);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  g_object_set_data (G_OBJECT (row), "endpoint", endpoint);
  return row;
}

/* One load of the list: the endpoints, each with its newest delivery. */
typedef struct
{
  EvaWebhooksWindow *self;
  GCancellable      *cancellable;
} Load;

static void
load_free (Load *load)
{
  g_object_unref (load->self);
  g_object_unref (load->cancellable);
  g_free (load);
}

static void
show_endpoints (EvaWebhooksWindow *self,
                GPtrArray         *endpoints)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->endpoints));

  g_hash_table_remove_all (self->last_deliveries);
  for (guint i = 0; i < endpoints->len; i++)
    {
      EvaRecord *endpoint = g_ptr_array_index (endpoints, i);
      JsonObject *object = eva_record_get_object (endpoint);
      JsonNode *last = json_object_get_member (object, "last_delivery");

      if (last != NULL && JSON_NODE_HOLDS_OBJECT (last))
        g_hash_table_insert (self->last_deliveries, g_strdup (eva_record_get_id (endpoint)),
                             eva_record_new (json_node_get_object (last)));
    }
  g_list_store_splice (self->endpoints, 0, n, endpoints->pdata, endpoints->len);
  gtk_stack_set_visible_child_name (self->stack, endpoints->len > 0 ? "list" : "empty");
  /* The log's endpoint as it is now, or gone. */
  if (self->log_endpoint != NULL)
    {
      EvaRecord *now = find_endpoint (self, eva_record_get_id (self->log_endpoint));

      if (now == NULL)
        adw_leaflet_set_visible_child_name (self->leaflet, "endpoints");
      else
        g_set_object (&self->log_endpoint, now);
      update_log_header (self);
    }
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Load *load = user_data;
  EvaWebhooksWindow *self = load->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (g_cancellable_is_cancelled (load->cancellable))
    ;
  else if (items != NULL)
    show_endpoints (self, items);
  else
    {
      const char *message = describe_error (error);

      if (g_list_model_get_n_items (G_LIST_MODEL (self->endpoints)) == 0)
        {
          g_free (self->error);
          self->error = g_strdup (message);
          adw_status_page_set_description (self->error_page, message);
          gtk_stack_set_visible_child_name (self->stack, "error");
        }
      else
        show_message (self, message);
    }
  load_free (load);
}

/* ------------------------------------------------------------------ */
/* The delivery log                                                   */
/* ------------------------------------------------------------------ */

static gboolean follow_timeout_cb (gpointer user_data);

static void
redelivered_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EvaWebhooksWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) delivery = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (delivery == NULL)
    {
      show_message (self, describe_error (error));
      eva_webhooks_window_reload_deliveries (self);
      return;
    }
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Sending the delivery again")));
  g_free (self->follow_id);
  self->follow_id = g_strdup (eva_record_get_id (delivery));
  self->follow_count = 0;
  eva_webhooks_window_reload_deliveries (self);
}

static void
redeliver_clicked_cb (GtkButton         *button,
                      EvaWebhooksWindow *self)
{
  EvaRecord *delivery = g_object_get_data (G_OBJECT (button), "delivery");

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  eva_api_client_redeliver_webhook_async (self->client, eva_record_get_id (delivery), self->cancellable,
                                          redelivered_cb, g_object_ref (self));
}

static GtkWidget *
create_delivery_row_cb (gpointer item,
                        gpointer user_data)
{
  EvaWebhooksWindow *self = user_data;
  EvaRecord *delivery = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *redeliver = gtk_button_new_with_mnemonic (_("_Redeliver"));
  const char *type = eva_record_get_string (delivery, "event_type");
  const char *status = eva_record_get_string (delivery, "status");
  const char *last_error = eva_record_get_string (delivery, "last_error");
  gint64 attempts = eva_record_get_int (delivery, "attempts", 0);
  g_autofree char *created = eva_webhook_format_time (delivery, "created_at");
  g_autofree char *next = eva_webhook_format_time (delivery, "next_attempt_at");
  g_autoptr(GString) subtitle = g_string_new (NULL);

  /* Translators: an event's type and id, e.g. "booking.confirmed · 5b0e4a38-…" */
  g_string_append_printf (subtitle, _("%s · event %s"), type ?: "", eva_record_get_string (delivery, "event_id") ?: "");
  g_string_append_c (subtitle, '\n');
  /* Translators: when a delivery was created */
  g_string_append_printf (subtitle, _("Created %s"), created ?: "");
  g_string_append (subtitle, " · ");
  g_string_append_printf (subtitle, g_dngettext (GETTEXT_PACKAGE, "%d attempt", "%d attempts", attempts),
                          (int) attempts);
  if (!eva_record_is_null (delivery, "response_status"))
    {
      g_string_append (subtitle, " · ");
      /* Translators: the HTTP status code the receiver answered */
      g_string_append_printf (subtitle, _("HTTP %d"), (int) eva_record_get_int (delivery, "response_status", 0));
    }
  if (next != NULL)
    {
      g_string_append_c (subtitle, '\n');
      /* Translators: when a delivery is tried again */
      g_string_append_printf (subtitle, _("Next attempt %s"), next);
    }
  if (last_error != NULL && *last_error != '\0' && g_strcmp0 (status, "delivered") != 0)
    {
      g_string_append_c (subtitle, '\n');
      /* Translators: why the last attempt of a delivery failed */
      g_string_append_printf (subtitle, _("Error: %s"), last_error);
    }

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_webhook_dialog_event_label (type));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             eva_webhook_pill_new (eva_webhook_delivery_status_label (status), eva_webhook_delivery_status_class (status)));

  gtk_widget_set_valign (redeliver, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (redeliver, _("Send the same event again, at once"));
  /* One being sent right now is left alone (the server refuses it). */
  gtk_widget_set_sensitive (redeliver, g_strcmp0 (status, "sending") != 0);
  g_object_set_data (G_OBJECT (redeliver), "delivery", delivery);
  g_signal_connect_object (redeliver, "clicked", G_CALLBACK (redeliver_clicked_cb), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), redeliver);
  g_object_set_data (G_OBJECT (row), "delivery", delivery);
  return row;
}

/* Whether the delivery being followed is still on its way. */
static gboolean
follow_pending (EvaWebhooksWindow *self)
{
  if (self->follow_id == NULL)
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->deliveries)); i++)
    {
      g_autoptr(EvaRecord) delivery = g_list_model_get_item (G_LIST_MODEL (self->deliveries), i);
      const char *status = eva_record_get_string (delivery, "status");

      if (g_strcmp0 (eva_record_get_id (delivery), self->follow_id) == 0)
        return g_strcmp0 (status, "pending") == 0 || g_strcmp0 (status, "sending") == 0;
    }
  return FALSE;
}

static void
deliveries_listed_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(EvaWebhooksWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (items == NULL)
    {
      if (g_list_model_get_n_items (G_LIST_MODEL (self->deliveries)) == 0)
        {
          g_free (self->error);
          self->error = g_strdup (describe_error (error));
          adw_status_page_set_description (self->log_error_page, self->error);
          gtk_stack_set_visible_child_name (self->log_stack, "error");
        }
      else
        show_message (self, describe_error (error));
      return;
    }
  g_list_store_splice (self->deliveries, 0, g_list_model_get_n_items (G_LIST_MODEL (self->deliveries)),
                       items->pdata, items->len);
  gtk_stack_set_visible_child_name (self->log_stack, items->len > 0 ? "list" : "empty");

  g_clear_handle_id (&self->follow_source, g_source_remove);
  if (follow_pending (self) && self->follow_count++ < FOLLOW_MAX)
    self->follow_source = g_timeout_add (FOLLOW_INTERVAL_MS, follow_timeout_cb, self);
  else if (self->follow_id != NULL)
    {
      g_clear_pointer (&self->follow_id, g_free);
      /* The list's "last delivery" is out of date now. */
      eva_webhooks_window_reload (self);
    }
}

static gboolean
follow_timeout_cb (gpointer user_data)
{
  EvaWebhooksWindow *self = user_data;

  self->follow_source = 0;
  eva_webhooks_window_reload_deliveries (self);
  return G_SOURCE_REMOVE;
}

static void
test_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EvaWebhooksWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) delivery = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  update_log_header (self);
  if (delivery == NULL)
    {
      show_message (self, describe_error (error));
      return;
    }
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Test event sent")));
  g_free (self->follow_id);
  self->follow_id = g_strdup (eva_record_get_id (delivery));
  self->follow_count = 0;
  eva_webhooks_window_reload_deliveries (self);
}

/* ------------------------------------------------------------------ */
/* Adding and editing                                                 */
/* ------------------------------------------------------------------ */

static void
copy_clicked_cb (GtkButton *button,
                 GtkLabel  *label)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), gtk_label_get_text (label));
  gtk_button_set_label (button, _("Copied"));
}

/* The secret, once: the server never shows it again. */
static GtkWidget *
show_secret (EvaWebhooksWindow *self,
             EvaRecord         *endpoint)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Endpoint Added"), NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *label = gtk_label_new (eva_record_get_string (endpoint, "secret"));
  GtkWidget *copy = gtk_button_new_with_mnemonic (_("_Copy Secret"));

  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("The receiver checks the signature of each request with this secret. "
                                 "Copy it now and keep it like a password: you will not see it again."));
  gtk_widget_set_name (label, "secret");
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0.5);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 12);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_set_margin_top (card, 6);
  gtk_box_append (GTK_BOX (card), label);
  gtk_widget_set_name (copy, "copy");
  gtk_widget_set_halign (copy, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy, "pill");
  g_signal_connect_object (copy, "clicked", G_CALLBACK (copy_clicked_cb), label, 0);
  gtk_box_append (GTK_BOX (box), card);
  gtk_box_append (GTK_BOX (box), copy);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "done", _("I Have Copied It"));
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "done", ADW_RESPONSE_SUGGESTED);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
endpoint_saved_cb (EvaWebhookDialog  *dialog,
                   EvaRecord         *endpoint,
                   EvaWebhooksWindow *self)
{
  if (eva_record_get_string (endpoint, "secret") != NULL)
    show_secret (self, endpoint);
  else
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Endpoint saved")));
  eva_webhooks_window_reload (self);
}

static void
endpoint_deleted_cb (EvaWebhookDialog  *dialog,
                     EvaWebhooksWindow *self)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Endpoint deleted")));
  eva_webhooks_window_reload (self);
}

static GtkWindow *
open_dialog (EvaWebhooksWindow *self,
             EvaRecord         *endpoint)
{
  GtkWindow *dialog = eva_webhook_dialog_new (GTK_WINDOW (self), self->client, endpoint);

  g_signal_connect_object (dialog, "saved", G_CALLBACK (endpoint_saved_cb), self, 0);
  g_signal_connect_object (dialog, "deleted", G_CALLBACK (endpoint_deleted_cb), self, 0);
  gtk_window_present (dialog);
  return dialog;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
add_clicked_cb (EvaWebhooksWindow *self)
{
  eva_webhooks_window_add (self);
}

static void
endpoint_activated_cb (EvaWebhooksWindow *self,
                       GtkListBoxRow     *row)
{
  eva_webhooks_window_show_deliveries (self, g_object_get_data (G_OBJECT (row), "endpoint"));
}

static void
back_clicked_cb (EvaWebhooksWindow *self)
{
  adw_leaflet_set_visible_child_name (self->leaflet, "endpoints");
}

static void
page_changed_cb (EvaWebhooksWindow *self)
{
  /* Back on the list: stop following and forget the log. */
  if (g_strcmp0 (adw_leaflet_get_visible_child_name (self->leaflet), "endpoints") == 0)
    {
      g_clear_handle_id (&self->follow_source, g_source_remove);
      g_clear_pointer (&self->follow_id, g_free);
      if (self->log_cancellable != NULL)
        g_cancellable_cancel (self->log_cancellable);
      g_clear_object (&self->log_endpoint);
    }
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_webhooks_window_dispose (GObject *object)
{
  EvaWebhooksWindow *self = EVA_WEBHOOKS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->list_cancellable != NULL)
    g_cancellable_cancel (self->list_cancellable);
  if (self->log_cancellable != NULL)
    g_cancellable_cancel (self->log_cancellable);
  g_clear_handle_id (&self->follow_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_WEBHOOKS_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->log_cancellable);
  g_clear_object (&self->endpoints);
  g_clear_object (&self->deliveries);
  g_clear_object (&self->log_endpoint);
  g_clear_object (&self->client);
  g_clear_pointer (&self->last_deliveries, g_hash_table_unref);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->follow_id, g_free);

  G_OBJECT_CLASS (eva_webhooks_window_parent_class)->dispose (object);
}

static void
eva_webhooks_window_class_init (EvaWebhooksWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_webhooks_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-webhooks-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, list_box);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, log_title);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, test_button);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, log_stack);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, log_error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaWebhooksWindow, log_box);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, endpoint_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, page_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, eva_webhooks_window_reload);
  gtk_widget_class_bind_template_callback (widget_class, eva_webhooks_window_reload_deliveries);
  gtk_widget_class_bind_template_callback (widget_class, eva_webhooks_window_send_test);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_webhooks_window_init (EvaWebhooksWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->endpoints = g_list_store_new (EVA_TYPE_RECORD);
  self->deliveries = g_list_store_new (EVA_TYPE_RECORD);
  self->last_deliveries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->endpoints), create_endpoint_row_cb,
                           self, NULL);
  gtk_list_box_bind_model (self->log_box, G_LIST_MODEL (self->deliveries), create_delivery_row_cb,
                           self, NULL);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWindow *
eva_webhooks_window_new (GtkWindow    *parent,
                         EvaApiClient *client)
{
  EvaWebhooksWindow *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);

  self = g_object_new (EVA_TYPE_WEBHOOKS_WINDOW, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  eva_webhooks_window_reload (self);
  return GTK_WINDOW (self);
}

/* Reads the endpoints (and each one's last delivery) again. */
void
eva_webhooks_window_reload (EvaWebhooksWindow *self)
{
  Load *load;

  g_return_if_fail (EVA_IS_WEBHOOKS_WINDOW (self));

  load = g_new0 (Load, 1);
  load->self = g_object_ref (self);
  load->cancellable = g_object_ref (restart (&self->list_cancellable));
  if (g_list_model_get_n_items (G_LIST_MODEL (self->endpoints)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  eva_api_client_list_webhooks_async (self->client, load->cancellable, listed_cb, load);
}

/**
 * eva_webhooks_window_add:
 *
 * Returns: (transfer none): the dialog of the new endpoint
 */
GtkWindow *
eva_webhooks_window_add (EvaWebhooksWindow *self)
{
  g_return_val_if_fail (EVA_IS_WEBHOOKS_WINDOW (self), NULL);
  return open_dialog (self, NULL);
}

/**
 * eva_webhooks_window_edit:
 *
 * Returns: (transfer none): the dialog of @endpoint
 */
GtkWindow *
eva_webhooks_window_edit (EvaWebhooksWindow *self,
                          EvaRecord         *endpoint)
{
  g_return_val_if_fail (EVA_IS_WEBHOOKS_WINDOW (self), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (endpoint), NULL);
  return open_dialog (self, endpoint);
}

void
eva_webhooks_window_show_deliveries (EvaWebhooksWindow *self,
                                     EvaRecord         *endpoint)
{
  g_return_if_fail (EVA_IS_WEBHOOKS_WINDOW (self));
  g_return_if_fail (EVA_IS_RECORD (endpoint));

  g_set_object (&self->log_endpoint, endpoint);
  g_list_store_remove_all (self->deliveries);
  update_log_header (self);
  adw_leaflet_set_visible_child_name (self->leaflet, "deliveries");
  eva_webhooks_window_reload_deliveries (self);
}

void
eva_webhooks_window_reload_deliveries (EvaWebhooksWindow *self)
{
  g_return_if_fail (EVA_IS_WEBHOOKS_WINDOW (self));

  if (self->log_endpoint == NULL)
    return;
  if (g_list_model_get_n_items (G_LIST_MODEL (self->deliveries)) == 0)
    gtk_stack_set_visible_child_name (self->log_stack, "loading");
  eva_api_client_list_webhook_deliveries_async (self->client, eva_record_get_id (self->log_endpoint),
                                                restart (&self->log_cancellable),
                                                deliveries_listed_cb, g_object_ref (self));
}

/* Asks the server for a "webhook.test" event to the log's endpoint. */
void
eva_webhooks_window_send_test (EvaWebhooksWindow *self)
{
  g_return_if_fail (EVA_IS_WEBHOOKS_WINDOW (self));

  if (self->log_endpoint == NULL)
    return;
  gtk_widget_set_sensitive (self->test_button, FALSE);
  eva_api_client_send_test_webhook_async (self->client, eva_record_get_id (self->log_endpoint),
                                          self->cancellable, test_sent_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

const char *
_eva_webhooks_window_get_state (EvaWebhooksWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
_eva_webhooks_window_get_log_state (EvaWebhooksWindow *self)
{
  return gtk_stack_get_visible_child_name (self->log_stack);
}

GListModel *
_eva_webhooks_window_get_endpoints (EvaWebhooksWindow *self)
{
  return G_LIST_MODEL (self->endpoints);
}

GListModel *
_eva_webhooks_window_get_deliveries (EvaWebhooksWindow *self)
{
  return G_LIST_MODEL (self->deliveries);
}

GtkListBox *
_eva_webhooks_window_get_list_box (EvaWebhooksWindow *self)
{
  return self->list_box;
}

GtkListBox *
_eva_webhooks_window_get_log_box (EvaWebhooksWindow *self)
{
  return self->log_box;
}

GtkWidget *
_eva_webhooks_window_get_test_button (EvaWebhooksWindow *self)
{
  return self->test_button;
}

const char *
_eva_webhooks_window_get_error (EvaWebhooksWindow *self)
{
  return self->error;
}
