/* eva-ticket-code.h: signed ticket codes for QR, verifiable offline
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <sodium.h>

G_BEGIN_DECLS

#define EVA_TICKET_CODE_VERSION 1
#define EVA_TICKET_CODE_PREFIX  "EV1."
#define EVA_TICKET_KEY_ID_LEN   8
/* "EV1." + base32 of a 65-byte payload and a 64-byte signature. */
#define EVA_TICKET_CODE_LEN     211

/**
 * EvaTicketCode:
 * @version: %EVA_TICKET_CODE_VERSION
 * @key_id: the signing key's id: 8 characters of [A-Za-z0-9_-] and a NUL,
 *   e.g. from eva_ticket_key_id_from_public_key()
 * @ticket_id: the ticket's UUID, 16 bytes
 * @event_id: the event's UUID
 * @ticket_type_id: the ticket type's UUID
 * @issued_at: when the code was issued, Unix seconds
 */
typedef struct {
  guint8 version;
  char   key_id[EVA_TICKET_KEY_ID_LEN + 1];
  guint8 ticket_id[16];
  guint8 event_id[16];
  guint8 ticket_type_id[16];
  gint64 issued_at;
} EvaTicketCode;

char     *eva_ticket_code_sign              (const EvaTicketCode  *code,
                                             const guint8          secret_key[crypto_sign_SECRETKEYBYTES]);
gboolean  eva_ticket_code_verify            (const char           *text,
                                             const guint8          public_key[crypto_sign_PUBLICKEYBYTES],
                                             EvaTicketCode        *out,
                                             GError              **error);
gboolean  eva_ticket_code_peek_key_id       (const char           *text,
                                             char                  key_id[EVA_TICKET_KEY_ID_LEN + 1]);
gboolean  eva_ticket_code_peek              (const char           *text,
                                             EvaTicketCode        *out);
void      eva_ticket_key_id_from_public_key (const guint8          public_key[crypto_sign_PUBLICKEYBYTES],
                                             char                  key_id[EVA_TICKET_KEY_ID_LEN + 1]);

gboolean  eva_uuid_parse                    (const char           *text,
                                             guint8                out[16]);
char     *eva_uuid_format                   (const guint8          in[16]);

G_END_DECLS
