/* eva-api-resources.c: the calls of EvaApiClient on events, ticket types,
 * check-in lists, staff, coupons, bookings, their payments and tickets,
 * and the readers of their results
 *
 * Each is one request through _eva_api_client_call(), which adds the
 * access token, refreshes it once when it expired and maps errors; see
 * eva-api-client.c.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-client-private.h"

/* ------------------------------------------------------------------ */
/* Public API: results                                                */
/* ------------------------------------------------------------------ */

/**
 * eva_api_client_record_finish:
 *
 * Returns: (transfer full): the record the call answered with
 */
EvaRecord *
eva_api_client_record_finish (EvaApiClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);

  if (resp == NULL)
    return NULL;
  return eva_record_new (json_node_get_object (resp->node));
}

/**
 * eva_api_client_list_finish:
 * @next_cursor: (out) (optional): the cursor of the next page, or %NULL
 *   on the last page
 * @total: (out) (optional): how many items match, when the server says
 *
 * Returns: (transfer container) (element-type EvaRecord): one page
 */
GPtrArray *
eva_api_client_list_finish (EvaApiClient  *self,
                            GAsyncResult  *result,
                            char         **next_cursor,
                            gint64        *total,
                            GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);
  g_autoptr(GPtrArray) items = NULL;
  JsonObject *root;
  JsonArray *array = NULL;

  if (resp == NULL)
    return NULL;

  root = json_node_get_object (resp->node);
  if (json_object_has_member (root, "items") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "items")))
    array = json_object_get_array_member (root, "items");

  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (element))
        g_ptr_array_add (items, eva_record_new (json_node_get_object (element)));
    }

  if (next_cursor != NULL)
    *next_cursor = g_strdup (json_object_get_string_member_with_default (root, "next_cursor", NULL));
  if (total != NULL)
    *total = json_object_get_int_member_with_default (root, "total", items->len);
  return g_steal_pointer (&items);
}

gboolean
eva_api_client_empty_finish (EvaApiClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);

  return resp != NULL;
}

/* ------------------------------------------------------------------ */
/* Public API: events                                                 */
/* ------------------------------------------------------------------ */

void
eva_api_client_list_events_async (EvaApiClient        *self,
                                  const char          *search,
                                  const char          *status,
                                  const char          *sort,
                                  const char          *cursor,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *limit_text = limit > 0 ? g_strdup_printf ("%u", MIN (limit, 100)) : NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));

  _eva_api_client_call (self, "GET",
                        _eva_api_build_path ("/api/v1/admin/events", "q", search, "status", status,
                                    "sort", sort, "cursor", cursor, "limit", limit_text,
                                    NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_events_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_get_event_async (EvaApiClient        *self,
                                const char          *id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "GET", g_strconcat ("/api/v1/admin/events/", escaped, NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_get_event_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_create_event_async (EvaApiClient        *self,
                                   JsonObject          *fields,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (fields != NULL);

  _eva_api_client_call (self, "POST", g_strdup ("/api/v1/admin/events"), fields,
                        EVA_API_RESULT_RECORD, eva_api_client_create_event_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_update_event_async (EvaApiClient        *self,
                                   const char          *id,
                                   JsonObject          *fields,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "PATCH", g_strconcat ("/api/v1/admin/events/", escaped, NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_update_event_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_delete_event_async (EvaApiClient        *self,
                                   const char          *id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "DELETE", g_strconcat ("/api/v1/admin/events/", escaped, NULL),
                        NULL, EVA_API_RESULT_EMPTY, eva_api_client_delete_event_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_transition_event_async (EvaApiClient        *self,
                                       const char          *id,
                                       EvaEventTransition   transition,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  static const char * const verbs[] = { "publish", "cancel", "archive" };
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (transition <= EVA_EVENT_ARCHIVE);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/",
                                     verbs[transition], NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_transition_event_async,
                        cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* Public API: ticket types                                           */
/* ------------------------------------------------------------------ */

void
eva_api_client_list_ticket_types_async (EvaApiClient        *self,
                                        const char          *event_id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  _eva_api_client_call (self, "GET",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/ticket-types", NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_ticket_types_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_create_ticket_type_async (EvaApiClient        *self,
                                         const char          *event_id,
                                         JsonObject          *fields,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL && fields != NULL);

  escaped = _eva_api_escape (event_id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/ticket-types", NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_create_ticket_type_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_update_ticket_type_async (EvaApiClient        *self,
                                         const char          *id,
                                         JsonObject          *fields,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "PATCH",
                        g_strconcat ("/api/v1/admin/ticket-types/", escaped, NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_update_ticket_type_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_delete_ticket_type_async (EvaApiClient        *self,
                                         const char          *id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "DELETE",
                        g_strconcat ("/api/v1/admin/ticket-types/", escaped, NULL),
                        NULL, EVA_API_RESULT_EMPTY, eva_api_client_delete_ticket_type_async,
                        cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* Public API: check-in lists                                         */
/* ------------------------------------------------------------------ */

void
eva_api_client_list_checkin_lists_async (EvaApiClient        *self,
                                         const char          *event_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  _eva_api_client_call (self, "GET",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/checkin-lists", NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_checkin_lists_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_create_checkin_list_async (EvaApiClient        *self,
                                          const char          *event_id,
                                          JsonObject          *fields,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL && fields != NULL);

  escaped = _eva_api_escape (event_id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/checkin-lists", NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_create_checkin_list_async,
                        cancellable, callback, user_data);
}

/* @fields: any of the list's fields; "opens_at"/"closes_at" null clears. */
void
eva_api_client_update_checkin_list_async (EvaApiClient        *self,
                                          const char          *id,
                                          JsonObject          *fields,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "PATCH",
                        g_strconcat ("/api/v1/admin/checkin-lists/", escaped, NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_update_checkin_list_async,
                        cancellable, callback, user_data);
}

/* Refused with 409 list_in_use (check-ins were made on it) and 409
 * default_list (the event's default list stays). */
void
eva_api_client_delete_checkin_list_async (EvaApiClient        *self,
                                          const char          *id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "DELETE",
                        g_strconcat ("/api/v1/admin/checkin-lists/", escaped, NULL),
                        NULL, EVA_API_RESULT_EMPTY, eva_api_client_delete_checkin_list_async,
                        cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* Public API: staff                                                  */
/* ------------------------------------------------------------------ */

void
eva_api_client_list_staff_async (EvaApiClient        *self,
                                 const char          *search,
                                 const char          *cursor,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  _eva_api_client_call (self, "GET",
                        _eva_api_build_path ("/api/v1/admin/staff", "q", search, "cursor", cursor,
                                    "limit", "100", NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_staff_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_create_staff_async (EvaApiClient        *self,
                                   JsonObject          *fields,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (fields != NULL);

  _eva_api_client_call (self, "POST", g_strdup ("/api/v1/admin/staff"), fields,
                        EVA_API_RESULT_RECORD, eva_api_client_create_staff_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_update_staff_async (EvaApiClient        *self,
                                   const char          *id,
                                   JsonObject          *fields,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "PATCH", g_strconcat ("/api/v1/admin/staff/", escaped, NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_update_staff_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_delete_staff_async (EvaApiClient        *self,
                                   const char          *id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "DELETE", g_strconcat ("/api/v1/admin/staff/", escaped, NULL),
                        NULL, EVA_API_RESULT_EMPTY, eva_api_client_delete_staff_async,
                        cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* Public API: coupons and bookings                                   */
/* ------------------------------------------------------------------ */

void
eva_api_client_list_coupons_async (EvaApiClient        *self,
                                   const char          *event_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  _eva_api_client_call (self, "GET",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/coupons", NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_coupons_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_create_coupon_async (EvaApiClient        *self,
                                    const char          *event_id,
                                    JsonObject          *fields,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL && fields != NULL);

  escaped = _eva_api_escape (event_id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/events/", escaped, "/coupons", NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_create_coupon_async,
                        cancellable, callback, user_data);
}

/* → record_finish: the coupon, with its uses */
void
eva_api_client_get_coupon_async (EvaApiClient        *self,
                                 const char          *id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "GET", g_strconcat ("/api/v1/admin/coupons/", escaped, NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_get_coupon_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_update_coupon_async (EvaApiClient        *self,
                                    const char          *id,
                                    JsonObject          *fields,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "PATCH", g_strconcat ("/api/v1/admin/coupons/", escaped, NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_update_coupon_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_delete_coupon_async (EvaApiClient        *self,
                                    const char          *id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "DELETE", g_strconcat ("/api/v1/admin/coupons/", escaped, NULL),
                        NULL, EVA_API_RESULT_EMPTY, eva_api_client_delete_coupon_async,
                        cancellable, callback, user_data);
}

/* → record_finish: the cancelled booking */
void
eva_api_client_cancel_booking_async (EvaApiClient        *self,
                                     const char          *id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/bookings/", escaped, "/cancel", NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_cancel_booking_async,
                        cancellable, callback, user_data);
}

/* One page of the event's bookings, newest first → list_finish. @status
 * is one booking status or NULL for all; @search matches the attendee's
 * name or email. */
void
eva_api_client_list_bookings_async (EvaApiClient        *self,
                                    const char          *event_id,
                                    const char          *search,
                                    const char          *status,
                                    const char          *cursor,
                                    guint                limit,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *limit_text = limit > 0 ? g_strdup_printf ("%u", MIN (limit, 100)) : NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  path = g_strconcat ("/api/v1/admin/events/", escaped, "/bookings", NULL);
  _eva_api_client_call (self, "GET",
                        _eva_api_build_path (path, "q", search, "status", status, "cursor", cursor,
                                             "limit", limit_text, NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_bookings_async,
                        cancellable, callback, user_data);
}

/* → record_finish: the booking with its items and attendee */
void
eva_api_client_get_booking_async (EvaApiClient        *self,
                                  const char          *id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "GET", g_strconcat ("/api/v1/admin/bookings/", escaped, NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_get_booking_async,
                        cancellable, callback, user_data);
}

/* Every booking of the event that matches (all of them when @search and
 * @status are NULL), as the server's CSV → export_bookings_finish. */
void
eva_api_client_export_bookings_async (EvaApiClient        *self,
                                      const char          *event_id,
                                      const char          *search,
                                      const char          *status,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  path = g_strconcat ("/api/v1/admin/events/", escaped, "/bookings", NULL);
  task = _eva_api_client_request_new (self, "GET",
                                      _eva_api_build_path (path, "q", search, "status", status,
                                                           NULL),
                                      NULL, EVA_API_RESULT_BYTES, TRUE,
                                      eva_api_client_export_bookings_async,
                                      cancellable, callback, user_data);
  _eva_api_client_request_set_accept (task, "text/csv");
  _eva_api_client_send (task);
}

/**
 * eva_api_client_export_bookings_finish:
 *
 * Returns: (transfer full): the CSV text (UTF-8, CRLF line ends, a header
 *   line first)
 */
GBytes *
eva_api_client_export_bookings_finish (EvaApiClient  *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);

  if (resp == NULL)
    return NULL;
  return g_steal_pointer (&resp->bytes);
}

/* ------------------------------------------------------------------ */
/* Public API: analytics                                              */
/* ------------------------------------------------------------------ */

/* → record_finish: the figures of services/analytics.c */
void
eva_api_client_get_analytics_async (EvaApiClient        *self,
                                    const char          *event_id,
                                    const char          *bucket,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (event_id != NULL);

  escaped = _eva_api_escape (event_id);
  path = g_strconcat ("/api/v1/admin/events/", escaped, "/analytics", NULL);
  _eva_api_client_call (self, "GET", _eva_api_build_path (path, "bucket", bucket, NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_get_analytics_async,
                        cancellable, callback, user_data);
}

/* → record_finish: {"events": […], "totals_by_currency": […], …} */
void
eva_api_client_get_analytics_summary_async (EvaApiClient        *self,
                                            const char          *from,
                                            const char          *to,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  _eva_api_client_call (self, "GET",
                        _eva_api_build_path ("/api/v1/admin/analytics/events", "from", from, "to", to, NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_get_analytics_summary_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_export_analytics_async (EvaApiClient        *self,
                                       const char          *event_id,
                                       const char          *table,
                                       const char          *bucket,
                                       const char          *from,
                                       const char          *to,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (EVA_IS_API_CLIENT (self));

  if (event_id != NULL)
    {
      g_autofree char *escaped = _eva_api_escape (event_id);
      g_autofree char *base = g_strconcat ("/api/v1/admin/events/", escaped, "/analytics", NULL);

      path = _eva_api_build_path (base, "table", table, "bucket", bucket, NULL);
    }
  else
    path = _eva_api_build_path ("/api/v1/admin/analytics/events", "from", from, "to", to, NULL);
  task = _eva_api_client_request_new (self, "GET", g_steal_pointer (&path), NULL, EVA_API_RESULT_BYTES, TRUE,
                                      eva_api_client_export_analytics_async,
                                      cancellable, callback, user_data);
  _eva_api_client_request_set_accept (task, "text/csv");
  _eva_api_client_send (task);
}

/**
 * eva_api_client_export_analytics_finish:
 *
 * Returns: (transfer full): the CSV text (UTF-8, CRLF line ends, a header
 *   line first)
 */
GBytes *
eva_api_client_export_analytics_finish (EvaApiClient  *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);

  if (resp == NULL)
    return NULL;
  return g_steal_pointer (&resp->bytes);
}

/* ------------------------------------------------------------------ */
/* Public API: payments                                               */
/* ------------------------------------------------------------------ */

/**
 * eva_api_client_refund_booking_async:
 * @fields: {"amount"?, "reason"?, "note"?, "settled"?}; no amount refunds
 *   all that is left
 * @idempotency_key: (nullable): the same for a refund asked again (the
 *   answer to the first one lost, or a failure): the server then does it
 *   once and answers with the same refund; a new one for another refund
 *
 * → payment_finish, with the refund.
 */
void
eva_api_client_refund_booking_async (EvaApiClient        *self,
                                     const char          *id,
                                     JsonObject          *fields,
                                     const char          *idempotency_key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  GTask *task;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  task = _eva_api_client_request_new (self, "POST",
                                      g_strconcat ("/api/v1/admin/bookings/", escaped, "/refund", NULL),
                                      fields, EVA_API_RESULT_RECORD, TRUE,
                                      eva_api_client_refund_booking_async, cancellable, callback,
                                      user_data);
  if (idempotency_key != NULL)
    _eva_api_client_request_set_idempotency_key (task, idempotency_key);
  _eva_api_client_send (task);
}

/* @fields: {"amount", "paid_on": "YYYY-MM-DD", "reference"?} →
 * payment_finish. */
void
eva_api_client_mark_paid_async (EvaApiClient        *self,
                                const char          *id,
                                JsonObject          *fields,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/bookings/", escaped, "/mark-paid", NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_mark_paid_async,
                        cancellable, callback, user_data);
}

/**
 * eva_api_client_payment_finish:
 * @refund: (out) (optional) (nullable): the refund, when the answer has one
 *
 * Returns: (transfer full): the booking as it is after the call
 */
EvaRecord *
eva_api_client_payment_finish (EvaApiClient  *self,
                               GAsyncResult  *result,
                               EvaRecord    **refund,
                               GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);
  JsonObject *root;
  JsonNode *booking;
  JsonNode *made;

  if (refund != NULL)
    *refund = NULL;
  if (resp == NULL)
    return NULL;

  root = json_node_get_object (resp->node);
  booking = json_object_get_member (root, "booking");
  if (booking == NULL || !JSON_NODE_HOLDS_OBJECT (booking))
    {
      g_set_error_literal (error, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE,
                           _("The server’s answer could not be read"));
      return NULL;
    }
  made = json_object_get_member (root, "refund");
  if (refund != NULL && made != NULL && JSON_NODE_HOLDS_OBJECT (made))
    *refund = eva_record_new (json_node_get_object (made));
  return eva_record_new (json_node_get_object (booking));
}

/* ------------------------------------------------------------------ */
/* Public API: tickets                                                */
/* ------------------------------------------------------------------ */

/* Every ticket of the booking, revoked ones too, in the order they were
 * issued → list_finish. */
void
eva_api_client_list_booking_tickets_async (EvaApiClient        *self,
                                           const char          *booking_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (booking_id != NULL);

  escaped = _eva_api_escape (booking_id);
  _eva_api_client_call (self, "GET",
                        g_strconcat ("/api/v1/admin/bookings/", escaped, "/tickets", NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_booking_tickets_async,
                        cancellable, callback, user_data);
}

/* @fields: {"holder_name": "…"} ("" for none) → record_finish: the ticket. */
void
eva_api_client_update_ticket_async (EvaApiClient        *self,
                                    const char          *id,
                                    JsonObject          *fields,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "PATCH", g_strconcat ("/api/v1/admin/tickets/", escaped, NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_update_ticket_async,
                        cancellable, callback, user_data);
}

/* A new code for the ticket; the old one is revoked → record_finish: the
 * new ticket. A ticket no longer valid is refused (409). */
void
eva_api_client_reissue_ticket_async (EvaApiClient        *self,
                                     const char          *id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/tickets/", escaped, "/reissue", NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_reissue_ticket_async,
                        cancellable, callback, user_data);
}

/* Queues the ticket mail of the booking again → empty_finish. Refused
 * with 429 too_many_attempts (and a Retry-After, see
 * eva_api_error_get_retry_after()) when it was queued moments ago, and
 * with 409 no_tickets when the booking has no valid ticket. */
void
eva_api_client_resend_tickets_async (EvaApiClient        *self,
                                     const char          *booking_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (booking_id != NULL);

  escaped = _eva_api_escape (booking_id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/bookings/", escaped, "/tickets/resend", NULL),
                        NULL, EVA_API_RESULT_EMPTY, eva_api_client_resend_tickets_async,
                        cancellable, callback, user_data);
}

/* The booking's valid tickets as a PDF, a page each (only @ticket_id's
 * when given), in the server's paper size and language →
 * download_finish. */
void
eva_api_client_tickets_pdf_async (EvaApiClient        *self,
                                  const char          *booking_id,
                                  const char          *ticket_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (booking_id != NULL);

  escaped = _eva_api_escape (booking_id);
  path = g_strconcat ("/api/v1/admin/bookings/", escaped, "/tickets.pdf", NULL);
  task = _eva_api_client_request_new (self, "GET", _eva_api_build_path (path, "ticket", ticket_id, NULL),
                                      NULL, EVA_API_RESULT_BYTES, TRUE,
                                      eva_api_client_tickets_pdf_async, cancellable, callback,
                                      user_data);
  _eva_api_client_request_set_accept (task, "application/pdf");
  _eva_api_client_send (task);
}

/**
 * eva_api_client_download_finish:
 * @filename: (out) (optional) (nullable): the file name the server
 *   suggests (Content-Disposition), without any folder
 *
 * Returns: (transfer full): the body as it came
 */
GBytes *
eva_api_client_download_finish (EvaApiClient  *self,
                                GAsyncResult  *result,
                                char         **filename,
                                GError       **error)
{
  g_autoptr(EvaApiResponse) resp = _eva_api_client_response_finish (self, result, error);

  if (filename != NULL)
    *filename = NULL;
  if (resp == NULL)
    return NULL;
  if (filename != NULL)
    *filename = g_steal_pointer (&resp->filename);
  return g_steal_pointer (&resp->bytes);
}

/* ------------------------------------------------------------------ */
/* Webhooks                                                           */
/* ------------------------------------------------------------------ */

void
eva_api_client_list_webhooks_async (EvaApiClient        *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));

  _eva_api_client_call (self, "GET", g_strdup ("/api/v1/admin/webhooks"), NULL,
                        EVA_API_RESULT_LIST, eva_api_client_list_webhooks_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_create_webhook_async (EvaApiClient        *self,
                                     JsonObject          *fields,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (fields != NULL);

  _eva_api_client_call (self, "POST", g_strdup ("/api/v1/admin/webhooks"), fields,
                        EVA_API_RESULT_RECORD, eva_api_client_create_webhook_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_update_webhook_async (EvaApiClient        *self,
                                     const char          *id,
                                     JsonObject          *fields,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL && fields != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "PATCH", g_strconcat ("/api/v1/admin/webhooks/", escaped, NULL),
                        fields, EVA_API_RESULT_RECORD, eva_api_client_update_webhook_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_delete_webhook_async (EvaApiClient        *self,
                                     const char          *id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "DELETE", g_strconcat ("/api/v1/admin/webhooks/", escaped, NULL),
                        NULL, EVA_API_RESULT_EMPTY, eva_api_client_delete_webhook_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_send_test_webhook_async (EvaApiClient        *self,
                                        const char          *id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "POST", g_strconcat ("/api/v1/admin/webhooks/", escaped, "/test", NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_send_test_webhook_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_list_webhook_deliveries_async (EvaApiClient        *self,
                                              const char          *id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (id != NULL);

  escaped = _eva_api_escape (id);
  _eva_api_client_call (self, "GET",
                        g_strconcat ("/api/v1/admin/webhooks/", escaped, "/deliveries?limit=100", NULL),
                        NULL, EVA_API_RESULT_LIST, eva_api_client_list_webhook_deliveries_async,
                        cancellable, callback, user_data);
}

void
eva_api_client_redeliver_webhook_async (EvaApiClient        *self,
                                        const char          *delivery_id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (EVA_IS_API_CLIENT (self));
  g_return_if_fail (delivery_id != NULL);

  escaped = _eva_api_escape (delivery_id);
  _eva_api_client_call (self, "POST",
                        g_strconcat ("/api/v1/admin/webhook-deliveries/", escaped, "/redeliver", NULL),
                        NULL, EVA_API_RESULT_RECORD, eva_api_client_redeliver_webhook_async,
                        cancellable, callback, user_data);
}
