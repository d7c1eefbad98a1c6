/* eva-site-text.h: text helpers of the composed pages (eva-pages.c,
 * eva-event-page.c)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* @text with & < > " ' as entities, for text and attribute values. */
void        eva_site_append_escaped (GString    *out,
                                     const char *text);
/* @msgid's translation in @strings (a site catalogue, NULL for English),
 * or @msgid. */
const char *eva_site_translated     (JsonNode   *strings,
                                     const char *msgid);
/* A string member of @object, or NULL when missing or not a string. */
const char *eva_site_member_string  (JsonObject *object,
                                     const char *name);
gboolean    eva_site_member_int     (JsonObject *object,
                                     const char *name,
                                     gint64     *out);

G_END_DECLS
