/* eva-webhooks-window.h: outgoing webhook endpoints and their delivery
 * log (organizers)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_WEBHOOKS_WINDOW (eva_webhooks_window_get_type ())

G_DECLARE_FINAL_TYPE (EvaWebhooksWindow, eva_webhooks_window, EVA, WEBHOOKS_WINDOW, AdwWindow)

GtkWindow *eva_webhooks_window_new             (GtkWindow         *parent,
                                                EvaApiClient      *client);
void       eva_webhooks_window_reload          (EvaWebhooksWindow *self);
GtkWindow *eva_webhooks_window_add             (EvaWebhooksWindow *self);
GtkWindow *eva_webhooks_window_edit            (EvaWebhooksWindow *self,
                                                EvaRecord         *endpoint);
void       eva_webhooks_window_show_deliveries (EvaWebhooksWindow *self,
                                                EvaRecord         *endpoint);
void       eva_webhooks_window_reload_deliveries (EvaWebhooksWindow *self);
void       eva_webhooks_window_send_test       (EvaWebhooksWindow *self);

G_END_DECLS
