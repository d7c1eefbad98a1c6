/* services/webhooks.h: outgoing webhooks — which URLs may be called,
 * signatures, and one signed POST over libcurl (docs/webhooks.md)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <sys/socket.h>

#include "db/eva-db.h"

G_BEGIN_DECLS

#define EVA_WEBHOOK_CHANNEL        "everato_webhooks"
#define EVA_WEBHOOK_URL_MAX        2000
#define EVA_WEBHOOK_EXCERPT_MAX    500     /* bytes of a response kept */
#define EVA_WEBHOOK_EVENTS_MAX     20
#define EVA_WEBHOOK_KEEP_DAYS      30      /* events (and their log) kept this long */

/* The event types one may subscribe to, NULL-terminated. */
extern const char * const eva_webhook_event_types[];
gboolean  eva_webhook_event_type_known   (const char *type);

/* An endpoint URL: http or https, a host, no user name or password, no
 * fragment, at most EVA_WEBHOOK_URL_MAX characters. Unless
 * @allow_private, a host that is an address of this machine or of a
 * private network (or "localhost") is refused too; names are checked
 * again, by address, at every connection. NULL when acceptable, else
 * what is wrong (free it). */
char     *eva_webhook_url_problem        (const char *url,
                                          gboolean    allow_private);

/* Whether a connection to @addr may be made: not loopback, link-local,
 * private (RFC 1918, fc00::/7), carrier-grade NAT, unspecified, multicast
 * or broadcast, also as IPv4-mapped IPv6 — unless @allow_private. */
gboolean  eva_webhook_address_allowed    (const struct sockaddr *addr,
                                          gboolean               allow_private);

/* "t=@timestamp,v1=<hex HMAC-SHA256 of "@timestamp.@body" keyed with
 * @secret>" (the Everato-Signature header). */
char     *eva_webhook_signature          (const char *secret,
                                          gint64      timestamp,
                                          const char *body);

/* A new secret: "whsec_" and 32 random bytes in base64url. */
char     *eva_webhook_new_secret         (void);

typedef struct
{
  guint    status;        /* HTTP status; 0 when none came */
  char    *excerpt;       /* at most EVA_WEBHOOK_EXCERPT_MAX bytes of the body, UTF-8 */
  char    *error;         /* why it failed, or NULL when a 2xx came */
} EvaWebhookResult;

void      eva_webhook_result_clear       (EvaWebhookResult *result);

/* POSTs @body to @url, signed with @secret, and waits at most
 * @timeout_ms; redirects are not followed. Blocks: worker threads only.
 * TRUE for a 2xx answer. */
gboolean  eva_webhook_post               (const char       *url,
                                          const char       *secret,
                                          const char       *event_id,
                                          const char       *event_type,
                                          const char       *body,
                                          gboolean          allow_private,
                                          guint             timeout_ms,
                                          EvaWebhookResult *result);

/* Deletes up to 1000 events older than EVA_WEBHOOK_KEEP_DAYS with no
 * delivery still to be sent, and their deliveries (the sweeper, once a
 * minute). Returns how many, or -1 with @error set. */
gint64    eva_webhook_prune              (EvaDbConn  *conn,
                                          GError    **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EvaWebhookResult, eva_webhook_result_clear)

G_END_DECLS
