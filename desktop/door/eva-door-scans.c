/* eva-door-scans.c: EvaDoorPage's scans: the redeem with its timeout, the
 * local decision, the counts, the sync of the bundle, the upload of what
 * waits and undo. Every SQLite call runs in a thread that holds the store.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-door-page"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-checkin.h"
#include "api/eva-api-utils.h"
#include "door/eva-door-page-private.h"
#include "widgets/eva-utils.h"

#define REDEEM_TIMEOUT_MS  1500
#define SAME_CODE_US       (2 * G_USEC_PER_SEC)
#define UPLOAD_BATCH       500

typedef struct
{
  EvaDoorPage *self;
  char        *code;
  char        *nonce;
  char        *list_id;
  gint64       scanned_us;
  gint64       entered_us;
  gboolean     force;
  gboolean     timed_out;
  guint        timeout_id;
  GCancellable *cancellable;
} Scan;

/* Work on the store in a thread: the task holds the store (the page may
 * stop and let go of it meanwhile) and the work's data. */
typedef struct
{
  EvaDoorStore   *store;
  gpointer        data;
  GDestroyNotify  free;
} StoreWork;

#define WORK(task_data) ((StoreWork *) (task_data))

typedef struct
{
  guint inside;
  guint expected;
} Counts;

static void decide_locally (Scan *scan);
static void upload (EvaDoorPage *self);

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
scan_free (Scan *scan)
{
  g_clear_handle_id (&scan->timeout_id, g_source_remove);
  /* A scan that timed out handed its place in flight to its local copy. */
  if (scan->self->in_flight != NULL && !scan->timed_out)
    g_hash_table_remove (scan->self->in_flight, scan->code);
  g_object_unref (scan->self);
  g_free (scan->code);
  g_free (scan->nonce);
  g_free (scan->list_id);
  g_clear_object (&scan->cancellable);
  g_free (scan);
}

static char *
now_iso (gint64 us)
{
  g_autoptr(GDateTime) base = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) dt = g_date_time_add (base, us % G_USEC_PER_SEC);

  return g_date_time_format_iso8601 (dt);
}

static void
set_counts (EvaDoorPage *self,
            guint        inside,
            guint        expected)
{
  g_autofree char *text = g_strdup_printf (_("%u / %u inside"), inside, expected);

  gtk_label_set_label (self->counts_label, text);
}

static void
store_work_free (StoreWork *w)
{
  g_object_unref (w->store);
  if (w->free != NULL)
    w->free (w->data);
  g_free (w);
}

static void
store_run (EvaDoorPage         *self,
           GCancellable        *cancellable,
           GTaskThreadFunc      func,
           gpointer             data,
           GDestroyNotify       free_data,
           GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, NULL);
  StoreWork *w = g_new0 (StoreWork, 1);

  w->store = g_object_ref (self->store);
  w->data = data;
  w->free = free_data;
  g_task_set_task_data (task, w, (GDestroyNotify) store_work_free);
  g_task_run_in_thread (task, func);
}

/* ------------------------------------------------------------------ */
/* A scan                                                             */
/* ------------------------------------------------------------------ */

static void
refresh_waiting_done_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  gssize n = g_task_propagate_int (G_TASK (result), NULL);

  if (n >= 0)
    _eva_door_page_set_waiting (self, n);
}

static void
count_waiting_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  g_task_return_int (task, eva_door_store_count_waiting (WORK (task_data)->store));
}

static void
decide_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Scan *scan = WORK (task_data)->data;

  g_task_return_pointer (task,
                         eva_door_store_decide (WORK (task_data)->store, scan->code, scan->list_id, "entry",
                                                scan->nonce, scan->scanned_us, scan->force),
                         (GDestroyNotify) json_object_unref);
}

static void
decided_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  Scan *scan = WORK (g_task_get_task_data (G_TASK (result)))->data;
  g_autoptr(JsonObject) verdict = g_task_propagate_pointer (G_TASK (result), NULL);

  if (verdict == NULL)
    return;
  if (scan->force && g_strcmp0 (_eva_door_json_string (verdict, "status"), "ok") == 0)
    json_object_set_boolean_member (verdict, "paid_at_door", TRUE);
  _eva_door_page_show_verdict (self, verdict, scan->code, scan->nonce, scan->entered_us);
  _eva_door_page_refresh_waiting (self);
  _eva_door_page_refresh_counts (self);
}

static void
decide_locally (Scan *scan)
{
  EvaDoorPage *self = scan->self;
  g_autoptr(GTask) task = NULL;

  if (self->store == NULL)
    {
      scan_free (scan);
      return;
    }
  store_run (self, self->cancellable, decide_thread, scan, (GDestroyNotify) scan_free, decided_cb);
}

static void
record_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  JsonObject *verdict = WORK (task_data)->data;

  eva_door_store_record_online (WORK (task_data)->store, verdict, _eva_door_json_string (verdict, "_list_id"),
                                json_object_get_int_member (verdict, "_scanned_us"));
  g_task_return_boolean (task, TRUE);
}

static gboolean
redeem_timeout_cb (gpointer data)
{
  Scan *scan = data;
  Scan *local = g_new0 (Scan, 1);

  scan->timeout_id = 0;
  scan->timed_out = TRUE;
  g_debug ("no answer to a redeem in %d ms", REDEEM_TIMEOUT_MS);
  /* The server is too slow for the door: decide here at once, without
   * waiting for the request to end; the nonce makes the late answer and
   * the later upload the same one scan. */
  local->self = g_object_ref (scan->self);
  local->code = g_strdup (scan->code);
  local->nonce = g_strdup (scan->nonce);
  local->list_id = g_strdup (scan->list_id);
  local->scanned_us = scan->scanned_us;
  local->entered_us = scan->entered_us;
  local->force = scan->force;
  _eva_door_page_set_offline (scan->self, TRUE);
  decide_locally (local);
  g_cancellable_cancel (scan->cancellable);
  return G_SOURCE_REMOVE;
}

static void
redeemed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Scan *scan = user_data;
  EvaDoorPage *self = scan->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) record = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);
  JsonObject *verdict;

  g_clear_handle_id (&scan->timeout_id, g_source_remove);
  if (scan->timed_out)
    {
      /* Decided here already (redeem_timeout_cb()). */
      scan_free (scan);
      return;
    }
  if (record == NULL)
    {
      g_debug ("redeem failed: %s", error->message);
      if (eva_api_error_is_offline (error) && self->store != NULL)
        {
          _eva_door_page_set_offline (self, TRUE);
          decide_locally (scan);
          return;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* The server refused the scan itself (the list is gone, the
           * account may no longer scan): the door must not stay silent. */
          g_autoptr(JsonObject) refusal = json_object_new ();

          json_object_set_string_member (refusal, "status", "rejected");
          json_object_set_string_member (refusal, "reason", "error");
          json_object_set_string_member (refusal, "message", error->message);
          json_object_set_null_member (refusal, "ticket");
          _eva_door_page_show_verdict (self, refusal, scan->code, scan->nonce, scan->entered_us);
        }
      scan_free (scan);
      return;
    }

  _eva_door_page_set_offline (self, FALSE);
  verdict = eva_record_get_object (record);
  if (scan->force && g_strcmp0 (_eva_door_json_string (verdict, "status"), "ok") == 0)
    json_object_set_boolean_member (verdict, "paid_at_door", TRUE);
  _eva_door_page_show_verdict (self, verdict, scan->code, scan->nonce, scan->entered_us);
  if (self->store != NULL && g_strcmp0 (_eva_door_json_string (verdict, "status"), "ok") == 0)
    {
      JsonObject *copy = json_object_new ();

      json_object_set_object_member (copy, "ticket", json_object_ref (_eva_door_json_object (verdict, "ticket")));
      json_object_set_string_member (copy, "status", "ok");
      json_object_set_string_member (copy, "checkin_id", _eva_door_json_string (verdict, "checkin_id"));
      json_object_set_string_member (copy, "type", _eva_door_json_string (verdict, "type"));
      json_object_set_string_member (copy, "_list_id", scan->list_id);
      json_object_set_int_member (copy, "_scanned_us", scan->scanned_us);
      store_run (self, NULL, record_thread, copy, (GDestroyNotify) json_object_unref, NULL);
    }
  _eva_door_page_refresh_counts (self);
  scan_free (scan);
}

/* ------------------------------------------------------------------ */
/* Counts, sync and upload                                            */
/* ------------------------------------------------------------------ */

static void
counts_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Counts *c = g_new0 (Counts, 1);

  eva_door_store_counts (WORK (task_data)->store, WORK (task_data)->data, &c->inside, &c->expected);
  g_task_return_pointer (task, c, g_free);
}

static void
local_counts_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree Counts *c = g_task_propagate_pointer (G_TASK (result), NULL);

  if (c != NULL)
    set_counts (EVA_DOOR_PAGE (source), c->inside, c->expected);
}

static void
stats_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) stats = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);
  JsonObject *root;
  JsonArray *lists;

  if (stats == NULL || self->list_id == NULL)
    return;
  root = eva_record_get_object (stats);
  lists = json_object_has_member (root, "lists") ? json_object_get_array_member (root, "lists") : NULL;
  for (guint i = 0; lists != NULL && i < json_array_get_length (lists); i++)
    {
      JsonObject *l = json_array_get_object_element (lists, i);

      if (g_strcmp0 (_eva_door_json_string (l, "list_id"), self->list_id) == 0)
        set_counts (self, json_object_get_int_member_with_default (l, "inside", 0),
                    json_object_get_int_member_with_default (l, "expected", 0));
    }
}

static void
take_results_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  g_task_return_pointer (task, eva_door_store_take_results (WORK (task_data)->store, WORK (task_data)->data),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
results_taken_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  g_autoptr(GPtrArray) refused = g_task_propagate_pointer (G_TASK (result), NULL);

  self->uploading = FALSE;
  for (guint i = 0; refused != NULL && i < refused->len; i++)
    {
      JsonObject *o = g_ptr_array_index (refused, i);
      const char *holder = _eva_door_json_string (o, "holder_name");
      Recent *r = _eva_door_page_find_recent (self, _eva_door_json_string (o, "nonce"));

      if (self->conflicts->len > 0)
        g_string_append (self->conflicts, "\n");
      g_string_append_printf (self->conflicts,
                              json_object_get_boolean_member_with_default (o, "conflict", FALSE)
                              ? _("Conflict: %s was let in offline here, but another door had admitted the ticket first")
                              : _("Refused by the server: %s"),
                              holder != NULL && *holder != '\0' ? holder : _("No name"));
      if (r != NULL)
        {
          r->conflict = TRUE;
          _eva_door_recent_update (r);
        }
    }
  if (self->conflicts->len > 0)
    {
      gtk_label_set_label (self->conflict_label, self->conflicts->str);
      gtk_revealer_set_reveal_child (self->conflict_revealer, TRUE);
    }
  /* Upload results carry the server's check-in ids: undo works online. */
  for (guint i = 0; i < self->recent->len; i++)
    {
      Recent *r = g_ptr_array_index (self->recent, i);

      if (r->checkin_id != NULL && g_str_has_prefix (r->checkin_id, "local:") && !r->conflict)
        {
          g_clear_pointer (&r->checkin_id, g_free);
          r->checkin_id = g_strdup (g_object_get_data (G_OBJECT (r->row), "server-id"));
          _eva_door_recent_update (r);
        }
    }
  _eva_door_page_refresh_waiting (self);
  /* The next batch, if any; an empty one ends it. */
  upload (self);
}

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) answer = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);
  g_autoptr(GTask) task = NULL;
  JsonObject *root;
  JsonArray *results;

  if (answer == NULL)
    {
      self->uploading = FALSE;
      if (eva_api_error_is_offline (error))
        _eva_door_page_set_offline (self, TRUE);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  root = eva_record_get_object (answer);
  results = json_object_get_array_member (root, "results");
  for (guint i = 0; results != NULL && i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      Recent *recent = _eva_door_page_find_recent (self, _eva_door_json_string (r, "nonce"));

      if (recent != NULL && _eva_door_json_string (r, "checkin_id") != NULL)
        g_object_set_data_full (G_OBJECT (recent->row), "server-id",
                                g_strdup (_eva_door_json_string (r, "checkin_id")), g_free);
    }
  if (self->store == NULL)
    return;
  store_run (self, self->cancellable, take_results_thread, json_array_ref (results),
             (GDestroyNotify) json_array_unref, results_taken_cb);
}

static void
waiting_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_task_return_pointer (task, eva_door_store_waiting (WORK (task_data)->store, WORK (task_data)->data, UPLOAD_BATCH),
                         (GDestroyNotify) json_array_unref);
}

static void
waiting_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  g_autoptr(JsonArray) scans = g_task_propagate_pointer (G_TASK (result), NULL);

  if (scans == NULL)
    return;
  if (json_array_get_length (scans) == 0 || self->offline)
    {
      self->uploading = FALSE;
      if (json_array_get_length (scans) == 0)
        {
          _eva_door_page_set_waiting (self, 0);
          _eva_door_page_refresh_counts (self);
        }
      return;
    }
  eva_api_client_upload_scans_async (self->client, scans, self->cancellable, uploaded_cb, g_object_ref (self));
}

/* Sends what waits, a batch at a time (read from the store in a thread). */
static void
upload (EvaDoorPage *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->uploading || self->store == NULL || self->client == NULL || self->offline)
    return;
  self->uploading = TRUE;
  store_run (self, self->cancellable, waiting_thread, g_strdup (self->device_id), g_free, waiting_read_cb);
}

static void
apply_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;

  if (eva_door_store_apply_bundle (WORK (task_data)->store, WORK (task_data)->data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
applied_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  g_autoptr(GError) error = NULL;

  self->syncing = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  self->synced = TRUE;
  self->syncs++;
  upload (self);
  _eva_door_page_refresh_counts (self);
}

static void
bundle_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = eva_api_client_download_finish (EVA_API_CLIENT (source), result, NULL, &error);
  g_autoptr(GTask) task = NULL;

  if (bytes == NULL)
    {
      self->syncing = FALSE;
      if (eva_api_error_is_offline (error))
        _eva_door_page_set_offline (self, TRUE);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  _eva_door_page_set_offline (self, FALSE);
  if (self->store == NULL)
    return;
  store_run (self, self->cancellable, apply_thread, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref,
             applied_cb);
}

static void
save_device_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  char **device = WORK (task_data)->data;

  eva_door_store_set_meta (WORK (task_data)->store, "device_id", device[0]);
  eva_door_store_set_meta (WORK (task_data)->store, "device_name", device[1]);
  g_task_return_boolean (task, TRUE);
}

static void
device_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) device = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (device == NULL)
    {
      self->syncing = FALSE;
      if (eva_api_error_is_offline (error))
        _eva_door_page_set_offline (self, TRUE);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  g_free (self->device_id);
  self->device_id = g_strdup (eva_record_get_id (device));
  if (self->store != NULL)
    store_run (self, NULL, save_device_thread,
               g_strdupv ((char *[]) { self->device_id, self->device_name, NULL }), (GDestroyNotify) g_strfreev,
               NULL);
  self->syncing = FALSE;
  _eva_door_page_sync (self);
}

/* ------------------------------------------------------------------ */
/* Undo                                                               */
/* ------------------------------------------------------------------ */

static void
undo_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  eva_door_store_undo (WORK (task_data)->store, WORK (task_data)->data);
  g_task_return_boolean (task, TRUE);
}

static void
undone_locally_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    return;
  _eva_door_page_refresh_waiting (self);
  _eva_door_page_refresh_counts (self);
}

static void
undo_locally (EvaDoorPage *self,
              const char  *checkin_id)
{
  if (self->store == NULL)
    return;
  store_run (self, self->cancellable, undo_thread, g_strdup (checkin_id), g_free, undone_locally_cb);
}

static void
undo_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) undone = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);

  if (undone == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  undo_locally (self, eva_record_get_id (undone));
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

void
_eva_door_page_update_status (EvaDoorPage *self)
{
  g_autofree char *text = NULL;

  if (self->offline)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Offline — %u scan waiting", "Offline — %u scans waiting",
                                         self->waiting), self->waiting);
  else if (self->waiting > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Sending %u scan made offline…",
                                         "Sending %u scans made offline…", self->waiting), self->waiting);
  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->status_revealer, text != NULL);
}

void
_eva_door_page_refresh_waiting (EvaDoorPage *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->store == NULL)
    return;
  store_run (self, self->cancellable, count_waiting_thread, NULL, NULL, refresh_waiting_done_cb);
}

/* Online from the server's stats; offline from what this door knows. */
void
_eva_door_page_refresh_counts (EvaDoorPage *self)
{
  if (self->event_id == NULL)
    return;
  if (!self->offline && self->client != NULL && self->waiting == 0)
    eva_api_client_checkin_stats_async (self->client, self->event_id, self->cancellable, stats_cb,
                                        g_object_ref (self));
  else if (self->store != NULL)
    {
      store_run (self, self->cancellable, counts_thread, g_strdup (self->list_id), g_free, local_counts_cb);
    }
}

gboolean
_eva_door_page_process (EvaDoorPage *self,
         const char  *code,
         gint64       entered_us,
         gboolean     force)
{
  Scan *scan;
  gint64 now = g_get_monotonic_time ();

  if (self->list_id == NULL || code == NULL || *code == '\0')
    return FALSE;
  /* The same code still in view: one verdict is enough. */
  if (!force && g_strcmp0 (code, self->last_code) == 0 && now - self->last_verdict_us < SAME_CODE_US)
    return FALSE;
  if (!force && g_hash_table_contains (self->in_flight, code))
    return FALSE;

  scan = g_new0 (Scan, 1);
  scan->self = g_object_ref (self);
  scan->code = g_strdup (code);
  scan->nonce = g_uuid_string_random ();
  scan->list_id = g_strdup (self->list_id);
  scan->scanned_us = g_get_real_time ();
  scan->entered_us = entered_us;
  scan->force = force;
  g_hash_table_add (self->in_flight, g_strdup (code));

  if (self->offline || self->client == NULL)
    {
      decide_locally (scan);
      return TRUE;
    }

  {
    g_autoptr(JsonObject) body = json_object_new ();
    g_autofree char *at = now_iso (scan->scanned_us);

    json_object_set_string_member (body, "code", code);
    json_object_set_string_member (body, "list_id", self->list_id);
    json_object_set_string_member (body, "nonce", scan->nonce);
    json_object_set_string_member (body, "type", "entry");
    json_object_set_string_member (body, "scanned_at", at);
    if (force)
      json_object_set_boolean_member (body, "force", TRUE);
    if (self->device_id != NULL)
      json_object_set_string_member (body, "device_id", self->device_id);
    scan->cancellable = g_cancellable_new ();
    g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                             scan->cancellable, G_CONNECT_SWAPPED);
    scan->timeout_id = g_timeout_add (REDEEM_TIMEOUT_MS, redeem_timeout_cb, scan);
    eva_api_client_redeem_async (self->client, body, scan->cancellable, redeemed_cb, scan);
  }
  return TRUE;
}

void
_eva_door_page_sync (EvaDoorPage *self)
{
  g_autofree char *cursor = NULL;

  if (self->store == NULL || self->client == NULL || self->syncing)
    return;
  self->syncing = TRUE;
  if (self->device_id == NULL)
    {
      eva_api_client_register_device_async (self->client, self->device_name, self->cancellable, device_cb,
                                            g_object_ref (self));
      return;
    }
  cursor = eva_door_store_dup_cursor (self->store);
  eva_api_client_checkin_bundle_async (self->client, self->event_id, cursor, self->cancellable, bundle_cb,
                                       g_object_ref (self));
}

gboolean
_eva_door_page_sync_tick_cb (gpointer data)
{
  _eva_door_page_sync (data);
  return G_SOURCE_CONTINUE;
}

void
_eva_door_page_undo (EvaDoorPage *self,
      Recent      *r)
{
  if (r->checkin_id == NULL || r->undone)
    return;
  r->undone = TRUE;
  _eva_door_recent_update (r);
  if (g_str_has_prefix (r->checkin_id, "local:"))
    {
      /* Never sent: it only leaves the queue. */
      undo_locally (self, r->checkin_id);
      return;
    }
  eva_api_client_undo_checkin_async (self->client, r->checkin_id, self->cancellable, undo_done_cb,
                                     g_object_ref (self));
}
