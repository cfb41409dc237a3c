#!/usr/bin/env bash
# Installs what is missing, builds Cradl and runs its tests (CTest).
#   bash scripts/test.sh              full build: torch core + ITK layer + tools
#   bash scripts/test.sh --core-only  the torch core alone, without ITK
# Environment: CRADL_BUILD_DIR (default build, or build-core), Torch_DIR (another LibTorch),
#              CRADL_JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

core_only=OFF
if [ "${1:-}" = "--core-only" ]; then
  core_only=ON
fi
bash scripts/install-dependencies.sh

build_dir=${CRADL_BUILD_DIR:-build}
if [ "$core_only" = ON ]; then
  build_dir=${CRADL_BUILD_DIR:-build-core}
fi
jobs=${CRADL_JOBS:-$(nproc)}

configure=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCRADL_TORCH_CORE_ONLY=$core_only)
if [ -n "${Torch_DIR:-}" ]; then
  configure+=(-DTorch_DIR="$Torch_DIR")
fi
if command -v ccache >/dev/null; then
  # Hits from any clone: paths are made relative to the checkout.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  configure+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

cmake "${configure[@]}"
cmake --build "$build_dir" --parallel "$jobs"
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error --parallel "$jobs"
