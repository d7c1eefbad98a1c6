/* eva-refund-dialog.c: give a booking's money back, all or part of it
 *
 * Everything still refundable (paid less what was given back) or a part
 * of it typed in the booking's currency and checked against that limit
 * as it is typed; a reason (requested by the customer, a duplicate,
 * fraud) and an optional note. "Refund" asks once more, naming the sum,
 * then sends POST /api/v1/admin/bookings/{id}/refund. Card money goes
 * back through the gateway; money paid by transfer or at the door is
 * recorded as paid back. What the server refuses (nothing left to
 * refund, the gateway down…) is shown above the form, which keeps what
 * was typed; "refunded" carries the booking as it is now. Asking again
 * for the same sum sends the same Idempotency-Key, so a refund whose
 * answer was lost is not made twice.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-refund-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "bookings/eva-refund-dialog.h"
#include "eva-common.h"
#include "widgets/eva-payments.h"
#include "widgets/eva-utils.h"

#define NOTE_MAX 500

struct _EvaRefundDialog
{
  AdwWindow            parent_instance;

  AdwWindowTitle      *window_title;
  GtkButton           *refund_button;
  AdwPreferencesPage  *page;
  GtkLabel            *error_label;
  AdwPreferencesGroup *amount_group;
  GtkCheckButton      *full_check;
  AdwActionRow        *full_row;
  GtkCheckButton      *partial_check;
  AdwEntryRow         *amount_row;
  AdwComboRow         *reason_row;
  AdwEntryRow         *note_row;

  EvaApiClient        *client;
  EvaRecord           *booking;
  char                *currency;
  GCancellable        *cancellable;
  char                *idempotency_key;  /* of the last refund asked */
  gint64               key_amount;       /* what it asked: minor units, -1 all */
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (EvaRefundDialog, eva_refund_dialog, ADW_TYPE_WINDOW)

enum {
  REFUNDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const reasons[] = { "requested_by_customer", "duplicate", "fraudulent" };

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
show_error (EvaRefundDialog *self,
            const char      *message)
{
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  /* Its group too, so no empty space is left above the form. */
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (self->error_label),
                                                   ADW_TYPE_PREFERENCES_GROUP),
                          message != NULL);
}

static void
set_busy (EvaRefundDialog *self,
          gboolean         busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->refund_button), !busy);
}

/* The amount asked for, or -1 with @problem set. */
static gint64
parse_amount (EvaRefundDialog  *self,
              const char      **problem)
{
  gint64 refundable = eva_booking_get_refundable (self->booking);
  g_autofree char *text = NULL;
  g_autofree char *limit = NULL;
  gint64 amount = 0;

  *problem = NULL;
  if (gtk_check_button_get_active (self->full_check))
    return refundable;

  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->amount_row))));
  if (*text == '\0')
    {
      *problem = _("Enter the amount to refund");
      return -1;
    }
  if (self->currency == NULL ||
      !eva_money_parse (text, self->currency, &amount, NULL) || amount <= 0)
    {
      *problem = _("Enter an amount such as 10 or 10.50");
      return -1;
    }
  if (amount > refundable)
    {
      /* A message of its own, kept until the next check. */
      limit = eva_format_money (refundable, self->currency);
      g_object_set_data_full (G_OBJECT (self), "eva-limit-message",
                              /* Translators: %s is the most that can be refunded, e.g. "35.00 EUR" */
                              g_strdup_printf (_("At most %s can be refunded"), limit), g_free);
      *problem = g_object_get_data (G_OBJECT (self), "eva-limit-message");
      return -1;
    }
  return amount;
}

static void
show_booking (EvaRefundDialog *self)
{
  gint64 paid = eva_record_get_int (self->booking, "amount_paid", 0);
  gint64 refunded = eva_record_get_int (self->booking, "amount_refunded", 0);
  g_autofree char *paid_text = eva_format_money (paid, self->currency);
  g_autofree char *left_text = eva_format_money (eva_booking_get_refundable (self->booking),
                                                 self->currency);
  g_autofree char *description = NULL;
  g_autofree char *title = NULL;

  /* Refunds asked for and still on their way (a card's, at the
   * gateway) are not refunded yet, but not left to refund either. */
  gint64 pending = paid - refunded - eva_booking_get_refundable (self->booking);

  if (pending > 0)
    {
      g_autofree char *refunded_text = eva_format_money (refunded, self->currency);
      g_autofree char *pending_text = eva_format_money (pending, self->currency);

      /* Translators: what was paid, what was given back, then what is
       * on its way back, e.g. "75.00 EUR paid, 25.00 EUR refunded,
       * 5.00 EUR pending." */
      description = g_strdup_printf (_("%s paid, %s refunded, %s pending."), paid_text, refunded_text,
                                     pending_text);
    }
  else if (refunded > 0)
    {
      g_autofree char *refunded_text = eva_format_money (refunded, self->currency);

      /* Translators: what was paid, then what was already given back */
      description = g_strdup_printf (_("%s paid, %s already refunded."), paid_text, refunded_text);
    }
  else
    /* Translators: what was paid and how, e.g. "45.00 EUR paid · Card." */
    description = g_strdup_printf (_("%s paid · %s."), paid_text,
                                   eva_payment_method_label (eva_record_get_string (self->booking,
                                                                                    "payment_method")));
  if (eva_booking_pays_offline (self->booking))
    {
      g_autofree char *more = g_strconcat (description, " ",
                                           _("Pay the money back yourself; the refund is recorded."),
                                           NULL);

      g_free (description);
      description = g_steal_pointer (&more);
    }
  adw_preferences_group_set_description (self->amount_group, description);
  adw_action_row_set_subtitle (self->full_row, left_text);
  /* Translators: %s is a currency code, e.g. "Amount (EUR)" */
  title = g_strdup_printf (_("Amount (%s)"), self->currency != NULL ? self->currency : "");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->amount_row), title);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
input_changed_cb (EvaRefundDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->amount_row),
                            gtk_check_button_get_active (self->partial_check));
  eva_refund_dialog_validate (self);
}

static void
refunded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EvaRefundDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) refund = NULL;
  g_autoptr(EvaRecord) booking = eva_api_client_payment_finish (EVA_API_CLIENT (source), result,
                                                                &refund, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (booking == NULL)
    {
      const char *field_message = eva_api_error_get_field_message (error, "amount");

      if (field_message != NULL)
        eva_row_set_error (GTK_WIDGET (self->amount_row), field_message);
      show_error (self, error->message);
      return;
    }
  g_signal_emit (self, signals[REFUNDED], 0, booking, refund);
  gtk_window_close (GTK_WINDOW (self));
}

static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     EvaRefundDialog  *self)
{
  g_autoptr(JsonObject) fields = NULL;
  const char *problem;
  const char *note;
  guint reason;
  gint64 amount;

  if (g_strcmp0 (response, "refund") != 0 || self->busy)
    return;
  amount = parse_amount (self, &problem);
  if (amount <= 0)
    return;

  fields = json_object_new ();
  /* Everything left goes without an amount, so a refund made meanwhile
   * cannot make it ask for too much. */
  if (gtk_check_button_get_active (self->full_check))
    amount = -1;
  else
    json_object_set_int_member (fields, "amount", amount);
  /* The same refund asked again keeps its key (the server then makes it
   * once); another sum is another refund. */
  if (self->idempotency_key == NULL || self->key_amount != amount)
    {
      g_free (self->idempotency_key);
      self->idempotency_key = g_uuid_string_random ();
      self->key_amount = amount;
    }
  reason = adw_combo_row_get_selected (self->reason_row);
  json_object_set_string_member (fields, "reason",
                                 reasons[reason < G_N_ELEMENTS (reasons) ? reason : 0]);
  note = gtk_editable_get_text (GTK_EDITABLE (self->note_row));
  if (*note != '\0')
    json_object_set_string_member (fields, "note", note);

  show_error (self, NULL);
  set_busy (self, TRUE);
  eva_api_client_refund_booking_async (self->client, eva_record_get_id (self->booking), fields,
                                       self->idempotency_key, self->cancellable, refunded_cb,
                                       g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_refund_dialog_dispose (GObject *object)
{
  EvaRefundDialog *self = EVA_REFUND_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_REFUND_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->booking);

  G_OBJECT_CLASS (eva_refund_dialog_parent_class)->dispose (object);
}

static void
eva_refund_dialog_finalize (GObject *object)
{
  EvaRefundDialog *self = EVA_REFUND_DIALOG (object);

  g_free (self->currency);
  g_free (self->idempotency_key);

  G_OBJECT_CLASS (eva_refund_dialog_parent_class)->finalize (object);
}

static void
eva_refund_dialog_class_init (EvaRefundDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_refund_dialog_dispose;
  object_class->finalize = eva_refund_dialog_finalize;

  /**
   * EvaRefundDialog::refunded:
   * @booking: the booking as it is after the refund
   * @refund: (nullable): the refund made
   */
  signals[REFUNDED] = g_signal_new ("refunded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                    EVA_TYPE_RECORD, EVA_TYPE_RECORD);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-refund-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, refund_button);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, page);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, amount_group);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, full_check);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, full_row);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, partial_check);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, amount_row);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, reason_row);
  gtk_widget_class_bind_template_child (widget_class, EvaRefundDialog, note_row);
  gtk_widget_class_bind_template_callback (widget_class, input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, eva_refund_dialog_submit);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_refund_dialog_init (EvaRefundDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_refund_dialog_new:
 * @booking: the booking, with its payments (amount_paid, amount_refunded)
 * @currency: the booking's currency
 */
GtkWindow *
eva_refund_dialog_new (GtkWindow    *parent,
                       EvaApiClient *client,
                       EvaRecord    *booking,
                       const char   *currency)
{
  EvaRefundDialog *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);

  self = g_object_new (EVA_TYPE_REFUND_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->booking = eva_record_new (eva_record_get_object (booking));
  {
    g_autofree char *subtitle = eva_booking_describe_reference (booking);

    adw_window_title_set_subtitle (self->window_title, subtitle);
  }
  self->currency = g_strdup (currency);
  show_booking (self);
  show_error (self, NULL);
  input_changed_cb (self);
  return GTK_WINDOW (self);
}

/* Refunds @amount ("10.50", typed as the user would), or everything left
 * for NULL. */
void
eva_refund_dialog_set_amount (EvaRefundDialog *self,
                              const char      *amount)
{
  g_return_if_fail (EVA_IS_REFUND_DIALOG (self));

  if (amount == NULL)
    gtk_check_button_set_active (self->full_check, TRUE);
  else
    {
      gtk_check_button_set_active (self->partial_check, TRUE);
      gtk_editable_set_text (GTK_EDITABLE (self->amount_row), amount);
    }
}

/* "requested_by_customer", "duplicate" or "fraudulent". */
void
eva_refund_dialog_set_reason (EvaRefundDialog *self,
                              const char      *reason)
{
  g_return_if_fail (EVA_IS_REFUND_DIALOG (self));

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (g_strcmp0 (reasons[i], reason) == 0)
      adw_combo_row_set_selected (self->reason_row, i);
}

void
eva_refund_dialog_set_note (EvaRefundDialog *self,
                            const char      *note)
{
  g_return_if_fail (EVA_IS_REFUND_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->note_row), note != NULL ? note : "");
}

/* Checks the amount and the note, marks their rows, and says whether the
 * refund can be asked for. */
gboolean
eva_refund_dialog_validate (EvaRefundDialog *self)
{
  const char *problem = NULL;
  const char *note;
  gboolean ok;

  g_return_val_if_fail (EVA_IS_REFUND_DIALOG (self), FALSE);

  ok = parse_amount (self, &problem) > 0;
  /* Nothing typed yet is not an error to shout about. */
  eva_row_set_error (GTK_WIDGET (self->amount_row),
                     gtk_check_button_get_active (self->partial_check) &&
                     *gtk_editable_get_text (GTK_EDITABLE (self->amount_row)) != '\0'
                     ? problem : NULL);
  if (!ok && problem == NULL)
    problem = _("Nothing is left to refund");

  note = gtk_editable_get_text (GTK_EDITABLE (self->note_row));
  if (g_utf8_strlen (note, -1) > NOTE_MAX)
    {
      eva_row_set_error (GTK_WIDGET (self->note_row), _("At most 500 characters"));
      ok = FALSE;
    }
  else
    eva_row_set_error (GTK_WIDGET (self->note_row), NULL);

  gtk_widget_set_sensitive (GTK_WIDGET (self->refund_button), ok && !self->busy);
  return ok;
}

/* The amount the refund is for, in minor units, or -1 while the input
 * is not valid. */
gint64
eva_refund_dialog_get_amount (EvaRefundDialog *self)
{
  const char *problem;

  g_return_val_if_fail (EVA_IS_REFUND_DIALOG (self), -1);
  return parse_amount (self, &problem);
}

/* Asks to confirm the refund, naming the sum, and sends it when told so. */
void
eva_refund_dialog_submit (EvaRefundDialog *self)
{
  g_autofree char *amount = NULL;
  g_autofree char *heading = NULL;
  const char *who;
  GtkWidget *dialog;
  gint64 minor;

  g_return_if_fail (EVA_IS_REFUND_DIALOG (self));

  if (self->busy || !eva_refund_dialog_validate (self))
    return;
  minor = eva_refund_dialog_get_amount (self);
  amount = eva_format_money (minor, self->currency);
  who = eva_booking_get_attendee (self->booking, "email");
  /* Translators: %s is a sum of money, e.g. "Refund 20.00 EUR?" */
  heading = g_strdup_printf (_("Refund %s?"), amount);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, NULL);
  if (eva_booking_pays_offline (self->booking))
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    /* Translators: %s is a sum of money */
                                    _("This records that %s were paid back. Pay the money back yourself."),
                                    amount);
  else if (who != NULL)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    /* Translators: a sum of money, then an email address */
                                    _("%s go back to the card of %s. This cannot be undone."),
                                    amount, who);
  else
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    /* Translators: %s is a sum of money */
                                    _("%s go back to the card it was paid with. This cannot be undone."),
                                    amount);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "refund", _("_Refund"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "refund",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

gboolean
eva_refund_dialog_get_busy (EvaRefundDialog *self)
{
  g_return_val_if_fail (EVA_IS_REFUND_DIALOG (self), FALSE);
  return self->busy;
}

/* What the server refused, as shown above the form, or NULL. */
const char *
eva_refund_dialog_get_error (EvaRefundDialog *self)
{
  g_return_val_if_fail (EVA_IS_REFUND_DIALOG (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->error_label))
         ? gtk_label_get_label (self->error_label) : NULL;
}

/* What is wrong with the amount typed, as its row shows, or NULL. */
const char *
eva_refund_dialog_get_amount_error (EvaRefundDialog *self)
{
  g_return_val_if_fail (EVA_IS_REFUND_DIALOG (self), NULL);
  return eva_row_get_error (GTK_WIDGET (self->amount_row));
}
