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

/* ------------------------------------------------------------------ */
/* Bookings                                                           */
/* ------------------------------------------------------------------ */

#define BOOKING_REFERENCE_LEN 8

/* The short reference attendees see on the site, in mails and on the
 * PDF: the first 8 hex digits of the booking's id in upper case
 * ("1E047278"), as the server makes it (upper(left(id::text, 8))).
 * NULL for an id that does not start with 8 hex digits. */
char *
eva_booking_reference (const char *booking_id)
{
  char *reference;

  if (booking_id == NULL)
    return NULL;
  for (guint i = 0; i < BOOKING_REFERENCE_LEN; i++)
    if (!g_ascii_isxdigit (booking_id[i]))
      return NULL;
  reference = g_ascii_strup (booking_id, BOOKING_REFERENCE_LEN);
  return reference;
}
