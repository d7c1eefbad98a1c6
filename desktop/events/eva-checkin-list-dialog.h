/* eva-checkin-list-dialog.h: add or edit one check-in list
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_CHECKIN_LIST_DIALOG (eva_checkin_list_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaCheckinListDialog, eva_checkin_list_dialog, EVA, CHECKIN_LIST_DIALOG, AdwWindow)

GtkWindow  *eva_checkin_list_dialog_new        (GtkWindow            *parent,
                                                EvaApiClient         *client,
                                                EvaRecord            *event,
                                                GListModel           *ticket_types,
                                                EvaRecord            *list);
gboolean    eva_checkin_list_dialog_validate   (EvaCheckinListDialog *self);
JsonObject *eva_checkin_list_dialog_get_fields (EvaCheckinListDialog *self);
void        eva_checkin_list_dialog_save       (EvaCheckinListDialog *self);
void        eva_checkin_list_dialog_ask_delete (EvaCheckinListDialog *self);

G_END_DECLS
