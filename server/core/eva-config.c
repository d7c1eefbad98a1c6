/* eva-config.c: server configuration from the environment
 *
 * Every setting has a default that works for the embedded set-up. A value
 * that is present but wrong is an error naming the variable, so an operator
 * is never left guessing which line of a unit file is broken.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-config"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <sodium.h>
#include <stdlib.h>

#include "eva-common.h"
#include "core/eva-config.h"

G_DEFINE_QUARK (eva-config-error-quark, eva_config_error)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
lookup (char       **envp,
        const char  *name)
{
  const char *value = g_environ_getenv (envp, name);

  /* An empty variable is the same as an unset one. */
  return value != NULL && *value != '\0' ? value : NULL;
}

static gboolean
parse_uint (char        **envp,
            const char   *name,
            guint64       min,
            guint64       max,
            guint64       def,
            guint64      *out,
            GError      **error)
{
  const char *value = lookup (envp, name);
  guint64 v;

  if (value == NULL)
    {
      *out = def;
      return TRUE;
    }

  if (!g_ascii_string_to_unsigned (value, 10, min, max, &v, NULL))
    {
      g_set_error (error, EVA_CONFIG_ERROR, 0,
                   "%s must be a whole number from %" G_GUINT64_FORMAT
                   " to %" G_GUINT64_FORMAT ", not \"%s\"",
                   name, min, max, value);
      return FALSE;
    }

  *out = v;
  return TRUE;
}

static gboolean
parse_listen (const char  *value,
              char       **host,
              guint16     *port,
              GError     **error)
{
  const char *colon;
  g_autofree char *h = NULL;
  guint64 p;

  /* host:port, [v6]:port */
  if (value[0] == '[')
    {
      const char *end = strchr (value, ']');

      if (end == NULL || end[1] != ':')
        goto bad;
      h = g_strndup (value + 1, end - value - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (value, ':');
      if (colon == NULL)
        goto bad;
      h = g_strndup (value, colon - value);
    }

  if (*h == '\0' || !g_hostname_is_ip_address (h))
    {
      if (g_strcmp0 (h, "localhost") != 0)
        goto bad;
      g_free (h);
      h = g_strdup ("127.0.0.1");
    }

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    goto bad;

  *host = g_steal_pointer (&h);
  *port = (guint16) p;
  return TRUE;

bad:
  g_set_error (error, EVA_CONFIG_ERROR, 0,
               "EVERATO_LISTEN must be ADDRESS:PORT with an IP address "
               "(e.g. 127.0.0.1:8080 or [::1]:8080), not \"%s\"", value);
  return FALSE;
}

static gboolean
parse_smtp_url (const char  *value,
                GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *scheme;

  if (uri == NULL)
    goto bad;
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "smtp") != 0 && g_strcmp0 (scheme, "smtps") != 0)
    goto bad;
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    goto bad;
  return TRUE;

bad:
  g_set_error (error, EVA_CONFIG_ERROR, 0,
               "EVERATO_SMTP_URL must look like smtp://user:pass@host:port "
               "or smtps://host:port");
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/* "10.0.0.0/8, 192.0.2.7, ::1": addresses and CIDR ranges, separated by
 * commas or spaces; an address alone is one host. */
static gboolean
parse_proxies (const char  *value,
               GPtrArray   *out,
               GError     **error)
{
  g_auto(GStrv) items = NULL;

  if (value == NULL)
    return TRUE;
  items = g_strsplit_set (value, ", \t", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      g_autoptr(GError) local = NULL;
      GInetAddressMask *mask;

      if (*items[i] == '\0')
        continue;
      mask = g_inet_address_mask_new_from_string (items[i], &local);
      if (mask == NULL)
        {
          g_set_error (error, EVA_CONFIG_ERROR, 0,
                       "EVERATO_TRUSTED_PROXIES must list IP addresses or CIDR ranges "
                       "(such as 10.0.0.0/8 or ::1), not \"%s\"", items[i]);
          return FALSE;
        }
      g_ptr_array_add (out, mask);
    }
  return TRUE;
}

EvaConfig *
eva_config_load_from (char   **envp,
                      GError **error)
{
  g_autoptr(EvaConfig) config = g_new0 (EvaConfig, 1);
  const char *value;
  guint64 n;

  value = lookup (envp, "EVERATO_DATABASE_URL");
  config->database_url = g_strdup (value != NULL ? value : "dbname=everato");

  value = lookup (envp, "EVERATO_LISTEN");
  if (!parse_listen (value != NULL ? value : "127.0.0.1:8080",
                     &config->listen_host, &config->listen_port, error))
    return NULL;

  value = lookup (envp, "EVERATO_PUBLIC_URL");
  if (value == NULL)
    config->public_url = g_strdup_printf ("http://%s:%u",
                                          config->listen_host,
                                          config->listen_port);
  else if (!eva_validate_http_url (value))
    {
      g_set_error (error, EVA_CONFIG_ERROR, 0,
                   "EVERATO_PUBLIC_URL must be an absolute http:// or https:// URL, not \"%s\"",
                   value);
      return NULL;
    }
  else
    config->public_url = g_strdup (value);
  /* Links are built by appending paths. */
  while (g_str_has_suffix (config->public_url, "/"))
    config->public_url[strlen (config->public_url) - 1] = '\0';
  config->public_url_https = g_str_has_prefix (config->public_url, "https://");

  value = lookup (envp, "EVERATO_SMTP_URL");
  if (value != NULL && !parse_smtp_url (value, error))
    return NULL;
  config->smtp_url = g_strdup (value);

  /* Credentials never cross the network in clear: with a user in the URL,
   * smtp:// requires STARTTLS unless the operator says otherwise. */
  {
    g_autoptr(GUri) uri = value != NULL ? g_uri_parse (value, G_URI_FLAGS_NONE, NULL) : NULL;
    const char *tls = lookup (envp, "EVERATO_SMTP_TLS");

    if (tls == NULL)
      config->smtp_require_tls = uri != NULL && g_uri_get_userinfo (uri) != NULL;
    else if (g_str_equal (tls, "required"))
      config->smtp_require_tls = TRUE;
    else if (g_str_equal (tls, "opportunistic"))
      config->smtp_require_tls = FALSE;
    else
      {
        g_set_error (error, EVA_CONFIG_ERROR, 0,
                     "EVERATO_SMTP_TLS must be required or opportunistic, not \"%s\"", tls);
        return NULL;
      }
  }

  value = lookup (envp, "EVERATO_MAIL_FROM");
  if (value != NULL && !eva_validate_email (value))
    {
      g_set_error (error, EVA_CONFIG_ERROR, 0,
                   "EVERATO_MAIL_FROM must be an email address, not \"%s\"", value);
      return NULL;
    }
  config->mail_from = g_strdup (value != NULL ? value : "tickets@everato.invalid");

  config->stripe_secret_key = g_strdup (lookup (envp, "EVERATO_STRIPE_SECRET_KEY"));
  config->stripe_webhook_secret = g_strdup (lookup (envp, "EVERATO_STRIPE_WEBHOOK_SECRET"));
  value = lookup (envp, "EVERATO_STRIPE_API_BASE");
  if (value != NULL && !eva_validate_http_url (value))
    {
      g_set_error (error, EVA_CONFIG_ERROR, 0,
                   "EVERATO_STRIPE_API_BASE must be an absolute http(s) URL, not \"%s\"",
                   value);
      return NULL;
    }
  config->stripe_api_base = g_strdup (value != NULL ? value : "https://api.stripe.com");
  value = lookup (envp, "EVERATO_TRANSFER_DETAILS");
  if (value != NULL && (g_utf8_strlen (value, -1) > 2000 || !g_utf8_validate (value, -1, NULL)))
    {
      g_set_error (error, EVA_CONFIG_ERROR, 0,
                   "EVERATO_TRANSFER_DETAILS must be UTF-8 text of at most 2000 characters");
      return NULL;
    }
  config->transfer_details = g_strdup (value);

  value = lookup (envp, "EVERATO_DATA_DIR");
  if (value != NULL)
    config->data_dir = g_canonicalize_filename (value, NULL);
  else
    config->data_dir = g_build_filename (g_get_user_data_dir (), "everato", NULL);

  /* The value is a secret: a message about it never repeats it. */
  value = lookup (envp, "EVERATO_MASTER_KEY");
  if (value != NULL)
    {
      gsize len = 0;

      if (strlen (value) != 2 * sizeof config->master_key ||
          sodium_hex2bin (config->master_key, sizeof config->master_key, value, strlen (value),
                          NULL, &len, NULL) != 0 ||
          len != sizeof config->master_key)
        {
          g_set_error (error, EVA_CONFIG_ERROR, 0,
                       "EVERATO_MASTER_KEY must be %d hex characters (32 bytes); "
                       "the value set %s",
                       (int) (2 * sizeof config->master_key),
                       strlen (value) != 2 * sizeof config->master_key ? "has another length"
                                                                       : "is not hex");
          return NULL;
        }
      config->has_master_key = TRUE;
    }

  value = lookup (envp, "EVERATO_WEB_DIR");
  if (value != NULL)
    {
      if (!g_file_test (value, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, EVA_CONFIG_ERROR, 0,
                       "EVERATO_WEB_DIR must be an existing folder, not \"%s\"", value);
          return NULL;
        }
      config->web_dir = g_canonicalize_filename (value, NULL);
    }

  if (!parse_uint (envp, "EVERATO_THREADS", 1, 256, g_get_num_processors (), &n, error))
    return NULL;
  config->threads = n;

  if (!parse_uint (envp, "EVERATO_DB_POOL_SIZE", 1, 256, 8, &n, error))
    return NULL;
  config->db_pool_size = n;

  if (!parse_uint (envp, "EVERATO_DB_QUEUE_MAX", 0, 1000000, 1024, &n, error))
    return NULL;
  config->db_queue_max = n;

  if (!parse_uint (envp, "EVERATO_REQUEST_TIMEOUT", 1, 3600, 30, &n, error))
    return NULL;
  config->request_timeout_s = n;

  if (!parse_uint (envp, "EVERATO_IDLE_TIMEOUT", 1, 86400, 60, &n, error))
    return NULL;
  config->idle_timeout_s = n;

  if (!parse_uint (envp, "EVERATO_MAX_CONNECTIONS", 1, 1000000, 4096, &n, error))
    return NULL;
  config->max_connections = n;

  /* Outgoing webhooks may call loopback, link-local and private
   * addresses only when the operator says so (a receiver on the same
   * host or network; the tests). */
  {
    const char *allow = lookup (envp, "EVERATO_WEBHOOK_ALLOW_PRIVATE");

    if (allow == NULL || g_str_equal (allow, "") || g_str_equal (allow, "0"))
      config->webhook_allow_private = FALSE;
    else if (g_str_equal (allow, "1"))
      config->webhook_allow_private = TRUE;
    else
      {
        g_set_error (error, EVA_CONFIG_ERROR, 0,
                     "EVERATO_WEBHOOK_ALLOW_PRIVATE must be 0 or 1, not \"%s\"", allow);
        return NULL;
      }
  }

  if (!parse_uint (envp, "EVERATO_SIGNUP_LIMIT", 1, 1000000, 10, &n, error))
    return NULL;
  config->signup_limit = n;

  if (!parse_uint (envp, "EVERATO_SIGNUP_LIMIT_GLOBAL", 1, 10000000, 1000, &n, error))
    return NULL;
  config->signup_limit_global = n;

  if (!parse_uint (envp, "EVERATO_PAYMENT_RECONCILE_AFTER", 1, 86400, 300, &n, error))
    return NULL;
  config->reconcile_after_s = n;
  if (!parse_uint (envp, "EVERATO_HASH_WORKERS", 1, 64, 2, &n, error))
    return NULL;
  config->hash_workers = n;

  if (!parse_uint (envp, "EVERATO_HASH_QUEUE_MAX", 1, 100000, 64, &n, error))
    return NULL;
  config->hash_queue_max = n;

  if (!parse_uint (envp, "EVERATO_MAX_BODY", 1024, 64 * 1024 * 1024, 1024 * 1024, &n, error))
    return NULL;
  config->max_body = n;

  if (!parse_uint (envp, "EVERATO_SHUTDOWN_TIMEOUT_MS", 0, 600000, 10000, &n, error))
    return NULL;
  config->shutdown_timeout_ms = n;

  config->trusted_proxies = g_ptr_array_new_with_free_func (g_object_unref);
  if (!parse_proxies (lookup (envp, "EVERATO_TRUSTED_PROXIES"), config->trusted_proxies, error))
    return NULL;

  value = lookup (envp, "EVERATO_METRICS_TOKEN");
  if (value != NULL)
    {
      if (strlen (value) < 16)
        {
          g_set_error (error, EVA_CONFIG_ERROR, 0, "EVERATO_METRICS_TOKEN must be at least 16 characters long");
          return NULL;
        }
      config->metrics_token = g_strdup (value);
    }

  value = lookup (envp, "EVERATO_LOG_FORMAT");
  if (value == NULL || g_str_equal (value, "text"))
    config->log_format = EVA_LOG_TEXT;
  else if (g_str_equal (value, "json"))
    config->log_format = EVA_LOG_JSON;
  else
    {
      g_set_error (error, EVA_CONFIG_ERROR, 0,
                   "EVERATO_LOG_FORMAT must be \"text\" or \"json\", not \"%s\"", value);
      return NULL;
    }

  return g_steal_pointer (&config);
}

EvaConfig *
eva_config_load (GError **error)
{
  g_auto(GStrv) envp = g_get_environ ();

  return eva_config_load_from (envp, error);
}

void
eva_config_free (EvaConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->database_url);
  g_free (config->listen_host);
  g_free (config->public_url);
  g_free (config->smtp_url);
  g_free (config->mail_from);
  g_free (config->stripe_secret_key);
  g_free (config->stripe_webhook_secret);
  g_free (config->stripe_api_base);
  g_free (config->transfer_details);
  g_free (config->data_dir);
  g_free (config->web_dir);
  g_clear_pointer (&config->trusted_proxies, g_ptr_array_unref);
  g_free (config->metrics_token);
  sodium_memzero (config->master_key, sizeof config->master_key);
  g_free (config);
}
