/* eva-ticket-preview.c: a booking's tickets as the attendee gets them
 *
 * Fetches the PDF of the booking's valid tickets
 * (GET /api/v1/admin/bookings/{id}/tickets.pdf, a page a ticket) and
 * shows its pages one under the other in a scrolled window; the header
 * bar goes to the previous or the next page and says which one shows.
 * "Save…" writes the PDF as it came to a file chosen with
 * GtkFileChooserNative (so it works inside Flatpak), under the name the
 * server suggests.
 *
 * Nothing blocks the main loop: the PDF comes through libsoup, its pages
 * are drawn with poppler-glib into cairo image surfaces in a worker
 * thread (a GTask, cancelled when the window goes away), and only the
 * finished pixels come back, as GdkTextures in GtkPictures. The file is
 * written asynchronously too.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-ticket-preview"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <poppler.h>

#include "api/eva-api-utils.h"
#include "bookings/eva-ticket-preview.h"
#include "widgets/eva-utils.h"

/* Pixels a PDF point: 1.5 × 72 = 108 dpi, sharp on a plain screen and
 * still readable when the page is shrunk to a narrow window. */
#define RENDER_SCALE 1.5
/* Pages drawn, at most (a page a ticket: more is not a booking). */
#define MAX_PAGES 200

struct _EvaTicketPreview
{
  AdwWindow             parent_instance;

  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkButton            *previous_button;
  GtkButton            *next_button;
  GtkButton            *save_button;
  GtkStack             *stack;
  AdwStatusPage        *error_page;
  GtkScrolledWindow    *scroller;
  GtkBox               *pages_box;

  EvaApiClient         *client;
  char                 *booking_id;
  char                 *subtitle;
  char                 *filename;
  char                 *error;
  GBytes               *pdf;
  GPtrArray            *textures;     /* GdkTexture, a page each */
  GPtrArray            *pictures;     /* GtkPicture, a page each */
  GCancellable         *cancellable;  /* fetching and drawing */
  GCancellable         *save_cancellable;
  GtkFileChooserNative *chooser;
  guint                 page;
  gboolean              loading;
};

G_DEFINE_FINAL_TYPE (EvaTicketPreview, eva_ticket_preview, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One page, drawn. */
typedef struct
{
  int     width;
  int     height;
  gsize   stride;
  GBytes *pixels;    /* cairo's ARGB32: GDK_MEMORY_DEFAULT */
} Page;

static void
page_free (gpointer data)
{
  Page *page = data;

  g_clear_pointer (&page->pixels, g_bytes_unref);
  g_free (page);
}

/* ------------------------------------------------------------------ */
/* Drawing (in a worker thread)                                       */
/* ------------------------------------------------------------------ */

static Page *
render_page (PopplerPage  *poppler_page,
             GError      **error)
{
  double width_pt = 0;
  double height_pt = 0;
  cairo_surface_t *surface;
  cairo_t *cr;
  Page *page;

  poppler_page_get_size (poppler_page, &width_pt, &height_pt);
  if (width_pt <= 0 || height_pt <= 0 || width_pt > 14400 || height_pt > 14400)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("A page has no size"));
      return NULL;
    }

  page = g_new0 (Page, 1);
  page->width = (int) ceil (width_pt * RENDER_SCALE);
  page->height = (int) ceil (height_pt * RENDER_SCALE);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, page->width, page->height);
  cr = cairo_create (surface);
  /* Paper is white; poppler draws only what is on it. */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_scale (cr, RENDER_SCALE, RENDER_SCALE);
  poppler_page_render (poppler_page, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("A page could not be drawn: %s"),
                   cairo_status_to_string (cairo_surface_status (surface)));
      cairo_surface_destroy (surface);
      page_free (page);
      return NULL;
    }
  page->stride = cairo_image_surface_get_stride (surface);
  /* The surface's own memory, freed with it. */
  page->pixels = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                             page->stride * page->height,
                                             (GDestroyNotify) cairo_surface_destroy, surface);
  return page;
}

static void
render_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GBytes *pdf = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func (page_free);
  PopplerDocument *document = poppler_document_new_from_bytes (pdf, NULL, &error);
  int n_pages;

  if (document == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The tickets could not be read: %s"), error->message);
      return;
    }
  n_pages = poppler_document_get_n_pages (document);
  for (int i = 0; i < MIN (n_pages, MAX_PAGES); i++)
    {
      PopplerPage *poppler_page;
      Page *page;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      poppler_page = poppler_document_get_page (document, i);
      if (poppler_page == NULL)
        continue;
      page = render_page (poppler_page, &error);
      g_object_unref (poppler_page);
      if (page == NULL)
        break;
      g_ptr_array_add (pages, page);
    }
  g_object_unref (document);

  if (g_task_return_error_if_cancelled (task))
    return;
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (pages->len == 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The PDF has no pages"));
  else
    g_task_return_pointer (task, g_steal_pointer (&pages), (GDestroyNotify) g_ptr_array_unref);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
set_loading (EvaTicketPreview *self,
             gboolean          loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
show_page_number (EvaTicketPreview *self)
{
  guint n = self->pictures->len;

  if (n > 0)
    {
      /* Translators: the page shown and how many there are, "Page 1 of 3" */
      g_autofree char *text = g_strdup_printf (_("Page %u of %u"), self->page + 1, n);

      adw_window_title_set_subtitle (self->window_title, text);
    }
  else
    adw_window_title_set_subtitle (self->window_title, self->subtitle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->previous_button), n > 0 && self->page > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), n > 0 && self->page + 1 < n);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), self->pdf != NULL && self->save_cancellable == NULL);
}

static void
show_error (EvaTicketPreview *self,
            const char       *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  adw_status_page_set_description (self->error_page, message);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

static void
clear_pages (EvaTicketPreview *self)
{
  for (guint i = 0; i < self->pictures->len; i++)
    gtk_box_remove (self->pages_box, g_ptr_array_index (self->pictures, i));
  g_ptr_array_set_size (self->pictures, 0);
  g_ptr_array_set_size (self->textures, 0);
  self->page = 0;
}

/* Where page @index starts in the scrolled content (the viewport's
 * child), or -1 before the pages have a place. */
static double
page_top (EvaTicketPreview *self,
          guint             index)
{
  GtkWidget *viewport = gtk_scrolled_window_get_child (self->scroller);
  graphene_point_t point;

  if (index >= self->pictures->len || !GTK_IS_VIEWPORT (viewport) ||
      !gtk_widget_compute_point (g_ptr_array_index (self->pictures, index),
                                 gtk_viewport_get_child (GTK_VIEWPORT (viewport)),
                                 &GRAPHENE_POINT_INIT (0, 0), &point))
    return -1;
  return point.y;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static void
rendered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  EvaTicketPreview *self = EVA_TICKET_PREVIEW (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pages = g_task_propagate_pointer (G_TASK (result), &error);

  /* Drawn for a fetch that was replaced, or a window that went away */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  set_loading (self, FALSE);
  if (pages == NULL)
    {
      show_error (self, error->message);
      show_page_number (self);
      return;
    }

  clear_pages (self);
  for (guint i = 0; i < pages->len; i++)
    {
      Page *page = g_ptr_array_index (pages, i);
      GdkTexture *texture = gdk_memory_texture_new (page->width, page->height, GDK_MEMORY_DEFAULT,
                                                    page->pixels, page->stride);
      GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
      /* Translators: the description of a page of the PDF, "Page 1" */
      g_autofree char *label = g_strdup_printf (_("Page %u"), i + 1);

      gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
      gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
      gtk_picture_set_alternative_text (GTK_PICTURE (picture), label);
      gtk_widget_set_halign (picture, GTK_ALIGN_FILL);
      gtk_widget_add_css_class (picture, "ticket-page");
      gtk_box_append (self->pages_box, picture);
      g_ptr_array_add (self->textures, texture);
      g_ptr_array_add (self->pictures, picture);
    }
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
  gtk_stack_set_visible_child_name (self->stack, "pages");
  show_page_number (self);
}

static void
pdf_fetched_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EvaTicketPreview) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *filename = NULL;
  g_autoptr(GBytes) pdf = eva_api_client_download_finish (EVA_API_CLIENT (source), result, &filename,
                                                          &error);
  g_autoptr(GTask) task = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (pdf == NULL)
    {
      set_loading (self, FALSE);
      if (g_error_matches (error, EVA_API_ERROR, EVA_API_ERROR_NOT_FOUND))
        show_error (self, _("This booking has no valid tickets."));
      else
        show_error (self, error->message);
      show_page_number (self);
      return;
    }

  g_clear_pointer (&self->pdf, g_bytes_unref);
  self->pdf = g_bytes_ref (pdf);
  g_free (self->filename);
  self->filename = g_steal_pointer (&filename);
  show_page_number (self);

  task = g_task_new (self, self->cancellable, rendered_cb, NULL);
  g_task_set_source_tag (task, pdf_fetched_cb);
  g_task_set_task_data (task, g_bytes_ref (pdf), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, render_thread);
}

static void
scrolled_cb (EvaTicketPreview *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  /* The page that fills the upper third of the view is the one shown. */
  double mark = gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) / 3;
  guint page = 0;

  for (guint i = 1; i < self->pictures->len; i++)
    {
      double top = page_top (self, i);

      if (top >= 0 && top <= mark)
        page = i;
    }
  if (gtk_adjustment_get_value (adj) >= gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) - 1 &&
      self->pictures->len > 0 && gtk_adjustment_get_upper (adj) > gtk_adjustment_get_page_size (adj))
    page = self->pictures->len - 1;
  if (page != self->page)
    {
      self->page = page;
      show_page_number (self);
    }
}

static void
previous_clicked_cb (EvaTicketPreview *self)
{
  if (self->page > 0)
    eva_ticket_preview_go_to_page (self, self->page - 1);
}

static void
next_clicked_cb (EvaTicketPreview *self)
{
  eva_ticket_preview_go_to_page (self, self->page + 1);
}

static void
file_written_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EvaTicketPreview) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->save_cancellable);
  if (self->toast_overlay == NULL)
    return;
  show_page_number (self);
  name = g_file_get_basename (G_FILE (source));
  if (error != NULL)
    /* Translators: the file's name, then why it could not be written */
    message = g_strdup_printf (_("The tickets could not be saved to “%s”: %s"), name, error->message);
  else
    /* Translators: %s is the name of the file the tickets went to */
    message = g_strdup_printf (_("Tickets saved to “%s”"), name);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  EvaTicketPreview *self = user_data;
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->chooser);
  if (file != NULL)
    eva_ticket_preview_save_to_file (self, file);
}

static gboolean
page_shortcut_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  EvaTicketPreview *self = EVA_TICKET_PREVIEW (widget);
  int step = g_variant_get_int32 (args);

  if (step < 0)
    previous_clicked_cb (self);
  else
    next_clicked_cb (self);
  return TRUE;
}

static gboolean
save_shortcut_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  eva_ticket_preview_save (EVA_TICKET_PREVIEW (widget));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_ticket_preview_dispose (GObject *object)
{
  EvaTicketPreview *self = EVA_TICKET_PREVIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->save_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->save_cancellable);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_clear_pointer (&self->pictures, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), EVA_TYPE_TICKET_PREVIEW);
  g_clear_pointer (&self->textures, g_ptr_array_unref);
  g_clear_pointer (&self->pdf, g_bytes_unref);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (eva_ticket_preview_parent_class)->dispose (object);
}

static void
eva_ticket_preview_finalize (GObject *object)
{
  EvaTicketPreview *self = EVA_TICKET_PREVIEW (object);

  g_free (self->booking_id);
  g_free (self->subtitle);
  g_free (self->filename);
  g_free (self->error);

  G_OBJECT_CLASS (eva_ticket_preview_parent_class)->finalize (object);
}

static void
eva_ticket_preview_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EvaTicketPreview *self = EVA_TICKET_PREVIEW (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_ticket_preview_class_init (EvaTicketPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = eva_ticket_preview_dispose;
  object_class->finalize = eva_ticket_preview_finalize;
  object_class->get_property = eva_ticket_preview_get_property;

  /* Fetching the PDF or drawing its pages. */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/eva-ticket-preview.ui");
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, window_title);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, previous_button);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, next_button);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, save_button);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, stack);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, error_page);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, scroller);
  gtk_widget_class_bind_template_child (widget_class, EvaTicketPreview, pages_box);
  gtk_widget_class_bind_template_callback (widget_class, eva_ticket_preview_reload);
  gtk_widget_class_bind_template_callback (widget_class, eva_ticket_preview_save);
  gtk_widget_class_bind_template_callback (widget_class, previous_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, next_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Page_Up, GDK_CONTROL_MASK, page_shortcut_cb, "i", -1);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Page_Down, GDK_CONTROL_MASK, page_shortcut_cb, "i", 1);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, save_shortcut_cb, NULL);
}

static void
eva_ticket_preview_init (EvaTicketPreview *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->textures = g_ptr_array_new_with_free_func (g_object_unref);
  self->pictures = g_ptr_array_new ();
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                           G_CALLBACK (scrolled_cb), self, G_CONNECT_SWAPPED);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_ticket_preview_new:
 * @subtitle: (nullable): who booked, shown under the title until the
 *   pages are there
 *
 * A window that fetches and shows the PDF of the booking's tickets.
 */
GtkWindow *
eva_ticket_preview_new (GtkWindow    *parent,
                        EvaApiClient *client,
                        const char   *booking_id,
                        const char   *subtitle)
{
  EvaTicketPreview *self;

  g_return_val_if_fail (EVA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (booking_id != NULL, NULL);

  self = g_object_new (EVA_TYPE_TICKET_PREVIEW, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->booking_id = g_strdup (booking_id);
  self->subtitle = g_strdup (subtitle);
  show_page_number (self);
  eva_ticket_preview_reload (self);
  return GTK_WINDOW (self);
}

/* Fetches the PDF again and draws it. */
void
eva_ticket_preview_reload (EvaTicketPreview *self)
{
  g_return_if_fail (EVA_IS_TICKET_PREVIEW (self));

  if (self->client == NULL)
    return;
  eva_cancellable_renew (&self->cancellable);
  g_clear_pointer (&self->error, g_free);
  set_loading (self, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  eva_api_client_tickets_pdf_async (self->client, self->booking_id, NULL, self->cancellable,
                                    pdf_fetched_cb, g_object_ref (self));
}

gboolean
eva_ticket_preview_get_loading (EvaTicketPreview *self)
{
  g_return_val_if_fail (EVA_IS_TICKET_PREVIEW (self), FALSE);
  return self->loading;
}

/* Why there is nothing to show, as the window says, or NULL. */
const char *
eva_ticket_preview_get_error (EvaTicketPreview *self)
{
  g_return_val_if_fail (EVA_IS_TICKET_PREVIEW (self), NULL);
  return self->error;
}

guint
eva_ticket_preview_get_n_pages (EvaTicketPreview *self)
{
  g_return_val_if_fail (EVA_IS_TICKET_PREVIEW (self), 0);
  return self->textures->len;
}

/**
 * eva_ticket_preview_get_texture:
 *
 * Returns: (transfer none) (nullable): the pixels of page @page (from 0)
 */
GdkTexture *
eva_ticket_preview_get_texture (EvaTicketPreview *self,
                                guint             page)
{
  g_return_val_if_fail (EVA_IS_TICKET_PREVIEW (self), NULL);
  return page < self->textures->len ? g_ptr_array_index (self->textures, page) : NULL;
}

/* The page shown (from 0). */
guint
eva_ticket_preview_get_page (EvaTicketPreview *self)
{
  g_return_val_if_fail (EVA_IS_TICKET_PREVIEW (self), 0);
  return self->page;
}

/* Scrolls to the top of page @page (from 0). */
void
eva_ticket_preview_go_to_page (EvaTicketPreview *self,
                               guint             page)
{
  GtkAdjustment *adj;
  double top;

  g_return_if_fail (EVA_IS_TICKET_PREVIEW (self));

  if (page >= self->pictures->len)
    return;
  adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  top = page_top (self, page);
  /* The gap above the page stays in view. */
  if (top >= 0)
    gtk_adjustment_set_value (adj, MAX (0, top - gtk_box_get_spacing (self->pages_box)));
  self->page = page;
  show_page_number (self);
}

/**
 * eva_ticket_preview_get_pdf:
 *
 * Returns: (transfer none) (nullable): the PDF as it came
 */
GBytes *
eva_ticket_preview_get_pdf (EvaTicketPreview *self)
{
  g_return_val_if_fail (EVA_IS_TICKET_PREVIEW (self), NULL);
  return self->pdf;
}

/* Asks where to save the PDF, then writes it there. */
void
eva_ticket_preview_save (EvaTicketPreview *self)
{
  g_autoptr(GtkFileFilter) filter = NULL;

  g_return_if_fail (EVA_IS_TICKET_PREVIEW (self));

  if (self->pdf == NULL || self->save_cancellable != NULL)
    return;
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  self->chooser = gtk_file_chooser_native_new (_("Save Tickets"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PDF Documents"));
  gtk_file_filter_add_mime_type (filter, "application/pdf");
  gtk_file_filter_add_suffix (filter, "pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  /* Translators: the file name suggested when the server says none */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser),
                                     self->filename != NULL ? self->filename : _("tickets.pdf"));
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Writes the PDF to @file; a toast says how it went. */
void
eva_ticket_preview_save_to_file (EvaTicketPreview *self,
                                 GFile            *file)
{
  g_return_if_fail (EVA_IS_TICKET_PREVIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->pdf == NULL || self->save_cancellable != NULL)
    return;
  self->save_cancellable = g_cancellable_new ();
  show_page_number (self);
  g_file_replace_contents_bytes_async (file, self->pdf, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                       self->save_cancellable, file_written_cb, g_object_ref (self));
}

gboolean
eva_ticket_preview_get_saving (EvaTicketPreview *self)
{
  g_return_val_if_fail (EVA_IS_TICKET_PREVIEW (self), FALSE);
  return self->save_cancellable != NULL;
}
