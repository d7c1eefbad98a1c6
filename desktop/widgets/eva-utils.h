/* eva-utils.h: small helpers shared by the widgets
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-record.h"
#include "eva-validate.h"

G_BEGIN_DECLS

/* The action (a string parameter, the message) that eva_report_error()
 * activates on a widget for an offline error: the window above it
 * installs it and raises its offline banner. Where no ancestor has it
 * (a dialog, a widget on its own), the error is a toast. */
#define EVA_ACTION_SET_OFFLINE "window.set-offline"

/* The row that shows @field of the form @owner, or NULL. */
typedef GtkWidget *(*EvaFieldRowFunc) (gpointer    owner,
                                       const char *field);

void         eva_show_toast         (GtkWidget    *widget,
                                     const char   *message);
void         eva_report_error       (GtkWidget    *widget,
                                     const GError *error);
void         eva_row_set_error      (GtkWidget    *row,
                                     const char   *message);
gboolean     eva_row_has_error      (GtkWidget    *row);
const char  *eva_reason_label       (const char   *reason);
const char  *eva_check_text         (const char   *text,
                                     guint         max_chars,
                                     EvaTextFlags  flags);
const char  *eva_row_get_error      (GtkWidget    *row);
gboolean     eva_rows_set_field_errors (const GError    *error,
                                        EvaFieldRowFunc  field_row,
                                        gpointer         owner);
void         eva_action_row_add_tag (AdwActionRow *row,
                                     const char   *label);
char        *eva_format_day         (GDateTime    *dt);
char        *eva_format_datetime    (GDateTime    *dt,
                                     const char   *timezone);
const char  *eva_status_label       (const char   *status);
const char  *eva_role_label         (const char   *role);
char        *eva_format_money_plain (gint64        minor,
                                     const char   *currency);
char        *eva_format_money       (gint64        minor,
                                     const char   *currency);
const char  *eva_booking_status_label    (const char *status);
const char  *eva_booking_get_attendee    (EvaRecord  *booking,
                                          const char *member);
char        *eva_booking_get_reference   (EvaRecord  *booking);
char        *eva_booking_describe_reference (EvaRecord *booking);
gboolean     eva_booking_can_cancel      (EvaRecord  *booking);
gint64       eva_booking_count_tickets   (EvaRecord  *booking);
void         eva_set_status_class   (GtkWidget    *pill,
                                     const char   *status);

G_END_DECLS
