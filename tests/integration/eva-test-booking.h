/* eva-test-booking.h: shared fixtures of the booking and coupon tests —
 * buyers with a session, an HTTP helper with cookie and CSRF token, events
 * and ticket types made through the admin API, and the inventory invariant
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include "eva-test.h"

G_BEGIN_DECLS

/* Set by each test's main(). */
extern EvaTestServer *server;
extern char *organizer;
extern gint serial;

typedef struct
{
  char *id;
  char *cookie;
  char *csrf;
} Buyer;

void             buyer_free       (Buyer         *b);
EvaTestResponse *http_full        (EvaTestServer *srv,
                                   SoupSession   *session,
                                   const char    *method,
                                   const char    *path,
                                   Buyer         *buyer,
                                   const char    *key,
                                   const char    *accept,
                                   const char    *token,
                                   const char    *body);
Buyer           *make_buyer_on    (EvaTestServer *srv,
                                   const char    *name,
                                   gboolean       verified);
EvaTestResponse *admin            (const char    *method,
                                   const char    *path,
                                   const char    *body);
char            *make_event       (const char    *extra);
char            *make_type        (const char    *event_id,
                                   const char    *json);
void             publish          (const char    *event_id);
EvaTestResponse *hold_on          (EvaTestServer *srv,
                                   SoupSession   *session,
                                   Buyer         *b,
                                   const char    *key,
                                   const char    *event_id,
                                   const char    *type_id,
                                   int            quantity,
                                   const char    *coupon);
EvaTestResponse *hold             (Buyer         *b,
                                   const char    *event_id,
                                   const char    *type_id,
                                   int            quantity,
                                   const char    *coupon);
/* A hold that must succeed (201); returns the booking's id. */
char            *hold_id          (Buyer         *b,
                                   const char    *event_id,
                                   const char    *type_id,
                                   int            quantity);
gint64           sql_int          (PGconn        *pg,
                                   const char    *sql,
                                   const char    *param);
void             assert_sql       (PGconn        *pg,
                                   const char    *sql,
                                   const char    *param,
                                   const char    *expected);
void             assert_invariant (PGconn        *pg);
/* A second process on the shared database: free it without dropping it. */
void             secondary_free   (EvaTestServer *srv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Buyer, buyer_free)

G_END_DECLS
