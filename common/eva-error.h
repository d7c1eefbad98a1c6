/* eva-error.h: the error domain shared by every Everato component
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define EVA_ERROR (eva_error_quark ())

/**
 * EvaError:
 * @EVA_ERROR_INVALID: the input is malformed or breaks a rule
 * @EVA_ERROR_NOT_FOUND: the thing asked for does not exist
 * @EVA_ERROR_CONFLICT: the request clashes with the current state
 * @EVA_ERROR_UNAUTHORIZED: the caller is not authenticated
 * @EVA_ERROR_FORBIDDEN: the caller may not do this
 * @EVA_ERROR_UNAVAILABLE: a dependency is down; retrying later may work
 * @EVA_ERROR_INTERNAL: a bug or an unexpected failure
 */
typedef enum {
  EVA_ERROR_INVALID,
  EVA_ERROR_NOT_FOUND,
  EVA_ERROR_CONFLICT,
  EVA_ERROR_UNAUTHORIZED,
  EVA_ERROR_FORBIDDEN,
  EVA_ERROR_UNAVAILABLE,
  EVA_ERROR_INTERNAL,
} EvaError;

GQuark eva_error_quark (void);

G_END_DECLS
