/* eva-api-error.c: the errors of EvaApiClient
 *
 * An extended GError: besides the domain code (which HTTP class of
 * failure), it carries the server's snake_case code, the HTTP status and
 * the per-field details of the error envelope, so an editor can show
 * "must be after starts_at" at the Ends row.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-client"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "api/eva-api-client-private.h"

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

typedef struct
{
  char       *code;
  guint       status;
  guint       retry_after;   /* seconds, 0: not said */
  JsonObject *details;
} EvaApiErrorPrivate;

/* The extended GError's private data sits just before the GError, at the
 * offset GLib computes; G_DEFINE_EXTENDED_ERROR() would do the same but its
 * checks trip -Wnull-dereference. */
static EvaApiErrorPrivate *
error_private (const GError *error)
{
  const gsize align = 2 * sizeof (gsize);
  const gsize offset = (sizeof (EvaApiErrorPrivate) + (align - 1)) & -align;

  return (EvaApiErrorPrivate *) (((guint8 *) error) - offset);
}

static void
error_init (GError *error)
{
  memset (error_private (error), 0, sizeof (EvaApiErrorPrivate));
}

static void
error_copy (const GError *src,
            GError       *dest)
{
  EvaApiErrorPrivate *from = error_private (src);
  EvaApiErrorPrivate *to = error_private (dest);

  to->code = g_strdup (from->code);
  to->status = from->status;
  to->retry_after = from->retry_after;
  to->details = from->details != NULL ? json_object_ref (from->details) : NULL;
}

static void
error_clear (GError *error)
{
  EvaApiErrorPrivate *priv = error_private (error);

  g_clear_pointer (&priv->code, g_free);
  g_clear_pointer (&priv->details, json_object_unref);
}

GQuark
eva_api_error_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark))
    {
      GQuark q = g_error_domain_register_static ("eva-api-error-quark",
                                                 sizeof (EvaApiErrorPrivate),
                                                 error_init, error_copy, error_clear);
      g_once_init_leave (&quark, q);
    }
  return (GQuark) quark;
}

static EvaApiErrorPrivate *
get_error_private (const GError *error)
{
  if (error == NULL || error->domain != EVA_API_ERROR)
    return NULL;
  return error_private (error);
}

/**
 * eva_api_error_get_code:
 *
 * Returns: the server's snake_case error code ("slug_taken"), or %NULL for
 *   errors that did not come from the server.
 */
const char *
eva_api_error_get_code (const GError *error)
{
  EvaApiErrorPrivate *priv = get_error_private (error);

  return priv != NULL ? priv->code : NULL;
}

guint
eva_api_error_get_status (const GError *error)
{
  EvaApiErrorPrivate *priv = get_error_private (error);

  return priv != NULL ? priv->status : 0;
}

/**
 * eva_api_error_get_details:
 *
 * Returns: (transfer none) (nullable): the error's details: for
 *   validation_failed one message per field.
 */
JsonObject *
eva_api_error_get_details (const GError *error)
{
  EvaApiErrorPrivate *priv = get_error_private (error);

  return priv != NULL ? priv->details : NULL;
}

/* How many seconds the server asked to wait before trying again (its
 * Retry-After, with 429 or 503), or 0 when it did not say. */
guint
eva_api_error_get_retry_after (const GError *error)
{
  EvaApiErrorPrivate *priv = get_error_private (error);

  return priv != NULL ? priv->retry_after : 0;
}

/* The server's message for one field, e.g. "must be after starts_at". */
const char *
eva_api_error_get_field_message (const GError *error,
                                 const char   *field)
{
  JsonObject *details = eva_api_error_get_details (error);
  JsonNode *node;

  if (details == NULL)
    return NULL;
  node = json_object_get_member (details, field);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* TRUE when the server could not be reached at all: worth an offline
 * banner and a retry button rather than a message about the request. */
gboolean
eva_api_error_is_offline (const GError *error)
{
  return g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_UNREACHABLE) ||
         g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_UNAVAILABLE);
}

/**
 * eva_api_error_new:
 * @status: the HTTP status
 * @code: (nullable): the server's error code
 * @details: (nullable): per-field messages
 *
 * The error a server answer with this envelope turns into.
 *
 * Returns: (transfer full): a new error in %EVA_API_ERROR
 */
GError *
eva_api_error_new (guint       status,
                   const char *code,
                   const char *message,
                   JsonObject *details)
{
  EvaApiError kind;
  GError *error;
  EvaApiErrorPrivate *priv;

  switch (status)
    {
    case 400: kind = EVA_API_ERROR_INVALID; break;
    case 401: kind = EVA_API_ERROR_UNAUTHORIZED; break;
    case 403: kind = EVA_API_ERROR_FORBIDDEN; break;
    case 404: kind = EVA_API_ERROR_NOT_FOUND; break;
    case 409: kind = EVA_API_ERROR_CONFLICT; break;
    case 422: kind = EVA_API_ERROR_UNPROCESSABLE; break;
    case 429: kind = EVA_API_ERROR_RATE_LIMITED; break;
    case 501: kind = EVA_API_ERROR_NOT_IMPLEMENTED; break;
    case 502:
    case 503:
    case 504: kind = EVA_API_ERROR_UNAVAILABLE; break;
    default:  kind = EVA_API_ERROR_SERVER; break;
    }

  if (message == NULL || *message == '\0')
    {
      switch (kind)
        {
        case EVA_API_ERROR_NOT_IMPLEMENTED:
          message = _("This server does not offer this yet");
          break;
        case EVA_API_ERROR_UNAVAILABLE:
          message = _("The server is temporarily unavailable");
          break;
        default:
          message = _("The server could not handle the request");
          break;
        }
    }

  error = g_error_new_literal (EVA_API_ERROR, kind, message);
  priv = error_private (error);
  priv->status = status;
  priv->code = g_strdup (code);
  priv->details = details != NULL ? json_object_ref (details) : NULL;
  return error;
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/* A transport failure (no HTTP answer) as a message a person can act
 * on, about the server at @base_uri. */
GError *
_eva_api_error_new_transport (GUri         *base_uri,
                              const GError *cause)
{
  const char *host;

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (cause);

  host = base_uri != NULL && g_uri_get_host (base_uri) != NULL ? g_uri_get_host (base_uri) : "";

  if (cause->domain == G_TLS_ERROR)
    {
      if (g_error_matches (cause, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
        return g_error_new (EVA_API_ERROR, EVA_API_ERROR_TLS,
                            _("The security certificate of %s is not trusted. "
                              "Ask the server’s administrator to fix it."), host);
      return g_error_new (EVA_API_ERROR, EVA_API_ERROR_TLS,
                          _("A secure connection to %s could not be made: %s"),
                          host, cause->message);
    }

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (EVA_API_ERROR, EVA_API_ERROR_UNREACHABLE,
                        _("%s did not answer in time"), host);

  if (cause->domain == G_RESOLVER_ERROR)
    return g_error_new (EVA_API_ERROR, EVA_API_ERROR_UNREACHABLE,
                        _("The server %s could not be found. Check the address."), host);

  return g_error_new (EVA_API_ERROR, EVA_API_ERROR_UNREACHABLE,
                      _("Cannot reach %s. Check the address and your connection."), host);
}

/* The error of a non-2xx answer: its envelope when there is one (@node
 * is the parsed body, or NULL). */
GError *
_eva_api_error_new_from_answer (guint     status,
                                JsonNode *node)
{
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *root = json_node_get_object (node);
      JsonNode *member = json_object_get_member (root, "error");

      if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
        {
          JsonObject *envelope = json_node_get_object (member);
          JsonNode *details = json_object_get_member (envelope, "details");

          return eva_api_error_new (status,
                                    json_object_get_string_member_with_default (envelope, "code", NULL),
                                    json_object_get_string_member_with_default (envelope, "message", NULL),
                                    details != NULL && JSON_NODE_HOLDS_OBJECT (details)
                                    ? json_node_get_object (details) : NULL);
        }
    }

  if (status == 404 || status == 405)
    return g_error_new_literal (EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE,
                                _("The address does not lead to an Everato server"));
  return eva_api_error_new (status, NULL, NULL, NULL);
}

/* Keeps the answer's Retry-After (seconds, or an HTTP date) on @error. */
void
_eva_api_error_set_retry_after (GError     *error,
                                const char *retry_after)
{
  EvaApiErrorPrivate *priv = get_error_private (error);
  guint64 seconds = 0;

  if (priv == NULL || retry_after == NULL)
    return;
  if (g_ascii_string_to_unsigned (retry_after, 10, 0, G_MAXUINT, &seconds, NULL))
    priv->retry_after = (guint) seconds;
  else
    {
      g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (retry_after);
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      if (when != NULL && g_date_time_compare (when, now) > 0)
        priv->retry_after = (guint) MAX (1, g_date_time_difference (when, now) / G_USEC_PER_SEC);
    }
}
