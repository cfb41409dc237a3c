#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each one: first on every input kept in
# test/fuzz/regressions/<target>/ (crashes found before, now fixed), then
# mutating test/fuzz/corpus/<target>/ for SECONDS of wall time.
#   bash scripts/fuzz.sh [SECONDS per target, default 20] [target ...]
# Environment: CRADL_FUZZ_BUILD_DIR (default build-fuzz), CRADL_FUZZ_WORK
# (grown corpora and crash artifacts; default a new folder under /var/tmp), CRADL_JOBS.
# Exits non-zero on the first crash, leak, hang or regression.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
seconds=${1:-20}
shift || true
bash scripts/install-dependencies.sh
# clang and its libFuzzer/sanitizer runtime, for this script only.
missing=()
for package in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >/dev/null || { echo "fuzz: needs ${missing[*]} (as root: apt-get install ${missing[*]})"; exit 1; }
fi
build_dir=${CRADL_FUZZ_BUILD_DIR:-build-fuzz}
# A fresh folder per run unless CRADL_FUZZ_WORK names one: a short run (CI)
# starts from the committed seeds; a long campaign keeps its grown corpus there.
work=${CRADL_FUZZ_WORK:-$(mktemp -d /var/tmp/cradl-fuzz.XXXXXX)}
jobs=${CRADL_JOBS:-$(nproc)}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
source scripts/compiler-cache.sh
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1" \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCRADL_BUILD_FUZZERS=ON "${compiler_cache[@]}" >/dev/null
cmake --build "$build_dir" --parallel "$jobs" --target cradl_fuzzers

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(cradlFuzzEncoderModel cradlFuzzMixtureModel cradlFuzzNpy cradlFuzzManifest cradlFuzzConfig cradlFuzzNifti)
fi
# The file-reading targets write each input to a file: in memory, not on disk.
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$repo/test/sanitize/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$repo/test/sanitize/ubsan.supp:${UBSAN_OPTIONS:-}"
for target in "${targets[@]}"; do
  binary="$build_dir/test/fuzz/$target"
  regressions="test/fuzz/regressions/$target"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    mkdir -p "$work"
    "$binary" -runs=0 "$regressions"/* 2>"$work/$target.regressions.log" ||
      { cat "$work/$target.regressions.log"; echo "fuzz: $target: a kept regression input fails again"; exit 1; }
  fi
  mkdir -p "$work/corpus/$target" "$work/artifacts"
  log="$work/$target.log"
  if ! "$binary" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$target-" "$work/corpus/$target" "test/fuzz/corpus/$target" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED: input kept in $work/artifacts/ (add it to $regressions/ once fixed)"
    exit 1
  fi
  runs=$(grep -m1 "stat::number_of_executed_units" "$log" | awk '{print $2}')
  echo "fuzz: $target: ${runs:-?} runs in ${seconds} s, no crash, leak or hang"
done
