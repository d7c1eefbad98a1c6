/* eva-event-list.c: the server's events as a GListModel, page by page
 *
 * The model holds the pages fetched so far. Changing the search, status
 * or sort starts over (cancelling a page still on its way);
 * eva_event_list_load_more() fetches the next page with the server's
 * cursor, which the list view calls as the user scrolls to the end.
 * Failures are reported through the "failed" signal, never lost.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-event-list"

#include "config.h"

#include "eva-event-list.h"

#define DEFAULT_PAGE_SIZE 30

struct _EvaEventList
{
  GObject       parent_instance;

  EvaApiClient *client;
  GPtrArray    *items;
  GCancellable *cancellable;

  char         *search;
  char         *status;
  char         *sort;
  char         *next_cursor;
  guint         page_size;
  gboolean      loading;
  gboolean      loaded;
  gboolean      started;
  gboolean      replace;   /* the next page is a first page */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EvaEventList, eva_event_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_HAS_MORE,
  PROP_N_ITEMS,
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
set_loading (EvaEventList *self,
             gboolean      loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_cursor (EvaEventList *self,
            char         *cursor)  /* taken */
{
  gboolean had_more = self->next_cursor != NULL;

  g_free (self->next_cursor);
  self->next_cursor = cursor;
  if (had_more != (cursor != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
}

static void
page_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EvaEventList) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  char *cursor = NULL;
  guint position;

  page = eva_api_client_list_finish (EVA_API_CLIENT (source), result, &cursor, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_loading (self, FALSE);
  if (page == NULL)
    {
      g_signal_emit (self, signals[FAILED], 0, error);
      return;
    }

  self->loaded = TRUE;
  set_cursor (self, cursor);
  if (self->replace)
    {
      guint removed = self->items->len;

      /* A first page replaces what was shown only once it is here, so a
       * failed reload (offline) leaves the list as it was. */
      self->replace = FALSE;
      g_ptr_array_set_size (self->items, 0);
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (page, i)));
      g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, page->len);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      return;
    }
  position = self->items->len;
  for (guint i = 0; i < page->len; i++)
    g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (page, i)));
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, page->len);
  if (page->len > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
fetch (EvaEventList *self,
       const char   *cursor)
{
  set_loading (self, TRUE);
  eva_api_client_list_events_async (self->client, self->search, self->status, self->sort,
                                    cursor, self->page_size, self->cancellable,
                                    page_loaded_cb, g_object_ref (self));
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
eva_event_list_get_item_type (GListModel *model)
{
  return EVA_TYPE_RECORD;
}

static guint
eva_event_list_get_n_items (GListModel *model)
{
  return EVA_EVENT_LIST (model)->items->len;
}

static gpointer
eva_event_list_get_item (GListModel *model,
                         guint       position)
{
  EvaEventList *self = EVA_EVENT_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = eva_event_list_get_item_type;
  iface->get_n_items = eva_event_list_get_n_items;
  iface->get_item = eva_event_list_get_item;
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_event_list_dispose (GObject *object)
{
  EvaEventList *self = EVA_EVENT_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  if (self->items != NULL)
    g_ptr_array_set_size (self->items, 0);

  G_OBJECT_CLASS (eva_event_list_parent_class)->dispose (object);
}

static void
eva_event_list_finalize (GObject *object)
{
  EvaEventList *self = EVA_EVENT_LIST (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_free (self->search);
  g_free (self->status);
  g_free (self->sort);
  g_free (self->next_cursor);

  G_OBJECT_CLASS (eva_event_list_parent_class)->finalize (object);
}

static void
eva_event_list_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EvaEventList *self = EVA_EVENT_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, self->next_cursor != NULL);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_event_list_class_init (EvaEventListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eva_event_list_dispose;
  object_class->finalize = eva_event_list_finalize;
  object_class->get_property = eva_event_list_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_MORE] =
    g_param_spec_boolean ("has-more", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvaEventList::failed:
   * @error: why the page did not come
   */
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
eva_event_list_init (EvaEventList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->page_size = DEFAULT_PAGE_SIZE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaEventList *
eva_event_list_new (EvaApiClient *client)
{
  EvaEventList *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);

  self = g_object_new (EVA_TYPE_EVENT_LIST, NULL);
  self->client = g_object_ref (client);
  return self;
}

void
eva_event_list_set_search (EvaEventList *self,
                           const char   *search)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  if (set_string (&self->search, search) && self->started)
    eva_event_list_reload (self);
}

/* One status ("draft") or several ("draft,published"); NULL for all. */
void
eva_event_list_set_status (EvaEventList *self,
                           const char   *status)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  if (set_string (&self->status, status) && self->started)
    eva_event_list_reload (self);
}

void
eva_event_list_set_sort (EvaEventList *self,
                         const char   *sort)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  if (set_string (&self->sort, sort) && self->started)
    eva_event_list_reload (self);
}

void
eva_event_list_set_page_size (EvaEventList *self,
                              guint         page_size)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  self->page_size = CLAMP (page_size, 1, 100);
}

/* Starts over from the first page; what is shown stays until it comes. */
void
eva_event_list_reload (EvaEventList *self)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->started = TRUE;
  self->replace = TRUE;
  set_cursor (self, NULL);
  fetch (self, NULL);
}

void
eva_event_list_load_more (EvaEventList *self)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));

  if (self->loading || self->next_cursor == NULL)
    return;
  fetch (self, self->next_cursor);
}

void
eva_event_list_clear (EvaEventList *self)
{
  guint removed;

  g_return_if_fail (EVA_IS_EVENT_LIST (self));

  self->loaded = FALSE;
  removed = self->items->len;
  if (removed == 0)
    return;
  g_ptr_array_set_size (self->items, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

gboolean
eva_event_list_get_loading (EvaEventList *self)
{
  g_return_val_if_fail (EVA_IS_EVENT_LIST (self), FALSE);
  return self->loading;
}

gboolean
eva_event_list_get_has_more (EvaEventList *self)
{
  g_return_val_if_fail (EVA_IS_EVENT_LIST (self), FALSE);
  return self->next_cursor != NULL;
}

/* TRUE once a first page has come (so "empty" means empty). */
gboolean
eva_event_list_get_loaded (EvaEventList *self)
{
  g_return_val_if_fail (EVA_IS_EVENT_LIST (self), FALSE);
  return self->loaded;
}

/* After a save: the record with that id takes the new content; a new
 * event goes first. */
void
eva_event_list_update (EvaEventList *self,
                       EvaRecord    *event)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));
  g_return_if_fail (EVA_IS_RECORD (event));

  for (guint i = 0; i < self->items->len; i++)
    {
      EvaRecord *item = g_ptr_array_index (self->items, i);

      if (g_strcmp0 (eva_record_get_id (item), eva_record_get_id (event)) == 0)
        {
          if (item != event)
            eva_record_set_object (item, eva_record_get_object (event));
          g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 1);
          return;
        }
    }
  g_ptr_array_insert (self->items, 0, g_object_ref (event));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

void
eva_event_list_remove (EvaEventList *self,
                       const char   *id)
{
  g_return_if_fail (EVA_IS_EVENT_LIST (self));

  for (guint i = 0; i < self->items->len; i++)
    if (g_strcmp0 (eva_record_get_id (g_ptr_array_index (self->items, i)), id) == 0)
      {
        g_ptr_array_remove_index (self->items, i);
        g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 0);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
        return;
      }
}
