/* eva-api-client.c: the asynchronous client of the Everato HTTP API
 *
 * Every call is a GTask around one SoupMessage. Admin calls carry the
 * access token; when the server answers 401 invalid_token (the token
 * expired) the client exchanges its refresh token once — one exchange for
 * all calls waiting at that moment — and sends the call again. When the
 * exchange fails the session is over: the call fails with
 * EVA_API_ERROR_SESSION_EXPIRED and "session-expired" is emitted, so the
 * window can ask for the password again without dropping unsaved edits.
 *
 * Errors carry the server's code ("slug_taken") and its per-field details
 * through an extended GError (see eva_api_error_get_details()).
 *
 * This file is the core: the session, requests and the refresh. The
 * calls themselves are in eva-api-auth.c (sign-in) and
 * eva-api-resources.c (events, tickets, coupons, bookings, staff); the
 * errors in eva-api-error.c.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-client"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "api/eva-api-client-private.h"
#include "eva-common.h"

#define REQUEST_TIMEOUT_SECONDS 30

struct _EvaApiClient
{
  GObject      parent_instance;

  SoupSession *session;
  GUri        *base_uri;
  char        *base_url;
  char        *access_token;
  char        *refresh_token;
  EvaRecord   *me;

  /* Calls waiting for the refresh in flight (GTask of Request). */
  GPtrArray   *refresh_waiters;
  gboolean     refreshing;
};

G_DEFINE_FINAL_TYPE (EvaApiClient, eva_api_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_SIGNED_IN,
  PROP_ME,
  N_PROPS
};

enum {
  TOKENS_CHANGED,
  SESSION_EXPIRED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  char             *method;
  char             *path;       /* with its query string */
  char             *accept;     /* NULL: application/json */
  char             *idempotency_key;   /* or NULL */
  GBytes           *body;       /* JSON, or NULL */
  EvaApiResultKind  kind;
  gboolean          auth;
  gboolean          retried;
} Request;

/* ------------------------------------------------------------------ */
/* Requests                                                           */
/* ------------------------------------------------------------------ */

static void
request_free (Request *req)
{
  g_free (req->method);
  g_free (req->path);
  g_free (req->accept);
  g_free (req->idempotency_key);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req);
}

void
_eva_api_response_free (EvaApiResponse *resp)
{
  g_clear_pointer (&resp->node, json_node_unref);
  g_clear_pointer (&resp->bytes, g_bytes_unref);
  g_free (resp->filename);
  g_free (resp);
}

static GBytes *
object_to_bytes (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  char *text;

  json_node_set_object (node, object);
  text = eva_json_to_string (node);
  return g_bytes_new_take (text, strlen (text));
}

/* A call of @method on @path (taken, with its query) with @body or NULL;
 * its result is read with the _finish function @kind goes with. Send it
 * with _eva_api_client_send(). */
GTask *
_eva_api_client_request_new (EvaApiClient        *self,
                             const char          *method,
                             char                *path,   /* taken */
                             JsonObject          *body,
                             EvaApiResultKind     kind,
                             gboolean             auth,
                             gpointer             source_tag,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *req = g_new0 (Request, 1);

  req->method = g_strdup (method);
  req->path = path;
  req->body = body != NULL ? object_to_bytes (body) : NULL;
  req->kind = kind;
  req->auth = auth;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);
  return task;
}

/* Asks for another type than JSON (with EVA_API_RESULT_BYTES). */
void
_eva_api_client_request_set_accept (GTask      *task,
                                    const char *accept)
{
  Request *req = g_task_get_task_data (task);

  g_free (req->accept);
  req->accept = g_strdup (accept);
}

/* Sends @key as the Idempotency-Key header: a call sent again with the
 * same key (after an answer that was lost) is done only once. */
void
_eva_api_client_request_set_idempotency_key (GTask      *task,
                                             const char *key)
{
  Request *req = g_task_get_task_data (task);

  g_free (req->idempotency_key);
  req->idempotency_key = g_strdup (key);
}

/* Builds "/base/path?a=b&c=d" from pairs of name and value; NULL or empty
 * values are left out. */
char *
_eva_api_build_path (const char *path,
                     ...)
{
  GString *s = g_string_new (path);
  gboolean first = TRUE;
  va_list args;

  va_start (args, path);
  for (const char *name = va_arg (args, const char *); name != NULL;
       name = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value == NULL || *value == '\0')
        continue;
      g_string_append_c (s, first ? '?' : '&');
      g_string_append (s, name);
      g_string_append_c (s, '=');
      g_string_append_uri_escaped (s, value, NULL, FALSE);
      first = FALSE;
    }
  va_end (args);
  return g_string_free (s, FALSE);
}

char *
_eva_api_escape (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

static void
set_tokens (EvaApiClient *self,
            const char   *access_token,
            const char   *refresh_token)
{
  gboolean was_signed_in = eva_api_client_get_signed_in (self);

  g_free (self->access_token);
  self->access_token = g_strdup (access_token);
  if (g_strcmp0 (self->refresh_token, refresh_token) != 0)
    {
      g_free (self->refresh_token);
      self->refresh_token = g_strdup (refresh_token);
      g_signal_emit (self, signals[TOKENS_CHANGED], 0);
    }
  if (was_signed_in != eva_api_client_get_signed_in (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

void
_eva_api_client_set_me (EvaApiClient *self,
                        EvaRecord    *me)
{
  if (g_set_object (&self->me, me))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ME]);
}

/* Takes the tokens (and the staff account, when there) of a sign-in or
 * refresh answer. */
void
_eva_api_client_take_tokens (EvaApiClient *self,
                             JsonObject   *tokens)
{
  set_tokens (self,
              json_object_get_string_member_with_default (tokens, "access_token", NULL),
              json_object_get_string_member_with_default (tokens, "refresh_token", NULL));
  if (json_object_has_member (tokens, "staff") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (tokens, "staff")))
    {
      g_autoptr(EvaRecord) me = eva_record_new (json_object_get_object_member (tokens, "staff"));

      _eva_api_client_set_me (self, me);
    }
}

/* Reads the answer: 2xx → JSON (or nothing for 204; the bytes as they
 * came for EVA_API_RESULT_BYTES), else the error envelope turned into a
 * GError. */
static EvaApiResponse *
parse_response (SoupMessage       *msg,
                GBytes            *bytes,
                EvaApiResultKind   kind,
                GError           **error)
{
  guint status = soup_message_get_status (msg);
  g_autoptr(EvaApiResponse) resp = g_new0 (EvaApiResponse, 1);
  g_autoptr(JsonNode) node = NULL;
  gsize len = bytes != NULL ? g_bytes_get_size (bytes) : 0;

  if (kind == EVA_API_RESULT_BYTES && SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autoptr(GHashTable) params = NULL;

      resp->bytes = bytes != NULL ? g_bytes_ref (bytes) : g_bytes_new (NULL, 0);
      if (soup_message_headers_get_content_disposition (soup_message_get_response_headers (msg),
                                                        NULL, &params) &&
          g_hash_table_lookup (params, "filename") != NULL)
        {
          /* Only its last part: the name, never a path. */
          resp->filename = g_path_get_basename (g_hash_table_lookup (params, "filename"));
        }
      return g_steal_pointer (&resp);
    }

  if (len > 0)
    {
      g_autoptr(GError) parse_error = NULL;

      node = eva_json_parse (g_bytes_get_data (bytes, NULL), len, &parse_error);
      if (node == NULL && SOUP_STATUS_IS_SUCCESSFUL (status))
        {
          g_set_error (error, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE,
                       _("The server’s answer could not be read. Is this an Everato server?"));
          return NULL;
        }
    }

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      resp->node = g_steal_pointer (&node);
      return g_steal_pointer (&resp);
    }

  {
    GError *answer = _eva_api_error_new_from_answer (status, node);

    _eva_api_error_set_retry_after (answer, soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                                          "Retry-After"));
    g_propagate_error (error, answer);
  }
  return NULL;
}

/* The refresh exchange, shared by the calls that found their token
 * expired. */
static void finish_refresh (EvaApiClient *self,
                            const GError *error);

static void
refresh_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EvaApiClient) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(EvaApiResponse) resp = NULL;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (bytes == NULL)
    {
      g_autoptr(GError) mapped = _eva_api_error_new_transport (self->base_uri, error);

      finish_refresh (self, mapped);
      return;
    }

  resp = parse_response (msg, bytes, EVA_API_RESULT_TOKENS, &error);
  if (resp == NULL || resp->node == NULL || !JSON_NODE_HOLDS_OBJECT (resp->node))
    {
      if (error == NULL)
        g_set_error (&error, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE,
                     _("The server’s answer could not be read"));
      finish_refresh (self, error);
      return;
    }

  _eva_api_client_take_tokens (self, json_node_get_object (resp->node));
  finish_refresh (self, NULL);
}

static void
start_refresh (EvaApiClient *self)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(GBytes) bytes = NULL;

  self->refreshing = TRUE;
  url = g_strconcat (self->base_url, "/api/v1/admin/auth/refresh", NULL);
  msg = soup_message_new ("POST", url);
  json_object_set_string_member (body, "refresh_token", self->refresh_token);
  bytes = object_to_bytes (body);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  /* Not cancellable by one caller: the others still wait for it. */
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    refresh_sent_cb, g_object_ref (self));
}

static void
finish_refresh (EvaApiClient *self,
                const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->refresh_waiters);
  gboolean expired = error != NULL && !eva_api_error_is_offline (error) &&
                     !g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_TLS);

  self->refresh_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->refreshing = FALSE;

  if (expired)
    {
      g_debug ("refresh failed: %s", error->message);
      set_tokens (self, NULL, NULL);
    }

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error == NULL)
        _eva_api_client_send (g_object_ref (task));
      else if (expired)
        g_task_return_new_error (task, EVA_API_ERROR, EVA_API_ERROR_SESSION_EXPIRED,
                                 _("Your session has expired. Sign in again to continue."));
      else
        g_task_return_error (task, g_error_copy (error));
    }

  if (expired)
    g_signal_emit (self, signals[SESSION_EXPIRED], 0);
}

static void
wait_for_refresh (EvaApiClient *self,
                  GTask        *task)   /* taken */
{
  g_ptr_array_add (self->refresh_waiters, task);
  if (!self->refreshing)
    start_refresh (self);
}

static void
return_result (GTask          *task,
               EvaApiResponse *resp)  /* taken */
{
  EvaApiClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);

  if (req->kind == EVA_API_RESULT_TOKENS)
    {
      if (resp->node == NULL || !JSON_NODE_HOLDS_OBJECT (resp->node))
        {
          _eva_api_response_free (resp);
          g_task_return_new_error (task, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE,
                                   _("The server’s answer could not be read"));
          return;
        }
      _eva_api_client_take_tokens (self, json_node_get_object (resp->node));
    }

  if ((req->kind == EVA_API_RESULT_RECORD || req->kind == EVA_API_RESULT_LIST) &&
      (resp->node == NULL || !JSON_NODE_HOLDS_OBJECT (resp->node)))
    {
      _eva_api_response_free (resp);
      g_task_return_new_error (task, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE,
                               _("The server’s answer could not be read"));
      return;
    }

  g_task_return_pointer (task, resp, (GDestroyNotify) _eva_api_response_free);
}

static void
request_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EvaApiClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  EvaApiResponse *resp;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, _eva_api_error_new_transport (self->base_uri, error));
      return;
    }

  resp = parse_response (msg, bytes, req->kind, &error);
  if (resp == NULL)
    {
      /* An expired access token: refresh once, then send again. */
      if (req->auth && !req->retried && self->refresh_token != NULL &&
          g_strcmp0 (eva_api_error_get_code (error), "invalid_token") == 0)
        {
          req->retried = TRUE;
          g_clear_pointer (&self->access_token, g_free);
          wait_for_refresh (self, g_steal_pointer (&task));
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  return_result (task, resp);
}

void
_eva_api_client_send (GTask *task)   /* taken */
{
  EvaApiClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  if (self->base_url == NULL)
    {
      g_task_return_new_error (task, EVA_API_ERROR, EVA_API_ERROR_INVALID_URL,
                               _("No server address is set"));
      g_object_unref (task);
      return;
    }

  if (req->auth && self->access_token == NULL)
    {
      if (self->refresh_token != NULL && !req->retried)
        {
          req->retried = TRUE;
          wait_for_refresh (self, task);
          return;
        }
      g_task_return_new_error (task, EVA_API_ERROR, EVA_API_ERROR_SESSION_EXPIRED,
                               _("You are not signed in"));
      g_object_unref (task);
      return;
    }

  url = g_strconcat (self->base_url, req->path, NULL);
  msg = soup_message_new (req->method, url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, EVA_API_ERROR, EVA_API_ERROR_INVALID_URL,
                               _("“%s” is not a valid address"), url);
      g_object_unref (task);
      return;
    }

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                req->accept != NULL ? req->accept : "application/json");
  if (req->auth)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->access_token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", auth);
    }
  if (req->idempotency_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                  req->idempotency_key);
  if (req->body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", req->body);

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), request_sent_cb, task);
}

/* Refreshes the access token first, then sends @task (taken): how a
 * kept sign-in is resumed. */
void
_eva_api_client_refresh_first (EvaApiClient *self,
                               GTask        *task)
{
  Request *req = g_task_get_task_data (task);

  g_clear_pointer (&self->access_token, g_free);
  req->retried = TRUE;
  wait_for_refresh (self, task);
}

EvaApiResponse *
_eva_api_client_response_finish (EvaApiClient  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_api_client_dispose (GObject *object)
{
  EvaApiClient *self = EVA_API_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->me);

  G_OBJECT_CLASS (eva_api_client_parent_class)->dispose (object);
}

static void
eva_api_client_finalize (GObject *object)
{
  EvaApiClient *self = EVA_API_CLIENT (object);

  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_free (self->base_url);
  g_free (self->access_token);
  g_free (self->refresh_token);
  g_clear_pointer (&self->refresh_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (eva_api_client_parent_class)->finalize (object);
}

static void
eva_api_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EvaApiClient *self = EVA_API_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, eva_api_client_get_signed_in (self));
      break;
    case PROP_ME:
      g_value_set_object (value, self->me);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_api_client_class_init (EvaApiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eva_api_client_dispose;
  object_class->finalize = eva_api_client_finalize;
  object_class->get_property = eva_api_client_get_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ME] =
    g_param_spec_object ("me", NULL, NULL, EVA_TYPE_RECORD,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvaApiClient::tokens-changed:
   *
   * The refresh token changed (sign-in, rotation, sign-out): the place
   * that keeps it (the keyring) should store the new one.
   */
  signals[TOKENS_CHANGED] =
    g_signal_new ("tokens-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * EvaApiClient::session-expired:
   *
   * The refresh token was refused: the user has to sign in again.
   */
  signals[SESSION_EXPIRED] =
    g_signal_new ("session-expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
eva_api_client_init (EvaApiClient *self)
{
  g_autofree char *user_agent = g_strdup_printf ("everato-admin/%s ", PACKAGE_VERSION);

  self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_SECONDS,
                                                 "user-agent", user_agent,
                                                 NULL);
  self->refresh_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

/* ------------------------------------------------------------------ */
/* Public API: state                                                  */
/* ------------------------------------------------------------------ */

EvaApiClient *
eva_api_client_new (const char *base_url)
{
  EvaApiClient *self = g_object_new (EVA_TYPE_API_CLIENT, NULL);

  if (base_url != NULL)
    eva_api_client_set_base_url (self, base_url, NULL);
  return self;
}

const char *
eva_api_client_get_base_url (EvaApiClient *self)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (self), NULL);
  return self->base_url;
}

/* Accepts "http(s)://host[:port][/prefix]"; a missing scheme means https.
 * Changing the server forgets the session. */
gboolean
eva_api_client_set_base_url (EvaApiClient  *self,
                             const char    *base_url,
                             GError       **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *normalized = NULL;
  const char *scheme;

  g_return_val_if_fail (EVA_IS_API_CLIENT (self), FALSE);
  g_return_val_if_fail (base_url != NULL, FALSE);

  text = g_strstrip (g_strdup (base_url));
  if (strstr (text, "://") == NULL)
    {
      char *with_scheme = g_strconcat ("https://", text, NULL);

      g_free (text);
      text = with_scheme;
    }

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      g_set_error (error, EVA_API_ERROR, EVA_API_ERROR_INVALID_URL,
                   _("“%s” is not a server address such as https://tickets.example.org"),
                   base_url);
      return FALSE;
    }

  normalized = g_strdup (text);
  while (g_str_has_suffix (normalized, "/"))
    normalized[strlen (normalized) - 1] = '\0';

  if (g_strcmp0 (normalized, self->base_url) == 0)
    return TRUE;

  g_clear_pointer (&self->base_uri, g_uri_unref);
  self->base_uri = g_steal_pointer (&uri);
  g_free (self->base_url);
  self->base_url = g_steal_pointer (&normalized);
  eva_api_client_forget (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
  return TRUE;
}

const char *
eva_api_client_get_refresh_token (EvaApiClient *self)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (self), NULL);
  return self->refresh_token;
}

/* For a refresh token kept from an earlier run; the next call refreshes. */
void
eva_api_client_set_refresh_token (EvaApiClient *self,
                                  const char   *refresh_token)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  set_tokens (self, NULL, refresh_token);
}

const char *
eva_api_client_get_access_token (EvaApiClient *self)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (self), NULL);
  return self->access_token;
}

void
eva_api_client_set_access_token (EvaApiClient *self,
                                 const char   *access_token)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  set_tokens (self, access_token, self->refresh_token);
}

/**
 * eva_api_client_get_me:
 *
 * Returns: (transfer none) (nullable): the signed-in staff account
 */
EvaRecord *
eva_api_client_get_me (EvaApiClient *self)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (self), NULL);
  return self->me;
}

gboolean
eva_api_client_get_signed_in (EvaApiClient *self)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (self), FALSE);
  return self->access_token != NULL || self->refresh_token != NULL;
}

gboolean
eva_api_client_is_super_admin (EvaApiClient *self)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (self), FALSE);
  return self->me != NULL &&
         g_strcmp0 (eva_record_get_string (self->me, "role"), "super_admin") == 0;
}

/* Organizers and super admins edit events; door staff only scan. */
gboolean
eva_api_client_can_organize (EvaApiClient *self)
{
  const char *role;

  g_return_val_if_fail (EVA_IS_API_CLIENT (self), FALSE);

  if (self->me == NULL)
    return FALSE;
  role = eva_record_get_string (self->me, "role");
  return g_strcmp0 (role, "organizer") == 0 || g_strcmp0 (role, "super_admin") == 0;
}

/* Drops the tokens without telling the server (see logout for that). */
void
eva_api_client_forget (EvaApiClient *self)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  set_tokens (self, NULL, NULL);
  _eva_api_client_set_me (self, NULL);
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/* One authenticated call: @path (taken) with its query, @body or NULL;
 * the result is read with the _finish function @kind goes with. */
void
_eva_api_client_call (EvaApiClient        *self,
                      const char          *method,
                      char                *path,
                      JsonObject          *body,
                      EvaApiResultKind     kind,
                      gpointer             source_tag,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  _eva_api_client_send (_eva_api_client_request_new (self, method, path, body, kind, TRUE,
                                                     source_tag, cancellable, callback,
                                                     user_data));
}
