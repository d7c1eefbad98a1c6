/* services/checkin.h: deciding scans at the door
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "db/eva-db.h"

G_BEGIN_DECLS

typedef enum
{
  EVA_SCAN_DECIDED,      /* verdict holds the answer */
  EVA_SCAN_SIGNED_OUT,   /* the staff member's sign-in has ended: nothing recorded */
  EVA_SCAN_NO_LIST,      /* no such check-in list: nothing recorded */
  EVA_SCAN_NO_DEVICE,    /* device_id names no device: nothing recorded */
} EvaScanOutcome;

typedef struct
{
  /* What was scanned (all owned; NULL where optional and absent). */
  char          *code;
  char          *list_id;
  char          *nonce;
  char          *kind;         /* "entry" | "exit" */
  char          *scanned_at;   /* ISO 8601, or NULL: now */
  char          *device_id;
  gboolean       force;
  char          *staff_id;
  char          *session_id;   /* the sign-in still to check, or NULL: checked */

  /* The ticket the code names: read from it unchecked (verified FALSE,
   * the database compares the code with that ticket's), or once its
   * signature is checked (verified TRUE; NULL: not a valid code of ours). */
  gboolean       verified;
  char          *ticket_id;

  /* The answer. */
  EvaScanOutcome outcome;
  char          *verdict;      /* JSON text */
} EvaScan;

void     eva_scan_clear            (EvaScan    *scan);
void     eva_scan_reset_answer     (EvaScan    *scan);

/* Decides and records @n scans in one statement and one transaction
 * (eva_checkin_redeem_batch(), migrations 0010 and 0013), with the answers
 * they would get one after the other. A code that is not, byte for byte,
 * the code of the ticket it names has its signature checked here against
 * the published keys (docs/ticket-codes.md) and is decided in a second
 * statement, as a scan that came just after; the rest is decided by the
 * database. Sets each scan's outcome and verdict. The same nonce always
 * gets the same answer. On error, what the first statement decided may
 * be recorded: deciding the scans again answers those by their nonces. */
gboolean eva_checkin_redeem        (EvaDbConn  *conn,
                                    EvaScan   **scans,
                                    guint       n,
                                    GError    **error);

G_END_DECLS
