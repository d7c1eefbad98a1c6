/* eva-refund-dialog.h: give a booking's money back, all or part of it
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_REFUND_DIALOG (eva_refund_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaRefundDialog, eva_refund_dialog, EVA, REFUND_DIALOG, AdwWindow)

GtkWindow  *eva_refund_dialog_new        (GtkWindow       *parent,
                                          EvaApiClient    *client,
                                          EvaRecord       *booking,
                                          const char      *currency);
void        eva_refund_dialog_set_amount (EvaRefundDialog *self,
                                          const char      *amount);
void        eva_refund_dialog_set_reason (EvaRefundDialog *self,
                                          const char      *reason);
void        eva_refund_dialog_set_note   (EvaRefundDialog *self,
                                          const char      *note);
gboolean    eva_refund_dialog_validate   (EvaRefundDialog *self);
gint64      eva_refund_dialog_get_amount (EvaRefundDialog *self);
void        eva_refund_dialog_submit     (EvaRefundDialog *self);
gboolean    eva_refund_dialog_get_busy   (EvaRefundDialog *self);
const char *eva_refund_dialog_get_error  (EvaRefundDialog *self);
const char *eva_refund_dialog_get_amount_error (EvaRefundDialog *self);

G_END_DECLS
