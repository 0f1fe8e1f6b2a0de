/* bench-cache-main.c: runs the NmAsyncCache benchmark on its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built by hand against a build directory, for example:
 *
 *   cc -O2 -I_build -I. -Inebula-memory -I_build/nebula-memory \
 *      bench/bench-cache-main.c bench/bench-cache.c \
 *      $(pkg-config --cflags --libs gio-2.0) -lm \
 *      -L_build/nebula-memory -lnebula-memory-1.0 \
 *      -Wl,-rpath,$PWD/_build/nebula-memory -o _build/bench-cache
 */

#include "bench-cache.h"

int
main (void)
{
  bench_cache_run ();
  return 0;
}
