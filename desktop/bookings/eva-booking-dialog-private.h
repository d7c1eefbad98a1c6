/* eva-booking-dialog-private.h: what the tests read of EvaBookingDialog
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "bookings/eva-booking-dialog.h"

G_BEGIN_DECLS

const char *_eva_booking_dialog_get_text      (EvaBookingDialog *self,
                                               const char       *field);
char       *_eva_booking_dialog_describe_items (EvaBookingDialog *self);
gboolean    _eva_booking_dialog_can_cancel    (EvaBookingDialog *self);
char       *_eva_booking_dialog_describe      (EvaBookingDialog *self,
                                               const char       *what);
gboolean    _eva_booking_dialog_can           (EvaBookingDialog *self,
                                               const char       *action);
const char *_eva_booking_dialog_get_subtitle  (EvaBookingDialog *self,
                                               const char       *what,
                                               guint             index);

G_END_DECLS
