/* main.c: everato-server command line
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "everato"

#include "config.h"

#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "app/eva-cli.h"

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  /* Rendering a ticket mail allocates and frees the same few hundred
   * kilobytes again and again (zlib's deflate state, PDF buffers). Keep
   * freed memory for reuse instead of handing it back to the kernel and
   * faulting it in again: a third of the render time otherwise. */
  mallopt (M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  return eva_cli_main (argc, argv);
}
