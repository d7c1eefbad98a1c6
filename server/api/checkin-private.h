/* api/checkin-private.h: the check-in body parser, for the fuzz targets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "services/checkin.h"

G_BEGIN_DECLS

/* Fills @scan from @object (a redeem body, or with @upload one element
 * of an upload's "scans"), or returns the first problem as
 * "field: message" (free it, and clear @scan, with eva_scan_clear()). */
char *_eva_api_checkin_parse_scan (JsonObject *object,
                                   gboolean    upload,
                                   EvaScan    *scan);

G_END_DECLS
