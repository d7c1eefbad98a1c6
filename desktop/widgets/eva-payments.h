/* eva-payments.h: the words and sums of a booking's payments and refunds
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-record.h"

G_BEGIN_DECLS

/* What eva_booking_payment_state() says of a booking. */
typedef enum {
  EVA_PAYMENT_STATE_NONE,      /* nothing to pay, or nothing known */
  EVA_PAYMENT_STATE_PAID,      /* the money is in */
  EVA_PAYMENT_STATE_UNPAID,    /* confirmed, to be paid (at the door) */
  EVA_PAYMENT_STATE_AWAITING,  /* pending_payment: a transfer or a card payment open */
} EvaPaymentState;

const char      *eva_payment_method_label    (const char *method);
const char      *eva_payment_status_label    (const char *status);
const char      *eva_refund_status_label     (const char *status);
const char      *eva_refund_reason_label     (const char *reason);
EvaPaymentState  eva_booking_payment_state   (EvaRecord  *booking);
const char      *eva_payment_state_label     (EvaPaymentState state);
const char      *eva_payment_state_css       (EvaPaymentState state);
gint64           eva_booking_get_refundable  (EvaRecord  *booking);
gboolean         eva_booking_can_refund      (EvaRecord  *booking);
gboolean         eva_booking_can_mark_paid   (EvaRecord  *booking);
gboolean         eva_booking_pays_offline    (EvaRecord  *booking);
JsonArray       *eva_booking_get_array       (EvaRecord  *booking,
                                              const char *member);

G_END_DECLS
