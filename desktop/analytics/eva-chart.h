/* eva-chart.h: a chart of one or more series over time or categories,
 * drawn with cairo, readable from the keyboard and as a table
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  EVA_CHART_BARS,     /* one bar a point, the series stacked */
  EVA_CHART_LINES,    /* the series stacked as areas under lines */
} EvaChartKind;

#define EVA_TYPE_CHART (eva_chart_get_type ())

G_DECLARE_FINAL_TYPE (EvaChart, eva_chart, EVA, CHART, GtkWidget)

GtkWidget  *eva_chart_new              (void);
void        eva_chart_set_kind         (EvaChart           *self,
                                        EvaChartKind        kind);
EvaChartKind eva_chart_get_kind        (EvaChart           *self);
void        eva_chart_set_title        (EvaChart           *self,
                                        const char         *title);
const char *eva_chart_get_title        (EvaChart           *self);
/* Values are minor units of @currency (NULL: plain counts). */
void        eva_chart_set_currency     (EvaChart           *self,
                                        const char         *currency);

/* The points: either instants (unix seconds, shown in @tz, labelled by
 * @unit "hour", "day" or "week") or named categories. Both drop the
 * series. */
void        eva_chart_set_times        (EvaChart           *self,
                                        const gint64       *times,
                                        guint               n,
                                        GTimeZone          *tz,
                                        const char         *unit);
void        eva_chart_set_categories   (EvaChart           *self,
                                        const char * const *labels);
/* @values has one value a point. */
void        eva_chart_add_series       (EvaChart           *self,
                                        const char         *name,
                                        const double       *values);
void        eva_chart_clear            (EvaChart           *self);

guint       eva_chart_get_n_points     (EvaChart           *self);
guint       eva_chart_get_n_series     (EvaChart           *self);
double      eva_chart_get_value        (EvaChart           *self,
                                        guint               series,
                                        guint               point);
/* The point chosen with the keyboard, or -1. */
int         eva_chart_get_selected     (EvaChart           *self);
void        eva_chart_set_selected     (EvaChart           *self,
                                        int                 point);

char       *eva_chart_format_value     (EvaChart           *self,
                                        double              value);
char       *eva_chart_point_label      (EvaChart           *self,
                                        guint               point);
/* "Sat 28 Mar: Early 2, Regular 4 (total 6)" */
char       *eva_chart_describe_point   (EvaChart           *self,
                                        guint               point);
/* The value axis: the range drawn and its ticks. */
void        eva_chart_get_axis         (EvaChart           *self,
                                        double             *first,
                                        double             *step,
                                        guint              *n_ticks);

/* Draws the chart on @cr in @width × @height (for the widget, and for
 * printing with @dark FALSE). */
void        eva_chart_draw             (EvaChart           *self,
                                        cairo_t            *cr,
                                        int                 width,
                                        int                 height,
                                        gboolean            dark);

/* The same data as a grid of labels: a row a point, a column a series and
 * the total. */
GtkWidget  *eva_chart_create_table     (EvaChart           *self);

/* Ticks for values in [@lo, @hi]: at most @max_ticks multiples of 1, 2 or
 * 5 × 10^k from *@first by *@step that cover the range and 0 (whole
 * numbers when @integers). FALSE for a range that is not finite. */
gboolean    eva_chart_nice_ticks       (double              lo,
                                        double              hi,
                                        guint               max_ticks,
                                        gboolean            integers,
                                        double             *first,
                                        double             *step,
                                        guint              *n_ticks);

G_END_DECLS
