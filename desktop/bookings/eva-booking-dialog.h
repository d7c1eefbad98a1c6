/* eva-booking-dialog.h: one booking in detail, its payments and tickets; cancelling,
 * refunding and marking it paid
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"
#include "bookings/eva-booking-tickets.h"

G_BEGIN_DECLS

#define EVA_TYPE_BOOKING_DIALOG (eva_booking_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaBookingDialog, eva_booking_dialog, EVA, BOOKING_DIALOG, AdwWindow)

GtkWindow *eva_booking_dialog_new         (GtkWindow        *parent,
                                           EvaApiClient     *client,
                                           EvaRecord        *event,
                                           EvaRecord        *booking);
EvaRecord *eva_booking_dialog_get_booking (EvaBookingDialog *self);
EvaBookingTickets *eva_booking_dialog_get_tickets (EvaBookingDialog *self);
gboolean   eva_booking_dialog_get_loading (EvaBookingDialog *self);
void       eva_booking_dialog_reload      (EvaBookingDialog *self);
void       eva_booking_dialog_ask_cancel  (EvaBookingDialog *self);
GtkWindow *eva_booking_dialog_open_refund (EvaBookingDialog *self);
GtkWindow *eva_booking_dialog_open_mark_paid (EvaBookingDialog *self);

G_END_DECLS
