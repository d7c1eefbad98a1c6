/* eva-test.h: integration test harness
 *
 * Each test server is the real everato-server binary, started on a fresh
 * database in the throwaway cluster named by EVERATO_TEST_PG, on a free
 * loopback port, and spoken to over HTTP.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Every server and command the harness starts gets this master key in
 * EVERATO_MASTER_KEY, so servers that share a database (each has its own
 * EVERATO_DATA_DIR) open the same key rows. "EVERATO_MASTER_KEY=" in the
 * extra environment takes it away: the server then uses the key file in
 * its EVERATO_DATA_DIR. It spells "Everato test key; never use it!!". */
#define EVA_TEST_MASTER_KEY "4576657261746f2074657374206b65793b206e65766572207573652069742121"

typedef struct
{
  char        *dbname;
  char        *conninfo;
  char        *tmpdir;
  char        *log_path;
  char        *base_url;
  guint16      port;
  GPid         pid;
  SoupSession *session;
  PGconn      *pg;
} EvaTestServer;

typedef struct
{
  guint               status;
  char               *body;
  gsize               length;
  JsonNode           *json;
  SoupMessageHeaders *headers;
} EvaTestResponse;

/* Databases */
char            *eva_test_db_create          (void);
void             eva_test_db_drop            (const char     *dbname);
char            *eva_test_db_conninfo        (const char     *dbname);
PGconn          *eva_test_db_connect         (const char     *dbname);
/* Runs SQL and returns the first value of the first row (or NULL). */
char            *eva_test_sql                (PGconn         *pg,
                                              const char     *sql,
                                              ...) G_GNUC_NULL_TERMINATED;

/* The link of the newest @template_name mail to @email, read from the
 * message the server wrote to its mail folder (no SMTP set): the outbox
 * rows themselves forget their links once sent. Waits up to 10 s. */
char            *eva_test_mail_link          (EvaTestServer  *server,
                                              const char     *email,
                                              const char     *template_name);

/* The python3 with Debian's modules (EVERATO_TEST_PYTHON, else /usr/bin/python3). */
const char      *eva_test_python             (void);

/* A GSpawnChildSetupFunc: the child is killed when the test dies. */
void             eva_test_die_with_parent    (gpointer        user_data);

/* Running the real binary */
int              eva_test_run_cli            (const char     *conninfo,
                                              const char     *stdin_text,
                                              char          **out,
                                              char          **err,
                                              const char     *arg,
                                              ...) G_GNUC_NULL_TERMINATED;
/* Same, with "NAME=value" entries added to the environment. */
int              eva_test_run_cli_env        (const char         *conninfo,
                                              const char * const *extra_env,
                                              const char         *stdin_text,
                                              char              **out,
                                              char              **err,
                                              const char         *arg,
                                              ...) G_GNUC_NULL_TERMINATED;

/* Servers */
EvaTestServer   *eva_test_server_start       (const char * const *extra_env);
EvaTestServer   *eva_test_server_start_on    (const char         *dbname,
                                              const char * const *extra_env);
void             eva_test_server_stop        (EvaTestServer  *server);
void             eva_test_server_kill        (EvaTestServer  *server);
void             eva_test_server_free        (EvaTestServer  *server);
char            *eva_test_server_log         (EvaTestServer  *server);

/* A loopback TCP port free at the time of the call. */
guint16          eva_test_free_port          (void);

/* HTTP */
EvaTestResponse *eva_test_request            (EvaTestServer  *server,
                                              const char     *method,
                                              const char     *path,
                                              const char     *token,
                                              const char     *content_type,
                                              const char     *body,
                                              gssize          body_len);
EvaTestResponse *eva_test_call               (EvaTestServer  *server,
                                              const char     *method,
                                              const char     *path,
                                              const char     *token,
                                              const char     *json_format,
                                              ...) G_GNUC_PRINTF (5, 6);
void             eva_test_response_free      (EvaTestResponse *response);
/* Asserts that a JSON response body matches docs/openapi.yaml's schema
 * for that route and status (eva_test_request() does it for every JSON
 * answer; helpers that speak HTTP themselves call it).
 * EVERATO_TEST_OPENAPI_CHECK=0 turns it off. */
void             eva_test_check_response     (const char      *method,
                                              const char      *path,
                                              guint            status,
                                              JsonNode        *json);
const char      *eva_test_header             (EvaTestResponse *response,
                                              const char      *name);
/* The Set-Cookie header of the cookie @name ("name=value; …") among
 * @headers (a response's), or NULL. */
const char      *eva_test_set_cookie         (SoupMessageHeaders *headers,
                                              const char         *name);

/* JSON: "a.b.0.c" walks objects and arrays. */
JsonNode        *eva_test_json_get           (JsonNode       *root,
                                              const char     *path);
const char      *eva_test_json_string        (JsonNode       *root,
                                              const char     *path);
gint64           eva_test_json_int           (JsonNode       *root,
                                              const char     *path);
gboolean         eva_test_json_bool          (JsonNode       *root,
                                              const char     *path);
gboolean         eva_test_json_has           (JsonNode       *root,
                                              const char     *path);

/* Asserts status and, when code is not NULL, the error envelope's code. */
#define eva_test_assert_status(resp, expected) \
  eva_test_assert_status_impl ((resp), (expected), NULL, __FILE__, __LINE__)
#define eva_test_assert_error(resp, expected, code) \
  eva_test_assert_status_impl ((resp), (expected), (code), __FILE__, __LINE__)
void             eva_test_assert_status_impl (EvaTestResponse *response,
                                              guint            expected,
                                              const char      *code,
                                              const char      *file,
                                              int              line);

/* Accounts */
char            *eva_test_create_staff       (EvaTestServer  *server,
                                              const char     *email,
                                              const char     *role,
                                              const char     *password);
char            *eva_test_login              (EvaTestServer  *server,
                                              const char     *email,
                                              const char     *password);
/* Creates a staff account of that role and returns an access token. */
char            *eva_test_token_for_role     (EvaTestServer  *server,
                                              const char     *role);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaTestServer, eva_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaTestResponse, eva_test_response_free)

G_END_DECLS
