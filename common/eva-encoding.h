/* eva-encoding.h: base64url, base32, random tokens and token hashes, CSV cells
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

/* Bank transfer references: "EV", EVA_PAYMENT_REFERENCE_DIGITS random
 * symbols and one check symbol, from an alphabet of 29 that has no 0/O,
 * 1/I/L or U/V to confuse (e.g. "EV7K3M9QX2H"). The check symbol catches
 * any one mistyped symbol and any two swapped neighbours. */
#define EVA_PAYMENT_REFERENCE_DIGITS 8
#define EVA_PAYMENT_REFERENCE_LENGTH (2 + EVA_PAYMENT_REFERENCE_DIGITS + 1)

char     *eva_payment_reference_new   (void);
/* Whether @text is a well-formed reference (case, spaces and dashes
 * ignored); with @normalized, the canonical form (free with g_free). */
gboolean  eva_payment_reference_check (const char   *text,
                                       char        **normalized);

/* One RFC 4180 cell of @value appended to @out, then "," or, if @last,
 * "\r\n". A cell beginning with = + - @ (or a tab / carriage return) is
 * prefixed with ' so that spreadsheets do not run it as a formula. */
void      eva_csv_append_cell     (GString      *out,
                                   const char   *value,
                                   gboolean      last);

G_END_DECLS
