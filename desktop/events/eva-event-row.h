/* eva-event-row.h: one event in the list
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "api/eva-record.h"

G_BEGIN_DECLS

#define EVA_TYPE_EVENT_ROW (eva_event_row_get_type ())

G_DECLARE_FINAL_TYPE (EvaEventRow, eva_event_row, EVA, EVENT_ROW, GtkWidget)

GtkWidget *eva_event_row_new       (void);
EvaRecord *eva_event_row_get_event (EvaEventRow *self);
void       eva_event_row_set_event (EvaEventRow *self,
                                    EvaRecord   *event);

G_END_DECLS
