/* services/coupons.h: looking up and applying coupons
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "db/eva-db.h"
#include "services/pricing.h"

G_BEGIN_DECLS

#define EVA_COUPON_CODE_MAX 64

typedef struct
{
  char            *id;
  char            *code;
  EvaDiscountKind  kind;
  gint64           value;           /* percent or fixed amount */
  char            *validity;        /* NULL, "not_yet_valid" or "expired" */
  gint64           max_uses;        /* -1: unlimited */
  gint64           max_per_attendee;/* -1: unlimited */
  gint64           uses;
  gint64           attendee_uses;   /* live bookings of the attendee with it */
  gint64           min_order;
  gboolean         unlocks_hidden;
  GPtrArray       *ticket_type_ids; /* empty: all ticket types */
} EvaCoupon;

void       eva_coupon_free     (EvaCoupon   *coupon);

/* The coupon of @event_id with @code (case-insensitive), or NULL with no
 * error when there is none. @attendee_id may be NULL. */
EvaCoupon *eva_coupon_lookup   (EvaDbConn   *conn,
                                const char  *event_id,
                                const char  *code,
                                const char  *attendee_id,
                                GError     **error);
gboolean   eva_coupon_applies  (EvaCoupon   *coupon,
                                const char  *ticket_type_id);

/* Takes one use, atomically; FALSE (no error) when the coupon is at its
 * limit. */
gboolean   eva_coupon_take_use (EvaDbConn   *conn,
                                const char  *coupon_id,
                                gboolean    *taken,
                                GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaCoupon, eva_coupon_free)

G_END_DECLS
