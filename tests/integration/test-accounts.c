/* test-accounts.c: attendee accounts — sign-up, verification, cookie
 * sessions and CSRF, password change and reset, no account enumeration,
 * rate limits, deletion, and what organizers see
 *
 * The harness keeps no cookies, so requests here carry "Cookie:" and
 * "X-CSRF-Token:" themselves (http() below). Links are read from the
 * mails the server wrote to its mail folder (eva_test_mail_link()).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <sodium.h>

#include "core/eva-auth.h"
#include "eva-common.h"
#include "eva-test.h"

#define PASSWORD      "correct horse battery"
#define NEW_PASSWORD  "another long passphrase"
#define PUBLIC_URL    "http://localhost:8080"

static EvaTestServer *server;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *cookie;
  char *csrf;
} Session;

static void
session_free (Session *s)
{
  if (s == NULL)
    return;
  g_free (s->cookie);
  g_free (s->csrf);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_free)

/* One request with an optional session cookie, CSRF token, extra header
 * and JSON body. */
static EvaTestResponse *
http_on (EvaTestServer *srv,
         const char    *method,
         const char    *path,
         const char    *cookie,
         const char    *csrf,
         const char    *header,
         const char    *value,
         const char    *body)
{
  g_autofree char *url = g_strconcat (srv->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  EvaTestResponse *resp = g_new0 (EvaTestResponse, 1);
  SoupMessageHeaders *headers;
  const char *type;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (cookie != NULL)
    {
      g_autofree char *text = g_strconcat ("everato_session=", cookie, NULL);

      soup_message_headers_replace (headers, "Cookie", text);
    }
  if (csrf != NULL)
    soup_message_headers_replace (headers, "X-CSRF-Token", csrf);
  if (header != NULL)
    soup_message_headers_replace (headers, header, value);
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }

  bytes = soup_session_send_and_read (srv->session, msg, NULL, &error);
  g_assert_no_error (error);
  resp->status = soup_message_get_status (msg);
  resp->length = g_bytes_get_size (bytes);
  resp->body = g_strndup (g_bytes_get_data (bytes, NULL), resp->length);
  resp->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  type = soup_message_headers_get_content_type (resp->headers, NULL);
  if (resp->length > 0 && g_strcmp0 (type, "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, resp->body, resp->length, &error))
        g_error ("response is not JSON: %s\n%s", error->message, resp->body);
      resp->json = json_node_copy (json_parser_get_root (parser));
      eva_test_check_response (method, path, resp->status, resp->json);
    }
  return resp;
}

static EvaTestResponse *
http (const char *method,
      const char *path,
      Session    *s,
      const char *body)
{
  return http_on (server, method, path, s != NULL ? s->cookie : NULL,
                  s != NULL ? s->csrf : NULL, NULL, NULL, body);
}

static EvaTestResponse *
post (const char *path,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static EvaTestResponse *
post (const char *path,
      const char *format,
      ...)
{
  g_autofree char *body = NULL;
  va_list args;

  va_start (args, format);
  body = g_strdup_vprintf (format, args);
  va_end (args);
  return http ("POST", path, NULL, body);
}

static char *
sql (const char *query,
     const char *param)
{
  return eva_test_sql (server->pg, query, param, NULL);
}

static void
sql_do (const char *query,
        const char *param)
{
  g_free (eva_test_sql (server->pg, query, param, NULL));
}

static gint64
sql_int (const char *query,
         const char *param)
{
  g_autofree char *value = eva_test_sql (server->pg, query, param, NULL);

  g_assert_nonnull (value);
  return g_ascii_strtoll (value, NULL, 10);
}

static void
reset_limits (void)
{
  g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits", NULL));
}

static char *
new_email (const char *prefix)
{
  static int counter;

  return g_strdup_printf ("%s%d.%u@example.test", prefix, ++counter, g_random_int () % 100000);
}

/* The newest link mailed to @email with @template, from the mail itself. */
static char *
mail_link (const char *email,
           const char *template_name)
{
  return eva_test_mail_link (server, email, template_name);
}

static gint64
mail_count (const char *email,
            const char *template_name)
{
  g_autofree char *value =
    eva_test_sql (server->pg,
                  "SELECT count(*) FROM email_outbox "
                  "WHERE lower(to_address) = lower($1) AND template = $2",
                  email, template_name, NULL);

  return g_ascii_strtoll (value, NULL, 10);
}

static char *
link_token (const char *link)
{
  const char *at = link != NULL ? strstr (link, "?token=") : NULL;

  g_assert_nonnull (at);
  return g_strdup (at + strlen ("?token="));
}

static char *
mail_token (const char *email,
            const char *template_name)
{
  g_autofree char *link = mail_link (email, template_name);

  return link_token (link);
}

static EvaTestResponse *
do_register (const char *email,
             const char *password,
             const char *name)
{
  return post ("/api/v1/auth/register",
               "{\"email\":\"%s\",\"password\":\"%s\",\"name\":\"%s\",\"locale\":\"en\"}",
               email, password, name);
}

static EvaTestResponse *
do_login_on (EvaTestServer *srv,
             const char    *email,
             const char    *password,
             const char    *cookie)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}",
                                           email, password);

  return http_on (srv, "POST", "/api/v1/auth/login", cookie, NULL, NULL, NULL, body);
}

static EvaTestResponse *
do_login (const char *email,
          const char *password)
{
  return do_login_on (server, email, password, NULL);
}

static EvaTestResponse *
verify_with (const char *token,
             const char *password)
{
  return post ("/api/v1/auth/verify", "{\"token\":\"%s\",\"password\":\"%s\"}",
               token, password);
}

/* With the password every account here signs up with. */
static EvaTestResponse *
verify (const char *token)
{
  return verify_with (token, PASSWORD);
}

/* The everato_session value a response sets, or NULL. */
static char *
set_cookie_value (EvaTestResponse *resp)
{
  const char *header = eva_test_set_cookie (resp->headers, "everato_session");
  const char *end;

  if (header == NULL || !g_str_has_prefix (header, "everato_session="))
    return NULL;
  header += strlen ("everato_session=");
  end = strchr (header, ';');
  return g_strndup (header, end != NULL ? (gsize) (end - header) : strlen (header));
}

static Session *
session_from (EvaTestResponse *resp)
{
  Session *s = g_new0 (Session, 1);

  eva_test_assert_status (resp, 200);
  s->cookie = set_cookie_value (resp);
  g_assert_nonnull (s->cookie);
  g_assert_cmpuint (strlen (s->cookie), ==, 43);
  s->csrf = g_strdup (eva_test_json_string (resp->json, "csrf_token"));
  g_assert_nonnull (s->csrf);
  g_assert_cmpuint (strlen (s->csrf), ==, 43);
  return s;
}

static Session *
login_session (const char *email,
               const char *password)
{
  g_autoptr(EvaTestResponse) resp = do_login (email, password);

  return session_from (resp);
}

/* A registered (and, if asked, verified) account; returns its id. */
static char *
new_account (const char  *prefix,
             gboolean     verified,
             char       **email)
{
  g_autoptr(EvaTestResponse) reg = NULL;

  *email = new_email (prefix);
  reg = do_register (*email, PASSWORD, "Ada Lovelace");
  eva_test_assert_status (reg, 202);
  if (verified)
    {
      g_autofree char *link = mail_link (*email, "verify_email");
      g_autofree char *token = link_token (link);
      g_autoptr(EvaTestResponse) ok = verify (token);

      eva_test_assert_status (ok, 200);
    }
  return sql ("SELECT id FROM attendees WHERE email = $1", *email);
}

static void
assert_unauthorized (Session *s)
{
  g_autoptr(EvaTestResponse) me = http ("GET", "/api/v1/me", s, NULL);

  eva_test_assert_error (me, 401, "unauthorized");
}

static void
assert_authorized (Session *s)
{
  g_autoptr(EvaTestResponse) me = http ("GET", "/api/v1/me", s, NULL);

  eva_test_assert_status (me, 200);
}

static void
assert_no_secrets (EvaTestResponse *resp)
{
  g_assert_null (strstr (resp->body, "$argon2"));
  g_assert_null (strstr (resp->body, "password"));
}

/* ------------------------------------------------------------------ */
/* The whole journey                                                  */
/* ------------------------------------------------------------------ */

static void
test_full_flow (void)
{
  g_autofree char *email = new_email ("flow");
  g_autoptr(EvaTestResponse) reg = NULL;
  g_autoptr(EvaTestResponse) early = NULL;
  g_autoptr(EvaTestResponse) verified = NULL;
  g_autoptr(EvaTestResponse) me = NULL;
  g_autoptr(EvaTestResponse) patched = NULL;
  g_autoptr(EvaTestResponse) changed = NULL;
  g_autoptr(EvaTestResponse) old_login = NULL;
  g_autoptr(EvaTestResponse) out = NULL;
  g_autoptr(Session) s = NULL;
  g_autoptr(Session) s2 = NULL;
  g_autofree char *id = NULL;
  g_autofree char *link = NULL;
  g_autofree char *token = NULL;
  g_autofree char *hash_hex = NULL;
  guint8 hash[EVA_TOKEN_HASH_BYTES];
  char hex[EVA_TOKEN_HASH_BYTES * 2 + 1];

  reset_limits ();
  reg = post ("/api/v1/auth/register",
              "{\"email\":\"%s\",\"password\":\"%s\",\"name\":\"Grace Hopper\",\"locale\":\"de\"}",
              email, PASSWORD);
  eva_test_assert_status (reg, 202);
  g_assert_cmpstr (eva_test_json_string (reg->json, "status"), ==, "accepted");
  g_assert_nonnull (eva_test_json_string (reg->json, "message"));

  /* Stored unverified, with an argon2id hash and a hashed token only. */
  id = sql ("SELECT id FROM attendees WHERE email = $1 AND status = 'unverified' "
            "AND email_verified_at IS NULL AND name = 'Grace Hopper' AND locale = 'de' "
            "AND password_hash LIKE '$argon2id$%'", email);
  g_assert_nonnull (id);
  link = mail_link (email, "verify_email");
  g_assert_true (g_str_has_prefix (link, PUBLIC_URL "/verify?token="));
  token = link_token (link);
  g_assert_cmpuint (strlen (token), ==, 43);
  eva_token_hash (token, hash);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  hash_hex = sql ("SELECT encode(token_hash, 'hex') FROM attendee_tokens "
                  "WHERE attendee_id = $1 AND purpose = 'verify_email' "
                  "AND expires_at BETWEEN now() + interval '23 hours' AND now() + interval '25 hours'",
                  id);
  g_assert_cmpstr (hash_hex, ==, hex);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_tokens "
                            "WHERE position(convert_to($1, 'UTF8') IN token_hash) > 0", token), ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM email_outbox WHERE to_address = $1 "
                            "AND template = 'verify_email' AND locale = 'de' "
                            "AND payload->>'name' = 'Grace Hopper'", email), ==, 1);

  /* No session before the address is confirmed; only the holder of the
   * password learns why. */
  early = do_login (email, PASSWORD);
  eva_test_assert_error (early, 403, "email_not_verified");
  g_assert_null (set_cookie_value (early));
  {
    g_autoptr(EvaTestResponse) wrong = do_login (email, "not the password at all");

    eva_test_assert_error (wrong, 401, "invalid_credentials");
  }

  verified = verify (token);
  eva_test_assert_status (verified, 200);
  g_assert_cmpstr (eva_test_json_string (verified->json, "id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (verified->json, "status"), ==, "active");
  g_assert_true (eva_test_json_bool (verified->json, "email_verified"));
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 AND status = 'active' "
                            "AND email_verified_at IS NOT NULL", id), ==, 1);

  s = login_session (email, PASSWORD);
  me = http ("GET", "/api/v1/me", s, NULL);
  eva_test_assert_status (me, 200);
  g_assert_cmpstr (eva_test_json_string (me->json, "id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (me->json, "email"), ==, email);
  g_assert_cmpstr (eva_test_json_string (me->json, "name"), ==, "Grace Hopper");
  g_assert_cmpstr (eva_test_json_string (me->json, "locale"), ==, "de");
  g_assert_cmpstr (eva_test_json_string (me->json, "status"), ==, "active");
  g_assert_true (eva_test_json_bool (me->json, "email_verified"));
  g_assert_nonnull (eva_test_json_string (me->json, "created_at"));
  g_assert_cmpstr (eva_test_json_string (me->json, "csrf_token"), ==, s->csrf);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (me->json)), ==, 8);
  assert_no_secrets (me);

  patched = http ("PATCH", "/api/v1/me", s, "{\"name\":\"Rear Admiral Hopper\",\"locale\":\"de-at\"}");
  eva_test_assert_status (patched, 200);
  g_assert_cmpstr (eva_test_json_string (patched->json, "name"), ==, "Rear Admiral Hopper");
  g_assert_cmpstr (eva_test_json_string (patched->json, "locale"), ==, "de-AT");
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 "
                            "AND name = 'Rear Admiral Hopper' AND locale = 'de-AT'", id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'attendee.update' "
                            "AND actor_type = 'attendee' AND actor_id = $1", id), ==, 1);

  /* A second device, then a password change from the first. */
  s2 = login_session (email, PASSWORD);
  changed = http ("POST", "/api/v1/me/password", s,
                  "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"" NEW_PASSWORD "\"}");
  eva_test_assert_status (changed, 204);
  assert_authorized (s);
  assert_unauthorized (s2);
  g_assert_cmpint (mail_count (email, "password_changed"), ==, 1);
  old_login = do_login (email, PASSWORD);
  eva_test_assert_error (old_login, 401, "invalid_credentials");

  out = http ("POST", "/api/v1/auth/logout", s, NULL);
  eva_test_assert_status (out, 204);
  g_assert_true (g_str_has_prefix (eva_test_set_cookie (out->headers, "everato_session"), "everato_session=;"));
  g_assert_nonnull (strstr (eva_test_set_cookie (out->headers, "everato_session"), "Max-Age=0"));
  /* The marker the site's scripts read goes with it. */
  g_assert_true (g_str_has_prefix (eva_test_set_cookie (out->headers, "everato_signed_in"), "everato_signed_in=;"));
  g_assert_nonnull (strstr (eva_test_set_cookie (out->headers, "everato_signed_in"), "Max-Age=0"));
  assert_unauthorized (s);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1 "
                            "AND revoked_at IS NULL", id), ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'attendee.logout' "
                            "AND actor_id = $1", id), ==, 1);

  {
    g_autoptr(Session) again = login_session (email, NEW_PASSWORD);

    assert_authorized (again);
  }
}

/* ------------------------------------------------------------------ */
/* The cookie and the session                                         */
/* ------------------------------------------------------------------ */

static void
assert_cookie_attributes (EvaTestResponse *resp,
                          gboolean         secure)
{
  const char *header = eva_test_set_cookie (resp->headers, "everato_session");
  g_auto(GStrv) parts = NULL;
  gboolean http_only = FALSE, lax = FALSE, path = FALSE, has_secure = FALSE, max_age = FALSE;

  g_assert_nonnull (header);
  parts = g_strsplit (header, ";", -1);
  for (guint i = 1; parts[i] != NULL; i++)
    {
      const char *attr = g_strstrip (parts[i]);

      http_only |= g_ascii_strcasecmp (attr, "HttpOnly") == 0;
      lax |= g_ascii_strcasecmp (attr, "SameSite=Lax") == 0;
      path |= g_strcmp0 (attr, "Path=/") == 0;
      has_secure |= g_ascii_strcasecmp (attr, "Secure") == 0;
      max_age |= g_strcmp0 (attr, "Max-Age=2592000") == 0;
    }
  g_assert_true (http_only);
  g_assert_true (lax);
  g_assert_true (path);
  g_assert_true (max_age);
  g_assert_cmpint (has_secure, ==, secure);

  /* The marker: same lifetime and scope, readable by scripts, no secret. */
  header = eva_test_set_cookie (resp->headers, "everato_signed_in");
  g_assert_nonnull (header);
  g_assert_true (g_str_has_prefix (header, "everato_signed_in=1;"));
  g_assert_nonnull (strstr (header, "Max-Age=2592000"));
  g_assert_nonnull (strstr (header, "SameSite=Lax"));
  g_assert_null (strstr (header, "HttpOnly"));
  g_assert_cmpint (strstr (header, "Secure") != NULL, ==, secure);
}

static void
test_cookie_attributes (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("cookie", TRUE, &email);
  g_autoptr(EvaTestResponse) plain = NULL;
  g_autoptr(EvaTestResponse) reg = NULL;
  g_autoptr(EvaTestResponse) secure = NULL;
  g_autoptr(EvaTestServer) https = NULL;
  const char * const env[] = { "EVERATO_PUBLIC_URL=https://tickets.example", NULL };

  reset_limits ();
  plain = do_login (email, PASSWORD);
  eva_test_assert_status (plain, 200);
  assert_cookie_attributes (plain, FALSE);

  /* Behind https, the cookie is Secure and links use the public URL. */
  https = eva_test_server_start (env);
  reg = http_on (https, "POST", "/api/v1/auth/register", NULL, NULL, NULL, NULL,
                 "{\"email\":\"secure@example.test\",\"password\":\"" PASSWORD "\","
                 "\"name\":\"S\"}");
  eva_test_assert_status (reg, 202);
  {
    g_autofree char *link = eva_test_mail_link (https, "secure@example.test", "verify_email");
    g_autofree char *token = link_token (link);
    g_autofree char *body = g_strdup_printf ("{\"token\":\"%s\",\"password\":\"" PASSWORD "\"}",
                                             token);
    g_autoptr(EvaTestResponse) ok = NULL;

    g_assert_true (g_str_has_prefix (link, "https://tickets.example/verify?token="));
    ok = http_on (https, "POST", "/api/v1/auth/verify", NULL, NULL, NULL, NULL, body);
    eva_test_assert_status (ok, 200);
  }
  secure = do_login_on (https, "secure@example.test", PASSWORD, NULL);
  eva_test_assert_status (secure, 200);
  assert_cookie_attributes (secure, TRUE);
}

static void
test_session_rotation (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("rotate", TRUE, &email);
  g_autoptr(Session) first = NULL;
  g_autoptr(Session) other = NULL;
  g_autoptr(EvaTestResponse) again = NULL;
  g_autofree char *second = NULL;

  reset_limits ();
  first = login_session (email, PASSWORD);
  other = login_session (email, PASSWORD);

  /* Signing in with a session cookie: a new id, the presented one ends,
   * sessions on other devices stay. */
  again = do_login_on (server, email, PASSWORD, first->cookie);
  eva_test_assert_status (again, 200);
  second = set_cookie_value (again);
  g_assert_nonnull (second);
  g_assert_cmpstr (second, !=, first->cookie);
  g_assert_cmpstr (eva_test_json_string (again->json, "csrf_token"), !=, first->csrf);
  assert_unauthorized (first);
  assert_authorized (other);
  {
    Session s = { second, NULL };

    assert_authorized (&s);
  }
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1", id),
                   ==, 3);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1 "
                            "AND revoked_at IS NULL AND expires_at > now() + interval '29 days' "
                            "AND idle_expires_at BETWEEN now() + interval '6 days' "
                            "AND now() + interval '8 days'", id), ==, 2);

  /* Sessions that ended over a week ago are dropped at the next sign-in. */
  sql_do ("UPDATE attendee_sessions SET revoked_at = now() - interval '8 days' "
          "WHERE attendee_id = $1 AND revoked_at IS NOT NULL", id);
  {
    g_autoptr(Session) fourth = login_session (email, PASSWORD);

    g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1",
                              id), ==, 3);
    g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1 "
                              "AND revoked_at IS NOT NULL", id), ==, 0);
  }
}

static char *
cookie_hash (Session *s)
{
  guint8 bin[EVA_TOKEN_HASH_BYTES];
  char hex[EVA_TOKEN_HASH_BYTES * 2 + 1];

  eva_token_hash (s->cookie, bin);
  sodium_bin2hex (hex, sizeof hex, bin, sizeof bin);
  return g_strdup (hex);
}

/* Changes the session row behind a cookie. */
static void
set_on (Session    *s,
        const char *assignments)
{
  g_autofree char *hex = cookie_hash (s);
  g_autofree char *query = g_strconcat ("UPDATE attendee_sessions SET ", assignments,
                                        " WHERE token_hash = decode($1, 'hex')", NULL);

  sql_do (query, hex);
}

static void
test_session_expiry (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("expiry", TRUE, &email);
  g_autoptr(Session) idle = NULL;
  g_autoptr(Session) absolute = NULL;
  g_autoptr(Session) revoked = NULL;
  g_autoptr(Session) sliding = NULL;
  g_autoptr(EvaTestResponse) stale = NULL;
  g_autoptr(EvaTestResponse) none = NULL;
  g_autoptr(EvaTestResponse) garbage = NULL;
  g_autoptr(EvaTestResponse) other_cookies = NULL;
  g_autofree char *hex = NULL;

  reset_limits ();
  idle = login_session (email, PASSWORD);
  absolute = login_session (email, PASSWORD);
  revoked = login_session (email, PASSWORD);
  sliding = login_session (email, PASSWORD);

  set_on (idle, "idle_expires_at = now() - interval '1 second'");
  set_on (absolute, "expires_at = now() - interval '1 second'");
  set_on (revoked, "revoked_at = now()");
  assert_unauthorized (idle);
  assert_unauthorized (absolute);
  assert_unauthorized (revoked);

  /* A 401 for a cookie that leads nowhere also clears it. */
  stale = http ("GET", "/api/v1/me", idle, NULL);
  g_assert_true (g_str_has_prefix (eva_test_set_cookie (stale->headers, "everato_session"), "everato_session=;"));
  g_assert_true (g_str_has_prefix (eva_test_set_cookie (stale->headers, "everato_signed_in"), "everato_signed_in=;"));

  /* The idle deadline slides, written at most once a minute. */
  set_on (sliding, "last_seen_at = now(), idle_expires_at = now() + interval '1 hour'");
  assert_authorized (sliding);
  hex = cookie_hash (sliding);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE token_hash = "
                            "decode($1, 'hex') AND idle_expires_at < now() + interval '2 hours'",
                            hex), ==, 1);
  set_on (sliding, "last_seen_at = now() - interval '2 minutes', "
                   "idle_expires_at = now() + interval '1 minute'");
  assert_authorized (sliding);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE token_hash = "
                            "decode($1, 'hex') AND idle_expires_at > now() + interval '6 days' "
                            "AND last_seen_at > now() - interval '10 seconds'", hex), ==, 1);

  /* No cookie, a made-up one; the right one among others is found. */
  none = http ("GET", "/api/v1/me", NULL, NULL);
  eva_test_assert_error (none, 401, "unauthorized");
  {
    Session fake = { (char *) "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL };

    garbage = http ("GET", "/api/v1/me", &fake, NULL);
    eva_test_assert_error (garbage, 401, "unauthorized");
  }
  {
    g_autofree char *cookies = g_strdup_printf ("theme=dark; everato_session=%s; x=1",
                                                sliding->cookie);

    other_cookies = http_on (server, "GET", "/api/v1/me", NULL, NULL, "Cookie", cookies, NULL);
    eva_test_assert_status (other_cookies, 200);
  }
}

static void
test_unauthenticated_routes (void)
{
  const char *routes[][2] = {
    { "POST", "/api/v1/auth/logout" },
    { "GET", "/api/v1/me" },
    { "PATCH", "/api/v1/me" },
    { "DELETE", "/api/v1/me" },
    { "POST", "/api/v1/me/password" },
  };

  g_autofree char *token = eva_test_token_for_role (server, "super_admin");

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_autoptr(EvaTestResponse) resp = http (routes[i][0], routes[i][1], NULL, "{}");
      g_autoptr(EvaTestResponse) bearer = eva_test_call (server, routes[i][0], routes[i][1],
                                                         token, "{}");

      eva_test_assert_error (resp, 401, "unauthorized");
      /* A staff token is no attendee session. */
      eva_test_assert_error (bearer, 401, "unauthorized");
    }
}

/* ------------------------------------------------------------------ */
/* CSRF                                                               */
/* ------------------------------------------------------------------ */

static void
test_csrf (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("csrf", TRUE, &email);
  g_autoptr(Session) s = NULL;
  const char *body = "{\"name\":\"Changed\"}";
  struct
  {
    const char *csrf;      /* NULL: none; "": the right one */
    const char *header;
    const char *value;
  } refused[] = {
    { NULL, NULL, NULL },
    { "wrong", NULL, NULL },
    { "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL },
    { "", "Origin", "https://evil.example" },
    { "", "Origin", "null" },
    { "", "Origin", "http://localhost:8081" },
    { "", "Origin", "https://localhost:8080" },
    { "", "Sec-Fetch-Site", "cross-site" },
  };

  reset_limits ();
  s = login_session (email, PASSWORD);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      const char *csrf = refused[i].csrf != NULL && *refused[i].csrf == '\0' ? s->csrf
                                                                             : refused[i].csrf;
      g_autoptr(EvaTestResponse) patch =
        http_on (server, "PATCH", "/api/v1/me", s->cookie, csrf,
                 refused[i].header, refused[i].value, body);
      g_autoptr(EvaTestResponse) out =
        http_on (server, "POST", "/api/v1/auth/logout", s->cookie, csrf,
                 refused[i].header, refused[i].value, NULL);
      g_autoptr(EvaTestResponse) del =
        http_on (server, "DELETE", "/api/v1/me", s->cookie, csrf,
                 refused[i].header, refused[i].value, NULL);

      eva_test_assert_error (patch, 403, "csrf_failed");
      eva_test_assert_error (out, 403, "csrf_failed");
      eva_test_assert_error (del, 403, "csrf_failed");
    }
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 "
                            "AND name = 'Ada Lovelace' AND status = 'active'", id), ==, 1);
  assert_authorized (s);

  /* Reading needs no token; a cross-site login is refused too. */
  {
    g_autoptr(EvaTestResponse) read =
      http_on (server, "GET", "/api/v1/me", s->cookie, NULL, "Sec-Fetch-Site", "cross-site", NULL);
    g_autofree char *login_body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}",
                                                   email, PASSWORD);
    g_autoptr(EvaTestResponse) login =
      http_on (server, "POST", "/api/v1/auth/login", NULL, NULL, "Origin",
               "https://evil.example", login_body);

    eva_test_assert_status (read, 200);
    eva_test_assert_error (login, 403, "csrf_failed");
  }

  /* The right token, from the site's own origin (default port spelled
   * out or not), is accepted. */
  {
    g_autoptr(EvaTestResponse) ok1 =
      http_on (server, "PATCH", "/api/v1/me", s->cookie, s->csrf, "Origin", PUBLIC_URL, body);
    g_autoptr(EvaTestResponse) ok2 =
      http_on (server, "PATCH", "/api/v1/me", s->cookie, s->csrf, "Sec-Fetch-Site",
               "same-origin", "{\"name\":\"Same Origin\"}");
    g_autoptr(EvaTestResponse) ok3 =
      http_on (server, "PATCH", "/api/v1/me", s->cookie, s->csrf, NULL, NULL, "{}");

    eva_test_assert_status (ok1, 200);
    g_assert_cmpstr (eva_test_json_string (ok1->json, "name"), ==, "Changed");
    eva_test_assert_status (ok2, 200);
    g_assert_cmpstr (eva_test_json_string (ok2->json, "name"), ==, "Same Origin");
    eva_test_assert_status (ok3, 200);
    g_assert_cmpstr (eva_test_json_string (ok3->json, "name"), ==, "Same Origin");
  }

  /* The address the browser actually used is its own origin too (here
   * 127.0.0.1:port while the public URL says localhost:8080). */
  {
    g_autoptr(EvaTestResponse) same_host =
      http_on (server, "PATCH", "/api/v1/me", s->cookie, s->csrf, "Origin", server->base_url,
               "{\"name\":\"Own Host\"}");

    eva_test_assert_status (same_host, 200);
    g_assert_cmpstr (eva_test_json_string (same_host->json, "name"), ==, "Own Host");
  }

  /* Another session's token does not fit this session. */
  {
    g_autoptr(Session) other = login_session (email, PASSWORD);
    g_autoptr(EvaTestResponse) mixed =
      http_on (server, "PATCH", "/api/v1/me", s->cookie, other->csrf, NULL, NULL, body);

    eva_test_assert_error (mixed, 403, "csrf_failed");
  }
}

/* ------------------------------------------------------------------ */
/* No account enumeration                                             */
/* ------------------------------------------------------------------ */

static void
assert_same (EvaTestResponse *a,
             EvaTestResponse *b)
{
  g_assert_cmpuint (a->status, ==, b->status);
  g_assert_cmpuint (a->length, ==, b->length);
  g_assert_cmpstr (a->body, ==, b->body);
  g_assert_cmpstr (eva_test_header (a, "Content-Type"), ==, eva_test_header (b, "Content-Type"));
}

static void
test_enumeration (void)
{
  g_autofree char *known = NULL;
  g_autofree char *id = new_account ("known", TRUE, &known);
  g_autofree char *pending = NULL;
  g_autofree char *pending_id = new_account ("pending", FALSE, &pending);
  g_autofree char *unknown = new_email ("unknown");
  g_autofree char *unknown2 = new_email ("unknown");
  g_autofree char *hash_before = sql ("SELECT password_hash FROM attendees WHERE id = $1", id);
  gint64 resets_before = mail_count (known, "password_reset");
  gint64 verifies_before = mail_count (pending, "verify_email");

  reset_limits ();

  /* Sign-up: a taken address answers like a free one, and its owner gets
   * a reset hint (active) or a fresh verification link (unverified). */
  {
    g_autoptr(EvaTestResponse) a = do_register (known, "some other password", "Mallory");
    g_autoptr(EvaTestResponse) b = do_register (unknown, "some other password", "Mallory");
    g_autoptr(EvaTestResponse) c = do_register (pending, "some other password", "Mallory");
    g_autofree char *hash_after = sql ("SELECT password_hash FROM attendees WHERE id = $1", id);

    eva_test_assert_status (a, 202);
    assert_same (a, b);
    assert_same (a, c);
    g_assert_cmpstr (hash_before, ==, hash_after);
    g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE lower(email) = lower($1)",
                              known), ==, 1);
    g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE name = 'Mallory' "
                              "AND email = $1", unknown), ==, 1);
    g_assert_cmpint (mail_count (known, "password_reset"), ==, resets_before + 1);
    g_assert_cmpint (mail_count (pending, "verify_email"), ==, verifies_before + 1);
    /* The owner's name in the mail, not the stranger's. */
    g_assert_cmpint (sql_int ("SELECT count(*) FROM email_outbox WHERE to_address = $1 "
                              "AND payload->>'name' = 'Mallory'", known), ==, 0);
  }

  /* Sign-in: unknown address and wrong password look the same. */
  {
    g_autoptr(EvaTestResponse) a = do_login (known, "wrong password here");
    g_autoptr(EvaTestResponse) b = do_login (unknown2, "wrong password here");

    eva_test_assert_error (a, 401, "invalid_credentials");
    assert_same (a, b);
  }

  /* Password reset and verification re-send. */
  {
    g_autofree char *known_body = g_strdup_printf ("{\"email\":\"%s\"}", known);
    g_autofree char *pending_body = g_strdup_printf ("{\"email\":\"%s\"}", pending);
    g_autofree char *unknown_body = g_strdup_printf ("{\"email\":\"%s\"}", unknown2);
    g_autoptr(EvaTestResponse) r1 = http ("POST", "/api/v1/auth/password-reset", NULL, known_body);
    g_autoptr(EvaTestResponse) r2 = http ("POST", "/api/v1/auth/password-reset", NULL, unknown_body);
    g_autoptr(EvaTestResponse) v1 = http ("POST", "/api/v1/auth/verify/resend", NULL, pending_body);
    g_autoptr(EvaTestResponse) v2 = http ("POST", "/api/v1/auth/verify/resend", NULL, unknown_body);
    g_autoptr(EvaTestResponse) v3 = http ("POST", "/api/v1/auth/verify/resend", NULL, known_body);

    eva_test_assert_status (r1, 202);
    assert_same (r1, r2);
    eva_test_assert_status (v1, 202);
    assert_same (v1, v2);
    assert_same (v1, v3);
    g_assert_cmpint (mail_count (known, "password_reset"), ==, resets_before + 2);
    g_assert_cmpint (mail_count (pending, "verify_email"), ==, verifies_before + 2);
    /* Verified accounts need no new verification link; strangers get nothing. */
    g_assert_cmpint (mail_count (known, "verify_email"), ==, 1);
    g_assert_cmpint (mail_count (unknown2, "password_reset") + mail_count (unknown2, "verify_email"),
                     ==, 0);
  }
  reset_limits ();
}

/* ------------------------------------------------------------------ */
/* Links: single use, expiry                                          */
/* ------------------------------------------------------------------ */

static void
test_verify_token (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("vtoken", FALSE, &email);
  g_autofree char *link = mail_link (email, "verify_email");
  g_autofree char *token = link_token (link);
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autoptr(EvaTestResponse) resend = NULL;
  g_autoptr(EvaTestResponse) old = NULL;
  g_autoptr(EvaTestResponse) as_reset = NULL;
  g_autoptr(EvaTestResponse) expired = NULL;
  g_autoptr(EvaTestResponse) ok = NULL;
  g_autoptr(EvaTestResponse) reused = NULL;
  g_autoptr(EvaTestResponse) made_up = NULL;
  g_autofree char *new_link = NULL;
  g_autofree char *new_token = NULL;
  g_autofree char *third = NULL;

  reset_limits ();

  /* A re-send replaces the earlier link. */
  resend = http ("POST", "/api/v1/auth/verify/resend", NULL, body);
  eva_test_assert_status (resend, 202);
  new_link = mail_link (email, "verify_email");
  new_token = link_token (new_link);
  g_assert_cmpstr (new_token, !=, token);
  old = verify (token);
  eva_test_assert_error (old, 400, "invalid_token");

  /* A verification token is no reset token. */
  as_reset = post ("/api/v1/auth/password-reset/confirm",
                   "{\"token\":\"%s\",\"password\":\"" NEW_PASSWORD "\"}", new_token);
  eva_test_assert_error (as_reset, 400, "invalid_token");

  /* Expired. */
  sql_do ("UPDATE attendee_tokens SET expires_at = now() - interval '1 second' "
          "WHERE attendee_id = $1", id);
  expired = verify (new_token);
  eva_test_assert_error (expired, 400, "invalid_token");
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 "
                            "AND status = 'unverified'", id), ==, 1);

  /* A fresh one works once. */
  {
    g_autoptr(EvaTestResponse) again = http ("POST", "/api/v1/auth/verify/resend", NULL, body);

    eva_test_assert_status (again, 202);
  }
  third = mail_token (email, "verify_email");
  ok = verify (third);
  eva_test_assert_status (ok, 200);
  g_assert_cmpstr (eva_test_json_string (ok->json, "status"), ==, "active");
  reused = verify (third);
  eva_test_assert_error (reused, 400, "invalid_token");
  made_up = verify ("not-a-token-at-all");
  eva_test_assert_error (made_up, 400, "invalid_token");
  reset_limits ();
}

static void
test_password_reset (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("reset", TRUE, &email);
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autoptr(Session) a = NULL;
  g_autoptr(Session) b = NULL;
  g_autoptr(EvaTestResponse) asked = NULL;
  g_autoptr(EvaTestResponse) weak = NULL;
  g_autoptr(EvaTestResponse) same = NULL;
  g_autoptr(EvaTestResponse) done = NULL;
  g_autoptr(EvaTestResponse) reused = NULL;
  g_autoptr(EvaTestResponse) old = NULL;
  g_autoptr(EvaTestResponse) expired = NULL;
  g_autofree char *link = NULL;
  g_autofree char *token = NULL;
  g_autofree char *upper = g_ascii_strup (email, -1);

  reset_limits ();
  a = login_session (email, PASSWORD);
  b = login_session (email, PASSWORD);

  asked = http ("POST", "/api/v1/auth/password-reset", NULL, body);
  eva_test_assert_status (asked, 202);
  link = mail_link (email, "password_reset");
  g_assert_true (g_str_has_prefix (link, PUBLIC_URL "/reset-password?token="));
  token = link_token (link);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_tokens WHERE attendee_id = $1 "
                            "AND purpose = 'password_reset' AND expires_at BETWEEN "
                            "now() + interval '55 minutes' AND now() + interval '65 minutes'",
                            id), ==, 1);

  /* A weak password is refused without using the link up. */
  weak = post ("/api/v1/auth/password-reset/confirm",
               "{\"token\":\"%s\",\"password\":\"short\"}", token);
  eva_test_assert_error (weak, 400, "validation_failed");
  g_assert_true (eva_test_json_has (weak->json, "error.details.password"));
  same = post ("/api/v1/auth/password-reset/confirm",
               "{\"token\":\"%s\",\"password\":\"%s\"}", token, upper);
  eva_test_assert_error (same, 400, "validation_failed");
  g_assert_true (eva_test_json_has (same->json, "error.details.password"));

  done = post ("/api/v1/auth/password-reset/confirm",
               "{\"token\":\"%s\",\"password\":\"" NEW_PASSWORD "\"}", token);
  eva_test_assert_status (done, 200);
  g_assert_cmpstr (eva_test_json_string (done->json, "status"), ==, "password_changed");

  /* Every session ended; the address counts as confirmed now. */
  assert_unauthorized (a);
  assert_unauthorized (b);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 AND status = 'active' "
                            "AND email_verified_at IS NOT NULL", id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_tokens WHERE attendee_id = $1 "
                            "AND used_at IS NULL", id), ==, 0);
  g_assert_cmpint (mail_count (email, "password_changed"), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'attendee.password_reset' "
                            "AND target_id = $1", id), ==, 1);

  reused = post ("/api/v1/auth/password-reset/confirm",
                 "{\"token\":\"%s\",\"password\":\"yet another passphrase\"}", token);
  eva_test_assert_error (reused, 400, "invalid_token");
  old = do_login (email, PASSWORD);
  eva_test_assert_error (old, 401, "invalid_credentials");
  {
    g_autoptr(Session) fresh = login_session (email, NEW_PASSWORD);

    assert_authorized (fresh);
  }

  /* An expired link. */
  {
    g_autoptr(EvaTestResponse) again = http ("POST", "/api/v1/auth/password-reset", NULL, body);
    g_autofree char *second = NULL;

    eva_test_assert_status (again, 202);
    second = mail_token (email, "password_reset");
    sql_do ("UPDATE attendee_tokens SET expires_at = now() - interval '1 second' "
            "WHERE attendee_id = $1", id);
    expired = post ("/api/v1/auth/password-reset/confirm",
                    "{\"token\":\"%s\",\"password\":\"yet another passphrase\"}", second);
    eva_test_assert_error (expired, 400, "invalid_token");
  }
  reset_limits ();
}

static void
test_change_password (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("change", TRUE, &email);
  g_autoptr(Session) s = NULL;
  g_autoptr(EvaTestResponse) wrong = NULL;
  g_autoptr(EvaTestResponse) weak = NULL;
  g_autoptr(EvaTestResponse) as_email = NULL;
  g_autoptr(EvaTestResponse) missing = NULL;
  g_autofree char *hash = NULL;

  reset_limits ();
  s = login_session (email, PASSWORD);
  hash = sql ("SELECT password_hash FROM attendees WHERE id = $1", id);

  wrong = http ("POST", "/api/v1/me/password", s,
                "{\"current_password\":\"not my password\",\"new_password\":\"" NEW_PASSWORD "\"}");
  eva_test_assert_error (wrong, 400, "validation_failed");
  g_assert_true (eva_test_json_has (wrong->json, "error.details.current_password"));
  weak = http ("POST", "/api/v1/me/password", s,
               "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"short\"}");
  eva_test_assert_error (weak, 400, "validation_failed");
  g_assert_true (eva_test_json_has (weak->json, "error.details.new_password"));
  {
    g_autofree char *b = g_strdup_printf ("{\"current_password\":\"" PASSWORD "\","
                                          "\"new_password\":\"%s\"}", email);

    as_email = http ("POST", "/api/v1/me/password", s, b);
    eva_test_assert_error (as_email, 400, "validation_failed");
    g_assert_true (eva_test_json_has (as_email->json, "error.details.new_password"));
  }
  missing = http ("POST", "/api/v1/me/password", s, "{\"new_password\":\"" NEW_PASSWORD "\"}");
  eva_test_assert_error (missing, 400, "validation_failed");
  g_assert_true (eva_test_json_has (missing->json, "error.details.current_password"));
  {
    g_autofree char *after = sql ("SELECT password_hash FROM attendees WHERE id = $1", id);

    g_assert_cmpstr (after, ==, hash);
  }

  /* Guessing the current password through a session is throttled too:
   * with the wrong guess above, five failures lock the account. */
  for (int i = 0; i < 4; i++)
    {
      g_autoptr(EvaTestResponse) guess =
        http ("POST", "/api/v1/me/password", s,
              "{\"current_password\":\"guess guess guess\",\"new_password\":\"" NEW_PASSWORD "\"}");

      eva_test_assert_error (guess, 400, "validation_failed");
    }
  {
    g_autoptr(EvaTestResponse) locked =
      http ("POST", "/api/v1/me/password", s,
            "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"" NEW_PASSWORD "\"}");

    eva_test_assert_error (locked, 429, "too_many_attempts");
    g_assert_nonnull (eva_test_header (locked, "Retry-After"));
  }
  reset_limits ();
}

/* ------------------------------------------------------------------ */
/* Rate limits                                                        */
/* ------------------------------------------------------------------ */

static void
test_rate_limits (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("limits", TRUE, &email);
  g_autofree char *unknown = new_email ("limits-unknown");

  reset_limits ();

  /* Sign-in: five failures lock the account, even for the right password. */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(EvaTestResponse) bad = do_login (email, "wrong password here");

      eva_test_assert_error (bad, 401, "invalid_credentials");
    }
  {
    g_autoptr(EvaTestResponse) locked = do_login (email, PASSWORD);
    const char *retry = eva_test_header (locked, "Retry-After");

    eva_test_assert_error (locked, 429, "too_many_attempts");
    g_assert_nonnull (retry);
    g_assert_cmpint (g_ascii_strtoll (retry, NULL, 10), >=, 1);
    g_assert_cmpint (eva_test_json_int (locked->json, "error.details.retry_after"), >=, 1);
  }
  /* An unknown address is counted and locked just the same. */
  for (int i = 0; i < 6; i++)
    {
      g_autoptr(EvaTestResponse) bad = do_login (unknown, "wrong password here");

      g_assert_cmpuint (bad->status, ==, i < 5 ? 401 : 429);
    }
  reset_limits ();

  /* Re-send: three an hour per address, known or not, then 429. */
  {
    const char *addresses[] = { email, unknown };

    for (guint k = 0; k < G_N_ELEMENTS (addresses); k++)
      for (int i = 0; i < 4; i++)
        {
          g_autofree char *b = g_strdup_printf ("{\"email\":\"%s\"}", addresses[k]);
          g_autoptr(EvaTestResponse) resp = http ("POST", "/api/v1/auth/verify/resend", NULL, b);

          if (i < 3)
            eva_test_assert_status (resp, 202);
          else
            {
              eva_test_assert_error (resp, 429, "too_many_attempts");
              g_assert_nonnull (eva_test_header (resp, "Retry-After"));
              g_assert_cmpint (g_ascii_strtoll (eva_test_header (resp, "Retry-After"), NULL, 10),
                               >, 3000);
            }
        }
  }
  reset_limits ();

  /* …and ten an hour from one client, whatever the addresses. */
  for (int i = 0; i < 11; i++)
    {
      g_autofree char *other = new_email ("many");
      g_autofree char *b = g_strdup_printf ("{\"email\":\"%s\"}", other);
      g_autoptr(EvaTestResponse) resp = http ("POST", "/api/v1/auth/password-reset", NULL, b);

      if (i < 10)
        eva_test_assert_status (resp, 202);
      else
        eva_test_assert_error (resp, 429, "too_many_attempts");
    }
  /* Refused requests are not counted: the window holds exactly ten. */
  g_assert_cmpint (sql_int ("SELECT failures FROM rate_limits WHERE key = $1",
                            "att:reset:ip:127.0.0.1"), ==, 10);

  /* The limits are per purpose: a reset limit does not stop re-sends. */
  {
    g_autofree char *b = g_strdup_printf ("{\"email\":\"%s\"}", email);
    g_autoptr(EvaTestResponse) resp = http ("POST", "/api/v1/auth/verify/resend", NULL, b);

    eva_test_assert_status (resp, 202);
  }
  reset_limits ();
}

/* ------------------------------------------------------------------ */
/* Deletion                                                           */
/* ------------------------------------------------------------------ */

static char *
insert_booking (const char *attendee_id,
                const char *email,
                const char *status)
{
  g_autofree char *slug = g_strdup_printf ("ev-%u", g_random_int ());
  g_autofree char *event = eva_test_sql (server->pg,
                                         "INSERT INTO events (slug, title, timezone, starts_at, ends_at) "
                                         "VALUES ($1, 'Show', 'UTC', now() + interval '1 day', "
                                         "now() + interval '2 days') RETURNING id", slug, NULL);

  return eva_test_sql (server->pg,
                       "INSERT INTO bookings (event_id, attendee_id, status, subtotal, total, "
                       "  currency, buyer_email, buyer_name) "
                       "VALUES ($1, $2, $3, 1000, 1000, 'EUR', $4, 'Ada Lovelace') RETURNING id",
                       event, attendee_id, status, email, NULL);
}

static void
test_delete (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("delete", TRUE, &email);
  g_autofree char *booking = insert_booking (id, email, "confirmed");
  g_autofree char *tombstone = g_strdup_printf ("deleted-%s@invalid", id);
  g_autoptr(Session) s = NULL;
  g_autoptr(Session) other = NULL;
  g_autoptr(EvaTestResponse) del = NULL;
  g_autoptr(EvaTestResponse) login = NULL;
  g_autoptr(EvaTestResponse) reg = NULL;

  reset_limits ();
  s = login_session (email, PASSWORD);
  other = login_session (email, PASSWORD);

  del = http ("DELETE", "/api/v1/me", s, NULL);
  eva_test_assert_status (del, 204);
  g_assert_true (g_str_has_prefix (eva_test_set_cookie (del->headers, "everato_session"), "everato_session=;"));

  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 AND status = 'deleted' "
                            "AND email = 'deleted-' || id || '@invalid' AND name = '' "
                            "AND password_hash IS NULL AND deleted_at IS NOT NULL", id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE email = $1", email), ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1", id), ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_tokens WHERE attendee_id = $1", id), ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM bookings WHERE id = $1 AND attendee_id IS NOT NULL "
                            "AND buyer_email = '' AND buyer_name = '' AND total = 1000", booking),
                   ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM email_outbox WHERE to_address = $1 "
                            "AND template = 'account_deleted' AND payload->>'name' = 'Ada Lovelace'",
                            email), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'attendee.delete' "
                            "AND actor_id = $1", id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE target_type = 'attendee' "
                            "AND details::text LIKE '%' || $1 || '%'", email), ==, 0);
  g_assert_nonnull (tombstone);

  assert_unauthorized (s);
  assert_unauthorized (other);
  login = do_login (email, PASSWORD);
  eva_test_assert_error (login, 401, "invalid_credentials");

  /* The address is free for a new account. */
  reg = do_register (email, PASSWORD, "New Ada");
  eva_test_assert_status (reg, 202);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE email = $1 "
                            "AND status = 'unverified' AND name = 'New Ada'", email), ==, 1);
}

/* ------------------------------------------------------------------ */
/* Organizers                                                         */
/* ------------------------------------------------------------------ */

static void
test_admin_disable (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("disable", TRUE, &email);
  g_autofree char *organizer = eva_test_token_for_role (server, "organizer");
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/attendees/%s/disable", id);
  g_autofree char *enable_path = g_strdup_printf ("/api/v1/admin/attendees/%s/enable", id);
  g_autoptr(Session) s = NULL;
  g_autoptr(EvaTestResponse) forbidden = NULL;
  g_autoptr(EvaTestResponse) disabled = NULL;
  g_autoptr(EvaTestResponse) twice = NULL;
  g_autoptr(EvaTestResponse) right = NULL;
  g_autoptr(EvaTestResponse) wrong = NULL;
  g_autoptr(EvaTestResponse) enabled = NULL;

  reset_limits ();
  s = login_session (email, PASSWORD);

  forbidden = eva_test_call (server, "POST", path, door, NULL);
  eva_test_assert_error (forbidden, 403, "forbidden");

  disabled = eva_test_call (server, "POST", path, organizer, NULL);
  eva_test_assert_status (disabled, 200);
  g_assert_cmpstr (eva_test_json_string (disabled->json, "status"), ==, "disabled");
  g_assert_nonnull (eva_test_json_string (disabled->json, "disabled_at"));
  assert_unauthorized (s);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1 "
                            "AND revoked_at IS NULL", id), ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'attendee.disable' "
                            "AND actor_type = 'staff' AND target_type = 'attendee' "
                            "AND target_id = $1", id), ==, 1);
  twice = eva_test_call (server, "POST", path, organizer, NULL);
  eva_test_assert_status (twice, 200);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM audit_log WHERE action = 'attendee.disable' "
                            "AND target_id = $1", id), ==, 1);

  /* The right password says "disabled"; a wrong one says nothing. */
  right = do_login (email, PASSWORD);
  eva_test_assert_error (right, 403, "account_disabled");
  g_assert_null (eva_test_header (right, "Set-Cookie"));
  wrong = do_login (email, "wrong password here");
  eva_test_assert_error (wrong, 401, "invalid_credentials");

  /* A session that survived (made by hand) is refused all the same. */
  {
    g_autoptr(EvaTestResponse) reset = post ("/api/v1/auth/password-reset", "{\"email\":\"%s\"}",
                                             email);

    eva_test_assert_status (reset, 202);
    g_assert_null (mail_link (email, "password_reset"));
    sql_do ("UPDATE attendee_sessions SET revoked_at = NULL WHERE attendee_id = $1", id);
    assert_unauthorized (s);
  }

  enabled = eva_test_call (server, "POST", enable_path, organizer, NULL);
  eva_test_assert_status (enabled, 200);
  g_assert_cmpstr (eva_test_json_string (enabled->json, "status"), ==, "active");
  g_assert_true (eva_test_json_get (enabled->json, "disabled_at") != NULL &&
                 JSON_NODE_HOLDS_NULL (eva_test_json_get (enabled->json, "disabled_at")));
  {
    g_autoptr(Session) again = login_session (email, PASSWORD);

    assert_authorized (again);
  }

  /* Unknown and malformed ids; a deleted account. */
  {
    g_autoptr(EvaTestResponse) unknown =
      eva_test_call (server, "POST", "/api/v1/admin/attendees/00000000-0000-4000-8000-000000000000/disable",
                     organizer, NULL);
    g_autoptr(EvaTestResponse) malformed =
      eva_test_call (server, "POST", "/api/v1/admin/attendees/nope/enable", organizer, NULL);
    g_autofree char *gone_email = NULL;
    g_autofree char *gone = new_account ("gone", TRUE, &gone_email);
    g_autofree char *gone_path = g_strdup_printf ("/api/v1/admin/attendees/%s/enable", gone);
    g_autoptr(EvaTestResponse) deleted = NULL;

    eva_test_assert_error (unknown, 404, "not_found");
    eva_test_assert_error (malformed, 404, "not_found");
    sql_do ("UPDATE attendees SET status = 'deleted', deleted_at = now() WHERE id = $1", gone);
    deleted = eva_test_call (server, "POST", gone_path, organizer, NULL);
    eva_test_assert_error (deleted, 409, "account_deleted");
  }
  reset_limits ();
}

static void
test_admin_list (void)
{
  g_autofree char *organizer = eva_test_token_for_role (server, "organizer");
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *marker = g_strdup_printf ("zq%u", g_random_int () % 1000000);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  int pages = 0;

  reset_limits ();
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *email = g_strdup_printf ("%s-%d@example.test", marker, i);
      g_autoptr(EvaTestResponse) reg = do_register (email, PASSWORD, i == 4 ? "Zed Special" : "Listed");

      eva_test_assert_status (reg, 202);
      g_ptr_array_add (ids, sql ("SELECT id FROM attendees WHERE email = $1", email));
    }
  /* All with the same created_at: the id breaks the tie. */
  sql_do ("UPDATE attendees SET created_at = '2025-01-01T00:00:00Z' "
          "WHERE email LIKE $1 || '-%'", marker);

  do
    {
      g_autofree char *path = cursor != NULL
        ? g_strdup_printf ("/api/v1/admin/attendees?q=%s&limit=2&cursor=%s", marker, cursor)
        : g_strdup_printf ("/api/v1/admin/attendees?q=%s&limit=2", marker);
      g_autoptr(EvaTestResponse) page = eva_test_call (server, "GET", path, organizer, NULL);
      JsonArray *items;

      eva_test_assert_status (page, 200);
      g_assert_cmpint (eva_test_json_int (page->json, "total"), ==, 5);
      items = json_node_get_array (eva_test_json_get (page->json, "items"));
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);

          g_assert_true (g_hash_table_add (seen, g_strdup (json_object_get_string_member (item, "id"))));
          g_assert_true (json_object_has_member (item, "email_verified"));
          g_assert_false (json_object_has_member (item, "password_hash"));
        }
      g_clear_pointer (&cursor, g_free);
      if (!JSON_NODE_HOLDS_NULL (eva_test_json_get (page->json, "next_cursor")))
        cursor = g_strdup (eva_test_json_string (page->json, "next_cursor"));
      pages++;
    }
  while (cursor != NULL && pages < 10);
  g_assert_cmpint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 5);
  for (guint i = 0; i < ids->len; i++)
    g_assert_true (g_hash_table_contains (seen, g_ptr_array_index (ids, i)));

  /* Search by name, filter by status. */
  {
    g_autoptr(EvaTestResponse) by_name =
      eva_test_call (server, "GET", "/api/v1/admin/attendees?q=zed%20SPECIAL", organizer, NULL);
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/attendees?q=%s&status=active", marker);
    g_autoptr(EvaTestResponse) active = NULL;
    g_autoptr(EvaTestResponse) unverified = NULL;
    g_autofree char *path2 = g_strdup_printf ("/api/v1/admin/attendees?q=%s&status=unverified",
                                              marker);

    eva_test_assert_status (by_name, 200);
    g_assert_cmpint (eva_test_json_int (by_name->json, "total"), ==, 1);
    g_assert_cmpstr (eva_test_json_string (by_name->json, "items.0.id"), ==,
                     g_ptr_array_index (ids, 4));
    sql_do ("UPDATE attendees SET status = 'active', email_verified_at = now() WHERE id = $1",
            g_ptr_array_index (ids, 1));
    active = eva_test_call (server, "GET", path, organizer, NULL);
    eva_test_assert_status (active, 200);
    g_assert_cmpint (eva_test_json_int (active->json, "total"), ==, 1);
    g_assert_cmpstr (eva_test_json_string (active->json, "items.0.id"), ==, g_ptr_array_index (ids, 1));
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (active->json, "next_cursor")));
    unverified = eva_test_call (server, "GET", path2, organizer, NULL);
    g_assert_cmpint (eva_test_json_int (unverified->json, "total"), ==, 4);
  }

  /* Details count bookings. */
  {
    const char *id = g_ptr_array_index (ids, 0);
    g_autofree char *b1 = insert_booking (id, "x@example.test", "confirmed");
    g_autofree char *b2 = insert_booking (id, "x@example.test", "confirmed");
    g_autofree char *b3 = insert_booking (id, "x@example.test", "cancelled");
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/attendees/%s", id);
    g_autoptr(EvaTestResponse) details = eva_test_call (server, "GET", path, organizer, NULL);
    g_autoptr(EvaTestResponse) denied = eva_test_call (server, "GET", path, door, NULL);
    g_autoptr(EvaTestResponse) unknown =
      eva_test_call (server, "GET", "/api/v1/admin/attendees/00000000-0000-4000-8000-000000000000",
                     organizer, NULL);

    eva_test_assert_status (details, 200);
    g_assert_cmpstr (eva_test_json_string (details->json, "id"), ==, id);
    g_assert_cmpint (eva_test_json_int (details->json, "bookings.total"), ==, 3);
    g_assert_cmpint (eva_test_json_int (details->json, "bookings.confirmed"), ==, 2);
    g_assert_cmpint (eva_test_json_int (details->json, "bookings.cancelled"), ==, 1);
    g_assert_cmpint (eva_test_json_int (details->json, "bookings.refunded"), ==, 0);
    assert_no_secrets (details);
    eva_test_assert_error (denied, 403, "forbidden");
    eva_test_assert_error (unknown, 404, "not_found");
  }

  /* Bad queries. */
  {
    const char *bad[] = {
      "/api/v1/admin/attendees?limit=0",
      "/api/v1/admin/attendees?limit=101",
      "/api/v1/admin/attendees?limit=99999999999999999999",
      "/api/v1/admin/attendees?limit=abc",
      "/api/v1/admin/attendees?status=gone",
      "/api/v1/admin/attendees?cursor=!!!",
      "/api/v1/admin/attendees?cursor=bm90IGEgY3Vyc29y",
      "/api/v1/admin/attendees?cursor=MjAyNS0wMS0wMVQwMDowMDowMFp8bm90LWEtdXVpZA",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", bad[i], organizer, NULL);

        eva_test_assert_error (resp, 400, "validation_failed");
      }
  }
  {
    g_autoptr(EvaTestResponse) sqlish =
      eva_test_call (server, "GET", "/api/v1/admin/attendees?q=%27%3B%20DROP%20TABLE%20attendees%3B--",
                     organizer, NULL);

    eva_test_assert_status (sqlish, 200);
    g_assert_cmpint (eva_test_json_int (sqlish->json, "total"), ==, 0);
  }
}

/* ------------------------------------------------------------------ */
/* Bad input                                                          */
/* ------------------------------------------------------------------ */

static void
expect_400 (const char *method,
            const char *path,
            Session    *s,
            const char *body)
{
  g_autoptr(EvaTestResponse) resp = http (method, path, s, body);

  if (resp->status != 400)
    g_error ("%s %s %s: expected 400, got %u: %s", method, path, body, resp->status, resp->body);
  g_assert_true (g_strcmp0 (eva_test_json_string (resp->json, "error.code"), "validation_failed") == 0 ||
                 g_strcmp0 (eva_test_json_string (resp->json, "error.code"), "invalid_json") == 0);
}

static void
test_bad_input (void)
{
  g_autofree char *email = NULL;
  g_autofree char *id = new_account ("bad", TRUE, &email);
  g_autofree char *huge = g_strnfill (5000, 'x');
  g_autofree char *huge_name = g_strdup_printf ("{\"name\":\"%s\"}", huge);
  g_autofree char *huge_email = g_strdup_printf ("{\"email\":\"%s@example.test\",\"password\":\""
                                                 PASSWORD "\",\"name\":\"x\"}", huge);
  g_autofree char *huge_password = g_strnfill (1100, 'p');
  g_autofree char *huge_pw_body = g_strdup_printf ("{\"email\":\"a@example.test\",\"password\":\"%s\","
                                                   "\"name\":\"x\"}", huge_password);
  g_autoptr(Session) s = NULL;
  const char *public_bodies[][2] = {
    { "/api/v1/auth/register", "{" },
    { "/api/v1/auth/register", "[]" },
    { "/api/v1/auth/register", "{}" },
    { "/api/v1/auth/register", "{\"email\":1,\"password\":\"" PASSWORD "\",\"name\":\"x\"}" },
    { "/api/v1/auth/register", "{\"email\":\"not-an-email\",\"password\":\"" PASSWORD "\",\"name\":\"x\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"short\",\"name\":\"x\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"a@example.test\",\"name\":\"x\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"x\\u0000y\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"a\\nb\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"x\",\"locale\":\"fr\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"x\",\"locale\":\"de_AT\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"x\",\"locale\":\"de-AT-x-y\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"x\",\"locale\":5}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":\"" PASSWORD "\",\"name\":\"x\",\"admin\":true}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":1e400,\"name\":\"x\"}" },
    { "/api/v1/auth/register", "{\"email\":\"a@example.test\",\"password\":null,\"name\":\"x\"}" },
    { "/api/v1/auth/login", "{\"email\":\"a@example.test\"}" },
    { "/api/v1/auth/login", "{\"email\":\"a@example.test\",\"password\":99999999999999999999}" },
    { "/api/v1/auth/login", "{\"email\":\"a@example.test\",\"password\":\"\"}" },
    { "/api/v1/auth/login", "{\"email\":\"a@example.test\",\"password\":\"x\",\"remember\":true}" },
    { "/api/v1/auth/verify", "{}" },
    { "/api/v1/auth/verify", "{\"token\":123}" },
    { "/api/v1/auth/verify", "{\"token\":\"\"}" },
    { "/api/v1/auth/verify", "{\"token\":\"a\",\"extra\":1}" },
    { "/api/v1/auth/verify/resend", "{\"email\":\"nope\"}" },
    { "/api/v1/auth/verify/resend", "{\"email\":[\"a@example.test\"]}" },
    { "/api/v1/auth/password-reset", "{\"email\":\"a@example.test\",\"x\":1}" },
    { "/api/v1/auth/password-reset", "{\"email\":\"a\\u0000@example.test\"}" },
    { "/api/v1/auth/password-reset/confirm", "{\"token\":\"abc\"}" },
    { "/api/v1/auth/password-reset/confirm", "{\"token\":\"abc\",\"password\":\"short\"}" },
    { "/api/v1/auth/password-reset/confirm", "{\"token\":false,\"password\":\"" PASSWORD "\"}" },
  };
  const char *me_bodies[] = {
    "{",
    "{\"name\":null}",
    "{\"name\":5}",
    "{\"name\":\"a\\u0000b\"}",
    "{\"locale\":\"xx\"}",
    "{\"locale\":\"\"}",
    "{\"locale\":\"en-\"}",
    "{\"email\":\"new@example.test\"}",
    "{\"status\":\"active\"}",
  };

  reset_limits ();
  s = login_session (email, PASSWORD);

  for (guint i = 0; i < G_N_ELEMENTS (public_bodies); i++)
    expect_400 ("POST", public_bodies[i][0], NULL, public_bodies[i][1]);
  expect_400 ("POST", "/api/v1/auth/register", NULL, huge_email);
  expect_400 ("POST", "/api/v1/auth/register", NULL, huge_pw_body);
  for (guint i = 0; i < G_N_ELEMENTS (me_bodies); i++)
    expect_400 ("PATCH", "/api/v1/me", s, me_bodies[i]);
  expect_400 ("PATCH", "/api/v1/me", s, huge_name);
  expect_400 ("POST", "/api/v1/me/password", s, "{\"current_password\":1,\"new_password\":\"" NEW_PASSWORD "\"}");
  expect_400 ("POST", "/api/v1/me/password", s, "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"" NEW_PASSWORD "\",\"x\":1}");
  expect_400 ("POST", "/api/v1/auth/logout", s, "{\"everything\":true}");
  expect_400 ("DELETE", "/api/v1/me", s, "{\"really\":true}");

  /* No body where one is needed; the wrong media type. */
  {
    g_autoptr(EvaTestResponse) empty = http ("POST", "/api/v1/auth/register", NULL, NULL);
    g_autoptr(EvaTestResponse) text = eva_test_request (server, "POST", "/api/v1/auth/login", NULL,
                                                        "text/plain", "{}", -1);

    eva_test_assert_error (empty, 400, "invalid_json");
    eva_test_assert_error (text, 415, "unsupported_media_type");
  }

  /* Nothing above changed the account or made one. */
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 AND name = 'Ada Lovelace' "
                            "AND locale = 'en' AND status = 'active'", id), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE email = $1", "a@example.test"),
                   ==, 0);
  assert_authorized (s);

  /* The name is optional, and may be cleared. */
  {
    g_autofree char *nameless = new_email ("nameless");
    g_autofree char *b = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"" PASSWORD "\"}",
                                          nameless);
    g_autoptr(EvaTestResponse) reg = http ("POST", "/api/v1/auth/register", NULL, b);
    g_autoptr(EvaTestResponse) cleared = http ("PATCH", "/api/v1/me", s, "{\"name\":\"\"}");

    eva_test_assert_status (reg, 202);
    g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE email = $1 AND name = '' "
                              "AND locale = 'en'", nameless), ==, 1);
    eva_test_assert_status (cleared, 200);
    g_assert_cmpstr (eva_test_json_string (cleared->json, "name"), ==, "");
  }

  /* SQL-looking and non-ASCII text is stored verbatim. */
  {
    g_autoptr(EvaTestResponse) odd =
      http ("PATCH", "/api/v1/me", s, "{\"name\":\"Robert'); DROP TABLE attendees;-- \\u00e9\"}");

    eva_test_assert_status (odd, 200);
    g_assert_cmpstr (eva_test_json_string (odd->json, "name"), ==,
                     "Robert'); DROP TABLE attendees;-- \xc3\xa9");
  }
  {
    g_autofree char *b = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"" PASSWORD "\","
                                          "\"name\":\"Q\",\"locale\":\"EN-gb\"}",
                                          "Mixed.Case@Example.Test");
    g_autoptr(EvaTestResponse) reg = http ("POST", "/api/v1/auth/register", NULL, b);
    g_autoptr(EvaTestResponse) lower = do_login ("mixed.case@example.test", PASSWORD);

    eva_test_assert_status (reg, 202);
    g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE email = $1 AND locale = 'en-GB'",
                              "Mixed.Case@Example.Test"), ==, 1);
    /* Found in any case, the password right: only the confirmation is missing
     * (an unknown address would be 401). */
    eva_test_assert_error (lower, 403, "email_not_verified");
  }
  reset_limits ();
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                        */
/* ------------------------------------------------------------------ */

typedef struct
{
  guint pending;
  guint n_202;
  guint n_other;
} Race;

static void
race_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Race *race = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (bytes != NULL && soup_message_get_status (msg) == 202)
    race->n_202++;
  else
    race->n_other++;
  race->pending--;
}

static void
test_register_race (void)
{
  g_autofree char *email = new_email ("race");
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"" PASSWORD "\","
                                           "\"name\":\"Racer\"}", email);
  g_autofree char *url = g_strconcat (server->base_url, "/api/v1/auth/register", NULL);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  Race race = { 0, };

  reset_limits ();
  for (guint i = 0; i < 4; i++)
    {
      SoupMessage *msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      g_ptr_array_add (messages, msg);
      race.pending++;
      soup_session_send_and_read_async (server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                        race_sent_cb, &race);
    }
  while (race.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  /* Same answer for all; one account. */
  g_assert_cmpuint (race.n_202, ==, 4);
  g_assert_cmpuint (race.n_other, ==, 0);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE email = $1", email), ==, 1);
}

/* ------------------------------------------------------------------ */
/* Account pre-hijacking                                              */
/* ------------------------------------------------------------------ */

/* Mallory signs up first with Victoria's address. She never gets a
 * session on it, her link is useless to Victoria, and once Victoria signs
 * up and verifies, only Victoria's password opens it and any session that
 * existed is gone. */
static void
test_prehijack (void)
{
  g_autofree char *email = new_email ("victoria");
  g_autofree char *first_token = NULL;
  g_autofree char *victim_token = NULL;
  g_autofree char *resent_token = NULL;
  g_autofree char *planted = eva_random_token (32);
  g_autofree char *planted_hash = eva_auth_token_hash_hex (planted);
  g_autofree char *resend_body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autofree char *id = NULL;
  g_autofree char *planted_cookie = NULL;
  Session planted_session = { NULL, NULL };
  const char *mallory = "mallory's own password 1";
  const char *victoria = "victoria's real password 2";

  reset_limits ();

  /* Mallory: signed up, but no session. */
  {
    g_autoptr(EvaTestResponse) reg = do_register (email, mallory, "Mallory");
    g_autoptr(EvaTestResponse) login = NULL;

    eva_test_assert_status (reg, 202);
    login = do_login (email, mallory);
    eva_test_assert_error (login, 403, "email_not_verified");
    g_assert_null (set_cookie_value (login));
  }
  first_token = mail_token (email, "verify_email");
  id = sql ("SELECT id FROM attendees WHERE email = $1", email);
  g_assert_nonnull (id);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_sessions WHERE attendee_id = $1", id),
                   ==, 0);

  /* A session from before these rules (or made any other way) is
   * planted: it admits nothing while the address is unconfirmed. */
  g_free (eva_test_sql (server->pg,
                        "INSERT INTO attendee_sessions (attendee_id, token_hash, csrf_token,"
                        " idle_expires_at, expires_at) VALUES ($1::uuid, decode($2, 'hex'), 'x',"
                        " now() + interval '1 day', now() + interval '1 day') RETURNING id",
                        id, planted_hash, NULL));
  planted_cookie = g_strdup (planted);
  planted_session.cookie = planted_cookie;
  {
    g_autoptr(EvaTestResponse) me = http ("GET", "/api/v1/me", &planted_session, NULL);

    eva_test_assert_error (me, 401, "unauthorized");
  }

  /* Mallory's link in Victoria's mailbox is useless to Victoria: using it
   * needs Mallory's password. Without a password nothing is used up. */
  {
    g_autoptr(EvaTestResponse) bare = post ("/api/v1/auth/verify", "{\"token\":\"%s\"}",
                                            first_token);
    g_autoptr(EvaTestResponse) guessed = verify_with (first_token, victoria);

    eva_test_assert_error (bare, 400, "password_required");
    eva_test_assert_error (guessed, 400, "validation_failed");
    g_assert_true (eva_test_json_has (guessed->json, "error.details.password"));
    g_assert_cmpint (sql_int ("SELECT count(*) FROM attendees WHERE id = $1 "
                              "AND status = 'unverified'", id), ==, 1);
  }

  /* Victoria signs up with her own password: the account keeps Mallory's
   * until a link is used, and Mallory's link dies. */
  {
    g_autoptr(EvaTestResponse) reg = do_register (email, victoria, "Victoria");
    g_autoptr(EvaTestResponse) old = NULL;

    eva_test_assert_status (reg, 202);
    victim_token = mail_token (email, "verify_email");
    g_assert_cmpstr (victim_token, !=, first_token);
    old = verify_with (first_token, mallory);
    eva_test_assert_error (old, 400, "invalid_token");
  }

  /* Mallory asks for the link again: it still carries Victoria's password. */
  {
    g_autoptr(EvaTestResponse) resend = http ("POST", "/api/v1/auth/verify/resend", NULL,
                                              resend_body);

    eva_test_assert_status (resend, 202);
    resent_token = mail_token (email, "verify_email");
    g_assert_cmpstr (resent_token, !=, victim_token);
  }

  /* Victoria verifies with the newest link, which only her password opens. */
  {
    g_autoptr(EvaTestResponse) as_mallory_link = verify_with (resent_token, mallory);
    g_autoptr(EvaTestResponse) ok = verify_with (resent_token, victoria);
    g_autoptr(EvaTestResponse) as_mallory = NULL;
    g_autoptr(EvaTestResponse) as_victoria = NULL;
    g_autoptr(EvaTestResponse) me = NULL;

    eva_test_assert_error (as_mallory_link, 400, "validation_failed");
    eva_test_assert_status (ok, 200);
    g_assert_cmpstr (eva_test_json_string (ok->json, "status"), ==, "active");

    as_mallory = do_login (email, mallory);
    eva_test_assert_error (as_mallory, 401, "invalid_credentials");
    as_victoria = do_login (email, victoria);
    eva_test_assert_status (as_victoria, 200);

    me = http ("GET", "/api/v1/me", &planted_session, NULL);
    eva_test_assert_error (me, 401, "unauthorized");
  }
  g_assert_cmpint (sql_int ("SELECT count(*) FROM attendee_tokens WHERE attendee_id = $1 "
                            "AND used_at IS NULL", id), ==, 0);
  reset_limits ();
}

int
main (int   argc,
      char *argv[])
{
  const char * const env[] = { "EVERATO_PUBLIC_URL=" PUBLIC_URL "/", NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  server = eva_test_server_start (env);

  g_test_add_func ("/accounts/flow", test_full_flow);
  g_test_add_func ("/accounts/session/cookie-attributes", test_cookie_attributes);
  g_test_add_func ("/accounts/session/rotation", test_session_rotation);
  g_test_add_func ("/accounts/session/expiry", test_session_expiry);
  g_test_add_func ("/accounts/session/unauthenticated", test_unauthenticated_routes);
  g_test_add_func ("/accounts/csrf", test_csrf);
  g_test_add_func ("/accounts/enumeration", test_enumeration);
  g_test_add_func ("/accounts/verify/token", test_verify_token);
  g_test_add_func ("/accounts/verify/prehijack", test_prehijack);
  g_test_add_func ("/accounts/password/reset", test_password_reset);
  g_test_add_func ("/accounts/password/change", test_change_password);
  g_test_add_func ("/accounts/rate-limits", test_rate_limits);
  g_test_add_func ("/accounts/delete", test_delete);
  g_test_add_func ("/accounts/admin/disable", test_admin_disable);
  g_test_add_func ("/accounts/admin/list", test_admin_list);
  g_test_add_func ("/accounts/bad-input", test_bad_input);
  g_test_add_func ("/accounts/register/race", test_register_race);

  ret = g_test_run ();
  eva_test_server_free (server);
  return ret;
}
