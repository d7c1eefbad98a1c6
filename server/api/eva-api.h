/* eva-api.h: the HTTP handlers, one file per resource under api/
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "http/eva-request.h"

G_BEGIN_DECLS

/* api/health.c */
void eva_api_healthz              (EvaRequest *req);
void eva_api_readyz               (EvaRequest *req);
void eva_api_metrics              (EvaRequest *req);

/* api/webhooks.c */
void eva_api_webhooks_list        (EvaRequest *req);
void eva_api_webhooks_create      (EvaRequest *req);
void eva_api_webhooks_get         (EvaRequest *req);
void eva_api_webhooks_update      (EvaRequest *req);
void eva_api_webhooks_delete      (EvaRequest *req);
void eva_api_webhooks_deliveries  (EvaRequest *req);
void eva_api_webhooks_test        (EvaRequest *req);
void eva_api_webhook_deliveries_redeliver (EvaRequest *req);

/* api/docs.c */
void eva_api_docs_openapi         (EvaRequest *req);
void eva_api_docs_reference       (EvaRequest *req);

/* api/admin-auth.c */
void eva_api_admin_login          (EvaRequest *req);
void eva_api_admin_refresh        (EvaRequest *req);
void eva_api_admin_logout         (EvaRequest *req);
void eva_api_admin_me             (EvaRequest *req);

/* api/staff.c */
void eva_api_staff_list           (EvaRequest *req);
void eva_api_staff_create         (EvaRequest *req);
void eva_api_staff_get            (EvaRequest *req);
void eva_api_staff_update         (EvaRequest *req);
void eva_api_staff_delete         (EvaRequest *req);

/* api/analytics.c */
void eva_api_analytics_event      (EvaRequest *req);
void eva_api_analytics_summary    (EvaRequest *req);

/* api/events.c */
void eva_api_events_list          (EvaRequest *req);
void eva_api_events_create        (EvaRequest *req);
void eva_api_events_get           (EvaRequest *req);
void eva_api_events_update        (EvaRequest *req);
void eva_api_events_delete        (EvaRequest *req);
void eva_api_events_publish       (EvaRequest *req);
void eva_api_events_cancel        (EvaRequest *req);
void eva_api_events_archive       (EvaRequest *req);

/* api/ticket-types.c */
void eva_api_ticket_types_list    (EvaRequest *req);
void eva_api_ticket_types_create  (EvaRequest *req);
void eva_api_ticket_types_get     (EvaRequest *req);
void eva_api_ticket_types_update  (EvaRequest *req);
void eva_api_ticket_types_delete  (EvaRequest *req);

/* api/public.c */
void eva_api_public_events_list   (EvaRequest *req);
void eva_api_public_events_get    (EvaRequest *req);

/* api/accounts.c */
void eva_api_auth_register        (EvaRequest *req);
void eva_api_auth_verify          (EvaRequest *req);
void eva_api_auth_verify_resend   (EvaRequest *req);
void eva_api_auth_login           (EvaRequest *req);
void eva_api_auth_logout          (EvaRequest *req);
void eva_api_auth_reset           (EvaRequest *req);
void eva_api_auth_reset_confirm   (EvaRequest *req);

/* api/me.c */
void eva_api_me_get               (EvaRequest *req);
void eva_api_me_update            (EvaRequest *req);
void eva_api_me_delete            (EvaRequest *req);
void eva_api_me_password          (EvaRequest *req);

/* api/attendees.c */
void eva_api_attendees_list       (EvaRequest *req);
void eva_api_attendees_get        (EvaRequest *req);
void eva_api_attendees_disable    (EvaRequest *req);
void eva_api_attendees_enable     (EvaRequest *req);

/* api/outbox.c */
void eva_api_outbox_list          (EvaRequest *req);
void eva_api_outbox_retry         (EvaRequest *req);

/* api/bookings.c */
void eva_api_bookings_create       (EvaRequest *req);
void eva_api_my_bookings_list      (EvaRequest *req);
void eva_api_my_bookings_get       (EvaRequest *req);
void eva_api_my_bookings_cancel    (EvaRequest *req);
void eva_api_admin_bookings_list   (EvaRequest *req);
void eva_api_admin_bookings_get    (EvaRequest *req);
void eva_api_admin_bookings_cancel (EvaRequest *req);

/* Payments */
void eva_api_my_bookings_checkout        (EvaRequest *req);
void eva_api_my_bookings_payment_refresh (EvaRequest *req);
void eva_api_stripe_webhook              (EvaRequest *req);
void eva_api_admin_bookings_refund       (EvaRequest *req);
void eva_api_admin_bookings_mark_paid    (EvaRequest *req);
void eva_api_public_ticket_keys          (EvaRequest *req);
void eva_api_my_booking_tickets          (EvaRequest *req);
void eva_api_admin_booking_tickets       (EvaRequest *req);
void eva_api_my_ticket_qr_svg            (EvaRequest *req);
void eva_api_my_ticket_qr_png            (EvaRequest *req);
void eva_api_admin_ticket_qr_svg         (EvaRequest *req);
void eva_api_admin_ticket_qr_png         (EvaRequest *req);
void eva_api_my_ticket_update            (EvaRequest *req);
void eva_api_admin_ticket_update         (EvaRequest *req);
void eva_api_my_ticket_reissue           (EvaRequest *req);
void eva_api_admin_ticket_reissue        (EvaRequest *req);
void eva_api_my_tickets                  (EvaRequest *req);
void eva_api_checkin_lists_get           (EvaRequest *req);
void eva_api_checkin_lists_create        (EvaRequest *req);
void eva_api_checkin_lists_update        (EvaRequest *req);
void eva_api_checkin_lists_delete        (EvaRequest *req);
void eva_api_checkin_devices_create      (EvaRequest *req);
void eva_api_checkin_redeem              (EvaRequest *req);
void eva_api_checkin_upload              (EvaRequest *req);
void eva_api_checkins_undo               (EvaRequest *req);
void eva_api_checkin_search              (EvaRequest *req);
void eva_api_checkin_bundle              (EvaRequest *req);
void eva_api_checkin_stats               (EvaRequest *req);
void eva_api_my_booking_tickets_pdf      (EvaRequest *req);
void eva_api_admin_booking_tickets_pdf   (EvaRequest *req);
void eva_api_my_booking_event_ics        (EvaRequest *req);
void eva_api_admin_booking_event_ics     (EvaRequest *req);
void eva_api_my_booking_tickets_resend   (EvaRequest *req);
void eva_api_admin_booking_tickets_resend (EvaRequest *req);

/* api/coupons.c */
void eva_api_coupons_list          (EvaRequest *req);
void eva_api_coupons_create        (EvaRequest *req);
void eva_api_coupons_get           (EvaRequest *req);
void eva_api_coupons_update        (EvaRequest *req);
void eva_api_coupons_delete        (EvaRequest *req);
void eva_api_public_quote          (EvaRequest *req);

G_END_DECLS
