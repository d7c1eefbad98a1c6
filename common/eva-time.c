/* eva-time.c: RFC 3339 timestamps and IANA time zone names
 *
 * The API speaks one timestamp format, RFC 3339 with a mandatory offset, so
 * no instant is ever guessed from the server's local zone. Event time zones
 * are IANA names checked against the system tz database.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <string.h>

#include "eva-error.h"
#include "eva-time.h"

#define TZ_NAME_MAX 128

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Reads exactly @n ASCII digits. */
static gboolean
read_digits (const char **p,
             guint        n,
             int         *out)
{
  int value = 0;

  for (guint i = 0; i < n; i++)
    {
      char c = (*p)[i];

      if (!g_ascii_isdigit (c))
        return FALSE;
      value = value * 10 + (c - '0');
    }

  *p += n;
  *out = value;
  return TRUE;
}

static gboolean
expect_char (const char **p,
             char         c)
{
  if (**p != c)
    return FALSE;
  (*p)++;
  return TRUE;
}

static const char *
tz_directory (void)
{
  const char *dir = g_getenv ("TZDIR");

  return dir != NULL && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

/* The zone and link names of the tz database, from tzdata.zi (which
 * Debian, Fedora, Alpine and upstream tzdata install). %NULL when the file
 * is missing, in which case the zoneinfo files themselves are checked. */
static GHashTable *
load_tz_names (void)
{
  g_autofree char *path = g_build_filename (tz_directory (), "tzdata.zi", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GHashTable) names = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;

  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      /* "Z NAME STDOFF …" declares a zone, "L TARGET NAME" a link. */
      if (lines[i][0] != 'Z' && lines[i][0] != 'L')
        continue;
      if (lines[i][1] != ' ')
        continue;

      fields = g_strsplit_set (lines[i], " \t", -1);
      if (fields[0] == NULL || fields[1] == NULL)
        continue;

      if (lines[i][0] == 'Z')
        g_hash_table_add (names, g_strdup (fields[1]));
      else if (fields[2] != NULL && *fields[2] != '\0')
        g_hash_table_add (names, g_strdup (fields[2]));
    }

  if (g_hash_table_size (names) == 0)
    return NULL;

  return g_steal_pointer (&names);
}

static GHashTable *
get_tz_names (gboolean *available)
{
  static gsize once = 0;
  static GHashTable *names = NULL;

  if (g_once_init_enter (&once))
    {
      names = load_tz_names ();
      g_once_init_leave (&once, 1);
    }

  *available = names != NULL;
  return names;
}

/* Names in the database, or files beside it, that are no place's zone:
 * the "posix/" and "right/" (leap second) trees, the system's own zone and
 * "Factory" ("-00", local time unknown). */
static gboolean
tz_name_is_excluded (const char *identifier)
{
  return g_str_has_prefix (identifier, "posix/") ||
         g_str_has_prefix (identifier, "right/") ||
         g_str_equal (identifier, "posixrules") ||
         g_str_equal (identifier, "localtime") ||
         g_str_equal (identifier, "Factory");
}

/* Fallback when there is no tzdata.zi: a compiled zone file must exist. */
static gboolean
tz_file_exists (const char *identifier)
{
  g_autofree char *path = g_build_filename (tz_directory (), identifier, NULL);
  g_autoptr(GMappedFile) mapped = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return FALSE;

  mapped = g_mapped_file_new (path, FALSE, NULL);
  return mapped != NULL &&
         g_mapped_file_get_length (mapped) >= 4 &&
         memcmp (g_mapped_file_get_contents (mapped), "TZif", 4) == 0;
}

/* Names are '/'-separated parts that start with a letter and otherwise hold
 * letters, digits, '_', '-' and '+' ("Etc/GMT+5", "America/Port-au-Prince").
 * That shuts out "", "../etc", absolute paths and offsets like "+05:00". */
static gboolean
tz_name_is_well_formed (const char *identifier)
{
  gboolean part_start = TRUE;
  gsize len = strlen (identifier);

  if (len == 0 || len > TZ_NAME_MAX)
    return FALSE;

  for (const char *p = identifier; *p != '\0'; p++)
    {
      char c = *p;

      if (part_start)
        {
          if (!g_ascii_isalpha (c))
            return FALSE;
          part_start = FALSE;
        }
      else if (c == '/')
        part_start = TRUE;
      else if (!g_ascii_isalnum (c) && c != '_' && c != '-' && c != '+')
        return FALSE;
    }

  return !part_start;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_time_parse:
 * @text: an RFC 3339 timestamp such as "2026-11-24T07:59:34.5+01:00"
 *
 * Accepts exactly RFC 3339's date-time: YYYY-MM-DD, 'T', hh:mm:ss, an
 * optional fraction of one or more digits (truncated to microseconds) and
 * a mandatory offset, 'Z' or ±hh:mm. As RFC 3339 §5.6 allows, 't' and 'z'
 * may be lower case. "-00:00" means UTC. Rejected: a missing offset, a
 * space instead of 'T', out-of-range fields, impossible dates, leap seconds
 * (ss = 60; GDateTime cannot represent them), year 0000 and anything else.
 *
 * Returns: (transfer full): the instant, in the zone of the given offset,
 *   or %NULL with %EVA_ERROR_INVALID.
 */
GDateTime *
eva_time_parse (const char  *text,
                GError     **error)
{
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) whole = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GDateTime) utc = NULL;
  const char *p = text;
  int year, month, day, hour, minute, second;
  int usec = 0;
  int offset = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!read_digits (&p, 4, &year) || !expect_char (&p, '-') ||
      !read_digits (&p, 2, &month) || !expect_char (&p, '-') ||
      !read_digits (&p, 2, &day))
    goto malformed;

  if (*p != 'T' && *p != 't')
    goto malformed;
  p++;

  if (!read_digits (&p, 2, &hour) || !expect_char (&p, ':') ||
      !read_digits (&p, 2, &minute) || !expect_char (&p, ':') ||
      !read_digits (&p, 2, &second))
    goto malformed;

  if (*p == '.')
    {
      guint n = 0;

      p++;
      if (!g_ascii_isdigit (*p))
        goto malformed;

      for (; g_ascii_isdigit (*p); p++, n++)
        if (n < 6)
          usec = usec * 10 + (*p - '0');

      for (; n < 6; n++)
        usec *= 10;
    }

  if (*p == 'Z' || *p == 'z')
    {
      p++;
    }
  else if (*p == '+' || *p == '-')
    {
      int sign = *p == '-' ? -1 : 1;
      int off_hour, off_minute;

      p++;
      if (!read_digits (&p, 2, &off_hour) || !expect_char (&p, ':') ||
          !read_digits (&p, 2, &off_minute))
        goto malformed;

      if (off_hour > 23 || off_minute > 59)
        {
          g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                       "“%s” has an invalid UTC offset", text);
          return NULL;
        }

      offset = sign * (off_hour * 3600 + off_minute * 60);
    }
  else
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "“%s” needs a UTC offset such as Z or +01:00", text);
      return NULL;
    }

  if (*p != '\0')
    goto malformed;

  if (second == 60)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "“%s” is a leap second, which is not supported", text);
      return NULL;
    }

  if (year < 1 || month < 1 || month > 12 ||
      day < 1 || day > g_date_get_days_in_month (month, year) ||
      hour > 23 || minute > 59 || second > 59)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "“%s” is not a valid date and time", text);
      return NULL;
    }

  tz = g_time_zone_new_offset (offset);
  whole = g_date_time_new (tz, year, month, day, hour, minute, second);
  if (whole != NULL)
    dt = g_date_time_add (whole, usec);

  /* Out of GDateTime's range once the offset is applied (year 1 or 9999). */
  if (dt != NULL)
    utc = g_date_time_to_utc (dt);
  if (utc == NULL)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "“%s” is out of the supported range", text);
      return NULL;
    }

  return g_steal_pointer (&dt);

malformed:
  g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
               "“%s” is not an RFC 3339 timestamp such as 2026-05-01T19:30:00+02:00",
               text);
  return NULL;
}

/**
 * eva_time_format:
 * @dt: an instant
 *
 * Returns: (transfer full): @dt in UTC as RFC 3339, e.g.
 *   "2026-11-24T07:59:34Z", or "2026-11-24T07:59:34.250000Z" when the
 *   microseconds are not zero (always six digits then).
 */
char *
eva_time_format (GDateTime *dt)
{
  g_autoptr(GDateTime) utc = NULL;
  int usec;

  g_return_val_if_fail (dt != NULL, NULL);

  utc = g_date_time_to_utc (dt);
  g_return_val_if_fail (utc != NULL, NULL);

  usec = g_date_time_get_microsecond (utc);

  if (usec == 0)
    return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                            g_date_time_get_year (utc),
                            g_date_time_get_month (utc),
                            g_date_time_get_day_of_month (utc),
                            g_date_time_get_hour (utc),
                            g_date_time_get_minute (utc),
                            g_date_time_get_second (utc));

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                          g_date_time_get_year (utc),
                          g_date_time_get_month (utc),
                          g_date_time_get_day_of_month (utc),
                          g_date_time_get_hour (utc),
                          g_date_time_get_minute (utc),
                          g_date_time_get_second (utc),
                          usec);
}

/**
 * eva_timezone_is_valid:
 * @identifier: an IANA time zone name such as "Europe/Berlin"
 *
 * Checks that @identifier is a zone or link name of the system tz database
 * (tzdata.zi under $TZDIR or /usr/share/zoneinfo; failing that, a compiled
 * zone file there) and that GLib can load it. Case matters. Offsets and
 * POSIX TZ strings ("UTC+5", "+05:00", "EST5EDT,M3.2.0,M11.1.0"), paths
 * ("../etc/passwd", "/etc/localtime"), "posix/…" and "right/…" variants,
 * "Factory", and names GLib would quietly turn into UTC are all rejected.
 */
gboolean
eva_timezone_is_valid (const char *identifier)
{
  g_autoptr(GTimeZone) tz = NULL;
  GHashTable *names;
  gboolean have_names;

  if (identifier == NULL || !tz_name_is_well_formed (identifier) ||
      tz_name_is_excluded (identifier))
    return FALSE;

  names = get_tz_names (&have_names);
  if (have_names)
    {
      if (!g_hash_table_contains (names, identifier))
        return FALSE;
    }
  else if (!tz_file_exists (identifier))
    {
      return FALSE;
    }

  tz = g_time_zone_new_identifier (identifier);
  return tz != NULL;
}
