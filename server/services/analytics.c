/* services/analytics.c: the organizer's figures
 *
 * What counts (docs/ARCHITECTURE.md, "Analytics"):
 *
 * - A booking is *sold* once it was confirmed and is still confirmed or
 *   was refunded afterwards (status confirmed or refunded). Gross is the
 *   sum of their subtotals, discounts the sum of their discounts, refunds
 *   the money given back on them (refunds succeeded, recorded or still to
 *   pay back), net = gross - discounts - refunds. A confirmed booking that
 *   was cancelled without a refund is counted under cancellations only.
 * - Money is never summed across currencies: "revenue", by_type.gross,
 *   coupons.discount, payment_methods and sales_over_time.gross are in
 *   "currency" (the event's, else the one most of its sales used);
 *   "revenue_by_currency" lists every currency the event's money came in,
 *   and "single_currency" says whether that is one (or none).
 * - Tickets sold, held and capacity per type are the inventory counters
 *   (the database keeps them exact). sales_over_time counts the tickets
 *   and gross of sold bookings by the bucket of their confirmation, so its
 *   sums equal revenue.gross and the tickets sold plus those refunded.
 * - Buckets are hours, local days or ISO weeks (Monday) in the event's
 *   time zone (eva_analytics_bucket() of migration 0011), given as instants.
 * - Check-ins: a ticket is checked in once it has an admitted entry that
 *   was not undone on any list and is still valid (as the door's stats);
 *   expected are the valid tickets; checkins_over_time counts each
 *   ticket at its first admission.
 *
 * Each answer is one statement over the event's rows, read through the
 * indexes of migration 0011; bench/analytics measures it at 100,000
 * bookings.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-analytics"

#include "config.h"

#include "eva-common.h"
#include "services/analytics.h"

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

/* $1 event, $2 bucket. */
static const char sql_event[] =
  "WITH e AS (SELECT id, title, timezone, currency::text AS currency, starts_at, status"
  "             FROM events WHERE id = $1::uuid),"
  /* Every booking ever confirmed, from the covering index. */
  " s AS MATERIALIZED ("
  "   SELECT b.id, b.status, b.subtotal, b.discount, b.total, b.coupon_id, b.payment_method,"
  "          b.paid_at, b.confirmed_at, coalesce(b.currency::text, e.currency) AS currency"
  "     FROM bookings b, e WHERE b.event_id = $1::uuid AND b.confirmed_at IS NOT NULL),"
  " sold AS (SELECT * FROM s WHERE status IN ('confirmed', 'refunded')),"
  " cur AS (SELECT coalesce((SELECT currency FROM e),"
  "                         (SELECT currency FROM sold WHERE currency IS NOT NULL"
  "                           GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)) AS c),"
  " rf AS (SELECT r.booking_id, r.currency::text AS currency, sum(r.amount) AS amount"
  "          FROM refunds r JOIN s ON s.id = r.booking_id"
  "         WHERE r.status IN ('succeeded', 'recorded', 'to_refund') GROUP BY 1, 2),"
  " items AS MATERIALIZED ("
  "   SELECT i.booking_id, i.ticket_type_id, i.quantity, i.quantity * i.unit_price AS gross, i.discount,"
  "          s.status, s.currency, s.confirmed_at"
  "     FROM booking_items i JOIN s ON s.id = i.booking_id),"
  " rev AS (SELECT x.currency, sum(x.gross)::bigint AS gross, sum(x.discounts)::bigint AS discounts,"
  "                sum(x.refunds)::bigint AS refunds"
  "           FROM (SELECT currency, subtotal AS gross, discount AS discounts, 0::bigint AS refunds FROM sold"
  "                 UNION ALL"
  "                 SELECT rf.currency, 0, 0, rf.amount FROM rf JOIN sold ON sold.id = rf.booking_id) x"
  "          WHERE x.currency IS NOT NULL GROUP BY 1),"
  " tt AS (SELECT id, name, sort_order, price, capacity, held, sold FROM ticket_types WHERE event_id = $1::uuid),"
  " bt AS (SELECT ticket_type_id, sum(gross)::bigint AS gross, sum(discount)::bigint AS discounts,"
  "               sum(quantity) FILTER (WHERE status = 'refunded')::bigint AS refunded"
  "          FROM items WHERE status IN ('confirmed', 'refunded')"
  "           AND currency IS NOT DISTINCT FROM (SELECT c FROM cur) GROUP BY 1),"
  " sot AS (SELECT eva_analytics_bucket(confirmed_at, $2, (SELECT timezone FROM e)) AS bucket,"
  "                ticket_type_id, sum(quantity)::bigint AS tickets,"
  "                coalesce(sum(gross) FILTER (WHERE currency IS NOT DISTINCT FROM (SELECT c FROM cur)), 0)::bigint AS gross"
  "           FROM items WHERE status IN ('confirmed', 'refunded') GROUP BY 1, 2),"
  " adm AS (SELECT c.ticket_id, min(c.scanned_at) AS at"
  "           FROM checkins c JOIN tickets t ON t.id = c.ticket_id AND t.status = 'valid'"
  "          WHERE c.event_id = $1::uuid AND c.status = 'ok' AND c.kind = 'entry'"
  "            AND c.undone_at IS NULL GROUP BY 1),"
  " st AS (SELECT status, sum(n)::bigint AS n FROM ("
  "          SELECT status, count(*) AS n FROM bookings"
  "           WHERE event_id = $1::uuid AND status NOT IN ('held', 'pending_payment') GROUP BY 1"
  "          UNION ALL"
  "          SELECT CASE WHEN expires_at <= now() THEN 'expired' ELSE status END, count(*) FROM bookings"
  "           WHERE event_id = $1::uuid AND status IN ('held', 'pending_payment') GROUP BY 1) x GROUP BY 1)"
  " SELECT CASE WHEN EXISTS (SELECT 1 FROM e) THEN json_build_object("
  "  'event_id', (SELECT id FROM e), 'title', (SELECT title FROM e),"
  "  'timezone', (SELECT timezone FROM e), 'starts_at', (SELECT starts_at FROM e),"
  "  'status', (SELECT status FROM e), 'bucket', $2::text, 'generated_at', now(),"
  "  'currency', (SELECT c FROM cur),"
  "  'single_currency', (SELECT count(*) <= 1 FROM rev),"
  "  'tickets', (SELECT json_build_object('capacity', coalesce(sum(capacity), 0), 'sold', coalesce(sum(sold), 0),"
  "                                       'held', coalesce(sum(held), 0)) FROM tt),"
  "  'revenue', (SELECT json_build_object('gross', coalesce(sum(gross), 0), 'discounts', coalesce(sum(discounts), 0),"
  "                                       'refunds', coalesce(sum(refunds), 0),"
  "                                       'net', coalesce(sum(gross - discounts - refunds), 0))"
  "                FROM rev WHERE currency IS NOT DISTINCT FROM (SELECT c FROM cur)),"
  "  'revenue_by_currency', coalesce((SELECT json_agg(json_build_object('currency', currency, 'gross', gross,"
  "                                     'discounts', discounts, 'refunds', refunds,"
  "                                     'net', gross - discounts - refunds) ORDER BY currency) FROM rev), '[]'::json),"
  "  'by_type', coalesce((SELECT json_agg(json_build_object('ticket_type_id', tt.id, 'name', tt.name,"
  "                          'price', tt.price, 'sold', tt.sold, 'held', tt.held, 'capacity', tt.capacity,"
  "                          'refunded', coalesce(bt.refunded, 0),"
  "                          'gross', coalesce(bt.gross, 0), 'discounts', coalesce(bt.discounts, 0))"
  "                        ORDER BY tt.sort_order, tt.name, tt.id)"
  "                        FROM tt LEFT JOIN bt ON bt.ticket_type_id = tt.id), '[]'::json),"
  "  'coupons', coalesce((SELECT json_agg(json_build_object('coupon_id', c.id, 'code', c.code,"
  "                          'uses', coalesce(u.uses, 0), 'discount', coalesce(u.discount, 0),"
  "                          'max_uses', c.max_uses) ORDER BY coalesce(u.uses, 0) DESC, lower(c.code))"
  "                        FROM coupons c LEFT JOIN (SELECT coupon_id, count(*) AS uses,"
  "                                                         sum(discount) AS discount FROM sold"
  "                                                   WHERE coupon_id IS NOT NULL"
  "                                                     AND currency IS NOT DISTINCT FROM (SELECT c FROM cur)"
  "                                                   GROUP BY 1) u ON u.coupon_id = c.id"
  "                       WHERE c.event_id = $1::uuid), '[]'::json),"
  "  'payment_methods', coalesce((SELECT json_agg(json_build_object('method', m.method, 'bookings', m.n,"
  "                                  'total', m.total, 'paid', m.paid) ORDER BY m.n DESC, m.method)"
  "                                FROM (SELECT coalesce(payment_method, CASE WHEN total = 0 THEN 'free' ELSE 'unknown' END) AS method,"
  "                                             count(*) AS n, sum(total) AS total,"
  "                                             coalesce(sum(total) FILTER (WHERE paid_at IS NOT NULL), 0) AS paid"
  "                                        FROM sold WHERE status = 'confirmed'"
  "                                         AND (currency IS NOT DISTINCT FROM (SELECT c FROM cur) OR total = 0)"
  "                                       GROUP BY 1) m), '[]'::json),"
  "  'bookings_by_status', coalesce((SELECT json_agg(json_build_object('status', status, 'bookings', n)"
  "                                   ORDER BY status) FROM st), '[]'::json),"
  "  'sales_over_time', coalesce((SELECT json_agg(json_build_object('bucket_start', b.bucket, 'tickets', b.tickets,"
  "                                  'gross', b.gross, 'by_type', b.by_type) ORDER BY b.bucket)"
  "                                FROM (SELECT bucket, sum(tickets)::bigint AS tickets, sum(gross)::bigint AS gross,"
  "                                             json_agg(json_build_object('ticket_type_id', ticket_type_id,"
  "                                                      'tickets', tickets, 'gross', gross) ORDER BY ticket_type_id) AS by_type"
  "                                        FROM sot GROUP BY 1) b), '[]'::json),"
  "  'checkins', (SELECT json_build_object('checked_in', (SELECT count(*) FROM adm), 'expected', v.n,"
  "                                        'rate', CASE WHEN v.n > 0 THEN round((SELECT count(*) FROM adm)::numeric / v.n, 4)"
  "                                                     ELSE 0 END)"
  "                FROM (SELECT count(*) AS n FROM tickets WHERE event_id = $1::uuid AND status = 'valid') v),"
  "  'checkins_over_time', coalesce((SELECT json_agg(json_build_object('bucket_start', a.bucket, 'checked_in', a.n)"
  "                                     ORDER BY a.bucket)"
  "                                   FROM (SELECT eva_analytics_bucket(at, $2, (SELECT timezone FROM e)) AS bucket,"
  "                                                count(*) AS n FROM adm GROUP BY 1) a), '[]'::json),"
  "  'cancellations', json_build_object("
  "     'cancelled_bookings', (SELECT count(*) FROM s WHERE status = 'cancelled'),"
  "     'cancelled_tickets', (SELECT coalesce(sum(quantity), 0) FROM items WHERE status = 'cancelled'),"
  "     'refunded_bookings', (SELECT count(*) FROM s WHERE status = 'refunded'),"
  "     'refunded_tickets', (SELECT coalesce(sum(quantity), 0) FROM items WHERE status = 'refunded'),"
  "     'partially_refunded_bookings', (SELECT count(DISTINCT rf.booking_id) FROM rf JOIN s ON s.id = rf.booking_id"
  "                                      WHERE s.status = 'confirmed'),"
  "     'refunds', (SELECT coalesce(sum(amount), 0) FROM rf"
  "                  WHERE currency IS NOT DISTINCT FROM (SELECT c FROM cur)))"
  " )::text END";

/* $1 first local day or NULL, $2 last local day or NULL. */
static const char sql_summary[] =
  "WITH e AS (SELECT id, title, slug, status, timezone, starts_at, currency::text AS currency FROM events e"
  "            WHERE ($1::date IS NULL OR e.starts_at >= $1::date::timestamp AT TIME ZONE e.timezone)"
  "              AND ($2::date IS NULL OR e.starts_at < ($2::date + 1)::timestamp AT TIME ZONE e.timezone)"
  "            ORDER BY e.starts_at, e.id LIMIT 1000),"
  " rows AS (SELECT e.*, tt.capacity, tt.sold, m.gross, m.discounts, r.refunds, ck.checked_in, v.expected"
  "            FROM e"
  "            CROSS JOIN LATERAL (SELECT coalesce(sum(capacity), 0)::bigint AS capacity,"
  "                                       coalesce(sum(sold), 0)::bigint AS sold"
  "                                  FROM ticket_types WHERE event_id = e.id) tt"
  "            CROSS JOIN LATERAL (SELECT coalesce(sum(subtotal), 0)::bigint AS gross,"
  "                                       coalesce(sum(discount), 0)::bigint AS discounts"
  "                                  FROM bookings b WHERE b.event_id = e.id AND b.confirmed_at IS NOT NULL"
  "                                   AND b.status IN ('confirmed', 'refunded')"
  "                                   AND coalesce(b.currency::text, e.currency) IS NOT DISTINCT FROM e.currency) m"
  "            CROSS JOIN LATERAL (SELECT coalesce(sum(x.amount), 0)::bigint AS refunds"
  "                                  FROM refunds x JOIN bookings b ON b.id = x.booking_id"
  "                                 WHERE b.event_id = e.id AND b.confirmed_at IS NOT NULL"
  "                                   AND b.status IN ('confirmed', 'refunded')"
  "                                   AND x.status IN ('succeeded', 'recorded', 'to_refund')"
  "                                   AND x.currency::text IS NOT DISTINCT FROM e.currency) r"
  "            CROSS JOIN LATERAL (SELECT count(DISTINCT c.ticket_id)::bigint AS checked_in"
  "                                  FROM checkins c JOIN tickets t ON t.id = c.ticket_id AND t.status = 'valid'"
  "                                 WHERE c.event_id = e.id AND c.status = 'ok' AND c.kind = 'entry'"
  "                                   AND c.undone_at IS NULL) ck"
  "            CROSS JOIN LATERAL (SELECT count(*)::bigint AS expected FROM tickets"
  "                                 WHERE event_id = e.id AND status = 'valid') v)"
  " SELECT json_build_object("
  "  'from', $1::date, 'to', $2::date, 'generated_at', now(),"
  "  'events', coalesce((SELECT json_agg(json_build_object('event_id', id, 'title', title, 'slug', slug,"
  "                        'status', status, 'timezone', timezone, 'starts_at', starts_at, 'currency', currency,"
  "                        'capacity', capacity, 'sold', sold, 'gross', gross, 'discounts', discounts,"
  "                        'refunds', refunds, 'net', gross - discounts - refunds,"
  "                        'checked_in', checked_in, 'expected', expected,"
  "                        'checkin_rate', CASE WHEN expected > 0 THEN round(checked_in::numeric / expected, 4) ELSE 0 END)"
  "                      ORDER BY starts_at, id) FROM rows), '[]'::json),"
  "  'totals_by_currency', coalesce((SELECT json_agg(json_build_object('currency', currency, 'events', n,"
  "                        'sold', sold, 'gross', gross, 'discounts', discounts, 'refunds', refunds,"
  "                        'net', gross - discounts - refunds) ORDER BY currency)"
  "                      FROM (SELECT currency, count(*) AS n, sum(sold)::bigint AS sold, sum(gross)::bigint AS gross,"
  "                                   sum(discounts)::bigint AS discounts, sum(refunds)::bigint AS refunds"
  "                              FROM rows WHERE currency IS NOT NULL GROUP BY 1) t), '[]'::json),"
  "  'checkins', (SELECT json_build_object('checked_in', coalesce(sum(checked_in), 0),"
  "                                        'expected', coalesce(sum(expected), 0)) FROM rows)"
  " )::text";

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

char *
eva_analytics_event (EvaDbConn   *conn,
                     const char  *event_id,
                     const char  *bucket,
                     GError     **error)
{
  g_autoptr(PGresult) r = NULL;

  g_return_val_if_fail (event_id != NULL && bucket != NULL, NULL);

  r = eva_db_query (conn, sql_event, error, event_id, bucket);
  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0 || PQgetisnull (r, 0, 0))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_NOT_FOUND, "No such event");
      return NULL;
    }
  return g_strdup (PQgetvalue (r, 0, 0));
}

char *
eva_analytics_summary (EvaDbConn   *conn,
                       const char  *from,
                       const char  *to,
                       GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_summary, error, from, to);

  if (r == NULL)
    return NULL;
  return g_strdup (PQgetvalue (r, 0, 0));
}
