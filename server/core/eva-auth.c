/* eva-auth.c: passwords, access tokens and refresh tokens
 *
 * Passwords: argon2id through crypto_pwhash_str at libsodium's
 * "interactive" limits (64 MiB, t=2), above OWASP's floor (19 MiB, t=2).
 * A stored hash made with weaker limits is upgraded at the next sign-in.
 *
 * Access tokens are stateless so that any server process can check them
 * without the database: base64url("v1|staff|role|exp|session") + "." +
 * base64url(HMAC-SHA-256). The key is in the database (server_keys), shared
 * by every process. They live ten minutes; refresh tokens are random,
 * stored only as hashes, single use and rotated (see api/admin-auth.c).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-auth"

#include "config.h"

#include <sodium.h>

#include "core/eva-auth.h"
#include "eva-common.h"

#define PWHASH_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

/* ------------------------------------------------------------------ */
/* Roles                                                              */
/* ------------------------------------------------------------------ */

static const char * const role_names[] = {
  [EVA_ROLE_PUBLIC] = "public",
  [EVA_ROLE_ATTENDEE] = "attendee",
  [EVA_ROLE_DOOR_STAFF] = "door_staff",
  [EVA_ROLE_ORGANIZER] = "organizer",
  [EVA_ROLE_SUPER_ADMIN] = "super_admin",
};

const char *
eva_role_to_string (EvaRole role)
{
  g_return_val_if_fail (role <= EVA_ROLE_SUPER_ADMIN, "public");
  return role_names[role];
}

gboolean
eva_role_from_string (const char *text,
                      EvaRole    *role)
{
  for (guint i = EVA_ROLE_DOOR_STAFF; i < G_N_ELEMENTS (role_names); i++)
    if (g_strcmp0 (text, role_names[i]) == 0)
      {
        *role = i;
        return TRUE;
      }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Passwords                                                          */
/* ------------------------------------------------------------------ */

/* Passwords are hashed in Unicode NFC (see eva_validate_password()), so
 * the same password typed where characters are composed differently (a
 * macOS keyboard, a Linux one) still matches. */
static char *
normalize_password (const char *password)
{
  char *nfc = g_utf8_normalize (password, -1, G_NORMALIZE_NFC);

  return nfc != NULL ? nfc : g_strdup (password);
}

static void
free_password (char *password)
{
  sodium_memzero (password, strlen (password));
  g_free (password);
}

char *
eva_auth_hash_password (const char  *password,
                        GError     **error)
{
  char hash[crypto_pwhash_STRBYTES];
  char *nfc = normalize_password (password);
  int status = crypto_pwhash_str (hash, nfc, strlen (nfc), PWHASH_OPSLIMIT, PWHASH_MEMLIMIT);

  free_password (nfc);
  if (status != 0)
    {
      g_set_error_literal (error, EVA_ERROR, EVA_ERROR_INTERNAL,
                           "out of memory while hashing a password");
      return NULL;
    }
  return g_strdup (hash);
}

gboolean
eva_auth_verify_password (const char *hash,
                          const char *password,
                          gboolean   *needs_rehash)
{
  char *nfc;
  int status;

  if (hash == NULL)
    return FALSE;

  nfc = normalize_password (password);
  status = crypto_pwhash_str_verify (hash, nfc, strlen (nfc));
  free_password (nfc);
  if (status != 0)
    return FALSE;

  if (needs_rehash != NULL)
    *needs_rehash = crypto_pwhash_str_needs_rehash (hash, PWHASH_OPSLIMIT,
                                                    PWHASH_MEMLIMIT) != 0;
  return TRUE;
}

void
eva_auth_dummy_verify (const char *password)
{
  static gsize initialized;
  static char dummy[crypto_pwhash_STRBYTES];
  char *nfc;

  if (g_once_init_enter (&initialized))
    {
      if (crypto_pwhash_str (dummy, "not a real password", 19,
                             PWHASH_OPSLIMIT, PWHASH_MEMLIMIT) != 0)
        g_error ("out of memory while hashing a password");
      g_once_init_leave (&initialized, 1);
    }
  nfc = normalize_password (password);
  if (crypto_pwhash_str_verify (dummy, nfc, strlen (nfc)) == 0)
    g_debug ("the dummy password matched");
  free_password (nfc);
}

/* ------------------------------------------------------------------ */
/* Access tokens                                                      */
/* ------------------------------------------------------------------ */

static void
mac (const guint8 *key,
     const char   *payload,
     gsize         len,
     guint8        out[crypto_auth_hmacsha256_BYTES])
{
  crypto_auth_hmacsha256 (out, (const guint8 *) payload, len, key);
}

char *
eva_auth_issue_access_token (const guint8 *key,
                             const char   *staff_id,
                             EvaRole       role,
                             const char   *session_id,
                             gint64        now,
                             gint64        ttl)
{
  g_autofree char *payload = NULL;
  g_autofree char *payload64 = NULL;
  g_autofree char *mac64 = NULL;
  guint8 tag[crypto_auth_hmacsha256_BYTES];

  payload = g_strdup_printf ("v1|%s|%s|%" G_GINT64_FORMAT "|%s",
                             staff_id, eva_role_to_string (role), now + ttl,
                             session_id != NULL ? session_id : "");
  payload64 = eva_base64url_encode ((const guint8 *) payload, strlen (payload));
  mac (key, payload64, strlen (payload64), tag);
  mac64 = eva_base64url_encode (tag, sizeof tag);
  return g_strconcat (payload64, ".", mac64, NULL);
}

gboolean
eva_auth_verify_access_token (const guint8  *key,
                              const char    *token,
                              gint64         now,
                              char         **staff_id,
                              EvaRole       *role,
                              char         **session_id,
                              GError       **error)
{
  const char *dot = strchr (token, '.');
  g_autofree guint8 *given = NULL;
  g_autofree guint8 *payload = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;
  guint8 expected[crypto_auth_hmacsha256_BYTES];
  gsize given_len = 0;
  gsize payload_len = 0;
  gint64 exp;
  EvaRole r;

  if (dot == NULL || strlen (token) > 1024)
    goto invalid;

  given = eva_base64url_decode (dot + 1, &given_len);
  if (given == NULL || given_len != sizeof expected)
    goto invalid;
  mac (key, token, dot - token, expected);
  if (sodium_memcmp (given, expected, sizeof expected) != 0)
    goto invalid;

  text = g_strndup (token, dot - token);
  payload = eva_base64url_decode (text, &payload_len);
  if (payload == NULL)
    goto invalid;
  g_free (text);
  text = g_strndup ((const char *) payload, payload_len);
  parts = g_strsplit (text, "|", -1);
  if (g_strv_length (parts) != 5 || !g_str_equal (parts[0], "v1") ||
      !eva_role_from_string (parts[2], &r) ||
      !g_ascii_string_to_signed (parts[3], 10, 0, G_MAXINT64, &exp, NULL))
    goto invalid;

  if (exp <= now)
    {
      g_set_error_literal (error, EVA_ERROR, EVA_ERROR_UNAUTHORIZED,
                           "The access token has expired; refresh it");
      return FALSE;
    }

  *staff_id = g_strdup (parts[1]);
  *role = r;
  *session_id = *parts[4] != '\0' ? g_strdup (parts[4]) : NULL;
  return TRUE;

invalid:
  g_set_error_literal (error, EVA_ERROR, EVA_ERROR_UNAUTHORIZED,
                       "The access token is not valid");
  return FALSE;
}

char *
eva_auth_token_hash_hex (const char *token)
{
  guint8 hash[EVA_TOKEN_HASH_BYTES];
  char hex[EVA_TOKEN_HASH_BYTES * 2 + 1];

  eva_token_hash (token, hash);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}
