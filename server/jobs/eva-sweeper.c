/* eva-sweeper.c: the thread that expires stale holds and scrubs old mail
 *
 * Every second it runs eva_bookings_expire() in batches until nothing is
 * due. The statement claims rows with FOR UPDATE SKIP LOCKED and
 * re-checks their state, so several server processes may sweep the same
 * database at once: each hold is expired (and its inventory and coupon use
 * given back) exactly once. If the database is away, the sweeper logs,
 * drops the connection and tries again on the next tick.
 *
 * After the holds, the payments' upkeep (eva_payments_sweep(): Checkout
 * sessions of lapsed holds, reconciliation, refunds, transfer reminders);
 * its failures never keep holds from expiring.
 *
 * Until it finds none, it also issues the tickets of confirmed bookings
 * that have none (confirmed before tickets existed: eva_notify_backfill()).
 *
 * Once a minute it also removes the links (single-use tokens) from outbox
 * rows that no longer need them (eva_outbox_scrub()), and webhook events
 * older than 30 days that have nothing left to send (eva_webhook_prune()).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-sweeper"

#include "config.h"

#include "eva-common.h"
#include "db/eva-db.h"
#include "jobs/eva-sweeper.h"
#include "mail/eva-outbox.h"
#include "services/booking.h"
#include "services/notify.h"
#include "services/payments.h"
#include "services/webhooks.h"

struct _EvaSweeper
{
  EvaConfig *config;
  char     *conninfo;
  guint     interval_ms;
  GThread  *thread;
  gint64    next_scrub;   /* monotonic µs */
  gboolean  backfilled;   /* no confirmed booking without tickets left */
  GMutex    mutex;
  GCond     cond;
  gboolean  stopping;
};

#define SCRUB_INTERVAL_US (60 * G_USEC_PER_SEC)

static void
scrub (EvaSweeper *sweeper,
       EvaDbConn  *conn)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 n;

  if (now < sweeper->next_scrub)
    return;
  sweeper->next_scrub = now + SCRUB_INTERVAL_US;
  n = eva_outbox_scrub (conn, &error);
  if (n < 0)
    g_warning ("scrubbing the outbox failed: %s", error->message);
  else if (n > 0)
    g_debug ("scrubbed %" G_GINT64_FORMAT " outbox rows", n);
  g_clear_error (&error);
  n = eva_webhook_prune (conn, &error);
  if (n < 0)
    g_warning ("pruning old webhook events failed: %s", error->message);
  else if (n > 0)
    g_debug ("pruned %" G_GINT64_FORMAT " webhook events", n);
}

#define BACKFILL_BATCH 50

static void
backfill (EvaSweeper *sweeper,
          EvaDbConn  *conn)
{
  g_autoptr(GError) error = NULL;
  gint64 n;

  if (sweeper->backfilled)
    return;
  n = eva_notify_backfill (conn, sweeper->config, BACKFILL_BATCH, &error);
  if (n < 0)
    g_warning ("issuing missing tickets failed: %s", error->message);
  else if (n > 0)
    g_message ("issued the tickets of %" G_GINT64_FORMAT " bookings confirmed without them", n);
  /* New confirmations issue their own tickets: once none is left, none
   * comes back. */
  sweeper->backfilled = n == 0;
}

static void
sweep (EvaSweeper  *sweeper,
       EvaDbConn  **conn)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gint64 n;

      if (*conn == NULL)
        {
          *conn = eva_db_conn_open (sweeper->conninfo, &error);
          if (*conn == NULL)
            {
              g_debug ("cannot connect: %s", error->message);
              return;
            }
        }

      n = eva_bookings_expire (*conn, NULL, NULL, EVA_BOOKING_SWEEP_BATCH, &error);
      if (n < 0)
        {
          g_warning ("expiring holds failed: %s", error->message);
          if (g_error_matches (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE))
            g_clear_pointer (conn, eva_db_conn_free);
          return;
        }
      if (n > 0)
        g_debug ("expired %" G_GINT64_FORMAT " holds", n);
      if (n < EVA_BOOKING_SWEEP_BATCH)
        {
          /* Payments after holds: a slow or failing payment provider
           * never delays the inventory of lapsed holds. */
          if (!eva_payments_sweep (*conn, sweeper->config, &error))
            {
              g_warning ("payment upkeep failed: %s", error->message);
              if (g_error_matches (error, EVA_ERROR, EVA_ERROR_UNAVAILABLE))
                {
                  g_clear_pointer (conn, eva_db_conn_free);
                  return;
                }
              g_clear_error (&error);
            }
          backfill (sweeper, *conn);
          scrub (sweeper, *conn);
          return;
        }

      g_mutex_lock (&sweeper->mutex);
      if (sweeper->stopping)
        {
          g_mutex_unlock (&sweeper->mutex);
          return;
        }
      g_mutex_unlock (&sweeper->mutex);
    }
}

static gpointer
sweeper_thread (gpointer data)
{
  EvaSweeper *sweeper = data;
  EvaDbConn *conn = NULL;

  g_mutex_lock (&sweeper->mutex);
  while (!sweeper->stopping)
    {
      gint64 until = g_get_monotonic_time () + (gint64) sweeper->interval_ms * 1000;

      g_mutex_unlock (&sweeper->mutex);
      sweep (sweeper, &conn);
      g_mutex_lock (&sweeper->mutex);
      while (!sweeper->stopping)
        if (!g_cond_wait_until (&sweeper->cond, &sweeper->mutex, until))
          break;
    }
  g_mutex_unlock (&sweeper->mutex);

  g_clear_pointer (&conn, eva_db_conn_free);
  return NULL;
}

EvaSweeper *
eva_sweeper_start (EvaConfig *config,
                   guint      interval_ms)
{
  EvaSweeper *sweeper = g_new0 (EvaSweeper, 1);

  sweeper->config = config;
  sweeper->conninfo = g_strdup (config->database_url);
  sweeper->interval_ms = MAX (interval_ms, 10);
  g_mutex_init (&sweeper->mutex);
  g_cond_init (&sweeper->cond);
  sweeper->thread = g_thread_new ("eva-sweeper", sweeper_thread, sweeper);
  return sweeper;
}

void
eva_sweeper_stop (EvaSweeper *sweeper)
{
  if (sweeper == NULL)
    return;

  g_mutex_lock (&sweeper->mutex);
  sweeper->stopping = TRUE;
  g_cond_signal (&sweeper->cond);
  g_mutex_unlock (&sweeper->mutex);
  g_thread_join (sweeper->thread);

  g_mutex_clear (&sweeper->mutex);
  g_cond_clear (&sweeper->cond);
  g_free (sweeper->conninfo);
  g_free (sweeper);
}
