/* eva-site.h: the attendee web site, for paths outside /api/
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "http/eva-request.h"

G_BEGIN_DECLS

/* A composed page (site/eva-pages.c), else a file of web/
 * (site/eva-static.c), else the not-found page. */
void eva_site_handle (EvaRequest *req);

G_END_DECLS
