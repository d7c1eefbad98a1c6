/* test-widgets.c: the widgets on their own
 *
 * Sign-in validation, the editor's field errors (its own rules and the
 * server's details), the ticket type dialog's capacity, the date-time
 * button's time zones, the events and bookings lists filling page by page
 * from a real server as they scroll, a booking in detail (and cancelled),
 * the CSV export written to a file, and the coupon dialog's ticket type
 * restrictions and minimum order going to the server and back. Payments:
 * a bank transfer marked as paid (the wrong sum refused first), refunded
 * in part then in full; a card paid through the Stripe stand-in
 * (tests/stripe), refunded with the gateway down then back (the same
 * refund, not a second), pending, failed and refunded again;
 * pay-at-the-door marked paid and a refund refused with the input kept,
 * the Awaiting Payment filter and the rows' badges, the editor's payment
 * fields to the server and back, and refunding all paid bookings of a
 * cancelled event with its report and retry. Tickets: a confirmed
 * booking's tickets in its dialog, a holder's name edited and read back
 * through the API, a ticket reissued (a new code, the old one revoked),
 * the ticket mail resent then throttled (and refused for a booking
 * without tickets), and the PDF preview drawn from the server's PDF and
 * saved. Every widget must finalize at the end.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libintl.h>
#include <locale.h>

#include "app/eva-window.h"
#include "bookings/eva-booking-dialog-private.h"
#include "bookings/eva-booking-tickets-private.h"
#include "bookings/eva-bookings-view.h"
#include "bookings/eva-mark-paid-dialog.h"
#include "bookings/eva-refund-all-dialog.h"
#include "bookings/eva-refund-dialog.h"
#include "bookings/eva-ticket-preview.h"
#include "coupons/eva-coupon-dialog-private.h"
#include "events/eva-checkin-list-dialog-private.h"
#include "events/eva-checkin-lists-view-private.h"
#include "events/eva-event-editor.h"
#include "events/eva-event-row.h"
#include "events/eva-events-view.h"
#include "events/eva-ticket-type-dialog.h"
#include "sign-in/eva-sign-in-page-private.h"
#include "widgets/eva-date-time-button.h"
#include "widgets/eva-payments.h"
#include "widgets/eva-utils.h"

#include "eva-desktop-seed.h"
#include "eva-desktop-test.h"
#include "eva-test.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
set_text (GtkWidget  *editable,
          const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
}

static gboolean
row_marked (GtkWidget *row)
{
  return gtk_widget_has_css_class (row, "error") && eva_row_has_error (row);
}

/* The first widget of @type under @root (depth first), or NULL. */
static GtkWidget *
find_descendant (GtkWidget *root,
                 GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_descendant (child, type)) != NULL)
        return found;
    }
  return NULL;
}

/* The first action row under @root titled @title, or NULL. */
static GtkWidget *
find_row_titled (GtkWidget  *root,
                 const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (ADW_IS_ACTION_ROW (child) &&
          g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0)
        return child;
      if ((found = find_row_titled (child, title)) != NULL)
        return found;
    }
  return NULL;
}

static EvaRecord *
record_from_json (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return eva_record_new (json_node_get_object (node));
}

/* ------------------------------------------------------------------ */
/* Sign-in page                                                       */
/* ------------------------------------------------------------------ */

static void
test_sign_in_validates (void)
{
  EvaSignInPage *page = g_object_ref_sink (EVA_SIGN_IN_PAGE (eva_sign_in_page_new ()));
  GtkWidget *server = _eva_sign_in_page_get_row (page, "server");
  GtkWidget *email = _eva_sign_in_page_get_row (page, "email");
  GtkWidget *password = _eva_sign_in_page_get_row (page, "password");
  GtkWidget *button = _eva_sign_in_page_get_row (page, "button");

  /* Empty: nothing to complain about yet, nothing to send either. */
  g_assert_false (eva_sign_in_page_get_can_submit (page));
  g_assert_false (row_marked (server));
  g_assert_false (gtk_widget_get_sensitive (button));

  set_text (server, "ftp://example.org");
  g_assert_true (row_marked (server));
  set_text (server, "tickets.example.org");
  g_assert_false (row_marked (server));

  set_text (email, "not-an-email");
  g_assert_true (row_marked (email));
  g_assert_false (gtk_widget_get_sensitive (button));
  set_text (email, "ada@example.org");
  g_assert_false (row_marked (email));

  /* No password yet */
  g_assert_false (eva_sign_in_page_get_can_submit (page));
  g_assert_false (gtk_widget_get_sensitive (button));
  set_text (password, "secret");
  g_assert_true (eva_sign_in_page_get_can_submit (page));
  g_assert_true (gtk_widget_get_sensitive (button));

  eva_sign_in_page_set_message (page, "Your session has expired.");
  g_assert_cmpstr (eva_sign_in_page_get_message (page), ==, "Your session has expired.");

  g_assert_finalize_object (page);
}

static gboolean
has_message (gpointer data)
{
  return eva_sign_in_page_get_message (data) != NULL;
}

/* Nobody listens on port 1: the page says the server cannot be reached
 * and marks the address. */
static void
test_sign_in_unreachable (void)
{
  EvaSignInPage *page = g_object_ref_sink (EVA_SIGN_IN_PAGE (eva_sign_in_page_new ()));
  g_autoptr(EvaApiClient) client = eva_api_client_new (NULL);

  eva_sign_in_page_set_client (page, client);
  eva_sign_in_page_set_server (page, "http://127.0.0.1:1");
  eva_sign_in_page_set_email (page, "ada@example.org");
  set_text (_eva_sign_in_page_get_row (page, "password"), "secret");
  eva_sign_in_page_submit (page);
  eva_desktop_test_wait (has_message, page, 30, "the sign-in error");

  g_assert_nonnull (strstr (eva_sign_in_page_get_message (page), "Cannot reach"));
  g_assert_true (row_marked (_eva_sign_in_page_get_row (page, "server")));
  g_assert_false (eva_api_client_get_signed_in (client));

  g_assert_finalize_object (page);
}

/* ------------------------------------------------------------------ */
/* Event editor                                                       */
/* ------------------------------------------------------------------ */

static const char event_json[] =
  "{\"id\":\"6f1c2a8e-0000-4000-8000-000000000001\",\"slug\":\"spring-concert\","
  "\"title\":\"Spring Concert\",\"description\":\"Music\",\"venue\":\"Town Hall\","
  "\"address\":\"\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2030-04-12T17:30:00Z\","
  "\"ends_at\":\"2030-04-12T20:30:00Z\",\"status\":\"draft\",\"currency\":\"EUR\","
  "\"hold_minutes\":15,\"cancellation_hours\":24,\"max_tickets_per_attendee\":4,"
  "\"published_at\":null}";

static void
test_editor_fills_and_sends (void)
{
  EvaEventEditor *editor = g_object_ref_sink (EVA_EVENT_EDITOR (eva_event_editor_new ()));
  g_autoptr(EvaRecord) event = record_from_json (event_json);
  g_autoptr(JsonObject) fields = NULL;

  eva_event_editor_set_event (editor, event);
  g_assert_false (eva_event_editor_get_dirty (editor));
  g_assert_true (eva_event_editor_validate (editor));

  fields = eva_event_editor_get_fields (editor);
  g_assert_cmpstr (json_object_get_string_member (fields, "title"), ==, "Spring Concert");
  g_assert_cmpstr (json_object_get_string_member (fields, "timezone"), ==, "Europe/Berlin");
  /* Wall-clock time in the event's zone, sent as RFC 3339. */
  g_assert_cmpstr (json_object_get_string_member (fields, "starts_at"), ==, "2030-04-12T17:30:00Z");
  g_assert_cmpstr (json_object_get_string_member (fields, "currency"), ==, "EUR");
  g_assert_cmpint (json_object_get_int_member (fields, "cancellation_hours"), ==, 24);

  set_text (eva_event_editor_get_field_row (editor, "venue"), "Concert Hall");
  g_assert_true (eva_event_editor_get_dirty (editor));

  g_assert_finalize_object (editor);
}

static void
test_editor_inline_rules (void)
{
  EvaEventEditor *editor = g_object_ref_sink (EVA_EVENT_EDITOR (eva_event_editor_new ()));
  g_autoptr(EvaRecord) event = record_from_json (event_json);
  GtkWidget *slug;
  GtkWidget *currency;
  GtkWidget *title;

  eva_event_editor_set_event (editor, event);
  slug = eva_event_editor_get_field_row (editor, "slug");
  currency = eva_event_editor_get_field_row (editor, "currency");
  title = eva_event_editor_get_field_row (editor, "title");

  set_text (slug, "Not A Slug");
  g_assert_true (row_marked (slug));
  g_assert_false (eva_event_editor_validate (editor));
  set_text (slug, "6f1c2a8e-0000-4000-8000-000000000001");
  g_assert_true (row_marked (slug));
  set_text (slug, "");
  g_assert_false (row_marked (slug));

  set_text (currency, "EURO");
  g_assert_true (row_marked (currency));
  set_text (currency, "JPY");
  g_assert_false (row_marked (currency));

  set_text (title, "");
  g_assert_true (row_marked (title));
  g_assert_false (eva_event_editor_validate (editor));
  set_text (title, "Spring Concert");
  g_assert_true (eva_event_editor_validate (editor));

  g_assert_finalize_object (editor);
}

/* The text rules' reasons (common/eva-validate.c, and the server's field
 * errors) are shown in the user's language: a catalog made here with
 * msgfmt, read as German. Reasons not known stay as they are. */
static void
test_reason_labels (void)
{
  static const char catalog[] =
    "msgid \"\"\n"
    "msgstr \"\"\n"
    "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
    "\"Plural-Forms: nplurals=2; plural=(n != 1);\\n\"\n\n"
    "msgid \"must not be empty\"\n"
    "msgstr \"darf nicht leer sein\"\n\n"
    "msgid \"must be at most %u character\"\n"
    "msgid_plural \"must be at most %u characters\"\n"
    "msgstr[0] \"darf höchstens %u Zeichen haben\"\n"
    "msgstr[1] \"darf höchstens %u Zeichen lang sein\"\n";
  g_autofree char *dir = g_dir_make_tmp ("everato-po-XXXXXX", NULL);
  g_autofree char *po = g_build_filename (dir, "de.po", NULL);
  g_autofree char *mo_dir = g_build_filename (dir, "de", "LC_MESSAGES", NULL);
  g_autofree char *mo = g_build_filename (mo_dir, GETTEXT_PACKAGE ".mo", NULL);
  g_autofree char *old_dir = g_strdup (bindtextdomain (GETTEXT_PACKAGE, NULL));
  g_autofree char *old_locale = g_strdup (setlocale (LC_MESSAGES, NULL));
  g_autofree char *old_language = g_strdup (g_getenv ("LANGUAGE"));
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "msgfmt", "-o", mo, po, NULL };
  int status = 0;

  /* English: the reasons themselves, one and many. */
  g_assert_cmpstr (eva_reason_label ("must not be empty"), ==, "must not be empty");
  g_assert_cmpstr (eva_reason_label ("must be at most 1 character"), ==, "must be at most 1 character");
  g_assert_cmpstr (eva_reason_label ("must be at most 200 characters"), ==, "must be at most 200 characters");
  g_assert_cmpstr (eva_reason_label (NULL), ==, "is not valid");
  g_assert_null (eva_check_text ("Spring Concert", 200, EVA_TEXT_SINGLE_LINE));

  g_assert_cmpint (g_mkdir_with_parents (mo_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (po, catalog, -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  g_assert_nonnull (setlocale (LC_MESSAGES, "C.UTF-8"));
  g_setenv ("LANGUAGE", "de", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");   /* as desktop/main.c */

  g_assert_cmpstr (eva_reason_label ("must not be empty"), ==, "darf nicht leer sein");
  g_assert_cmpstr (eva_check_text ("", 200, EVA_TEXT_SINGLE_LINE), ==, "darf nicht leer sein");
  g_assert_cmpstr (eva_reason_label ("must be at most 1 character"), ==, "darf höchstens 1 Zeichen haben");
  g_assert_cmpstr (eva_reason_label ("must be at most 200 characters"), ==,
                   "darf höchstens 200 Zeichen lang sein");
  g_assert_cmpstr (eva_check_text ("zu lang", 3, EVA_TEXT_SINGLE_LINE), ==,
                   "darf höchstens 3 Zeichen lang sein");
  /* Not one of them: as it came. */
  g_assert_cmpstr (eva_reason_label ("is already taken"), ==, "is already taken");
  g_assert_cmpstr (eva_reason_label ("must be at most 200 characters, or so"), ==,
                   "must be at most 200 characters, or so");

  bindtextdomain (GETTEXT_PACKAGE, old_dir);
  if (old_language != NULL)
    g_setenv ("LANGUAGE", old_language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  setlocale (LC_MESSAGES, old_locale);
  g_assert_cmpstr (eva_reason_label ("must not be empty"), ==, "must not be empty");

  g_remove (mo);
  g_remove (po);
  g_rmdir (mo_dir);
  {
    g_autofree char *de = g_path_get_dirname (mo_dir);

    g_rmdir (de);
  }
  g_rmdir (dir);
}

/* The server's validation_failed details land at the rows they name. */
static void
test_editor_server_errors (void)
{
  EvaEventEditor *editor = g_object_ref_sink (EVA_EVENT_EDITOR (eva_event_editor_new ()));
  g_autoptr(EvaRecord) event = record_from_json (event_json);
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(GError) error = NULL;
  GtkWidget *ends;
  GtkWidget *timezone;
  GtkWidget *slug;

  eva_event_editor_set_event (editor, event);
  json_object_set_string_member (details, "ends_at", "must be after starts_at");
  json_object_set_string_member (details, "timezone", "must be an IANA time zone name");
  json_object_set_string_member (details, "slug", "is already taken");
  json_object_set_string_member (details, "no_such_field", "is ignored");
  error = eva_api_error_new (400, "validation_failed", "Some fields are not valid", details);

  eva_event_editor_show_error (editor, error);

  ends = eva_event_editor_get_field_row (editor, "ends_at");
  timezone = eva_event_editor_get_field_row (editor, "timezone");
  slug = eva_event_editor_get_field_row (editor, "slug");
  g_assert_true (row_marked (ends));
  g_assert_cmpstr (eva_row_get_error (ends), ==, "must be after starts_at");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (ends), ==, "must be after starts_at");
  /* Action rows say it in the subtitle too. */
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (ends)), ==, "must be after starts_at");
  g_assert_true (row_marked (timezone));
  g_assert_cmpstr (eva_row_get_error (slug), ==, "is already taken");
  g_assert_false (row_marked (eva_event_editor_get_field_row (editor, "title")));
  g_assert_false (row_marked (eva_event_editor_get_field_row (editor, "venue")));

  /* Loading the event again clears them. */
  eva_event_editor_set_event (editor, event);
  g_assert_false (row_marked (ends));

  g_assert_finalize_object (editor);
}

/* The payment fields as the editor reads and sends them: shown from the
 * event, sent when the server showed them; for a server that shows none
 * only once they differ from the defaults. */
static void
test_editor_payment_json (void)
{
  EvaEventEditor *editor = g_object_ref_sink (EVA_EVENT_EDITOR (eva_event_editor_new ()));
  g_autoptr(EvaRecord) old = record_from_json (event_json);
  g_autoptr(EvaRecord) event = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) object = NULL;
  GtkSwitch *card;
  GtkSwitch *transfer;
  GtkSwitch *door;
  GtkSpinButton *days;
  GtkTextView *details;
  JsonArray *methods;

  card = GTK_SWITCH (find_descendant (eva_event_editor_get_field_row (editor, "card"), GTK_TYPE_SWITCH));
  transfer = GTK_SWITCH (find_descendant (eva_event_editor_get_field_row (editor, "bank_transfer"),
                                          GTK_TYPE_SWITCH));
  door = GTK_SWITCH (find_descendant (eva_event_editor_get_field_row (editor, "at_door"), GTK_TYPE_SWITCH));
  days = GTK_SPIN_BUTTON (find_descendant (eva_event_editor_get_field_row (editor, "transfer_days"),
                                           GTK_TYPE_SPIN_BUTTON));
  details = GTK_TEXT_VIEW (find_descendant (eva_event_editor_get_field_row (editor, "transfer_details"),
                                            GTK_TYPE_TEXT_VIEW));

  /* A server without payments: nothing of them is sent… */
  eva_event_editor_set_event (editor, old);
  g_assert_true (gtk_switch_get_active (card));
  g_assert_false (gtk_switch_get_active (transfer));
  fields = eva_event_editor_get_fields (editor);
  g_assert_false (json_object_has_member (fields, "payment_methods"));
  g_assert_false (json_object_has_member (fields, "transfer_days"));
  g_clear_pointer (&fields, json_object_unref);
  /* …until they are changed */
  gtk_switch_set_active (door, TRUE);
  g_assert_true (eva_event_editor_get_dirty (editor));
  fields = eva_event_editor_get_fields (editor);
  methods = json_object_get_array_member (fields, "payment_methods");
  g_assert_cmpuint (json_array_get_length (methods), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (methods, 1), ==, "at_door");
  g_assert_true (json_object_get_null_member (fields, "transfer_details"));
  g_assert_cmpint (json_object_get_int_member (fields, "transfer_days"), ==, 7);
  g_clear_pointer (&fields, json_object_unref);

  /* A server that shows them: as they are, and always sent */
  {
    g_autoptr(JsonNode) node = json_from_string (event_json, NULL);
    JsonArray *array = json_array_new ();

    object = json_object_ref (json_node_get_object (node));
    json_array_add_string_element (array, "bank_transfer");
    json_object_set_array_member (object, "payment_methods", array);
    json_object_set_string_member (object, "transfer_details", "IBAN DE89 3704 0044 0532 0130 00");
    json_object_set_int_member (object, "transfer_days", 14);
  }
  event = eva_record_new (object);
  eva_event_editor_set_event (editor, event);
  g_assert_false (eva_event_editor_get_dirty (editor));
  g_assert_false (gtk_switch_get_active (card));
  g_assert_true (gtk_switch_get_active (transfer));
  g_assert_false (gtk_switch_get_active (door));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (days), ==, 14);
  g_assert_true (gtk_widget_is_sensitive (eva_event_editor_get_field_row (editor, "transfer_days")));
  fields = eva_event_editor_get_fields (editor);
  methods = json_object_get_array_member (fields, "payment_methods");
  g_assert_cmpuint (json_array_get_length (methods), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (methods, 0), ==, "bank_transfer");
  g_assert_cmpstr (json_object_get_string_member (fields, "transfer_details"), ==,
                   "IBAN DE89 3704 0044 0532 0130 00");
  g_assert_cmpint (json_object_get_int_member (fields, "transfer_days"), ==, 14);
  g_clear_pointer (&fields, json_object_unref);

  /* Without transfers, their details and days are not to be edited */
  gtk_switch_set_active (transfer, FALSE);
  g_assert_false (gtk_widget_is_sensitive (eva_event_editor_get_field_row (editor, "transfer_days")));
  /* and some way to pay must be left */
  g_assert_false (eva_event_editor_validate (editor));
  g_assert_true (row_marked (eva_event_editor_get_field_row (editor, "payment_methods")));
  gtk_switch_set_active (card, TRUE);
  g_assert_true (eva_event_editor_validate (editor));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (details), "", -1);
  fields = eva_event_editor_get_fields (editor);
  g_assert_true (json_object_get_null_member (fields, "transfer_details"));

  g_assert_finalize_object (editor);
}

/* Tickets per attendee: shown as loaded, checked as typed with the
 * server's range (1 to 1000000), sent when changed, and the server's
 * word on it shown at its row. */
static void
test_editor_tickets_per_attendee (void)
{
  EvaEventEditor *editor = g_object_ref_sink (EVA_EVENT_EDITOR (eva_event_editor_new ()));
  g_autoptr(EvaRecord) event = record_from_json (event_json);
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(GError) error = NULL;
  GtkWidget *row = eva_event_editor_get_field_row (editor, "max_tickets_per_attendee");
  GtkSpinButton *spin = GTK_SPIN_BUTTON (find_descendant (row, GTK_TYPE_SPIN_BUTTON));
  const char *subtitle;

  g_assert_true (ADW_IS_ACTION_ROW (row));
  subtitle = "Most tickets one person may book for this event";
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "Tickets per Attendee");

  /* A new event starts at the server's default. */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 10);

  eva_event_editor_set_event (editor, event);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 4);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, "4");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, subtitle);
  g_assert_false (eva_event_editor_get_dirty (editor));
  g_assert_false (row_marked (row));
  fields = eva_event_editor_get_fields (editor);
  g_assert_cmpint (json_object_get_int_member (fields, "max_tickets_per_attendee"), ==, 4);
  g_clear_pointer (&fields, json_object_unref);

  /* Typed out of range: said at once, before the spin button clamps it. */
  set_text (GTK_WIDGET (spin), "0");
  g_assert_true (row_marked (row));
  g_assert_false (eva_event_editor_validate (editor));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "1 to 1000000"));
  set_text (GTK_WIDGET (spin), "1000001");
  g_assert_true (row_marked (row));
  set_text (GTK_WIDGET (spin), "");
  g_assert_true (row_marked (row));
  set_text (GTK_WIDGET (spin), "1000000");
  g_assert_false (row_marked (row));
  g_assert_true (eva_event_editor_validate (editor));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, subtitle);

  /* Changed: the editor is dirty and sends the new value. */
  eva_event_editor_set_event (editor, event);
  g_assert_false (eva_event_editor_get_dirty (editor));
  gtk_spin_button_set_value (spin, 25);
  g_assert_true (eva_event_editor_get_dirty (editor));
  fields = eva_event_editor_get_fields (editor);
  g_assert_cmpint (json_object_get_int_member (fields, "max_tickets_per_attendee"), ==, 25);

  /* The server's validation_failed detail for it lands at the row. */
  json_object_set_string_member (details, "max_tickets_per_attendee",
                                 "must be an integer from 1 to 1000000");
  error = eva_api_error_new (400, "validation_failed", "Some fields are not valid", details);
  eva_event_editor_show_error (editor, error);
  g_assert_true (row_marked (row));
  g_assert_cmpstr (eva_row_get_error (row), ==, "must be an integer from 1 to 1000000");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "must be an integer from 1 to 1000000");
  g_assert_false (row_marked (eva_event_editor_get_field_row (editor, "cancellation_hours")));

  /* Loading the event again clears it and brings the subtitle back. */
  eva_event_editor_set_event (editor, event);
  g_assert_false (row_marked (row));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, subtitle);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 4);

  g_assert_finalize_object (editor);
}

/* ------------------------------------------------------------------ */
/* Ticket type dialog                                                 */
/* ------------------------------------------------------------------ */

static void
test_ticket_type_capacity (void)
{
  g_autoptr(EvaRecord) event = record_from_json (event_json);
  g_autoptr(EvaRecord) tt = record_from_json (
    "{\"id\":\"6f1c2a8e-0000-4000-8000-0000000000aa\",\"name\":\"Standard\",\"description\":\"\","
    "\"price\":2550,\"currency\":\"EUR\",\"capacity\":100,\"held\":5,\"sold\":25,\"available\":70,"
    "\"sales_start\":null,\"sales_end\":null,\"max_per_order\":10,\"max_per_attendee\":null,"
    "\"hidden\":false,\"sort_order\":0}");
  g_autoptr(EvaApiClient) client = eva_api_client_new ("http://127.0.0.1:1");
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fields = NULL;
  GtkWindow *dialog = eva_ticket_type_dialog_new (NULL, client, event, tt);
  EvaTicketTypeDialog *self = EVA_TICKET_TYPE_DIALOG (dialog);
  GtkWidget *capacity = eva_ticket_type_dialog_get_field_row (self, "capacity");
  GtkWidget *price = eva_ticket_type_dialog_get_field_row (self, "price");

  g_object_ref (dialog);

  /* Price shown in the currency's units, sent in minor units. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (price)), ==, "25.50");
  g_assert_true (eva_ticket_type_dialog_validate (self));
  fields = eva_ticket_type_dialog_get_fields (self);
  g_assert_cmpint (json_object_get_int_member (fields, "price"), ==, 2550);
  g_assert_true (json_object_get_null_member (fields, "max_per_attendee"));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (capacity)), ==, "25 sold, 5 held");

  set_text (price, "12.345");
  g_assert_true (row_marked (price));
  set_text (price, "12,5");
  g_assert_false (row_marked (price));

  /* The server refuses a capacity below held + sold: said in place. */
  json_object_set_string_member (details, "capacity", "must be at least 40 (held + sold)");
  error = eva_api_error_new (409, "capacity_below_committed", "The capacity cannot be lower", details);
  eva_ticket_type_dialog_show_error (self, error);
  g_assert_true (row_marked (capacity));
  g_assert_nonnull (strstr (eva_row_get_error (capacity), "must be at least 40"));

  gtk_window_destroy (dialog);
  g_assert_finalize_object (dialog);
}

/* ------------------------------------------------------------------ */
/* Date and time                                                      */
/* ------------------------------------------------------------------ */

static void
test_date_time_button (void)
{
  EvaDateTimeButton *button = g_object_ref_sink (EVA_DATE_TIME_BUTTON (eva_date_time_button_new ()));
  g_autoptr(GDateTime) utc = g_date_time_new_utc (2030, 7, 1, 17, 0, 0);
  g_autoptr(GDateTime) picked = NULL;
  g_autoptr(GDateTime) moved = NULL;

  g_assert_null (eva_date_time_button_get_datetime (button));
  eva_date_time_button_set_timezone (button, "Europe/Berlin");
  eva_date_time_button_set_datetime (button, utc);
  picked = eva_date_time_button_get_datetime (button);
  g_assert_cmpint (g_date_time_get_hour (picked), ==, 19);
  g_assert_true (g_date_time_equal (picked, utc));

  /* Another zone keeps the wall-clock time. */
  eva_date_time_button_set_timezone (button, "America/New_York");
  moved = eva_date_time_button_get_datetime (button);
  g_assert_cmpint (g_date_time_get_hour (moved), ==, 19);
  g_assert_cmpint (g_date_time_get_day_of_month (moved), ==, 1);

  eva_date_time_button_set_datetime (button, NULL);
  g_assert_null (eva_date_time_button_get_datetime (button));

  g_assert_finalize_object (button);
}

/* ------------------------------------------------------------------ */
/* Events list                                                        */
/* ------------------------------------------------------------------ */

static guint
count_rows (GtkWidget *widget)
{
  guint n = EVA_IS_EVENT_ROW (widget) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_rows (child);
  return n;
}

static gboolean
list_has_at_least (gpointer data)
{
  EvaEventList *list = ((gpointer *) data)[0];
  guint n = GPOINTER_TO_UINT (((gpointer *) data)[1]);

  return g_list_model_get_n_items (G_LIST_MODEL (list)) >= n && !eva_event_list_get_loading (list);
}

static GtkScrolledWindow *
find_scrolled_window (GtkWidget *widget)
{
  /* The list's own, not the one in a drop-down's popover. */
  if (GTK_IS_SCROLLED_WINDOW (widget) && GTK_IS_STACK (gtk_widget_get_parent (widget)) &&
      GTK_IS_LIST_VIEW (gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (widget))))
    return GTK_SCROLLED_WINDOW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkScrolledWindow *found = find_scrolled_window (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_events_list_fills (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  g_autofree char *token = eva_test_token_for_role (server, "organizer");
  g_autoptr(EvaApiClient) client = eva_api_client_new (server->base_url);
  GtkWidget *window = gtk_window_new ();
  EvaEventsView *view = EVA_EVENTS_VIEW (eva_events_view_new ());
  EvaEventList *list;
  GtkAdjustment *adj;
  gpointer wait[2];

  for (guint i = 0; i < 45; i++)
    {
      g_autoptr(EvaTestResponse) resp =
        eva_test_call (server, "POST", "/api/v1/admin/events", token,
                       "{\"title\":\"Event %02u\",\"timezone\":\"UTC\","
                       "\"starts_at\":\"2030-01-%02uT10:00:00Z\",\"ends_at\":\"2030-01-%02uT12:00:00Z\"}",
                       i, 1 + i % 28, 1 + i % 28);

      eva_test_assert_status (resp, 201);
    }

  eva_api_client_set_access_token (client, token);
  eva_events_view_set_client (view, client);
  list = eva_events_view_get_list (view);
  eva_event_list_set_page_size (list, 20);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 400);
  gtk_window_present (GTK_WINDOW (window));

  eva_events_view_reload (view);
  wait[0] = list;
  wait[1] = GUINT_TO_POINTER (20);
  eva_desktop_test_wait (list_has_at_least, wait, 30, "the first page");
  eva_desktop_test_settle (200);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), <, 45);
  g_assert_true (eva_event_list_get_has_more (list));
  /* The list view shows rows made from the model's records. */
  g_assert_cmpuint (count_rows (GTK_WIDGET (view)), >, 0);

  /* Scrolling to the end brings the rest, page by page. */
  adj = gtk_scrolled_window_get_vadjustment (find_scrolled_window (GTK_WIDGET (view)));
  wait[1] = GUINT_TO_POINTER (45);
  for (guint tries = 0; tries < 50 && !list_has_at_least (wait); tries++)
    {
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      eva_desktop_test_settle (100);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 45);
  g_assert_false (eva_event_list_get_has_more (list));

  /* Searching starts over with what matches. */
  eva_event_list_set_search (list, "Event 07");
  wait[1] = GUINT_TO_POINTER (1);
  eva_desktop_test_wait (list_has_at_least, wait, 30, "the search");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);

  g_object_ref (view);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
}

/* ------------------------------------------------------------------ */
/* The window: an expired session keeps unsaved edits                 */
/* ------------------------------------------------------------------ */

static gboolean
widget_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
has_events (gpointer data)
{
  EvaEventList *list = eva_events_view_get_list (data);

  return g_list_model_get_n_items (G_LIST_MODEL (list)) > 0 && !eva_event_list_get_loading (list);
}

static gboolean
asks_again (gpointer data)
{
  const char *message = eva_sign_in_page_get_message (data);

  return gtk_widget_get_mapped (data) && message != NULL && strstr (message, "expired") != NULL;
}

static void
sign_in_with (EvaSignInPage *page,
              const char    *server,
              const char    *email,
              const char    *password)
{
  eva_sign_in_page_set_server (page, server);
  eva_sign_in_page_set_email (page, email);
  set_text (_eva_sign_in_page_get_row (page, "password"), password);
  eva_sign_in_page_submit (page);
}

static void
test_window_session_expired (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  g_autofree char *id = eva_test_create_staff (server, "ada@example.test", "organizer",
                                               "correct horse battery");
  g_autofree char *token = eva_test_login (server, "ada@example.test", "correct horse battery");
  g_autoptr(EvaTestResponse) created =
    eva_test_call (server, "POST", "/api/v1/admin/events", token,
                   "{\"title\":\"Spring Concert\",\"timezone\":\"Europe/Berlin\","
                   "\"starts_at\":\"2030-04-12T19:30:00+02:00\",\"ends_at\":\"2030-04-12T22:00:00+02:00\"}");
  EvaWindow *window = eva_window_new (NULL);
  EvaSignInPage *page = EVA_SIGN_IN_PAGE (eva_window_get_page (window, "sign-in"));
  GtkWidget *events = eva_window_get_page (window, "events-view");
  EvaEventEditor *editor = EVA_EVENT_EDITOR (eva_window_get_page (window, "editor"));
  EvaApiClient *client = eva_window_get_client (window);
  g_autoptr(EvaRecord) event = NULL;
  GtkWidget *venue;

  eva_test_assert_status (created, 201);
  gtk_window_present (GTK_WINDOW (window));
  eva_desktop_test_wait (widget_mapped, page, 10, "the sign-in page");
  sign_in_with (page, server->base_url, "ada@example.test", "correct horse battery");
  eva_desktop_test_wait (has_events, events, 30, "the events");

  event = g_list_model_get_item (G_LIST_MODEL (eva_events_view_get_list (EVA_EVENTS_VIEW (events))), 0);
  eva_window_open_event (window, event);
  venue = eva_event_editor_get_field_row (editor, "venue");
  set_text (venue, "Concert Hall, not saved yet");
  g_assert_true (eva_event_editor_get_dirty (editor));

  /* Both tokens stop working: the next call ends the session. */
  eva_api_client_set_refresh_token (client, "revoked");
  eva_api_client_set_access_token (client, "expired");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  eva_desktop_test_wait (asks_again, page, 30, "the sign-in page again");
  g_assert_nonnull (strstr (eva_sign_in_page_get_message (page), "save your changes"));
  /* Server and email are filled in; only the password is asked. */
  g_assert_cmpstr (eva_sign_in_page_get_email (page), ==, "ada@example.test");

  set_text (_eva_sign_in_page_get_row (page, "password"), "correct horse battery");
  eva_sign_in_page_submit (page);
  eva_desktop_test_wait (widget_mapped, events, 30, "the events again");
  eva_desktop_test_settle (200);

  /* The edit survived. */
  g_assert_true (eva_event_editor_get_event (editor) == event);
  g_assert_true (eva_event_editor_get_dirty (editor));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (venue)), ==, "Concert Hall, not saved yet");

  gtk_window_destroy (GTK_WINDOW (window));
  eva_desktop_test_settle (100);
}

/* ------------------------------------------------------------------ */
/* The window: create an event, publish it after confirming, go offline */
/* ------------------------------------------------------------------ */

static gboolean
editor_saved (gpointer data)
{
  return eva_event_editor_get_event (data) != NULL && !eva_event_editor_get_busy (data);
}

static gboolean
editor_clean (gpointer data)
{
  return !eva_event_editor_get_dirty (data) && !eva_event_editor_get_busy (data);
}

static gboolean
is_published (gpointer data)
{
  EvaRecord *event = eva_event_editor_get_event (data);

  return event != NULL && g_strcmp0 (eva_record_get_string (event, "status"), "published") == 0;
}

static gboolean
banner_shown (gpointer data)
{
  return gtk_revealer_get_reveal_child (data);
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

static void
test_window_create_and_publish (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  g_autofree char *id = eva_test_create_staff (server, "ada@example.test", "organizer",
                                               "correct horse battery");
  g_autofree char *token = eva_test_login (server, "ada@example.test", "correct horse battery");
  EvaWindow *window = eva_window_new (NULL);
  EvaSignInPage *page = EVA_SIGN_IN_PAGE (eva_window_get_page (window, "sign-in"));
  GtkWidget *events = eva_window_get_page (window, "events-view");
  EvaEventEditor *editor = EVA_EVENT_EDITOR (eva_window_get_page (window, "editor"));
  GtkWidget *per_attendee = find_descendant (eva_event_editor_get_field_row (editor, "max_tickets_per_attendee"),
                                             GTK_TYPE_SPIN_BUTTON);
  EvaRecord *event;
  AdwMessageDialog *dialog;

  gtk_window_present (GTK_WINDOW (window));
  eva_desktop_test_wait (widget_mapped, page, 10, "the sign-in page");
  sign_in_with (page, server->base_url, "ada@example.test", "correct horse battery");
  eva_desktop_test_wait (widget_mapped, events, 30, "the events page");
  /* Organizers do not manage staff. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "staff"));

  /* New event: fill in, save (Ctrl+S's action) */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-event", NULL);
  g_assert_null (eva_event_editor_get_event (editor));
  set_text (eva_event_editor_get_field_row (editor, "title"), "Launch Party");
  set_text (eva_event_editor_get_field_row (editor, "currency"), "EUR");
  /* Typed, not yet taken by the spin button (no Enter): sent all the same. */
  set_text (per_attendee, "3");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save", NULL);
  eva_desktop_test_wait (editor_saved, editor, 30, "the new event");
  event = eva_event_editor_get_event (editor);
  g_assert_cmpstr (eva_record_get_string (event, "slug"), ==, "launch-party");
  g_assert_cmpstr (eva_record_get_string (event, "status"), ==, "draft");
  g_assert_cmpint (eva_record_get_int (event, "max_tickets_per_attendee", -1), ==, 3);
  g_assert_false (eva_event_editor_get_dirty (editor));

  /* Changed and saved again: patched. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (per_attendee), 7);
  g_assert_true (eva_event_editor_get_dirty (editor));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save", NULL);
  eva_desktop_test_wait (editor_clean, editor, 30, "the patched event");
  g_assert_true (eva_event_editor_get_event (editor) == event);
  g_assert_cmpint (eva_record_get_int (event, "max_tickets_per_attendee", -1), ==, 7);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (per_attendee)), ==, 7);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (eva_events_view_get_list (EVA_EVENTS_VIEW (events)))), ==, 1);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "publish"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "delete-event"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "archive"));

  /* A ticket type, then publish after the confirmation */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", eva_record_get_id (event));
    g_autoptr(EvaTestResponse) tt = eva_test_call (server, "POST", path, token,
                                                   "{\"name\":\"Standard\",\"price\":1000,\"capacity\":50}");

    eva_test_assert_status (tt, 201);
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.publish", NULL);
  eva_desktop_test_wait (dialog_shown, NULL, 10, "the confirmation");
  dialog = find_message_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "Launch Party"));
  adw_message_dialog_response (dialog, "publish");
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_wait (is_published, editor, 30, "the published event");
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "publish"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "delete-event"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "cancel-event"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "archive"));

  /* The server goes away: Refresh raises the offline banner, and the
   * window stays signed in with the event open. */
  eva_test_server_kill (server);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  eva_desktop_test_wait (banner_shown, eva_window_get_page (window, "offline-banner"), 30,
                         "the offline banner");
  g_assert_true (eva_event_editor_get_event (editor) == event);
  g_assert_true (gtk_widget_get_mapped (events));

  gtk_window_destroy (GTK_WINDOW (window));
  eva_desktop_test_settle (100);
}

/* ------------------------------------------------------------------ */
/* Bookings                                                           */
/* ------------------------------------------------------------------ */

typedef struct
{
  EvaTestServer *server;
  EvaTestStripe *stripe;     /* the Stripe stand-in, when cards are taken */
  char          *token;
  EvaApiClient  *client;
  EvaRecord     *event;
  char          *standard_id;
  char          *vip_id;
} Shop;

static EvaRecord *
record_from_node (JsonNode *node)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return eva_record_new (json_node_get_object (node));
}

/* A published EUR event with two ticket types (VIP hidden) and the
 * coupon EARLY10 (10 %), and a client signed in as its organizer. With
 * @cards, the server takes cards through the Stripe stand-in. */
static void
shop_open_with (Shop     *shop,
                gboolean  cards)
{
  g_autoptr(EvaTestResponse) event = NULL;
  g_autoptr(EvaTestResponse) standard = NULL;
  g_autoptr(EvaTestResponse) vip = NULL;
  g_autoptr(EvaTestResponse) coupon = NULL;
  g_autoptr(EvaTestResponse) published = NULL;
  g_autofree char *types = NULL;
  g_autofree char *coupons = NULL;
  g_autofree char *publish = NULL;
  const char *event_id;

  shop->server = cards ? eva_desktop_seed_start_paying_server (&shop->stripe)
                       : eva_test_server_start (NULL);
  shop->token = eva_test_token_for_role (shop->server, "organizer");
  event = eva_test_call (shop->server, "POST", "/api/v1/admin/events", shop->token,
                         "{\"title\":\"Spring Concert\",\"timezone\":\"Europe/Berlin\","
                         "\"starts_at\":\"2030-04-12T19:30:00+02:00\","
                         "\"ends_at\":\"2030-04-12T22:00:00+02:00\",\"currency\":\"EUR\"}");
  eva_test_assert_status (event, 201);
  event_id = eva_test_json_string (event->json, "id");
  types = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
  standard = eva_test_call (shop->server, "POST", types, shop->token,
                            "{\"name\":\"Standard\",\"price\":2500,\"capacity\":100}");
  eva_test_assert_status (standard, 201);
  vip = eva_test_call (shop->server, "POST", types, shop->token,
                       "{\"name\":\"VIP\",\"price\":9000,\"capacity\":10,\"hidden\":true}");
  eva_test_assert_status (vip, 201);
  coupons = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event_id);
  coupon = eva_test_call (shop->server, "POST", coupons, shop->token,
                          "{\"code\":\"EARLY10\",\"kind\":\"percent\",\"percent\":10}");
  eva_test_assert_status (coupon, 201);
  publish = g_strdup_printf ("/api/v1/admin/events/%s/publish", event_id);
  published = eva_test_call (shop->server, "POST", publish, shop->token, NULL);
  eva_test_assert_status (published, 200);

  shop->event = record_from_node (published->json);
  shop->standard_id = g_strdup (eva_test_json_string (standard->json, "id"));
  shop->vip_id = g_strdup (eva_test_json_string (vip->json, "id"));
  shop->client = eva_api_client_new (shop->server->base_url);
  eva_api_client_set_access_token (shop->client, shop->token);
}

static void
shop_open (Shop *shop)
{
  shop_open_with (shop, FALSE);
}

static void
shop_close (Shop *shop)
{
  g_assert_finalize_object (shop->client);
  g_clear_object (&shop->event);
  g_free (shop->token);
  g_free (shop->standard_id);
  g_free (shop->vip_id);
  eva_test_server_free (shop->server);
  g_clear_pointer (&shop->stripe, eva_test_stripe_stop);
}

static char *
seed_booking (Shop       *shop,
              int         quantity,
              const char *coupon,
              const char *name,
              const char *email)
{
  g_autoptr(JsonNode) booking = eva_desktop_seed_booking (shop->server, eva_record_get_id (shop->event),
                                                          shop->standard_id, quantity, coupon, name,
                                                          email);

  return g_strdup (json_object_get_string_member (json_node_get_object (booking), "id"));
}

typedef struct
{
  EvaBookingList *list;
  guint           n;
} ListWait;

/* The page's scrolled window (a child of the view's stack). */
static GtkScrolledWindow *
find_page_scroller (GtkWidget *widget)
{
  if (GTK_IS_SCROLLED_WINDOW (widget) && GTK_IS_STACK (gtk_widget_get_parent (widget)))
    return GTK_SCROLLED_WINDOW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkScrolledWindow *found = find_page_scroller (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
bookings_loaded (gpointer data)
{
  ListWait *wait = data;

  return eva_booking_list_get_loaded (wait->list) && !eva_booking_list_get_loading (wait->list) &&
         g_list_model_get_n_items (G_LIST_MODEL (wait->list)) == wait->n;
}

static gboolean
bookings_at_least (gpointer data)
{
  ListWait *wait = data;

  return eva_booking_list_get_loaded (wait->list) &&
         g_list_model_get_n_items (G_LIST_MODEL (wait->list)) >= wait->n;
}

/* The list asks the server page by page as it scrolls, and the server
 * filters and searches. */
static void
test_bookings_view_pages (void)
{
  Shop shop = { 0 };
  GtkWidget *window = gtk_window_new ();
  EvaBookingsView *view = EVA_BOOKINGS_VIEW (eva_bookings_view_new ());
  EvaBookingList *list;
  GtkAdjustment *adj;
  ListWait wait;
  g_autofree char *first = NULL;
  g_autofree char *confirmed = NULL;

  shop_open (&shop);
  first = seed_booking (&shop, 1, NULL, "Grace Hopper", "grace@example.test");
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("Attendee %02u", i);
      g_autofree char *email = g_strdup_printf ("attendee%02u@example.test", i);
      g_autofree char *id = seed_booking (&shop, 1 + i % 3, i % 2 ? "EARLY10" : NULL, name, email);

      if (i == 4)
        confirmed = g_steal_pointer (&id);
    }
  eva_desktop_seed_confirm (shop.server, confirmed);

  eva_bookings_view_set_client (view, shop.client);
  list = eva_bookings_view_get_list (view);
  eva_booking_list_set_page_size (list, 4);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 400);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (eva_bookings_view_get_state (view), ==, "loading");

  /* Nothing to scroll yet, so the view asks for pages until it is filled
   * past the bottom; scrolling down brings the rest. */
  eva_bookings_view_set_event (view, shop.event);
  wait.list = list;
  wait.n = 4;
  eva_desktop_test_wait (bookings_at_least, &wait, 30, "the first page");
  g_assert_cmpint (eva_booking_list_get_total (list), ==, 11);
  /* Pages of 4: not all of them at once */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)) % 4, ==, 0);
  eva_desktop_test_settle (300);
  g_assert_cmpstr (eva_bookings_view_get_state (view), ==, "list");
  adj = gtk_scrolled_window_get_vadjustment (find_page_scroller (GTK_WIDGET (view)));
  for (guint tries = 0; tries < 50 && eva_booking_list_get_has_more (list); tries++)
    {
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      eva_desktop_test_settle (100);
    }
  wait.n = 11;
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "every page");
  g_assert_false (eva_booking_list_get_has_more (list));
  {
    /* Newest first: the first booking made is last. */
    g_autoptr(EvaRecord) last = g_list_model_get_item (G_LIST_MODEL (list), 10);

    g_assert_cmpstr (eva_record_get_id (last), ==, first);
  }

  /* Status filter and search are the server's */
  eva_bookings_view_set_filter (view, NULL, "confirmed");
  wait.n = 1;
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "the confirmed bookings");
  {
    g_autoptr(EvaRecord) booking = g_list_model_get_item (G_LIST_MODEL (list), 0);

    g_assert_cmpstr (eva_record_get_id (booking), ==, confirmed);
    g_assert_cmpint (eva_booking_list_get_total (list), ==, 1);
  }
  eva_bookings_view_set_filter (view, "GRACE", NULL);
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "the search");
  {
    g_autoptr(EvaRecord) booking = g_list_model_get_item (G_LIST_MODEL (list), 0);
    g_autofree char *reference = g_ascii_strup (first, 8);
    g_autofree char *subtitle = g_strdup_printf ("%s · grace@example.test · 1 ticket", reference);
    GtkWidget *row;

    g_assert_cmpstr (eva_record_get_id (booking), ==, first);
    /* The row names the booking by its short reference */
    eva_desktop_test_settle (100);
    row = find_row_titled (GTK_WIDGET (view), "Grace Hopper");
    g_assert_nonnull (row);
    g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, subtitle);
  }
  eva_bookings_view_set_filter (view, "nobody", NULL);
  wait.n = 0;
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "no match");
  eva_desktop_test_settle (100);
  /* Filtered to nothing: still the list (with its search), not "empty". */
  g_assert_cmpstr (eva_bookings_view_get_state (view), ==, "list");

  g_object_ref (view);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  shop_close (&shop);
}

static gboolean
dialog_idle (gpointer data)
{
  return !eva_booking_dialog_get_loading (data) && eva_booking_dialog_get_booking (data) != NULL;
}

static gboolean
booking_cancelled (gpointer data)
{
  EvaRecord *booking = eva_booking_dialog_get_booking (data);

  return booking != NULL && g_strcmp0 (eva_record_get_string (booking, "status"), "cancelled") == 0 &&
         !eva_booking_dialog_get_loading (data);
}

static void
count_cb (gpointer  instance,
          gpointer  arg,
          guint    *count)
{
  (*count)++;
}

static void
count_plain_cb (gpointer  instance,
                guint    *count)
{
  (*count)++;
}

/* The details of one booking, read from the server, then cancelled. */
static void
test_booking_dialog (void)
{
  Shop shop = { 0 };
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) only_id = json_object_new ();
  g_autoptr(EvaRecord) stub = NULL;
  EvaBookingDialog *dialog;
  g_autofree char *items = NULL;
  g_autofree char *status = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *server_reference = NULL;
  g_autofree char *title = NULL;
  AdwMessageDialog *confirm;
  guint changed = 0;

  shop_open (&shop);
  id = seed_booking (&shop, 2, "EARLY10", "Ada Lovelace", "ada@example.test");
  json_object_set_string_member (only_id, "id", id);
  stub = eva_record_new (only_id);

  /* Opened with only the id: it reads the rest. */
  dialog = EVA_BOOKING_DIALOG (eva_booking_dialog_new (NULL, shop.client, shop.event, stub));
  g_object_ref (dialog);
  g_signal_connect (dialog, "changed", G_CALLBACK (count_cb), &changed);
  gtk_window_present (GTK_WINDOW (dialog));
  eva_desktop_test_wait (dialog_idle, dialog, 30, "the booking");

  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "name"), ==, "Ada Lovelace");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "email"), ==, "ada@example.test");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Held");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "subtotal"), ==, "50.00 EUR");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "discount"), ==, "−5.00 EUR");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "coupon"), ==, "Coupon EARLY10");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "total"), ==, "45.00 EUR");
  /* The short reference attendees see, not the id */
  reference = g_ascii_strup (id, 8);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "id"), ==, reference);
  g_assert_cmpuint (strlen (reference), ==, 8);
  for (guint i = 0; i < 8; i++)
    g_assert_true (g_ascii_isdigit (reference[i]) || (reference[i] >= 'A' && reference[i] <= 'F'));
  server_reference = eva_test_sql (shop.server->pg,
                                  "SELECT upper(left(id::text, 8)) FROM bookings WHERE id = $1",
                                  id, NULL);
  g_assert_cmpstr (reference, ==, server_reference);
  title = g_strdup_printf ("Booking %s", reference);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "title"), ==, title);
  g_assert_nonnull (_eva_booking_dialog_get_text (dialog, "created"));
  g_assert_nonnull (_eva_booking_dialog_get_text (dialog, "expires"));
  g_assert_null (_eva_booking_dialog_get_text (dialog, "confirmed"));
  g_assert_null (_eva_booking_dialog_get_text (dialog, "cancelled"));
  items = _eva_booking_dialog_describe_items (dialog);
  g_assert_cmpstr (items, ==, "Standard: 2 × 25.00 EUR · 5.00 EUR off = 45.00 EUR");
  g_assert_true (_eva_booking_dialog_can_cancel (dialog));

  /* Cancel, after saying yes */
  eva_booking_dialog_ask_cancel (dialog);
  eva_desktop_test_wait (dialog_shown, NULL, 10, "the confirmation");
  confirm = find_message_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_body (confirm), "ada@example.test"));
  adw_message_dialog_response (confirm, "cancel-booking");
  gtk_window_destroy (GTK_WINDOW (confirm));
  eva_desktop_test_wait (booking_cancelled, dialog, 30, "the cancellation");
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Cancelled");
  g_assert_nonnull (_eva_booking_dialog_get_text (dialog, "cancelled"));
  g_assert_null (_eva_booking_dialog_get_text (dialog, "expires"));
  g_assert_false (_eva_booking_dialog_can_cancel (dialog));
  status = eva_test_sql (shop.server->pg, "SELECT status FROM bookings WHERE id = $1", id, NULL);
  g_assert_cmpstr (status, ==, "cancelled");

  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
  shop_close (&shop);
}

static gboolean
not_exporting (gpointer data)
{
  return !eva_bookings_view_get_exporting (data);
}

/* The export writes the server's CSV of every booking to the file, even
 * while the list is filtered. */
static void
test_bookings_export (void)
{
  Shop shop = { 0 };
  GtkWidget *window = gtk_window_new ();
  EvaBookingsView *view = EVA_BOOKINGS_VIEW (eva_bookings_view_new ());
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *dir = g_dir_make_tmp ("everato-export-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bookings.csv", NULL);
  g_autofree char *bad_path = g_build_filename (dir, "missing", "bookings.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) bad = g_file_new_for_path (bad_path);
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  ListWait wait;

  shop_open (&shop);
  a = seed_booking (&shop, 2, "EARLY10", "Ada Lovelace", "ada@example.test");
  b = seed_booking (&shop, 1, NULL, "Grace Hopper", "grace@example.test");
  eva_desktop_seed_confirm (shop.server, b);

  eva_bookings_view_set_client (view, shop.client);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  eva_bookings_view_set_event (view, shop.event);
  eva_bookings_view_set_filter (view, NULL, "confirmed");
  wait.list = eva_bookings_view_get_list (view);
  wait.n = 1;
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "the bookings");

  g_file_set_contents (path, "old content", -1, NULL);
  eva_bookings_view_export_to_file (view, file);
  g_assert_true (eva_bookings_view_get_exporting (view));
  eva_desktop_test_wait (not_exporting, view, 30, "the export");
  g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_prefix (lines[0], "id,status,attendee_email"));
  g_assert_true (g_str_has_prefix (lines[1], b));
  g_assert_nonnull (strstr (lines[1], ",confirmed,grace@example.test,Grace Hopper,"));
  g_assert_true (g_str_has_prefix (lines[2], a));
  g_assert_true (g_str_has_suffix (lines[2], ",Standard x2,5000,500,4500,EUR,EARLY10"));

  /* A folder that does not exist: a failure, told, and nothing stuck */
  eva_bookings_view_export_to_file (view, bad);
  eva_desktop_test_wait (not_exporting, view, 30, "the failed export");
  g_assert_false (g_file_test (bad_path, G_FILE_TEST_EXISTS));

  g_object_ref (view);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  g_unlink (path);
  g_rmdir (dir);
  shop_close (&shop);
}

static gboolean
types_loaded (gpointer data)
{
  return _eva_coupon_dialog_get_types_loaded (data);
}

static gboolean
window_gone (gpointer data)
{
  GtkWindow **slot = data;

  return *slot == NULL;
}

static EvaRecord *
read_coupon (Shop       *shop,
             const char *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/coupons/%s", id);
  g_autoptr(EvaTestResponse) resp = eva_test_call (shop->server, "GET", path, shop->token, NULL);

  eva_test_assert_status (resp, 200);
  return record_from_node (resp->json);
}

static char *
type_ids (EvaRecord *coupon)
{
  JsonArray *ids = json_object_get_array_member (eva_record_get_object (coupon), "ticket_type_ids");
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (ids); i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "," : "", json_array_get_string_element (ids, i));
  return g_string_free (out, FALSE);
}

/* The coupon dialog shows which ticket types a coupon is for, its minimum
 * order and its uses, and saves changes to them. */
static void
test_coupon_restrictions (void)
{
  Shop shop = { 0 };
  g_autoptr(EvaTestResponse) created = NULL;
  g_autoptr(EvaRecord) coupon = NULL;
  g_autoptr(EvaRecord) saved = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *coupons = NULL;
  g_autofree char *ids = NULL;
  g_autofree char *booking = NULL;
  EvaCouponDialog *dialog;
  GtkWindow *alive;
  GtkWidget *types;
  GtkWidget *min_order;
  guint changed = 0;

  shop_open (&shop);
  coupons = g_strdup_printf ("/api/v1/admin/events/%s/coupons", eva_record_get_id (shop.event));
  created = eva_test_call (shop.server, "POST", coupons, shop.token,
                           "{\"code\":\"VIPONLY\",\"kind\":\"fixed\",\"amount\":1000,"
                           "\"min_order\":5000,\"unlocks_hidden\":true,\"max_uses\":50,"
                           "\"ticket_type_ids\":[\"%s\"]}", shop.vip_id);
  eva_test_assert_status (created, 201);
  coupon = record_from_node (created->json);

  dialog = EVA_COUPON_DIALOG (eva_coupon_dialog_new (NULL, shop.client, shop.event, coupon));
  gtk_window_present (GTK_WINDOW (dialog));
  eva_desktop_test_wait (types_loaded, dialog, 30, "the ticket types");
  types = _eva_coupon_dialog_get_row (dialog, "types");
  min_order = _eva_coupon_dialog_get_row (dialog, "min_order");

  /* As the server has it */
  g_assert_true (adw_expander_row_get_enable_expansion (ADW_EXPANDER_ROW (types)));
  g_assert_true (gtk_check_button_get_active (_eva_coupon_dialog_get_type_check (dialog, shop.vip_id)));
  g_assert_false (gtk_check_button_get_active (_eva_coupon_dialog_get_type_check (dialog, shop.standard_id)));
  g_assert_cmpstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (types)), ==, "VIP");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (min_order)), ==, "50.00");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (_eva_coupon_dialog_get_row (dialog, "unlocks"))));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (_eva_coupon_dialog_get_row (dialog, "used"))), ==, "0 of 50");
  g_assert_true (eva_coupon_dialog_validate (dialog));

  /* Restricted to nothing: not saveable */
  gtk_check_button_set_active (_eva_coupon_dialog_get_type_check (dialog, shop.vip_id), FALSE);
  g_assert_false (eva_coupon_dialog_validate (dialog));
  g_assert_true (gtk_widget_has_css_class (types, "error"));
  g_assert_false (gtk_widget_get_sensitive (_eva_coupon_dialog_get_row (dialog, "save")));

  /* A minimum order that is no amount */
  gtk_check_button_set_active (_eva_coupon_dialog_get_type_check (dialog, shop.standard_id), TRUE);
  set_text (min_order, "lots");
  g_assert_false (eva_coupon_dialog_validate (dialog));
  g_assert_true (row_marked (min_order));
  set_text (min_order, "30");
  g_assert_true (eva_coupon_dialog_validate (dialog));
  g_assert_false (gtk_widget_has_css_class (types, "error"));

  fields = eva_coupon_dialog_get_fields (dialog);
  g_assert_cmpint (json_object_get_int_member (fields, "min_order"), ==, 3000);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (fields, "ticket_type_ids")), ==, 1);

  /* Saved: the server has the change */
  alive = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &alive);
  g_signal_connect (dialog, "changed", G_CALLBACK (count_plain_cb), &changed);
  gtk_widget_activate (_eva_coupon_dialog_get_row (dialog, "save"));
  eva_desktop_test_wait (window_gone, &alive, 30, "the saved coupon");
  g_assert_cmpuint (changed, ==, 1);
  saved = read_coupon (&shop, eva_record_get_id (coupon));
  ids = type_ids (saved);
  g_assert_cmpstr (ids, ==, shop.standard_id);
  g_assert_cmpint (eva_record_get_int (saved, "min_order", -1), ==, 3000);

  /* One use, then again: the dialog shows it; for every ticket type and
   * without a minimum after the next save. */
  booking = seed_booking (&shop, 2, "VIPONLY", "Ada Lovelace", "ada@example.test");
  g_clear_object (&saved);
  saved = read_coupon (&shop, eva_record_get_id (coupon));
  dialog = EVA_COUPON_DIALOG (eva_coupon_dialog_new (NULL, shop.client, shop.event, saved));
  gtk_window_present (GTK_WINDOW (dialog));
  eva_desktop_test_wait (types_loaded, dialog, 30, "the ticket types again");
  types = _eva_coupon_dialog_get_row (dialog, "types");
  min_order = _eva_coupon_dialog_get_row (dialog, "min_order");
  g_assert_true (gtk_check_button_get_active (_eva_coupon_dialog_get_type_check (dialog, shop.standard_id)));
  g_assert_false (gtk_check_button_get_active (_eva_coupon_dialog_get_type_check (dialog, shop.vip_id)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (min_order)), ==, "30.00");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (_eva_coupon_dialog_get_row (dialog, "used"))), ==, "1 of 50");

  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (types), FALSE);
  set_text (min_order, "");
  g_assert_true (eva_coupon_dialog_validate (dialog));
  alive = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &alive);
  gtk_widget_activate (_eva_coupon_dialog_get_row (dialog, "save"));
  eva_desktop_test_wait (window_gone, &alive, 30, "the second save");
  g_clear_object (&saved);
  g_clear_pointer (&ids, g_free);
  saved = read_coupon (&shop, eva_record_get_id (coupon));
  ids = type_ids (saved);
  g_assert_cmpstr (ids, ==, "");
  g_assert_cmpint (eva_record_get_int (saved, "min_order", -1), ==, 0);
  g_assert_cmpint (eva_record_get_int (saved, "uses", -1), ==, 1);

  shop_close (&shop);
}


/* ------------------------------------------------------------------ */
/* Payments                                                           */
/* ------------------------------------------------------------------ */

/* The shop's event offers every way to pay. */
static void
shop_offer_all_methods (Shop *shop)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", eva_record_get_id (shop->event));
  g_autoptr(EvaTestResponse) patched =
    eva_test_call (shop->server, "PATCH", path, shop->token,
                   "{\"payment_methods\":[\"card\",\"bank_transfer\",\"at_door\"],"
                   "\"transfer_details\":\"Everato Events, IBAN DE89 3704 0044 0532 0130 00\","
                   "\"transfer_days\":5}");

  eva_test_assert_status (patched, 200);
  eva_record_set_object (shop->event, json_node_get_object (patched->json));
}

static char *
seed_paying (Shop       *shop,
             int         quantity,
             const char *name,
             const char *email,
             const char *method)
{
  g_autoptr(JsonNode) booking =
    eva_desktop_seed_checkout_booking (shop->server, eva_record_get_id (shop->event), shop->standard_id,
                                       quantity, NULL, name, email, method);

  return g_strdup (json_object_get_string_member (json_node_get_object (booking), "id"));
}

static char *
seed_card (Shop       *shop,
           int         quantity,
           const char *name,
           const char *email)
{
  g_autoptr(JsonNode) booking =
    eva_desktop_seed_card_booking (shop->server, shop->stripe, eva_record_get_id (shop->event),
                                   shop->standard_id, quantity, NULL, name, email);

  return g_strdup (json_object_get_string_member (json_node_get_object (booking), "id"));
}

/* Marks @id paid today through the API, as another organizer would (the
 * server takes no day after today). */
static void
api_mark_paid (Shop       *shop,
               const char *id,
               gint64      amount)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", id);
  g_autoptr(EvaTestResponse) marked =
    eva_test_call (shop->server, "POST", path, shop->token,
                   "{\"amount\":%" G_GINT64_FORMAT ",\"paid_on\":\"%s\"}", amount, today);

  eva_test_assert_status (marked, 200);
}

static EvaBookingDialog *
open_booking (Shop       *shop,
              const char *id)
{
  g_autoptr(JsonObject) only_id = json_object_new ();
  g_autoptr(EvaRecord) stub = NULL;
  EvaBookingDialog *dialog;

  json_object_set_string_member (only_id, "id", id);
  stub = eva_record_new (only_id);
  dialog = EVA_BOOKING_DIALOG (eva_booking_dialog_new (NULL, shop->client, shop->event, stub));
  g_object_ref (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  eva_desktop_test_wait (dialog_idle, dialog, 30, "the booking");
  return dialog;
}

/* Answers the one message dialog shown with @response. */
static AdwMessageDialog *
wait_message_dialog (void)
{
  eva_desktop_test_wait (dialog_shown, NULL, 10, "the confirmation");
  return find_message_dialog ();
}

static void
answer (AdwMessageDialog *dialog,
        const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

typedef struct
{
  EvaBookingDialog *dialog;
  const char       *member;
  gint64            value;
} BookingWait;

static gboolean
booking_has (gpointer data)
{
  BookingWait *wait = data;
  EvaRecord *booking = eva_booking_dialog_get_booking (wait->dialog);

  return booking != NULL && eva_record_get_int (booking, wait->member, -1) == wait->value;
}

static gboolean
booking_paid (gpointer data)
{
  EvaRecord *booking = eva_booking_dialog_get_booking (data);

  return booking != NULL && eva_record_get_boolean (booking, "paid");
}

static gboolean
mark_paid_idle (gpointer data)
{
  return !eva_mark_paid_dialog_get_busy (data);
}

static gboolean
refund_idle (gpointer data)
{
  return !eva_refund_dialog_get_busy (data);
}

static const char paid_booking_json[] =
  "{\"id\":\"6f1c2a4e-8d7b-4c3e-9a5f-2b1d0e9c8a7b\",\"status\":\"confirmed\",\"currency\":\"EUR\","
  "\"subtotal\":5000,\"discount\":0,\"total\":5000,\"created_at\":\"2030-03-01T10:00:00Z\","
  "\"confirmed_at\":\"2030-03-01T10:02:00Z\","
  "\"attendee\":{\"name\":\"Ada Lovelace\",\"email\":\"ada@example.test\"},"
  "\"items\":[{\"name\":\"Standard\",\"quantity\":2,\"unit_price\":2500,\"discount\":0,\"line_total\":5000}],"
  "\"payment_method\":\"card\",\"payment_reference\":null,\"paid\":true,"
  "\"amount_paid\":5000,\"amount_refunded\":1000,"
  "\"payments\":[{\"id\":\"p1\",\"method\":\"card\",\"status\":\"paid\",\"amount\":5000,\"currency\":\"EUR\","
  "\"refunded_amount\":1000,\"expires_at\":null,\"paid_at\":\"2030-03-01T10:02:00Z\",\"reference\":null,"
  "\"checkout_url\":null,\"created_at\":\"2030-03-01T10:00:30Z\"}],"
  "\"refunds\":[{\"id\":\"r1\",\"payment_id\":\"p1\",\"amount\":1000,\"currency\":\"EUR\","
  "\"reason\":\"duplicate\",\"note\":\"Charged twice\",\"status\":\"succeeded\",\"error\":null,"
  "\"created_at\":\"2030-03-02T09:00:00Z\"},"
  "{\"id\":\"r2\",\"payment_id\":\"p1\",\"amount\":500,\"currency\":\"EUR\",\"reason\":\"requested_by_customer\","
  "\"note\":null,\"status\":\"pending\",\"error\":null,\"created_at\":\"2030-03-03T09:00:00Z\"}],"
  "\"transfer\":null}";

/* What the dialog makes of a booking's payments as the API describes
 * them, and of a booking from a server that does not send them: nothing
 * of payments at all. Read from no server (nothing listens there). As
 * the server counts them, "amount_refunded" is the money gone back
 * (10.00 EUR); the 5.00 EUR still pending at the gateway are not in it,
 * yet they cannot be asked for twice. */
static void
test_payments_display (void)
{
  g_autoptr(EvaApiClient) client = eva_api_client_new ("http://127.0.0.1:9");
  g_autoptr(EvaRecord) booking = record_from_json (paid_booking_json);
  g_autoptr(EvaRecord) old = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *payments = NULL;
  g_autofree char *refunds = NULL;
  EvaBookingDialog *dialog;
  GtkWindow *form;

  dialog = EVA_BOOKING_DIALOG (eva_booking_dialog_new (NULL, client, NULL, booking));
  g_object_ref (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  eva_desktop_test_wait (dialog_idle, dialog, 30, "the failed reload");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "method"), ==, "Card");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "paid"), ==, "Paid");
  g_assert_null (_eva_booking_dialog_get_text (dialog, "payment-reference"));
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "amount-paid"), ==, "50.00 EUR");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "refunded"), ==, "10.00 EUR");
  payments = _eva_booking_dialog_describe (dialog, "payments");
  g_assert_cmpstr (payments, ==, "Card · Paid · 50.00 EUR");
  refunds = _eva_booking_dialog_describe (dialog, "refunds");
  g_assert_cmpstr (refunds, ==,
                   "10.00 EUR · Duplicate · Refunded · Charged twice\n"
                   "5.00 EUR · Requested by customer · Pending");
  g_assert_true (_eva_booking_dialog_can (dialog, "refund"));
  g_assert_false (_eva_booking_dialog_can (dialog, "mark-paid"));

  /* The refund dialog: what is left, and a card's words */
  form = g_object_ref (eva_booking_dialog_open_refund (dialog));
  g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (form)), ==, 3500);
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), "35.01");
  g_assert_false (eva_refund_dialog_validate (EVA_REFUND_DIALOG (form)));
  g_assert_cmpstr (eva_refund_dialog_get_amount_error (EVA_REFUND_DIALOG (form)), ==,
                   "At most 35.00 EUR can be refunded");
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), "abc");
  g_assert_false (eva_refund_dialog_validate (EVA_REFUND_DIALOG (form)));
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), "0");
  g_assert_false (eva_refund_dialog_validate (EVA_REFUND_DIALOG (form)));
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), "12.5");
  g_assert_true (eva_refund_dialog_validate (EVA_REFUND_DIALOG (form)));
  g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (form)), ==, 1250);
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), NULL);
  g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (form)), ==, 3500);
  gtk_window_destroy (form);
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);

  /* Without the payment members: no payment rows, nothing to do */
  object = json_object_ref (eva_record_get_object (booking));
  for (const char * const *m = (const char *[]) { "payment_method", "payment_reference", "paid",
                                                   "amount_paid", "amount_refunded", "payments",
                                                   "refunds", "transfer", NULL }; *m != NULL; m++)
    json_object_remove_member (object, *m);
  old = eva_record_new (object);
  dialog = EVA_BOOKING_DIALOG (eva_booking_dialog_new (NULL, client, NULL, old));
  g_object_ref (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  eva_desktop_test_wait (dialog_idle, dialog, 30, "the failed reload");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "total"), ==, "50.00 EUR");
  for (const char * const *f = (const char *[]) { "method", "paid", "payment-reference",
                                                   "amount-paid", "refunded", NULL }; *f != NULL; f++)
    g_assert_null (_eva_booking_dialog_get_text (dialog, *f));
  g_assert_false (_eva_booking_dialog_can (dialog, "refund"));
  g_assert_false (_eva_booking_dialog_can (dialog, "mark-paid"));
  g_assert_true (_eva_booking_dialog_can_cancel (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
}

/* A bank transfer: awaited, marked as paid (the wrong sum refused and
 * the input kept), refunded in part, then in full. */
static void
test_payments_transfer (void)
{
  Shop shop = { 0 };
  g_autofree char *id = NULL;
  g_autofree char *status = NULL;
  g_autofree char *payments = NULL;
  g_autofree char *refunds = NULL;
  g_autofree char *today = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  EvaBookingDialog *dialog;
  GtkWindow *form;
  AdwMessageDialog *confirm;
  BookingWait wait;
  guint changed = 0;

  shop_open (&shop);
  shop_offer_all_methods (&shop);
  id = seed_paying (&shop, 2, "Ada Lovelace", "ada@example.test", "bank_transfer");

  dialog = open_booking (&shop, id);
  g_signal_connect (dialog, "changed", G_CALLBACK (count_cb), &changed);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Payment Pending");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "method"), ==, "Bank Transfer");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "paid"), ==, "Awaiting");
  g_assert_nonnull (_eva_booking_dialog_get_text (dialog, "payment-reference"));
  g_assert_null (_eva_booking_dialog_get_text (dialog, "amount-paid"));
  g_assert_null (_eva_booking_dialog_get_text (dialog, "refunded"));
  g_assert_true (_eva_booking_dialog_can (dialog, "mark-paid"));
  g_assert_false (_eva_booking_dialog_can (dialog, "refund"));

  /* Mark as paid: the total and today to start with */
  form = g_object_ref (eva_booking_dialog_open_mark_paid (dialog));
  today = g_date_time_format (now, "%Y-%m-%d");
  g_assert_cmpstr (eva_mark_paid_dialog_get_text (EVA_MARK_PAID_DIALOG (form), "amount"), ==, "50.00");
  g_assert_cmpstr (eva_mark_paid_dialog_get_text (EVA_MARK_PAID_DIALOG (form), "paid_on"), ==, today);
  eva_mark_paid_dialog_set_date (EVA_MARK_PAID_DIALOG (form), "2030-13-01");
  g_assert_false (eva_mark_paid_dialog_validate (EVA_MARK_PAID_DIALOG (form)));
  eva_mark_paid_dialog_set_date (EVA_MARK_PAID_DIALOG (form), today);
  /* The server wants the total: 49.00 is refused, and stays typed */
  eva_mark_paid_dialog_set_amount (EVA_MARK_PAID_DIALOG (form), "49.00");
  eva_mark_paid_dialog_set_reference (EVA_MARK_PAID_DIALOG (form), "BANK-0412");
  eva_mark_paid_dialog_submit (EVA_MARK_PAID_DIALOG (form));
  confirm = wait_message_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_body (confirm), "49.00 EUR"));
  answer (confirm, "mark-paid");
  g_assert_true (eva_mark_paid_dialog_get_busy (EVA_MARK_PAID_DIALOG (form)));
  eva_desktop_test_wait (mark_paid_idle, form, 30, "the refusal");
  g_assert_nonnull (eva_mark_paid_dialog_get_error (EVA_MARK_PAID_DIALOG (form)));
  g_assert_cmpstr (eva_mark_paid_dialog_get_text (EVA_MARK_PAID_DIALOG (form), "amount"), ==, "49.00");
  g_assert_cmpstr (eva_mark_paid_dialog_get_text (EVA_MARK_PAID_DIALOG (form), "reference"), ==, "BANK-0412");
  g_assert_cmpuint (changed, ==, 0);

  eva_mark_paid_dialog_set_amount (EVA_MARK_PAID_DIALOG (form), "50.00");
  eva_mark_paid_dialog_submit (EVA_MARK_PAID_DIALOG (form));
  answer (wait_message_dialog (), "mark-paid");
  eva_desktop_test_wait (booking_paid, dialog, 30, "the booking paid");
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "name"), ==, "Ada Lovelace");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "email"), ==, "ada@example.test");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Confirmed");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "paid"), ==, "Paid");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "amount-paid"), ==, "50.00 EUR");
  payments = _eva_booking_dialog_describe (dialog, "payments");
  g_assert_nonnull (strstr (payments, "Bank Transfer · Paid · 50.00 EUR"));
  /* Paid on a day (not at midnight, nor a day off in another time
   * zone), with the bank's reference */
  {
    g_autoptr(GDateTime) day = g_date_time_new_utc (g_date_time_get_year (now), g_date_time_get_month (now),
                                                    g_date_time_get_day_of_month (now), 0, 0, 0);
    g_autofree char *shown = g_date_time_format (day, "%a, %-d %b %Y · BANK-0412");

    g_assert_cmpstr (_eva_booking_dialog_get_subtitle (dialog, "payments", 0), ==, shown);
  }
  g_assert_false (_eva_booking_dialog_can (dialog, "mark-paid"));
  g_assert_true (_eva_booking_dialog_can (dialog, "refund"));
  status = eva_test_sql (shop.server->pg, "SELECT status FROM bookings WHERE id = $1", id, NULL);
  g_assert_cmpstr (status, ==, "confirmed");
  g_clear_pointer (&status, g_free);

  /* A part of it back: no more than what was paid */
  form = g_object_ref (eva_booking_dialog_open_refund (dialog));
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), "60");
  g_assert_false (eva_refund_dialog_validate (EVA_REFUND_DIALOG (form)));
  g_assert_nonnull (strstr (eva_refund_dialog_get_amount_error (EVA_REFUND_DIALOG (form)), "50.00 EUR"));
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), "20.00");
  eva_refund_dialog_set_reason (EVA_REFUND_DIALOG (form), "duplicate");
  eva_refund_dialog_set_note (EVA_REFUND_DIALOG (form), "Paid twice");
  g_assert_true (eva_refund_dialog_validate (EVA_REFUND_DIALOG (form)));
  g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (form)), ==, 2000);
  eva_refund_dialog_submit (EVA_REFUND_DIALOG (form));
  confirm = wait_message_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (confirm), "20.00 EUR"));
  answer (confirm, "refund");
  wait = (BookingWait) { dialog, "amount_refunded", 2000 };
  eva_desktop_test_wait (booking_has, &wait, 30, "the partial refund");
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Confirmed");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "refunded"), ==, "20.00 EUR");
  refunds = _eva_booking_dialog_describe (dialog, "refunds");
  /* Money that came by transfer is recorded as paid back */
  g_assert_cmpstr (refunds, ==, "20.00 EUR · Duplicate · Paid Back · Paid twice");
  g_clear_pointer (&refunds, g_free);

  /* The rest: everything left, the booking refunded */
  form = g_object_ref (eva_booking_dialog_open_refund (dialog));
  g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (form)), ==, 3000);
  eva_refund_dialog_submit (EVA_REFUND_DIALOG (form));
  confirm = wait_message_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (confirm), "30.00 EUR"));
  answer (confirm, "refund");
  wait = (BookingWait) { dialog, "amount_refunded", 5000 };
  eva_desktop_test_wait (booking_has, &wait, 30, "the full refund");
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Refunded");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "refunded"), ==, "50.00 EUR");
  g_assert_false (_eva_booking_dialog_can (dialog, "refund"));
  refunds = _eva_booking_dialog_describe (dialog, "refunds");
  g_assert_nonnull (strstr (refunds, "30.00 EUR · Requested by customer · Paid Back"));
  status = eva_test_sql (shop.server->pg, "SELECT status FROM bookings WHERE id = $1", id, NULL);
  g_assert_cmpstr (status, ==, "refunded");

  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
  shop_close (&shop);
}

static gboolean
refunds_listed (gpointer data)
{
  BookingWait *wait = data;
  EvaRecord *booking = eva_booking_dialog_get_booking (wait->dialog);
  JsonArray *refunds = booking != NULL ? eva_booking_get_array (booking, "refunds") : NULL;

  return refunds != NULL && json_array_get_length (refunds) == (guint) wait->value;
}

/* The id of the @index-th refund of the booking the dialog shows. */
static const char *
refund_id (EvaBookingDialog *dialog,
           guint             index)
{
  JsonArray *refunds = eva_booking_get_array (eva_booking_dialog_get_booking (dialog), "refunds");

  g_assert_nonnull (refunds);
  return json_object_get_string_member (json_array_get_object_element (refunds, index), "id");
}

/* Asks to refund what @form (a reference the caller gives up) holds,
 * confirms it, and waits for the dialog to be done with and gone. */
static void
confirm_refund (GtkWindow  *form,
                const char *expect_body)
{
  AdwMessageDialog *confirm;

  eva_refund_dialog_submit (EVA_REFUND_DIALOG (form));
  confirm = wait_message_dialog ();
  g_test_message ("asked: %s %s", adw_message_dialog_get_heading (confirm),
                  adw_message_dialog_get_body (confirm));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (confirm), expect_body));
  answer (confirm, "refund");
  g_assert_true (eva_refund_dialog_get_busy (EVA_REFUND_DIALOG (form)));
  eva_desktop_test_wait (refund_idle, form, 30, "the refund");
  g_assert_null (eva_refund_dialog_get_error (EVA_REFUND_DIALOG (form)));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);
}

/* Asks for a refund of @amount ("20.00", or NULL for everything left)
 * in the refund dialog, confirms it and waits for the dialog to close. */
static void
refund_through_dialog (EvaBookingDialog *dialog,
                       const char       *amount,
                       const char       *reason,
                       const char       *note,
                       const char       *expect_body)
{
  GtkWindow *form = eva_booking_dialog_open_refund (dialog);

  g_assert_nonnull (form);
  g_object_ref (form);
  eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), amount);
  if (reason != NULL)
    eva_refund_dialog_set_reason (EVA_REFUND_DIALOG (form), reason);
  if (note != NULL)
    eva_refund_dialog_set_note (EVA_REFUND_DIALOG (form), note);
  confirm_refund (form, expect_body);
}

/* A card paid through the Stripe stand-in: part of it refunded at once
 * through the gateway; the rest pending there, then failed (and so to
 * refund again), then refunded. */
static void
test_payments_card (void)
{
  Shop shop = { 0 };
  g_autofree char *id = NULL;
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;
  g_autoptr(JsonNode) gateway = NULL;
  EvaBookingDialog *dialog;
  GtkWindow *form;
  BookingWait wait;
  guint changed = 0;
  guint http_status = 0;

  shop_open_with (&shop, TRUE);
  shop_offer_all_methods (&shop);
  id = seed_card (&shop, 2, "Ada Lovelace", "ada@example.test");

  dialog = open_booking (&shop, id);
  g_signal_connect (dialog, "changed", G_CALLBACK (count_cb), &changed);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Confirmed");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "method"), ==, "Card");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "paid"), ==, "Paid");
  g_assert_null (_eva_booking_dialog_get_text (dialog, "payment-reference"));
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "amount-paid"), ==, "50.00 EUR");
  g_assert_null (_eva_booking_dialog_get_text (dialog, "refunded"));
  text = _eva_booking_dialog_describe (dialog, "payments");
  g_assert_cmpstr (text, ==, "Card · Paid · 50.00 EUR");
  g_clear_pointer (&text, g_free);
  g_assert_false (_eva_booking_dialog_can (dialog, "mark-paid"));
  g_assert_true (_eva_booking_dialog_can (dialog, "refund"));

  /* 20.00 back to the card; the first try finds the gateway down (the
   * server keeps the refund to send later and says so), the second,
   * the same refund asked again, sends that one: not two refunds */
  {
    g_autoptr(JsonNode) failing =
      eva_test_stripe_control (shop.stripe, "POST", "/_standin/fail",
                               "{\"path_prefix\":\"/v1/refunds\",\"method\":\"POST\",\"status\":500,\"count\":3}",
                               &http_status);
    g_autofree char *rows = NULL;

    g_assert_cmpuint (http_status, ==, 200);
    form = g_object_ref (eva_booking_dialog_open_refund (dialog));
    eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (form), "20.00");
    eva_refund_dialog_set_reason (EVA_REFUND_DIALOG (form), "duplicate");
    eva_refund_dialog_set_note (EVA_REFUND_DIALOG (form), "Charged twice");
    eva_refund_dialog_submit (EVA_REFUND_DIALOG (form));
    answer (wait_message_dialog (), "refund");
    eva_desktop_test_wait (refund_idle, form, 30, "the gateway's failure");
    g_assert_nonnull (eva_refund_dialog_get_error (EVA_REFUND_DIALOG (form)));
    g_test_message ("refused: %s", eva_refund_dialog_get_error (EVA_REFUND_DIALOG (form)));
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (form)));
    g_assert_cmpuint (changed, ==, 0);
    rows = eva_test_sql (shop.server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1", id, NULL);
    g_assert_cmpstr (rows, ==, "1");
    g_clear_pointer (&rows, g_free);

    /* Again, as it is: sent this time */
    confirm_refund (form, "go back to the card of ada@example.test");
    rows = eva_test_sql (shop.server->pg, "SELECT count(*) FROM refunds WHERE booking_id = $1", id, NULL);
    g_assert_cmpstr (rows, ==, "1");
  }
  g_assert_cmpuint (changed, ==, 1);
  /* Who booked stays, though the refund's answer does not say */
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "name"), ==, "Ada Lovelace");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "email"), ==, "ada@example.test");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Confirmed");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "refunded"), ==, "20.00 EUR");
  text = _eva_booking_dialog_describe (dialog, "refunds");
  g_assert_cmpstr (text, ==, "20.00 EUR · Duplicate · Refunded · Charged twice");
  g_clear_pointer (&text, g_free);
  /* The gateway was asked for exactly that */
  gateway = eva_test_stripe_control (shop.stripe, "GET", "/_standin/refunds", NULL, &http_status);
  g_assert_cmpuint (http_status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (gateway)), ==, 1);
  g_assert_cmpint (eva_test_json_int (gateway, "0.amount"), ==, 2000);
  g_assert_cmpstr (eva_test_json_string (gateway, "0.reason"), ==, "duplicate");

  /* The rest, pending at the gateway: nothing more can be asked back */
  eva_desktop_seed_refund_status (shop.stripe, "pending");
  refund_through_dialog (dialog, NULL, NULL, NULL, "go back to the card of ada@example.test");
  g_assert_cmpuint (changed, ==, 2);
  wait = (BookingWait) { dialog, "refunds", 2 };
  g_assert_true (refunds_listed (&wait));
  text = _eva_booking_dialog_describe (dialog, "refunds");
  g_assert_cmpstr (text, ==,
                   "20.00 EUR · Duplicate · Refunded · Charged twice\n"
                   "30.00 EUR · Requested by customer · Pending");
  g_clear_pointer (&text, g_free);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Confirmed");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "refunded"), ==, "20.00 EUR");
  g_assert_false (_eva_booking_dialog_can (dialog, "refund"));
  g_assert_null (eva_booking_dialog_open_refund (dialog));

  /* Stripe says it failed: the 30.00 can be refunded again */
  eva_desktop_seed_settle_refund (shop.server, shop.stripe, refund_id (dialog, 1), "failed");
  eva_booking_dialog_reload (dialog);
  eva_desktop_test_wait (dialog_idle, dialog, 30, "the booking again");
  text = _eva_booking_dialog_describe (dialog, "refunds");
  g_test_message ("refunds: %s", text);
  g_assert_true (g_str_has_suffix (text, "\n30.00 EUR · Requested by customer · Failed"));
  g_clear_pointer (&text, g_free);
  g_assert_true (_eva_booking_dialog_can (dialog, "refund"));
  form = g_object_ref (eva_booking_dialog_open_refund (dialog));
  g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (form)), ==, 3000);
  gtk_window_destroy (form);
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);

  /* Again, and this time it goes through: the booking is refunded */
  eva_desktop_seed_refund_status (shop.stripe, "succeeded");
  refund_through_dialog (dialog, NULL, "fraudulent", NULL, "go back to the card of ada@example.test");
  g_assert_cmpuint (changed, ==, 3);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Refunded");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "refunded"), ==, "50.00 EUR");
  g_assert_false (_eva_booking_dialog_can (dialog, "refund"));
  text = _eva_booking_dialog_describe (dialog, "refunds");
  g_assert_true (g_str_has_suffix (text, "\n30.00 EUR · Fraudulent · Refunded"));
  status = eva_test_sql (shop.server->pg, "SELECT status FROM bookings WHERE id = $1", id, NULL);
  g_assert_cmpstr (status, ==, "refunded");

  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
  shop_close (&shop);
}

/* Paying at the door: confirmed and unpaid, marked paid; a refund the
 * server refuses (done meanwhile elsewhere) keeps what was typed. */
static void
test_payments_at_door (void)
{
  Shop shop = { 0 };
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  EvaBookingDialog *dialog;
  GtkWindow *form;
  AdwMessageDialog *confirm;

  shop_open (&shop);
  shop_offer_all_methods (&shop);
  id = seed_paying (&shop, 1, "Grace Hopper", "grace@example.test", "at_door");

  dialog = open_booking (&shop, id);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Confirmed");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "method"), ==, "At the Door");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "paid"), ==, "Unpaid");
  g_assert_null (_eva_booking_dialog_get_text (dialog, "payment-reference"));
  g_assert_true (_eva_booking_dialog_can (dialog, "mark-paid"));
  g_assert_false (_eva_booking_dialog_can (dialog, "refund"));

  form = g_object_ref (eva_booking_dialog_open_mark_paid (dialog));
  g_assert_cmpstr (eva_mark_paid_dialog_get_text (EVA_MARK_PAID_DIALOG (form), "amount"), ==, "25.00");
  eva_mark_paid_dialog_submit (EVA_MARK_PAID_DIALOG (form));
  answer (wait_message_dialog (), "mark-paid");
  eva_desktop_test_wait (booking_paid, dialog, 30, "the booking paid");
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "paid"), ==, "Paid");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "amount-paid"), ==, "25.00 EUR");
  g_assert_true (_eva_booking_dialog_can (dialog, "refund"));

  /* Refunded by someone else while the form is open: 409, input kept */
  form = g_object_ref (eva_booking_dialog_open_refund (dialog));
  eva_refund_dialog_set_reason (EVA_REFUND_DIALOG (form), "fraudulent");
  eva_refund_dialog_set_note (EVA_REFUND_DIALOG (form), "Stolen card");
  path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", id);
  {
    g_autoptr(EvaTestResponse) done = eva_test_call (shop.server, "POST", path, shop.token, "{}");

    eva_test_assert_status (done, 200);
  }
  eva_refund_dialog_submit (EVA_REFUND_DIALOG (form));
  confirm = wait_message_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (confirm), "25.00 EUR"));
  answer (confirm, "refund");
  eva_desktop_test_wait (refund_idle, form, 30, "the refusal");
  g_assert_nonnull (eva_refund_dialog_get_error (EVA_REFUND_DIALOG (form)));
  g_test_message ("refused: %s", eva_refund_dialog_get_error (EVA_REFUND_DIALOG (form)));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (form)));
  g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (form)), ==, 2500);
  gtk_window_destroy (form);
  eva_desktop_test_settle (100);
  g_assert_finalize_object (form);

  eva_booking_dialog_reload (dialog);
  eva_desktop_test_wait (dialog_idle, dialog, 30, "the booking again");
  g_assert_cmpstr (_eva_booking_dialog_get_text (dialog, "status"), ==, "Refunded");
  g_assert_false (_eva_booking_dialog_can (dialog, "refund"));

  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
  shop_close (&shop);
}

/* "Awaiting Payment" lists transfers awaited and bookings to pay at the
 * door; the rows say paid, unpaid or awaiting. */
static void
test_payments_filter (void)
{
  Shop shop = { 0 };
  GtkWidget *window = gtk_window_new ();
  EvaBookingsView *view = EVA_BOOKINGS_VIEW (eva_bookings_view_new ());
  g_autofree char *transfer = NULL;
  g_autofree char *door = NULL;
  g_autofree char *paid = NULL;
  g_autofree char *held = NULL;
  ListWait wait;

  shop_open (&shop);
  shop_offer_all_methods (&shop);
  held = seed_booking (&shop, 1, NULL, "Held Only", "held@example.test");
  paid = seed_paying (&shop, 1, "Paid Door", "paid@example.test", "at_door");
  api_mark_paid (&shop, paid, 2500);
  door = seed_paying (&shop, 1, "Door Later", "door@example.test", "at_door");
  transfer = seed_paying (&shop, 2, "Transfer Soon", "transfer@example.test", "bank_transfer");

  eva_bookings_view_set_client (view, shop.client);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_present (GTK_WINDOW (window));
  eva_bookings_view_set_event (view, shop.event);
  wait.list = eva_bookings_view_get_list (view);
  wait.n = 4;
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "the bookings");
  eva_desktop_test_settle (200);
  /* Newest first: transfer, door, paid, held */
  g_assert_cmpstr (eva_bookings_view_get_badge (view, 0), ==, "Awaiting Transfer");
  g_assert_cmpstr (eva_bookings_view_get_badge (view, 1), ==, "Unpaid");
  g_assert_cmpstr (eva_bookings_view_get_badge (view, 2), ==, "Paid");
  g_assert_null (eva_bookings_view_get_badge (view, 3));

  eva_bookings_view_set_filter (view, NULL, "awaiting_payment");
  g_assert_cmpstr (eva_booking_list_get_status (wait.list), ==, "awaiting_payment");
  wait.n = 2;
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "the bookings awaiting payment");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(EvaRecord) booking = g_list_model_get_item (G_LIST_MODEL (wait.list), i);

      g_assert_true (g_strcmp0 (eva_record_get_id (booking), transfer) == 0 ||
                     g_strcmp0 (eva_record_get_id (booking), door) == 0);
    }
  /* The status filter is back when it is off */
  eva_bookings_view_set_filter (view, NULL, "confirmed");
  wait.n = 2;
  eva_desktop_test_wait (bookings_loaded, &wait, 30, "the confirmed bookings");
  g_assert_cmpstr (eva_booking_list_get_status (wait.list), ==, "confirmed");

  g_object_ref (view);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  shop_close (&shop);
}

static gboolean
editor_idle (gpointer data)
{
  return !eva_event_editor_get_busy (data);
}

static void
set_switch (EvaEventEditor *editor,
            const char     *method,
            gboolean        active)
{
  GtkWidget *row = eva_event_editor_get_field_row (editor, method);

  gtk_switch_set_active (GTK_SWITCH (find_descendant (row, GTK_TYPE_SWITCH)), active);
}

static gboolean
get_switch (EvaEventEditor *editor,
            const char     *method)
{
  GtkWidget *row = eva_event_editor_get_field_row (editor, method);

  return gtk_switch_get_active (GTK_SWITCH (find_descendant (row, GTK_TYPE_SWITCH)));
}

/* The editor's payment fields go to the server and come back. */
static void
test_editor_payment_fields (void)
{
  Shop shop = { 0 };
  EvaEventEditor *editor = g_object_ref_sink (EVA_EVENT_EDITOR (eva_event_editor_new ()));
  g_autoptr(EvaTestResponse) event = NULL;
  g_autofree char *path = NULL;
  g_autoptr(EvaRecord) reread = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkTextView *details;
  GtkSpinButton *days;
  JsonArray *methods;

  shop_open (&shop);
  g_assert_true (json_object_has_member (eva_record_get_object (shop.event), "payment_methods"));
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (editor));
  eva_event_editor_set_client (editor, shop.client);
  eva_event_editor_set_event (editor, shop.event);
  /* A new event offers cards */
  g_assert_true (get_switch (editor, "card"));
  g_assert_false (get_switch (editor, "bank_transfer"));
  g_assert_false (get_switch (editor, "at_door"));
  details = GTK_TEXT_VIEW (find_descendant (eva_event_editor_get_field_row (editor, "transfer_details"),
                                            GTK_TYPE_TEXT_VIEW));
  days = GTK_SPIN_BUTTON (find_descendant (eva_event_editor_get_field_row (editor, "transfer_days"),
                                           GTK_TYPE_SPIN_BUTTON));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (days), ==, 7);

  /* None at all is not a way to sell */
  set_switch (editor, "card", FALSE);
  g_assert_false (eva_event_editor_validate (editor));
  g_assert_true (row_marked (eva_event_editor_get_field_row (editor, "payment_methods")));

  set_switch (editor, "bank_transfer", TRUE);
  set_switch (editor, "at_door", TRUE);
  g_assert_true (eva_event_editor_validate (editor));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (details),
                            "Everato Events\nIBAN DE89 3704 0044 0532 0130 00", -1);
  gtk_spin_button_set_value (days, 10);
  g_assert_true (eva_event_editor_get_dirty (editor));
  eva_event_editor_save (editor);
  eva_desktop_test_wait (editor_idle, editor, 30, "the save");
  g_assert_false (eva_event_editor_get_dirty (editor));

  path = g_strdup_printf ("/api/v1/admin/events/%s", eva_record_get_id (shop.event));
  event = eva_test_call (shop.server, "GET", path, shop.token, NULL);
  eva_test_assert_status (event, 200);
  methods = json_object_get_array_member (json_node_get_object (event->json), "payment_methods");
  g_assert_cmpuint (json_array_get_length (methods), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (methods, 0), ==, "bank_transfer");
  g_assert_cmpstr (json_array_get_string_element (methods, 1), ==, "at_door");
  g_assert_cmpstr (eva_test_json_string (event->json, "transfer_details"), ==,
                   "Everato Events\nIBAN DE89 3704 0044 0532 0130 00");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (event->json), "transfer_days"), ==, 10);

  /* And back into a fresh editor state */
  reread = record_from_node (event->json);
  eva_event_editor_set_event (editor, NULL);
  g_assert_true (get_switch (editor, "card"));
  eva_event_editor_set_event (editor, reread);
  g_assert_false (get_switch (editor, "card"));
  g_assert_true (get_switch (editor, "bank_transfer"));
  g_assert_true (get_switch (editor, "at_door"));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (days), ==, 10);
  g_assert_false (eva_event_editor_get_dirty (editor));

  /* Out of range days are the editor's to refuse */
  gtk_editable_set_text (GTK_EDITABLE (days), "61");
  g_assert_false (eva_event_editor_validate (editor));
  g_assert_true (row_marked (eva_event_editor_get_field_row (editor, "transfer_days")));

  g_object_ref (editor);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (editor);
  g_assert_finalize_object (editor);
  shop_close (&shop);
}

static gboolean
refund_all_done (gpointer data)
{
  return !eva_refund_all_dialog_get_running (data);
}

/* A cancelled event's paid bookings all refunded in one go: offline
 * money recorded as to pay back; card money through the gateway, which
 * is down at first; one booking refunded meanwhile by someone else
 * failing with the server's word. The retry sends the card's refund kept
 * by the server (the same one: not a second) and is refused again the
 * other. */
static void
test_payments_refund_all (void)
{
  Shop shop = { 0 };
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *card = NULL;
  g_autofree char *unpaid = NULL;
  g_autofree char *cancel = NULL;
  g_autofree char *text = NULL;
  g_autofree char *statuses = NULL;
  EvaRefundAllDialog *dialog;
  double fraction = 0;
  gboolean saw_progress = FALSE;

  shop_open_with (&shop, TRUE);
  shop_offer_all_methods (&shop);
  a = seed_paying (&shop, 1, "Door Paid", "door@example.test", "at_door");
  api_mark_paid (&shop, a, 2500);
  b = seed_paying (&shop, 2, "Transfer Paid", "transfer@example.test", "bank_transfer");
  api_mark_paid (&shop, b, 5000);
  c = seed_paying (&shop, 3, "Door Paid Too", "door2@example.test", "at_door");
  api_mark_paid (&shop, c, 7500);
  card = seed_card (&shop, 2, "Card Paid", "card@example.test");
  /* Nothing paid: left alone */
  unpaid = seed_paying (&shop, 1, "Door Unpaid", "unpaid@example.test", "at_door");
  cancel = g_strdup_printf ("/api/v1/admin/events/%s/cancel", eva_record_get_id (shop.event));
  {
    g_autoptr(EvaTestResponse) cancelled = eva_test_call (shop.server, "POST", cancel, shop.token, NULL);

    eva_test_assert_status (cancelled, 200);
    eva_record_set_object (shop.event, json_node_get_object (cancelled->json));
  }

  /* Stripe down for the first refund asked of it (the server tries 3 times) */
  {
    guint http_status = 0;
    g_autoptr(JsonNode) failing =
      eva_test_stripe_control (shop.stripe, "POST", "/_standin/fail",
                               "{\"path_prefix\":\"/v1/refunds\",\"method\":\"POST\",\"status\":500,\"count\":3}",
                               &http_status);

    g_assert_cmpuint (http_status, ==, 200);
  }

  dialog = EVA_REFUND_ALL_DIALOG (eva_refund_all_dialog_new (NULL, shop.client, shop.event));
  g_object_ref (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  eva_refund_all_dialog_start (EVA_REFUND_ALL_DIALOG (dialog));
  g_assert_true (eva_refund_all_dialog_get_running (dialog));
  /* Once the bookings are listed, the oldest (the last to be refunded)
   * is refunded by someone else: the server will refuse it. */
  while (eva_refund_all_dialog_get_count (dialog, "total") == 0 && eva_refund_all_dialog_get_running (dialog))
    g_main_context_iteration (NULL, TRUE);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", a);
    g_autoptr(EvaTestResponse) done = eva_test_call (shop.server, "POST", path, shop.token, "{}");

    eva_test_assert_status (done, 200);
  }
  while (eva_refund_all_dialog_get_running (dialog))
    {
      double now = eva_refund_all_dialog_get_fraction (dialog);

      g_assert_cmpfloat (now, >=, fraction);
      if (now > 0 && now < 1)
        saw_progress = TRUE;
      fraction = now;
      g_main_context_iteration (NULL, TRUE);
    }
  g_test_message ("the progress bar moved: %s", saw_progress ? "yes" : "too fast to see");
  g_assert_cmpfloat (eva_refund_all_dialog_get_fraction (dialog), ==, 1.0);
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "total"), ==, 4);
  /* Transfer and door money: the organizer still owes it */
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "to_refund"), ==, 2);
  text = eva_refund_all_dialog_describe (dialog, "to_refund");
  g_assert_cmpstr (text, ==, "2 bookings: 125.00 EUR");
  g_clear_pointer (&text, g_free);
  /* The card's (newest, so first) waits for the gateway; the oldest was
   * refunded already */
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "refunded"), ==, 0);
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "failed"), ==, 2);
  text = eva_refund_all_dialog_describe (dialog, "failed");
  g_test_message ("failed: %s", text);
  /* Who, and the booking's reference: "Card Paid · 1E047278: …" */
  g_assert_true (g_regex_match_simple ("^Card Paid · [0-9A-F]{8}: ", text, 0, 0));
  g_assert_true (g_regex_match_simple ("\nDoor Paid · [0-9A-F]{8}: ", text, 0, 0));
  g_clear_pointer (&text, g_free);
  statuses = eva_test_sql (shop.server->pg,
                           "SELECT string_agg(status, ',' ORDER BY status) FROM refunds", NULL);
  g_assert_cmpstr (statuses, ==, "pending,recorded,to_refund,to_refund");

  /* The retry asks again for the failed ones only: the card's goes
   * through, the other is still refused */
  eva_refund_all_dialog_retry (dialog);
  g_assert_true (eva_refund_all_dialog_get_running (dialog));
  eva_desktop_test_wait (refund_all_done, dialog, 30, "the retry");
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "total"), ==, 2);
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "failed"), ==, 1);
  text = eva_refund_all_dialog_describe (dialog, "failed");
  g_assert_true (g_regex_match_simple ("^Door Paid · [0-9A-F]{8}: ", text, 0, 0));
  g_clear_pointer (&text, g_free);
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "to_refund"), ==, 2);
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "refunded"), ==, 1);
  text = eva_refund_all_dialog_describe (dialog, "refunded");
  g_assert_cmpstr (text, ==, "1 booking: 50.00 EUR");
  g_clear_pointer (&text, g_free);
  /* One refund of the card's, sent once */
  g_clear_pointer (&statuses, g_free);
  statuses = eva_test_sql (shop.server->pg,
                           "SELECT string_agg(status, ',' ORDER BY status) FROM refunds", NULL);
  g_assert_cmpstr (statuses, ==, "recorded,succeeded,to_refund,to_refund");
  {
    guint http_status = 0;
    g_autoptr(JsonNode) gateway = eva_test_stripe_control (shop.stripe, "GET", "/_standin/refunds", NULL,
                                                          &http_status);

    g_assert_cmpuint (http_status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (gateway)), ==, 1);
    g_assert_cmpint (eva_test_json_int (gateway, "0.amount"), ==, 5000);
  }
  g_clear_pointer (&statuses, g_free);
  statuses = eva_test_sql (shop.server->pg, "SELECT status FROM bookings WHERE id = $1", unpaid, NULL);
  g_assert_cmpstr (statuses, ==, "confirmed");
  g_clear_pointer (&statuses, g_free);
  statuses = eva_test_sql (shop.server->pg, "SELECT status FROM bookings WHERE id = $1", card, NULL);
  g_assert_cmpstr (statuses, ==, "refunded");

  /* Again: nothing left to refund */
  eva_refund_all_dialog_start (dialog);
  eva_desktop_test_wait (refund_all_done, dialog, 30, "the second round");
  g_assert_cmpuint (eva_refund_all_dialog_get_count (dialog, "total"), ==, 0);

  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
  shop_close (&shop);
}

/* ------------------------------------------------------------------ */
/* Tickets                                                            */
/* ------------------------------------------------------------------ */

/* A free ticket type for the shop's event: its bookings are confirmed
 * (and their tickets issued) as they are made. */
static char *
shop_add_free_type (Shop *shop)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types",
                                           eva_record_get_id (shop->event));
  g_autoptr(EvaTestResponse) created =
    eva_test_call (shop->server, "POST", path, shop->token,
                   "{\"name\":\"Guest List\",\"price\":0,\"capacity\":50}");

  eva_test_assert_status (created, 201);
  return g_strdup (eva_test_json_string (created->json, "id"));
}

static char *
seed_free (Shop       *shop,
           const char *type_id,
           int         quantity,
           const char *name,
           const char *email)
{
  g_autoptr(JsonNode) booking = eva_desktop_seed_booking (shop->server, eva_record_get_id (shop->event),
                                                          type_id, quantity, NULL, name, email);

  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (booking), "status"), ==,
                   "confirmed");
  return g_strdup (json_object_get_string_member (json_node_get_object (booking), "id"));
}

static gboolean
tickets_idle (gpointer data)
{
  return !eva_booking_tickets_get_busy (data);
}

static EvaTestResponse *
api_tickets (Shop       *shop,
             const char *booking_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/tickets", booking_id);
  EvaTestResponse *listed = eva_test_call (shop->server, "GET", path, shop->token, NULL);

  eva_test_assert_status (listed, 200);
  return listed;
}

/* The ticket @id as the API tells it: its member @member. */
static char *
api_ticket_member (Shop       *shop,
                   const char *booking_id,
                   const char *id,
                   const char *member)
{
  g_autoptr(EvaTestResponse) listed = api_tickets (shop, booking_id);
  JsonArray *items = json_object_get_array_member (json_node_get_object (listed->json), "items");

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *ticket = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member (ticket, "id"), id) == 0)
        return g_strdup (json_object_get_string_member_with_default (ticket, member, NULL));
    }
  g_assert_not_reached ();
}

static EvaRecord *
ticket_at (EvaBookingTickets *tickets,
           guint              index)
{
  GPtrArray *all = eva_booking_tickets_get_tickets (tickets);

  g_assert_cmpuint (index, <, all->len);
  return g_ptr_array_index (all, index);
}

/* A confirmed booking's tickets in its dialog; a holder's name edited
 * (and read back through the API); a ticket reissued: a new code, the
 * old one revoked. */
static void
test_tickets_details (void)
{
  Shop shop = { 0 };
  g_autofree char *type_id = NULL;
  g_autofree char *id = NULL;
  g_autofree char *held = NULL;
  g_autofree char *described = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *old_code = NULL;
  g_autofree char *holder = NULL;
  g_autofree char *status = NULL;
  g_autofree char *db_code = NULL;
  EvaBookingDialog *dialog;
  EvaBookingTickets *tickets;
  GtkWindow *ask;
  AdwMessageDialog *confirm;
  GtkWidget *entry;
  EvaRecord *ticket;

  shop_open (&shop);
  type_id = shop_add_free_type (&shop);
  id = seed_free (&shop, type_id, 2, "Ada Lovelace", "ada@example.test");

  dialog = open_booking (&shop, id);
  tickets = eva_booking_dialog_get_tickets (dialog);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the tickets");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (tickets)));
  g_assert_null (_eva_booking_tickets_get_error (tickets));
  g_assert_true (_eva_booking_tickets_can_resend (tickets));
  g_assert_cmpuint (eva_booking_tickets_get_tickets (tickets)->len, ==, 2);
  described = _eva_booking_tickets_describe (tickets);
  g_test_message ("%s", described);
  {
    g_auto(GStrv) lines = g_strsplit (described, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        ticket = ticket_at (tickets, i);
        g_assert_true (g_str_has_prefix (lines[i], "No name · Valid · Guest List · EV1."));
        /* The start and the end of its own code */
        g_assert_nonnull (strstr (lines[i], eva_record_get_string (ticket, "code") +
                                            strlen (eva_record_get_string (ticket, "code")) - 8));
        g_assert_nonnull (strstr (lines[i], "|Issued "));
        g_free (db_code);
        db_code = eva_test_sql (shop.server->pg, "SELECT code FROM tickets WHERE id = $1::uuid",
                                eva_record_get_id (ticket), NULL);
        g_assert_cmpstr (db_code, ==, eva_record_get_string (ticket, "code"));
      }
  }

  /* The holder's name, through its dialog; spaces around it dropped */
  ticket = ticket_at (tickets, 0);
  first_id = g_strdup (eva_record_get_id (ticket));
  old_code = g_strdup (eva_record_get_string (ticket, "code"));
  ask = eva_booking_tickets_edit_holder (tickets, first_id);
  g_assert_nonnull (ask);
  entry = adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (ask));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  gtk_editable_set_text (GTK_EDITABLE (entry), "  Grace Hopper ");
  answer (ADW_MESSAGE_DIALOG (ask), "save");
  g_assert_true (eva_booking_tickets_get_busy (tickets));
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the name saved");
  g_assert_cmpstr (_eva_booking_tickets_get_message (tickets), ==, "Holder name saved");
  holder = api_ticket_member (&shop, id, first_id, "holder_name");
  g_assert_cmpstr (holder, ==, "Grace Hopper");
  g_assert_cmpstr (eva_record_get_string (ticket_at (tickets, 0), "holder_name"), ==, "Grace Hopper");
  g_free (described);
  described = _eva_booking_tickets_describe (tickets);
  g_assert_true (g_str_has_prefix (described, "Grace Hopper · Valid · Guest List"));

  /* Reissued, after saying yes: a new code for Grace Hopper's ticket,
   * the old one revoked (and listed after the valid ones) */
  ask = eva_booking_tickets_ask_reissue (tickets, first_id);
  g_assert_nonnull (ask);
  confirm = ADW_MESSAGE_DIALOG (ask);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (confirm), "Grace Hopper"));
  answer (confirm, "reissue");
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the reissue");
  g_assert_cmpstr (_eva_booking_tickets_get_message (tickets), ==,
                   "Ticket reissued: the old code no longer works");
  g_assert_cmpuint (eva_booking_tickets_get_tickets (tickets)->len, ==, 3);
  ticket = ticket_at (tickets, 2);
  g_assert_cmpstr (eva_record_get_id (ticket), ==, first_id);
  g_assert_cmpstr (eva_record_get_string (ticket, "status"), ==, "reissued");
  g_assert_cmpstr (eva_record_get_string (ticket, "code"), ==, old_code);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpstr (eva_record_get_string (ticket_at (tickets, i), "status"), ==, "valid");
      g_assert_cmpstr (eva_record_get_string (ticket_at (tickets, i), "code"), !=, old_code);
    }
  /* The new one is Grace Hopper's still */
  g_assert_true (g_strcmp0 (eva_record_get_string (ticket_at (tickets, 0), "holder_name"), "Grace Hopper") == 0 ||
                 g_strcmp0 (eva_record_get_string (ticket_at (tickets, 1), "holder_name"), "Grace Hopper") == 0);
  g_free (described);
  described = _eva_booking_tickets_describe (tickets);
  g_test_message ("%s", described);
  {
    g_auto(GStrv) lines = g_strsplit (described, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 3);
    g_assert_true (g_str_has_prefix (lines[2], "Grace Hopper · Revoked · Guest List · "));
    g_assert_nonnull (strstr (lines[2], "|Revoked "));
    g_assert_nonnull (strstr (lines[2], "replaced by a new code"));
  }
  status = api_ticket_member (&shop, id, first_id, "status");
  g_assert_cmpstr (status, ==, "reissued");
  /* A revoked ticket is neither reissued nor renamed */
  g_assert_null (eva_booking_tickets_ask_reissue (tickets, first_id));
  g_assert_null (eva_booking_tickets_edit_holder (tickets, first_id));

  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);

  /* A booking without tickets (held) shows none */
  held = seed_booking (&shop, 1, NULL, "Alan Turing", "alan@example.test");
  dialog = open_booking (&shop, held);
  tickets = eva_booking_dialog_get_tickets (dialog);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "no tickets");
  g_assert_cmpuint (eva_booking_tickets_get_tickets (tickets)->len, ==, 0);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (tickets)));
  g_assert_false (_eva_booking_tickets_can_resend (tickets));
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
  shop_close (&shop);
}

/* The ticket mail resent: queued, then refused for a while (the toast
 * says when to try again); a booking without tickets has none to send. */
static void
test_tickets_resend (void)
{
  Shop shop = { 0 };
  g_autofree char *type_id = NULL;
  g_autofree char *id = NULL;
  g_autofree char *held = NULL;
  EvaBookingDialog *dialog;
  EvaBookingTickets *tickets;
  const char *message;

  shop_open (&shop);
  type_id = shop_add_free_type (&shop);
  id = seed_free (&shop, type_id, 1, "Ada Lovelace", "ada@example.test");
  /* The ticket mail of the confirmation went out an hour ago */
  g_free (eva_test_sql (shop.server->pg,
                        "UPDATE bookings SET tickets_mailed_at = now() - interval '1 hour'"
                        " WHERE id = $1::uuid RETURNING id",
                        id, NULL));

  dialog = open_booking (&shop, id);
  tickets = eva_booking_dialog_get_tickets (dialog);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the tickets");
  eva_booking_tickets_resend (tickets);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the mail queued");
  g_assert_cmpstr (_eva_booking_tickets_get_message (tickets), ==,
                   "The tickets are on their way to ada@example.test");

  /* Again at once: the server says when to try again */
  eva_booking_tickets_resend (tickets);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the refusal");
  message = _eva_booking_tickets_get_message (tickets);
  g_test_message ("%s", message);
  g_assert_true (g_str_has_prefix (message, "The ticket mail was sent moments ago. Try again in "));
  g_assert_true (g_str_has_suffix (message, " minutes.") || g_str_has_suffix (message, " minute.") ||
                 g_str_has_suffix (message, " seconds."));
  g_assert_null (strstr (message, "few minutes"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);

  /* Held: no tickets to send, and the toast says why */
  held = seed_booking (&shop, 1, NULL, "Alan Turing", "alan@example.test");
  dialog = open_booking (&shop, held);
  tickets = eva_booking_dialog_get_tickets (dialog);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "no tickets");
  eva_booking_tickets_resend (tickets);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the refusal");
  g_assert_cmpstr (_eva_booking_tickets_get_message (tickets), ==,
                   "This booking has no valid tickets to send. Tickets are issued once a booking is "
                   "confirmed.");
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);
  shop_close (&shop);
}

static gboolean
preview_idle (gpointer data)
{
  return !eva_ticket_preview_get_loading (data);
}

static gboolean
preview_saved (gpointer data)
{
  return !eva_ticket_preview_get_saving (data);
}

/* The PDF the attendee gets, drawn a page a valid ticket, paged through
 * and saved as it came; a booking without tickets says so. */
static void
test_tickets_preview (void)
{
  Shop shop = { 0 };
  g_autofree char *type_id = NULL;
  g_autofree char *id = NULL;
  g_autofree char *held = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *saved = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  gsize saved_len = 0;
  EvaBookingDialog *dialog;
  EvaBookingTickets *tickets;
  GtkWindow *preview;
  GdkTexture *texture;
  GBytes *pdf;

  shop_open (&shop);
  type_id = shop_add_free_type (&shop);
  id = seed_free (&shop, type_id, 2, "Ada Lovelace", "ada@example.test");

  dialog = open_booking (&shop, id);
  tickets = eva_booking_dialog_get_tickets (dialog);
  eva_desktop_test_wait (tickets_idle, tickets, 30, "the tickets");
  preview = eva_booking_tickets_open_preview (tickets);
  g_assert_nonnull (preview);
  g_object_ref (preview);
  gtk_window_set_default_size (preview, 520, 720);
  g_assert_true (eva_ticket_preview_get_loading (EVA_TICKET_PREVIEW (preview)));
  eva_desktop_test_wait (preview_idle, preview, 60, "the pages drawn");
  g_assert_null (eva_ticket_preview_get_error (EVA_TICKET_PREVIEW (preview)));
  g_assert_cmpuint (eva_ticket_preview_get_n_pages (EVA_TICKET_PREVIEW (preview)), ==, 2);
  texture = eva_ticket_preview_get_texture (EVA_TICKET_PREVIEW (preview), 0);
  g_assert_nonnull (texture);
  g_assert_cmpint (gdk_texture_get_width (texture), >, 0);
  g_assert_cmpint (gdk_texture_get_height (texture), >, 0);
  pdf = eva_ticket_preview_get_pdf (EVA_TICKET_PREVIEW (preview));
  g_assert_nonnull (pdf);
  g_assert_cmpmem (g_bytes_get_data (pdf, NULL), 5, "%PDF-", 5);

  /* Paging */
  eva_desktop_test_settle (300);
  g_assert_cmpuint (eva_ticket_preview_get_page (EVA_TICKET_PREVIEW (preview)), ==, 0);
  eva_ticket_preview_go_to_page (EVA_TICKET_PREVIEW (preview), 1);
  eva_desktop_test_settle (100);
  g_assert_cmpuint (eva_ticket_preview_get_page (EVA_TICKET_PREVIEW (preview)), ==, 1);
  eva_ticket_preview_go_to_page (EVA_TICKET_PREVIEW (preview), 0);
  eva_desktop_test_settle (100);
  g_assert_cmpuint (eva_ticket_preview_get_page (EVA_TICKET_PREVIEW (preview)), ==, 0);

  /* Saved as it came */
  dir = g_dir_make_tmp ("eva-tickets-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "tickets.pdf", NULL);
  file = g_file_new_for_path (path);
  eva_ticket_preview_save_to_file (EVA_TICKET_PREVIEW (preview), file);
  g_assert_true (eva_ticket_preview_get_saving (EVA_TICKET_PREVIEW (preview)));
  eva_desktop_test_wait (preview_saved, preview, 30, "the file written");
  g_assert_true (g_file_get_contents (path, &saved, &saved_len, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (saved, saved_len, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf));
  g_unlink (path);
  g_rmdir (dir);

  gtk_window_destroy (preview);
  eva_desktop_test_settle (100);
  g_assert_finalize_object (preview);
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);

  /* A booking without tickets: the window says so */
  held = seed_booking (&shop, 1, NULL, "Alan Turing", "alan@example.test");
  preview = g_object_ref (eva_ticket_preview_new (NULL, shop.client, held, "Alan Turing"));
  gtk_window_present (preview);
  eva_desktop_test_wait (preview_idle, preview, 30, "the refusal");
  g_assert_cmpuint (eva_ticket_preview_get_n_pages (EVA_TICKET_PREVIEW (preview)), ==, 0);
  g_assert_cmpstr (eva_ticket_preview_get_error (EVA_TICKET_PREVIEW (preview)), ==,
                   "This booking has no valid tickets.");
  gtk_window_destroy (preview);
  eva_desktop_test_settle (100);
  g_assert_finalize_object (preview);
  shop_close (&shop);
}

/* ------------------------------------------------------------------ */
/* Check-in lists                                                     */
/* ------------------------------------------------------------------ */

typedef struct
{
  EvaCheckinListsView *view;
  guint                n;
  const char          *name;   /* of the last list, when set */
} CheckinWait;

static gboolean
checkin_lists_shown (gpointer data)
{
  CheckinWait *wait = data;
  GListModel *model = eva_checkin_lists_view_get_model (wait->view);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(EvaRecord) last = NULL;

  if (eva_checkin_lists_view_get_loading (wait->view) || n != wait->n)
    return FALSE;
  if (wait->name == NULL)
    return TRUE;
  last = g_list_model_get_item (model, n - 1);
  return g_strcmp0 (eva_record_get_string (last, "name"), wait->name) == 0;
}

static gboolean
checkin_types_read (gpointer data)
{
  return g_list_model_get_n_items (_eva_checkin_lists_view_get_ticket_types (data)) == 2;
}

static gboolean
checkin_dialog_idle (gpointer data)
{
  return !_eva_checkin_list_dialog_get_busy (data);
}

static gboolean
checkin_toast_shown (gpointer data)
{
  return !_eva_checkin_list_dialog_get_busy (data) &&
         _eva_checkin_list_dialog_get_last_toast (data) != NULL;
}

/* The event's lists as the server has them. */
static JsonArray *
api_checkin_lists (Shop *shop)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists",
                                           eva_record_get_id (shop->event));
  g_autoptr(EvaTestResponse) resp = eva_test_call (shop->server, "GET", path, shop->token, NULL);

  eva_test_assert_status (resp, 200);
  return json_array_ref (json_object_get_array_member (json_node_get_object (resp->json), "items"));
}

static JsonObject *
find_checkin_list (JsonArray  *lists,
                   const char *name)
{
  for (guint i = 0; i < json_array_get_length (lists); i++)
    {
      JsonObject *list = json_array_get_object_element (lists, i);

      if (g_strcmp0 (json_object_get_string_member (list, "name"), name) == 0)
        return list;
    }
  return NULL;
}

static void
assert_time (JsonObject *list,
             const char *member,
             const char *expected)
{
  g_autoptr(GDateTime) want = g_date_time_new_from_iso8601 (expected, NULL);
  g_autoptr(GDateTime) got = NULL;

  g_assert_true (json_object_has_member (list, member));
  g_assert_false (json_object_get_null_member (list, member));
  got = g_date_time_new_from_iso8601 (json_object_get_string_member (list, member), NULL);
  g_assert_nonnull (got);
  g_assert_true (g_date_time_equal (want, got));
}

/* Saves @dialog and waits until it is gone. */
static void
save_checkin_list (GtkWindow *dialog)
{
  GtkWindow *alive = dialog;

  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &alive);
  g_assert_true (eva_checkin_list_dialog_validate (EVA_CHECKIN_LIST_DIALOG (dialog)));
  eva_checkin_list_dialog_save (EVA_CHECKIN_LIST_DIALOG (dialog));
  eva_desktop_test_wait (window_gone, &alive, 30, "the saved check-in list");
}

/* The lists of an event: the default "Main entrance", a list for one
 * ticket type with re-entry added, edited (unpaid, a time window) and
 * deleted through the dialog and read back through the API; a taken name
 * and deleting the default refused with the server's words; door staff
 * only see them. */
static void
test_checkin_lists (void)
{
  Shop shop = { 0 };
  GtkWidget *window = gtk_window_new ();
  EvaCheckinListsView *view = EVA_CHECKIN_LISTS_VIEW (eva_checkin_lists_view_new ());
  CheckinWait wait = { view, 1, NULL };
  g_autoptr(JsonArray) lists = NULL;
  g_autoptr(EvaRecord) main_list = NULL;
  g_autoptr(EvaRecord) vip_list = NULL;
  g_autoptr(EvaTestResponse) refused = NULL;
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) opens = g_date_time_new (berlin, 2030, 4, 12, 18, 0, 0);
  g_autoptr(GDateTime) closes = g_date_time_new (berlin, 2030, 4, 12, 23, 30, 0);
  g_autofree char *tags = NULL;
  g_autofree char *delete_path = NULL;
  EvaCheckinListDialog *dialog;
  AdwActionRow *row;
  JsonObject *saved;
  JsonArray *ids;
  GtkWindow *alive;

  shop_open (&shop);
  eva_checkin_lists_view_set_client (view, shop.client);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 600);
  gtk_window_present (GTK_WINDOW (window));
  eva_checkin_lists_view_set_event (view, shop.event);

  /* Every event has its default list */
  eva_desktop_test_wait (checkin_lists_shown, &wait, 30, "the check-in lists");
  eva_desktop_test_wait (checkin_types_read, view, 30, "the ticket types");
  main_list = g_list_model_get_item (eva_checkin_lists_view_get_model (view), 0);
  g_assert_cmpstr (eva_record_get_string (main_list, "name"), ==, "Main entrance");
  g_assert_true (eva_record_get_boolean (main_list, "is_default"));
  row = _eva_checkin_lists_view_get_row (view, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Main entrance");
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "Default · All ticket types");
  tags = _eva_checkin_lists_view_describe_tags (view, 0);
  g_assert_cmpstr (tags, ==, "");
  g_assert_true (_eva_checkin_lists_view_can_add (view));
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));

  /* A new list for VIP tickets, with re-entry */
  dialog = EVA_CHECKIN_LIST_DIALOG (eva_checkin_lists_view_open_list (view, NULL));
  g_assert_nonnull (dialog);
  g_assert_false (eva_checkin_list_dialog_validate (dialog));   /* no name yet */
  set_text (_eva_checkin_list_dialog_get_row (dialog, "name"), "VIP door");
  g_assert_true (eva_checkin_list_dialog_validate (dialog));
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (_eva_checkin_list_dialog_get_row (dialog, "types")), TRUE);
  /* Restricted to nothing: not saveable */
  g_assert_false (eva_checkin_list_dialog_validate (dialog));
  g_assert_true (gtk_widget_has_css_class (_eva_checkin_list_dialog_get_row (dialog, "types"), "error"));
  g_assert_false (gtk_widget_get_sensitive (_eva_checkin_list_dialog_get_row (dialog, "save")));
  gtk_check_button_set_active (_eva_checkin_list_dialog_get_type_check (dialog, shop.vip_id), TRUE);
  g_assert_cmpstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (_eva_checkin_list_dialog_get_row (dialog, "types"))),
                   ==, "VIP");
  gtk_switch_set_active (GTK_SWITCH (_eva_checkin_list_dialog_get_row (dialog, "reentry")), TRUE);
  g_assert_false (gtk_widget_is_visible (_eva_checkin_list_dialog_get_row (dialog, "delete")));
  save_checkin_list (GTK_WINDOW (dialog));
  wait.n = 2;
  eva_desktop_test_wait (checkin_lists_shown, &wait, 30, "the new list");

  lists = api_checkin_lists (&shop);
  g_assert_cmpuint (json_array_get_length (lists), ==, 2);
  saved = find_checkin_list (lists, "VIP door");
  g_assert_nonnull (saved);
  g_assert_false (json_object_get_boolean_member (saved, "all_types"));
  ids = json_object_get_array_member (saved, "ticket_type_ids");
  g_assert_cmpuint (json_array_get_length (ids), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (ids, 0), ==, shop.vip_id);
  g_assert_true (json_object_get_boolean_member (saved, "allow_reentry"));
  g_assert_false (json_object_get_boolean_member (saved, "allow_unpaid"));
  g_assert_true (json_object_get_null_member (saved, "opens_at"));
  g_assert_false (json_object_get_boolean_member (saved, "is_default"));

  row = _eva_checkin_lists_view_get_row (view, 1);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "VIP door");
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "VIP");
  g_clear_pointer (&tags, g_free);
  tags = _eva_checkin_lists_view_describe_tags (view, 1);
  g_assert_cmpstr (tags, ==, "Re-Entry");

  /* A name the event already has: the server says so at the name */
  dialog = EVA_CHECKIN_LIST_DIALOG (eva_checkin_lists_view_open_list (view, NULL));
  set_text (_eva_checkin_list_dialog_get_row (dialog, "name"), "VIP door");
  eva_checkin_list_dialog_save (dialog);
  eva_desktop_test_wait (checkin_dialog_idle, dialog, 30, "the refusal");
  g_assert_true (row_marked (_eva_checkin_list_dialog_get_row (dialog, "name")));
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* A ticket type that is not the event's (deleted meanwhile, say): the
   * server refuses it, and the dialog says so at the types */
  {
    g_autoptr(GListStore) types = g_list_store_new (EVA_TYPE_RECORD);
    g_autoptr(EvaRecord) stranger =
      record_from_json ("{\"id\":\"00000000-0000-4000-8000-000000000001\",\"name\":\"Gone\"}");
    GtkWidget *types_row;

    g_list_store_append (types, stranger);
    dialog = EVA_CHECKIN_LIST_DIALOG (eva_checkin_list_dialog_new (NULL, shop.client, shop.event,
                                                                   G_LIST_MODEL (types), NULL));
    g_object_ref (dialog);
    gtk_window_present (GTK_WINDOW (dialog));
    set_text (_eva_checkin_list_dialog_get_row (dialog, "name"), "Side door");
    types_row = _eva_checkin_list_dialog_get_row (dialog, "types");
    adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (types_row), TRUE);
    gtk_check_button_set_active (_eva_checkin_list_dialog_get_type_check (dialog, eva_record_get_id (stranger)),
                                 TRUE);
    eva_checkin_list_dialog_save (dialog);
    eva_desktop_test_wait (checkin_toast_shown, dialog, 30, "the refused ticket type");
    g_assert_nonnull (strstr (_eva_checkin_list_dialog_get_last_toast (dialog), "ticket_type_ids"));
    g_assert_true (gtk_widget_has_css_class (types_row, "error"));
    gtk_window_destroy (GTK_WINDOW (dialog));
    eva_desktop_test_settle (100);
    g_assert_finalize_object (dialog);
  }

  /* Edited: renamed, unpaid let in, a time window in Berlin time */
  vip_list = g_list_model_get_item (eva_checkin_lists_view_get_model (view), 1);
  dialog = EVA_CHECKIN_LIST_DIALOG (eva_checkin_lists_view_open_list (view, vip_list));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (_eva_checkin_list_dialog_get_row (dialog, "name"))),
                   ==, "VIP door");
  g_assert_true (gtk_check_button_get_active (_eva_checkin_list_dialog_get_type_check (dialog, shop.vip_id)));
  g_assert_false (gtk_check_button_get_active (_eva_checkin_list_dialog_get_type_check (dialog, shop.standard_id)));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (_eva_checkin_list_dialog_get_row (dialog, "reentry"))));
  g_assert_true (gtk_widget_is_visible (_eva_checkin_list_dialog_get_row (dialog, "delete")));
  set_text (_eva_checkin_list_dialog_get_row (dialog, "name"), "VIP entrance");
  gtk_switch_set_active (GTK_SWITCH (_eva_checkin_list_dialog_get_row (dialog, "unpaid")), TRUE);
  /* Closing before it opens is refused here */
  eva_date_time_button_set_datetime (EVA_DATE_TIME_BUTTON (_eva_checkin_list_dialog_get_row (dialog, "opens")), closes);
  eva_date_time_button_set_datetime (EVA_DATE_TIME_BUTTON (_eva_checkin_list_dialog_get_row (dialog, "closes")), opens);
  g_assert_false (eva_checkin_list_dialog_validate (dialog));
  eva_date_time_button_set_datetime (EVA_DATE_TIME_BUTTON (_eva_checkin_list_dialog_get_row (dialog, "opens")), opens);
  eva_date_time_button_set_datetime (EVA_DATE_TIME_BUTTON (_eva_checkin_list_dialog_get_row (dialog, "closes")), closes);
  save_checkin_list (GTK_WINDOW (dialog));
  wait.name = "VIP entrance";
  eva_desktop_test_wait (checkin_lists_shown, &wait, 30, "the edited list");

  g_clear_pointer (&lists, json_array_unref);
  lists = api_checkin_lists (&shop);
  saved = find_checkin_list (lists, "VIP entrance");
  g_assert_nonnull (saved);
  g_assert_true (json_object_get_boolean_member (saved, "allow_unpaid"));
  g_assert_true (json_object_get_boolean_member (saved, "allow_reentry"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (saved, "ticket_type_ids")), ==, 1);
  assert_time (saved, "opens_at", "2030-04-12T16:00:00Z");
  assert_time (saved, "closes_at", "2030-04-12T21:30:00Z");
  g_clear_pointer (&tags, g_free);
  tags = _eva_checkin_lists_view_describe_tags (view, 1);
  g_assert_cmpstr (tags, ==, "Unpaid May Enter|Re-Entry|12 Apr 18:00 – 23:30");

  /* Deleted, after saying yes */
  g_clear_object (&vip_list);
  vip_list = g_list_model_get_item (eva_checkin_lists_view_get_model (view), 1);
  dialog = EVA_CHECKIN_LIST_DIALOG (eva_checkin_lists_view_open_list (view, vip_list));
  alive = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &alive);
  eva_checkin_list_dialog_ask_delete (dialog);
  answer (wait_message_dialog (), "delete");
  eva_desktop_test_wait (window_gone, &alive, 30, "the deleted list");
  wait.n = 1;
  wait.name = NULL;
  eva_desktop_test_wait (checkin_lists_shown, &wait, 30, "the list gone");
  g_clear_pointer (&lists, json_array_unref);
  lists = api_checkin_lists (&shop);
  g_assert_cmpuint (json_array_get_length (lists), ==, 1);
  g_assert_null (find_checkin_list (lists, "VIP entrance"));

  /* The default list stays: the server's reason in a toast */
  dialog = EVA_CHECKIN_LIST_DIALOG (eva_checkin_lists_view_open_list (view, main_list));
  g_object_ref (dialog);
  eva_checkin_list_dialog_ask_delete (dialog);
  answer (wait_message_dialog (), "delete");
  eva_desktop_test_wait (checkin_toast_shown, dialog, 30, "the refusal");
  delete_path = g_strdup_printf ("/api/v1/admin/checkin-lists/%s", eva_record_get_id (main_list));
  refused = eva_test_call (shop.server, "DELETE", delete_path, shop.token, NULL);
  eva_test_assert_error (refused, 409, "default_list");
  g_assert_cmpstr (_eva_checkin_list_dialog_get_last_toast (dialog), ==,
                   eva_test_json_string (refused->json, "error.message"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_clear_pointer (&lists, json_array_unref);
  lists = api_checkin_lists (&shop);
  g_assert_nonnull (find_checkin_list (lists, "Main entrance"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  eva_desktop_test_settle (100);
  g_assert_finalize_object (dialog);

  /* Door staff see the lists but change nothing */
  eva_checkin_lists_view_set_editable (view, FALSE);
  g_assert_false (_eva_checkin_lists_view_can_add (view));
  row = _eva_checkin_lists_view_get_row (view, 0);
  g_assert_false (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));
  g_assert_null (eva_checkin_lists_view_open_list (view, main_list));

  g_object_ref (view);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  shop_close (&shop);
}

int
main (int   argc,
      char *argv[])
{
  eva_desktop_test_init (&argc, &argv);

  g_test_add_func ("/widgets/sign-in/validates", test_sign_in_validates);
  g_test_add_func ("/widgets/sign-in/unreachable", test_sign_in_unreachable);
  g_test_add_func ("/widgets/editor/fills-and-sends", test_editor_fills_and_sends);
  g_test_add_func ("/widgets/editor/inline-rules", test_editor_inline_rules);
  g_test_add_func ("/widgets/editor/server-errors", test_editor_server_errors);
  g_test_add_func ("/widgets/reason-labels", test_reason_labels);
  g_test_add_func ("/widgets/editor/tickets-per-attendee", test_editor_tickets_per_attendee);
  g_test_add_func ("/widgets/editor/payment-json", test_editor_payment_json);
  g_test_add_func ("/widgets/ticket-type/capacity", test_ticket_type_capacity);
  g_test_add_func ("/widgets/date-time-button", test_date_time_button);
  g_test_add_func ("/widgets/events-list/fills", test_events_list_fills);
  g_test_add_func ("/widgets/window/session-expired", test_window_session_expired);
  g_test_add_func ("/widgets/window/create-and-publish", test_window_create_and_publish);
  g_test_add_func ("/widgets/bookings/pages", test_bookings_view_pages);
  g_test_add_func ("/widgets/bookings/details", test_booking_dialog);
  g_test_add_func ("/widgets/bookings/export", test_bookings_export);
  g_test_add_func ("/widgets/coupon/restrictions", test_coupon_restrictions);
  g_test_add_func ("/widgets/checkin-lists/manage", test_checkin_lists);
  g_test_add_func ("/widgets/payments/display", test_payments_display);
  g_test_add_func ("/widgets/payments/transfer", test_payments_transfer);
  g_test_add_func ("/widgets/payments/card", test_payments_card);
  g_test_add_func ("/widgets/payments/at-door", test_payments_at_door);
  g_test_add_func ("/widgets/payments/filter", test_payments_filter);
  g_test_add_func ("/widgets/payments/editor", test_editor_payment_fields);
  g_test_add_func ("/widgets/payments/refund-all", test_payments_refund_all);
  g_test_add_func ("/widgets/tickets/details", test_tickets_details);
  g_test_add_func ("/widgets/tickets/resend", test_tickets_resend);
  g_test_add_func ("/widgets/tickets/preview", test_tickets_preview);

  return g_test_run ();
}
