/* eva-api-auth.c: signing in and out with EvaApiClient
 *
 * Login exchanges email and password for an access token (short-lived)
 * and a refresh token (kept in the keyring by the window); refresh
 * resumes a kept sign-in; logout revokes the refresh token. The session
 * state itself lives in eva-api-client.c.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-client-private.h"

/* ------------------------------------------------------------------ */
/* Public API: sign-in                                                */
/* ------------------------------------------------------------------ */

void
eva_api_client_login_async (EvaApiClient        *self,
                            const char          *email,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (email != NULL && password != NULL);

  json_object_set_string_member (body, "email", email);
  json_object_set_string_member (body, "password", password);
  _eva_api_client_send (_eva_api_client_request_new (self, "POST",
                                                     g_strdup ("/api/v1/admin/auth/login"), body,
                                                     EVA_API_RESULT_TOKENS, FALSE,
                                                     eva_api_client_login_async,
                                                     cancellable, callback, user_data));
}

/**
 * eva_api_client_login_finish:
 *
 * Returns: (transfer full): the signed-in staff account
 */
EvaRecord *
eva_api_client_login_finish (EvaApiClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);

  if (resp == NULL)
    return NULL;
  if (eva_api_client_get_me (self) == NULL)
    {
      g_set_error (error, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE,
                   _("The server’s answer could not be read"));
      return NULL;
    }
  return g_object_ref (eva_api_client_get_me (self));
}

void
eva_api_client_refresh_async (EvaApiClient        *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (EVA_IS_API_CLIENT (self));

  task = _eva_api_client_request_new (self, "GET", g_strdup ("/api/v1/admin/me"), NULL,
                                      EVA_API_RESULT_RECORD, TRUE, eva_api_client_refresh_async,
                                      cancellable, callback, user_data);
  if (eva_api_client_get_refresh_token (self) == NULL)
    {
      g_task_return_new_error (task, EVA_API_ERROR, EVA_API_ERROR_SESSION_EXPIRED,
                               _("You are not signed in"));
      g_object_unref (task);
      return;
    }
  /* Refreshing is the first step of every call without an access token:
   * forget it and ask who we are. */
  _eva_api_client_refresh_first (self, task);
}

gboolean
eva_api_client_refresh_finish (EvaApiClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);

  if (resp == NULL)
    return FALSE;
  if (resp->node != NULL && JSON_NODE_HOLDS_OBJECT (resp->node))
    {
      g_autoptr(EvaRecord) me = eva_record_new (json_node_get_object (resp->node));

      _eva_api_client_set_me (self, me);
    }
  return TRUE;
}

static void
logout_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EvaApiClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, &error);

  /* Whatever the server says, this client forgets the session. */
  eva_api_client_forget (self);
  if (resp == NULL &&
      !g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_SESSION_EXPIRED) &&
      !g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_UNAUTHORIZED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
eva_api_client_logout_async (EvaApiClient        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  GTask *outer;

  g_return_if_fail (EVA_IS_API_CLIENT (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, eva_api_client_logout_async);
  if (eva_api_client_get_refresh_token (self) != NULL)
    json_object_set_string_member (body, "refresh_token", eva_api_client_get_refresh_token (self));
  _eva_api_client_send (_eva_api_client_request_new (self, "POST",
                                                     g_strdup ("/api/v1/admin/auth/logout"), body,
                                                     EVA_API_RESULT_EMPTY, TRUE,
                                                     eva_api_client_logout_async,
                                                     cancellable, logout_sent_cb, outer));
}

gboolean
eva_api_client_logout_finish (EvaApiClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
eva_api_client_me_async (EvaApiClient        *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  _eva_api_client_send (_eva_api_client_request_new (self, "GET", g_strdup ("/api/v1/admin/me"),
                                                     NULL, EVA_API_RESULT_RECORD, TRUE,
                                                     eva_api_client_me_async,
                                                     cancellable, callback, user_data));
}

EvaRecord *
eva_api_client_me_finish (EvaApiClient  *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_autoptr(EvaRecord) me = eva_api_client_record_finish (self, result, error);

  if (me != NULL)
    _eva_api_client_set_me (self, me);
  return g_steal_pointer (&me);
}
