/* eva-booking-tickets.h: the tickets of a booking, in its dialog
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_BOOKING_TICKETS (eva_booking_tickets_get_type ())

G_DECLARE_FINAL_TYPE (EvaBookingTickets, eva_booking_tickets, EVA, BOOKING_TICKETS, AdwPreferencesGroup)

void       eva_booking_tickets_set_booking   (EvaBookingTickets *self,
                                              EvaApiClient      *client,
                                              EvaRecord         *booking,
                                              const char        *timezone);
void       eva_booking_tickets_reload        (EvaBookingTickets *self);
gboolean   eva_booking_tickets_get_busy      (EvaBookingTickets *self);
GPtrArray *eva_booking_tickets_get_tickets   (EvaBookingTickets *self);
GtkWindow *eva_booking_tickets_ask_reissue   (EvaBookingTickets *self,
                                              const char        *ticket_id);
GtkWindow *eva_booking_tickets_edit_holder   (EvaBookingTickets *self,
                                              const char        *ticket_id);
void       eva_booking_tickets_set_holder    (EvaBookingTickets *self,
                                              const char        *ticket_id,
                                              const char        *name);
void       eva_booking_tickets_resend        (EvaBookingTickets *self);
GtkWindow *eva_booking_tickets_open_preview  (EvaBookingTickets *self);

G_END_DECLS
