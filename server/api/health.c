/* api/health.c: liveness and readiness
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-health"

#include "config.h"

#include "api/eva-api.h"
#include "db/eva-migrate.h"

void
eva_api_healthz (EvaRequest *req)
{
  /* Alive: the HTTP thread answered. Nothing else is checked here. */
  eva_request_reply_json_text (req, 200, "{\"status\":\"ok\"}");
}

static void
readyz_work (EvaRequest *req,
             EvaDbConn  *conn,
             gpointer    data)
{
  g_autoptr(GError) error = NULL;
  guint current = 0;
  guint latest = eva_migrate_latest ();
  g_autofree char *body = NULL;

  if (!eva_migrate_current (conn, &current, &error))
    {
      eva_request_add_header (req, "Retry-After", "2");
      eva_request_reply_error (req, 503, "database_unavailable", NULL,
                               "The database is unavailable");
      return;
    }

  if (current != latest)
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_int_member (details, "schema_version", current);
      json_object_set_int_member (details, "expected_version", latest);
      eva_request_reply_error (req, 503, "migrations_pending", details,
                               "The database schema is at version %u, not %u", current, latest);
      return;
    }

  body = g_strdup_printf ("{\"status\":\"ready\",\"schema_version\":%u}", current);
  eva_request_reply_json_text (req, 200, body);
}

void
eva_api_readyz (EvaRequest *req)
{
  eva_request_run (req, readyz_work, NULL, NULL);
}
