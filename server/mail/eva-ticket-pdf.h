/* eva-ticket-pdf.h: tickets as PDF pages (cairo + pango)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  EVA_PAPER_A4,
  EVA_PAPER_LETTER,
} EvaPaper;

/* "a4" or "letter" (any case); FALSE for anything else. */
gboolean  eva_paper_parse  (const char   *text,
                            EvaPaper     *paper);

/* The paper a reader in @locale most likely has: Letter in the United
 * States and Canada (and a few others), A4 elsewhere. */
EvaPaper  eva_paper_for_locale (const char *locale);

/* One page per ticket of @doc, labels in @locale's language, fonts
 * embedded. @doc is a ticket document (services/tickets.h):
 *
 *   { "event", "when", "venue", "address", "reference",
 *     "tickets": [ { "code", "type", "holder", "price", "number" } ] }
 *
 * Fails with EVA_ERROR_INVALID when @doc has no tickets or a code that
 * cannot be a QR code. Thread-safe. */
GBytes   *eva_ticket_pdf   (JsonObject   *doc,
                            const char   *locale,
                            EvaPaper      paper,
                            GError      **error);

/* The event of @doc as an iCalendar file (common/eva-ical.h), its UID
 * "<event id>@@host". */
char     *eva_ticket_ics   (JsonObject   *doc,
                            const char   *host,
                            gint64        stamp);

G_END_DECLS
