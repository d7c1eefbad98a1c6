/* api/tickets.c: tickets and the keys that verify them
 *
 *   GET /api/v1/public/ticket-keys              anyone
 *   GET /api/v1/me/bookings/{id}/tickets        the attendee
 *   GET /api/v1/admin/bookings/{id}/tickets     organizer
 *   GET /api/v1/me/tickets/{id}/qr.svg | qr.png the attendee
 *   GET /api/v1/admin/tickets/{id}/qr.svg | .png organizer
 *   PATCH /api/v1/me/tickets/{id}               the holder's name (until the event starts)
 *   PATCH /api/v1/admin/tickets/{id}            the holder's name
 *   POST /api/v1/me/tickets/{id}/reissue        a new code; the old one is revoked
 *   POST /api/v1/admin/tickets/{id}/reissue
 *   GET /api/v1/me/tickets                      the attendee's valid tickets
 *   GET /api/v1/{me,admin}/bookings/{id}/tickets.pdf[?paper=&ticket=&lang=]
 *   GET /api/v1/{me,admin}/bookings/{id}/event.ics
 *   POST /api/v1/{me,admin}/bookings/{id}/tickets/resend   (throttled)
 *
 * The code format is docs/ticket-codes.md. Only public keys ever leave
 * the database here.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api"

#include "config.h"

#include <string.h>

#include "eva-common.h"
#include "api/eva-api.h"
#include "mail/eva-ticket-pdf.h"
#include "services/events.h"
#include "services/notify.h"
#include "services/tickets.h"

#define KEYS_CACHE_TTL_MS 1000

static const char sql_keys[] =
  "SELECT json_build_object('keys', coalesce(json_agg(json_build_object("
  "          'id',         k.id,"
  "          'algorithm',  'Ed25519',"
  "          'public_key', encode(k.public_key, 'base64'),"
  "          'created_at', k.created_at,"
  "          'retired_at', k.retired_at)"
  "        ORDER BY k.retired_at IS NOT NULL, k.created_at DESC, k.id), '[]'::json))::text"
  "  FROM signing_keys k";

/* $1 booking, $2 attendee (NULL: any). */
static const char sql_tickets[] =
  "SELECT json_build_object('items', coalesce((SELECT json_agg(eva_ticket_json(t)"
  "                                              ORDER BY t.issued_at, t.ticket_type_id, t.seq, t.id)"
  "                                              FROM tickets t WHERE t.booking_id = b.id),"
  "                                           '[]'::json))::text"
  "  FROM bookings b WHERE b.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)";

static void
keys_work (EvaRequest *req,
           EvaDbConn  *conn,
           gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_keys, &error);

  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_public_ticket_keys (EvaRequest *req)
{
  eva_request_run_cached (req, KEYS_CACHE_TTL_MS, keys_work, NULL, NULL);
}

static void
tickets_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  gboolean admin = data != NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_tickets, &error, eva_request_param (req, "id"),
                                        admin ? NULL : req->principal_id);

  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

static void
tickets (EvaRequest *req,
         gboolean    admin)
{
  guint8 uuid[16];

  if (!eva_uuid_parse (eva_request_param (req, "id"), uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
      return;
    }
  eva_request_run (req, tickets_work, admin ? GINT_TO_POINTER (1) : NULL, NULL);
}

void
eva_api_my_booking_tickets (EvaRequest *req)
{
  tickets (req, FALSE);
}

void
eva_api_admin_booking_tickets (EvaRequest *req)
{
  tickets (req, TRUE);
}

/* ------------------------------------------------------------------ */
/* QR codes                                                           */
/* ------------------------------------------------------------------ */

#define QR_MODULE_PX 8

/* $1 ticket, $2 attendee (NULL: any). */
static const char sql_ticket_code[] =
  "SELECT t.code, t.status FROM tickets t JOIN bookings b ON b.id = t.booking_id"
  " WHERE t.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)";

typedef struct
{
  gboolean admin;
  gboolean png;
} QrJob;

static void
qr_work (EvaRequest *req,
         EvaDbConn  *conn,
         gpointer    data)
{
  QrJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_ticket_code, &error, eva_request_param (req, "id"),
                                        job->admin ? NULL : req->principal_id);
  g_autoptr(GBytes) body = NULL;

  if (r == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  if (PQntuples (r) == 0)
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such ticket");
      return;
    }
  if (!g_str_equal (PQgetvalue (r, 0, 1), "valid"))
    {
      eva_request_reply_error (req, 410, "ticket_revoked", NULL,
                               "This ticket is no longer valid (%s)", PQgetvalue (r, 0, 1));
      return;
    }
  if (job->png)
    body = eva_qr_png (PQgetvalue (r, 0, 0), QR_MODULE_PX, &error);
  else
    {
      char *svg = eva_qr_svg (PQgetvalue (r, 0, 0), QR_MODULE_PX, &error);

      body = svg != NULL ? g_bytes_new_take (svg, strlen (svg)) : NULL;
    }
  if (body == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  /* The picture is the ticket: kept by nobody but its holder. */
  eva_request_add_header (req, "Cache-Control", "private, no-store");
  eva_request_reply_raw (req, 200, job->png ? "image/png" : "image/svg+xml", body);
}

static void
qr (EvaRequest *req,
    gboolean    admin,
    gboolean    png)
{
  QrJob *job;
  guint8 uuid[16];

  if (!eva_uuid_parse (eva_request_param (req, "id"), uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such ticket");
      return;
    }
  job = g_new0 (QrJob, 1);
  job->admin = admin;
  job->png = png;
  eva_request_run (req, qr_work, job, g_free);
}

void
eva_api_my_ticket_qr_svg (EvaRequest *req)
{
  qr (req, FALSE, FALSE);
}

void
eva_api_my_ticket_qr_png (EvaRequest *req)
{
  qr (req, FALSE, TRUE);
}

void
eva_api_admin_ticket_qr_svg (EvaRequest *req)
{
  qr (req, TRUE, FALSE);
}

void
eva_api_admin_ticket_qr_png (EvaRequest *req)
{
  qr (req, TRUE, TRUE);
}

/* ------------------------------------------------------------------ */
/* Holder names and reissue                                           */
/* ------------------------------------------------------------------ */

#define HOLDER_NAME_MAX 100

/* $1 ticket, $2 attendee (NULL: the organizer, no cut-off), $3 name. The
 * buyer may name holders until the event starts. */
static const char sql_holder[] =
  "WITH t AS (SELECT t.id, t.status, e.starts_at > now() AS before_start"
  "             FROM tickets t JOIN bookings b ON b.id = t.booking_id"
  "             JOIN events e ON e.id = t.event_id"
  "            WHERE t.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)"
  "              FOR UPDATE OF t),"
  " u AS (UPDATE tickets x SET holder_name = $3 FROM t"
  "        WHERE x.id = t.id AND t.status = 'valid' AND ($2::uuid IS NULL OR t.before_start)"
  "        RETURNING x.*)"
  " SELECT t.status, t.before_start, (SELECT eva_ticket_json(u)::text FROM u) FROM t";

typedef struct
{
  gboolean admin;
  char    *name;
} HolderJob;

static void
holder_job_free (gpointer data)
{
  HolderJob *job = data;

  g_free (job->name);
  g_free (job);
}

static void
holder_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  HolderJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_holder, &error, eva_request_param (req, "id"),
                                        job->admin ? NULL : req->principal_id, job->name);

  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else if (PQntuples (r) == 0)
    eva_request_reply_error (req, 404, "not_found", NULL, "No such ticket");
  else if (!g_str_equal (PQgetvalue (r, 0, 0), "valid"))
    eva_request_reply_error (req, 409, "invalid_transition", NULL, "This ticket is no longer valid");
  else if (PQgetisnull (r, 0, 2))
    eva_request_reply_error (req, 409, "too_late", NULL,
                             "The event has started: ask the organizer to change the name");
  else
    eva_request_reply_json_text (req, 200, PQgetvalue (r, 0, 2));
}

static void
holder (EvaRequest *req,
        gboolean    admin)
{
  g_auto(EvaInput) in = { 0 };
  const char *name = NULL;
  HolderJob *job;
  guint8 uuid[16];

  if (!eva_uuid_parse (eva_request_param (req, "id"), uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such ticket");
      return;
    }
  if (!eva_input_begin (&in, req))
    return;
  /* null or "" (after trimming) clears the name (stored as ""). */
  if (eva_input_string (&in, "holder_name", EVA_FIELD_REQUIRED | EVA_FIELD_EMPTY | EVA_FIELD_NULLABLE,
                        HOLDER_NAME_MAX, &name) != EVA_FIELD_SET)
    name = NULL;
  if (!eva_input_end (&in))
    return;
  job = g_new0 (HolderJob, 1);
  job->admin = admin;
  job->name = g_strstrip (g_strdup (name != NULL ? name : ""));
  eva_request_run (req, holder_work, job, holder_job_free);
}

void
eva_api_my_ticket_update (EvaRequest *req)
{
  holder (req, FALSE);
}

void
eva_api_admin_ticket_update (EvaRequest *req)
{
  holder (req, TRUE);
}

/* $1 ticket, $2 attendee (NULL: any): the old code is revoked as
 * "reissued"; the same place gets a new ticket (new id, new code). */
static const char sql_reissue_old[] =
  "UPDATE tickets t SET status = 'reissued', revoked_at = now()"
  "  FROM bookings b"
  " WHERE t.id = $1::uuid AND b.id = t.booking_id AND t.status = 'valid' AND b.status = 'confirmed'"
  "   AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)"
  " RETURNING t.booking_id, t.booking_item_id, t.seq, t.holder_name";
static const char sql_reissue_exists[] =
  "SELECT t.status FROM tickets t JOIN bookings b ON b.id = t.booking_id"
  " WHERE t.id = $1::uuid AND ($2::uuid IS NULL OR b.attendee_id = $2::uuid)";
static const char sql_reissue_new[] =
  "UPDATE tickets t SET holder_name = $4 WHERE t.booking_id = $1::uuid AND t.booking_item_id = $2::uuid"
  "   AND t.seq = $3::int AND t.status = 'valid' RETURNING eva_ticket_json(t)::text";

static void
reissue_work (EvaRequest *req,
              EvaDbConn  *conn,
              gpointer    data)
{
  gboolean admin = data != NULL;
  const char *id = eva_request_param (req, "id");
  const char *attendee = admin ? NULL : req->principal_id;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) old = NULL;
  g_autoptr(PGresult) fresh = NULL;

  if (!eva_db_begin (conn, &error))
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  old = eva_db_query (conn, sql_reissue_old, &error, id, attendee);
  if (old != NULL && PQntuples (old) == 0)
    {
      g_autoptr(PGresult) exists = eva_db_query (conn, sql_reissue_exists, &error, id, attendee);

      eva_db_rollback (conn);
      if (exists == NULL)
        eva_request_reply_gerror (req, error);
      else if (PQntuples (exists) == 0)
        eva_request_reply_error (req, 404, "not_found", NULL, "No such ticket");
      else
        eva_request_reply_error (req, 409, "invalid_transition", NULL,
                                 "Only a valid ticket of a confirmed booking is reissued");
      return;
    }
  if (old == NULL
      || !eva_tickets_issue (conn, PQgetvalue (old, 0, 0), &error)
      || (fresh = eva_db_query (conn, sql_reissue_new, &error, PQgetvalue (old, 0, 0),
                                PQgetvalue (old, 0, 1), PQgetvalue (old, 0, 2),
                                PQgetvalue (old, 0, 3))) == NULL
      || PQntuples (fresh) != 1
      || !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      if (error == NULL)
        g_set_error (&error, EVA_ERROR, EVA_ERROR_INTERNAL, "the new ticket is missing");
      eva_request_reply_gerror (req, error);
      return;
    }
  g_message ("[%s] ticket %s reissued", req->request_id, id);
  eva_request_reply_json_text (req, 200, PQgetvalue (fresh, 0, 0));
}

static void
reissue (EvaRequest *req,
         gboolean    admin)
{
  guint8 uuid[16];

  if (!eva_uuid_parse (eva_request_param (req, "id"), uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such ticket");
      return;
    }
  eva_request_run (req, reissue_work, admin ? GINT_TO_POINTER (1) : NULL, NULL);
}

void
eva_api_my_ticket_reissue (EvaRequest *req)
{
  reissue (req, FALSE);
}

void
eva_api_admin_ticket_reissue (EvaRequest *req)
{
  reissue (req, TRUE);
}

/* ------------------------------------------------------------------ */
/* My tickets                                                         */
/* ------------------------------------------------------------------ */

/* $1 attendee: valid tickets, the coming events first (soonest first),
 * then the past ones (latest first). */
static const char sql_my_tickets[] =
  "SELECT json_build_object('items', coalesce(json_agg(x.j ORDER BY x.past, x.k, x.booking_id,"
  "                                                     x.ticket_type_id, x.seq), '[]'::json))::text"
  "  FROM (SELECT eva_ticket_json(t) || jsonb_build_object("
  "                 'event', jsonb_build_object('id', e.id, 'slug', e.slug, 'title', e.title,"
  "                                             'venue', e.venue, 'address', e.address,"
  "                                             'timezone', e.timezone,"
  "                                             'starts_at', to_char(e.starts_at AT TIME ZONE 'UTC',"
  "                                                                  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
  "                                             'ends_at', to_char(e.ends_at AT TIME ZONE 'UTC',"
  "                                                                'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
  "                                             'status', e.status),"
  "                 'booking_reference', upper(left(b.id::text, 8)),"
  "                 'past', e.ends_at <= now()) AS j,"
  "               e.ends_at <= now() AS past,"
  "               CASE WHEN e.ends_at > now() THEN extract(epoch FROM e.starts_at)"
  "                    ELSE -extract(epoch FROM e.starts_at) END AS k,"
  "               t.booking_id, t.ticket_type_id, t.seq"
  "          FROM tickets t JOIN bookings b ON b.id = t.booking_id"
  "          JOIN events e ON e.id = t.event_id"
  "         WHERE b.attendee_id = $1::uuid AND t.status = 'valid'"
  "         ORDER BY 2, 3, 4, 5, 6"
  "         LIMIT 500) x";

static void
my_tickets_work (EvaRequest *req,
                 EvaDbConn  *conn,
                 gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) r = eva_db_query (conn, sql_my_tickets, &error, req->principal_id);

  if (r == NULL)
    eva_request_reply_gerror (req, error);
  else
    eva_request_reply_json_text (req, 200, eva_db_value (r));
}

void
eva_api_my_tickets (EvaRequest *req)
{
  eva_request_run (req, my_tickets_work, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* PDF, calendar file, the ticket mail again                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  gboolean  admin;
  EvaPaper  paper;
  gboolean  paper_set;
  char     *ticket_id;     /* NULL: all */
  char     *lang;          /* NULL: the buyer's */
} DocJob;

static void
doc_job_free (gpointer data)
{
  DocJob *job = data;

  g_free (job->ticket_id);
  g_free (job->lang);
  g_free (job);
}

/* "en", "de", "de-AT": a language tag the renderer can look up. */
static gboolean
valid_lang (const char *lang)
{
  gsize len = strlen (lang);

  if (len < 2 || len > 12 || !g_ascii_isalpha (lang[0]) || !g_ascii_isalpha (lang[1]))
    return FALSE;
  for (const char *c = lang; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      return FALSE;
  return TRUE;
}

/* Validates the booking id and the query, or replies. */
static DocJob *
doc_job_new (EvaRequest *req,
             gboolean    admin,
             gboolean    pdf)
{
  g_autoptr(JsonObject) details = json_object_new ();
  DocJob *job;
  const char *paper = eva_request_query (req, "paper");
  const char *ticket = eva_request_query (req, "ticket");
  const char *lang = eva_request_query (req, "lang");
  guint8 uuid[16];

  if (!eva_uuid_parse (eva_request_param (req, "id"), uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
      return NULL;
    }
  job = g_new0 (DocJob, 1);
  job->admin = admin;
  if (pdf && paper != NULL && !eva_paper_parse (paper, &job->paper))
    json_object_set_string_member (details, "paper", "must be a4 or letter");
  job->paper_set = pdf && paper != NULL;
  if (pdf && ticket != NULL)
    {
      if (!eva_uuid_parse (ticket, uuid))
        json_object_set_string_member (details, "ticket", "must be a ticket id");
      else
        job->ticket_id = eva_uuid_format (uuid);
    }
  if (pdf && lang != NULL)
    {
      if (!valid_lang (lang))
        json_object_set_string_member (details, "lang", "must be a language tag such as en or de");
      else
        job->lang = g_strdup (lang);
    }
  if (json_object_get_size (details) > 0)
    {
      eva_request_reply_error (req, 400, "invalid_query", details,
                               "Some query parameters are not valid");
      doc_job_free (job);
      return NULL;
    }
  return job;
}

/* The document, or NULL after replying 404 (no such booking, not the
 * caller's, or no valid tickets). */
static JsonObject *
load_doc (EvaRequest *req,
          EvaDbConn  *conn,
          DocJob     *job,
          gboolean    need_tickets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = NULL;

  if (!eva_tickets_document (conn, eva_request_param (req, "id"), job->ticket_id,
                             job->admin ? NULL : req->principal_id, &doc, &error))
    {
      eva_request_reply_gerror (req, error);
      return NULL;
    }
  if (doc == NULL)
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
      return NULL;
    }
  if (need_tickets && json_array_get_length (json_object_get_array_member (doc, "tickets")) == 0)
    {
      eva_request_reply_error (req, 404, "not_found", NULL,
                               job->ticket_id != NULL ? "No such valid ticket in this booking"
                                                      : "This booking has no valid tickets");
      return NULL;
    }
  return g_steal_pointer (&doc);
}

static void
pdf_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  DocJob *job = data;
  g_autoptr(JsonObject) doc = load_doc (req, conn, job, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *disposition = NULL;
  const char *locale;

  if (doc == NULL)
    return;
  locale = job->lang != NULL ? job->lang : json_object_get_string_member (doc, "locale");
  pdf = eva_ticket_pdf (doc, locale, job->paper_set ? job->paper : eva_paper_for_locale (locale),
                        &error);
  if (pdf == NULL)
    {
      eva_request_reply_gerror (req, error);
      return;
    }
  disposition = g_strdup_printf ("attachment; filename=\"tickets-%s.pdf\"",
                                 json_object_get_string_member (doc, "reference"));
  eva_request_add_header (req, "Content-Disposition", disposition);
  eva_request_add_header (req, "Cache-Control", "private, no-store");
  eva_request_reply_raw (req, 200, "application/pdf", pdf);
}

static void
pdf (EvaRequest *req,
     gboolean    admin)
{
  DocJob *job = doc_job_new (req, admin, TRUE);

  if (job != NULL)
    eva_request_run (req, pdf_work, job, doc_job_free);
}

void
eva_api_my_booking_tickets_pdf (EvaRequest *req)
{
  pdf (req, FALSE);
}

void
eva_api_admin_booking_tickets_pdf (EvaRequest *req)
{
  pdf (req, TRUE);
}

static void
ics_work (EvaRequest *req,
          EvaDbConn  *conn,
          gpointer    data)
{
  DocJob *job = data;
  g_autoptr(JsonObject) doc = load_doc (req, conn, job, FALSE);
  EvaConfig *config = eva_request_get_config (req);
  g_autoptr(GUri) uri = g_uri_parse (config->public_url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri)
                                                                  : "everato.invalid";
  g_autofree char *url = NULL;
  g_autofree char *disposition = NULL;
  g_autoptr(GBytes) body = NULL;
  char *ics;

  if (doc == NULL)
    return;
  url = g_strdup_printf ("%s/e/%s", config->public_url, json_object_get_string_member (doc, "slug"));
  json_object_set_string_member (doc, "url", url);
  ics = eva_ticket_ics (doc, host, json_object_get_int_member (doc, "updated_at"));
  body = g_bytes_new_take (ics, strlen (ics));
  disposition = g_strdup_printf ("attachment; filename=\"%s.ics\"",
                                 json_object_get_string_member (doc, "slug"));
  eva_request_add_header (req, "Content-Disposition", disposition);
  eva_request_add_header (req, "Cache-Control", "private, no-store");
  eva_request_reply_raw (req, 200, "text/calendar; charset=utf-8", body);
}

static void
ics (EvaRequest *req,
     gboolean    admin)
{
  DocJob *job = doc_job_new (req, admin, FALSE);

  if (job != NULL)
    eva_request_run (req, ics_work, job, doc_job_free);
}

void
eva_api_my_booking_event_ics (EvaRequest *req)
{
  ics (req, FALSE);
}

void
eva_api_admin_booking_event_ics (EvaRequest *req)
{
  ics (req, TRUE);
}

static void
resend_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  gboolean admin = data != NULL;
  const char *id = eva_request_param (req, "id");
  g_autoptr(GError) error = NULL;
  EvaResend outcome = EVA_RESEND_NOT_FOUND;
  gint64 retry_after = 0;

  if (!eva_db_begin (conn, &error) ||
      !eva_notify_resend (conn, eva_request_get_config (req), id, admin ? NULL : req->principal_id,
                          &outcome, &retry_after, &error) ||
      (outcome == EVA_RESEND_QUEUED &&
       !(admin ? eva_events_audit (conn, req, "tickets.resend", "booking", id, NULL, &error)
               : TRUE)) ||
      !eva_db_commit (conn, &error))
    {
      eva_db_rollback (conn);
      eva_request_reply_gerror (req, error);
      return;
    }

  switch (outcome)
    {
    case EVA_RESEND_QUEUED:
      eva_request_reply_json_text (req, 202, "{\"queued\":true}");
      break;
    case EVA_RESEND_NOT_FOUND:
      eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
      break;
    case EVA_RESEND_NO_TICKETS:
      eva_request_reply_error (req, 409, "no_tickets", NULL, "This booking has no valid tickets");
      break;
    case EVA_RESEND_TOO_SOON:
    default:
      {
        g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
        g_autoptr(JsonObject) details = json_object_new ();

        json_object_set_int_member (details, "retry_after", retry_after);
        eva_request_add_header (req, "Retry-After", seconds);
        eva_request_reply_error (req, 429, "too_many_attempts", details,
                                 "The tickets were just sent; try again in %" G_GINT64_FORMAT " seconds",
                                 retry_after);
      }
      break;
    }
}

static void
resend (EvaRequest *req,
        gboolean    admin)
{
  guint8 uuid[16];

  if (!eva_uuid_parse (eva_request_param (req, "id"), uuid))
    {
      eva_request_reply_error (req, 404, "not_found", NULL, "No such booking");
      return;
    }
  eva_request_run (req, resend_work, admin ? GINT_TO_POINTER (1) : NULL, NULL);
}

void
eva_api_my_booking_tickets_resend (EvaRequest *req)
{
  resend (req, FALSE);
}

void
eva_api_admin_booking_tickets_resend (EvaRequest *req)
{
  resend (req, TRUE);
}
