/* api/ticket-types.c: the kinds of tickets an event sells, for organizers
 *
 * held and sold belong to the booking side and are read-only here. The
 * database keeps held + sold <= capacity (CHECK ticket_types_inventory);
 * lowering the capacity below what is already committed is refused with
 * 409 capacity_below_committed, checked under a row lock so the number in
 * the message is the real one.
 *
 * Prices may change at any time, also after sales started: a booking item
 * copies the unit price when the tickets are held, so a change applies to
 * new holds only and never to existing bookings.
 *
 * A priced ticket type needs a currency on its event (422
 * currency_required). Ticket types of cancelled or archived events cannot
 * be added, changed or deleted (409 event_locked). A ticket type can only
 * be deleted while nothing is held or sold and no booking refers to it
 * (409 ticket_type_in_use); hide it instead.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-ticket-types"

#include "config.h"

#include "api/eva-api.h"
#include "services/events.h"

#define NAME_MAX_CHARS         200
#define DESCRIPTION_MAX_CHARS  5000
#define PRICE_MAX              G_GINT64_CONSTANT (1000000000000)
#define CAPACITY_MAX           10000000

/* NULL means "not given"; the nullable ones also have a _set flag. */
typedef struct
{
  char     *name;
  char     *description;
  char     *price;
  gint64    price_value;
  char     *capacity;
  gint64    capacity_value;
  char     *sales_start;
  gboolean  sales_start_set;
  char     *sales_end;
  gboolean  sales_end_set;
  char     *max_per_order;
  char     *max_per_attendee;
  gboolean  max_per_attendee_set;
  char     *hidden;
  char     *sort_order;
} TicketFields;

static void
ticket_fields_free (TicketFields *f)
{
  g_free (f->name);
  g_free (f->description);
  g_free (f->price);
  g_free (f->capacity);
  g_free (f->sales_start);
  g_free (f->sales_end);
  g_free (f->max_per_order);
  g_free (f->max_per_attendee);
  g_free (f->hidden);
  g_free (f->sort_order);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TicketFields, ticket_fields_free)

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_list[] =
  "SELECT jsonb_build_object('items', coalesce("
  "          (SELECT jsonb_agg(eva_ticket_type_json(t) ORDER BY t.sort_order, t.name, t.id)"
  "             FROM ticket_types t WHERE t.event_id = e.id), '[]'::jsonb))::text"
  "  FROM events e WHERE e.id = $1::uuid";

static const char sql_get[] =
  "SELECT eva_ticket_type_json(t)::text FROM ticket_types t WHERE t.id = $1::uuid";

/* Shared with the event's own updates, so its currency and status stay
 * what was checked until the ticket type is written. */
static const char sql_lock_event[] =
  "SELECT e.status, e.currency IS NOT NULL FROM events e WHERE e.id = $1::uuid FOR SHARE";

static const char sql_create[] =
  "INSERT INTO ticket_types AS t (event_id, name, description, price, capacity,"
  "                               sales_start, sales_end, max_per_order,"
  "                               max_per_attendee, hidden, sort_order)"
  " VALUES ($1::uuid, $2, $3, $4::bigint, $5::int, $6::timestamptz, $7::timestamptz,"
  "         $8::int, $9::int, $10::boolean, $11::int)"
  " RETURNING t.id, eva_ticket_type_json(t)::text";

static const char sql_lock[] =
  "SELECT t.held::bigint + t.sold, e.status, e.currency IS NOT NULL,"
  "       eva_ticket_type_json(t)::text"
  "  FROM ticket_types t JOIN events e ON e.id = t.event_id"
  " WHERE t.id = $1::uuid"
  "   FOR UPDATE OF t FOR SHARE OF e";

static const char sql_update[] =
  "UPDATE ticket_types AS t SET"
  "       name = coalesce($2, t.name),"
  "       description = coalesce($3, t.description),"
  "       price = coalesce($4::bigint, t.price),"
  "       capacity = coalesce($5::int, t.capacity),"
  "       sales_start = CASE WHEN $6::boolean THEN $7::timestamptz ELSE t.sales_start END,"
  "       sales_end = CASE WHEN $8::boolean THEN $9::timestamptz ELSE t.sales_end END,"
  "       max_per_order = coalesce($10::int, t.max_per_order),"
  "       max_per_attendee = CASE WHEN $11::boolean THEN $12::int ELSE t.max_per_attendee END,"
  "       hidden = coalesce($13::boolean, t.hidden),"
  "       sort_order = coalesce($14::int, t.sort_order)"
  " WHERE t.id = $1::uuid"
  " RETURNING eva_ticket_type_json(t)::text";

static const char sql_delete[] =
  "DELETE FROM ticket_types t"
  " WHERE t.id = $1::uuid AND t.held = 0 AND t.sold = 0"
  "   AND NOT EXISTS (SELECT 1 FROM booking_items b WHERE b.ticket_type_id = t.id)"
  " RETURNING jsonb_build_object('event_id', t.event_id, 'name', t.name)::text";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_not_found (EvaRequest *req,
                 const char *what)
{
  eva_request_reply_error (req, 404, "not_found", NULL, "No such %s", what);
}

static void
reply_currency_required (EvaRequest *req)
{
  eva_events_reply_field (req, 422, "currency_required", "price",
                          "needs a currency on the event; set the event's currency first",
                          "A priced ticket type needs an event with a currency");
}

static void
reply_capacity_below (EvaRequest *req,
                      const char *committed)
{
  g_autofree char *problem =
    g_strdup_printf ("must be at least %s (held + sold)", committed);

  eva_events_reply_field (req, 409, "capacity_below_committed", "capacity", problem,
                          "The capacity cannot be lower than the tickets already held or sold");
}

static void
reply_write_error (EvaRequest   *req,
                   const char   *constraint,
                   const char   *committed,
                   const GError *error)
{
  if (g_error_matches (error, EVA_ERROR, EVA_ERROR_CONFLICT))
    {
      if (g_strcmp0 (constraint, "ticket_types_sales_window_check") == 0)
        {
          eva_events_reply_field (req, 400, "validation_failed", "sales_end",
                                  "must be after sales_start", "Some fields are not valid");
          return;
        }
      if (g_strcmp0 (constraint, "ticket_types_inventory") == 0 && committed != NULL)
        {
          reply_capacity_below (req, committed);
          return;
        }
    }
  eva_request_reply_gerror (req, error);
}

static char *
int_text (gint64 value)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

static const char * const read_only_fields[] = {
  "id", "event_id", "currency", "held", "sold", "available", "on_sale",
  "created_at", "updated_at",
};

static TicketFields *
parse_ticket_type (EvaRequest *req,
                   gboolean    create)
{
  g_auto(EvaInput) in = { 0 };
  g_autoptr(TicketFields) f = g_new0 (TicketFields, 1);
  g_autoptr(GDateTime) sales_start = NULL;
  g_autoptr(GDateTime) sales_end = NULL;
  EvaFieldFlags required = create ? EVA_FIELD_REQUIRED : 0;
  EvaFieldState state;
  const char *s;
  gint64 n;
  gboolean b;

  if (!eva_input_begin (&in, req))
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (read_only_fields); i++)
    if (json_object_has_member (in.object, read_only_fields[i]))
      eva_input_error (&in, read_only_fields[i], "is read-only");

  if (eva_input_string (&in, "name", required, NAME_MAX_CHARS, &s) == EVA_FIELD_SET)
    f->name = g_strdup (s);
  if (eva_input_string (&in, "description", EVA_FIELD_MULTILINE | EVA_FIELD_EMPTY,
                        DESCRIPTION_MAX_CHARS, &s) == EVA_FIELD_SET)
    f->description = g_strdup (s);

  if (eva_input_int (&in, "price", required, 0, PRICE_MAX, &f->price_value) == EVA_FIELD_SET)
    f->price = int_text (f->price_value);
  if (eva_input_int (&in, "capacity", required, 0, CAPACITY_MAX, &f->capacity_value) == EVA_FIELD_SET)
    f->capacity = int_text (f->capacity_value);

  state = eva_input_time (&in, "sales_start", EVA_FIELD_NULLABLE, &sales_start);
  f->sales_start_set = state != EVA_FIELD_ABSENT;
  state = eva_input_time (&in, "sales_end", EVA_FIELD_NULLABLE, &sales_end);
  f->sales_end_set = state != EVA_FIELD_ABSENT;
  if (sales_start != NULL && sales_end != NULL &&
      g_date_time_compare (sales_end, sales_start) <= 0)
    eva_input_error (&in, "sales_end", "must be after sales_start");
  f->sales_start = eva_events_time_param (sales_start);
  f->sales_end = eva_events_time_param (sales_end);

  if (eva_input_int (&in, "max_per_order", 0, 1, 100, &n) == EVA_FIELD_SET)
    f->max_per_order = int_text (n);
  state = eva_input_int (&in, "max_per_attendee", EVA_FIELD_NULLABLE, 1, CAPACITY_MAX, &n);
  f->max_per_attendee_set = state != EVA_FIELD_ABSENT;
  if (state == EVA_FIELD_SET)
    f->max_per_attendee = int_text (n);

  if (eva_input_bool (&in, "hidden", 0, &b) == EVA_FIELD_SET)
    f->hidden = g_strdup (b ? "true" : "false");
  if (eva_input_int (&in, "sort_order", 0, G_MININT32, G_MAXINT32, &n) == EVA_FIELD_SET)
    f->sort_order = int_text (n);

  if (!eva_input_end (&in))
    return NULL;

  if (create)
    {
      if (f->description == NULL)
        f->description = g_strdup ("");
      if (f->max_per_order == NULL)
        f->max_per_order = g_strdup ("10");
      if (f->hidden == NULL)
        f->hidden = g_strdup ("false");
      if (f->sort_order == NULL)
        f->sort_order = g_strdup ("0");
    }

  return g_steal_pointer (&f);
}

/* ------------------------------------------------------------------ */
/* Read                                                               */
/* ------------------------------------------------------------------ */

static void
list_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result =
    eva_db_query (conn, sql_list, &error, eva_request_param (req, "id"));

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (result) == 0)
    reply_not_found (req, "event");
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

void
eva_api_ticket_types_list (EvaRequest *req)
{
  eva_request_run (req, list_work, NULL, NULL);
}

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result =
    eva_db_query (conn, sql_get, &error, eva_request_param (req, "id"));

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (result) == 0)
    reply_not_found (req, "ticket type");
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

void
eva_api_ticket_types_get (EvaRequest *req)
{
  eva_request_run (req, get_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Create                                                             */
/* ------------------------------------------------------------------ */

static gboolean
event_is_locked (const char *status)
{
  return g_str_equal (status, "cancelled") || g_str_equal (status, "archived");
}

static void
create_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  TicketFields *f = data;
  const char *event_id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) event = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autofree char *location = NULL;
  char constraint[64];
  const char *id;
  const char *json;

  if (!eva_db_begin (conn, &error) ||
      (event = eva_db_query (conn, sql_lock_event, &error, event_id)) == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (event) == 0)
    {
      reply_not_found (req, "event");
      return;
    }
  if (event_is_locked (PQgetvalue (event, 0, 0)))
    {
      eva_events_reply_locked (req, PQgetvalue (event, 0, 0));
      return;
    }
  if (f->price_value > 0 && !g_str_equal (PQgetvalue (event, 0, 1), "t"))
    {
      reply_currency_required (req);
      return;
    }

  {
    const char *params[] = {
      event_id, f->name, f->description, f->price, f->capacity, f->sales_start,
      f->sales_end, f->max_per_order, f->max_per_attendee, f->hidden, f->sort_order,
    };

    result = eva_db_exec (conn, sql_create, G_N_ELEMENTS (params), params, &error);
  }
  if (result == NULL)
    {
      g_strlcpy (constraint, eva_db_conn_last_constraint (conn), sizeof constraint);
      eva_db_rollback (conn);
      reply_write_error (req, constraint, NULL, error);
      return;
    }

  id = PQgetvalue (result, 0, 0);
  json = PQgetvalue (result, 0, 1);
  if (!eva_events_audit (conn, req, "ticket_type.create", "ticket_type", id, json, &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }

  location = g_strconcat ("/api/v1/admin/ticket-types/", id, NULL);
  eva_request_add_header (req, "Location", location);
  eva_request_reply_json_text (req, 201, json);
}

void
eva_api_ticket_types_create (EvaRequest *req)
{
  TicketFields *f = parse_ticket_type (req, TRUE);

  if (f != NULL)
    eva_request_run (req, create_work, f, (GDestroyNotify) ticket_fields_free);
}

/* ------------------------------------------------------------------ */
/* Update and delete                                                  */
/* ------------------------------------------------------------------ */

/* Locks the ticket type (and shares its event) or replies 404 or 409
 * event_locked. Columns: held + sold, status, has currency, JSON. */
static PGresult *
lock_ticket_type (EvaRequest *req,
                  EvaDbConn  *conn,
                  const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) locked = NULL;

  if (!eva_db_begin (conn, &error) ||
      (locked = eva_db_query (conn, sql_lock, &error, id)) == NULL)
    {
      eva_request_reply_gerror (req, error);
      return NULL;
    }
  if (PQntuples (locked) == 0)
    {
      reply_not_found (req, "ticket type");
      return NULL;
    }
  if (event_is_locked (PQgetvalue (locked, 0, 1)))
    {
      eva_events_reply_locked (req, PQgetvalue (locked, 0, 1));
      return NULL;
    }
  return g_steal_pointer (&locked);
}

static void
update_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  TicketFields *f = data;
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) locked = NULL;
  g_autoptr(PGresult) updated = NULL;
  const char *committed;
  char constraint[64];

  locked = lock_ticket_type (req, conn, id);
  if (locked == NULL)
    return;

  committed = PQgetvalue (locked, 0, 0);
  if (f->capacity != NULL && f->capacity_value < g_ascii_strtoll (committed, NULL, 10))
    {
      reply_capacity_below (req, committed);
      return;
    }
  if (f->price != NULL && f->price_value > 0 && !g_str_equal (PQgetvalue (locked, 0, 2), "t"))
    {
      reply_currency_required (req);
      return;
    }

  {
    const char *params[] = {
      id, f->name, f->description, f->price, f->capacity,
      f->sales_start_set ? "true" : "false", f->sales_start,
      f->sales_end_set ? "true" : "false", f->sales_end,
      f->max_per_order,
      f->max_per_attendee_set ? "true" : "false", f->max_per_attendee,
      f->hidden, f->sort_order,
    };

    updated = eva_db_exec (conn, sql_update, G_N_ELEMENTS (params), params, &error);
  }
  if (updated == NULL)
    {
      g_strlcpy (constraint, eva_db_conn_last_constraint (conn), sizeof constraint);
      eva_db_rollback (conn);
      reply_write_error (req, constraint, committed, error);
      return;
    }

  if (!eva_events_audit_diff (conn, req, "ticket_type.update", "ticket_type", id,
                              PQgetvalue (locked, 0, 3), eva_db_value (updated), &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }

  eva_request_reply_json_text (req, 200, eva_db_value (updated));
}

void
eva_api_ticket_types_update (EvaRequest *req)
{
  TicketFields *f = parse_ticket_type (req, FALSE);

  if (f != NULL)
    eva_request_run (req, update_work, f, (GDestroyNotify) ticket_fields_free);
}

static void
reply_in_use (EvaRequest *req)
{
  eva_request_reply_error (req, 409, "ticket_type_in_use", NULL,
                           "Tickets of this type are held, sold or booked; hide it instead");
}

static void
delete_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) locked = NULL;
  g_autoptr(PGresult) deleted = NULL;

  locked = lock_ticket_type (req, conn, id);
  if (locked == NULL)
    return;

  deleted = eva_db_query (conn, sql_delete, &error, id);
  if (deleted == NULL)
    {
      eva_db_rollback (conn);
      /* Anything else referring to it trips a foreign key. */
      if (g_error_matches (error, EVA_ERROR, EVA_ERROR_CONFLICT))
        reply_in_use (req);
      else
        eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (deleted) == 0)
    {
      eva_db_rollback (conn);
      reply_in_use (req);
      return;
    }

  if (!eva_events_audit (conn, req, "ticket_type.delete", "ticket_type", id,
                         eva_db_value (deleted), &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_empty (req, 204);
}

void
eva_api_ticket_types_delete (EvaRequest *req)
{
  eva_request_run (req, delete_work, NULL, NULL);
}
