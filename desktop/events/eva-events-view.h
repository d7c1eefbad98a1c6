/* eva-events-view.h: the list of events, with search, filter and sort
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "api/eva-api-client.h"
#include "api/eva-event-list.h"

G_BEGIN_DECLS

#define EVA_TYPE_EVENTS_VIEW (eva_events_view_get_type ())

G_DECLARE_FINAL_TYPE (EvaEventsView, eva_events_view, EVA, EVENTS_VIEW, GtkWidget)

GtkWidget    *eva_events_view_new           (void);
void          eva_events_view_set_client    (EvaEventsView *self,
                                             EvaApiClient  *client);
EvaEventList *eva_events_view_get_list      (EvaEventsView *self);
void          eva_events_view_bind_settings (EvaEventsView *self,
                                             GSettings     *settings);
void          eva_events_view_reload        (EvaEventsView *self);
void          eva_events_view_start_search  (EvaEventsView *self);
void          eva_events_view_unselect      (EvaEventsView *self);
void          eva_events_view_select        (EvaEventsView *self,
                                             const char    *id);

G_END_DECLS
