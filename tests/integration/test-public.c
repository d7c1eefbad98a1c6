/* test-public.c: /api/v1/public/events — what anyone can read
 *
 * Replies may come from a one-second per-process cache keyed by the URL,
 * so reads that must see a change add a throwaway query parameter.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-test.h"

static EvaTestServer *server;
static char *token;

#define UNKNOWN_ID "00000000-0000-4000-8000-000000000000"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *
create_event (const char *title,
              const char *starts_at,
              const char *ends_at)
{
  g_autoptr(EvaTestResponse) resp =
    eva_test_call (server, "POST", "/api/v1/admin/events", token,
                   "{\"title\":\"%s\",\"timezone\":\"Europe/Vienna\",\"currency\":\"EUR\","
                   "\"venue\":\"Konzerthaus\",\"starts_at\":\"%s\",\"ends_at\":\"%s\"}",
                   title, starts_at, ends_at);

  eva_test_assert_status (resp, 201);
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static char *
create_type (const char *event_id,
             const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", path, token, "%s", body);

  eva_test_assert_status (resp, 201);
  return g_strdup (eva_test_json_string (resp->json, "id"));
}

static void
action (const char *event_id,
        const char *what)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s/%s", event_id, what);
  g_autoptr(EvaTestResponse) resp = eva_test_call (server, "POST", path, token, NULL);

  eva_test_assert_status (resp, 200);
}

/* A published event with one free ticket type. */
static char *
published_event (const char *title,
                 const char *starts_at,
                 const char *ends_at)
{
  char *id = create_event (title, starts_at, ends_at);
  g_autofree char *type = create_type (id, "{\"name\":\"Entry\",\"price\":0,\"capacity\":10}");

  action (id, "publish");
  return id;
}

static EvaTestResponse *
get_public (const char *path)
{
  g_autofree char *full = g_strconcat ("/api/v1/public/events", path, NULL);

  return eva_test_call (server, "GET", full, NULL, NULL);
}

static guint
n_items (EvaTestResponse *resp)
{
  return json_array_get_length (json_node_get_array (eva_test_json_get (resp->json, "items")));
}

static char *
slug_of (const char *id)
{
  return eva_test_sql (server->pg, "SELECT slug FROM events WHERE id = $1", id, NULL);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_visibility (void)
{
  g_autofree char *m = g_strdup_printf ("vis%u", g_random_int ());
  g_autofree char *t1 = g_strdup_printf ("%s draft", m);
  g_autofree char *t2 = g_strdup_printf ("%s upcoming", m);
  g_autofree char *t3 = g_strdup_printf ("%s cancelled", m);
  g_autofree char *t4 = g_strdup_printf ("%s archived", m);
  g_autofree char *t5 = g_strdup_printf ("%s past", m);
  g_autofree char *t6 = g_strdup_printf ("%s ongoing", m);
  g_autofree char *draft = create_event (t1, "2031-01-01T10:00:00Z", "2031-01-01T12:00:00Z");
  g_autofree char *draft_type = create_type (draft, "{\"name\":\"D\",\"price\":0,\"capacity\":1}");
  g_autofree char *upcoming = published_event (t2, "2031-01-01T10:00:00Z", "2031-01-01T12:00:00Z");
  g_autofree char *cancelled = published_event (t3, "2031-01-01T10:00:00Z", "2031-01-01T12:00:00Z");
  g_autofree char *archived = published_event (t4, "2031-01-01T10:00:00Z", "2031-01-01T12:00:00Z");
  g_autofree char *past = published_event (t5, "2020-01-01T10:00:00Z", "2020-01-01T12:00:00Z");
  g_autofree char *ongoing = published_event (t6, "2020-01-01T10:00:00Z", "2099-01-01T12:00:00Z");
  g_autofree char *query = NULL;
  g_autoptr(EvaTestResponse) list = NULL;
  const struct {
    const char *id;
    guint       status;
  } reads[] = {
    { draft, 404 }, { upcoming, 200 }, { cancelled, 200 }, { archived, 404 }, { past, 200 },
    { ongoing, 200 },
  };

  action (cancelled, "cancel");
  action (archived, "archive");

  /* Listed: published and not over, the one already running first. */
  query = g_strdup_printf ("?q=%s", m);
  list = get_public (query);
  eva_test_assert_status (list, 200);
  g_assert_cmpint (eva_test_json_int (list->json, "total"), ==, 2);
  g_assert_cmpuint (n_items (list), ==, 2);
  g_assert_cmpstr (eva_test_json_string (list->json, "items.0.id"), ==, ongoing);
  g_assert_cmpstr (eva_test_json_string (list->json, "items.1.id"), ==, upcoming);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (list->json, "next_cursor")));

  /* By id and by slug: published and cancelled ones. */
  for (guint i = 0; i < G_N_ELEMENTS (reads); i++)
    {
      g_autofree char *by_id = g_strdup_printf ("/%s", reads[i].id);
      g_autofree char *slug = slug_of (reads[i].id);
      g_autofree char *by_slug = g_strdup_printf ("/%s", slug);
      g_autoptr(EvaTestResponse) a = get_public (by_id);
      g_autoptr(EvaTestResponse) b = get_public (by_slug);

      g_test_message ("read %u (%s)", i, slug);
      g_assert_cmpuint (a->status, ==, reads[i].status);
      g_assert_cmpuint (b->status, ==, reads[i].status);
      if (reads[i].status == 200)
        {
          g_assert_cmpstr (eva_test_json_string (a->json, "id"), ==, reads[i].id);
          g_assert_cmpstr (eva_test_json_string (b->json, "id"), ==, reads[i].id);
        }
      else
        {
          eva_test_assert_error (a, 404, "not_found");
          eva_test_assert_error (b, 404, "not_found");
        }
    }

  /* A cancelled event says so, and sells nothing. */
  {
    g_autofree char *path = g_strdup_printf ("/%s", cancelled);
    g_autoptr(EvaTestResponse) resp = get_public (path);

    g_assert_cmpstr (eva_test_json_string (resp->json, "status"), ==, "cancelled");
    g_assert_false (eva_test_json_bool (resp->json, "ticket_types.0.on_sale"));
  }

  /* A staff token does not unlock drafts here. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/public/events/%s", draft);
    g_autoptr(EvaTestResponse) resp = eva_test_call (server, "GET", path, token, NULL);

    eva_test_assert_error (resp, 404, "not_found");
  }
  (void) draft_type;
}

static void
test_shape_and_summary (void)
{
  g_autofree char *m = g_strdup_printf ("shape%u", g_random_int ());
  g_autofree char *title = g_strdup_printf ("%s priced", m);
  g_autofree char *title_hidden = g_strdup_printf ("%s hidden only", m);
  g_autofree char *title_sold = g_strdup_printf ("%s sold out", m);
  g_autofree char *id = create_event (title, "2031-02-01T10:00:00Z", "2031-02-01T12:00:00Z");
  g_autofree char *cheap = create_type (id, "{\"name\":\"Cheap\",\"price\":1000,\"capacity\":10,\"sort_order\":2}");
  g_autofree char *dear = create_type (id, "{\"name\":\"Dear\",\"price\":2500,\"capacity\":5,\"sort_order\":1}");
  g_autofree char *secret = create_type (id, "{\"name\":\"Secret\",\"price\":50,\"capacity\":100,\"hidden\":true}");
  g_autofree char *closed = create_type (id, "{\"name\":\"Closed\",\"price\":3000,\"capacity\":1,\"sort_order\":3,"
                                             "\"sales_start\":\"2020-01-01T00:00:00Z\","
                                             "\"sales_end\":\"2020-02-01T00:00:00Z\"}");
  g_autofree char *hidden_only = create_event (title_hidden, "2031-02-02T10:00:00Z", "2031-02-02T12:00:00Z");
  g_autofree char *hidden_type = create_type (hidden_only, "{\"name\":\"H\",\"price\":0,\"capacity\":9,\"hidden\":true}");
  g_autofree char *sold_out = create_event (title_sold, "2031-02-03T10:00:00Z", "2031-02-03T12:00:00Z");
  g_autofree char *sold_type = create_type (sold_out, "{\"name\":\"S\",\"price\":700,\"capacity\":4}");
  g_autofree char *query = g_strdup_printf ("?q=%s", m);
  g_autofree char *path = g_strdup_printf ("/%s", id);
  g_autoptr(EvaTestResponse) list = NULL;
  g_autoptr(EvaTestResponse) one = NULL;
  const char *event_keys[] = {
    "id", "slug", "title", "description", "venue", "address", "timezone", "starts_at",
    "ends_at", "status", "currency", "hold_minutes", "cancellation_hours", "created_at",
    "updated_at", "published_at", "price_min", "price_max", "available", "sold_out",
  };

  action (id, "publish");
  action (hidden_only, "publish");
  action (sold_out, "publish");
  g_free (eva_test_sql (server->pg, "UPDATE ticket_types SET held = 1, sold = 3 WHERE id = $1",
                        sold_type, NULL));

  list = get_public (query);
  eva_test_assert_status (list, 200);
  g_assert_cmpuint (n_items (list), ==, 3);

  /* The priced one: prices and availability over visible types only. */
  g_assert_cmpstr (eva_test_json_string (list->json, "items.0.id"), ==, id);
  for (guint i = 0; i < G_N_ELEMENTS (event_keys); i++)
    {
      g_autofree char *key = g_strdup_printf ("items.0.%s", event_keys[i]);

      g_test_message ("key %s", event_keys[i]);
      g_assert_true (eva_test_json_has (list->json, key));
    }
  g_assert_false (eva_test_json_has (list->json, "items.0.created_by"));
  g_assert_false (eva_test_json_has (list->json, "items.0.ticket_types"));
  g_assert_cmpint (eva_test_json_int (list->json, "items.0.price_min"), ==, 1000);
  g_assert_cmpint (eva_test_json_int (list->json, "items.0.price_max"), ==, 3000);
  g_assert_cmpint (eva_test_json_int (list->json, "items.0.available"), ==, 16);
  g_assert_false (eva_test_json_bool (list->json, "items.0.sold_out"));
  g_assert_cmpstr (eva_test_json_string (list->json, "items.0.currency"), ==, "EUR");
  g_assert_cmpstr (eva_test_json_string (list->json, "items.0.venue"), ==, "Konzerthaus");

  /* Nothing visible: no prices, nothing available, but not "sold out". */
  g_assert_cmpstr (eva_test_json_string (list->json, "items.1.id"), ==, hidden_only);
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (list->json, "items.1.price_min")));
  g_assert_true (JSON_NODE_HOLDS_NULL (eva_test_json_get (list->json, "items.1.price_max")));
  g_assert_cmpint (eva_test_json_int (list->json, "items.1.available"), ==, 0);
  g_assert_false (eva_test_json_bool (list->json, "items.1.sold_out"));

  g_assert_cmpstr (eva_test_json_string (list->json, "items.2.id"), ==, sold_out);
  g_assert_cmpint (eva_test_json_int (list->json, "items.2.available"), ==, 0);
  g_assert_true (eva_test_json_bool (list->json, "items.2.sold_out"));
  g_assert_cmpint (eva_test_json_int (list->json, "items.2.price_min"), ==, 700);

  /* One event: its visible ticket types, in order, with live state and
   * without the internal counters. */
  one = get_public (path);
  eva_test_assert_status (one, 200);
  /* A proxy may keep it for the second this process does, and a little
   * longer while it fetches the next; what staff read, never. */
  g_assert_cmpstr (eva_test_header (one, "Cache-Control"), ==, "public, max-age=1, stale-while-revalidate=5");
  {
    g_autofree char *admin_path = g_strdup_printf ("/api/v1/admin/events/%s", id);
    g_autoptr(EvaTestResponse) staff = eva_test_call (server, "GET", admin_path, token, NULL);

    eva_test_assert_status (staff, 200);
    g_assert_cmpstr (eva_test_header (staff, "Cache-Control"), ==, "private, no-store");
  }
  g_assert_cmpint (eva_test_json_int (one->json, "price_min"), ==, 1000);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (one->json, "ticket_types"))), ==, 3);
  g_assert_cmpstr (eva_test_json_string (one->json, "ticket_types.0.id"), ==, dear);
  g_assert_cmpstr (eva_test_json_string (one->json, "ticket_types.1.id"), ==, cheap);
  g_assert_cmpstr (eva_test_json_string (one->json, "ticket_types.2.id"), ==, closed);
  g_assert_true (eva_test_json_bool (one->json, "ticket_types.0.on_sale"));
  g_assert_false (eva_test_json_bool (one->json, "ticket_types.2.on_sale"));
  g_assert_cmpint (eva_test_json_int (one->json, "ticket_types.1.available"), ==, 10);
  g_assert_cmpint (eva_test_json_int (one->json, "ticket_types.1.price"), ==, 1000);
  g_assert_cmpstr (eva_test_json_string (one->json, "ticket_types.1.currency"), ==, "EUR");
  g_assert_false (eva_test_json_has (one->json, "ticket_types.0.held"));
  g_assert_false (eva_test_json_has (one->json, "ticket_types.0.sold"));
  g_assert_null (strstr (one->body, secret));
  g_assert_null (strstr (one->body, "Secret"));
  (void) hidden_type;
}

static void
test_live_availability (void)
{
  g_autofree char *id = create_event ("Live", "2031-03-01T10:00:00Z", "2031-03-01T12:00:00Z");
  g_autofree char *type = create_type (id, "{\"name\":\"Only\",\"price\":100,\"capacity\":5}");
  g_autofree char *q1 = NULL;
  g_autofree char *q2 = NULL;
  g_autofree char *q3 = NULL;
  g_autoptr(EvaTestResponse) before = NULL;
  g_autoptr(EvaTestResponse) after = NULL;
  g_autoptr(EvaTestResponse) gone = NULL;

  action (id, "publish");
  q1 = g_strdup_printf ("/%s?n=1", id);
  before = get_public (q1);
  eva_test_assert_status (before, 200);
  g_assert_cmpint (eva_test_json_int (before->json, "available"), ==, 5);
  g_assert_true (eva_test_json_bool (before->json, "ticket_types.0.on_sale"));

  /* Bookings move held and sold; the next read shows it. */
  g_free (eva_test_sql (server->pg, "UPDATE ticket_types SET held = 2, sold = 3 WHERE id = $1", type, NULL));
  q2 = g_strdup_printf ("/%s?n=2", id);
  after = get_public (q2);
  eva_test_assert_status (after, 200);
  g_assert_cmpint (eva_test_json_int (after->json, "available"), ==, 0);
  g_assert_true (eva_test_json_bool (after->json, "sold_out"));
  g_assert_cmpint (eva_test_json_int (after->json, "ticket_types.0.available"), ==, 0);
  g_assert_false (eva_test_json_bool (after->json, "ticket_types.0.on_sale"));

  /* Hiding the type takes it off the page. */
  g_free (eva_test_sql (server->pg, "UPDATE ticket_types SET hidden = true WHERE id = $1", type, NULL));
  q3 = g_strdup_printf ("/%s?n=3", id);
  gone = get_public (q3);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (eva_test_json_get (gone->json, "ticket_types"))), ==, 0);
  g_assert_false (eva_test_json_bool (gone->json, "sold_out"));
}

static void
test_lookup (void)
{
  g_autofree char *id = published_event ("Lookup Me", "2031-04-01T10:00:00Z", "2031-04-01T12:00:00Z");
  g_autofree char *slug = slug_of (id);
  g_autofree char *upper = g_ascii_strup (id, -1);
  g_autofree char *by_upper = g_strdup_printf ("/%s", upper);
  g_autofree char *by_slug = g_strdup_printf ("/%s", slug);
  g_autoptr(EvaTestResponse) a = get_public (by_upper);
  g_autoptr(EvaTestResponse) b = get_public (by_slug);
  const char *missing[] = {
    "/" UNKNOWN_ID,
    "/no-such-event",
    "/Lookup-Me",
    "/not%20a%20slug",
    "/%27%20OR%201=1--",
    "/00000000-0000-4000-8000-00000000000",
  };

  eva_test_assert_status (a, 200);
  g_assert_cmpstr (eva_test_json_string (a->json, "id"), ==, id);
  eva_test_assert_status (b, 200);
  g_assert_cmpstr (eva_test_json_string (b->json, "slug"), ==, slug);
  g_assert_cmpstr (eva_test_json_string (b->json, "title"), ==, "Lookup Me");

  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autoptr(EvaTestResponse) resp = get_public (missing[i]);

      g_test_message ("path %s", missing[i]);
      eva_test_assert_error (resp, 404, "not_found");
    }
}

static void
test_list_pages_and_filters (void)
{
  g_autofree char *m = g_strdup_printf ("pub%u", g_random_int ());
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  g_autofree char *title_d = g_strdup_printf ("%s draft", m);
  g_autofree char *draft = create_event (title_d, "2035-01-01T10:00:00Z", "2035-01-01T12:00:00Z");
  guint pages = 0;

  /* Eleven events, one a day from 2035-01-01. */
  for (guint i = 0; i < 11; i++)
    {
      g_autofree char *title = g_strdup_printf ("%s event %02u", m, i);
      g_autofree char *starts = g_strdup_printf ("2035-01-%02uT10:00:00Z", i + 1);
      g_autofree char *ends = g_strdup_printf ("2035-01-%02uT12:00:00Z", i + 1);

      g_ptr_array_add (ids, published_event (title, starts, ends));
    }

  do
    {
      g_autofree char *query = cursor == NULL ? g_strdup_printf ("?q=%s&limit=4", m)
                                              : g_strdup_printf ("?q=%s&limit=4&cursor=%s", m, cursor);
      g_autoptr(EvaTestResponse) page = get_public (query);
      JsonNode *next;

      eva_test_assert_status (page, 200);
      g_assert_cmpint (eva_test_json_int (page->json, "total"), ==, 11);
      for (guint i = 0; i < n_items (page); i++)
        {
          g_autofree char *key = g_strdup_printf ("items.%u.id", i);
          const char *id = eva_test_json_string (page->json, key);

          /* Soonest first, across pages. */
          g_assert_cmpstr (id, ==, g_ptr_array_index (ids, pages * 4 + i));
          g_assert_true (g_hash_table_add (seen, g_strdup (id)));
        }
      next = eva_test_json_get (page->json, "next_cursor");
      g_clear_pointer (&cursor, g_free);
      if (!JSON_NODE_HOLDS_NULL (next))
        cursor = g_uri_escape_string (json_node_get_string (next), NULL, FALSE);
      pages++;
    }
  while (cursor != NULL && pages < 10);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 11);

  {
    const struct {
      const char *query;
      guint       total;
      guint       first;
    } cases[] = {
      { "?q={m}&from=2035-01-05T00:00:00Z", 7, 4 },
      { "?q={m}&to=2035-01-03T10:00:00Z", 2, 0 },
      { "?q={m}&from=2035-01-03T00:00:00Z&to=2035-01-06T00:00:00Z", 3, 2 },
      { "?q={m}+EVENT+07", 1, 7 },
      { "?q={m}&status=draft", 11, 0 },           /* not a public filter */
      { "?q={m}&sort=-starts_at", 11, 0 },        /* nor this */
      { "?q={m}+%25", 0, 0 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_auto(GStrv) parts = g_strsplit (cases[i].query, "{m}", -1);
        g_autofree char *query = g_strjoinv (m, parts);
        g_autoptr(EvaTestResponse) resp = get_public (query);

        g_test_message ("query %s", query);
        eva_test_assert_status (resp, 200);
        g_assert_cmpint (eva_test_json_int (resp->json, "total"), ==, cases[i].total);
        if (cases[i].total > 0)
          g_assert_cmpstr (eva_test_json_string (resp->json, "items.0.id"), ==,
                           g_ptr_array_index (ids, cases[i].first));
      }
  }
  (void) draft;
}

static void
test_list_bad_params (void)
{
  const struct {
    const char *query;
    const char *field;
  } cases[] = {
    { "?limit=0", "limit" },
    { "?limit=1000", "limit" },
    { "?limit=1e3", "limit" },
    { "?limit=5&oops", "query" },
    { "?cursor=not-a-cursor", "cursor" },
    { "?from=tomorrow", "from" },
    { "?to=2031-01-01T00:00:00Z&from=2032-01-01T00:00:00Z", "to" },
    { "?q=%C3%28", "query" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EvaTestResponse) resp = get_public (cases[i].query);
      g_autofree char *key = g_strconcat ("error.details.", cases[i].field, NULL);

      g_test_message ("query %s", cases[i].query);
      eva_test_assert_error (resp, 400, "validation_failed");
      g_assert_true (eva_test_json_has (resp->json, key));
    }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = eva_test_server_start (NULL);
  token = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/public/visibility", test_visibility);
  g_test_add_func ("/public/shape-and-summary", test_shape_and_summary);
  g_test_add_func ("/public/live-availability", test_live_availability);
  g_test_add_func ("/public/lookup", test_lookup);
  g_test_add_func ("/public/list/pages-and-filters", test_list_pages_and_filters);
  g_test_add_func ("/public/list/bad-params", test_list_bad_params);

  ret = g_test_run ();
  g_free (token);
  eva_test_server_free (server);
  return ret;
}
