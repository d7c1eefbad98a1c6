/* eva-static.h: the attendee web site's files
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "http/eva-request.h"

G_BEGIN_DECLS

/* A file of the embedded web/ copy ("css/site.css"), or NULL. */
GBytes *eva_static_resource   (const char *path);

/* Whether the client takes gzip; on the request's thread. */
gboolean eva_static_accepts_gzip (EvaRequest *req);

/* Replies with an HTML page and the site's security headers, gzipped when
 * @gzip_ok; a 200 whose ETag matches @if_none_match becomes a 304. @vary
 * names the request headers the page depends on besides Accept-Encoding
 * (or NULL). @cache_control: NULL for "no-cache" (revalidate every time).
 * Safe from any thread. */
void    eva_static_reply_html (EvaRequest *req,
                               guint       status,
                               GBytes     *body,
                               const char *if_none_match,
                               gboolean    gzip_ok,
                               const char *vary,
                               const char *cache_control);

/* Whether a request path may name a file of the site: no "..", ".", hidden
 * or backslashed parts once decoded. */
gboolean eva_static_path_is_clean (const char *path);

/* Replies for a path outside the pages that is to be not found. */
typedef void (*EvaStaticNotFound) (EvaRequest *req);

/* Serves the file of the site at req->path (GET or HEAD), from the
 * embedded copy or EVERATO_WEB_DIR (read on a worker thread). A missing
 * file is answered by @not_found on the request's thread, or by
 * @not_found_blocking on the worker. */
void    eva_static_serve      (EvaRequest        *req,
                               EvaStaticNotFound  not_found,
                               EvaStaticNotFound  not_found_blocking);

G_END_DECLS
