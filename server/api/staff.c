/* api/staff.c: staff accounts (super admins only; the route table checks)
 *
 * Two rules keep an installation manageable:
 *  - nobody demotes, disables or deletes themselves (409 cannot_change_self);
 *  - the last active super admin is never demoted, disabled or deleted
 *    (409 last_super_admin). Every change that could break this first locks
 *    all active super admins' rows in id order, so two administrators
 *    demoting each other at the same moment cannot both succeed.
 *
 * A role change, a disabled account or a deleted one takes effect on the
 * person's next request: the router confirms every staff token's sign-in
 * and reads the role as it is now (staff_check_work() in
 * http/eva-router.c). Disabling or deleting an account also revokes its
 * refresh tokens, and so does a new password (except the caller's own
 * current session).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-staff"

#include "config.h"

#include <sodium.h>

#include "api/eva-api.h"
#include "core/eva-auth.h"
#include "services/staff.h"

#define EMAIL_MAX_BYTES   254
#define NAME_MAX_CHARS    200
#define QUERY_MAX_CHARS   200
#define CURSOR_MAX_BYTES  1024
#define LIST_DEFAULT      20
#define LIST_MAX          100
#define GENERATED_BYTES   15     /* 20 characters, 120 bits */

/* ------------------------------------------------------------------ */
/* SQL                                                                */
/* ------------------------------------------------------------------ */

/* $1 q, $2 role, $3 cursor (the last lower(email) seen), $4 limit.
 * lower(email) is unique (staff_email_lower_key), so it is the key. */
static const char sql_list[] =
  "WITH filtered AS ("
  "  SELECT s AS st, lower (s.email) AS k FROM staff s"
  "  WHERE ($1::text IS NULL OR strpos (lower (s.email), lower ($1)) > 0"
  "                          OR strpos (lower (s.name), lower ($1)) > 0)"
  "    AND ($2::text IS NULL OR s.role = $2)"
  "), page AS ("
  "  SELECT st, k FROM filtered WHERE $3::text IS NULL OR k > $3"
  "  ORDER BY k LIMIT $4::int + 1"
  ") "
  "SELECT"
  "  (SELECT coalesce (json_agg (eva_staff_json (p.st) ORDER BY p.k), '[]')::text"
  "     FROM (SELECT st, k FROM page ORDER BY k LIMIT $4::int) AS p),"
  "  (SELECT count(*) FROM filtered),"
  "  CASE WHEN (SELECT count(*) FROM page) > $4::int"
  "       THEN (SELECT k FROM page ORDER BY k OFFSET $4::int - 1 LIMIT 1) END";

static const char sql_get[] =
  "SELECT eva_staff_json (s)::text FROM staff s WHERE s.id = $1::uuid";

static const char sql_get_email[] =
  "SELECT email FROM staff WHERE id = $1::uuid";

static const char sql_insert[] =
  "INSERT INTO staff (email, name, role, password_hash) VALUES ($1, $2, $3, $4) "
  "RETURNING id, eva_staff_json (staff)::text";

static const char sql_lock_super_admins[] =
  "SELECT id FROM staff WHERE role = 'super_admin' AND disabled_at IS NULL "
  "ORDER BY id FOR NO KEY UPDATE";

static const char sql_lock_target[] =
  "SELECT role, disabled_at IS NOT NULL, email FROM staff WHERE id = $1::uuid "
  "FOR NO KEY UPDATE";

static const char sql_update[] =
  "UPDATE staff SET "
  "  name = coalesce ($2, name), "
  "  role = coalesce ($3, role), "
  "  disabled_at = CASE WHEN $4::boolean IS NULL THEN disabled_at "
  "                     WHEN $4::boolean THEN coalesce (disabled_at, now ()) "
  "                     ELSE NULL END, "
  "  password_hash = coalesce ($5, password_hash) "
  "WHERE id = $1::uuid "
  "RETURNING eva_staff_json (staff)::text";

static const char sql_delete[] =
  "DELETE FROM staff WHERE id = $1::uuid";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
reply_not_found (EvaRequest *req)
{
  eva_request_reply_error (req, 404, "not_found", NULL, "No such staff account");
}

static void
reply_field_error (EvaRequest *req,
                   const char *field,
                   const char *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, field, message);
  eva_request_reply_error (req, 400, "validation_failed", details, "Some fields are not valid");
}

static gboolean
is_self (EvaRequest *req,
         const char *id)
{
  return req->principal_id != NULL && g_ascii_strcasecmp (req->principal_id, id) == 0;
}

static void
input_role (EvaInput      *in,
            EvaFieldFlags  flags,
            const char   **out)
{
  EvaRole role;

  if (eva_input_string (in, "role", flags, 32, out) == EVA_FIELD_SET &&
      !eva_role_from_string (*out, &role))
    {
      eva_input_error (in, "role", "must be super_admin, organizer or door_staff");
      *out = NULL;
    }
}

/* Locks every active super admin, then the target. Returns FALSE after
 * replying (not found, or a database error); otherwise tells whether the
 * target is an active super admin and how many there are. */
static gboolean
lock_target (EvaRequest  *req,
             EvaDbConn   *conn,
             const char  *id,
             PGresult   **target,
             gboolean    *active_super,
             int         *n_active_supers,
             GError     **error)
{
  g_autoptr(PGresult) supers = NULL;

  supers = eva_db_exec (conn, sql_lock_super_admins, 0, NULL, error);
  if (supers == NULL)
    return FALSE;
  *n_active_supers = PQntuples (supers);

  *target = eva_db_query (conn, sql_lock_target, error, id);
  if (*target == NULL)
    return FALSE;
  if (PQntuples (*target) == 0)
    {
      g_clear_pointer (target, PQclear);
      return FALSE;
    }

  *active_super = g_str_equal (PQgetvalue (*target, 0, 0), "super_admin") &&
                  !g_str_equal (PQgetvalue (*target, 0, 1), "t");
  return TRUE;
}

static void
reply_last_super_admin (EvaRequest *req)
{
  eva_request_reply_error (req, 409, "last_super_admin", NULL,
                           "This is the last active super admin; promote someone else first");
}

static void
reply_cannot_change_self (EvaRequest *req)
{
  eva_request_reply_error (req, 409, "cannot_change_self", NULL,
                           "You cannot demote, disable or delete your own account");
}

/* ------------------------------------------------------------------ */
/* List                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *q;
  char *role;
  char *cursor;
  char *limit;
} List;

static void
list_free (gpointer data)
{
  List *list = data;

  g_free (list->q);
  g_free (list->role);
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
  const char *params[] = { list->q, list->role, list->cursor, list->limit };

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
eva_api_staff_list (EvaRequest *req)
{
  const char *q = eva_request_query (req, "q");
  const char *role_text = eva_request_query (req, "role");
  const char *cursor = eva_request_query (req, "cursor");
  const char *reason = NULL;
  g_autofree char *key = NULL;
  gint64 limit;
  EvaRole role;
  List *list;

  if (!eva_query_int (req, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit))
    return;
  if (q != NULL && *q != '\0' &&
      !eva_validate_text (q, -1, QUERY_MAX_CHARS, EVA_TEXT_SINGLE_LINE | EVA_TEXT_ALLOW_EMPTY,
                          &reason))
    {
      reply_field_error (req, "q", reason);
      return;
    }
  if (role_text != NULL && *role_text != '\0' && !eva_role_from_string (role_text, &role))
    {
      reply_field_error (req, "role", "must be super_admin, organizer or door_staff");
      return;
    }
  if (cursor != NULL && *cursor != '\0')
    {
      gsize len = 0;
      g_autofree guint8 *raw = strlen (cursor) <= CURSOR_MAX_BYTES * 2
                               ? eva_base64url_decode (cursor, &len) : NULL;

      if (raw == NULL || len == 0 || len > CURSOR_MAX_BYTES ||
          !eva_validate_text ((const char *) raw, len, 0, EVA_TEXT_SINGLE_LINE, NULL))
        {
          reply_field_error (req, "cursor", "is not a cursor this server gave out");
          return;
        }
      key = g_strndup ((const char *) raw, len);
    }

  list = g_new0 (List, 1);
  list->q = q != NULL && *q != '\0' ? g_strdup (q) : NULL;
  list->role = role_text != NULL && *role_text != '\0' ? g_strdup (role_text) : NULL;
  list->cursor = g_steal_pointer (&key);
  list->limit = g_strdup_printf ("%" G_GINT64_FORMAT, limit);
  eva_request_run (req, list_work, list, list_free);
}

/* ------------------------------------------------------------------ */
/* Create                                                             */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *email;
  char *name;
  char *role;
  char *password;
  char *hash;          /* made on the hashing pool */
  gboolean generated;
} Create;

static void
create_free (gpointer data)
{
  Create *create = data;

  g_free (create->email);
  g_free (create->name);
  g_free (create->role);
  if (create->password != NULL)
    sodium_memzero (create->password, strlen (create->password));
  g_free (create->password);
  g_free (create->hash);
  g_free (create);
}

static void
create_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  Create *create = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(JsonObject) details = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *hash = create->hash;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  result = eva_db_query (conn, sql_insert, &error,
                         create->email, create->name, create->role, hash);
  if (result == NULL)
    {
      eva_db_rollback (conn);
      if (g_error_matches (error, EVA_ERROR, EVA_ERROR_CONFLICT) &&
          g_str_equal (eva_db_conn_last_constraint (conn), "staff_email_lower_key"))
        {
          g_autoptr(JsonObject) taken = json_object_new ();

          json_object_set_string_member (taken, "email", "is already used by another account");
          eva_request_reply_error (req, 409, "email_taken", taken,
                                   "A staff account with this email address already exists");
        }
      else
        eva_request_reply_gerror (req, error);
      return;
    }

  details = json_object_new ();
  json_object_set_string_member (details, "email", create->email);
  json_object_set_string_member (details, "role", create->role);
  json_object_set_boolean_member (details, "password_generated", create->generated);
  if (!eva_staff_audit (conn, req, req->principal_id, "staff.create",
                        PQgetvalue (result, 0, 0), details, &error) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }

  if (!create->generated)
    {
      eva_request_reply_json_text (req, 201, PQgetvalue (result, 0, 1));
      return;
    }

  /* A generated password is shown once, here, and never again. */
  node = json_from_string (PQgetvalue (result, 0, 1), &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      eva_request_reply_error (req, 500, "internal_error", NULL, "Internal server error");
      return;
    }
  json_object_set_string_member (json_node_get_object (node), "password", create->password);
  eva_request_reply_json (req, 201, node);
}

static void
create_then (EvaRequest *req)
{
  eva_request_run (req, create_work, NULL, NULL);
}

/* On the hashing pool, before the transaction. */
static void
create_hash (EvaRequest *req,
             gpointer    state)
{
  Create *create = state;
  g_autoptr(GError) error = NULL;

  create->hash = eva_auth_hash_password (create->password, &error);
  if (create->hash == NULL)
    eva_request_reply_gerror (req, error);
}

void
eva_api_staff_create (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  const char *email = NULL;
  const char *name = NULL;
  const char *role = NULL;
  const char *password = NULL;
  const char *reason = NULL;
  Create *create;

  if (!eva_input_begin (&in, req))
    return;

  if (eva_input_string (&in, "email", EVA_FIELD_REQUIRED, EMAIL_MAX_BYTES, &email) == EVA_FIELD_SET &&
      (strlen (email) > EMAIL_MAX_BYTES || !eva_validate_email (email)))
    eva_input_error (&in, "email", "must be a valid email address of at most 254 bytes");
  eva_input_string (&in, "name", EVA_FIELD_EMPTY, NAME_MAX_CHARS, &name);
  input_role (&in, EVA_FIELD_REQUIRED, &role);
  if (eva_staff_input_password (&in, "password", EVA_FIELD_NULLABLE, &password) == EVA_FIELD_SET &&
      !eva_validate_password (password, email, &reason))
    eva_input_error (&in, "password", reason);
  if (!eva_input_end (&in))
    return;

  create = g_new0 (Create, 1);
  create->email = g_utf8_strdown (email, -1);
  create->name = g_strdup (name != NULL ? name : "");
  create->role = g_strdup (role);
  create->generated = password == NULL;
  create->password = password != NULL ? g_strdup (password) : eva_random_token (GENERATED_BYTES);
  eva_request_set_state (req, create, create_free);
  eva_request_run_hash (req, create_hash, create_then);
}

/* ------------------------------------------------------------------ */
/* Get                                                                */
/* ------------------------------------------------------------------ */

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = eva_db_query (conn, sql_get, &error, (const char *) data);

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else if (eva_db_value (result) == NULL)
    reply_not_found (req);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

void
eva_api_staff_get (EvaRequest *req)
{
  eva_request_run (req, get_work, g_ascii_strdown (eva_request_param (req, "id"), -1), g_free);
}

/* ------------------------------------------------------------------ */
/* Update                                                             */
/* ------------------------------------------------------------------ */

typedef struct
{
  char     *id;
  char     *name;
  char     *role;
  char     *password;
  char     *hash;      /* of the new password, made on the hashing pool */
  gboolean  has_disabled;
  gboolean  disabled;
} Update;

static void
update_free (gpointer data)
{
  Update *update = data;

  g_free (update->id);
  g_free (update->name);
  g_free (update->role);
  if (update->password != NULL)
    sodium_memzero (update->password, strlen (update->password));
  g_free (update->password);
  g_free (update->hash);
  g_free (update);
}

/* Stage 1 of a password change, on the database pool: the new password
 * must fit the account's email (no reply: go on). */
static void
update_check_work (EvaRequest *req,
                   EvaDbConn  *conn,
                   gpointer    data)
{
  Update *update = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = eva_db_query (conn, sql_get_email, &error, update->id);
  const char *reason = NULL;

  if (result == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (eva_db_value (result) == NULL)
    {
      reply_not_found (req);
      return;
    }
  if (!eva_validate_password (update->password, eva_db_value (result), &reason))
    reply_field_error (req, "password", reason);
}

/* Stage 2, on the hashing pool, before any transaction holds row locks. */
static void
update_hash (EvaRequest *req,
             gpointer    state)
{
  Update *update = state;
  g_autoptr(GError) error = NULL;

  update->hash = eva_auth_hash_password (update->password, &error);
  if (update->hash == NULL)
    eva_request_reply_gerror (req, error);
}

static void
update_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  Update *update = eva_request_get_state (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) target = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(JsonObject) details = NULL;
  g_autoptr(JsonObject) changes = NULL;
  const char *hash = update->hash;
  gboolean active_super = FALSE;
  int n_supers = 0;
  const char *params[5];

  if (update->name == NULL && update->role == NULL && !update->has_disabled && hash == NULL)
    {
      get_work (req, conn, update->id);
      return;
    }

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (!lock_target (req, conn, update->id, &target, &active_super, &n_supers, &error))
    {
      eva_db_rollback (conn);
      if (error != NULL)
        eva_request_reply_gerror (req, error);
      else
        reply_not_found (req);
      return;
    }

  if (active_super && n_supers <= 1 &&
      ((update->role != NULL && !g_str_equal (update->role, "super_admin")) ||
       (update->has_disabled && update->disabled)))
    {
      eva_db_rollback (conn);
      reply_last_super_admin (req);
      return;
    }

  params[0] = update->id;
  params[1] = update->name;
  params[2] = update->role;
  params[3] = update->has_disabled ? (update->disabled ? "true" : "false") : NULL;
  params[4] = hash;
  result = eva_db_exec (conn, sql_update, G_N_ELEMENTS (params), params, &error);
  if (result == NULL)
    goto failed;

  /* A disabled account signs out everywhere; a new password ends every
   * other session (the caller's own, if it is their account, stays). */
  if (update->has_disabled && update->disabled &&
      !eva_staff_revoke_all (conn, update->id, NULL, &error))
    goto failed;
  if (hash != NULL &&
      !eva_staff_revoke_all (conn, update->id, is_self (req, update->id) ? req->session_id : NULL,
                             &error))
    goto failed;

  changes = json_object_new ();
  if (update->name != NULL)
    json_object_set_string_member (changes, "name", update->name);
  if (update->role != NULL)
    {
      json_object_set_string_member (changes, "role", update->role);
      json_object_set_string_member (changes, "previous_role", PQgetvalue (target, 0, 0));
    }
  if (update->has_disabled)
    json_object_set_boolean_member (changes, "disabled", update->disabled);
  if (hash != NULL)
    json_object_set_boolean_member (changes, "password", TRUE);
  details = json_object_new ();
  json_object_set_string_member (details, "email", PQgetvalue (target, 0, 2));
  json_object_set_object_member (details, "changes", g_steal_pointer (&changes));
  if (!eva_staff_audit (conn, req, req->principal_id, "staff.update", update->id, details, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_json_text (req, 200, eva_db_value (result));
  return;

failed:
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}

static void
update_then (EvaRequest *req)
{
  eva_request_run (req, update_work, NULL, NULL);
}

static void
update_hash_then (EvaRequest *req)
{
  eva_request_run_hash (req, update_hash, update_then);
}

void
eva_api_staff_update (EvaRequest *req)
{
  g_auto(EvaInput) in = { 0, };
  g_autofree char *id = g_ascii_strdown (eva_request_param (req, "id"), -1);
  const char *name = NULL;
  const char *role = NULL;
  const char *password = NULL;
  gboolean disabled = FALSE;
  EvaFieldState disabled_state;
  Update *update;

  if (!eva_input_begin (&in, req))
    return;
  eva_input_string (&in, "name", EVA_FIELD_EMPTY, NAME_MAX_CHARS, &name);
  input_role (&in, EVA_FIELD_OPTIONAL, &role);
  disabled_state = eva_input_bool (&in, "disabled", EVA_FIELD_OPTIONAL, &disabled);
  eva_staff_input_password (&in, "password", EVA_FIELD_OPTIONAL, &password);
  if (!eva_input_end (&in))
    return;

  if (is_self (req, id) &&
      ((role != NULL && !g_str_equal (role, "super_admin")) ||
       (disabled_state == EVA_FIELD_SET && disabled)))
    {
      reply_cannot_change_self (req);
      return;
    }

  update = g_new0 (Update, 1);
  update->id = g_steal_pointer (&id);
  update->name = g_strdup (name);
  update->role = g_strdup (role);
  update->password = g_strdup (password);
  update->has_disabled = disabled_state == EVA_FIELD_SET;
  update->disabled = disabled;
  eva_request_set_state (req, update, update_free);
  if (update->password != NULL)
    eva_request_run_then (req, update_check_work, NULL, NULL, update_hash_then);
  else
    eva_request_run (req, update_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Delete                                                             */
/* ------------------------------------------------------------------ */

static void
delete_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  const char *id = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) target = NULL;
  g_autoptr(PGresult) deleted = NULL;
  g_autoptr(JsonObject) details = NULL;
  gboolean active_super = FALSE;
  int n_supers = 0;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  if (!lock_target (req, conn, id, &target, &active_super, &n_supers, &error))
    {
      eva_db_rollback (conn);
      if (error != NULL)
        eva_request_reply_gerror (req, error);
      else
        reply_not_found (req);
      return;
    }

  if (active_super && n_supers <= 1)
    {
      eva_db_rollback (conn);
      reply_last_super_admin (req);
      return;
    }

  /* Revoke first (the rows go with the account anyway): sessions, then the
   * account, the same order a concurrent refresh takes its locks in. */
  if (!eva_staff_revoke_all (conn, id, NULL, &error))
    goto failed;
  deleted = eva_db_query (conn, sql_delete, &error, id);
  if (deleted == NULL)
    goto failed;

  details = json_object_new ();
  json_object_set_string_member (details, "email", PQgetvalue (target, 0, 2));
  json_object_set_string_member (details, "role", PQgetvalue (target, 0, 0));
  if (!eva_staff_audit (conn, req, req->principal_id, "staff.delete", id, details, &error) ||
      !eva_db_commit (conn, &error))
    goto failed;

  eva_request_reply_empty (req, 204);
  return;

failed:
  eva_db_rollback (conn);
  eva_request_reply_gerror (req, error);
}

void
eva_api_staff_delete (EvaRequest *req)
{
  g_autofree char *id = g_ascii_strdown (eva_request_param (req, "id"), -1);

  if (is_self (req, id))
    {
      reply_cannot_change_self (req);
      return;
    }

  eva_request_run (req, delete_work, g_steal_pointer (&id), g_free);
}
