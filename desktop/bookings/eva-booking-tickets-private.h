/* eva-booking-tickets-private.h: what the tests read of EvaBookingTickets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "bookings/eva-booking-tickets.h"

G_BEGIN_DECLS

char       *_eva_booking_tickets_describe    (EvaBookingTickets *self);
const char *_eva_booking_tickets_get_message (EvaBookingTickets *self);
const char *_eva_booking_tickets_get_error   (EvaBookingTickets *self);
gboolean    _eva_booking_tickets_can_resend  (EvaBookingTickets *self);

G_END_DECLS
