/* eva-common.c: library initialization
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <sodium.h>

#include "eva-common.h"
#include "eva-common-private.h"

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

/* sodium_init() is idempotent and thread-safe, but cheap to skip after
 * the first call. Every function that uses libsodium calls this. */
void
_eva_sodium_ensure (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialized");
      g_once_init_leave (&initialized, 1);
    }
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_common_init:
 *
 * Initializes libsodium (and so its random number generator). Call once at
 * start-up, before any threads are spawned; calling it again is harmless.
 * Functions that need libsodium also make sure of it themselves.
 */
void
eva_common_init (void)
{
  _eva_sodium_ensure ();
}
