/* eva-booking-dialog.c: one booking in detail, and cancelling it
 *
 * Who booked (name and email), its status, the tickets line by line, the
 * money (subtotal, the coupon's discount, total) and its history (booked,
 * held until, confirmed, cancelled) in the event's time zone. What the
 * list already knows shows at once; the booking is then read again from
 * the server (GET /api/v1/admin/bookings/{id}) so it is current.
 *
 * Held, awaiting-payment and confirmed bookings can be cancelled, after a
 * confirmation; "changed" then carries the cancelled booking to the list.
 *
 * Payments (docs/PAYMENTS.md): how it is paid, whether the money is in,
 * the transfer reference, what was paid and refunded, and the payments
 * and refunds line by line; a server that does not send these yet shows
 * none of it.
 *
 * The tickets issued for it (EvaBookingTickets) are read again with the
 * booking each time: their holders, codes and status, reissuing one,
 * resending the ticket mail and the PDF the attendee gets. "Refund…" (EvaRefundDialog) gives money back, all or part;
 * "Mark as Paid…" (EvaMarkPaidDialog) records a transfer received or
 * money taken at the door. Both send "changed" with the booking after.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-booking-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "bookings/eva-booking-dialog-private.h"
#include "bookings/eva-booking-tickets.h"
#include "bookings/eva-mark-paid-dialog.h"
#include "bookings/eva-refund-dialog.h"
#include "eva-common.h"
#include "widgets/eva-payments.h"
#include "widgets/eva-utils.h"

struct _EvaBookingDialog
{
  AdwWindow            parent_instance;

  AdwToastOverlay     *toast_overlay;
  AdwWindowTitle      *window_title;
  GtkButton           *refresh_button;
  GtkStack            *stack;
  AdwStatusPage       *error_page;
  AdwAvatar           *avatar;
  GtkLabel            *name_label;
  GtkLabel            *email_label;
  GtkLabel            *status_label;
  AdwPreferencesGroup *items_group;
  EvaBookingTickets   *tickets_group;
  GtkLabel            *subtotal_label;
  AdwActionRow        *discount_row;
  GtkLabel            *discount_label;
  GtkLabel            *total_label;
  AdwActionRow        *method_row;
  GtkLabel            *method_label;
  AdwActionRow        *paid_row;
  GtkLabel            *paid_label;
  AdwActionRow        *payment_reference_row;
  GtkLabel            *payment_reference_label;
  AdwActionRow        *amount_paid_row;
  GtkLabel            *amount_paid_label;
  AdwActionRow        *refunded_row;
  GtkLabel            *refunded_label;
  AdwPreferencesGroup *payments_group;
  AdwPreferencesGroup *refunds_group;
  AdwPreferencesGroup *payment_actions_group;
  GtkButton           *mark_paid_button;
  GtkButton           *refund_button;
  GtkLabel            *created_label;
  AdwActionRow        *expires_row;
  GtkLabel            *expires_label;
  AdwActionRow        *confirmed_row;
  GtkLabel            *confirmed_label;
  AdwActionRow        *cancelled_row;
  GtkLabel            *cancelled_label;
  GtkLabel            *id_label;
  AdwPreferencesGroup *cancel_group;
  GtkButton           *cancel_button;

  EvaApiClient        *client;
  EvaRecord           *event;
  EvaRecord           *booking;
  char                *booking_id;
  GPtrArray           *item_rows;
  GPtrArray           *payment_rows;
  GPtrArray           *refund_rows;
  GCancellable        *cancellable;
  gboolean             loading;
  gboolean             cancelling;
};

G_DEFINE_FINAL_TYPE (EvaBookingDialog, eva_booking_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
set_loading (EvaBookingDialog *self,
             gboolean          loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  gtk_widget_set_sensitive (GTK_WIDGET (self->refresh_button), !loading);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static const char *
event_timezone (EvaBookingDialog *self)
{
  return self->event != NULL ? eva_record_get_string (self->event, "timezone") : NULL;
}

static const char *
currency (EvaBookingDialog *self)
{
  const char *code = eva_record_get_string (self->booking, "currency");

  if (code == NULL && self->event != NULL)
    code = eva_record_get_string (self->event, "currency");
  return code;
}

/* Shows @member's time on @label, or hides @row when there is none. */
static void
show_time (EvaBookingDialog *self,
           GtkWidget        *row,
           GtkLabel         *label,
           const char       *member)
{
  g_autoptr(GDateTime) dt = eva_record_get_datetime (self->booking, member);
  g_autofree char *text = NULL;

  if (row != NULL)
    gtk_widget_set_visible (row, dt != NULL);
  if (dt == NULL)
    {
      gtk_label_set_label (label, "");
      return;
    }
  text = eva_format_datetime (dt, event_timezone (self));
  gtk_label_set_label (label, text);
}

static GtkWidget *
item_row_new (JsonObject *item,
              const char *money_currency)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *total;
  gint64 quantity = json_object_get_int_member_with_default (item, "quantity", 0);
  gint64 discount = json_object_get_int_member_with_default (item, "discount", 0);
  g_autofree char *unit = eva_format_money (json_object_get_int_member_with_default (item, "unit_price", 0),
                                            money_currency);
  g_autofree char *line = eva_format_money (json_object_get_int_member_with_default (item, "line_total", 0),
                                            money_currency);
  g_autofree char *subtitle = NULL;

  if (discount > 0)
    {
      g_autofree char *off = eva_format_money (discount, money_currency);

      /* Translators: quantity × unit price, then the discount on the
       * line, e.g. "2 × 25.00 EUR · 5.00 EUR off" */
      subtitle = g_strdup_printf (_("%d × %s · %s off"), (int) quantity, unit, off);
    }
  else
    /* Translators: quantity × unit price, e.g. "2 × 25.00 EUR" */
    subtitle = g_strdup_printf (_("%d × %s"), (int) quantity, unit);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 json_object_get_string_member_with_default (item, "name", ""));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  total = gtk_label_new (line);
  gtk_widget_add_css_class (total, "booking-total");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), total);
  g_object_set_data_full (G_OBJECT (row), "eva-description",
                          g_strdup_printf ("%s: %s = %s",
                                           json_object_get_string_member_with_default (item, "name", ""),
                                           subtitle, line),
                          g_free);
  return row;
}

static void
show_items (EvaBookingDialog *self)
{
  JsonNode *items = json_object_get_member (eva_record_get_object (self->booking), "items");
  JsonArray *array = items != NULL && JSON_NODE_HOLDS_ARRAY (items) ? json_node_get_array (items) : NULL;

  for (guint i = 0; i < self->item_rows->len; i++)
    adw_preferences_group_remove (self->items_group, g_ptr_array_index (self->item_rows, i));
  g_ptr_array_set_size (self->item_rows, 0);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      GtkWidget *row;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      row = item_row_new (json_node_get_object (item), currency (self));
      adw_preferences_group_add (self->items_group, row);
      g_ptr_array_add (self->item_rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->items_group), self->item_rows->len > 0);
}

static GtkWidget *
pill_new (const char *label,
          const char *status)
{
  GtkWidget *pill = gtk_label_new (label);

  gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (pill, "status-pill");
  gtk_widget_add_css_class (pill, "caption-heading");
  eva_set_status_class (pill, status);
  return pill;
}

static void
clear_rows (AdwPreferencesGroup *group,
            GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static char *
format_member_time (EvaBookingDialog *self,
                    JsonObject       *object,
                    const char       *member)
{
  const char *text = json_object_get_string_member_with_default (object, member, NULL);
  g_autoptr(GDateTime) dt = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return dt != NULL ? eva_format_datetime (dt, event_timezone (self)) : NULL;
}

/* "Card · Paid · 45.00 EUR · <date>" for the tests; the row shows it. */
static GtkWidget *
payment_row_new (EvaBookingDialog *self,
                 JsonObject       *payment)
{
  GtkWidget *row = adw_action_row_new ();
  const char *method = json_object_get_string_member_with_default (payment, "method", NULL);
  const char *status = json_object_get_string_member_with_default (payment, "status", NULL);
  const char *code = json_object_get_string_member_with_default (payment, "currency", NULL);
  const char *reference = json_object_get_string_member_with_default (payment, "reference", NULL);
  gint64 refunded = json_object_get_int_member_with_default (payment, "refunded_amount", 0);
  g_autofree char *amount = eva_format_money (json_object_get_int_member_with_default (payment, "amount", 0),
                                              code != NULL ? code : currency (self));
  const char *paid_at = json_object_get_string_member_with_default (payment, "paid_at", NULL);
  g_autoptr(GDateTime) paid_dt = paid_at != NULL ? g_date_time_new_from_iso8601 (paid_at, NULL) : NULL;
  g_autofree char *when = NULL;
  g_autofree char *subtitle = NULL;
  GtkWidget *suffix;
  GtkWidget *label;

  /* Money marked as paid (a transfer, at the door) was paid on a day
   * the organizer gave, not at a time */
  if (paid_dt != NULL && (g_strcmp0 (method, "bank_transfer") == 0 || g_strcmp0 (method, "at_door") == 0))
    when = eva_format_day (paid_dt);
  else if (paid_dt != NULL)
    when = eva_format_datetime (paid_dt, event_timezone (self));
  else
    when = format_member_time (self, payment, "created_at");
  if (reference != NULL && when != NULL)
    /* Translators: when, then the payment's reference */
    subtitle = g_strdup_printf (_("%s · %s"), when, reference);
  else
    subtitle = g_strdup (when != NULL ? when : reference);
  if (refunded > 0)
    {
      g_autofree char *back = eva_format_money (refunded, code != NULL ? code : currency (self));
      g_autofree char *more = NULL;

      /* Translators: when it was paid (and its reference), then how much
       * of it was refunded, e.g. "12 April 2030, 19:30 · 10.00 EUR refunded" */
      more = g_strdup_printf (_("%s · %s refunded"), subtitle != NULL ? subtitle : "", back);
      g_free (subtitle);
      subtitle = g_steal_pointer (&more);
    }

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_payment_method_label (method));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  suffix = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_append (GTK_BOX (suffix), pill_new (eva_payment_status_label (status), status));
  label = gtk_label_new (amount);
  gtk_widget_add_css_class (label, "booking-total");
  gtk_box_append (GTK_BOX (suffix), label);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
  g_object_set_data_full (G_OBJECT (row), "eva-description",
                          g_strdup_printf ("%s · %s · %s", eva_payment_method_label (method),
                                           eva_payment_status_label (status), amount),
                          g_free);
  return row;
}

static GtkWidget *
refund_row_new (EvaBookingDialog *self,
                JsonObject       *refund)
{
  GtkWidget *row = adw_action_row_new ();
  const char *status = json_object_get_string_member_with_default (refund, "status", NULL);
  const char *code = json_object_get_string_member_with_default (refund, "currency", NULL);
  const char *reason = json_object_get_string_member_with_default (refund, "reason", NULL);
  const char *note = json_object_get_string_member_with_default (refund, "note", NULL);
  const char *problem = json_object_get_string_member_with_default (refund, "error", NULL);
  g_autofree char *amount = eva_format_money (json_object_get_int_member_with_default (refund, "amount", 0),
                                              code != NULL ? code : currency (self));
  g_autofree char *when = format_member_time (self, refund, "created_at");
  GString *subtitle = g_string_new (NULL);

  /* Reason · note · when (and why it failed) */
  if (reason != NULL)
    g_string_append (subtitle, eva_refund_reason_label (reason));
  if (note != NULL && *note != '\0')
    g_string_append_printf (subtitle, "%s%s", subtitle->len > 0 ? " · " : "", note);
  if (when != NULL)
    g_string_append_printf (subtitle, "%s%s", subtitle->len > 0 ? " · " : "", when);
  if (problem != NULL)
    g_string_append_printf (subtitle, "\n%s", problem);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), amount);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), pill_new (eva_refund_status_label (status), status));
  g_object_set_data_full (G_OBJECT (row), "eva-description",
                          g_strdup_printf ("%s · %s · %s%s%s", amount,
                                           reason != NULL ? eva_refund_reason_label (reason) : "",
                                           eva_refund_status_label (status),
                                           note != NULL ? " · " : "", note != NULL ? note : ""),
                          g_free);
  g_string_free (subtitle, TRUE);
  return row;
}

static void
show_array (EvaBookingDialog    *self,
            AdwPreferencesGroup *group,
            GPtrArray           *rows,
            const char          *member,
            GtkWidget *(*row_new) (EvaBookingDialog *, JsonObject *))
{
  JsonArray *array = eva_booking_get_array (self->booking, member);

  clear_rows (group, rows);
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      GtkWidget *row;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      row = row_new (self, json_node_get_object (element));
      adw_preferences_group_add (group, row);
      g_ptr_array_add (rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (group), rows->len > 0);
}

/* The payment rows of the "Payment" group, the payments and refunds, and
 * the actions on them. */
static void
show_payments (EvaBookingDialog *self)
{
  JsonObject *object = eva_record_get_object (self->booking);
  gboolean known = json_object_has_member (object, "paid");
  const char *method = eva_record_get_string (self->booking, "payment_method");
  const char *reference = eva_record_get_string (self->booking, "payment_reference");
  gint64 paid = eva_record_get_int (self->booking, "amount_paid", 0);
  gint64 refunded = eva_record_get_int (self->booking, "amount_refunded", 0);
  EvaPaymentState state = eva_booking_payment_state (self->booking);
  g_autofree char *paid_text = eva_format_money (paid, currency (self));
  g_autofree char *refunded_text = eva_format_money (refunded, currency (self));
  const char *state_label;

  gtk_widget_set_visible (GTK_WIDGET (self->method_row), known && method != NULL);
  gtk_label_set_label (self->method_label, eva_payment_method_label (method));

  if (state == EVA_PAYMENT_STATE_NONE && known)
    {
      /* Free, refunded, cancelled…: say what became of the money. */
      state = eva_record_get_boolean (self->booking, "paid") ? EVA_PAYMENT_STATE_PAID
              : EVA_PAYMENT_STATE_UNPAID;
    }
  state_label = eva_payment_state_label (state);
  if (state == EVA_PAYMENT_STATE_PAID && eva_record_get_int (self->booking, "total", 0) == 0)
    state_label = C_("payment state", "Free");
  gtk_widget_set_visible (GTK_WIDGET (self->paid_row), known && state_label != NULL);
  gtk_label_set_label (self->paid_label, state_label != NULL ? state_label : "");
  eva_set_status_class (GTK_WIDGET (self->paid_label), eva_payment_state_css (state));

  gtk_widget_set_visible (GTK_WIDGET (self->payment_reference_row), known && reference != NULL);
  gtk_label_set_label (self->payment_reference_label, reference != NULL ? reference : "");
  gtk_widget_set_visible (GTK_WIDGET (self->amount_paid_row), known && paid > 0);
  gtk_label_set_label (self->amount_paid_label, paid_text);
  gtk_widget_set_visible (GTK_WIDGET (self->refunded_row), known && refunded > 0);
  gtk_label_set_label (self->refunded_label, refunded_text);

  show_array (self, self->payments_group, self->payment_rows, "payments", payment_row_new);
  show_array (self, self->refunds_group, self->refund_rows, "refunds", refund_row_new);

  gtk_widget_set_visible (GTK_WIDGET (self->mark_paid_button), eva_booking_can_mark_paid (self->booking));
  gtk_widget_set_visible (GTK_WIDGET (self->refund_button), eva_booking_can_refund (self->booking));
  gtk_widget_set_visible (GTK_WIDGET (self->payment_actions_group),
                          eva_booking_can_mark_paid (self->booking) ||
                          eva_booking_can_refund (self->booking));
}

static void
show_booking (EvaBookingDialog *self)
{
  const char *name = eva_booking_get_attendee (self->booking, "name");
  const char *email = eva_booking_get_attendee (self->booking, "email");
  const char *status = eva_record_get_string (self->booking, "status");
  const char *coupon = eva_record_get_string (self->booking, "coupon_code");
  gint64 discount = eva_record_get_int (self->booking, "discount", 0);
  g_autofree char *subtotal = eva_format_money (eva_record_get_int (self->booking, "subtotal", 0),
                                                currency (self));
  g_autofree char *total = eva_format_money (eva_record_get_int (self->booking, "total", 0),
                                             currency (self));
  g_autofree char *off = NULL;
  g_autofree char *reference = eva_booking_get_reference (self->booking);
  g_autofree char *title = eva_booking_describe_reference (self->booking);
  gboolean has_name = name != NULL && *name != '\0';

  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title,
                                 self->event != NULL ? eva_record_get_string (self->event, "title") : NULL);
  adw_avatar_set_text (self->avatar, has_name ? name : email);
  gtk_label_set_label (self->name_label, has_name ? name : email != NULL ? email : "");
  gtk_label_set_label (self->email_label, has_name && email != NULL ? email : "");
  gtk_widget_set_visible (GTK_WIDGET (self->email_label), has_name && email != NULL);
  gtk_label_set_label (self->status_label, eva_booking_status_label (status));
  eva_set_status_class (GTK_WIDGET (self->status_label), status);

  show_items (self);

  gtk_label_set_label (self->subtotal_label, subtotal);
  if (discount > 0)
    {
      g_autofree char *amount = eva_format_money (discount, currency (self));

      /* Translators: a discount taken off the subtotal, e.g. "−5.00 EUR" */
      off = g_strdup_printf (_("−%s"), amount);
    }
  gtk_label_set_label (self->discount_label, off != NULL ? off : "");
  gtk_widget_set_visible (GTK_WIDGET (self->discount_row), discount > 0 || coupon != NULL);
  if (coupon != NULL)
    {
      /* Translators: %s is a coupon code, e.g. "Coupon EARLYBIRD" */
      g_autofree char *text = g_strdup_printf (_("Coupon %s"), coupon);

      adw_action_row_set_subtitle (self->discount_row, text);
      if (discount == 0)
        gtk_label_set_label (self->discount_label, _("None"));
    }
  else
    adw_action_row_set_subtitle (self->discount_row, NULL);
  gtk_label_set_label (self->total_label, total);
  show_payments (self);

  show_time (self, NULL, self->created_label, "created_at");
  show_time (self, GTK_WIDGET (self->confirmed_row), self->confirmed_label, "confirmed_at");
  show_time (self, GTK_WIDGET (self->cancelled_row), self->cancelled_label, "cancelled_at");
  /* The hold's end matters while it is held, and tells when it ran out. */
  show_time (self, GTK_WIDGET (self->expires_row), self->expires_label, "expires_at");
  gtk_widget_set_visible (GTK_WIDGET (self->expires_row),
                          gtk_widget_get_visible (GTK_WIDGET (self->expires_row)) &&
                          (g_strcmp0 (status, "held") == 0 ||
                           g_strcmp0 (status, "pending_payment") == 0 ||
                           g_strcmp0 (status, "expired") == 0));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->expires_row),
                                 g_strcmp0 (status, "expired") == 0 ? _("Expired") : _("Held Until"));
  gtk_label_set_label (self->id_label, reference);

  gtk_widget_set_visible (GTK_WIDGET (self->cancel_group), eva_booking_can_cancel (self->booking));
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), !self->cancelling);
  gtk_stack_set_visible_child_name (self->stack, "details");
}

/* Has the record more than an id (a row of the list)? */
static gboolean
is_complete (EvaRecord *booking)
{
  return booking != NULL && eva_record_get_string (booking, "status") != NULL;
}

static void
take_booking (EvaBookingDialog *self,
              EvaRecord        *booking)
{
  if (self->booking != NULL && self->booking != booking)
    eva_record_set_object (self->booking, eva_record_get_object (booking));
  else
    g_set_object (&self->booking, booking);
  show_booking (self);
  eva_booking_tickets_set_booking (self->tickets_group, self->client, self->booking, event_timezone (self));
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaBookingDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) booking = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_loading (self, FALSE);
  if (booking == NULL)
    {
      if (!is_complete (self->booking))
        {
          adw_status_page_set_description (self->error_page, error->message);
          gtk_stack_set_visible_child_name (self->stack, "error");
        }
      else
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  take_booking (self, booking);
}

static void
cancelled_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EvaBookingDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) booking = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->cancelling = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), TRUE);
  if (booking == NULL)
    {
      /* Someone else (or the hold's expiry) changed it: show how it is. */
      if (g_strcmp0 (eva_api_error_get_code (error), "invalid_transition") == 0)
        {
          adw_toast_overlay_add_toast (self->toast_overlay,
                                       adw_toast_new (_("This booking can no longer be cancelled")));
          eva_booking_dialog_reload (self);
        }
      else
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }

  take_booking (self, booking);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Booking cancelled")));
  g_signal_emit (self, signals[CHANGED], 0, self->booking);
}

/* @booking as the payment routes answer it, with the "attendee" the
 * booking had if the answer has none: those routes send the booking as
 * attendees see it, without who booked, which the dialog and the list
 * (through "changed") would lose otherwise. */
static EvaRecord *
with_attendee (EvaBookingDialog *self,
               EvaRecord        *booking)
{
  JsonObject *known = self->booking != NULL ? eva_record_get_object (self->booking) : NULL;
  JsonObject *answer = eva_record_get_object (booking);
  g_autoptr(JsonObject) object = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  if (json_object_has_member (answer, "attendee") ||
      known == NULL || !json_object_has_member (known, "attendee") ||
      g_strcmp0 (eva_record_get_id (booking), eva_record_get_id (self->booking)) != 0)
    return g_object_ref (booking);

  /* Another object: the answer stays as it came. */
  object = json_object_new ();
  json_object_iter_init (&iter, answer);
  while (json_object_iter_next (&iter, &member, &node))
    json_object_set_member (object, member, json_node_copy (node));
  json_object_set_member (object, "attendee", json_node_copy (json_object_get_member (known, "attendee")));
  return eva_record_new (object);
}

static void
payment_done_cb (EvaBookingDialog *self,
                 EvaRecord        *answer,
                 EvaRecord        *refund,
                 GtkWidget        *dialog)
{
  g_autoptr(EvaRecord) booking = with_attendee (self, answer);
  const char *message;

  take_booking (self, booking);
  if (EVA_IS_REFUND_DIALOG (dialog))
    {
      g_autofree char *amount = refund != NULL
                                ? eva_format_money (eva_record_get_int (refund, "amount", 0), currency (self))
                                : NULL;
      g_autofree char *text = NULL;

      if (amount != NULL && g_strcmp0 (eva_record_get_string (refund, "status"), "pending") == 0)
        /* Translators: %s is a sum of money */
        text = g_strdup_printf (_("Refund of %s asked for"), amount);
      else if (amount != NULL)
        /* Translators: %s is a sum of money */
        text = g_strdup_printf (_("%s refunded"), amount);
      message = text != NULL ? text : _("Refunded");
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
    }
  else
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Marked as paid")));
  g_signal_emit (self, signals[CHANGED], 0, self->booking);
}

static void
refunded_cb (GtkWidget        *dialog,
             EvaRecord        *booking,
             EvaRecord        *refund,
             EvaBookingDialog *self)
{
  payment_done_cb (self, booking, refund, dialog);
}

static void
marked_cb (GtkWidget        *dialog,
           EvaRecord        *booking,
           EvaBookingDialog *self)
{
  payment_done_cb (self, booking, NULL, dialog);
}

static void
refund_clicked_cb (EvaBookingDialog *self)
{
  eva_booking_dialog_open_refund (self);
}

static void
mark_paid_clicked_cb (EvaBookingDialog *self)
{
  eva_booking_dialog_open_mark_paid (self);
}

static void
cancel_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    EvaBookingDialog *self)
{
  if (g_strcmp0 (response, "cancel-booking") != 0 || self->booking == NULL)
    return;
  self->cancelling = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), FALSE);
  eva_api_client_cancel_booking_async (self->client, eva_record_get_id (self->booking),
                                       self->cancellable, cancelled_cb, g_object_ref (self));
}

static gboolean
reload_shortcut_cb (GtkWidget *widget,
                    GVariant  *args,
                    gpointer   user_data)
{
  eva_booking_dialog_reload (EVA_BOOKING_DIALOG (widget));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_booking_dialog_dispose (GObject *object)
{
  EvaBookingDialog *self = EVA_BOOKING_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_BOOKING_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->event);
  g_clear_object (&self->booking);
  g_clear_pointer (&self->item_rows, g_ptr_array_unref);
  g_clear_pointer (&self->payment_rows, g_ptr_array_unref);
  g_clear_pointer (&self->refund_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (eva_booking_dialog_parent_class)->dispose (object);
}

static void
eva_booking_dialog_finalize (GObject *object)
{
  EvaBookingDialog *self = EVA_BOOKING_DIALOG (object);

  g_free (self->booking_id);

  G_OBJECT_CLASS (eva_booking_dialog_parent_class)->finalize (object);
}

static void
eva_booking_dialog_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EvaBookingDialog *self = EVA_BOOKING_DIALOG (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_booking_dialog_class_init (EvaBookingDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_booking_dialog_dispose;
  object_class->finalize = eva_booking_dialog_finalize;
  object_class->get_property = eva_booking_dialog_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvaBookingDialog::changed:
   * @booking: the booking as it is now
   *
   * The booking was cancelled, refunded or marked as paid.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, EVA_TYPE_RECORD);

  g_type_ensure (EVA_TYPE_BOOKING_TICKETS);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-booking-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, refresh_button);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, avatar);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, name_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, email_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, items_group);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, tickets_group);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, subtotal_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, discount_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, discount_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, total_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, method_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, method_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, paid_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, paid_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, payment_reference_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, payment_reference_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, amount_paid_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, amount_paid_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, refunded_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, refunded_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, payments_group);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, refunds_group);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, payment_actions_group);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, mark_paid_button);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, refund_button);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, created_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, expires_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, expires_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, confirmed_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, confirmed_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, cancelled_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, cancelled_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, id_label);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, cancel_group);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingDialog, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, eva_booking_dialog_reload);
  gtk_widget_class_bind_template_callback (widget_class, eva_booking_dialog_ask_cancel);
  gtk_widget_class_bind_template_callback (widget_class, refund_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, mark_paid_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, reload_shortcut_cb, NULL);
}

static void
eva_booking_dialog_init (EvaBookingDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->item_rows = g_ptr_array_new ();
  self->payment_rows = g_ptr_array_new ();
  self->refund_rows = g_ptr_array_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_booking_dialog_new:
 * @event: the booking's event (for its time zone and title)
 * @booking: the booking as the list has it (or only its id)
 */
GtkWindow *
eva_booking_dialog_new (GtkWindow    *parent,
                        EvaApiClient *client,
                        EvaRecord    *event,
                        EvaRecord    *booking)
{
  EvaBookingDialog *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (event == NULL || EVA_IS_RECORD (event), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);
  g_return_val_if_fail (eva_record_get_id (booking) != NULL, NULL);

  self = g_object_new (EVA_TYPE_BOOKING_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->event = event != NULL ? g_object_ref (event) : NULL;
  self->booking_id = g_strdup (eva_record_get_id (booking));
  if (is_complete (booking))
    {
      /* A record of its own: the list's changes only through "changed". */
      self->booking = eva_record_new (eva_record_get_object (booking));
      show_booking (self);
    }
  eva_booking_dialog_reload (self);
  return GTK_WINDOW (self);
}

/**
 * eva_booking_dialog_get_booking:
 *
 * Returns: (transfer none) (nullable): the booking as last read
 */
EvaRecord *
eva_booking_dialog_get_booking (EvaBookingDialog *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);
  return self->booking;
}

/**
 * eva_booking_dialog_get_tickets:
 *
 * Returns: (transfer none): the booking's tickets, as the dialog shows them
 */
EvaBookingTickets *
eva_booking_dialog_get_tickets (EvaBookingDialog *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);
  return self->tickets_group;
}

gboolean
eva_booking_dialog_get_loading (EvaBookingDialog *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), FALSE);
  return self->loading;
}

/* Reads the booking from the server again. */
void
eva_booking_dialog_reload (EvaBookingDialog *self)
{
  g_return_if_fail (EVA_IS_BOOKING_DIALOG (self));

  if (self->client == NULL || self->booking_id == NULL || self->loading)
    return;
  set_loading (self, TRUE);
  if (!is_complete (self->booking))
    gtk_stack_set_visible_child_name (self->stack, "loading");
  eva_api_client_get_booking_async (self->client, self->booking_id, self->cancellable,
                                    loaded_cb, g_object_ref (self));
}

/* Asks whether to cancel the booking, and does when told so. */
void
eva_booking_dialog_ask_cancel (EvaBookingDialog *self)
{
  const char *who;
  GtkWidget *dialog;

  g_return_if_fail (EVA_IS_BOOKING_DIALOG (self));

  if (self->booking == NULL || !eva_booking_can_cancel (self->booking) || self->cancelling)
    return;

  who = eva_booking_get_attendee (self->booking, "email");
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Cancel This Booking?"), NULL);
  if (who != NULL)
    /* Translators: %s is the attendee's email address */
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    _("The tickets of %s stop being valid and go back on sale."),
                                    who);
  else
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                                 _("The tickets stop being valid and go back on sale."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Booking"),
                                    "cancel-booking", _("_Cancel Booking"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-booking",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * eva_booking_dialog_open_refund:
 *
 * Opens the refund dialog of the booking, when it has money to give back.
 *
 * Returns: (transfer none) (nullable): the refund dialog
 */
GtkWindow *
eva_booking_dialog_open_refund (EvaBookingDialog *self)
{
  GtkWindow *dialog;

  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);

  if (self->booking == NULL || !eva_booking_can_refund (self->booking))
    return NULL;
  dialog = eva_refund_dialog_new (GTK_WINDOW (self), self->client, self->booking, currency (self));
  g_signal_connect_object (dialog, "refunded", G_CALLBACK (refunded_cb), self, 0);
  gtk_window_present (dialog);
  return dialog;
}

/**
 * eva_booking_dialog_open_mark_paid:
 *
 * Opens the dialog that records the booking's money as received, for a
 * transfer awaited or a booking to pay at the door.
 *
 * Returns: (transfer none) (nullable): the dialog
 */
GtkWindow *
eva_booking_dialog_open_mark_paid (EvaBookingDialog *self)
{
  GtkWindow *dialog;

  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);

  if (self->booking == NULL || !eva_booking_can_mark_paid (self->booking))
    return NULL;
  dialog = eva_mark_paid_dialog_new (GTK_WINDOW (self), self->client, self->booking, currency (self));
  g_signal_connect_object (dialog, "marked", G_CALLBACK (marked_cb), self, 0);
  gtk_window_present (dialog);
  return dialog;
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/* The text shown for "name", "email", "status", "subtotal", "discount",
 * "coupon", "total", "method", "paid", "payment-reference",
 * "amount-paid", "refunded", "created", "expires", "confirmed",
 * "cancelled", "id" (the booking's reference) or "title" (the window's);
 * NULL when that row is hidden. */
const char *
_eva_booking_dialog_get_text (EvaBookingDialog *self,
                              const char       *field)
{
  static const struct { const char *name; gsize label; gsize row; } fields[] = {
    { "name", G_STRUCT_OFFSET (EvaBookingDialog, name_label), 0 },
    { "email", G_STRUCT_OFFSET (EvaBookingDialog, email_label), 0 },
    { "status", G_STRUCT_OFFSET (EvaBookingDialog, status_label), 0 },
    { "subtotal", G_STRUCT_OFFSET (EvaBookingDialog, subtotal_label), 0 },
    { "discount", G_STRUCT_OFFSET (EvaBookingDialog, discount_label), G_STRUCT_OFFSET (EvaBookingDialog, discount_row) },
    { "total", G_STRUCT_OFFSET (EvaBookingDialog, total_label), 0 },
    { "method", G_STRUCT_OFFSET (EvaBookingDialog, method_label), G_STRUCT_OFFSET (EvaBookingDialog, method_row) },
    { "paid", G_STRUCT_OFFSET (EvaBookingDialog, paid_label), G_STRUCT_OFFSET (EvaBookingDialog, paid_row) },
    { "payment-reference", G_STRUCT_OFFSET (EvaBookingDialog, payment_reference_label), G_STRUCT_OFFSET (EvaBookingDialog, payment_reference_row) },
    { "amount-paid", G_STRUCT_OFFSET (EvaBookingDialog, amount_paid_label), G_STRUCT_OFFSET (EvaBookingDialog, amount_paid_row) },
    { "refunded", G_STRUCT_OFFSET (EvaBookingDialog, refunded_label), G_STRUCT_OFFSET (EvaBookingDialog, refunded_row) },
    { "created", G_STRUCT_OFFSET (EvaBookingDialog, created_label), 0 },
    { "expires", G_STRUCT_OFFSET (EvaBookingDialog, expires_label), G_STRUCT_OFFSET (EvaBookingDialog, expires_row) },
    { "confirmed", G_STRUCT_OFFSET (EvaBookingDialog, confirmed_label), G_STRUCT_OFFSET (EvaBookingDialog, confirmed_row) },
    { "cancelled", G_STRUCT_OFFSET (EvaBookingDialog, cancelled_label), G_STRUCT_OFFSET (EvaBookingDialog, cancelled_row) },
    { "id", G_STRUCT_OFFSET (EvaBookingDialog, id_label), 0 },
  };

  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);

  if (g_strcmp0 (field, "title") == 0)
    return adw_window_title_get_title (self->window_title);
  if (g_strcmp0 (field, "coupon") == 0)
    return gtk_widget_get_visible (GTK_WIDGET (self->discount_row))
           ? adw_action_row_get_subtitle (self->discount_row) : NULL;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_strcmp0 (field, fields[i].name) == 0)
      {
        GtkLabel *label = G_STRUCT_MEMBER (GtkLabel *, self, fields[i].label);
        GtkWidget *row = fields[i].row != 0 ? G_STRUCT_MEMBER (GtkWidget *, self, fields[i].row) : NULL;

        if ((row != NULL && !gtk_widget_get_visible (row)) ||
            !gtk_widget_get_visible (GTK_WIDGET (label)))
          return NULL;
        return gtk_label_get_label (label);
      }
  g_return_val_if_reached (NULL);
}

/* "Standard: 2 × 25.00 EUR = 50.00 EUR", a line per ticket type. */
char *
_eva_booking_dialog_describe_items (EvaBookingDialog *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);

  for (guint i = 0; i < self->item_rows->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "\n" : "",
                            (const char *) g_object_get_data (g_ptr_array_index (self->item_rows, i),
                                                              "eva-description"));
  return g_string_free (out, FALSE);
}

/* The payments ("payments") or refunds ("refunds"), a line each:
 * "Card · Paid · 45.00 EUR", "10.00 EUR · Duplicate · Paid Back · note". */
char *
_eva_booking_dialog_describe (EvaBookingDialog *self,
                              const char       *what)
{
  GString *out = g_string_new (NULL);
  GPtrArray *rows;

  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);

  rows = g_strcmp0 (what, "refunds") == 0 ? self->refund_rows : self->payment_rows;
  for (guint i = 0; i < rows->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "\n" : "",
                            (const char *) g_object_get_data (g_ptr_array_index (rows, i),
                                                              "eva-description"));
  return g_string_free (out, FALSE);
}

/* The subtitle of the @index-th row of "payments" or "refunds" (when,
 * reference, what was refunded…), or NULL when there is no such row. */
const char *
_eva_booking_dialog_get_subtitle (EvaBookingDialog *self,
                                  const char       *what,
                                  guint             index)
{
  GPtrArray *rows;

  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), NULL);

  rows = g_strcmp0 (what, "refunds") == 0 ? self->refund_rows : self->payment_rows;
  if (index >= rows->len)
    return NULL;
  return adw_action_row_get_subtitle (g_ptr_array_index (rows, index));
}

/* Whether "refund" or "mark-paid" is offered. */
gboolean
_eva_booking_dialog_can (EvaBookingDialog *self,
                         const char       *action)
{
  GtkWidget *button;

  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), FALSE);

  button = GTK_WIDGET (g_strcmp0 (action, "refund") == 0 ? self->refund_button : self->mark_paid_button);
  return gtk_widget_get_visible (GTK_WIDGET (self->payment_actions_group)) &&
         gtk_widget_get_visible (button);
}

gboolean
_eva_booking_dialog_can_cancel (EvaBookingDialog *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_DIALOG (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self->cancel_group)) &&
         gtk_widget_get_sensitive (GTK_WIDGET (self->cancel_button));
}
