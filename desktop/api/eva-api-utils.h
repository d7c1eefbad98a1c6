/* eva-api-utils.h: small GLib helpers of the API client's callers and
 * models, with no GTK in them
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void         eva_cancellable_renew  (GCancellable **cancellable);
gboolean     eva_set_filter_string  (char         **field,
                                     const char    *value);
char        *eva_booking_reference  (const char    *booking_id);

G_END_DECLS
