/* eva-event-editor.c: every field of one event
 *
 * An AdwPreferencesPage with a row per field. Input is checked as it is
 * typed with the server's own rules (libeverato-common's validators, the
 * same limits), and what the server still refuses — validation_failed
 * details, slug_taken, currency_locked… — is shown at the row of the
 * field it names. Saving creates or patches; "saved" tells the window.
 *
 * Payment (docs/PAYMENTS.md): the methods offered (card, bank transfer,
 * at the door), the transfer details and the days a buyer has to pay by
 * transfer. They are sent when the server showed them on the event, or
 * when they differ from the defaults, so a server without payments still
 * takes the rest.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-event-editor"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-utils.h"
#include "eva-common.h"
#include "events/eva-event-editor.h"
#include "widgets/eva-date-time-button.h"
#include "widgets/eva-timezones.h"
#include "widgets/eva-utils.h"

/* The server's limits (server/services/events.h). */
#define TITLE_MAX            200
#define DESCRIPTION_MAX      20000
#define VENUE_MAX            200
#define ADDRESS_MAX          500
/* max_tickets_per_attendee (server/api/events.c) */
#define PER_ATTENDEE_MIN     1
#define PER_ATTENDEE_MAX     1000000
#define PER_ATTENDEE_DEFAULT 10
/* transfer_details, transfer_days (docs/PAYMENTS.md) */
#define TRANSFER_DETAILS_MAX 2000
#define TRANSFER_DAYS_MIN    1
#define TRANSFER_DAYS_MAX    60
#define TRANSFER_DAYS_DEFAULT 7

struct _EvaEventEditor
{
  GtkWidget           parent_instance;

  AdwPreferencesPage *page;
  AdwEntryRow        *title_row;
  AdwEntryRow        *slug_row;
  GtkFrame           *description_frame;
  GtkTextView        *description_view;
  AdwEntryRow        *venue_row;
  AdwEntryRow        *address_row;
  AdwActionRow       *timezone_row;
  GtkDropDown        *timezone_dropdown;
  AdwActionRow       *starts_row;
  EvaDateTimeButton  *starts_button;
  AdwActionRow       *ends_row;
  EvaDateTimeButton  *ends_button;
  AdwEntryRow        *currency_row;
  AdwActionRow       *hold_row;
  GtkSpinButton      *hold_spin;
  AdwActionRow       *cancellation_row;
  GtkSpinButton      *cancellation_spin;
  AdwActionRow       *per_attendee_row;
  GtkSpinButton      *per_attendee_spin;
  AdwActionRow       *card_row;
  GtkSwitch          *card_switch;
  AdwActionRow       *transfer_row;
  GtkSwitch          *transfer_switch;
  AdwActionRow       *door_row;
  GtkSwitch          *door_switch;
  AdwActionRow       *transfer_days_row;
  GtkSpinButton      *transfer_days_spin;
  AdwPreferencesGroup *transfer_details_group;
  GtkFrame           *transfer_details_frame;
  GtkTextView        *transfer_details_view;
  AdwPreferencesGroup *status_group;
  AdwActionRow       *status_row;
  GtkLabel           *status_label;

  GtkStringList      *zones;
  EvaApiClient       *client;
  EvaRecord          *event;
  GCancellable       *cancellable;
  char               *status_class;

  gboolean            loading;
  gboolean            dirty;
  gboolean            busy;
  gboolean            title_touched;
};

G_DEFINE_FINAL_TYPE (EvaEventEditor, eva_event_editor, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DIRTY,
  PROP_BUSY,
  N_PROPS
};

enum {
  SAVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
entry_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static char *
view_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static char *
description_text (EvaEventEditor *self)
{
  return view_text (self->description_view);
}

/* The methods switched on, in the API's words. */
static GStrv
payment_methods (EvaEventEditor *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (gtk_switch_get_active (self->card_switch))
    g_strv_builder_add (builder, "card");
  if (gtk_switch_get_active (self->transfer_switch))
    g_strv_builder_add (builder, "bank_transfer");
  if (gtk_switch_get_active (self->door_switch))
    g_strv_builder_add (builder, "at_door");
  return g_strv_builder_end (builder);
}

static void
update_transfer_rows (EvaEventEditor *self)
{
  gboolean transfer = gtk_switch_get_active (self->transfer_switch);

  gtk_widget_set_sensitive (GTK_WIDGET (self->transfer_days_row), transfer);
  gtk_widget_set_sensitive (GTK_WIDGET (self->transfer_details_group), transfer);
}

/* Fills the payment rows from @event (the defaults when it has none). */
static void
show_payment (EvaEventEditor *self,
              EvaRecord      *event)
{
  JsonNode *node = event != NULL
                   ? json_object_get_member (eva_record_get_object (event), "payment_methods") : NULL;
  gboolean card = TRUE, transfer = FALSE, door = FALSE;
  const char *details = event != NULL ? eva_record_get_string (event, "transfer_details") : NULL;

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      card = transfer = door = FALSE;
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *method = json_array_get_string_element (array, i);

          card = card || g_strcmp0 (method, "card") == 0;
          transfer = transfer || g_strcmp0 (method, "bank_transfer") == 0;
          door = door || g_strcmp0 (method, "at_door") == 0;
        }
    }
  gtk_switch_set_active (self->card_switch, card);
  gtk_switch_set_active (self->transfer_switch, transfer);
  gtk_switch_set_active (self->door_switch, door);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->transfer_details_view), details ?: "", -1);
  gtk_spin_button_set_value (self->transfer_days_spin,
                             event != NULL
                             ? eva_record_get_int (event, "transfer_days", TRANSFER_DAYS_DEFAULT)
                             : TRANSFER_DAYS_DEFAULT);
  update_transfer_rows (self);
}

/* Whether the payment fields go to the server: it showed them on the
 * event, or they differ from what a server takes for granted. */
static gboolean
sends_payment (EvaEventEditor *self)
{
  g_auto(GStrv) methods = NULL;
  g_autofree char *details = NULL;

  if (self->event != NULL &&
      json_object_has_member (eva_record_get_object (self->event), "payment_methods"))
    return TRUE;
  methods = payment_methods (self);
  details = view_text (self->transfer_details_view);
  return g_strv_length (methods) != 1 || g_strcmp0 (methods[0], "card") != 0 || *details != '\0' ||
         gtk_spin_button_get_value_as_int (self->transfer_days_spin) != TRANSFER_DAYS_DEFAULT;
}

static const char *
selected_zone (EvaEventEditor *self)
{
  guint position = gtk_drop_down_get_selected (self->timezone_dropdown);

  if (position == GTK_INVALID_LIST_POSITION)
    return NULL;
  return gtk_string_list_get_string (self->zones, position);
}

static void
set_dirty (EvaEventEditor *self,
           gboolean        dirty)
{
  if (self->dirty == dirty)
    return;
  self->dirty = dirty;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRTY]);
}

static void
set_busy (EvaEventEditor *self,
          gboolean        busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), !busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Whether what is typed into @spin is a whole number from @min to @max.
 * The text, not the value: the spin button takes a number only on Enter
 * or when it loses the focus, and then quietly clamps it into range. */
static gboolean
spin_text_in_range (GtkSpinButton *spin,
                    gint64         min,
                    gint64         max)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (spin))));

  return g_ascii_string_to_signed (text, 10, min, max, NULL, NULL);
}

static gboolean
looks_like_uuid (const char *text)
{
  guint8 bytes[16];

  return eva_uuid_parse (text, bytes);
}

static void
update_status (EvaEventEditor *self)
{
  const char *status = self->event != NULL ? eva_record_get_string (self->event, "status") : NULL;

  if (self->status_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), self->status_class);
  g_clear_pointer (&self->status_class, g_free);

  gtk_widget_set_visible (GTK_WIDGET (self->status_group), status != NULL);
  if (status == NULL)
    return;

  gtk_label_set_label (self->status_label, eva_status_label (status));
  self->status_class = g_strconcat ("status-", status, NULL);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), self->status_class);

  if (g_str_equal (status, "published") && !eva_record_is_null (self->event, "published_at"))
    {
      g_autoptr(GDateTime) at = eva_record_get_datetime (self->event, "published_at");
      g_autofree char *when = eva_format_datetime (at, eva_record_get_string (self->event, "timezone"));
      g_autofree char *text = g_strdup_printf (_("Published on %s"), when);

      adw_action_row_set_subtitle (self->status_row, text);
    }
  else
    adw_action_row_set_subtitle (self->status_row, NULL);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
field_changed_cb (EvaEventEditor *self)
{
  if (self->loading)
    return;
  if (gtk_widget_has_focus (GTK_WIDGET (self->title_row)) ||
      *entry_text (self->title_row) != '\0')
    self->title_touched = TRUE;
  set_dirty (self, TRUE);
  eva_event_editor_validate (self);
}

static void
payment_changed_cb (EvaEventEditor *self)
{
  update_transfer_rows (self);
  field_changed_cb (self);
}

static void
timezone_changed_cb (EvaEventEditor *self)
{
  const char *zone = selected_zone (self);

  eva_date_time_button_set_timezone (self->starts_button, zone);
  eva_date_time_button_set_timezone (self->ends_button, zone);
  field_changed_cb (self);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EvaEventEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) event = NULL;
  gboolean created;

  event = eva_api_client_record_finish (EVA_API_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (event == NULL)
    {
      eva_event_editor_show_error (self, error);
      return;
    }

  created = self->event == NULL;
  if (!created)
    {
      /* Keep the same record object: rows in the list update with it. */
      eva_record_set_object (self->event, eva_record_get_object (event));
      eva_event_editor_set_event (self, self->event);
    }
  else
    eva_event_editor_set_event (self, event);
  g_signal_emit (self, signals[SAVED], 0, self->event, created);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_event_editor_dispose (GObject *object)
{
  EvaEventEditor *self = EVA_EVENT_EDITOR (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_EVENT_EDITOR);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->cancellable);
  g_clear_object (&self->zones);
  g_clear_object (&self->client);
  g_clear_object (&self->event);

  G_OBJECT_CLASS (eva_event_editor_parent_class)->dispose (object);
}

static void
eva_event_editor_finalize (GObject *object)
{
  EvaEventEditor *self = EVA_EVENT_EDITOR (object);

  g_free (self->status_class);

  G_OBJECT_CLASS (eva_event_editor_parent_class)->finalize (object);
}

static void
eva_event_editor_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EvaEventEditor *self = EVA_EVENT_EDITOR (object);

  switch (prop_id)
    {
    case PROP_DIRTY:
      g_value_set_boolean (value, self->dirty);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_event_editor_class_init (EvaEventEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_event_editor_dispose;
  object_class->finalize = eva_event_editor_finalize;
  object_class->get_property = eva_event_editor_get_property;

  properties[PROP_DIRTY] =
    g_param_spec_boolean ("dirty", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvaEventEditor::saved:
   * @event: the saved event
   * @created: whether it was created by this save
   */
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                 EVA_TYPE_RECORD, G_TYPE_BOOLEAN);

  g_type_ensure (EVA_TYPE_DATE_TIME_BUTTON);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-event-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, page);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, title_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, slug_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, description_frame);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, description_view);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, venue_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, address_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, timezone_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, timezone_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, starts_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, starts_button);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, ends_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, ends_button);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, currency_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, hold_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, hold_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, cancellation_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, cancellation_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, per_attendee_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, per_attendee_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, card_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, card_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, transfer_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, transfer_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, door_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, door_switch);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, transfer_days_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, transfer_days_spin);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, transfer_details_group);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, transfer_details_frame);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, transfer_details_view);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, status_group);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, status_row);
  gtk_widget_class_bind_template_child (widget_class, EvaEventEditor, status_label);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, timezone_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, payment_changed_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_event_editor_init (EvaEventEditor *self)
{
  g_autoptr(GtkExpression) expression = NULL;

  self->loading = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));

  self->zones = eva_timezones_get_model ();
  expression = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  gtk_drop_down_set_expression (self->timezone_dropdown, expression);
  gtk_drop_down_set_model (self->timezone_dropdown, G_LIST_MODEL (self->zones));
  g_signal_connect_object (gtk_text_view_get_buffer (self->description_view), "changed",
                           G_CALLBACK (field_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->transfer_details_view), "changed",
                           G_CALLBACK (field_changed_cb), self, G_CONNECT_SWAPPED);

  self->cancellable = g_cancellable_new ();
  self->loading = FALSE;
  eva_event_editor_new_event (self);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_event_editor_new (void)
{
  return g_object_new (EVA_TYPE_EVENT_EDITOR, NULL);
}

void
eva_event_editor_set_client (EvaEventEditor *self,
                             EvaApiClient   *client)
{
  g_return_if_fail (EVA_IS_EVENT_EDITOR (self));
  g_set_object (&self->client, client);
}

/**
 * eva_event_editor_get_event:
 *
 * Returns: (transfer none) (nullable): the event, or %NULL for a new one
 */
EvaRecord *
eva_event_editor_get_event (EvaEventEditor *self)
{
  g_return_val_if_fail (EVA_IS_EVENT_EDITOR (self), NULL);
  return self->event;
}

/* Fills the rows from @event (NULL: an empty new event). */
void
eva_event_editor_set_event (EvaEventEditor *self,
                            EvaRecord      *event)
{
  g_autoptr(GDateTime) starts = NULL;
  g_autoptr(GDateTime) ends = NULL;
  const char *zone;
  const char *text;
  guint position;

  g_return_if_fail (EVA_IS_EVENT_EDITOR (self));

  eva_cancellable_renew (&self->cancellable);
  set_busy (self, FALSE);

  if (event != self->event)
    g_set_object (&self->event, event);

  self->loading = TRUE;
  if (event != NULL)
    {
      zone = eva_record_get_string (event, "timezone");
      starts = eva_record_get_datetime (event, "starts_at");
      ends = eva_record_get_datetime (event, "ends_at");
    }
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autoptr(GDateTime) next_week = g_date_time_add_days (now, 7);

      zone = g_time_zone_get_identifier (g_date_time_get_timezone (now));
      if (!eva_timezone_is_valid (zone))
        zone = "UTC";
      starts = g_date_time_new_local (g_date_time_get_year (next_week),
                                      g_date_time_get_month (next_week),
                                      g_date_time_get_day_of_month (next_week), 19, 0, 0);
      ends = g_date_time_add_hours (starts, 3);
    }

  gtk_editable_set_text (GTK_EDITABLE (self->title_row),
                         event != NULL ? eva_record_get_string (event, "title") ?: "" : "");
  gtk_editable_set_text (GTK_EDITABLE (self->slug_row),
                         event != NULL ? eva_record_get_string (event, "slug") ?: "" : "");
  text = event != NULL ? eva_record_get_string (event, "description") : NULL;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->description_view), text ?: "", -1);
  gtk_editable_set_text (GTK_EDITABLE (self->venue_row),
                         event != NULL ? eva_record_get_string (event, "venue") ?: "" : "");
  gtk_editable_set_text (GTK_EDITABLE (self->address_row),
                         event != NULL ? eva_record_get_string (event, "address") ?: "" : "");

  position = eva_timezones_find (self->zones, zone);
  if (position == GTK_INVALID_LIST_POSITION)
    position = eva_timezones_find (self->zones, "UTC");
  gtk_drop_down_set_selected (self->timezone_dropdown, position);
  zone = selected_zone (self);
  eva_date_time_button_set_timezone (self->starts_button, zone);
  eva_date_time_button_set_timezone (self->ends_button, zone);
  eva_date_time_button_set_datetime (self->starts_button, starts);
  eva_date_time_button_set_datetime (self->ends_button, ends);

  text = event != NULL ? eva_record_get_string (event, "currency") : NULL;
  gtk_editable_set_text (GTK_EDITABLE (self->currency_row), text ?: "");
  gtk_spin_button_set_value (self->hold_spin,
                             event != NULL ? eva_record_get_int (event, "hold_minutes", 15) : 15);
  gtk_spin_button_set_value (self->cancellation_spin,
                             event != NULL ? eva_record_get_int (event, "cancellation_hours", 0) : 0);
  gtk_spin_button_set_value (self->per_attendee_spin,
                             event != NULL
                             ? eva_record_get_int (event, "max_tickets_per_attendee", PER_ATTENDEE_DEFAULT)
                             : PER_ATTENDEE_DEFAULT);
  show_payment (self, event);
  self->loading = FALSE;

  self->title_touched = FALSE;
  update_status (self);
  eva_event_editor_validate (self);
  set_dirty (self, FALSE);

  /* Cancelled and archived events are locked on the server. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->page),
                            event == NULL ||
                            !g_strv_contains ((const char *[]) { "cancelled", "archived", NULL },
                                              eva_record_get_string (event, "status") ?: ""));
}

void
eva_event_editor_new_event (EvaEventEditor *self)
{
  g_return_if_fail (EVA_IS_EVENT_EDITOR (self));

  eva_event_editor_set_event (self, NULL);
}

gboolean
eva_event_editor_get_dirty (EvaEventEditor *self)
{
  g_return_val_if_fail (EVA_IS_EVENT_EDITOR (self), FALSE);
  return self->dirty;
}

gboolean
eva_event_editor_get_busy (EvaEventEditor *self)
{
  g_return_val_if_fail (EVA_IS_EVENT_EDITOR (self), FALSE);
  return self->busy;
}

/**
 * eva_event_editor_get_field_row:
 * @field: a field's name in the API ("ends_at"), or a payment method
 *   ("card", "bank_transfer", "at_door") for the row of its switch
 *
 * Returns: (transfer none) (nullable): the row that edits it
 */
GtkWidget *
eva_event_editor_get_field_row (EvaEventEditor *self,
                                const char     *field)
{
  const struct { const char *name; gsize offset; } rows[] = {
    { "title", G_STRUCT_OFFSET (EvaEventEditor, title_row) },
    { "slug", G_STRUCT_OFFSET (EvaEventEditor, slug_row) },
    { "description", G_STRUCT_OFFSET (EvaEventEditor, description_frame) },
    { "venue", G_STRUCT_OFFSET (EvaEventEditor, venue_row) },
    { "address", G_STRUCT_OFFSET (EvaEventEditor, address_row) },
    { "timezone", G_STRUCT_OFFSET (EvaEventEditor, timezone_row) },
    { "starts_at", G_STRUCT_OFFSET (EvaEventEditor, starts_row) },
    { "ends_at", G_STRUCT_OFFSET (EvaEventEditor, ends_row) },
    { "currency", G_STRUCT_OFFSET (EvaEventEditor, currency_row) },
    { "hold_minutes", G_STRUCT_OFFSET (EvaEventEditor, hold_row) },
    { "cancellation_hours", G_STRUCT_OFFSET (EvaEventEditor, cancellation_row) },
    { "max_tickets_per_attendee", G_STRUCT_OFFSET (EvaEventEditor, per_attendee_row) },
    { "payment_methods", G_STRUCT_OFFSET (EvaEventEditor, card_row) },
    /* the row of each method's switch */
    { "card", G_STRUCT_OFFSET (EvaEventEditor, card_row) },
    { "bank_transfer", G_STRUCT_OFFSET (EvaEventEditor, transfer_row) },
    { "at_door", G_STRUCT_OFFSET (EvaEventEditor, door_row) },
    { "transfer_details", G_STRUCT_OFFSET (EvaEventEditor, transfer_details_frame) },
    { "transfer_days", G_STRUCT_OFFSET (EvaEventEditor, transfer_days_row) },
  };

  g_return_val_if_fail (EVA_IS_EVENT_EDITOR (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (g_strcmp0 (rows[i].name, field) == 0)
      return G_STRUCT_MEMBER (GtkWidget *, self, rows[i].offset);
  return NULL;
}

/* Checks every field with the server's rules and marks the rows; returns
 * whether the event can be sent. */
gboolean
eva_event_editor_validate (EvaEventEditor *self)
{
  g_autofree char *description = NULL;
  g_autoptr(GDateTime) starts = NULL;
  g_autoptr(GDateTime) ends = NULL;
  const char *title;
  const char *slug;
  const char *currency;
  const char *problem;
  g_autofree char *range = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (EVA_IS_EVENT_EDITOR (self), FALSE);

#define MARK(row, message) \
  G_STMT_START { const char *_m = (message); \
    eva_row_set_error (GTK_WIDGET (row), _m); if (_m != NULL) ok = FALSE; } G_STMT_END

  title = entry_text (self->title_row);
  problem = eva_check_text (title, TITLE_MAX, EVA_TEXT_SINGLE_LINE);
  /* "Required" is said once the user has had a go at it. */
  if (*title == '\0')
    {
      ok = FALSE;
      problem = self->title_touched ? _("A title is required") : NULL;
    }
  MARK (self->title_row, problem);

  slug = entry_text (self->slug_row);
  problem = NULL;
  if (*slug != '\0' && !eva_validate_slug (slug))
    problem = _("Use lower-case letters and digits in words joined by “-”, e.g. spring-concert");
  else if (*slug != '\0' && looks_like_uuid (slug))
    problem = _("Must not look like an id");
  MARK (self->slug_row, problem);

  description = description_text (self);
  MARK (self->description_frame, eva_check_text (description, DESCRIPTION_MAX,
                                             EVA_TEXT_ALLOW_EMPTY));
  MARK (self->venue_row, eva_check_text (entry_text (self->venue_row), VENUE_MAX,
                                     EVA_TEXT_SINGLE_LINE | EVA_TEXT_ALLOW_EMPTY));
  MARK (self->address_row, eva_check_text (entry_text (self->address_row), ADDRESS_MAX,
                                       EVA_TEXT_ALLOW_EMPTY));

  MARK (self->timezone_row, selected_zone (self) != NULL && eva_timezone_is_valid (selected_zone (self))
                            ? NULL : _("Pick a time zone"));

  starts = eva_date_time_button_get_datetime (self->starts_button);
  ends = eva_date_time_button_get_datetime (self->ends_button);
  MARK (self->starts_row, starts != NULL ? NULL : _("Pick when the event starts"));
  MARK (self->ends_row, ends == NULL ? _("Pick when the event ends")
                        : starts != NULL && g_date_time_compare (ends, starts) <= 0
                        ? _("Must be after the start") : NULL);

  currency = entry_text (self->currency_row);
  MARK (self->currency_row, *currency == '\0' || eva_currency_lookup (currency) != NULL
                            ? NULL : _("Not an ISO 4217 currency code such as EUR or USD"));

  if (!spin_text_in_range (self->per_attendee_spin, PER_ATTENDEE_MIN, PER_ATTENDEE_MAX))
    /* Translators: the smallest and the largest number of tickets */
    range = g_strdup_printf (_("Must be a whole number from %d to %d"),
                             PER_ATTENDEE_MIN, PER_ATTENDEE_MAX);
  MARK (self->per_attendee_row, range);

  {
    g_auto(GStrv) methods = payment_methods (self);
    g_autofree char *details = view_text (self->transfer_details_view);

    MARK (self->card_row, methods[0] == NULL ? _("Offer at least one way to pay") : NULL);
    MARK (self->transfer_details_frame, eva_check_text (details, TRANSFER_DETAILS_MAX, EVA_TEXT_ALLOW_EMPTY));
    MARK (self->transfer_days_row,
          spin_text_in_range (self->transfer_days_spin, TRANSFER_DAYS_MIN, TRANSFER_DAYS_MAX)
          ? NULL : _("Must be a whole number from 1 to 60"));
  }
#undef MARK

  return ok;
}

/**
 * eva_event_editor_get_fields:
 *
 * Returns: (transfer full): the request body for a create or an update
 */
JsonObject *
eva_event_editor_get_fields (EvaEventEditor *self)
{
  JsonObject *fields = json_object_new ();
  g_autofree char *description = description_text (self);
  g_autoptr(GDateTime) starts = eva_date_time_button_get_datetime (self->starts_button);
  g_autoptr(GDateTime) ends = eva_date_time_button_get_datetime (self->ends_button);
  const char *slug = entry_text (self->slug_row);
  const char *currency = entry_text (self->currency_row);

  json_object_set_string_member (fields, "title", entry_text (self->title_row));
  if (*slug != '\0')
    json_object_set_string_member (fields, "slug", slug);
  json_object_set_string_member (fields, "description", description);
  json_object_set_string_member (fields, "venue", entry_text (self->venue_row));
  json_object_set_string_member (fields, "address", entry_text (self->address_row));
  if (selected_zone (self) != NULL)
    json_object_set_string_member (fields, "timezone", selected_zone (self));
  if (starts != NULL)
    {
      g_autofree char *text = eva_time_format (starts);

      json_object_set_string_member (fields, "starts_at", text);
    }
  if (ends != NULL)
    {
      g_autofree char *text = eva_time_format (ends);

      json_object_set_string_member (fields, "ends_at", text);
    }
  if (*currency != '\0')
    json_object_set_string_member (fields, "currency", currency);
  else
    json_object_set_null_member (fields, "currency");
  json_object_set_int_member (fields, "hold_minutes",
                              gtk_spin_button_get_value_as_int (self->hold_spin));
  json_object_set_int_member (fields, "cancellation_hours",
                              gtk_spin_button_get_value_as_int (self->cancellation_spin));
  json_object_set_int_member (fields, "max_tickets_per_attendee",
                              gtk_spin_button_get_value_as_int (self->per_attendee_spin));
  if (sends_payment (self))
    {
      g_auto(GStrv) methods = payment_methods (self);
      g_autofree char *details = view_text (self->transfer_details_view);
      JsonArray *array = json_array_new ();

      for (guint i = 0; methods[i] != NULL; i++)
        json_array_add_string_element (array, methods[i]);
      json_object_set_array_member (fields, "payment_methods", array);
      if (*g_strstrip (details) != '\0')
        json_object_set_string_member (fields, "transfer_details", details);
      else
        json_object_set_null_member (fields, "transfer_details");
      json_object_set_int_member (fields, "transfer_days",
                                  gtk_spin_button_get_value_as_int (self->transfer_days_spin));
    }
  return fields;
}

/* Sends the event: a new one is created, a known one patched. */
void
eva_event_editor_save (EvaEventEditor *self)
{
  g_autoptr(JsonObject) fields = NULL;

  g_return_if_fail (EVA_IS_EVENT_EDITOR (self));
  g_return_if_fail (self->client != NULL);

  if (self->busy)
    return;
  self->title_touched = TRUE;
  if (!eva_event_editor_validate (self))
    {
      eva_show_toast (GTK_WIDGET (self), _("Some fields need attention"));
      return;
    }

  /* A number still being typed (Ctrl+S in the spin button) is sent too. */
  gtk_spin_button_update (self->hold_spin);
  gtk_spin_button_update (self->cancellation_spin);
  gtk_spin_button_update (self->per_attendee_spin);
  gtk_spin_button_update (self->transfer_days_spin);
  fields = eva_event_editor_get_fields (self);
  set_busy (self, TRUE);
  if (self->event == NULL)
    eva_api_client_create_event_async (self->client, fields, self->cancellable,
                                       saved_cb, g_object_ref (self));
  else
    eva_api_client_update_event_async (self->client, eva_record_get_id (self->event), fields,
                                       self->cancellable, saved_cb, g_object_ref (self));
}

/* Shows what the server refused at the rows it names; whatever names no
 * row goes to a toast. */
void
eva_event_editor_show_error (EvaEventEditor *self,
                             const GError   *error)
{
  JsonObject *details;
  gboolean shown = FALSE;

  g_return_if_fail (EVA_IS_EVENT_EDITOR (self));
  g_return_if_fail (error != NULL);

  details = eva_api_error_get_details (error);
  if (details != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (details);

      for (GList *l = members; l != NULL; l = l->next)
        {
          const char *field = l->data;
          GtkWidget *row = eva_event_editor_get_field_row (self, field);
          const char *message = eva_api_error_get_field_message (error, field);

          if (row == NULL || message == NULL)
            continue;
          eva_row_set_error (row, message);
          if (!shown)
            gtk_widget_grab_focus (row);
          shown = TRUE;
        }
    }

  if (shown)
    eva_show_toast (GTK_WIDGET (self), _("The server did not accept some fields"));
  else
    eva_report_error (GTK_WIDGET (self), error);
}
