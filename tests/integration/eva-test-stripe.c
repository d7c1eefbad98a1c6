/* eva-test-stripe.c: a Stripe stand-in for the integration tests
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "eva-test.h"
#include "eva-test-stripe.h"

#define START_TIMEOUT_MS 15000

struct _EvaTestStripe
{
  GPid         pid;
  int          stdin_fd;    /* held open: the stand-in exits at its end */
  int          stdout_fd;
  char        *base_url;
  SoupSession *session;
};

/* ------------------------------------------------------------------ */
/* Starting                                                           */
/* ------------------------------------------------------------------ */


/* Its first line of output, "listening on PORT", within the timeout. */
static guint16
read_port (EvaTestStripe *stripe)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;
  g_autoptr(GString) line = g_string_new (NULL);
  guint64 port = 0;

  while (strchr (line->str, '\n') == NULL)
    {
      struct pollfd pfd = { .fd = stripe->stdout_fd, .events = POLLIN };
      int left = (int) ((deadline - g_get_monotonic_time ()) / 1000);
      char buf[128];
      ssize_t n;

      if (left <= 0)
        g_error ("the Stripe stand-in did not start within %d ms", START_TIMEOUT_MS);
      if (poll (&pfd, 1, left) < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("poll: %s", g_strerror (errno));
        }
      if (pfd.revents == 0)
        continue;
      n = read (stripe->stdout_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("the Stripe stand-in exited before it listened (output: %s)", line->str);
      g_string_append_len (line, buf, n);
    }

  if (!g_str_has_prefix (line->str, "listening on ") ||
      !g_ascii_string_to_unsigned (g_strstrip (line->str + strlen ("listening on ")), 10,
                                   1, G_MAXUINT16, &port, NULL))
    g_error ("the Stripe stand-in said %s", line->str);
  return (guint16) port;
}

EvaTestStripe *
eva_test_stripe_start (const char         *secret_key,
                       const char * const *webhook_secrets)
{
  EvaTestStripe *stripe = g_new0 (EvaTestStripe, 1);
  const char *root = g_getenv ("EVERATO_SOURCE_ROOT");
  g_autofree char *script = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (secret_key != NULL, NULL);
  g_assert_nonnull (root);

  script = g_build_filename (root, "tests", "stripe", "stripe-standin.py", NULL);
  g_ptr_array_add (argv, (gpointer) eva_test_python ());
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  g_ptr_array_add (argv, (gpointer) "--secret-key");
  g_ptr_array_add (argv, (gpointer) secret_key);
  g_ptr_array_add (argv, (gpointer) "--watch-stdin");
  for (guint i = 0; webhook_secrets != NULL && webhook_secrets[i] != NULL; i++)
    {
      g_ptr_array_add (argv, (gpointer) "--webhook-secret");
      g_ptr_array_add (argv, (gpointer) webhook_secrets[i]);
    }
  g_ptr_array_add (argv, NULL);

  g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL,
                            G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                            eva_test_die_with_parent, NULL, &stripe->pid,
                            &stripe->stdin_fd, &stripe->stdout_fd, NULL, &error);
  g_assert_no_error (error);

  stripe->base_url = g_strdup_printf ("http://127.0.0.1:%u", read_port (stripe));
  stripe->session = soup_session_new_with_options ("timeout", 60, NULL);
  return stripe;
}

/* ------------------------------------------------------------------ */
/* Talking to it                                                      */
/* ------------------------------------------------------------------ */

const char *
eva_test_stripe_base_url (EvaTestStripe *stripe)
{
  g_return_val_if_fail (stripe != NULL, NULL);

  return stripe->base_url;
}

JsonNode *
eva_test_stripe_control (EvaTestStripe *stripe,
                         const char    *method,
                         const char    *path,
                         const char    *json_body,
                         guint         *status_out)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *type;

  g_return_val_if_fail (stripe != NULL, NULL);
  g_return_val_if_fail (method != NULL && path != NULL && path[0] == '/', NULL);

  url = g_strconcat (stripe->base_url, path, NULL);
  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);
  if (json_body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }

  bytes = soup_session_send_and_read (stripe->session, msg, NULL, &error);
  g_assert_no_error (error);
  if (status_out != NULL)
    *status_out = soup_message_get_status (msg);

  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  if (g_bytes_get_size (bytes) == 0 || g_strcmp0 (type, "application/json") != 0)
    return NULL;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), &error))
    g_error ("the Stripe stand-in answered %s %s with bad JSON: %s", method, path,
             error->message);
  return json_node_copy (json_parser_get_root (parser));
}

/* ------------------------------------------------------------------ */
/* Stopping                                                           */
/* ------------------------------------------------------------------ */

void
eva_test_stripe_stop (EvaTestStripe *stripe)
{
  int status = 0;

  if (stripe == NULL)
    return;

  if (stripe->pid != 0)
    {
      kill (stripe->pid, SIGTERM);
      while (waitpid (stripe->pid, &status, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (stripe->pid);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        g_error ("the Stripe stand-in did not stop cleanly (status %d)", status);
    }
  if (stripe->stdin_fd > 0)
    close (stripe->stdin_fd);
  if (stripe->stdout_fd > 0)
    close (stripe->stdout_fd);
  g_clear_object (&stripe->session);
  g_free (stripe->base_url);
  g_free (stripe);
}
