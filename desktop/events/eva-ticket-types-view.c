/* eva-ticket-types-view.c: the ticket types of an event
 *
 * A boxed list, one row per ticket type: name, price, and how much of the
 * capacity is sold, held and left. Activating a row (or Add) opens the
 * editor dialog.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-ticket-types-view"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-utils.h"
#include "eva-common.h"
#include "events/eva-ticket-type-dialog.h"
#include "events/eva-ticket-types-view.h"
#include "widgets/eva-utils.h"

struct _EvaTicketTypesView
{
  GtkWidget     parent_instance;

  GtkStack     *stack;
  GtkListBox   *list_box;

  EvaApiClient *client;
  EvaRecord    *event;
  GListStore   *store;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (EvaTicketTypesView, eva_ticket_types_view, GTK_TYPE_WIDGET)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *
describe (EvaRecord  *tt,
          const char *currency)
{
  gint64 price = eva_record_get_int (tt, "price", 0);
  gint64 capacity = eva_record_get_int (tt, "capacity", 0);
  gint64 sold = eva_record_get_int (tt, "sold", 0);
  gint64 held = eva_record_get_int (tt, "held", 0);
  g_autofree char *money = NULL;

  if (price == 0)
    money = g_strdup (_("Free"));
  else if (currency != NULL && eva_currency_lookup (currency) != NULL)
    money = eva_money_format (price, currency);
  else
    money = g_strdup_printf ("%" G_GINT64_FORMAT, price);

  /* Translators: price · sold, held and capacity of a ticket type */
  /* Counts are bounded by the capacity limit (10 000 000): int is enough,
   * and translators cannot work with G_GINT64_FORMAT. */
  return g_strdup_printf (_("%s · %d sold · %d held · %d left of %d"),
                          money, (int) sold, (int) held,
                          (int) MAX (capacity - sold - held, 0), (int) capacity);
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  EvaTicketTypesView *self = user_data;
  EvaRecord *tt = item;
  g_autofree char *subtitle =
    describe (tt, self->event != NULL ? eva_record_get_string (self->event, "currency") : NULL);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_record_get_string (tt, "name"));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  if (eva_record_get_boolean (tt, "hidden"))
    eva_action_row_add_tag (ADW_ACTION_ROW (row), _("Hidden"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
  g_object_set_data_full (G_OBJECT (row), "ticket-type", g_object_ref (tt), g_object_unref);
  return row;
}

static void
update_stack (EvaTicketTypesView *self)
{
  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0
                                    ? "list" : "empty");
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaTicketTypesView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (items == NULL)
    {
      update_stack (self);
      eva_report_error (GTK_WIDGET (self), error);
      return;
    }
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
  update_stack (self);
}

static void
open_dialog (EvaTicketTypesView *self,
             EvaRecord          *tt)
{
  GtkWindow *dialog;

  if (self->event == NULL)
    return;
  dialog = eva_ticket_type_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                       self->client, self->event, tt);
  g_signal_connect_object (dialog, "changed", G_CALLBACK (eva_ticket_types_view_reload), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
add_clicked_cb (EvaTicketTypesView *self)
{
  open_dialog (self, NULL);
}

static void
row_activated_cb (EvaTicketTypesView *self,
                  GtkListBoxRow      *row)
{
  open_dialog (self, g_object_get_data (G_OBJECT (row), "ticket-type"));
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_ticket_types_view_dispose (GObject *object)
{
  EvaTicketTypesView *self = EVA_TICKET_TYPES_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_TICKET_TYPES_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->event);

  G_OBJECT_CLASS (eva_ticket_types_view_parent_class)->dispose (object);
}

static void
eva_ticket_types_view_class_init (EvaTicketTypesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_ticket_types_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/eva-ticket-types-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypesView, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketTypesView, list_box);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_ticket_types_view_init (EvaTicketTypesView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->store = g_list_store_new (EVA_TYPE_RECORD);
  self->cancellable = g_cancellable_new ();
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->store), create_row_cb, self, NULL);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_ticket_types_view_new (void)
{
  return g_object_new (EVA_TYPE_TICKET_TYPES_VIEW, NULL);
}

void
eva_ticket_types_view_set_client (EvaTicketTypesView *self,
                                  EvaApiClient       *client)
{
  g_return_if_fail (EVA_IS_TICKET_TYPES_VIEW (self));
  g_set_object (&self->client, client);
}

void
eva_ticket_types_view_set_event (EvaTicketTypesView *self,
                                 EvaRecord          *event)
{
  g_return_if_fail (EVA_IS_TICKET_TYPES_VIEW (self));

  g_set_object (&self->event, event);
  g_list_store_remove_all (self->store);
  eva_ticket_types_view_reload (self);
}

void
eva_ticket_types_view_reload (EvaTicketTypesView *self)
{
  g_return_if_fail (EVA_IS_TICKET_TYPES_VIEW (self));

  eva_cancellable_renew (&self->cancellable);

  if (self->event == NULL || self->client == NULL)
    {
      update_stack (self);
      return;
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  eva_api_client_list_ticket_types_async (self->client, eva_record_get_id (self->event),
                                          self->cancellable, listed_cb, g_object_ref (self));
}

/**
 * eva_ticket_types_view_get_model:
 *
 * Returns: (transfer none): the ticket types shown
 */
GListModel *
eva_ticket_types_view_get_model (EvaTicketTypesView *self)
{
  g_return_val_if_fail (EVA_IS_TICKET_TYPES_VIEW (self), NULL);
  return G_LIST_MODEL (self->store);
}
