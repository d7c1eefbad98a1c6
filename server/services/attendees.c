/* services/attendees.c: attendee accounts — input rules, single-use
 * tokens, mail, throttling and audit
 *
 * Tokens in mailed links (verify_email: 24 h, password_reset: 1 h) are
 * random (eva_random_token), stored only as a BLAKE2b hash, single use
 * (consumed by a conditional UPDATE … WHERE used_at IS NULL) and replace
 * any earlier token of the same purpose.
 *
 * Two kinds of limits live in rate_limits:
 *  - sign-in failures, "att:acct:<email>" and "att:ip:<address>", with the
 *    staff policy (services/staff.c: claim before checking, lock with
 *    backoff);
 *  - mails that anyone may trigger (verification re-send, password reset,
 *    sign-up with a known address): a plain count per fixed one-hour
 *    window, keyed by purpose and the lower-cased address or the client.
 * The second kind counts every request, whether the address belongs to an
 * account or not, so its answers tell nothing about who has one.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-attendees"

#include "config.h"

#include <sodium.h>

#include "core/eva-auth.h"
#include "services/attendees.h"

#include "mail/eva-outbox.h"

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_audit[] =
  "INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id, "
  "                       details, request_id, ip) "
  "VALUES ($1, $2::uuid, $3, 'attendee', $4, $5::jsonb, $6, $7)";

/* $5: the password the link sets, or NULL to keep the one the newest
 * earlier link of the purpose would have set (a re-sent verification link
 * must not lose the password of the sign-up it answers). */
static const char sql_token_insert[] =
  "INSERT INTO attendee_tokens (attendee_id, purpose, token_hash, expires_at, password_hash) "
  "VALUES ($1::uuid, $2, decode ($3, 'hex'), now () + make_interval (secs => $4::int), "
  "        coalesce ($5, (SELECT t.password_hash FROM attendee_tokens t "
  "                        WHERE t.attendee_id = $1::uuid AND t.purpose = $2 "
  "                          AND t.used_at IS NULL AND t.password_hash IS NOT NULL "
  "                        ORDER BY t.created_at DESC LIMIT 1))) "
  "RETURNING id";

static const char sql_token_drop[] =
  "DELETE FROM attendee_tokens WHERE attendee_id = $1::uuid AND purpose = $2 AND id <> $3::uuid";

/* $1 key, $2 window in seconds. Returns the count in this window and the
 * seconds until the window ends. */
#define WINDOW_OVER "r.window_start <= now () - make_interval (secs => $2::int)"
static const char sql_limit_take[] =
  "INSERT INTO rate_limits AS r (key, failures, window_start) VALUES ($1, 1, now ()) "
  "ON CONFLICT (key) DO UPDATE SET "
  "  failures = CASE WHEN " WINDOW_OVER " THEN 1 ELSE least (r.failures + 1, 1000000) END, "
  "  window_start = CASE WHEN " WINDOW_OVER " THEN now () ELSE r.window_start END "
  "RETURNING failures, greatest (1, ceil (extract (epoch FROM "
  "  window_start + make_interval (secs => $2::int) - now ())))::bigint";

/* Attendee keys that say nothing any more (no window of any kind is
 * longer than an hour). Rows someone holds are left for next time, so the
 * sweep never waits and never deadlocks with a claim. */
static const char sql_limit_sweep[] =
  "DELETE FROM rate_limits WHERE key IN ("
  "  SELECT key FROM rate_limits "
  "  WHERE key LIKE 'att:%' AND window_start < now () - interval '1 hour' "
  "    AND (locked_until IS NULL OR locked_until <= now ()) "
  "  LIMIT 1000 FOR UPDATE SKIP LOCKED)";

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

EvaFieldState
eva_attendee_input_email (EvaInput       *in,
                          const char     *field,
                          EvaFieldFlags   flags,
                          const char    **out)
{
  EvaFieldState state = eva_input_string (in, field, flags, EVA_ATTENDEE_EMAIL_MAX, out);

  if (state == EVA_FIELD_SET &&
      (strlen (*out) > EVA_ATTENDEE_EMAIL_MAX || !eva_validate_email (*out)))
    {
      eva_input_error (in, field, "must be a valid email address of at most 254 bytes");
      *out = NULL;
      return EVA_FIELD_ABSENT;
    }
  return state;
}

EvaFieldState
eva_attendee_input_name (EvaInput       *in,
                         const char     *field,
                         EvaFieldFlags   flags,
                         const char    **out)
{
  /* A name is optional: "" is fine and is the default. */
  return eva_input_string (in, field, flags | EVA_FIELD_EMPTY, EVA_ATTENDEE_NAME_MAX, out);
}

/* Languages the web site and the mail templates speak. */
static const char * const supported_languages[] = { "en", "de" };

static gboolean
all_chars (const char *s,
           gsize       len,
           gboolean  (*test) (gchar c))
{
  for (gsize i = 0; i < len; i++)
    if (!test (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_alpha (gchar c)
{
  return g_ascii_isalpha (c);
}

static gboolean
is_digit (gchar c)
{
  return g_ascii_isdigit (c);
}

/* language[-Script][-REGION], e.g. "de", "de-AT", "en-Latn-GB", "en-150";
 * the language must be one the site speaks. */
gboolean
eva_attendee_locale_canonical (const char  *tag,
                               char       **out)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) canonical = NULL;
  guint n;
  guint i = 1;
  gboolean known = FALSE;

  if (tag == NULL || strlen (tag) > EVA_ATTENDEE_LOCALE_MAX)
    return FALSE;

  parts = g_strsplit (tag, "-", -1);
  n = g_strv_length (parts);
  if (n < 1 || n > 3)
    return FALSE;

  if (strlen (parts[0]) < 2 || strlen (parts[0]) > 3 ||
      !all_chars (parts[0], strlen (parts[0]), is_alpha))
    return FALSE;
  canonical = g_string_new (NULL);
  g_string_append (canonical, parts[0]);
  g_string_ascii_down (canonical);
  for (guint k = 0; k < G_N_ELEMENTS (supported_languages); k++)
    if (g_str_equal (canonical->str, supported_languages[k]))
      known = TRUE;
  if (!known)
    return FALSE;

  if (i < n && strlen (parts[i]) == 4 && all_chars (parts[i], 4, is_alpha))
    {
      g_string_append_c (canonical, '-');
      g_string_append_c (canonical, g_ascii_toupper (parts[i][0]));
      for (guint k = 1; k < 4; k++)
        g_string_append_c (canonical, g_ascii_tolower (parts[i][k]));
      i++;
    }
  if (i < n && ((strlen (parts[i]) == 2 && all_chars (parts[i], 2, is_alpha)) ||
                (strlen (parts[i]) == 3 && all_chars (parts[i], 3, is_digit))))
    {
      g_string_append_c (canonical, '-');
      for (const char *p = parts[i]; *p != '\0'; p++)
        g_string_append_c (canonical, g_ascii_toupper (*p));
      i++;
    }
  if (i != n)
    return FALSE;

  *out = g_string_free (g_steal_pointer (&canonical), FALSE);
  return TRUE;
}

EvaFieldState
eva_attendee_input_locale (EvaInput       *in,
                           const char     *field,
                           EvaFieldFlags   flags,
                           char          **out)
{
  const char *text = NULL;
  EvaFieldState state = eva_input_string (in, field, flags, 64, &text);

  *out = NULL;
  if (state == EVA_FIELD_SET && !eva_attendee_locale_canonical (text, out))
    {
      eva_input_error (in, field, "must be a language tag the site supports: "
                                  "en or de, optionally with a region such as de-AT");
      return EVA_FIELD_ABSENT;
    }
  return state;
}

EvaFieldState
eva_attendee_input_token (EvaInput    *in,
                          const char  *field,
                          char       **out_hash)
{
  const char *token = NULL;
  EvaFieldState state = eva_input_string (in, field, EVA_FIELD_REQUIRED,
                                          EVA_ATTENDEE_TOKEN_MAX, &token);

  *out_hash = NULL;
  if (state == EVA_FIELD_SET && strlen (token) > EVA_ATTENDEE_TOKEN_MAX)
    {
      eva_input_error (in, field, "is not a token this server gave out");
      return EVA_FIELD_ABSENT;
    }
  if (state == EVA_FIELD_SET)
    *out_hash = eva_auth_token_hash_hex (token);
  return state;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

char *
eva_attendee_link (EvaRequest *req,
                   const char *path,
                   const char *token)
{
  /* Tokens are base64url: nothing to escape in a query. */
  return g_strconcat (eva_request_get_config (req)->public_url, path,
                      "?token=", token, NULL);
}

void
eva_attendee_reply_retry (EvaRequest *req,
                          const char *code,
                          gint64      retry_after,
                          const char *message)
{
  g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_int_member (details, "retry_after", retry_after);
  eva_request_add_header (req, "Retry-After", seconds);
  eva_request_reply_error (req, 429, code, details, "%s; try again in %s seconds",
                           message, seconds);
}

char *
eva_attendee_json_with_csrf (const char *json,
                             const char *csrf_token)
{
  gsize len = strlen (json);

  g_return_val_if_fail (len >= 2 && json[len - 1] == '}', g_strdup (json));

  /* The CSRF token is base64url: nothing to escape. */
  return g_strdup_printf ("%.*s%s\"csrf_token\": \"%s\"}", (int) (len - 1), json,
                          len > 2 ? ", " : "", csrf_token);
}

char *
eva_attendee_account_key (const char *email)
{
  g_autofree char *lower = g_utf8_strdown (email, -1);

  return g_strconcat ("att:acct:", lower, NULL);
}

char *
eva_attendee_address_key (EvaRequest *req)
{
  return g_strconcat ("att:ip:", req->client_ip, NULL);
}

char *
eva_attendee_mail_key (const char *purpose,
                       const char *email)
{
  g_autofree char *lower = g_utf8_strdown (email, -1);

  return g_strconcat ("att:", purpose, ":mail:", lower, NULL);
}

char *
eva_attendee_client_key (const char *purpose,
                         EvaRequest *req)
{
  return g_strconcat ("att:", purpose, ":ip:", req->client_ip, NULL);
}

/* ------------------------------------------------------------------ */
/* Audit, tokens, mail                                                */
/* ------------------------------------------------------------------ */

gboolean
eva_attendee_audit (EvaDbConn   *conn,
                    EvaRequest  *req,
                    const char  *actor_type,
                    const char  *actor_id,
                    const char  *action,
                    const char  *target_id,
                    JsonObject  *details,
                    GError     **error)
{
  g_autoptr(PGresult) result = NULL;
  g_autofree char *details_text = NULL;
  const char *params[7];

  if (details != NULL)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, details);
      details_text = eva_json_to_string (node);
    }

  params[0] = actor_type;
  params[1] = actor_id;
  params[2] = action;
  params[3] = target_id;
  params[4] = details_text != NULL ? details_text : "{}";
  params[5] = req->request_id;
  params[6] = req->client_ip != NULL && *req->client_ip != '\0' ? req->client_ip : NULL;
  result = eva_db_exec (conn, sql_audit, G_N_ELEMENTS (params), params, error);
  return result != NULL;
}

char *
eva_attendee_token_issue (EvaDbConn   *conn,
                          const char  *attendee_id,
                          const char  *purpose,
                          int          ttl,
                          const char  *password_hash,
                          GError     **error)
{
  g_autofree char *token = eva_random_token (EVA_ATTENDEE_TOKEN_BYTES);
  g_autofree char *hash = eva_auth_token_hash_hex (token);
  g_autofree char *ttl_text = g_strdup_printf ("%d", ttl);
  g_autoptr(PGresult) dropped = NULL;
  g_autoptr(PGresult) inserted = NULL;

  inserted = eva_db_query (conn, sql_token_insert, error, attendee_id, purpose, hash, ttl_text,
                           password_hash);
  if (inserted == NULL)
    return NULL;
  dropped = eva_db_query (conn, sql_token_drop, error, attendee_id, purpose,
                          PQgetvalue (inserted, 0, 0));
  if (dropped == NULL)
    return NULL;
  return g_steal_pointer (&token);
}

gboolean
eva_attendee_mail (EvaDbConn   *conn,
                   const char  *to_address,
                   const char  *to_name,
                   const char  *locale,
                   const char  *template_name,
                   const char  *link,
                   GError     **error)
{
  g_autoptr(JsonObject) payload = json_object_new ();

  json_object_set_string_member (payload, "name", to_name);
  if (link != NULL)
    json_object_set_string_member (payload, "link", link);
  return eva_outbox_enqueue (conn, to_address, to_name, locale, template_name, payload, error);
}

gboolean
eva_attendee_mail_link (EvaRequest  *req,
                        EvaDbConn   *conn,
                        const char  *attendee_id,
                        const char  *email,
                        const char  *name,
                        const char  *locale,
                        const char  *purpose,
                        const char  *password_hash,
                        GError     **error)
{
  gboolean verify = g_str_equal (purpose, "verify_email");
  g_autofree char *token = NULL;
  g_autofree char *link = NULL;

  token = eva_attendee_token_issue (conn, attendee_id, purpose,
                                    verify ? EVA_ATTENDEE_VERIFY_TTL : EVA_ATTENDEE_RESET_TTL,
                                    password_hash, error);
  if (token == NULL)
    return FALSE;
  link = eva_attendee_link (req, verify ? "/verify" : "/reset-password", token);
  return eva_attendee_mail (conn, email, name, locale, purpose, link, error);
}

/* ------------------------------------------------------------------ */
/* Request limits                                                     */
/* ------------------------------------------------------------------ */

static gboolean
limit_take (EvaDbConn   *conn,
            const char  *key,
            int          window,
            gint64      *count,
            gint64      *retry_after,
            GError     **error)
{
  g_autofree char *window_text = g_strdup_printf ("%d", window);
  g_autoptr(PGresult) result = eva_db_query (conn, sql_limit_take, error, key, window_text);

  if (result == NULL)
    return FALSE;
  *count = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  *retry_after = CLAMP (g_ascii_strtoll (PQgetvalue (result, 0, 1), NULL, 10), 1, window);
  return TRUE;
}

gboolean
eva_attendee_limit_take (EvaDbConn   *conn,
                         const char  *key,
                         int          limit,
                         int          window,
                         gboolean    *allowed,
                         GError     **error)
{
  gint64 count = 0;
  gint64 retry_after = 0;

  if (!limit_take (conn, key, window, &count, &retry_after, error))
    return FALSE;
  *allowed = count <= limit;
  return TRUE;
}

gboolean
eva_attendee_limit_claim (EvaDbConn   *conn,
                          const char  *key1,
                          int          limit1,
                          const char  *key2,
                          int          limit2,
                          int          window,
                          gint64      *retry_after,
                          GError     **error)
{
  const char *keys[] = { key1, key2 };
  const int limits[] = { limit1, limit2 };
  g_autoptr(PGresult) swept = NULL;

  *retry_after = 0;
  if (!eva_db_begin (conn, error))
    return FALSE;

  /* Always in the same order, so two claims never wait on each other. */
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      gint64 count = 0;
      gint64 wait = 0;

      if (!limit_take (conn, keys[i], window, &count, &wait, error))
        {
          eva_db_rollback (conn);
          return FALSE;
        }
      if (count > limits[i])
        *retry_after = MAX (*retry_after, wait);
    }

  /* A refused request counts for nothing. */
  if (*retry_after > 0)
    {
      eva_db_rollback (conn);
      return TRUE;
    }

  if (!eva_db_commit (conn, error))
    return FALSE;
  swept = eva_db_exec (conn, sql_limit_sweep, 0, NULL, error);
  return swept != NULL;
}
