/* api/attendees.c: attendee accounts as organizers see them — list,
 * details with booking counts, disable and enable
 *
 * Disabling an account ends its sessions at once (and the session check
 * refuses any account that is not unverified or active, so a session that
 * slipped through would not work either). Enabling returns it to active,
 * or to unverified if the address was never confirmed. Deleted accounts
 * are tombstones and can be neither.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-attendees"

#include "config.h"

#include "api/eva-api.h"
#include "http/eva-session.h"
#include "services/attendees.h"

#define QUERY_MAX_CHARS   200
#define CURSOR_MAX_BYTES  128
#define LIST_DEFAULT      20
#define LIST_MAX          100

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

/* $1 q, $2 status, $3/$4 cursor (created_at, id of the last row seen),
 * $5 limit. Newest first; (created_at, id) is the key. */
static const char sql_list[] =
  "WITH filtered AS ("
  "  SELECT a.* FROM attendees a"
  "  WHERE ($1::text IS NULL OR strpos (lower (a.email), lower ($1)) > 0"
  "                          OR strpos (lower (a.name), lower ($1)) > 0)"
  "    AND ($2::text IS NULL OR a.status = $2)"
  "), page AS ("
  "  SELECT * FROM filtered"
  "  WHERE $3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid)"
  "  ORDER BY created_at DESC, id DESC LIMIT $5::int + 1"
  "), shown AS ("
  "  SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT $5::int"
  ") "
  "SELECT"
  "  (SELECT coalesce (jsonb_agg (" EVA_ATTENDEE_ADMIN_JSON
  "                               ORDER BY a.created_at DESC, a.id DESC), '[]')::text"
  "     FROM shown a),"
  "  (SELECT count(*) FROM filtered),"
  "  CASE WHEN (SELECT count(*) FROM page) > $5::int THEN"
  "    (SELECT (to_json (created_at) #>> '{}') || '|' || id FROM shown"
  "     ORDER BY created_at, id LIMIT 1) END";

static const char sql_get[] =
  "SELECT (" EVA_ATTENDEE_ADMIN_JSON " || jsonb_build_object ('bookings', ("
  "  SELECT jsonb_build_object ("
  "    'total', count(*), "
  "    'held', count(*) FILTER (WHERE b.status = 'held'), "
  "    'pending_payment', count(*) FILTER (WHERE b.status = 'pending_payment'), "
  "    'confirmed', count(*) FILTER (WHERE b.status = 'confirmed'), "
  "    'expired', count(*) FILTER (WHERE b.status = 'expired'), "
  "    'cancelled', count(*) FILTER (WHERE b.status = 'cancelled'), "
  "    'refunded', count(*) FILTER (WHERE b.status = 'refunded')) "
  "  FROM bookings b WHERE b.attendee_id = a.id)))::text "
  "FROM attendees a WHERE a.id = $1::uuid";

static const char sql_lock[] =
  "SELECT status FROM attendees WHERE id = $1::uuid FOR NO KEY UPDATE";

static const char sql_disable[] =
  "UPDATE attendees a SET status = 'disabled', disabled_at = now () "
  "WHERE id = $1::uuid "
  "RETURNING " EVA_ATTENDEE_ADMIN_JSON "::text";

static const char sql_enable[] =
  "UPDATE attendees a SET disabled_at = NULL, "
  "  status = CASE WHEN email_verified_at IS NULL THEN 'unverified' ELSE 'active' END "
  "WHERE id = $1::uuid "
  "RETURNING " EVA_ATTENDEE_ADMIN_JSON "::text";

static const char sql_admin_json[] =
  "SELECT " EVA_ATTENDEE_ADMIN_JSON "::text FROM attendees a WHERE a.id = $1::uuid";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_not_found (EvaRequest *req)
{
  eva_request_reply_error (req, 404, "not_found", NULL, "No such attendee");
}

static void
reply_field (EvaRequest *req,
             const char *field,
             const char *problem)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, field, problem);
  eva_request_reply_error (req, 400, "validation_failed", details,
                           "Invalid query parameter %s", field);
}

static gboolean
is_status (const char *text)
{
  return g_strcmp0 (text, "unverified") == 0 || g_strcmp0 (text, "active") == 0 ||
         g_strcmp0 (text, "disabled") == 0 || g_strcmp0 (text, "deleted") == 0;
}

/* A cursor is base64url ("<created_at RFC 3339>|<uuid>"). */
static gboolean
parse_cursor (const char  *cursor,
              char       **created_at,
              char       **id)
{
  gsize len = 0;
  g_autofree guint8 *raw = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GDateTime) dt = NULL;
  const char *bar;
  guint8 uuid[16];

  if (strlen (cursor) > CURSOR_MAX_BYTES * 2)
    return FALSE;
  raw = eva_base64url_decode (cursor, &len);
  if (raw == NULL || len == 0 || len > CURSOR_MAX_BYTES || memchr (raw, '\0', len) != NULL)
    return FALSE;
  text = g_strndup ((const char *) raw, len);
  bar = strrchr (text, '|');
  if (bar == NULL || !eva_uuid_parse (bar + 1, uuid))
    return FALSE;

  *id = g_strdup (bar + 1);
  *created_at = g_strndup (text, bar - text);
  dt = eva_time_parse (*created_at, NULL);
  if (dt == NULL || g_date_time_get_year (dt) < 1900 || g_date_time_get_year (dt) > 9999)
    {
      g_clear_pointer (id, g_free);
      g_clear_pointer (created_at, g_free);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* List                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *q;
  char *status;
  char *after_time;
  char *after_id;
  char *limit;
} List;

static void
list_free (gpointer data)
{
  List *list = data;

  g_free (list->q);
  g_free (list->status);
  g_free (list->after_time);
  g_free (list->after_id);
  g_free (list->limit);
  g_free (list);
}

static void
list_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  List *list = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autofree char *next = NULL;
  g_autofree char *body = NULL;
  const char *params[] = { list->q, list->status, list->after_time, list->after_id, list->limit };

  result = eva_db_exec (conn, sql_list, G_N_ELEMENTS (params), params, &error);
  if (result == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (!PQgetisnull (result, 0, 2))
    {
      const char *key = PQgetvalue (result, 0, 2);
      g_autofree char *encoded = eva_base64url_encode ((const guint8 *) key, strlen (key));

      next = g_strdup_printf ("\"%s\"", encoded);
    }

  body = g_strdup_printf ("{\"items\":%s,\"total\":%s,\"next_cursor\":%s}",
                          PQgetvalue (result, 0, 0), PQgetvalue (result, 0, 1),
                          next != NULL ? next : "null");
  eva_request_reply_json_text (req, 200, body);
}

void
eva_api_attendees_list (EvaRequest *req)
{
  const char *q = eva_request_query (req, "q");
  const char *status = eva_request_query (req, "status");
  const char *cursor = eva_request_query (req, "cursor");
  const char *reason = NULL;
  g_autofree char *after_time = NULL;
  g_autofree char *after_id = NULL;
  gint64 limit;
  List *list;

  if (!eva_query_int (req, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit))
    return;
  if (q != NULL && *q != '\0' &&
      !eva_validate_text (q, -1, QUERY_MAX_CHARS, EVA_TEXT_SINGLE_LINE | EVA_TEXT_ALLOW_EMPTY,
                          &reason))
    {
      reply_field (req, "q", reason);
      return;
    }
  if (status != NULL && *status != '\0' && !is_status (status))
    {
      reply_field (req, "status", "must be unverified, active, disabled or deleted");
      return;
    }
  if (cursor != NULL && *cursor != '\0' && !parse_cursor (cursor, &after_time, &after_id))
    {
      reply_field (req, "cursor", "is not a cursor this server gave out");
      return;
    }

  list = g_new0 (List, 1);
  list->q = q != NULL && *q != '\0' ? g_strdup (q) : NULL;
  list->status = status != NULL && *status != '\0' ? g_strdup (status) : NULL;
  list->after_time = g_steal_pointer (&after_time);
  list->after_id = g_steal_pointer (&after_id);
  list->limit = g_strdup_printf ("%" G_GINT64_FORMAT, limit);
  eva_request_run (req, list_work, list, list_free);
}

/* ------------------------------------------------------------------ */
/* Details                                                            */
/* ------------------------------------------------------------------ */

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = eva_db_query (conn, sql_get, &error, eva_request_param (req, "id"));

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else if (eva_db_value (result) == NULL)
    reply_not_found (req);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

void
eva_api_attendees_get (EvaRequest *req)
{
  eva_request_run (req, get_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Disable / enable                                                   */
/* ------------------------------------------------------------------ */

static void
set_disabled_work (EvaRequest *req,
                   EvaDbConn  *conn,
                   gpointer    data)
{
  gboolean disable = GPOINTER_TO_INT (data);
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) locked = NULL;
  g_autoptr(PGresult) changed = NULL;
  const char *status;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  locked = eva_db_query (conn, sql_lock, &error, id);
  if (locked == NULL)
    goto failed;
  if (PQntuples (locked) == 0)
    {
      eva_db_rollback (conn);
      reply_not_found (req);
      return;
    }

  status = PQgetvalue (locked, 0, 0);
  if (g_str_equal (status, "deleted"))
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 409, "account_deleted", NULL,
                               "This account was deleted by its owner");
      return;
    }

  /* Already so: nothing to do, nothing to log. */
  if (disable == g_str_equal (status, "disabled"))
    {
      eva_db_rollback (conn);
      changed = eva_db_query (conn, sql_admin_json, &error, id);
      if (changed == NULL)
        eva_request_reply_gerror (req, error);
      else if (eva_db_value (changed) == NULL)
        reply_not_found (req);
      else
        eva_request_reply_json_text (req, 200, eva_db_value (changed));
      return;
    }

  changed = eva_db_query (conn, disable ? sql_disable : sql_enable, &error, id);
  if (changed == NULL ||
      (disable && !eva_session_revoke_all (conn, id, NULL, &error)) ||
      !eva_attendee_audit (conn, req, "staff", req->principal_id,
                           disable ? "attendee.disable" : "attendee.enable", id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_json_text (req, 200, eva_db_value (changed));
  return;

failed:
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}

void
eva_api_attendees_disable (EvaRequest *req)
{
  eva_request_run (req, set_disabled_work, GINT_TO_POINTER (TRUE), NULL);
}

void
eva_api_attendees_enable (EvaRequest *req)
{
  eva_request_run (req, set_disabled_work, GINT_TO_POINTER (FALSE), NULL);
}
