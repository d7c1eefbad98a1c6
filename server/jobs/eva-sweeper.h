/* eva-sweeper.h: the thread that expires stale holds
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _EvaSweeper EvaSweeper;

/* Starts a thread with a database connection of its own that expires due
 * holds every @interval_ms. */
EvaSweeper *eva_sweeper_start (const char *conninfo,
                               guint       interval_ms);
void        eva_sweeper_stop  (EvaSweeper *sweeper);

G_END_DECLS
