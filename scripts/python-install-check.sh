#!/usr/bin/env bash
# The slow proof of `pip install .`, as README gives it: a fresh venv from
# Debian's python3 (with its site packages), PyPI's itk/pytest/nibabel, then
# `pip install .` from the checkout twice, into an empty compiler cache
# (cold) and again (warm: ccache hits from pip's new temporary build folder);
# the checkout must be left as it was (nothing written into it); then README's
# example and the package's tests against the installed package (not
# build/python). Needs a finished `bash scripts/test.sh` for the models
# (build/apps/examples-run). Prints the time of each step.
#   bash scripts/python-install-check.sh [WORK]     default: a temporary folder
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-$(mktemp -d)}
venv="$work/venv"
models="$root/${CRADL_BUILD_DIR:-build}/apps/examples-run"
bash scripts/install-dependencies.sh
start=$(date +%s)
rm -rf "$venv"
bash scripts/python-env.sh "$venv" >/dev/null
echo "venv: $(( $(date +%s) - start )) s"

# Everything in the checkout, ignored files included, before and after.
snapshot() { git -C "$root" status --porcelain --ignored --untracked-files=all | sort; }
before=$(snapshot)
export CCACHE_DIR="$work/ccache" # empty: the first install is a cold one
for round in cold warm; do
  start=$(date +%s)
  "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps .
  echo "pip install . ($round compiler cache): $(( $(date +%s) - start )) s"
done
unset CCACHE_DIR
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "pip install . changed the checkout:"; diff <(echo "$before") <(echo "$after") || true; exit 1
fi
echo "the checkout is as it was"

installed=$(cd "$work" && "$venv/bin/python" -c 'import cradl; print(cradl.__file__)')
case $installed in
  "$venv"/*) echo "installed: $installed" ;;
  *) echo "cradl imported from $installed, not from the venv" >&2; exit 1 ;;
esac
# README's example, as written there, with the installed package.
(cd "$work" && env -u PYTHONPATH "$venv/bin/python" "$root/examples/python/score_scan.py" "$models/encoder.pt" \
  "$models/mixture.pt" "$models/data/test.csv" "$work/anomaly.nii.gz")
start=$(date +%s)
(cd "$work" && env -u PYTHONPATH CRADL_TEST_MODELS="$models" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/test/python/package")
echo "tests: $(( $(date +%s) - start )) s"
