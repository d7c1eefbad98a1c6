/* services/webhooks.c: outgoing webhooks — which URLs may be called,
 * signatures, and one signed POST over libcurl
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-webhooks"

#include "config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>

#include "eva-encoding.h"
#include "services/webhooks.h"

#define CONNECT_TIMEOUT_MS 5000
#define BODY_READ_MAX      (64 * 1024)   /* then the rest is not read */

const char * const eva_webhook_event_types[] = {
  "booking.confirmed", "booking.cancelled", "booking.refunded",
  "payment.received", "ticket.reissued", "checkin.created",
  "event.published", "event.cancelled", NULL,
};

/* ------------------------------------------------------------------ */
/* Addresses and URLs                                                 */
/* ------------------------------------------------------------------ */

gboolean
eva_webhook_event_type_known (const char *type)
{
  return type != NULL && g_strv_contains (eva_webhook_event_types, type);
}

static gboolean
ipv4_allowed (guint32 a)    /* host order */
{
  guint8 b0 = a >> 24, b1 = (a >> 16) & 0xff;

  if (b0 == 0 || b0 == 10 || b0 == 127)          /* this net, private, loopback */
    return FALSE;
  if (b0 == 169 && b1 == 254)                    /* link-local (cloud metadata) */
    return FALSE;
  if (b0 == 172 && (b1 & 0xf0) == 16)            /* 172.16/12 */
    return FALSE;
  if (b0 == 192 && b1 == 168)                    /* 192.168/16 */
    return FALSE;
  if (b0 == 100 && (b1 & 0xc0) == 64)            /* 100.64/10, carrier-grade NAT */
    return FALSE;
  if (b0 == 192 && b1 == 0 && ((a >> 8) & 0xff) == 0)   /* 192.0.0/24, protocol assignments */
    return FALSE;
  if (b0 == 198 && (b1 & 0xfe) == 18)            /* 198.18/15, benchmarking */
    return FALSE;
  if (b0 >= 224)                                 /* multicast, reserved, broadcast */
    return FALSE;
  return TRUE;
}

static gboolean
ipv6_allowed (const guint8 *b)
{
  static const guint8 zero[16] = { 0 };
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (memcmp (b, mapped, 12) == 0 || (memcmp (b, zero, 12) == 0 && (b[12] | b[13]) != 0))
    return ipv4_allowed (((guint32) b[12] << 24) | ((guint32) b[13] << 16) |
                         ((guint32) b[14] << 8) | b[15]);
  if (memcmp (b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))   /* ::, ::1 */
    return FALSE;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)     /* fe80::/10 link-local */
    return FALSE;
  if ((b[0] & 0xfe) == 0xfc)                     /* fc00::/7 unique local */
    return FALSE;
  if (b[0] == 0xff)                              /* multicast */
    return FALSE;
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)   /* 64:ff9b::/96 NAT64 */
    return ipv4_allowed (((guint32) b[12] << 24) | ((guint32) b[13] << 16) |
                         ((guint32) b[14] << 8) | b[15]);
  if (b[0] == 0x20 && b[1] == 0x02)              /* 2002::/16 6to4: its IPv4 inside */
    return ipv4_allowed (((guint32) b[2] << 24) | ((guint32) b[3] << 16) |
                         ((guint32) b[4] << 8) | b[5]);
  return TRUE;
}

gboolean
eva_webhook_address_allowed (const struct sockaddr *addr,
                             gboolean               allow_private)
{
  if (allow_private)
    return TRUE;
  if (addr == NULL)
    return FALSE;
  if (addr->sa_family == AF_INET)
    return ipv4_allowed (ntohl (((const struct sockaddr_in *) addr)->sin_addr.s_addr));
  if (addr->sa_family == AF_INET6)
    return ipv6_allowed (((const struct sockaddr_in6 *) addr)->sin6_addr.s6_addr);
  return FALSE;
}

char *
eva_webhook_url_problem (const char *url,
                         gboolean    allow_private)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme, *host;
  g_autoptr(GInetAddress) literal = NULL;

  if (url == NULL || *url == '\0')
    return g_strdup ("is required");
  if (g_utf8_strlen (url, -1) > EVA_WEBHOOK_URL_MAX)
    return g_strdup_printf ("must be at most %d characters", EVA_WEBHOOK_URL_MAX);
  for (const char *c = url; *c != '\0'; c++)
    if ((guchar) *c <= ' ' || (guchar) *c >= 0x7f)
      return g_strdup ("must not contain spaces, control or non-ASCII characters");

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return g_strdup ("is not a URL");
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    return g_strdup ("must be an http:// or https:// URL");
  if (g_str_has_prefix (url, "http://") == FALSE && g_str_has_prefix (url, "https://") == FALSE)
    return g_strdup ("must start with http:// or https:// in lower case");
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    return g_strdup ("must name a host");
  if (g_uri_get_userinfo (uri) != NULL)
    return g_strdup ("must not carry a user name or password");
  if (g_uri_get_fragment (uri) != NULL)
    return g_strdup ("must not have a fragment");
  if (allow_private)
    return NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost") ||
      g_ascii_strcasecmp (host, "localhost.") == 0)
    return g_strdup ("must not point to this machine");
  literal = g_inet_address_new_from_string (host);
  if (literal != NULL)
    {
      g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (literal, 80);
      struct sockaddr_storage storage;

      if (!g_socket_address_to_native (sa, &storage, sizeof storage, NULL) ||
          !eva_webhook_address_allowed ((struct sockaddr *) &storage, FALSE))
        return g_strdup ("must not point to this machine or a private network");
    }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Signatures                                                         */
/* ------------------------------------------------------------------ */

char *
eva_webhook_signature (const char *secret,
                       gint64      timestamp,
                       const char *body)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  g_autofree char *t = g_strdup_printf ("%" G_GINT64_FORMAT, timestamp);

  g_hmac_update (hmac, (const guchar *) t, -1);
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, (const guchar *) body, -1);
  return g_strdup_printf ("t=%s,v1=%s", t, g_hmac_get_string (hmac));
}

char *
eva_webhook_new_secret (void)
{
  guint8 bytes[32];
  g_autofree char *text = NULL;

  randombytes_buf (bytes, sizeof bytes);
  text = eva_base64url_encode (bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);
  return g_strconcat ("whsec_", text, NULL);
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  GString  *body;
  gboolean  allow_private;
  gboolean  refused;        /* the address was not allowed */
} Call;

static size_t
on_body (char   *data,
         size_t  size,
         size_t  n,
         void   *user_data)
{
  Call *call = user_data;
  gsize room = call->body->len < BODY_READ_MAX ? BODY_READ_MAX - call->body->len : 0;

  /* Keep the first bytes; stop reading a long answer. */
  if (room == 0)
    return 0;
  g_string_append_len (call->body, data, (gssize) MIN (room, size * n));
  return size * n;
}

/* Every connection, after name resolution: the address decides. */
static curl_socket_t
on_open_socket (void                 *user_data,
                curlsocktype          purpose,
                struct curl_sockaddr *address)
{
  Call *call = user_data;

  if (purpose != CURLSOCKTYPE_IPCXN ||
      !eva_webhook_address_allowed (&address->addr, call->allow_private))
    {
      call->refused = TRUE;
      return CURL_SOCKET_BAD;
    }
  return socket (address->family, address->socktype, address->protocol);
}

static char *
excerpt (GString *body)
{
  gsize len = MIN (body->len, (gsize) EVA_WEBHOOK_EXCERPT_MAX);
  g_autofree char *part = g_strndup (body->str, len);
  char *valid = g_utf8_make_valid (part, -1);

  /* The cut may leave half a character: made valid, it may grow by a few
   * bytes; cut at a character boundary within the limit again. */
  if (strlen (valid) > EVA_WEBHOOK_EXCERPT_MAX)
    {
      char *end = g_utf8_find_prev_char (valid, valid + EVA_WEBHOOK_EXCERPT_MAX + 1);

      *end = '\0';
    }
  return valid;
}

void
eva_webhook_result_clear (EvaWebhookResult *result)
{
  g_clear_pointer (&result->excerpt, g_free);
  g_clear_pointer (&result->error, g_free);
  result->status = 0;
}

gboolean
eva_webhook_post (const char       *url,
                  const char       *secret,
                  const char       *event_id,
                  const char       *event_type,
                  const char       *body,
                  gboolean          allow_private,
                  guint             timeout_ms,
                  EvaWebhookResult *result)
{
  g_autoptr(GString) answer = g_string_new (NULL);
  Call call = { answer, allow_private, FALSE };
  g_autofree char *problem = eva_webhook_url_problem (url, allow_private);
  g_autofree char *signature = NULL;
  g_autofree char *h_signature = NULL;
  g_autofree char *h_id = NULL;
  g_autofree char *h_type = NULL;
  struct curl_slist *headers = NULL;
  CURL *curl;
  CURLcode code;
  long status = 0;

  eva_webhook_result_clear (result);
  if (problem != NULL)
    {
      result->error = g_strdup_printf ("refused: the URL %s", problem);
      return FALSE;
    }

  signature = eva_webhook_signature (secret, g_get_real_time () / G_USEC_PER_SEC, body);
  h_signature = g_strconcat ("Everato-Signature: ", signature, NULL);
  h_id = g_strconcat ("Everato-Event-Id: ", event_id, NULL);
  h_type = g_strconcat ("Everato-Event-Type: ", event_type, NULL);
  headers = curl_slist_append (headers, "Content-Type: application/json");
  headers = curl_slist_append (headers, h_signature);
  headers = curl_slist_append (headers, h_id);
  headers = curl_slist_append (headers, h_type);
  headers = curl_slist_append (headers, "Expect:");

  curl = curl_easy_init ();
  if (curl == NULL)
    {
      curl_slist_free_all (headers);
      result->error = g_strdup ("cannot start an HTTP client");
      return FALSE;
    }
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_POST, 1L);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen (body));
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) MIN (timeout_ms, CONNECT_TIMEOUT_MS));
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);       /* a redirect is an answer */
  curl_easy_setopt (curl, CURLOPT_PROXY, "");                /* no proxy from the environment */
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "Everato-Webhooks/" PACKAGE_VERSION);
  curl_easy_setopt (curl, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt (curl, CURLOPT_OPENSOCKETDATA, &call);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, &call);

  code = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);
  curl_slist_free_all (headers);

  result->status = (guint) status;
  result->excerpt = excerpt (answer);
  /* A long answer was cut short on purpose: the status decides. */
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && status != 0))
    {
      result->error = call.refused
        ? g_strdup ("refused: the host's address is this machine's or a private network's")
        : g_strdup_printf ("%s", curl_easy_strerror (code));
      return FALSE;
    }
  if (status < 200 || status > 299)
    {
      result->error = g_strdup_printf ("the endpoint answered %ld", status);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Upkeep                                                             */
/* ------------------------------------------------------------------ */

static const char sql_prune[] =
  "DELETE FROM webhook_events WHERE id IN ("
  "  SELECT v.id FROM webhook_events v"
  "  WHERE v.created_at < now () - $1::int * interval '1 day'"
  "    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = v.id"
  "                      AND d.status IN ('pending', 'sending'))"
  "  ORDER BY v.created_at LIMIT 1000)";

gint64
eva_webhook_prune (EvaDbConn  *conn,
                   GError    **error)
{
  g_autofree char *days = g_strdup_printf ("%d", EVA_WEBHOOK_KEEP_DAYS);
  g_autoptr(PGresult) result = eva_db_query (conn, sql_prune, error, days);

  if (result == NULL)
    return -1;
  return g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
}
