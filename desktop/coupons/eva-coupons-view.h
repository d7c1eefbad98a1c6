/* eva-coupons-view.h: the coupons of an event
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_COUPONS_VIEW (eva_coupons_view_get_type ())

G_DECLARE_FINAL_TYPE (EvaCouponsView, eva_coupons_view, EVA, COUPONS_VIEW, GtkWidget)

GtkWidget  *eva_coupons_view_new         (void);
void        eva_coupons_view_set_client  (EvaCouponsView *self,
                                          EvaApiClient   *client);
void        eva_coupons_view_set_event   (EvaCouponsView *self,
                                          EvaRecord      *event);
void        eva_coupons_view_reload      (EvaCouponsView *self);
const char *eva_coupons_view_get_state   (EvaCouponsView *self);
GListModel *eva_coupons_view_get_model   (EvaCouponsView *self);
GtkWindow  *eva_coupons_view_open_coupon (EvaCouponsView *self,
                                          EvaRecord      *coupon);

G_END_DECLS
