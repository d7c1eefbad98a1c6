/* api/metrics.c: GET /metrics, for Prometheus
 *
 * Off (404) unless EVERATO_METRICS_TOKEN is set; then only with
 * "Authorization: Bearer <token>" (compared in constant time), so the
 * figures stay with the operator even on the public listener.
 *
 * Two kinds of figures, in the text format 0.0.4:
 *  - this process's (every replica is its own target): requests by route
 *    and status and their latency histograms (http/eva-metrics.c), the
 *    database pool (connections, busy, queued, jobs and their total wait);
 *  - the installation's, read from the database at scrape time (the same
 *    from every replica: take one, or max by): bookings, active holds,
 *    payments, tickets, check-ins by status, the mail outbox by status
 *    (pending and sending: its depth; dead: mails given up on).
 * Plus everato_build_info{version}.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-metrics"

#include "config.h"

#include <sodium.h>

#include "api/eva-api.h"
#include "http/eva-metrics.h"

/* name, label name(s), label value(s), value: one row a series. */
static const char sql_figures[] =
  "SELECT 'everato_bookings', 'status', status, count(*)::text FROM bookings GROUP BY status "
  "UNION ALL "
  "SELECT 'everato_holds_active', '', '', count(*)::text FROM bookings "
  "  WHERE status = 'held' AND expires_at > now() "
  "UNION ALL "
  "SELECT 'everato_payments', 'method,status', method || ',' || status, count(*)::text FROM payments "
  "  GROUP BY method, status "
  "UNION ALL "
  "SELECT 'everato_tickets', 'status', status, count(*)::text FROM tickets GROUP BY status "
  "UNION ALL "
  "SELECT 'everato_checkins', 'kind,status', kind || ',' || status, count(*)::text FROM checkins "
  "  WHERE undone_at IS NULL GROUP BY kind, status "
  "UNION ALL "
  "SELECT 'everato_mail_outbox', 'status', status, count(*)::text FROM email_outbox GROUP BY status";

static const struct
{
  const char *name;
  const char *help;
} families[] = {
  { "everato_bookings", "Bookings of the installation by status." },
  { "everato_holds_active", "Holds not expired yet." },
  { "everato_payments", "Payments of the installation by method and status." },
  { "everato_tickets", "Tickets of the installation by status." },
  { "everato_checkins", "Check-ins not undone, by kind and status." },
  { "everato_mail_outbox", "Mails in the outbox by status (pending, sending: to do; dead: given up)." },
};

static void
append_series (GString    *out,
               const char *name,
               const char *label_names,
               const char *label_values,
               const char *value)
{
  g_auto(GStrv) names = g_strsplit (label_names, ",", -1);
  g_auto(GStrv) values = g_strsplit (label_values, ",", -1);

  g_string_append (out, name);
  if (*label_names != '\0')
    {
      g_string_append_c (out, '{');
      for (guint i = 0; names[i] != NULL && values[i] != NULL; i++)
        {
          /* Values are the schema's own status words: no quoting needed,
           * but never trusted to be free of it. */
          g_autofree char *escaped = g_strescape (values[i], NULL);

          g_string_append_printf (out, "%s%s=\"%s\"", i > 0 ? "," : "", names[i], escaped);
        }
      g_string_append_c (out, '}');
    }
  g_string_append_printf (out, " %s\n", value);
}

static void
metrics_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = eva_db_exec (conn, sql_figures, 0, NULL, &error);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GBytes) body = NULL;
  EvaDbStats stats;
  char wait[G_ASCII_DTOSTR_BUF_SIZE];

  if (result == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }

  g_string_append_printf (out, "# HELP everato_build_info The server's version.\n"
                               "# TYPE everato_build_info gauge\n"
                               "everato_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);

  eva_db_get_stats (eva_request_get_db (req), &stats);
  g_ascii_formatd (wait, sizeof wait, "%.6f", stats.wait_us / (double) G_USEC_PER_SEC);
  g_string_append_printf (out,
                          "# HELP everato_db_pool_connections Database connections of this process.\n"
                          "# TYPE everato_db_pool_connections gauge\n"
                          "everato_db_pool_connections %u\n"
                          "# HELP everato_db_pool_busy Connections running a job now.\n"
                          "# TYPE everato_db_pool_busy gauge\n"
                          "everato_db_pool_busy %u\n"
                          "# HELP everato_db_pool_queued Jobs waiting for a connection now.\n"
                          "# TYPE everato_db_pool_queued gauge\n"
                          "everato_db_pool_queued %u\n"
                          "# HELP everato_db_jobs_total Jobs run on the database pool.\n"
                          "# TYPE everato_db_jobs_total counter\n"
                          "everato_db_jobs_total %" G_GUINT64_FORMAT "\n"
                          "# HELP everato_db_wait_seconds_total Time jobs waited for a connection, summed.\n"
                          "# TYPE everato_db_wait_seconds_total counter\n"
                          "everato_db_wait_seconds_total %s\n",
                          stats.size, stats.busy, stats.queued, stats.jobs, wait);

  eva_metrics_render_requests (out);

  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    {
      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s gauge\n", families[f].name, families[f].help,
                              families[f].name);
      for (int i = 0; i < PQntuples (result); i++)
        if (g_str_equal (PQgetvalue (result, i, 0), families[f].name))
          append_series (out, families[f].name, PQgetvalue (result, i, 1), PQgetvalue (result, i, 2),
                         PQgetvalue (result, i, 3));
    }

  body = g_string_free_to_bytes (g_steal_pointer (&out));
  eva_request_add_header (req, "Cache-Control", "private, no-store");
  eva_request_reply_raw (req, 200, "text/plain; version=0.0.4; charset=utf-8", body);
}

void
eva_api_metrics (EvaRequest *req)
{
  const char *token = eva_request_get_config (req)->metrics_token;
  const char *auth = eva_request_header (req, "Authorization");
  const char *given;

  if (token == NULL)
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "Not found");
      return;
    }
  given = auth != NULL && g_str_has_prefix (auth, "Bearer ") ? auth + strlen ("Bearer ") : NULL;
  if (given == NULL || strlen (given) != strlen (token) ||
      sodium_memcmp (given, token, strlen (token)) != 0)
    {
      eva_request_add_header (req, "WWW-Authenticate", "Bearer realm=\"everato-metrics\"");
      eva_request_reply_error (req, 401, "unauthorized", NULL, "The metrics token is missing or wrong");
      return;
    }
  eva_request_run (req, metrics_work, NULL, NULL);
}
