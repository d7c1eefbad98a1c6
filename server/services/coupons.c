/* services/coupons.c: looking up and applying coupons
 *
 * A coupon's uses are counted like inventory: one conditional UPDATE per
 * hold (uses < max_uses), backed by the CHECK coupons_uses_check, and given
 * back when the booking expires or is cancelled (services/booking.c).
 *
 * Unknown codes named in quotes (api/coupons.c) and holds (api/bookings.c)
 * are counted per client address against one budget, so the two ways
 * together guess no faster than either alone.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-coupons"

#include "config.h"

#include <stdlib.h>

#include "eva-common.h"
#include "services/attendees.h"
#include "services/coupons.h"

static const char sql_lookup[] =
  "SELECT c.id, c.code, c.kind, coalesce(c.percent::bigint, c.amount),"
  "       CASE WHEN c.valid_from IS NOT NULL AND now() < c.valid_from THEN 'not_yet_valid'"
  "            WHEN c.valid_until IS NOT NULL AND now() >= c.valid_until THEN 'expired' END,"
  "       coalesce(c.max_uses, -1), coalesce(c.max_uses_per_attendee, -1), c.uses,"
  "       CASE WHEN $3::uuid IS NULL THEN 0 ELSE"
  "         (SELECT count(*) FROM bookings b"
  "           WHERE b.coupon_id = c.id AND b.attendee_id = $3::uuid"
  "             AND (b.status = 'confirmed'"
  "                  OR (b.status IN ('held', 'pending_payment') AND b.expires_at > now())))"
  "       END,"
  "       c.min_order, c.unlocks_hidden,"
  "       coalesce((SELECT string_agg(ct.ticket_type_id::text, ',')"
  "                   FROM coupon_ticket_types ct WHERE ct.coupon_id = c.id), '')"
  "  FROM coupons c WHERE c.event_id = $1::uuid AND lower(c.code) = lower($2)";

static const char sql_take_use[] =
  "UPDATE coupons SET uses = uses + 1"
  " WHERE id = $1::uuid AND (max_uses IS NULL OR uses < max_uses) RETURNING uses";

/* $1 key, $2 window (s): unknown codes named in the current window, and
 * the seconds left of it (no row: none). Counted by
 * eva_attendee_limit_take(). */
static const char sql_guesses[] =
  "SELECT failures, greatest (1, ceil (extract (epoch FROM window_start"
  "         + make_interval (secs => $2::int) - now ())))::bigint"
  "  FROM rate_limits"
  " WHERE key = $1 AND window_start > now () - make_interval (secs => $2::int)";

void
eva_coupon_free (EvaCoupon *coupon)
{
  if (coupon == NULL)
    return;
  g_free (coupon->id);
  g_free (coupon->code);
  g_free (coupon->validity);
  g_clear_pointer (&coupon->ticket_type_ids, g_ptr_array_unref);
  g_free (coupon);
}

static gint64
int_at (PGresult *r,
        int       col)
{
  return g_ascii_strtoll (PQgetvalue (r, 0, col), NULL, 10);
}

EvaCoupon *
eva_coupon_lookup (EvaDbConn   *conn,
                   const char  *event_id,
                   const char  *code,
                   const char  *attendee_id,
                   GError     **error)
{
  const char *params[] = { event_id, code, attendee_id };
  g_autoptr(PGresult) r = eva_db_exec (conn, sql_lookup, 3, params, error);
  EvaCoupon *c;
  g_auto(GStrv) ids = NULL;

  if (r == NULL || PQntuples (r) == 0)
    return NULL;

  c = g_new0 (EvaCoupon, 1);
  c->id = g_strdup (PQgetvalue (r, 0, 0));
  c->code = g_strdup (PQgetvalue (r, 0, 1));
  c->kind = g_str_equal (PQgetvalue (r, 0, 2), "percent") ? EVA_DISCOUNT_PERCENT
                                                           : EVA_DISCOUNT_FIXED;
  c->value = int_at (r, 3);
  c->validity = PQgetisnull (r, 0, 4) ? NULL : g_strdup (PQgetvalue (r, 0, 4));
  c->max_uses = int_at (r, 5);
  c->max_per_attendee = int_at (r, 6);
  c->uses = int_at (r, 7);
  c->attendee_uses = int_at (r, 8);
  c->min_order = int_at (r, 9);
  c->unlocks_hidden = g_str_equal (PQgetvalue (r, 0, 10), "t");
  c->ticket_type_ids = g_ptr_array_new_with_free_func (g_free);
  ids = g_strsplit (PQgetvalue (r, 0, 11), ",", -1);
  for (guint i = 0; ids[i] != NULL; i++)
    if (*ids[i] != '\0')
      g_ptr_array_add (c->ticket_type_ids, g_strdup (ids[i]));
  return c;
}

gboolean
eva_coupon_applies (EvaCoupon  *coupon,
                    const char *ticket_type_id)
{
  if (coupon->ticket_type_ids->len == 0)
    return TRUE;
  for (guint i = 0; i < coupon->ticket_type_ids->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (coupon->ticket_type_ids, i), ticket_type_id) == 0)
      return TRUE;
  return FALSE;
}

gboolean
eva_coupon_take_use (EvaDbConn   *conn,
                     const char  *coupon_id,
                     gboolean    *taken,
                     GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_take_use, error, coupon_id);

  if (r == NULL)
    return FALSE;
  *taken = PQntuples (r) == 1;
  return TRUE;
}

static char *
guess_key (const char *client_ip)
{
  return g_strconcat ("att:coupon:ip:", client_ip != NULL ? client_ip : "", NULL);
}

gboolean
eva_coupon_guesses_check (EvaDbConn   *conn,
                          const char  *client_ip,
                          gint64      *retry_after,
                          GError     **error)
{
  g_autofree char *key = guess_key (client_ip);
  g_autofree char *window = g_strdup_printf ("%d", EVA_COUPON_GUESS_WINDOW);
  g_autoptr(PGresult) r = eva_db_query (conn, sql_guesses, error, key, window);

  *retry_after = 0;
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) > 0 && int_at (r, 0) >= EVA_COUPON_GUESSES)
    *retry_after = MAX (int_at (r, 1), 1);
  return TRUE;
}

gboolean
eva_coupon_guess_count (EvaDbConn   *conn,
                        const char  *client_ip,
                        GError     **error)
{
  g_autofree char *key = guess_key (client_ip);
  gboolean allowed;

  return eva_attendee_limit_take (conn, key, EVA_COUPON_GUESSES, EVA_COUPON_GUESS_WINDOW,
                                  &allowed, error);
}
