/* eva-desktop-seed.h: bookings made the way attendees make them, for the
 * desktop tests and the screenshots
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "eva-test.h"
#include "eva-test-stripe.h"

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

EvaTestServer *eva_desktop_seed_start_paying_server (EvaTestStripe **stripe_out);
JsonNode      *eva_desktop_seed_card_booking        (EvaTestServer *server,
                                                     EvaTestStripe *stripe,
                                                     const char    *event_id,
                                                     const char    *ticket_type_id,
                                                     int            quantity,
                                                     const char    *coupon,
                                                     const char    *name,
                                                     const char    *email);
void           eva_desktop_seed_refund_status       (EvaTestStripe *stripe,
                                                     const char    *status);
void           eva_desktop_seed_settle_refund       (EvaTestServer *server,
                                                     EvaTestStripe *stripe,
                                                     const char    *refund_id,
                                                     const char    *status);

G_END_DECLS
