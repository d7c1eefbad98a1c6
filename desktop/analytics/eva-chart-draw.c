/* eva-chart-draw.c: drawing an EvaChart with cairo and pango, for the
 * screen (its snapshot) and for paper (the PDF report)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-chart"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "analytics/eva-chart-private.h"

/* GNOME palette: the 3rd shades for light, the 2nd (lighter) for dark. */
static const guint32 palette_light[] = { 0x1c71d8, 0x2ec27e, 0xe5a50a, 0xe66100, 0x9141ac, 0xc01c28, 0x865e3c };
static const guint32 palette_dark[]  = { 0x62a0ea, 0x57e389, 0xf8e45c, 0xffa348, 0xc061cb, 0xf66151, 0xcdab8f };

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
set_rgb (cairo_t *cr,
         guint32  rgb,
         double   alpha)
{
  cairo_set_source_rgba (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                         (rgb & 0xff) / 255.0, alpha);
}

/* A value-axis label: minor digits only if the ticks need them. */
static char *
format_tick (EvaChart *self,
             double    value,
             double    step)
{
  double scale;
  guint decimals;
  g_autofree char *number = NULL;

  if (self->currency == NULL)
    return _eva_chart_format_number (value, fabs (step - round (step)) < 1e-9 ? 0 : 2);
  scale = _eva_chart_money_scale (self);
  decimals = fabs (step / scale - round (step / scale)) < 1e-9 ? 0 : _eva_chart_money_exponent (self);
  number = _eva_chart_format_number (value / scale, decimals);
  /* Translators: an amount of money and its currency, e.g. "1,250.00 EUR" */
  return g_strdup_printf (C_("money", "%s %s"), number, self->currency);
}

static PangoLayout *
make_layout (cairo_t    *cr,
             const char *text,
             double      size)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Sans");

  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static void
text_size (cairo_t    *cr,
           const char *text,
           double      size,
           int        *w,
           int        *h)
{
  g_autoptr(PangoLayout) layout = make_layout (cr, text, size);

  pango_layout_get_pixel_size (layout, w, h);
}

static void
show_text (cairo_t    *cr,
           const char *text,
           double      size,
           double      x,
           double      y,
           double      xalign)
{
  g_autoptr(PangoLayout) layout = make_layout (cr, text, size);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - w * xalign, y);
  pango_cairo_show_layout (cr, layout);
}

/* ------------------------------------------------------------------ */
/* Drawing                                                            */
/* ------------------------------------------------------------------ */

void
eva_chart_draw (EvaChart *self,
                cairo_t  *cr,
                int       width,
                int       height,
                gboolean  dark)
{
  const guint32 *palette = dark ? palette_dark : palette_light;
  guint n_palette = G_N_ELEMENTS (palette_light);
  double fg_r = dark ? 1 : 0, fg_alpha = dark ? 0.87 : 0.8;
  double font = 12, first, step;
  guint n_ticks;
  int label_w = 0, label_h = 0, legend_h = 0;
  double left, right, top, bottom, plot_h, band, zero_y;
  guint label_every;

  g_return_if_fail (EVA_IS_CHART (self));

  cairo_save (cr);
  eva_chart_get_axis (self, &first, &step, &n_ticks);

  /* Margins from the widest tick label. */
  for (guint t = 0; t < n_ticks; t++)
    {
      g_autofree char *text = format_tick (self, first + t * step, step);
      int w, h;

      text_size (cr, text, font, &w, &h);
      label_w = MAX (label_w, w);
      label_h = MAX (label_h, h);
    }
  if (self->series->len > 1)
    legend_h = label_h + 8;
  left = label_w + 10;
  right = width - 8;
  top = 8 + legend_h;
  bottom = height - label_h - 10;
  if (right - left < 20 || bottom - top < 20)
    {
      cairo_restore (cr);
      return;
    }
  plot_h = bottom - top;
  self->plot_x = left;
  self->plot_w = right - left;

#define Y_OF(v) (bottom - ((v) - first) / (step * (n_ticks - 1)) * plot_h)

  /* Legend. */
  if (legend_h > 0)
    {
      double x = left;

      for (guint s = 0; s < self->series->len; s++)
        {
          EvaChartSeries *series = g_ptr_array_index (self->series, s);
          int w, h;

          set_rgb (cr, palette[s % n_palette], 1);
          cairo_rectangle (cr, x, 4 + label_h / 2.0 - 5, 10, 10);
          cairo_fill (cr);
          cairo_set_source_rgba (cr, fg_r, fg_r, fg_r, fg_alpha);
          show_text (cr, series->name, font, x + 14, 4, 0);
          text_size (cr, series->name, font, &w, &h);
          x += 14 + w + 16;
        }
    }

  /* Grid and value labels. */
  cairo_set_line_width (cr, 1);
  for (guint t = 0; t < n_ticks; t++)
    {
      double v = first + t * step;
      double y = round (Y_OF (v)) + 0.5;
      g_autofree char *text = format_tick (self, v, step);

      cairo_set_source_rgba (cr, fg_r, fg_r, fg_r, fabs (v) < step / 2 ? 0.45 : 0.12);
      cairo_move_to (cr, left, y);
      cairo_line_to (cr, right, y);
      cairo_stroke (cr);
      cairo_set_source_rgba (cr, fg_r, fg_r, fg_r, fg_alpha * 0.8);
      show_text (cr, text, font, left - 6, y - label_h / 2.0, 1);
    }

  if (self->n_points == 0 || self->series->len == 0)
    {
      cairo_set_source_rgba (cr, fg_r, fg_r, fg_r, 0.55);
      show_text (cr, _("No data yet"), font * 1.2, (left + right) / 2, top + plot_h / 2 - font, 0.5);
      cairo_restore (cr);
      return;
    }

  band = (right - left) / self->n_points;
  zero_y = Y_OF (0);

  /* Highlight of the hovered or selected point. */
  for (int pass = 0; pass < 2; pass++)
    {
      int p = pass == 0 ? self->hover : self->selected;

      if (p < 0 || (guint) p >= self->n_points)
        continue;
      cairo_set_source_rgba (cr, fg_r, fg_r, fg_r, pass == 0 ? 0.06 : 0.12);
      cairo_rectangle (cr, left + p * band, top, band, plot_h);
      cairo_fill (cr);
    }

  if (self->kind == EVA_CHART_BARS)
    {
      double gap = MIN (band * 0.2, 6);
      double inset = 0;

      /* A few points are bars, not walls. */
      if (band - gap > 72)
        inset = (band - gap - 72) / 2;
      for (guint p = 0; p < self->n_points; p++)
        {
          double up = 0, down = 0;

          for (guint s = 0; s < self->series->len; s++)
            {
              double v = ((EvaChartSeries *) g_ptr_array_index (self->series, s))->values[p];
              double from, to;

              if (!isfinite (v) || v == 0)
                continue;
              if (v > 0)
                {
                  from = up;
                  to = up += v;
                }
              else
                {
                  from = down;
                  to = down += v;
                }
              set_rgb (cr, palette[s % n_palette], 0.9);
              cairo_rectangle (cr, left + p * band + gap / 2 + inset, MIN (Y_OF (from), Y_OF (to)),
                               MAX (band - gap - 2 * inset, 1), MAX (fabs (Y_OF (to) - Y_OF (from)), 1));
              cairo_fill (cr);
            }
        }
    }
  else
    {
      g_autofree double *below = g_new0 (double, self->n_points);

      for (guint s = 0; s < self->series->len; s++)
        {
          EvaChartSeries *series = g_ptr_array_index (self->series, s);
          g_autofree double *above = g_new (double, self->n_points);

          for (guint p = 0; p < self->n_points; p++)
            above[p] = below[p] + (isfinite (series->values[p]) ? series->values[p] : 0);

          /* The area between the previous line and this one. */
          cairo_new_path (cr);
          for (guint p = 0; p < self->n_points; p++)
            cairo_line_to (cr, left + (p + 0.5) * band, Y_OF (above[p]));
          for (guint p = self->n_points; p-- > 0;)
            cairo_line_to (cr, left + (p + 0.5) * band, Y_OF (below[p]));
          cairo_close_path (cr);
          set_rgb (cr, palette[s % n_palette], 0.3);
          cairo_fill (cr);

          cairo_new_path (cr);
          for (guint p = 0; p < self->n_points; p++)
            cairo_line_to (cr, left + (p + 0.5) * band, Y_OF (above[p]));
          set_rgb (cr, palette[s % n_palette], 1);
          cairo_set_line_width (cr, 2);
          cairo_stroke (cr);
          if (self->n_points == 1 || (self->selected >= 0 && (guint) self->selected < self->n_points))
            {
              guint p = self->n_points == 1 ? 0 : (guint) self->selected;

              cairo_arc (cr, left + (p + 0.5) * band, Y_OF (above[p]), 3.5, 0, 2 * G_PI);
              cairo_fill (cr);
            }
          memcpy (below, above, sizeof (double) * self->n_points);
        }
    }

  /* Zero line over the bars. */
  cairo_set_source_rgba (cr, fg_r, fg_r, fg_r, 0.5);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, left, round (zero_y) + 0.5);
  cairo_line_to (cr, right, round (zero_y) + 0.5);
  cairo_stroke (cr);

  /* Point labels, as many as fit. */
  {
    int widest = 0;

    for (guint p = 0; p < self->n_points; p++)
      {
        g_autofree char *text = eva_chart_point_label (self, p);
        int w, h;

        text_size (cr, text, font, &w, &h);
        widest = MAX (widest, w);
      }
    label_every = (guint) ceil ((widest + 12) / band);
    label_every = MAX (label_every, 1);
    cairo_set_source_rgba (cr, fg_r, fg_r, fg_r, fg_alpha * 0.8);
    for (guint p = 0; p < self->n_points; p += label_every)
      {
        g_autofree char *text = eva_chart_point_label (self, p);
        int w, h;
        double x;

        /* Centred under the point, but never cut at the edges. */
        text_size (cr, text, font, &w, &h);
        x = CLAMP (left + (p + 0.5) * band - w / 2.0, 2, MAX (2, width - w - 2));
        show_text (cr, text, font, x, bottom + 4, 0);
      }
  }
#undef Y_OF
  cairo_restore (cr);
}
