/* eva-event-page.h: the event page's body, filled in on the server
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void eva_event_page_fill (GString    *page,
                          JsonObject *event,
                          JsonNode   *strings,
                          gboolean    signed_in);

G_END_DECLS
