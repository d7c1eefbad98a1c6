/* api/events.c: events, for organizers
 *
 * Life cycle, driven by POST /api/v1/admin/events/{id}/publish|cancel|archive:
 *
 *   publish   draft                → published  (sets published_at)
 *   cancel    draft | published    → cancelled
 *   archive   published | cancelled → archived
 *
 * Publishing needs at least one ticket type, and a currency as soon as any
 * ticket type has a price; otherwise 409 event_incomplete, with details
 * naming what is missing ("ticket_types", "currency"). A draft is not
 * archived but deleted (DELETE, only while it has no bookings). Every other
 * move, including repeating one (publishing a published event), is 409
 * invalid_transition with details {"status": <current status>}. Each
 * transition is one conditional UPDATE … WHERE status IN (…), so two
 * concurrent requests cannot both win.
 *
 * Cancelling does not touch bookings here: tickets stay valid until the
 * booking side refunds them; new holds need a published event, so sales
 * stop at once.
 *
 * Drafts and published events can be edited; cancelled and archived ones
 * are locked (409 event_locked). The currency is locked (409
 * currency_locked) once the event has any booking, because bookings and
 * payments carry it; it cannot be removed while a ticket type has a price
 * (422 currency_required).
 *
 * max_tickets_per_attendee (1 to 1000000, default 10) is what one attendee
 * may book of each ticket type that sets no max_per_attendee of its own
 * (services/booking.c).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-events"

#include "config.h"

#include "api/eva-api.h"
#include "services/events.h"
#include "services/notify.h"

#define SLUG_ATTEMPTS 5
/* What one attendee may book of each ticket type that sets no
 * max_per_attendee of its own (migrations/0004_hold_limits.up.sql). */
#define MAX_TICKETS_PER_ATTENDEE_DEFAULT 10
#define MAX_TICKETS_PER_ATTENDEE         1000000

/* What a create or update request carries. NULL means "not given";
 * currency may also be given as null (currency_set with currency NULL). */
typedef struct
{
  char     *title;
  char     *slug;
  char     *description;
  char     *venue;
  char     *address;
  char     *timezone;
  char     *starts_at;
  char     *ends_at;
  char     *currency;
  gboolean  currency_set;
  char     *hold_minutes;
  char     *cancellation_hours;
  char     *max_tickets_per_attendee;
  char     *payment_methods;      /* a PostgreSQL array literal, e.g. {card,at_door} */
  char     *transfer_details;
  gboolean  transfer_details_set;
  char     *transfer_days;
} EventFields;

static void
event_fields_free (EventFields *f)
{
  g_free (f->title);
  g_free (f->slug);
  g_free (f->description);
  g_free (f->venue);
  g_free (f->address);
  g_free (f->timezone);
  g_free (f->starts_at);
  g_free (f->ends_at);
  g_free (f->currency);
  g_free (f->hold_minutes);
  g_free (f->cancellation_hours);
  g_free (f->max_tickets_per_attendee);
  g_free (f->payment_methods);
  g_free (f->transfer_details);
  g_free (f->transfer_days);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EventFields, event_fields_free)

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

static const char sql_list[] =
  "WITH ranked AS ("
  "  SELECT e.id,"
  "         row_number() OVER (ORDER BY"
  "           CASE WHEN $5::text = 'starts_at' THEN e.starts_at END,"
  "           CASE WHEN $5::text = '-starts_at' THEN e.starts_at END DESC,"
  "           CASE WHEN $5::text = 'title' THEN e.title END,"
  "           CASE WHEN $5::text = '-title' THEN e.title END DESC,"
  "           CASE WHEN $5::text = 'created_at' THEN e.created_at END,"
  "           CASE WHEN $5::text = '-created_at' THEN e.created_at END DESC,"
  "           e.id) AS rn"
  "    FROM events e"
  "   WHERE ($1::text[] IS NULL OR e.status = ANY ($1::text[]))"
  "     AND ($2::timestamptz IS NULL OR e.starts_at >= $2::timestamptz)"
  "     AND ($3::timestamptz IS NULL OR e.starts_at < $3::timestamptz)"
  "     AND ($4::text IS NULL OR e.title ILIKE $4::text OR e.venue ILIKE $4::text))"
  " SELECT json_build_object("
  "   'items', coalesce((SELECT json_agg(eva_event_json(e) ORDER BY r.rn)"
  "                        FROM ranked r JOIN events e ON e.id = r.id"
  "                       WHERE r.rn > $7::bigint AND r.rn <= $7::bigint + $6::bigint),"
  "                     '[]'::json),"
  "   'total', (SELECT count(*) FROM ranked),"
  "   'next_cursor', CASE WHEN (SELECT count(*) FROM ranked) > $7::bigint + $6::bigint"
  "                       THEN $8::text END)::text";

static const char sql_get[] =
  "SELECT (eva_event_json(e) || jsonb_build_object('ticket_types', coalesce("
  "          (SELECT jsonb_agg(eva_ticket_type_json(t) ORDER BY t.sort_order, t.name, t.id)"
  "             FROM ticket_types t WHERE t.event_id = e.id), '[]'::jsonb)))::text"
  "  FROM events e WHERE e.id = $1::uuid";

static const char sql_create[] =
  "INSERT INTO events AS e (slug, title, description, venue, address, timezone,"
  "                         starts_at, ends_at, currency, hold_minutes,"
  "                         cancellation_hours, max_tickets_per_attendee, created_by,"
  "                         payment_methods, transfer_details, transfer_days)"
  " VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz, $9, $10::int,"
  "         $11::int, $12::int, (SELECT s.id FROM staff s WHERE s.id = $13::uuid),"
  "         $14::text[], $15, $16::int)"
  " RETURNING e.id, eva_event_json(e)::text";

static const char sql_lock[] =
  "SELECT e.status, e.currency::text, eva_event_json(e)::text,"
  "       row(e.starts_at, e.ends_at, e.venue, e.address)::text"
  "  FROM events e WHERE e.id = $1::uuid FOR UPDATE";

static const char sql_usage[] =
  "SELECT EXISTS (SELECT 1 FROM bookings b WHERE b.event_id = $1::uuid),"
  "       EXISTS (SELECT 1 FROM ticket_types t WHERE t.event_id = $1::uuid AND t.price > 0)";

static const char sql_update[] =
  "UPDATE events AS e SET"
  "       title = coalesce($2, e.title),"
  "       slug = coalesce($3, e.slug),"
  "       description = coalesce($4, e.description),"
  "       venue = coalesce($5, e.venue),"
  "       address = coalesce($6, e.address),"
  "       timezone = coalesce($7, e.timezone),"
  "       starts_at = coalesce($8::timestamptz, e.starts_at),"
  "       ends_at = coalesce($9::timestamptz, e.ends_at),"
  "       currency = CASE WHEN $10::boolean THEN $11 ELSE e.currency END,"
  "       hold_minutes = coalesce($12::int, e.hold_minutes),"
  "       cancellation_hours = coalesce($13::int, e.cancellation_hours),"
  "       max_tickets_per_attendee = coalesce($14::int, e.max_tickets_per_attendee),"
  "       payment_methods = coalesce($15::text[], e.payment_methods),"
  "       transfer_details = CASE WHEN $16::boolean THEN $17 ELSE e.transfer_details END,"
  "       transfer_days = coalesce($18::int, e.transfer_days)"
  " WHERE e.id = $1::uuid"
  " RETURNING eva_event_json(e)::text, row(e.starts_at, e.ends_at, e.venue, e.address)::text";

static const char sql_delete[] =
  "DELETE FROM events e"
  " WHERE e.id = $1::uuid AND e.status = 'draft'"
  "   AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.event_id = e.id)"
  " RETURNING jsonb_build_object('slug', e.slug, 'title', e.title)::text";

static const char sql_status[] =
  "SELECT e.status,"
  "       EXISTS (SELECT 1 FROM ticket_types t WHERE t.event_id = e.id),"
  "       e.currency IS NOT NULL"
  "         OR NOT EXISTS (SELECT 1 FROM ticket_types t WHERE t.event_id = e.id AND t.price > 0)"
  "  FROM events e WHERE e.id = $1::uuid";

/* The transitions: the old row is locked in the subquery so that RETURNING
 * can tell the audit trail where the event came from. */
static const char sql_publish[] =
  "UPDATE events AS e SET status = 'published', published_at = now()"
  "  FROM (SELECT id, status FROM events WHERE id = $1::uuid FOR UPDATE) AS old"
  " WHERE e.id = old.id AND e.status = 'draft'"
  "   AND EXISTS (SELECT 1 FROM ticket_types t WHERE t.event_id = e.id)"
  "   AND (e.currency IS NOT NULL"
  "        OR NOT EXISTS (SELECT 1 FROM ticket_types t WHERE t.event_id = e.id AND t.price > 0))"
  " RETURNING old.status, eva_event_json(e)::text";

static const char sql_cancel[] =
  "UPDATE events AS e SET status = 'cancelled'"
  "  FROM (SELECT id, status FROM events WHERE id = $1::uuid FOR UPDATE) AS old"
  " WHERE e.id = old.id AND e.status IN ('draft', 'published')"
  " RETURNING old.status, eva_event_json(e)::text";

static const char sql_archive[] =
  "UPDATE events AS e SET status = 'archived'"
  "  FROM (SELECT id, status FROM events WHERE id = $1::uuid FOR UPDATE) AS old"
  " WHERE e.id = old.id AND e.status IN ('published', 'cancelled')"
  " RETURNING old.status, eva_event_json(e)::text";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_not_found (EvaRequest *req)
{
  eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
}

static void
reply_slug_taken (EvaRequest *req)
{
  eva_events_reply_field (req, 409, "slug_taken", "slug", "is already taken",
                          "Another event already uses this slug");
}

/* Turns the failure of a write into the right envelope. */
static void
reply_write_error (EvaRequest   *req,
                   const char   *constraint,
                   const GError *error)
{
  if (g_error_matches (error, EVA_ERROR, EVA_ERROR_CONFLICT))
    {
      if (g_strcmp0 (constraint, "events_slug_key") == 0)
        {
          reply_slug_taken (req);
          return;
        }
      if (g_strcmp0 (constraint, "events_time_range_check") == 0)
        {
          eva_events_reply_field (req, 400, "validation_failed", "ends_at",
                                  "must be after starts_at", "Some fields are not valid");
          return;
        }
    }
  eva_request_reply_gerror (req, error);
}

static gboolean
check_timezone (EvaRequest *req,
                EvaDbConn  *conn,
                const char *timezone)
{
  g_autoptr(GError) error = NULL;
  gboolean known = FALSE;

  if (timezone == NULL)
    return TRUE;
  if (!eva_event_timezone_known (conn, timezone, &known, &error))
    {
      eva_request_reply_gerror (req, error);
      return FALSE;
    }
  if (!known)
    {
      eva_events_reply_field (req, 400, "validation_failed", "timezone",
                              "is not a time zone the database knows",
                              "Some fields are not valid");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

static char *
int_text (gint64 value)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

static const char * const read_only_fields[] = {
  "id", "created_at", "updated_at", "published_at", "ticket_types",
};

/* Reads a create (@create: required fields, defaults) or an update body,
 * or replies 400 validation_failed. */
/* payment_methods (a list of card, bank_transfer, at_door, each once),
 * transfer_details (text or null), transfer_days (1 to 60). */
static void
parse_payment_fields (EvaInput    *in,
                      EventFields *f)
{
  static const char * const methods[] = { "card", "bank_transfer", "at_door" };
  JsonNode *list = json_object_get_member (in->object, "payment_methods");
  const char *s;
  gint64 n;

  g_hash_table_add (in->seen, (gpointer) "payment_methods");
  if (list != NULL)
    {
      g_autoptr(GString) array = g_string_new ("{");
      guint seen = 0;
      gboolean ok = JSON_NODE_HOLDS_ARRAY (list);

      for (guint i = 0; ok && i < json_array_get_length (json_node_get_array (list)); i++)
        {
          JsonNode *item = json_array_get_element (json_node_get_array (list), i);
          const char *name = JSON_NODE_HOLDS_VALUE (item)
                             && json_node_get_value_type (item) == G_TYPE_STRING
                             ? json_node_get_string (item) : NULL;
          guint k;

          for (k = 0; name != NULL && k < G_N_ELEMENTS (methods); k++)
            if (g_str_equal (name, methods[k]))
              break;
          ok = name != NULL && k < G_N_ELEMENTS (methods) && (seen & (1u << k)) == 0;
          if (ok)
            {
              seen |= 1u << k;
              g_string_append_printf (array, "%s%s", array->len > 1 ? "," : "", methods[k]);
            }
        }
      if (!ok)
        eva_input_error (in, "payment_methods",
                         "must be a list of card, bank_transfer and at_door, each at most once");
      else
        {
          g_string_append_c (array, '}');
          f->payment_methods = g_string_free (g_steal_pointer (&array), FALSE);
        }
    }

  switch (eva_input_string (in, "transfer_details", EVA_FIELD_NULLABLE | EVA_FIELD_MULTILINE,
                            2000, &s))
    {
    case EVA_FIELD_SET:
      f->transfer_details = g_strdup (s);
      f->transfer_details_set = TRUE;
      break;
    case EVA_FIELD_NULL:
      f->transfer_details_set = TRUE;
      break;
    case EVA_FIELD_ABSENT:
    default:
      break;
    }
  if (eva_input_int (in, "transfer_days", 0, 1, 60, &n) == EVA_FIELD_SET)
    f->transfer_days = int_text (n);
}

static EventFields *
parse_event (EvaRequest *req,
             gboolean    create)
{
  g_auto(EvaInput) in = { 0 };
  g_autoptr(EventFields) f = g_new0 (EventFields, 1);
  g_autoptr(GDateTime) starts = NULL;
  g_autoptr(GDateTime) ends = NULL;
  EvaFieldFlags required = create ? EVA_FIELD_REQUIRED : 0;
  const char *s;
  gint64 n;
  guint8 uuid[16];

  if (!eva_input_begin (&in, req))
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (read_only_fields); i++)
    if (json_object_has_member (in.object, read_only_fields[i]))
      eva_input_error (&in, read_only_fields[i], "is read-only");
  if (json_object_has_member (in.object, "status"))
    eva_input_error (&in, "status", "is read-only; use publish, cancel or archive");

  if (eva_input_string (&in, "title", required, EVA_EVENT_TITLE_MAX, &s) == EVA_FIELD_SET)
    f->title = g_strdup (s);

  if (eva_input_string (&in, "slug", 0, EVA_SLUG_MAX_LEN, &s) == EVA_FIELD_SET)
    {
      if (!eva_validate_slug (s))
        eva_input_error (&in, "slug", "must be lower-case letters and digits in words "
                                      "joined by single dashes, e.g. summer-party-2026");
      else if (eva_uuid_parse (s, uuid))
        eva_input_error (&in, "slug", "must not look like an id");
      else
        f->slug = g_strdup (s);
    }

  if (eva_input_string (&in, "description", EVA_FIELD_MULTILINE | EVA_FIELD_EMPTY,
                        EVA_EVENT_DESCRIPTION_MAX, &s) == EVA_FIELD_SET)
    f->description = g_strdup (s);
  if (eva_input_string (&in, "venue", EVA_FIELD_EMPTY, EVA_EVENT_VENUE_MAX, &s) == EVA_FIELD_SET)
    f->venue = g_strdup (s);
  if (eva_input_string (&in, "address", EVA_FIELD_MULTILINE | EVA_FIELD_EMPTY,
                        EVA_EVENT_ADDRESS_MAX, &s) == EVA_FIELD_SET)
    f->address = g_strdup (s);

  if (eva_input_string (&in, "timezone", required, 64, &s) == EVA_FIELD_SET)
    {
      if (!eva_timezone_is_valid (s))
        eva_input_error (&in, "timezone", "must be an IANA time zone name, e.g. Europe/Berlin");
      else
        f->timezone = g_strdup (s);
    }

  eva_input_time (&in, "starts_at", required, &starts);
  eva_input_time (&in, "ends_at", required, &ends);
  if (starts != NULL && ends != NULL && g_date_time_compare (ends, starts) <= 0)
    eva_input_error (&in, "ends_at", "must be after starts_at");
  f->starts_at = eva_events_time_param (starts);
  f->ends_at = eva_events_time_param (ends);

  switch (eva_input_string (&in, "currency", EVA_FIELD_NULLABLE, 3, &s))
    {
    case EVA_FIELD_SET:
      if (eva_currency_lookup (s) == NULL)
        eva_input_error (&in, "currency", "must be an ISO 4217 currency code in upper case, "
                                          "e.g. EUR");
      f->currency = g_strdup (s);
      f->currency_set = TRUE;
      break;
    case EVA_FIELD_NULL:
      f->currency_set = TRUE;
      break;
    case EVA_FIELD_ABSENT:
    default:
      break;
    }

  if (eva_input_int (&in, "hold_minutes", 0, 1, 120, &n) == EVA_FIELD_SET)
    f->hold_minutes = int_text (n);
  if (eva_input_int (&in, "cancellation_hours", 0, 0, 8760, &n) == EVA_FIELD_SET)
    f->cancellation_hours = int_text (n);
  if (eva_input_int (&in, "max_tickets_per_attendee", 0, 1, MAX_TICKETS_PER_ATTENDEE,
                     &n) == EVA_FIELD_SET)
    f->max_tickets_per_attendee = int_text (n);

  parse_payment_fields (&in, f);

  if (!eva_input_end (&in))
    return NULL;

  if (create)
    {
      if (f->description == NULL)
        f->description = g_strdup ("");
      if (f->venue == NULL)
        f->venue = g_strdup ("");
      if (f->address == NULL)
        f->address = g_strdup ("");
      if (f->hold_minutes == NULL)
        f->hold_minutes = g_strdup ("15");
      if (f->cancellation_hours == NULL)
        f->cancellation_hours = g_strdup ("0");
      if (f->max_tickets_per_attendee == NULL)
        f->max_tickets_per_attendee = int_text (MAX_TICKETS_PER_ATTENDEE_DEFAULT);
      if (f->payment_methods == NULL)
        f->payment_methods = g_strdup ("{card}");
      if (f->transfer_days == NULL)
        f->transfer_days = g_strdup ("7");
    }

  return g_steal_pointer (&f);
}

/* ------------------------------------------------------------------ */
/* List and read                                                      */
/* ------------------------------------------------------------------ */

static void
list_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  EvaEventQuery *query = data;
  g_autoptr(GError) error = NULL;
  const char *params[] = {
    query->statuses, query->from, query->to, query->pattern, query->sort,
    query->limit_text, query->offset_text, query->next_cursor,
  };
  g_autoptr(PGresult) result =
    eva_db_exec (conn, sql_list, G_N_ELEMENTS (params), params, &error);

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

static void
event_query_free (gpointer data)
{
  eva_event_query_clear (data);
  g_free (data);
}

void
eva_api_events_list (EvaRequest *req)
{
  EvaEventQuery *query = g_new0 (EvaEventQuery, 1);

  if (!eva_event_query_parse (req, TRUE, query))
    {
      g_free (query);
      return;
    }
  eva_request_run (req, list_work, query, event_query_free);
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
    reply_not_found (req);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

void
eva_api_events_get (EvaRequest *req)
{
  eva_request_run (req, get_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Create                                                             */
/* ------------------------------------------------------------------ */

static void
create_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  EventFields *f = data;

  if (!check_timezone (req, conn, f->timezone))
    return;

  /* A derived slug may be taken between the look-up and the insert; then
   * derive again. An explicit one is the caller's to change. */
  for (guint attempt = 0; attempt < SLUG_ATTEMPTS; attempt++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PGresult) result = NULL;
      g_autofree char *slug = NULL;
      g_autofree char *location = NULL;
      char constraint[64];
      const char *id;
      const char *json;

      if (!eva_db_begin (conn, &error))
        {
          eva_request_reply_gerror (req, error);
          return;
        }

      slug = f->slug != NULL ? g_strdup (f->slug) : eva_event_free_slug (conn, f->title, &error);
      if (slug != NULL)
        {
          const char *params[] = {
            slug, f->title, f->description, f->venue, f->address, f->timezone,
            f->starts_at, f->ends_at, f->currency, f->hold_minutes,
            f->cancellation_hours, f->max_tickets_per_attendee, req->principal_id,
            f->payment_methods, f->transfer_details, f->transfer_days,
          };

          result = eva_db_exec (conn, sql_create, G_N_ELEMENTS (params), params, &error);
        }

      if (result == NULL)
        {
          g_strlcpy (constraint, eva_db_conn_last_constraint (conn), sizeof constraint);
          eva_db_rollback (conn);
          if (f->slug == NULL && g_error_matches (error, EVA_ERROR, EVA_ERROR_CONFLICT) &&
              g_str_equal (constraint, "events_slug_key"))
            continue;
          reply_write_error (req, constraint, error);
          return;
        }

      id = PQgetvalue (result, 0, 0);
      json = PQgetvalue (result, 0, 1);
      if (!eva_events_audit (conn, req, "event.create", "event", id, json, &error) ||
          !eva_db_commit (conn, &error))
        {
          eva_db_rollback (conn);
          eva_request_reply_gerror (req, error);
          return;
        }

      location = g_strconcat ("/api/v1/admin/events/", id, NULL);
      eva_request_add_header (req, "Location", location);
      eva_request_reply_json_text (req, 201, json);
      return;
    }

  eva_request_reply_error (req, 409, "conflict", NULL,
                           "Could not find a free slug for this title; try again or give one");
}

void
eva_api_events_create (EvaRequest *req)
{
  EventFields *f = parse_event (req, TRUE);

  if (f != NULL)
    eva_request_run (req, create_work, f, (GDestroyNotify) event_fields_free);
}

/* ------------------------------------------------------------------ */
/* Update                                                             */
/* ------------------------------------------------------------------ */

/* Whether the currency changes from the row's @current. */
static gboolean
currency_changes (EventFields *f,
                  const char  *current)
{
  return f->currency_set && g_strcmp0 (f->currency, current) != 0;
}

static void
update_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  EventFields *f = data;
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) locked = NULL;
  g_autoptr(PGresult) updated = NULL;
  const char *status;
  gboolean moved;
  const char *current_currency;
  char constraint[64];

  if (!check_timezone (req, conn, f->timezone))
    return;

  if (!eva_db_begin (conn, &error) ||
      (locked = eva_db_query (conn, sql_lock, &error, id)) == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (locked) == 0)
    {
      reply_not_found (req);
      return;
    }

  status = PQgetvalue (locked, 0, 0);
  current_currency = PQgetisnull (locked, 0, 1) ? NULL : PQgetvalue (locked, 0, 1);
  if (g_str_equal (status, "cancelled") || g_str_equal (status, "archived"))
    {
      eva_events_reply_locked (req, status);
      return;
    }

  if (currency_changes (f, current_currency))
    {
      g_autoptr(PGresult) usage = eva_db_query (conn, sql_usage, &error, id);

      if (usage == NULL)
        {
          eva_request_reply_gerror (req, error);
          return;
        }
      if (g_str_equal (PQgetvalue (usage, 0, 0), "t"))
        {
          eva_events_reply_field (req, 409, "currency_locked", "currency",
                                  "cannot change once the event has bookings",
                                  "The event already has bookings in its currency");
          return;
        }
      if (f->currency == NULL && g_str_equal (PQgetvalue (usage, 0, 1), "t"))
        {
          eva_events_reply_field (req, 422, "currency_required", "currency",
                                  "is required while ticket types have a price",
                                  "Some ticket types have a price, so the event needs a currency");
          return;
        }
    }

  {
    const char *params[] = {
      id, f->title, f->slug, f->description, f->venue, f->address, f->timezone,
      f->starts_at, f->ends_at, f->currency_set ? "true" : "false", f->currency,
      f->hold_minutes, f->cancellation_hours, f->max_tickets_per_attendee,
      f->payment_methods, f->transfer_details_set ? "true" : "false", f->transfer_details,
      f->transfer_days,
    };

    updated = eva_db_exec (conn, sql_update, G_N_ELEMENTS (params), params, &error);
  }
  if (updated == NULL)
    {
      g_strlcpy (constraint, eva_db_conn_last_constraint (conn), sizeof constraint);
      eva_db_rollback (conn);
      reply_write_error (req, constraint, error);
      return;
    }

  /* Holders of tickets hear when and where it now happens. */
  moved = g_str_equal (status, "published")
          && !g_str_equal (PQgetvalue (locked, 0, 3), PQgetvalue (updated, 0, 1));
  if (!eva_events_audit_diff (conn, req, "event.update", "event", id,
                              PQgetvalue (locked, 0, 2), eva_db_value (updated), &error) ||
      (moved && !eva_notify_event (conn, eva_request_get_config (req), id, "event_moved", &error)) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }

  eva_request_reply_json_text (req, 200, eva_db_value (updated));
}

void
eva_api_events_update (EvaRequest *req)
{
  EventFields *f = parse_event (req, FALSE);

  if (f != NULL)
    eva_request_run (req, update_work, f, (GDestroyNotify) event_fields_free);
}

/* ------------------------------------------------------------------ */
/* Delete                                                             */
/* ------------------------------------------------------------------ */

/* After a refused change: 404 if the event is gone, else @code with the
 * status it is in. Returns the status row for callers that need more. */
static PGresult *
explain_refusal (EvaRequest *req,
                 EvaDbConn  *conn,
                 const char *id)
{
  g_autoptr(GError) error = NULL;
  PGresult *result = eva_db_query (conn, sql_status, &error, id);

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (result) == 0)
    {
      reply_not_found (req);
      g_clear_pointer (&result, PQclear);
    }
  return result;
}

static void
delete_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) deleted = NULL;
  g_autoptr(PGresult) why = NULL;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  deleted = eva_db_query (conn, sql_delete, &error, id);
  if (deleted != NULL && PQntuples (deleted) == 1)
    {
      if (!eva_events_audit (conn, req, "event.delete", "event", id,
                             eva_db_value (deleted), &error) ||
          !eva_db_commit (conn, &error))
        {
          eva_db_rollback (conn);
          eva_request_reply_gerror (req, error);
          return;
        }
      eva_request_reply_empty (req, 204);
      return;
    }

  eva_db_rollback (conn);
  /* A booking inserted meanwhile trips the foreign key: the same answer. */
  if (deleted == NULL && !g_error_matches (error, EVA_ERROR, EVA_ERROR_CONFLICT))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  why = explain_refusal (req, conn, id);
  if (why != NULL)
    eva_events_reply_status (req, 409, "event_not_deletable", PQgetvalue (why, 0, 0),
                       "Only a draft event without bookings can be deleted");
}

void
eva_api_events_delete (EvaRequest *req)
{
  eva_request_run (req, delete_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Transitions                                                        */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char *sql;
  const char *action;
  const char *to;
  const char *refusal;
} Transition;

static const Transition transition_publish = {
  sql_publish, "event.publish", "published", "Only a draft event can be published",
};
static const Transition transition_cancel = {
  sql_cancel, "event.cancel", "cancelled", "Only a draft or published event can be cancelled",
};
static const Transition transition_archive = {
  sql_archive, "event.archive", "archived", "Only a published or cancelled event can be archived",
};

static void
reply_incomplete (EvaRequest *req,
                  PGresult   *why)
{
  g_autoptr(JsonObject) details = json_object_new ();

  if (!g_str_equal (PQgetvalue (why, 0, 1), "t"))
    json_object_set_string_member (details, "ticket_types", "at least one is required");
  if (!g_str_equal (PQgetvalue (why, 0, 2), "t"))
    json_object_set_string_member (details, "currency",
                                   "is required because some ticket types have a price");
  eva_request_reply_error (req, 409, "event_incomplete", details,
                           "The event cannot be published yet");
}

static void
transition_work (EvaRequest *req,
                 EvaDbConn  *conn,
                 gpointer    data)
{
  const Transition *t = data;
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(PGresult) why = NULL;
  g_autofree char *details = NULL;
  const char *status;

  if (!eva_db_begin (conn, &error) ||
      (result = eva_db_query (conn, t->sql, &error, id)) == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }

  if (PQntuples (result) == 1)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "from", PQgetvalue (result, 0, 0));
      json_object_set_string_member (object, "to", t->to);
      json_node_set_object (node, object);
      details = eva_json_to_string (node);

      if (!eva_events_audit (conn, req, t->action, "event", id, details, &error) ||
          (t == &transition_cancel
           && !eva_notify_event (conn, eva_request_get_config (req), id, "event_cancelled", &error)) ||
          !eva_db_commit (conn, &error))
        {
          eva_db_rollback (conn);
          eva_request_reply_gerror (req, error);
          return;
        }
      eva_request_reply_json_text (req, 200, PQgetvalue (result, 0, 1));
      return;
    }

  eva_db_rollback (conn);
  why = explain_refusal (req, conn, id);
  if (why == NULL)
    return;

  status = PQgetvalue (why, 0, 0);
  if (t == &transition_publish && g_str_equal (status, "draft"))
    reply_incomplete (req, why);
  else
    eva_events_reply_status (req, 409, "invalid_transition", status, t->refusal);
}

void
eva_api_events_publish (EvaRequest *req)
{
  eva_request_run (req, transition_work, (gpointer) &transition_publish, NULL);
}

void
eva_api_events_cancel (EvaRequest *req)
{
  eva_request_run (req, transition_work, (gpointer) &transition_cancel, NULL);
}

void
eva_api_events_archive (EvaRequest *req)
{
  eva_request_run (req, transition_work, (gpointer) &transition_archive, NULL);
}
