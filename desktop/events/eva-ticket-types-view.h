/* eva-ticket-types-view.h: the ticket types of an event
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_TICKET_TYPES_VIEW (eva_ticket_types_view_get_type ())

G_DECLARE_FINAL_TYPE (EvaTicketTypesView, eva_ticket_types_view, EVA, TICKET_TYPES_VIEW, GtkWidget)

GtkWidget  *eva_ticket_types_view_new        (void);
void        eva_ticket_types_view_set_client (EvaTicketTypesView *self,
                                              EvaApiClient       *client);
void        eva_ticket_types_view_set_event  (EvaTicketTypesView *self,
                                              EvaRecord          *event);
void        eva_ticket_types_view_reload     (EvaTicketTypesView *self);
GListModel *eva_ticket_types_view_get_model  (EvaTicketTypesView *self);

G_END_DECLS
