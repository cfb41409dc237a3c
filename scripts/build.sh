#!/usr/bin/env bash
# Installs what is missing and builds Cradl (Release; ccache when present).
# Environment: CRADL_BUILD_DIR (default build), Torch_DIR, CRADL_JOBS (default all cores),
#              CRADL_TORCH_CORE_ONLY=ON for the torch core alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
build_dir=${CRADL_BUILD_DIR:-build}
jobs=${CRADL_JOBS:-$(nproc)}
configure=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCRADL_TORCH_CORE_ONLY=${CRADL_TORCH_CORE_ONLY:-OFF})
if [ -n "${Torch_DIR:-}" ]; then
  configure+=(-DTorch_DIR="$Torch_DIR")
fi
source scripts/compiler-cache.sh
configure+=("${compiler_cache[@]}")
cmake "${configure[@]}" >/dev/null
cmake --build "$build_dir" --parallel "$jobs"
