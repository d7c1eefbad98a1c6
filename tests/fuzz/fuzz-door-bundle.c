/* fuzz-door-bundle.c: the door app's offline bundle
 * (eva_door_store_apply_bundle in desktop/door/eva-door-store.c, no GTK),
 * and the offline verdict over what it stored (eva_door_store_decide)
 *
 * Input: a scanned code, a newline, then the bundle as the server would
 * send it (GET …/checkin/bundle).
 * Properties: a bundle is applied or refused with an error, never with
 * a critical warning or a crash, whatever its members hold; once
 * applied, its cursor is the store's; the verdict on any code is "ok"
 * or "rejected" (with a reason exactly when rejected), marked offline,
 * and "ok" only for a code that really carries the signature of the
 * one key pair the corpus bundles publish: a forged or altered code is
 * never admitted.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "eva-ticket-code.h"
#include "door/eva-door-store.h"
#include "fuzz-common.h"

static guint8 public_key[crypto_sign_PUBLICKEYBYTES];
static char *dir;
static EvaDoorStore *store;
static GBytes *empty;
static guint uses;

static void
remove_store (const char *path)
{
  static const char * const suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
}

static void
cleanup (void)
{
  g_autofree char *path = g_build_filename (dir, "door.sqlite", NULL);

  g_clear_object (&store);
  remove_store (path);
  g_rmdir (dir);
}

/* The key pair of fuzz-ticket-code.c (corpus/ticket-code/valid-code). */
static void
setup (void)
{
  guint8 secret_key[crypto_sign_SECRETKEYBYTES];
  guint8 seed[crypto_sign_SEEDBYTES];

  if (dir != NULL)
    return;
  FUZZ_CHECK (sodium_init () >= 0);
  for (guint i = 0; i < sizeof seed; i++)
    seed[i] = (guint8) (i * 7 + 1);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  dir = g_dir_make_tmp ("everato-fuzz-door-XXXXXX", NULL);
  FUZZ_CHECK (dir != NULL);
  empty = g_bytes_new_static ("{\"full\":true,\"cursor\":\"\",\"keys\":[],\"tickets\":[]}", 48);
  atexit (cleanup);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *rest;
  size_t rest_size;
  g_autofree char *code = NULL;
  g_autoptr(GBytes) bundle = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) verdict = NULL;
  gboolean applied;

  fuzz_init ();
  setup ();
  code = fuzz_split (data, size, '\n', &rest, &rest_size);
  bundle = g_bytes_new (rest, rest_size);

  /* Opening a store costs milliseconds: one serves 500 inputs, emptied
   * before each by a full bundle with nothing in it. */
  if (store == NULL || ++uses % 500 == 0)
    {
      g_autofree char *path = g_build_filename (dir, "door.sqlite", NULL);

      g_clear_object (&store);
      remove_store (path);
      store = eva_door_store_open (path, &error);
      FUZZ_CHECK (store != NULL);
    }
  FUZZ_CHECK (eva_door_store_apply_bundle (store, empty, NULL));

  applied = eva_door_store_apply_bundle (store, bundle, &error);
  if (applied)
    {
      g_autofree char *cursor = eva_door_store_dup_cursor (store);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root = NULL;

      FUZZ_CHECK (error == NULL);
      FUZZ_CHECK (eva_door_store_has_bundle (store));
      FUZZ_CHECK (cursor != NULL);
      if (json_parser_load_from_data (parser, (const char *) rest, (gssize) rest_size, NULL))
        root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        FUZZ_CHECK (g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (root),
                                                                           "cursor", NULL), cursor) == 0);
    }
  else
    FUZZ_CHECK (error != NULL);

  verdict = eva_door_store_decide (store, code, "0b6f2c3e-1d2a-4b5c-8d9e-0f1a2b3c4d5e", "entry",
                                   "fuzz-nonce-0001", G_GINT64_CONSTANT (1780000000) * G_USEC_PER_SEC, size % 2 == 0);
  if (verdict != NULL)
    {
      const char *status = json_object_get_string_member_with_default (verdict, "status", NULL);
      JsonNode *reason = json_object_get_member (verdict, "reason");

      FUZZ_CHECK (g_strcmp0 (status, "ok") == 0 || g_strcmp0 (status, "rejected") == 0);
      FUZZ_CHECK (json_object_get_boolean_member_with_default (verdict, "offline", FALSE));
      FUZZ_CHECK (reason != NULL);
      FUZZ_CHECK (g_str_equal (status, "ok") == JSON_NODE_HOLDS_NULL (reason));
      if (g_str_equal (status, "ok"))
        FUZZ_CHECK (eva_ticket_code_verify (code, public_key, NULL, NULL));
    }
  return 0;
}
