/* services/attendees.h: attendee accounts — input rules, single-use
 * tokens, mail, throttling and audit
 *
 * Shared by api/accounts.c (sign-up, verification, sign-in, password
 * reset), api/me.c (the signed-in attendee) and api/attendees.c (what
 * organizers see). Sessions and the cookie are in eva-session.h.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "db/eva-db.h"
#include "http/eva-request.h"

G_BEGIN_DECLS

#define EVA_ATTENDEE_EMAIL_MAX        254
#define EVA_ATTENDEE_NAME_MAX         200
#define EVA_ATTENDEE_LOCALE_MAX       16

/* Links in mails carry eva_random_token (32): 43 characters of base64url;
 * only their BLAKE2b hash is stored (attendee_tokens.token_hash). */
#define EVA_ATTENDEE_TOKEN_BYTES      32
#define EVA_ATTENDEE_TOKEN_MAX        256
#define EVA_ATTENDEE_VERIFY_TTL       (24 * 60 * 60)
#define EVA_ATTENDEE_RESET_TTL        (60 * 60)

/* Mails a stranger can trigger (resend, password reset, sign-up with a
 * known address): per address, per client, per hour. */
#define EVA_ATTENDEE_MAIL_WINDOW      (60 * 60)
#define EVA_ATTENDEE_SIGNUP_WINDOW    (60 * 60)  /* EVERATO_SIGNUP_LIMIT… per this */
#define EVA_ATTENDEE_MAIL_PER_EMAIL   3
#define EVA_ATTENDEE_MAIL_PER_CLIENT  10

/* The attendee as the attendee sees it: a SQL expression over the row "a". */
#define EVA_ATTENDEE_JSON \
  "jsonb_build_object ('id', a.id, 'email', a.email, 'name', a.name, " \
  "  'locale', a.locale, 'status', a.status, " \
  "  'email_verified', a.email_verified_at IS NOT NULL, 'created_at', a.created_at)"

/* …and as organizers see it. */
#define EVA_ATTENDEE_ADMIN_JSON \
  "(" EVA_ATTENDEE_JSON " || jsonb_build_object ('email_verified_at', a.email_verified_at, " \
  "  'disabled_at', a.disabled_at, 'deleted_at', a.deleted_at, 'updated_at', a.updated_at))"

/* HTTP thread: input. */
EvaFieldState eva_attendee_input_email    (EvaInput      *in,
                                           const char    *field,
                                           EvaFieldFlags  flags,
                                           const char   **out);
EvaFieldState eva_attendee_input_name     (EvaInput      *in,
                                           const char    *field,
                                           EvaFieldFlags  flags,
                                           const char   **out);
/* Sets *out to the canonical tag ("de-AT"), to be freed. */
EvaFieldState eva_attendee_input_locale   (EvaInput      *in,
                                           const char    *field,
                                           EvaFieldFlags  flags,
                                           char         **out);
/* A single-use token from a link: sets *out_hash to its hash in hex. */
EvaFieldState eva_attendee_input_token    (EvaInput      *in,
                                           const char    *field,
                                           char         **out_hash);
gboolean      eva_attendee_locale_canonical (const char  *tag,
                                             char       **out);

/* Any thread. */
char         *eva_attendee_link           (EvaRequest    *req,
                                           const char    *path,
                                           const char    *token);
void          eva_attendee_reply_retry    (EvaRequest    *req,
                                           const char    *code,
                                           gint64         retry_after,
                                           const char    *message);
/* Adds "csrf_token" to a JSON object's text. */
char         *eva_attendee_json_with_csrf (const char    *json,
                                           const char    *csrf_token);

/* Pool thread, inside the caller's transaction where it says so. */
gboolean      eva_attendee_audit          (EvaDbConn     *conn,
                                           EvaRequest    *req,
                                           const char    *actor_type,
                                           const char    *actor_id,
                                           const char    *action,
                                           const char    *target_id,
                                           JsonObject    *details,
                                           GError       **error);
/* Issues a token for @purpose ("verify_email", "password_reset") valid
 * for @ttl seconds; earlier unused tokens of that purpose stop working. A
 * verification token carries the argon2id @password_hash that using it
 * sets (NULL: the one of the newest earlier token, if any). */
char         *eva_attendee_token_issue    (EvaDbConn     *conn,
                                           const char    *attendee_id,
                                           const char    *purpose,
                                           int            ttl,
                                           const char    *password_hash,
                                           GError       **error);
/* Queues a mail through the outbox; @link may be NULL. */
gboolean      eva_attendee_mail           (EvaDbConn     *conn,
                                           const char    *to_address,
                                           const char    *to_name,
                                           const char    *locale,
                                           const char    *template_name,
                                           const char    *link,
                                           GError       **error);
/* The same with a fresh single-use link for @purpose ("verify_email":
 * EVERATO_PUBLIC_URL/verify?token=…, "password_reset":
 * …/reset-password?token=…), inside the caller's transaction. */
gboolean      eva_attendee_mail_link      (EvaRequest    *req,
                                           EvaDbConn     *conn,
                                           const char    *attendee_id,
                                           const char    *email,
                                           const char    *name,
                                           const char    *locale,
                                           const char    *purpose,
                                           const char    *password_hash,
                                           GError       **error);
/* Counts one request against two keys of rate_limits, in a transaction
 * of its own; *retry_after > 0 (and nothing counted) when either key has
 * used its @limit within the last @window seconds. */
gboolean      eva_attendee_limit_claim    (EvaDbConn     *conn,
                                           const char    *key1,
                                           int            limit1,
                                           const char    *key2,
                                           int            limit2,
                                           int            window,
                                           gint64        *retry_after,
                                           GError       **error);
/* Inside the caller's transaction: counts one against @key and tells
 * whether it is still within @limit (no error when it is not). */
gboolean      eva_attendee_limit_take     (EvaDbConn     *conn,
                                           const char    *key,
                                           int            limit,
                                           int            window,
                                           gboolean      *allowed,
                                           GError       **error);
/* Sign-in throttling keys ("att:acct:<email>", "att:ip:<address>"). */
char         *eva_attendee_account_key    (const char    *email);
char         *eva_attendee_address_key    (EvaRequest    *req);
/* Mail limit keys ("att:<purpose>:mail:<email>", "att:<purpose>:ip:<address>"). */
char         *eva_attendee_mail_key       (const char    *purpose,
                                           const char    *email);
char         *eva_attendee_client_key     (const char    *purpose,
                                           EvaRequest    *req);

G_END_DECLS
