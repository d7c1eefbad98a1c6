/* eva-payments.c: the words and sums of a booking's payments and refunds
 *
 * Everything here reads the booking JSON of docs/PAYMENTS.md and copes
 * with a server that does not send those members yet: a booking without
 * "paid" has no payment state, nothing to refund and nothing to mark.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-payments"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "widgets/eva-payments.h"

/* ------------------------------------------------------------------ */
/* Words                                                              */
/* ------------------------------------------------------------------ */

const char *
eva_payment_method_label (const char *method)
{
  if (g_strcmp0 (method, "card") == 0)
    return C_("payment method", "Card");
  if (g_strcmp0 (method, "bank_transfer") == 0)
    return C_("payment method", "Bank Transfer");
  if (g_strcmp0 (method, "at_door") == 0)
    return C_("payment method", "At the Door");
  return method != NULL ? method : C_("payment method", "None");
}

const char *
eva_payment_status_label (const char *status)
{
  if (g_strcmp0 (status, "pending") == 0)
    return C_("payment status", "Pending");
  if (g_strcmp0 (status, "paid") == 0)
    return C_("payment status", "Paid");
  if (g_strcmp0 (status, "failed") == 0)
    return C_("payment status", "Failed");
  if (g_strcmp0 (status, "expired") == 0)
    return C_("payment status", "Expired");
  return status != NULL ? status : "";
}

const char *
eva_refund_status_label (const char *status)
{
  if (g_strcmp0 (status, "pending") == 0)
    return C_("refund status", "Pending");
  if (g_strcmp0 (status, "succeeded") == 0)
    return C_("refund status", "Refunded");
  if (g_strcmp0 (status, "failed") == 0)
    return C_("refund status", "Failed");
  if (g_strcmp0 (status, "recorded") == 0)
    return C_("refund status", "Paid Back");
  if (g_strcmp0 (status, "to_refund") == 0)
    return C_("refund status", "To Pay Back");
  return status != NULL ? status : "";
}

const char *
eva_refund_reason_label (const char *reason)
{
  if (g_strcmp0 (reason, "requested_by_customer") == 0)
    return C_("refund reason", "Requested by customer");
  if (g_strcmp0 (reason, "duplicate") == 0)
    return C_("refund reason", "Duplicate");
  if (g_strcmp0 (reason, "fraudulent") == 0)
    return C_("refund reason", "Fraudulent");
  return reason;
}

const char *
eva_payment_state_label (EvaPaymentState state)
{
  switch (state)
    {
    case EVA_PAYMENT_STATE_PAID:
      return C_("payment state", "Paid");
    case EVA_PAYMENT_STATE_UNPAID:
      return C_("payment state", "Unpaid");
    case EVA_PAYMENT_STATE_AWAITING:
      return C_("payment state", "Awaiting");
    case EVA_PAYMENT_STATE_NONE:
    default:
      return NULL;
    }
}

/* The status pill class (style.css) of @state. */
const char *
eva_payment_state_css (EvaPaymentState state)
{
  switch (state)
    {
    case EVA_PAYMENT_STATE_PAID:
      return "paid";
    case EVA_PAYMENT_STATE_UNPAID:
      return "unpaid";
    case EVA_PAYMENT_STATE_AWAITING:
      return "awaiting";
    case EVA_PAYMENT_STATE_NONE:
    default:
      return "unknown";
    }
}

/* ------------------------------------------------------------------ */
/* Sums and states                                                    */
/* ------------------------------------------------------------------ */

static gboolean
knows_payments (EvaRecord *booking)
{
  return json_object_has_member (eva_record_get_object (booking), "paid");
}

EvaPaymentState
eva_booking_payment_state (EvaRecord *booking)
{
  const char *status;

  g_return_val_if_fail (EVA_IS_RECORD (booking), EVA_PAYMENT_STATE_NONE);

  status = eva_record_get_string (booking, "status");
  if (!knows_payments (booking) || eva_record_get_int (booking, "total", 0) <= 0)
    return EVA_PAYMENT_STATE_NONE;
  if (g_strcmp0 (status, "pending_payment") == 0)
    return EVA_PAYMENT_STATE_AWAITING;
  if (g_strcmp0 (status, "confirmed") == 0)
    return eva_record_get_boolean (booking, "paid") ? EVA_PAYMENT_STATE_PAID
                                                    : EVA_PAYMENT_STATE_UNPAID;
  return EVA_PAYMENT_STATE_NONE;
}

/* What the refunds of @booking hold back, failed ones aside: those still
 * pending at the gateway too, which "amount_refunded" (money gone back)
 * leaves out. -1 without a list of refunds. */
static gint64
refunds_asked (EvaRecord *booking)
{
  JsonArray *refunds = eva_booking_get_array (booking, "refunds");
  gint64 sum = 0;

  if (refunds == NULL)
    return -1;
  for (guint i = 0; i < json_array_get_length (refunds); i++)
    {
      JsonNode *element = json_array_get_element (refunds, i);
      JsonObject *refund;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      refund = json_node_get_object (element);
      if (g_strcmp0 (json_object_get_string_member_with_default (refund, "status", NULL), "failed") != 0)
        sum += json_object_get_int_member_with_default (refund, "amount", 0);
    }
  return sum;
}

/* What is paid and not yet given back nor asked back, in minor units:
 * what the server lets refund still. */
gint64
eva_booking_get_refundable (EvaRecord *booking)
{
  g_return_val_if_fail (EVA_IS_RECORD (booking), 0);

  return MAX (0, eva_record_get_int (booking, "amount_paid", 0) -
                 MAX (eva_record_get_int (booking, "amount_refunded", 0), refunds_asked (booking)));
}

gboolean
eva_booking_can_refund (EvaRecord *booking)
{
  g_return_val_if_fail (EVA_IS_RECORD (booking), FALSE);
  return eva_booking_get_refundable (booking) > 0;
}

/* A transfer awaited, or a confirmed booking to be paid at the door. */
gboolean
eva_booking_can_mark_paid (EvaRecord *booking)
{
  const char *status;
  const char *method;

  g_return_val_if_fail (EVA_IS_RECORD (booking), FALSE);

  if (!knows_payments (booking) || eva_record_get_boolean (booking, "paid"))
    return FALSE;
  status = eva_record_get_string (booking, "status");
  method = eva_record_get_string (booking, "payment_method");
  return (g_strcmp0 (method, "bank_transfer") == 0 && g_strcmp0 (status, "pending_payment") == 0) ||
         (g_strcmp0 (method, "at_door") == 0 && g_strcmp0 (status, "confirmed") == 0);
}

/* Money the organizer handles (transfer, at the door) rather than the
 * card gateway: a refund of it is recorded, not sent. */
gboolean
eva_booking_pays_offline (EvaRecord *booking)
{
  const char *method;

  g_return_val_if_fail (EVA_IS_RECORD (booking), FALSE);

  method = eva_record_get_string (booking, "payment_method");
  return g_strcmp0 (method, "bank_transfer") == 0 || g_strcmp0 (method, "at_door") == 0;
}

/**
 * eva_booking_get_array:
 * @member: "payments" or "refunds"
 *
 * Returns: (transfer none) (nullable): the array, or %NULL when missing
 */
JsonArray *
eva_booking_get_array (EvaRecord  *booking,
                       const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (EVA_IS_RECORD (booking), NULL);

  node = json_object_get_member (eva_record_get_object (booking), member);
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}
