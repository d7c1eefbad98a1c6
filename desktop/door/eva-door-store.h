/* eva-door-store.h: the door's local copy of an event's check-in bundle,
 * its offline decisions and the queue of scans waiting for the server
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define EVA_DOOR_STORE_ERROR (eva_door_store_error_quark ())

typedef enum {
  EVA_DOOR_STORE_ERROR_FAILED,
  EVA_DOOR_STORE_ERROR_BAD_BUNDLE,
} EvaDoorStoreError;

GQuark eva_door_store_error_quark (void);

#define EVA_TYPE_DOOR_STORE (eva_door_store_get_type ())

G_DECLARE_FINAL_TYPE (EvaDoorStore, eva_door_store, EVA, DOOR_STORE, GObject)

char         *eva_door_store_path_for      (const char    *server_url,
                                            const char    *event_id);
EvaDoorStore *eva_door_store_open          (const char    *path,
                                            GError       **error);
const char   *eva_door_store_get_path      (EvaDoorStore  *self);

/* Every function below may be called from any thread (one connection,
 * behind a lock); the page calls them from GTask threads. */
char         *eva_door_store_get_meta      (EvaDoorStore  *self,
                                            const char    *key);
void          eva_door_store_set_meta      (EvaDoorStore  *self,
                                            const char    *key,
                                            const char    *value);
gboolean      eva_door_store_apply_bundle  (EvaDoorStore  *self,
                                            GBytes        *json,
                                            GError       **error);
gboolean      eva_door_store_has_bundle    (EvaDoorStore  *self);
char         *eva_door_store_dup_cursor    (EvaDoorStore  *self);

JsonObject   *eva_door_store_decide        (EvaDoorStore  *self,
                                            const char    *code,
                                            const char    *list_id,
                                            const char    *kind,
                                            const char    *nonce,
                                            gint64         scanned_at_us,
                                            gboolean       force);
void          eva_door_store_record_online (EvaDoorStore  *self,
                                            JsonObject    *verdict,
                                            const char    *list_id,
                                            gint64         scanned_at_us);
gboolean      eva_door_store_undo          (EvaDoorStore  *self,
                                            const char    *checkin_id);

guint         eva_door_store_count_waiting (EvaDoorStore  *self);
JsonArray    *eva_door_store_waiting       (EvaDoorStore  *self,
                                            const char    *device_id,
                                            guint          limit);
GPtrArray    *eva_door_store_take_results  (EvaDoorStore  *self,
                                            JsonArray     *results);
void          eva_door_store_counts        (EvaDoorStore  *self,
                                            const char    *list_id,
                                            guint         *inside,
                                            guint         *expected);

G_END_DECLS
