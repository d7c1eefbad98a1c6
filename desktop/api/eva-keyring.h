/* eva-keyring.h: the refresh token in the user's keyring (libsecret)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define EVA_KEYRING_ERROR (eva_keyring_error_quark ())

/**
 * EvaKeyringError:
 * @EVA_KEYRING_ERROR_UNAVAILABLE: no Secret Service answers (no keyring
 *   daemon, or a sandbox without the portal): tokens are not remembered
 */
typedef enum {
  EVA_KEYRING_ERROR_UNAVAILABLE,
} EvaKeyringError;

GQuark    eva_keyring_error_quark   (void);

void      eva_keyring_store_async   (const char          *server,
                                     const char          *email,
                                     const char          *refresh_token,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
gboolean  eva_keyring_store_finish  (GAsyncResult        *result,
                                     GError             **error);
void      eva_keyring_lookup_async  (const char          *server,
                                     const char          *email,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
char     *eva_keyring_lookup_finish (GAsyncResult        *result,
                                     GError             **error);
void      eva_keyring_clear_async   (const char          *server,
                                     const char          *email,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
gboolean  eva_keyring_clear_finish  (GAsyncResult        *result,
                                     GError             **error);

G_END_DECLS
