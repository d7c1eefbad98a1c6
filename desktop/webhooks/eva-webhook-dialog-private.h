/* eva-webhook-dialog-private.h: what the tests reach of the endpoint
 * dialog
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "webhooks/eva-webhook-dialog.h"

G_BEGIN_DECLS

/* "url", "description", "error" (the label under them), "enabled",
 * "save", "delete" or an event type
 * (its check button). */
GtkWidget  *_eva_webhook_dialog_get_widget       (EvaWebhookDialog  *self,
                                                  const char        *name);
gboolean    _eva_webhook_dialog_get_busy         (EvaWebhookDialog  *self);

G_END_DECLS
