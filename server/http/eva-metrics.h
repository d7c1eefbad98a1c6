/* eva-metrics.h: this process's request counters for GET /metrics
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One request answered: @route is its pattern ("/api/v1/events/{id}"), or
 * NULL for the site and unmatched paths. Any thread. */
void eva_metrics_observe_request (const char *method,
                                  const char *route,
                                  guint       status,
                                  gint64      elapsed_us);

/* Appends the request counters and latency histograms in the Prometheus
 * text format (version 0.0.4) to @out. Any thread. */
void eva_metrics_render_requests (GString    *out);

G_END_DECLS
