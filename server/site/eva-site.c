/* eva-site.c: the attendee web site, for paths outside /api/
 *
 * The router hands every path outside /api/ that matches no route here
 * (EvaRouter.fallback). Pages are composed first, then files are served;
 * what is neither gets the site's own not-found page with status 404.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-site"

#include "config.h"

#include "site/eva-pages.h"
#include "site/eva-site.h"
#include "site/eva-static.h"

void
eva_site_handle (EvaRequest *req)
{
  if (!g_str_equal (req->method, "GET") && !g_str_equal (req->method, "HEAD"))
    {
      eva_request_add_header (req, "Allow", "GET, HEAD");
      eva_request_reply_error (req, 405, "method_not_allowed", NULL,
                               "%s is not allowed here; use GET", req->method);
      return;
    }

  if (!eva_static_path_is_clean (req->path))
    {
      eva_pages_reply_not_found (req);
      return;
    }

  if (eva_pages_dispatch (req))
    return;

  eva_static_serve (req, eva_pages_reply_not_found, eva_pages_reply_not_found_blocking);
}
