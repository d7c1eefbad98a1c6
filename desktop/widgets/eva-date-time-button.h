/* eva-date-time-button.h: a date and time, picked in a popover
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EVA_TYPE_DATE_TIME_BUTTON (eva_date_time_button_get_type ())

G_DECLARE_FINAL_TYPE (EvaDateTimeButton, eva_date_time_button, EVA, DATE_TIME_BUTTON, GtkWidget)

GtkWidget  *eva_date_time_button_new          (void);
GDateTime  *eva_date_time_button_get_datetime (EvaDateTimeButton *self);
void        eva_date_time_button_set_datetime (EvaDateTimeButton *self,
                                               GDateTime         *datetime);
const char *eva_date_time_button_get_timezone (EvaDateTimeButton *self);
void        eva_date_time_button_set_timezone (EvaDateTimeButton *self,
                                               const char        *timezone);
void        eva_date_time_button_set_optional (EvaDateTimeButton *self,
                                               gboolean           optional);

G_END_DECLS
