/* eva-time.h: RFC 3339 timestamps and IANA time zone names
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GDateTime *eva_time_parse        (const char  *text,
                                  GError     **error);
char      *eva_time_format       (GDateTime   *dt);
gboolean   eva_timezone_is_valid (const char  *identifier);

G_END_DECLS
