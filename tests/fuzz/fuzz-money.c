/* fuzz-money.c: amounts as text (common/eva-money.c)
 *
 * Input: a three-letter currency code, then the text of an amount.
 * Properties: an accepted amount formats back to the same decimal
 * (leading zeros dropped, the fraction padded to the currency's digits,
 * no "-0") and parses again to the same minor units; any 64-bit amount
 * (the input's bytes) formats and parses back to itself in every
 * currency tried; add and mul agree with checked arithmetic; percent
 * stays within the amount; a split adds up to its total.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-money.h"
#include "fuzz-common.h"

/* format()'s text without " CODE". */
static char *
format_number (gint64      minor,
               const char *code)
{
  g_autofree char *text = eva_money_format (minor, code);
  char *space;

  FUZZ_CHECK (text != NULL);
  space = strrchr (text, ' ');
  FUZZ_CHECK (space != NULL && g_str_equal (space + 1, code));
  return g_strndup (text, space - text);
}

static void
check_round_trip (gint64      minor,
                  const char *code)
{
  g_autofree char *number = format_number (minor, code);
  gint64 back = 0;
  g_autoptr(GError) error = NULL;

  FUZZ_CHECK (eva_money_parse (number, code, &back, &error));
  FUZZ_CHECK (back == minor);
}

/* The canonical decimal of an accepted @text. */
static char *
normalize (const char *text,
           guint       exponent)
{
  GString *out = g_string_new (NULL);
  const char *p = text;
  const char *dot;
  gsize int_len;
  gboolean zero = TRUE;

  if (*p == '-')
    p++;
  dot = strchr (p, '.');
  int_len = dot != NULL ? (gsize) (dot - p) : strlen (p);
  while (int_len > 1 && *p == '0')
    p++, int_len--;
  g_string_append_len (out, p, int_len);
  if (exponent > 0)
    {
      guint n = dot != NULL ? strlen (dot + 1) : 0;

      g_string_append_c (out, '.');
      if (dot != NULL)
        g_string_append (out, dot + 1);
      for (; n < exponent; n++)
        g_string_append_c (out, '0');
    }
  for (const char *c = out->str; *c != '\0'; c++)
    if (*c >= '1' && *c <= '9')
      zero = FALSE;
  if (text[0] == '-' && !zero)
    g_string_prepend_c (out, '-');
  return g_string_free (out, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const some[] = { "EUR", "JPY", "KWD", "CLF", "USD" };
  char code[4] = "EUR";
  const EvaCurrency *cur;
  g_autofree char *text = NULL;
  gint64 out = 42;
  g_autoptr(GError) error = NULL;

  fuzz_init ();
  if (size >= 3)
    {
      memcpy (code, data, 3);
      code[3] = '\0';
      cur = eva_currency_lookup (code);
      if (cur != NULL)
        FUZZ_CHECK (g_str_equal (cur->code, code) && cur->exponent <= 4);
      else
        strcpy (code, "EUR");
    }
  cur = eva_currency_lookup (code);
  FUZZ_CHECK (cur != NULL);
  text = fuzz_string (data + MIN (size, 3), size - MIN (size, 3));

  if (eva_money_parse (text, code, &out, &error))
    {
      g_autofree char *canon = normalize (text, cur->exponent);
      g_autofree char *number = format_number (out, code);

      FUZZ_CHECK (error == NULL);
      FUZZ_CHECK (g_str_equal (canon, number));
      check_round_trip (out, code);
    }
  else
    FUZZ_CHECK (error != NULL && out == 42);

  /* The input's bytes as amounts. */
  if (size >= 16)
    {
      gint64 a, b, r = 0;
      gint64 weights[4], shares[4];
      gint64 sum = 0;

      memcpy (&a, data, 8);
      memcpy (&b, data + 8, 8);
      for (guint i = 0; i < G_N_ELEMENTS (some); i++)
        check_round_trip (a, some[i]);
      check_round_trip (G_MININT64, code);
      check_round_trip (G_MAXINT64, code);

      {
        gint64 expect;
        gboolean overflow = __builtin_add_overflow (a, b, &expect);

        r = 7;
        FUZZ_CHECK (eva_money_add (a, b, &r) == !overflow);
        FUZZ_CHECK (overflow ? r == 7 : r == expect);
        overflow = __builtin_mul_overflow (a, b, &expect);
        r = 7;
        FUZZ_CHECK (eva_money_mul (a, b, &r) == !overflow);
        FUZZ_CHECK (overflow ? r == 7 : r == expect);
      }

      if (a >= 0)
        {
          gint64 p = eva_money_percent (a, (guint) (data[8] % 101));

          FUZZ_CHECK (p >= 0 && p <= a);
        }

      for (guint i = 0; i < 4; i++)
        weights[i] = size >= 16 + 4 * (i + 1) ? (gint64) (data[16 + 4 * i] * 1000003u) : 0;
      eva_money_split (a, weights, 4, shares);
      for (guint i = 0; i < 4; i++)
        {
          FUZZ_CHECK (a >= 0 ? shares[i] >= 0 : shares[i] <= 0);
          FUZZ_CHECK (!__builtin_add_overflow (sum, shares[i], &sum));
        }
      FUZZ_CHECK (sum == a);
    }
  return 0;
}
