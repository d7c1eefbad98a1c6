/* services/pricing.c: the price of a basket, in integer minor units
 *
 * Every amount is a gint64 in the event currency's minor unit; no floating
 * point anywhere.
 *
 *   line amount   = unit_price × quantity              (overflow → refused)
 *   subtotal      = Σ line amounts
 *   eligible      = Σ amounts of the lines the coupon applies to (all lines
 *                   when the coupon has no ticket-type restriction)
 *   discount      = percent: eligible × percent / 100, rounded ONCE on the
 *                   order, half up (eva_money_percent: 0.5 minor unit → up);
 *                   fixed:   min (amount, eligible)
 *   line discount = the order discount spread over the eligible lines in
 *                   proportion to their amounts by the largest remainder
 *                   method (eva_money_split: floors first, the leftover
 *                   minor units one each to the largest remainders, the
 *                   earlier line on a tie), so the lines add up to the order
 *                   discount exactly and no line goes below zero
 *   total         = subtotal - discount ≥ 0
 *
 * Example: 3 × 333 at 10 % → eligible 999, discount 99.9 → 100, one line;
 * 1 × 1 + 1 × 2 at 50 % → discount 1.5 → 2, split 2 × (1/3, 2/3) → 1, 1.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-pricing"

#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "services/pricing.h"

gboolean
eva_pricing_compute (EvaPriceLine    *lines,
                     guint            n,
                     EvaDiscountKind  kind,
                     gint64           value,
                     EvaPriceTotals  *totals)
{
  g_autofree gint64 *weights = g_new0 (gint64, MAX (n, 1));
  g_autofree gint64 *shares = g_new0 (gint64, MAX (n, 1));
  gint64 discount = 0;

  g_return_val_if_fail (n == 0 || lines != NULL, FALSE);
  g_return_val_if_fail (totals != NULL, FALSE);

  memset (totals, 0, sizeof *totals);
  for (guint i = 0; i < n; i++)
    {
      if (lines[i].unit_price < 0 || lines[i].quantity < 0 ||
          !eva_money_mul (lines[i].unit_price, lines[i].quantity, &lines[i].amount) ||
          !eva_money_add (totals->subtotal, lines[i].amount, &totals->subtotal))
        return FALSE;
      lines[i].discount = 0;
      if (lines[i].eligible && kind != EVA_DISCOUNT_NONE)
        {
          weights[i] = lines[i].amount;
          if (!eva_money_add (totals->eligible, lines[i].amount, &totals->eligible))
            return FALSE;
        }
    }

  switch (kind)
    {
    case EVA_DISCOUNT_PERCENT:
      discount = eva_money_percent (totals->eligible, (guint) CLAMP (value, 0, 100));
      break;
    case EVA_DISCOUNT_FIXED:
      discount = MIN (MAX (value, 0), totals->eligible);
      break;
    case EVA_DISCOUNT_NONE:
    default:
      discount = 0;
      break;
    }

  if (discount > 0 && n > 0)
    {
      eva_money_split (discount, weights, n, shares);
      for (guint i = 0; i < n; i++)
        lines[i].discount = shares[i];
    }

  for (guint i = 0; i < n; i++)
    {
      g_assert (lines[i].discount >= 0 && lines[i].discount <= lines[i].amount);
      lines[i].line_total = lines[i].amount - lines[i].discount;
    }

  totals->discount = discount;
  totals->total = totals->subtotal - discount;
  g_assert (totals->total >= 0);
  return TRUE;
}
