/* eva-coupons-view.c: the coupons of an event
 *
 * A boxed list, one row per coupon: its code, what it takes off, how
 * often it was used (and of how many), and what restricts it (ticket
 * types, a minimum order). Activating a row (or Add) opens
 * EvaCouponDialog. Servers that do not offer coupons answer 501: the view
 * then says so plainly instead of showing an error.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-coupons-view"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-utils.h"
#include "coupons/eva-coupon-dialog.h"
#include "coupons/eva-coupons-view.h"
#include "eva-common.h"
#include "widgets/eva-utils.h"

struct _EvaCouponsView
{
  GtkWidget      parent_instance;

  GtkStack      *stack;
  AdwStatusPage *error_page;
  GtkListBox    *list_box;

  EvaApiClient  *client;
  EvaRecord     *event;
  GListStore    *store;
  GCancellable  *cancellable;
};

G_DEFINE_FINAL_TYPE (EvaCouponsView, eva_coupons_view, GTK_TYPE_WIDGET)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* "15 % off · 3 of 100 used · for 2 ticket types · min. order 50.00 EUR" */
static char *
describe (EvaRecord *coupon)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const char *currency = eva_record_get_string (coupon, "currency");
  gint64 uses = eva_record_get_int (coupon, "uses", 0);
  gint64 min_order = eva_record_get_int (coupon, "min_order", 0);
  JsonNode *types = json_object_get_member (eva_record_get_object (coupon), "ticket_type_ids");
  guint n_types = types != NULL && JSON_NODE_HOLDS_ARRAY (types)
                  ? json_array_get_length (json_node_get_array (types)) : 0;

  if (g_strcmp0 (eva_record_get_string (coupon, "kind"), "percent") == 0)
    /* Translators: a discount, e.g. "10 % off" */
    g_ptr_array_add (parts, g_strdup_printf (_("%d %% off"), (int) eva_record_get_int (coupon, "percent", 0)));
  else if (currency != NULL && eva_currency_lookup (currency) != NULL)
    {
      g_autofree char *money = eva_money_format (eva_record_get_int (coupon, "amount", 0), currency);

      /* Translators: a discount, e.g. "5.00 EUR off" */
      g_ptr_array_add (parts, g_strdup_printf (_("%s off"), money));
    }

  /* Counts are bounded by the server's limits: int is enough. */
  if (!eva_record_is_null (coupon, "max_uses"))
    /* Translators: a coupon's uses and its limit, e.g. "3 of 100 used" */
    g_ptr_array_add (parts, g_strdup_printf (_("%d of %d used"), (int) uses,
                                             (int) eva_record_get_int (coupon, "max_uses", 0)));
  else
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "used %d time",
                                                          "used %d times", uses),
                                             (int) uses));

  if (n_types > 0)
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "for %d ticket type",
                                                          "for %d ticket types", n_types),
                                             (int) n_types));
  if (min_order > 0)
    {
      g_autofree char *money = eva_format_money (min_order, currency);

      /* Translators: the least an order must cost, e.g. "min. order 50.00 EUR" */
      g_ptr_array_add (parts, g_strdup_printf (_("min. order %s"), money));
    }

  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between the facts of a coupon */
  return g_strjoinv (_(" · "), (char **) parts->pdata);
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  EvaRecord *coupon = item;
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = describe (coupon);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), eva_record_get_string (coupon, "code"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (eva_record_get_boolean (coupon, "unlocks_hidden"))
    eva_action_row_add_tag (ADW_ACTION_ROW (row), _("Unlocks Hidden Tickets"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "coupon", g_object_ref (coupon), g_object_unref);
  return row;
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EvaCouponsView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = eva_api_client_list_finish (EVA_API_CLIENT (source), result,
                                                           NULL, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_IMPLEMENTED))
    {
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
  gtk_stack_set_visible_child_name (self->stack, items->len > 0 ? "list" : "empty");
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
add_clicked_cb (EvaCouponsView *self)
{
  eva_coupons_view_open_coupon (self, NULL);
}

static void
row_activated_cb (EvaCouponsView *self,
                  GtkListBoxRow  *row)
{
  EvaRecord *coupon = g_object_get_data (G_OBJECT (row), "coupon");

  if (coupon != NULL)
    eva_coupons_view_open_coupon (self, coupon);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_coupons_view_dispose (GObject *object)
{
  EvaCouponsView *self = EVA_COUPONS_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_COUPONS_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->event);

  G_OBJECT_CLASS (eva_coupons_view_parent_class)->dispose (object);
}

static void
eva_coupons_view_class_init (EvaCouponsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_coupons_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-coupons-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaCouponsView, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponsView, error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaCouponsView, list_box);
  gtk_widget_class_bind_template_callback (widget_class, eva_coupons_view_reload);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_coupons_view_init (EvaCouponsView *self)
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
eva_coupons_view_new (void)
{
  return g_object_new (EVA_TYPE_COUPONS_VIEW, NULL);
}

void
eva_coupons_view_set_client (EvaCouponsView *self,
                             EvaApiClient   *client)
{
  g_return_if_fail (EVA_IS_COUPONS_VIEW (self));
  g_set_object (&self->client, client);
}

void
eva_coupons_view_set_event (EvaCouponsView *self,
                            EvaRecord      *event)
{
  g_return_if_fail (EVA_IS_COUPONS_VIEW (self));

  g_set_object (&self->event, event);
  g_list_store_remove_all (self->store);
  eva_coupons_view_reload (self);
}

void
eva_coupons_view_reload (EvaCouponsView *self)
{
  g_return_if_fail (EVA_IS_COUPONS_VIEW (self));

  eva_cancellable_renew (&self->cancellable);
  if (self->event == NULL || self->client == NULL)
    return;

  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  eva_api_client_list_coupons_async (self->client, eva_record_get_id (self->event),
                                     self->cancellable, listed_cb, g_object_ref (self));
}

/* "loading", "unavailable", "error", "empty" or "list". */
const char *
eva_coupons_view_get_state (EvaCouponsView *self)
{
  g_return_val_if_fail (EVA_IS_COUPONS_VIEW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

/**
 * eva_coupons_view_get_model:
 *
 * Returns: (transfer none): the coupons shown
 */
GListModel *
eva_coupons_view_get_model (EvaCouponsView *self)
{
  g_return_val_if_fail (EVA_IS_COUPONS_VIEW (self), NULL);
  return G_LIST_MODEL (self->store);
}

/**
 * eva_coupons_view_open_coupon:
 * @coupon: (nullable): the coupon to edit, or %NULL for a new one
 *
 * Returns: (transfer none) (nullable): the dialog
 */
GtkWindow *
eva_coupons_view_open_coupon (EvaCouponsView *self,
                              EvaRecord      *coupon)
{
  GtkWindow *dialog;

  g_return_val_if_fail (EVA_IS_COUPONS_VIEW (self), NULL);

  if (self->event == NULL || self->client == NULL)
    return NULL;
  dialog = eva_coupon_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                  self->client, self->event, coupon);
  g_signal_connect_object (dialog, "changed", G_CALLBACK (eva_coupons_view_reload), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
  return dialog;
}
