/* api/events.c (placeholder until implemented) */
#include "config.h"
#include "eva-api.h"
void
eva_api_events_list (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_events_create (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_events_get (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_events_update (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_events_delete (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_events_publish (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_events_cancel (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_events_archive (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

