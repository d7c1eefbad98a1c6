/* fuzz-common.h: what every fuzz target shares
 *
 * A target defines LLVMFuzzerTestOneInput(); it is linked either with
 * libFuzzer (-Dfuzzing=true, scripts/everato fuzz) or with replay-main.c
 * (every other build: the `fuzz` test suite). FUZZ_CHECK() states a
 * property of the code under test; a failed one aborts, which both
 * drivers report as a crash with the input that caused it.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      { \
        fprintf (stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__, #cond); \
        abort (); \
      } \
  } G_STMT_END

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A critical warning is a precondition the product broke on this input
 * (e.g. json-glib asked for an array of what is not one): a defect,
 * whatever happens next. */
static inline void
fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_setenv ("G_MESSAGES_DEBUG", "", TRUE);
}

/* @data as a C string (cut at the first NUL, as a header or JSON string
 * reaching the code would be). Free with g_free(). */
static inline char *
fuzz_string (const uint8_t *data,
             size_t         size)
{
  return size > 0 ? g_strndup ((const char *) data, size) : g_strdup ("");
}

/* Splits @data at the first @sep: the part before as a string, the rest
 * in *rest / *rest_size. Without @sep, everything is the first part. */
static inline char *
fuzz_split (const uint8_t  *data,
            size_t          size,
            char            sep,
            const uint8_t **rest,
            size_t         *rest_size)
{
  const uint8_t *at = size > 0 ? memchr (data, sep, size) : NULL;

  if (at == NULL)
    {
      *rest = data + size;
      *rest_size = 0;
      return fuzz_string (data, size);
    }
  *rest = at + 1;
  *rest_size = size - (size_t) (at - data) - 1;
  return fuzz_string (data, (size_t) (at - data));
}
