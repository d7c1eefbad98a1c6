/* api/checkin.c: check-in at the door
 *
 *   GET    /api/v1/admin/events/{id}/checkin-lists      door staff
 *   POST   /api/v1/admin/events/{id}/checkin-lists      organizer
 *   PATCH  /api/v1/admin/checkin-lists/{id}             organizer
 *   DELETE /api/v1/admin/checkin-lists/{id}             organizer
 *   POST   /api/v1/admin/checkin/devices                door staff
 *   POST   /api/v1/admin/checkin/redeem                 door staff
 *   POST   /api/v1/admin/checkin/upload                 door staff
 *   POST   /api/v1/admin/checkins/{id}/undo             organizer, or its door user within a minute
 *   GET    /api/v1/admin/events/{id}/checkin/search     door staff
 *   GET    /api/v1/admin/events/{id}/checkin/bundle     door staff (gzip, ETag, ?since=)
 *   GET    /api/v1/admin/events/{id}/checkin/stats      door staff
 *
 * The verdicts are services/checkin.c's; docs/ARCHITECTURE.md ("Check-in")
 * has the model.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-checkin"

#include "config.h"

#include <string.h>
#include <zlib.h>

#include "eva-common.h"
#include "api/eva-api.h"
#include "api/checkin-private.h"
#include "services/checkin.h"
#include "services/events.h"

#define NAME_MAX_CHARS   100
#define NONCE_MIN        8
#define NONCE_MAX        100
#define UPLOAD_MAX       1000
#define UNDO_WINDOW_S    60
#define SEARCH_LIMIT_MAX 100
/* An increment repeats what changed this long before its cursor: a write
 * that committed late (its transaction began before the cursor was taken)
 * is not missed. Clients merge by id. */
#define BUNDLE_OVERLAP_US (30 * G_USEC_PER_SEC)

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

static void
reply_result (EvaRequest  *req,
              PGresult    *r,
              GError      *error,
              guint        status,
              const char  *what)
{
  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0 || PQgetisnull (r, 0, 0))
    eva_request_reply_error (req, 404, "not_found", NULL, "No such %s", what);
  else
    eva_request_reply_json_text (req, status, PQgetvalue (r, 0, 0));
}

/* ------------------------------------------------------------------ */
/* Lists                                                              */
/* ------------------------------------------------------------------ */

#define LIST_JSON \
  "json_build_object('id', l.id, 'event_id', l.event_id, 'name', l.name," \
  "  'all_types', l.all_types, 'ticket_type_ids', to_json(l.ticket_type_ids)," \
  "  'allow_unpaid', l.allow_unpaid, 'allow_reentry', l.allow_reentry," \
  "  'opens_at', l.opens_at, 'closes_at', l.closes_at, 'is_default', l.is_default," \
  "  'created_at', l.created_at, 'updated_at', l.updated_at)"

static const char sql_lists[] =
  "SELECT CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.id = $1::uuid) THEN"
  "  json_build_object('items', coalesce((SELECT json_agg(" LIST_JSON " ORDER BY NOT l.is_default, l.name)"
  "                                         FROM checkin_lists l WHERE l.event_id = $1::uuid), '[]'::json))::text"
  " END";

typedef struct
{
  char     *name;
  char     *all_types;
  gboolean  types_set;
  char     *types;         /* uuid[] literal */
  guint     n_types;
  char     *allow_unpaid;
  char     *allow_reentry;
  gboolean  opens_set;
  char     *opens_at;
  gboolean  closes_set;
  char     *closes_at;
} ListFields;

static void
list_fields_free (gpointer data)
{
  ListFields *f = data;

  g_free (f->name);
  g_free (f->all_types);
  g_free (f->types);
  g_free (f->allow_unpaid);
  g_free (f->allow_reentry);
  g_free (f->opens_at);
  g_free (f->closes_at);
  g_free (f);
}

static char *
bool_text (gboolean b)
{
  return g_strdup (b ? "true" : "false");
}

static ListFields *
parse_list (EvaRequest *req,
            gboolean    create)
{
  g_auto(EvaInput) in = { 0 };
  ListFields *f = g_new0 (ListFields, 1);
  const char *s;
  gboolean b;
  GDateTime *t = NULL;

  if (!eva_input_begin (&in, req))
    {
      list_fields_free (f);
      return NULL;
    }
  if (eva_input_string (&in, "name", create ? EVA_FIELD_REQUIRED : EVA_FIELD_OPTIONAL,
                        NAME_MAX_CHARS, &s) == EVA_FIELD_SET)
    f->name = g_strstrip (g_strdup (s));
  if (eva_input_bool (&in, "all_types", EVA_FIELD_OPTIONAL, &b) == EVA_FIELD_SET)
    f->all_types = bool_text (b);
  if (eva_input_bool (&in, "allow_unpaid", EVA_FIELD_OPTIONAL, &b) == EVA_FIELD_SET)
    f->allow_unpaid = bool_text (b);
  if (eva_input_bool (&in, "allow_reentry", EVA_FIELD_OPTIONAL, &b) == EVA_FIELD_SET)
    f->allow_reentry = bool_text (b);
  switch (eva_input_time (&in, "opens_at", EVA_FIELD_NULLABLE, &t))
    {
    case EVA_FIELD_SET:
      f->opens_at = eva_time_format (t);
      g_date_time_unref (t);
      G_GNUC_FALLTHROUGH;
    case EVA_FIELD_NULL:
      f->opens_set = TRUE;
      break;
    default:
      break;
    }
  t = NULL;
  switch (eva_input_time (&in, "closes_at", EVA_FIELD_NULLABLE, &t))
    {
    case EVA_FIELD_SET:
      f->closes_at = eva_time_format (t);
      g_date_time_unref (t);
      G_GNUC_FALLTHROUGH;
    case EVA_FIELD_NULL:
      f->closes_set = TRUE;
      break;
    default:
      break;
    }

  f->types_set = eva_input_uuid_list (&in, "ticket_type_ids", 100, &f->types, &f->n_types)
                 == EVA_FIELD_SET;
  if (f->name != NULL && *f->name == '\0')
    eva_input_error (&in, "name", "must not be empty");

  if (!eva_input_end (&in))
    {
      list_fields_free (f);
      return NULL;
    }
  return f;
}

/* $1 event, $2 name, $3 all_types, $4 types, $5 unpaid, $6 reentry,
 * $7 opens set, $8 opens, $9 closes set, $10 closes. */
static const char sql_list_create[] =
  "INSERT INTO checkin_lists AS l (event_id, name, all_types, ticket_type_ids, allow_unpaid,"
  "                                allow_reentry, opens_at, closes_at)"
  " SELECT e.id, $2, coalesce($3::boolean, NOT coalesce(cardinality($4::uuid[]), 0) > 0),"
  "        coalesce($4::uuid[], '{}'), coalesce($5::boolean, false), coalesce($6::boolean, false),"
  "        CASE WHEN $7::boolean THEN $8::timestamptz END,"
  "        CASE WHEN $9::boolean THEN $10::timestamptz END"
  "   FROM events e WHERE e.id = $1::uuid"
  " RETURNING " LIST_JSON "::text";

static const char sql_list_update[] =
  "UPDATE checkin_lists AS l SET"
  "       name = coalesce($2, l.name),"
  "       all_types = coalesce($3::boolean, CASE WHEN $4::uuid[] IS NOT NULL"
  "                                              THEN cardinality($4::uuid[]) = 0 ELSE l.all_types END),"
  "       ticket_type_ids = coalesce($4::uuid[], l.ticket_type_ids),"
  "       allow_unpaid = coalesce($5::boolean, l.allow_unpaid),"
  "       allow_reentry = coalesce($6::boolean, l.allow_reentry),"
  "       opens_at = CASE WHEN $7::boolean THEN $8::timestamptz ELSE l.opens_at END,"
  "       closes_at = CASE WHEN $9::boolean THEN $10::timestamptz ELSE l.closes_at END"
  " WHERE l.id = $1::uuid"
  " RETURNING " LIST_JSON "::text";

/* The list's types all belong to its event. $1 list or event, $2 types. */
static const char sql_types_of_event[] =
  "SELECT count(*) = cardinality($2::uuid[]) FROM ticket_types t"
  " WHERE t.id = ANY ($2::uuid[])"
  "   AND t.event_id = coalesce((SELECT l.event_id FROM checkin_lists l WHERE l.id = $1::uuid), $1::uuid)";

typedef struct
{
  ListFields *fields;
  gboolean    create;
} ListJob;

static void
list_job_free (gpointer data)
{
  ListJob *job = data;

  list_fields_free (job->fields);
  g_free (job);
}

static void
list_write_work (EvaRequest *req,
                 EvaDbConn  *conn,
                 gpointer    data)
{
  ListJob *job = data;
  ListFields *f = job->fields;
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;
  const char *params[] = {
    id, f->name, f->all_types, f->types, f->allow_unpaid, f->allow_reentry,
    f->opens_set ? "true" : "false", f->opens_at, f->closes_set ? "true" : "false", f->closes_at,
  };

  if (f->types_set && f->n_types > 0)
    {
      g_autoptr(PGresult) check = eva_db_query (conn, sql_types_of_event, &error, id, f->types);

      if (check == NULL)
        {
          eva_request_reply_gerror (req, error);
          return;
        }
      if (!g_str_equal (PQgetvalue (check, 0, 0), "t"))
        {
          eva_request_reply_error (req, 422, "validation_failed", NULL,
                                   "ticket_type_ids must name ticket types of this event");
          return;
        }
    }

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  r = eva_db_exec (conn, job->create ? sql_list_create : sql_list_update, G_N_ELEMENTS (params),
                   params, &error);
  if (r == NULL)
    {
      const char *constraint = eva_db_conn_last_constraint (conn);

      eva_db_rollback (conn);
      if (g_strcmp0 (constraint, "checkin_lists_event_name_key") == 0)
        eva_request_reply_error (req, 409, "name_taken", NULL, "The event has a list of that name");
      else if (g_strcmp0 (constraint, "checkin_lists_window_check") == 0)
        {
          g_autoptr(JsonObject) details = json_object_new ();

          json_object_set_string_member (details, "closes_at", "must be after opens_at");
          eva_request_reply_error (req, 422, "validation_failed", details, "closes_at must be after opens_at");
        }
      else
        eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (r) == 0)
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 404, "not_found", NULL, job->create ? "No such event" : "No such list");
      return;
    }
  if (!eva_events_audit (conn, req, job->create ? "checkin_list.create" : "checkin_list.update",
                         "checkin_list", job->create ? NULL : id, PQgetvalue (r, 0, 0), &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_json_text (req, job->create ? 201 : 200, PQgetvalue (r, 0, 0));
}

static void
list_write (EvaRequest *req,
            gboolean    create)
{
  ListFields *f;
  ListJob *job;

  if (!id_param_ok (req, create ? "event" : "list"))
    return;
  f = parse_list (req, create);
  if (f == NULL)
    return;
  job = g_new0 (ListJob, 1);
  job->fields = f;
  job->create = create;
  eva_request_run (req, list_write_work, job, list_job_free);
}

void
eva_api_checkin_lists_create (EvaRequest *req)
{
  list_write (req, TRUE);
}

void
eva_api_checkin_lists_update (EvaRequest *req)
{
  list_write (req, FALSE);
}

static void
lists_work (EvaRequest *req,
            EvaDbConn  *conn,
            gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_lists, &error, eva_request_param (req, "id"));

  reply_result (req, r, error, 200, "event");
}

void
eva_api_checkin_lists_get (EvaRequest *req)
{
  if (id_param_ok (req, "event"))
    eva_request_run (req, lists_work, NULL, NULL);
}

static const char sql_list_delete[] =
  "WITH l AS (SELECT * FROM checkin_lists WHERE id = $1::uuid FOR UPDATE),"
  " d AS (DELETE FROM checkin_lists x USING l"
  "        WHERE x.id = l.id AND NOT l.is_default"
  "          AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.list_id = l.id)"
  "        RETURNING x.id)"
  " SELECT l.is_default, EXISTS (SELECT 1 FROM d) FROM l";

static void
list_delete_work (EvaRequest *req,
                  EvaDbConn  *conn,
                  gpointer    data)
{
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;

  if (!eva_db_begin (conn, &error) || (r = eva_db_query (conn, sql_list_delete, &error, id)) == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (r) == 0)
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 404, "not_found", NULL, "No such list");
      return;
    }
  if (!g_str_equal (PQgetvalue (r, 0, 1), "t"))
    {
      gboolean is_default = g_str_equal (PQgetvalue (r, 0, 0), "t");

      eva_db_rollback (conn);
      if (is_default)
        eva_request_reply_error (req, 409, "default_list", NULL,
                                 "The event's default list cannot be deleted");
      else
        eva_request_reply_error (req, 409, "list_in_use", NULL,
                                 "This list has check-ins; it cannot be deleted");
      return;
    }
  if (!eva_events_audit (conn, req, "checkin_list.delete", "checkin_list", id, NULL, &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  eva_request_reply_empty (req, 204);
}

void
eva_api_checkin_lists_delete (EvaRequest *req)
{
  if (id_param_ok (req, "list"))
    eva_request_run (req, list_delete_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */
/* ------------------------------------------------------------------ */

static const char sql_device[] =
  "INSERT INTO checkin_devices (name, staff_id) VALUES ($1, $2::uuid)"
  " RETURNING json_build_object('id', id, 'name', name, 'created_at', created_at)::text";

static void
device_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_device, &error, data, req->principal_id);

  reply_result (req, r, error, 201, "device");
}

void
eva_api_checkin_devices_create (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0 };
  const char *name = NULL;
  char *copy;

  if (!eva_input_begin (&in, req))
    return;
  eva_input_string (&in, "name", EVA_FIELD_REQUIRED, NAME_MAX_CHARS, &name);
  if (!eva_input_end (&in))
    return;
  copy = g_strstrip (g_strdup (name));
  if (*copy == '\0')
    {
      g_free (copy);
      eva_request_reply_error (req, 400, "validation_failed", NULL, "name must not be empty");
      return;
    }
  eva_request_run (req, device_work, copy, g_free);
}

/* ------------------------------------------------------------------ */
/* Redeem and upload                                                  */
/* ------------------------------------------------------------------ */

static gboolean
nonce_ok (const char *nonce)
{
  gsize len = strlen (nonce);

  if (len < NONCE_MIN || len > NONCE_MAX)
    return FALSE;
  for (const char *c = nonce; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("-_.:", *c) == NULL)
      return FALSE;
  return TRUE;
}

/* Fills @scan from @object (a body or an upload's element), or returns
 * the first problem as "field: message". */
char *
_eva_api_checkin_parse_scan (JsonObject *object,
                             gboolean    upload,
                             EvaScan    *scan)
{
  static const char * const known[] = {
    "code", "list_id", "nonce", "type", "scanned_at", "force", "device_id", NULL,
  };
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  guint8 uuid[16];

#define STRING_MEMBER(field) \
  ((node = json_object_get_member (object, field)) != NULL && JSON_NODE_HOLDS_VALUE (node) \
   && json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL)

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    if (!g_strv_contains (known, name) || (upload && g_str_equal (name, "force")))
      return g_strdup_printf ("%s: unknown field", name);

  name = STRING_MEMBER ("code");
  if (name == NULL || *name == '\0' || strlen (name) > 512)
    return g_strdup ("code: must be a ticket code");
  scan->code = g_strdup (name);
  name = STRING_MEMBER ("list_id");
  if (name == NULL || !eva_uuid_parse (name, uuid))
    return g_strdup ("list_id: must be an id");
  scan->list_id = eva_uuid_format (uuid);
  name = STRING_MEMBER ("nonce");
  if (name == NULL || !nonce_ok (name))
    return g_strdup ("nonce: must be 8 to 100 letters, digits or -_.:");
  scan->nonce = g_strdup (name);
  name = STRING_MEMBER ("type");
  if (name == NULL || (!g_str_equal (name, "entry") && !g_str_equal (name, "exit")))
    return g_strdup ("type: must be entry or exit");
  scan->kind = g_strdup (name);
  node = json_object_get_member (object, "scanned_at");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_autoptr(GDateTime) t = NULL;

      name = STRING_MEMBER ("scanned_at");
      t = name != NULL ? g_date_time_new_from_iso8601 (name, NULL) : NULL;
      if (t == NULL || g_date_time_get_year (t) < 2000 || g_date_time_get_year (t) > 2200)
        return g_strdup ("scanned_at: must be a time (ISO 8601 with an offset)");
      scan->scanned_at = eva_time_format (t);
    }
  else if (upload)
    return g_strdup ("scanned_at: is required");
  node = json_object_get_member (object, "device_id");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      name = STRING_MEMBER ("device_id");
      if (name == NULL || !eva_uuid_parse (name, uuid))
        return g_strdup ("device_id: must be an id");
      scan->device_id = eva_uuid_format (uuid);
    }
  else if (upload)
    return g_strdup ("device_id: is required");
  node = json_object_get_member (object, "force");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return g_strdup ("force: must be true or false");
      scan->force = json_node_get_boolean (node);
    }
  if (upload)
    scan->force = TRUE;
#undef STRING_MEMBER
  return NULL;
}

/* Concurrent redeems share their statement and their commit: the HTTP
 * threads parse the scan and queue it; up to
 * BATCH_INFLIGHT pool jobs each take what is queued (up to BATCH_MAX) and
 * decide it with ONE call of eva_checkin_redeem_batch(), which also checks
 * that each door's sign-in still stands (the router leaves that to it:
 * EVA_ROUTE_OWN_SIGN_IN) — the same answers as one transaction each, but
 * one round trip and one fsync for the lot. A batch that fails (a device
 * deleted meanwhile, a deadlock with a booking being cancelled) is decided
 * again one scan at a time. */
#define BATCH_MAX      256
#define BATCH_INFLIGHT 2

typedef struct
{
  EvaRequest *req;
  EvaScan     scan;
  GError     *error;
} Pending;

static GMutex batch_lock;
static GQueue batch_queue = G_QUEUE_INIT;   /* Pending * */
static guint  batch_running;

static gboolean
finish_cb (gpointer data)
{
  EvaRequest *req = data;

  eva_request_finish (req);
  eva_request_unref (req);
  return G_SOURCE_REMOVE;
}

static void
pending_reply (Pending *p)
{
  EvaRequest *req = p->req;

  if (p->error != NULL)
    eva_request_reply_gerror (req, p->error);
  else
    switch (p->scan.outcome)
      {
      case EVA_SCAN_DECIDED:
        eva_request_reply_json_text (req, 200, p->scan.verdict);
        break;
      case EVA_SCAN_SIGNED_OUT:
        eva_request_reply_signed_out (req);
        break;
      case EVA_SCAN_NO_DEVICE:
        eva_request_reply_error (req, 422, "validation_failed", NULL, "device_id names no device");
        break;
      case EVA_SCAN_NO_LIST:
      default:
        eva_request_reply_error (req, 404, "not_found", NULL, "No such check-in list");
        break;
      }
  g_clear_error (&p->error);
  eva_scan_clear (&p->scan);
  g_free (p);
  g_main_context_invoke (req->context, finish_cb, req);
}

static void
batch_job (EvaDbConn *conn,
           gpointer   data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  g_autoptr(GPtrArray) scans = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  EvaDb *db = data;

  g_mutex_lock (&batch_lock);
  while (batch->len < BATCH_MAX && !g_queue_is_empty (&batch_queue))
    {
      Pending *p = g_queue_pop_head (&batch_queue);

      g_ptr_array_add (batch, p);
      g_ptr_array_add (scans, &p->scan);
    }
  g_mutex_unlock (&batch_lock);

  if (!eva_checkin_redeem (conn, (EvaScan **) scans->pdata, scans->len, &error))
    {
      g_debug ("a batch of %u redeems is decided again one by one: %s", batch->len,
               error->message);
      for (guint i = 0; i < batch->len; i++)
        {
          Pending *p = g_ptr_array_index (batch, i);
          EvaScan *one = &p->scan;

          if (batch->len == 1)
            p->error = g_steal_pointer (&error);
          else if (!eva_checkin_redeem (conn, &one, 1, &p->error))
            g_debug ("a redeem fails: %s", p->error->message);
        }
    }
  for (guint i = 0; i < batch->len; i++)
    pending_reply (g_ptr_array_index (batch, i));

  g_mutex_lock (&batch_lock);
  if (!g_queue_is_empty (&batch_queue))
    eva_db_push (db, batch_job, db);
  else
    batch_running--;
  g_mutex_unlock (&batch_lock);
}

static void
enqueue (EvaRequest *req,
         Pending    *p)
{
  EvaDb *db = eva_request_get_db (req);

  p->req = eva_request_ref (req);
  /* Paused as eva_request_run () does; finish_cb () finishes it. */
  req->pending = TRUE;
  req->status = 0;
  soup_server_message_pause (req->msg);

  g_mutex_lock (&batch_lock);
  g_queue_push_tail (&batch_queue, p);
  if (batch_running < BATCH_INFLIGHT)
    {
      batch_running++;
      eva_db_push (db, batch_job, db);
    }
  g_mutex_unlock (&batch_lock);
}

static void
reply_scan_problem (EvaRequest *req,
                    const char *key,
                    const char *problem,
                    const char *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  if (key != NULL)
    json_object_set_string_member (details, key, problem);
  else
    {
      const char *colon = strchr (problem, ':');
      g_autofree char *field = g_strndup (problem, colon - problem);

      json_object_set_string_member (details, field, colon + 2);
    }
  eva_request_reply_error (req, 400, "validation_failed", details, "%s", message);
}

void
eva_api_checkin_redeem (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0 };
  Pending *p;
  g_autofree char *problem = NULL;

  if (!eva_input_begin (&in, req))
    return;
  p = g_new0 (Pending, 1);
  problem = _eva_api_checkin_parse_scan (in.object, FALSE, &p->scan);
  if (problem != NULL)
    {
      reply_scan_problem (req, NULL, problem, "Some fields are not valid");
      eva_scan_clear (&p->scan);
      g_free (p);
      return;
    }
  p->scan.staff_id = g_strdup (req->principal_id);
  p->scan.session_id = g_strdup (req->session_id);
  enqueue (req, p);
}

typedef struct
{
  GArray *scans;   /* EvaScan */
} Upload;

static void
upload_free (gpointer data)
{
  Upload *u = data;

  g_array_unref (u->scans);
  g_free (u);
}

static void
upload_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  Upload *u = data;
  g_autoptr(GString) out = g_string_new ("{\"results\":[");
  g_autoptr(GPtrArray) scans = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < u->scans->len; i++)
    g_ptr_array_add (scans, &g_array_index (u->scans, EvaScan, i));

  /* All in one statement; should that fail (a device deleted meanwhile,
   * a deadlock with a booking being cancelled), each scan on its own. A
   * scan that fails even so fails the upload, which the laptop then
   * sends again: what was recorded answers the same by its nonce. */
  if (!eva_checkin_redeem (conn, (EvaScan **) scans->pdata, scans->len, &error))
    for (guint i = 0; i < scans->len; i++)
      {
        EvaScan *one = g_ptr_array_index (scans, i);
        g_autoptr(GError) local = NULL;

        if (!eva_checkin_redeem (conn, &one, 1, &local))
          {
            eva_request_reply_gerror (req, local);
            return;
          }
      }

  for (guint i = 0; i < scans->len; i++)
    {
      EvaScan *s = g_ptr_array_index (scans, i);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) result = NULL;
      g_autofree char *text = NULL;
      const char *verdict;
      JsonObject *v;

      switch (s->outcome)
        {
        case EVA_SCAN_DECIDED:
          verdict = s->verdict;
          break;
        case EVA_SCAN_NO_DEVICE:
          verdict = "{\"status\":\"rejected\",\"reason\":\"unknown_device\",\"conflict\":false}";
          break;
        case EVA_SCAN_SIGNED_OUT:   /* the router checked the sign-in */
        case EVA_SCAN_NO_LIST:
        default:
          verdict = "{\"status\":\"rejected\",\"reason\":\"unknown_list\",\"conflict\":false}";
          break;
        }
      node = json_from_string (verdict, NULL);
      v = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "nonce");
      json_builder_add_string_value (b, s->nonce);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, v != NULL ? json_object_get_string_member_with_default (v, "status", "rejected") : "rejected");
      json_builder_set_member_name (b, "reason");
      if (v != NULL && json_object_get_string_member_with_default (v, "reason", NULL) != NULL)
        json_builder_add_string_value (b, json_object_get_string_member (v, "reason"));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "conflict");
      json_builder_add_boolean_value (b, v != NULL && json_object_get_boolean_member_with_default (v, "conflict", FALSE));
      json_builder_set_member_name (b, "forced");
      json_builder_add_boolean_value (b, v != NULL && json_object_get_boolean_member_with_default (v, "forced", FALSE));
      json_builder_set_member_name (b, "checkin_id");
      if (v != NULL && json_object_get_string_member_with_default (v, "checkin_id", NULL) != NULL)
        json_builder_add_string_value (b, json_object_get_string_member (v, "checkin_id"));
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
      result = json_builder_get_root (b);
      text = eva_json_to_string (result);
      g_string_append_printf (out, "%s%s", i > 0 ? "," : "", text);
    }
  g_string_append (out, "]}");
  eva_request_reply_json_text (req, 200, out->str);
}

void
eva_api_checkin_upload (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0 };
  Upload *u;
  JsonNode *scans;
  JsonArray *array;

  if (!eva_input_begin (&in, req))
    return;
  scans = json_object_get_member (in.object, "scans");
  g_hash_table_add (in.seen, (gpointer) "scans");
  if (scans == NULL || !JSON_NODE_HOLDS_ARRAY (scans))
    eva_input_error (&in, "scans", "must be a list of scans");
  else if (json_array_get_length (json_node_get_array (scans)) == 0 ||
           json_array_get_length (json_node_get_array (scans)) > UPLOAD_MAX)
    eva_input_error (&in, "scans", "must hold 1 to 1000 scans");
  if (!eva_input_end (&in))
    return;

  array = json_node_get_array (scans);
  u = g_new0 (Upload, 1);
  u->scans = g_array_new (FALSE, TRUE, sizeof (EvaScan));
  g_array_set_clear_func (u->scans, (GDestroyNotify) eva_scan_clear);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      EvaScan scan = { 0 };
      g_autofree char *problem = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        problem = g_strdup ("scan: must be an object");
      else
        problem = _eva_api_checkin_parse_scan (json_node_get_object (node), TRUE, &scan);
      if (problem != NULL)
        {
          g_autofree char *key = g_strdup_printf ("scans[%u]", i);

          eva_scan_clear (&scan);
          reply_scan_problem (req, key, problem, "Some scans are not valid");
          upload_free (u);
          return;
        }
      /* Signatures are checked on the pool thread: a thousand of them
       * would hold this one up. */
      scan.staff_id = g_strdup (req->principal_id);
      g_array_append_val (u->scans, scan);
    }
  eva_request_run (req, upload_work, u, upload_free);
}

/* ------------------------------------------------------------------ */
/* Undo                                                               */
/* ------------------------------------------------------------------ */

/* $1 check-in, $2 staff, $3 organizer (may undo any). */
static const char sql_undo[] =
  "WITH c AS (SELECT * FROM checkins WHERE id = $1::uuid AND status = 'ok' FOR UPDATE),"
  " u AS (UPDATE checkins x SET undone_at = now(), undone_by = $2::uuid, changed_at = clock_timestamp()"
  "         FROM c WHERE x.id = c.id AND c.undone_at IS NULL"
  "          AND ($3::boolean OR (c.staff_id = $2::uuid"
  "                               AND c.created_at > now() - make_interval(secs => $4::int)))"
  "       RETURNING x.*)"
  " SELECT c.undone_at IS NOT NULL, c.staff_id = $2::uuid,"
  "        (SELECT json_build_object('id', u.id, 'ticket_id', u.ticket_id, 'list_id', u.list_id,"
  "                                  'type', u.kind, 'scanned_at', u.scanned_at,"
  "                                  'undone_at', u.undone_at)::text FROM u)"
  "   FROM c";

static void
undo_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  const char *id = eva_request_param (req, "id");
  gboolean organizer = req->role >= EVA_ROLE_ORGANIZER;
  g_autofree char *window = g_strdup_printf ("%d", UNDO_WINDOW_S);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = NULL;

  if (!eva_db_begin (conn, &error) ||
      (r = eva_db_query (conn, sql_undo, &error, id, req->principal_id,
                         organizer ? "true" : "false", window)) == NULL)
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (r) == 0)
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 404, "not_found", NULL, "No such check-in");
    }
  else if (g_str_equal (PQgetvalue (r, 0, 0), "t"))
    {
      eva_db_rollback (conn);
      eva_request_reply_error (req, 409, "already_undone", NULL, "This check-in was undone already");
    }
  else if (PQgetisnull (r, 0, 2))
    {
      gboolean own = g_str_equal (PQgetvalue (r, 0, 1), "t");

      eva_db_rollback (conn);
      if (own)
        eva_request_reply_error (req, 409, "too_late", NULL,
                                 "A check-in can be undone by its door within a minute; ask an organizer");
      else
        eva_request_reply_error (req, 403, "forbidden", NULL,
                                 "Only an organizer or the door that made it can undo a check-in");
    }
  else if (!eva_events_audit (conn, req, "checkin.undo", "checkin", id, NULL, &error) ||
           !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
    }
  else
    eva_request_reply_json_text (req, 200, PQgetvalue (r, 0, 2));
}

void
eva_api_checkins_undo (EvaRequest *req)
{
  if (id_param_ok (req, "check-in"))
    eva_request_run (req, undo_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Search                                                             */
/* ------------------------------------------------------------------ */

/* $1 event, $2 lower-case prefix, $3 upper-case prefix, $4 limit, $5
 * offset. Each arm is a prefix scan of an index. */
static const char sql_search[] =
  "WITH hits AS ("
  "  SELECT t.id FROM tickets t WHERE t.event_id = $1::uuid"
  "     AND lower(t.holder_name) LIKE $2 || '%'"
  "  UNION SELECT t.id FROM tickets t WHERE t.code LIKE $3 || '%' AND t.event_id = $1::uuid"
  "  UNION SELECT t.id FROM bookings b JOIN tickets t ON t.booking_id = b.id"
  "         WHERE b.event_id = $1::uuid AND upper(left(b.id::text, 8)) LIKE $3 || '%'"
  "  UNION SELECT t.id FROM attendees a JOIN bookings b ON b.attendee_id = a.id"
  "         JOIN tickets t ON t.booking_id = b.id"
  "         WHERE b.event_id = $1::uuid"
  "           AND (lower(a.name) LIKE $2 || '%' OR lower(a.email) LIKE $2 || '%')"
  "  UNION SELECT t.id FROM bookings b JOIN tickets t ON t.booking_id = b.id"
  "         WHERE b.event_id = $1::uuid AND b.attendee_id IS NULL"
  "           AND (lower(b.buyer_name) LIKE $2 || '%' OR lower(b.buyer_email) LIKE $2 || '%'))"
  " SELECT CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.id = $1::uuid) THEN"
  "  json_build_object('limit', $4::int, 'offset', $5::int,"
  "    'items', coalesce(json_agg(json_build_object("
  "        'ticket', eva_checkin_ticket_json(t),"
  "        'code', t.code,"
  "        'attendee_name', coalesce(a.name, b.buyer_name),"
  "        'email', coalesce(a.email, b.buyer_email),"
  "        'checked_in', EXISTS (SELECT 1 FROM checkins c WHERE c.ticket_id = t.id AND c.status = 'ok'"
  "                                AND c.kind = 'entry' AND c.undone_at IS NULL))"
  "      ORDER BY p.k), '[]'::json))::text END"
  "  FROM (SELECT t.id, lower(coalesce(nullif(t.holder_name, ''), a.name, b.buyer_name, '')) || t.id::text AS k"
  "          FROM hits h JOIN tickets t ON t.id = h.id JOIN bookings b ON b.id = t.booking_id"
  "          LEFT JOIN attendees a ON a.id = b.attendee_id"
  "         ORDER BY 2 LIMIT $4::int OFFSET $5::int) p"
  "  JOIN tickets t ON t.id = p.id JOIN bookings b ON b.id = t.booking_id"
  "  LEFT JOIN attendees a ON a.id = b.attendee_id";

typedef struct
{
  char  *lower;
  char  *upper;
  gint64 limit;
  gint64 offset;
} Search;

static void
search_free (gpointer data)
{
  Search *s = data;

  g_free (s->lower);
  g_free (s->upper);
  g_free (s);
}

static void
search_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  Search *s = data;
  g_autofree char *limit = g_strdup_printf ("%" G_GINT64_FORMAT, s->limit);
  g_autofree char *offset = g_strdup_printf ("%" G_GINT64_FORMAT, s->offset);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_search, &error, eva_request_param (req, "id"),
                                        s->lower, s->upper, limit, offset);

  reply_result (req, r, error, 200, "event");
}

/* LIKE's own characters taken literally. */
static char *
like_escape (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '%' || *c == '_' || *c == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
  return g_string_free (out, FALSE);
}

void
eva_api_checkin_search (EvaRequest *req)
{
  const char *q = eva_request_query (req, "q");
  g_autofree char *trimmed = NULL;
  g_autofree char *escaped = NULL;
  Search *s;
  gint64 limit, offset;

  if (!id_param_ok (req, "event"))
    return;
  if (!eva_query_int (req, "limit", 1, SEARCH_LIMIT_MAX, 20, &limit) ||
      !eva_query_int (req, "offset", 0, 100000, 0, &offset))
    return;
  trimmed = g_strstrip (g_strdup (q != NULL ? q : ""));
  if (g_utf8_strlen (trimmed, -1) < 2 || strlen (trimmed) > 200 || !g_utf8_validate (trimmed, -1, NULL))
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "q", "must be 2 to 200 characters");
      eva_request_reply_error (req, 400, "invalid_query", details, "The search needs at least two characters");
      return;
    }
  escaped = like_escape (trimmed);
  s = g_new0 (Search, 1);
  s->lower = g_utf8_strdown (escaped, -1);
  s->upper = g_ascii_strup (escaped, -1);
  s->limit = limit;
  s->offset = offset;
  eva_request_run (req, search_work, s, search_free);
}

/* ------------------------------------------------------------------ */
/* Bundle                                                             */
/* ------------------------------------------------------------------ */

/* $1 event, $2 since (µs since the epoch, NULL: everything). */
static const char sql_bundle[] =
  "SELECT json_build_object("
  "  'event', (SELECT json_build_object('id', e.id, 'title', e.title, 'timezone', e.timezone,"
  "                                     'starts_at', e.starts_at, 'ends_at', e.ends_at, 'status', e.status)"
  "              FROM events e WHERE e.id = $1::uuid),"
  "  'keys', (SELECT coalesce(json_agg(json_build_object('id', k.id, 'algorithm', 'Ed25519',"
  "                                    'public_key', encode(k.public_key, 'base64'),"
  "                                    'retired_at', k.retired_at) ORDER BY k.created_at), '[]'::json)"
  "             FROM signing_keys k),"
  "  'lists', (SELECT coalesce(json_agg(" LIST_JSON " ORDER BY NOT l.is_default, l.name), '[]'::json)"
  "              FROM checkin_lists l WHERE l.event_id = $1::uuid),"
  "  'tickets', (SELECT coalesce(json_agg(json_build_object("
  "                 'id', t.id, 'ticket_type_id', t.ticket_type_id, 'ticket_type', tt.name,"
  "                 'holder_name', t.holder_name, 'booking_reference', upper(left(b.id::text, 8)),"
  "                 'unpaid', b.paid_at IS NULL AND b.total > 0, 'status', t.status,"
  "                 'revoked_at', t.revoked_at) ORDER BY t.id), '[]'::json)"
  "                FROM tickets t JOIN bookings b ON b.id = t.booking_id"
  "                JOIN ticket_types tt ON tt.id = t.ticket_type_id"
  "               WHERE t.event_id = $1::uuid"
  "                 AND ($2::bigint IS NULL OR t.changed_at > to_timestamp($2::bigint / 1e6))),"
  "  'checkins', (SELECT coalesce(json_agg(json_build_object("
  "                 'id', c.id, 'ticket_id', c.ticket_id, 'list_id', c.list_id, 'type', c.kind,"
  "                 'scanned_at', c.scanned_at, 'device', d.name, 'undone', c.undone_at IS NOT NULL)"
  "                 ORDER BY c.scanned_at, c.id), '[]'::json)"
  "                 FROM checkins c LEFT JOIN checkin_devices d ON d.id = c.device_id"
  "                WHERE c.event_id = $1::uuid AND c.status = 'ok'"
  "                  AND ($2::bigint IS NULL OR c.changed_at > to_timestamp($2::bigint / 1e6))),"
  "  'cursor', (extract(epoch FROM statement_timestamp()) * 1e6)::bigint::text,"
  "  'full', $2::bigint IS NULL)::text"
  " WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = $1::uuid)";

typedef struct
{
  char    *since;   /* µs, already moved back by the overlap; NULL: all */
  gboolean gzip;
} Bundle;

static void
bundle_free (gpointer data)
{
  Bundle *b = data;

  g_free (b->since);
  g_free (b);
}

static GBytes *
gzip_bytes (const char *data,
            gsize       len)
{
  z_stream z = { 0 };
  g_autoptr(GByteArray) out = g_byte_array_sized_new (len / 4 + 64);
  guint8 buffer[16384];
  int rc;

  if (deflateInit2 (&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return NULL;
  z.next_in = (Bytef *) data;
  z.avail_in = len;
  do
    {
      z.next_out = buffer;
      z.avail_out = sizeof buffer;
      rc = deflate (&z, Z_FINISH);
      g_byte_array_append (out, buffer, sizeof buffer - z.avail_out);
    }
  while (rc == Z_OK);
  deflateEnd (&z);
  if (rc != Z_STREAM_END)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
bundle_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  Bundle *b = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_bundle, &error, eva_request_param (req, "id"), b->since);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *etag = NULL;
  const char *json, *if_none_match;
  gsize len;

  if (r == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (r) == 0)
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
      return;
    }
  json = PQgetvalue (r, 0, 0);
  len = PQgetlength (r, 0, 0);
  /* The ETag names the content without its cursor (which moves with
   * every request), so an unchanged event answers 304. */
  {
    const char *cursor = strstr (json, "\"cursor\"");

    g_checksum_update (sum, (const guchar *) json, cursor != NULL ? (gsize) (cursor - json) : len);
    etag = g_strdup_printf ("\"%.32s\"", g_checksum_get_string (sum));
  }
  eva_request_add_header (req, "ETag", etag);
  eva_request_add_header (req, "Cache-Control", "private, no-cache");
  eva_request_add_header (req, "Vary", "Accept-Encoding");
  if_none_match = eva_request_header (req, "If-None-Match");
  if (if_none_match != NULL && strstr (if_none_match, etag) != NULL)
    {
      eva_request_reply_empty (req, 304);
      return;
    }
  if (b->gzip && (body = gzip_bytes (json, len)) != NULL)
    {
      eva_request_add_header (req, "Content-Encoding", "gzip");
      eva_request_reply_raw (req, 200, "application/json", body);
      return;
    }
  eva_request_reply_json_text (req, 200, json);
}

void
eva_api_checkin_bundle (EvaRequest *req)
{
  const char *since = eva_request_query (req, "since");
  const char *accept = eva_request_header (req, "Accept-Encoding");
  Bundle *b;

  if (!id_param_ok (req, "event"))
    return;
  b = g_new0 (Bundle, 1);
  if (since != NULL)
    {
      char *end = NULL;
      gint64 us = g_ascii_strtoll (since, &end, 10);

      if (*since == '\0' || end == NULL || *end != '\0' || us <= 0 || us > G_GINT64_CONSTANT (9000000000000000))
        {
          g_autoptr(JsonObject) details = json_object_new ();

          json_object_set_string_member (details, "since", "must be a cursor from an earlier bundle");
          eva_request_reply_error (req, 400, "invalid_query", details, "The cursor is not valid");
          bundle_free (b);
          return;
        }
      b->since = g_strdup_printf ("%" G_GINT64_FORMAT, us - BUNDLE_OVERLAP_US);
    }
  if (accept != NULL)
    {
      GSList *accepted = soup_header_parse_quality_list (accept, NULL);

      for (GSList *l = accepted; l != NULL; l = l->next)
        if (g_ascii_strcasecmp (l->data, "gzip") == 0)
          b->gzip = TRUE;
      soup_header_free_list (accepted);
    }
  eva_request_run (req, bundle_work, b, bundle_free);
}

/* ------------------------------------------------------------------ */
/* Stats                                                              */
/* ------------------------------------------------------------------ */

/* Each figure one aggregate over the event's rows (indexed by event),
 * then joined on the few lists and types. */
static const char sql_stats[] =
  "WITH l AS (SELECT * FROM checkin_lists WHERE event_id = $1::uuid),"
  " tt AS (SELECT id, name FROM ticket_types WHERE event_id = $1::uuid),"
  " expected AS (SELECT t.ticket_type_id, count(*) AS n FROM tickets t"
  "               WHERE t.event_id = $1::uuid AND t.status = 'valid' GROUP BY 1),"
  " admitted AS (SELECT c.list_id, t.ticket_type_id, count(DISTINCT c.ticket_id) AS n"
  "                FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
  "               WHERE c.event_id = $1::uuid AND c.status = 'ok' AND c.kind = 'entry'"
  "                 AND c.undone_at IS NULL AND t.status = 'valid' GROUP BY 1, 2),"
  " inside AS (SELECT c.list_id, count(*) FILTER (WHERE c.kind = 'entry')"
  "                              - count(*) FILTER (WHERE c.kind = 'exit') AS n"
  "              FROM checkins c WHERE c.event_id = $1::uuid AND c.status = 'ok'"
  "               AND c.undone_at IS NULL GROUP BY 1),"
  " per AS (SELECT l.id AS list_id, tt.id AS type_id, tt.name,"
  "                coalesce(e.n, 0) AS expected, coalesce(a.n, 0) AS checked_in"
  "           FROM l JOIN tt ON l.all_types OR tt.id = ANY (l.ticket_type_ids)"
  "           LEFT JOIN expected e ON e.ticket_type_id = tt.id"
  "           LEFT JOIN admitted a ON a.list_id = l.id AND a.ticket_type_id = tt.id)"
  " SELECT CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.id = $1::uuid) THEN json_build_object("
  "  'lists', coalesce((SELECT json_agg(json_build_object("
  "        'list_id', l.id, 'name', l.name,"
  "        'checked_in', coalesce((SELECT sum(p.checked_in) FROM per p WHERE p.list_id = l.id), 0),"
  "        'expected', coalesce((SELECT sum(p.expected) FROM per p WHERE p.list_id = l.id), 0),"
  "        'inside', coalesce((SELECT i.n FROM inside i WHERE i.list_id = l.id), 0),"
  "        'by_type', coalesce((SELECT json_agg(json_build_object('ticket_type_id', p.type_id, 'name', p.name,"
  "                                    'checked_in', p.checked_in, 'expected', p.expected) ORDER BY p.name)"
  "                               FROM per p WHERE p.list_id = l.id), '[]'::json))"
  "        ORDER BY NOT l.is_default, l.name) FROM l), '[]'::json),"
  "  'arrivals', coalesce((SELECT json_agg(json_build_object('at', a.at, 'count', a.n) ORDER BY a.at)"
  "                          FROM (SELECT to_timestamp(floor(extract(epoch FROM c.scanned_at) / 300) * 300) AS at,"
  "                                       count(*) AS n FROM checkins c"
  "                                 WHERE c.event_id = $1::uuid AND c.status = 'ok' AND c.kind = 'entry'"
  "                                   AND c.undone_at IS NULL GROUP BY 1) a), '[]'::json))::text"
  " END";

static void
stats_work (EvaRequest *req,
            EvaDbConn  *conn,
            gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_stats, &error, eva_request_param (req, "id"));

  reply_result (req, r, error, 200, "event");
}

void
eva_api_checkin_stats (EvaRequest *req)
{
  if (id_param_ok (req, "event"))
    eva_request_run (req, stats_work, NULL, NULL);
}
