/* eva-common.h: everything in libeverato-common
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "eva-encoding.h"
#include "eva-error.h"
#include "eva-ical.h"
#include "eva-json.h"
#include "eva-money.h"
#include "eva-qr.h"
#include "eva-ticket-code.h"
#include "eva-time.h"
#include "eva-validate.h"

G_BEGIN_DECLS

void eva_common_init (void);

G_END_DECLS
