/* eva-encoding.h: base64url, base32, random tokens and token hashes
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define EVA_TOKEN_HASH_BYTES 32

char     *eva_base64url_encode    (const guint8 *data,
                                   gsize         len);
guint8   *eva_base64url_decode    (const char   *text,
                                   gsize        *out_len);
char     *eva_base32_encode       (const guint8 *data,
                                   gsize         len);
guint8   *eva_base32_decode       (const char   *text,
                                   gsize        *out_len);
char     *eva_random_token        (gsize         n_bytes);
void      eva_token_hash          (const char   *token,
                                   guint8        out[EVA_TOKEN_HASH_BYTES]);
gboolean  eva_constant_time_equal (const guint8 *a,
                                   const guint8 *b,
                                   gsize         len);

G_END_DECLS
