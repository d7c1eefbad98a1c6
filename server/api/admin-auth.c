/* api/admin-auth.c (placeholder until implemented) */
#include "config.h"
#include "eva-api.h"
void
eva_api_admin_login (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_admin_refresh (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_admin_logout (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_admin_me (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

