/* eva-checkin-lists-view.c: the check-in lists of an event
 *
 * A boxed list, one row per check-in list, the default ("Main
 * entrance") first as the server orders them: its name, which ticket
 * types it admits ("All ticket types" or their names), and badges for
 * what it allows (unpaid bookings, re-entry) and its time window, in the
 * event's time zone. Organizers open a list (or Add) in
 * EvaCheckinListDialog; for door staff the page only shows them.
 *
 * The event's ticket types are read next to the lists, for their names
 * and for the dialog's check buttons. A server without check-in lists
 * (no route: 404, or 501) gets a plain "not available" page.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-checkin-lists-view"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-utils.h"
#include "events/eva-checkin-list-dialog.h"
#include "events/eva-checkin-lists-view-private.h"
#include "widgets/eva-utils.h"

struct _EvaCheckinListsView
{
  GtkWidget      parent_instance;

  GtkStack      *stack;
  AdwStatusPage *error_page;
  AdwStatusPage *empty_page;
  GtkListBox    *list_box;
  GtkWidget     *add_button;
  GtkWidget     *empty_add_button;

  EvaApiClient  *client;
  EvaRecord     *event;
  GListStore    *store;         /* the lists */
  GListStore    *types;         /* the event's ticket types */
  GCancellable  *cancellable;
  gboolean       editable;
  gboolean       loading;
};

G_DEFINE_FINAL_TYPE (EvaCheckinListsView, eva_checkin_lists_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_EDITABLE,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
type_name (EvaCheckinListsView *self,
           const char          *id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->types));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvaRecord) tt = g_list_model_get_item (G_LIST_MODEL (self->types), i);

      if (g_strcmp0 (eva_record_get_id (tt), id) == 0)
        return eva_record_get_string (tt, "name");
    }
  return NULL;
}

/* "All ticket types", or the names of the list's types ("Standard, VIP");
 * without the names (door staff cannot read the ticket types) how many. */
static char *
describe_types (EvaCheckinListsView *self,
                EvaRecord           *list)
{
  JsonNode *node = json_object_get_member (eva_record_get_object (list), "ticket_type_ids");
  JsonArray *ids = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  guint n = ids != NULL ? json_array_get_length (ids) : 0;
  g_autoptr(GString) names = g_string_new (NULL);

  if (eva_record_get_boolean (list, "all_types") || n == 0)
    return g_strdup (_("All ticket types"));
  for (guint i = 0; i < n; i++)
    {
      const char *name = type_name (self, json_array_get_string_element (ids, i));

      if (name == NULL)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket type", "%u ticket types", n), n);
      if (names->len > 0)
        /* Translators: the separator in a list of ticket type names */
        g_string_append (names, _(", "));
      g_string_append (names, name);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static GDateTime *
local_time (EvaRecord  *list,
            const char *member,
            GTimeZone  *tz)
{
  g_autoptr(GDateTime) dt = eva_record_get_datetime (list, member);

  if (dt == NULL)
    return NULL;
  return tz != NULL ? g_date_time_to_timezone (dt, tz) : g_date_time_to_local (dt);
}

/* The time window, short, in the event's time zone: "12 Apr 18:00 – 23:00",
 * "12 Apr 18:00 – 13 Apr 02:00", "From 12 Apr 18:00", "Until 12 Apr 23:00";
 * NULL without one. */
static char *
describe_window (EvaCheckinListsView *self,
                 EvaRecord           *list)
{
  const char *zone = self->event != NULL ? eva_record_get_string (self->event, "timezone") : NULL;
  g_autoptr(GTimeZone) tz = zone != NULL && *zone != '\0' ? g_time_zone_new_identifier (zone) : NULL;
  g_autoptr(GDateTime) opens = local_time (list, "opens_at", tz);
  g_autoptr(GDateTime) closes = local_time (list, "closes_at", tz);
  /* Translators: a day and time, short, see g_date_time_format(); e.g. "12 Apr 18:00" */
  const char *day_time = _("%-d %b %H:%M");
  /* Translators: a time of day, see g_date_time_format(); e.g. "23:00" */
  const char *time_only = _("%H:%M");

  if (opens != NULL && closes != NULL)
    {
      gboolean same_day = g_date_time_get_year (opens) == g_date_time_get_year (closes) &&
                          g_date_time_get_day_of_year (opens) == g_date_time_get_day_of_year (closes);
      g_autofree char *from = g_date_time_format (opens, day_time);
      g_autofree char *until = g_date_time_format (closes, same_day ? time_only : day_time);

      /* Translators: a time window, e.g. "12 Apr 18:00 – 23:00" */
      return g_strdup_printf (_("%s – %s"), from, until);
    }
  if (opens != NULL)
    {
      g_autofree char *from = g_date_time_format (opens, day_time);

      /* Translators: a time window that only opens, e.g. "From 12 Apr 18:00" */
      return g_strdup_printf (_("From %s"), from);
    }
  if (closes != NULL)
    {
      g_autofree char *until = g_date_time_format (closes, day_time);

      /* Translators: a time window that only closes, e.g. "Until 12 Apr 23:00" */
      return g_strdup_printf (_("Until %s"), until);
    }
  return NULL;
}

/* The badges of a list, in the order they are shown. */
static GPtrArray *
list_tags (EvaCheckinListsView *self,
           EvaRecord           *list)
{
  GPtrArray *tags = g_ptr_array_new_with_free_func (g_free);
  char *window = describe_window (self, list);

  if (eva_record_get_boolean (list, "allow_unpaid"))
    g_ptr_array_add (tags, g_strdup (_("Unpaid May Enter")));
  if (eva_record_get_boolean (list, "allow_reentry"))
    g_ptr_array_add (tags, g_strdup (_("Re-Entry")));
  if (window != NULL)
    g_ptr_array_add (tags, window);
  return tags;
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  EvaCheckinListsView *self = user_data;
  EvaRecord *list = item;
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *types = describe_types (self, list);
  g_autoptr(GPtrArray) tags = list_tags (self, list);
  g_autofree char *subtitle = NULL;

  if (eva_record_get_boolean (list, "is_default"))
    /* Translators: the default check-in list, then the ticket types it
     * admits, e.g. "Default · All ticket types" */
    subtitle = g_strdup_printf (_("Default · %s"), types);
  else
    subtitle = g_strdup (types);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_record_get_string (list, "name"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  if (tags->len > 0)
    {
      /* The badges under each other when there are several, so the name
       * keeps its room on a phone. */
      GtkWidget *box = gtk_flow_box_new ();

      gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (box), GTK_SELECTION_NONE);
      gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (box), 1);
      gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (box), 0);
      gtk_widget_set_can_target (box, FALSE);
      gtk_widget_set_focusable (box, FALSE);
      gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
      gtk_widget_set_margin_top (box, 6);
      gtk_widget_set_margin_bottom (box, 6);
      for (guint i = 0; i < tags->len; i++)
        {
          GtkWidget *tag = gtk_label_new (g_ptr_array_index (tags, i));

          gtk_widget_set_halign (tag, GTK_ALIGN_END);
          gtk_widget_add_css_class (tag, "status-pill");
          gtk_widget_add_css_class (tag, "caption-heading");
          gtk_flow_box_append (GTK_FLOW_BOX (box), tag);
          gtk_widget_set_focusable (gtk_widget_get_parent (tag), FALSE);
        }
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), box);
    }
  if (self->editable)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), self->editable);
  g_object_set_data_full (G_OBJECT (row), "checkin-list", g_object_ref (list), g_object_unref);
  return row;
}

/* Draws the rows again (the names of the types came, or the role). */
static void
redraw_rows (EvaCheckinListsView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (self->store), i));
  g_list_store_splice (self->store, 0, n, items->pdata, items->len);
}

static void
set_loading (EvaCheckinListsView *self,
             gboolean             loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
update_stack (EvaCheckinListsView *self)
{
  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0
                                    ? "list" : "empty");
}

static void
update_editable (EvaCheckinListsView *self)
{
  gtk_widget_set_visible (self->add_button, self->editable);
  gtk_widget_set_visible (self->empty_add_button, self->editable);
  adw_status_page_set_description (self->empty_page,
                                   self->editable
                                   ? _("Add a list for each entrance that admits its own ticket types")
                                   : NULL);
}

/* A server that has no check-in lists yet: no such route, or 501. */
static gboolean
is_unavailable (const GError *error)
{
  return g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_IMPLEMENTED) ||
         (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND) &&
          g_str_has_prefix (error->message, "No route"));
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaCheckinListsView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_loading (self, FALSE);
  if (is_unavailable (error))
    {
      g_list_store_remove_all (self->store);
      gtk_stack_set_visible_child_name (self->stack, "unavailable");
      return;
    }
  if (items == NULL)
    {
      if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
        {
          adw_status_page_set_description (self->error_page, error->message);
          gtk_stack_set_visible_child_name (self->stack, "error");
        }
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
  update_stack (self);
}

static void
types_listed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EvaCheckinListsView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (items == NULL)
    {
      /* The lists' own call reports what is wrong with the server. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("ticket types: %s", error->message);
      return;
    }
  g_list_store_splice (self->types, 0, g_list_model_get_n_items (G_LIST_MODEL (self->types)),
                       items->pdata, items->len);
  redraw_rows (self);
}

static void
add_clicked_cb (EvaCheckinListsView *self)
{
  eva_checkin_lists_view_open_list (self, NULL);
}

static void
row_activated_cb (EvaCheckinListsView *self,
                  GtkListBoxRow       *row)
{
  eva_checkin_lists_view_open_list (self, g_object_get_data (G_OBJECT (row), "checkin-list"));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_checkin_lists_view_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  EvaCheckinListsView *self = EVA_CHECKIN_LISTS_VIEW (object);

  switch (prop_id)
    {
    case PROP_EDITABLE:
      g_value_set_boolean (value, self->editable);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_checkin_lists_view_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  EvaCheckinListsView *self = EVA_CHECKIN_LISTS_VIEW (object);

  switch (prop_id)
    {
    case PROP_EDITABLE:
      eva_checkin_lists_view_set_editable (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_checkin_lists_view_dispose (GObject *object)
{
  EvaCheckinListsView *self = EVA_CHECKIN_LISTS_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_CHECKIN_LISTS_VIEW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->types);
  g_clear_object (&self->client);
  g_clear_object (&self->event);

  G_OBJECT_CLASS (eva_checkin_lists_view_parent_class)->dispose (object);
}

static void
eva_checkin_lists_view_class_init (EvaCheckinListsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = eva_checkin_lists_view_get_property;
  object_class->set_property = eva_checkin_lists_view_set_property;
  object_class->dispose = eva_checkin_lists_view_dispose;

  /**
   * EvaCheckinListsView:editable:
   *
   * Whether lists can be added, changed and deleted (organizers).
   */
  properties[PROP_EDITABLE] =
    g_param_spec_boolean ("editable", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * EvaCheckinListsView:loading:
   *
   * Whether the lists are being read.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/eva-checkin-lists-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListsView, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListsView, error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListsView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListsView, list_box);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListsView, add_button);
  gtk_widget_class_bind_template_child (widget_class, EvaCheckinListsView, empty_add_button);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, eva_checkin_lists_view_reload);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_checkin_lists_view_init (EvaCheckinListsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->editable = TRUE;
  self->store = g_list_store_new (EVA_TYPE_RECORD);
  self->types = g_list_store_new (EVA_TYPE_RECORD);
  self->cancellable = g_cancellable_new ();
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->store), create_row_cb, self, NULL);
  update_editable (self);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_checkin_lists_view_new (void)
{
  return g_object_new (EVA_TYPE_CHECKIN_LISTS_VIEW, NULL);
}

void
eva_checkin_lists_view_set_client (EvaCheckinListsView *self,
                                   EvaApiClient        *client)
{
  g_return_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self));
  g_set_object (&self->client, client);
}

void
eva_checkin_lists_view_set_event (EvaCheckinListsView *self,
                                  EvaRecord           *event)
{
  g_return_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self));

  g_set_object (&self->event, event);
  g_list_store_remove_all (self->store);
  g_list_store_remove_all (self->types);
  eva_checkin_lists_view_reload (self);
}

/* Organizers edit the lists; door staff see them only. */
void
eva_checkin_lists_view_set_editable (EvaCheckinListsView *self,
                                     gboolean             editable)
{
  g_return_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self));

  editable = !!editable;
  if (self->editable == editable)
    return;
  self->editable = editable;
  update_editable (self);
  redraw_rows (self);
  /* Organizers need the ticket types, which door staff did not read. */
  if (editable && self->event != NULL &&
      g_list_model_get_n_items (G_LIST_MODEL (self->types)) == 0)
    eva_checkin_lists_view_reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITABLE]);
}

gboolean
eva_checkin_lists_view_get_editable (EvaCheckinListsView *self)
{
  g_return_val_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self), FALSE);
  return self->editable;
}

void
eva_checkin_lists_view_reload (EvaCheckinListsView *self)
{
  g_return_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self));

  eva_cancellable_renew (&self->cancellable);

  if (self->event == NULL || self->client == NULL)
    {
      set_loading (self, FALSE);
      update_stack (self);
      return;
    }
  set_loading (self, TRUE);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  eva_api_client_list_checkin_lists_async (self->client, eva_record_get_id (self->event),
                                           self->cancellable, listed_cb, g_object_ref (self));
  /* Ticket types are the organizers' to read. */
  if (self->editable)
    eva_api_client_list_ticket_types_async (self->client, eva_record_get_id (self->event),
                                            self->cancellable, types_listed_cb,
                                            g_object_ref (self));
}

gboolean
eva_checkin_lists_view_get_loading (EvaCheckinListsView *self)
{
  g_return_val_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self), FALSE);
  return self->loading;
}

/**
 * eva_checkin_lists_view_get_model:
 *
 * Returns: (transfer none): the lists shown
 */
GListModel *
eva_checkin_lists_view_get_model (EvaCheckinListsView *self)
{
  g_return_val_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self), NULL);
  return G_LIST_MODEL (self->store);
}

/**
 * eva_checkin_lists_view_open_list:
 * @list: (nullable): the list to edit, or %NULL for a new one
 *
 * Opens the dialog of @list; the lists are read again when it saved or
 * deleted one.
 *
 * Returns: (transfer none) (nullable): the dialog, or %NULL when the
 *   lists cannot be edited here
 */
GtkWindow *
eva_checkin_lists_view_open_list (EvaCheckinListsView *self,
                                  EvaRecord           *list)
{
  GtkWindow *dialog;
  GtkRoot *root;

  g_return_val_if_fail (EVA_IS_CHECKIN_LISTS_VIEW (self), NULL);

  if (self->event == NULL || self->client == NULL || !self->editable)
    return NULL;
  root = gtk_widget_get_root (GTK_WIDGET (self));
  dialog = eva_checkin_list_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        self->client, self->event, G_LIST_MODEL (self->types), list);
  g_signal_connect_object (dialog, "changed", G_CALLBACK (eva_checkin_lists_view_reload), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
  return dialog;
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/**
 * _eva_checkin_lists_view_get_row:
 *
 * Returns: (transfer none) (nullable): the row of the list at @position
 */
AdwActionRow *
_eva_checkin_lists_view_get_row (EvaCheckinListsView *self,
                                 guint                position)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list_box, position);

  return row != NULL ? ADW_ACTION_ROW (row) : NULL;
}

/* The badges of the list at @position, joined with "|". */
char *
_eva_checkin_lists_view_describe_tags (EvaCheckinListsView *self,
                                       guint                position)
{
  g_autoptr(EvaRecord) list = g_list_model_get_item (G_LIST_MODEL (self->store), position);
  g_autoptr(GPtrArray) tags = NULL;

  if (list == NULL)
    return NULL;
  tags = list_tags (self, list);
  g_ptr_array_add (tags, NULL);
  return g_strjoinv ("|", (char **) tags->pdata);
}

gboolean
_eva_checkin_lists_view_can_add (EvaCheckinListsView *self)
{
  return gtk_widget_get_visible (self->add_button);
}

/**
 * _eva_checkin_lists_view_get_ticket_types:
 *
 * Returns: (transfer none): the event's ticket types, once read
 */
GListModel *
_eva_checkin_lists_view_get_ticket_types (EvaCheckinListsView *self)
{
  return G_LIST_MODEL (self->types);
}
