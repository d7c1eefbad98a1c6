/* eva-event-list.h: the server's events as a GListModel, page by page
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "api/eva-api-client.h"
#include "api/eva-paged-list.h"

G_BEGIN_DECLS

#define EVA_TYPE_EVENT_LIST (eva_event_list_get_type ())

G_DECLARE_FINAL_TYPE (EvaEventList, eva_event_list, EVA, EVENT_LIST, EvaPagedList)

EvaEventList *eva_event_list_new           (EvaApiClient *client);
void          eva_event_list_set_search    (EvaEventList *self,
                                            const char   *search);
void          eva_event_list_set_status    (EvaEventList *self,
                                            const char   *status);
void          eva_event_list_set_sort      (EvaEventList *self,
                                            const char   *sort);
void          eva_event_list_set_page_size (EvaEventList *self,
                                            guint         page_size);
void          eva_event_list_reload        (EvaEventList *self);
void          eva_event_list_load_more     (EvaEventList *self);
void          eva_event_list_clear         (EvaEventList *self);
gboolean      eva_event_list_get_loading   (EvaEventList *self);
gboolean      eva_event_list_get_has_more  (EvaEventList *self);
gboolean      eva_event_list_get_loaded    (EvaEventList *self);
void          eva_event_list_update        (EvaEventList *self,
                                            EvaRecord    *event);
void          eva_event_list_remove        (EvaEventList *self,
                                            const char   *id);

G_END_DECLS
