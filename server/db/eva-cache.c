/* eva-cache.c: a short-lived per-process cache of public responses
 *
 * Anonymous reads of published events are the hottest path of a sale
 * announcement. They are cached for a second in each process: the answer is
 * at most that stale, which the public site tolerates (availability is
 * re-checked by the booking itself). Only one request per key goes to the
 * database at a time; the others get the previous answer meanwhile, so a
 * burst of readers does not become a burst of queries. Nothing here is
 * shared between processes or needed by another one.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-cache"

#include "config.h"

#include "db/eva-cache.h"

#define MAX_ENTRIES 4096
#define REFRESH_TIMEOUT_US (5 * G_USEC_PER_SEC)

typedef struct
{
  GBytes *body;            /* NULL until the first fetch completes */
  gint64  stored_at;
  gint64  refreshing_since; /* 0 when nobody is fetching */
} Entry;

static GMutex lock;
static GHashTable *entries;

static void
entry_free (Entry *entry)
{
  g_clear_pointer (&entry->body, g_bytes_unref);
  g_free (entry);
}

static Entry *
get_entry (const char *key,
           gboolean    create)
{
  Entry *entry;

  if (entries == NULL)
    entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) entry_free);

  entry = g_hash_table_lookup (entries, key);
  if (entry == NULL && create)
    {
      /* A crude bound: many distinct queries simply start over. */
      if (g_hash_table_size (entries) >= MAX_ENTRIES)
        g_hash_table_remove_all (entries);
      entry = g_new0 (Entry, 1);
      g_hash_table_insert (entries, g_strdup (key), entry);
    }
  return entry;
}

EvaCacheResult
eva_cache_lookup (const char  *key,
                  gint64       ttl_us,
                  GBytes     **body)
{
  gint64 now = g_get_monotonic_time ();
  EvaCacheResult result;
  Entry *entry;

  g_mutex_lock (&lock);
  entry = get_entry (key, TRUE);

  if (entry->body != NULL && now - entry->stored_at < ttl_us)
    result = EVA_CACHE_HIT;
  else if (entry->body != NULL && entry->refreshing_since != 0 &&
           now - entry->refreshing_since < REFRESH_TIMEOUT_US)
    result = EVA_CACHE_STALE;
  else
    {
      entry->refreshing_since = now;
      result = EVA_CACHE_MISS;
    }

  if (result != EVA_CACHE_MISS)
    *body = g_bytes_ref (entry->body);
  g_mutex_unlock (&lock);

  return result;
}

void
eva_cache_store (const char *key,
                 GBytes     *body)
{
  Entry *entry;

  g_mutex_lock (&lock);
  entry = get_entry (key, TRUE);
  g_clear_pointer (&entry->body, g_bytes_unref);
  entry->body = g_bytes_ref (body);
  entry->stored_at = g_get_monotonic_time ();
  entry->refreshing_since = 0;
  g_mutex_unlock (&lock);
}

void
eva_cache_abandon (const char *key)
{
  Entry *entry;

  g_mutex_lock (&lock);
  entry = get_entry (key, FALSE);
  if (entry != NULL)
    entry->refreshing_since = 0;
  g_mutex_unlock (&lock);
}
