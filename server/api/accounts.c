/* api/accounts.c (placeholder until implemented) */
#include "config.h"

#include "eva-api.h"

void
eva_api_auth_register (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_auth_verify (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_auth_verify_resend (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_auth_login (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_auth_logout (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_auth_reset (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_auth_reset_confirm (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

