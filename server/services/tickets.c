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
  EvaKeyStore *store = eva_key_store_get_running ();
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

/* ------------------------------------------------------------------ */
/* Documents                                                          */
/* ------------------------------------------------------------------ */

/* $1 booking, $2 attendee (NULL: any). */
static const char sql_doc[] =
  "SELECT e.title,"
  "       to_char(e.starts_at AT TIME ZONE e.timezone, 'YYYY-MM-DD HH24:MI') || ' – ' ||"
  "       CASE WHEN (e.starts_at AT TIME ZONE e.timezone)::date = (e.ends_at AT TIME ZONE e.timezone)::date"
  "            THEN to_char(e.ends_at AT TIME ZONE e.timezone, 'HH24:MI')"
  "            ELSE to_char(e.ends_at AT TIME ZONE e.timezone, 'YYYY-MM-DD HH24:MI') END"
  "       || ' (' || e.timezone || ')',"
  "       e.venue, e.address, e.timezone, upper(left(b.id::text, 8)), e.id, e.slug,"
  "       extract(epoch FROM e.starts_at)::bigint, extract(epoch FROM e.ends_at)::bigint,"
  "       e.status = 'cancelled', coalesce(b.currency, e.currency)::text,"
  "       extract(epoch FROM e.updated_at - e.created_at)::bigint,"
  "       extract(epoch FROM e.updated_at)::bigint, coalesce(a.locale, 'en')"
  "  FROM bookings b JOIN events e ON e.id = b.event_id"
  "  LEFT JOIN attendees a ON a.id = b.attendee_id"
  " WHERE b.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)";

/* $1 booking, $2 ticket (NULL: all). */
static const char sql_doc_tickets[] =
  "SELECT t.id, t.code, tt.name, coalesce(t.holder_name, ''), i.line_total, i.quantity, t.seq,"
  "       row_number() OVER (ORDER BY tt.sort_order, tt.name, t.ticket_type_id, t.seq)"
  "  FROM tickets t JOIN booking_items i ON i.id = t.booking_item_id"
  "  JOIN ticket_types tt ON tt.id = t.ticket_type_id"
  " WHERE t.booking_id = $1::uuid AND t.status = 'valid'"
  " ORDER BY tt.sort_order, tt.name, t.ticket_type_id, t.seq";

static gint64
int_value (PGresult *r,
           int       row,
           int       column)
{
  return g_ascii_strtoll (PQgetvalue (r, row, column), NULL, 10);
}

gboolean
eva_tickets_document (EvaDbConn   *conn,
                      const char  *booking_id,
                      const char  *ticket_id,
                      const char  *attendee_id,
                      JsonObject **doc,
                      GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_doc, error, booking_id, attendee_id);
  g_autoptr(PGresult) t = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *tickets;
  const char *currency;

  *doc = NULL;
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    return TRUE;
  t = eva_db_query (conn, sql_doc_tickets, error, booking_id);
  if (t == NULL)
    return FALSE;

  out = json_object_new ();
  json_object_set_string_member (out, "event", PQgetvalue (r, 0, 0));
  json_object_set_string_member (out, "when", PQgetvalue (r, 0, 1));
  json_object_set_string_member (out, "venue", PQgetvalue (r, 0, 2));
  json_object_set_string_member (out, "address", PQgetvalue (r, 0, 3));
  json_object_set_string_member (out, "timezone", PQgetvalue (r, 0, 4));
  json_object_set_string_member (out, "reference", PQgetvalue (r, 0, 5));
  json_object_set_string_member (out, "event_id", PQgetvalue (r, 0, 6));
  json_object_set_string_member (out, "slug", PQgetvalue (r, 0, 7));
  json_object_set_int_member (out, "starts_at", int_value (r, 0, 8));
  json_object_set_int_member (out, "ends_at", int_value (r, 0, 9));
  json_object_set_boolean_member (out, "cancelled", g_str_equal (PQgetvalue (r, 0, 10), "t"));
  json_object_set_string_member (out, "booking_id", booking_id);
  currency = PQgetisnull (r, 0, 11) ? NULL : PQgetvalue (r, 0, 11);
  json_object_set_int_member (out, "sequence", int_value (r, 0, 12));
  json_object_set_int_member (out, "updated_at", int_value (r, 0, 13));
  json_object_set_string_member (out, "locale", PQgetvalue (r, 0, 14));

  tickets = json_array_new ();
  for (int i = 0; i < PQntuples (t); i++)
    {
      JsonObject *ticket;
      gint64 line = int_value (t, i, 4), quantity = MAX (int_value (t, i, 5), 1);
      gint64 seq = int_value (t, i, 6);
      /* The line's total shared out: the first (line mod quantity) tickets
       * carry one minor unit more, so the prices add up to the line. */
      gint64 price = line / quantity + (seq <= line % quantity ? 1 : 0);
      g_autofree char *price_text = currency != NULL ? eva_money_format (price, currency) : g_strdup ("");
      g_autofree char *cid = g_strdup_printf ("ticket-%s@everato", PQgetvalue (t, i, 0));

      if (ticket_id != NULL && !g_str_equal (ticket_id, PQgetvalue (t, i, 0)))
        continue;
      ticket = json_object_new ();
      json_object_set_string_member (ticket, "id", PQgetvalue (t, i, 0));
      json_object_set_string_member (ticket, "code", PQgetvalue (t, i, 1));
      json_object_set_string_member (ticket, "type", PQgetvalue (t, i, 2));
      json_object_set_string_member (ticket, "holder", PQgetvalue (t, i, 3));
      json_object_set_string_member (ticket, "price", price_text);
      json_object_set_int_member (ticket, "number", int_value (t, i, 7));
      json_object_set_string_member (ticket, "cid", cid);
      json_array_add_object_element (tickets, ticket);
    }
  json_object_set_array_member (out, "tickets", tickets);
  json_object_set_int_member (out, "ticket_count", PQntuples (t));
  *doc = g_steal_pointer (&out);
  return TRUE;
}
