/* eva-door-page.c: door mode: the scanner at the entrance
 *
 * Three inputs at once: the webcam (EvaDoorScanner), a USB scanner that
 * types the code and Enter (a key controller on the window in the capture
 * phase: a burst of keys faster than a person types is a scan, whatever
 * has the focus) and the manual search. Each scan gets a nonce and goes
 * to the server (POST …/checkin/redeem); when no answer comes within
 * REDEEM_TIMEOUT_MS, or the server cannot be reached, the door decides
 * locally from its EvaDoorStore, queues the scan and says it is offline
 * until a sync gets through again, when the queue is uploaded and the
 * server's refusals (another door let the ticket in first) are shown.
 *
 * The verdict covers the window (green, amber or red, one word, the
 * holder, the type, the reason in words), plays its sound and goes away by
 * itself; the next scan replaces it at once.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-door-page"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "api/eva-api-checkin.h"
#include "api/eva-api-utils.h"
#include "door/eva-door-page-private.h"
#include "door/eva-door-store.h"
#include "widgets/eva-utils.h"

#define VERDICT_MS         2500
/* A USB scanner types a character every few milliseconds; people do not. */
#define BURST_GAP_MS       35
#define BURST_MIN_CHARS    8

G_DEFINE_FINAL_TYPE (EvaDoorPage, eva_door_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_OFFLINE,
  PROP_WAITING,
  N_PROPS
};

enum {
  SIGNAL_LEAVE,
  SIGNAL_VERDICT_DRAWN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];


/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static GtkWidget *
placeholder (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_set_margin_top (label, 18);
  gtk_widget_set_margin_bottom (label, 18);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

/* ------------------------------------------------------------------ */
/* Keyboard scanner                                                   */
/* ------------------------------------------------------------------ */

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                EvaDoorPage           *self)
{
  GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  guint32 time = event != NULL ? gdk_event_get_time (event) : 0;
  GtkWidget *focus = self->keys_root != NULL ? gtk_root_get_focus (GTK_ROOT (self->keys_root)) : NULL;
  gboolean in_entry = focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_TEXT (focus));
  gunichar c = gdk_keyval_to_unicode (keyval);
  gboolean fast = self->burst->len > 0 && time - self->burst_last_ms <= BURST_GAP_MS;

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || self->list_id == NULL ||
      (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    return FALSE;

  if (keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    {
      g_autofree char *code = g_strdup (self->burst->str);
      gsize len = self->burst->len;

      g_string_truncate (self->burst, 0);
      g_debug ("Enter after %" G_GSIZE_FORMAT " keys, %s", len, fast ? "fast" : "slow");
      /* Typed by a person into the search: Enter is the search's. */
      if (len < BURST_MIN_CHARS || !fast)
        return FALSE;
      if (in_entry && GTK_IS_EDITABLE (focus))
        {
          /* The burst's first key went to the entry before it was
           * known to be a scan: take it back. */
          const char *text = gtk_editable_get_text (GTK_EDITABLE (focus));

          if (g_str_has_suffix (text, (char[]) { code[0], '\0' }))
            {
              g_autofree char *trimmed = g_strndup (text, strlen (text) - 1);

              gtk_editable_set_text (GTK_EDITABLE (focus), trimmed);
            }
        }
      _eva_door_page_process (self, code, 0, FALSE);
      return TRUE;
    }

  if (c == 0 || g_unichar_iscntrl (c))
    return FALSE;
  if (!fast)
    g_string_truncate (self->burst, 0);
  g_string_append_unichar (self->burst, c);
  self->burst_last_ms = time;
  /* Outside an entry, every key is the scanner's; in one, only a burst. */
  return !in_entry || self->burst->len > 1;
}

/* Locked, the window stays open (Alt+F4 included). */
static gboolean
close_request_cb (EvaDoorPage *self)
{
  return self->locked;
}

static void
detach_keys (EvaDoorPage *self)
{
  if (self->keys_root == NULL)
    return;
  gtk_widget_remove_controller (self->keys_root, self->keys);
  g_clear_signal_handler (&self->close_request_id, self->keys_root);
  g_object_remove_weak_pointer (G_OBJECT (self->keys_root), (gpointer *) &self->keys_root);
  self->keys_root = NULL;
}

/* The window, not the page, gets the keys: nothing needs the focus. Held
 * weakly: the window holds the page. */
static void
attach_keys (EvaDoorPage *self)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));

  if (root == self->keys_root)
    return;
  detach_keys (self);
  if (root == NULL)
    return;
  self->keys_root = root;
  g_object_add_weak_pointer (G_OBJECT (root), (gpointer *) &self->keys_root);
  gtk_widget_add_controller (root, g_object_ref (self->keys));
  if (GTK_IS_WINDOW (root))
    self->close_request_id = g_signal_connect_swapped (root, "close-request", G_CALLBACK (close_request_cb), self);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
code_cb (EvaDoorScanner *scanner,
         const char     *code,
         gint64          entered_us,
         EvaDoorPage    *self)
{
  _eva_door_page_process (self, code, entered_us, FALSE);
}

static void
frame_cb (EvaDoorScanner *scanner,
          GdkTexture     *frame,
          EvaDoorPage    *self)
{
  /* Under a verdict the picture is hidden: drawing it would only delay
   * the verdict. */
  if (!gtk_widget_get_visible (self->verdict_box))
    gtk_picture_set_paintable (self->camera_picture, GDK_PAINTABLE (frame));
}

static void
camera_message_cb (EvaDoorPage *self)
{
  const char *message = eva_door_scanner_get_message (self->scanner);

  gtk_label_set_label (self->camera_message, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->camera_message), message != NULL);
}

static void
camera_selected_cb (EvaDoorPage *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->camera_dropdown);

  if (item == NULL || self->list_id == NULL)
    return;
  g_settings_set_string (self->settings, "door-camera", gtk_string_object_get_string (item));
  eva_door_scanner_start (self->scanner, gtk_string_object_get_string (item));
}

static void
pay_clicked_cb (EvaDoorPage *self)
{
  g_autofree char *code = g_steal_pointer (&self->pay_code);

  if (code != NULL)
    _eva_door_page_process (self, code, 0, TRUE);
}

static void
verdict_clicked_cb (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    EvaDoorPage     *self)
{
  if (self->pay_code == NULL)
    _eva_door_page_clear_verdict (self);
}

static void
conflict_dismissed_cb (EvaDoorPage *self)
{
  g_string_truncate (self->conflicts, 0);
  gtk_revealer_set_reveal_child (self->conflict_revealer, FALSE);
}

static void
check_in_clicked_cb (GtkButton   *button,
                     EvaDoorPage *self)
{
  const char *code = g_object_get_data (G_OBJECT (button), "code");

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  _eva_door_page_process (self, code, 0, FALSE);
}

static void
searched_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result, NULL, NULL, &error);
  GtkWidget *child;

  if (items == NULL)
    {
      if (eva_api_error_is_offline (error))
        {
          GtkWidget *row = adw_action_row_new ();

          _eva_door_page_set_offline (self, TRUE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("The search needs the server: scan the ticket instead"));
          gtk_list_box_append (self->search_list, row);
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->search_list))) != NULL)
    gtk_list_box_remove (self->search_list, child);
  g_ptr_array_set_size (self->results, 0);
  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *item = eva_record_get_object (g_ptr_array_index (items, i));
      JsonObject *ticket = _eva_door_json_object (item, "ticket");
      const char *holder = _eva_door_json_string (ticket, "holder_name");
      const char *name = holder != NULL && *holder != '\0' ? holder : _eva_door_json_string (item, "attendee_name");
      const char *code = _eva_door_json_string (item, "code");
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_markup_escape_text (name != NULL ? name : _("No name"), -1);
      g_autofree char *subtitle = g_markup_printf_escaped ("%s · %s · %s", _eva_door_json_string (ticket, "ticket_type"),
                                                           _eva_door_json_string (ticket, "booking_reference"),
                                                           _eva_door_json_string (item, "email"));
      GtkWidget *button;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      if (json_object_get_boolean_member_with_default (item, "checked_in", FALSE))
        button = gtk_label_new (_("Checked In"));
      else
        {
          button = gtk_button_new_with_mnemonic (_("_Check In"));
          gtk_widget_add_css_class (button, "suggested-action");
          g_object_set_data_full (G_OBJECT (button), "code", g_strdup (code), g_free);
          g_signal_connect (button, "clicked", G_CALLBACK (check_in_clicked_cb), self);
          gtk_widget_set_sensitive (button, code != NULL);
        }
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      g_object_set_data (G_OBJECT (row), "action", button);
      gtk_list_box_append (self->search_list, row);
      g_ptr_array_add (self->results, row);
    }
}

static void
search_changed_cb (EvaDoorPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  GtkWidget *child;

  eva_cancellable_renew (&self->search_cancellable);
  if (g_utf8_strlen (text, -1) < 2 || self->client == NULL || self->event_id == NULL)
    {
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->search_list))) != NULL)
        gtk_list_box_remove (self->search_list, child);
      g_ptr_array_set_size (self->results, 0);
      return;
    }
  eva_api_client_checkin_search_async (self->client, self->event_id, text, self->search_cancellable,
                                       searched_cb, g_object_ref (self));
}

/* Setup */

static void
lists_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lists = eva_api_client_list_finish (EVA_API_CLIENT (source), result, NULL, NULL, &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  if (lists == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_label_set_label (self->setup_message, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->setup_message), TRUE);
        }
      return;
    }
  g_ptr_array_unref (self->lists);
  self->lists = g_ptr_array_ref (lists);
  for (guint i = 0; i < lists->len; i++)
    gtk_string_list_append (names, eva_record_get_string (g_ptr_array_index (lists, i), "name"));
  adw_combo_row_set_model (self->list_row, G_LIST_MODEL (names));
  gtk_widget_set_sensitive (self->start_button, lists->len > 0);
}

static void
event_selected_cb (EvaDoorPage *self)
{
  guint i = adw_combo_row_get_selected (self->event_row);

  gtk_widget_set_sensitive (self->start_button, FALSE);
  if (self->events == NULL || i >= self->events->len || self->client == NULL)
    return;
  eva_api_client_list_checkin_lists_async (self->client, eva_record_get_id (g_ptr_array_index (self->events, i)),
                                           self->cancellable, lists_cb, g_object_ref (self));
}

static void
events_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = eva_api_client_list_finish (EVA_API_CLIENT (source), result, NULL, NULL, &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  guint selected = 0;

  if (events == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_label_set_label (self->setup_message, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->setup_message), TRUE);
        }
      return;
    }
  /* The event the organizer came from first, if the list lacks it. */
  for (guint i = 0; i < self->events->len; i++)
    {
      EvaRecord *preset = g_ptr_array_index (self->events, i);
      gboolean found = FALSE;

      for (guint j = 0; j < events->len; j++)
        found |= g_strcmp0 (eva_record_get_id (g_ptr_array_index (events, j)), eva_record_get_id (preset)) == 0;
      if (!found)
        g_ptr_array_insert (events, 0, g_object_ref (preset));
    }
  g_ptr_array_unref (self->events);
  self->events = g_ptr_array_ref (events);
  for (guint i = 0; i < events->len; i++)
    {
      EvaRecord *e = g_ptr_array_index (events, i);

      gtk_string_list_append (names, eva_record_get_string (e, "title"));
      if (g_strcmp0 (eva_record_get_id (e), self->preset_event) == 0)
        selected = i;
    }
  adw_combo_row_set_model (self->event_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->event_row, selected);
  event_selected_cb (self);
}

static void
start_clicked_cb (EvaDoorPage *self)
{
  guint e = adw_combo_row_get_selected (self->event_row);
  guint l = adw_combo_row_get_selected (self->list_row);
  EvaRecord *event, *list;
  const char *device = gtk_editable_get_text (GTK_EDITABLE (self->device_row));

  if (self->events == NULL || e >= self->events->len || self->lists == NULL || l >= self->lists->len)
    return;
  event = g_ptr_array_index (self->events, e);
  list = g_ptr_array_index (self->lists, l);
  if (*device != '\0')
    g_settings_set_string (self->settings, "door-device-name", device);
  eva_door_page_start (self, eva_record_get_id (event), eva_record_get_string (event, "title"),
                       eva_record_get_id (list), eva_record_get_string (list, "name"));
  if (gtk_switch_get_active (self->kiosk_switch))
    gtk_toggle_button_set_active (self->lock_button, TRUE);
}

/* Kiosk lock */

static void
hash_password (EvaDoorPage *self,
               const char  *password,
               guint8       out[32])
{
  crypto_generichash (out, 32, (const guint8 *) password, strlen (password), self->lock_salt,
                      sizeof self->lock_salt);
}

static void
apply_lock (EvaDoorPage *self,
            gboolean     locked)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  self->locked = locked;
  gtk_widget_set_visible (self->back_button, !locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->camera_dropdown), !locked);
  g_signal_handlers_block_matched (self->lock_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  gtk_toggle_button_set_active (self->lock_button, locked);
  g_signal_handlers_unblock_matched (self->lock_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  if (GTK_IS_WINDOW (root))
    {
      if (locked)
        gtk_window_fullscreen (GTK_WINDOW (root));
      else
        gtk_window_unfullscreen (GTK_WINDOW (root));
      gtk_window_set_deletable (GTK_WINDOW (root), !locked);
    }
}

typedef struct
{
  EvaDoorPage *self;
  GtkWidget   *entry;
  gboolean     locking;
} LockAsk;

static void
lock_login_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  LockAsk *ask = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = eva_api_client_login_finish (EVA_API_CLIENT (source), result, &error);

  if (me != NULL)
    _eva_door_page_lock (ask->self, gtk_editable_get_text (GTK_EDITABLE (ask->entry)));
  else
    eva_report_error (GTK_WIDGET (ask->self), error);
  g_object_unref (ask->entry);
  g_object_unref (ask->self);
  g_free (ask);
}

static void
lock_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  LockAsk          *ask)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (ask->entry));
  EvaRecord *me = ask->self->client != NULL ? eva_api_client_get_me (ask->self->client) : NULL;

  if (g_strcmp0 (response, "ok") != 0)
    {
      apply_lock (ask->self, ask->self->locked);
    }
  else if (ask->locking && me != NULL)
    {
      /* The password is checked by the server once, then kept only as a
       * keyed hash in memory, so leaving works offline too. */
      eva_api_client_login_async (ask->self->client, eva_record_get_string (me, "email"), password, NULL,
                                  lock_login_cb, ask);
      return;
    }
  else if (ask->locking)
    _eva_door_page_lock (ask->self, password);
  else if (!_eva_door_page_unlock (ask->self, password))
    eva_show_toast (GTK_WIDGET (ask->self), _("Wrong password"));
  else if (g_object_get_data (G_OBJECT (dialog), "leave") != NULL)
    g_signal_emit (ask->self, signals[SIGNAL_LEAVE], 0);
  g_object_unref (ask->entry);
  g_object_unref (ask->self);
  g_free (ask);
}

static void
ask_password (EvaDoorPage *self,
              gboolean     locking,
              gboolean     leave)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;
  LockAsk *ask = g_new0 (LockAsk, 1);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       locking ? _("Lock Door Mode?") : _("Unlock Door Mode?"),
                                                       _("Enter your password.")));
  ask->self = g_object_ref (self);
  ask->entry = g_object_ref_sink (gtk_password_entry_new ());
  ask->locking = locking;
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (ask->entry), TRUE);
  adw_message_dialog_set_extra_child (dialog, ask->entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "ok", locking ? _("_Lock") : _("_Unlock"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "ok", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "ok");
  if (leave)
    g_object_set_data (G_OBJECT (dialog), "leave", GINT_TO_POINTER (1));
  g_signal_connect (dialog, "response", G_CALLBACK (lock_response_cb), ask);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
lock_toggled_cb (EvaDoorPage *self)
{
  gboolean want = gtk_toggle_button_get_active (self->lock_button);

  if (want != self->locked)
    ask_password (self, want, FALSE);
}

static void
back_clicked_cb (EvaDoorPage *self)
{
  if (self->locked)
    {
      ask_password (self, FALSE, FALSE);
      return;
    }
  eva_door_page_stop (self);
  gtk_stack_set_visible_child_name (self->door_stack, "setup");
}

static void
leave_clicked_cb (EvaDoorPage *self)
{
  eva_door_page_stop (self);
  g_signal_emit (self, signals[SIGNAL_LEAVE], 0);
}

static void
map_cb (EvaDoorPage *self)
{
  attach_keys (self);
}

static void
unmap_cb (EvaDoorPage *self)
{
  detach_keys (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_door_page_dispose (GObject *object)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (object);

  eva_door_page_stop (self);
  g_cancellable_cancel (self->search_cancellable);
  detach_keys (self);
  g_clear_object (&self->keys);
  if (self->scanner != NULL)
    g_signal_handlers_disconnect_by_data (self->scanner, self);
  g_clear_object (&self->scanner);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_pointer (&self->lists, g_ptr_array_unref);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  g_clear_pointer (&self->recent, g_ptr_array_unref);
  /* The bin lets go of its child first: the template must not unparent
   * it a second time. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_DOOR_PAGE);
  G_OBJECT_CLASS (eva_door_page_parent_class)->dispose (object);
}

static void
eva_door_page_finalize (GObject *object)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (object);

  g_free (self->preset_event);
  g_free (self->event_id);
  g_free (self->list_id);
  g_free (self->device_id);
  g_free (self->device_name);
  g_free (self->last_code);
  g_free (self->pay_code);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  g_string_free (self->burst, TRUE);
  g_string_free (self->conflicts, TRUE);
  G_OBJECT_CLASS (eva_door_page_parent_class)->finalize (object);
}

static void
eva_door_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (object);

  switch (prop_id)
    {
    case PROP_OFFLINE:
      g_value_set_boolean (value, self->offline);
      break;
    case PROP_WAITING:
      g_value_set_uint (value, self->waiting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_door_page_class_init (EvaDoorPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_door_page_dispose;
  object_class->finalize = eva_door_page_finalize;
  object_class->get_property = eva_door_page_get_property;

  properties[PROP_OFFLINE] =
    g_param_spec_boolean ("offline", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WAITING] =
    g_param_spec_uint ("waiting", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* EvaDoorPage::leave: the user leaves door mode. */
  signals[SIGNAL_LEAVE] = g_signal_new ("leave", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* EvaDoorPage::verdict-drawn: a camera scan's verdict was painted,
   * @latency_us after its frame entered the appsink. */
  signals[SIGNAL_VERDICT_DRAWN] = g_signal_new ("verdict-drawn", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-door-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, door_stack);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, setup_leave_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, event_row);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, list_row);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, device_row);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, kiosk_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, setup_message);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, start_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, scanner_title);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, counts_label);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, lock_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, camera_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, conflict_revealer);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, conflict_label);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, camera_picture);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, camera_message);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, search_list);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, recent_list);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_box);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_headline);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_name);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_type);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_reason);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_offline);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, pay_button);
  gtk_widget_class_bind_template_callback (widget_class, leave_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, event_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, start_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, lock_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, camera_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, conflict_dismissed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, pay_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "doorpage");
}

static void
eva_door_page_init (EvaDoorPage *self)
{
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new_with_path (SETTINGS_SCHEMA, SETTINGS_PATH);
  self->cancellable = g_cancellable_new ();
  self->events = g_ptr_array_new_with_free_func (g_object_unref);
  self->lists = g_ptr_array_new_with_free_func (g_object_unref);
  self->results = g_ptr_array_new ();
  self->recent = g_ptr_array_new_with_free_func ((GDestroyNotify) _eva_door_recent_free);
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->burst = g_string_new (NULL);
  self->conflicts = g_string_new (NULL);
  self->verdict_ms = VERDICT_MS;
  randombytes_buf (self->lock_salt, sizeof self->lock_salt);

  self->scanner = eva_door_scanner_new ();
  g_signal_connect (self->scanner, "code", G_CALLBACK (code_cb), self);
  g_signal_connect (self->scanner, "frame", G_CALLBACK (frame_cb), self);
  g_signal_connect_swapped (self->scanner, "notify::message", G_CALLBACK (camera_message_cb), self);

  self->keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (self->keys, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (self->keys, "door-scanner-keys");
  g_signal_connect (self->keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect_swapped (self, "map", G_CALLBACK (map_cb), self);
  g_signal_connect_swapped (self, "unmap", G_CALLBACK (unmap_cb), self);

  gtk_list_box_set_placeholder (self->search_list, placeholder (_("Find a ticket by the holder's name, the buyer's email or the booking reference")));
  gtk_list_box_set_placeholder (self->recent_list, placeholder (_("No scans yet")));

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "released", G_CALLBACK (verdict_clicked_cb), self);
  gtk_widget_add_controller (self->verdict_box, GTK_EVENT_CONTROLLER (click));
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_door_page_new (void)
{
  return g_object_new (EVA_TYPE_DOOR_PAGE, NULL);
}

void
eva_door_page_set_client (EvaDoorPage  *self,
                          EvaApiClient *client)
{
  g_return_if_fail (EVA_IS_DOOR_PAGE (self));

  g_set_object (&self->client, client);
}

/* Shows the choice of event and list; @event (nullable) chosen first. */
void
eva_door_page_open (EvaDoorPage *self,
                    EvaRecord   *event)
{
  g_autofree char *device = NULL;

  g_return_if_fail (EVA_IS_DOOR_PAGE (self));

  eva_door_page_stop (self);
  g_ptr_array_set_size (self->events, 0);
  g_clear_pointer (&self->preset_event, g_free);
  if (event != NULL)
    {
      g_ptr_array_add (self->events, g_object_ref (event));
      self->preset_event = g_strdup (eva_record_get_id (event));
    }
  device = g_settings_get_string (self->settings, "door-device-name");
  gtk_editable_set_text (GTK_EDITABLE (self->device_row), *device != '\0' ? device : g_get_host_name ());
  gtk_widget_set_visible (GTK_WIDGET (self->setup_message), FALSE);
  gtk_stack_set_visible_child_name (self->door_stack, "setup");
  if (self->client != NULL)
    eva_api_client_list_door_events_async (self->client, self->cancellable, events_cb, g_object_ref (self));
}

static void
open_store_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GError *error = NULL;
  EvaDoorStore *store = eva_door_store_open (task_data, &error);

  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* What the main loop needs of it, read here. */
  g_object_set_data_full (G_OBJECT (store), "device-id", eva_door_store_get_meta (store, "device_id"), g_free);
  g_object_set_data_full (G_OBJECT (store), "device-name", eva_door_store_get_meta (store, "device_name"), g_free);
  g_task_return_pointer (task, store, g_object_unref);
}

static void
store_opened_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDoorStore) store = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *device_id = NULL;
  g_autofree char *device_name = NULL;

  if (store == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  self->store = g_steal_pointer (&store);
  device_id = g_strdup (g_object_get_data (G_OBJECT (self->store), "device-id"));
  device_name = g_strdup (g_object_get_data (G_OBJECT (self->store), "device-name"));
  /* A new name for this door is a new device. */
  if (device_id != NULL && g_strcmp0 (device_name, self->device_name) == 0)
    self->device_id = g_steal_pointer (&device_id);
  self->sync_source = g_timeout_add_seconds (self->offline ? EVA_DOOR_SYNC_OFFLINE_S : EVA_DOOR_SYNC_ONLINE_S, _eva_door_page_sync_tick_cb, self);
  _eva_door_page_refresh_waiting (self);
  _eva_door_page_sync (self);
}

/* Starts scanning @list_id of @event_id: the camera, the keyboard
 * scanner, the search, the local store and its sync. */
void
eva_door_page_start (EvaDoorPage *self,
                     const char  *event_id,
                     const char  *event_title,
                     const char  *list_id,
                     const char  *list_name)
{
  g_autofree char *camera = NULL;
  g_autofree char *device = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) cameras = NULL;
  g_autoptr(GtkStringList) model = NULL;
  g_autoptr(GTask) task = NULL;
  guint selected = GTK_INVALID_LIST_POSITION;

  g_return_if_fail (EVA_IS_DOOR_PAGE (self));
  g_return_if_fail (event_id != NULL && list_id != NULL);

  eva_door_page_stop (self);
  self->event_id = g_strdup (event_id);
  self->list_id = g_strdup (list_id);
  device = g_settings_get_string (self->settings, "door-device-name");
  self->device_name = g_strdup (*device != '\0' ? device : g_get_host_name ());
  adw_window_title_set_title (self->scanner_title, event_title != NULL ? event_title : "");
  adw_window_title_set_subtitle (self->scanner_title, list_name != NULL ? list_name : "");
  gtk_label_set_label (self->counts_label, "");
  gtk_stack_set_visible_child_name (self->door_stack, "scanner");
  _eva_door_page_update_status (self);

  /* The store opens (and is created) on a thread. */
  path = eva_door_store_path_for (self->client != NULL ? eva_api_client_get_base_url (self->client) : "",
                                  event_id);
  task = g_task_new (self, self->cancellable, store_opened_cb, NULL);
  g_task_set_task_data (task, g_steal_pointer (&path), g_free);
  g_task_run_in_thread (task, open_store_thread);

  /* The cameras, the last one used first. */
  camera = g_settings_get_string (self->settings, "door-camera");
  cameras = eva_door_scanner_list_cameras ();
  model = gtk_string_list_new ((const char * const *) cameras);
  for (guint i = 0; cameras[i] != NULL; i++)
    if (g_strcmp0 (cameras[i], camera) == 0)
      selected = i;
  g_signal_handlers_block_by_func (self->camera_dropdown, camera_selected_cb, self);
  gtk_drop_down_set_model (self->camera_dropdown, G_LIST_MODEL (model));
  gtk_drop_down_set_selected (self->camera_dropdown, selected != GTK_INVALID_LIST_POSITION ? selected : 0);
  g_signal_handlers_unblock_by_func (self->camera_dropdown, camera_selected_cb, self);
  gtk_widget_set_visible (GTK_WIDGET (self->camera_dropdown), cameras[0] != NULL && cameras[1] != NULL);
  eva_door_scanner_start (self->scanner, selected != GTK_INVALID_LIST_POSITION ? cameras[selected] : NULL);
  attach_keys (self);
}

/* Stops the camera and the sync; what is queued stays in the store. */
void
eva_door_page_stop (EvaDoorPage *self)
{
  g_return_if_fail (EVA_IS_DOOR_PAGE (self));

  if (self->scanner != NULL)
    eva_door_scanner_stop (self->scanner);
  if (self->cancellable != NULL)
    eva_cancellable_renew (&self->cancellable);
  g_clear_handle_id (&self->sync_source, g_source_remove);
  g_clear_handle_id (&self->verdict_source, g_source_remove);
  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_object (&self->frame_clock);
  g_clear_object (&self->store);
  g_clear_pointer (&self->event_id, g_free);
  g_clear_pointer (&self->list_id, g_free);
  g_clear_pointer (&self->device_id, g_free);
  g_clear_pointer (&self->device_name, g_free);
  self->syncing = self->uploading = self->synced = FALSE;
  self->offline = FALSE;
  self->waiting = 0;
  if (self->verdict_box != NULL)
    gtk_widget_set_visible (self->verdict_box, FALSE);
  self->verdict_kind = NULL;
}

/* A code as if scanned (by the camera when @entered_us is its frame's
 * time, else typed). Returns FALSE if it is ignored (no list, or the same
 * code within two seconds of its verdict). */
gboolean
eva_door_page_scan (EvaDoorPage *self,
                    const char  *code,
                    gint64       entered_us)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), FALSE);
  return _eva_door_page_process (self, code, entered_us, FALSE);
}

void
eva_door_page_sync_now (EvaDoorPage *self)
{
  g_return_if_fail (EVA_IS_DOOR_PAGE (self));
  _eva_door_page_sync (self);
}

gboolean
eva_door_page_get_offline (EvaDoorPage *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), FALSE);
  return self->offline;
}

guint
eva_door_page_get_waiting (EvaDoorPage *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), 0);
  return self->waiting;
}

gboolean
eva_door_page_get_locked (EvaDoorPage *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), FALSE);
  return self->locked;
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

void
_eva_door_page_set_offline (EvaDoorPage *self,
             gboolean     offline)
{
  if (self->offline == offline)
    return;
  self->offline = offline;
  _eva_door_page_update_status (self);
  /* Offline: try the server every few seconds; online: sync calmly. */
  g_clear_handle_id (&self->sync_source, g_source_remove);
  if (self->store != NULL)
    self->sync_source = g_timeout_add_seconds (offline ? EVA_DOOR_SYNC_OFFLINE_S : EVA_DOOR_SYNC_ONLINE_S,
                                               _eva_door_page_sync_tick_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE]);
}

void
_eva_door_page_set_waiting (EvaDoorPage *self,
             guint        waiting)
{
  if (self->waiting == waiting)
    return;
  self->waiting = waiting;
  _eva_door_page_update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WAITING]);
}

void
_eva_door_page_emit_verdict_drawn (EvaDoorPage *self,
                                   gint64       latency_us)
{
  g_signal_emit (self, signals[SIGNAL_VERDICT_DRAWN], 0, latency_us);
}


const char *
_eva_door_page_get_verdict_kind (EvaDoorPage *self)
{
  return self->verdict_kind;
}

const char *
_eva_door_page_get_verdict_text (EvaDoorPage *self,
                                 const char  *which)
{
  GtkLabel *label = g_str_equal (which, "headline") ? self->verdict_headline
                    : g_str_equal (which, "name") ? self->verdict_name
                    : g_str_equal (which, "type") ? self->verdict_type
                    : g_str_equal (which, "reason") ? self->verdict_reason
                    : self->verdict_offline;

  return gtk_label_get_label (label);
}

EvaDoorSound
_eva_door_page_get_last_sound (EvaDoorPage *self)
{
  return self->last_sound;
}

guint
_eva_door_page_get_verdicts (EvaDoorPage *self)
{
  return self->verdicts;
}

gint64
_eva_door_page_get_last_latency (EvaDoorPage *self)
{
  return self->last_latency_us;
}

gint64
_eva_door_page_get_last_decided (EvaDoorPage *self)
{
  return self->last_decided_us;
}

const char *
_eva_door_page_get_counts_text (EvaDoorPage *self)
{
  return gtk_label_get_label (self->counts_label);
}

const char *
_eva_door_page_get_status_text (EvaDoorPage *self)
{
  return gtk_revealer_get_reveal_child (self->status_revealer) ? gtk_label_get_label (self->status_label) : NULL;
}

const char *
_eva_door_page_get_conflict_text (EvaDoorPage *self)
{
  return gtk_revealer_get_reveal_child (self->conflict_revealer) ? gtk_label_get_label (self->conflict_label) : NULL;
}

guint
_eva_door_page_get_recent_count (EvaDoorPage *self)
{
  return self->recent->len;
}

/* "Holder: subtitle" of the @index-th last scan (0 the newest). */
char *
_eva_door_page_describe_recent (EvaDoorPage *self,
                                guint        index)
{
  Recent *r;

  g_return_val_if_fail (index < self->recent->len, NULL);
  r = g_ptr_array_index (self->recent, index);
  return g_strdup_printf ("%s: %s", r->holder, adw_action_row_get_subtitle (r->row));
}

void
_eva_door_page_undo_recent (EvaDoorPage *self,
                            guint        index)
{
  g_return_if_fail (index < self->recent->len);
  _eva_door_page_undo (self, g_ptr_array_index (self->recent, index));
}

GtkWidget *
_eva_door_page_get_widget (EvaDoorPage *self,
                           const char  *name)
{
  if (g_str_equal (name, "search"))
    return GTK_WIDGET (self->search_entry);
  if (g_str_equal (name, "verdict"))
    return self->verdict_box;
  if (g_str_equal (name, "camera"))
    return GTK_WIDGET (self->camera_picture);
  if (g_str_equal (name, "cameras"))
    return GTK_WIDGET (self->camera_dropdown);
  if (g_str_equal (name, "camera-message"))
    return GTK_WIDGET (self->camera_message);
  if (g_str_equal (name, "stack"))
    return GTK_WIDGET (self->door_stack);
  if (g_str_equal (name, "start"))
    return self->start_button;
  if (g_str_equal (name, "event"))
    return GTK_WIDGET (self->event_row);
  if (g_str_equal (name, "list"))
    return GTK_WIDGET (self->list_row);
  if (g_str_equal (name, "back"))
    return self->back_button;
  if (g_str_equal (name, "pay"))
    return self->pay_button;
  return NULL;
}

guint
_eva_door_page_get_search_count (EvaDoorPage *self)
{
  return self->results->len;
}

void
_eva_door_page_check_in_result (EvaDoorPage *self,
                                guint        index)
{
  GtkWidget *action;

  g_return_if_fail (index < self->results->len);
  action = g_object_get_data (g_ptr_array_index (self->results, index), "action");
  g_return_if_fail (GTK_IS_BUTTON (action));
  g_signal_emit_by_name (action, "clicked");
}

void
_eva_door_page_pay_and_admit (EvaDoorPage *self)
{
  pay_clicked_cb (self);
}

gboolean
_eva_door_page_get_synced (EvaDoorPage *self)
{
  return self->synced;
}

guint
_eva_door_page_get_syncs (EvaDoorPage *self)
{
  return self->syncs;
}

EvaDoorScanner *
_eva_door_page_get_scanner (EvaDoorPage *self)
{
  return self->scanner;
}

void
_eva_door_page_set_verdict_ms (EvaDoorPage *self,
                               guint        ms)
{
  self->verdict_ms = ms;
}

/* Locks with @password (already checked by the caller). */
void
_eva_door_page_lock (EvaDoorPage *self,
                     const char  *password)
{
  hash_password (self, password, self->lock_hash);
  apply_lock (self, TRUE);
}

gboolean
_eva_door_page_unlock (EvaDoorPage *self,
                       const char  *password)
{
  guint8 hash[32];

  hash_password (self, password, hash);
  if (sodium_memcmp (hash, self->lock_hash, sizeof hash) != 0)
    return FALSE;
  sodium_memzero (self->lock_hash, sizeof self->lock_hash);
  apply_lock (self, FALSE);
  return TRUE;
}
