/* eva-application.h: the everato-admin application
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define EVA_TYPE_APPLICATION (eva_application_get_type ())

G_DECLARE_FINAL_TYPE (EvaApplication, eva_application, EVA, APPLICATION, AdwApplication)

EvaApplication *eva_application_new (void);

G_END_DECLS
