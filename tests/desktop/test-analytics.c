/* test-analytics.c: the chart widget on its own (ticks, no data, one
 * point, huge values, negative refunds, the keyboard, the table), the
 * overview page against a real server with sales, a coupon, a refund and
 * check-ins (its figures, its live refresh, its PDF report), the
 * all-events window, and screenshots of the overview in light and dark at
 * a wide and a narrow width (build/tests/desktop/screenshots)
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "analytics/eva-chart.h"
#include "analytics/eva-analytics-utils.h"
#include "analytics/eva-overview-page.h"
#include "analytics/eva-summary-window.h"

#include "eva-desktop-seed.h"
#include "eva-desktop-test.h"
#include "eva-test.h"

/* ------------------------------------------------------------------ */
/* The chart                                                          */
/* ------------------------------------------------------------------ */

static gboolean
is_nice (double step)
{
  double mag = pow (10, floor (log10 (step)));
  double norm = step / mag;

  return fabs (norm - 1) < 1e-9 || fabs (norm - 2) < 1e-9 || fabs (norm - 5) < 1e-9 || fabs (norm - 10) < 1e-9;
}

static void
assert_ticks (double lo,
              double hi,
              gboolean integers)
{
  double first, step;
  guint n;

  g_assert_true (eva_chart_nice_ticks (lo, hi, 6, integers, &first, &step, &n));
  g_assert_true (is_nice (step));
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpuint (n, <=, 7);
  g_assert_cmpfloat (first, <=, MIN (lo, 0));
  g_assert_cmpfloat (first + (n - 1) * step, >=, MAX (hi, 0));
  /* Zero is a tick. */
  g_assert_cmpfloat (fabs (fmod (-first, step)), <, step * 1e-9 + 1e-9);
  if (integers)
    g_assert_cmpfloat (step, >=, 1);
}

static void
test_chart_ticks (void)
{
  double first, step;
  guint n;

  g_assert_true (eva_chart_nice_ticks (0, 97, 6, TRUE, &first, &step, &n));
  g_assert_cmpfloat (first, ==, 0);
  g_assert_cmpfloat (step, ==, 20);
  g_assert_cmpuint (n, ==, 6);

  g_assert_true (eva_chart_nice_ticks (0, 1000, 6, TRUE, &first, &step, &n));
  g_assert_cmpfloat (step, ==, 200);
  g_assert_cmpuint (n, ==, 6);

  /* Nothing yet, or only zeros: 0 to 1. */
  g_assert_true (eva_chart_nice_ticks (0, 0, 6, TRUE, &first, &step, &n));
  g_assert_cmpfloat (first, ==, 0);
  g_assert_cmpfloat (first + (n - 1) * step, >=, 1);

  /* Small counts stay whole. */
  g_assert_true (eva_chart_nice_ticks (0, 3, 6, TRUE, &first, &step, &n));
  g_assert_cmpfloat (step, ==, 1);
  g_assert_cmpuint (n, ==, 4);

  assert_ticks (0, 97, TRUE);
  assert_ticks (-250, 12000, FALSE);
  assert_ticks (-7500, -10, FALSE);
  assert_ticks (0, 0.37, FALSE);
  assert_ticks (3, 3, TRUE);
  assert_ticks (0, 9.2e15, TRUE);
  assert_ticks (-1e18, 4e18, TRUE);
  assert_ticks (12345, 12346, TRUE);
  assert_ticks (97, 0, TRUE);   /* given the wrong way round */

  g_assert_false (eva_chart_nice_ticks (0, NAN, 6, TRUE, &first, &step, &n));
  g_assert_false (eva_chart_nice_ticks (-INFINITY, 1, 6, TRUE, &first, &step, &n));
}

/* Draws @chart into an image of @w × @h and returns how many pixels are
 * not the background (so an empty drawing is told from a chart). */
static guint
draw_pixels (EvaChart *chart,
             int       w,
             int       h,
             gboolean  dark)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (surface);
  guint painted = 0;
  const guint8 *data;
  int stride;

  eva_chart_draw (chart, cr, w, h, dark);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      painted += ((const guint32 *) (data + y * stride))[x] != 0;
  cairo_surface_destroy (surface);
  return painted;
}

static guint
count_labels (GtkWidget *grid)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (grid); c != NULL; c = gtk_widget_get_next_sibling (c))
    n += GTK_IS_LABEL (c);
  return n;
}

static gboolean
grid_has_text (GtkWidget  *grid,
               const char *text)
{
  for (GtkWidget *c = gtk_widget_get_first_child (grid); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LABEL (c) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (c)), text) == 0)
      return TRUE;
  return FALSE;
}

static void
test_chart_empty (void)
{
  EvaChart *chart = EVA_CHART (g_object_ref_sink (eva_chart_new ()));
  GtkWidget *table;
  double first, step;
  guint n;

  g_assert_cmpuint (eva_chart_get_n_points (chart), ==, 0);
  g_assert_cmpint (eva_chart_get_selected (chart), ==, -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chart), "chart.next", NULL));
  g_assert_cmpint (eva_chart_get_selected (chart), ==, -1);
  eva_chart_get_axis (chart, &first, &step, &n);
  g_assert_cmpfloat (first, ==, 0);
  g_assert_cmpuint (n, >=, 2);
  /* Only the grid and "No data yet": drawn, and no crash at tiny sizes. */
  g_assert_cmpuint (draw_pixels (chart, 300, 200, FALSE), >, 0);
  g_assert_cmpuint (draw_pixels (chart, 3, 2, FALSE), ==, 0);
  table = g_object_ref_sink (eva_chart_create_table (chart));
  g_assert_true (grid_has_text (table, "No data yet"));
  g_assert_finalize_object (table);

  /* Points without series, and categories without any. */
  eva_chart_set_categories (chart, NULL);
  g_assert_cmpuint (eva_chart_get_n_points (chart), ==, 0);
  g_assert_cmpuint (draw_pixels (chart, 300, 200, TRUE), >, 0);
  g_assert_finalize_object (chart);
}

static void
test_chart_one_point (void)
{
  EvaChart *chart = EVA_CHART (g_object_ref_sink (eva_chart_new ()));
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  gint64 t = 1774738800;   /* 2026-03-29 00:00 in Berlin (CET) */
  double v = 42;
  g_autofree char *text = NULL;
  g_autofree char *label = NULL;
  GtkWidget *table;
  double first, step;
  guint n;

  eva_chart_set_title (chart, "Tickets");
  eva_chart_set_times (chart, &t, 1, tz, "day");
  eva_chart_add_series (chart, "Early", &v);
  g_assert_cmpuint (eva_chart_get_n_points (chart), ==, 1);
  label = eva_chart_point_label (chart, 0);
  g_assert_nonnull (strstr (label, "29"));
  text = eva_chart_describe_point (chart, 0);
  g_assert_nonnull (strstr (text, "Early 42"));
  eva_chart_get_axis (chart, &first, &step, &n);
  g_assert_cmpfloat (first, ==, 0);
  g_assert_cmpfloat (first + (n - 1) * step, >=, 42);
  for (int kind = EVA_CHART_BARS; kind <= EVA_CHART_LINES; kind++)
    {
      eva_chart_set_kind (chart, kind);
      g_assert_cmpuint (draw_pixels (chart, 400, 220, kind == EVA_CHART_LINES), >, 1000);
    }
  table = g_object_ref_sink (eva_chart_create_table (chart));
  g_assert_true (grid_has_text (table, "42"));
  g_assert_cmpuint (count_labels (table), ==, 3);   /* head, day, value */
  g_assert_finalize_object (table);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chart), "chart.next", NULL));
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chart), "chart.next", NULL));
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 0);
  g_assert_finalize_object (chart);
}

static void
test_chart_huge (void)
{
  EvaChart *chart = EVA_CHART (g_object_ref_sink (eva_chart_new ()));
  const char *labels[] = { "A", "B", NULL };
  double values[] = { 9.0e15, 4.5e15 };
  g_autofree char *big = NULL;
  double first, step;
  guint n;

  eva_chart_set_currency (chart, "EUR");
  eva_chart_set_categories (chart, labels);
  eva_chart_add_series (chart, "Gross", values);
  eva_chart_get_axis (chart, &first, &step, &n);
  g_assert_true (isfinite (step));
  g_assert_cmpfloat (first + (n - 1) * step, >=, 9.0e15);
  g_assert_true (is_nice (step / 100));   /* in euros, not cents */
  big = eva_chart_format_value (chart, 9.0e15);
  g_assert_true (g_str_has_suffix (big, " EUR"));
  g_assert_nonnull (strstr (big, "90"));
  g_assert_cmpuint (draw_pixels (chart, 320, 200, FALSE), >, 1000);
  g_assert_finalize_object (chart);
}

static void
test_chart_negative (void)
{
  EvaChart *chart = EVA_CHART (g_object_ref_sink (eva_chart_new ()));
  const char *labels[] = { "Early", "Regular", "VIP", NULL };
  double gross[] = { 2000, 10000, 0 };
  double refunds[] = { -500, -7500, -100 };
  g_autofree char *text = NULL;
  GtkWidget *table;
  double first, step;
  guint n;

  eva_chart_set_currency (chart, "EUR");
  eva_chart_set_categories (chart, labels);
  eva_chart_add_series (chart, "Gross", gross);
  eva_chart_add_series (chart, "Refunds", refunds);
  eva_chart_get_axis (chart, &first, &step, &n);
  g_assert_cmpfloat (first, <=, -7500);
  g_assert_cmpfloat (first + (n - 1) * step, >=, 10000);
  text = eva_chart_describe_point (chart, 1);
  g_assert_nonnull (strstr (text, "Regular: "));
  g_assert_nonnull (strstr (text, "25.00 EUR"));   /* the total, 100.00 - 75.00 */
  g_assert_cmpuint (draw_pixels (chart, 400, 240, FALSE), >, 1000);
  eva_chart_set_kind (chart, EVA_CHART_LINES);
  eva_chart_get_axis (chart, &first, &step, &n);
  g_assert_cmpfloat (first, <=, -100);
  g_assert_cmpuint (draw_pixels (chart, 400, 240, TRUE), >, 1000);
  table = g_object_ref_sink (eva_chart_create_table (chart));
  g_assert_cmpuint (count_labels (table), ==, 3 + 3 * 4);   /* heads; per row: name, two values, total */
  g_assert_finalize_object (table);
  g_assert_finalize_object (chart);
}

static void
test_chart_keyboard (void)
{
  GtkWidget *window = gtk_window_new ();
  EvaChart *chart = EVA_CHART (eva_chart_new ());
  const char *labels[] = { "a", "b", "c", "d", NULL };
  double values[] = { 1, 2, 3, 4 };

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (chart));
  gtk_window_present (GTK_WINDOW (window));
  eva_chart_set_categories (chart, labels);
  eva_chart_add_series (chart, "n", values);
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (chart)));
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (chart)));
  g_assert_cmpint (eva_chart_get_selected (chart), ==, -1);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.next", NULL);
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.next", NULL);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.next", NULL);
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.previous", NULL);
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.last", NULL);
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 3);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.next", NULL);
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 3);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.first", NULL);
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 0);
  /* Fewer points: the selection follows. */
  eva_chart_set_selected (chart, 3);
  eva_chart_set_categories (chart, (const char *[]) { "x", NULL });
  g_assert_cmpint (eva_chart_get_selected (chart), ==, 0);
  eva_desktop_test_settle (50);

  g_object_ref (chart);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (chart);
}

static void
test_money_format (void)
{
  g_autofree char *a = eva_analytics_format_money (123456, "EUR");
  g_autofree char *b = eva_analytics_format_money (-5, "EUR");
  g_autofree char *c = eva_analytics_format_money (1000, "JPY");
  g_autofree char *d = eva_analytics_format_money (G_MAXINT64, "EUR");
  g_autofree char *e = eva_analytics_format_money (G_MININT64, "EUR");

  /* The C locale of the tests: no grouping. */
  g_assert_cmpstr (a, ==, "1234.56 EUR");
  g_assert_cmpstr (b, ==, "−0.05 EUR");
  g_assert_cmpstr (c, ==, "1000 JPY");
  g_assert_cmpstr (d, ==, "92233720368547758.07 EUR");
  g_assert_cmpstr (e, ==, "−92233720368547758.08 EUR");
}

/* ------------------------------------------------------------------ */
/* The overview against a server                                      */
/* ------------------------------------------------------------------ */

typedef struct
{
  EvaTestServer *server;
  char          *token;
  EvaApiClient  *client;
  EvaRecord     *event;
  char          *event_id;
  char          *standard;
  char          *vip;
} Shop;

static Shop shop;

static char *
sell (const char *type,
      int         n,
      const char *coupon,
      const char *name,
      const char *confirmed_at)
{
  g_autofree char *email = g_strdup_printf ("%s@example.test", name);
  g_autoptr(JsonNode) booking = eva_desktop_seed_checkout_booking (shop.server, shop.event_id, type, n, coupon,
                                                                     name, email, "at_door");
  const char *id = eva_test_json_string (booking, "id");

  if (confirmed_at != NULL)
    g_free (eva_test_sql (shop.server->pg, "UPDATE bookings SET confirmed_at = $2::timestamptz"
                                           " WHERE id = $1::uuid RETURNING id", id, confirmed_at, NULL));
  return g_strdup (id);
}

static void
shop_open (void)
{
  g_autoptr(EvaTestResponse) event = NULL;
  g_autoptr(EvaTestResponse) standard = NULL;
  g_autoptr(EvaTestResponse) vip = NULL;
  g_autoptr(EvaTestResponse) coupon = NULL;
  g_autoptr(EvaTestResponse) published = NULL;
  g_autofree char *path = NULL;
  static const struct { const char *type; int n; const char *coupon; const char *at; } sales[] = {
    { "standard", 2, NULL, "2026-03-20T09:10:00Z" },
    { "standard", 1, NULL, "2026-03-21T18:00:00Z" },
    { "vip", 1, NULL, "2026-03-21T19:30:00Z" },
    { "standard", 4, "EARLY10", "2026-03-23T07:00:00Z" },
    { "standard", 3, NULL, "2026-03-24T12:00:00Z" },
    { "vip", 2, NULL, "2026-03-25T20:00:00Z" },
    { "standard", 5, "EARLY10", "2026-03-27T10:00:00Z" },
    { "standard", 2, NULL, "2026-03-28T22:30:00Z" },
    { "vip", 1, NULL, "2026-03-29T10:00:00Z" },
  };

  shop.server = eva_test_server_start (NULL);
  shop.token = eva_test_token_for_role (shop.server, "organizer");
  event = eva_test_call (shop.server, "POST", "/api/v1/admin/events", shop.token,
                         "{\"title\":\"Spring Concert\",\"timezone\":\"Europe/Berlin\","
                         "\"starts_at\":\"2030-04-12T19:30:00+02:00\","
                         "\"ends_at\":\"2030-04-12T22:00:00+02:00\",\"currency\":\"EUR\","
                         "\"payment_methods\":[\"card\",\"at_door\"]}");
  eva_test_assert_status (event, 201);
  shop.event_id = g_strdup (eva_test_json_string (event->json, "id"));
  path = g_strdup_printf ("/api/v1/admin/events/%s/ticket-types", shop.event_id);
  standard = eva_test_call (shop.server, "POST", path, shop.token, "{\"name\":\"Standard\",\"price\":2500,\"capacity\":100}");
  vip = eva_test_call (shop.server, "POST", path, shop.token, "{\"name\":\"VIP\",\"price\":9000,\"capacity\":20}");
  shop.standard = g_strdup (eva_test_json_string (standard->json, "id"));
  shop.vip = g_strdup (eva_test_json_string (vip->json, "id"));
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/coupons", shop.event_id);
  coupon = eva_test_call (shop.server, "POST", path, shop.token, "{\"code\":\"EARLY10\",\"kind\":\"percent\",\"percent\":10}");
  eva_test_assert_status (coupon, 201);
  g_free (path);
  path = g_strdup_printf ("/api/v1/admin/events/%s/publish", shop.event_id);
  published = eva_test_call (shop.server, "POST", path, shop.token, NULL);
  eva_test_assert_status (published, 200);
  shop.event = eva_record_new (json_node_get_object (published->json));

  for (guint i = 0; i < G_N_ELEMENTS (sales); i++)
    {
      g_autofree char *name = g_strdup_printf ("buyer%u", i);
      g_autofree char *id = sell (g_str_equal (sales[i].type, "vip") ? shop.vip : shop.standard,
                                  sales[i].n, sales[i].coupon, name, sales[i].at);
    }
  /* Five tickets checked in, seeded as the door records them. */
  g_free (eva_test_sql (shop.server->pg,
                        "WITH t AS (SELECT t.id, t.event_id FROM tickets t WHERE t.event_id = $1::uuid"
                        "            AND t.status = 'valid' ORDER BY t.id LIMIT 5)"
                        " INSERT INTO checkins (client_nonce, event_id, list_id, ticket_id, kind, status, single,"
                        "                       scanned_at, verdict)"
                        " SELECT 'seed-' || t.id, t.event_id, l.id, t.id, 'entry', 'ok', true,"
                        "        timestamptz '2030-04-12 17:10Z' + (row_number() OVER ()) * interval '7 minutes', '{}'"
                        "   FROM t JOIN checkin_lists l ON l.event_id = t.event_id AND l.is_default"
                        " RETURNING 'x'", shop.event_id, NULL));
  shop.client = eva_api_client_new (shop.server->base_url);
  eva_api_client_set_access_token (shop.client, shop.token);
}

static void
shop_close (void)
{
  g_assert_finalize_object (shop.client);
  g_clear_object (&shop.event);
  g_free (shop.token);
  g_free (shop.event_id);
  g_free (shop.standard);
  g_free (shop.vip);
  eva_test_server_free (shop.server);
}

static gboolean
not_loading (gpointer data)
{
  return !eva_overview_page_get_loading (data) && eva_chart_get_n_series (eva_overview_page_get_sales_chart (data)) > 0;
}

static double
chart_sum (EvaChart *chart,
           guint     series)
{
  double sum = 0;

  for (guint p = 0; p < eva_chart_get_n_points (chart); p++)
    sum += eva_chart_get_value (chart, series, p);
  return sum;
}

typedef struct
{
  EvaOverviewPage *page;
  double           tickets;
} Grown;

static gboolean
tickets_grew (gpointer data)
{
  Grown *g = data;
  EvaChart *chart = eva_overview_page_get_sales_chart (g->page);
  double sum = 0;

  for (guint s = 0; s < eva_chart_get_n_series (chart); s++)
    sum += chart_sum (chart, s);
  return sum > g->tickets;
}

static void
test_overview_live (void)
{
  GtkWidget *window = gtk_window_new ();
  EvaOverviewPage *page = EVA_OVERVIEW_PAGE (eva_overview_page_new ());
  EvaChart *sales, *revenue, *checkins;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *late = NULL;
  Grown grown;

  eva_overview_page_set_client (page, shop.client);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  eva_overview_page_set_event (page, shop.event);
  gtk_window_present (GTK_WINDOW (window));
  eva_desktop_test_wait (not_loading, page, 30, "the figures");

  sales = eva_overview_page_get_sales_chart (page);
  revenue = eva_overview_page_get_revenue_chart (page);
  checkins = eva_overview_page_get_checkin_chart (page);
  /* Standard 2+1+4+3+5+2 = 17, VIP 1+2+1 = 4, over the days 20-29 March. */
  g_assert_cmpuint (eva_chart_get_n_series (sales), ==, 2);
  g_assert_cmpuint (eva_chart_get_n_points (sales), ==, 10);
  g_assert_cmpfloat (chart_sum (sales, 0), ==, 17);
  g_assert_cmpfloat (chart_sum (sales, 1), ==, 4);
  /* Cumulative: the last point holds everything. */
  eva_overview_page_set_cumulative (page, TRUE);
  g_assert_cmpint (eva_chart_get_kind (sales), ==, EVA_CHART_LINES);
  g_assert_cmpfloat (eva_chart_get_value (sales, 0, 9), ==, 17);
  g_assert_cmpfloat (eva_chart_get_value (sales, 1, 9), ==, 4);
  eva_overview_page_set_cumulative (page, FALSE);
  /* Gross per type and the coupon's discount (9 × 2.50) going down. */
  g_assert_cmpfloat (eva_chart_get_value (revenue, 0, 0), ==, 17 * 2500);
  g_assert_cmpfloat (eva_chart_get_value (revenue, 0, 1), ==, 4 * 9000);
  g_assert_cmpfloat (eva_chart_get_value (revenue, 1, 0), ==, -9 * 250);
  g_assert_cmpfloat (chart_sum (checkins, 0), ==, 5);

  pdf = eva_overview_page_create_report (page);
  g_assert_cmpuint (g_bytes_get_size (pdf), >, 1000);
  g_assert_true (memcmp (g_bytes_get_data (pdf, NULL), "%PDF", 4) == 0);
  if (g_getenv ("EVERATO_SCREENSHOT_DIR") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("EVERATO_SCREENSHOT_DIR"), "overview-report.pdf", NULL);

      g_mkdir_with_parents (g_getenv ("EVERATO_SCREENSHOT_DIR"), 0755);
      g_assert_true (g_file_set_contents (path, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf), NULL));
    }

  /* A sale while the page is shown comes in by itself. */
  grown.page = page;
  grown.tickets = 21;
  eva_overview_page_set_refresh_interval (page, 1);
  late = sell (shop.vip, 3, NULL, "late", NULL);
  eva_desktop_test_wait (tickets_grew, &grown, 30, "the refresh");

  g_object_ref (page);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (page);
}

static gboolean
summary_loaded (gpointer data)
{
  return eva_chart_get_n_points (eva_summary_window_get_chart (data)) > 0;
}

static void
test_summary_window (void)
{
  EvaSummaryWindow *window = eva_summary_window_new (NULL, shop.client);
  EvaChart *chart = eva_summary_window_get_chart (window);

  g_object_ref (window);
  gtk_window_present (GTK_WINDOW (window));
  eva_summary_window_set_range (window, "2030-04-01", "2030-04-30");
  eva_desktop_test_wait (summary_loaded, window, 30, "the summary");
  g_assert_cmpuint (eva_chart_get_n_points (chart), ==, 1);
  g_assert_cmpfloat (eva_chart_get_value (chart, 0, 0), >=, 21);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

/* ------------------------------------------------------------------ */
/* Screenshots                                                        */
/* ------------------------------------------------------------------ */

static gboolean
is_drawn (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

/* @widget as it is drawn, on @background (the window's colour, for a
 * part of a window taller than the screen). */
static void
save_png_on (GtkWidget     *widget,
             const char    *name,
             const GdkRGBA *background)
{
  const char *dir = g_getenv ("EVERATO_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  eva_desktop_test_wait (is_drawn, widget, 10, "the window to be drawn");
  eva_desktop_test_settle (300);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  if (background != NULL)
    gtk_snapshot_append_color (snapshot, background, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s (%dx%d)", path, width, height);
}

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  save_png_on (widget, name, NULL);
}

/* The whole scrolled content of the page, not only what fits the screen. */
static GtkWidget *
page_content (EvaOverviewPage *page)
{
  GtkWidget *scrolled = gtk_widget_get_first_child (GTK_WIDGET (page));
  GtkWidget *viewport = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled));

  return GTK_IS_VIEWPORT (viewport) ? gtk_viewport_get_child (GTK_VIEWPORT (viewport)) : viewport;
}

/* Presses every "Table" toggle under @widget. */
static guint
show_tables (GtkWidget *widget)
{
  guint n = 0;

  if (GTK_IS_TOGGLE_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), "_Table") == 0)
    {
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (widget), TRUE);
      return 1;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    n += show_tables (c);
  return n;
}

static void
test_screenshots (void)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  static const struct { const char *name; int width; int height; gboolean dark; } shots[] = {
    { "overview-light-wide.png", 1100, 760, FALSE },
    { "overview-dark-wide.png", 1100, 760, TRUE },
    { "overview-light-narrow.png", 360, 700, FALSE },
    { "overview-dark-narrow.png", 360, 700, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (shots); i++)
    {
      GtkWidget *window = adw_window_new ();
      EvaOverviewPage *page = EVA_OVERVIEW_PAGE (eva_overview_page_new ());

      adw_style_manager_set_color_scheme (style, shots[i].dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                               : ADW_COLOR_SCHEME_FORCE_LIGHT);
      eva_overview_page_set_client (page, shop.client);
      eva_overview_page_set_refresh_interval (page, 0);
      gtk_window_set_default_size (GTK_WINDOW (window), shots[i].width, shots[i].height);
      adw_window_set_content (ADW_WINDOW (window), GTK_WIDGET (page));
      eva_overview_page_set_event (page, shop.event);
      gtk_window_present (GTK_WINDOW (window));
      eva_desktop_test_wait (not_loading, page, 30, "the figures");
      /* A point chosen from the keyboard shows how it is marked. */
      gtk_widget_grab_focus (GTK_WIDGET (eva_overview_page_get_sales_chart (page)));
      eva_chart_set_selected (eva_overview_page_get_sales_chart (page), 3);
      {
        GdkRGBA bg;
        g_autofree char *full = g_strdup_printf ("%.*s-full.png", (int) strlen (shots[i].name) - 4, shots[i].name);

        gdk_rgba_parse (&bg, shots[i].dark ? "#242424" : "#fafafa");
        save_png (window, shots[i].name);
        save_png_on (page_content (page), full, &bg);
        if (i == 0)
          {
            /* Every chart as its table. */
            g_assert_cmpuint (show_tables (GTK_WIDGET (page)), ==, 3);
            save_png_on (page_content (page), "overview-tables-light-wide-full.png", &bg);
          }
      }
      gtk_window_destroy (GTK_WINDOW (window));
    }
  {
    EvaSummaryWindow *summary = eva_summary_window_new (NULL, shop.client);

    adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
    gtk_window_set_default_size (GTK_WINDOW (summary), 900, 900);
    gtk_window_present (GTK_WINDOW (summary));
    eva_summary_window_set_range (summary, NULL, NULL);
    eva_desktop_test_wait (summary_loaded, summary, 30, "the summary");
    save_png (GTK_WIDGET (summary), "analytics-summary.png");
    gtk_window_destroy (GTK_WINDOW (summary));
  }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  eva_desktop_test_init (&argc, &argv);

  g_test_add_func ("/analytics/chart/ticks", test_chart_ticks);
  g_test_add_func ("/analytics/chart/empty", test_chart_empty);
  g_test_add_func ("/analytics/chart/one-point", test_chart_one_point);
  g_test_add_func ("/analytics/chart/huge", test_chart_huge);
  g_test_add_func ("/analytics/chart/negative", test_chart_negative);
  g_test_add_func ("/analytics/chart/keyboard", test_chart_keyboard);
  g_test_add_func ("/analytics/money-format", test_money_format);
  g_test_add_func ("/analytics/overview/live", test_overview_live);
  g_test_add_func ("/analytics/summary", test_summary_window);
  g_test_add_func ("/analytics/screenshots", test_screenshots);

  shop_open ();
  ret = g_test_run ();
  shop_close ();
  return ret;
}
