/* eva-log.c: structured logging (text or JSON lines)
 *
 * Everything goes through GLib's structured log. The writer prints either a
 * human line or one JSON object a line (EVERATO_LOG_FORMAT=json) with every
 * field, e.g. REQUEST_ID, STATUS and DURATION_MS on access lines.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-log"

#include "config.h"

#include <stdio.h>

#include "core/eva-log.h"

#define BUFFER_LIMIT (64 * 1024)
#define FLUSH_INTERVAL_MS 200

static EvaLogFormat log_format;
static G_LOCK_DEFINE (output);
static GString *pending;   /* info lines not yet written, guarded by output */

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "message";
  if (level & G_LOG_LEVEL_INFO)
    return "info";
  return "debug";
}

static void
append_json_string (GString    *out,
                    const char *value,
                    gssize      len)
{
  g_string_append_c (out, '"');
  for (gssize i = 0; len < 0 ? value[i] != '\0' : i < len; i++)
    {
      guchar c = value[i];

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

static void
flush_locked (void)
{
  if (pending == NULL || pending->len == 0)
    return;
  fwrite (pending->str, 1, pending->len, stderr);
  fflush (stderr);
  g_string_truncate (pending, 0);
}

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  const char *message = "";
  const char *domain = "everato";

  if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                 G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO)) &&
      g_getenv ("G_MESSAGES_DEBUG") == NULL)
    return G_LOG_WRITER_HANDLED;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
      else if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
    }

  if (log_format == EVA_LOG_JSON)
    {
      g_string_append (out, "{\"time\":");
      append_json_string (out, stamp, -1);
      g_string_append (out, ",\"level\":");
      append_json_string (out, level_name (level), -1);
      g_string_append (out, ",\"domain\":");
      append_json_string (out, domain, -1);
      g_string_append (out, ",\"message\":");
      append_json_string (out, message, -1);
      for (gsize i = 0; i < n_fields; i++)
        {
          g_autofree char *key = NULL;

          if (g_str_equal (fields[i].key, "MESSAGE") ||
              g_str_equal (fields[i].key, "GLIB_DOMAIN") ||
              g_str_equal (fields[i].key, "PRIORITY") ||
              g_str_has_prefix (fields[i].key, "CODE_"))
            continue;
          key = g_ascii_strdown (fields[i].key, -1);
          g_string_append_c (out, ',');
          append_json_string (out, key, -1);
          g_string_append_c (out, ':');
          append_json_string (out, fields[i].value, fields[i].length);
        }
      g_string_append (out, "}\n");
    }
  else
    g_string_append_printf (out, "%s %-7s %s: %s\n", stamp, level_name (level), domain, message);

  /* Access lines (info) are written in batches: one write(2) per request
   * costs the hot path dearly. Anything more serious goes out at once,
   * after whatever is pending, so the order is kept. */
  G_LOCK (output);
  if (level & G_LOG_LEVEL_INFO)
    {
      if (pending == NULL)
        pending = g_string_sized_new (BUFFER_LIMIT);
      g_string_append_len (pending, out->str, out->len);
      if (pending->len >= BUFFER_LIMIT)
        flush_locked ();
    }
  else
    {
      flush_locked ();
      fputs (out->str, stderr);
      fflush (stderr);
    }
  G_UNLOCK (output);

  return G_LOG_WRITER_HANDLED;
}

static gboolean
flush_cb (gpointer user_data)
{
  eva_log_flush ();
  return G_SOURCE_CONTINUE;
}

void
eva_log_flush (void)
{
  G_LOCK (output);
  flush_locked ();
  G_UNLOCK (output);
}

void
eva_log_init (EvaLogFormat format)
{
  log_format = format;
  g_log_set_writer_func (writer, NULL, NULL);
}

guint
eva_log_start_flushing (void)
{
  return g_timeout_add (FLUSH_INTERVAL_MS, flush_cb, NULL);
}
