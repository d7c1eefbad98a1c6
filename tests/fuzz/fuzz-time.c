/* fuzz-time.c: RFC 3339 timestamps and time zone names (common/eva-time.c)
 *
 * Properties: an accepted timestamp formats (in UTC) to text that parses
 * again to the same instant and formats the same; the text had an offset
 * and a 'T'; a zone name that is accepted loads in GLib as that zone
 * (never quietly as UTC) and is no path.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include "eva-time.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_string (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) dt = NULL;

  fuzz_init ();
  dt = eva_time_parse (text, &error);
  if (dt != NULL)
    {
      g_autofree char *formatted = eva_time_format (dt);
      g_autoptr(GDateTime) again = eva_time_parse (formatted, NULL);
      g_autofree char *formatted_again = NULL;

      FUZZ_CHECK (error == NULL);
      FUZZ_CHECK (strchr (text, 'T') != NULL || strchr (text, 't') != NULL);
      FUZZ_CHECK (g_str_has_suffix (formatted, "Z"));
      FUZZ_CHECK (again != NULL);
      FUZZ_CHECK (g_date_time_equal (dt, again));
      formatted_again = eva_time_format (again);
      FUZZ_CHECK (g_str_equal (formatted, formatted_again));
      FUZZ_CHECK (g_date_time_get_year (dt) >= 1 && g_date_time_get_year (dt) <= 9999);
    }
  else
    FUZZ_CHECK (error != NULL);

  if (size <= 64 && eva_timezone_is_valid (text))
    {
      g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (text);

      FUZZ_CHECK (tz != NULL);
      FUZZ_CHECK (g_str_equal (g_time_zone_get_identifier (tz), text));
      FUZZ_CHECK (text[0] != '/' && strstr (text, "..") == NULL);
    }
  return 0;
}
