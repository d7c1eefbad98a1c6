/* eva-encoding.c: base64url, base32, random tokens and token hashes
 *
 * Decoders are strict: one text per byte string. No padding, no
 * whitespace, no other alphabet, and unused trailing bits must be zero, so
 * a token or ticket code cannot be varied without changing its bytes.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "eva-common-private.h"
#include "eva-encoding.h"

G_STATIC_ASSERT (EVA_TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN);
G_STATIC_ASSERT (EVA_TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX);

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char base64url_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static int
base32_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= '2' && c <= '7')
    return c - '2' + 26;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_base64url_encode:
 *
 * Returns: (transfer full): @data in the URL-safe base64 alphabet of
 *   RFC 4648 §5, without '=' padding.
 */
char *
eva_base64url_encode (const guint8 *data,
                      gsize         len)
{
  gsize size = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *text;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  text = g_malloc (size);
  if (len == 0)
    text[0] = '\0';
  else
    sodium_bin2base64 (text, size, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);

  return text;
}

/**
 * eva_base64url_decode:
 * @text: base64url text without padding
 * @out_len: (out): the number of bytes decoded
 *
 * Returns: (transfer full) (nullable): the bytes (nul-terminated for
 *   convenience, the terminator not counted), or %NULL when @text holds
 *   anything but the base64url alphabet, has padding, an impossible length
 *   or non-zero unused bits.
 */
guint8 *
eva_base64url_decode (const char *text,
                      gsize      *out_len)
{
  g_autofree guint8 *bin = NULL;
  gsize text_len;
  gsize max_len;
  size_t bin_len = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (out_len != NULL, NULL);

  text_len = strlen (text);
  /* libsodium 1.0.18 takes some bytes >= 0x80 for alphabet characters. */
  if (strspn (text, base64url_alphabet) != text_len)
    return NULL;
  max_len = text_len / 4 * 3 + 3;
  bin = g_malloc (max_len + 1);

  if (text_len > 0 &&
      sodium_base642bin (bin, max_len, text, text_len, NULL, &bin_len, NULL,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return NULL;

  bin[bin_len] = '\0';
  *out_len = bin_len;
  return g_steal_pointer (&bin);
}

/**
 * eva_base32_encode:
 *
 * Returns: (transfer full): @data in the base32 alphabet of RFC 4648 §6
 *   (A–Z, 2–7), without '=' padding. The text uses only characters of the
 *   QR code alphanumeric mode.
 */
char *
eva_base32_encode (const guint8 *data,
                   gsize         len)
{
  GString *text;
  guint32 acc = 0;
  guint bits = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  text = g_string_sized_new ((len * 8 + 4) / 5 + 1);

  for (gsize i = 0; i < len; i++)
    {
      acc = (acc << 8) | data[i];
      bits += 8;

      while (bits >= 5)
        {
          bits -= 5;
          g_string_append_c (text, base32_alphabet[(acc >> bits) & 0x1f]);
        }
      acc &= (1u << bits) - 1;
    }

  if (bits > 0)
    g_string_append_c (text, base32_alphabet[(acc << (5 - bits)) & 0x1f]);

  return g_string_free (text, FALSE);
}

/**
 * eva_base32_decode:
 * @text: upper-case base32 text without padding
 * @out_len: (out): the number of bytes decoded
 *
 * Returns: (transfer full) (nullable): the bytes (nul-terminated, the
 *   terminator not counted), or %NULL for lower case, padding, characters
 *   outside the alphabet, an impossible length or non-zero unused bits.
 */
guint8 *
eva_base32_decode (const char *text,
                   gsize      *out_len)
{
  g_autofree guint8 *bin = NULL;
  gsize text_len;
  gsize n = 0;
  guint32 acc = 0;
  guint bits = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (out_len != NULL, NULL);

  text_len = strlen (text);
  bin = g_malloc (text_len * 5 / 8 + 1);

  for (gsize i = 0; i < text_len; i++)
    {
      int value = base32_value (text[i]);

      if (value < 0)
        return NULL;

      acc = (acc << 5) | (guint32) value;
      bits += 5;

      if (bits >= 8)
        {
          bits -= 8;
          bin[n++] = (guint8) (acc >> bits);
          acc &= (1u << bits) - 1;
        }
    }

  /* Five or more bits left means a length no byte string encodes to;
   * the bits that are left must be zero. */
  if (bits >= 5 || acc != 0)
    return NULL;

  bin[n] = '\0';
  *out_len = n;
  return g_steal_pointer (&bin);
}

/**
 * eva_random_token:
 * @n_bytes: how many random bytes, e.g. 32
 *
 * Returns: (transfer full): @n_bytes from libsodium's CSPRNG as base64url.
 *   Store only eva_token_hash() of it.
 */
char *
eva_random_token (gsize n_bytes)
{
  g_autofree guint8 *bytes = NULL;
  char *token;

  g_return_val_if_fail (n_bytes > 0, NULL);

  _eva_sodium_ensure ();

  bytes = g_malloc (n_bytes);
  randombytes_buf (bytes, n_bytes);
  token = eva_base64url_encode (bytes, n_bytes);
  sodium_memzero (bytes, n_bytes);

  return token;
}

/**
 * eva_token_hash:
 * @token: a high-entropy token, e.g. from eva_random_token()
 * @out: (out caller-allocates): 32 bytes
 *
 * Unkeyed BLAKE2b-256 (crypto_generichash) of the token's bytes, for
 * storing session and reset tokens so a database leak does not leak them.
 * Not for passwords, which need crypto_pwhash.
 */
void
eva_token_hash (const char *token,
                guint8      out[EVA_TOKEN_HASH_BYTES])
{
  g_return_if_fail (token != NULL);
  g_return_if_fail (out != NULL);

  _eva_sodium_ensure ();

  crypto_generichash (out, EVA_TOKEN_HASH_BYTES,
                      (const unsigned char *) token, strlen (token),
                      NULL, 0);
}

/**
 * eva_constant_time_equal:
 *
 * Returns: whether the @len bytes at @a and @b are equal, in time that
 *   depends only on @len.
 */
gboolean
eva_constant_time_equal (const guint8 *a,
                         const guint8 *b,
                         gsize         len)
{
  if (len == 0)
    return TRUE;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  _eva_sodium_ensure ();

  return sodium_memcmp (a, b, len) == 0;
}

/* ------------------------------------------------------------------ */
/* Payment references                                                 */
/* ------------------------------------------------------------------ */

/* 29 symbols (a prime): with weights 1…9, all below 29, a check sum mod
 * 29 changes under any single substitution, and under any swap of two
 * neighbours (their weights differ by one). */
static const char reference_alphabet[] = "23456789ABCDEFGHJKMNPQRSTWXYZ";

G_STATIC_ASSERT (sizeof reference_alphabet - 1 == 29);

static int
reference_value (char c)
{
  const char *p = c != '\0' ? strchr (reference_alphabet, c) : NULL;

  return p != NULL ? (int) (p - reference_alphabet) : -1;
}

static char
reference_check_symbol (const char *digits)
{
  guint sum = 0;

  for (guint i = 0; i < EVA_PAYMENT_REFERENCE_DIGITS; i++)
    sum += (i + 1) * (guint) reference_value (digits[i]);
  return reference_alphabet[sum % 29];
}

/**
 * eva_payment_reference_new:
 *
 * Returns: (transfer full): a fresh random reference, e.g. "EV7K3M9QX2H".
 */
char *
eva_payment_reference_new (void)
{
  char *ref = g_malloc (EVA_PAYMENT_REFERENCE_LENGTH + 1);

  _eva_sodium_ensure ();

  ref[0] = 'E';
  ref[1] = 'V';
  for (guint i = 0; i < EVA_PAYMENT_REFERENCE_DIGITS; i++)
    ref[2 + i] = reference_alphabet[randombytes_uniform (29)];
  ref[2 + EVA_PAYMENT_REFERENCE_DIGITS] = reference_check_symbol (ref + 2);
  ref[EVA_PAYMENT_REFERENCE_LENGTH] = '\0';
  return ref;
}

/**
 * eva_payment_reference_check:
 * @text: what a person typed or a bank statement shows
 * @normalized: (out) (optional): the canonical reference
 *
 * Returns: whether @text is a well-formed reference with a right check
 *   symbol. Letters may be lower case; spaces and dashes are ignored.
 */
gboolean
eva_payment_reference_check (const char  *text,
                             char       **normalized)
{
  char ref[EVA_PAYMENT_REFERENCE_LENGTH + 1];
  gsize n = 0;

  g_return_val_if_fail (text != NULL, FALSE);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == '-')
        continue;
      if (n == EVA_PAYMENT_REFERENCE_LENGTH)
        return FALSE;
      ref[n++] = g_ascii_toupper (*p);
    }
  ref[n] = '\0';
  if (n != EVA_PAYMENT_REFERENCE_LENGTH || ref[0] != 'E' || ref[1] != 'V')
    return FALSE;
  for (guint i = 2; i < EVA_PAYMENT_REFERENCE_LENGTH; i++)
    if (reference_value (ref[i]) < 0)
      return FALSE;
  if (reference_check_symbol (ref + 2) != ref[EVA_PAYMENT_REFERENCE_LENGTH - 1])
    return FALSE;
  if (normalized != NULL)
    *normalized = g_strdup (ref);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                */
/* ------------------------------------------------------------------ */

void
eva_csv_append_cell (GString    *out,
                     const char *value,
                     gboolean    last)
{
  gboolean formula;
  gboolean quote;

  g_return_if_fail (out != NULL);

  if (value == NULL)
    value = "";
  formula = value[0] != '\0' && strchr ("=+-@\t\r", value[0]) != NULL;
  quote = formula || strpbrk (value, ",\"\r\n") != NULL;
  if (quote)
    g_string_append_c (out, '"');
  if (formula)
    g_string_append_c (out, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  if (quote)
    g_string_append_c (out, '"');
  g_string_append (out, last ? "\r\n" : ",");
}
