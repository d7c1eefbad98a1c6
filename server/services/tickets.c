/* services/tickets.c: issuing tickets
 *
 * Called in the transaction that confirms a booking (the free path in
 * services/booking.c and the payments' "booking confirmed" hook), so a
 * confirmation and its tickets commit together. Tickets are numbered per
 * booking item (seq 1…quantity) and at most one valid ticket exists for
 * each (the partial unique index of migration 0007): a second call, from
 * whatever path, inserts nothing. Revocation is the database's: a booking
 * leaving "confirmed" revokes its valid tickets (trigger
 * bookings_revoke_tickets).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-tickets"

#include "config.h"

#include <sodium.h>

#include "eva-common.h"
#include "services/tickets.h"

static EvaKeyStore *key_store;   /* atomic */

void
eva_tickets_set_key_store (EvaKeyStore *store)
{
  g_atomic_pointer_set (&key_store, store);
}

/* The units of a confirmed booking that have no valid ticket. */
static const char sql_missing[] =
  "SELECT i.id, i.ticket_type_id, b.event_id, s.seq"
  "  FROM bookings b JOIN booking_items i ON i.booking_id = b.id"
  " CROSS JOIN LATERAL generate_series(1, i.quantity) AS s(seq)"
  " WHERE b.id = $1::uuid AND b.status = 'confirmed'"
  "   AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.booking_item_id = i.id"
  "                      AND t.seq = s.seq AND t.status = 'valid')"
  " ORDER BY i.id, s.seq";

/* $1 id, $2 booking, $3 item, $4 event, $5 type, $6 seq, $7 code, $8 key,
 * $9 issued at (Unix seconds, the code's). */
static const char sql_insert[] =
  "INSERT INTO tickets (id, booking_id, booking_item_id, event_id, ticket_type_id, seq,"
  "                     code, key_id, issued_at)"
  " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::int, $7, $8,"
  "         to_timestamp($9::bigint))"
  " ON CONFLICT (booking_item_id, seq) WHERE status = 'valid' DO NOTHING";

gboolean
eva_tickets_issue (EvaDbConn   *conn,
                   const char  *booking_id,
                   GError     **error)
{
  EvaKeyStore *store = g_atomic_pointer_get (&key_store);
  g_autoptr(PGresult) missing = eva_db_query (conn, sql_missing, error, booking_id);
  guint8 secret[crypto_sign_SECRETKEYBYTES];
  EvaTicketCode code = { .version = EVA_TICKET_CODE_VERSION };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *now_text = g_strdup_printf ("%" G_GINT64_FORMAT, now);
  gboolean ok = TRUE;

  if (missing == NULL)
    return FALSE;
  if (PQntuples (missing) == 0)
    return TRUE;
  if (store == NULL)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "tickets cannot be signed here: no key store");
      return FALSE;
    }
  if (!eva_key_store_ticket_key (store, conn, code.key_id, secret, error))
    return FALSE;

  for (int i = 0; ok && i < PQntuples (missing); i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *text = NULL;
      g_autoptr(PGresult) r = NULL;

      code.issued_at = now;
      ok = eva_uuid_parse (id, code.ticket_id)
           && eva_uuid_parse (PQgetvalue (missing, i, 2), code.event_id)
           && eva_uuid_parse (PQgetvalue (missing, i, 1), code.ticket_type_id);
      if (!ok)
        {
          g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "a ticket's ids are not UUIDs");
          break;
        }
      text = eva_ticket_code_sign (&code, secret);
      r = eva_db_query (conn, sql_insert, error, id, booking_id, PQgetvalue (missing, i, 0),
                        PQgetvalue (missing, i, 2), PQgetvalue (missing, i, 1),
                        PQgetvalue (missing, i, 3), text, code.key_id, now_text);
      ok = r != NULL;
    }
  sodium_memzero (secret, sizeof secret);
  return ok;
}
