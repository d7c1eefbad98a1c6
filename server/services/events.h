/* services/events.h: what the events, ticket-types and public handlers share
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "http/eva-request.h"

G_BEGIN_DECLS

/* Upper bounds the API enforces (the schema's CHECKs are the backstop). */
#define EVA_EVENT_TITLE_MAX        200
#define EVA_EVENT_DESCRIPTION_MAX  20000
#define EVA_EVENT_VENUE_MAX        200
#define EVA_EVENT_ADDRESS_MAX      500
#define EVA_EVENT_LIST_MAX_LIMIT   100
#define EVA_EVENT_LIST_LIMIT       20
#define EVA_EVENT_SEARCH_MAX       200

/* A LATERAL subquery over events e: one jsonb column, summary. */
#define EVA_EVENTS_PUBLIC_SUMMARY_SQL(card, transfer) \
  "SELECT jsonb_build_object(" \
  "         'price_min', min(t.price)," \
  "         'price_max', max(t.price)," \
  "         'available', coalesce(sum(t.capacity - t.held - t.sold), 0)," \
  "         'capacity', coalesce(sum(t.capacity), 0)," \
  "         'sold_out', count(*) > 0 AND coalesce(sum(t.capacity - t.held - t.sold), 0) = 0," \
  "         'payment_methods', " EVA_EVENTS_OFFERED_SQL (card, transfer) ")" \
  "         AS summary" \
  "  FROM ticket_types t WHERE t.event_id = e.id AND NOT t.hidden"

/* The payment methods event e offers now: card only when the server has
 * a Stripe key (@card, a boolean parameter such as "$7"), bank transfer
 * only when the event or the server (@transfer) has account details. */
#define EVA_EVENTS_OFFERED_SQL(card, transfer) \
  "(SELECT coalesce(jsonb_agg(m ORDER BY m), '[]'::jsonb) FROM unnest(e.payment_methods) AS m" \
  "  WHERE (m <> 'card' OR " card "::boolean)" \
  "    AND (m <> 'bank_transfer' OR e.transfer_details IS NOT NULL OR " transfer "::boolean))"

/* The two parameters of EVA_EVENTS_OFFERED_SQL for this server, "t" or "f". */
const char *eva_events_card_offered     (EvaConfig *config);
const char *eva_events_transfer_offered (EvaConfig *config);

/* One event as anyone may read it, by id ($1) or slug ($1), with the
 * parameters $2 and $3 of EVA_EVENTS_OFFERED_SQL: one text column. */
extern const char eva_events_public_by_id_sql[];
extern const char eva_events_public_by_slug_sql[];

/**
 * EvaEventQuery:
 * A parsed list query (?status=&from=&to=&q=&sort=&limit=&cursor=), as
 * text parameters ready for SQL; NULL where no filter applies.
 */
typedef struct
{
  char   *statuses;     /* PostgreSQL array literal of known states: "{draft,published}" */
  char   *from;         /* starts_at >= from (RFC 3339, UTC) */
  char   *to;           /* starts_at <  to */
  char   *pattern;      /* ILIKE pattern with %, _ and \ escaped */
  char   *sort;         /* one of the known sort keys */
  gint64  limit;
  gint64  offset;
  char    limit_text[24];
  char    offset_text[24];
  char   *next_cursor;  /* the cursor of the page after this one */
} EvaEventQuery;

gboolean  eva_event_query_parse      (EvaRequest     *req,
                                      gboolean        admin,
                                      EvaEventQuery  *query);
void      eva_event_query_clear      (EvaEventQuery  *query);

char     *eva_event_cursor_encode    (gint64          offset);
gboolean  eva_event_cursor_decode    (const char     *cursor,
                                      gint64         *offset);
char     *eva_event_search_pattern   (const char     *text);

/* A slug derived from @title that no event uses yet (inside the caller's
 * transaction; a concurrent insert can still take it: retry on
 * events_slug_key). */
char     *eva_event_free_slug        (EvaDbConn      *conn,
                                      const char     *title,
                                      GError        **error);

/* Whether PostgreSQL itself knows @timezone (tzdata versions can differ). */
gboolean  eva_event_timezone_known   (EvaDbConn      *conn,
                                      const char     *timezone,
                                      gboolean       *known,
                                      GError        **error);

/* audit_log rows for what a staff member did (inside the caller's
 * transaction). @details is JSON text or NULL; the _diff variant records
 * {"field":{"from":…,"to":…}} for the keys that differ between two JSON
 * objects, leaving out updated_at. */
gboolean  eva_events_audit           (EvaDbConn      *conn,
                                      EvaRequest     *req,
                                      const char     *action,
                                      const char     *target_type,
                                      const char     *target_id,
                                      const char     *details,
                                      GError        **error);
gboolean  eva_events_audit_diff      (EvaDbConn      *conn,
                                      EvaRequest     *req,
                                      const char     *action,
                                      const char     *target_type,
                                      const char     *target_id,
                                      const char     *before,
                                      const char     *after,
                                      GError        **error);

/* An error envelope whose details name one field. */
void      eva_events_reply_field     (EvaRequest     *req,
                                      guint           status,
                                      const char     *code,
                                      const char     *field,
                                      const char     *problem,
                                      const char     *message);
void      eva_events_reply_locked    (EvaRequest     *req,
                                      const char     *status);
/* An error envelope with details {"status": @status}. */
void      eva_events_reply_status    (EvaRequest     *req,
                                      guint           http_status,
                                      const char     *code,
                                      const char     *status,
                                      const char     *message);
/* RFC 3339 text for SQL, or NULL. */
char     *eva_events_time_param      (GDateTime      *dt);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EvaEventQuery, eva_event_query_clear)

G_END_DECLS
