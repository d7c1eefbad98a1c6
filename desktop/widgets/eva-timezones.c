/* eva-timezones.c: the IANA time zone names the system knows
 *
 * Read once from tzdata.zi (every "Z name" line is a zone), sorted; a
 * short list stands in where the file is missing.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-timezones"

#include "config.h"

#include <string.h>

#include "widgets/eva-timezones.h"

static const char * const fallback_zones[] = {
  "UTC", "Africa/Lagos", "America/New_York", "America/Chicago", "America/Denver",
  "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Shanghai",
  "Asia/Tokyo", "Australia/Sydney", "Europe/Berlin", "Europe/London", "Europe/Paris",
  NULL,
};

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char **
load_zone_names (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *dir = g_getenv ("TZDIR");
  g_autofree char *path = g_build_filename (dir != NULL ? dir : "/usr/share/zoneinfo",
                                            "tzdata.zi", NULL);
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdupv ((char **) fallback_zones);

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *end;

      if (line[0] != 'Z' || line[1] != ' ')
        continue;
      line += 2;
      end = strchr (line, ' ');
      if (end == NULL)
        continue;
      g_ptr_array_add (names, g_strndup (line, end - line));
    }
  if (names->len == 0)
    return g_strdupv ((char **) fallback_zones);

  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/**
 * eva_timezones_get_model:
 *
 * Returns: (transfer full): a new list of zone names, sorted
 */
GtkStringList *
eva_timezones_get_model (void)
{
  static gsize names;

  if (g_once_init_enter (&names))
    g_once_init_leave (&names, (gsize) load_zone_names ());
  return gtk_string_list_new ((const char * const *) names);
}

/* The position of @identifier in @model, or GTK_INVALID_LIST_POSITION. */
guint
eva_timezones_find (GtkStringList *model,
                    const char    *identifier)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  if (identifier == NULL)
    return GTK_INVALID_LIST_POSITION;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (model, i), identifier) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}
