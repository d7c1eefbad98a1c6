/* eva-server.h: the HTTP server — threads, listeners, shutdown
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "core/eva-config.h"
#include "db/eva-db.h"
#include "http/eva-request.h"

G_BEGIN_DECLS

typedef struct _EvaServer EvaServer;

EvaServer    *eva_server_new             (EvaConfig   *config,
                                          GError     **error);
int           eva_server_run             (EvaServer   *server);
void          eva_server_free            (EvaServer   *server);

EvaConfig    *eva_server_get_config      (EvaServer   *server);
EvaDb        *eva_server_get_db          (EvaServer   *server);
const guint8 *eva_server_get_token_key   (EvaServer   *server);
gboolean      eva_server_is_draining     (EvaServer   *server);
void          eva_server_request_done    (EvaServer   *server,
                                          EvaRequest  *req);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaServer, eva_server_free)

G_END_DECLS
