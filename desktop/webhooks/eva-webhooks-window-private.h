/* eva-webhooks-window-private.h: what the tests reach of the webhooks
 * window
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "webhooks/eva-webhooks-window.h"

G_BEGIN_DECLS

/* "loading", "empty", "error" or "list"; and of the delivery log. */
const char *_eva_webhooks_window_get_state       (EvaWebhooksWindow *self);
const char *_eva_webhooks_window_get_log_state   (EvaWebhooksWindow *self);
GListModel *_eva_webhooks_window_get_endpoints   (EvaWebhooksWindow *self);
GListModel *_eva_webhooks_window_get_deliveries  (EvaWebhooksWindow *self);
GtkListBox *_eva_webhooks_window_get_list_box    (EvaWebhooksWindow *self);
GtkListBox *_eva_webhooks_window_get_log_box     (EvaWebhooksWindow *self);
GtkWidget  *_eva_webhooks_window_get_test_button (EvaWebhooksWindow *self);
const char *_eva_webhooks_window_get_error       (EvaWebhooksWindow *self);

G_END_DECLS
