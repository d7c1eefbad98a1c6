/* eva-door-scanner.h: the webcam: GStreamer frames to zbar on a thread
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EVA_TYPE_DOOR_SCANNER (eva_door_scanner_get_type ())

G_DECLARE_FINAL_TYPE (EvaDoorScanner, eva_door_scanner, EVA, DOOR_SCANNER, GObject)

EvaDoorScanner *eva_door_scanner_new          (void);
GStrv           eva_door_scanner_list_cameras (void);
void            eva_door_scanner_start        (EvaDoorScanner *self,
                                               const char     *camera);
void            eva_door_scanner_stop         (EvaDoorScanner *self);
gboolean        eva_door_scanner_get_running  (EvaDoorScanner *self);
void            eva_door_scanner_set_preview  (EvaDoorScanner *self,
                                               gboolean        preview);
const char     *eva_door_scanner_get_message  (EvaDoorScanner *self);
GdkTexture     *eva_door_scanner_get_frame    (EvaDoorScanner *self);
void            eva_door_scanner_get_counts   (EvaDoorScanner *self,
                                               guint          *frames,
                                               guint          *dropped,
                                               guint          *decoded);

G_END_DECLS
