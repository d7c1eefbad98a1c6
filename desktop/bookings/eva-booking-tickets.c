/* eva-booking-tickets.c: the tickets of a booking, in its dialog
 *
 * The tickets the server issued for the booking
 * (GET /api/v1/admin/bookings/{id}/tickets), a row each, valid ones
 * first: who holds it (or "No name"), its ticket type, the start and the
 * end of its code and when it was issued; revoked ones (reissued, or
 * their booking cancelled) dimmed, with when and why. A valid ticket's
 * menu edits the holder's name (PATCH /api/v1/admin/tickets/{id}),
 * copies its code, and reissues it after a confirmation
 * (POST …/reissue: a new code, the old one stops working at the door);
 * the list is read again after each.
 *
 * For the booking: "Preview Tickets" opens the PDF the attendee gets
 * (EvaTicketPreview), and "Resend Ticket Mail" queues the ticket mail
 * again (POST /api/v1/admin/bookings/{id}/tickets/resend). A toast says
 * it was queued, or when to try again when the server says it was
 * queued moments ago (429 and its Retry-After), or that the booking has
 * no valid ticket to send (409 no_tickets).
 *
 * Nothing here waits: every call is asynchronous and cancelled when the
 * booking changes or the dialog goes away.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-booking-tickets"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "api/eva-api-utils.h"
#include "bookings/eva-booking-tickets-private.h"
#include "bookings/eva-ticket-preview.h"
#include "widgets/eva-utils.h"

/* The holder's name, at most (the server's limit). */
#define HOLDER_NAME_MAX 100

struct _EvaBookingTickets
{
  AdwPreferencesGroup  parent_instance;

  GtkSpinner          *spinner;
  GtkListBox          *actions_list;
  AdwActionRow        *resend_row;
  GtkButton           *resend_button;

  EvaApiClient        *client;
  EvaRecord           *booking;
  char                *timezone;
  GPtrArray           *tickets;      /* EvaRecord, in the order shown */
  GPtrArray           *rows;
  GCancellable        *cancellable;  /* reading the list */
  GCancellable        *action_cancellable;
  char                *error;        /* why the list could not be read */
  char                *message;      /* what the last toast said */
  guint                pending;      /* edits, reissues, resends in flight */
  gboolean             loading;
  gboolean             resending;
};

G_DEFINE_FINAL_TYPE (EvaBookingTickets, eva_booking_tickets, ADW_TYPE_PREFERENCES_GROUP)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
notify_busy (EvaBookingTickets *self)
{
  gtk_spinner_set_spinning (self->spinner, self->loading || self->pending > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->loading || self->pending > 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
begin_call (EvaBookingTickets *self)
{
  self->pending++;
  notify_busy (self);
}

static void
end_call (EvaBookingTickets *self)
{
  g_return_if_fail (self->pending > 0);
  self->pending--;
  notify_busy (self);
}

static void
toast (EvaBookingTickets *self,
       const char        *message)
{
  g_free (self->message);
  self->message = g_strdup (message);
  eva_show_toast (GTK_WIDGET (self), message);
}

static GtkWindow *
parent_window (EvaBookingTickets *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static gboolean
is_valid (EvaRecord *ticket)
{
  return g_strcmp0 (eva_record_get_string (ticket, "status"), "valid") == 0;
}

static EvaRecord *
find_ticket (EvaBookingTickets *self,
             const char        *id)
{
  for (guint i = 0; i < self->tickets->len; i++)
    if (g_strcmp0 (eva_record_get_id (g_ptr_array_index (self->tickets, i)), id) == 0)
      return g_ptr_array_index (self->tickets, i);
  return NULL;
}

static const char *
holder_of (EvaRecord *ticket)
{
  const char *holder = eva_record_get_string (ticket, "holder_name");

  return holder != NULL && *holder != '\0' ? holder : NULL;
}

/* The start and the end of a code, "EV1.AEBD…7QZKXA2M": the start says
 * what it is; the start alone is the same for every ticket signed with
 * one key (docs/ticket-codes.md), the end tells tickets apart. */
static char *
short_code (const char *code)
{
  gsize len = code != NULL ? strlen (code) : 0;

  if (len <= 20)
    return g_strdup (code != NULL ? code : "");
  return g_strdup_printf ("%.8s…%s", code, code + len - 8);
}

static char *
format_time (EvaBookingTickets *self,
             EvaRecord         *ticket,
             const char        *member)
{
  g_autoptr(GDateTime) dt = eva_record_get_datetime (ticket, member);

  return dt != NULL ? eva_format_datetime (dt, self->timezone) : NULL;
}

static GMenuModel *
ticket_menu_new (const char *id)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) edit = g_menu_new ();
  g_autoptr(GMenu) reissue = g_menu_new ();
  g_autoptr(GMenuItem) item = NULL;

  item = g_menu_item_new (_("Edit Holder _Name…"), NULL);
  g_menu_item_set_action_and_target_value (item, "tickets.edit-holder", g_variant_new_string (id));
  g_menu_append_item (edit, item);
  g_clear_object (&item);
  item = g_menu_item_new (_("_Copy Code"), NULL);
  g_menu_item_set_action_and_target_value (item, "tickets.copy-code", g_variant_new_string (id));
  g_menu_append_item (edit, item);
  g_clear_object (&item);
  item = g_menu_item_new (_("_Reissue…"), NULL);
  g_menu_item_set_action_and_target_value (item, "tickets.reissue", g_variant_new_string (id));
  g_menu_append_item (reissue, item);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (edit));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (reissue));
  return G_MENU_MODEL (menu);
}

static GtkWidget *
ticket_row_new (EvaBookingTickets *self,
                EvaRecord         *ticket)
{
  GtkWidget *row = adw_action_row_new ();
  const char *holder = holder_of (ticket);
  const char *type = eva_record_get_string (ticket, "ticket_type");
  const char *status = eva_record_get_string (ticket, "status");
  gboolean valid = is_valid (ticket);
  g_autofree char *code = short_code (eva_record_get_string (ticket, "code"));
  g_autofree char *when = NULL;
  g_autofree char *history = NULL;
  g_autofree char *subtitle = NULL;
  const char *pill_text = valid ? C_("ticket status", "Valid") : C_("ticket status", "Revoked");
  GtkWidget *suffix = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *pill = gtk_label_new (pill_text);

  if (valid)
    {
      when = format_time (self, ticket, "issued_at");
      /* Translators: %s is a date and time */
      history = when != NULL ? g_strdup_printf (_("Issued %s"), when) : NULL;
    }
  else
    {
      when = format_time (self, ticket, "revoked_at");
      if (g_strcmp0 (status, "reissued") == 0)
        /* Translators: %s is a date and time */
        history = g_strdup_printf (_("Revoked %s, replaced by a new code"), when != NULL ? when : "");
      else
        /* Translators: %s is a date and time */
        history = g_strdup_printf (_("Revoked %s with its booking"), when != NULL ? when : "");
    }
  /* Translators: a ticket's type, then the start and end of its code */
  subtitle = g_strdup_printf (_("%s · %s"), type != NULL ? type : "", code);
  if (history != NULL)
    {
      char *more = g_strconcat (subtitle, "\n", history, NULL);

      g_free (subtitle);
      subtitle = more;
    }

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), holder != NULL ? holder : _("No name"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (holder == NULL)
    gtk_widget_add_css_class (row, "ticket-unnamed");
  if (!valid)
    gtk_widget_add_css_class (row, "ticket-revoked");

  gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (pill, "status-pill");
  gtk_widget_add_css_class (pill, "caption-heading");
  eva_set_status_class (pill, valid ? "valid" : "revoked");
  gtk_box_append (GTK_BOX (suffix), pill);
  if (valid)
    {
      GtkWidget *menu_button = gtk_menu_button_new ();
      g_autoptr(GMenuModel) menu = ticket_menu_new (eva_record_get_id (ticket));

      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
      gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), menu);
      gtk_widget_set_tooltip_text (menu_button, _("Ticket Actions"));
      gtk_widget_set_valign (menu_button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (menu_button, "flat");
      gtk_box_append (GTK_BOX (suffix), menu_button);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);

  g_object_set_data_full (G_OBJECT (row), "eva-description",
                          g_strdup_printf ("%s · %s · %s", holder != NULL ? holder : _("No name"),
                                           pill_text, subtitle),
                          g_free);
  return row;
}

static gboolean
may_have_tickets (EvaBookingTickets *self)
{
  const char *status = self->booking != NULL ? eva_record_get_string (self->booking, "status") : NULL;

  return g_strcmp0 (status, "confirmed") == 0 || g_strcmp0 (status, "cancelled") == 0;
}

static void
show_tickets (EvaBookingTickets *self)
{
  gboolean any_valid = FALSE;
  const char *email = self->booking != NULL ? eva_booking_get_attendee (self->booking, "email") : NULL;

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  for (guint i = 0; i < self->tickets->len; i++)
    {
      EvaRecord *ticket = g_ptr_array_index (self->tickets, i);
      GtkWidget *row = ticket_row_new (self, ticket);

      any_valid = any_valid || is_valid (ticket);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
      g_ptr_array_add (self->rows, row);
    }

  if (self->error != NULL)
    {
      /* Translators: %s says why, e.g. "Cannot reach tickets.example.org" */
      g_autofree char *text = g_strdup_printf (_("The tickets could not be read: %s"), self->error);

      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self), text);
    }
  else
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self), NULL);

  if (email != NULL)
    {
      /* Translators: %s is the attendee's email address */
      g_autofree char *to = g_strdup_printf (_("To %s"), email);

      adw_action_row_set_subtitle (self->resend_row, to);
    }
  else
    adw_action_row_set_subtitle (self->resend_row, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->actions_list), any_valid);
  gtk_widget_set_visible (GTK_WIDGET (self),
                          self->tickets->len > 0 || (self->error != NULL && may_have_tickets (self)));
}

/* Valid tickets first, each part in the server's order (as issued). */
static void
take_tickets (EvaBookingTickets *self,
              GPtrArray         *items)
{
  g_ptr_array_set_size (self->tickets, 0);
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < items->len; i++)
      {
        EvaRecord *ticket = g_ptr_array_index (items, i);

        if (is_valid (ticket) == (pass == 0))
          g_ptr_array_add (self->tickets, g_object_ref (ticket));
      }
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaBookingTickets) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result, NULL, NULL,
                                                           &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading = FALSE;
  g_clear_pointer (&self->error, g_free);
  if (items == NULL)
    {
      /* A server without tickets yet answers 404: it shows none. */
      if (!g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND) &&
          !g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE))
        self->error = g_strdup (error->message);
      g_ptr_array_set_size (self->tickets, 0);
    }
  else
    take_tickets (self, items);
  show_tickets (self);
  notify_busy (self);
}

static void
reissued_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EvaBookingTickets) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) ticket = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  end_call (self);
  if (ticket == NULL)
    {
      if (g_strcmp0 (eva_api_error_get_code (error), "invalid_transition") == 0)
        toast (self, _("This ticket is no longer valid"));
      else
        {
          g_free (self->message);
          self->message = g_strdup (error->message);
          eva_report_error (GTK_WIDGET (self), error);
        }
    }
  else
    toast (self, _("Ticket reissued: the old code no longer works"));
  eva_booking_tickets_reload (self);
}

static void
holder_saved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EvaBookingTickets) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) ticket = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  end_call (self);
  if (ticket == NULL)
    {
      const char *field = eva_api_error_get_field_message (error, "holder_name");

      if (g_strcmp0 (eva_api_error_get_code (error), "invalid_transition") == 0)
        toast (self, _("This ticket is no longer valid"));
      else if (field != NULL)
        {
          /* Translators: %s is what the server says of the name, e.g. "too long" */
          g_autofree char *text = g_strdup_printf (_("The name was not saved: %s"), field);

          toast (self, text);
        }
      else
        {
          g_free (self->message);
          self->message = g_strdup (error->message);
          eva_report_error (GTK_WIDGET (self), error);
        }
    }
  else
    toast (self, _("Holder name saved"));
  eva_booking_tickets_reload (self);
}

static void
resent_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaBookingTickets) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *code;

  if (eva_api_client_empty_finish (EVA_API_CLIENT (source), result, &error))
    {
      const char *email = eva_booking_get_attendee (self->booking, "email");

      self->resending = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->resend_button), TRUE);
      end_call (self);
      if (email != NULL)
        /* Translators: %s is the attendee's email address */
        text = g_strdup_printf (_("The tickets are on their way to %s"), email);
      toast (self, text != NULL ? text : _("The tickets are on their way"));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->resending = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->resend_button), TRUE);
  end_call (self);

  code = eva_api_error_get_code (error);
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_RATE_LIMITED))
    {
      guint seconds = eva_api_error_get_retry_after (error);

      if (seconds == 0)
        text = g_strdup (_("The ticket mail was sent moments ago. Try again in a few minutes."));
      else if (seconds < 60)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The ticket mail was sent moments ago. Try again in %u second.",
                                             "The ticket mail was sent moments ago. Try again in %u seconds.",
                                             seconds),
                                seconds);
      else
        {
          guint minutes = (seconds + 59) / 60;

          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "The ticket mail was sent moments ago. Try again in %u minute.",
                                               "The ticket mail was sent moments ago. Try again in %u minutes.",
                                               minutes),
                                  minutes);
        }
      toast (self, text);
    }
  else if (g_strcmp0 (code, "no_tickets") == 0)
    {
      toast (self, _("This booking has no valid tickets to send. Tickets are issued once a booking is "
                     "confirmed."));
      eva_booking_tickets_reload (self);
    }
  else
    {
      g_free (self->message);
      self->message = g_strdup (error->message);
      eva_report_error (GTK_WIDGET (self), error);
    }
}

static void
reissue_response_cb (AdwMessageDialog  *dialog,
                     const char        *response,
                     EvaBookingTickets *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "eva-ticket-id");

  if (g_strcmp0 (response, "reissue") != 0 || id == NULL || self->client == NULL)
    return;
  begin_call (self);
  eva_api_client_reissue_ticket_async (self->client, id, self->action_cancellable, reissued_cb,
                                       g_object_ref (self));
}

static void
holder_response_cb (AdwMessageDialog  *dialog,
                    const char        *response,
                    EvaBookingTickets *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "eva-ticket-id");
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);

  if (g_strcmp0 (response, "save") != 0 || id == NULL || entry == NULL)
    return;
  eva_booking_tickets_set_holder (self, id, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
preview_activated_cb (EvaBookingTickets *self)
{
  eva_booking_tickets_open_preview (self);
}

static void
edit_holder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  eva_booking_tickets_edit_holder (EVA_BOOKING_TICKETS (widget), g_variant_get_string (param, NULL));
}

static void
reissue_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  eva_booking_tickets_ask_reissue (EVA_BOOKING_TICKETS (widget), g_variant_get_string (param, NULL));
}

static void
copy_code_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  EvaBookingTickets *self = EVA_BOOKING_TICKETS (widget);
  EvaRecord *ticket = find_ticket (self, g_variant_get_string (param, NULL));
  const char *code = ticket != NULL ? eva_record_get_string (ticket, "code") : NULL;

  if (code == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), code);
  toast (self, _("Code copied"));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_booking_tickets_dispose (GObject *object)
{
  EvaBookingTickets *self = EVA_BOOKING_TICKETS (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->action_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->action_cancellable);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_BOOKING_TICKETS);
  g_clear_object (&self->client);
  g_clear_object (&self->booking);
  g_clear_pointer (&self->tickets, g_ptr_array_unref);

  G_OBJECT_CLASS (eva_booking_tickets_parent_class)->dispose (object);
}

static void
eva_booking_tickets_finalize (GObject *object)
{
  EvaBookingTickets *self = EVA_BOOKING_TICKETS (object);

  g_free (self->timezone);
  g_free (self->error);
  g_free (self->message);

  G_OBJECT_CLASS (eva_booking_tickets_parent_class)->finalize (object);
}

static void
eva_booking_tickets_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EvaBookingTickets *self = EVA_BOOKING_TICKETS (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, eva_booking_tickets_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_booking_tickets_class_init (EvaBookingTicketsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_booking_tickets_dispose;
  object_class->finalize = eva_booking_tickets_finalize;
  object_class->get_property = eva_booking_tickets_get_property;

  /* Reading the list, or an edit, reissue or resend in flight. */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-booking-tickets.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaBookingTickets, spinner);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingTickets, actions_list);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingTickets, resend_row);
  gtk_widget_class_bind_template_child (widget_class, EvaBookingTickets, resend_button);
  gtk_widget_class_bind_template_callback (widget_class, preview_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, eva_booking_tickets_resend);

  gtk_widget_class_install_action (widget_class, "tickets.edit-holder", "s", edit_holder_action);
  gtk_widget_class_install_action (widget_class, "tickets.reissue", "s", reissue_action);
  gtk_widget_class_install_action (widget_class, "tickets.copy-code", "s", copy_code_action);
}

static void
eva_booking_tickets_init (EvaBookingTickets *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->tickets = g_ptr_array_new_with_free_func (g_object_unref);
  self->rows = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  self->action_cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_booking_tickets_set_booking:
 * @booking: the booking as last read
 * @timezone: (nullable): the event's time zone, for the times shown
 *
 * Shows the tickets of @booking, read from the server again.
 */
void
eva_booking_tickets_set_booking (EvaBookingTickets *self,
                                 EvaApiClient      *client,
                                 EvaRecord         *booking,
                                 const char        *timezone)
{
  g_return_if_fail (EVA_IS_BOOKING_TICKETS (self));
  g_return_if_fail (EVA_IS_API_CLIENT (client));
  g_return_if_fail (EVA_IS_RECORD (booking));

  if (self->booking != NULL &&
      g_strcmp0 (eva_record_get_id (self->booking), eva_record_get_id (booking)) != 0)
    {
      /* Another booking: nothing of the last one stays. */
      eva_cancellable_renew (&self->action_cancellable);
      g_ptr_array_set_size (self->tickets, 0);
      g_clear_pointer (&self->error, g_free);
      self->pending = 0;
      self->resending = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->resend_button), TRUE);
    }
  g_set_object (&self->client, client);
  g_set_object (&self->booking, booking);
  g_free (self->timezone);
  self->timezone = g_strdup (timezone);
  show_tickets (self);
  eva_booking_tickets_reload (self);
}

/* Reads the tickets again. */
void
eva_booking_tickets_reload (EvaBookingTickets *self)
{
  g_return_if_fail (EVA_IS_BOOKING_TICKETS (self));

  if (self->client == NULL || self->booking == NULL)
    return;
  eva_cancellable_renew (&self->cancellable);
  self->loading = TRUE;
  notify_busy (self);
  eva_api_client_list_booking_tickets_async (self->client, eva_record_get_id (self->booking),
                                             self->cancellable, listed_cb, g_object_ref (self));
}

gboolean
eva_booking_tickets_get_busy (EvaBookingTickets *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), FALSE);
  return self->loading || self->pending > 0;
}

/**
 * eva_booking_tickets_get_tickets:
 *
 * Returns: (transfer none) (element-type EvaRecord): the tickets as
 *   shown, valid ones first
 */
GPtrArray *
eva_booking_tickets_get_tickets (EvaBookingTickets *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), NULL);
  return self->tickets;
}

/**
 * eva_booking_tickets_ask_reissue:
 *
 * Asks whether to give the ticket a new code, and does when told so.
 *
 * Returns: (transfer none) (nullable): the confirmation
 */
GtkWindow *
eva_booking_tickets_ask_reissue (EvaBookingTickets *self,
                                 const char        *ticket_id)
{
  EvaRecord *ticket;
  const char *holder;
  GtkWidget *dialog;

  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), NULL);

  ticket = find_ticket (self, ticket_id);
  if (ticket == NULL || !is_valid (ticket))
    return NULL;
  holder = holder_of (ticket);
  dialog = adw_message_dialog_new (parent_window (self), _("Reissue This Ticket?"), NULL);
  if (holder != NULL)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    /* Translators: %s is the name of the ticket's holder */
                                    _("The ticket of %s gets a new code. The code it has now stops "
                                      "working at the door. Send the tickets again afterwards."),
                                    holder);
  else
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                                 _("The ticket gets a new code. The code it has now stops working at "
                                   "the door. Send the tickets again afterwards."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "reissue", _("_Reissue"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reissue",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "eva-ticket-id", g_strdup (ticket_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (reissue_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return GTK_WINDOW (dialog);
}

/**
 * eva_booking_tickets_edit_holder:
 *
 * Asks for the name of the ticket's holder (an entry in a message
 * dialog; "save" sends it).
 *
 * Returns: (transfer none) (nullable): the dialog; its extra child is
 *   the entry
 */
GtkWindow *
eva_booking_tickets_edit_holder (EvaBookingTickets *self,
                                 const char        *ticket_id)
{
  EvaRecord *ticket;
  const char *holder;
  GtkWidget *dialog;
  GtkWidget *entry;

  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), NULL);

  ticket = find_ticket (self, ticket_id);
  if (ticket == NULL || !is_valid (ticket))
    return NULL;
  holder = holder_of (ticket);
  dialog = adw_message_dialog_new (parent_window (self), _("Holder Name"),
                                   _("The name printed on the ticket. Leave it empty for a ticket "
                                     "without a name."));
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), holder != NULL ? holder : "");
  gtk_entry_set_max_length (GTK_ENTRY (entry), HOLDER_NAME_MAX);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_entry_set_input_hints (GTK_ENTRY (entry), GTK_INPUT_HINT_UPPERCASE_WORDS);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Holder name"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "eva-ticket-id", g_strdup (ticket_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (holder_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
  return GTK_WINDOW (dialog);
}

/* Sends the holder's @name (spaces around it dropped; empty: none), then
 * reads the list again. */
void
eva_booking_tickets_set_holder (EvaBookingTickets *self,
                                const char        *ticket_id,
                                const char        *name)
{
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *clean = NULL;

  g_return_if_fail (EVA_IS_BOOKING_TICKETS (self));
  g_return_if_fail (ticket_id != NULL);

  if (self->client == NULL)
    return;
  clean = g_strstrip (g_strdup (name != NULL ? name : ""));
  fields = json_object_new ();
  /* The server takes "" for no name (it refuses null). */
  json_object_set_string_member (fields, "holder_name", clean);
  begin_call (self);
  eva_api_client_update_ticket_async (self->client, ticket_id, fields, self->action_cancellable,
                                      holder_saved_cb, g_object_ref (self));
}

/* Queues the booking's ticket mail again; a toast says how it went. */
void
eva_booking_tickets_resend (EvaBookingTickets *self)
{
  g_return_if_fail (EVA_IS_BOOKING_TICKETS (self));

  if (self->client == NULL || self->booking == NULL || self->resending)
    return;
  self->resending = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->resend_button), FALSE);
  begin_call (self);
  eva_api_client_resend_tickets_async (self->client, eva_record_get_id (self->booking),
                                       self->action_cancellable, resent_cb, g_object_ref (self));
}

/**
 * eva_booking_tickets_open_preview:
 *
 * Opens the PDF of the booking's valid tickets in a window of its own.
 *
 * Returns: (transfer none) (nullable): the preview window
 */
GtkWindow *
eva_booking_tickets_open_preview (EvaBookingTickets *self)
{
  GtkWindow *preview;
  const char *name;
  g_autofree char *reference = NULL;
  g_autofree char *subtitle = NULL;

  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), NULL);

  if (self->client == NULL || self->booking == NULL)
    return NULL;
  name = eva_booking_get_attendee (self->booking, "name");
  if (name == NULL || *name == '\0')
    name = eva_booking_get_attendee (self->booking, "email");
  reference = eva_booking_get_reference (self->booking);
  /* Translators: who booked, then the booking's reference, e.g.
   * "Ada Lovelace · 1E047278" */
  subtitle = name != NULL ? g_strdup_printf (_("%s · %s"), name, reference) : g_strdup (reference);
  preview = eva_ticket_preview_new (parent_window (self), self->client,
                                    eva_record_get_id (self->booking), subtitle);
  gtk_window_present (preview);
  return preview;
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/* A line a ticket, as its row shows it: "Ada Lovelace · Valid ·
 * Standard · EV1.AEBD…7QZKXA2M\nIssued …". */
char *
_eva_booking_tickets_describe (EvaBookingTickets *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), NULL);

  for (guint i = 0; i < self->rows->len; i++)
    {
      g_autofree char *line = g_strdup (g_object_get_data (g_ptr_array_index (self->rows, i),
                                                           "eva-description"));

      g_strdelimit (line, "\n", '|');
      g_string_append_printf (out, "%s%s", i > 0 ? "\n" : "", line);
    }
  return g_string_free (out, FALSE);
}

/* What the last toast said, or NULL. */
const char *
_eva_booking_tickets_get_message (EvaBookingTickets *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), NULL);
  return self->message;
}

/* Why the list could not be read (as the group's description says), or
 * NULL. */
const char *
_eva_booking_tickets_get_error (EvaBookingTickets *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), NULL);
  return self->error;
}

/* Whether "Preview Tickets" and "Resend Ticket Mail" are offered. */
gboolean
_eva_booking_tickets_can_resend (EvaBookingTickets *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_TICKETS (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self)) &&
         gtk_widget_get_visible (GTK_WIDGET (self->actions_list));
}
