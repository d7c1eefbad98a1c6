/* replay-main.c: runs a fuzz target without libFuzzer
 *
 *   fuzz-NAME CORPUS_DIR [--dict FILE] [--runs N] [FILE…]
 *
 * Every file of CORPUS_DIR (and every FILE named) goes through
 * LLVMFuzzerTestOneInput() once, then N (default 2000) inputs made from
 * them by a fixed-seed generator: bit flips, byte inserts and deletes,
 * interesting bytes, splices of two inputs and tokens of the dictionary.
 * The same build always runs the same inputs, so the suite replays what
 * the fuzzer found (the corpus keeps every crash as crash-WHAT) and
 * a little around it, in a second or two.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLAY_MAX_SIZE 4096
#define SEED      0x45766172u   /* fixed: every run makes the same inputs */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);
int LLVMFuzzerInitialize (int    *argc,
                          char ***argv) __attribute__ ((weak));

/* ------------------------------------------------------------------ */
/* Inputs                                                             */
/* ------------------------------------------------------------------ */

static guint64 rng_state = SEED;

static guint32
rng (void)
{
  /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (guint32) ((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static guint
below (guint n)
{
  return n > 0 ? rng () % n : 0;
}

/* A libFuzzer dictionary: one "token" a line, optionally name="token",
 * with \\, \" and \xNN escapes; # starts a comment. */
static GPtrArray *
load_dict (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      exit (2);
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *p = strchr (g_strstrip (lines[i]), '"');
      g_autoptr(GByteArray) token = NULL;

      if (lines[i][0] == '#' || p == NULL)
        continue;
      token = g_byte_array_new ();
      for (p++; *p != '\0' && *p != '"'; p++)
        {
          guint8 c = (guint8) *p;

          if (*p == '\\' && p[1] == 'x' && g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3]))
            {
              c = (guint8) (g_ascii_xdigit_value (p[2]) << 4 | g_ascii_xdigit_value (p[3]));
              p += 3;
            }
          else if (*p == '\\' && p[1] != '\0')
            c = (guint8) *++p;
          g_byte_array_append (token, &c, 1);
        }
      if (token->len > 0)
        g_ptr_array_add (tokens, g_byte_array_free_to_bytes (g_steal_pointer (&token)));
    }
  return tokens;
}

static void
add_file (GPtrArray  *inputs,
          const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      exit (2);
    }
  g_ptr_array_add (inputs, g_bytes_new_take (data, len));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
add_dir (GPtrArray  *inputs,
         const char *dir_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      exit (2);
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (dir_path, name, NULL));
  /* Directory order differs between file systems; the runs must not. */
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (names->pdata[i], G_FILE_TEST_IS_REGULAR))
      add_file (inputs, names->pdata[i]);
}

static void
insert (GByteArray   *buf,
        guint         pos,
        const guint8 *data,
        guint         len)
{
  guint tail = buf->len - pos;

  g_byte_array_set_size (buf, buf->len + len);
  memmove (buf->data + pos + len, buf->data + pos, tail);
  memcpy (buf->data + pos, data, len);
}

/* One to four changes to a copy of a corpus input. */
static GByteArray *
mutate (GPtrArray *inputs,
        GPtrArray *dict)
{
  static const guint8 interesting[] = { 0, 1, 0x7f, 0x80, 0xff, '"', '\\', ',', ';', '=',
                                        '\n', '\r', '{', '}', '[', ']', ' ', '%', '-', '0' };
  GBytes *base = inputs->pdata[below (inputs->len)];
  GByteArray *buf = g_byte_array_new ();
  guint n = 1 + below (4);

  g_byte_array_append (buf, g_bytes_get_data (base, NULL), g_bytes_get_size (base));
  for (guint k = 0; k < n; k++)
    {
      guint pos = below (buf->len + 1);

      switch (below (dict != NULL && dict->len > 0 ? 8 : 7))
        {
        case 0: /* flip a bit */
          if (buf->len > 0)
            buf->data[below (buf->len)] ^= (guint8) (1u << below (8));
          break;
        case 1: /* replace a byte by an interesting one */
          if (buf->len > 0)
            buf->data[below (buf->len)] = interesting[below (G_N_ELEMENTS (interesting))];
          break;
        case 2: /* insert a random byte */
          {
            guint8 c = (guint8) rng ();

            insert (buf, pos, &c, 1);
          }
          break;
        case 3: /* delete a run */
          if (buf->len > 0)
            {
              guint at = below (buf->len);
              guint want = 1 + below (8);

              g_byte_array_remove_range (buf, at, MIN (buf->len - at, want));
            }
          break;
        case 4: /* duplicate a run */
          if (buf->len > 0)
            {
              guint at = below (buf->len);
              guint want = 1 + below (16);
              guint len = MIN (buf->len - at, want);
              g_autofree guint8 *copy = g_memdup2 (buf->data + at, len);

              insert (buf, pos, copy, len);
            }
          break;
        case 5: /* splice: our head, another input's tail */
          {
            GBytes *other = inputs->pdata[below (inputs->len)];
            gsize other_len = g_bytes_get_size (other);
            guint from = below (other_len + 1);

            g_byte_array_set_size (buf, pos);
            g_byte_array_append (buf, (const guint8 *) g_bytes_get_data (other, NULL) + from,
                                 other_len - from);
          }
          break;
        case 6: /* truncate */
          g_byte_array_set_size (buf, pos);
          break;
        default: /* a dictionary token */
          {
            GBytes *token = dict->pdata[below (dict->len)];

            insert (buf, pos, g_bytes_get_data (token, NULL), g_bytes_get_size (token));
          }
          break;
        }
    }
  if (buf->len > REPLAY_MAX_SIZE)
    g_byte_array_set_size (buf, REPLAY_MAX_SIZE);
  return buf;
}

static const guint8 *current;
static gsize current_len;

/* On a crash: the input, hex-escaped, to stderr and to
 * replay-crash-input in the working folder (only signal-safe calls). */
static void
crashed_cb (int signum)
{
  static const char hex[] = "0123456789abcdef";
  static const char head[] = "\nreplay: crashed on this input (also in replay-crash-input):\n";
  int fd = open ("replay-crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);

  if (write (STDERR_FILENO, head, sizeof head - 1) < 0)
    _exit (1);
  for (gsize i = 0; i < current_len; i++)
    {
      char esc[4] = { '\\', 'x', hex[current[i] >> 4], hex[current[i] & 0xf] };

      if (g_ascii_isprint (current[i]) && current[i] != '\\')
        (void) !write (STDERR_FILENO, &current[i], 1);
      else
        (void) !write (STDERR_FILENO, esc, 4);
    }
  (void) !write (STDERR_FILENO, "\n", 1);
  if (fd >= 0)
    {
      (void) !write (fd, current, current_len);
      close (fd);
    }
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
run_one (const guint8 *data,
         gsize         len)
{
  /* A copy of exactly @len bytes, so ASan sees any read past the end. */
  guint8 *copy = g_memdup2 (data, len);

  current = copy;
  current_len = len;
  LLVMFuzzerTestOneInput (copy, len);
  current = NULL;
  current_len = 0;
  g_free (copy);
}

/* ------------------------------------------------------------------ */
/* Main                                                               */
/* ------------------------------------------------------------------ */

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) dict = NULL;
  guint runs = 2000;
  guint n_corpus;
  gint64 start = g_get_monotonic_time ();

  signal (SIGABRT, crashed_cb);
  signal (SIGSEGV, crashed_cb);
  signal (SIGTRAP, crashed_cb);
  signal (SIGBUS, crashed_cb);
  signal (SIGFPE, crashed_cb);
  signal (SIGILL, crashed_cb);

  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--dict") && i + 1 < argc)
        dict = load_dict (argv[++i]);
      else if (g_str_equal (argv[i], "--runs") && i + 1 < argc)
        runs = (guint) strtoul (argv[++i], NULL, 10);
      else if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        add_dir (inputs, argv[i]);
      else
        add_file (inputs, argv[i]);
    }
  if (inputs->len == 0)
    {
      fprintf (stderr, "usage: %s CORPUS_DIR [--dict FILE] [--runs N] [FILE…]\n", argv[0]);
      return 2;
    }

  n_corpus = inputs->len;
  for (guint i = 0; i < n_corpus; i++)
    run_one (g_bytes_get_data (inputs->pdata[i], NULL), g_bytes_get_size (inputs->pdata[i]));
  for (guint i = 0; i < runs; i++)
    {
      g_autoptr(GByteArray) buf = mutate (inputs, dict);

      run_one (buf->data, buf->len);
    }

  printf ("%u corpus inputs and %u mutations in %.2f s\n", n_corpus, runs,
          (g_get_monotonic_time () - start) / 1e6);
  return 0;
}
