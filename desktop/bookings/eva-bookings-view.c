/* eva-bookings-view.c: the bookings of an event
 *
 * A boxed list over EvaBookingList: the server pages, searches (name or
 * email) and filters by status; the next page is asked for as the list
 * nears its end. "Awaiting Payment" (status=awaiting_payment) shows
 * the bookings whose money is not in yet, transfers awaited and bookings
 * to pay at the door; a row's badge says paid or unpaid beside its
 * status, or what is awaited (a transfer, a card) in the status's place.
 * A row opens the booking in EvaBookingDialog, where it can be cancelled. "Export CSV…" saves every booking of the event as the
 * server writes it (Accept: text/csv) to a file chosen with
 * GtkFileChooserNative, so it works inside Flatpak; fetching and writing
 * are both asynchronous.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-bookings-view"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "bookings/eva-booking-dialog.h"
#include "bookings/eva-bookings-view.h"
#include "widgets/eva-payments.h"
#include "widgets/eva-utils.h"

/* Ask for the next page this many pixels before the end. */
#define LOAD_MORE_MARGIN 600

struct _EvaBookingsView
{
  GtkWidget             parent_instance;

  GtkStack             *stack;
  AdwStatusPage        *error_page;
  GtkScrolledWindow    *scrolled_window;
  GtkSearchEntry       *search_entry;
  GtkDropDown          *status_dropdown;
  GtkToggleButton      *awaiting_button;
  AdwPreferencesGroup  *group;
  GtkButton            *export_button;
  AdwButtonContent     *export_content;
  GtkStack             *results_stack;
  GtkListBox           *list_box;
  GtkSpinner           *more_spinner;

  EvaApiClient         *client;
  EvaRecord            *event;
  EvaBookingList       *list;
  GCancellable         *export_cancellable;
  GtkFileChooserNative *chooser;
  guint                 load_more_idle;
  gboolean              failed;
};

G_DEFINE_FINAL_TYPE (EvaBookingsView, eva_bookings_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_EXPORTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One export on its way: the CSV is fetched, then written to file. */
typedef struct
{
  EvaBookingsView *self;
  GFile           *file;
} Export;

static void
export_free (Export *export)
{
  g_object_unref (export->self);
  g_object_unref (export->file);
  g_free (export);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Export, export_free)

static const char * const statuses[] = {
  NULL, "confirmed", "pending_payment", "held", "cancelled", "expired", "refunded",
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
is_filtered (EvaBookingsView *self)
{
  return self->list != NULL &&
         (eva_booking_list_get_search (self->list) != NULL ||
          eva_booking_list_get_status (self->list) != NULL);
}

static void
update_stack (EvaBookingsView *self)
{
  guint n;
  gint64 total;
  g_autofree char *count = NULL;

  if (self->list == NULL || self->event == NULL)
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  total = eva_booking_list_get_total (self->list);
  gtk_widget_set_visible (GTK_WIDGET (self->more_spinner),
                          n > 0 && eva_booking_list_get_loading (self->list));

  if (n == 0 && !eva_booking_list_get_loaded (self->list))
    {
      if (!self->failed)
        gtk_stack_set_visible_child_name (self->stack, "loading");
      return;
    }
  if (n == 0 && !is_filtered (self))
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d booking", "%d bookings", total),
                           (int) total);
  adw_preferences_group_set_description (self->group, count);
  gtk_stack_set_visible_child_name (self->results_stack, n > 0 ? "rows" : "none");
  gtk_stack_set_visible_child_name (self->stack, "list");
}

static gboolean
load_more_cb (gpointer user_data)
{
  EvaBookingsView *self = user_data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);

  self->load_more_idle = 0;
  if (self->list == NULL || !eva_booking_list_get_has_more (self->list))
    return G_SOURCE_REMOVE;
  if (gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >=
      gtk_adjustment_get_upper (adj) - LOAD_MORE_MARGIN)
    eva_booking_list_load_more (self->list);
  return G_SOURCE_REMOVE;
}

/* The adjustment changes while the list is being allocated: the next page
 * (and the spinner it shows) must wait until that is over. */
static void
maybe_load_more (EvaBookingsView *self)
{
  if (self->load_more_idle == 0)
    self->load_more_idle = g_idle_add (load_more_cb, self);
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  EvaRecord *booking = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *suffix;
  GtkWidget *total_label;
  GtkWidget *status_label;
  GtkWidget *pills;
  EvaPaymentState state;
  const char *name = eva_booking_get_attendee (booking, "name");
  const char *email = eva_booking_get_attendee (booking, "email");
  const char *status = eva_record_get_string (booking, "status");
  gint64 tickets = eva_booking_count_tickets (booking);
  g_autofree char *total = eva_format_money (eva_record_get_int (booking, "total", 0),
                                             eva_record_get_string (booking, "currency"));
  g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d ticket", "%d tickets",
                                                         tickets),
                                            (int) tickets);
  g_autofree char *subtitle = NULL;
  g_autofree char *reference = eva_booking_get_reference (booking);
  gboolean has_name = name != NULL && *name != '\0';

  if (has_name && email != NULL)
    /* Translators: the booking's reference, the attendee's email, then
     * how many tickets, e.g. "1E047278 · ada@example.org · 2 tickets" */
    subtitle = g_strdup_printf (_("%s · %s · %s"), reference, email, count);
  else
    /* Translators: the booking's reference, then how many tickets, e.g.
     * "1E047278 · 2 tickets" */
    subtitle = g_strdup_printf (_("%s · %s"), reference, count);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 has_name ? name : email != NULL ? email : "");
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);

  /* Total over status, so the name keeps its room on a phone */
  suffix = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
  total_label = gtk_label_new (total);
  gtk_widget_set_halign (total_label, GTK_ALIGN_END);
  gtk_widget_add_css_class (total_label, "booking-total");
  gtk_box_append (GTK_BOX (suffix), total_label);
  pills = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_widget_set_halign (pills, GTK_ALIGN_END);
  state = eva_booking_payment_state (booking);
  if (state == EVA_PAYMENT_STATE_AWAITING)
    {
      const char *method = eva_record_get_string (booking, "payment_method");
      const char *label = NULL;

      /* What is awaited says more than the status ("Payment Pending"),
       * and in its place: two pills leave a phone's row no room for the
       * name. */
      if (g_strcmp0 (method, "bank_transfer") == 0)
        label = C_("payment state", "Awaiting Transfer");
      else if (g_strcmp0 (method, "card") == 0)
        label = C_("payment state", "Awaiting Card");
      status_label = gtk_label_new (label != NULL ? label : eva_booking_status_label (status));
      gtk_widget_add_css_class (status_label, "payment-badge");
      g_object_set_data (G_OBJECT (row), "eva-payment-badge", status_label);
    }
  else
    {
      if (state != EVA_PAYMENT_STATE_NONE)
        {
          GtkWidget *badge = gtk_label_new (eva_payment_state_label (state));

          gtk_widget_add_css_class (badge, "status-pill");
          gtk_widget_add_css_class (badge, "caption-heading");
          gtk_widget_add_css_class (badge, "payment-badge");
          eva_set_status_class (badge, eva_payment_state_css (state));
          gtk_box_append (GTK_BOX (pills), badge);
          g_object_set_data (G_OBJECT (row), "eva-payment-badge", badge);
        }
      status_label = gtk_label_new (eva_booking_status_label (status));
    }
  gtk_widget_add_css_class (status_label, "status-pill");
  gtk_widget_add_css_class (status_label, "caption-heading");
  eva_set_status_class (status_label, status);
  gtk_box_append (GTK_BOX (pills), status_label);
  gtk_box_append (GTK_BOX (suffix), pills);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);

  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "booking", g_object_ref (booking), g_object_unref);
  return row;
}

static void
set_exporting (EvaBookingsView *self,
               gboolean         exporting)
{
  if ((self->export_cancellable != NULL) == exporting)
    return;
  if (exporting)
    self->export_cancellable = g_cancellable_new ();
  else
    g_clear_object (&self->export_cancellable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), !exporting);
  adw_button_content_set_label (self->export_content, exporting ? _("Exporting…") : _("_Export CSV…"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORTING]);
}

static void
report_export_error (EvaBookingsView *self,
                     const GError    *error)
{
  /* Translators: %s says why, e.g. "Permission denied" */
  g_autofree char *message = g_strdup_printf (_("Could not export the bookings: %s"), error->message);

  if (eva_api_error_is_offline (error))
    eva_report_error (GTK_WIDGET (self), error);
  eva_show_toast (GTK_WIDGET (self), message);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
filter_changed_cb (EvaBookingsView *self)
{
  guint status = gtk_drop_down_get_selected (self->status_dropdown);
  gboolean awaiting = gtk_toggle_button_get_active (self->awaiting_button);

  /* "Awaiting Payment" is a status filter of its own. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->status_dropdown), !awaiting);
  if (self->list == NULL)
    return;
  eva_booking_list_set_search (self->list, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  eva_booking_list_set_status (self->list,
                               awaiting ? "awaiting_payment"
                               : status < G_N_ELEMENTS (statuses) ? statuses[status] : NULL);
}

static void
list_failed_cb (EvaBookingsView *self,
                GError          *error)
{
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_IMPLEMENTED))
    {
      self->failed = TRUE;
      gtk_stack_set_visible_child_name (self->stack, "unavailable");
      return;
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->list)) == 0 &&
      !eva_booking_list_get_loaded (self->list))
    {
      self->failed = TRUE;
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  update_stack (self);
  eva_report_error (GTK_WIDGET (self), error);
}

static void
booking_changed_cb (EvaBookingsView *self,
                    EvaRecord       *booking)
{
  /* Filtered by status, it may not belong in the list any more. */
  if (eva_booking_list_get_status (self->list) != NULL ||
      !eva_booking_list_update (self->list, booking))
    eva_booking_list_reload (self->list);
}

static void
row_activated_cb (EvaBookingsView *self,
                  GtkListBoxRow   *row)
{
  EvaRecord *booking = g_object_get_data (G_OBJECT (row), "booking");

  if (booking != NULL)
    eva_bookings_view_open_booking (self, booking);
}

static void
file_written_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EvaBookingsView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_exporting (self, FALSE);
      report_export_error (self, error);
      return;
    }
  set_exporting (self, FALSE);
  name = g_file_get_basename (G_FILE (source));
  /* Translators: %s is the name of the file the bookings went to */
  message = g_strdup_printf (_("Bookings exported to “%s”"), name);
  eva_show_toast (GTK_WIDGET (self), message);
}

static void
csv_fetched_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Export) export = user_data;
  EvaBookingsView *self = export->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) csv = eva_api_client_export_bookings_finish (EVA_API_CLIENT (source), result, &error);

  if (csv == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_exporting (self, FALSE);
      report_export_error (self, error);
      return;
    }
  g_file_replace_contents_bytes_async (export->file, csv, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION,
                                       self->export_cancellable, file_written_cb,
                                       g_object_ref (self));
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  EvaBookingsView *self = user_data;
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->chooser);
  if (file != NULL)
    eva_bookings_view_export_to_file (self, file);
}

static void
export_clicked_cb (EvaBookingsView *self)
{
  eva_bookings_view_export (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_bookings_view_dispose (GObject *object)
{
  EvaBookingsView *self = EVA_BOOKINGS_VIEW (object);
  GtkWidget *child;

  g_clear_handle_id (&self->load_more_idle, g_source_remove);
  g_cancellable_cancel (self->export_cancellable);
  g_clear_object (&self->export_cancellable);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
    }
  g_clear_object (&self->chooser);
  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_BOOKINGS_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->list);
  g_clear_object (&self->client);
  g_clear_object (&self->event);

  G_OBJECT_CLASS (eva_bookings_view_parent_class)->dispose (object);
}

static void
eva_bookings_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EvaBookingsView *self = EVA_BOOKINGS_VIEW (object);

  switch (prop_id)
    {
    case PROP_EXPORTING:
      g_value_set_boolean (value, eva_bookings_view_get_exporting (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_bookings_view_class_init (EvaBookingsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_bookings_view_dispose;
  object_class->get_property = eva_bookings_view_get_property;

  properties[PROP_EXPORTING] =
    g_param_spec_boolean ("exporting", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-bookings-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, awaiting_button);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, group);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, export_button);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, export_content);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, results_stack);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, list_box);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingsView, more_spinner);
  gtk_widget_class_bind_template_callback (widget_class, eva_bookings_view_reload);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_bookings_view_init (EvaBookingsView *self)
{
  GtkAdjustment *adj;

  gtk_widget_init_template (GTK_WIDGET (self));

  adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (maybe_load_more), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "changed", G_CALLBACK (maybe_load_more), self,
                           G_CONNECT_SWAPPED);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_bookings_view_new (void)
{
  return g_object_new (EVA_TYPE_BOOKINGS_VIEW, NULL);
}

void
eva_bookings_view_set_client (EvaBookingsView *self,
                              EvaApiClient    *client)
{
  g_return_if_fail (EVA_IS_BOOKINGS_VIEW (self));
  g_return_if_fail (EVA_IS_API_CLIENT (client));

  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  g_clear_object (&self->list);
  g_set_object (&self->client, client);

  self->list = eva_booking_list_new (client);
  g_signal_connect_swapped (self->list, "notify::loading", G_CALLBACK (update_stack), self);
  g_signal_connect_swapped (self->list, "notify::loaded", G_CALLBACK (update_stack), self);
  g_signal_connect_swapped (self->list, "notify::n-items", G_CALLBACK (update_stack), self);
  g_signal_connect_swapped (self->list, "notify::total", G_CALLBACK (update_stack), self);
  g_signal_connect_swapped (self->list, "notify::has-more", G_CALLBACK (maybe_load_more), self);
  g_signal_connect_swapped (self->list, "failed", G_CALLBACK (list_failed_cb), self);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->list), create_row_cb, self, NULL);
  filter_changed_cb (self);
  if (self->event != NULL)
    eva_booking_list_set_event_id (self->list, eva_record_get_id (self->event));
}

/* Shows the bookings of @event (or nothing, for NULL); the search and
 * filter start afresh. */
void
eva_bookings_view_set_event (EvaBookingsView *self,
                             EvaRecord       *event)
{
  gboolean same;

  g_return_if_fail (EVA_IS_BOOKINGS_VIEW (self));
  g_return_if_fail (event == NULL || EVA_IS_RECORD (event));

  same = self->event != NULL && event != NULL &&
         g_strcmp0 (eva_record_get_id (self->event), eva_record_get_id (event)) == 0;
  g_set_object (&self->event, event);
  self->failed = FALSE;
  if (self->list == NULL)
    return;
  if (same)
    {
      eva_bookings_view_reload (self);
      return;
    }
  /* Another event: its own first page, unfiltered. */
  eva_booking_list_set_event_id (self->list, NULL);
  eva_bookings_view_set_filter (self, NULL, NULL);
  if (event != NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "loading");
      eva_booking_list_set_event_id (self->list, eva_record_get_id (event));
    }
}

void
eva_bookings_view_reload (EvaBookingsView *self)
{
  g_return_if_fail (EVA_IS_BOOKINGS_VIEW (self));

  if (self->list == NULL || self->event == NULL)
    return;
  self->failed = FALSE;
  if (g_list_model_get_n_items (G_LIST_MODEL (self->list)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  eva_booking_list_reload (self->list);
}

/* "loading", "unavailable", "error", "empty" or "list". */
const char *
eva_bookings_view_get_state (EvaBookingsView *self)
{
  g_return_val_if_fail (EVA_IS_BOOKINGS_VIEW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

/**
 * eva_bookings_view_get_list:
 *
 * Returns: (transfer none) (nullable): the model
 */
EvaBookingList *
eva_bookings_view_get_list (EvaBookingsView *self)
{
  g_return_val_if_fail (EVA_IS_BOOKINGS_VIEW (self), NULL);
  return self->list;
}

/* Sets the search text and the status filter ("confirmed",
 * "awaiting_payment", or NULL for every status), as if typed and chosen. */
void
eva_bookings_view_set_filter (EvaBookingsView *self,
                              const char      *search,
                              const char      *status)
{
  guint selected = 0;

  g_return_if_fail (EVA_IS_BOOKINGS_VIEW (self));

  for (guint i = 1; i < G_N_ELEMENTS (statuses); i++)
    if (g_strcmp0 (statuses[i], status) == 0)
      selected = i;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), search != NULL ? search : "");
  gtk_drop_down_set_selected (self->status_dropdown, selected);
  gtk_toggle_button_set_active (self->awaiting_button, g_strcmp0 (status, "awaiting_payment") == 0);
  /* At once, not after the search entry's typing delay. */
  filter_changed_cb (self);
}

/**
 * eva_bookings_view_open_booking:
 *
 * Shows @booking in its own dialog.
 *
 * Returns: (transfer none): the dialog
 */
GtkWindow *
eva_bookings_view_open_booking (EvaBookingsView *self,
                                EvaRecord       *booking)
{
  GtkWindow *dialog;

  g_return_val_if_fail (EVA_IS_BOOKINGS_VIEW (self), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);
  g_return_val_if_fail (self->client != NULL, NULL);

  dialog = eva_booking_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   self->client, self->event, booking);
  g_signal_connect_object (dialog, "changed", G_CALLBACK (booking_changed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
  return dialog;
}

/* Asks where to save the CSV, then exports there. */
void
eva_bookings_view_export (EvaBookingsView *self)
{
  g_autoptr(GtkFileFilter) filter = NULL;
  g_autofree char *name = NULL;
  const char *slug;

  g_return_if_fail (EVA_IS_BOOKINGS_VIEW (self));

  if (self->event == NULL || eva_bookings_view_get_exporting (self))
    return;

  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
    }
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Export Bookings"),
                                               GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("CSV Files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  slug = eva_record_get_string (self->event, "slug");
  /* Translators: the suggested file name of an export; %s is the
   * event's short name, e.g. "spring-concert-bookings.csv" */
  name = g_strdup_printf (_("%s-bookings.csv"), slug != NULL ? slug : "event");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Fetches every booking of the event as CSV and writes it to @file;
 * a toast says how it went. */
void
eva_bookings_view_export_to_file (EvaBookingsView *self,
                                  GFile           *file)
{
  Export *export;

  g_return_if_fail (EVA_IS_BOOKINGS_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->event == NULL || self->client == NULL || eva_bookings_view_get_exporting (self))
    return;
  set_exporting (self, TRUE);
  export = g_new0 (Export, 1);
  export->self = g_object_ref (self);
  export->file = g_object_ref (file);
  eva_api_client_export_bookings_async (self->client, eva_record_get_id (self->event), NULL, NULL,
                                        self->export_cancellable, csv_fetched_cb, export);
}

/* The payment badge of the @position-th row ("Paid", "Unpaid"), or NULL
 * when it has none. */
const char *
eva_bookings_view_get_badge (EvaBookingsView *self,
                             guint            position)
{
  GtkListBoxRow *row;
  GtkWidget *badge;

  g_return_val_if_fail (EVA_IS_BOOKINGS_VIEW (self), NULL);

  row = gtk_list_box_get_row_at_index (self->list_box, position);
  badge = row != NULL ? g_object_get_data (G_OBJECT (row), "eva-payment-badge") : NULL;
  return badge != NULL ? gtk_label_get_label (GTK_LABEL (badge)) : NULL;
}

gboolean
eva_bookings_view_get_exporting (EvaBookingsView *self)
{
  g_return_val_if_fail (EVA_IS_BOOKINGS_VIEW (self), FALSE);
  return self->export_cancellable != NULL;
}
