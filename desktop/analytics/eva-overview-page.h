/* eva-overview-page.h: an event's figures at a glance
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"
#include "api/eva-record.h"
#include "analytics/eva-chart.h"

G_BEGIN_DECLS

#define EVA_TYPE_OVERVIEW_PAGE (eva_overview_page_get_type ())

G_DECLARE_FINAL_TYPE (EvaOverviewPage, eva_overview_page, EVA, OVERVIEW_PAGE, GtkWidget)

GtkWidget  *eva_overview_page_new            (void);
void        eva_overview_page_set_client     (EvaOverviewPage *self,
                                              EvaApiClient    *client);
void        eva_overview_page_set_event      (EvaOverviewPage *self,
                                              EvaRecord       *event);
void        eva_overview_page_reload         (EvaOverviewPage *self);
/* Shows @analytics (the server's answer) as if it had just come. */
void        eva_overview_page_set_data       (EvaOverviewPage *self,
                                              JsonObject      *analytics);
/* Seconds between refreshes while the page is shown (0: none). */
void        eva_overview_page_set_refresh_interval (EvaOverviewPage *self,
                                              guint            seconds);
gboolean    eva_overview_page_get_loading    (EvaOverviewPage *self);
void        eva_overview_page_set_cumulative (EvaOverviewPage *self,
                                              gboolean         cumulative);
EvaChart   *eva_overview_page_get_sales_chart (EvaOverviewPage *self);
EvaChart   *eva_overview_page_get_revenue_chart (EvaOverviewPage *self);
EvaChart   *eva_overview_page_get_checkin_chart (EvaOverviewPage *self);
/* The PDF report of what is shown. */
GBytes     *eva_overview_page_create_report  (EvaOverviewPage *self);

G_END_DECLS
