/* services/checkin.h: deciding scans at the door
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "db/eva-db.h"

G_BEGIN_DECLS

typedef struct
{
  const char *code;
  const char *list_id;
  const char *nonce;
  const char *kind;         /* "entry" | "exit" */
  const char *scanned_at;   /* ISO 8601, or NULL: now */
  gboolean    force;
  const char *staff_id;
  const char *device_id;    /* NULL: none */
} EvaScan;

/* Decides and records @scan in one statement (migration 0009's
 * eva_checkin_redeem()): the code's signature is checked here against the
 * published keys (docs/ticket-codes.md), the rest by the database. Sets
 * *@verdict to the answer as JSON text, or to NULL when the list does not
 * exist. The same nonce always gets the same answer. */
gboolean eva_checkin_redeem (EvaDbConn   *conn,
                             const EvaScan *scan,
                             char       **verdict,
                             GError     **error);

G_END_DECLS
