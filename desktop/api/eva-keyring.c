/* eva-keyring.c: the refresh token in the user's keyring (libsecret)
 *
 * The refresh token is the only secret the app keeps, and it is never
 * written to a file: it goes to the Secret Service (GNOME Keyring, KWallet,
 * or the secret portal inside Flatpak) under the server's address and the
 * account's email. Without a Secret Service the app still works, it just
 * does not remember the sign-in: every failure becomes
 * EVA_KEYRING_ERROR_UNAVAILABLE with a message saying so.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-keyring"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "api/eva-keyring.h"

G_DEFINE_QUARK (eva-keyring-error-quark, eva_keyring_error)

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "org.everato.Admin.RefreshToken", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "email", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

static void
return_unavailable (GTask  *task,
                    GError *cause)  /* taken */
{
  g_autoptr(GError) owned = cause;

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&owned));
      return;
    }
  g_debug ("keyring: %s", cause->message);
  g_task_return_new_error (task, EVA_KEYRING_ERROR, EVA_KEYRING_ERROR_UNAVAILABLE,
                           _("No keyring is available, so your sign-in will not be "
                             "remembered (%s)"), cause->message);
}

/* ------------------------------------------------------------------ */
/* Store                                                              */
/* ------------------------------------------------------------------ */

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    return_unavailable (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
eva_keyring_store_async (const char          *server,
                         const char          *email,
                         const char          *refresh_token,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *label = NULL;

  g_return_if_fail (server != NULL && email != NULL && refresh_token != NULL);

  g_task_set_source_tag (task, eva_keyring_store_async);
  /* Translators: the keyring item's label; %s is the account's email */
  label = g_strdup_printf (_("Everato sign-in of %s"), email);
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, refresh_token,
                         cancellable, stored_cb, task,
                         "server", server, "email", email, NULL);
}

gboolean
eva_keyring_store_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* Lookup                                                             */
/* ------------------------------------------------------------------ */

static void
looked_up_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    return_unavailable (task, error);
  else
    g_task_return_pointer (task, token, (GDestroyNotify) secret_password_free);
}

void
eva_keyring_lookup_async (const char          *server,
                          const char          *email,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (server != NULL && email != NULL);

  g_task_set_source_tag (task, eva_keyring_lookup_async);
  secret_password_lookup (token_schema (), cancellable, looked_up_cb, task,
                          "server", server, "email", email, NULL);
}

/* Returns the token, or NULL with no error when none is stored. */
char *
eva_keyring_lookup_finish (GAsyncResult  *result,
                           GError       **error)
{
  char *secret;
  char *copy;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  secret = g_task_propagate_pointer (G_TASK (result), error);
  copy = g_strdup (secret);
  if (secret != NULL)
    secret_password_free (secret);
  return copy;
}

/* ------------------------------------------------------------------ */
/* Clear                                                              */
/* ------------------------------------------------------------------ */

static void
cleared_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    return_unavailable (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
eva_keyring_clear_async (const char          *server,
                         const char          *email,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (server != NULL && email != NULL);

  g_task_set_source_tag (task, eva_keyring_clear_async);
  secret_password_clear (token_schema (), cancellable, cleared_cb, task,
                         "server", server, "email", email, NULL);
}

gboolean
eva_keyring_clear_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
