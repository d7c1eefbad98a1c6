/* eva-json.c: strict JSON parsing and compact output over json-glib
 *
 * json-glib 1.6 is lenient in ways an API must not be: it takes comments,
 * single-quoted strings, "var x = …" assignments, trailing garbage ("[1] [2]"),
 * unknown escapes ("\x41" becomes "x41"), cuts strings at a \u0000 escape,
 * wraps integers past 64 bits (99999999999999999999 becomes -1) and turns
 * 1e400 into infinity. So every document is first checked here against the
 * RFC 8259 grammar, without recursion, and only then handed to json-glib.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-common"

#include "config.h"

#include <math.h>
#include <string.h>

#include "eva-error.h"
#include "eva-json.h"

typedef enum {
  EXPECT_VALUE,             /* at the top, after ':' or after ',' in an array */
  EXPECT_VALUE_OR_CLOSE,    /* right after '[' */
  EXPECT_KEY,               /* after ',' in an object */
  EXPECT_KEY_OR_CLOSE,      /* right after '{' */
  EXPECT_COLON,
  EXPECT_COMMA_OR_CLOSE,    /* after a value */
} ScanState;

typedef struct {
  const char *start;
  const char *p;
  const char *end;
  const char *problem;
} Scanner;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gboolean
scan_fail (Scanner    *scanner,
           const char *at,
           const char *problem)
{
  scanner->p = at;
  scanner->problem = problem;
  return FALSE;
}

static void
skip_whitespace (Scanner *scanner)
{
  while (scanner->p < scanner->end &&
         (*scanner->p == ' ' || *scanner->p == '\t' ||
          *scanner->p == '\n' || *scanner->p == '\r'))
    scanner->p++;
}

static gboolean
read_hex4 (const char *p,
           const char *end,
           gunichar   *out)
{
  gunichar value = 0;

  if (end - p < 4)
    return FALSE;

  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return FALSE;
      value = value << 4 | (gunichar) digit;
    }

  *out = value;
  return TRUE;
}

/* At a '"'; leaves the scanner after the closing quote. */
static gboolean
scan_string (Scanner *scanner)
{
  const char *p = scanner->p + 1;
  const char *end = scanner->end;

  while (p < end)
    {
      guchar c = (guchar) *p;

      if (c == '"')
        {
          scanner->p = p + 1;
          return TRUE;
        }

      if (c < 0x20)
        return scan_fail (scanner, p, "control characters in strings must be escaped");

      if (c != '\\')
        {
          p++;
          continue;
        }

      if (p + 1 >= end)
        break;

      switch (p[1])
        {
        case '"': case '\\': case '/':
        case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          break;

        case 'u':
          {
            gunichar u;
            gunichar low;

            if (!read_hex4 (p + 2, end, &u))
              return scan_fail (scanner, p, "invalid \\u escape");

            if (u == 0)
              return scan_fail (scanner, p, "\\u0000 is not allowed in strings");

            if (u >= 0xDC00 && u <= 0xDFFF)
              return scan_fail (scanner, p, "unpaired UTF-16 surrogate in \\u escape");

            if (u >= 0xD800 && u <= 0xDBFF)
              {
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
                    !read_hex4 (p + 8, end, &low) || low < 0xDC00 || low > 0xDFFF)
                  return scan_fail (scanner, p, "unpaired UTF-16 surrogate in \\u escape");
                p += 12;
              }
            else
              {
                p += 6;
              }
          }
          break;

        default:
          return scan_fail (scanner, p, "invalid escape in string");
        }
    }

  return scan_fail (scanner, scanner->p, "unterminated string");
}

/* RFC 8259 numbers; integers must fit in 64 bits, others must be finite. */
static gboolean
scan_number (Scanner *scanner)
{
  const char *start = scanner->p;
  const char *p = start;
  const char *end = scanner->end;
  const char *digits;
  gboolean negative = FALSE;
  gboolean integer = TRUE;

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }

  digits = p;
  if (p >= end || !g_ascii_isdigit (*p))
    return scan_fail (scanner, start, "invalid number");

  if (*p == '0')
    {
      p++;
      if (p < end && g_ascii_isdigit (*p))
        return scan_fail (scanner, start, "numbers must not have leading zeros");
    }
  else
    {
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  if (p < end && *p == '.')
    {
      integer = FALSE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return scan_fail (scanner, start, "invalid number");
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  if (p < end && (*p == 'e' || *p == 'E'))
    {
      integer = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return scan_fail (scanner, start, "invalid number");
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  if (integer)
    {
      gsize n = (gsize) (p - digits);
      const char *limit = negative ? "9223372036854775808" : "9223372036854775807";

      if (n > 19 || (n == 19 && memcmp (digits, limit, 19) > 0))
        return scan_fail (scanner, start, "integer out of range");
    }
  else
    {
      g_autofree char *copy = g_strndup (start, (gsize) (p - start));

      if (!isfinite (g_ascii_strtod (copy, NULL)))
        return scan_fail (scanner, start, "number out of range");
    }

  scanner->p = p;
  return TRUE;
}

static gboolean
scan_literal (Scanner *scanner)
{
  static const char *const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize len = strlen (literals[i]);

      if ((gsize) (scanner->end - scanner->p) >= len &&
          memcmp (scanner->p, literals[i], len) == 0)
        {
          scanner->p += len;
          return TRUE;
        }
    }

  return scan_fail (scanner, scanner->p, "unexpected character");
}

/* The member name between @start and @end (the quotes excluded), its
 * escapes decoded; scan_string() has already checked it. */
static char *
decode_name (const char *start,
             const char *end)
{
  GString *out;

  if (memchr (start, '\\', end - start) == NULL)
    return g_strndup (start, end - start);

  out = g_string_sized_new (end - start);
  for (const char *p = start; p < end; p++)
    {
      gunichar u = 0;

      if (*p != '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      p++;
      switch (*p)
        {
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          read_hex4 (p + 1, end, &u);
          p += 4;
          if (u >= 0xD800 && u < 0xDC00 && end - p > 6 && p[1] == '\\' && p[2] == 'u')
            {
              gunichar low;

              if (read_hex4 (p + 3, end, &low) && low >= 0xDC00 && low < 0xE000)
                {
                  u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                  p += 6;
                }
            }
          g_string_append_unichar (out, u);
          break;
        default:  /* " \ / */
          g_string_append_c (out, *p);
          break;
        }
    }
  return g_string_free (out, FALSE);
}

static void
free_name_sets (GHashTable **sets)
{
  for (guint i = 0; i < EVA_JSON_MAX_DEPTH; i++)
    g_clear_pointer (&sets[i], g_hash_table_unref);
}

/* The grammar, one token at a time (no recursion). */
static gboolean
scan_values (Scanner     *scanner,
             char        *stack,
             GHashTable **names,
             guint       *depth)
{
  ScanState state = EXPECT_VALUE;

  for (;;)
    {
      char c;

      skip_whitespace (scanner);

      if (scanner->p >= scanner->end)
        {
          if (state == EXPECT_COMMA_OR_CLOSE && (*depth) == 0)
            return TRUE;
          return scan_fail (scanner, scanner->p,
                            state == EXPECT_VALUE && (*depth) == 0 ? "empty document"
                                                               : "unexpected end of data");
        }

      c = *scanner->p;

      switch (state)
        {
        case EXPECT_VALUE_OR_CLOSE:
          if (c == ']')
            {
              scanner->p++;
              (*depth)--;
              state = EXPECT_COMMA_OR_CLOSE;
              break;
            }
          G_GNUC_FALLTHROUGH;

        case EXPECT_VALUE:
          if (c == '[' || c == '{')
            {
              if ((*depth) == EVA_JSON_MAX_DEPTH)
                return scan_fail (scanner, scanner->p, "nested too deeply");
              if (c == '{')
                {
                  if (names[*depth] == NULL)
                    names[*depth] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
                  else
                    g_hash_table_remove_all (names[*depth]);
                }
              stack[(*depth)++] = c;
              scanner->p++;
              state = c == '[' ? EXPECT_VALUE_OR_CLOSE : EXPECT_KEY_OR_CLOSE;
              break;
            }

          if (c == '"')
            {
              if (!scan_string (scanner))
                return FALSE;
            }
          else if (c == '-' || g_ascii_isdigit (c))
            {
              if (!scan_number (scanner))
                return FALSE;
            }
          else if (!scan_literal (scanner))
            {
              return FALSE;
            }

          state = EXPECT_COMMA_OR_CLOSE;
          break;

        case EXPECT_KEY_OR_CLOSE:
          if (c == '}')
            {
              scanner->p++;
              (*depth)--;
              state = EXPECT_COMMA_OR_CLOSE;
              break;
            }
          G_GNUC_FALLTHROUGH;

        case EXPECT_KEY:
          if (c != '"')
            return scan_fail (scanner, scanner->p, "expected a member name in double quotes");
          {
            const char *name_start = scanner->p;
            char *name;

            if (!scan_string (scanner))
              return FALSE;
            name = decode_name (name_start + 1, scanner->p - 1);
            if (!g_hash_table_add (names[*depth - 1], name))
              return scan_fail (scanner, name_start, "duplicate member name");
          }
          state = EXPECT_COLON;
          break;

        case EXPECT_COLON:
          if (c != ':')
            return scan_fail (scanner, scanner->p, "expected ':'");
          scanner->p++;
          state = EXPECT_VALUE;
          break;

        case EXPECT_COMMA_OR_CLOSE:
          if ((*depth) == 0)
            return scan_fail (scanner, scanner->p, "unexpected data after the document");

          if (c == ',')
            {
              scanner->p++;
              state = stack[(*depth) - 1] == '[' ? EXPECT_VALUE : EXPECT_KEY;
            }
          else if ((c == ']' && stack[(*depth) - 1] == '[') ||
                   (c == '}' && stack[(*depth) - 1] == '{'))
            {
              scanner->p++;
              (*depth)--;
            }
          else
            {
              return scan_fail (scanner, scanner->p,
                                stack[(*depth) - 1] == '[' ? "expected ',' or ']'"
                                                        : "expected ',' or '}'");
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

/* Checks @data against the JSON grammar with an explicit stack, and that
 * no object names a member twice. */
static gboolean
scan_document (Scanner *scanner)
{
  char stack[EVA_JSON_MAX_DEPTH];
  /* The member names seen so far in the object open at each depth; one
   * set a level, emptied when an object opens there. */
  GHashTable *names[EVA_JSON_MAX_DEPTH] = { NULL };
  gboolean ok;
  guint depth = 0;

  ok = scan_values (scanner, stack, names, &depth);
  free_name_sets (names);
  return ok;
}


static void
set_position_error (GError     **error,
                    const char  *start,
                    const char  *at,
                    const char  *problem)
{
  guint line = 1;
  const char *line_start = start;

  for (const char *p = start; p < at; p++)
    if (*p == '\n')
      {
        line++;
        line_start = p + 1;
      }

  g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
               "malformed JSON at line %u, column %u: %s",
               line, (guint) g_utf8_strlen (line_start, at - line_start) + 1,
               problem);
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

/**
 * eva_json_to_string:
 * @node: a JSON node
 *
 * Returns: (transfer full): @node as compact JSON text.
 */
char *
eva_json_to_string (JsonNode *node)
{
  g_autofree char *text = NULL;
  GString *out;
  gboolean in_string = FALSE;

  g_return_val_if_fail (node != NULL, NULL);

  /* json-glib 1.6 writes some control characters (U+0001, U+001F …) into
   * strings raw, and prints a double as "%.17g" with ".0" appended when
   * that has no '.', so 1e18 becomes "1e+18.0": neither is JSON. Both are
   * put right here: control characters as \u00XX, the ".0" after an
   * exponent dropped. */
  text = json_to_string (node, FALSE);
  out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p != '\0'; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            {
              g_string_append_c (out, *p++);
              g_string_append_c (out, *p);
              continue;
            }
          if (*p == '"')
            in_string = FALSE;
          else if ((guchar) *p < 0x20)
            {
              g_string_append_printf (out, "\\u%04x", (guint) (guchar) *p);
              continue;
            }
        }
      else if (*p == '"')
        in_string = TRUE;
      else if ((*p == 'e' || *p == 'E') && p != text && g_ascii_isdigit (p[-1]))
        {
          const char *q = p + 1;

          if (*q == '+' || *q == '-')
            q++;
          while (g_ascii_isdigit (*q))
            q++;
          if (q[0] == '.' && q[1] == '0' && !g_ascii_isdigit (q[2]))
            {
              g_string_append_len (out, p, q - p);
              p = q + 1;
              continue;
            }
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/**
 * eva_json_parse:
 * @data: JSON text, e.g. a request body (need not be nul-terminated if
 *   @len is given)
 * @len: the length of @data in bytes, or -1 if nul-terminated
 *
 * Parses exactly one RFC 8259 JSON value (any type at the top), surrounded
 * by optional whitespace. Refused with %EVA_ERROR_INVALID and a message
 * giving line and column: NUL bytes, invalid UTF-8 (including a BOM, which
 * is not whitespace), a \u0000 escape or an unpaired surrogate escape in any
 * string or member name, raw control characters in strings, comments,
 * single quotes, trailing commas, leading zeros, NaN/Infinity, integers
 * outside 64 bits, non-finite numbers, data after the value and nesting
 * deeper than %EVA_JSON_MAX_DEPTH, and an object that names a member twice
 * (after decoding escapes: "a" and "\\u0061" are the same name).
 *
 * Returns: (transfer full): the root node, or %NULL with @error set.
 */
JsonNode *
eva_json_parse (const char  *data,
                gssize       len,
                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  Scanner scanner;
  gsize n_bytes;
  const char *invalid;
  const char *nul;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";

  n_bytes = len < 0 ? strlen (data) : (gsize) len;

  nul = memchr (data, '\0', n_bytes);
  if (nul != NULL)
    {
      set_position_error (error, data, nul, "NUL bytes are not allowed");
      return NULL;
    }

  if (!g_utf8_validate (data, (gssize) n_bytes, &invalid))
    {
      set_position_error (error, data, invalid, "not valid UTF-8");
      return NULL;
    }

  scanner.start = data;
  scanner.p = data;
  scanner.end = data + n_bytes;
  scanner.problem = NULL;

  if (!scan_document (&scanner))
    {
      set_position_error (error, data, scanner.p, scanner.problem);
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) n_bytes, &local_error))
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "malformed JSON: %s", local_error->message);
      return NULL;
    }

  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, EVA_ERROR, EVA_ERROR_INVALID,
                   "malformed JSON: empty document");
      return NULL;
    }

  return json_parser_steal_root (parser);
}
