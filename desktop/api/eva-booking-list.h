/* eva-booking-list.h: the bookings of one event as a GListModel, page by page
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "api/eva-api-client.h"
#include "api/eva-paged-list.h"

G_BEGIN_DECLS

#define EVA_TYPE_BOOKING_LIST (eva_booking_list_get_type ())

G_DECLARE_FINAL_TYPE (EvaBookingList, eva_booking_list, EVA, BOOKING_LIST, EvaPagedList)

EvaBookingList *eva_booking_list_new           (EvaApiClient   *client);
void            eva_booking_list_set_event_id  (EvaBookingList *self,
                                                const char     *event_id);
const char     *eva_booking_list_get_event_id  (EvaBookingList *self);
void            eva_booking_list_set_search    (EvaBookingList *self,
                                                const char     *search);
const char     *eva_booking_list_get_search    (EvaBookingList *self);
void            eva_booking_list_set_status    (EvaBookingList *self,
                                                const char     *status);
const char     *eva_booking_list_get_status    (EvaBookingList *self);
void            eva_booking_list_set_page_size (EvaBookingList *self,
                                                guint           page_size);
void            eva_booking_list_reload        (EvaBookingList *self);
void            eva_booking_list_load_more     (EvaBookingList *self);
void            eva_booking_list_clear         (EvaBookingList *self);
gboolean        eva_booking_list_get_loading   (EvaBookingList *self);
gboolean        eva_booking_list_get_has_more  (EvaBookingList *self);
gboolean        eva_booking_list_get_loaded    (EvaBookingList *self);
gint64          eva_booking_list_get_total     (EvaBookingList *self);
gboolean        eva_booking_list_update        (EvaBookingList *self,
                                                EvaRecord      *booking);

G_END_DECLS
