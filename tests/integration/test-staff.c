/* test-staff.c: staff account management — CRUD, validation, listing,
 * the self and last-super-admin rules, revocation, role changes
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-common.h"
#include "eva-test.h"

#define PASSWORD "correct horse battery"
#define NO_SUCH_ID "7c5a1f0e-3b7d-4f55-9d4e-0a4b8e3c2d11"

static EvaTestServer *server;
static char *root_id;
static char *root_token;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *
new_email (const char *prefix)
{
  static int counter;

  return g_strdup_printf ("%s%d@example.test", prefix, ++counter);
}

static gint64
sql_int (EvaTestServer *on,
         const char    *sql,
         const char    *param)
{
  g_autofree char *value = eva_test_sql (on->pg, sql, param, NULL);

  g_assert_nonnull (value);
  return g_ascii_strtoll (value, NULL, 10);
}

static EvaTestResponse *
login (EvaTestServer *on,
       const char    *email,
       const char    *password)
{
  return eva_test_call (on, "POST", "/api/v1/admin/auth/login", NULL,
                        "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
}

static EvaTestResponse *
refresh (EvaTestServer *on,
         const char    *token)
{
  return eva_test_call (on, "POST", "/api/v1/admin/auth/refresh", NULL,
                        "{\"refresh_token\":\"%s\"}", token);
}

static char *
staff_path (const char *id)
{
  return g_strconcat ("/api/v1/admin/staff/", id, NULL);
}

/* Creates an account through the API and returns its id. */
static char *
create (const char *email,
        const char *role)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_call (server, "POST", "/api/v1/admin/staff", root_token,
                   "{\"email\":\"%s\",\"name\":\"Someone\",\"role\":\"%s\",\"password\":\"%s\"}",
                   email, role, PASSWORD);

  eva_test_assert_status (resp, 201);
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static void
assert_no_secrets (EvaTestResponse *resp)
{
  g_assert_null (strstr (resp->body, "$argon2"));
  g_assert_null (strstr (resp->body, "password_hash"));
}

/* ------------------------------------------------------------------ */
/* Create and read                                                    */
/* ------------------------------------------------------------------ */

static void
test_create_and_get (void)
{
  g_autoptr(EvaTestResponse) created =
    eva_test_call (server, "POST", "/api/v1/admin/staff", root_token,
                   "{\"email\":\"New.Person@Example.TEST\",\"name\":\"New Person\","
                   "\"role\":\"organizer\",\"password\":\"a good password 1\"}");
  g_autoptr(EvaTestResponse) got = NULL;
  g_autoptr(EvaTestResponse) signed_in = NULL;
  g_autofree char *path = NULL;
  const char *id;

  eva_test_assert_status (created, 201);
  assert_no_secrets (created);
  id = eva_test_json_string (created->json, "id");
  g_assert_nonnull (id);
  g_assert_cmpstr (eva_test_json_string (created->json, "email"), ==, "new.person@example.test");
  g_assert_cmpstr (eva_test_json_string (created->json, "name"), ==, "New Person");
  g_assert_cmpstr (eva_test_json_string (created->json, "role"), ==, "organizer");
  g_assert_false (eva_test_json_bool (created->json, "disabled"));
  g_assert_null (eva_test_json_string (created->json, "last_login_at"));
  g_assert_nonnull (eva_test_json_string (created->json, "created_at"));
  /* The password was given, so it is not echoed. */
  g_assert_false (eva_test_json_has (created->json, "password"));

  path = staff_path (id);
  got = eva_test_call (server, "GET", path, root_token, NULL);
  eva_test_assert_status (got, 200);
  assert_no_secrets (got);
  g_assert_cmpstr (eva_test_json_string (got->json, "id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (got->json, "email"), ==, "new.person@example.test");

  /* Upper-case id: the same account. */
  {
    g_autofree char *upper = g_ascii_strup (id, -1);
    g_autofree char *upper_path = staff_path (upper);
    g_autoptr(EvaTestResponse) again = eva_test_call (server, "GET", upper_path, root_token, NULL);

    eva_test_assert_status (again, 200);
    g_assert_cmpstr (eva_test_json_string (again->json, "id"), ==, id);
  }

  signed_in = login (server, "new.person@example.test", "a good password 1");
  eva_test_assert_status (signed_in, 200);

  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM audit_log WHERE action = 'staff.create' "
                            "AND target_id = $1 AND actor_type = 'staff' AND actor_id IS NOT NULL "
                            "AND request_id IS NOT NULL", id), ==, 1);
  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM audit_log WHERE action = 'staff.create' "
                            "AND details::text LIKE $1", "%good password%"), ==, 0);
}

static void
test_create_generated_password (void)
{
  g_autofree char *email = new_email ("generated");
  g_autofree char *email2 = new_email ("generated");
  g_autoptr(EvaTestResponse) created =
    eva_test_call (server, "POST", "/api/v1/admin/staff", root_token,
                   "{\"email\":\"%s\",\"role\":\"door_staff\"}", email);
  g_autoptr(EvaTestResponse) with_null =
    eva_test_call (server, "POST", "/api/v1/admin/staff", root_token,
                   "{\"email\":\"%s\",\"role\":\"door_staff\",\"password\":null}", email2);
  g_autoptr(EvaTestResponse) got = NULL;
  g_autoptr(EvaTestResponse) signed_in = NULL;
  g_autofree char *path = NULL;
  const char *password;

  eva_test_assert_status (created, 201);
  eva_test_assert_status (with_null, 201);
  assert_no_secrets (created);
  password = eva_test_json_string (created->json, "password");
  g_assert_nonnull (password);
  g_assert_cmpuint (strlen (password), >=, 16);
  g_assert_cmpstr (password, !=, eva_test_json_string (with_null->json, "password"));
  g_assert_cmpstr (eva_test_json_string (created->json, "name"), ==, "");

  signed_in = login (server, email, password);
  eva_test_assert_status (signed_in, 200);

  /* Shown once: never again. */
  path = staff_path (eva_test_json_string (created->json, "id"));
  got = eva_test_call (server, "GET", path, root_token, NULL);
  eva_test_assert_status (got, 200);
  g_assert_false (eva_test_json_has (got->json, "password"));
  g_assert_null (strstr (got->body, password));
}

static void
test_create_validation (void)
{
  g_autofree char *long_name = g_strnfill (201, 'n');
  g_autofree char *long_domain = g_strnfill (250, 'd');
  g_autofree char *long_password = g_strnfill (1025, 'p');
  g_autofree char *body_long_name =
    g_strdup_printf ("{\"email\":\"x@example.test\",\"role\":\"organizer\",\"name\":\"%s\"}", long_name);
  g_autofree char *body_long_email =
    g_strdup_printf ("{\"email\":\"x@%s.test\",\"role\":\"organizer\"}", long_domain);
  g_autofree char *body_long_password =
    g_strdup_printf ("{\"email\":\"x@example.test\",\"role\":\"organizer\",\"password\":\"%s\"}",
                     long_password);
  struct {
    const char *body;
    const char *code;
    const char *field;
  } cases[] = {
    { "{}", "validation_failed", "email" },
    { "{}", "validation_failed", "role" },
    { "{\"email\":\"x@example.test\"}", "validation_failed", "role" },
    { "{\"role\":\"organizer\"}", "validation_failed", "email" },
    { "{\"email\":\"nope\",\"role\":\"organizer\"}", "validation_failed", "email" },
    { "{\"email\":5,\"role\":\"organizer\"}", "validation_failed", "email" },
    { "{\"email\":\"x@example.test\",\"role\":\"admin\"}", "validation_failed", "role" },
    { "{\"email\":\"x@example.test\",\"role\":\"attendee\"}", "validation_failed", "role" },
    { "{\"email\":\"x@example.test\",\"role\":\"public\"}", "validation_failed", "role" },
    { "{\"email\":\"x@example.test\",\"role\":4}", "validation_failed", "role" },
    { "{\"email\":\"x@example.test\",\"role\":null}", "validation_failed", "role" },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"name\":\"two\\nlines\"}",
      "validation_failed", "name" },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"name\":[]}", "validation_failed", "name" },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"password\":\"short\"}",
      "validation_failed", "password" },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"password\":\"X@EXAMPLE.test\"}",
      "validation_failed", "password" },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"password\":12345678901}",
      "validation_failed", "password" },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"disabled\":true}",
      "validation_failed", "disabled" },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"id\":\"" NO_SUCH_ID "\"}",
      "validation_failed", "id" },
    { body_long_name, "validation_failed", "name" },
    { body_long_email, "validation_failed", "email" },
    { body_long_password, "validation_failed", "password" },
    { "{\"email\":\"x\\u0000@example.test\",\"role\":\"organizer\"}", "invalid_json", NULL },
    { "{\"email\":\"x@example.test\",\"role\":\"organizer\",\"name\":1e400}", "invalid_json", NULL },
    { "{\"email\":\"x@example.test\",\"role\":99999999999999999999}", "invalid_json", NULL },
    { "[]", "invalid_json", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) resp =
        eva_test_request (server, "POST", "/api/v1/admin/staff", root_token,
                          "application/json", cases[i].body, -1);

      g_test_message ("body: %.120s", cases[i].body);
      eva_test_assert_error (resp, 400, cases[i].code);
      if (cases[i].field != NULL)
        {
          g_autofree char *path = g_strconcat ("error.details.", cases[i].field, NULL);

          g_assert_nonnull (eva_test_json_string (resp->json, path));
        }
    }
  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM staff WHERE email = $1", "x@example.test"),
                   ==, 0);

  /* SQL-looking and unusual text is stored as given. */
  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (server, "POST", "/api/v1/admin/staff", root_token,
                     "{\"email\":\"o'brien@example.test\",\"role\":\"organizer\","
                     "\"name\":\"Robert'); DROP TABLE staff;-- \\u00e9\\u6f22\"}");

    eva_test_assert_status (resp, 201);
    g_assert_cmpstr (eva_test_json_string (resp->json, "name"), ==,
                     "Robert'); DROP TABLE staff;-- \xc3\xa9\xe6\xbc\xa2");
    g_assert_cmpstr (eva_test_json_string (resp->json, "email"), ==, "o'brien@example.test");
  }
}

static void
test_create_duplicate (void)
{
  g_autofree char *email = new_email ("dup");
  g_autofree char *id = create (email, "organizer");
  g_autofree char *upper = g_ascii_strup (email, -1);
  g_autoptr(EvaTestResponse) again =
    eva_test_call (server, "POST", "/api/v1/admin/staff", root_token,
                   "{\"email\":\"%s\",\"role\":\"door_staff\"}", upper);

  eva_test_assert_error (again, 409, "email_taken");
  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM staff WHERE lower(email) = $1", email), ==, 1);
}

static void
test_get_unknown (void)
{
  g_autofree char *path = staff_path (NO_SUCH_ID);
  g_autoptr(EvaTestResponse) unknown = eva_test_call (server, "GET", path, root_token, NULL);
  g_autoptr(EvaTestResponse) malformed =
    eva_test_call (server, "GET", "/api/v1/admin/staff/not-a-uuid", root_token, NULL);
  g_autoptr(EvaTestResponse) patch =
    eva_test_call (server, "PATCH", path, root_token, "{\"name\":\"x\"}");
  g_autoptr(EvaTestResponse) patch_empty = eva_test_call (server, "PATCH", path, root_token, "{}");
  g_autoptr(EvaTestResponse) patch_password =
    eva_test_call (server, "PATCH", path, root_token, "{\"password\":\"a long new password\"}");
  g_autoptr(EvaTestResponse) del = eva_test_call (server, "DELETE", path, root_token, NULL);

  eva_test_assert_error (unknown, 404, "not_found");
  eva_test_assert_error (malformed, 404, "not_found");
  eva_test_assert_error (patch, 404, "not_found");
  eva_test_assert_error (patch_empty, 404, "not_found");
  eva_test_assert_error (patch_password, 404, "not_found");
  eva_test_assert_error (del, 404, "not_found");
}

/* ------------------------------------------------------------------ */
/* List                                                               */
/* ------------------------------------------------------------------ */

static void
test_list (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  const char *roles[] = { "organizer", "door_staff", "door_staff", "organizer", "door_staff" };
  guint pages = 0;

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autofree char *email = g_strdup_printf ("listing-%u@example.test", 5 - i);
      g_autofree char *id = create (email, roles[i]);
    }

  /* Search by email, case-insensitively, walking pages of two. */
  do
    {
      g_autofree char *path =
        cursor != NULL ? g_strdup_printf ("/api/v1/admin/staff?q=LISTING-&limit=2&cursor=%s", cursor)
                       : g_strdup ("/api/v1/admin/staff?q=LISTING-&limit=2");
      g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", path, root_token, NULL);
      JsonArray *items;
      const char *next;

      eva_test_assert_status (resp, 200);
      assert_no_secrets (resp);
      g_assert_cmpint (eva_test_json_int (resp->json, "total"), ==, 5);
      items = json_node_get_array (eva_test_json_get (resp->json, "items"));
      g_assert_cmpuint (json_array_get_length (items), <=, 2);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);
          g_autofree char *expected = g_strdup_printf ("listing-%u@example.test",
                                                       pages * 2 + i + 1);

          /* Ordered by email. */
          g_assert_cmpstr (json_object_get_string_member (item, "email"), ==, expected);
          g_assert_true (g_hash_table_add (seen, g_strdup (json_object_get_string_member (item, "id"))));
        }
      pages++;
      next = eva_test_json_string (resp->json, "next_cursor");
      g_free (cursor);
      cursor = g_strdup (next);
      if (next == NULL)
        g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "next_cursor")));
    }
  while (cursor != NULL && pages < 10);

  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 5);

  /* Role filter, name search, wildcards taken literally. */
  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (server, "GET", "/api/v1/admin/staff?q=listing-&role=door_staff", root_token, NULL);
    JsonArray *items;

    eva_test_assert_status (resp, 200);
    g_assert_cmpint (eva_test_json_int (resp->json, "total"), ==, 3);
    items = json_node_get_array (eva_test_json_get (resp->json, "items"));
    g_assert_cmpuint (json_array_get_length (items), ==, 3);
    for (guint i = 0; i < 3; i++)
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, i), "role"),
                       ==, "door_staff");
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "next_cursor")));
  }
  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (server, "GET", "/api/v1/admin/staff?q=TEST%20STAFF&limit=100", root_token, NULL);

    /* create-admin names everyone "Test Staff": the root account matches. */
    eva_test_assert_status (resp, 200);
    g_assert_cmpint (eva_test_json_int (resp->json, "total"), >=, 1);
  }
  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (server, "GET", "/api/v1/admin/staff?q=%25", root_token, NULL);
    g_autoptr(EvaTestResponse) under =
      eva_test_call (server, "GET", "/api/v1/admin/staff?q=listing_", root_token, NULL);

    eva_test_assert_status (resp, 200);
    g_assert_cmpint (eva_test_json_int (resp->json, "total"), ==, 0);
    eva_test_assert_status (under, 200);
    g_assert_cmpint (eva_test_json_int (under->json, "total"), ==, 0);
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/staff", root_token, NULL);

    eva_test_assert_status (resp, 200);
    g_assert_cmpint (eva_test_json_int (resp->json, "total"), >=, 6);
  }

  /* Bad parameters. */
  {
    const char *paths[] = {
      "/api/v1/admin/staff?limit=0",
      "/api/v1/admin/staff?limit=101",
      "/api/v1/admin/staff?limit=abc",
      "/api/v1/admin/staff?limit=99999999999999999999",
      "/api/v1/admin/staff?role=admin",
      "/api/v1/admin/staff?cursor=!!!",
      "/api/v1/admin/staff?cursor=AQ",         /* decodes to a control character */
      "/api/v1/admin/staff?q=a%0Ab",
      "/api/v1/admin/staff?q=%FF%FE",
    };

    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", paths[i], root_token, NULL);

        g_test_message ("path: %s", paths[i]);
        eva_test_assert_error (resp, 400, "validation_failed");
      }
  }
}

/* ------------------------------------------------------------------ */
/* Update and delete                                                  */
/* ------------------------------------------------------------------ */

static void
test_update (void)
{
  g_autofree char *email = new_email ("update");
  g_autofree char *id = create (email, "door_staff");
  g_autofree char *path = staff_path (id);

  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (server, "PATCH", path, root_token, "{\"name\":\"Renamed\",\"role\":\"organizer\"}");

    eva_test_assert_status (resp, 200);
    assert_no_secrets (resp);
    g_assert_cmpstr (eva_test_json_string (resp->json, "name"), ==, "Renamed");
    g_assert_cmpstr (eva_test_json_string (resp->json, "role"), ==, "organizer");
    g_assert_cmpstr (eva_test_json_string (resp->json, "email"), ==, email);
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "PATCH", path, root_token, "{\"disabled\":true}");

    eva_test_assert_status (resp, 200);
    g_assert_true (eva_test_json_bool (resp->json, "disabled"));
    g_assert_nonnull (eva_test_json_string (resp->json, "disabled_at"));
    g_assert_cmpstr (eva_test_json_string (resp->json, "name"), ==, "Renamed");
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "PATCH", path, root_token, "{\"disabled\":false}");

    eva_test_assert_status (resp, 200);
    g_assert_false (eva_test_json_bool (resp->json, "disabled"));
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "disabled_at")));
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "PATCH", path, root_token, "{}");

    eva_test_assert_status (resp, 200);
    g_assert_cmpstr (eva_test_json_string (resp->json, "role"), ==, "organizer");
  }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "PATCH", path, root_token, "{\"name\":\"\"}");

    eva_test_assert_status (resp, 200);
    g_assert_cmpstr (eva_test_json_string (resp->json, "name"), ==, "");
  }

  /* A new password: the old one stops working, every session ends. */
  {
    g_autoptr(EvaTestResponse) session = login (server, email, PASSWORD);
    g_autoptr(EvaTestResponse) resp = NULL;
    g_autoptr(EvaTestResponse) old = NULL;
    g_autoptr(EvaTestResponse) fresh = NULL;
    g_autoptr(EvaTestResponse) refreshed = NULL;

    eva_test_assert_status (session, 200);
    resp = eva_test_call (server, "PATCH", path, root_token, "{\"password\":\"a brand new password\"}");
    eva_test_assert_status (resp, 200);
    assert_no_secrets (resp);
    g_assert_false (eva_test_json_has (resp->json, "password"));
    old = login (server, email, PASSWORD);
    eva_test_assert_error (old, 401, "invalid_credentials");
    fresh = login (server, email, "a brand new password");
    eva_test_assert_status (fresh, 200);
    refreshed = refresh (server, eva_test_json_string (session->json, "refresh_token"));
    eva_test_assert_error (refreshed, 401, "invalid_refresh_token");
    g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits", NULL));
  }

  /* Validation. */
  {
    g_autofree char *long_name = g_strnfill (201, 'n');
    g_autofree char *body_long_name = g_strdup_printf ("{\"name\":\"%s\"}", long_name);
    g_autofree char *email_password = g_strdup_printf ("{\"password\":\"%s\"}", email);
    struct {
      const char *body;
      const char *code;
      const char *field;
    } cases[] = {
      { "{\"role\":\"boss\"}", "validation_failed", "role" },
      { "{\"role\":null}", "validation_failed", "role" },
      { "{\"disabled\":\"yes\"}", "validation_failed", "disabled" },
      { "{\"disabled\":1}", "validation_failed", "disabled" },
      { "{\"disabled\":null}", "validation_failed", "disabled" },
      { "{\"name\":5}", "validation_failed", "name" },
      { "{\"name\":null}", "validation_failed", "name" },
      { "{\"email\":\"other@example.test\"}", "validation_failed", "email" },
      { "{\"password\":\"short\"}", "validation_failed", "password" },
      { "{\"password\":\"\"}", "validation_failed", "password" },
      { email_password, "validation_failed", "password" },
      { body_long_name, "validation_failed", "name" },
      { "{\"name\":\"a\\u0000b\"}", "invalid_json", NULL },
      { "{\"name\":\"x\",}", "invalid_json", NULL },
      { "\"name\"", "invalid_json", NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(EvaTestResponse) resp =
          eva_test_request (server, "PATCH", path, root_token, "application/json", cases[i].body, -1);

        g_test_message ("body: %.120s", cases[i].body);
        eva_test_assert_error (resp, 400, cases[i].code);
        if (cases[i].field != NULL)
          {
            g_autofree char *field = g_strconcat ("error.details.", cases[i].field, NULL);

            g_assert_nonnull (eva_test_json_string (resp->json, field));
          }
      }
  }

  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM audit_log WHERE action = 'staff.update' "
                            "AND target_id = $1", id), ==, 5);
  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM audit_log WHERE action = 'staff.update' "
                            "AND details::text LIKE $1", "%brand new%"), ==, 0);
}

static void
test_disable_revokes_refresh_tokens (void)
{
  g_autofree char *email = new_email ("disable");
  g_autofree char *id = create (email, "organizer");
  g_autofree char *path = staff_path (id);
  g_autoptr(EvaTestResponse) a = login (server, email, PASSWORD);
  g_autoptr(EvaTestResponse) b = login (server, email, PASSWORD);
  g_autoptr(EvaTestResponse) disabled = NULL;

  eva_test_assert_status (a, 200);
  eva_test_assert_status (b, 200);
  disabled = eva_test_call (server, "PATCH", path, root_token, "{\"disabled\":true}");
  eva_test_assert_status (disabled, 200);

  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM staff_sessions WHERE staff_id = $1 "
                            "AND revoked_at IS NULL", id), ==, 0);
  {
    g_autoptr(EvaTestResponse) ra = refresh (server, eva_test_json_string (a->json, "refresh_token"));
    g_autoptr(EvaTestResponse) rb = refresh (server, eva_test_json_string (b->json, "refresh_token"));
    g_autoptr(EvaTestResponse) me =
      eva_test_call (server, "GET", "/api/v1/admin/me", eva_test_json_string (a->json, "access_token"), NULL);
    g_autoptr(EvaTestResponse) again = login (server, email, PASSWORD);

    eva_test_assert_error (ra, 401, "invalid_refresh_token");
    eva_test_assert_error (rb, 401, "invalid_refresh_token");
    eva_test_assert_error (me, 401, "invalid_token");
    eva_test_assert_error (again, 403, "account_disabled");
  }

  /* Enabled again, signing in works; the old tokens stay dead. */
  {
    g_autoptr(EvaTestResponse) enabled =
      eva_test_call (server, "PATCH", path, root_token, "{\"disabled\":false}");
    g_autoptr(EvaTestResponse) again = login (server, email, PASSWORD);
    g_autoptr(EvaTestResponse) rb = refresh (server, eva_test_json_string (b->json, "refresh_token"));

    eva_test_assert_status (enabled, 200);
    eva_test_assert_status (again, 200);
    eva_test_assert_error (rb, 401, "invalid_refresh_token");
  }
}

static void
test_delete (void)
{
  g_autofree char *email = new_email ("delete");
  g_autofree char *id = create (email, "super_admin");
  g_autofree char *path = staff_path (id);
  g_autoptr(EvaTestResponse) session = login (server, email, PASSWORD);
  g_autoptr(EvaTestResponse) del = NULL;

  eva_test_assert_status (session, 200);
  del = eva_test_call (server, "DELETE", path, root_token, NULL);
  eva_test_assert_status (del, 204);
  g_assert_cmpuint (del->length, ==, 0);

  {
    g_autoptr(EvaTestResponse) got = eva_test_call (server, "GET", path, root_token, NULL);
    g_autoptr(EvaTestResponse) again = eva_test_call (server, "DELETE", path, root_token, NULL);
    g_autoptr(EvaTestResponse) me =
      eva_test_call (server, "GET", "/api/v1/admin/me",
                     eva_test_json_string (session->json, "access_token"), NULL);
    g_autoptr(EvaTestResponse) refreshed =
      refresh (server, eva_test_json_string (session->json, "refresh_token"));
    g_autoptr(EvaTestResponse) signed_in = login (server, email, PASSWORD);

    eva_test_assert_error (got, 404, "not_found");
    eva_test_assert_error (again, 404, "not_found");
    eva_test_assert_error (me, 401, "invalid_token");
    eva_test_assert_error (refreshed, 401, "invalid_refresh_token");
    eva_test_assert_error (signed_in, 401, "invalid_credentials");
    g_free (eva_test_sql (server->pg, "DELETE FROM rate_limits", NULL));
  }

  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM staff_sessions WHERE staff_id = $1", id), ==, 0);
  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM audit_log WHERE action = 'staff.delete' "
                            "AND target_id = $1 AND details->>'email' = lower(details->>'email')", id),
                   ==, 1);
}

/* ------------------------------------------------------------------ */
/* Rules                                                              */
/* ------------------------------------------------------------------ */

static void
test_self_rules (void)
{
  g_autofree char *path = staff_path (root_id);
  const char *refused[] = {
    "{\"role\":\"organizer\"}",
    "{\"role\":\"door_staff\"}",
    "{\"disabled\":true}",
    "{\"name\":\"Still Me\",\"role\":\"organizer\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(EvaTestResponse) resp = eva_test_call (server, "PATCH", path, root_token, "%s", refused[i]);

      g_test_message ("body: %s", refused[i]);
      eva_test_assert_error (resp, 409, "cannot_change_self");
    }
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "DELETE", path, root_token, NULL);

    eva_test_assert_error (resp, 409, "cannot_change_self");
  }

  /* What stays allowed: a new name, "super_admin" again, "disabled": false. */
  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (server, "PATCH", path, root_token,
                     "{\"name\":\"Root\",\"role\":\"super_admin\",\"disabled\":false}");

    eva_test_assert_status (resp, 200);
    g_assert_cmpstr (eva_test_json_string (resp->json, "name"), ==, "Root");
    g_assert_cmpstr (eva_test_json_string (resp->json, "role"), ==, "super_admin");
  }

  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM staff WHERE id = $1 "
                            "AND role = 'super_admin' AND disabled_at IS NULL", root_id), ==, 1);
}

typedef struct
{
  guint    pending;
  guint    statuses[2];
} Race;

static void
race_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Race *race = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (msg), "index"));

  race->statuses[index] = soup_message_get_status (msg);
  race->pending--;
}

static void
test_last_super_admin (void)
{
  /* A server of its own: here only the accounts made below are super admins. */
  g_autoptr(EvaTestServer) own = eva_test_server_start (NULL);
  g_autofree char *a_id = eva_test_create_staff (own, "alpha@example.test", "super_admin", PASSWORD);
  g_autofree char *b_id = eva_test_create_staff (own, "bravo@example.test", "super_admin", PASSWORD);
  g_autofree char *c_id = NULL;
  g_autofree char *a_path = g_strconcat ("/api/v1/admin/staff/", a_id, NULL);
  g_autofree char *b_path = g_strconcat ("/api/v1/admin/staff/", b_id, NULL);
  g_autofree char *c_path = NULL;
  g_autoptr(EvaTestResponse) a = login (own, "alpha@example.test", PASSWORD);
  g_autoptr(EvaTestResponse) b = login (own, "bravo@example.test", PASSWORD);
  g_autoptr(EvaTestResponse) demoted = NULL;
  g_autoptr(EvaTestResponse) b_refreshed = NULL;
  const char *a_token;
  const char *b_token;

  eva_test_assert_status (a, 200);
  eva_test_assert_status (b, 200);
  a_token = eva_test_json_string (a->json, "access_token");
  b_token = eva_test_json_string (b->json, "access_token");

  /* Alpha demotes Bravo; Alpha is then the last active super admin. */
  demoted = eva_test_call (own, "PATCH", b_path, a_token, "{\"role\":\"organizer\"}");
  eva_test_assert_status (demoted, 200);

  /* Bravo's token still says super_admin, but his role counts as it is
   * now: he can no longer touch the last super admin, nor anyone. */
  {
    g_autoptr(EvaTestResponse) demote = eva_test_call (own, "PATCH", a_path, b_token, "{\"role\":\"door_staff\"}");
    g_autoptr(EvaTestResponse) disable = eva_test_call (own, "PATCH", a_path, b_token, "{\"disabled\":true}");
    g_autoptr(EvaTestResponse) del = eva_test_call (own, "DELETE", a_path, b_token, NULL);
    g_autoptr(EvaTestResponse) rename = eva_test_call (own, "PATCH", a_path, b_token, "{\"name\":\"Alpha\"}");
    g_autoptr(EvaTestResponse) events = eva_test_call (own, "GET", "/api/v1/admin/events", b_token, NULL);

    eva_test_assert_error (demote, 403, "forbidden");
    eva_test_assert_error (disable, 403, "forbidden");
    eva_test_assert_error (del, 403, "forbidden");
    eva_test_assert_error (rename, 403, "forbidden");
    /* What an organizer may do, he still may. */
    eva_test_assert_status (events, 200);
  }
  g_assert_cmpint (sql_int (own, "SELECT count(*) FROM staff WHERE role = 'super_admin' "
                            "AND disabled_at IS NULL AND id = $1", a_id), ==, 1);

  /* After a refresh, Bravo's token carries the new role. */
  b_refreshed = refresh (own, eva_test_json_string (b->json, "refresh_token"));
  eva_test_assert_status (b_refreshed, 200);
  g_assert_cmpstr (eva_test_json_string (b_refreshed->json, "staff.role"), ==, "organizer");
  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (own, "GET", "/api/v1/admin/staff", eva_test_json_string (b_refreshed->json, "access_token"), NULL);

    eva_test_assert_error (resp, 403, "forbidden");
  }

  /* A disabled super admin can do nothing at once, and does not count as
   * a super admin (the race below would otherwise let both win). */
  c_id = eva_test_create_staff (own, "charlie@example.test", "super_admin", PASSWORD);
  c_path = g_strconcat ("/api/v1/admin/staff/", c_id, NULL);
  {
    g_autoptr(EvaTestResponse) c = login (own, "charlie@example.test", PASSWORD);
    g_autoptr(EvaTestResponse) disable = NULL;
    g_autoptr(EvaTestResponse) demote = NULL;

    eva_test_assert_status (c, 200);
    disable = eva_test_call (own, "PATCH", c_path, a_token, "{\"disabled\":true}");
    eva_test_assert_status (disable, 200);
    demote = eva_test_call (own, "PATCH", a_path, eva_test_json_string (c->json, "access_token"),
                            "{\"role\":\"organizer\"}");
    eva_test_assert_error (demote, 401, "invalid_token");
    g_assert_cmpint (sql_int (own, "SELECT count(*) FROM staff WHERE role = 'super_admin' "
                              "AND disabled_at IS NULL", NULL), ==, 1);
  }

  /* Two super admins demoting each other at once: exactly one wins. */
  {
    g_autoptr(EvaTestResponse) enable = eva_test_call (own, "PATCH", c_path, a_token, "{\"disabled\":false}");
    g_autoptr(EvaTestResponse) c = login (own, "charlie@example.test", PASSWORD);
    g_autofree char *a_url = g_strconcat (own->base_url, a_path, NULL);
    g_autofree char *c_url = g_strconcat (own->base_url, c_path, NULL);
    const char *body = "{\"role\":\"organizer\"}";
    const char *urls[2] = { c_url, a_url };
    const char *tokens[2];
    SoupMessage *msgs[2];
    Race race = { 0, };

    eva_test_assert_status (enable, 200);
    eva_test_assert_status (c, 200);
    tokens[0] = a_token;
    tokens[1] = eva_test_json_string (c->json, "access_token");
    for (guint i = 0; i < 2; i++)
      {
        g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));
        g_autofree char *auth = g_strconcat ("Bearer ", tokens[i], NULL);

        msgs[i] = soup_message_new ("PATCH", urls[i]);
        soup_message_headers_replace (soup_message_get_request_headers (msgs[i]), "Authorization", auth);
        soup_message_set_request_body_from_bytes (msgs[i], "application/json", bytes);
        g_object_set_data (G_OBJECT (msgs[i]), "index", GUINT_TO_POINTER (i));
        race.pending++;
        soup_session_send_and_read_async (own->session, msgs[i], G_PRIORITY_DEFAULT, NULL,
                                          race_sent_cb, &race);
      }
    while (race.pending > 0)
      g_main_context_iteration (NULL, TRUE);
    g_object_unref (msgs[0]);
    g_object_unref (msgs[1]);

    g_test_message ("mutual demotion: %u and %u", race.statuses[0], race.statuses[1]);
    /* The loser is refused by the rule (409) or, when the winner was
     * quicker still, as the organizer it has become (403). */
    g_assert_true ((race.statuses[0] == 200 && (race.statuses[1] == 409 || race.statuses[1] == 403)) ||
                   ((race.statuses[0] == 409 || race.statuses[0] == 403) && race.statuses[1] == 200));
    g_assert_cmpint (sql_int (own, "SELECT count(*) FROM staff WHERE role = $1 AND disabled_at IS NULL",
                              "super_admin"), ==, 1);
  }
}

static void
test_role_change_after_refresh (void)
{
  g_autofree char *email = new_email ("promote");
  g_autofree char *id = create (email, "organizer");
  g_autofree char *path = staff_path (id);
  g_autoptr(EvaTestResponse) session = login (server, email, PASSWORD);
  g_autoptr(EvaTestResponse) promoted = NULL;
  g_autoptr(EvaTestResponse) refreshed = NULL;
  g_autoptr(EvaTestResponse) demoted = NULL;
  g_autoptr(EvaTestResponse) refreshed_again = NULL;
  const char *old_token;
  const char *new_token;

  eva_test_assert_status (session, 200);
  old_token = eva_test_json_string (session->json, "access_token");
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/staff", old_token, NULL);

    eva_test_assert_error (resp, 403, "forbidden");
  }

  promoted = eva_test_call (server, "PATCH", path, root_token, "{\"role\":\"super_admin\"}");
  eva_test_assert_status (promoted, 200);

  /* The role counts as it is now, whatever the token says. */
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/staff", old_token, NULL);
    g_autoptr(EvaTestResponse) me = eva_test_call (server, "GET", "/api/v1/admin/me", old_token, NULL);

    eva_test_assert_status (resp, 200);
    eva_test_assert_status (me, 200);
    g_assert_cmpstr (eva_test_json_string (me->json, "role"), ==, "super_admin");
  }

  refreshed = refresh (server, eva_test_json_string (session->json, "refresh_token"));
  eva_test_assert_status (refreshed, 200);
  new_token = eva_test_json_string (refreshed->json, "access_token");
  {
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", "/api/v1/admin/staff", new_token, NULL);

    eva_test_assert_status (resp, 200);
  }

  /* And down again: door staff may not even list events, at once. */
  demoted = eva_test_call (server, "PATCH", path, root_token, "{\"role\":\"door_staff\"}");
  eva_test_assert_status (demoted, 200);
  {
    g_autoptr(EvaTestResponse) staff = eva_test_call (server, "GET", "/api/v1/admin/staff", new_token, NULL);
    g_autoptr(EvaTestResponse) events = eva_test_call (server, "GET", "/api/v1/admin/events", new_token, NULL);

    eva_test_assert_error (staff, 403, "forbidden");
    eva_test_assert_error (events, 403, "forbidden");
  }
  refreshed_again = refresh (server, eva_test_json_string (refreshed->json, "refresh_token"));
  eva_test_assert_status (refreshed_again, 200);
  g_assert_cmpstr (eva_test_json_string (refreshed_again->json, "staff.role"), ==, "door_staff");
  {
    const char *token = eva_test_json_string (refreshed_again->json, "access_token");
    g_autoptr(EvaTestResponse) staff = eva_test_call (server, "GET", "/api/v1/admin/staff", token, NULL);
    g_autoptr(EvaTestResponse) events = eva_test_call (server, "GET", "/api/v1/admin/events", token, NULL);
    g_autoptr(EvaTestResponse) me = eva_test_call (server, "GET", "/api/v1/admin/me", token, NULL);

    eva_test_assert_error (staff, 403, "forbidden");
    eva_test_assert_error (events, 403, "forbidden");
    eva_test_assert_status (me, 200);
  }
}

static void
test_wrong_roles (void)
{
  g_autofree char *organizer = eva_test_token_for_role (server, "organizer");
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *path = staff_path (root_id);
  const char *tokens[] = { organizer, door };

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(EvaTestResponse) list = eva_test_call (server, "GET", "/api/v1/admin/staff", tokens[i], NULL);
      g_autoptr(EvaTestResponse) make =
        eva_test_call (server, "POST", "/api/v1/admin/staff", tokens[i],
                       "{\"email\":\"sneaky@example.test\",\"role\":\"super_admin\"}");
      g_autoptr(EvaTestResponse) get = eva_test_call (server, "GET", path, tokens[i], NULL);
      g_autoptr(EvaTestResponse) patch = eva_test_call (server, "PATCH", path, tokens[i], "{\"disabled\":true}");
      g_autoptr(EvaTestResponse) del = eva_test_call (server, "DELETE", path, tokens[i], NULL);

      eva_test_assert_error (list, 403, "forbidden");
      eva_test_assert_error (make, 403, "forbidden");
      eva_test_assert_error (get, 403, "forbidden");
      eva_test_assert_error (patch, 403, "forbidden");
      eva_test_assert_error (del, 403, "forbidden");
    }
  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM staff WHERE email = $1",
                            "sneaky@example.test"), ==, 0);
  g_assert_cmpint (sql_int (server, "SELECT count(*) FROM staff WHERE id = $1 AND disabled_at IS NULL",
                            root_id), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = eva_test_server_start (NULL);
  root_id = eva_test_create_staff (server, "root@example.test", "super_admin", PASSWORD);
  root_token = eva_test_login (server, "root@example.test", PASSWORD);

  g_test_add_func ("/staff/create-and-get", test_create_and_get);
  g_test_add_func ("/staff/create-generated-password", test_create_generated_password);
  g_test_add_func ("/staff/create-validation", test_create_validation);
  g_test_add_func ("/staff/create-duplicate", test_create_duplicate);
  g_test_add_func ("/staff/get-unknown", test_get_unknown);
  g_test_add_func ("/staff/list", test_list);
  g_test_add_func ("/staff/update", test_update);
  g_test_add_func ("/staff/disable-revokes-refresh-tokens", test_disable_revokes_refresh_tokens);
  g_test_add_func ("/staff/delete", test_delete);
  g_test_add_func ("/staff/self-rules", test_self_rules);
  g_test_add_func ("/staff/last-super-admin", test_last_super_admin);
  g_test_add_func ("/staff/role-change-after-refresh", test_role_change_after_refresh);
  g_test_add_func ("/staff/wrong-roles", test_wrong_roles);

  ret = g_test_run ();
  g_free (root_id);
  g_free (root_token);
  eva_test_server_free (server);
  return ret;
}
