/* eva-session-private.h: the Origin parser, for the fuzz targets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The origin of @url ("scheme://host[:port]", lower case, default ports
 * left out), or NULL when it has no host. */
char *_eva_session_origin_of (const char *url);

G_END_DECLS
