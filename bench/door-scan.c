/* door-scan.c — P4: from a frame with a ticket's QR code entering the
 * appsink to the verdict drawn in door mode, online (the server on this
 * machine) and offline (decided from the local store).
 *
 *   eva-bench-door-scan [--frames N] [--sizes 640x480,1280x720] [--modes online,offline]
 *
 * Real tickets of a real server (tests/integration's harness starts it on
 * $EVERATO_TEST_PG), drawn into PNG frames of the given sizes; each scan
 * is a new ticket: the camera pipeline ($EVERATO_CAMERA_PIPELINE: filesrc
 * → pngdec → imagefreeze) shows it until its verdict is painted. The
 * clock starts in the appsink callback (EvaDoorScanner) and stops in the
 * frame clock's after-paint that follows the verdict (EvaDoorPage's
 * "verdict-drawn"). Decode is the part until zbar's code reaches the main
 * loop. bench/door-scan wraps this with a private PostgreSQL, Xvfb and one
 * core; the test suite runs it on a few frames.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include "eva-common.h"
#include "eva-qr.h"
#include "door/eva-door-page-private.h"

#include "eva-desktop-seed.h"
#include "eva-test.h"

typedef struct
{
  gint64   latency_us;     /* of the last verdict drawn */
  gint64   decode_us;      /* of the last code decoded */
  gint64   decided_us;     /* of the last verdict, until it was on the main loop */
  guint    drawn;
} Probe;

static Probe probe;

static void
drawn_cb (EvaDoorPage *page,
          gint64       latency_us,
          gpointer     data)
{
  probe.latency_us = latency_us;
  probe.decided_us = _eva_door_page_get_last_decided (page);
  probe.drawn++;
}

static void
code_cb (EvaDoorScanner *scanner,
         const char     *code,
         gint64          entered_us,
         gpointer        data)
{
  probe.decode_us = g_get_monotonic_time () - entered_us;
}

static void
spin_until (gboolean (*done) (gpointer),
            gpointer  data,
            guint     seconds,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
synced (gpointer data)
{
  return _eva_door_page_get_synced (data);
}

static gboolean
drawn_past (gpointer data)
{
  return probe.drawn > GPOINTER_TO_UINT (data);
}

static gboolean
mapped (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

static char *
frame_png (const char *dir,
           const char *code,
           guint       index,
           int         width,
           int         height)
{
  g_autofree char *name = g_strdup_printf ("f%u-%dx%d.png", index, width, height);
  char *path = g_build_filename (dir, name, NULL);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create (surface);
  /* A ticket held up at arm's length: the code fills half the height. */
  double size = height * 0.5;

  cairo_set_source_rgb (cr, 0.5, 0.45, 0.4);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, (width - size) / 2 - 12, (height - size) / 2 - 12, size + 24, size + 24);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  if (!eva_qr_draw (cr, code, (width - size) / 2, (height - size) / 2, size, NULL))
    g_error ("cannot draw the code");
  cairo_destroy (cr);
  if (cairo_surface_write_to_png (surface, path) != CAIRO_STATUS_SUCCESS)
    g_error ("cannot write %s", path);
  cairo_surface_destroy (surface);
  return path;
}

static int
cmp_int64 (gconstpointer a,
           gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *values,
               double  p)
{
  gsize i;

  g_array_sort (values, cmp_int64);
  i = (gsize) (p * (values->len - 1) + 0.5);
  return g_array_index (values, gint64, i) / 1000.0;
}

/* One scan of @code at @width × @height: the latency and decode time. */
static void
scan_one (EvaDoorPage *page,
          const char  *dir,
          const char  *code,
          guint        index,
          int          width,
          int          height,
          gint64      *latency,
          gint64      *decode,
          gint64      *decided)
{
  g_autofree char *png = frame_png (dir, code, index, width, height);
  g_autofree char *pipeline = g_strdup_printf ("filesrc location=%s ! pngdec ! imagefreeze is-live=true", png);
  guint before = probe.drawn;

  g_setenv ("EVERATO_CAMERA_PIPELINE", pipeline, TRUE);
  eva_door_scanner_start (_eva_door_page_get_scanner (page), NULL);
  spin_until (drawn_past, GUINT_TO_POINTER (before), 30, "a verdict");
  eva_door_scanner_stop (_eva_door_page_get_scanner (page));
  *latency = probe.latency_us;
  *decode = probe.decode_us;
  *decided = probe.decided_us;
}

int
main (int   argc,
      char *argv[])
{
  int frames = 40;
  g_autofree char *sizes_arg = g_strdup ("640x480,1280x720");
  g_autofree char *modes_arg = g_strdup ("online,offline");
  GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Scans per size and mode", "N" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_arg, "Frame sizes", "WxH,…" },
    { "modes", 0, 0, G_OPTION_ARG_STRING, &modes_arg, "online and/or offline", "M,…" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("— P4, the door scan");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) sizes = NULL;
  g_auto(GStrv) modes = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  g_autofree char *organizer = NULL;
  g_autofree char *door = NULL;
  g_autofree char *types = NULL;
  g_autofree char *publish = NULL;
  g_autofree char *lists_path = NULL;
  g_autoptr(EvaTestResponse) event = NULL;
  g_autoptr(EvaTestResponse) type = NULL;
  g_autoptr(EvaTestResponse) published = NULL;
  g_autoptr(EvaTestResponse) lists = NULL;
  g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(EvaApiClient) client = NULL;
  EvaTestServer *server;
  GtkWindow *window;
  EvaDoorPage *page;
  const char *event_id;
  guint needed, next = 0, warmup = 2;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  sizes = g_strsplit (sizes_arg, ",", -1);
  modes = g_strsplit (modes_arg, ",", -1);

  g_setenv ("EVERATO_DOOR_AUDIO_SINK", "fakesink", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  dir = g_dir_make_tmp ("everato-p4-XXXXXX", NULL);
  data = g_build_filename (dir, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  gtk_init ();
  adw_init ();
  eva_common_init ();
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, RESOURCE_PATH "/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  /* The server, an event and enough real tickets for every scan. */
  server = eva_test_server_start (NULL);
  organizer = eva_test_token_for_role (server, "organizer");
  door = eva_test_token_for_role (server, "door_staff");
  event = eva_test_call (server, "POST", "/api/v1/admin/events", organizer,
                         "{\"title\":\"Bench Night\",\"timezone\":\"Europe/Berlin\","
                         "\"starts_at\":\"2030-04-12T19:30:00+02:00\",\"ends_at\":\"2030-04-12T23:00:00+02:00\","
                         "\"currency\":\"EUR\",\"max_tickets_per_attendee\":100000}");
  eva_test_assert_status (event, 201);
  event_id = eva_test_json_string (event->json, "id");
  types = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
  type = eva_test_call (server, "POST", types, organizer,
                        "{\"name\":\"Standard\",\"price\":0,\"capacity\":100000,\"max_per_order\":50}");
  eva_test_assert_status (type, 201);
  publish = g_strdup_printf ("/api/v1/admin/events/%s/publish", event_id);
  published = eva_test_call (server, "POST", publish, organizer, NULL);
  eva_test_assert_status (published, 200);
  needed = (frames + warmup) * g_strv_length (sizes) * g_strv_length (modes);
  while (codes->len < needed)
    {
      guint n = MIN (50, needed - codes->len);
      g_autofree char *email = g_strdup_printf ("bench-%u@example.org", codes->len);
      g_autoptr(JsonNode) booking = eva_desktop_seed_booking (server, event_id, eva_test_json_string (type->json, "id"),
                                                              n, NULL, "Bench Buyer", email);
      PGresult *r;
      const char *params[1] = { eva_test_json_string (booking, "id") };

      r = PQexecParams (server->pg, "SELECT code FROM tickets WHERE booking_id = $1::uuid ORDER BY seq",
                        1, NULL, params, NULL, NULL, 0);
      for (int i = 0; i < PQntuples (r); i++)
        g_ptr_array_add (codes, g_strdup (PQgetvalue (r, i, 0)));
      PQclear (r);
    }
  lists_path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", event_id);
  lists = eva_test_call (server, "GET", lists_path, door, NULL);
  eva_test_assert_status (lists, 200);

  /* Door mode, as at the entrance. */
  client = eva_api_client_new (server->base_url);
  eva_api_client_set_access_token (client, door);
  window = GTK_WINDOW (gtk_window_new ());
  page = EVA_DOOR_PAGE (eva_door_page_new ());
  eva_door_page_set_client (page, client);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_set_default_size (window, 1100, 720);
  gtk_window_present (window);
  spin_until (mapped, page, 10, "the window");
  g_signal_connect (page, "verdict-drawn", G_CALLBACK (drawn_cb), NULL);
  g_signal_connect (_eva_door_page_get_scanner (page), "code", G_CALLBACK (code_cb), NULL);
  g_setenv ("EVERATO_CAMERA_PIPELINE", "videotestsrc pattern=black num-buffers=1", TRUE);
  eva_door_page_start (page, event_id, "Bench Night", eva_test_json_string (lists->json, "items.0.id"),
                       "Main entrance");
  spin_until (synced, page, 30, "the bundle");

  g_print ("P4 door scan: frame in the appsink → verdict drawn, %d scans each (after %u warm-up)\n", frames, warmup);
  g_print ("%-8s %-10s %9s %9s %12s %12s %12s\n", "mode", "size", "median ms", "p99 ms", "decode med",
           "decode p99", "decided med");
  for (guint m = 0; modes[m] != NULL; m++)
    {
      if (g_str_equal (modes[m], "offline"))
        {
          /* The server goes away; the door notices at the next scan. */
          eva_test_server_kill (server);
        }
      for (guint s = 0; sizes[s] != NULL; s++)
        {
          int width = 0, height = 0;
          g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_autoptr(GArray) decodes = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_autoptr(GArray) decideds = g_array_new (FALSE, FALSE, sizeof (gint64));

          if (sscanf (sizes[s], "%dx%d", &width, &height) != 2)
            g_error ("bad size %s", sizes[s]);
          for (guint i = 0; i < (guint) frames + warmup; i++)
            {
              gint64 latency, decode, decided;

              scan_one (page, dir, g_ptr_array_index (codes, next), next, width, height, &latency, &decode,
                        &decided);
              next++;
              if (i < warmup)
                continue;
              g_array_append_val (latencies, latency);
              g_array_append_val (decodes, decode);
              g_array_append_val (decideds, decided);
            }
          if (g_str_equal (modes[m], "offline") != eva_door_page_get_offline (page))
            g_error ("the door is %s", eva_door_page_get_offline (page) ? "offline" : "online");
          g_print ("%-8s %-10s %9.1f %9.1f %12.1f %12.1f %12.1f\n", modes[m], sizes[s],
                   percentile_ms (latencies, 0.5), percentile_ms (latencies, 0.99),
                   percentile_ms (decodes, 0.5), percentile_ms (decodes, 0.99), percentile_ms (decideds, 0.5));
        }
    }
  {
    guint all, dropped, decoded;

    eva_door_scanner_get_counts (_eva_door_page_get_scanner (page), &all, &dropped, &decoded);
    g_print ("frames %u, not decoded (zbar busy, or resting after a code) %u, with a code %u\n", all, dropped, decoded);
  }

  gtk_window_destroy (window);
  eva_test_server_free (server);
  {
    g_autofree char *quoted = g_shell_quote (dir);
    g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

    (void) !system (command);
  }
  return 0;
}
