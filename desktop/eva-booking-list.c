/* eva-booking-list.c: the bookings of one event as a GListModel, page by page
 *
 * The model holds the pages fetched so far, newest booking first. The
 * search (name or email) and the status filter are the server's: changing
 * either starts over from the first page, cancelling a page still on its
 * way; eva_booking_list_load_more() fetches the next page with the
 * server's cursor as the view scrolls. "total" is the server's count of
 * the bookings that match. Failures are reported through "failed".
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-booking-list"

#include "config.h"

#include "eva-booking-list.h"

#define DEFAULT_PAGE_SIZE 50

struct _EvaBookingList
{
  GObject       parent_instance;

  EvaApiClient *client;
  GPtrArray    *items;
  GCancellable *cancellable;

  char         *event_id;
  char         *search;
  char         *status;
  char         *next_cursor;
  gint64        total;
  guint         page_size;
  gboolean      loading;
  gboolean      loaded;
  gboolean      replace;   /* the next page is a first page */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EvaBookingList, eva_booking_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_LOADED,
  PROP_HAS_MORE,
  PROP_N_ITEMS,
  PROP_TOTAL,
  N_PROPS
};

enum {
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
set_loading (EvaBookingList *self,
             gboolean        loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_loaded (EvaBookingList *self,
            gboolean        loaded)
{
  if (self->loaded == loaded)
    return;
  self->loaded = loaded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
set_total (EvaBookingList *self,
           gint64          total)
{
  if (self->total == total)
    return;
  self->total = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

static void
set_cursor (EvaBookingList *self,
            char           *cursor)  /* taken */
{
  gboolean had_more = self->next_cursor != NULL;

  g_free (self->next_cursor);
  self->next_cursor = cursor;
  if (had_more != (cursor != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
}

static void
replace_items (EvaBookingList *self,
               GPtrArray      *page)
{
  guint removed = self->items->len;

  g_ptr_array_set_size (self->items, 0);
  for (guint i = 0; page != NULL && i < page->len; i++)
    g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (page, i)));
  if (removed == 0 && self->items->len == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->items->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
page_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EvaBookingList) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  char *cursor = NULL;
  gint64 total = 0;
  guint position;

  page = eva_api_client_list_finish (EVA_API_CLIENT (source), result, &cursor, &total, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (page == NULL)
    {
      set_loading (self, FALSE);
      g_signal_emit (self, signals[FAILED], 0, error);
      return;
    }

  set_cursor (self, cursor);
  set_total (self, total);
  if (self->replace)
    {
      /* A first page replaces what was shown only once it is here, so a
       * failed reload (offline) leaves the list as it was. */
      self->replace = FALSE;
      replace_items (self, page);
    }
  else if (page->len > 0)
    {
      position = self->items->len;
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (page, i)));
      g_list_model_items_changed (G_LIST_MODEL (self), position, 0, page->len);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  set_loaded (self, TRUE);
  set_loading (self, FALSE);
}

static void
fetch (EvaBookingList *self,
       const char     *cursor)
{
  set_loading (self, TRUE);
  eva_api_client_list_bookings_async (self->client, self->event_id, self->search, self->status,
                                      cursor, self->page_size, self->cancellable,
                                      page_loaded_cb, g_object_ref (self));
}

static void
restart (EvaBookingList *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_loading (self, FALSE);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* GListModel                                                         */
/* ------------------------------------------------------------------ */

static GType
eva_booking_list_get_item_type (GListModel *model)
{
  return EVA_TYPE_RECORD;
}

static guint
eva_booking_list_get_n_items (GListModel *model)
{
  return EVA_BOOKING_LIST (model)->items->len;
}

static gpointer
eva_booking_list_get_item (GListModel *model,
                           guint       position)
{
  EvaBookingList *self = EVA_BOOKING_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = eva_booking_list_get_item_type;
  iface->get_n_items = eva_booking_list_get_n_items;
  iface->get_item = eva_booking_list_get_item;
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_booking_list_dispose (GObject *object)
{
  EvaBookingList *self = EVA_BOOKING_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  if (self->items != NULL)
    g_ptr_array_set_size (self->items, 0);

  G_OBJECT_CLASS (eva_booking_list_parent_class)->dispose (object);
}

static void
eva_booking_list_finalize (GObject *object)
{
  EvaBookingList *self = EVA_BOOKING_LIST (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_free (self->event_id);
  g_free (self->search);
  g_free (self->status);
  g_free (self->next_cursor);

  G_OBJECT_CLASS (eva_booking_list_parent_class)->finalize (object);
}

static void
eva_booking_list_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EvaBookingList *self = EVA_BOOKING_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, self->next_cursor != NULL);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    case PROP_TOTAL:
      g_value_set_int64 (value, self->total);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_booking_list_class_init (EvaBookingListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eva_booking_list_dispose;
  object_class->finalize = eva_booking_list_finalize;
  object_class->get_property = eva_booking_list_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_MORE] =
    g_param_spec_boolean ("has-more", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL] =
    g_param_spec_int64 ("total", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvaBookingList::failed:
   * @error: why the page did not come
   */
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
eva_booking_list_init (EvaBookingList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->page_size = DEFAULT_PAGE_SIZE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaBookingList *
eva_booking_list_new (EvaApiClient *client)
{
  EvaBookingList *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);

  self = g_object_new (EVA_TYPE_BOOKING_LIST, NULL);
  self->client = g_object_ref (client);
  return self;
}

/* Another event: what was shown goes at once (it is another event's),
 * and the first page of this one is asked for. NULL shows nothing. */
void
eva_booking_list_set_event_id (EvaBookingList *self,
                               const char     *event_id)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));

  if (!set_string (&self->event_id, event_id))
    return;
  restart (self);
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
  if (set_string (&self->search, search) && self->event_id != NULL)
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
  if (set_string (&self->status, status) && self->event_id != NULL)
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
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));
  self->page_size = CLAMP (page_size, 1, 100);
}

/* Starts over from the first page; what is shown stays until it comes. */
void
eva_booking_list_reload (EvaBookingList *self)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));

  restart (self);
  if (self->event_id == NULL)
    return;
  self->replace = TRUE;
  set_cursor (self, NULL);
  fetch (self, NULL);
}

void
eva_booking_list_load_more (EvaBookingList *self)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));

  if (self->loading || self->next_cursor == NULL)
    return;
  fetch (self, self->next_cursor);
}

void
eva_booking_list_clear (EvaBookingList *self)
{
  g_return_if_fail (EVA_IS_BOOKING_LIST (self));

  set_loaded (self, FALSE);
  set_cursor (self, NULL);
  set_total (self, 0);
  replace_items (self, NULL);
}

gboolean
eva_booking_list_get_loading (EvaBookingList *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), FALSE);
  return self->loading;
}

gboolean
eva_booking_list_get_has_more (EvaBookingList *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), FALSE);
  return self->next_cursor != NULL;
}

/* TRUE once a first page has come (so "empty" means empty). */
gboolean
eva_booking_list_get_loaded (EvaBookingList *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), FALSE);
  return self->loaded;
}

/* How many bookings match, by the server's count. */
gint64
eva_booking_list_get_total (EvaBookingList *self)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), 0);
  return self->total;
}

/* After a change (a cancellation): the booking with that id takes the new
 * content. Returns FALSE when it is not in the list. */
gboolean
eva_booking_list_update (EvaBookingList *self,
                         EvaRecord      *booking)
{
  g_return_val_if_fail (EVA_IS_BOOKING_LIST (self), FALSE);
  g_return_val_if_fail (EVA_IS_RECORD (booking), FALSE);

  for (guint i = 0; i < self->items->len; i++)
    {
      EvaRecord *item = g_ptr_array_index (self->items, i);

      if (g_strcmp0 (eva_record_get_id (item), eva_record_get_id (booking)) == 0)
        {
          if (item != booking)
            eva_record_set_object (item, eva_record_get_object (booking));
          g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 1);
          return TRUE;
        }
    }
  return FALSE;
}
