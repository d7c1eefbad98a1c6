/* eva-auth.h: passwords, access tokens and refresh tokens
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "core/eva-roles.h"

G_BEGIN_DECLS

#define EVA_ACCESS_TOKEN_TTL   (10 * 60)            /* seconds */
#define EVA_REFRESH_TOKEN_TTL  (30 * 24 * 60 * 60)  /* seconds */
#define EVA_TOKEN_KEY_BYTES    32

char     *eva_auth_hash_password        (const char    *password,
                                         GError       **error);
gboolean  eva_auth_verify_password      (const char    *hash,
                                         const char    *password,
                                         gboolean      *needs_rehash);
/* Spends the same time as a real verification, for unknown accounts. */
void      eva_auth_dummy_verify         (const char    *password);

char     *eva_auth_issue_access_token   (const guint8  *key,
                                         const char    *staff_id,
                                         EvaRole        role,
                                         const char    *session_id,
                                         gint64         now,
                                         gint64         ttl);
gboolean  eva_auth_verify_access_token  (const guint8  *key,
                                         const char    *token,
                                         gint64         now,
                                         char         **staff_id,
                                         EvaRole       *role,
                                         char         **session_id,
                                         GError       **error);

/* The hex BLAKE2b hash under which a random token (session, verification,
 * reset) is stored; any thread. */
char     *eva_auth_token_hash_hex       (const char    *token);

G_END_DECLS
