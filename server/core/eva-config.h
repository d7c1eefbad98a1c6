/* eva-config.h: server configuration from the environment
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  EVA_LOG_TEXT,
  EVA_LOG_JSON,
} EvaLogFormat;

typedef struct
{
  char         *database_url;
  char         *listen_host;
  guint16       listen_port;
  char         *public_url;
  gboolean      public_url_https;
  char         *smtp_url;
  gboolean      smtp_require_tls;   /* STARTTLS or nothing on smtp:// */
  char         *mail_from;
  char         *stripe_secret_key;
  char         *stripe_webhook_secret;
  char         *stripe_api_base;
  char         *transfer_details;     /* bank transfer details for events without their own */
  guint         reconcile_after_s;    /* re-read a Checkout session without news this long */
  char         *data_dir;
  /* EVERATO_MASTER_KEY, when set: it seals the key rows instead of
   * $EVERATO_DATA_DIR/master.key (see core/eva-keys.h). Secret. */
  gboolean      has_master_key;
  guint8        master_key[32];
  char         *web_dir;
  guint         threads;
  guint         db_pool_size;
  guint         db_queue_max;     /* database jobs waiting; 0: unbounded */
  guint         hash_workers;     /* argon2id threads (64 MiB each at work) */
  guint         hash_queue_max;   /* password checks waiting for them */
  guint         request_timeout_s;    /* a request must arrive whole within this */
  guint         idle_timeout_s;       /* a connection idle between requests */
  guint         max_connections;      /* per process */
  guint         signup_limit;         /* sign-ups per client address an hour */
  guint         signup_limit_global;  /* sign-ups an hour, all addresses */
  gboolean      webhook_allow_private; /* webhooks may call private addresses */
  gsize         max_body;
  EvaLogFormat  log_format;
  guint         shutdown_timeout_ms;
  /* EVERATO_TRUSTED_PROXIES: GInetAddressMask of the reverse proxies whose
   * X-Forwarded-For and X-Forwarded-Proto are believed; empty: none. */
  GPtrArray    *trusted_proxies;
  /* EVERATO_METRICS_TOKEN: the bearer token GET /metrics asks for; NULL:
   * /metrics is off (404). Secret. */
  char         *metrics_token;
} EvaConfig;

#define EVA_CONFIG_ERROR (eva_config_error_quark ())
GQuark     eva_config_error_quark (void);

EvaConfig *eva_config_load        (GError    **error);
EvaConfig *eva_config_load_from   (char     **envp,
                                   GError    **error);
void       eva_config_free        (EvaConfig  *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaConfig, eva_config_free)

G_END_DECLS
