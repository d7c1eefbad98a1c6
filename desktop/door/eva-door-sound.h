/* eva-door-sound.h: a distinct sound per verdict
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  EVA_DOOR_SOUND_NONE,
  EVA_DOOR_SOUND_ADMIT,     /* green: two rising notes */
  EVA_DOOR_SOUND_WARN,      /* amber: two equal mid notes */
  EVA_DOOR_SOUND_DENY,      /* red: one long low buzz */
} EvaDoorSound;

const char *eva_door_sound_get_name (EvaDoorSound  sound);
GBytes     *eva_door_sound_render   (EvaDoorSound  sound,
                                     guint        *rate);
void        eva_door_sound_play     (EvaDoorSound  sound);

G_END_DECLS
