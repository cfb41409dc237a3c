#!/usr/bin/env bash
# Builds Cradl with AddressSanitizer + UndefinedBehaviorSanitizer (gcc) and runs
# the CTest suite under them.
#   bash scripts/sanitize.sh [--core-only] [ctest arguments, e.g. -R core.]
#     --core-only: the torch core and its tests alone (what CI runs: the whole
#     suite takes ~15 min to build on 2 cores, the core ~5)
# Environment: CRADL_BUILD_DIR (default build-sanitize, build-sanitize-core), CRADL_JOBS.
# LibTorch, ITK and the Python oracles are not instrumented; what their own
# code does is outside these checks except where suppressed below, with why.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
core_only=OFF
if [ "${1:-}" = "--core-only" ]; then
  core_only=ON
  shift
fi
default_dir=build-sanitize
if [ $core_only = ON ]; then
  default_dir=build-sanitize-core
fi
build_dir=${CRADL_BUILD_DIR:-$default_dir}
jobs=${CRADL_JOBS:-$(nproc)}
# UBSan errors stay recoverable so that the suppression file applies (it cannot
# to non-recoverable checks); halt_on_error=1 below stops at the first one.
flags="-fsanitize=address,undefined -fno-omit-frame-pointer"
source scripts/compiler-cache.sh
# -O1 keeps stack traces readable and the build affordable on 2 cores.
cmake -S . -B "$build_dir" -DCRADL_TORCH_CORE_ONLY=$core_only -DCRADL_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="$flags" "${compiler_cache[@]}" >/dev/null
started=$(date +%s)
cmake --build "$build_dir" --parallel "$jobs"
built=$(date +%s)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/test/sanitize/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/test/sanitize/ubsan.supp:${UBSAN_OPTIONS:-}"
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error --parallel "$jobs" "$@"
echo "sanitize: build $((built - started)) s, tests $(($(date +%s) - built)) s"
