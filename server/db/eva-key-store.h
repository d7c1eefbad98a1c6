/* eva-key-store.h: the key rows, sealed with the master key
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "core/eva-config.h"
#include "core/eva-keys.h"
#include "db/eva-db.h"
#include "eva-common.h"

#include <sodium.h>

G_BEGIN_DECLS

/* Seconds between two looks of a running server at the access-token key. */
#define EVA_KEY_STORE_REFRESH_SECONDS 10

typedef struct _EvaKeyStore EvaKeyStore;

/* Called by eva_key_store_rotate_master_key() once every row is sealed
 * with @new_key, just before the transaction commits; returning FALSE
 * rolls it back. */
typedef gboolean (*EvaKeyStoreCommitHook) (const EvaMasterKey  *new_key,
                                           gpointer             user_data,
                                           GError             **error);

/* @config must outlive the store. */
EvaKeyStore  *eva_key_store_new                (const EvaConfig        *config);
void          eva_key_store_free               (EvaKeyStore            *store);

/* At start: finds the master key that opens the key rows (creating
 * master.key on the very first start), seals rows still in plain text,
 * creates the access-token key if there is none and loads it. */
gboolean      eva_key_store_unlock             (EvaKeyStore            *store,
                                                EvaDbConn              *conn,
                                                GError                **error);
/* The access-token HMAC key (32 bytes) last loaded; any thread. A pointer
 * handed out stays valid until the store is freed. */
const guint8 *eva_key_store_get_token_key      (EvaKeyStore            *store);
const char   *eva_key_store_get_master_key_id  (EvaKeyStore            *store);

/* For a running server: reads the access-token key row again and sets
 * @changed when the key is another one now. Cheap when nothing changed.
 * One caller at a time. */
gboolean      eva_key_store_refresh            (EvaKeyStore            *store,
                                                EvaDbConn              *conn,
                                                gboolean               *changed,
                                                GError                **error);

/* Re-seals every key row with @new_key in one transaction. Without
 * EVERATO_MASTER_KEY, @new_key is written to master.key.new first and
 * becomes master.key once the transaction has committed (the previous
 * one is kept as master.key.old). */
gboolean      eva_key_store_rotate_master_key  (EvaKeyStore            *store,
                                                EvaDbConn              *conn,
                                                const EvaMasterKey     *new_key,
                                                EvaKeyStoreCommitHook   before_commit,
                                                gpointer                user_data,
                                                GError                **error);
/* Replaces the access-token key with a new random one. */
gboolean      eva_key_store_rotate_token_key   (EvaKeyStore            *store,
                                                EvaDbConn              *conn,
                                                GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaKeyStore, eva_key_store_free)

/* The key new ticket codes are signed with: the newest signing key not
 * retired, made (and stored sealed) when there is none. Runs in the
 * caller's transaction; @secret is the caller's to wipe. */
gboolean      eva_key_store_ticket_key         (EvaKeyStore            *store,
                                                EvaDbConn              *conn,
                                                char                    key_id[EVA_TICKET_KEY_ID_LEN + 1],
                                                guint8                  secret[crypto_sign_SECRETKEYBYTES],
                                                GError                **error);
/* Retires every signing key (they still verify codes until they are
 * deleted) and makes a new one, in one transaction. */
gboolean      eva_key_store_rotate_ticket_key  (EvaKeyStore            *store,
                                                EvaDbConn              *conn,
                                                char                    key_id[EVA_TICKET_KEY_ID_LEN + 1],
                                                GError                **error);

/* The running server's store, for what issues tickets and sends webhooks
 * (NULL: none; tickets cannot be signed, sealed secrets not opened). */
void          eva_key_store_set_running         (EvaKeyStore       *store);
EvaKeyStore  *eva_key_store_get_running         (void);

/* Webhook endpoints' signing secrets, in webhook_endpoints.secret: the
 * prefix and the sealed value in hex, bound to the endpoint's id. */
#define EVA_KEY_STORE_SEALED_PREFIX "sealed:"

/* A secret as text, wiped when freed (g_autoptr (EvaSecretText)). */
typedef char EvaSecretText;
void          eva_key_store_secret_free         (EvaSecretText     *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaSecretText, eva_key_store_secret_free)

/* In the caller's transaction, before it stores something sealed with the
 * master key: fails (EVA_KEYS_ERROR_WRONG_KEY) when a rotation has replaced
 * the key and this server has not taken the new one yet, and holds the
 * rotation off until the transaction ends. */
gboolean      eva_key_store_check_current       (EvaKeyStore       *store,
                                                 EvaDbConn         *conn,
                                                 GError           **error);

/* The value to store for @secret of the endpoint @endpoint_id (after
 * eva_key_store_check_current() in the same transaction). */
char         *eva_key_store_seal_webhook_secret (EvaKeyStore       *store,
                                                 const char        *endpoint_id,
                                                 const char        *secret);
/* The secret behind @stored (a value without the prefix was stored
 * before sealing existed and is returned as it is); NULL with @error
 * when it does not open. Wipe it after use. Any thread, but not while a
 * rotation runs in this process. */
char         *eva_key_store_open_webhook_secret (EvaKeyStore       *store,
                                                 const char        *endpoint_id,
                                                 const char        *stored,
                                                 GError           **error);

G_END_DECLS
