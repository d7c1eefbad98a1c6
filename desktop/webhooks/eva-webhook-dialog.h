/* eva-webhook-dialog.h: add or edit one outgoing webhook endpoint
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_WEBHOOK_DIALOG (eva_webhook_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EvaWebhookDialog, eva_webhook_dialog, EVA, WEBHOOK_DIALOG, AdwWindow)

GtkWindow  *eva_webhook_dialog_new        (GtkWindow        *parent,
                                           EvaApiClient     *client,
                                           EvaRecord        *endpoint);
gboolean    eva_webhook_dialog_validate   (EvaWebhookDialog *self);
JsonObject *eva_webhook_dialog_get_fields (EvaWebhookDialog *self);

/* The event types an endpoint may subscribe to (docs/webhooks.md), and
 * what to call them. */
const char * const *eva_webhook_dialog_event_types      (void);
const char         *eva_webhook_dialog_event_label      (const char *type);
char               *eva_webhook_dialog_url_problem      (const char *url);

G_END_DECLS
