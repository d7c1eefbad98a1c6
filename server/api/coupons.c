/* api/coupons.c: coupons, for organizers, and the public quote
 *
 * A coupon belongs to one event. Its code is unique per event regardless
 * of case (409 code_taken); kind "percent" takes percent (1–100), kind
 * "fixed" takes amount (minor units of the event currency, which the
 * event must then have). ticket_type_ids restricts it to some of the
 * event's ticket types (empty: all); unlocks_hidden lets it open hidden
 * ticket types it applies to. How discounts are computed and rounded:
 * services/pricing.c. Uses are counted at hold time: services/booking.c.
 *
 * POST /api/v1/public/events/{id}/quote prices a basket (the body of
 * POST /api/v1/bookings without event_id) and refuses with the same codes
 * a hold would, without reserving anything. Its items may be empty: then
 * it only checks the event and the coupon. Either way it lists the hidden
 * ticket types the coupon unlocks, so a buyer with the code can pick them.
 * Anyone may ask, so guessing codes is throttled: an address that named
 * EVA_COUPON_GUESSES unknown codes within an hour gets 429
 * too_many_attempts (with Retry-After) for any code until that hour is
 * over. Holds with a coupon (api/bookings.c) count against the same budget.
 * Known codes, however often re-priced, cost nothing.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-coupons"

#include "config.h"

#include "api/eva-api.h"
#include "services/attendees.h"
#include "services/booking.h"
#include "services/coupons.h"
#include "services/events.h"

#define AMOUNT_MAX   G_GINT64_CONSTANT (1000000000000)
#define USES_MAX     1000000000

typedef struct
{
  char     *code;
  char     *kind;
  char     *percent;
  char     *amount;
  gboolean  valid_from_set;
  char     *valid_from;
  gboolean  valid_until_set;
  char     *valid_until;
  gboolean  max_uses_set;
  char     *max_uses;
  gboolean  max_per_attendee_set;
  char     *max_per_attendee;
  char     *min_order;
  char     *unlocks_hidden;
  gboolean  types_set;
  char     *types;           /* uuid[] literal */
  guint     n_types;
} CouponFields;

static void
coupon_fields_free (CouponFields *f)
{
  g_free (f->code);
  g_free (f->kind);
  g_free (f->percent);
  g_free (f->amount);
  g_free (f->valid_from);
  g_free (f->valid_until);
  g_free (f->max_uses);
  g_free (f->max_per_attendee);
  g_free (f->min_order);
  g_free (f->unlocks_hidden);
  g_free (f->types);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CouponFields, coupon_fields_free)

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_list[] =
  "SELECT CASE WHEN EXISTS (SELECT 1 FROM events WHERE id = $1::uuid) THEN"
  "  json_build_object('items', coalesce((SELECT json_agg(eva_coupon_json(c)"
  "                                        ORDER BY lower(c.code), c.id)"
  "                                        FROM coupons c WHERE c.event_id = $1::uuid),"
  "                                      '[]'::json))::text END";

static const char sql_get[] =
  "SELECT eva_coupon_json(c)::text FROM coupons c WHERE c.id = $1::uuid";

static const char sql_event[] =
  "SELECT e.currency::text, e.status FROM events e WHERE e.id = $1::uuid FOR SHARE";

static const char sql_create[] =
  "INSERT INTO coupons (event_id, code, kind, percent, amount, valid_from, valid_until,"
  "                     max_uses, max_uses_per_attendee, min_order, unlocks_hidden)"
  " VALUES ($1::uuid, $2, $3, $4::int, $5::bigint, $6::timestamptz, $7::timestamptz,"
  "         $8::int, $9::int, coalesce($10::bigint, 0), coalesce($11::boolean, false))"
  " RETURNING id";

static const char sql_lock[] =
  "SELECT c.event_id, c.kind, (SELECT e.currency::text FROM events e WHERE e.id = c.event_id),"
  "       eva_coupon_json(c)::text"
  "  FROM coupons c WHERE c.id = $1::uuid FOR UPDATE";

static const char sql_update[] =
  "UPDATE coupons c SET"
  "  code = coalesce($2, c.code),"
  "  kind = coalesce($3, c.kind),"
  "  percent = CASE WHEN coalesce($3, c.kind) = 'fixed' THEN NULL"
  "                 ELSE coalesce($4::int, c.percent) END,"
  "  amount = CASE WHEN coalesce($3, c.kind) = 'percent' THEN NULL"
  "                ELSE coalesce($5::bigint, c.amount) END,"
  "  valid_from = CASE WHEN $6::boolean THEN $7::timestamptz ELSE c.valid_from END,"
  "  valid_until = CASE WHEN $8::boolean THEN $9::timestamptz ELSE c.valid_until END,"
  "  max_uses = CASE WHEN $10::boolean THEN $11::int ELSE c.max_uses END,"
  "  max_uses_per_attendee = CASE WHEN $12::boolean THEN $13::int"
  "                               ELSE c.max_uses_per_attendee END,"
  "  min_order = coalesce($14::bigint, c.min_order),"
  "  unlocks_hidden = coalesce($15::boolean, c.unlocks_hidden)"
  " WHERE c.id = $1::uuid RETURNING c.id";

static const char sql_types_clear[] =
  "DELETE FROM coupon_ticket_types WHERE coupon_id = $1::uuid";

static const char sql_types_set[] =
  "INSERT INTO coupon_ticket_types (coupon_id, ticket_type_id)"
  " SELECT $1::uuid, t.id FROM ticket_types t"
  "  WHERE t.event_id = $2::uuid AND t.id = ANY ($3::uuid[]) RETURNING 1";

static const char sql_delete[] =
  "DELETE FROM coupons c WHERE c.id = $1::uuid RETURNING eva_coupon_json(c)::text";

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

static char *
int_text (gint64 value)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

static gboolean
code_ok (const char *code)
{
  for (const char *p = code; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* A nullable time: sets *set and *out. */
static void
nullable_time (EvaInput    *in,
               const char  *field,
               gboolean    *set,
               char       **out)
{
  g_autoptr(GDateTime) dt = NULL;
  EvaFieldState state = eva_input_time (in, field, EVA_FIELD_NULLABLE, &dt);

  *set = state != EVA_FIELD_ABSENT;
  *out = state == EVA_FIELD_SET ? eva_events_time_param (dt) : NULL;
}

static void
nullable_int (EvaInput    *in,
              const char  *field,
              gint64       min,
              gint64       max,
              gboolean    *set,
              char       **out)
{
  gint64 n = 0;
  EvaFieldState state = eva_input_int (in, field, EVA_FIELD_NULLABLE, min, max, &n);

  *set = state != EVA_FIELD_ABSENT;
  *out = state == EVA_FIELD_SET ? int_text (n) : NULL;
}

static CouponFields *
parse_coupon (EvaRequest *req,
              gboolean    create)
{
  static const char * const read_only[] = {
    "id", "event_id", "uses", "currency", "created_at", "updated_at",
  };
  g_auto(EvaInput) in = { 0 };
  g_autoptr(CouponFields) f = g_new0 (CouponFields, 1);
  EvaFieldFlags required = create ? EVA_FIELD_REQUIRED : 0;
  const char *s;
  gint64 n;
  gboolean b;

  if (!eva_input_begin (&in, req))
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (read_only); i++)
    if (json_object_has_member (in.object, read_only[i]))
      {
        g_hash_table_add (in.seen, (gpointer) read_only[i]);
        eva_input_error (&in, read_only[i], "is read-only");
      }

  if (eva_input_string (&in, "code", required, EVA_COUPON_CODE_MAX, &s) == EVA_FIELD_SET)
    {
      if (!code_ok (s))
        eva_input_error (&in, "code", "may only have letters, digits, - and _");
      else
        f->code = g_strdup (s);
    }
  if (eva_input_string (&in, "kind", required, 16, &s) == EVA_FIELD_SET)
    {
      if (!g_str_equal (s, "percent") && !g_str_equal (s, "fixed"))
        eva_input_error (&in, "kind", "must be percent or fixed");
      else
        f->kind = g_strdup (s);
    }
  if (eva_input_int (&in, "percent", 0, 1, 100, &n) == EVA_FIELD_SET)
    f->percent = int_text (n);
  if (eva_input_int (&in, "amount", 0, 1, AMOUNT_MAX, &n) == EVA_FIELD_SET)
    f->amount = int_text (n);
  nullable_time (&in, "valid_from", &f->valid_from_set, &f->valid_from);
  nullable_time (&in, "valid_until", &f->valid_until_set, &f->valid_until);
  nullable_int (&in, "max_uses", 0, USES_MAX, &f->max_uses_set, &f->max_uses);
  nullable_int (&in, "max_uses_per_attendee", 1, USES_MAX, &f->max_per_attendee_set,
                &f->max_per_attendee);
  if (eva_input_int (&in, "min_order", 0, 0, AMOUNT_MAX, &n) == EVA_FIELD_SET)
    f->min_order = int_text (n);
  if (eva_input_bool (&in, "unlocks_hidden", 0, &b) == EVA_FIELD_SET)
    f->unlocks_hidden = g_strdup (b ? "true" : "false");

  f->types_set = eva_input_uuid_list (&in, "ticket_type_ids", 100, &f->types, &f->n_types)
                 == EVA_FIELD_SET;

  /* The value must match the kind. */
  if (f->kind != NULL && g_str_equal (f->kind, "percent"))
    {
      if (f->amount != NULL)
        eva_input_error (&in, "amount", "only goes with kind fixed");
      else if (create && f->percent == NULL && eva_input_ok (&in, "percent"))
        eva_input_error (&in, "percent", "is required for kind percent");
    }
  if (f->kind != NULL && g_str_equal (f->kind, "fixed"))
    {
      if (f->percent != NULL)
        eva_input_error (&in, "percent", "only goes with kind percent");
      else if (create && f->amount == NULL && eva_input_ok (&in, "amount"))
        eva_input_error (&in, "amount", "is required for kind fixed");
    }
  if (f->valid_from != NULL && f->valid_until != NULL &&
      g_strcmp0 (f->valid_from, f->valid_until) >= 0)
    {
      g_autoptr(GDateTime) from = eva_time_parse (f->valid_from, NULL);
      g_autoptr(GDateTime) until = eva_time_parse (f->valid_until, NULL);

      if (from != NULL && until != NULL && g_date_time_compare (until, from) <= 0)
        eva_input_error (&in, "valid_until", "must be after valid_from");
    }

  if (!eva_input_end (&in))
    return NULL;
  return g_steal_pointer (&f);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_not_found (EvaRequest *req)
{
  eva_request_reply_error (req, 404, "not_found", NULL, "No such coupon");
}

static void
reply_write_error (EvaRequest   *req,
                   const char   *constraint,
                   const GError *error)
{
  if (g_error_matches (error, EVA_ERROR, EVA_ERROR_CONFLICT))
    {
      if (g_strcmp0 (constraint, "coupons_event_code_key") == 0)
        {
          eva_events_reply_field (req, 409, "code_taken", "code", "is already used in this event",
                                  "Another coupon of this event has this code");
          return;
        }
      if (g_strcmp0 (constraint, "coupons_uses_check") == 0)
        {
          eva_events_reply_field (req, 409, "max_uses_below_uses", "max_uses",
                                  "is below the uses already counted",
                                  "The coupon has already been used more often");
          return;
        }
      if (g_strcmp0 (constraint, "coupons_validity_check") == 0)
        {
          eva_events_reply_field (req, 400, "validation_failed", "valid_until",
                                  "must be after valid_from", "Some fields are not valid");
          return;
        }
      if (g_strcmp0 (constraint, "coupons_kind_value_check") == 0)
        {
          eva_events_reply_field (req, 400, "validation_failed", "kind",
                                  "needs percent (kind percent) or amount (kind fixed)",
                                  "Some fields are not valid");
          return;
        }
    }
  eva_request_reply_gerror (req, error);
}

/* Replaces the ticket-type restriction; FALSE after replying. */
static gboolean
set_types (EvaRequest   *req,
           EvaDbConn    *conn,
           const char   *coupon_id,
           const char   *event_id,
           CouponFields *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) cleared = NULL;
  g_autoptr(PGresult) set = NULL;
  const char *params[] = { coupon_id, event_id, f->types };

  if (!f->types_set)
    return TRUE;
  cleared = eva_db_query (conn, sql_types_clear, &error, coupon_id);
  if (cleared != NULL)
    set = eva_db_exec (conn, sql_types_set, 3, params, &error);
  if (set == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return FALSE;
    }
  if ((guint) PQntuples (set) != f->n_types)
    {
      eva_db_rollback (conn);
      eva_events_reply_field (req, 422, "unknown_ticket_type", "ticket_type_ids",
                              "must all be ticket types of this event",
                              "Some ticket types are not part of this event");
      return FALSE;
    }
  return TRUE;
}

static gboolean
finish (EvaRequest *req,
        EvaDbConn  *conn,
        const char *action,
        const char *coupon_id,
        const char *before,
        char      **json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_get, &error, coupon_id);
  gboolean ok;

  if (r == NULL)
    ok = FALSE;
  else if (before != NULL)
    ok = eva_events_audit_diff (conn, req, action, "coupon", coupon_id, before,
                                eva_db_value (r), &error);
  else
    ok = eva_events_audit (conn, req, action, "coupon", coupon_id, eva_db_value (r), &error);
  if (!ok || !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return FALSE;
    }
  *json = g_strdup (eva_db_value (r));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                           */
/* ------------------------------------------------------------------ */

static void
list_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_list, &error, eva_request_param (req, "id"));

  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (eva_db_value (r) == NULL)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_coupons_list (EvaRequest *req)
{
  eva_request_run (req, list_work, NULL, NULL);
}

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_get, &error, eva_request_param (req, "id"));

  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0)
    reply_not_found (req);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_coupons_get (EvaRequest *req)
{
  eva_request_run (req, get_work, NULL, NULL);
}

static void
create_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  CouponFields *f = data;
  const char *event_id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) ev = NULL;
  g_autoptr(PGresult) r = NULL;
  g_autofree char *json = NULL;
  g_autofree char *location = NULL;
  g_autofree char *id = NULL;
  char constraint[64];

  if (!eva_db_begin (conn, &error) ||
      (ev = eva_db_query (conn, sql_event, &error, event_id)) == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (ev) == 0)
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
      return;
    }
  if (g_str_equal (f->kind, "fixed") && PQgetisnull (ev, 0, 0))
    {
      eva_db_rollback (conn);
      eva_events_reply_field (req, 422, "currency_required", "amount",
                              "needs the event to have a currency",
                              "A fixed discount needs the event's currency");
      return;
    }

  {
    const char *params[] = {
      event_id, f->code, f->kind, f->percent, f->amount, f->valid_from, f->valid_until,
      f->max_uses, f->max_per_attendee, f->min_order, f->unlocks_hidden,
    };

    r = eva_db_exec (conn, sql_create, G_N_ELEMENTS (params), params, &error);
  }
  if (r == NULL)
    {
      g_strlcpy (constraint, eva_db_conn_last_constraint (conn), sizeof constraint);
      eva_db_rollback (conn);
      reply_write_error (req, constraint, error);
      return;
    }
  id = g_strdup (eva_db_value (r));
  if (!set_types (req, conn, id, event_id, f) ||
      !finish (req, conn, "coupon.create", id, NULL, &json))
    return;

  location = g_strconcat ("/api/v1/admin/coupons/", id, NULL);
  eva_request_add_header (req, "Location", location);
  eva_request_reply_json_text (req, 201, json);
}

void
eva_api_coupons_create (EvaRequest *req)
{
  CouponFields *f = parse_coupon (req, TRUE);

  if (f != NULL)
    eva_request_run (req, create_work, f, (GDestroyNotify) coupon_fields_free);
}

static void
update_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  CouponFields *f = data;
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) locked = NULL;
  g_autoptr(PGresult) r = NULL;
  g_autofree char *json = NULL;
  g_autofree char *event_id = NULL;
  const char *kind;
  char constraint[64];

  if (!eva_db_begin (conn, &error) ||
      (locked = eva_db_query (conn, sql_lock, &error, id)) == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (locked) == 0)
    {
      eva_db_rollback (conn);
      reply_not_found (req);
      return;
    }
  event_id = g_strdup (PQgetvalue (locked, 0, 0));
  kind = f->kind != NULL ? f->kind : PQgetvalue (locked, 0, 1);
  if ((g_str_equal (kind, "percent") && f->amount != NULL) ||
      (g_str_equal (kind, "fixed") && f->percent != NULL))
    {
      eva_db_rollback (conn);
      eva_events_reply_field (req, 400, "validation_failed",
                              f->amount != NULL ? "amount" : "percent",
                              "does not go with the coupon's kind", "Some fields are not valid");
      return;
    }
  if (g_str_equal (kind, "fixed") && PQgetisnull (locked, 0, 2))
    {
      eva_db_rollback (conn);
      eva_events_reply_field (req, 422, "currency_required", "amount",
                              "needs the event to have a currency",
                              "A fixed discount needs the event's currency");
      return;
    }

  {
    const char *params[] = {
      id, f->code, f->kind, f->percent, f->amount,
      f->valid_from_set ? "true" : "false", f->valid_from,
      f->valid_until_set ? "true" : "false", f->valid_until,
      f->max_uses_set ? "true" : "false", f->max_uses,
      f->max_per_attendee_set ? "true" : "false", f->max_per_attendee,
      f->min_order, f->unlocks_hidden,
    };

    r = eva_db_exec (conn, sql_update, G_N_ELEMENTS (params), params, &error);
  }
  if (r == NULL)
    {
      g_strlcpy (constraint, eva_db_conn_last_constraint (conn), sizeof constraint);
      eva_db_rollback (conn);
      reply_write_error (req, constraint, error);
      return;
    }
  if (!set_types (req, conn, id, event_id, f) ||
      !finish (req, conn, "coupon.update", id, PQgetvalue (locked, 0, 3), &json))
    return;
  eva_request_reply_json_text (req, 200, json);
}

void
eva_api_coupons_update (EvaRequest *req)
{
  CouponFields *f = parse_coupon (req, FALSE);

  if (f != NULL)
    eva_request_run (req, update_work, f, (GDestroyNotify) coupon_fields_free);
}

static void
delete_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;

  if (!eva_db_begin (conn, &error) ||
      (r = eva_db_query (conn, sql_delete, &error, id)) == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (r) == 0)
    {
      eva_db_rollback (conn);
      reply_not_found (req);
      return;
    }
  if (!eva_events_audit (conn, req, "coupon.delete", "coupon", id, eva_db_value (r), &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_empty (req, 204);
}

void
eva_api_coupons_delete (EvaRequest *req)
{
  eva_request_run (req, delete_work, NULL, NULL);
}

static void
quote_work (EvaRequest *req,
            EvaDbConn  *conn,
            gpointer    data)
{
  EvaBasket *basket = data;
  g_autoptr(GError) error = NULL;
  g_auto(EvaOutcome) out = { 0 };

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

  if (!eva_booking_quote (conn, basket, &out, &error))
    eva_request_reply_gerror (req, error);
  else if (eva_outcome_is_unknown_coupon (&out))
    {
      /* Best effort: a failed count must not hide the answer. */
      if (!eva_coupon_guess_count (conn, req->client_ip, &error))
        g_message ("[%s] coupon guess not counted: %s", req->request_id, error->message);
      eva_request_reply_error (req, out.status, out.code, out.details, "%s", out.message);
    }
  else if (out.code != NULL)
    eva_request_reply_error (req, out.status, out.code, out.details, "%s", out.message);
  else
    eva_request_reply_json_text (req, out.status, out.json);
}

void
eva_api_public_quote (EvaRequest *req)
{
  EvaBasket *basket = eva_bookings_parse_basket (req, EVA_BASKET_PARSE_MAY_BE_EMPTY);

  if (basket != NULL)
    eva_request_run (req, quote_work, basket, (GDestroyNotify) eva_basket_free);
}
