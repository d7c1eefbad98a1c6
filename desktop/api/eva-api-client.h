/* eva-api-client.h: the asynchronous client of the Everato HTTP API
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "api/eva-record.h"

G_BEGIN_DECLS

#define EVA_API_ERROR (eva_api_error_quark ())

/**
 * EvaApiError:
 * @EVA_API_ERROR_UNREACHABLE: no answer: connection refused, unknown host, timeout
 * @EVA_API_ERROR_TLS: the TLS handshake failed or the certificate is not trusted
 * @EVA_API_ERROR_INVALID_URL: the server address is not an http(s) URL
 * @EVA_API_ERROR_BAD_RESPONSE: the answer is not the JSON the API promises
 * @EVA_API_ERROR_INVALID: 400: the input breaks a rule (see the details)
 * @EVA_API_ERROR_UNAUTHORIZED: 401: wrong credentials or token
 * @EVA_API_ERROR_SESSION_EXPIRED: the session ended and could not be refreshed
 * @EVA_API_ERROR_FORBIDDEN: 403: the role is not enough, or the account is disabled
 * @EVA_API_ERROR_NOT_FOUND: 404
 * @EVA_API_ERROR_CONFLICT: 409: the state or a uniqueness rule refuses it
 * @EVA_API_ERROR_UNPROCESSABLE: 422
 * @EVA_API_ERROR_RATE_LIMITED: 429
 * @EVA_API_ERROR_NOT_IMPLEMENTED: 501: this server does not offer it yet
 * @EVA_API_ERROR_UNAVAILABLE: 503: the server is up but cannot serve now
 * @EVA_API_ERROR_SERVER: any other failure of the server
 */
typedef enum {
  EVA_API_ERROR_UNREACHABLE,
  EVA_API_ERROR_TLS,
  EVA_API_ERROR_INVALID_URL,
  EVA_API_ERROR_BAD_RESPONSE,
  EVA_API_ERROR_INVALID,
  EVA_API_ERROR_UNAUTHORIZED,
  EVA_API_ERROR_SESSION_EXPIRED,
  EVA_API_ERROR_FORBIDDEN,
  EVA_API_ERROR_NOT_FOUND,
  EVA_API_ERROR_CONFLICT,
  EVA_API_ERROR_UNPROCESSABLE,
  EVA_API_ERROR_RATE_LIMITED,
  EVA_API_ERROR_NOT_IMPLEMENTED,
  EVA_API_ERROR_UNAVAILABLE,
  EVA_API_ERROR_SERVER,
} EvaApiError;

GQuark       eva_api_error_quark             (void);
const char  *eva_api_error_get_code          (const GError *error);
guint        eva_api_error_get_status        (const GError *error);
guint        eva_api_error_get_retry_after   (const GError *error);
JsonObject  *eva_api_error_get_details       (const GError *error);
const char  *eva_api_error_get_field_message (const GError *error,
                                              const char   *field);
gboolean     eva_api_error_is_offline        (const GError *error);
GError      *eva_api_error_new               (guint         status,
                                              const char   *code,
                                              const char   *message,
                                              JsonObject   *details);

typedef enum {
  EVA_EVENT_PUBLISH,
  EVA_EVENT_CANCEL,
  EVA_EVENT_ARCHIVE,
} EvaEventTransition;

#define EVA_TYPE_API_CLIENT (eva_api_client_get_type ())

G_DECLARE_FINAL_TYPE (EvaApiClient, eva_api_client, EVA, API_CLIENT, GObject)

EvaApiClient *eva_api_client_new                   (const char          *base_url);
const char   *eva_api_client_get_base_url          (EvaApiClient        *self);
gboolean      eva_api_client_set_base_url          (EvaApiClient        *self,
                                                    const char          *base_url,
                                                    GError             **error);
const char   *eva_api_client_get_refresh_token     (EvaApiClient        *self);
void          eva_api_client_set_refresh_token     (EvaApiClient        *self,
                                                    const char          *refresh_token);
const char   *eva_api_client_get_access_token      (EvaApiClient        *self);
void          eva_api_client_set_access_token      (EvaApiClient        *self,
                                                    const char          *access_token);
EvaRecord    *eva_api_client_get_me                (EvaApiClient        *self);
gboolean      eva_api_client_get_signed_in         (EvaApiClient        *self);
gboolean      eva_api_client_is_super_admin        (EvaApiClient        *self);
gboolean      eva_api_client_can_organize          (EvaApiClient        *self);
void          eva_api_client_forget                (EvaApiClient        *self);

/* Sign-in */
void          eva_api_client_login_async           (EvaApiClient        *self,
                                                    const char          *email,
                                                    const char          *password,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
EvaRecord    *eva_api_client_login_finish          (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void          eva_api_client_refresh_async         (EvaApiClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean      eva_api_client_refresh_finish        (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void          eva_api_client_logout_async          (EvaApiClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean      eva_api_client_logout_finish         (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void          eva_api_client_me_async              (EvaApiClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
EvaRecord    *eva_api_client_me_finish             (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Results shared by every call below */
EvaRecord    *eva_api_client_record_finish         (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
GPtrArray    *eva_api_client_list_finish           (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    char               **next_cursor,
                                                    gint64              *total,
                                                    GError             **error);
gboolean      eva_api_client_empty_finish          (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Events: list → list_finish; get/create/update/transition → record_finish;
 * delete → empty_finish. */
void          eva_api_client_list_events_async     (EvaApiClient        *self,
                                                    const char          *search,
                                                    const char          *status,
                                                    const char          *sort,
                                                    const char          *cursor,
                                                    guint                limit,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_get_event_async       (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_create_event_async    (EvaApiClient        *self,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_update_event_async    (EvaApiClient        *self,
                                                    const char          *id,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_delete_event_async    (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_transition_event_async(EvaApiClient        *self,
                                                    const char          *id,
                                                    EvaEventTransition   transition,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);

/* Ticket types */
void          eva_api_client_list_ticket_types_async  (EvaApiClient        *self,
                                                       const char          *event_id,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
void          eva_api_client_create_ticket_type_async (EvaApiClient        *self,
                                                       const char          *event_id,
                                                       JsonObject          *fields,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
void          eva_api_client_update_ticket_type_async (EvaApiClient        *self,
                                                       const char          *id,
                                                       JsonObject          *fields,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
void          eva_api_client_delete_ticket_type_async (EvaApiClient        *self,
                                                       const char          *id,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);

/* Check-in lists of an event: list → list_finish, create/update →
 * record_finish, delete → empty_finish */
void          eva_api_client_list_checkin_lists_async  (EvaApiClient        *self,
                                                        const char          *event_id,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void          eva_api_client_create_checkin_list_async (EvaApiClient        *self,
                                                        const char          *event_id,
                                                        JsonObject          *fields,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void          eva_api_client_update_checkin_list_async (EvaApiClient        *self,
                                                        const char          *id,
                                                        JsonObject          *fields,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void          eva_api_client_delete_checkin_list_async (EvaApiClient        *self,
                                                        const char          *id,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);

/* Staff (super admins) */
void          eva_api_client_list_staff_async      (EvaApiClient        *self,
                                                    const char          *search,
                                                    const char          *cursor,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_create_staff_async    (EvaApiClient        *self,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_update_staff_async    (EvaApiClient        *self,
                                                    const char          *id,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_delete_staff_async    (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);

/* Outgoing webhooks (organizers; docs/webhooks.md): list and
 * list_deliveries → list_finish; create (its record holds "secret", once),
 * update, send_test and redeliver → record_finish; delete → empty_finish */
void          eva_api_client_list_webhooks_async   (EvaApiClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_create_webhook_async  (EvaApiClient        *self,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_update_webhook_async  (EvaApiClient        *self,
                                                    const char          *id,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_delete_webhook_async  (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_send_test_webhook_async (EvaApiClient      *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_list_webhook_deliveries_async (EvaApiClient *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_redeliver_webhook_async (EvaApiClient      *self,
                                                    const char          *delivery_id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);

/* Coupons of an event: list → list_finish, get/create/update →
 * record_finish, delete → empty_finish */
void          eva_api_client_list_coupons_async    (EvaApiClient        *self,
                                                    const char          *event_id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_get_coupon_async      (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_create_coupon_async   (EvaApiClient        *self,
                                                    const char          *event_id,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_update_coupon_async   (EvaApiClient        *self,
                                                    const char          *id,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_delete_coupon_async   (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);

/* Bookings of an event: list → list_finish; get/cancel → record_finish;
 * export → export_bookings_finish */
void          eva_api_client_list_bookings_async   (EvaApiClient        *self,
                                                    const char          *event_id,
                                                    const char          *search,
                                                    const char          *status,
                                                    const char          *cursor,
                                                    guint                limit,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_get_booking_async     (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_cancel_booking_async  (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_export_bookings_async (EvaApiClient        *self,
                                                    const char          *event_id,
                                                    const char          *search,
                                                    const char          *status,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GBytes       *eva_api_client_export_bookings_finish (EvaApiClient       *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);

/* Analytics (organizer+): an event's figures (@bucket "hour", "day" or
 * "week") and the summary of the events starting between the local days
 * @from and @to ("YYYY-MM-DD", NULL for no bound) → record_finish; a table
 * of either as CSV (@event_id NULL: the summary) → export_analytics_finish. */
void          eva_api_client_get_analytics_async   (EvaApiClient        *self,
                                                    const char          *event_id,
                                                    const char          *bucket,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_get_analytics_summary_async (EvaApiClient  *self,
                                                    const char          *from,
                                                    const char          *to,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_export_analytics_async (EvaApiClient       *self,
                                                    const char          *event_id,
                                                    const char          *table,
                                                    const char          *bucket,
                                                    const char          *from,
                                                    const char          *to,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GBytes       *eva_api_client_export_analytics_finish (EvaApiClient      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Payments of a booking (docs/PAYMENTS.md): refund and mark-paid →
 * payment_finish, which gives the booking as it is now (and the refund
 * made, for a refund). */
void          eva_api_client_refund_booking_async  (EvaApiClient        *self,
                                                    const char          *id,
                                                    JsonObject          *fields,
                                                    const char          *idempotency_key,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_mark_paid_async       (EvaApiClient        *self,
                                                    const char          *id,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
EvaRecord    *eva_api_client_payment_finish        (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    EvaRecord          **refund,
                                                    GError             **error);

/* Tickets of a booking: list → list_finish; update (the holder's name)
 * and reissue → record_finish (the ticket, the new one for a reissue);
 * resend → empty_finish; the PDF → download_finish. */
void          eva_api_client_list_booking_tickets_async (EvaApiClient        *self,
                                                         const char          *booking_id,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
void          eva_api_client_update_ticket_async   (EvaApiClient        *self,
                                                    const char          *id,
                                                    JsonObject          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_reissue_ticket_async  (EvaApiClient        *self,
                                                    const char          *id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_resend_tickets_async  (EvaApiClient        *self,
                                                    const char          *booking_id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void          eva_api_client_tickets_pdf_async     (EvaApiClient        *self,
                                                    const char          *booking_id,
                                                    const char          *ticket_id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GBytes       *eva_api_client_download_finish       (EvaApiClient        *self,
                                                    GAsyncResult        *result,
                                                    char               **filename,
                                                    GError             **error);

G_END_DECLS
