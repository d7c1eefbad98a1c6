/* eva-routes.h: the route table
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "http/eva-router.h"

G_BEGIN_DECLS

/* Every route, in matching order. */
const EvaRoute  *eva_routes_get    (guint *n_routes);
/* The table with the web site as the fallback for other paths. */
const EvaRouter *eva_routes_router (void);

G_END_DECLS
