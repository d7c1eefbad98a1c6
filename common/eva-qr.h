/* eva-qr.h: QR codes as SVG and PNG
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

#define EVA_QR_QUIET_ZONE    4
#define EVA_QR_MODULE_PX_MAX 100

char *eva_qr_svg (const char  *text,
                  guint        module_px,
                  GError     **error);

GBytes *eva_qr_png (const char  *text,
                    guint        module_px,
                    GError     **error);

gboolean eva_qr_draw (cairo_t     *cr,
                      const char  *text,
                      double       x,
                      double       y,
                      double       size,
                      GError     **error);

G_END_DECLS
