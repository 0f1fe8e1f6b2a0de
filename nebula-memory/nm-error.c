/* nm-error.c: error domains of nebula-memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-error.h"

/**
 * SECTION:nm-error
 * @Title: Errors
 * @Short_description: error domains for allocation and configuration
 *
 * Allocation failures are reported in %NM_ALLOCATOR_ERROR, configuration
 * problems in %NM_CONFIG_ERROR. Messages say what was asked, the state of
 * the allocator and what to do about it:
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * gpointer mem = nm_allocator_alloc (alloc, 512, 8, &error);
 *
 * if (mem == NULL)
 *   g_warning ("%s", error->message);
 *   // Bump allocator “request-arena” cannot allocate 512 bytes (alignment 8):
 *   // 3.8 MB of 4.0 MB used (95.2 %). Raise capacity, allow growth with
 *   // max-capacity, or reset between requests.
 * ]|
 */

/**
 * nm_allocator_error_quark:
 *
 * The error domain of allocation failures and misuse, %NM_ALLOCATOR_ERROR.
 *
 * Returns: the #GQuark of the domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (nm-allocator-error-quark, nm_allocator_error)

/**
 * nm_config_error_quark:
 *
 * The error domain of configuration problems, %NM_CONFIG_ERROR.
 *
 * Returns: the #GQuark of the domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (nm-config-error-quark, nm_config_error)
