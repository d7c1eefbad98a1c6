/* eva-record.c: one resource of the API as a GObject
 *
 * The record keeps the server's JSON object as it came and reads members on
 * demand, so a field the server adds later needs no change here. "changed"
 * is emitted when the object is replaced (after a save).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-record"

#include "config.h"

#include "api/eva-record.h"
#include "eva-common.h"

struct _EvaRecord
{
  GObject     parent_instance;
  JsonObject *object;
};

G_DEFINE_FINAL_TYPE (EvaRecord, eva_record, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_record_finalize (GObject *object)
{
  EvaRecord *self = EVA_RECORD (object);

  g_clear_pointer (&self->object, json_object_unref);

  G_OBJECT_CLASS (eva_record_parent_class)->finalize (object);
}

static void
eva_record_class_init (EvaRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eva_record_finalize;

  /**
   * EvaRecord::changed:
   *
   * The record's JSON object was replaced, e.g. by the server's answer to
   * a save.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
eva_record_init (EvaRecord *self)
{
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaRecord *
eva_record_new (JsonObject *object)
{
  EvaRecord *self;

  g_return_val_if_fail (object != NULL, NULL);

  self = g_object_new (EVA_TYPE_RECORD, NULL);
  self->object = json_object_ref (object);
  return self;
}

JsonObject *
eva_record_get_object (EvaRecord *self)
{
  g_return_val_if_fail (EVA_IS_RECORD (self), NULL);
  return self->object;
}

void
eva_record_set_object (EvaRecord  *self,
                       JsonObject *object)
{
  g_return_if_fail (EVA_IS_RECORD (self));
  g_return_if_fail (object != NULL);

  if (object == self->object)
    return;
  json_object_ref (object);
  g_clear_pointer (&self->object, json_object_unref);
  self->object = object;
  g_signal_emit (self, signals[CHANGED], 0);
}

const char *
eva_record_get_id (EvaRecord *self)
{
  return eva_record_get_string (self, "id");
}

const char *
eva_record_get_string (EvaRecord  *self,
                       const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (EVA_IS_RECORD (self), NULL);

  node = json_object_get_member (self->object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
eva_record_get_int (EvaRecord  *self,
                    const char *member,
                    gint64      fallback)
{
  JsonNode *node;

  g_return_val_if_fail (EVA_IS_RECORD (self), fallback);

  node = json_object_get_member (self->object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

gboolean
eva_record_get_boolean (EvaRecord  *self,
                        const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (EVA_IS_RECORD (self), FALSE);

  node = json_object_get_member (self->object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  return json_node_get_boolean (node);
}

gboolean
eva_record_is_null (EvaRecord  *self,
                    const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (EVA_IS_RECORD (self), TRUE);

  node = json_object_get_member (self->object, member);
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

/* Returns a new reference, or NULL when the member is absent or null. */
GDateTime *
eva_record_get_datetime (EvaRecord  *self,
                         const char *member)
{
  const char *text = eva_record_get_string (self, member);

  if (text == NULL)
    return NULL;
  return eva_time_parse (text, NULL);
}
