/* eva-event-row.c: one event in the list
 *
 * Title and status on the first line, when (in the event's own time
 * zone) and where below, dimmed.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-event-row"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "events/eva-event-row.h"
#include "widgets/eva-utils.h"

struct _EvaEventRow
{
  GtkWidget  parent_instance;

  GtkLabel  *title_label;
  GtkLabel  *status_label;
  GtkLabel  *when_label;
  GtkLabel  *venue_label;

  EvaRecord *event;
  gulong     changed_id;
  char      *status_class;
};

G_DEFINE_FINAL_TYPE (EvaEventRow, eva_event_row, GTK_TYPE_WIDGET)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
update (EvaEventRow *self)
{
  g_autoptr(GDateTime) starts = NULL;
  g_autofree char *when = NULL;
  const char *status;
  const char *venue;

  if (self->status_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), self->status_class);
  g_clear_pointer (&self->status_class, g_free);

  if (self->event == NULL)
    {
      gtk_label_set_label (self->title_label, "");
      gtk_label_set_label (self->status_label, "");
      gtk_label_set_label (self->when_label, "");
      gtk_label_set_label (self->venue_label, "");
      return;
    }

  status = eva_record_get_string (self->event, "status");
  starts = eva_record_get_datetime (self->event, "starts_at");
  when = eva_format_datetime (starts, eva_record_get_string (self->event, "timezone"));
  venue = eva_record_get_string (self->event, "venue");

  gtk_label_set_label (self->title_label, eva_record_get_string (self->event, "title"));
  gtk_label_set_label (self->status_label, eva_status_label (status));
  gtk_label_set_label (self->when_label, when);
  gtk_label_set_label (self->venue_label, venue != NULL ? venue : "");
  gtk_widget_set_visible (GTK_WIDGET (self->venue_label), venue != NULL && *venue != '\0');

  self->status_class = g_strconcat ("status-", status != NULL ? status : "unknown", NULL);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), self->status_class);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_event_row_dispose (GObject *object)
{
  EvaEventRow *self = EVA_EVENT_ROW (object);

  eva_event_row_set_event (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_EVENT_ROW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }

  G_OBJECT_CLASS (eva_event_row_parent_class)->dispose (object);
}

static void
eva_event_row_finalize (GObject *object)
{
  EvaEventRow *self = EVA_EVENT_ROW (object);

  g_free (self->status_class);

  G_OBJECT_CLASS (eva_event_row_parent_class)->finalize (object);
}

static void
eva_event_row_class_init (EvaEventRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_event_row_dispose;
  object_class->finalize = eva_event_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-event-row.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaEventRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, EvaEventRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, EvaEventRow, when_label);
  gtk_widget_class_bind_template_child (widget_class, EvaEventRow, venue_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_event_row_init (EvaEventRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_event_row_new (void)
{
  return g_object_new (EVA_TYPE_EVENT_ROW, NULL);
}

EvaRecord *
eva_event_row_get_event (EvaEventRow *self)
{
  g_return_val_if_fail (EVA_IS_EVENT_ROW (self), NULL);
  return self->event;
}

void
eva_event_row_set_event (EvaEventRow *self,
                         EvaRecord   *event)
{
  g_return_if_fail (EVA_IS_EVENT_ROW (self));

  if (self->event == event)
    return;
  if (self->event != NULL)
    g_clear_signal_handler (&self->changed_id, self->event);
  g_set_object (&self->event, event);
  if (event != NULL)
    self->changed_id = g_signal_connect_swapped (event, "changed", G_CALLBACK (update), self);
  update (self);
}
