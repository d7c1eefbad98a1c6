/* eva-mail-template.c: the mail templates in server/mail/templates/
 *
 * Each mail is two files compiled in as a GResource: NAME.txt, whose first
 * line is "Subject: …" followed by a blank line and the plain-text body,
 * and NAME.html, the HTML body. The bodies are wrapped in layout.txt and
 * layout.html at {{{body}}}. The syntax is small on purpose:
 *
 *   {{name}}                a payload value (HTML-escaped in .html files);
 *                           a missing value is an error, not a blank
 *   {{_("Hello {name},")}}  a translatable string: translated by the
 *                           recipient's locale, then {name} filled in
 *                           (escaped in .html); the C-string syntax lets
 *                           xgettext extract it (po/POTFILES.in)
 *   {{#name}}…{{/name}}     only when name is set and not empty
 *   {{^name}}…{{/name}}     only when name is missing or empty
 *   {{#list}}…{{/list}}     once per object of the array list, with the
 *                           object's members in scope (then the outer
 *                           values); {{^list}} when the array is empty
 *   {{/_* comment *_/}}     (a C comment without the underscores) dropped,
 *                           with the newline after it; a "TRANSLATORS:"
 *                           comment reaches the .pot file
 *
 * lang (the BCP 47 tag of the catalog used) and subject are always set.
 * Since xgettext reads these files as C, an ASCII apostrophe outside a
 * {{_("…")}} string would confuse it: write ’ in the markup instead.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-mail"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "eva-common.h"
#include "mail/eva-i18n.h"
#include "mail/eva-mail-private.h"

#define TEMPLATE_PREFIX "/org/everato/server/mail/"
#define NAME_MAX_LEN    64

typedef struct _Render Render;

struct _Render
{
  const char *file;        /* for error messages */
  const char *locale;
  JsonObject *payload;
  const char *lang;
  const char *subject;
  const char *body;        /* for {{{body}}} in a layout */
  gboolean    html;
  Render     *outer;       /* inside a list section: the enclosing scope */
};

/* ------------------------------------------------------------------ */
/* Values                                                             */
/* ------------------------------------------------------------------ */

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

static gboolean
valid_name (const char *name,
            gsize       len)
{
  if (len == 0 || len > NAME_MAX_LEN || !g_ascii_isalpha (name[0]))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!is_name_char (name[i]))
      return FALSE;
  return TRUE;
}

/* The text of a value, or NULL when it is missing or not a scalar. */
static char *
lookup (Render     *r,
        const char *name,
        gsize       len)
{
  g_autofree char *key = g_strndup (name, len);
  JsonNode *node;

  if (g_str_equal (key, "lang"))
    return g_strdup (r->lang);
  if (g_str_equal (key, "subject") && r->subject != NULL)
    return g_strdup (r->subject);

  node = r->payload != NULL ? json_object_get_member (r->payload, key) : NULL;
  if (node == NULL && r->outer != NULL)
    return lookup (r->outer, name, len);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];

        return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
      }
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    default:
      return NULL;
    }
}

/* The array @name, in this scope or an outer one, or NULL. */
static JsonArray *
lookup_array (Render     *r,
              const char *name)
{
  for (; r != NULL; r = r->outer)
    {
      JsonNode *node = r->payload != NULL ? json_object_get_member (r->payload, name) : NULL;

      if (node != NULL)
        return JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
    }
  return NULL;
}

static void
append_escaped (Render     *r,
                GString    *out,
                const char *text,
                gssize      len)
{
  if (len < 0)
    len = strlen (text);

  if (!r->html)
    {
      g_string_append_len (out, text, len);
      return;
    }

  for (gssize i = 0; i < len; i++)
    switch (text[i])
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\'': g_string_append (out, "&#39;"); break;
      default: g_string_append_c (out, text[i]); break;
      }
}

static gboolean
fail (GError     **error,
      Render      *r,
      const char  *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError     **error,
      Render      *r,
      const char  *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "template %s: %s", r->file, message);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                          */
/* ------------------------------------------------------------------ */

/* A translated string with {name} references filled in. */
static gboolean
append_translated (Render      *r,
                   GString     *out,
                   const char  *text,
                   GError     **error)
{
  const char *p = text;

  while (*p != '\0')
    {
      const char *open = strchr (p, '{');
      const char *close;
      g_autofree char *value = NULL;

      if (open == NULL)
        {
          append_escaped (r, out, p, -1);
          break;
        }
      append_escaped (r, out, p, open - p);

      close = open + 1;
      while (is_name_char (*close))
        close++;
      if (*close != '}' || !valid_name (open + 1, close - open - 1))
        {
          /* Not a reference: a literal brace. */
          append_escaped (r, out, open, 1);
          p = open + 1;
          continue;
        }

      value = lookup (r, open + 1, close - open - 1);
      if (value == NULL)
        return fail (error, r, "no value for {%.*s} in \"%s\"",
                     (int) (close - open - 1), open + 1, text);
      append_escaped (r, out, value, -1);
      p = close + 1;
    }

  return TRUE;
}

/* {{_("…")}} at @p (just after "{{_(\""): unescapes the C string. */
static const char *
parse_string (Render      *r,
              const char  *p,
              const char  *end,
              GString     *msgid,
              GError     **error)
{
  while (p < end && *p != '"')
    {
      if (*p == '\\' && p + 1 < end)
        {
          p++;
          switch (*p)
            {
            case 'n': g_string_append_c (msgid, '\n'); break;
            case 't': g_string_append_c (msgid, '\t'); break;
            case '"': case '\\': g_string_append_c (msgid, *p); break;
            default:
              fail (error, r, "unsupported escape \\%c", *p);
              return NULL;
            }
          p++;
        }
      else if (*p == '\n')
        {
          fail (error, r, "a translatable string runs past the end of the line");
          return NULL;
        }
      else
        g_string_append_c (msgid, *p++);
    }

  if (end - p < 4 || strncmp (p, "\")}}", 4) != 0)
    {
      fail (error, r, "a translatable string must end with \")}}");
      return NULL;
    }
  return p + 4;
}

static const char *
find (const char *p,
      const char *end,
      const char *needle)
{
  gsize n = strlen (needle);

  for (; p + n <= end; p++)
    if (memcmp (p, needle, n) == 0)
      return p;
  return NULL;
}

static gboolean
render (Render      *r,
        const char  *p,
        const char  *end,
        GString     *out,
        GError     **error)
{
  while (p < end)
    {
      const char *open = find (p, end, "{{");
      const char *close;

      if (open == NULL)
        {
          g_string_append_len (out, p, end - p);
          break;
        }
      g_string_append_len (out, p, open - p);
      p = open + 2;

      if (g_str_has_prefix (p, "{body}}}"))
        {
          if (r->body == NULL)
            return fail (error, r, "{{{body}}} outside a layout");
          g_string_append (out, r->body);
          p += strlen ("{body}}}");
        }
      else if (g_str_has_prefix (p, "/*"))
        {
          close = find (p, end, "*/}}");
          if (close == NULL)
            return fail (error, r, "unterminated comment");
          p = close + 4;
          if (p < end && *p == '\n')
            p++;
        }
      else if (g_str_has_prefix (p, "_(\""))
        {
          g_autoptr(GString) msgid = g_string_new (NULL);

          p = parse_string (r, p + 3, end, msgid, error);
          if (p == NULL ||
              !append_translated (r, out, eva_i18n_gettext (r->locale, msgid->str), error))
            return FALSE;
        }
      else if (*p == '#' || *p == '^')
        {
          gboolean invert = *p == '^';
          g_autofree char *name = NULL;
          g_autofree char *closing = NULL;
          g_autofree char *value = NULL;
          const char *section_end;
          JsonArray *list;

          close = find (p, end, "}}");
          if (close == NULL || !valid_name (p + 1, close - p - 1))
            return fail (error, r, "bad section tag");
          name = g_strndup (p + 1, close - p - 1);
          closing = g_strconcat ("{{/", name, "}}", NULL);
          section_end = find (close + 2, end, closing);
          if (section_end == NULL)
            return fail (error, r, "section %s is not closed", name);

          list = lookup_array (r, name);
          if (list != NULL && !invert)
            {
              for (guint i = 0; i < json_array_get_length (list); i++)
                {
                  Render inner = *r;

                  inner.payload = json_array_get_object_element (list, i);
                  inner.outer = r;
                  if (inner.payload != NULL &&
                      !render (&inner, close + 2, section_end, out, error))
                    return FALSE;
                }
              p = section_end + strlen (closing);
              continue;
            }
          if (list != NULL)
            value = g_strdup (json_array_get_length (list) > 0 ? "yes" : "");
          else
            value = lookup (r, name, strlen (name));
          if ((value != NULL && *value != '\0') != invert &&
              !render (r, close + 2, section_end, out, error))
            return FALSE;
          p = section_end + strlen (closing);
        }
      else
        {
          g_autofree char *value = NULL;

          close = find (p, end, "}}");
          if (close == NULL || !valid_name (p, close - p))
            return fail (error, r, "bad placeholder near \"%.20s\"", open);
          value = lookup (r, p, close - p);
          if (value == NULL)
            return fail (error, r, "no value for {{%.*s}}", (int) (close - p), p);
          append_escaped (r, out, value, -1);
          p = close + 2;
        }
    }

  return TRUE;
}

static GBytes *
load (const char  *file,
      GError     **error)
{
  g_autofree char *path = g_strconcat (TEMPLATE_PREFIX, file, NULL);
  GBytes *bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  if (bytes == NULL)
    g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "no mail template %s", file);
  return bytes;
}

typedef enum
{
  PART_WHOLE,
  PART_SUBJECT,    /* after "Subject: " up to the end of the first line */
  PART_BODY,       /* after the first blank line */
} Part;

static char *
render_file (Render      *r,
             const char  *file,
             Part         part,
             GError     **error)
{
  g_autoptr(GBytes) bytes = load (file, error);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *data, *end, *found;
  gsize size;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  end = data + size;
  if (!g_utf8_validate (data, size, NULL))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "template %s is not UTF-8", file);
      return NULL;
    }

  if (part == PART_SUBJECT)
    {
      found = memchr (data, '\n', size);
      if (!g_str_has_prefix (data, "Subject: ") || found == NULL)
        {
          g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL,
                       "template %s must start with a Subject: line", file);
          return NULL;
        }
      data += strlen ("Subject: ");
      end = found;
    }
  else if (part == PART_BODY)
    {
      found = find (data, end, "\n\n");
      if (found == NULL)
        {
          g_set_error (error, EVA_ERROR, EVA_ERROR_INTERNAL, "template %s has no body", file);
          return NULL;
        }
      data = found + 2;
    }

  r->file = file;
  if (!render (r, data, end, out, error))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------------ */
/* Private API                                                        */
/* ------------------------------------------------------------------ */

gboolean
eva_mail_template_exists (const char *name)
{
  g_autofree char *txt = NULL;
  g_autofree char *html = NULL;

  if (name == NULL || !valid_name (name, strlen (name)) ||
      g_str_equal (name, "layout"))
    return FALSE;

  txt = g_strconcat (TEMPLATE_PREFIX, name, ".txt", NULL);
  html = g_strconcat (TEMPLATE_PREFIX, name, ".html", NULL);
  return g_resources_get_info (txt, 0, NULL, NULL, NULL) &&
         g_resources_get_info (html, 0, NULL, NULL, NULL);
}

gboolean
_eva_mail_template_render (const char  *name,
                           const char  *locale,
                           JsonObject  *payload,
                           char       **subject,
                           char       **text,
                           char       **html,
                           GError     **error)
{
  Render r = { .locale = locale, .payload = payload, .lang = eva_i18n_language (locale) };
  g_autofree char *txt_file = g_strconcat (name, ".txt", NULL);
  g_autofree char *html_file = g_strconcat (name, ".html", NULL);
  g_autofree char *subject_out = NULL;
  g_autofree char *body = NULL;
  g_autofree char *text_out = NULL;
  g_autofree char *html_out = NULL;

  if (!eva_mail_template_exists (name))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID, "no mail template \"%s\"", name);
      return FALSE;
    }

  /* The subject: the first line of NAME.txt, on one line whatever the
   * values hold. */
  subject_out = render_file (&r, txt_file, PART_SUBJECT, error);
  if (subject_out == NULL)
    return FALSE;
  for (char *c = subject_out; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      *c = ' ';
  r.subject = g_strstrip (subject_out);

  body = render_file (&r, txt_file, PART_BODY, error);
  if (body == NULL)
    return FALSE;
  r.body = g_strstrip (body);
  text_out = render_file (&r, "layout.txt", PART_WHOLE, error);
  if (text_out == NULL)
    return FALSE;

  r.body = NULL;
  r.html = TRUE;
  g_clear_pointer (&body, g_free);
  body = render_file (&r, html_file, PART_WHOLE, error);
  if (body == NULL)
    return FALSE;
  r.body = body;
  html_out = render_file (&r, "layout.html", PART_WHOLE, error);
  if (html_out == NULL)
    return FALSE;

  *subject = g_strdup (r.subject);
  *text = g_steal_pointer (&text_out);
  *html = g_steal_pointer (&html_out);
  return TRUE;
}
