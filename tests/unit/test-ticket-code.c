/* test-ticket-code.c: signed ticket codes and UUIDs
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-ticket-code"

#include "config.h"

#include <string.h>

#include "eva-common.h"

#define QR_ALPHANUMERIC "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
#define BASE32_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

typedef struct {
  guint8        public_key[crypto_sign_PUBLICKEYBYTES];
  guint8        secret_key[crypto_sign_SECRETKEYBYTES];
  guint8        other_public_key[crypto_sign_PUBLICKEYBYTES];
  guint8        other_secret_key[crypto_sign_SECRETKEYBYTES];
  EvaTicketCode code;
  char         *text;
} Fixture;

/* ------------------------------------------------------------------ */
/* Fixture                                                            */
/* ------------------------------------------------------------------ */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  crypto_sign_keypair (fixture->public_key, fixture->secret_key);
  crypto_sign_keypair (fixture->other_public_key, fixture->other_secret_key);

  memset (&fixture->code, 0, sizeof fixture->code);
  fixture->code.version = EVA_TICKET_CODE_VERSION;
  eva_ticket_key_id_from_public_key (fixture->public_key, fixture->code.key_id);
  g_assert_true (eva_uuid_parse ("0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b87", fixture->code.ticket_id));
  g_assert_true (eva_uuid_parse ("1F2E3D4C-5B6A-4978-8796-A5B4C3D2E1F0", fixture->code.event_id));
  g_assert_true (eva_uuid_parse ("ffffffff-0000-4000-8000-000000000001", fixture->code.ticket_type_id));
  fixture->code.issued_at = G_GINT64_CONSTANT (1795507174);

  fixture->text = eva_ticket_code_sign (&fixture->code, fixture->secret_key);
  g_assert_nonnull (fixture->text);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_pointer (&fixture->text, g_free);
  sodium_memzero (fixture->secret_key, sizeof fixture->secret_key);
  sodium_memzero (fixture->other_secret_key, sizeof fixture->other_secret_key);
}

static void
assert_code_equal (const EvaTicketCode *a,
                   const EvaTicketCode *b)
{
  g_assert_cmpuint (a->version, ==, b->version);
  g_assert_cmpstr (a->key_id, ==, b->key_id);
  g_assert_cmpmem (a->ticket_id, 16, b->ticket_id, 16);
  g_assert_cmpmem (a->event_id, 16, b->event_id, 16);
  g_assert_cmpmem (a->ticket_type_id, 16, b->ticket_type_id, 16);
  g_assert_cmpint (a->issued_at, ==, b->issued_at);
}

/* ------------------------------------------------------------------ */
/* Ticket codes                                                       */
/* ------------------------------------------------------------------ */

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  EvaTicketCode out;

  g_assert_true (g_str_has_prefix (fixture->text, "EV1."));
  g_assert_cmpuint (strlen (fixture->text), ==, EVA_TICKET_CODE_LEN);
  g_assert_cmpuint (strspn (fixture->text, QR_ALPHANUMERIC), ==, EVA_TICKET_CODE_LEN);
  g_assert_cmpuint (strspn (fixture->text + 4, BASE32_ALPHABET), ==, EVA_TICKET_CODE_LEN - 4);

  memset (&out, 0xaa, sizeof out);
  g_assert_true (eva_ticket_code_verify (fixture->text, fixture->public_key, &out, &error));
  g_assert_no_error (error);
  assert_code_equal (&out, &fixture->code);

  /* Without an out struct too. */
  g_assert_true (eva_ticket_code_verify (fixture->text, fixture->public_key, NULL, NULL));
}

static void
test_round_trip_extremes (Fixture       *fixture,
                          gconstpointer  user_data)
{
  const gint64 times[] = { 0, -1, G_MININT64, G_MAXINT64, G_GINT64_CONSTANT (253402300799) };

  memset (fixture->code.ticket_id, 0, 16);
  memset (fixture->code.event_id, 0xff, 16);
  strcpy (fixture->code.key_id, "Ab-_09zZ");

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autofree char *text = NULL;
      EvaTicketCode out;

      fixture->code.issued_at = times[i];
      text = eva_ticket_code_sign (&fixture->code, fixture->secret_key);
      g_assert_cmpuint (strlen (text), ==, EVA_TICKET_CODE_LEN);
      g_assert_true (eva_ticket_code_verify (text, fixture->public_key, &out, NULL));
      assert_code_equal (&out, &fixture->code);
    }
}

static void
test_deterministic (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *again = eva_ticket_code_sign (&fixture->code, fixture->secret_key);

  /* Ed25519 is deterministic: one ticket, one text. */
  g_assert_cmpstr (again, ==, fixture->text);
}

static void
test_peek_key_id (Fixture       *fixture,
                  gconstpointer  user_data)
{
  char key_id[EVA_TICKET_KEY_ID_LEN + 1];
  char expected[EVA_TICKET_KEY_ID_LEN + 1];
  g_autofree char *lower = g_ascii_strdown (fixture->text, -1);

  eva_ticket_key_id_from_public_key (fixture->public_key, expected);
  g_assert_cmpuint (strlen (expected), ==, EVA_TICKET_KEY_ID_LEN);

  memset (key_id, 'x', sizeof key_id);
  g_assert_true (eva_ticket_code_peek_key_id (fixture->text, key_id));
  g_assert_cmpstr (key_id, ==, expected);
  g_assert_cmpstr (key_id, ==, fixture->code.key_id);

  g_assert_false (eva_ticket_code_peek_key_id ("", key_id));
  g_assert_false (eva_ticket_code_peek_key_id ("EV1.", key_id));
  g_assert_false (eva_ticket_code_peek_key_id (lower, key_id));
}

/* Peek reads what verify would return, without the key: also from a code
 * whose signature is altered (which verify refuses), never from one that
 * is not well-formed. */
static void
test_peek (Fixture       *fixture,
           gconstpointer  user_data)
{
  EvaTicketCode peeked;
  EvaTicketCode verified;
  g_autofree char *altered = g_strdup (fixture->text);
  g_autofree char *lower = g_ascii_strdown (fixture->text, -1);

  g_assert_true (eva_ticket_code_verify (fixture->text, fixture->public_key, &verified, NULL));
  memset (&peeked, 0xab, sizeof peeked);
  g_assert_true (eva_ticket_code_peek (fixture->text, &peeked));
  g_assert_cmpmem (&peeked, sizeof peeked, &verified, sizeof verified);
  g_assert_cmpmem (peeked.ticket_id, 16, fixture->code.ticket_id, 16);
  g_assert_cmpint (peeked.issued_at, ==, fixture->code.issued_at);

  altered[200] = altered[200] == 'A' ? 'B' : 'A';
  g_assert_false (eva_ticket_code_verify (altered, fixture->public_key, NULL, NULL));
  g_assert_true (eva_ticket_code_peek (altered, &peeked));
  g_assert_cmpmem (peeked.ticket_id, 16, fixture->code.ticket_id, 16);

  g_assert_false (eva_ticket_code_peek ("", &peeked));
  g_assert_false (eva_ticket_code_peek ("EV1.", &peeked));
  g_assert_false (eva_ticket_code_peek (lower, &peeked));
  altered[150] = '\0';
  g_assert_false (eva_ticket_code_peek (altered, &peeked));
}

static void
test_key_id_derivation (Fixture       *fixture,
                        gconstpointer  user_data)
{
  char a[EVA_TICKET_KEY_ID_LEN + 1];
  char b[EVA_TICKET_KEY_ID_LEN + 1];
  char c[EVA_TICKET_KEY_ID_LEN + 1];

  eva_ticket_key_id_from_public_key (fixture->public_key, a);
  eva_ticket_key_id_from_public_key (fixture->public_key, b);
  eva_ticket_key_id_from_public_key (fixture->other_public_key, c);

  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_cmpuint (strspn (a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==, 8);
}

/* Changing any one character of the code must make it invalid: either the
 * encoding breaks, or the bytes change and the signature fails. */
static void
test_tamper_every_character (Fixture       *fixture,
                             gconstpointer  user_data)
{
  gsize len = strlen (fixture->text);
  guint n_checked = 0;

  for (gsize i = 0; i < len; i++)
    {
      static const char replacements[] = BASE32_ALPHABET "01a.";

      for (guint r = 0; r < sizeof replacements - 1; r++)
        {
          g_autofree char *tampered = NULL;
          g_autoptr(GError) error = NULL;
          EvaTicketCode out;

          if (replacements[r] == fixture->text[i])
            continue;

          tampered = g_strdup (fixture->text);
          tampered[i] = replacements[r];

          memset (&out, 0x5a, sizeof out);
          if (eva_ticket_code_verify (tampered, fixture->public_key, &out, &error))
            g_error ("tampered code accepted (position %" G_GSIZE_FORMAT "): %s", i, tampered);
          g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
          g_assert_cmpuint (out.version, ==, 0x5a);
          n_checked++;
        }
    }

  g_assert_cmpuint (n_checked, >, 200 * 32);
}

static void
test_tamper_payload_resigned_with_other_key (Fixture       *fixture,
                                             gconstpointer  user_data)
{
  g_autofree char *forged = NULL;
  g_autoptr(GError) error = NULL;

  /* Same key id, different (attacker's) key. */
  forged = eva_ticket_code_sign (&fixture->code, fixture->other_secret_key);
  g_assert_cmpstr (forged, !=, fixture->text);
  g_assert_false (eva_ticket_code_verify (forged, fixture->public_key, NULL, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "ticket code signature is not valid");
}

static void
test_wrong_key (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  guint8 zero_key[crypto_sign_PUBLICKEYBYTES] = { 0 };

  g_assert_false (eva_ticket_code_verify (fixture->text, fixture->other_public_key, NULL, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (eva_ticket_code_verify (fixture->text, zero_key, NULL, &error));
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
}

static void
test_malformed (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *lower = g_ascii_strdown (fixture->text, -1);
  g_autofree char *lower_body = g_strconcat ("EV1.", lower + 4, NULL);
  g_autofree char *truncated = g_strndup (fixture->text, EVA_TICKET_CODE_LEN - 1);
  g_autofree char *extended = g_strconcat (fixture->text, "A", NULL);
  g_autofree char *padded = g_strconcat (fixture->text, "=", NULL);
  g_autofree char *spaced = g_strconcat (" ", fixture->text, NULL);
  g_autofree char *v2 = g_strdup (fixture->text);
  g_autofree char *no_dot = g_strconcat ("EV1", fixture->text + 4, NULL);
  g_autofree char *zeros = NULL;
  g_autofree char *zeros_body = g_strnfill (EVA_TICKET_CODE_LEN - 4, 'A');
  const char *cases[10];
  guint n = 0;

  v2[2] = '2';
  zeros = g_strconcat ("EV1.", zeros_body, NULL);

  cases[n++] = lower;
  cases[n++] = lower_body;
  cases[n++] = truncated;
  cases[n++] = extended;
  cases[n++] = padded;
  cases[n++] = spaced;
  cases[n++] = v2;
  cases[n++] = no_dot;
  cases[n++] = zeros;
  cases[n++] = "";

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (eva_ticket_code_verify (cases[i], fixture->public_key, NULL, &error));
      g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_false (eva_ticket_code_verify (v2, fixture->public_key, NULL, &error));
    g_assert_cmpstr (error->message, ==, "unsupported ticket code version");
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (eva_ticket_code_verify ("https://example.com/", fixture->public_key, NULL, &error));
    g_assert_cmpstr (error->message, ==, "not an Everato ticket code");
  }
}

static void
test_sign_bad_key_id (Fixture       *fixture,
                      gconstpointer  user_data)
{
  if (g_test_subprocess ())
    {
      g_autofree char *text = NULL;

      strcpy (fixture->code.key_id, "bad id!");
      text = eva_ticket_code_sign (&fixture->code, fixture->secret_key);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*key_id_is_valid*");
}

static void
test_sign_bad_version (Fixture       *fixture,
                       gconstpointer  user_data)
{
  if (g_test_subprocess ())
    {
      g_autofree char *text = NULL;

      fixture->code.version = 2;
      text = eva_ticket_code_sign (&fixture->code, fixture->secret_key);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*version*");
}

/* ------------------------------------------------------------------ */
/* UUIDs                                                              */
/* ------------------------------------------------------------------ */

static void
test_uuid (void)
{
  static const guint8 expected[16] = {
    0x0b, 0x6c, 0x7a, 0x36, 0x5f, 0x0e, 0x4c, 0x8e,
    0x9a, 0x51, 0x3d, 0x2f, 0x1e, 0x0c, 0x9b, 0x87,
  };
  static const char *const bad[] = {
    "", "0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b8", "0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b877",
    "0b6c7a365f0e4c8e9a513d2f1e0c9b87", "{0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b87}",
    "urn:uuid:0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b87", "0b6c7a36_5f0e-4c8e-9a51-3d2f1e0c9b87",
    "0b6c7a3-65f0e-4c8e-9a51-3d2f1e0c9b87", "0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b8g",
    " b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b87", "0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b8\xc3",
    "+b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b87",
  };
  guint8 out[16];
  g_autofree char *formatted = NULL;
  guint8 untouched[16];

  g_assert_true (eva_uuid_parse ("0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b87", out));
  g_assert_cmpmem (out, 16, expected, 16);
  g_assert_true (eva_uuid_parse ("0B6C7A36-5F0E-4C8E-9A51-3D2F1E0C9B87", out));
  g_assert_cmpmem (out, 16, expected, 16);

  formatted = eva_uuid_format (expected);
  g_assert_cmpstr (formatted, ==, "0b6c7a36-5f0e-4c8e-9a51-3d2f1e0c9b87");

  memset (untouched, 0x33, sizeof untouched);
  g_assert_false (eva_uuid_parse (NULL, untouched));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      if (eva_uuid_parse (bad[i], untouched))
        g_error ("“%s” was accepted", bad[i]);
      for (guint j = 0; j < 16; j++)
        g_assert_cmpuint (untouched[j], ==, 0x33);
    }

  for (guint round = 0; round < 500; round++)
    {
      guint8 bytes[16];
      guint8 back[16];
      g_autofree char *text = NULL;

      randombytes_buf (bytes, sizeof bytes);
      text = eva_uuid_format (bytes);
      g_assert_true (eva_uuid_parse (text, back));
      g_assert_cmpmem (bytes, 16, back, 16);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  eva_common_init ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/ticket-code/round-trip", test_round_trip);
  ADD ("/ticket-code/round-trip/extremes", test_round_trip_extremes);
  ADD ("/ticket-code/deterministic", test_deterministic);
  ADD ("/ticket-code/peek-key-id", test_peek_key_id);
  ADD ("/ticket-code/peek", test_peek);
  ADD ("/ticket-code/key-id-derivation", test_key_id_derivation);
  ADD ("/ticket-code/tamper/every-character", test_tamper_every_character);
  ADD ("/ticket-code/tamper/other-key", test_tamper_payload_resigned_with_other_key);
  ADD ("/ticket-code/wrong-key", test_wrong_key);
  ADD ("/ticket-code/malformed", test_malformed);
  ADD ("/ticket-code/sign/bad-key-id", test_sign_bad_key_id);
  ADD ("/ticket-code/sign/bad-version", test_sign_bad_version);

#undef ADD

  g_test_add_func ("/ticket-code/uuid", test_uuid);

  return g_test_run ();
}
