/* test-events.c: /api/v1/admin/events — create, read, list, update,
 * delete, the life cycle, and the audit trail
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-test.h"

static EvaTestServer *server;
static char *token;        /* organizer */
static char *staff_id;     /* the organizer's id */

#define START "2031-05-01T19:00:00+02:00"
#define END   "2031-05-01T23:00:00+02:00"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* A JSON string literal for @text, quotes and all. */
static char *
json_str (const char *text)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_node_set_string (node, text);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static char *
unique (const char *prefix)
{
  static guint counter;

  return g_strdup_printf ("%s %u-%u", prefix, ++counter, g_random_int_range (0, 1000000));
}

/* Creates an event with @title and returns the response; @extra are more
 * members (",\"venue\":\"x\"") or "". */
static EvaTestResponse *
create_event_full (const char *title,
                   const char *extra)
{
  g_autofree char *quoted = json_str (title);
  /* @extra may bring its own times (a name twice is malformed JSON). */
  gboolean own_times = strstr (extra, "\"starts_at\"") != NULL;

  return eva_test_call (server, "POST", "/api/v1/admin/events", token,
                        "{\"title\":%s,\"timezone\":\"Europe/Berlin\"%s%s}",
                        quoted,
                        own_times ? "" : ",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"",
                        extra);
}

static char *
create_event (const char *title,
              const char *extra)
{
  g_autoptr(EvaTestResponse) resp = create_event_full (title, extra);

  eva_test_assert_status (resp, 201);
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static char *
add_ticket_type (const char *event_id,
                 const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", path, token, "%s", body);

  eva_test_assert_status (resp, 201);
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static EvaTestResponse *
event_action (const char *id,
              const char *action)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/%s", id, action);

  return eva_test_call (server, "POST", path, token, NULL);
}

static EvaTestResponse *
patch_event (const char *id,
             const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", id);

  return eva_test_call (server, "PATCH", path, token, "%s", body);
}

static EvaTestResponse *
get_event (const char *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", id);

  return eva_test_call (server, "GET", path, token, NULL);
}

static char *
add_booking (const char *event_id)
{
  return eva_test_sql (server->pg,
                       "INSERT INTO bookings (event_id, status, subtotal, total)"
                       " VALUES ($1, 'confirmed', 0, 0) RETURNING id", event_id, NULL);
}

static void
assert_field_error (EvaTestResponse *resp,
                    const char      *field)
{
  g_autofree char *path = g_strconcat ("error.details.", field, NULL);

  eva_test_assert_error (resp, 400, "validation_failed");
  if (!eva_test_json_has (resp->json, path))
    g_error ("expected a problem with %s: %s", field, resp->body);
}

static char *
audit_count (const char *action,
             const char *target_id)
{
  return eva_test_sql (server->pg,
                       "SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2"
                       " AND actor_type = 'staff' AND actor_id = $3::uuid",
                       action, target_id, staff_id, NULL);
}

/* ------------------------------------------------------------------ */
/* Create                                                             */
/* ------------------------------------------------------------------ */

static void
test_create_minimal (void)
{
  g_autoptr(EvaTestResponse) resp = create_event_full ("Summer Party", "");
  g_autofree char *location = NULL;
  g_autofree char *created_by = NULL;
  g_autofree char *request_id = NULL;
  g_autofree char *ip = NULL;
  const char *id;

  eva_test_assert_status (resp, 201);
  id = eva_test_json_string (resp->json, "id");
  g_assert_nonnull (id);
  location = g_strdup_printf ("/api/v1/admin/events/%s", id);
  g_assert_cmpstr (eva_test_header (resp, "Location"), ==, location);

  g_assert_true (g_str_has_prefix (eva_test_json_string (resp->json, "slug"), "summer-party"));
  g_assert_cmpstr (eva_test_json_string (resp->json, "title"), ==, "Summer Party");
  g_assert_cmpstr (eva_test_json_string (resp->json, "description"), ==, "");
  g_assert_cmpstr (eva_test_json_string (resp->json, "venue"), ==, "");
  g_assert_cmpstr (eva_test_json_string (resp->json, "address"), ==, "");
  g_assert_cmpstr (eva_test_json_string (resp->json, "timezone"), ==, "Europe/Berlin");
  g_assert_cmpstr (eva_test_json_string (resp->json, "starts_at"), ==, "2031-05-01T17:00:00+00:00");
  g_assert_cmpstr (eva_test_json_string (resp->json, "ends_at"), ==, "2031-05-01T21:00:00+00:00");
  g_assert_cmpstr (eva_test_json_string (resp->json, "status"), ==, "draft");
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "currency")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (resp->json, "published_at")));
  g_assert_cmpint (eva_test_json_int (resp->json, "hold_minutes"), ==, 15);
  g_assert_cmpint (eva_test_json_int (resp->json, "cancellation_hours"), ==, 0);
  g_assert_nonnull (eva_test_json_string (resp->json, "created_at"));
  g_assert_false (eva_test_json_has (resp->json, "created_by"));

  created_by = eva_test_sql (server->pg, "SELECT created_by FROM events WHERE id = $1", id, NULL);
  g_assert_cmpstr (created_by, ==, staff_id);

  /* The audit trail names who, what, from where, in which request. */
  request_id = eva_test_sql (server->pg,
                             "SELECT request_id FROM audit_log WHERE action = 'event.create'"
                             " AND target_type = 'event' AND target_id = $1 AND actor_id = $2::uuid"
                             " AND details ->> 'title' = 'Summer Party'",
                             id, staff_id, NULL);
  g_assert_cmpstr (request_id, ==, eva_test_header (resp, "X-Request-Id"));
  ip = eva_test_sql (server->pg, "SELECT ip FROM audit_log WHERE action = 'event.create'"
                     " AND target_id = $1", id, NULL);
  g_assert_cmpstr (ip, ==, "127.0.0.1");
}

static void
test_create_full (void)
{
  g_autoptr(EvaTestResponse) resp =
    create_event_full ("Jazz Night",
                       ",\"slug\":\"jazz-night-2031\",\"description\":\"Line one\\nLine two\\n\\ttabbed\","
                       "\"venue\":\"Blue Note\",\"address\":\"Main St 1\\n10115 Berlin\","
                       "\"currency\":\"EUR\",\"hold_minutes\":120,\"cancellation_hours\":8760");

  eva_test_assert_status (resp, 201);
  g_assert_cmpstr (eva_test_json_string (resp->json, "slug"), ==, "jazz-night-2031");
  g_assert_cmpstr (eva_test_json_string (resp->json, "description"), ==, "Line one\nLine two\n\ttabbed");
  g_assert_cmpstr (eva_test_json_string (resp->json, "venue"), ==, "Blue Note");
  g_assert_cmpstr (eva_test_json_string (resp->json, "address"), ==, "Main St 1\n10115 Berlin");
  g_assert_cmpstr (eva_test_json_string (resp->json, "currency"), ==, "EUR");
  g_assert_cmpint (eva_test_json_int (resp->json, "hold_minutes"), ==, 120);
  g_assert_cmpint (eva_test_json_int (resp->json, "cancellation_hours"), ==, 8760);
}

static void
test_create_slug_derived (void)
{
  g_autofree char *title = unique ("Same Title");
  g_autofree char *base = NULL;
  g_autofree char *long_title = g_strnfill (200, 'x');
  g_autoptr(EvaTestResponse) a = create_event_full (title, "");
  g_autoptr(EvaTestResponse) b = create_event_full (title, "");
  g_autoptr(EvaTestResponse) c = create_event_full (title, "");
  g_autoptr(EvaTestResponse) emoji = create_event_full ("🎉🎉🎉", "");
  g_autoptr(EvaTestResponse) accents = create_event_full ("Été à Paris — 2031!", "");
  g_autoptr(EvaTestResponse) like_uuid =
    create_event_full ("123e4567-e89b-12d3-a456-426614174000", "");
  g_autoptr(EvaTestResponse) long_a = create_event_full (long_title, "");
  g_autoptr(EvaTestResponse) long_b = create_event_full (long_title, "");
  const char *slug;

  eva_test_assert_status (a, 201);
  eva_test_assert_status (b, 201);
  eva_test_assert_status (c, 201);
  base = g_strdup (eva_test_json_string (a->json, "slug"));
  g_assert_true (g_str_has_prefix (base, "same-title-"));
  slug = eva_test_json_string (b->json, "slug");
  g_assert_true (g_str_has_prefix (slug, base));
  g_assert_cmpstr (slug + strlen (base), ==, "-2");
  slug = eva_test_json_string (c->json, "slug");
  g_assert_cmpstr (slug + strlen (base), ==, "-3");

  eva_test_assert_status (emoji, 201);
  g_assert_true (g_str_has_prefix (eva_test_json_string (emoji->json, "slug"), "event"));
  eva_test_assert_status (accents, 201);
  g_assert_true (g_str_has_prefix (eva_test_json_string (accents->json, "slug"), "ete-a-paris-2031"));

  /* A slug that reads as an id would shadow ids in public look-ups. */
  eva_test_assert_status (like_uuid, 201);
  g_assert_cmpstr (eva_test_json_string (like_uuid->json, "slug"), ==,
                   "event-123e4567-e89b-12d3-a456-426614174000");

  /* Long slugs are cut to 80 bytes, suffix included. */
  eva_test_assert_status (long_a, 201);
  eva_test_assert_status (long_b, 201);
  g_assert_cmpuint (strlen (eva_test_json_string (long_a->json, "slug")), ==, 80);
  slug = eva_test_json_string (long_b->json, "slug");
  g_assert_cmpuint (strlen (slug), ==, 80);
  g_assert_true (g_str_has_suffix (slug, "-2"));
}

static void
test_create_slug_explicit (void)
{
  g_autofree char *slug = g_strdup_printf ("explicit-%u", g_random_int ());
  g_autofree char *extra = g_strdup_printf (",\"slug\":\"%s\"", slug);
  g_autoptr(EvaTestResponse) first = create_event_full ("Explicit", extra);
  g_autoptr(EvaTestResponse) taken = create_event_full ("Explicit again", extra);
  g_autofree char *long_slug = g_strnfill (81, 'a');
  const char *bad[] = {
    "Upper", "a--b", "-a", "a-", "a b", "a_b", "ä", "", "123e4567-e89b-12d3-a456-426614174000",
    long_slug,
  };

  eva_test_assert_status (first, 201);
  g_assert_cmpstr (eva_test_json_string (first->json, "slug"), ==, slug);
  eva_test_assert_error (taken, 409, "slug_taken");
  g_assert_cmpstr (eva_test_json_string (taken->json, "error.details.slug"), ==, "is already taken");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *quoted = json_str (bad[i]);
      g_autofree char *more = g_strdup_printf (",\"slug\":%s", quoted);
      g_autoptr(EvaTestResponse) resp = create_event_full ("Bad slug", more);

      g_test_message ("slug: %s", bad[i]);
      assert_field_error (resp, "slug");
    }
}

typedef struct
{
  const char *body;     /* members after the required ones, or a whole body */
  const char *field;
} BadCase;

static void
test_create_validation (void)
{
  g_autofree char *title_200 = g_strnfill (200, 't');
  g_autofree char *title_201 = g_strnfill (201, 't');
  g_autofree char *description_max = g_strnfill (20000, 'd');
  g_autofree char *description_over = g_strnfill (20001, 'd');
  g_autofree char *venue_over = g_strnfill (201, 'v');
  g_autofree char *address_over = g_strnfill (501, 'a');
  const char *base_title = "\"title\":\"Valid\"";
  const char *base_tz = "\"timezone\":\"Europe/Berlin\"";
  const char *base_times = "\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"";
  g_autofree char *tmp1 = g_strdup_printf ("{\"title\":\"%s\",%s,%s}", title_201, base_tz, base_times);
  g_autofree char *tmp2 = g_strdup_printf ("{%s,%s,%s,\"description\":\"%s\"}", base_title, base_tz, base_times, description_over);
  g_autofree char *tmp3 = g_strdup_printf ("{%s,%s,%s,\"venue\":\"%s\"}", base_title, base_tz, base_times, venue_over);
  g_autofree char *tmp4 = g_strdup_printf ("{%s,%s,%s,\"address\":\"%s\"}", base_title, base_tz, base_times, address_over);
  const BadCase cases[] = {
    { "{\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "title" },
    { "{\"title\":\"\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "title" },
    { "{\"title\":\"   \",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "title" },
    { "{\"title\":\"two\\nlines\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "title" },
    { "{\"title\":5,\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "title" },
    { "{\"title\":null,\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "title" },
    { "{\"title\":[\"a\"],\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "title" },
    { tmp1, "title" },
    { tmp2, "description" },
    { tmp3, "venue" },
    { tmp4, "address" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\",\"venue\":\"a\\nb\"}", "venue" },
    { "{\"title\":\"V\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "timezone" },
    { "{\"title\":\"V\",\"timezone\":\"Mars/Olympus_Mons\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "timezone" },
    { "{\"title\":\"V\",\"timezone\":\"UTC+5\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "timezone" },
    { "{\"title\":\"V\",\"timezone\":\"../../etc/passwd\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "timezone" },
    { "{\"title\":\"V\",\"timezone\":\"europe/berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "timezone" },
    { "{\"title\":\"V\",\"timezone\":7,\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}", "timezone" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"ends_at\":\"" END "\"}", "starts_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2031-05-01\",\"ends_at\":\"" END "\"}", "starts_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2031-05-01T19:00:00\",\"ends_at\":\"" END "\"}", "starts_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2031-05-01 19:00:00Z\",\"ends_at\":\"" END "\"}", "starts_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2031-02-30T19:00:00Z\",\"ends_at\":\"" END "\"}", "starts_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"0001-01-01T00:00:00Z\",\"ends_at\":\"" END "\"}", "starts_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":1700000000,\"ends_at\":\"" END "\"}", "starts_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\"}", "ends_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" END "\",\"ends_at\":\"" START "\"}", "ends_at" },
    { "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"2031-05-01T17:00:00Z\"}", "ends_at" },
  };
  const struct { const char *member; const char *field; } extras[] = {
    { "\"currency\":\"eur\"", "currency" },
    { "\"currency\":\"ABC\"", "currency" },
    { "\"currency\":\"EURO\"", "currency" },
    { "\"currency\":978", "currency" },
    { "\"hold_minutes\":0", "hold_minutes" },
    { "\"hold_minutes\":121", "hold_minutes" },
    { "\"hold_minutes\":-1", "hold_minutes" },
    { "\"hold_minutes\":1.5", "hold_minutes" },
    { "\"hold_minutes\":\"15\"", "hold_minutes" },
    { "\"hold_minutes\":null", "hold_minutes" },
    { "\"hold_minutes\":9223372036854775807", "hold_minutes" },
    { "\"cancellation_hours\":-1", "cancellation_hours" },
    { "\"cancellation_hours\":8761", "cancellation_hours" },
    { "\"cancellation_hours\":true", "cancellation_hours" },
    { "\"unexpected\":1", "unexpected" },
    { "\"status\":\"published\"", "status" },
    { "\"id\":\"123e4567-e89b-12d3-a456-426614174000\"", "id" },
    { "\"published_at\":\"" START "\"", "published_at" },
    { "\"Title\":\"case matters\"", "Title" },
  };
  g_autofree char *max_extra = g_strdup_printf (",\"description\":\"%s\"", description_max);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) resp =
        eva_test_call (server, "POST", "/api/v1/admin/events", token, "%s", cases[i].body);

      g_test_message ("case %u: %.120s", i, cases[i].body);
      assert_field_error (resp, cases[i].field);
    }

  for (guint i = 0; i < G_N_ELEMENTS (extras); i++)
    {
      g_autofree char *extra = g_strconcat (",", extras[i].member, NULL);
      g_autoptr(EvaTestResponse) resp = create_event_full ("Extras", extra);

      g_test_message ("extra: %s", extras[i].member);
      assert_field_error (resp, extras[i].field);
    }

  /* Several problems are reported together. */
  {
    g_autoptr(EvaTestResponse) resp =
      eva_test_call (server, "POST", "/api/v1/admin/events", token,
                     "{\"title\":\"\",\"timezone\":\"Nowhere\",\"hold_minutes\":0}");

    assert_field_error (resp, "title");
    assert_field_error (resp, "timezone");
    assert_field_error (resp, "starts_at");
    assert_field_error (resp, "ends_at");
    assert_field_error (resp, "hold_minutes");
  }

  /* The limits themselves are fine. */
  {
    g_autoptr(EvaTestResponse) resp = create_event_full (title_200, max_extra);

    eva_test_assert_status (resp, 201);
    g_assert_cmpuint (strlen (eva_test_json_string (resp->json, "description")), ==, 20000);
  }
}

static void
test_create_bad_json (void)
{
  const char *bodies[] = {
    "{",
    "[]",
    "\"title\"",
    "null",
    "{\"title\":\"a\\u0000b\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}",
    "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\",\"hold_minutes\":1e400}",
    "{\"title\":\"V\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"" START "\",\"ends_at\":\"" END "\",\"hold_minutes\":99999999999999999999}",
    "{\"title\":\"V\",\"title\":\"W\",}",
  };
  g_autofree char *count_before = eva_test_sql (server->pg, "SELECT count(*) FROM events", NULL);
  g_autofree char *count_after = NULL;
  g_autoptr(EvaTestResponse) empty =
    eva_test_request (server, "POST", "/api/v1/admin/events", token, "application/json", "", 0);

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(EvaTestResponse) resp =
        eva_test_request (server, "POST", "/api/v1/admin/events", token,
                          "application/json", bodies[i], -1);

      g_test_message ("body: %s", bodies[i]);
      g_assert_cmpuint (resp->status, ==, 400);
      g_assert_nonnull (eva_test_json_string (resp->json, "error.code"));
    }
  eva_test_assert_error (empty, 400, "invalid_json");

  count_after = eva_test_sql (server->pg, "SELECT count(*) FROM events", NULL);
  g_assert_cmpstr (count_before, ==, count_after);
}

static void
test_create_verbatim (void)
{
  const char *title = "'); DROP TABLE events;--";
  const char *venue = "Robert'); DELETE FROM staff; -- \\ % _ \" ü 🎫";
  const char *description = "$1 $$ ; SELECT pg_sleep(10); /* */ -- \\x00 %s %n";
  g_autofree char *extra = NULL;
  g_autofree char *quoted_venue = json_str (venue);
  g_autofree char *quoted_description = json_str (description);
  g_autoptr(EvaTestResponse) created = NULL;
  g_autoptr(EvaTestResponse) read = NULL;
  g_autofree char *staff_count = NULL;
  const char *id;

  extra = g_strdup_printf (",\"venue\":%s,\"description\":%s", quoted_venue, quoted_description);
  created = create_event_full (title, extra);
  eva_test_assert_status (created, 201);
  id = eva_test_json_string (created->json, "id");
  read = get_event (id);
  eva_test_assert_status (read, 200);
  g_assert_cmpstr (eva_test_json_string (read->json, "title"), ==, title);
  g_assert_cmpstr (eva_test_json_string (read->json, "venue"), ==, venue);
  g_assert_cmpstr (eva_test_json_string (read->json, "description"), ==, description);

  staff_count = eva_test_sql (server->pg, "SELECT count(*) > 0 FROM staff", NULL);
  g_assert_cmpstr (staff_count, ==, "t");
}

static void
test_create_unicode (void)
{
  const char *title = "Fête 🎉 Ünïcödé 日本語のイベント";
  g_autoptr(GString) emoji_200 = g_string_new (NULL);
  g_autoptr(GString) emoji_201 = NULL;
  g_autoptr(EvaTestResponse) resp = create_event_full (title, "");
  g_autoptr(EvaTestResponse) max = NULL;
  g_autoptr(EvaTestResponse) over = NULL;
  g_autoptr(EvaTestResponse) bad_utf8 = NULL;
  const char raw[] = "{\"title\":\"bad \xff\xfe\",\"timezone\":\"Europe/Berlin\","
                     "\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}";

  eva_test_assert_status (resp, 201);
  g_assert_cmpstr (eva_test_json_string (resp->json, "title"), ==, title);

  /* Limits count characters, not bytes. */
  for (guint i = 0; i < 200; i++)
    g_string_append (emoji_200, "🎫");
  emoji_201 = g_string_new (emoji_200->str);
  g_string_append (emoji_201, "🎫");
  max = create_event_full (emoji_200->str, "");
  eva_test_assert_status (max, 201);
  g_assert_cmpstr (eva_test_json_string (max->json, "title"), ==, emoji_200->str);
  over = create_event_full (emoji_201->str, "");
  assert_field_error (over, "title");

  bad_utf8 = eva_test_request (server, "POST", "/api/v1/admin/events", token,
                               "application/json", raw, sizeof raw - 1);
  g_assert_cmpuint (bad_utf8->status, ==, 400);
}

static void
test_create_roles (void)
{
  g_autofree char *door = eva_test_token_for_role (server, "door_staff");
  g_autofree char *super = eva_test_token_for_role (server, "super_admin");
  g_autoptr(EvaTestResponse) anonymous =
    eva_test_call (server, "POST", "/api/v1/admin/events", NULL, "{}");
  g_autoptr(EvaTestResponse) door_create =
    eva_test_call (server, "POST", "/api/v1/admin/events", door, "{}");
  g_autoptr(EvaTestResponse) door_list =
    eva_test_call (server, "GET", "/api/v1/admin/events", door, NULL);
  g_autoptr(EvaTestResponse) bad_token =
    eva_test_call (server, "GET", "/api/v1/admin/events", "not-a-token", NULL);
  g_autoptr(EvaTestResponse) super_create =
    eva_test_call (server, "POST", "/api/v1/admin/events", super,
                   "{\"title\":\"By the boss\",\"timezone\":\"UTC\","
                   "\"starts_at\":\"" START "\",\"ends_at\":\"" END "\"}");
  g_autofree char *path = NULL;
  g_autoptr(EvaTestResponse) door_publish = NULL;

  eva_test_assert_error (anonymous, 401, "unauthorized");
  eva_test_assert_error (door_create, 403, "forbidden");
  eva_test_assert_error (door_list, 403, "forbidden");
  eva_test_assert_error (bad_token, 401, "invalid_token");
  eva_test_assert_status (super_create, 201);

  path = g_strdup_printf ("/api/v1/admin/events/%s/publish",
                          eva_test_json_string (super_create->json, "id"));
  door_publish = eva_test_call (server, "POST", path, door, NULL);
  eva_test_assert_error (door_publish, 403, "forbidden");
}

/* ------------------------------------------------------------------ */
/* Read                                                               */
/* ------------------------------------------------------------------ */

static void
test_get (void)
{
  g_autofree char *id = create_event ("With types", ",\"currency\":\"EUR\"");
  g_autofree char *b = add_ticket_type (id, "{\"name\":\"B\",\"price\":100,\"capacity\":5,\"sort_order\":1}");
  g_autofree char *a = add_ticket_type (id, "{\"name\":\"A\",\"price\":100,\"capacity\":5,\"sort_order\":1}");
  g_autofree char *hidden = add_ticket_type (id, "{\"name\":\"Z hidden\",\"price\":0,\"capacity\":5,"
                                                 "\"hidden\":true,\"sort_order\":0}");
  g_autoptr(EvaTestResponse) resp = get_event (id);
  g_autoptr(EvaTestResponse) unknown = get_event ("00000000-0000-4000-8000-000000000000");
  g_autoptr(EvaTestResponse) malformed = get_event ("not-a-uuid");
  g_autoptr(EvaTestResponse) injection =
    eva_test_call (server, "GET", "/api/v1/admin/events/1%27%20OR%20%271%27=%271", token, NULL);
  JsonNode *types;

  eva_test_assert_status (resp, 200);
  g_assert_cmpstr (eva_test_json_string (resp->json, "id"), ==, id);
  g_assert_cmpstr (eva_test_json_string (resp->json, "currency"), ==, "EUR");
  types = eva_test_json_get (resp->json, "ticket_types");
  g_assert_nonnull (types);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (types)), ==, 3);
  /* sort_order, then name; hidden ones too. */
  g_assert_cmpstr (eva_test_json_string (resp->json, "ticket_types.0.id"), ==, hidden);
  g_assert_cmpstr (eva_test_json_string (resp->json, "ticket_types.1.id"), ==, a);
  g_assert_cmpstr (eva_test_json_string (resp->json, "ticket_types.2.id"), ==, b);
  g_assert_true (eva_test_json_bool (resp->json, "ticket_types.0.hidden"));
  g_assert_cmpint (eva_test_json_int (resp->json, "ticket_types.1.held"), ==, 0);

  eva_test_assert_error (unknown, 404, "not_found");
  eva_test_assert_error (malformed, 404, "not_found");
  eva_test_assert_error (injection, 404, "not_found");
}

/* ------------------------------------------------------------------ */
/* Update                                                             */
/* ------------------------------------------------------------------ */

static void
test_update (void)
{
  g_autofree char *id = create_event ("Before", ",\"venue\":\"Old Hall\",\"currency\":\"EUR\"");
  g_autoptr(EvaTestResponse) title = patch_event (id, "{\"title\":\"After\"}");
  g_autoptr(EvaTestResponse) many =
    patch_event (id, "{\"venue\":\"\",\"description\":\"New\\ntext\",\"hold_minutes\":5,"
                     "\"cancellation_hours\":24,\"timezone\":\"America/New_York\","
                     "\"starts_at\":\"2031-06-01T10:00:00Z\",\"ends_at\":\"2031-06-01T12:00:00Z\"}");
  g_autoptr(EvaTestResponse) nothing = patch_event (id, "{}");
  g_autoptr(EvaTestResponse) currency_null = patch_event (id, "{\"currency\":null}");
  g_autoptr(EvaTestResponse) currency_usd = patch_event (id, "{\"currency\":\"USD\"}");
  g_autofree char *changes = NULL;

  eva_test_assert_status (title, 200);
  g_assert_cmpstr (eva_test_json_string (title->json, "title"), ==, "After");
  g_assert_cmpstr (eva_test_json_string (title->json, "venue"), ==, "Old Hall");
  g_assert_true (g_str_has_prefix (eva_test_json_string (title->json, "slug"), "before"));

  eva_test_assert_status (many, 200);
  g_assert_cmpstr (eva_test_json_string (many->json, "title"), ==, "After");
  g_assert_cmpstr (eva_test_json_string (many->json, "venue"), ==, "");
  g_assert_cmpstr (eva_test_json_string (many->json, "description"), ==, "New\ntext");
  g_assert_cmpint (eva_test_json_int (many->json, "hold_minutes"), ==, 5);
  g_assert_cmpint (eva_test_json_int (many->json, "cancellation_hours"), ==, 24);
  g_assert_cmpstr (eva_test_json_string (many->json, "timezone"), ==, "America/New_York");
  g_assert_cmpstr (eva_test_json_string (many->json, "starts_at"), ==, "2031-06-01T10:00:00+00:00");

  eva_test_assert_status (nothing, 200);
  g_assert_cmpstr (eva_test_json_string (nothing->json, "title"), ==, "After");

  eva_test_assert_status (currency_null, 200);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (currency_null->json, "currency")));
  eva_test_assert_status (currency_usd, 200);
  g_assert_cmpstr (eva_test_json_string (currency_usd->json, "currency"), ==, "USD");

  /* The audit trail keeps what changed, from and to. */
  changes = eva_test_sql (server->pg,
                          "SELECT details -> 'changes' -> 'title' ->> 'from' || '→' ||"
                          "       (details -> 'changes' -> 'title' ->> 'to')"
                          "  FROM audit_log WHERE action = 'event.update' AND target_id = $1"
                          "   AND details -> 'changes' ? 'title'", id, NULL);
  g_assert_cmpstr (changes, ==, "Before→After");
  g_free (changes);
  changes = eva_test_sql (server->pg,
                          "SELECT count(*) FROM audit_log WHERE action = 'event.update'"
                          " AND target_id = $1 AND details -> 'changes' ? 'updated_at'", id, NULL);
  g_assert_cmpstr (changes, ==, "0");
}

static void
test_update_validation (void)
{
  g_autofree char *id = create_event ("Patch me", "");
  g_autofree char *other_slug = g_strdup_printf ("taken-%u", g_random_int ());
  g_autofree char *other_extra = g_strdup_printf (",\"slug\":\"%s\"", other_slug);
  g_autofree char *other = create_event ("Other", other_extra);
  g_autofree char *slug_body = g_strdup_printf ("{\"slug\":\"%s\"}", other_slug);
  g_autoptr(EvaTestResponse) taken = patch_event (id, slug_body);
  g_autoptr(EvaTestResponse) own = NULL;
  g_autoptr(EvaTestResponse) unknown = patch_event ("00000000-0000-4000-8000-000000000000",
                                                    "{\"title\":\"x\"}");
  g_autoptr(EvaTestResponse) after = NULL;
  const BadCase cases[] = {
    { "{\"title\":null}", "title" },
    { "{\"title\":\"\"}", "title" },
    { "{\"slug\":null}", "slug" },
    { "{\"slug\":\"Not OK\"}", "slug" },
    { "{\"timezone\":null}", "timezone" },
    { "{\"timezone\":\"Atlantis/Capital\"}", "timezone" },
    { "{\"starts_at\":null}", "starts_at" },
    /* Checked against the stored values too. */
    { "{\"ends_at\":\"2031-05-01T16:00:00Z\"}", "ends_at" },
    { "{\"starts_at\":\"2031-05-02T00:00:00Z\"}", "ends_at" },
    { "{\"starts_at\":\"2031-05-02T00:00:00Z\",\"ends_at\":\"2031-05-01T00:00:00Z\"}", "ends_at" },
    { "{\"currency\":\"xyz\"}", "currency" },
    { "{\"hold_minutes\":null}", "hold_minutes" },
    { "{\"hold_minutes\":1000}", "hold_minutes" },
    { "{\"description\":123}", "description" },
    { "{\"status\":\"published\"}", "status" },
    { "{\"created_at\":\"" START "\"}", "created_at" },
    { "{\"ticket_types\":[]}", "ticket_types" },
    { "{\"created_by\":null}", "created_by" },
  };

  eva_test_assert_error (taken, 409, "slug_taken");
  g_assert_cmpstr (eva_test_json_string (taken->json, "error.details.slug"), ==, "is already taken");
  eva_test_assert_error (unknown, 404, "not_found");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) resp = patch_event (id, cases[i].body);

      g_test_message ("patch: %s", cases[i].body);
      assert_field_error (resp, cases[i].field);
    }

  {
    g_autoptr(EvaTestResponse) array = patch_event (id, "[]");
    g_autoptr(EvaTestResponse) huge = patch_event (id, "{\"hold_minutes\":1e400}");
    g_autoptr(EvaTestResponse) nul = patch_event (id, "{\"title\":\"\\u0000\"}");

    g_assert_cmpuint (array->status, ==, 400);
    eva_test_assert_error (huge, 400, "invalid_json");
    eva_test_assert_error (nul, 400, "invalid_json");
  }

  /* Nothing of the above got through; a good change still does. */
  own = patch_event (id, "{\"slug\":\"patched-slug-ok\",\"ends_at\":\"2031-05-02T00:00:00+02:00\"}");
  eva_test_assert_status (own, 200);
  g_assert_cmpstr (eva_test_json_string (own->json, "slug"), ==, "patched-slug-ok");
  after = get_event (id);
  g_assert_cmpstr (eva_test_json_string (after->json, "title"), ==, "Patch me");
  g_assert_cmpstr (eva_test_json_string (after->json, "ends_at"), ==, "2031-05-01T22:00:00+00:00");
  (void) other;
}

static void
test_update_currency_rules (void)
{
  g_autofree char *id = create_event ("Currency rules", ",\"currency\":\"EUR\"");
  g_autofree char *type = add_ticket_type (id, "{\"name\":\"Paid\",\"price\":500,\"capacity\":10}");
  g_autoptr(EvaTestResponse) drop = patch_event (id, "{\"currency\":null}");
  g_autoptr(EvaTestResponse) change = patch_event (id, "{\"currency\":\"GBP\"}");
  g_autofree char *booking = NULL;
  g_autoptr(EvaTestResponse) locked = NULL;
  g_autoptr(EvaTestResponse) same = NULL;
  g_autoptr(EvaTestResponse) other_fields = NULL;

  eva_test_assert_error (drop, 422, "currency_required");
  g_assert_true (eva_test_json_has (drop->json, "error.details.currency"));
  eva_test_assert_status (change, 200);
  g_assert_cmpstr (eva_test_json_string (change->json, "currency"), ==, "GBP");

  booking = add_booking (id);
  g_assert_nonnull (booking);
  locked = patch_event (id, "{\"currency\":\"EUR\"}");
  eva_test_assert_error (locked, 409, "currency_locked");
  g_assert_true (eva_test_json_has (locked->json, "error.details.currency"));
  same = patch_event (id, "{\"currency\":\"GBP\",\"title\":\"Still fine\"}");
  eva_test_assert_status (same, 200);
  other_fields = patch_event (id, "{\"currency\":null}");
  eva_test_assert_error (other_fields, 409, "currency_locked");
  (void) type;
}

static char *
event_in_published (void)
{
  char *id = create_event ("Live event", ",\"currency\":\"EUR\"");
  g_autofree char *type = add_ticket_type (id, "{\"name\":\"T\",\"price\":1,\"capacity\":1}");
  g_autoptr(EvaTestResponse) resp = event_action (id, "publish");

  eva_test_assert_status (resp, 200);
  return id;
}

static void
test_update_locked (void)
{
  g_autofree char *cancelled = create_event ("To cancel", "");
  g_autofree char *archived = create_event ("To archive", "");
  g_autoptr(EvaTestResponse) c1 = event_action (cancelled, "cancel");
  g_autoptr(EvaTestResponse) a1 = event_action (archived, "cancel");
  g_autoptr(EvaTestResponse) a2 = event_action (archived, "archive");
  g_autoptr(EvaTestResponse) patch_c = patch_event (cancelled, "{\"title\":\"Nope\"}");
  g_autoptr(EvaTestResponse) patch_a = patch_event (archived, "{\"title\":\"Nope\"}");
  g_autoptr(EvaTestResponse) still = get_event (cancelled);
  g_autofree char *published = event_in_published ();
  g_autoptr(EvaTestResponse) patch_p = patch_event (published, "{\"title\":\"Renamed live\"}");

  eva_test_assert_status (c1, 200);
  eva_test_assert_status (a2, 200);
  eva_test_assert_error (patch_c, 409, "event_locked");
  g_assert_cmpstr (eva_test_json_string (patch_c->json, "error.details.status"), ==, "cancelled");
  eva_test_assert_error (patch_a, 409, "event_locked");
  g_assert_cmpstr (eva_test_json_string (patch_a->json, "error.details.status"), ==, "archived");
  g_assert_cmpstr (eva_test_json_string (still->json, "title"), ==, "To cancel");
  /* Published events stay editable. */
  eva_test_assert_status (patch_p, 200);
  g_assert_cmpstr (eva_test_json_string (patch_p->json, "title"), ==, "Renamed live");
  g_assert_cmpstr (eva_test_json_string (patch_p->json, "status"), ==, "published");
  (void) a1;
}

/* ------------------------------------------------------------------ */
/* Delete                                                             */
/* ------------------------------------------------------------------ */

static void
test_delete (void)
{
  g_autofree char *draft = create_event ("Delete me", "");
  g_autofree char *type = add_ticket_type (draft, "{\"name\":\"Free\",\"price\":0,\"capacity\":3}");
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", draft);
  g_autoptr(EvaTestResponse) deleted = eva_test_call (server, "DELETE", path, token, NULL);
  g_autoptr(EvaTestResponse) gone = get_event (draft);
  g_autoptr(EvaTestResponse) again = eva_test_call (server, "DELETE", path, token, NULL);
  g_autofree char *types_left = eva_test_sql (server->pg,
                                              "SELECT count(*) FROM ticket_types WHERE id = $1",
                                              type, NULL);
  g_autofree char *audit = audit_count ("event.delete", draft);

  eva_test_assert_status (deleted, 204);
  g_assert_cmpuint (deleted->length, ==, 0);
  eva_test_assert_error (gone, 404, "not_found");
  eva_test_assert_error (again, 404, "not_found");
  g_assert_cmpstr (types_left, ==, "0");
  g_assert_cmpstr (audit, ==, "1");
}

static void
test_delete_refused (void)
{
  g_autofree char *published = create_event ("Published, keep", "");
  g_autofree char *type = add_ticket_type (published, "{\"name\":\"Free\",\"price\":0,\"capacity\":3}");
  g_autoptr(EvaTestResponse) publish = event_action (published, "publish");
  g_autofree char *booked = create_event ("Draft with a booking", "");
  g_autofree char *booking = add_booking (booked);
  g_autofree char *path_p = g_strdup_printf ("/api/v1/admin/events/%s", published);
  g_autofree char *path_b = g_strdup_printf ("/api/v1/admin/events/%s", booked);
  g_autoptr(EvaTestResponse) del_p = NULL;
  g_autoptr(EvaTestResponse) del_b = NULL;
  g_autoptr(EvaTestResponse) del_unknown = NULL;
  g_autoptr(EvaTestResponse) del_malformed = NULL;

  eva_test_assert_status (publish, 200);
  del_p = eva_test_call (server, "DELETE", path_p, token, NULL);
  eva_test_assert_error (del_p, 409, "event_not_deletable");
  g_assert_cmpstr (eva_test_json_string (del_p->json, "error.details.status"), ==, "published");

  del_b = eva_test_call (server, "DELETE", path_b, token, NULL);
  eva_test_assert_error (del_b, 409, "event_not_deletable");
  g_assert_cmpstr (eva_test_json_string (del_b->json, "error.details.status"), ==, "draft");

  del_unknown = eva_test_call (server, "DELETE",
                               "/api/v1/admin/events/00000000-0000-4000-8000-000000000000",
                               token, NULL);
  eva_test_assert_error (del_unknown, 404, "not_found");
  del_malformed = eva_test_call (server, "DELETE", "/api/v1/admin/events/xyz", token, NULL);
  eva_test_assert_error (del_malformed, 404, "not_found");
  (void) type;
  (void) booking;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */
/* ------------------------------------------------------------------ */

/* An event in @status, reached through the API. */
static char *
event_in (const char *status)
{
  g_autofree char *title = unique (status);
  char *id = create_event (title, ",\"currency\":\"EUR\"");
  g_autofree char *type = add_ticket_type (id, "{\"name\":\"T\",\"price\":1000,\"capacity\":10}");

  if (g_str_equal (status, "published") || g_str_equal (status, "archived"))
    {
      g_autoptr(EvaTestResponse) resp = event_action (id, "publish");

      eva_test_assert_status (resp, 200);
    }
  if (g_str_equal (status, "cancelled"))
    {
      g_autoptr(EvaTestResponse) resp = event_action (id, "cancel");

      eva_test_assert_status (resp, 200);
    }
  if (g_str_equal (status, "archived"))
    {
      g_autoptr(EvaTestResponse) resp = event_action (id, "archive");

      eva_test_assert_status (resp, 200);
    }
  return id;
}

static void
test_transitions (void)
{
  const struct {
    const char *from;
    const char *action;
    const char *to;       /* NULL: refused */
  } matrix[] = {
    { "draft",     "publish", "published" },
    { "draft",     "cancel",  "cancelled" },
    { "draft",     "archive", NULL },
    { "published", "publish", NULL },
    { "published", "cancel",  "cancelled" },
    { "published", "archive", "archived" },
    { "cancelled", "publish", NULL },
    { "cancelled", "cancel",  NULL },
    { "cancelled", "archive", "archived" },
    { "archived",  "publish", NULL },
    { "archived",  "cancel",  NULL },
    { "archived",  "archive", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++)
    {
      g_autofree char *id = event_in (matrix[i].from);
      g_autoptr(EvaTestResponse) resp = event_action (id, matrix[i].action);
      g_autofree char *stored = eva_test_sql (server->pg, "SELECT status FROM events WHERE id = $1",
                                              id, NULL);
      g_autofree char *action = g_strconcat ("event.", matrix[i].action, NULL);

      g_test_message ("%s --%s-->", matrix[i].from, matrix[i].action);
      if (matrix[i].to != NULL)
        {
          g_autofree char *from = NULL;

          eva_test_assert_status (resp, 200);
          g_assert_cmpstr (eva_test_json_string (resp->json, "status"), ==, matrix[i].to);
          g_assert_cmpstr (stored, ==, matrix[i].to);
          g_assert_cmpstr (eva_test_json_string (resp->json, "id"), ==, id);
          /* Audit row of this very step (the setup made its own). */
          from = eva_test_sql (server->pg,
                               "SELECT details ->> 'from' FROM audit_log WHERE action = $1"
                               " AND target_id = $2 AND details ->> 'to' = $3"
                               " ORDER BY id DESC LIMIT 1", action, id, matrix[i].to, NULL);
          g_assert_cmpstr (from, ==, matrix[i].from);
        }
      else
        {
          eva_test_assert_error (resp, 409, "invalid_transition");
          g_assert_cmpstr (eva_test_json_string (resp->json, "error.details.status"), ==,
                           matrix[i].from);
          g_assert_cmpstr (stored, ==, matrix[i].from);
        }
    }
}

static void
test_publish (void)
{
  g_autofree char *id = create_event ("Publish me", ",\"currency\":\"EUR\"");
  g_autoptr(EvaTestResponse) empty = event_action (id, "publish");
  g_autofree char *type = NULL;
  g_autoptr(EvaTestResponse) no_currency = NULL;
  g_autoptr(EvaTestResponse) ok = NULL;
  g_autoptr(EvaTestResponse) unknown =
    event_action ("00000000-0000-4000-8000-000000000000", "publish");
  g_autoptr(EvaTestResponse) malformed = event_action ("nope", "publish");
  g_autofree char *free_id = create_event ("Free event", "");
  g_autofree char *free_type = add_ticket_type (free_id, "{\"name\":\"Free\",\"price\":0,\"capacity\":1}");
  g_autoptr(EvaTestResponse) free_ok = event_action (free_id, "publish");
  g_autofree char *audit = NULL;

  eva_test_assert_error (empty, 409, "event_incomplete");
  g_assert_true (eva_test_json_has (empty->json, "error.details.ticket_types"));
  g_assert_false (eva_test_json_has (empty->json, "error.details.currency"));

  /* A priced type with no currency can only come from outside the API. */
  type = add_ticket_type (id, "{\"name\":\"Paid\",\"price\":2500,\"capacity\":10}");
  g_free (eva_test_sql (server->pg, "UPDATE events SET currency = NULL WHERE id = $1", id, NULL));
  no_currency = event_action (id, "publish");
  eva_test_assert_error (no_currency, 409, "event_incomplete");
  g_assert_true (eva_test_json_has (no_currency->json, "error.details.currency"));
  g_assert_false (eva_test_json_has (no_currency->json, "error.details.ticket_types"));

  g_free (eva_test_sql (server->pg, "UPDATE events SET currency = 'EUR' WHERE id = $1", id, NULL));
  ok = event_action (id, "publish");
  eva_test_assert_status (ok, 200);
  g_assert_cmpstr (eva_test_json_string (ok->json, "status"), ==, "published");
  g_assert_nonnull (eva_test_json_string (ok->json, "published_at"));
  audit = audit_count ("event.publish", id);
  g_assert_cmpstr (audit, ==, "1");

  eva_test_assert_error (unknown, 404, "not_found");
  eva_test_assert_error (malformed, 404, "not_found");

  /* Free tickets need no currency. */
  eva_test_assert_status (free_ok, 200);
  (void) free_type;
}

typedef struct
{
  guint ok;
  guint refused;
  guint done;
} Race;

static void
race_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Race *race = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  race->ok += soup_message_get_status (msg) == 200;
  race->refused += soup_message_get_status (msg) == 409;
  race->done++;
}

static void
test_transitions_race (void)
{
  g_autofree char *id = event_in ("draft");
  g_autofree char *url = g_strdup_printf ("%s/api/v1/admin/events/%s/publish", server->base_url, id);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autofree char *audit = NULL;
  Race race = { 0 };

  /* Eight publishes at once: exactly one wins. */
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_session_send_and_read_async (server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                        race_done_cb, &race);
    }
  while (race.done < 8)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (race.ok, ==, 1);
  g_assert_cmpuint (race.refused, ==, 7);
  audit = audit_count ("event.publish", id);
  g_assert_cmpstr (audit, ==, "1");
}

/* ------------------------------------------------------------------ */
/* List                                                               */
/* ------------------------------------------------------------------ */

/* The ids of one page; asserts 200. */
static EvaTestResponse *
list (const char *query)
{
  g_autofree char *path = g_strconcat ("/api/v1/admin/events", query, NULL);
  EvaTestResponse *resp = eva_test_call (server, "GET", path, token, NULL);

  eva_test_assert_status (resp, 200);
  return resp;
}

static guint
n_items (EvaTestResponse *resp)
{
  return json_array_get_length (json_node_get_array (eva_test_json_get (resp->json, "items")));
}

static void
test_list_pagination (void)
{
  g_autofree char *marker = g_strdup_printf ("pagemarker%u", g_random_int ());
  g_autoptr(GHashTable) created = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  guint pages = 0;

  for (guint i = 0; i < 23; i++)
    {
      g_autofree char *title = g_strdup_printf ("%s %02u", marker, i);
      /* Several share a start time: the order must still be total. */
      g_autofree char *extra = g_strdup_printf (",\"starts_at\":\"2032-01-%02uT10:00:00Z\","
                                                "\"ends_at\":\"2032-02-01T10:00:00Z\"",
                                                1 + i % 5);

      g_hash_table_add (created, create_event (title, extra));
    }

  do
    {
      g_autofree char *query = NULL;
      g_autoptr(EvaTestResponse) page = NULL;
      JsonNode *next;

      query = cursor == NULL ? g_strdup_printf ("?q=%s&limit=5", marker)
                             : g_strdup_printf ("?q=%s&limit=5&cursor=%s", marker, cursor);
      page = list (query);
      g_assert_cmpint (eva_test_json_int (page->json, "total"), ==, 23);
      g_assert_cmpuint (n_items (page), <=, 5);
      for (guint i = 0; i < n_items (page); i++)
        {
          g_autofree char *key = g_strdup_printf ("items.%u.id", i);
          const char *id = eva_test_json_string (page->json, key);

          g_assert_true (g_hash_table_contains (created, id));
          g_assert_true (g_hash_table_add (seen, g_strdup (id)));
        }
      next = eva_test_json_get (page->json, "next_cursor");
      g_assert_nonnull (next);
      g_clear_pointer (&cursor, g_free);
      if (!JSON_NODE_HOLDS_NULL (next))
        {
          g_assert_cmpuint (n_items (page), ==, 5);
          cursor = g_uri_escape_string (json_node_get_string (next), NULL, FALSE);
        }
      pages++;
    }
  while (cursor != NULL && pages < 10);

  g_assert_cmpuint (pages, ==, 5);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 23);

  /* Past the end: an empty page, no next cursor. */
  {
    g_autofree char *query = g_strdup_printf ("?q=%s&cursor=MTAwMA", marker);   /* "1000" */
    g_autoptr(EvaTestResponse) past = list (query);

    g_assert_cmpuint (n_items (past), ==, 0);
    g_assert_cmpint (eva_test_json_int (past->json, "total"), ==, 23);
    g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (past->json, "next_cursor")));
  }

  /* The default page is 20. */
  {
    g_autofree char *query = g_strdup_printf ("?q=%s", marker);
    g_autoptr(EvaTestResponse) first = list (query);

    g_assert_cmpuint (n_items (first), ==, 20);
    g_assert_nonnull (eva_test_json_string (first->json, "next_cursor"));
  }
}

static void
test_list_filters (void)
{
  g_autofree char *m = g_strdup_printf ("fm%u", g_random_int ());
  g_autofree char *t_draft = g_strdup_printf ("%s draft", m);
  g_autofree char *t_pub = g_strdup_printf ("%s published", m);
  g_autofree char *t_can = g_strdup_printf ("%s cancelled", m);
  g_autofree char *t_pct = g_strdup_printf ("%s 100%% fun", m);
  g_autofree char *t_plain = g_strdup_printf ("%s 1000 fun", m);
  g_autofree char *t_under = g_strdup_printf ("%s a_b", m);
  g_autofree char *t_axb = g_strdup_printf ("%s axb", m);
  g_autofree char *t_back = g_strdup_printf ("%s c\\d", m);
  g_autofree char *draft = create_event (t_draft, ",\"starts_at\":\"2033-01-01T10:00:00Z\",\"ends_at\":\"2033-01-01T12:00:00Z\"");
  g_autofree char *pub = create_event (t_pub, ",\"starts_at\":\"2033-02-01T10:00:00Z\",\"ends_at\":\"2033-02-01T12:00:00Z\"");
  g_autofree char *can = create_event (t_can, ",\"starts_at\":\"2033-03-01T10:00:00Z\",\"ends_at\":\"2033-03-01T12:00:00Z\"");
  g_autofree char *pct = create_event (t_pct, "");
  g_autofree char *plain = create_event (t_plain, "");
  g_autofree char *under = create_event (t_under, "");
  g_autofree char *axb = create_event (t_axb, "");
  g_autofree char *back = create_event (t_back, "");
  g_autofree char *venue_extra = g_strdup_printf (",\"venue\":\"The %s Arena\"", m);
  g_autofree char *by_venue = create_event ("Venue only", venue_extra);
  g_autofree char *type = add_ticket_type (pub, "{\"name\":\"Free\",\"price\":0,\"capacity\":1}");
  g_autoptr(EvaTestResponse) r1 = event_action (pub, "publish");
  g_autoptr(EvaTestResponse) r2 = event_action (can, "cancel");
  struct {
    const char *query;
    guint       total;
    const char *first;
  } cases[] = {
    { "?q={m}", 9, NULL },
    { "?q={m}&status=draft", 7, NULL },
    { "?q={m}&status=published", 1, pub },
    { "?q={m}&status=published,cancelled", 2, pub },
    { "?q={m}&status=published&status=cancelled", 2, pub },
    { "?q={m}&status=archived", 0, NULL },
    { "?q={m}&from=2033-02-01T10:00:00Z", 2, pub },
    { "?q={m}&from=2033-01-15T00:00:00%2B01:00&to=2033-02-15T00:00:00Z", 1, pub },
    { "?q={m}&to=2033-02-01T10:00:00Z&from=2033-01-01T00:00:00Z", 1, draft },
    { "?q={m}+100%25", 1, pct },
    { "?q={m}+a_b", 1, under },
    { "?q={m}+a%25b", 0, NULL },
    { "?q={m}+axb", 1, axb },
    { "?q={m}+c%5Cd", 1, back },
    { "?q={m}+1000", 1, plain },
    { "?q={m}+DRAFT", 1, draft },
    { "?q=+{m}+arena+", 1, by_venue },
  };

  eva_test_assert_status (r1, 200);
  eva_test_assert_status (r2, 200);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) parts = g_strsplit (cases[i].query, "{m}", -1);
      g_autofree char *query = g_strjoinv (m, parts);
      g_autoptr(EvaTestResponse) resp = list (query);

      g_test_message ("query: %s", query);
      g_assert_cmpint (eva_test_json_int (resp->json, "total"), ==, cases[i].total);
      g_assert_cmpuint (n_items (resp), ==, cases[i].total);
      if (cases[i].first != NULL)
        g_assert_cmpstr (eva_test_json_string (resp->json, "items.0.id"), ==, cases[i].first);
    }
  (void) type;
}

static void
test_list_sort (void)
{
  g_autofree char *m = g_strdup_printf ("sm%u", g_random_int ());
  g_autofree char *t_a = g_strdup_printf ("%s alpha", m);
  g_autofree char *t_b = g_strdup_printf ("%s bravo", m);
  g_autofree char *t_c = g_strdup_printf ("%s charlie", m);
  /* Created in the order b, c, a; starting in the order c, a, b. */
  g_autofree char *b = create_event (t_b, ",\"starts_at\":\"2034-03-01T10:00:00Z\",\"ends_at\":\"2034-03-02T10:00:00Z\"");
  g_autofree char *c = create_event (t_c, ",\"starts_at\":\"2034-01-01T10:00:00Z\",\"ends_at\":\"2034-03-02T10:00:00Z\"");
  g_autofree char *a = create_event (t_a, ",\"starts_at\":\"2034-02-01T10:00:00Z\",\"ends_at\":\"2034-03-02T10:00:00Z\"");
  const struct {
    const char *sort;
    const char *order[3];
  } cases[] = {
    { "",                    { c, a, b } },
    { "&sort=starts_at",     { c, a, b } },
    { "&sort=-starts_at",    { b, a, c } },
    { "&sort=title",         { a, b, c } },
    { "&sort=-title",        { c, b, a } },
    { "&sort=created_at",    { b, c, a } },
    { "&sort=-created_at",   { a, c, b } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *query = g_strdup_printf ("?q=%s%s", m, cases[i].sort);
      g_autoptr(EvaTestResponse) resp = list (query);

      g_test_message ("query: %s", query);
      g_assert_cmpuint (n_items (resp), ==, 3);
      for (guint j = 0; j < 3; j++)
        {
          g_autofree char *key = g_strdup_printf ("items.%u.id", j);

          g_assert_cmpstr (eva_test_json_string (resp->json, key), ==, cases[i].order[j]);
        }
    }
}

static void
test_list_bad_params (void)
{
  g_autofree char *long_q = g_strnfill (201, 'q');
  g_autofree char *long_query = g_strdup_printf ("?q=%s", long_q);
  const struct {
    const char *query;
    const char *field;
  } cases[] = {
    { "?status=bogus", "status" },
    { "?status=draft,", "status" },
    { "?status=DRAFT", "status" },
    { "?status=draft&status=nope", "status" },
    { "?sort=price", "sort" },
    { "?sort=starts_at;DROP", "sort" },
    { "?limit=0", "limit" },
    { "?limit=101", "limit" },
    { "?limit=-1", "limit" },
    { "?limit=abc", "limit" },
    { "?limit=1.5", "limit" },
    { "?limit=99999999999999999999", "limit" },
    { "?cursor=!!!", "cursor" },
    { "?cursor=YWJj", "cursor" },                 /* "abc" */
    { "?cursor=LTE", "cursor" },                  /* "-1" */
    { "?cursor=OTk5OTk5OTk5OTk5OTk5OTk5", "cursor" },
    { "?from=yesterday", "from" },
    { "?from=2031-01-01", "from" },
    { "?to=2031-13-01T00:00:00Z", "to" },
    { "?from=2031-02-01T00:00:00Z&to=2031-01-01T00:00:00Z", "to" },
    { "?from=2031-02-01T00:00:00Z&to=2031-02-01T00:00:00Z", "to" },
    { long_query, "q" },
    { "?q=a%0Ab", "q" },
    { "?q=a%00b", "query" },
    { "?q=%FF", "query" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/admin/events", cases[i].query, NULL);
      g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", path, token, NULL);

      g_test_message ("query: %.60s", cases[i].query);
      assert_field_error (resp, cases[i].field);
    }

  /* Names it does not know are ignored; an empty cursor is the first page. */
  {
    g_autoptr(EvaTestResponse) resp = list ("?unknown=1&cursor=&limit=1");

    g_assert_cmpuint (n_items (resp), ==, 1);
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = eva_test_server_start (NULL);
  staff_id = eva_test_create_staff (server, "organizer@events.test", "organizer",
                                    "correct horse battery");
  token = eva_test_login (server, "organizer@events.test", "correct horse battery");

  g_test_add_func ("/events/create/minimal", test_create_minimal);
  g_test_add_func ("/events/create/full", test_create_full);
  g_test_add_func ("/events/create/slug-derived", test_create_slug_derived);
  g_test_add_func ("/events/create/slug-explicit", test_create_slug_explicit);
  g_test_add_func ("/events/create/validation", test_create_validation);
  g_test_add_func ("/events/create/bad-json", test_create_bad_json);
  g_test_add_func ("/events/create/verbatim", test_create_verbatim);
  g_test_add_func ("/events/create/unicode", test_create_unicode);
  g_test_add_func ("/events/create/roles", test_create_roles);
  g_test_add_func ("/events/get", test_get);
  g_test_add_func ("/events/update/fields", test_update);
  g_test_add_func ("/events/update/validation", test_update_validation);
  g_test_add_func ("/events/update/currency-rules", test_update_currency_rules);
  g_test_add_func ("/events/update/locked", test_update_locked);
  g_test_add_func ("/events/delete/draft", test_delete);
  g_test_add_func ("/events/delete/refused", test_delete_refused);
  g_test_add_func ("/events/transitions/matrix", test_transitions);
  g_test_add_func ("/events/transitions/publish", test_publish);
  g_test_add_func ("/events/transitions/race", test_transitions_race);
  g_test_add_func ("/events/list/pagination", test_list_pagination);
  g_test_add_func ("/events/list/filters", test_list_filters);
  g_test_add_func ("/events/list/sort", test_list_sort);
  g_test_add_func ("/events/list/bad-params", test_list_bad_params);

  ret = g_test_run ();
  g_free (token);
  g_free (staff_id);
  eva_test_server_free (server);
  return ret;
}
