/* eva-qr.c: QR codes as SVG, for tickets in e-mails, on the web and in PDFs
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <cairo.h>
#include <qrencode.h>

#include "eva-error.h"
#include "eva-qr.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
qrcode_free (QRcode *qr)
{
  QRcode_free (qr);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QRcode, qrcode_free)

static gboolean
module_is_dark (const QRcode *qr,
                int           x,
                int           y)
{
  return (qr->data[y * qr->width + x] & 1) != 0;
}

/* The symbol of @text, or NULL with an error. */
static QRcode *
encode (const char  *text,
        GError     **error)
{
  QRcode *qr;

  if (*text == '\0')
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "cannot make a QR code of empty text");
      return NULL;
    }

  errno = 0;
  qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (qr == NULL)
    {
      int saved_errno = errno;

      if (saved_errno == ERANGE || saved_errno == EINVAL)
        g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                     "text is too long for a QR code");
      else
        g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL,
                     "could not make a QR code: %s", g_strerror (saved_errno));
    }
  return qr;
}

/* The symbol with its quiet zone, white on black, at (@x, @y) with
 * modules of @module user units. */
static void
draw (cairo_t      *cr,
      const QRcode *qr,
      double        x,
      double        y,
      double        module)
{
  double size = (qr->width + 2 * EVA_QR_QUIET_ZONE) * module;

  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x, y, size, size);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  /* One rectangle per horizontal run of dark modules. */
  for (int row = 0; row < qr->width; row++)
    for (int col = 0; col < qr->width;)
      {
        int start = col;

        while (col < qr->width && module_is_dark (qr, col, row))
          col++;
        if (col > start)
          cairo_rectangle (cr, x + (start + EVA_QR_QUIET_ZONE) * module,
                           y + (row + EVA_QR_QUIET_ZONE) * module,
                           (col - start) * module, module);
        else
          col++;
      }
  cairo_fill (cr);
  cairo_restore (cr);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_qr_svg:
 * @text: the text to encode (UTF-8; upper-case ticket codes use the compact
 *   alphanumeric mode)
 * @module_px: the size of one module in CSS pixels, 1 to 100
 *
 * Encodes @text at error correction level M in the smallest QR version
 * that fits, with a quiet zone of 4 modules, as a standalone SVG element:
 * a white background and one black path, crisp edges, no external
 * references, no XML declaration (so it can be inlined into HTML too).
 * The viewBox counts modules, so the image scales cleanly.
 *
 * Returns: (transfer full): the SVG, or %NULL with %EVA_ERROR_INVALID when
 *   @text is empty or too long for a QR code.
 */
char *
eva_qr_svg (const char  *text,
            guint        module_px,
            GError     **error)
{
  g_autoptr(QRcode) qr = NULL;
  g_autoptr(GString) svg = NULL;
  guint size;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (module_px >= 1 && module_px <= EVA_QR_MODULE_PX_MAX, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  qr = encode (text, error);
  if (qr == NULL)
    return NULL;

  size = (guint) qr->width + 2 * EVA_QR_QUIET_ZONE;
  svg = g_string_sized_new (4096);

  g_string_append_printf (svg,
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                          "width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
                          "shape-rendering=\"crispEdges\">"
                          "<rect width=\"%u\" height=\"%u\" fill=\"#fff\"/>"
                          "<path fill=\"#000\" d=\"",
                          size * module_px, size * module_px, size, size,
                          size, size);

  /* One closed rectangle per horizontal run of dark modules. */
  for (int y = 0; y < qr->width; y++)
    {
      int x = 0;

      while (x < qr->width)
        {
          int start;

          if (!module_is_dark (qr, x, y))
            {
              x++;
              continue;
            }

          start = x;
          while (x < qr->width && module_is_dark (qr, x, y))
            x++;

          g_string_append_printf (svg, "M%d %dh%dv1h-%dz",
                                  start + EVA_QR_QUIET_ZONE,
                                  y + EVA_QR_QUIET_ZONE,
                                  x - start, x - start);
        }
    }

  g_string_append (svg, "\"/></svg>");

  return g_string_free (g_steal_pointer (&svg), FALSE);
}

static cairo_status_t
append_png (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/**
 * eva_qr_png:
 * @text: what the symbol holds
 * @module_px: pixels per module
 *
 * The same symbol as eva_qr_svg(), as a black-on-white PNG (8-bit grey
 * would do; cairo writes RGB), quiet zone included.
 *
 * Returns: (transfer full): the PNG file's bytes, or %NULL with @error.
 */
GBytes *
eva_qr_png (const char  *text,
            guint        module_px,
            GError     **error)
{
  g_autoptr(QRcode) qr = NULL;
  g_autoptr(GByteArray) png = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  int size;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (module_px >= 1 && module_px <= EVA_QR_MODULE_PX_MAX, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  qr = encode (text, error);
  if (qr == NULL)
    return NULL;

  size = (qr->width + 2 * EVA_QR_QUIET_ZONE) * (int) module_px;
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, size, size);
  cr = cairo_create (surface);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  draw (cr, qr, 0, 0, module_px);
  cairo_destroy (cr);

  png = g_byte_array_sized_new (4096);
  status = cairo_surface_write_to_png_stream (surface, append_png, png);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "could not write a PNG: %s",
                   cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

/**
 * eva_qr_draw:
 * @cr: where to draw (any cairo surface: PDF pages keep it as vectors)
 * @text: what the symbol holds
 * @x, @y: the top left corner of the square, quiet zone included
 * @size: the square's side in user units
 *
 * Draws the same symbol as eva_qr_svg() filling the square.
 *
 * Returns: %FALSE with @error when @text cannot be a QR code.
 */
gboolean
eva_qr_draw (cairo_t     *cr,
             const char  *text,
             double       x,
             double       y,
             double       size,
             GError     **error)
{
  g_autoptr(QRcode) qr = NULL;

  g_return_val_if_fail (cr != NULL && text != NULL, FALSE);

  qr = encode (text, error);
  if (qr == NULL)
    return FALSE;
  draw (cr, qr, x, y, size / (qr->width + 2 * EVA_QR_QUIET_ZONE));
  return TRUE;
}
