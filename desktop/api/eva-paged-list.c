/* eva-paged-list.c: a list the server hands out page by page, as a GListModel
 *
 * The model holds the pages fetched so far. eva_paged_list_reload()
 * starts over from the first page, cancelling a page still on its way;
 * what is shown stays until the new first page comes, so a failed reload
 * (offline) leaves the list as it was. eva_paged_list_load_more() fetches
 * the next page with the server's cursor as the view scrolls. "total" is
 * the server's count of the items that match. Failures are reported
 * through "failed", never lost.
 *
 * Subclasses say how a page is asked for (the resource and its filters)
 * in the fetch_page vfunc; the answer is always a list of EvaRecords.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-paged-list"

#include "config.h"

#include "api/eva-api-utils.h"
#include "api/eva-paged-list.h"

#define DEFAULT_PAGE_SIZE 30

typedef struct
{
  EvaApiClient *client;
  GPtrArray    *items;
  GCancellable *cancellable;

  char         *next_cursor;
  gint64        total;
  guint         page_size;
  gboolean      loading;
  gboolean      loaded;
  gboolean      replace;   /* the next page is a first page */
} EvaPagedListPrivate;

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (EvaPagedList, eva_paged_list, G_TYPE_OBJECT,
                                  G_ADD_PRIVATE (EvaPagedList)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_CLIENT,
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
set_loading (EvaPagedList *self,
             gboolean      loading)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  if (priv->loading == loading)
    return;
  priv->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_loaded (EvaPagedList *self,
            gboolean      loaded)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  if (priv->loaded == loaded)
    return;
  priv->loaded = loaded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
set_total (EvaPagedList *self,
           gint64        total)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  if (priv->total == total)
    return;
  priv->total = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

static void
set_cursor (EvaPagedList *self,
            char         *cursor)  /* taken */
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);
  gboolean had_more = priv->next_cursor != NULL;

  g_free (priv->next_cursor);
  priv->next_cursor = cursor;
  if (had_more != (cursor != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
}

/* Puts @page (NULL: nothing) in place of the items at @position and
 * after; @position 0 replaces all, the end appends. */
static void
splice_tail (EvaPagedList *self,
             guint         position,
             GPtrArray    *page)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);
  guint removed = priv->items->len - position;

  g_ptr_array_set_size (priv->items, position);
  for (guint i = 0; page != NULL && i < page->len; i++)
    g_ptr_array_add (priv->items, g_object_ref (g_ptr_array_index (page, i)));
  if (removed == 0 && priv->items->len == position)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, priv->items->len - position);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
page_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EvaPagedList) self = user_data;
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  char *cursor = NULL;
  gint64 total = 0;

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
  /* A first page replaces what was shown only once it is here. */
  splice_tail (self, priv->replace ? 0 : priv->items->len, page);
  priv->replace = FALSE;
  set_loaded (self, TRUE);
  set_loading (self, FALSE);
}

static void
fetch (EvaPagedList *self,
       const char   *cursor)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  set_loading (self, TRUE);
  EVA_PAGED_LIST_GET_CLASS (self)->fetch_page (self, priv->client, cursor, priv->page_size,
                                               priv->cancellable, page_loaded_cb,
                                               g_object_ref (self));
}

/* ------------------------------------------------------------------ */
/* GListModel                                                         */
/* ------------------------------------------------------------------ */

static GType
eva_paged_list_get_item_type (GListModel *model)
{
  return EVA_TYPE_RECORD;
}

static guint
eva_paged_list_get_n_items (GListModel *model)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (EVA_PAGED_LIST (model));

  return priv->items->len;
}

static gpointer
eva_paged_list_get_item (GListModel *model,
                         guint       position)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (EVA_PAGED_LIST (model));

  if (position >= priv->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (priv->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = eva_paged_list_get_item_type;
  iface->get_n_items = eva_paged_list_get_n_items;
  iface->get_item = eva_paged_list_get_item;
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_paged_list_dispose (GObject *object)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (EVA_PAGED_LIST (object));

  g_cancellable_cancel (priv->cancellable);
  g_clear_object (&priv->cancellable);
  g_clear_object (&priv->client);
  if (priv->items != NULL)
    g_ptr_array_set_size (priv->items, 0);

  G_OBJECT_CLASS (eva_paged_list_parent_class)->dispose (object);
}

static void
eva_paged_list_finalize (GObject *object)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (EVA_PAGED_LIST (object));

  g_clear_pointer (&priv->items, g_ptr_array_unref);
  g_free (priv->next_cursor);

  G_OBJECT_CLASS (eva_paged_list_parent_class)->finalize (object);
}

static void
eva_paged_list_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (EVA_PAGED_LIST (object));

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, priv->client);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, priv->loading);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, priv->loaded);
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, priv->next_cursor != NULL);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, priv->items->len);
      break;
    case PROP_TOTAL:
      g_value_set_int64 (value, priv->total);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_paged_list_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (EVA_PAGED_LIST (object));

  switch (prop_id)
    {
    case PROP_CLIENT:
      priv->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_paged_list_class_init (EvaPagedListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eva_paged_list_dispose;
  object_class->finalize = eva_paged_list_finalize;
  object_class->get_property = eva_paged_list_get_property;
  object_class->set_property = eva_paged_list_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, EVA_TYPE_API_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
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
   * EvaPagedList::failed:
   * @error: why the page did not come
   */
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
eva_paged_list_init (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  priv->items = g_ptr_array_new_with_free_func (g_object_unref);
  priv->cancellable = g_cancellable_new ();
  priv->page_size = DEFAULT_PAGE_SIZE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_paged_list_get_client:
 *
 * Returns: (transfer none): the client the pages are asked of
 */
EvaApiClient *
eva_paged_list_get_client (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_val_if_fail (EVA_IS_PAGED_LIST (self), NULL);
  return priv->client;
}

/* Items a page, from 1 to 100; takes effect from the next page on. */
void
eva_paged_list_set_page_size (EvaPagedList *self,
                              guint         page_size)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_if_fail (EVA_IS_PAGED_LIST (self));
  priv->page_size = CLAMP (page_size, 1, 100);
}

/* Starts over from the first page; what is shown stays until it comes. */
void
eva_paged_list_reload (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_if_fail (EVA_IS_PAGED_LIST (self));

  eva_cancellable_renew (&priv->cancellable);
  priv->replace = TRUE;
  set_cursor (self, NULL);
  fetch (self, NULL);
}

void
eva_paged_list_load_more (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_if_fail (EVA_IS_PAGED_LIST (self));

  if (priv->loading || priv->next_cursor == NULL)
    return;
  fetch (self, priv->next_cursor);
}

/* Drops a page still on its way; what is shown stays. */
void
eva_paged_list_cancel (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_if_fail (EVA_IS_PAGED_LIST (self));

  eva_cancellable_renew (&priv->cancellable);
  set_loading (self, FALSE);
}

/* Empties the list: nothing loaded, nothing more to load. */
void
eva_paged_list_clear (EvaPagedList *self)
{
  g_return_if_fail (EVA_IS_PAGED_LIST (self));

  set_loaded (self, FALSE);
  set_cursor (self, NULL);
  set_total (self, 0);
  splice_tail (self, 0, NULL);
}

gboolean
eva_paged_list_get_loading (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_val_if_fail (EVA_IS_PAGED_LIST (self), FALSE);
  return priv->loading;
}

gboolean
eva_paged_list_get_has_more (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_val_if_fail (EVA_IS_PAGED_LIST (self), FALSE);
  return priv->next_cursor != NULL;
}

/* TRUE once a first page has come (so "empty" means empty). */
gboolean
eva_paged_list_get_loaded (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_val_if_fail (EVA_IS_PAGED_LIST (self), FALSE);
  return priv->loaded;
}

/* How many items match, by the server's count (the length of the last
 * page when the server does not count). */
gint64
eva_paged_list_get_total (EvaPagedList *self)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_val_if_fail (EVA_IS_PAGED_LIST (self), 0);
  return priv->total;
}

/* After a change: the item with @record's id takes the new content.
 * Returns FALSE when it is not in the list. */
gboolean
eva_paged_list_update (EvaPagedList *self,
                       EvaRecord    *record)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_val_if_fail (EVA_IS_PAGED_LIST (self), FALSE);
  g_return_val_if_fail (EVA_IS_RECORD (record), FALSE);

  for (guint i = 0; i < priv->items->len; i++)
    {
      EvaRecord *item = g_ptr_array_index (priv->items, i);

      if (g_strcmp0 (eva_record_get_id (item), eva_record_get_id (record)) == 0)
        {
          if (item != record)
            eva_record_set_object (item, eva_record_get_object (record));
          g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 1);
          return TRUE;
        }
    }
  return FALSE;
}

/* Puts @record first (a new one, made here). */
void
eva_paged_list_prepend (EvaPagedList *self,
                        EvaRecord    *record)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_if_fail (EVA_IS_PAGED_LIST (self));
  g_return_if_fail (EVA_IS_RECORD (record));

  g_ptr_array_insert (priv->items, 0, g_object_ref (record));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

void
eva_paged_list_remove (EvaPagedList *self,
                       const char   *id)
{
  EvaPagedListPrivate *priv = eva_paged_list_get_instance_private (self);

  g_return_if_fail (EVA_IS_PAGED_LIST (self));

  for (guint i = 0; i < priv->items->len; i++)
    if (g_strcmp0 (eva_record_get_id (g_ptr_array_index (priv->items, i)), id) == 0)
      {
        g_ptr_array_remove_index (priv->items, i);
        g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 0);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
        return;
      }
}
