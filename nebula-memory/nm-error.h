/* nm-error.h: error domains of nebula-memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (NM_INSIDE) && !defined (NM_COMPILATION)
# error "Only <nebula-memory/nebula-memory.h> can be included directly."
#endif

#include <glib.h>

#include "nm-version-macros.h"

G_BEGIN_DECLS

/**
 * NM_ALLOCATOR_ERROR:
 *
 * Error domain of allocation failures and misuse. Errors in this domain
 * are from the #NmAllocatorError enumeration.
 *
 * Since: 1.0
 */
#define NM_ALLOCATOR_ERROR (nm_allocator_error_quark ())

/**
 * NM_CONFIG_ERROR:
 *
 * Error domain of configuration problems. Errors in this domain are from
 * the #NmConfigError enumeration.
 *
 * Since: 1.0
 */
#define NM_CONFIG_ERROR (nm_config_error_quark ())

/**
 * NmAllocatorError:
 * @NM_ALLOCATOR_ERROR_OUT_OF_MEMORY: the allocator has no room left for the
 *   request and may not grow further, or the system refused backing memory
 * @NM_ALLOCATOR_ERROR_INVALID_LAYOUT: the size or alignment cannot be served:
 *   size 0, an alignment that is not a power of two or exceeds the page
 *   size, a size that overflows, or a request that does not fit a pool block
 * @NM_ALLOCATOR_ERROR_POOL_EXHAUSTED: every block of a pool is in use
 * @NM_ALLOCATOR_ERROR_LIFO_VIOLATION: an operation broke last-in-first-out
 *   order: a stale checkpoint or marker, or a free that is not the top
 * @NM_ALLOCATOR_ERROR_FOREIGN_POINTER: the memory does not belong to the
 *   allocator
 * @NM_ALLOCATOR_ERROR_DOUBLE_FREE: the memory was already freed
 * @NM_ALLOCATOR_ERROR_CORRUPTION: the allocator's bookkeeping was
 *   overwritten, typically by a write after free
 * @NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED: a memory budget refused the backing
 *   memory the request needs
 *
 * Error codes of the %NM_ALLOCATOR_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum
{
  NM_ALLOCATOR_ERROR_OUT_OF_MEMORY,
  NM_ALLOCATOR_ERROR_INVALID_LAYOUT,
  NM_ALLOCATOR_ERROR_POOL_EXHAUSTED,
  NM_ALLOCATOR_ERROR_LIFO_VIOLATION,
  NM_ALLOCATOR_ERROR_FOREIGN_POINTER,
  NM_ALLOCATOR_ERROR_DOUBLE_FREE,
  NM_ALLOCATOR_ERROR_CORRUPTION,
  NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED,
} NmAllocatorError;

/**
 * NmConfigError:
 * @NM_CONFIG_ERROR_INVALID_VALUE: a value is out of range or cannot be parsed
 * @NM_CONFIG_ERROR_MISSING_KEY: a setting the allocator kind needs is not set
 * @NM_CONFIG_ERROR_UNKNOWN_KEY: a key file group has a key nebula-memory does
 *   not know
 * @NM_CONFIG_ERROR_INCOMPATIBLE: settings that cannot be combined, or a
 *   configuration the factory cannot build
 *
 * Error codes of the %NM_CONFIG_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum
{
  NM_CONFIG_ERROR_INVALID_VALUE,
  NM_CONFIG_ERROR_MISSING_KEY,
  NM_CONFIG_ERROR_UNKNOWN_KEY,
  NM_CONFIG_ERROR_INCOMPATIBLE,
} NmConfigError;

NM_AVAILABLE_IN_1_0
GQuark nm_allocator_error_quark (void);
NM_AVAILABLE_IN_1_0
GQuark nm_config_error_quark    (void);

G_END_DECLS
