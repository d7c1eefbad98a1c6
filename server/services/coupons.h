/* services/coupons.h: looking up and applying coupons
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "db/eva-db.h"
#include "services/pricing.h"

G_BEGIN_DECLS

#define EVA_COUPON_CODE_MAX 64

/* Guessing codes: an address that named EVA_COUPON_GUESSES unknown codes
 * within EVA_COUPON_GUESS_WINDOW seconds is refused any code until that
 * window is over, through quotes and holds alike (one count, in
 * rate_limits under "att:coupon:ip:<address>"). */
#define EVA_COUPON_GUESSES      30
#define EVA_COUPON_GUESS_WINDOW 3600

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

/* Sets *@retry_after to the seconds left of the window when @client_ip
 * has used up its unknown codes, else to 0. */
gboolean   eva_coupon_guesses_check (EvaDbConn   *conn,
                                     const char  *client_ip,
                                     gint64      *retry_after,
                                     GError     **error);
/* Counts one unknown code named by @client_ip. */
gboolean   eva_coupon_guess_count   (EvaDbConn   *conn,
                                     const char  *client_ip,
                                     GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaCoupon, eva_coupon_free)

G_END_DECLS
