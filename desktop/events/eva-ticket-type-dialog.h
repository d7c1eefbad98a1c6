/* eva-ticket-type-dialog.h: add or edit one ticket type
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_TICKET_TYPE_DIALOG (eva_ticket_type_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaTicketTypeDialog, eva_ticket_type_dialog, EVA, TICKET_TYPE_DIALOG, AdwWindow)

GtkWindow  *eva_ticket_type_dialog_new            (GtkWindow           *parent,
                                                   EvaApiClient        *client,
                                                   EvaRecord           *event,
                                                   EvaRecord           *ticket_type);
gboolean    eva_ticket_type_dialog_validate       (EvaTicketTypeDialog *self);
JsonObject *eva_ticket_type_dialog_get_fields     (EvaTicketTypeDialog *self);
void        eva_ticket_type_dialog_show_error     (EvaTicketTypeDialog *self,
                                                   const GError        *error);
GtkWidget  *eva_ticket_type_dialog_get_field_row  (EvaTicketTypeDialog *self,
                                                   const char          *field);

G_END_DECLS
