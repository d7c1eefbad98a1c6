/* test-metrics.c: GET /metrics
 *
 * Off without EVERATO_METRICS_TOKEN (404); with it, 401 without or with a
 * wrong bearer token. What it answers is read by an independent parser of
 * the Prometheus text format (python3-prometheus-client), and its figures
 * move with what happens: requests by route and status, the latency
 * histogram's count, the database pool's jobs, bookings, tickets, the
 * mail outbox.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <sys/wait.h>

#include "eva-common.h"
#include "eva-test-booking.h"

#define TOKEN "metrics-token-0123456789abcdef"

/* The python parser's reading of @text: one "name{k=v,…} value" line a
 * sample, labels sorted; fails the test if it cannot parse. */
static char *
parse (const char *text)
{
  const char *script =
    "import sys\n"
    "from prometheus_client.parser import text_string_to_metric_families\n"
    "out = []\n"
    "for family in text_string_to_metric_families(sys.stdin.read()):\n"
    "    for s in family.samples:\n"
    "        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))\n"
    "        out.append('%s{%s} %g' % (s.name, labels, s.value))\n"
    "print('\\n'.join(sorted(out)))\n";
  const char *argv[] = { eva_test_python (), "-c", script, NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, text, NULL, &out, &err, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (proc))
    g_error ("the Prometheus parser refused /metrics: %s\n%s", err, text);
  return out;
}

static char *
scrape (EvaTestServer *srv)
{
  g_autofree char *url = g_strconcat (srv->base_url, "/metrics", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", "Bearer " TOKEN);
  body = soup_session_send_and_read (srv->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL), ==,
                   "text/plain");
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return parse (text);
}

/* The value of the sample line that starts with @series (its labels
 * included, as parse() writes them), or -1. */
static double
value_of (const char *samples,
          const char *series)
{
  g_auto(GStrv) lines = g_strsplit (samples, "\n", -1);
  g_autofree char *prefix = g_strconcat (series, " ", NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_ascii_strtod (lines[i] + strlen (prefix), NULL);
  return -1;
}

static void
test_access (void)
{
  g_autoptr(EvaTestServer) off = eva_test_server_start (NULL);
  g_autoptr(EvaTestResponse) none = eva_test_request (off, "GET", "/metrics", NULL, NULL, NULL, 0);
  g_autoptr(EvaTestResponse) anonymous = eva_test_request (server, "GET", "/metrics", NULL, NULL, NULL, 0);
  g_autoptr(EvaTestResponse) wrong = eva_test_request (server, "GET", "/metrics", "metrics-token-0123456789abcdeX",
                                                       NULL, NULL, 0);
  g_autoptr(EvaTestResponse) staff = eva_test_request (server, "GET", "/metrics", organizer, NULL, NULL, 0);
  const char *bad[] = { "EVERATO_METRICS_TOKEN=short", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  eva_test_assert_error (none, 404, "not_found");
  eva_test_assert_error (anonymous, 401, "unauthorized");
  g_assert_nonnull (eva_test_header (anonymous, "WWW-Authenticate"));
  eva_test_assert_error (wrong, 401, "unauthorized");
  eva_test_assert_error (staff, 401, "unauthorized");
  eva_test_server_stop (off);
  g_assert_cmpint (eva_test_run_cli_env ("dbname=none", bad, NULL, &out, &err, "serve", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "EVERATO_METRICS_TOKEN"));
}

static void
test_figures_move (void)
{
  g_autofree char *before = scrape (server);
  g_autofree char *after = NULL;
  g_autofree char *event = make_event (NULL);
  g_autofree char *type = make_type (event, "{\"name\":\"Seat\",\"price\":0,\"capacity\":50}");
  g_autoptr(Buyer) b = make_buyer_on (server, "metrics", TRUE);
  g_autofree char *booking = NULL;
  const char *health = "everato_http_requests_total{method=GET,route=/healthz,status=200}";
  const char *missing = "everato_http_requests_total{method=GET,route=/api/v1/public/events/{id_or_slug},status=404}";
  double healthz_before = MAX (value_of (before, health), 0);

  g_test_message ("first scrape:\n%s", before);
  g_assert_cmpfloat (value_of (before, "everato_build_info{version=" PACKAGE_VERSION "}"), ==, 1);
  g_assert_cmpfloat (value_of (before, "everato_db_pool_connections{}"), ==, 4);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(EvaTestResponse) r = eva_test_request (server, "GET", "/healthz", NULL, NULL, NULL, 0);

      eva_test_assert_status (r, 200);
    }
  {
    g_autoptr(EvaTestResponse) r = eva_test_request (server, "GET", "/api/v1/public/events/no-such-event", NULL,
                                                     NULL, NULL, 0);

    eva_test_assert_status (r, 404);
  }
  publish (event);
  booking = hold_id (b, event, type, 2);
  for (guint i = 0; i < 200 && sql_int (server->pg, "SELECT count(*) FROM email_outbox WHERE status <> 'sent'",
                                        NULL) > 0; i++)
    g_usleep (G_USEC_PER_SEC / 20);

  after = scrape (server);
  g_test_message ("second scrape:\n%s", after);
  g_assert_cmpfloat (value_of (after, health), ==, healthz_before + 3);
  g_assert_cmpfloat (value_of (after, missing), >=, 1);
  g_assert_cmpfloat (value_of (after, "everato_http_request_duration_seconds_count{method=GET,route=/healthz}"), ==,
                     healthz_before + 3);
  g_assert_cmpfloat (value_of (after, "everato_http_request_duration_seconds_bucket{le=+Inf,method=GET,route=/healthz}"),
                     ==, healthz_before + 3);
  g_assert_cmpfloat (value_of (after, "everato_db_jobs_total{}"), >, value_of (before, "everato_db_jobs_total{}"));
  g_assert_cmpfloat (value_of (after, "everato_bookings{status=confirmed}"), ==,
                     sql_int (server->pg, "SELECT count(*) FROM bookings WHERE status = 'confirmed'", NULL));
  g_assert_cmpfloat (value_of (after, "everato_bookings{status=confirmed}"), >=, 1);
  g_assert_cmpfloat (value_of (after, "everato_tickets{status=valid}"), ==,
                     sql_int (server->pg, "SELECT count(*) FROM tickets WHERE status = 'valid'", NULL));
  g_assert_cmpfloat (value_of (after, "everato_mail_outbox{status=sent}"), ==,
                     sql_int (server->pg, "SELECT count(*) FROM email_outbox WHERE status = 'sent'", NULL));
}

int
main (int    argc,
      char **argv)
{
  const char *env[] = { "EVERATO_METRICS_TOKEN=" TOKEN, NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);
  eva_common_init ();
  server = eva_test_server_start (env);
  organizer = eva_test_token_for_role (server, "organizer");

  g_test_add_func ("/metrics/access", test_access);
  g_test_add_func ("/metrics/figures-move", test_figures_move);
  ret = g_test_run ();

  g_free (organizer);
  eva_test_server_free (server);
  return ret;
}
