/* eva-request-private.h: the request helpers' parsers, for the fuzz targets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The value of cookie @name in the Cookie header(s) @list ("a=1; b=2",
 * several headers joined by ", "), or NULL when absent or empty. */
char *_eva_cookie_find (const char *list,
                        const char *name);

G_END_DECLS
