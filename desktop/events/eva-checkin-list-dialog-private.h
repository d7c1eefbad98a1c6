/* eva-checkin-list-dialog-private.h: what the tests reach of
 * EvaCheckinListDialog
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "events/eva-checkin-list-dialog.h"

G_BEGIN_DECLS

GtkWidget      *_eva_checkin_list_dialog_get_row        (EvaCheckinListDialog *self,
                                                         const char           *name);
GtkCheckButton *_eva_checkin_list_dialog_get_type_check (EvaCheckinListDialog *self,
                                                         const char           *ticket_type_id);
const char     *_eva_checkin_list_dialog_get_last_toast (EvaCheckinListDialog *self);
gboolean        _eva_checkin_list_dialog_get_busy       (EvaCheckinListDialog *self);

G_END_DECLS
