/* services/tickets.h: one signed ticket per admitted person
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "db/eva-db.h"
#include "db/eva-key-store.h"

G_BEGIN_DECLS

/* The running server's key store (NULL: none, tickets cannot be signed). */
void     eva_tickets_set_key_store (EvaKeyStore  *store);

/* Issues the tickets of a confirmed booking that it does not have yet,
 * one per unit of each item, each with a code signed by the active
 * signing key (docs/ticket-codes.md). In the caller's transaction; calling
 * it again issues nothing. */
gboolean eva_tickets_issue         (EvaDbConn    *conn,
                                    const char   *booking_id,
                                    GError      **error);

G_END_DECLS
