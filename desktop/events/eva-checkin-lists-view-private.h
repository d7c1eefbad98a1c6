/* eva-checkin-lists-view-private.h: what the tests reach of
 * EvaCheckinListsView
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "events/eva-checkin-lists-view.h"

G_BEGIN_DECLS

AdwActionRow *_eva_checkin_lists_view_get_row      (EvaCheckinListsView *self,
                                                    guint                position);
char         *_eva_checkin_lists_view_describe_tags (EvaCheckinListsView *self,
                                                    guint                position);
gboolean      _eva_checkin_lists_view_can_add      (EvaCheckinListsView *self);
GListModel   *_eva_checkin_lists_view_get_ticket_types (EvaCheckinListsView *self);

G_END_DECLS
