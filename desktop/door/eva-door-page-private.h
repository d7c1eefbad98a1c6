/* eva-door-page-private.h: EvaDoorPage as its three files share it
 * (eva-door-page.c: the widget, setup, keys and kiosk; eva-door-scans.c:
 * scans, sync and upload; eva-door-verdict.c: the verdict and the last
 * scans), and what the tests and the benchmark read of it
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "door/eva-door-page.h"
#include "door/eva-door-scanner.h"
#include "door/eva-door-sound.h"
#include "door/eva-door-store.h"

G_BEGIN_DECLS

/* The sync of the bundle: calm online, a probe for the server offline. */
#define EVA_DOOR_SYNC_ONLINE_S  15
#define EVA_DOOR_SYNC_OFFLINE_S 3

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

/* eva-door-page.c */
void          _eva_door_page_set_offline      (EvaDoorPage *self,
                                               gboolean     offline);
void          _eva_door_page_set_waiting      (EvaDoorPage *self,
                                               guint        waiting);
void          _eva_door_page_emit_verdict_drawn (EvaDoorPage *self,
                                                 gint64       latency_us);

/* eva-door-scans.c */
void          _eva_door_page_update_status    (EvaDoorPage *self);
void          _eva_door_page_refresh_waiting  (EvaDoorPage *self);
void          _eva_door_page_refresh_counts   (EvaDoorPage *self);
gboolean      _eva_door_page_process          (EvaDoorPage *self,
                                               const char  *code,
                                               gint64       entered_us,
                                               gboolean     force);
void          _eva_door_page_sync             (EvaDoorPage *self);
gboolean      _eva_door_page_sync_tick_cb     (gpointer     data);
void          _eva_door_page_undo             (EvaDoorPage *self,
                                               Recent      *r);

/* eva-door-verdict.c */
const char   *_eva_door_json_string           (JsonObject  *o,
                                               const char  *name);
JsonObject   *_eva_door_json_object           (JsonObject  *o,
                                               const char  *name);
void          _eva_door_recent_free           (Recent      *r);
void          _eva_door_recent_update         (Recent      *r);
Recent       *_eva_door_page_find_recent      (EvaDoorPage *self,
                                               const char  *nonce);
gboolean      _eva_door_page_clear_verdict    (gpointer     data);
void          _eva_door_page_show_verdict     (EvaDoorPage *self,
                                               JsonObject  *verdict,
                                               const char  *code,
                                               const char  *nonce,
                                               gint64       entered_us);

/* For the tests and the benchmark */

/* The verdict on screen: "admit", "warn", "deny" or NULL (none shown). */
const char   *_eva_door_page_get_verdict_kind (EvaDoorPage *self);
/* A label of the verdict: "headline", "name", "type", "reason", "offline". */
const char   *_eva_door_page_get_verdict_text (EvaDoorPage *self,
                                               const char  *which);
EvaDoorSound  _eva_door_page_get_last_sound   (EvaDoorPage *self);
guint         _eva_door_page_get_verdicts     (EvaDoorPage *self);
gint64        _eva_door_page_get_last_latency (EvaDoorPage *self);
gint64        _eva_door_page_get_last_decided (EvaDoorPage *self);
const char   *_eva_door_page_get_counts_text  (EvaDoorPage *self);
const char   *_eva_door_page_get_status_text  (EvaDoorPage *self);
const char   *_eva_door_page_get_conflict_text (EvaDoorPage *self);
guint         _eva_door_page_get_recent_count (EvaDoorPage *self);
char         *_eva_door_page_describe_recent  (EvaDoorPage *self,
                                               guint        index);
void          _eva_door_page_undo_recent      (EvaDoorPage *self,
                                               guint        index);
GtkWidget    *_eva_door_page_get_widget       (EvaDoorPage *self,
                                               const char  *name);
guint         _eva_door_page_get_search_count (EvaDoorPage *self);
void          _eva_door_page_check_in_result  (EvaDoorPage *self,
                                               guint        index);
void          _eva_door_page_pay_and_admit    (EvaDoorPage *self);
gboolean      _eva_door_page_get_synced       (EvaDoorPage *self);
guint         _eva_door_page_get_syncs        (EvaDoorPage *self);
EvaDoorScanner *_eva_door_page_get_scanner    (EvaDoorPage *self);
void          _eva_door_page_set_verdict_ms   (EvaDoorPage *self,
                                               guint        ms);
void          _eva_door_page_lock             (EvaDoorPage *self,
                                               const char  *password);
gboolean      _eva_door_page_unlock           (EvaDoorPage *self,
                                               const char  *password);

G_END_DECLS
