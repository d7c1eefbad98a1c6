/* eva-chart.c: a chart of one or more series over time or categories
 *
 * Drawn with cairo (one function for the screen and for the PDF report),
 * no web view. The value axis gets 1-2-5 ticks that include zero (refunds
 * make negative values: they stack downwards from it); numbers, money and
 * dates are formatted for the user's locale. The pointer shows a point's
 * values as a tooltip; the chart takes focus and the arrow keys (Home,
 * End) walk through the points, each announced as the accessible
 * description (actions chart.previous, .next, .first, .last).
 * eva_chart_create_table() gives the same data as a table.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-chart"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#include <adwaita.h>

#include "eva-common.h"
#include "analytics/eva-chart-private.h"

#define MAX_TICKS 6

G_DEFINE_FINAL_TYPE (EvaChart, eva_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_KIND,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];


/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
set_str (char       **field,
         const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
series_free (gpointer data)
{
  EvaChartSeries *s = data;

  g_free (s->name);
  g_free (s->values);
  g_free (s);
}

guint
_eva_chart_money_exponent (EvaChart *self)
{
  const EvaCurrency *cur = self->currency != NULL ? eva_currency_lookup (self->currency) : NULL;

  return cur != NULL ? cur->exponent : 0;
}

double
_eva_chart_money_scale (EvaChart *self)
{
  return pow (10, _eva_chart_money_exponent (self));
}

/* A number with the locale's grouping and decimal mark. */
char *
_eva_chart_format_number (double value,
               guint  decimals)
{
  return g_strdup_printf ("%'.*f", (int) decimals, value);
}

/* The stacked extent of a point: sum of positives and of negatives. */
void
_eva_chart_point_extent (EvaChart *self,
              guint     point,
              double   *neg,
              double   *pos)
{
  *neg = *pos = 0;
  for (guint s = 0; s < self->series->len; s++)
    {
      double v = ((EvaChartSeries *) g_ptr_array_index (self->series, s))->values[point];

      if (!isfinite (v))
        continue;
      if (v < 0)
        *neg += v;
      else
        *pos += v;
    }
}

static double
point_total (EvaChart *self,
             guint     point)
{
  double neg, pos;

  _eva_chart_point_extent (self, point, &neg, &pos);
  return neg + pos;
}

static void
announce (EvaChart *self)
{
  g_autofree char *text = NULL;

  if (self->selected >= 0 && (guint) self->selected < self->n_points)
    text = eva_chart_describe_point (self, self->selected);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text != NULL ? text : "",
                                  -1);
}

static void
data_changed (EvaChart *self)
{
  if (self->selected >= (int) self->n_points)
    self->selected = self->n_points > 0 ? (int) self->n_points - 1 : -1;
  self->hover = -1;
  announce (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static int
point_at (EvaChart *self,
          double    x)
{
  double band;
  int i;

  if (self->n_points == 0 || self->plot_w <= 0)
    return -1;
  band = self->plot_w / self->n_points;
  i = (int) floor ((x - self->plot_x) / band);
  if (i < 0 || (guint) i >= self->n_points)
    return -1;
  return i;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

/* chart.previous, chart.next, chart.first, chart.last: bound to the
 * arrow keys, Home and End. */
static void
move_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  EvaChart *self = EVA_CHART (widget);
  int last = (int) self->n_points - 1;
  int next = self->selected;

  if (self->n_points == 0)
    return;
  if (g_str_equal (action_name, "chart.previous"))
    next = self->selected <= 0 ? 0 : self->selected - 1;
  else if (g_str_equal (action_name, "chart.next"))
    next = self->selected < 0 ? 0 : MIN (self->selected + 1, last);
  else if (g_str_equal (action_name, "chart.first"))
    next = 0;
  else
    next = last;
  eva_chart_set_selected (self, next);
}

static void
motion_cb (EvaChart                 *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *controller)
{
  int p = point_at (self, x);

  if (p != self->hover)
    {
      self->hover = p;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
leave_cb (EvaChart                 *self,
          GtkEventControllerMotion *controller)
{
  self->hover = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
pressed_cb (EvaChart        *self,
            int              n_press,
            double           x,
            double           y,
            GtkGestureClick *gesture)
{
  int p = point_at (self, x);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (p >= 0)
    eva_chart_set_selected (self, p);
}

static gboolean
query_tooltip_cb (EvaChart   *self,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip)
{
  int p = keyboard ? self->selected : point_at (self, x);
  g_autofree char *text = NULL;

  if (p < 0 || (guint) p >= self->n_points || self->series->len == 0)
    return FALSE;
  text = eva_chart_describe_point (self, p);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
dark_changed_cb (EvaChart *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_chart_snapshot (GtkWidget   *widget,
                    GtkSnapshot *snapshot)
{
  EvaChart *self = EVA_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  eva_chart_draw (self, cr, width, height, dark);
  if (gtk_widget_has_visible_focus (widget))
    {
      cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.8);
      cairo_set_line_width (cr, 2);
      cairo_rectangle (cr, 1, 1, width - 2, height - 2);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

static void
eva_chart_measure (GtkWidget      *widget,
                   GtkOrientation  orientation,
                   int             for_size,
                   int            *minimum,
                   int            *natural,
                   int            *minimum_baseline,
                   int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 160;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 220;
}

static void
eva_chart_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  EvaChart *self = EVA_CHART (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_chart_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  EvaChart *self = EVA_CHART (object);

  switch (prop_id)
    {
    case PROP_KIND:
      eva_chart_set_kind (self, g_value_get_int (value));
      break;
    case PROP_TITLE:
      eva_chart_set_title (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_chart_dispose (GObject *object)
{
  EvaChart *self = EVA_CHART (object);

  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  G_OBJECT_CLASS (eva_chart_parent_class)->dispose (object);
}

static void
eva_chart_finalize (GObject *object)
{
  EvaChart *self = EVA_CHART (object);

  g_free (self->title);
  g_free (self->currency);
  g_free (self->times);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_free (self->unit);
  g_strfreev (self->labels);
  g_ptr_array_unref (self->series);
  G_OBJECT_CLASS (eva_chart_parent_class)->finalize (object);
}

static void
eva_chart_class_init (EvaChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = eva_chart_get_property;
  object_class->set_property = eva_chart_set_property;
  object_class->dispose = eva_chart_dispose;
  object_class->finalize = eva_chart_finalize;
  widget_class->snapshot = eva_chart_snapshot;
  widget_class->measure = eva_chart_measure;

  properties[PROP_KIND] =
    g_param_spec_int ("kind", NULL, NULL, EVA_CHART_BARS, EVA_CHART_LINES, EVA_CHART_BARS,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "chart.previous", NULL, move_action);
  gtk_widget_class_install_action (widget_class, "chart.next", NULL, move_action);
  gtk_widget_class_install_action (widget_class, "chart.first", NULL, move_action);
  gtk_widget_class_install_action (widget_class, "chart.last", NULL, move_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "chart.previous", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Left, 0, "chart.previous", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "chart.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Right, 0, "chart.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "chart.first", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Home, 0, "chart.first", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "chart.last", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_End, 0, "chart.last", NULL);
  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
eva_chart_init (EvaChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->series = g_ptr_array_new_with_free_func (series_free);
  self->selected = -1;
  self->hover = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  g_signal_connect_swapped (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect_swapped (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);
  g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark",
                            G_CALLBACK (dark_changed_cb), self);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_chart_new (void)
{
  return g_object_new (EVA_TYPE_CHART, NULL);
}

void
eva_chart_set_kind (EvaChart     *self,
                    EvaChartKind  kind)
{
  g_return_if_fail (EVA_IS_CHART (self));

  if (self->kind == kind)
    return;
  self->kind = kind;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

EvaChartKind
eva_chart_get_kind (EvaChart *self)
{
  g_return_val_if_fail (EVA_IS_CHART (self), EVA_CHART_BARS);
  return self->kind;
}

void
eva_chart_set_title (EvaChart   *self,
                     const char *title)
{
  g_return_if_fail (EVA_IS_CHART (self));

  if (!set_str (&self->title, title))
    return;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  title != NULL ? title : "", -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
eva_chart_get_title (EvaChart *self)
{
  g_return_val_if_fail (EVA_IS_CHART (self), NULL);
  return self->title;
}

void
eva_chart_set_currency (EvaChart   *self,
                        const char *currency)
{
  g_return_if_fail (EVA_IS_CHART (self));

  set_str (&self->currency, currency);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
eva_chart_clear (EvaChart *self)
{
  g_return_if_fail (EVA_IS_CHART (self));

  g_ptr_array_set_size (self->series, 0);
  g_clear_pointer (&self->times, g_free);
  g_clear_pointer (&self->labels, g_strfreev);
  self->n_points = 0;
  data_changed (self);
}

void
eva_chart_set_times (EvaChart     *self,
                     const gint64 *times,
                     guint         n,
                     GTimeZone    *tz,
                     const char   *unit)
{
  int keep;

  g_return_if_fail (EVA_IS_CHART (self));
  g_return_if_fail (n == 0 || times != NULL);

  /* New figures keep the point chosen (a refresh must not move it). */
  keep = self->selected;
  eva_chart_clear (self);
  self->selected = keep;
  self->times = g_memdup2 (times, sizeof (gint64) * MAX (n, 1));
  self->n_points = n;
  g_clear_pointer (&self->tz, g_time_zone_unref);
  self->tz = tz != NULL ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  set_str (&self->unit, unit != NULL ? unit : "day");
  data_changed (self);
}

void
eva_chart_set_categories (EvaChart           *self,
                          const char * const *labels)
{
  int keep;

  g_return_if_fail (EVA_IS_CHART (self));

  keep = self->selected;
  eva_chart_clear (self);
  self->selected = keep;
  self->labels = g_strdupv ((char **) labels);
  self->n_points = labels != NULL ? g_strv_length (self->labels) : 0;
  data_changed (self);
}

void
eva_chart_add_series (EvaChart     *self,
                      const char   *name,
                      const double *values)
{
  EvaChartSeries *s;

  g_return_if_fail (EVA_IS_CHART (self));
  g_return_if_fail (self->n_points == 0 || values != NULL);

  s = g_new0 (EvaChartSeries, 1);
  s->name = g_strdup (name != NULL ? name : "");
  s->values = g_new0 (double, MAX (self->n_points, 1));
  if (self->n_points > 0)
    memcpy (s->values, values, sizeof (double) * self->n_points);
  g_ptr_array_add (self->series, s);
  data_changed (self);
}

guint
eva_chart_get_n_points (EvaChart *self)
{
  g_return_val_if_fail (EVA_IS_CHART (self), 0);
  return self->n_points;
}

guint
eva_chart_get_n_series (EvaChart *self)
{
  g_return_val_if_fail (EVA_IS_CHART (self), 0);
  return self->series->len;
}

double
eva_chart_get_value (EvaChart *self,
                     guint     series,
                     guint     point)
{
  g_return_val_if_fail (EVA_IS_CHART (self), 0);
  g_return_val_if_fail (series < self->series->len && point < self->n_points, 0);
  return ((EvaChartSeries *) g_ptr_array_index (self->series, series))->values[point];
}

int
eva_chart_get_selected (EvaChart *self)
{
  g_return_val_if_fail (EVA_IS_CHART (self), -1);
  return self->selected;
}

void
eva_chart_set_selected (EvaChart *self,
                        int       point)
{
  g_return_if_fail (EVA_IS_CHART (self));

  if (point >= (int) self->n_points)
    point = (int) self->n_points - 1;
  if (point < -1)
    point = -1;
  if (point == self->selected)
    return;
  self->selected = point;
  announce (self);
  gtk_widget_trigger_tooltip_query (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

char *
eva_chart_format_value (EvaChart *self,
                        double    value)
{
  g_return_val_if_fail (EVA_IS_CHART (self), NULL);

  if (self->currency != NULL)
    {
      double major = value / _eva_chart_money_scale (self);
      g_autofree char *number = _eva_chart_format_number (major, _eva_chart_money_exponent (self));
      /* Translators: an amount of money and its currency, e.g. "1,250.00 EUR" */
      return g_strdup_printf (C_("money", "%s %s"), number, self->currency);
    }
  return _eva_chart_format_number (value, fabs (value - round (value)) < 1e-9 ? 0 : 2);
}

char *
eva_chart_point_label (EvaChart *self,
                       guint     point)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (EVA_IS_CHART (self), NULL);
  g_return_val_if_fail (point < self->n_points, NULL);

  if (self->labels != NULL)
    return g_strdup (self->labels[point]);
  utc = g_date_time_new_from_unix_utc (self->times[point]);
  local = g_date_time_to_timezone (utc, self->tz);
  if (g_strcmp0 (self->unit, "hour") == 0)
    /* Translators: an hour on a chart's axis, see g_date_time_format() */
    return g_date_time_format (local, _("%-d %b %H:%M"));
  if (g_strcmp0 (self->unit, "week") == 0)
    /* Translators: the Monday starting a week on a chart's axis */
    return g_date_time_format (local, _("%-d %b %Y"));
  /* Translators: a day on a chart's axis, see g_date_time_format() */
  return g_date_time_format (local, _("%a %-d %b"));
}

char *
eva_chart_describe_point (EvaChart *self,
                          guint     point)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *label = NULL;

  g_return_val_if_fail (EVA_IS_CHART (self), NULL);
  g_return_val_if_fail (point < self->n_points, NULL);

  label = eva_chart_point_label (self, point);
  g_string_append_printf (text, "%s: ", label);
  for (guint s = 0; s < self->series->len; s++)
    {
      EvaChartSeries *series = g_ptr_array_index (self->series, s);
      g_autofree char *value = eva_chart_format_value (self, series->values[point]);

      if (s > 0)
        g_string_append (text, ", ");
      if (self->series->len > 1 || *series->name != '\0')
        g_string_append_printf (text, "%s %s", series->name, value);
      else
        g_string_append (text, value);
    }
  if (self->series->len > 1)
    {
      g_autofree char *total = eva_chart_format_value (self, point_total (self, point));

      /* Translators: after a point's values on a chart */
      g_string_append_printf (text, _(" (total %s)"), total);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

gboolean
eva_chart_nice_ticks (double    lo,
                      double    hi,
                      guint     max_ticks,
                      gboolean  integers,
                      double   *first,
                      double   *step,
                      guint    *n_ticks)
{
  double span, raw, mag, norm, nice, last;

  g_return_val_if_fail (first != NULL && step != NULL && n_ticks != NULL, FALSE);

  *first = 0;
  *step = 1;
  *n_ticks = 2;
  if (!isfinite (lo) || !isfinite (hi))
    return FALSE;
  max_ticks = MAX (max_ticks, 2);
  if (lo > hi)
    {
      double t = lo;

      lo = hi;
      hi = t;
    }
  lo = MIN (lo, 0);
  hi = MAX (hi, 0);
  if (hi == lo)
    hi = lo + 1;
  span = hi - lo;
  raw = span / (max_ticks - 1);
  mag = pow (10, floor (log10 (raw)));
  norm = raw / mag;
  if (norm <= 1)
    nice = 1;
  else if (norm <= 2)
    nice = 2;
  else if (norm <= 5)
    nice = 5;
  else
    nice = 10;
  *step = nice * mag;
  if (integers && *step < 1)
    *step = 1;
  *first = floor (lo / *step) * *step;
  last = ceil (hi / *step) * *step;
  *n_ticks = (guint) llround ((last - *first) / *step) + 1;
  /* Rounding both ends out may add one tick too many: widen the step. */
  while (*n_ticks > max_ticks + 1)
    {
      *step *= 2;
      *first = floor (lo / *step) * *step;
      last = ceil (hi / *step) * *step;
      *n_ticks = (guint) llround ((last - *first) / *step) + 1;
    }
  if (*n_ticks < 2)
    *n_ticks = 2;
  return TRUE;
}

void
eva_chart_get_axis (EvaChart *self,
                    double   *first,
                    double   *step,
                    guint    *n_ticks)
{
  double lo = 0, hi = 0;
  double scale;
  gboolean stacked = TRUE;

  g_return_if_fail (EVA_IS_CHART (self));

  for (guint p = 0; p < self->n_points; p++)
    {
      double neg, pos;

      if (stacked && self->kind == EVA_CHART_LINES)
        {
          /* Areas stack the signed values. */
          double run = 0;

          for (guint s = 0; s < self->series->len; s++)
            {
              double v = ((EvaChartSeries *) g_ptr_array_index (self->series, s))->values[p];

              run += isfinite (v) ? v : 0;
              lo = MIN (lo, run);
              hi = MAX (hi, run);
            }
          continue;
        }
      _eva_chart_point_extent (self, p, &neg, &pos);
      lo = MIN (lo, neg);
      hi = MAX (hi, pos);
    }
  /* Money ticks fall on round amounts of the major unit. */
  scale = self->currency != NULL ? _eva_chart_money_scale (self) : 1;
  if (!eva_chart_nice_ticks (lo / scale, hi / scale, MAX_TICKS, self->currency == NULL,
                             first, step, n_ticks))
    eva_chart_nice_ticks (0, 1, MAX_TICKS, TRUE, first, step, n_ticks);
  *first *= scale;
  *step *= scale;
}

GtkWidget *
eva_chart_create_table (EvaChart *self)
{
  GtkWidget *grid;
  guint col = 1;

  g_return_val_if_fail (EVA_IS_CHART (self), NULL);

  grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_widget_add_css_class (grid, "chart-table");
  if (self->title != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (grid), GTK_ACCESSIBLE_PROPERTY_LABEL, self->title, -1);

  for (guint s = 0; s < self->series->len; s++)
    {
      EvaChartSeries *series = g_ptr_array_index (self->series, s);
      GtkWidget *head = gtk_label_new (*series->name != '\0' ? series->name : _("Value"));

      gtk_label_set_xalign (GTK_LABEL (head), 1);
      gtk_widget_add_css_class (head, "heading");
      gtk_grid_attach (GTK_GRID (grid), head, col++, 0, 1, 1);
    }
  if (self->series->len > 1)
    {
      GtkWidget *head = gtk_label_new (_("Total"));

      gtk_label_set_xalign (GTK_LABEL (head), 1);
      gtk_widget_add_css_class (head, "heading");
      gtk_grid_attach (GTK_GRID (grid), head, col, 0, 1, 1);
    }
  for (guint p = 0; p < self->n_points; p++)
    {
      g_autofree char *label = eva_chart_point_label (self, p);
      GtkWidget *name = gtk_label_new (label);

      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_grid_attach (GTK_GRID (grid), name, 0, p + 1, 1, 1);
      for (guint s = 0; s <= self->series->len; s++)
        {
          g_autofree char *text = NULL;
          GtkWidget *cell;

          if (s == self->series->len && self->series->len < 2)
            break;
          text = eva_chart_format_value (self, s < self->series->len
                                                 ? eva_chart_get_value (self, s, p)
                                                 : point_total (self, p));
          cell = gtk_label_new (text);
          gtk_label_set_xalign (GTK_LABEL (cell), 1);
          gtk_widget_add_css_class (cell, "numeric");
          gtk_grid_attach (GTK_GRID (grid), cell, s + 1, p + 1, 1, 1);
        }
    }
  if (self->n_points == 0)
    gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_("No data yet")), 0, 1, 1, 1);
  return grid;
}
