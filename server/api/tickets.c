/* api/tickets.c: tickets and the keys that verify them
 *
 *   GET /api/v1/public/ticket-keys              anyone
 *   GET /api/v1/me/bookings/{id}/tickets        the attendee
 *   GET /api/v1/admin/bookings/{id}/tickets     organizer
 *   GET /api/v1/me/tickets/{id}/qr.svg | qr.png the attendee
 *   GET /api/v1/admin/tickets/{id}/qr.svg | .png organizer
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
