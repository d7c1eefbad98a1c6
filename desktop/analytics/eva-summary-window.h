/* eva-summary-window.h: the figures of all events in a range of days
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"
#include "analytics/eva-chart.h"

G_BEGIN_DECLS

#define EVA_TYPE_SUMMARY_WINDOW (eva_summary_window_get_type ())

G_DECLARE_FINAL_TYPE (EvaSummaryWindow, eva_summary_window, EVA, SUMMARY_WINDOW, AdwWindow)

EvaSummaryWindow *eva_summary_window_new      (GtkWindow        *parent,
                                               EvaApiClient     *client);
void              eva_summary_window_reload   (EvaSummaryWindow *self);
/* @from and @to: "YYYY-MM-DD" or "" (no bound). */
void              eva_summary_window_set_range (EvaSummaryWindow *self,
                                               const char       *from,
                                               const char       *to);
void              eva_summary_window_set_data (EvaSummaryWindow *self,
                                               JsonObject       *summary);
EvaChart         *eva_summary_window_get_chart (EvaSummaryWindow *self);

G_END_DECLS
