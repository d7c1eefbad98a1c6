/* eva-sign-in-page.c: server address, email and password
 *
 * The button is enabled once the three fields hold something that can
 * work: an http(s) address, a valid email, a password. Rows with a wrong
 * value are marked as you type; the server's answer (wrong password,
 * disabled account, too many attempts, no server there, a TLS problem) is
 * said in words above the form. On success "signed-in" is emitted.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-sign-in-page"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "eva-common.h"
#include "sign-in/eva-sign-in-page-private.h"
#include "widgets/eva-utils.h"

struct _EvaSignInPage
{
  GtkWidget         parent_instance;

  GtkImage         *logo;
  GtkRevealer      *message_revealer;
  GtkLabel         *message_label;
  AdwEntryRow      *server_row;
  GtkMenuButton    *servers_button;
  GtkPopover       *servers_popover;
  GtkListBox       *servers_list;
  AdwEntryRow      *email_row;
  AdwEntryRow      *password_row;
  GtkButton        *sign_in_button;
  GtkSpinner       *spinner;

  EvaApiClient     *client;
  GCancellable     *cancellable;
  char             *message;
};

G_DEFINE_FINAL_TYPE (EvaSignInPage, eva_sign_in_page, GTK_TYPE_WIDGET)

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static gboolean
server_is_valid (const char *text)
{
  g_autoptr(EvaApiClient) probe = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  if (*trimmed == '\0')
    return FALSE;
  probe = eva_api_client_new (NULL);
  return eva_api_client_set_base_url (probe, trimmed, NULL);
}

static void
set_busy (EvaSignInPage *self,
          gboolean       busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->email_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button),
                            !busy && eva_sign_in_page_get_can_submit (self));
}

static gboolean
validate (EvaSignInPage *self)
{
  const char *server = row_text (self->server_row);
  g_autofree char *email = g_strstrip (g_strdup (row_text (self->email_row)));
  const char *password = row_text (self->password_row);
  gboolean server_ok = server_is_valid (server);
  gboolean email_ok = eva_validate_email (email);

  eva_row_set_error (GTK_WIDGET (self->server_row),
                     *server != '\0' && !server_ok
                     ? _("Enter an address such as https://tickets.example.org") : NULL);
  eva_row_set_error (GTK_WIDGET (self->email_row),
                     *email != '\0' && !email_ok ? _("Enter a valid email address") : NULL);
  return server_ok && email_ok && *password != '\0';
}

/* Words for what went wrong, by the server's code where it gives one. */
static const char *
describe_error (const GError *error)
{
  const char *code = eva_api_error_get_code (error);

  if (g_strcmp0 (code, "invalid_credentials") == 0)
    return _("The email address or password is not correct.");
  if (g_strcmp0 (code, "account_disabled") == 0)
    return _("This account is disabled. Ask an administrator of the server to enable it.");
  if (g_strcmp0 (code, "too_many_attempts") == 0)
    return _("Too many attempts. Wait a minute before trying again.");
  if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_FORBIDDEN))
    return _("This account may not use Everato Admin.");
  return error->message;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
input_changed_cb (EvaSignInPage *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button),
                            validate (self) && !gtk_spinner_get_spinning (self->spinner));
}

static void
entry_activated_cb (EvaSignInPage *self)
{
  if (eva_sign_in_page_get_can_submit (self))
    eva_sign_in_page_submit (self);
  else if (*row_text (self->server_row) == '\0' || eva_row_has_error (GTK_WIDGET (self->server_row)))
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
  else if (*row_text (self->email_row) == '\0' || eva_row_has_error (GTK_WIDGET (self->email_row)))
    gtk_widget_grab_focus (GTK_WIDGET (self->email_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
sign_in_clicked_cb (EvaSignInPage *self)
{
  eva_sign_in_page_submit (self);
}

static void
server_activated_cb (EvaSignInPage *self,
                     GtkListBoxRow *row)
{
  eva_sign_in_page_set_server (self, g_object_get_data (G_OBJECT (row), "server"));
  gtk_popover_popdown (self->servers_popover);
  gtk_widget_grab_focus (GTK_WIDGET (self->email_row));
}

static void
logged_in_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EvaSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaRecord) me = NULL;

  me = eva_api_client_login_finish (EVA_API_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (me == NULL)
    {
      eva_sign_in_page_set_message (self, describe_error (error));
      if (g_strcmp0 (eva_api_error_get_code (error), "invalid_credentials") == 0)
        {
          gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
          gtk_editable_select_region (GTK_EDITABLE (self->password_row), 0, -1);
        }
      else if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_UNREACHABLE) ||
               g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_TLS) ||
               g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_BAD_RESPONSE))
        {
          eva_row_set_error (GTK_WIDGET (self->server_row), error->message);
          gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
        }
      return;
    }

  eva_sign_in_page_set_message (self, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_signal_emit (self, signals[SIGNED_IN], 0);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_sign_in_page_dispose (GObject *object)
{
  EvaSignInPage *self = EVA_SIGN_IN_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_SIGN_IN_PAGE);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (eva_sign_in_page_parent_class)->dispose (object);
}

static void
eva_sign_in_page_finalize (GObject *object)
{
  EvaSignInPage *self = EVA_SIGN_IN_PAGE (object);

  g_free (self->message);

  G_OBJECT_CLASS (eva_sign_in_page_parent_class)->finalize (object);
}

static void
eva_sign_in_page_class_init (EvaSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_sign_in_page_dispose;
  object_class->finalize = eva_sign_in_page_finalize;

  /**
   * EvaSignInPage::signed-in:
   *
   * The client is signed in (its tokens and "me" are set).
   */
  signals[SIGNED_IN] = g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, logo);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, message_revealer);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, servers_button);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, servers_popover);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, servers_list);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, email_row);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, EvaSignInPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, server_activated_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
eva_sign_in_page_init (EvaSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_image_set_from_icon_name (self->logo, APPLICATION_ID);
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

GtkWidget *
eva_sign_in_page_new (void)
{
  return g_object_new (EVA_TYPE_SIGN_IN_PAGE, NULL);
}

void
eva_sign_in_page_set_client (EvaSignInPage *self,
                             EvaApiClient  *client)
{
  g_return_if_fail (EVA_IS_SIGN_IN_PAGE (self));
  g_set_object (&self->client, client);
}

/* The servers signed in to before, offered in a popover. */
void
eva_sign_in_page_set_servers (EvaSignInPage      *self,
                              const char * const *servers)
{
  GtkWidget *child;

  g_return_if_fail (EVA_IS_SIGN_IN_PAGE (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->servers_list))) != NULL)
    gtk_list_box_remove (self->servers_list, child);
  for (guint i = 0; servers != NULL && servers[i] != NULL; i++)
    {
      GtkWidget *label = gtk_label_new (servers[i]);
      GtkWidget *row = gtk_list_box_row_new ();

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
      g_object_set_data_full (G_OBJECT (row), "server", g_strdup (servers[i]), g_free);
      gtk_list_box_append (self->servers_list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->servers_button), servers != NULL && servers[0] != NULL);
}

void
eva_sign_in_page_set_server (EvaSignInPage *self,
                             const char    *server)
{
  g_return_if_fail (EVA_IS_SIGN_IN_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server ?: "");
}

const char *
eva_sign_in_page_get_server (EvaSignInPage *self)
{
  g_return_val_if_fail (EVA_IS_SIGN_IN_PAGE (self), NULL);
  return row_text (self->server_row);
}

void
eva_sign_in_page_set_email (EvaSignInPage *self,
                            const char    *email)
{
  g_return_if_fail (EVA_IS_SIGN_IN_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->email_row), email ?: "");
}

const char *
eva_sign_in_page_get_email (EvaSignInPage *self)
{
  g_return_val_if_fail (EVA_IS_SIGN_IN_PAGE (self), NULL);
  return row_text (self->email_row);
}

/* A message above the form ("Your session has expired…"); NULL hides it. */
void
eva_sign_in_page_set_message (EvaSignInPage *self,
                              const char    *message)
{
  g_return_if_fail (EVA_IS_SIGN_IN_PAGE (self));

  g_free (self->message);
  self->message = g_strdup (message);
  if (message != NULL)
    gtk_label_set_label (self->message_label, message);
  gtk_revealer_set_reveal_child (self->message_revealer, message != NULL);
}

const char *
eva_sign_in_page_get_message (EvaSignInPage *self)
{
  g_return_val_if_fail (EVA_IS_SIGN_IN_PAGE (self), NULL);
  return self->message;
}

gboolean
eva_sign_in_page_get_can_submit (EvaSignInPage *self)
{
  g_return_val_if_fail (EVA_IS_SIGN_IN_PAGE (self), FALSE);
  return validate (self);
}

void
eva_sign_in_page_submit (EvaSignInPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *email = NULL;
  g_autofree char *server = NULL;

  g_return_if_fail (EVA_IS_SIGN_IN_PAGE (self));
  g_return_if_fail (self->client != NULL);

  if (!validate (self) || gtk_spinner_get_spinning (self->spinner))
    return;

  server = g_strstrip (g_strdup (row_text (self->server_row)));
  if (!eva_api_client_set_base_url (self->client, server, &error))
    {
      eva_sign_in_page_set_message (self, error->message);
      return;
    }
  /* Show the address as the client understood it (https:// added). */
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), eva_api_client_get_base_url (self->client));

  email = g_strstrip (g_strdup (row_text (self->email_row)));
  eva_sign_in_page_set_message (self, NULL);
  set_busy (self, TRUE);
  eva_api_client_login_async (self->client, email, row_text (self->password_row),
                              self->cancellable, logged_in_cb, g_object_ref (self));
}

/* Puts the cursor in the first field that needs typing. */
void
eva_sign_in_page_focus (EvaSignInPage *self)
{
  g_return_if_fail (EVA_IS_SIGN_IN_PAGE (self));

  if (*row_text (self->server_row) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
  else if (*row_text (self->email_row) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->email_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

GtkWidget *
_eva_sign_in_page_get_row (EvaSignInPage *self,
                           const char    *name)
{
  if (g_str_equal (name, "server"))
    return GTK_WIDGET (self->server_row);
  if (g_str_equal (name, "email"))
    return GTK_WIDGET (self->email_row);
  if (g_str_equal (name, "password"))
    return GTK_WIDGET (self->password_row);
  if (g_str_equal (name, "button"))
    return GTK_WIDGET (self->sign_in_button);
  return NULL;
}
