/* eva-router.h: the route table and dispatch
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "http/eva-request.h"

G_BEGIN_DECLS

typedef void (*EvaHandler) (EvaRequest *req);

typedef enum
{
  EVA_ROUTE_BODY        = 1 << 0,   /* a JSON object body is required */
  /* A staff route whose handler checks that the sign-in still stands in
   * its own transaction (with eva_request_reply_signed_out () when it has
   * ended) instead of the router doing it first: only for a route where
   * a door's latency counts, and only when every staff role may call it. */
  EVA_ROUTE_OWN_SIGN_IN = 1 << 1,
} EvaRouteFlags;

struct _EvaRoute
{
  const char    *method;
  const char    *pattern;    /* "/api/v1/admin/events/{id}" */
  EvaHandler     handler;
  EvaRole        role;       /* the least role that may call it */
  EvaRouteFlags  flags;
};

/* A route table and what answers paths outside /api/ that match no route
 * (the web site). The table itself is app/eva-routes.c. */
struct _EvaRouter
{
  const EvaRoute *routes;
  guint           n_routes;
  EvaHandler      fallback;
};

const EvaRoute *eva_router_match    (const EvaRouter *router,
                                     const char  *method,
                                     const char  *path,
                                     GHashTable  *params,
                                     char       **allow);
void            eva_router_dispatch (EvaRequest  *req);

G_END_DECLS
