/* eva-record.h: one resource of the API (an event, a ticket type, a staff
 * account…) as a GObject, so it can live in list models
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define EVA_TYPE_RECORD (eva_record_get_type ())

G_DECLARE_FINAL_TYPE (EvaRecord, eva_record, EVA, RECORD, GObject)

EvaRecord   *eva_record_new          (JsonObject *object);
JsonObject  *eva_record_get_object   (EvaRecord  *self);
void         eva_record_set_object   (EvaRecord  *self,
                                      JsonObject *object);
const char  *eva_record_get_id       (EvaRecord  *self);
const char  *eva_record_get_string   (EvaRecord  *self,
                                      const char *member);
gint64       eva_record_get_int      (EvaRecord  *self,
                                      const char *member,
                                      gint64      fallback);
gboolean     eva_record_get_boolean  (EvaRecord  *self,
                                      const char *member);
gboolean     eva_record_is_null      (EvaRecord  *self,
                                      const char *member);
GDateTime   *eva_record_get_datetime (EvaRecord  *self,
                                      const char *member);

G_END_DECLS
