/* eva-ticket-preview.h: a booking's tickets as the attendee gets them (the PDF)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "api/eva-api-client.h"

G_BEGIN_DECLS

#define EVA_TYPE_TICKET_PREVIEW (eva_ticket_preview_get_type ())

G_DECLARE_FINAL_TYPE (EvaTicketPreview, eva_ticket_preview, EVA, TICKET_PREVIEW, AdwWindow)

GtkWindow  *eva_ticket_preview_new          (GtkWindow        *parent,
                                             EvaApiClient     *client,
                                             const char       *booking_id,
                                             const char       *subtitle);
void        eva_ticket_preview_reload       (EvaTicketPreview *self);
gboolean    eva_ticket_preview_get_loading  (EvaTicketPreview *self);
const char *eva_ticket_preview_get_error    (EvaTicketPreview *self);
guint       eva_ticket_preview_get_n_pages  (EvaTicketPreview *self);
GdkTexture *eva_ticket_preview_get_texture  (EvaTicketPreview *self,
                                             guint             page);
guint       eva_ticket_preview_get_page     (EvaTicketPreview *self);
void        eva_ticket_preview_go_to_page   (EvaTicketPreview *self,
                                             guint             page);
GBytes     *eva_ticket_preview_get_pdf      (EvaTicketPreview *self);
void        eva_ticket_preview_save         (EvaTicketPreview *self);
void        eva_ticket_preview_save_to_file (EvaTicketPreview *self,
                                             GFile            *file);
gboolean    eva_ticket_preview_get_saving   (EvaTicketPreview *self);

G_END_DECLS
