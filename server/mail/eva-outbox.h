/* eva-outbox.h: the email outbox — enqueue in the caller's transaction,
 * deliver from worker threads
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/eva-config.h"
#include "db/eva-db.h"

G_BEGIN_DECLS

/* NOTIFY channel that wakes the workers of every process. */
#define EVA_OUTBOX_CHANNEL "everato_outbox"

typedef struct _EvaOutbox EvaOutbox;

/* Queues one mail: a single INSERT (plus a NOTIFY that PostgreSQL delivers
 * at commit) on @conn, inside whatever transaction the caller has open, so
 * the mail goes out if and only if the caller's change commits.
 *
 * @to_name may be NULL or "" (no display name); @locale is a language tag
 * such as "de", "de-AT" or "en" (NULL means "en"); @template_name is one
 * of the templates in server/mail/ ("verify_email", "password_reset",
 * "password_changed", "account_deleted"); @payload holds the template's
 * values (strings or numbers; may be NULL). Links in the payload are
 * absolute URLs the caller builds from the public URL.
 *
 * Fails with EVA_ERROR_INVALID for a malformed address, locale or unknown
 * template (a bug in the caller), or with the database's error. */
gboolean   eva_outbox_enqueue (EvaDbConn   *conn,
                               const char  *to_address,
                               const char  *to_name,
                               const char  *locale,
                               const char  *template_name,
                               JsonObject  *payload,
                               GError     **error);

/* The delivery workers (used by eva-server.c). _new() reads the mail
 * settings and fails with a message naming a bad variable; _start() starts
 * the threads; _stop() lets each finish the mail it is sending and joins
 * them. */
EvaOutbox *eva_outbox_new     (EvaConfig   *config,
                               GError     **error);
gint64     eva_outbox_scrub   (EvaDbConn   *conn,
                               GError     **error);

void       eva_outbox_start   (EvaOutbox   *outbox);
void       eva_outbox_stop    (EvaOutbox   *outbox);
void       eva_outbox_free    (EvaOutbox   *outbox);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaOutbox, eva_outbox_free)

G_END_DECLS
