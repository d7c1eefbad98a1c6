/* test-door.c: door mode against a real server, real GStreamer, real X
 *
 * Real tickets of a real server, drawn as QR codes into PNG frames that
 * the real pipeline reads ($EVERATO_CAMERA_PIPELINE: filesrc → pngdec →
 * imagefreeze), decoded by zbar: valid → green, the same again → amber
 * (and not before two seconds), forged → red, unpaid → amber then
 * "collect payment and admit" → green. A USB scanner typing through
 * XTest with nothing focused, and slow typing in the search left alone;
 * the manual search and its check-in, undone. Offline: the server killed
 * mid-session, scans decided from the synced bundle (a ticket revoked
 * before the last sync is red) and queued; restarted on the same port,
 * a second door admits one of the queued tickets first, the queue
 * uploads, the conflict is shown and the counts are the server's. The
 * store's file modes, the sounds, the camera messages, the camera picker
 * (two cameras of a device provider of the test's own) and the page
 * finalizing. Screenshots of each state go to $EVERATO_SCREENSHOT_DIR.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <signal.h>
#include <sys/stat.h>

#include "eva-common.h"
#include "eva-qr.h"
#include "eva-ticket-code.h"
#include "door/eva-door-page-private.h"
#include "app/eva-window.h"
#include "door/eva-door-store.h"
#include "sign-in/eva-sign-in-page-private.h"

#include "eva-desktop-seed.h"
#include "eva-desktop-test.h"
#include "eva-test.h"

typedef struct
{
  EvaTestServer *server;
  char          *organizer;
  char          *door;
  char          *door2;
  char          *door2_device;
  char          *event_id;
  char          *list_id;
  char          *standard_id;
  char          *paid_id;
  char         **codes;          /* free tickets: Ada, Grace, Alan, Edsger, Barbara, Ken, Dennis */
  char          *unpaid_code;
  char          *frames;         /* folder of the PNGs */
} Door;

static Door door;

static const char *holders[] = { "Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra",
                                 "Barbara Liskov", "Ken Thompson", "Dennis Ritchie" };

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *
booking_codes (const char *booking_id,
               int         n,
               GStrvBuilder *out)
{
  for (int i = 1; i <= n; i++)
    {
      g_autofree char *seq = g_strdup_printf ("%d", i);
      char *code = eva_test_sql (door.server->pg,
                                 "SELECT code FROM tickets WHERE booking_id = $1::uuid AND status = 'valid'"
                                 " ORDER BY seq OFFSET $2::int - 1 LIMIT 1", booking_id, seq, NULL);

      g_assert_nonnull (code);
      if (out == NULL)
        return code;
      g_strv_builder_add (out, code);
      g_free (code);
    }
  return NULL;
}

static void
door_setup (void)
{
  g_autoptr(EvaTestResponse) event = NULL;
  g_autoptr(EvaTestResponse) standard = NULL;
  g_autoptr(EvaTestResponse) paid = NULL;
  g_autoptr(EvaTestResponse) published = NULL;
  g_autoptr(EvaTestResponse) lists = NULL;
  g_autoptr(EvaTestResponse) device = NULL;
  g_autoptr(JsonNode) free_booking = NULL;
  g_autoptr(JsonNode) unpaid_booking = NULL;
  g_autoptr(GStrvBuilder) codes = g_strv_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *booking_id;

  door.server = eva_test_server_start (NULL);
  door.organizer = eva_test_token_for_role (door.server, "organizer");
  door.door = eva_test_token_for_role (door.server, "door_staff");
  door.door2 = eva_test_token_for_role (door.server, "door_staff");
  event = eva_test_call (door.server, "POST", "/api/v1/admin/events", door.organizer,
                         "{\"title\":\"Night Market\",\"timezone\":\"Europe/Berlin\","
                         "\"starts_at\":\"2030-04-12T19:30:00+02:00\","
                         "\"ends_at\":\"2030-04-12T23:00:00+02:00\",\"currency\":\"EUR\","
                         "\"payment_methods\":[\"at_door\"]}");
  eva_test_assert_status (event, 201);
  door.event_id = g_strdup (eva_test_json_string (event->json, "id"));
  path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", door.event_id);
  standard = eva_test_call (door.server, "POST", path, door.organizer,
                            "{\"name\":\"Standard\",\"price\":0,\"capacity\":100}");
  eva_test_assert_status (standard, 201);
  paid = eva_test_call (door.server, "POST", path, door.organizer,
                        "{\"name\":\"Supporter\",\"price\":1500,\"capacity\":10}");
  eva_test_assert_status (paid, 201);
  door.standard_id = g_strdup (eva_test_json_string (standard->json, "id"));
  door.paid_id = g_strdup (eva_test_json_string (paid->json, "id"));
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/publish", door.event_id);
  published = eva_test_call (door.server, "POST", path, door.organizer, NULL);
  eva_test_assert_status (published, 200);

  /* Seven free tickets in one booking, each with its holder's name. */
  free_booking = eva_desktop_seed_booking (door.server, door.event_id, door.standard_id, G_N_ELEMENTS (holders),
                                           NULL, "Ada Lovelace", "ada@example.org");
  booking_id = eva_test_json_string (free_booking, "id");
  booking_codes (booking_id, G_N_ELEMENTS (holders), codes);
  door.codes = g_strv_builder_end (codes);
  for (guint i = 0; i < G_N_ELEMENTS (holders); i++)
    g_free (eva_test_sql (door.server->pg, "UPDATE tickets SET holder_name = $2 WHERE code = $1 RETURNING id",
                          door.codes[i], holders[i], NULL));

  /* One to pay at the door. */
  unpaid_booking = eva_desktop_seed_checkout_booking (door.server, door.event_id, door.paid_id, 1, NULL,
                                                      "Linus Pauling", "linus@example.org", "at_door");
  door.unpaid_code = booking_codes (eva_test_json_string (unpaid_booking, "id"), 1, NULL);
  g_free (eva_test_sql (door.server->pg, "UPDATE tickets SET holder_name = 'Linus Pauling' WHERE code = $1"
                        " RETURNING id", door.unpaid_code, NULL));

  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", door.event_id);
  lists = eva_test_call (door.server, "GET", path, door.door, NULL);
  eva_test_assert_status (lists, 200);
  door.list_id = g_strdup (eva_test_json_string (lists->json, "items.0.id"));

  device = eva_test_call (door.server, "POST", "/api/v1/admin/checkin/devices", door.door2, "{\"name\":\"Door 2\"}");
  eva_test_assert_status (device, 201);
  door.door2_device = g_strdup (eva_test_json_string (device->json, "id"));

  door.frames = g_dir_make_tmp ("everato-door-XXXXXX", &error);
  g_assert_no_error (error);
}

/* A camera frame of @code, @width × @height, as a PNG; its path. */
static char *
frame_png (const char *code,
           const char *name,
           int         width,
           int         height)
{
  g_autofree char *file = g_strdup_printf ("%s-%dx%d.png", name, width, height);
  char *path = g_build_filename (door.frames, file, NULL);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create (surface);
  double size = height * 0.8;
  g_autoptr(GError) error = NULL;

  cairo_set_source_rgb (cr, 0.55, 0.5, 0.45);
  cairo_paint (cr);
  if (code != NULL)
    {
      /* A ticket held up in front of the camera: white paper, the code. */
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_rectangle (cr, (width - size) / 2 - 10, (height - size) / 2 - 10, size + 20, size + 20);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0, 0, 0);
      g_assert_true (eva_qr_draw (cr, code, (width - size) / 2, (height - size) / 2, size, &error));
      g_assert_no_error (error);
    }
  cairo_destroy (cr);
  g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  return path;
}

static void
camera_shows (EvaDoorPage *page,
              const char  *code,
              const char  *name)
{
  g_autofree char *png = frame_png (code, name, 640, 480);
  g_autofree char *pipeline = g_strdup_printf ("filesrc location=%s ! pngdec ! imagefreeze is-live=true", png);

  g_setenv ("EVERATO_CAMERA_PIPELINE", pipeline, TRUE);
  eva_door_scanner_start (_eva_door_page_get_scanner (page), NULL);
}

typedef struct
{
  EvaDoorPage *page;
  guint        n;
} VerdictWait;

static gboolean
verdicts_reached (gpointer data)
{
  VerdictWait *w = data;

  return _eva_door_page_get_verdicts (w->page) >= w->n;
}

static void
wait_verdict (EvaDoorPage *page,
              const char  *what)
{
  VerdictWait w = { page, _eva_door_page_get_verdicts (page) + 1 };

  eva_desktop_test_wait (verdicts_reached, &w, 30, what);
}

static void
assert_verdict (EvaDoorPage *page,
                const char  *kind,
                const char  *headline,
                const char  *name,
                EvaDoorSound sound)
{
  g_assert_cmpstr (_eva_door_page_get_verdict_kind (page), ==, kind);
  g_assert_cmpstr (_eva_door_page_get_verdict_text (page, "headline"), ==, headline);
  if (name != NULL)
    g_assert_cmpstr (_eva_door_page_get_verdict_text (page, "name"), ==, name);
  g_assert_cmpint (_eva_door_page_get_last_sound (page), ==, sound);
}

static gboolean
page_synced (gpointer data)
{
  return _eva_door_page_get_synced (data);
}

typedef struct
{
  EvaDoorPage *page;
  guint        syncs;
} SyncWait;

static gboolean
synced_again (gpointer data)
{
  SyncWait *w = data;

  return _eva_door_page_get_syncs (w->page) > w->syncs;
}

static void
sync_and_wait (EvaDoorPage *page)
{
  SyncWait w = { page, _eva_door_page_get_syncs (page) };

  eva_door_page_sync_now (page);
  eva_desktop_test_wait (synced_again, &w, 30, "a sync");
}

static gboolean
is_drawn (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  const char *dir = g_getenv ("EVERATO_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  eva_desktop_test_wait (is_drawn, widget, 10, "the window to be drawn");
  eva_desktop_test_settle (150);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s (%dx%d)", path, width, height);
}

static EvaApiClient *
door_client (void)
{
  EvaApiClient *client = eva_api_client_new (door.server->base_url);

  eva_api_client_set_access_token (client, door.door);
  return client;
}

static GtkWindow *
door_window (EvaApiClient *client,
             EvaDoorPage **page_out)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  EvaDoorPage *page = EVA_DOOR_PAGE (eva_door_page_new ());

  eva_door_page_set_client (page, client);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_set_default_size (window, 1100, 720);
  gtk_window_present (window);
  eva_desktop_test_wait (is_drawn, page, 10, "the page");
  *page_out = page;
  return window;
}

static gboolean
last_ref (gpointer data)
{
  return G_OBJECT (data)->ref_count == 1;
}

/* The window goes; its requests are cancelled and let go of the client. */
static void
close_window (GtkWindow    *window,
              EvaApiClient *client)
{
  g_autoptr(EvaApiClient) last = client;

  gtk_window_destroy (window);
  eva_desktop_test_wait (last_ref, client, 10, "the page's requests to end");
  g_assert_finalize_object (g_steal_pointer (&last));
}

static int
sql_int (const char *sql,
         const char *arg)
{
  g_autofree char *v = eva_test_sql (door.server->pg, sql, arg, NULL);

  return v != NULL ? atoi (v) : -1;
}

static gboolean
recent_undone (gpointer data)
{
  g_autofree char *text = _eva_door_page_describe_recent (data, 0);

  return g_str_has_suffix (text, "undone") &&
         sql_int ("SELECT count(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
                  " WHERE t.code = $1 AND c.undone_at IS NOT NULL", door.codes[1]) == 1;
}

static gboolean
latency_measured (gpointer data)
{
  return _eva_door_page_get_last_latency (data) > 0;
}

static gboolean
camera_drawn (gpointer data)
{
  return gtk_picture_get_paintable (GTK_PICTURE (_eva_door_page_get_widget (data, "camera"))) != NULL;
}

static gboolean
has_results (gpointer data)
{
  return _eva_door_page_get_search_count (data) > 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* The webcam: valid, again, forged, unpaid then paid; undo of a manual
 * check-in. */
static void
test_camera_verdicts (void)
{
  EvaApiClient *client = door_client ();
  EvaDoorPage *page;
  GtkWindow *window = door_window (client, &page);
  g_autofree char *forged = g_strdup (door.codes[2]);
  gint64 first_at;
  const char *reason;

  eva_door_page_start (page, door.event_id, "Night Market", door.list_id, "Main entrance");
  eva_desktop_test_wait (page_synced, page, 30, "the first sync");
  camera_shows (page, NULL, "empty");
  eva_desktop_test_wait (camera_drawn, page, 10, "the camera's picture");
  save_png (GTK_WIDGET (window), "door-ready.png");

  /* Valid → green, with the holder and type, drawn within a frame or so. */
  camera_shows (page, door.codes[0], "ada");
  wait_verdict (page, "the first verdict");
  first_at = g_get_monotonic_time ();
  assert_verdict (page, "admit", "ADMIT", "Ada Lovelace", EVA_DOOR_SOUND_ADMIT);
  g_assert_cmpstr (_eva_door_page_get_verdict_text (page, "type"), ==, "Standard");
  g_assert_cmpstr (_eva_door_page_get_verdict_text (page, "offline"), ==, "");
  save_png (GTK_WIDGET (window), "door-admit.png");
  eva_desktop_test_wait (latency_measured, page, 10, "the verdict to be drawn");
  g_assert_cmpint (_eva_door_page_get_last_latency (page), <, 5 * G_USEC_PER_SEC);

  /* Still in view: ignored for two seconds, then "already in". */
  wait_verdict (page, "the second verdict");
  g_assert_cmpint (g_get_monotonic_time () - first_at, >=, 1900 * 1000);
  assert_verdict (page, "warn", "ALREADY IN", "Ada Lovelace", EVA_DOOR_SOUND_WARN);
  reason = _eva_door_page_get_verdict_text (page, "reason");
  g_assert_true (g_str_has_prefix (reason, "Checked in "));
  g_assert_nonnull (strstr (reason, g_get_host_name ()));
  save_png (GTK_WIDGET (window), "door-already.png");

  /* Forged: one character of the signature changed → red. */
  forged[EVA_TICKET_CODE_LEN - 5] = forged[EVA_TICKET_CODE_LEN - 5] == 'A' ? 'B' : 'A';
  camera_shows (page, forged, "forged");
  wait_verdict (page, "the forged code");
  assert_verdict (page, "deny", "INVALID", "", EVA_DOOR_SOUND_DENY);
  save_png (GTK_WIDGET (window), "door-invalid.png");

  /* Unpaid: amber, then collect payment and admit. */
  camera_shows (page, door.unpaid_code, "unpaid");
  wait_verdict (page, "the unpaid ticket");
  assert_verdict (page, "warn", "UNPAID", "Linus Pauling", EVA_DOOR_SOUND_WARN);
  g_assert_true (gtk_widget_get_visible (_eva_door_page_get_widget (page, "pay")));
  save_png (GTK_WIDGET (window), "door-unpaid.png");
  eva_door_scanner_stop (_eva_door_page_get_scanner (page));
  _eva_door_page_pay_and_admit (page);
  wait_verdict (page, "the payment");
  assert_verdict (page, "admit", "ADMIT", "Linus Pauling", EVA_DOOR_SOUND_ADMIT);
  g_assert_cmpstr (_eva_door_page_get_verdict_text (page, "reason"), ==, "Payment collected at the door");
  g_assert_cmpint (sql_int ("SELECT count(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
                            " WHERE t.code = $1 AND c.status = 'ok' AND c.forced", door.unpaid_code), ==, 1);

  /* The last scans, newest first. */
  g_assert_cmpuint (_eva_door_page_get_recent_count (page), ==, 5);
  {
    g_autofree char *newest = _eva_door_page_describe_recent (page, 0);
    g_autofree char *oldest = _eva_door_page_describe_recent (page, 4);

    g_assert_cmpstr (newest, ==, "Linus Pauling: ADMIT");
    g_assert_cmpstr (oldest, ==, "Ada Lovelace: ADMIT");
  }

  /* Manual search by name, check-in, then undo it. */
  gtk_widget_set_visible (_eva_door_page_get_widget (page, "verdict"), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (_eva_door_page_get_widget (page, "search")), "grace");
  eva_desktop_test_wait (has_results, page, 30, "the search's results");
  g_assert_cmpuint (_eva_door_page_get_search_count (page), ==, 1);
  save_png (GTK_WIDGET (window), "door-search.png");
  _eva_door_page_check_in_result (page, 0);
  wait_verdict (page, "the manual check-in");
  assert_verdict (page, "admit", "ADMIT", "Grace Hopper", EVA_DOOR_SOUND_ADMIT);
  _eva_door_page_undo_recent (page, 0);
  eva_desktop_test_wait (recent_undone, page, 30, "the undo");

  /* The list keeps the last 20 scans. */
  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *junk = g_strdup_printf ("not a ticket %u", i);

      g_assert_true (eva_door_page_scan (page, junk, 0));
      wait_verdict (page, "a junk code");
    }
  g_assert_cmpuint (_eva_door_page_get_recent_count (page), ==, 20);
  {
    g_autofree char *oldest = _eva_door_page_describe_recent (page, 19);

    g_assert_cmpstr (oldest, ==, "Unknown code: INVALID");   /* the forged one; both of Ada's went */
  }

  close_window (window, client);
}

/* A USB scanner types the code and Enter; nothing has the focus. Slow
 * typing in the search is the search's. */
static void
xtest_type (Display    *dpy,
            const char *text,
            guint       gap_ms)
{
  KeyCode shift = XKeysymToKeycode (dpy, XK_Shift_L);

  for (const char *p = text; *p != '\0'; p++)
    {
      char name[2] = { *p, '\0' };
      KeySym sym = *p == '.' ? XK_period : *p == '\n' ? XK_Return : XStringToKeysym (name);
      KeyCode code = XKeysymToKeycode (dpy, sym);
      gboolean upper = g_ascii_isupper (*p);

      g_assert_cmpint (code, !=, 0);
      if (upper)
        XTestFakeKeyEvent (dpy, shift, True, 0);
      XTestFakeKeyEvent (dpy, code, True, 0);
      XTestFakeKeyEvent (dpy, code, False, 0);
      if (upper)
        XTestFakeKeyEvent (dpy, shift, False, 0);
      XFlush (dpy);
      if (gap_ms > 0)
        eva_desktop_test_settle (gap_ms);
    }
  XSync (dpy, False);
}

/* Gives @data the X input focus (no window manager does) until GTK says it
 * has it: a window not viewable yet refuses it. */
static gboolean
focus_window (gpointer data)
{
  GtkWindow *window = data;
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window)));

  if (gtk_window_is_active (window))
    return TRUE;
  gdk_x11_display_error_trap_push (display);
  XSetInputFocus (gdk_x11_display_get_xdisplay (display), xid, RevertToParent, CurrentTime);
  gdk_x11_display_error_trap_pop_ignored (display);
  return FALSE;
}

static void
test_keyboard_scanner (void)
{
  EvaApiClient *client = door_client ();
  EvaDoorPage *page;
  GtkWindow *window = door_window (client, &page);
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  Display *dpy = gdk_x11_display_get_xdisplay (display);
  GtkWidget *search = _eva_door_page_get_widget (page, "search");
  g_autofree char *typed = g_strconcat (door.codes[3], "\n", NULL);
  int event_base, error_base, major, minor;

  g_assert_true (XTestQueryExtension (dpy, &event_base, &error_base, &major, &minor));
  g_setenv ("EVERATO_CAMERA_PIPELINE", "videotestsrc pattern=black", TRUE);
  eva_door_page_start (page, door.event_id, "Night Market", door.list_id, "Main entrance");
  eva_desktop_test_wait (page_synced, page, 30, "the first sync");
  eva_desktop_test_wait (focus_window, window, 10, "the window to have the keyboard");
  gtk_window_set_focus (window, NULL);
  eva_desktop_test_settle (50);

  xtest_type (dpy, typed, 0);
  wait_verdict (page, "the USB scanner's code");
  assert_verdict (page, "admit", "ADMIT", "Edsger Dijkstra", EVA_DOOR_SOUND_ADMIT);

  /* A person typing into the search: the letters stay there. */
  gtk_widget_grab_focus (search);
  eva_desktop_test_settle (50);
  xtest_type (dpy, "turing", 80);
  eva_desktop_test_settle (100);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (search)), ==, "turing");

  close_window (window, client);
}

static gboolean
three_waiting (gpointer data)
{
  return eva_door_page_get_waiting (data) == 3;
}

static gboolean
uploaded (gpointer data)
{
  return eva_door_page_get_waiting (data) == 0 && _eva_door_page_get_conflict_text (data) != NULL;
}

typedef struct
{
  EvaDoorPage *page;
  const char  *text;
} TextWait;

static gboolean
counts_are (gpointer data)
{
  TextWait *w = data;

  return g_strcmp0 (_eva_door_page_get_counts_text (w->page), w->text) == 0;
}

/* The server dies mid-session and comes back. */
static void
test_offline (void)
{
  EvaApiClient *client = door_client ();
  EvaDoorPage *page;
  GtkWindow *window = door_window (client, &page);
  g_autofree char *dbname = g_strdup (door.server->dbname);
  g_autofree char *listen = NULL;
  g_autofree char *counts = NULL;
  g_autofree char *stats_path = NULL;
  g_autoptr(EvaTestResponse) stats = NULL;
  g_autoptr(EvaTestResponse) planted = NULL;
  g_autofree char *planted_body = NULL;
  const char *env[2] = { NULL, NULL };
  TextWait tw;

  g_setenv ("EVERATO_CAMERA_PIPELINE", "videotestsrc pattern=black", TRUE);
  eva_door_page_start (page, door.event_id, "Night Market", door.list_id, "Main entrance");
  eva_desktop_test_wait (page_synced, page, 30, "the first sync");

  /* Alan's ticket is reissued: its old code is revoked, and the door
   * learns it from the next increment. */
  {
    g_autofree char *id = eva_test_sql (door.server->pg, "SELECT id FROM tickets WHERE code = $1",
                                        door.codes[2], NULL);
    g_autofree char *path = g_strdup_printf ("/api/v1/admin/tickets/%s/reissue", id);
    g_autoptr(EvaTestResponse) r = eva_test_call (door.server, "POST", path, door.organizer, NULL);

    eva_test_assert_status (r, 200);
  }
  sync_and_wait (page);

  /* The server stops answering (stopped, its socket still open): after
   * 1.5 s the door decides alone. The server then wakes and may record
   * the scan too; the upload's nonce makes it one. */
  {
    gint64 asked = g_get_monotonic_time ();

    kill (door.server->pid, SIGSTOP);
    g_assert_true (eva_door_page_scan (page, door.codes[6], 0));
    wait_verdict (page, "a verdict without an answer");
    g_assert_cmpint (g_get_monotonic_time () - asked, >=, 1400 * 1000);
    g_assert_cmpint (g_get_monotonic_time () - asked, <, 10 * G_USEC_PER_SEC);
    assert_verdict (page, "admit", "ADMIT", "Dennis Ritchie", EVA_DOOR_SOUND_ADMIT);
    g_assert_true (eva_door_page_get_offline (page));
    kill (door.server->pid, SIGCONT);
  }

  /* The server goes away. */
  listen = g_strdup_printf ("EVERATO_LISTEN=127.0.0.1:%u", door.server->port);
  eva_test_server_kill (door.server);
  /* Its database stays for the next one. */
  g_clear_pointer (&door.server->dbname, g_free);
  g_clear_pointer (&door.server, eva_test_server_free);

  /* Barbara: admitted offline, queued. */
  g_assert_true (eva_door_page_scan (page, door.codes[4], 0));
  wait_verdict (page, "an offline verdict");
  g_assert_true (eva_door_page_get_offline (page));
  assert_verdict (page, "admit", "ADMIT", "Barbara Liskov", EVA_DOOR_SOUND_ADMIT);
  g_assert_cmpstr (_eva_door_page_get_verdict_text (page, "offline"), ==,
                   "Decided offline: the server will be told when it is back");
  save_png (GTK_WIDGET (window), "door-offline-verdict.png");

  /* Alan's old code: revoked, known from the sync. */
  g_assert_true (eva_door_page_scan (page, door.codes[2], 0));
  wait_verdict (page, "the revoked code");
  assert_verdict (page, "deny", "REVOKED", "Alan Turing", EVA_DOOR_SOUND_DENY);

  /* Ada came in online earlier: known too. */
  g_assert_true (eva_door_page_scan (page, door.codes[0], 0));
  wait_verdict (page, "Ada again");
  assert_verdict (page, "warn", "ALREADY IN", "Ada Lovelace", EVA_DOOR_SOUND_WARN);

  /* Ken: admitted offline; Door 2 will have let him in first. */
  g_assert_true (eva_door_page_scan (page, door.codes[5], 0));
  wait_verdict (page, "Ken");
  assert_verdict (page, "admit", "ADMIT", "Ken Thompson", EVA_DOOR_SOUND_ADMIT);
  eva_desktop_test_wait (three_waiting, page, 10, "three scans queued");
  g_assert_cmpstr (_eva_door_page_get_status_text (page), ==, "Offline — 3 scans waiting");
  gtk_widget_set_visible (_eva_door_page_get_widget (page, "verdict"), FALSE);
  save_png (GTK_WIDGET (window), "door-offline.png");

  /* Back on the same address; Door 2 admits Ken before this door
   * uploads (the main loop does not run meanwhile). */
  env[0] = listen;
  door.server = eva_test_server_start_on (dbname, env);
  planted_body = g_strdup_printf ("{\"code\":\"%s\",\"list_id\":\"%s\",\"nonce\":\"planted-%s\","
                                  "\"type\":\"entry\",\"device_id\":\"%s\"}", door.codes[5], door.list_id,
                                  door.door2_device, door.door2_device);
  planted = eva_test_call (door.server, "POST", "/api/v1/admin/checkin/redeem", door.door2, "%s", planted_body);
  eva_test_assert_status (planted, 200);
  g_assert_cmpstr (eva_test_json_string (planted->json, "status"), ==, "ok");

  /* No help from the test: the door tries again by itself. */
  eva_desktop_test_wait (uploaded, page, 30, "the upload and its conflict");
  g_assert_false (eva_door_page_get_offline (page));
  g_assert_nonnull (strstr (_eva_door_page_get_conflict_text (page), "Ken Thompson"));
  {
    g_autofree char *ken = _eva_door_page_describe_recent (page, 0);

    g_assert_cmpstr (ken, ==, "Ken Thompson: ADMIT (offline) · conflict: another door let this ticket in first");
  }
  /* Dennis counted once, whoever recorded him first. */
  g_assert_cmpint (sql_int ("SELECT count(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
                            " WHERE t.code = $1 AND c.status = 'ok'", door.codes[6]), ==, 1);
  /* Barbara counted once, Ken once (by Door 2). */
  g_assert_cmpint (sql_int ("SELECT count(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
                            " WHERE t.code = $1 AND c.status = 'ok'", door.codes[4]), ==, 1);
  g_assert_cmpint (sql_int ("SELECT count(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
                            " WHERE t.code = $1 AND c.status = 'ok'", door.codes[5]), ==, 1);

  /* The header's counts are the server's. */
  stats_path = g_strdup_printf ("/api/v1/admin/events/%s/checkin/stats", door.event_id);
  stats = eva_test_call (door.server, "GET", stats_path, door.door, NULL);
  eva_test_assert_status (stats, 200);
  counts = g_strdup_printf ("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " inside",
                            eva_test_json_int (stats->json, "lists.0.inside"),
                            eva_test_json_int (stats->json, "lists.0.expected"));
  tw.page = page;
  tw.text = counts;
  eva_desktop_test_wait (counts_are, &tw, 30, "the server's counts");
  g_assert_cmpint (eva_test_json_int (stats->json, "lists.0.inside"), ==, 6);
  save_png (GTK_WIDGET (window), "door-conflict.png");

  close_window (window, client);
}

static gboolean
widget_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
can_start (gpointer data)
{
  return gtk_widget_get_sensitive (data) && gtk_widget_get_mapped (data);
}

/* Door staff who sign in land in door mode: the event and list, then
 * the scanner. */
static void
test_sign_in_lands (void)
{
  g_autofree char *id = eva_test_create_staff (door.server, "door@example.test", "door_staff", "open sesame 42");
  EvaWindow *window = eva_window_new (NULL);
  EvaSignInPage *sign_in = EVA_SIGN_IN_PAGE (eva_window_get_page (window, "sign-in"));
  EvaDoorPage *page = EVA_DOOR_PAGE (eva_window_get_page (window, "door"));
  GtkWidget *start = _eva_door_page_get_widget (page, "start");

  g_setenv ("EVERATO_CAMERA_PIPELINE", "videotestsrc pattern=smpte", TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
  eva_desktop_test_wait (widget_mapped, sign_in, 10, "the sign-in page");
  eva_sign_in_page_set_server (sign_in, door.server->base_url);
  eva_sign_in_page_set_email (sign_in, "door@example.test");
  gtk_editable_set_text (GTK_EDITABLE (_eva_sign_in_page_get_row (sign_in, "password")), "open sesame 42");
  eva_sign_in_page_submit (sign_in);
  eva_desktop_test_wait (can_start, start, 30, "door mode's event and list");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (_eva_door_page_get_widget (page, "stack"))), ==,
                   "setup");
  save_png (GTK_WIDGET (window), "door-setup.png");
  g_signal_emit_by_name (start, "clicked");
  eva_desktop_test_wait (page_synced, page, 30, "the scanner's first sync");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (_eva_door_page_get_widget (page, "stack"))), ==,
                   "scanner");

  /* The kiosk lock: leaving needs the password. */
  _eva_door_page_lock (page, "open sesame 42");
  g_assert_true (eva_door_page_get_locked (page));
  g_assert_false (gtk_widget_get_visible (_eva_door_page_get_widget (page, "back")));
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_false (_eva_door_page_unlock (page, "guess"));
  g_assert_true (eva_door_page_get_locked (page));
  g_assert_true (_eva_door_page_unlock (page, "open sesame 42"));
  g_assert_false (eva_door_page_get_locked (page));
  g_assert_true (gtk_widget_get_visible (_eva_door_page_get_widget (page, "back")));

  gtk_window_destroy (GTK_WINDOW (window));
  eva_desktop_test_settle (100);
}

static gboolean
event_chosen (gpointer data)
{
  EvaDoorPage *page = data;

  return gtk_widget_get_sensitive (_eva_door_page_get_widget (page, "start"));
}

/* ------------------------------------------------------------------ */
/* Two cameras                                                        */
/* ------------------------------------------------------------------ */

/* A GStreamer device provider of the test's own lists two cameras, as
 * v4l2 or PipeWire list the ones plugged in: "Left Camera" shows black,
 * "Right Camera" white (videotestsrc), so a frame tells which is open. */

typedef struct { GstDevice parent; } TestCamera;
typedef struct { GstDeviceClass parent_class; } TestCameraClass;
typedef struct { GstDeviceProvider parent; } TestCameraProvider;
typedef struct { GstDeviceProviderClass parent_class; } TestCameraProviderClass;

static GType test_camera_get_type (void);
static GType test_camera_provider_get_type (void);
G_DEFINE_TYPE (TestCamera, test_camera, GST_TYPE_DEVICE)
G_DEFINE_TYPE (TestCameraProvider, test_camera_provider, GST_TYPE_DEVICE_PROVIDER)

static GstElement *
test_camera_create_element (GstDevice  *device,
                            const char *name)
{
  g_autofree char *display = gst_device_get_display_name (device);
  GstElement *source = gst_element_factory_make ("videotestsrc", name);

  gst_util_set_object_arg (G_OBJECT (source), "pattern", g_str_equal (display, "Left Camera") ? "black" : "white");
  g_object_set (source, "is-live", TRUE, NULL);
  return source;
}

static void
test_camera_class_init (TestCameraClass *klass)
{
  GST_DEVICE_CLASS (klass)->create_element = test_camera_create_element;
}

static void
test_camera_init (TestCamera *self)
{
}

static GList *
test_camera_provider_probe (GstDeviceProvider *provider)
{
  GList *devices = NULL;
  const char *names[] = { "Left Camera", "Right Camera" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GstCaps) caps = gst_caps_from_string ("video/x-raw");

      devices = g_list_append (devices, g_object_new (test_camera_get_type (), "display-name", names[i],
                                                      "device-class", "Video/Source", "caps", caps, NULL));
    }
  return devices;
}

static void
test_camera_provider_class_init (TestCameraProviderClass *klass)
{
  GST_DEVICE_PROVIDER_CLASS (klass)->probe = test_camera_provider_probe;
  gst_device_provider_class_set_static_metadata (GST_DEVICE_PROVIDER_CLASS (klass), "Test cameras", "Source/Video",
                                                 "Two cameras of the door tests", "Everato");
}

static void
test_camera_provider_init (TestCameraProvider *self)
{
}

typedef struct
{
  EvaDoorPage *page;
  guint8       value;
} FrameWait;

/* The picture shows a frame whose first pixel is about @value (0 black, 255 white). */
static gboolean
frame_is (gpointer data)
{
  FrameWait *w = data;
  GdkPaintable *paintable = gtk_picture_get_paintable (GTK_PICTURE (_eva_door_page_get_widget (w->page, "camera")));
  g_autofree guint8 *pixels = NULL;
  gsize stride;

  if (!GDK_IS_TEXTURE (paintable))
    return FALSE;
  stride = (gsize) gdk_texture_get_width (GDK_TEXTURE (paintable)) * 4;
  pixels = g_malloc (stride * (gsize) gdk_texture_get_height (GDK_TEXTURE (paintable)));
  gdk_texture_download (GDK_TEXTURE (paintable), pixels, stride);
  /* Video range: black may come as 16, white as 235. */
  for (guint i = 0; i < 3; i++)
    if (ABS ((int) pixels[i] - (int) w->value) > 24)
      return FALSE;
  return TRUE;
}

/* The camera picker: both cameras offered, the first one shown; the
 * other chosen is opened and remembered, and offered first next time. */
static void
test_camera_picker (void)
{
  EvaApiClient *client = door_client ();
  EvaDoorPage *page;
  GtkWindow *window;
  GtkDropDown *dropdown;
  GListModel *model;
  FrameWait wait;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *camera = NULL;

  g_assert_true (gst_device_provider_register (NULL, "everatotestcameras", GST_RANK_PRIMARY,
                                               test_camera_provider_get_type ()));
  g_unsetenv ("EVERATO_CAMERA_PIPELINE");
  window = door_window (client, &page);
  dropdown = GTK_DROP_DOWN (_eva_door_page_get_widget (page, "cameras"));
  settings = g_settings_new_with_path (SETTINGS_SCHEMA, SETTINGS_PATH);
  g_settings_set_string (settings, "door-camera", "");

  eva_door_page_start (page, door.event_id, "Night Market", door.list_id, "Main entrance");
  model = gtk_drop_down_get_model (dropdown);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 0), ==, "Left Camera");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 1), ==, "Right Camera");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dropdown)));
  g_assert_cmpuint (gtk_drop_down_get_selected (dropdown), ==, 0);
  wait = (FrameWait) { page, 0 };
  eva_desktop_test_wait (frame_is, &wait, 10, "the left camera's frame");

  /* The other one, as a person picks it. */
  gtk_drop_down_set_selected (dropdown, 1);
  wait.value = 255;
  eva_desktop_test_wait (frame_is, &wait, 10, "the right camera's frame");
  camera = g_settings_get_string (settings, "door-camera");
  g_assert_cmpstr (camera, ==, "Right Camera");
  save_png (GTK_WIDGET (window), "door-cameras.png");

  /* Next time, the camera used last comes first. */
  eva_door_page_stop (page);
  eva_door_page_start (page, door.event_id, "Night Market", door.list_id, "Main entrance");
  g_assert_cmpuint (gtk_drop_down_get_selected (dropdown), ==, 1);
  eva_desktop_test_wait (frame_is, &wait, 10, "the remembered camera's frame");
  eva_door_page_stop (page);
  close_window (window, client);
}

/* Organizers open door mode from their event: it is chosen already; they
 * leave back to the events. */
static void
test_organizer_opens (void)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/events/%s", door.event_id);
  g_autoptr(EvaTestResponse) got = eva_test_call (door.server, "GET", path, door.organizer, NULL);
  g_autoptr(EvaRecord) event = NULL;
  EvaWindow *window = eva_window_new (NULL);
  EvaDoorPage *page = EVA_DOOR_PAGE (eva_window_get_page (window, "door"));
  AdwComboRow *event_row = ADW_COMBO_ROW (_eva_door_page_get_widget (page, "event"));
  GtkStringObject *chosen;

  eva_test_assert_status (got, 200);
  event = eva_record_new (json_node_get_object (got->json));
  eva_api_client_set_base_url (eva_window_get_client (window), door.server->base_url, NULL);
  eva_api_client_set_access_token (eva_window_get_client (window), door.organizer);
  gtk_window_present (GTK_WINDOW (window));
  /* The window starts by looking for a kept sign-in: none. */
  eva_desktop_test_wait (widget_mapped, eva_window_get_page (window, "sign-in"), 10, "the sign-in page");
  eva_window_show_door (window, event);
  eva_desktop_test_wait (event_chosen, page, 30, "the event and its lists");
  chosen = adw_combo_row_get_selected_item (event_row);
  g_assert_cmpstr (gtk_string_object_get_string (chosen), ==, "Night Market");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));

  gtk_window_destroy (GTK_WINDOW (window));
  eva_desktop_test_settle (100);
}

/* A scan the server refuses outright (here: a list that does not exist)
 * is a red verdict in the server's words, not silence. */
static void
test_refused (void)
{
  EvaApiClient *client = door_client ();
  EvaDoorPage *page;
  GtkWindow *window = door_window (client, &page);

  g_setenv ("EVERATO_CAMERA_PIPELINE", "videotestsrc pattern=black", TRUE);
  eva_door_page_start (page, door.event_id, "Night Market", "00000000-0000-4000-8000-000000000000", "Gone");
  g_assert_true (eva_door_page_scan (page, door.codes[0], 0));
  wait_verdict (page, "the refusal");
  assert_verdict (page, "deny", "ERROR", NULL, EVA_DOOR_SOUND_DENY);
  g_assert_cmpstr (_eva_door_page_get_verdict_text (page, "reason"), !=, "");
  g_assert_false (eva_door_page_get_offline (page));
  close_window (window, client);
}

/* The local store: not world-readable; an offline decision queues. */
static void
test_store (void)
{
  g_autofree char *dir = g_build_filename (door.frames, "store", NULL);
  g_autofree char *path = g_build_filename (dir, "door.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDoorStore) store = eva_door_store_open (path, &error);
  g_autoptr(JsonObject) verdict = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* Without a bundle nothing verifies. */
  verdict = eva_door_store_decide (store, door.codes[0], door.list_id, "entry", "nonce-0001", g_get_real_time (),
                                   FALSE);
  g_assert_cmpstr (json_object_get_string_member (verdict, "reason"), ==, "invalid");
  g_assert_cmpuint (eva_door_store_count_waiting (store), ==, 0);
  g_clear_object (&store);
}

/* A code signed here for the synthetic bundle below. */
static char *
sign_code (const guint8 *secret,
           const char   *key_id,
           const char   *ticket,
           const char   *event,
           const char   *type)
{
  EvaTicketCode code = { .version = EVA_TICKET_CODE_VERSION, .issued_at = 1900000000 };

  g_strlcpy (code.key_id, key_id, sizeof code.key_id);
  g_assert_true (eva_uuid_parse (ticket, code.ticket_id));
  g_assert_true (eva_uuid_parse (event, code.event_id));
  g_assert_true (eva_uuid_parse (type, code.ticket_type_id));
  return eva_ticket_code_sign (&code, secret);
}

static const char *
decide (EvaDoorStore *store,
        const char   *code,
        const char   *list,
        const char   *kind,
        gint64        at,
        gboolean      force,
        JsonObject  **out)
{
  static guint n;
  g_autofree char *nonce = g_strdup_printf ("rules-nonce-%u", ++n);
  JsonObject *verdict = eva_door_store_decide (store, code, list, kind, nonce, at, force);
  const char *reason = json_object_get_string_member_with_default (verdict, "reason", NULL);
  static char last[64];

  g_strlcpy (last, reason != NULL ? reason : "ok", sizeof last);
  if (out != NULL)
    *out = verdict;
  else
    json_object_unref (verdict);
  return last;
}

/* The offline decision, rule by rule, on a bundle made here: the
 * server's order of reasons, re-entry, forced payment, a ticket newer
 * than the sync, the upload's answers and the counts. */
static void
test_store_rules (void)
{
  g_autofree char *dir = g_dir_make_tmp ("everato-rules-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "door.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(EvaDoorStore) store = eva_door_store_open (path, &error);
  guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  char key_id[EVA_TICKET_KEY_ID_LEN + 1];
  g_autofree char *pk64 = NULL;
  g_autofree char *bundle = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *ev = "11111111-1111-4111-8111-111111111111";
  const char *other_ev = "22222222-2222-4222-8222-222222222222";
  const char *std_type = "33333333-3333-4333-8333-333333333333";
  const char *vip_type = "44444444-4444-4444-8444-444444444444";
  const char *main_list = "55555555-5555-4555-8555-555555555555";
  const char *vip_list = "66666666-6666-4666-8666-666666666666";
  const char *t[] = { "a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002",
                      "a0000000-0000-4000-8000-000000000003", "a0000000-0000-4000-8000-000000000004",
                      "a0000000-0000-4000-8000-000000000005", "a0000000-0000-4000-8000-000000000006",
                      "a0000000-0000-4000-8000-000000000007" };
  g_autofree char *valid = NULL, *vip = NULL, *reissued = NULL, *cancelled = NULL, *unpaid = NULL;
  g_autofree char *wrong = NULL, *newer = NULL, *other_key = NULL;
  gint64 now = 1900000000LL * G_USEC_PER_SEC;
  g_autoptr(JsonObject) already = NULL;
  g_autoptr(JsonArray) scans = NULL;
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  guint inside, expected;

  g_assert_no_error (error);
  crypto_sign_keypair (pk, sk);
  eva_ticket_key_id_from_public_key (pk, key_id);
  pk64 = g_base64_encode (pk, sizeof pk);
  valid = sign_code (sk, key_id, t[0], ev, std_type);
  vip = sign_code (sk, key_id, t[1], ev, vip_type);
  reissued = sign_code (sk, key_id, t[2], ev, std_type);
  cancelled = sign_code (sk, key_id, t[3], ev, std_type);
  unpaid = sign_code (sk, key_id, t[4], ev, std_type);
  wrong = sign_code (sk, key_id, t[5], other_ev, std_type);
  newer = sign_code (sk, key_id, t[6], ev, std_type);
  {
    guint8 pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];

    crypto_sign_keypair (pk2, sk2);
    other_key = sign_code (sk2, key_id, t[0], ev, std_type);
  }
#define TICKET(id, type, status, unpaid_) \
  "{\"id\":\"" id "\",\"ticket_type_id\":\"" type "\",\"ticket_type\":\"Std\",\"holder_name\":\"H\"," \
  "\"booking_reference\":\"ABCD1234\",\"unpaid\":" unpaid_ ",\"status\":\"" status "\"}"
  bundle = g_strdup_printf (
    "{\"event\":{\"id\":\"%s\"},\"full\":true,\"cursor\":\"1\","
    "\"keys\":[{\"id\":\"%s\",\"public_key\":\"%s\"}],"
    "\"lists\":[{\"id\":\"%s\",\"name\":\"Main\",\"all_types\":true,\"ticket_type_ids\":[],"
    "\"allow_unpaid\":false,\"allow_reentry\":false,\"opens_at\":null,\"closes_at\":null},"
    "{\"id\":\"%s\",\"name\":\"VIP\",\"all_types\":false,\"ticket_type_ids\":[\"%s\"],"
    "\"allow_unpaid\":false,\"allow_reentry\":true,\"opens_at\":\"2030-03-17T17:00:00Z\",\"closes_at\":null}],"
    "\"tickets\":[%s,%s,%s,%s,%s,%s],\"checkins\":[]}",
    ev, key_id, pk64, main_list, vip_list, vip_type,
    TICKET ("a0000000-0000-4000-8000-000000000001", "33333333-3333-4333-8333-333333333333", "valid", "false"),
    TICKET ("a0000000-0000-4000-8000-000000000002", "44444444-4444-4444-8444-444444444444", "valid", "false"),
    TICKET ("a0000000-0000-4000-8000-000000000003", "33333333-3333-4333-8333-333333333333", "reissued", "false"),
    TICKET ("a0000000-0000-4000-8000-000000000004", "33333333-3333-4333-8333-333333333333", "cancelled", "false"),
    TICKET ("a0000000-0000-4000-8000-000000000005", "33333333-3333-4333-8333-333333333333", "valid", "true"),
    TICKET ("a0000000-0000-4000-8000-000000000006", "33333333-3333-4333-8333-333333333333", "valid", "false"));
#undef TICKET
  bytes = g_bytes_new (bundle, strlen (bundle));
  g_assert_true (eva_door_store_apply_bundle (store, bytes, &error));
  g_assert_no_error (error);
  g_assert_true (eva_door_store_has_bundle (store));

  g_assert_cmpstr (decide (store, "EV1.garbage", main_list, "entry", now, FALSE, NULL), ==, "invalid");
  g_assert_cmpstr (decide (store, other_key, main_list, "entry", now, FALSE, NULL), ==, "invalid");
  g_assert_cmpstr (decide (store, wrong, main_list, "entry", now, FALSE, NULL), ==, "wrong_event");
  g_assert_cmpstr (decide (store, reissued, main_list, "entry", now, FALSE, NULL), ==, "revoked");
  g_assert_cmpstr (decide (store, cancelled, main_list, "entry", now, FALSE, NULL), ==, "cancelled");
  g_assert_cmpstr (decide (store, valid, vip_list, "entry", now, FALSE, NULL), ==, "not_on_list");
  /* The VIP list opens at 17:00 on 17 March 2030 (1900000000 is 17:46). */
  g_assert_cmpstr (decide (store, vip, vip_list, "entry", now - 3600LL * G_USEC_PER_SEC, FALSE, NULL), ==,
                   "outside_time_window");
  g_assert_cmpstr (decide (store, unpaid, main_list, "entry", now, FALSE, NULL), ==, "unpaid");
  g_assert_cmpstr (decide (store, unpaid, main_list, "entry", now, TRUE, NULL), ==, "ok");
  g_assert_cmpstr (decide (store, valid, main_list, "exit", now, FALSE, NULL), ==, "not_checked_in");
  g_assert_cmpstr (decide (store, valid, main_list, "entry", now, FALSE, NULL), ==, "ok");
  g_assert_cmpstr (decide (store, valid, main_list, "entry", now + 1, FALSE, &already), ==, "already_checked_in");
  g_assert_nonnull (json_object_get_object_member (already, "first_checkin"));
  g_assert_true (json_object_get_boolean_member (already, "offline"));
  /* Re-entry on the VIP list: in, out, in again. */
  g_assert_cmpstr (decide (store, vip, vip_list, "entry", now, FALSE, NULL), ==, "ok");
  g_assert_cmpstr (decide (store, vip, vip_list, "entry", now + 1, FALSE, NULL), ==, "already_checked_in");
  g_assert_cmpstr (decide (store, vip, vip_list, "exit", now + 2, FALSE, NULL), ==, "ok");
  g_assert_cmpstr (decide (store, vip, vip_list, "entry", now + 3, FALSE, NULL), ==, "ok");
  /* Sold after the last sync: the signature is enough. */
  g_assert_cmpstr (decide (store, newer, main_list, "entry", now, FALSE, NULL), ==, "ok");

  /* Main: the paid-at-the-door, the valid and the newer one are inside. */
  eva_door_store_counts (store, main_list, &inside, &expected);
  g_assert_cmpuint (inside, ==, 3);
  g_assert_cmpuint (expected, ==, 4);
  g_assert_cmpuint (eva_door_store_count_waiting (store), ==, 6);
  scans = eva_door_store_waiting (store, "device-1", 500);
  g_assert_cmpuint (json_array_get_length (scans), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (scans, 0), "device_id"), ==,
                   "device-1");

  /* The server takes all but one, which another door had let in. */
  results = json_array_new ();
  for (guint i = 0; i < json_array_get_length (scans); i++)
    {
      JsonObject *scan = json_array_get_object_element (scans, i);
      JsonObject *r = json_object_new ();
      gboolean refuse = g_strcmp0 (json_object_get_string_member (scan, "code"), newer) == 0;
      g_autofree char *id = g_strdup_printf ("c0000000-0000-4000-8000-00000000000%u", i);

      json_object_set_string_member (r, "nonce", json_object_get_string_member (scan, "nonce"));
      json_object_set_string_member (r, "status", refuse ? "rejected" : "ok");
      if (refuse)
        {
          json_object_set_string_member (r, "reason", "already_checked_in");
          json_object_set_boolean_member (r, "conflict", TRUE);
        }
      else
        json_object_set_string_member (r, "checkin_id", id);
      json_array_add_object_element (results, r);
    }
  refused = eva_door_store_take_results (store, results);
  g_assert_cmpuint (refused->len, ==, 1);
  g_assert_true (json_object_get_boolean_member (g_ptr_array_index (refused, 0), "conflict"));
  g_assert_cmpuint (eva_door_store_count_waiting (store), ==, 0);
  eva_door_store_counts (store, main_list, &inside, &expected);
  g_assert_cmpuint (inside, ==, 2);

  g_clear_object (&store);
  g_assert_cmpint (g_remove (path), ==, 0);
}

/* One sound each, and they differ. */
static void
test_sounds (void)
{
  g_autoptr(GBytes) admit = eva_door_sound_render (EVA_DOOR_SOUND_ADMIT, NULL);
  g_autoptr(GBytes) warn = eva_door_sound_render (EVA_DOOR_SOUND_WARN, NULL);
  g_autoptr(GBytes) deny = eva_door_sound_render (EVA_DOOR_SOUND_DENY, NULL);

  g_assert_cmpstr (eva_door_sound_get_name (EVA_DOOR_SOUND_ADMIT), ==, "admit");
  g_assert_cmpstr (eva_door_sound_get_name (EVA_DOOR_SOUND_WARN), ==, "warn");
  g_assert_cmpstr (eva_door_sound_get_name (EVA_DOOR_SOUND_DENY), ==, "deny");
  g_assert_cmpuint (g_bytes_get_size (admit), >, 0);
  g_assert_false (g_bytes_equal (admit, warn));
  g_assert_false (g_bytes_equal (warn, deny));
  g_assert_false (g_bytes_equal (admit, deny));
}

static gboolean
camera_message_shown (gpointer data)
{
  return eva_door_scanner_get_message (data) != NULL;
}

/* A camera that cannot be opened says so in words. */
static void
test_camera_messages (void)
{
  g_autoptr(EvaDoorScanner) scanner = eva_door_scanner_new ();

  g_setenv ("EVERATO_CAMERA_PIPELINE", "v4l2src device=/dev/no-such-camera", TRUE);
  eva_door_scanner_start (scanner, NULL);
  eva_desktop_test_wait (camera_message_shown, scanner, 10, "the camera's message");
  g_assert_cmpstr (eva_door_scanner_get_message (scanner), ==,
                   "The camera cannot be opened. Check that it is connected.");
  g_assert_false (eva_door_scanner_get_running (scanner));
  g_unsetenv ("EVERATO_CAMERA_PIPELINE");
  eva_door_scanner_stop (scanner);

  /* No camera at all (as on the test machines; a machine with one would
   * open it, so this part only runs without). */
  {
    g_auto(GStrv) cameras = eva_door_scanner_list_cameras ();

    if (cameras[0] == NULL)
      {
        eva_door_scanner_start (scanner, NULL);
        g_assert_cmpstr (eva_door_scanner_get_message (scanner), ==,
                         "No camera found. Connect a camera, or scan with a USB scanner or search by name.");
        g_assert_false (eva_door_scanner_get_running (scanner));
      }
    else
      g_test_message ("a camera is connected: the no-camera message is not tested");
  }
  g_assert_finalize_object (g_steal_pointer (&scanner));
}

int
main (int   argc,
      char *argv[])
{
  int result;

  g_setenv ("EVERATO_DOOR_AUDIO_SINK", "fakesink sync=true", TRUE);
  /* The door's store goes to a folder of this run. */
  {
    g_autofree char *data = g_dir_make_tmp ("everato-door-data-XXXXXX", NULL);

    g_setenv ("XDG_DATA_HOME", data, TRUE);
  }
  eva_desktop_test_init (&argc, &argv);
  eva_common_init ();
  /* The app's style sheet, as EvaApplication loads it. */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, RESOURCE_PATH "/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  g_test_add_func ("/door/sounds", test_sounds);
  g_test_add_func ("/door/camera-messages", test_camera_messages);
  g_test_add_func ("/door/store-rules", test_store_rules);
  door_setup ();
  g_test_add_func ("/door/store", test_store);
  /* Before a signed-in EvaWindow has come and gone: the X focus is the
   * test's to give. */
  g_test_add_func ("/door/keyboard-scanner", test_keyboard_scanner);
  g_test_add_func ("/door/sign-in-lands", test_sign_in_lands);
  g_test_add_func ("/door/organizer-opens", test_organizer_opens);
  g_test_add_func ("/door/camera-picker", test_camera_picker);
  g_test_add_func ("/door/refused", test_refused);
  g_test_add_func ("/door/camera-verdicts", test_camera_verdicts);
  g_test_add_func ("/door/offline", test_offline);
  result = g_test_run ();
  if (door.server != NULL)
    eva_test_server_free (door.server);
  return result;
}
