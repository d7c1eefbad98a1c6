/* api/webhooks.c: outgoing webhook endpoints, their deliveries, "send a
 * test event" and "redeliver" (organizer+; docs/webhooks.md)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-webhooks"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "eva-common.h"
#include "api/eva-api.h"
#include "db/eva-key-store.h"
#include "services/events.h"
#include "services/webhooks.h"

#define DESCRIPTION_MAX_CHARS 500
#define DELIVERIES_MAX        100

/* What an organizer's "enabled": false leaves as the reason; the worker
 * writes its own when deliveries keep failing. */
#define DISABLED_BY_ORGANIZER "disabled by an organizer"

/* With its newest delivery, so a list shows how each endpoint fares
 * (webhook_deliveries_endpoint_idx makes it one index probe). */
#define ENDPOINT_JSON \
  "json_build_object('id', e.id, 'url', e.url, 'description', e.description," \
  "  'events', to_json(e.events), 'enabled', e.enabled, 'disabled_at', e.disabled_at," \
  "  'disabled_reason', e.disabled_reason," \
  "  'disabled_by', CASE WHEN e.enabled THEN NULL" \
  "                      WHEN e.disabled_reason = '" DISABLED_BY_ORGANIZER "' THEN 'organizer'" \
  "                      ELSE 'failures' END," \
  "  'last_delivery', (SELECT " DELIVERY_JSON " FROM webhook_deliveries d" \
  "                     JOIN webhook_events v ON v.id = d.event_id" \
  "                    WHERE d.endpoint_id = e.id ORDER BY d.id DESC LIMIT 1)," \
  "  'created_at', e.created_at, 'updated_at', e.updated_at)"

#define DELIVERY_JSON \
  "json_build_object('id', d.id::text, 'event_id', d.event_id, 'event_type', v.type," \
  "  'endpoint_id', d.endpoint_id, 'status', d.status, 'attempts', d.attempts," \
  "  'next_attempt_at', CASE WHEN d.status IN ('pending', 'sending') THEN d.next_attempt_at END," \
  "  'give_up_at', d.give_up_at, 'last_attempt_at', d.last_attempt_at," \
  "  'response_status', d.response_status, 'response_excerpt', d.response_excerpt," \
  "  'last_error', d.last_error, 'delivered_at', d.delivered_at, 'created_at', d.created_at)"

typedef struct
{
  char     *url;
  char     *description;
  char     *events;        /* text[] literal, or NULL: unchanged */
  gboolean  has_enabled;
  gboolean  enabled;
} EndpointInput;

static void
endpoint_input_free (gpointer data)
{
  EndpointInput *input = data;

  g_free (input->url);
  g_free (input->description);
  g_free (input->events);
  g_free (input);
}

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

static gboolean
id_param_ok (EvaRequest *req,
             const char *what)
{
  guint8 uuid[16];

  if (eva_uuid_parse (eva_request_param (req, "id"), uuid))
    return TRUE;
  eva_request_reply_error (req, 404, "not_found", NULL, "No such %s", what);
  return FALSE;
}

/* "events": 1 to EVA_WEBHOOK_EVENTS_MAX distinct known types, as a text[]
 * literal (the types hold only [a-z._]). */
static char *
read_events (EvaInput *in,
             gboolean  required)
{
  JsonNode *node = json_object_get_member (in->object, "events");
  g_autoptr(GString) literal = g_string_new ("{");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *array;

  g_hash_table_add (in->seen, (gpointer) "events");
  if (node == NULL)
    {
      if (required)
        eva_input_error (in, "events", "is required");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      eva_input_error (in, "events", "must be a list of event types");
      return NULL;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0 || json_array_get_length (array) > EVA_WEBHOOK_EVENTS_MAX)
    {
      eva_input_error (in, "events", "must name 1 to 20 event types");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      const char *type;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING ||
          !eva_webhook_event_type_known (type = json_node_get_string (element)))
        {
          eva_input_error (in, "events", "holds an unknown event type (see docs/webhooks.md)");
          return NULL;
        }
      if (!g_hash_table_add (seen, (gpointer) type))
        {
          eva_input_error (in, "events", "names an event type twice");
          return NULL;
        }
      g_string_append_printf (literal, "%s%s", i > 0 ? "," : "", type);
    }
  g_string_append_c (literal, '}');
  return g_string_free (g_steal_pointer (&literal), FALSE);
}

/* Reads the body of a create (@creating) or an update; replies 400 itself. */
static EndpointInput *
read_endpoint (EvaRequest *req,
               gboolean    creating)
{
  g_auto(EvaInput) in = { 0 };
  g_autoptr(GPtrArray) keep = NULL;
  EndpointInput *input;
  const char *url = NULL, *description = NULL;
  gboolean enabled = TRUE;
  EvaFieldState enabled_state = EVA_FIELD_ABSENT;

  if (!eva_input_begin (&in, req))
    return NULL;
  input = g_new0 (EndpointInput, 1);
  if (eva_input_string (&in, "url", creating ? EVA_FIELD_REQUIRED : EVA_FIELD_OPTIONAL,
                        EVA_WEBHOOK_URL_MAX, &url) == EVA_FIELD_SET && url != NULL)
    {
      g_autofree char *problem = eva_webhook_url_problem (url, eva_request_get_config (req)->webhook_allow_private);

      if (problem != NULL)
        eva_input_error (&in, "url", problem);
    }
  eva_input_string (&in, "description", EVA_FIELD_OPTIONAL | EVA_FIELD_EMPTY,
                    DESCRIPTION_MAX_CHARS, &description);
  input->events = read_events (&in, creating);
  if (!creating)
    enabled_state = eva_input_bool (&in, "enabled", EVA_FIELD_OPTIONAL, &enabled);
  if (!eva_input_end (&in))
    {
      endpoint_input_free (input);
      return NULL;
    }
  input->url = g_strdup (url);
  input->description = g_strdup (description);
  input->has_enabled = enabled_state == EVA_FIELD_SET;
  input->enabled = enabled;
  return input;
}

/* ------------------------------------------------------------------ */
/* Work                                                               */
/* ------------------------------------------------------------------ */

static void
reply_one (EvaRequest *req,
           PGresult   *r,
           GError     *error,
           guint       status,
           const char *what)
{
  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0 || PQgetisnull (r, 0, 0))
    eva_request_reply_error (req, 404, "not_found", NULL, "No such %s", what);
  else
    eva_request_reply_json_text (req, status, PQgetvalue (r, 0, 0));
}

static const char sql_list[] =
  "SELECT json_build_object('items', coalesce(json_agg(" ENDPOINT_JSON " ORDER BY e.created_at, e.id),"
  "  '[]'))::text FROM webhook_endpoints e";

static void
list_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_exec (conn, sql_list, 0, NULL, &error);

  reply_one (req, r, error, 200, "webhook");
}

void
eva_api_webhooks_list (EvaRequest *req)
{
  eva_request_run (req, list_work, NULL, NULL);
}

static const char sql_get[] =
  "SELECT " ENDPOINT_JSON "::text FROM webhook_endpoints e WHERE e.id = $1::uuid";

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_get, &error, eva_request_param (req, "id"));

  reply_one (req, r, error, 200, "webhook");
}

void
eva_api_webhooks_get (EvaRequest *req)
{
  if (id_param_ok (req, "webhook"))
    eva_request_run (req, get_work, NULL, NULL);
}

/* $1 id, $2 url, $3 description, $4 events, $5 secret (sealed), $6 staff. */
static const char sql_create[] =
  "INSERT INTO webhook_endpoints AS e (id, url, description, events, secret, created_by)"
  " VALUES ($1::uuid, $2, coalesce($3, ''), $4::text[], $5, $6::uuid) "
  "RETURNING " ENDPOINT_JSON "::text";

/* The secret is stored sealed with the master key, bound to the endpoint's
 * id, and is in the answer this once (added here: the plain secret never
 * goes to the database). */
static void
create_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  EndpointInput *input = data;
  EvaKeyStore *keys = eva_key_store_get_running ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(EvaSecretText) secret = eva_webhook_new_secret ();
  g_autofree char *sealed = NULL;

  if (keys == NULL)
    {
      eva_request_reply_error (req, 500, "internal_error", NULL, "Internal server error");
      return;
    }
  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  /* Sealed with the master key the key rows are sealed with, and a
   * rotation waits for this transaction (then seals it again). */
  if (eva_key_store_check_current (keys, conn, &error))
    {
      sealed = eva_key_store_seal_webhook_secret (keys, id, secret);
      /* The alias "e" in ENDPOINT_JSON names the inserted row. */
      r = eva_db_query (conn, sql_create, &error, id, input->url, input->description,
                        input->events, sealed, req->principal_id);
    }
  if (r == NULL ||
      !eva_events_audit (conn, req, "webhook.create", "webhook", id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      if (g_error_matches (error, EVA_KEYS_ERROR, EVA_KEYS_ERROR_WRONG_KEY))
        {
          g_autofree char *after = g_strdup_printf ("%u", EVA_KEY_STORE_REFRESH_SECONDS);

          eva_request_add_header (req, "Retry-After", after);
          eva_request_reply_error (req, 503, "master_key_changed", NULL,
                                   "The master key was just replaced; try again in a few seconds");
        }
      else
        eva_request_reply_gerror (req, error);
      return;
    }
  answer = eva_json_parse (PQgetvalue (r, 0, 0), -1, &error);
  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    {
      eva_request_reply_error (req, 500, "internal_error", NULL, "Internal server error");
      return;
    }
  json_object_set_string_member (json_node_get_object (answer), "secret", secret);
  eva_request_reply_json (req, 201, answer);
}

void
eva_api_webhooks_create (EvaRequest *req)
{
  EndpointInput *input = read_endpoint (req, TRUE);

  if (input != NULL)
    eva_request_run (req, create_work, input, endpoint_input_free);
}

/* $1 id, $2 url, $3 description, $4 events, $5 enabled ("t"/"f"/NULL).
 * Enabling again clears the reason it was disabled. */
static const char sql_update[] =
  "UPDATE webhook_endpoints e SET url = coalesce($2, e.url),"
  "  description = coalesce($3, e.description), events = coalesce($4::text[], e.events),"
  "  enabled = coalesce($5::boolean, e.enabled),"
  "  disabled_at = CASE WHEN coalesce($5::boolean, e.enabled) THEN NULL"
  "                     WHEN e.enabled THEN now () ELSE e.disabled_at END,"
  "  disabled_reason = CASE WHEN coalesce($5::boolean, e.enabled) THEN NULL"
  "                         WHEN e.enabled THEN '" DISABLED_BY_ORGANIZER "' ELSE e.disabled_reason END,"
  "  updated_at = now () "
  "WHERE e.id = $1::uuid RETURNING " ENDPOINT_JSON "::text";

static void
update_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  EndpointInput *input = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  const char *id = eva_request_param (req, "id");

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  r = eva_db_query (conn, sql_update, &error, id, input->url, input->description, input->events,
                    input->has_enabled ? (input->enabled ? "t" : "f") : NULL);
  if (r != NULL && PQntuples (r) == 0)
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 404, "not_found", NULL, "No such webhook");
      return;
    }
  if (r == NULL ||
      !eva_events_audit (conn, req, "webhook.update", "webhook", id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_json_text (req, 200, PQgetvalue (r, 0, 0));
}

void
eva_api_webhooks_update (EvaRequest *req)
{
  EndpointInput *input;

  if (!id_param_ok (req, "webhook"))
    return;
  input = read_endpoint (req, FALSE);
  if (input != NULL)
    eva_request_run (req, update_work, input, endpoint_input_free);
}

static const char sql_delete[] =
  "DELETE FROM webhook_endpoints WHERE id = $1::uuid RETURNING id";

static void
delete_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  const char *id = eva_request_param (req, "id");

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  r = eva_db_query (conn, sql_delete, &error, id);
  if (r != NULL && PQntuples (r) == 0)
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 404, "not_found", NULL, "No such webhook");
      return;
    }
  if (r == NULL ||
      !eva_events_audit (conn, req, "webhook.delete", "webhook", id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_empty (req, 204);
}

void
eva_api_webhooks_delete (EvaRequest *req)
{
  if (id_param_ok (req, "webhook"))
    eva_request_run (req, delete_work, NULL, NULL);
}

/* $1 endpoint, $2 limit. Newest first. */
static const char sql_deliveries[] =
  "SELECT CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1::uuid) THEN"
  "  json_build_object('items', coalesce((SELECT json_agg(x.j ORDER BY x.id DESC) FROM"
  "    (SELECT d.id, " DELIVERY_JSON " AS j FROM webhook_deliveries d"
  "       JOIN webhook_events v ON v.id = d.event_id"
  "      WHERE d.endpoint_id = $1::uuid ORDER BY d.id DESC LIMIT $2::int) x), '[]'))::text END";

static void
deliveries_work (EvaRequest *req,
                 EvaDbConn  *conn,
                 gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *limit = g_strdup_printf ("%" G_GINT64_FORMAT, *(gint64 *) data);
  g_autoptr(PGresult) r = eva_db_query (conn, sql_deliveries, &error,
                                        eva_request_param (req, "id"), limit);

  reply_one (req, r, error, 200, "webhook");
}

void
eva_api_webhooks_deliveries (EvaRequest *req)
{
  gint64 *limit = g_new (gint64, 1);

  if (!id_param_ok (req, "webhook") ||
      !eva_query_int (req, "limit", 1, DELIVERIES_MAX, 50, limit))
    {
      g_free (limit);
      return;
    }
  eva_request_run (req, deliveries_work, limit, g_free);
}

/* $1 endpoint. A "webhook.test" event for this endpoint only; an endpoint
 * that is disabled gets none (409). */
static const char sql_test[] =
  "SELECT e.enabled, CASE WHEN e.enabled THEN eva_webhook_emit('webhook.test',"
  "  jsonb_build_object('endpoint_id', e.id, 'message', 'A test event sent from Everato'), e.id) END "
  "FROM webhook_endpoints e WHERE e.id = $1::uuid";

static const char sql_delivery_of[] =
  "SELECT " DELIVERY_JSON "::text FROM webhook_deliveries d"
  " JOIN webhook_events v ON v.id = d.event_id"
  " WHERE d.event_id = $1::uuid AND d.endpoint_id = $2::uuid";

static void
test_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  g_autoptr(PGresult) d = NULL;
  const char *id = eva_request_param (req, "id");

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  r = eva_db_query (conn, sql_test, &error, id);
  if (r != NULL && PQntuples (r) == 0)
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 404, "not_found", NULL, "No such webhook");
      return;
    }
  if (r != NULL && !g_str_equal (PQgetvalue (r, 0, 0), "t"))
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 409, "webhook_disabled", NULL,
                               "This endpoint is disabled; enable it first");
      return;
    }
  if (r == NULL ||
      (d = eva_db_query (conn, sql_delivery_of, &error, PQgetvalue (r, 0, 1), id)) == NULL ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_json_text (req, 202, PQgetvalue (d, 0, 0));
}

void
eva_api_webhooks_test (EvaRequest *req)
{
  if (id_param_ok (req, "webhook"))
    eva_request_run (req, test_work, NULL, NULL);
}

/* $1 delivery id. The same event (id and body) once more, at once; one
 * that is being sent right now is left alone (409). */
static const char sql_redeliver[] =
  "WITH d0 AS (SELECT id, status FROM webhook_deliveries WHERE id = $1::bigint FOR UPDATE),"
  " upd AS (UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now (),"
  "           give_up_at = now () + interval '3 days', lease_until = NULL"
  "         FROM d0 WHERE d.id = d0.id AND d0.status <> 'sending' RETURNING d.*)"
  "SELECT d0.status, (SELECT " DELIVERY_JSON " FROM upd d JOIN webhook_events v ON v.id = d.event_id)::text,"
  " pg_notify ('" EVA_WEBHOOK_CHANNEL "', d0.id::text) FROM d0";

static void
redeliver_work (EvaRequest *req,
                EvaDbConn  *conn,
                gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_redeliver, &error, data);

  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such delivery");
  else if (PQgetisnull (r, 0, 1))
    eva_request_reply_error (req, 409, "invalid_transition", NULL,
                             "This delivery is being sent right now");
  else
    eva_request_reply_json_text (req, 202, PQgetvalue (r, 0, 1));
}

void
eva_api_webhook_deliveries_redeliver (EvaRequest *req)
{
  const char *id = eva_request_param (req, "delivery_id");
  guint64 n;

  if (id == NULL || !g_ascii_string_to_unsigned (id, 10, 1, G_MAXINT64, &n, NULL))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such delivery");
      return;
    }
  eva_request_run (req, redeliver_work, g_strdup_printf ("%" G_GUINT64_FORMAT, n), g_free);
}
