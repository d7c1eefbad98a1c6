/* eva-cache.h: a short-lived per-process cache of public responses
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  EVA_CACHE_MISS,      /* nothing usable: fetch, then eva_cache_store() */
  EVA_CACHE_HIT,       /* fresh */
  EVA_CACHE_STALE,     /* expired, someone else is refreshing it: serve this */
} EvaCacheResult;

EvaCacheResult eva_cache_lookup (const char  *key,
                                 gint64       ttl_us,
                                 GBytes     **body);
void           eva_cache_store  (const char  *key,
                                 GBytes      *body);
void           eva_cache_abandon (const char *key);

G_END_DECLS
