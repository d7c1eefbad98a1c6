/* eva-i18n.h: translations by the recipient's locale, not the process's
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#ifndef N_
#define N_(String) (String)
#endif

/* The translation of @msgid for @locale ("de", "de-AT", "de_AT.UTF-8", …),
 * falling back from language_REGION to language to the English @msgid.
 * The result lives as long as the process. Thread-safe. */
const char *eva_i18n_gettext  (const char *locale,
                               const char *msgid);

/* The catalog @locale resolves to, as a BCP 47 tag ("de", "de-AT"), or "en"
 * when there is none. Interned: lives as long as the process. */
const char *eva_i18n_language (const char *locale);

G_END_DECLS
