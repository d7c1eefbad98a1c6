/* services/events.c: what the events, ticket-types and public handlers share
 *
 * List queries (filters, sort, cursor), the audit trail of staff changes,
 * and a few error envelopes used by more than one handler.
 *
 * Cursors are opaque to clients: base64url of the decimal offset of the next
 * page. Offsets are simple and, for lists sorted by several keys, correct;
 * a row inserted while someone pages may shift a row by one page, which is
 * acceptable for these lists.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-events"

#include "config.h"

#include "services/events.h"
#include "services/stripe.h"

static const char * const event_states[] = { "draft", "published", "cancelled", "archived" };
static const char * const sort_keys[] = {
  "starts_at", "-starts_at", "title", "-title", "created_at", "-created_at",
};

/* What anyone may read about a published or cancelled event (api/public.c
 * and the event page, site/eva-pages.c, share one prepared statement). */
#define EVA_EVENTS_PUBLIC_SQL \
  "SELECT (eva_event_json(e) || s.summary || jsonb_build_object('ticket_types', coalesce(" \
  "          (SELECT jsonb_agg(eva_ticket_type_json(t) - 'held' - 'sold'" \
  "                            ORDER BY t.sort_order, t.name, t.id)" \
  "             FROM ticket_types t WHERE t.event_id = e.id AND NOT t.hidden)," \
  "          '[]'::jsonb)))::text" \
  "  FROM events e CROSS JOIN LATERAL (" EVA_EVENTS_PUBLIC_SUMMARY_SQL ("$2", "$3") ") AS s" \
  " WHERE e.status IN ('published', 'cancelled')"

const char eva_events_public_by_id_sql[] = EVA_EVENTS_PUBLIC_SQL " AND e.id = $1::uuid";
const char eva_events_public_by_slug_sql[] = EVA_EVENTS_PUBLIC_SQL " AND e.slug = $1";

const char *
eva_events_card_offered (EvaConfig *config)
{
  return eva_stripe_enabled (config) ? "t" : "f";
}

const char *
eva_events_transfer_offered (EvaConfig *config)
{
  return config->transfer_details != NULL && *config->transfer_details != '\0' ? "t" : "f";
}

/* ------------------------------------------------------------------ */
/* Query strings                                                      */
/* ------------------------------------------------------------------ */

static gboolean
in_list (const char         *value,
         const char * const *list,
         guint               n)
{
  for (guint i = 0; i < n; i++)
    if (g_str_equal (value, list[i]))
      return TRUE;
  return FALSE;
}

char *
eva_event_cursor_encode (gint64 offset)
{
  char text[24];

  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, offset);
  return eva_base64url_encode ((const guint8 *) text, strlen (text));
}

gboolean
eva_event_cursor_decode (const char *cursor,
                         gint64     *offset)
{
  g_autofree guint8 *bytes = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  guint64 value;

  if (cursor == NULL || strlen (cursor) > 16)
    return FALSE;
  bytes = eva_base64url_decode (cursor, &len);
  if (bytes == NULL || len == 0 || len > 10)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (bytes[i]))
      return FALSE;

  text = g_strndup ((const char *) bytes, len);
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &value, NULL))
    return FALSE;
  *offset = (gint64) value;
  return TRUE;
}

/* "50%_off" → "%50\%\_off%", for ILIKE with its default escape '\'. */
char *
eva_event_search_pattern (const char *text)
{
  GString *pattern = g_string_new ("%");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  return g_string_free (pattern, FALSE);
}

static char *
parse_time (JsonObject *errors,
            const char *name,
            const char *value)
{
  g_autoptr(GDateTime) dt = eva_time_parse (value, NULL);

  if (dt == NULL || g_date_time_get_year (dt) < 1900 || g_date_time_get_year (dt) > 9999)
    {
      json_object_set_string_member (errors, name,
                                     "must be an RFC 3339 date and time with an offset, "
                                     "e.g. 2026-05-01T19:30:00+02:00");
      return NULL;
    }
  return eva_time_format (dt);
}

static void
parse_statuses (JsonObject *errors,
                GPtrArray  *statuses,
                const char *value)
{
  g_auto(GStrv) parts = g_strsplit (value, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (!in_list (parts[i], event_states, G_N_ELEMENTS (event_states)))
        {
          json_object_set_string_member (errors, "status",
                                         "must be draft, published, cancelled or archived "
                                         "(repeat it or separate several with commas)");
          return;
        }
      if (!g_ptr_array_find_with_equal_func (statuses, parts[i], g_str_equal, NULL))
        g_ptr_array_add (statuses, g_strdup (parts[i]));
    }
}

/**
 * eva_event_query_parse:
 * @admin: whether status= and sort= are understood (the public list has a
 *   fixed status and order, and ignores them like any other unknown name)
 *
 * Reads the list parameters from the raw query string (status may repeat),
 * or replies 400 validation_failed naming every bad one.
 */
gboolean
eva_event_query_parse (EvaRequest    *req,
                       gboolean       admin,
                       EvaEventQuery *query)
{
  g_autoptr(JsonObject) errors = json_object_new ();
  g_autoptr(GPtrArray) statuses = g_ptr_array_new_with_free_func (g_free);
  GUri *uri = soup_server_message_get_uri (req->msg);
  const char *raw = uri != NULL ? g_uri_get_query (uri) : NULL;

  memset (query, 0, sizeof *query);
  query->limit = EVA_EVENT_LIST_LIMIT;
  query->sort = g_strdup ("starts_at");

  if (raw != NULL && *raw != '\0')
    {
      GUriParamsIter iter;
      g_autoptr(GError) error = NULL;
      char *name;
      char *value;

      g_uri_params_iter_init (&iter, raw, -1, "&", G_URI_PARAMS_WWW_FORM);
      while (g_uri_params_iter_next (&iter, &name, &value, &error))
        {
          g_autofree char *owned_name = name;
          g_autofree char *owned_value = value;

          if (admin && g_str_equal (name, "status"))
            parse_statuses (errors, statuses, value);
          else if (g_str_equal (name, "from"))
            {
              g_free (query->from);
              query->from = parse_time (errors, "from", value);
            }
          else if (g_str_equal (name, "to"))
            {
              g_free (query->to);
              query->to = parse_time (errors, "to", value);
            }
          else if (g_str_equal (name, "q"))
            {
              const char *reason = NULL;

              g_clear_pointer (&query->pattern, g_free);
              if (!eva_validate_text (value, -1, EVA_EVENT_SEARCH_MAX,
                                      EVA_TEXT_SINGLE_LINE | EVA_TEXT_ALLOW_EMPTY, &reason))
                json_object_set_string_member (errors, "q", reason);
              else if (*g_strstrip (value) != '\0')
                query->pattern = eva_event_search_pattern (value);
            }
          else if (admin && g_str_equal (name, "sort"))
            {
              if (!in_list (value, sort_keys, G_N_ELEMENTS (sort_keys)))
                json_object_set_string_member (errors, "sort",
                                               "must be starts_at, title or created_at, "
                                               "with a leading - for descending order");
              else
                {
                  g_free (query->sort);
                  query->sort = g_strdup (value);
                }
            }
          else if (g_str_equal (name, "limit"))
            {
              guint64 limit;

              if (!g_ascii_string_to_unsigned (value, 10, 1, EVA_EVENT_LIST_MAX_LIMIT, &limit, NULL))
                json_object_set_string_member (errors, "limit",
                                               "must be a whole number between 1 and 100");
              else
                query->limit = (gint64) limit;
            }
          else if (g_str_equal (name, "cursor"))
            {
              if (*value != '\0' && !eva_event_cursor_decode (value, &query->offset))
                json_object_set_string_member (errors, "cursor",
                                               "is not a cursor this API gave out");
            }
        }

      if (error != NULL)
        json_object_set_string_member (errors, "query", "is not a valid query string");
    }

  if (query->from != NULL && query->to != NULL)
    {
      g_autoptr(GDateTime) from = eva_time_parse (query->from, NULL);
      g_autoptr(GDateTime) to = eva_time_parse (query->to, NULL);

      if (g_date_time_compare (to, from) <= 0)
        json_object_set_string_member (errors, "to", "must be after from");
    }

  if (json_object_get_size (errors) > 0)
    {
      eva_request_reply_error (req, 400, "validation_failed", errors,
                               "Some query parameters are not valid");
      eva_event_query_clear (query);
      return FALSE;
    }

  if (statuses->len > 0)
    {
      g_autoptr(GString) literal = g_string_new ("{");

      for (guint i = 0; i < statuses->len; i++)
        {
          if (i > 0)
            g_string_append_c (literal, ',');
          /* Only the known state names get here: nothing to quote. */
          g_string_append (literal, g_ptr_array_index (statuses, i));
        }
      g_string_append_c (literal, '}');
      query->statuses = g_string_free (g_steal_pointer (&literal), FALSE);
    }

  g_snprintf (query->limit_text, sizeof query->limit_text, "%" G_GINT64_FORMAT, query->limit);
  g_snprintf (query->offset_text, sizeof query->offset_text, "%" G_GINT64_FORMAT, query->offset);
  query->next_cursor = eva_event_cursor_encode (query->offset + query->limit);
  return TRUE;
}

void
eva_event_query_clear (EvaEventQuery *query)
{
  g_clear_pointer (&query->statuses, g_free);
  g_clear_pointer (&query->from, g_free);
  g_clear_pointer (&query->to, g_free);
  g_clear_pointer (&query->pattern, g_free);
  g_clear_pointer (&query->sort, g_free);
  g_clear_pointer (&query->next_cursor, g_free);
}

/* ------------------------------------------------------------------ */
/* Slugs                                                              */
/* ------------------------------------------------------------------ */

/* Every slug that a candidate derived from one title could collide with. */
static const char sql_slugs_like[] =
  "SELECT slug FROM events WHERE slug LIKE $1";

/* A slug derived from @title that no event uses yet: "summer-party", then
 * "summer-party-2", "summer-party-3", … (cut to fit 80 bytes). */
char *
eva_event_free_slug (EvaDbConn   *conn,
                     const char  *title,
                     GError     **error)
{
  g_autofree char *base = eva_slugify (title);
  g_autofree char *pattern = NULL;
  g_autoptr(GHashTable) taken = NULL;
  g_autoptr(PGresult) result = NULL;
  guint8 uuid[16];

  /* A slug that reads as a UUID would shadow an id in public look-ups. */
  if (eva_uuid_parse (base, uuid))
    {
      char *prefixed = g_strconcat ("event-", base, NULL);

      g_free (base);
      base = prefixed;
    }

  /* Candidates keep at least 60 bytes of the base, so this finds them all;
   * slugs hold no LIKE wildcards. */
  pattern = g_strdup_printf ("%.*s%%", (int) MIN (strlen (base), 60), base);
  result = eva_db_query (conn, sql_slugs_like, error, pattern);
  if (result == NULL)
    return NULL;

  taken = g_hash_table_new (g_str_hash, g_str_equal);
  for (int i = 0; i < PQntuples (result); i++)
    g_hash_table_add (taken, PQgetvalue (result, i, 0));

  if (!g_hash_table_contains (taken, base))
    return g_steal_pointer (&base);

  for (guint n = 2; ; n++)
    {
      g_autofree char *suffix = g_strdup_printf ("-%u", n);
      gsize keep = MIN (strlen (base), EVA_SLUG_MAX_LEN - strlen (suffix));
      g_autoptr(GString) candidate = g_string_new_len (base, keep);

      while (candidate->len > 0 && candidate->str[candidate->len - 1] == '-')
        g_string_truncate (candidate, candidate->len - 1);
      g_string_append (candidate, suffix);
      if (!g_hash_table_contains (taken, candidate->str))
        return g_string_free (g_steal_pointer (&candidate), FALSE);
    }
}

/* ------------------------------------------------------------------ */
/* Time zones                                                         */
/* ------------------------------------------------------------------ */

/* Cheap, unlike a scan of pg_timezone_names: an unknown zone makes
 * AT TIME ZONE fail with 22023, which eva-db maps to EVA_ERROR_INVALID. */
static const char sql_timezone_known[] =
  "SELECT now() AT TIME ZONE $1";

gboolean
eva_event_timezone_known (EvaDbConn   *conn,
                          const char  *timezone,
                          gboolean    *known,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(PGresult) result = eva_db_query (conn, sql_timezone_known, &local_error, timezone);

  if (result != NULL)
    {
      *known = TRUE;
      return TRUE;
    }
  if (g_error_matches (local_error, EVA_ERROR, EVA_ERROR_INVALID))
    {
      *known = FALSE;
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Audit trail                                                        */
/* ------------------------------------------------------------------ */

static const char sql_audit_insert[] =
  "INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id,"
  "                       details, request_id, ip)"
  " VALUES ('staff', $1::uuid, $2, $3, $4, coalesce($5::jsonb, '{}'::jsonb), $6, $7)";

static const char sql_audit_insert_diff[] =
  "INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id,"
  "                       details, request_id, ip)"
  " SELECT 'staff', $1::uuid, $2, $3, $4,"
  "        jsonb_build_object('changes', coalesce("
  "          (SELECT jsonb_object_agg(k, jsonb_build_object('from', b.j -> k, 'to', a.j -> k))"
  "             FROM (SELECT $5::jsonb AS j) AS b,"
  "                  (SELECT $6::jsonb AS j) AS a,"
  "                  jsonb_object_keys(a.j) AS k"
  "            WHERE k <> 'updated_at' AND (b.j -> k) IS DISTINCT FROM (a.j -> k)),"
  "          '{}'::jsonb)),"
  "        $7, $8";

gboolean
eva_events_audit (EvaDbConn   *conn,
                  EvaRequest  *req,
                  const char  *action,
                  const char  *target_type,
                  const char  *target_id,
                  const char  *details,
                  GError     **error)
{
  const char *params[] = {
    req->principal_id, action, target_type, target_id, details, req->request_id, req->client_ip,
  };
  g_autoptr(PGresult) result =
    eva_db_exec (conn, sql_audit_insert, G_N_ELEMENTS (params), params, error);

  return result != NULL;
}

gboolean
eva_events_audit_diff (EvaDbConn   *conn,
                       EvaRequest  *req,
                       const char  *action,
                       const char  *target_type,
                       const char  *target_id,
                       const char  *before,
                       const char  *after,
                       GError     **error)
{
  const char *params[] = {
    req->principal_id, action, target_type, target_id, before, after,
    req->request_id, req->client_ip,
  };
  g_autoptr(PGresult) result =
    eva_db_exec (conn, sql_audit_insert_diff, G_N_ELEMENTS (params), params, error);

  return result != NULL;
}

/* ------------------------------------------------------------------ */
/* Replies                                                            */
/* ------------------------------------------------------------------ */

void
eva_events_reply_field (EvaRequest *req,
                        guint       status,
                        const char *code,
                        const char *field,
                        const char *problem,
                        const char *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, field, problem);
  eva_request_reply_error (req, status, code, details, "%s", message);
}

void
eva_events_reply_locked (EvaRequest *req,
                         const char *status)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "status", status);
  eva_request_reply_error (req, 409, "event_locked", details,
                           "The event is %s and can no longer be changed", status);
}

void
eva_events_reply_status (EvaRequest *req,
                         guint       http_status,
                         const char *code,
                         const char *status,
                         const char *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "status", status);
  eva_request_reply_error (req, http_status, code, details, "%s", message);
}

char *
eva_events_time_param (GDateTime *dt)
{
  return dt != NULL ? eva_time_format (dt) : NULL;
}
