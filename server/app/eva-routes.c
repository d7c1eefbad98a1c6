/* eva-routes.c: the route table
 *
 * Every API route is one line here: method, path pattern, handler and the
 * least role allowed to call it. docs/openapi.yaml must list the same set;
 * a test compares them.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-routes"

#include "config.h"

#include "api/eva-api.h"
#include "app/eva-routes.h"
#include "site/eva-site.h"

#define PUBLIC      EVA_ROLE_PUBLIC
#define ATTENDEE    EVA_ROLE_ATTENDEE
#define DOOR        EVA_ROLE_DOOR_STAFF
#define ORGANIZER   EVA_ROLE_ORGANIZER
#define SUPER       EVA_ROLE_SUPER_ADMIN
#define BODY        EVA_ROUTE_BODY
#define OWN_SIGN_IN EVA_ROUTE_OWN_SIGN_IN

static const EvaRoute routes[] = {
  { "GET",    "/healthz",                                   eva_api_healthz,             PUBLIC,    0 },
  { "GET",    "/readyz",                                    eva_api_readyz,              PUBLIC,    0 },
  { "GET",    "/metrics",                                   eva_api_metrics,             PUBLIC,    0 },
  { "GET",    "/api/v1/openapi.yaml",                       eva_api_docs_openapi,        PUBLIC,    0 },
  { "GET",    "/api/v1/docs",                               eva_api_docs_reference,      PUBLIC,    0 },

  /* Staff sign-in */
  { "POST",   "/api/v1/admin/auth/login",                   eva_api_admin_login,         PUBLIC,    BODY },
  { "POST",   "/api/v1/admin/auth/refresh",                 eva_api_admin_refresh,       PUBLIC,    BODY },
  { "POST",   "/api/v1/admin/auth/logout",                  eva_api_admin_logout,        DOOR,      0 },
  { "GET",    "/api/v1/admin/me",                           eva_api_admin_me,            DOOR,      0 },

  /* Staff accounts */
  { "GET",    "/api/v1/admin/staff",                        eva_api_staff_list,          SUPER,     0 },
  { "POST",   "/api/v1/admin/staff",                        eva_api_staff_create,        SUPER,     BODY },
  { "GET",    "/api/v1/admin/staff/{id}",                   eva_api_staff_get,           SUPER,     0 },
  { "PATCH",  "/api/v1/admin/staff/{id}",                   eva_api_staff_update,        SUPER,     BODY },
  { "DELETE", "/api/v1/admin/staff/{id}",                   eva_api_staff_delete,        SUPER,     0 },

  /* Events */
  { "GET",    "/api/v1/admin/events",                       eva_api_events_list,         ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/events",                       eva_api_events_create,       ORGANIZER, BODY },
  { "GET",    "/api/v1/admin/events/{id}",                  eva_api_events_get,          ORGANIZER, 0 },
  { "PATCH",  "/api/v1/admin/events/{id}",                  eva_api_events_update,       ORGANIZER, BODY },
  { "DELETE", "/api/v1/admin/events/{id}",                  eva_api_events_delete,       ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/events/{id}/publish",          eva_api_events_publish,      ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/events/{id}/cancel",           eva_api_events_cancel,       ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/events/{id}/archive",          eva_api_events_archive,      ORGANIZER, 0 },

  /* Analytics */
  { "GET",    "/api/v1/admin/events/{id}/analytics",        eva_api_analytics_event,     ORGANIZER, 0 },
  { "GET",    "/api/v1/admin/analytics/events",             eva_api_analytics_summary,   ORGANIZER, 0 },

  /* Ticket types */
  { "GET",    "/api/v1/admin/events/{id}/ticket-types",     eva_api_ticket_types_list,   ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/events/{id}/ticket-types",     eva_api_ticket_types_create, ORGANIZER, BODY },
  { "GET",    "/api/v1/admin/ticket-types/{id}",            eva_api_ticket_types_get,    ORGANIZER, 0 },
  { "PATCH",  "/api/v1/admin/ticket-types/{id}",            eva_api_ticket_types_update, ORGANIZER, BODY },
  { "DELETE", "/api/v1/admin/ticket-types/{id}",            eva_api_ticket_types_delete, ORGANIZER, 0 },

  /* Attendee accounts (cookie session + CSRF on the /me and logout routes) */
  { "POST",   "/api/v1/auth/register",                      eva_api_auth_register,       PUBLIC,    BODY },
  { "POST",   "/api/v1/auth/verify",                        eva_api_auth_verify,         PUBLIC,    BODY },
  { "POST",   "/api/v1/auth/verify/resend",                 eva_api_auth_verify_resend,  PUBLIC,    BODY },
  { "POST",   "/api/v1/auth/login",                         eva_api_auth_login,          PUBLIC,    BODY },
  { "POST",   "/api/v1/auth/logout",                        eva_api_auth_logout,         ATTENDEE,  0 },
  { "POST",   "/api/v1/auth/password-reset",                eva_api_auth_reset,          PUBLIC,    BODY },
  { "POST",   "/api/v1/auth/password-reset/confirm",        eva_api_auth_reset_confirm,  PUBLIC,    BODY },
  { "GET",    "/api/v1/me",                                 eva_api_me_get,              ATTENDEE,  0 },
  { "PATCH",  "/api/v1/me",                                 eva_api_me_update,           ATTENDEE,  BODY },
  { "DELETE", "/api/v1/me",                                 eva_api_me_delete,           ATTENDEE,  0 },
  { "POST",   "/api/v1/me/password",                        eva_api_me_password,         ATTENDEE,  BODY },

  /* Attendees, for organizers */
  { "GET",    "/api/v1/admin/attendees",                    eva_api_attendees_list,      ORGANIZER, 0 },
  { "GET",    "/api/v1/admin/attendees/{id}",               eva_api_attendees_get,       ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/attendees/{id}/disable",       eva_api_attendees_disable,   ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/attendees/{id}/enable",        eva_api_attendees_enable,    ORGANIZER, 0 },

  /* Email outbox */
  { "GET",    "/api/v1/admin/outbox",                       eva_api_outbox_list,         ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/outbox/{mail_id}/retry",       eva_api_outbox_retry,        ORGANIZER, 0 },

  /* Bookings */
  { "POST",   "/api/v1/bookings",                           eva_api_bookings_create,     ATTENDEE,  BODY },
  { "GET",    "/api/v1/me/bookings",                        eva_api_my_bookings_list,    ATTENDEE,  0 },
  { "GET",    "/api/v1/me/bookings/{id}",                   eva_api_my_bookings_get,     ATTENDEE,  0 },
  { "POST",   "/api/v1/me/bookings/{id}/cancel",            eva_api_my_bookings_cancel,  ATTENDEE,  0 },
  { "GET",    "/api/v1/admin/events/{id}/bookings",         eva_api_admin_bookings_list, ORGANIZER, 0 },
  { "GET",    "/api/v1/admin/bookings/{id}",                eva_api_admin_bookings_get,  ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/bookings/{id}/cancel",         eva_api_admin_bookings_cancel, ORGANIZER, 0 },

  /* Payments (docs/PAYMENTS.md) */
  { "POST",   "/api/v1/me/bookings/{id}/checkout",          eva_api_my_bookings_checkout, ATTENDEE, BODY },
  { "POST",   "/api/v1/me/bookings/{id}/payment/refresh",   eva_api_my_bookings_payment_refresh, ATTENDEE, 0 },
  { "POST",   "/api/v1/payments/stripe/webhook",            eva_api_stripe_webhook,      PUBLIC,    BODY },
  { "POST",   "/api/v1/admin/bookings/{id}/refund",         eva_api_admin_bookings_refund, ORGANIZER, BODY },
  { "POST",   "/api/v1/admin/bookings/{id}/mark-paid",      eva_api_admin_bookings_mark_paid, ORGANIZER, BODY },
  { "GET",    "/api/v1/public/ticket-keys",                 eva_api_public_ticket_keys,  PUBLIC,    0 },
  { "GET",    "/api/v1/me/bookings/{id}/tickets",           eva_api_my_booking_tickets,  ATTENDEE,  0 },
  { "GET",    "/api/v1/admin/bookings/{id}/tickets",        eva_api_admin_booking_tickets, ORGANIZER, 0 },
  { "GET",    "/api/v1/me/tickets/{id}/qr.svg",             eva_api_my_ticket_qr_svg,    ATTENDEE,  0 },
  { "GET",    "/api/v1/me/tickets/{id}/qr.png",             eva_api_my_ticket_qr_png,    ATTENDEE,  0 },
  { "GET",    "/api/v1/admin/tickets/{id}/qr.svg",          eva_api_admin_ticket_qr_svg, ORGANIZER, 0 },
  { "GET",    "/api/v1/admin/tickets/{id}/qr.png",          eva_api_admin_ticket_qr_png, ORGANIZER, 0 },
  { "PATCH",  "/api/v1/me/tickets/{id}",                    eva_api_my_ticket_update,    ATTENDEE,  BODY },
  { "PATCH",  "/api/v1/admin/tickets/{id}",                 eva_api_admin_ticket_update, ORGANIZER, BODY },
  { "POST",   "/api/v1/me/tickets/{id}/reissue",            eva_api_my_ticket_reissue,   ATTENDEE,  0 },
  { "POST",   "/api/v1/admin/tickets/{id}/reissue",         eva_api_admin_ticket_reissue, ORGANIZER, 0 },
  { "GET",    "/api/v1/me/tickets",                         eva_api_my_tickets,          ATTENDEE,  0 },
  { "GET",    "/api/v1/admin/events/{id}/checkin-lists",    eva_api_checkin_lists_get,   DOOR,      0 },
  { "POST",   "/api/v1/admin/events/{id}/checkin-lists",    eva_api_checkin_lists_create, ORGANIZER, BODY },
  { "PATCH",  "/api/v1/admin/checkin-lists/{id}",           eva_api_checkin_lists_update, ORGANIZER, BODY },
  { "DELETE", "/api/v1/admin/checkin-lists/{id}",           eva_api_checkin_lists_delete, ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/checkin/devices",              eva_api_checkin_devices_create, DOOR,   BODY },
  { "POST",   "/api/v1/admin/checkin/redeem",               eva_api_checkin_redeem,      DOOR,      BODY | OWN_SIGN_IN },
  { "POST",   "/api/v1/admin/checkin/upload",               eva_api_checkin_upload,      DOOR,      BODY },
  { "POST",   "/api/v1/admin/checkins/{id}/undo",           eva_api_checkins_undo,       DOOR,      0 },
  { "GET",    "/api/v1/admin/events/{id}/checkin/search",   eva_api_checkin_search,      DOOR,      0 },
  { "GET",    "/api/v1/admin/events/{id}/checkin/bundle",   eva_api_checkin_bundle,      DOOR,      0 },
  { "GET",    "/api/v1/admin/events/{id}/checkin/stats",    eva_api_checkin_stats,       DOOR,      0 },
  { "GET",    "/api/v1/me/bookings/{id}/tickets.pdf",       eva_api_my_booking_tickets_pdf, ATTENDEE, 0 },
  { "GET",    "/api/v1/admin/bookings/{id}/tickets.pdf",    eva_api_admin_booking_tickets_pdf, ORGANIZER, 0 },
  { "GET",    "/api/v1/me/bookings/{id}/event.ics",         eva_api_my_booking_event_ics, ATTENDEE,  0 },
  { "GET",    "/api/v1/admin/bookings/{id}/event.ics",      eva_api_admin_booking_event_ics, ORGANIZER, 0 },
  { "POST",   "/api/v1/me/bookings/{id}/tickets/resend",    eva_api_my_booking_tickets_resend, ATTENDEE, 0 },
  { "POST",   "/api/v1/admin/bookings/{id}/tickets/resend", eva_api_admin_booking_tickets_resend, ORGANIZER, 0 },

  /* Coupons */
  { "GET",    "/api/v1/admin/events/{id}/coupons",          eva_api_coupons_list,        ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/events/{id}/coupons",          eva_api_coupons_create,      ORGANIZER, BODY },
  { "GET",    "/api/v1/admin/coupons/{id}",                 eva_api_coupons_get,         ORGANIZER, 0 },
  { "PATCH",  "/api/v1/admin/coupons/{id}",                 eva_api_coupons_update,      ORGANIZER, BODY },
  { "DELETE", "/api/v1/admin/coupons/{id}",                 eva_api_coupons_delete,      ORGANIZER, 0 },

  /* Public reads */
  { "GET",    "/api/v1/public/events",                      eva_api_public_events_list,  PUBLIC,    0 },
  { "GET",    "/api/v1/public/events/{id_or_slug}",         eva_api_public_events_get,   PUBLIC,    0 },
  { "POST",   "/api/v1/public/events/{id}/quote",           eva_api_public_quote,        PUBLIC,    BODY },
  { "GET",    "/api/v1/admin/webhooks",                     eva_api_webhooks_list,       ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/webhooks",                     eva_api_webhooks_create,     ORGANIZER, BODY },
  { "GET",    "/api/v1/admin/webhooks/{id}",                eva_api_webhooks_get,        ORGANIZER, 0 },
  { "PATCH",  "/api/v1/admin/webhooks/{id}",                eva_api_webhooks_update,     ORGANIZER, BODY },
  { "DELETE", "/api/v1/admin/webhooks/{id}",                eva_api_webhooks_delete,     ORGANIZER, 0 },
  { "GET",    "/api/v1/admin/webhooks/{id}/deliveries",     eva_api_webhooks_deliveries, ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/webhooks/{id}/test",           eva_api_webhooks_test,       ORGANIZER, 0 },
  { "POST",   "/api/v1/admin/webhook-deliveries/{delivery_id}/redeliver", eva_api_webhook_deliveries_redeliver, ORGANIZER, 0 },
};

const EvaRoute *
eva_routes_get (guint *n_routes)
{
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}

const EvaRouter *
eva_routes_router (void)
{
  static const EvaRouter router = {
    routes, G_N_ELEMENTS (routes), eva_site_handle,
  };

  return &router;
}
