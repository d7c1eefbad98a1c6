/* eva-checkin-lists-view.h: the check-in lists of an event
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_CHECKIN_LISTS_VIEW (eva_checkin_lists_view_get_type ())

G_DECLARE_FINAL_TYPE (EvaCheckinListsView, eva_checkin_lists_view, EVA, CHECKIN_LISTS_VIEW, GtkWidget)

GtkWidget  *eva_checkin_lists_view_new          (void);
void        eva_checkin_lists_view_set_client   (EvaCheckinListsView *self,
                                                 EvaApiClient        *client);
void        eva_checkin_lists_view_set_event    (EvaCheckinListsView *self,
                                                 EvaRecord           *event);
void        eva_checkin_lists_view_set_editable (EvaCheckinListsView *self,
                                                 gboolean             editable);
gboolean    eva_checkin_lists_view_get_editable (EvaCheckinListsView *self);
void        eva_checkin_lists_view_reload       (EvaCheckinListsView *self);
gboolean    eva_checkin_lists_view_get_loading  (EvaCheckinListsView *self);
GListModel *eva_checkin_lists_view_get_model    (EvaCheckinListsView *self);
GtkWindow  *eva_checkin_lists_view_open_list    (EvaCheckinListsView *self,
                                                 EvaRecord           *list);

G_END_DECLS
