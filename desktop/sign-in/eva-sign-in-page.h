/* eva-sign-in-page.h: server address, email and password
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_SIGN_IN_PAGE (eva_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (EvaSignInPage, eva_sign_in_page, EVA, SIGN_IN_PAGE, GtkWidget)

GtkWidget  *eva_sign_in_page_new            (void);
void        eva_sign_in_page_set_client     (EvaSignInPage      *self,
                                             EvaApiClient       *client);
void        eva_sign_in_page_set_servers    (EvaSignInPage      *self,
                                             const char * const *servers);
void        eva_sign_in_page_set_server     (EvaSignInPage      *self,
                                             const char         *server);
const char *eva_sign_in_page_get_server     (EvaSignInPage      *self);
void        eva_sign_in_page_set_email      (EvaSignInPage      *self,
                                             const char         *email);
const char *eva_sign_in_page_get_email      (EvaSignInPage      *self);
void        eva_sign_in_page_set_message    (EvaSignInPage      *self,
                                             const char         *message);
const char *eva_sign_in_page_get_message    (EvaSignInPage      *self);
gboolean    eva_sign_in_page_get_can_submit (EvaSignInPage      *self);
void        eva_sign_in_page_submit         (EvaSignInPage      *self);
void        eva_sign_in_page_focus          (EvaSignInPage      *self);

G_END_DECLS
