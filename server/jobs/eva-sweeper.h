/* eva-sweeper.h: the thread that expires stale holds
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "core/eva-config.h"

G_BEGIN_DECLS

typedef struct _EvaSweeper EvaSweeper;

/* Starts a thread with a database connection of its own that, every
 * @interval_ms, expires due holds and does the payments' background work
 * (eva_payments_sweep(): Checkout sessions of lapsed holds, lost webhooks,
 * refunds to send, transfer reminders). @config must outlive it. */
EvaSweeper *eva_sweeper_start (EvaConfig  *config,
                               guint       interval_ms);
void        eva_sweeper_stop  (EvaSweeper *sweeper);

G_END_DECLS
