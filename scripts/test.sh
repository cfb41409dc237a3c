#!/usr/bin/env bash
# Installs what is missing, builds Cradl and runs its tests (CTest).
#   bash scripts/test.sh              full build: torch core + ITK layer + tools
#   bash scripts/test.sh --core-only  the torch core alone, without ITK
# Environment: as scripts/build.sh (CRADL_BUILD_DIR default build, or build-core).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--core-only" ]; then
  export CRADL_TORCH_CORE_ONLY=ON CRADL_BUILD_DIR=${CRADL_BUILD_DIR:-build-core}
fi
bash scripts/build.sh
ctest --test-dir "${CRADL_BUILD_DIR:-build}" --output-on-failure --no-tests=error --parallel "${CRADL_JOBS:-$(nproc)}"
