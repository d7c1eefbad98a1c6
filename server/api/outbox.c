/* api/outbox.c (placeholder until implemented) */
#include "config.h"

#include "eva-api.h"

void
eva_api_outbox_list (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

void
eva_api_outbox_retry (EvaRequest *req)
{
  eva_request_reply_error (req, 501, "not_implemented", NULL, "Not implemented yet");
}

