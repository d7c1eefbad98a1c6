/* eva-records-view.h: the coupons or the bookings of an event
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_RECORDS_VIEW (eva_records_view_get_type ())

G_DECLARE_FINAL_TYPE (EvaRecordsView, eva_records_view, EVA, RECORDS_VIEW, GtkWidget)

GtkWidget  *eva_records_view_new        (const char     *kind);
void        eva_records_view_set_client (EvaRecordsView *self,
                                         EvaApiClient   *client);
void        eva_records_view_set_event  (EvaRecordsView *self,
                                         EvaRecord      *event);
void        eva_records_view_reload     (EvaRecordsView *self);
const char *eva_records_view_get_state  (EvaRecordsView *self);

G_END_DECLS
