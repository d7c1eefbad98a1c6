/* eva-desktop-seed.h: bookings made the way attendees make them, for the
 * desktop tests and the screenshots
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "eva-test.h"

G_BEGIN_DECLS

JsonNode *eva_desktop_seed_booking (EvaTestServer *server,
                                    const char    *event_id,
                                    const char    *ticket_type_id,
                                    int            quantity,
                                    const char    *coupon,
                                    const char    *name,
                                    const char    *email);
JsonNode *eva_desktop_seed_checkout_booking (EvaTestServer *server,
                                             const char    *event_id,
                                             const char    *ticket_type_id,
                                             int            quantity,
                                             const char    *coupon,
                                             const char    *name,
                                             const char    *email,
                                             const char    *method);
void      eva_desktop_seed_confirm (EvaTestServer *server,
                                    const char    *booking_id);

G_END_DECLS
