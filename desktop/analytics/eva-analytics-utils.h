/* eva-analytics-utils.h: what the overview and the summary share —
 * localised figures, headline cards, boxed lists of figures, choosing a
 * file and writing to it, and the PDF report pages
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "analytics/eva-chart.h"

G_BEGIN_DECLS

/* "1,234.50 EUR" with the locale's grouping and decimal mark. */
char      *eva_analytics_format_money  (gint64       minor,
                                        const char  *currency);
char      *eva_analytics_format_count  (gint64       n);
char      *eva_analytics_format_rate   (double       rate);

/* A headline figure: a big value over a caption. */
GtkWidget *eva_analytics_figure_new    (const char  *value,
                                        const char  *caption);

/* A titled section whose chart can be switched to its table (the toggle
 * is a real button, so keyboard and screen readers reach the table). */
GtkWidget *eva_analytics_chart_section (const char  *title,
                                        EvaChart    *chart,
                                        GtkWidget   *extra);
/* Rebuilds the table of the section around @chart after new data. */
void       eva_analytics_section_update_table (EvaChart *chart);

/* Fills a chart with buckets (every bucket between the first and the last,
 * empty ones as zero) of @rows: the bucket_start of each row and, per
 * series, the value the callback gives. */
gint64    *eva_analytics_fill_buckets  (JsonArray   *rows,
                                        const char  *unit,
                                        GTimeZone   *tz,
                                        guint       *n);

typedef void (*EvaAnalyticsSaveFunc) (GtkWidget *owner,
                                      GFile     *file,
                                      gpointer   data);

/* A save dialog (GtkFileChooserNative: the portal inside Flatpak); on
 * accept, @func writes to the file chosen. */
void       eva_analytics_choose_file   (GtkWidget            *owner,
                                        const char           *title,
                                        const char           *name,
                                        gboolean              pdf,
                                        EvaAnalyticsSaveFunc  func,
                                        gpointer              data,
                                        GDestroyNotify        destroy);
/* Writes @bytes to @file off the main loop, then a toast. */
void       eva_analytics_write_file    (GtkWidget            *owner,
                                        GFile                *file,
                                        GBytes               *bytes);

/* A PDF of A4 pages: a title, lines of text and charts, one after the
 * other, a new page when one is full. */
typedef struct _EvaReport EvaReport;

EvaReport *eva_report_new              (const char  *title,
                                        const char  *subtitle);
void       eva_report_heading          (EvaReport   *report,
                                        const char  *text);
void       eva_report_line             (EvaReport   *report,
                                        const char  *label,
                                        const char  *value);
void       eva_report_chart            (EvaReport   *report,
                                        EvaChart    *chart);
GBytes    *eva_report_finish           (EvaReport   *report);

G_END_DECLS
