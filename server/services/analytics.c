/* services/analytics.c: the organizer's figures
 *
 * What counts (docs/ARCHITECTURE.md, "Analytics"):
 *
 * - A booking is *sold* once it was confirmed and is still confirmed or
 *   was refunded afterwards (status confirmed or refunded). Gross is the
 *   sum of their subtotals, discounts the sum of their discounts, refunds
 *   all money given back on the event's bookings (refunds succeeded,
 *   recorded, or still to pay back), net = gross - discounts - refunds. A
 *   confirmed booking cancelled without a refund is counted under
 *   cancellations only.
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
 * - Check-ins: a ticket counts once, at its earliest admission (an entry
 *   on any list that was not undone); expected are the tickets sold.
 *
 * Nothing here reads the event's bookings one by one: migration 0011 keeps
 * running totals (analytics_bookings, _sales, _refunds, _checkins) by
 * trigger in the transaction of each change, per 15-minute slot, and the
 * queries sum those few rows. Only bookings never confirmed (held,
 * pending, expired, cancelled) are counted from the bookings' (event,
 * status) index. bench/analytics measures it at 100,000 bookings.
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

#define NIL_UUID "'00000000-0000-0000-0000-000000000000'"
#define SOLD "('confirmed', 'refunded')"

/* $1 event, $2 bucket. */
static const char sql_event[] =
  "WITH e AS (SELECT id, title, timezone, currency::text AS currency, starts_at, status"
  "             FROM events WHERE id = $1::uuid),"
  " ab AS MATERIALIZED (SELECT * FROM analytics_bookings WHERE event_id = $1::uuid AND bookings <> 0),"
  " sold AS (SELECT * FROM ab WHERE status IN " SOLD "),"
  " cur AS (SELECT coalesce((SELECT currency FROM e),"
  "                         (SELECT currency FROM sold WHERE currency <> ''"
  "                           GROUP BY 1 ORDER BY sum(bookings) DESC, 1 LIMIT 1)) AS c),"
  " rfd AS (SELECT currency, refunds, amount FROM analytics_refunds WHERE event_id = $1::uuid AND refunds <> 0),"
  " rev AS (SELECT x.currency, sum(x.gross)::bigint AS gross, sum(x.discounts)::bigint AS discounts,"
  "                sum(x.refunds)::bigint AS refunds"
  "           FROM (SELECT currency, subtotal AS gross, discount AS discounts, 0::bigint AS refunds"
  "                   FROM sold WHERE currency <> ''"
  "                 UNION ALL SELECT currency, 0, 0, amount FROM rfd) x GROUP BY 1),"
  " asl AS MATERIALIZED (SELECT * FROM analytics_sales WHERE event_id = $1::uuid AND tickets <> 0),"
  " tt AS (SELECT id, name, sort_order, price, capacity, held, sold FROM ticket_types WHERE event_id = $1::uuid),"
  " bt AS (SELECT ticket_type_id,"
  "               coalesce(sum(gross) FILTER (WHERE status IN " SOLD " AND currency = (SELECT c FROM cur)), 0)::bigint AS gross,"
  "               coalesce(sum(discounts) FILTER (WHERE status IN " SOLD " AND currency = (SELECT c FROM cur)), 0)::bigint AS discounts,"
  "               coalesce(sum(tickets) FILTER (WHERE status = 'refunded'), 0)::bigint AS refunded,"
  "               coalesce(sum(tickets) FILTER (WHERE status = 'cancelled'), 0)::bigint AS cancelled"
  "          FROM asl GROUP BY 1),"
  /* A slot is a local hour already: hours need no conversion. */
  " sot AS (SELECT CASE WHEN $2 = 'hour' THEN slot"
  "                     ELSE eva_analytics_bucket(slot, $2, (SELECT timezone FROM e)) END AS bucket,"
  "                ticket_type_id, sum(tickets)::bigint AS tickets,"
  "                coalesce(sum(gross) FILTER (WHERE currency = (SELECT c FROM cur)), 0)::bigint AS gross"
  "           FROM asl WHERE status IN " SOLD " GROUP BY 1, 2),"
  " ck AS (SELECT eva_analytics_bucket(slot, $2, (SELECT timezone FROM e)) AS bucket, sum(admitted)::bigint AS n"
  "          FROM analytics_checkins WHERE event_id = $1::uuid GROUP BY 1 HAVING sum(admitted) <> 0),"
  /* Bookings never confirmed are not in the totals: counted from the
   * (event, status) index, which holds few of them for a selling event. */
  " st AS (SELECT status, sum(n)::bigint AS n FROM ("
  "          SELECT status, sum(bookings) AS n FROM ab WHERE status IN " SOLD " GROUP BY 1"
  "          UNION ALL"
  "          SELECT status, count(*) FROM bookings"
  "           WHERE event_id = $1::uuid AND status IN ('expired', 'cancelled') GROUP BY 1"
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
  "                FROM rev WHERE currency = (SELECT c FROM cur)),"
  "  'revenue_by_currency', coalesce((SELECT json_agg(json_build_object('currency', currency, 'gross', gross,"
  "                                     'discounts', discounts, 'refunds', refunds,"
  "                                     'net', gross - discounts - refunds) ORDER BY currency) FROM rev), '[]'::json),"
  "  'by_type', coalesce((SELECT json_agg(json_build_object('ticket_type_id', tt.id, 'name', tt.name,"
  "                          'price', tt.price, 'sold', tt.sold, 'held', tt.held, 'capacity', tt.capacity,"
  "                          'refunded', coalesce(bt.refunded, 0), 'cancelled', coalesce(bt.cancelled, 0),"
  "                          'gross', coalesce(bt.gross, 0), 'discounts', coalesce(bt.discounts, 0))"
  "                        ORDER BY tt.sort_order, tt.name, tt.id)"
  "                        FROM tt LEFT JOIN bt ON bt.ticket_type_id = tt.id), '[]'::json),"
  "  'coupons', coalesce((SELECT json_agg(json_build_object('coupon_id', c.id, 'code', c.code,"
  "                          'uses', coalesce(u.uses, 0), 'discount', coalesce(u.discount, 0),"
  "                          'max_uses', c.max_uses) ORDER BY coalesce(u.uses, 0) DESC, lower(c.code))"
  "                        FROM coupons c LEFT JOIN (SELECT coupon_id, sum(bookings) AS uses,"
  "                                                         sum(discount) FILTER (WHERE currency = (SELECT c FROM cur)) AS discount"
  "                                                    FROM sold WHERE coupon_id <> " NIL_UUID " GROUP BY 1) u"
  "                               ON u.coupon_id = c.id"
  "                       WHERE c.event_id = $1::uuid), '[]'::json),"
  "  'payment_methods', coalesce((SELECT json_agg(json_build_object('method', m.method, 'bookings', m.n,"
  "                                  'total', m.total, 'paid', m.paid) ORDER BY m.n DESC, m.method)"
  "                                FROM (SELECT CASE WHEN method <> '' THEN method WHEN currency = '' THEN 'free'"
  "                                             ELSE 'none' END AS method,"
  "                                             sum(bookings) AS n, sum(total) AS total,"
  "                                             coalesce(sum(total) FILTER (WHERE paid), 0) AS paid"
  "                                        FROM ab WHERE status = 'confirmed'"
  "                                         AND (currency = (SELECT c FROM cur) OR currency = '')"
  "                                       GROUP BY 1) m), '[]'::json),"
  "  'bookings_by_status', coalesce((SELECT json_agg(json_build_object('status', status, 'bookings', n)"
  "                                   ORDER BY status) FROM st WHERE n <> 0), '[]'::json),"
  "  'sales_over_time', coalesce((SELECT json_agg(json_build_object('bucket_start', b.bucket, 'tickets', b.tickets,"
  "                                  'gross', b.gross, 'by_type', b.by_type) ORDER BY b.bucket)"
  "                                FROM (SELECT bucket, sum(tickets)::bigint AS tickets, sum(gross)::bigint AS gross,"
  "                                             json_agg(json_build_object('ticket_type_id', ticket_type_id,"
  "                                                      'tickets', tickets, 'gross', gross) ORDER BY ticket_type_id) AS by_type"
  "                                        FROM sot GROUP BY 1) b), '[]'::json),"
  "  'checkins', (SELECT json_build_object('checked_in', a.n, 'expected', v.n,"
  "                                        'rate', CASE WHEN v.n > 0 THEN round(a.n::numeric / v.n, 4) ELSE 0 END)"
  "                FROM (SELECT coalesce(sum(n), 0)::bigint AS n FROM ck) a,"
  "                     (SELECT coalesce(sum(sold), 0)::bigint AS n FROM tt) v),"
  "  'checkins_over_time', coalesce((SELECT json_agg(json_build_object('bucket_start', bucket, 'checked_in', n)"
  "                                     ORDER BY bucket) FROM ck), '[]'::json),"
  "  'cancellations', json_build_object("
  "     'cancelled_bookings', (SELECT coalesce(sum(bookings), 0) FROM ab WHERE status = 'cancelled'),"
  "     'cancelled_tickets', (SELECT coalesce(sum(cancelled), 0) FROM bt),"
  "     'refunded_bookings', (SELECT coalesce(sum(bookings), 0) FROM ab WHERE status = 'refunded'),"
  "     'refunded_tickets', (SELECT coalesce(sum(refunded), 0) FROM bt),"
  "     'refunds_made', (SELECT coalesce(sum(refunds), 0) FROM rfd),"
  "     'refunds', (SELECT coalesce(sum(amount), 0) FROM rfd WHERE currency = (SELECT c FROM cur)))"
  " )::text END";

/* $1 first local day or NULL, $2 last local day or NULL. */
static const char sql_summary[] =
  "WITH e AS (SELECT id, title, slug, status, timezone, starts_at, currency::text AS currency FROM events e"
  "            WHERE ($1::date IS NULL OR e.starts_at >= $1::date::timestamp AT TIME ZONE e.timezone)"
  "              AND ($2::date IS NULL OR e.starts_at < ($2::date + 1)::timestamp AT TIME ZONE e.timezone)"
  "            ORDER BY e.starts_at, e.id LIMIT 1000),"
  " rows AS (SELECT e.*, tt.capacity, tt.sold, m.gross, m.discounts, r.refunds, ck.checked_in"
  "            FROM e"
  "            CROSS JOIN LATERAL (SELECT coalesce(sum(capacity), 0)::bigint AS capacity,"
  "                                       coalesce(sum(sold), 0)::bigint AS sold"
  "                                  FROM ticket_types WHERE event_id = e.id) tt"
  "            CROSS JOIN LATERAL (SELECT coalesce(sum(subtotal), 0)::bigint AS gross,"
  "                                       coalesce(sum(discount), 0)::bigint AS discounts"
  "                                  FROM analytics_bookings a WHERE a.event_id = e.id AND a.status IN " SOLD
  "                                   AND a.currency = e.currency) m"
  "            CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0)::bigint AS refunds"
  "                                  FROM analytics_refunds a WHERE a.event_id = e.id AND a.currency = e.currency) r"
  "            CROSS JOIN LATERAL (SELECT coalesce(sum(admitted), 0)::bigint AS checked_in"
  "                                  FROM analytics_checkins a WHERE a.event_id = e.id) ck)"
  " SELECT json_build_object("
  "  'from', $1::date, 'to', $2::date, 'generated_at', now(),"
  "  'events', coalesce((SELECT json_agg(json_build_object('event_id', id, 'title', title, 'slug', slug,"
  "                        'status', status, 'timezone', timezone, 'starts_at', starts_at, 'currency', currency,"
  "                        'capacity', capacity, 'sold', sold, 'gross', gross, 'discounts', discounts,"
  "                        'refunds', refunds, 'net', gross - discounts - refunds,"
  "                        'checked_in', checked_in, 'expected', sold,"
  "                        'checkin_rate', CASE WHEN sold > 0 THEN round(checked_in::numeric / sold, 4) ELSE 0 END)"
  "                      ORDER BY starts_at, id) FROM rows), '[]'::json),"
  "  'totals_by_currency', coalesce((SELECT json_agg(json_build_object('currency', currency, 'events', n,"
  "                        'sold', sold, 'gross', gross, 'discounts', discounts, 'refunds', refunds,"
  "                        'net', gross - discounts - refunds) ORDER BY currency)"
  "                      FROM (SELECT currency, count(*) AS n, sum(sold)::bigint AS sold, sum(gross)::bigint AS gross,"
  "                                   sum(discounts)::bigint AS discounts, sum(refunds)::bigint AS refunds"
  "                              FROM rows WHERE currency IS NOT NULL GROUP BY 1) t), '[]'::json),"
  "  'checkins', (SELECT json_build_object('checked_in', coalesce(sum(checked_in), 0),"
  "                                        'expected', coalesce(sum(sold), 0)) FROM rows)"
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
