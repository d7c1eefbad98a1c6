/* eva-test-stripe.h: a Stripe stand-in for the integration tests
 *
 * Starts tests/stripe/stripe-standin.py (python3, standard library only),
 * a local server that answers Stripe's API as Stripe does; point a test
 * server at it with EVERATO_STRIPE_API_BASE=<base url>. Tests steer it and
 * read what it saw through its control API under /_standin/ (JSON):
 *
 *   POST /_standin/config                  webhook_url, webhook_secrets,
 *                                          auto_deliver, refund_status,
 *                                          async_payments
 *   POST /_standin/fail                    path_prefix, method, status,
 *                                          mode ("status"|"hang"|"close"),
 *                                          count, retry_after, after (the
 *                                          request is carried out first and
 *                                          only its answer is lost)
 *   POST /_standin/sessions/{id}/pay       deliver, amount_total, currency, async
 *   POST /_standin/sessions/{id}/async     result ("succeeded"|"failed"), deliver
 *   POST /_standin/sessions/{id}/expire    deliver
 *   POST /_standin/refunds/{id}/settle     status ("succeeded"|"failed"), deliver
 *   POST /_standin/deliver                 event_id, times, signature ("good"|
 *                                          "bad"|"stale"|"future"|"wrong_secret"|
 *                                          "none"), truncate, delay_ms, secret
 *   POST /_standin/reset
 *   GET  /_standin/{events,sessions,refunds,requests,deliveries,config}
 *
 * The buyer's page is <base url>/checkout/{id}; POST …/pay pays the session.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _EvaTestStripe EvaTestStripe;

/* @webhook_secrets: NULL-terminated, may be NULL (no signing secret yet);
 * set the webhook URL with the control API once the server is up. */
EvaTestStripe *eva_test_stripe_start    (const char         *secret_key,
                                         const char * const *webhook_secrets);
/* "http://127.0.0.1:PORT", no trailing slash. */
const char    *eva_test_stripe_base_url (EvaTestStripe      *stripe);
/* A plain HTTP request to the stand-in (its control API or anything else);
 * returns the parsed JSON reply (NULL when empty or not JSON) and stores
 * the status in @status_out when it is not NULL. Free with json_node_unref. */
JsonNode      *eva_test_stripe_control  (EvaTestStripe      *stripe,
                                         const char         *method,
                                         const char         *path,
                                         const char         *json_body,
                                         guint              *status_out);
/* Stops it (SIGTERM; it must exit 0) and frees it. NULL is fine. */
void           eva_test_stripe_stop     (EvaTestStripe      *stripe);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaTestStripe, eva_test_stripe_stop)

G_END_DECLS
