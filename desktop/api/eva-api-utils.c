/* eva-api-utils.c: small GLib helpers of the API client's callers and
 * models, with no GTK in them
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-api-utils"

#include "config.h"

#include "api/eva-api-utils.h"

/* ------------------------------------------------------------------ */
/* Loading                                                            */
/* ------------------------------------------------------------------ */

/* Cancels what runs under *@cancellable and puts a fresh one in its
 * place, for the next round of calls. */
void
eva_cancellable_renew (GCancellable **cancellable)
{
  g_return_if_fail (cancellable != NULL);

  g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
  *cancellable = g_cancellable_new ();
}

/* Sets a filter's *@field to a copy of @value, an empty one counting as
 * NULL. Returns whether it changed. */
gboolean
eva_set_filter_string (char       **field,
                       const char  *value)
{
  g_return_val_if_fail (field != NULL, FALSE);

  if (value != NULL && *value == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}
