/* api/public.c: what anyone may read about events, without signing in
 *
 * The hottest path of a sale announcement, so each reply is one SQL
 * statement that returns the final JSON text, served through the
 * per-process one-second cache (eva_request_run_cached(), which also sets
 * Cache-Control: public, max-age=1, stale-while-revalidate=5, so a proxy
 * in front may keep it too).
 *
 * Visible: published events that have not ended in the list; published and
 * cancelled ones (so a link shows the cancellation) by id or slug. Drafts
 * and archived events are 404, like unknown ones. Hidden ticket types (sold
 * through coupons) are left out everywhere, and the held/sold counts are
 * not shown: "available" and "on_sale" say what a buyer needs.
 *
 * Each event carries a summary over its visible ticket types: price_min and
 * price_max (null without any), available (sum of capacity - held - sold),
 * capacity (their sum) and sold_out (it has visible ticket types and none is available).
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-public"

#include "config.h"

#include "api/eva-api.h"
#include "services/events.h"

#define CACHE_TTL_MS 1000

static const char sql_list[] =
  "WITH ranked AS ("
  "  SELECT e.id, row_number() OVER (ORDER BY e.starts_at, e.id) AS rn"
  "    FROM events e"
  "   WHERE e.status = 'published' AND e.ends_at > now()"
  "     AND ($1::timestamptz IS NULL OR e.starts_at >= $1::timestamptz)"
  "     AND ($2::timestamptz IS NULL OR e.starts_at < $2::timestamptz)"
  "     AND ($3::text IS NULL OR e.title ILIKE $3::text OR e.venue ILIKE $3::text))"
  " SELECT json_build_object("
  "   'items', coalesce((SELECT json_agg(eva_event_json(e) || s.summary ORDER BY r.rn)"
  "                        FROM ranked r"
  "                        JOIN events e ON e.id = r.id"
  "                        CROSS JOIN LATERAL (" EVA_EVENTS_PUBLIC_SUMMARY_SQL ("$7", "$8") ") AS s"
  "                       WHERE r.rn > $5::bigint AND r.rn <= $5::bigint + $4::bigint),"
  "                     '[]'::json),"
  "   'total', (SELECT count(*) FROM ranked),"
  "   'next_cursor', CASE WHEN (SELECT count(*) FROM ranked) > $5::bigint + $4::bigint"
  "                       THEN $6::text END)::text";

/* ------------------------------------------------------------------ */
/* List                                                               */
/* ------------------------------------------------------------------ */

static void
list_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  EvaEventQuery *query = data;
  g_autoptr(GError) error = NULL;
  const char *params[] = {
    query->from, query->to, query->pattern,
    query->limit_text, query->offset_text, query->next_cursor,
    eva_events_card_offered (eva_request_get_config (req)),
    eva_events_transfer_offered (eva_request_get_config (req)),
  };
  g_autoptr(PGresult) result =
    eva_db_exec (conn, sql_list, G_N_ELEMENTS (params), params, &error);

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

static void
event_query_free (gpointer data)
{
  eva_event_query_clear (data);
  g_free (data);
}

void
eva_api_public_events_list (EvaRequest *req)
{
  EvaEventQuery *query = g_new0 (EvaEventQuery, 1);

  if (!eva_event_query_parse (req, FALSE, query))
    {
      g_free (query);
      return;
    }
  eva_request_run_cached (req, CACHE_TTL_MS, list_work, query, event_query_free);
}

/* ------------------------------------------------------------------ */
/* One event                                                          */
/* ------------------------------------------------------------------ */

static void
get_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  const char *sql = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result =
    eva_db_query (conn, sql, &error, eva_request_param (req, "id_or_slug"),
                  eva_events_card_offered (eva_request_get_config (req)),
                  eva_events_transfer_offered (eva_request_get_config (req)));

  if (result == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (result) == 0)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
  else
    eva_request_reply_json_text (req, 200, eva_db_value (result));
}

void
eva_api_public_events_get (EvaRequest *req)
{
  const char *key = eva_request_param (req, "id_or_slug");
  guint8 uuid[16];

  /* Slugs never parse as UUIDs (the admin API refuses such slugs). */
  if (eva_uuid_parse (key, uuid))
    eva_request_run_cached (req, CACHE_TTL_MS, get_work, (gpointer) eva_events_public_by_id_sql, NULL);
  else if (eva_validate_slug (key))
    eva_request_run_cached (req, CACHE_TTL_MS, get_work, (gpointer) eva_events_public_by_slug_sql, NULL);
  else
    eva_request_reply_error (req, 404, "not_found", NULL, "No such event");
}
