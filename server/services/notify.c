/* services/notify.c: what the attendee is told by mail, and tickets on
 * confirmation
 *
 * Every mail is an outbox row written in the transaction of the change it
 * reports (mail/eva-outbox.h): it goes out if and only if that change
 * commits, once, in the buyer's language. The payload is a snapshot of the
 * facts at that moment; the ticket mail's payload is the booking's ticket
 * document (services/tickets.h), from which the mail worker draws the QR
 * images, the PDF and the calendar file.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-notify"

#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "mail/eva-outbox.h"
#include "services/notify.h"
#include "services/tickets.h"

/* ------------------------------------------------------------------ */
/* One booking                                                        */
/* ------------------------------------------------------------------ */

/* $1 booking, $2 the server's transfer details. */
static const char sql_mail_facts[] =
  "SELECT coalesce(a.email, b.buyer_email), coalesce(a.name, b.buyer_name, ''),"
  "       coalesce(a.locale, 'en'), e.title, b.total, b.currency::text,"
  "       b.payment_reference, coalesce(b.transfer_details, e.transfer_details, $2::text),"
  "       to_char(b.expires_at AT TIME ZONE e.timezone, 'YYYY-MM-DD HH24:MI'), e.timezone,"
  "       b.paid_at IS NULL AND b.total > 0,"
  "       to_char(e.starts_at AT TIME ZONE e.timezone, 'YYYY-MM-DD HH24:MI'), e.venue,"
  "       e.address, upper(left(b.id::text, 8))"
  "  FROM bookings b JOIN events e ON e.id = b.event_id"
  "  LEFT JOIN attendees a ON a.id = b.attendee_id"
  " WHERE b.id = $1::uuid";

static const char sql_mailed[] =
  "UPDATE bookings SET tickets_mailed_at = now() WHERE id = $1::uuid";

/* Copies @doc's members into @payload (the ticket document wins). */
static void
merge (JsonObject *payload,
       JsonObject *doc)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, doc);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (payload, name, json_node_copy (node));
}

/* Queues @template_name about @booking_id (with @doc's members, if any)
 * to its buyer. */
static gboolean
mail_booking (EvaDbConn   *conn,
              EvaConfig   *config,
              const char  *booking_id,
              const char  *template_name,
              gint64       amount,
              JsonObject  *doc,
              const char  *flag,
              GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_mail_facts, error, booking_id,
                                        config->transfer_details);
  g_autoptr(JsonObject) payload = json_object_new ();
  g_autofree char *total = NULL;
  g_autofree char *money = NULL;
  g_autofree char *link = NULL;
  g_autofree char *deadline = NULL;
  g_autoptr(GError) local = NULL;

  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0 || PQgetisnull (r, 0, 0))
    return TRUE;

  total = eva_money_format (g_ascii_strtoll (PQgetvalue (r, 0, 4), NULL, 10),
                            PQgetvalue (r, 0, 5));
  money = eva_money_format (amount, PQgetvalue (r, 0, 5));
  link = g_strdup_printf ("%s/bookings/%s%s", config->public_url, booking_id,
                          g_str_has_prefix (template_name, "transfer_") ? "/transfer" : "");
  json_object_set_string_member (payload, "name", PQgetvalue (r, 0, 1));
  json_object_set_string_member (payload, "event", PQgetvalue (r, 0, 3));
  json_object_set_string_member (payload, "amount", total);
  json_object_set_string_member (payload, "refunded", money);
  json_object_set_string_member (payload, "reference", PQgetvalue (r, 0, 6));
  json_object_set_string_member (payload, "booking_reference", PQgetvalue (r, 0, 14));
  json_object_set_string_member (payload, "details", PQgetvalue (r, 0, 7));
  deadline = g_strdup_printf ("%s (%s)", PQgetvalue (r, 0, 8), PQgetvalue (r, 0, 9));
  json_object_set_string_member (payload, "deadline", deadline);
  json_object_set_string_member (payload, "link", link);
  json_object_set_string_member (payload, "tickets_link", config->public_url);
  /* Sections test for a non-empty string. */
  json_object_set_string_member (payload, "unpaid", g_str_equal (PQgetvalue (r, 0, 10), "t") ? "yes" : "");
  json_object_set_string_member (payload, "paid", amount > 0 ? "yes" : "");
  json_object_set_string_member (payload, "starts", PQgetvalue (r, 0, 11));
  json_object_set_string_member (payload, "timezone", PQgetvalue (r, 0, 9));
  json_object_set_string_member (payload, "venue", PQgetvalue (r, 0, 12));
  json_object_set_string_member (payload, "address", PQgetvalue (r, 0, 13));
  if (flag != NULL)
    json_object_set_string_member (payload, flag, "yes");
  if (doc != NULL)
    {
      g_autofree char *tickets_link = g_strdup_printf ("%s/tickets", config->public_url);

      g_autofree char *url = NULL;

      merge (payload, doc);
      url = g_strdup_printf ("%s/e/%s", config->public_url,
                             json_object_get_string_member_with_default (doc, "slug", ""));
      json_object_set_string_member (payload, "tickets_link", tickets_link);
      json_object_set_string_member (payload, "url", url);
      json_object_set_string_member (payload, "has_tickets", "yes");
    }

  if (!eva_outbox_enqueue (conn, PQgetvalue (r, 0, 0), PQgetvalue (r, 0, 1),
                           PQgetvalue (r, 0, 2), template_name, payload, &local))
    {
      /* A mail that cannot be sent (the account was deleted: its address
       * is no address) never stops a payment, a refund or the sweeper. */
      if (!g_error_matches (local, EVA_ERROR, EVA_ERROR_INVALID))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_message ("booking %s: no %s mail: %s", booking_id, template_name, local->message);
    }
  return TRUE;
}

/* The ticket mail of @booking_id, when it has valid tickets. */
static gboolean
mail_tickets (EvaDbConn   *conn,
              EvaConfig   *config,
              const char  *booking_id,
              gboolean     resent,
              GError     **error)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(PGresult) r = NULL;

  if (!eva_tickets_document (conn, booking_id, NULL, NULL, &doc, error))
    return FALSE;
  if (doc == NULL || json_array_get_length (json_object_get_array_member (doc, "tickets")) == 0)
    return TRUE;
  r = eva_db_query (conn, sql_mailed, error, booking_id);
  return r != NULL
         && mail_booking (conn, config, booking_id, "booking_confirmed", 0, doc,
                          resent ? "resent" : NULL, error);
}

gboolean
eva_notify_booking (EvaDbConn   *conn,
                    EvaConfig   *config,
                    const char  *booking_id,
                    const char  *template_name,
                    gint64       amount,
                    GError     **error)
{
  return mail_booking (conn, config, booking_id, template_name, amount, NULL, NULL, error);
}

/* Whether the booking has valid tickets already (then this confirmation
 * hook has run before and mailed them). */
static const char sql_has_tickets[] =
  "SELECT EXISTS (SELECT 1 FROM tickets WHERE booking_id = $1::uuid AND status = 'valid')";

gboolean
eva_notify_confirmed (EvaDbConn   *conn,
                      EvaConfig   *config,
                      const char  *booking_id,
                      GError     **error)
{
  g_autoptr(PGresult) had = eva_db_query (conn, sql_has_tickets, error, booking_id);

  if (had == NULL || !eva_tickets_issue (conn, booking_id, error))
    return FALSE;
  if (g_str_equal (PQgetvalue (had, 0, 0), "t"))
    return TRUE;
  return mail_tickets (conn, config, booking_id, FALSE, error);
}

/* $1 booking, $2 attendee (NULL: any), $3 seconds between mails. Takes
 * the throttle atomically: of two concurrent requests one wins. */
static const char sql_resend_claim[] =
  "UPDATE bookings b SET tickets_mailed_at = now()"
  " WHERE b.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)"
  "   AND EXISTS (SELECT 1 FROM tickets t WHERE t.booking_id = b.id AND t.status = 'valid')"
  "   AND (b.tickets_mailed_at IS NULL"
  "        OR b.tickets_mailed_at <= now() - make_interval(secs => $3::int))"
  " RETURNING b.id";

static const char sql_resend_state[] =
  "SELECT EXISTS (SELECT 1 FROM tickets t WHERE t.booking_id = b.id AND t.status = 'valid'),"
  "       ceil(extract(epoch FROM b.tickets_mailed_at + make_interval(secs => $3::int) - now()))::bigint"
  "  FROM bookings b WHERE b.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)";

gboolean
eva_notify_resend (EvaDbConn   *conn,
                   EvaConfig   *config,
                   const char  *booking_id,
                   const char  *attendee_id,
                   EvaResend   *outcome,
                   gint64      *retry_after,
                   GError     **error)
{
  g_autofree char *interval = g_strdup_printf ("%d", EVA_RESEND_INTERVAL_S);
  g_autoptr(PGresult) claim = eva_db_query (conn, sql_resend_claim, error, booking_id,
                                            attendee_id, interval);
  g_autoptr(PGresult) state = NULL;

  *retry_after = 0;
  if (claim == NULL)
    return FALSE;
  if (PQntuples (claim) == 1)
    {
      *outcome = EVA_RESEND_QUEUED;
      return mail_tickets (conn, config, booking_id, TRUE, error);
    }

  state = eva_db_query (conn, sql_resend_state, error, booking_id, attendee_id, interval);
  if (state == NULL)
    return FALSE;
  if (PQntuples (state) == 0)
    *outcome = EVA_RESEND_NOT_FOUND;
  else if (!g_str_equal (PQgetvalue (state, 0, 0), "t"))
    *outcome = EVA_RESEND_NO_TICKETS;
  else
    {
      *outcome = EVA_RESEND_TOO_SOON;
      *retry_after = MAX (1, g_ascii_strtoll (PQgetvalue (state, 0, 1), NULL, 10));
    }
  return TRUE;
}

/* What the buyer of booking b paid and has not had back. */
#define SQL_PAID_LEFT \
  "greatest(coalesce((SELECT sum(p.amount) FROM payments p" \
  "                    WHERE p.booking_id = b.id AND p.status = 'paid'), 0)" \
  "       - coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.booking_id = b.id" \
  "                    AND r.status IN ('succeeded', 'recorded', 'to_refund')), 0), 0)"

static const char sql_paid_left[] =
  "SELECT " SQL_PAID_LEFT " FROM bookings b WHERE b.id = $1::uuid";

gboolean
eva_notify_cancelled (EvaDbConn   *conn,
                      EvaConfig   *config,
                      const char  *booking_id,
                      gboolean     by_organizer,
                      GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_paid_left, error, booking_id);

  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    return TRUE;
  return mail_booking (conn, config, booking_id, "booking_cancelled",
                       g_ascii_strtoll (PQgetvalue (r, 0, 0), NULL, 10), NULL,
                       by_organizer ? "by_organizer" : NULL, error);
}

/* ------------------------------------------------------------------ */
/* One event                                                          */
/* ------------------------------------------------------------------ */

/* The bookings of $1 with valid tickets, and what their buyers paid and
 * have not had back. */
static const char sql_event_bookings[] =
  "SELECT b.id, " SQL_PAID_LEFT
  "  FROM bookings b"
  " WHERE b.event_id = $1::uuid AND b.status = 'confirmed'"
  "   AND EXISTS (SELECT 1 FROM tickets t WHERE t.booking_id = b.id AND t.status = 'valid')"
  " ORDER BY b.confirmed_at, b.id";

gboolean
eva_notify_event (EvaDbConn   *conn,
                  EvaConfig   *config,
                  const char  *event_id,
                  const char  *template_name,
                  GError     **error)
{
  g_autoptr(PGresult) r = eva_db_query (conn, sql_event_bookings, error, event_id);

  if (r == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (r); i++)
    if (!mail_booking (conn, config, PQgetvalue (r, i, 0), template_name,
                       g_ascii_strtoll (PQgetvalue (r, i, 1), NULL, 10), NULL, NULL, error))
      return FALSE;
  return TRUE;
}
