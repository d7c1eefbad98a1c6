/* api/me.c: the signed-in attendee — profile, password, account deletion
 *
 * Every route here is an ATTENDEE route: the router has already checked
 * the session cookie (and, for changes, the CSRF token) and set
 * req->principal_id to the attendee and req->session_id to the session
 * (see eva-session.c).
 *
 * Deleting an account erases the person, not the organizer's books: the
 * row stays as a tombstone (status 'deleted', email
 * "deleted-<id>@invalid", no name, no password), its sessions, tokens and
 * rate-limit rows go, and its bookings stay with their buyer name and
 * address blanked.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-me"

#include "config.h"

#include <sodium.h>

#include "api/eva-api.h"
#include "core/eva-auth.h"
#include "http/eva-session.h"
#include "services/attendees.h"
#include "services/staff.h"

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_me[] =
  "SELECT " EVA_ATTENDEE_JSON "::text, s.csrf_token "
  "FROM attendees a JOIN attendee_sessions s ON s.attendee_id = a.id "
  "WHERE s.id = $1::uuid AND a.id = $2::uuid";

static const char sql_update[] =
  "UPDATE attendees a SET name = coalesce ($2, name), locale = coalesce ($3, locale) "
  "WHERE id = $1::uuid AND status IN ('unverified', 'active') "
  "RETURNING " EVA_ATTENDEE_JSON "::text";

static const char sql_lock[] =
  "SELECT email, name, locale, password_hash FROM attendees "
  "WHERE id = $1::uuid AND status IN ('unverified', 'active') "
  "FOR UPDATE";

static const char sql_blank_bookings[] =
  "UPDATE bookings SET buyer_email = '', buyer_name = '' WHERE attendee_id = $1::uuid";

static const char sql_erase[] =
  "UPDATE attendees SET status = 'deleted', email = 'deleted-' || id || '@invalid', "
  "  name = '', password_hash = NULL, deleted_at = now (), disabled_at = NULL "
  "WHERE id = $1::uuid";

static const char sql_drop_sessions[] =
  "DELETE FROM attendee_sessions WHERE attendee_id = $1::uuid";

static const char sql_drop_tokens[] =
  "DELETE FROM attendee_tokens WHERE attendee_id = $1::uuid";

/* Rate-limit keys name the address; $1 is it in lower case. */
static const char sql_drop_limits[] =
  "DELETE FROM rate_limits WHERE key IN ('att:acct:' || $1, 'att:notice:mail:' || $1, "
  "  'att:resend:mail:' || $1, 'att:reset:mail:' || $1)";

static const char sql_set_password[] =
  "UPDATE attendees SET password_hash = $3 WHERE id = $1::uuid AND password_hash = $2";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_gone (EvaRequest *req)
{
  /* The account changed state between the session check and now. */
  eva_session_clear_cookie (req);
  eva_request_reply_error (req, 401, "unauthorized", NULL,
                           "Sign in first: your session is missing, has expired or was ended");
}

static void
reply_failed (EvaRequest   *req,
              EvaDbConn    *conn,
              const GError *error)
{
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}

static void
reply_field (EvaRequest *req,
             const char *field,
             const char *problem)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, field, problem);
  eva_request_reply_error (req, 400, "validation_failed", details, "Some fields are not valid");
}

/* ------------------------------------------------------------------ */
/* Profile                                                            */
/* ------------------------------------------------------------------ */

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autofree char *body = NULL;

  result = eva_db_query (conn, sql_me, &error, req->session_id, req->principal_id);
  if (result == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (result) == 0)
    {
      reply_gone (req);
      return;
    }

  body = eva_attendee_json_with_csrf (PQgetvalue (result, 0, 0), PQgetvalue (result, 0, 1));
  eva_request_reply_json_text (req, 200, body);
}

void
eva_api_me_get (EvaRequest *req)
{
  eva_request_run (req, get_work, NULL, NULL);
}

typedef struct
{
  char *name;
  char *locale;
} Update;

static void
update_free (gpointer data)
{
  Update *update = data;

  g_free (update->name);
  g_free (update->locale);
  g_free (update);
}

static void
update_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  Update *update = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(JsonArray) fields = json_array_new ();
  const char *params[] = { req->principal_id, update->name, update->locale };

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  result = eva_db_exec (conn, sql_update, G_N_ELEMENTS (params), params, &error);
  if (result == NULL)
    goto failed;
  if (PQntuples (result) == 0)
    {
      eva_db_rollback (conn);
      reply_gone (req);
      return;
    }

  /* Which fields, not their values: the log outlives a deleted account. */
  if (update->name != NULL)
    json_array_add_string_element (fields, "name");
  if (update->locale != NULL)
    json_array_add_string_element (fields, "locale");
  json_object_set_array_member (details, "fields", g_steal_pointer (&fields));
  if (!eva_attendee_audit (conn, req, "attendee", req->principal_id, "attendee.update",
                           req->principal_id, details, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_json_text (req, 200, eva_db_value (result));
  return;

failed:
  reply_failed (req, conn, error);
}

void
eva_api_me_update (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  const char *name = NULL;
  g_autofree char *locale = NULL;
  Update *update;

  if (!eva_input_begin (&in, req))
    return;
  eva_attendee_input_name (&in, "name", EVA_FIELD_OPTIONAL, &name);
  eva_attendee_input_locale (&in, "locale", EVA_FIELD_OPTIONAL, &locale);
  if (!eva_input_end (&in))
    return;

  update = g_new0 (Update, 1);
  update->name = g_strdup (name);
  update->locale = g_steal_pointer (&locale);
  eva_request_run (req, update_work, update, update_free);
}

/* ------------------------------------------------------------------ */
/* Deletion                                                           */
/* ------------------------------------------------------------------ */

static gboolean
run_all (EvaDbConn    *conn,
         const char   *param,
         GError      **error,
         const char   *sql,
         ...)
{
  va_list args;
  gboolean ok = TRUE;

  va_start (args, sql);
  for (const char *s = sql; s != NULL && ok; s = va_arg (args, const char *))
    {
      g_autoptr(PGresult) result = eva_db_query (conn, s, error, param);

      ok = result != NULL;
    }
  va_end (args);
  return ok;
}

static void
delete_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) locked = NULL;
  g_autofree char *lower = NULL;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  locked = eva_db_query (conn, sql_lock, &error, req->principal_id);
  if (locked == NULL)
    goto failed;
  if (PQntuples (locked) == 0)
    {
      eva_db_rollback (conn);
      reply_gone (req);
      return;
    }

  /* The goodbye goes to the address before it is erased. */
  lower = g_utf8_strdown (PQgetvalue (locked, 0, 0), -1);
  if (!eva_attendee_mail (conn, PQgetvalue (locked, 0, 0), PQgetvalue (locked, 0, 1),
                          PQgetvalue (locked, 0, 2), "account_deleted", NULL, &error) ||
      !run_all (conn, req->principal_id, &error,
                sql_blank_bookings, sql_erase, sql_drop_sessions, sql_drop_tokens, NULL) ||
      !run_all (conn, lower, &error, sql_drop_limits, NULL) ||
      !eva_attendee_audit (conn, req, "attendee", req->principal_id, "attendee.delete",
                           req->principal_id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_session_clear_cookie (req);
  eva_request_reply_empty (req, 204);
  return;

failed:
  reply_failed (req, conn, error);
}

void
eva_api_me_delete (EvaRequest *req)
{
  /* No body is needed; one that is sent must be an empty object. */
  if (req->json != NULL)
    {
      g_auto(EvaInput) in = { 0, };

      if (!eva_input_begin (&in, req) || !eva_input_end (&in))
        return;
    }

  eva_request_run (req, delete_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Password                                                           */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *current;
  char *next;
  /* Between the stages (database → hashing pool → database): */
  char *email;
  char *name;
  char *locale;
  char *old_hash;
  char *new_hash;
  gboolean current_ok;
} Password;

static void
secret_free (char *secret)
{
  if (secret != NULL)
    sodium_memzero (secret, strlen (secret));
  g_free (secret);
}

static void
password_free (gpointer data)
{
  Password *password = data;

  secret_free (password->current);
  secret_free (password->next);
  g_free (password->email);
  g_free (password->name);
  g_free (password->locale);
  g_free (password->old_hash);
  g_free (password->new_hash);
  g_free (password);
}

/* Stage 1, on the database pool: the account, the new password's fit, and
 * the sign-in limits (a stolen session must not become a way to guess the
 * password). */
static void
password_check_work (EvaRequest *req,
                     EvaDbConn  *conn,
                     gpointer    data)
{
  Password *password = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) found = NULL;
  g_autofree char *account_key = NULL;
  g_autofree char *address_key = eva_attendee_address_key (req);
  const char *reason = NULL;
  gint64 retry_after = 0;

  found = eva_db_query (conn, sql_lock, &error, req->principal_id);
  if (found == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (found) == 0 || PQgetisnull (found, 0, 3))
    {
      reply_gone (req);
      return;
    }

  if (!eva_validate_password (password->next, PQgetvalue (found, 0, 0), &reason))
    {
      reply_field (req, "new_password", reason);
      return;
    }

  account_key = eva_attendee_account_key (PQgetvalue (found, 0, 0));
  if (!eva_staff_throttle_claim (conn, account_key, address_key, &retry_after, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (retry_after > 0)
    {
      eva_attendee_reply_retry (req, "too_many_attempts", retry_after,
                                "Too many failed password attempts");
      return;
    }

  password->email = g_strdup (PQgetvalue (found, 0, 0));
  password->name = g_strdup (PQgetvalue (found, 0, 1));
  password->locale = g_strdup (PQgetvalue (found, 0, 2));
  password->old_hash = g_strdup (PQgetvalue (found, 0, 3));
}

/* Stage 2, on the hashing pool. */
static void
password_hash (EvaRequest *req,
               gpointer    state)
{
  Password *password = state;
  g_autoptr(GError) error = NULL;

  password->current_ok = eva_auth_verify_password (password->old_hash, password->current, NULL);
  if (!password->current_ok)
    return;
  password->new_hash = eva_auth_hash_password (password->next, &error);
  if (password->new_hash == NULL)
    eva_request_reply_gerror (req, error);
}

/* Stage 3, on the database pool. */
static void
password_work (EvaRequest *req,
               EvaDbConn  *conn,
               gpointer    data)
{
  Password *password = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) updated = NULL;
  g_autofree char *account_key = eva_attendee_account_key (password->email);
  g_autofree char *address_key = eva_attendee_address_key (req);

  if (!password->current_ok)
    {
      reply_field (req, "current_password", "is not correct");
      return;
    }
  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  {
    const char *params[] = { req->principal_id, password->old_hash, password->new_hash };

    updated = eva_db_exec (conn, sql_set_password, G_N_ELEMENTS (params), params, &error);
  }
  if (updated == NULL)
    goto failed;
  if (g_strcmp0 (PQcmdTuples (updated), "1") != 0)
    {
      /* Changed by a reset meanwhile, which also ended this session. */
      eva_db_rollback (conn);
      reply_gone (req);
      return;
    }

  if (!eva_session_revoke_all (conn, req->principal_id, req->session_id, &error) ||
      !eva_staff_throttle_succeeded (conn, account_key, address_key, &error) ||
      !eva_attendee_mail (conn, password->email, password->name, password->locale,
                          "password_changed", NULL, &error) ||
      !eva_attendee_audit (conn, req, "attendee", req->principal_id, "attendee.password_change",
                           req->principal_id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_empty (req, 204);
  return;

failed:
  reply_failed (req, conn, error);
}

static void
password_then (EvaRequest *req)
{
  eva_request_run (req, password_work, NULL, NULL);
}

static void
password_hash_then (EvaRequest *req)
{
  eva_request_run_hash (req, password_hash, password_then);
}

void
eva_api_me_password (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  const char *current = NULL;
  const char *next = NULL;
  const char *reason = NULL;
  Password *password;

  if (!eva_input_begin (&in, req))
    return;
  eva_staff_input_password (&in, "current_password", EVA_FIELD_REQUIRED, &current);
  eva_staff_input_password (&in, "new_password", EVA_FIELD_REQUIRED, &next);
  if (next != NULL && !eva_validate_password (next, NULL, &reason))
    eva_input_error (&in, "new_password", reason);
  if (!eva_input_end (&in))
    return;

  password = g_new0 (Password, 1);
  password->current = g_strdup (current);
  password->next = g_strdup (next);
  eva_request_set_state (req, password, password_free);
  eva_request_run_then (req, password_check_work, NULL, NULL, password_hash_then);
}
