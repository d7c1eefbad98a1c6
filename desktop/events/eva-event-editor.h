/* eva-event-editor.h: every field of one event
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_EVENT_EDITOR (eva_event_editor_get_type ())

G_DECLARE_FINAL_TYPE (EvaEventEditor, eva_event_editor, EVA, EVENT_EDITOR, GtkWidget)

GtkWidget  *eva_event_editor_new             (void);
void        eva_event_editor_set_client      (EvaEventEditor *self,
                                              EvaApiClient   *client);
EvaRecord  *eva_event_editor_get_event       (EvaEventEditor *self);
void        eva_event_editor_set_event       (EvaEventEditor *self,
                                              EvaRecord      *event);
void        eva_event_editor_new_event       (EvaEventEditor *self);
gboolean    eva_event_editor_get_dirty       (EvaEventEditor *self);
gboolean    eva_event_editor_get_busy        (EvaEventEditor *self);
gboolean    eva_event_editor_validate        (EvaEventEditor *self);
JsonObject *eva_event_editor_get_fields      (EvaEventEditor *self);
void        eva_event_editor_save            (EvaEventEditor *self);
void        eva_event_editor_show_error      (EvaEventEditor *self,
                                              const GError   *error);
GtkWidget  *eva_event_editor_get_field_row   (EvaEventEditor *self,
                                              const char     *field);

G_END_DECLS
