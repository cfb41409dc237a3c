#!/usr/bin/env bash
# Makes (or completes) the virtual environment the Python tests run in:
# Debian's /usr/bin/python3 (whose python3-dev the cradl extension is built
# for) with its site packages (python3-torch, -sklearn, -scipy: the oracles),
# plus PyPI's itk, pytest and nibabel, with NumPy held at Debian's version so
# that Debian's SciPy and scikit-learn keep working in the same process.
#   bash scripts/python-env.sh [VENV]     default: ${CRADL_BUILD_DIR:-build}/venv
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-${CRADL_BUILD_DIR:-build}/venv}
python=/usr/bin/python3
numpy=$("$python" -c 'import numpy; print(numpy.__version__)')
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv --system-site-packages "$venv"
fi
if ! "$venv/bin/python" -c 'import itk, pytest, nibabel' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check itk pytest nibabel "numpy==$numpy"
fi
"$venv/bin/python" -c 'import itk, numpy; print("python venv:", "'"$venv"'", "itk", itk.Version.GetITKVersion(), "numpy", numpy.__version__)'
