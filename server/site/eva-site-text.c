/* eva-site-text.c: text helpers of the composed pages (eva-pages.c and
 * eva-event-page.c): HTML escaping, the site's catalogues, JSON members
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-pages"

#include "config.h"

#include "site/eva-site-text.h"

void
eva_site_append_escaped (GString    *out,
                         const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    switch (*p)
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\'': g_string_append (out, "&#39;"); break;
      default: g_string_append_c (out, *p); break;
      }
}

const char *
eva_site_member_string (JsonObject *object,
                        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gboolean
eva_site_member_int (JsonObject *object,
                     const char *name,
                     gint64     *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

/* @msgid's translation in @strings, or @msgid. */
const char *
eva_site_translated (JsonNode   *strings,
                     const char *msgid)
{
  JsonObject *object = strings != NULL ? json_node_get_object (strings) : NULL;
  JsonNode *member = object != NULL ? json_object_get_member (object, msgid) : NULL;

  if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
      json_node_get_value_type (member) == G_TYPE_STRING && *json_node_get_string (member) != '\0')
    return json_node_get_string (member);
  return msgid;
}
