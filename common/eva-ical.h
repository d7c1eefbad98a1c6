/* eva-ical.h: an event as an iCalendar file (RFC 5545)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *uid;          /* globally unique, stable: "<id>@<host>" */
  const char *summary;
  const char *location;     /* may be NULL or "" */
  const char *description;  /* may be NULL or "" */
  const char *url;          /* may be NULL or "" */
  const char *timezone;     /* IANA name; unknown or NULL: times in UTC */
  gint64      starts_at;    /* Unix time */
  gint64      ends_at;
  gint64      stamp;        /* DTSTAMP and LAST-MODIFIED, Unix time */
  guint       sequence;     /* grows when the event changes */
  gboolean    cancelled;
} EvaIcalEvent;

/* A VCALENDAR with one VEVENT, its times in the event's own time zone
 * (with the VTIMEZONE that defines it: every offset change of the years
 * the event spans), text escaped and lines folded at 75 octets, CRLF. */
char *eva_ical_event (const EvaIcalEvent *event);

G_END_DECLS
