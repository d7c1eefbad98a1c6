/* test-webhooks.c: the webhooks window against a real server and a real
 * receiver (tests/webhook-receiver.py, which checks every signature):
 * the empty and error states, adding an endpoint through the dialog (the
 * URL checked here and by the server, the secret shown once and the same
 * the server signs with), the delivery log with a test event and a
 * redelivery, editing and disabling, an endpoint the server disabled,
 * deleting after the confirmation, the menu entry by role, and
 * screenshots (build/tests/desktop/screenshots)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/eva-window.h"
#include "eva-common.h"
#include "events/eva-events-view.h"
#include "sign-in/eva-sign-in-page-private.h"
#include "webhooks/eva-webhook-dialog-private.h"
#include "webhooks/eva-webhooks-window-private.h"
#include "widgets/eva-utils.h"

#include "eva-desktop-test.h"
#include "eva-test.h"

typedef struct
{
  EvaTestServer *server;
  char          *token;
  EvaApiClient  *client;
  char          *endpoint_id;   /* made through the dialog */
  /* the receiver */
  GPid           pid;
  int            stdin_fd;
  guint          port;
  char          *dir;
  char          *log;
  char          *secrets;
  char          *status;
} Fixture;

static Fixture fx;

/* ------------------------------------------------------------------ */
/* The receiver                                                       */
/* ------------------------------------------------------------------ */

static void
receiver_start (void)
{
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "tests",
                                              "webhook-receiver.py", NULL);
  const char *argv[] = { eva_test_python (), script, NULL, NULL, NULL, "0", NULL };
  g_autoptr(GError) error = NULL;
  int out_fd;
  FILE *out;
  char line[64];

  fx.dir = g_dir_make_tmp ("eva-webhooks-XXXXXX", &error);
  g_assert_no_error (error);
  fx.log = g_build_filename (fx.dir, "log", NULL);
  fx.secrets = g_build_filename (fx.dir, "secrets", NULL);
  fx.status = g_build_filename (fx.dir, "status", NULL);
  argv[2] = fx.log;
  argv[3] = fx.secrets;
  argv[4] = fx.status;
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           eva_test_die_with_parent, NULL, &fx.pid, &fx.stdin_fd,
                                           &out_fd, NULL, &error));
  g_assert_no_error (error);
  out = fdopen (out_fd, "r");
  g_assert_nonnull (fgets (line, sizeof line, out));
  fclose (out);
  fx.port = (guint) g_ascii_strtoull (line, NULL, 10);
  g_assert_cmpuint (fx.port, >, 0);
}

static void
receiver_stop (void)
{
  int status;

  close (fx.stdin_fd);
  kill (fx.pid, SIGTERM);
  waitpid (fx.pid, &status, 0);
  g_spawn_close_pid (fx.pid);
  g_unlink (fx.log);
  g_unlink (fx.secrets);
  g_unlink (fx.status);
  g_rmdir (fx.dir);
  g_free (fx.log);
  g_free (fx.secrets);
  g_free (fx.status);
  g_free (fx.dir);
}

static char *
receiver_url (void)
{
  return g_strdup_printf ("http://127.0.0.1:%u/hooks", fx.port);
}

/* What the receiver saw of event @id: requests, and those whose
 * signature it verified with a secret it was given. */
static guint
received (const char *id,
          guint      *verified)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  *verified = 0;
  if (!g_file_get_contents (fx.log, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonNode) record = *lines[i] != '\0' ? json_from_string (lines[i], NULL) : NULL;

      if (record == NULL || g_strcmp0 (eva_test_json_string (record, "id"), id) != 0)
        continue;
      n++;
      if (eva_test_json_bool (record, "signature_ok") && eva_test_json_int (record, "answered") == 200)
        (*verified)++;
    }
  return n;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
is_drawn (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  const char *dir = g_getenv ("EVERATO_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  eva_desktop_test_wait (is_drawn, widget, 10, "the window to be drawn");
  eva_desktop_test_settle (400);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s (%dx%d)", path, width, height);
}

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_widget_get_name (child), name) == 0)
        return child;
      if ((found = find_named (child, name)) != NULL)
        return found;
    }
  return NULL;
}

/* The first button under @root whose label is @label. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
        return child;
      if ((found = find_button (child, label)) != NULL)
        return found;
    }
  return NULL;
}

/* Whether some label under @root says @text. */
static gboolean
has_label (GtkWidget  *root,
           const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && strstr (gtk_label_get_text (GTK_LABEL (child)), text) != NULL)
        return TRUE;
      if (has_label (child, text))
        return TRUE;
    }
  return FALSE;
}

/* The first widget under @root with @tooltip. */
static GtkWidget *
find_by_tooltip (GtkWidget  *root,
                 const char *tooltip)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_widget_get_tooltip_text (child), tooltip) == 0)
        return child;
      if ((found = find_by_tooltip (child, tooltip)) != NULL)
        return found;
    }
  return NULL;
}

static EvaWebhookDialog *
find_webhook_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (EVA_IS_WEBHOOK_DIALOG (w))
        return EVA_WEBHOOK_DIALOG (w);
    }
  return NULL;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

static gboolean
shows_list (gpointer data)
{
  return g_strcmp0 (_eva_webhooks_window_get_state (data), "list") == 0 ||
         g_strcmp0 (_eva_webhooks_window_get_state (data), "empty") == 0 ||
         g_strcmp0 (_eva_webhooks_window_get_state (data), "error") == 0;
}

static gboolean
not_busy (gpointer data)
{
  return !_eva_webhook_dialog_get_busy (data);
}

static gboolean
finalized (gpointer data)
{
  return *(gboolean *) data;
}

static void
weak_notify_cb (gpointer  data,
                GObject  *where)
{
  *(gboolean *) data = TRUE;
}

/* Presses the dialog's Save (or Add) as the user would. */
static void
press (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static EvaWebhooksWindow *
open_window (EvaApiClient *client)
{
  EvaWebhooksWindow *window = EVA_WEBHOOKS_WINDOW (eva_webhooks_window_new (NULL, client));

  gtk_window_set_default_size (GTK_WINDOW (window), 720, 640);
  gtk_window_present (GTK_WINDOW (window));
  eva_desktop_test_wait (shows_list, window, 30, "the endpoints");
  return window;
}

static void
close_window (EvaWebhooksWindow *window)
{
  gboolean gone = FALSE;

  g_object_weak_ref (G_OBJECT (window), weak_notify_cb, &gone);
  gtk_window_destroy (GTK_WINDOW (window));
  eva_desktop_test_wait (finalized, &gone, 10, "the window to be finalized");
}

static EvaRecord *
endpoint_at (EvaWebhooksWindow *window,
             guint              i)
{
  g_autoptr(EvaRecord) endpoint = g_list_model_get_item (_eva_webhooks_window_get_endpoints (window), i);

  return endpoint;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_empty_and_error (void)
{
  EvaWebhooksWindow *window = open_window (fx.client);
  g_autofree char *door_token = eva_test_token_for_role (fx.server, "door_staff");
  g_autoptr(EvaApiClient) door = eva_api_client_new (fx.server->base_url);

  g_assert_cmpstr (_eva_webhooks_window_get_state (window), ==, "empty");
  save_png (GTK_WIDGET (window), "webhooks-empty.png");
  close_window (window);

  /* Refused by the server: the error page with its reason, no crash. */
  eva_api_client_set_access_token (door, door_token);
  window = open_window (door);
  g_assert_cmpstr (_eva_webhooks_window_get_state (window), ==, "error");
  g_assert_cmpstr (_eva_webhooks_window_get_error (window), ==, "Only organizers manage webhooks");
  close_window (window);
}

static void
test_validation (void)
{
  g_autoptr(EvaTestServer) strict = eva_test_server_start ((const char *[]) {
    "EVERATO_WEBHOOK_ALLOW_PRIVATE=0", NULL });
  g_autofree char *token = eva_test_token_for_role (strict, "organizer");
  g_autoptr(EvaApiClient) client = eva_api_client_new (strict->base_url);
  EvaWebhooksWindow *window;
  EvaWebhookDialog *dialog;
  GtkWidget *url, *save;

  eva_api_client_set_access_token (client, token);
  window = open_window (client);
  dialog = EVA_WEBHOOK_DIALOG (eva_webhooks_window_add (window));
  url = _eva_webhook_dialog_get_widget (dialog, "url");
  save = _eva_webhook_dialog_get_widget (dialog, "save");

  /* Checked here: empty, another scheme, no host, a password. */
  g_assert_false (gtk_widget_is_sensitive (save));
  g_assert_null (eva_row_get_error (url));
  gtk_editable_set_text (GTK_EDITABLE (url), "ftp://x");
  g_assert_cmpstr (eva_row_get_error (url), ==, "Must start with http:// or https://");
  g_assert_true (gtk_widget_get_visible (_eva_webhook_dialog_get_widget (dialog, "error")));
  g_assert_false (gtk_widget_is_sensitive (save));
  gtk_editable_set_text (GTK_EDITABLE (url), "https://");
  g_assert_nonnull (eva_row_get_error (url));
  gtk_editable_set_text (GTK_EDITABLE (url), "https://user:pw@example.com/hooks");
  g_assert_nonnull (eva_row_get_error (url));
  gtk_editable_set_text (GTK_EDITABLE (url), "https://example.com/a b");
  g_assert_nonnull (eva_row_get_error (url));
  g_assert_false (gtk_widget_is_sensitive (save));

  /* No event type: cannot be saved either. */
  gtk_editable_set_text (GTK_EDITABLE (url), "https://example.com/hooks");
  g_assert_null (eva_row_get_error (url));
  g_assert_true (gtk_widget_is_sensitive (save));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "booking.confirmed")),
                               FALSE);
  g_assert_false (gtk_widget_is_sensitive (save));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "event.published")),
                               TRUE);

  /* Checked by the server only: this machine. Shown at the row, the
   * dialog stays open with what was typed. */
  gtk_editable_set_text (GTK_EDITABLE (url), "http://127.0.0.1:9/hooks");
  press (save);
  eva_desktop_test_wait (not_busy, dialog, 30, "the server's answer");
  g_assert_cmpstr (eva_row_get_error (url), ==, "The URL must not point to this machine or a private network");
  g_assert_true (gtk_widget_get_visible (_eva_webhook_dialog_get_widget (dialog, "error")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (_eva_webhook_dialog_get_widget (dialog, "error"))), ==,
                   "The URL must not point to this machine or a private network");
  /* Not sent again as it is; a change clears it. */
  g_assert_false (gtk_widget_is_sensitive (save));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (url)), ==, "http://127.0.0.1:9/hooks");
  save_png (GTK_WIDGET (dialog), "webhooks-dialog-error.png");
  gtk_editable_set_text (GTK_EDITABLE (url), "https://example.com/hooks");
  g_assert_null (eva_row_get_error (url));
  g_assert_false (gtk_widget_get_visible (_eva_webhook_dialog_get_widget (dialog, "error")));
  g_assert_true (gtk_widget_is_sensitive (save));
  gtk_window_destroy (GTK_WINDOW (dialog));
  close_window (window);
}

static gboolean
has_one_endpoint (gpointer data)
{
  return g_strcmp0 (_eva_webhooks_window_get_state (data), "list") == 0 &&
         g_list_model_get_n_items (_eva_webhooks_window_get_endpoints (data)) == 1;
}

static void
test_add (void)
{
  EvaWebhooksWindow *window = open_window (fx.client);
  EvaWebhookDialog *dialog = EVA_WEBHOOK_DIALOG (eva_webhooks_window_add (window));
  g_autofree char *url = receiver_url ();
  g_autofree char *stored = NULL;
  g_autofree char *secrets = NULL;
  g_autoptr(EvaTestResponse) listed = NULL;
  AdwMessageDialog *shown;
  GtkWidget *label;
  const char *secret;

  gtk_editable_set_text (GTK_EDITABLE (_eva_webhook_dialog_get_widget (dialog, "url")), url);
  gtk_editable_set_text (GTK_EDITABLE (_eva_webhook_dialog_get_widget (dialog, "description")), "Our CRM");
  /* booking.confirmed is checked to begin with */
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "booking.confirmed"))));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "payment.received")), TRUE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "booking.refunded")), TRUE);
  g_assert_null (eva_row_get_error (_eva_webhook_dialog_get_widget (dialog, "url")));
  save_png (GTK_WIDGET (dialog), "webhooks-add-dialog.png");
  press (_eva_webhook_dialog_get_widget (dialog, "save"));
  /* Closed (Escape) while the server creates it: refused, or the secret,
   * shown once, would be lost. */
  g_assert_true (_eva_webhook_dialog_get_busy (dialog));
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));

  /* The secret, once, in a dialog with a Copy button. */
  eva_desktop_test_wait (dialog_shown, NULL, 30, "the secret");
  shown = find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (shown), ==, "Endpoint Added");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (shown), "you will not see it again"));
  label = find_named (GTK_WIDGET (shown), "secret");
  g_assert_nonnull (label);
  secret = gtk_label_get_text (GTK_LABEL (label));
  g_assert_true (g_str_has_prefix (secret, "whsec_"));
  g_assert_cmpuint (strlen (secret), ==, 6 + 43);
  /* The server keeps it sealed (tests/integration/test-keys.c opens it);
   * that it is this endpoint's is proven by the receiver below, which
   * checks every delivery's signature with what the dialog showed. */
  stored = eva_test_sql (fx.server->pg, "SELECT secret FROM webhook_endpoints WHERE url = $1", url, NULL);
  g_assert_true (g_str_has_prefix (stored, "sealed:01"));
  g_assert_null (strstr (stored, secret + strlen ("whsec_")));
  /* The receiver knows it from now on (as the organizer would paste it). */
  secrets = g_strconcat (secret, "\n", NULL);
  g_assert_true (g_file_set_contents (fx.secrets, secrets, -1, NULL));
  {
    GtkWidget *copy = find_named (GTK_WIDGET (shown), "copy");

    g_signal_emit_by_name (copy, "clicked");
    g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (copy)), ==, "Copied");
  }
  save_png (GTK_WIDGET (shown), "webhooks-secret.png");
  /* (A click on a response closes the dialog as well.) */
  adw_message_dialog_response (shown, "done");
  gtk_window_destroy (GTK_WINDOW (shown));
  eva_desktop_test_settle (100);
  g_assert_null (find_message_dialog ());

  eva_desktop_test_wait (has_one_endpoint, window, 30, "the new endpoint");
  fx.endpoint_id = g_strdup (eva_record_get_id (endpoint_at (window, 0)));
  g_assert_cmpstr (eva_record_get_string (endpoint_at (window, 0), "url"), ==, url);
  /* Never listed again. */
  g_assert_null (eva_record_get_string (endpoint_at (window, 0), "secret"));
  g_assert_true (has_label (GTK_WIDGET (_eva_webhooks_window_get_list_box (window)), "No deliveries yet"));
  g_assert_true (has_label (GTK_WIDGET (_eva_webhooks_window_get_list_box (window)), "Enabled"));

  /* What the server holds. */
  listed = eva_test_call (fx.server, "GET", "/api/v1/admin/webhooks", fx.token, NULL);
  eva_test_assert_status (listed, 200);
  g_assert_cmpint (json_array_get_length (json_node_get_array (eva_test_json_get (listed->json, "items"))), ==, 1);
  g_assert_cmpstr (eva_test_json_string (listed->json, "items.0.id"), ==, fx.endpoint_id);
  g_assert_cmpstr (eva_test_json_string (listed->json, "items.0.description"), ==, "Our CRM");
  g_assert_cmpstr (eva_test_json_string (listed->json, "items.0.events.0"), ==, "booking.confirmed");
  g_assert_cmpstr (eva_test_json_string (listed->json, "items.0.events.1"), ==, "booking.refunded");
  g_assert_cmpstr (eva_test_json_string (listed->json, "items.0.events.2"), ==, "payment.received");
  g_assert_false (eva_test_json_has (listed->json, "items.0.events.3"));
  g_assert_true (eva_test_json_bool (listed->json, "items.0.enabled"));
  close_window (window);
}

static EvaRecord *
first_delivery (EvaWebhooksWindow *window)
{
  g_autoptr(EvaRecord) delivery = g_list_model_get_item (_eva_webhooks_window_get_deliveries (window), 0);

  return delivery;
}

static gboolean
log_empty (gpointer data)
{
  return g_strcmp0 (_eva_webhooks_window_get_log_state (data), "empty") == 0;
}

static gboolean
delivered_times (EvaWebhooksWindow *window,
                 gint64             attempts)
{
  EvaRecord *delivery;

  if (g_strcmp0 (_eva_webhooks_window_get_log_state (window), "list") != 0)
    return FALSE;
  delivery = first_delivery (window);
  return g_strcmp0 (eva_record_get_string (delivery, "status"), "delivered") == 0 &&
         eva_record_get_int (delivery, "attempts", 0) == attempts;
}

static gboolean
delivered_once (gpointer data)
{
  return delivered_times (data, 1);
}

static gboolean
delivered_twice (gpointer data)
{
  return delivered_times (data, 2);
}

static gboolean
list_says_delivered (gpointer data)
{
  return has_label (GTK_WIDGET (_eva_webhooks_window_get_list_box (data)), "Last delivery: Delivered, HTTP 200");
}

static void
test_deliveries (void)
{
  EvaWebhooksWindow *window = open_window (fx.client);
  GtkWidget *test_button = _eva_webhooks_window_get_test_button (window);
  GtkListBoxRow *row;
  GtkWidget *redeliver;
  g_autofree char *event_id = NULL;
  guint verified;

  g_assert_nonnull (fx.endpoint_id);
  /* Choosing the row opens its log: nothing yet. */
  row = gtk_list_box_get_row_at_index (_eva_webhooks_window_get_list_box (window), 0);
  g_signal_emit_by_name (row, "activate");
  eva_desktop_test_wait (log_empty, window, 30, "the empty log");
  g_assert_true (gtk_widget_is_sensitive (test_button));

  /* A test event: in the log at once, followed until delivered, and the
   * receiver verified its signature with the secret the dialog showed. */
  g_signal_emit_by_name (test_button, "clicked");
  eva_desktop_test_wait (delivered_once, window, 30, "the test event to be delivered");
  g_assert_cmpstr (eva_record_get_string (first_delivery (window), "event_type"), ==, "webhook.test");
  g_assert_cmpint (eva_record_get_int (first_delivery (window), "response_status", 0), ==, 200);
  event_id = g_strdup (eva_record_get_string (first_delivery (window), "event_id"));
  g_assert_cmpuint (received (event_id, &verified), ==, 1);
  g_assert_cmpuint (verified, ==, 1);
  row = gtk_list_box_get_row_at_index (_eva_webhooks_window_get_log_box (window), 0);
  g_assert_true (has_label (GTK_WIDGET (row), "Test event"));
  g_assert_true (has_label (GTK_WIDGET (row), "Delivered"));
  g_assert_true (has_label (GTK_WIDGET (row), "HTTP 200"));
  g_assert_true (has_label (GTK_WIDGET (row), event_id));
  save_png (GTK_WIDGET (window), "webhooks-deliveries.png");

  /* Redeliver: the same event once more. */
  redeliver = find_button (GTK_WIDGET (row), "_Redeliver");
  g_assert_nonnull (redeliver);
  g_signal_emit_by_name (redeliver, "clicked");
  eva_desktop_test_wait (delivered_twice, window, 30, "the redelivery");
  g_assert_cmpstr (eva_record_get_string (first_delivery (window), "event_id"), ==, event_id);
  g_assert_cmpuint (g_list_model_get_n_items (_eva_webhooks_window_get_deliveries (window)), ==, 1);
  g_assert_cmpuint (received (event_id, &verified), ==, 2);
  g_assert_cmpuint (verified, ==, 2);

  /* Opened again, the list shows the last delivery. */
  close_window (window);
  window = open_window (fx.client);
  eva_desktop_test_wait (list_says_delivered, window, 30, "the last delivery in the list");
  close_window (window);
}

static gboolean
shows_disabled (gpointer data)
{
  return g_list_model_get_n_items (_eva_webhooks_window_get_endpoints (data)) == 1 &&
         !eva_record_get_boolean (endpoint_at (data, 0), "enabled");
}

static gboolean
shows_enabled (gpointer data)
{
  return g_list_model_get_n_items (_eva_webhooks_window_get_endpoints (data)) == 1 &&
         eva_record_get_boolean (endpoint_at (data, 0), "enabled");
}

static gboolean
has_error (gpointer data)
{
  return _eva_webhooks_window_get_error (data) != NULL;
}

static void
test_edit_and_disable (void)
{
  EvaWebhooksWindow *window = open_window (fx.client);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hooks?v=2", fx.port);
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/webhooks/%s", fx.endpoint_id);
  g_autoptr(EvaTestResponse) got = NULL;
  EvaWebhookDialog *dialog;
  GtkWidget *test_button = _eva_webhooks_window_get_test_button (window);

  /* The row's edit button opens the dialog, filled in. */
  {
    GtkListBoxRow *row = gtk_list_box_get_row_at_index (_eva_webhooks_window_get_list_box (window), 0);
    GtkWidget *edit = find_by_tooltip (GTK_WIDGET (row), "Edit Endpoint");

    g_assert_nonnull (edit);
    g_signal_emit_by_name (edit, "clicked");
    dialog = find_webhook_dialog ();
    g_assert_nonnull (dialog);
  }
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "payment.received"))));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "checkin.created"))));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (_eva_webhook_dialog_get_widget (dialog, "enabled"))));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (_eva_webhook_dialog_get_widget (dialog, "description"))), ==,
                   "Our CRM");

  gtk_editable_set_text (GTK_EDITABLE (_eva_webhook_dialog_get_widget (dialog, "url")), url);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "payment.received")), FALSE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (_eva_webhook_dialog_get_widget (dialog, "checkin.created")), TRUE);
  gtk_switch_set_active (GTK_SWITCH (_eva_webhook_dialog_get_widget (dialog, "enabled")), FALSE);
  press (_eva_webhook_dialog_get_widget (dialog, "save"));
  eva_desktop_test_wait (shows_disabled, window, 30, "the disabled endpoint");
  g_assert_true (has_label (GTK_WIDGET (_eva_webhooks_window_get_list_box (window)), "Disabled"));
  g_assert_cmpstr (eva_record_get_string (endpoint_at (window, 0), "url"), ==, url);

  got = eva_test_call (fx.server, "GET", path, fx.token, NULL);
  eva_test_assert_status (got, 200);
  g_assert_cmpstr (eva_test_json_string (got->json, "url"), ==, url);
  g_assert_false (eva_test_json_bool (got->json, "enabled"));
  g_assert_cmpstr (eva_test_json_string (got->json, "disabled_reason"), ==, "disabled by an organizer");
  g_assert_cmpstr (eva_test_json_string (got->json, "events.0"), ==, "booking.confirmed");
  g_assert_cmpstr (eva_test_json_string (got->json, "events.1"), ==, "booking.refunded");
  g_assert_cmpstr (eva_test_json_string (got->json, "events.2"), ==, "checkin.created");

  /* A disabled endpoint gets no test event: the button says so, and the
   * server's refusal is shown, not a crash. */
  eva_webhooks_window_show_deliveries (window, endpoint_at (window, 0));
  g_assert_false (gtk_widget_is_sensitive (test_button));
  eva_webhooks_window_send_test (window);
  eva_desktop_test_wait (has_error, window, 30, "the refusal");
  g_assert_cmpstr (_eva_webhooks_window_get_error (window), ==,
                   "This endpoint is disabled: enable it to send it events");

  /* The server disables one that failed for days: said apart. */
  g_free (eva_test_sql (fx.server->pg,
                        "UPDATE webhook_endpoints SET disabled_reason = 'failed for 3 days (last: HTTP 503)'"
                        " WHERE id = $1::uuid RETURNING id", fx.endpoint_id, NULL));
  close_window (window);
  window = open_window (fx.client);
  g_assert_true (has_label (GTK_WIDGET (_eva_webhooks_window_get_list_box (window)), "Disabled after failures"));
  save_png (GTK_WIDGET (window), "webhooks-list.png");

  /* Enabled again. */
  dialog = EVA_WEBHOOK_DIALOG (eva_webhooks_window_edit (window, endpoint_at (window, 0)));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (_eva_webhook_dialog_get_widget (dialog, "enabled"))));
  save_png (GTK_WIDGET (dialog), "webhooks-edit-dialog.png");
  gtk_switch_set_active (GTK_SWITCH (_eva_webhook_dialog_get_widget (dialog, "enabled")), TRUE);
  press (_eva_webhook_dialog_get_widget (dialog, "save"));
  eva_desktop_test_wait (shows_enabled, window, 30, "the enabled endpoint");
  g_assert_null (eva_record_get_string (endpoint_at (window, 0), "disabled_reason"));
  close_window (window);
}

static gboolean
shows_empty (gpointer data)
{
  return g_strcmp0 (_eva_webhooks_window_get_state (data), "empty") == 0;
}

static void
test_delete (void)
{
  EvaWebhooksWindow *window = open_window (fx.client);
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/webhooks/%s", fx.endpoint_id);
  g_autoptr(EvaTestResponse) got = NULL;
  EvaWebhookDialog *dialog = EVA_WEBHOOK_DIALOG (eva_webhooks_window_edit (window, endpoint_at (window, 0)));
  AdwMessageDialog *confirm;

  /* Asked first; "Cancel" keeps it. */
  g_signal_emit_by_name (_eva_webhook_dialog_get_widget (dialog, "delete"), "clicked");
  eva_desktop_test_wait (dialog_shown, NULL, 10, "the confirmation");
  confirm = find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (confirm), ==, "Delete Endpoint?");
  adw_message_dialog_response (confirm, "cancel");
  gtk_window_destroy (GTK_WINDOW (confirm));
  eva_desktop_test_settle (200);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  got = eva_test_call (fx.server, "GET", path, fx.token, NULL);
  eva_test_assert_status (got, 200);
  g_clear_pointer (&got, eva_test_response_free);

  g_signal_emit_by_name (_eva_webhook_dialog_get_widget (dialog, "delete"), "clicked");
  eva_desktop_test_wait (dialog_shown, NULL, 10, "the confirmation");
  confirm = find_message_dialog ();
  adw_message_dialog_response (confirm, "delete");
  gtk_window_destroy (GTK_WINDOW (confirm));
  eva_desktop_test_wait (shows_empty, window, 30, "the empty list");
  got = eva_test_call (fx.server, "GET", path, fx.token, NULL);
  eva_test_assert_error (got, 404, "not_found");
  close_window (window);
}

static gboolean
widget_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
signed_in (gpointer data)
{
  return eva_api_client_get_me (eva_window_get_client (data)) != NULL;
}

/* The menu entry is there for the roles the server lets in. */
static void
test_menu_by_role (void)
{
  static const struct { const char *role; gboolean enabled; } cases[] = {
    { "organizer", TRUE },
    { "super_admin", TRUE },
    { "door_staff", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *email = g_strdup_printf ("%s@example.test", cases[i].role);
      g_autofree char *id = eva_test_create_staff (fx.server, email, cases[i].role, "correct horse battery");
      EvaWindow *window = eva_window_new (NULL);
      EvaSignInPage *page = EVA_SIGN_IN_PAGE (eva_window_get_page (window, "sign-in"));

      gtk_window_present (GTK_WINDOW (window));
      eva_desktop_test_wait (widget_mapped, page, 10, "the sign-in page");
      g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "webhooks"));
      eva_sign_in_page_set_server (page, fx.server->base_url);
      eva_sign_in_page_set_email (page, email);
      gtk_editable_set_text (GTK_EDITABLE (_eva_sign_in_page_get_row (page, "password")), "correct horse battery");
      eva_sign_in_page_submit (page);
      eva_desktop_test_wait (signed_in, window, 30, "the sign-in");
      eva_desktop_test_wait (widget_mapped, eva_window_get_page (window, cases[i].enabled ? "events-view" : "door"),
                             30, "the first page");
      g_assert_cmpint (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "webhooks"), ==,
                       cases[i].enabled);
      if (cases[i].enabled)
        {
          g_action_group_activate_action (G_ACTION_GROUP (window), "webhooks", NULL);
          eva_desktop_test_settle (100);
          {
            GListModel *toplevels = gtk_window_get_toplevels ();
            EvaWebhooksWindow *found = NULL;

            for (guint j = 0; j < g_list_model_get_n_items (toplevels); j++)
              {
                g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, j);

                if (EVA_IS_WEBHOOKS_WINDOW (w))
                  found = EVA_WEBHOOKS_WINDOW (w);
              }
            g_assert_nonnull (found);
            g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (found)) == GTK_WINDOW (window));
            eva_desktop_test_wait (shows_list, found, 30, "the endpoints");
            g_assert_cmpstr (_eva_webhooks_window_get_state (found), !=, "error");
            gtk_window_destroy (GTK_WINDOW (found));
          }
        }
      gtk_window_destroy (GTK_WINDOW (window));
      eva_desktop_test_settle (100);
    }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  eva_desktop_test_init (&argc, &argv);
  eva_common_init ();
  /* The app's style sheet, as EvaApplication loads it. */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, RESOURCE_PATH "/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);

  g_test_add_func ("/webhooks/empty-and-error", test_empty_and_error);
  g_test_add_func ("/webhooks/validation", test_validation);
  g_test_add_func ("/webhooks/add", test_add);
  g_test_add_func ("/webhooks/deliveries", test_deliveries);
  g_test_add_func ("/webhooks/edit-and-disable", test_edit_and_disable);
  g_test_add_func ("/webhooks/delete", test_delete);
  g_test_add_func ("/webhooks/menu-by-role", test_menu_by_role);

  receiver_start ();
  fx.server = eva_test_server_start ((const char *[]) {
    "EVERATO_WEBHOOK_ALLOW_PRIVATE=1", "EVERATO_WEBHOOK_POLL_MS=50", NULL });
  fx.token = eva_test_token_for_role (fx.server, "organizer");
  fx.client = eva_api_client_new (fx.server->base_url);
  eva_api_client_set_access_token (fx.client, fx.token);

  ret = g_test_run ();

  g_assert_finalize_object (fx.client);
  g_free (fx.token);
  g_free (fx.endpoint_id);
  eva_test_server_free (fx.server);
  receiver_stop ();
  return ret;
}
