/* eva-door-store.c: the door's local copy of an event's check-in bundle
 *
 * One SQLite file per server and event under the user data folder
 * (everato/door-*.sqlite, folder 0700, file 0600). It holds what
 * GET …/checkin/bundle returned, merged by id (keys, lists, tickets,
 * accepted check-ins, the cursor of the next increment), the check-ins
 * this laptop made itself and the queue of scans it admitted while the
 * server did not answer. eva_door_store_decide() is the offline verdict:
 * the same order of reasons as the server's eva_checkin_redeem(), with
 * the signature checked against the synced public keys.
 *
 * No GTK here: the benchmark and the tests use it on its own. One
 * connection behind a mutex; callers run it in GTask threads.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-door-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "eva-common.h"
#include "eva-ticket-code.h"
#include "door/eva-door-store.h"

struct _EvaDoorStore
{
  GObject  parent_instance;

  char    *path;
  sqlite3 *db;
  GMutex   lock;
  char    *cursor;     /* of the last bundle applied, kept in memory too */
};

G_DEFINE_TYPE (EvaDoorStore, eva_door_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (eva-door-store-error-quark, eva_door_store_error)

static const char sql_schema[] =
  "PRAGMA journal_mode = WAL;"
  "PRAGMA synchronous = NORMAL;"
  "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);"
  "CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, public_key BLOB NOT NULL);"
  "CREATE TABLE IF NOT EXISTS lists (id TEXT PRIMARY KEY, name TEXT, all_types INTEGER,"
  "  allow_unpaid INTEGER, allow_reentry INTEGER, opens_at INTEGER, closes_at INTEGER);"
  "CREATE TABLE IF NOT EXISTS list_types (list_id TEXT, type_id TEXT, PRIMARY KEY (list_id, type_id));"
  "CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, type_id TEXT, type_name TEXT,"
  "  holder TEXT, reference TEXT, unpaid INTEGER, status TEXT);"
  "CREATE TABLE IF NOT EXISTS checkins (id TEXT PRIMARY KEY, ticket_id TEXT, list_id TEXT,"
  "  kind TEXT, scanned_at INTEGER, device TEXT, undone INTEGER, local INTEGER DEFAULT 0);"
  "CREATE INDEX IF NOT EXISTS checkins_ticket_idx ON checkins (ticket_id, list_id, scanned_at);"
  "CREATE TABLE IF NOT EXISTS queue (nonce TEXT PRIMARY KEY, code TEXT, list_id TEXT, kind TEXT,"
  "  scanned_at INTEGER, ticket_id TEXT, force INTEGER, state TEXT DEFAULT 'waiting',"
  "  reason TEXT, conflict INTEGER DEFAULT 0);";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

typedef sqlite3_stmt Stmt;

static void
stmt_free (Stmt *s)
{
  sqlite3_finalize (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stmt, stmt_free)

/* A statement with @n text parameters (NULL binds NULL). */
static Stmt *
prepare (EvaDoorStore *self,
         const char   *sql,
         int           n,
         ...)
{
  Stmt *s = NULL;
  va_list args;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &s, NULL) != SQLITE_OK)
    g_error ("door store: %s: %s", sqlite3_errmsg (self->db), sql);
  va_start (args, n);
  for (int i = 1; i <= n; i++)
    {
      const char *value = va_arg (args, const char *);

      if (value == NULL)
        sqlite3_bind_null (s, i);
      else
        sqlite3_bind_text (s, i, value, -1, SQLITE_TRANSIENT);
    }
  va_end (args);
  return s;
}

static void
run (EvaDoorStore *self,
     Stmt         *s)
{
  int rc;

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    g_warning ("door store: %s", sqlite3_errmsg (self->db));
}

static void
exec (EvaDoorStore *self,
      const char   *sql)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_warning ("door store: %s", message);
      sqlite3_free (message);
    }
}

static char *
column_dup (Stmt *s,
            int   i)
{
  return g_strdup ((const char *) sqlite3_column_text (s, i));
}

static gint64
parse_time (const char *iso)
{
  g_autoptr(GDateTime) dt = NULL;

  if (iso == NULL)
    return 0;
  dt = g_date_time_new_from_iso8601 (iso, NULL);
  return dt != NULL ? g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt) : 0;
}

static char *
format_time (gint64 us)
{
  g_autoptr(GDateTime) base = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) dt = g_date_time_add (base, us % G_USEC_PER_SEC);

  return g_date_time_format_iso8601 (dt);
}

/* Members of what the server sent, or NULL / @fallback when absent or of
 * another type: a bundle is input, and json-glib's typed getters warn
 * (and return nothing useful) on a type they do not expect. */
static const char *
member_string (JsonObject *o,
               const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
}

static gboolean
member_bool (JsonObject *o,
             const char *name,
             gboolean    fallback)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN ? json_node_get_boolean (node) : fallback;
}

static JsonArray *
member_array (JsonObject *o,
              const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
element_object (JsonArray *a,
                guint      i)
{
  JsonNode *node = json_array_get_element (a, i);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
bind_time (Stmt       *s,
           int         i,
           const char *iso)
{
  if (iso == NULL)
    sqlite3_bind_null (s, i);
  else
    sqlite3_bind_int64 (s, i, parse_time (iso));
}

static void
apply_list (EvaDoorStore *self,
            JsonObject   *l)
{
  const char *id = member_string (l, "id");
  g_autoptr(Stmt) s = prepare (self, "INSERT OR REPLACE INTO lists VALUES (?, ?, ?, ?, ?, ?, ?)", 2, id, member_string (l, "name"));
  g_autoptr(Stmt) del = prepare (self, "DELETE FROM list_types WHERE list_id = ?", 1, id);
  JsonArray *types = member_array (l, "ticket_type_ids");

  sqlite3_bind_int (s, 3, member_bool (l, "all_types", TRUE));
  sqlite3_bind_int (s, 4, member_bool (l, "allow_unpaid", FALSE));
  sqlite3_bind_int (s, 5, member_bool (l, "allow_reentry", FALSE));
  bind_time (s, 6, member_string (l, "opens_at"));
  bind_time (s, 7, member_string (l, "closes_at"));
  run (self, s);
  run (self, del);
  for (guint i = 0; types != NULL && i < json_array_get_length (types); i++)
    {
      JsonNode *type = json_array_get_element (types, i);
      g_autoptr(Stmt) t = NULL;

      if (!JSON_NODE_HOLDS_VALUE (type) || json_node_get_value_type (type) != G_TYPE_STRING)
        continue;
      t = prepare (self, "INSERT OR IGNORE INTO list_types VALUES (?, ?)", 2, id, json_node_get_string (type));
      run (self, t);
    }
}

static void
apply_ticket (EvaDoorStore *self,
              Stmt         *s,
              JsonObject   *t)
{
  sqlite3_reset (s);
  sqlite3_bind_text (s, 1, member_string (t, "id"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, member_string (t, "ticket_type_id"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, member_string (t, "ticket_type"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 4, member_string (t, "holder_name"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 5, member_string (t, "booking_reference"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (s, 6, member_bool (t, "unpaid", FALSE));
  sqlite3_bind_text (s, 7, member_string (t, "status"), -1, SQLITE_TRANSIENT);
  run (self, s);
}

static void
apply_checkin (EvaDoorStore *self,
               Stmt         *s,
               JsonObject   *c)
{
  sqlite3_reset (s);
  sqlite3_bind_text (s, 1, member_string (c, "id"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, member_string (c, "ticket_id"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, member_string (c, "list_id"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 4, member_string (c, "type"), -1, SQLITE_TRANSIENT);
  bind_time (s, 5, member_string (c, "scanned_at"));
  sqlite3_bind_text (s, 6, member_string (c, "device"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (s, 7, member_bool (c, "undone", FALSE));
  run (self, s);
}

static char *
meta_unlocked (EvaDoorStore *self,
               const char   *key)
{
  g_autoptr(Stmt) s = prepare (self, "SELECT v FROM meta WHERE k = ?", 1, key);

  return sqlite3_step (s) == SQLITE_ROW ? column_dup (s, 0) : NULL;
}

static JsonObject *
ticket_json (Stmt *s)
{
  JsonObject *t = json_object_new ();

  json_object_set_string_member (t, "id", (const char *) sqlite3_column_text (s, 0));
  json_object_set_string_member (t, "ticket_type_id", (const char *) sqlite3_column_text (s, 1));
  json_object_set_string_member (t, "ticket_type", (const char *) sqlite3_column_text (s, 2));
  json_object_set_string_member (t, "holder_name", (const char *) sqlite3_column_text (s, 3));
  json_object_set_string_member (t, "booking_reference", (const char *) sqlite3_column_text (s, 4));
  json_object_set_boolean_member (t, "unpaid", sqlite3_column_int (s, 5));
  json_object_set_string_member (t, "status", (const char *) sqlite3_column_text (s, 6));
  return t;
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_door_store_finalize (GObject *object)
{
  EvaDoorStore *self = EVA_DOOR_STORE (object);

  g_clear_pointer (&self->db, sqlite3_close);
  g_free (self->path);
  g_free (self->cursor);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (eva_door_store_parent_class)->finalize (object);
}

static void
eva_door_store_class_init (EvaDoorStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eva_door_store_finalize;
}

static void
eva_door_store_init (EvaDoorStore *self)
{
  g_mutex_init (&self->lock);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/* The store of @event_id on @server_url: a file of its own in
 * $XDG_DATA_HOME/everato. */
char *
eva_door_store_path_for (const char *server_url,
                         const char *event_id)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, server_url, -1);
  g_autofree char *name = g_strdup_printf ("door-%.16s-%s.sqlite", hash, event_id);

  return g_build_filename (g_get_user_data_dir (), "everato", name, NULL);
}

EvaDoorStore *
eva_door_store_open (const char  *path,
                     GError     **error)
{
  g_autoptr(EvaDoorStore) self = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  eva_common_init ();
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", dir, g_strerror (saved));
      return NULL;
    }
  /* Not world-readable: the holders' names are in it. */
  g_chmod (dir, 0700);
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path, g_strerror (saved));
      return NULL;
    }
  close (fd);
  g_chmod (path, 0600);

  self = g_object_new (EVA_TYPE_DOOR_STORE, NULL);
  self->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_set_error (error, EVA_DOOR_STORE_ERROR, EVA_DOOR_STORE_ERROR_FAILED, "%s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 2000);
  if (sqlite3_exec (self->db, sql_schema, NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, EVA_DOOR_STORE_ERROR, EVA_DOOR_STORE_ERROR_FAILED, "%s: %s", path,
                   sqlite3_errmsg (self->db));
      return NULL;
    }
  self->cursor = meta_unlocked (self, "cursor");
  return g_steal_pointer (&self);
}

const char *
eva_door_store_get_path (EvaDoorStore *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_STORE (self), NULL);
  return self->path;
}

char *
eva_door_store_get_meta (EvaDoorStore *self,
                         const char   *key)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return meta_unlocked (self, key);
}

void
eva_door_store_set_meta (EvaDoorStore *self,
                         const char   *key,
                         const char   *value)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(Stmt) s = prepare (self, "INSERT OR REPLACE INTO meta VALUES (?, ?)", 2, key, value);

  run (self, s);
}

gboolean
eva_door_store_has_bundle (EvaDoorStore *self)
{
  g_autofree char *cursor = eva_door_store_dup_cursor (self);

  return cursor != NULL;
}

/* The cursor of the next increment, or NULL: from memory, so the main
 * loop may ask. */
char *
eva_door_store_dup_cursor (EvaDoorStore *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return g_strdup (self->cursor);
}

/* Merges a bundle (the JSON text of GET …/checkin/bundle) by id; a full
 * one replaces what the server sent before (this laptop's own waiting
 * check-ins stay). */
gboolean
eva_door_store_apply_bundle (EvaDoorStore  *self,
                             GBytes        *json,
                             GError       **error)
{
  g_autoptr(JsonNode) doc = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(Stmt) ticket = NULL;
  g_autoptr(Stmt) checkin = NULL;
  g_autoptr(Stmt) cursor = NULL;
  g_autoptr(Stmt) event = NULL;
  JsonObject *root;
  JsonArray *keys, *lists, *tickets, *checkins;
  JsonObject *ev;
  gsize size = 0;
  const char *data = g_bytes_get_data (json, &size);

  /* The strict parser: json-glib alone leaks what it built of a document
   * it then finds broken, and takes an empty one for no document. */
  doc = eva_json_parse (data, (gssize) size, &parse_error);
  if (doc == NULL)
    {
      g_set_error (error, EVA_DOOR_STORE_ERROR, EVA_DOOR_STORE_ERROR_BAD_BUNDLE,
                   "The server's check-in bundle is not JSON: %s", parse_error->message);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (doc) ||
      (root = json_node_get_object (doc)) == NULL ||
      member_string (root, "cursor") == NULL ||
      !json_object_has_member (root, "tickets") || !json_object_has_member (root, "keys"))
    {
      g_set_error_literal (error, EVA_DOOR_STORE_ERROR, EVA_DOOR_STORE_ERROR_BAD_BUNDLE,
                           "The server's check-in bundle is not what the app expects");
      return FALSE;
    }
  keys = member_array (root, "keys");
  lists = member_array (root, "lists");
  tickets = member_array (root, "tickets");
  checkins = member_array (root, "checkins");
  ev = json_object_get_member (root, "event") != NULL &&
       JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "event"))
       ? json_object_get_object_member (root, "event") : NULL;

  locker = g_mutex_locker_new (&self->lock);
  exec (self, "BEGIN");
  if (member_bool (root, "full", FALSE))
    exec (self, "DELETE FROM keys; DELETE FROM lists; DELETE FROM list_types; DELETE FROM tickets;"
                "DELETE FROM checkins WHERE local = 0;");
  for (guint i = 0; keys != NULL && i < json_array_get_length (keys); i++)
    {
      JsonObject *k = element_object (keys, i);
      gsize len = 0;
      g_autofree guchar *pk = NULL;
      g_autoptr(Stmt) s = NULL;

      if (member_string (k, "public_key") == NULL)
        continue;
      pk = g_base64_decode (member_string (k, "public_key"), &len);
      s = prepare (self, "INSERT OR REPLACE INTO keys VALUES (?, ?)", 1, member_string (k, "id"));
      sqlite3_bind_blob (s, 2, pk, len, SQLITE_TRANSIENT);
      run (self, s);
    }
  for (guint i = 0; lists != NULL && i < json_array_get_length (lists); i++)
    if (element_object (lists, i) != NULL)
      apply_list (self, element_object (lists, i));
  ticket = prepare (self, "INSERT OR REPLACE INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?)", 0);
  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    if (element_object (tickets, i) != NULL)
      apply_ticket (self, ticket, element_object (tickets, i));
  checkin = prepare (self, "INSERT OR REPLACE INTO checkins (id, ticket_id, list_id, kind, scanned_at,"
                           " device, undone, local) VALUES (?, ?, ?, ?, ?, ?, ?, 0)", 0);
  for (guint i = 0; checkins != NULL && i < json_array_get_length (checkins); i++)
    if (element_object (checkins, i) != NULL)
      apply_checkin (self, checkin, element_object (checkins, i));
  if (ev != NULL)
    {
      event = prepare (self, "INSERT OR REPLACE INTO meta VALUES ('event_id', ?)", 1, member_string (ev, "id"));
      run (self, event);
    }
  cursor = prepare (self, "INSERT OR REPLACE INTO meta VALUES ('cursor', ?)", 1, member_string (root, "cursor"));
  run (self, cursor);
  exec (self, "COMMIT");
  g_free (self->cursor);
  self->cursor = g_strdup (member_string (root, "cursor"));
  return TRUE;
}

/* The verdict of a scan made without the server, shaped as the server's
 * (status, reason, type, ticket, first_checkin, checkin_id) plus
 * "offline": true. An admission (or a forced one) is recorded as this
 * laptop's check-in and queued for upload under @nonce. */
JsonObject *
eva_door_store_decide (EvaDoorStore *self,
                       const char   *code,
                       const char   *list_id,
                       const char   *kind,
                       const char   *nonce,
                       gint64        scanned_at_us,
                       gboolean      force)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  JsonObject *verdict = json_object_new ();
  JsonObject *ticket = NULL;
  JsonObject *first = NULL;
  const char *reason = NULL;
  char key_id[EVA_TICKET_KEY_ID_LEN + 1];
  EvaTicketCode parsed;
  gboolean verified = FALSE;
  gboolean entry = g_strcmp0 (kind, "exit") != 0;
  gboolean accepted;
  g_autofree char *ticket_id = NULL;
  g_autofree char *type_id = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *last_kind = NULL;
  gboolean unpaid = FALSE;

  /* The signature, against the key its id names. */
  if (code != NULL && eva_ticket_code_peek_key_id (code, key_id))
    {
      g_autoptr(Stmt) s = prepare (self, "SELECT public_key FROM keys WHERE id = ?", 1, key_id);

      if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_bytes (s, 0) == crypto_sign_PUBLICKEYBYTES)
        verified = eva_ticket_code_verify (code, sqlite3_column_blob (s, 0), &parsed, NULL);
    }

  if (!verified)
    reason = "invalid";
  else
    {
      g_autoptr(Stmt) ev = prepare (self, "SELECT v FROM meta WHERE k = 'event_id'", 0);
      g_autofree char *code_event = eva_uuid_format (parsed.event_id);
      g_autoptr(Stmt) l = NULL;
      g_autoptr(Stmt) t = NULL;

      ticket_id = eva_uuid_format (parsed.ticket_id);
      type_id = eva_uuid_format (parsed.ticket_type_id);
      if (sqlite3_step (ev) == SQLITE_ROW)
        event_id = column_dup (ev, 0);

      t = prepare (self, "SELECT id, type_id, type_name, holder, reference, unpaid, status"
                         " FROM tickets WHERE id = ?", 1, ticket_id);
      if (sqlite3_step (t) == SQLITE_ROW)
        {
          ticket = ticket_json (t);
          unpaid = sqlite3_column_int (t, 5);
          g_free (type_id);
          type_id = column_dup (t, 1);
        }
      else
        {
          /* Signed by the server, sold after the last sync: what the
           * code says is all there is. */
          ticket = json_object_new ();
          json_object_set_string_member (ticket, "id", ticket_id);
          json_object_set_string_member (ticket, "ticket_type_id", type_id);
          json_object_set_null_member (ticket, "holder_name");
          json_object_set_null_member (ticket, "ticket_type");
          json_object_set_boolean_member (ticket, "unpaid", FALSE);
          json_object_set_string_member (ticket, "status", "valid");
          json_object_set_boolean_member (verdict, "not_synced", TRUE);
        }

      l = prepare (self, "SELECT all_types, allow_unpaid, allow_reentry, opens_at, closes_at,"
                         " EXISTS (SELECT 1 FROM list_types WHERE list_id = ?1 AND type_id = ?2)"
                         " FROM lists WHERE id = ?1", 2, list_id, type_id);

      if (event_id != NULL && g_strcmp0 (event_id, code_event) != 0)
        reason = "wrong_event";
      else if (g_strcmp0 (member_string (ticket, "status"), "reissued") == 0)
        reason = "revoked";
      else if (g_strcmp0 (member_string (ticket, "status"), "valid") != 0)
        reason = "cancelled";
      else if (sqlite3_step (l) != SQLITE_ROW)
        reason = "not_on_list";
      else if (!sqlite3_column_int (l, 0) && !sqlite3_column_int (l, 5))
        reason = "not_on_list";
      else if ((sqlite3_column_type (l, 3) != SQLITE_NULL && scanned_at_us < sqlite3_column_int64 (l, 3)) ||
               (sqlite3_column_type (l, 4) != SQLITE_NULL && scanned_at_us > sqlite3_column_int64 (l, 4)))
        reason = "outside_time_window";
      else
        {
          gboolean allow_unpaid = sqlite3_column_int (l, 1);
          gboolean reentry = sqlite3_column_int (l, 2);
          g_autoptr(Stmt) f = prepare (self, "SELECT scanned_at, device FROM checkins"
                                             " WHERE ticket_id = ? AND list_id = ? AND kind = 'entry'"
                                             "   AND NOT undone ORDER BY scanned_at LIMIT 1", 2, ticket_id, list_id);
          g_autoptr(Stmt) last = prepare (self, "SELECT kind FROM checkins"
                                                " WHERE ticket_id = ? AND list_id = ? AND NOT undone"
                                                " ORDER BY scanned_at DESC LIMIT 1", 2, ticket_id, list_id);

          if (sqlite3_step (f) == SQLITE_ROW)
            {
              g_autofree char *at = format_time (sqlite3_column_int64 (f, 0));

              first = json_object_new ();
              json_object_set_string_member (first, "at", at);
              json_object_set_null_member (first, "by");
              json_object_set_string_member (first, "device", (const char *) sqlite3_column_text (f, 1));
            }
          if (sqlite3_step (last) == SQLITE_ROW)
            last_kind = column_dup (last, 0);

          if (entry && unpaid && !allow_unpaid)
            reason = "unpaid";
          else if (entry && g_strcmp0 (last_kind, "entry") == 0)
            reason = "already_checked_in";
          else if (entry && !reentry && first != NULL)
            reason = "already_checked_in";
          else if (!entry && g_strcmp0 (last_kind, "entry") != 0)
            reason = "not_checked_in";
        }
    }

  /* "Collect payment and admit": the door took the money. */
  if (force && g_strcmp0 (reason, "unpaid") == 0)
    reason = NULL;
  accepted = reason == NULL;

  json_object_set_string_member (verdict, "status", accepted ? "ok" : "rejected");
  if (reason != NULL)
    json_object_set_string_member (verdict, "reason", reason);
  else
    json_object_set_null_member (verdict, "reason");
  json_object_set_string_member (verdict, "type", entry ? "entry" : "exit");
  if (ticket != NULL)
    json_object_set_object_member (verdict, "ticket", ticket);
  else
    json_object_set_null_member (verdict, "ticket");
  if (first != NULL && !(accepted && entry))
    json_object_set_object_member (verdict, "first_checkin", first);
  else
    {
      g_clear_pointer (&first, json_object_unref);
      json_object_set_null_member (verdict, "first_checkin");
    }
  json_object_set_boolean_member (verdict, "offline", TRUE);

  if (accepted)
    {
      g_autofree char *local_id = g_strconcat ("local:", nonce, NULL);
      g_autofree char *device = meta_unlocked (self, "device_name");
      g_autoptr(Stmt) c = prepare (self, "INSERT OR REPLACE INTO checkins (id, ticket_id, list_id, kind,"
                                         " scanned_at, device, undone, local) VALUES (?, ?, ?, ?, ?, ?, 0, 1)", 4, local_id, ticket_id, list_id, entry ? "entry" : "exit");
      g_autoptr(Stmt) q = prepare (self, "INSERT OR REPLACE INTO queue (nonce, code, list_id, kind,"
                                         " scanned_at, ticket_id, force) VALUES (?, ?, ?, ?, ?, ?, ?)", 4, nonce, code, list_id, entry ? "entry" : "exit");

      sqlite3_bind_int64 (c, 5, scanned_at_us);
      sqlite3_bind_text (c, 6, device, -1, SQLITE_TRANSIENT);
      run (self, c);
      sqlite3_bind_int64 (q, 5, scanned_at_us);
      sqlite3_bind_text (q, 6, ticket_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (q, 7, force);
      run (self, q);
      json_object_set_string_member (verdict, "checkin_id", local_id);
    }
  else
    json_object_set_null_member (verdict, "checkin_id");
  return verdict;
}

/* What the server answered online, so that the next offline decision
 * knows this laptop let the ticket in. */
void
eva_door_store_record_online (EvaDoorStore *self,
                              JsonObject   *verdict,
                              const char   *list_id,
                              gint64        scanned_at_us)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  JsonObject *ticket = json_object_get_object_member (verdict, "ticket");
  const char *checkin_id = member_string (verdict, "checkin_id");
  g_autofree char *device = NULL;
  g_autoptr(Stmt) c = NULL;

  if (g_strcmp0 (member_string (verdict, "status"), "ok") != 0 || ticket == NULL || checkin_id == NULL)
    return;
  device = meta_unlocked (self, "device_name");
  c = prepare (self, "INSERT OR REPLACE INTO checkins (id, ticket_id, list_id, kind, scanned_at,"
                     " device, undone, local) VALUES (?, ?, ?, ?, ?, ?, 0, 0)", 4, checkin_id, member_string (ticket, "id"), list_id, member_string (verdict, "type") != NULL ? member_string (verdict, "type") : "entry");
  sqlite3_bind_int64 (c, 5, scanned_at_us);
  sqlite3_bind_text (c, 6, device, -1, SQLITE_TRANSIENT);
  run (self, c);
}

/* Undoes a check-in locally; one still waiting ("local:NONCE") leaves
 * the queue. Returns TRUE if it was still waiting (nothing to tell the
 * server). */
gboolean
eva_door_store_undo (EvaDoorStore *self,
                     const char   *checkin_id)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(Stmt) c = prepare (self, "UPDATE checkins SET undone = 1 WHERE id = ?", 1, checkin_id);
  gboolean waiting = FALSE;

  run (self, c);
  if (g_str_has_prefix (checkin_id, "local:"))
    {
      g_autoptr(Stmt) q = prepare (self, "DELETE FROM queue WHERE nonce = ? AND state = 'waiting'", 1, checkin_id + strlen ("local:"));

      run (self, q);
      waiting = sqlite3_changes (self->db) > 0;
    }
  return waiting;
}

guint
eva_door_store_count_waiting (EvaDoorStore *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(Stmt) s = prepare (self, "SELECT count(*) FROM queue WHERE state = 'waiting'", 0);

  return sqlite3_step (s) == SQLITE_ROW ? sqlite3_column_int (s, 0) : 0;
}

/* The oldest @limit waiting scans as POST …/checkin/upload wants them. */
JsonArray *
eva_door_store_waiting (EvaDoorStore *self,
                        const char   *device_id,
                        guint         limit)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(Stmt) s = prepare (self, "SELECT nonce, code, list_id, kind, scanned_at, force FROM queue"
                                     " WHERE state = 'waiting' ORDER BY scanned_at LIMIT ?", 0);
  JsonArray *scans = json_array_new ();

  sqlite3_bind_int (s, 1, limit);
  while (sqlite3_step (s) == SQLITE_ROW)
    {
      JsonObject *scan = json_object_new ();
      g_autofree char *at = format_time (sqlite3_column_int64 (s, 4));

      json_object_set_string_member (scan, "nonce", (const char *) sqlite3_column_text (s, 0));
      json_object_set_string_member (scan, "code", (const char *) sqlite3_column_text (s, 1));
      json_object_set_string_member (scan, "list_id", (const char *) sqlite3_column_text (s, 2));
      json_object_set_string_member (scan, "type", (const char *) sqlite3_column_text (s, 3));
      json_object_set_string_member (scan, "scanned_at", at);
      if (device_id != NULL)
        json_object_set_string_member (scan, "device_id", device_id);
      json_array_add_object_element (scans, scan);
    }
  return scans;
}

/* Takes the server's answers to an upload: accepted scans become the
 * server's check-ins; refused ones leave the local count. Returns the
 * refused ones (each: nonce, reason, conflict, holder_name, ticket_type),
 * the conflicts the door must be shown. */
GPtrArray *
eva_door_store_take_results (EvaDoorStore *self,
                             JsonArray    *results)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GPtrArray *refused = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  exec (self, "BEGIN");
  for (guint i = 0; results != NULL && i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      const char *nonce = member_string (r, "nonce");
      const char *checkin_id = member_string (r, "checkin_id");
      gboolean ok = g_strcmp0 (member_string (r, "status"), "ok") == 0;
      gboolean conflict = json_object_get_boolean_member_with_default (r, "conflict", FALSE);
      g_autofree char *local_id = g_strconcat ("local:", nonce, NULL);
      g_autoptr(Stmt) q = prepare (self, "UPDATE queue SET state = ?, reason = ?, conflict = ? WHERE nonce = ?", 4, ok ? "done" : "refused", member_string (r, "reason"), NULL, nonce);

      sqlite3_bind_int (q, 3, conflict);
      run (self, q);
      if (ok && checkin_id != NULL)
        {
          g_autoptr(Stmt) c = prepare (self, "UPDATE OR REPLACE checkins SET id = ?, local = 0 WHERE id = ?", 2, checkin_id, local_id);

          run (self, c);
        }
      else if (!ok)
        {
          g_autoptr(Stmt) c = prepare (self, "DELETE FROM checkins WHERE id = ?", 1, local_id);
          g_autoptr(Stmt) t = prepare (self, "SELECT t.holder, t.type_name FROM queue q"
                                             " LEFT JOIN tickets t ON t.id = q.ticket_id WHERE q.nonce = ?", 1, nonce);
          JsonObject *o = json_object_new ();

          run (self, c);
          json_object_set_string_member (o, "nonce", nonce);
          json_object_set_string_member (o, "reason", member_string (r, "reason"));
          json_object_set_boolean_member (o, "conflict", conflict);
          if (sqlite3_step (t) == SQLITE_ROW)
            {
              json_object_set_string_member (o, "holder_name", (const char *) sqlite3_column_text (t, 0));
              json_object_set_string_member (o, "ticket_type", (const char *) sqlite3_column_text (t, 1));
            }
          g_ptr_array_add (refused, o);
        }
    }
  exec (self, "COMMIT");
  return refused;
}

/* Inside (the last check-in of the ticket on the list is an entry) and
 * expected (valid tickets the list admits), as this laptop knows them. */
void
eva_door_store_counts (EvaDoorStore *self,
                       const char   *list_id,
                       guint        *inside,
                       guint        *expected)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(Stmt) in = prepare (self, "SELECT count(*) FROM (SELECT ticket_id, kind, max(scanned_at)"
                                      " FROM checkins WHERE list_id = ?1 AND NOT undone GROUP BY ticket_id)"
                                      " WHERE kind = 'entry'", 1, list_id);
  g_autoptr(Stmt) ex = prepare (self, "SELECT count(*) FROM tickets t, lists l WHERE l.id = ?1"
                                      " AND t.status = 'valid' AND (l.all_types OR EXISTS (SELECT 1"
                                      " FROM list_types lt WHERE lt.list_id = l.id AND lt.type_id = t.type_id))", 1, list_id);

  *inside = sqlite3_step (in) == SQLITE_ROW ? sqlite3_column_int (in, 0) : 0;
  *expected = sqlite3_step (ex) == SQLITE_ROW ? sqlite3_column_int (ex, 0) : 0;
}
