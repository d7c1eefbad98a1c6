/* test-qr.c: QR codes as SVG
 *
 * The SVG is read back into a module matrix, compared with libqrencode's
 * own, checked for quiet zone and finder patterns, and (when zbar is
 * available) rendered and decoded again as the door scanner would.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-qr"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <qrencode.h>
#ifdef HAVE_ZBAR
# include <zbar.h>
#endif

#include "eva-common.h"

typedef struct {
  guint   size;        /* modules per side, quiet zone included */
  guint   width_px;
  guint8 *dark;        /* size × size */
} Matrix;

static void
matrix_free (Matrix *matrix)
{
  g_free (matrix->dark);
  g_free (matrix);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Matrix, matrix_free)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static Matrix *
matrix_from_svg (const char *svg)
{
  g_autoptr(Matrix) matrix = g_new0 (Matrix, 1);
  guint width = 0, height = 0, vb_w = 0, vb_h = 0;
  const char *attrs;
  const char *d;
  const char *end;

  g_assert_true (g_str_has_prefix (svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  g_assert_true (g_str_has_suffix (svg, "</svg>"));

  attrs = strstr (svg, "width=\"");
  g_assert_nonnull (attrs);
  g_assert_cmpint (sscanf (attrs, "width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\"",
                           &width, &height, &vb_w, &vb_h), ==, 4);
  g_assert_cmpuint (width, ==, height);
  g_assert_cmpuint (vb_w, ==, vb_h);
  g_assert_cmpuint (width % vb_w, ==, 0);

  matrix->size = vb_w;
  matrix->width_px = width;
  matrix->dark = g_new0 (guint8, (gsize) vb_w * vb_w);

  d = strstr (svg, " d=\"");
  g_assert_nonnull (d);
  d += 4;
  end = strchr (d, '"');
  g_assert_nonnull (end);

  while (d < end)
    {
      guint x, y, w, w2;
      int consumed = 0;

      g_assert_cmpint (sscanf (d, "M%u %uh%uv1h-%uz%n", &x, &y, &w, &w2, &consumed), ==, 4);
      g_assert_cmpuint (w, ==, w2);
      g_assert_cmpuint (w, >, 0);
      g_assert_cmpuint (x + w, <=, matrix->size);
      g_assert_cmpuint (y, <, matrix->size);

      for (guint i = 0; i < w; i++)
        {
          g_assert_false (matrix->dark[y * matrix->size + x + i]);   /* no overlaps */
          matrix->dark[y * matrix->size + x + i] = 1;
        }
      d += consumed;
    }

  return g_steal_pointer (&matrix);
}

static void
assert_matches_qrencode (const Matrix *matrix,
                         const char   *text)
{
  QRcode *qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  guint quiet = EVA_QR_QUIET_ZONE;

  g_assert_nonnull (qr);
  g_assert_cmpuint (matrix->size, ==, (guint) qr->width + 2 * quiet);

  for (guint y = 0; y < matrix->size; y++)
    for (guint x = 0; x < matrix->size; x++)
      {
        gboolean in_code = x >= quiet && y >= quiet &&
                           x < quiet + (guint) qr->width && y < quiet + (guint) qr->width;
        gboolean expected = in_code &&
                            (qr->data[(y - quiet) * (guint) qr->width + (x - quiet)] & 1) != 0;

        g_assert_cmpuint (matrix->dark[y * matrix->size + x], ==, expected);
      }

  QRcode_free (qr);
}

/* The 7×7 finder pattern: a dark ring, a light ring, a dark 3×3 core. */
static void
assert_finder (const Matrix *matrix,
               guint         left,
               guint         top)
{
  for (guint y = 0; y < 7; y++)
    for (guint x = 0; x < 7; x++)
      {
        guint ring = MIN (MIN (x, y), MIN (6 - x, 6 - y));
        gboolean expected = ring != 1;

        g_assert_cmpuint (matrix->dark[(top + y) * matrix->size + left + x], ==, expected);
      }
}

static void
assert_structure (const Matrix *matrix)
{
  guint q = EVA_QR_QUIET_ZONE;
  guint n = matrix->size - 2 * q;

  /* Versions 1–40 are 21–177 modules wide, in steps of 4. */
  g_assert_cmpuint (n, >=, 21);
  g_assert_cmpuint (n, <=, 177);
  g_assert_cmpuint ((n - 21) % 4, ==, 0);

  for (guint i = 0; i < matrix->size; i++)
    for (guint j = 0; j < q; j++)
      {
        g_assert_false (matrix->dark[j * matrix->size + i]);
        g_assert_false (matrix->dark[(matrix->size - 1 - j) * matrix->size + i]);
        g_assert_false (matrix->dark[i * matrix->size + j]);
        g_assert_false (matrix->dark[i * matrix->size + matrix->size - 1 - j]);
      }

  assert_finder (matrix, q, q);
  assert_finder (matrix, q + n - 7, q);
  assert_finder (matrix, q, q + n - 7);
}

#ifdef HAVE_ZBAR
/* Renders the matrix at 4 pixels per module and decodes it with zbar. */
static char *
decode_with_zbar (const Matrix *matrix)
{
  const guint scale = 4;
  guint side = matrix->size * scale;
  guint8 *pixels = g_malloc ((gsize) side * side);
  zbar_image_scanner_t *scanner = zbar_image_scanner_create ();
  zbar_image_t *image = zbar_image_create ();
  char *result = NULL;

  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      pixels[y * side + x] = matrix->dark[(y / scale) * matrix->size + x / scale] ? 0 : 255;

  zbar_image_scanner_set_config (scanner, 0, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  zbar_image_set_size (image, side, side);
  zbar_image_set_data (image, pixels, (unsigned long) side * side, zbar_image_free_data);

  if (zbar_scan_image (scanner, image) > 0)
    {
      const zbar_symbol_t *symbol = zbar_image_first_symbol (image);

      result = g_strndup (zbar_symbol_get_data (symbol), zbar_symbol_get_data_length (symbol));
    }

  zbar_image_destroy (image);
  zbar_image_scanner_destroy (scanner);
  return result;
}
#endif

static void
check_text (const char *text,
            guint       module_px)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *svg = eva_qr_svg (text, module_px, &error);
  g_autoptr(Matrix) matrix = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (svg);

  matrix = matrix_from_svg (svg);
  g_assert_cmpuint (matrix->width_px, ==, matrix->size * module_px);
  assert_structure (matrix);
  assert_matches_qrencode (matrix, text);

#ifdef HAVE_ZBAR
  {
    g_autofree char *decoded = decode_with_zbar (matrix);

    g_assert_cmpstr (decoded, ==, text);
  }
#endif
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_short (void)
{
  g_autofree char *svg = eva_qr_svg ("HELLO", 4, NULL);
  g_autoptr(Matrix) matrix = matrix_from_svg (svg);

  /* Version 1: 21 modules plus 2 × 4 quiet zone. */
  g_assert_cmpuint (matrix->size, ==, 29);
  g_assert_cmpuint (matrix->width_px, ==, 116);
  g_assert_nonnull (strstr (svg, "shape-rendering=\"crispEdges\""));
  g_assert_nonnull (strstr (svg, "fill=\"#fff\""));
  g_assert_null (strstr (svg, "href"));

  check_text ("HELLO", 4);
  check_text ("https://tickets.example.com/t/abc?x=1", 1);
  check_text ("Été à Paris", 10);
}

static void
test_ticket_code (void)
{
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  guint8 sk[crypto_sign_SECRETKEYBYTES];
  EvaTicketCode code = { .version = EVA_TICKET_CODE_VERSION, .issued_at = 1795507174 };
  g_autofree char *text = NULL;
  g_autofree char *svg = NULL;
  g_autoptr(Matrix) matrix = NULL;

  crypto_sign_keypair (pk, sk);
  eva_ticket_key_id_from_public_key (pk, code.key_id);
  randombytes_buf (code.ticket_id, 16);
  randombytes_buf (code.event_id, 16);
  randombytes_buf (code.ticket_type_id, 16);
  text = eva_ticket_code_sign (&code, sk);

  svg = eva_qr_svg (text, 4, NULL);
  matrix = matrix_from_svg (svg);
  g_test_message ("ticket code: %u modules with quiet zone", matrix->size);

  /* 211 alphanumeric characters fit version 8 (49 modules) at level M. */
  g_assert_cmpuint (matrix->size - 2 * EVA_QR_QUIET_ZONE, ==, 49);

  check_text (text, 4);
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *too_long = g_strnfill (3000, 'x');
  g_autofree char *svg = NULL;
  g_autofree char *max_alnum = g_strnfill (3391, 'A');   /* version 40-M alphanumeric */
  g_autofree char *big = NULL;

  svg = eva_qr_svg ("", 4, &error);
  g_assert_null (svg);
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_clear_error (&error);

  svg = eva_qr_svg (too_long, 4, &error);
  g_assert_null (svg);
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_clear_error (&error);

  big = eva_qr_svg (max_alnum, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (big);
  {
    g_autoptr(Matrix) matrix = matrix_from_svg (big);

    g_assert_cmpuint (matrix->size, ==, 177 + 2 * EVA_QR_QUIET_ZONE);
    assert_structure (matrix);
  }
}

static void
test_module_px_zero (void)
{
  if (g_test_subprocess ())
    {
      g_free (eva_qr_svg ("HELLO", 0, NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*module_px*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  eva_common_init ();

  g_test_add_func ("/qr/short", test_short);
  g_test_add_func ("/qr/ticket-code", test_ticket_code);
  g_test_add_func ("/qr/errors", test_errors);
  g_test_add_func ("/qr/module-px-zero", test_module_px_zero);

  return g_test_run ();
}
