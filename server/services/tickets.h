/* services/tickets.h: one signed ticket per admitted person
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "db/eva-db.h"
#include "db/eva-key-store.h"

G_BEGIN_DECLS

/* Issues the tickets of a confirmed booking that it does not have yet,
 * one per unit of each item, each with a code signed by the active
 * signing key (docs/ticket-codes.md). In the caller's transaction; calling
 * it again issues nothing. */
gboolean eva_tickets_issue         (EvaDbConn    *conn,
                                    const char   *booking_id,
                                    GError      **error);

/* The ticket document of a booking (every valid ticket, or only
 * @ticket_id), what the PDF, the ticket mail and the calendar file are
 * made of (mail/eva-ticket-pdf.h):
 *
 *   { "event", "when", "venue", "address", "timezone", "reference",
 *     "event_id", "slug", "starts_at", "ends_at" (Unix s), "cancelled",
 *     "sequence", "updated_at", "locale" (the buyer's), "ticket_count",
 *     "booking_id", "tickets": [ { "id", "code", "type", "holder",
 *     "price", "number", "cid" } ] }
 *
 * @attendee_id (NULL: any) must own the booking. *@doc is NULL (and
 * TRUE returned) when there is no such booking; its "tickets" may be
 * empty. */
gboolean eva_tickets_document      (EvaDbConn    *conn,
                                    const char   *booking_id,
                                    const char   *ticket_id,
                                    const char   *attendee_id,
                                    JsonObject  **doc,
                                    GError      **error);

G_END_DECLS
