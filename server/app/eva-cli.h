/* eva-cli.h: the everato-server subcommands
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int eva_cli_main (int    argc,
                  char **argv);

G_END_DECLS
