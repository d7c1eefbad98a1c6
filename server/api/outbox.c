/* api/outbox.c: the email outbox for administrators
 *
 *   GET  /api/v1/admin/outbox?status=&limit=&cursor=
 *        newest first, keyset-paginated by id; never the mail bodies or
 *        payloads (they hold links with tokens)
 *   POST /api/v1/admin/outbox/{mail_id}/retry
 *        dead → pending now, with a fresh set of attempts; anything else
 *        is 409 invalid_transition; {mail_id} is the row's bigint id and
 *        anything that is not a positive integer names nothing (404)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-outbox"

#include "config.h"

#include "api/eva-api.h"
#include "mail/eva-outbox.h"

#define LIST_DEFAULT      20
#define LIST_MAX          100
#define CURSOR_MAX_CHARS  32

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

#define ITEM_JSON(o) \
  "json_build_object ("                                   \
  "  'id', " o ".id,"                                     \
  "  'to_address', " o ".to_address,"                     \
  "  'template', " o ".template,"                         \
  "  'locale', " o ".locale,"                             \
  "  'status', " o ".status,"                             \
  "  'attempts', " o ".attempts,"                         \
  "  'max_attempts', " o ".max_attempts,"                 \
  "  'last_error', " o ".last_error,"                     \
  "  'next_attempt_at', " o ".next_attempt_at,"           \
  "  'created_at', " o ".created_at,"                     \
  "  'sent_at', " o ".sent_at)"

/* $1 status or NULL, $2 cursor (the last id seen) or NULL, $3 limit. */
static const char sql_list[] =
  "WITH filtered AS ("
  "  SELECT * FROM email_outbox WHERE $1::text IS NULL OR status = $1"
  "), page AS ("
  "  SELECT * FROM filtered WHERE $2::bigint IS NULL OR id < $2::bigint"
  "  ORDER BY id DESC LIMIT $3::int + 1"
  ") "
  "SELECT"
  "  (SELECT coalesce (json_agg (" ITEM_JSON ("p") " ORDER BY p.id DESC), '[]')::text"
  "     FROM (SELECT * FROM page ORDER BY id DESC LIMIT $3::int) AS p),"
  "  (SELECT count(*) FROM filtered),"
  "  CASE WHEN (SELECT count(*) FROM page) > $3::int"
  "       THEN (SELECT id FROM page ORDER BY id DESC OFFSET $3::int - 1 LIMIT 1) END";

/* $1 id, $2 staff id, $3 request id, $4 client ip. One statement: the
 * change, its audit row and the NOTIFY that wakes the workers commit
 * together. */
static const char sql_retry[] =
  "WITH old AS ("
  "  SELECT id, attempts, last_error FROM email_outbox"
  "  WHERE id = $1::bigint AND status = 'dead' FOR UPDATE"
  "), moved AS ("
  "  UPDATE email_outbox o SET status = 'pending', attempts = 0,"
  "    next_attempt_at = now (), lease_until = NULL"
  "  FROM old WHERE o.id = old.id"
  "  RETURNING o.*, old.attempts AS old_attempts, old.last_error AS old_error"
  "), audit AS ("
  "  INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id,"
  "                         details, request_id, ip)"
  "  SELECT 'staff', $2::uuid, 'outbox.retry', 'email_outbox', m.id::text,"
  "         jsonb_build_object ('template', m.template, 'attempts', m.old_attempts,"
  "                             'last_error', m.old_error),"
  "         $3, $4 FROM moved m"
  ") "
  "SELECT " ITEM_JSON ("m") "::text, pg_notify ('" EVA_OUTBOX_CHANNEL "', m.id::text) "
  "FROM moved m";

static const char sql_status[] =
  "SELECT status FROM email_outbox WHERE id = $1::bigint";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_field_error (EvaRequest *req,
                   const char *field,
                   const char *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, field, message);
  eva_request_reply_error (req, 400, "validation_failed", details,
                           "Some query parameters are not valid");
}

/* A positive bigint written plainly: digits only, no sign, no spaces. */
static gboolean
parse_id (const char *text,
          gint64     *out)
{
  guint64 value;

  if (text == NULL || *text == '\0' || strlen (text) > 19)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* List                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *status;
  char *cursor;
  char *limit;
} List;

static void
list_free (gpointer data)
{
  List *list = data;

  g_free (list->status);
  g_free (list->cursor);
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
  const char *params[] = { list->status, list->cursor, list->limit };

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
eva_api_outbox_list (EvaRequest *req)
{
  static const char * const statuses[] = { "pending", "sending", "sent", "dead" };
  const char *status = eva_request_query (req, "status");
  const char *cursor = eva_request_query (req, "cursor");
  gint64 limit, after = 0;
  List *list;

  if (!eva_query_int (req, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit))
    return;

  if (status != NULL && *status != '\0' &&
      !g_strv_contains ((const char * const *) statuses, status))
    {
      reply_field_error (req, "status", "must be pending, sending, sent or dead");
      return;
    }

  if (cursor != NULL && *cursor != '\0')
    {
      gsize len = 0;
      g_autofree guint8 *raw = strlen (cursor) <= CURSOR_MAX_CHARS
                               ? eva_base64url_decode (cursor, &len) : NULL;
      g_autofree char *text = raw != NULL ? g_strndup ((const char *) raw, len) : NULL;

      if (text == NULL || strlen (text) != len || !parse_id (text, &after))
        {
          reply_field_error (req, "cursor", "is not a cursor this server gave out");
          return;
        }
    }

  list = g_new0 (List, 1);
  list->status = status != NULL && *status != '\0' ? g_strdup (status) : NULL;
  list->cursor = after > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, after) : NULL;
  list->limit = g_strdup_printf ("%" G_GINT64_FORMAT, limit);
  eva_request_run (req, list_work, list, list_free);
}

/* ------------------------------------------------------------------ */
/* Retry                                                              */
/* ------------------------------------------------------------------ */

static void
retry_work (EvaRequest *req,
            EvaDbConn  *conn,
            gpointer    data)
{
  const char *id = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) moved = NULL;
  g_autoptr(PGresult) current = NULL;
  g_autoptr(JsonObject) details = NULL;
  const char *status;

  moved = eva_db_query (conn, sql_retry, &error, id, req->principal_id,
                        req->request_id, req->client_ip);
  if (moved == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (moved) > 0)
    {
      eva_request_reply_json_text (req, 200, PQgetvalue (moved, 0, 0));
      return;
    }

  current = eva_db_query (conn, sql_status, &error, id);
  if (current == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  status = eva_db_value (current);
  if (status == NULL)
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such mail");
      return;
    }

  details = json_object_new ();
  json_object_set_string_member (details, "status", status);
  eva_request_reply_error (req, 409, "invalid_transition", details,
                           "Only a dead mail can be retried; this one is %s", status);
}

void
eva_api_outbox_retry (EvaRequest *req)
{
  gint64 id;

  if (!parse_id (eva_request_param (req, "mail_id"), &id))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such mail");
      return;
    }

  eva_request_run (req, retry_work, g_strdup_printf ("%" G_GINT64_FORMAT, id), g_free);
}
