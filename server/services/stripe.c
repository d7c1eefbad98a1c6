/* services/stripe.c: the Stripe API over libcurl, and webhook signatures
 *
 * Every call is synchronous and bounded: 5 s to connect, 20 s in all
 * (every try and the waits between them together), at most
 * EVA_STRIPE_TRIES tries. A POST that must not happen twice carries
 * an Idempotency-Key, so a retry after a lost answer gets Stripe's first
 * answer again instead of a second session or refund.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-stripe"

#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "eva-common.h"
#include "services/stripe.h"

struct _EvaForm
{
  GString *body;
};

EvaForm *
eva_form_new (void)
{
  EvaForm *form = g_new0 (EvaForm, 1);

  form->body = g_string_new (NULL);
  return form;
}

void
eva_form_free (EvaForm *form)
{
  if (form == NULL)
    return;
  g_string_free (form->body, TRUE);
  g_free (form);
}

static void
append_encoded (GString    *out,
                const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
        g_string_append_c (out, (char) *p);
      else if (*p == ' ')
        g_string_append_c (out, '+');
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
}

void
eva_form_add (EvaForm    *form,
              const char *key,
              const char *value)
{
  g_return_if_fail (form != NULL && key != NULL);

  if (value == NULL)
    return;
  if (form->body->len > 0)
    g_string_append_c (form->body, '&');
  append_encoded (form->body, key);
  g_string_append_c (form->body, '=');
  append_encoded (form->body, value);
}

void
eva_form_add_int (EvaForm    *form,
                  const char *key,
                  gint64      value)
{
  char text[32];

  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, value);
  eva_form_add (form, key, text);
}

char *
eva_form_encode (EvaForm *form)
{
  return g_strdup (form->body->str);
}

const char *
eva_stripe_string (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
eva_stripe_int (JsonObject *object,
                const char *name,
                gint64      fallback)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

JsonObject *
eva_stripe_object (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

void
eva_stripe_reply_clear (EvaStripeReply *reply)
{
  g_clear_pointer (&reply->body, json_node_unref);
  g_clear_pointer (&reply->error_type, g_free);
  g_clear_pointer (&reply->error_code, g_free);
  g_clear_pointer (&reply->error_message, g_free);
  reply->status = 0;
}

gboolean
eva_stripe_enabled (EvaConfig *config)
{
  return config->stripe_secret_key != NULL && *config->stripe_secret_key != '\0';
}

/* ------------------------------------------------------------------ */
/* Calls                                                              */
/* ------------------------------------------------------------------ */

#define STRIPE_MAX_ANSWER (4 * 1024 * 1024)
#define STRIPE_CONNECT_MS 5000
/* A buyer waits for the call, and a reverse proxy in front gives up at
 * 60 s: the tries and the waits between them share this much. */
#define STRIPE_CALL_MS    20000
/* Too little time left for a try to be worth it. */
#define STRIPE_MIN_TRY_MS 1000

typedef struct
{
  GString *body;
  gint64   retry_after;   /* s, from the Retry-After header; -1: none */
} Answer;

static size_t
on_body (char   *data,
         size_t  size,
         size_t  n,
         void   *user_data)
{
  Answer *answer = user_data;

  if (answer->body->len + size * n > STRIPE_MAX_ANSWER)
    return 0;
  g_string_append_len (answer->body, data, (gssize) (size * n));
  return size * n;
}

static size_t
on_header (char   *data,
           size_t  size,
           size_t  n,
           void   *user_data)
{
  Answer *answer = user_data;
  g_autofree char *line = g_strndup (data, size * n);

  if (g_ascii_strncasecmp (line, "Retry-After:", 12) == 0)
    {
      guint64 seconds;

      if (g_ascii_string_to_unsigned (g_strstrip (line + 12), 10, 0, 3600, &seconds, NULL))
        answer->retry_after = (gint64) seconds;
    }
  return size * n;
}

static void
read_envelope (EvaStripeReply *reply)
{
  JsonObject *root, *err;

  if (reply->body == NULL || !JSON_NODE_HOLDS_OBJECT (reply->body))
    return;
  root = json_node_get_object (reply->body);
  if (!json_object_has_member (root, "error")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "error")))
    return;
  err = json_object_get_object_member (root, "error");
  reply->error_type = g_strdup (eva_stripe_string (err, "type"));
  reply->error_code = g_strdup (eva_stripe_string (err, "code"));
  reply->error_message = g_strdup (eva_stripe_string (err, "message"));
}

static gboolean
call_once (EvaConfig      *config,
           const char     *method,
           const char     *url,
           const char     *form,
           const char     *idempotency_key,
           EvaStripeReply *reply,
           gint64          timeout_ms,
           gint64         *retry_after,
           GError        **error)
{
  g_autoptr(GString) body = g_string_new (NULL);
  Answer answer = { body, -1 };
  struct curl_slist *headers = NULL;
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s", config->stripe_secret_key);
  g_autofree char *idem = NULL;
  CURL *curl = curl_easy_init ();
  CURLcode rc;
  long status = 0;

  eva_stripe_reply_clear (reply);
  *retry_after = -1;
  if (curl == NULL)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "Cannot start an HTTP client");
      return FALSE;
    }

  headers = curl_slist_append (headers, auth);
  headers = curl_slist_append (headers, "Stripe-Version: 2024-06-20");
  headers = curl_slist_append (headers, "Accept: application/json");
  if (idempotency_key != NULL)
    {
      idem = g_strdup_printf ("Idempotency-Key: %s", idempotency_key);
      headers = curl_slist_append (headers, idem);
    }
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) MIN (timeout_ms, STRIPE_CONNECT_MS));
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "Everato/" PACKAGE_VERSION);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, &answer);
  if (g_str_equal (method, "POST"))
    {
      curl_easy_setopt (curl, CURLOPT_POST, 1L);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, form != NULL ? form : "");
    }

  rc = curl_easy_perform (curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);

  if (rc != CURLE_OK)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE,
                   "The payment provider cannot be reached (%s)", curl_easy_strerror (rc));
      return FALSE;
    }

  reply->status = (guint) status;
  *retry_after = answer.retry_after;
  if (body->len > 0)
    reply->body = json_from_string (body->str, NULL);
  read_envelope (reply);

  if (status >= 200 && status < 300 && reply->body != NULL && JSON_NODE_HOLDS_OBJECT (reply->body))
    return TRUE;
  if (status == 429 || status == 409 || status >= 500 || (status >= 200 && status < 300))
    g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE,
                 "The payment provider is not answering properly (HTTP %ld)", status);
  else
    g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "%s",
                 reply->error_message != NULL ? reply->error_message
                                              : "The payment provider refused the request");
  return FALSE;
}

gboolean
eva_stripe_call (EvaConfig       *config,
                 const char      *method,
                 const char      *path,
                 const char      *form,
                 const char      *idempotency_key,
                 EvaStripeReply  *reply,
                 GError         **error)
{
  g_autofree char *url = NULL;
  gint64 deadline = g_get_monotonic_time () + STRIPE_CALL_MS * 1000;

  g_return_val_if_fail (path != NULL && path[0] == '/', FALSE);

  if (!eva_stripe_enabled (config))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE, "Card payments are not configured");
      return FALSE;
    }
  url = g_strconcat (config->stripe_api_base,
                     g_str_has_suffix (config->stripe_api_base, "/") ? path + 1 : path, NULL);

  for (guint attempt = 1;; attempt++)
    {
      g_autoptr(GError) local = NULL;
      gint64 retry_after;
      gint64 wait_ms;
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;

      if (call_once (config, method, url, form, idempotency_key, reply, MAX (left_ms, 1),
                     &retry_after, &local))
        return TRUE;
      /* 250 ms, 500 ms, … or what Retry-After asks, at most 2 s, jittered. */
      wait_ms = retry_after >= 0 ? MIN (retry_after * 1000, 2000) : 250 << (attempt - 1);
      wait_ms += g_random_int_range (0, 100);
      left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      if (!g_error_matches (local, EVA_ERROR, EVA_ERROR_UNAVAILABLE) || attempt >= EVA_STRIPE_TRIES
          || wait_ms + STRIPE_MIN_TRY_MS > left_ms)
        {
          g_debug ("%s %s: %s", method, path, local->message);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_debug ("%s %s: %s; trying again in %" G_GINT64_FORMAT " ms",
               method, path, local->message, wait_ms);
      g_usleep ((gulong) wait_ms * 1000);
    }
}

/* ------------------------------------------------------------------ */
/* Webhook signatures                                                 */
/* ------------------------------------------------------------------ */

gboolean
eva_stripe_verify_signature (const char  *header,
                             const char  *body,
                             gsize        length,
                             const char  *secrets,
                             gint64       now,
                             gint64       tolerance_s,
                             GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GPtrArray) v1 = g_ptr_array_new ();
  const char *t = NULL;
  gint64 timestamp;

  if (header == NULL || secrets == NULL || *secrets == '\0')
    goto bad;

  parts = g_strsplit (header, ",", 64);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);

      if (g_str_has_prefix (part, "t="))
        t = part + 2;
      else if (g_str_has_prefix (part, "v1=") && strlen (part + 3) == 64)
        g_ptr_array_add (v1, part + 3);
    }
  if (t == NULL || v1->len == 0
      || !g_ascii_string_to_signed (t, 10, 1, G_MAXINT64 / 2, &timestamp, NULL))
    goto bad;
  if (timestamp < now - tolerance_s || timestamp > now + tolerance_s)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "The Stripe-Signature timestamp is outside the tolerance");
      return FALSE;
    }

  keys = g_strsplit (secrets, ",", 16);
  for (guint k = 0; keys[k] != NULL; k++)
    {
      const char *secret = g_strstrip (keys[k]);
      g_autoptr(GHmac) hmac = NULL;
      guint8 digest[32];
      gsize digest_len = sizeof digest;

      if (*secret == '\0')
        continue;
      hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
      g_hmac_update (hmac, (const guchar *) t, (gssize) strlen (t));
      g_hmac_update (hmac, (const guchar *) ".", 1);
      g_hmac_update (hmac, (const guchar *) body, (gssize) length);
      g_hmac_get_digest (hmac, digest, &digest_len);

      for (guint i = 0; i < v1->len; i++)
        {
          const char *hex = g_ptr_array_index (v1, i);
          guint8 given[32];
          gboolean ok = TRUE;

          for (guint j = 0; j < 32 && ok; j++)
            {
              int hi = g_ascii_xdigit_value (hex[2 * j]);
              int lo = g_ascii_xdigit_value (hex[2 * j + 1]);

              ok = hi >= 0 && lo >= 0;
              if (ok)   /* -1 << 4 is undefined */
                given[j] = (guint8) ((hi << 4) | lo);
            }
          if (ok && eva_constant_time_equal (digest, given, sizeof digest))
            return TRUE;
        }
    }

bad:
  g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "The Stripe-Signature does not match");
  return FALSE;
}
