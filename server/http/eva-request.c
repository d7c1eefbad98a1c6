/* eva-request.c: one HTTP request on its way through the server
 *
 * A request is created on the HTTP thread that accepted it. Handlers either
 * reply at once, or pause the message and send work to the database pool
 * with eva_request_run(); the work fills in the reply from a pool thread
 * and eva_request_finish() is then invoked back on the request's own main
 * context, the only place that touches the SoupServerMessage.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-request"

#include "config.h"

#include "eva-common.h"
#include "db/eva-cache.h"
#include "http/eva-request.h"
#include "http/eva-request-private.h"

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */
/* ------------------------------------------------------------------ */

static gsize prefix_ready;
static char *prefix;
static gint next_thread_tag;
static __thread guint thread_tag;
static __thread guint64 counter;

static char *
make_request_id (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *given = soup_message_headers_get_one (headers, "X-Request-Id");
  guint8 bytes[12];

  /* Keep a caller's id when it is short and tame, for tracing across hops. */
  if (given != NULL && strlen (given) >= 8 && strlen (given) <= 64)
    {
      gboolean tame = TRUE;

      for (const char *p = given; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
          tame = FALSE;
      if (tame)
        return g_strdup (given);
    }

  /* A random prefix per process and a counter per thread: unique enough to
   * follow a request through the logs, without a system call each. */
  if (g_once_init_enter (&prefix_ready))
    {
      randombytes_buf (bytes, sizeof bytes);
      prefix = eva_base64url_encode (bytes, 9);
      g_once_init_leave (&prefix_ready, 1);
    }
  if (thread_tag == 0)
    thread_tag = (guint) g_atomic_int_add (&next_thread_tag, 1) + 1;
  return g_strdup_printf ("%s%x-%" G_GUINT64_FORMAT, prefix, thread_tag, ++counter);
}

static gboolean
trusted (GPtrArray    *proxies,
         GInetAddress *address)
{
  for (guint i = 0; i < proxies->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (proxies, i), address))
      return TRUE;
  return FALSE;
}

/* The client behind trusted proxies: X-Forwarded-For read from the right
 * (the hops nearest to us), past every trusted proxy, to the first address
 * that is not one; that one is the client. Only when the peer itself is a
 * trusted proxy; an entry that is not an address ends the walk at the
 * last trusted hop (whatever stands left of it may be forged). */
static void
apply_forwarded (EvaRequest        *req,
                 SoupServerMessage *msg,
                 GPtrArray         *proxies)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GInetAddress) peer = NULL;
  g_autofree char *forwarded = NULL;
  const char *proto;

  if (proxies == NULL || proxies->len == 0)
    return;
  peer = g_inet_address_new_from_string (req->client_ip);
  if (peer == NULL || !trusted (proxies, peer))
    return;

  /* The scheme the client used: the first of the list, set by the proxy
   * that took the client's connection. */
  proto = soup_message_headers_get_list (headers, "X-Forwarded-Proto");
  if (proto != NULL)
    {
      g_auto(GStrv) schemes = g_strsplit (proto, ",", 2);

      req->https = g_ascii_strcasecmp (g_strstrip (schemes[0]), "https") == 0;
    }

  /* Several X-Forwarded-For headers read as one list (RFC 9110 5.3). */
  forwarded = g_strdup (soup_message_headers_get_list (headers, "X-Forwarded-For"));
  if (forwarded != NULL)
    {
      g_auto(GStrv) hops = g_strsplit (forwarded, ",", -1);

      for (guint i = g_strv_length (hops); i > 0; i--)
        {
          g_autoptr(GInetAddress) hop = g_inet_address_new_from_string (g_strstrip (hops[i - 1]));

          if (hop == NULL)
            break;
          g_free (req->client_ip);
          req->client_ip = g_inet_address_to_string (hop);
          if (!trusted (proxies, hop))
            break;
        }
    }
}

EvaRequest *
eva_request_new (const EvaHost     *host,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query)
{
  EvaRequest *req = g_new0 (EvaRequest, 1);
  const char *remote;

  g_atomic_ref_count_init (&req->ref_count);
  req->host = host;
  req->msg = g_object_ref (msg);
  req->context = g_main_context_ref_thread_default ();
  req->request_id = make_request_id (msg);
  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = g_strdup (path);
  remote = soup_server_message_get_remote_host (msg);
  req->client_ip = g_strdup (remote != NULL ? remote : "");
  apply_forwarded (req, msg, host->config != NULL ? host->config->trusted_proxies : NULL);
  req->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  req->query = query != NULL ? g_hash_table_ref (query) : NULL;
  req->started_us = g_get_monotonic_time ();
  req->reply_headers = g_ptr_array_new_with_free_func (g_free);
  return req;
}

EvaRequest *
eva_request_ref (EvaRequest *req)
{
  g_atomic_ref_count_inc (&req->ref_count);
  return req;
}

void
eva_request_unref (EvaRequest *req)
{
  if (!g_atomic_ref_count_dec (&req->ref_count))
    return;

  if (req->state_free != NULL && req->state != NULL)
    req->state_free (req->state);
  g_clear_object (&req->msg);
  g_clear_pointer (&req->context, g_main_context_unref);
  g_clear_pointer (&req->params, g_hash_table_unref);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_clear_pointer (&req->json, json_node_unref);
  g_clear_pointer (&req->reply_body, g_bytes_unref);
  g_clear_pointer (&req->reply_headers, g_ptr_array_unref);
  g_free (req->request_id);
  g_free (req->method);
  g_free (req->path);
  g_free (req->client_ip);
  g_free (req->principal_id);
  g_free (req->session_id);
  g_free (req->content_type);
  g_free (req->cache_key);
  g_free (req);
}

EvaConfig *
eva_request_get_config (EvaRequest *req)
{
  return req->host->config;
}

EvaDb *
eva_request_get_db (EvaRequest *req)
{
  return req->host->db;
}

const guint8 *
eva_request_get_token_key (EvaRequest *req)
{
  /* Swapped by the server when the key is rotated (app/eva-server.c);
   * the host is const for requests, not for the server. */
  return g_atomic_pointer_get ((const guint8 **) &req->host->token_key);
}

const char *
eva_request_param (EvaRequest *req,
                   const char *name)
{
  return g_hash_table_lookup (req->params, name);
}

const char *
eva_request_query (EvaRequest *req,
                   const char *name)
{
  return req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;
}

const char *
eva_request_header (EvaRequest *req,
                    const char *name)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);

  return soup_message_headers_get_one (headers, name);
}

char *
eva_request_cookie (EvaRequest *req,
                    const char *name)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);

  return _eva_cookie_find (soup_message_headers_get_list (headers, "Cookie"), name);
}

char *
_eva_cookie_find (const char *list,
                  const char *name)
{
  g_auto(GStrv) pairs = NULL;
  gsize len = strlen (name);

  if (list == NULL)
    return NULL;

  /* Several Cookie headers come joined by ", ". */
  pairs = g_strsplit_set (list, ";,", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *pair = g_strstrip (pairs[i]);

      if (strncmp (pair, name, len) == 0 && pair[len] == '=' && pair[len + 1] != '\0')
        return g_strdup (pair + len + 1);
    }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Replies                                                            */
/* ------------------------------------------------------------------ */

void
eva_request_reply_raw (EvaRequest *req,
                       guint       status,
                       const char *content_type,
                       GBytes     *body)
{
  req->status = status;
  g_free (req->content_type);
  req->content_type = g_strdup (content_type);
  g_clear_pointer (&req->reply_body, g_bytes_unref);
  req->reply_body = body != NULL ? g_bytes_ref (body) : NULL;
}

void
eva_request_reply_json_text (EvaRequest *req,
                             guint       status,
                             const char *json)
{
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));

  eva_request_reply_raw (req, status, "application/json", body);
}

void
eva_request_reply_json (EvaRequest *req,
                        guint       status,
                        JsonNode   *node)
{
  g_autofree char *text = eva_json_to_string (node);
  gsize len = strlen (text);
  g_autoptr(GBytes) body = g_bytes_new_take (g_steal_pointer (&text), len);

  eva_request_reply_raw (req, status, "application/json", body);
}

void
eva_request_reply_empty (EvaRequest *req,
                         guint       status)
{
  eva_request_reply_raw (req, status, NULL, NULL);
}

void
eva_request_reply_error (EvaRequest *req,
                         guint       status,
                         const char *code,
                         JsonObject *details,
                         const char *format,
                         ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "details");
  if (details != NULL)
    {
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, details);
      json_builder_add_value (builder, node);
    }
  else
    {
      json_builder_begin_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  eva_request_reply_json (req, status, root);
}

void
eva_request_reply_signed_out (EvaRequest *req)
{
  eva_request_add_header (req, "WWW-Authenticate",
                          "Bearer realm=\"everato\", error=\"invalid_token\"");
  eva_request_reply_error (req, 401, "invalid_token", NULL,
                           "This sign-in has ended; sign in again");
}

void
eva_request_reply_gerror (EvaRequest   *req,
                          const GError *error)
{
  if (error->domain != EVA_ERROR)
    {
      g_warning ("[%s] unexpected error: %s", req->request_id, error->message);
      eva_request_reply_error (req, 500, "internal_error", NULL, "Internal server error");
      return;
    }

  switch ((EvaError) error->code)
    {
    case EVA_ERROR_INVALID:
      eva_request_reply_error (req, 400, "invalid_request", NULL, "%s", error->message);
      break;
    case EVA_ERROR_NOT_FOUND:
      eva_request_reply_error (req, 404, "not_found", NULL, "%s", error->message);
      break;
    case EVA_ERROR_CONFLICT:
      eva_request_reply_error (req, 409, "conflict", NULL, "%s", error->message);
      break;
    case EVA_ERROR_UNAUTHORIZED:
      eva_request_reply_error (req, 401, "unauthorized", NULL, "%s", error->message);
      break;
    case EVA_ERROR_FORBIDDEN:
      eva_request_reply_error (req, 403, "forbidden", NULL, "%s", error->message);
      break;
    case EVA_ERROR_UNAVAILABLE:
      eva_request_add_header (req, "Retry-After", "2");
      eva_request_reply_error (req, 503, "database_unavailable", NULL,
                               "The database is unavailable; try again shortly");
      break;
    case EVA_ERROR_INTERNAL:
    default:
      g_warning ("[%s] internal error: %s", req->request_id, error->message);
      eva_request_reply_error (req, 500, "internal_error", NULL, "Internal server error");
      break;
    }
}

void
eva_request_add_header (EvaRequest *req,
                        const char *name,
                        const char *value)
{
  g_ptr_array_add (req->reply_headers, g_strdup (name));
  g_ptr_array_add (req->reply_headers, g_strdup (value));
}

/* ------------------------------------------------------------------ */
/* Asynchronous work                                                  */
/* ------------------------------------------------------------------ */

typedef struct
{
  EvaRequest     *req;
  EvaRequestWork  work;
  gpointer        data;
  GDestroyNotify  data_free;
  EvaRequestThen  then;
  EvaRequestHash  hash;
} Work;

static gboolean
work_finish_cb (gpointer user_data)
{
  Work *w = user_data;

  if (w->then != NULL && w->req->status == 0)
    {
      EvaRequest *req = w->req;
      EvaRequestThen then = w->then;

      if (w->data_free != NULL && w->data != NULL)
        w->data_free (w->data);
      g_free (w);

      /* The message is still paused while @then runs. If it hands on more
       * work, eva_request_run() pauses it again (pausing is idempotent)
       * and that work finishes the request; if it replies at once, the
       * request is finished (and unpaused) here. */
      req->pending = FALSE;
      then (req);
      if (!req->pending)
        {
          req->pending = TRUE;
          eva_request_finish (req);
        }
      eva_request_unref (req);
      return G_SOURCE_REMOVE;
    }

  if (w->req->cache_key != NULL)
    {
      if (w->req->status == 200 && w->req->reply_body != NULL)
        eva_cache_store (w->req->cache_key, w->req->reply_body);
      else
        eva_cache_abandon (w->req->cache_key);
    }

  eva_request_finish (w->req);
  if (w->data_free != NULL && w->data != NULL)
    w->data_free (w->data);
  eva_request_unref (w->req);
  g_free (w);
  return G_SOURCE_REMOVE;
}

static void
work_run (EvaDbConn *conn,
          gpointer   user_data)
{
  Work *w = user_data;

  w->work (w->req, conn, w->data);
  if (w->req->status == 0 && w->then == NULL)
    eva_request_reply_error (w->req, 500, "internal_error", NULL, "No reply was produced");
  g_main_context_invoke (w->req->context, work_finish_cb, w);
}

/* The database pool's queue is bounded: past host->db_queue_max waiting
 * jobs, new work is refused at once with 503 instead of waiting behind a
 * backlog that only grows. */
static gboolean
refuse_if_busy (EvaRequest     *req,
                guint           queued,
                guint           max,
                const char     *what,
                gpointer        data,
                GDestroyNotify  data_free)
{
  gboolean closing = req->host->closing != NULL && g_atomic_int_get (req->host->closing);

  if (!closing && (max == 0 || queued < max))
    return FALSE;

  if (data_free != NULL && data != NULL)
    data_free (data);
  req->pending = FALSE;
  if (req->cache_key != NULL)
    {
      eva_cache_abandon (req->cache_key);
      g_clear_pointer (&req->cache_key, g_free);
    }
  if (closing)
    {
      eva_request_add_header (req, "Connection", "close");
      eva_request_add_header (req, "Retry-After", "5");
      eva_request_reply_error (req, 503, "shutting_down", NULL,
                               "The server is shutting down; try again");
      return TRUE;
    }
  eva_request_add_header (req, "Retry-After", "1");
  eva_request_reply_error (req, 503, "server_busy", NULL,
                           "The server is busy (%s); try again in a moment", what);
  return TRUE;
}

static void
submit (EvaRequest     *req,
        EvaRequestWork  work,
        gpointer        data,
        GDestroyNotify  data_free,
        EvaRequestThen  then)
{
  Work *w;

  g_return_if_fail (!req->pending);

  if (refuse_if_busy (req, eva_db_get_queued (req->host->db), req->host->db_queue_max,
                      "database queue full", data, data_free))
    return;

  w = g_new0 (Work, 1);
  w->req = eva_request_ref (req);
  w->work = work;
  w->data = data;
  w->data_free = data_free;
  w->then = then;
  req->pending = TRUE;
  req->status = 0;
  soup_server_message_pause (req->msg);
  eva_db_push (req->host->db, work_run, w);
}

void
eva_request_run (EvaRequest     *req,
                 EvaRequestWork  work,
                 gpointer        data,
                 GDestroyNotify  data_free)
{
  submit (req, work, data, data_free, NULL);
}

void
eva_request_run_then (EvaRequest     *req,
                      EvaRequestWork  work,
                      gpointer        data,
                      GDestroyNotify  data_free,
                      EvaRequestThen  then)
{
  g_return_if_fail (then != NULL);

  submit (req, work, data, data_free, then);
}

/* ------------------------------------------------------------------ */
/* Password hashing                                                   */
/* ------------------------------------------------------------------ */

static void
hash_run (gpointer job,
          gpointer pool_data)
{
  Work *w = job;

  w->hash (w->req, eva_request_get_state (w->req));
  if (w->req->status == 0 && w->then == NULL)
    eva_request_reply_error (w->req, 500, "internal_error", NULL, "No reply was produced");
  g_main_context_invoke (w->req->context, work_finish_cb, w);
}

GThreadPool *
eva_request_hash_pool_new (guint workers)
{
  g_autoptr(GError) error = NULL;
  GThreadPool *pool = g_thread_pool_new (hash_run, NULL, (gint) workers, TRUE, &error);

  g_assert_no_error (error);
  return pool;
}

static void
run_on_pool (EvaRequest     *req,
             GThreadPool    *pool,
             guint           queue_max,
             const char     *what,
             EvaRequestHash  fn,
             EvaRequestThen  then)
{
  Work *w;

  g_return_if_fail (!req->pending);

  /* (No pool: shutting down, which refuse_if_busy() says.) */
  if (refuse_if_busy (req, pool != NULL ? g_thread_pool_unprocessed (pool) : G_MAXUINT,
                      queue_max, what, NULL, NULL))
    return;

  w = g_new0 (Work, 1);
  w->req = eva_request_ref (req);
  w->hash = fn;
  w->then = then;
  req->pending = TRUE;
  req->status = 0;
  soup_server_message_pause (req->msg);
  g_thread_pool_push (pool, w, NULL);
}

void
eva_request_run_hash (EvaRequest     *req,
                      EvaRequestHash  hash,
                      EvaRequestThen  then)
{
  run_on_pool (req, req->host->hash_pool, req->host->hash_queue_max,
               "too many sign-ins at once", hash, then);
}

void
eva_request_run_gateway (EvaRequest     *req,
                         EvaRequestHash  call,
                         EvaRequestThen  then)
{
  run_on_pool (req, req->host->gateway_pool, req->host->gateway_queue_max,
               "too many payment calls at once", call, then);
}

void
eva_request_set_state (EvaRequest     *req,
                       gpointer        state,
                       GDestroyNotify  state_free)
{
  if (req->state_free != NULL && req->state != NULL)
    req->state_free (req->state);
  req->state = state;
  req->state_free = state_free;
}

gpointer
eva_request_get_state (EvaRequest *req)
{
  return req->state;
}

void
eva_request_run_cached (EvaRequest     *req,
                        guint           ttl_ms,
                        EvaRequestWork  work,
                        gpointer        data,
                        GDestroyNotify  data_free)
{
  GUri *uri = soup_server_message_get_uri (req->msg);
  const char *query = g_uri_get_query (uri);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *key = g_strconcat (req->path, "?", query != NULL ? query : "", NULL);
  /* A proxy in front may keep it as long as this process does, and serve
   * it a little longer while it fetches the next (deploy/ does). */
  g_autofree char *max_age = g_strdup_printf ("public, max-age=%u, stale-while-revalidate=5", MAX (ttl_ms / 1000, 1));

  eva_request_add_header (req, "Cache-Control", max_age);

  if (eva_cache_lookup (key, (gint64) ttl_ms * 1000, &body) != EVA_CACHE_MISS)
    {
      eva_request_reply_raw (req, 200, "application/json", body);
      if (data_free != NULL && data != NULL)
        data_free (data);
      return;
    }

  req->cache_key = g_steal_pointer (&key);
  eva_request_run (req, work, data, data_free);
}

static gboolean
has_reply_header (EvaRequest *req,
                  const char *name)
{
  for (guint i = 0; i + 1 < req->reply_headers->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (req->reply_headers, i), name) == 0)
      return TRUE;
  return FALSE;
}

void
eva_request_finish (EvaRequest *req)
{
  SoupMessageHeaders *headers;

  if (req->finished)
    return;
  req->finished = TRUE;

  headers = soup_server_message_get_response_headers (req->msg);
  soup_message_headers_replace (headers, "X-Request-Id", req->request_id);
  for (guint i = 0; i + 1 < req->reply_headers->len; i += 2)
    soup_message_headers_append (headers,
                                 g_ptr_array_index (req->reply_headers, i),
                                 g_ptr_array_index (req->reply_headers, i + 1));
  if (req->content_type != NULL &&
      g_str_has_prefix (req->content_type, "application/json") &&
      !has_reply_header (req, "Cache-Control"))
    soup_message_headers_replace (headers, "Cache-Control", "private, no-store");

  if (req->status == 0)
    eva_request_reply_error (req, 500, "internal_error", NULL, "No reply was produced");

  soup_server_message_set_status (req->msg, req->status, NULL);
  if (req->reply_body != NULL)
    {
      /* SoupMessageBody takes GBytes without copying. */
      soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg),
                                      req->reply_body);
      soup_message_headers_set_content_type (headers,
                                             req->content_type != NULL ? req->content_type
                                                                       : "application/octet-stream",
                                             NULL);
    }

  if (req->pending)
    soup_server_message_unpause (req->msg);

  if (req->host->request_done != NULL)
    req->host->request_done (req->host->owner, req);
}

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

gboolean
eva_input_begin (EvaInput   *in,
                 EvaRequest *req)
{
  memset (in, 0, sizeof *in);
  in->req = req;

  if (req->json == NULL || !JSON_NODE_HOLDS_OBJECT (req->json))
    {
      eva_request_reply_error (req, 400, "invalid_json", NULL,
                               "The request body must be a JSON object");
      return FALSE;
    }

  in->object = json_node_get_object (req->json);
  in->errors = json_object_new ();
  in->seen = g_hash_table_new (g_str_hash, g_str_equal);
  return TRUE;
}

void
eva_input_clear (EvaInput *in)
{
  g_clear_pointer (&in->errors, json_object_unref);
  g_clear_pointer (&in->seen, g_hash_table_unref);
}

void
eva_input_error (EvaInput   *in,
                 const char *field,
                 const char *message)
{
  /* The first problem with a field is the one worth telling. */
  if (!json_object_has_member (in->errors, field))
    json_object_set_string_member (in->errors, field, message);
}

gboolean
eva_input_ok (EvaInput   *in,
              const char *field)
{
  return !json_object_has_member (in->errors, field);
}

gboolean
eva_input_end (EvaInput *in)
{
  g_autoptr(GList) members = json_object_get_members (in->object);

  for (const GList *l = members; l != NULL; l = l->next)
    if (!g_hash_table_contains (in->seen, l->data))
      eva_input_error (in, l->data, "unknown field");

  if (json_object_get_size (in->errors) == 0)
    return TRUE;

  eva_request_reply_error (in->req, 400, "validation_failed", in->errors,
                           "Some fields are not valid");
  return FALSE;
}

EvaFieldState
eva_input_uuid_list (EvaInput    *in,
                     const char  *field,
                     guint        max,
                     char       **literal,
                     guint       *n)
{
  JsonNode *node = json_object_get_member (in->object, field);
  g_autoptr(GString) lit = NULL;
  JsonArray *array;

  g_hash_table_add (in->seen, (gpointer) field);
  *literal = NULL;
  *n = 0;
  if (node == NULL)
    return EVA_FIELD_ABSENT;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      eva_input_error (in, field, "must be a list of ids");
      return EVA_FIELD_SET;
    }

  array = json_node_get_array (node);
  lit = g_string_new ("{");
  if (json_array_get_length (array) > max)
    {
      g_autofree char *message = g_strdup_printf ("must hold at most %u ids", max);

      eva_input_error (in, field, message);
    }
  for (guint i = 0; i < json_array_get_length (array) && i < max; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      guint8 uuid[16];
      g_autofree char *canon = NULL;

      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING ||
          !eva_uuid_parse (json_node_get_string (element), uuid))
        {
          eva_input_error (in, field, "must be a list of ids");
          break;
        }
      canon = eva_uuid_format (uuid);
      if (strstr (lit->str, canon) != NULL)
        {
          eva_input_error (in, field, "names an id twice");
          break;
        }
      g_string_append_printf (lit, "%s%s", *n > 0 ? "," : "", canon);
      (*n)++;
    }
  g_string_append_c (lit, '}');
  *literal = g_string_free (g_steal_pointer (&lit), FALSE);
  return EVA_FIELD_SET;
}

/* Common part: presence, null. Returns the node when it holds a value. */
static JsonNode *
input_lookup (EvaInput      *in,
              const char    *field,
              EvaFieldFlags  flags,
              EvaFieldState *state)
{
  JsonNode *node;

  g_hash_table_add (in->seen, (gpointer) field);
  node = json_object_get_member (in->object, field);

  if (node == NULL)
    {
      if (flags & EVA_FIELD_REQUIRED)
        eva_input_error (in, field, "is required");
      *state = EVA_FIELD_ABSENT;
      return NULL;
    }

  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (!(flags & EVA_FIELD_NULLABLE))
        {
          eva_input_error (in, field, (flags & EVA_FIELD_REQUIRED) ? "is required"
                                                                    : "must not be null");
          *state = EVA_FIELD_ABSENT;
          return NULL;
        }
      *state = EVA_FIELD_NULL;
      return NULL;
    }

  *state = EVA_FIELD_SET;
  return node;
}

EvaFieldState
eva_input_string (EvaInput      *in,
                  const char    *field,
                  EvaFieldFlags  flags,
                  guint          max_chars,
                  const char   **out)
{
  EvaFieldState state;
  JsonNode *node = input_lookup (in, field, flags, &state);
  const char *value;
  const char *reason = NULL;
  EvaTextFlags text_flags = 0;

  *out = NULL;
  if (node == NULL)
    return state;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      eva_input_error (in, field, "must be a string");
      return EVA_FIELD_ABSENT;
    }

  value = json_node_get_string (node);
  if (!(flags & EVA_FIELD_MULTILINE))
    text_flags |= EVA_TEXT_SINGLE_LINE;
  if (flags & EVA_FIELD_EMPTY)
    text_flags |= EVA_TEXT_ALLOW_EMPTY;
  if (!eva_validate_text (value, -1, max_chars, text_flags, &reason))
    {
      eva_input_error (in, field, reason);
      return EVA_FIELD_ABSENT;
    }

  *out = value;
  return EVA_FIELD_SET;
}

EvaFieldState
eva_input_int (EvaInput      *in,
               const char    *field,
               EvaFieldFlags  flags,
               gint64         min,
               gint64         max,
               gint64        *out)
{
  EvaFieldState state;
  JsonNode *node = input_lookup (in, field, flags, &state);
  gint64 value;

  if (node == NULL)
    return state;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
        eva_input_error (in, field, "must be a whole number");
      else
        eva_input_error (in, field, "must be a number");
      return EVA_FIELD_ABSENT;
    }

  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      g_autofree char *message =
        g_strdup_printf ("must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                         min, max);

      eva_input_error (in, field, message);
      return EVA_FIELD_ABSENT;
    }

  *out = value;
  return EVA_FIELD_SET;
}

EvaFieldState
eva_input_bool (EvaInput      *in,
                const char    *field,
                EvaFieldFlags  flags,
                gboolean      *out)
{
  EvaFieldState state;
  JsonNode *node = input_lookup (in, field, flags, &state);

  if (node == NULL)
    return state;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      eva_input_error (in, field, "must be true or false");
      return EVA_FIELD_ABSENT;
    }

  *out = json_node_get_boolean (node);
  return EVA_FIELD_SET;
}

EvaFieldState
eva_input_time (EvaInput      *in,
                const char    *field,
                EvaFieldFlags  flags,
                GDateTime    **out)
{
  const char *text;
  EvaFieldState state = eva_input_string (in, field, flags, 64, &text);
  GDateTime *dt;

  *out = NULL;
  if (state != EVA_FIELD_SET)
    return state;

  dt = eva_time_parse (text, NULL);
  if (dt == NULL)
    {
      eva_input_error (in, field, "must be an RFC 3339 date and time with an offset, "
                                  "e.g. 2026-05-01T19:30:00+02:00");
      return EVA_FIELD_ABSENT;
    }
  /* Years outside 1..9999 do not round-trip through PostgreSQL's text form. */
  if (g_date_time_get_year (dt) < 1900 || g_date_time_get_year (dt) > 9999)
    {
      g_date_time_unref (dt);
      eva_input_error (in, field, "must be between the years 1900 and 9999");
      return EVA_FIELD_ABSENT;
    }

  *out = dt;
  return EVA_FIELD_SET;
}

gboolean
eva_query_int (EvaRequest *req,
               const char *name,
               gint64      min,
               gint64      max,
               gint64      def,
               gint64     *out)
{
  const char *text = eva_request_query (req, name);
  gint64 value;

  if (text == NULL || *text == '\0')
    {
      *out = def;
      return TRUE;
    }

  /* g_ascii_string_to_signed () lets a leading \v or \f through. */
  if ((!g_ascii_isdigit (text[0]) && text[0] != '-' && text[0] != '+') ||
      !g_ascii_string_to_signed (text, 10, min, max, &value, NULL))
    {
      g_autoptr(JsonObject) details = json_object_new ();
      g_autofree char *message =
        g_strdup_printf ("must be a whole number between %" G_GINT64_FORMAT
                         " and %" G_GINT64_FORMAT, min, max);

      json_object_set_string_member (details, name, message);
      eva_request_reply_error (req, 400, "validation_failed", details,
                               "Invalid query parameter %s", name);
      return FALSE;
    }

  *out = value;
  return TRUE;
}
