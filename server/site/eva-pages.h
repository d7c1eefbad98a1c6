/* eva-pages.h: the attendee site's pages
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "http/eva-request.h"

G_BEGIN_DECLS

/* Replies when the path is one of the site's pages; FALSE otherwise. */
gboolean eva_pages_dispatch        (EvaRequest *req);
void     eva_pages_reply_not_found (EvaRequest *req);
/* The same, reading the site's folder on this thread: never call it on an
 * HTTP thread. */
void     eva_pages_reply_not_found_blocking (EvaRequest *req);

G_END_DECLS
