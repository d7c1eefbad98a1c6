/* eva-key-store.c: the key rows, sealed with the master key
 *
 * The rows: server_keys.secret (the access-token HMAC key, 32 bytes) and
 * signing_keys.secret_key (Ed25519 ticket signing secret keys, 64 bytes),
 * each sealed as core/eva-keys.c describes, with the label
 * "server_keys/<name>" or "signing_keys/<id>". A row of exactly the plain
 * size is a key stored before sealing existed: it is sealed at start.
 *
 * Webhook endpoints' signing secrets (webhook_endpoints.secret, text) too,
 * with the label "webhook_endpoints/<id>": "sealed:" and the sealed value
 * in hex, or the secret itself when it was stored before sealing existed
 * (sealed at start). They are the organizers' and not the server's own: a
 * row that does not open is reported and its deliveries fail until it is
 * replaced, but the server starts; a rotation refuses to leave it behind.
 *
 * The master key: EVERATO_MASTER_KEY if set, else the file master.key in
 * EVERATO_DATA_DIR. When the rows are sealed, the key must be the one they
 * name (its id is in every sealed value); of the files, master.key, then
 * master.key.new, then master.key.old are tried, which keeps a rotation
 * that stopped half-way (files renamed or not) working. master.key is made
 * only on a first start: when no row is sealed yet.
 *
 * Start-up and rotation hold a session advisory lock from before the
 * transaction until the key files are in place, and read the rows FOR
 * UPDATE; every UPDATE is also conditional on the value read. So servers
 * starting together, and a rotation running meanwhile, take turns.
 *
 * A running server looks at the access-token row again every
 * EVA_KEY_STORE_REFRESH_SECONDS (eva_key_store_refresh()), so
 * rotate-token-key reaches it without a restart.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-keys"

#include "config.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

#include "eva-common.h"
#include "core/eva-auth.h"
#include "db/eva-key-store.h"

/* "everato" in ASCII plus one: the migrations lock on "everato" itself. */
#define LOCK_KEY "7310012489474421872"

#define SIGNING_SECRET_BYTES 64   /* crypto_sign_SECRETKEYBYTES */
#define TOKEN_KEY_NAME       "access_token"

typedef struct
{
  const char *table;
  const char *sql_select;        /* name, value (hex), created_at[, plain] */
  const char *sql_update;
  const char *label_prefix;
  gsize       secret_len;        /* 0: any length; sql_select says which rows are plain */
  gboolean    organizers;        /* a row that does not open does not stop the server */
} KeyTable;

typedef struct
{
  const KeyTable *table;
  char           *name;
  char           *label;
  char           *created;       /* created_at, as text */
  guint8         *stored;        /* the column's bytes */
  gsize           stored_len;
  gboolean        plain;         /* not sealed (stored before sealing existed) */
  char            key_id[EVA_MASTER_KEY_ID_HEX_LEN + 1];
  gsize           secret_len;
  guint8         *secret;        /* opened (NULL: it did not); wiped when freed */
} KeyRow;

struct _EvaKeyStore
{
  const EvaConfig *config;
  EvaMasterKey    *master;       /* atomic: read by threads that open and seal secrets */
  int              master_file;  /* index in key_files[], -1: EVERATO_MASTER_KEY */
  guint8          *token_key;    /* atomic; 32 bytes */
  GPtrArray       *retired;      /* earlier token_key buffers, for readers still holding one */
  GPtrArray       *old_masters;  /* earlier master keys, likewise (refresh replaces it) */
  char            *token_hex;    /* the access-token row as last read (sealed, hex) */
  char            *token_created;
};

static const char * const key_files[] = {
  EVA_MASTER_KEY_FILE,
  EVA_MASTER_KEY_FILE_NEW,
  EVA_MASTER_KEY_FILE_OLD,
};

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_lock[] = "SELECT pg_advisory_lock(" LOCK_KEY ")";
static const char sql_unlock[] = "SELECT pg_advisory_unlock(" LOCK_KEY ")";

static const char sql_select_server_keys[] =
  "SELECT name, encode(secret, 'hex'), created_at::text FROM server_keys "
  "ORDER BY name FOR UPDATE";
static const char sql_select_signing_keys[] =
  "SELECT id, encode(secret_key, 'hex'), created_at::text FROM signing_keys "
  "ORDER BY id FOR UPDATE";

/* $3 is the SHA-256 of the value read: a row changed meanwhile is never
 * overwritten, and no plain key travels back to the database. */
static const char sql_update_server_key[] =
  "UPDATE server_keys SET secret = decode($2, 'hex') "
  "WHERE name = $1 AND sha256(secret) = decode($3, 'hex') "
  "RETURNING created_at::text";
static const char sql_update_signing_key[] =
  "UPDATE signing_keys SET secret_key = decode($2, 'hex') "
  "WHERE id = $1 AND sha256(secret_key) = decode($3, 'hex') "
  "RETURNING created_at::text";
static const char sql_replace_server_key[] =
  "UPDATE server_keys SET secret = decode($2, 'hex'), created_at = now() "
  "WHERE name = $1 AND sha256(secret) = decode($3, 'hex') "
  "RETURNING created_at::text";
static const char sql_insert_server_key[] =
  "INSERT INTO server_keys (name, secret) VALUES ($1, decode($2, 'hex')) "
  "RETURNING created_at::text";

/* The value as bytes: the sealed one behind "sealed:", or the plain text;
 * a "sealed:" value that is not hex reads as no bytes (it does not open,
 * and one such row must not fail the statement). Locked FOR NO KEY
 * UPDATE: deliveries being written keep their foreign-key lock. */
#define WEBHOOK_SECRET_BYTES \
  "CASE WHEN secret ~ '^" EVA_KEY_STORE_SEALED_PREFIX "([0-9a-f]{2})*$'" \
  " THEN decode(substr(secret, 8), 'hex')" \
  " WHEN secret LIKE '" EVA_KEY_STORE_SEALED_PREFIX "%' THEN ''::bytea" \
  " ELSE convert_to(secret, 'UTF8') END"
static const char sql_select_webhook_secrets[] =
  "SELECT id::text, encode(" WEBHOOK_SECRET_BYTES ", 'hex'), created_at::text,"
  " secret NOT LIKE '" EVA_KEY_STORE_SEALED_PREFIX "%' FROM webhook_endpoints "
  "ORDER BY id FOR NO KEY UPDATE";
static const char sql_update_webhook_secret[] =
  "UPDATE webhook_endpoints SET secret = '" EVA_KEY_STORE_SEALED_PREFIX "' || $2 "
  "WHERE id = $1::uuid AND sha256(" WEBHOOK_SECRET_BYTES ") = decode($3, 'hex') "
  "RETURNING created_at::text";

/* The id of the master key the access-token row is sealed with, locked
 * against a rotation until the caller's transaction ends. */
static const char sql_token_key_id[] =
  "SELECT encode(substr(secret, 2, 8), 'hex') FROM server_keys "
  "WHERE name = '" TOKEN_KEY_NAME "' FOR SHARE";

static const char sql_select_token_key[] =
  "SELECT encode(secret, 'hex'), created_at::text FROM server_keys "
  "WHERE name = '" TOKEN_KEY_NAME "'";

static const KeyTable key_tables[] = {
  { "server_keys", sql_select_server_keys, sql_update_server_key,
    EVA_KEYS_LABEL_SERVER_PREFIX, EVA_TOKEN_KEY_BYTES },
  { "signing_keys", sql_select_signing_keys, sql_update_signing_key,
    EVA_KEYS_LABEL_SIGNING_PREFIX, SIGNING_SECRET_BYTES },
  { "webhook_endpoints", sql_select_webhook_secrets, sql_update_webhook_secret,
    EVA_KEYS_LABEL_WEBHOOK_PREFIX, 0, TRUE },
};

/* ------------------------------------------------------------------ */
/* Rows                                                               */
/* ------------------------------------------------------------------ */

static void
wipe_free (gpointer  data,
           gsize     len)
{
  if (data == NULL)
    return;
  sodium_memzero (data, len);
  g_free (data);
}

static void
token_key_free (gpointer data)
{
  wipe_free (data, EVA_TOKEN_KEY_BYTES);
}

static void
key_row_free (KeyRow *row)
{
  wipe_free (row->secret, row->secret_len);
  wipe_free (row->stored, row->stored_len);
  g_free (row->name);
  g_free (row->label);
  g_free (row->created);
  g_free (row);
}

static GPtrArray *
key_rows_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) key_row_free);
}

static char *
to_hex (const guint8 *bytes,
        gsize         len)
{
  char *hex = g_malloc (2 * len + 1);

  sodium_bin2hex (hex, 2 * len + 1, bytes, len);
  return hex;
}

/* @hex is wiped: it may be a key in plain text. */
static guint8 *
from_hex (char  *hex,
          gsize *len)
{
  gsize hex_len = strlen (hex);
  guint8 *bytes = g_malloc (hex_len / 2 + 1);

  if (sodium_hex2bin (bytes, hex_len / 2 + 1, hex, hex_len, NULL, len, NULL) != 0)
    *len = 0;
  sodium_memzero (hex, hex_len);
  return bytes;
}

static gboolean
read_rows (EvaDbConn  *conn,
           GPtrArray  *rows,
           GError    **error)
{
  for (guint t = 0; t < G_N_ELEMENTS (key_tables); t++)
    {
      const KeyTable *table = &key_tables[t];
      g_autoptr(PGresult) result = eva_db_exec (conn, table->sql_select, 0, NULL, error);

      if (result == NULL)
        return FALSE;

      for (int i = 0; i < PQntuples (result); i++)
        {
          KeyRow *row = g_new0 (KeyRow, 1);

          row->table = table;
          row->name = g_strdup (PQgetvalue (result, i, 0));
          row->label = g_strconcat (table->label_prefix, row->name, NULL);
          row->stored = from_hex (PQgetvalue (result, i, 1), &row->stored_len);
          row->created = g_strdup (PQgetvalue (result, i, 2));
          g_ptr_array_add (rows, row);

          if (table->secret_len == 0)
            {
              /* Any length: the plain secret's, or the sealed one's. */
              row->plain = g_str_equal (PQgetvalue (result, i, 3), "t");
              if (row->plain)
                row->secret_len = row->stored_len;
              else if (row->stored_len > EVA_SEALED_OVERHEAD &&
                       eva_keys_sealed_key_id (row->stored, row->stored_len, row->key_id))
                row->secret_len = row->stored_len - EVA_SEALED_OVERHEAD;
              /* else opening it fails with the reason (organizers' rows only) */
              continue;
            }

          row->secret_len = table->secret_len;
          if (row->stored_len == table->secret_len)
            row->plain = TRUE;
          else if (!eva_keys_sealed_key_id (row->stored, row->stored_len, row->key_id))
            {
              g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                           "the key %s in the database is neither sealed nor a %" G_GSIZE_FORMAT
                           "-byte key: it is damaged", row->label, table->secret_len);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static KeyRow *
find_row (GPtrArray  *rows,
          const char *label)
{
  for (guint i = 0; i < rows->len; i++)
    {
      KeyRow *row = g_ptr_array_index (rows, i);

      if (g_str_equal (row->label, label))
        return row;
    }
  return NULL;
}

/* Writes @secret, sealed with @key, over @row with @sql (an UPDATE that
 * takes name, sealed value and the SHA-256 of the old value). */
static gboolean
write_row (EvaDbConn           *conn,
           const char          *sql,
           KeyRow              *row,
           const EvaMasterKey  *key,
           const guint8        *secret,
           GError             **error)
{
  g_autoptr(GBytes) sealed = eva_keys_seal (key, row->label, secret, row->secret_len);
  g_autoptr(PGresult) result = NULL;
  g_autofree char *sealed_hex = NULL;
  guint8 digest[crypto_hash_sha256_BYTES];
  char digest_hex[2 * crypto_hash_sha256_BYTES + 1];
  gsize len;
  const guint8 *data = g_bytes_get_data (sealed, &len);

  crypto_hash_sha256 (digest, row->stored, row->stored_len);
  sodium_bin2hex (digest_hex, sizeof digest_hex, digest, sizeof digest);
  sealed_hex = to_hex (data, len);

  result = eva_db_query (conn, sql, error, row->name, sealed_hex, digest_hex);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) != 1)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_CONFLICT,
                   "the key %s changed while it was being sealed; try again", row->label);
      return FALSE;
    }

  wipe_free (row->stored, row->stored_len);
  row->stored = g_memdup2 (data, len);
  row->stored_len = len;
  row->plain = FALSE;
  g_strlcpy (row->key_id, eva_master_key_get_id (key), sizeof row->key_id);
  g_free (row->created);
  row->created = g_strdup (eva_db_value (result));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The master key                                                     */
/* ------------------------------------------------------------------ */

static char *
key_file_path (EvaKeyStore *store,
               guint        which)
{
  return g_build_filename (store->config->data_dir, key_files[which], NULL);
}

/* The first of the key files whose key is @needed. */
static EvaMasterKey *
load_key_file_with_id (EvaKeyStore  *store,
                       const char   *needed,
                       guint        *which,
                       GError      **error)
{
  g_autoptr(GString) looked = g_string_new (NULL);
  g_autofree char *first = key_file_path (store, 0);

  for (guint i = 0; i < G_N_ELEMENTS (key_files); i++)
    {
      g_autofree char *path = key_file_path (store, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(EvaMasterKey) key = eva_master_key_load_file (path, &local_error);

      if (key != NULL && g_str_equal (eva_master_key_get_id (key), needed))
        {
          *which = i;
          return g_steal_pointer (&key);
        }

      g_string_append (looked, i == 0 ? "" : ", ");
      if (key != NULL)
        g_string_append_printf (looked, "%s holds master key %s", path,
                                eva_master_key_get_id (key));
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_string_append_printf (looked, "%s does not exist", path);
      else
        g_string_append (looked, local_error->message);
    }

  g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_NO_KEY,
               "the key rows in the database are sealed with master key %s, which was not "
               "found: EVERATO_MASTER_KEY is not set, and in EVERATO_DATA_DIR %s. Set "
               "EVERATO_MASTER_KEY to master key %s, or put its file at %s",
               needed, looked->str, needed, first);
  return NULL;
}

static void
set_master (EvaKeyStore  *store,
            EvaMasterKey *key,
            int           which)
{
  /* Other threads may be opening a secret with the one in use. */
  if (store->master != NULL)
    g_ptr_array_add (store->old_masters, store->master);
  g_atomic_pointer_set (&store->master, key);
  store->master_file = which;
}

/* Finds the master key for @rows. With nothing sealed yet and no key
 * file, @may_create makes master.key; otherwise the store is left without
 * a master key. */
static gboolean
find_master (EvaKeyStore  *store,
             GPtrArray    *rows,
             gboolean      may_create,
             GError      **error)
{
  const char *needed = NULL;
  g_autoptr(EvaMasterKey) key = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  guint which = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      KeyRow *row = g_ptr_array_index (rows, i);

      /* An organizer's secret sealed with another key only fails itself. */
      if (row->plain || row->table->organizers)
        continue;
      if (needed == NULL)
        needed = row->key_id;
      else if (!g_str_equal (needed, row->key_id))
        {
          g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                       "the key rows in the database are sealed with two master keys, %s and "
                       "%s: restore them from a backup", needed, row->key_id);
          return FALSE;
        }
    }

  set_master (store, NULL, -1);

  if (store->config->has_master_key)
    {
      key = eva_master_key_new_from_bytes (store->config->master_key);
      if (needed != NULL && !g_str_equal (needed, eva_master_key_get_id (key)))
        {
          g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_WRONG_KEY,
                       "the key rows in the database are sealed with master key %s, but "
                       "EVERATO_MASTER_KEY is master key %s: set it to master key %s",
                       needed, eva_master_key_get_id (key), needed);
          return FALSE;
        }
      set_master (store, g_steal_pointer (&key), -1);
      return TRUE;
    }

  if (needed != NULL)
    {
      key = load_key_file_with_id (store, needed, &which, error);
      if (key == NULL)
        return FALSE;

      if (g_str_equal (key_files[which], EVA_MASTER_KEY_FILE_NEW))
        {
          /* A rotation committed but did not get to rename its files. */
          if (!eva_master_key_promote_new_file (store->config->data_dir, error))
            return FALSE;
          which = 0;
          g_message ("finished an interrupted master key rotation: %s is master key %s now",
                     key_files[0], needed);
        }
      else if (g_str_equal (key_files[which], EVA_MASTER_KEY_FILE_OLD))
        g_warning ("the key rows are sealed with the previous master key %s, from %s: was "
                   "the database restored from a backup made before the last rotation?",
                   needed, key_files[which]);

      set_master (store, g_steal_pointer (&key), which);
      return TRUE;
    }

  /* Nothing is sealed yet: master.key, made on the first start. */
  path = key_file_path (store, 0);
  key = eva_master_key_load_file (path, &local_error);
  if (key == NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (key == NULL && may_create)
    {
      g_clear_error (&local_error);
      key = eva_master_key_new_random ();
      if (eva_master_key_save_file (key, path, FALSE, &local_error))
        g_message ("created master key %s in %s: back it up, apart from the database",
                   eva_master_key_get_id (key), path);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          /* Another process sharing the folder made it a moment ago. */
          g_clear_pointer (&key, eva_master_key_free);
          key = eva_master_key_load_file (path, error);
          if (key == NULL)
            return FALSE;
        }
      else
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  set_master (store, g_steal_pointer (&key), 0);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Transactions                                                       */
/* ------------------------------------------------------------------ */

/* Opens @row with the key file whose id it names and seals it again with
 * the master key; FALSE (and @row left as it was) when that fails. */
static gboolean
reseal_with_file_key (EvaKeyStore *store,
                      EvaDbConn   *conn,
                      KeyRow      *row)
{
  g_autoptr(EvaMasterKey) old = NULL;
  g_autoptr(GError) local_error = NULL;
  guint which = 0;

  old = load_key_file_with_id (store, row->key_id, &which, NULL);
  if (old == NULL ||
      !eva_keys_open (old, row->label, row->stored, row->stored_len, row->secret,
                      row->secret_len, NULL))
    return FALSE;
  if (!write_row (conn, row->table->sql_update, row, store->master, row->secret, &local_error))
    {
      g_warning ("%s: %s", row->label, local_error->message);
      return FALSE;
    }
  g_message ("sealed %s again: it was sealed with master key %s, from %s", row->label,
             eva_master_key_get_id (old), key_files[which]);
  return TRUE;
}

/* Takes the lock, begins, reads the rows, finds the master key, seals
 * rows still in plain text and opens them all. */
static gboolean
begin_key_rows (EvaKeyStore  *store,
                EvaDbConn    *conn,
                GPtrArray    *rows,
                gboolean      may_create,
                GError      **error)
{
  g_autoptr(PGresult) locked = eva_db_exec (conn, sql_lock, 0, NULL, error);
  guint sealed_now = 0;
  guint unopened = 0;

  if (locked == NULL)
    return FALSE;
  if (!eva_db_begin (conn, error) ||
      !read_rows (conn, rows, error) ||
      !find_master (store, rows, may_create, error))
    return FALSE;

  for (guint i = 0; i < rows->len; i++)
    {
      KeyRow *row = g_ptr_array_index (rows, i);

      row->secret = g_malloc (MAX (row->secret_len, 1));
      if (row->plain)
        {
          memcpy (row->secret, row->stored, row->secret_len);
          /* Without a master key (only when rotating) the rotation seals it. */
          if (store->master == NULL)
            continue;
          if (!write_row (conn, row->table->sql_update, row, store->master, row->secret, error))
            return FALSE;
          sealed_now++;
        }
      else if (store->master == NULL && row->table->organizers)
        {
          /* Nothing of the server's is sealed yet (only when rotating). */
          g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_NO_KEY,
                       "the secret %s is sealed, but no master key was found", row->label);
          return FALSE;
        }
      else if (!eva_keys_open (store->master, row->label, row->stored, row->stored_len,
                               row->secret, row->secret_len, error))
        {
          if (!row->table->organizers)
            return FALSE;
          /* Sealed with the previous master key (made by a server that had
           * not taken a rotation's key yet): sealed again with this one. */
          if (g_error_matches (*error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_WRONG_KEY) &&
              reseal_with_file_key (store, conn, row))
            {
              g_clear_error (error);
              sealed_now++;
              continue;
            }
          /* Its deliveries say so; a rotation refuses to leave it behind. */
          g_warning ("%s; its deliveries fail until it is replaced", (*error)->message);
          g_clear_error (error);
          wipe_free (row->secret, MAX (row->secret_len, 1));
          row->secret = NULL;
          unopened++;
        }
    }

  if (sealed_now > 0)
    g_message ("sealed %u key row(s) that were stored in plain text with master key %s",
               sealed_now, eva_master_key_get_id (store->master));
  if (unopened > 0)
    g_warning ("%u webhook endpoint secret(s) do not open with master key %s",
               unopened, eva_master_key_get_id (store->master));
  return TRUE;
}

/* Commits when @ok, else rolls back; releases the lock either way. */
static gboolean
end_key_rows (EvaDbConn  *conn,
              gboolean    ok,
              GError    **error)
{
  if (ok)
    ok = eva_db_commit (conn, error);
  if (!ok)
    eva_db_rollback (conn);
  return ok;
}

static void
release_lock (EvaDbConn *conn)
{
  PGconn *pg = eva_db_conn_get_pg (conn);

  if (pg != NULL && PQstatus (pg) == CONNECTION_OK)
    PQclear (PQexec (pg, sql_unlock));
}

/* The access-token row, made (sealed with the master key) if missing. */
static KeyRow *
ensure_token_row (EvaKeyStore  *store,
                  EvaDbConn    *conn,
                  GPtrArray    *rows,
                  GError      **error)
{
  KeyRow *row = find_row (rows, EVA_KEYS_LABEL_ACCESS_TOKEN);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autofree char *sealed_hex = NULL;
  gsize len;
  const guint8 *data;

  if (row != NULL)
    return row;

  row = g_new0 (KeyRow, 1);
  row->table = &key_tables[0];
  row->name = g_strdup (TOKEN_KEY_NAME);
  row->label = g_strdup (EVA_KEYS_LABEL_ACCESS_TOKEN);
  row->secret_len = EVA_TOKEN_KEY_BYTES;
  row->secret = g_malloc (EVA_TOKEN_KEY_BYTES);
  randombytes_buf (row->secret, EVA_TOKEN_KEY_BYTES);
  g_ptr_array_add (rows, row);

  sealed = eva_keys_seal (store->master, row->label, row->secret, EVA_TOKEN_KEY_BYTES);
  data = g_bytes_get_data (sealed, &len);
  sealed_hex = to_hex (data, len);
  result = eva_db_query (conn, sql_insert_server_key, error, row->name, sealed_hex);
  if (result == NULL)
    return NULL;

  row->stored = g_memdup2 (data, len);
  row->stored_len = len;
  g_strlcpy (row->key_id, eva_master_key_get_id (store->master), sizeof row->key_id);
  row->created = g_strdup (eva_db_value (result));
  return row;
}

static void
publish_token_key (EvaKeyStore  *store,
                   const guint8 *key)
{
  guint8 *copy = g_memdup2 (key, EVA_TOKEN_KEY_BYTES);
  guint8 *old = g_atomic_pointer_get (&store->token_key);

  /* Readers may still hold the old buffer: it is wiped with the store. */
  if (old != NULL)
    g_ptr_array_add (store->retired, old);
  g_atomic_pointer_set (&store->token_key, copy);
}

static void
remember_token_row (EvaKeyStore *store,
                    KeyRow      *row)
{
  g_free (store->token_hex);
  store->token_hex = to_hex (row->stored, row->stored_len);
  g_free (store->token_created);
  store->token_created = g_strdup (row->created);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaKeyStore *
eva_key_store_new (const EvaConfig *config)
{
  EvaKeyStore *store;

  g_return_val_if_fail (config != NULL, NULL);

  store = g_new0 (EvaKeyStore, 1);
  store->config = config;
  store->master_file = -1;
  store->retired = g_ptr_array_new_with_free_func (token_key_free);
  store->old_masters = g_ptr_array_new_with_free_func ((GDestroyNotify) eva_master_key_free);
  return store;
}

void
eva_key_store_free (EvaKeyStore *store)
{
  if (store == NULL)
    return;

  g_clear_pointer (&store->master, eva_master_key_free);
  token_key_free (store->token_key);
  g_ptr_array_unref (store->retired);
  g_ptr_array_unref (store->old_masters);
  g_free (store->token_hex);
  g_free (store->token_created);
  g_free (store);
}

gboolean
eva_key_store_unlock (EvaKeyStore  *store,
                      EvaDbConn    *conn,
                      GError      **error)
{
  g_autoptr(GPtrArray) rows = key_rows_new ();
  KeyRow *token = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (conn != NULL, FALSE);

  ok = begin_key_rows (store, conn, rows, TRUE, error) &&
       (token = ensure_token_row (store, conn, rows, error)) != NULL;
  ok = end_key_rows (conn, ok, error);
  release_lock (conn);
  if (!ok)
    return FALSE;

  publish_token_key (store, token->secret);
  remember_token_row (store, token);
  return TRUE;
}

const guint8 *
eva_key_store_get_token_key (EvaKeyStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);

  return g_atomic_pointer_get (&store->token_key);
}

const char *
eva_key_store_get_master_key_id (EvaKeyStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);

  return store->master != NULL ? eva_master_key_get_id (store->master) : NULL;
}

gboolean
eva_key_store_refresh (EvaKeyStore  *store,
                       EvaDbConn    *conn,
                       gboolean     *changed,
                       GError      **error)
{
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *stored = NULL;
  char id[EVA_MASTER_KEY_ID_HEX_LEN + 1];
  guint8 secret[EVA_TOKEN_KEY_BYTES];
  const char *created;
  gsize stored_len = 0;
  guint which;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (changed != NULL, FALSE);

  *changed = FALSE;
  result = eva_db_exec (conn, sql_select_token_key, 0, NULL, error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) != 1)
    {
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                   "the access-token key is gone from server_keys; this server keeps the "
                   "one it has, and the next one to start makes a new one");
      return FALSE;
    }
  if (g_strcmp0 (PQgetvalue (result, 0, 0), store->token_hex) == 0)
    return TRUE;

  /* Remembered before it is opened, so a row that does not open is
   * reported once, not on every look. */
  g_free (store->token_hex);
  store->token_hex = g_strdup (PQgetvalue (result, 0, 0));
  created = PQgetvalue (result, 0, 1);
  stored = from_hex (PQgetvalue (result, 0, 0), &stored_len);

  if (!eva_keys_sealed_key_id (stored, stored_len, id))
    g_set_error (&local_error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                 "the access-token key in the database is not sealed");
  else
    {
      /* Sealed again by rotate-master-key: its new key is in the files. */
      if (store->master == NULL || !g_str_equal (id, eva_master_key_get_id (store->master)))
        {
          if (store->config->has_master_key)
            g_set_error (&local_error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_WRONG_KEY,
                         "the key rows are sealed with master key %s now, and "
                         "EVERATO_MASTER_KEY is master key %s: restart this server with the "
                         "new EVERATO_MASTER_KEY", id, eva_master_key_get_id (store->master));
          else
            {
              EvaMasterKey *key = load_key_file_with_id (store, id, &which, &local_error);

              if (key != NULL)
                set_master (store, key, which);
            }
        }
      if (local_error == NULL &&
          eva_keys_open (store->master, EVA_KEYS_LABEL_ACCESS_TOKEN, stored, stored_len,
                         secret, sizeof secret, &local_error))
        {
          const guint8 *current = g_atomic_pointer_get (&store->token_key);

          if (current == NULL || sodium_memcmp (current, secret, sizeof secret) != 0)
            {
              publish_token_key (store, secret);
              *changed = TRUE;
            }
          sodium_memzero (secret, sizeof secret);
          g_free (store->token_created);
          store->token_created = g_strdup (created);
          return TRUE;
        }
    }

  /* It does not open. Sealed again with a new master key only: the key
   * itself is the same (created_at is kept), so keep using it. */
  if (g_strcmp0 (created, store->token_created) == 0)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "this server keeps its access-token key, but cannot read "
                                  "the key rows any more: ");
      return FALSE;
    }

  /* Replaced by a key this server cannot read: fail closed. Nobody knows
   * a random key, so every staff access token is refused here. */
  randombytes_buf (secret, sizeof secret);
  publish_token_key (store, secret);
  sodium_memzero (secret, sizeof secret);
  *changed = TRUE;
  g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                              "the access-token key was replaced, and this server cannot "
                              "open the new one, so it refuses every staff access token "
                              "until it is restarted with the right master key: ");
  return FALSE;
}

gboolean
eva_key_store_rotate_master_key (EvaKeyStore            *store,
                                 EvaDbConn              *conn,
                                 const EvaMasterKey     *new_key,
                                 EvaKeyStoreCommitHook   before_commit,
                                 gpointer                user_data,
                                 GError                **error)
{
  g_autoptr(GPtrArray) rows = key_rows_new ();
  g_autofree char *path_new = NULL;
  gboolean use_file;
  gboolean ok;
  KeyRow *token = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (new_key != NULL, FALSE);

  use_file = !store->config->has_master_key;
  path_new = g_build_filename (store->config->data_dir, EVA_MASTER_KEY_FILE_NEW, NULL);

  ok = begin_key_rows (store, conn, rows, FALSE, error);
  if (ok && store->master != NULL && store->master_file > 0)
    {
      g_autofree char *path = key_file_path (store, store->master_file);

      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_NO_KEY,
                   "the key rows are sealed with master key %s from %s, not with %s: "
                   "make it %s (keep the other file) before rotating",
                   eva_master_key_get_id (store->master), path, key_files[0], key_files[0]);
      ok = FALSE;
    }
  if (ok && store->master != NULL &&
      g_str_equal (eva_master_key_get_id (store->master), eva_master_key_get_id (new_key)))
    {
      g_set_error_literal (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_WRONG_KEY,
                           "the new master key is the one in use");
      ok = FALSE;
    }

  /* The new key is on disk before any row is sealed with it. */
  if (ok && use_file)
    ok = eva_master_key_save_file (new_key, path_new, TRUE, error);

  for (guint i = 0; ok && i < rows->len; i++)
    {
      KeyRow *row = g_ptr_array_index (rows, i);

      if (row->secret == NULL)
        {
          g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                       "the secret %s does not open with master key %s, so it cannot be "
                       "sealed with the new one: delete that webhook endpoint (or restore "
                       "it) and rotate again", row->label,
                       eva_master_key_get_id (store->master));
          ok = FALSE;
          break;
        }
      ok = write_row (conn, row->table->sql_update, row, new_key, row->secret, error);
    }

  /* A store that never had an access-token key gets one now. */
  if (ok)
    {
      set_master (store, eva_master_key_copy (new_key), use_file ? 0 : -1);
      token = ensure_token_row (store, conn, rows, error);
      ok = token != NULL;
    }
  if (ok && before_commit != NULL)
    ok = before_commit (new_key, user_data, error);

  ok = end_key_rows (conn, ok, error);
  /* Renamed only now: until the commit the rows open with master.key;
   * after it, with master.key.new, or master.key once renamed. */
  if (ok && use_file)
    ok = eva_master_key_promote_new_file (store->config->data_dir, error);
  release_lock (conn);
  if (!ok)
    return FALSE;

  publish_token_key (store, token->secret);
  remember_token_row (store, token);
  return TRUE;
}

gboolean
eva_key_store_rotate_token_key (EvaKeyStore  *store,
                                EvaDbConn    *conn,
                                GError      **error)
{
  g_autoptr(GPtrArray) rows = key_rows_new ();
  guint8 fresh[EVA_TOKEN_KEY_BYTES];
  KeyRow *token = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (conn != NULL, FALSE);

  randombytes_buf (fresh, sizeof fresh);
  ok = begin_key_rows (store, conn, rows, TRUE, error) &&
       (token = ensure_token_row (store, conn, rows, error)) != NULL &&
       write_row (conn, sql_replace_server_key, token, store->master, fresh, error);
  if (ok)
    memcpy (token->secret, fresh, sizeof fresh);
  sodium_memzero (fresh, sizeof fresh);
  ok = end_key_rows (conn, ok, error);
  release_lock (conn);
  if (!ok)
    return FALSE;

  publish_token_key (store, token->secret);
  remember_token_row (store, token);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Ticket signing keys                                                */
/* ------------------------------------------------------------------ */

/* Taken in the caller's transaction before a key is made, so two
 * processes issuing their first tickets at once make one key. */
#define TICKET_KEY_LOCK "7310012489474421873"

static const char sql_active_signing_key[] =
  "SELECT id, encode(secret_key, 'hex') FROM signing_keys"
  " WHERE retired_at IS NULL ORDER BY created_at DESC, id LIMIT 1";
static const char sql_ticket_key_lock[] = "SELECT pg_advisory_xact_lock(" TICKET_KEY_LOCK ")";
static const char sql_insert_signing_key[] =
  "INSERT INTO signing_keys (id, public_key, secret_key)"
  " VALUES ($1, decode($2, 'hex'), decode($3, 'hex'))";
static const char sql_retire_signing_keys[] =
  "UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL RETURNING id";

/* Makes a signing key and stores it sealed; its id in @key_id. */
static gboolean
make_signing_key (EvaKeyStore  *store,
                  EvaDbConn    *conn,
                  char          key_id[EVA_TICKET_KEY_ID_LEN + 1],
                  GError      **error)
{
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  guint8 secret[crypto_sign_SECRETKEYBYTES];
  g_autofree char *label = NULL;
  g_autofree char *public_hex = NULL;
  g_autofree char *sealed_hex = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(PGresult) r = NULL;
  gsize len;
  const guint8 *data;

  /* Not with a master key a rotation has just replaced: the key rows
   * would then be sealed with two. */
  if (!eva_key_store_check_current (store, conn, error))
    return FALSE;
  crypto_sign_keypair (public_key, secret);
  eva_ticket_key_id_from_public_key (public_key, key_id);
  label = g_strconcat (EVA_KEYS_LABEL_SIGNING_PREFIX, key_id, NULL);
  sealed = eva_keys_seal (g_atomic_pointer_get (&store->master), label, secret, sizeof secret);
  sodium_memzero (secret, sizeof secret);
  data = g_bytes_get_data (sealed, &len);
  sealed_hex = to_hex (data, len);
  public_hex = to_hex (public_key, sizeof public_key);
  r = eva_db_query (conn, sql_insert_signing_key, error, key_id, public_hex, sealed_hex);
  if (r == NULL)
    return FALSE;
  g_message ("made ticket signing key %s", key_id);
  return TRUE;
}

gboolean
eva_key_store_ticket_key (EvaKeyStore  *store,
                          EvaDbConn    *conn,
                          char          key_id[EVA_TICKET_KEY_ID_LEN + 1],
                          guint8        secret[crypto_sign_SECRETKEYBYTES],
                          GError      **error)
{
  g_autoptr(PGresult) r = NULL;
  g_autofree char *label = NULL;
  g_autofree guint8 *sealed = NULL;
  gsize sealed_len = 0;
  const EvaMasterKey *master;

  g_return_val_if_fail (store != NULL && store->master != NULL, FALSE);

  r = eva_db_query (conn, sql_active_signing_key, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      g_autoptr(PGresult) lock = eva_db_query (conn, sql_ticket_key_lock, error);

      if (lock == NULL)
        return FALSE;
      g_clear_pointer (&r, PQclear);
      r = eva_db_query (conn, sql_active_signing_key, error);
      if (r == NULL)
        return FALSE;
      if (PQntuples (r) == 0)
        {
          char made[EVA_TICKET_KEY_ID_LEN + 1];

          if (!make_signing_key (store, conn, made, error))
            return FALSE;
          g_clear_pointer (&r, PQclear);
          r = eva_db_query (conn, sql_active_signing_key, error);
          if (r == NULL)
            return FALSE;
        }
    }
  if (PQntuples (r) == 0 || strlen (PQgetvalue (r, 0, 0)) != EVA_TICKET_KEY_ID_LEN)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "no usable ticket signing key");
      return FALSE;
    }
  g_strlcpy (key_id, PQgetvalue (r, 0, 0), EVA_TICKET_KEY_ID_LEN + 1);
  label = g_strconcat (EVA_KEYS_LABEL_SIGNING_PREFIX, key_id, NULL);
  sealed = from_hex (PQgetvalue (r, 0, 1), &sealed_len);
  master = g_atomic_pointer_get (&store->master);
  return eva_keys_open (master, label, sealed, sealed_len, secret,
                        crypto_sign_SECRETKEYBYTES, error);
}

gboolean
eva_key_store_rotate_ticket_key (EvaKeyStore  *store,
                                 EvaDbConn    *conn,
                                 char          key_id[EVA_TICKET_KEY_ID_LEN + 1],
                                 GError      **error)
{
  g_autoptr(PGresult) lock = NULL;
  g_autoptr(PGresult) retired = NULL;

  g_return_val_if_fail (store != NULL && store->master != NULL, FALSE);

  if (!eva_db_begin (conn, error))
    return FALSE;
  lock = eva_db_query (conn, sql_ticket_key_lock, error);
  retired = lock != NULL ? eva_db_query (conn, sql_retire_signing_keys, error) : NULL;
  if (retired == NULL || !make_signing_key (store, conn, key_id, error)
      || !eva_db_commit (conn, error))
    {
      eva_db_rollback (conn);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Webhook endpoint secrets                                           */
/* ------------------------------------------------------------------ */

static EvaKeyStore *running_store;   /* atomic */

void
eva_key_store_set_running (EvaKeyStore *store)
{
  g_atomic_pointer_set (&running_store, store);
}

EvaKeyStore *
eva_key_store_get_running (void)
{
  return g_atomic_pointer_get (&running_store);
}

gboolean
eva_key_store_check_current (EvaKeyStore  *store,
                             EvaDbConn    *conn,
                             GError      **error)
{
  const EvaMasterKey *master = store != NULL ? g_atomic_pointer_get (&store->master) : NULL;
  g_autoptr(PGresult) r = NULL;

  if (master == NULL)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "no master key to seal secrets with");
      return FALSE;
    }
  r = eva_db_query (conn, sql_token_key_id, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 1 && !g_str_equal (PQgetvalue (r, 0, 0), eva_master_key_get_id (master)))
    {
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_WRONG_KEY,
                   "the master key was replaced a moment ago and this server takes the new one "
                   "within %u seconds; try again then", EVA_KEY_STORE_REFRESH_SECONDS);
      return FALSE;
    }
  return TRUE;
}

void
eva_key_store_secret_free (EvaSecretText *secret)
{
  if (secret != NULL)
    wipe_free (secret, strlen (secret));
}

char *
eva_key_store_seal_webhook_secret (EvaKeyStore *store,
                                   const char  *endpoint_id,
                                   const char  *secret)
{
  g_autofree char *label = NULL;
  g_autofree char *hex = NULL;
  g_autoptr(GBytes) sealed = NULL;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (store != NULL && store->master != NULL, NULL);
  g_return_val_if_fail (endpoint_id != NULL && secret != NULL, NULL);

  label = g_strconcat (EVA_KEYS_LABEL_WEBHOOK_PREFIX, endpoint_id, NULL);
  sealed = eva_keys_seal (g_atomic_pointer_get (&store->master), label,
                          (const guint8 *) secret, strlen (secret));
  data = g_bytes_get_data (sealed, &len);
  hex = to_hex (data, len);
  return g_strconcat (EVA_KEY_STORE_SEALED_PREFIX, hex, NULL);
}

char *
eva_key_store_open_webhook_secret (EvaKeyStore  *store,
                                   const char   *endpoint_id,
                                   const char   *stored,
                                   GError      **error)
{
  g_autofree char *label = NULL;
  g_autofree char *hex = NULL;
  g_autofree guint8 *sealed = NULL;
  const EvaMasterKey *master = store != NULL ? g_atomic_pointer_get (&store->master) : NULL;
  gsize sealed_len = 0;
  gsize len;
  char *secret;

  g_return_val_if_fail (endpoint_id != NULL && stored != NULL, NULL);

  label = g_strconcat (EVA_KEYS_LABEL_WEBHOOK_PREFIX, endpoint_id, NULL);
  /* Stored before sealing existed: the next start seals it. */
  if (!g_str_has_prefix (stored, EVA_KEY_STORE_SEALED_PREFIX))
    return g_strdup (stored);
  if (master == NULL)
    {
      g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_NO_KEY,
                   "the secret %s is sealed, and this process has no master key", label);
      return NULL;
    }

  hex = g_strdup (stored + strlen (EVA_KEY_STORE_SEALED_PREFIX));
  sealed = from_hex (hex, &sealed_len);
  len = sealed_len > EVA_SEALED_OVERHEAD ? sealed_len - EVA_SEALED_OVERHEAD : 0;
  secret = g_malloc0 (len + 1);
  if (len == 0 ||
      !eva_keys_open (master, label, sealed, sealed_len, (guint8 *) secret, len, error) ||
      memchr (secret, '\0', len) != NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_DAMAGED,
                     "the secret %s is damaged", label);
      wipe_free (secret, len + 1);
      return NULL;
    }
  return secret;
}
