#!/usr/bin/env bash
# The slow proof of `pip install .`: a fresh venv from Debian's python3 (with
# its site packages), PyPI's itk/pytest/nibabel, then `pip install .` from
# the checkout (scikit-build-core builds the module and the extension), then
# the package's tests against the installed package (not build/python).
# Needs a finished `bash scripts/test.sh` for the tests' models
# (build/apps/examples-run). Prints the time of each step.
#   bash scripts/python-install-check.sh [WORK]     default: a temporary folder
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-$(mktemp -d)}
venv="$work/venv"
bash scripts/install-dependencies.sh
start=$(date +%s)
rm -rf "$venv"
bash scripts/python-env.sh "$venv" >/dev/null
echo "venv: $(( $(date +%s) - start )) s"
start=$(date +%s)
# ccache, when present, for the CMake build pip runs.
if command -v ccache >/dev/null; then export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache; fi
"$venv/bin/pip" install --quiet --disable-pip-version-check .
echo "pip install .: $(( $(date +%s) - start )) s"
installed=$(cd "$work" && "$venv/bin/python" -c 'import cradl; print(cradl.__file__)')
case $installed in
  "$venv"/*) echo "installed: $installed" ;;
  *) echo "cradl imported from $installed, not from the venv" >&2; exit 1 ;;
esac
start=$(date +%s)
(cd "$work" && env -u PYTHONPATH CRADL_TEST_MODELS="$root/${CRADL_BUILD_DIR:-build}/apps/examples-run" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/test/python/package")
echo "tests: $(( $(date +%s) - start )) s"
