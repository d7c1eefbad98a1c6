/* eva-refund-all-dialog.c: give back the money of every paid booking of
 * an event, with a progress bar and a report
 *
 * Meant for a cancelled event. The confirmed bookings of the event are
 * read page by page (GET /api/v1/admin/events/{id}/bookings?status=
 * confirmed); those with money paid and not yet given back are refunded
 * one after the other (POST /api/v1/admin/bookings/{id}/refund, reason
 * requested_by_customer, note "Event cancelled"). Card money goes back
 * through the gateway; money paid by transfer or at the door is sent with
 * "settled": false, so the server records it as still to pay back. A
 * progress bar counts them; the report says what was refunded, what is
 * recorded as to pay back, and which failed and why, with a retry for
 * those, each with the Idempotency-Key of its first try (a refund whose
 * answer was lost is not made twice). Closing the window stops after the
 * booking on its way.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-refund-all-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-utils.h"
#include "bookings/eva-refund-all-dialog.h"
#include "widgets/eva-payments.h"
#include "widgets/eva-utils.h"

#define PAGE_SIZE 100

struct _EvaRefundAllDialog
{
  AdwWindow            parent_instance;

  AdwWindowTitle      *window_title;
  GtkStack            *stack;
  GtkLabel            *progress_label;
  GtkProgressBar      *progress_bar;
  AdwStatusPage       *report_page;
  AdwPreferencesGroup *summary_group;
  AdwActionRow        *refunded_row;
  GtkLabel            *refunded_label;
  AdwActionRow        *to_refund_row;
  GtkLabel            *to_refund_label;
  AdwPreferencesGroup *failed_group;
  GtkButton           *retry_button;

  EvaApiClient        *client;
  EvaRecord           *event;
  GCancellable        *cancellable;

  GPtrArray           *queue;      /* EvaRecord: bookings to refund */
  guint                next;       /* index into queue */
  GPtrArray           *refunded;   /* EvaRecord: refunds made */
  GPtrArray           *to_refund;  /* EvaRecord: refunds recorded as owed */
  GPtrArray           *failed;     /* EvaRecord: bookings, "eva-error" set */
  GPtrArray           *failed_rows;
  gboolean             running;
};

G_DEFINE_FINAL_TYPE (EvaRefundAllDialog, eva_refund_all_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void refund_next (EvaRefundAllDialog *self);

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
currency (EvaRefundAllDialog *self)
{
  return eva_record_get_string (self->event, "currency");
}

static void
set_running (EvaRefundAllDialog *self,
             gboolean            running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* "Ada Lovelace · 1E047278": who, and which of their bookings. */
static char *
who (EvaRecord *booking)
{
  const char *name = eva_booking_get_attendee (booking, "name");
  g_autofree char *reference = eva_booking_get_reference (booking);

  if (name == NULL || *name == '\0')
    name = eva_booking_get_attendee (booking, "email");
  if (name == NULL)
    return g_steal_pointer (&reference);
  /* Translators: who booked, then the booking's reference, e.g.
   * "Ada Lovelace · 1E047278" */
  return g_strdup_printf (_("%s · %s"), name, reference);
}

static gint64
sum_amounts (GPtrArray *records)
{
  gint64 sum = 0;

  for (guint i = 0; i < records->len; i++)
    sum += eva_record_get_int (g_ptr_array_index (records, i), "amount", 0);
  return sum;
}

static void
update_progress (EvaRefundAllDialog *self)
{
  g_autofree char *text = NULL;
  guint total = self->queue->len;

  if (total == 0)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      gtk_label_set_label (self->progress_label, _("Looking for paid bookings…"));
      return;
    }
  gtk_progress_bar_set_fraction (self->progress_bar, (double) self->next / total);
  /* Translators: how many bookings are done of how many, e.g. "Refunding 3 of 12…" */
  text = g_strdup_printf (_("Refunding %u of %u…"), MIN (self->next + 1, total), total);
  gtk_label_set_label (self->progress_label, text);
}

static void
show_report (EvaRefundAllDialog *self)
{
  g_autofree char *refunded = eva_format_money (sum_amounts (self->refunded), currency (self));
  g_autofree char *to_refund = eva_format_money (sum_amounts (self->to_refund), currency (self));
  g_autofree char *refunded_count = NULL;
  g_autofree char *to_refund_count = NULL;
  g_autofree char *failed_title = NULL;

  set_running (self, FALSE);
  gtk_progress_bar_set_fraction (self->progress_bar, 1);

  if (self->queue->len == 0)
    {
      adw_status_page_set_icon_name (self->report_page, "emblem-ok-symbolic");
      adw_status_page_set_title (self->report_page, _("Nothing to Refund"));
      adw_status_page_set_description (self->report_page,
                                       _("No confirmed booking of this event has money paid."));
    }
  else if (self->failed->len > 0)
    {
      adw_status_page_set_icon_name (self->report_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->report_page, _("Some Refunds Failed"));
      adw_status_page_set_description (self->report_page,
                                       _("The others are done. Try the failed ones again, or refund them one by one."));
    }
  else
    {
      adw_status_page_set_icon_name (self->report_page, "emblem-ok-symbolic");
      adw_status_page_set_title (self->report_page, _("Refunds Done"));
      adw_status_page_set_description (self->report_page,
                                       self->to_refund->len > 0
                                       ? _("Money paid by transfer or at the door is recorded as still to pay back: pay it back yourself.")
                                       : _("Every paid booking of this event has its money back."));
    }

  gtk_widget_set_visible (GTK_WIDGET (self->summary_group), self->queue->len > 0);
  refunded_count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u booking", "%u bookings",
                                                 self->refunded->len), self->refunded->len);
  adw_action_row_set_subtitle (self->refunded_row, refunded_count);
  gtk_label_set_label (self->refunded_label, refunded);
  to_refund_count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u booking", "%u bookings",
                                                  self->to_refund->len), self->to_refund->len);
  adw_action_row_set_subtitle (self->to_refund_row, to_refund_count);
  gtk_label_set_label (self->to_refund_label, to_refund);
  gtk_widget_set_visible (GTK_WIDGET (self->to_refund_row), self->to_refund->len > 0);

  for (guint i = 0; i < self->failed_rows->len; i++)
    adw_preferences_group_remove (self->failed_group, g_ptr_array_index (self->failed_rows, i));
  g_ptr_array_set_size (self->failed_rows, 0);
  for (guint i = 0; i < self->failed->len; i++)
    {
      EvaRecord *booking = g_ptr_array_index (self->failed, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = who (booking);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   g_object_get_data (G_OBJECT (booking), "eva-error"));
      adw_preferences_group_add (self->failed_group, row);
      g_ptr_array_add (self->failed_rows, row);
    }
  /* Translators: the title of the list of refunds that failed */
  failed_title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Failed", "%u Failed",
                                               self->failed->len), self->failed->len);
  adw_preferences_group_set_title (self->failed_group, failed_title);
  gtk_widget_set_visible (GTK_WIDGET (self->failed_group), self->failed->len > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button), TRUE);
  gtk_stack_set_visible_child_name (self->stack, "report");
}

static void
fail_booking (EvaRefundAllDialog *self,
              EvaRecord          *booking,
              const char         *message)
{
  g_object_set_data_full (G_OBJECT (booking), "eva-error", g_strdup (message), g_free);
  g_ptr_array_add (self->failed, g_object_ref (booking));
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
refunded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EvaRefundAllDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) refund = NULL;
  g_autoptr(EvaRecord) booking = eva_api_client_payment_finish (EVA_API_CLIENT (source), result,
                                                                &refund, &error);
  EvaRecord *asked;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  asked = g_ptr_array_index (self->queue, self->next);
  self->next++;
  if (booking == NULL)
    fail_booking (self, asked, error->message);
  else
    {
      g_autoptr(EvaRecord) made = refund != NULL ? g_object_ref (refund) : NULL;

      if (made == NULL)
        {
          /* An answer without the refund: what the booking lost is it. */
          g_autoptr(JsonObject) object = json_object_new ();

          json_object_set_int_member (object, "amount", eva_booking_get_refundable (asked));
          json_object_set_string_member (object, "status", "succeeded");
          made = eva_record_new (object);
        }
      g_object_set_data_full (G_OBJECT (made), "eva-booking", g_object_ref (booking), g_object_unref);
      if (g_strcmp0 (eva_record_get_string (made, "status"), "failed") == 0)
        fail_booking (self, asked, eva_record_get_string (made, "error") ?: _("The refund failed"));
      else
        {
          /* Which list first: the order arguments are evaluated in is
           * not defined, and the other one takes @made away. */
          GPtrArray *into = g_strcmp0 (eva_record_get_string (made, "status"), "to_refund") == 0
                            ? self->to_refund : self->refunded;

          g_ptr_array_add (into, g_steal_pointer (&made));
        }
    }
  refund_next (self);
}

static void
refund_next (EvaRefundAllDialog *self)
{
  g_autoptr(JsonObject) fields = NULL;
  EvaRecord *booking;
  char *key;

  update_progress (self);
  if (self->next >= self->queue->len)
    {
      show_report (self);
      return;
    }
  booking = g_ptr_array_index (self->queue, self->next);
  key = g_object_get_data (G_OBJECT (booking), "eva-refund-key");
  if (key == NULL)
    {
      key = g_uuid_string_random ();
      g_object_set_data_full (G_OBJECT (booking), "eva-refund-key", key, g_free);
    }
  fields = json_object_new ();
  json_object_set_string_member (fields, "reason", "requested_by_customer");
  json_object_set_string_member (fields, "note", "Event cancelled");
  if (eva_booking_pays_offline (booking))
    json_object_set_boolean_member (fields, "settled", FALSE);
  eva_api_client_refund_booking_async (self->client, eva_record_get_id (booking), fields, key,
                                       self->cancellable, refunded_cb, g_object_ref (self));
}

static void list_page (EvaRefundAllDialog *self,
                       const char         *cursor);

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaRefundAllDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *next_cursor = NULL;
  g_autoptr(GPtrArray) page = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                          &next_cursor, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (page == NULL)
    {
      set_running (self, FALSE);
      adw_status_page_set_icon_name (self->report_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->report_page, _("Could Not Read the Bookings"));
      adw_status_page_set_description (self->report_page, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->summary_group), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->failed_group), FALSE);
      gtk_stack_set_visible_child_name (self->stack, "report");
      return;
    }
  for (guint i = 0; i < page->len; i++)
    {
      EvaRecord *booking = g_ptr_array_index (page, i);

      if (g_strcmp0 (eva_record_get_string (booking, "status"), "confirmed") == 0 &&
          eva_booking_can_refund (booking))
        g_ptr_array_add (self->queue, g_object_ref (booking));
    }
  if (next_cursor != NULL && page->len > 0)
    {
      list_page (self, next_cursor);
      return;
    }
  refund_next (self);
}

static void
list_page (EvaRefundAllDialog *self,
           const char         *cursor)
{
  eva_api_client_list_bookings_async (self->client, eva_record_get_id (self->event), NULL,
                                      "confirmed", cursor, PAGE_SIZE, self->cancellable,
                                      listed_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_refund_all_dialog_dispose (GObject *object)
{
  EvaRefundAllDialog *self = EVA_REFUND_ALL_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_REFUND_ALL_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->event);
  g_clear_pointer (&self->queue, g_ptr_array_unref);
  g_clear_pointer (&self->refunded, g_ptr_array_unref);
  g_clear_pointer (&self->to_refund, g_ptr_array_unref);
  g_clear_pointer (&self->failed, g_ptr_array_unref);
  g_clear_pointer (&self->failed_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (eva_refund_all_dialog_parent_class)->dispose (object);
}

static void
eva_refund_all_dialog_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  EvaRefundAllDialog *self = EVA_REFUND_ALL_DIALOG (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_refund_all_dialog_class_init (EvaRefundAllDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_refund_all_dialog_dispose;
  object_class->get_property = eva_refund_all_dialog_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-refund-all-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, report_page);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, summary_group);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, refunded_row);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, refunded_label);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, to_refund_row);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, to_refund_label);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, failed_group);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundAllDialog, retry_button);
  gtk_widget_class_bind_template_callback (widget_class, eva_refund_all_dialog_retry);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_refund_all_dialog_init (EvaRefundAllDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->queue = g_ptr_array_new_with_free_func (g_object_unref);
  self->refunded = g_ptr_array_new_with_free_func (g_object_unref);
  self->to_refund = g_ptr_array_new_with_free_func (g_object_unref);
  self->failed = g_ptr_array_new_with_free_func (g_object_unref);
  self->failed_rows = g_ptr_array_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWindow *
eva_refund_all_dialog_new (GtkWindow    *parent,
                           EvaApiClient *client,
                           EvaRecord    *event)
{
  EvaRefundAllDialog *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (event), NULL);

  self = g_object_new (EVA_TYPE_REFUND_ALL_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->event = g_object_ref (event);
  adw_window_title_set_subtitle (self->window_title, eva_record_get_string (event, "title"));
  return GTK_WINDOW (self);
}

/* Finds the paid bookings and refunds them, one after the other. */
void
eva_refund_all_dialog_start (EvaRefundAllDialog *self)
{
  g_return_if_fail (EVA_IS_REFUND_ALL_DIALOG (self));

  if (self->running)
    return;
  set_running (self, TRUE);
  g_ptr_array_set_size (self->queue, 0);
  g_ptr_array_set_size (self->refunded, 0);
  g_ptr_array_set_size (self->to_refund, 0);
  g_ptr_array_set_size (self->failed, 0);
  self->next = 0;
  update_progress (self);
  gtk_stack_set_visible_child_name (self->stack, "progress");
  list_page (self, NULL);
}

/* Tries the failed refunds again; the others stay as they are. */
void
eva_refund_all_dialog_retry (EvaRefundAllDialog *self)
{
  g_return_if_fail (EVA_IS_REFUND_ALL_DIALOG (self));

  if (self->running || self->failed->len == 0)
    return;
  set_running (self, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button), FALSE);
  /* The queue becomes the failed ones; what was done is kept. */
  g_ptr_array_set_size (self->queue, 0);
  for (guint i = 0; i < self->failed->len; i++)
    g_ptr_array_add (self->queue, g_object_ref (g_ptr_array_index (self->failed, i)));
  g_ptr_array_set_size (self->failed, 0);
  self->next = 0;
  update_progress (self);
  gtk_stack_set_visible_child_name (self->stack, "progress");
  refund_next (self);
}

gboolean
eva_refund_all_dialog_get_running (EvaRefundAllDialog *self)
{
  g_return_val_if_fail (EVA_IS_REFUND_ALL_DIALOG (self), FALSE);
  return self->running;
}

double
eva_refund_all_dialog_get_fraction (EvaRefundAllDialog *self)
{
  g_return_val_if_fail (EVA_IS_REFUND_ALL_DIALOG (self), 0);
  return gtk_progress_bar_get_fraction (self->progress_bar);
}

/* How many bookings are "refunded", "to_refund", "failed", or "total"
 * (found to refund in this round). */
guint
eva_refund_all_dialog_get_count (EvaRefundAllDialog *self,
                                 const char         *what)
{
  g_return_val_if_fail (EVA_IS_REFUND_ALL_DIALOG (self), 0);

  if (g_strcmp0 (what, "refunded") == 0)
    return self->refunded->len;
  if (g_strcmp0 (what, "to_refund") == 0)
    return self->to_refund->len;
  if (g_strcmp0 (what, "failed") == 0)
    return self->failed->len;
  if (g_strcmp0 (what, "total") == 0)
    return self->queue->len;
  g_return_val_if_reached (0);
}

/* The report's lines: "refunded" and "to_refund" as shown on their rows
 * ("2 bookings: 95.00 EUR"), "failed" a line a booking ("Ada: message"). */
char *
eva_refund_all_dialog_describe (EvaRefundAllDialog *self,
                                const char         *what)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (EVA_IS_REFUND_ALL_DIALOG (self), NULL);

  if (g_strcmp0 (what, "refunded") == 0)
    g_string_append_printf (out, "%s: %s", adw_action_row_get_subtitle (self->refunded_row),
                            gtk_label_get_label (self->refunded_label));
  else if (g_strcmp0 (what, "to_refund") == 0)
    g_string_append_printf (out, "%s: %s", adw_action_row_get_subtitle (self->to_refund_row),
                            gtk_label_get_label (self->to_refund_label));
  else if (g_strcmp0 (what, "failed") == 0)
    for (guint i = 0; i < self->failed_rows->len; i++)
      g_string_append_printf (out, "%s%s: %s", i > 0 ? "\n" : "",
                              adw_preferences_row_get_title (g_ptr_array_index (self->failed_rows, i)),
                              adw_action_row_get_subtitle (g_ptr_array_index (self->failed_rows, i)));
  return g_string_free (out, FALSE);
}
