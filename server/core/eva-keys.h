/* eva-keys.h: the master key and the secrets it seals
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define EVA_MASTER_KEY_BYTES     32
#define EVA_MASTER_KEY_HEX_LEN   (2 * EVA_MASTER_KEY_BYTES)
#define EVA_MASTER_KEY_ID_BYTES  8
#define EVA_MASTER_KEY_ID_HEX_LEN (2 * EVA_MASTER_KEY_ID_BYTES)

/* Sealed value: version | master key id | nonce | ciphertext + tag. */
#define EVA_SEALED_VERSION       0x01
#define EVA_SEALED_NONCE_BYTES   24
#define EVA_SEALED_TAG_BYTES     16
#define EVA_SEALED_OVERHEAD      (1 + EVA_MASTER_KEY_ID_BYTES + EVA_SEALED_NONCE_BYTES + \
                                  EVA_SEALED_TAG_BYTES)

/* Files in EVERATO_DATA_DIR. */
#define EVA_MASTER_KEY_FILE      "master.key"
#define EVA_MASTER_KEY_FILE_NEW  "master.key.new"
#define EVA_MASTER_KEY_FILE_OLD  "master.key.old"

/* What a sealed secret is bound to (its associated data): the table and
 * the row, so a sealed value copied to another row does not open. */
#define EVA_KEYS_LABEL_ACCESS_TOKEN   "server_keys/access_token"
#define EVA_KEYS_LABEL_SERVER_PREFIX  "server_keys/"
#define EVA_KEYS_LABEL_SIGNING_PREFIX "signing_keys/"
#define EVA_KEYS_LABEL_WEBHOOK_PREFIX "webhook_endpoints/"

#define EVA_KEYS_ERROR (eva_keys_error_quark ())

/**
 * EvaKeysError:
 * @EVA_KEYS_ERROR_NO_KEY: no master key that opens the key rows was found
 * @EVA_KEYS_ERROR_WRONG_KEY: the secret is sealed with another master key
 * @EVA_KEYS_ERROR_DAMAGED: not a sealed secret, or altered since it was sealed
 * @EVA_KEYS_ERROR_FILE: a master key file cannot be read or written
 *
 * Every one of them is a matter of configuration for the operator: the
 * command line exits with 2.
 */
typedef enum
{
  EVA_KEYS_ERROR_NO_KEY,
  EVA_KEYS_ERROR_WRONG_KEY,
  EVA_KEYS_ERROR_DAMAGED,
  EVA_KEYS_ERROR_FILE,
} EvaKeysError;

GQuark        eva_keys_error_quark          (void);

typedef struct _EvaMasterKey EvaMasterKey;

EvaMasterKey *eva_master_key_new_random     (void);
EvaMasterKey *eva_master_key_new_from_bytes (const guint8        *bytes);
EvaMasterKey *eva_master_key_copy           (const EvaMasterKey  *key);
void          eva_master_key_free           (EvaMasterKey        *key);
/* 16 hex characters that name the key (not secret): the first 8 bytes of
 * BLAKE2b-256 of the key. */
const char   *eva_master_key_get_id         (const EvaMasterKey  *key);
/* The key as 64 hex characters, for the operator; wipe it after use. */
void          eva_master_key_to_hex         (const EvaMasterKey  *key,
                                             char                 hex[EVA_MASTER_KEY_HEX_LEN + 1]);

/* A key file holds the key as 64 hex characters and a newline. Loading a
 * file that does not exist fails with G_IO_ERROR_NOT_FOUND. */
EvaMasterKey *eva_master_key_load_file      (const char          *path,
                                             GError             **error);
/* Writes @path with mode 0600 through a temporary file in the same folder,
 * synced to disk. Without @replace an existing @path is kept and the call
 * fails with G_IO_ERROR_EXISTS. */
gboolean      eva_master_key_save_file      (const EvaMasterKey  *key,
                                             const char          *path,
                                             gboolean             replace,
                                             GError             **error);
/* Finishes a rotation in @data_dir: master.key becomes master.key.old and
 * master.key.new becomes master.key, synced to disk. */
gboolean      eva_master_key_promote_new_file (const char        *data_dir,
                                               GError           **error);

/* Sealing: XChaCha20-Poly1305-IETF with @label as associated data. */
GBytes       *eva_keys_seal                 (const EvaMasterKey  *key,
                                             const char          *label,
                                             const guint8        *secret,
                                             gsize                secret_len);
/* Opens @sealed into @secret, which must be exactly its size. */
gboolean      eva_keys_open                 (const EvaMasterKey  *key,
                                             const char          *label,
                                             const guint8        *sealed,
                                             gsize                sealed_len,
                                             guint8              *secret,
                                             gsize                secret_len,
                                             GError             **error);
/* The id of the master key @sealed was sealed with, or FALSE if @sealed
 * is not a sealed value of this version. */
gboolean      eva_keys_sealed_key_id        (const guint8        *sealed,
                                             gsize                sealed_len,
                                             char                 id[EVA_MASTER_KEY_ID_HEX_LEN + 1]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaMasterKey, eva_master_key_free)

G_END_DECLS
