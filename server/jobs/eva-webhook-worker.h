/* eva-webhook-worker.h: the threads that deliver outgoing webhooks
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "core/eva-config.h"

G_BEGIN_DECLS

typedef struct _EvaWebhookWorker EvaWebhookWorker;

/* Reads the settings (EVERATO_WEBHOOK_*, see docs/webhooks.md) and fails
 * with a message naming a bad variable. _start() starts the threads, each
 * with a database connection of its own: they claim due deliveries
 * (FOR UPDATE SKIP LOCKED, with a lease), POST them and record the answer,
 * and wake on NOTIFY everato_webhooks. _stop() lets each finish the
 * request it is sending and joins them. @config must outlive it. */
EvaWebhookWorker *eva_webhook_worker_new   (EvaConfig         *config,
                                            GError           **error);
void              eva_webhook_worker_start (EvaWebhookWorker  *worker);
void              eva_webhook_worker_stop  (EvaWebhookWorker  *worker);
void              eva_webhook_worker_free  (EvaWebhookWorker  *worker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaWebhookWorker, eva_webhook_worker_free)

G_END_DECLS
