/* services/staff.h: staff accounts — sessions, sign-in throttling, audit
 *
 * Shared by api/admin-auth.c (sign-in, refresh, logout) and api/staff.c
 * (account management). Everything here runs on a database pool thread
 * unless it says otherwise.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "db/eva-db.h"
#include "http/eva-request.h"

G_BEGIN_DECLS

/* Sign-in throttling (table rate_limits, shared by every process). */
#define EVA_STAFF_ACCOUNT_MAX_FAILURES  5     /* per account, per window */
#define EVA_STAFF_ADDRESS_MAX_FAILURES  20    /* per client address, per window */
/* The 15-minute window and lock cap are also spelled out in the SQL. */
#define EVA_STAFF_THROTTLE_WINDOW       (15 * 60)
#define EVA_STAFF_THROTTLE_MAX_LOCK     (15 * 60)

/* Refresh tokens are eva_random_token (32): 43 characters of base64url. */
#define EVA_STAFF_REFRESH_TOKEN_BYTES   32
#define EVA_STAFF_REFRESH_TOKEN_MAX     256

/* HTTP thread: input helpers and request facts the pool may not read. */
EvaFieldState eva_staff_input_password    (EvaInput      *in,
                                           const char    *field,
                                           EvaFieldFlags  flags,
                                           const char   **out);
char         *eva_staff_user_agent        (EvaRequest    *req);

/* Pool thread. */
char         *eva_staff_token_hash_hex    (const char    *token);
gboolean      eva_staff_audit             (EvaDbConn     *conn,
                                           EvaRequest    *req,
                                           const char    *actor_id,
                                           const char    *action,
                                           const char    *target_id,
                                           JsonObject    *details,
                                           GError       **error);
char         *eva_staff_session_create    (EvaDbConn     *conn,
                                           const char    *staff_id,
                                           const char    *family_id,
                                           const char    *expires_at,
                                           const char    *ip,
                                           const char    *user_agent,
                                           char         **out_family_id,
                                           GError       **error);
gboolean      eva_staff_revoke_family     (EvaDbConn     *conn,
                                           const char    *family_id,
                                           GError       **error);
gboolean      eva_staff_revoke_all        (EvaDbConn     *conn,
                                           const char    *staff_id,
                                           const char    *except_family_id,
                                           GError       **error);

gboolean      eva_staff_throttle_claim    (EvaDbConn     *conn,
                                           const char    *account_key,
                                           const char    *address_key,
                                           gint64        *retry_after,
                                           GError       **error);
gboolean      eva_staff_throttle_succeeded (EvaDbConn    *conn,
                                            const char   *account_key,
                                            const char   *address_key,
                                            GError      **error);

G_END_DECLS
