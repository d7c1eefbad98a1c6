/* api/attendees.c (placeholder until implemented) */
#include "config.h"

#include "eva-api.h"

void
eva_api_attendees_list (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_attendees_get (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_attendees_disable (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_attendees_enable (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

