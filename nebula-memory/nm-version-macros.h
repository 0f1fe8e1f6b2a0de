/* nm-version-macros.h: visibility and availability annotations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib.h>

#include "nm-version.h"

#ifndef _NM_EXTERN
# define _NM_EXTERN __attribute__((visibility ("default"))) extern
#endif

#define NM_VERSION_1_0 (G_ENCODE_VERSION (1, 0))

#ifndef NM_VERSION_MIN_REQUIRED
# define NM_VERSION_MIN_REQUIRED NM_VERSION_1_0
#endif

#ifndef NM_VERSION_MAX_ALLOWED
# define NM_VERSION_MAX_ALLOWED (G_ENCODE_VERSION (NM_MAJOR_VERSION, NM_MINOR_VERSION))
#endif

#ifdef NM_DISABLE_DEPRECATION_WARNINGS
# define NM_DEPRECATED _NM_EXTERN
# define NM_DEPRECATED_FOR(f) _NM_EXTERN
# define NM_UNAVAILABLE(maj,min) _NM_EXTERN
#else
# define NM_DEPRECATED G_DEPRECATED _NM_EXTERN
# define NM_DEPRECATED_FOR(f) G_DEPRECATED_FOR (f) _NM_EXTERN
# define NM_UNAVAILABLE(maj,min) G_UNAVAILABLE (maj, min) _NM_EXTERN
#endif

#define NM_AVAILABLE_IN_ALL _NM_EXTERN

#if NM_VERSION_MAX_ALLOWED < NM_VERSION_1_0
# define NM_AVAILABLE_IN_1_0 NM_UNAVAILABLE (1, 0)
#else
# define NM_AVAILABLE_IN_1_0 _NM_EXTERN
#endif

#if NM_VERSION_MIN_REQUIRED >= NM_VERSION_1_0
# define NM_DEPRECATED_IN_1_0 NM_DEPRECATED
# define NM_DEPRECATED_IN_1_0_FOR(f) NM_DEPRECATED_FOR (f)
#else
# define NM_DEPRECATED_IN_1_0 _NM_EXTERN
# define NM_DEPRECATED_IN_1_0_FOR(f) _NM_EXTERN
#endif
