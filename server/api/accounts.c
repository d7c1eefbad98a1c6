/* api/accounts.c: attendee sign-up, email verification, sign-in and
 * sign-out, password reset
 *
 * No answer here tells whether an address has an account: sign-up,
 * re-sending the verification and asking for a password reset reply the
 * same 202 body either way, and a failed sign-in is the same 401 for an
 * unknown address and a wrong password. Sign-up spends the same argon2id
 * time in both cases; when the address is taken, the owner gets a mail
 * instead (a fresh verification link while unverified, a password reset
 * link once active), at most EVA_ATTENDEE_MAIL_PER_EMAIL an hour.
 *
 * Nobody gets an address by signing up first with it (account
 * pre-hijacking): an unverified account has no session (sign-in answers
 * 403 email_not_verified, and only to the holder of its password; the
 * session look-up admits active accounts only); each verification link
 * carries the password of the sign-up that asked for it, and using the
 * link both requires that password (400 password_required without one,
 * validation_failed for a wrong one, throttled like sign-in) and sets it.
 * So a link that somebody else's sign-up sent to the mailbox's owner is
 * useless to the owner, and a link the owner's own sign-up sent is useless
 * to anybody else. A second sign-up with the address replaces the first
 * one's password only through its own link; a re-sent link keeps the
 * newest sign-up's password; every new link kills the earlier ones;
 * verifying ends every session and every other link of the account.
 *
 * Sessions and the cookie are eva-session.c's; mails go through the
 * outbox, in the same transaction as the change they belong to.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-accounts"

#include "config.h"

#include <sodium.h>

#include "api/eva-api.h"
#include "core/eva-auth.h"
#include "http/eva-session.h"
#include "services/attendees.h"
#include "services/staff.h"

#define REGISTER_REPLY \
  "{\"status\":\"accepted\",\"message\":\"Thank you. Check your inbox for a link to confirm your email address.\"}"
#define RESEND_REPLY \
  "{\"status\":\"accepted\",\"message\":\"If an account with this address still needs confirming, a new link is on its way.\"}"
#define RESET_REPLY \
  "{\"status\":\"accepted\",\"message\":\"If an account uses this address, a link to choose a new password is on its way.\"}"
#define RESET_DONE_REPLY \
  "{\"status\":\"password_changed\",\"message\":\"Your password was changed. Sign in with the new one.\"}"

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_register_insert[] =
  "INSERT INTO attendees (email, name, locale, password_hash) VALUES ($1, $2, $3, $4) "
  "ON CONFLICT ((lower (email))) WHERE status <> 'deleted' DO NOTHING "
  "RETURNING id";

static const char sql_find_by_email[] =
  "SELECT id, email, name, locale, status FROM attendees "
  "WHERE lower (email) = lower ($1) AND status <> 'deleted' "
  "FOR NO KEY UPDATE";

/* A live verification link: the account's email and the password that
 * using it requires (the link's own, else the account's). */
static const char sql_verify_lookup[] =
  "SELECT a.email, coalesce (t.password_hash, a.password_hash) "
  "FROM attendee_tokens t JOIN attendees a ON a.id = t.attendee_id "
  "WHERE t.token_hash = decode ($1, 'hex') AND t.purpose = 'verify_email' "
  "  AND t.used_at IS NULL AND t.expires_at > now () "
  "  AND a.status IN ('unverified', 'active') "
  "  AND coalesce (t.password_hash, a.password_hash) IS NOT NULL";

static const char sql_verify_consume[] =
  "UPDATE attendee_tokens SET used_at = now () "
  "WHERE token_hash = decode ($1, 'hex') AND purpose = $2 "
  "  AND used_at IS NULL AND expires_at > now () "
  "RETURNING attendee_id, password_hash";

/* $2: the password of the sign-up that the link answers (NULL: keep). An
 * active account's password is never changed by a stale link. */
static const char sql_verify_account[] =
  "UPDATE attendees a SET "
  "  password_hash = CASE WHEN status = 'unverified' THEN coalesce ($2, password_hash) "
  "                       ELSE password_hash END, "
  "  status = CASE WHEN status = 'unverified' THEN 'active' ELSE status END, "
  "  email_verified_at = coalesce (email_verified_at, now ()) "
  "WHERE id = $1::uuid AND status IN ('unverified', 'active') "
  "RETURNING " EVA_ATTENDEE_JSON "::text";

static const char sql_login_lookup[] =
  "SELECT id, password_hash, status FROM attendees "
  "WHERE lower (email) = lower ($1) AND status <> 'deleted'";

/* Only if nothing changed since the password was checked. */
static const char sql_login_confirm[] =
  "SELECT " EVA_ATTENDEE_JSON "::text FROM attendees a "
  "WHERE id = $1::uuid AND password_hash = $2 AND status = 'active' "
  "FOR SHARE";

static const char sql_login_rehash[] =
  "UPDATE attendees a SET password_hash = $3 "
  "WHERE id = $1::uuid AND password_hash = $2 AND status = 'active' "
  "RETURNING " EVA_ATTENDEE_JSON "::text";

static const char sql_reset_lookup[] =
  "SELECT a.email FROM attendee_tokens t JOIN attendees a ON a.id = t.attendee_id "
  "WHERE t.token_hash = decode ($1, 'hex') AND t.purpose = 'password_reset' "
  "  AND t.used_at IS NULL AND t.expires_at > now () "
  "  AND a.status IN ('unverified', 'active')";

static const char sql_reset_account[] =
  "UPDATE attendees SET password_hash = $2, "
  "  status = CASE WHEN status = 'unverified' THEN 'active' ELSE status END, "
  "  email_verified_at = coalesce (email_verified_at, now ()) "
  "WHERE id = $1::uuid AND status IN ('unverified', 'active') "
  "RETURNING email, name, locale";

static const char sql_tokens_drop_all[] =
  "DELETE FROM attendee_tokens WHERE attendee_id = $1::uuid";

static const char sql_throttle_forget[] =
  "DELETE FROM rate_limits WHERE key = $1";

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
reply_invalid_link (EvaRequest *req)
{
  eva_request_reply_error (req, 400, "invalid_token", NULL,
                           "This link is not valid: it was already used, has expired, "
                           "or was replaced by a newer one");
}

static void
reply_failed (EvaRequest   *req,
              EvaDbConn    *conn,
              const GError *error)
{
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}

typedef struct
{
  char *email;
  char *password;
  char *name;
  char *locale;
  char *token_hash;    /* a presented session cookie, or a link's token */
  char *user_agent;
  /* Between the stages (database → hashing pool → database): */
  char *hash;          /* the new argon2id hash, or the stored one to check */
  char *new_hash;      /* sign-in: rehashed at the current limits */
  char *id;            /* sign-in: the account found */
  char *status;
  gboolean password_ok;
} Account;

static void
account_free (gpointer data)
{
  Account *account = data;

  g_free (account->email);
  if (account->password != NULL)
    sodium_memzero (account->password, strlen (account->password));
  g_free (account->password);
  g_free (account->name);
  g_free (account->locale);
  g_free (account->token_hash);
  g_free (account->user_agent);
  g_free (account->hash);
  g_free (account->new_hash);
  g_free (account->id);
  g_free (account->status);
  g_free (account);
}

/* ------------------------------------------------------------------ */
/* Sign-up                                                            */
/* ------------------------------------------------------------------ */

/* The address is taken: mail its owner (not the caller's name or
 * language — those are a stranger's). */
static gboolean
register_existing (EvaRequest  *req,
                   EvaDbConn   *conn,
                   Account     *account,
                   const char  *hash,
                   GError     **error)
{
  g_autoptr(PGresult) found = NULL;
  g_autofree char *key = eva_attendee_mail_key ("notice", account->email);
  g_autoptr(JsonObject) details = json_object_new ();
  const char *id;
  const char *status;
  gboolean allowed = FALSE;
  const char *purpose = NULL;

  found = eva_db_query (conn, sql_find_by_email, error, account->email);
  if (found == NULL)
    return FALSE;
  if (PQntuples (found) == 0)
    return TRUE;   /* deleted meanwhile */

  id = PQgetvalue (found, 0, 0);
  status = PQgetvalue (found, 0, 4);
  if (!eva_attendee_limit_take (conn, key, EVA_ATTENDEE_MAIL_PER_EMAIL,
                                EVA_ATTENDEE_MAIL_WINDOW, &allowed, error))
    return FALSE;

  if (g_str_equal (status, "unverified"))
    purpose = "verify_email";
  else if (g_str_equal (status, "active"))
    purpose = "password_reset";

  /* An unverified account keeps its password: the new one only takes over
   * if the link mailed now is used (see verify_work()). */
  if (allowed && purpose != NULL &&
      !eva_attendee_mail_link (req, conn, id, PQgetvalue (found, 0, 1),
                               PQgetvalue (found, 0, 2), PQgetvalue (found, 0, 3), purpose,
                               g_str_equal (purpose, "verify_email") ? hash : NULL, error))
    return FALSE;

  json_object_set_string_member (details, "mailed", allowed && purpose != NULL ? purpose : "");
  return eva_attendee_audit (conn, req, "system", NULL, "attendee.register_existing", id,
                             details, error);
}

static void
register_work (EvaRequest *req,
               EvaDbConn  *conn,
               gpointer    data)
{
  Account *account = eva_request_get_state (req);
  const char *hash = account->hash;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) inserted = NULL;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  inserted = eva_db_query (conn, sql_register_insert, &error,
                           account->email, account->name, account->locale, hash);
  if (inserted == NULL)
    goto failed;

  if (PQntuples (inserted) == 1)
    {
      const char *id = PQgetvalue (inserted, 0, 0);

      if (!eva_attendee_mail_link (req, conn, id, account->email, account->name,
                                   account->locale, "verify_email", hash, &error) ||
          !eva_attendee_audit (conn, req, "attendee", id, "attendee.register", id, NULL, &error))
        goto failed;
    }
  else if (!register_existing (req, conn, account, hash, &error))
    goto failed;

  if (!eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_json_text (req, 202, REGISTER_REPLY);
  return;

failed:
  reply_failed (req, conn, error);
}

static void
register_insert_then (EvaRequest *req)
{
  eva_request_run (req, register_work, NULL, NULL);
}

/* On the hashing pool. A taken address costs the same time as a free one:
 * the hash is made before anybody looks. */
static void
register_hash (EvaRequest *req,
               gpointer    state)
{
  Account *account = state;
  g_autoptr(GError) error = NULL;

  account->hash = eva_auth_hash_password (account->password, &error);
  if (account->hash == NULL)
    eva_request_reply_gerror (req, error);
}

static void
register_hash_then (EvaRequest *req)
{
  eva_request_run_hash (req, register_hash, register_insert_then);
}

/* Sign-up is throttled per address and for the whole installation before
 * any argon2id or mail is spent on it. */
static void
register_throttle_work (EvaRequest *req,
                        EvaDbConn  *conn,
                        gpointer    data)
{
  EvaConfig *config = eva_request_get_config (req);
  g_autoptr(GError) error = NULL;
  g_autofree char *address_key = g_strconcat ("att:register:ip:", req->client_ip, NULL);
  gint64 retry_after = 0;

  if (!eva_attendee_limit_claim (conn, address_key, (int) config->signup_limit,
                                 "att:register:all", (int) config->signup_limit_global,
                                 EVA_ATTENDEE_SIGNUP_WINDOW, &retry_after, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (retry_after > 0)
    eva_attendee_reply_retry (req, "too_many_attempts", retry_after,
                              "Too many sign-ups from here just now");
}

void
eva_api_auth_register (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  const char *email = NULL;
  const char *password = NULL;
  const char *name = NULL;
  g_autofree char *locale = NULL;
  const char *reason = NULL;
  Account *account;

  if (!eva_input_begin (&in, req))
    return;
  eva_attendee_input_email (&in, "email", EVA_FIELD_REQUIRED, &email);
  eva_staff_input_password (&in, "password", EVA_FIELD_REQUIRED, &password);
  eva_attendee_input_name (&in, "name", EVA_FIELD_OPTIONAL, &name);
  eva_attendee_input_locale (&in, "locale", EVA_FIELD_OPTIONAL, &locale);
  if (password != NULL && !eva_validate_password (password, email, &reason))
    eva_input_error (&in, "password", reason);
  if (!eva_input_end (&in))
    return;

  account = g_new0 (Account, 1);
  account->email = g_strdup (email);
  account->password = g_strdup (password);
  account->name = g_strdup (name != NULL ? name : "");
  account->locale = locale != NULL ? g_steal_pointer (&locale) : g_strdup ("en");
  eva_request_set_state (req, account, account_free);
  eva_request_run_then (req, register_throttle_work, NULL, NULL, register_hash_then);
}

/* ------------------------------------------------------------------ */
/* Verification                                                       */
/* ------------------------------------------------------------------ */

/* Stage 3, on the database pool: the link is used, the account confirmed. */
static void
verify_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  Account *account = eva_request_get_state (req);
  const char *token_hash = account->token_hash;
  g_autofree char *account_key = eva_attendee_account_key (account->email);
  g_autofree char *address_key = eva_attendee_address_key (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) consumed = NULL;
  g_autoptr(PGresult) verified = NULL;
  g_autoptr(PGresult) dropped = NULL;
  const char *id;

  if (!account->password_ok)
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "password",
                                     "is not the password chosen when signing up");
      eva_request_reply_error (req, 400, "validation_failed", details,
                               "Enter the password you chose when you signed up");
      return;
    }

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  consumed = eva_db_query (conn, sql_verify_consume, &error, token_hash, "verify_email");
  if (consumed == NULL)
    goto failed;
  if (PQntuples (consumed) == 0)
    {
      eva_db_rollback (conn);
      reply_invalid_link (req);
      return;
    }

  id = PQgetvalue (consumed, 0, 0);
  verified = eva_db_query (conn, sql_verify_account, &error, id,
                           PQgetisnull (consumed, 0, 1) ? NULL : PQgetvalue (consumed, 0, 1));
  if (verified == NULL)
    goto failed;
  if (PQntuples (verified) == 0)
    {
      /* Disabled or deleted since the mail went out. */
      eva_db_rollback (conn);
      reply_invalid_link (req);
      return;
    }

  /* The mailbox owner takes over: sessions anyone had on the address end,
   * and every other link of it dies. */
  dropped = eva_db_query (conn, sql_tokens_drop_all, &error, id);
  if (dropped == NULL ||
      !eva_session_revoke_all (conn, id, NULL, &error) ||
      !eva_staff_throttle_succeeded (conn, account_key, address_key, &error) ||
      !eva_attendee_audit (conn, req, "attendee", id, "attendee.verify", id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_json_text (req, 200, eva_db_value (verified));
  return;

failed:
  reply_failed (req, conn, error);
}

static void
verify_then (EvaRequest *req)
{
  eva_request_run (req, verify_work, NULL, NULL);
}

/* Stage 2, on the hashing pool. */
static void
verify_check (EvaRequest *req,
              gpointer    state)
{
  Account *account = state;

  account->password_ok = eva_auth_verify_password (account->hash, account->password, NULL);
}

static void
verify_check_then (EvaRequest *req)
{
  eva_request_run_hash (req, verify_check, verify_then);
}

/* Stage 1, on the database pool: the link must be live, and the caller
 * must know the password it sets (the one of the sign-up that asked for
 * it, or the account's if it carries none). Without a password the answer
 * says one is needed, and nothing is used up. */
static void
verify_lookup_work (EvaRequest *req,
                    EvaDbConn  *conn,
                    gpointer    data)
{
  Account *account = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) found = NULL;
  g_autofree char *account_key = NULL;
  g_autofree char *address_key = eva_attendee_address_key (req);
  gint64 retry_after = 0;

  found = eva_db_query (conn, sql_verify_lookup, &error, account->token_hash);
  if (found == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (found) == 0)
    {
      reply_invalid_link (req);
      return;
    }
  if (account->password == NULL)
    {
      eva_request_reply_error (req, 400, "password_required", NULL,
                               "Enter the password you chose when you signed up to confirm the address");
      return;
    }

  /* Guesses through a link count like sign-in attempts. */
  account->email = g_strdup (PQgetvalue (found, 0, 0));
  account_key = eva_attendee_account_key (account->email);
  if (!eva_staff_throttle_claim (conn, account_key, address_key, &retry_after, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (retry_after > 0)
    {
      eva_attendee_reply_retry (req, "too_many_attempts", retry_after,
                                "Too many wrong passwords");
      return;
    }
  account->hash = g_strdup (PQgetvalue (found, 0, 1));
}

void
eva_api_auth_verify (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  g_autofree char *token_hash = NULL;
  const char *password = NULL;
  Account *account;

  if (!eva_input_begin (&in, req))
    return;
  eva_attendee_input_token (&in, "token", &token_hash);
  eva_staff_input_password (&in, "password", EVA_FIELD_OPTIONAL, &password);
  if (!eva_input_end (&in))
    return;

  account = g_new0 (Account, 1);
  account->token_hash = g_steal_pointer (&token_hash);
  account->password = g_strdup (password);
  eva_request_set_state (req, account, account_free);
  eva_request_run_then (req, verify_lookup_work, NULL, NULL, verify_check_then);
}

/* ------------------------------------------------------------------ */
/* Links on request: verification re-send, password reset             */
/* ------------------------------------------------------------------ */

typedef struct
{
  char       *email;
  const char *purpose;   /* "verify_email" or "password_reset" */
} Ask;

static void
ask_free (gpointer data)
{
  Ask *ask = data;

  g_free (ask->email);
  g_free (ask);
}

static void
ask_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  Ask *ask = data;
  gboolean verify = g_str_equal (ask->purpose, "verify_email");
  const char *limit_name = verify ? "resend" : "reset";
  g_autofree char *email_key = eva_attendee_mail_key (limit_name, ask->email);
  g_autofree char *address_key = eva_attendee_client_key (limit_name, req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) found = NULL;
  gint64 retry_after = 0;

  /* Counted before looking the address up, the same for every address. */
  if (!eva_attendee_limit_claim (conn, email_key, EVA_ATTENDEE_MAIL_PER_EMAIL,
                                 address_key, EVA_ATTENDEE_MAIL_PER_CLIENT,
                                 EVA_ATTENDEE_MAIL_WINDOW, &retry_after, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (retry_after > 0)
    {
      eva_attendee_reply_retry (req, "too_many_attempts", retry_after,
                                "Too many requests for this address or from this network");
      return;
    }

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  found = eva_db_query (conn, sql_find_by_email, &error, ask->email);
  if (found == NULL)
    goto failed;

  if (PQntuples (found) == 1)
    {
      const char *id = PQgetvalue (found, 0, 0);
      const char *status = PQgetvalue (found, 0, 4);
      gboolean wanted = verify ? g_str_equal (status, "unverified")
                               : (g_str_equal (status, "unverified") ||
                                  g_str_equal (status, "active"));

      if (wanted &&
          (!eva_attendee_mail_link (req, conn, id, PQgetvalue (found, 0, 1),
                                    PQgetvalue (found, 0, 2), PQgetvalue (found, 0, 3),
                                    ask->purpose, NULL, &error) ||
           !eva_attendee_audit (conn, req, "system", NULL,
                                verify ? "attendee.verify_resent" : "attendee.reset_requested",
                                id, NULL, &error)))
        goto failed;
    }

  if (!eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_json_text (req, 202, verify ? RESEND_REPLY : RESET_REPLY);
  return;

failed:
  reply_failed (req, conn, error);
}

static void
ask_for_link (EvaRequest *req,
              const char *purpose)
{
  g_auto(EvaInput) in = { 0, };
  const char *email = NULL;
  Ask *ask;

  if (!eva_input_begin (&in, req))
    return;
  eva_attendee_input_email (&in, "email", EVA_FIELD_REQUIRED, &email);
  if (!eva_input_end (&in))
    return;

  ask = g_new0 (Ask, 1);
  ask->email = g_strdup (email);
  ask->purpose = purpose;
  eva_request_run (req, ask_work, ask, ask_free);
}

void
eva_api_auth_verify_resend (EvaRequest *req)
{
  ask_for_link (req, "verify_email");
}

void
eva_api_auth_reset (EvaRequest *req)
{
  ask_for_link (req, "password_reset");
}

/* ------------------------------------------------------------------ */
/* Password reset                                                     */
/* ------------------------------------------------------------------ */

static void
reset_confirm_work (EvaRequest *req,
                    EvaDbConn  *conn,
                    gpointer    data)
{
  Account *account = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) consumed = NULL;
  g_autoptr(PGresult) updated = NULL;
  g_autoptr(PGresult) dropped = NULL;
  g_autoptr(PGresult) forgotten = NULL;
  g_autofree char *account_key = NULL;
  const char *id;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  consumed = eva_db_query (conn, sql_verify_consume, &error, account->token_hash, "password_reset");
  if (consumed == NULL)
    goto failed;
  if (PQntuples (consumed) == 0)
    {
      eva_db_rollback (conn);
      reply_invalid_link (req);
      return;
    }
  id = PQgetvalue (consumed, 0, 0);
  updated = eva_db_query (conn, sql_reset_account, &error, id, account->hash);
  if (updated == NULL)
    goto failed;
  if (PQntuples (updated) == 0)
    {
      eva_db_rollback (conn);
      reply_invalid_link (req);
      return;
    }

  /* The mailbox owner is back in control: every session ends, every other
   * link dies, and a sign-in lock on the account lifts. */
  account_key = eva_attendee_account_key (PQgetvalue (updated, 0, 0));
  dropped = eva_db_query (conn, sql_tokens_drop_all, &error, id);
  if (dropped == NULL)
    goto failed;
  forgotten = eva_db_query (conn, sql_throttle_forget, &error, account_key);
  if (forgotten == NULL ||
      !eva_session_revoke_all (conn, id, NULL, &error) ||
      !eva_attendee_mail (conn, PQgetvalue (updated, 0, 0), PQgetvalue (updated, 0, 1),
                          PQgetvalue (updated, 0, 2), "password_changed", NULL, &error) ||
      !eva_attendee_audit (conn, req, "attendee", id, "attendee.password_reset", id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_session_clear_cookie (req);
  eva_request_reply_json_text (req, 200, RESET_DONE_REPLY);
  return;

failed:
  reply_failed (req, conn, error);
}

static void
reset_confirm_then (EvaRequest *req)
{
  eva_request_run (req, reset_confirm_work, NULL, NULL);
}

/* On the hashing pool. The token is consumed atomically afterwards, so of
 * two racing confirmations only one gets through. */
static void
reset_hash (EvaRequest *req,
            gpointer    state)
{
  Account *account = state;
  g_autoptr(GError) error = NULL;

  account->hash = eva_auth_hash_password (account->password, &error);
  if (account->hash == NULL)
    eva_request_reply_gerror (req, error);
}

static void
reset_hash_then (EvaRequest *req)
{
  eva_request_run_hash (req, reset_hash, reset_confirm_then);
}

/* The link must be live and the new password fit the address before any
 * hashing is spent on it. */
static void
reset_check_work (EvaRequest *req,
                  EvaDbConn  *conn,
                  gpointer    data)
{
  Account *account = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) found = NULL;
  const char *reason = NULL;

  found = eva_db_query (conn, sql_reset_lookup, &error, account->token_hash);
  if (found == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (found) == 0)
    {
      reply_invalid_link (req);
      return;
    }
  if (!eva_validate_password (account->password, PQgetvalue (found, 0, 0), &reason))
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "password", reason);
      eva_request_reply_error (req, 400, "validation_failed", details, "Some fields are not valid");
    }
}

void
eva_api_auth_reset_confirm (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  g_autofree char *token_hash = NULL;
  const char *password = NULL;
  const char *reason = NULL;
  Account *account;

  if (!eva_input_begin (&in, req))
    return;
  eva_attendee_input_token (&in, "token", &token_hash);
  eva_staff_input_password (&in, "password", EVA_FIELD_REQUIRED, &password);
  if (password != NULL && !eva_validate_password (password, NULL, &reason))
    eva_input_error (&in, "password", reason);
  if (!eva_input_end (&in))
    return;

  account = g_new0 (Account, 1);
  account->token_hash = g_steal_pointer (&token_hash);
  account->password = g_strdup (password);
  eva_request_set_state (req, account, account_free);
  eva_request_run_then (req, reset_check_work, NULL, NULL, reset_hash_then);
}

/* ------------------------------------------------------------------ */
/* Sign-in                                                            */
/* ------------------------------------------------------------------ */

static void
login_failed (EvaRequest *req,
              EvaDbConn  *conn,
              const char *attendee_id,
              const char *reason)
{
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (details, "reason", reason);
  if (!eva_attendee_audit (conn, req, "system", NULL, "attendee.login_failed", attendee_id,
                           details, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (g_str_equal (reason, "disabled"))
    eva_request_reply_error (req, 403, "account_disabled", NULL,
                             "This account is disabled; contact the organizer");
  else
    reply_invalid_credentials (req);
}

/* Stage 1, on the database pool: the throttle, then the account. */
static void
login_lookup_work (EvaRequest *req,
                   EvaDbConn  *conn,
                   gpointer    data)
{
  Account *account = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) found = NULL;
  g_autofree char *account_key = eva_attendee_account_key (account->email);
  g_autofree char *address_key = eva_attendee_address_key (req);
  gint64 retry_after = 0;

  /* A locked key refuses before the password is even looked at. */
  if (!eva_staff_throttle_claim (conn, account_key, address_key, &retry_after, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (retry_after > 0)
    {
      eva_attendee_reply_retry (req, "too_many_attempts", retry_after,
                                "Too many failed sign-in attempts");
      return;
    }

  found = eva_db_query (conn, sql_login_lookup, &error, account->email);
  if (found == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (found) == 1 && !PQgetisnull (found, 0, 1))
    {
      account->id = g_strdup (PQgetvalue (found, 0, 0));
      account->hash = g_strdup (PQgetvalue (found, 0, 1));
      account->status = g_strdup (PQgetvalue (found, 0, 2));
    }
}

/* Stage 2, on the hashing pool: the password (or, for no account, the
 * same time spent, so timing does not tell). */
static void
login_check (EvaRequest *req,
             gpointer    state)
{
  Account *account = state;
  gboolean needs_rehash = FALSE;
  g_autoptr(GError) error = NULL;

  if (account->hash == NULL)
    {
      eva_auth_dummy_verify (account->password);
      return;
    }
  account->password_ok = eva_auth_verify_password (account->hash, account->password, &needs_rehash);
  if (account->password_ok && needs_rehash)
    {
      account->new_hash = eva_auth_hash_password (account->password, &error);
      if (account->new_hash == NULL)
        eva_request_reply_gerror (req, error);
    }
}

/* Stage 3, on the database pool: the verdict, and a session. */
static void
login_finish_work (EvaRequest *req,
                   EvaDbConn  *conn,
                   gpointer    data)
{
  Account *account = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) confirmed = NULL;
  g_autofree char *account_key = eva_attendee_account_key (account->email);
  g_autofree char *address_key = eva_attendee_address_key (req);
  g_autofree char *token = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *session_id = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) details = NULL;
  const char *id = account->id;
  const char *hash = account->hash;
  const char *new_hash = account->new_hash;

  if (id == NULL)
    {
      reply_invalid_credentials (req);
      return;
    }
  if (!account->password_ok)
    {
      login_failed (req, conn, id, "invalid_credentials");
      return;
    }
  if (g_str_equal (account->status, "disabled"))
    {
      login_failed (req, conn, id, "disabled");
      return;
    }
  /* No session before the address is confirmed: whoever signed up with
   * somebody else's address never gets one. Told only to the holder of
   * the password. */
  if (g_str_equal (account->status, "unverified"))
    {
      eva_request_reply_error (req, 403, "email_not_verified", NULL,
                               "Confirm your email address first: follow the link we sent you");
      return;
    }

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (new_hash != NULL)
    confirmed = eva_db_query (conn, sql_login_rehash, &error, id, hash, new_hash);
  else
    confirmed = eva_db_query (conn, sql_login_confirm, &error, id, hash);
  if (confirmed == NULL)
    goto failed;
  if (PQntuples (confirmed) == 0)
    {
      /* Disabled, deleted or given a new password meanwhile. */
      eva_db_rollback (conn);
      reply_invalid_credentials (req);
      return;
    }

  /* A new session id at every sign-in; the one the browser had ends. */
  if (account->token_hash != NULL &&
      !eva_session_revoke_token (conn, account->token_hash, &error))
    goto failed;
  token = eva_session_create (conn, id, req->client_ip, account->user_agent,
                              &csrf, &session_id, &error);
  if (token == NULL ||
      !eva_staff_throttle_succeeded (conn, account_key, address_key, &error))
    goto failed;

  details = json_object_new ();
  json_object_set_string_member (details, "session_id", session_id);
  json_object_set_boolean_member (details, "rehashed", new_hash != NULL);
  if (!eva_attendee_audit (conn, req, "attendee", id, "attendee.login", id, details, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_session_set_cookie (req, token);
  body = eva_attendee_json_with_csrf (eva_db_value (confirmed), csrf);
  eva_request_reply_json_text (req, 200, body);
  return;

failed:
  reply_failed (req, conn, error);
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
eva_api_auth_login (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  g_autofree char *presented = NULL;
  const char *email = NULL;
  const char *password = NULL;
  Account *account;

  /* Signing someone in from another site (login CSRF) is refused too. */
  if (!eva_session_origin_ok (req))
    {
      eva_session_reply_csrf_failed (req);
      return;
    }

  if (!eva_input_begin (&in, req))
    return;
  eva_attendee_input_email (&in, "email", EVA_FIELD_REQUIRED, &email);
  eva_staff_input_password (&in, "password", EVA_FIELD_REQUIRED, &password);
  if (!eva_input_end (&in))
    return;

  presented = eva_session_cookie_token (req);
  account = g_new0 (Account, 1);
  account->email = g_strdup (email);
  account->password = g_strdup (password);
  account->token_hash = presented != NULL ? eva_auth_token_hash_hex (presented) : NULL;
  account->user_agent = eva_staff_user_agent (req);
  eva_request_set_state (req, account, account_free);
  eva_request_run_then (req, login_lookup_work, NULL, NULL, login_check_then);
}

/* ------------------------------------------------------------------ */
/* Sign-out                                                           */
/* ------------------------------------------------------------------ */

static void
logout_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  g_autoptr(GError) error = NULL;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (!eva_session_revoke (conn, req->session_id, &error) ||
      !eva_attendee_audit (conn, req, "attendee", req->principal_id, "attendee.logout",
                           req->principal_id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    {
      reply_failed (req, conn, error);
      return;
    }

  eva_session_clear_cookie (req);
  eva_request_reply_empty (req, 204);
}

void
eva_api_auth_logout (EvaRequest *req)
{
  /* No body is needed; one that is sent must be an empty object. */
  if (req->json != NULL)
    {
      g_auto(EvaInput) in = { 0, };

      if (!eva_input_begin (&in, req) || !eva_input_end (&in))
        return;
    }

  eva_request_run (req, logout_work, NULL, NULL);
}
