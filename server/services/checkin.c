/* services/checkin.c: deciding scans at the door
 *
 * A scan's code is verified in C (Ed25519, libsodium) against the public
 * key its key id names; the keys are read once per process and kept (a
 * key never changes; a rotated one is a new id, read when first seen).
 * A code that does not verify is still recorded, as rejected "invalid",
 * so its nonce answers the same on a retry. Everything else — the ticket,
 * its booking, the list's rules, earlier scans — the database decides in
 * eva_checkin_redeem() with the ticket row locked: one round trip, and two
 * doors scanning one ticket at once are decided one after the other.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-checkin"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "eva-common.h"
#include "services/checkin.h"

static GMutex      keys_lock;
static GHashTable *keys;   /* key id → GBytes (32-byte public key) */

static const char sql_key[] =
  "SELECT public_key FROM signing_keys WHERE id = $1";

static const char sql_redeem[] =
  "SELECT eva_checkin_redeem($1, $2::uuid, $3::uuid, $4, coalesce($5::timestamptz, now()),"
  "                          $6::boolean, $7::uuid, $8::uuid)::text";

/* The public key of @key_id, or NULL when there is none. */
static GBytes *
public_key (EvaDbConn   *conn,
            const char  *key_id,
            GError     **error)
{
  g_autoptr(PGresult) r = NULL;
  GBytes *key;

  g_mutex_lock (&keys_lock);
  if (keys == NULL)
    keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  key = g_hash_table_lookup (keys, key_id);
  if (key != NULL)
    g_bytes_ref (key);
  g_mutex_unlock (&keys_lock);
  if (key != NULL)
    return key;

  r = eva_db_query (conn, sql_key, error, key_id);
  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0 || PQgetlength (r, 0, 0) != 2 + 2 * crypto_sign_PUBLICKEYBYTES)
    return g_bytes_new (NULL, 0);
  {
    guint8 bytes[crypto_sign_PUBLICKEYBYTES];
    const char *hex = PQgetvalue (r, 0, 0);   /* "\\x…" */

    if (sodium_hex2bin (bytes, sizeof bytes, hex + 2, strlen (hex + 2), NULL, NULL, NULL) != 0)
      return g_bytes_new (NULL, 0);
    key = g_bytes_new (bytes, sizeof bytes);
  }
  g_mutex_lock (&keys_lock);
  g_hash_table_replace (keys, g_strdup (key_id), g_bytes_ref (key));
  g_mutex_unlock (&keys_lock);
  return key;
}

gboolean
eva_checkin_redeem (EvaDbConn      *conn,
                    const EvaScan  *scan,
                    char          **verdict,
                    GError        **error)
{
  char key_id[EVA_TICKET_KEY_ID_LEN + 1];
  g_autofree char *ticket_id = NULL;
  g_autoptr(PGresult) r = NULL;

  *verdict = NULL;
  if (eva_ticket_code_peek_key_id (scan->code, key_id))
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(GBytes) key = public_key (conn, key_id, error);
      EvaTicketCode code;

      if (key == NULL)
        return FALSE;
      if (g_bytes_get_size (key) == crypto_sign_PUBLICKEYBYTES &&
          eva_ticket_code_verify (scan->code, g_bytes_get_data (key, NULL), &code, &local))
        ticket_id = eva_uuid_format (code.ticket_id);
    }

  r = eva_db_query (conn, sql_redeem, error, scan->nonce, scan->list_id, ticket_id, scan->kind,
                    scan->scanned_at, scan->force ? "true" : "false", scan->staff_id,
                    scan->device_id);
  if (r == NULL)
    return FALSE;
  if (!PQgetisnull (r, 0, 0))
    *verdict = g_strdup (PQgetvalue (r, 0, 0));
  return TRUE;
}
