/* eva-chart-private.h: what eva-chart.c and eva-chart-draw.c share
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "analytics/eva-chart.h"

G_BEGIN_DECLS

typedef struct
{
  char   *name;
  double *values;
} EvaChartSeries;

struct _EvaChart
{
  GtkWidget     parent_instance;

  EvaChartKind  kind;
  char         *title;
  char         *currency;
  guint         n_points;
  gint64       *times;        /* NULL: categories */
  GTimeZone    *tz;
  char         *unit;
  GStrv         labels;
  GPtrArray    *series;       /* of EvaChartSeries */
  int           selected;
  int           hover;

  /* The plot area of the last drawing, to find points under the pointer. */
  double        plot_x;
  double        plot_w;
};

guint   _eva_chart_money_exponent (EvaChart *self);
double  _eva_chart_money_scale    (EvaChart *self);
char   *_eva_chart_format_number  (double    value,
                                   guint     decimals);
void    _eva_chart_point_extent   (EvaChart *self,
                                   guint     point,
                                   double   *neg,
                                   double   *pos);

G_END_DECLS
