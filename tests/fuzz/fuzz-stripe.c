/* fuzz-stripe.c: Stripe's webhook: the Stripe-Signature header
 * (eva_stripe_verify_signature in server/services/stripe.c) and the body
 * checks of the handler (server/api/payments.c: the strict JSON parser,
 * then _eva_api_stripe_event_ok)
 *
 * Input: the header, a newline, then the body.
 * Properties: a header is accepted only if it names a timestamp within
 * the tolerance and carries, as a v1 signature, the HMAC-SHA256 of
 * "t.body" under one of the secrets (computed here independently); the
 * same body signed here is always accepted, and refused once the
 * signature, the timestamp or the body changes by one character; a
 * refusal always has an error. An event the handler lets through is an
 * object whose id and type are strings of 1 to 255 bytes.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-common.h"
#include "api/payments-private.h"
#include "services/stripe.h"
#include "fuzz-common.h"

#define NOW       1780000000
#define TOLERANCE 300
#define SECRETS   "whsec_old, whsec_current"

static char *
sign (const char *secret,
      const char *t,
      const char *body,
      gsize       len)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));

  g_hmac_update (hmac, (const guchar *) t, strlen (t));
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, (const guchar *) body, len);
  return g_strdup (g_hmac_get_string (hmac));
}

/* Whether @header holds a right signature by the rules Stripe documents. */
static gboolean
header_is_right (const char *header,
                 const char *body,
                 gsize       len)
{
  g_auto(GStrv) parts = g_strsplit (header, ",", 64);
  const char *t = NULL;
  gint64 ts;

  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (g_strstrip (parts[i]), "t="))
      t = parts[i] + 2;
  if (t == NULL || !g_ascii_string_to_signed (t, 10, 1, G_MAXINT64 / 2, &ts, NULL) ||
      ts < NOW - TOLERANCE || ts > NOW + TOLERANCE)
    return FALSE;
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (parts[i], "v1="))
      for (guint k = 0; k < 2; k++)
        {
          g_autofree char *right = sign (k == 0 ? "whsec_old" : "whsec_current", t, body, len);

          if (g_ascii_strcasecmp (parts[i] + 3, right) == 0)
            return TRUE;
        }
  return FALSE;
}

static gboolean
verify (const char *header,
        const char *body,
        gsize       len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = eva_stripe_verify_signature (header, body, len, SECRETS, NOW, TOLERANCE, &error);

  FUZZ_CHECK (ok == (error == NULL));
  return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *rest;
  size_t body_len;
  g_autofree char *header = NULL;
  const char *body;
  g_autoptr(JsonNode) json = NULL;

  fuzz_init ();
  header = fuzz_split (data, size, '\n', &rest, &body_len);
  body = (const char *) rest;

  FUZZ_CHECK (verify (header, body, body_len) == header_is_right (header, body, body_len));

  /* Signed here: accepted; one change anywhere: refused. */
  {
    g_autofree char *t = g_strdup_printf ("%d", NOW - (int) (size % TOLERANCE));
    g_autofree char *sig = sign ("whsec_current", t, body, body_len);
    g_autofree char *good = g_strdup_printf ("t=%s,v1=%s", t, sig);
    g_autofree char *late = g_strdup_printf ("t=%d,v1=%s", NOW - TOLERANCE - 1, sig);
    g_autofree char *bad = g_strdup (good);

    FUZZ_CHECK (verify (good, body, body_len));
    bad[strlen (bad) - 1] = bad[strlen (bad) - 1] == '0' ? '1' : '0';
    FUZZ_CHECK (!verify (bad, body, body_len));
    FUZZ_CHECK (!verify (late, body, body_len));
    if (body_len > 0)
      {
        g_autofree char *changed = g_memdup2 (body, body_len);

        changed[size % body_len] ^= 1;
        FUZZ_CHECK (!verify (good, changed, body_len));
      }
  }

  /* The body as the handler sees it. */
  json = eva_json_parse (body, (gssize) body_len, NULL);
  if (_eva_api_stripe_event_ok (json))
    {
      JsonObject *event = json_node_get_object (json);
      const char *id = json_object_get_string_member (event, "id");
      const char *type = json_object_get_string_member (event, "type");

      FUZZ_CHECK (id != NULL && *id != '\0' && strlen (id) <= 255);
      FUZZ_CHECK (type != NULL && *type != '\0' && strlen (type) <= 255);
    }
  return 0;
}
