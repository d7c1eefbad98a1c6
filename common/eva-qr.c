/* eva-qr.c: QR codes as SVG, for tickets in e-mails, on the web and in PDFs
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <png.h>
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

/* The last symbols this thread made: a ticket mail draws each code
 * twice (its PNG, its PDF page), and choosing a QR mask is the costly
 * part of encoding. */
#define CACHE_SIZE 4

typedef struct
{
  char   *text[CACHE_SIZE];
  QRcode *qr[CACHE_SIZE];
  guint   next;
} Cache;

static void
cache_free (gpointer data)
{
  Cache *cache = data;

  for (guint i = 0; i < CACHE_SIZE; i++)
    {
      g_free (cache->text[i]);
      if (cache->qr[i] != NULL)
        QRcode_free (cache->qr[i]);
    }
  g_free (cache);
}

static GPrivate cache_key = G_PRIVATE_INIT (cache_free);

static QRcode *
qrcode_copy (const QRcode *qr)
{
  QRcode *copy = malloc (sizeof *copy);

  copy->version = qr->version;
  copy->width = qr->width;
  copy->data = malloc ((size_t) qr->width * qr->width);
  memcpy (copy->data, qr->data, (size_t) qr->width * qr->width);
  return copy;
}

static QRcode *
cache_lookup (Cache      *cache,
              const char *text)
{
  for (guint i = 0; i < CACHE_SIZE; i++)
    if (cache->text[i] != NULL && strcmp (cache->text[i], text) == 0)
      return qrcode_copy (cache->qr[i]);
  return NULL;
}

static void
cache_add (Cache        *cache,
           const char   *text,
           const QRcode *qr)
{
  guint i = cache->next++ % CACHE_SIZE;

  g_free (cache->text[i]);
  if (cache->qr[i] != NULL)
    QRcode_free (cache->qr[i]);
  cache->text[i] = g_strdup (text);
  cache->qr[i] = qrcode_copy (qr);
}

/* The symbol of @text (free with QRcode_free ()), or NULL with an error. */
static QRcode *
encode (const char  *text,
        GError     **error)
{
  Cache *cache = g_private_get (&cache_key);
  QRcode *qr;

  if (cache == NULL)
    {
      cache = g_new0 (Cache, 1);
      g_private_set (&cache_key, cache);
    }
  qr = cache_lookup (cache, text);
  if (qr != NULL)
    return qr;

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
  else
    cache_add (cache, text, qr);
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

static void
png_append_cb (png_structp  png,
               png_bytep    data,
               png_size_t   length)
{
  g_byte_array_append (png_get_io_ptr (png), data, length);
}

static void
png_flush_cb (png_structp png)
{
}

static void
png_error_cb (png_structp     png,
              png_const_charp message)
{
  png_longjmp (png, 1);
}

/**
 * eva_qr_png:
 * @text: what the symbol holds
 * @module_px: pixels per module
 *
 * The same symbol as eva_qr_svg(), as a black-on-white 1-bit greyscale
 * PNG, quiet zone included: a few kilobytes. libpng writes it with a
 * small deflate window and hash (the image is ~15 KB raw), which makes it
 * ten times faster than zlib's defaults and no bigger.
 *
 * Returns: (transfer full): the PNG file's bytes, or %NULL with @error.
 */
/* Writes @qr into @out as a PNG; FALSE when libpng fails. Nothing here
 * changes after setjmp () but what libpng owns. */
static gboolean
write_png (const QRcode *qr,
           guint         module_px,
           guint8       *row,
           GByteArray   *out)
{
  guint size = (guint) (qr->width + 2 * EVA_QR_QUIET_ZONE) * module_px;
  guint stride = (size + 7) / 8;
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, png_error_cb, NULL);
  png_infop info = png != NULL ? png_create_info_struct (png) : NULL;

  if (info == NULL)
    {
      png_destroy_write_struct (&png, NULL);
      return FALSE;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      return FALSE;
    }
  png_set_write_fn (png, out, png_append_cb, png_flush_cb);
  png_set_IHDR (png, info, size, size, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_filter (png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_compression_level (png, 6);
  png_set_compression_mem_level (png, 4);
  png_set_compression_window_bits (png, 12);
  png_write_info (png, info);

  /* Rows of modules: 1 bits are white (the quiet zone and light modules). */
  for (guint y = 0; y < size; y++)
    {
      int my = (int) (y / module_px) - EVA_QR_QUIET_ZONE;

      memset (row, 0xff, stride);
      if (my >= 0 && my < qr->width)
        for (int mx = 0; mx < qr->width; mx++)
          if (module_is_dark (qr, mx, my))
            for (guint px = (guint) (mx + EVA_QR_QUIET_ZONE) * module_px,
                       end = px + module_px; px < end; px++)
              row[px / 8] &= (guint8) ~(0x80 >> (px % 8));
      png_write_row (png, row);
    }
  png_write_end (png, info);
  png_destroy_write_struct (&png, &info);
  return TRUE;
}

GBytes *
eva_qr_png (const char  *text,
            guint        module_px,
            GError     **error)
{
  g_autoptr(QRcode) qr = NULL;
  g_autoptr(GByteArray) out = NULL;
  g_autofree guint8 *row = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (module_px >= 1 && module_px <= EVA_QR_MODULE_PX_MAX, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  qr = encode (text, error);
  if (qr == NULL)
    return NULL;

  out = g_byte_array_sized_new (2048);
  row = g_malloc ((((qr->width + 2 * EVA_QR_QUIET_ZONE) * module_px) + 7) / 8);
  if (!write_png (qr, module_px, row, out))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "could not write a PNG");
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/**
 * eva_qr_draw:
 * @cr: where to draw (any cairo surface: PDF pages keep it as vectors)
 * @text: what the symbol holds
 * @x, @y: the top left corner of the square, quiet zone included
 * @size: the square's side in user units
 *
 * Draws the same symbol as eva_qr_svg() filling the square, as an image
 * of one pixel a module scaled without smoothing.
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
  cairo_surface_t *image;
  cairo_pattern_t *pattern;
  cairo_matrix_t matrix;
  int modules;

  g_return_val_if_fail (cr != NULL && text != NULL, FALSE);

  qr = encode (text, error);
  if (qr == NULL)
    return FALSE;

  /* One pixel a module, scaled up without smoothing: on a PDF page a
   * small 1-bit image with /Interpolate false, sharp at any zoom and
   * much lighter than a path of rectangles. */
  modules = qr->width + 2 * EVA_QR_QUIET_ZONE;
  image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, modules, modules);
  {
    cairo_t *icr = cairo_create (image);

    cairo_set_antialias (icr, CAIRO_ANTIALIAS_NONE);
    draw (icr, qr, 0, 0, 1);
    cairo_destroy (icr);
  }
  pattern = cairo_pattern_create_for_surface (image);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  cairo_matrix_init_scale (&matrix, modules / size, modules / size);
  cairo_matrix_translate (&matrix, -x, -y);
  cairo_pattern_set_matrix (pattern, &matrix);
  cairo_save (cr);
  cairo_set_source (cr, pattern);
  cairo_rectangle (cr, x, y, size, size);
  cairo_fill (cr);
  cairo_restore (cr);
  cairo_pattern_destroy (pattern);
  cairo_surface_destroy (image);
  return TRUE;
}
