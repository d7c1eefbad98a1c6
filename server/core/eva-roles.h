/* eva-roles.h: who may call a route
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Who may call a route. Staff roles are ordered: a route that needs
 * door_staff also admits organizers and super admins. */
typedef enum
{
  EVA_ROLE_PUBLIC = 0,
  EVA_ROLE_ATTENDEE,
  EVA_ROLE_DOOR_STAFF,
  EVA_ROLE_ORGANIZER,
  EVA_ROLE_SUPER_ADMIN,
} EvaRole;

const char *eva_role_to_string   (EvaRole     role);
gboolean    eva_role_from_string (const char *text,
                                  EvaRole    *role);

G_END_DECLS
