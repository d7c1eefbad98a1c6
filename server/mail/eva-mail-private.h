/* eva-mail-private.h: shared between eva-mail.c and eva-mail-template.c
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "mail/eva-mail.h"

G_BEGIN_DECLS

/* Renders NAME.txt / NAME.html (in layout.txt / layout.html) for @locale.
 * Errors are EVA_ERROR_INVALID for an unknown template or a missing value,
 * which retrying cannot fix. */
gboolean _eva_mail_template_render (const char  *name,
                                    const char  *locale,
                                    JsonObject  *payload,
                                    char       **subject,
                                    char       **text,
                                    char       **html,
                                    GError     **error);

G_END_DECLS
