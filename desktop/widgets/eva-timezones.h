/* eva-timezones.h: the IANA time zone names the system knows
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkStringList *eva_timezones_get_model (void);
guint          eva_timezones_find      (GtkStringList *model,
                                        const char    *identifier);

G_END_DECLS
