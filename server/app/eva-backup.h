/* eva-backup.h: everato-server backup / restore
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "core/eva-config.h"

G_BEGIN_DECLS

int eva_backup_run  (EvaConfig  *config,
                     const char *path);
int eva_restore_run (EvaConfig  *config,
                     const char *path,
                     gboolean    force);

G_END_DECLS
