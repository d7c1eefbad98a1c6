/* test-admin-auth.c: staff sign-in, throttling, refresh rotation and reuse,
 * sign-out, "who am I", expired and tampered access tokens, rehashing
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <sodium.h>

#include "core/eva-auth.h"
#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-keys.h"

#define PASSWORD "correct horse battery"

static EvaTestServer *server;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *
new_email (const char *prefix)
{
  static int counter;

  return g_strdup_printf ("%s%d@example.test", prefix, ++counter);
}

/* A fresh account; returns its id and sets *email. */
static char *
new_staff (const char  *role,
           char       **email)
{
  *email = new_email (role);
  return eva_test_create_staff (server, *email, role, PASSWORD);
}

static EvaTestResponse *
login (const char *email,
       const char *password)
{
  return eva_test_call (server, "POST", "/api/v1/admin/auth/login", NULL,
                        "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
}

static EvaTestResponse *
refresh (const char *token)
{
  return eva_test_call (server, "POST", "/api/v1/admin/auth/refresh", NULL,
                        "{\"refresh_token\":\"%s\"}", token);
}

static void
reset_limits (void)
{
  g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits", NULL));
}

static gint64
sql_int (const char *sql,
         const char *param)
{
  g_autofree char *value = eva_test_sql (server->pg, sql, param, NULL);

  g_assert_nonnull (value);
  return g_ascii_strtoll (value, NULL, 10);
}

static void
assert_no_secrets (EvaTestResponse *resp)
{
  g_assert_null (strstr (resp->body, "$argon2"));
  g_assert_null (strstr (resp->body, "password_hash"));
}

/* The key is sealed in the database; the harness's master key opens it. */
static void
load_token_key (guint8 key[32])
{
  eva_test_token_key (server->pg, NULL, key);
}

static EvaTestResponse *
request_with_authorization (const char *path,
                            const char *authorization)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  EvaTestResponse *resp = g_new0 (EvaTestResponse, 1);
  g_autoptr(JsonParser) parser = json_parser_new ();

  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Authorization", authorization);
  bytes = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  resp->status = soup_message_get_status (msg);
  resp->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  resp->length = g_bytes_get_size (bytes);
  resp->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  if (json_parser_load_from_data (parser, resp->body, resp->length, NULL))
    {
      resp->json = json_node_copy (json_parser_get_root (parser));
      eva_test_check_response ("GET", path, resp->status, resp->json);
    }
  return resp;
}

/* ------------------------------------------------------------------ */
/* Sign-in                                                            */
/* ------------------------------------------------------------------ */

static void
test_login_ok (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autoptr(EvaTestResponse) resp = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) me = NULL;
  g_autofree char *family = NULL;
  const char *access;

  eva_test_assert_status (resp, 200);
  access = eva_test_json_string (resp->json, "access_token");
  g_assert_nonnull (access);
  g_assert_cmpuint (strlen (access), >, 40);
  g_assert_cmpuint (strlen (eva_test_json_string (resp->json, "refresh_token")), >=, 43);
  g_assert_cmpint (eva_test_json_int (resp->json, "expires_in"), >, 0);
  g_assert_cmpint (eva_test_json_int (resp->json, "expires_in"), <=, 900);
  g_assert_cmpstr (eva_test_json_string (resp->json, "token_type"), ==, "Bearer");
  g_assert_cmpstr (eva_test_json_string (resp->json, "staff.id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (resp->json, "staff.email"), ==, email);
  g_assert_cmpstr (eva_test_json_string (resp->json, "staff.role"), ==, "organizer");
  g_assert_false (eva_test_json_bool (resp->json, "staff.disabled"));
  g_assert_nonnull (eva_test_json_string (resp->json, "staff.last_login_at"));
  g_assert_false (eva_test_json_has (resp->json, "staff.password"));
  assert_no_secrets (resp);

  me = eva_test_call (server, "GET", "/api/v1/admin/me", access, NULL);
  eva_test_assert_status (me, 200);
  g_assert_cmpstr (eva_test_json_string (me->json, "id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (me->json, "role"), ==, "organizer");
  assert_no_secrets (me);

  /* One session row, expiring in about 30 days, and an audit row. */
  g_assert_cmpint (sql_int ("SELECT count(*) FROM staff_sessions WHERE staff_id = $1 "
                            "AND expires_at > now() + interval '29 days' "
                            "AND used_at IS NULL AND revoked_at IS NULL", id), ==, 1);
  family = eva_test_sql (server->pg, "SELECT family_id FROM staff_sessions WHERE staff_id = $1",
                         id, NULL);
  g_assert_nonnull (family);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'staff.login' "
                            "AND actor_id = $1 AND target_id = $1::text", id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM staff WHERE id = $1 "
                            "AND last_login_at > now() - interval '1 minute'", id), ==, 1);
  /* A successful sign-in clears the account's counter. */
  g_assert_cmpint (sql_int ("SELECT count(*) FROM rate_limits WHERE key = 'staff:acct:' || $1",
                            email), ==, 0);
}

static void
test_login_wrong_and_unknown_identical (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("door_staff", &email);
  g_autofree char *unknown = new_email ("nobody");
  g_autoptr(EvaTestResponse) wrong = NULL;
  g_autoptr(EvaTestResponse) missing = NULL;
  gint64 before = sql_int ("SELECT count(*) FROM audit_log WHERE action = $1", "staff.login_failed");

  reset_limits ();
  wrong = login (email, "not the password at all");
  missing = login (unknown, "not the password at all");

  eva_test_assert_error (wrong, 401, "invalid_credentials");
  eva_test_assert_error (missing, 401, "invalid_credentials");
  g_assert_cmpuint (wrong->length, ==, missing->length);
  g_assert_cmpstr (wrong->body, ==, missing->body);
  g_assert_cmpstr (eva_test_header (wrong, "Content-Type"), ==,
                   eva_test_header (missing, "Content-Type"));
  g_assert_null (eva_test_json_get (wrong->json, "access_token"));

  /* Both audited, without an actor; the known one names its target. */
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = $1",
                            "staff.login_failed"), ==, before + 2);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'staff.login_failed' "
                            "AND actor_id IS NULL AND details->>'email' = $1", unknown), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'staff.login_failed' "
                            "AND actor_id IS NULL AND target_id = $1", id), ==, 1);
  reset_limits ();
}

static void
test_login_case_insensitive (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autofree char *upper = g_ascii_strup (email, -1);
  g_autoptr(EvaTestResponse) resp = login (upper, PASSWORD);

  eva_test_assert_status (resp, 200);
  g_assert_cmpstr (eva_test_json_string (resp->json, "staff.id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (resp->json, "staff.email"), ==, email);
}

static void
test_login_disabled (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autoptr(EvaTestResponse) right = NULL;
  g_autoptr(EvaTestResponse) wrong = NULL;

  reset_limits ();
  g_free (eva_test_sql (server->pg, "UPDATE staff SET disabled_at = now() WHERE id = $1", id, NULL));
  right = login (email, PASSWORD);
  eva_test_assert_error (right, 403, "account_disabled");
  g_assert_null (eva_test_json_get (right->json, "access_token"));
  /* The wrong password still says only "wrong". */
  wrong = login (email, "something else entirely");
  eva_test_assert_error (wrong, 401, "invalid_credentials");
  g_assert_cmpint (sql_int ("SELECT count(*) FROM staff_sessions WHERE staff_id = $1", id), ==, 0);
  reset_limits ();
}

static void
test_login_malformed (void)
{
  g_autofree char *long_email = NULL;
  g_autofree char *long_domain = g_strnfill (250, 'b');
  g_autofree char *long_password = NULL;
  g_autofree char *max_password = NULL;
  struct {
    const char *body;
    const char *code;
    const char *field;   /* expected in error.details */
  } cases[] = {
    { "{}", "validation_failed", "email" },
    { "{}", "validation_failed", "password" },
    { "{\"email\":\"a@example.test\"}", "validation_failed", "password" },
    { "{\"password\":\"0123456789\"}", "validation_failed", "email" },
    { "{\"email\":5,\"password\":\"0123456789\"}", "validation_failed", "email" },
    { "{\"email\":\"a@example.test\",\"password\":true}", "validation_failed", "password" },
    { "{\"email\":null,\"password\":\"0123456789\"}", "validation_failed", "email" },
    { "{\"email\":[\"a@example.test\"],\"password\":\"0123456789\"}", "validation_failed", "email" },
    { "{\"email\":{\"a\":1},\"password\":\"0123456789\"}", "validation_failed", "email" },
    { "{\"email\":\"a@example.test\",\"password\":1234567890}", "validation_failed", "password" },
    { "{\"email\":\"a@example.test\",\"password\":99999999999999999999}", "invalid_json", NULL },
    { "{\"email\":\"a@example.test\",\"password\":\"\"}", "validation_failed", "password" },
    { "{\"email\":\"not-an-email\",\"password\":\"0123456789\"}", "validation_failed", "email" },
    { "{\"email\":\"a@example.test\",\"password\":\"0123456789\",\"remember\":true}",
      "validation_failed", "remember" },
    { "{\"email\":\"a\\u0000b@example.test\",\"password\":\"0123456789\"}", "invalid_json", NULL },
    { "{\"email\":\"a@example.test\",\"password\":\"01234\\u000056789\"}", "invalid_json", NULL },
    { "{\"email\":\"a@example.test\",\"password\":1e400}", "invalid_json", NULL },
    { "[\"a@example.test\",\"0123456789\"]", "invalid_json", NULL },
    { "", "invalid_json", NULL },
  };

  reset_limits ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) resp =
        eva_test_request (server, "POST", "/api/v1/admin/auth/login", NULL,
                          "application/json", cases[i].body, -1);

      g_test_message ("body: %s", cases[i].body);
      if (resp->status == 400 && g_strcmp0 (eva_test_json_string (resp->json, "error.code"),
                                            "invalid_json") == 0 &&
          g_str_equal (cases[i].code, "validation_failed"))
        g_error ("%s gave invalid_json", cases[i].body);
      eva_test_assert_error (resp, 400, cases[i].code);
      if (cases[i].field != NULL)
        {
          g_autofree char *path = g_strconcat ("error.details.", cases[i].field, NULL);

          g_assert_nonnull (eva_test_json_string (resp->json, path));
        }
    }

  /* Too long: an address over 254 bytes, a password over 1024. */
  long_email = g_strdup_printf ("a@%s.example.test", long_domain);
  {
    g_autoptr(EvaTestResponse) resp = login (long_email, "0123456789");

    eva_test_assert_error (resp, 400, "validation_failed");
    g_assert_nonnull (eva_test_json_string (resp->json, "error.details.email"));
  }
  long_password = g_strnfill (1025, 'p');
  {
    g_autoptr(EvaTestResponse) resp = login ("a@example.test", long_password);

    eva_test_assert_error (resp, 400, "validation_failed");
    g_assert_nonnull (eva_test_json_string (resp->json, "error.details.password"));
  }

  /* None of that was a sign-in attempt. */
  g_assert_cmpint (sql_int ("SELECT count(*) FROM rate_limits WHERE $1 = $1", "x"), ==, 0);

  /* 1024 bytes is allowed (and wrong); SQL-looking input is just data. */
  max_password = g_strnfill (1024, 'p');
  {
    g_autoptr(EvaTestResponse) resp = login ("a@example.test", max_password);

    eva_test_assert_error (resp, 401, "invalid_credentials");
  }
  {
    g_autoptr(EvaTestResponse) resp = login ("o'brien+x@example.test", "' OR '1'='1");

    eva_test_assert_error (resp, 401, "invalid_credentials");
    g_assert_cmpint (sql_int ("SELECT count(*) FROM staff WHERE $1 = $1", "x"), >, 0);
  }
  reset_limits ();
}

/* ------------------------------------------------------------------ */
/* Throttling                                                         */
/* ------------------------------------------------------------------ */

static gint64
retry_after (EvaTestResponse *resp)
{
  const char *header = eva_test_header (resp, "Retry-After");
  guint64 value = 0;

  g_assert_nonnull (header);
  g_assert_true (g_ascii_string_to_unsigned (header, 10, 1, 900, &value, NULL));
  g_assert_cmpint (eva_test_json_int (resp->json, "error.details.retry_after"), ==, value);
  return value;
}

static void
test_rate_limit_account (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autofree char *key = g_strconcat ("staff:acct:", email, NULL);
  g_autofree char *unknown = new_email ("ghost");
  gint64 audited;
  gint64 wait;

  reset_limits ();
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(EvaTestResponse) resp = login (email, "wrong password!");

      eva_test_assert_error (resp, 401, "invalid_credentials");
    }
  g_assert_cmpint (sql_int ("SELECT failures FROM rate_limits WHERE key = $1", key), ==, 5);
  audited = sql_int ("SELECT count(*) FROM audit_log WHERE target_id = $1", id);

  /* The sixth attempt is refused, even with the right password, and the
   * password is not even looked at: nothing counted, nothing audited. */
  {
    g_autoptr(EvaTestResponse) resp = login (email, PASSWORD);

    eva_test_assert_error (resp, 429, "too_many_attempts");
    g_assert_null (eva_test_json_get (resp->json, "access_token"));
    wait = retry_after (resp);
    g_assert_cmpint (wait, ==, 1);
  }
  g_assert_cmpint (sql_int ("SELECT failures FROM rate_limits WHERE key = $1", key), ==, 5);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE target_id = $1", id), ==, audited);

  /* Exponential backoff: once the lock ends, one more failure locks for 2 s. */
  g_usleep ((wait * 1000 + 150) * 1000);
  {
    g_autoptr(EvaTestResponse) resp = login (email, "wrong password!");

    eva_test_assert_error (resp, 401, "invalid_credentials");
  }
  g_assert_cmpint (sql_int ("SELECT failures FROM rate_limits WHERE key = $1", key), ==, 6);
  g_assert_cmpint (sql_int ("SELECT ceil(extract(epoch FROM locked_until - now()))::int "
                            "FROM rate_limits WHERE key = $1", key), ==, 2);
  {
    g_autoptr(EvaTestResponse) resp = login (email, PASSWORD);

    eva_test_assert_error (resp, 429, "too_many_attempts");
    wait = retry_after (resp);
    g_assert_cmpint (wait, ==, 2);
  }

  /* After the lock the right password works and clears the counter. */
  g_usleep ((wait * 1000 + 150) * 1000);
  {
    g_autoptr(EvaTestResponse) resp = login (email, PASSWORD);

    eva_test_assert_status (resp, 200);
  }
  g_assert_cmpint (sql_int ("SELECT count(*) FROM rate_limits WHERE key = $1", key), ==, 0);

  /* Unknown addresses lock exactly the same way (no account discovery). */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(EvaTestResponse) resp = login (unknown, "wrong password!");

      eva_test_assert_error (resp, 401, "invalid_credentials");
    }
  {
    g_autoptr(EvaTestResponse) resp = login (unknown, "wrong password!");

    eva_test_assert_error (resp, 429, "too_many_attempts");
  }
  reset_limits ();
}

typedef struct
{
  guint pending;
  guint n_401;
  guint n_429;
  guint n_other;
} Burst;

static void
burst_sent_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Burst *burst = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  guint status = soup_message_get_status (msg);

  if (status == 401)
    burst->n_401++;
  else if (status == 429)
    burst->n_429++;
  else
    burst->n_other++;
  burst->pending--;
}

static void
test_rate_limit_parallel (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autofree char *url = g_strconcat (server->base_url, "/api/v1/admin/auth/login", NULL);
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"wrong password!\"}",
                                           email);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  Burst burst = { 0, };

  reset_limits ();
  for (guint i = 0; i < 10; i++)
    {
      SoupMessage *msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      g_ptr_array_add (messages, msg);
      burst.pending++;
      soup_session_send_and_read_async (server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                        burst_sent_cb, &burst);
    }
  while (burst.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_test_message ("10 parallel guesses: %u x 401, %u x 429, %u other",
                  burst.n_401, burst.n_429, burst.n_other);
  g_assert_cmpuint (burst.n_other, ==, 0);
  /* Attempts are claimed before the password is checked, so parallel
   * guesses cannot all slip through before the first failure is counted.
   * (A sixth may get through if the one-second lock ends mid-burst.) */
  g_assert_cmpuint (burst.n_401, >=, 5);
  g_assert_cmpuint (burst.n_401, <=, 6);
  g_assert_cmpuint (burst.n_429, >=, 4);
  reset_limits ();
}

static void
test_rate_limit_address (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);

  reset_limits ();

  /* Good sign-ins do not count against the address. */
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(EvaTestResponse) resp = login (email, PASSWORD);

      eva_test_assert_status (resp, 200);
    }
  g_assert_cmpint (sql_int ("SELECT coalesce(sum(failures), 0) FROM rate_limits "
                            "WHERE key LIKE $1", "staff:ip:%"), ==, 0);

  /* Twenty failures from one address, each at a different account. */
  for (int i = 0; i < 20; i++)
    {
      g_autofree char *other = new_email ("spray");
      g_autoptr(EvaTestResponse) resp = login (other, "wrong password!");

      eva_test_assert_error (resp, 401, "invalid_credentials");
    }
  g_assert_cmpint (sql_int ("SELECT failures FROM rate_limits WHERE key LIKE $1",
                            "staff:ip:%"), ==, 20);

  /* Now even a good account with the right password is refused here. */
  {
    g_autoptr(EvaTestResponse) resp = login (email, PASSWORD);

    eva_test_assert_error (resp, 429, "too_many_attempts");
    retry_after (resp);
  }
  reset_limits ();
  {
    g_autoptr(EvaTestResponse) resp = login (email, PASSWORD);

    eva_test_assert_status (resp, 200);
  }
}

/* ------------------------------------------------------------------ */
/* Refresh and sign-out                                               */
/* ------------------------------------------------------------------ */

static void
test_refresh_rotation (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("door_staff", &email);
  g_autoptr(EvaTestResponse) first = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) second = NULL;
  g_autoptr(EvaTestResponse) third = NULL;
  g_autoptr(EvaTestResponse) me = NULL;
  const char *r1;
  const char *r2;

  eva_test_assert_status (first, 200);
  r1 = eva_test_json_string (first->json, "refresh_token");
  second = refresh (r1);
  eva_test_assert_status (second, 200);
  assert_no_secrets (second);
  r2 = eva_test_json_string (second->json, "refresh_token");
  g_assert_cmpstr (r1, !=, r2);
  g_assert_cmpstr (eva_test_json_string (second->json, "token_type"), ==, "Bearer");
  g_assert_cmpstr (eva_test_json_string (second->json, "staff.id"), ==, id);
  g_assert_cmpint (eva_test_json_int (second->json, "expires_in"), <=, 900);

  me = eva_test_call (server, "GET", "/api/v1/admin/me", eva_test_json_string (second->json, "access_token"), NULL);
  eva_test_assert_status (me, 200);
  g_assert_cmpstr (eva_test_json_string (me->json, "id"), ==, id);

  /* Two rows, one family; the first used; both expire together. */
  g_assert_cmpint (sql_int ("SELECT count(DISTINCT family_id) FROM staff_sessions WHERE staff_id = $1",
                            id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM staff_sessions WHERE staff_id = $1 "
                            "AND used_at IS NOT NULL", id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(DISTINCT expires_at) FROM staff_sessions WHERE staff_id = $1",
                            id), ==, 1);

  third = refresh (r2);
  eva_test_assert_status (third, 200);
}

static void
test_refresh_reuse_revokes_family (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autoptr(EvaTestResponse) first = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) second = NULL;
  g_autoptr(EvaTestResponse) replay = NULL;
  g_autoptr(EvaTestResponse) newest = NULL;
  g_autoptr(EvaTestResponse) other_session = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) other_refresh = NULL;
  g_autofree char *family = NULL;

  eva_test_assert_status (first, 200);
  eva_test_assert_status (other_session, 200);
  second = refresh (eva_test_json_string (first->json, "refresh_token"));
  eva_test_assert_status (second, 200);

  replay = refresh (eva_test_json_string (first->json, "refresh_token"));
  eva_test_assert_error (replay, 401, "invalid_refresh_token");

  /* The newest token of that family is dead too. */
  newest = refresh (eva_test_json_string (second->json, "refresh_token"));
  eva_test_assert_error (newest, 401, "invalid_refresh_token");

  family = eva_test_sql (server->pg,
                         "SELECT family_id FROM staff_sessions WHERE token_hash = "
                         "(SELECT token_hash FROM staff_sessions WHERE staff_id = $1 "
                         " AND used_at IS NOT NULL)", id, NULL);
  g_assert_nonnull (family);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM staff_sessions WHERE family_id = $1 "
                            "AND revoked_at IS NULL", family), ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM staff_sessions WHERE family_id = $1", family), ==, 2);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'staff.refresh_reused' "
                            "AND target_id = $1", id), ==, 1);

  /* Another sign-in of the same person is a different family: untouched. */
  other_refresh = refresh (eva_test_json_string (other_session->json, "refresh_token"));
  eva_test_assert_status (other_refresh, 200);
}

static void
test_refresh_invalid (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autofree char *bogus = eva_random_token (32);
  g_autoptr(EvaTestResponse) unknown = refresh (bogus);
  g_autoptr(EvaTestResponse) a = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) b = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) expired = NULL;
  g_autoptr(EvaTestResponse) disabled = NULL;
  const char *bad_bodies[] = {
    "{}",
    "{\"refresh_token\":5}",
    "{\"refresh_token\":null}",
    "{\"refresh_token\":\"abc\",\"extra\":1}",
    "{\"refresh_token\":\"\"}",
  };

  eva_test_assert_error (unknown, 401, "invalid_refresh_token");
  for (guint i = 0; i < G_N_ELEMENTS (bad_bodies); i++)
    {
      g_autoptr(EvaTestResponse) resp =
        eva_test_request (server, "POST", "/api/v1/admin/auth/refresh", NULL,
                          "application/json", bad_bodies[i], -1);

      g_test_message ("body: %s", bad_bodies[i]);
      eva_test_assert_error (resp, 400, "validation_failed");
    }
  {
    g_autofree char *huge = g_strnfill (5000, 'A');
    g_autoptr(EvaTestResponse) resp = refresh (huge);

    eva_test_assert_error (resp, 400, "validation_failed");
  }

  eva_test_assert_status (a, 200);
  eva_test_assert_status (b, 200);

  /* Expired. */
  g_free (eva_test_sql (server->pg, "UPDATE staff_sessions SET expires_at = now() - interval '1 second' "
                                    "WHERE staff_id = $1 AND family_id = (SELECT family_id FROM "
                                    "staff_sessions WHERE staff_id = $1 ORDER BY created_at LIMIT 1)",
                        id, NULL));
  expired = refresh (eva_test_json_string (a->json, "refresh_token"));
  eva_test_assert_error (expired, 401, "invalid_refresh_token");

  /* Disabled since. */
  g_free (eva_test_sql (server->pg, "UPDATE staff SET disabled_at = now() WHERE id = $1", id, NULL));
  disabled = refresh (eva_test_json_string (b->json, "refresh_token"));
  eva_test_assert_error (disabled, 401, "invalid_refresh_token");
}

static void
test_logout (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("door_staff", &email);
  g_autofree char *other_email = NULL;
  g_autofree char *other_id = new_staff ("door_staff", &other_email);
  g_autoptr(EvaTestResponse) a = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) b = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) c = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) d = login (email, PASSWORD);
  g_autoptr(EvaTestResponse) theirs = login (other_email, PASSWORD);
  g_autoptr(EvaTestResponse) out = NULL;
  const char *access_a;

  eva_test_assert_status (a, 200);
  eva_test_assert_status (b, 200);
  eva_test_assert_status (c, 200);
  eva_test_assert_status (d, 200);
  eva_test_assert_status (theirs, 200);
  access_a = eva_test_json_string (a->json, "access_token");

  /* Without a token, and with bad bodies. */
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", "/api/v1/admin/auth/logout",
                                                     NULL, NULL);

    eva_test_assert_error (resp, 401, "unauthorized");
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", "/api/v1/admin/auth/logout",
                                                     access_a, "{\"refresh_token\":1}");

    eva_test_assert_error (resp, 400, "validation_failed");
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", "/api/v1/admin/auth/logout",
                                                     access_a, "[1]");

    eva_test_assert_status (resp, 400);
  }

  /* Sign out of a, naming b's refresh token and someone else's. */
  out = eva_test_call (server, "POST", "/api/v1/admin/auth/logout", access_a,
                       "{\"refresh_token\":\"%s\"}", eva_test_json_string (b->json, "refresh_token"));
  eva_test_assert_status (out, 204);
  g_assert_cmpuint (out->length, ==, 0);
  /* a's access token ended with its sign-in, not ten minutes later. */
  {
    g_autoptr(EvaTestResponse) again = eva_test_call (server, "POST", "/api/v1/admin/auth/logout",
                                                      access_a, NULL);
    g_autoptr(EvaTestResponse) me = eva_test_call (server, "GET", "/api/v1/admin/me", access_a, NULL);

    eva_test_assert_error (again, 401, "invalid_token");
    eva_test_assert_error (me, 401, "invalid_token");
  }
  /* Naming someone else's refresh token signs out only the caller (d). */
  {
    g_autoptr(EvaTestResponse) other = eva_test_call (server, "POST", "/api/v1/admin/auth/logout",
                                                      eva_test_json_string (d->json, "access_token"),
                                                      "{\"refresh_token\":\"%s\"}",
                                                      eva_test_json_string (theirs->json,
                                                                            "refresh_token"));

    eva_test_assert_status (other, 204);
  }

  {
    g_autoptr(EvaTestResponse) ra = refresh (eva_test_json_string (a->json, "refresh_token"));
    g_autoptr(EvaTestResponse) rb = refresh (eva_test_json_string (b->json, "refresh_token"));
    g_autoptr(EvaTestResponse) rc = refresh (eva_test_json_string (c->json, "refresh_token"));
    g_autoptr(EvaTestResponse) rt = refresh (eva_test_json_string (theirs->json, "refresh_token"));

    eva_test_assert_error (ra, 401, "invalid_refresh_token");
    eva_test_assert_error (rb, 401, "invalid_refresh_token");
    /* Another sign-in of mine, and someone else's, stay. */
    eva_test_assert_status (rc, 200);
    eva_test_assert_status (rt, 200);
  }
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'staff.logout' "
                            "AND actor_id = $1", id), ==, 2);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM staff_sessions WHERE staff_id = $1 "
                            "AND revoked_at IS NOT NULL", other_id), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Access tokens                                                      */
/* ------------------------------------------------------------------ */

static void
test_me_deleted_or_disabled (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  g_autofree char *token = eva_test_login (server, email, PASSWORD);

  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

    eva_test_assert_status (resp, 200);
  }
  g_free (eva_test_sql (server->pg, "UPDATE staff SET disabled_at = now() WHERE id = $1", id, NULL));
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

    eva_test_assert_error (resp, 401, "invalid_token");
  }
  g_free (eva_test_sql (server->pg, "UPDATE staff SET disabled_at = NULL WHERE id = $1", id, NULL));
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

    eva_test_assert_status (resp, 200);
  }
  g_free (eva_test_sql (server->pg, "DELETE FROM staff WHERE id = $1", id, NULL));
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

    eva_test_assert_error (resp, 401, "invalid_token");
  }
}

static void
test_expired_token (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("super_admin", &email);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint8 key[32];
  g_autofree char *fresh = NULL;
  g_autofree char *expired = NULL;
  g_autofree char *family = NULL;
  g_autoptr(EvaTestResponse) ok = NULL;
  g_autoptr(EvaTestResponse) refused = NULL;

  load_token_key (key);
  /* A token made with the real key for a real sign-in works, so the
   * refusal below is about time. */
  g_free (eva_test_login (server, email, PASSWORD));
  family = eva_test_sql (server->pg, "SELECT family_id FROM staff_sessions WHERE staff_id = $1 LIMIT 1",
                         id, NULL);
  fresh = eva_auth_issue_access_token (key, id, EVA_ROLE_SUPER_ADMIN, family, now, 600);
  ok = eva_test_call (server, "GET", "/api/v1/admin/me", fresh, NULL);
  eva_test_assert_status (ok, 200);

  expired = eva_auth_issue_access_token (key, id, EVA_ROLE_SUPER_ADMIN, NULL, now - 3600, 600);
  refused = eva_test_call (server, "GET", "/api/v1/admin/me", expired, NULL);
  eva_test_assert_error (refused, 401, "invalid_token");
  g_assert_nonnull (eva_test_header (refused, "WWW-Authenticate"));
  sodium_memzero (key, sizeof key);
}

static void
test_tampered_token (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("door_staff", &email);
  g_autofree char *token = eva_test_login (server, email, PASSWORD);
  const char *dot = strchr (token, '.');
  g_autofree char *payload_b64 = g_strndup (token, dot - token);
  g_autofree guint8 *payload = NULL;
  g_autofree char *payload_text = NULL;
  g_autofree char *promoted_text = NULL;
  g_autofree char *promoted_b64 = NULL;
  g_autofree char *promoted = NULL;
  g_autofree char *flipped_mac = g_strdup (token);
  g_autofree char *flipped_payload = g_strdup (token);
  g_autofree char *wrong_key = NULL;
  gsize len = 0;
  guint8 other_key[32] = { 1, 2, 3 };
  gsize n;

  /* Same payload, role raised, old signature. */
  payload = eva_base64url_decode (payload_b64, &len);
  g_assert_nonnull (payload);
  payload_text = g_strndup ((const char *) payload, len);
  g_assert_nonnull (strstr (payload_text, "|door_staff|"));
  {
    g_auto(GStrv) parts = g_strsplit (payload_text, "|door_staff|", 2);

    promoted_text = g_strjoin ("|super_admin|", parts[0], parts[1], NULL);
  }
  promoted_b64 = eva_base64url_encode ((const guint8 *) promoted_text, strlen (promoted_text));
  promoted = g_strconcat (promoted_b64, dot, NULL);

  n = strlen (flipped_mac);
  flipped_mac[n - 2] = flipped_mac[n - 2] == 'A' ? 'B' : 'A';
  flipped_payload[3] = flipped_payload[3] == 'A' ? 'B' : 'A';
  wrong_key = eva_auth_issue_access_token (other_key, id, EVA_ROLE_SUPER_ADMIN, NULL,
                                           g_get_real_time () / G_USEC_PER_SEC, 600);

  {
    const char *tokens[] = { promoted, flipped_mac, flipped_payload, wrong_key, "garbage",
                             "a.b", ".", "" };

    for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
      {
        g_autoptr(EvaTestResponse) resp =
          eva_test_call (server, "GET", "/api/v1/admin/staff", tokens[i], NULL);

        g_test_message ("token: %s", tokens[i]);
        g_assert_cmpuint (resp->status, ==, 401);
      }
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/staff", promoted, NULL);

    eva_test_assert_error (resp, 401, "invalid_token");
  }

  /* Not a bearer scheme, or no token at all. */
  {
    g_autofree char *basic = g_strconcat ("Basic ", token, NULL);
    g_autoptr(EvaTestResponse) resp = request_with_authorization ("/api/v1/admin/me", basic);

    eva_test_assert_error (resp, 401, "unauthorized");
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/me", NULL, NULL);

    eva_test_assert_error (resp, 401, "unauthorized");
    g_assert_nonnull (eva_test_header (resp, "WWW-Authenticate"));
  }

  /* The genuine token still works. */
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

    eva_test_assert_status (resp, 200);
  }
}

/* ------------------------------------------------------------------ */
/* Rehashing                                                          */
/* ------------------------------------------------------------------ */

static void
test_rehash_on_login (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_staff ("organizer", &email);
  char weak[crypto_pwhash_STRBYTES];
  g_autofree char *stored = NULL;
  g_autoptr(EvaTestResponse) resp = NULL;

  g_assert_cmpint (crypto_pwhash_str (weak, PASSWORD, strlen (PASSWORD),
                                      crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN), ==, 0);
  g_free (eva_test_sql (server->pg, "UPDATE staff SET password_hash = $2 WHERE id = $1",
                        id, weak, NULL));

  resp = login (email, PASSWORD);
  eva_test_assert_status (resp, 200);
  assert_no_secrets (resp);

  stored = eva_test_sql (server->pg, "SELECT password_hash FROM staff WHERE id = $1", id, NULL);
  g_assert_cmpstr (stored, !=, weak);
  g_assert_cmpint (crypto_pwhash_str_verify (stored, PASSWORD, strlen (PASSWORD)), ==, 0);
  g_assert_cmpint (crypto_pwhash_str_needs_rehash (stored, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                   crypto_pwhash_MEMLIMIT_INTERACTIVE), ==, 0);
  g_assert_true (crypto_pwhash_str_needs_rehash (weak, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                 crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'staff.login' "
                            "AND actor_id = $1 AND (details->>'rehashed')::boolean", id), ==, 1);

  /* And the new hash signs in. */
  {
    g_autoptr(EvaTestResponse) again = login (email, PASSWORD);

    eva_test_assert_status (again, 200);
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  server = eva_test_server_start (NULL);

  g_test_add_func ("/admin-auth/login/ok", test_login_ok);
  g_test_add_func ("/admin-auth/login/wrong-and-unknown-identical", test_login_wrong_and_unknown_identical);
  g_test_add_func ("/admin-auth/login/case-insensitive", test_login_case_insensitive);
  g_test_add_func ("/admin-auth/login/disabled", test_login_disabled);
  g_test_add_func ("/admin-auth/login/malformed", test_login_malformed);
  g_test_add_func ("/admin-auth/login/rehash", test_rehash_on_login);
  g_test_add_func ("/admin-auth/rate-limit/account", test_rate_limit_account);
  g_test_add_func ("/admin-auth/rate-limit/parallel", test_rate_limit_parallel);
  g_test_add_func ("/admin-auth/rate-limit/address", test_rate_limit_address);
  g_test_add_func ("/admin-auth/refresh/rotation", test_refresh_rotation);
  g_test_add_func ("/admin-auth/refresh/reuse-revokes-family", test_refresh_reuse_revokes_family);
  g_test_add_func ("/admin-auth/refresh/invalid", test_refresh_invalid);
  g_test_add_func ("/admin-auth/logout", test_logout);
  g_test_add_func ("/admin-auth/me/deleted-or-disabled", test_me_deleted_or_disabled);
  g_test_add_func ("/admin-auth/token/expired", test_expired_token);
  g_test_add_func ("/admin-auth/token/tampered", test_tampered_token);

  ret = g_test_run ();
  eva_test_server_free (server);
  return ret;
}
