/* api/payments-private.h: the webhook body check, for the fuzz targets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Whether a (signed) Stripe webhook body is an event object with an
 * "id" and a "type" of 1 to 255 bytes each. */
gboolean _eva_api_stripe_event_ok (JsonNode *json);

G_END_DECLS
