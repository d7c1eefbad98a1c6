/* eva-static.c: the attendee web site's files
 *
 * web/ is compiled into the binary as a GResource; EVERATO_WEB_DIR serves a
 * folder instead, for working on the site without rebuilding. Files from a
 * folder are read on GLib's worker threads, never on the HTTP thread.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-static"

#include "config.h"

#include <gio/gio.h>

#include "site/eva-static.h"

#define RESOURCE_ROOT "/org/everato/web"

typedef struct
{
  GBytes *bytes;
  char   *etag;
  GBytes *gzipped;        /* NULL when not worth compressing */
  char   *gzipped_etag;
} StaticFile;

static GHashTable *resource_cache;   /* path → StaticFile, resources never change */
static GMutex resource_lock;

static const struct { const char *suffix; const char *type; } content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".json", "application/json" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/x-icon" },
  { ".webp", "image/webp" },
  { ".woff2", "font/woff2" },
  { ".txt", "text/plain; charset=utf-8" },
  { ".webmanifest", "application/manifest+json" },
};

static const char *
content_type_for (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (path, content_types[i].suffix))
      return content_types[i].type;
  return "application/octet-stream";
}

static char *
make_etag (GBytes *bytes)
{
  guint8 hash[16];
  char hex[33];

  crypto_generichash (hash, sizeof hash, g_bytes_get_data (bytes, NULL),
                      g_bytes_get_size (bytes), NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup_printf ("\"%s\"", hex);
}

/* Text is sent gzipped to clients that take it; below this size the
 * header costs more than it saves. */
#define GZIP_MIN_SIZE 512

static gboolean
compressible (const char *type,
              GBytes     *bytes)
{
  return g_bytes_get_size (bytes) >= GZIP_MIN_SIZE &&
         (g_str_has_prefix (type, "text/") || g_str_has_prefix (type, "application/json") ||
          g_str_has_prefix (type, "image/svg+xml") ||
          g_str_has_prefix (type, "application/manifest+json"));
}

static GBytes *
gzip_bytes (GBytes *bytes)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  /* In memory, so these cannot fail. */
  g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
  g_output_stream_close (out, NULL, NULL);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

/* The gzipped variant's validator: the plain one with a suffix. */
static char *
gzip_etag (const char *etag)
{
  return g_strdup_printf ("%.*s-gz\"", (int) strlen (etag) - 1, etag);
}

/* Whether Accept-Encoding takes gzip (and not with q=0). */
gboolean
eva_static_accepts_gzip (EvaRequest *req)
{
  const char *header = eva_request_header (req, "Accept-Encoding");
  g_auto(GStrv) codings = NULL;

  if (header == NULL)
    return FALSE;
  codings = g_strsplit (header, ",", -1);
  for (guint i = 0; codings[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (codings[i], ";", 2);
      char *name = g_strstrip (parts[0]);

      if (g_ascii_strcasecmp (name, "gzip") != 0)
        continue;
      if (parts[1] != NULL)
        {
          char *q = g_strstrip (parts[1]);

          if (g_str_has_prefix (q, "q=") && g_ascii_strtod (q + 2, NULL) <= 0.0)
            return FALSE;
        }
      return TRUE;
    }
  return FALSE;
}

static void
static_file_free (StaticFile *file)
{
  g_bytes_unref (file->bytes);
  g_free (file->etag);
  g_clear_pointer (&file->gzipped, g_bytes_unref);
  g_free (file->gzipped_etag);
  g_free (file);
}

/* Decodes and checks a request path; NULL when it tries to leave the root. */
static char *
clean_path (const char *path)
{
  g_autofree char *decoded = g_uri_unescape_string (path, "/");
  g_auto(GStrv) parts = NULL;

  if (decoded == NULL || decoded[0] != '/' || strchr (decoded, '\\') != NULL)
    return NULL;
  parts = g_strsplit (decoded + 1, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (parts[i], "..") || g_str_equal (parts[i], ".") ||
        (parts[i][0] == '.' && parts[i][1] != '\0'))
      return NULL;

  return g_steal_pointer (&decoded);
}

gboolean
eva_static_path_is_clean (const char *path)
{
  g_autofree char *clean = clean_path (path);

  return clean != NULL;
}

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
            "img-src 'self' data:; connect-src 'self'; font-src 'self'; " \
            "object-src 'none'; base-uri 'self'; form-action 'self'; " \
            "frame-ancestors 'none'"

/* Pages, scripts, styles and translations revalidate every time (the ETag
 * makes that a cheap 304), so a new version is never mixed with an old
 * one; images and fonts may be kept for a day. */
static gboolean
revalidates (const char *type)
{
  return g_str_has_prefix (type, "text/") || g_str_has_prefix (type, "application/json");
}

/* @gzipped and @gzipped_etag: a ready compressed variant, or NULL to
 * compress here when the client takes gzip. */
static void
reply_with_etag (EvaRequest *req,
                 guint       status,
                 const char *type,
                 GBytes     *bytes,
                 const char *etag,
                 const char *if_none_match,
                 gboolean    gzip_ok,
                 GBytes     *gzipped,
                 const char *gzipped_etag,
                 const char *vary,
                 const char *cache_control)
{
  g_autoptr(GBytes) body = g_bytes_ref (bytes);
  g_autofree char *validator = g_strdup (etag);

  if (cache_control == NULL)
    cache_control = revalidates (type) ? "no-cache" : "public, max-age=86400";
  eva_request_add_header (req, "X-Content-Type-Options", "nosniff");
  eva_request_add_header (req, "Referrer-Policy", "same-origin");
  eva_request_add_header (req, "Cache-Control", cache_control);
  if (g_str_has_prefix (type, "text/html"))
    {
      eva_request_add_header (req, "Content-Security-Policy", CSP);
      eva_request_add_header (req, "X-Frame-Options", "DENY");
    }

  if (!compressible (type, bytes))
    {
      /* A cache keeps variants apart by these even for a small body. */
      if (vary != NULL)
        eva_request_add_header (req, "Vary", vary);
    }
  else
    {
      g_autofree char *value = g_strconcat ("Accept-Encoding", vary != NULL ? ", " : "", vary, NULL);

      eva_request_add_header (req, "Vary", value);
      if (gzip_ok)
        {
          g_bytes_unref (body);
          body = gzipped != NULL ? g_bytes_ref (gzipped) : gzip_bytes (bytes);
          g_free (validator);
          validator = gzipped_etag != NULL ? g_strdup (gzipped_etag) : gzip_etag (etag);
          eva_request_add_header (req, "Content-Encoding", "gzip");
        }
    }

  if (status == 200)
    {
      eva_request_add_header (req, "ETag", validator);
      if (if_none_match != NULL && strstr (if_none_match, validator) != NULL)
        {
          eva_request_reply_empty (req, 304);
          return;
        }
    }

  eva_request_reply_raw (req, status, type, body);
}

void
eva_static_reply_html (EvaRequest *req,
                       guint       status,
                       GBytes     *body,
                       const char *if_none_match,
                       gboolean    gzip_ok,
                       const char *vary,
                       const char *cache_control)
{
  g_autofree char *etag = make_etag (body);

  reply_with_etag (req, status, "text/html; charset=utf-8", body, etag, if_none_match,
                   gzip_ok, NULL, NULL, vary, cache_control);
}

static void
reply_file (EvaRequest *req,
            const char *path,
            StaticFile *file)
{
  reply_with_etag (req, 200, content_type_for (path), file->bytes, file->etag,
                   eva_request_header (req, "If-None-Match"),
                   eva_static_accepts_gzip (req), file->gzipped, file->gzipped_etag, NULL, NULL);
}

GBytes *
eva_static_resource (const char *path)
{
  g_autofree char *resource = g_strconcat (RESOURCE_ROOT "/", path, NULL);

  return g_resources_lookup_data (resource, 0, NULL);
}

typedef struct
{
  EvaRequest *req;
  char       *file;           /* in the folder */
  char       *path;           /* as requested, for the content type */
  char       *if_none_match;
  gboolean    gzip_ok;
  EvaStaticNotFound not_found_blocking;
} FolderRead;

static void
folder_read_free (gpointer data)
{
  FolderRead *read = data;

  eva_request_unref (read->req);
  g_free (read->file);
  g_free (read->path);
  g_free (read->if_none_match);
  g_free (read);
}

/* On a GLib worker thread: the file, or the not-found page. */
static void
read_file_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  FolderRead *read = task_data;
  char *contents;
  gsize len;

  if (!g_file_test (read->file, G_FILE_TEST_IS_REGULAR) ||
      !g_file_get_contents (read->file, &contents, &len, NULL))
    read->not_found_blocking (read->req);
  else
    {
      g_autoptr(GBytes) bytes = g_bytes_new_take (contents, len);
      g_autofree char *etag = make_etag (bytes);

      reply_with_etag (read->req, 200, content_type_for (read->path), bytes, etag,
                       read->if_none_match, read->gzip_ok, NULL, NULL, NULL, NULL);
    }
  g_task_return_boolean (task, TRUE);
}

static void
read_file_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  FolderRead *read = g_task_get_task_data (G_TASK (result));

  eva_request_finish (read->req);
}

void
eva_static_serve (EvaRequest        *req,
                  EvaStaticNotFound  not_found,
                  EvaStaticNotFound  not_found_blocking)
{
  EvaConfig *config = eva_request_get_config (req);
  g_autofree char *path = NULL;
  StaticFile *file;

  path = clean_path (req->path);
  if (path == NULL)
    {
      not_found (req);
      return;
    }

  /* The page templates are only served composed. */
  if (g_str_equal (path, "/layout.html") || g_str_has_prefix (path, "/pages/"))
    {
      not_found (req);
      return;
    }

  if (config->web_dir != NULL)
    {
      FolderRead *read = g_new0 (FolderRead, 1);
      GTask *task = g_task_new (NULL, NULL, read_file_done_cb, NULL);

      read->req = eva_request_ref (req);
      read->file = g_build_filename (config->web_dir, path, NULL);
      read->path = g_strdup (path);
      read->if_none_match = g_strdup (eva_request_header (req, "If-None-Match"));
      read->gzip_ok = eva_static_accepts_gzip (req);
      read->not_found_blocking = not_found_blocking;
      g_task_set_task_data (task, read, folder_read_free);
      req->pending = TRUE;
      soup_server_message_pause (req->msg);
      g_task_run_in_thread (task, read_file_thread);
      g_object_unref (task);
      return;
    }

  g_mutex_lock (&resource_lock);
  if (resource_cache == NULL)
    resource_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) static_file_free);
  file = g_hash_table_lookup (resource_cache, path);
  if (file == NULL)
    {
      g_autofree char *resource = g_strconcat (RESOURCE_ROOT, path, NULL);
      GBytes *bytes = g_resources_lookup_data (resource, 0, NULL);

      if (bytes != NULL)
        {
          file = g_new0 (StaticFile, 1);
          file->bytes = bytes;
          file->etag = make_etag (bytes);
          if (compressible (content_type_for (path), bytes))
            {
              file->gzipped = gzip_bytes (bytes);
              file->gzipped_etag = gzip_etag (file->etag);
            }
          g_hash_table_insert (resource_cache, g_strdup (path), file);
        }
    }
  g_mutex_unlock (&resource_lock);

  if (file == NULL)
    not_found (req);
  else
    reply_file (req, path, file);
}
