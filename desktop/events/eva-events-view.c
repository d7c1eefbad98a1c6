/* eva-events-view.c: the list of events, with search, filter and sort
 *
 * A GtkListView over EvaEventList; the next page is asked for when the
 * scrolled window nears its end (or does not fill up at all).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-events-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "events/eva-event-row.h"
#include "events/eva-events-view.h"
#include "widgets/eva-utils.h"

/* Ask for the next page this many pixels before the end. */
#define LOAD_MORE_MARGIN 400

struct _EvaEventsView
{
  GtkWidget           parent_instance;

  GtkSearchBar       *search_bar;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *status_dropdown;
  GtkDropDown        *sort_dropdown;
  GtkStack           *stack;
  GtkScrolledWindow  *scrolled_window;
  GtkListView        *list_view;
  AdwStatusPage      *empty_page;

  EvaApiClient       *client;
  EvaEventList       *list;
  GtkSingleSelection *selection;
};

G_DEFINE_FINAL_TYPE (EvaEventsView, eva_events_view, GTK_TYPE_WIDGET)

enum {
  EVENT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const statuses[] = { NULL, "draft", "published", "cancelled", "archived" };
static const char * const sorts[] = { "starts_at", "-starts_at", "title", "-created_at" };

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
is_filtered (EvaEventsView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  return (text != NULL && *text != '\0') || gtk_drop_down_get_selected (self->status_dropdown) > 0;
}

static void
update_stack (EvaEventsView *self)
{
  guint n;

  if (self->list == NULL)
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  if (n > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else if (eva_event_list_get_loading (self->list) || !eva_event_list_get_loaded (self->list))
    gtk_stack_set_visible_child_name (self->stack, "loading");
  else
    {
      if (is_filtered (self))
        {
          adw_status_page_set_icon_name (self->empty_page, "edit-find-symbolic");
          adw_status_page_set_title (self->empty_page, _("No Results"));
          adw_status_page_set_description (self->empty_page,
                                           _("No event matches the search or filter"));
        }
      else
        {
          adw_status_page_set_icon_name (self->empty_page, "x-office-calendar-symbolic");
          adw_status_page_set_title (self->empty_page, _("No Events"));
          adw_status_page_set_description (self->empty_page,
                                           _("Create the first one with the + button"));
        }
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
}

static void
maybe_load_more (EvaEventsView *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);

  if (self->list == NULL || !eva_event_list_get_has_more (self->list))
    return;
  if (gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >=
      gtk_adjustment_get_upper (adj) - LOAD_MORE_MARGIN)
    eva_event_list_load_more (self->list);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
search_changed_cb (EvaEventsView *self)
{
  if (self->list != NULL)
    eva_event_list_set_search (self->list,
                               gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
stop_search_cb (EvaEventsView *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
filter_changed_cb (EvaEventsView *self)
{
  guint status = gtk_drop_down_get_selected (self->status_dropdown);
  guint sort = gtk_drop_down_get_selected (self->sort_dropdown);

  if (self->list == NULL)
    return;
  eva_event_list_set_status (self->list, status < G_N_ELEMENTS (statuses) ? statuses[status] : NULL);
  eva_event_list_set_sort (self->list, sort < G_N_ELEMENTS (sorts) ? sorts[sort] : NULL);
}

static void
activated_cb (EvaEventsView *self,
              guint          position)
{
  g_autoptr(EvaRecord) event = g_list_model_get_item (G_LIST_MODEL (self->list), position);

  if (event != NULL)
    g_signal_emit (self, signals[EVENT_ACTIVATED], 0, event);
}

/* Choosing a row (click or arrow keys) opens the event, as in a sidebar. */
static void
selection_changed_cb (EvaEventsView *self)
{
  EvaRecord *event = gtk_single_selection_get_selected_item (self->selection);

  if (event != NULL)
    g_signal_emit (self, signals[EVENT_ACTIVATED], 0, event);
}

static void
list_failed_cb (EvaEventsView *self,
                GError        *error)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->list)) == 0)
    {
      adw_status_page_set_icon_name (self->empty_page, "network-offline-symbolic");
      adw_status_page_set_title (self->empty_page, _("Could Not Load Events"));
      adw_status_page_set_description (self->empty_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  eva_report_error (GTK_WIDGET (self), error);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  gtk_list_item_set_child (item, eva_event_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  eva_event_row_set_event (EVA_EVENT_ROW (gtk_list_item_get_child (item)),
                           gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  eva_event_row_set_event (EVA_EVENT_ROW (gtk_list_item_get_child (item)), NULL);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_events_view_dispose (GObject *object)
{
  EvaEventsView *self = EVA_EVENTS_VIEW (object);

  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_EVENTS_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->selection);
  g_clear_object (&self->list);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (eva_events_view_parent_class)->dispose (object);
}

static void
eva_events_view_class_init (EvaEventsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_events_view_dispose;

  /**
   * EvaEventsView::event-activated:
   * @event: the EvaRecord of the event
   */
  signals[EVENT_ACTIVATED] =
    g_signal_new ("event-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, EVA_TYPE_RECORD);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-events-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, search_bar);
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, list_view);
  gtk_widget_class_bind_template_child (widget_class, EvaEventsView, empty_page);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, activated_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_events_view_init (EvaEventsView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkAdjustment *adj;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));

  adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (maybe_load_more), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "changed", G_CALLBACK (maybe_load_more), self,
                           G_CONNECT_SWAPPED);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_events_view_new (void)
{
  return g_object_new (EVA_TYPE_EVENTS_VIEW, NULL);
}

void
eva_events_view_set_client (EvaEventsView *self,
                            EvaApiClient  *client)
{
  g_return_if_fail (EVA_IS_EVENTS_VIEW (self));
  g_return_if_fail (EVA_IS_API_CLIENT (client));

  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_set_object (&self->client, client);
  g_clear_object (&self->list);
  g_clear_object (&self->selection);

  self->list = eva_event_list_new (client);
  g_signal_connect_swapped (self->list, "notify::loading", G_CALLBACK (update_stack), self);
  g_signal_connect_swapped (self->list, "notify::n-items", G_CALLBACK (update_stack), self);
  g_signal_connect_swapped (self->list, "notify::has-more", G_CALLBACK (maybe_load_more), self);
  g_signal_connect_swapped (self->list, "failed", G_CALLBACK (list_failed_cb), self);

  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->list)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  filter_changed_cb (self);
}

/**
 * eva_events_view_get_list:
 *
 * Returns: (transfer none) (nullable): the model
 */
EvaEventList *
eva_events_view_get_list (EvaEventsView *self)
{
  g_return_val_if_fail (EVA_IS_EVENTS_VIEW (self), NULL);
  return self->list;
}

static gboolean
status_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *text = g_variant_get_string (variant, NULL);

  for (guint i = 1; i < G_N_ELEMENTS (statuses); i++)
    if (g_strcmp0 (statuses[i], text) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
status_set_mapping (const GValue       *value,
                    const GVariantType *type,
                    gpointer            user_data)
{
  guint i = g_value_get_uint (value);

  return g_variant_new_string (i > 0 && i < G_N_ELEMENTS (statuses) ? statuses[i] : "");
}

static gboolean
sort_get_mapping (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char *text = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (sorts); i++)
    if (g_strcmp0 (sorts[i], text) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
sort_set_mapping (const GValue       *value,
                  const GVariantType *type,
                  gpointer            user_data)
{
  guint i = g_value_get_uint (value);

  return g_variant_new_string (sorts[i < G_N_ELEMENTS (sorts) ? i : 0]);
}

/* Remembers the status filter and the order between runs. */
void
eva_events_view_bind_settings (EvaEventsView *self,
                               GSettings     *settings)
{
  g_return_if_fail (EVA_IS_EVENTS_VIEW (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_settings_bind_with_mapping (settings, "event-status", self->status_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, status_get_mapping, status_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (settings, "event-sort", self->sort_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, sort_get_mapping, sort_set_mapping,
                                NULL, NULL);
}

void
eva_events_view_reload (EvaEventsView *self)
{
  g_return_if_fail (EVA_IS_EVENTS_VIEW (self));

  if (self->list != NULL)
    eva_event_list_reload (self->list);
}

void
eva_events_view_start_search (EvaEventsView *self)
{
  g_return_if_fail (EVA_IS_EVENTS_VIEW (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
eva_events_view_unselect (EvaEventsView *self)
{
  g_return_if_fail (EVA_IS_EVENTS_VIEW (self));

  if (self->selection != NULL)
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
}

void
eva_events_view_select (EvaEventsView *self,
                        const char    *id)
{
  guint n;

  g_return_if_fail (EVA_IS_EVENTS_VIEW (self));

  if (self->selection == NULL)
    return;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvaRecord) event = g_list_model_get_item (G_LIST_MODEL (self->list), i);

      if (g_strcmp0 (eva_record_get_id (event), id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
}
