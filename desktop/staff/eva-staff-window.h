/* eva-staff-window.h: staff accounts (super admins only)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_STAFF_WINDOW (eva_staff_window_get_type ())

G_DECLARE_FINAL_TYPE (EvaStaffWindow, eva_staff_window, EVA, STAFF_WINDOW, AdwWindow)

GtkWindow *eva_staff_window_new    (GtkWindow      *parent,
                                    EvaApiClient   *client);
void       eva_staff_window_reload (EvaStaffWindow *self);

G_END_DECLS
