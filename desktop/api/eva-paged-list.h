/* eva-paged-list.h: a list the server hands out page by page, as a GListModel
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_PAGED_LIST (eva_paged_list_get_type ())

G_DECLARE_DERIVABLE_TYPE (EvaPagedList, eva_paged_list, EVA, PAGED_LIST, GObject)

struct _EvaPagedListClass
{
  GObjectClass parent_class;

  /* Asks @client for the page after @cursor (NULL: the first page); the
   * answer is read with eva_api_client_list_finish(). */
  void (*fetch_page) (EvaPagedList        *self,
                      EvaApiClient        *client,
                      const char          *cursor,
                      guint                limit,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data);

  /*< private >*/
  gpointer padding[8];
};

EvaApiClient *eva_paged_list_get_client    (EvaPagedList *self);
void          eva_paged_list_set_page_size (EvaPagedList *self,
                                            guint         page_size);
void          eva_paged_list_reload        (EvaPagedList *self);
void          eva_paged_list_load_more     (EvaPagedList *self);
void          eva_paged_list_cancel        (EvaPagedList *self);
void          eva_paged_list_clear         (EvaPagedList *self);
gboolean      eva_paged_list_get_loading   (EvaPagedList *self);
gboolean      eva_paged_list_get_has_more  (EvaPagedList *self);
gboolean      eva_paged_list_get_loaded    (EvaPagedList *self);
gint64        eva_paged_list_get_total     (EvaPagedList *self);
gboolean      eva_paged_list_update        (EvaPagedList *self,
                                            EvaRecord    *record);
void          eva_paged_list_prepend       (EvaPagedList *self,
                                            EvaRecord    *record);
void          eva_paged_list_remove        (EvaPagedList *self,
                                            const char   *id);

G_END_DECLS
