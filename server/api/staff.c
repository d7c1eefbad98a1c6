/* api/staff.c (placeholder until implemented) */
#include "config.h"
#include "eva-api.h"
void
eva_api_staff_list (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_staff_create (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_staff_get (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_staff_update (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_staff_delete (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

