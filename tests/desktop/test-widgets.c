/* test-widgets.c: the widgets on their own
 *
 * Sign-in validation, the editor's field errors (its own rules and the
 * server's details), the ticket type dialog's capacity, the date-time
 * button's time zones, and the events list filling page by page from a
 * real server as it scrolls. Every widget must finalize at the end.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-date-time-button.h"
#include "eva-desktop-test.h"
#include "eva-event-editor.h"
#include "eva-event-row.h"
#include "eva-events-view.h"
#include "eva-sign-in-page-private.h"
#include "eva-test.h"
#include "eva-ticket-type-dialog.h"
#include "eva-window.h"
#include "eva-utils.h"

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
  "\"hold_minutes\":15,\"cancellation_hours\":24,\"published_at\":null}";

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
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save", NULL);
  eva_desktop_test_wait (editor_saved, editor, 30, "the new event");
  event = eva_event_editor_get_event (editor);
  g_assert_cmpstr (eva_record_get_string (event, "slug"), ==, "launch-party");
  g_assert_cmpstr (eva_record_get_string (event, "status"), ==, "draft");
  g_assert_false (eva_event_editor_get_dirty (editor));
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
  g_test_add_func ("/widgets/ticket-type/capacity", test_ticket_type_capacity);
  g_test_add_func ("/widgets/date-time-button", test_date_time_button);
  g_test_add_func ("/widgets/events-list/fills", test_events_list_fills);
  g_test_add_func ("/widgets/window/session-expired", test_window_session_expired);
  g_test_add_func ("/widgets/window/create-and-publish", test_window_create_and_publish);

  return g_test_run ();
}
