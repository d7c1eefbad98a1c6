/* eva-mark-paid-dialog.c: record money received by transfer or at the door
 *
 * For a booking awaiting its bank transfer, or confirmed and to be paid
 * at the door: the amount (the booking's total to start with; the server
 * wants exactly that), the day it was paid (today to start with) and a
 * reference such as the bank's. "Save" asks once more, then sends
 * POST /api/v1/admin/bookings/{id}/mark-paid. What the server refuses
 * shows above the form, which keeps what was typed; "marked" carries the
 * booking as it is now.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-mark-paid-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <time.h>

#include "bookings/eva-mark-paid-dialog.h"
#include "eva-common.h"
#include "widgets/eva-payments.h"
#include "widgets/eva-utils.h"

#define REFERENCE_MAX 100

struct _EvaMarkPaidDialog
{
  AdwWindow            parent_instance;

  AdwWindowTitle      *window_title;
  GtkButton           *mark_button;
  AdwPreferencesPage  *page;
  GtkLabel            *error_label;
  AdwPreferencesGroup *payment_group;
  AdwEntryRow         *amount_row;
  AdwEntryRow         *date_row;
  AdwEntryRow         *reference_row;

  EvaApiClient        *client;
  EvaRecord           *booking;
  char                *currency;
  GCancellable        *cancellable;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (EvaMarkPaidDialog, eva_mark_paid_dialog, ADW_TYPE_WINDOW)

enum {
  MARKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
show_error (EvaMarkPaidDialog *self,
            const char        *message)
{
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  /* Its group too, so no empty space is left above the form. */
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (self->error_label),
                                                   ADW_TYPE_PREFERENCES_GROUP),
                          message != NULL);
}

static void
set_busy (EvaMarkPaidDialog *self,
          gboolean           busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mark_button), !busy);
}

static gint64
parse_amount (EvaMarkPaidDialog *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->amount_row))));
  gint64 amount = 0;

  if (self->currency == NULL || !eva_money_parse (text, self->currency, &amount, NULL) || amount <= 0)
    return -1;
  return amount;
}

/* A real day written YYYY-MM-DD, not after today. */
static GDate *
parse_date (EvaMarkPaidDialog *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->date_row))));
  guint64 year, month, day;
  g_auto(GStrv) parts = g_strsplit (text, "-", -1);

  if (g_strv_length (parts) != 3 || strlen (parts[0]) != 4 || strlen (parts[1]) != 2 ||
      strlen (parts[2]) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, 9999, &year, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, 12, &month, NULL) ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, 31, &day, NULL) ||
      !g_date_valid_dmy (day, month, year))
    return NULL;
  return g_date_new_dmy (day, month, year);
}

static char *
today (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
input_changed_cb (EvaMarkPaidDialog *self)
{
  eva_mark_paid_dialog_validate (self);
}

static void
marked_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaMarkPaidDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) booking = eva_api_client_payment_finish (EVA_API_CLIENT (source), result,
                                                                NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (booking == NULL)
    {
      const char *code = eva_api_error_get_code (error);

      if (g_strcmp0 (code, "amount_mismatch") == 0)
        eva_row_set_error (GTK_WIDGET (self->amount_row), error->message);
      eva_rows_set_field_errors (error, (EvaFieldRowFunc) eva_mark_paid_dialog_get_field_row, self);
      show_error (self, error->message);
      return;
    }
  g_signal_emit (self, signals[MARKED], 0, booking);
  gtk_window_close (GTK_WINDOW (self));
}

static void
confirm_response_cb (AdwMessageDialog  *dialog,
                     const char        *response,
                     EvaMarkPaidDialog *self)
{
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *date = NULL;
  const char *reference;

  if (g_strcmp0 (response, "mark-paid") != 0 || self->busy ||
      !eva_mark_paid_dialog_validate (self))
    return;

  fields = json_object_new ();
  json_object_set_int_member (fields, "amount", parse_amount (self));
  date = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->date_row))));
  json_object_set_string_member (fields, "paid_on", date);
  reference = gtk_editable_get_text (GTK_EDITABLE (self->reference_row));
  if (*reference != '\0')
    json_object_set_string_member (fields, "reference", reference);

  show_error (self, NULL);
  set_busy (self, TRUE);
  eva_api_client_mark_paid_async (self->client, eva_record_get_id (self->booking), fields,
                                  self->cancellable, marked_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_mark_paid_dialog_dispose (GObject *object)
{
  EvaMarkPaidDialog *self = EVA_MARK_PAID_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_MARK_PAID_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->booking);

  G_OBJECT_CLASS (eva_mark_paid_dialog_parent_class)->dispose (object);
}

static void
eva_mark_paid_dialog_finalize (GObject *object)
{
  EvaMarkPaidDialog *self = EVA_MARK_PAID_DIALOG (object);

  g_free (self->currency);

  G_OBJECT_CLASS (eva_mark_paid_dialog_parent_class)->finalize (object);
}

static void
eva_mark_paid_dialog_class_init (EvaMarkPaidDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_mark_paid_dialog_dispose;
  object_class->finalize = eva_mark_paid_dialog_finalize;

  /**
   * EvaMarkPaidDialog::marked:
   * @booking: the booking as it is now
   */
  signals[MARKED] = g_signal_new ("marked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, EVA_TYPE_RECORD);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-mark-paid-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, mark_button);
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, page);
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, payment_group);
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, amount_row);
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, date_row);
  gtk_widget_class_bind_template_child (widget_class, EvaMarkPaidDialog, reference_row);
  gtk_widget_class_bind_template_callback (widget_class, input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, eva_mark_paid_dialog_submit);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
eva_mark_paid_dialog_init (EvaMarkPaidDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWindow *
eva_mark_paid_dialog_new (GtkWindow    *parent,
                          EvaApiClient *client,
                          EvaRecord    *booking,
                          const char   *currency)
{
  EvaMarkPaidDialog *self;
  g_autofree char *amount = NULL;
  g_autofree char *date = today ();
  g_autofree char *title = NULL;
  const char *method;
  const char *reference;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);

  self = g_object_new (EVA_TYPE_MARK_PAID_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->booking = eva_record_new (eva_record_get_object (booking));
  {
    g_autofree char *subtitle = eva_booking_describe_reference (booking);

    adw_window_title_set_subtitle (self->window_title, subtitle);
  }
  self->currency = g_strdup (currency);

  method = eva_record_get_string (booking, "payment_method");
  reference = eva_record_get_string (booking, "payment_reference");
  if (g_strcmp0 (method, "bank_transfer") == 0 && reference != NULL)
    {
      /* Translators: %s is the reference the buyer was asked to write on the transfer */
      g_autofree char *text = g_strdup_printf (_("A bank transfer with the reference %s."), reference);

      adw_preferences_group_set_description (self->payment_group, text);
    }
  else if (g_strcmp0 (method, "at_door") == 0)
    adw_preferences_group_set_description (self->payment_group, _("Paid at the door."));

  /* Translators: %s is a currency code, e.g. "Amount (EUR)" */
  title = g_strdup_printf (_("Amount (%s)"), currency != NULL ? currency : "");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->amount_row), title);
  amount = eva_format_money_plain (eva_record_get_int (booking, "total", 0), currency);
  gtk_editable_set_text (GTK_EDITABLE (self->amount_row), amount);
  gtk_editable_set_text (GTK_EDITABLE (self->date_row), date);
  show_error (self, NULL);
  eva_mark_paid_dialog_validate (self);
  return GTK_WINDOW (self);
}

void
eva_mark_paid_dialog_set_amount (EvaMarkPaidDialog *self,
                                 const char        *amount)
{
  g_return_if_fail (EVA_IS_MARK_PAID_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->amount_row), amount != NULL ? amount : "");
}

/* @date: YYYY-MM-DD */
void
eva_mark_paid_dialog_set_date (EvaMarkPaidDialog *self,
                               const char        *date)
{
  g_return_if_fail (EVA_IS_MARK_PAID_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->date_row), date != NULL ? date : "");
}

void
eva_mark_paid_dialog_set_reference (EvaMarkPaidDialog *self,
                                    const char        *reference)
{
  g_return_if_fail (EVA_IS_MARK_PAID_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->reference_row), reference != NULL ? reference : "");
}

/* The row of @field ("amount", "paid_on", "reference"), or NULL. */
GtkWidget *
eva_mark_paid_dialog_get_field_row (EvaMarkPaidDialog *self,
                                    const char        *field)
{
  g_return_val_if_fail (EVA_IS_MARK_PAID_DIALOG (self), NULL);

  if (g_strcmp0 (field, "amount") == 0)
    return GTK_WIDGET (self->amount_row);
  if (g_strcmp0 (field, "paid_on") == 0)
    return GTK_WIDGET (self->date_row);
  if (g_strcmp0 (field, "reference") == 0)
    return GTK_WIDGET (self->reference_row);
  return NULL;
}

gboolean
eva_mark_paid_dialog_validate (EvaMarkPaidDialog *self)
{
  g_autoptr(GDate) date = NULL;
  g_autoptr(GDate) now = g_date_new ();
  const char *problem = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (EVA_IS_MARK_PAID_DIALOG (self), FALSE);

  if (parse_amount (self) <= 0)
    problem = _("Enter an amount such as 25 or 25.50");
  eva_row_set_error (GTK_WIDGET (self->amount_row), problem);
  ok = ok && problem == NULL;

  problem = NULL;
  date = parse_date (self);
  g_date_set_time_t (now, time (NULL));
  if (date == NULL)
    problem = _("Enter a day as YYYY-MM-DD, e.g. 2030-04-12");
  else if (g_date_compare (date, now) > 0)
    problem = _("Must not be after today");
  eva_row_set_error (GTK_WIDGET (self->date_row), problem);
  ok = ok && problem == NULL;

  problem = NULL;
  if (g_utf8_strlen (gtk_editable_get_text (GTK_EDITABLE (self->reference_row)), -1) > REFERENCE_MAX)
    problem = _("At most 100 characters");
  eva_row_set_error (GTK_WIDGET (self->reference_row), problem);
  ok = ok && problem == NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->mark_button), ok && !self->busy);
  return ok;
}

/* Asks to confirm, naming the sum and the day, and sends it when told so. */
void
eva_mark_paid_dialog_submit (EvaMarkPaidDialog *self)
{
  g_autofree char *amount = NULL;
  g_autofree char *date = NULL;
  GtkWidget *dialog;

  g_return_if_fail (EVA_IS_MARK_PAID_DIALOG (self));

  if (self->busy || !eva_mark_paid_dialog_validate (self))
    return;
  amount = eva_format_money (parse_amount (self), self->currency);
  date = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->date_row))));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Mark as Paid?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  /* Translators: a sum of money, then a day (YYYY-MM-DD) */
                                  _("This records %s received on %s, and the booking counts as paid."),
                                  amount, date);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "mark-paid", _("_Mark as Paid"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "mark-paid",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "mark-paid");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

gboolean
eva_mark_paid_dialog_get_busy (EvaMarkPaidDialog *self)
{
  g_return_val_if_fail (EVA_IS_MARK_PAID_DIALOG (self), FALSE);
  return self->busy;
}

const char *
eva_mark_paid_dialog_get_error (EvaMarkPaidDialog *self)
{
  g_return_val_if_fail (EVA_IS_MARK_PAID_DIALOG (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->error_label))
         ? gtk_label_get_label (self->error_label) : NULL;
}

/* What "amount", "paid_on" or "reference" holds. */
const char *
eva_mark_paid_dialog_get_text (EvaMarkPaidDialog *self,
                               const char        *field)
{
  GtkWidget *row;

  g_return_val_if_fail (EVA_IS_MARK_PAID_DIALOG (self), NULL);

  row = eva_mark_paid_dialog_get_field_row (self, field);
  return row != NULL ? gtk_editable_get_text (GTK_EDITABLE (row)) : NULL;
}
