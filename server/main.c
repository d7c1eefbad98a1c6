/* main.c: everato-server command line
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "everato"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "app/eva-cli.h"

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  return eva_cli_main (argc, argv);
}
