/* eva-desktop-test.h: helpers of the desktop tests
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

G_BEGIN_DECLS

typedef gboolean (*EvaTestCondition) (gpointer data);

/* Warnings stay fatal, except one: under Xvfb without a window manager
 * GTK may warn about focus events it did not get, which is the test
 * display, not the app. */
static inline GLogWriterOutput
eva_desktop_test_log_writer (GLogLevelFlags   log_level,
                             const GLogField *fields,
                             gsize            n_fields,
                             gpointer         user_data)
{
  GLogWriterOutput result;
  gboolean ignore = FALSE;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
        strstr (fields[i].value, "did not receive a focus-out event") != NULL)
      ignore = TRUE;
  if (ignore)
    return G_LOG_WRITER_HANDLED;

  result = g_log_writer_default (log_level, fields, n_fields, user_data);
  if (log_level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    abort ();
  return result;
}

/* Sets up GTK and libadwaita the way the app does. */
static inline void
eva_desktop_test_init (int    *argc,
                       char ***argv)
{
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_writer_func (eva_desktop_test_log_writer, NULL, NULL);
}

/* Spins the main loop until @condition holds; fails after @seconds. */
static inline void
eva_desktop_test_wait (EvaTestCondition  condition,
                       gpointer          data,
                       guint             seconds,
                       const char       *what)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Lets pending redraws and idles run for a moment. */
static inline void
eva_desktop_test_settle (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

G_END_DECLS
