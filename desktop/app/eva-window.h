/* eva-window.h: the main window
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_WINDOW (eva_window_get_type ())

G_DECLARE_FINAL_TYPE (EvaWindow, eva_window, EVA, WINDOW, AdwApplicationWindow)

EvaWindow    *eva_window_new             (GtkApplication *application);
EvaApiClient *eva_window_get_client      (EvaWindow      *self);
void          eva_window_set_offline     (EvaWindow      *self,
                                          const char     *message);
void          eva_window_show_sign_in    (EvaWindow      *self);
void          eva_window_show_events     (EvaWindow      *self);
void          eva_window_show_door       (EvaWindow      *self,
                                          EvaRecord      *event);
void          eva_window_open_event      (EvaWindow      *self,
                                          EvaRecord      *event);
void          eva_window_new_event       (EvaWindow      *self);
GtkWidget    *eva_window_get_page        (EvaWindow      *self,
                                          const char     *name);
GtkWindow    *eva_window_refund_all      (EvaWindow      *self);

G_END_DECLS
