/* fuzz-encoding.c: base64url, base32, payment references, CSV cells
 * (common/eva-encoding.c)
 *
 * Properties: the decoders are strict, so whatever they accept encodes
 * back to exactly the same text, and decoded lengths are what the text
 * length allows; any bytes encode and decode back to themselves; a
 * reference that checks out normalizes to a canonical form that checks
 * out again; a row of CSV cells parses (RFC 4180) back to the values,
 * a formula-like value behind a '.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-encoding.h"
#include "fuzz-common.h"

/* An RFC 4180 parser for one row ending in CRLF; NULL if malformed. */
static GPtrArray *
csv_parse_row (const char *text,
               gsize       len)
{
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  gsize i = 0;

  for (;;)
    {
      g_autoptr(GString) cell = g_string_new (NULL);

      if (i < len && text[i] == '"')
        {
          for (i++;; i++)
            {
              if (i >= len)
                return NULL;
              if (text[i] == '"')
                {
                  if (i + 1 < len && text[i + 1] == '"')
                    {
                      g_string_append_c (cell, '"');
                      i++;
                      continue;
                    }
                  i++;
                  break;
                }
              g_string_append_c (cell, text[i]);
            }
        }
      else
        for (; i < len && text[i] != ',' && text[i] != '\r' && text[i] != '\n'; i++)
          {
            if (text[i] == '"')
              return NULL;
            g_string_append_c (cell, text[i]);
          }
      g_ptr_array_add (cells, g_string_free (g_steal_pointer (&cell), FALSE));
      if (i < len && text[i] == ',')
        {
          i++;
          continue;
        }
      if (i + 2 == len && text[i] == '\r' && text[i + 1] == '\n')
        return g_steal_pointer (&cells);
      return NULL;
    }
}

static void
check_base64url (const char *text)
{
  gsize len = 0;
  g_autofree guint8 *bin = eva_base64url_decode (text, &len);

  if (bin != NULL)
    {
      g_autofree char *again = eva_base64url_encode (bin, len);

      FUZZ_CHECK (len == strlen (text) * 3 / 4);
      FUZZ_CHECK (bin[len] == '\0');
      FUZZ_CHECK (g_str_equal (again, text));
    }
}

static void
check_base32 (const char *text)
{
  gsize len = 0;
  g_autofree guint8 *bin = eva_base32_decode (text, &len);

  if (bin != NULL)
    {
      g_autofree char *again = eva_base32_encode (bin, len);

      FUZZ_CHECK (len == strlen (text) * 5 / 8);
      FUZZ_CHECK (bin[len] == '\0');
      FUZZ_CHECK (g_str_equal (again, text));
    }
}

static void
check_bytes (const guint8 *data,
             gsize         size)
{
  g_autofree char *b64 = eva_base64url_encode (data, size);
  g_autofree char *b32 = eva_base32_encode (data, size);
  g_autofree guint8 *back64 = NULL;
  g_autofree guint8 *back32 = NULL;
  gsize len64 = 0, len32 = 0;

  FUZZ_CHECK (strspn (b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen (b64));
  FUZZ_CHECK (strspn (b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == strlen (b32));
  back64 = eva_base64url_decode (b64, &len64);
  back32 = eva_base32_decode (b32, &len32);
  FUZZ_CHECK (back64 != NULL && len64 == size && (size == 0 || memcmp (back64, data, size) == 0));
  FUZZ_CHECK (back32 != NULL && len32 == size && (size == 0 || memcmp (back32, data, size) == 0));
}

static void
check_reference (const char *text)
{
  g_autofree char *normalized = NULL;

  if (eva_payment_reference_check (text, &normalized))
    {
      g_autofree char *again = NULL;

      FUZZ_CHECK (normalized != NULL);
      FUZZ_CHECK (strlen (normalized) == EVA_PAYMENT_REFERENCE_LENGTH);
      FUZZ_CHECK (g_str_has_prefix (normalized, "EV"));
      FUZZ_CHECK (eva_payment_reference_check (normalized, &again));
      FUZZ_CHECK (g_str_equal (again, normalized));
    }
}

static void
check_csv (const char *text)
{
  g_auto(GStrv) values = g_strsplit (text, "\x1f", 8);
  g_autoptr(GString) row = g_string_new (NULL);
  g_autoptr(GPtrArray) cells = NULL;
  guint n = g_strv_length (values);

  for (guint i = 0; i < n; i++)
    eva_csv_append_cell (row, values[i], i + 1 == n);
  if (n == 0)
    return;
  cells = csv_parse_row (row->str, row->len);
  FUZZ_CHECK (cells != NULL);
  FUZZ_CHECK (cells->len == n);
  for (guint i = 0; i < n; i++)
    {
      const char *v = values[i];
      const char *cell = cells->pdata[i];

      if (v[0] != '\0' && strchr ("=+-@\t\r", v[0]) != NULL)
        FUZZ_CHECK (cell[0] == '\'' && g_str_equal (cell + 1, v));
      else
        FUZZ_CHECK (g_str_equal (cell, v));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_string (data, size);

  fuzz_init ();
  check_base64url (text);
  check_base32 (text);
  check_bytes (data, size);
  check_reference (text);
  check_csv (text);
  return 0;
}
