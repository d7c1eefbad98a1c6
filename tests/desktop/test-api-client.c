/* test-api-client.c: EvaApiClient against the real server
 *
 * Each test starts everato-server on a throwaway database (the integration
 * harness) and drives it through the client, on a GMainLoop, as the app does.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "api/eva-api-client.h"
#include "api/eva-keyring.h"

#include "eva-desktop-seed.h"
#include "eva-test.h"

#define ADMIN_EMAIL    "admin@example.test"
#define ADMIN_PASSWORD "correct horse battery"

typedef struct
{
  EvaTestServer *server;
  EvaApiClient  *client;
} Fixture;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
got_result_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the main loop until the call started just before completes. */
static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

#define RUN(call_with_cb)                                    \
  ({ GAsyncResult *_r = NULL;                                \
     GAsyncResult **_slot = &_r;                             \
     call_with_cb;                                           \
     wait_result (_slot); })
#define CB got_result_cb, _slot

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *id = NULL;

  f->server = eva_test_server_start (NULL);
  id = eva_test_create_staff (f->server, ADMIN_EMAIL, "super_admin", ADMIN_PASSWORD);
  f->client = eva_api_client_new (f->server->base_url);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_finalize_object (f->client);
  eva_test_server_free (f->server);
}

static void
sign_in (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = NULL;

  result = RUN (eva_api_client_login_async (f->client, ADMIN_EMAIL, ADMIN_PASSWORD, NULL, CB));
  me = eva_api_client_login_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (me);
}

static JsonObject *
event_fields (const char *title)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "title", title);
  json_object_set_string_member (o, "timezone", "Europe/Berlin");
  json_object_set_string_member (o, "starts_at", "2030-05-01T18:00:00+02:00");
  json_object_set_string_member (o, "ends_at", "2030-05-01T23:00:00+02:00");
  json_object_set_string_member (o, "currency", "EUR");
  return o;
}

static EvaRecord *
create_event (Fixture    *f,
              const char *title)
{
  g_autoptr(JsonObject) fields = event_fields (title);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  EvaRecord *event;

  result = RUN (eva_api_client_create_event_async (f->client, fields, NULL, CB));
  event = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  return event;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_sign_in (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = NULL;
  guint tokens_changed = 0;

  g_signal_connect_swapped (f->client, "tokens-changed", G_CALLBACK (g_atomic_int_inc),
                            &tokens_changed);
  g_assert_false (eva_api_client_get_signed_in (f->client));
  sign_in (f);
  g_assert_true (eva_api_client_get_signed_in (f->client));
  g_assert_true (eva_api_client_is_super_admin (f->client));
  g_assert_nonnull (eva_api_client_get_refresh_token (f->client));
  g_assert_cmpuint (tokens_changed, ==, 1);
  g_assert_cmpstr (eva_record_get_string (eva_api_client_get_me (f->client), "email"), ==,
                   ADMIN_EMAIL);

  result = RUN (eva_api_client_me_async (f->client, NULL, CB));
  me = eva_api_client_me_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (eva_record_get_string (me, "role"), ==, "super_admin");

  g_clear_object (&result);
  result = RUN (eva_api_client_logout_async (f->client, NULL, CB));
  g_assert_true (eva_api_client_logout_finish (f->client, result, &error));
  g_assert_no_error (error);
  g_assert_false (eva_api_client_get_signed_in (f->client));
  g_signal_handlers_disconnect_by_data (f->client, &tokens_changed);
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = NULL;

  result = RUN (eva_api_client_login_async (f->client, ADMIN_EMAIL, "not the password", NULL, CB));
  me = eva_api_client_login_finish (f->client, result, &error);
  g_assert_null (me);
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "invalid_credentials");
  g_assert_cmpuint (eva_api_error_get_status (error), ==, 401);
  g_assert_false (eva_api_client_get_signed_in (f->client));
}

/* An expired (here: garbled) access token is refreshed once, silently. */
static void
test_silent_refresh (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = NULL;
  g_autofree char *old_refresh = NULL;

  sign_in (f);
  old_refresh = g_strdup (eva_api_client_get_refresh_token (f->client));
  eva_api_client_set_access_token (f->client, "not-a-valid-token");

  result = RUN (eva_api_client_me_async (f->client, NULL, CB));
  me = eva_api_client_me_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (me);
  /* Refresh tokens are single use: the client holds the new one. */
  g_assert_cmpstr (eva_api_client_get_refresh_token (f->client), !=, old_refresh);
  g_assert_cmpstr (eva_api_client_get_access_token (f->client), !=, "not-a-valid-token");
}

/* A restart: only the refresh token from the keyring is known. */
static void
test_resume_from_refresh_token (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(EvaApiClient) other = eva_api_client_new (f->server->base_url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sign_in (f);
  eva_api_client_set_refresh_token (other, eva_api_client_get_refresh_token (f->client));
  result = RUN (eva_api_client_refresh_async (other, NULL, CB));
  g_assert_true (eva_api_client_refresh_finish (other, result, &error));
  g_assert_no_error (error);
  g_assert_nonnull (eva_api_client_get_me (other));
  g_assert_true (eva_api_client_is_super_admin (other));
  g_clear_object (&result);
  g_assert_finalize_object (g_steal_pointer (&other));
}

/* Both tokens refused: the call fails with SESSION_EXPIRED and the
 * window is told. */
static void
test_session_expired (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = NULL;
  guint expired = 0;

  sign_in (f);
  eva_api_client_set_refresh_token (f->client, "revoked-refresh-token");
  eva_api_client_set_access_token (f->client, "expired-access-token");
  g_signal_connect_swapped (f->client, "session-expired", G_CALLBACK (g_atomic_int_inc), &expired);

  result = RUN (eva_api_client_me_async (f->client, NULL, CB));
  me = eva_api_client_me_finish (f->client, result, &error);
  g_assert_null (me);
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_SESSION_EXPIRED);
  g_assert_cmpuint (expired, ==, 1);
  g_assert_false (eva_api_client_get_signed_in (f->client));
  g_signal_handlers_disconnect_by_data (f->client, &expired);
}

static void
test_events (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(EvaRecord) first = NULL;
  g_autoptr(EvaRecord) updated = NULL;
  g_autoptr(EvaRecord) published = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(JsonObject) change = json_object_new ();
  g_autoptr(JsonObject) tt = json_object_new ();
  g_autofree char *cursor = NULL;
  gint64 total = 0;

  sign_in (f);
  first = create_event (f, "Spring Concert");
  g_assert_cmpstr (eva_record_get_string (first, "status"), ==, "draft");
  g_assert_cmpstr (eva_record_get_string (first, "slug"), ==, "spring-concert");
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *title = g_strdup_printf ("Workshop %u", i);
      g_autoptr(EvaRecord) other = create_event (f, title);
    }

  /* Pages of two, by title, searched. */
  result = RUN (eva_api_client_list_events_async (f->client, NULL, NULL, "title", NULL, 2,
                                                  NULL, CB));
  page = eva_api_client_list_finish (f->client, result, &cursor, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpint (total, ==, 5);
  g_assert_nonnull (cursor);
  g_assert_cmpstr (eva_record_get_string (g_ptr_array_index (page, 0), "title"), ==,
                   "Spring Concert");
  g_clear_pointer (&page, g_ptr_array_unref);
  g_clear_object (&result);
  result = RUN (eva_api_client_list_events_async (f->client, NULL, NULL, "title", cursor, 2,
                                                  NULL, CB));
  g_clear_pointer (&cursor, g_free);
  page = eva_api_client_list_finish (f->client, result, &cursor, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpstr (eva_record_get_string (g_ptr_array_index (page, 0), "title"), ==,
                   "Workshop 1");
  g_clear_pointer (&page, g_ptr_array_unref);
  g_clear_pointer (&cursor, g_free);
  g_clear_object (&result);
  result = RUN (eva_api_client_list_events_async (f->client, "concert", "draft", NULL, NULL, 0,
                                                  NULL, CB));
  page = eva_api_client_list_finish (f->client, result, &cursor, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_null (cursor);

  /* Edit */
  json_object_set_string_member (change, "venue", "Town Hall");
  g_clear_object (&result);
  result = RUN (eva_api_client_update_event_async (f->client, eva_record_get_id (first), change,
                                                   NULL, CB));
  updated = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (eva_record_get_string (updated, "venue"), ==, "Town Hall");

  /* Publishing needs a ticket type */
  g_clear_object (&result);
  result = RUN (eva_api_client_transition_event_async (f->client, eva_record_get_id (first),
                                                       EVA_EVENT_PUBLISH, NULL, CB));
  published = eva_api_client_record_finish (f->client, result, &error);
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "event_incomplete");
  g_assert_nonnull (eva_api_error_get_field_message (error, "ticket_types"));
  g_clear_error (&error);

  json_object_set_string_member (tt, "name", "Standard");
  json_object_set_int_member (tt, "price", 2500);
  json_object_set_int_member (tt, "capacity", 100);
  g_clear_object (&result);
  result = RUN (eva_api_client_create_ticket_type_async (f->client, eva_record_get_id (first), tt,
                                                         NULL, CB));
  {
    g_autoptr(EvaRecord) ticket_type = eva_api_client_record_finish (f->client, result, &error);

    g_assert_no_error (error);
    g_assert_cmpint (eva_record_get_int (ticket_type, "price", -1), ==, 2500);
  }

  g_clear_object (&result);
  result = RUN (eva_api_client_transition_event_async (f->client, eva_record_get_id (first),
                                                       EVA_EVENT_PUBLISH, NULL, CB));
  published = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (eva_record_get_string (published, "status"), ==, "published");

  /* A published event is not deleted */
  g_clear_object (&result);
  result = RUN (eva_api_client_delete_event_async (f->client, eva_record_get_id (first), NULL, CB));
  g_assert_false (eva_api_client_empty_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "event_not_deletable");
  g_clear_error (&error);

  /* Publishing twice: invalid_transition with the current status */
  g_clear_object (&result);
  result = RUN (eva_api_client_transition_event_async (f->client, eva_record_get_id (first),
                                                       EVA_EVENT_PUBLISH, NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "invalid_transition");
  g_assert_cmpstr (eva_api_error_get_field_message (error, "status"), ==, "published");
}

static void
test_event_errors (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(EvaRecord) first = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) bad = event_fields ("Bad");
  g_autoptr(JsonObject) dup = event_fields ("Spring Concert");

  sign_in (f);
  first = create_event (f, "Spring Concert");

  /* 400 validation_failed, one message per field */
  json_object_set_string_member (bad, "timezone", "Mars/Olympus");
  json_object_set_string_member (bad, "ends_at", "2030-04-01T18:00:00Z");
  json_object_set_string_member (bad, "slug", "Not A Slug");
  result = RUN (eva_api_client_create_event_async (f->client, bad, NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "validation_failed");
  g_assert_nonnull (eva_api_error_get_field_message (error, "timezone"));
  g_assert_nonnull (eva_api_error_get_field_message (error, "ends_at"));
  g_assert_nonnull (eva_api_error_get_field_message (error, "slug"));
  g_assert_null (eva_api_error_get_field_message (error, "title"));
  g_clear_error (&error);

  /* 409 slug_taken, at the slug */
  json_object_set_string_member (dup, "slug", "spring-concert");
  g_clear_object (&result);
  result = RUN (eva_api_client_create_event_async (f->client, dup, NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "slug_taken");
  g_assert_nonnull (eva_api_error_get_field_message (error, "slug"));
  g_clear_error (&error);

  /* 404 */
  g_clear_object (&result);
  result = RUN (eva_api_client_get_event_async (f->client, "00000000-0000-4000-8000-000000000000",
                                                NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND);
}

/* max_tickets_per_attendee: 10 unless given, sent on create, read back,
 * patched, and refused out of range at its own field. */
static void
test_event_tickets_per_attendee (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(EvaRecord) plain = NULL;
  g_autoptr(EvaRecord) created = NULL;
  g_autoptr(EvaRecord) read = NULL;
  g_autoptr(EvaRecord) patched = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fields = event_fields ("Small Venue");
  g_autoptr(JsonObject) change = json_object_new ();
  const gint64 bad[] = { 0, 1000001, -1 };

  sign_in (f);
  plain = create_event (f, "Default Limit");
  g_assert_cmpint (eva_record_get_int (plain, "max_tickets_per_attendee", -1), ==, 10);

  json_object_set_int_member (fields, "max_tickets_per_attendee", 6);
  result = RUN (eva_api_client_create_event_async (f->client, fields, NULL, CB));
  created = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eva_record_get_int (created, "max_tickets_per_attendee", -1), ==, 6);

  g_clear_object (&result);
  result = RUN (eva_api_client_get_event_async (f->client, eva_record_get_id (created), NULL, CB));
  read = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eva_record_get_int (read, "max_tickets_per_attendee", -1), ==, 6);

  json_object_set_int_member (change, "max_tickets_per_attendee", 1000000);
  g_clear_object (&result);
  result = RUN (eva_api_client_update_event_async (f->client, eva_record_get_id (created), change,
                                                   NULL, CB));
  patched = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eva_record_get_int (patched, "max_tickets_per_attendee", -1), ==, 1000000);
  g_assert_cmpstr (eva_record_get_string (patched, "title"), ==, "Small Venue");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(EvaRecord) refused = NULL;

      json_object_set_int_member (change, "max_tickets_per_attendee", bad[i]);
      g_clear_object (&result);
      result = RUN (eva_api_client_update_event_async (f->client, eva_record_get_id (created), change,
                                                       NULL, CB));
      refused = eva_api_client_record_finish (f->client, result, &error);
      g_assert_null (refused);
      g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID);
      g_assert_cmpstr (eva_api_error_get_code (error), ==, "validation_failed");
      g_assert_nonnull (eva_api_error_get_field_message (error, "max_tickets_per_attendee"));
      g_assert_null (eva_api_error_get_field_message (error, "title"));
      g_clear_error (&error);
    }

  /* The refused patches changed nothing. */
  g_clear_object (&read);
  g_clear_object (&result);
  result = RUN (eva_api_client_get_event_async (f->client, eva_record_get_id (created), NULL, CB));
  read = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eva_record_get_int (read, "max_tickets_per_attendee", -1), ==, 1000000);
}

static void
test_ticket_types (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(EvaRecord) event = NULL;
  g_autoptr(EvaRecord) tt = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) change = json_object_new ();
  g_autoptr(JsonObject) bad = json_object_new ();

  sign_in (f);
  event = create_event (f, "Festival");
  json_object_set_string_member (fields, "name", "Early bird");
  json_object_set_int_member (fields, "price", 1500);
  json_object_set_int_member (fields, "capacity", 50);
  json_object_set_boolean_member (fields, "hidden", TRUE);
  result = RUN (eva_api_client_create_ticket_type_async (f->client, eva_record_get_id (event),
                                                         fields, NULL, CB));
  tt = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_true (eva_record_get_boolean (tt, "hidden"));
  g_assert_cmpint (eva_record_get_int (tt, "held", -1), ==, 0);

  json_object_set_int_member (change, "capacity", 80);
  g_clear_object (&result);
  result = RUN (eva_api_client_update_ticket_type_async (f->client, eva_record_get_id (tt), change,
                                                         NULL, CB));
  {
    g_autoptr(EvaRecord) updated = eva_api_client_record_finish (f->client, result, &error);

    g_assert_no_error (error);
    g_assert_cmpint (eva_record_get_int (updated, "capacity", -1), ==, 80);
  }

  /* Capacity below held + sold: 409 at the capacity field */
  eva_test_sql (f->server->pg, "UPDATE ticket_types SET held = 30 WHERE id = $1",
                eva_record_get_id (tt), NULL);
  json_object_set_int_member (change, "capacity", 10);
  g_clear_object (&result);
  result = RUN (eva_api_client_update_ticket_type_async (f->client, eva_record_get_id (tt), change,
                                                         NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "capacity_below_committed");
  g_assert_nonnull (eva_api_error_get_field_message (error, "capacity"));
  g_clear_error (&error);

  /* 400 with details */
  json_object_set_int_member (bad, "price", -5);
  json_object_set_int_member (bad, "max_per_order", 1000);
  g_clear_object (&result);
  result = RUN (eva_api_client_update_ticket_type_async (f->client, eva_record_get_id (tt), bad,
                                                         NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID);
  g_assert_nonnull (eva_api_error_get_field_message (error, "price"));
  g_assert_nonnull (eva_api_error_get_field_message (error, "max_per_order"));
  g_clear_error (&error);

  g_clear_object (&result);
  result = RUN (eva_api_client_list_ticket_types_async (f->client, eva_record_get_id (event),
                                                        NULL, CB));
  list = eva_api_client_list_finish (f->client, result, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpint (eva_record_get_int (g_ptr_array_index (list, 0), "held", -1), ==, 30);

  /* Booked (held) ticket types are not deleted */
  g_clear_object (&result);
  eva_test_sql (f->server->pg, "UPDATE ticket_types SET held = 0 WHERE id = $1",
                eva_record_get_id (tt), NULL);
  result = RUN (eva_api_client_delete_ticket_type_async (f->client, eva_record_get_id (tt),
                                                         NULL, CB));
  g_assert_true (eva_api_client_empty_finish (f->client, result, &error));
  g_assert_no_error (error);
}

static void
test_staff (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) created = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) change = json_object_new ();
  g_autoptr(JsonObject) self_change = json_object_new ();

  sign_in (f);
  json_object_set_string_member (fields, "email", "door@example.test");
  json_object_set_string_member (fields, "name", "Door Person");
  json_object_set_string_member (fields, "role", "door_staff");
  result = RUN (eva_api_client_create_staff_async (f->client, fields, NULL, CB));
  created = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  /* The generated password comes back once. */
  g_assert_nonnull (eva_record_get_string (created, "password"));

  g_clear_object (&result);
  result = RUN (eva_api_client_create_staff_async (f->client, fields, NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "email_taken");
  g_clear_error (&error);

  json_object_set_string_member (change, "role", "organizer");
  json_object_set_boolean_member (change, "disabled", TRUE);
  g_clear_object (&result);
  result = RUN (eva_api_client_update_staff_async (f->client, eva_record_get_id (created), change,
                                                   NULL, CB));
  {
    g_autoptr(EvaRecord) updated = eva_api_client_record_finish (f->client, result, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (eva_record_get_string (updated, "role"), ==, "organizer");
    g_assert_true (eva_record_get_boolean (updated, "disabled"));
  }

  /* Nobody demotes themselves */
  json_object_set_string_member (self_change, "role", "organizer");
  g_clear_object (&result);
  result = RUN (eva_api_client_update_staff_async (f->client,
                                                   eva_record_get_id (eva_api_client_get_me (f->client)),
                                                   self_change, NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_clear_error (&error);

  g_clear_object (&result);
  result = RUN (eva_api_client_list_staff_async (f->client, NULL, NULL, NULL, CB));
  list = eva_api_client_list_finish (f->client, result, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);

  g_clear_object (&result);
  result = RUN (eva_api_client_delete_staff_async (f->client, eva_record_get_id (created), NULL, CB));
  g_assert_true (eva_api_client_empty_finish (f->client, result, &error));
  g_assert_no_error (error);
}

/* Webhook endpoints: the secret once, then never; a bad URL is a
 * validation error; a test event is queued; deleted at the end. */
static void
test_webhooks (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) created = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) bad = json_object_new ();
  g_autoptr(JsonObject) change = json_object_new ();
  JsonArray *events = json_array_new ();

  sign_in (f);
  json_array_add_string_element (events, "booking.confirmed");
  json_object_set_string_member (fields, "url", "https://crm.example.com/everato");
  json_object_set_array_member (fields, "events", events);
  result = RUN (eva_api_client_create_webhook_async (f->client, fields, NULL, CB));
  created = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (eva_record_get_string (created, "secret"), "whsec_"));

  json_object_set_string_member (bad, "url", "ftp://example.com/");
  json_object_set_array_member (bad, "events", json_array_ref (events));
  g_clear_object (&result);
  result = RUN (eva_api_client_create_webhook_async (f->client, bad, NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID);
  g_clear_error (&error);

  g_clear_object (&result);
  result = RUN (eva_api_client_list_webhooks_async (f->client, NULL, CB));
  list = eva_api_client_list_finish (f->client, result, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_null (eva_record_get_string (g_ptr_array_index (list, 0), "secret"));

  g_clear_object (&result);
  result = RUN (eva_api_client_send_test_webhook_async (f->client, eva_record_get_id (created), NULL, CB));
  {
    g_autoptr(EvaRecord) delivery = eva_api_client_record_finish (f->client, result, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (eva_record_get_string (delivery, "event_type"), ==, "webhook.test");
  }
  g_clear_object (&result);
  result = RUN (eva_api_client_list_webhook_deliveries_async (f->client, eva_record_get_id (created),
                                                              NULL, CB));
  {
    g_autoptr(GPtrArray) deliveries = eva_api_client_list_finish (f->client, result, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (deliveries->len, ==, 1);
  }

  json_object_set_boolean_member (change, "enabled", FALSE);
  g_clear_object (&result);
  result = RUN (eva_api_client_update_webhook_async (f->client, eva_record_get_id (created), change,
                                                     NULL, CB));
  {
    g_autoptr(EvaRecord) updated = eva_api_client_record_finish (f->client, result, &error);

    g_assert_no_error (error);
    g_assert_false (eva_record_get_boolean (updated, "enabled"));
  }

  g_clear_object (&result);
  result = RUN (eva_api_client_delete_webhook_async (f->client, eva_record_get_id (created), NULL, CB));
  g_assert_true (eva_api_client_empty_finish (f->client, result, &error));
  g_assert_no_error (error);
}

/* An organizer is refused the staff list: 403 forbidden. */
static void
test_forbidden (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = eva_test_token_for_role (f->server, "organizer");

  eva_api_client_set_access_token (f->client, token);
  result = RUN (eva_api_client_list_staff_async (f->client, NULL, NULL, NULL, CB));
  g_assert_null (eva_api_client_list_finish (f->client, result, NULL, NULL, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_FORBIDDEN);
}

/* Coupons and bookings: whatever this server says, a clear result —
 * a list, or NOT_IMPLEMENTED while the Booking work is unfinished. */
static void
test_coupons_and_bookings (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(EvaRecord) event = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;

  sign_in (f);
  event = create_event (f, "Gala");
  result = RUN (eva_api_client_list_coupons_async (f->client, eva_record_get_id (event), NULL, CB));
  list = eva_api_client_list_finish (f->client, result, NULL, NULL, &error);
  g_assert_true ((list != NULL && error == NULL) ||
                 g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_IMPLEMENTED));
  if (list != NULL)
    {
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autoptr(JsonObject) change = json_object_new ();
      g_autoptr(EvaRecord) coupon = NULL;

      /* This server has coupons: create, refuse a bad one, edit, delete. */
      json_object_set_string_member (fields, "code", "EARLY10");
      json_object_set_string_member (fields, "kind", "percent");
      json_object_set_int_member (fields, "percent", 10);
      g_clear_object (&result);
      result = RUN (eva_api_client_create_coupon_async (f->client, eva_record_get_id (event), fields,
                                                        NULL, CB));
      coupon = eva_api_client_record_finish (f->client, result, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (eva_record_get_string (coupon, "code"), ==, "EARLY10");

      json_object_set_string_member (change, "code", "not valid!");
      g_clear_object (&result);
      result = RUN (eva_api_client_update_coupon_async (f->client, eva_record_get_id (coupon), change,
                                                        NULL, CB));
      g_assert_null (eva_api_client_record_finish (f->client, result, &error));
      g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID);
      g_assert_nonnull (eva_api_error_get_field_message (error, "code"));
      g_clear_error (&error);

      json_object_set_string_member (change, "code", "EARLY15");
      json_object_set_int_member (change, "percent", 15);
      g_clear_object (&result);
      result = RUN (eva_api_client_update_coupon_async (f->client, eva_record_get_id (coupon), change,
                                                        NULL, CB));
      {
        g_autoptr(EvaRecord) updated = eva_api_client_record_finish (f->client, result, &error);

        g_assert_no_error (error);
        g_assert_cmpint (eva_record_get_int (updated, "percent", 0), ==, 15);
      }

      g_clear_object (&result);
      result = RUN (eva_api_client_delete_coupon_async (f->client, eva_record_get_id (coupon), NULL, CB));
      g_assert_true (eva_api_client_empty_finish (f->client, result, &error));
      g_assert_no_error (error);
    }
  g_clear_error (&error);
  g_clear_pointer (&list, g_ptr_array_unref);

  g_clear_object (&result);
  result = RUN (eva_api_client_list_bookings_async (f->client, eva_record_get_id (event), NULL,
                                                    NULL, NULL, 0, NULL, CB));
  list = eva_api_client_list_finish (f->client, result, NULL, NULL, &error);
  g_assert_true ((list != NULL && error == NULL) ||
                 g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_IMPLEMENTED));
}

static EvaRecord *
create_ticket_type (Fixture    *f,
                    EvaRecord  *event,
                    const char *name,
                    gint64      price)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  EvaRecord *tt;

  json_object_set_string_member (fields, "name", name);
  json_object_set_int_member (fields, "price", price);
  json_object_set_int_member (fields, "capacity", 100);
  result = RUN (eva_api_client_create_ticket_type_async (f->client, eva_record_get_id (event), fields,
                                                         NULL, CB));
  tt = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  return tt;
}

static void
publish_event (Fixture   *f,
               EvaRecord *event)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) published = NULL;

  result = RUN (eva_api_client_transition_event_async (f->client, eva_record_get_id (event),
                                                       EVA_EVENT_PUBLISH, NULL, CB));
  published = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
}

static char *
json_id (JsonNode *booking)
{
  return g_strdup (json_object_get_string_member (json_node_get_object (booking), "id"));
}

static GPtrArray *
list_bookings (Fixture     *f,
               EvaRecord   *event,
               const char  *search,
               const char  *status,
               const char  *cursor,
               guint        limit,
               char       **next_cursor,
               gint64      *total)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *page;

  result = RUN (eva_api_client_list_bookings_async (f->client, eva_record_get_id (event), search,
                                                    status, cursor, limit, NULL, CB));
  page = eva_api_client_list_finish (f->client, result, next_cursor, total, &error);
  g_assert_no_error (error);
  return page;
}

/* A coupon restricted to some ticket types, with a minimum order, keeps
 * both; and its uses count. */
static void
test_coupon_restrictions (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(EvaRecord) event = NULL;
  g_autoptr(EvaRecord) standard = NULL;
  g_autoptr(EvaRecord) vip = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) change = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) coupon = NULL;
  g_autoptr(EvaRecord) read = NULL;
  g_autoptr(JsonNode) booking = NULL;
  JsonArray *ids = json_array_new ();
  JsonArray *read_ids;

  sign_in (f);
  event = create_event (f, "Coupon Night");
  standard = create_ticket_type (f, event, "Standard", 2500);
  vip = create_ticket_type (f, event, "VIP", 9000);
  publish_event (f, event);

  json_array_add_string_element (ids, eva_record_get_id (vip));
  json_object_set_string_member (fields, "code", "VIPONLY");
  json_object_set_string_member (fields, "kind", "fixed");
  json_object_set_int_member (fields, "amount", 1000);
  json_object_set_int_member (fields, "min_order", 5000);
  json_object_set_array_member (fields, "ticket_type_ids", ids);
  result = RUN (eva_api_client_create_coupon_async (f->client, eva_record_get_id (event), fields,
                                                    NULL, CB));
  coupon = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eva_record_get_int (coupon, "min_order", -1), ==, 5000);

  /* One use, by a booking of the VIP tickets */
  booking = eva_desktop_seed_booking (f->server, eva_record_get_id (event), eva_record_get_id (vip),
                                      1, "VIPONLY", "Ada", "ada@example.test");

  g_clear_object (&result);
  result = RUN (eva_api_client_get_coupon_async (f->client, eva_record_get_id (coupon), NULL, CB));
  read = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eva_record_get_int (read, "uses", -1), ==, 1);
  g_assert_cmpint (eva_record_get_int (read, "min_order", -1), ==, 5000);
  read_ids = json_object_get_array_member (eva_record_get_object (read), "ticket_type_ids");
  g_assert_cmpuint (json_array_get_length (read_ids), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (read_ids, 0), ==, eva_record_get_id (vip));

  /* For every ticket type again, no minimum */
  json_object_set_array_member (change, "ticket_type_ids", json_array_new ());
  json_object_set_int_member (change, "min_order", 0);
  g_clear_object (&result);
  g_clear_object (&read);
  result = RUN (eva_api_client_update_coupon_async (f->client, eva_record_get_id (coupon), change,
                                                    NULL, CB));
  read = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eva_record_get_int (read, "min_order", -1), ==, 0);
  read_ids = json_object_get_array_member (eva_record_get_object (read), "ticket_type_ids");
  g_assert_cmpuint (json_array_get_length (read_ids), ==, 0);

  /* max_uses below the uses: refused, and said why */
  g_clear_pointer (&change, json_object_unref);
  change = json_object_new ();
  json_object_set_int_member (change, "max_uses", 0);
  g_clear_object (&result);
  result = RUN (eva_api_client_update_coupon_async (f->client, eva_record_get_id (coupon), change,
                                                    NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "max_uses_below_uses");
}

/* Bookings: pages, the server's filter and search, one in detail,
 * cancelling (and not twice), and every booking as CSV. */
static void
test_bookings (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(EvaRecord) event = NULL;
  g_autoptr(EvaRecord) standard = NULL;
  g_autoptr(JsonObject) coupon = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) created = NULL;
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;
  g_autoptr(JsonNode) c = NULL;
  g_autofree char *a_id = NULL;
  g_autofree char *b_id = NULL;
  g_autofree char *c_id = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *no_cursor = NULL;
  gint64 total = 0;

  sign_in (f);
  event = create_event (f, "Booked Out");
  standard = create_ticket_type (f, event, "Standard", 2500);
  publish_event (f, event);
  json_object_set_string_member (coupon, "code", "EARLY10");
  json_object_set_string_member (coupon, "kind", "percent");
  json_object_set_int_member (coupon, "percent", 10);
  result = RUN (eva_api_client_create_coupon_async (f->client, eva_record_get_id (event), coupon,
                                                    NULL, CB));
  created = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);

  a = eva_desktop_seed_booking (f->server, eva_record_get_id (event), eva_record_get_id (standard),
                                2, "EARLY10", "Ada Lovelace", "ada@example.test");
  b = eva_desktop_seed_booking (f->server, eva_record_get_id (event), eva_record_get_id (standard),
                                1, NULL, "Grace Hopper", "grace@example.test");
  /* A name a spreadsheet would run as a formula */
  c = eva_desktop_seed_booking (f->server, eva_record_get_id (event), eva_record_get_id (standard),
                                1, NULL, "=HYPERLINK(\"x\")", "alan@example.test");
  a_id = json_id (a);
  b_id = json_id (b);
  c_id = json_id (c);
  eva_desktop_seed_confirm (f->server, c_id);

  /* Pages of two, newest first */
  page = list_bookings (f, event, NULL, NULL, NULL, 2, &cursor, &total);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpint (total, ==, 3);
  g_assert_nonnull (cursor);
  g_assert_cmpstr (eva_record_get_id (g_ptr_array_index (page, 0)), ==, c_id);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = list_bookings (f, event, NULL, NULL, cursor, 2, &no_cursor, &total);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_null (no_cursor);
  g_assert_cmpstr (eva_record_get_id (g_ptr_array_index (page, 0)), ==, a_id);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* The server filters and searches */
  page = list_bookings (f, event, NULL, "confirmed", NULL, 0, NULL, &total);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpint (total, ==, 1);
  g_assert_cmpstr (eva_record_get_id (g_ptr_array_index (page, 0)), ==, c_id);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = list_bookings (f, event, "grace", NULL, NULL, 0, NULL, &total);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (eva_record_get_id (g_ptr_array_index (page, 0)), ==, b_id);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* One booking in detail */
  {
    g_autoptr(EvaRecord) booking = NULL;
    JsonArray *items;
    JsonObject *item;
    JsonObject *attendee;

    g_clear_object (&result);
    result = RUN (eva_api_client_get_booking_async (f->client, a_id, NULL, CB));
    booking = eva_api_client_record_finish (f->client, result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (eva_record_get_string (booking, "status"), ==, "held");
    g_assert_cmpint (eva_record_get_int (booking, "subtotal", 0), ==, 5000);
    g_assert_cmpint (eva_record_get_int (booking, "discount", 0), ==, 500);
    g_assert_cmpint (eva_record_get_int (booking, "total", 0), ==, 4500);
    g_assert_cmpstr (eva_record_get_string (booking, "currency"), ==, "EUR");
    g_assert_cmpstr (eva_record_get_string (booking, "coupon_code"), ==, "EARLY10");
    g_assert_nonnull (eva_record_get_string (booking, "created_at"));
    g_assert_nonnull (eva_record_get_string (booking, "expires_at"));
    items = json_object_get_array_member (eva_record_get_object (booking), "items");
    g_assert_cmpuint (json_array_get_length (items), ==, 1);
    item = json_array_get_object_element (items, 0);
    g_assert_cmpstr (json_object_get_string_member (item, "name"), ==, "Standard");
    g_assert_cmpint (json_object_get_int_member (item, "quantity"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (item, "unit_price"), ==, 2500);
    attendee = json_object_get_object_member (eva_record_get_object (booking), "attendee");
    g_assert_cmpstr (json_object_get_string_member (attendee, "email"), ==, "ada@example.test");
    g_assert_cmpstr (json_object_get_string_member (attendee, "name"), ==, "Ada Lovelace");
  }

  /* Cancel: once */
  {
    g_autoptr(EvaRecord) cancelled = NULL;

    g_clear_object (&result);
    result = RUN (eva_api_client_cancel_booking_async (f->client, b_id, NULL, CB));
    cancelled = eva_api_client_record_finish (f->client, result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (eva_record_get_string (cancelled, "status"), ==, "cancelled");
    g_assert_nonnull (eva_record_get_string (cancelled, "cancelled_at"));

    g_clear_object (&result);
    result = RUN (eva_api_client_cancel_booking_async (f->client, b_id, NULL, CB));
    g_assert_null (eva_api_client_record_finish (f->client, result, &error));
    g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
    g_assert_cmpstr (eva_api_error_get_code (error), ==, "invalid_transition");
    g_clear_error (&error);
  }

  /* Unknown booking */
  {
    g_clear_object (&result);
    result = RUN (eva_api_client_get_booking_async (f->client, "6f1c2a8e-0000-4000-8000-000000000000",
                                                    NULL, CB));
    g_assert_null (eva_api_client_record_finish (f->client, result, &error));
    g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* Every booking as CSV, whatever the filters of the list */
  {
    g_autoptr(GBytes) csv = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    g_clear_object (&result);
    result = RUN (eva_api_client_export_bookings_async (f->client, eva_record_get_id (event), NULL,
                                                        NULL, NULL, CB));
    csv = eva_api_client_export_bookings_finish (f->client, result, &error);
    g_assert_no_error (error);
    text = g_strndup (g_bytes_get_data (csv, NULL), g_bytes_get_size (csv));
    g_assert_true (g_str_has_prefix (text, "id,status,attendee_email,attendee_name,created_at,"
                                           "items,subtotal,discount,total,currency,coupon_code\r\n"));
    g_assert_true (g_str_has_suffix (text, "\r\n"));
    lines = g_strsplit (text, "\r\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 5);   /* header, 3 bookings, "" */
    g_assert_true (g_str_has_prefix (lines[1], c_id));
    g_assert_nonnull (strstr (lines[1], ",confirmed,alan@example.test,\"'=HYPERLINK(\"\"x\"\")\","));
    g_assert_true (g_str_has_prefix (lines[2], b_id));
    g_assert_nonnull (strstr (lines[2], ",cancelled,grace@example.test,Grace Hopper,"));
    g_assert_true (g_str_has_prefix (lines[3], a_id));
    g_assert_nonnull (strstr (lines[3], ",held,ada@example.test,Ada Lovelace,"));
    g_assert_true (g_str_has_suffix (lines[3], ",Standard x2,5000,500,4500,EUR,EARLY10"));

    /* Filtered, only what matches */
    g_clear_pointer (&csv, g_bytes_unref);
    g_clear_pointer (&lines, g_strfreev);
    g_clear_pointer (&text, g_free);
    g_clear_object (&result);
    result = RUN (eva_api_client_export_bookings_async (f->client, eva_record_get_id (event), NULL,
                                                        "cancelled", NULL, CB));
    csv = eva_api_client_export_bookings_finish (f->client, result, &error);
    g_assert_no_error (error);
    text = g_strndup (g_bytes_get_data (csv, NULL), g_bytes_get_size (csv));
    lines = g_strsplit (text, "\r\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 3);
    g_assert_true (g_str_has_prefix (lines[1], b_id));
  }

  /* An event that does not exist: the JSON error, even when CSV was asked */
  {
    g_clear_object (&result);
    result = RUN (eva_api_client_export_bookings_async (f->client, "6f1c2a8e-0000-4000-8000-000000000000",
                                                        NULL, NULL, NULL, CB));
    g_assert_null (eva_api_client_export_bookings_finish (f->client, result, &error));
    g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND);
    g_assert_cmpstr (eva_api_error_get_code (error), ==, "not_found");
  }
}

/* The server stops: a clear "cannot reach" error, marked offline. */
/* A booking's tickets through the client: listed, a holder named, one
 * reissued, the ticket mail throttled with the server's Retry-After, and
 * the PDF with the name the server suggests. */
static void
test_tickets (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(EvaRecord) event = NULL;
  g_autoptr(EvaRecord) guest = NULL;
  g_autoptr(JsonNode) booking = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(JsonObject) holder = json_object_new ();
  g_autoptr(EvaRecord) named = NULL;
  g_autoptr(EvaRecord) reissued = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *id = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *expected_name = NULL;
  g_autofree char *reference = NULL;
  EvaRecord *first;
  guint retry_after;

  sign_in (f);
  event = create_event (f, "Guest Night");
  guest = create_ticket_type (f, event, "Guest List", 0);
  publish_event (f, event);
  booking = eva_desktop_seed_booking (f->server, eva_record_get_id (event), eva_record_get_id (guest),
                                      2, NULL, "Ada Lovelace", "ada@example.test");
  id = json_id (booking);

  result = RUN (eva_api_client_list_booking_tickets_async (f->client, id, NULL, CB));
  tickets = eva_api_client_list_finish (f->client, result, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tickets->len, ==, 2);
  first = g_ptr_array_index (tickets, 0);
  g_assert_cmpstr (eva_record_get_string (first, "status"), ==, "valid");
  g_assert_cmpstr (eva_record_get_string (first, "ticket_type"), ==, "Guest List");
  g_assert_true (g_str_has_prefix (eva_record_get_string (first, "code"), "EV1."));

  json_object_set_string_member (holder, "holder_name", "Grace Hopper");
  g_clear_object (&result);
  result = RUN (eva_api_client_update_ticket_async (f->client, eva_record_get_id (first), holder, NULL, CB));
  named = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (eva_record_get_string (named, "holder_name"), ==, "Grace Hopper");

  g_clear_object (&result);
  result = RUN (eva_api_client_reissue_ticket_async (f->client, eva_record_get_id (first), NULL, CB));
  reissued = eva_api_client_record_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (eva_record_get_id (reissued), !=, eva_record_get_id (first));
  g_assert_cmpstr (eva_record_get_string (reissued, "code"), !=, eva_record_get_string (first, "code"));
  /* The old one cannot be reissued again */
  g_clear_object (&result);
  result = RUN (eva_api_client_reissue_ticket_async (f->client, eva_record_get_id (first), NULL, CB));
  g_assert_null (eva_api_client_record_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_CONFLICT);
  g_clear_error (&error);

  /* The confirmation's ticket mail went out moments ago: refused, with
   * when to try again */
  g_clear_object (&result);
  result = RUN (eva_api_client_resend_tickets_async (f->client, id, NULL, CB));
  g_assert_false (eva_api_client_empty_finish (f->client, result, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_RATE_LIMITED);
  g_assert_cmpstr (eva_api_error_get_code (error), ==, "too_many_attempts");
  retry_after = eva_api_error_get_retry_after (error);
  g_assert_cmpuint (retry_after, >, 0);
  g_assert_cmpuint (retry_after, <=, 120);
  g_clear_error (&error);
  /* An hour later it goes */
  g_free (eva_test_sql (f->server->pg,
                        "UPDATE bookings SET tickets_mailed_at = now() - interval '1 hour'"
                        " WHERE id = $1::uuid RETURNING id", id, NULL));
  g_clear_object (&result);
  result = RUN (eva_api_client_resend_tickets_async (f->client, id, NULL, CB));
  g_assert_true (eva_api_client_empty_finish (f->client, result, &error));
  g_assert_no_error (error);

  g_clear_object (&result);
  result = RUN (eva_api_client_tickets_pdf_async (f->client, id, NULL, NULL, CB));
  pdf = eva_api_client_download_finish (f->client, result, &filename, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (pdf, NULL), 5, "%PDF-", 5);
  /* "tickets-<booking reference>.pdf": the id's start, in capitals */
  reference = g_ascii_strup (id, 8);
  expected_name = g_strdup_printf ("tickets-%s.pdf", reference);
  g_assert_cmpstr (filename, ==, expected_name);
  /* A ticket that is not one of the booking's is refused */
  g_clear_pointer (&pdf, g_bytes_unref);
  g_clear_object (&result);
  result = RUN (eva_api_client_tickets_pdf_async (f->client, id, "not-a-ticket", NULL, CB));
  pdf = eva_api_client_download_finish (f->client, result, NULL, &error);
  g_assert_null (pdf);
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID);
}

static void
test_server_down (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sign_in (f);
  eva_test_server_stop (f->server);

  result = RUN (eva_api_client_list_events_async (f->client, NULL, NULL, NULL, NULL, 0, NULL, CB));
  g_assert_null (eva_api_client_list_finish (f->client, result, NULL, NULL, &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_UNREACHABLE);
  g_assert_true (eva_api_error_is_offline (error));
  g_assert_true (strstr (error->message, "127.0.0.1") != NULL);
  /* Still signed in: being offline is not signing out. */
  g_assert_true (eva_api_client_get_signed_in (f->client));
}

static void
test_not_everato (void)
{
  g_autoptr(EvaApiClient) client = eva_api_client_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (eva_api_client_set_base_url (client, "ftp://example.org", &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID_URL);
  g_clear_error (&error);
  g_assert_false (eva_api_client_set_base_url (client, "https://", &error));
  g_assert_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID_URL);
  g_clear_error (&error);
  g_assert_true (eva_api_client_set_base_url (client, "tickets.example.org/", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (eva_api_client_get_base_url (client), ==, "https://tickets.example.org");
  g_assert_finalize_object (g_steal_pointer (&client));
}

/* A Cancelled call reports G_IO_ERROR_CANCELLED, nothing else. */
static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sign_in (f);
  result = RUN ((eva_api_client_list_events_async (f->client, NULL, NULL, NULL, NULL, 0,
                                                   cancellable, CB),
                 g_cancellable_cancel (cancellable)));
  g_assert_null (eva_api_client_list_finish (f->client, result, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Under the test's dbus-run-session no Secret Service runs: the keyring
 * is tried, and fails with the "not remembered" error, never a hang. */
static void
test_keyring_unavailable (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = RUN (eva_keyring_store_async ("http://127.0.0.1:1", "a@b.test", "secret-token",
                                         NULL, CB));
  if (eva_keyring_store_finish (result, &error))
    {
      g_autofree char *token = NULL;

      /* A real keyring answered (a developer's session): read it back. */
      g_clear_object (&result);
      result = RUN (eva_keyring_lookup_async ("http://127.0.0.1:1", "a@b.test", NULL, CB));
      token = eva_keyring_lookup_finish (result, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (token, ==, "secret-token");
      g_clear_object (&result);
      result = RUN (eva_keyring_clear_async ("http://127.0.0.1:1", "a@b.test", NULL, CB));
      g_assert_true (eva_keyring_clear_finish (result, &error));
      return;
    }
  g_assert_error (error, EVA_KEYRING_ERROR, EVA_KEYRING_ERROR_UNAVAILABLE);
  g_assert_true (strstr (error->message, "not be remembered") != NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/api-client/sign-in", test_sign_in);
  ADD ("/api-client/wrong-password", test_wrong_password);
  ADD ("/api-client/silent-refresh", test_silent_refresh);
  ADD ("/api-client/resume", test_resume_from_refresh_token);
  ADD ("/api-client/session-expired", test_session_expired);
  ADD ("/api-client/events", test_events);
  ADD ("/api-client/event-errors", test_event_errors);
  ADD ("/api-client/event-tickets-per-attendee", test_event_tickets_per_attendee);
  ADD ("/api-client/ticket-types", test_ticket_types);
  ADD ("/api-client/staff", test_staff);
  ADD ("/api-client/webhooks", test_webhooks);
  ADD ("/api-client/forbidden", test_forbidden);
  ADD ("/api-client/coupons-bookings", test_coupons_and_bookings);
  ADD ("/api-client/coupon-restrictions", test_coupon_restrictions);
  ADD ("/api-client/bookings", test_bookings);
  ADD ("/api-client/tickets", test_tickets);
  ADD ("/api-client/server-down", test_server_down);
  ADD ("/api-client/cancel", test_cancel);
#undef ADD
  g_test_add_func ("/api-client/base-url", test_not_everato);
  g_test_add_func ("/api-client/keyring-unavailable", test_keyring_unavailable);

  return g_test_run ();
}
