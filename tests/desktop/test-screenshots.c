/* test-screenshots.c: the real app against a seeded server, photographed
 *
 * Starts everato-server on a throwaway database, fills it with a few
 * events, runs EvaApplication, signs in through the sign-in page and saves
 * PNGs of the sign-in page, the events list, the event editor, the ticket
 * types, the check-in lists and a list's dialog, the coupons, the bookings and one booking in detail, the dialogs
 * and the narrow (360 px) layout into $EVERATO_SCREENSHOT_DIR. Payments:
 * the editor's payment settings, bookings paid at the door and by card
 * with their payments and refunds (the card's through the Stripe
 * stand-in, one still pending there), the refund and mark-paid dialogs,
 * the Awaiting Payment filter, and cancelling the first event with its
 * offer to refund all paid bookings and that report. Tickets: a booking's
 * tickets (named, unnamed and one reissued), the reissue and holder
 * name dialogs and the PDF preview (build/tests/desktop/screenshots).
 * With EVERATO_SCREENSHOT_LANGUAGE=de, the same in German.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <libintl.h>
#include <locale.h>

#include "app/eva-application.h"
#include "app/eva-window.h"
#include "bookings/eva-booking-dialog.h"
#include "bookings/eva-booking-tickets.h"
#include "bookings/eva-bookings-view.h"
#include "bookings/eva-mark-paid-dialog.h"
#include "bookings/eva-refund-all-dialog.h"
#include "bookings/eva-refund-dialog.h"
#include "bookings/eva-ticket-preview.h"
#include "coupons/eva-coupon-dialog-private.h"
#include "coupons/eva-coupons-view.h"
#include "events/eva-checkin-lists-view.h"
#include "events/eva-event-editor.h"
#include "events/eva-events-view.h"
#include "events/eva-ticket-type-dialog.h"
#include "events/eva-ticket-types-view.h"
#include "sign-in/eva-sign-in-page-private.h"
#include "staff/eva-staff-window.h"
#include "widgets/eva-utils.h"

#include "eva-desktop-seed.h"
#include "eva-desktop-test.h"
#include "eva-test.h"

#define EMAIL    "ada@example.test"
#define PASSWORD "correct horse battery"

typedef struct
{
  const char *title;
  const char *venue;
  const char *starts;
  const char *ends;
  const char *status;
  const char *tickets[3];
} SeedEvent;

static const SeedEvent seed[] = {
  { "Spring Concert", "Town Hall", "2030-04-12T19:30:00+02:00", "2030-04-12T22:30:00+02:00",
    "published", { "Standard:2500:400", "Balcony:3900:80", NULL } },
  { "Jazz Night at the Harbour", "Harbour Club", "2030-05-03T20:00:00+02:00", "2030-05-04T01:00:00+02:00",
    "published", { "Entry:1800:150", NULL } },
  { "GNOME Developer Day", "Congress Centre", "2030-05-21T09:00:00+02:00", "2030-05-21T18:00:00+02:00",
    "draft", { "Early Bird:4900:100", "Regular:6900:300", "Student:1500:50" } },
  { "Photography Workshop", "Studio 4", "2030-06-08T10:00:00+02:00", "2030-06-08T16:00:00+02:00",
    "draft", { NULL } },
  { "Summer Food Festival", "Riverside Park", "2030-07-19T12:00:00+02:00", "2030-07-21T22:00:00+02:00",
    "published", { "Day Pass:1200:2000", "Weekend Pass:2900:800", NULL } },
  { "Winter Gala", "Grand Hotel", "2030-01-18T19:00:00+01:00", "2030-01-19T01:00:00+01:00",
    "cancelled", { "Dinner:12000:120", NULL } },
  { "Book Fair", "Old Library", "2030-09-05T10:00:00+02:00", "2030-09-07T18:00:00+02:00",
    "published", { "Visitor:800:1500", NULL } },
};

/* Bookings of the first event: who, how many of which ticket type, the
 * coupon, and what became of it. */
typedef struct
{
  const char *name;
  const char *email;
  guint       ticket;     /* index into the event's tickets */
  int         quantity;
  const char *coupon;
  const char *status;     /* held, paid (confirmed), unpaid or awaiting
                           * (as checked out), cancelled or expired */
  const char *method;     /* how it is paid (docs/PAYMENTS.md), or NULL */
  gint64      refund;     /* refunded after paying, in cents */
  gint64      pending;    /* then asked back and still pending (card) */
} SeedBooking;

static const SeedBooking seed_bookings[] = {
  { "Radia Perlman", "radia@example.org", 0, 1, NULL, "cancelled" },
  { "Frances Allen", "frances.allen@example.org", 0, 4, NULL, "paid", "card" },
  { "Barbara Liskov", "liskov@example.org", 1, 1, NULL, "expired" },
  { "Hedy Lamarr", "hedy@example.org", 1, 2, "FRIENDS", "paid", "card" },
  { "Dorothy Vaughan", "dorothy.vaughan@example.org", 0, 3, NULL, "held" },
  { "Katherine Johnson", "katherine@example.org", 1, 1, NULL, "paid", "card" },
  { "Annie Easley", "annie.easley@example.org", 0, 2, NULL, "held" },
  /* Paid at the door, then a part given back */
  { "Joan Clarke", "joan.clarke@example.org", 0, 3, NULL, "paid", "at_door", 2500 },
  { "Mary Jackson", "mary.jackson@example.org", 1, 2, NULL, "unpaid", "at_door" },
  { "Grace Hopper", "grace.hopper@example.org", 0, 2, NULL, "awaiting", "bank_transfer" },
  /* Paid by card; a ticket given back, and a charge twice on its way back */
  { "Sophie Wilson", "sophie.wilson@example.org", 0, 3, NULL, "paid", "card", 2500, 500 },
  { "Margaret Hamilton", "margaret@example.org", 0, 2, "EARLYBIRD", "paid", "card" },
};

static char *screenshot_dir;

/* ------------------------------------------------------------------ */
/* Seeding                                                            */
/* ------------------------------------------------------------------ */

/* A refund of @amount asked through the API; its status. */
static char *
api_refund (EvaTestServer *server,
            const char    *token,
            const char    *id,
            gint64         amount,
            const char    *reason,
            const char    *note)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/refund", id);
  g_autofree char *note_json = note != NULL ? g_strdup_printf (",\"note\":\"%s\"", note) : g_strdup ("");
  g_autoptr(EvaTestResponse) refunded =
    eva_test_call (server, "POST", path, token,
                   "{\"amount\":%" G_GINT64_FORMAT ",\"reason\":\"%s\"%s}", amount, reason, note_json);

  eva_test_assert_status (refunded, 200);
  return g_strdup (eva_test_json_string (refunded->json, "refund.status"));
}

static void
seed_bookings_of (EvaTestServer *server,
                  EvaTestStripe *stripe,
                  const char    *token,
                  const char    *event_id,
                  GPtrArray     *ticket_ids)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  for (guint i = 0; i < G_N_ELEMENTS (seed_bookings); i++)
    {
      const SeedBooking *b = &seed_bookings[i];
      gboolean card = g_strcmp0 (b->method, "card") == 0;
      g_autoptr(JsonNode) booking = NULL;
      const char *id;

      if (card)
        booking = eva_desktop_seed_card_booking (server, stripe, event_id,
                                                 g_ptr_array_index (ticket_ids, b->ticket),
                                                 b->quantity, b->coupon, b->name, b->email);
      else
        booking =
          eva_desktop_seed_checkout_booking (server, event_id, g_ptr_array_index (ticket_ids, b->ticket),
                                             b->quantity, b->coupon, b->name, b->email, b->method);
      id = json_object_get_string_member (json_node_get_object (booking), "id");

      if (g_str_equal (b->status, "paid"))
        {
          /* Money taken at the door is marked as paid (the server takes
           * no day after today); a card is paid already. */
          if (!card)
            {
              g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/mark-paid", id);
              g_autoptr(EvaTestResponse) marked =
                eva_test_call (server, "POST", path, token,
                               "{\"amount\":%" G_GINT64_FORMAT ",\"paid_on\":\"%s\","
                               "\"reference\":\"DOOR-0042\"}",
                               json_object_get_int_member (json_node_get_object (booking), "total"), today);

              eva_test_assert_status (marked, 200);
            }
          if (b->refund > 0)
            {
              g_autofree char *status = api_refund (server, token, id, b->refund, "requested_by_customer",
                                                    "One ticket not used");

              g_assert_cmpstr (status, ==, card ? "succeeded" : "recorded");
            }
          if (b->pending > 0)
            {
              g_autofree char *status = NULL;

              g_assert_true (card);
              eva_desktop_seed_refund_status (stripe, "pending");
              status = api_refund (server, token, id, b->pending, "duplicate", NULL);
              g_assert_cmpstr (status, ==, "pending");
              eva_desktop_seed_refund_status (stripe, "succeeded");
            }
        }
      else if (g_str_equal (b->status, "cancelled"))
        {
          g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/cancel", id);
          g_autoptr(EvaTestResponse) cancelled = eva_test_call (server, "POST", path, token, NULL);

          eva_test_assert_status (cancelled, 200);
        }
      else if (g_str_equal (b->status, "expired"))
        g_free (eva_test_sql (server->pg,
                              "UPDATE bookings SET expires_at = now() - interval '1 minute'"
                              " WHERE id = $1::uuid",
                              id, NULL));
    }
}

static void
seed_server (EvaTestServer *server,
             EvaTestStripe *stripe)
{
  g_autofree char *id = eva_test_create_staff (server, EMAIL, "super_admin", PASSWORD);
  g_autofree char *token = eva_test_login (server, EMAIL, PASSWORD);
  g_autoptr(GPtrArray) first_tickets = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *first_event = NULL;

  g_autofree char *org = eva_test_create_staff (server, "grace@example.test", "organizer", PASSWORD);
  g_autofree char *door = eva_test_create_staff (server, "alan@example.test", "door_staff", PASSWORD);

  eva_test_sql (server->pg, "UPDATE staff SET name = 'Ada Lovelace' WHERE email = $1", EMAIL, NULL);
  eva_test_sql (server->pg, "UPDATE staff SET name = 'Grace Hopper' WHERE id = $1", org, NULL);
  eva_test_sql (server->pg, "UPDATE staff SET name = 'Alan Turing', disabled_at = now() WHERE id = $1",
                door, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (seed); i++)
    {
      g_autoptr(EvaTestResponse) created =
        eva_test_call (server, "POST", "/api/v1/admin/events", token,
                       "{\"title\":\"%s\",\"venue\":\"%s\",\"address\":\"Hauptstraße 1, Berlin\","
                       "\"description\":\"An evening to remember.\",\"timezone\":\"Europe/Berlin\","
                       "\"starts_at\":\"%s\",\"ends_at\":\"%s\",\"currency\":\"EUR\"}",
                       seed[i].title, seed[i].venue, seed[i].starts, seed[i].ends);
      const char *event_id;
      g_autofree char *path = NULL;

      eva_test_assert_status (created, 201);
      event_id = eva_test_json_string (created->json, "id");
      for (guint t = 0; t < G_N_ELEMENTS (seed[i].tickets) && seed[i].tickets[t] != NULL; t++)
        {
          g_auto(GStrv) parts = g_strsplit (seed[i].tickets[t], ":", 3);
          g_autofree char *tt_path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", event_id);
          g_autoptr(EvaTestResponse) tt =
            eva_test_call (server, "POST", tt_path, token,
                           "{\"name\":\"%s\",\"price\":%s,\"capacity\":%s}", parts[0], parts[1], parts[2]);

          eva_test_assert_status (tt, 201);
          if (i == 0)
            g_ptr_array_add (first_tickets, g_strdup (eva_test_json_string (tt->json, "id")));
          /* Some tickets sold and held, so the list shows it. */
          eva_test_sql (server->pg,
                        "UPDATE ticket_types SET sold = capacity / 3, held = capacity / 20 WHERE id = $1",
                        eva_test_json_string (tt->json, "id"), NULL);
        }
      if (i == 0)
        {
          /* Check-in lists besides the default: the balcony's own door
           * (re-entry, an evening window) and the box office (unpaid
           * bookings pay there) */
          g_autofree char *lists = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", event_id);
          g_autoptr(EvaTestResponse) balcony =
            eva_test_call (server, "POST", lists, token,
                           "{\"name\":\"Balcony door\",\"all_types\":false,\"ticket_type_ids\":[\"%s\"],"
                           "\"allow_reentry\":true,\"opens_at\":\"2030-04-12T18:30:00+02:00\","
                           "\"closes_at\":\"2030-04-12T23:00:00+02:00\"}",
                           (const char *) g_ptr_array_index (first_tickets, 1));
          g_autoptr(EvaTestResponse) box_office =
            eva_test_call (server, "POST", lists, token,
                           "{\"name\":\"Box office\",\"all_types\":true,\"allow_unpaid\":true,"
                           "\"opens_at\":\"2030-04-12T17:00:00+02:00\"}");

          eva_test_assert_status (balcony, 201);
          eva_test_assert_status (box_office, 201);
        }
      if (i == 0)
        {
          g_autofree char *event_path = g_strdup_printf ("/api/v1/admin/events/%s", event_id);
          g_autoptr(EvaTestResponse) payment =
            eva_test_call (server, "PATCH", event_path, token,
                           "{\"payment_methods\":[\"card\",\"bank_transfer\",\"at_door\"],"
                           "\"transfer_details\":\"Everato Events e.V.\\nIBAN DE89 3704 0044 0532 0130 00\\n"
                           "BIC COBADEFFXXX\",\"transfer_days\":5}");
          g_autofree char *coupons = g_strdup_printf ("/api/v1/admin/events/%s/coupons", event_id);
          g_autoptr(EvaTestResponse) c1 =
            eva_test_call (server, "POST", coupons, token,
                           "{\"code\":\"EARLYBIRD\",\"kind\":\"percent\",\"percent\":15,\"max_uses\":100,"
                           "\"max_uses_per_attendee\":1,\"min_order\":4000,"
                           "\"valid_until\":\"2030-04-01T00:00:00+02:00\","
                           "\"ticket_type_ids\":[\"%s\"]}",
                           (const char *) g_ptr_array_index (first_tickets, 0));
          g_autoptr(EvaTestResponse) c2 =
            eva_test_call (server, "POST", coupons, token,
                           "{\"code\":\"FRIENDS\",\"kind\":\"fixed\",\"amount\":500}");

          eva_test_assert_status (payment, 200);
          eva_test_assert_status (c1, 201);
          eva_test_assert_status (c2, 201);
          first_event = g_strdup (event_id);
        }
      if (g_str_equal (seed[i].status, "draft"))
        continue;
      path = g_strdup_printf ("/api/v1/admin/events/%s/publish", event_id);
      {
        g_autoptr(EvaTestResponse) published = eva_test_call (server, "POST", path, token, NULL);

        eva_test_assert_status (published, 200);
      }
      if (g_str_equal (seed[i].status, "cancelled"))
        {
          g_autofree char *cancel = g_strdup_printf ("/api/v1/admin/events/%s/cancel", event_id);
          g_autoptr(EvaTestResponse) cancelled = eva_test_call (server, "POST", cancel, token, NULL);

          eva_test_assert_status (cancelled, 200);
        }
    }

  seed_bookings_of (server, stripe, token, first_event, first_tickets);
}

/* ------------------------------------------------------------------ */
/* Pictures                                                           */
/* ------------------------------------------------------------------ */

static gboolean
is_drawn (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (screenshot_dir, name, NULL);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  eva_desktop_test_wait (is_drawn, widget, 10, "the window to be drawn");
  eva_desktop_test_settle (400);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s (%dx%d)", path, width, height);
}

/* The spin button in a row. */
static GtkWidget *
find_spin_button (GtkWidget *widget)
{
  if (GTK_IS_SPIN_BUTTON (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_spin_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
stack_shows (gpointer data)
{
  GtkWidget *widget = data;

  return gtk_widget_get_mapped (widget);
}

static gboolean
list_filled (gpointer data)
{
  EvaEventList *list = eva_events_view_get_list (data);

  return g_list_model_get_n_items (G_LIST_MODEL (list)) >= G_N_ELEMENTS (seed) &&
         !eva_event_list_get_loading (list);
}

static gboolean
tickets_loaded (gpointer data)
{
  return g_list_model_get_n_items (eva_ticket_types_view_get_model (data)) > 0;
}

static gboolean
checkin_lists_loaded (gpointer data)
{
  return !eva_checkin_lists_view_get_loading (data) &&
         g_list_model_get_n_items (eva_checkin_lists_view_get_model (data)) == 3;
}

static gboolean
banner_shown (gpointer data)
{
  return gtk_revealer_get_reveal_child (data);
}

static gboolean
coupons_listed (gpointer data)
{
  return g_strcmp0 (eva_coupons_view_get_state (data), "list") == 0;
}

static gboolean
bookings_listed (gpointer data)
{
  EvaBookingList *list = eva_bookings_view_get_list (data);

  return g_strcmp0 (eva_bookings_view_get_state (data), "list") == 0 &&
         !eva_booking_list_get_loading (list) &&
         g_list_model_get_n_items (G_LIST_MODEL (list)) == G_N_ELEMENTS (seed_bookings);
}

/* The bookings awaiting payment: the transfer and the one to pay at the
 * door. */
static gboolean
awaiting_listed (gpointer data)
{
  EvaBookingList *list = eva_bookings_view_get_list (data);

  return g_strcmp0 (eva_booking_list_get_status (list), "awaiting_payment") == 0 &&
         g_strcmp0 (eva_bookings_view_get_state (data), "list") == 0 &&
         eva_booking_list_get_loaded (list) && !eva_booking_list_get_loading (list) &&
         g_list_model_get_n_items (G_LIST_MODEL (list)) == 2;
}

static gboolean
booking_read (gpointer data)
{
  return !eva_booking_dialog_get_loading (data);
}

static EvaRecord *
find_booking (EvaBookingList *list,
              const char     *email)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    {
      g_autoptr(EvaRecord) booking = g_list_model_get_item (G_LIST_MODEL (list), i);

      if (g_strcmp0 (eva_booking_get_attendee (booking, "email"), email) == 0)
        return g_steal_pointer (&booking);
    }
  g_assert_not_reached ();
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* The longest piece of @msgid's translation between its %s: what a
 * heading made from it holds, in the language of the run. */
static const char *
heading_part (const char *msgid)
{
  g_auto(GStrv) parts = g_strsplit (g_dgettext (GETTEXT_PACKAGE, msgid), "%s", -1);
  const char *best = "";

  for (guint i = 0; parts[i] != NULL; i++)
    if (strlen (parts[i]) > strlen (best))
      best = parts[i];
  return g_intern_string (best);
}

static gboolean
message_shown (gpointer data)
{
  AdwMessageDialog *dialog = find_message_dialog ();

  return dialog != NULL && (data == NULL || strstr (adw_message_dialog_get_heading (dialog), data) != NULL);
}

static gboolean
refund_all_done (gpointer data)
{
  return !eva_refund_all_dialog_get_running (data);
}

static EvaRefundAllDialog *
find_refund_all (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (EVA_IS_REFUND_ALL_DIALOG (w))
        return EVA_REFUND_ALL_DIALOG (w);
    }
  return NULL;
}

static gboolean
refund_all_shown (gpointer data)
{
  return find_refund_all () != NULL;
}

/* Scrolls the preferences page so @widget shows @above pixels under its
 * top. */
static void
scroll_to (GtkWidget *widget,
           double     above)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *viewport;
  GtkAdjustment *adj;
  graphene_point_t point;

  g_assert_nonnull (scroller);
  eva_desktop_test_settle (200);
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  viewport = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller));
  g_assert_true (GTK_IS_VIEWPORT (viewport));
  /* Where it is in the scrolled content, wherever that is scrolled now */
  g_assert_true (gtk_widget_compute_point (widget, gtk_viewport_get_child (GTK_VIEWPORT (viewport)),
                                           &GRAPHENE_POINT_INIT (0, 0), &point));
  gtk_adjustment_set_value (adj, point.y - above);
}

static GtkWidget *
find_descendant (GtkWidget *root,
                 GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_descendant (child, type)) != NULL)
        return found;
    }
  return NULL;
}

/* Scrolls the (first) preferences page under @root to its end. */
static void
scroll_to_end (GtkWidget *root)
{
  GtkWidget *page = find_descendant (root, ADW_TYPE_PREFERENCES_PAGE);
  GtkAdjustment *adj;

  g_assert_nonnull (page);
  eva_desktop_test_settle (200);
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (find_descendant (page, GTK_TYPE_SCROLLED_WINDOW)));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
}

static gboolean
tickets_read (gpointer data)
{
  return !eva_booking_tickets_get_busy (data);
}

static gboolean
preview_drawn (gpointer data)
{
  return !eva_ticket_preview_get_loading (data);
}

/* Names the holders of the booking's first tickets and reissues the
 * second, as an organizer would, through the API. */
static void
seed_tickets (EvaTestServer *server,
              const char    *booking_id)
{
  static const char * const holders[] = { "Frances Allen", "John Cocke", "Peter Markstein" };
  g_autofree char *token = eva_test_login (server, EMAIL, PASSWORD);
  g_autofree char *path = g_strdup_printf ("/api/v1/admin/bookings/%s/tickets", booking_id);
  g_autoptr(EvaTestResponse) listed = eva_test_call (server, "GET", path, token, NULL);
  JsonArray *items;

  eva_test_assert_status (listed, 200);
  items = json_object_get_array_member (json_node_get_object (listed->json), "items");
  g_assert_cmpuint (json_array_get_length (items), >=, G_N_ELEMENTS (holders));
  for (guint i = 0; i < G_N_ELEMENTS (holders); i++)
    {
      const char *id = json_object_get_string_member (json_array_get_object_element (items, i), "id");
      g_autofree char *ticket = g_strdup_printf ("/api/v1/admin/tickets/%s", id);
      g_autoptr(EvaTestResponse) named =
        eva_test_call (server, "PATCH", ticket, token, "{\"holder_name\":\"%s\"}", holders[i]);

      eva_test_assert_status (named, 200);
      if (i == 1)
        {
          g_autofree char *reissue = g_strdup_printf ("/api/v1/admin/tickets/%s/reissue", id);
          g_autoptr(EvaTestResponse) reissued = eva_test_call (server, "POST", reissue, token, NULL);

          eva_test_assert_status (reissued, 200);
        }
    }
}

static gboolean
coupon_types_read (gpointer data)
{
  return _eva_coupon_dialog_get_types_loaded (data);
}

static void
test_screenshots (void)
{
  g_autoptr(EvaTestStripe) stripe = NULL;
  g_autoptr(EvaTestServer) server = eva_desktop_seed_start_paying_server (&stripe);
  g_autoptr(EvaApplication) app = eva_application_new ();
  g_autoptr(GError) error = NULL;
  EvaWindow *window;
  GtkIconTheme *theme;
  GtkWidget *sign_in;
  GtkWidget *events_view;
  GtkWidget *editor;
  EvaEventList *list;
  g_autoptr(EvaRecord) event = NULL;

  seed_server (server, stripe);

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = EVA_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);

  /* The app icon comes from the resources, so it shows uninstalled too
   * (nothing here adds data/icons to the icon theme). */
  theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (window)));
  g_assert_true (gtk_icon_theme_has_icon (theme, APPLICATION_ID));

  /* Sign-in page, filled in */
  sign_in = eva_window_get_page (window, "sign-in");
  eva_desktop_test_wait (stack_shows, sign_in, 20, "the sign-in page");
  eva_sign_in_page_set_server (EVA_SIGN_IN_PAGE (sign_in), server->base_url);
  eva_sign_in_page_set_email (EVA_SIGN_IN_PAGE (sign_in), EMAIL);
  gtk_editable_set_text (GTK_EDITABLE (_eva_sign_in_page_get_row (EVA_SIGN_IN_PAGE (sign_in), "password")),
                         PASSWORD);
  g_assert_true (eva_sign_in_page_get_can_submit (EVA_SIGN_IN_PAGE (sign_in)));
  save_png (GTK_WIDGET (window), "sign-in.png");

  /* Events */
  eva_sign_in_page_submit (EVA_SIGN_IN_PAGE (sign_in));
  events_view = eva_window_get_page (window, "events-view");
  eva_desktop_test_wait (list_filled, events_view, 30, "the events");
  /* Let the "no keyring" toast of the test session time out. */
  eva_desktop_test_settle (5500);
  save_png (GTK_WIDGET (window), "events.png");

  /* The editor of the first event, and its tickets */
  list = eva_events_view_get_list (EVA_EVENTS_VIEW (events_view));
  event = g_list_model_get_item (G_LIST_MODEL (list), 1);
  eva_window_open_event (window, event);
  editor = eva_window_get_page (window, "editor");
  eva_desktop_test_wait (stack_shows, editor, 10, "the editor");
  save_png (GTK_WIDGET (window), "editor.png");
  gtk_widget_grab_focus (eva_event_editor_get_field_row (EVA_EVENT_EDITOR (editor), "max_tickets_per_attendee"));
  save_png (GTK_WIDGET (window), "editor-schedule.png");
  /* The payment group from its title */
  scroll_to (eva_event_editor_get_field_row (EVA_EVENT_EDITOR (editor), "card"), 100);
  save_png (GTK_WIDGET (window), "editor-payment.png");

  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (eva_window_get_page (window, "event-stack")),
                                         "tickets");
  eva_desktop_test_wait (tickets_loaded, eva_window_get_page (window, "ticket-types"), 10,
                         "the ticket types");
  save_png (GTK_WIDGET (window), "ticket-types.png");

  /* Check-in lists, and one in its dialog */
  {
    GtkWidget *stack = eva_window_get_page (window, "event-stack");
    GtkWidget *lists = eva_window_get_page (window, "checkin-lists");
    g_autoptr(EvaRecord) balcony = NULL;
    GtkWindow *dialog;

    adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "checkin");
    eva_desktop_test_wait (checkin_lists_loaded, lists, 10, "the check-in lists");
    save_png (GTK_WIDGET (window), "checkin-lists.png");

    balcony = g_list_model_get_item (eva_checkin_lists_view_get_model (EVA_CHECKIN_LISTS_VIEW (lists)), 1);
    g_assert_cmpstr (eva_record_get_string (balcony, "name"), ==, "Balcony door");
    dialog = eva_checkin_lists_view_open_list (EVA_CHECKIN_LISTS_VIEW (lists), balcony);
    gtk_window_set_default_size (dialog, 520, 900);
    save_png (GTK_WIDGET (dialog), "checkin-list-dialog.png");
    gtk_window_destroy (dialog);
  }

  /* Coupons, and the first in its dialog */
  {
    GtkWidget *stack = eva_window_get_page (window, "event-stack");
    GtkWidget *coupons = eva_window_get_page (window, "coupons");
    g_autoptr(EvaRecord) coupon = NULL;
    GtkWindow *dialog;

    adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "coupons");
    eva_desktop_test_wait (coupons_listed, coupons, 10, "the coupons");
    save_png (GTK_WIDGET (window), "coupons.png");

    coupon = g_list_model_get_item (eva_coupons_view_get_model (EVA_COUPONS_VIEW (coupons)), 0);
    g_assert_cmpstr (eva_record_get_string (coupon, "code"), ==, "EARLYBIRD");
    dialog = eva_coupons_view_open_coupon (EVA_COUPONS_VIEW (coupons), coupon);
    gtk_window_set_default_size (dialog, 520, 1000);
    eva_desktop_test_wait (coupon_types_read, dialog, 10, "the coupon's ticket types");
    g_assert_true (eva_coupon_dialog_validate (EVA_COUPON_DIALOG (dialog)));
    save_png (GTK_WIDGET (dialog), "coupon-dialog.png");
    gtk_window_destroy (dialog);
  }

  /* Bookings, and one in detail */
  {
    GtkWidget *stack = eva_window_get_page (window, "event-stack");
    GtkWidget *bookings = eva_window_get_page (window, "bookings");
    EvaBookingList *bookings_list = eva_bookings_view_get_list (EVA_BOOKINGS_VIEW (bookings));
    g_autoptr(EvaRecord) booking = NULL;
    GtkWindow *dialog;

    adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "bookings");
    eva_desktop_test_wait (bookings_listed, bookings, 10, "the bookings");
    save_png (GTK_WIDGET (window), "bookings.png");

    /* Newest first: Margaret Hamilton's, paid by card, with a coupon */
    booking = g_list_model_get_item (G_LIST_MODEL (bookings_list), 0);
    dialog = eva_bookings_view_open_booking (EVA_BOOKINGS_VIEW (bookings), booking);
    /* Tall enough to show all of it */
    gtk_window_set_default_size (dialog, 520, 1000);
    eva_desktop_test_wait (booking_read, dialog, 10, "the booking");
    save_png (GTK_WIDGET (dialog), "booking-details.png");
    gtk_window_destroy (dialog);
  }

  /* A booking's tickets: named, unnamed and one reissued; reissuing,
   * naming the holder, and the PDF the attendee gets */
  {
    GtkWidget *bookings = eva_window_get_page (window, "bookings");
    EvaBookingList *bookings_list = eva_bookings_view_get_list (EVA_BOOKINGS_VIEW (bookings));
    g_autoptr(EvaRecord) booking = find_booking (bookings_list, "frances.allen@example.org");
    EvaBookingTickets *tickets;
    EvaRecord *ticket;
    GtkWindow *dialog;
    GtkWindow *ask;
    GtkWindow *preview;

    seed_tickets (server, eva_record_get_id (booking));
    dialog = eva_bookings_view_open_booking (EVA_BOOKINGS_VIEW (bookings), booking);
    gtk_window_set_default_size (dialog, 520, 1000);
    eva_desktop_test_wait (booking_read, dialog, 10, "the booking");
    tickets = eva_booking_dialog_get_tickets (EVA_BOOKING_DIALOG (dialog));
    eva_desktop_test_wait (tickets_read, tickets, 10, "the tickets");
    g_assert_cmpuint (eva_booking_tickets_get_tickets (tickets)->len, ==, 5);
    scroll_to (GTK_WIDGET (tickets), 24);
    save_png (GTK_WIDGET (dialog), "booking-tickets.png");

    ticket = g_ptr_array_index (eva_booking_tickets_get_tickets (tickets), 0);
    ask = eva_booking_tickets_ask_reissue (tickets, eva_record_get_id (ticket));
    g_assert_nonnull (ask);
    save_png (GTK_WIDGET (ask), "ticket-reissue-confirm.png");
    gtk_window_destroy (ask);
    ticket = g_ptr_array_index (eva_booking_tickets_get_tickets (tickets), 3);
    ask = eva_booking_tickets_edit_holder (tickets, eva_record_get_id (ticket));
    g_assert_nonnull (ask);
    gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (ask))),
                           "Fran Allen");
    save_png (GTK_WIDGET (ask), "ticket-holder-dialog.png");
    gtk_window_destroy (ask);

    preview = eva_booking_tickets_open_preview (tickets);
    g_assert_nonnull (preview);
    gtk_window_set_default_size (preview, 640, 820);
    eva_desktop_test_wait (preview_drawn, preview, 60, "the ticket pages");
    g_assert_null (eva_ticket_preview_get_error (EVA_TICKET_PREVIEW (preview)));
    g_assert_cmpuint (eva_ticket_preview_get_n_pages (EVA_TICKET_PREVIEW (preview)), ==, 4);
    save_png (GTK_WIDGET (preview), "ticket-preview.png");
    eva_ticket_preview_go_to_page (EVA_TICKET_PREVIEW (preview), 1);
    save_png (GTK_WIDGET (preview), "ticket-preview-page-2.png");
    gtk_window_set_default_size (preview, 360, 720);
    eva_ticket_preview_go_to_page (EVA_TICKET_PREVIEW (preview), 0);
    save_png (GTK_WIDGET (preview), "narrow-ticket-preview.png");
    gtk_window_destroy (preview);

    /* Phone width */
    gtk_window_set_default_size (dialog, 360, 720);
    eva_desktop_test_settle (300);
    scroll_to (GTK_WIDGET (tickets), 24);
    save_png (GTK_WIDGET (dialog), "narrow-booking-tickets.png");
    gtk_window_destroy (dialog);
  }

  /* A booking paid at the door and partly refunded; its refund dialog */
  {
    GtkWidget *bookings = eva_window_get_page (window, "bookings");
    EvaBookingList *bookings_list = eva_bookings_view_get_list (EVA_BOOKINGS_VIEW (bookings));
    g_autoptr(EvaRecord) booking = find_booking (bookings_list, "joan.clarke@example.org");
    GtkWindow *dialog;
    GtkWindow *refund;

    dialog = eva_bookings_view_open_booking (EVA_BOOKINGS_VIEW (bookings), booking);
    gtk_window_set_default_size (dialog, 520, 1000);
    eva_desktop_test_wait (booking_read, dialog, 10, "the booking");
    save_png (GTK_WIDGET (dialog), "booking-payments.png");
    scroll_to_end (GTK_WIDGET (dialog));
    save_png (GTK_WIDGET (dialog), "booking-refunds.png");

    refund = eva_booking_dialog_open_refund (EVA_BOOKING_DIALOG (dialog));
    g_assert_nonnull (refund);
    eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (refund), "10.00");
    eva_refund_dialog_set_reason (EVA_REFUND_DIALOG (refund), "duplicate");
    eva_refund_dialog_set_note (EVA_REFUND_DIALOG (refund), "Booked twice by mistake");
    save_png (GTK_WIDGET (refund), "refund-dialog.png");
    eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (refund), "90");
    save_png (GTK_WIDGET (refund), "refund-dialog-too-much.png");
    eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (refund), "10.00");
    eva_refund_dialog_submit (EVA_REFUND_DIALOG (refund));
    eva_desktop_test_wait (message_shown, (gpointer) heading_part ("Refund %s?"), 10, "the confirmation");
    save_png (GTK_WIDGET (find_message_dialog ()), "refund-confirm.png");
    gtk_window_destroy (GTK_WINDOW (find_message_dialog ()));
    gtk_window_destroy (refund);
    gtk_window_destroy (dialog);
  }

  /* Paid by card: one refund done, one pending at the gateway; what is
   * left to refund, and the card's words */
  {
    GtkWidget *bookings = eva_window_get_page (window, "bookings");
    EvaBookingList *bookings_list = eva_bookings_view_get_list (EVA_BOOKINGS_VIEW (bookings));
    g_autoptr(EvaRecord) booking = find_booking (bookings_list, "sophie.wilson@example.org");
    GtkWindow *dialog;
    GtkWindow *refund;

    dialog = eva_bookings_view_open_booking (EVA_BOOKINGS_VIEW (bookings), booking);
    gtk_window_set_default_size (dialog, 520, 1000);
    eva_desktop_test_wait (booking_read, dialog, 10, "the booking");
    save_png (GTK_WIDGET (dialog), "booking-card.png");
    scroll_to_end (GTK_WIDGET (dialog));
    save_png (GTK_WIDGET (dialog), "booking-card-refunds.png");

    refund = eva_booking_dialog_open_refund (EVA_BOOKING_DIALOG (dialog));
    g_assert_nonnull (refund);
    /* 75.00 paid, 25.00 back, 5.00 on its way back */
    g_assert_cmpint (eva_refund_dialog_get_amount (EVA_REFUND_DIALOG (refund)), ==, 4500);
    save_png (GTK_WIDGET (refund), "refund-dialog-card.png");
    eva_refund_dialog_submit (EVA_REFUND_DIALOG (refund));
    eva_desktop_test_wait (message_shown, (gpointer) heading_part ("Refund %s?"), 10, "the confirmation");
    save_png (GTK_WIDGET (find_message_dialog ()), "refund-confirm-card.png");
    gtk_window_destroy (GTK_WINDOW (find_message_dialog ()));
    gtk_window_destroy (refund);

    /* Phone width */
    gtk_window_set_default_size (dialog, 360, 720);
    eva_desktop_test_settle (300);
    save_png (GTK_WIDGET (dialog), "narrow-booking-card.png");
    scroll_to_end (GTK_WIDGET (dialog));
    save_png (GTK_WIDGET (dialog), "narrow-booking-card-refunds.png");
    refund = eva_booking_dialog_open_refund (EVA_BOOKING_DIALOG (dialog));
    gtk_window_set_default_size (refund, 360, 640);
    eva_refund_dialog_set_amount (EVA_REFUND_DIALOG (refund), "50");
    save_png (GTK_WIDGET (refund), "narrow-refund-dialog.png");
    gtk_window_destroy (refund);
    gtk_window_destroy (dialog);
  }

  /* A bank transfer awaited: Mark as Paid */
  {
    GtkWidget *bookings = eva_window_get_page (window, "bookings");
    EvaBookingList *bookings_list = eva_bookings_view_get_list (EVA_BOOKINGS_VIEW (bookings));
    g_autoptr(EvaRecord) booking = find_booking (bookings_list, "grace.hopper@example.org");
    GtkWindow *dialog;
    GtkWindow *mark;

    dialog = eva_bookings_view_open_booking (EVA_BOOKINGS_VIEW (bookings), booking);
    gtk_window_set_default_size (dialog, 520, 1000);
    eva_desktop_test_wait (booking_read, dialog, 10, "the booking");
    save_png (GTK_WIDGET (dialog), "booking-transfer.png");
    mark = eva_booking_dialog_open_mark_paid (EVA_BOOKING_DIALOG (dialog));
    g_assert_nonnull (mark);
    eva_mark_paid_dialog_set_reference (EVA_MARK_PAID_DIALOG (mark), "BANK-2030-0412");
    save_png (GTK_WIDGET (mark), "mark-paid-dialog.png");
    eva_mark_paid_dialog_set_amount (EVA_MARK_PAID_DIALOG (mark), "49");
    eva_mark_paid_dialog_submit (EVA_MARK_PAID_DIALOG (mark));
    eva_desktop_test_wait (message_shown, (gpointer) heading_part ("Mark as Paid?"), 10, "the confirmation");
    save_png (GTK_WIDGET (find_message_dialog ()), "mark-paid-confirm.png");
    gtk_window_destroy (GTK_WINDOW (find_message_dialog ()));
    gtk_window_set_default_size (mark, 360, 480);
    save_png (GTK_WIDGET (mark), "narrow-mark-paid-dialog.png");
    gtk_window_destroy (mark);
    gtk_window_destroy (dialog);

    /* Only what is not paid yet */
    eva_bookings_view_set_filter (EVA_BOOKINGS_VIEW (bookings), NULL, "awaiting_payment");
    eva_desktop_test_wait (awaiting_listed, bookings, 10, "the bookings awaiting payment");
    save_png (GTK_WIDGET (window), "bookings-awaiting.png");
    eva_bookings_view_set_filter (EVA_BOOKINGS_VIEW (bookings), NULL, NULL);
    eva_desktop_test_wait (bookings_listed, bookings, 10, "all the bookings again");
  }

  /* A ticket type in its dialog */
  {
    GtkWidget *tickets = eva_window_get_page (window, "ticket-types");
    g_autoptr(EvaRecord) tt = g_list_model_get_item (eva_ticket_types_view_get_model (EVA_TICKET_TYPES_VIEW (tickets)), 1);
    GtkWindow *dialog = eva_ticket_type_dialog_new (GTK_WINDOW (window), eva_window_get_client (window),
                                                    event, tt);

    gtk_window_present (dialog);
    save_png (GTK_WIDGET (dialog), "ticket-type-dialog.png");
    gtk_window_destroy (dialog);
  }

  /* Staff (the signed-in account is a super admin) */
  {
    GtkWindow *staff = NULL;
    g_autoptr(GListModel) toplevels = NULL;

    gtk_widget_activate_action (GTK_WIDGET (window), "win.staff", NULL);
    toplevels = g_object_ref (gtk_window_get_toplevels ());
    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

        if (EVA_IS_STAFF_WINDOW (w))
          staff = w;
      }
    g_assert_nonnull (staff);
    eva_desktop_test_settle (1000);
    save_png (GTK_WIDGET (staff), "staff.png");
    gtk_window_destroy (staff);
  }

  /* Keyboard shortcuts (gtk/help-overlay.ui from the resources) */
  {
    GtkWindow *help = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window))
                      ? GTK_WINDOW (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)))
                      : NULL;

    g_assert_nonnull (help);
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
    save_png (GTK_WIDGET (help), "shortcuts.png");
    gtk_widget_set_visible (GTK_WIDGET (help), FALSE);
  }

  /* Editor errors at their rows */
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (eva_window_get_page (window, "event-stack")),
                                         "details");
  gtk_editable_set_text (GTK_EDITABLE (eva_event_editor_get_field_row (EVA_EVENT_EDITOR (editor), "slug")),
                         "Not A Slug");
  gtk_editable_set_text (GTK_EDITABLE (eva_event_editor_get_field_row (EVA_EVENT_EDITOR (editor), "currency")),
                         "EURO");
  save_png (GTK_WIDGET (window), "editor-errors.png");
  {
    GtkWidget *row = eva_event_editor_get_field_row (EVA_EVENT_EDITOR (editor), "max_tickets_per_attendee");
    GtkWidget *spin = find_spin_button (row);

    g_assert_nonnull (spin);
    gtk_widget_grab_focus (row);
    gtk_editable_set_text (GTK_EDITABLE (spin), "1000001");
    save_png (GTK_WIDGET (window), "editor-errors-sales.png");
  }
  eva_event_editor_set_event (EVA_EVENT_EDITOR (editor), event);

  /* Phone width: the leaflet folds */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  eva_desktop_test_settle (600);
  /* From the top (the editor was scrolled to its payment settings) */
  scroll_to (eva_event_editor_get_field_row (EVA_EVENT_EDITOR (editor), "title"), G_MAXINT);
  save_png (GTK_WIDGET (window), "narrow-editor.png");
  scroll_to (eva_event_editor_get_field_row (EVA_EVENT_EDITOR (editor), "card"), 100);
  save_png (GTK_WIDGET (window), "narrow-editor-payment.png");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (eva_window_get_page (window, "event-stack")),
                                         "bookings");
  save_png (GTK_WIDGET (window), "narrow-bookings.png");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (eva_window_get_page (window, "event-stack")),
                                         "checkin");
  save_png (GTK_WIDGET (window), "narrow-checkin-lists.png");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (eva_window_get_page (window, "event-stack")),
                                         "details");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  eva_desktop_test_settle (300);
  save_png (GTK_WIDGET (window), "narrow-events.png");

  /* Cancelling the event offers to refund its paid bookings */
  {
    EvaRefundAllDialog *refund_all;

    gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-event", NULL);
    eva_desktop_test_wait (message_shown, (gpointer) heading_part ("Cancel “%s”?"), 10,
                           "the cancel confirmation");
    adw_message_dialog_response (find_message_dialog (), "cancel");
    gtk_window_destroy (GTK_WINDOW (find_message_dialog ()));
    eva_desktop_test_wait (message_shown, (gpointer) heading_part ("Refund All Paid Bookings?"), 30,
                           "the offer to refund");
    save_png (GTK_WIDGET (find_message_dialog ()), "refund-all-offer.png");
    adw_message_dialog_response (find_message_dialog (), "refund-all");
    gtk_window_destroy (GTK_WINDOW (find_message_dialog ()));
    eva_desktop_test_wait (refund_all_shown, NULL, 10, "the refunds");
    refund_all = find_refund_all ();
    eva_desktop_test_wait (refund_all_done, refund_all, 60, "the refunds done");
    /* The five paid by card back through the gateway; what is left of
     * Joan Clarke's (paid at the door) to pay back */
    g_assert_cmpuint (eva_refund_all_dialog_get_count (refund_all, "total"), ==, 6);
    g_assert_cmpuint (eva_refund_all_dialog_get_count (refund_all, "refunded"), ==, 5);
    g_assert_cmpuint (eva_refund_all_dialog_get_count (refund_all, "to_refund"), ==, 1);
    g_assert_cmpuint (eva_refund_all_dialog_get_count (refund_all, "failed"), ==, 0);
    save_png (GTK_WIDGET (refund_all), "refund-all-report.png");
    gtk_window_destroy (GTK_WINDOW (refund_all));
  }

  /* The server goes away: the offline banner */
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  eva_test_server_kill (server);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  eva_desktop_test_wait (banner_shown, eva_window_get_page (window, "offline-banner"), 30,
                         "the offline banner");
  save_png (GTK_WIDGET (window), "offline.png");

  gtk_window_destroy (GTK_WINDOW (window));
  eva_desktop_test_settle (100);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  const char *language = g_getenv ("EVERATO_SCREENSHOT_LANGUAGE");

  /* As desktop/main.c, with the catalogs of this build. */
  bindtextdomain (GETTEXT_PACKAGE, EVA_BUILD_LOCALE_DIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  eva_desktop_test_init (&argc, &argv);
  /* gtk_test_init() chose a fixed locale; EVERATO_SCREENSHOT_LANGUAGE=de
   * photographs the German app instead. */
  if (language != NULL && *language != '\0')
    {
      g_setenv ("LANGUAGE", language, TRUE);
      g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));
    }

  screenshot_dir = g_strdup (g_getenv ("EVERATO_SCREENSHOT_DIR"));
  if (screenshot_dir == NULL)
    screenshot_dir = g_build_filename (g_get_current_dir (), "screenshots", NULL);
  g_mkdir_with_parents (screenshot_dir, 0755);

  g_test_add_func ("/screenshots/app", test_screenshots);
  status = g_test_run ();
  g_free (screenshot_dir);
  return status;
}
