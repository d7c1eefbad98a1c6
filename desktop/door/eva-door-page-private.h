/* eva-door-page-private.h: what the tests and the benchmark read of
 * EvaDoorPage
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "door/eva-door-page.h"
#include "door/eva-door-scanner.h"
#include "door/eva-door-sound.h"

G_BEGIN_DECLS

/* The verdict on screen: "admit", "warn", "deny" or NULL (none shown). */
const char   *_eva_door_page_get_verdict_kind (EvaDoorPage *self);
/* A label of the verdict: "headline", "name", "type", "reason", "offline". */
const char   *_eva_door_page_get_verdict_text (EvaDoorPage *self,
                                               const char  *which);
EvaDoorSound  _eva_door_page_get_last_sound   (EvaDoorPage *self);
guint         _eva_door_page_get_verdicts     (EvaDoorPage *self);
gint64        _eva_door_page_get_last_latency (EvaDoorPage *self);
gint64        _eva_door_page_get_last_decided (EvaDoorPage *self);
const char   *_eva_door_page_get_counts_text  (EvaDoorPage *self);
const char   *_eva_door_page_get_status_text  (EvaDoorPage *self);
const char   *_eva_door_page_get_conflict_text (EvaDoorPage *self);
guint         _eva_door_page_get_recent_count (EvaDoorPage *self);
char         *_eva_door_page_describe_recent  (EvaDoorPage *self,
                                               guint        index);
void          _eva_door_page_undo_recent      (EvaDoorPage *self,
                                               guint        index);
GtkWidget    *_eva_door_page_get_widget       (EvaDoorPage *self,
                                               const char  *name);
guint         _eva_door_page_get_search_count (EvaDoorPage *self);
void          _eva_door_page_check_in_result  (EvaDoorPage *self,
                                               guint        index);
void          _eva_door_page_pay_and_admit    (EvaDoorPage *self);
gboolean      _eva_door_page_get_synced       (EvaDoorPage *self);
guint         _eva_door_page_get_syncs        (EvaDoorPage *self);
EvaDoorScanner *_eva_door_page_get_scanner    (EvaDoorPage *self);
void          _eva_door_page_set_verdict_ms   (EvaDoorPage *self,
                                               guint        ms);
void          _eva_door_page_lock             (EvaDoorPage *self,
                                               const char  *password);
gboolean      _eva_door_page_unlock           (EvaDoorPage *self,
                                               const char  *password);

G_END_DECLS
