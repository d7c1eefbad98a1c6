/* eva-api-checkin.c: the calls of the door scanner
 *
 * Each is one request through _eva_api_client_call() (see
 * eva-api-client.c); the routes are server/api/checkin.c's.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-client"

#include "config.h"

#include "api/eva-api-checkin.h"
#include "api/eva-api-client-private.h"

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

void
eva_api_client_register_device_async (EvaApiClient        *self,
                                      const char          *name,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (name != NULL);

  json_object_set_string_member (body, "name", name);
  _eva_api_client_call (self, "POST", g_strdup ("/api/v1/admin/checkin/devices"), body,
                        EVA_API_RESULT_RECORD, eva_api_client_register_device_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_redeem_async (EvaApiClient        *self,
                             JsonObject          *scan,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (scan != NULL);

  _eva_api_client_call (self, "POST", g_strdup ("/api/v1/admin/checkin/redeem"), scan,
                        EVA_API_RESULT_RECORD, eva_api_client_redeem_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_upload_scans_async (EvaApiClient        *self,
                                   JsonArray           *scans,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (scans != NULL);

  json_object_set_array_member (body, "scans", json_array_ref (scans));
  _eva_api_client_call (self, "POST", g_strdup ("/api/v1/admin/checkin/upload"), body,
                        EVA_API_RESULT_RECORD, eva_api_client_upload_scans_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_undo_checkin_async (EvaApiClient        *self,
                                   const char          *checkin_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (checkin_id != NULL);

  escaped = _eva_api_escape (checkin_id);
  _eva_api_client_call (self, "POST", g_strconcat ("/api/v1/admin/checkins/", escaped, "/undo", NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_undo_checkin_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_checkin_search_async (EvaApiClient        *self,
                                     const char          *event_id,
                                     const char          *query,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL && query != NULL);

  escaped = _eva_api_escape (event_id);
  path = g_strconcat ("/api/v1/admin/events/", escaped, "/checkin/search", NULL);
  _eva_api_client_call (self, "GET", _eva_api_build_path (path, "q", query, "limit", "20", NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_checkin_search_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_checkin_bundle_async (EvaApiClient        *self,
                                     const char          *event_id,
                                     const char          *cursor,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  path = g_strconcat ("/api/v1/admin/events/", escaped, "/checkin/bundle", NULL);
  task = _eva_api_client_request_new (self, "GET", _eva_api_build_path (path, "since", cursor, NULL),
                                      NULL, EVA_API_RESULT_BYTES, TRUE,
                                      eva_api_client_checkin_bundle_async, cancellable, callback,
                                      user_data);
  _eva_api_client_request_set_accept (task, "application/json");
  _eva_api_client_send (task);
}

void
eva_api_client_checkin_stats_async (EvaApiClient        *self,
                                    const char          *event_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  _eva_api_client_call (self, "GET",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/checkin/stats", NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_checkin_stats_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_list_door_events_async (EvaApiClient        *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  _eva_api_client_call (self, "GET", g_strdup ("/api/v1/public/events?limit=100"),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_door_events_async,
                        cancellable, callback, user_data);
}
