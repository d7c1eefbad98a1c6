/* eva-date-time-button.c: a date and time, picked in a popover
 *
 * A menu button showing "Fri, 1 May 2030, 18:00"; its popover holds a
 * GtkCalendar and hour and minute spin buttons. The time is wall-clock
 * time in the button's time zone (the event's): changing the zone keeps
 * 18:00 at 18:00, which is what an organizer means. An optional button
 * can also be cleared ("Not set").
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-date-time-button"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "widgets/eva-date-time-button.h"
#include "widgets/eva-utils.h"

struct _EvaDateTimeButton
{
  GtkWidget       parent_instance;

  GtkMenuButton  *button;
  GtkCalendar    *calendar;
  GtkSpinButton  *hour;
  GtkSpinButton  *minute;
  GtkButton      *clear;

  char           *timezone;
  gboolean        is_set;
  gboolean        optional;
  gboolean        updating;
};

G_DEFINE_FINAL_TYPE (EvaDateTimeButton, eva_date_time_button, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DATETIME,
  PROP_TIMEZONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static GTimeZone *
get_zone (EvaDateTimeButton *self)
{
  GTimeZone *tz = NULL;

  if (self->timezone != NULL && *self->timezone != '\0')
    tz = g_time_zone_new_identifier (self->timezone);
  return tz != NULL ? tz : g_time_zone_new_utc ();
}

static void
update_label (EvaDateTimeButton *self)
{
  g_autoptr(GDateTime) dt = eva_date_time_button_get_datetime (self);
  g_autofree char *text = eva_format_datetime (dt, self->timezone);

  gtk_menu_button_set_label (self->button, text);
  gtk_widget_set_visible (GTK_WIDGET (self->clear), self->optional && self->is_set);
}

static void
changed (EvaDateTimeButton *self)
{
  if (self->updating)
    return;
  self->is_set = TRUE;
  update_label (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATETIME]);
}

/* Two-digit hours and minutes. */
static gboolean
spin_output_cb (GtkSpinButton *spin,
                gpointer       user_data)
{
  g_autofree char *text =
    g_strdup_printf ("%02d", (int) gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin)));

  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
day_selected_cb (EvaDateTimeButton *self)
{
  changed (self);
}

static void
time_changed_cb (EvaDateTimeButton *self)
{
  changed (self);
}

static void
clear_clicked_cb (EvaDateTimeButton *self)
{
  eva_date_time_button_set_datetime (self, NULL);
  gtk_menu_button_popdown (self->button);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_date_time_button_dispose (GObject *object)
{
  EvaDateTimeButton *self = EVA_DATE_TIME_BUTTON (object);

  g_clear_pointer ((GtkWidget **) &self->button, gtk_widget_unparent);

  G_OBJECT_CLASS (eva_date_time_button_parent_class)->dispose (object);
}

static void
eva_date_time_button_finalize (GObject *object)
{
  EvaDateTimeButton *self = EVA_DATE_TIME_BUTTON (object);

  g_free (self->timezone);

  G_OBJECT_CLASS (eva_date_time_button_parent_class)->finalize (object);
}

static void
eva_date_time_button_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EvaDateTimeButton *self = EVA_DATE_TIME_BUTTON (object);

  switch (prop_id)
    {
    case PROP_DATETIME:
      g_value_take_boxed (value, eva_date_time_button_get_datetime (self));
      break;
    case PROP_TIMEZONE:
      g_value_set_string (value, self->timezone);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_date_time_button_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  EvaDateTimeButton *self = EVA_DATE_TIME_BUTTON (object);

  switch (prop_id)
    {
    case PROP_DATETIME:
      eva_date_time_button_set_datetime (self, g_value_get_boxed (value));
      break;
    case PROP_TIMEZONE:
      eva_date_time_button_set_timezone (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_date_time_button_class_init (EvaDateTimeButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_date_time_button_dispose;
  object_class->finalize = eva_date_time_button_finalize;
  object_class->get_property = eva_date_time_button_get_property;
  object_class->set_property = eva_date_time_button_set_property;

  properties[PROP_DATETIME] =
    g_param_spec_boxed ("datetime", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEZONE] =
    g_param_spec_string ("timezone", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "datetimebutton");
}

static GtkSpinButton *
new_spin (EvaDateTimeButton *self,
          double             upper,
          double             step)
{
  GtkSpinButton *spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, upper, step));

  gtk_spin_button_set_wrap (spin, TRUE);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (spin), GTK_ORIENTATION_VERTICAL);
  g_signal_connect (spin, "output", G_CALLBACK (spin_output_cb), NULL);
  g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (time_changed_cb), self);
  return spin;
}

static void
eva_date_time_button_init (EvaDateTimeButton *self)
{
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *time_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *colon = gtk_label_new (":");
  GtkWidget *time_label = gtk_label_new (_("Time"));

  self->button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_widget_set_parent (GTK_WIDGET (self->button), GTK_WIDGET (self));
  gtk_widget_set_valign (GTK_WIDGET (self->button), GTK_ALIGN_CENTER);
  gtk_menu_button_set_always_show_arrow (self->button, TRUE);

  self->calendar = GTK_CALENDAR (gtk_calendar_new ());
  g_signal_connect_swapped (self->calendar, "day-selected", G_CALLBACK (day_selected_cb), self);
  self->hour = new_spin (self, 23, 1);
  self->minute = new_spin (self, 59, 5);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->hour),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Hour"), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->minute),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Minute"), -1);
  self->clear = GTK_BUTTON (gtk_button_new_with_label (_("Clear")));
  gtk_widget_add_css_class (GTK_WIDGET (self->clear), "flat");
  g_signal_connect_swapped (self->clear, "clicked", G_CALLBACK (clear_clicked_cb), self);

  gtk_widget_add_css_class (time_label, "heading");
  gtk_widget_set_hexpand (time_label, TRUE);
  gtk_widget_set_halign (time_label, GTK_ALIGN_START);
  gtk_widget_add_css_class (colon, "title-2");
  gtk_box_append (GTK_BOX (time_box), time_label);
  gtk_box_append (GTK_BOX (time_box), GTK_WIDGET (self->hour));
  gtk_box_append (GTK_BOX (time_box), colon);
  gtk_box_append (GTK_BOX (time_box), GTK_WIDGET (self->minute));
  gtk_widget_set_margin_start (time_box, 6);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->calendar));
  gtk_box_append (GTK_BOX (box), time_box);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->clear));
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_menu_button_set_popover (self->button, popover);

  update_label (self);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_date_time_button_new (void)
{
  return g_object_new (EVA_TYPE_DATE_TIME_BUTTON, NULL);
}

/**
 * eva_date_time_button_get_datetime:
 *
 * Returns: (transfer full) (nullable): the picked time, in the button's
 *   zone, or %NULL when not set
 */
GDateTime *
eva_date_time_button_get_datetime (EvaDateTimeButton *self)
{
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) date = NULL;

  g_return_val_if_fail (EVA_IS_DATE_TIME_BUTTON (self), NULL);

  if (!self->is_set)
    return NULL;
  tz = get_zone (self);
  date = gtk_calendar_get_date (self->calendar);
  return g_date_time_new (tz, g_date_time_get_year (date), g_date_time_get_month (date),
                          g_date_time_get_day_of_month (date),
                          gtk_spin_button_get_value_as_int (self->hour),
                          gtk_spin_button_get_value_as_int (self->minute), 0);
}

void
eva_date_time_button_set_datetime (EvaDateTimeButton *self,
                                   GDateTime         *datetime)
{
  g_return_if_fail (EVA_IS_DATE_TIME_BUTTON (self));

  self->updating = TRUE;
  if (datetime != NULL)
    {
      g_autoptr(GTimeZone) tz = get_zone (self);
      g_autoptr(GDateTime) local = g_date_time_to_timezone (datetime, tz);

      gtk_calendar_select_day (self->calendar, local);
      gtk_spin_button_set_value (self->hour, g_date_time_get_hour (local));
      gtk_spin_button_set_value (self->minute, g_date_time_get_minute (local));
    }
  self->is_set = datetime != NULL;
  self->updating = FALSE;
  update_label (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATETIME]);
}

const char *
eva_date_time_button_get_timezone (EvaDateTimeButton *self)
{
  g_return_val_if_fail (EVA_IS_DATE_TIME_BUTTON (self), NULL);
  return self->timezone;
}

/* Keeps the wall-clock time; only its zone changes. */
void
eva_date_time_button_set_timezone (EvaDateTimeButton *self,
                                   const char        *timezone)
{
  g_return_if_fail (EVA_IS_DATE_TIME_BUTTON (self));

  if (g_strcmp0 (self->timezone, timezone) == 0)
    return;
  g_free (self->timezone);
  self->timezone = g_strdup (timezone);
  update_label (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEZONE]);
  if (self->is_set)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATETIME]);
}

void
eva_date_time_button_set_optional (EvaDateTimeButton *self,
                                   gboolean           optional)
{
  g_return_if_fail (EVA_IS_DATE_TIME_BUTTON (self));

  self->optional = optional;
  update_label (self);
}
