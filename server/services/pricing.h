/* services/pricing.h: the price of a basket, in integer minor units
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  EVA_DISCOUNT_NONE = 0,
  EVA_DISCOUNT_PERCENT,
  EVA_DISCOUNT_FIXED,
} EvaDiscountKind;

typedef struct
{
  gint64   unit_price;   /* in */
  gint64   quantity;     /* in */
  gboolean eligible;     /* in: the discount applies to this line */
  gint64   amount;       /* out: unit_price × quantity */
  gint64   discount;     /* out: this line's share of the discount */
  gint64   line_total;   /* out: amount - discount */
} EvaPriceLine;

typedef struct
{
  gint64 subtotal;
  gint64 eligible;       /* the part of the subtotal the discount applies to */
  gint64 discount;
  gint64 total;
} EvaPriceTotals;

gboolean eva_pricing_compute (EvaPriceLine    *lines,
                              guint            n,
                              EvaDiscountKind  kind,
                              gint64           value,
                              EvaPriceTotals  *totals);

G_END_DECLS
