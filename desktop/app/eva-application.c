/* eva-application.c: the everato-admin application
 *
 * One window per activation; app-wide actions (about, quit) and the
 * keyboard shortcuts live here. style.css, gtk/help-overlay.ui and the
 * app icon (icons/, so it shows uninstalled too) are picked up from the
 * resource base path by AdwApplication and GtkApplication themselves.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-application"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "app/eva-application.h"
#include "app/eva-window.h"

struct _EvaApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (EvaApplication, eva_application, ADW_TYPE_APPLICATION)

/* ------------------------------------------------------------------ */
/* Actions                                                            */
/* ------------------------------------------------------------------ */

static void
about_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The Everato authors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", _("Everato Admin"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The Everato authors"),
                        "version", PACKAGE_VERSION,
                        "website", "https://everato.org",
                        "issue-url", "https://everato.org/issues",
                        "license-type", GTK_LICENSE_AGPL_3_0,
                        "copyright", "© 2026 The Everato authors",
                        "developers", developers,
                        /* Translators: put your names here, one a line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  GApplication *app = G_APPLICATION (user_data);
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Closing lets windows keep their size. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_application_quit (app);
}

static const GActionEntry app_actions[] = {
  { "about", about_activated },
  { "quit", quit_activated },
};

/* ------------------------------------------------------------------ */
/* GApplication                                                       */
/* ------------------------------------------------------------------ */

static void
eva_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (eva_window_new (GTK_APPLICATION (app)));
  gtk_window_present (window);
}

static void
eva_application_startup (GApplication *app)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.new-event", { "<Control>n", NULL } },
    { "win.save", { "<Control>s", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.refresh", { "F5", "<Control>r", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (eva_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
  gtk_window_set_default_icon_name (APPLICATION_ID);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_application_class_init (EvaApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = eva_application_activate;
  app_class->startup = eva_application_startup;
}

static void
eva_application_init (EvaApplication *self)
{
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaApplication *
eva_application_new (void)
{
  return g_object_new (EVA_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", RESOURCE_PATH,
                       NULL);
}
