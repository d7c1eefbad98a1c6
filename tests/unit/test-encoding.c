/* test-encoding.c: base64url, base32, tokens and token hashes
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-encoding"

#include "config.h"

#include <string.h>

#include "eva-common.h"

/* RFC 4648 §10 test vectors. */
static const struct {
  const char *data;
  const char *base64url;
  const char *base32;
} rfc4648[] = {
  { "", "", "" },
  { "f", "Zg", "MY" },
  { "fo", "Zm8", "MZXQ" },
  { "foo", "Zm9v", "MZXW6" },
  { "foob", "Zm9vYg", "MZXW6YQ" },
  { "fooba", "Zm9vYmE", "MZXW6YTB" },
  { "foobar", "Zm9vYmFy", "MZXW6YTBOI" },
};

/* ------------------------------------------------------------------ */
/* base64url                                                          */
/* ------------------------------------------------------------------ */

static void
test_base64url_vectors (void)
{
  static const guint8 url_safe[] = { 0xfb, 0xff, 0xbf };

  for (guint i = 0; i < G_N_ELEMENTS (rfc4648); i++)
    {
      gsize len = strlen (rfc4648[i].data);
      g_autofree char *encoded = eva_base64url_encode ((const guint8 *) rfc4648[i].data, len);
      g_autofree guint8 *decoded = NULL;
      gsize decoded_len = 99;

      g_assert_cmpstr (encoded, ==, rfc4648[i].base64url);

      decoded = eva_base64url_decode (rfc4648[i].base64url, &decoded_len);
      g_assert_nonnull (decoded);
      g_assert_cmpmem (decoded, decoded_len, rfc4648[i].data, len);
    }

  {
    g_autofree char *encoded = eva_base64url_encode (url_safe, sizeof url_safe);
    g_assert_cmpstr (encoded, ==, "-_-_");
  }
  {
    g_autofree char *encoded = eva_base64url_encode (NULL, 0);
    g_assert_cmpstr (encoded, ==, "");
  }
}

static void
test_base64url_reject (void)
{
  static const char *const bad[] = {
    "Zg==", "Zg=", "Zm9v=", "Zm9v YmFy", " Zm9v", "Zm9v\n", "Zm9v+",
    "Zm9v/", "Zm9v+/", "Z", "Zm9vY", "Zh", "Zm9", "Zm9vYmFy!", "Zm9v\xc3\xa9",
    "Zm.v", "*",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gsize len = 77;
      g_autofree guint8 *decoded = eva_base64url_decode (bad[i], &len);

      if (decoded != NULL)
        g_error ("“%s” was decoded", bad[i]);
      g_assert_cmpuint (len, ==, 77);
    }
}

static void
test_base64url_round_trip (void)
{
  for (gsize len = 0; len < 300; len++)
    {
      g_autofree guint8 *data = g_malloc (len + 1);
      g_autofree char *encoded = NULL;
      g_autofree guint8 *decoded = NULL;
      gsize decoded_len = 0;

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) g_test_rand_int_range (0, 256);

      encoded = eva_base64url_encode (data, len);
      g_assert_cmpuint (strlen (encoded), ==, (len * 4 + 2) / 3);
      g_assert_null (strpbrk (encoded, "+/="));

      decoded = eva_base64url_decode (encoded, &decoded_len);
      g_assert_nonnull (decoded);
      g_assert_cmpmem (decoded, decoded_len, data, len);
    }
}

/* ------------------------------------------------------------------ */
/* base32                                                             */
/* ------------------------------------------------------------------ */

static void
test_base32_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rfc4648); i++)
    {
      gsize len = strlen (rfc4648[i].data);
      g_autofree char *encoded = eva_base32_encode ((const guint8 *) rfc4648[i].data, len);
      g_autofree guint8 *decoded = NULL;
      gsize decoded_len = 99;

      g_assert_cmpstr (encoded, ==, rfc4648[i].base32);

      decoded = eva_base32_decode (rfc4648[i].base32, &decoded_len);
      g_assert_nonnull (decoded);
      g_assert_cmpmem (decoded, decoded_len, rfc4648[i].data, len);
    }
}

static void
test_base32_reject (void)
{
  static const char *const bad[] = {
    "my", "mzxw6", "Mzxw6",            /* lower case */
    "MY======", "MZXQ====", "MY=",      /* padding */
    "M", "MZX", "MZXW6Y",               /* impossible lengths */
    "MZ", "MZXR", "MZXW7", "MZXW6YR",   /* non-zero unused bits */
    "MZXW0", "MZXW1", "MZXW8", "MZXW9", /* not in the alphabet */
    "MZ W6", "MZXW6\n", " MY", "MY-", "M\xc3\x9c",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gsize len = 77;
      g_autofree guint8 *decoded = eva_base32_decode (bad[i], &len);

      if (decoded != NULL)
        g_error ("“%s” was decoded", bad[i]);
      g_assert_cmpuint (len, ==, 77);
    }
}

static void
test_base32_round_trip (void)
{
  for (gsize len = 0; len < 300; len++)
    {
      g_autofree guint8 *data = g_malloc (len + 1);
      g_autofree char *encoded = NULL;
      g_autofree guint8 *decoded = NULL;
      gsize decoded_len = 0;

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) g_test_rand_int_range (0, 256);

      encoded = eva_base32_encode (data, len);
      g_assert_cmpuint (strlen (encoded), ==, (len * 8 + 4) / 5);
      g_assert_cmpuint (strspn (encoded, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), ==, strlen (encoded));

      decoded = eva_base32_decode (encoded, &decoded_len);
      g_assert_nonnull (decoded);
      g_assert_cmpmem (decoded, decoded_len, data, len);
    }
}

/* ------------------------------------------------------------------ */
/* Tokens                                                             */
/* ------------------------------------------------------------------ */

static void
test_random_token (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      char *token = eva_random_token (32);
      g_autofree guint8 *bytes = NULL;
      gsize len = 0;

      g_assert_cmpuint (strlen (token), ==, 43);
      g_assert_cmpuint (strspn (token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==, 43);
      bytes = eva_base64url_decode (token, &len);
      g_assert_cmpuint (len, ==, 32);
      g_assert_false (g_hash_table_contains (seen, token));
      g_hash_table_add (seen, token);
    }

  {
    g_autofree char *one = eva_random_token (1);
    g_assert_cmpuint (strlen (one), ==, 2);
  }
}

static void
assert_hash (const char *token,
             const char *expected_hex)
{
  guint8 hash[EVA_TOKEN_HASH_BYTES];
  g_autoptr(GString) hex = g_string_new (NULL);

  eva_token_hash (token, hash);
  for (guint i = 0; i < sizeof hash; i++)
    g_string_append_printf (hex, "%02x", hash[i]);
  g_assert_cmpstr (hex->str, ==, expected_hex);
}

static void
test_token_hash (void)
{
  guint8 a[EVA_TOKEN_HASH_BYTES];
  guint8 b[EVA_TOKEN_HASH_BYTES];

  /* BLAKE2b-256 known answers. */
  assert_hash ("", "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  assert_hash ("abc", "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");

  eva_token_hash ("token-one", a);
  eva_token_hash ("token-one", b);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  eva_token_hash ("token-onf", b);
  g_assert_false (memcmp (a, b, sizeof a) == 0);
}

static void
test_constant_time_equal (void)
{
  const guint8 x[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  const guint8 y[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  const guint8 z[] = { 1, 2, 3, 4, 5, 6, 7, 9 };
  const guint8 w[] = { 0, 2, 3, 4, 5, 6, 7, 8 };

  g_assert_true (eva_constant_time_equal (x, y, sizeof x));
  g_assert_false (eva_constant_time_equal (x, z, sizeof x));
  g_assert_false (eva_constant_time_equal (x, w, sizeof x));
  g_assert_true (eva_constant_time_equal (x, z, 7));
  g_assert_true (eva_constant_time_equal (NULL, NULL, 0));
}

static void
test_payment_reference (void)
{
  static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTWXYZ";

  for (guint round = 0; round < 200; round++)
    {
      g_autofree char *ref = eva_payment_reference_new ();
      g_autofree char *normalized = NULL;
      g_autofree char *spaced = NULL;
      g_autofree char *lower = g_ascii_strdown (ref, -1);

      g_assert_cmpuint (strlen (ref), ==, EVA_PAYMENT_REFERENCE_LENGTH);
      g_assert_true (g_str_has_prefix (ref, "EV"));
      for (const char *p = ref + 2; *p != '\0'; p++)
        g_assert_nonnull (strchr (alphabet, *p));
      g_assert_true (eva_payment_reference_check (ref, &normalized));
      g_assert_cmpstr (normalized, ==, ref);

      /* As people type it. */
      spaced = g_strdup_printf ("%.4s-%.4s %s", lower, lower + 4, lower + 8);
      g_clear_pointer (&normalized, g_free);
      g_assert_true (eva_payment_reference_check (spaced, &normalized));
      g_assert_cmpstr (normalized, ==, ref);

      /* Every single substitution is caught… */
      for (guint i = 2; i < EVA_PAYMENT_REFERENCE_LENGTH; i++)
        for (const char *a = alphabet; *a != '\0'; a++)
          {
            g_autofree char *typo = g_strdup (ref);

            if (*a == ref[i])
              continue;
            typo[i] = *a;
            g_assert_false (eva_payment_reference_check (typo, NULL));
          }
      /* …and every swap of two different neighbours. */
      for (guint i = 2; i + 1 < EVA_PAYMENT_REFERENCE_LENGTH; i++)
        {
          g_autofree char *swapped = g_strdup (ref);

          if (ref[i] == ref[i + 1])
            continue;
          swapped[i] = ref[i + 1];
          swapped[i + 1] = ref[i];
          g_assert_false (eva_payment_reference_check (swapped, NULL));
        }
    }

  g_assert_false (eva_payment_reference_check ("", NULL));
  g_assert_false (eva_payment_reference_check ("EV", NULL));
  g_assert_false (eva_payment_reference_check ("XX23456789A", NULL));
  g_assert_false (eva_payment_reference_check ("EV0234567892", NULL));
  g_assert_false (eva_payment_reference_check ("EV23456789AB", NULL));
  g_assert_false (eva_payment_reference_check ("EV2345678OA", NULL));
}

static void
test_csv_cell (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "plain", "plain," },
    { "", "," },
    { "a,b", "\"a,b\"," },
    { "say \"hi\"", "\"say \"\"hi\"\"\"," },
    { "two\nlines", "\"two\nlines\"," },
    { "=SUM(A1)", "\"'=SUM(A1)\"," },
    { "+1", "\"'+1\"," },
    { "-5", "\"'-5\"," },
    { "@cmd", "\"'@cmd\"," },
    { "\tx", "\"'\tx\"," },
    { "a=b", "a=b," },
  };
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_string_truncate (out, 0);
      eva_csv_append_cell (out, cases[i].in, FALSE);
      g_assert_cmpstr (out->str, ==, cases[i].out);
    }
  g_string_truncate (out, 0);
  eva_csv_append_cell (out, "x", TRUE);
  eva_csv_append_cell (out, NULL, TRUE);
  g_assert_cmpstr (out->str, ==, "x\r\n\r\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  eva_common_init ();

  g_test_add_func ("/encoding/base64url/vectors", test_base64url_vectors);
  g_test_add_func ("/encoding/base64url/reject", test_base64url_reject);
  g_test_add_func ("/encoding/base64url/round-trip", test_base64url_round_trip);
  g_test_add_func ("/encoding/base32/vectors", test_base32_vectors);
  g_test_add_func ("/encoding/base32/reject", test_base32_reject);
  g_test_add_func ("/encoding/base32/round-trip", test_base32_round_trip);
  g_test_add_func ("/encoding/random-token", test_random_token);
  g_test_add_func ("/encoding/token-hash", test_token_hash);
  g_test_add_func ("/encoding/constant-time-equal", test_constant_time_equal);
  g_test_add_func ("/encoding/payment-reference", test_payment_reference);
  g_test_add_func ("/encoding/csv-cell", test_csv_cell);

  return g_test_run ();
}
