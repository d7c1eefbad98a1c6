/* eva-test-keys.h: the server's sealed keys, opened for tests
 *
 * For tests that make access tokens themselves (an expired one, one for a
 * sign-in written to the database). They link the server's library.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

/* The access-token HMAC key (32 bytes) in the database behind @pg, opened
 * with @master_hex (64 hex characters), or EVA_TEST_MASTER_KEY if NULL. */
void eva_test_token_key (PGconn     *pg,
                         const char *master_hex,
                         guint8     *key);

/* The Ed25519 secret key (64 bytes) of the ticket signing key @key_id,
 * opened with the test master key. */
void eva_test_signing_secret (PGconn     *pg,
                              const char *key_id,
                              guint8     *secret);

G_END_DECLS
