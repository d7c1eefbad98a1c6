/* services/analytics.h: the organizer's figures — per event and across
 * events, each one aggregate query rendered as JSON by PostgreSQL
 *
 * Everything here runs on a database pool thread.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "db/eva-db.h"

G_BEGIN_DECLS

/* @bucket is "hour", "day" or "week". Fails with EVA_ERROR_NOT_FOUND for
 * an unknown event. */
char *eva_analytics_event   (EvaDbConn   *conn,
                             const char  *event_id,
                             const char  *bucket,
                             GError     **error);

/* Events starting on a local day in [@from, @to] (each "YYYY-MM-DD" or
 * NULL for no bound), in the time zone of each event. */
char *eva_analytics_summary (EvaDbConn   *conn,
                             const char  *from,
                             const char  *to,
                             GError     **error);

G_END_DECLS
