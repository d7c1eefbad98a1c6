/* eva-session.c: attendee sessions — the cookie, CSRF protection, and
 * authentication of ATTENDEE routes
 *
 * The web site signs attendees in with an HttpOnly cookie, everato_session
 * (Path=/, SameSite=Lax, Secure when EVERATO_PUBLIC_URL is https or a
 * trusted proxy says the client used https), holding a random secret of
 * which only the BLAKE2b hash is stored (attendee_sessions.token_hash).
 * Each sign-in makes a new session and revokes the one the browser
 * presented, if any. A session ends when it is revoked (sign-out, password
 * change, the account disabled or deleted), after EVA_SESSION_IDLE_TTL
 * without use (the idle deadline slides, written at most once per
 * EVA_SESSION_TOUCH_INTERVAL), or EVA_SESSION_ABSOLUTE_TTL after sign-in,
 * however active.
 *
 * Beside it goes everato_signed_in=1, the same but not HttpOnly and holding
 * no secret: the site's scripts read it to know whether asking GET
 * /api/v1/me is worth a request, so signed-out visitors never meet a 401.
 * Whenever the session cookie is set or cleared, so is the marker.
 *
 * CSRF: every state-changing request on an ATTENDEE route must
 *  - not come from another site: "Sec-Fetch-Site: cross-site" is refused,
 *    and an Origin header, when sent, must be EVERATO_PUBLIC_URL's origin;
 *  - carry the session's synchronizer token (random per session, handed out
 *    by sign-in and GET /api/v1/me) in X-CSRF-Token, compared in constant
 *    time.
 * A refusal is 403 csrf_failed. SameSite=Lax alone would already keep the
 * cookie off cross-site POSTs in current browsers; the token does not rely
 * on that.
 *
 * The lookup needs the database, so the router hands ATTENDEE routes to
 * eva_auth_attendee(), which pauses the message, checks the session on a
 * pool thread and continues with the route's handler back on the HTTP
 * thread (eva_request_run_then()).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-session"

#include "config.h"

#include "core/eva-auth.h"
#include "http/eva-session.h"
#include "http/eva-session-private.h"

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

/* Sessions of the attendee that ended more than a week ago: dropped at each
 * sign-in, so the table does not grow with every visit. */
static const char sql_session_prune[] =
  "DELETE FROM attendee_sessions WHERE attendee_id = $1::uuid "
  "  AND least (coalesce (revoked_at, 'infinity'), expires_at, idle_expires_at) "
  "      < now () - interval '7 days'";

static const char sql_session_insert[] =
  "INSERT INTO attendee_sessions (attendee_id, token_hash, csrf_token, idle_expires_at, "
  "                               expires_at, ip, user_agent) "
  "VALUES ($1::uuid, decode ($2, 'hex'), $3, now () + make_interval (secs => $4::int), "
  "        now () + make_interval (secs => $5::int), $6, $7) "
  "RETURNING id";

/* $1 token hash, $2 idle TTL, $3 touch interval. A live session of an
 * account that may sign in; its idle deadline slides, written at most once
 * per touch interval. */
static const char sql_session_lookup[] =
  "WITH found AS ("
  "  SELECT s.id, s.attendee_id, s.csrf_token, s.last_seen_at"
  "  FROM attendee_sessions s JOIN attendees a ON a.id = s.attendee_id"
  "  WHERE s.token_hash = decode ($1, 'hex') AND s.revoked_at IS NULL"
  "    AND s.idle_expires_at > now () AND s.expires_at > now ()"
  "    AND a.status = 'active'"
  "), touched AS ("
  "  UPDATE attendee_sessions t SET last_seen_at = now (),"
  "    idle_expires_at = now () + make_interval (secs => $2::int)"
  "  FROM found f"
  "  WHERE t.id = f.id AND f.last_seen_at <= now () - make_interval (secs => $3::int)"
  "  RETURNING t.id"
  ") "
  "SELECT f.id, f.attendee_id, f.csrf_token, (SELECT count(*) FROM touched) FROM found f";

static const char sql_session_revoke_token[] =
  "UPDATE attendee_sessions SET revoked_at = now () "
  "WHERE token_hash = decode ($1, 'hex') AND revoked_at IS NULL";

static const char sql_session_revoke[] =
  "UPDATE attendee_sessions SET revoked_at = now () "
  "WHERE id = $1::uuid AND revoked_at IS NULL";

static const char sql_session_revoke_all[] =
  "UPDATE attendee_sessions SET revoked_at = now () "
  "WHERE attendee_id = $1::uuid AND revoked_at IS NULL "
  "  AND ($2::uuid IS NULL OR id <> $2::uuid)";

/* ------------------------------------------------------------------ */
/* Cookie and origin                                                  */
/* ------------------------------------------------------------------ */

static void
add_cookie (EvaRequest *req,
            const char *value,
            int         max_age)
{
  gboolean secure = eva_request_get_config (req)->public_url_https || req->https;
  g_autofree char *cookie =
    g_strdup_printf (EVA_SESSION_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
                     value, max_age, secure ? "; Secure" : "");
  g_autofree char *marker =
    g_strdup_printf (EVA_SESSION_MARKER_COOKIE "=%s; Path=/; Max-Age=%d; SameSite=Lax%s",
                     max_age > 0 ? "1" : "", max_age, secure ? "; Secure" : "");

  eva_request_add_header (req, "Set-Cookie", cookie);
  eva_request_add_header (req, "Set-Cookie", marker);
}

void
eva_session_set_cookie (EvaRequest *req,
                        const char *token)
{
  add_cookie (req, token, EVA_SESSION_ABSOLUTE_TTL);
}

void
eva_session_clear_cookie (EvaRequest *req)
{
  add_cookie (req, "", 0);
}

char *
eva_session_cookie_token (EvaRequest *req)
{
  return eva_request_cookie (req, EVA_SESSION_COOKIE);
}

/* "scheme://host[:port]", lower case, default ports left out; or NULL. */
char *
_eva_session_origin_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  int port;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  port = g_uri_get_port (uri);
  if ((g_str_equal (scheme, "http") && port == 80) ||
      (g_str_equal (scheme, "https") && port == 443))
    port = -1;

  /* GUri gives an IPv6 address without its brackets. */
  if (strchr (host, ':') != NULL)
    {
      char *bracketed = g_strdup_printf ("[%s]", host);

      g_free (host);
      host = bracketed;
    }

  if (port < 0)
    return g_strdup_printf ("%s://%s", scheme, host);
  return g_strdup_printf ("%s://%s:%d", scheme, host, port);
}

gboolean
eva_session_origin_ok (EvaRequest *req)
{
  const char *site = eva_request_header (req, "Sec-Fetch-Site");
  const char *origin = eva_request_header (req, "Origin");
  g_autofree char *expected = NULL;
  g_autofree char *given = NULL;

  if (site != NULL && g_ascii_strcasecmp (site, "cross-site") == 0)
    return FALSE;
  if (origin == NULL)
    return TRUE;

  /* "null" (sandboxed frames, some redirects) parses as nothing. */
  expected = _eva_session_origin_of (eva_request_get_config (req)->public_url);
  given = _eva_session_origin_of (origin);
  if (given == NULL)
    return FALSE;
  if (expected != NULL && g_str_equal (expected, given))
    return TRUE;

  /* Same origin as the address the browser used (e.g. localhost rather
   * than 127.0.0.1): a foreign page cannot make Origin match Host. The
   * scheme is the public URL's, as TLS may end at a proxy in front. */
  {
    const char *host = eva_request_header (req, "Host");
    const char *public_url = eva_request_get_config (req)->public_url;
    g_autofree char *scheme = g_uri_parse_scheme (public_url);
    g_autofree char *url = NULL;
    g_autofree char *same = NULL;

    if (host == NULL || scheme == NULL || strpbrk (host, "/@?#\\ ") != NULL)
      return FALSE;
    url = g_strconcat (scheme, "://", host, "/", NULL);
    same = _eva_session_origin_of (url);
    return same != NULL && g_str_equal (same, given);
  }
}

void
eva_session_reply_csrf_failed (EvaRequest *req)
{
  eva_request_reply_error (req, 403, "csrf_failed", NULL,
                           "This request did not come from the Everato web site "
                           "(send the X-CSRF-Token you were given)");
}

/* ------------------------------------------------------------------ */
/* Authentication                                                     */
/* ------------------------------------------------------------------ */

typedef struct
{
  char     *token_hash;
  char     *csrf_token;    /* from X-CSRF-Token, may be NULL */
  gboolean  check_csrf;
} Auth;

static void
auth_free (gpointer data)
{
  Auth *auth = data;

  g_free (auth->token_hash);
  g_free (auth->csrf_token);
  g_free (auth);
}

static void
reply_unauthorized (EvaRequest *req)
{
  eva_request_reply_error (req, 401, "unauthorized", NULL,
                           "Sign in first: your session is missing, has expired or was ended");
}

static gboolean
csrf_token_matches (const char *expected,
                    const char *given)
{
  gsize len = strlen (expected);

  if (given == NULL || strlen (given) != len || len == 0)
    return FALSE;
  return eva_constant_time_equal ((const guint8 *) expected, (const guint8 *) given, len);
}

static void
auth_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  Auth *auth = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autofree char *idle = g_strdup_printf ("%d", EVA_SESSION_IDLE_TTL);
  g_autofree char *touch = g_strdup_printf ("%d", EVA_SESSION_TOUCH_INTERVAL);

  result = eva_db_query (conn, sql_session_lookup, &error, auth->token_hash, idle, touch);
  if (result == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (PQntuples (result) == 0)
    {
      /* Tell the browser to forget a cookie that leads nowhere. */
      eva_session_clear_cookie (req);
      reply_unauthorized (req);
      return;
    }

  if (auth->check_csrf && !csrf_token_matches (PQgetvalue (result, 0, 2), auth->csrf_token))
    {
      eva_session_reply_csrf_failed (req);
      return;
    }

  /* No reply: eva_request_run_then() goes on with the route's handler. */
  req->role = EVA_ROLE_ATTENDEE;
  g_free (req->session_id);
  req->session_id = g_strdup (PQgetvalue (result, 0, 0));
  g_free (req->principal_id);
  req->principal_id = g_strdup (PQgetvalue (result, 0, 1));
}

static gboolean
is_safe_method (const char *method)
{
  return g_str_equal (method, "GET") || g_str_equal (method, "HEAD") ||
         g_str_equal (method, "OPTIONS");
}

void
eva_auth_attendee (EvaRequest     *req,
                   EvaRequestThen  then)
{
  g_autofree char *token = eva_session_cookie_token (req);
  Auth *auth;

  if (token == NULL)
    {
      reply_unauthorized (req);
      return;
    }

  auth = g_new0 (Auth, 1);
  auth->check_csrf = !is_safe_method (req->method);
  if (auth->check_csrf && !eva_session_origin_ok (req))
    {
      auth_free (auth);
      eva_session_reply_csrf_failed (req);
      return;
    }

  auth->token_hash = eva_auth_token_hash_hex (token);
  auth->csrf_token = g_strdup (eva_request_header (req, "X-CSRF-Token"));
  eva_request_run_then (req, auth_work, auth, auth_free, then);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                           */
/* ------------------------------------------------------------------ */

char *
eva_session_create (EvaDbConn   *conn,
                    const char  *attendee_id,
                    const char  *ip,
                    const char  *user_agent,
                    char       **out_csrf,
                    char       **out_session_id,
                    GError     **error)
{
  g_autofree char *token = eva_random_token (EVA_SESSION_TOKEN_BYTES);
  g_autofree char *hash = eva_auth_token_hash_hex (token);
  g_autofree char *csrf = eva_random_token (EVA_SESSION_CSRF_BYTES);
  g_autofree char *idle = g_strdup_printf ("%d", EVA_SESSION_IDLE_TTL);
  g_autofree char *absolute = g_strdup_printf ("%d", EVA_SESSION_ABSOLUTE_TTL);
  g_autoptr(PGresult) pruned = NULL;
  g_autoptr(PGresult) result = NULL;
  const char *params[] = {
    attendee_id, hash, csrf, idle, absolute,
    ip != NULL && *ip != '\0' ? ip : NULL, user_agent,
  };

  pruned = eva_db_query (conn, sql_session_prune, error, attendee_id);
  if (pruned == NULL)
    return NULL;
  result = eva_db_exec (conn, sql_session_insert, G_N_ELEMENTS (params), params, error);
  if (result == NULL)
    return NULL;

  if (out_session_id != NULL)
    *out_session_id = g_strdup (eva_db_value (result));
  if (out_csrf != NULL)
    *out_csrf = g_steal_pointer (&csrf);
  return g_steal_pointer (&token);
}

gboolean
eva_session_revoke_token (EvaDbConn   *conn,
                          const char  *token_hash_hex,
                          GError     **error)
{
  g_autoptr(PGresult) result = eva_db_query (conn, sql_session_revoke_token, error,
                                             token_hash_hex);

  return result != NULL;
}

gboolean
eva_session_revoke (EvaDbConn   *conn,
                    const char  *session_id,
                    GError     **error)
{
  g_autoptr(PGresult) result = eva_db_query (conn, sql_session_revoke, error, session_id);

  return result != NULL;
}

gboolean
eva_session_revoke_all (EvaDbConn   *conn,
                        const char  *attendee_id,
                        const char  *except_session_id,
                        GError     **error)
{
  const char *params[] = { attendee_id, except_session_id };
  g_autoptr(PGresult) result =
    eva_db_exec (conn, sql_session_revoke_all, G_N_ELEMENTS (params), params, error);

  return result != NULL;
}
