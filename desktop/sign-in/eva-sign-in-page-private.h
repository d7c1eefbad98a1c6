/* eva-sign-in-page-private.h: the rows, for tests
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "sign-in/eva-sign-in-page.h"

G_BEGIN_DECLS

GtkWidget *_eva_sign_in_page_get_row (EvaSignInPage *self,
                                      const char    *name);

G_END_DECLS
