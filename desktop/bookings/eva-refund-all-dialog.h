/* eva-refund-all-dialog.h: give back the money of every paid booking of
 * an event, with a progress bar and a report
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_REFUND_ALL_DIALOG (eva_refund_all_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaRefundAllDialog, eva_refund_all_dialog, EVA, REFUND_ALL_DIALOG, AdwWindow)

GtkWindow  *eva_refund_all_dialog_new           (GtkWindow          *parent,
                                                 EvaApiClient       *client,
                                                 EvaRecord          *event);
void        eva_refund_all_dialog_start         (EvaRefundAllDialog *self);
void        eva_refund_all_dialog_retry         (EvaRefundAllDialog *self);
gboolean    eva_refund_all_dialog_get_running   (EvaRefundAllDialog *self);
double      eva_refund_all_dialog_get_fraction  (EvaRefundAllDialog *self);
guint       eva_refund_all_dialog_get_count     (EvaRefundAllDialog *self,
                                                 const char         *what);
char       *eva_refund_all_dialog_describe      (EvaRefundAllDialog *self,
                                                 const char         *what);

G_END_DECLS
