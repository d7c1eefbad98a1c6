/* eva-door-verdict.c: EvaDoorPage's verdict: the words of each answer,
 * the full-window colour with its sound, the time until it is drawn, and
 * the list of the last scans
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-door-page"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "api/eva-api-checkin.h"
#include "api/eva-api-utils.h"
#include "door/eva-door-page-private.h"
#include "widgets/eva-utils.h"

#define RECENT_MAX 20

typedef struct
{
  const char  *kind;        /* admit, warn, deny */
  const char  *headline;
  char        *reason;
  EvaDoorSound sound;
} Words;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

const char *
_eva_door_json_string (JsonObject *o,
             const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

JsonObject *
_eva_door_json_object (JsonObject *o,
             const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static char *
local_time (const char *iso)
{
  g_autoptr(GDateTime) dt = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) local = dt != NULL ? g_date_time_to_local (dt) : NULL;

  return local != NULL ? g_date_time_format (local, "%H:%M") : g_strdup ("?");
}

/* The words of a verdict: one-word headline, colour and the reason. */
static Words
describe (JsonObject *verdict)
{
  const char *status = _eva_door_json_string (verdict, "status");
  const char *reason = _eva_door_json_string (verdict, "reason");
  JsonObject *first = _eva_door_json_object (verdict, "first_checkin");
  Words w = { "deny", NULL, NULL, EVA_DOOR_SOUND_DENY };

  if (g_strcmp0 (status, "ok") == 0)
    {
      w.kind = "admit";
      w.sound = EVA_DOOR_SOUND_ADMIT;
      w.headline = g_strcmp0 (_eva_door_json_string (verdict, "type"), "exit") == 0 ? _("EXIT") : _("ADMIT");
      if (json_object_get_boolean_member_with_default (verdict, "paid_at_door", FALSE))
        w.reason = g_strdup (_("Payment collected at the door"));
      else if (json_object_get_boolean_member_with_default (verdict, "not_synced", FALSE))
        w.reason = g_strdup (_("Valid code of a ticket newer than the last sync"));
      return w;
    }
  if (g_strcmp0 (reason, "already_checked_in") == 0)
    {
      g_autofree char *at = local_time (_eva_door_json_string (first, "at"));
      const char *by = _eva_door_json_string (first, "device") != NULL ? _eva_door_json_string (first, "device")
                                                             : _eva_door_json_string (first, "by");

      w.kind = "warn";
      w.sound = EVA_DOOR_SOUND_WARN;
      w.headline = _("ALREADY IN");
      w.reason = by != NULL
                 ? g_strdup_printf (_("Checked in %s by %s"), at, by)
                 : g_strdup_printf (_("Checked in %s"), at);
      return w;
    }
  if (g_strcmp0 (reason, "unpaid") == 0)
    {
      w.kind = "warn";
      w.sound = EVA_DOOR_SOUND_WARN;
      w.headline = _("UNPAID");
      w.reason = g_strdup (_("Not paid yet: collect the payment, then admit"));
      return w;
    }
  if (g_strcmp0 (reason, "revoked") == 0)
    w.headline = _("REVOKED"), w.reason = g_strdup (_("This code was replaced by a newer one"));
  else if (g_strcmp0 (reason, "cancelled") == 0)
    w.headline = _("CANCELLED"), w.reason = g_strdup (_("The booking was cancelled or refunded"));
  else if (g_strcmp0 (reason, "wrong_event") == 0)
    w.headline = _("WRONG EVENT"), w.reason = g_strdup (_("This ticket is for another event"));
  else if (g_strcmp0 (reason, "not_on_list") == 0)
    w.headline = _("NOT HERE"), w.reason = g_strdup (_("This ticket type does not enter through this list"));
  else if (g_strcmp0 (reason, "outside_time_window") == 0)
    w.headline = _("CLOSED"), w.reason = g_strdup (_("This list does not admit at this time"));
  else if (g_strcmp0 (reason, "not_checked_in") == 0)
    w.headline = _("NOT IN"), w.reason = g_strdup (_("An exit of a ticket that never came in"));
  else if (g_strcmp0 (reason, "error") == 0)
    w.headline = _("ERROR"), w.reason = g_strdup (_eva_door_json_string (verdict, "message"));
  else if (g_strcmp0 (reason, "unknown_ticket") == 0)
    w.headline = _("UNKNOWN"), w.reason = g_strdup (_("No such ticket"));
  else
    w.headline = _("INVALID"), w.reason = g_strdup (_("Not a ticket code of this server"));
  return w;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
after_paint_cb (GdkFrameClock *clock,
                EvaDoorPage   *self)
{
  g_clear_signal_handler (&self->after_paint_id, clock);
  g_clear_object (&self->frame_clock);
  if (self->pending_entered_us > 0)
    {
      self->last_latency_us = g_get_monotonic_time () - self->pending_entered_us;
      self->pending_entered_us = 0;
      _eva_door_page_emit_verdict_drawn (self, self->last_latency_us);
    }
}

static void
undo_clicked_cb (GtkButton   *button,
                 EvaDoorPage *self)
{
  _eva_door_page_undo (self, g_object_get_data (G_OBJECT (button), "recent"));
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

void
_eva_door_recent_free (Recent *r)
{
  g_free (r->nonce);
  g_free (r->checkin_id);
  g_free (r->holder);
  g_free (r->headline);
  g_free (r->kind);
  g_free (r);
}

Recent *
_eva_door_page_find_recent (EvaDoorPage *self,
             const char  *nonce)
{
  for (guint i = 0; i < self->recent->len; i++)
    {
      Recent *r = g_ptr_array_index (self->recent, i);

      if (g_strcmp0 (r->nonce, nonce) == 0)
        return r;
    }
  return NULL;
}

void
_eva_door_recent_update (Recent *r)
{
  g_autofree char *subtitle = NULL;

  if (r->conflict)
    subtitle = g_strdup_printf (_("%s · conflict: another door let this ticket in first"), r->headline);
  else if (r->undone)
    subtitle = g_strdup_printf (_("%s · undone"), r->headline);
  else
    subtitle = g_strdup (r->headline);
  adw_action_row_set_subtitle (r->row, subtitle);
  gtk_widget_set_visible (r->undo_button, r->checkin_id != NULL && !r->undone && !r->conflict);
  if (r->conflict)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (r->row), "door-row-admit");
      gtk_widget_add_css_class (GTK_WIDGET (r->row), "door-row-deny");
      gtk_widget_add_css_class (GTK_WIDGET (r->row), "error");
    }
}

gboolean
_eva_door_page_clear_verdict (gpointer data)
{
  EvaDoorPage *self = data;

  self->verdict_source = 0;
  gtk_widget_set_visible (self->verdict_box, FALSE);
  eva_door_scanner_set_preview (self->scanner, TRUE);
  self->verdict_kind = NULL;
  g_clear_pointer (&self->pay_code, g_free);
  return G_SOURCE_REMOVE;
}

static void
add_recent (EvaDoorPage *self,
            JsonObject  *verdict,
            const char  *nonce,
            const Words *w)
{
  JsonObject *ticket = _eva_door_json_object (verdict, "ticket");
  const char *holder = _eva_door_json_string (ticket, "holder_name");
  Recent *r = g_new0 (Recent, 1);
  g_autofree char *title = NULL;
  g_autofree char *css_class = NULL;

  r->nonce = g_strdup (nonce);
  r->checkin_id = g_strdup (_eva_door_json_string (verdict, "checkin_id"));
  r->holder = g_strdup (holder != NULL && *holder != '\0' ? holder
                       : ticket != NULL ? _("No name") : _("Unknown code"));
  r->headline = json_object_get_boolean_member_with_default (verdict, "offline", FALSE)
                ? g_strdup_printf (_("%s (offline)"), w->headline) : g_strdup (w->headline);
  r->kind = g_strdup (w->kind);
  r->row = ADW_ACTION_ROW (adw_action_row_new ());
  title = g_markup_escape_text (r->holder, -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (r->row), title);
  css_class = g_strconcat ("door-row-", w->kind, NULL);
  gtk_widget_add_css_class (GTK_WIDGET (r->row), css_class);
  r->undo_button = gtk_button_new_with_mnemonic (_("_Undo"));
  gtk_widget_set_valign (r->undo_button, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (r->undo_button), "recent", r);
  g_signal_connect (r->undo_button, "clicked", G_CALLBACK (undo_clicked_cb), self);
  adw_action_row_add_suffix (r->row, r->undo_button);
  _eva_door_recent_update (r);
  gtk_list_box_prepend (self->recent_list, GTK_WIDGET (r->row));
  g_ptr_array_insert (self->recent, 0, r);
  while (self->recent->len > RECENT_MAX)
    {
      Recent *old = g_ptr_array_index (self->recent, self->recent->len - 1);

      gtk_list_box_remove (self->recent_list, GTK_WIDGET (old->row));
      g_ptr_array_remove_index (self->recent, self->recent->len - 1);
    }
}

void
_eva_door_page_show_verdict (EvaDoorPage *self,
              JsonObject  *verdict,
              const char  *code,
              const char  *nonce,
              gint64       entered_us)
{
  Words w = describe (verdict);
  g_autofree char *reason = g_steal_pointer (&w.reason);
  JsonObject *ticket = _eva_door_json_object (verdict, "ticket");
  const char *holder = _eva_door_json_string (ticket, "holder_name");
  const char *type = _eva_door_json_string (ticket, "ticket_type");
  gboolean offline = json_object_get_boolean_member_with_default (verdict, "offline", FALSE);
  GtkNative *native;

  gtk_widget_remove_css_class (self->verdict_box, "admit");
  gtk_widget_remove_css_class (self->verdict_box, "warn");
  gtk_widget_remove_css_class (self->verdict_box, "deny");
  gtk_widget_add_css_class (self->verdict_box, w.kind);
  gtk_label_set_label (self->verdict_headline, w.headline);
  gtk_label_set_label (self->verdict_name, holder != NULL && *holder != '\0' ? holder
                                           : ticket != NULL ? _("No name") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_name), ticket != NULL);
  gtk_label_set_label (self->verdict_type, type != NULL ? type : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_type), type != NULL);
  gtk_label_set_label (self->verdict_reason, reason != NULL ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_reason), reason != NULL);
  gtk_label_set_label (self->verdict_offline,
                       offline ? _("Decided offline: the server will be told when it is back") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_offline), offline);
  g_clear_pointer (&self->pay_code, g_free);
  if (g_strcmp0 (_eva_door_json_string (verdict, "reason"), "unpaid") == 0 && code != NULL)
    self->pay_code = g_strdup (code);
  gtk_widget_set_visible (self->pay_button, self->pay_code != NULL);
  gtk_widget_set_visible (self->verdict_box, TRUE);
  eva_door_scanner_set_preview (self->scanner, FALSE);
  self->verdict_kind = w.kind;
  self->last_sound = w.sound;
  self->verdicts++;
  eva_door_sound_play (w.sound);
  g_free (self->last_code);
  self->last_code = g_strdup (code);
  self->last_verdict_us = g_get_monotonic_time ();

  g_clear_handle_id (&self->verdict_source, g_source_remove);
  /* The unpaid verdict waits longer: someone has to take the money. */
  self->verdict_source = g_timeout_add (self->pay_code != NULL ? self->verdict_ms * 3 : self->verdict_ms,
                                        _eva_door_page_clear_verdict, self);

  add_recent (self, verdict, nonce, &w);

  /* The time it took, measured when the verdict has been drawn. */
  native = gtk_widget_get_native (GTK_WIDGET (self));
  if (entered_us > 0 && native != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      GdkFrameClock *clock = gdk_surface_get_frame_clock (gtk_native_get_surface (native));

      self->pending_entered_us = entered_us;
      self->last_decided_us = g_get_monotonic_time () - entered_us;
      if (self->after_paint_id == 0)
        {
          self->frame_clock = g_object_ref (clock);
          self->after_paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
        }
      gtk_widget_queue_draw (self->verdict_box);
    }
}
