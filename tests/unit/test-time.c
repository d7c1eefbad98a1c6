/* test-time.c: RFC 3339 timestamps and time zone names
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-time"

#include "config.h"

#include <glib/gstdio.h>

#include "eva-common.h"

/* ------------------------------------------------------------------ */
/* Parse                                                              */
/* ------------------------------------------------------------------ */

static void
assert_parses_to (const char *text,
                  const char *expected_utc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) dt = eva_time_parse (text, &error);
  g_autofree char *formatted = NULL;

  if (dt == NULL)
    g_error ("“%s” was rejected: %s", text, error->message);

  formatted = eva_time_format (dt);
  g_assert_cmpstr (formatted, ==, expected_utc);
}

static void
test_parse_valid (void)
{
  assert_parses_to ("2026-11-24T07:59:34Z", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-11-24T08:59:34+01:00", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-11-24T02:29:34-05:30", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-11-24T07:59:34-00:00", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-11-24T07:59:34+00:00", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z");
  assert_parses_to ("2026-11-24T23:59:59+23:59", "2026-11-24T00:00:59Z");

  /* Fractions: any number of digits, truncated to microseconds. */
  assert_parses_to ("2026-11-24T07:59:34.5Z", "2026-11-24T07:59:34.500000Z");
  assert_parses_to ("2026-11-24T07:59:34.000001Z", "2026-11-24T07:59:34.000001Z");
  assert_parses_to ("2026-11-24T07:59:34.123456789Z", "2026-11-24T07:59:34.123456Z");
  assert_parses_to ("2026-11-24T07:59:34.9999999Z", "2026-11-24T07:59:34.999999Z");
  assert_parses_to ("2026-11-24T07:59:34.0Z", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-11-24T07:59:34.000000000000Z", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-11-24T08:59:34.25+01:00", "2026-11-24T07:59:34.250000Z");

  /* RFC 3339 §5.6: 'T' and 'Z' may be lower case. */
  assert_parses_to ("2026-11-24t07:59:34z", "2026-11-24T07:59:34Z");
  assert_parses_to ("2026-11-24t07:59:34+01:00", "2026-11-24T06:59:34Z");

  /* Calendar edges. */
  assert_parses_to ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z");
  assert_parses_to ("2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z");
  assert_parses_to ("2026-12-31T23:59:59Z", "2026-12-31T23:59:59Z");
  assert_parses_to ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z");
  assert_parses_to ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z");
}

static void
test_parse_keeps_offset (void)
{
  g_autoptr(GDateTime) dt = eva_time_parse ("2026-11-24T08:59:34+01:00", NULL);
  g_autoptr(GDateTime) utc = eva_time_parse ("2026-11-24T07:59:34Z", NULL);

  g_assert_nonnull (dt);
  g_assert_nonnull (utc);
  g_assert_cmpint (g_date_time_get_utc_offset (dt), ==, G_TIME_SPAN_HOUR);
  g_assert_cmpint (g_date_time_get_hour (dt), ==, 8);
  g_assert_true (g_date_time_equal (dt, utc));
  g_assert_cmpint (g_date_time_to_unix (dt), ==, G_GINT64_CONSTANT (1795507174));
}

static void
test_parse_invalid (void)
{
  static const char *const bad[] = {
    "",
    "2026-11-24",                          /* date only */
    "07:59:34Z",                           /* time only */
    "2026-11-24T07:59:34",                 /* no offset */
    "2026-11-24T07:59:34.5",               /* no offset */
    "2026-11-24 07:59:34Z",                /* space instead of T */
    "2026-11-24_07:59:34Z",
    "2026-11-24T07:59Z",                   /* no seconds */
    "2026-11-24T7:59:34Z",
    "2026-1-24T07:59:34Z",
    "26-11-24T07:59:34Z",
    "20261124T075934Z",                    /* ISO 8601 basic format */
    "2026-11-24T07:59:34+0100",            /* offset without colon */
    "2026-11-24T07:59:34+01",
    "2026-11-24T07:59:34+1:00",
    "2026-11-24T07:59:34 +01:00",
    "2026-11-24T07:59:34UTC",
    "2026-11-24T07:59:34GMT",
    "2026-11-24T07:59:34.Z",               /* empty fraction */
    "2026-11-24T07:59:34,5Z",              /* comma fraction */
    "2026-11-24T07:59:34Zjunk",
    "2026-11-24T07:59:34Z ",
    " 2026-11-24T07:59:34Z",
    "+2026-11-24T07:59:34Z",
    "12026-11-24T07:59:34Z",
    "２０２６-11-24T07:59:34Z",            /* fullwidth digits */
    "2026-13-01T00:00:00Z",                /* month 13 */
    "2026-00-01T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-31T00:00:00Z",
    "2026-02-29T00:00:00Z",                /* not a leap year */
    "1900-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-11-24T24:00:00Z",                /* hour 24 */
    "2026-11-24T23:60:00Z",
    "2026-11-24T23:59:60Z",                /* leap second */
    "2016-12-31T23:59:60Z",                /* a real one, still refused */
    "2026-11-24T23:59:61Z",
    "2026-11-24T07:59:34+24:00",
    "2026-11-24T07:59:34+01:60",
    "0000-01-01T00:00:00Z",                /* year 0 */
    "0001-01-01T00:00:00+01:00",           /* before year 1 in UTC */
    "9999-12-31T23:59:59-01:00",           /* after 9999 in UTC */
    "2026-11-24T07:59:34.5e3Z",
    "now",
    "1795507174",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDateTime) dt = eva_time_parse (bad[i], &error);

      if (dt != NULL)
        g_error ("“%s” was accepted", bad[i]);
      g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, bad[i]));
    }
}

static void
test_parse_messages (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) dt = NULL;

  dt = eva_time_parse ("2026-11-24T07:59:34", &error);
  g_assert_null (dt);
  g_assert_nonnull (strstr (error->message, "needs a UTC offset"));
  g_clear_error (&error);

  dt = eva_time_parse ("2026-11-24T23:59:60Z", &error);
  g_assert_null (dt);
  g_assert_nonnull (strstr (error->message, "leap second"));
  g_clear_error (&error);

  dt = eva_time_parse ("2026-13-01T00:00:00Z", &error);
  g_assert_null (dt);
  g_assert_nonnull (strstr (error->message, "not a valid date"));
}

static void
test_parse_long_fraction (void)
{
  g_autoptr(GString) text = g_string_new ("2026-11-24T07:59:34.");
  g_autoptr(GDateTime) dt = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (text, '9');
  g_string_append_c (text, 'Z');

  dt = eva_time_parse (text->str, NULL);
  g_assert_nonnull (dt);
  g_assert_cmpint (g_date_time_get_microsecond (dt), ==, 999999);
  g_assert_cmpint (g_date_time_get_second (dt), ==, 34);
}

/* ------------------------------------------------------------------ */
/* Format                                                             */
/* ------------------------------------------------------------------ */

static void
test_format (void)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (-(3 * 3600 + 30 * 60));
  g_autoptr(GDateTime) local = g_date_time_new (tz, 2026, 11, 24, 4, 29, 34.0);
  g_autoptr(GDateTime) epoch = g_date_time_new_from_unix_utc (0);
  g_autoptr(GDateTime) early = g_date_time_new_utc (33, 3, 5, 1, 2, 3.0);
  g_autoptr(GDateTime) with_usec = g_date_time_add (epoch, 7);
  g_autofree char *a = eva_time_format (local);
  g_autofree char *b = eva_time_format (epoch);
  g_autofree char *c = eva_time_format (early);
  g_autofree char *d = eva_time_format (with_usec);

  g_assert_cmpstr (a, ==, "2026-11-24T07:59:34Z");
  g_assert_cmpstr (b, ==, "1970-01-01T00:00:00Z");
  g_assert_cmpstr (c, ==, "0033-03-05T01:02:03Z");
  g_assert_cmpstr (d, ==, "1970-01-01T00:00:00.000007Z");
}

static void
test_round_trip (void)
{
  for (guint i = 0; i < 2000; i++)
    {
      gint64 seconds = g_test_rand_int_range (-2000000000, 2000000000) * G_GINT64_CONSTANT (2);
      gint usec = i % 2 == 0 ? 0 : g_test_rand_int_range (0, 1000000);
      g_autoptr(GDateTime) base = g_date_time_new_from_unix_utc (seconds);
      g_autoptr(GDateTime) dt = g_date_time_add (base, usec);
      g_autofree char *text = eva_time_format (dt);
      g_autoptr(GError) error = NULL;
      g_autoptr(GDateTime) back = eva_time_parse (text, &error);

      g_assert_no_error (error);
      g_assert_true (g_date_time_equal (dt, back));
    }
}

/* ------------------------------------------------------------------ */
/* Time zones                                                         */
/* ------------------------------------------------------------------ */

static void
test_timezone_valid (void)
{
  static const char *const good[] = {
    "Europe/Berlin", "Europe/Paris", "America/New_York", "Asia/Tokyo",
    "America/Argentina/Buenos_Aires", "America/Port-au-Prince",
    "America/Indiana/Indianapolis", "Australia/Lord_Howe", "Asia/Kolkata",
    "Pacific/Chatham", "Africa/Abidjan", "UTC", "Etc/UTC", "Etc/GMT+5",
    "Etc/GMT-14",
    /* Links from the "backward" file are still names people have. */
    "Asia/Calcutta", "US/Pacific", "Europe/Kiev",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    if (!eva_timezone_is_valid (good[i]))
      g_error ("“%s” was rejected", good[i]);
}

static void
test_timezone_invalid (void)
{
  g_autofree char *long_name = g_strnfill (300, 'A');
  static const char *const bad[] = {
    "", " ", "UTC+5", "UTC+05:00", "GMT+1", "+05:00", "-0500", "Z", "+0",
    "EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3",
    "../etc", "../../../../etc/passwd", "/etc/localtime",
    "/usr/share/zoneinfo/Europe/Berlin", "Europe/../Europe/Berlin",
    "./Europe/Berlin", "Europe//Berlin", "Europe/Berlin/", "/Europe/Berlin",
    "Europe/Berlin ", " Europe/Berlin", "Europe/Berlin\n", "europe/berlin",
    "EUROPE/BERLIN", "Europe", "Europe/", "America/Argentina",
    "Europe/Atlantis", "Mars/Olympus_Mons", "Foo", "Local", "local",
    "localtime", "posixrules", "posix/Europe/Berlin", "right/Europe/Berlin",
    "Factory", "zone.tab", "tzdata.zi", "leapseconds", "iso3166.tab",
    "Europe\\Berlin", "Europe/Berlin\xff", "Europe/Berlín",
  };

  g_assert_false (eva_timezone_is_valid (NULL));
  g_assert_false (eva_timezone_is_valid (long_name));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (eva_timezone_is_valid (bad[i]))
      g_error ("“%s” was accepted", bad[i]);
}

/* Without tzdata.zi the zoneinfo files themselves are checked. */
static void
test_timezone_fallback (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("eva-tz-XXXXXX", &error);
      g_autofree char *europe = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *berlin = NULL;
      g_autofree char *fake = NULL;
      gsize length = 0;

      g_assert_no_error (error);
      europe = g_build_filename (dir, "Europe", NULL);
      g_assert_cmpint (g_mkdir (europe, 0700), ==, 0);

      g_assert_true (g_file_get_contents ("/usr/share/zoneinfo/Europe/Berlin",
                                          &contents, &length, NULL));
      berlin = g_build_filename (europe, "Berlin", NULL);
      g_assert_true (g_file_set_contents (berlin, contents, (gssize) length, NULL));
      fake = g_build_filename (europe, "Fake", NULL);
      g_assert_true (g_file_set_contents (fake, "not a zone file", -1, NULL));

      g_setenv ("TZDIR", dir, TRUE);

      g_assert_true (eva_timezone_is_valid ("Europe/Berlin"));
      g_assert_false (eva_timezone_is_valid ("Europe/Paris"));
      g_assert_false (eva_timezone_is_valid ("Europe/Fake"));
      g_assert_false (eva_timezone_is_valid ("Europe"));
      g_assert_false (eva_timezone_is_valid ("UTC+5"));
      g_assert_false (eva_timezone_is_valid ("../etc"));

      g_unlink (berlin);
      g_unlink (fake);
      g_rmdir (europe);
      g_rmdir (dir);
      return;
    }

  if (!g_file_test ("/usr/share/zoneinfo/Europe/Berlin", G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("no /usr/share/zoneinfo/Europe/Berlin");
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/time/parse/valid", test_parse_valid);
  g_test_add_func ("/time/parse/keeps-offset", test_parse_keeps_offset);
  g_test_add_func ("/time/parse/invalid", test_parse_invalid);
  g_test_add_func ("/time/parse/messages", test_parse_messages);
  g_test_add_func ("/time/parse/long-fraction", test_parse_long_fraction);
  g_test_add_func ("/time/format", test_format);
  g_test_add_func ("/time/round-trip", test_round_trip);
  g_test_add_func ("/time/timezone/valid", test_timezone_valid);
  g_test_add_func ("/time/timezone/invalid", test_timezone_invalid);
  g_test_add_func ("/time/timezone/fallback", test_timezone_fallback);

  return g_test_run ();
}
