#!/usr/bin/env bash
# Installs what is missing, builds Cradl, makes the Python tests' venv and runs
# the tests (CTest, with pytest for the Python package), then the
# reliability checks: every fuzz target for 20 s on its corpus (after its kept
# regression inputs) and the torch-core tests under AddressSanitizer +
# UndefinedBehaviorSanitizer.
#   bash scripts/test.sh              full build: torch core + ITK layer + tools
#   bash scripts/test.sh --core-only  the torch core alone, without ITK (no fuzzing or sanitizers)
# Environment: as scripts/build.sh (CRADL_BUILD_DIR default build, or build-core).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--core-only" ]; then
  export CRADL_TORCH_CORE_ONLY=ON CRADL_BUILD_DIR=${CRADL_BUILD_DIR:-build-core}
fi
bash scripts/build.sh
# The report page's test opens it in a real browser.
if [ "${CRADL_TORCH_CORE_ONLY:-OFF}" != ON ] && ! command -v chromium-headless-shell >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "installing: chromium-headless-shell (the report page's test)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell fonts-dejavu-core >/dev/null
fi
if [ "${CRADL_TORCH_CORE_ONLY:-OFF}" != ON ]; then
  bash scripts/python-env.sh # the venv of the Python package's tests (PyPI's itk, pytest)
fi
ctest --test-dir "${CRADL_BUILD_DIR:-build}" --output-on-failure --no-tests=error --parallel "${CRADL_JOBS:-$(nproc)}"
if [ "${CRADL_TORCH_CORE_ONLY:-OFF}" != ON ]; then
  bash scripts/fuzz.sh 20
  bash scripts/sanitize.sh --core-only
fi
