/* api/analytics.c: the organizer's figures, as JSON or CSV
 *
 *   GET /api/v1/admin/events/{id}/analytics[?bucket=hour|day|week]
 *   GET /api/v1/admin/analytics/events[?from=YYYY-MM-DD&to=YYYY-MM-DD]
 *
 * What the figures count is described in services/analytics.c. Both answer
 * CSV (RFC 4180, formula injection neutralised as the bookings export does)
 * with "Accept: text/csv" or "?format=csv"; the event's tables are chosen
 * with "table=" (see csv_tables below, by_type by default), the summary has
 * one. Amounts are minor units with the currency in a column of its own.
 * Every query parameter is checked: anything else is 400
 * validation_failed naming the parameter.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-analytics"

#include "config.h"

#include <string.h>

#include "api/eva-api.h"
#include "services/analytics.h"

/* ------------------------------------------------------------------ */
/* CSV tables                                                         */
/* ------------------------------------------------------------------ */

/* A column is a member of the rows; "currency" falls back to the
 * document's, "local" is the row's bucket_start in the event's time
 * zone and "ticket_type" the name of the row's ticket_type_id. */
typedef struct
{
  const char *name;           /* ?table= */
  const char *array;          /* member of the document holding the rows */
  const char *columns[16];
} CsvTable;

static const CsvTable csv_tables[] = {
  { "by_type", "by_type",
    { "ticket_type_id", "name", "price", "capacity", "sold", "held", "refunded", "gross", "discounts", "currency" } },
  { "revenue", "revenue_by_currency",
    { "currency", "gross", "discounts", "refunds", "net" } },
  { "sales", "sales_over_time",
    { "bucket_start", "local", "ticket_type_id", "ticket_type", "tickets", "gross", "currency" } },
  { "coupons", "coupons",
    { "code", "uses", "discount", "max_uses", "currency" } },
  { "payment_methods", "payment_methods",
    { "method", "bookings", "total", "paid", "currency" } },
  { "statuses", "bookings_by_status",
    { "status", "bookings" } },
  { "checkins", "checkins_over_time",
    { "bucket_start", "local", "checked_in" } },
};

static const CsvTable csv_summary = {
  "events", "events",
  { "event_id", "title", "starts_at", "status", "currency", "capacity", "sold", "gross",
    "discounts", "refunds", "net", "checked_in", "expected", "checkin_rate" },
};

static const char * const buckets[] = { "hour", "day", "week" };

static char *
node_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (!JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("");
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_strdup_printf ("%.4f", json_node_get_double (node));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    default:
      return g_strdup ("");
    }
}

static char *
local_time (const char *instant,
            GTimeZone  *tz)
{
  g_autoptr(GDateTime) utc = instant != NULL ? g_date_time_new_from_iso8601 (instant, NULL) : NULL;
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_timezone (utc, tz);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

static const char *
type_name (JsonObject *doc,
           const char *type_id)
{
  JsonArray *types = json_object_get_array_member (doc, "by_type");

  for (guint i = 0; type_id != NULL && types != NULL && i < json_array_get_length (types); i++)
    {
      JsonObject *t = json_array_get_object_element (types, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (t, "ticket_type_id", NULL), type_id) == 0)
        return json_object_get_string_member_with_default (t, "name", "");
    }
  return "";
}

static void
csv_row (GString        *out,
         const CsvTable *table,
         JsonObject     *doc,
         JsonObject     *row,
         JsonObject     *part,
         GTimeZone      *tz)
{
  for (guint c = 0; c < G_N_ELEMENTS (table->columns) && table->columns[c] != NULL; c++)
    {
      const char *col = table->columns[c];
      gboolean last = c + 1 == G_N_ELEMENTS (table->columns) || table->columns[c + 1] == NULL;
      g_autofree char *text = NULL;

      if (part != NULL && json_object_has_member (part, col))
        text = node_text (json_object_get_member (part, col));
      else if (json_object_has_member (row, col))
        text = node_text (json_object_get_member (row, col));
      else if (g_str_equal (col, "currency"))
        text = node_text (json_object_get_member (doc, "currency"));
      else if (g_str_equal (col, "local"))
        text = local_time (json_object_get_string_member_with_default (row, "bucket_start", NULL), tz);
      else if (g_str_equal (col, "ticket_type") && part != NULL)
        text = g_strdup (type_name (doc, json_object_get_string_member_with_default (part, "ticket_type_id", NULL)));
      eva_csv_append_cell (out, text != NULL ? text : "", last);
    }
}

/* The rows of @table in @json (a document of this file's service) as
 * CSV; the sales table has a row per bucket and ticket type. */
static GBytes *
render_csv (const char      *json,
            const CsvTable  *table,
            GError         **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GTimeZone) tz = NULL;
  JsonObject *doc;
  JsonArray *rows;
  gsize len;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  doc = json_node_get_object (json_parser_get_root (parser));
  rows = json_object_get_array_member (doc, table->array);
  tz = g_time_zone_new_identifier (json_object_get_string_member_with_default (doc, "timezone", "UTC"));
  if (tz == NULL)
    tz = g_time_zone_new_utc ();

  for (guint c = 0; c < G_N_ELEMENTS (table->columns) && table->columns[c] != NULL; c++)
    eva_csv_append_cell (out, table->columns[c],
                         c + 1 == G_N_ELEMENTS (table->columns) || table->columns[c + 1] == NULL);
  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonArray *parts = json_object_has_member (row, "by_type")
                         ? json_object_get_array_member (row, "by_type") : NULL;

      if (parts != NULL)
        for (guint p = 0; p < json_array_get_length (parts); p++)
          csv_row (out, table, doc, row, json_array_get_object_element (parts, p), tz);
      else
        csv_row (out, table, doc, row, NULL, tz);
    }
  len = out->len;
  return g_bytes_new_take (g_string_free (g_steal_pointer (&out), FALSE), len);
}

static void
reply_csv (EvaRequest     *req,
           const char     *json,
           const CsvTable *table,
           const char     *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = render_csv (json, table, &error);
  g_autofree char *disposition = NULL;

  if (body == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  disposition = g_strdup_printf ("attachment; filename=\"analytics-%s-%s.csv\"", table->name, what);
  eva_request_add_header (req, "Content-Disposition", disposition);
  eva_request_add_header (req, "Cache-Control", "private, no-store");
  eva_request_reply_raw (req, 200, "text/csv; charset=utf-8", body);
}

/* ------------------------------------------------------------------ */
/* Query                                                              */
/* ------------------------------------------------------------------ */

typedef struct
{
  char           *bucket;
  char           *from;
  char           *to;
  const CsvTable *csv;      /* NULL: JSON */
} Query;

static void
query_free (Query *q)
{
  g_free (q->bucket);
  g_free (q->from);
  g_free (q->to);
  g_free (q);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Query, query_free)

static gboolean
wants_csv (EvaRequest *req,
           JsonObject *errors)
{
  const char *format = eva_request_query (req, "format");
  const char *accept = eva_request_header (req, "Accept");

  if (format != NULL && *format != '\0')
    {
      if (g_str_equal (format, "csv"))
        return TRUE;
      if (!g_str_equal (format, "json"))
        json_object_set_string_member (errors, "format", "must be json or csv");
      return FALSE;
    }
  return accept != NULL && strstr (accept, "text/csv") != NULL;
}

/* "YYYY-MM-DD" of a real day, or empty/NULL (no bound). */
static gboolean
parse_day (const char  *text,
           GDate       *out)
{
  guint64 y, m, d;
  g_auto(GStrv) parts = NULL;

  if (strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  parts = g_strsplit (text, "-", 3);
  if (!g_ascii_string_to_unsigned (parts[0], 10, 1, 9999, &y, NULL)
      || !g_ascii_string_to_unsigned (parts[1], 10, 1, 12, &m, NULL)
      || !g_ascii_string_to_unsigned (parts[2], 10, 1, 31, &d, NULL)
      || !g_date_valid_dmy (d, m, y))
    return FALSE;
  g_date_set_dmy (out, d, m, y);
  return TRUE;
}

static gboolean
reply_invalid (EvaRequest *req,
               JsonObject *errors)
{
  if (json_object_get_size (errors) == 0)
    return FALSE;
  eva_request_reply_error (req, 400, "validation_failed", errors, "Invalid query");
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Per event                                                          */
/* ------------------------------------------------------------------ */

static void
event_work (EvaRequest *req,
            EvaDbConn  *conn,
            gpointer    data)
{
  Query *q = data;
  g_autoptr(GError) error = NULL;
  const char *id = eva_request_param (req, "id");
  g_autofree char *json = eva_analytics_event (conn, id, q->bucket, &error);

  if (json == NULL)
    eva_request_reply_gerror (req, error);
  else if (q->csv != NULL)
    reply_csv (req, json, q->csv, id);
  else
    eva_request_reply_json_text (req, 200, json);
}

void
eva_api_analytics_event (EvaRequest *req)
{
  g_autoptr(Query) q = g_new0 (Query, 1);
  g_autoptr(JsonObject) errors = json_object_new ();
  const char *bucket = eva_request_query (req, "bucket");
  const char *table = eva_request_query (req, "table");
  guint8 uuid[16];

  if (!eva_uuid_parse (eva_request_param (req, "id"), uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
      return;
    }
  if (bucket == NULL || *bucket == '\0')
    q->bucket = g_strdup ("day");
  else if (g_strv_contains ((const char * const *) buckets, bucket))
    q->bucket = g_strdup (bucket);
  else
    json_object_set_string_member (errors, "bucket", "must be hour, day or week");

  if (wants_csv (req, errors))
    q->csv = &csv_tables[0];
  if (table != NULL && *table != '\0')
    {
      const CsvTable *found = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (csv_tables); i++)
        if (g_str_equal (table, csv_tables[i].name))
          found = &csv_tables[i];
      if (found == NULL)
        json_object_set_string_member (errors, "table",
                                       "must be by_type, revenue, sales, coupons, payment_methods, statuses or checkins");
      else if (q->csv != NULL)
        q->csv = found;
    }
  if (reply_invalid (req, errors))
    return;
  eva_request_run (req, event_work, g_steal_pointer (&q), (GDestroyNotify) query_free);
}

/* ------------------------------------------------------------------ */
/* Across events                                                      */
/* ------------------------------------------------------------------ */

static void
summary_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  Query *q = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = eva_analytics_summary (conn, q->from, q->to, &error);

  if (json == NULL)
    eva_request_reply_gerror (req, error);
  else if (q->csv != NULL)
    reply_csv (req, json, q->csv, "summary");
  else
    eva_request_reply_json_text (req, 200, json);
}

void
eva_api_analytics_summary (EvaRequest *req)
{
  g_autoptr(Query) q = g_new0 (Query, 1);
  g_autoptr(JsonObject) errors = json_object_new ();
  const char *from = eva_request_query (req, "from");
  const char *to = eva_request_query (req, "to");
  const char *table = eva_request_query (req, "table");
  GDate from_day, to_day;

  g_date_clear (&from_day, 1);
  g_date_clear (&to_day, 1);
  if (from != NULL && *from != '\0')
    {
      if (parse_day (from, &from_day))
        q->from = g_strdup (from);
      else
        json_object_set_string_member (errors, "from", "must be a day as YYYY-MM-DD");
    }
  if (to != NULL && *to != '\0')
    {
      if (parse_day (to, &to_day))
        q->to = g_strdup (to);
      else
        json_object_set_string_member (errors, "to", "must be a day as YYYY-MM-DD");
    }
  if (q->from != NULL && q->to != NULL && g_date_compare (&from_day, &to_day) > 0)
    json_object_set_string_member (errors, "to", "must not be before from");
  if (wants_csv (req, errors))
    q->csv = &csv_summary;
  if (table != NULL && *table != '\0' && !g_str_equal (table, "events"))
    json_object_set_string_member (errors, "table", "must be events");
  if (reply_invalid (req, errors))
    return;
  eva_request_run (req, summary_work, g_steal_pointer (&q), (GDestroyNotify) query_free);
}
