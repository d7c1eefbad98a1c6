/* test-ical.c: events as iCalendar files (RFC 5545)
 *
 * Line folding at 75 octets without splitting a character, CRLF endings,
 * text escaping, times local to the event's zone with a VTIMEZONE whose
 * observances carry the zone's real offset changes, and a UTC fallback
 * for zones that are unknown or unsafe as a parameter value. (The files
 * are also parsed by the icalendar package in test-ticket-docs.)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-ical"

#include "config.h"

#include <string.h>

#include "eva-common.h"

/* 2030-06-01 17:00 UTC = 19:00 in Berlin (summer time). */
#define STARTS 1906563600
#define ENDS   (STARTS + 4 * 3600)

static char *
make (const char *timezone,
      const char *summary)
{
  EvaIcalEvent event = {
    .uid = "0b7e6a52-0000-4000-8000-000000000001@tickets.example.org",
    .summary = summary, .location = "Großer Saal, Am Markt 1", .description = "a\nb",
    .url = "https://tickets.example.org/e/x", .timezone = timezone,
    .starts_at = STARTS, .ends_at = ENDS, .stamp = STARTS - 86400, .sequence = 3,
  };

  return eva_ical_event (&event);
}

/* The file unfolded, one logical line per element. */
static GStrv
unfold (const char *ics)
{
  g_autoptr(GString) s = g_string_new (ics);

  g_string_replace (s, "\r\n ", "", 0);
  g_assert_null (strstr (s->str, "\r\n\r\n"));
  return g_strsplit (s->str, "\r\n", -1);
}

static gboolean
has_line (GStrv        lines,
          const char  *line)
{
  return g_strv_contains ((const char * const *) lines, line);
}

static void
test_lines (void)
{
  g_autofree char *long_summary = g_strnfill (50, 'x');
  g_autofree char *summary = g_strconcat ("Ä, ö; ü\\", long_summary, "ßßßßßßßßßßßßßßßßßßßß", NULL);
  g_autofree char *ics = make ("Europe/Berlin", summary);
  g_auto(GStrv) physical = g_strsplit (ics, "\r\n", -1);
  g_auto(GStrv) lines = unfold (ics);
  g_autofree char *expected = g_strconcat ("SUMMARY:Ä\\, ö\\; ü\\\\", long_summary, "ßßßßßßßßßßßßßßßßßßßß", NULL);

  g_assert_true (g_str_has_prefix (ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
  g_assert_true (g_str_has_suffix (ics, "END:VCALENDAR\r\n"));
  /* No bare LF; every physical line at most 75 octets and valid UTF-8. */
  for (const char *c = ics; *c != '\0'; c++)
    if (*c == '\n')
      g_assert_cmpint (c[-1], ==, '\r');
  for (guint i = 0; physical[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (physical[i]), <=, 75);
      g_assert_true (g_utf8_validate (physical[i], -1, NULL));
    }
  g_assert_true (has_line (lines, expected));
  g_assert_true (has_line (lines, "DESCRIPTION:a\\nb"));
  g_assert_true (has_line (lines, "LOCATION:Großer Saal\\, Am Markt 1"));
  g_assert_true (has_line (lines, "URL:https://tickets.example.org/e/x"));
  g_assert_true (has_line (lines, "SEQUENCE:3"));
  g_assert_true (has_line (lines, "STATUS:CONFIRMED"));
  g_assert_true (has_line (lines, "DTSTAMP:20300531T170000Z"));
}

static void
test_zone (void)
{
  g_autofree char *ics = make ("Europe/Berlin", "Concert");
  g_auto(GStrv) lines = unfold (ics);
  g_autofree char *vtz = NULL;
  const char *begin = strstr (ics, "BEGIN:VTIMEZONE");
  const char *end = strstr (ics, "END:VTIMEZONE");

  g_assert_true (has_line (lines, "DTSTART;TZID=Europe/Berlin:20300601T190000"));
  g_assert_true (has_line (lines, "DTEND;TZID=Europe/Berlin:20300601T230000"));
  g_assert_nonnull (begin);
  g_assert_nonnull (end);
  vtz = g_strndup (begin, end - begin);
  /* 2030: summer time from 31 March 02:00 (+0100 → +0200) to 27 October
   * 03:00 (+0200 → +0100), local times of the old offset. */
  g_assert_nonnull (strstr (vtz, "TZID:Europe/Berlin"));
  g_assert_nonnull (strstr (vtz, "BEGIN:DAYLIGHT\r\nDTSTART:20300331T020000\r\nTZOFFSETFROM:+0100\r\n"
                                 "TZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT"));
  g_assert_nonnull (strstr (vtz, "BEGIN:STANDARD\r\nDTSTART:20301027T030000\r\nTZOFFSETFROM:+0200\r\n"
                                 "TZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD"));
  /* The offset in force on 1 January first. */
  g_assert_nonnull (strstr (vtz, "BEGIN:STANDARD\r\nDTSTART:20300101T010000\r\nTZOFFSETFROM:+0100\r\n"
                                 "TZOFFSETTO:+0100\r\n"));
}

static void
test_zone_without_changes (void)
{
  g_autofree char *ics = make ("Asia/Kolkata", "Concert");
  g_auto(GStrv) lines = unfold (ics);

  g_assert_true (has_line (lines, "DTSTART;TZID=Asia/Kolkata:20300601T223000"));
  g_assert_nonnull (strstr (ics, "TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\n"));
  g_assert_null (strstr (ics, "DAYLIGHT"));
}

static void
test_utc_fallback (void)
{
  const char *zones[] = { NULL, "", "UTC", "Nowhere/Atlantis", "Europe/Berlin\r\nX-EVIL:1", "+05:30" };

  for (guint i = 0; i < G_N_ELEMENTS (zones); i++)
    {
      g_autofree char *ics = make (zones[i], "Concert");
      g_auto(GStrv) lines = unfold (ics);

      g_assert_true (has_line (lines, "DTSTART:20300601T170000Z"));
      g_assert_true (has_line (lines, "DTEND:20300601T210000Z"));
      g_assert_null (strstr (ics, "VTIMEZONE"));
      g_assert_null (strstr (ics, "X-EVIL"));
    }
}

static void
test_cancelled (void)
{
  EvaIcalEvent event = {
    .uid = "u@h", .summary = "S", .timezone = "Europe/Berlin", .url = "javascript:alert(1)\r\nX:1",
    .starts_at = STARTS, .ends_at = ENDS, .stamp = STARTS, .cancelled = TRUE,
  };
  g_autofree char *ics = eva_ical_event (&event);

  g_assert_nonnull (strstr (ics, "\r\nSTATUS:CANCELLED\r\n"));
  /* A URL with line breaks is left out, not folded into the file. */
  g_assert_null (strstr (ics, "URL:"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ical/lines", test_lines);
  g_test_add_func ("/ical/zone", test_zone);
  g_test_add_func ("/ical/zone-without-changes", test_zone_without_changes);
  g_test_add_func ("/ical/utc-fallback", test_utc_fallback);
  g_test_add_func ("/ical/cancelled", test_cancelled);
  return g_test_run ();
}
