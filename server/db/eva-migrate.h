/* eva-migrate.h: schema migrations embedded in the binary
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "db/eva-db.h"

G_BEGIN_DECLS

guint    eva_migrate_latest  (void);
gboolean eva_migrate_up      (EvaDbConn  *conn,
                              GString    *log,
                              GError    **error);
gboolean eva_migrate_down    (EvaDbConn  *conn,
                              guint       steps,
                              GString    *log,
                              GError    **error);
gboolean eva_migrate_status  (EvaDbConn  *conn,
                              GString    *out,
                              GError    **error);
/* The version the database is at (0 when nothing is applied). */
gboolean eva_migrate_current (EvaDbConn  *conn,
                              guint      *version,
                              GError    **error);

G_END_DECLS
