/* eva-door-page.c: door mode: the scanner at the entrance
 *
 * Three inputs at once: the webcam (EvaDoorScanner), a USB scanner that
 * types the code and Enter (a key controller on the window in the capture
 * phase: a burst of keys faster than a person types is a scan, whatever
 * has the focus) and the manual search. Each scan gets a nonce and goes
 * to the server (POST …/checkin/redeem); when no answer comes within
 * REDEEM_TIMEOUT_MS, or the server cannot be reached, the door decides
 * locally from its EvaDoorStore, queues the scan and says it is offline
 * until a sync gets through again, when the queue is uploaded and the
 * server's refusals (another door let the ticket in first) are shown.
 *
 * The verdict covers the window (green, amber or red, one word, the
 * holder, the type, the reason in words), plays its sound and goes away by
 * itself; the next scan replaces it at once.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-door-page"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "api/eva-api-checkin.h"
#include "api/eva-api-utils.h"
#include "door/eva-door-page-private.h"
#include "door/eva-door-store.h"
#include "widgets/eva-utils.h"

#define REDEEM_TIMEOUT_MS  1500
#define SAME_CODE_US       (2 * G_USEC_PER_SEC)
#define VERDICT_MS         2500
#define RECENT_MAX         20
#define SYNC_ONLINE_S      15
#define SYNC_OFFLINE_S     3
#define UPLOAD_BATCH       500
/* A USB scanner types a character every few milliseconds; people do not. */
#define BURST_GAP_MS       35
#define BURST_MIN_CHARS    8

typedef struct
{
  char       *nonce;
  char       *checkin_id;
  char       *holder;
  char       *headline;
  char       *kind;
  gboolean    undone;
  gboolean    conflict;
  AdwActionRow *row;
  GtkWidget  *undo_button;
} Recent;

struct _EvaDoorPage
{
  AdwBin           parent_instance;

  GtkStack        *door_stack;
  GtkWidget       *setup_leave_button;
  AdwComboRow     *event_row;
  AdwComboRow     *list_row;
  AdwEntryRow     *device_row;
  GtkSwitch       *kiosk_switch;
  GtkLabel        *setup_message;
  GtkWidget       *start_button;
  AdwWindowTitle  *scanner_title;
  GtkWidget       *back_button;
  GtkLabel        *counts_label;
  GtkToggleButton *lock_button;
  GtkDropDown     *camera_dropdown;
  GtkRevealer     *status_revealer;
  GtkLabel        *status_label;
  GtkRevealer     *conflict_revealer;
  GtkLabel        *conflict_label;
  GtkPicture      *camera_picture;
  GtkLabel        *camera_message;
  GtkSearchEntry  *search_entry;
  GtkListBox      *search_list;
  GtkListBox      *recent_list;
  GtkWidget       *verdict_box;
  GtkLabel        *verdict_headline;
  GtkLabel        *verdict_name;
  GtkLabel        *verdict_type;
  GtkLabel        *verdict_reason;
  GtkLabel        *verdict_offline;
  GtkWidget       *pay_button;

  EvaApiClient    *client;
  GSettings       *settings;
  GCancellable    *cancellable;         /* this session: renewed on stop */
  GCancellable    *search_cancellable;
  EvaDoorScanner  *scanner;
  EvaDoorStore    *store;
  GPtrArray       *events;              /* EvaRecord */
  GPtrArray       *lists;               /* EvaRecord */
  GPtrArray       *results;             /* JsonObject, the search's */
  GPtrArray       *recent;              /* Recent, newest first */
  char            *preset_event;

  char            *event_id;
  char            *list_id;
  char            *device_id;
  char            *device_name;
  gboolean         offline;
  gboolean         synced;
  gboolean         syncing;
  gboolean         uploading;
  guint            syncs;
  guint            waiting;
  guint            sync_source;
  guint            verdict_source;
  guint            verdict_ms;

  /* The verdict on screen */
  const char      *verdict_kind;
  EvaDoorSound     last_sound;
  guint            verdicts;
  char            *last_code;
  gint64           last_verdict_us;
  gint64           last_latency_us;
  gint64           last_decided_us;      /* entered → verdict on the main loop */
  gint64           pending_entered_us;
  gulong           after_paint_id;
  GdkFrameClock   *frame_clock;
  char            *pay_code;            /* the unpaid ticket on screen */
  GHashTable      *in_flight;           /* codes waiting for a verdict */

  /* Keyboard scanner */
  GtkEventController *keys;
  GtkWidget       *keys_root;
  gulong           close_request_id;
  GString         *burst;
  guint32          burst_last_ms;
  GString         *conflicts;

  /* Kiosk */
  gboolean         locked;
  guint8           lock_salt[16];
  guint8           lock_hash[32];
};

G_DEFINE_FINAL_TYPE (EvaDoorPage, eva_door_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_OFFLINE,
  PROP_WAITING,
  N_PROPS
};

enum {
  SIGNAL_LEAVE,
  SIGNAL_VERDICT_DRAWN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  EvaDoorPage *self;
  char        *code;
  char        *nonce;
  char        *list_id;
  gint64       scanned_us;
  gint64       entered_us;
  gboolean     force;
  gboolean     done;
  guint        timeout_id;
  GCancellable *cancellable;
} Scan;

static void decide_locally (Scan *scan);
static void sync_now (EvaDoorPage *self);
static void refresh_counts (EvaDoorPage *self);
static gboolean sync_tick_cb (gpointer data);

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
recent_free (Recent *r)
{
  g_free (r->nonce);
  g_free (r->checkin_id);
  g_free (r->holder);
  g_free (r->headline);
  g_free (r->kind);
  g_free (r);
}

static void
scan_free (Scan *scan)
{
  g_clear_handle_id (&scan->timeout_id, g_source_remove);
  if (scan->self->in_flight != NULL)
    g_hash_table_remove (scan->self->in_flight, scan->code);
  g_object_unref (scan->self);
  g_free (scan->code);
  g_free (scan->nonce);
  g_free (scan->list_id);
  g_clear_object (&scan->cancellable);
  g_free (scan);
}

static const char *
json_string (JsonObject *o,
             const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

static JsonObject *
json_object (JsonObject *o,
             const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static char *
local_time (const char *iso)
{
  g_autoptr(GDateTime) dt = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) local = dt != NULL ? g_date_time_to_local (dt) : NULL;

  return local != NULL ? g_date_time_format (local, "%H:%M") : g_strdup ("?");
}

static char *
now_iso (gint64 us)
{
  g_autoptr(GDateTime) base = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) dt = g_date_time_add (base, us % G_USEC_PER_SEC);

  return g_date_time_format_iso8601 (dt);
}

typedef struct
{
  const char  *kind;        /* admit, warn, deny */
  const char  *headline;
  char        *reason;
  EvaDoorSound sound;
} Words;

/* The words of a verdict: one-word headline, colour and the reason. */
static Words
describe (JsonObject *verdict)
{
  const char *status = json_string (verdict, "status");
  const char *reason = json_string (verdict, "reason");
  JsonObject *first = json_object (verdict, "first_checkin");
  Words w = { "deny", NULL, NULL, EVA_DOOR_SOUND_DENY };

  if (g_strcmp0 (status, "ok") == 0)
    {
      w.kind = "admit";
      w.sound = EVA_DOOR_SOUND_ADMIT;
      w.headline = g_strcmp0 (json_string (verdict, "type"), "exit") == 0 ? _("EXIT") : _("ADMIT");
      if (json_object_get_boolean_member_with_default (verdict, "paid_at_door", FALSE))
        w.reason = g_strdup (_("Payment collected at the door"));
      else if (json_object_get_boolean_member_with_default (verdict, "not_synced", FALSE))
        w.reason = g_strdup (_("Valid code of a ticket newer than the last sync"));
      return w;
    }
  if (g_strcmp0 (reason, "already_checked_in") == 0)
    {
      g_autofree char *at = local_time (json_string (first, "at"));
      const char *by = json_string (first, "device") != NULL ? json_string (first, "device")
                                                             : json_string (first, "by");

      w.kind = "warn";
      w.sound = EVA_DOOR_SOUND_WARN;
      w.headline = _("ALREADY IN");
      w.reason = by != NULL
                 ? g_strdup_printf (_("Checked in %s by %s"), at, by)
                 : g_strdup_printf (_("Checked in %s"), at);
      return w;
    }
  if (g_strcmp0 (reason, "unpaid") == 0)
    {
      w.kind = "warn";
      w.sound = EVA_DOOR_SOUND_WARN;
      w.headline = _("UNPAID");
      w.reason = g_strdup (_("Not paid yet: collect the payment, then admit"));
      return w;
    }
  if (g_strcmp0 (reason, "revoked") == 0)
    w.headline = _("REVOKED"), w.reason = g_strdup (_("This code was replaced by a newer one"));
  else if (g_strcmp0 (reason, "cancelled") == 0)
    w.headline = _("CANCELLED"), w.reason = g_strdup (_("The booking was cancelled or refunded"));
  else if (g_strcmp0 (reason, "wrong_event") == 0)
    w.headline = _("WRONG EVENT"), w.reason = g_strdup (_("This ticket is for another event"));
  else if (g_strcmp0 (reason, "not_on_list") == 0)
    w.headline = _("NOT HERE"), w.reason = g_strdup (_("This ticket type does not enter through this list"));
  else if (g_strcmp0 (reason, "outside_time_window") == 0)
    w.headline = _("CLOSED"), w.reason = g_strdup (_("This list does not admit at this time"));
  else if (g_strcmp0 (reason, "not_checked_in") == 0)
    w.headline = _("NOT IN"), w.reason = g_strdup (_("An exit of a ticket that never came in"));
  else if (g_strcmp0 (reason, "unknown_ticket") == 0)
    w.headline = _("UNKNOWN"), w.reason = g_strdup (_("No such ticket"));
  else
    w.headline = _("INVALID"), w.reason = g_strdup (_("Not a ticket code of this server"));
  return w;
}

static GtkWidget *
placeholder (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_set_margin_top (label, 18);
  gtk_widget_set_margin_bottom (label, 18);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static void
update_status (EvaDoorPage *self)
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

static void
set_offline (EvaDoorPage *self,
             gboolean     offline)
{
  if (self->offline == offline)
    return;
  self->offline = offline;
  update_status (self);
  /* Offline: try the server every few seconds; online: sync calmly. */
  g_clear_handle_id (&self->sync_source, g_source_remove);
  if (self->store != NULL)
    self->sync_source = g_timeout_add_seconds (offline ? SYNC_OFFLINE_S : SYNC_ONLINE_S,
                                               sync_tick_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE]);
}

static void
set_waiting (EvaDoorPage *self,
             guint        waiting)
{
  if (self->waiting == waiting)
    return;
  self->waiting = waiting;
  update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WAITING]);
}

static void
set_counts (EvaDoorPage *self,
            guint        inside,
            guint        expected)
{
  g_autofree char *text = g_strdup_printf (_("%u / %u inside"), inside, expected);

  gtk_label_set_label (self->counts_label, text);
}

static Recent *
find_recent (EvaDoorPage *self,
             const char  *nonce)
{
  for (guint i = 0; i < self->recent->len; i++)
    {
      Recent *r = g_ptr_array_index (self->recent, i);

      if (g_strcmp0 (r->nonce, nonce) == 0)
        return r;
    }
  return NULL;
}

static void
update_recent_row (Recent *r)
{
  g_autofree char *subtitle = NULL;

  if (r->conflict)
    subtitle = g_strdup_printf (_("%s · conflict: another door let this ticket in first"), r->headline);
  else if (r->undone)
    subtitle = g_strdup_printf (_("%s · undone"), r->headline);
  else
    subtitle = g_strdup (r->headline);
  adw_action_row_set_subtitle (r->row, subtitle);
  gtk_widget_set_visible (r->undo_button, r->checkin_id != NULL && !r->undone && !r->conflict);
  if (r->conflict)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (r->row), "door-row-admit");
      gtk_widget_add_css_class (GTK_WIDGET (r->row), "door-row-deny");
      gtk_widget_add_css_class (GTK_WIDGET (r->row), "error");
    }
}

/* ------------------------------------------------------------------ */
/* The verdict                                                        */
/* ------------------------------------------------------------------ */

static void undo_clicked_cb (GtkButton *button, EvaDoorPage *self);

static gboolean
verdict_timeout_cb (gpointer data)
{
  EvaDoorPage *self = data;

  self->verdict_source = 0;
  gtk_widget_set_visible (self->verdict_box, FALSE);
  eva_door_scanner_set_preview (self->scanner, TRUE);
  self->verdict_kind = NULL;
  g_clear_pointer (&self->pay_code, g_free);
  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                EvaDoorPage   *self)
{
  g_clear_signal_handler (&self->after_paint_id, clock);
  g_clear_object (&self->frame_clock);
  if (self->pending_entered_us > 0)
    {
      self->last_latency_us = g_get_monotonic_time () - self->pending_entered_us;
      self->pending_entered_us = 0;
      g_signal_emit (self, signals[SIGNAL_VERDICT_DRAWN], 0, self->last_latency_us);
    }
}

static void
add_recent (EvaDoorPage *self,
            JsonObject  *verdict,
            const char  *nonce,
            const Words *w)
{
  JsonObject *ticket = json_object (verdict, "ticket");
  const char *holder = json_string (ticket, "holder_name");
  Recent *r = g_new0 (Recent, 1);
  g_autofree char *title = NULL;
  g_autofree char *css_class = NULL;

  r->nonce = g_strdup (nonce);
  r->checkin_id = g_strdup (json_string (verdict, "checkin_id"));
  r->holder = g_strdup (holder != NULL && *holder != '\0' ? holder
                       : ticket != NULL ? _("No name") : _("Unknown code"));
  r->headline = json_object_get_boolean_member_with_default (verdict, "offline", FALSE)
                ? g_strdup_printf (_("%s (offline)"), w->headline) : g_strdup (w->headline);
  r->kind = g_strdup (w->kind);
  r->row = ADW_ACTION_ROW (adw_action_row_new ());
  title = g_markup_escape_text (r->holder, -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (r->row), title);
  css_class = g_strconcat ("door-row-", w->kind, NULL);
  gtk_widget_add_css_class (GTK_WIDGET (r->row), css_class);
  r->undo_button = gtk_button_new_with_mnemonic (_("_Undo"));
  gtk_widget_set_valign (r->undo_button, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (r->undo_button), "recent", r);
  g_signal_connect (r->undo_button, "clicked", G_CALLBACK (undo_clicked_cb), self);
  adw_action_row_add_suffix (r->row, r->undo_button);
  update_recent_row (r);
  gtk_list_box_prepend (self->recent_list, GTK_WIDGET (r->row));
  g_ptr_array_insert (self->recent, 0, r);
  while (self->recent->len > RECENT_MAX)
    {
      Recent *old = g_ptr_array_index (self->recent, self->recent->len - 1);

      gtk_list_box_remove (self->recent_list, GTK_WIDGET (old->row));
      g_ptr_array_remove_index (self->recent, self->recent->len - 1);
    }
}

static void
show_verdict (EvaDoorPage *self,
              JsonObject  *verdict,
              const char  *code,
              const char  *nonce,
              gint64       entered_us)
{
  Words w = describe (verdict);
  g_autofree char *reason = g_steal_pointer (&w.reason);
  JsonObject *ticket = json_object (verdict, "ticket");
  const char *holder = json_string (ticket, "holder_name");
  const char *type = json_string (ticket, "ticket_type");
  gboolean offline = json_object_get_boolean_member_with_default (verdict, "offline", FALSE);
  GtkNative *native;

  gtk_widget_remove_css_class (self->verdict_box, "admit");
  gtk_widget_remove_css_class (self->verdict_box, "warn");
  gtk_widget_remove_css_class (self->verdict_box, "deny");
  gtk_widget_add_css_class (self->verdict_box, w.kind);
  gtk_label_set_label (self->verdict_headline, w.headline);
  gtk_label_set_label (self->verdict_name, holder != NULL && *holder != '\0' ? holder
                                           : ticket != NULL ? _("No name") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_name), ticket != NULL);
  gtk_label_set_label (self->verdict_type, type != NULL ? type : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_type), type != NULL);
  gtk_label_set_label (self->verdict_reason, reason != NULL ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_reason), reason != NULL);
  gtk_label_set_label (self->verdict_offline,
                       offline ? _("Decided offline: the server will be told when it is back") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_offline), offline);
  g_clear_pointer (&self->pay_code, g_free);
  if (g_strcmp0 (json_string (verdict, "reason"), "unpaid") == 0 && code != NULL)
    self->pay_code = g_strdup (code);
  gtk_widget_set_visible (self->pay_button, self->pay_code != NULL);
  gtk_widget_set_visible (self->verdict_box, TRUE);
  eva_door_scanner_set_preview (self->scanner, FALSE);
  self->verdict_kind = w.kind;
  self->last_sound = w.sound;
  self->verdicts++;
  eva_door_sound_play (w.sound);
  g_free (self->last_code);
  self->last_code = g_strdup (code);
  self->last_verdict_us = g_get_monotonic_time ();

  g_clear_handle_id (&self->verdict_source, g_source_remove);
  /* The unpaid verdict waits longer: someone has to take the money. */
  self->verdict_source = g_timeout_add (self->pay_code != NULL ? self->verdict_ms * 3 : self->verdict_ms,
                                        verdict_timeout_cb, self);

  add_recent (self, verdict, nonce, &w);

  /* The time it took, measured when the verdict has been drawn. */
  native = gtk_widget_get_native (GTK_WIDGET (self));
  if (entered_us > 0 && native != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      GdkFrameClock *clock = gdk_surface_get_frame_clock (gtk_native_get_surface (native));

      self->pending_entered_us = entered_us;
      self->last_decided_us = g_get_monotonic_time () - entered_us;
      if (self->after_paint_id == 0)
        {
          self->frame_clock = g_object_ref (clock);
          self->after_paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
        }
      gtk_widget_queue_draw (self->verdict_box);
    }
}

/* ------------------------------------------------------------------ */
/* Scans                                                              */
/* ------------------------------------------------------------------ */

static void
refresh_waiting_done_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  gssize n = g_task_propagate_int (G_TASK (result), NULL);

  if (n >= 0)
    set_waiting (self, n);
}

/* Work on the store in a thread: the task holds the store (the page may
 * stop and let go of it meanwhile) and the work's data. */
typedef struct
{
  EvaDoorStore   *store;
  gpointer        data;
  GDestroyNotify  free;
} StoreWork;

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

#define WORK(task_data) ((StoreWork *) (task_data))

static void
count_waiting_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  g_task_return_int (task, eva_door_store_count_waiting (WORK (task_data)->store));
}

static void
refresh_waiting (EvaDoorPage *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->store == NULL)
    return;
  store_run (self, self->cancellable, count_waiting_thread, NULL, NULL, refresh_waiting_done_cb);
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
  if (scan->force && g_strcmp0 (json_string (verdict, "status"), "ok") == 0)
    json_object_set_boolean_member (verdict, "paid_at_door", TRUE);
  show_verdict (self, verdict, scan->code, scan->nonce, scan->entered_us);
  refresh_waiting (self);
  refresh_counts (self);
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

  eva_door_store_record_online (WORK (task_data)->store, verdict, json_string (verdict, "_list_id"),
                                json_object_get_int_member (verdict, "_scanned_us"));
  g_task_return_boolean (task, TRUE);
}

static gboolean
redeem_timeout_cb (gpointer data)
{
  Scan *scan = data;

  scan->timeout_id = 0;
  /* The server is too slow for the door: decide here; the nonce makes the
   * late answer and the later upload the same one scan. */
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
  if (record == NULL)
    {
      gboolean timed_out = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
                           !g_cancellable_is_cancelled (self->cancellable);

      if ((timed_out || eva_api_error_is_offline (error)) && self->store != NULL)
        {
          set_offline (self, TRUE);
          decide_locally (scan);
          return;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      scan_free (scan);
      return;
    }

  set_offline (self, FALSE);
  verdict = eva_record_get_object (record);
  if (scan->force && g_strcmp0 (json_string (verdict, "status"), "ok") == 0)
    json_object_set_boolean_member (verdict, "paid_at_door", TRUE);
  show_verdict (self, verdict, scan->code, scan->nonce, scan->entered_us);
  if (self->store != NULL && g_strcmp0 (json_string (verdict, "status"), "ok") == 0)
    {
      JsonObject *copy = json_object_new ();

      json_object_set_object_member (copy, "ticket", json_object_ref (json_object (verdict, "ticket")));
      json_object_set_string_member (copy, "status", "ok");
      json_object_set_string_member (copy, "checkin_id", json_string (verdict, "checkin_id"));
      json_object_set_string_member (copy, "type", json_string (verdict, "type"));
      json_object_set_string_member (copy, "_list_id", scan->list_id);
      json_object_set_int_member (copy, "_scanned_us", scan->scanned_us);
      store_run (self, NULL, record_thread, copy, (GDestroyNotify) json_object_unref, NULL);
    }
  refresh_counts (self);
  scan_free (scan);
}

static gboolean
process (EvaDoorPage *self,
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

/* ------------------------------------------------------------------ */
/* Counts, sync and upload                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  guint inside;
  guint expected;
} Counts;

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

      if (g_strcmp0 (json_string (l, "list_id"), self->list_id) == 0)
        set_counts (self, json_object_get_int_member_with_default (l, "inside", 0),
                    json_object_get_int_member_with_default (l, "expected", 0));
    }
}

/* Online from the server's stats; offline from what this door knows. */
static void
refresh_counts (EvaDoorPage *self)
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

static void
take_results_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  g_task_return_pointer (task, eva_door_store_take_results (WORK (task_data)->store, WORK (task_data)->data),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void upload (EvaDoorPage *self);

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
      const char *holder = json_string (o, "holder_name");
      Recent *r = find_recent (self, json_string (o, "nonce"));

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
          update_recent_row (r);
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
          update_recent_row (r);
        }
    }
  refresh_waiting (self);
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
        set_offline (self, TRUE);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  root = eva_record_get_object (answer);
  results = json_object_get_array_member (root, "results");
  for (guint i = 0; results != NULL && i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      Recent *recent = find_recent (self, json_string (r, "nonce"));

      if (recent != NULL && json_string (r, "checkin_id") != NULL)
        g_object_set_data_full (G_OBJECT (recent->row), "server-id",
                                g_strdup (json_string (r, "checkin_id")), g_free);
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
          set_waiting (self, 0);
          refresh_counts (self);
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
  refresh_counts (self);
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
        set_offline (self, TRUE);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  set_offline (self, FALSE);
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
        set_offline (self, TRUE);
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
  sync_now (self);
}

static void
sync_now (EvaDoorPage *self)
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

static gboolean
sync_tick_cb (gpointer data)
{
  sync_now (data);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Keyboard scanner                                                   */
/* ------------------------------------------------------------------ */

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                EvaDoorPage           *self)
{
  GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  guint32 time = event != NULL ? gdk_event_get_time (event) : 0;
  GtkWidget *focus = self->keys_root != NULL ? gtk_root_get_focus (GTK_ROOT (self->keys_root)) : NULL;
  gboolean in_entry = focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_TEXT (focus));
  gunichar c = gdk_keyval_to_unicode (keyval);
  gboolean fast = self->burst->len > 0 && time - self->burst_last_ms <= BURST_GAP_MS;

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || self->list_id == NULL ||
      (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    return FALSE;

  if (keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    {
      g_autofree char *code = g_strdup (self->burst->str);
      gsize len = self->burst->len;

      g_string_truncate (self->burst, 0);
      g_debug ("Enter after %" G_GSIZE_FORMAT " keys, %s", len, fast ? "fast" : "slow");
      /* Typed by a person into the search: Enter is the search's. */
      if (len < BURST_MIN_CHARS || !fast)
        return FALSE;
      if (in_entry && GTK_IS_EDITABLE (focus))
        {
          /* The burst's first key went to the entry before it was
           * known to be a scan: take it back. */
          const char *text = gtk_editable_get_text (GTK_EDITABLE (focus));

          if (g_str_has_suffix (text, (char[]) { code[0], '\0' }))
            {
              g_autofree char *trimmed = g_strndup (text, strlen (text) - 1);

              gtk_editable_set_text (GTK_EDITABLE (focus), trimmed);
            }
        }
      process (self, code, 0, FALSE);
      return TRUE;
    }

  if (c == 0 || g_unichar_iscntrl (c))
    return FALSE;
  if (!fast)
    g_string_truncate (self->burst, 0);
  g_string_append_unichar (self->burst, c);
  self->burst_last_ms = time;
  /* Outside an entry, every key is the scanner's; in one, only a burst. */
  return !in_entry || self->burst->len > 1;
}

/* Locked, the window stays open (Alt+F4 included). */
static gboolean
close_request_cb (EvaDoorPage *self)
{
  return self->locked;
}

static void
detach_keys (EvaDoorPage *self)
{
  if (self->keys_root == NULL)
    return;
  gtk_widget_remove_controller (self->keys_root, self->keys);
  g_clear_signal_handler (&self->close_request_id, self->keys_root);
  g_object_remove_weak_pointer (G_OBJECT (self->keys_root), (gpointer *) &self->keys_root);
  self->keys_root = NULL;
}

/* The window, not the page, gets the keys: nothing needs the focus. Held
 * weakly: the window holds the page. */
static void
attach_keys (EvaDoorPage *self)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));

  if (root == self->keys_root)
    return;
  detach_keys (self);
  if (root == NULL)
    return;
  self->keys_root = root;
  g_object_add_weak_pointer (G_OBJECT (root), (gpointer *) &self->keys_root);
  gtk_widget_add_controller (root, g_object_ref (self->keys));
  if (GTK_IS_WINDOW (root))
    self->close_request_id = g_signal_connect_swapped (root, "close-request", G_CALLBACK (close_request_cb), self);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
code_cb (EvaDoorScanner *scanner,
         const char     *code,
         gint64          entered_us,
         EvaDoorPage    *self)
{
  process (self, code, entered_us, FALSE);
}

static void
frame_cb (EvaDoorScanner *scanner,
          GdkTexture     *frame,
          EvaDoorPage    *self)
{
  /* Under a verdict the picture is hidden: drawing it would only delay
   * the verdict. */
  if (!gtk_widget_get_visible (self->verdict_box))
    gtk_picture_set_paintable (self->camera_picture, GDK_PAINTABLE (frame));
}

static void
camera_message_cb (EvaDoorPage *self)
{
  const char *message = eva_door_scanner_get_message (self->scanner);

  gtk_label_set_label (self->camera_message, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->camera_message), message != NULL);
}

static void
camera_selected_cb (EvaDoorPage *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->camera_dropdown);

  if (item == NULL || self->list_id == NULL)
    return;
  g_settings_set_string (self->settings, "door-camera", gtk_string_object_get_string (item));
  eva_door_scanner_start (self->scanner, gtk_string_object_get_string (item));
}

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
  refresh_waiting (self);
  refresh_counts (self);
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

static void
undo (EvaDoorPage *self,
      Recent      *r)
{
  if (r->checkin_id == NULL || r->undone)
    return;
  r->undone = TRUE;
  update_recent_row (r);
  if (g_str_has_prefix (r->checkin_id, "local:"))
    {
      /* Never sent: it only leaves the queue. */
      undo_locally (self, r->checkin_id);
      return;
    }
  eva_api_client_undo_checkin_async (self->client, r->checkin_id, self->cancellable, undo_done_cb,
                                     g_object_ref (self));
}

static void
undo_clicked_cb (GtkButton   *button,
                 EvaDoorPage *self)
{
  undo (self, g_object_get_data (G_OBJECT (button), "recent"));
}

static void
pay_clicked_cb (EvaDoorPage *self)
{
  g_autofree char *code = g_steal_pointer (&self->pay_code);

  if (code != NULL)
    process (self, code, 0, TRUE);
}

static void
verdict_clicked_cb (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    EvaDoorPage     *self)
{
  if (self->pay_code == NULL)
    verdict_timeout_cb (self);
}

static void
conflict_dismissed_cb (EvaDoorPage *self)
{
  g_string_truncate (self->conflicts, 0);
  gtk_revealer_set_reveal_child (self->conflict_revealer, FALSE);
}

static void
check_in_clicked_cb (GtkButton   *button,
                     EvaDoorPage *self)
{
  const char *code = g_object_get_data (G_OBJECT (button), "code");

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  process (self, code, 0, FALSE);
}

static void
searched_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result, NULL, NULL, &error);
  GtkWidget *child;

  if (items == NULL)
    {
      if (eva_api_error_is_offline (error))
        {
          GtkWidget *row = adw_action_row_new ();

          set_offline (self, TRUE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("The search needs the server: scan the ticket instead"));
          gtk_list_box_append (self->search_list, row);
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->search_list))) != NULL)
    gtk_list_box_remove (self->search_list, child);
  g_ptr_array_set_size (self->results, 0);
  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *item = eva_record_get_object (g_ptr_array_index (items, i));
      JsonObject *ticket = json_object (item, "ticket");
      const char *holder = json_string (ticket, "holder_name");
      const char *name = holder != NULL && *holder != '\0' ? holder : json_string (item, "attendee_name");
      const char *code = json_string (item, "code");
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_markup_escape_text (name != NULL ? name : _("No name"), -1);
      g_autofree char *subtitle = g_markup_printf_escaped ("%s · %s · %s", json_string (ticket, "ticket_type"),
                                                           json_string (ticket, "booking_reference"),
                                                           json_string (item, "email"));
      GtkWidget *button;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      if (json_object_get_boolean_member_with_default (item, "checked_in", FALSE))
        button = gtk_label_new (_("Checked In"));
      else
        {
          button = gtk_button_new_with_mnemonic (_("_Check In"));
          gtk_widget_add_css_class (button, "suggested-action");
          g_object_set_data_full (G_OBJECT (button), "code", g_strdup (code), g_free);
          g_signal_connect (button, "clicked", G_CALLBACK (check_in_clicked_cb), self);
          gtk_widget_set_sensitive (button, code != NULL);
        }
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      g_object_set_data (G_OBJECT (row), "action", button);
      gtk_list_box_append (self->search_list, row);
      g_ptr_array_add (self->results, row);
    }
}

static void
search_changed_cb (EvaDoorPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  GtkWidget *child;

  eva_cancellable_renew (&self->search_cancellable);
  if (g_utf8_strlen (text, -1) < 2 || self->client == NULL || self->event_id == NULL)
    {
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->search_list))) != NULL)
        gtk_list_box_remove (self->search_list, child);
      g_ptr_array_set_size (self->results, 0);
      return;
    }
  eva_api_client_checkin_search_async (self->client, self->event_id, text, self->search_cancellable,
                                       searched_cb, g_object_ref (self));
}

/* Setup */

static void
lists_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lists = eva_api_client_list_finish (EVA_API_CLIENT (source), result, NULL, NULL, &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  if (lists == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_label_set_label (self->setup_message, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->setup_message), TRUE);
        }
      return;
    }
  g_ptr_array_unref (self->lists);
  self->lists = g_ptr_array_ref (lists);
  for (guint i = 0; i < lists->len; i++)
    gtk_string_list_append (names, eva_record_get_string (g_ptr_array_index (lists, i), "name"));
  adw_combo_row_set_model (self->list_row, G_LIST_MODEL (names));
  gtk_widget_set_sensitive (self->start_button, lists->len > 0);
}

static void
event_selected_cb (EvaDoorPage *self)
{
  guint i = adw_combo_row_get_selected (self->event_row);

  gtk_widget_set_sensitive (self->start_button, FALSE);
  if (self->events == NULL || i >= self->events->len || self->client == NULL)
    return;
  eva_api_client_list_checkin_lists_async (self->client, eva_record_get_id (g_ptr_array_index (self->events, i)),
                                           self->cancellable, lists_cb, g_object_ref (self));
}

static void
events_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaDoorPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = eva_api_client_list_finish (EVA_API_CLIENT (source), result, NULL, NULL, &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  guint selected = 0;

  if (events == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_label_set_label (self->setup_message, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->setup_message), TRUE);
        }
      return;
    }
  /* The event the organizer came from first, if the list lacks it. */
  for (guint i = 0; i < self->events->len; i++)
    {
      EvaRecord *preset = g_ptr_array_index (self->events, i);
      gboolean found = FALSE;

      for (guint j = 0; j < events->len; j++)
        found |= g_strcmp0 (eva_record_get_id (g_ptr_array_index (events, j)), eva_record_get_id (preset)) == 0;
      if (!found)
        g_ptr_array_insert (events, 0, g_object_ref (preset));
    }
  g_ptr_array_unref (self->events);
  self->events = g_ptr_array_ref (events);
  for (guint i = 0; i < events->len; i++)
    {
      EvaRecord *e = g_ptr_array_index (events, i);

      gtk_string_list_append (names, eva_record_get_string (e, "title"));
      if (g_strcmp0 (eva_record_get_id (e), self->preset_event) == 0)
        selected = i;
    }
  adw_combo_row_set_model (self->event_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->event_row, selected);
  event_selected_cb (self);
}

static void
start_clicked_cb (EvaDoorPage *self)
{
  guint e = adw_combo_row_get_selected (self->event_row);
  guint l = adw_combo_row_get_selected (self->list_row);
  EvaRecord *event, *list;
  const char *device = gtk_editable_get_text (GTK_EDITABLE (self->device_row));

  if (self->events == NULL || e >= self->events->len || self->lists == NULL || l >= self->lists->len)
    return;
  event = g_ptr_array_index (self->events, e);
  list = g_ptr_array_index (self->lists, l);
  if (*device != '\0')
    g_settings_set_string (self->settings, "door-device-name", device);
  eva_door_page_start (self, eva_record_get_id (event), eva_record_get_string (event, "title"),
                       eva_record_get_id (list), eva_record_get_string (list, "name"));
  if (gtk_switch_get_active (self->kiosk_switch))
    gtk_toggle_button_set_active (self->lock_button, TRUE);
}

/* Kiosk lock */

static void
hash_password (EvaDoorPage *self,
               const char  *password,
               guint8       out[32])
{
  crypto_generichash (out, 32, (const guint8 *) password, strlen (password), self->lock_salt,
                      sizeof self->lock_salt);
}

static void
apply_lock (EvaDoorPage *self,
            gboolean     locked)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  self->locked = locked;
  gtk_widget_set_visible (self->back_button, !locked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->camera_dropdown), !locked);
  g_signal_handlers_block_matched (self->lock_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  gtk_toggle_button_set_active (self->lock_button, locked);
  g_signal_handlers_unblock_matched (self->lock_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  if (GTK_IS_WINDOW (root))
    {
      if (locked)
        gtk_window_fullscreen (GTK_WINDOW (root));
      else
        gtk_window_unfullscreen (GTK_WINDOW (root));
      gtk_window_set_deletable (GTK_WINDOW (root), !locked);
    }
}

typedef struct
{
  EvaDoorPage *self;
  GtkWidget   *entry;
  gboolean     locking;
} LockAsk;

static void
lock_login_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  LockAsk *ask = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = eva_api_client_login_finish (EVA_API_CLIENT (source), result, &error);

  if (me != NULL)
    _eva_door_page_lock (ask->self, gtk_editable_get_text (GTK_EDITABLE (ask->entry)));
  else
    eva_report_error (GTK_WIDGET (ask->self), error);
  g_object_unref (ask->entry);
  g_object_unref (ask->self);
  g_free (ask);
}

static void
lock_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  LockAsk          *ask)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (ask->entry));
  EvaRecord *me = ask->self->client != NULL ? eva_api_client_get_me (ask->self->client) : NULL;

  if (g_strcmp0 (response, "ok") != 0)
    {
      apply_lock (ask->self, ask->self->locked);
    }
  else if (ask->locking && me != NULL)
    {
      /* The password is checked by the server once, then kept only as a
       * keyed hash in memory, so leaving works offline too. */
      eva_api_client_login_async (ask->self->client, eva_record_get_string (me, "email"), password, NULL,
                                  lock_login_cb, ask);
      return;
    }
  else if (ask->locking)
    _eva_door_page_lock (ask->self, password);
  else if (!_eva_door_page_unlock (ask->self, password))
    eva_show_toast (GTK_WIDGET (ask->self), _("Wrong password"));
  else if (g_object_get_data (G_OBJECT (dialog), "leave") != NULL)
    g_signal_emit (ask->self, signals[SIGNAL_LEAVE], 0);
  g_object_unref (ask->entry);
  g_object_unref (ask->self);
  g_free (ask);
}

static void
ask_password (EvaDoorPage *self,
              gboolean     locking,
              gboolean     leave)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;
  LockAsk *ask = g_new0 (LockAsk, 1);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       locking ? _("Lock Door Mode?") : _("Unlock Door Mode?"),
                                                       _("Enter your password.")));
  ask->self = g_object_ref (self);
  ask->entry = g_object_ref_sink (gtk_password_entry_new ());
  ask->locking = locking;
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (ask->entry), TRUE);
  adw_message_dialog_set_extra_child (dialog, ask->entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "ok", locking ? _("_Lock") : _("_Unlock"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "ok", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "ok");
  if (leave)
    g_object_set_data (G_OBJECT (dialog), "leave", GINT_TO_POINTER (1));
  g_signal_connect (dialog, "response", G_CALLBACK (lock_response_cb), ask);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
lock_toggled_cb (EvaDoorPage *self)
{
  gboolean want = gtk_toggle_button_get_active (self->lock_button);

  if (want != self->locked)
    ask_password (self, want, FALSE);
}

static void
back_clicked_cb (EvaDoorPage *self)
{
  if (self->locked)
    {
      ask_password (self, FALSE, FALSE);
      return;
    }
  eva_door_page_stop (self);
  gtk_stack_set_visible_child_name (self->door_stack, "setup");
}

static void
leave_clicked_cb (EvaDoorPage *self)
{
  eva_door_page_stop (self);
  g_signal_emit (self, signals[SIGNAL_LEAVE], 0);
}

static void
map_cb (EvaDoorPage *self)
{
  attach_keys (self);
}

static void
unmap_cb (EvaDoorPage *self)
{
  detach_keys (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_door_page_dispose (GObject *object)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (object);

  eva_door_page_stop (self);
  g_cancellable_cancel (self->search_cancellable);
  detach_keys (self);
  g_clear_object (&self->keys);
  if (self->scanner != NULL)
    g_signal_handlers_disconnect_by_data (self->scanner, self);
  g_clear_object (&self->scanner);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_pointer (&self->lists, g_ptr_array_unref);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  g_clear_pointer (&self->recent, g_ptr_array_unref);
  /* The bin lets go of its child first: the template must not unparent
   * it a second time. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_DOOR_PAGE);
  G_OBJECT_CLASS (eva_door_page_parent_class)->dispose (object);
}

static void
eva_door_page_finalize (GObject *object)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (object);

  g_free (self->preset_event);
  g_free (self->event_id);
  g_free (self->list_id);
  g_free (self->device_id);
  g_free (self->device_name);
  g_free (self->last_code);
  g_free (self->pay_code);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  g_string_free (self->burst, TRUE);
  g_string_free (self->conflicts, TRUE);
  G_OBJECT_CLASS (eva_door_page_parent_class)->finalize (object);
}

static void
eva_door_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (object);

  switch (prop_id)
    {
    case PROP_OFFLINE:
      g_value_set_boolean (value, self->offline);
      break;
    case PROP_WAITING:
      g_value_set_uint (value, self->waiting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_door_page_class_init (EvaDoorPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_door_page_dispose;
  object_class->finalize = eva_door_page_finalize;
  object_class->get_property = eva_door_page_get_property;

  properties[PROP_OFFLINE] =
    g_param_spec_boolean ("offline", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WAITING] =
    g_param_spec_uint ("waiting", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* EvaDoorPage::leave: the user leaves door mode. */
  signals[SIGNAL_LEAVE] = g_signal_new ("leave", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* EvaDoorPage::verdict-drawn: a camera scan's verdict was painted,
   * @latency_us after its frame entered the appsink. */
  signals[SIGNAL_VERDICT_DRAWN] = g_signal_new ("verdict-drawn", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-door-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, door_stack);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, setup_leave_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, event_row);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, list_row);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, device_row);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, kiosk_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, setup_message);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, start_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, scanner_title);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, counts_label);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, lock_button);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, camera_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, conflict_revealer);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, conflict_label);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, camera_picture);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, camera_message);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, search_list);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, recent_list);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_box);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_headline);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_name);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_type);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_reason);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, verdict_offline);
  gtk_widget_class_bind_template_child (widget_class, EvaDoorPage, pay_button);
  gtk_widget_class_bind_template_callback (widget_class, leave_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, event_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, start_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, lock_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, camera_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, conflict_dismissed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, pay_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "doorpage");
}

static void
eva_door_page_init (EvaDoorPage *self)
{
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new_with_path (SETTINGS_SCHEMA, SETTINGS_PATH);
  self->cancellable = g_cancellable_new ();
  self->events = g_ptr_array_new_with_free_func (g_object_unref);
  self->lists = g_ptr_array_new_with_free_func (g_object_unref);
  self->results = g_ptr_array_new ();
  self->recent = g_ptr_array_new_with_free_func ((GDestroyNotify) recent_free);
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->burst = g_string_new (NULL);
  self->conflicts = g_string_new (NULL);
  self->verdict_ms = VERDICT_MS;
  randombytes_buf (self->lock_salt, sizeof self->lock_salt);

  self->scanner = eva_door_scanner_new ();
  g_signal_connect (self->scanner, "code", G_CALLBACK (code_cb), self);
  g_signal_connect (self->scanner, "frame", G_CALLBACK (frame_cb), self);
  g_signal_connect_swapped (self->scanner, "notify::message", G_CALLBACK (camera_message_cb), self);

  self->keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (self->keys, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (self->keys, "door-scanner-keys");
  g_signal_connect (self->keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect_swapped (self, "map", G_CALLBACK (map_cb), self);
  g_signal_connect_swapped (self, "unmap", G_CALLBACK (unmap_cb), self);

  gtk_list_box_set_placeholder (self->search_list, placeholder (_("Find a ticket by the holder's name, the buyer's email or the booking reference")));
  gtk_list_box_set_placeholder (self->recent_list, placeholder (_("No scans yet")));

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "released", G_CALLBACK (verdict_clicked_cb), self);
  gtk_widget_add_controller (self->verdict_box, GTK_EVENT_CONTROLLER (click));
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_door_page_new (void)
{
  return g_object_new (EVA_TYPE_DOOR_PAGE, NULL);
}

void
eva_door_page_set_client (EvaDoorPage  *self,
                          EvaApiClient *client)
{
  g_return_if_fail (EVA_IS_DOOR_PAGE (self));

  g_set_object (&self->client, client);
}

/* Shows the choice of event and list; @event (nullable) chosen first. */
void
eva_door_page_open (EvaDoorPage *self,
                    EvaRecord   *event)
{
  g_autofree char *device = NULL;

  g_return_if_fail (EVA_IS_DOOR_PAGE (self));

  eva_door_page_stop (self);
  g_ptr_array_set_size (self->events, 0);
  g_clear_pointer (&self->preset_event, g_free);
  if (event != NULL)
    {
      g_ptr_array_add (self->events, g_object_ref (event));
      self->preset_event = g_strdup (eva_record_get_id (event));
    }
  device = g_settings_get_string (self->settings, "door-device-name");
  gtk_editable_set_text (GTK_EDITABLE (self->device_row), *device != '\0' ? device : g_get_host_name ());
  gtk_widget_set_visible (GTK_WIDGET (self->setup_message), FALSE);
  gtk_stack_set_visible_child_name (self->door_stack, "setup");
  if (self->client != NULL)
    eva_api_client_list_door_events_async (self->client, self->cancellable, events_cb, g_object_ref (self));
}

static void
open_store_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GError *error = NULL;
  EvaDoorStore *store = eva_door_store_open (task_data, &error);

  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* What the main loop needs of it, read here. */
  g_object_set_data_full (G_OBJECT (store), "device-id", eva_door_store_get_meta (store, "device_id"), g_free);
  g_object_set_data_full (G_OBJECT (store), "device-name", eva_door_store_get_meta (store, "device_name"), g_free);
  g_task_return_pointer (task, store, g_object_unref);
}

static void
store_opened_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EvaDoorPage *self = EVA_DOOR_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDoorStore) store = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *device_id = NULL;
  g_autofree char *device_name = NULL;

  if (store == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  self->store = g_steal_pointer (&store);
  device_id = g_strdup (g_object_get_data (G_OBJECT (self->store), "device-id"));
  device_name = g_strdup (g_object_get_data (G_OBJECT (self->store), "device-name"));
  /* A new name for this door is a new device. */
  if (device_id != NULL && g_strcmp0 (device_name, self->device_name) == 0)
    self->device_id = g_steal_pointer (&device_id);
  self->sync_source = g_timeout_add_seconds (self->offline ? SYNC_OFFLINE_S : SYNC_ONLINE_S, sync_tick_cb, self);
  refresh_waiting (self);
  sync_now (self);
}

/* Starts scanning @list_id of @event_id: the camera, the keyboard
 * scanner, the search, the local store and its sync. */
void
eva_door_page_start (EvaDoorPage *self,
                     const char  *event_id,
                     const char  *event_title,
                     const char  *list_id,
                     const char  *list_name)
{
  g_autofree char *camera = NULL;
  g_autofree char *device = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) cameras = NULL;
  g_autoptr(GtkStringList) model = NULL;
  g_autoptr(GTask) task = NULL;
  guint selected = GTK_INVALID_LIST_POSITION;

  g_return_if_fail (EVA_IS_DOOR_PAGE (self));
  g_return_if_fail (event_id != NULL && list_id != NULL);

  eva_door_page_stop (self);
  self->event_id = g_strdup (event_id);
  self->list_id = g_strdup (list_id);
  device = g_settings_get_string (self->settings, "door-device-name");
  self->device_name = g_strdup (*device != '\0' ? device : g_get_host_name ());
  adw_window_title_set_title (self->scanner_title, event_title != NULL ? event_title : "");
  adw_window_title_set_subtitle (self->scanner_title, list_name != NULL ? list_name : "");
  gtk_label_set_label (self->counts_label, "");
  gtk_stack_set_visible_child_name (self->door_stack, "scanner");
  update_status (self);

  /* The store opens (and is created) on a thread. */
  path = eva_door_store_path_for (self->client != NULL ? eva_api_client_get_base_url (self->client) : "",
                                  event_id);
  task = g_task_new (self, self->cancellable, store_opened_cb, NULL);
  g_task_set_task_data (task, g_steal_pointer (&path), g_free);
  g_task_run_in_thread (task, open_store_thread);

  /* The cameras, the last one used first. */
  camera = g_settings_get_string (self->settings, "door-camera");
  cameras = eva_door_scanner_list_cameras ();
  model = gtk_string_list_new ((const char * const *) cameras);
  for (guint i = 0; cameras[i] != NULL; i++)
    if (g_strcmp0 (cameras[i], camera) == 0)
      selected = i;
  g_signal_handlers_block_by_func (self->camera_dropdown, camera_selected_cb, self);
  gtk_drop_down_set_model (self->camera_dropdown, G_LIST_MODEL (model));
  gtk_drop_down_set_selected (self->camera_dropdown, selected != GTK_INVALID_LIST_POSITION ? selected : 0);
  g_signal_handlers_unblock_by_func (self->camera_dropdown, camera_selected_cb, self);
  gtk_widget_set_visible (GTK_WIDGET (self->camera_dropdown), cameras[0] != NULL && cameras[1] != NULL);
  eva_door_scanner_start (self->scanner, selected != GTK_INVALID_LIST_POSITION ? cameras[selected] : NULL);
  attach_keys (self);
}

/* Stops the camera and the sync; what is queued stays in the store. */
void
eva_door_page_stop (EvaDoorPage *self)
{
  g_return_if_fail (EVA_IS_DOOR_PAGE (self));

  if (self->scanner != NULL)
    eva_door_scanner_stop (self->scanner);
  if (self->cancellable != NULL)
    eva_cancellable_renew (&self->cancellable);
  g_clear_handle_id (&self->sync_source, g_source_remove);
  g_clear_handle_id (&self->verdict_source, g_source_remove);
  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_object (&self->frame_clock);
  g_clear_object (&self->store);
  g_clear_pointer (&self->event_id, g_free);
  g_clear_pointer (&self->list_id, g_free);
  g_clear_pointer (&self->device_id, g_free);
  g_clear_pointer (&self->device_name, g_free);
  self->syncing = self->uploading = self->synced = FALSE;
  self->offline = FALSE;
  self->waiting = 0;
  if (self->verdict_box != NULL)
    gtk_widget_set_visible (self->verdict_box, FALSE);
  self->verdict_kind = NULL;
}

/* A code as if scanned (by the camera when @entered_us is its frame's
 * time, else typed). Returns FALSE if it is ignored (no list, or the same
 * code within two seconds of its verdict). */
gboolean
eva_door_page_scan (EvaDoorPage *self,
                    const char  *code,
                    gint64       entered_us)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), FALSE);
  return process (self, code, entered_us, FALSE);
}

void
eva_door_page_sync_now (EvaDoorPage *self)
{
  g_return_if_fail (EVA_IS_DOOR_PAGE (self));
  sync_now (self);
}

gboolean
eva_door_page_get_offline (EvaDoorPage *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), FALSE);
  return self->offline;
}

guint
eva_door_page_get_waiting (EvaDoorPage *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), 0);
  return self->waiting;
}

gboolean
eva_door_page_get_locked (EvaDoorPage *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_PAGE (self), FALSE);
  return self->locked;
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

const char *
_eva_door_page_get_verdict_kind (EvaDoorPage *self)
{
  return self->verdict_kind;
}

const char *
_eva_door_page_get_verdict_text (EvaDoorPage *self,
                                 const char  *which)
{
  GtkLabel *label = g_str_equal (which, "headline") ? self->verdict_headline
                    : g_str_equal (which, "name") ? self->verdict_name
                    : g_str_equal (which, "type") ? self->verdict_type
                    : g_str_equal (which, "reason") ? self->verdict_reason
                    : self->verdict_offline;

  return gtk_label_get_label (label);
}

EvaDoorSound
_eva_door_page_get_last_sound (EvaDoorPage *self)
{
  return self->last_sound;
}

guint
_eva_door_page_get_verdicts (EvaDoorPage *self)
{
  return self->verdicts;
}

gint64
_eva_door_page_get_last_latency (EvaDoorPage *self)
{
  return self->last_latency_us;
}

gint64
_eva_door_page_get_last_decided (EvaDoorPage *self)
{
  return self->last_decided_us;
}

const char *
_eva_door_page_get_counts_text (EvaDoorPage *self)
{
  return gtk_label_get_label (self->counts_label);
}

const char *
_eva_door_page_get_status_text (EvaDoorPage *self)
{
  return gtk_revealer_get_reveal_child (self->status_revealer) ? gtk_label_get_label (self->status_label) : NULL;
}

const char *
_eva_door_page_get_conflict_text (EvaDoorPage *self)
{
  return gtk_revealer_get_reveal_child (self->conflict_revealer) ? gtk_label_get_label (self->conflict_label) : NULL;
}

guint
_eva_door_page_get_recent_count (EvaDoorPage *self)
{
  return self->recent->len;
}

/* "Holder: subtitle" of the @index-th last scan (0 the newest). */
char *
_eva_door_page_describe_recent (EvaDoorPage *self,
                                guint        index)
{
  Recent *r;

  g_return_val_if_fail (index < self->recent->len, NULL);
  r = g_ptr_array_index (self->recent, index);
  return g_strdup_printf ("%s: %s", r->holder, adw_action_row_get_subtitle (r->row));
}

void
_eva_door_page_undo_recent (EvaDoorPage *self,
                            guint        index)
{
  g_return_if_fail (index < self->recent->len);
  undo (self, g_ptr_array_index (self->recent, index));
}

GtkWidget *
_eva_door_page_get_widget (EvaDoorPage *self,
                           const char  *name)
{
  if (g_str_equal (name, "search"))
    return GTK_WIDGET (self->search_entry);
  if (g_str_equal (name, "verdict"))
    return self->verdict_box;
  if (g_str_equal (name, "camera"))
    return GTK_WIDGET (self->camera_picture);
  if (g_str_equal (name, "camera-message"))
    return GTK_WIDGET (self->camera_message);
  if (g_str_equal (name, "stack"))
    return GTK_WIDGET (self->door_stack);
  if (g_str_equal (name, "start"))
    return self->start_button;
  if (g_str_equal (name, "event"))
    return GTK_WIDGET (self->event_row);
  if (g_str_equal (name, "list"))
    return GTK_WIDGET (self->list_row);
  if (g_str_equal (name, "back"))
    return self->back_button;
  if (g_str_equal (name, "pay"))
    return self->pay_button;
  return NULL;
}

guint
_eva_door_page_get_search_count (EvaDoorPage *self)
{
  return self->results->len;
}

void
_eva_door_page_check_in_result (EvaDoorPage *self,
                                guint        index)
{
  GtkWidget *action;

  g_return_if_fail (index < self->results->len);
  action = g_object_get_data (g_ptr_array_index (self->results, index), "action");
  g_return_if_fail (GTK_IS_BUTTON (action));
  g_signal_emit_by_name (action, "clicked");
}

void
_eva_door_page_pay_and_admit (EvaDoorPage *self)
{
  pay_clicked_cb (self);
}

gboolean
_eva_door_page_get_synced (EvaDoorPage *self)
{
  return self->synced;
}

guint
_eva_door_page_get_syncs (EvaDoorPage *self)
{
  return self->syncs;
}

EvaDoorScanner *
_eva_door_page_get_scanner (EvaDoorPage *self)
{
  return self->scanner;
}

void
_eva_door_page_set_verdict_ms (EvaDoorPage *self,
                               guint        ms)
{
  self->verdict_ms = ms;
}

/* Locks with @password (already checked by the caller). */
void
_eva_door_page_lock (EvaDoorPage *self,
                     const char  *password)
{
  hash_password (self, password, self->lock_hash);
  apply_lock (self, TRUE);
}

gboolean
_eva_door_page_unlock (EvaDoorPage *self,
                       const char  *password)
{
  guint8 hash[32];

  hash_password (self, password, hash);
  if (sodium_memcmp (hash, self->lock_hash, sizeof hash) != 0)
    return FALSE;
  sodium_memzero (self->lock_hash, sizeof self->lock_hash);
  apply_lock (self, FALSE);
  return TRUE;
}
