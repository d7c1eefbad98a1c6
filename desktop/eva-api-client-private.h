/* eva-api-client-private.h: what eva-api-resources.c needs of the client
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "eva-api-client.h"

G_BEGIN_DECLS

typedef enum {
  EVA_API_RESULT_RECORD,
  EVA_API_RESULT_LIST,
  EVA_API_RESULT_EMPTY,
  EVA_API_RESULT_TOKENS,
} EvaApiResultKind;

void  _eva_api_client_call (EvaApiClient        *self,
                            const char          *method,
                            char                *path,
                            JsonObject          *body,
                            EvaApiResultKind     kind,
                            gpointer             source_tag,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data);
char *_eva_api_escape      (const char          *segment);
char *_eva_api_build_path  (const char          *path,
                            ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
