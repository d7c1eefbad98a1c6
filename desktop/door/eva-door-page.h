/* eva-door-page.h: door mode: the scanner at the entrance
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_DOOR_PAGE (eva_door_page_get_type ())

G_DECLARE_FINAL_TYPE (EvaDoorPage, eva_door_page, EVA, DOOR_PAGE, AdwBin)

GtkWidget *eva_door_page_new          (void);
void       eva_door_page_set_client   (EvaDoorPage *self,
                                       EvaApiClient *client);
void       eva_door_page_open         (EvaDoorPage *self,
                                       EvaRecord   *event);
void       eva_door_page_start        (EvaDoorPage *self,
                                       const char  *event_id,
                                       const char  *event_title,
                                       const char  *list_id,
                                       const char  *list_name);
void       eva_door_page_stop         (EvaDoorPage *self);
gboolean   eva_door_page_scan         (EvaDoorPage *self,
                                       const char  *code,
                                       gint64       entered_us);
void       eva_door_page_sync_now     (EvaDoorPage *self);
gboolean   eva_door_page_get_offline  (EvaDoorPage *self);
guint      eva_door_page_get_waiting  (EvaDoorPage *self);
gboolean   eva_door_page_get_locked   (EvaDoorPage *self);

G_END_DECLS
