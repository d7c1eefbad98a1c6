/* eva-mark-paid-dialog.h: record money received by transfer or at the door
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_MARK_PAID_DIALOG (eva_mark_paid_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaMarkPaidDialog, eva_mark_paid_dialog, EVA, MARK_PAID_DIALOG, AdwWindow)

GtkWindow  *eva_mark_paid_dialog_new           (GtkWindow         *parent,
                                                EvaApiClient      *client,
                                                EvaRecord         *booking,
                                                const char        *currency);
void        eva_mark_paid_dialog_set_amount    (EvaMarkPaidDialog *self,
                                                const char        *amount);
void        eva_mark_paid_dialog_set_date      (EvaMarkPaidDialog *self,
                                                const char        *date);
void        eva_mark_paid_dialog_set_reference (EvaMarkPaidDialog *self,
                                                const char        *reference);
GtkWidget  *eva_mark_paid_dialog_get_field_row (EvaMarkPaidDialog *self,
                                                const char        *field);
gboolean    eva_mark_paid_dialog_validate      (EvaMarkPaidDialog *self);
void        eva_mark_paid_dialog_submit        (EvaMarkPaidDialog *self);
gboolean    eva_mark_paid_dialog_get_busy      (EvaMarkPaidDialog *self);
const char *eva_mark_paid_dialog_get_error     (EvaMarkPaidDialog *self);
const char *eva_mark_paid_dialog_get_text      (EvaMarkPaidDialog *self,
                                                const char        *field);

G_END_DECLS
