#!/usr/bin/env bash
# scripts/bench.sh: install what is missing (the build tools and the peers'
# Debian packages), build nebula-memory for speed (release, no tests, no
# examples, no introspection) in _build-bench and run the benchmark program,
# which prints one table per scenario and a summary of ratios against glibc.
# Arguments go to nm-bench: ./scripts/bench.sh --only live,threads --runs 15
# (--svg FILE for a chart, --json for every figure, --help for the rest).
#
# ./scripts/bench.sh --stability N [ARGS...] runs the same table N times in
# a row (bench/bench-stability.py) and prints, per ratio, how far it moved
# between the runs, with the load average before and after each run;
# --stability N --save DIR [ARGS...] keeps each run's JSON in DIR (compare
# them again later with bench/bench-stability.py --from DIR/run*.json).
#
# Works as root on a fresh Debian 12 machine with no terminal; as another
# user it uses sudo for apt-get.

set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."

packages=(
  meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev
  libtalloc-dev libapr1-dev libmimalloc-dev libjemalloc-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "=== installing: ${missing[*]}" >&2
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

builddir=_build-bench
options=(--buildtype=release -Dtests=false -Dexamples=false
         -Dintrospection=disabled -Ddocumentation=false -Dbenchmarks=enabled)

# Reconfigure an existing build dir rather than starting over: a release
# build of the whole tree is only needed once.
if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" "${options[@]}" >&2
else
  rm -rf "$builddir"
  meson setup "$builddir" "${options[@]}" >&2
fi
ninja -C "$builddir" bench/nm-bench bench/nm-bench-annotations-on \
  bench/nm-bench-annotations-off >&2

if [ "${1:-}" = "--stability" ]; then
  runs="${2:?--stability needs a number of runs}"
  shift 2
  save=()
  if [ "${1:-}" = "--save" ]; then
    save=(--save "${2:?--save needs a directory}")
    shift 2
  fi
  exec python3 bench/bench-stability.py --runs "$runs" "${save[@]}" -- "$builddir/bench/nm-bench" "$@"
fi
exec "$builddir/bench/nm-bench" "$@"
