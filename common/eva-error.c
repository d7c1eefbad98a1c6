/* eva-error.c: the shared error domain
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include "eva-error.h"

G_DEFINE_QUARK (eva-error-quark, eva_error)
