/* eva-validate.h: input validation shared by the server and the desktop
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define EVA_SLUG_MAX_LEN      80
#define EVA_PASSWORD_MIN_CHARS 10
#define EVA_PASSWORD_MAX_BYTES 1024

/**
 * EvaTextFlags:
 * @EVA_TEXT_SINGLE_LINE: no control characters at all (no \n or \t), and no
 *   U+2028/U+2029 line or paragraph separators
 * @EVA_TEXT_ALLOW_EMPTY: empty or all-whitespace text is fine
 */
typedef enum {
  EVA_TEXT_SINGLE_LINE = 1 << 0,
  EVA_TEXT_ALLOW_EMPTY = 1 << 1,
} EvaTextFlags;

gboolean eva_validate_email    (const char    *s);
gboolean eva_validate_slug     (const char    *s);
char    *eva_slugify           (const char    *title);
gboolean eva_validate_http_url (const char    *s);
gboolean eva_validate_text     (const char    *s,
                                gssize         len,
                                guint          max_chars,
                                EvaTextFlags   flags,
                                const char   **reason);
gboolean eva_validate_password (const char    *password,
                                const char    *email,
                                const char   **reason);

G_END_DECLS
