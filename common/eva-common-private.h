/* eva-common-private.h: internal helpers of libeverato-common
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void _eva_sodium_ensure (void);

G_END_DECLS
