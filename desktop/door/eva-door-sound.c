/* eva-door-sound.c: a distinct sound per verdict
 *
 * The sounds are made here, not files: tones rendered to 16-bit PCM and
 * played through GStreamer (appsrc → audioconvert → audioresample →
 * autoaudiosink, or $EVERATO_DOOR_AUDIO_SINK). Admit is two rising
 * notes, a warning two equal ones, a refusal one long low buzz, so staff
 * who do not look can still tell them apart.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-door-sound"

#include "config.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <math.h>

#include "door/eva-door-sound.h"

#define RATE 22050

typedef struct
{
  double hz;          /* 0: silence */
  guint  ms;
  gboolean square;
} Note;

static const Note admit[] = { { 1046.5, 90, FALSE }, { 0, 30, FALSE }, { 1568.0, 140, FALSE } };
static const Note warn[] = { { 659.3, 150, FALSE }, { 0, 90, FALSE }, { 659.3, 150, FALSE } };
static const Note deny[] = { { 196.0, 480, TRUE } };

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */
/* ------------------------------------------------------------------ */

static gboolean
bus_message_cb (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  GstElement *pipeline = user_data;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_EOS &&
      GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) error = NULL;

      gst_message_parse_error (message, &error, NULL);
      g_debug ("sound: %s", error->message);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/* The sound's id, as the tests and the logs name it. */
const char *
eva_door_sound_get_name (EvaDoorSound sound)
{
  switch (sound)
    {
    case EVA_DOOR_SOUND_ADMIT:
      return "admit";
    case EVA_DOOR_SOUND_WARN:
      return "warn";
    case EVA_DOOR_SOUND_DENY:
      return "deny";
    case EVA_DOOR_SOUND_NONE:
    default:
      return "none";
    }
}

/* Mono S16LE samples at *@rate. */
GBytes *
eva_door_sound_render (EvaDoorSound  sound,
                       guint        *rate)
{
  const Note *notes = NULL;
  gsize n = 0;
  GByteArray *out = g_byte_array_new ();

  switch (sound)
    {
    case EVA_DOOR_SOUND_ADMIT:
      notes = admit, n = G_N_ELEMENTS (admit);
      break;
    case EVA_DOOR_SOUND_WARN:
      notes = warn, n = G_N_ELEMENTS (warn);
      break;
    case EVA_DOOR_SOUND_DENY:
      notes = deny, n = G_N_ELEMENTS (deny);
      break;
    case EVA_DOOR_SOUND_NONE:
    default:
      break;
    }
  for (gsize i = 0; i < n; i++)
    {
      guint samples = RATE * notes[i].ms / 1000;

      for (guint s = 0; s < samples; s++)
        {
          double t = (double) s / RATE;
          double v = sin (2 * G_PI * notes[i].hz * t);
          /* 5 ms fades: no clicks. */
          double env = MIN (1.0, MIN (s, samples - s) / (RATE * 0.005));
          gint16 sample;

          if (notes[i].square)
            v = v >= 0 ? 0.6 : -0.6;
          sample = notes[i].hz > 0 ? (gint16) (v * env * 0.5 * G_MAXINT16) : 0;
          sample = GINT16_TO_LE (sample);
          g_byte_array_append (out, (const guint8 *) &sample, 2);
        }
    }
  if (rate != NULL)
    *rate = RATE;
  return g_byte_array_free_to_bytes (out);
}

/* Plays @sound and returns at once. */
void
eva_door_sound_play (EvaDoorSound sound)
{
  const char *sink_name = g_getenv ("EVERATO_DOOR_AUDIO_SINK");
  g_autofree char *description = NULL;
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GstElement) src = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GBytes) pcm = NULL;
  g_autoptr(GError) error = NULL;
  guint rate;

  if (sound == EVA_DOOR_SOUND_NONE)
    return;
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  description = g_strdup_printf ("appsrc name=src format=time ! audioconvert ! audioresample ! %s",
                                 sink_name != NULL ? sink_name : "autoaudiosink");
  pipeline = gst_parse_launch (description, &error);
  if (pipeline != NULL)
    gst_object_ref_sink (pipeline);
  if (pipeline == NULL)
    {
      g_debug ("sound: %s", error->message);
      return;
    }
  pcm = eva_door_sound_render (sound, &rate);
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT, rate,
                              "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING, "interleaved", NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "caps", caps, NULL);
  gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_new_wrapped_bytes (pcm));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  /* The watch keeps the pipeline until it has played. */
  gst_bus_add_watch_full (bus, G_PRIORITY_DEFAULT, bus_message_cb, g_object_ref (pipeline),
                          gst_object_unref);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
}
