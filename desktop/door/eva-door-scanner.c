/* eva-door-scanner.c: the webcam: GStreamer frames to zbar on a thread
 *
 *   camera (v4l2src, pipewiresrc, or $EVERATO_CAMERA_PIPELINE)
 *     → videoconvert → GRAY8 → appsink (one buffer, older ones dropped)
 *
 * The appsink's streaming thread hands each frame to the decoder thread
 * through a single slot: while zbar is busy a new frame is dropped, so
 * nothing queues up. Frames to show go to the main loop the same way (at
 * most one waiting), expanded to RGB for a GdkMemoryTexture (GDK 4.8 has
 * no grey format). A decoded code reaches the main loop as the "code"
 * signal with the monotonic time its frame entered the appsink, which is
 * where the benchmark (bench/door-scan) starts its clock.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-door-scanner"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>
#include <zbar.h>

#include "door/eva-door-scanner.h"

#define SINK_CAPS "video/x-raw,format=GRAY8"
#define DISPLAY_WIDTH_MAX 640
/* After a code, zbar rests this long: the code is still in view, and the
 * verdict it leads to wants the processor. */
#define REST_AFTER_CODE_US (400 * 1000)

typedef struct
{
  guint8 *data;
  int     width;
  int     height;
  gint64  entered_us;
} Frame;

struct _EvaDoorScanner
{
  GObject     parent_instance;

  GstElement *pipeline;
  guint       bus_watch;
  char       *message;
  gboolean    running;
  GdkTexture *frame;

  /* Shared with the threads, under lock */
  GMutex      lock;
  GCond       cond;
  GThread    *decoder;
  Frame      *slot;          /* the frame waiting for zbar */
  gboolean    busy;          /* zbar is working on one */
  gboolean    quit;
  gboolean    display_pending;
  gboolean    preview;       /* frames go to the screen */
  gint64      rest_until;    /* no decoding before (monotonic µs) */
  guint       frames;
  guint       dropped;
  guint       decoded;
  GWeakRef    weak;
};

G_DEFINE_TYPE (EvaDoorScanner, eva_door_scanner, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MESSAGE,
  PROP_RUNNING,
  N_PROPS
};

enum {
  SIGNAL_CODE,
  SIGNAL_FRAME,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void
frame_free (Frame *frame)
{
  if (frame != NULL)
    g_free (frame->data);
  g_free (frame);
}

static void
set_message (EvaDoorScanner *self,
             const char     *message)
{
  if (g_strcmp0 (self->message, message) == 0)
    return;
  g_free (self->message);
  self->message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

static void
set_running (EvaDoorScanner *self,
             gboolean        running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

typedef struct
{
  GWeakRef weak;
  char    *code;
  GBytes  *pixels;
  int      width;
  int      height;
  gint64   entered_us;
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *d = data;

  g_weak_ref_clear (&d->weak);
  g_free (d->code);
  g_clear_pointer (&d->pixels, g_bytes_unref);
  g_free (d);
}

static Delivery *
delivery_new (EvaDoorScanner *self)
{
  Delivery *d = g_new0 (Delivery, 1);
  g_autoptr(GObject) strong = g_weak_ref_get (&self->weak);

  g_weak_ref_init (&d->weak, strong);
  return d;
}

static gboolean
deliver_code_cb (gpointer data)
{
  Delivery *d = data;
  g_autoptr(EvaDoorScanner) self = g_weak_ref_get (&d->weak);

  if (self != NULL)
    g_signal_emit (self, signals[SIGNAL_CODE], 0, d->code, d->entered_us);
  return G_SOURCE_REMOVE;
}

static gboolean
deliver_frame_cb (gpointer data)
{
  Delivery *d = data;
  g_autoptr(EvaDoorScanner) self = g_weak_ref_get (&d->weak);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  g_mutex_lock (&self->lock);
  self->display_pending = FALSE;
  g_mutex_unlock (&self->lock);
  if (!self->running)
    return G_SOURCE_REMOVE;
  g_clear_object (&self->frame);
  self->frame = gdk_memory_texture_new (d->width, d->height, GDK_MEMORY_R8G8B8, d->pixels, (gsize) d->width * 3);
  g_signal_emit (self, signals[SIGNAL_FRAME], 0, self->frame);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Threads                                                            */
/* ------------------------------------------------------------------ */

static gpointer
decoder_thread (gpointer data)
{
  EvaDoorScanner *self = data;
  zbar_image_scanner_t *zbar = zbar_image_scanner_create ();

  /* QR codes only: the other symbologies cost time and misread noise. */
  zbar_image_scanner_set_config (zbar, 0, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (zbar, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);

  g_mutex_lock (&self->lock);
  for (;;)
    {
      Frame *frame;
      zbar_image_t *image;

      while (self->slot == NULL && !self->quit)
        g_cond_wait (&self->cond, &self->lock);
      if (self->quit)
        break;
      frame = g_steal_pointer (&self->slot);
      self->busy = TRUE;
      g_mutex_unlock (&self->lock);

      image = zbar_image_create ();
      zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
      zbar_image_set_size (image, frame->width, frame->height);
      zbar_image_set_data (image, frame->data, (unsigned long) frame->width * frame->height, NULL);
      if (zbar_scan_image (zbar, image) > 0)
        {
          for (const zbar_symbol_t *sym = zbar_image_first_symbol (image); sym != NULL;
               sym = zbar_symbol_next (sym))
            {
              Delivery *d = delivery_new (self);

              d->code = g_strndup (zbar_symbol_get_data (sym), zbar_symbol_get_data_length (sym));
              g_strstrip (d->code);
              d->entered_us = frame->entered_us;
              g_main_context_invoke_full (NULL, G_PRIORITY_HIGH, deliver_code_cb, d, delivery_free);
            }
          g_atomic_int_inc (&self->decoded);
          g_mutex_lock (&self->lock);
          self->rest_until = g_get_monotonic_time () + REST_AFTER_CODE_US;
          g_mutex_unlock (&self->lock);
        }
      zbar_image_destroy (image);
      frame_free (frame);

      g_mutex_lock (&self->lock);
      self->busy = FALSE;
    }
  g_mutex_unlock (&self->lock);
  zbar_image_scanner_destroy (zbar);
  return NULL;
}

/* The appsink's streaming thread. */
static GstFlowReturn
new_sample_cb (GstAppSink *sink,
               gpointer    user_data)
{
  EvaDoorScanner *self = user_data;
  gint64 entered_us = g_get_monotonic_time ();
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstVideoInfo info;
  GstVideoFrame vframe;
  gboolean take, show;

  if (sample == NULL)
    return GST_FLOW_EOS;
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (&vframe, &info, gst_sample_get_buffer (sample), GST_MAP_READ))
    return GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  self->frames++;
  take = !self->busy && entered_us >= self->rest_until;
  if (!take)
    self->dropped++;
  show = self->preview && !self->display_pending;
  if (show)
    self->display_pending = TRUE;
  g_mutex_unlock (&self->lock);

  if (take || show)
    {
      int w = GST_VIDEO_FRAME_WIDTH (&vframe);
      int h = GST_VIDEO_FRAME_HEIGHT (&vframe);
      int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&vframe, 0);
      const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (&vframe, 0);
      guint8 *gray = g_malloc ((gsize) w * h);

      for (int y = 0; y < h; y++)
        memcpy (gray + (gsize) y * w, src + (gsize) y * stride, w);

      if (show)
        {
          /* The picture on screen needs no more than 640 pixels across:
           * every other pixel of a bigger frame, four times less to
           * expand and to draw. */
          int step = w > DISPLAY_WIDTH_MAX ? (w + DISPLAY_WIDTH_MAX - 1) / DISPLAY_WIDTH_MAX : 1;
          int dw = w / step, dh = h / step;
          Delivery *d = delivery_new (self);
          guint8 *rgb = g_malloc ((gsize) dw * dh * 3);
          guint8 *out = rgb;

          for (int y = 0; y < dh; y++)
            {
              const guint8 *row = gray + (gsize) y * step * w;

              for (int x = 0; x < dw; x++, out += 3)
                out[0] = out[1] = out[2] = row[x * step];
            }
          d->pixels = g_bytes_new_take (rgb, (gsize) dw * dh * 3);
          d->width = dw;
          d->height = dh;
          g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT_IDLE, deliver_frame_cb, d, delivery_free);
        }

      if (take)
        {
          Frame *frame = g_new0 (Frame, 1);

          frame->data = gray;
          frame->width = w;
          frame->height = h;
          frame->entered_us = entered_us;
          g_mutex_lock (&self->lock);
          frame_free (self->slot);
          self->slot = frame;
          g_cond_signal (&self->cond);
          g_mutex_unlock (&self->lock);
        }
      else
        g_free (gray);
    }
  gst_video_frame_unmap (&vframe);
  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static gboolean
bus_message_cb (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  EvaDoorScanner *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *debug = NULL;

        gst_message_parse_error (message, &error, &debug);
        g_debug ("camera: %s (%s)", error->message, debug);
        if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY) ||
            (debug != NULL && strstr (debug, "busy") != NULL))
          set_message (self, _("The camera is in use by another application. Close it, or choose another camera."));
        else if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND) ||
                 g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ) ||
                 g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE))
          set_message (self, _("The camera cannot be opened. Check that it is connected."));
        else
          set_message (self, error->message);
        eva_door_scanner_stop (self);
        break;
      }
    case GST_MESSAGE_EOS:
      set_message (self, _("The camera stopped sending pictures."));
      eva_door_scanner_stop (self);
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */
/* ------------------------------------------------------------------ */

static void
eva_door_scanner_dispose (GObject *object)
{
  EvaDoorScanner *self = EVA_DOOR_SCANNER (object);

  eva_door_scanner_stop (self);
  if (self->decoder != NULL)
    {
      g_mutex_lock (&self->lock);
      self->quit = TRUE;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->lock);
      g_thread_join (g_steal_pointer (&self->decoder));
    }
  g_clear_object (&self->frame);
  G_OBJECT_CLASS (eva_door_scanner_parent_class)->dispose (object);
}

static void
eva_door_scanner_finalize (GObject *object)
{
  EvaDoorScanner *self = EVA_DOOR_SCANNER (object);

  frame_free (self->slot);
  g_free (self->message);
  g_weak_ref_clear (&self->weak);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (eva_door_scanner_parent_class)->finalize (object);
}

static void
eva_door_scanner_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EvaDoorScanner *self = EVA_DOOR_SCANNER (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eva_door_scanner_class_init (EvaDoorScannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eva_door_scanner_dispose;
  object_class->finalize = eva_door_scanner_finalize;
  object_class->get_property = eva_door_scanner_get_property;

  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvaDoorScanner::code:
   * @code: the text of a QR code in view
   * @entered_us: g_get_monotonic_time() when its frame entered the appsink
   */
  signals[SIGNAL_CODE] = g_signal_new ("code", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
  signals[SIGNAL_FRAME] = g_signal_new ("frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, GDK_TYPE_TEXTURE);
}

static void
eva_door_scanner_init (EvaDoorScanner *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_weak_ref_init (&self->weak, self);
  self->preview = TRUE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

EvaDoorScanner *
eva_door_scanner_new (void)
{
  return g_object_new (EVA_TYPE_DOOR_SCANNER, NULL);
}

static GList *
video_sources (void)
{
  g_autoptr(GstDeviceMonitor) monitor = gst_device_monitor_new ();
  GList *devices;

  gst_device_monitor_add_filter (monitor, "Video/Source", NULL);
  if (!gst_device_monitor_start (monitor))
    return NULL;
  devices = gst_device_monitor_get_devices (monitor);
  gst_device_monitor_stop (monitor);
  return devices;
}

/* The names of the cameras present (empty with a test pipeline). */
GStrv
eva_door_scanner_list_cameras (void)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  GList *devices;

  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
  if (g_getenv ("EVERATO_CAMERA_PIPELINE") != NULL)
    return g_strv_builder_end (names);
  devices = video_sources ();
  for (GList *l = devices; l != NULL; l = l->next)
    {
      g_autofree char *name = gst_device_get_display_name (l->data);

      g_strv_builder_add (names, name);
    }
  g_list_free_full (devices, gst_object_unref);
  return g_strv_builder_end (names);
}

/* Starts @camera (a name of eva_door_scanner_list_cameras(), or NULL for
 * the first); $EVERATO_CAMERA_PIPELINE, when set, is the source instead
 * (a gst-launch description ending in raw video, e.g.
 * "multifilesrc location=f%d.png loop=true caps=image/png,framerate=10/1 ! pngdec"). */
void
eva_door_scanner_start (EvaDoorScanner *self,
                        const char     *camera)
{
  const char *description = g_getenv ("EVERATO_CAMERA_PIPELINE");
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) source = NULL;
  GstElement *convert, *sink;
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstBus) bus = NULL;
  GstAppSinkCallbacks callbacks = { 0 };

  g_return_if_fail (EVA_IS_DOOR_SCANNER (self));

  eva_door_scanner_stop (self);
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  if (description != NULL)
    {
      source = gst_parse_bin_from_description (description, TRUE, &error);
      if (source == NULL)
        {
          set_message (self, error->message);
          return;
        }
    }
  else
    {
      GList *devices = video_sources ();
      GstDevice *chosen = NULL;

      for (GList *l = devices; l != NULL && camera != NULL; l = l->next)
        {
          g_autofree char *name = gst_device_get_display_name (l->data);

          if (g_strcmp0 (name, camera) == 0)
            chosen = l->data;
        }
      if (chosen == NULL && devices != NULL)
        chosen = devices->data;
      if (chosen != NULL)
        source = gst_device_create_element (chosen, NULL);
      g_list_free_full (devices, gst_object_unref);
      if (source == NULL)
        {
          set_message (self, _("No camera found. Connect a camera, or scan with a USB scanner or search by name."));
          return;
        }
    }
  if (source != NULL)
    g_object_ref_sink (source);

  self->pipeline = gst_pipeline_new ("door-camera");
  convert = gst_element_factory_make ("videoconvert", NULL);
  sink = gst_element_factory_make ("appsink", "sink");
  callbacks.new_sample = new_sample_cb;
  caps = gst_caps_from_string (SINK_CAPS);
  g_object_set (sink, "caps", caps, "max-buffers", 1, "drop", TRUE, "sync", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, self, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), source, convert, sink, NULL);
  if (!gst_element_link_many (source, convert, sink, NULL))
    {
      set_message (self, _("The camera's pictures cannot be read."));
      gst_clear_object (&self->pipeline);
      return;
    }

  if (self->decoder == NULL)
    {
      self->quit = FALSE;
      self->decoder = g_thread_new ("eva-zbar", decoder_thread, self);
    }
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, bus_message_cb, self);
  set_message (self, NULL);
  set_running (self, TRUE);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      /* The bus has the reason. */
      g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

      if (message != NULL)
        bus_message_cb (bus, message, self);
      else
        {
          set_message (self, _("The camera cannot be started."));
          eva_door_scanner_stop (self);
        }
    }
}

void
eva_door_scanner_stop (EvaDoorScanner *self)
{
  g_return_if_fail (EVA_IS_DOOR_SCANNER (self));

  if (self->pipeline != NULL)
    {
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      gst_clear_object (&self->pipeline);
    }
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  set_running (self, FALSE);
}

gboolean
eva_door_scanner_get_running (EvaDoorScanner *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_SCANNER (self), FALSE);
  return self->running;
}

const char *
eva_door_scanner_get_message (EvaDoorScanner *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_SCANNER (self), NULL);
  return self->message;
}

GdkTexture *
eva_door_scanner_get_frame (EvaDoorScanner *self)
{
  g_return_val_if_fail (EVA_IS_DOOR_SCANNER (self), NULL);
  return self->frame;
}

void
eva_door_scanner_get_counts (EvaDoorScanner *self,
                             guint          *frames,
                             guint          *dropped,
                             guint          *decoded)
{
  g_mutex_lock (&self->lock);
  *frames = self->frames;
  *dropped = self->dropped;
  *decoded = g_atomic_int_get (&self->decoded);
  g_mutex_unlock (&self->lock);
}

/* Whether frames are sent to the screen (not while a verdict covers it:
 * the work would only delay the verdict). */
void
eva_door_scanner_set_preview (EvaDoorScanner *self,
                              gboolean        preview)
{
  g_return_if_fail (EVA_IS_DOOR_SCANNER (self));

  g_mutex_lock (&self->lock);
  self->preview = preview;
  g_mutex_unlock (&self->lock);
}
