/* eva-coupon-dialog.h: add or edit one coupon
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_COUPON_DIALOG (eva_coupon_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaCouponDialog, eva_coupon_dialog, EVA, COUPON_DIALOG, AdwWindow)

GtkWindow  *eva_coupon_dialog_new        (GtkWindow       *parent,
                                          EvaApiClient    *client,
                                          EvaRecord       *event,
                                          EvaRecord       *coupon);
gboolean    eva_coupon_dialog_validate   (EvaCouponDialog *self);
JsonObject *eva_coupon_dialog_get_fields (EvaCouponDialog *self);
void        eva_coupon_dialog_reload_ticket_types (EvaCouponDialog *self);

G_END_DECLS
