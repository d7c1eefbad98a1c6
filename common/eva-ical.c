/* eva-ical.c: an event as an iCalendar file (RFC 5545)
 *
 * Times are local to the event's time zone, with a TZID, so a calendar
 * shows "19:00 Berlin time" and keeps it right when its user travels.
 * RFC 5545 wants a VTIMEZONE for each TZID: it is built from the system's
 * time zone database (GTimeZone) as explicit observances, one per offset
 * change in the years the event spans, plus one for the offset in force
 * at the start of that span, so no RRULE has to guess the future.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <string.h>

#include "eva-ical.h"

#define LINE_OCTETS 75

/* ------------------------------------------------------------------ */
/* Lines                                                              */
/* ------------------------------------------------------------------ */

/* Appends "@line\r\n", folded at 75 octets without splitting a
 * character (RFC 5545 §3.1). */
static void
append_line (GString    *out,
             const char *line)
{
  gsize column = 0;

  for (const char *p = line; *p != '\0'; p = g_utf8_next_char (p))
    {
      gsize len = g_utf8_next_char (p) - p;

      if (column + len > LINE_OCTETS)
        {
          g_string_append (out, "\r\n ");
          column = 1;
        }
      g_string_append_len (out, p, len);
      column += len;
    }
  g_string_append (out, "\r\n");
}

/* NAME:escaped text (§3.3.11): backslash, semicolon, comma and newlines
 * escaped, other control characters dropped. */
static void
append_text (GString    *out,
             const char *name,
             const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value != NULL ? value : "", -1);
  g_autoptr(GString) line = g_string_new (name);

  g_string_append_c (line, ':');
  for (const char *c = valid; *c != '\0'; c++)
    switch (*c)
      {
      case '\\': g_string_append (line, "\\\\"); break;
      case ';':  g_string_append (line, "\\;"); break;
      case ',':  g_string_append (line, "\\,"); break;
      case '\n': g_string_append (line, "\\n"); break;
      default:
        if ((guchar) *c >= 0x20 && *c != 0x7f)
          g_string_append_c (line, *c);
      }
  append_line (out, line->str);
}

static void
append_printf (GString    *out,
               const char *format,
               ...) G_GNUC_PRINTF (2, 3);

static void
append_printf (GString    *out,
               const char *format,
               ...)
{
  va_list args;
  g_autofree char *line = NULL;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  append_line (out, line);
}

/* Only ASCII letters, digits and @extra: fit for a parameter or URI. */
static gboolean
safe_value (const char *value,
            const char *extra)
{
  for (const char *c = value; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr (extra, *c) == NULL)
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Times                                                              */
/* ------------------------------------------------------------------ */

/* YYYYMMDDTHHMMSS of @t shifted by @offset seconds (local time). */
static char *
local_text (gint64 t,
            gint32 offset)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t + offset);

  return g_date_time_format (utc, "%Y%m%dT%H%M%S");
}

static char *
offset_text (gint32 offset)
{
  gint32 a = ABS (offset);

  if (a % 60 != 0)
    return g_strdup_printf ("%c%02d%02d%02d", offset < 0 ? '-' : '+',
                            a / 3600, a / 60 % 60, a % 60);
  return g_strdup_printf ("%c%02d%02d", offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

static gint32
offset_at (GTimeZone *tz,
           gint64     t)
{
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t);

  return interval < 0 ? 0 : g_time_zone_get_offset (tz, interval);
}

static void
append_observance (GString    *out,
                   GTimeZone  *tz,
                   gint64      t,
                   gint32      from,
                   gint32      to)
{
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t);
  gboolean dst = interval >= 0 && g_time_zone_is_dst (tz, interval);
  const char *name = interval >= 0 ? g_time_zone_get_abbreviation (tz, interval) : NULL;
  const char *kind = dst ? "DAYLIGHT" : "STANDARD";
  g_autofree char *start = local_text (t, from);
  g_autofree char *from_text = offset_text (from);
  g_autofree char *to_text = offset_text (to);

  append_printf (out, "BEGIN:%s", kind);
  append_printf (out, "DTSTART:%s", start);
  append_printf (out, "TZOFFSETFROM:%s", from_text);
  append_printf (out, "TZOFFSETTO:%s", to_text);
  if (name != NULL && *name != '\0')
    append_text (out, "TZNAME", name);
  append_printf (out, "END:%s", kind);
}

/* The offset changes between @from and @to: a daily scan, then a binary
 * search for the second each one happens. */
static void
append_vtimezone (GString    *out,
                  GTimeZone  *tz,
                  const char *tzid,
                  gint64      from,
                  gint64      to)
{
  gint32 offset = offset_at (tz, from);

  append_line (out, "BEGIN:VTIMEZONE");
  append_text (out, "TZID", tzid);
  append_observance (out, tz, from, offset, offset);

  for (gint64 t = from; t < to; t += G_TIME_SPAN_DAY / G_USEC_PER_SEC)
    {
      gint64 next = MIN (t + G_TIME_SPAN_DAY / G_USEC_PER_SEC, to);
      gint32 after = offset_at (tz, next);
      gint64 lo = t, hi = next;

      if (after == offset)
        continue;
      /* offset_at (lo) == offset, offset_at (hi) == after */
      while (hi - lo > 1)
        {
          gint64 mid = lo + (hi - lo) / 2;

          if (offset_at (tz, mid) == offset)
            lo = mid;
          else
            hi = mid;
        }
      append_observance (out, tz, hi, offset, after);
      offset = after;
    }
  append_line (out, "END:VTIMEZONE");
}

/* Unix time of January 1st, 00:00 UTC, of @t's year plus @years. */
static gint64
year_start (gint64 t,
            int    years)
{
  g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) jan = g_date_time_new_utc (g_date_time_get_year (d) + years, 1, 1, 0, 0, 0);

  return g_date_time_to_unix (jan);
}

static char *
utc_text (gint64 t)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (utc, "%Y%m%dT%H%M%SZ");
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

char *
eva_ical_event (const EvaIcalEvent *event)
{
  g_autoptr(GString) out = g_string_sized_new (2048);
  g_autoptr(GTimeZone) tz = NULL;
  g_autofree char *stamp = utc_text (event->stamp);

  g_return_val_if_fail (event != NULL && event->uid != NULL && event->summary != NULL, NULL);

  if (event->timezone != NULL && *event->timezone != '\0' && strcmp (event->timezone, "UTC") != 0
      && safe_value (event->timezone, "/_+-"))
    tz = g_time_zone_new_identifier (event->timezone);

  append_line (out, "BEGIN:VCALENDAR");
  append_line (out, "VERSION:2.0");
  append_line (out, "PRODID:-//Everato//Everato Tickets//EN");
  append_line (out, "CALSCALE:GREGORIAN");
  append_line (out, "METHOD:PUBLISH");
  if (tz != NULL)
    append_vtimezone (out, tz, event->timezone, year_start (event->starts_at, 0),
                      year_start (event->ends_at, 1));

  append_line (out, "BEGIN:VEVENT");
  append_text (out, "UID", event->uid);
  append_printf (out, "DTSTAMP:%s", stamp);
  append_printf (out, "LAST-MODIFIED:%s", stamp);
  append_printf (out, "SEQUENCE:%u", event->sequence);
  if (tz != NULL)
    {
      g_autofree char *start = local_text (event->starts_at, offset_at (tz, event->starts_at));
      g_autofree char *end = local_text (event->ends_at, offset_at (tz, event->ends_at));
      g_autoptr(GString) line = g_string_new (NULL);

      /* An IANA name ("Europe/Berlin") is a plain parameter value
       * (safe_value () made sure). */
      g_string_printf (line, "DTSTART;TZID=%s:%s", event->timezone, start);
      append_line (out, line->str);
      g_string_printf (line, "DTEND;TZID=%s:%s", event->timezone, end);
      append_line (out, line->str);
    }
  else
    {
      g_autofree char *start = utc_text (event->starts_at);
      g_autofree char *end = utc_text (event->ends_at);

      append_printf (out, "DTSTART:%s", start);
      append_printf (out, "DTEND:%s", end);
    }
  append_text (out, "SUMMARY", event->summary);
  if (event->location != NULL && *event->location != '\0')
    append_text (out, "LOCATION", event->location);
  if (event->description != NULL && *event->description != '\0')
    append_text (out, "DESCRIPTION", event->description);
  if (event->url != NULL && *event->url != '\0' && safe_value (event->url, ":/?#[]@!$&'()*+,;=%~-._"))
    append_printf (out, "URL:%s", event->url);
  append_printf (out, "STATUS:%s", event->cancelled ? "CANCELLED" : "CONFIRMED");
  append_line (out, "TRANSP:OPAQUE");
  append_line (out, "END:VEVENT");
  append_line (out, "END:VCALENDAR");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
