/* services/staff.c: staff accounts — sessions, sign-in throttling, audit
 *
 * Refresh tokens: random (eva_random_token), stored only as a BLAKE2b hash
 * in staff_sessions. Each sign-in starts a family; every refresh marks its
 * row used and adds the next row to the same family, so a token that shows
 * up a second time is a stolen copy (or a replay) and the whole family is
 * revoked (see api/admin-auth.c).
 *
 * Throttling: rate_limits rows keyed "staff:acct:<lower email>" and
 * "staff:ip:<address>". An attempt is *claimed* before the password is
 * checked — counted as a failure up front by one atomic upsert that refuses
 * when the key is locked — so a burst of parallel guesses cannot slip past
 * the limit, in one process or many. A successful sign-in then takes its
 * claim back (the account key is cleared, the address key decremented).
 * Once a key reaches its limit within the window, it is locked for
 * min (2^(failures - limit) s, 15 min); a refused attempt changes nothing.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-staff"

#include "config.h"

#include <sodium.h>

#include "core/eva-auth.h"
#include "services/staff.h"

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_audit[] =
  "INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id, "
  "                       details, request_id, ip) "
  "VALUES ('staff', $1::uuid, $2, 'staff', $3, $4::jsonb, $5, $6)";

static const char sql_session_insert[] =
  "INSERT INTO staff_sessions (staff_id, family_id, token_hash, expires_at, ip, user_agent) "
  "VALUES ($1::uuid, coalesce ($2::uuid, gen_random_uuid ()), decode ($3, 'hex'), "
  "        coalesce ($4::timestamptz, now () + make_interval (secs => $5::int)), $6, $7) "
  "RETURNING family_id";

static const char sql_revoke_family[] =
  "UPDATE staff_sessions SET revoked_at = now () "
  "WHERE family_id = $1::uuid AND revoked_at IS NULL";

static const char sql_revoke_all[] =
  "UPDATE staff_sessions SET revoked_at = now () "
  "WHERE staff_id = $1::uuid AND revoked_at IS NULL "
  "  AND ($2::uuid IS NULL OR family_id <> $2::uuid)";

/* $1 key, $2 limit. The new failure count is spelled out three times
 * because ON CONFLICT … SET only sees the old row. */
#define NEW_FAILURES \
  "(CASE WHEN r.window_start <= now () - interval '15 minutes' THEN 1 ELSE r.failures + 1 END)"

static const char sql_throttle_claim[] =
  "INSERT INTO rate_limits AS r (key, failures, window_start, locked_until) "
  "VALUES ($1, 1, now (), CASE WHEN $2::int <= 1 THEN now () + interval '1 second' END) "
  "ON CONFLICT (key) DO UPDATE SET "
  "  failures = " NEW_FAILURES ", "
  "  window_start = CASE WHEN r.window_start <= now () - interval '15 minutes' "
  "                      THEN now () ELSE r.window_start END, "
  "  locked_until = CASE WHEN " NEW_FAILURES " >= $2::int "
  "                      THEN now () + make_interval (secs => least (900, "
  "                             power (2, least (10, " NEW_FAILURES " - $2::int)))) END "
  "  WHERE r.locked_until IS NULL OR r.locked_until <= now () "
  "RETURNING failures";

static const char sql_throttle_retry_after[] =
  "SELECT greatest (1, ceil (extract (epoch FROM max (locked_until) - now ())))::bigint "
  "FROM rate_limits WHERE key IN ($1, $2) AND locked_until > now ()";

static const char sql_throttle_clear[] =
  "DELETE FROM rate_limits WHERE key = $1";

static const char sql_throttle_give_back[] =
  "UPDATE rate_limits SET failures = greatest (failures - 1, 0), "
  "  locked_until = CASE WHEN failures - 1 >= $2::int THEN locked_until END "
  "WHERE key = $1";

/* Rows whose window has passed and that hold no lock say nothing: drop
 * them now and then, so guesses at made-up addresses do not pile up. */
static const char sql_throttle_sweep[] =
  "DELETE FROM rate_limits "
  "WHERE key LIKE 'staff:%' AND window_start < now () - interval '15 minutes' "
  "  AND (locked_until IS NULL OR locked_until <= now ())";

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

/* A password is a secret, not text: any UTF-8 (the JSON parser already
 * refuses NUL and invalid UTF-8) of 1 to 1024 bytes. Rules for new
 * passwords are eva_validate_password()'s. */
EvaFieldState
eva_staff_input_password (EvaInput       *in,
                          const char     *field,
                          EvaFieldFlags   flags,
                          const char    **out)
{
  JsonNode *node;
  const char *value;
  gsize len;

  *out = NULL;
  g_hash_table_add (in->seen, (gpointer) field);
  node = json_object_get_member (in->object, field);

  if (node == NULL || (JSON_NODE_HOLDS_NULL (node) && !(flags & EVA_FIELD_NULLABLE)))
    {
      if (node != NULL || (flags & EVA_FIELD_REQUIRED))
        eva_input_error (in, field, (flags & EVA_FIELD_REQUIRED) ? "is required"
                                                                  : "must not be null");
      return EVA_FIELD_ABSENT;
    }
  if (JSON_NODE_HOLDS_NULL (node))
    return EVA_FIELD_NULL;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      eva_input_error (in, field, "must be a string");
      return EVA_FIELD_ABSENT;
    }

  value = json_node_get_string (node);
  len = strlen (value);
  if (len == 0)
    {
      eva_input_error (in, field, "must not be empty");
      return EVA_FIELD_ABSENT;
    }
  if (len > EVA_PASSWORD_MAX_BYTES)
    {
      eva_input_error (in, field, "must be at most 1024 bytes");
      return EVA_FIELD_ABSENT;
    }
  if (!g_utf8_validate (value, len, NULL))
    {
      eva_input_error (in, field, "must be valid UTF-8");
      return EVA_FIELD_ABSENT;
    }

  *out = value;
  return EVA_FIELD_SET;
}

/* The User-Agent header as valid UTF-8 of at most 512 bytes, or NULL. */
char *
eva_staff_user_agent (EvaRequest *req)
{
  const char *header = eva_request_header (req, "User-Agent");
  g_autofree char *valid = NULL;
  const char *p;

  if (header == NULL || *header == '\0')
    return NULL;

  valid = g_utf8_make_valid (header, -1);
  for (p = valid; *p != '\0'; )
    {
      const char *next = g_utf8_next_char (p);

      if (next - valid > 512)
        break;
      p = next;
    }
  return g_strndup (valid, p - valid);
}

/* ------------------------------------------------------------------ */
/* Sessions and audit                                                 */
/* ------------------------------------------------------------------ */

char *
eva_staff_token_hash_hex (const char *token)
{
  guint8 hash[EVA_TOKEN_HASH_BYTES];
  char hex[EVA_TOKEN_HASH_BYTES * 2 + 1];

  eva_token_hash (token, hash);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

gboolean
eva_staff_audit (EvaDbConn   *conn,
                 EvaRequest  *req,
                 const char  *actor_id,
                 const char  *action,
                 const char  *target_id,
                 JsonObject  *details,
                 GError     **error)
{
  g_autoptr(PGresult) result = NULL;
  g_autofree char *details_text = NULL;
  const char *params[6];

  if (details != NULL)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, details);
      details_text = eva_json_to_string (node);
    }

  params[0] = actor_id;
  params[1] = action;
  params[2] = target_id;
  params[3] = details_text != NULL ? details_text : "{}";
  params[4] = req->request_id;
  params[5] = req->client_ip != NULL && *req->client_ip != '\0' ? req->client_ip : NULL;
  result = eva_db_exec (conn, sql_audit, G_N_ELEMENTS (params), params, error);
  return result != NULL;
}

/* Adds a refresh token to @family_id, or to a new family when it is NULL,
 * expiring at @expires_at (text timestamp) or EVA_REFRESH_TOKEN_TTL from
 * now. Returns the token; only its hash is stored. */
char *
eva_staff_session_create (EvaDbConn   *conn,
                          const char  *staff_id,
                          const char  *family_id,
                          const char  *expires_at,
                          const char  *ip,
                          const char  *user_agent,
                          char       **out_family_id,
                          GError     **error)
{
  g_autofree char *token = eva_random_token (EVA_STAFF_REFRESH_TOKEN_BYTES);
  g_autofree char *hash = eva_staff_token_hash_hex (token);
  g_autofree char *ttl = g_strdup_printf ("%d", EVA_REFRESH_TOKEN_TTL);
  g_autoptr(PGresult) result = NULL;
  const char *params[] = {
    staff_id, family_id, hash, expires_at, ttl,
    ip != NULL && *ip != '\0' ? ip : NULL, user_agent,
  };

  result = eva_db_exec (conn, sql_session_insert, G_N_ELEMENTS (params), params, error);
  if (result == NULL)
    return NULL;

  if (out_family_id != NULL)
    *out_family_id = g_strdup (eva_db_value (result));
  return g_steal_pointer (&token);
}

gboolean
eva_staff_revoke_family (EvaDbConn   *conn,
                         const char  *family_id,
                         GError     **error)
{
  g_autoptr(PGresult) result = eva_db_query (conn, sql_revoke_family, error, family_id);

  return result != NULL;
}

gboolean
eva_staff_revoke_all (EvaDbConn   *conn,
                      const char  *staff_id,
                      const char  *except_family_id,
                      GError     **error)
{
  const char *params[] = { staff_id, except_family_id };
  g_autoptr(PGresult) result =
    eva_db_exec (conn, sql_revoke_all, G_N_ELEMENTS (params), params, error);

  return result != NULL;
}

/* ------------------------------------------------------------------ */
/* Throttling                                                         */
/* ------------------------------------------------------------------ */

/* Claims one attempt on both keys, all or nothing. Returns FALSE on a
 * database error; otherwise *retry_after is 0 when the attempt may go
 * ahead, or the seconds to wait when a key is locked. Keys are always
 * claimed in the same order (account, then address), so two claims never
 * wait on each other in a cycle. */
gboolean
eva_staff_throttle_claim (EvaDbConn   *conn,
                          const char  *account_key,
                          const char  *address_key,
                          gint64      *retry_after,
                          GError     **error)
{
  const char *keys[] = { account_key, address_key };
  const int limits[] = { EVA_STAFF_ACCOUNT_MAX_FAILURES, EVA_STAFF_ADDRESS_MAX_FAILURES };
  gboolean locked = FALSE;
  g_autoptr(PGresult) retry = NULL;

  *retry_after = 0;
  if (!eva_db_begin (conn, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (keys) && !locked; i++)
    {
      g_autofree char *limit = g_strdup_printf ("%d", limits[i]);
      g_autoptr(PGresult) result = eva_db_query (conn, sql_throttle_claim, error, keys[i], limit);

      if (result == NULL)
        {
          eva_db_rollback (conn);
          return FALSE;
        }
      /* No row: the conflict's WHERE refused the update, the key is locked. */
      locked = PQntuples (result) == 0;
    }

  if (!locked)
    return eva_db_commit (conn, error);

  eva_db_rollback (conn);
  retry = eva_db_query (conn, sql_throttle_retry_after, error, account_key, address_key);
  if (retry == NULL)
    return FALSE;
  *retry_after = eva_db_value (retry) != NULL ? g_ascii_strtoll (eva_db_value (retry), NULL, 10) : 1;
  *retry_after = CLAMP (*retry_after, 1, EVA_STAFF_THROTTLE_MAX_LOCK);
  return TRUE;
}

/* Inside the sign-in transaction: the attempt was good, take the claim back. */
gboolean
eva_staff_throttle_succeeded (EvaDbConn   *conn,
                              const char  *account_key,
                              const char  *address_key,
                              GError     **error)
{
  g_autofree char *limit = g_strdup_printf ("%d", EVA_STAFF_ADDRESS_MAX_FAILURES);
  g_autoptr(PGresult) cleared = NULL;
  g_autoptr(PGresult) given_back = NULL;
  g_autoptr(PGresult) swept = NULL;

  cleared = eva_db_query (conn, sql_throttle_clear, error, account_key);
  if (cleared == NULL)
    return FALSE;
  given_back = eva_db_query (conn, sql_throttle_give_back, error, address_key, limit);
  if (given_back == NULL)
    return FALSE;
  swept = eva_db_exec (conn, sql_throttle_sweep, 0, NULL, error);
  return swept != NULL;
}
