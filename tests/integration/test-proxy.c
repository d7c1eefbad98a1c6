/* test-proxy.c: two everato-server processes behind the shipped nginx site
 *
 * deploy/nginx/everato.conf, as shipped, with only its addresses changed
 * (the two processes' ports, nginx's own port, the cache folder) and
 * included in a minimal nginx.conf, as Debian's includes sites-enabled:
 *  - a flash sale through the proxy on both processes never oversells;
 *  - the public reads are micro-cached (X-Cache-Status HIT) for a second;
 *  - /metrics is not published through the site;
 *  - one process killed, the proxy keeps serving reads and bookings;
 *  - slow clients (slowloris): what they do to a process alone, and that
 *    the shipped nginx settings keep them away from it.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
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

/* ------------------------------------------------------------------ */
/* Slow clients                                                       */
/* ------------------------------------------------------------------ */

/* A slowloris: @n connections that each send the start of a request and
 * then one more header line every half second, never the blank line that
 * ends the headers. One thread drives them all. */
typedef struct
{
  guint16  port;
  guint    n;
  int     *fds;
  guint    n_open;      /* connections still open at the last round */
  gint     stop;
  GThread *thread;
} Loris;

static int
loris_connect (guint16 port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const char *head = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";

  g_assert_cmpint (fd, >=, 0);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      send (fd, head, strlen (head), MSG_NOSIGNAL) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Open while the peer has not closed it. */
static gboolean
loris_alive (int fd)
{
  char buffer[512];
  ssize_t n;

  if (fd < 0)
    return FALSE;
  /* A 408 or 503 the peer wrote before closing is read and dropped. */
  while ((n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT)) > 0)
    ;
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static gpointer
loris_thread (gpointer data)
{
  Loris *l = data;

  while (!g_atomic_int_get (&l->stop))
    {
      guint open = 0;

      for (guint i = 0; i < l->n; i++)
        {
          if (!loris_alive (l->fds[i]))
            continue;
          if (send (l->fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
              errno != EAGAIN)
            continue;
          open++;
        }
      g_atomic_int_set (&l->n_open, open);
      g_usleep (G_USEC_PER_SEC / 2);
    }
  return NULL;
}

static Loris *
loris_start (guint16 port,
             guint   n)
{
  Loris *l = g_new0 (Loris, 1);

  l->port = port;
  l->n = n;
  l->fds = g_new (int, n);
  /* Counted from the connections made; the thread counts again. */
  for (guint i = 0; i < n; i++)
    {
      l->fds[i] = loris_connect (port);
      if (l->fds[i] >= 0)
        l->n_open++;
    }
  l->thread = g_thread_new ("loris", loris_thread, l);
  return l;
}

static guint
loris_open (Loris *l)
{
  return g_atomic_int_get (&l->n_open);
}

/* Seconds until at most @left of the connections are open, or -1 after
 * @limit seconds. */
static double
loris_wait_closed (Loris  *l,
                   guint   left,
                   double  limit)
{
  gint64 start = g_get_monotonic_time ();

  while (loris_open (l) > left)
    {
      if (g_get_monotonic_time () - start > limit * G_USEC_PER_SEC)
        return -1;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
loris_stop (Loris *l)
{
  g_atomic_int_set (&l->stop, TRUE);
  g_thread_join (l->thread);
  for (guint i = 0; i < l->n; i++)
    if (l->fds[i] >= 0)
      close (l->fds[i]);
  g_free (l->fds);
  g_free (l);
}

/* A plain GET on a new connection; the status, 0 when the connection was
 * refused or closed without an answer. @ms receives how long it took. */
static guint
get_status (EvaTestServer *target,
            const char    *path,
            double        *ms)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 20, NULL);
  g_autofree char *url = g_strconcat (target->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  gint64 start = g_get_monotonic_time ();

  body = soup_session_send_and_read (session, msg, NULL, NULL);
  if (ms != NULL)
    *ms = (g_get_monotonic_time () - start) / 1000.0;
  return soup_message_get_status (msg);
}

/* Caddy with deploy/caddy/Caddyfile as shipped, but for its addresses:
 * plain HTTP on a free port in front of @port_a and @port_b. */
static Proxy *
caddy_start (guint16 port_a,
             guint16 port_b)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autofree char *site_path = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"), "deploy", "caddy",
                                                 "Caddyfile", NULL);
  g_autofree char *caddy = g_find_program_in_path ("caddy");
  g_autofree char *site = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = eva_test_free_port ();

  g_assert_nonnull (caddy);
  proxy->dir = g_dir_make_tmp ("everato-caddy-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (site_path, &site, NULL, &error));
  {
    g_autofree char *address = g_strdup_printf ("http://127.0.0.1:%u {", port);
    g_autofree char *upstreams = g_strdup_printf ("reverse_proxy 127.0.0.1:%u 127.0.0.1:%u {", port_a, port_b);
    g_autofree char *a = replace (site, "tickets.example.org {", address);
    /* No admin endpoint on localhost:2019, which another Caddy may hold. */
    g_autofree char *b = replace (a, "\temail admin@example.org\n", "\temail admin@example.org\n\tadmin off\n");

    out = replace (b, "reverse_proxy 127.0.0.1:8080 127.0.0.1:8081 {", upstreams);
  }
  conf_path = g_build_filename (proxy->dir, "Caddyfile", NULL);
  g_assert_true (g_file_set_contents (conf_path, out, -1, NULL));
  {
    const char *argv[] = { caddy, "run", "--config", conf_path, "--adapter", "caddyfile", NULL };
    g_autofree char *data = g_build_filename (proxy->dir, "data", NULL);
    g_autofree char *config = g_build_filename (proxy->dir, "config", NULL);
    g_auto(GStrv) envp = g_get_environ ();

    /* Caddy keeps its state under these: the test's folder, not ~. */
    envp = g_environ_setenv (envp, "HOME", proxy->dir, TRUE);
    envp = g_environ_setenv (envp, "XDG_DATA_HOME", data, TRUE);
    envp = g_environ_setenv (envp, "XDG_CONFIG_HOME", config, TRUE);
    g_spawn_async (proxy->dir, (char **) argv, envp,
                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                   eva_test_die_with_parent, NULL, &proxy->pid, &error);
    g_assert_no_error (error);
  }
  proxy->front.base_url = g_strdup_printf ("http://127.0.0.1:%u", port);
  proxy->front.session = soup_session_new_with_options ("timeout", 60, NULL);
  for (guint i = 0; i < 100; i++)
    {
      if (get_status (&proxy->front, "/healthz", NULL) == 200)
        return proxy;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_error ("caddy did not start");
  return NULL;
}

/* 300 slow clients at @proxy (taken) in front of @alone: every read
 * through it is answered, @alone still takes a direct connection (had the
 * proxy passed them on, its cap of 16 would refuse it), and the proxy cuts
 * them off by its own header timeout. */
static void
slow_clients_at_proxy (const char    *name,
                       Proxy         *proxy,
                       EvaTestServer *alone)
{
  Loris *loris = loris_start (g_ascii_strtoull (strrchr (proxy->front.base_url, ':') + 1, NULL, 10), 300);
  double worst = 0, ms, seconds;

  g_usleep (G_USEC_PER_SEC);
  g_assert_cmpuint (loris_open (loris), ==, 300);
  for (guint i = 0; i < 20; i++)
    {
      g_assert_cmpuint (get_status (&proxy->front, "/api/v1/public/events", &ms), ==, 200);
      worst = MAX (worst, ms);
    }
  g_assert_cmpuint (get_status (alone, "/healthz", NULL), ==, 200);
  g_test_message ("behind %s, under 300 slow clients: 20 reads all 200, slowest %.0f ms; "
                  "the process answered directly too", name, worst);
  seconds = loris_wait_closed (loris, 0, 20);
  g_test_message ("%s cut the slow clients off after %.1f s more", name, seconds);
  g_assert_cmpfloat (seconds, >=, 0);
  loris_stop (loris);
  proxy_stop (proxy);
}

/* The process alone: slow clients hold its connections until
 * EVERATO_REQUEST_TIMEOUT cuts them off; while they fill
 * EVERATO_MAX_CONNECTIONS, everybody else is answered 503. libsoup has
 * no defence of its own: these two limits are the whole of it, and an
 * attacker who reconnects at once keeps the process busy. Behind the
 * shipped nginx or Caddy, the same clients end at the proxy (its header
 * timeout) and the process never sees them. */
static void
test_slowloris (void)
{
  const char *env[] = { "EVERATO_TRUSTED_PROXIES=127.0.0.1", "EVERATO_THREADS=1",
                        "EVERATO_MAX_CONNECTIONS=16", "EVERATO_REQUEST_TIMEOUT=10", NULL };
  EvaTestServer *alone = eva_test_server_start_on (server->dbname, env);
  Loris *loris;
  double ms, seconds;
  guint status;

  /* Alone: 24 slow clients, more than the cap. */
  loris = loris_start (alone->port, 24);
  g_usleep (G_USEC_PER_SEC);
  status = get_status (alone, "/healthz", &ms);
  g_test_message ("alone, under 24 slow clients (cap 16): a new client got %u in %.0f ms", status, ms);
  g_assert_cmpuint (status, ==, 503);
  /* The process itself stays responsive: the request timeout frees it. */
  seconds = loris_wait_closed (loris, 0, 30);
  g_test_message ("alone: the slow clients were cut off after %.1f s more (EVERATO_REQUEST_TIMEOUT=10)",
                  seconds);
  g_assert_cmpfloat (seconds, >=, 0);
  loris_stop (loris);
  for (guint i = 0; i < 30 && (status = get_status (alone, "/healthz", NULL)) != 200; i++)
    g_usleep (G_USEC_PER_SEC / 5);
  g_assert_cmpuint (status, ==, 200);

  /* Behind nginx, then Caddy, as shipped (their header timeouts are
   * 10 s): 300 slow clients at the proxy; the process (same cap) keeps
   * serving everybody through the proxy and directly. */
  slow_clients_at_proxy ("nginx", proxy_start (alone->port, alone->port), alone);
  slow_clients_at_proxy ("Caddy", caddy_start (alone->port, alone->port), alone);
  secondary_free (alone);
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

  g_test_add_func ("/proxy/slowloris", test_slowloris);
  g_test_add_func ("/proxy/behind-nginx", test_behind_nginx);
  ret = g_test_run ();

  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
