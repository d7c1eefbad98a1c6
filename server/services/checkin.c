/* services/checkin.c: deciding scans at the door
 *
 * A scan's code names its ticket. The database decides, in
 * eva_checkin_redeem_batch(), for all the scans that arrived together:
 * the sign-in, the ticket, its booking, the list's rules, earlier scans,
 * with the tickets locked, so that two doors scanning one ticket at once
 * are decided one after the other; one round trip and one commit for the
 * lot.
 *
 * Its signature (Ed25519, libsodium) is checked only when needed: a code
 * found byte for byte as the code of the ticket it names is one the server
 * signed when it issued that ticket, so the database's look-up proves it
 * (and costs far less than the check). Any other code (forged, altered,
 * of a ticket not stored here) is answered 'unverified' by the database
 * with nothing recorded; it is then checked against the public key its
 * key id names (the keys are read once per process and kept: a key never
 * changes, a rotated one is a new id) and decided again: rejected
 * "invalid" when the signature fails, recorded so that its nonce answers
 * the same on a retry.
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
static GHashTable *keys;   /* key id → GBytes (32-byte public key, or empty: no such key) */

static const char sql_key[] =
  "SELECT public_key FROM signing_keys WHERE id = $1";

static const char sql_redeem[] =
  "SELECT outcome, verdict::text"
  "  FROM eva_checkin_redeem_batch($1::text[], $2::uuid[], $3::uuid[], $4::text[],"
  "                                $5::timestamptz[], $6::boolean[], $7::uuid[], $8::uuid[],"
  "                                $9::uuid[], $10::text[])";

void
eva_scan_reset_answer (EvaScan *scan)
{
  scan->outcome = EVA_SCAN_DECIDED;
  g_clear_pointer (&scan->verdict, g_free);
}

void
eva_scan_clear (EvaScan *scan)
{
  g_free (scan->code);
  g_free (scan->list_id);
  g_free (scan->nonce);
  g_free (scan->kind);
  g_free (scan->scanned_at);
  g_free (scan->device_id);
  g_free (scan->staff_id);
  g_free (scan->session_id);
  g_free (scan->ticket_id);
  g_free (scan->verdict);
  memset (scan, 0, sizeof *scan);
}

static GBytes *
cached_key (const char *key_id)
{
  GBytes *key;

  g_mutex_lock (&keys_lock);
  key = keys != NULL ? g_hash_table_lookup (keys, key_id) : NULL;
  if (key != NULL)
    g_bytes_ref (key);
  g_mutex_unlock (&keys_lock);
  return key;
}

/* The public key of @key_id (empty when there is none), or NULL on a
 * database error. */
static GBytes *
public_key (EvaDbConn   *conn,
            const char  *key_id,
            GError     **error)
{
  g_autoptr(PGresult) r = NULL;
  guint8 bytes[crypto_sign_PUBLICKEYBYTES];
  const char *hex;
  GBytes *key = cached_key (key_id);

  if (key != NULL)
    return key;

  r = eva_db_query (conn, sql_key, error, key_id);
  if (r == NULL)
    return NULL;
  hex = PQntuples (r) > 0 ? PQgetvalue (r, 0, 0) : "";   /* "\\x…" */
  if (strlen (hex) != 2 + 2 * crypto_sign_PUBLICKEYBYTES ||
      sodium_hex2bin (bytes, sizeof bytes, hex + 2, strlen (hex + 2), NULL, NULL, NULL) != 0)
    return g_bytes_new (NULL, 0);   /* not remembered: the key may be made later */
  key = g_bytes_new (bytes, sizeof bytes);
  g_mutex_lock (&keys_lock);
  if (keys == NULL)
    keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  g_hash_table_replace (keys, g_strdup (key_id), g_bytes_ref (key));
  g_mutex_unlock (&keys_lock);
  return key;
}

static void
verify_with (EvaScan *scan,
             GBytes  *key)
{
  EvaTicketCode code;

  scan->verified = TRUE;
  if (key != NULL && g_bytes_get_size (key) == crypto_sign_PUBLICKEYBYTES &&
      eva_ticket_code_verify (scan->code, g_bytes_get_data (key, NULL), &code, NULL))
    scan->ticket_id = eva_uuid_format (code.ticket_id);
}

/* Checks @scan's signature: scan->ticket_id is then the signed id, or
 * NULL when the code is not a valid one of ours. FALSE on a database
 * error (reading a key). */
static gboolean
verify (EvaDbConn  *conn,
        EvaScan    *scan,
        GError    **error)
{
  char key_id[EVA_TICKET_KEY_ID_LEN + 1];
  g_autoptr(GBytes) key = NULL;

  g_clear_pointer (&scan->ticket_id, g_free);
  if (!eva_ticket_code_peek_key_id (scan->code, key_id))
    {
      scan->verified = TRUE;   /* not a code of ours at all */
      return TRUE;
    }
  key = public_key (conn, key_id, error);
  if (key == NULL)
    return FALSE;
  verify_with (scan, key);
  return TRUE;
}

/* The ticket id @scan's code names, unchecked (scan->verified stays
 * FALSE), for the database to compare the code with that ticket's; a code
 * that is not even well-formed is invalid without more ado. */
static void
claim (EvaScan *scan)
{
  EvaTicketCode code;

  if (scan->verified || scan->ticket_id != NULL)
    return;
  if (eva_ticket_code_peek (scan->code, &code))
    scan->ticket_id = eva_uuid_format (code.ticket_id);
  else
    scan->verified = TRUE;
}

/* Appends @value to the array literal @out: quoted, or NULL. */
static void
append_element (GString    *out,
                const char *value)
{
  if (out->len > 1)
    g_string_append_c (out, ',');
  if (value == NULL)
    {
      g_string_append (out, "NULL");
      return;
    }
  g_string_append_c (out, '"');
  for (const char *c = value; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

enum { COL_NONCE, COL_LIST, COL_TICKET, COL_KIND, COL_SCANNED, COL_FORCE, COL_STAFF,
       COL_DEVICE, COL_SESSION, COL_CODE, N_COLS };

gboolean
eva_checkin_redeem (EvaDbConn  *conn,
                    EvaScan   **scans,
                    guint       n,
                    GError    **error)
{
  GString *cols[N_COLS];
  const char *params[N_COLS];
  g_autoptr(PGresult) r = NULL;
  g_autoptr(GPtrArray) again = NULL;

  for (guint i = 0; i < n; i++)
    {
      eva_scan_reset_answer (scans[i]);
      claim (scans[i]);
    }

  for (guint c = 0; c < N_COLS; c++)
    cols[c] = g_string_new ("{");
  for (guint i = 0; i < n; i++)
    {
      EvaScan *s = scans[i];

      append_element (cols[COL_NONCE], s->nonce);
      append_element (cols[COL_LIST], s->list_id);
      append_element (cols[COL_TICKET], s->ticket_id);
      append_element (cols[COL_KIND], s->kind);
      append_element (cols[COL_SCANNED], s->scanned_at);
      append_element (cols[COL_FORCE], s->force ? "t" : "f");
      append_element (cols[COL_STAFF], s->staff_id);
      append_element (cols[COL_DEVICE], s->device_id);
      append_element (cols[COL_SESSION], s->session_id);
      append_element (cols[COL_CODE], s->verified ? NULL : s->code);
    }
  for (guint c = 0; c < N_COLS; c++)
    {
      g_string_append_c (cols[c], '}');
      params[c] = cols[c]->str;
    }
  r = eva_db_exec (conn, sql_redeem, N_COLS, params, error);
  for (guint c = 0; c < N_COLS; c++)
    g_string_free (cols[c], TRUE);
  if (r == NULL)
    return FALSE;
  if ((guint) PQntuples (r) != n)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "a batch of %u scans got %d answers",
                   n, PQntuples (r));
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      const char *outcome = PQgetvalue (r, i, 0);

      if (g_str_equal (outcome, "decided"))
        scans[i]->verdict = g_strdup (PQgetvalue (r, i, 1));
      else if (g_str_equal (outcome, "signed_out"))
        scans[i]->outcome = EVA_SCAN_SIGNED_OUT;
      else if (g_str_equal (outcome, "no_device"))
        scans[i]->outcome = EVA_SCAN_NO_DEVICE;
      else if (g_str_equal (outcome, "unverified"))
        {
          /* Not the code of the ticket it names: check its signature,
           * then decide it again (as a scan that came just after). A copy
           * of its nonce in this batch gets that answer too, whatever it
           * scanned, so it is decided again with it. */
          if (!scans[i]->verified && !verify (conn, scans[i], error))
            return FALSE;
          if (again == NULL)
            again = g_ptr_array_new ();
          g_ptr_array_add (again, scans[i]);
        }
      else
        scans[i]->outcome = EVA_SCAN_NO_LIST;
    }
  if (again != NULL)
    return eva_checkin_redeem (conn, (EvaScan **) again->pdata, again->len, error);
  return TRUE;
}
