/* eva-metrics.c: this process's request counters for GET /metrics
 *
 * Per route (its pattern, so the label set stays as small as the route
 * table; the site and unmatched paths are one "site" route) and method:
 * requests by status, and a latency histogram with Prometheus' default
 * buckets. One mutex; an observation is a hash look-up and a few adds.
 * The counters are per process, as Prometheus expects of each target
 * (sum them over the replicas).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-metrics"

#include "config.h"

#include "http/eva-metrics.h"

static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS G_N_ELEMENTS (buckets)

typedef struct
{
  char       *method;
  char       *route;
  GHashTable *statuses;             /* status → count (as pointers) */
  guint64     le[N_BUCKETS];        /* observations ≤ each bucket (not cumulative here) */
  guint64     count;
  double      sum_s;
} RouteStats;

static GMutex lock;
static GHashTable *routes;          /* "METHOD route" → RouteStats */

static void
route_stats_free (RouteStats *r)
{
  g_free (r->method);
  g_free (r->route);
  g_hash_table_unref (r->statuses);
  g_free (r);
}

void
eva_metrics_observe_request (const char *method,
                             const char *route,
                             guint       status,
                             gint64      elapsed_us)
{
  g_autofree char *key = NULL;
  double seconds = elapsed_us / (double) G_USEC_PER_SEC;
  RouteStats *r;
  gpointer count;

  if (route == NULL)
    {
      route = "site";
      method = "GET";
    }
  key = g_strconcat (method, " ", route, NULL);

  g_mutex_lock (&lock);
  if (routes == NULL)
    routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) route_stats_free);
  r = g_hash_table_lookup (routes, key);
  if (r == NULL)
    {
      r = g_new0 (RouteStats, 1);
      r->method = g_strdup (method);
      r->route = g_strdup (route);
      r->statuses = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_hash_table_insert (routes, g_steal_pointer (&key), r);
    }
  count = g_hash_table_lookup (r->statuses, GUINT_TO_POINTER (status));
  g_hash_table_insert (r->statuses, GUINT_TO_POINTER (status), GSIZE_TO_POINTER (GPOINTER_TO_SIZE (count) + 1));
  for (guint i = 0; i < N_BUCKETS; i++)
    if (seconds <= buckets[i])
      {
        r->le[i]++;
        break;
      }
  r->count++;
  r->sum_s += seconds;
  g_mutex_unlock (&lock);
}

/* A label value: backslash, double quote and newline escaped. */
static void
append_label (GString    *out,
              const char *value)
{
  for (const char *c = value; *c != '\0'; c++)
    {
      if (*c == '\\' || *c == '"')
        g_string_append_c (out, '\\');
      if (*c == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *c);
    }
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

void
eva_metrics_render_requests (GString *out)
{
  g_autofree gpointer *keys = NULL;
  guint n = 0;

  g_mutex_lock (&lock);
  if (routes != NULL)
    keys = g_hash_table_get_keys_as_array (routes, &n);
  if (keys != NULL)
    qsort (keys, n, sizeof *keys, compare_keys);

  g_string_append (out, "# HELP everato_http_requests_total Requests answered by this process, by route and status.\n"
                        "# TYPE everato_http_requests_total counter\n");
  for (guint i = 0; i < n; i++)
    {
      RouteStats *r = g_hash_table_lookup (routes, keys[i]);
      GHashTableIter iter;
      gpointer status, count;

      g_hash_table_iter_init (&iter, r->statuses);
      while (g_hash_table_iter_next (&iter, &status, &count))
        {
          g_string_append (out, "everato_http_requests_total{method=\"");
          append_label (out, r->method);
          g_string_append (out, "\",route=\"");
          append_label (out, r->route);
          g_string_append_printf (out, "\",status=\"%u\"} %" G_GSIZE_FORMAT "\n", GPOINTER_TO_UINT (status),
                                  GPOINTER_TO_SIZE (count));
        }
    }

  g_string_append (out, "# HELP everato_http_request_duration_seconds Time from the request's arrival to its answer.\n"
                        "# TYPE everato_http_request_duration_seconds histogram\n");
  for (guint i = 0; i < n; i++)
    {
      RouteStats *r = g_hash_table_lookup (routes, keys[i]);
      g_autoptr(GString) labels = g_string_new ("method=\"");
      guint64 cumulative = 0;

      append_label (labels, r->method);
      g_string_append (labels, "\",route=\"");
      append_label (labels, r->route);
      g_string_append_c (labels, '"');
      for (guint b = 0; b < N_BUCKETS; b++)
        {
          char le[G_ASCII_DTOSTR_BUF_SIZE];

          cumulative += r->le[b];
          g_ascii_formatd (le, sizeof le, "%g", buckets[b]);
          g_string_append_printf (out, "everato_http_request_duration_seconds_bucket{%s,le=\"%s\"} %" G_GUINT64_FORMAT "\n",
                                  labels->str, le, cumulative);
        }
      {
        char sum[G_ASCII_DTOSTR_BUF_SIZE];

        g_ascii_formatd (sum, sizeof sum, "%.6f", r->sum_s);
        g_string_append_printf (out, "everato_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %" G_GUINT64_FORMAT "\n"
                                     "everato_http_request_duration_seconds_sum{%s} %s\n"
                                     "everato_http_request_duration_seconds_count{%s} %" G_GUINT64_FORMAT "\n",
                                labels->str, r->count, labels->str, sum, labels->str, r->count);
      }
    }
  g_mutex_unlock (&lock);
}
