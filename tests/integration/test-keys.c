/* test-keys.c: keys at rest — the master key, sealed key rows, rotation
 *
 * The database alone must not give anyone the access-token key: it is
 * sealed with a master key from EVERATO_MASTER_KEY or the file master.key
 * in EVERATO_DATA_DIR. These tests start the real server on throwaway
 * databases with data folders of their own, and look at the rows, a dump,
 * wrong keys, old plain-text rows and both rotations.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "core/eva-auth.h"
#include "core/eva-keys.h"
#include "eva-test.h"
#include "eva-test-keys.h"

#define PASSWORD "correct horse battery"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* A folder that is removed with the test (when the test passes). */
static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("everato-keys-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tmp_dir (const char *dir)
{
  g_autofree char *quoted = g_shell_quote (dir);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  (void) !system (command);
}

static char *
env_entry (const char *name,
           const char *value)
{
  return g_strconcat (name, "=", value, NULL);
}

/* A server on @db with @data_dir and the master key @key_hex, or, with
 * NULL, the key file in @data_dir. */
static EvaTestServer *
start_server (const char *db,
              const char *data_dir,
              const char *key_hex)
{
  g_autofree char *dir_env = env_entry ("EVERATO_DATA_DIR", data_dir);
  g_autofree char *key_env = env_entry ("EVERATO_MASTER_KEY", key_hex != NULL ? key_hex : "");
  const char *env[] = { dir_env, key_env, NULL };

  return eva_test_server_start_on (db, env);
}

/* Stops @server and frees it, but keeps its database. */
static void
stop_server (EvaTestServer *server)
{
  eva_test_server_stop (server);
  g_clear_pointer (&server->dbname, g_free);
  eva_test_server_free (server);
}

/* Runs an everato-server command on @db with @data_dir and @key_hex (as
 * start_server()); returns its exit status. */
static int
run_command (const char  *db,
             const char  *data_dir,
             const char  *key_hex,
             char       **out,
             char       **err,
             const char  *command)
{
  g_autofree char *conninfo = eva_test_db_conninfo (db);
  g_autofree char *dir_env = env_entry ("EVERATO_DATA_DIR", data_dir);
  g_autofree char *key_env = env_entry ("EVERATO_MASTER_KEY", key_hex != NULL ? key_hex : "");
  const char *env[] = { dir_env, key_env, "EVERATO_LISTEN=127.0.0.1:0", NULL };

  return eva_test_run_cli_env (conninfo, env, NULL, out, err, command, NULL);
}

/* "serve" must refuse to start (exit 2); returns what it said. */
static char *
serve_refused (const char *db,
               const char *data_dir,
               const char *key_hex)
{
  g_autofree char *err = NULL;
  int status = run_command (db, data_dir, key_hex, NULL, &err, "serve");

  g_test_message ("serve said: %s", err);
  g_assert_cmpint (status, ==, 2);
  return g_steal_pointer (&err);
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
write_key_file (const char *data_dir,
                const char *name,
                const char *key_hex)
{
  g_autofree char *path = g_build_filename (data_dir, name, NULL);
  g_autofree char *text = g_strconcat (key_hex, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (data_dir, 0700), ==, 0);
  g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
}

/* The master key in @data_dir/@name, as 64 hex characters. */
static char *
key_file_hex (const char *data_dir,
              const char *name)
{
  g_autofree char *path = g_build_filename (data_dir, name, NULL);
  g_autofree char *text = read_text (path);

  g_assert_cmpuint (strlen (g_strstrip (text)), ==, EVA_MASTER_KEY_HEX_LEN);
  return g_strdup (text);
}

static char *
random_key_hex (void)
{
  guint8 bytes[EVA_MASTER_KEY_BYTES];
  char hex[EVA_MASTER_KEY_HEX_LEN + 1];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2hex (hex, sizeof hex, bytes, sizeof bytes);
  return g_strdup (hex);
}

/* The id of a master key given in hex: the first 8 bytes of its BLAKE2b-256,
 * computed here on its own as the format describes. */
static char *
key_id (const char *key_hex)
{
  guint8 key[EVA_MASTER_KEY_BYTES];
  guint8 hash[crypto_generichash_BYTES];
  char id[EVA_MASTER_KEY_ID_HEX_LEN + 1];
  gsize len = 0;

  g_assert_cmpint (sodium_hex2bin (key, sizeof key, key_hex, strlen (key_hex),
                                   NULL, &len, NULL), ==, 0);
  g_assert_cmpuint (len, ==, sizeof key);
  crypto_generichash (hash, sizeof hash, key, sizeof key, NULL, 0);
  sodium_bin2hex (id, sizeof id, hash, EVA_MASTER_KEY_ID_BYTES);
  return g_strdup (id);
}

/* The access-token row as stored, in hex. */
static char *
stored_token_row (PGconn *pg)
{
  char *hex = eva_test_sql (pg, "SELECT encode(secret, 'hex') FROM server_keys "
                                "WHERE name = 'access_token'", NULL);

  g_assert_nonnull (hex);
  return hex;
}

static void
create_staff (EvaTestServer *server,
              const char    *email)
{
  g_autofree char *id = eva_test_create_staff (server, email, "super_admin", PASSWORD);

  g_assert_nonnull (id);
}

/* Signs in; returns the access token and sets @refresh. */
static char *
sign_in (EvaTestServer  *server,
         const char     *email,
         char          **refresh)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_call (server, "POST", "/api/v1/admin/auth/login", NULL,
                   "{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD);

  eva_test_assert_status (resp, 200);
  if (refresh != NULL)
    *refresh = g_strdup (eva_test_json_string (resp->json, "refresh_token"));
  return g_strdup (eva_test_json_string (resp->json, "access_token"));
}

static guint
me_status (EvaTestServer *server,
           const char    *token)
{
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

  return resp->status;
}

static char *
refresh_access (EvaTestServer *server,
                const char    *refresh)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_call (server, "POST", "/api/v1/admin/auth/refresh", NULL,
                   "{\"refresh_token\":\"%s\"}", refresh);

  eva_test_assert_status (resp, 200);
  return g_strdup (eva_test_json_string (resp->json, "access_token"));
}

static gboolean
log_says (EvaTestServer *server,
          const char    *text)
{
  g_autofree char *log = eva_test_server_log (server);

  return strstr (log, text) != NULL;
}

static gboolean
has_bytes (const guint8 *haystack,
           gsize         haystack_len,
           const void   *needle,
           gsize         needle_len)
{
  for (gsize i = 0; i + needle_len <= haystack_len; i++)
    if (memcmp (haystack + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
contains (const char *haystack,
          const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

/* Every spelling of @key a careless store might use: raw, hex (both cases),
 * base64 and base64url. */
static void
assert_key_absent (const guint8 *stored,
                   gsize         stored_len,
                   const char   *text,
                   const guint8 *key)
{
  char hex[2 * EVA_TOKEN_KEY_BYTES + 1];
  g_autofree char *upper = NULL;
  char b64[sodium_base64_ENCODED_LEN (EVA_TOKEN_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  char b64url[sodium_base64_ENCODED_LEN (EVA_TOKEN_KEY_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  char *spellings[4];

  sodium_bin2hex (hex, sizeof hex, key, EVA_TOKEN_KEY_BYTES);
  upper = g_ascii_strup (hex, -1);
  sodium_bin2base64 (b64, sizeof b64, key, EVA_TOKEN_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
  sodium_bin2base64 (b64url, sizeof b64url, key, EVA_TOKEN_KEY_BYTES,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  spellings[0] = hex;
  spellings[1] = upper;
  spellings[2] = b64;
  spellings[3] = b64url;

  if (stored != NULL)
    {
      g_assert_false (has_bytes (stored, stored_len, key, EVA_TOKEN_KEY_BYTES));
      /* 16 bytes of it are enough to tell. */
      g_assert_false (has_bytes (stored, stored_len, key, 16));
      g_assert_false (has_bytes (stored, stored_len, key + 16, 16));
      for (guint i = 0; i < G_N_ELEMENTS (spellings); i++)
        g_assert_false (has_bytes (stored, stored_len, spellings[i], strlen (spellings[i])));
    }
  if (text != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (spellings); i++)
      {
        g_assert_false (contains (text, spellings[i]));
        /* Half of the hex, in case it was split or shifted. */
        if (i < 2)
          {
            g_autofree char *half = g_strndup (spellings[i], EVA_TOKEN_KEY_BYTES);

            g_assert_false (contains (text, half));
          }
      }
}

/* What webhook_endpoints.secret holds for @endpoint_id. */
static char *
stored_webhook_secret (PGconn     *pg,
                       const char *endpoint_id)
{
  char *value = eva_test_sql (pg, "SELECT secret FROM webhook_endpoints WHERE id = $1::uuid",
                              endpoint_id, NULL);

  g_assert_nonnull (value);
  return value;
}

/* Opens a webhook endpoint's stored secret with python3-nacl, from the
 * documented form alone: "sealed:", then 0x01 | master key id | nonce |
 * XChaCha20-Poly1305 ciphertext + tag in hex, the associated data being
 * the 9 header bytes and "webhook_endpoints/<id>". NULL if it does not
 * open. */
static char *
open_webhook_secret (PGconn     *pg,
                     const char *endpoint_id,
                     const char *master_hex)
{
  static const char script[] =
    "import sys, nacl.bindings as b\n"
    "key, label, value = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "assert value.startswith('sealed:')\n"
    "s = bytes.fromhex(value[7:])\n"
    "assert s[0] == 1\n"
    "try:\n"
    "    m = b.crypto_aead_xchacha20poly1305_ietf_decrypt(s[33:], s[:9] + label.encode(),"
    " s[9:33], bytes.fromhex(key))\n"
    "except Exception:\n"
    "    sys.exit(3)\n"
    "sys.stdout.write(m.decode())\n";
  g_autofree char *value = stored_webhook_secret (pg, endpoint_id);
  g_autofree char *label = g_strconcat ("webhook_endpoints/", endpoint_id, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { eva_test_python (), "-c", script, master_hex, label, value, NULL };
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 3);
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* The last error of the delivery of @event to @endpoint, once it has one. */
static char *
delivery_error (PGconn     *pg,
                const char *endpoint,
                const char *event)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      char *error = eva_test_sql (pg, "SELECT last_error FROM webhook_deliveries "
                                      "WHERE endpoint_id = $1::uuid AND event_id = $2::uuid",
                                  endpoint, event, NULL);

      if (error != NULL && *error != '\0')
        return error;
      g_free (error);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* After a start, no key row is in plain text, the access-token row does
 * not hold the key in any spelling, and it has the documented form. */
static void
test_sealed_at_rest (void)
{
  g_autoptr(EvaTestServer) server = eva_test_server_start (NULL);
  g_autofree char *plain = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *row_text = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = key_id (EVA_TEST_MASTER_KEY);
  g_autofree char *key_file = g_build_filename (server->tmpdir, "data", EVA_MASTER_KEY_FILE, NULL);
  g_autofree char *staff_id = NULL;
  g_autofree char *session_id = NULL;
  g_autoptr(GError) error = NULL;
  guint8 stored[EVA_SEALED_OVERHEAD + EVA_TOKEN_KEY_BYTES];
  guint8 key[EVA_TOKEN_KEY_BYTES];
  char stored_id[EVA_MASTER_KEY_ID_HEX_LEN + 1];
  gsize len = 0;
  EvaRole role;

  plain = eva_test_sql (server->pg, "SELECT count(*) FROM server_keys "
                                    "WHERE octet_length(secret) = 32", NULL);
  g_assert_cmpstr (plain, ==, "0");
  rows = eva_test_sql (server->pg, "SELECT count(*) FROM server_keys", NULL);
  g_assert_cmpstr (rows, ==, "1");

  /* 0x01 | master key id | nonce | ciphertext + tag */
  hex = stored_token_row (server->pg);
  g_assert_cmpuint (strlen (hex), ==, 2 * sizeof stored);
  g_assert_cmpint (sodium_hex2bin (stored, sizeof stored, hex, strlen (hex), NULL, &len, NULL), ==, 0);
  g_assert_cmpuint (len, ==, sizeof stored);
  g_assert_cmpuint (stored[0], ==, 0x01);
  sodium_bin2hex (stored_id, sizeof stored_id, stored + 1, EVA_MASTER_KEY_ID_BYTES);
  g_assert_cmpstr (stored_id, ==, id);

  eva_test_token_key (server->pg, NULL, key);
  row_text = eva_test_sql (server->pg, "SELECT string_agg(t::text, ' ') FROM server_keys t", NULL);
  assert_key_absent (stored, sizeof stored, row_text, key);
  assert_key_absent (NULL, 0, hex, key);

  /* And it is the key the server signs with. */
  create_staff (server, "sealed@example.test");
  token = sign_in (server, "sealed@example.test", NULL);
  g_assert_true (eva_auth_verify_access_token (key, token, g_get_real_time () / G_USEC_PER_SEC,
                                               &staff_id, &role, &session_id, &error));
  g_assert_no_error (error);
  sodium_memzero (key, sizeof key);

  /* With EVERATO_MASTER_KEY, no key file is written. */
  g_assert_false (g_file_test (key_file, G_FILE_TEST_EXISTS));
}

/* A dump of the database, without the master key, starts nothing: not
 * with no key, not with another key. With the right key file it does, and
 * tokens issued before still verify. */
static void
test_dump_needs_master_key (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *copy = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *bare = g_build_filename (tmp, "bare", NULL);
  g_autofree char *other = g_build_filename (tmp, "other", NULL);
  g_autofree char *restored = g_build_filename (tmp, "restored", NULL);
  g_autofree char *dump_path = g_build_filename (tmp, "dump.sql", NULL);
  g_autofree char *key_path = g_build_filename (data, EVA_MASTER_KEY_FILE, NULL);
  g_autofree char *bare_key = g_build_filename (bare, EVA_MASTER_KEY_FILE, NULL);
  g_autofree char *master = NULL;
  g_autofree char *id = NULL;
  g_autofree char *before = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *err = NULL;
  g_autofree char *again = NULL;
  EvaTestServer *server;
  GStatBuf st;
  guint8 key[EVA_TOKEN_KEY_BYTES];
  const char *bindir = g_getenv ("EVERATO_PG_BINDIR");

  /* The first start makes the key file, 0600 in a 0700 folder. */
  server = start_server (db, data, NULL);
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (data, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  master = key_file_hex (data, EVA_MASTER_KEY_FILE);
  id = key_id (master);
  g_assert_true (log_says (server, id));

  create_staff (server, "dump@example.test");
  before = sign_in (server, "dump@example.test", NULL);
  g_assert_cmpuint (me_status (server, before), ==, 200);
  eva_test_token_key (server->pg, master, key);
  stop_server (server);

  /* The dump: pg_dump if the cluster's tools are at hand, else the rows
   * copied with SELECT into a fresh schema. */
  if (bindir != NULL && *bindir != '\0')
    {
      g_autofree char *conninfo = eva_test_db_conninfo (db);
      g_autofree char *copy_conninfo = eva_test_db_conninfo (copy);
      g_autofree char *pg_dump = g_build_filename (bindir, "pg_dump", NULL);
      g_autofree char *psql = g_build_filename (bindir, "psql", NULL);
      const char *dump_argv[] = { pg_dump, "--no-owner", "--file", dump_path, "--dbname", conninfo, NULL };
      const char *load_argv[] = { psql, "-q", "-v", "ON_ERROR_STOP=1", "-f", dump_path, copy_conninfo, NULL };
      g_autoptr(GError) error = NULL;
      int status = 0;

      g_spawn_sync (NULL, (char **) dump_argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                    NULL, NULL, &status, &error);
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_spawn_sync (NULL, (char **) load_argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                    NULL, NULL, &status, &error);
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      dump = read_text (dump_path);
    }
  else
    {
      g_autofree char *conninfo = eva_test_db_conninfo (copy);
      PGconn *from = eva_test_db_connect (db);
      PGconn *to = eva_test_db_connect (copy);
      g_autofree char *row = stored_token_row (from);

      g_test_message ("EVERATO_PG_BINDIR is not set: copying the rows with SELECT");
      g_assert_cmpint (eva_test_run_cli (conninfo, NULL, NULL, NULL, "migrate", "up", NULL), ==, 0);
      g_free (eva_test_sql (to, "INSERT INTO server_keys (name, secret) "
                                "VALUES ('access_token', decode($1, 'hex'))", row, NULL));
      dump = eva_test_sql (from, "SELECT string_agg(t::text, ' ') FROM server_keys t", NULL);
      PQfinish (from);
      PQfinish (to);
    }
  assert_key_absent (NULL, 0, dump, key);

  /* No key at all: refused, naming the key it needs and where it looked;
   * and no new key file is made for rows that are sealed already. */
  err = serve_refused (copy, bare, NULL);
  g_assert_true (contains (err, id));
  g_assert_true (contains (err, bare_key));
  g_assert_true (contains (err, "EVERATO_MASTER_KEY"));
  g_assert_false (g_file_test (bare_key, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);

  /* Another key, in the environment or in a file: refused, never garbage. */
  err = serve_refused (copy, bare, EVA_TEST_MASTER_KEY);
  g_assert_true (contains (err, id));
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *wrong = random_key_hex ();

    write_key_file (other, EVA_MASTER_KEY_FILE, wrong);
    err = serve_refused (copy, other, NULL);
    g_assert_true (contains (err, id));
    g_clear_pointer (&err, g_free);
  }

  /* The same database with its key file: the token from before works. */
  server = start_server (db, data, NULL);
  g_assert_cmpuint (me_status (server, before), ==, 200);
  again = sign_in (server, "dump@example.test", NULL);
  g_assert_cmpuint (me_status (server, again), ==, 200);
  stop_server (server);

  /* Dump and key together (a full backup) restore everything. */
  write_key_file (restored, EVA_MASTER_KEY_FILE, master);
  server = start_server (copy, restored, NULL);
  g_assert_cmpuint (me_status (server, before), ==, 200);
  stop_server (server);

  sodium_memzero (key, sizeof key);
  eva_test_db_drop (db);
  eva_test_db_drop (copy);
  remove_tmp_dir (tmp);
}

/* EVERATO_MASTER_KEY wins over a key file in the data folder. */
static void
test_env_overrides_file (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *file_key = random_key_hex ();
  g_autofree char *env_id = key_id (EVA_TEST_MASTER_KEY);
  g_autofree char *row = NULL;
  g_autofree char *still = NULL;
  g_autofree char *token = NULL;
  g_autofree char *err = NULL;
  EvaTestServer *server;

  write_key_file (data, EVA_MASTER_KEY_FILE, file_key);
  server = start_server (db, data, EVA_TEST_MASTER_KEY);
  row = stored_token_row (server->pg);
  g_assert_true (g_str_has_prefix (row, "01"));
  g_assert_true (g_str_has_prefix (row + 2, env_id));
  create_staff (server, "env@example.test");
  token = sign_in (server, "env@example.test", NULL);
  stop_server (server);

  /* The file was left alone. */
  still = key_file_hex (data, EVA_MASTER_KEY_FILE);
  g_assert_cmpstr (still, ==, file_key);

  /* Without the variable, the file's key does not open the rows. */
  err = serve_refused (db, data, NULL);
  g_assert_true (contains (err, env_id));

  server = start_server (db, data, EVA_TEST_MASTER_KEY);
  g_assert_cmpuint (me_status (server, token), ==, 200);
  stop_server (server);

  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* Several servers at once on one database, each logging (stderr) to a file; waits
 * until each is listening, then stops them all. Returns the logs. */
static GPtrArray *
start_together (const char *db,
                guint       n)
{
  g_autofree char *conninfo = eva_test_db_conninfo (db);
  g_autofree char *tmp = make_tmp_dir ();
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *logs = g_ptr_array_new_with_free_func (g_free);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
      g_autofree char *data = g_strdup_printf ("%s/data-%u", tmp, i);
      g_autofree char *log = g_strdup_printf ("%s/server-%u.log", tmp, i);
      g_autoptr(GError) error = NULL;
      GSubprocess *proc;

      g_subprocess_launcher_setenv (launcher, "EVERATO_DATABASE_URL", conninfo, TRUE);
      g_subprocess_launcher_setenv (launcher, "EVERATO_DATA_DIR", data, TRUE);
      g_subprocess_launcher_setenv (launcher, "EVERATO_MASTER_KEY", EVA_TEST_MASTER_KEY, TRUE);
      g_subprocess_launcher_setenv (launcher, "EVERATO_LISTEN", "127.0.0.1:0", TRUE);
      g_subprocess_launcher_setenv (launcher, "EVERATO_THREADS", "1", TRUE);
      g_subprocess_launcher_setenv (launcher, "EVERATO_DB_POOL_SIZE", "2", TRUE);
      g_subprocess_launcher_unsetenv (launcher, "EVERATO_SMTP_URL");
      g_subprocess_launcher_set_stderr_file_path (launcher, log);
      proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("EVERATO_SERVER_BIN"),
                                          "serve", NULL);
      g_assert_no_error (error);
      g_ptr_array_add (procs, proc);
      g_ptr_array_add (logs, g_steal_pointer (&log));
    }

  for (guint i = 0; i < n; i++)
    for (;;)
      {
        g_autofree char *text = NULL;

        g_file_get_contents (g_ptr_array_index (logs, i), &text, NULL, NULL);
        if (contains (text, "listening on"))
          break;
        if (g_subprocess_get_identifier (g_ptr_array_index (procs, i)) == NULL ||
            g_get_monotonic_time () > deadline)
          g_error ("server %u did not start:\n%s", i, text);
        g_usleep (20000);
      }

  for (guint i = 0; i < n; i++)
    {
      GSubprocess *proc = g_ptr_array_index (procs, i);
      g_autoptr(GError) error = NULL;

      g_subprocess_send_signal (proc, SIGTERM);
      g_subprocess_wait_check (proc, NULL, &error);
      g_assert_no_error (error);
    }

  for (guint i = 0; i < n; i++)
    {
      char *text = NULL;

      g_file_get_contents (g_ptr_array_index (logs, i), &text, NULL, NULL);
      g_free (logs->pdata[i]);
      logs->pdata[i] = text;
    }
  remove_tmp_dir (tmp);
  return logs;
}

/* A key row from before sealing (32 plain bytes) is sealed at start, once
 * even when servers start together, and tokens signed with it still work. */
static void
test_legacy_plain_row (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *token = NULL;
  g_autofree char *plain_hex = NULL;
  g_autofree char *row = NULL;
  g_autofree char *length = NULL;
  g_autoptr(GPtrArray) logs = NULL;
  guint8 key[EVA_TOKEN_KEY_BYTES];
  guint8 after[EVA_TOKEN_KEY_BYTES];
  char hex[2 * EVA_TOKEN_KEY_BYTES + 1];
  guint sealers = 0;
  EvaTestServer *server;
  PGconn *pg;

  server = start_server (db, data, EVA_TEST_MASTER_KEY);
  create_staff (server, "legacy@example.test");
  token = sign_in (server, "legacy@example.test", NULL);
  eva_test_token_key (server->pg, NULL, key);
  stop_server (server);

  /* As an earlier version stored it. */
  pg = eva_test_db_connect (db);
  sodium_bin2hex (hex, sizeof hex, key, sizeof key);
  g_free (eva_test_sql (pg, "UPDATE server_keys SET secret = decode($1, 'hex') "
                            "WHERE name = 'access_token'", hex, NULL));
  plain_hex = stored_token_row (pg);
  g_assert_cmpstr (plain_hex, ==, hex);

  logs = start_together (db, 3);
  for (guint i = 0; i < logs->len; i++)
    if (contains (g_ptr_array_index (logs, i), "sealed 1 key row(s)"))
      sealers++;
  g_assert_cmpuint (sealers, ==, 1);

  length = eva_test_sql (pg, "SELECT octet_length(secret) FROM server_keys "
                             "WHERE name = 'access_token'", NULL);
  g_assert_cmpstr (length, ==, "81");
  row = stored_token_row (pg);
  assert_key_absent (NULL, 0, row, key);
  eva_test_token_key (pg, NULL, after);
  g_assert_cmpmem (after, sizeof after, key, sizeof key);

  server = start_server (db, data, EVA_TEST_MASTER_KEY);
  g_assert_cmpuint (me_status (server, token), ==, 200);
  stop_server (server);

  sodium_memzero (key, sizeof key);
  sodium_memzero (after, sizeof after);
  sodium_memzero (hex, sizeof hex);
  PQfinish (pg);
  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* A sealed row that was altered is refused, not opened to garbage. */
static void
test_tampered_row (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *err = NULL;
  EvaTestServer *server;
  PGconn *pg;

  server = start_server (db, tmp, EVA_TEST_MASTER_KEY);
  stop_server (server);

  pg = eva_test_db_connect (db);
  g_free (eva_test_sql (pg, "UPDATE server_keys SET secret = set_byte(secret, 40, "
                            "get_byte(secret, 40) # 1) WHERE name = 'access_token'", NULL));
  err = serve_refused (db, tmp, EVA_TEST_MASTER_KEY);
  g_assert_true (contains (err, "altered or damaged"));
  g_clear_pointer (&err, g_free);

  /* A sealed value moved to another row does not open there either. */
  g_free (eva_test_sql (pg, "UPDATE server_keys SET secret = set_byte(secret, 40, "
                            "get_byte(secret, 40) # 1) WHERE name = 'access_token'", NULL));
  g_free (eva_test_sql (pg, "INSERT INTO server_keys (name, secret) "
                            "SELECT 'another', secret FROM server_keys WHERE name = 'access_token'",
                        NULL));
  err = serve_refused (db, tmp, EVA_TEST_MASTER_KEY);
  g_assert_true (contains (err, "server_keys/another"));

  PQfinish (pg);
  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* Webhook endpoints' signing secrets are sealed too, bound to their
 * endpoint: made sealed by the API, sealed at start when stored plain
 * before, moved to another endpoint they do not open there (its
 * deliveries fail, the server starts), and a master key rotation re-seals
 * them, refusing to run while one does not open. */
static void
test_webhook_secrets (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *dir_env = env_entry ("EVERATO_DATA_DIR", data);
  g_autofree char *key_env = env_entry ("EVERATO_MASTER_KEY", EVA_TEST_MASTER_KEY);
  const char *env[] = { dir_env, key_env, "EVERATO_WEBHOOK_ALLOW_PRIVATE=1",
                        "EVERATO_WEBHOOK_POLL_MS=50", "EVERATO_WEBHOOK_RETRY_BASE_MS=60000",
                        "EVERATO_WEBHOOK_TIMEOUT_MS=2000", NULL };
  static const char legacy_secret[] = "whsec_stored-in-plain-text-before-sealing-existed";
  g_autofree char *id = key_id (EVA_TEST_MASTER_KEY);
  g_autofree char *token = NULL;
  g_autofree char *made = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *legacy = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *garbled = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *event = NULL;
  g_autofree char *error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(EvaTestResponse) resp = NULL;
  EvaTestServer *server;
  PGconn *pg;

  server = eva_test_server_start_on (db, env);
  create_staff (server, "hooks@example.test");
  token = sign_in (server, "hooks@example.test", NULL);
  resp = eva_test_call (server, "POST", "/api/v1/admin/webhooks", token,
                        "{\"url\":\"http://127.0.0.1:9/made\",\"events\":[\"event.published\"]}");
  eva_test_assert_status (resp, 201);
  made = g_strdup (eva_test_json_string (resp->json, "id"));
  secret = g_strdup (eva_test_json_string (resp->json, "secret"));

  /* Sealed with the master key, in the documented form, the secret in
   * no spelling. */
  prefix = g_strconcat ("sealed:01", id, NULL);
  stored = stored_webhook_secret (server->pg, made);
  g_assert_true (g_str_has_prefix (stored, prefix));
  g_assert_false (contains (stored, secret + strlen ("whsec_")));
  opened = open_webhook_secret (server->pg, made, EVA_TEST_MASTER_KEY);
  g_assert_cmpstr (opened, ==, secret);
  g_clear_pointer (&opened, g_free);

  /* One stored in plain text before sealing existed, and a copy of the
   * first one's sealed value on another endpoint. */
  legacy = eva_test_sql (server->pg, "INSERT INTO webhook_endpoints (url, events, secret)"
                         " VALUES ('http://127.0.0.1:9/legacy', '{event.published}', $1)"
                         " RETURNING id", legacy_secret, NULL);
  moved = eva_test_sql (server->pg, "INSERT INTO webhook_endpoints (url, events, secret)"
                        " SELECT 'http://127.0.0.1:9/moved', events, secret FROM webhook_endpoints"
                        " WHERE id = $1::uuid RETURNING id", made, NULL);
  /* And one that is not hex at all: it must not stop the start either. */
  garbled = eva_test_sql (server->pg, "INSERT INTO webhook_endpoints (url, events, secret)"
                          " VALUES ('http://127.0.0.1:9/garbled', '{event.published}',"
                          " 'sealed:zz-not-hex-0123456789abcdef0123456789') RETURNING id", NULL);
  stop_server (server);

  server = eva_test_server_start_on (db, env);
  g_assert_true (log_says (server, "sealed 1 key row(s)"));
  g_assert_true (log_says (server, moved));
  g_assert_true (log_says (server, garbled));
  g_clear_pointer (&stored, g_free);
  stored = stored_webhook_secret (server->pg, legacy);
  g_assert_true (g_str_has_prefix (stored, prefix));
  opened = open_webhook_secret (server->pg, legacy, EVA_TEST_MASTER_KEY);
  g_assert_cmpstr (opened, ==, legacy_secret);
  g_clear_pointer (&opened, g_free);
  g_assert_null (open_webhook_secret (server->pg, moved, EVA_TEST_MASTER_KEY));

  /* Each is delivered with its own secret; the moved one fails to open. */
  event = eva_test_sql (server->pg, "SELECT eva_webhook_emit('event.published', '{\"event\":null}'::jsonb)",
                        NULL);
  error = delivery_error (server->pg, moved, event);
  g_test_message ("moved: %s", error);
  g_assert_true (contains (error, "signing secret cannot be opened"));
  g_clear_pointer (&error, g_free);
  error = delivery_error (server->pg, garbled, event);
  g_assert_true (contains (error, "signing secret cannot be opened"));
  g_clear_pointer (&error, g_free);
  error = delivery_error (server->pg, made, event);
  g_test_message ("made: %s", error);
  g_assert_false (contains (error, "secret"));
  g_clear_pointer (&error, g_free);
  error = delivery_error (server->pg, legacy, event);
  g_assert_false (contains (error, "secret"));
  stop_server (server);

  /* A rotation does not leave a secret it cannot re-seal behind. */
  pg = eva_test_db_connect (db);
  g_assert_cmpint (run_command (db, data, EVA_TEST_MASTER_KEY, &out, &err, "rotate-master-key"), !=, 0);
  g_test_message ("rotate said: %s", err);
  g_assert_true (contains (err, moved));
  g_assert_true (contains (err, "cannot be sealed with the new one"));
  g_clear_pointer (&stored, g_free);
  stored = stored_webhook_secret (pg, made);
  g_assert_true (g_str_has_prefix (stored, prefix));

  g_free (eva_test_sql (pg, "DELETE FROM webhook_endpoints WHERE id IN ($1::uuid, $2::uuid)",
                        moved, garbled, NULL));

  /* Rotated while a server runs with the old key (EVERATO_MASTER_KEY: it
   * keeps it until restarted): it seals no new secret with it. */
  server = eva_test_server_start_on (db, env);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_command (db, data, EVA_TEST_MASTER_KEY, &out, &err, "rotate-master-key"), ==, 0);
  g_strstrip (out);
  new_id = key_id (out);
  g_clear_pointer (&resp, eva_test_response_free);
  resp = eva_test_call (server, "POST", "/api/v1/admin/webhooks", token,
                        "{\"url\":\"http://127.0.0.1:9/late\",\"events\":[\"event.published\"]}");
  eva_test_assert_status (resp, 503);
  g_assert_cmpstr (eva_test_json_string (resp->json, "error.code"), ==, "master_key_changed");
  stop_server (server);
  g_clear_pointer (&stored, g_free);
  stored = eva_test_sql (pg, "SELECT count(*) FROM webhook_endpoints", NULL);
  g_assert_cmpstr (stored, ==, "2");
  g_clear_pointer (&prefix, g_free);
  prefix = g_strconcat ("sealed:01", new_id, NULL);
  g_clear_pointer (&stored, g_free);
  stored = stored_webhook_secret (pg, made);
  g_assert_true (g_str_has_prefix (stored, prefix));
  g_assert_null (open_webhook_secret (pg, made, EVA_TEST_MASTER_KEY));
  opened = open_webhook_secret (pg, made, out);
  g_assert_cmpstr (opened, ==, secret);
  g_clear_pointer (&opened, g_free);
  opened = open_webhook_secret (pg, legacy, out);
  g_assert_cmpstr (opened, ==, legacy_secret);

  PQfinish (pg);
  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* A secret sealed with the master key a rotation replaced (a server that
 * had not taken the new key yet, with the key file) is sealed again with
 * the new one at the next start, from master.key.old. */
static void
test_webhook_secret_old_key (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *token = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *old_prefix = NULL;
  g_autofree char *new_prefix = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *id_old = NULL;
  g_autofree char *id_new = NULL;
  g_autoptr(EvaTestResponse) resp = NULL;
  EvaTestServer *server;
  PGconn *pg;

  server = start_server (db, data, NULL);
  old_key = key_file_hex (data, EVA_MASTER_KEY_FILE);
  create_staff (server, "old-key@example.test");
  token = sign_in (server, "old-key@example.test", NULL);
  resp = eva_test_call (server, "POST", "/api/v1/admin/webhooks", token,
                        "{\"url\":\"https://hooks.example.com/everato\",\"events\":[\"event.published\"]}");
  eva_test_assert_status (resp, 201);
  endpoint = g_strdup (eva_test_json_string (resp->json, "id"));
  secret = g_strdup (eva_test_json_string (resp->json, "secret"));
  before = stored_webhook_secret (server->pg, endpoint);
  stop_server (server);

  g_assert_cmpint (run_command (db, data, NULL, NULL, NULL, "rotate-master-key"), ==, 0);
  new_key = key_file_hex (data, EVA_MASTER_KEY_FILE);
  id_old = key_id (old_key);
  id_new = key_id (new_key);
  new_prefix = g_strconcat ("sealed:01", id_new, NULL);
  old_prefix = g_strconcat ("sealed:01", id_old, NULL);
  pg = eva_test_db_connect (db);
  after = eva_test_sql (pg, "SELECT secret FROM webhook_endpoints", NULL);
  g_assert_true (g_str_has_prefix (after, new_prefix));

  /* As if it had been made just after the rotation, by a server still
   * holding the old key. */
  g_assert_true (g_str_has_prefix (before, old_prefix));
  g_free (eva_test_sql (pg, "UPDATE webhook_endpoints SET secret = $2 WHERE id = $1::uuid RETURNING id",
                        endpoint, before, NULL));
  PQfinish (pg);

  server = start_server (db, data, NULL);
  g_assert_true (log_says (server, "sealed webhook_endpoints/"));
  g_clear_pointer (&after, g_free);
  after = stored_webhook_secret (server->pg, endpoint);
  g_assert_true (g_str_has_prefix (after, new_prefix));
  opened = open_webhook_secret (server->pg, endpoint, new_key);
  g_assert_cmpstr (opened, ==, secret);
  stop_server (server);

  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* rotate-master-key with the key file: every key keeps working, the old
 * master key opens nothing any more, and a rotation that stopped between
 * its commit and its renames is finished at the next start. */
static void
test_rotate_master_key_file (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *bare = g_build_filename (tmp, "bare", NULL);
  g_autofree char *old_key = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *row = NULL;
  g_autofree char *new_path = g_build_filename (data, EVA_MASTER_KEY_FILE_NEW, NULL);
  g_autofree char *old_path = g_build_filename (data, EVA_MASTER_KEY_FILE_OLD, NULL);
  g_autofree char *key_path = g_build_filename (data, EVA_MASTER_KEY_FILE, NULL);
  EvaTestServer *server;
  GStatBuf st;

  server = start_server (db, data, NULL);
  old_key = key_file_hex (data, EVA_MASTER_KEY_FILE);
  create_staff (server, "rotate@example.test");
  token = sign_in (server, "rotate@example.test", &refresh);

  /* While the server runs. */
  g_assert_cmpint (run_command (db, data, NULL, &out, &err, "rotate-master-key"), ==, 0);
  g_test_message ("%s%s", out, err);
  new_key = key_file_hex (data, EVA_MASTER_KEY_FILE);
  new_id = key_id (new_key);
  g_assert_cmpstr (new_key, !=, old_key);
  g_assert_true (contains (out, new_id));
  kept = key_file_hex (data, EVA_MASTER_KEY_FILE_OLD);
  g_assert_cmpstr (kept, ==, old_key);
  g_assert_false (g_file_test (new_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  row = stored_token_row (server->pg);
  g_assert_true (g_str_has_prefix (row + 2, new_id));
  g_assert_cmpuint (me_status (server, token), ==, 200);
  stop_server (server);

  /* After a restart with the new key: the token, its refresh token. */
  server = start_server (db, data, NULL);
  g_assert_cmpuint (me_status (server, token), ==, 200);
  fresh = refresh_access (server, refresh);
  g_assert_cmpuint (me_status (server, fresh), ==, 200);
  stop_server (server);

  /* The old master key opens nothing, from a file or the environment. */
  write_key_file (bare, EVA_MASTER_KEY_FILE, old_key);
  g_clear_pointer (&err, g_free);
  err = serve_refused (db, bare, NULL);
  g_assert_true (contains (err, new_id));
  g_clear_pointer (&err, g_free);
  err = serve_refused (db, bare, old_key);
  g_assert_true (contains (err, new_id));

  /* Stopped after the commit, before the renames: master.key is still the
   * old key and master.key.new the one the rows need. */
  g_assert_cmpint (g_rename (key_path, new_path), ==, 0);
  g_assert_cmpint (g_rename (old_path, key_path), ==, 0);
  server = start_server (db, data, NULL);
  g_assert_cmpuint (me_status (server, token), ==, 200);
  g_assert_true (log_says (server, "finished an interrupted master key rotation"));
  stop_server (server);
  g_clear_pointer (&kept, g_free);
  kept = key_file_hex (data, EVA_MASTER_KEY_FILE);
  g_assert_cmpstr (kept, ==, new_key);
  g_clear_pointer (&kept, g_free);
  kept = key_file_hex (data, EVA_MASTER_KEY_FILE_OLD);
  g_assert_cmpstr (kept, ==, old_key);
  g_assert_false (g_file_test (new_path, G_FILE_TEST_EXISTS));

  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* rotate-master-key with EVERATO_MASTER_KEY: the new key goes to standard
 * output for the operator, and no file is written. */
static void
test_rotate_master_key_env (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *key_path = g_build_filename (data, EVA_MASTER_KEY_FILE, NULL);
  g_autofree char *new_path = g_build_filename (data, EVA_MASTER_KEY_FILE_NEW, NULL);
  g_autofree char *token = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *new_id = NULL;
  EvaTestServer *server;

  server = start_server (db, data, EVA_TEST_MASTER_KEY);
  create_staff (server, "rotate-env@example.test");
  token = sign_in (server, "rotate-env@example.test", NULL);
  stop_server (server);

  g_assert_cmpint (run_command (db, data, EVA_TEST_MASTER_KEY, &out, &err, "rotate-master-key"), ==, 0);
  g_strstrip (out);
  g_assert_cmpuint (strlen (out), ==, EVA_MASTER_KEY_HEX_LEN);
  g_assert_cmpstr (out, !=, EVA_TEST_MASTER_KEY);
  new_id = key_id (out);
  g_assert_true (contains (err, "EVERATO_MASTER_KEY"));
  g_assert_true (contains (err, new_id));
  g_assert_false (g_file_test (key_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (new_path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);

  err = serve_refused (db, data, EVA_TEST_MASTER_KEY);
  g_assert_true (contains (err, new_id));

  server = start_server (db, data, out);
  g_assert_cmpuint (me_status (server, token), ==, 200);
  stop_server (server);

  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* rotate-token-key: old access tokens are refused at once by running
 * servers (after a rotate-master-key too), refresh tokens still work. */
static void
test_rotate_token_key (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *token = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *created_before = NULL;
  g_autofree char *created_after = NULL;
  g_autoptr(EvaTestResponse) refused = NULL;
  EvaTestServer *server;
  gint64 deadline;

  server = start_server (db, data, NULL);
  create_staff (server, "token-key@example.test");
  token = sign_in (server, "token-key@example.test", &refresh);
  g_assert_cmpuint (me_status (server, token), ==, 200);
  created_before = eva_test_sql (server->pg, "SELECT created_at::text FROM server_keys "
                                             "WHERE name = 'access_token'", NULL);

  /* The running server has to find the new master key by itself. */
  g_assert_cmpint (run_command (db, data, NULL, NULL, NULL, "rotate-master-key"), ==, 0);
  g_assert_cmpint (run_command (db, data, NULL, &out, &err, "rotate-token-key"), ==, 0);
  g_assert_true (contains (out, "refused"));
  created_after = eva_test_sql (server->pg, "SELECT created_at::text FROM server_keys "
                                            "WHERE name = 'access_token'", NULL);
  g_assert_cmpstr (created_after, !=, created_before);

  /* Within EVA_KEY_STORE_REFRESH_SECONDS, without a restart. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (me_status (server, token) == 200)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (G_USEC_PER_SEC / 4);
    }
  refused = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);
  eva_test_assert_error (refused, 401, "invalid_token");
  g_assert_true (log_says (server, "access-token key was replaced"));

  fresh = refresh_access (server, refresh);
  g_assert_cmpuint (me_status (server, fresh), ==, 200);
  stop_server (server);

  /* And after a restart. */
  server = start_server (db, data, NULL);
  g_assert_cmpuint (me_status (server, token), ==, 401);
  g_assert_cmpuint (me_status (server, fresh), ==, 200);
  stop_server (server);

  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

/* Bad values and bad usage are configuration errors: exit 2. */
static void
test_bad_configuration (void)
{
  g_autofree char *db = eva_test_db_create ();
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *err = NULL;
  g_autofree char *conninfo = eva_test_db_conninfo (db);
  g_autofree char *garbled = g_build_filename (tmp, "garbled", NULL);
  g_autofree char *secret = g_strdup ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeX");

  /* The value is never repeated in the message. */
  g_assert_cmpint (run_command (db, tmp, secret, NULL, &err, "serve"), ==, 2);
  g_assert_true (contains (err, "EVERATO_MASTER_KEY must be 64 hex characters"));
  g_assert_false (contains (err, "0123456789abcdef"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (eva_test_run_cli (conninfo, NULL, NULL, &err, "rotate-token-key", "now", NULL), ==, 2);
  g_assert_true (contains (err, "takes no arguments"));
  g_clear_pointer (&err, g_free);

  /* A key file that is not one stops the server; it is not replaced. */
  g_assert_cmpint (g_mkdir_with_parents (garbled, 0700), ==, 0);
  {
    g_autofree char *path = g_build_filename (garbled, EVA_MASTER_KEY_FILE, NULL);

    g_assert_true (g_file_set_contents (path, "not a key\n", -1, NULL));
    err = serve_refused (db, garbled, NULL);
    g_assert_true (contains (err, path));
    g_assert_true (contains (err, "is not a master key file"));
    g_clear_pointer (&err, g_free);
    err = read_text (path);
    g_assert_cmpstr (err, ==, "not a key\n");
  }

  eva_test_db_drop (db);
  remove_tmp_dir (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/keys/sealed-at-rest", test_sealed_at_rest);
  g_test_add_func ("/keys/dump-needs-master-key", test_dump_needs_master_key);
  g_test_add_func ("/keys/env-overrides-file", test_env_overrides_file);
  g_test_add_func ("/keys/legacy-plain-row", test_legacy_plain_row);
  g_test_add_func ("/keys/tampered-row", test_tampered_row);
  g_test_add_func ("/keys/rotate-master-key-file", test_rotate_master_key_file);
  g_test_add_func ("/keys/rotate-master-key-env", test_rotate_master_key_env);
  g_test_add_func ("/keys/rotate-token-key", test_rotate_token_key);
  g_test_add_func ("/keys/webhook-secrets", test_webhook_secrets);
  g_test_add_func ("/keys/webhook-secret-old-key", test_webhook_secret_old_key);
  g_test_add_func ("/keys/bad-configuration", test_bad_configuration);

  return g_test_run ();
}
