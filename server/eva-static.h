/* eva-static.h: the attendee web site's files
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "eva-request.h"

G_BEGIN_DECLS

/* A file of the embedded web/ copy ("css/site.css"), or NULL. */
GBytes *eva_static_resource   (const char *path);

/* Whether the client takes gzip; on the request's thread. */
gboolean eva_static_accepts_gzip (EvaRequest *req);

/* Replies with an HTML page and the site's security headers, gzipped when
 * @gzip_ok; a 200 whose ETag matches @if_none_match becomes a 304. @vary
 * names the request headers the page depends on besides Accept-Encoding
 * (or NULL). Safe from any thread. */
void    eva_static_reply_html (EvaRequest *req,
                               guint       status,
                               GBytes     *body,
                               const char *if_none_match,
                               gboolean    gzip_ok,
                               const char *vary);

G_END_DECLS
