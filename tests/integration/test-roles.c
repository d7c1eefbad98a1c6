/* test-roles.c: who may call what — a matrix over every admin route in the
 * route table × {no token, expired token, door_staff, organizer,
 * super_admin}, and proof that public routes need no token
 *
 * The routes come from eva_routes_get() in libeverato-server, so a route
 * added to the table is covered here without touching this file.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <sodium.h>

#include "core/eva-auth.h"
#include "app/eva-routes.h"
#include "eva-test.h"
#include "eva-test-keys.h"

#define PASSWORD "correct horse battery"

static EvaTestServer *server;

enum
{
  CALLER_NONE,
  CALLER_EXPIRED,
  CALLER_DOOR,
  CALLER_ORGANIZER,
  CALLER_SUPER,
  N_CALLERS
};

static const char * const caller_names[N_CALLERS] = {
  "none", "expired", "door", "organizer", "super",
};

static const EvaRole caller_roles[N_CALLERS] = {
  EVA_ROLE_PUBLIC, EVA_ROLE_PUBLIC,
  EVA_ROLE_DOOR_STAFF, EVA_ROLE_ORGANIZER, EVA_ROLE_SUPER_ADMIN,
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
is_admin_route (const EvaRoute *route)
{
  return g_str_has_prefix (route->pattern, "/api/v1/admin/");
}

/* "/api/v1/admin/staff/{id}" → a concrete path: {id} becomes @id (the
 * router checks it is a UUID), any other parameter a plain number. */
static char *
concrete_path (const char *pattern,
               const char *id)
{
  g_autoptr(GString) path = g_string_new (NULL);

  for (const char *p = pattern; *p != '\0'; )
    {
      if (*p == '{')
        {
          const char *close = strchr (p, '}');

          g_assert_nonnull (close);
          if (close - p - 1 == 2 && strncmp (p + 1, "id", 2) == 0)
            g_string_append (path, id);
          else
            g_string_append (path, "1");
          p = close + 1;
        }
      else
        g_string_append_c (path, *p++);
    }
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static char *
random_uuid (void)
{
  guint8 b[16];

  randombytes_buf (b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                          "%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                          b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static char *
expired_token (const char *staff_id)
{
  guint8 key[32];
  char *token;

  eva_test_token_key (server->pg, NULL, key);
  /* The highest role, so only the expiry can be why it is refused. */
  token = eva_auth_issue_access_token (key, staff_id, EVA_ROLE_SUPER_ADMIN, NULL,
                                       g_get_real_time () / G_USEC_PER_SEC - 3600,
                                       EVA_ACCESS_TOKEN_TTL);
  sodium_memzero (key, sizeof key);
  return token;
}

static EvaTestResponse *
call_route (const EvaRoute *route,
            const char     *path,
            const char     *token)
{
  /* Routes that take a body get an empty object: enough to pass the
   * router's own checks, whatever the handler then thinks of it. */
  if (route->flags & EVA_ROUTE_BODY)
    return eva_test_request (server, route->method, path, token, "application/json", "{}", -1);
  return eva_test_request (server, route->method, path, token, NULL, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_admin_matrix (void)
{
  g_autofree char *super_id = eva_test_create_staff (server, "matrix-root@example.test",
                                                     "super_admin", PASSWORD);
  g_autofree char *victim_id = eva_test_create_staff (server, "matrix-victim@example.test",
                                                      "door_staff", PASSWORD);
  g_autofree char *other_id = random_uuid ();
  char *tokens[N_CALLERS] = { NULL, };
  g_autoptr(GString) table = g_string_new ("\n");
  const EvaRoute *routes;
  guint n_routes;
  guint n_admin = 0;
  guint n_checked = 0;

  tokens[CALLER_EXPIRED] = expired_token (super_id);
  tokens[CALLER_DOOR] = eva_test_token_for_role (server, "door_staff");
  tokens[CALLER_ORGANIZER] = eva_test_token_for_role (server, "organizer");
  tokens[CALLER_SUPER] = eva_test_login (server, "matrix-root@example.test", PASSWORD);

  g_string_append_printf (table, "%-7s %-44s %-12s", "method", "pattern", "least role");
  for (guint c = 0; c < N_CALLERS; c++)
    g_string_append_printf (table, " %9s", caller_names[c]);
  g_string_append_c (table, '\n');

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      const EvaRoute *route = &routes[i];
      g_autofree char *path = NULL;

      if (!is_admin_route (route) || route->role == EVA_ROLE_PUBLIC)
        continue;
      n_admin++;

      /* The only admin routes below door_staff would be attendee routes,
       * which do not exist under /admin. */
      g_assert_cmpint (route->role, >=, EVA_ROLE_DOOR_STAFF);

      /* Staff routes get a real (throwaway) account, others a random id. */
      path = concrete_path (route->pattern,
                            g_str_has_prefix (route->pattern, "/api/v1/admin/staff/")
                              ? victim_id : other_id);
      g_string_append_printf (table, "%-7s %-44s %-12s", route->method, route->pattern,
                              eva_role_to_string (route->role));

      for (guint c = 0; c < N_CALLERS; c++)
        {
          g_autoptr(EvaTestResponse) resp = call_route (route, path, tokens[c]);

          g_string_append_printf (table, " %9u", resp->status);
          n_checked++;

          if (c == CALLER_NONE || c == CALLER_EXPIRED)
            {
              if (resp->status != 401)
                g_error ("%s %s with %s token: expected 401, got %u: %s", route->method, path,
                         caller_names[c], resp->status, resp->body);
              eva_test_assert_error (resp, 401, c == CALLER_NONE ? "unauthorized" : "invalid_token");
            }
          else if (caller_roles[c] < route->role)
            {
              if (resp->status != 403)
                g_error ("%s %s as %s: expected 403, got %u: %s", route->method, path,
                         caller_names[c], resp->status, resp->body);
              eva_test_assert_error (resp, 403, "forbidden");
            }
          else if (resp->status == 401 || resp->status == 403)
            g_error ("%s %s as %s: allowed role refused with %u: %s", route->method, path,
                     caller_names[c], resp->status, resp->body);

          /* Signing out ends the token too: sign in again for the rest. */
          if (g_str_equal (route->pattern, "/api/v1/admin/auth/logout") && resp->status == 204)
            {
              g_free (tokens[c]);
              tokens[c] = c == CALLER_SUPER
                ? eva_test_login (server, "matrix-root@example.test", PASSWORD)
                : eva_test_token_for_role (server, eva_role_to_string (caller_roles[c]));
            }
        }
      g_string_append_c (table, '\n');
    }

  g_test_message ("%s", table->str);
  g_test_message ("%u admin routes, %u calls", n_admin, n_checked);
  for (guint c = 0; c < N_CALLERS; c++)
    g_free (tokens[c]);

  /* Every staff-management and sign-in route is in the table. */
  g_assert_cmpuint (n_admin, >=, 20);
  {
    const char *expected[][3] = {
      { "POST", "/api/v1/admin/auth/logout", "door_staff" },
      { "GET", "/api/v1/admin/me", "door_staff" },
      { "GET", "/api/v1/admin/staff", "super_admin" },
      { "POST", "/api/v1/admin/staff", "super_admin" },
      { "GET", "/api/v1/admin/staff/{id}", "super_admin" },
      { "PATCH", "/api/v1/admin/staff/{id}", "super_admin" },
      { "DELETE", "/api/v1/admin/staff/{id}", "super_admin" },
      { "POST", "/api/v1/admin/events", "organizer" },
    };

    for (guint e = 0; e < G_N_ELEMENTS (expected); e++)
      {
        gboolean found = FALSE;

        for (guint i = 0; i < n_routes; i++)
          if (g_str_equal (routes[i].method, expected[e][0]) &&
              g_str_equal (routes[i].pattern, expected[e][1]))
            {
              g_assert_cmpstr (eva_role_to_string (routes[i].role), ==, expected[e][2]);
              found = TRUE;
            }
        g_assert_true (found);
      }
  }
}

static void
test_public_routes_need_no_token (void)
{
  g_autofree char *id = random_uuid ();
  g_autoptr(GString) table = g_string_new ("\n");
  const EvaRoute *routes;
  guint n_routes;
  guint n_public = 0;
  guint n_public_admin = 0;

  routes = eva_routes_get (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      const EvaRoute *route = &routes[i];
      g_autofree char *path = NULL;

      if (route->role != EVA_ROLE_PUBLIC)
        continue;
      n_public++;
      path = concrete_path (route->pattern, id);

      /* Only sign-in and refresh are open under /admin. */
      if (is_admin_route (route))
        {
          n_public_admin++;
          g_assert_true (g_str_equal (route->pattern, "/api/v1/admin/auth/login") ||
                         g_str_equal (route->pattern, "/api/v1/admin/auth/refresh"));
        }

      /* No token, and a broken one (which a public route must ignore:
       * a client with a stale token can still sign in). */
      {
        g_autoptr(EvaTestResponse) bare = call_route (route, path, NULL);
        g_autoptr(EvaTestResponse) stale = call_route (route, path, "not.a-token");

        g_string_append_printf (table, "%-7s %-44s none=%u stale=%u\n", route->method,
                                route->pattern, bare->status, stale->status);
        if (bare->status == 401 || bare->status == 403 || stale->status == 401 ||
            stale->status == 403)
          g_error ("public route %s %s refused: %u / %u: %s", route->method, path,
                   bare->status, stale->status, bare->body);
        /* Bad input is never a server error; every route is built. */
        g_assert_cmpuint (bare->status, <, 500);
        g_assert_cmpuint (stale->status, <, 500);
      }
    }

  g_test_message ("%s", table->str);
  g_assert_cmpuint (n_public, >=, 5);
  g_assert_cmpuint (n_public_admin, ==, 2);

  /* And the public reads answer 200 with nothing at all. */
  {
    g_autoptr(EvaTestResponse) health = eva_test_call (server, "GET", "/healthz", NULL, NULL);

    eva_test_assert_status (health, 200);
  }
}

/* One organization per installation: every organizer sees and runs every
 * event, whoever created it (docs/ARCHITECTURE.md, Authentication); door
 * staff see none of the organizer routes. */
static void
test_organizers_share_events (void)
{
  g_autofree char *ann = eva_test_token_for_role (server, "organizer");
  g_autofree char *ben = eva_test_token_for_role (server, "organizer");
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  g_autoptr(EvaTestResponse) created = NULL;
  g_autoptr(EvaTestResponse) listed = NULL;
  g_autoptr(EvaTestResponse) patched = NULL;
  g_autoptr(EvaTestResponse) by_door = NULL;

  created = eva_test_call (server, "POST", "/api/v1/admin/events", ann,
                           "{\"title\":\"Ann's night\",\"timezone\":\"UTC\","
                           "\"starts_at\":\"2033-01-01T19:00:00Z\","
                           "\"ends_at\":\"2033-01-01T23:00:00Z\"}");
  eva_test_assert_status (created, 201);
  id = g_strdup (eva_test_json_string (created->json, "id"));
  path = g_strdup_printf ("/api/v1/admin/events/%s", id);

  listed = eva_test_call (server, "GET", "/api/v1/admin/events?q=Ann%27s", ben, NULL);
  eva_test_assert_status (listed, 200);
  g_assert_cmpstr (eva_test_json_string (listed->json, "items.0.id"), ==, id);
  patched = eva_test_call (server, "PATCH", path, ben, "{\"title\":\"Ben renamed it\"}");
  eva_test_assert_status (patched, 200);
  g_assert_cmpstr (eva_test_json_string (patched->json, "title"), ==, "Ben renamed it");

  by_door = eva_test_call (server, "GET", path, door, NULL);
  eva_test_assert_error (by_door, 403, "forbidden");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  server = eva_test_server_start (NULL);

  g_test_add_func ("/roles/admin-matrix", test_admin_matrix);
  g_test_add_func ("/roles/public-routes-need-no-token", test_public_routes_need_no_token);
  g_test_add_func ("/roles/organizers-share-events", test_organizers_share_events);

  ret = g_test_run ();
  eva_test_server_free (server);
  return ret;
}
