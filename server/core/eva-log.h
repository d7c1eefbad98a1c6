/* eva-log.h: structured logging (text or JSON lines)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "core/eva-config.h"

G_BEGIN_DECLS

void  eva_log_init           (EvaLogFormat format);
/* Writes out buffered access lines; a timer on the default main context
 * does it every 200 ms once started. */
guint eva_log_start_flushing (void);
void  eva_log_flush          (void);

G_END_DECLS
