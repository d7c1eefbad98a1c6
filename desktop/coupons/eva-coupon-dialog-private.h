/* eva-coupon-dialog-private.h: what the tests reach of EvaCouponDialog
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "coupons/eva-coupon-dialog.h"

G_BEGIN_DECLS

GtkWidget      *_eva_coupon_dialog_get_row          (EvaCouponDialog *self,
                                                     const char      *name);
GtkCheckButton *_eva_coupon_dialog_get_type_check   (EvaCouponDialog *self,
                                                     const char      *ticket_type_id);
gboolean        _eva_coupon_dialog_get_types_loaded (EvaCouponDialog *self);

G_END_DECLS
