/* test-openapi.c: docs/openapi.yaml and the route table describe the same
 * set of routes, and every operation documents its responses
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "app/eva-routes.h"
#include "eva-test.h"

typedef struct
{
  GHashTable *operations;      /* "METHOD /path" → "1" if it has responses */
  char       *version;
} Spec;

static void
spec_clear (Spec *spec)
{
  g_clear_pointer (&spec->operations, g_hash_table_unref);
  g_clear_pointer (&spec->version, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Spec, spec_clear)

/* Reads the parts we check with a small indentation-aware scan: top-level
 * keys at column 0, paths at 2, methods at 4, their keys at 6. */
static void
load_spec (Spec *spec)
{
  g_autofree char *file = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"),
                                            "docs", "openapi.yaml", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *operation = NULL;
  gboolean in_paths = FALSE;

  g_file_get_contents (file, &text, NULL, &error);
  g_assert_no_error (error);

  spec->operations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      guint indent = strspn (line, " ");
      const char *content = line + indent;
      g_autofree char *key = NULL;

      if (*content == '\0' || *content == '#')
        continue;
      if (strchr (content, ':') == NULL)
        continue;
      key = g_strndup (content, strchr (content, ':') - content);
      g_strstrip (key);
      if (key[0] == '\'' || key[0] == '"')
        {
          memmove (key, key + 1, strlen (key));
          key[strlen (key) - 1] = '\0';
        }

      if (indent == 0)
        {
          in_paths = g_str_equal (key, "paths");
          if (g_str_equal (key, "openapi"))
            spec->version = g_strstrip (g_strdup (strchr (content, ':') + 1));
          continue;
        }
      if (!in_paths)
        continue;

      if (indent == 2)
        {
          g_free (path);
          path = g_strdup (key);
          g_clear_pointer (&operation, g_free);
        }
      else if (indent == 4 && path != NULL)
        {
          const char *methods[] = { "get", "post", "put", "patch", "delete", "head", "options" };

          g_clear_pointer (&operation, g_free);
          for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
            if (g_str_equal (key, methods[m]))
              {
                g_autofree char *upper = g_ascii_strup (key, -1);

                operation = g_strdup_printf ("%s %s", upper, path);
                g_assert_false (g_hash_table_contains (spec->operations, operation));
                g_hash_table_insert (spec->operations, g_strdup (operation), g_strdup ("0"));
              }
        }
      else if (indent == 6 && operation != NULL && g_str_equal (key, "responses"))
        g_hash_table_insert (spec->operations, g_strdup (operation), g_strdup ("1"));
    }
}

static void
test_routes_match_spec (void)
{
  g_auto(Spec) spec = { 0 };
  g_autoptr(GHashTable) routes_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const EvaRoute *routes;
  guint n;
  guint missing = 0;
  guint extra = 0;
  GHashTableIter iter;
  gpointer key, value;

  load_spec (&spec);
  g_assert_nonnull (spec.version);
  g_assert_true (g_str_has_prefix (spec.version, "3."));

  routes = eva_routes_get (&n);
  g_assert_cmpuint (n, >, 10);
  for (guint i = 0; i < n; i++)
    {
      char *op = g_strdup_printf ("%s %s", routes[i].method, routes[i].pattern);

      if (!g_hash_table_contains (spec.operations, op))
        {
          g_test_message ("in the router but not in openapi.yaml: %s", op);
          missing++;
        }
      g_hash_table_add (routes_seen, op);
    }

  g_hash_table_iter_init (&iter, spec.operations);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_hash_table_contains (routes_seen, key))
        {
          g_test_message ("in openapi.yaml but not in the router: %s", (char *) key);
          extra++;
        }
      else if (!g_str_equal (value, "1"))
        {
          g_test_message ("no responses documented for %s", (char *) key);
          extra++;
        }
    }

  g_assert_cmpuint (missing, ==, 0);
  g_assert_cmpuint (extra, ==, 0);
}

static void
test_spec_parser_sees_differences (void)
{
  /* The comparison must be able to fail: a route that is not a route. */
  g_auto(Spec) spec = { 0 };

  load_spec (&spec);
  g_assert_false (g_hash_table_contains (spec.operations, "GET /api/v1/admin/no-such-thing"));
  g_assert_true (g_hash_table_contains (spec.operations, "GET /healthz"));
  g_assert_true (g_hash_table_contains (spec.operations, "POST /api/v1/admin/events/{id}/publish"));
}

static void
test_served (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  g_autofree char *file = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"),
                                            "docs", "openapi.yaml", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaTestResponse) yaml = NULL;
  g_autoptr(EvaTestResponse) page = NULL;

  g_file_get_contents (file, &text, NULL, &error);
  g_assert_no_error (error);

  /* The document as it is in the source tree, byte for byte. */
  yaml = eva_test_request (server, "GET", "/api/v1/openapi.yaml", NULL, NULL, NULL, 0);
  eva_test_assert_status (yaml, 200);
  g_assert_cmpstr (eva_test_header (yaml, "Content-Type"), ==, "application/yaml");
  g_assert_cmpuint (yaml->length, ==, strlen (text));
  g_assert_true (memcmp (yaml->body, text, yaml->length) == 0);

  /* The reference page: every operation, self-contained. */
  page = eva_test_request (server, "GET", "/api/v1/docs", NULL, NULL, NULL, 0);
  eva_test_assert_status (page, 200);
  g_assert_true (g_str_has_prefix (eva_test_header (page, "Content-Type"), "text/html"));
  g_assert_nonnull (strstr (eva_test_header (page, "Content-Security-Policy"), "default-src 'none'"));
  g_assert_nonnull (strstr (page->body, "<h1>Everato API"));
  g_assert_nonnull (strstr (page->body, "id=\"op-eventsCreate\""));
  g_assert_nonnull (strstr (page->body, "id=\"schema-Booking\""));
  g_assert_null (strstr (page->body, "<script"));
  g_assert_null (strstr (page->body, "src="));
  g_assert_null (strstr (page->body, "<link"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/openapi/routes-match-spec", test_routes_match_spec);
  g_test_add_func ("/openapi/parser-sees-differences", test_spec_parser_sees_differences);
  g_test_add_func ("/openapi/served", test_served);

  return g_test_run ();
}
