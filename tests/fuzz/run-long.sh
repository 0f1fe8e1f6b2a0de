#!/bin/sh
# run-long.sh: build one libFuzzer target and run it for a number of executions
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/fuzz/run-long.sh HARNESS EXECS [asan|ubsan]
#
#   HARNESS  bump, pool, stack, budget or key-file (or fuzz-bump, ...)
#   EXECS    number of inputs to run, e.g. 10000000
#   asan     AddressSanitizer and UBSan, as the CI fuzz stage (the default)
#   ubsan    UBSan only: several times faster, for long runs
#
# Builds (or updates) _build-fuzz-asan or _build-fuzz-ubsan in the source
# tree with clang, -Dfuzzing=true and the sanitizers, then runs the target
# under nice, in one process, from its seeds (tests/fuzz/corpus/HARNESS,
# or the example configurations for key-file) and a working corpus kept in
# the build directory between runs, never in the source tree. Inputs that
# crash are written to BUILDDIR/tests/fuzz/long/HARNESS-artifacts/; the
# whole log to BUILDDIR/tests/fuzz/long/HARNESS.log. A crash reproduces
# from its file alone:
#
#   BUILDDIR/tests/fuzz/fuzz-HARNESS ARTIFACT
#
# and NM_FUZZ_FRESH=1 makes the target create an allocator per input
# instead of reusing one (see fuzz-common.h). Prints one line: executions,
# seconds, executions per second, coverage (cov, ft) and the crash, if any.
# Exits non-zero when the target found something.
#
# Environment: NM_FUZZ_MAX_LEN (largest input, 1024 bytes by default: a
# few hundred operations), NM_FUZZ_MAX_TIME (stop after this many seconds
# even when EXECS were not reached), NM_FUZZ_BUILDDIR (another build
# directory). GSlice hands every block to malloc (G_SLICE=always-malloc), so
# that LeakSanitizer and libFuzzer's leak detection see each one.

set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

harness=${1#fuzz-}
execs=$2
san=${3:-asan}

case "$harness" in
  bump|pool|stack|budget|key-file) ;;
  *) echo "run-long.sh: unknown harness '$1'" >&2; exit 2 ;;
esac
case "$san" in
  asan) sanitize=address,undefined ;;
  ubsan) sanitize=undefined ;;
  *) echo "run-long.sh: sanitizer must be asan or ubsan, not '$san'" >&2; exit 2 ;;
esac

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${NM_FUZZ_BUILDDIR:-$srcdir/_build-fuzz-$san}
target=fuzz-$harness

if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang nice -n 10 meson setup "$builddir" "$srcdir" \
    -Dwerror=true -Dfuzzing=true -Db_sanitize=$sanitize -Db_lundef=false \
    -Dintrospection=disabled -Dbenchmarks=disabled -Dexamples=false -Ddocumentation=false >/dev/null
fi
nice -n 10 ninja -j2 -C "$builddir" "tests/fuzz/$target" >/dev/null

long=$builddir/tests/fuzz/long
corpus=$long/$harness-corpus
artifacts=$long/$harness-artifacts/
log=$long/$harness.log
mkdir -p "$corpus" "$artifacts"

if [ "$harness" = key-file ]; then
  seeds=$srcdir/tests/data
  set -- "-seed_inputs=$seeds/bump.ini,$seeds/pool.ini,$seeds/stack.ini" "$corpus"
else
  set -- "$corpus" "$srcdir/tests/fuzz/corpus/$target"
fi

max_time=
[ -n "${NM_FUZZ_MAX_TIME:-}" ] && max_time=-max_total_time=$NM_FUZZ_MAX_TIME

start=$(date +%s)
status=0
G_SLICE=always-malloc \
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
  nice -n 10 "$builddir/tests/fuzz/$target" -runs="$execs" \
    -max_len="${NM_FUZZ_MAX_LEN:-1024}" $max_time \
    -rss_limit_mb=4096 -timeout=10 -error_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$@" >"$log" 2>&1 || status=$?
seconds=$(( $(date +%s) - start ))

done_line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(printf '%s\n' "$done_line" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p')
rate=0
[ "$seconds" -gt 0 ] && rate=$(( ${runs:-0} / seconds ))
printf '%s (%s): %s executions in %s s, %s/s, %s\n' "$target" "$san" "${runs:-?}" "$seconds" "$rate" "$cov"
if [ "$status" -eq 72 ]; then
  echo "$target: interrupted" >&2
elif [ "$status" -ne 0 ]; then
  echo "$target: FOUND A CRASH (exit $status), see $log and $artifacts" >&2
  grep -E '^(==|SUMMARY|.*ERROR|.*\*\*)' "$log" | head -n 5 >&2 || true
fi
exit "$status"
