/* services/booking.h: holds, the booking life cycle, expiry
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/eva-config.h"
#include "db/eva-db.h"
#include "http/eva-request.h"

G_BEGIN_DECLS

#define EVA_BOOKING_MAX_ITEMS     20
#define EVA_BOOKING_MAX_QUANTITY  1000
#define EVA_BOOKING_SWEEP_BATCH   500

/* Limits of one attendee (services/booking.c): open holds (held or
 * pending_payment) per event, and holds made per window, counted in
 * rate_limits under "att:hold:acct:<attendee id>". */
#define EVA_BOOKING_OPEN_HOLDS_MAX    2
#define EVA_BOOKING_HOLDS_PER_WINDOW  20
#define EVA_BOOKING_HOLD_WINDOW       600

typedef struct
{
  char   *ticket_type_id;   /* lower-case canonical uuid */
  gint64  quantity;
} EvaBasketItem;

/* What POST /bookings or /quote asks for. Items are sorted by id, so
 * inventory rows are always locked in the same order. */
typedef struct
{
  char          *event_id;
  GArray        *items;            /* EvaBasketItem */
  char          *coupon_code;      /* NULL: none */
  char          *idempotency_key;  /* holds only */
  char          *request_hash;     /* hex SHA-256 of the canonical basket */
  char          *attendee_id;
  char          *request_id;
  char          *ip;
  EvaConfig     *config;           /* borrowed: where mail links point */
} EvaBasket;

EvaBasket *eva_basket_new      (void);
void       eva_basket_free     (EvaBasket *basket);
/* Sorts the items and computes request_hash. */
void       eva_basket_finish   (EvaBasket *basket);

/* The outcome of a hold or a quote: a reply to send. */
typedef struct
{
  guint       status;
  char       *code;        /* error code; NULL on success */
  char       *message;
  JsonObject *details;
  char       *json;        /* the booking / quote on success */
  char       *booking_id;
  gint64      retry_after; /* > 0: seconds, for a Retry-After header */
} EvaOutcome;

void       eva_outcome_clear   (EvaOutcome *outcome);
/* The refusal is coupon_invalid for a code the event does not have (what
 * guessing looks like; services/coupons.h counts those). */
gboolean   eva_outcome_is_unknown_coupon (EvaOutcome *outcome);

typedef enum
{
  EVA_BASKET_PARSE_DEFAULT      = 0,
  EVA_BASKET_PARSE_WITH_EVENT   = 1 << 0,  /* "event_id" in the body */
  EVA_BASKET_PARSE_MAY_BE_EMPTY = 1 << 1,  /* "items": [] is fine (quotes) */
} EvaBasketParseFlags;

/* Parses {"event_id" (with EVA_BASKET_PARSE_WITH_EVENT; else the {id} path
 * parameter), "items":[{"ticket_type_id","quantity"}], "coupon_code"?}
 * into a finished basket for the calling attendee, or replies 400 and
 * returns NULL (api/bookings.c). Items: 1 to EVA_BOOKING_MAX_ITEMS, or
 * from 0 with EVA_BASKET_PARSE_MAY_BE_EMPTY. */
EvaBasket *eva_bookings_parse_basket (EvaRequest          *req,
                                      EvaBasketParseFlags  flags);

/* Reserves inventory (and a coupon use) for @basket and creates the
 * booking, or fills @out with the refusal. Returns FALSE with @error only
 * when the database fails. */
gboolean   eva_booking_hold    (EvaDbConn   *conn,
                                EvaBasket   *basket,
                                EvaOutcome  *out,
                                GError     **error);
/* Prices @basket without reserving anything, and lists the hidden ticket
 * types its coupon unlocks ("unlocked_ticket_types"). A basket without
 * items only checks the event and the coupon: totals 0. */
gboolean   eva_booking_quote   (EvaDbConn   *conn,
                                EvaBasket   *basket,
                                EvaOutcome  *out,
                                GError     **error);

/* Sends @out as the reply to @req (error envelope, or the booking with a
 * Location header). */
void       eva_booking_reply   (EvaRequest  *req,
                                EvaOutcome  *out);

/* Whether @basket is a simple hold (one ticket type, no coupon), the kind
 * the per-ticket-type batcher (services/booking-batch.c) takes. */
gboolean   eva_booking_batchable     (EvaBasket  *basket);
/* Queues a simple hold for the batcher, which takes ownership of @basket
 * and replies. A ticket type's queue exists only while it has work: with
 * @open_queue FALSE the hold is queued only if its queue exists; with
 * TRUE (the caller has seen that the ticket type exists) the queue is
 * opened if need be. Returns FALSE (and takes nothing) otherwise. */
gboolean   eva_booking_batch_enqueue (EvaRequest *req,
                                      EvaBasket  *basket,
                                      gboolean    open_queue);

/* held | pending_payment (not expired) → confirmed: held moves to sold.
 * One statement; works alone or inside the caller's transaction. An
 * EVA_ERROR_NOT_FOUND for an unknown booking, EVA_ERROR_CONFLICT when the
 * booking is in another state. */
gboolean   eva_booking_confirm (EvaDbConn   *conn,
                                const char  *booking_id,
                                GError     **error);
/* held (not expired) → pending_payment. */
gboolean   eva_booking_mark_pending (EvaDbConn   *conn,
                                     const char  *booking_id,
                                     GError     **error);

/* confirmed → refunded (for the payments side): sold -= n. */
gboolean   eva_booking_refund  (EvaDbConn   *conn,
                                const char  *booking_id,
                                GError     **error);

/* → cancelled, giving back inventory and the coupon use. With
 * @attendee_id set: only that attendee's booking, and a confirmed booking
 * only when free and inside the event's cancellation window; otherwise
 * (staff) any held, pending or confirmed booking. *@found tells whether
 * the booking exists (for that attendee); *@status is its status after the
 * call (free with g_free). Returns TRUE if it was cancelled now. */
gboolean   eva_booking_cancel  (EvaDbConn   *conn,
                                const char  *booking_id,
                                const char  *attendee_id,
                                gboolean    *found,
                                char       **status,
                                GError     **error);

/* Expires due holds (all, or one booking, or one attendee's), releasing
 * inventory and coupon uses; skips rows another process is handling.
 * Returns the number expired, or -1 with @error. */
gint64     eva_bookings_expire (EvaDbConn   *conn,
                                const char  *booking_id,
                                const char  *attendee_id,
                                guint        limit,
                                GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaBasket, eva_basket_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EvaOutcome, eva_outcome_clear)

G_END_DECLS
