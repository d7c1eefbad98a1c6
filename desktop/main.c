/* main.c: everato-admin
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "app/eva-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EvaApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* A development build runs from the build folder, its schema too. */
  if (g_str_equal (PROFILE, "development"))
    g_setenv ("GSETTINGS_SCHEMA_DIR", BUILD_SCHEMA_DIR, FALSE);

  app = eva_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
