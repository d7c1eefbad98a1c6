/* eva-json.h: strict JSON parsing and compact output over json-glib
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deeper documents are refused before json-glib (which recurses) sees them. */
#define EVA_JSON_MAX_DEPTH 128

char     *eva_json_to_string (JsonNode     *node);
JsonNode *eva_json_parse     (const char   *data,
                              gssize        len,
                              GError      **error);

G_END_DECLS
