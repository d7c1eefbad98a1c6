/* eva-mail.h: mail templates, MIME rendering and delivery (SMTP or files)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One outbox row, as far as rendering is concerned. */
typedef struct
{
  gint64       id;
  const char  *to_address;
  const char  *to_name;         /* may be NULL or "" */
  const char  *locale;          /* may be NULL: English */
  const char  *template_name;
  JsonObject  *payload;         /* may be NULL */
  const char  *message_id;      /* the row's message_id: stable across retries */
  gint64       created_at;      /* Unix time, for the Date: header */
} EvaMailInput;

typedef struct
{
  char   *subject;              /* UTF-8, as rendered */
  char   *text;                 /* the text/plain part, decoded */
  char   *html;                 /* the text/html part, decoded */
  char   *message_id;           /* "<…@domain>" as in the header */
  GBytes *message;              /* the complete RFC 5322 message, CRLF */
} EvaMail;

gboolean  eva_mail_template_exists (const char          *name);
EvaMail  *eva_mail_render          (const EvaMailInput  *input,
                                    const char          *from,
                                    GError             **error);
void      eva_mail_free            (EvaMail             *mail);

/* Building blocks, public for tests. */
void      eva_mail_append_header   (GString             *out,
                                    const char          *name,
                                    const char          *utf8_value);
void      eva_mail_append_qp       (GString             *out,
                                    const char          *text);

/* Delivery through libcurl: smtp:// (STARTTLS required with @require_tls,
 * else when offered) or smtps://,
 * AUTH from the URL's user information. One EvaSmtp per thread; it keeps
 * the connection open between mails. */
typedef struct _EvaSmtp EvaSmtp;

EvaSmtp  *eva_smtp_new             (const char          *url,
                                    const char          *from,
                                    gboolean             require_tls);
gboolean  eva_smtp_send            (EvaSmtp             *smtp,
                                    const char          *to_address,
                                    GBytes              *message,
                                    GError             **error);
void      eva_smtp_free            (EvaSmtp             *smtp);

/* Delivery without SMTP: DIR/<id>.eml, written atomically (temporary file
 * + rename), readable by the owner only. */
char     *eva_mail_write_file      (const char          *dir,
                                    gint64               id,
                                    GBytes              *message,
                                    GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaMail, eva_mail_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaSmtp, eva_smtp_free)

G_END_DECLS
