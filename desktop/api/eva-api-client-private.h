/* eva-api-client-private.h: what the other files of EvaApiClient need of
 * its core (eva-api-client.c): sign-in (eva-api-auth.c), the resource
 * calls (eva-api-resources.c) and the errors (eva-api-error.c)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

typedef enum {
  EVA_API_RESULT_RECORD,
  EVA_API_RESULT_LIST,
  EVA_API_RESULT_EMPTY,
  EVA_API_RESULT_TOKENS,
  EVA_API_RESULT_BYTES,
} EvaApiResultKind;

/* One answer: JSON (or nothing, for 204), or for EVA_API_RESULT_BYTES the
 * body as it came. */
typedef struct
{
  JsonNode *node;
  GBytes   *bytes;
  char     *filename;   /* of Content-Disposition, for EVA_API_RESULT_BYTES */
} EvaApiResponse;

void            _eva_api_response_free           (EvaApiResponse      *resp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaApiResponse, _eva_api_response_free)

/* eva-api-client.c */
GTask          *_eva_api_client_request_new      (EvaApiClient        *self,
                                                  const char          *method,
                                                  char                *path,
                                                  JsonObject          *body,
                                                  EvaApiResultKind     kind,
                                                  gboolean             auth,
                                                  gpointer             source_tag,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void            _eva_api_client_request_set_accept (GTask             *task,
                                                    const char        *accept);
void            _eva_api_client_request_set_idempotency_key (GTask   *task,
                                                             const char *key);
void            _eva_api_client_send             (GTask               *task);
void            _eva_api_client_refresh_first    (EvaApiClient        *self,
                                                  GTask               *task);
EvaApiResponse *_eva_api_client_response_finish  (EvaApiClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void            _eva_api_client_take_tokens      (EvaApiClient        *self,
                                                  JsonObject          *tokens);
void            _eva_api_client_set_me           (EvaApiClient        *self,
                                                  EvaRecord           *me);
void            _eva_api_client_call             (EvaApiClient        *self,
                                                  const char          *method,
                                                  char                *path,
                                                  JsonObject          *body,
                                                  EvaApiResultKind     kind,
                                                  gpointer             source_tag,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
char           *_eva_api_escape                  (const char          *segment);
char           *_eva_api_build_path              (const char          *path,
                                                  ...) G_GNUC_NULL_TERMINATED;

/* eva-api-error.c */
GError         *_eva_api_error_new_transport     (GUri                *base_uri,
                                                  const GError        *cause);
GError         *_eva_api_error_new_from_answer   (guint                status,
                                                  JsonNode            *node);
void            _eva_api_error_set_retry_after   (GError              *error,
                                                  const char          *retry_after);

G_END_DECLS
