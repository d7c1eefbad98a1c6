/* test-money.c: money arithmetic, formatting and parsing
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-money"

#include "config.h"

#include <string.h>

#include "eva-common.h"

__extension__ typedef __int128 TestI128;

/* ------------------------------------------------------------------ */
/* Currencies                                                         */
/* ------------------------------------------------------------------ */

static void
test_currency_lookup (void)
{
  static const struct { const char *code; guint8 exponent; } known[] = {
    { "EUR", 2 }, { "USD", 2 }, { "GBP", 2 }, { "CHF", 2 }, { "JPY", 0 },
    { "KRW", 0 }, { "ISK", 0 }, { "VND", 0 }, { "XOF", 0 }, { "CLP", 0 },
    { "KWD", 3 }, { "BHD", 3 }, { "OMR", 3 }, { "TND", 3 }, { "JOD", 3 },
    { "IQD", 3 }, { "LYD", 3 }, { "CLF", 4 }, { "UYW", 4 }, { "HUF", 2 },
    { "XCG", 2 }, { "ZWG", 2 }, { "SLE", 2 }, { "VED", 2 }, { "AED", 2 },
    { "ZMW", 2 }, { "MRU", 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      const EvaCurrency *cur = eva_currency_lookup (known[i].code);

      g_assert_nonnull (cur);
      g_assert_cmpstr (cur->code, ==, known[i].code);
      g_assert_cmpuint (cur->exponent, ==, known[i].exponent);
    }
}

static void
test_currency_reject (void)
{
  static const char *const bad[] = {
    "", "E", "EU", "EURO", "eur", "Eur", "EUR ", " EUR", "E1R", "€",
    "XAU", "XAG", "XDR", "XXX", "XTS",          /* no minor unit */
    "HRK", "BGN", "ANG", "ZWL", "CUC", "SLL",   /* withdrawn */
    "AAA", "ZZZ", "DEM", "FRF",
  };

  g_assert_null (eva_currency_lookup (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_null (eva_currency_lookup (bad[i]));
}

/* Every code of the table must be found: catches a mis-sorted table. */
static void
test_currency_all (void)
{
  static const char all[] =
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV "
    "BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP "
    "CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF "
    "GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR "
    "KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT "
    "MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN "
    "PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE "
    "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX "
    "USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR "
    "ZMW ZWG";
  g_auto(GStrv) codes = g_strsplit (all, " ", -1);
  guint n = 0;

  for (guint i = 0; codes[i] != NULL; i++, n++)
    {
      const EvaCurrency *cur = eva_currency_lookup (codes[i]);

      if (cur == NULL)
        g_error ("currency %s not found", codes[i]);
      g_assert_cmpstr (cur->code, ==, codes[i]);
      g_assert_cmpuint (cur->exponent, <=, 4);
    }

  g_assert_cmpuint (n, ==, 164);
}

/* ------------------------------------------------------------------ */
/* Arithmetic                                                         */
/* ------------------------------------------------------------------ */

static void
test_add (void)
{
  gint64 out = 42;

  g_assert_true (eva_money_add (1250, 750, &out));
  g_assert_cmpint (out, ==, 2000);
  g_assert_true (eva_money_add (-5, 5, &out));
  g_assert_cmpint (out, ==, 0);
  g_assert_true (eva_money_add (G_MAXINT64, G_MININT64, &out));
  g_assert_cmpint (out, ==, -1);
  g_assert_true (eva_money_add (G_MAXINT64 - 1, 1, &out));
  g_assert_cmpint (out, ==, G_MAXINT64);

  out = 42;
  g_assert_false (eva_money_add (G_MAXINT64, 1, &out));
  g_assert_false (eva_money_add (G_MININT64, -1, &out));
  g_assert_false (eva_money_add (G_MAXINT64 / 2 + 1, G_MAXINT64 / 2 + 1, &out));
  g_assert_cmpint (out, ==, 42);
}

static void
test_mul (void)
{
  gint64 out = 42;

  g_assert_true (eva_money_mul (1250, 3, &out));
  g_assert_cmpint (out, ==, 3750);
  g_assert_true (eva_money_mul (-1250, 3, &out));
  g_assert_cmpint (out, ==, -3750);
  g_assert_true (eva_money_mul (-2, -3, &out));
  g_assert_cmpint (out, ==, 6);
  g_assert_true (eva_money_mul (G_MAXINT64, 0, &out));
  g_assert_cmpint (out, ==, 0);
  g_assert_true (eva_money_mul (G_MININT64, 1, &out));
  g_assert_cmpint (out, ==, G_MININT64);
  g_assert_true (eva_money_mul (G_MAXINT64, -1, &out));
  g_assert_cmpint (out, ==, -G_MAXINT64);

  out = 42;
  g_assert_false (eva_money_mul (G_MAXINT64, 2, &out));
  g_assert_false (eva_money_mul (G_MININT64, -1, &out));
  g_assert_false (eva_money_mul (G_GINT64_CONSTANT (4294967296), G_GINT64_CONSTANT (4294967296) * 2, &out));
  g_assert_false (eva_money_mul (-G_MAXINT64, 2, &out));
  g_assert_cmpint (out, ==, 42);
}

static void
test_percent (void)
{
  /* Half up: 0.5 → 1, 1.5 → 2, 1.4 → 1. */
  g_assert_cmpint (eva_money_percent (5, 10), ==, 1);
  g_assert_cmpint (eva_money_percent (15, 10), ==, 2);
  g_assert_cmpint (eva_money_percent (14, 10), ==, 1);
  g_assert_cmpint (eva_money_percent (1, 50), ==, 1);
  g_assert_cmpint (eva_money_percent (1, 49), ==, 0);
  g_assert_cmpint (eva_money_percent (1, 99), ==, 1);
  g_assert_cmpint (eva_money_percent (1999, 15), ==, 300);  /* 299.85 */
  g_assert_cmpint (eva_money_percent (1250, 20), ==, 250);
  g_assert_cmpint (eva_money_percent (0, 100), ==, 0);
  g_assert_cmpint (eva_money_percent (1234, 0), ==, 0);
  g_assert_cmpint (eva_money_percent (1234, 100), ==, 1234);

  /* No overflow at the top of the range. */
  g_assert_cmpint (eva_money_percent (G_MAXINT64, 100), ==, G_MAXINT64);
  g_assert_cmpint (eva_money_percent (G_MAXINT64, 0), ==, 0);
  g_assert_cmpint (eva_money_percent (G_MAXINT64, 50), ==, G_MAXINT64 / 2 + 1);
  g_assert_cmpint (eva_money_percent (G_MAXINT64, 99), <, G_MAXINT64);

  /* Against an exact reference, exhaustively for small amounts. */
  for (gint64 amount = 0; amount <= 2000; amount++)
    for (guint percent = 0; percent <= 100; percent++)
      {
        gint64 got = eva_money_percent (amount, percent);

        g_assert_cmpint (got, ==, (amount * (gint64) percent + 50) / 100);
        g_assert_cmpint (got, <=, amount);
      }

  /* And for random large amounts, with 128-bit arithmetic. */
  for (guint i = 0; i < 10000; i++)
    {
      gint64 amount = (gint64) (((guint64) g_test_rand_int () << 32 | (guint32) g_test_rand_int ()) >> 1);
      guint percent = (guint) g_test_rand_int_range (0, 101);
      TestI128 expected = ((TestI128) amount * percent + 50) / 100;

      g_assert_true ((TestI128) eva_money_percent (amount, percent) == expected);
    }
}

static void
test_percent_invalid (void)
{
  if (g_test_subprocess ())
    {
      eva_money_percent (-1, 10);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*amount >= 0*");
}

static void
test_percent_over_100 (void)
{
  if (g_test_subprocess ())
    {
      eva_money_percent (100, 101);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*percent <= 100*");
}

/* ------------------------------------------------------------------ */
/* Split                                                              */
/* ------------------------------------------------------------------ */

static void
assert_split (gint64        total,
              const gint64 *weights,
              guint         n,
              const gint64 *expected)
{
  g_autofree gint64 *out = g_new0 (gint64, n);

  eva_money_split (total, weights, n, out);
  for (guint i = 0; i < n; i++)
    if (out[i] != expected[i])
      g_error ("split of %" G_GINT64_FORMAT ": line %u is %" G_GINT64_FORMAT
               ", expected %" G_GINT64_FORMAT, total, i, out[i], expected[i]);
}

static void
test_split_examples (void)
{
  {
    const gint64 w[] = { 1, 1, 1 }, e[] = { 34, 33, 33 };
    assert_split (100, w, 3, e);
  }
  {
    /* Ties go to the earlier line. */
    const gint64 w[] = { 1, 1, 1 }, e[] = { 1, 1, 0 };
    assert_split (2, w, 3, e);
  }
  {
    /* Largest remainder wins, not the earliest line. */
    const gint64 w[] = { 1, 3 }, e[] = { 0, 1 };
    assert_split (1, w, 2, e);
  }
  {
    /* A 10.00 discount over lines of 30.00, 20.00 and 0.00. */
    const gint64 w[] = { 3000, 2000, 0 }, e[] = { 600, 400, 0 };
    assert_split (1000, w, 3, e);
  }
  {
    const gint64 w[] = { 3333, 3333, 3334 }, e[] = { 333, 333, 334 };
    assert_split (1000, w, 3, e);
  }
  {
    /* All weights zero: as if equal. */
    const gint64 w[] = { 0, 0 }, e[] = { 3, 2 };
    assert_split (5, w, 2, e);
  }
  {
    const gint64 w[] = { 0, 7 }, e[] = { 0, 7 };
    assert_split (7, w, 2, e);
  }
  {
    const gint64 w[] = { 5 }, e[] = { -17 };
    assert_split (-17, w, 1, e);
  }
  {
    /* Negative totals mirror positive ones. */
    const gint64 w[] = { 1, 1, 1 }, e[] = { -34, -33, -33 };
    assert_split (-100, w, 3, e);
  }
  {
    const gint64 w[] = { 1, 1, 1 }, e[] = { 0, 0, 0 };
    assert_split (0, w, 3, e);
  }
  {
    const gint64 w[] = { G_MAXINT64, G_MAXINT64 }, e[] = { G_MAXINT64 / 2 + 1, G_MAXINT64 / 2 };
    assert_split (G_MAXINT64, w, 2, e);
  }
  {
    const gint64 w[] = { 1, G_MAXINT64 }, e[] = { -1, G_MININT64 + 2 };
    assert_split (G_MININT64 + 1, w, 2, e);
  }
  {
    const gint64 w[] = { 1 }, e[] = { G_MININT64 };
    assert_split (G_MININT64, w, 1, e);
  }

  /* n == 0 with nothing to split is a no-op. */
  eva_money_split (0, NULL, 0, NULL);
}

static void
test_split_random (void)
{
  for (guint round = 0; round < 2000; round++)
    {
      guint n = (guint) g_test_rand_int_range (1, 40);
      g_autofree gint64 *weights = g_new (gint64, n);
      g_autofree gint64 *out = g_new (gint64, n);
      g_autofree gint64 *again = g_new (gint64, n);
      gboolean huge = round % 4 == 0;
      gint64 total;
      TestI128 weight_sum = 0;
      TestI128 sum = 0;

      total = huge ? (gint64) ((guint64) (guint32) g_test_rand_int () << 31 | (guint32) g_test_rand_int ())
                   : g_test_rand_int_range (-100000, 100000);
      for (guint i = 0; i < n; i++)
        {
          weights[i] = huge ? (gint64) ((guint64) (guint32) g_test_rand_int () << 31 | (guint32) g_test_rand_int ())
                            : g_test_rand_int_range (0, 5000);
          if (g_test_rand_int_range (0, 5) == 0)
            weights[i] = 0;
          weight_sum += weights[i];
        }

      eva_money_split (total, weights, n, out);
      eva_money_split (total, weights, n, again);

      for (guint i = 0; i < n; i++)
        {
          /* Each share is the floor or the ceiling of its exact share. */
          TestI128 w = weight_sum == 0 ? 1 : weights[i];
          TestI128 ws = weight_sum == 0 ? n : weight_sum;
          TestI128 magnitude = total < 0 ? -(TestI128) total : total;
          TestI128 floor_share = magnitude * w / ws;
          TestI128 share = total < 0 ? -(TestI128) out[i] : out[i];

          g_assert_true (share == floor_share || share == floor_share + 1);
          if (weight_sum != 0 && weights[i] == 0)
            g_assert_cmpint (out[i], ==, 0);
          g_assert_cmpint (out[i], ==, again[i]);
          sum += out[i];
        }

      g_assert_true (sum == total);
    }
}

static void
test_split_negative_weight (void)
{
  if (g_test_subprocess ())
    {
      const gint64 w[] = { 1, -1 };
      gint64 out[2];

      eva_money_split (10, w, 2, out);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*weights[i] >= 0*");
}

/* ------------------------------------------------------------------ */
/* Format and parse                                                   */
/* ------------------------------------------------------------------ */

static void
assert_format (gint64      minor,
               const char *currency,
               const char *expected)
{
  g_autofree char *text = eva_money_format (minor, currency);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_format (void)
{
  assert_format (1250, "EUR", "12.50 EUR");
  assert_format (-5, "EUR", "-0.05 EUR");
  assert_format (-100, "EUR", "-1.00 EUR");
  assert_format (0, "EUR", "0.00 EUR");
  assert_format (7, "USD", "0.07 USD");
  assert_format (100000000, "EUR", "1000000.00 EUR");
  assert_format (1000, "JPY", "1000 JPY");
  assert_format (-1000, "JPY", "-1000 JPY");
  assert_format (0, "JPY", "0 JPY");
  assert_format (1234, "KWD", "1.234 KWD");
  assert_format (-1, "KWD", "-0.001 KWD");
  assert_format (5, "KWD", "0.005 KWD");
  assert_format (1, "CLF", "0.0001 CLF");
  assert_format (G_MAXINT64, "EUR", "92233720368547758.07 EUR");
  assert_format (G_MININT64, "EUR", "-92233720368547758.08 EUR");
  assert_format (G_MININT64, "JPY", "-9223372036854775808 JPY");
}

static void
test_format_unknown_currency (void)
{
  if (g_test_subprocess ())
    {
      g_free (eva_money_format (1, "eur"));
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*cur != NULL*");
}

static void
test_parse_valid (void)
{
  static const struct { const char *text; const char *currency; gint64 expected; } cases[] = {
    { "12.5", "EUR", 1250 },
    { "12.50", "EUR", 1250 },
    { "12", "EUR", 1200 },
    { "0", "EUR", 0 },
    { "-0", "EUR", 0 },
    { "0.05", "EUR", 5 },
    { "-0.05", "EUR", -5 },
    { "007.50", "EUR", 750 },
    { "1000", "JPY", 1000 },
    { "-1000", "JPY", -1000 },
    { "1.234", "KWD", 1234 },
    { "1.2", "KWD", 1200 },
    { "0.0001", "CLF", 1 },
    { "92233720368547758.07", "EUR", G_MAXINT64 },
    { "-92233720368547758.08", "EUR", G_MININT64 },
    { "9223372036854775807", "JPY", G_MAXINT64 },
    { "-9223372036854775808", "JPY", G_MININT64 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 out = 42;

      if (!eva_money_parse (cases[i].text, cases[i].currency, &out, &error))
        g_error ("“%s” %s: %s", cases[i].text, cases[i].currency, error->message);
      g_assert_cmpint (out, ==, cases[i].expected);
    }
}

static void
test_parse_invalid (void)
{
  static const struct { const char *text; const char *currency; const char *message; } cases[] = {
    { "12.345", "EUR", "EUR amounts have at most 2 decimal places" },
    { "12.500", "EUR", "EUR amounts have at most 2 decimal places" },
    { "1.5", "JPY", "JPY amounts must be whole numbers" },
    { "1.0", "JPY", "JPY amounts must be whole numbers" },
    { "1.2345", "KWD", "KWD amounts have at most 3 decimal places" },
    { "1.", "EUR", NULL },
    { "1.", "JPY", NULL },
    { ".5", "EUR", NULL },
    { "", "EUR", NULL },
    { "-", "EUR", NULL },
    { "+1", "EUR", NULL },
    { "--1", "EUR", NULL },
    { " 1", "EUR", NULL },
    { "1 ", "EUR", NULL },
    { "1,50", "EUR", NULL },
    { "1,000.00", "EUR", NULL },
    { "1e3", "EUR", NULL },
    { "0x10", "EUR", NULL },
    { "abc", "EUR", NULL },
    { "12.5x", "EUR", NULL },
    { "12.-5", "EUR", NULL },
    { "١٢", "EUR", NULL },                          /* Arabic-Indic digits */
    { "NaN", "EUR", NULL },
    { "92233720368547758.08", "EUR", "amount is too large" },
    { "-92233720368547758.09", "EUR", "amount is too large" },
    { "9223372036854775808", "JPY", "amount is too large" },
    { "99999999999999999999", "JPY", "amount is too large" },
    { "92233720368547759", "EUR", "amount is too large" },
    { "1", "eur", "“eur” is not a supported ISO 4217 currency code" },
    { "1", "XAU", "“XAU” is not a supported ISO 4217 currency code" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 out = 42;

      if (eva_money_parse (cases[i].text, cases[i].currency, &out, &error))
        g_error ("“%s” %s was accepted as %" G_GINT64_FORMAT,
                 cases[i].text, cases[i].currency, out);
      g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_cmpint (out, ==, 42);
    }
}

static void
test_format_parse_round_trip (void)
{
  static const char *const currencies[] = { "EUR", "JPY", "KWD", "CLF" };

  for (guint i = 0; i < 5000; i++)
    {
      const char *currency = currencies[i % G_N_ELEMENTS (currencies)];
      gint64 value = (gint64) ((guint64) g_test_rand_int () << 32 | (guint32) g_test_rand_int ());
      g_autofree char *text = NULL;
      g_autofree char *number = NULL;
      g_autoptr(GError) error = NULL;
      gint64 back = 0;

      if (i % 3 == 0)
        value %= 100000;

      text = eva_money_format (value, currency);
      g_assert_true (g_str_has_suffix (text, currency));
      number = g_strndup (text, strlen (text) - 4);
      g_assert_true (eva_money_parse (number, currency, &back, &error));
      g_assert_no_error (error);
      g_assert_cmpint (back, ==, value);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/money/currency/lookup", test_currency_lookup);
  g_test_add_func ("/money/currency/reject", test_currency_reject);
  g_test_add_func ("/money/currency/all", test_currency_all);
  g_test_add_func ("/money/add", test_add);
  g_test_add_func ("/money/mul", test_mul);
  g_test_add_func ("/money/percent", test_percent);
  g_test_add_func ("/money/percent/negative-amount", test_percent_invalid);
  g_test_add_func ("/money/percent/over-100", test_percent_over_100);
  g_test_add_func ("/money/split/examples", test_split_examples);
  g_test_add_func ("/money/split/random", test_split_random);
  g_test_add_func ("/money/split/negative-weight", test_split_negative_weight);
  g_test_add_func ("/money/format", test_format);
  g_test_add_func ("/money/format/unknown-currency", test_format_unknown_currency);
  g_test_add_func ("/money/parse/valid", test_parse_valid);
  g_test_add_func ("/money/parse/invalid", test_parse_invalid);
  g_test_add_func ("/money/parse/round-trip", test_format_parse_round_trip);

  return g_test_run ();
}
