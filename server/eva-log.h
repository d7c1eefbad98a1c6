/* eva-log.h: structured logging (text or JSON lines)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "eva-config.h"

G_BEGIN_DECLS

void eva_log_init (EvaLogFormat format);

G_END_DECLS
