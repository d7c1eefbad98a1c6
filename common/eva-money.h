/* eva-money.h: money as integer minor units plus an ISO 4217 currency
 *
 * Amounts are never floating point. A price of 12.50 EUR is the gint64 1250
 * with the currency "EUR"; 1000 JPY is 1000 (JPY has no minor unit).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * EvaCurrency:
 * @code: the three-letter ISO 4217 code, e.g. "EUR"
 * @exponent: the number of minor-unit digits (EUR 2, JPY 0, KWD 3, CLF 4)
 */
typedef struct {
  const char *code;
  guint8      exponent;
} EvaCurrency;

const EvaCurrency *eva_currency_lookup (const char *code);

gboolean eva_money_add     (gint64        a,
                            gint64        b,
                            gint64       *out);
gboolean eva_money_mul     (gint64        amount,
                            gint64        factor,
                            gint64       *out);
gint64   eva_money_percent (gint64        amount,
                            guint         percent);
void     eva_money_split   (gint64        total,
                            const gint64 *weights,
                            guint         n,
                            gint64       *out);
char    *eva_money_format  (gint64        minor,
                            const char   *currency);
gboolean eva_money_parse   (const char   *text,
                            const char   *currency,
                            gint64       *out,
                            GError      **error);

G_END_DECLS
