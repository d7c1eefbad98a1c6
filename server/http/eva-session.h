/* eva-session.h: attendee sessions — the cookie, CSRF protection, and
 * authentication of ATTENDEE routes
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "db/eva-db.h"
#include "http/eva-request.h"

G_BEGIN_DECLS

#define EVA_SESSION_COOKIE          "everato_session"
/* Readable by the site's scripts; says only "a session may exist". */
#define EVA_SESSION_MARKER_COOKIE   "everato_signed_in"
#define EVA_SESSION_TOKEN_BYTES     32
#define EVA_SESSION_CSRF_BYTES      32
#define EVA_SESSION_IDLE_TTL        (7 * 24 * 60 * 60)    /* sliding */
#define EVA_SESSION_ABSOLUTE_TTL    (30 * 24 * 60 * 60)
#define EVA_SESSION_TOUCH_INTERVAL  60                    /* seconds */

/* HTTP thread. */
/* Authenticates an ATTENDEE route by its session cookie (and, for a
 * state-changing method, its CSRF token and origin), then calls @then on
 * the request's thread — or replies 401 unauthorized / 403 csrf_failed. */
void      eva_auth_attendee            (EvaRequest      *req,
                                        EvaRequestThen   then);
/* The everato_session cookie's value, or NULL. */
char     *eva_session_cookie_token     (EvaRequest      *req);
/* FALSE when Sec-Fetch-Site says cross-site, or Origin is present and is
 * not EVERATO_PUBLIC_URL's origin. */
gboolean  eva_session_origin_ok        (EvaRequest      *req);
void      eva_session_reply_csrf_failed (EvaRequest     *req);

/* Any thread. */
void      eva_session_set_cookie       (EvaRequest      *req,
                                        const char      *token);
void      eva_session_clear_cookie     (EvaRequest      *req);

/* Pool thread, inside the caller's transaction. Returns the session's
 * secret (for the cookie); sets *out_csrf and *out_session_id. */
char     *eva_session_create           (EvaDbConn       *conn,
                                        const char      *attendee_id,
                                        const char      *ip,
                                        const char      *user_agent,
                                        char           **out_csrf,
                                        char           **out_session_id,
                                        GError         **error);
gboolean  eva_session_revoke_token     (EvaDbConn       *conn,
                                        const char      *token_hash_hex,
                                        GError         **error);
gboolean  eva_session_revoke           (EvaDbConn       *conn,
                                        const char      *session_id,
                                        GError         **error);
/* Every session of the attendee but @except_session_id (may be NULL). */
gboolean  eva_session_revoke_all       (EvaDbConn       *conn,
                                        const char      *attendee_id,
                                        const char      *except_session_id,
                                        GError         **error);

G_END_DECLS
