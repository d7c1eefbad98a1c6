/* services/stripe.h: the Stripe API, as Everato speaks it
 *
 * Blocking calls (libcurl): run them on the gateway pool
 * (eva_request_run_gateway()) or the sweeper thread, never on an HTTP loop.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/eva-config.h"

G_BEGIN_DECLS

/* A form body in Stripe's bracket notation ("line_items[0][quantity]"). */
typedef struct _EvaForm EvaForm;

EvaForm   *eva_form_new     (void);
void       eva_form_free    (EvaForm     *form);
void       eva_form_add     (EvaForm     *form,
                             const char  *key,
                             const char  *value);
void       eva_form_add_int (EvaForm     *form,
                             const char  *key,
                             gint64       value);
/* application/x-www-form-urlencoded, in the order added. */
char      *eva_form_encode  (EvaForm     *form);

typedef struct
{
  guint     status;         /* HTTP status; 0 when Stripe was not reached */
  JsonNode *body;           /* the parsed answer (an object), or NULL */
  char     *error_type;     /* from Stripe's error envelope, or NULL */
  char     *error_code;
  char     *error_message;
} EvaStripeReply;

void       eva_stripe_reply_clear (EvaStripeReply *reply);

/* Members of Stripe objects, or NULL / @fallback when absent or of
 * another type. */
const char *eva_stripe_string (JsonObject *object,
                               const char *name);
gint64      eva_stripe_int    (JsonObject *object,
                               const char *name,
                               gint64      fallback);
JsonObject *eva_stripe_object (JsonObject *object,
                               const char *name);

/* Whether card payments are configured (EVERATO_STRIPE_SECRET_KEY). */
gboolean   eva_stripe_enabled (EvaConfig *config);

/* One API call: @method "GET" or "POST", @path like "/v1/refunds",
 * @form the body of a POST (or NULL), @idempotency_key for POSTs that
 * must never happen twice. 429, 409 (a concurrent request with the same
 * key) and 5xx answers, and failures to connect, are retried with backoff
 * (EVA_STRIPE_TRIES in all). Returns TRUE for a 2xx answer. Otherwise
 * FALSE with EVA_ERROR_UNAVAILABLE (Stripe unreachable or failing) or
 * EVA_ERROR_INVALID (Stripe refused: its error.message), and @reply holds
 * what came back. */
#define EVA_STRIPE_TRIES 3

gboolean   eva_stripe_call    (EvaConfig       *config,
                               const char      *method,
                               const char      *path,
                               const char      *form,
                               const char      *idempotency_key,
                               EvaStripeReply  *reply,
                               GError         **error);

/* Checks a Stripe-Signature header ("t=…,v1=…,v1=…") over the raw @body:
 * HMAC-SHA256 of "t.body" with any of @secrets (comma separated), compared
 * in constant time, the timestamp within @tolerance_s of @now (unix s). */
gboolean   eva_stripe_verify_signature (const char  *header,
                                        const char  *body,
                                        gsize        length,
                                        const char  *secrets,
                                        gint64       now,
                                        gint64       tolerance_s,
                                        GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaForm, eva_form_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EvaStripeReply, eva_stripe_reply_clear)

G_END_DECLS
