/* eva-event-list.c: the server's events as a GListModel, page by page
 *
 * An EvaPagedList. Changing the search, status or sort starts over
 * (cancelling a page still on its way); eva_event_list_load_more()
 * fetches the next page with the server's cursor, which the list view
 * calls as the user scrolls to the end. Failures are reported through
 * the "failed" signal, never lost.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-event-list"

#include "config.h"

#include "api/eva-api-utils.h"
#include "api/eva-event-list.h"

#define DEFAULT_PAGE_SIZE 30

struct _EvaEventList
{
  EvaPagedList  parent_instance;

  char         *search;
  char         *status;
  char         *sort;
  gboolean      started;
};

G_DEFINE_FINAL_TYPE (EvaEventList, eva_event_list, EVA_TYPE_PAGED_LIST)

/* ------------------------------------------------------------------ */
/* EvaPagedList                                                       */
/* ------------------------------------------------------------------ */

static void
eva_event_list_fetch_page (EvaPagedList        *list,
                           EvaApiClient        *client,
                           const char          *cursor,
                           guint                limit,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  EvaEventList *self = EVA_EVENT_LIST (list);

  eva_api_client_list_events_async (client, self->search, self->status, self->sort,
                                    cursor, limit, cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_event_list_finalize (GObject *object)
{
  EvaEventList *self = EVA_EVENT_LIST (object);

  g_free (self->search);
  g_free (self->status);
  g_free (self->sort);

  G_OBJECT_CLASS (eva_event_list_parent_class)->finalize (object);
}

static void
eva_event_list_class_init (EvaEventListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  EvaPagedListClass *list_class = EVA_PAGED_LIST_CLASS (klass);

  object_class->finalize = eva_event_list_finalize;
  list_class->fetch_page = eva_event_list_fetch_page;
}

static void
eva_event_list_init (EvaEventList *self)
{
  eva_paged_list_set_page_size (EVA_PAGED_LIST (self), DEFAULT_PAGE_SIZE);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaEventList *
eva_event_list_new (EvaApiClient *client)
{
  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);

  return g_object_new (EVA_TYPE_EVENT_LIST, "client", client, NULL);
}

void
eva_event_list_set_search (EvaEventList *self,
                           const char   *search)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  if (eva_set_filter_string (&self->search, search) && self->started)
    eva_event_list_reload (self);
}

/* One status ("draft") or several ("draft,published"); NULL for all. */
void
eva_event_list_set_status (EvaEventList *self,
                           const char   *status)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  if (eva_set_filter_string (&self->status, status) && self->started)
    eva_event_list_reload (self);
}

void
eva_event_list_set_sort (EvaEventList *self,
                         const char   *sort)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  if (eva_set_filter_string (&self->sort, sort) && self->started)
    eva_event_list_reload (self);
}

void
eva_event_list_set_page_size (EvaEventList *self,
                              guint         page_size)
{
  eva_paged_list_set_page_size (EVA_PAGED_LIST (self), page_size);
}

/* Starts over from the first page; what is shown stays until it comes.
 * Until the first reload, changing the filters asks for nothing. */
void
eva_event_list_reload (EvaEventList *self)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));

  self->started = TRUE;
  eva_paged_list_reload (EVA_PAGED_LIST (self));
}

void
eva_event_list_load_more (EvaEventList *self)
{
  eva_paged_list_load_more (EVA_PAGED_LIST (self));
}

void
eva_event_list_clear (EvaEventList *self)
{
  eva_paged_list_clear (EVA_PAGED_LIST (self));
}

gboolean
eva_event_list_get_loading (EvaEventList *self)
{
  return eva_paged_list_get_loading (EVA_PAGED_LIST (self));
}

gboolean
eva_event_list_get_has_more (EvaEventList *self)
{
  return eva_paged_list_get_has_more (EVA_PAGED_LIST (self));
}

/* TRUE once a first page has come (so "empty" means empty). */
gboolean
eva_event_list_get_loaded (EvaEventList *self)
{
  return eva_paged_list_get_loaded (EVA_PAGED_LIST (self));
}

/* After a save: the record with that id takes the new content; a new
 * event goes first. */
void
eva_event_list_update (EvaEventList *self,
                       EvaRecord    *event)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  g_return_if_fail (EVA_IS_RECORD (event));

  if (!eva_paged_list_update (EVA_PAGED_LIST (self), event))
    eva_paged_list_prepend (EVA_PAGED_LIST (self), event);
}

void
eva_event_list_remove (EvaEventList *self,
                       const char   *id)
{
  eva_paged_list_remove (EVA_PAGED_LIST (self), id);
}
