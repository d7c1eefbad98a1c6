/* api/bookings.c: holds and bookings, for attendees and organizers
 *
 * POST /api/v1/bookings needs an Idempotency-Key header (1–255 chars): the
 * same key with the same basket replays the booking made first (201 again,
 * in its current state); with another basket it is 409
 * idempotency_key_reused. Refusals and the life cycle are described in
 * services/booking.c. Simple holds (one ticket type, no coupon) go to the
 * per-ticket-type batcher (services/booking-batch.c), the others run on
 * their own (eva_booking_hold()). A batch queue is opened only for a
 * ticket type that exists: without one, the first hold asks the database
 * (one indexed look-up) before it queues.
 *
 * An attendee has at most 2 open holds per event (409 too_many_holds) and
 * makes at most 20 holds in 10 minutes (429 too_many_attempts with
 * Retry-After); unknown coupon codes count against the address's budget
 * for guessing, shared with the public quote (api/coupons.c).
 *
 * Reads run the expiry for what they show first, so a hold past its
 * expires_at is never shown (or counted) as live even if the sweeper has
 * not reached it yet.
 *
 * The admin list answers CSV with "Accept: text/csv": RFC 4180 quoting, and
 * cells beginning with = + - @ (or a tab / carriage return) are prefixed
 * with ' so that spreadsheets do not run them as formulas.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-bookings"

#include "config.h"

#include "api/eva-api.h"
#include "services/attendees.h"
#include "services/booking.h"
#include "services/notify.h"
#include "services/coupons.h"
#include "services/events.h"

#define IDEMPOTENCY_KEY_MAX 255
#define CSV_MAX_ROWS        100000

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

#define EFFECTIVE_STATUS \
  "(CASE WHEN b.status IN ('held', 'pending_payment') AND b.expires_at <= now()" \
  " THEN 'expired' ELSE b.status END)"

static const char sql_my_list[] =
  "WITH f AS ("
  "  SELECT b.id, row_number() OVER (ORDER BY b.created_at DESC, b.id) AS rn"
  "    FROM bookings b"
  "   WHERE b.attendee_id = $1::uuid AND ($2::text IS NULL OR " EFFECTIVE_STATUS " = $2))"
  " SELECT json_build_object("
  "   'items', coalesce((SELECT json_agg(eva_booking_json(b) ORDER BY f.rn)"
  "                        FROM f JOIN bookings b ON b.id = f.id"
  "                       WHERE f.rn > $4::bigint AND f.rn <= $4::bigint + $3::bigint),"
  "                     '[]'::json),"
  "   'total', (SELECT count(*) FROM f),"
  "   'next_cursor', CASE WHEN (SELECT count(*) FROM f) > $4::bigint + $3::bigint"
  "                       THEN $5::text END)::text";

static const char sql_my_get[] =
  "SELECT eva_booking_json(b)::text FROM bookings b"
  " WHERE b.id = $1::uuid AND b.attendee_id = $2::uuid";

#define ADMIN_JSON \
  "(eva_booking_json(b) || jsonb_build_object('attendee', jsonb_build_object(" \
  "   'id', b.attendee_id, 'email', coalesce(a.email, b.buyer_email)," \
  "   'name', coalesce(a.name, b.buyer_name))))"

static const char sql_admin_get[] =
  "SELECT " ADMIN_JSON "::text FROM bookings b LEFT JOIN attendees a ON a.id = b.attendee_id"
  " WHERE b.id = $1::uuid";

#define ADMIN_FILTER \
  "  FROM bookings b LEFT JOIN attendees a ON a.id = b.attendee_id" \
  " WHERE b.event_id = $1::uuid AND ($2::text IS NULL OR " EFFECTIVE_STATUS " = $2" \
  "        OR ($2 = 'awaiting_payment' AND ((b.status = 'pending_payment' AND b.expires_at > now())" \
  "                                         OR (b.status = 'confirmed' AND b.paid_at IS NULL" \
  "                                             AND b.payment_method = 'at_door'))))" \
  "   AND ($3::text IS NULL OR a.email ILIKE $3 OR a.name ILIKE $3" \
  "        OR b.buyer_email ILIKE $3 OR b.buyer_name ILIKE $3)"

static const char sql_admin_list[] =
  "WITH f AS ("
  "  SELECT b.id, row_number() OVER (ORDER BY b.created_at DESC, b.id) AS rn"
  ADMIN_FILTER ")"
  " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM events WHERE id = $1::uuid) THEN NULL"
  " ELSE json_build_object("
  "   'items', coalesce((SELECT json_agg(" ADMIN_JSON " ORDER BY f.rn)"
  "                        FROM f JOIN bookings b ON b.id = f.id"
  "                        LEFT JOIN attendees a ON a.id = b.attendee_id"
  "                       WHERE f.rn > $5::bigint AND f.rn <= $5::bigint + $4::bigint),"
  "                     '[]'::json),"
  "   'total', (SELECT count(*) FROM f),"
  "   'next_cursor', CASE WHEN (SELECT count(*) FROM f) > $5::bigint + $4::bigint"
  "                       THEN $6::text END)::text END";

static const char sql_admin_csv[] =
  "SELECT b.id, " EFFECTIVE_STATUS ", coalesce(a.email, b.buyer_email, ''),"
  "       coalesce(a.name, b.buyer_name, ''),"
  "       to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
  "       coalesce((SELECT string_agg(t.name || ' x' || i.quantity, '; '"
  "                                   ORDER BY t.sort_order, t.name)"
  "                   FROM booking_items i JOIN ticket_types t ON t.id = i.ticket_type_id"
  "                  WHERE i.booking_id = b.id), ''),"
  "       b.subtotal, b.discount, b.total, coalesce(b.currency::text, ''),"
  "       coalesce(b.coupon_code, '')"
  ADMIN_FILTER
  " ORDER BY b.created_at DESC, b.id LIMIT $4::int";

static const char sql_event_exists[] =
  "SELECT 1 FROM events WHERE id = $1::uuid";

static const char sql_type_exists[] =
  "SELECT 1 FROM ticket_types WHERE id = $1::uuid";

static const char sql_attendee_audit[] =
  "INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id,"
  "                       details, request_id, ip)"
  " VALUES ('attendee', $1::uuid, $2, 'booking', $3, coalesce($4::jsonb, '{}'), $5, $6)";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char * const statuses[] = {
  "held", "pending_payment", "confirmed", "expired", "cancelled", "refunded",
  "awaiting_payment",   /* admin lists: pending_payment, or confirmed and not paid */
};

static void
reply_not_found (EvaRequest *req)
{
  eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
}

static void
reply_invalid_transition (EvaRequest *req,
                          const char *status)
{
  eva_events_reply_status (req, 409, "invalid_transition", status,
                           "The booking cannot be cancelled in its current state");
}

EvaBasket *
eva_bookings_parse_basket (EvaRequest          *req,
                           EvaBasketParseFlags  flags)
{
  g_auto(EvaInput) in = { 0 };
  g_autoptr(EvaBasket) basket = eva_basket_new ();
  gboolean with_event = (flags & EVA_BASKET_PARSE_WITH_EVENT) != 0;
  guint min_items = (flags & EVA_BASKET_PARSE_MAY_BE_EMPTY) != 0 ? 0 : 1;
  const char *s;
  JsonNode *items;
  guint8 uuid[16];

  basket->config = eva_request_get_config (req);
  if (!eva_input_begin (&in, req))
    return NULL;

  if (with_event &&
      eva_input_string (&in, "event_id", EVA_FIELD_REQUIRED, 64, &s) == EVA_FIELD_SET)
    {
      if (!eva_uuid_parse (s, uuid))
        eva_input_error (&in, "event_id", "must be an id");
      else
        basket->event_id = eva_uuid_format (uuid);
    }
  if (!with_event)
    basket->event_id = g_ascii_strdown (eva_request_param (req, "id"), -1);

  if (eva_input_string (&in, "coupon_code", EVA_FIELD_NULLABLE, EVA_COUPON_CODE_MAX,
                        &s) == EVA_FIELD_SET)
    basket->coupon_code = g_strdup (s);

  g_hash_table_add (in.seen, (gpointer) "items");
  items = json_object_get_member (in.object, "items");
  if (items == NULL || JSON_NODE_HOLDS_NULL (items))
    eva_input_error (&in, "items", "is required");
  else if (!JSON_NODE_HOLDS_ARRAY (items))
    eva_input_error (&in, "items", "must be a list");
  else
    {
      JsonArray *array = json_node_get_array (items);
      guint n = json_array_get_length (array);

      if (n < min_items || n > EVA_BOOKING_MAX_ITEMS)
        eva_input_error (&in, "items", min_items == 0 ? "must hold at most 20 items"
                                                      : "must hold 1 to 20 items");
      for (guint i = 0; i < n && i < EVA_BOOKING_MAX_ITEMS; i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          g_autofree char *field = g_strdup_printf ("items.%u", i);
          JsonObject *object;
          JsonNode *id;
          JsonNode *qty;
          EvaBasketItem item = { 0 };

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              eva_input_error (&in, field, "must be an object");
              continue;
            }
          object = json_node_get_object (node);
          id = json_object_get_member (object, "ticket_type_id");
          qty = json_object_get_member (object, "quantity");
          if (json_object_get_size (object) !=
              (guint) ((id != NULL) + (qty != NULL)))
            eva_input_error (&in, field, "may only have ticket_type_id and quantity");
          else if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) ||
                   json_node_get_value_type (id) != G_TYPE_STRING ||
                   !eva_uuid_parse (json_node_get_string (id), uuid))
            eva_input_error (&in, field, "ticket_type_id must be an id");
          else if (qty == NULL || !JSON_NODE_HOLDS_VALUE (qty) ||
                   json_node_get_value_type (qty) != G_TYPE_INT64 ||
                   json_node_get_int (qty) < 1 ||
                   json_node_get_int (qty) > EVA_BOOKING_MAX_QUANTITY)
            eva_input_error (&in, field, "quantity must be a whole number from 1 to 1000");
          else
            {
              g_autofree char *canon = eva_uuid_format (uuid);

              for (guint j = 0; j < basket->items->len; j++)
                if (g_str_equal (g_array_index (basket->items, EvaBasketItem, j).ticket_type_id,
                                 canon))
                  {
                    eva_input_error (&in, field, "names a ticket type twice");
                    break;
                  }
              if (eva_input_ok (&in, field))
                {
                  item.ticket_type_id = g_steal_pointer (&canon);
                  item.quantity = json_node_get_int (qty);
                  g_array_append_val (basket->items, item);
                }
            }
        }
    }

  if (!eva_input_end (&in))
    return NULL;

  basket->attendee_id = g_strdup (req->principal_id);
  basket->request_id = g_strdup (req->request_id);
  basket->ip = g_strdup (req->client_ip);
  eva_basket_finish (basket);
  return g_steal_pointer (&basket);
}

/* ------------------------------------------------------------------ */
/* Hold                                                               */
/* ------------------------------------------------------------------ */

static void
hold_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  EvaBasket *basket = data;
  g_autoptr(GError) error = NULL;
  g_auto(EvaOutcome) out = { 0 };

  /* Guessing coupon codes costs the same budget here as in quotes. */
  if (basket->coupon_code != NULL)
    {
      gint64 retry_after = 0;

      if (!eva_coupon_guesses_check (conn, req->client_ip, &retry_after, &error))
        {
          eva_request_reply_gerror (req, error);
          return;
        }
      if (retry_after > 0)
        {
          eva_attendee_reply_retry (req, "too_many_attempts", retry_after,
                                    "Too many unknown coupon codes from this address");
          return;
        }
    }

  if (!eva_booking_hold (conn, basket, &out, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  /* The hold's transaction is over: the count stands on its own. Best
   * effort, a failed count must not hide the answer. */
  if (eva_outcome_is_unknown_coupon (&out) &&
      !eva_coupon_guess_count (conn, req->client_ip, &error))
    g_message ("[%s] coupon guess not counted: %s", req->request_id, error->message);
  eva_booking_reply (req, &out);
}

/* The basket of a hold request, with its Idempotency-Key, or NULL after
 * replying 400. */
static EvaBasket *
parse_hold (EvaRequest *req)
{
  const char *key = eva_request_header (req, "Idempotency-Key");
  EvaBasket *basket;

  if (key == NULL || *key == '\0' || strlen (key) > IDEMPOTENCY_KEY_MAX ||
      !g_utf8_validate (key, -1, NULL))
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "Idempotency-Key",
                                     "header is required, 1 to 255 characters");
      eva_request_reply_error (req, 400, "validation_failed", details,
                               "An Idempotency-Key header is required");
      return NULL;
    }

  basket = eva_bookings_parse_basket (req, EVA_BASKET_PARSE_WITH_EVENT);
  if (basket != NULL)
    basket->idempotency_key = g_strdup (key);
  return basket;
}

/* A simple hold whose ticket type has no batch queue: open one only for a
 * ticket type that exists (leaving the reply unset for enqueue_then()),
 * else decide the hold on its own, which gives the precise refusal. */
static void
check_type_work (EvaRequest *req,
                 EvaDbConn  *conn,
                 gpointer    data)
{
  EvaBasket *basket = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;

  r = eva_db_query (conn, sql_type_exists, &error,
                    g_array_index (basket->items, EvaBasketItem, 0).ticket_type_id);
  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0)
    hold_work (req, conn, basket);
}

static void
enqueue_then (EvaRequest *req)
{
  EvaBasket *basket = parse_hold (req);

  if (basket != NULL && !eva_booking_batch_enqueue (req, basket, TRUE))
    eva_request_run (req, hold_work, basket, (GDestroyNotify) eva_basket_free);
}

void
eva_api_bookings_create (EvaRequest *req)
{
  EvaBasket *basket = parse_hold (req);

  if (basket == NULL)
    return;
  if (eva_booking_batch_enqueue (req, basket, FALSE))
    return;
  if (eva_booking_batchable (basket))
    eva_request_run_then (req, check_type_work, basket, (GDestroyNotify) eva_basket_free,
                          enqueue_then);
  else
    eva_request_run (req, hold_work, basket, (GDestroyNotify) eva_basket_free);
}

/* ------------------------------------------------------------------ */
/* Lists                                                              */
/* ------------------------------------------------------------------ */

typedef struct
{
  char   *status;
  char   *pattern;
  gint64  limit;
  gint64  offset;
  char   *next_cursor;
  gboolean csv;
} ListQuery;

static void
list_query_free (ListQuery *q)
{
  g_free (q->status);
  g_free (q->pattern);
  g_free (q->next_cursor);
  g_free (q);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ListQuery, list_query_free)

static ListQuery *
parse_list (EvaRequest *req,
            gboolean    admin)
{
  g_autoptr(ListQuery) q = g_new0 (ListQuery, 1);
  g_autoptr(JsonObject) errors = json_object_new ();
  const char *status = eva_request_query (req, "status");
  const char *search = eva_request_query (req, "q");
  const char *cursor = eva_request_query (req, "cursor");
  const char *accept = eva_request_header (req, "Accept");

  if (!eva_query_int (req, "limit", 1, 100, 20, &q->limit))
    return NULL;

  if (status != NULL && *status != '\0')
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
        known |= g_str_equal (status, statuses[i]);
      if (!known)
        json_object_set_string_member (errors, "status", "is not a booking status");
      else
        q->status = g_strdup (status);
    }
  if (admin && search != NULL && *search != '\0')
    {
      if (!g_utf8_validate (search, -1, NULL) || g_utf8_strlen (search, -1) > 200)
        json_object_set_string_member (errors, "q", "must be text of at most 200 characters");
      else
        q->pattern = eva_event_search_pattern (search);
    }
  if (cursor != NULL && *cursor != '\0' && !eva_event_cursor_decode (cursor, &q->offset))
    json_object_set_string_member (errors, "cursor", "is not a cursor from this list");

  if (json_object_get_size (errors) > 0)
    {
      eva_request_reply_error (req, 400, "validation_failed", errors, "Invalid query");
      return NULL;
    }
  q->next_cursor = eva_event_cursor_encode (q->offset + q->limit);
  q->csv = admin && accept != NULL && strstr (accept, "text/csv") != NULL;
  return g_steal_pointer (&q);
}

static void
my_list_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  ListQuery *q = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  char limit[24], offset[24];

  g_snprintf (limit, sizeof limit, "%" G_GINT64_FORMAT, q->limit);
  g_snprintf (offset, sizeof offset, "%" G_GINT64_FORMAT, q->offset);
  if (eva_bookings_expire (conn, NULL, req->principal_id, EVA_BOOKING_SWEEP_BATCH, &error) >= 0)
    {
      const char *params[] = { req->principal_id, q->status, limit, offset, q->next_cursor };

      r = eva_db_exec (conn, sql_my_list, G_N_ELEMENTS (params), params, &error);
    }
  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_my_bookings_list (EvaRequest *req)
{
  ListQuery *q = parse_list (req, FALSE);

  if (q != NULL)
    eva_request_run (req, my_list_work, q, (GDestroyNotify) list_query_free);
}

static void
admin_csv (EvaRequest *req,
           EvaDbConn  *conn,
           ListQuery  *q)
{
  static const char * const header[] = {
    "id", "status", "attendee_email", "attendee_name", "created_at", "items",
    "subtotal", "discount", "total", "currency", "coupon_code",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) exists = NULL;
  g_autoptr(PGresult) r = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *max = g_strdup_printf ("%d", CSV_MAX_ROWS);
  const char *id = eva_request_param (req, "id");
  const char *params[] = { id, q->status, q->pattern, max };
  g_autofree char *disposition = NULL;
  g_autoptr(GBytes) body = NULL;
  gsize len;

  exists = eva_db_query (conn, sql_event_exists, &error, id);
  if (exists == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (exists) == 0)
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
      return;
    }
  r = eva_db_exec (conn, sql_admin_csv, G_N_ELEMENTS (params), params, &error);
  if (r == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (header); i++)
    eva_csv_append_cell (out, header[i], i + 1 == G_N_ELEMENTS (header));
  for (int row = 0; row < PQntuples (r); row++)
    for (int col = 0; col < PQnfields (r); col++)
      eva_csv_append_cell (out, PQgetvalue (r, row, col), col + 1 == PQnfields (r));

  disposition = g_strdup_printf ("attachment; filename=\"bookings-%s.csv\"", id);
  eva_request_add_header (req, "Content-Disposition", disposition);
  eva_request_add_header (req, "Cache-Control", "private, no-store");
  len = out->len;
  body = g_bytes_new_take (g_string_free (g_steal_pointer (&out), FALSE), len);
  eva_request_reply_raw (req, 200, "text/csv; charset=utf-8", body);
}

static void
admin_list_work (EvaRequest *req,
                 EvaDbConn  *conn,
                 gpointer    data)
{
  ListQuery *q = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  char limit[24], offset[24];

  if (q->csv)
    {
      admin_csv (req, conn, q);
      return;
    }

  g_snprintf (limit, sizeof limit, "%" G_GINT64_FORMAT, q->limit);
  g_snprintf (offset, sizeof offset, "%" G_GINT64_FORMAT, q->offset);
  {
    const char *params[] = {
      eva_request_param (req, "id"), q->status, q->pattern, limit, offset, q->next_cursor,
    };

    r = eva_db_exec (conn, sql_admin_list, G_N_ELEMENTS (params), params, &error);
  }
  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (eva_db_value (r) == NULL)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_admin_bookings_list (EvaRequest *req)
{
  ListQuery *q = parse_list (req, TRUE);

  if (q != NULL)
    eva_request_run (req, admin_list_work, q, (GDestroyNotify) list_query_free);
}

/* ------------------------------------------------------------------ */
/* Read and cancel                                                    */
/* ------------------------------------------------------------------ */

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  gboolean admin = data != NULL;
  const char *id = eva_request_param (req, "id");
  const char *attendee = admin ? NULL : req->principal_id;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;

  if (eva_bookings_expire (conn, id, attendee, 1, &error) >= 0)
    r = admin ? eva_db_query (conn, sql_admin_get, &error, id)
              : eva_db_query (conn, sql_my_get, &error, id, attendee);
  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0)
    reply_not_found (req);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_my_bookings_get (EvaRequest *req)
{
  eva_request_run (req, get_work, NULL, NULL);
}

void
eva_api_admin_bookings_get (EvaRequest *req)
{
  eva_request_run (req, get_work, GINT_TO_POINTER (1), NULL);
}

/* Locks the booking for the cancellation that follows. */
static const char sql_status_before[] =
  "SELECT status FROM bookings WHERE id = $1::uuid FOR UPDATE";

static void
cancel_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  gboolean admin = data != NULL;
  const char *id = eva_request_param (req, "id");
  const char *attendee = admin ? NULL : req->principal_id;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  g_autoptr(PGresult) audit = NULL;
  g_autoptr(PGresult) before = NULL;
  g_autofree char *status = NULL;
  gboolean found = FALSE;
  gboolean ok;

  if (!eva_db_begin (conn, &error) ||
      (before = eva_db_query (conn, sql_status_before, &error, id)) == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  if (!eva_booking_cancel (conn, id, attendee, &found, &status, &error))
    {
      eva_db_rollback (conn);
      if (error != NULL)
        eva_request_reply_gerror (req, error);
      else if (!found)
        reply_not_found (req);
      else
        reply_invalid_transition (req, status);
      return;
    }

  if (admin)
    ok = eva_events_audit (conn, req, "booking.cancel", "booking", id, NULL, &error);
  else
    {
      const char *params[] = {
        attendee, "booking.cancel", id, NULL, req->request_id, req->client_ip,
      };

      audit = eva_db_exec (conn, sql_attendee_audit, G_N_ELEMENTS (params), params, &error);
      ok = audit != NULL;
    }
  /* A booking the buyer counted on (not a hold they let go of) gets a
   * mail saying so, and what happens to the money. */
  if (ok && PQntuples (before) == 1
      && (g_str_equal (PQgetvalue (before, 0, 0), "confirmed")
          || g_str_equal (PQgetvalue (before, 0, 0), "pending_payment")))
    ok = eva_notify_cancelled (conn, eva_request_get_config (req), id, admin, &error);
  if (ok)
    r = admin ? eva_db_query (conn, sql_admin_get, &error, id)
              : eva_db_query (conn, sql_my_get, &error, id, attendee);
  if (r == NULL || !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_my_bookings_cancel (EvaRequest *req)
{
  eva_request_run (req, cancel_work, NULL, NULL);
}

void
eva_api_admin_bookings_cancel (EvaRequest *req)
{
  eva_request_run (req, cancel_work, GINT_TO_POINTER (1), NULL);
}
