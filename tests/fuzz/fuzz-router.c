/* fuzz-router.c: paths, path parameters and query strings
 * (eva_router_match in server/http/eva-router.c over the real route
 * table of server/app/eva-routes.c, eva_query_int in
 * server/http/eva-request.c, after libsoup's soup_form_decode as the
 * server receives them)
 *
 * Input: "METHOD PATH[?QUERY]".
 * Properties: a matched route has the method asked for (HEAD as GET),
 * one non-empty parameter per {name} of its pattern, none holding '/',
 * and putting them back into the pattern gives the path again; no route
 * but an Allow list means the path matched under other methods only,
 * never the one asked for. A query integer is either the default
 * (absent or empty), or the parameter's decimal value within its
 * bounds, or a 400 with the error envelope naming the parameter.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-common.h"
#include "app/eva-routes.h"
#include "http/eva-request.h"
#include "fuzz-common.h"

static char *
fill_pattern (const char *pattern,
              GHashTable *params)
{
  GString *out = g_string_new (NULL);

  for (const char *p = pattern; *p != '\0'; p++)
    {
      if (*p == '{')
        {
          const char *close = strchr (p, '}');
          g_autofree char *name = g_strndup (p + 1, close - p - 1);
          const char *value = g_hash_table_lookup (params, name);

          FUZZ_CHECK (value != NULL && *value != '\0' && strchr (value, '/') == NULL);
          g_string_append (out, value);
          p = close;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
check_query_int (GHashTable *query,
                 const char *name,
                 gint64      min,
                 gint64      max,
                 gint64      def)
{
  EvaRequest *req = g_new0 (EvaRequest, 1);
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;
  gint64 value = G_MININT64;

  g_atomic_ref_count_init (&req->ref_count);
  req->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  req->reply_headers = g_ptr_array_new_with_free_func (g_free);
  req->query = query != NULL ? g_hash_table_ref (query) : NULL;

  if (eva_query_int (req, name, min, max, def, &value))
    {
      FUZZ_CHECK (req->status == 0);
      if (text == NULL || *text == '\0')
        FUZZ_CHECK (value == def);
      else
        {
          FUZZ_CHECK (value >= min && value <= max);
          FUZZ_CHECK (g_ascii_strtoll (text, NULL, 10) == value);
          FUZZ_CHECK (strspn (text, "+-0123456789") == strlen (text));
        }
    }
  else
    {
      g_autoptr(JsonNode) reply = NULL;
      JsonObject *error;

      FUZZ_CHECK (value == G_MININT64);
      FUZZ_CHECK (text != NULL && *text != '\0');
      FUZZ_CHECK (req->status == 400 && req->reply_body != NULL);
      reply = eva_json_parse (g_bytes_get_data (req->reply_body, NULL),
                              g_bytes_get_size (req->reply_body), NULL);
      FUZZ_CHECK (reply != NULL);
      error = json_object_get_object_member (json_node_get_object (reply), "error");
      FUZZ_CHECK (g_str_equal (json_object_get_string_member (error, "code"), "validation_failed"));
      FUZZ_CHECK (json_object_has_member (json_object_get_object_member (error, "details"), name));
    }
  eva_request_unref (req);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const EvaRouter *router;
  const uint8_t *rest;
  size_t rest_size;
  g_autofree char *method = NULL;
  g_autofree char *target = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GHashTable) query = NULL;
  g_autofree char *allow = NULL;
  const EvaRoute *route;
  char *question;

  fuzz_init ();
  router = eva_routes_router ();
  method = fuzz_split (data, size, ' ', &rest, &rest_size);
  target = fuzz_string (rest, rest_size);
  question = strchr (target, '?');
  if (question != NULL)
    {
      *question = '\0';
      query = soup_form_decode (question + 1);
    }

  params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  route = eva_router_match (router, method, target, params, &allow);
  if (route != NULL)
    {
      g_autofree char *filled = fill_pattern (route->pattern, params);
      guint n_names = 0;

      FUZZ_CHECK (allow == NULL);
      FUZZ_CHECK (g_str_equal (route->method, g_str_equal (method, "HEAD") ? "GET" : method));
      FUZZ_CHECK (g_str_equal (filled, target));
      for (const char *p = route->pattern; *p != '\0'; p++)
        n_names += *p == '{';
      FUZZ_CHECK (g_hash_table_size (params) == n_names);
    }
  else
    {
      FUZZ_CHECK (g_hash_table_size (params) == 0);
      if (allow != NULL)
        {
          g_auto(GStrv) methods = g_strsplit (allow, ", ", -1);
          const char *asked = g_str_equal (method, "HEAD") ? "GET" : method;

          FUZZ_CHECK (*allow != '\0');
          for (guint i = 0; methods[i] != NULL; i++)
            FUZZ_CHECK (!g_str_equal (methods[i], asked));
        }
    }

  check_query_int (query, "limit", 1, 100, 20);
  check_query_int (query, "offset", 0, 1000000, 0);
  return 0;
}
