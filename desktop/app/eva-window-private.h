/* eva-window-private.h: what eva-window.c and eva-window-events.c share
 * of EvaWindow
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "analytics/eva-overview-page.h"
#include "app/eva-window.h"
#include "bookings/eva-bookings-view.h"
#include "coupons/eva-coupons-view.h"
#include "door/eva-door-page.h"
#include "events/eva-checkin-lists-view.h"
#include "events/eva-event-editor.h"
#include "events/eva-events-view.h"
#include "events/eva-ticket-types-view.h"
#include "sign-in/eva-sign-in-page.h"

G_BEGIN_DECLS

struct _EvaWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;
  GtkStack             *main_stack;
  EvaSignInPage        *sign_in_page;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  AdwWindowTitle       *sidebar_title;
  EvaEventsView        *events_view;
  GtkWidget            *content;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkMenuButton        *event_menu_button;
  GtkWidget            *save_button;
  GtkStack             *content_stack;
  AdwViewStack         *event_stack;
  EvaEventEditor       *editor;
  AdwViewStackPage     *overview_page;
  AdwViewStackPage     *tickets_page;
  AdwViewStackPage     *checkin_page;
  AdwViewStackPage     *coupons_page;
  AdwViewStackPage     *bookings_page;
  EvaOverviewPage      *overview;
  EvaTicketTypesView   *ticket_types_view;
  EvaCheckinListsView  *checkin_lists_view;
  EvaCouponsView       *coupons_view;
  EvaBookingsView      *bookings_view;
  EvaDoorPage          *door_page;

  GSettings            *settings;
  EvaApiClient         *client;
  GCancellable         *cancellable;
  char                 *email;
  gboolean              session_expired;
};

/* eva-window.c */
void     _eva_window_update_actions     (EvaWindow *self);
void     _eva_window_load_event_views   (EvaWindow *self,
                                         EvaRecord *event);
void     _eva_window_show_content       (EvaWindow *self);
gboolean _eva_window_showing_event      (EvaWindow *self);

/* eva-window-events.c */
void     _eva_window_add_event_actions  (EvaWindow *self);
void     _eva_window_reload_event       (EvaWindow *self);
void     _eva_window_event_activated_cb (EvaWindow *self,
                                         EvaRecord *event);
void     _eva_window_event_saved_cb     (EvaWindow *self,
                                         EvaRecord *event,
                                         gboolean   created);

G_END_DECLS
