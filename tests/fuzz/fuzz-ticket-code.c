/* fuzz-ticket-code.c: ticket codes and UUIDs (common/eva-ticket-code.c)
 *
 * Properties: a code that verifies is exactly EVA_TICKET_CODE_LEN long,
 * its key id peeks as the one it carries, and signing its fields again
 * (Ed25519 is deterministic) gives the same text; a code that does not
 * verify leaves the output alone and sets an error; any fields (taken
 * from the input's bytes) sign to a code that verifies to those fields,
 * and any one changed character makes it fail. A UUID that parses
 * formats to lower-case 8-4-4-4-12 that equals the input but for case.
 *
 * The key pair comes from a fixed seed, so seeds in the corpus can be
 * real codes (corpus/ticket-code/valid-*).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-ticket-code.h"
#include "fuzz-common.h"

static guint8 public_key[crypto_sign_PUBLICKEYBYTES];
static guint8 secret_key[crypto_sign_SECRETKEYBYTES];
static char key_id[EVA_TICKET_KEY_ID_LEN + 1];

static void
setup (void)
{
  static gboolean done;
  guint8 seed[crypto_sign_SEEDBYTES];

  if (done)
    return;
  done = TRUE;
  FUZZ_CHECK (sodium_init () >= 0);
  for (guint i = 0; i < sizeof seed; i++)
    seed[i] = (guint8) (i * 7 + 1);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  eva_ticket_key_id_from_public_key (public_key, key_id);
}

static void
check_text (const char *text)
{
  EvaTicketCode code;
  g_autoptr(GError) error = NULL;
  char peeked[EVA_TICKET_KEY_ID_LEN + 1];
  gboolean peek_ok = eva_ticket_code_peek_key_id (text, peeked);
  EvaTicketCode fields;
  gboolean fields_ok = eva_ticket_code_peek (text, &fields);

  /* Peeking the fields and the key id accept the same texts. */
  FUZZ_CHECK (fields_ok == peek_ok);
  if (fields_ok)
    FUZZ_CHECK (g_str_equal (fields.key_id, peeked));

  memset (&code, 0xa5, sizeof code);
  if (eva_ticket_code_verify (text, public_key, &code, &error))
    {
      g_autofree char *again = eva_ticket_code_sign (&code, secret_key);

      FUZZ_CHECK (error == NULL);
      FUZZ_CHECK (strlen (text) == EVA_TICKET_CODE_LEN);
      FUZZ_CHECK (peek_ok && g_str_equal (peeked, code.key_id));
      FUZZ_CHECK (code.version == EVA_TICKET_CODE_VERSION);
      FUZZ_CHECK (g_str_equal (again, text));
      /* What verify vouches for is what peek reads. */
      FUZZ_CHECK (memcmp (&fields, &code, sizeof code) == 0);
    }
  else
    {
      EvaTicketCode untouched;

      memset (&untouched, 0xa5, sizeof untouched);
      FUZZ_CHECK (error != NULL);
      FUZZ_CHECK (memcmp (&code, &untouched, sizeof code) == 0);
    }
  if (peek_ok)
    {
      FUZZ_CHECK (strlen (peeked) == EVA_TICKET_KEY_ID_LEN);
      FUZZ_CHECK (strspn (peeked, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                  == EVA_TICKET_KEY_ID_LEN);
    }
}

static void
check_fields (const uint8_t *data,
              size_t         size)
{
  EvaTicketCode code = { 0 };
  EvaTicketCode back;
  g_autofree char *text = NULL;
  g_autofree char *changed = NULL;
  guint at;

  if (size < 56 + 1)
    return;
  code.version = EVA_TICKET_CODE_VERSION;
  memcpy (code.key_id, key_id, sizeof code.key_id);
  memcpy (code.ticket_id, data, 16);
  memcpy (code.event_id, data + 16, 16);
  memcpy (code.ticket_type_id, data + 32, 16);
  memcpy (&code.issued_at, data + 48, 8);

  text = eva_ticket_code_sign (&code, secret_key);
  FUZZ_CHECK (text != NULL && strlen (text) == EVA_TICKET_CODE_LEN);
  FUZZ_CHECK (g_str_has_prefix (text, EVA_TICKET_CODE_PREFIX));
  FUZZ_CHECK (eva_ticket_code_verify (text, public_key, &back, NULL));
  FUZZ_CHECK (memcmp (back.ticket_id, code.ticket_id, 16) == 0);
  FUZZ_CHECK (memcmp (back.event_id, code.event_id, 16) == 0);
  FUZZ_CHECK (memcmp (back.ticket_type_id, code.ticket_type_id, 16) == 0);
  FUZZ_CHECK (back.issued_at == code.issued_at);
  FUZZ_CHECK (g_str_equal (back.key_id, code.key_id));

  /* One character changed, to another of the alphabet. */
  changed = g_strdup (text);
  at = data[56] % EVA_TICKET_CODE_LEN;
  changed[at] = changed[at] == 'A' ? 'B' : 'A';
  FUZZ_CHECK (!eva_ticket_code_verify (changed, public_key, &back, NULL));
}

static void
check_uuid (const char *text)
{
  guint8 uuid[16];

  memset (uuid, 0x5a, sizeof uuid);
  if (eva_uuid_parse (text, uuid))
    {
      g_autofree char *canon = eva_uuid_format (uuid);
      guint8 again[16];

      FUZZ_CHECK (strlen (canon) == 36);
      FUZZ_CHECK (g_ascii_strcasecmp (canon, text) == 0);
      FUZZ_CHECK (eva_uuid_parse (canon, again) && memcmp (again, uuid, 16) == 0);
    }
  else
    for (guint i = 0; i < 16; i++)
      FUZZ_CHECK (uuid[i] == 0x5a);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_string (data, size);

  fuzz_init ();
  setup ();
  check_text (text);
  check_uuid (text);
  check_fields (data, size);
  return 0;
}
