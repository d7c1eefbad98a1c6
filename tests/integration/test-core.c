/* test-core.c: the HTTP core — routing, envelopes, limits, static files,
 * health, request ids
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "eva-test.h"

static EvaTestServer *server;

static void
test_healthz (void)
{
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/healthz", NULL, NULL);

  eva_test_assert_status (resp, 200);
  g_assert_cmpstr (eva_test_json_string (resp->json, "status"), ==, "ok");
}

static void
test_readyz (void)
{
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/readyz", NULL, NULL);

  eva_test_assert_status (resp, 200);
  g_assert_cmpstr (eva_test_json_string (resp->json, "status"), ==, "ready");
  g_assert_cmpint (eva_test_json_int (resp->json, "schema_version"), >=, 1);
}

static void
test_request_id (void)
{
  g_autoptr(EvaTestResponse) a = eva_test_call (server, "GET", "/healthz", NULL, NULL);
  g_autoptr(EvaTestResponse) b = eva_test_call (server, "GET", "/api/v1/nope", NULL, NULL);
  const char *id_a = eva_test_header (a, "X-Request-Id");
  const char *id_b = eva_test_header (b, "X-Request-Id");
  g_autofree char *log = NULL;

  g_assert_nonnull (id_a);
  g_assert_nonnull (id_b);
  g_assert_cmpuint (strlen (id_a), >=, 8);
  g_assert_cmpstr (id_a, !=, id_b);

  /* The id is in the access log too (written in batches, within 200 ms). */
  for (guint i = 0; i < 100; i++)
    {
      g_free (log);
      log = eva_test_server_log (server);
      if (strstr (log, id_b) != NULL)
        break;
      g_usleep (20000);
    }
  g_assert_nonnull (strstr (log, id_b));
}

static void
test_not_found (void)
{
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/no/such/route", NULL, NULL);

  eva_test_assert_error (resp, 404, "not_found");
  g_assert_cmpstr (soup_message_headers_get_content_type (resp->headers, NULL), ==,
                   "application/json");
}

static void
test_method_not_allowed (void)
{
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "PUT", "/api/v1/admin/events", NULL, "{}");
  const char *allow;

  eva_test_assert_error (resp, 405, "method_not_allowed");
  allow = eva_test_header (resp, "Allow");
  g_assert_nonnull (allow);
  g_assert_nonnull (strstr (allow, "GET"));
  g_assert_nonnull (strstr (allow, "POST"));
  g_assert_null (strstr (allow, "PUT"));
}

static void
test_unsupported_media_type (void)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_request (server, "POST", "/api/v1/admin/auth/login", NULL,
                      "text/plain", "email=a&password=b", -1);

  eva_test_assert_error (resp, 415, "unsupported_media_type");
}

static void
test_payload_too_large (void)
{
  gsize size = 1024 * 1024 + 1;
  g_autofree char *body = g_malloc (size);
  g_autoptr(EvaTestResponse) resp = NULL;

  memset (body, ' ', size);
  body[0] = '{';
  body[size - 1] = '}';
  resp = eva_test_request (server, "POST", "/api/v1/admin/auth/login", NULL,
                           "application/json", body, size);
  eva_test_assert_error (resp, 413, "payload_too_large");
}

static void
test_malformed_json (void)
{
  const char *bodies[] = {
    "{",
    "{\"email\": }",
    "[1, 2]",
    "\"just a string\"",
    "{\"email\": \"a@b.test\", \"password\": \"x\",}",
    "nul\x01l",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(EvaTestResponse) resp =
        eva_test_request (server, "POST", "/api/v1/admin/auth/login", NULL,
                          "application/json", bodies[i], -1);

      g_test_message ("body: %s", bodies[i]);
      eva_test_assert_error (resp, 400, "invalid_json");
    }
}

static void
test_invalid_utf8 (void)
{
  const char body[] = "{\"email\": \"a\xff\xfe@b.test\", \"password\": \"0123456789\"}";
  g_autoptr(EvaTestResponse) resp =
    eva_test_request (server, "POST", "/api/v1/admin/auth/login", NULL,
                      "application/json", body, sizeof body - 1);

  g_assert_cmpuint (resp->status, ==, 400);
  g_assert_nonnull (eva_test_json_string (resp->json, "error.code"));
}

static void
test_embedded_nul (void)
{
  const char escaped[] = "{\"email\": \"a\\u0000@b.test\", \"password\": \"0123456789\"}";
  const char raw[] = "{\"email\": \"a\0@b.test\", \"password\": \"0123456789\"}";
  g_autoptr(EvaTestResponse) a =
    eva_test_request (server, "POST", "/api/v1/admin/auth/login", NULL,
                      "application/json", escaped, sizeof escaped - 1);
  g_autoptr(EvaTestResponse) b =
    eva_test_request (server, "POST", "/api/v1/admin/auth/login", NULL,
                      "application/json", raw, sizeof raw - 1);

  g_assert_cmpuint (a->status, ==, 400);
  g_assert_cmpuint (b->status, ==, 400);
}

static void
test_static_index (void)
{
  g_autoptr(EvaTestResponse) first = eva_test_call (server, "GET", "/", NULL, NULL);
  g_autoptr(EvaTestResponse) again = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  const char *etag;

  eva_test_assert_status (first, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (first->headers, NULL), ==, "text/html");
  g_assert_nonnull (strstr (first->body, "<!doctype html>"));
  g_assert_nonnull (eva_test_header (first, "Content-Security-Policy"));
  g_assert_cmpstr (eva_test_header (first, "X-Content-Type-Options"), ==, "nosniff");
  etag = eva_test_header (first, "ETag");
  g_assert_nonnull (etag);

  /* Revalidation with the ETag gives 304 and no body. */
  url = g_strconcat (server->base_url, "/", NULL);
  msg = soup_message_new ("GET", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "If-None-Match", etag);
  g_bytes_unref (soup_session_send_and_read (server->session, msg, NULL, NULL));
  g_assert_cmpuint (soup_message_get_status (msg), ==, 304);

  again = eva_test_call (server, "GET", "/css/site.css", NULL, NULL);
  eva_test_assert_status (again, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (again->headers, NULL), ==, "text/css");
  g_assert_cmpstr (eva_test_header (again, "Cache-Control"), ==, "no-cache");
  g_assert_nonnull (eva_test_header (again, "ETag"));
}

static void
test_static_missing_and_traversal (void)
{
  const char *paths[] = {
    "/no-such-page.html",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/.hidden",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", paths[i], NULL, NULL);

      g_test_message ("path: %s", paths[i]);
      g_assert_cmpuint (resp->status, ==, 404);
      g_assert_null (strstr (resp->body, "root:"));
    }
}

static void
test_static_post_refused (void)
{
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", "/css/site.css", NULL, "{}");

  eva_test_assert_error (resp, 405, "method_not_allowed");
  g_assert_nonnull (eva_test_header (resp, "Allow"));
}

/* With EVERATO_WEB_DIR the pages are composed from that folder's files. */
static void
test_web_dir_override (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("everato-web-XXXXXX", &error);
  g_autofree char *pages = g_build_filename (dir, "pages", NULL);
  g_autofree char *layout = g_build_filename (dir, "layout.html", NULL);
  g_autofree char *events = g_build_filename (pages, "events.html", NULL);
  g_autofree char *not_found = g_build_filename (pages, "not-found.html", NULL);
  g_autofree char *script = g_build_filename (dir, "app.js", NULL);
  g_autofree char *env = g_strconcat ("EVERATO_WEB_DIR=", dir, NULL);
  const char *extra[] = { env, NULL };
  g_autoptr(EvaTestServer) dev = NULL;
  g_autoptr(EvaTestResponse) resp = NULL;
  g_autoptr(EvaTestResponse) js = NULL;
  g_autoptr(EvaTestResponse) missing = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (pages, 0700), ==, 0);
  g_file_set_contents (layout, "<!doctype html><head><!--head--></head>"
                       "<body data-page=\"{{page}}\"><!--main--></body>", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (events, "<h1>dev copy</h1>", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (not_found, "<h1>dev missing</h1>", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (script, "export {};", -1, &error);
  g_assert_no_error (error);

  dev = eva_test_server_start (extra);
  resp = eva_test_call (dev, "GET", "/", NULL, NULL);
  eva_test_assert_status (resp, 200);
  g_assert_nonnull (strstr (resp->body, "<body data-page=\"events\"><h1>dev copy</h1></body>"));
  g_assert_nonnull (strstr (resp->body, "<title>Upcoming events · Everato</title>"));
  js = eva_test_call (dev, "GET", "/app.js", NULL, NULL);
  eva_test_assert_status (js, 200);
  g_assert_cmpstr (js->body, ==, "export {};");
  missing = eva_test_call (dev, "GET", "/nothing.js", NULL, NULL);
  g_assert_cmpuint (missing->status, ==, 404);
  g_assert_nonnull (strstr (missing->body, "dev missing"));

  g_unlink (script);
  g_unlink (not_found);
  g_unlink (events);
  g_unlink (layout);
  g_rmdir (pages);
  g_rmdir (dir);
}

static void
test_bad_config_exits_2 (void)
{
  const char *cases[][2] = {
    { "EVERATO_LISTEN", "not-an-address" },
    { "EVERATO_LISTEN", "127.0.0.1:99999" },
    { "EVERATO_PUBLIC_URL", "ftp://example.com" },
    { "EVERATO_THREADS", "zero" },
    { "EVERATO_DB_POOL_SIZE", "0" },
    { "EVERATO_MAX_BODY", "-5" },
    { "EVERATO_LOG_FORMAT", "xml" },
    { "EVERATO_SMTP_URL", "http://mail.example.com" },
    { "EVERATO_MAIL_FROM", "not an email" },
    { "EVERATO_MAIL_WORKERS", "0" },
    { "EVERATO_MAIL_RETRY_BASE_MS", "soon" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr(GSubprocess) proc = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *err = NULL;

      g_subprocess_launcher_setenv (launcher, cases[i][0], cases[i][1], TRUE);
      proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("EVERATO_SERVER_BIN"),
                                          "serve", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error);
      g_assert_no_error (error);
      g_subprocess_wait (proc, NULL, NULL);
      g_test_message ("%s=%s → %s", cases[i][0], cases[i][1], err);
      g_assert_true (g_subprocess_get_if_exited (proc));
      g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 2);
      g_assert_nonnull (strstr (err, cases[i][0]));
    }
}

static void
test_cli_usage (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *conninfo = g_strdup (server->conninfo);

  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, NULL, "--version", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "everato-server "));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, &err, "frobnicate", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "Usage"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, &out, &err, "migrate", "sideways", NULL), ==, 2);
}

static void
test_json_log_format (void)
{
  const char *extra[] = { "EVERATO_LOG_FORMAT=json", NULL };
  g_autoptr(EvaTestServer) json_server = eva_test_server_start (extra);
  g_autoptr(EvaTestResponse) resp = eva_test_call (json_server, "GET", "/healthz", NULL, NULL);
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean found = FALSE;

  eva_test_assert_status (resp, 200);
  eva_test_server_stop (json_server);
  log = eva_test_server_log (json_server);
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object;

      if (*lines[i] == '\0' || lines[i][0] != '{')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      object = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (object, "path", ""), "/healthz") == 0)
        {
          g_assert_cmpstr (json_object_get_string_member (object, "request_id"), ==,
                           eva_test_header (resp, "X-Request-Id"));
          g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "200");
          found = TRUE;
        }
    }
  g_assert_true (found);
}

static void
test_create_admin_generates_password (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *again = NULL;
  g_autofree char *token = NULL;
  const char *line;
  g_autofree char *password = NULL;

  g_assert_cmpint (eva_test_run_cli (server->conninfo, NULL, &out, &err, "create-admin",
                                     "--email", "Boss@Example.test", NULL), ==, 0);
  line = strstr (out, "password: ");
  g_assert_nonnull (line);
  password = g_strndup (line + strlen ("password: "), strcspn (line + strlen ("password: "), "\n"));
  g_assert_cmpuint (strlen (password), >=, 16);

  /* The printed password works, for the lower-cased address, as a super admin. */
  token = eva_test_login (server, "boss@example.test", password);
  {
    g_autoptr(EvaTestResponse) me = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

    eva_test_assert_status (me, 200);
    g_assert_cmpstr (eva_test_json_string (me->json, "role"), ==, "super_admin");
  }

  /* A second account for the same address is refused, naming it. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (eva_test_run_cli (server->conninfo, NULL, &again, &err, "create-admin",
                                     "--email", "boss@example.test", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "already exists"));

  /* Bad usage exits 2. */
  g_assert_cmpint (eva_test_run_cli (server->conninfo, NULL, NULL, NULL, "create-admin",
                                     "--email", "not-an-email", NULL), ==, 2);
  g_assert_cmpint (eva_test_run_cli (server->conninfo, NULL, NULL, NULL, "create-admin",
                                     "--email", "x@example.test", "--role", "emperor", NULL), ==, 2);
  g_assert_cmpint (eva_test_run_cli (server->conninfo, "short\n", NULL, NULL, "create-admin",
                                     "--email", "y@example.test", "--password-stdin", NULL), ==, 2);
}

static guint
count_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_client_closed_connections_are_released (void)
{
  g_autoptr(EvaTestServer) fresh = eva_test_server_start (NULL);
  g_autofree char *url = g_strconcat (fresh->base_url, "/healthz", NULL);
  guint before, after = 0;

  /* Warm up: the pool and the first connection exist. */
  g_clear_pointer (&fresh->session, g_object_unref);
  before = count_fds (fresh->pid);

  /* 150 clients, each closing its idle keep-alive connection itself. */
  for (guint i = 0; i < 150; i++)
    {
      g_autoptr(SoupSession) session = soup_session_new ();
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);

      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    }

  /* The server lets go of them within a couple of seconds. */
  for (guint i = 0; i < 40; i++)
    {
      after = count_fds (fresh->pid);
      if (after <= before + 4)
        break;
      g_usleep (100000);
    }
  g_test_message ("descriptors: %u before, %u after", before, after);
  g_assert_cmpuint (after, <=, before + 4);

  fresh->session = soup_session_new ();
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = eva_test_server_start (NULL);

  g_test_add_func ("/core/healthz", test_healthz);
  g_test_add_func ("/core/readyz", test_readyz);
  g_test_add_func ("/core/request-id", test_request_id);
  g_test_add_func ("/core/not-found", test_not_found);
  g_test_add_func ("/core/method-not-allowed", test_method_not_allowed);
  g_test_add_func ("/core/unsupported-media-type", test_unsupported_media_type);
  g_test_add_func ("/core/payload-too-large", test_payload_too_large);
  g_test_add_func ("/core/malformed-json", test_malformed_json);
  g_test_add_func ("/core/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/core/embedded-nul", test_embedded_nul);
  g_test_add_func ("/core/static/index", test_static_index);
  g_test_add_func ("/core/static/missing-and-traversal", test_static_missing_and_traversal);
  g_test_add_func ("/core/static/post-refused", test_static_post_refused);
  g_test_add_func ("/core/static/web-dir-override", test_web_dir_override);
  g_test_add_func ("/core/config/bad-values-exit-2", test_bad_config_exits_2);
  g_test_add_func ("/core/cli/usage", test_cli_usage);
  g_test_add_func ("/core/cli/create-admin", test_create_admin_generates_password);
  g_test_add_func ("/core/log/json", test_json_log_format);
  g_test_add_func ("/core/client-closed-connections-are-released",
                   test_client_closed_connections_are_released);

  ret = g_test_run ();
  eva_test_server_free (server);
  return ret;
}
