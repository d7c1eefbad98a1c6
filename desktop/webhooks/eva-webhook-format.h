/* eva-webhook-format.h: how endpoints and deliveries are shown
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-record.h"

G_BEGIN_DECLS

const char *eva_webhook_delivery_status_label  (const char *status);
const char *eva_webhook_delivery_status_class  (const char *status);
GtkWidget  *eva_webhook_pill_new               (const char *label,
                                                const char *status_class);
gboolean    eva_webhook_disabled_by_failures   (EvaRecord  *endpoint);
char       *eva_webhook_format_time            (EvaRecord  *record,
                                                const char *member);
char       *eva_webhook_describe_events        (EvaRecord  *endpoint);
char       *eva_webhook_describe_last_delivery (EvaRecord  *delivery);

G_END_DECLS
