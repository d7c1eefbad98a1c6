/* eva-booking-list.c: the bookings of one event as a GListModel, page by page
 *
 * An EvaPagedList, newest booking first. The search (name or email) and
 * the status filter are the server's: changing either starts over from
 * the first page, cancelling a page still on its way;
 * eva_booking_list_load_more() fetches the next page with the server's
 * cursor as the view scrolls. "total" is the server's count of the
 * bookings that match. Failures are reported through "failed".
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-booking-list"

#include "config.h"

#include "api/eva-api-utils.h"
#include "api/eva-booking-list.h"

#define DEFAULT_PAGE_SIZE 50

struct _EvaBookingList
{
  EvaPagedList  parent_instance;

  char         *event_id;
  char         *search;
  char         *status;
};

G_DEFINE_FINAL_TYPE (EvaBookingList, eva_booking_list, EVA_TYPE_PAGED_LIST)

/* ------------------------------------------------------------------ */
/* EvaPagedList                                                       */
/* ------------------------------------------------------------------ */

static void
eva_booking_list_fetch_page (EvaPagedList        *list,
                             EvaApiClient        *client,
                             const char          *cursor,
                             guint                limit,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  EvaBookingList *self = EVA_BOOKING_LIST (list);

  eva_api_client_list_bookings_async (client, self->event_id, self->search, self->status,
                                      cursor, limit, cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_booking_list_finalize (GObject *object)
{
  EvaBookingList *self = EVA_BOOKING_LIST (object);

  g_free (self->event_id);
  g_free (self->search);
  g_free (self->status);

  G_OBJECT_CLASS (eva_booking_list_parent_class)->finalize (object);
}

static void
eva_booking_list_class_init (EvaBookingListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  EvaPagedListClass *list_class = EVA_PAGED_LIST_CLASS (klass);

  object_class->finalize = eva_booking_list_finalize;
  list_class->fetch_page = eva_booking_list_fetch_page;
}

static void
eva_booking_list_init (EvaBookingList *self)
{
  eva_paged_list_set_page_size (EVA_PAGED_LIST (self), DEFAULT_PAGE_SIZE);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaBookingList *
eva_booking_list_new (EvaApiClient *client)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);

  return g_object_new (EVA_TYPE_BOOKING_LIST, "client", client, NULL);
}

/* Another event: what was shown goes at once (it is another event's),
 * and the first page of this one is asked for. NULL shows nothing. */
void
eva_booking_list_set_event_id (EvaBookingList *self,
                               const char     *event_id)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));

  if (!eva_set_filter_string (&self->event_id, event_id))
    return;
  eva_paged_list_cancel (EVA_PAGED_LIST (self));
  eva_booking_list_clear (self);
  if (self->event_id != NULL)
    eva_booking_list_reload (self);
}

const char *
eva_booking_list_get_event_id (EvaBookingList *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), NULL);
  return self->event_id;
}

void
eva_booking_list_set_search (EvaBookingList *self,
                             const char     *search)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));
  if (eva_set_filter_string (&self->search, search) && self->event_id != NULL)
    eva_booking_list_reload (self);
}

const char *
eva_booking_list_get_search (EvaBookingList *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), NULL);
  return self->search;
}

/* One booking status ("confirmed"), or NULL for all. */
void
eva_booking_list_set_status (EvaBookingList *self,
                             const char     *status)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));
  if (eva_set_filter_string (&self->status, status) && self->event_id != NULL)
    eva_booking_list_reload (self);
}

const char *
eva_booking_list_get_status (EvaBookingList *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), NULL);
  return self->status;
}

void
eva_booking_list_set_page_size (EvaBookingList *self,
                                guint           page_size)
{
  eva_paged_list_set_page_size (EVA_PAGED_LIST (self), page_size);
}

/* Starts over from the first page; what is shown stays until it comes.
 * Without an event there is nothing to ask for. */
void
eva_booking_list_reload (EvaBookingList *self)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));

  if (self->event_id == NULL)
    eva_paged_list_cancel (EVA_PAGED_LIST (self));
  else
    eva_paged_list_reload (EVA_PAGED_LIST (self));
}

void
eva_booking_list_load_more (EvaBookingList *self)
{
  eva_paged_list_load_more (EVA_PAGED_LIST (self));
}

void
eva_booking_list_clear (EvaBookingList *self)
{
  eva_paged_list_clear (EVA_PAGED_LIST (self));
}

gboolean
eva_booking_list_get_loading (EvaBookingList *self)
{
  return eva_paged_list_get_loading (EVA_PAGED_LIST (self));
}

gboolean
eva_booking_list_get_has_more (EvaBookingList *self)
{
  return eva_paged_list_get_has_more (EVA_PAGED_LIST (self));
}

/* TRUE once a first page has come (so "empty" means empty). */
gboolean
eva_booking_list_get_loaded (EvaBookingList *self)
{
  return eva_paged_list_get_loaded (EVA_PAGED_LIST (self));
}

/* How many bookings match, by the server's count. */
gint64
eva_booking_list_get_total (EvaBookingList *self)
{
  return eva_paged_list_get_total (EVA_PAGED_LIST (self));
}

/* After a change (a cancellation): the booking with that id takes the new
 * content. Returns FALSE when it is not in the list. */
gboolean
eva_booking_list_update (EvaBookingList *self,
                         EvaRecord      *booking)
{
  return eva_paged_list_update (EVA_PAGED_LIST (self), booking);
}
