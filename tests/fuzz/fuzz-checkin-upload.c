/* fuzz-checkin-upload.c: check-in bodies: a redeem, or an offline
 * upload's "scans" (server/api/checkin.c: the strict JSON parser, then
 * _eva_api_checkin_parse_scan for each scan as the handlers do)
 *
 * Properties: a scan that is accepted has a non-empty code of at most
 * 512 bytes, a canonical list id, a nonce of 8 to 100 characters of
 * [A-Za-z0-9-_.:], a type "entry" or "exit", a scanned_at (required in
 * an upload) that eva_time_parse() reads back to a year within
 * 2000–2200, a canonical device id (required in an upload), and an
 * upload is always forced; a refused one names a field it knows, and
 * clearing what was filled in frees everything (LeakSanitizer).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-common.h"
#include "api/checkin-private.h"
#include "fuzz-common.h"

static void
check_id (const char *id)
{
  guint8 uuid[16];
  g_autofree char *canon = NULL;

  FUZZ_CHECK (id != NULL && eva_uuid_parse (id, uuid));
  canon = eva_uuid_format (uuid);
  FUZZ_CHECK (g_str_equal (canon, id));
}

static void
check_scan (JsonObject *object,
            gboolean    upload)
{
  EvaScan scan = { 0 };
  g_autofree char *problem = _eva_api_checkin_parse_scan (object, upload, &scan);

  if (problem == NULL)
    {
      gsize nonce_len;

      FUZZ_CHECK (scan.code != NULL && *scan.code != '\0' && strlen (scan.code) <= 512);
      check_id (scan.list_id);
      FUZZ_CHECK (scan.nonce != NULL);
      nonce_len = strlen (scan.nonce);
      FUZZ_CHECK (nonce_len >= 8 && nonce_len <= 100);
      FUZZ_CHECK (strspn (scan.nonce, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-_.:") == nonce_len);
      FUZZ_CHECK (g_strcmp0 (scan.kind, "entry") == 0 || g_strcmp0 (scan.kind, "exit") == 0);
      if (scan.scanned_at != NULL)
        {
          g_autoptr(GDateTime) t = eva_time_parse (scan.scanned_at, NULL);

          FUZZ_CHECK (t != NULL);
          FUZZ_CHECK (g_date_time_get_year (t) >= 2000 && g_date_time_get_year (t) <= 2200);
        }
      if (scan.device_id != NULL)
        check_id (scan.device_id);
      if (upload)
        FUZZ_CHECK (scan.force && scan.scanned_at != NULL && scan.device_id != NULL);
      FUZZ_CHECK (scan.staff_id == NULL && scan.ticket_id == NULL && scan.verdict == NULL);
    }
  else
    {
      static const char * const fields[] = {
        "code", "list_id", "nonce", "type", "scanned_at", "force", "device_id", NULL,
      };
      g_autoptr(GList) members = json_object_get_members (object);
      gboolean named = FALSE;

      for (guint i = 0; fields[i] != NULL; i++)
        named = named || (g_str_has_prefix (problem, fields[i]) && g_str_has_prefix (problem + strlen (fields[i]), ": "));
      for (GList *l = members; l != NULL; l = l->next)
        named = named || (g_str_has_prefix (problem, l->data) &&
                          g_str_equal (problem + strlen (l->data), ": unknown field"));
      FUZZ_CHECK (named);
    }
  eva_scan_clear (&scan);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonNode *scans;

  fuzz_init ();
  root = eva_json_parse ((const char *) data, (gssize) size, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;
  object = json_node_get_object (root);
  scans = json_object_get_member (object, "scans");
  if (scans != NULL && JSON_NODE_HOLDS_ARRAY (scans))
    {
      JsonArray *array = json_node_get_array (scans);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
          check_scan (json_array_get_object_element (array, i), TRUE);
    }
  else
    check_scan (object, FALSE);
  return 0;
}
