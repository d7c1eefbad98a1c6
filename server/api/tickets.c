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
  eva_input_string (&in, "holder_name", EVA_FIELD_REQUIRED | EVA_FIELD_EMPTY, HOLDER_NAME_MAX, &name);
  if (!eva_input_end (&in))
    return;
  job = g_new0 (HolderJob, 1);
  job->admin = admin;
  job->name = g_strstrip (g_strdup (name));
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
