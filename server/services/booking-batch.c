/* services/booking-batch.c: coalescing concurrent holds on one ticket type
 *
 * With one transaction per hold, every hold waits for the row lock of its
 * ticket type and then for its own commit (an fsync): a hot ticket type
 * sells one booking per lock hold, like pgbench's single-row update. Here
 * the HTTP threads queue "simple" holds (one ticket type, no coupon) per
 * ticket type; a pool job per ticket type and process takes
 * everything queued (up to BATCH_MAX) and decides it in ONE transaction:
 *
 *   1. lock all the batch's attendees, in id order (FOR NO KEY UPDATE, the
 *      same lock the single path takes, so an attendee's holds are still
 *      serial across paths and processes); an attendee appears at most
 *      once per batch, later requests of theirs wait for the next batch;
 *   2. idempotency look-ups for the whole batch in one query;
 *   3. the event and ticket type once, and in one query the attendees'
 *      live counts for max_per_attendee, their open holds of the event and
 *      their holds made in the current window (rate_limits); refusals are
 *      decided per request in arrival order with the same rules and codes
 *      as the single path;
 *   4. UPDATE ticket_types SET held = held + Σn WHERE … held + sold + Σn ≤
 *      capacity; if that fails, lock the row, read what is left and grant
 *      in arrival order what fits (the others: sold_out with what is left;
 *      not_found for all if the ticket type was deleted meanwhile);
 *   5. all bookings, items, audit rows and the attendees' hold counts in
 *      one statement (unnest), one commit, then every request gets its
 *      reply.
 *
 * Up to BATCH_INFLIGHT batches of a ticket type run at once per process
 * (more processes add theirs); the row lock on the ticket type orders
 * their inventory updates.
 *
 * Queues. A ticket type's queue is opened only for a ticket type seen to
 * exist (api/bookings.c asks the database first when there is no queue),
 * and closed as soon as it runs empty, so the table holds at most the
 * ticket types with holds in flight, whatever ids clients send. Opening and
 * closing are logged at debug level with the number of open queues.
 *
 * Every outcome is one a serial execution in arrival order could give.
 * Anything unusual (a free ticket type, a database error, an overflow)
 * falls back to eva_booking_hold() per request, on the same connection.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-booking-batch"

#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "http/eva-request.h"
#include "services/booking.h"

#define BATCH_MAX 512
/* Batches of one ticket type in flight at once. 2 lets the next batch do
 * its reads while the previous one commits, but on a small machine the
 * bigger batches of 1 measured better (bench/flash-sale). */
#define BATCH_INFLIGHT 1

typedef struct
{
  EvaRequest *req;
  EvaBasket  *basket;
  EvaOutcome  out;
  gboolean    decided;
  gint64      total;
} Pending;

typedef struct
{
  EvaDb     *db;
  char      *ticket_type_id;
  GQueue     queue;        /* Pending * */
  guint      running;
} TypeQueue;

static GMutex queues_lock;
static GHashTable *queues;   /* ticket type id → TypeQueue *, while it has work */

static void
type_queue_free (TypeQueue *tq)
{
  g_assert (g_queue_is_empty (&tq->queue));
  g_free (tq->ticket_type_id);
  g_free (tq);
}

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_lock[] =
  "SELECT a.id, a.status = 'active' AND a.email_verified_at IS NOT NULL"
  "  FROM attendees a WHERE a.id = ANY ($1::uuid[]) ORDER BY a.id FOR NO KEY UPDATE";

static const char sql_idempotent[] =
  "SELECT b.attendee_id, encode(b.request_hash, 'hex'), eva_booking_json(b)::text, b.id"
  "  FROM unnest($1::uuid[], $2::text[]) AS x (a, k)"
  "  JOIN bookings b ON b.attendee_id = x.a AND b.idempotency_key = x.k";

/* $1 event, $2 type */
static const char sql_type[] =
  "SELECT e.status, now() >= e.ends_at, t.id IS NOT NULL, t.hidden,"
  "       CASE WHEN t.sales_start IS NOT NULL AND now() < t.sales_start THEN 'not_started'"
  "            WHEN t.sales_end IS NOT NULL AND now() >= t.sales_end THEN 'ended' END,"
  "       t.max_per_order, coalesce(t.max_per_attendee, e.max_tickets_per_attendee),"
  "       t.price, t.name"
  "  FROM events e LEFT JOIN ticket_types t ON t.id = $2::uuid AND t.event_id = e.id"
  " WHERE e.id = $1::uuid";

/* $1 attendees, $2 event, $3 type, $4 window (s). Per attendee: live
 * tickets of the type, open holds of the event, holds made in the current
 * window and the seconds left of it (the single path's sql_limits). */
static const char sql_counts[] =
  "SELECT x.a,"
  "       coalesce((SELECT sum(i.quantity) FROM bookings b"
  "                   JOIN booking_items i ON i.booking_id = b.id AND i.ticket_type_id = $3::uuid"
  "                  WHERE b.attendee_id = x.a AND b.event_id = $2::uuid"
  "                    AND (b.status = 'confirmed'"
  "                         OR (b.status IN ('held', 'pending_payment')"
  "                             AND b.expires_at > now()))), 0),"
  "       (SELECT count(*) FROM bookings b"
  "         WHERE b.attendee_id = x.a AND b.event_id = $2::uuid"
  "           AND b.status IN ('held', 'pending_payment') AND b.expires_at > now()),"
  "       coalesce(r.failures, 0),"
  "       coalesce(greatest (1, ceil (extract (epoch FROM r.window_start"
  "                + make_interval (secs => $4::int) - now ())))::bigint, 0)"
  "  FROM unnest($1::uuid[]) AS x (a)"
  "  LEFT JOIN rate_limits r ON r.key = 'att:hold:acct:' || x.a::text"
  "        AND r.window_start > now () - make_interval (secs => $4::int)";

static const char sql_take_all[] =
  "UPDATE ticket_types SET held = held + $2::int"
  " WHERE id = $1::uuid AND held + sold + $2::int <= capacity RETURNING id";

static const char sql_left[] =
  "SELECT capacity - held - sold FROM ticket_types WHERE id = $1::uuid FOR UPDATE";

static const char sql_take[] =
  "UPDATE ticket_types SET held = held + $2::int WHERE id = $1::uuid RETURNING id";

/* $1 event, $2 type, $3 unit price; arrays: $4 attendees, $5 quantities,
 * $6 totals, $7 keys, $8 hashes, $9 request ids, $10 ips; $11 type name;
 * $12 the hold window (s). Counts one hold per attendee in rate_limits the
 * way eva_attendee_limit_take() does (services/attendees.c). Returns each
 * booking as eva_booking_json() renders it (the connection's TimeZone is
 * UTC, as that function pins it). */
static const char sql_insert[] =
  "WITH x AS ("
  "  SELECT * FROM unnest($4::uuid[], $5::int[], $6::bigint[], $7::text[], $8::text[],"
  "                       $9::text[], $10::text[]) AS x (a, q, total, k, h, rid, ip)),"
  " b AS ("
  "  INSERT INTO bookings (event_id, attendee_id, status, subtotal, discount, total,"
  "                        currency, expires_at, idempotency_key, request_hash,"
  "                        buyer_email, buyer_name)"
  "  SELECT e.id, x.a, 'held', x.total, 0, x.total, e.currency,"
  "         now() + make_interval(mins => e.hold_minutes), x.k, decode(x.h, 'hex'),"
  "         at.email, at.name"
  "    FROM x JOIN attendees at ON at.id = x.a, events e WHERE e.id = $1::uuid"
  "  RETURNING *),"
  " i AS ("
  "  INSERT INTO booking_items (booking_id, ticket_type_id, quantity, unit_price,"
  "                             discount, line_total)"
  "  SELECT b.id, $2::uuid, x.q, $3::bigint, 0, x.total FROM b JOIN x ON x.a = b.attendee_id"
  "  RETURNING 1),"
  " au AS ("
  "  INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id,"
  "                         details, request_id, ip)"
  "  SELECT 'attendee', b.attendee_id, 'booking.hold', 'booking', b.id::text,"
  "         jsonb_build_object('total', x.total), x.rid, x.ip"
  "    FROM b JOIN x ON x.a = b.attendee_id"
  "  RETURNING 1),"
  " rl AS ("
  "  INSERT INTO rate_limits AS r (key, failures, window_start)"
  "  SELECT 'att:hold:acct:' || b.attendee_id::text, 1, now () FROM b"
  "  ON CONFLICT (key) DO UPDATE SET"
  "    failures = CASE WHEN r.window_start <= now () - make_interval (secs => $12::int)"
  "                    THEN 1 ELSE least (r.failures + 1, 1000000) END,"
  "    window_start = CASE WHEN r.window_start <= now () - make_interval (secs => $12::int)"
  "                        THEN now () ELSE r.window_start END"
  "  RETURNING 1)"
  " SELECT b.attendee_id, b.id, jsonb_build_object("
  "   'id', b.id, 'event_id', b.event_id, 'attendee_id', b.attendee_id,"
  "   'status', b.status, 'expires_at', b.expires_at,"
  "   'items', jsonb_build_array(jsonb_build_object("
  "      'ticket_type_id', $2::uuid, 'name', $11::text, 'quantity', x.q,"
  "      'unit_price', $3::bigint, 'discount', 0, 'line_total', x.total)),"
  "   'subtotal', b.subtotal, 'discount', b.discount, 'total', b.total,"
  "   'currency', b.currency::text, 'coupon_code', b.coupon_code,"
  "   'created_at', b.created_at, 'updated_at', b.updated_at,"
  "   'confirmed_at', b.confirmed_at, 'cancelled_at', b.cancelled_at,"
  "   'event', eva_booking_event_json(b.event_id),"
  "   'payment_method', b.payment_method, 'payment_reference', b.payment_reference,"
  "   'paid', b.paid_at IS NOT NULL, 'paid_at', b.paid_at, 'amount_paid', 0,"
  "   'amount_refunded', 0, 'payments', '[]'::jsonb, 'refunds', '[]'::jsonb,"
  "   'transfer', NULL)::text"
  "   FROM b JOIN x ON x.a = b.attendee_id";

/* ------------------------------------------------------------------ */
/* Replies                                                            */
/* ------------------------------------------------------------------ */

void
eva_booking_reply (EvaRequest *req,
                   EvaOutcome *out)
{
  if (out->code != NULL)
    {
      if (out->retry_after > 0)
        {
          g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, out->retry_after);

          eva_request_add_header (req, "Retry-After", seconds);
        }
      eva_request_reply_error (req, out->status, out->code,
                               out->details, "%s", out->message);
      return;
    }
  if (out->booking_id != NULL)
    {
      g_autofree char *location = g_strconcat ("/api/v1/me/bookings/", out->booking_id, NULL);

      eva_request_add_header (req, "Location", location);
    }
  eva_request_reply_json_text (req, out->status, out->json);
}

static gboolean
finish_cb (gpointer data)
{
  EvaRequest *req = data;

  eva_request_finish (req);
  eva_request_unref (req);
  return G_SOURCE_REMOVE;
}

static void
pending_free (Pending *p)
{
  eva_outcome_clear (&p->out);
  eva_basket_free (p->basket);
  g_free (p);
}

/* Replies on any thread; the request is finished on its own. */
static void
pending_done (Pending *p)
{
  EvaRequest *req = g_steal_pointer (&p->req);

  eva_booking_reply (req, &p->out);
  pending_free (p);
  g_main_context_invoke (req->context, finish_cb, req);
}

static void
refuse (Pending    *p,
        guint       status,
        const char *code,
        JsonObject *details,
        const char *message)
{
  eva_outcome_clear (&p->out);
  p->out.status = status;
  p->out.code = g_strdup (code);
  p->out.message = g_strdup (message);
  p->out.details = details;
  p->decided = TRUE;
}

static JsonObject *
details_int (const char *key,
             gint64      value)
{
  JsonObject *d = json_object_new ();

  json_object_set_int_member (d, key, value);
  return d;
}

static JsonObject *
details_str (const char *key,
             const char *value)
{
  JsonObject *d = json_object_new ();

  json_object_set_string_member (d, key, value);
  return d;
}

/* ------------------------------------------------------------------ */
/* The batch                                                          */
/* ------------------------------------------------------------------ */

static char *
array_literal (GPtrArray *batch,
               char     *(*get) (Pending *p))
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < batch->len; i++)
    {
      g_autofree char *v = get (g_ptr_array_index (batch, i));

      if (i > 0)
        g_string_append_c (s, ',');
      if (v == NULL)
        {
          g_string_append (s, "NULL");
          continue;
        }
      g_string_append_c (s, '"');
      for (const char *c = v; *c != '\0'; c++)
        {
          if (*c == '"' || *c == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *c);
        }
      g_string_append_c (s, '"');
    }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static char *get_attendee (Pending *p) { return g_strdup (p->basket->attendee_id); }
static char *get_key (Pending *p) { return g_strdup (p->basket->idempotency_key); }
static char *get_hash (Pending *p) { return g_strdup (p->basket->request_hash); }
static char *get_rid (Pending *p) { return g_strdup (p->basket->request_id); }
static char *get_ip (Pending *p) { return p->basket->ip != NULL && *p->basket->ip ? g_strdup (p->basket->ip) : NULL; }
static char *get_quantity (Pending *p)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT,
                          g_array_index (p->basket->items, EvaBasketItem, 0).quantity);
}
static char *get_total (Pending *p) { return g_strdup_printf ("%" G_GINT64_FORMAT, p->total); }

static Pending *
find (GPtrArray  *batch,
      const char *attendee_id)
{
  for (guint i = 0; i < batch->len; i++)
    {
      Pending *p = g_ptr_array_index (batch, i);

      if (g_ascii_strcasecmp (p->basket->attendee_id, attendee_id) == 0)
        return p;
    }
  return NULL;
}

static gint64
quantity_of (Pending *p)
{
  return g_array_index (p->basket->items, EvaBasketItem, 0).quantity;
}

/* Decides the whole batch in one transaction. FALSE: fall back. */
static gboolean
run_batch (EvaDbConn   *conn,
           const char  *type_id,
           GPtrArray   *batch,
           GError     **error)
{
  const char *event_id = ((Pending *) g_ptr_array_index (batch, 0))->basket->event_id;
  g_autofree char *attendees = array_literal (batch, get_attendee);
  g_autofree char *keys = array_literal (batch, get_key);
  g_autoptr(PGresult) locked = NULL;
  g_autoptr(PGresult) prior = NULL;
  g_autoptr(PGresult) type = NULL;
  g_autoptr(PGresult) counts = NULL;
  g_autoptr(PGresult) taken = NULL;
  g_autoptr(PGresult) inserted = NULL;
  g_autoptr(GPtrArray) granted = g_ptr_array_new ();
  gint64 max_order, max_attendee, price, wanted = 0;
  char n_text[24];
  char window[24];

  if (!eva_db_begin (conn, error))
    return FALSE;

  /* 1. attendees */
  locked = eva_db_query (conn, sql_lock, error, attendees);
  if (locked == NULL)
    return FALSE;
  for (guint i = 0; i < batch->len; i++)
    {
      Pending *p = g_ptr_array_index (batch, i);
      gboolean ok = FALSE;

      for (int r = 0; r < PQntuples (locked); r++)
        if (g_ascii_strcasecmp (PQgetvalue (locked, r, 0), p->basket->attendee_id) == 0)
          ok = g_str_equal (PQgetvalue (locked, r, 1), "t");
      if (!ok)
        refuse (p, 403, "unverified_account", NULL, "Verify your email address before booking");
    }

  /* 2. idempotency */
  prior = eva_db_query (conn, sql_idempotent, error, attendees, keys);
  if (prior == NULL)
    return FALSE;
  for (int r = 0; r < PQntuples (prior); r++)
    {
      Pending *p = find (batch, PQgetvalue (prior, r, 0));

      if (p == NULL || p->decided)
        continue;
      if (g_ascii_strcasecmp (PQgetvalue (prior, r, 1), p->basket->request_hash) != 0)
        {
          refuse (p, 409, "idempotency_key_reused", NULL,
                  "This Idempotency-Key was used for a different request");
          continue;
        }
      eva_outcome_clear (&p->out);
      p->out.status = 201;
      p->out.json = g_strdup (PQgetvalue (prior, r, 2));
      p->out.booking_id = g_strdup (PQgetvalue (prior, r, 3));
      p->decided = TRUE;
    }

  /* 3. the event and ticket type, the same checks as evaluate() */
  type = eva_db_query (conn, sql_type, error, event_id, type_id);
  if (type == NULL)
    return FALSE;
  if (PQntuples (type) == 1 && g_str_equal (PQgetvalue (type, 0, 2), "t") &&
      g_ascii_strtoll (PQgetvalue (type, 0, 7), NULL, 10) == 0)
    return FALSE;   /* free: confirmed at once, the single path does that */
  for (guint i = 0; i < batch->len; i++)
    {
      Pending *p = g_ptr_array_index (batch, i);

      if (p->decided)
        continue;
      if (PQntuples (type) == 0)
        refuse (p, 404, "not_found", NULL, "No such event");
      else if (!g_str_equal (PQgetvalue (type, 0, 0), "published"))
        refuse (p, 409, "event_not_published", details_str ("status", PQgetvalue (type, 0, 0)),
                "The event is not on sale");
      else if (g_str_equal (PQgetvalue (type, 0, 1), "t"))
        refuse (p, 409, "sales_closed", details_str ("event", "ended"), "The event is over");
      else if (!g_str_equal (PQgetvalue (type, 0, 2), "t"))
        refuse (p, 404, "not_found", details_str (type_id, "no such ticket type in this event"),
                "No such ticket type");
      else if (g_str_equal (PQgetvalue (type, 0, 3), "t"))
        refuse (p, 422, "hidden_type", details_str (type_id, "needs a coupon"),
                "This ticket type needs a coupon code");
      else if (!PQgetisnull (type, 0, 4))
        refuse (p, 409, "sales_closed", details_str (type_id, PQgetvalue (type, 0, 4)),
                "This ticket type is not on sale now");
    }
  if (PQntuples (type) == 0 || !g_str_equal (PQgetvalue (type, 0, 2), "t"))
    {
      eva_db_rollback (conn);
      return TRUE;
    }

  max_order = g_ascii_strtoll (PQgetvalue (type, 0, 5), NULL, 10);
  max_attendee = g_ascii_strtoll (PQgetvalue (type, 0, 6), NULL, 10);
  price = g_ascii_strtoll (PQgetvalue (type, 0, 7), NULL, 10);

  g_snprintf (window, sizeof window, "%d", EVA_BOOKING_HOLD_WINDOW);
  counts = eva_db_query (conn, sql_counts, error, attendees, event_id, type_id, window);
  if (counts == NULL)
    return FALSE;
  for (guint i = 0; i < batch->len; i++)
    {
      Pending *p = g_ptr_array_index (batch, i);
      gint64 q = quantity_of (p);
      int row = -1;
      gint64 already, open, made, retry_after;

      if (p->decided)
        continue;
      if (q > max_order)
        {
          refuse (p, 422, "max_per_order", details_int (type_id, max_order),
                  "Too many tickets of one type in one order");
          continue;
        }
      for (int r = 0; r < PQntuples (counts); r++)
        if (g_ascii_strcasecmp (PQgetvalue (counts, r, 0), p->basket->attendee_id) == 0)
          row = r;
      if (row < 0)
        return FALSE;   /* cannot be: every attendee has a row */
      already = g_ascii_strtoll (PQgetvalue (counts, row, 1), NULL, 10);
      open = g_ascii_strtoll (PQgetvalue (counts, row, 2), NULL, 10);
      made = g_ascii_strtoll (PQgetvalue (counts, row, 3), NULL, 10);
      retry_after = g_ascii_strtoll (PQgetvalue (counts, row, 4), NULL, 10);
      if (max_attendee > 0 && already + q > max_attendee)
        {
          refuse (p, 422, "max_per_attendee",
                  details_int (type_id, MAX (max_attendee - already, 0)),
                  "That would be more tickets of this type than one person may book");
          continue;
        }
      if (open >= EVA_BOOKING_OPEN_HOLDS_MAX)
        {
          refuse (p, 409, "too_many_holds", details_int ("max_open_holds",
                                                         EVA_BOOKING_OPEN_HOLDS_MAX),
                  "You already hold tickets of this event; pay for or cancel a hold first");
          continue;
        }
      if (made >= EVA_BOOKING_HOLDS_PER_WINDOW)
        {
          refuse (p, 429, "too_many_attempts", details_int ("retry_after", retry_after),
                  "Too many holds from this account");
          p->out.retry_after = retry_after;
          continue;
        }
      if (!eva_money_mul (price, q, &p->total))
        return FALSE;
      g_ptr_array_add (granted, p);
      wanted += q;
    }

  /* 4. inventory */
  if (granted->len > 0)
    {
      g_snprintf (n_text, sizeof n_text, "%" G_GINT64_FORMAT, wanted);
      taken = eva_db_query (conn, sql_take_all, error, type_id, n_text);
      if (taken == NULL)
        return FALSE;
      if (PQntuples (taken) == 0)
        {
          g_autoptr(PGresult) left = eva_db_query (conn, sql_left, error, type_id);
          g_autoptr(PGresult) take = NULL;
          gint64 avail;

          if (left == NULL)
            return FALSE;
          if (eva_db_value (left) == NULL)
            {
              /* Deleted since it was read above (so nothing was held of
               * it): as if these requests came a moment later. */
              for (guint i = 0; i < granted->len; i++)
                refuse (g_ptr_array_index (granted, i), 404, "not_found",
                        details_str (type_id, "no such ticket type in this event"),
                        "No such ticket type");
              eva_db_rollback (conn);
              return TRUE;
            }
          avail = g_ascii_strtoll (eva_db_value (left), NULL, 10);
          wanted = 0;
          for (guint i = 0; i < granted->len; )
            {
              Pending *p = g_ptr_array_index (granted, i);

              if (quantity_of (p) <= avail)
                {
                  avail -= quantity_of (p);
                  wanted += quantity_of (p);
                  i++;
                  continue;
                }
              refuse (p, 409, "sold_out", details_int (type_id, MAX (avail, 0)),
                      "Not enough tickets left");
              g_ptr_array_remove_index (granted, i);
            }
          if (wanted > 0)
            {
              g_snprintf (n_text, sizeof n_text, "%" G_GINT64_FORMAT, wanted);
              take = eva_db_query (conn, sql_take, error, type_id, n_text);
              if (take == NULL)
                return FALSE;
            }
        }
    }

  if (granted->len == 0)
    {
      eva_db_rollback (conn);
      return TRUE;
    }

  /* 5. bookings */
  {
    g_autofree char *a = array_literal (granted, get_attendee);
    g_autofree char *q = array_literal (granted, get_quantity);
    g_autofree char *t = array_literal (granted, get_total);
    g_autofree char *k = array_literal (granted, get_key);
    g_autofree char *h = array_literal (granted, get_hash);
    g_autofree char *rid = array_literal (granted, get_rid);
    g_autofree char *ip = array_literal (granted, get_ip);
    g_autofree char *price_text = g_strdup_printf ("%" G_GINT64_FORMAT, price);
    const char *params[] = {
      event_id, type_id, price_text, a, q, t, k, h, rid, ip, PQgetvalue (type, 0, 8), window,
    };

    inserted = eva_db_exec (conn, sql_insert, G_N_ELEMENTS (params), params, error);
    if (inserted == NULL)
      return FALSE;
    if ((guint) PQntuples (inserted) != granted->len)
      {
        g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "batch insert lost rows");
        return FALSE;
      }
  }
  if (!eva_db_commit (conn, error))
    return FALSE;

  for (int r = 0; r < PQntuples (inserted); r++)
    {
      Pending *p = find (granted, PQgetvalue (inserted, r, 0));

      g_assert (p != NULL);
      eva_outcome_clear (&p->out);
      p->out.status = 201;
      p->out.booking_id = g_strdup (PQgetvalue (inserted, r, 1));
      p->out.json = g_strdup (PQgetvalue (inserted, r, 2));
      p->decided = TRUE;
    }
  return TRUE;
}

static void
batch_job (EvaDbConn *conn,
           gpointer   data)
{
  TypeQueue *tq = data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  g_autoptr(GPtrArray) single = g_ptr_array_new ();
  GQueue later = G_QUEUE_INIT;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  /* Take what is queued, one request per attendee. */
  g_mutex_lock (&queues_lock);
  while (batch->len < BATCH_MAX && !g_queue_is_empty (&tq->queue))
    {
      Pending *p = g_queue_pop_head (&tq->queue);

      if (find (batch, p->basket->attendee_id) != NULL)
        g_queue_push_tail (&later, p);
      else
        g_ptr_array_add (batch, p);
    }
  while (!g_queue_is_empty (&later))
    g_queue_push_head (&tq->queue, g_queue_pop_tail (&later));
  g_mutex_unlock (&queues_lock);

  /* Requests naming another event than the first (whatever they hope
   * for) go the single way, after the batch. */
  for (guint i = 1; i < batch->len; )
    {
      Pending *p = g_ptr_array_index (batch, i);

      if (g_str_equal (p->basket->event_id,
                       ((Pending *) g_ptr_array_index (batch, 0))->basket->event_id))
        {
          i++;
          continue;
        }
      g_ptr_array_add (single, p);
      g_ptr_array_remove_index (batch, i);
    }

  if (batch->len > 0)
    {
      ok = run_batch (conn, tq->ticket_type_id, batch, &error);
      if (!ok)
        {
          /* Start over, one by one, with the full single path. */
          eva_db_rollback (conn);
          if (error != NULL)
            g_debug ("batch of %u falls back: %s", batch->len, error->message);
          for (guint i = 0; i < batch->len; i++)
            {
              Pending *p = g_ptr_array_index (batch, i);

              p->decided = FALSE;
              eva_outcome_clear (&p->out);
              g_ptr_array_add (single, p);
            }
          g_ptr_array_set_size (batch, 0);
        }
    }
  for (guint i = 0; i < single->len; i++)
    {
      Pending *p = g_ptr_array_index (single, i);
      g_autoptr(GError) local = NULL;

      if (!eva_booking_hold (conn, p->basket, &p->out, &local))
        {
          eva_request_reply_gerror (p->req, local);
          p->out.status = 0;
        }
      g_ptr_array_add (batch, p);
    }
  if (batch->len > 0)
    {
      for (guint i = 0; i < batch->len; i++)
        {
          Pending *p = g_ptr_array_index (batch, i);

          if (p->out.status == 0)
            {
              /* The error reply is already set. */
              EvaRequest *req = g_steal_pointer (&p->req);

              pending_free (p);
              g_main_context_invoke (req->context, finish_cb, req);
            }
          else
            pending_done (p);
        }
    }

  /* More arrived meanwhile: another round, still one at a time. Else the
   * queue closes once no batch of it runs. */
  g_mutex_lock (&queues_lock);
  if (!g_queue_is_empty (&tq->queue))
    eva_db_push (tq->db, batch_job, tq);
  else if (--tq->running == 0)
    {
      g_hash_table_remove (queues, tq->ticket_type_id);
      g_debug ("batch queue closed: %s (%u open)", tq->ticket_type_id,
               g_hash_table_size (queues));
      type_queue_free (tq);
    }
  g_mutex_unlock (&queues_lock);
}

gboolean
eva_booking_batchable (EvaBasket *basket)
{
  return basket->items->len == 1 && basket->coupon_code == NULL;
}

gboolean
eva_booking_batch_enqueue (EvaRequest *req,
                           EvaBasket  *basket,
                           gboolean    open_queue)
{
  EvaDb *db = eva_request_get_db (req);
  const char *type_id;
  TypeQueue *tq;
  Pending *p;

  if (!eva_booking_batchable (basket))
    return FALSE;
  type_id = g_array_index (basket->items, EvaBasketItem, 0).ticket_type_id;

  g_mutex_lock (&queues_lock);
  if (queues == NULL)
    queues = g_hash_table_new (g_str_hash, g_str_equal);
  tq = g_hash_table_lookup (queues, type_id);
  if (tq == NULL && !open_queue)
    {
      g_mutex_unlock (&queues_lock);
      return FALSE;
    }
  if (tq == NULL)
    {
      tq = g_new0 (TypeQueue, 1);
      tq->ticket_type_id = g_strdup (type_id);
      g_queue_init (&tq->queue);
      g_hash_table_insert (queues, tq->ticket_type_id, tq);
      g_debug ("batch queue opened: %s (%u open)", type_id, g_hash_table_size (queues));
    }

  p = g_new0 (Pending, 1);
  p->req = eva_request_ref (req);
  p->basket = basket;

  /* Paused like eva_request_run() does; finish_cb() finishes it. */
  req->pending = TRUE;
  req->status = 0;
  soup_server_message_pause (req->msg);

  tq->db = db;
  g_queue_push_tail (&tq->queue, p);
  if (tq->running < BATCH_INFLIGHT)
    {
      tq->running++;
      eva_db_push (db, batch_job, tq);
    }
  g_mutex_unlock (&queues_lock);
  return TRUE;
}
