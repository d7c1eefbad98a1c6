/* eva-ticket-code.c: signed ticket codes for QR, verifiable offline
 *
 * A ticket code is "EV1." followed by the base32 (RFC 4648, upper case, no
 * padding) of 129 bytes:
 *
 *   offset  size  field
 *        0     1  version (1)
 *        1     8  key id, ASCII [A-Za-z0-9_-]
 *        9    16  ticket id (UUID bytes)
 *       25    16  event id
 *       41    16  ticket type id
 *       57     8  issued at, Unix seconds, signed big-endian
 *       65    64  Ed25519 signature of SIGNING_CONTEXT followed by bytes 0–64
 *
 * Every character is in the QR alphanumeric set, so the 211-character code
 * fits a version 8 QR symbol at level M, and scanners need no charset
 * guessing. Decoding is strict (no lower case, zero trailing bits), so each
 * ticket has exactly one text and the text can serve as a lookup key.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <string.h>

#include "eva-common-private.h"
#include "eva-encoding.h"
#include "eva-error.h"
#include "eva-ticket-code.h"

#define PAYLOAD_LEN   65
#define SIGNED_LEN    (PAYLOAD_LEN + crypto_sign_BYTES)
#define PREFIX_LEN    (sizeof EVA_TICKET_CODE_PREFIX - 1)

/* Domain separation: a key that signs ticket codes signs nothing else that
 * could be mistaken for one. */
#define SIGNING_CONTEXT     "everato ticket code v1\n"
#define SIGNING_CONTEXT_LEN (sizeof SIGNING_CONTEXT - 1)

G_STATIC_ASSERT (crypto_sign_BYTES == 64);
G_STATIC_ASSERT (EVA_TICKET_CODE_LEN == PREFIX_LEN + (SIGNED_LEN * 8 + 4) / 5);

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
key_id_is_valid (const char *key_id,
                 gsize       len)
{
  if (len != EVA_TICKET_KEY_ID_LEN)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (key_id[i]) && key_id[i] != '-' && key_id[i] != '_')
      return FALSE;

  return TRUE;
}

static void
write_be64 (guint8 *p,
            gint64  value)
{
  guint64 v = (guint64) value;

  for (int i = 7; i >= 0; i--)
    {
      p[i] = (guint8) (v & 0xff);
      v >>= 8;
    }
}

static gint64
read_be64 (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];

  return (gint64) v;
}

/* SIGNING_CONTEXT followed by the payload. */
static void
build_message (const guint8 *payload,
               guint8        message[SIGNING_CONTEXT_LEN + PAYLOAD_LEN])
{
  memcpy (message, SIGNING_CONTEXT, SIGNING_CONTEXT_LEN);
  memcpy (message + SIGNING_CONTEXT_LEN, payload, PAYLOAD_LEN);
}

/* Checks the prefix, length and encoding, and returns the 129 bytes. */
static guint8 *
decode_text (const char  *text,
             GError     **error)
{
  g_autofree guint8 *bytes = NULL;
  gsize n_bytes = 0;

  if (!g_str_has_prefix (text, EVA_TICKET_CODE_PREFIX))
    {
      if (text[0] == 'E' && text[1] == 'V' && g_ascii_isdigit (text[2]))
        g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                     "unsupported ticket code version");
      else
        g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                     "not an Everato ticket code");
      return NULL;
    }

  if (strlen (text) != EVA_TICKET_CODE_LEN)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "ticket code has the wrong length");
      return NULL;
    }

  bytes = eva_base32_decode (text + PREFIX_LEN, &n_bytes);
  if (bytes == NULL || n_bytes != SIGNED_LEN)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "ticket code is not validly encoded");
      return NULL;
    }

  if (bytes[0] != EVA_TICKET_CODE_VERSION)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "unsupported ticket code version");
      return NULL;
    }

  if (!key_id_is_valid ((const char *) bytes + 1, EVA_TICKET_KEY_ID_LEN))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "ticket code has an invalid key id");
      return NULL;
    }

  return g_steal_pointer (&bytes);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_ticket_code_sign:
 * @code: the fields; version must be %EVA_TICKET_CODE_VERSION and key_id
 *   eight characters of [A-Za-z0-9_-]
 * @secret_key: an Ed25519 secret key from crypto_sign_keypair()
 *
 * Returns: (transfer full): the %EVA_TICKET_CODE_LEN-character code.
 */
char *
eva_ticket_code_sign (const EvaTicketCode *code,
                      const guint8         secret_key[crypto_sign_SECRETKEYBYTES])
{
  guint8 bytes[SIGNED_LEN];
  guint8 message[SIGNING_CONTEXT_LEN + PAYLOAD_LEN];
  g_autofree char *encoded = NULL;

  g_return_val_if_fail (code != NULL, NULL);
  g_return_val_if_fail (secret_key != NULL, NULL);
  g_return_val_if_fail (code->version == EVA_TICKET_CODE_VERSION, NULL);
  g_return_val_if_fail (key_id_is_valid (code->key_id, strnlen (code->key_id, sizeof code->key_id)), NULL);

  _eva_sodium_ensure ();

  bytes[0] = code->version;
  memcpy (bytes + 1, code->key_id, EVA_TICKET_KEY_ID_LEN);
  memcpy (bytes + 9, code->ticket_id, 16);
  memcpy (bytes + 25, code->event_id, 16);
  memcpy (bytes + 41, code->ticket_type_id, 16);
  write_be64 (bytes + 57, code->issued_at);

  build_message (bytes, message);
  crypto_sign_detached (bytes + PAYLOAD_LEN, NULL, message, sizeof message, secret_key);

  encoded = eva_base32_encode (bytes, sizeof bytes);
  return g_strconcat (EVA_TICKET_CODE_PREFIX, encoded, NULL);
}

/* The fields of a decoded code (decode_text ()). */
static void
read_fields (const guint8  *bytes,
             EvaTicketCode *out)
{
  memset (out, 0, sizeof *out);
  out->version = bytes[0];
  memcpy (out->key_id, bytes + 1, EVA_TICKET_KEY_ID_LEN);
  out->key_id[EVA_TICKET_KEY_ID_LEN] = '\0';
  memcpy (out->ticket_id, bytes + 9, 16);
  memcpy (out->event_id, bytes + 25, 16);
  memcpy (out->ticket_type_id, bytes + 41, 16);
  out->issued_at = read_be64 (bytes + 57);
}

/**
 * eva_ticket_code_verify:
 * @text: a ticket code as scanned
 * @public_key: the Ed25519 public key of the key named by the code's key id
 * @out: (out caller-allocates) (optional): the verified fields
 *
 * Checks the format and the signature. Whether the ticket is still valid
 * (not cancelled or re-issued, for this event, not yet checked in) is the
 * caller's business.
 *
 * Returns: %TRUE if the signature verifies; otherwise %FALSE with
 *   %EVA_ERROR_INVALID, and *@out untouched.
 */
gboolean
eva_ticket_code_verify (const char     *text,
                        const guint8    public_key[crypto_sign_PUBLICKEYBYTES],
                        EvaTicketCode  *out,
                        GError        **error)
{
  g_autofree guint8 *bytes = NULL;
  guint8 message[SIGNING_CONTEXT_LEN + PAYLOAD_LEN];

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _eva_sodium_ensure ();

  bytes = decode_text (text, error);
  if (bytes == NULL)
    return FALSE;

  build_message (bytes, message);
  if (crypto_sign_verify_detached (bytes + PAYLOAD_LEN, message, sizeof message,
                                   public_key) != 0)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "ticket code signature is not valid");
      return FALSE;
    }

  if (out != NULL)
    read_fields (bytes, out);

  return TRUE;
}

/**
 * eva_ticket_code_peek_key_id:
 * @text: a ticket code as scanned
 * @key_id: (out caller-allocates): 9 bytes for the key id and a NUL
 *
 * Reads the key id without checking the signature, so the verifier can
 * pick the public key. Trust nothing else until eva_ticket_code_verify().
 *
 * Returns: %FALSE if @text is not a well-formed ticket code.
 */
gboolean
eva_ticket_code_peek_key_id (const char *text,
                             char        key_id[EVA_TICKET_KEY_ID_LEN + 1])
{
  EvaTicketCode code;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (key_id != NULL, FALSE);

  if (!eva_ticket_code_peek (text, &code))
    return FALSE;
  memcpy (key_id, code.key_id, EVA_TICKET_KEY_ID_LEN + 1);
  return TRUE;
}

/**
 * eva_ticket_code_peek:
 * @text: a ticket code as scanned
 * @out: (out caller-allocates): what the code says
 *
 * Reads a code's fields without checking its signature. Nothing read
 * here may be trusted until eva_ticket_code_verify() has passed, or until
 * @text is found, byte for byte, as the code of the ticket it names among
 * those the issuer stored when it signed them.
 *
 * Returns: %FALSE if @text is not a well-formed ticket code.
 */
gboolean
eva_ticket_code_peek (const char    *text,
                      EvaTicketCode *out)
{
  g_autofree guint8 *bytes = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  bytes = decode_text (text, NULL);
  if (bytes == NULL)
    return FALSE;
  read_fields (bytes, out);
  return TRUE;
}

/**
 * eva_ticket_key_id_from_public_key:
 * @public_key: an Ed25519 public key
 * @key_id: (out caller-allocates): 9 bytes
 *
 * Derives a key id: base64url of the first 6 bytes of BLAKE2b-256 of the
 * public key. Anyone holding the public key can recompute it.
 */
void
eva_ticket_key_id_from_public_key (const guint8 public_key[crypto_sign_PUBLICKEYBYTES],
                                   char         key_id[EVA_TICKET_KEY_ID_LEN + 1])
{
  guint8 hash[32];
  g_autofree char *encoded = NULL;

  g_return_if_fail (public_key != NULL);
  g_return_if_fail (key_id != NULL);

  _eva_sodium_ensure ();

  crypto_generichash (hash, sizeof hash, public_key, crypto_sign_PUBLICKEYBYTES, NULL, 0);
  encoded = eva_base64url_encode (hash, 6);
  g_assert (strlen (encoded) == EVA_TICKET_KEY_ID_LEN);
  memcpy (key_id, encoded, EVA_TICKET_KEY_ID_LEN + 1);
}

/**
 * eva_uuid_parse:
 * @text: a UUID in the canonical 8-4-4-4-12 form, hex digits in either case
 * @out: (out caller-allocates): 16 bytes
 *
 * Returns: %FALSE (and *@out untouched) for anything else: no braces,
 *   no "urn:uuid:", no missing dashes.
 */
gboolean
eva_uuid_parse (const char *text,
                guint8      out[16])
{
  guint8 bytes[16];
  guint n = 0;

  g_return_val_if_fail (out != NULL, FALSE);

  if (text == NULL || strlen (text) != 36)
    return FALSE;

  for (guint i = 0; i < 36; )
    {
      int hi, lo;

      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (text[i] != '-')
            return FALSE;
          i++;
          continue;
        }

      hi = g_ascii_xdigit_value (text[i]);
      lo = g_ascii_xdigit_value (text[i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;

      bytes[n++] = (guint8) (hi << 4 | lo);
      i += 2;
    }

  g_assert (n == 16);
  memcpy (out, bytes, 16);
  return TRUE;
}

/**
 * eva_uuid_format:
 *
 * Returns: (transfer full): @in as a lower-case canonical UUID.
 */
char *
eva_uuid_format (const guint8 in[16])
{
  g_return_val_if_fail (in != NULL, NULL);

  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                          "%02x%02x%02x%02x%02x%02x",
                          in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7],
                          in[8], in[9], in[10], in[11], in[12], in[13], in[14],
                          in[15]);
}
