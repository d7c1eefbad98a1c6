/* services/notify.h: what the attendee is told by mail, and tickets on
 * confirmation
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "core/eva-config.h"
#include "db/eva-db.h"

G_BEGIN_DECLS

/* Every function here queues mail through the outbox in the caller's
 * transaction (so a mail goes out exactly when the change commits) and
 * skips buyers without a deliverable address (a deleted account). */

/* @template_name about @booking_id to its buyer: transfer_instructions,
 * transfer_reminder, payment_refunded (@amount refunded),
 * booking_cancelled (@amount: what was paid and is to be refunded). */
gboolean eva_notify_booking   (EvaDbConn   *conn,
                               EvaConfig   *config,
                               const char  *booking_id,
                               const char  *template_name,
                               gint64       amount,
                               GError     **error);

/* The one "booking confirmed" hook: issues the booking's tickets and
 * queues the ticket mail (booking_confirmed: the tickets' QR codes inline,
 * the PDF and the calendar file attached). Calling it again for the same
 * booking issues nothing and mails nothing. */
gboolean eva_notify_confirmed (EvaDbConn   *conn,
                               EvaConfig   *config,
                               const char  *booking_id,
                               GError     **error);

typedef enum
{
  EVA_RESEND_QUEUED,
  EVA_RESEND_NOT_FOUND,
  EVA_RESEND_NO_TICKETS,
  EVA_RESEND_TOO_SOON,       /* *retry_after: seconds */
} EvaResend;

#define EVA_RESEND_INTERVAL_S 120

/* The ticket mail again, at most once per EVA_RESEND_INTERVAL_S per
 * booking (whoever asks). @attendee_id (NULL: any) must own it. */
gboolean eva_notify_resend    (EvaDbConn   *conn,
                               EvaConfig   *config,
                               const char  *booking_id,
                               const char  *attendee_id,
                               EvaResend   *outcome,
                               gint64      *retry_after,
                               GError     **error);

/* booking_cancelled to the buyer of @booking_id, which was confirmed or
 * awaiting payment: what was paid and not given back yet is to be
 * refunded (the organizer does that, and the buyer hears of it then). */
gboolean eva_notify_cancelled (EvaDbConn   *conn,
                               EvaConfig   *config,
                               const char  *booking_id,
                               gboolean     by_organizer,
                               GError     **error);

/* event_cancelled or event_moved to the buyer of every booking of
 * @event_id that holds valid tickets. */
gboolean eva_notify_event     (EvaDbConn   *conn,
                               EvaConfig   *config,
                               const char  *event_id,
                               const char  *template_name,
                               GError     **error);

G_END_DECLS
