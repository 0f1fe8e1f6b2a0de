#!/usr/bin/env bash
# scripts/test.sh: install what is missing, then build and run the whole
# nebula-memory test suite in every configuration CI cares about:
#
#   normal    all suites (C, examples, Python, GJS, bench smoke), introspection on
#   asan      AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer (gcc)
#   tsan      ThreadSanitizer over the threaded tests (clang)
#   fuzz      libFuzzer over the parser, allocators and budgets, ASan+UBSan (clang)
#   valgrind  memcheck over the C tests and C examples, reusing the normal build
#
# Each configuration builds in its own fresh directory under _build-test/.
# Every configuration runs even when an earlier one failed. The last line
# printed is the totals over all configurations, "N passed, N failed"; the
# exit status is 1 when anything failed.
#
# Works as root on a fresh Debian 12 machine with no terminal (that is how CI
# runs it, through .ci/run); as another user it uses sudo for apt-get.

set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
srcdir=$PWD
builddir_root=$srcdir/_build-test
jobs=${NM_TEST_JOBS:-2}

packages=(
  meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0
  gtk-doc-tools libglib2.0-doc python3-gi gjs valgrind
  libtalloc-dev libapr1-dev libmimalloc-dev libjemalloc-dev
  clang libclang-rt-14-dev
)

log () { printf '\n=== %s\n' "$*"; }

install_missing () {
  local missing=() p
  for p in "$@"; do
    if ! dpkg -s "$p" >/dev/null 2>&1 ||
       ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  log "installing: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

install_missing "${packages[@]}"

# PyGObject is importable by Debian's interpreter only; parse with it too.
python=/usr/bin/python3

# count LOG: prints "passed failed skipped" from a meson testlog JSON file
count () {
  "$python" - "$1" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1], encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            result = json.loads(line).get('result')
            if result in ('OK', 'EXPECTEDFAIL'):
                passed += 1
            elif result == 'SKIP':
                skipped += 1
            else:
                failed += 1
                print('  failed: %s (%s)' % (json.loads(line).get('name'), result),
                      file=sys.stderr)
except FileNotFoundError:
    pass
print(passed, failed, skipped)
PY
}

# configuration bookkeeping
total_passed=0
total_failed=0
summary=()

# record NAME TESTLOG_JSON SECONDS MESON_STATUS
record () {
  local name=$1 testlog=$2 seconds=$3 status=$4 passed failed skipped
  read -r passed failed skipped < <(count "$testlog")
  # A configuration that did not configure, build or run its tests at all,
  # or whose meson test failed without a failing test in the log (a build
  # error, a test that never got to run), counts as one failure.
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
  fi
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "  warning: no test ran in configuration $name" >&2
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  summary+=("$(printf '%-9s %4d passed, %d failed, %d skipped  (%ds)' \
                "$name" "$passed" "$failed" "$skipped" "$seconds")")
  log "$name: $passed passed, $failed failed, $skipped skipped in ${seconds}s"
}

# run_config NAME SETUP_ENV SETUP_ARGS TEST_ENV TEST_ARGS
# (env and argument lists are passed as names of arrays)
run_config () {
  local name=$1
  local -n setup_env=$2 setup_args=$3 test_env=$4 test_args=$5
  local dir=$builddir_root/$name start status=0
  start=$SECONDS
  log "$name: configuring in ${dir#"$srcdir"/}"
  rm -rf "$dir"
  if env "${setup_env[@]}" meson setup "$dir" "${setup_args[@]}"; then
    log "$name: building"
    if ninja -C "$dir" -j "$jobs"; then
      log "$name: testing"
      env "${test_env[@]}" meson test -C "$dir" --no-rebuild --print-errorlogs \
        --num-processes "$jobs" "${test_args[@]}" || status=$?
    else
      status=$?
    fi
  else
    status=$?
    echo "  meson setup failed for $name" >&2
  fi
  record "$name" "$dir/meson-logs/testlog.json" $((SECONDS - start)) "$status"
}

mkdir -p "$builddir_root"

# a. normal: everything, bindings included
normal_setup_env=()
normal_setup=(-Dintrospection=enabled -Ddocumentation=true -Dwerror=true)
normal_test_env=()
# the 'slow' suite (minutes of stress) is for local runs only
normal_test=(--no-suite slow)
run_config normal normal_setup_env normal_setup normal_test_env normal_test

# b. AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer).
# g-ir-scanner runs the library to dump types, which fails under ASan, so
# introspection is off; the benchmark is not run here, so not built either.
asan_setup_env=(CC=gcc)
asan_setup=(-Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
            -Dintrospection=disabled -Dbenchmarks=disabled -Ddocumentation=false)
asan_test_env=(
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
)
# one-time allocations of GLib's type system, which no program frees
if [ -f "$srcdir/tests/lsan.supp" ]; then
  asan_test_env+=(LSAN_OPTIONS=suppressions=$srcdir/tests/lsan.supp:print_suppressions=0)
fi
asan_test=(--suite c --suite examples)
run_config asan asan_setup_env asan_setup asan_test_env asan_test

# c. ThreadSanitizer over the tests that start threads. clang's runtime
# (libclang-rt-14-dev) is the better-maintained TSan; high mmap
# randomisation breaks TSan's fixed shadow layout, so ASLR is turned off for
# the test run when setarch allows it.
tsan_setup_env=(CC=clang)
tsan_setup=(-Dwerror=true -Db_sanitize=thread -Db_lundef=false
            -Dintrospection=disabled -Dbenchmarks=disabled -Ddocumentation=false)
tsan_options=halt_on_error=1:second_deadlock_stack=1
if [ -f "$srcdir/tests/tsan.supp" ]; then
  tsan_options+=:suppressions=$srcdir/tests/tsan.supp
fi
tsan_test_env=(TSAN_OPTIONS=$tsan_options)
tsan_test=(--suite thread)
if setarch "$(uname -m)" -R true 2>/dev/null; then
  tsan_test_env=(setarch "$(uname -m)" -R env "${tsan_test_env[@]}")
fi
run_config tsan tsan_setup_env tsan_setup tsan_test_env tsan_test

# d. libFuzzer (clang) with ASan and UBSan: the configuration parser for 30
# seconds, the bump, pool and stack allocators and the budget tree for 15
# seconds each, from their seeds (tests/data, tests/fuzz/corpus).
fuzz_setup_env=(CC=clang)
fuzz_setup=(-Dwerror=true -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
            -Dintrospection=disabled -Dbenchmarks=disabled -Dexamples=false -Ddocumentation=false)
fuzz_test_env=(
  ASAN_OPTIONS=detect_leaks=1
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
)
fuzz_test=(--suite fuzz)
run_config fuzz fuzz_setup_env fuzz_setup fuzz_test_env fuzz_test

# e. Valgrind memcheck over the C tests and the C examples, reusing the
# normal build (the library has Valgrind client requests built in when
# valgrind/memcheck.h is there, which the package list guarantees).
valgrind_start=$SECONDS
valgrind_dir=$builddir_root/normal
valgrind_status=0
if [ -f "$valgrind_dir/build.ninja" ]; then
  log "valgrind: testing with memcheck (reusing ${valgrind_dir#"$srcdir"/})"
  # with --wrap, meson logs to testlog-<wrapper>.json
  rm -f "$valgrind_dir/meson-logs/testlog-valgrind.json"
  G_SLICE=always-malloc G_DEBUG=gc-friendly \
    meson test -C "$valgrind_dir" --no-rebuild --print-errorlogs \
      --num-processes "$jobs" --timeout-multiplier 10 \
      --suite c --suite examples --no-suite no-valgrind \
      --wrap "valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=no --num-callers=30 --suppressions=/usr/share/glib-2.0/valgrind/glib.supp" \
    || valgrind_status=$?
else
  valgrind_status=1
  echo "  the normal build is missing; nothing to run under valgrind" >&2
fi
record valgrind "$valgrind_dir/meson-logs/testlog-valgrind.json" $((SECONDS - valgrind_start)) "$valgrind_status"

log "summary"
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"

[ "$total_failed" -eq 0 ]
