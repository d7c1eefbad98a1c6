/* fuzz-json.c: the strict JSON body parser (common/eva-json.c) and the
 * field validators of request bodies (eva_input_*, server/http/eva-request.c)
 *
 * Properties: a document that is accepted is no deeper than
 * EVA_JSON_MAX_DEPTH, prints to compact JSON that is accepted again and
 * prints the same; a refused one has an error. Over an accepted object
 * the eva_input_* helpers give values that keep their promises (strings
 * valid single-line UTF-8 within their length, numbers within bounds,
 * times within 1900–9999, id lists canonical and without repeats), and
 * a refusal is a 400 with the JSON error envelope naming every field
 * at fault.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-common.h"
#include "http/eva-request.h"
#include "fuzz-common.h"

static guint
depth_of (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GList) values = json_object_get_values (json_node_get_object (node));

      for (GList *l = values; l != NULL; l = l->next)
        deepest = MAX (deepest, depth_of (l->data));
      return deepest + 1;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        deepest = MAX (deepest, depth_of (json_array_get_element (array, i)));
      return deepest + 1;
    }
  return 0;
}

static EvaRequest *
request_new (JsonNode *json)
{
  EvaRequest *req = g_new0 (EvaRequest, 1);

  g_atomic_ref_count_init (&req->ref_count);
  req->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  req->reply_headers = g_ptr_array_new_with_free_func (g_free);
  req->json = json != NULL ? json_node_ref (json) : NULL;
  return req;
}

/* The reply is the error envelope with @code; returns its details. */
static JsonObject *
check_error_reply (EvaRequest *req,
                   const char *code)
{
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *error;

  FUZZ_CHECK (req->status == 400);
  FUZZ_CHECK (req->reply_body != NULL);
  reply = eva_json_parse (g_bytes_get_data (req->reply_body, NULL),
                          g_bytes_get_size (req->reply_body), NULL);
  FUZZ_CHECK (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply));
  error = json_object_get_object_member (json_node_get_object (reply), "error");
  FUZZ_CHECK (error != NULL);
  FUZZ_CHECK (g_strcmp0 (json_object_get_string_member_with_default (error, "code", NULL), code) == 0);
  FUZZ_CHECK (json_object_get_string_member_with_default (error, "message", NULL) != NULL);
  FUZZ_CHECK (json_object_get_object_member (error, "details") != NULL);
  return json_object_ref (json_object_get_object_member (error, "details"));
}

static void
check_input (JsonNode *root)
{
  g_autoptr(EvaRequest) req = request_new (root);
  g_auto(EvaInput) in = { 0 };
  const char *name = NULL, *notes = NULL;
  gint64 count = G_MININT64;
  gboolean flag = 2;
  g_autoptr(GDateTime) starts_at = NULL;
  g_autofree char *ids = NULL;
  guint n_ids = 0;
  EvaFieldState state;
  gboolean ok;

  if (!eva_input_begin (&in, req))
    {
      g_autoptr(JsonObject) details = check_error_reply (req, "invalid_json");

      FUZZ_CHECK (!JSON_NODE_HOLDS_OBJECT (root));
      return;
    }

  state = eva_input_string (&in, "name", EVA_FIELD_REQUIRED, 20, &name);
  FUZZ_CHECK ((state == EVA_FIELD_SET) == (name != NULL));
  if (name != NULL)
    FUZZ_CHECK (g_utf8_validate (name, -1, NULL) && g_utf8_strlen (name, -1) <= 20 &&
                *name != '\0' && strpbrk (name, "\n\r\t") == NULL &&
                eva_validate_text (name, -1, 20, EVA_TEXT_SINGLE_LINE, NULL));

  state = eva_input_string (&in, "notes", EVA_FIELD_MULTILINE | EVA_FIELD_EMPTY | EVA_FIELD_NULLABLE,
                            200, &notes);
  FUZZ_CHECK ((state == EVA_FIELD_SET) == (notes != NULL));
  if (notes != NULL)
    FUZZ_CHECK (g_utf8_validate (notes, -1, NULL) && g_utf8_strlen (notes, -1) <= 200);

  state = eva_input_int (&in, "count", EVA_FIELD_OPTIONAL, -5, 1000, &count);
  if (state == EVA_FIELD_SET)
    FUZZ_CHECK (count >= -5 && count <= 1000);
  else
    FUZZ_CHECK (count == G_MININT64);

  state = eva_input_bool (&in, "flag", EVA_FIELD_NULLABLE, &flag);
  FUZZ_CHECK (state == EVA_FIELD_SET ? (flag == TRUE || flag == FALSE) : flag == 2);

  state = eva_input_time (&in, "starts_at", EVA_FIELD_OPTIONAL, &starts_at);
  FUZZ_CHECK ((state == EVA_FIELD_SET) == (starts_at != NULL));
  if (starts_at != NULL)
    FUZZ_CHECK (g_date_time_get_year (starts_at) >= 1900 && g_date_time_get_year (starts_at) <= 9999);

  state = eva_input_uuid_list (&in, "ids", 4, &ids, &n_ids);
  if (state == EVA_FIELD_ABSENT)
    FUZZ_CHECK (ids == NULL && n_ids == 0);
  else if (ids == NULL)
    FUZZ_CHECK (!eva_input_ok (&in, "ids") && n_ids == 0);
  else
    {
      g_autofree char *inner = NULL;
      g_auto(GStrv) parts = NULL;

      FUZZ_CHECK (ids != NULL && n_ids <= 4);
      FUZZ_CHECK (ids[0] == '{' && g_str_has_suffix (ids, "}"));
      inner = g_strndup (ids + 1, strlen (ids) - 2);
      parts = *inner != '\0' ? g_strsplit (inner, ",", -1) : g_new0 (char *, 1);
      FUZZ_CHECK (g_strv_length (parts) == n_ids);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          guint8 uuid[16];
          g_autofree char *canon = NULL;

          FUZZ_CHECK (eva_uuid_parse (parts[i], uuid));
          canon = eva_uuid_format (uuid);
          FUZZ_CHECK (g_str_equal (canon, parts[i]));
          for (guint j = 0; j < i; j++)
            FUZZ_CHECK (!g_str_equal (parts[j], parts[i]));
        }
    }

  ok = eva_input_end (&in);
  if (ok)
    {
      FUZZ_CHECK (req->status == 0);
      FUZZ_CHECK (name != NULL);
    }
  else
    {
      g_autoptr(JsonObject) details = check_error_reply (req, "validation_failed");
      g_autoptr(GList) members = json_object_get_members (in.object);

      FUZZ_CHECK (json_object_get_size (details) > 0);
      if (name == NULL)
        FUZZ_CHECK (json_object_has_member (details, "name"));
      /* Every member the handler did not ask for is named. */
      for (GList *l = members; l != NULL; l = l->next)
        if (!g_strv_contains ((const char * const[]) { "name", "notes", "count", "flag",
                                                       "starts_at", "ids", NULL }, l->data))
          FUZZ_CHECK (json_object_has_member (details, l->data));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  fuzz_init ();
  root = eva_json_parse ((const char *) data, (gssize) size, &error);
  if (root == NULL)
    {
      FUZZ_CHECK (error != NULL && error->message != NULL);
      return 0;
    }
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (depth_of (root) <= EVA_JSON_MAX_DEPTH);

  text = eva_json_to_string (root);
  again = eva_json_parse (text, -1, NULL);
  FUZZ_CHECK (again != NULL);
  text_again = eva_json_to_string (again);
  FUZZ_CHECK (g_str_equal (text, text_again));

  check_input (root);
  return 0;
}
