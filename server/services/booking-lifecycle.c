/* services/booking-lifecycle.c: moving bookings between states
 *
 *   held → pending_payment → confirmed            eva_booking_mark_pending,
 *                                                  eva_booking_confirm
 *   held | pending_payment → expired | cancelled  eva_bookings_expire,
 *                                                  eva_booking_cancel
 *   confirmed → cancelled | refunded              eva_booking_cancel,
 *                                                  eva_booking_refund
 *
 * Each move is ONE statement: a conditional UPDATE of the booking (the
 * WHERE names the states it may leave) whose RETURNING drives the
 * inventory change (held -= n, or sold -= n, or held → sold) and the coupon
 * use given back, in data-modifying CTEs. Two concurrent moves of one
 * booking cannot both win; the loser sees the new state and is refused
 * (EVA_ERROR_CONFLICT, "invalid_transition" at the HTTP layer). Expiry,
 * cancellation and refund give the coupon use back: a coupon's uses count
 * its live (held, pending_payment, confirmed) bookings.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-booking"

#include "config.h"

#include "eva-common.h"
#include "services/booking.h"

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_confirm[] =
  "WITH b AS ("
  "  UPDATE bookings SET status = 'confirmed', confirmed_at = now(),"
  "         paid_at = CASE WHEN total = 0 THEN now() END"
  "   WHERE id = $1::uuid AND status IN ('held', 'pending_payment') AND expires_at > now()"
  "  RETURNING id),"
  " q AS (SELECT i.ticket_type_id, sum(i.quantity)::int AS n"
  "         FROM booking_items i JOIN b ON b.id = i.booking_id GROUP BY 1),"
  " t AS (UPDATE ticket_types t SET held = t.held - q.n, sold = t.sold + q.n"
  "         FROM q WHERE t.id = q.ticket_type_id RETURNING 1)"
  " SELECT (SELECT count(*) FROM b), (SELECT status FROM bookings WHERE id = $1::uuid)";

static const char sql_pending[] =
  "UPDATE bookings SET status = 'pending_payment'"
  " WHERE id = $1::uuid AND status = 'held' AND expires_at > now() RETURNING id";

static const char sql_status[] =
  "SELECT status FROM bookings WHERE id = $1::uuid";

/* $1 booking, $2 attendee (NULL: staff). */
static const char sql_cancel[] =
  "WITH old AS ("
  "  SELECT b.id, b.status FROM bookings b"
  "   WHERE b.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)"
  "  FOR UPDATE),"
  " upd AS ("
  "  UPDATE bookings b SET status = 'cancelled', cancelled_at = now()"
  "    FROM old, events e"
  "   WHERE b.id = old.id AND e.id = b.event_id AND ("
  "         (old.status IN ('held', 'pending_payment') AND b.expires_at > now())"
  "      OR (old.status = 'confirmed' AND ($2::uuid IS NULL"
  "          OR (b.total = 0 AND e.cancellation_hours > 0"
  "              AND now() < e.starts_at - make_interval(hours => e.cancellation_hours)))))"
  "  RETURNING b.id, old.status AS old_status, b.coupon_id),"
  " q AS (SELECT i.ticket_type_id, sum(i.quantity)::int AS n, min(upd.old_status) AS s"
  "         FROM booking_items i JOIN upd ON upd.id = i.booking_id GROUP BY 1),"
  " t AS (UPDATE ticket_types t"
  "          SET held = t.held - CASE WHEN q.s = 'confirmed' THEN 0 ELSE q.n END,"
  "              sold = t.sold - CASE WHEN q.s = 'confirmed' THEN q.n ELSE 0 END"
  "         FROM q WHERE t.id = q.ticket_type_id RETURNING 1),"
  " c AS (UPDATE coupons c SET uses = c.uses - 1 FROM upd"
  "        WHERE c.id = upd.coupon_id RETURNING 1)"
  " SELECT (SELECT status FROM old), (SELECT count(*) FROM upd)";

/* $1 booking or NULL, $2 attendee or NULL, $3 limit. */
static const char sql_expire[] =
  "WITH due AS ("
  "  SELECT id FROM bookings"
  "   WHERE status IN ('held', 'pending_payment') AND expires_at <= now()"
  "     AND ($1::uuid IS NULL OR id = $1::uuid)"
  "     AND ($2::uuid IS NULL OR attendee_id = $2::uuid)"
  /* An open Checkout session is expired at Stripe first (services/payments.c). */
  "     AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = bookings.id"
  "                        AND p.method = 'card' AND p.status = 'pending')"
  "   ORDER BY expires_at LIMIT $3::int FOR UPDATE SKIP LOCKED),"
  " upd AS ("
  "  UPDATE bookings b SET status = 'expired' FROM due"
  "   WHERE b.id = due.id AND b.status IN ('held', 'pending_payment')"
  "  RETURNING b.id, b.coupon_id),"
  " p AS (UPDATE payments p SET status = 'expired' FROM upd"
  "        WHERE p.booking_id = upd.id AND p.status = 'pending' RETURNING 1),"
  " q AS (SELECT i.ticket_type_id, sum(i.quantity)::int AS n"
  "         FROM booking_items i JOIN upd ON upd.id = i.booking_id GROUP BY 1),"
  " t AS (UPDATE ticket_types t SET held = t.held - q.n"
  "         FROM q WHERE t.id = q.ticket_type_id RETURNING 1),"
  " c AS (UPDATE coupons c SET uses = c.uses - x.n"
  "         FROM (SELECT coupon_id, count(*)::int AS n FROM upd"
  "                WHERE coupon_id IS NOT NULL GROUP BY 1) AS x"
  "        WHERE c.id = x.coupon_id RETURNING 1)"
  " SELECT count(*) FROM upd";

/* confirmed → refunded: sold -= n, the coupon use given back. */
static const char sql_refund[] =
  "WITH upd AS ("
  "  UPDATE bookings SET status = 'refunded', cancelled_at = now()"
  "   WHERE id = $1::uuid AND status = 'confirmed' RETURNING id, coupon_id),"
  " q AS (SELECT i.ticket_type_id, sum(i.quantity)::int AS n"
  "         FROM booking_items i JOIN upd ON upd.id = i.booking_id GROUP BY 1),"
  " t AS (UPDATE ticket_types t SET sold = t.sold - q.n"
  "         FROM q WHERE t.id = q.ticket_type_id RETURNING 1),"
  " c AS (UPDATE coupons c SET uses = c.uses - 1 FROM upd"
  "        WHERE c.id = upd.coupon_id RETURNING 1)"
  " SELECT count(*) FROM upd";

/* ------------------------------------------------------------------ */
/* Transitions                                                        */
/* ------------------------------------------------------------------ */

static gboolean
transition_refused (EvaDbConn   *conn,
                    const char  *booking_id,
                    GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_status, error, booking_id);

  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    g_set_error (error, EVA_ERROR, EVA_ERROR_NOT_FOUND, "No such booking");
  else
    g_set_error (error, EVA_ERROR, EVA_ERROR_CONFLICT,
                 "A %s booking cannot move there", PQgetvalue (r, 0, 0));
  return FALSE;
}

gboolean
eva_booking_confirm (EvaDbConn   *conn,
                     const char  *booking_id,
                     GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_confirm, error, booking_id);

  if (r == NULL)
    return FALSE;
  if (g_str_equal (PQgetvalue (r, 0, 0), "1"))
    return TRUE;
  return transition_refused (conn, booking_id, error);
}

gboolean
eva_booking_mark_pending (EvaDbConn   *conn,
                          const char  *booking_id,
                          GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_pending, error, booking_id);

  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 1)
    return TRUE;
  return transition_refused (conn, booking_id, error);
}

gboolean
eva_booking_cancel (EvaDbConn   *conn,
                    const char  *booking_id,
                    const char  *attendee_id,
                    gboolean    *found,
                    char       **status,
                    GError     **error)
{
  const char *params[] = { booking_id, attendee_id };
  g_autoptr(PGresult) r = NULL;

  *found = FALSE;
  *status = NULL;
  if (eva_bookings_expire (conn, booking_id, attendee_id, 1, error) < 0)
    return FALSE;
  r = eva_db_exec (conn, sql_cancel, 2, params, error);
  if (r == NULL)
    return FALSE;
  if (PQgetisnull (r, 0, 0))
    return FALSE;
  *found = TRUE;
  if (g_str_equal (PQgetvalue (r, 0, 1), "1"))
    {
      *status = g_strdup ("cancelled");
      return TRUE;
    }
  *status = g_strdup (PQgetvalue (r, 0, 0));
  return FALSE;
}

gint64
eva_bookings_expire (EvaDbConn   *conn,
                     const char  *booking_id,
                     const char  *attendee_id,
                     guint        limit,
                     GError     **error)
{
  g_autofree char *n = g_strdup_printf ("%u", limit);
  const char *params[] = { booking_id, attendee_id, n };
  g_autoptr(PGresult) r = eva_db_exec (conn, sql_expire, 3, params, error);

  if (r == NULL)
    return -1;
  return g_ascii_strtoll (eva_db_value (r), NULL, 10);
}

gboolean
eva_booking_refund (EvaDbConn   *conn,
                    const char  *booking_id,
                    GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_refund, error, booking_id);

  if (r == NULL)
    return FALSE;
  if (g_str_equal (eva_db_value (r), "1"))
    return TRUE;
  return transition_refused (conn, booking_id, error);
}
