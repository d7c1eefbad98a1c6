/* test-json.c: strict JSON parsing and compact output
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-json"

#include "config.h"

#include <string.h>

#include "eva-common.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Parses @text and checks that it prints back as @compact. */
static void
assert_parses (const char *text,
               const char *compact)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = eva_json_parse (text, -1, &error);
  g_autofree char *printed = NULL;

  if (node == NULL)
    g_error ("“%s” was rejected: %s", text, error->message);

  printed = eva_json_to_string (node);
  g_assert_cmpstr (printed, ==, compact);
}

static void
assert_rejected_len (const char *text,
                     gssize      len,
                     const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = eva_json_parse (text, len, &error);

  if (node != NULL)
    g_error ("“%s” was accepted", text);
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  if (message_part != NULL && strstr (error->message, message_part) == NULL)
    g_error ("“%s”: message “%s” lacks “%s”", text, error->message, message_part);
}

static void
assert_rejected (const char *text,
                 const char *message_part)
{
  assert_rejected_len (text, -1, message_part);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_valid (void)
{
  assert_parses ("{}", "{}");
  assert_parses ("[]", "[]");
  assert_parses (" { \"a\" : [ 1 , 2 , { } ] , \"b\" : null }\r\n\t", "{\"a\":[1,2,{}],\"b\":null}");
  assert_parses ("\"top-level string\"", "\"top-level string\"");
  assert_parses ("42", "42");
  assert_parses ("true", "true");
  assert_parses ("false", "false");
  assert_parses ("null", "null");
  assert_parses ("-0", "0");
  assert_parses ("[0, -1, 10, 2.5, -2.5e-1]", "[0,-1,10,2.5,-0.25]");
  assert_parses ("[9223372036854775807, -9223372036854775808]",
                 "[9223372036854775807,-9223372036854775808]");
  assert_parses ("9007199254740993", "9007199254740993");
  assert_parses ("[1e2, 1E+2, 1e-400]", "[100.0,100.0,0.0]");
  assert_parses ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\"");
  assert_parses ("\"\\u00e9\\u20AC\"", "\"é€\"");
  assert_parses ("\"\\ud83d\\ude00\"", "\"😀\"");
  assert_parses ("\"😀 ünïcödé\"", "\"😀 ünïcödé\"");
  assert_parses ("\"\\u0001\"", "\"\\u0001\"");
  /* An escaped backslash followed by "u0000" is just text. */
  assert_parses ("\"\\\\u0000\"", "\"\\\\u0000\"");
  assert_parses ("\"\x7f\"", "\"\\u007f\"");
  /* The same name in different objects, or as a value, is fine. */
  assert_parses ("[{\"a\":1},{\"a\":2}]", "[{\"a\":1},{\"a\":2}]");
  assert_parses ("{\"a\":{\"a\":{\"a\":\"a\"}},\"b\":[{\"a\":1}]}",
                 "{\"a\":{\"a\":{\"a\":\"a\"}},\"b\":[{\"a\":1}]}");
  assert_parses ("{\"\\ud83d\\ude00\":1,\"😁\":2}", "{\"😀\":1,\"😁\":2}");
}

static void
test_duplicate_names (void)
{
  g_autoptr(GString) many = g_string_new ("{");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  gint64 started;

  assert_rejected ("{\"a\":1,\"a\":2}", "duplicate member name");
  assert_rejected ("{\"a\":1,\"b\":2,\"a\":null}", "duplicate member name");
  /* Names are compared after decoding escapes. */
  assert_rejected ("{\"a\":1,\"\\u0061\":2}", "duplicate member name");
  assert_rejected ("{\"\\ud83d\\ude00\":1,\"😀\":2}", "duplicate member name");
  assert_rejected ("{\"x\":{\"k\":1,\"k\":1}}", "duplicate member name");
  assert_rejected ("[{\"k\":1},{\"k\":1,\"j\":2,\"k\":3}]", "duplicate member name");
  /* The position named is the second occurrence. */
  assert_rejected ("{\"a\":1,\n \"a\":2}", "line 2, column 2");

  /* A body of 20,000 distinct names is taken, and the same with one
   * repeat at the end is refused. */
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (many, "%s\"k%u\":%u", i > 0 ? "," : "", i, i);
  started = g_get_monotonic_time ();
  g_string_append_c (many, '}');
  node = eva_json_parse (many->str, (gssize) many->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (node)), ==, 20000);
  g_clear_pointer (&node, json_node_unref);
  g_string_truncate (many, many->len - 1);
  g_string_append (many, ",\"k0\":1}");
  node = eva_json_parse (many->str, (gssize) many->len, &error);
  g_assert_null (node);
  g_assert_error (error, EVA_ERROR, EVA_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "duplicate member name"));
  g_test_message ("20,000 names checked in %.1f ms",
                  (g_get_monotonic_time () - started) / 1000.0);
}

static void
test_nul (void)
{
  /* \u0000 escapes anywhere in a string or member name. */
  assert_rejected ("\"a\\u0000b\"", "\\u0000 is not allowed");
  assert_rejected ("{\"na\\u0000me\": 1}", "\\u0000 is not allowed");
  assert_rejected ("[\"ok\", {\"k\": [\"\\u0000\"]}]", "\\u0000 is not allowed");
  assert_rejected ("\"\\\\\\u0000\"", "\\u0000 is not allowed");

  /* Literal NUL bytes, in strings or between tokens. */
  assert_rejected_len ("\"a\0b\"", 5, "NUL bytes");
  assert_rejected_len ("[1,\0 2]", 7, "NUL bytes");
  assert_rejected_len ("{}\0", 3, "NUL bytes");

  /* With an explicit length, bytes past it are not looked at. */
  {
    g_autoptr(JsonNode) node = eva_json_parse ("[1]\0garbage", 3, NULL);
    g_autoptr(JsonNode) node2 = eva_json_parse ("[1][2]", 3, NULL);

    g_assert_nonnull (node);
    g_assert_nonnull (node2);
  }
}

static void
test_invalid_utf8 (void)
{
  assert_rejected ("\"\xff\"", "not valid UTF-8");
  assert_rejected ("\"\xc0\xaf\"", "not valid UTF-8");        /* overlong */
  assert_rejected ("\"\xed\xa0\x80\"", "not valid UTF-8");    /* CESU surrogate */
  assert_rejected ("\"\xf4\x90\x80\x80\"", "not valid UTF-8"); /* > U+10FFFF */
  assert_rejected ("{\"\xe9t\xe9\": 1}", "not valid UTF-8");  /* Latin-1 */
  assert_rejected ("\"abc\xc3\"", "not valid UTF-8");          /* cut short */
  assert_rejected ("\xef\xbb\xbf{}", "unexpected character");  /* BOM */

  /* Escapes that would decode to invalid UTF-8. */
  assert_rejected ("\"\\ud800\"", "unpaired");
  assert_rejected ("\"\\udc00\"", "unpaired");
  assert_rejected ("\"\\ud800\\u0041\"", "unpaired");
  assert_rejected ("\"\\ud800x\"", "unpaired");
  assert_rejected ("\"\\ude00\\ud83d\"", "unpaired");
}

/* Everything json-glib 1.6 would let through but RFC 8259 does not. */
static void
test_strict (void)
{
  static const char *const bad[] = {
    "", " ", "\n\t ", "/* comment */ 1", "// comment\n1", "[1] // x",
    "{'a': 1}", "['a']", "var x = 1;", "x = 1", "[1] [2]", "{} {}", "1 2",
    "[1,]", "{\"a\":1,}", "[,1]", "[1,,2]", "01", "-01", "00", "1.", ".5",
    "+1", "-", "1e", "1e+", "1.e3", "0x10", "NaN", "-NaN", "Infinity",
    "-Infinity", "[\"\\x41\"]", "[\"\\a\"]", "[\"\\U0041\"]", "[\"\\u12\"]",
    "[\"\\u12G4\"]", "[\"\\", "\"abc", "[\"abc]", "{a: 1}", "{\"a\" 1}",
    "{\"a\":}", "{\"a\"}", "{1: 2}", "{\"a\":1 \"b\":2}", "[1 2]", "tru",
    "nul", "True", "NULL", "nulll", "[", "]", "{", "}", "[}", "{]", "[[]",
    "[]]", "\"tab\there\"", "\"new\nline\"", "\"cr\rhere\"", "\"\x1f\"",
    "99999999999999999999", "9223372036854775808", "-9223372036854775809",
    "1e400", "-1e400", "[1e999]", "\x0c{}", "\xc2\xa0{}", "'str'", "()",
    "undefined",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_rejected (bad[i], NULL);
}

static void
test_error_position (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  node = eva_json_parse ("{\n  \"price\": 01\n}", -1, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==,
                   "malformed JSON at line 2, column 12: numbers must not have leading zeros");
  g_clear_error (&error);

  node = eva_json_parse ("{\"é\": tru}", -1, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==, "malformed JSON at line 1, column 7: unexpected character");
  g_clear_error (&error);

  node = eva_json_parse ("[1, 2", -1, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==, "malformed JSON at line 1, column 6: unexpected end of data");
  g_clear_error (&error);

  node = eva_json_parse ("", -1, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==, "malformed JSON at line 1, column 1: empty document");
  g_clear_error (&error);

  node = eva_json_parse ("{\"a\":1}x", -1, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==,
                   "malformed JSON at line 1, column 8: unexpected data after the document");
}

static void
test_depth (void)
{
  g_autoptr(GString) ok = g_string_new (NULL);
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) mixed = g_string_new (NULL);
  g_autoptr(GString) hostile = g_string_new (NULL);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < EVA_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, '[');
  for (guint i = 0; i < EVA_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, ']');
  node = eva_json_parse (ok->str, (gssize) ok->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);

  for (guint i = 0; i < EVA_JSON_MAX_DEPTH + 1; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < EVA_JSON_MAX_DEPTH + 1; i++)
    g_string_append_c (deep, ']');
  assert_rejected_len (deep->str, (gssize) deep->len, "nested too deeply");

  for (guint i = 0; i < EVA_JSON_MAX_DEPTH; i++)
    g_string_append (mixed, i % 2 == 0 ? "{\"k\":" : "[");
  g_string_append (mixed, "{}");
  for (guint i = EVA_JSON_MAX_DEPTH; i > 0; i--)
    g_string_append (mixed, (i - 1) % 2 == 0 ? "}" : "]");
  assert_rejected_len (mixed->str, (gssize) mixed->len, "nested too deeply");

  /* A million brackets: refused quickly, no stack overflow. */
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (hostile, '[');
  assert_rejected_len (hostile->str, (gssize) hostile->len, "nested too deeply");
}

static void
test_large (void)
{
  g_autoptr(GString) array = g_string_new ("[");
  g_autoptr(GString) big_string = g_string_new ("\"");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) string_node = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 200000; i++)
    g_string_append_printf (array, "%s{\"id\":%u,\"name\":\"item %u\"}", i > 0 ? "," : "", i, i);
  g_string_append_c (array, ']');

  node = eva_json_parse (array->str, (gssize) array->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 200000);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_node_get_array (node), 199999), "id"), ==, 199999);

  for (guint i = 0; i < 1000000; i++)
    g_string_append (big_string, "é\\n");
  g_string_append_c (big_string, '"');
  string_node = eva_json_parse (big_string->str, (gssize) big_string->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (json_node_get_string (string_node)), ==, 3000000);
}

static void
test_to_string (void)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "quote\"and\\slash");
  json_builder_add_string_value (builder, "line\nbreak\ttab\x01 ctrl é 😀");
  json_builder_set_member_name (builder, "n");
  json_builder_add_int_value (builder, G_MININT64);
  json_builder_set_member_name (builder, "list");
  json_builder_begin_array (builder);
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_add_null_value (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  text = eva_json_to_string (root);
  g_assert_null (strchr (text, '\n'));
  g_assert_null (strstr (text, ": "));

  /* What we print, we parse back to the same thing. */
  back = eva_json_parse (text, -1, NULL);
  g_assert_nonnull (back);
  g_assert_true (json_node_equal (root, back));
  again = eva_json_to_string (back);
  g_assert_cmpstr (again, ==, text);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/valid", test_valid);
  g_test_add_func ("/json/duplicate-names", test_duplicate_names);
  g_test_add_func ("/json/nul", test_nul);
  g_test_add_func ("/json/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/json/strict", test_strict);
  g_test_add_func ("/json/error-position", test_error_position);
  g_test_add_func ("/json/depth", test_depth);
  g_test_add_func ("/json/large", test_large);
  g_test_add_func ("/json/to-string", test_to_string);

  return g_test_run ();
}
