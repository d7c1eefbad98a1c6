/* eva-keys.c: the master key and the secrets it seals
 *
 * The database keeps the server's own secrets (the access-token HMAC key in
 * server_keys, ticket signing secret keys in signing_keys.secret_key) only
 * sealed with a master key that is never stored in the database: it comes
 * from EVERATO_MASTER_KEY or from $EVERATO_DATA_DIR/master.key. A dump of
 * the database alone therefore opens none of them.
 *
 * A sealed secret is, in the bytea column that held the plain key before:
 *
 *   0x01 | master key id (8) | nonce (24) | XChaCha20-Poly1305 ciphertext + tag
 *
 * The master key id is the first 8 bytes of BLAKE2b-256 of the master key,
 * so a wrong key is reported as such (and by name) instead of failing as
 * "damaged". The associated data is the 9 header bytes followed by the
 * row's label ("server_keys/access_token", "signing_keys/<id>"), so a
 * sealed value moved to another row or another table does not open.
 *
 * No database here: db/eva-key-store.c reads and writes the rows.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-keys"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/eva-keys.h"

#define HEADER_BYTES (1 + EVA_MASTER_KEY_ID_BYTES)
/* A key file is 64 hex characters and a newline; anything much longer is
 * not one. */
#define MAX_FILE_BYTES 256

struct _EvaMasterKey
{
  guint8 key[EVA_MASTER_KEY_BYTES];
  guint8 id[EVA_MASTER_KEY_ID_BYTES];
  char   id_hex[EVA_MASTER_KEY_ID_HEX_LEN + 1];
};

G_DEFINE_QUARK (eva-keys-error-quark, eva_keys_error)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Guarded pages, locked in memory and left out of core dumps; wiped when
 * freed. */
static EvaMasterKey *
master_key_alloc (void)
{
  EvaMasterKey *key = sodium_malloc (sizeof *key);

  if (key == NULL)
    g_error ("cannot allocate memory for the master key");
  memset (key, 0, sizeof *key);
  return key;
}

static void
derive_id (EvaMasterKey *key)
{
  guint8 hash[crypto_generichash_BYTES];

  crypto_generichash (hash, sizeof hash, key->key, sizeof key->key, NULL, 0);
  memcpy (key->id, hash, sizeof key->id);
  sodium_bin2hex (key->id_hex, sizeof key->id_hex, key->id, sizeof key->id);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/* Makes a rename or a link in @dir durable. Some file systems cannot sync
 * a folder; the file itself was synced already. */
static void
sync_dir (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return;
  (void) fsync (fd);
  close (fd);
}

static void
set_file_error (GError     **error,
                int          saved_errno,
                const char  *what,
                const char  *path)
{
  g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_FILE,
               "cannot %s the master key file %s: %s", what, path, g_strerror (saved_errno));
}

/* ------------------------------------------------------------------ */
/* Master keys                                                        */
/* ------------------------------------------------------------------ */

EvaMasterKey *
eva_master_key_new_random (void)
{
  EvaMasterKey *key = master_key_alloc ();

  randombytes_buf (key->key, sizeof key->key);
  derive_id (key);
  return key;
}

EvaMasterKey *
eva_master_key_new_from_bytes (const guint8 *bytes)
{
  EvaMasterKey *key;

  g_return_val_if_fail (bytes != NULL, NULL);

  key = master_key_alloc ();
  memcpy (key->key, bytes, sizeof key->key);
  derive_id (key);
  return key;
}

EvaMasterKey *
eva_master_key_copy (const EvaMasterKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return eva_master_key_new_from_bytes (key->key);
}

void
eva_master_key_free (EvaMasterKey *key)
{
  if (key != NULL)
    sodium_free (key);
}

const char *
eva_master_key_get_id (const EvaMasterKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return key->id_hex;
}

void
eva_master_key_to_hex (const EvaMasterKey *key,
                       char                hex[EVA_MASTER_KEY_HEX_LEN + 1])
{
  g_return_if_fail (key != NULL);

  sodium_bin2hex (hex, EVA_MASTER_KEY_HEX_LEN + 1, key->key, sizeof key->key);
}

EvaMasterKey *
eva_master_key_load_file (const char  *path,
                          GError     **error)
{
  g_autoptr(EvaMasterKey) key = NULL;
  char text[MAX_FILE_BYTES + 1];
  struct stat st;
  gsize len = 0;
  gsize bin_len = 0;
  const char *start;
  const char *end;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      if (saved == ENOENT)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s does not exist", path);
      else
        set_file_error (error, saved, "open", path);
      return NULL;
    }

  if (fstat (fd, &st) == 0 && (st.st_mode & 077) != 0)
    g_warning ("the master key file %s can be read by other users: chmod 600 it", path);

  while (len < sizeof text - 1)
    {
      ssize_t n = read (fd, text + len, sizeof text - 1 - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          sodium_memzero (text, sizeof text);
          set_file_error (error, saved, "read", path);
          return NULL;
        }
      if (n == 0)
        break;
      len += n;
    }
  close (fd);
  text[len] = '\0';

  start = text;
  end = text + len;
  while (start < end && g_ascii_isspace (*start))
    start++;
  while (end > start && g_ascii_isspace (end[-1]))
    end--;

  key = master_key_alloc ();
  if (end - start != EVA_MASTER_KEY_HEX_LEN ||
      sodium_hex2bin (key->key, sizeof key->key, start, end - start, NULL, &bin_len, NULL) != 0 ||
      bin_len != sizeof key->key)
    {
      sodium_memzero (text, sizeof text);
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_FILE,
                   "%s is not a master key file: it must hold the key as %d hex characters",
                   path, EVA_MASTER_KEY_HEX_LEN);
      return NULL;
    }
  sodium_memzero (text, sizeof text);
  derive_id (key);
  return g_steal_pointer (&key);
}

gboolean
eva_master_key_save_file (const EvaMasterKey  *key,
                          const char          *path,
                          gboolean             replace,
                          GError             **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *tmp = NULL;
  char line[EVA_MASTER_KEY_HEX_LEN + 2];
  gboolean written;
  int fd;
  int rc;
  int saved;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved = errno;
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_FILE,
                   "cannot create the folder %s for the master key: %s", dir, g_strerror (saved));
      return FALSE;
    }

  tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_file_error (error, errno, "create", tmp);
      return FALSE;
    }

  eva_master_key_to_hex (key, line);
  line[EVA_MASTER_KEY_HEX_LEN] = '\n';
  line[EVA_MASTER_KEY_HEX_LEN + 1] = '\0';
  written = write_all (fd, line, EVA_MASTER_KEY_HEX_LEN + 1) && fsync (fd) == 0;
  saved = errno;
  sodium_memzero (line, sizeof line);
  if (close (fd) != 0 && written)
    {
      written = FALSE;
      saved = errno;
    }
  if (!written)
    {
      g_unlink (tmp);
      set_file_error (error, saved, "write", tmp);
      return FALSE;
    }

  if (replace)
    {
      rc = rename (tmp, path);
      saved = errno;
    }
  else
    {
      /* link() never replaces: of two processes creating the file at the
       * same moment, one wins and the other reads its key. */
      rc = link (tmp, path);
      saved = errno;
      if (rc != 0 && saved != EEXIST && !g_file_test (path, G_FILE_TEST_EXISTS))
        {
          /* A file system without hard links. */
          rc = rename (tmp, path);
          saved = errno;
        }
    }
  g_unlink (tmp);

  if (rc != 0)
    {
      if (saved == EEXIST)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists already", path);
      else
        set_file_error (error, saved, "write", path);
      return FALSE;
    }

  sync_dir (dir);
  return TRUE;
}

gboolean
eva_master_key_promote_new_file (const char  *data_dir,
                                 GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, EVA_MASTER_KEY_FILE, NULL);
  g_autofree char *path_new = g_build_filename (data_dir, EVA_MASTER_KEY_FILE_NEW, NULL);
  g_autofree char *path_old = g_build_filename (data_dir, EVA_MASTER_KEY_FILE_OLD, NULL);

  g_return_val_if_fail (data_dir != NULL, FALSE);

  /* Each step leaves a state the loader understands: it tries master.key,
   * then master.key.new, then master.key.old. */
  if (rename (path, path_old) != 0 && errno != ENOENT)
    {
      set_file_error (error, errno, "rename", path);
      return FALSE;
    }
  if (rename (path_new, path) != 0)
    {
      set_file_error (error, errno, "rename", path_new);
      return FALSE;
    }
  sync_dir (data_dir);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Sealing                                                            */
/* ------------------------------------------------------------------ */

static guint8 *
associated_data (const guint8 *header,
                 const char   *label,
                 gsize        *len)
{
  gsize label_len = strlen (label);
  guint8 *ad = g_malloc (HEADER_BYTES + label_len);

  memcpy (ad, header, HEADER_BYTES);
  memcpy (ad + HEADER_BYTES, label, label_len);
  *len = HEADER_BYTES + label_len;
  return ad;
}

GBytes *
eva_keys_seal (const EvaMasterKey *key,
               const char         *label,
               const guint8       *secret,
               gsize               secret_len)
{
  gsize sealed_len = EVA_SEALED_OVERHEAD + secret_len;
  guint8 *sealed;
  guint8 *nonce;
  g_autofree guint8 *ad = NULL;
  gsize ad_len;
  unsigned long long cipher_len = 0;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (label != NULL, NULL);
  g_return_val_if_fail (secret != NULL || secret_len == 0, NULL);

  sealed = g_malloc (sealed_len);
  sealed[0] = EVA_SEALED_VERSION;
  memcpy (sealed + 1, key->id, EVA_MASTER_KEY_ID_BYTES);
  nonce = sealed + HEADER_BYTES;
  randombytes_buf (nonce, EVA_SEALED_NONCE_BYTES);
  ad = associated_data (sealed, label, &ad_len);

  crypto_aead_xchacha20poly1305_ietf_encrypt (nonce + EVA_SEALED_NONCE_BYTES, &cipher_len,
                                              secret, secret_len, ad, ad_len,
                                              NULL, nonce, key->key);
  g_assert (cipher_len == secret_len + EVA_SEALED_TAG_BYTES);
  return g_bytes_new_take (sealed, sealed_len);
}

gboolean
eva_keys_sealed_key_id (const guint8 *sealed,
                        gsize         sealed_len,
                        char          id[EVA_MASTER_KEY_ID_HEX_LEN + 1])
{
  if (sealed == NULL || sealed_len < EVA_SEALED_OVERHEAD || sealed[0] != EVA_SEALED_VERSION)
    return FALSE;
  sodium_bin2hex (id, EVA_MASTER_KEY_ID_HEX_LEN + 1, sealed + 1, EVA_MASTER_KEY_ID_BYTES);
  return TRUE;
}

gboolean
eva_keys_open (const EvaMasterKey  *key,
               const char          *label,
               const guint8        *sealed,
               gsize                sealed_len,
               guint8              *secret,
               gsize                secret_len,
               GError             **error)
{
  char id[EVA_MASTER_KEY_ID_HEX_LEN + 1];
  const guint8 *nonce;
  g_autofree guint8 *ad = NULL;
  gsize ad_len;
  unsigned long long plain_len = 0;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (label != NULL, FALSE);
  g_return_val_if_fail (secret != NULL, FALSE);

  if (!eva_keys_sealed_key_id (sealed, sealed_len, id))
    {
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                   "the key %s is not sealed in a form this version knows", label);
      return FALSE;
    }
  if (!g_str_equal (id, key->id_hex))
    {
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_WRONG_KEY,
                   "the key %s is sealed with master key %s, not with master key %s",
                   label, id, key->id_hex);
      return FALSE;
    }
  if (sealed_len != EVA_SEALED_OVERHEAD + secret_len)
    {
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                   "the key %s is damaged: a sealed %" G_GSIZE_FORMAT "-byte key has "
                   "%" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
                   label, secret_len, (gsize) EVA_SEALED_OVERHEAD + secret_len, sealed_len);
      return FALSE;
    }

  nonce = sealed + HEADER_BYTES;
  ad = associated_data (sealed, label, &ad_len);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt (secret, &plain_len, NULL,
                                                  nonce + EVA_SEALED_NONCE_BYTES,
                                                  sealed_len - HEADER_BYTES - EVA_SEALED_NONCE_BYTES,
                                                  ad, ad_len, nonce, key->key) != 0 ||
      plain_len != secret_len)
    {
      sodium_memzero (secret, secret_len);
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                   "the key %s does not open with master key %s: it was altered or damaged",
                   label, key->id_hex);
      return FALSE;
    }
  return TRUE;
}
