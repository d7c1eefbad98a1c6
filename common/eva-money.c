/* eva-money.c: integer money arithmetic, formatting and parsing
 *
 * Every amount is a gint64 count of minor units. Arithmetic reports overflow
 * instead of wrapping, and nothing here ever goes through a double.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "eva-error.h"
#include "eva-money.h"

#ifndef __SIZEOF_INT128__
# error "eva-money.c needs a compiler with 128-bit integers (GCC or Clang on a 64-bit target)"
#endif

__extension__ typedef unsigned __int128 EvaU128;

/* ------------------------------------------------------------------ */
/* Currency table                                                     */
/* ------------------------------------------------------------------ */

/* ISO 4217 list one, active codes with a defined minor unit, sorted by code
 * for bsearch(). Codes without a minor unit (XAU, XAG, XPD, XPT, XDR, XSU,
 * XUA, XBA–XBD, XTS, XXX) are left out: they cannot price a ticket.
 *
 * Withdrawn and so left out: ANG (→ XCG, 2025), BGN (→ EUR, 2026),
 * CUC (2021), HRK (→ EUR, 2023), SLL (→ SLE), ZWL (→ ZWG, 2024).
 * Keep this list in step with ISO 4217 amendments. */
static const EvaCurrency currencies[] = {
  { "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "AOA", 2 },
  { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 }, { "BAM", 2 },
  { "BBD", 2 }, { "BDT", 2 }, { "BHD", 3 }, { "BIF", 0 }, { "BMD", 2 },
  { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 }, { "BRL", 2 }, { "BSD", 2 },
  { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 }, { "BZD", 2 }, { "CAD", 2 },
  { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 }, { "CHW", 2 }, { "CLF", 4 },
  { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 }, { "COU", 2 }, { "CRC", 2 },
  { "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 },
  { "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 },
  { "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 },
  { "GHS", 2 }, { "GIP", 2 }, { "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 },
  { "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 }, { "HTG", 2 }, { "HUF", 2 },
  { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 }, { "IQD", 3 }, { "IRR", 2 },
  { "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 },
  { "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 },
  { "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 },
  { "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 },
  { "MDL", 2 }, { "MGA", 2 }, { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 },
  { "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 },
  { "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 },
  { "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 },
  { "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 },
  { "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 },
  { "RSD", 2 }, { "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 },
  { "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 },
  { "SLE", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 },
  { "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 },
  { "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 },
  { "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 },
  { "USN", 2 }, { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 },
  { "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 },
  { "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 },
  { "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 },
};

/* 10^0 … 10^4, indexed by exponent. */
static const guint64 powers_of_ten[] = { 1, 10, 100, 1000, 10000 };

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static int
compare_currency (const void *key,
                  const void *member)
{
  const EvaCurrency *currency = member;

  return strcmp (key, currency->code);
}

typedef struct {
  const EvaU128 *remainders;
} SplitOrder;

/* Largest remainder first; ties go to the earlier line so the result only
 * depends on the input. */
static int
compare_remainder (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  const SplitOrder *order = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;

  if (order->remainders[ia] != order->remainders[ib])
    return order->remainders[ia] > order->remainders[ib] ? -1 : 1;

  return ia < ib ? -1 : (ia > ib ? 1 : 0);
}

static guint64
magnitude (gint64 value)
{
  return value < 0 ? (guint64) -(value + 1) + 1 : (guint64) value;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_currency_lookup:
 * @code: an upper-case three-letter code such as "EUR"
 *
 * Returns: (nullable): the currency, or %NULL when @code is not an active
 *   ISO 4217 code with a minor unit (lower case is not accepted).
 */
const EvaCurrency *
eva_currency_lookup (const char *code)
{
  if (code == NULL || strlen (code) != 3)
    return NULL;

  for (guint i = 0; i < 3; i++)
    if (!g_ascii_isupper (code[i]))
      return NULL;

  return bsearch (code, currencies, G_N_ELEMENTS (currencies),
                  sizeof currencies[0], compare_currency);
}

/**
 * eva_money_add:
 *
 * Sets *@out to @a + @b. Returns: %FALSE (and leaves *@out alone) on overflow.
 */
gboolean
eva_money_add (gint64  a,
               gint64  b,
               gint64 *out)
{
  gint64 sum;

  g_return_val_if_fail (out != NULL, FALSE);

  if (__builtin_add_overflow (a, b, &sum))
    return FALSE;

  *out = sum;
  return TRUE;
}

/**
 * eva_money_mul:
 *
 * Sets *@out to @amount × @factor (e.g. unit price × quantity).
 * Returns: %FALSE (and leaves *@out alone) on overflow.
 */
gboolean
eva_money_mul (gint64  amount,
               gint64  factor,
               gint64 *out)
{
  gint64 product;

  g_return_val_if_fail (out != NULL, FALSE);

  if (__builtin_mul_overflow (amount, factor, &product))
    return FALSE;

  *out = product;
  return TRUE;
}

/**
 * eva_money_percent:
 * @amount: a non-negative amount in minor units
 * @percent: 0 to 100
 *
 * Returns: @percent % of @amount, rounded half up to the minor unit. The
 *   result never exceeds @amount and the computation cannot overflow.
 */
gint64
eva_money_percent (gint64 amount,
                   guint  percent)
{
  gint64 whole;
  gint64 rest;

  g_return_val_if_fail (amount >= 0, 0);
  g_return_val_if_fail (percent <= 100, 0);

  /* amount × p / 100 = (amount / 100) × p + (amount % 100) × p / 100; the
   * first term is exact and at most amount, the second below 100. */
  whole = (amount / 100) * (gint64) percent;
  rest = ((amount % 100) * (gint64) percent + 50) / 100;

  return whole + rest;
}

/**
 * eva_money_split:
 * @total: the amount to allocate (may be negative)
 * @weights: (array length=n): non-negative weights, e.g. line totals
 * @n: number of lines
 * @out: (array length=n): the share of each line
 *
 * Allocates @total over @n lines in proportion to @weights with the largest
 * remainder method: every share is the floor of its exact share, and the
 * minor units left over go one each to the lines with the largest
 * remainders (the earlier line wins a tie). The shares always add up to
 * @total exactly, and the same input always gives the same output. When all
 * weights are zero the lines count as equal. A negative @total is split as
 * its magnitude and every share negated.
 */
void
eva_money_split (gint64        total,
                 const gint64 *weights,
                 guint         n,
                 gint64       *out)
{
  g_autofree EvaU128 *remainders = NULL;
  g_autofree guint *order = NULL;
  EvaU128 weight_sum = 0;
  guint64 amount;
  guint64 allocated = 0;
  guint64 left;
  gboolean all_zero;
  SplitOrder split_order;

  g_return_if_fail (n == 0 || weights != NULL);
  g_return_if_fail (n == 0 || out != NULL);
  g_return_if_fail (n > 0 || total == 0);

  if (n == 0)
    return;

  for (guint i = 0; i < n; i++)
    {
      g_return_if_fail (weights[i] >= 0);
      weight_sum += (guint64) weights[i];
    }

  all_zero = weight_sum == 0;
  if (all_zero)
    weight_sum = n;

  amount = magnitude (total);
  remainders = g_new (EvaU128, n);
  order = g_new (guint, n);

  for (guint i = 0; i < n; i++)
    {
      EvaU128 weight = all_zero ? 1 : (guint64) weights[i];
      EvaU128 exact = (EvaU128) amount * weight;
      guint64 share = (guint64) (exact / weight_sum);

      remainders[i] = exact % weight_sum;
      order[i] = i;
      out[i] = (gint64) share;  /* ≤ amount; sign fixed below */
      allocated += share;
    }

  g_assert (allocated <= amount);
  left = amount - allocated;
  g_assert (left < n);

  split_order.remainders = remainders;
  g_qsort_with_data (order, n, sizeof order[0], compare_remainder, &split_order);

  for (guint i = 0; i < left; i++)
    out[order[i]] += 1;

  if (total < 0)
    {
      for (guint i = 0; i < n; i++)
        {
          guint64 share = (guint64) out[i];

          out[i] = share > (guint64) G_MAXINT64 ? G_MININT64 : -(gint64) share;
        }
    }
}

/**
 * eva_money_format:
 * @minor: an amount in minor units
 * @currency: an ISO 4217 code known to eva_currency_lookup()
 *
 * Formats for logs, e-mails and CSV: a plain decimal with exactly the
 * currency's minor digits, no grouping, then the code: "12.50 EUR",
 * "-0.05 EUR", "1000 JPY", "1.234 KWD". Not meant for localized display.
 *
 * Returns: (transfer full): the text, or %NULL for an unknown currency.
 */
char *
eva_money_format (gint64      minor,
                  const char *currency)
{
  const EvaCurrency *cur = eva_currency_lookup (currency);
  guint64 mag;
  guint64 scale;

  g_return_val_if_fail (cur != NULL, NULL);

  mag = magnitude (minor);

  if (cur->exponent == 0)
    return g_strdup_printf ("%s%" G_GUINT64_FORMAT " %s",
                            minor < 0 ? "-" : "", mag, cur->code);

  scale = powers_of_ten[cur->exponent];
  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT " %s",
                          minor < 0 ? "-" : "",
                          mag / scale,
                          (int) cur->exponent, mag % scale,
                          cur->code);
}

/**
 * eva_money_parse:
 * @text: a decimal such as "12", "12.5" or "-0.05"
 * @currency: the ISO 4217 code the amount is in
 * @out: (out): the amount in minor units
 *
 * Accepts an optional leading '-', one or more digits, and optionally a '.'
 * followed by one to exponent digits. No spaces, signs other than '-',
 * grouping, exponents or more fractional digits than the currency has
 * (even zeros). Fails with %EVA_ERROR_INVALID, leaving *@out alone.
 */
gboolean
eva_money_parse (const char  *text,
                 const char  *currency,
                 gint64      *out,
                 GError     **error)
{
  const EvaCurrency *cur;
  const char *p = text;
  gboolean negative = FALSE;
  guint64 value = 0;
  guint64 limit;
  guint frac_digits = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cur = eva_currency_lookup (currency);
  if (cur == NULL)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "“%s” is not a supported ISO 4217 currency code",
                   currency != NULL ? currency : "(null)");
      return FALSE;
    }

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }

  if (!g_ascii_isdigit (*p))
    goto malformed;

  /* The magnitude of G_MININT64 is one more than G_MAXINT64. */
  limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;

  for (; g_ascii_isdigit (*p); p++)
    {
      if (value > (limit - (guint64) (*p - '0')) / 10)
        goto too_large;
      value = value * 10 + (guint64) (*p - '0');
    }

  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        goto malformed;

      for (; g_ascii_isdigit (*p); p++)
        {
          if (++frac_digits > cur->exponent)
            {
              if (cur->exponent == 0)
                g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                             "%s amounts must be whole numbers", cur->code);
              else
                g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                             "%s amounts have at most %u decimal places",
                             cur->code, (guint) cur->exponent);
              return FALSE;
            }
          if (value > (limit - (guint64) (*p - '0')) / 10)
            goto too_large;
          value = value * 10 + (guint64) (*p - '0');
        }
    }

  if (*p != '\0')
    goto malformed;

  for (; frac_digits < cur->exponent; frac_digits++)
    {
      if (value > limit / 10)
        goto too_large;
      value *= 10;
    }

  if (negative)
    *out = value > (guint64) G_MAXINT64 ? G_MININT64 : -(gint64) value;
  else
    *out = (gint64) value;

  return TRUE;

malformed:
  if (cur->exponent == 0)
    g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                 "amount must be a whole number such as 1000");
  else
    g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                 "amount must be a decimal number such as 12.50");
  return FALSE;

too_large:
  g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "amount is too large");
  return FALSE;
}
