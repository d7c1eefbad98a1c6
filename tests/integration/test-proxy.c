/* test-proxy.c: two everato-server processes behind the shipped nginx site
 *
 * deploy/nginx/everato.conf, as shipped, with only its addresses changed
 * (the two processes' ports, nginx's own port, the cache folder) and
 * included in a minimal nginx.conf, as Debian's includes sites-enabled:
 *  - a flash sale through the proxy on both processes never oversells;
 *  - the public reads are micro-cached (X-Cache-Status HIT) for a second;
 *  - /metrics is not published through the site;
 *  - one process killed, the proxy keeps serving reads and bookings.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eva-common.h"
#include "eva-test-booking.h"

/* @text with every @from replaced by @to; fails if @from is not there. */
static char *
replace (const char *text,
         const char *from,
         const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);

  g_assert_cmpuint (g_strv_length (parts), >=, 2);
  return g_strjoinv (to, parts);
}

typedef struct
{
  GPid           pid;
  char          *dir;
  EvaTestServer  front;   /* base_url and session of nginx, for the helpers */
} Proxy;

static Proxy *
proxy_start (guint16 port_a,
             guint16 port_b)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autofree char *site_path = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "deploy", "nginx",
                                                 "everato.conf", NULL);
  g_autofree char *site = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *site_out = NULL;
  g_autofree char *nginx = g_find_program_in_path ("nginx");
  g_autoptr(GError) error = NULL;
  guint16 port = eva_test_free_port ();
  char *a, *b;

  if (nginx == NULL && g_file_test ("/usr/sbin/nginx", G_FILE_TEST_IS_EXECUTABLE))
    nginx = g_strdup ("/usr/sbin/nginx");
  g_assert_nonnull (nginx);
  proxy->dir = g_dir_make_tmp ("everato-nginx-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (proxy->dir, 0755);

  g_assert_true (g_file_get_contents (site_path, &site, NULL, &error));
  {
    g_autofree char *server_a = g_strdup_printf ("server 127.0.0.1:%u ", port_a);
    g_autofree char *server_b = g_strdup_printf ("server 127.0.0.1:%u ", port_b);
    g_autofree char *listen = g_strdup_printf ("listen 127.0.0.1:%u;", port);
    g_autofree char *cache = g_build_filename (proxy->dir, "cache", NULL);

    a = replace (site, "server 127.0.0.1:8080 ", server_a);
    b = replace (a, "server 127.0.0.1:8081 ", server_b);
    g_free (a);
    a = replace (b, "    listen 80;\n", listen);
    g_free (b);
    b = replace (a, "    listen [::]:80;\n", "");
    g_free (a);
    site_out = replace (b, "/var/cache/nginx/everato", cache);
    g_free (b);
  }
  a = g_build_filename (proxy->dir, "everato.conf", NULL);
  g_assert_true (g_file_set_contents (a, site_out, -1, NULL));
  conf = g_strdup_printf ("%s"
                          "daemon off;\n"
                          "worker_processes 1;\n"
                          "pid %s/nginx.pid;\n"
                          "error_log %s/error.log;\n"
                          "events { worker_connections 1024; }\n"
                          "http {\n"
                          "  access_log off;\n"
                          "  client_body_temp_path %s/body;\n"
                          "  proxy_temp_path %s/proxy;\n"
                          "  fastcgi_temp_path %s/fastcgi;\n"
                          "  uwsgi_temp_path %s/uwsgi;\n"
                          "  scgi_temp_path %s/scgi;\n"
                          "  include %s;\n"
                          "}\n",
                          geteuid () == 0 ? "user root;\n" : "", proxy->dir, proxy->dir, proxy->dir, proxy->dir,
                          proxy->dir, proxy->dir, proxy->dir, a);
  g_free (a);
  conf_path = g_build_filename (proxy->dir, "nginx.conf", NULL);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));

  {
    const char *argv[] = { nginx, "-c", conf_path, "-p", proxy->dir, NULL };

    g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                   eva_test_die_with_parent, NULL, &proxy->pid, &error);
    g_assert_no_error (error);
  }
  proxy->front.base_url = g_strdup_printf ("http://127.0.0.1:%u", port);
  proxy->front.session = soup_session_new_with_options ("timeout", 60, "max-conns", 64, "max-conns-per-host", 64,
                                                        NULL);
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autofree char *url = g_strconcat (proxy->front.base_url, "/healthz", NULL);
      g_autoptr(GBytes) body = NULL;

      msg = soup_message_new ("GET", url);
      body = soup_session_send_and_read (proxy->front.session, msg, NULL, NULL);
      if (soup_message_get_status (msg) == 200)
        return proxy;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  {
    g_autofree char *log_path = g_build_filename (proxy->dir, "error.log", NULL);
    g_autofree char *log = NULL;

    g_file_get_contents (log_path, &log, NULL, NULL);
    g_error ("nginx did not start: %s", log != NULL ? log : "(no log)");
  }
  return NULL;
}

static void
proxy_stop (Proxy *proxy)
{
  g_autofree char *command = g_strdup_printf ("rm -rf %s", proxy->dir);

  kill (proxy->pid, SIGTERM);
  waitpid (proxy->pid, NULL, 0);
  g_spawn_close_pid (proxy->pid);
  (void) !system (command);
  g_clear_object (&proxy->front.session);
  g_free (proxy->front.base_url);
  g_free (proxy->dir);
  g_free (proxy);
}

typedef struct
{
  EvaTestServer *front;
  Buyer         *buyer;
  const char    *event;
  const char    *type;
  guint          status;
} Attempt;

/* One buyer's hold through nginx, on a connection of its own. */
/* Served from nginx's micro-cache: a HIT, or (on a slow machine, past the
 * second) the previous answer while one request refreshes it. */
static void
assert_from_cache (EvaTestResponse *r)
{
  const char *status = soup_message_headers_get_one (r->headers, "X-Cache-Status");

  g_assert_true (g_strcmp0 (status, "HIT") == 0 || g_strcmp0 (status, "STALE") == 0 ||
                 g_strcmp0 (status, "UPDATING") == 0);
}

static gpointer
attempt_thread (gpointer data)
{
  Attempt *a = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autoptr(EvaTestResponse) r = hold_on (a->front, session, a->buyer, NULL, a->event, a->type, 1, NULL);

  a->status = r->status;
  return NULL;
}

static void
test_behind_nginx (void)
{
  const char *env[] = { "EVERATO_TRUSTED_PROXIES=127.0.0.1", NULL };
  EvaTestServer *second = eva_test_server_start_on (server->dbname, env);
  Proxy *proxy = proxy_start (server->port, second->port);
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"Seat\",\"price\":0,\"capacity\":10,\"max_per_order\":1}");
  Attempt attempts[30];
  GThread *threads[G_N_ELEMENTS (attempts)];
  guint created = 0, sold_out = 0;
  g_autofree char *public_path = g_strdup_printf ("/api/v1/public/events/%s", event);

  publish (event);

  /* The flash sale, through the proxy onto both processes: 30 buyers at
   * once for 10 seats. */
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    attempts[i] = (Attempt) { &proxy->front, make_buyer_on (server, "burst", TRUE), event, type, 0 };
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    threads[i] = g_thread_new ("burst", attempt_thread, &attempts[i]);
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_thread_join (threads[i]);
      buyer_free (attempts[i].buyer);
      if (attempts[i].status == 201)
        created++;
      else if (attempts[i].status == 409)
        sold_out++;
      else
        g_error ("a hold through the proxy answered %u", attempts[i].status);
    }
  g_test_message ("through nginx: %u held, %u sold out", created, sold_out);
  g_assert_cmpuint (created, ==, 10);
  g_assert_cmpuint (sold_out, ==, 20);
  assert_invariant (server->pg);
  g_assert_cmpint (sql_int (server->pg, "SELECT held + sold FROM ticket_types WHERE id = $1::uuid", type), ==, 10);

  /* Both processes took part; the client address they saw is the test's
   * (nginx's X-Forwarded-For, believed from 127.0.0.1). */
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *log_a = eva_test_server_log (server);
      g_autofree char *log_b = eva_test_server_log (second);

      /* Access-log lines are written in batches: wait for them. */
      if (strstr (log_a, "POST /api/v1/bookings") != NULL && strstr (log_b, "POST /api/v1/bookings") != NULL)
        break;
      g_assert_cmpuint (i, <, 49);
      g_usleep (G_USEC_PER_SEC / 10);
    }

  /* The public read, micro-cached for a second. */
  {
    g_autoptr(EvaTestResponse) first = http_full (&proxy->front, NULL, "GET", public_path, NULL, NULL, NULL, NULL,
                                                  NULL);
    g_autoptr(EvaTestResponse) again = http_full (&proxy->front, NULL, "GET", public_path, NULL, NULL, NULL, NULL,
                                                  NULL);

    eva_test_assert_status (first, 200);
    eva_test_assert_status (again, 200);
    assert_from_cache (again);
    g_assert_cmpstr (again->body, ==, first->body);
  }
  /* The event page too, for visitors who are not signed in; a signed-in
   * visitor's page is never stored nor served from it. */
  {
    g_autofree char *slug = eva_test_sql (server->pg, "SELECT slug FROM events WHERE id = $1::uuid",
                                          event, NULL);
    g_autofree char *page_path = g_strconcat ("/e/", slug, NULL);
    g_autofree char *url = NULL;
    g_autoptr(EvaTestResponse) first = http_full (&proxy->front, NULL, "GET", page_path, NULL, NULL, NULL,
                                                  NULL, NULL);
    g_autoptr(EvaTestResponse) again = http_full (&proxy->front, NULL, "GET", page_path, NULL, NULL, NULL,
                                                  NULL, NULL);
    g_autofree char *fresh_path = g_strconcat (page_path, "?from=signed-in", NULL);
    g_autoptr(EvaTestResponse) after = NULL;

    eva_test_assert_status (first, 200);
    eva_test_assert_status (again, 200);
    assert_from_cache (again);
    g_assert_cmpstr (again->body, ==, first->body);

    /* A signed-in visitor first on a URL nobody asked for yet: passed by,
     * and not stored either (the next anonymous visitor misses). */
    url = g_strconcat (proxy->front.base_url, fresh_path, NULL);
    for (guint i = 0; i < 2; i++)
      {
        g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
        g_autoptr(GBytes) body = NULL;
        g_autoptr(GError) error = NULL;

        soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie",
                                      "everato_signed_in=1");
        body = soup_session_send_and_read (proxy->front.session, msg, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
        g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                       "X-Cache-Status"), ==, "BYPASS");
        g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                       "Cache-Control"), ==, "no-cache");
      }
    after = http_full (&proxy->front, NULL, "GET", fresh_path, NULL, NULL, NULL, NULL, NULL);
    eva_test_assert_status (after, 200);
    g_assert_cmpstr (soup_message_headers_get_one (after->headers, "X-Cache-Status"), ==, "MISS");
  }
  /* /metrics is not published through the site. */
  {
    g_autoptr(EvaTestResponse) metrics = http_full (&proxy->front, NULL, "GET", "/metrics", NULL, NULL, NULL, NULL,
                                                    NULL);

    g_assert_cmpuint (metrics->status, ==, 404);
  }

  /* One process killed: reads and bookings keep working through the other. */
  eva_test_server_kill (server);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(EvaTestResponse) r = http_full (&proxy->front, NULL, "GET", "/api/v1/public/events", NULL, NULL,
                                                NULL, NULL, NULL);

      eva_test_assert_status (r, 200);
    }
  {
    g_autofree char *other = NULL;
    g_autofree char *other_type = NULL;
    g_autoptr(Buyer) b = make_buyer_on (second, "after", TRUE);
    g_autoptr(EvaTestResponse) r = NULL;
    EvaTestServer *first = server;

    /* The admin helpers speak to the global server: the one still up. */
    server = second;
    other = make_event (NULL);
    other_type = make_type (other, "{\"name\":\"Seat\",\"price\":0,\"capacity\":5}");
    publish (other);
    r = hold_on (&proxy->front, NULL, b, NULL, other, other_type, 2, NULL);
    eva_test_assert_status (r, 201);
    server = first;
  }

  proxy_stop (proxy);
  secondary_free (second);
}

int
main (int    argc,
      char **argv)
{
  const char *env[] = { "EVERATO_TRUSTED_PROXIES=127.0.0.1", NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);
  eva_common_init ();
  server = eva_test_server_start (env);
  organizer = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/proxy/behind-nginx", test_behind_nginx);
  ret = g_test_run ();

  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
