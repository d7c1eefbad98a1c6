/* eva-test-keys.c: the server's sealed keys, opened for tests
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "core/eva-auth.h"
#include "core/eva-keys.h"
#include "eva-test.h"
#include "eva-test-keys.h"

void
eva_test_token_key (PGconn     *pg,
                    const char *master_hex,
                    guint8     *key)
{
  g_autofree char *hex = eva_test_sql (pg, "SELECT encode(secret, 'hex') FROM server_keys "
                                       "WHERE name = 'access_token'", NULL);
  g_autofree guint8 *sealed = NULL;
  g_autoptr(EvaMasterKey) master = NULL;
  g_autoptr(GError) error = NULL;
  guint8 master_bytes[EVA_MASTER_KEY_BYTES];
  gsize len = 0;

  g_assert_cmpint (sodium_init (), >=, 0);
  if (master_hex == NULL)
    master_hex = EVA_TEST_MASTER_KEY;
  g_assert_cmpint (sodium_hex2bin (master_bytes, sizeof master_bytes, master_hex,
                                   strlen (master_hex), NULL, &len, NULL), ==, 0);
  g_assert_cmpuint (len, ==, sizeof master_bytes);
  master = eva_master_key_new_from_bytes (master_bytes);
  sodium_memzero (master_bytes, sizeof master_bytes);

  g_assert_nonnull (hex);
  sealed = g_malloc (strlen (hex) / 2 + 1);
  g_assert_cmpint (sodium_hex2bin (sealed, strlen (hex) / 2 + 1, hex, strlen (hex),
                                   NULL, &len, NULL), ==, 0);
  eva_keys_open (master, EVA_KEYS_LABEL_ACCESS_TOKEN, sealed, len, key, EVA_TOKEN_KEY_BYTES,
                 &error);
  g_assert_no_error (error);
}

void
eva_test_signing_secret (PGconn     *pg,
                         const char *key_id,
                         guint8     *secret)
{
  g_autofree char *hex = eva_test_sql (pg, "SELECT encode(secret_key, 'hex') FROM signing_keys "
                                       "WHERE id = $1", key_id, NULL);
  g_autofree char *label = g_strconcat ("signing_keys/", key_id, NULL);
  g_autofree guint8 *sealed = NULL;
  g_autoptr(EvaMasterKey) master = NULL;
  g_autoptr(GError) error = NULL;
  guint8 master_bytes[EVA_MASTER_KEY_BYTES];
  gsize len = 0;

  g_assert_cmpint (sodium_init (), >=, 0);
  g_assert_cmpint (sodium_hex2bin (master_bytes, sizeof master_bytes, EVA_TEST_MASTER_KEY,
                                   strlen (EVA_TEST_MASTER_KEY), NULL, &len, NULL), ==, 0);
  master = eva_master_key_new_from_bytes (master_bytes);
  sodium_memzero (master_bytes, sizeof master_bytes);

  g_assert_nonnull (hex);
  sealed = g_malloc (strlen (hex) / 2 + 1);
  g_assert_cmpint (sodium_hex2bin (sealed, strlen (hex) / 2 + 1, hex, strlen (hex),
                                   NULL, &len, NULL), ==, 0);
  eva_keys_open (master, label, sealed, len, secret, crypto_sign_SECRETKEYBYTES, &error);
  g_assert_no_error (error);
}
