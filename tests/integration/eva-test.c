/* eva-test.c: integration test harness
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gio/gio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "eva-test.h"

static const char *
admin_conninfo (void)
{
  const char *conninfo = g_getenv ("EVERATO_TEST_PG");

  if (conninfo == NULL || *conninfo == '\0')
    g_error ("EVERATO_TEST_PG is not set: run the tests with ./scripts/everato test, "
             "which starts a throwaway PostgreSQL cluster");
  return conninfo;
}

/* ------------------------------------------------------------------ */
/* Databases                                                          */
/* ------------------------------------------------------------------ */

static PGconn *
connect_or_die (const char *conninfo)
{
  PGconn *pg = PQconnectdb (conninfo);

  if (PQstatus (pg) != CONNECTION_OK)
    g_error ("cannot connect to the test cluster (%s): %s", conninfo, PQerrorMessage (pg));
  PQclear (PQexec (pg, "SET client_min_messages = warning"));
  return pg;
}

char *
eva_test_db_create (void)
{
  static gint counter;
  char *name = g_strdup_printf ("t_%d_%d_%u", (int) getpid (),
                                g_atomic_int_add (&counter, 1), g_random_int () % 100000);
  PGconn *pg = connect_or_die (admin_conninfo ());
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE \"%s\"", name);
  PGresult *result = PQexec (pg, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("CREATE DATABASE failed: %s", PQerrorMessage (pg));
  PQclear (result);
  PQfinish (pg);
  return name;
}

void
eva_test_db_drop (const char *dbname)
{
  PGconn *pg = connect_or_die (admin_conninfo ());
  g_autofree char *sql = g_strdup_printf ("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", dbname);

  PQclear (PQexec (pg, sql));
  PQfinish (pg);
}

char *
eva_test_db_conninfo (const char *dbname)
{
  return g_strdup_printf ("%s dbname=%s", admin_conninfo (), dbname);
}

PGconn *
eva_test_db_connect (const char *dbname)
{
  g_autofree char *conninfo = eva_test_db_conninfo (dbname);

  return connect_or_die (conninfo);
}

char *
eva_test_sql (PGconn     *pg,
              const char *sql,
              ...)
{
  const char *params[32];
  int n = 0;
  va_list args;
  PGresult *result;
  char *value = NULL;

  va_start (args, sql);
  for (const char *p = va_arg (args, const char *); p != NULL; p = va_arg (args, const char *))
    {
      g_assert_cmpint (n, <, 32);
      params[n++] = p;
    }
  va_end (args);

  result = PQexecParams (pg, sql, n, NULL, params, NULL, NULL, 0);
  if (PQresultStatus (result) != PGRES_TUPLES_OK && PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("SQL failed: %s\n%s", sql, PQerrorMessage (pg));
  if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) > 0 &&
      !PQgetisnull (result, 0, 0))
    value = g_strdup (PQgetvalue (result, 0, 0));
  PQclear (result);
  return value;
}

/* ------------------------------------------------------------------ */
/* The binary                                                         */
/* ------------------------------------------------------------------ */

static const char *
server_bin (void)
{
  const char *bin = g_getenv ("EVERATO_SERVER_BIN");

  g_assert_nonnull (bin);
  return bin;
}

/* The environment of a server or command: the caller's, the test master
 * key, then @extra_env ("NAME=value" each). */
static char **
child_environ (char               **envp,
               const char * const  *extra_env)
{
  envp = g_environ_setenv (envp, "EVERATO_MASTER_KEY", EVA_TEST_MASTER_KEY, TRUE);
  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
    {
      const char *eq = strchr (extra_env[i], '=');
      g_autofree char *name = NULL;

      g_assert_nonnull (eq);
      name = g_strndup (extra_env[i], eq - extra_env[i]);
      /* An empty value is the same as none to the server. */
      envp = g_environ_setenv (envp, name, eq + 1, TRUE);
    }
  return envp;
}

static int
run_cli_v (const char          *conninfo,
           const char * const  *extra_env,
           const char          *stdin_text,
           char               **out,
           char               **err,
           const char          *arg,
           va_list              args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_ptr_array_add (argv, (gpointer) server_bin ());
  for (const char *a = arg; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new ((stdin_text != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0) |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  envp = g_environ_setenv (envp, "EVERATO_DATABASE_URL", conninfo, TRUE);
  envp = child_environ (envp, extra_env);
  g_subprocess_launcher_set_environ (launcher, envp);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, stdin_text, NULL,
                                 &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);

  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  else if (stderr_text != NULL && *stderr_text != '\0')
    g_test_message ("stderr: %s", stderr_text);

  if (!g_subprocess_get_if_exited (proc))
    return -1;
  return g_subprocess_get_exit_status (proc);
}

int
eva_test_run_cli (const char  *conninfo,
                  const char  *stdin_text,
                  char       **out,
                  char       **err,
                  const char  *arg,
                  ...)
{
  va_list args;
  int status;

  va_start (args, arg);
  status = run_cli_v (conninfo, NULL, stdin_text, out, err, arg, args);
  va_end (args);
  return status;
}

int
eva_test_run_cli_env (const char         *conninfo,
                      const char * const *extra_env,
                      const char         *stdin_text,
                      char              **out,
                      char              **err,
                      const char         *arg,
                      ...)
{
  va_list args;
  int status;

  va_start (args, arg);
  status = run_cli_v (conninfo, extra_env, stdin_text, out, err, arg, args);
  va_end (args);
  return status;
}

/* ------------------------------------------------------------------ */
/* Servers                                                            */
/* ------------------------------------------------------------------ */

char *
eva_test_server_log (EvaTestServer *server)
{
  char *text = NULL;

  g_file_get_contents (server->log_path, &text, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

/* A test that fails mid-way must not leave what it started running. */
void
eva_test_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static guint16
wait_for_port (EvaTestServer *server)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *log = eva_test_server_log (server);
      const char *at = strstr (log, "listening on http://127.0.0.1:");
      int status;

      if (at != NULL)
        return (guint16) atoi (at + strlen ("listening on http://127.0.0.1:"));

      if (waitpid (server->pid, &status, WNOHANG) == server->pid)
        g_error ("everato-server exited while starting:\n%s", log);
      g_usleep (20000);
    }

  g_error ("everato-server did not start in time:\n%s", eva_test_server_log (server));
  return 0;
}

EvaTestServer *
eva_test_server_start_on (const char         *dbname,
                          const char * const *extra_env)
{
  EvaTestServer *server = g_new0 (EvaTestServer, 1);
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  const char *argv[] = { server_bin (), "serve", NULL };
  int log_fd;

  server->dbname = g_strdup (dbname);
  server->conninfo = eva_test_db_conninfo (dbname);
  server->tmpdir = g_dir_make_tmp ("everato-test-XXXXXX", &error);
  g_assert_no_error (error);
  server->log_path = g_build_filename (server->tmpdir, "server.log", NULL);
  data_dir = g_build_filename (server->tmpdir, "data", NULL);

  envp = g_environ_setenv (envp, "EVERATO_DATABASE_URL", server->conninfo, TRUE);
  envp = g_environ_setenv (envp, "EVERATO_LISTEN", "127.0.0.1:0", TRUE);
  envp = g_environ_setenv (envp, "EVERATO_DATA_DIR", data_dir, TRUE);
  envp = g_environ_setenv (envp, "EVERATO_THREADS", "2", FALSE);
  envp = g_environ_setenv (envp, "EVERATO_DB_POOL_SIZE", "4", FALSE);
  /* The tests sign up many accounts from one address. */
  envp = g_environ_setenv (envp, "EVERATO_SIGNUP_LIMIT", "100000", FALSE);
  envp = g_environ_unsetenv (envp, "EVERATO_SMTP_URL");
  envp = child_environ (envp, extra_env);

  log_fd = open (server->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (log_fd, >=, 0);
  g_spawn_async_with_fds (NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                          eva_test_die_with_parent, NULL, &server->pid, -1, log_fd, log_fd, &error);
  g_assert_no_error (error);
  close (log_fd);

  server->port = wait_for_port (server);
  server->base_url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  server->session = soup_session_new_with_options ("timeout", 60, "max-conns", 64,
                                                   "max-conns-per-host", 64, NULL);
  server->pg = eva_test_db_connect (dbname);
  return server;
}

EvaTestServer *
eva_test_server_start (const char * const *extra_env)
{
  g_autofree char *dbname = eva_test_db_create ();

  return eva_test_server_start_on (dbname, extra_env);
}

static int
wait_exit (GPid pid)
{
  int status = 0;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return status;
}

void
eva_test_server_stop (EvaTestServer *server)
{
  int status;

  if (server->pid == 0)
    return;

  kill (server->pid, SIGTERM);
  status = wait_exit (server->pid);
  server->pid = 0;

  /* A clean stop exits 0; sanitizer reports and crashes do not. */
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_autofree char *log = eva_test_server_log (server);

      g_printerr ("%s\n", log);
      g_error ("everato-server did not stop cleanly (status %d)", status);
    }
}

void
eva_test_server_kill (EvaTestServer *server)
{
  if (server->pid == 0)
    return;
  kill (server->pid, SIGKILL);
  wait_exit (server->pid);
  server->pid = 0;
}

void
eva_test_server_free (EvaTestServer *server)
{
  if (server == NULL)
    return;

  eva_test_server_stop (server);
  g_clear_object (&server->session);
  g_clear_pointer (&server->pg, PQfinish);
  if (server->dbname != NULL)
    eva_test_db_drop (server->dbname);
  if (server->tmpdir != NULL)
    {
      g_autofree char *quoted = g_shell_quote (server->tmpdir);
      g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

      (void) !system (command);
    }
  g_free (server->dbname);
  g_free (server->conninfo);
  g_free (server->tmpdir);
  g_free (server->log_path);
  g_free (server->base_url);
  g_free (server);
}

/* A loopback TCP port free at the time of the call. */
guint16
eva_test_free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* ------------------------------------------------------------------ */
/* HTTP                                                               */
/* ------------------------------------------------------------------ */
/* Every JSON response is checked against docs/openapi.yaml by one
 * openapi-check.py per test program, started on first use and fed one
 * line per response; it answers "ok" or "error: …". */

static GMutex checker_lock;
static FILE  *checker_in;
static FILE  *checker_out;

static void
checker_start (void)
{
  const char *root = g_getenv ("EVERATO_SOURCE_ROOT");
  g_autofree char *script = NULL;
  g_autoptr(GError) error = NULL;
  int in_fd, out_fd;
  const char *argv[3] = { eva_test_python (), NULL, NULL };

  g_assert_nonnull (root);
  script = g_build_filename (root, "tests", "integration", "openapi-check.py", NULL);
  argv[1] = script;
  /* No parent-death signal: it would follow the thread that started the
   * checker. The checker ends when its input closes with this process. */
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT,
                                 NULL, NULL, NULL,
                                 &in_fd, &out_fd, NULL, &error))
    g_error ("cannot start %s: %s", script, error->message);
  fcntl (in_fd, F_SETFD, FD_CLOEXEC);
  fcntl (out_fd, F_SETFD, FD_CLOEXEC);
  checker_in = fdopen (in_fd, "w");
  checker_out = fdopen (out_fd, "r");
  g_assert_nonnull (checker_in);
  g_assert_nonnull (checker_out);
}

void
eva_test_check_response (const char *method,
                         const char *path,
                         guint       status,
                         JsonNode   *json)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GString) reply = g_string_new (NULL);
  char buf[4096];

  if (g_strcmp0 (g_getenv ("EVERATO_TEST_OPENAPI_CHECK"), "0") == 0)
    return;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, status);
  json_builder_set_member_name (builder, "body");
  json_builder_add_value (builder, json_node_copy (json));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (gen, root);
  line = json_generator_to_data (gen, NULL);

  g_mutex_lock (&checker_lock);
  if (checker_in == NULL)
    checker_start ();
  if (fputs (line, checker_in) < 0 || fputc ('\n', checker_in) < 0 || fflush (checker_in) != 0)
    g_error ("openapi-check.py is gone");
  while (fgets (buf, sizeof buf, checker_out) != NULL)
    {
      g_string_append (reply, buf);
      if (reply->len > 0 && reply->str[reply->len - 1] == '\n')
        break;
    }
  g_mutex_unlock (&checker_lock);

  g_strchomp (reply->str);
  if (!g_str_equal (reply->str, "ok"))
    {
      g_autofree char *text = g_strcompress (reply->str);

      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                           reply->len > 0 ? text : "openapi-check.py gave no answer");
    }
}

/* ------------------------------------------------------------------ */

EvaTestResponse *
eva_test_request (EvaTestServer *server,
                  const char    *method,
                  const char    *path,
                  const char    *token,
                  const char    *content_type,
                  const char    *body,
                  gssize         body_len)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  EvaTestResponse *response = g_new0 (EvaTestResponse, 1);
  gsize len;

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) request_body =
        g_bytes_new (body, body_len >= 0 ? (gsize) body_len : strlen (body));

      soup_message_set_request_body_from_bytes (msg, content_type, request_body);
    }

  bytes = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);

  response->status = soup_message_get_status (msg);
  /* Byte for byte (images too), with a NUL after for the text ones. */
  response->body = g_malloc (g_bytes_get_size (bytes) + 1);
  len = g_bytes_get_size (bytes);
  if (len > 0)
    memcpy (response->body, g_bytes_get_data (bytes, NULL), len);
  response->body[g_bytes_get_size (bytes)] = '\0';
  response->length = len;
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  if (len > 0)
    {
      const char *type = soup_message_headers_get_content_type (response->headers, NULL);

      if (g_strcmp0 (type, "application/json") == 0)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          if (!json_parser_load_from_data (parser, response->body, len, &error))
            g_error ("response is not JSON: %s\n%s", error->message, response->body);
          response->json = json_node_copy (json_parser_get_root (parser));
          eva_test_check_response (method, path, response->status, response->json);
        }
    }

  return response;
}

EvaTestResponse *
eva_test_call (EvaTestServer *server,
               const char    *method,
               const char    *path,
               const char    *token,
               const char    *json_format,
               ...)
{
  g_autofree char *body = NULL;

  if (json_format != NULL)
    {
      va_list args;

      va_start (args, json_format);
      body = g_strdup_vprintf (json_format, args);
      va_end (args);
    }

  return eva_test_request (server, method, path, token,
                           body != NULL ? "application/json" : NULL, body, -1);
}

void
eva_test_response_free (EvaTestResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->body);
  g_clear_pointer (&response->json, json_node_unref);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response);
}

const char *
eva_test_header (EvaTestResponse *response,
                 const char      *name)
{
  return soup_message_headers_get_one (response->headers, name);
}

const char *
eva_test_set_cookie (SoupMessageHeaders *headers,
                     const char         *name)
{
  SoupMessageHeadersIter iter;
  const char *header, *value;
  gsize len = strlen (name);

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &header, &value))
    if (g_ascii_strcasecmp (header, "Set-Cookie") == 0 &&
        strncmp (value, name, len) == 0 && value[len] == '=')
      return value;
  return NULL;
}

void
eva_test_assert_status_impl (EvaTestResponse *response,
                             guint            expected,
                             const char      *code,
                             const char      *file,
                             int              line)
{
  if (response->status != expected)
    g_error ("%s:%d: expected status %u, got %u: %s", file, line, expected,
             response->status, response->body);

  if (code != NULL)
    {
      const char *actual = eva_test_json_string (response->json, "error.code");

      if (g_strcmp0 (actual, code) != 0)
        g_error ("%s:%d: expected error code %s, got %s: %s", file, line, code,
                 actual != NULL ? actual : "(none)", response->body);
      g_assert_nonnull (eva_test_json_string (response->json, "error.message"));
      g_assert_true (eva_test_json_has (response->json, "error.details"));
    }
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */
/* ------------------------------------------------------------------ */

JsonNode *
eva_test_json_get (JsonNode   *root,
                   const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; node != NULL && parts[i] != NULL; i++)
    {
      if (JSON_NODE_HOLDS_OBJECT (node))
        node = json_object_get_member (json_node_get_object (node), parts[i]);
      else if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);
          guint64 index;

          if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT, &index, NULL) ||
              index >= json_array_get_length (array))
            return NULL;
          node = json_array_get_element (array, index);
        }
      else
        return NULL;
    }

  return node;
}

gboolean
eva_test_json_has (JsonNode   *root,
                   const char *path)
{
  return root != NULL && eva_test_json_get (root, path) != NULL;
}

const char *
eva_test_json_string (JsonNode   *root,
                      const char *path)
{
  JsonNode *node = root != NULL ? eva_test_json_get (root, path) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
eva_test_json_int (JsonNode   *root,
                   const char *path)
{
  JsonNode *node = root != NULL ? eva_test_json_get (root, path) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    g_error ("%s is not an integer", path);
  return json_node_get_int (node);
}

gboolean
eva_test_json_bool (JsonNode   *root,
                    const char *path)
{
  JsonNode *node = root != NULL ? eva_test_json_get (root, path) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    g_error ("%s is not a boolean", path);
  return json_node_get_boolean (node);
}

/* ------------------------------------------------------------------ */
/* Accounts                                                           */
/* ------------------------------------------------------------------ */

char *
eva_test_create_staff (EvaTestServer *server,
                       const char    *email,
                       const char    *role,
                       const char    *password)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  int status = eva_test_run_cli (server->conninfo, input, &out, &err,
                                 "create-admin", "--email", email, "--name", "Test Staff",
                                 "--role", role, "--password-stdin", NULL);

  if (status != 0)
    g_error ("create-admin failed (%d): %s", status, err);
  return eva_test_sql (server->pg, "SELECT id FROM staff WHERE email = lower($1)", email, NULL);
}

char *
eva_test_login (EvaTestServer *server,
                const char    *email,
                const char    *password)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_call (server, "POST", "/api/v1/admin/auth/login", NULL,
                   "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);

  eva_test_assert_status (resp, 200);
  return g_strdup (eva_test_json_string (resp->json, "access_token"));
}

char *
eva_test_token_for_role (EvaTestServer *server,
                         const char    *role)
{
  static gint counter;
  g_autofree char *email = g_strdup_printf ("%s%d@example.test", role,
                                            g_atomic_int_add (&counter, 1));
  g_autofree char *id = eva_test_create_staff (server, email, role, "correct horse battery");

  return eva_test_login (server, email, "correct horse battery");
}

/* Quoted-printable undone: soft line breaks and =XX. */
static char *
qp_decode (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p != '=')
        g_string_append_c (out, *p);
      else if (p[1] == '\r' && p[2] == '\n')
        p += 2;
      else if (p[1] == '\n')
        p += 1;
      else if (g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
        {
          g_string_append_c (out, (char) (g_ascii_xdigit_value (p[1]) * 16 +
                                          g_ascii_xdigit_value (p[2])));
          p += 2;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

char *
eva_test_mail_link (EvaTestServer *server,
                    const char    *email,
                    const char    *template_name)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *id = eva_test_sql (server->pg,
                                          "SELECT id FROM email_outbox "
                                          "WHERE lower(to_address) = lower($1) AND template = $2 "
                                          "ORDER BY id DESC LIMIT 1",
                                          email, template_name, NULL);
      g_autofree char *name = id != NULL ? g_strdup_printf ("%s.eml", id) : NULL;
      g_autofree char *path = name != NULL ? g_build_filename (server->tmpdir, "data", "mail",
                                                                name, NULL) : NULL;
      g_autofree char *raw = NULL;

      if (path != NULL && g_file_get_contents (path, &raw, NULL, NULL))
        {
          g_autofree char *text = qp_decode (raw);
          g_autoptr(GRegex) regex = g_regex_new ("https?://[^\\s\"<>]*\\?token=[A-Za-z0-9_-]+",
                                                 0, 0, NULL);
          g_autoptr(GMatchInfo) match = NULL;

          if (g_regex_match (regex, text, 0, &match))
            return g_match_info_fetch (match, 0);
          return NULL;
        }
      if (g_get_monotonic_time () > deadline)
        return NULL;
      g_usleep (20000);
    }
}

const char *
eva_test_python (void)
{
  const char *env = g_getenv ("EVERATO_TEST_PYTHON");

  if (env != NULL && *env != '\0')
    return env;
  /* Debian's python3 modules (aiosmtpd, nacl) live with the system interpreter. */
  return g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/bin/python3" : "python3";
}
