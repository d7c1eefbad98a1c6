/* eva-router.c: matching a request to its route, and the checks every
 * route shares (authentication, role, body type and size, JSON syntax)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-router"

#include "config.h"

#include "core/eva-auth.h"
#include "http/eva-router.h"
#include "http/eva-session.h"

/* ------------------------------------------------------------------ */
/* Matching                                                           */
/* ------------------------------------------------------------------ */

/* Compares a path with a pattern segment by segment; {name} captures. */
static gboolean
match_pattern (const char *pattern,
               const char *path,
               GHashTable *params)
{
  const char *p = pattern;
  const char *s = path;

  while (*p != '\0' && *s != '\0')
    {
      if (*p == '{')
        {
          const char *close = strchr (p, '}');
          const char *end = strchr (s, '/');
          gsize len;

          g_assert (close != NULL);
          if (end == NULL)
            end = s + strlen (s);
          len = end - s;
          if (len == 0)
            return FALSE;
          if (params != NULL)
            g_hash_table_insert (params,
                                 g_strndup (p + 1, close - p - 1),
                                 g_strndup (s, len));
          p = close + 1;
          s = end;
        }
      else if (*p++ != *s++)
        return FALSE;
    }

  return *p == '\0' && *s == '\0';
}

const EvaRoute *
eva_router_match (const EvaRouter *router,
                  const char  *method,
                  const char  *path,
                  GHashTable  *params,
                  char       **allow)
{
  g_autoptr(GString) allowed = NULL;
  const EvaRoute *routes;
  guint n;

  if (g_str_equal (method, "HEAD"))
    method = "GET";

  routes = router->routes;
  n = router->n_routes;
  for (guint i = 0; i < n; i++)
    {
      if (!match_pattern (routes[i].pattern, path, NULL))
        continue;

      if (g_str_equal (routes[i].method, method))
        {
          if (params != NULL)
            match_pattern (routes[i].pattern, path, params);
          return &routes[i];
        }

      if (allowed == NULL)
        allowed = g_string_new (NULL);
      if (!strstr (allowed->str, routes[i].method))
        {
          if (allowed->len > 0)
            g_string_append (allowed, ", ");
          g_string_append (allowed, routes[i].method);
          if (g_str_equal (routes[i].method, "GET"))
            g_string_append (allowed, ", HEAD");
        }
    }

  if (allow != NULL && allowed != NULL)
    *allow = g_string_free (g_steal_pointer (&allowed), FALSE);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Shared checks                                                      */
/* ------------------------------------------------------------------ */

static gboolean
check_ids (EvaRequest *req)
{
  const char *id = eva_request_param (req, "id");
  guint8 uuid[16];

  /* A malformed id names nothing, exactly like an unknown one. */
  if (id != NULL && !eva_uuid_parse (id, uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such resource");
      return FALSE;
    }
  return TRUE;
}

static gboolean
authenticate (EvaRequest *req)
{
  const char *header;
  g_autoptr(GError) error = NULL;

  if (req->route->role == EVA_ROLE_PUBLIC)
    return TRUE;

  /* Attendee routes are authenticated by their session cookie (and CSRF
   * token), which needs the database: eva_router_dispatch() hands them to
   * eva_auth_attendee(). */
  if (req->route->role == EVA_ROLE_ATTENDEE)
    return TRUE;

  header = eva_request_header (req, "Authorization");
  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    {
      eva_request_add_header (req, "WWW-Authenticate", "Bearer realm=\"everato\"");
      eva_request_reply_error (req, 401, "unauthorized", NULL,
                               "Sign in first: this route needs a bearer token");
      return FALSE;
    }

  if (!eva_auth_verify_access_token (eva_request_get_token_key (req),
                                     header + 7, g_get_real_time () / G_USEC_PER_SEC,
                                     &req->principal_id, &req->role, &req->session_id,
                                     &error))
    {
      eva_request_add_header (req, "WWW-Authenticate",
                              "Bearer realm=\"everato\", error=\"invalid_token\"");
      eva_request_reply_error (req, 401, "invalid_token", NULL, "%s", error->message);
      return FALSE;
    }

  /* The role is checked against the account as it is now: see
   * staff_check_work(). */
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Staff sign-ins                                                     */
/* ------------------------------------------------------------------ */

/* $1 staff id, $2 the sign-in (refresh token family) the access token was
 * issued for. The account's role now, while it is enabled and that sign-in
 * has not ended (logout, password change, disabling, refresh token reuse). */
static const char sql_staff_signed_in[] =
  "SELECT st.role FROM staff st "
  "WHERE st.id = $1::uuid AND st.disabled_at IS NULL "
  "  AND EXISTS (SELECT 1 FROM staff_sessions s "
  "              WHERE s.family_id = $2::uuid AND s.staff_id = st.id "
  "                AND s.revoked_at IS NULL)";

/* On a pool thread: an access token is good for its ten minutes only while
 * its sign-in lasts, and with the role the account has now, so a logout, a
 * disabled account or a lowered role takes effect at once. */
static void
staff_check_work (EvaRequest *req,
                  EvaDbConn  *conn,
                  gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  EvaRole role;

  result = eva_db_query (conn, sql_staff_signed_in, &error, req->principal_id, req->session_id);
  if (result == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (PQntuples (result) == 0 || !eva_role_from_string (PQgetvalue (result, 0, 0), &role))
    {
      eva_request_reply_signed_out (req);
      return;
    }

  if (role < req->route->role)
    {
      eva_request_reply_error (req, 403, "forbidden", NULL,
                               "Your role (%s) may not do this", eva_role_to_string (role));
      return;
    }

  /* No reply: eva_request_run_then() goes on with the route's handler. */
  req->role = role;
}

static gboolean
is_json_type (const char *content_type)
{
  return g_ascii_strcasecmp (content_type, "application/json") == 0 ||
         (g_str_has_prefix (content_type, "application/") &&
          g_str_has_suffix (content_type, "+json"));
}

static gboolean
read_body (EvaRequest *req)
{
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const char *content_type;
  gsize max_body = eva_request_get_config (req)->max_body;

  if (body->length > (goffset) max_body)
    {
      eva_request_reply_error (req, 413, "payload_too_large", NULL,
                               "The request body is larger than %" G_GSIZE_FORMAT " bytes",
                               max_body);
      return FALSE;
    }

  if (body->length == 0)
    {
      if (req->route->flags & EVA_ROUTE_BODY)
        {
          eva_request_reply_error (req, 400, "invalid_json", NULL,
                                   "The request body must be a JSON object");
          return FALSE;
        }
      return TRUE;
    }

  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type == NULL || !is_json_type (content_type))
    {
      eva_request_reply_error (req, 415, "unsupported_media_type", NULL,
                               "Send the body as application/json");
      return FALSE;
    }

  bytes = soup_message_body_flatten (body);
  req->json = eva_json_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (req->json == NULL)
    {
      eva_request_reply_error (req, 400, "invalid_json", NULL, "%s", error->message);
      return FALSE;
    }

  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                           */
/* ------------------------------------------------------------------ */

/* After authentication: the body, then the route's handler. */
static void
dispatch_authenticated (EvaRequest *req)
{
  if (!read_body (req))
    return;

  req->route->handler (req);
}

void
eva_router_dispatch (EvaRequest *req)
{
  g_autofree char *allow = NULL;

  req->route = eva_router_match (req->host->router, req->method, req->path, req->params, &allow);

  if (req->route == NULL)
    {
      if (allow != NULL)
        {
          eva_request_add_header (req, "Allow", allow);
          eva_request_reply_error (req, 405, "method_not_allowed", NULL,
                                   "%s is not allowed here; use %s", req->method, allow);
          return;
        }

      if (!g_str_has_prefix (req->path, "/api/") && req->host->router->fallback != NULL)
        {
          req->host->router->fallback (req);
          return;
        }

      eva_request_reply_error (req, 404, "not_found", NULL, "No route for %s", req->path);
      return;
    }

  if (!check_ids (req) || !authenticate (req))
    return;

  /* The session lookups run on a pool thread; dispatch_authenticated()
   * then runs back on this one, or the request ends with 401/403. */
  if (req->route->role == EVA_ROLE_ATTENDEE)
    {
      eva_auth_attendee (req, dispatch_authenticated);
      return;
    }

  /* Likewise whether a staff member's sign-in still stands. */
  if (req->route->role != EVA_ROLE_PUBLIC)
    {
      guint8 family[16];

      if (req->session_id == NULL || !eva_uuid_parse (req->session_id, family))
        {
          eva_request_add_header (req, "WWW-Authenticate",
                                  "Bearer realm=\"everato\", error=\"invalid_token\"");
          eva_request_reply_error (req, 401, "invalid_token", NULL,
                                   "This token belongs to no sign-in; sign in again");
          return;
        }
      /* Every staff role may call such a route (else the role as it is
       * now would have to be looked up here after all). */
      if ((req->route->flags & EVA_ROUTE_OWN_SIGN_IN) && req->route->role == EVA_ROLE_DOOR_STAFF)
        dispatch_authenticated (req);
      else
        eva_request_run_then (req, staff_check_work, NULL, NULL, dispatch_authenticated);
      return;
    }

  dispatch_authenticated (req);
}
