/* services/booking.c: holds, the booking life cycle, expiry
 *
 * Inventory. ticket_types.held and .sold are only ever changed by
 * conditional UPDATEs in this file, each in the same transaction as the
 * booking rows they account for, so that for every ticket type
 *
 *   held = Σ quantity over its bookings in held | pending_payment
 *   sold = Σ quantity over its bookings in confirmed
 *
 * and the CHECK ticket_types_inventory (held + sold ≤ capacity) is the last
 * line of defence against overselling. A hold is one transaction:
 *
 *   1. lock the attendee's row (FOR NO KEY UPDATE): an attendee's holds run
 *      one at a time, which makes the idempotency look-up, the attendee's
 *      limits below and max_uses_per_attendee exact without locking
 *      anything shared;
 *   2. replay if the Idempotency-Key was used (same request hash) or refuse
 *      (idempotency_key_reused);
 *   3. read the event, the ticket types and the coupon; refuse with a
 *      precise code; price the basket (services/pricing.c);
 *   4. the attendee's limits: at most EVA_BOOKING_OPEN_HOLDS_MAX open holds
 *      (held or pending_payment) per event (409 too_many_holds), and at
 *      most EVA_BOOKING_HOLDS_PER_WINDOW holds made per
 *      EVA_BOOKING_HOLD_WINDOW seconds (429 too_many_attempts with
 *      Retry-After), counted in rate_limits in the hold's own transaction,
 *      so a refused hold costs nothing;
 *   5. per ticket type, in id order (no deadlocks between baskets):
 *        UPDATE ticket_types SET held = held + n
 *         WHERE id = $1 AND held + sold + n <= capacity
 *      no row → sold_out (or not_found when the ticket type was deleted
 *      since step 3); then the coupon: uses = uses + 1 WHERE uses <
 *      max_uses, no row → coupon_exhausted;
 *   6. insert the booking, its items and the audit row in one statement;
 *   7. a free booking is confirmed at once (eva_booking_confirm);
 *   8. commit. Deadlocks and serialization failures are retried.
 *
 * max_per_attendee: a ticket type's own, else its event's
 * max_tickets_per_attendee (10 unless the organizer changes it); it counts
 * the attendee's live (held, pending_payment, confirmed) tickets of the type.
 *
 * Life cycle (services/booking-lifecycle.c; each move one conditional
 * UPDATE; anything else is 409 invalid_transition):
 *
 *   held → pending_payment → confirmed
 *   held | pending_payment → expired | cancelled   (held -= n, coupon use back)
 *   confirmed → cancelled | refunded               (sold -= n, coupon use back)
 *
 * Expiry: eva_bookings_expire() flips due holds to expired and gives back
 * their inventory and coupon uses in one statement, claiming rows with FOR
 * UPDATE SKIP LOCKED so any number of processes can run it at once. The
 * sweeper thread (eva-sweeper.c) runs it every second; reads run it for the
 * booking(s) they show, and eva_booking_json() shows a due hold as expired
 * even before that.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-booking"

#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "services/attendees.h"
#include "services/booking.h"
#include "services/coupons.h"
#include "services/notify.h"
#include "services/tickets.h"
#include "services/pricing.h"

#define HOLD_ATTEMPTS 4

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_lock_attendee[] =
  "SELECT a.status = 'active' AND a.email_verified_at IS NOT NULL"
  "  FROM attendees a WHERE a.id = $1::uuid FOR NO KEY UPDATE";

static const char sql_idempotent[] =
  "SELECT encode(b.request_hash, 'hex'), eva_booking_json(b)::text, b.id"
  "  FROM bookings b WHERE b.attendee_id = $1::uuid AND b.idempotency_key = $2";

static const char sql_event[] =
  "SELECT e.status, e.currency::text, now() >= e.ends_at FROM events e WHERE e.id = $1::uuid";

/* $1 event, $2 ids, $3 attendee (may be NULL). */
static const char sql_types[] =
  "SELECT t.id, t.name, t.price, t.hidden,"
  "       CASE WHEN t.sales_start IS NOT NULL AND now() < t.sales_start THEN 'not_started'"
  "            WHEN t.sales_end IS NOT NULL AND now() >= t.sales_end THEN 'ended' END,"
  "       t.max_per_order, coalesce(t.max_per_attendee, e.max_tickets_per_attendee),"
  "       t.capacity - t.held - t.sold,"
  "       CASE WHEN $3::uuid IS NULL THEN 0 ELSE"
  "         coalesce((SELECT sum(i.quantity) FROM bookings b"
  "                     JOIN booking_items i ON i.booking_id = b.id"
  "                    WHERE b.attendee_id = $3::uuid AND b.event_id = t.event_id"
  "                      AND i.ticket_type_id = t.id"
  "                      AND (b.status = 'confirmed'"
  "                           OR (b.status IN ('held', 'pending_payment')"
  "                               AND b.expires_at > now()))), 0) END"
  "  FROM ticket_types t JOIN events e ON e.id = t.event_id"
  " WHERE t.event_id = $1::uuid AND t.id = ANY ($2::uuid[])";

/* $1 attendee, $2 event, $3 rate-limit key, $4 window (s): the attendee's
 * open holds of the event, the holds made in the current window and the
 * seconds left of it. */
static const char sql_limits[] =
  "SELECT (SELECT count(*) FROM bookings b"
  "         WHERE b.attendee_id = $1::uuid AND b.event_id = $2::uuid"
  "           AND b.status IN ('held', 'pending_payment') AND b.expires_at > now()),"
  "       coalesce(r.failures, 0),"
  "       coalesce(greatest (1, ceil (extract (epoch FROM r.window_start"
  "                + make_interval (secs => $4::int) - now ())))::bigint, 0)"
  "  FROM (VALUES (1)) AS one (x)"
  "  LEFT JOIN rate_limits r"
  "         ON r.key = $3 AND r.window_start > now () - make_interval (secs => $4::int)";

static const char sql_take[] =
  "UPDATE ticket_types SET held = held + $2::int"
  " WHERE id = $1::uuid AND held + sold + $2::int <= capacity RETURNING id";

static const char sql_available[] =
  "SELECT capacity - held - sold FROM ticket_types WHERE id = $1::uuid";

static const char sql_insert[] =
  "WITH b AS ("
  "  INSERT INTO bookings (event_id, attendee_id, status, coupon_id, coupon_code,"
  "                        subtotal, discount, total, currency, expires_at,"
  "                        idempotency_key, request_hash, buyer_email, buyer_name)"
  "  SELECT e.id, a.id, 'held', $3::uuid, $4, $5::bigint, $6::bigint, $7::bigint,"
  "         e.currency, now() + make_interval(mins => e.hold_minutes),"
  "         $8, decode($9, 'hex'), a.email, a.name"
  "    FROM events e, attendees a WHERE e.id = $1::uuid AND a.id = $2::uuid"
  "  RETURNING id, total),"
  " i AS ("
  "  INSERT INTO booking_items (booking_id, ticket_type_id, quantity, unit_price,"
  "                             discount, line_total)"
  "  SELECT b.id, x.t, x.q, x.p, x.d, x.l"
  "    FROM b, unnest($10::uuid[], $11::int[], $12::bigint[], $13::bigint[], $14::bigint[])"
  "            AS x (t, q, p, d, l)"
  "  RETURNING 1),"
  " au AS ("
  "  INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id,"
  "                         details, request_id, ip)"
  "  SELECT 'attendee', $2::uuid, 'booking.hold', 'booking', b.id::text,"
  "         jsonb_build_object('total', b.total), $15, $16 FROM b"
  "  RETURNING 1)"
  " SELECT b.id FROM b";

static const char sql_render[] =
  "SELECT eva_booking_json(b)::text FROM bookings b WHERE b.id = $1::uuid";

/* The hidden ticket types a coupon opens, shown like the public event's
 * (api/public.c): $1 event, $2 the coupon's ticket types ('{}': all). */
static const char sql_unlocked[] =
  "SELECT coalesce(jsonb_agg(eva_ticket_type_json(t) - 'held' - 'sold'"
  "                          ORDER BY t.sort_order, t.name, t.id), '[]'::jsonb)::text"
  "  FROM ticket_types t"
  " WHERE t.event_id = $1::uuid AND t.hidden"
  "   AND (cardinality ($2::uuid[]) = 0 OR t.id = ANY ($2::uuid[]))";

/* ------------------------------------------------------------------ */
/* Basket and outcome                                                 */
/* ------------------------------------------------------------------ */

static void
basket_item_clear (gpointer data)
{
  EvaBasketItem *item = data;

  g_free (item->ticket_type_id);
}

EvaBasket *
eva_basket_new (void)
{
  EvaBasket *basket = g_new0 (EvaBasket, 1);

  basket->items = g_array_new (FALSE, TRUE, sizeof (EvaBasketItem));
  g_array_set_clear_func (basket->items, basket_item_clear);
  return basket;
}

void
eva_basket_free (EvaBasket *basket)
{
  if (basket == NULL)
    return;
  g_free (basket->event_id);
  g_array_unref (basket->items);
  g_free (basket->coupon_code);
  g_free (basket->idempotency_key);
  g_free (basket->request_hash);
  g_free (basket->attendee_id);
  g_free (basket->request_id);
  g_free (basket->ip);
  g_free (basket);
}

static int
item_compare (gconstpointer a,
              gconstpointer b)
{
  return strcmp (((const EvaBasketItem *) a)->ticket_type_id,
                 ((const EvaBasketItem *) b)->ticket_type_id);
}

void
eva_basket_finish (EvaBasket *basket)
{
  g_autoptr(GString) canon = g_string_new (basket->event_id);
  g_autofree char *code = NULL;

  g_array_sort (basket->items, item_compare);
  for (guint i = 0; i < basket->items->len; i++)
    {
      EvaBasketItem *item = &g_array_index (basket->items, EvaBasketItem, i);

      g_string_append_printf (canon, "|%s:%" G_GINT64_FORMAT, item->ticket_type_id,
                              item->quantity);
    }
  code = basket->coupon_code != NULL ? g_utf8_casefold (basket->coupon_code, -1) : NULL;
  g_string_append_printf (canon, "|coupon:%s", code != NULL ? code : "");
  g_free (basket->request_hash);
  basket->request_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canon->str, -1);
}

void
eva_outcome_clear (EvaOutcome *outcome)
{
  g_clear_pointer (&outcome->code, g_free);
  g_clear_pointer (&outcome->message, g_free);
  g_clear_pointer (&outcome->details, json_object_unref);
  g_clear_pointer (&outcome->json, g_free);
  g_clear_pointer (&outcome->booking_id, g_free);
  outcome->status = 0;
  outcome->retry_after = 0;
}

gboolean
eva_outcome_is_unknown_coupon (EvaOutcome *outcome)
{
  return g_strcmp0 (outcome->code, "coupon_invalid") == 0 && outcome->details != NULL &&
         g_strcmp0 (json_object_get_string_member_with_default (outcome->details,
                                                                "coupon_code", ""),
                    "unknown") == 0;
}

static void
refuse (EvaOutcome *out,
        guint       status,
        const char *code,
        JsonObject *details,
        const char *message)
{
  eva_outcome_clear (out);
  out->status = status;
  out->code = g_strdup (code);
  out->message = g_strdup (message);
  out->details = details;
}

static JsonObject *
details_one (const char *key,
             const char *value)
{
  JsonObject *details = json_object_new ();

  json_object_set_string_member (details, key, value);
  return details;
}

static gint64
int_at (PGresult *r,
        int       row,
        int       col)
{
  return g_ascii_strtoll (PQgetvalue (r, row, col), NULL, 10);
}

/* ------------------------------------------------------------------ */
/* Evaluation: everything a quote and a hold refuse alike              */
/* ------------------------------------------------------------------ */

typedef struct
{
  char          *currency;
  EvaPriceLine  *lines;          /* in basket order */
  char         **names;
  gint64        *available;
  EvaPriceTotals totals;
  EvaCoupon     *coupon;
} Priced;

static void
priced_clear (Priced *p)
{
  g_clear_pointer (&p->currency, g_free);
  g_clear_pointer (&p->lines, g_free);
  g_clear_pointer (&p->names, g_strfreev);
  g_clear_pointer (&p->available, g_free);
  g_clear_pointer (&p->coupon, eva_coupon_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Priced, priced_clear)

static char *
ids_literal (EvaBasket *basket)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < basket->items->len; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "",
                            g_array_index (basket->items, EvaBasketItem, i).ticket_type_id);
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

/* Returns FALSE on a database error; a refusal sets out->code. */
static gboolean
evaluate (EvaDbConn   *conn,
          EvaBasket   *basket,
          gboolean     public_quote,
          Priced      *p,
          EvaOutcome  *out,
          GError     **error)
{
  guint n = basket->items->len;
  g_autoptr(PGresult) ev = NULL;
  g_autoptr(PGresult) types = NULL;
  g_autofree char *ids = ids_literal (basket);
  const char *params[3];
  JsonObject *details = NULL;
  const char *status;
  int *row_of = NULL;

  ev = eva_db_query (conn, sql_event, error, basket->event_id);
  if (ev == NULL)
    return FALSE;
  if (PQntuples (ev) == 0 ||
      (public_quote && g_str_equal (PQgetvalue (ev, 0, 0), "draft")))
    {
      refuse (out, 404, "not_found", NULL, "No such event");
      return TRUE;
    }
  status = PQgetvalue (ev, 0, 0);
  if (!g_str_equal (status, "published"))
    {
      refuse (out, 409, "event_not_published", details_one ("status", status),
              "The event is not on sale");
      return TRUE;
    }
  if (g_str_equal (PQgetvalue (ev, 0, 2), "t"))
    {
      refuse (out, 409, "sales_closed", details_one ("event", "ended"),
              "The event is over");
      return TRUE;
    }
  p->currency = PQgetisnull (ev, 0, 1) ? NULL : g_strdup (PQgetvalue (ev, 0, 1));

  params[0] = basket->event_id;
  params[1] = ids;
  params[2] = basket->attendee_id;
  types = eva_db_exec (conn, sql_types, 3, params, error);
  if (types == NULL)
    return FALSE;

  row_of = g_newa (int, n);
  for (guint i = 0; i < n; i++)
    {
      const char *id = g_array_index (basket->items, EvaBasketItem, i).ticket_type_id;

      row_of[i] = -1;
      for (int r = 0; r < PQntuples (types); r++)
        if (g_str_equal (PQgetvalue (types, r, 0), id))
          row_of[i] = r;
      if (row_of[i] < 0)
        {
          if (details == NULL)
            details = json_object_new ();
          json_object_set_string_member (details, id, "no such ticket type in this event");
        }
    }
  if (details != NULL)
    {
      refuse (out, 404, "not_found", details, "No such ticket type");
      return TRUE;
    }

  if (basket->coupon_code != NULL)
    {
      p->coupon = eva_coupon_lookup (conn, basket->event_id, basket->coupon_code,
                                     basket->attendee_id, error);
      if (p->coupon == NULL && error != NULL && *error != NULL)
        return FALSE;
      if (p->coupon == NULL || p->coupon->validity != NULL)
        {
          refuse (out, 422, "coupon_invalid",
                  details_one ("coupon_code", p->coupon == NULL ? "unknown"
                                                                : p->coupon->validity),
                  "This coupon code is not valid");
          return TRUE;
        }
    }

  p->lines = g_new0 (EvaPriceLine, n);
  p->names = g_new0 (char *, n + 1);
  p->available = g_new0 (gint64, n);
  for (guint i = 0; i < n; i++)
    {
      EvaBasketItem *item = &g_array_index (basket->items, EvaBasketItem, i);
      int r = row_of[i];
      gboolean applies = p->coupon != NULL && eva_coupon_applies (p->coupon, item->ticket_type_id);
      gint64 max_order = int_at (types, r, 5);
      gint64 max_attendee = int_at (types, r, 6);
      gint64 already = int_at (types, r, 8);
      p->names[i] = g_strdup (PQgetvalue (types, r, 1));
      p->lines[i].unit_price = int_at (types, r, 2);
      p->lines[i].quantity = item->quantity;
      p->lines[i].eligible = applies;
      p->available[i] = int_at (types, r, 7);

      if (g_str_equal (PQgetvalue (types, r, 3), "t") &&
          !(applies && p->coupon->unlocks_hidden))
        {
          /* A hidden type is only there for those with the code. */
          refuse (out, 422, "hidden_type", details_one (item->ticket_type_id, "needs a coupon"),
                  "This ticket type needs a coupon code");
          return TRUE;
        }
      if (!PQgetisnull (types, r, 4))
        {
          refuse (out, 409, "sales_closed",
                  details_one (item->ticket_type_id, PQgetvalue (types, r, 4)),
                  "This ticket type is not on sale now");
          return TRUE;
        }
      if (item->quantity > max_order)
        {
          details = json_object_new ();
          json_object_set_int_member (details, item->ticket_type_id, max_order);
          refuse (out, 422, "max_per_order", details,
                  "Too many tickets of one type in one order");
          return TRUE;
        }
      if (max_attendee > 0 && already + item->quantity > max_attendee)
        {
          details = json_object_new ();
          json_object_set_int_member (details, item->ticket_type_id,
                                      MAX (max_attendee - already, 0));
          refuse (out, 422, "max_per_attendee", details,
                  "That would be more tickets of this type than one person may book");
          return TRUE;
        }
    }

  if (p->coupon != NULL)
    {
      gboolean any = FALSE;

      /* Without items (a quote asking what the code opens) there is
       * nothing yet it could fail to apply to. */
      for (guint i = 0; i < n; i++)
        any |= p->lines[i].eligible;
      if (!any && n > 0)
        {
          refuse (out, 422, "coupon_invalid", details_one ("coupon_code", "not_applicable"),
                  "This coupon does not apply to these tickets");
          return TRUE;
        }
      if ((p->coupon->max_per_attendee > 0 &&
           p->coupon->attendee_uses >= p->coupon->max_per_attendee) ||
          (public_quote && p->coupon->max_uses >= 0 &&
           p->coupon->uses >= p->coupon->max_uses))
        {
          refuse (out, 422, "coupon_exhausted", details_one ("coupon_code", "used_up"),
                  "This coupon has been used up");
          return TRUE;
        }
    }

  if (!eva_pricing_compute (p->lines, n,
                            p->coupon != NULL ? p->coupon->kind : EVA_DISCOUNT_NONE,
                            p->coupon != NULL ? p->coupon->value : 0, &p->totals))
    {
      refuse (out, 422, "amount_too_large", NULL, "The order total is too large");
      return TRUE;
    }

  if (p->coupon != NULL && n > 0 && p->totals.subtotal < p->coupon->min_order)
    {
      details = json_object_new ();
      json_object_set_int_member (details, "min_order", p->coupon->min_order);
      refuse (out, 422, "coupon_min_order", details,
              "The order is below this coupon's minimum");
      return TRUE;
    }

  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Quote                                                              */
/* ------------------------------------------------------------------ */

/* The hidden ticket types of @event_id that @coupon (valid, or NULL)
 * unlocks, as a JSON array. */
static JsonNode *
unlocked_types (EvaDbConn   *conn,
                const char  *event_id,
                EvaCoupon   *coupon,
                GError     **error)
{
  g_autoptr(GString) ids = NULL;
  g_autoptr(PGresult) r = NULL;

  if (coupon == NULL || !coupon->unlocks_hidden)
    {
      g_autoptr(JsonArray) none = json_array_new ();

      /* The node takes its own reference. */
      return json_node_init_array (json_node_alloc (), none);
    }

  /* Read from the database as uuids: a safe array literal. */
  ids = g_string_new ("{");
  for (guint i = 0; i < coupon->ticket_type_ids->len; i++)
    g_string_append_printf (ids, "%s%s", i ? "," : "",
                            (const char *) g_ptr_array_index (coupon->ticket_type_ids, i));
  g_string_append_c (ids, '}');

  r = eva_db_query (conn, sql_unlocked, error, event_id, ids->str);
  if (r == NULL)
    return NULL;
  return json_from_string (eva_db_value (r), error);
}

gboolean
eva_booking_quote (EvaDbConn   *conn,
                   EvaBasket   *basket,
                   EvaOutcome  *out,
                   GError     **error)
{
  g_auto(Priced) p = { 0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonNode *unlocked = NULL;
  JsonObject *sold_out = NULL;

  if (!evaluate (conn, basket, TRUE, &p, out, error))
    return FALSE;
  if (out->code != NULL)
    return TRUE;

  for (guint i = 0; i < basket->items->len; i++)
    if (p.available[i] < p.lines[i].quantity)
      {
        if (sold_out == NULL)
          sold_out = json_object_new ();
        json_object_set_int_member (sold_out,
                                    g_array_index (basket->items, EvaBasketItem, i).ticket_type_id,
                                    MAX (p.available[i], 0));
      }
  if (sold_out != NULL)
    {
      refuse (out, 409, "sold_out", sold_out, "Not enough tickets left");
      return TRUE;
    }

  unlocked = unlocked_types (conn, basket->event_id, p.coupon, error);
  if (unlocked == NULL)
    return FALSE;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event_id");
  json_builder_add_string_value (b, basket->event_id);
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  for (guint i = 0; i < basket->items->len; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ticket_type_id");
      json_builder_add_string_value (b, g_array_index (basket->items, EvaBasketItem, i).ticket_type_id);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, p.names[i]);
      json_builder_set_member_name (b, "quantity");
      json_builder_add_int_value (b, p.lines[i].quantity);
      json_builder_set_member_name (b, "unit_price");
      json_builder_add_int_value (b, p.lines[i].unit_price);
      json_builder_set_member_name (b, "discount");
      json_builder_add_int_value (b, p.lines[i].discount);
      json_builder_set_member_name (b, "line_total");
      json_builder_add_int_value (b, p.lines[i].line_total);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "subtotal");
  json_builder_add_int_value (b, p.totals.subtotal);
  json_builder_set_member_name (b, "discount");
  json_builder_add_int_value (b, p.totals.discount);
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, p.totals.total);
  json_builder_set_member_name (b, "currency");
  if (p.currency != NULL)
    json_builder_add_string_value (b, p.currency);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "coupon_code");
  if (p.coupon != NULL)
    json_builder_add_string_value (b, p.coupon->code);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "unlocked_ticket_types");
  json_builder_add_value (b, unlocked);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  out->status = 200;
  out->json = eva_json_to_string (root);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Hold                                                               */
/* ------------------------------------------------------------------ */

static gboolean
is_retryable (EvaDbConn *conn)
{
  const char *state = eva_db_conn_last_sqlstate (conn);

  return g_strcmp0 (state, "40P01") == 0 || g_strcmp0 (state, "40001") == 0;
}

static gboolean
insert_booking (EvaDbConn   *conn,
                EvaBasket   *basket,
                Priced      *p,
                char       **booking_id,
                GError     **error)
{
  g_autoptr(GString) t = g_string_new ("{");
  g_autoptr(GString) q = g_string_new ("{");
  g_autoptr(GString) up = g_string_new ("{");
  g_autoptr(GString) d = g_string_new ("{");
  g_autoptr(GString) l = g_string_new ("{");
  g_autofree char *subtotal = g_strdup_printf ("%" G_GINT64_FORMAT, p->totals.subtotal);
  g_autofree char *discount = g_strdup_printf ("%" G_GINT64_FORMAT, p->totals.discount);
  g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT, p->totals.total);
  g_autoptr(PGresult) r = NULL;

  for (guint i = 0; i < basket->items->len; i++)
    {
      const char *sep = i ? "," : "";

      g_string_append_printf (t, "%s%s", sep,
                              g_array_index (basket->items, EvaBasketItem, i).ticket_type_id);
      g_string_append_printf (q, "%s%" G_GINT64_FORMAT, sep, p->lines[i].quantity);
      g_string_append_printf (up, "%s%" G_GINT64_FORMAT, sep, p->lines[i].unit_price);
      g_string_append_printf (d, "%s%" G_GINT64_FORMAT, sep, p->lines[i].discount);
      g_string_append_printf (l, "%s%" G_GINT64_FORMAT, sep, p->lines[i].line_total);
    }
  g_string_append_c (t, '}');
  g_string_append_c (q, '}');
  g_string_append_c (up, '}');
  g_string_append_c (d, '}');
  g_string_append_c (l, '}');

  {
    const char *params[] = {
      basket->event_id, basket->attendee_id,
      p->coupon != NULL ? p->coupon->id : NULL,
      p->coupon != NULL ? p->coupon->code : NULL,
      subtotal, discount, total, basket->idempotency_key, basket->request_hash,
      t->str, q->str, up->str, d->str, l->str, basket->request_id, basket->ip,
    };

    r = eva_db_exec (conn, sql_insert, G_N_ELEMENTS (params), params, error);
  }
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) != 1)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "booking insert returned no row");
      return FALSE;
    }
  *booking_id = g_strdup (PQgetvalue (r, 0, 0));
  return TRUE;
}

static char *
hold_limit_key (EvaBasket *basket)
{
  g_autofree char *id = g_ascii_strdown (basket->attendee_id, -1);

  return g_strconcat ("att:hold:acct:", id, NULL);
}

/* Step 4: the attendee's open holds of the event and holds made lately.
 * Returns FALSE on a database error; a refusal sets out->code. */
static gboolean
check_limits (EvaDbConn   *conn,
              EvaBasket   *basket,
              EvaOutcome  *out,
              GError     **error)
{
  g_autofree char *key = hold_limit_key (basket);
  g_autofree char *window = g_strdup_printf ("%d", EVA_BOOKING_HOLD_WINDOW);
  g_autoptr(PGresult) r = eva_db_query (conn, sql_limits, error, basket->attendee_id,
                                        basket->event_id, key, window);

  if (r == NULL)
    return FALSE;
  if (PQntuples (r) != 1)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "hold limits returned no row");
      return FALSE;
    }
  if (int_at (r, 0, 0) >= EVA_BOOKING_OPEN_HOLDS_MAX)
    {
      JsonObject *details = json_object_new ();

      json_object_set_int_member (details, "max_open_holds", EVA_BOOKING_OPEN_HOLDS_MAX);
      refuse (out, 409, "too_many_holds", details,
              "You already hold tickets of this event; pay for or cancel a hold first");
      return TRUE;
    }
  if (int_at (r, 0, 1) >= EVA_BOOKING_HOLDS_PER_WINDOW)
    {
      JsonObject *details = json_object_new ();

      json_object_set_int_member (details, "retry_after", int_at (r, 0, 2));
      refuse (out, 429, "too_many_attempts", details, "Too many holds from this account");
      out->retry_after = int_at (r, 0, 2);
      return TRUE;
    }
  return TRUE;
}

/* Counts the hold made, in its transaction (step 4). */
static gboolean
count_hold (EvaDbConn   *conn,
            EvaBasket   *basket,
            GError     **error)
{
  g_autofree char *key = hold_limit_key (basket);
  gboolean allowed;

  return eva_attendee_limit_take (conn, key, EVA_BOOKING_HOLDS_PER_WINDOW,
                                  EVA_BOOKING_HOLD_WINDOW, &allowed, error);
}

/* One attempt; returns FALSE with @error on a database failure (the
 * transaction is then rolled back by the caller). */
static gboolean
hold_once (EvaDbConn   *conn,
           EvaBasket   *basket,
           EvaOutcome  *out,
           GError     **error)
{
  g_auto(Priced) p = { 0 };
  g_autoptr(PGresult) who = NULL;
  g_autoptr(PGresult) prior = NULL;
  g_autoptr(PGresult) rendered = NULL;
  g_autofree char *booking_id = NULL;
  JsonObject *sold_out = NULL;

  if (!eva_db_begin (conn, error))
    return FALSE;

  who = eva_db_query (conn, sql_lock_attendee, error, basket->attendee_id);
  if (who == NULL)
    return FALSE;
  if (PQntuples (who) == 0 || !g_str_equal (PQgetvalue (who, 0, 0), "t"))
    {
      refuse (out, 403, "unverified_account", NULL,
              "Verify your email address before booking");
      eva_db_rollback (conn);
      return TRUE;
    }

  prior = eva_db_query (conn, sql_idempotent, error, basket->attendee_id,
                        basket->idempotency_key);
  if (prior == NULL)
    return FALSE;
  if (PQntuples (prior) == 1)
    {
      eva_db_rollback (conn);
      if (g_ascii_strcasecmp (PQgetvalue (prior, 0, 0), basket->request_hash) != 0)
        {
          refuse (out, 409, "idempotency_key_reused", NULL,
                  "This Idempotency-Key was used for a different request");
          return TRUE;
        }
      eva_outcome_clear (out);
      out->status = 201;
      out->json = g_strdup (PQgetvalue (prior, 0, 1));
      out->booking_id = g_strdup (PQgetvalue (prior, 0, 2));
      return TRUE;
    }

  if (!evaluate (conn, basket, FALSE, &p, out, error))
    return FALSE;
  if (out->code == NULL && !check_limits (conn, basket, out, error))
    return FALSE;
  if (out->code != NULL)
    {
      eva_db_rollback (conn);
      return TRUE;
    }

  /* Inventory, in ticket type id order (the basket is sorted). */
  for (guint i = 0; i < basket->items->len; i++)
    {
      EvaBasketItem *item = &g_array_index (basket->items, EvaBasketItem, i);
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, item->quantity);
      g_autoptr(PGresult) taken = eva_db_query (conn, sql_take, error, item->ticket_type_id, n);
      g_autoptr(PGresult) left = NULL;

      if (taken == NULL)
        return FALSE;
      if (PQntuples (taken) == 1)
        continue;
      left = eva_db_query (conn, sql_available, error, item->ticket_type_id);
      if (left == NULL)
        return FALSE;
      if (eva_db_value (left) == NULL)
        {
          /* Deleted since evaluate() read it (nothing was held of it, or
           * it could not have been): as if the request came a moment later. */
          g_clear_pointer (&sold_out, json_object_unref);
          eva_db_rollback (conn);
          refuse (out, 404, "not_found",
                  details_one (item->ticket_type_id, "no such ticket type in this event"),
                  "No such ticket type");
          return TRUE;
        }
      if (sold_out == NULL)
        sold_out = json_object_new ();
      json_object_set_int_member (sold_out, item->ticket_type_id,
                                  MAX (g_ascii_strtoll (eva_db_value (left), NULL, 10), 0));
    }
  if (sold_out != NULL)
    {
      eva_db_rollback (conn);
      refuse (out, 409, "sold_out", sold_out, "Not enough tickets left");
      return TRUE;
    }

  if (p.coupon != NULL)
    {
      gboolean taken = FALSE;

      if (!eva_coupon_take_use (conn, p.coupon->id, &taken, error))
        return FALSE;
      if (!taken)
        {
          eva_db_rollback (conn);
          refuse (out, 422, "coupon_exhausted", details_one ("coupon_code", "used_up"),
                  "This coupon has been used up");
          return TRUE;
        }
    }

  if (!insert_booking (conn, basket, &p, &booking_id, error) ||
      !count_hold (conn, basket, error))
    return FALSE;
  if (p.totals.total == 0
      && (!eva_booking_confirm (conn, booking_id, error)
          || !(basket->config != NULL ? eva_notify_confirmed (conn, basket->config, booking_id, error)
                                      : eva_tickets_issue (conn, booking_id, error))))
    return FALSE;

  rendered = eva_db_query (conn, sql_render, error, booking_id);
  if (rendered == NULL || !eva_db_commit (conn, error))
    return FALSE;

  eva_outcome_clear (out);
  out->status = 201;
  out->json = g_strdup (eva_db_value (rendered));
  out->booking_id = g_steal_pointer (&booking_id);
  return TRUE;
}

gboolean
eva_booking_hold (EvaDbConn   *conn,
                  EvaBasket   *basket,
                  EvaOutcome  *out,
                  GError     **error)
{
  g_return_val_if_fail (basket->attendee_id != NULL, FALSE);
  g_return_val_if_fail (basket->idempotency_key != NULL, FALSE);
  g_return_val_if_fail (basket->request_hash != NULL, FALSE);

  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local = NULL;
      gboolean retry;
      gboolean duplicate;

      eva_outcome_clear (out);
      if (hold_once (conn, basket, out, &local))
        return TRUE;

      /* Two requests with one key at once: the loser replays the winner. */
      duplicate = g_error_matches (local, EVA_ERROR, EVA_ERROR_CONFLICT) &&
                  g_strcmp0 (eva_db_conn_last_constraint (conn),
                             "bookings_attendee_idempotency_key") == 0;
      retry = is_retryable (conn) || duplicate;
      eva_db_rollback (conn);
      if (!retry || attempt >= HOLD_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
}
