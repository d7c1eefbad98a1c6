/* test-keyring.c: the refresh token in a real Secret Service
 *
 * Runs under tests/desktop/with-keyring.sh: its own D-Bus session with a
 * GNOME keyring daemon, unlocked, in a throwaway home. Stores a signed-in
 * admin's refresh token, reads it back as the app does at start, and
 * resumes the session from it against the real server.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "api/eva-api-client.h"
#include "api/eva-keyring.h"

#include "eva-desktop-test.h"
#include "eva-test.h"

#define ADMIN_EMAIL    "keyring@example.test"
#define ADMIN_PASSWORD "correct horse battery"

static void
got_result_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

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

static char *
lookup (const char *server,
        const char *email)
{
  g_autoptr(GAsyncResult) result = RUN (eva_keyring_lookup_async (server, email, NULL, CB));
  g_autoptr(GError) error = NULL;
  char *token = eva_keyring_lookup_finish (result, &error);

  g_assert_no_error (error);
  return token;
}

static void
store (const char *server,
       const char *email,
       const char *token)
{
  g_autoptr(GAsyncResult) result =
    RUN (eva_keyring_store_async (server, email, token, NULL, CB));
  g_autoptr(GError) error = NULL;

  g_assert_true (eva_keyring_store_finish (result, &error));
  g_assert_no_error (error);
}

static void
clear (const char *server,
       const char *email)
{
  g_autoptr(GAsyncResult) result = RUN (eva_keyring_clear_async (server, email, NULL, CB));
  g_autoptr(GError) error = NULL;

  g_assert_true (eva_keyring_clear_finish (result, &error));
  g_assert_no_error (error);
}

/* One secret per server and account; a new one replaces the old. */
static void
test_store_lookup_clear (void)
{
  g_autofree char *none = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *other_server = NULL;
  g_autofree char *other_email = NULL;
  g_autofree char *after_clear = NULL;
  g_autofree char *kept = NULL;

  none = lookup ("https://tickets.example.org", "a@example.org");
  g_assert_null (none);

  store ("https://tickets.example.org", "a@example.org", "token-1");
  store ("https://tickets.example.org", "b@example.org", "token-b");
  store ("https://other.example.org", "a@example.org", "token-other");
  first = lookup ("https://tickets.example.org", "a@example.org");
  g_assert_cmpstr (first, ==, "token-1");

  store ("https://tickets.example.org", "a@example.org", "token-2");
  second = lookup ("https://tickets.example.org", "a@example.org");
  g_assert_cmpstr (second, ==, "token-2");
  other_server = lookup ("https://other.example.org", "a@example.org");
  g_assert_cmpstr (other_server, ==, "token-other");
  other_email = lookup ("https://tickets.example.org", "b@example.org");
  g_assert_cmpstr (other_email, ==, "token-b");

  /* Signing out forgets that one account on that one server. */
  clear ("https://tickets.example.org", "a@example.org");
  after_clear = lookup ("https://tickets.example.org", "a@example.org");
  g_assert_null (after_clear);
  kept = lookup ("https://tickets.example.org", "b@example.org");
  g_assert_cmpstr (kept, ==, "token-b");
}

/* Sign in, keep the refresh token, "restart": a new client that knows
 * only what the keyring returns resumes the session. */
static void
test_resume_after_restart (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  g_autofree char *id = eva_test_create_staff (server, ADMIN_EMAIL, "organizer", ADMIN_PASSWORD);
  g_autoptr(EvaApiClient) client = eva_api_client_new (server->base_url);
  g_autoptr(EvaApiClient) restarted = eva_api_client_new (server->base_url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = NULL;
  g_autofree char *token = NULL;

  result = RUN (eva_api_client_login_async (client, ADMIN_EMAIL, ADMIN_PASSWORD, NULL, CB));
  me = eva_api_client_login_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (me);
  store (server->base_url, ADMIN_EMAIL, eva_api_client_get_refresh_token (client));
  g_clear_object (&result);

  token = lookup (server->base_url, ADMIN_EMAIL);
  g_assert_nonnull (token);
  g_assert_cmpstr (token, ==, eva_api_client_get_refresh_token (client));
  eva_api_client_set_refresh_token (restarted, token);
  result = RUN (eva_api_client_refresh_async (restarted, NULL, CB));
  g_assert_true (eva_api_client_refresh_finish (restarted, result, &error));
  g_assert_no_error (error);
  g_assert_nonnull (eva_api_client_get_me (restarted));
  g_clear_object (&result);

  /* The used token is spent: the keyring gets the new one. */
  store (server->base_url, ADMIN_EMAIL, eva_api_client_get_refresh_token (restarted));
  g_free (token);
  token = lookup (server->base_url, ADMIN_EMAIL);
  g_assert_cmpstr (token, ==, eva_api_client_get_refresh_token (restarted));
  clear (server->base_url, ADMIN_EMAIL);

  g_assert_finalize_object (g_steal_pointer (&restarted));
  g_assert_finalize_object (g_steal_pointer (&client));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/keyring/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/keyring/resume-after-restart", test_resume_after_restart);

  return g_test_run ();
}
