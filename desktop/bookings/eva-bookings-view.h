/* eva-bookings-view.h: the bookings of an event
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"
#include "api/eva-booking-list.h"

G_BEGIN_DECLS

#define EVA_TYPE_BOOKINGS_VIEW (eva_bookings_view_get_type ())

G_DECLARE_FINAL_TYPE (EvaBookingsView, eva_bookings_view, EVA, BOOKINGS_VIEW, GtkWidget)

GtkWidget      *eva_bookings_view_new            (void);
void            eva_bookings_view_set_client     (EvaBookingsView *self,
                                                  EvaApiClient    *client);
void            eva_bookings_view_set_event      (EvaBookingsView *self,
                                                  EvaRecord       *event);
void            eva_bookings_view_reload         (EvaBookingsView *self);
const char     *eva_bookings_view_get_state      (EvaBookingsView *self);
EvaBookingList *eva_bookings_view_get_list       (EvaBookingsView *self);
void            eva_bookings_view_set_filter     (EvaBookingsView *self,
                                                  const char      *search,
                                                  const char      *status);
GtkWindow      *eva_bookings_view_open_booking   (EvaBookingsView *self,
                                                  EvaRecord       *booking);
void            eva_bookings_view_export         (EvaBookingsView *self);
void            eva_bookings_view_export_to_file (EvaBookingsView *self,
                                                  GFile           *file);
gboolean        eva_bookings_view_get_exporting  (EvaBookingsView *self);
const char     *eva_bookings_view_get_badge      (EvaBookingsView *self,
                                                  guint            position);

G_END_DECLS
