/* eva-api-checkin.h: the calls of the door scanner (check-in at the door)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "api/eva-api-client.h"

G_BEGIN_DECLS

/* Register this laptop as a door device: {"name"} → record_finish ("id"). */
void eva_api_client_register_device_async (EvaApiClient        *self,
                                           const char          *name,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* One scan, {code, list_id, nonce, type, scanned_at?, force?, device_id?}
 * → record_finish (the verdict). */
void eva_api_client_redeem_async          (EvaApiClient        *self,
                                           JsonObject          *scan,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* Scans made offline, {"scans": […]} → record_finish ({"results": […]}). */
void eva_api_client_upload_scans_async    (EvaApiClient        *self,
                                           JsonArray           *scans,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* → record_finish (the check-in, undone). */
void eva_api_client_undo_checkin_async    (EvaApiClient        *self,
                                           const char          *checkin_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* Tickets by name, email, booking reference → list_finish. */
void eva_api_client_checkin_search_async  (EvaApiClient        *self,
                                           const char          *event_id,
                                           const char          *query,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* The offline bundle (everything, or since @cursor) → download_finish:
 * the JSON text, to be parsed off the main thread. */
void eva_api_client_checkin_bundle_async  (EvaApiClient        *self,
                                           const char          *event_id,
                                           const char          *cursor,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* Counts per list → record_finish. */
void eva_api_client_checkin_stats_async   (EvaApiClient        *self,
                                           const char          *event_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

/* The published events door staff may choose from (the public list, as
 * door staff cannot list events as organizers do) → list_finish. */
void eva_api_client_list_door_events_async (EvaApiClient        *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);

G_END_DECLS
