/* eva-pages-private.h: the pages' header parser, for the fuzz targets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The site language an Accept-Language header likes best ("en", "de"),
 * the first of equal weight, or NULL. */
const char *_eva_pages_accepted_lang (const char *header);

G_END_DECLS
