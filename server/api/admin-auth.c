/* api/admin-auth.c: staff sign-in, token refresh, sign-out, "who am I"
 *
 * Sign-in gives a short-lived access token (stateless, see eva-auth.c) and
 * a refresh token (random, single use, rotated within its family, see
 * services/staff.c). The signature of an access token is checked without
 * the database, but the router then confirms on every request that its
 * sign-in still stands and takes the account's role as it is now
 * (http/eva-router.c): a role change, a disabled account or a sign-out
 * takes effect on the next request, not when the token expires.
 * Disabling or deleting an account also revokes its refresh tokens.
 *
 * Everything that touches the database runs on a pool thread through
 * eva_request_run(); argon2id (about 100 ms, 64 MiB) runs on the small
 * hashing pool (eva_request_run_hash()) between the two database stages
 * of a sign-in, so bookings never wait behind it.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-admin-auth"

#include "config.h"

#include <sodium.h>

#include "api/eva-api.h"
#include "core/eva-auth.h"
#include "services/staff.h"

#define EMAIL_MAX_BYTES 254

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_login_lookup[] =
  "SELECT id, role, password_hash, disabled_at IS NOT NULL "
  "FROM staff WHERE lower (email) = lower ($1)";

/* Only if nothing changed since the password was checked. */
static const char sql_login_update[] =
  "UPDATE staff SET last_login_at = now (), password_hash = coalesce ($3, password_hash) "
  "WHERE id = $1::uuid AND password_hash = $2 AND disabled_at IS NULL "
  "RETURNING role, eva_staff_json (staff)::text";

static const char sql_refresh_lookup[] =
  "SELECT s.id, s.staff_id, s.family_id, s.used_at IS NOT NULL, s.revoked_at IS NOT NULL, "
  "       s.expires_at <= now (), s.expires_at, st.role, st.disabled_at IS NOT NULL, "
  "       eva_staff_json (st)::text "
  "FROM staff_sessions s JOIN staff st ON st.id = s.staff_id "
  "WHERE s.token_hash = decode ($1, 'hex') "
  "FOR UPDATE OF s";

static const char sql_refresh_use[] =
  "UPDATE staff_sessions SET used_at = now () WHERE id = $1::uuid";

/* The caller's current family, and the family of a refresh token they
 * hand in if it is theirs. */
static const char sql_logout[] =
  "UPDATE staff_sessions SET revoked_at = now () "
  "WHERE staff_id = $1::uuid AND revoked_at IS NULL "
  "  AND (family_id = $2::uuid OR family_id = "
  "       (SELECT family_id FROM staff_sessions "
  "        WHERE token_hash = decode ($3, 'hex') AND staff_id = $1::uuid))";

static const char sql_me[] =
  "SELECT eva_staff_json (s)::text FROM staff s "
  "WHERE s.id = $1::uuid AND s.disabled_at IS NULL";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_invalid_credentials (EvaRequest *req)
{
  /* One body for "no such account" and "wrong password". */
  eva_request_reply_error (req, 401, "invalid_credentials", NULL,
                           "The email address or password is not correct");
}

static void
reply_invalid_refresh (EvaRequest *req)
{
  eva_request_reply_error (req, 401, "invalid_refresh_token", NULL,
                           "The refresh token is not valid; sign in again");
}

/* 200 with a token pair. Tokens are base64url (plus '.'), so they need no
 * escaping; @staff_json is PostgreSQL's rendering of the account. */
static void
reply_tokens (EvaRequest *req,
              const char *staff_id,
              const char *role_text,
              const char *family_id,
              const char *refresh_token,
              const char *staff_json)
{
  g_autofree char *access = NULL;
  g_autofree char *body = NULL;
  EvaRole role;

  if (!eva_role_from_string (role_text, &role))
    {
      g_warning ("[%s] staff %s has an unknown role", req->request_id, staff_id);
      eva_request_reply_error (req, 500, "internal_error", NULL, "Internal server error");
      return;
    }

  access = eva_auth_issue_access_token (eva_request_get_token_key (req),
                                        staff_id, role, family_id,
                                        g_get_real_time () / G_USEC_PER_SEC,
                                        EVA_ACCESS_TOKEN_TTL);
  body = g_strdup_printf ("{\"access_token\":\"%s\",\"refresh_token\":\"%s\","
                          "\"expires_in\":%d,\"token_type\":\"Bearer\",\"staff\":%s}",
                          access, refresh_token, EVA_ACCESS_TOKEN_TTL, staff_json);
  eva_request_reply_json_text (req, 200, body);
}

/* ------------------------------------------------------------------ */
/* Sign-in                                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *email;
  char *password;
  char *user_agent;
  /* Between the stages (database → hashing pool → database): */
  char *staff_id;      /* NULL: no such account */
  char *hash;
  char *new_hash;
  gboolean disabled;
  gboolean password_ok;
} Login;

static void
login_free (gpointer data)
{
  Login *login = data;

  g_free (login->email);
  if (login->password != NULL)
    sodium_memzero (login->password, strlen (login->password));
  g_free (login->password);
  g_free (login->user_agent);
  g_free (login->staff_id);
  g_free (login->hash);
  g_free (login->new_hash);
  g_free (login);
}

static void
login_failed (EvaRequest *req,
              EvaDbConn  *conn,
              const char *email,
              const char *staff_id,
              const char *reason)
{
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (details, "email", email);
  json_object_set_string_member (details, "reason", reason);
  if (!eva_staff_audit (conn, req, NULL, "staff.login_failed", staff_id, details, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (g_str_equal (reason, "disabled"))
    eva_request_reply_error (req, 403, "account_disabled", NULL,
                             "This account is disabled; ask an administrator");
  else
    reply_invalid_credentials (req);
}

/* Stage 1, on the database pool: the throttle, then the account. */
static void
login_lookup_work (EvaRequest *req,
                   EvaDbConn  *conn,
                   gpointer    data)
{
  Login *login = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) found = NULL;
  g_autofree char *lower = g_utf8_strdown (login->email, -1);
  g_autofree char *account_key = g_strconcat ("staff:acct:", lower, NULL);
  g_autofree char *address_key = g_strconcat ("staff:ip:", req->client_ip, NULL);
  gint64 retry_after = 0;

  /* A locked key refuses before the password is even looked at. */
  if (!eva_staff_throttle_claim (conn, account_key, address_key, &retry_after, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (retry_after > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
      g_autoptr(JsonObject) retry = json_object_new ();

      json_object_set_int_member (retry, "retry_after", retry_after);
      eva_request_add_header (req, "Retry-After", seconds);
      eva_request_reply_error (req, 429, "too_many_attempts", retry,
                               "Too many failed sign-in attempts; try again in %s seconds",
                               seconds);
      return;
    }

  found = eva_db_query (conn, sql_login_lookup, &error, login->email);
  if (found == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (found) > 0)
    {
      login->staff_id = g_strdup (PQgetvalue (found, 0, 0));
      login->hash = g_strdup (PQgetvalue (found, 0, 2));
      login->disabled = g_str_equal (PQgetvalue (found, 0, 3), "t");
    }
}

/* Stage 2, on the hashing pool: the password, or for no account the same
 * time spent, so timing does not tell. A hash stored with weaker limits
 * than today's is upgraded while we know the password. */
static void
login_check (EvaRequest *req,
             gpointer    state)
{
  Login *login = state;
  gboolean needs_rehash = FALSE;
  g_autoptr(GError) error = NULL;

  if (login->staff_id == NULL)
    {
      eva_auth_dummy_verify (login->password);
      return;
    }
  login->password_ok = eva_auth_verify_password (login->hash, login->password, &needs_rehash);
  if (login->password_ok && !login->disabled && needs_rehash)
    {
      login->new_hash = eva_auth_hash_password (login->password, &error);
      if (login->new_hash == NULL)
        eva_request_reply_gerror (req, error);
    }
}

/* Stage 3, on the database pool: the verdict, and the tokens. */
static void
login_finish_work (EvaRequest *req,
                   EvaDbConn  *conn,
                   gpointer    data)
{
  Login *login = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) updated = NULL;
  g_autofree char *lower = g_utf8_strdown (login->email, -1);
  g_autofree char *account_key = g_strconcat ("staff:acct:", lower, NULL);
  g_autofree char *address_key = g_strconcat ("staff:ip:", req->client_ip, NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *family = NULL;
  g_autoptr(JsonObject) details = NULL;
  const char *staff_id = login->staff_id;
  const char *hash = login->hash;
  const char *new_hash = login->new_hash;

  if (staff_id == NULL || !login->password_ok)
    {
      login_failed (req, conn, lower, staff_id, "invalid_credentials");
      return;
    }
  if (login->disabled)
    {
      login_failed (req, conn, lower, staff_id, "disabled");
      return;
    }

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  {
    const char *params[] = { staff_id, hash, new_hash };

    updated = eva_db_exec (conn, sql_login_update, G_N_ELEMENTS (params), params, &error);
  }
  if (updated == NULL)
    goto failed;
  if (PQntuples (updated) == 0)
    {
      /* Disabled, deleted or given a new password meanwhile. */
      eva_db_rollback (conn);
      reply_invalid_credentials (req);
      return;
    }

  refresh = eva_staff_session_create (conn, staff_id, NULL, NULL, req->client_ip,
                                      login->user_agent, &family, &error);
  if (refresh == NULL ||
      !eva_staff_throttle_succeeded (conn, account_key, address_key, &error))
    goto failed;

  details = json_object_new ();
  json_object_set_string_member (details, "family_id", family);
  json_object_set_boolean_member (details, "rehashed", new_hash != NULL);
  if (!eva_staff_audit (conn, req, staff_id, "staff.login", staff_id, details, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  reply_tokens (req, staff_id, PQgetvalue (updated, 0, 0), family, refresh,
                PQgetvalue (updated, 0, 1));
  return;

failed:
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}


static void
login_finish_then (EvaRequest *req)
{
  eva_request_run (req, login_finish_work, NULL, NULL);
}

static void
login_check_then (EvaRequest *req)
{
  eva_request_run_hash (req, login_check, login_finish_then);
}

void
eva_api_admin_login (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  const char *email = NULL;
  const char *password = NULL;
  Login *login;

  if (!eva_input_begin (&in, req))
    return;

  if (eva_input_string (&in, "email", EVA_FIELD_REQUIRED, EMAIL_MAX_BYTES, &email) == EVA_FIELD_SET &&
      (strlen (email) > EMAIL_MAX_BYTES || !eva_validate_email (email)))
    eva_input_error (&in, "email", "must be a valid email address of at most 254 bytes");
  eva_staff_input_password (&in, "password", EVA_FIELD_REQUIRED, &password);
  if (!eva_input_end (&in))
    return;

  login = g_new0 (Login, 1);
  login->email = g_strdup (email);
  login->password = g_strdup (password);
  login->user_agent = eva_staff_user_agent (req);
  eva_request_set_state (req, login, login_free);
  eva_request_run_then (req, login_lookup_work, NULL, NULL, login_check_then);
}

/* ------------------------------------------------------------------ */
/* Refresh                                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *token_hash;
  char *user_agent;
} Refresh;

static void
refresh_free (gpointer data)
{
  Refresh *refresh = data;

  g_free (refresh->token_hash);
  g_free (refresh->user_agent);
  g_free (refresh);
}

static void
refresh_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  Refresh *refresh = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) found = NULL;
  g_autoptr(PGresult) used = NULL;
  g_autoptr(JsonObject) details = NULL;
  g_autofree char *token = NULL;
  const char *session_id;
  const char *staff_id;
  const char *family_id;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  /* FOR UPDATE: of two refreshes racing with one token, the second waits
   * for the first and then sees the token used — a replay. */
  found = eva_db_query (conn, sql_refresh_lookup, &error, refresh->token_hash);
  if (found == NULL)
    goto failed;
  if (PQntuples (found) == 0)
    {
      eva_db_rollback (conn);
      reply_invalid_refresh (req);
      return;
    }

  session_id = PQgetvalue (found, 0, 0);
  staff_id = PQgetvalue (found, 0, 1);
  family_id = PQgetvalue (found, 0, 2);

  if (g_str_equal (PQgetvalue (found, 0, 3), "t"))
    {
      /* A used token came back: someone holds a copy. End the family, so
       * the newest token (whoever has it) dies too. */
      details = json_object_new ();
      json_object_set_string_member (details, "family_id", family_id);
      if (!eva_staff_revoke_family (conn, family_id, &error) ||
          !eva_staff_audit (conn, req, NULL, "staff.refresh_reused", staff_id, details, &error) ||
          !eva_db_commit (conn, &error))
        goto failed;
      g_message ("[%s] refresh token reused; family %s revoked", req->request_id, family_id);
      reply_invalid_refresh (req);
      return;
    }

  if (g_str_equal (PQgetvalue (found, 0, 4), "t") || g_str_equal (PQgetvalue (found, 0, 5), "t"))
    {
      eva_db_rollback (conn);
      reply_invalid_refresh (req);
      return;
    }

  if (g_str_equal (PQgetvalue (found, 0, 8), "t"))
    {
      if (!eva_staff_revoke_family (conn, family_id, &error) || !eva_db_commit (conn, &error))
        goto failed;
      reply_invalid_refresh (req);
      return;
    }

  /* Rotate. The family keeps its original expiry: signing in again is
   * needed EVA_REFRESH_TOKEN_TTL after the sign-in, however active. */
  used = eva_db_query (conn, sql_refresh_use, &error, session_id);
  if (used == NULL)
    goto failed;
  token = eva_staff_session_create (conn, staff_id, family_id, PQgetvalue (found, 0, 6),
                                    req->client_ip, refresh->user_agent, NULL, &error);
  if (token == NULL || !eva_db_commit (conn, &error))
    goto failed;

  /* The role comes from the database, not from the old access token. */
  reply_tokens (req, staff_id, PQgetvalue (found, 0, 7), family_id, token,
                PQgetvalue (found, 0, 9));
  return;

failed:
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}

void
eva_api_admin_refresh (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  const char *token = NULL;
  Refresh *refresh;

  if (!eva_input_begin (&in, req))
    return;
  eva_input_string (&in, "refresh_token", EVA_FIELD_REQUIRED, EVA_STAFF_REFRESH_TOKEN_MAX, &token);
  if (!eva_input_end (&in))
    return;

  refresh = g_new0 (Refresh, 1);
  refresh->token_hash = eva_staff_token_hash_hex (token);
  refresh->user_agent = eva_staff_user_agent (req);
  eva_request_run (req, refresh_work, refresh, refresh_free);
}

/* ------------------------------------------------------------------ */
/* Sign-out                                                           */
/* ------------------------------------------------------------------ */

static void
logout_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  const char *token_hash = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  const char *params[] = { req->principal_id, req->session_id, token_hash };

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  result = eva_db_exec (conn, sql_logout, G_N_ELEMENTS (params), params, &error);
  if (result == NULL)
    goto failed;

  json_object_set_int_member (details, "revoked", g_ascii_strtoll (PQcmdTuples (result), NULL, 10));
  if (!eva_staff_audit (conn, req, req->principal_id, "staff.logout", req->principal_id,
                        details, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_empty (req, 204);
  return;

failed:
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}

void
eva_api_admin_logout (EvaRequest *req)
{
  char *token_hash = NULL;

  /* The body is optional: {"refresh_token": "…"} ends that family too. */
  if (req->json != NULL)
    {
      g_auto(EvaInput) in = { 0, };
      const char *token = NULL;

      if (!eva_input_begin (&in, req))
        return;
      eva_input_string (&in, "refresh_token", EVA_FIELD_OPTIONAL, EVA_STAFF_REFRESH_TOKEN_MAX, &token);
      if (!eva_input_end (&in))
        return;
      if (token != NULL)
        token_hash = eva_staff_token_hash_hex (token);
    }

  eva_request_run (req, logout_work, token_hash, g_free);
}

/* ------------------------------------------------------------------ */
/* Who am I                                                           */
/* ------------------------------------------------------------------ */

static void
me_work (EvaRequest *req,
         EvaDbConn  *conn,
         gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = eva_db_query (conn, sql_me, &error, req->principal_id);

  if (result == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  /* Deleted or disabled after the token was issued. */
  if (eva_db_value (result) == NULL)
    {
      eva_request_add_header (req, "WWW-Authenticate",
                              "Bearer realm=\"everato\", error=\"invalid_token\"");
      eva_request_reply_error (req, 401, "invalid_token", NULL,
                               "This account no longer exists or is disabled");
      return;
    }

  eva_request_reply_json_text (req, 200, eva_db_value (result));
}

void
eva_api_admin_me (EvaRequest *req)
{
  eva_request_run (req, me_work, NULL, NULL);
}
