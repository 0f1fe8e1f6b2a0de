/* bench-cache.h: the NmAsyncCache benchmark
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

void bench_cache_run (void);
